//! What can go wrong in an IMAP session, each classified by [`Kind`] so every command exits
//! the same way for the same failure.

use std::io;

use crate::{
    exit::{Failure, Kind},
    net::TlsError,
};

/// A failed IMAP operation. Nothing here says what was deleted: callers only delete after a
/// durable local write, so any of these leaves the server's messages in place.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// Reading from or writing to the server failed (reset, refused write).
    #[error("{doing}: {source}")]
    Network {
        /// What the session was doing.
        doing: String,
        /// The socket error.
        source: io::Error,
    },
    /// The reply did not complete within its deadline (a slow or drip-feeding server).
    #[error("{doing}: timed out after {secs} s (no complete reply)")]
    Timeout {
        /// What the session was waiting for.
        doing: String,
        /// The deadline, in seconds.
        secs: u64,
    },
    /// The server closed the connection where a reply was due (after a BYE, if it sent one).
    #[error("{doing}: connection closed by the server{}", bye.as_ref().map(|t| format!(" (BYE {t})")).unwrap_or_default())]
    Closed {
        /// What the session was waiting for.
        doing: String,
        /// The text of the server's BYE, escaped, if it sent one.
        bye: Option<String>,
    },
    /// The connection broke in the middle of a message literal: its bytes are not a whole
    /// message and were not saved.
    #[error(
        "{doing}: connection lost after {got} of {size} bytes of a message; truncated, not saved"
    )]
    Truncated {
        /// The command whose reply was cut.
        doing: String,
        /// Bytes received.
        got: u64,
        /// Bytes announced.
        size: u64,
    },
    /// The server answered NO.
    #[error("{command}: server said NO {text}")]
    No {
        /// The command as shown in transcripts (secrets redacted).
        command: String,
        /// The server's text (with its response code), escaped for display.
        text: String,
        /// The response code's name (`AUTHENTICATIONFAILED`, `UNAVAILABLE`, `NONEXISTENT`...).
        code: Option<String>,
        /// Whether the command was part of logging in.
        auth: bool,
    },
    /// The server answered BAD: mailkit sent something it did not understand.
    #[error("{command}: server said BAD {text}")]
    Bad {
        /// The command as shown in transcripts.
        command: String,
        /// The server's text, escaped.
        text: String,
    },
    /// A response that does not follow RFC 3501 (as imap-codec reads it).
    #[error("{doing}: malformed response {line:?}")]
    Malformed {
        /// What was being read.
        doing: String,
        /// The start of the offending response, escaped.
        line: String,
    },
    /// A response line or buffered response larger than its budget.
    #[error("{doing}: response larger than {max} bytes")]
    TooLong {
        /// What was being read.
        doing: String,
        /// The budget.
        max: usize,
    },
    /// A literal announced larger than allowed, refused before reading any of it.
    #[error("{doing}: the server announced a {size}-byte literal, more than the {max} allowed")]
    LiteralTooLarge {
        /// What was being read.
        doing: String,
        /// The announced size.
        size: u64,
        /// The limit it broke.
        max: u64,
    },
    /// A response the protocol requires is missing (no UIDVALIDITY after SELECT, say).
    #[error("{doing}: {what}")]
    Missing {
        /// What was being done.
        doing: String,
        /// What was missing.
        what: String,
    },
    /// Bytes arrived after STARTTLS's tagged OK and before the TLS handshake: an attacker may
    /// have injected them to be read as if they came over TLS (CVE-2011-0411 class).
    #[error(
        "STARTTLS: {0} bytes arrived after the OK before the TLS handshake (possible injection); session aborted"
    )]
    Injection(usize),
    /// TLS was required but the server does not offer STARTTLS.
    #[error(
        "the server does not offer STARTTLS; refusing to log in without TLS (--tls none allows cleartext)"
    )]
    NoStartTls,
    /// A password or token would cross the network unencrypted.
    #[error(
        "refusing to send a password over a connection without TLS (--allow-cleartext-auth allows it)"
    )]
    CleartextRefused,
    /// The requested or any usable login method is not offered (LOGINDISABLED and no
    /// suitable AUTH=, say).
    #[error("authentication: {0}")]
    NoMechanism(String),
    /// A folder name IMAP cannot carry (a NUL or line break in it).
    #[error("{0:?} is not a usable folder name")]
    BadName(String),
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

impl ImapError {
    /// The kind of failure, for the one table in exit.rs: network trouble and servers that are
    /// busy are temporary, refused logins are auth failures, broken replies are protocol errors.
    pub fn kind(&self) -> Kind {
        match self {
            ImapError::Network { .. }
            | ImapError::Timeout { .. }
            | ImapError::Closed { .. }
            | ImapError::Truncated { .. } => Kind::Temporary,
            ImapError::No {
                code, auth: true, ..
            } => match code.as_deref() {
                Some("UNAVAILABLE" | "INUSE" | "LIMIT" | "SERVERBUG") => Kind::Temporary,
                _ => Kind::AuthRefused,
            },
            ImapError::No { code, .. } => match code.as_deref() {
                Some("UNAVAILABLE" | "INUSE" | "LIMIT" | "SERVERBUG" | "OVERQUOTA") => {
                    Kind::Temporary
                }
                Some("NONEXISTENT") => Kind::NotFound,
                _ => Kind::Permanent,
            },
            ImapError::Bad { .. }
            | ImapError::Malformed { .. }
            | ImapError::TooLong { .. }
            | ImapError::LiteralTooLarge { .. }
            | ImapError::Missing { .. }
            | ImapError::Injection(_) => Kind::Protocol,
            ImapError::NoStartTls | ImapError::CleartextRefused => Kind::TrustRefused,
            ImapError::NoMechanism(_) => Kind::AuthRefused,
            ImapError::BadName(_) => Kind::Usage,
            ImapError::Tls(err) => err.kind(),
            ImapError::Local { .. } => Kind::LocalIo,
        }
    }
}

impl From<ImapError> for Failure {
    fn from(err: ImapError) -> Self {
        Failure::new(err.kind(), err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no(code: Option<&str>, auth: bool) -> ImapError {
        ImapError::No {
            command: "X".into(),
            text: "t".into(),
            code: code.map(str::to_string),
            auth,
        }
    }

    #[test]
    fn response_codes_decide_the_kind() {
        assert_eq!(
            no(Some("AUTHENTICATIONFAILED"), true).kind(),
            Kind::AuthRefused
        );
        assert_eq!(no(Some("UNAVAILABLE"), true).kind(), Kind::Temporary);
        assert_eq!(no(None, true).kind(), Kind::AuthRefused);
        assert_eq!(no(Some("NONEXISTENT"), false).kind(), Kind::NotFound);
        assert_eq!(no(None, false).kind(), Kind::Permanent);
        assert_eq!(ImapError::Injection(3).kind(), Kind::Protocol);
        assert_eq!(ImapError::CleartextRefused.kind(), Kind::TrustRefused);
    }
}
