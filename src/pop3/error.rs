//! What can go wrong in a POP3 session, each with the exit code a script should see.

use std::io;

use crate::{
    exit::{Failure, Kind},
    net::TlsError,
};

/// A failed POP3 operation. Network trouble is temporary (75), a server that breaks the
/// protocol is 76, a refused login or TLS problem is 77, and a failure to write a message
/// locally is 74: the caller deletes nothing then.
#[derive(Debug, thiserror::Error)]
pub enum Pop3Error {
    /// Reading from or writing to the server failed (timeout, reset).
    #[error("{doing}: {source}")]
    Network {
        /// What the session was doing.
        doing: String,
        /// The socket error.
        source: io::Error,
    },
    /// A reply (or, in a message body, a line) did not arrive complete within the timeout: a
    /// silent server, or one dripping bytes slowly, which a per-read timeout would never end.
    #[error("timed out after {secs} s waiting for {step}")]
    Timeout {
        /// What was awaited: `the greeting`, `the reply to LIST`...
        step: String,
        /// The timeout, in seconds.
        secs: u64,
    },
    /// The server closed the connection where a reply was due.
    #[error("{doing}: connection closed by the server")]
    Closed {
        /// What the session was waiting for.
        doing: String,
    },
    /// A multi-line reply ended (EOF) without its CRLF `.` CRLF terminator; its bytes are not
    /// a whole message and were not saved.
    #[error(
        "{doing}: connection closed before the end of the reply (no CRLF.CRLF); truncated, not saved"
    )]
    Truncated {
        /// The command whose reply was cut.
        doing: String,
    },
    /// The server answered `-ERR`.
    #[error("{command}: server said -ERR {text}")]
    Refused {
        /// The command as shown in transcripts (secrets redacted).
        command: String,
        /// The server's text, escaped for display.
        text: String,
        /// The RFC 2449 response code, if any (`IN-USE`, `SYS/TEMP`, `AUTH`...).
        code: Option<String>,
        /// Whether the command was part of logging in.
        auth: bool,
    },
    /// A reply that does not follow RFC 1939.
    #[error("{command}: malformed reply {line:?}")]
    Malformed {
        /// The command answered.
        command: String,
        /// The offending line, escaped.
        line: String,
    },
    /// A reply line longer than the cap.
    #[error("{command}: reply line longer than {max} bytes")]
    LineTooLong {
        /// The command answered.
        command: String,
        /// The cap.
        max: usize,
    },
    /// A multi-line reply with more lines than the cap.
    #[error("{command}: more than {max} lines in the reply")]
    TooManyLines {
        /// The command answered.
        command: String,
        /// The cap.
        max: usize,
    },
    /// A multi-line reply larger than its byte budget: a broken or hostile server.
    #[error(
        "{command}: the reply is larger than {} KiB, more than any real server sends; giving up",
        max / 1024
    )]
    TooLarge {
        /// The command answered.
        command: String,
        /// The budget, in bytes.
        max: usize,
    },
    /// Bytes arrived after STLS's `+OK` and before the TLS handshake: an attacker may have
    /// injected them to be read as if they came over TLS (CVE-2011-0411 class).
    #[error(
        "STLS: {0} bytes arrived after +OK before the TLS handshake (possible injection); session aborted"
    )]
    Injection(usize),
    /// TLS was required but the server does not offer STLS.
    #[error(
        "the server does not offer STLS; refusing to log in without TLS (--tls none allows cleartext)"
    )]
    NoStls,
    /// A password or token would cross the network unencrypted.
    #[error(
        "refusing to send a password over a connection without TLS (--allow-cleartext-auth allows it)"
    )]
    CleartextRefused,
    /// The requested or any usable authentication mechanism is not offered.
    #[error("authentication: {0}")]
    NoMechanism(String),
    /// TLS setup or handshake failed.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// Writing a message locally failed.
    #[error("{doing}: {source}")]
    Local {
        /// What was being written.
        doing: String,
        /// The local I/O error.
        source: io::Error,
    },
}

impl Pop3Error {
    /// What kind of failure this is; `[SYS/PERM]` is permanent, STLS refused a trust refusal.
    pub fn kind(&self) -> Kind {
        match self {
            Pop3Error::Network { .. }
            | Pop3Error::Closed { .. }
            | Pop3Error::Truncated { .. }
            | Pop3Error::Timeout { .. } => Kind::Temporary,
            Pop3Error::Refused {
                code,
                auth,
                command,
                ..
            } => match code.as_deref() {
                Some("IN-USE" | "SYS/TEMP" | "LOGIN-DELAY") => Kind::Temporary,
                Some("AUTH") => Kind::AuthRefused,
                Some("SYS/PERM") => Kind::Permanent,
                // TLS required and refused: a trust refusal, as in SMTP.
                _ if command == "STLS" => Kind::TrustRefused,
                _ if *auth => Kind::AuthRefused,
                _ => Kind::Protocol,
            },
            Pop3Error::Malformed { .. }
            | Pop3Error::LineTooLong { .. }
            | Pop3Error::TooManyLines { .. }
            | Pop3Error::TooLarge { .. }
            | Pop3Error::Injection(_) => Kind::Protocol,
            Pop3Error::NoStls | Pop3Error::CleartextRefused => Kind::TrustRefused,
            Pop3Error::NoMechanism(_) => Kind::AuthRefused,
            Pop3Error::Tls(err) => err.kind(),
            Pop3Error::Local { .. } => Kind::LocalIo,
        }
    }
}

impl From<Pop3Error> for Failure {
    fn from(err: Pop3Error) -> Self {
        Failure::new(err.kind(), err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: Option<&str>, auth: bool) -> Pop3Error {
        Pop3Error::Refused {
            command: "X".into(),
            text: "t".into(),
            code: code.map(str::to_string),
            auth,
        }
    }

    #[test]
    fn response_codes_decide_the_exit() {
        assert_eq!(refused(Some("IN-USE"), true).kind(), Kind::Temporary);
        assert_eq!(refused(Some("SYS/TEMP"), false).kind(), Kind::Temporary);
        assert_eq!(refused(Some("AUTH"), true).kind(), Kind::AuthRefused);
        assert_eq!(refused(Some("SYS/PERM"), true).kind(), Kind::Permanent);
        assert_eq!(refused(None, true).kind(), Kind::AuthRefused);
        assert_eq!(refused(None, false).kind(), Kind::Protocol);
        let local = Pop3Error::Local {
            doing: "x".into(),
            source: io::Error::from(io::ErrorKind::StorageFull),
        };
        assert_eq!(local.kind(), Kind::LocalIo);
    }
}
