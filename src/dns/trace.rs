//! `--trace`: iterative resolution from the root (RFC 1034 §5.3.3), one referral per step, the
//! way a recursive resolver does it, so a user sees which server said what and how fast.

use std::{
    fs,
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

use hickory_proto::rr::{Name, RData, Record, RecordType as HRecordType};
use serde::Serialize;

use super::{
    DnsError, QueryOptions, RecordType, Resolver,
    message::{Outcome, Response, build_query},
    name::{parse_name, presentation_name},
    resolver::DNS_PORT,
    transport::exchange,
};
use crate::exit::Kind;

/// Referrals followed before giving up: real names need 3 or 4; more means a loop.
const MAX_STEPS: usize = 24;
/// The longest CNAME chain `--trace` follows before calling it a loop.
const MAX_CNAME_CHAIN: usize = 8;
/// How deep lookups of glueless name servers may nest.
const MAX_DEPTH: usize = 3;

/// The IPv4 addresses of the real root servers (a to m.root-servers.net, IANA root hints).
const INTERNET_ROOTS: &[(&str, [u8; 4])] = &[
    ("a.root-servers.net.", [198, 41, 0, 4]),
    ("b.root-servers.net.", [170, 247, 170, 2]),
    ("c.root-servers.net.", [192, 33, 4, 12]),
    ("d.root-servers.net.", [199, 7, 91, 13]),
    ("e.root-servers.net.", [192, 203, 230, 10]),
    ("f.root-servers.net.", [192, 5, 5, 241]),
    ("g.root-servers.net.", [192, 112, 36, 4]),
    ("h.root-servers.net.", [198, 97, 190, 53]),
    ("i.root-servers.net.", [192, 36, 148, 17]),
    ("j.root-servers.net.", [192, 58, 128, 30]),
    ("k.root-servers.net.", [193, 0, 14, 129]),
    ("l.root-servers.net.", [199, 7, 83, 42]),
    ("m.root-servers.net.", [202, 12, 27, 33]),
];

/// The servers a trace starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootHints {
    servers: Vec<(String, SocketAddr)>,
}

/// Why root hints could not be used.
#[derive(Debug, thiserror::Error)]
pub enum HintsError {
    /// The hints file could not be read.
    #[error("reading root hints {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The hints file has no usable address.
    #[error("root hints {path}: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl HintsError {
    /// Missing input for an unreadable file, bad input for one without usable hints.
    pub fn kind(&self) -> Kind {
        match self {
            HintsError::Read { .. } => Kind::NoInput,
            HintsError::Invalid { .. } => Kind::BadInput,
        }
    }
}

impl RootHints {
    /// The real root servers, in random order (as resolvers spread their load).
    pub fn internet() -> RootHints {
        let mut servers: Vec<(String, SocketAddr)> = INTERNET_ROOTS
            .iter()
            .map(|(name, ip)| (name.to_string(), SocketAddr::from((*ip, DNS_PORT))))
            .collect();
        fastrand::shuffle(&mut servers);
        RootHints { servers }
    }

    /// `None`: the real roots; comma-separated addresses (`127.53.0.1,127.53.0.2:5353`); or a
    /// hints file in zone-file form (`. NS a.root-servers.test.` plus its `A`/`AAAA`).
    pub fn load(spec: Option<&str>) -> Result<RootHints, HintsError> {
        let Some(spec) = spec else {
            return Ok(RootHints::internet());
        };
        let addrs: Result<Vec<SocketAddr>, _> = spec
            .split(',')
            .map(|s| super::resolver::parse_server(s.trim()))
            .collect();
        if let Ok(addrs) = addrs {
            return Ok(RootHints {
                servers: addrs.into_iter().map(|a| (a.ip().to_string(), a)).collect(),
            });
        }
        let path = PathBuf::from(spec);
        let text = fs::read_to_string(&path).map_err(|source| HintsError::Read {
            path: spec.to_string(),
            source,
        })?;
        RootHints::parse(&text).map_err(|reason| HintsError::Invalid {
            path: spec.to_string(),
            reason,
        })
    }

