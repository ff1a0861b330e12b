//! What the queue records about a message besides its bytes: the envelope, how it is routed,
//! each recipient's fate, and the retry bookkeeping. Serialized as JSON in the entry's file
//! (see store.rs); fields are only ever added (with defaults), so old entries stay readable.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{net::TlsMode, smtp};

/// The version of the state file format this mailkit writes.
pub const VERSION: u32 = 1;

/// One queued message's envelope and delivery state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The format version ([`VERSION`]).
    pub version: u32,
    /// When the message was queued (seconds since the epoch).
    pub created: u64,
    /// Where the lifetime is counted from: `created`, or the time of a `queue retry`.
    pub lifetime_start: u64,
    /// The envelope sender; empty for a null sender (a bounce, which never bounces).
    pub sender: String,
    /// DSN requests passed on to the server.
    #[serde(default)]
    pub dsn: DsnRequest,
    /// The message's Message-ID, for lists and bounces.
    #[serde(default)]
    pub message_id: Option<String>,
    /// How the message leaves: relay or direct MX, without any password.
    pub route: Route,
    /// Every envelope recipient and its fate.
    pub recipients: Vec<Recipient>,
    /// Delivery attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// When the last attempt started.
    #[serde(default)]
    pub last_attempt: Option<u64>,
    /// When the next attempt is due.
    pub next_attempt: u64,
    /// Held by `queue hold`: never tried until released.
    #[serde(default)]
    pub held: bool,
    /// Why the message was given up on (lifetime exceeded), if it was.
    #[serde(default)]
    pub failed: Option<String>,
    /// Whether the delivery status notification for refused recipients was queued.
    #[serde(default)]
    pub bounced: bool,
    /// Whether the notification that delivery is delayed (`queue run --delay-warning`) was
    /// queued: one per message (and per `queue retry`).
    #[serde(default)]
    pub warned: bool,
}

/// The in-flight mark: written (without waiting for the disk) just before a message's
/// content is handed to a server, removed once the server's answer is recorded. A run that
/// finds a mark of an attempt the state does not record was killed in between: the
/// recipients named may have the message, so they become uncertain instead of being sent it
/// again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
    /// The attempt (its number once recorded in [`State::attempts`]).
    pub attempt: u32,
    /// When the content started to go out.
    pub at: u64,
    /// Indexes into [`State::recipients`].
    pub recipients: Vec<usize>,
    /// Stands for every recipient pending when the mark is settled: written instead of the
    /// indexes when they do not fit in the entry's mark space.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub every_pending: bool,
}

/// DSN parameters for the server (RFC 3461).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DsnRequest {
    /// `NOTIFY=`.
    pub notify: Option<String>,
    /// `RET=`.
    pub ret: Option<String>,
    /// `ENVID=`.
    pub envid: Option<String>,
}

/// One recipient and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// The forward path.
    pub address: String,
    /// Where it stands.
    pub status: RcptStatus,
    /// The last reply (or mailkit's reason) for this recipient.
    #[serde(default)]
    pub reply: Option<String>,
    /// The host that gave the last reply.
    #[serde(default)]
    pub host: Option<String>,
}

/// A recipient's standing in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RcptStatus {
    /// Still to be delivered (never tried, or deferred).
    Pending,
    /// A server took it: never sent again.
    Accepted,
    /// Refused for good (5xx), or given up on: never sent again.
    Rejected,
    /// The connection was lost after the final `.` (or mailkit died) before the server's
    /// answer: it may have the message. Only `queue retry` sends it again.
    Uncertain,
}

/// How a queued message is routed: enough to connect again later, but never a password.
/// Credentials are read again at delivery time, from the account or the recorded source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// A relay (`host`, `port`), or `None` for direct delivery to each domain's MX hosts.
    pub relay: Option<Relay>,
    /// The port for direct delivery (25 unless `--port`).
    #[serde(default = "default_mx_port")]
    pub mx_port: u16,
    /// Connection protection.
    pub tls: TlsMode,
    /// The account whose credentials and CA file are used.
    #[serde(default)]
    pub account: Option<String>,
    /// The login name, when given by flag.
    #[serde(default)]
    pub user: Option<String>,
    /// Where the password comes from, when given by flag.
    #[serde(default)]
    pub secret: Option<SecretRef>,
    /// A forced SASL mechanism name.
    #[serde(default)]
    pub auth: Option<String>,
    /// Extra trusted CAs.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// INSECURE: no certificate checks (recorded because the sender asked for it).
    #[serde(default)]
    pub insecure_skip_tls_verify: bool,
    /// INSECURE: AUTH without TLS allowed.
    #[serde(default)]
    pub allow_cleartext_auth: bool,
    /// The EHLO name.
    #[serde(default)]
    pub ehlo: Option<String>,
    /// DNS server for MX lookups.
    #[serde(default)]
    pub dns_server: Option<String>,
    /// Connect and reply timeout, seconds.
    pub timeout: u64,
}

fn default_mx_port() -> u16 {
    25
}

/// A relay's address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relay {
    /// Host name or address, looked up again at each attempt.
    pub host: String,
    /// Port.
    pub port: u16,
}

/// Where a password is read at delivery time: the name of the place, never the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SecretRef {
    /// An environment variable of the delivering run.
    Env(String),
    /// A file.
    File(PathBuf),
    /// A command printing it.
    Command(String),
}

/// What `queue list` calls a message's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageState {
    /// Waiting for its first attempt.
    Queued,
    /// Tried and deferred; waiting for the next attempt.
    Deferred,
    /// Put aside by `queue hold`.
    Held,
    /// Some recipient may or may not have it; waits for a person (`queue retry`).
    Uncertain,
    /// Given up on, or refused for good; kept until `queue rm`.
    Failed,
}

