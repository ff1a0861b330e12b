//! Delivering a batch of messages to one destination (a relay, or one domain's MX hosts):
//! hosts are tried in the order given, one connection carries every message, recipients a host
//! deferred move on to the next host, and every recipient ends with exactly one outcome.
//!
//! Connecting is behind [`Connect`], so the fallback logic is tested with scripted sessions.

use std::{
    io::{Read, Write},
    net::SocketAddr,
    time::Duration,
};

use super::{Credentials, Envelope, Payload, RcptOutcome, Session, SmtpError, Status};
use crate::{
    net::TlsMode,
    net::{self, Stream, TlsClient},
    output::Transcript,
};

/// One address of one host to try; `name` is what the certificate is checked against and what
/// reports show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Host name (or the address literal when there is no name).
    pub name: String,
    /// Where to connect.
    pub addr: SocketAddr,
}

/// Opens a ready session (greeted, EHLO'd, TLS and AUTH done) to a target.
pub trait Connect {
    /// The stream sessions run on.
    type Stream: Read + Write;
    /// Connects and prepares a session, or says why not.
    fn open(&mut self, target: &Target) -> Result<Session<Self::Stream>, SmtpError>;

    /// Takes a warning for the user (something asked for that the server cannot do).
    fn warn(&mut self, warning: String);

    /// Hears that `job`'s content is about to be handed to a server: from then until its
    /// reply, a lost connection leaves its fate unknown, and a queue records that first. The
    /// job's payload is the caller's own, so callers that split messages by destination can
    /// still tell which message it is.
    fn sending(&mut self, job: &Job<'_>) {
        let _ = job;
    }
}

/// One message for one destination: its envelope (only this destination's recipients) and
/// its encoded bytes.
#[derive(Clone, Copy, Debug)]
pub struct Job<'a> {
    /// Sender and this destination's recipients.
    pub envelope: &'a Envelope,
    /// The message.
    pub payload: &'a Payload,
}

/// A recipient's final outcome and the host that decided it (none when no host answered).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// What happened.
    pub outcome: RcptOutcome,
    /// The host that gave the outcome.
    pub host: Option<String>,
    /// The port it was reached on, so that messages name the server as `host:port`.
    pub port: Option<u16>,
}

impl Report {
    /// The server that gave the outcome as people read it, `host:port` (`[v6]:port`).
    pub fn server(&self) -> Option<String> {
        let host = self.host.as_deref()?;
        Some(match self.port {
            Some(port) if host.contains(':') => format!("[{host}]:{port}"),
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        })
    }
}

/// Delivers every job through the first target that takes it, returning one report per
/// recipient per job, in order. A recipient is settled by acceptance, a permanent refusal or
/// an unknown outcome; deferred recipients (and those of a lost connection, or of an
/// unreachable host) are retried at the next target.
pub fn deliver<C: Connect>(
    connector: &mut C,
    targets: &[Target],
    jobs: &[Job<'_>],
) -> Vec<Vec<Report>> {
    let mut relay = Relay::new(connector, targets);
    let reports = relay.send(jobs);
    relay.finish();
    reports
}

/// Where one target stands in a run that is delivered batch by batch.
enum Host<S: Read + Write> {
    /// Not connected to yet.
    Untried,
    /// Connected, and kept for the next batch; `dsn_warned` once the user was told it has
    /// no DSN.
    Open {
        session: Session<S>,
        dsn_warned: bool,
    },
    /// Unreachable, refused the session, or lost it: this outcome settles the recipients it
    /// would have had; `next` says whether the later targets are still tried.
    Failed { outcome: RcptOutcome, next: bool },
}

/// [`deliver`] for a run whose messages arrive batch by batch (`send --mbox`): each target is
/// connected to once, when a batch first needs it, and its session carries every later batch,
/// so a large mailbox goes over one connection without being held in memory. Each batch gets
/// the outcomes [`deliver`] would give it.
pub struct Relay<'c, C: Connect> {
    connector: &'c mut C,
    targets: &'c [Target],
    hosts: Vec<Host<C::Stream>>,
}

impl<'c, C: Connect> Relay<'c, C> {
    /// A run over `targets`, in order; nothing is connected yet.
    pub fn new(connector: &'c mut C, targets: &'c [Target]) -> Self {
        Relay {
            connector,
            targets,
            hosts: targets.iter().map(|_| Host::Untried).collect(),
        }
    }

