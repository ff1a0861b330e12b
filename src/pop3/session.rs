//! One POP3 session over any `Read + Write` stream: greeting, CAPA, STLS, login, the
//! transaction commands, and pipelined RETR/DELE with a bounded window.

use std::{
    collections::VecDeque,
    io::{self, Read, Write},
    time::{Duration, Instant},
};

use md5::Digest as _;

use super::{
    codec::{self, DotDecoder, Status},
    error::Pop3Error,
};
use crate::{
    maildrop::MessageSink,
    net::TlsError,
    output::{Transcript, escape_bytes, redacted},
    sasl,
    secret::Secret,
};

/// Longest status or list line accepted (RFC 2449 §4 allows 512 octets; servers exceed it in
/// greetings and SASL challenges, so leave room, but not unbounded).
pub const MAX_LINE: usize = 8 * 1024;
/// Most LIST/UIDL/CAPA lines accepted: bounds memory against a hostile server.
pub const MAX_ENTRIES: usize = 1_000_000;
/// Most bytes a CAPA reply may hold: real ones are well under 1 KiB (RFC 2449 lists a dozen
/// capabilities).
pub const CAPA_BUDGET: usize = 64 * 1024;
/// Most bytes a LIST or UIDL reply may hold, counting 32 bytes of bookkeeping per line besides
/// its text: about 200,000 messages with 40-character UIDs, while memory stays far under 64 MiB.
pub const LISTING_BUDGET: usize = 16 * 1024 * 1024;
/// Most commands in flight when pipelining.
const WINDOW_COMMANDS: usize = 64;
/// Most command bytes in flight when pipelining: far below any socket buffer, so writes never
/// block while the server is blocked writing replies we have not read yet (no deadlock).
const WINDOW_BYTES: usize = 1024;
/// The most header bytes kept per message when headers are shown (`list --headers`,
/// `fetch -i`): enough for any real header, bounded against a hostile server.
pub const HEADER_CAP: usize = 64 * 1024;
/// Read buffer size.
const READ_BUFFER: usize = 64 * 1024;

/// What the server said it supports (RFC 2449 CAPA), or nothing when it has no CAPA.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Whether CAPA answered `+OK`.
    pub known: bool,
    /// The capability lines, as sent (printable ASCII only kept).
    pub lines: Vec<String>,
}

impl Capabilities {
    fn has(&self, name: &str) -> bool {
        self.lines.iter().any(|line| {
            line.split(' ')
                .next()
                .is_some_and(|first| first.eq_ignore_ascii_case(name))
        })
    }

    /// RFC 2449 §6.6: commands may be sent without waiting for replies.
    pub fn pipelining(&self) -> bool {
        self.has("PIPELINING")
    }

    /// RFC 2595 §4: STLS is offered.
    pub fn stls(&self) -> bool {
        self.has("STLS")
    }

    /// RFC 2449 §6.5: UIDL is supported.
    pub fn uidl(&self) -> bool {
        self.has("UIDL")
    }

    /// RFC 2449 §6.8: USER/PASS is offered.
    pub fn user(&self) -> bool {
        self.has("USER")
    }

    /// RFC 2449 §6.3: the SASL mechanisms offered.
    pub fn sasl(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter_map(|line| {
                let mut words = line.split(' ');
                words
                    .next()
                    .filter(|w| w.eq_ignore_ascii_case("SASL"))
                    .map(|_| words.map(str::to_ascii_uppercase).collect::<Vec<_>>())
            })
            .flatten()
            .collect()
    }
}

/// How to log in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// SASL PLAIN if offered, else USER/PASS, else APOP.
    Auto,
    /// USER and PASS (RFC 1939 §7).
    User,
    /// APOP digest of the greeting's timestamp and the password (RFC 1939 §7).
    Apop,
    /// SASL PLAIN (RFC 5034, RFC 4616).
    Plain,
    /// SASL XOAUTH2 with an OAuth 2 bearer token (the two-step form Microsoft requires).
    Xoauth2,
}

/// What the session is doing while it reads the greeting.
const GREETING: &str = "reading the greeting";

/// A POP3 session. The stream is read through the session's own buffer, so after STLS the
/// session can tell whether the server sent anything it should not have.
pub struct Session<S: Read + Write> {
    stream: S,
    rbuf: Box<[u8]>,
    rpos: usize,
    rend: usize,
    wbuf: Vec<u8>,
    secure: bool,
    greeting: Vec<u8>,
    caps: Capabilities,
    transcript: Transcript,
    /// How long a status reply as a whole, and each line of a message body, may take.
    timeout: Duration,
    /// When the reply (or body line) being read must be complete.
    deadline: Instant,
}

