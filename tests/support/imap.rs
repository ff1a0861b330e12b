//! A scripted IMAP server on 127.0.0.1:0 for what Dovecot will not do: renumber a folder,
//! interleave EXPUNGE/FETCH into a UID FETCH, lack UIDPLUS, cut or inflate a literal,
//! drip-feed, inject after STARTTLS, say BYE at a chosen step, never end an IDLE. It keeps a
//! log of every command line, so tests can assert on exactly what mailkit asked for, and
//! asserts when dropped that mailkit connected to it.

use std::{
    io::{BufRead, BufReader, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{Arc, Mutex},
    thread,
    time::Duration,
};

/// How the fake misbehaves; changeable between runs.
#[derive(Clone, Debug)]
pub struct Faults {
    /// Capabilities after login (IMAP4rev1 is always there).
    pub caps: Vec<&'static str>,
    /// Send `* 1 EXPUNGE`, an unsolicited FETCH and EXISTS between the responses of a body
    /// UID FETCH.
    pub interleave: bool,
    /// Close after this many bytes of the body of this UID.
    pub cut_body: Option<(u32, usize)>,
    /// Announce this literal size for bodies (and send nothing of it).
    pub huge_literal: Option<u64>,
    /// Send the greeting one byte at a time with this pause.
    pub drip: Option<Duration>,
    /// After STARTTLS's OK, send these bytes in the same write.
    pub starttls_inject: Option<Vec<u8>>,
    /// Send `* BYE` and close on the first command starting with this (after the tag).
    pub bye_at: Option<String>,
    /// In IDLE, never answer DONE.
    pub idle_never_ends: bool,
    /// Stop answering on the first command starting with this (the test then kills mailkit).
    pub stall_at: Option<String>,
    /// Before the bodies asked for, send the body of UID 999 (never asked for), this long.
    pub unasked_body: Option<usize>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            caps: vec!["UIDPLUS", "MOVE", "IDLE"],
            interleave: false,
            cut_body: None,
            huge_literal: None,
            drip: None,
            starttls_inject: None,
            bye_at: None,
            idle_never_ends: false,
            stall_at: None,
            unasked_body: None,
        }
    }
}

/// One message of the fake folder.
#[derive(Clone, Debug)]
pub struct Message {
    /// Its UID.
    pub uid: u32,
    /// Its flags.
    pub flags: Vec<String>,
    /// Its bytes (CRLF line ends).
    pub body: Vec<u8>,
}

/// State shared between the test and the server threads.
#[derive(Debug)]
pub struct Shared {
    /// The INBOX.
    pub inbox: Vec<Message>,
    /// Messages moved or copied elsewhere, by folder.
    pub elsewhere: Vec<(String, Message)>,
    /// The INBOX's UIDVALIDITY.
    pub uid_validity: u32,
    /// Every command line received, in order, across sessions (tags stripped).
    pub log: Vec<String>,
    /// The misbehaviour.
    pub faults: Faults,
    /// Connections accepted.
    pub connections: usize,
}

/// A running fake server.
pub struct Fake {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its state.
    pub shared: Arc<Mutex<Shared>>,
}

/// A message with this Message-ID and a body of `size` x's, CRLF line ends.
pub fn message(uid: u32, message_id: &str, size: usize) -> Message {
    let mut body =
        format!("Message-ID: <{message_id}>\r\nSubject: {message_id}\r\n\r\n").into_bytes();
    body.extend(std::iter::repeat_n(b'x', size));
    body.extend_from_slice(b"\r\n");
    Message {
        uid,
        flags: Vec::new(),
        body,
    }
}

impl Fake {
    /// Starts a fake holding `inbox`.
    pub fn start(inbox: Vec<Message>, uid_validity: u32, faults: Faults) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Mutex::new(Shared {
            inbox,
            elsewhere: Vec::new(),
            uid_validity,
            log: Vec::new(),
            faults,
            connections: 0,
        }));
        let for_thread = shared.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let shared = for_thread.clone();
                thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        Fake { addr, shared }
    }

    /// `127.0.0.1:port`.
    pub fn server(&self) -> String {
        self.addr.to_string()
    }

    /// The logged commands.
    pub fn log(&self) -> Vec<String> {
        self.shared.lock().unwrap().log.clone()
    }

    /// The UIDs in the INBOX.
    pub fn uids(&self) -> Vec<u32> {
        self.shared
            .lock()
            .unwrap()
            .inbox
            .iter()
            .map(|m| m.uid)
            .collect()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        if !thread::panicking() {
            let connections = self.shared.lock().map(|s| s.connections).unwrap_or(1);
            assert!(
                connections > 0,
                "the fake IMAP server was never connected to"
            );
        }
    }
}

fn parse_set(set: &str, max: u32) -> Vec<(u32, u32)> {
    set.split(',')
        .map(|part| {
            let num = |s: &str| if s == "*" { max } else { s.parse().unwrap() };
            match part.split_once(':') {
                Some((a, b)) => {
                    let (a, b) = (num(a), num(b));
                    (a.min(b), a.max(b))
                }
                None => (num(part), num(part)),
            }
        })
        .collect()
}

