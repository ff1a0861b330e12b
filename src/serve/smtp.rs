//! The SMTP listener's session (RFC 5321 with PIPELINING, 8BITMIME, SMTPUTF8, SIZE,
//! ENHANCEDSTATUSCODES, STARTTLS and AUTH PLAIN/LOGIN). Strict on purpose, so clients are
//! tested against a server that says what they did wrong: bare LF, over-long lines, a message
//! over SIZE and commands out of order each get their RFC reply.

use std::{
    io::{self, Write},
    path::PathBuf,
    sync::atomic::Ordering,
};

use super::{
    Shared,
    auth::{decode_plain, decode_text},
    faults::{Action, Stage},
    store::Incoming,
    tls::Upgrade,
    wire::{Line, Wire},
};

/// Longest command line accepted, CRLF included. RFC 5321 §4.5.3.1.4 says 512 for the
/// command alone; extensions (RFC 1869 §3 parameters, RFC 4954 AUTH responses) may add more.
const COMMAND_LINE: usize = 2048;
/// Longest message line, CRLF included (RFC 5321 §4.5.3.1.6).
const TEXT_LINE: usize = 1000;
/// Recipients per message (RFC 5321 §4.5.3.1.8 asks for at least 100).
const MAX_RCPTS: usize = 100;
/// Errors before the server gives up on a client.
const MAX_ERRORS: u32 = 20;

/// The envelope of the transaction in progress.
#[derive(Default)]
struct Transaction {
    sender: Option<String>,
    recipients: Vec<(String, PathBuf)>,
}

struct Session<'a, S: Upgrade> {
    wire: Wire<S>,
    shared: &'a Shared,
    peer: String,
    helo: Option<String>,
    esmtp: bool,
    user: Option<String>,
    tx: Transaction,
    errors: u32,
}

/// What a command handler tells the loop.
enum Next {
    Continue,
    Close,
}

/// Serves one SMTP connection to its end.
pub fn serve<S: Upgrade>(stream: S, shared: &Shared, peer: String) -> io::Result<()> {
    let mut session = Session {
        wire: Wire::new(stream),
        shared,
        peer,
        helo: None,
        esmtp: false,
        user: None,
        tx: Transaction::default(),
        errors: 0,
    };
    session.run()
}