impl<S: Read + Write> Session<S> {
    /// Reads the greeting. `secure` says whether the stream is already TLS; `transcript`
    /// receives the `C:`/`S:` lines when `-v` is given; `timeout` bounds every status reply
    /// as a whole (multi-line ones included) and every line of a message body.
    pub fn open(
        stream: S,
        secure: bool,
        transcript: Transcript,
        timeout: Duration,
    ) -> Result<Self, Pop3Error> {
        let mut session = Session {
            stream,
            rbuf: vec![0; READ_BUFFER].into_boxed_slice(),
            rpos: 0,
            rend: 0,
            wbuf: Vec::with_capacity(1024),
            secure,
            greeting: Vec::new(),
            caps: Capabilities::default(),
            transcript,
            timeout,
            deadline: Instant::now() + timeout,
        };
        let status = session.read_status(GREETING)?;
        session.check(&status, "greeting", false)?;
        session.greeting = status.text;
        Ok(session)
    }

    /// The capabilities learned by the last [`Session::capa`].
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Whether the stream is encrypted.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The stream, for tests that inspect what was written.
    pub fn into_inner(self) -> S {
        self.stream
    }

    /// Asks for the capabilities (RFC 2449). A server without CAPA answers `-ERR`; that is
    /// not an error, it just supports nothing optional.
    pub fn capa(&mut self) -> Result<&Capabilities, Pop3Error> {
        self.command("CAPA")?;
        let status = self.read_status("CAPA")?;
        self.caps = if status.ok {
            let mut lines = Vec::new();
            self.read_lines("CAPA", CAPA_BUDGET, |line| {
                lines.push(escape_bytes(&line));
                Ok(())
            })?;
            Capabilities { known: true, lines }
        } else {
            Capabilities::default()
        };
        Ok(&self.caps)
    }

    /// Upgrades to TLS with STLS (RFC 2595 §4). Any byte buffered after the `+OK` is an
    /// injection attempt and aborts the session; what was learned before is forgotten, so the
    /// caller must CAPA again.
    pub fn stls(
        mut self,
        upgrade: impl FnOnce(S) -> Result<S, TlsError>,
    ) -> Result<Self, Pop3Error> {
        if !self.caps.stls() {
            return Err(Pop3Error::NoStls);
        }
        self.command("STLS")?;
        let status = self.read_status("STLS")?;
        self.check(&status, "STLS", false)?;
        let pending = self.rend - self.rpos;
        if pending > 0 {
            return Err(Pop3Error::Injection(pending));
        }
        self.stream = upgrade(self.stream)?;
        self.secure = true;
        self.caps = Capabilities::default();
        Ok(self)
    }

    /// Logs in with `mechanism`. Refuses to send a password or token over a cleartext
    /// connection unless `allow_cleartext`.
    pub fn login(
        &mut self,
        mechanism: Mechanism,
        user: &str,
        secret: &Secret,
        allow_cleartext: bool,
    ) -> Result<(), Pop3Error> {
        if !self.secure && !allow_cleartext {
            return Err(Pop3Error::CleartextRefused);
        }
        let mechanism = match mechanism {
            Mechanism::Auto => self.choose_mechanism()?,
            other => other,
        };
        match mechanism {
            Mechanism::User | Mechanism::Auto => {
                self.simple(&format!("USER {user}"), &format!("USER {user}"), true)?;
                self.simple(
                    &format!("PASS {}", secret.expose()),
                    &redacted("PASS"),
                    true,
                )?;
            }
            Mechanism::Apop => {
                let stamp = apop_timestamp(&self.greeting).ok_or_else(|| {
                    Pop3Error::NoMechanism("APOP: the greeting has no <timestamp>".into())
                })?;
                let mut md5 = md5::Md5::new();
                md5.update(stamp);
                md5.update(secret.expose().as_bytes());
                let digest: String = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
                self.simple(
                    &format!("APOP {user} {digest}"),
                    &redacted(&format!("APOP {user}")),
                    true,
                )?;
            }
            Mechanism::Plain => self.sasl(sasl::Mechanism::Plain, user, secret)?,
            Mechanism::Xoauth2 => self.sasl(sasl::Mechanism::XOAuth2, user, secret)?,
        }
        Ok(())
    }

    fn choose_mechanism(&self) -> Result<Mechanism, Pop3Error> {
        if self.caps.sasl().iter().any(|m| m == "PLAIN") {
            Ok(Mechanism::Plain)
        } else if self.caps.user() || !self.caps.known {
            Ok(Mechanism::User)
        } else if apop_timestamp(&self.greeting).is_some() {
            Ok(Mechanism::Apop)
        } else {
            Err(Pop3Error::NoMechanism(format!(
                "none of SASL PLAIN, USER, APOP is offered (capabilities: {})",
                self.caps.lines.join(", ")
            )))
        }
    }

