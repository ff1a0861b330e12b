//! A scripted POP3 server on 127.0.0.1:0 for fault tests: a mailbox whose deletions take
//! effect only at QUIT (RFC 1939 §6), a log of every command, and switchable misbehaviour.
//! Dropping a fake that no client connected to fails the test (a test that expects no
//! connection says so with [`Fake::expect_unused`]), so a fake cannot be set up in vain.

use std::{
    io::{BufRead, BufReader, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

/// How the fake misbehaves; changeable between runs.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Extra CAPA lines (PIPELINING, STLS...).
    pub caps: Vec<String>,
    /// Stop answering when a command starting with this arrives (the test then kills the
    /// client).
    pub stall_at: Option<String>,
    /// Close the connection after sending this many body bytes of RETR n.
    pub cut_retr: Option<(u32, usize)>,
    /// Send RETR n's body without the terminating `.` line, then close.
    pub no_terminator: Option<u32>,
    /// Answer DELE n with -ERR.
    pub dele_err: Option<u32>,
    /// After STLS's +OK, send these bytes in the same write.
    pub stls_inject: Option<Vec<u8>>,
    /// Answer STLS with -ERR although CAPA offers it.
    pub stls_err: bool,
    /// Replace the LIST body with these lines.
    pub list_body: Option<Vec<String>>,
    /// Replace the UIDL body with these lines.
    pub uidl_body: Option<Vec<String>>,
    /// Answer PASS with this line instead of +OK.
    pub pass_reply: Option<String>,
    /// Close the connection instead of answering QUIT.
    pub drop_quit: bool,
}

/// One message of the fake mailbox.
#[derive(Clone, Debug)]
pub struct Message {
    /// Its UIDL.
    pub uidl: String,
    /// Its content as sent on the wire before dot-stuffing (CRLF line ends).
    pub body: Vec<u8>,
}

/// State shared between the test and the server thread.
#[derive(Debug, Default)]
pub struct Shared {
    /// The mailbox; QUIT removes what was marked.
    pub mailbox: Vec<Message>,
    /// Every command line received, in order, across sessions.
    pub log: Vec<String>,
    /// The misbehaviour.
    pub faults: Faults,
    /// Whether a session is stalled right now.
    pub stalled: bool,
    /// Connections accepted so far.
    pub connections: usize,
}

/// A running fake server.
pub struct Fake {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state.
    pub shared: Arc<Mutex<Shared>>,
    /// Set when the test expects no client to connect.
    unused_ok: AtomicBool,
}

impl Fake {
    /// Starts a fake holding `mailbox`.
    pub fn start(mailbox: Vec<Message>, faults: Faults) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Mutex::new(Shared {
            mailbox,
            faults,
            ..Shared::default()
        }));
        let for_thread = shared.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let shared = for_thread.clone();
                shared.lock().unwrap().connections += 1;
                thread::spawn(move || serve(stream, &shared));
            }
        });
        Fake {
            addr,
            shared,
            unused_ok: AtomicBool::new(false),
        }
    }

    /// Says that no client is expected to connect (the command must fail before that).
    pub fn expect_unused(&self) {
        self.unused_ok.store(true, Ordering::Relaxed);
    }

    /// `--server` value.
    pub fn server(&self) -> String {
        self.addr.to_string()
    }

    /// The commands received so far.
    pub fn log(&self) -> Vec<String> {
        self.shared.lock().unwrap().log.clone()
    }

    /// The UIDLs still in the mailbox.
    pub fn uidls(&self) -> Vec<String> {
        let shared = self.shared.lock().unwrap();
        shared.mailbox.iter().map(|m| m.uidl.clone()).collect()
    }

    /// Changes the misbehaviour for the next sessions.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.lock().unwrap().faults = faults;
    }

    /// Waits (bounded) until a session stalls.
    pub fn wait_stalled(&self) {
        let start = Instant::now();
        while !self.shared.lock().unwrap().stalled {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the fake never reached its stall point; log: {:?}",
                self.log()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let connections = self.shared.lock().map_or(1, |s| s.connections);
        if connections == 0 && !self.unused_ok.load(Ordering::Relaxed) && !thread::panicking() {
            panic!(
                "the fake POP3 server at {} was never connected to (call expect_unused if that is the point)",
                self.addr
            );
        }
    }
}

/// A message with `n` body lines, some of which need dot-stuffing.
pub fn message(uidl: &str, subject: &str, lines: usize) -> Message {
    let mut body = format!(
        "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: {subject}\r\nMessage-ID: <{uidl}@example.org>\r\n\r\n"
    )
    .into_bytes();
    for i in 0..lines {
        match i % 4 {
            0 => body.extend_from_slice(b".leading dot\r\n"),
            1 => body.extend_from_slice(b"From the start of a line\r\n"),
            _ => body.extend_from_slice(format!("line {i} of {uidl}\r\n").as_bytes()),
        }
    }
    Message {
        uidl: uidl.to_string(),
        body,
    }
}

/// What a Maildir copy of `m` must contain (line ends LF).
pub fn as_lf(m: &Message) -> Vec<u8> {
    String::from_utf8(m.body.clone())
        .unwrap()
        .replace("\r\n", "\n")
        .into_bytes()
}

fn stuffed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in body.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b".") {
            out.push(b'.');
        }
        out.extend_from_slice(line);
    }
    out
}

