//! `--check`: the mail route of a domain plus what a postmaster needs to fix it: the MX hosts
//! in sender order with addresses and TTLs, and findings about the domain and its name servers
//! (each asked directly whether it is authoritative, RFC 1912 §2.8 "lame delegation").

use std::{net::SocketAddr, time::Duration};

use hickory_proto::rr::{Name, RecordType as HRecordType};
use serde::Serialize;

use super::{
    DnsError, MailHost, MailRoute, QueryOptions, RecordType, Resolver, Rr,
    message::{Outcome, build_query, serialize_millis},
    name::{parse_name, presentation_name},
    route::route_from,
    trace::{ZoneServer, ns_targets, server_address},
    transport::exchange,
};
use crate::exit::{self, Exit, Kind};

/// The mail-routing report of one domain.
#[derive(Clone, Debug, Serialize)]
pub struct MailCheck {
    /// The domain, fully qualified.
    pub domain: String,
    /// The server that answered the MX query.
    pub server: Option<SocketAddr>,
    /// How long the MX query took.
    #[serde(serialize_with = "serialize_millis")]
    pub elapsed: Duration,
    /// The MX query's rcode (`NOERROR`, `NXDOMAIN`...) or `ERROR`.
    pub mx_status: String,
    /// Why the MX lookup failed, if it did.
    pub mx_error: Option<String>,
    /// The MX records as received.
    pub mx: Vec<Rr>,
    /// `hosts`, `null_mx`, `no_such_domain`, or `unknown` when the MX lookup failed.
    pub route: &'static str,
    /// The hosts in the order a sender tries them.
    pub hosts: Vec<MailHost>,
    /// The zone whose name servers were checked.
    pub zone: String,
    /// Each name server address of the zone and how it answered.
    pub name_servers: Vec<NameServerCheck>,
    /// What is wrong or notable about the domain.
    pub findings: Vec<DomainFinding>,
    /// The exit status this report calls for.
    pub exit: Exit,
}

/// How one name server address answered a direct, non-recursive SOA query for its zone.
#[derive(Clone, Debug, Serialize)]
pub struct NameServerCheck {
    /// The server's name.
    pub name: String,
    /// Its address (none when it has no address record).
    pub address: Option<SocketAddr>,
    /// True when it answered authoritatively (AA set, NOERROR).
    pub authoritative: bool,
    /// `authoritative`, `lame: ...` or `unreachable: ...`.
    pub status: String,
}

/// A finding about the domain as a whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "finding", rename_all = "snake_case")]
pub enum DomainFinding {
    /// NXDOMAIN: no such domain, mail bounces.
    NxDomain,
    /// RFC 7505 null MX: the domain accepts no mail.
    NullMx,
    /// No MX: mail goes to the domain's own address (RFC 5321 §5.1).
    ImplicitMx,
    /// No host has an address: mail cannot be delivered.
    NoUsableHost,
    /// The MX lookup failed.
    MxLookupFailed {
        /// Why.
        error: String,
    },
    /// A name server answers but not authoritatively for the zone (or refuses).
    LameNameServer {
        /// The server name.
        name: String,
        /// Its address.
        address: String,
        /// What it answered.
        reason: String,
    },
    /// A name server does not answer at all.
    UnreachableNameServer {
        /// The server name.
        name: String,
        /// Its address, if it has one.
        address: String,
        /// Why.
        reason: String,
    },
}

impl std::fmt::Display for DomainFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DomainFinding::NxDomain => {
                write!(f, "NXDOMAIN: the domain does not exist; mail bounces")
            }
            DomainFinding::NullMx => {
                write!(f, "null MX (RFC 7505): the domain accepts no mail")
            }
            DomainFinding::ImplicitMx => write!(
                f,
                "no MX record: mail goes to the domain's own address (implicit MX, RFC 5321 §5.1)"
            ),
            DomainFinding::NoUsableHost => {
                write!(f, "no mail host has an address: mail cannot be delivered")
            }
            DomainFinding::MxLookupFailed { error } => write!(f, "MX lookup failed: {error}"),
            DomainFinding::LameNameServer {
                name,
                address,
                reason,
            } => write!(f, "lame name server {name} ({address}): {reason}"),
            DomainFinding::UnreachableNameServer {
                name,
                address,
                reason,
            } => write!(f, "unreachable name server {name} ({address}): {reason}"),
        }
    }
}