    /// RFC 5034 two-step SASL: `AUTH MECH`, a `+` continuation, the payload, then `+OK`. An
    /// XOAUTH2 failure arrives as a `+` challenge carrying a JSON error, answered with an empty
    /// line before the final `-ERR`.
    fn sasl(
        &mut self,
        mechanism: sasl::Mechanism,
        user: &str,
        secret: &Secret,
    ) -> Result<(), Pop3Error> {
        let command = format!("AUTH {}", mechanism.name());
        let mut exchange = sasl::Exchange::new(mechanism, user, secret);
        self.command(&command)?;
        let mut line = self.read_line(&command)?;
        self.log_continuation(&line);
        while is_continuation(&line) {
            let challenge = String::from_utf8_lossy(line.get(2..).unwrap_or_default());
            let answer =
                exchange
                    .answer(challenge.trim_end())
                    .map_err(|err| Pop3Error::Malformed {
                        command: command.clone(),
                        line: err.to_string(),
                    })?;
            let shown = if answer.is_empty() {
                String::new()
            } else {
                redacted("")
            };
            self.send(&answer, &shown);
            line = self.read_line(&command)?;
            self.log_continuation(&line);
        }
        let status = self.status_of(&command, &line)?;
        self.check(&status, &command, true)
    }

    /// STAT: message count and total size.
    pub fn stat(&mut self) -> Result<(u32, u64), Pop3Error> {
        let status = self.simple("STAT", "STAT", false)?;
        codec::parse_list_line(&status.text)
            .or_else(|| (status.text.starts_with(b"0 ")).then_some((0, 0)))
            .ok_or_else(|| malformed("STAT", &status.text))
    }

    /// LIST: every message's number and size, in server order.
    pub fn list(&mut self) -> Result<Vec<(u32, u64)>, Pop3Error> {
        self.simple("LIST", "LIST", false)?;
        let mut entries = Vec::new();
        self.read_lines("LIST", LISTING_BUDGET, |line| {
            entries.push(codec::parse_list_line(&line).ok_or_else(|| malformed("LIST", &line))?);
            Ok(())
        })?;
        Ok(entries)
    }

    /// UIDL: every message's number and unique id.
    pub fn uidl(&mut self) -> Result<Vec<(u32, String)>, Pop3Error> {
        self.simple("UIDL", "UIDL", false)?;
        let mut entries = Vec::new();
        self.read_lines("UIDL", LISTING_BUDGET, |line| {
            entries.push(codec::parse_uidl_line(&line).ok_or_else(|| malformed("UIDL", &line))?);
            Ok(())
        })?;
        Ok(entries)
    }

    /// TOP n 0 for each number, pipelined: the header of each message, at most `cap` bytes
    /// kept (the rest is read and dropped), CRLF turned into LF; `None` where the server
    /// refused.
    pub fn top_headers(
        &mut self,
        numbers: &[u32],
        cap: usize,
    ) -> Result<Vec<Option<Vec<u8>>>, Pop3Error> {
        let commands: Vec<String> = numbers.iter().map(|n| format!("TOP {n} 0")).collect();
        let mut headers = Vec::with_capacity(numbers.len());
        self.pipelined(&commands, |session, index| {
            let status = session.read_status(&commands[index])?;
            if !status.ok {
                headers.push(None);
                return Ok(());
            }
            let mut out = Capped {
                buf: Vec::new(),
                cap,
            };
            session.read_body(&commands[index], &mut out, true)?;
            headers.push(Some(out.buf));
            Ok(())
        })?;
        Ok(headers)
    }

    /// Retrieves `numbers` with RETR, pipelined when the server allows, streaming each body
    /// into the writer `sink.begin` returns (CRLF turned into LF when `to_lf`). A message the
    /// server refuses is passed to `sink.refused` and the others go on.
    pub fn retrieve<K: MessageSink>(
        &mut self,
        numbers: &[u32],
        to_lf: bool,
        sink: &mut K,
    ) -> Result<(), Pop3Error> {
        let commands: Vec<String> = numbers.iter().map(|n| format!("RETR {n}")).collect();
        self.pipelined(&commands, |session, index| {
            let command = &commands[index];
            let status = session.read_status(command)?;
            if !status.ok {
                return sink
                    .refused(index, &escape_bytes(&status.text))
                    .map_err(|source| local(command, source));
            }
            let mut writer = sink.begin(index).map_err(|source| local(command, source))?;
            let bytes = session.read_body(command, &mut writer, to_lf)?;
            sink.finish(index, writer, bytes)
                .map_err(|source| local(command, source))
        })
    }

