//! The POP3 listener's session (RFC 1939 with CAPA, UIDL, TOP, PIPELINING and RESP-CODES of
//! RFC 2449, STLS of RFC 2595, AUTH PLAIN of RFC 5034), over the store's Maildirs: the user is
//! the mailbox address. The mailbox is locked for the session (RFC 1939 §4) and deletions take
//! effect at QUIT only.

use std::{
    fs::File,
    io::{self, BufRead, BufReader},
    path::PathBuf,
};

use super::{
    Shared,
    auth::decode_plain,
    store::Entry,
    tls::Upgrade,
    wire::{Line, Wire},
};

/// Longest command line (RFC 2449 §4: 255 octets; AUTH responses may be longer).
const COMMAND_LINE: usize = 8192;
/// Errors before the server gives up on a client.
const MAX_ERRORS: u32 = 20;

struct Session<'a, S: Upgrade> {
    wire: Wire<S>,
    shared: &'a Shared,
    user: Option<String>,
    /// The locked mailbox and its messages as of login, with their deletion marks.
    mailbox: Option<(PathBuf, Vec<(Entry, bool)>)>,
    errors: u32,
}

/// Serves one POP3 connection to its end.
pub fn serve<S: Upgrade>(stream: S, shared: &Shared) -> io::Result<()> {
    let mut session = Session {
        wire: Wire::new(stream),
        shared,
        user: None,
        mailbox: None,
        errors: 0,
    };
    let result = session.run();
    if let Some((dir, _)) = session.mailbox.take() {
        shared.unlock(&dir);
    }
    result
}

