//! Mail routing (RFC 5321 §5.1, RFC 7505): which hosts receive mail for a domain, in the
//! order a sender tries them, and what is wrong with each. `send` delivers with this; the
//! `--check` view of `resolve` explains it.

use std::net::IpAddr;

use hickory_proto::rr::{Name, RData};
use serde::Serialize;

use super::{
    DnsError, RecordType, Resolver,
    message::{Outcome, Response},
    name::{parse_name, presentation_name},
};

/// Where mail for a domain goes.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "route", content = "hosts", rename_all = "snake_case")]
pub enum MailRoute {
    /// NXDOMAIN: the domain does not exist, so no mail can be delivered (a permanent failure).
    NoSuchDomain,
    /// RFC 7505 null MX (`MX 0 .`): the domain declares that it accepts no mail.
    NullMx,
    /// The hosts in the order a sender tries them: lowest preference first, equal preferences
    /// shuffled (RFC 5321 §5.1). With no MX record this is one implicit host, the domain itself.
    /// A host may have no address (see its findings); senders skip it.
    Hosts(Vec<MailHost>),
}

/// One host that may receive mail for the domain.
#[derive(Clone, Debug, Serialize)]
pub struct MailHost {
    /// The MX target (or the domain itself when implicit), fully qualified.
    pub name: String,
    /// The MX preference (0 for an implicit MX).
    pub preference: u16,
    /// True when the domain has no MX and its own address is used (RFC 5321 §5.1).
    pub implicit: bool,
    /// TTL of the MX record (of the address record for an implicit MX).
    pub ttl: u32,
    /// IPv4 addresses first, then IPv6; connect in this order.
    pub addresses: Vec<IpAddr>,
    /// The smallest TTL of the address records, when there were any.
    pub address_ttl: Option<u32>,
    /// What is wrong or unusual about this host.
    pub findings: Vec<Finding>,
}

/// Something about a mail host a postmaster should know.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum Finding {
    /// The MX target is an alias (RFC 2181 §10.3 forbids it; most senders follow it anyway).
    TargetIsCname {
        /// Where the alias points.
        canonical: String,
    },
    /// The MX target looks like an IP address; RFC 5321 §5.1 requires a host name, and senders
    /// refuse it.
    TargetIsIpLiteral,
    /// The target has neither an A nor an AAAA record: senders skip it.
    NoAddress,
    /// The address lookup failed (timeout, SERVFAIL): the host may be usable later.
    LookupFailed {
        /// The error.
        error: String,
        /// Whether a retry may help.
        transient: bool,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::TargetIsCname { canonical } => write!(
                f,
                "MX target is a CNAME (to {canonical}); RFC 2181 §10.3 forbids this"
            ),
            Finding::TargetIsIpLiteral => write!(
                f,
                "MX target is an IP address literal; RFC 5321 §5.1 requires a host name, senders ignore it"
            ),
            Finding::NoAddress => write!(f, "no A or AAAA record; senders skip this host"),
            Finding::LookupFailed { error, .. } => write!(f, "address lookup failed: {error}"),
        }
    }
}

impl Resolver {
    /// Where mail for `domain` goes: MX lookup, null MX, implicit MX, and every host's
    /// addresses (looked up in parallel). An error means the MX lookup itself failed
    /// (SERVFAIL, REFUSED, timeout: retry later); NXDOMAIN is [`MailRoute::NoSuchDomain`].
    pub fn mail_route(&self, domain: &str) -> Result<MailRoute, DnsError> {
        let name = parse_name(domain)?;
        let mx = self.query_name(&name, RecordType::MX)?;
        route_from(self, &name, &mx)
    }
}

