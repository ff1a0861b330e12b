//! SMTP client (RFC 5321 and its extensions).
//!
//! Layers, bottom up: [`reply`] parses server replies with caps on size; [`command`] renders
//! client commands; [`data`] encodes a message for DATA (CRLF normalisation, dot-stuffing);
//! [`session`] runs one connection over any `Read + Write`; [`deliver`] tries a list of hosts
//! in order for a batch of messages, through a [`deliver::Connect`] implementation that tests
//! can replace; [`direct`] finds each domain's MX hosts; [`submit`] sends a run of messages
//! now, through a relay or direct.

pub mod command;
pub mod data;
pub mod deliver;
pub mod direct;
pub mod reply;
pub mod session;
pub mod submit;

use std::fmt;

pub use crate::sasl::Mechanism;
pub use data::Payload;
pub use reply::Reply;
pub use session::{Session, Transaction};

use crate::{
    exit::{Failure, Kind},
    net::{ConnectError, TlsError},
    secret::Secret,
};

/// Why a session failed as a whole (as opposed to one recipient being refused).
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// Reading or writing the connection failed (reset, timeout).
    #[error("connection lost: {0}")]
    Io(#[from] std::io::Error),
    /// The server closed the connection while a reply was expected.
    #[error("connection closed by the server")]
    Closed,
    /// A reply did not arrive complete within the reply timeout: a silent server, or one
    /// dripping its reply a byte at a time, which a per-read timeout alone would never end.
    #[error("timed out after {secs} s waiting for {step}")]
    Timeout {
        /// The reply timeout, in seconds.
        secs: u64,
        /// What was awaited: `the greeting`, `the reply to EHLO`...
        step: String,
    },
    /// The server sent something that is not a valid reply, or too much of it.
    #[error("protocol error: {0}")]
    Malformed(String),
    /// The server refused a command the session cannot go on without.
    #[error("{command} refused: {reply}")]
    Rejected {
        /// What was refused.
        command: String,
        /// The server's reply.
        reply: Reply,
    },
    /// The server answered 421: it is shutting the connection down (RFC 5321 §3.8).
    #[error("server closing the connection: {0}")]
    Closing(Reply),
    /// Bytes arrived after the server's go-ahead for STARTTLS and before the handshake: a
    /// man in the middle injecting cleartext commands (CVE-2021-22947).
    #[error(
        "{0} bytes received after the STARTTLS go-ahead and before the TLS handshake (possible injection); aborting"
    )]
    StarttlsInjection(usize),
    /// TLS was required but the server does not offer STARTTLS.
    #[error(
        "the server does not offer STARTTLS and TLS is required (use --tls opportunistic or none to allow cleartext)"
    )]
    StarttlsUnavailable,
    /// TLS was required and the server refused STARTTLS.
    #[error("STARTTLS refused: {0}")]
    StarttlsRefused(Reply),
    /// Credentials would have gone over a connection without TLS.
    #[error(
        "refusing to send credentials without TLS (use --tls starttls or tls, or --allow-cleartext-auth)"
    )]
    CleartextAuth,
    /// Credentials were given but the server offers no AUTH, so sending would silently go
    /// unauthenticated.
    #[error("credentials are configured but the server offers no AUTH")]
    AuthNotOffered,
    /// No SASL mechanism both sides support.
    #[error("no usable AUTH mechanism: {0}")]
    NoMechanism(String),
    /// The server refused the credentials.
    #[error("authentication failed: {0}")]
    AuthFailed(Reply),
    /// Connecting failed.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// TLS setup or the handshake failed.
    #[error(transparent)]
    Tls(#[from] TlsError),
}

impl SmtpError {
    /// What kind of failure this is: connection trouble and 4xx are temporary, 5xx
    /// permanent; TLS that was required but not offered or refused, and credentials that
    /// would go in cleartext, are trust refusals (as in POP3); a refused login is an
    /// authentication refusal.
    pub fn kind(&self) -> Kind {
        match self {
            SmtpError::Io(_)
            | SmtpError::Closed
            | SmtpError::Closing(_)
            | SmtpError::Timeout { .. } => Kind::Temporary,
            SmtpError::Malformed(_) | SmtpError::StarttlsInjection(_) => Kind::Protocol,
            SmtpError::Rejected { reply, .. } if reply.is_transient() => Kind::Temporary,
            SmtpError::Rejected { reply, .. } if reply.is_permanent() => Kind::Permanent,
            SmtpError::Rejected { .. } => Kind::Protocol,
            SmtpError::StarttlsUnavailable
            | SmtpError::StarttlsRefused(_)
            | SmtpError::CleartextAuth => Kind::TrustRefused,
            SmtpError::AuthNotOffered | SmtpError::NoMechanism(_) | SmtpError::AuthFailed(_) => {
                Kind::AuthRefused
            }
            SmtpError::Connect(err) => err.kind(),
            SmtpError::Tls(err) => err.kind(),
        }
    }

