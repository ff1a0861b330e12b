//! An SMTP server on 127.0.0.1:0 that serves connections in parallel, following a plan the
//! test can change between steps: per-recipient replies, and a stage of the transaction at
//! which it hangs or drops the connection, so a test can kill a client at that moment or make
//! the connection die before or after the final dot. It asserts when dropped that a client
//! connected, unless the test said it expects none.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{Arc, Mutex},
    thread,
    time::{Duration, Instant},
};

/// The moments of a transaction a plan can act at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Right after accepting the connection, before the greeting.
    Greeting,
    /// On MAIL FROM, before answering.
    Mail,
    /// On RCPT TO, before answering.
    Rcpt,
    /// On DATA, before answering.
    Data,
    /// After the whole message and its final dot, before answering.
    Dot,
    /// After answering 250 to the final dot.
    Answered,
}

/// What the server does.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// RCPT replies by address; others get `250 2.1.5 ok`.
    pub rcpt: HashMap<String, String>,
    /// Stop answering (but keep the connection) at this stage.
    pub hang: Option<Stage>,
    /// Close the connection at this stage without answering.
    pub close: Option<Stage>,
    /// Read this many bytes of a message, then close (a loss before the final dot).
    pub cut_data_after: Option<usize>,
    /// Wait this long before answering the final dot.
    pub dot_delay: Duration,
}

/// A message the server accepted.
#[derive(Clone, Debug)]
pub struct Received {
    /// MAIL FROM.
    pub from: String,
    /// The recipients it accepted.
    pub to: Vec<String>,
    /// The message as received (dot-stuffing undone).
    pub data: Vec<u8>,
}

/// What the server saw.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// Connections accepted.
    pub connections: usize,
    /// Messages whose final dot it answered with 250.
    pub received: Vec<Received>,
    /// Messages whose final dot arrived (answered or not).
    pub dots: usize,
    /// Stages reached, in order.
    pub reached: Vec<Stage>,
}

/// A running fake server.
pub struct Fake {
    /// Where it listens.
    pub addr: SocketAddr,
    plan: Arc<Mutex<Plan>>,
    seen: Arc<Mutex<Seen>>,
    unused_ok: bool,
}

impl Drop for Fake {
    fn drop(&mut self) {
        if !self.unused_ok && !thread::panicking() {
            assert!(
                self.seen().connections > 0,
                "no client ever connected to the fake server"
            );
        }
    }
}