    /// DELE for each number, pipelined; returns the first refusal. The caller must RSET
    /// (or drop the connection without QUIT) after a refusal so nothing is deleted.
    pub fn dele(&mut self, numbers: &[u32]) -> Result<(), Pop3Error> {
        let commands: Vec<String> = numbers.iter().map(|n| format!("DELE {n}")).collect();
        let mut first_refusal = None;
        self.pipelined(&commands, |session, index| {
            let status = session.read_status(&commands[index])?;
            if let Err(err) = session.check(&status, &commands[index], false)
                && first_refusal.is_none()
            {
                first_refusal = Some(err);
            }
            Ok(())
        })?;
        first_refusal.map_or(Ok(()), Err)
    }

    /// RSET: unmark every deletion of this session.
    pub fn rset(&mut self) -> Result<(), Pop3Error> {
        self.simple("RSET", "RSET", false).map(drop)
    }

    /// NOOP: keeps the connection alive while the user decides.
    pub fn noop(&mut self) -> Result<(), Pop3Error> {
        self.simple("NOOP", "NOOP", false).map(drop)
    }

    /// QUIT: deletions take effect now (RFC 1939 §6). An error here means they may not have.
    pub fn quit(&mut self) -> Result<(), Pop3Error> {
        self.simple("QUIT", "QUIT", false).map(drop)
    }

    /// Sends `commands` with a bounded number (and byte total) in flight and calls `reply`
    /// once per command, in order, to read its reply completely.
    fn pipelined(
        &mut self,
        commands: &[String],
        mut reply: impl FnMut(&mut Self, usize) -> Result<(), Pop3Error>,
    ) -> Result<(), Pop3Error> {
        let (max_commands, max_bytes) = if self.caps.pipelining() {
            (WINDOW_COMMANDS, WINDOW_BYTES)
        } else {
            (1, usize::MAX)
        };
        let mut in_flight: VecDeque<usize> = VecDeque::new();
        let mut bytes = 0;
        let mut next = 0;
        for done in 0..commands.len() {
            while next < commands.len() {
                let len = commands[next].len() + 2;
                let room = in_flight.is_empty()
                    || (in_flight.len() < max_commands && bytes + len <= max_bytes);
                if !room {
                    break;
                }
                self.command(&commands[next])?;
                in_flight.push_back(len);
                bytes += len;
                next += 1;
            }
            reply(self, done)?;
            bytes -= in_flight.pop_front().unwrap_or(0);
        }
        Ok(())
    }

    /// Sends a command and reads its single-line reply; `-ERR` becomes an error.
    fn simple(&mut self, line: &str, shown: &str, auth: bool) -> Result<Status, Pop3Error> {
        self.send(line, shown);
        let status = self.read_status(shown)?;
        self.check(&status, shown, auth)?;
        Ok(status)
    }

    fn check(&self, status: &Status, command: &str, auth: bool) -> Result<(), Pop3Error> {
        if status.ok {
            return Ok(());
        }
        Err(Pop3Error::Refused {
            command: command.to_string(),
            code: status.code().map(str::to_string),
            text: escape_bytes(&status.text),
            auth,
        })
    }

    fn command(&mut self, line: &str) -> Result<(), Pop3Error> {
        self.send(line, line);
        Ok(())
    }

    /// Queues a command line; it is written before the next read.
    fn send(&mut self, line: &str, shown: &str) {
        self.transcript.client("", shown.as_bytes());
        self.wbuf.extend_from_slice(line.as_bytes());
        self.wbuf.extend_from_slice(b"\r\n");
    }

    /// SASL challenges are logged as they come; status lines are logged when parsed.
    fn log_continuation(&mut self, line: &[u8]) {
        if is_continuation(line) {
            self.transcript.server("", line);
        }
    }