fn in_set(uid: u32, set: &[(u32, u32)]) -> bool {
    set.iter().any(|&(a, b)| a <= uid && uid <= b)
}

fn serve(mut stream: TcpStream, shared: &Arc<Mutex<Shared>>) -> std::io::Result<()> {
    let faults = {
        let mut s = shared.lock().unwrap();
        s.connections += 1;
        s.faults.clone()
    };
    let greeting = b"* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] fake ready\r\n";
    match faults.drip {
        Some(pause) => {
            for byte in greeting {
                stream.write_all(&[*byte])?;
                thread::sleep(pause);
            }
        }
        None => stream.write_all(greeting)?,
    }
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let text = line.trim_end().to_string();
        let (tag, command) = text.split_once(' ').unwrap_or((&text, ""));
        let upper = command.to_ascii_uppercase();
        shared.lock().unwrap().log.push(command.to_string());
        if let Some(step) = &faults.bye_at
            && upper.starts_with(step.as_str())
        {
            stream.write_all(b"* BYE going away\r\n")?;
            return Ok(());
        }
        if let Some(step) = &faults.stall_at
            && upper.starts_with(step.as_str())
        {
            thread::sleep(Duration::from_secs(3600));
        }
        let ok =
            |s: &mut TcpStream, text: &str| s.write_all(format!("{tag} OK {text}\r\n").as_bytes());
        if upper.starts_with("CAPABILITY") {
            let caps = faults.caps.join(" ");
            stream.write_all(format!("* CAPABILITY IMAP4rev1 {caps}\r\n").as_bytes())?;
            ok(&mut stream, "done")?;
        } else if upper.starts_with("STARTTLS") {
            let mut reply = format!("{tag} OK begin TLS\r\n").into_bytes();
            if let Some(inject) = &faults.starttls_inject {
                reply.extend_from_slice(inject);
            }
            stream.write_all(&reply)?;
            return Ok(());
        } else if upper.starts_with("AUTHENTICATE") {
            stream.write_all(b"+ \r\n")?;
            let mut response = String::new();
            reader.read_line(&mut response)?;
            let caps = faults.caps.join(" ");
            ok(
                &mut stream,
                &format!("[CAPABILITY IMAP4rev1 {caps}] logged in"),
            )?;
        } else if upper.starts_with("LOGIN") {
            let caps = faults.caps.join(" ");
            ok(
                &mut stream,
                &format!("[CAPABILITY IMAP4rev1 {caps}] logged in"),
            )?;
        } else if upper.starts_with("SELECT") || upper.starts_with("EXAMINE") {
            let s = shared.lock().unwrap();
            let next = s.inbox.iter().map(|m| m.uid).max().unwrap_or(0) + 1;
            let reply = format!(
                "* {} EXISTS\r\n* OK [UIDVALIDITY {}] v\r\n* OK [UIDNEXT {next}] n\r\n",
                s.inbox.len(),
                s.uid_validity
            );
            drop(s);
            stream.write_all(reply.as_bytes())?;
            ok(&mut stream, "[READ-WRITE] selected")?;
        } else if upper.starts_with("LIST") {
            stream.write_all(b"* LIST () \"/\" INBOX\r\n* LIST (\\Trash) \"/\" Trash\r\n")?;
            ok(&mut stream, "listed")?;
        } else if upper.starts_with("UID FETCH") {
            uid_fetch(&mut stream, shared, &faults, tag, command)?;
        } else if upper.starts_with("UID STORE") {
            let set = command.split(' ').nth(2).unwrap_or("");
            let mut s = shared.lock().unwrap();
            let max = s.inbox.iter().map(|m| m.uid).max().unwrap_or(0);
            let set = parse_set(set, max);
            let flag = if upper.contains("DELETED") {
                "\\Deleted"
            } else {
                "\\Seen"
            };
            for m in s.inbox.iter_mut().filter(|m| in_set(m.uid, &set)) {
                m.flags.push(flag.to_string());
            }
            drop(s);
            ok(&mut stream, "stored")?;
        } else if upper.starts_with("UID EXPUNGE") || upper == "EXPUNGE" {
            let mut s = shared.lock().unwrap();
            let max = s.inbox.iter().map(|m| m.uid).max().unwrap_or(0);
            let set = if upper == "EXPUNGE" {
                vec![(1, u32::MAX)]
            } else {
                parse_set(command.split(' ').nth(2).unwrap_or(""), max)
            };
            let mut reply = String::new();
            let mut i = 0;
            while i < s.inbox.len() {
                let m = &s.inbox[i];
                if in_set(m.uid, &set) && m.flags.iter().any(|f| f == "\\Deleted") {
                    reply.push_str(&format!("* {} EXPUNGE\r\n", i + 1));
                    s.inbox.remove(i);
                } else {
                    i += 1;
                }
            }
            drop(s);
            stream.write_all(reply.as_bytes())?;
            ok(&mut stream, "expunged")?;
        } else if upper.starts_with("UID MOVE") || upper.starts_with("UID COPY") {
            let mut parts = command.split(' ');
            let set = parts.nth(2).unwrap_or("");
            let folder = parts.next().unwrap_or("").trim_matches('"').to_string();
            let mut s = shared.lock().unwrap();
            let max = s.inbox.iter().map(|m| m.uid).max().unwrap_or(0);
            let set = parse_set(set, max);
            let chosen: Vec<Message> = s
                .inbox
                .iter()
                .filter(|m| in_set(m.uid, &set))
                .cloned()
                .collect();
            for m in chosen {
                s.elsewhere.push((folder.clone(), m));
            }
            if upper.starts_with("UID MOVE") {
                s.inbox.retain(|m| !in_set(m.uid, &set));
            }
            drop(s);
            ok(&mut stream, "done")?;
        } else if upper.starts_with("NOOP") {
            ok(&mut stream, "noop")?;
        } else if upper.starts_with("IDLE") {
            stream.write_all(b"+ idling\r\n")?;
            let mut done = String::new();
            reader.read_line(&mut done)?;
            shared.lock().unwrap().log.push(done.trim_end().to_string());
            if faults.idle_never_ends {
                thread::sleep(Duration::from_secs(3600));
            }
            ok(&mut stream, "idle done")?;
        } else if upper.starts_with("LOGOUT") {
            stream.write_all(b"* BYE bye\r\n")?;
            ok(&mut stream, "logged out")?;
            return Ok(());
        } else {
            stream.write_all(format!("{tag} BAD unknown\r\n").as_bytes())?;
        }
    }
}