    /// Parses named.root-style text: the NS names of `.` and their addresses; without NS
    /// lines, every address listed.
    pub fn parse(text: &str) -> Result<RootHints, String> {
        let mut ns_names = Vec::new();
        let mut addresses: Vec<(String, IpAddr)> = Vec::new();
        for line in text.lines() {
            let line = line.split(';').next().unwrap_or("");
            let words: Vec<&str> = line.split_whitespace().collect();
            let Some(type_at) = words
                .iter()
                .position(|w| matches!(w.to_ascii_uppercase().as_str(), "NS" | "A" | "AAAA"))
            else {
                continue;
            };
            let (Some(owner), Some(data)) = (words.first(), words.get(type_at + 1)) else {
                continue;
            };
            let owner = owner.to_ascii_lowercase();
            match words[type_at].to_ascii_uppercase().as_str() {
                "NS" if owner == "." => ns_names.push(fqdn(data)),
                "A" | "AAAA" => {
                    let ip = data
                        .parse::<IpAddr>()
                        .map_err(|_| format!("{data:?} is not an IP address"))?;
                    addresses.push((fqdn(&owner), ip));
                }
                _ => {}
            }
        }
        let servers: Vec<(String, SocketAddr)> = addresses
            .into_iter()
            .filter(|(owner, _)| ns_names.is_empty() || ns_names.contains(owner))
            .map(|(owner, ip)| (owner, SocketAddr::new(ip, DNS_PORT)))
            .collect();
        if servers.is_empty() {
            return Err(
                "no root server address found (expected `. NS name` and `name A address`)".into(),
            );
        }
        Ok(RootHints { servers })
    }

    /// The servers, as (name, address).
    pub fn servers(&self) -> &[(String, SocketAddr)] {
        &self.servers
    }
}

fn fqdn(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with('.') {
        lower
    } else {
        format!("{lower}.")
    }
}

/// A name server of a zone and its address, when one is known.
pub(crate) type ZoneServer = (Name, Option<SocketAddr>);

/// One exchange of a trace.
#[derive(Clone, Debug, Serialize)]
pub struct TraceEvent {
    /// 1 for the first server asked.
    pub step: usize,
    /// The zone the server was asked as an authority for (`.` for a root server).
    pub zone: String,
    /// The server's name.
    pub server_name: String,
    /// The server's address.
    pub server: SocketAddr,
    /// How long the exchange took.
    #[serde(serialize_with = "super::message::serialize_millis")]
    pub elapsed: Duration,
    /// What the reply was: `referral to test.`, `answer`, `NXDOMAIN`, `NODATA`, or `no answer`.
    pub kind: String,
    /// The reply, when there was one.
    pub response: Option<Response>,
    /// Why this server gave nothing usable (timeout, REFUSED, lame).
    pub error: Option<String>,
}

/// Resolves `name`/`rtype` from the root hints by following referrals with RD clear, and calls
/// `on_event` for every exchange as it happens. The result is the final reply's outcome; an
/// error means every server of some step failed.
pub fn trace(
    name: &str,
    rtype: RecordType,
    hints: &RootHints,
    options: &QueryOptions,
    mut on_event: impl FnMut(&TraceEvent),
) -> Result<Outcome, DnsError> {
    let mut qname = parse_name(name)?;
    let options = QueryOptions {
        recursion: false,
        ..options.clone()
    };
    let walk = Walk {
        hints,
        options: &options,
    };
    let mut step = 0;
    for _ in 0..=MAX_CNAME_CHAIN {
        let reply = iterate(&qname, rtype, &walk, 0, &mut step, &mut on_event)?;
        match cname_to_follow(&reply, &qname, rtype) {
            Some(canonical) => qname = canonical,
            None => return Ok(reply.outcome),
        }
    }
    Err(loop_error(
        &hints.servers,
        format!("a CNAME chain longer than {MAX_CNAME_CHAIN} (a loop?)"),
    ))
}

/// RFC 1034 §3.6.2: an answer whose CNAME chain ends at a name it holds no data for means the
/// question must be asked again, from the root, for that canonical name (which may live in
/// another zone on other servers). Returns that name, or `None` when the answer is complete.
fn cname_to_follow(reply: &Response, qname: &Name, rtype: RecordType) -> Option<Name> {
    if reply.outcome != Outcome::Answer || rtype == RecordType::CNAME {
        return None;
    }
    let answers = &reply.message.answers;
    let mut name = qname.clone();
    for _ in 0..=MAX_CNAME_CHAIN {
        if answers
            .iter()
            .any(|r| r.name == name && !matches!(r.data, RData::CNAME(_)))
        {
            return None;
        }
        match answers.iter().find_map(|r| match &r.data {
            RData::CNAME(target) if r.name == name => Some(target.0.clone()),
            _ => None,
        }) {
            Some(target) => name = target,
            None => break,
        }
    }
    (name != *qname).then_some(name)
}

/// What stays the same through one trace, including the nested lookups of glueless name
/// servers: where to start and how to ask.
struct Walk<'a> {
    hints: &'a RootHints,
    options: &'a QueryOptions,
}