impl<S: Upgrade> Session<'_, S> {
    fn run(&mut self) -> io::Result<()> {
        if let Some(action) = self.fault(Stage::Greeting) {
            if action.drop {
                return Ok(());
            }
            if let Some(reply) = action.reply {
                self.reply(&reply);
                return self.wire.flush();
            }
        }
        let host = &self.shared.hostname;
        self.reply(&format!("220 {host} ESMTP mailkit"));
        loop {
            let line = match self.wire.line(COMMAND_LINE)? {
                Line::Closed => return Ok(()),
                Line::TooLong => {
                    self.error("500 5.5.2 line too long");
                    continue;
                }
                Line::Full(line) => line,
            };
            if !line.ends_with(b"\r\n") {
                self.error("500 5.5.2 bare LF in command: end lines with CRLF (RFC 5321 §2.3.8)");
                continue;
            }
            let line = String::from_utf8_lossy(&line[..line.len() - 2]).into_owned();
            let (verb, arg) = match line.split_once(' ') {
                Some((verb, arg)) => (verb.to_ascii_uppercase(), arg.trim().to_string()),
                None => (line.to_ascii_uppercase(), String::new()),
            };
            let next = match verb.as_str() {
                "EHLO" => self.hello(&arg, true),
                "HELO" => self.hello(&arg, false),
                "STARTTLS" => self.starttls()?,
                "AUTH" => self.auth(&arg)?,
                "MAIL" => self.mail(&arg),
                "RCPT" => self.rcpt(&arg),
                "DATA" => self.data()?,
                "RSET" => {
                    self.tx = Transaction::default();
                    self.reply("250 2.0.0 reset");
                    Next::Continue
                }
                "NOOP" => {
                    self.reply("250 2.0.0 ok");
                    Next::Continue
                }
                "VRFY" => {
                    self.reply("252 2.5.0 cannot verify, but will accept and try");
                    Next::Continue
                }
                "HELP" => {
                    self.reply("214 2.0.0 see RFC 5321");
                    Next::Continue
                }
                "QUIT" => {
                    self.reply(&format!("221 2.0.0 {host} closing connection"));
                    Next::Close
                }
                _ => {
                    self.error("500 5.5.2 command not recognized");
                    Next::Continue
                }
            };
            if matches!(next, Next::Close) || self.errors >= MAX_ERRORS {
                if self.errors >= MAX_ERRORS {
                    self.reply("421 4.7.0 too many errors, closing connection");
                }
                return self.wire.flush();
            }
        }
    }

    fn reply(&mut self, line: &str) {
        self.wire.send(line.as_bytes());
        self.wire.send(b"\r\n");
    }

    fn error(&mut self, line: &str) {
        self.errors += 1;
        self.reply(line);
    }

    /// Draws a fault for `stage` and sleeps its delay; the caller acts on its reply or drop.
    fn fault(&mut self, stage: Stage) -> Option<Action> {
        let action = self.shared.faults.at(stage)?;
        if !action.delay.is_zero() {
            let _ = self.wire.flush();
            std::thread::sleep(action.delay);
        }
        Some(action)
    }

    fn hello(&mut self, arg: &str, esmtp: bool) -> Next {
        if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c.is_control()) {
            self.error("501 5.5.4 syntax: EHLO domain");
            return Next::Continue;
        }
        self.tx = Transaction::default();
        self.helo = Some(arg.to_string());
        self.esmtp = esmtp;
        let host = self.shared.hostname.clone();
        if !esmtp {
            self.reply(&format!("250 {host} Hello {arg}, pleased to meet you"));
            return Next::Continue;
        }
        let mut lines = vec![
            format!("{host} Hello {arg}, pleased to meet you"),
            "PIPELINING".into(),
            format!("SIZE {}", self.shared.max_size),
            "8BITMIME".into(),
            "SMTPUTF8".into(),
            "ENHANCEDSTATUSCODES".into(),
        ];
        if self.shared.tls.is_some() && !self.wire.is_tls() {
            lines.push("STARTTLS".into());
        }
        if self.shared.smtp_auth() {
            lines.push("AUTH PLAIN LOGIN".into());
        }
        let last = lines.len() - 1;
        for (n, line) in lines.iter().enumerate() {
            let sep = if n == last { ' ' } else { '-' };
            self.reply(&format!("250{sep}{line}"));
        }
        Next::Continue
    }

    fn starttls(&mut self) -> io::Result<Next> {
        let Some(tls) = self.shared.tls.clone() else {
            self.error("502 5.5.1 STARTTLS not offered");
            return Ok(Next::Continue);
        };
        if self.wire.is_tls() {
            self.error("503 5.5.1 TLS already active");
            return Ok(Next::Continue);
        }
        self.reply("220 2.0.0 ready to start TLS");
        self.wire.upgrade(&tls)?;
        // RFC 3207 §4.2: forget everything learned before TLS.
        self.helo = None;
        self.user = None;
        self.tx = Transaction::default();
        Ok(Next::Continue)
    }

    fn auth(&mut self, arg: &str) -> io::Result<Next> {
        if !self.shared.smtp_auth() {
            self.error("502 5.5.1 AUTH not offered");
            return Ok(Next::Continue);
        }
        if self.helo.is_none() || !self.esmtp {
            self.error("503 5.5.1 send EHLO first");
            return Ok(Next::Continue);
        }
        if self.user.is_some() || self.tx.sender.is_some() {
            self.error("503 5.5.1 already authenticated or in a transaction");
            return Ok(Next::Continue);
        }
        let (mechanism, initial) = match arg.split_once(' ') {
            Some((m, i)) => (m.to_ascii_uppercase(), Some(i.trim().to_string())),
            None => (arg.to_ascii_uppercase(), None),
        };
        let credentials = match mechanism.as_str() {
            "PLAIN" => {
                let response = match initial {
                    Some(text) if text != "=" => text.into_bytes(),
                    Some(_) => Vec::new(),
                    None => match self.challenge("")? {
                        Some(line) => line,
                        None => return Ok(Next::Continue),
                    },
                };
                decode_plain(&response)
            }
            "LOGIN" => {
                let user = match initial {
                    Some(text) => Some(text.into_bytes()),
                    None => self.challenge("VXNlcm5hbWU6")?,
                };
                let Some(user) = user else {
                    return Ok(Next::Continue);
                };
                let Some(password) = self.challenge("UGFzc3dvcmQ6")? else {
                    return Ok(Next::Continue);
                };
                decode_text(&user).zip(decode_text(&password))
            }
            _ => {
                self.error("504 5.5.4 unrecognized authentication type");
                return Ok(Next::Continue);
            }
        };
        let Some((user, password)) = credentials else {
            self.error("501 5.5.2 cannot decode the response");
            return Ok(Next::Continue);
        };
        if self.shared.accept_any_auth || self.shared.logins.check(&user, &password) {
            self.user = Some(user);
            self.reply("235 2.7.0 authentication successful");
        } else {
            self.error("535 5.7.8 authentication credentials invalid");
        }
        Ok(Next::Continue)
    }

    /// Sends a 334 challenge and reads the answer; `None` when the client cancelled (`*`) or
    /// sent something unusable, already answered.
    fn challenge(&mut self, text: &str) -> io::Result<Option<Vec<u8>>> {
        self.reply(&format!("334 {text}"));
        match self.wire.line(COMMAND_LINE * 6)? {
            Line::Full(line) if line.trim_ascii() == b"*" => {
                self.error("501 5.7.0 authentication cancelled");
                Ok(None)
            }
            Line::Full(line) => Ok(Some(line.trim_ascii().to_vec())),
            Line::TooLong => {
                self.error("500 5.5.6 authentication exchange line too long");
                Ok(None)
            }
            Line::Closed => Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }

    fn mail(&mut self, arg: &str) -> Next {
        if self.helo.is_none() {
            self.error("503 5.5.1 send EHLO or HELO first");
            return Next::Continue;
        }
        if self.tx.sender.is_some() {
            self.error("503 5.5.1 nested MAIL command");
            return Next::Continue;
        }
        let Some((path, params)) = parse_path(arg, "FROM:") else {
            self.error("501 5.5.4 syntax: MAIL FROM:<address>");
            return Next::Continue;
        };
        let mut utf8 = false;
        for param in params.split_whitespace() {
            let (key, value) = param.split_once('=').unwrap_or((param, ""));
            match key.to_ascii_uppercase().as_str() {
                "SIZE" if self.esmtp => match value.parse::<u64>() {
                    Ok(size) if size > self.shared.max_size => {
                        self.error("552 5.3.4 message size exceeds fixed maximum message size");
                        return Next::Continue;
                    }
                    Ok(_) => {}
                    Err(_) => {
                        self.error("501 5.5.4 bad SIZE parameter");
                        return Next::Continue;
                    }
                },
                "BODY" if self.esmtp => {
                    if !["7BIT", "8BITMIME"].contains(&value.to_ascii_uppercase().as_str()) {
                        self.error("501 5.5.4 BODY must be 7BIT or 8BITMIME");
                        return Next::Continue;
                    }
                }
                "SMTPUTF8" if self.esmtp && value.is_empty() => utf8 = true,
                "AUTH" if self.esmtp => {}
                _ => {
                    self.error("555 5.5.4 MAIL parameter not recognized or not implemented");
                    return Next::Continue;
                }
            }
        }
        if !path.is_empty() && !valid_address(&path) {
            self.error("553 5.1.7 bad sender address syntax");
            return Next::Continue;
        }
        if !path.is_ascii() && !utf8 {
            self.error("553 5.6.7 non-ASCII address needs SMTPUTF8 (RFC 6531 §3.4)");
            return Next::Continue;
        }
        if let Some(action) = self.fault(Stage::Mail) {
            if action.drop {
                return Next::Close;
            }
            if let Some(reply) = action.reply {
                self.reply(&reply);
                return Next::Continue;
            }
        }
        self.reply(&format!("250 2.1.0 <{path}> sender ok"));
        self.tx.sender = Some(path);
        Next::Continue
    }

    fn rcpt(&mut self, arg: &str) -> Next {
        if self.tx.sender.is_none() {
            self.error("503 5.5.1 need MAIL before RCPT");
            return Next::Continue;
        }
        let Some((path, params)) = parse_path(arg, "TO:") else {
            self.error("501 5.5.4 syntax: RCPT TO:<address>");
            return Next::Continue;
        };
        if !params.trim().is_empty() {
            self.error("555 5.5.4 RCPT parameters not recognized or not implemented");
            return Next::Continue;
        }
        if self.tx.recipients.len() >= MAX_RCPTS {
            self.reply("452 4.5.3 too many recipients");
            return Next::Continue;
        }
        let dir = match self.shared.store.mailbox_dir(&path) {
            Ok(dir) if valid_address(&path) => dir,
            _ => {
                self.error("553 5.1.3 bad recipient address syntax");
                return Next::Continue;
            }
        };
        if let Some(action) = self.fault(Stage::Rcpt) {
            if action.drop {
                return Next::Close;
            }
            if let Some(reply) = action.reply {
                self.reply(&reply);
                return Next::Continue;
            }
        }
        self.reply(&format!("250 2.1.5 <{path}> recipient ok"));
        self.tx.recipients.push((path, dir));
        Next::Continue
    }

    fn data(&mut self) -> io::Result<Next> {
        if self.tx.sender.is_none() {
            self.error("503 5.5.1 need MAIL before DATA");
            return Ok(Next::Continue);
        }
        if self.tx.recipients.is_empty() {
            // RFC 2920 §3.1: DATA after only failed RCPTs fails, and the text that follows
            // (pipelined) is then read as commands and refused one by one.
            self.error("554 5.5.1 no valid recipients");
            return Ok(Next::Continue);
        }
        if self.shared.stopping.load(Ordering::SeqCst) {
            self.reply("421 4.3.2 server shutting down, try again later");
            return Ok(Next::Close);
        }
        if let Some(action) = self.fault(Stage::Data) {
            if action.drop {
                return Ok(Next::Close);
            }
            if let Some(reply) = action.reply {
                self.reply(&reply);
                self.tx = Transaction::default();
                return Ok(Next::Continue);
            }
        }
        self.reply("354 Enter mail, end with \".\" on a line by itself");
        let tx = std::mem::take(&mut self.tx);
        let mut incoming = self.shared.store.begin()?;
        incoming.write_all(self.trace_headers(&tx).as_bytes())?;
        let violation = self.read_text(&mut incoming)?;
        if let Some(reply) = violation {
            self.error(reply);
            return Ok(Next::Continue);
        }
        if let Some(action) = self.fault(Stage::Dot) {
            if let Some(reply) = action.reply {
                self.reply(&reply);
                return Ok(Next::Continue);
            }
            if action.drop {
                self.deliver(incoming, &tx)?;
                return Ok(Next::Close);
            }
        }
        match self.deliver(incoming, &tx) {
            Ok(id) => self.reply(&format!("250 2.0.0 Ok: queued as {id}")),
            Err(err) => {
                crate::output::warning(&format!("storing a message failed: {err}"));
                self.reply("451 4.3.0 local error in processing, try again later");
            }
        }
        Ok(Next::Continue)
    }

    /// Stores the message durably; counted so a clean stop waits for it.
    fn deliver(&mut self, incoming: Incoming, tx: &Transaction) -> io::Result<String> {
        let shared = self.shared;
        shared.in_flight.fetch_add(1, Ordering::SeqCst);
        let dirs: Vec<PathBuf> = tx.recipients.iter().map(|(_, d)| d.clone()).collect();
        let result = shared.store.deliver(incoming, &dirs);
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        let uids = result?;
        shared.events.notify();
        Ok(uids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(","))
    }

    /// Return-Path and Received (RFC 5321 §4.4), added at delivery like a final MTA does.
    fn trace_headers(&self, tx: &Transaction) -> String {
        let protocol = match (self.esmtp, self.wire.is_tls(), self.user.is_some()) {
            (false, _, _) => "SMTP",
            (true, false, false) => "ESMTP",
            (true, true, false) => "ESMTPS",
            (true, false, true) => "ESMTPA",
            (true, true, true) => "ESMTPSA",
        };
        let helo = self.helo.as_deref().unwrap_or("unknown");
        let for_clause = match tx.recipients.as_slice() {
            [(one, _)] => format!("\r\n\tfor <{one}>"),
            _ => String::new(),
        };
        format!(
            "Return-Path: <{}>\r\nReceived: from {helo} ({})\r\n\tby {} (mailkit) with {protocol}{for_clause};\r\n\t{}\r\n",
            tx.sender.as_deref().unwrap_or(""),
            self.peer,
            self.shared.hostname,
            mail_builder::headers::date::Date::now().to_rfc822()
        )
    }

    /// Reads the message text to the final dot, unstuffing dots (RFC 5321 §4.5.2), and writes
    /// it to `out`. Returns the reply for a violation found on the way (the text is read to
    /// its end either way, so the session stays in step).
    fn read_text(&mut self, out: &mut Incoming) -> io::Result<Option<&'static str>> {
        let mut violation = None;
        let max = self.shared.max_size;
        loop {
            let line = match self.wire.line(TEXT_LINE)? {
                Line::Closed => return Err(io::ErrorKind::UnexpectedEof.into()),
                Line::TooLong => {
                    violation.get_or_insert(
                        "500 5.5.6 message line longer than 1000 octets (RFC 5321 §4.5.3.1.6)",
                    );
                    continue;
                }
                Line::Full(line) => line,
            };
            if line == b".\r\n" {
                return Ok(violation);
            }
            if !line.ends_with(b"\r\n") || line[..line.len() - 2].contains(&b'\r') {
                violation.get_or_insert(
                    "550 5.6.0 bare LF or CR in message text: end lines with CRLF (RFC 5321 §2.3.8)",
                );
                continue;
            }
            if violation.is_some() {
                continue;
            }
            let text = line.strip_prefix(b".").unwrap_or(&line);
            if out.size() + text.len() as u64 > max {
                violation = Some("552 5.3.4 message size exceeds fixed maximum message size");
                continue;
            }
            out.write_all(text)?;
        }
    }
}