    fn flush(&mut self, doing: &str) -> Result<(), Pop3Error> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let result = self
            .stream
            .write_all(&self.wbuf)
            .and_then(|()| self.stream.flush());
        self.wbuf.clear();
        result.map_err(|source| network(doing, source))
    }

    /// Refills the read buffer when it is empty; false at EOF. Past the deadline, or when the
    /// socket's own timeout expires, the reply has timed out.
    fn fill(&mut self, doing: &str) -> Result<bool, Pop3Error> {
        self.flush(doing)?;
        if self.rpos < self.rend {
            return Ok(true);
        }
        loop {
            if Instant::now() >= self.deadline {
                return Err(self.timed_out(doing));
            }
            match self.stream.read(&mut self.rbuf) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.rpos = 0;
                    self.rend = n;
                    return Ok(true);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                    ) =>
                {
                    return Err(self.timed_out(doing));
                }
                Err(source) => return Err(network(doing, source)),
            }
        }
    }

    fn timed_out(&self, doing: &str) -> Pop3Error {
        Pop3Error::Timeout {
            step: if doing == GREETING {
                "the greeting".to_owned()
            } else {
                format!("the reply to {doing}")
            },
            secs: self.timeout.as_secs(),
        }
    }

    /// One reply line without its line end (CRLF, or a lenient bare LF), at most
    /// [`MAX_LINE`] bytes.
    fn read_line(&mut self, doing: &str) -> Result<Vec<u8>, Pop3Error> {
        let mut line = Vec::new();
        loop {
            if !self.fill(doing)? {
                return Err(Pop3Error::Closed {
                    doing: doing.to_string(),
                });
            }
            let available = &self.rbuf[self.rpos..self.rend];
            match memchr::memchr(b'\n', available) {
                Some(at) => {
                    line.extend_from_slice(&available[..at]);
                    self.rpos += at + 1;
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    if line.len() > MAX_LINE {
                        break;
                    }
                    return Ok(line);
                }
                None => {
                    line.extend_from_slice(available);
                    self.rpos = self.rend;
                    if line.len() > MAX_LINE {
                        break;
                    }
                }
            }
        }
        Err(Pop3Error::LineTooLong {
            command: doing.to_string(),
            max: MAX_LINE,
        })
    }

    /// Reads a status line; its reply, with the lines of a multi-line one, must be complete
    /// within the timeout from now.
    fn read_status(&mut self, doing: &str) -> Result<Status, Pop3Error> {
        self.deadline = Instant::now() + self.timeout;
        let line = self.read_line(doing)?;
        self.status_of(doing, &line)
    }

    fn status_of(&mut self, doing: &str, line: &[u8]) -> Result<Status, Pop3Error> {
        self.transcript.server("", line);
        codec::parse_status(line).ok_or_else(|| malformed(doing, line))
    }

    /// Passes each line of a multi-line reply, unstuffed, to `each`, up to the `.` line; at
    /// most [`MAX_ENTRIES`] of them, and at most `budget` bytes counting 32 per line for what
    /// the caller keeps of it: a reply over either is a protocol error, so no reply can take
    /// memory without bound.
    fn read_lines(
        &mut self,
        doing: &str,
        budget: usize,
        mut each: impl FnMut(Vec<u8>) -> Result<(), Pop3Error>,
    ) -> Result<(), Pop3Error> {
        let mut count = 0;
        let mut used = 0;
        loop {
            let line = self.read_line(doing).map_err(|err| match err {
                Pop3Error::Closed { doing } => Pop3Error::Truncated { doing },
                other => other,
            })?;
            if line == b"." {
                self.transcript.server("", b".");
                return Ok(());
            }
            if count >= MAX_ENTRIES {
                return Err(Pop3Error::TooManyLines {
                    command: doing.to_string(),
                    max: MAX_ENTRIES,
                });
            }
            used += line.len() + 32;
            if used > budget {
                return Err(Pop3Error::TooLarge {
                    command: doing.to_string(),
                    max: budget,
                });
            }
            self.transcript.server("", &line);
            let line = match line.strip_prefix(b".") {
                Some(rest) => rest.to_vec(),
                None => line,
            };
            count += 1;
            each(line)?;
        }
    }

    /// Streams a multi-line body into `out`; fails with `Truncated` at EOF before CRLF `.`
    /// CRLF. Returns the bytes written.
    fn read_body(
        &mut self,
        doing: &str,
        out: &mut impl Write,
        to_lf: bool,
    ) -> Result<u64, Pop3Error> {
        let mut decoder = DotDecoder::new(to_lf);
        while !decoder.is_done() {
            if !self.fill(doing)? {
                return Err(Pop3Error::Truncated {
                    doing: doing.to_string(),
                });
            }
            let used = decoder
                .feed(&self.rbuf[self.rpos..self.rend], out)
                .map_err(|source| local(doing, source))?;
            // A body may be large and slow: each line, not the whole, gets the timeout.
            if memchr::memchr(b'\n', &self.rbuf[self.rpos..self.rpos + used]).is_some() {
                self.deadline = Instant::now() + self.timeout;
            }
            self.rpos += used;
        }
        if self.transcript.is_on() {
            let size = format!("({} bytes)", decoder.out_bytes());
            self.transcript.server("", size.as_bytes());
        }
        self.transcript.server("", b".");
        Ok(decoder.out_bytes())
    }
}

/// A writer that keeps the first `cap` bytes and counts the rest away.
struct Capped {
    buf: Vec<u8>,
    cap: usize,
}