/// Builds the route from the MX reply (shared with `--check`, which keeps the reply too).
pub(crate) fn route_from(
    resolver: &Resolver,
    domain: &Name,
    mx: &Response,
) -> Result<MailRoute, DnsError> {
    match mx.outcome {
        Outcome::NxDomain => return Ok(MailRoute::NoSuchDomain),
        Outcome::Answer | Outcome::NoData => {}
        Outcome::Failure | Outcome::Error => {
            return Err(mx.rcode_error());
        }
        Outcome::Referral => {
            return Err(DnsError::Malformed {
                server: mx.server,
                reason: format!(
                    "a referral instead of an answer for {} (the server does not recurse)",
                    mx.question_text()
                ),
            });
        }
    }
    let records: Vec<(u16, Name, u32)> = mx
        .message
        .answers
        .iter()
        .filter_map(|record| match &record.data {
            RData::MX(data) => Some((data.preference, data.exchange.clone(), record.ttl)),
            _ => None,
        })
        .collect();
    if records.is_empty() {
        let mut host = lookup_host(resolver, domain, 0, 0, true);
        if let Some(ttl) = host.address_ttl {
            host.ttl = ttl;
        }
        return Ok(MailRoute::Hosts(vec![host]));
    }
    let real: Vec<(u16, Name, u32)> = records
        .into_iter()
        .filter(|(_, exchange, _)| !exchange.is_root())
        .collect();
    if real.is_empty() {
        return Ok(MailRoute::NullMx);
    }
    let ordered = sender_order(real, fastrand::shuffle);
    let hosts = std::thread::scope(|scope| {
        let handles: Vec<_> = ordered
            .iter()
            .map(|(preference, exchange, ttl)| {
                scope.spawn(move || lookup_host(resolver, exchange, *preference, *ttl, false))
            })
            .collect();
        handles
            .into_iter()
            .zip(&ordered)
            .map(|(handle, (preference, exchange, ttl))| {
                handle.join().unwrap_or_else(|_| MailHost {
                    name: presentation_name(exchange),
                    preference: *preference,
                    implicit: false,
                    ttl: *ttl,
                    addresses: Vec::new(),
                    address_ttl: None,
                    findings: vec![Finding::LookupFailed {
                        error: "the lookup thread panicked".into(),
                        transient: true,
                    }],
                })
            })
            .collect()
    });
    Ok(MailRoute::Hosts(hosts))
}

/// RFC 5321 §5.1: ascending preference; hosts of equal preference in random order, so load
/// spreads. `shuffle` is the randomness, injected so tests can pin it.
pub(crate) fn sender_order<T>(
    mut hosts: Vec<(u16, Name, T)>,
    shuffle: impl Fn(&mut [(u16, Name, T)]),
) -> Vec<(u16, Name, T)> {
    hosts.sort_by_key(|(preference, _, _)| *preference);
    let mut start = 0;
    while start < hosts.len() {
        let preference = hosts[start].0;
        let end = start
            + hosts[start..]
                .iter()
                .take_while(|(p, _, _)| *p == preference)
                .count();
        shuffle(&mut hosts[start..end]);
        start = end;
    }
    hosts
}

/// A/AAAA of one host, with its findings.
fn lookup_host(
    resolver: &Resolver,
    name: &Name,
    preference: u16,
    ttl: u32,
    implicit: bool,
) -> MailHost {
    let mut host = MailHost {
        name: presentation_name(name),
        preference,
        implicit,
        ttl,
        addresses: Vec::new(),
        address_ttl: None,
        findings: Vec::new(),
    };
    if !implicit && looks_like_ip(&host.name) {
        host.findings.push(Finding::TargetIsIpLiteral);
        return host;
    }
    let (v4, v6) = std::thread::scope(|scope| {
        let v6 = scope.spawn(|| resolver.query_name(name, RecordType::AAAA));
        let v4 = resolver.query_name(name, RecordType::A);
        let v6 = v6.join().unwrap_or_else(|_| {
            Err(DnsError::Malformed {
                server: resolver
                    .servers()
                    .first()
                    .copied()
                    .unwrap_or(([0, 0, 0, 0], 0).into()),
                reason: "the lookup thread panicked".into(),
            })
        });
        (v4, v6)
    });
    let mut failures = Vec::new();
    for result in [v4, v6] {
        match result {
            Ok(reply) if matches!(reply.outcome, Outcome::Failure | Outcome::Error) => {
                failures.push(reply.rcode_error());
            }
            Ok(reply) => collect_addresses(&reply, name, &mut host),
            Err(err) => failures.push(err),
        }
    }
    for err in failures {
        host.findings.push(Finding::LookupFailed {
            error: err.to_string(),
            transient: err.is_transient(),
        });
    }
    if host.addresses.is_empty()
        && !host
            .findings
            .iter()
            .any(|f| matches!(f, Finding::LookupFailed { .. }))
    {
        host.findings.push(Finding::NoAddress);
    }
    host
}

