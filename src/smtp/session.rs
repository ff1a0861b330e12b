//! One SMTP connection, generic over its stream so unit tests drive it from a script:
//! greeting, EHLO, STARTTLS, AUTH, mail transactions (pipelined when offered), QUIT.

use std::{
    collections::VecDeque,
    io::{BufReader, ErrorKind, Read, Write},
    time::{Duration, Instant},
};

use super::{
    Capabilities, Credentials, Dsn, Envelope, Mechanism, RcptOutcome, SmtpError, Status,
    command::{Command, xtext},
    data::Payload,
    reply::{Reply, read_reply},
};
use crate::{output::Transcript, sasl};

/// The result of several mail transactions on one connection.
#[derive(Debug)]
pub struct Batch {
    /// One entry per transaction attempted, in order; each has one outcome per recipient.
    pub transactions: Vec<Vec<RcptOutcome>>,
    /// Set when the session died; the transactions after those reported were not attempted.
    pub fatal: Option<SmtpError>,
}

/// The result of one mail transaction: each recipient's fate, in envelope order, and, when the
/// connection cannot be used any more, why.
#[derive(Debug)]
pub struct Transaction {
    /// One outcome per envelope recipient.
    pub recipients: Vec<RcptOutcome>,
    /// Set when the session is dead (connection lost, 421, protocol error); the caller must
    /// drop it rather than send another transaction.
    pub fatal: Option<SmtpError>,
}

/// An SMTP client session. Reads go through a buffer, which is what makes the STARTTLS
/// injection check possible: anything buffered when the server says `220` to STARTTLS was sent
/// before the handshake.
pub struct Session<S: Read + Write> {
    io: BufReader<S>,
    caps: Capabilities,
    tls: bool,
    transcript: Transcript,
    out: Vec<u8>,
    /// How long a whole reply may take, from the moment it is awaited.
    timeout: Duration,
    /// The replies due, oldest first, named for a timeout message (pipelining sends several
    /// commands before reading): what is awaited and the command's verb, joined only when a
    /// timeout needs the text (not a few allocations per message of a long run).
    awaiting: VecDeque<(&'static str, &'static str)>,
}

impl<S: Read + Write> Session<S> {
    /// Starts a session on a connected stream and reads the greeting (RFC 5321 §4.3.1);
    /// `tls` says the stream is already encrypted (implicit TLS).
    /// Every reply must arrive complete within `timeout` of being awaited.
    pub fn open(
        stream: S,
        tls: bool,
        transcript: Transcript,
        timeout: Duration,
    ) -> Result<Self, SmtpError> {
        let mut session = Session {
            io: BufReader::with_capacity(16 * 1024, stream),
            caps: Capabilities::default(),
            tls,
            transcript,
            out: Vec::with_capacity(1024),
            timeout,
            awaiting: VecDeque::from([("the greeting", "")]),
        };
        let greeting = session.read()?;
        if greeting.code != 220 {
            return Err(SmtpError::Rejected {
                command: "connection greeting".into(),
                reply: greeting,
            });
        }
        Ok(session)
    }

    /// What the server said it supports in its last EHLO reply.
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Whether the stream is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The stream, for tests that inspect what was written.
    #[cfg(test)]
    fn into_inner(self) -> S {
        self.io.into_inner()
    }

    /// Introduces the client with EHLO and records the capabilities. HELO is tried only when
    /// `helo_fallback` (nothing needing extensions is required) and EHLO was refused.
    pub fn hello(&mut self, name: &str, helo_fallback: bool) -> Result<(), SmtpError> {
        let reply = self.command(&Command::Ehlo(name))?;
        if reply.is_positive() {
            self.caps = Capabilities::parse(&reply);
            return Ok(());
        }
        if reply.is_permanent() && helo_fallback {
            let reply = self.command(&Command::Helo(name))?;
            if reply.is_positive() {
                self.caps = Capabilities::default();
                return Ok(());
            }
            return Err(SmtpError::Rejected {
                command: "HELO".into(),
                reply,
            });
        }
        Err(SmtpError::Rejected {
            command: "EHLO".into(),
            reply,
        })
    }

    /// Upgrades with STARTTLS (RFC 3207). `upgrade` runs the TLS handshake on the raw stream.
    /// Bytes the server sent after its `220` and before the handshake abort the session
    /// (CVE-2021-22947), and every capability learnt in cleartext is forgotten (§4.2): the
    /// caller must EHLO again.
    pub fn starttls(
        mut self,
        upgrade: impl FnOnce(S) -> Result<S, SmtpError>,
    ) -> Result<Self, SmtpError> {
        let reply = self.command(&Command::StartTls)?;
        if reply.code != 220 {
            return Err(SmtpError::Rejected {
                command: "STARTTLS".into(),
                reply,
            });
        }
        if !self.io.buffer().is_empty() {
            return Err(SmtpError::StarttlsInjection(self.io.buffer().len()));
        }
        let stream = upgrade(self.io.into_inner())?;
        Ok(Session {
            io: BufReader::with_capacity(16 * 1024, stream),
            caps: Capabilities::default(),
            tls: true,
            transcript: self.transcript,
            out: self.out,
            timeout: self.timeout,
            awaiting: VecDeque::new(),
        })
    }