fn iterate(
    qname: &Name,
    rtype: RecordType,
    walk: &Walk,
    depth: usize,
    step: &mut usize,
    on_event: &mut dyn FnMut(&TraceEvent),
) -> Result<Response, DnsError> {
    let mut zone = Name::root();
    let Walk { hints, options } = *walk;
    let mut servers = hints.servers.clone();
    for _ in 0..MAX_STEPS {
        let mut failure = None;
        let mut reply = None;
        for (server_name, addr) in &servers {
            *step += 1;
            let query = build_query(qname, rtype, false)?;
            let started = std::time::Instant::now();
            let event =
                |kind: String, response: Option<Response>, error: Option<String>| TraceEvent {
                    step: *step,
                    zone: presentation_name(&zone),
                    server_name: server_name.clone(),
                    server: *addr,
                    elapsed: started.elapsed(),
                    kind,
                    response,
                    error,
                };
            match exchange(&query, *addr, options, &|_| {}) {
                Ok(response) if matches!(response.outcome, Outcome::Failure | Outcome::Error) => {
                    let err = response.rcode_error();
                    on_event(&event(
                        "no answer".into(),
                        Some(response),
                        Some(format!("{err} (lame server)")),
                    ));
                    failure = Some(err);
                }
                Ok(response) => {
                    let kind = match response.outcome {
                        Outcome::Referral => referral_zone(&response)
                            .map(|z| format!("referral to {}", presentation_name(&z)))
                            .unwrap_or_else(|| "referral".into()),
                        Outcome::Answer => "answer".into(),
                        Outcome::NxDomain => "NXDOMAIN".into(),
                        _ => "NODATA".into(),
                    };
                    on_event(&event(kind, Some(response.clone()), None));
                    reply = Some(response);
                    break;
                }
                Err(err) => {
                    on_event(&event("no answer".into(), None, Some(err.to_string())));
                    failure = Some(err);
                }
            }
        }
        let Some(reply) = reply else {
            return Err(failure.unwrap_or(DnsError::Timeout {
                servers: servers.iter().map(|(_, a)| *a).collect(),
                attempts: options.attempts,
                timeout: options.timeout,
            }));
        };
        if reply.outcome != Outcome::Referral {
            return Ok(reply);
        }
        let Some(next_zone) = referral_zone(&reply) else {
            return Err(malformed(&reply, "a referral without NS records"));
        };
        if !(zone.zone_of(&next_zone)
            && next_zone.num_labels() > zone.num_labels()
            && next_zone.zone_of(qname))
        {
            return Err(malformed(
                &reply,
                &format!(
                    "a referral to {} does not lead closer to {}",
                    presentation_name(&next_zone),
                    presentation_name(qname)
                ),
            ));
        }
        servers = referral_servers(&reply, &next_zone, walk, depth, *step);
        if servers.is_empty() {
            return Err(malformed(
                &reply,
                &format!(
                    "no address for any name server of {}",
                    presentation_name(&next_zone)
                ),
            ));
        }
        zone = next_zone;
    }
    Err(loop_error(
        &servers,
        format!("more than {MAX_STEPS} referrals (a delegation loop?)"),
    ))
}

/// A loop has no one reply to blame: the error names the first server of the step it gave up
/// at (0.0.0.0:0 when there was none).
fn loop_error(servers: &[(String, SocketAddr)], reason: String) -> DnsError {
    DnsError::Malformed {
        server: servers
            .first()
            .map_or(([0, 0, 0, 0], 0).into(), |(_, a)| *a),
        reason,
    }
}

fn malformed(reply: &Response, reason: &str) -> DnsError {
    DnsError::Malformed {
        server: reply.server,
        reason: reason.to_string(),
    }
}

/// The zone a referral delegates to: the owner of its NS records.
pub(crate) fn referral_zone(reply: &Response) -> Option<Name> {
    reply
        .message
        .authorities
        .iter()
        .find(|r| r.record_type() == HRecordType::NS)
        .map(|r| r.name.clone())
}

/// The name servers that NS records owned by `owner` name: a referral's, an answer's or the
/// delegation `--check` asks a parent for all read them the same way.
pub(crate) fn ns_targets(records: &[Record], owner: &Name) -> Vec<Name> {
    records
        .iter()
        .filter(|r| r.name == *owner)
        .filter_map(|r| match &r.data {
            RData::NS(ns) => Some(ns.0.clone()),
            _ => None,
        })
        .collect()
}

