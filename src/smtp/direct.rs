//! Direct delivery (RFC 5321 §5.1): recipients grouped by domain, one connection per domain
//! for every message, each domain's MX hosts tried in order and each host's addresses in turn.
//!
//! The MX lookup is behind [`MxLookup`] and connecting behind [`Connect`], so the whole loop
//! (NXDOMAIN, null MX, lookup failures, host fallback) is tested with scripted answers and
//! sessions, without DNS or sockets.

use std::net::SocketAddr;

use super::{
    Envelope, RcptOutcome, Status,
    deliver::{self, Connect, Job, Report, Target},
};
use crate::{
    dns::{DnsError, MailRoute, Resolver},
    exit::Kind,
    output::Transcript,
};

/// Finds where mail for a domain goes; the real one is the DNS [`Resolver`].
pub trait MxLookup {
    /// The domain's mail route, or why it could not be found.
    fn mail_route(&self, domain: &str) -> Result<MailRoute, DnsError>;
}

impl MxLookup for Resolver {
    fn mail_route(&self, domain: &str) -> Result<MailRoute, DnsError> {
        Resolver::mail_route(self, domain)
    }
}

/// Delivers every message to its recipients' own mail hosts on `port`, returning one report
/// per recipient per message, in order. A domain that does not exist or accepts no mail
/// rejects its recipients; one whose lookup fails, or whose hosts have no address, defers them.
pub fn deliver<C: Connect, L: MxLookup>(
    lookup: &L,
    connector: &mut C,
    port: u16,
    messages: &[Job<'_>],
    transcript: &Transcript,
) -> Vec<Vec<Report>> {
    let envelopes: Vec<&Envelope> = messages.iter().map(|m| m.envelope).collect();
    let domains = deliver::by_domain(&envelopes);
    let mut reports: Vec<Vec<Report>> = messages
        .iter()
        .map(|m| {
            let pending = Report {
                outcome: RcptOutcome::new(Status::Deferred, "not attempted".into()),
                host: None,
                port: None,
            };
            vec![pending; m.envelope.recipients.len()]
        })
        .collect();
    for (domain, members) in &domains {
        let settled = |outcome: RcptOutcome, reports: &mut Vec<Vec<Report>>| {
            for (m, indexes) in members {
                for &r in indexes {
                    reports[*m][r] = Report {
                        outcome: outcome.clone(),
                        host: None,
                        port: None,
                    };
                }
            }
        };
        let hosts = match lookup.mail_route(domain) {
            Ok(MailRoute::Hosts(hosts)) => hosts,
            Ok(MailRoute::NoSuchDomain) => {
                let mut outcome =
                    RcptOutcome::refused(format!("no such domain {domain} (NXDOMAIN)"));
                outcome.kind = Some(Kind::NoHost);
                settled(outcome, &mut reports);
                continue;
            }
            Ok(MailRoute::NullMx) => {
                let outcome = RcptOutcome::refused(format!(
                    "{domain} does not accept mail (null MX, RFC 7505)"
                ));
                settled(outcome, &mut reports);
                continue;
            }
            Err(err) => {
                let outcome = RcptOutcome {
                    status: Status::Deferred,
                    reply: format!("looking up the MX of {domain}: {err}"),
                    kind: Some(err.kind()),
                };
                settled(outcome, &mut reports);
                continue;
            }
        };
        let targets: Vec<Target> = hosts
            .iter()
            .flat_map(|host| {
                let name = host.name.trim_end_matches('.').to_string();
                host.addresses.iter().map(move |ip| Target {
                    name: name.clone(),
                    addr: SocketAddr::new(*ip, port),
                })
            })
            .collect();
        if transcript.is_on() {
            let list: Vec<String> = targets
                .iter()
                .map(|t| format!("{} ({})", t.name, t.addr))
                .collect();
            transcript.event(&format!("mail for {domain} goes to: {}", list.join(", ")));
        }
        if targets.is_empty() {
            settled(
                RcptOutcome::new(
                    Status::Deferred,
                    format!("no mail host of {domain} has an address"),
                ),
                &mut reports,
            );
            continue;
        }
        let envelopes: Vec<Envelope> = members
            .iter()
            .map(|(m, indexes)| messages[*m].envelope.subset(indexes))
            .collect();
        let jobs: Vec<Job<'_>> = members
            .iter()
            .zip(&envelopes)
            .map(|((m, _), envelope)| Job {
                envelope,
                payload: messages[*m].payload,
            })
            .collect();
        let results = deliver::deliver(connector, &targets, &jobs);
        for ((m, indexes), result) in members.iter().zip(results) {
            for (&r, report) in indexes.iter().zip(result) {
                reports[*m][r] = report;
            }
        }
    }
    reports
}

#[cfg(test)]
mod tests {
    use std::{cell::RefCell, collections::VecDeque, net::IpAddr};

    use super::*;
    use crate::{
        dns::MailHost,
        smtp::{Payload, Session, SmtpError},
        testing::Script,
    };

    /// Scripted DNS: each domain's answer, and the domains asked about.
    #[derive(Default)]
    struct Zone {
        answers: Vec<(&'static str, Result<MailRoute, DnsError>)>,
        asked: RefCell<Vec<String>>,
    }

    impl MxLookup for Zone {
        fn mail_route(&self, domain: &str) -> Result<MailRoute, DnsError> {
            self.asked.borrow_mut().push(domain.to_string());
            match self.answers.iter().find(|(d, _)| *d == domain) {
                Some((_, Ok(route))) => Ok(route.clone()),
                Some((
                    _,
                    Err(DnsError::Timeout {
                        servers,
                        attempts,
                        timeout,
                    }),
                )) => Err(DnsError::Timeout {
                    servers: servers.clone(),
                    attempts: *attempts,
                    timeout: *timeout,
                }),
                _ => panic!("no scripted answer for {domain}"),
            }
        }
    }

    /// Scripted servers, one per connection in turn; records where it connected.
    #[derive(Default)]
    struct Servers {
        scripts: VecDeque<&'static [u8]>,
        opened: Vec<SocketAddr>,
    }

    impl Connect for Servers {
        type Stream = Script;
        fn open(&mut self, target: &Target) -> Result<Session<Script>, SmtpError> {
            self.opened.push(target.addr);
            let script = self.scripts.pop_front().ok_or(SmtpError::Closed)?;
            let mut session = Session::open(
                Script::new(script),
                false,
                Transcript::off(),
                crate::testing::TIMEOUT,
            )?;
            session.hello("client.test", false)?;
            Ok(session)
        }
        fn warn(&mut self, _: String) {}
    }

    fn host(name: &str, addresses: &[[u8; 4]]) -> MailHost {
        MailHost {
            name: format!("{name}."),
            preference: 10,
            implicit: false,
            ttl: 300,
            addresses: addresses.iter().map(|a| IpAddr::from(*a)).collect(),
            address_ttl: Some(300),
            findings: Vec::new(),
        }
    }

    fn envelope(recipients: &[&str]) -> Envelope {
        Envelope {
            from: "a@client.test".into(),
            recipients: recipients.iter().map(|r| r.to_string()).collect(),
            dsn: Default::default(),
        }
    }

    const ACCEPT_ONE: &[u8] =
        b"220 mx\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n";

    #[test]
    fn each_domain_gets_its_own_hosts_and_verdict() {
        let zone = Zone {
            answers: vec![
                (
                    "ok.test",
                    Ok(MailRoute::Hosts(vec![host(
                        "mx.ok.test",
                        &[[127, 0, 0, 9]],
                    )])),
                ),
                ("gone.test", Ok(MailRoute::NoSuchDomain)),
                ("null.test", Ok(MailRoute::NullMx)),
                (
                    "bare.test",
                    Ok(MailRoute::Hosts(vec![host("mx.bare.test", &[])])),
                ),
                (
                    "slow.test",
                    Err(DnsError::Timeout {
                        servers: vec![SocketAddr::from(([127, 0, 0, 53], 53))],
                        attempts: 2,
                        timeout: std::time::Duration::from_secs(1),
                    }),
                ),
            ],
            ..Zone::default()
        };
        let mut servers = Servers {
            scripts: [ACCEPT_ONE].into(),
            ..Servers::default()
        };
        let env = envelope(&[
            "a@ok.test",
            "b@gone.test",
            "c@null.test",
            "d@bare.test",
            "e@slow.test",
        ]);
        let payload = Payload::new(b"hi");
        let (transcript, lines) = Transcript::captured();
        let reports = deliver(
            &zone,
            &mut servers,
            2525,
            &[Job {
                envelope: &env,
                payload: &payload,
            }],
            &transcript,
        );
        assert_eq!(servers.opened, [SocketAddr::from(([127, 0, 0, 9], 2525))]);
        let got: Vec<(Status, Option<Kind>)> = reports[0]
            .iter()
            .map(|r| (r.outcome.status, r.outcome.kind))
            .collect();
        assert_eq!(
            got,
            [
                (Status::Accepted, None),
                (Status::Rejected, Some(Kind::NoHost)),
                (Status::Rejected, Some(Kind::Permanent)),
                (Status::Deferred, Some(Kind::Temporary)),
                (Status::Deferred, Some(Kind::Temporary)),
            ]
        );
        assert_eq!(reports[0][0].host.as_deref(), Some("mx.ok.test"));
        assert!(reports[0][2].outcome.reply.contains("null MX"));
        assert!(
            reports[0][4]
                .outcome
                .reply
                .starts_with("looking up the MX of slow.test: ")
        );
        assert_eq!(
            lines.lock().unwrap()[0],
            "* mail for ok.test goes to: mx.ok.test (127.0.0.9:2525)"
        );
    }

    #[test]
    fn one_connection_per_domain_carries_every_message() {
        let zone = Zone {
            answers: vec![(
                "x.test",
                Ok(MailRoute::Hosts(vec![
                    host("mx1.x.test", &[[127, 0, 0, 1]]),
                    host("mx2.x.test", &[[127, 0, 0, 2]]),
                ])),
            )],
            ..Zone::default()
        };
        // mx1 defers everything with 421; mx2 takes both messages on one connection.
        let mut servers = Servers {
            scripts: [
                &b"421 busy\r\n"[..],
                b"220 mx2\r\n250 mx2\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n",
            ]
            .into(),
            ..Servers::default()
        };
        let (one, two) = (envelope(&["a@X.test"]), envelope(&["b@x.test"]));
        let payload = Payload::new(b"hi");
        let jobs = [
            Job {
                envelope: &one,
                payload: &payload,
            },
            Job {
                envelope: &two,
                payload: &payload,
            },
        ];
        let reports = deliver(&zone, &mut servers, 25, &jobs, &Transcript::off());
        assert_eq!(*zone.asked.borrow(), ["x.test"]);
        assert_eq!(servers.opened.len(), 2);
        for report in reports.iter().flatten() {
            assert_eq!(report.outcome.status, Status::Accepted);
            assert_eq!(report.host.as_deref(), Some("mx2.x.test"));
        }
    }
}