    /// Authenticates (RFC 4954). Refuses before sending anything when the connection is not
    /// encrypted (unless `allow_cleartext`), or when the server offers no usable mechanism.
    pub fn auth(&mut self, creds: &Credentials, allow_cleartext: bool) -> Result<(), SmtpError> {
        if !self.tls && !allow_cleartext {
            return Err(SmtpError::CleartextAuth);
        }
        if self.caps.auth.is_empty() {
            return Err(SmtpError::AuthNotOffered);
        }
        let offered = |m: Mechanism| self.caps.auth.iter().any(|a| a == m.name());
        let mechanism = match creds.mechanism {
            Some(m) if offered(m) => m,
            Some(m) => {
                return Err(SmtpError::NoMechanism(format!(
                    "{} not offered (server offers {})",
                    m.name(),
                    self.caps.auth.join(" ")
                )));
            }
            None => [Mechanism::Plain, Mechanism::Login]
                .into_iter()
                .find(|&m| offered(m))
                .ok_or_else(|| {
                    SmtpError::NoMechanism(format!(
                        "server offers only {}",
                        self.caps.auth.join(" ")
                    ))
                })?,
        };
        let mut exchange = sasl::Exchange::new(mechanism, &creds.user, &creds.secret);
        let initial = exchange.initial_response();
        let mut reply = self.command(&Command::Auth {
            mechanism: mechanism.name(),
            initial: initial.as_deref(),
        })?;
        while reply.code == 334 {
            // An XOAUTH2 failure comes as a 334 with an error document; an empty line ends it.
            let challenge = reply.lines.first().map_or("", String::as_str);
            let answer = exchange
                .answer(challenge)
                .map_err(|err| SmtpError::Malformed(err.to_string()))?;
            reply = self.command(&Command::AuthResponse(&answer))?;
        }
        match reply.code {
            235 => Ok(()),
            _ if reply.is_transient() => Err(SmtpError::Rejected {
                command: format!("AUTH {}", mechanism.name()),
                reply,
            }),
            _ => Err(SmtpError::AuthFailed(reply)),
        }
    }

    /// Runs one mail transaction for `envelope` (see [`Session::send_all`]).
    pub fn send(&mut self, envelope: &Envelope, payload: &Payload) -> Transaction {
        let mut batch = self.send_all(&[(envelope, payload)]);
        let recipients = batch.transactions.pop().unwrap_or_else(|| {
            let outcome = match &batch.fatal {
                Some(err) => RcptOutcome::from_error(err),
                None => RcptOutcome::new(Status::Deferred, "not attempted".into()),
            };
            vec![outcome; envelope.recipients.len()]
        });
        Transaction {
            recipients,
            fatal: batch.fatal,
        }
    }

    /// Runs one mail transaction per item over this connection. With PIPELINING (RFC 2920)
    /// MAIL, every RCPT and DATA go out in one write, and a message's content travels in the
    /// same write as the next transaction's commands (§3.1 allows content first in a group),
    /// so each message costs one round trip. Per-recipient refusals are outcomes, not errors;
    /// only a dead connection sets [`Batch::fatal`], and then the transactions after the last
    /// one reported were not attempted. A transaction that delivered nothing is followed by
    /// RSET.
    pub fn send_all(&mut self, items: &[(&Envelope, &Payload)]) -> Batch {
        self.send_all_observed(items, &mut |_| {})
    }

    /// [`Session::send_all`], calling `sending(i)` just before the content of item `i` is
    /// handed to the connection: from then until its reply, a lost connection leaves the
    /// message's fate unknown, and a queue records that before the bytes leave.
    pub fn send_all_observed(
        &mut self,
        items: &[(&Envelope, &Payload)],
        sending: &mut dyn FnMut(usize),
    ) -> Batch {
        if self.caps.pipelining {
            return self.send_pipelined(items, sending);
        }
        let mut transactions = Vec::with_capacity(items.len());
        for (item, (envelope, payload)) in items.iter().enumerate() {
            let count = envelope.recipients.len();
            let (mail_params, rcpt_params, refused) = self.prepare(envelope, payload);
            if let Some(reason) = refused {
                transactions.push(vec![RcptOutcome::refused(reason); count]);
                continue;
            }
            let mail = Command::Mail {
                from: &envelope.from,
                params: &mail_params,
            };
            let rcpts = rcpt_commands(envelope, &rcpt_params);
            let Transaction { recipients, fatal } =
                self.transact(&mail, &rcpts, payload, &mut |_| sending(item));
            let delivered = recipients.iter().any(|o| o.status == Status::Accepted);
            transactions.push(recipients);
            let fatal = match fatal {
                None if !delivered => self.rset().err(),
                fatal => fatal,
            };
            if fatal.is_some() {
                return Batch {
                    transactions,
                    fatal,
                };
            }
        }
        Batch {
            transactions,
            fatal: None,
        }
    }

    /// The ESMTP parameters for a transaction, and why mailkit refuses it before asking, if
    /// it does.
    fn prepare(
        &self,
        envelope: &Envelope,
        payload: &Payload,
    ) -> (Vec<String>, Vec<String>, Option<String>) {
        let smtputf8 =
            !envelope.from.is_ascii() || envelope.recipients.iter().any(|r| !r.is_ascii());
        (
            self.mail_params(payload, smtputf8, &envelope.dsn),
            self.rcpt_params(&envelope.dsn),
            self.refuse_early(payload, smtputf8),
        )
    }