impl Resolver {
    /// The mail-routing report for `domain`. Only a bad name is an error; failed lookups are
    /// findings, and [`MailCheck::exit`] says how bad the result is: 1 for NXDOMAIN or a
    /// domain with neither MX nor address, 75/76 when the MX lookup failed or no name server
    /// answers authoritatively.
    pub fn check_mail(&self, domain: &str) -> Result<MailCheck, DnsError> {
        let name = parse_name(domain)?;
        let mut check = MailCheck {
            domain: presentation_name(&name),
            server: None,
            elapsed: Duration::ZERO,
            mx_status: "ERROR".into(),
            mx_error: None,
            mx: Vec::new(),
            route: "unknown",
            hosts: Vec::new(),
            zone: String::new(),
            name_servers: Vec::new(),
            findings: Vec::new(),
            exit: Exit::Success,
        };
        let (route, ns) = std::thread::scope(|scope| {
            let ns = scope.spawn(|| self.check_name_servers(&name));
            let route = self.query_name(&name, RecordType::MX).and_then(|mx| {
                check.server = Some(mx.server);
                check.elapsed = mx.elapsed;
                check.mx_status = mx.header.rcode.clone();
                check.mx = mx.answer.clone();
                route_from(self, &name, &mx)
            });
            (route, ns.join().unwrap_or_default())
        });
        match route {
            Ok(MailRoute::NoSuchDomain) => {
                check.route = "no_such_domain";
                check.findings.push(DomainFinding::NxDomain);
                check.exit = Kind::NotFound.exit();
            }
            Ok(MailRoute::NullMx) => {
                check.route = "null_mx";
                check.findings.push(DomainFinding::NullMx);
            }
            Ok(MailRoute::Hosts(hosts)) => {
                check.route = "hosts";
                let implicit = hosts.iter().any(|h| h.implicit);
                if implicit {
                    check.findings.push(DomainFinding::ImplicitMx);
                }
                if hosts.iter().all(|h| h.addresses.is_empty()) {
                    check.findings.push(DomainFinding::NoUsableHost);
                    if implicit {
                        check.exit = Kind::NotFound.exit();
                    }
                }
                check.hosts = hosts;
            }
            Err(err) => {
                check.exit = err.kind().exit();
                check.mx_error = Some(err.to_string());
                check.findings.push(DomainFinding::MxLookupFailed {
                    error: err.to_string(),
                });
            }
        }
        if let Some((zone, servers)) = ns {
            check.zone = presentation_name(&zone);
            for server in servers.iter().filter(|s| !s.authoritative) {
                let address = server
                    .address
                    .map_or_else(|| "no address".to_string(), |a| a.ip().to_string());
                let finding = if let Some(reason) = server.status.strip_prefix("lame: ") {
                    DomainFinding::LameNameServer {
                        name: server.name.clone(),
                        address,
                        reason: reason.to_string(),
                    }
                } else {
                    DomainFinding::UnreachableNameServer {
                        name: server.name.clone(),
                        address,
                        reason: server
                            .status
                            .strip_prefix("unreachable: ")
                            .unwrap_or(&server.status)
                            .to_string(),
                    }
                };
                check.findings.push(finding);
            }
            if !servers.is_empty() && servers.iter().all(|s| !s.authoritative) {
                check.exit = exit::worst([check.exit, Kind::Temporary.exit()]);
            }
            check.name_servers = servers;
        }
        Ok(check)
    }

    /// Finds the zone of `name` and its name servers, then asks each address directly.
    fn check_name_servers(&self, name: &Name) -> Option<(Name, Vec<NameServerCheck>)> {
        let (zone, servers) = self.zone_servers(name)?;
        let options = QueryOptions {
            recursion: false,
            ..self.options().clone()
        };
        let checks = std::thread::scope(|scope| {
            let handles: Vec<_> = servers
                .iter()
                .map(|(ns, addr)| {
                    let zone = &zone;
                    let options = &options;
                    scope.spawn(move || check_one(ns, *addr, zone, options))
                })
                .collect();
            handles
                .into_iter()
                .zip(&servers)
                .map(|(handle, (ns, addr))| {
                    handle.join().unwrap_or_else(|_| NameServerCheck {
                        name: presentation_name(ns),
                        address: *addr,
                        authoritative: false,
                        status: "unreachable: the check panicked".into(),
                    })
                })
                .collect()
        });
        Some((zone, checks))
    }