impl Write for Capped {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = self.cap.saturating_sub(self.buf.len());
        self.buf.extend_from_slice(&data[..room.min(data.len())]);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The `<...>` timestamp of an APOP-capable greeting (RFC 1939 §7).
fn apop_timestamp(greeting: &[u8]) -> Option<&[u8]> {
    let start = greeting.iter().position(|&b| b == b'<')?;
    let end = start + greeting[start..].iter().position(|&b| b == b'>')?;
    let stamp = &greeting[start..=end];
    stamp.contains(&b'@').then_some(stamp)
}

fn is_continuation(line: &[u8]) -> bool {
    line == b"+" || line.starts_with(b"+ ")
}

fn malformed(command: &str, line: &[u8]) -> Pop3Error {
    let mut text = escape_bytes(line);
    if text.len() > 200 {
        let mut cut = 200;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    Pop3Error::Malformed {
        command: command.to_string(),
        line: text,
    }
}

fn network(doing: &str, source: io::Error) -> Pop3Error {
    Pop3Error::Network {
        doing: doing.to_string(),
        source,
    }
}

fn local(doing: &str, source: io::Error) -> Pop3Error {
    Pop3Error::Local {
        doing: format!("saving the reply to {doing}"),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Script;
    use base64::Engine as _;

    fn open(input: &[u8], secure: bool) -> Session<Script> {
        Session::open(
            Script::new(input),
            secure,
            Transcript::off(),
            crate::testing::TIMEOUT,
        )
        .unwrap()
    }

    fn written(session: Session<Script>) -> String {
        String::from_utf8(session.into_inner().written().to_vec()).unwrap()
    }

    /// Collects messages in memory for tests.
    #[derive(Default)]
    struct Collect {
        messages: Vec<(usize, Vec<u8>)>,
        refused: Vec<usize>,
    }

    impl MessageSink for Collect {
        type Writer = Vec<u8>;
        fn begin(&mut self, _: usize) -> io::Result<Vec<u8>> {
            Ok(Vec::new())
        }
        fn finish(&mut self, index: usize, writer: Vec<u8>, bytes: u64) -> io::Result<()> {
            assert_eq!(bytes, writer.len() as u64);
            self.messages.push((index, writer));
            Ok(())
        }
        fn refused(&mut self, index: usize, _: &str) -> io::Result<()> {
            self.refused.push(index);
            Ok(())
        }
        fn abandon(&mut self, _: Vec<u8>) {}
    }

    #[test]
    fn capa_then_user_pass_with_a_redacted_transcript() {
        let (log, lines) = Transcript::captured();
        let mut s = Session::open(
            Script::new(
                b"+OK ready\r\n+OK caps\r\nUSER\r\nPIPELINING\r\nSASL PLAIN LOGIN\r\n.\r\n+OK\r\n+OK logged in\r\n",
            ),
            true,
            log,
crate::testing::TIMEOUT,
)
        .unwrap();
        let caps = s.capa().unwrap();
        assert!(caps.pipelining() && caps.user() && !caps.stls());
        assert_eq!(caps.sasl(), ["PLAIN", "LOGIN"]);
        s.login(Mechanism::User, "bob", &Secret::new("hunter2"), false)
            .unwrap();
        assert_eq!(written(s), "CAPA\r\nUSER bob\r\nPASS hunter2\r\n");
        let transcript = lines.lock().unwrap().join("\n") + "\n";
        assert!(transcript.contains("C: PASS (redacted)\n"), "{transcript}");
        assert!(transcript.contains("S: +OK ready\n"), "{transcript}");
        assert!(!transcript.contains("hunter2"), "{transcript}");
    }

    #[test]
    fn no_password_on_a_cleartext_connection_unless_allowed() {
        let mut s = open(b"+OK ready\r\n", false);
        let err = s
            .login(Mechanism::User, "bob", &Secret::new("pw"), false)
            .unwrap_err();
        assert!(matches!(err, Pop3Error::CleartextRefused));
        assert_eq!(written(s), "");
        let mut s = open(b"+OK ready\r\n+OK\r\n+OK\r\n", false);
        s.login(Mechanism::User, "bob", &Secret::new("pw"), true)
            .unwrap();
    }

    #[test]
    fn sasl_plain_and_xoauth2_two_step() {
        let mut s = open(b"+OK ready\r\n+ \r\n+OK welcome\r\n", true);
        s.login(Mechanism::Plain, "bob", &Secret::new("pw"), false)
            .unwrap();
        assert_eq!(written(s), "AUTH PLAIN\r\nAGJvYgBwdw==\r\n");

        let mut s = open(
            b"+OK ready\r\n+\r\n+ eyJzdGF0dXMiOiI0MDAifQ==\r\n-ERR [AUTH] invalid token\r\n",
            true,
        );
        let err = s
            .login(Mechanism::Xoauth2, "bob", &Secret::new("tok"), false)
            .unwrap_err();
        assert_eq!(err.kind(), crate::exit::Kind::AuthRefused);
        let w = written(s);
        let payload =
            base64::engine::general_purpose::STANDARD.encode("user=bob\x01auth=Bearer tok\x01\x01");
        assert_eq!(w, format!("AUTH XOAUTH2\r\n{payload}\r\n\r\n"));
    }

    #[test]
    fn apop_digest_follows_rfc_1939() {
        // The example of RFC 1939 §7.
        let mut s = open(
            b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n+OK maildrop has 1 message\r\n",
            true,
        );
        s.login(Mechanism::Apop, "mrose", &Secret::new("tanstaaf"), false)
            .unwrap();
        assert_eq!(
            written(s),
            "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"
        );
    }

    #[test]
    fn auto_prefers_plain_then_user() {
        let mut s = open(b"+OK\r\n+OK\r\nUSER\r\n.\r\n+OK\r\n+OK\r\n", true);
        s.capa().unwrap();
        s.login(Mechanism::Auto, "u", &Secret::new("p"), false)
            .unwrap();
        assert_eq!(written(s), "CAPA\r\nUSER u\r\nPASS p\r\n");
        let mut s = open(
            b"+OK\r\n+OK\r\nSASL PLAIN\r\nUSER\r\n.\r\n+ \r\n+OK\r\n",
            true,
        );
        s.capa().unwrap();
        s.login(Mechanism::Auto, "u", &Secret::new("p"), false)
            .unwrap();
        assert!(written(s).starts_with("CAPA\r\nAUTH PLAIN\r\n"));
    }

    #[test]
    fn stls_upgrades_and_forgets_capabilities() {
        let s = {
            let mut s = open(b"+OK\r\n+OK\r\nSTLS\r\n.\r\n+OK begin TLS\r\n", false);
            s.capa().unwrap();
            s
        };
        let mut upgraded = false;
        let s = s
            .stls(|stream| {
                upgraded = true;
                Ok(stream)
            })
            .unwrap();
        assert!(upgraded && s.is_secure());
        assert!(!s.capabilities().stls());
    }

    #[test]
    fn bytes_after_stls_ok_abort_the_session() {
        let mut s = open(
            b"+OK\r\n+OK\r\nSTLS\r\n.\r\n+OK begin TLS\r\n+OK injected\r\n",
            false,
        );
        s.capa().unwrap();
        let mut upgraded = false;
        let err = s
            .stls(|stream| {
                upgraded = true;
                Ok(stream)
            })
            .err()
            .unwrap();
        assert!(matches!(err, Pop3Error::Injection(14)), "{err}");
        assert!(!upgraded);
    }

    #[test]
    fn stls_not_offered_is_refused() {
        let mut s = open(b"+OK\r\n+OK\r\nUSER\r\n.\r\n", false);
        s.capa().unwrap();
        let err = s.stls(Ok).err().unwrap();
        assert!(matches!(err, Pop3Error::NoStls));
    }

    #[test]
    fn list_uidl_and_stat() {
        let mut s = open(
            b"+OK\r\n+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n+OK\r\n1 a1\r\n2 b2\r\n.\r\n+OK 2 320\r\n",
            true,
        );
        assert_eq!(s.list().unwrap(), [(1, 120), (2, 200)]);
        assert_eq!(s.uidl().unwrap(), [(1, "a1".into()), (2, "b2".into())]);
        assert_eq!(s.stat().unwrap(), (2, 320));
    }

    #[test]
    fn malformed_list_and_uidl_are_protocol_errors() {
        let mut s = open(b"+OK\r\n+OK\r\n1 120\r\nnonsense\r\n.\r\n", true);
        let err = s.list().unwrap_err();
        assert_eq!(err.kind(), crate::exit::Kind::Protocol);
        assert!(err.to_string().contains("nonsense"), "{err}");
        let mut s = open(b"+OK\r\n+OK\r\n1 \x1b[31mred\r\n.\r\n", true);
        let err = s.uidl().unwrap_err();
        assert!(err.to_string().contains("\\x1b"), "{err}");
    }

    #[test]
    fn overlong_lines_are_refused() {
        let mut input = b"+OK\r\n+OK\r\n1 ".to_vec();
        input.extend(std::iter::repeat_n(b'9', MAX_LINE + 10));
        input.extend_from_slice(b"\r\n.\r\n");
        let mut s = open(&input, true);
        assert!(matches!(s.list(), Err(Pop3Error::LineTooLong { .. })));
    }

    #[test]
    fn retrieve_streams_unstuffed_bodies_and_tolerates_refusals() {
        for chunk in [1, 7, usize::MAX] {
            let mut script = Script::new(
                b"+OK\r\n+OK\r\nPIPELINING\r\n.\r\n+OK 10\r\nA\r\n..dot\r\n.\r\n-ERR no such message\r\n+OK\r\nB\r\n.\r\n",
            );
            script.max_read = Some(chunk);
            let mut s =
                Session::open(script, true, Transcript::off(), crate::testing::TIMEOUT).unwrap();
            s.capa().unwrap();
            let mut sink = Collect::default();
            s.retrieve(&[1, 2, 3], true, &mut sink).unwrap();
            assert_eq!(
                sink.messages,
                [(0, b"A\n.dot\n".to_vec()), (2, b"B\n".to_vec())]
            );
            assert_eq!(sink.refused, [1]);
            assert_eq!(written(s), "CAPA\r\nRETR 1\r\nRETR 2\r\nRETR 3\r\n");
        }
    }

    #[test]
    fn a_body_cut_by_eof_is_truncated_not_delivered() {
        let mut s = open(b"+OK\r\n+OK\r\nA\r\nB\r\n", true);
        let mut sink = Collect::default();
        let err = s.retrieve(&[1], false, &mut sink).unwrap_err();
        assert!(matches!(err, Pop3Error::Truncated { .. }), "{err}");
        assert_eq!(err.kind(), crate::exit::Kind::Temporary);
        assert!(sink.messages.is_empty());
    }

    /// A stream that counts how many command bytes were written before each read, to check
    /// the pipelining window.
    struct Window {
        inner: Script,
        unread_commands: usize,
        max_in_flight: usize,
    }

    impl Read for Window {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.max_in_flight = self.max_in_flight.max(self.unread_commands);
            // The server answers one command per read.
            let limit = buf.len().min(5);
            let n = self.inner.read(&mut buf[..limit])?;
            // A read that ends a line consumed a whole reply (the replies are CRLF-ended).
            if buf[..n].ends_with(b"\n") {
                self.unread_commands = self.unread_commands.saturating_sub(1);
            }
            Ok(n)
        }
    }

    impl Write for Window {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.unread_commands += buf.iter().filter(|&&b| b == b'\n').count();
            self.inner.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn pipelining_keeps_a_bounded_window() {
        let n = 500;
        let mut input = b"+OK\r\n+OK\r\nPIPELINING\r\n.\r\n".to_vec();
        for _ in 0..n {
            input.extend_from_slice(b"+OK\r\n");
        }
        let stream = Window {
            inner: Script::new(&input),
            unread_commands: 0,
            max_in_flight: 0,
        };
        let mut s =
            Session::open(stream, true, Transcript::off(), crate::testing::TIMEOUT).unwrap();
        s.capa().unwrap();
        let numbers: Vec<u32> = (1..=n).collect();
        s.dele(&numbers).unwrap();
        let stream = s.into_inner();
        assert!(stream.max_in_flight > 1, "{}", stream.max_in_flight);
        assert!(stream.max_in_flight <= WINDOW_COMMANDS);
        let written = stream.inner.written();
        assert!(written.ends_with(b"DELE 500\r\n"));
    }

    #[test]
    fn dele_reports_the_first_refusal_after_reading_every_reply() {
        let mut s = open(
            b"+OK\r\n+OK\r\n-ERR [SYS/TEMP] busy\r\n+OK\r\n+OK\r\n",
            true,
        );
        let err = s.dele(&[1, 2, 3]).unwrap_err();
        assert_eq!(err.kind(), crate::exit::Kind::Temporary);
        s.rset().unwrap();
        assert_eq!(written(s), "DELE 1\r\nDELE 2\r\nDELE 3\r\nRSET\r\n");
    }

    #[test]
    fn greeting_errors_and_garbage() {
        let err = Session::open(
            Script::new(b"-ERR [IN-USE] busy\r\n"),
            true,
            Transcript::off(),
            crate::testing::TIMEOUT,
        )
        .err()
        .unwrap();
        assert_eq!(err.kind(), crate::exit::Kind::Temporary);
        let err = Session::open(
            Script::new(b"HTTP/1.1 400\r\n"),
            true,
            Transcript::off(),
            crate::testing::TIMEOUT,
        )
        .err()
        .unwrap();
        assert_eq!(err.kind(), crate::exit::Kind::Protocol);
        let err = Session::open(
            Script::new(b""),
            true,
            Transcript::off(),
            crate::testing::TIMEOUT,
        )
        .err()
        .unwrap();
        assert!(matches!(err, Pop3Error::Closed { .. }));
    }

    #[test]
    fn top_headers_are_capped() {
        let mut s = open(
            b"+OK\r\n+OK\r\nSubject: hello\r\nX: y\r\n.\r\n-ERR\r\n",
            true,
        );
        let headers = s.top_headers(&[1, 2], 10).unwrap();
        assert_eq!(headers, [Some(b"Subject: h".to_vec()), None]);
    }
}