    fn send_pipelined(
        &mut self,
        items: &[(&Envelope, &Payload)],
        sending: &mut dyn FnMut(usize),
    ) -> Batch {
        let mut done: Vec<Vec<RcptOutcome>> = Vec::with_capacity(items.len());
        // Content still to send: the transaction it belongs to (None for the empty message
        // that ends a DATA accepted without recipients) and its bytes.
        let mut content: Option<(Option<usize>, &[u8])> = None;
        let mut rset = false;
        for (envelope, payload) in items {
            let count = envelope.recipients.len();
            let (mail_params, rcpt_params, refused) = self.prepare(envelope, payload);
            if let Some(reason) = refused {
                done.push(vec![RcptOutcome::refused(reason); count]);
                continue;
            }
            let mut commands = Vec::with_capacity(count + 3);
            if rset {
                commands.push(Command::Rset);
            }
            commands.push(Command::Mail {
                from: &envelope.from,
                params: &mail_params,
            });
            commands.extend(rcpt_commands(envelope, &rcpt_params));
            commands.push(Command::Data);
            let lost = |err: SmtpError, done: &mut Vec<Vec<RcptOutcome>>| {
                done.push(vec![RcptOutcome::from_error(&err); count]);
                Batch {
                    transactions: std::mem::take(done),
                    fatal: Some(err),
                }
            };
            if let Err(err) = self.finish_content(content.take(), &commands, &mut done, sending) {
                return lost(err, &mut done);
            }
            if rset && let Err(err) = self.rset_reply() {
                return lost(err, &mut done);
            }
            let replies = (0..count + 2)
                .map(|_| self.read_checked())
                .collect::<Result<Vec<Reply>, SmtpError>>();
            let replies = match replies {
                Ok(replies) => replies,
                Err(err) => return lost(err, &mut done),
            };
            let mail_reply = &replies[0];
            let data_reply = &replies[count + 1];
            let mut outcomes: Vec<RcptOutcome> = replies[1..=count]
                .iter()
                .map(|reply| {
                    RcptOutcome::from_reply(if mail_reply.is_positive() {
                        reply
                    } else {
                        mail_reply
                    })
                })
                .collect();
            let any_accepted = outcomes.iter().any(|o| o.status == Status::Accepted);
            rset = !any_accepted || data_reply.code != 354;
            if data_reply.code == 354 {
                // RFC 2920 §3.1: a 354 with no valid recipient gets an empty message, which
                // the server must then refuse.
                content = Some(if any_accepted {
                    (Some(done.len()), &payload.wire[..])
                } else {
                    (None, &b".\r\n"[..])
                });
            } else {
                for outcome in outcomes.iter_mut().filter(|o| o.status == Status::Accepted) {
                    *outcome = RcptOutcome::from_reply(data_reply);
                }
            }
            done.push(outcomes);
        }
        let trailer: &[Command<'_>] = if rset { &[Command::Rset] } else { &[] };
        let mut fatal = None;
        if content.is_some() || rset {
            let finished = self.finish_content(content.take(), trailer, &mut done, sending);
            fatal = finished
                .and_then(|()| if rset { self.rset_reply() } else { Ok(()) })
                .err();
        }
        Batch {
            transactions: done,
            fatal,
        }
    }

    /// Writes the pending message content (if any) and then `commands`, in one flush, and
    /// settles the content's transaction with the final reply. Content that was handed to the
    /// connection but never answered leaves its recipients `unknown`; `sending` hears of a
    /// transaction's content just before it goes.
    fn finish_content(
        &mut self,
        content: Option<(Option<usize>, &[u8])>,
        commands: &[Command<'_>],
        done: &mut [Vec<RcptOutcome>],
        sending: &mut dyn FnMut(usize),
    ) -> Result<(), SmtpError> {
        let Some((index, bytes)) = content else {
            return self.write(commands);
        };
        let settle = |done: &mut [Vec<RcptOutcome>], outcome: RcptOutcome| {
            if let Some(outcomes) = index.and_then(|i| done.get_mut(i)) {
                for slot in outcomes.iter_mut().filter(|o| o.status == Status::Accepted) {
                    *slot = outcome.clone();
                }
            }
        };
        if let Some(index) = index {
            sending(index);
        }
        let note = match index {
            Some(_) => format!("({} bytes of message)\n.", bytes.len()),
            None => ".".to_string(),
        };
        let written = match self.write_after(Some((bytes, &note)), commands) {
            Err(WriteFailure::BeforeDot(err)) => {
                let err = SmtpError::Io(err);
                settle(done, RcptOutcome::from_error(&err));
                return Err(err);
            }
            Err(WriteFailure::After(err)) => Err(SmtpError::Io(err)),
            Ok(()) => Ok(()),
        };
        match written.and_then(|()| self.read_checked()) {
            Ok(reply) => {
                settle(done, RcptOutcome::from_reply(&reply));
                Ok(())
            }
            Err(SmtpError::Closing(reply)) => {
                settle(done, RcptOutcome::from_reply(&reply));
                Err(SmtpError::Closing(reply))
            }
            Err(err) => {
                let text = format!("{err}; delivery status unknown, may have been delivered");
                settle(done, RcptOutcome::new(Status::Unknown, text));
                Err(err)
            }
        }
    }

    /// Ends the session politely; errors are ignored since the work is done.
    pub fn quit(mut self) {
        if self.write(&[Command::Quit]).is_ok() {
            let _ = self.read();
        }
    }

    fn refuse_early(&self, payload: &Payload, smtputf8: bool) -> Option<String> {
        if let Some(limit) = self.caps.size
            && limit > 0
            && payload.size > limit
        {
            return Some(format!(
                "message size {} exceeds the server's limit of {limit} bytes (SIZE)",
                payload.size
            ));
        }
        if smtputf8 && !self.caps.smtputf8 {
            return Some("an address is not ASCII and the server lacks SMTPUTF8".into());
        }
        if payload.eight_bit && !self.caps.eight_bit_mime {
            return Some("the message has 8-bit bytes and the server lacks 8BITMIME".into());
        }
        None
    }

    fn mail_params(&self, payload: &Payload, smtputf8: bool, dsn: &Dsn) -> Vec<String> {
        let mut params = Vec::new();
        if self.caps.size.is_some() {
            params.push(format!("SIZE={}", payload.size));
        }
        if payload.eight_bit {
            params.push("BODY=8BITMIME".into());
        }
        if smtputf8 {
            params.push("SMTPUTF8".into());
        }
        if self.caps.dsn {
            if let Some(ret) = &dsn.ret {
                params.push(format!("RET={ret}"));
            }
            if let Some(envid) = &dsn.envid {
                params.push(format!("ENVID={}", xtext(envid)));
            }
        }
        params
    }

    fn rcpt_params(&self, dsn: &Dsn) -> Vec<String> {
        match &dsn.notify {
            Some(notify) if self.caps.dsn => vec![format!("NOTIFY={notify}")],
            _ => Vec::new(),
        }
    }

    /// One transaction without pipelining: each command waits for its reply. On a dead
    /// connection, the outcomes so far come with the error: recipients not yet settled are
    /// deferred, or `unknown` when the loss came after the final `.` (the server may have
    /// taken the message).
    fn transact(
        &mut self,
        mail: &Command<'_>,
        rcpts: &[Command<'_>],
        payload: &Payload,
        sending: &mut dyn FnMut(usize),
    ) -> Transaction {
        let count = rcpts.len();
        let lost = |err: SmtpError| Transaction {
            recipients: vec![RcptOutcome::from_error(&err); count],
            fatal: Some(err),
        };
        let settled = |recipients| Transaction {
            recipients,
            fatal: None,
        };
        let mail_reply = match self.command(mail) {
            Ok(reply) => reply,
            Err(err) => return lost(err),
        };
        if !mail_reply.is_positive() {
            return settled(vec![RcptOutcome::from_reply(&mail_reply); count]);
        }
        let mut outcomes = Vec::with_capacity(count);
        for rcpt in rcpts {
            match self.command(rcpt) {
                Ok(reply) => outcomes.push(RcptOutcome::from_reply(&reply)),
                Err(err) => return lost(err),
            }
        }
        if !outcomes.iter().any(|o| o.status == Status::Accepted) {
            return settled(outcomes);
        }
        let data_reply = match self.command(&Command::Data) {
            Ok(reply) => reply,
            Err(err) => return lost(err),
        };
        if data_reply.code != 354 {
            for outcome in outcomes.iter_mut().filter(|o| o.status == Status::Accepted) {
                *outcome = RcptOutcome::from_reply(&data_reply);
            }
            return settled(outcomes);
        }
        let mut done = [outcomes];
        let fatal = self
            .finish_content(Some((Some(0), &payload.wire)), &[], &mut done, sending)
            .err();
        let [recipients] = done;
        Transaction { recipients, fatal }
    }

    fn rset(&mut self) -> Result<(), SmtpError> {
        self.write(&[Command::Rset])?;
        self.rset_reply()
    }

    fn rset_reply(&mut self) -> Result<(), SmtpError> {
        let reply = self.read_checked()?;
        if reply.is_positive() {
            Ok(())
        } else {
            Err(SmtpError::Rejected {
                command: "RSET".into(),
                reply,
            })
        }
    }

    /// Reads a reply; a 421 (RFC 5321 §3.8: the server is closing) ends the session.
    fn read_checked(&mut self) -> Result<Reply, SmtpError> {
        let reply = self.read()?;
        if reply.code == 421 {
            return Err(SmtpError::Closing(reply));
        }
        Ok(reply)
    }

    fn command(&mut self, command: &Command<'_>) -> Result<Reply, SmtpError> {
        self.write(std::slice::from_ref(command))?;
        self.read_checked()
    }

    /// Writes commands in one write and flushes, logging each to the transcript.
    fn write(&mut self, commands: &[Command<'_>]) -> Result<(), SmtpError> {
        self.write_after(None, commands)
            .map_err(|failure| match failure {
                WriteFailure::BeforeDot(err) | WriteFailure::After(err) => SmtpError::Io(err),
            })
    }

    /// Writes a message's content (with its transcript note), if any, then `commands`, and
    /// flushes. Content up to [`INLINE_CONTENT`] shares one buffer with the commands, so that
    /// a message and the next transaction leave in one system call and one TCP segment (the
    /// server wakes once, not twice); larger content is written from where it lies rather
    /// than copied.
    fn write_after(
        &mut self,
        content: Option<(&[u8], &str)>,
        commands: &[Command<'_>],
    ) -> Result<(), WriteFailure> {
        self.out.clear();
        let mut unsent = 0;
        if let Some((bytes, note)) = content {
            for line in note.lines() {
                self.transcript.client(self.tls_mark(), line.as_bytes());
            }
            if bytes.len() <= INLINE_CONTENT {
                self.out.extend_from_slice(bytes);
                unsent = bytes.len();
            } else {
                self.io
                    .get_mut()
                    .write_all(bytes)
                    .map_err(WriteFailure::BeforeDot)?;
            }
            self.awaiting
                .push_back(("the reply to the message's final dot", ""));
        }
        for command in commands {
            // Formatting into a Vec cannot fail.
            let _ = write!(self.out, "{command}");
            self.awaiting.push_back(("the reply to ", command.verb()));
            if self.transcript.is_on() {
                let line = command.transcript();
                self.transcript.client(self.tls_mark(), line.as_bytes());
            }
        }
        let stream = self.io.get_mut();
        let mut sent = 0;
        while sent < self.out.len() {
            match stream.write(&self.out[sent..]) {
                Ok(0) => return Err(write_failure(sent, unsent, ErrorKind::WriteZero.into())),
                Ok(n) => sent += n,
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) => return Err(write_failure(sent, unsent, err)),
            }
        }
        stream.flush().map_err(WriteFailure::After)?;
        Ok(())
    }

    /// Reads the next reply within the reply timeout; a timeout says which reply it was.
    fn read(&mut self) -> Result<Reply, SmtpError> {
        let mark = self.tls_mark();
        let (what, verb) = self.awaiting.pop_front().unwrap_or(("a reply", ""));
        let transcript = &self.transcript;
        let deadline = Instant::now() + self.timeout;
        read_reply(&mut self.io, Some(deadline), |line| {
            transcript.server(mark, line)
        })
        .map_err(|err| match err {
            SmtpError::Io(io) if is_timeout(&io) => SmtpError::Timeout {
                secs: self.timeout.as_secs(),
                step: format!("{what}{verb}"),
            },
            other => other,
        })
    }

    fn tls_mark(&self) -> &'static str {
        if self.tls { "[tls] " } else { "" }
    }
}

/// Message content up to this size is copied next to the commands that follow it (see
/// [`Session::write_after`]); a typical message is a few KiB.
const INLINE_CONTENT: usize = 64 * 1024;

/// A failed write, and whether it failed before a message's final dot was handed over: then
/// the server cannot have accepted the message, and its recipients are deferred rather than
/// left unknown.
enum WriteFailure {
    /// Part of the content never left.
    BeforeDot(std::io::Error),
    /// The content had gone (or there was none); the commands after it failed.
    After(std::io::Error),
}

/// The failure of a write that stopped after `sent` bytes, of which the first `content` were a
/// message's content.
fn write_failure(sent: usize, content: usize, err: std::io::Error) -> WriteFailure {
    if sent < content {
        WriteFailure::BeforeDot(err)
    } else {
        WriteFailure::After(err)
    }
}

/// Whether a read failed because time ran out (the reply deadline, or the socket's timeout).
fn is_timeout(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

/// RCPT TO commands for every recipient of `envelope`, sharing `params`.
fn rcpt_commands<'a>(envelope: &'a Envelope, params: &'a [String]) -> Vec<Command<'a>> {
    envelope
        .recipients
        .iter()
        .map(|to| Command::Rcpt { to, params })
        .collect()
}

impl<S: Read + Write> std::fmt::Debug for Session<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("tls", &self.tls)
            .field("caps", &self.caps)
            .field("buffered", &self.io.buffer().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{secret::Secret, testing::Script};
    use std::sync::{Arc, Mutex};

    fn envelope(rcpts: &[&str]) -> Envelope {
        Envelope {
            from: "a@client.test".into(),
            recipients: rcpts.iter().map(|r| r.to_string()).collect(),
            dsn: Dsn::default(),
        }
    }

    fn transcript() -> (Arc<Mutex<Vec<String>>>, Transcript) {
        let (log, lines) = Transcript::captured();
        (lines, log)
    }

    fn written(session: Session<Script>) -> String {
        String::from_utf8_lossy(session.into_inner().written()).into_owned()
    }

    #[test]
    fn ehlo_records_capabilities() {
        let mut s = Session::open(
            Script::new(b"220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250-DSN\r\n250 SMTPUTF8\r\n"),
            false,
            Transcript::off(),
crate::testing::TIMEOUT,
)
        .unwrap();
        s.hello("client.test", false).unwrap();
        let caps = s.capabilities().clone();
        assert!(caps.pipelining && caps.eight_bit_mime && caps.smtputf8 && caps.dsn);
        assert_eq!(caps.size, Some(1000));
        assert_eq!(caps.auth, ["PLAIN", "LOGIN"]);
        assert!(!caps.starttls);
        assert_eq!(written(s), "EHLO client.test\r\n");
    }

    #[test]
    fn helo_only_when_allowed() {
        let server = b"220 old\r\n502 what\r\n250 hi\r\n";
        let mut s = Session::open(
            Script::new(server),
            false,
            Transcript::off(),
            crate::testing::TIMEOUT,
        )
        .unwrap();
        s.hello("c", true).unwrap();
        assert_eq!(written(s), "EHLO c\r\nHELO c\r\n");
        let mut s = Session::open(
            Script::new(server),
            false,
            Transcript::off(),
            crate::testing::TIMEOUT,
        )
        .unwrap();
        assert!(matches!(
            s.hello("c", false),
            Err(SmtpError::Rejected { .. })
        ));
    }

    #[test]
    fn greeting_other_than_220_is_refused() {
        for (greeting, exit) in [
            (&b"554 go away\r\n"[..], crate::exit::Kind::Permanent),
            (b"421 busy\r\n", crate::exit::Kind::Temporary),
            (b"", crate::exit::Kind::Temporary),
            (b"HTTP/1.1 400\r\n", crate::exit::Kind::Protocol),
        ] {
            let err = Session::open(
                Script::new(greeting),
                false,
                Transcript::off(),
                crate::testing::TIMEOUT,
            )
            .unwrap_err();
            assert_eq!(err.kind(), exit, "{greeting:?}: {err}");
        }
    }

    #[test]
    fn starttls_forgets_capabilities_and_upgrades() {
        let server = b"220 mx\r\n250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n220 go\r\n";
        let mut s = Session::open(
            Script::new(server),
            false,
            Transcript::off(),
            crate::testing::TIMEOUT,
        )
        .unwrap();
        s.hello("c", false).unwrap();
        assert!(s.capabilities().starttls);
        let upgraded = std::cell::Cell::new(false);
        let s = s
            .starttls(|mut stream| {
                upgraded.set(true);
                stream.send(b"250-mx\r\n250 AUTH PLAIN LOGIN\r\n");
                Ok(stream)
            })
            .unwrap();
        assert!(upgraded.get() && s.is_tls());
        assert!(s.capabilities().auth.is_empty() && !s.capabilities().starttls);
        let mut s = s;
        s.hello("c", false).unwrap();
        assert_eq!(s.capabilities().auth, ["PLAIN", "LOGIN"]);
        assert_eq!(written(s), "EHLO c\r\nSTARTTLS\r\nEHLO c\r\n");
    }

    #[test]
    fn starttls_injection_aborts_before_the_handshake() {
        // The attacker appends a reply after 220, in the same packet or a later one already
        // buffered: either way it is in the buffer before the handshake.
        let server =
            b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n250-evil\r\n250 AUTH PLAIN\r\n";
        let mut s = Session::open(
            Script::new(server),
            false,
            Transcript::off(),
            crate::testing::TIMEOUT,
        )
        .unwrap();
        s.hello("c", false).unwrap();
        let called = std::cell::Cell::new(false);
        let err = s
            .starttls(|stream| {
                called.set(true);
                Ok(stream)
            })
            .unwrap_err();
        assert!(matches!(err, SmtpError::StarttlsInjection(_)), "{err}");
        assert!(!called.get(), "handshake ran despite injected bytes");
        assert_eq!(err.kind(), crate::exit::Kind::Protocol);
    }

    #[test]
    fn starttls_refused_is_an_error() {
        let server = b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 no tls now\r\n";
        let mut s = Session::open(
            Script::new(server),
            false,
            Transcript::off(),
            crate::testing::TIMEOUT,
        )
        .unwrap();
        s.hello("c", false).unwrap();
        assert!(s.starttls(Ok).is_err());
    }

    fn creds(mechanism: Option<Mechanism>) -> Credentials {
        Credentials {
            user: "alice".into(),
            secret: Secret::new("pw"),
            mechanism,
        }
    }

    fn authed(caps: &str, replies: &str, tls: bool) -> (Session<Script>, Arc<Mutex<Vec<String>>>) {
        let (lines, log) = transcript();
        let server = format!("220 mx\r\n250-mx\r\n250 AUTH {caps}\r\n{replies}");
        let mut s = Session::open(
            Script::new(server.as_bytes()),
            tls,
            log,
            crate::testing::TIMEOUT,
        )
        .unwrap();
        s.hello("c", false).unwrap();
        (s, lines)
    }

    #[test]
    fn auth_plain_sends_one_line_and_redacts_it() {
        let (mut s, lines) = authed("PLAIN LOGIN", "235 ok\r\n", true);
        s.auth(&creds(None), false).unwrap();
        let log = lines.lock().unwrap().join("\n");
        assert!(log.contains("[tls] C: AUTH PLAIN (redacted)"), "{log}");
        assert!(!log.contains("AGFsaWNlAHB3"), "{log}");
        assert!(written(s).ends_with("AUTH PLAIN AGFsaWNlAHB3\r\n"));
    }

    #[test]
    fn auth_login_answers_two_challenges() {
        let (mut s, lines) = authed(
            "LOGIN",
            "334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 ok\r\n",
            true,
        );
        s.auth(&creds(None), false).unwrap();
        assert_eq!(
            lines
                .lock()
                .unwrap()
                .iter()
                .filter(|l| l.ends_with("C: (redacted)"))
                .count(),
            2
        );
        assert!(written(s).ends_with("AUTH LOGIN\r\nYWxpY2U=\r\ncHc=\r\n"));
    }

    #[test]
    fn auth_xoauth2_error_challenge_gets_an_empty_answer() {
        let (mut s, _) = authed(
            "XOAUTH2 PLAIN",
            "334 eyJzdGF0dXMiOiI0MDEifQ==\r\n535 bad token\r\n",
            true,
        );
        let err = s.auth(&creds(Some(Mechanism::XOAuth2)), false).unwrap_err();
        assert!(matches!(err, SmtpError::AuthFailed(_)));
        assert_eq!(err.kind(), crate::exit::Kind::AuthRefused);
        let out = written(s);
        assert!(
            out.contains("AUTH XOAUTH2 dXNlcj1hbGljZQFhdXRoPUJlYXJlciBwdwEB\r\n\r\n"),
            "{out}"
        );
    }

    #[test]
    fn auth_rules() {
        let (mut s, _) = authed("PLAIN", "", false);
        assert!(matches!(
            s.auth(&creds(None), false),
            Err(SmtpError::CleartextAuth)
        ));
        assert_eq!(written(s), "EHLO c\r\n", "nothing sent in cleartext");
        let mut s = Session::open(
            Script::new(b"220 mx\r\n250 mx\r\n"),
            true,
            Transcript::off(),
            crate::testing::TIMEOUT,
        )
        .unwrap();
        s.hello("c", false).unwrap();
        let err = s.auth(&creds(None), false).unwrap_err();
        assert!(matches!(err, SmtpError::AuthNotOffered));
        assert_eq!(err.kind(), crate::exit::Kind::AuthRefused);
        let (mut s, _) = authed("CRAM-MD5", "", true);
        assert!(matches!(
            s.auth(&creds(None), false),
            Err(SmtpError::NoMechanism(_))
        ));
        let (mut s, _) = authed("PLAIN", "535 5.7.8 bad\r\n", true);
        assert_eq!(
            s.auth(&creds(None), false).unwrap_err().kind(),
            crate::exit::Kind::AuthRefused
        );
        let (mut s, _) = authed("PLAIN", "454 4.7.0 later\r\n", true);
        assert_eq!(
            s.auth(&creds(None), false).unwrap_err().kind(),
            crate::exit::Kind::Temporary
        );
        let (mut s, _) = authed("LOGIN", &"334 x\r\n".repeat(10), true);
        assert_eq!(
            s.auth(&creds(None), false).unwrap_err().kind(),
            crate::exit::Kind::Protocol
        );
    }

    fn session(ext: &str, replies: &[&[u8]]) -> Session<Script> {
        let mut chunks: Vec<&[u8]> = Vec::new();
        let greeting = format!("220 mx\r\n250-mx\r\n{ext}250 HELP\r\n");
        chunks.push(greeting.as_bytes());
        chunks.extend_from_slice(replies);
        let mut s = Session::open(
            Script::chunked(&chunks),
            false,
            Transcript::off(),
            crate::testing::TIMEOUT,
        )
        .unwrap();
        s.hello("c", false).unwrap();
        s
    }

    fn statuses(t: &Transaction) -> Vec<Status> {
        t.recipients.iter().map(|r| r.status).collect()
    }

    #[test]
    fn pipelined_transaction_goes_out_in_one_write() {
        let mut s = session(
            "250-PIPELINING\r\n250-SIZE 0\r\n",
            &[
                b"250 ok\r\n250 ok\r\n550 5.1.1 no\r\n354 go\r\n",
                b"250 queued\r\n",
            ],
        );
        let t = s.send(
            &envelope(&["b@x", "c@x"]),
            &Payload::new(b"Subject: hi\n\n.dot\n"),
        );
        assert!(t.fatal.is_none());
        assert_eq!(statuses(&t), [Status::Accepted, Status::Rejected]);
        assert_eq!(t.recipients[1].reply, "550 5.1.1 no");
        let out = written(s);
        assert!(
            out.ends_with("EHLO c\r\nMAIL FROM:<a@client.test> SIZE=21\r\nRCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\nDATA\r\nSubject: hi\r\n\r\n..dot\r\n.\r\n"),
            "{out}"
        );
    }

    #[test]
    fn pipelined_batch_sends_the_next_commands_with_the_content() {
        let mut s = session(
            "250-PIPELINING\r\n",
            &[
                b"250 ok\r\n250 ok\r\n354 go\r\n",
                b"250 queued 1\r\n250 ok\r\n550 no\r\n354 go\r\n",
                b"554 no valid recipients\r\n250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n",
                b"250 queued 3\r\n",
            ],
        );
        let (one, two, three) = (envelope(&["b@x"]), envelope(&["c@x"]), envelope(&["d@x"]));
        let (p1, p2, p3) = (Payload::new(b"1"), Payload::new(b"2"), Payload::new(b"3"));
        let batch = s.send_all(&[(&one, &p1), (&two, &p2), (&three, &p3)]);
        assert!(batch.fatal.is_none());
        let statuses: Vec<Vec<Status>> = batch
            .transactions
            .iter()
            .map(|t| t.iter().map(|o| o.status).collect())
            .collect();
        assert_eq!(
            statuses,
            [[Status::Accepted], [Status::Rejected], [Status::Accepted]]
        );
        assert_eq!(batch.transactions[0][0].reply, "250 queued 1");
        let out = written(s);
        let want = "MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x>\r\nDATA\r\n\
                    1\r\n.\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<c@x>\r\nDATA\r\n\
                    .\r\nRSET\r\nMAIL FROM:<a@client.test>\r\nRCPT TO:<d@x>\r\nDATA\r\n\
                    3\r\n.\r\n";
        assert!(out.ends_with(want), "{out}");
    }

    #[test]
    fn content_and_the_next_commands_share_one_write_unless_large() {
        let replies: &[&[u8]] = &[
            b"250 ok\r\n250 ok\r\n354 go\r\n",
            b"250 queued 1\r\n250 ok\r\n250 ok\r\n354 go\r\n",
            b"250 queued 2\r\n",
        ];
        let envelope = envelope(&["b@x"]);
        let small = Payload::new(b"small");
        let large = Payload::new(&vec![b'x'; INLINE_CONTENT + 1]);
        // Small: MAIL+RCPT+DATA; content 1 with MAIL+RCPT+DATA; content 2. Large: the same
        // with content 1 in a write of its own, not copied.
        for (payload, writes) in [(&small, 3), (&large, 4)] {
            let mut s = session("250-PIPELINING\r\n", replies);
            let before = s.io.get_ref().writes;
            let batch = s.send_all(&[(&envelope, payload), (&envelope, payload)]);
            assert!(batch.fatal.is_none());
            assert_eq!(s.io.get_ref().writes - before, writes);
        }
    }

    #[test]
    fn sending_is_heard_only_for_content_that_goes_out() {
        let pipelined: &[&[u8]] = &[
            b"250 ok\r\n550 no\r\n554 no valid recipients\r\n",
            b"250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n",
            b"250 queued\r\n",
        ];
        let one_by_one: &[&[u8]] = &[
            b"250 ok\r\n",
            b"550 no\r\n",
            b"250 reset\r\n",
            b"250 ok\r\n",
            b"250 ok\r\n",
            b"354 go\r\n",
            b"250 queued\r\n",
        ];
        for (ext, replies) in [("250-PIPELINING\r\n", pipelined), ("", one_by_one)] {
            let mut s = session(ext, replies);
            let (one, two) = (envelope(&["b@x"]), envelope(&["c@x"]));
            let (p1, p2) = (Payload::new(b"1"), Payload::new(b"2"));
            let mut heard = Vec::new();
            let batch = s.send_all_observed(&[(&one, &p1), (&two, &p2)], &mut |i| heard.push(i));
            assert!(batch.fatal.is_none(), "{ext:?}: {:?}", batch.fatal);
            assert_eq!(batch.transactions[1][0].status, Status::Accepted, "{ext:?}");
            assert_eq!(heard, [1], "{ext:?}: only the second had content to send");
        }
    }

    #[test]
    fn pipelined_batch_loss_after_content_is_unknown_and_the_rest_deferred() {
        let mut s = session("250-PIPELINING\r\n", &[b"250 ok\r\n250 ok\r\n354 go\r\n"]);
        let (one, two) = (envelope(&["b@x"]), envelope(&["c@x"]));
        let (p1, p2) = (Payload::new(b"1"), Payload::new(b"2"));
        let batch = s.send_all(&[(&one, &p1), (&two, &p2)]);
        assert!(matches!(batch.fatal, Some(SmtpError::Closed)));
        assert_eq!(batch.transactions.len(), 2);
        assert_eq!(batch.transactions[0][0].status, Status::Unknown);
        assert_eq!(batch.transactions[1][0].status, Status::Deferred);
    }

    #[test]
    fn unpipelined_transaction_waits_for_each_reply() {
        let mut s = session(
            "",
            &[b"250 ok\r\n", b"250 ok\r\n", b"354 go\r\n", b"250 ok\r\n"],
        );
        let t = s.send(&envelope(&["b@x"]), &Payload::new(b"x"));
        assert_eq!(statuses(&t), [Status::Accepted]);
        assert!(
            written(s)
                .ends_with("MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x>\r\nDATA\r\nx\r\n.\r\n")
        );
    }

    #[test]
    fn every_recipient_refused_means_no_data_and_a_rset() {
        let mut s = session(
            "",
            &[
                b"250 ok\r\n",
                b"550 no\r\n",
                b"450 later\r\n",
                b"250 reset\r\n",
            ],
        );
        let t = s.send(&envelope(&["b@x", "c@x"]), &Payload::new(b"x"));
        assert_eq!(statuses(&t), [Status::Rejected, Status::Deferred]);
        assert!(t.fatal.is_none());
        let out = written(s);
        assert!(
            out.ends_with("RCPT TO:<c@x>\r\nRSET\r\n") && !out.contains("DATA"),
            "{out}"
        );
    }

    #[test]
    fn pipelined_354_without_recipients_gets_an_empty_message() {
        let mut s = session(
            "250-PIPELINING\r\n",
            &[
                b"250 ok\r\n550 no\r\n354 go\r\n",
                b"554 no valid recipients\r\n250 reset\r\n",
            ],
        );
        let t = s.send(&envelope(&["b@x"]), &Payload::new(b"secret body"));
        assert_eq!(statuses(&t), [Status::Rejected]);
        let out = written(s);
        assert!(
            out.ends_with("DATA\r\n.\r\nRSET\r\n") && !out.contains("secret"),
            "{out}"
        );
    }

    #[test]
    fn mail_from_refused_refuses_everyone() {
        let mut s = session("", &[b"553 bad sender\r\n", b"250 reset\r\n"]);
        let t = s.send(&envelope(&["b@x", "c@x"]), &Payload::new(b"x"));
        assert_eq!(statuses(&t), [Status::Rejected, Status::Rejected]);
        assert_eq!(t.recipients[0].reply, "553 bad sender");
    }

    #[test]
    fn lost_connection_before_and_after_the_final_dot() {
        let mut s = session("", &[b"250 ok\r\n", b"250 ok\r\n", b"354 go\r\n"]);
        let t = s.send(&envelope(&["b@x"]), &Payload::new(b"x"));
        assert_eq!(statuses(&t), [Status::Unknown]);
        assert!(t.recipients[0].reply.contains("may have been delivered"));
        assert!(matches!(t.fatal, Some(SmtpError::Closed)));

        let mut s = session("", &[b"250 ok\r\n", b"250 ok\r\n", b"354 go\r\n"]);
        s.io.get_mut().fail_writes_after = Some(s.io.get_ref().written().len() + 40);
        let t = s.send(&envelope(&["b@x"]), &Payload::new(&[b'x'; 100]));
        assert_eq!(statuses(&t), [Status::Deferred]);
        assert!(t.fatal.is_some());
    }

    #[test]
    fn a_421_at_any_stage_defers_everyone_and_ends_the_session() {
        let stages: &[&[&[u8]]] = &[
            &[b"421 closing\r\n"],
            &[b"250 ok\r\n", b"421 closing\r\n"],
            &[b"250 ok\r\n", b"250 ok\r\n", b"421 closing\r\n"],
            &[
                b"250 ok\r\n",
                b"250 ok\r\n",
                b"354 go\r\n",
                b"421 closing\r\n",
            ],
        ];
        for (i, replies) in stages.iter().enumerate() {
            let mut s = session("", replies);
            let t = s.send(&envelope(&["b@x"]), &Payload::new(b"x"));
            assert_eq!(statuses(&t), [Status::Deferred], "stage {i}");
            assert!(matches!(t.fatal, Some(SmtpError::Closing(_))), "stage {i}");
        }
    }

    #[test]
    fn size_8bit_and_smtputf8_are_checked_before_mail_from() {
        let mut s = session("250-SIZE 10\r\n", &[]);
        let t = s.send(&envelope(&["b@x"]), &Payload::new(&[b'x'; 20]));
        assert_eq!(statuses(&t), [Status::Rejected]);
        assert!(t.recipients[0].reply.contains("SIZE"));
        let mut s = session("", &[]);
        let t = s.send(&envelope(&["b@x"]), &Payload::new(b"caf\xc3\xa9"));
        assert!(t.recipients[0].reply.contains("8BITMIME"));
        let t = s.send(&envelope(&["j\u{f6}rg@x"]), &Payload::new(b"x"));
        assert!(t.recipients[0].reply.contains("SMTPUTF8"));
        assert_eq!(written(s), "EHLO c\r\n");
    }

    #[test]
    fn extensions_add_their_parameters() {
        let mut s = session(
            "250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-DSN\r\n250-SIZE 1000\r\n",
            &[b"250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n"],
        );
        let mut env = envelope(&["j\u{f6}rg@x"]);
        env.dsn = Dsn {
            notify: Some("SUCCESS,FAILURE".into()),
            ret: Some("HDRS".into()),
            envid: Some("id=1".into()),
        };
        let t = s.send(&env, &Payload::new(b"caf\xc3\xa9"));
        assert_eq!(statuses(&t), [Status::Accepted]);
        let out = written(s);
        assert!(
            out.contains(
                "MAIL FROM:<a@client.test> SIZE=7 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+3D1\r\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("RCPT TO:<j\u{f6}rg@x> NOTIFY=SUCCESS,FAILURE\r\n"),
            "{out}"
        );
    }

    #[test]
    fn transcript_escapes_server_text_and_marks_directions() {
        let (lines, log) = transcript();
        let mut s = Session::open(
            Script::new(b"220 mx \x1b[31mred\r\n250 ok\r\n"),
            false,
            log,
            crate::testing::TIMEOUT,
        )
        .unwrap();
        s.hello("c", false).unwrap();
        assert_eq!(
            *lines.lock().unwrap(),
            ["S: 220 mx \\x1b[31mred", "C: EHLO c", "S: 250 ok"]
        );
    }
}