fn serve(stream: TcpStream, shared: &Mutex<Shared>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    let _ = out.write_all(b"+OK fake POP3 ready\r\n");
    let mut marked: Vec<String> = Vec::new();
    // A snapshot of the mailbox at login, as a real server locks the maildrop.
    let mut snapshot: Vec<Message> = Vec::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        let faults = {
            let mut s = shared.lock().unwrap();
            s.log.push(line.clone());
            s.faults.clone()
        };
        if let Some(stall) = &faults.stall_at
            && line.starts_with(stall.as_str())
        {
            shared.lock().unwrap().stalled = true;
            // Hold the connection until the client goes away.
            let mut sink = String::new();
            while reader.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
            shared.lock().unwrap().stalled = false;
            return;
        }
        let mut words = line.split(' ');
        let verb = words.next().unwrap_or("").to_ascii_uppercase();
        let arg: Option<u32> = words.next().and_then(|w| w.parse().ok());
        let live = |snapshot: &[Message], marked: &[String]| -> Vec<(u32, Message)> {
            snapshot
                .iter()
                .enumerate()
                .filter(|(_, m)| !marked.contains(&m.uidl))
                .map(|(i, m)| (i as u32 + 1, m.clone()))
                .collect()
        };
        let find = |n: Option<u32>, snapshot: &[Message], marked: &[String]| {
            live(snapshot, marked)
                .into_iter()
                .find(|(i, _)| Some(*i) == n)
                .map(|(_, m)| m)
        };
        let reply: Vec<u8> = match verb.as_str() {
            "CAPA" => {
                let mut r = "+OK\r\nUSER\r\nUIDL\r\nTOP\r\n".to_string();
                for cap in &faults.caps {
                    r.push_str(cap);
                    r.push_str("\r\n");
                }
                r.push_str(".\r\n");
                r.into_bytes()
            }
            "STLS" if faults.stls_err => b"-ERR TLS not available now\r\n".to_vec(),
            "STLS" => {
                let mut r = b"+OK begin TLS\r\n".to_vec();
                if let Some(extra) = &faults.stls_inject {
                    r.extend_from_slice(extra);
                }
                r
            }
            "USER" => b"+OK\r\n".to_vec(),
            "PASS" => {
                snapshot = shared.lock().unwrap().mailbox.clone();
                match &faults.pass_reply {
                    Some(reply) => format!("{reply}\r\n").into_bytes(),
                    None => b"+OK logged in\r\n".to_vec(),
                }
            }
            "STAT" => {
                let l = live(&snapshot, &marked);
                let size: usize = l.iter().map(|(_, m)| m.body.len()).sum();
                format!("+OK {} {size}\r\n", l.len()).into_bytes()
            }
            "LIST" => {
                let mut r = "+OK\r\n".to_string();
                match &faults.list_body {
                    Some(lines) => lines.iter().for_each(|l| r.push_str(&format!("{l}\r\n"))),
                    None => {
                        for (i, m) in live(&snapshot, &marked) {
                            r.push_str(&format!("{i} {}\r\n", m.body.len()));
                        }
                    }
                }
                r.push_str(".\r\n");
                r.into_bytes()
            }
            "UIDL" => {
                let mut r = "+OK\r\n".to_string();
                match &faults.uidl_body {
                    Some(lines) => lines.iter().for_each(|l| r.push_str(&format!("{l}\r\n"))),
                    None => {
                        for (i, m) in live(&snapshot, &marked) {
                            r.push_str(&format!("{i} {}\r\n", m.uidl));
                        }
                    }
                }
                r.push_str(".\r\n");
                r.into_bytes()
            }
            "TOP" | "RETR" => match find(arg, &snapshot, &marked) {
                None => b"-ERR no such message\r\n".to_vec(),
                Some(m) => {
                    let n = arg.unwrap_or(0);
                    let body = if verb == "TOP" {
                        let end = m
                            .body
                            .windows(4)
                            .position(|w| w == b"\r\n\r\n")
                            .map_or(m.body.len(), |p| p + 4);
                        m.body[..end].to_vec()
                    } else {
                        m.body.clone()
                    };
                    let mut r = b"+OK\r\n".to_vec();
                    r.extend_from_slice(&stuffed(&body));
                    if verb == "RETR"
                        && let Some((cut_n, bytes)) = faults.cut_retr
                        && cut_n == n
                    {
                        let _ = out.write_all(&r[..(5 + bytes).min(r.len())]);
                        return;
                    }
                    if verb == "RETR" && faults.no_terminator == Some(n) {
                        let _ = out.write_all(&r);
                        return;
                    }
                    r.extend_from_slice(b".\r\n");
                    r
                }
            },
            "DELE" => match find(arg, &snapshot, &marked) {
                _ if faults.dele_err.is_some() && faults.dele_err == arg => {
                    b"-ERR cannot delete\r\n".to_vec()
                }
                None => b"-ERR no such message\r\n".to_vec(),
                Some(m) => {
                    marked.push(m.uidl);
                    b"+OK marked\r\n".to_vec()
                }
            },
            "RSET" => {
                marked.clear();
                b"+OK\r\n".to_vec()
            }
            "NOOP" => b"+OK\r\n".to_vec(),
            "QUIT" => {
                if faults.drop_quit {
                    return;
                }
                shared
                    .lock()
                    .unwrap()
                    .mailbox
                    .retain(|m| !marked.contains(&m.uidl));
                let _ = out.write_all(b"+OK bye\r\n");
                return;
            }
            _ => b"-ERR unknown command\r\n".to_vec(),
        };
        if out.write_all(&reply).is_err() {
            return;
        }
    }
}