    /// The zone containing `name` and its servers' addresses: the NS records through the
    /// resolver, or, when that fails (a lame zone makes the resolver SERVFAIL), the
    /// delegation as the parent zone's servers give it.
    fn zone_servers(&self, name: &Name) -> Option<(Name, Vec<ZoneServer>)> {
        let mut candidate = name.clone();
        loop {
            match self.query_name(&candidate, RecordType::NS) {
                Ok(reply) if reply.outcome == Outcome::Answer => {
                    let names = ns_targets(&reply.message.answers, &candidate);
                    if !names.is_empty() {
                        let servers = names
                            .into_iter()
                            .flat_map(|ns| self.zone_server(ns))
                            .collect();
                        return Some((candidate, servers));
                    }
                }
                Ok(reply) if matches!(reply.outcome, Outcome::NoData | Outcome::NxDomain) => {
                    // The SOA in the authority section names the enclosing zone.
                    if let Some(soa) = reply
                        .message
                        .authorities
                        .iter()
                        .find(|r| r.record_type() == HRecordType::SOA)
                        && soa.name != candidate
                        && soa.name.zone_of(&candidate)
                    {
                        candidate = soa.name.clone();
                        continue;
                    }
                }
                // The resolver itself does not answer: asking it about parents would only wait
                // for the same timeout once per label.
                Err(_) => return None,
                _ => {
                    // SERVFAIL or REFUSED for this zone (a lame delegation makes the resolver
                    // fail): ask the parent zone's servers for the delegation instead.
                    let parent = candidate.base_name();
                    if candidate.is_root() {
                        return None;
                    }
                    if let Some((_, parent_servers)) = self.zone_servers(&parent) {
                        let addrs: Vec<SocketAddr> =
                            parent_servers.iter().filter_map(|(_, a)| *a).collect();
                        let (zone, servers) = self.delegation(&addrs, &candidate)?;
                        let servers = servers
                            .into_iter()
                            .flat_map(|(ns, glue)| match glue {
                                Some(addr) => vec![(ns, Some(addr))],
                                None => self.zone_server(ns),
                            })
                            .collect();
                        return Some((zone, servers));
                    }
                    return None;
                }
            }
            if candidate.is_root() {
                return None;
            }
            candidate = candidate.base_name();
        }
    }

    /// A name server with each of its addresses, or once without one, so that a server whose
    /// name does not resolve is still reported.
    fn zone_server(&self, ns: Name) -> Vec<ZoneServer> {
        let addrs = self.addresses(&ns);
        if addrs.is_empty() {
            vec![(ns, None)]
        } else {
            addrs.into_iter().map(|a| (ns.clone(), Some(a))).collect()
        }
    }

    /// The IPv4 then IPv6 addresses of a host, port 53; empty when it has none.
    fn addresses(&self, host: &Name) -> Vec<SocketAddr> {
        let mut out = Vec::new();
        for rtype in [RecordType::A, RecordType::AAAA] {
            if let Ok(reply) = self.query_name(host, rtype) {
                out.extend(reply.message.answers.iter().filter_map(server_address));
            }
        }
        out
    }
}

/// Asks one server, RD clear, for the zone's SOA: an authoritative server sets AA.
fn check_one(
    ns: &Name,
    addr: Option<SocketAddr>,
    zone: &Name,
    options: &QueryOptions,
) -> NameServerCheck {
    let mut check = NameServerCheck {
        name: presentation_name(ns),
        address: addr,
        authoritative: false,
        status: String::new(),
    };
    let Some(addr) = addr else {
        check.status = "unreachable: the name server has no address".into();
        return check;
    };
    let query = match build_query(zone, RecordType::SOA, false) {
        Ok(query) => query,
        Err(err) => {
            check.status = format!("unreachable: {err}");
            return check;
        }
    };
    check.status = match exchange(&query, addr, options, &|_| {}) {
        Ok(reply) if reply.header.flags.aa && reply.outcome == Outcome::Answer => {
            check.authoritative = true;
            "authoritative".into()
        }
        Ok(reply) if reply.header.rcode != "NOERROR" => {
            format!("lame: answered {}", reply.header.rcode)
        }
        Ok(_) => "lame: answered without authority (AA not set)".into(),
        Err(err) => format!("unreachable: {err}"),
    };
    check
}
