//! One SMTP connection, generic over its stream so unit tests drive it from a script:
//! greeting, EHLO, STARTTLS, AUTH, mail transactions (pipelined when offered), QUIT.

use std::io::{BufReader, Read, Write};

use base64::{Engine as _, engine::general_purpose::STANDARD as BASE64};

use super::{
    Capabilities, Credentials, Dsn, Envelope, Mechanism, RcptOutcome, SmtpError, Status,
    command::{Command, xtext},
    data::Payload,
    reply::{Reply, read_reply},
};

/// The most 334 challenges one AUTH exchange may take; PLAIN needs 0, LOGIN 2, XOAUTH2 1.
pub const MAX_AUTH_ROUNDS: usize = 4;

/// Receives each transcript line (`S: ...`, `C: ...`), already redacted but not escaped.
pub type Transcript = Box<dyn FnMut(&str)>;

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
    transcript: Option<Transcript>,
    out: Vec<u8>,
}

impl<S: Read + Write> Session<S> {
    /// Starts a session on a connected stream and reads the greeting (RFC 5321 §4.3.1);
    /// `tls` says the stream is already encrypted (implicit TLS).
    pub fn open(stream: S, tls: bool, transcript: Option<Transcript>) -> Result<Self, SmtpError> {
        let mut session = Session {
            io: BufReader::with_capacity(16 * 1024, stream),
            caps: Capabilities::default(),
            tls,
            transcript,
            out: Vec::with_capacity(1024),
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
    pub fn into_inner(self) -> S {
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
        let user = &creds.user;
        let secret = creds.secret.expose();
        let (initial, mut steps): (Option<String>, Vec<String>) = match mechanism {
            Mechanism::Plain => (Some(BASE64.encode(format!("\0{user}\0{secret}"))), vec![]),
            Mechanism::Login => (None, vec![BASE64.encode(user), BASE64.encode(secret)]),
            Mechanism::XOAuth2 => (
                Some(BASE64.encode(format!("user={user}\x01auth=Bearer {secret}\x01\x01"))),
                vec![],
            ),
        };
        steps.reverse();
        let mut reply = self.command(&Command::Auth {
            mechanism: mechanism.name(),
            initial: initial.as_deref(),
        })?;
        let mut rounds = 0;
        while reply.code == 334 {
            rounds += 1;
            if rounds > MAX_AUTH_ROUNDS {
                return Err(SmtpError::Malformed(format!(
                    "AUTH took more than {MAX_AUTH_ROUNDS} rounds"
                )));
            }
            // An XOAUTH2 failure comes as a 334 with an error document; an empty line ends it.
            let answer = steps.pop().unwrap_or_default();
            reply = self.command(&Command::AuthResponse(&answer))?;
        }
        match reply.code {
            235 => Ok(()),
            code if (400..500).contains(&code) => Err(SmtpError::Rejected {
                command: format!("AUTH {}", mechanism.name()),
                reply,
            }),
            _ => Err(SmtpError::AuthFailed(reply)),
        }
    }

    /// Runs one mail transaction for `envelope`, pipelined when the server offers PIPELINING
    /// (RFC 2920): MAIL, every RCPT and DATA go out in one write. Per-recipient refusals are
    /// outcomes, not errors; only a dead connection sets [`Transaction::fatal`]. After a
    /// transaction that delivered nothing the session is RSET, ready for the next one.
    pub fn send(&mut self, envelope: &Envelope, payload: &Payload) -> Transaction {
        let count = envelope.recipients.len();
        let smtputf8 =
            !envelope.from.is_ascii() || envelope.recipients.iter().any(|r| !r.is_ascii());
        if let Some(reason) = self.refuse_early(payload, smtputf8) {
            return Transaction {
                recipients: vec![RcptOutcome::refused(reason); count],
                fatal: None,
            };
        }
        let mail_params = self.mail_params(payload, smtputf8, &envelope.dsn);
        let rcpt_params = self.rcpt_params(&envelope.dsn);
        let mail = Command::Mail {
            from: &envelope.from,
            params: &mail_params,
        };
        let rcpts: Vec<Command<'_>> = envelope
            .recipients
            .iter()
            .map(|to| Command::Rcpt {
                to,
                params: &rcpt_params,
            })
            .collect();
        match self.transact(&mail, &rcpts, payload) {
            Ok(recipients) => {
                let fatal = if recipients.iter().any(|r| r.status == Status::Accepted) {
                    None
                } else {
                    self.rset().err()
                };
                Transaction { recipients, fatal }
            }
            Err((recipients, fatal)) => Transaction {
                recipients,
                fatal: Some(fatal),
            },
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

    /// The transaction proper. On a dead connection, returns the outcomes so far together
    /// with the error: recipients not yet settled are deferred, or `unknown` when the loss
    /// came after the final `.` (the server may have taken the message).
    #[allow(clippy::result_large_err)]
    fn transact(
        &mut self,
        mail: &Command<'_>,
        rcpts: &[Command<'_>],
        payload: &Payload,
    ) -> Result<Vec<RcptOutcome>, (Vec<RcptOutcome>, SmtpError)> {
        let count = rcpts.len();
        let lost = |err: SmtpError| (vec![RcptOutcome::from_error(&err); count], err);
        let pipelining = self.caps.pipelining;
        let mut batch = vec![mail.clone()];
        if pipelining {
            batch.extend(rcpts.iter().cloned());
            batch.push(Command::Data);
        }
        self.write(&batch).map_err(lost)?;

        let mail_reply = self.read_checked().map_err(lost)?;
        let mut outcomes = Vec::with_capacity(count);
        for rcpt in rcpts {
            if !pipelining && !mail_reply.is_positive() {
                break;
            }
            if !pipelining {
                self.write(std::slice::from_ref(rcpt)).map_err(lost)?;
            }
            let reply = self.read_checked().map_err(lost)?;
            outcomes.push(if mail_reply.is_positive() {
                RcptOutcome::from_reply(&reply)
            } else {
                RcptOutcome::from_reply(&mail_reply)
            });
        }
        if !mail_reply.is_positive() {
            outcomes.resize(count, RcptOutcome::from_reply(&mail_reply));
        }
        let any_accepted = outcomes.iter().any(|o| o.status == Status::Accepted);
        if !pipelining && !any_accepted {
            return Ok(outcomes);
        }
        if !pipelining {
            self.write(&[Command::Data]).map_err(lost)?;
        }
        let data_reply = self.read_checked().map_err(lost)?;
        if data_reply.code != 354 {
            for outcome in outcomes.iter_mut().filter(|o| o.status == Status::Accepted) {
                *outcome = RcptOutcome::from_reply(&data_reply);
            }
            return Ok(outcomes);
        }
        if !any_accepted {
            // RFC 2920 §3.1: a server that said 354 with no valid recipient gets an empty
            // message, which it must then refuse.
            self.write_raw(b".\r\n", "C: .")
                .and_then(|()| self.read_checked())
                .map_err(lost)?;
            return Ok(outcomes);
        }
        let note = format!("C: ({} bytes of message)\nC: .", payload.size);
        if let Err(err) = self.write_raw(&payload.wire, &note) {
            let reply = err.to_string();
            for outcome in outcomes.iter_mut().filter(|o| o.status == Status::Accepted) {
                *outcome = RcptOutcome::new(Status::Deferred, reply.clone());
            }
            return Err((outcomes, err));
        }
        match self.read_checked() {
            Ok(final_reply) => {
                for outcome in outcomes.iter_mut().filter(|o| o.status == Status::Accepted) {
                    *outcome = RcptOutcome::from_reply(&final_reply);
                }
                Ok(outcomes)
            }
            Err(SmtpError::Closing(reply)) => {
                for outcome in outcomes.iter_mut().filter(|o| o.status == Status::Accepted) {
                    *outcome = RcptOutcome::from_reply(&reply);
                }
                Err((outcomes, SmtpError::Closing(reply)))
            }
            Err(err) => {
                let reply = format!("{err}; delivery status unknown, may have been delivered");
                for outcome in outcomes.iter_mut().filter(|o| o.status == Status::Accepted) {
                    *outcome = RcptOutcome::new(Status::Unknown, reply.clone());
                }
                Err((outcomes, err))
            }
        }
    }

    fn rset(&mut self) -> Result<(), SmtpError> {
        let reply = self.command(&Command::Rset)?;
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

    fn write(&mut self, commands: &[Command<'_>]) -> Result<(), SmtpError> {
        use std::fmt::Write as _;
        let mut text = String::new();
        for command in commands {
            let _ = write!(text, "{command}");
            if self.transcript.is_some() {
                let line = format!("{}C: {}", self.tls_mark(), command.transcript());
                self.log(&line);
            }
        }
        self.out.clear();
        self.out.extend_from_slice(text.as_bytes());
        let stream = self.io.get_mut();
        stream.write_all(&self.out)?;
        stream.flush()?;
        Ok(())
    }

    fn write_raw(&mut self, bytes: &[u8], note: &str) -> Result<(), SmtpError> {
        if self.transcript.is_some() {
            let mark = self.tls_mark();
            let lines: Vec<String> = note.lines().map(|l| format!("{mark}{l}")).collect();
            for line in lines {
                self.log(&line);
            }
        }
        let stream = self.io.get_mut();
        stream.write_all(bytes)?;
        stream.flush()?;
        Ok(())
    }

    fn read(&mut self) -> Result<Reply, SmtpError> {
        let mark = self.tls_mark();
        let transcript = &mut self.transcript;
        read_reply(&mut self.io, |line| {
            if let Some(log) = transcript.as_mut() {
                log(&format!("{mark}S: {}", crate::output::escape_bytes(line)));
            }
        })
    }

    fn tls_mark(&self) -> &'static str {
        if self.tls { "[tls] " } else { "" }
    }

    fn log(&mut self, line: &str) {
        if let Some(log) = self.transcript.as_mut() {
            log(line);
        }
    }
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
    use crate::secret::Secret;
    use std::{cell::RefCell, io, rc::Rc};

    /// A scripted server: the bytes it sends (each chunk delivered by a separate read, to model
    /// replies split across packets) and everything the client wrote.
    #[derive(Default)]
    pub struct Script {
        chunks: std::collections::VecDeque<Vec<u8>>,
        written: Vec<u8>,
        /// Fail writes after this many bytes, to model a connection lost mid-DATA.
        fail_writes_after: Option<usize>,
    }

    impl Script {
        pub fn new(server: &[u8]) -> Script {
            Script {
                chunks: [server.to_vec()].into(),
                ..Script::default()
            }
        }

        pub fn chunked(chunks: &[&[u8]]) -> Script {
            Script {
                chunks: chunks.iter().map(|c| c.to_vec()).collect(),
                ..Script::default()
            }
        }

        pub fn written(&self) -> &[u8] {
            &self.written
        }
    }

    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some(chunk) = self.chunks.front_mut() else {
                return Ok(0);
            };
            let n = chunk.len().min(buf.len());
            buf[..n].copy_from_slice(&chunk[..n]);
            chunk.drain(..n);
            if chunk.is_empty() {
                self.chunks.pop_front();
            }
            Ok(n)
        }
    }

    impl Write for Script {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if let Some(limit) = self.fail_writes_after
                && self.written.len() + buf.len() > limit
            {
                return Err(io::Error::from(io::ErrorKind::ConnectionReset));
            }
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn envelope(rcpts: &[&str]) -> Envelope {
        Envelope {
            from: "a@client.test".into(),
            recipients: rcpts.iter().map(|r| r.to_string()).collect(),
            dsn: Dsn::default(),
        }
    }

    fn transcript() -> (Rc<RefCell<Vec<String>>>, Transcript) {
        let lines = Rc::new(RefCell::new(Vec::new()));
        let sink = lines.clone();
        (
            lines,
            Box::new(move |l: &str| sink.borrow_mut().push(l.to_string())),
        )
    }

    fn written(session: Session<Script>) -> String {
        String::from_utf8_lossy(session.into_inner().written()).into_owned()
    }

    #[test]
    fn ehlo_records_capabilities() {
        let mut s = Session::open(
            Script::new(b"220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250-DSN\r\n250 SMTPUTF8\r\n"),
            false,
            None,
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
        let mut s = Session::open(Script::new(server), false, None).unwrap();
        s.hello("c", true).unwrap();
        assert_eq!(written(s), "EHLO c\r\nHELO c\r\n");
        let mut s = Session::open(Script::new(server), false, None).unwrap();
        assert!(matches!(
            s.hello("c", false),
            Err(SmtpError::Rejected { .. })
        ));
    }

    #[test]
    fn greeting_other_than_220_is_refused() {
        for (greeting, exit) in [
            (&b"554 go away\r\n"[..], crate::exit::Exit::Unavailable),
            (b"421 busy\r\n", crate::exit::Exit::TempFail),
            (b"", crate::exit::Exit::TempFail),
            (b"HTTP/1.1 400\r\n", crate::exit::Exit::Protocol),
        ] {
            let err = Session::open(Script::new(greeting), false, None).unwrap_err();
            assert_eq!(err.exit(), exit, "{greeting:?}: {err}");
        }
    }

    #[test]
    fn starttls_forgets_capabilities_and_upgrades() {
        let server = b"220 mx\r\n250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n220 go\r\n";
        let mut s = Session::open(Script::new(server), false, None).unwrap();
        s.hello("c", false).unwrap();
        assert!(s.capabilities().starttls);
        let upgraded = std::cell::Cell::new(false);
        let s = s
            .starttls(|mut stream| {
                upgraded.set(true);
                stream
                    .chunks
                    .push_back(b"250-mx\r\n250 AUTH PLAIN LOGIN\r\n".to_vec());
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
        let mut s = Session::open(Script::new(server), false, None).unwrap();
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
        assert_eq!(err.exit(), crate::exit::Exit::Protocol);
    }

    #[test]
    fn starttls_refused_is_an_error() {
        let server = b"220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 no tls now\r\n";
        let mut s = Session::open(Script::new(server), false, None).unwrap();
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

    fn authed(caps: &str, replies: &str, tls: bool) -> (Session<Script>, Rc<RefCell<Vec<String>>>) {
        let (lines, log) = transcript();
        let server = format!("220 mx\r\n250-mx\r\n250 AUTH {caps}\r\n{replies}");
        let mut s = Session::open(Script::new(server.as_bytes()), tls, Some(log)).unwrap();
        s.hello("c", false).unwrap();
        (s, lines)
    }

    #[test]
    fn auth_plain_sends_one_line_and_redacts_it() {
        let (mut s, lines) = authed("PLAIN LOGIN", "235 ok\r\n", true);
        s.auth(&creds(None), false).unwrap();
        let log = lines.borrow().join("\n");
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
                .borrow()
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
        assert_eq!(err.exit(), crate::exit::Exit::NoPerm);
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
        let mut s = Session::open(Script::new(b"220 mx\r\n250 mx\r\n"), true, None).unwrap();
        s.hello("c", false).unwrap();
        let err = s.auth(&creds(None), false).unwrap_err();
        assert!(matches!(err, SmtpError::AuthNotOffered));
        assert_eq!(err.exit(), crate::exit::Exit::NoPerm);
        let (mut s, _) = authed("CRAM-MD5", "", true);
        assert!(matches!(
            s.auth(&creds(None), false),
            Err(SmtpError::NoMechanism(_))
        ));
        let (mut s, _) = authed("PLAIN", "535 5.7.8 bad\r\n", true);
        assert_eq!(
            s.auth(&creds(None), false).unwrap_err().exit(),
            crate::exit::Exit::NoPerm
        );
        let (mut s, _) = authed("PLAIN", "454 4.7.0 later\r\n", true);
        assert_eq!(
            s.auth(&creds(None), false).unwrap_err().exit(),
            crate::exit::Exit::TempFail
        );
        let (mut s, _) = authed("LOGIN", &"334 x\r\n".repeat(10), true);
        assert_eq!(
            s.auth(&creds(None), false).unwrap_err().exit(),
            crate::exit::Exit::Protocol
        );
    }

    fn session(ext: &str, replies: &[&[u8]]) -> Session<Script> {
        let mut chunks: Vec<&[u8]> = Vec::new();
        let greeting = format!("220 mx\r\n250-mx\r\n{ext}250 HELP\r\n");
        chunks.push(greeting.as_bytes());
        chunks.extend_from_slice(replies);
        let mut s = Session::open(Script::chunked(&chunks), false, None).unwrap();
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
        s.io.get_mut().fail_writes_after = Some(s.io.get_ref().written.len() + 40);
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
            Some(log),
        )
        .unwrap();
        s.hello("c", false).unwrap();
        assert_eq!(
            *lines.borrow(),
            ["S: 220 mx \\x1b[31mred", "C: EHLO c", "S: 250 ok"]
        );
    }
}