    /// Whether another host (the next MX) might do better: connection trouble and temporary
    /// refusals, but not a refused login or certificate, which would fail the same way.
    pub fn try_next_host(&self) -> bool {
        matches!(
            self.kind(),
            Kind::Temporary | Kind::Protocol | Kind::Permanent
        )
    }
}

impl From<SmtpError> for Failure {
    fn from(err: SmtpError) -> Self {
        Failure::new(err.kind(), err)
    }
}

/// What the server offered in its EHLO reply (RFC 5321 §4.1.1.1 and the extensions' RFCs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// RFC 3207.
    pub starttls: bool,
    /// RFC 2920.
    pub pipelining: bool,
    /// RFC 1870: the server's limit (0 means no fixed limit); `None` when SIZE is absent.
    pub size: Option<u64>,
    /// RFC 6152.
    pub eight_bit_mime: bool,
    /// RFC 6531.
    pub smtputf8: bool,
    /// RFC 3461.
    pub dsn: bool,
    /// RFC 4954: SASL mechanism names, upper case.
    pub auth: Vec<String>,
}

impl Capabilities {
    /// Reads the keyword lines of an EHLO reply (every line after the first).
    pub fn parse(reply: &Reply) -> Capabilities {
        let mut caps = Capabilities::default();
        for line in reply.lines.iter().skip(1) {
            let mut words = line.split([' ', '=']).filter(|w| !w.is_empty());
            let Some(keyword) = words.next() else {
                continue;
            };
            match keyword.to_ascii_uppercase().as_str() {
                "STARTTLS" => caps.starttls = true,
                "PIPELINING" => caps.pipelining = true,
                "SIZE" => caps.size = Some(words.next().and_then(|n| n.parse().ok()).unwrap_or(0)),
                "8BITMIME" => caps.eight_bit_mime = true,
                "SMTPUTF8" => caps.smtputf8 = true,
                "DSN" => caps.dsn = true,
                "AUTH" => {
                    for mech in words {
                        let mech = mech.to_ascii_uppercase();
                        if !caps.auth.contains(&mech) {
                            caps.auth.push(mech);
                        }
                    }
                }
                _ => {}
            }
        }
        caps
    }
}

/// Who logs in, with what, and how (the mechanism is chosen from the server's offer when
/// `None`: PLAIN, then LOGIN).
#[derive(Clone, Debug)]
pub struct Credentials {
    /// Login name.
    pub user: String,
    /// Password or OAuth token.
    pub secret: Secret,
    /// A forced mechanism.
    pub mechanism: Option<Mechanism>,
}

/// Delivery status notification requests (RFC 3461), sent only when the server offers DSN.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dsn {
    /// `NOTIFY=` value for every recipient: `NEVER` or a list of SUCCESS, FAILURE, DELAY.
    pub notify: Option<String>,
    /// `RET=FULL` or `RET=HDRS`.
    pub ret: Option<String>,
    /// `ENVID=`, xtext-encoded on the wire.
    pub envid: Option<String>,
}

/// The envelope of one transaction: who the message is from and to, as the servers see it
/// (the header's From/To/Bcc are not the envelope).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The reverse path; empty for a null sender.
    pub from: String,
    /// The forward paths.
    pub recipients: Vec<String>,
    /// DSN requests.
    pub dsn: Dsn,
}

impl Envelope {
    /// The same sender and DSN requests for only the recipients at `indexes`: a destination's
    /// share of a message, or what is still pending after a host deferred.
    pub fn subset(&self, indexes: &[usize]) -> Envelope {
        Envelope {
            from: self.from.clone(),
            recipients: indexes
                .iter()
                .map(|&i| self.recipients[i].clone())
                .collect(),
            dsn: self.dsn.clone(),
        }
    }
}

/// The fate of one recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The server took responsibility for the message.
    Accepted,
    /// Refused for good.
    Rejected,
    /// Refused for now, or never tried: try again later.
    Deferred,
    /// The connection was lost after the whole message was sent and before the server's
    /// reply: it may have been delivered, so it must not be resent blindly nor called success.
    Unknown,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
            Status::Deferred => "deferred",
            Status::Unknown => "unknown",
        })
    }
}