/// Splits `FROM:<path> params` (the keyword already matched case-insensitively; a space after
/// the colon, as in the textbook dialogue, is tolerated).
fn parse_path(arg: &str, keyword: &str) -> Option<(String, String)> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    let path = &rest[..end];
    // A source route (RFC 5321 §4.1.2 `@a,@b:`) is ignored, as the RFC allows.
    let path = path
        .rsplit_once(':')
        .filter(|_| path.starts_with('@'))
        .map_or(path, |(_, p)| p);
    Some((path.to_string(), rest[end + 1..].to_string()))
}

/// A mailbox `local@domain` without spaces, brackets or control characters.
fn valid_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && address.len() <= 254
        && !address.chars().any(|c| {
            c.is_control()
                || c.is_whitespace()
                || ("<>()[],;\\".contains(c) && !domain.starts_with('['))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Script;

    fn run(shared: &Shared, client: &[u8]) -> String {
        let mut wire_out = Vec::new();
        {
            let script = Script::new(client);
            let mut session = Session {
                wire: Wire::new(script),
                shared,
                peer: "127.0.0.1".into(),
                helo: None,
                esmtp: false,
                user: None,
                tx: Transaction::default(),
                errors: 0,
            };
            // A script that ends mid-DATA ends the session with an error, as a lost client does.
            let _ = session.run();
            session.wire.flush().unwrap();
            wire_out.extend_from_slice(session.wire.written());
        }
        String::from_utf8(wire_out).unwrap()
    }

    #[test]
    fn textbook_dialogue_delivers_with_trace_headers() {
        let (shared, _dir) = Shared::for_tests();
        let out = run(
            &shared,
            b"HELO crepes.fr\r\nMAIL FROM: <alice@crepes.fr>\r\nRCPT TO: <bob@hamburger.edu>\r\nDATA\r\nDo you like ketchup?\r\n..How about pickles?\r\n.\r\nQUIT\r\n",
        );
        let codes: Vec<&str> = out.lines().map(|l| &l[..3]).collect();
        assert_eq!(
            codes,
            ["220", "250", "250", "250", "354", "250", "221"],
            "{out}"
        );
        let bob = shared.store.mailbox_dir("bob@hamburger.edu").unwrap();
        let stored = std::fs::read_to_string(&shared.store.list(&bob).unwrap()[0].path).unwrap();
        assert!(stored.starts_with("Return-Path: <alice@crepes.fr>\r\nReceived: from crepes.fr (127.0.0.1)\r\n\tby mx.test (mailkit) with SMTP\r\n\tfor <bob@hamburger.edu>;"), "{stored}");
        assert!(
            stored.ends_with("\r\nDo you like ketchup?\r\n.How about pickles?\r\n"),
            "{stored}"
        );
    }

    #[test]
    fn strict_replies() {
        let (shared, _dir) = Shared::for_tests();
        let long = "x".repeat(1200);
        let client = format!(
            "EHLO c\rtest\r\nEHLO c.test\r\nRCPT TO:<a@b.test>\r\nMAIL FROM:<a@b.test> SIZE=999999999\r\nMAIL FROM:<a@b.test> FOO=1\r\nMAIL FROM:<a@b.test>\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<no-domain>\r\nDATA\r\nRCPT TO:<b@b.test>\r\nDATA\r\nbare\nlf\r\n.\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<b@b.test>\r\nDATA\r\n{long}\r\n.\r\nQUIT\r\n"
        );
        let out = run(&shared, client.as_bytes());
        let codes: Vec<&str> = out
            .lines()
            .filter(|l| !l.starts_with("250-"))
            .map(|l| &l[..3])
            .collect();
        assert_eq!(
            codes,
            [
                "220", "501", "250", "503", "552", "555", "250", "503", "553", "554", "250", "354",
                "550", "250", "250", "354", "500", "221"
            ],
            "{out}"
        );
        let b = shared.store.mailbox_dir("b@b.test").unwrap();
        assert!(shared.store.list(&b).unwrap().is_empty());
    }

    #[test]
    fn pipelined_replies_come_in_one_write_and_auth_plain_works() {
        let (mut shared, _dir) = Shared::for_tests();
        shared.accept_any_auth = false;
        shared.logins =
            super::super::auth::Logins::Users([("u@x.test".into(), "pw".into())].into());
        let out = run(
            &shared,
            b"EHLO c.test\r\nAUTH PLAIN AHVAeC50ZXN0AHB3\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<b@b.test>\r\nDATA\r\n",
        );
        assert!(out.contains("250 AUTH PLAIN LOGIN\r\n"), "{out}");
        assert!(out.contains("235 2.7.0"), "{out}");
        assert!(
            out.ends_with("354 Enter mail, end with \".\" on a line by itself\r\n"),
            "{out}"
        );
    }
}
