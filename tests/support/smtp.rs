//! A scripted SMTP server on 127.0.0.1:0: a handler decides the answer to each command line
//! (and to the end of each message), and everything received is kept for asserts.

use std::{
    io::{BufRead, BufReader, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    ops::Deref,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::Duration,
};

/// What the fake server does in answer to a command line (or to `.` at the end of DATA).
pub enum Act {
    /// Send these bytes (each string a separate write, with a pause between them).
    Send(Vec<String>),
    /// Close the connection without answering.
    Close,
    /// Read this many bytes of the message, then close (a loss in the middle of DATA).
    CloseAfterDataBytes(usize),
}

pub fn send(text: &str) -> Act {
    Act::Send(vec![text.to_string()])
}

/// Everything the fake server saw: command lines, and each message's bytes as received.
#[derive(Default, Clone, Debug)]
pub struct Seen {
    /// Connections accepted.
    pub connections: usize,
    /// Command lines, in order, across connections.
    pub lines: Vec<String>,
    /// Each message's bytes as received.
    pub messages: Vec<Vec<u8>>,
}

/// Whether the fake server saw a command line starting with `verb`.
pub fn saw(seen: &Mutex<Seen>, verb: &str) -> bool {
    seen.lock()
        .unwrap()
        .lines
        .iter()
        .any(|l| l.starts_with(verb))
}

pub const EHLO: &str = "250-fake\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000\r\n";

/// A fake server; `handler` gets each command line (upper-cased verb kept as sent) and `.`
/// at the end of each message.
pub fn fake(
    greeting: &str,
    handler: impl FnMut(&str) -> Act + Send + 'static,
) -> (SocketAddr, Server) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    (addr, fake_on(listener, greeting, handler))
}

/// A fake on a listener the test bound itself (a particular address, a shared port).
pub fn fake_on(
    listener: TcpListener,
    greeting: &str,
    handler: impl FnMut(&str) -> Act + Send + 'static,
) -> Server {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let seen2 = seen.clone();
    let greeting = greeting.to_string();
    let handler = Arc::new(Mutex::new(handler));
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            seen2.lock().unwrap().connections += 1;
            serve(stream, &greeting, &handler, &seen2);
        }
    });
    Server {
        seen,
        unused_ok: AtomicBool::new(false),
    }
}

/// What a fake saw, shared with its thread; dropping it fails the test when no client
/// connected, unless [`Server::expect_unused`] was called.
pub struct Server {
    seen: Arc<Mutex<Seen>>,
    unused_ok: AtomicBool,
}

impl Server {
    /// Says that no client is expected to connect (the command must fail before that).
    pub fn expect_unused(&self) {
        self.unused_ok.store(true, Ordering::Relaxed);
    }
}

impl Deref for Server {
    type Target = Mutex<Seen>;
    fn deref(&self) -> &Mutex<Seen> {
        &self.seen
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let connections = self.seen.lock().map_or(1, |s| s.connections);
        if connections == 0 && !self.unused_ok.load(Ordering::Relaxed) && !thread::panicking() {
            panic!(
                "the fake SMTP server was never connected to (call expect_unused if that is the point)"
            );
        }
    }
}

fn serve(
    stream: TcpStream,
    greeting: &str,
    handler: &Arc<Mutex<impl FnMut(&str) -> Act>>,
    seen: &Arc<Mutex<Seen>>,
) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // Replies are written one by one: without this, Nagle's algorithm holds each behind the
    // client's delayed acknowledgement of the previous one (40 ms a reply).
    stream.set_nodelay(true).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    if writer.write_all(greeting.as_bytes()).is_err() {
        return;
    }
    let mut in_data = false;
    loop {
        let act = if in_data {
            let mut message = Vec::new();
            let mut line = Vec::new();
            loop {
                line.clear();
                if reader.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line == b".\r\n" {
                    break;
                }
                message.extend_from_slice(&line);
            }
            seen.lock().unwrap().messages.push(message);
            in_data = false;
            (handler.lock().unwrap())(".")
        } else {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end().to_string();
            seen.lock().unwrap().lines.push(line.clone());
            let act = (handler.lock().unwrap())(&line);
            if line == "DATA" && matches!(&act, Act::Send(t) if t.concat().starts_with("354")) {
                in_data = true;
            }
            act
        };
        match act {
            Act::Send(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        thread::sleep(Duration::from_millis(30));
                    }
                    if writer.write_all(part.as_bytes()).is_err() {
                        return;
                    }
                    let _ = writer.flush();
                }
                if parts.concat().starts_with("221") || parts.concat().starts_with("421") {
                    return;
                }
            }
            Act::Close => return,
            Act::CloseAfterDataBytes(n) => {
                let _ = writer.write_all(b"354 go ahead\r\n");
                let mut buf = vec![0; n];
                let _ = std::io::Read::read_exact(&mut reader, &mut buf);
                return;
            }
        }
    }
}

/// A well-behaved server answering everything positively, except per `rcpt` for recipients.
pub fn standard(line: &str) -> Act {
    let verb = line
        .split([' ', ':'])
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    match verb.as_str() {
        "EHLO" => send(EHLO),
        "MAIL" | "RCPT" | "RSET" => send("250 2.1.0 ok\r\n"),
        "DATA" => send("354 go ahead\r\n"),
        "." => send("250 2.0.0 queued\r\n"),
        "QUIT" => send("221 bye\r\n"),
        _ => send("502 what\r\n"),
    }
}