/// One recipient's outcome in one transaction: status, the server's words, and the kind of
/// failure it contributes to the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RcptOutcome {
    /// What happened.
    pub status: Status,
    /// The server's reply, or mailkit's reason when there was none.
    pub reply: String,
    /// What kind of failure this is; `None` when accepted.
    pub kind: Option<Kind>,
}

impl RcptOutcome {
    /// An outcome decided by a reply's class.
    pub fn from_reply(reply: &Reply) -> RcptOutcome {
        let (status, kind) = if reply.is_positive() {
            (Status::Accepted, None)
        } else if reply.is_transient() {
            (Status::Deferred, Some(Kind::Temporary))
        } else if reply.is_permanent() {
            (Status::Rejected, Some(Kind::Permanent))
        } else {
            (Status::Deferred, Some(Kind::Protocol))
        };
        RcptOutcome {
            status,
            reply: reply.to_string(),
            kind,
        }
    }

    /// An outcome with a status and a reason of mailkit's own.
    pub fn new(status: Status, reply: String) -> RcptOutcome {
        let kind = match status {
            Status::Accepted => None,
            Status::Rejected => Some(Kind::Permanent),
            Status::Deferred | Status::Unknown => Some(Kind::Temporary),
        };
        RcptOutcome {
            status,
            reply,
            kind,
        }
    }

    /// Refused by mailkit before asking the server (SIZE over the limit, missing extension).
    pub fn refused(reason: String) -> RcptOutcome {
        RcptOutcome::new(Status::Rejected, reason)
    }

    /// The outcome for recipients caught by a session-level error: deferred when another try
    /// may work, rejected otherwise, with the error's own kind.
    pub fn from_error(err: &SmtpError) -> RcptOutcome {
        let kind = err.kind();
        let status = match kind {
            Kind::Temporary | Kind::Protocol => Status::Deferred,
            _ => Status::Rejected,
        };
        RcptOutcome {
            status,
            reply: err.to_string(),
            kind: Some(kind),
        }
    }
}

/// The domain part of `local@domain` (empty without an `@`): what MX routing and Message-IDs
/// are keyed on.
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, d)| d)
}

/// Checks a mailbox for use in MAIL FROM / RCPT TO: no CR, LF or NUL (which would inject
/// commands), no angle brackets or spaces (which would break the path syntax), and a local part
/// and domain around an `@`. The empty reverse path is checked by the caller.
pub fn check_address(address: &str) -> Result<(), String> {
    if let Some(bad) = address
        .chars()
        .find(|c| c.is_control() || matches!(c, '<' | '>' | ' '))
    {
        return Err(format!(
            "address {:?} contains {bad:?}",
            crate::output::escape_line(address)
        ));
    }
    match address.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => Ok(()),
        _ => Err(format!(
            "{:?} is not an address (local@domain)",
            crate::output::escape_line(address)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_from_ehlo() {
        let reply = Reply {
            code: 250,
            lines: [
                "mx.example greets you",
                "STARTTLS",
                "AUTH=PLAIN",
                "auth plain login",
                "SIZE",
                "8bitmime",
            ]
            .map(String::from)
            .to_vec(),
        };
        let caps = Capabilities::parse(&reply);
        assert!(caps.starttls && caps.eight_bit_mime && !caps.pipelining);
        assert_eq!(caps.auth, ["PLAIN", "LOGIN"]);
        assert_eq!(caps.size, Some(0));
    }

    #[test]
    fn addresses_with_controls_or_brackets_are_refused() {
        for bad in [
            "a@b\r\nRCPT TO:<x@y>",
            "a@b\n",
            "a\0@b",
            "a@b>",
            "<a@b",
            "a b@c",
            "ab",
            "@b",
            "a@",
        ] {
            assert!(check_address(bad).is_err(), "{bad:?}");
        }
        for good in ["a@b", "j\u{f6}rg@m\u{fc}ller.test", "a+tag@b.c"] {
            assert!(check_address(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn error_exit_codes() {
        let reply = |code| Reply {
            code,
            lines: vec![],
        };
        let rejected = |code| SmtpError::Rejected {
            command: "EHLO".into(),
            reply: reply(code),
        };
        assert_eq!(rejected(451).kind(), Kind::Temporary);
        assert_eq!(rejected(554).kind(), Kind::Permanent);
        assert_eq!(SmtpError::AuthFailed(reply(535)).kind(), Kind::AuthRefused);
        assert_eq!(SmtpError::CleartextAuth.kind(), Kind::TrustRefused);
        assert!(!SmtpError::AuthFailed(reply(535)).try_next_host());
        assert!(SmtpError::Closed.try_next_host());
    }
}