    /// Delivers one batch: one report per recipient per job, in order.
    pub fn send(&mut self, jobs: &[Job<'_>]) -> Vec<Vec<Report>> {
        let mut reports: Vec<Vec<Report>> = jobs
            .iter()
            .map(|job| {
                let outcome = RcptOutcome::new(Status::Deferred, "no host to deliver to".into());
                vec![
                    Report {
                        outcome,
                        host: None,
                        port: None,
                    };
                    job.envelope.recipients.len()
                ]
            })
            .collect();
        let mut pending: Vec<Vec<usize>> = jobs
            .iter()
            .map(|job| (0..job.envelope.recipients.len()).collect())
            .collect();
        for (t, target) in self.targets.iter().enumerate() {
            if pending.iter().all(Vec::is_empty) {
                break;
            }
            let host = Some(target.name.clone());
            if matches!(self.hosts[t], Host::Untried) {
                self.hosts[t] = match self.connector.open(target) {
                    Ok(session) => Host::Open {
                        session,
                        dsn_warned: false,
                    },
                    Err(err) => Host::Failed {
                        outcome: RcptOutcome::from_error(&err),
                        next: err.try_next_host(),
                    },
                };
            }
            let (session, dsn_warned) = match &mut self.hosts[t] {
                Host::Open {
                    session,
                    dsn_warned,
                } => (session, dsn_warned),
                Host::Failed { outcome, next } => {
                    for (j, indexes) in pending.iter_mut().enumerate() {
                        settle(&mut reports[j], indexes, outcome, &host, target.addr.port());
                        if !*next {
                            indexes.clear();
                        }
                    }
                    continue;
                }
                Host::Untried => unreachable!("connected to just above"),
            };
            let active: Vec<usize> = (0..jobs.len())
                .filter(|&j| !pending[j].is_empty())
                .collect();
            let wants_dsn = active.iter().any(|&j| {
                let dsn = &jobs[j].envelope.dsn;
                dsn.notify.is_some() || dsn.ret.is_some() || dsn.envid.is_some()
            });
            if wants_dsn && !*dsn_warned && !session.capabilities().dsn {
                *dsn_warned = true;
                self.connector.warn(format!(
                    "{} does not offer DSN; --notify, --ret and --envid are not sent",
                    target.name
                ));
            }
            let envelopes: Vec<Envelope> = active
                .iter()
                .map(|&j| jobs[j].envelope.subset(&pending[j]))
                .collect();
            let items: Vec<(&Envelope, &Payload)> = active
                .iter()
                .zip(&envelopes)
                .map(|(&j, envelope)| (envelope, jobs[j].payload))
                .collect();
            let connector = &mut *self.connector;
            let batch =
                session.send_all_observed(&items, &mut |k| connector.sending(&jobs[active[k]]));
            let attempted = batch.transactions.len();
            for (&j, outcomes) in active.iter().zip(batch.transactions) {
                let mut still = Vec::new();
                for (&i, outcome) in pending[j].iter().zip(outcomes) {
                    if outcome.status == Status::Deferred {
                        still.push(i);
                    }
                    reports[j][i] = Report {
                        outcome,
                        host: host.clone(),
                        port: Some(target.addr.port()),
                    };
                }
                pending[j] = still;
            }
            if let Some(err) = batch.fatal {
                // The session is gone: what it did not attempt, in this batch and the next
                // ones, moves on to the next target.
                let outcome = RcptOutcome::from_error(&err);
                for &j in active.iter().skip(attempted) {
                    settle(
                        &mut reports[j],
                        &pending[j],
                        &outcome,
                        &host,
                        target.addr.port(),
                    );
                }
                self.hosts[t] = Host::Failed {
                    outcome,
                    next: true,
                };
            }
        }
        reports
    }

    /// The connector, for the warnings it has gathered so far.
    pub fn connector(&mut self) -> &mut C {
        self.connector
    }

    /// Ends every open session politely.
    pub fn finish(self) {
        for host in self.hosts {
            if let Host::Open { session, .. } = host {
                session.quit();
            }
        }
    }
}

/// Gives the recipients at `indexes` the same outcome from `host`.
fn settle(
    reports: &mut [Report],
    indexes: &[usize],
    outcome: &RcptOutcome,
    host: &Option<String>,
    port: u16,
) {
    for &i in indexes {
        reports[i] = Report {
            outcome: outcome.clone(),
            host: host.clone(),
            port: Some(port),
        };
    }
}

/// A domain's share of a run: (message index, indexes of that message's recipients in the
/// domain).
pub type Members = Vec<(usize, Vec<usize>)>;

/// Groups the recipients of every message by domain (case-insensitively), domains in the order
/// first seen, so that direct delivery opens one connection per domain for all messages.
pub fn by_domain(envelopes: &[&Envelope]) -> Vec<(String, Members)> {
    let mut domains: Vec<(String, Members)> = Vec::new();
    for (m, envelope) in envelopes.iter().enumerate() {
        for (r, address) in envelope.recipients.iter().enumerate() {
            let domain = super::domain_of(address).to_ascii_lowercase();
            let slot = match domains.iter().position(|(d, _)| *d == domain) {
                Some(slot) => slot,
                None => {
                    domains.push((domain, Vec::new()));
                    domains.len() - 1
                }
            };
            let members = &mut domains[slot].1;
            match members.iter_mut().find(|(message, _)| *message == m) {
                Some((_, indexes)) => indexes.push(r),
                None => members.push((m, vec![r])),
            }
        }
    }
    domains
}

/// The real connector: TCP with timeouts, TLS per `tls_mode`, EHLO, STARTTLS, AUTH.
pub struct Connector {
    /// How the connection is protected.
    pub tls_mode: TlsMode,
    /// Certificate checking, shared by every connection.
    pub tls: TlsClient,
    /// The name given in EHLO; `None` for the address literal of each connection's local end.
    pub ehlo: Option<String>,
    /// Credentials for AUTH, if any.
    pub credentials: Option<Credentials>,
    /// Allow AUTH without TLS (explicitly asked for).
    pub allow_cleartext_auth: bool,
    /// How long each reply, and the TLS handshake, may take in all.
    pub timeout: Duration,
    /// How long a TCP connection may take to be accepted.
    pub connect_timeout: Duration,
    /// The `-v` transcript (off unless asked for).
    pub transcript: Transcript,
    /// Warnings for the user (cleartext fallback), printed by the command.
    pub warnings: Vec<String>,
}

impl Connect for Connector {
    type Stream = Stream;