/// The DNS server address an A or AAAA record gives (port 53); glue and looked-up name server
/// addresses are both turned into something to query this way.
pub(crate) fn server_address(record: &Record) -> Option<SocketAddr> {
    let ip = match &record.data {
        RData::A(a) => IpAddr::V4(a.0),
        RData::AAAA(aaaa) => IpAddr::V6(aaaa.0),
        _ => return None,
    };
    Some(SocketAddr::new(ip, DNS_PORT))
}

/// The name servers of a referral with their addresses: glue first, and for names without
/// glue a nested iterative lookup (not shown) of their A records.
fn referral_servers(
    reply: &Response,
    zone: &Name,
    walk: &Walk,
    depth: usize,
    step: usize,
) -> Vec<(String, SocketAddr)> {
    let ns_names = ns_targets(&reply.message.authorities, zone);
    let mut servers = Vec::new();
    for ns in &ns_names {
        for record in reply.message.additionals.iter().filter(|r| r.name == *ns) {
            if let Some(addr) = server_address(record) {
                servers.push((presentation_name(ns), addr));
            }
        }
    }
    servers.sort_by_key(|(_, addr)| addr.is_ipv6());
    if !servers.is_empty() || depth >= MAX_DEPTH {
        return servers;
    }
    for ns in &ns_names {
        let mut nested_step = step;
        let found = iterate(
            ns,
            RecordType::A,
            walk,
            depth + 1,
            &mut nested_step,
            &mut |_| {},
        );
        if let Ok(found) = found {
            for record in &found.message.answers {
                if let RData::A(a) = &record.data {
                    servers.push((presentation_name(ns), SocketAddr::new(a.0.into(), DNS_PORT)));
                }
            }
        }
        if !servers.is_empty() {
            break;
        }
    }
    servers
}

impl Resolver {
    /// Asks the servers of a parent zone (RD clear) who serves `name`: the zone a referral or
    /// answer names, and its name servers with glue addresses. `--check` uses it to find the
    /// delegation of a zone whose own servers are lame.
    pub(crate) fn delegation(
        &self,
        parent_servers: &[SocketAddr],
        name: &Name,
    ) -> Option<(Name, Vec<ZoneServer>)> {
        let options = QueryOptions {
            recursion: false,
            ..self.options().clone()
        };
        for &server in parent_servers {
            let Ok(query) = build_query(name, RecordType::NS, false) else {
                continue;
            };
            let Ok(reply) = exchange(&query, server, &options, &|text| self.note(text)) else {
                continue;
            };
            let records = match reply.outcome {
                Outcome::Referral => &reply.message.authorities,
                Outcome::Answer => &reply.message.answers,
                _ => continue,
            };
            let Some(zone) = records
                .iter()
                .find(|r| r.record_type() == HRecordType::NS && r.name.zone_of(name))
                .map(|r| r.name.clone())
            else {
                continue;
            };
            let mut out = Vec::new();
            for ns in ns_targets(records, &zone) {
                let glue: Vec<SocketAddr> = reply
                    .message
                    .additionals
                    .iter()
                    .filter(|r| r.name == ns)
                    .filter_map(server_address)
                    .collect();
                if glue.is_empty() {
                    out.push((ns.clone(), None));
                }
                for addr in glue {
                    out.push((ns.clone(), Some(addr)));
                }
            }
            return Some((zone, out));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_files_give_the_root_ns_addresses() {
        let text = ".                      3600000 NS a.root-servers.test.\n\
                    a.root-servers.test.   3600000 A  127.53.0.1\n\
                    ; a comment\n\
                    other.test.            3600 A 127.0.0.9\n";
        let hints = RootHints::parse(text).unwrap();
        assert_eq!(
            hints.servers(),
            [(
                "a.root-servers.test.".to_string(),
                "127.53.0.1:53".parse().unwrap()
            )]
        );
    }

    #[test]
    fn hints_without_addresses_are_refused() {
        assert!(RootHints::parse(". NS a.root-servers.test.\n").is_err());
        assert!(RootHints::parse("a.root. A not-an-ip\n").is_err());
    }

    #[test]
    fn addresses_may_replace_the_hints_file() {
        let hints = RootHints::load(Some("127.53.0.1, 127.53.0.2:5353")).unwrap();
        let addrs: Vec<SocketAddr> = hints.servers().iter().map(|(_, a)| *a).collect();
        assert_eq!(
            addrs,
            [
                "127.53.0.1:53".parse().unwrap(),
                "127.53.0.2:5353".parse().unwrap()
            ]
        );
        assert_eq!(RootHints::load(None).unwrap().servers().len(), 13);
        let missing = RootHints::load(Some("/nonexistent/root.hints")).unwrap_err();
        assert_eq!(missing.kind(), Kind::NoInput);
    }
}