impl Fake {
    /// Starts a server following `plan`.
    pub fn start(plan: Plan) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let plan = Arc::new(Mutex::new(plan));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (p, s) = (plan.clone(), seen.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                s.lock().unwrap().connections += 1;
                let (p, s) = (p.clone(), s.clone());
                thread::spawn(move || serve(stream, &p, &s));
            }
        });
        Fake {
            addr,
            plan,
            seen,
            unused_ok: false,
        }
    }

    /// Says the test expects no connection at all.
    pub fn expect_unused(&mut self) {
        self.unused_ok = true;
    }

    /// Changes the plan for what comes next.
    pub fn set(&self, plan: Plan) {
        *self.plan.lock().unwrap() = plan;
    }

    /// A copy of what it saw so far.
    pub fn seen(&self) -> Seen {
        self.seen.lock().unwrap().clone()
    }

    /// The `--server` flag value.
    pub fn server(&self) -> String {
        self.addr.to_string()
    }

    /// How many accepted messages contain `token`.
    pub fn copies(&self, token: &str) -> usize {
        self.seen()
            .received
            .iter()
            .filter(|m| contains(&m.data, token))
            .count()
    }

    /// Waits (bounded) until the server has reached `stage`.
    pub fn wait_for(&self, stage: Stage) {
        let start = Instant::now();
        while !self.seen().reached.contains(&stage) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "server never reached {stage:?}: {:?}",
                self.seen()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Whether `data` contains `token`.
pub fn contains(data: &[u8], token: &str) -> bool {
    data.windows(token.len()).any(|w| w == token.as_bytes())
}

/// Acts on `stage`: false when the connection must end here (closed, or hung until the
/// client goes away).
fn at(stage: Stage, plan: &Arc<Mutex<Plan>>, seen: &Arc<Mutex<Seen>>, stream: &TcpStream) -> bool {
    seen.lock().unwrap().reached.push(stage);
    let (hang, close) = {
        let plan = plan.lock().unwrap();
        (plan.hang == Some(stage), plan.close == Some(stage))
    };
    if close {
        let _ = stream.shutdown(std::net::Shutdown::Both);
        return false;
    }
    if hang {
        // Hold the connection, answering nothing, until the client dies or gives up.
        let mut buf = [0u8; 512];
        let mut reader = stream;
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
        return false;
    }
    true
}

fn serve(stream: TcpStream, plan: &Arc<Mutex<Plan>>, seen: &Arc<Mutex<Seen>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    if !at(Stage::Greeting, plan, seen, &stream) {
        return;
    }
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut say = |text: &str| writer.write_all(text.as_bytes()).is_ok();
    if !say("220 fake.test ESMTP queue fake\r\n") {
        return;
    }
    let mut from = String::new();
    let mut to: Vec<String> = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        let upper = line.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            "250-fake.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000000\r\n".into()
        } else if upper.starts_with("HELO") || upper == "NOOP" {
            "250 ok\r\n".into()
        } else if upper == "RSET" {
            from.clear();
            to.clear();
            "250 2.0.0 reset\r\n".into()
        } else if upper == "QUIT" {
            say("221 2.0.0 bye\r\n");
            return;
        } else if upper.starts_with("MAIL FROM:") {
            if !at(Stage::Mail, plan, seen, &stream) {
                return;
            }
            from = path(line);
            to.clear();
            "250 2.1.0 ok\r\n".into()
        } else if upper.starts_with("RCPT TO:") {
            if !at(Stage::Rcpt, plan, seen, &stream) {
                return;
            }
            let address = path(line);
            let reply = plan
                .lock()
                .unwrap()
                .rcpt
                .get(&address)
                .cloned()
                .unwrap_or_else(|| "250 2.1.5 ok".into());
            if reply.starts_with('2') {
                to.push(address);
            }
            format!("{reply}\r\n")
        } else if upper == "DATA" {
            if !at(Stage::Data, plan, seen, &stream) {
                return;
            }
            if to.is_empty() {
                "554 5.5.1 no valid recipients\r\n".into()
            } else {
                if !say("354 go ahead\r\n") {
                    return;
                }
                let cut = plan.lock().unwrap().cut_data_after;
                let mut data = Vec::new();
                let mut raw = 0;
                loop {
                    let mut l = Vec::new();
                    if reader.read_until(b'\n', &mut l).unwrap_or(0) == 0 {
                        return;
                    }
                    raw += l.len();
                    if cut.is_some_and(|n| raw >= n) {
                        let _ = stream.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                    if l == b".\r\n" {
                        break;
                    }
                    data.extend_from_slice(l.strip_prefix(b".").unwrap_or(&l));
                }
                seen.lock().unwrap().dots += 1;
                if !at(Stage::Dot, plan, seen, &stream) {
                    return;
                }
                let delay = plan.lock().unwrap().dot_delay;
                thread::sleep(delay);
                seen.lock().unwrap().received.push(Received {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                if !say("250 2.0.0 queued\r\n") {
                    return;
                }
                if !at(Stage::Answered, plan, seen, &stream) {
                    return;
                }
                continue;
            }
        } else {
            "502 5.5.2 unknown command\r\n".into()
        };
        if !say(&reply) {
            return;
        }
    }
}

/// The address inside `<...>` of a MAIL or RCPT line.
fn path(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].to_string()
}