    fn warn(&mut self, warning: String) {
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    fn open(&mut self, target: &Target) -> Result<Session<Stream>, SmtpError> {
        if self.transcript.is_on() {
            let text = format!("connecting to {} ({})", target.name, target.addr);
            self.transcript.event(&text);
        }
        let tcp = net::connect_addr(target.addr, self.connect_timeout, self.timeout)?;
        let ehlo = match (&self.ehlo, tcp.local_addr()) {
            (Some(name), _) => name.clone(),
            (None, Ok(local)) => address_literal(local.ip()),
            (None, Err(_)) => "[127.0.0.1]".to_string(),
        };
        let (stream, implicit) = match self.tls_mode {
            TlsMode::Tls => (self.tls.handshake(tcp, &target.name)?, true),
            _ => (Stream::Plain(tcp), false),
        };
        let mut session = Session::open(stream, implicit, self.transcript.clone(), self.timeout)?;
        let helo_fallback = matches!(self.tls_mode, TlsMode::None | TlsMode::Opportunistic)
            && self.credentials.is_none();
        session.hello(&ehlo, helo_fallback)?;
        let upgrade = match self.tls_mode {
            TlsMode::Tls | TlsMode::None => false,
            TlsMode::Starttls if !session.capabilities().starttls => {
                return Err(SmtpError::StarttlsUnavailable);
            }
            TlsMode::Starttls => true,
            TlsMode::Opportunistic => {
                if !session.capabilities().starttls {
                    self.warnings.push(format!(
                        "{} ({}) does not offer STARTTLS; sending in cleartext",
                        target.name, target.addr
                    ));
                }
                session.capabilities().starttls
            }
        };
        if upgrade {
            let tls = &self.tls;
            session = session
                .starttls(|stream| Ok(stream.start_tls(tls, &target.name)?))
                .map_err(|err| match err {
                    SmtpError::Rejected { reply, .. } if self.tls_mode == TlsMode::Starttls => {
                        SmtpError::StarttlsRefused(reply)
                    }
                    err => err,
                })?;
            session.hello(&ehlo, false)?;
        }
        if let Some(credentials) = &self.credentials {
            session.auth(credentials, self.allow_cleartext_auth)?;
        }
        Ok(session)
    }
}

/// RFC 5321 §4.1.3 address literal: `[192.0.2.1]` or `[IPv6:2001:db8::1]`.
fn address_literal(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => format!("[{v4}]"),
        std::net::IpAddr::V6(v6) => format!("[IPv6:{v6}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Script;
    use std::{
        collections::VecDeque,
        io,
        sync::{Arc, Mutex},
    };

    /// Each target gets the next scripted behaviour: a connection error or a server script.
    struct Hosts {
        behaviours: VecDeque<Result<&'static [u8], SmtpError>>,
        written: Vec<Arc<Mutex<Vec<u8>>>>,
        opened: Vec<String>,
        warnings: Vec<String>,
    }

    impl Connect for Hosts {
        type Stream = Script;
        fn warn(&mut self, warning: String) {
            self.warnings.push(warning);
        }
        fn open(&mut self, target: &Target) -> Result<Session<Script>, SmtpError> {
            self.opened.push(target.name.clone());
            let script = self.behaviours.pop_front().ok_or(SmtpError::Closed)??;
            let (stream, written) = Script::recorded(script);
            self.written.push(written);
            let mut session =
                Session::open(stream, false, Transcript::off(), crate::testing::TIMEOUT)?;
            session.hello("c", false)?;
            Ok(session)
        }
    }

    impl Hosts {
        fn new<const N: usize>(behaviours: [Result<&'static [u8], SmtpError>; N]) -> Self {
            Hosts {
                behaviours: behaviours.into(),
                written: vec![],
                opened: vec![],
                warnings: vec![],
            }
        }
    }

    fn envelope(recipients: &[&str]) -> Envelope {
        Envelope {
            from: "a@c".into(),
            recipients: recipients.iter().map(|r| r.to_string()).collect(),
            dsn: Default::default(),
        }
    }

    fn targets(n: usize) -> Vec<Target> {
        (1..=n)
            .map(|i| Target {
                name: format!("mx{i}.test"),
                addr: SocketAddr::from(([127, 0, 0, i as u8], 25)),
            })
            .collect()
    }

    #[test]
    fn recipients_are_grouped_by_domain_across_messages() {
        let one = envelope(&["b@X.test", "c@y.test", "d@x.test"]);
        let two = envelope(&["e@y.test"]);
        let three = envelope(&["f@z.test", "g@x.TEST"]);
        let groups = by_domain(&[&one, &two, &three]);
        let want: Vec<(String, Members)> = vec![
            ("x.test".into(), vec![(0, vec![0, 2]), (2, vec![1])]),
            ("y.test".into(), vec![(0, vec![1]), (1, vec![0])]),
            ("z.test".into(), vec![(2, vec![0])]),
        ];
        assert_eq!(groups, want);
    }

    #[test]
    fn address_literals() {
        assert_eq!(address_literal([192, 0, 2, 1].into()), "[192.0.2.1]");
        assert_eq!(
            address_literal(std::net::Ipv6Addr::LOCALHOST.into()),
            "[IPv6:::1]"
        );
    }

    fn refused() -> SmtpError {
        SmtpError::Connect(net::ConnectError::Connect {
            addr: SocketAddr::from(([127, 0, 0, 1], 25)),
            source: io::Error::from(io::ErrorKind::ConnectionRefused),
        })
    }

    #[test]
    fn first_refuses_second_says_421_third_accepts() {
        let mut hosts = Hosts::new([
            Err(refused()),
            Ok(&b"421 mx2 too busy\r\n"[..]),
            Ok(b"220 mx3\r\n250 mx3\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n"),
        ]);
        let env = Envelope {
            dsn: crate::smtp::Dsn {
                notify: Some("FAILURE".into()),
                ..Default::default()
            },
            ..envelope(&["b@x"])
        };
        let payload = Payload::new(b"hi");
        let jobs = [Job {
            envelope: &env,
            payload: &payload,
        }; 2];
        let reports = deliver(&mut hosts, &targets(3), &jobs);
        assert_eq!(hosts.opened, ["mx1.test", "mx2.test", "mx3.test"]);
        for report in reports.iter().flatten() {
            assert_eq!(report.outcome.status, Status::Accepted);
            assert_eq!(report.host.as_deref(), Some("mx3.test"));
        }
        let out = String::from_utf8(hosts.written[1].lock().unwrap().clone()).unwrap();
        assert_eq!(
            out.matches("MAIL FROM").count(),
            2,
            "both messages on one connection"
        );
        assert!(out.ends_with("QUIT\r\n"));
        assert_eq!(
            hosts.warnings,
            ["mx3.test does not offer DSN; --notify, --ret and --envid are not sent"]
        );
    }

    #[test]
    fn deferred_recipients_move_on_and_rejected_ones_stay() {
        let mut hosts = Hosts::new([
            Ok(&b"220 mx1\r\n250 mx1\r\n250 ok\r\n550 no such user\r\n451 later\r\n250 reset\r\n221 bye\r\n"[..]),
            Ok(b"220 mx2\r\n250 mx2\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n"),
        ]);
        let env = envelope(&["bad@x", "later@x"]);
        let payload = Payload::new(b"hi");
        let reports = deliver(
            &mut hosts,
            &targets(2),
            &[Job {
                envelope: &env,
                payload: &payload,
            }],
        );
        assert_eq!(reports[0][0].outcome.status, Status::Rejected);
        assert_eq!(reports[0][0].host.as_deref(), Some("mx1.test"));
        assert_eq!(reports[0][1].outcome.status, Status::Accepted);
        assert_eq!(reports[0][1].host.as_deref(), Some("mx2.test"));
        let second = String::from_utf8(hosts.written[1].lock().unwrap().clone()).unwrap();
        assert!(second.contains("RCPT TO:<later@x>") && !second.contains("bad@x"));
    }

    #[test]
    fn all_hosts_failing_leaves_the_last_reason() {
        let mut hosts = Hosts::new([
            Err(refused()),
            Ok(&b"220 mx2\r\n250 mx2\r\n250 ok\r\n250 ok\r\n354 go\r\n"[..]),
        ]);
        let env = envelope(&["b@x"]);
        let payload = Payload::new(b"hi");
        let jobs = [Job {
            envelope: &env,
            payload: &payload,
        }; 2];
        let reports = deliver(&mut hosts, &targets(2), &jobs);
        assert_eq!(reports[0][0].outcome.status, Status::Unknown);
        assert_eq!(reports[1][0].outcome.status, Status::Deferred);
        assert!(
            reports[1][0].outcome.reply.contains("closed"),
            "{:?}",
            reports[1][0]
        );
        assert_eq!(reports[1][0].host.as_deref(), Some("mx2.test"));
    }

    #[test]
    fn batches_share_one_connection_and_a_dead_host_is_not_retried() {
        let mut hosts = Hosts::new([
            Err(refused()),
            Ok(&b"220 mx2\r\n250 mx2\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n"[..]),
        ]);
        let env = envelope(&["b@x"]);
        let payload = Payload::new(b"hi");
        let job = Job {
            envelope: &env,
            payload: &payload,
        };
        let targets = targets(2);
        let mut relay = Relay::new(&mut hosts, &targets);
        for _ in 0..2 {
            let reports = relay.send(&[job]);
            assert_eq!(reports[0][0].outcome.status, Status::Accepted);
            assert_eq!(reports[0][0].host.as_deref(), Some("mx2.test"));
        }
        relay.finish();
        assert_eq!(hosts.opened, ["mx1.test", "mx2.test"]);
        let out = String::from_utf8(hosts.written[0].lock().unwrap().clone()).unwrap();
        assert_eq!(out.matches("MAIL FROM").count(), 2);
        assert_eq!(out.matches("QUIT").count(), 1);
        assert!(out.ends_with("QUIT\r\n"));
    }

    #[test]
    fn an_auth_failure_does_not_try_other_hosts() {
        let reply = crate::smtp::Reply {
            code: 535,
            lines: vec!["bad".into()],
        };
        let mut hosts = Hosts::new([Err(SmtpError::AuthFailed(reply))]);
        let env = envelope(&["b@x"]);
        let payload = Payload::new(b"hi");
        let reports = deliver(
            &mut hosts,
            &targets(2),
            &[Job {
                envelope: &env,
                payload: &payload,
            }],
        );
        assert_eq!(hosts.opened.len(), 1);
        assert_eq!(
            reports[0][0].outcome.kind,
            Some(crate::exit::Kind::AuthRefused)
        );
    }
}