impl<S: Upgrade> Session<'_, S> {
    fn run(&mut self) -> io::Result<()> {
        self.ok(&format!(
            "POP3 server ready ({} mailkit)",
            self.shared.hostname
        ));
        loop {
            let line = match self.wire.line(COMMAND_LINE)? {
                Line::Closed => return Ok(()),
                Line::TooLong => {
                    self.err("line too long");
                    continue;
                }
                Line::Full(line) => line,
            };
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            let (verb, arg) = match line.split_once(' ') {
                Some((verb, arg)) => (verb.to_ascii_uppercase(), arg.to_string()),
                None => (line.to_ascii_uppercase(), String::new()),
            };
            if verb == "QUIT" {
                return self.quit();
            }
            if self.mailbox.is_none() {
                self.authorization(&verb, &arg)?;
            } else {
                self.transaction(&verb, &arg)?;
            }
            if self.errors >= MAX_ERRORS {
                self.wire.send(b"-ERR too many errors, closing\r\n");
                return self.wire.flush();
            }
        }
    }

    fn ok(&mut self, text: &str) {
        self.wire.send(b"+OK ");
        self.wire.send(text.as_bytes());
        self.wire.send(b"\r\n");
    }

    fn err(&mut self, text: &str) {
        self.errors += 1;
        self.wire.send(b"-ERR ");
        self.wire.send(text.as_bytes());
        self.wire.send(b"\r\n");
    }

    fn capa(&mut self) {
        self.ok("capability list follows");
        let mut lines = vec![
            "TOP",
            "UIDL",
            "PIPELINING",
            "RESP-CODES",
            "AUTH-RESP-CODE",
            "USER",
            "SASL PLAIN",
        ];
        if self.shared.tls.is_some() && !self.wire.is_tls() && self.mailbox.is_none() {
            lines.push("STLS");
        }
        lines.push("IMPLEMENTATION mailkit");
        for line in lines {
            self.wire.send(line.as_bytes());
            self.wire.send(b"\r\n");
        }
        self.wire.send(b".\r\n");
    }

    fn authorization(&mut self, verb: &str, arg: &str) -> io::Result<()> {
        match verb {
            "CAPA" => self.capa(),
            "STLS" => match self.shared.tls.clone() {
                None => self.err("STLS not offered"),
                Some(_) if self.wire.is_tls() => self.err("TLS already active"),
                Some(tls) => {
                    self.ok("begin TLS negotiation");
                    self.wire.upgrade(&tls)?;
                    self.user = None;
                }
            },
            "USER" if !arg.is_empty() => {
                self.user = Some(arg.to_string());
                self.ok("send PASS");
            }
            "PASS" => match self.user.take() {
                None => self.err("send USER first"),
                Some(user) => self.login(&user, arg),
            },
            "AUTH" if arg.is_empty() => {
                self.ok("mechanisms follow");
                self.wire.send(b"PLAIN\r\n.\r\n");
            }
            "AUTH" => {
                let (mechanism, initial) = arg.split_once(' ').unwrap_or((arg, ""));
                if !mechanism.eq_ignore_ascii_case("PLAIN") {
                    self.err("unsupported SASL mechanism");
                    return Ok(());
                }
                let response = if initial.is_empty() {
                    self.wire.send(b"+ \r\n");
                    match self.wire.line(COMMAND_LINE)? {
                        Line::Full(line) => line,
                        _ => return Err(io::ErrorKind::UnexpectedEof.into()),
                    }
                } else {
                    initial.as_bytes().to_vec()
                };
                if response.trim_ascii() == b"*" {
                    self.err("authentication cancelled");
                    return Ok(());
                }
                match decode_plain(&response) {
                    Some((user, password)) => self.login(&user, &password),
                    None => self.err("[AUTH] cannot decode the PLAIN response"),
                }
            }
            _ => self.err("command not valid before login (USER, PASS, AUTH, CAPA, STLS, QUIT)"),
        }
        Ok(())
    }

    fn login(&mut self, user: &str, password: &str) {
        if !self.shared.logins.check(user, password) {
            self.err("[AUTH] invalid user or password");
            return;
        }
        let Ok(dir) = self.shared.store.mailbox_dir(user) else {
            self.err("[AUTH] the user must be a mailbox address, such as bob@example.test");
            return;
        };
        if !self.shared.lock(&dir) {
            self.err("[IN-USE] mailbox already in use by another session");
            return;
        }
        match self.shared.store.list(&dir) {
            Ok(entries) => {
                let count = entries.len();
                self.mailbox = Some((dir, entries.into_iter().map(|e| (e, false)).collect()));
                self.ok(&format!("{user} has {count} messages"));
            }
            Err(err) => {
                self.shared.unlock(&dir);
                self.err(&format!("[SYS/TEMP] cannot read the mailbox: {err}"));
            }
        }
    }

    fn messages(&self) -> &[(Entry, bool)] {
        self.mailbox.as_ref().map_or(&[], |(_, m)| m)
    }

    /// The message numbered `arg`, if it exists and is not marked deleted.
    fn message(&mut self, arg: &str) -> Option<(u32, Entry)> {
        let number: Option<u32> = arg.split_whitespace().next().and_then(|n| n.parse().ok());
        let found = number.and_then(|n| {
            let (entry, deleted) = self.messages().get((n as usize).checked_sub(1)?)?;
            (!deleted).then(|| (n, entry.clone()))
        });
        if found.is_none() {
            self.err("no such message");
        }
        found
    }

    fn transaction(&mut self, verb: &str, arg: &str) -> io::Result<()> {
        match verb {
            "CAPA" => self.capa(),
            "NOOP" => self.ok(""),
            "STAT" => {
                let live = self.messages().iter().filter(|(_, d)| !d);
                let (count, size) = live.fold((0, 0), |(c, s), (e, _)| (c + 1, s + e.size));
                self.ok(&format!("{count} {size}"));
            }
            "LIST" | "UIDL" => {
                let uidl = verb == "UIDL";
                let show = |n: usize, e: &Entry| {
                    if uidl {
                        format!("{n} {}", e.unique())
                    } else {
                        format!("{n} {}", e.size)
                    }
                };
                if arg.is_empty() {
                    let lines: Vec<String> = (self.messages().iter().enumerate())
                        .filter(|(_, (_, d))| !d)
                        .map(|(i, (e, _))| show(i + 1, e))
                        .collect();
                    self.ok("listing follows");
                    for line in lines {
                        self.wire.send(line.as_bytes());
                        self.wire.send(b"\r\n");
                    }
                    self.wire.send(b".\r\n");
                } else if let Some((n, entry)) = self.message(arg) {
                    self.ok(&show(n as usize, &entry));
                }
            }
            "RETR" => {
                if let Some((_, entry)) = self.message(arg) {
                    self.send_message(&entry, None)?;
                }
            }
            "TOP" => {
                let lines = arg
                    .split_whitespace()
                    .nth(1)
                    .and_then(|n| n.parse::<usize>().ok());
                match lines {
                    None => self.err("syntax: TOP msg n"),
                    Some(lines) => {
                        if let Some((_, entry)) = self.message(arg) {
                            self.send_message(&entry, Some(lines))?;
                        }
                    }
                }
            }
            "DELE" => {
                if let Some((n, _)) = self.message(arg) {
                    if let Some((_, messages)) = &mut self.mailbox {
                        messages[n as usize - 1].1 = true;
                    }
                    self.ok(&format!("message {n} deleted"));
                }
            }
            "RSET" => {
                if let Some((_, messages)) = &mut self.mailbox {
                    messages.iter_mut().for_each(|m| m.1 = false);
                }
                self.ok("");
            }
            _ => self.err("unknown command"),
        }
        Ok(())
    }

    /// Sends a message dot-stuffed (RFC 1939 §3), streaming it from its file; `body_lines`
    /// limits the body for TOP.
    fn send_message(&mut self, entry: &Entry, body_lines: Option<usize>) -> io::Result<()> {
        let file = match File::open(&entry.path) {
            Ok(file) => file,
            Err(err) => {
                self.err(&format!("[SYS/TEMP] cannot read the message: {err}"));
                return Ok(());
            }
        };
        self.ok(&format!("{} octets", entry.size));
        let mut reader = BufReader::new(file);
        let mut line = Vec::new();
        let mut in_body = false;
        let mut body_sent = 0;
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            if in_body && body_lines.is_some_and(|max| body_sent >= max) {
                break;
            }
            if line.starts_with(b".") {
                self.wire.write_all(b".")?;
            }
            let content = line.strip_suffix(b"\n").unwrap_or(&line);
            let content = content.strip_suffix(b"\r").unwrap_or(content);
            self.wire.write_all(content)?;
            self.wire.write_all(b"\r\n")?;
            if in_body {
                body_sent += 1;
            } else if content.is_empty() {
                in_body = true;
            }
        }
        self.wire.write_all(b".\r\n")
    }

    /// QUIT: in the transaction state, removes the marked messages (the UPDATE state).
    fn quit(&mut self) -> io::Result<()> {
        let mut failed = 0;
        if let Some((_, messages)) = &self.mailbox {
            for (entry, _) in messages.iter().filter(|(_, d)| *d) {
                if self.shared.store.remove(entry).is_err() {
                    failed += 1;
                }
            }
        }
        if failed > 0 {
            self.err(&format!(
                "[SYS/TEMP] {failed} messages could not be removed"
            ));
        } else {
            self.ok(&format!("{} POP3 server signing off", self.shared.hostname));
        }
        self.wire.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::testing::Script;

    fn run(shared: &Shared, client: &[u8]) -> String {
        let mut session = Session {
            wire: Wire::new(Script::new(client)),
            shared,
            user: None,
            mailbox: None,
            errors: 0,
        };
        session.run().unwrap();
        if let Some((dir, _)) = session.mailbox.take() {
            shared.unlock(&dir);
        }
        String::from_utf8(session.wire.written().to_vec()).unwrap()
    }

    #[test]
    fn list_retr_top_dele_quit() {
        let (shared, _dir) = Shared::for_tests();
        let bob = shared.store.mailbox_dir("bob@x.test").unwrap();
        for body in [
            "Subject: one\r\n\r\n.dot\r\nline 2\r\n",
            "Subject: two\r\n\r\nhi\r\n",
        ] {
            let mut m = shared.store.begin().unwrap();
            m.write_all(body.as_bytes()).unwrap();
            shared.store.deliver(m, std::slice::from_ref(&bob)).unwrap();
        }
        let out = run(&shared, b"USER bob@x.test\r\nPASS any\r\nSTAT\r\nLIST\r\nRETR 1\r\nTOP 1 1\r\nDELE 2\r\nRETR 2\r\nQUIT\r\n");
        let expected = "+OK 2 50\r\n+OK listing follows\r\n1 30\r\n2 20\r\n.\r\n+OK 30 octets\r\nSubject: one\r\n\r\n..dot\r\nline 2\r\n.\r\n+OK 30 octets\r\nSubject: one\r\n\r\n..dot\r\n.\r\n+OK message 2 deleted\r\n-ERR no such message\r\n+OK mx.test POP3 server signing off\r\n";
        assert!(out.ends_with(expected), "{out}");
        assert_eq!(shared.store.list(&bob).unwrap().len(), 1);
    }

    #[test]
    fn refused_login_and_commands_out_of_state() {
        let (mut shared, _dir) = Shared::for_tests();
        shared.logins =
            super::super::auth::Logins::Users([("bob@x.test".into(), "pw".into())].into());
        let out = run(&shared, b"STAT\r\nUSER bob@x.test\r\nPASS nope\r\nAUTH PLAIN AGJvYkB4LnRlc3QAcHc=\r\nSTAT\r\nQUIT\r\n");
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[1].starts_with("-ERR command not valid before login"),
            "{out}"
        );
        assert_eq!(lines[3], "-ERR [AUTH] invalid user or password");
        assert_eq!(lines[4], "+OK bob@x.test has 0 messages");
        assert_eq!(lines[5], "+OK 0 0");
    }
}