fn collect_addresses(reply: &Response, name: &Name, host: &mut MailHost) {
    for record in &reply.message.answers {
        let addr = match &record.data {
            RData::A(a) => IpAddr::V4(a.0),
            RData::AAAA(aaaa) => IpAddr::V6(aaaa.0),
            RData::CNAME(target) if record.name == *name && !host.implicit => {
                let finding = Finding::TargetIsCname {
                    canonical: presentation_name(&target.0),
                };
                if !host.findings.contains(&finding) {
                    host.findings.push(finding);
                }
                continue;
            }
            _ => continue,
        };
        if !host.addresses.contains(&addr) {
            host.addresses.push(addr);
        }
        host.address_ttl = Some(host.address_ttl.map_or(record.ttl, |t| t.min(record.ttl)));
    }
    host.addresses.sort_by_key(IpAddr::is_ipv6);
}

/// An MX target like `127.25.0.1.` or `[::1]`: a configuration error that senders refuse.
fn looks_like_ip(name: &str) -> bool {
    let bare = name.trim_end_matches('.');
    let bare = bare
        .strip_prefix('[')
        .and_then(|b| b.strip_suffix(']'))
        .unwrap_or(bare);
    bare.parse::<IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Name {
        parse_name(text).unwrap()
    }

    fn names<T>(hosts: &[(u16, Name, T)]) -> Vec<String> {
        hosts
            .iter()
            .map(|(_, name, _)| presentation_name(name))
            .collect()
    }

    #[test]
    fn hosts_are_ordered_by_preference_and_equal_ones_shuffled() {
        let input = vec![
            (20, n("mx2.test"), ()),
            (10, n("mx1.test"), ()),
            (20, n("mx3.test"), ()),
            (30, n("mx4.test"), ()),
        ];
        let kept = sender_order(input.clone(), |_| {});
        assert_eq!(
            names(&kept),
            ["mx1.test.", "mx2.test.", "mx3.test.", "mx4.test."]
        );
        let reversed = sender_order(input, |group| group.reverse());
        assert_eq!(
            names(&reversed),
            ["mx1.test.", "mx3.test.", "mx2.test.", "mx4.test."],
            "only the group of equal preference 20 is permuted"
        );
    }

    #[test]
    fn random_shuffle_keeps_preference_groups_intact() {
        let input: Vec<(u16, Name, ())> = (0..8)
            .map(|i| (if i < 4 { 5 } else { 50 }, n(&format!("mx{i}.test")), ()))
            .collect();
        let mut seen_first = std::collections::HashSet::new();
        for _ in 0..200 {
            let out = sender_order(input.clone(), fastrand::shuffle);
            assert!(out[..4].iter().all(|(p, _, _)| *p == 5));
            assert!(out[4..].iter().all(|(p, _, _)| *p == 50));
            seen_first.insert(presentation_name(&out[0].1));
        }
        assert_eq!(
            seen_first.len(),
            4,
            "every equal-preference host gets to go first"
        );
    }

    #[test]
    fn ip_literal_targets_are_recognised() {
        assert!(looks_like_ip("127.25.0.1."));
        assert!(looks_like_ip("[::1]"));
        assert!(!looks_like_ip("mx1.hamburger.test."));
        assert!(!looks_like_ip("127.25.0.1.test."));
    }
}