impl std::fmt::Display for MessageState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MessageState::Queued => "queued",
            MessageState::Deferred => "deferred",
            MessageState::Held => "held",
            MessageState::Uncertain => "uncertain",
            MessageState::Failed => "failed",
        })
    }
}

impl State {
    /// A fresh entry for `envelope`, due at once.
    pub fn new(
        envelope: &smtp::Envelope,
        message_id: Option<String>,
        route: Route,
        now: u64,
    ) -> State {
        State {
            version: VERSION,
            created: now,
            lifetime_start: now,
            sender: envelope.from.clone(),
            dsn: DsnRequest {
                notify: envelope.dsn.notify.clone(),
                ret: envelope.dsn.ret.clone(),
                envid: envelope.dsn.envid.clone(),
            },
            message_id,
            route,
            recipients: envelope
                .recipients
                .iter()
                .map(|address| Recipient {
                    address: address.clone(),
                    status: RcptStatus::Pending,
                    reply: None,
                    host: None,
                })
                .collect(),
            attempts: 0,
            last_attempt: None,
            next_attempt: now,
            held: false,
            failed: None,
            bounced: false,
            warned: false,
        }
    }

    /// A run died while `flight`'s recipients' copy was on its way: they may have it, so they
    /// become uncertain (only `queue retry` sends to them again).
    pub fn recover(&mut self, flight: &InFlight) {
        let reply = format!(
            "mailkit was stopped while sending the message (at {}) before the server's answer was recorded; it may have been delivered",
            super::bounce::rfc2822_date(flight.at)
        );
        let indexes = if flight.every_pending {
            self.pending()
        } else {
            flight.recipients.clone()
        };
        for i in indexes {
            if let Some(r) = self.recipients.get_mut(i)
                && r.status == RcptStatus::Pending
            {
                r.status = RcptStatus::Uncertain;
                r.reply = Some(reply.clone());
            }
        }
    }

    /// Indexes of the recipients still to deliver.
    pub fn pending(&self) -> Vec<usize> {
        self.indexes(RcptStatus::Pending)
    }

    /// Indexes of the recipients with `status`.
    pub fn indexes(&self, status: RcptStatus) -> Vec<usize> {
        (0..self.recipients.len())
            .filter(|&i| self.recipients[i].status == status)
            .collect()
    }

    /// The state `queue list` shows.
    pub fn state(&self) -> MessageState {
        let any = |s| self.recipients.iter().any(|r| r.status == s);
        if self.held {
            MessageState::Held
        } else if any(RcptStatus::Uncertain) {
            MessageState::Uncertain
        } else if self.failed.is_some() || !any(RcptStatus::Pending) {
            MessageState::Failed
        } else if self.attempts == 0 {
            MessageState::Queued
        } else {
            MessageState::Deferred
        }
    }

    /// Whether nothing is left to do: every recipient accepted. Such an entry leaves the
    /// queue; one with refused recipients stays, as failed, until `queue rm`.
    pub fn is_done(&self) -> bool {
        self.recipients
            .iter()
            .all(|r| r.status == RcptStatus::Accepted)
    }

    /// The envelope for the recipients at `indexes`.
    pub fn envelope(&self, indexes: &[usize]) -> smtp::Envelope {
        smtp::Envelope {
            from: self.sender.clone(),
            recipients: indexes
                .iter()
                .map(|&i| self.recipients[i].address.clone())
                .collect(),
            dsn: smtp::Dsn {
                notify: self.dsn.notify.clone(),
                ret: self.dsn.ret.clone(),
                envid: self.dsn.envid.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route() -> Route {
        Route {
            relay: Some(Relay {
                host: "relay.test".into(),
                port: 587,
            }),
            mx_port: 25,
            tls: TlsMode::Starttls,
            account: None,
            user: Some("alice".into()),
            secret: Some(SecretRef::Env("PW".into())),
            auth: None,
            ca_file: None,
            insecure_skip_tls_verify: false,
            allow_cleartext_auth: false,
            ehlo: None,
            dns_server: None,
            timeout: 60,
        }
    }

    #[test]
    fn states_follow_the_recipients() {
        let envelope = smtp::Envelope {
            from: "a@x.test".into(),
            recipients: vec!["b@y.test".into(), "c@y.test".into()],
            dsn: Default::default(),
        };
        let mut state = State::new(&envelope, None, route(), 100);
        assert_eq!(state.state(), MessageState::Queued);
        state.attempts = 1;
        assert_eq!(state.state(), MessageState::Deferred);
        state.recipients[0].status = RcptStatus::Accepted;
        state.recipients[1].status = RcptStatus::Uncertain;
        assert_eq!(state.state(), MessageState::Uncertain);
        state.recipients[1].status = RcptStatus::Rejected;
        assert_eq!(state.state(), MessageState::Failed);
        assert!(!state.is_done());
        state.held = true;
        assert_eq!(state.state(), MessageState::Held);
        state.recipients[1].status = RcptStatus::Accepted;
        assert!(state.is_done());
    }

    #[test]
    fn the_route_never_holds_a_password_and_round_trips() {
        let envelope = smtp::Envelope {
            from: "a@x.test".into(),
            recipients: vec!["b@y.test".into()],
            dsn: Default::default(),
        };
        let state = State::new(&envelope, Some("id@x".into()), route(), 100);
        let json = serde_json::to_string(&state).unwrap();
        assert!(json.contains(r#""secret":{"env":"PW"}"#), "{json}");
        assert_eq!(serde_json::from_str::<State>(&json).unwrap(), state);
    }
}