fn uid_fetch(
    stream: &mut TcpStream,
    shared: &Arc<Mutex<Shared>>,
    faults: &Faults,
    tag: &str,
    command: &str,
) -> std::io::Result<()> {
    let upper = command.to_ascii_uppercase();
    let set = command.split(' ').nth(2).unwrap_or("");
    let inbox = shared.lock().unwrap().inbox.clone();
    let max = inbox.iter().map(|m| m.uid).max().unwrap_or(0);
    let set = parse_set(set, max);
    let body = upper.contains("BODY.PEEK[]");
    let mut out: Vec<u8> = Vec::new();
    if let (true, Some(size)) = (body, faults.unasked_body) {
        out.extend_from_slice(format!("* 9 FETCH (UID 999 BODY[] {{{size}}}\r\n").as_bytes());
        out.extend(std::iter::repeat_n(b'u', size));
        out.extend_from_slice(b")\r\n");
    }
    for (i, m) in inbox.iter().enumerate() {
        if !in_set(m.uid, &set) {
            continue;
        }
        let seq = i + 1;
        if !body {
            out.extend_from_slice(
                format!(
                    "* {seq} FETCH (UID {} RFC822.SIZE {} FLAGS ({}) INTERNALDATE \"01-Dec-2026 10:00:00 +0000\"",
                    m.uid,
                    m.body.len(),
                    m.flags.join(" ")
                )
                .as_bytes(),
            );
            if upper.contains("HEADER.FIELDS") {
                let header = header_of(&m.body, &["message-id:", "subject:"]);
                out.extend_from_slice(
                    format!(
                        " BODY[HEADER.FIELDS (FROM SUBJECT DATE MESSAGE-ID)] {{{}}}\r\n",
                        header.len()
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(&header);
            }
            out.extend_from_slice(b")\r\n");
            continue;
        }
        let header = header_of(&m.body, &["message-id:"]);
        out.extend_from_slice(
            format!(
                "* {seq} FETCH (UID {} BODY[HEADER.FIELDS (MESSAGE-ID)] {{{}}}\r\n",
                m.uid,
                header.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&header);
        if let Some(size) = faults.huge_literal {
            out.extend_from_slice(format!(" BODY[] {{{size}}}\r\nxxxx").as_bytes());
            stream.write_all(&out)?;
            thread::sleep(Duration::from_millis(500));
            return Ok(());
        }
        out.extend_from_slice(format!(" BODY[] {{{}}}\r\n", m.body.len()).as_bytes());
        if let Some((uid, bytes)) = faults.cut_body
            && uid == m.uid
        {
            out.extend_from_slice(&m.body[..bytes]);
            stream.write_all(&out)?;
            return stream.shutdown(std::net::Shutdown::Both);
        }
        out.extend_from_slice(&m.body);
        out.extend_from_slice(b")\r\n");
        if faults.interleave {
            out.extend_from_slice(b"* 1 EXPUNGE\r\n* 2 FETCH (FLAGS (\\Seen))\r\n* 7 EXISTS\r\n");
        }
    }
    out.extend_from_slice(format!("{tag} OK fetched\r\n").as_bytes());
    stream.write_all(&out)
}

/// The header fields of a message starting with one of `names` (lowercase, with the colon),
/// as HEADER.FIELDS returns them.
fn header_of(body: &[u8], names: &[&str]) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    for line in text.split("\r\n") {
        if line.is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if names.iter().any(|name| lower.starts_with(name)) {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    out.into_bytes()
}
