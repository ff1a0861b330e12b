//! The resolver handle shared by `resolve` and `send`: which servers to ask and how, and the
//! lookups built on single exchanges.

use std::{fmt, net::SocketAddr, sync::Arc, time::Duration};

use hickory_proto::rr::Name;

use super::{
    DnsError, RecordType,
    message::{Outcome, Response, build_query},
    name::parse_name,
    transport::exchange,
};
use crate::output::{self, Transcript};

/// The well-known DNS port (RFC 1035 §4.2).
pub const DNS_PORT: u16 = 53;

/// How each query is sent; the defaults suit an interactive tool on a working network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryOptions {
    /// How long to wait for each reply.
    pub timeout: Duration,
    /// How many times to send a query to one server before giving up on it.
    pub attempts: u32,
    /// Use TCP from the start instead of UDP.
    pub tcp: bool,
    /// Set RD (recursion desired); clear it to ask an authoritative server what it holds.
    pub recursion: bool,
}

impl Default for QueryOptions {
    /// 2 s and 2 attempts (resolv.conf's defaults are 5 s and 2; a person waiting at a
    /// terminal prefers to learn sooner that a server is silent), UDP, recursion desired.
    fn default() -> Self {
        QueryOptions {
            timeout: Duration::from_secs(2),
            attempts: 2,
            tcp: false,
            recursion: true,
        }
    }
}

/// A set of servers and the options to query them with. Cloning is cheap (the state is shared),
/// and it is `Send + Sync` so one resolver can serve many threads.
#[derive(Clone)]
pub struct Resolver {
    servers: Arc<[SocketAddr]>,
    options: QueryOptions,
    /// The `-v` transcript (queries, replies, retries, discarded datagrams).
    transcript: Transcript,
    /// Whether to tell the user, even without `-v`, what changes a result's meaning (an
    /// answer fetched again over TCP).
    notes: bool,
}

impl fmt::Debug for Resolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolver")
            .field("servers", &self.servers)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Resolver {
    /// The servers of `/etc/resolv.conf`, as every other program on the host uses them.
    pub fn system(options: &QueryOptions) -> Result<Resolver, DnsError> {
        let path = "/etc/resolv.conf";
        let (config, _) =
            hickory_resolver::system_conf::read_system_conf().map_err(|err| DnsError::Config {
                path: path.into(),
                reason: err.to_string(),
            })?;
        let mut servers: Vec<SocketAddr> = Vec::new();
        for server in config.name_servers() {
            let addr = SocketAddr::new(server.ip, DNS_PORT);
            if !servers.contains(&addr) {
                servers.push(addr);
            }
        }
        if servers.is_empty() {
            return Err(DnsError::Config {
                path: path.into(),
                reason: "it lists no nameserver".into(),
            });
        }
        Ok(Resolver::with_servers(servers, options))
    }

    /// Explicit servers (a `@server` on the command line, a test's fake server), asked in
    /// order.
    pub fn with_servers(servers: Vec<SocketAddr>, options: &QueryOptions) -> Resolver {
        Resolver {
            servers: servers.into(),
            options: options.clone(),
            transcript: Transcript::off(),
            notes: false,
        }
    }

    /// Reports what happens: the exchange on `transcript` (for `-v`), and notes that matter
    /// without it (a truncated answer fetched again over TCP) through `output`, instead of
    /// dropping both.
    pub fn with_diagnostics(mut self, transcript: Transcript) -> Resolver {
        self.transcript = transcript;
        self.notes = true;
        self
    }

    /// The servers asked, in order.
    pub fn servers(&self) -> &[SocketAddr] {
        &self.servers
    }

    /// The options queries are sent with.
    pub fn options(&self) -> &QueryOptions {
        &self.options
    }

    /// A copy asking the same servers with other options (`--trace` clears RD; `--check` asks
    /// name servers directly).
    pub fn with_options(&self, options: &QueryOptions) -> Resolver {
        Resolver {
            options: options.clone(),
            ..self.clone()
        }
    }

    /// Asks the servers in turn for `name`/`rtype` and returns the first reply that is not
    /// SERVFAIL or REFUSED (or the last one, when every server failed that way). NXDOMAIN and
    /// NODATA are replies, not errors: look at [`Response::outcome`].
    pub fn query(&self, name: &str, rtype: RecordType) -> Result<Response, DnsError> {
        let name = parse_name(name)?;
        self.query_name(&name, rtype)
    }

    pub(crate) fn query_name(&self, name: &Name, rtype: RecordType) -> Result<Response, DnsError> {
        if self.servers.is_empty() {
            return Err(DnsError::Config {
                path: "the resolver".into(),
                reason: "no server to ask".into(),
            });
        }
        let mut last_reply = None;
        let mut silent = Vec::new();
        let mut last_error = None;
        for &server in self.servers.iter() {
            match self.ask(server, name, rtype) {
                Ok(reply) if reply.outcome == Outcome::Failure => {
                    self.note(&format!(
                        "{server} answered {} for {}",
                        reply.header.rcode,
                        reply.question_text()
                    ));
                    last_reply = Some(reply);
                }
                Ok(reply) => return Ok(reply),
                Err(DnsError::Timeout { servers, .. }) => silent.extend(servers),
                Err(err) => last_error = Some(err),
            }
        }
        if let Some(reply) = last_reply {
            return Ok(reply);
        }
        match last_error {
            Some(err) if silent.is_empty() => Err(err),
            _ => Err(DnsError::Timeout {
                servers: silent,
                attempts: self.options.attempts.max(1),
                timeout: self.options.timeout,
            }),
        }
    }

    /// One server, with this resolver's options.
    pub(crate) fn ask(
        &self,
        server: SocketAddr,
        name: &Name,
        rtype: RecordType,
    ) -> Result<Response, DnsError> {
        let query = build_query(name, rtype, self.options.recursion)?;
        exchange(&query, server, &self.options, &|text| self.note(text))
    }

    /// Takes one line from the transport: `C: `/`S: ` lines are the exchange; a truncation
    /// is worth a note; anything else is an event of the transcript.
    pub(crate) fn note(&self, text: &str) {
        if let Some(line) = text.strip_prefix("C: ") {
            self.transcript.client("", line.as_bytes());
        } else if let Some(line) = text.strip_prefix("S: ") {
            self.transcript.server("", line.as_bytes());
        } else if self.notes && text.contains("truncated") {
            output::note(text);
        } else {
            self.transcript.event(text);
        }
    }
}

/// A server as users write it: `IP`, `IP:PORT`, `[IPv6]:PORT` or a bare IPv6 address; the port
/// defaults to 53. Names are refused: resolving the server's name would need a server.
pub fn parse_server(text: &str) -> Result<SocketAddr, String> {
    if let Ok(ip) = text.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, DNS_PORT));
    }
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']'))
        && let Ok(ip) = inner.parse::<std::net::Ipv6Addr>()
    {
        return Ok(SocketAddr::new(ip.into(), DNS_PORT));
    }
    text.parse::<SocketAddr>()
        .map_err(|_| format!("invalid server {text:?}: give an IP address, IP:PORT or [IPv6]:PORT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn resolver_can_be_shared_across_threads() {
        assert_send_sync::<Resolver>();
    }

    #[test]
    fn servers_parse_in_every_written_form() {
        let cases = [
            ("127.53.0.3", "127.53.0.3:53"),
            ("127.53.0.3:5353", "127.53.0.3:5353"),
            ("::1", "[::1]:53"),
            ("[::1]", "[::1]:53"),
            ("[::1]:5300", "[::1]:5300"),
        ];
        for (text, want) in cases {
            assert_eq!(parse_server(text), Ok(want.parse().unwrap()), "{text}");
        }
        for bad in ["ns1.test", "127.0.0.1:99999", "", "[::1", "1.2.3"] {
            assert!(parse_server(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_names_fail_before_anything_is_sent() {
        let resolver = Resolver::with_servers(
            vec!["127.0.0.1:9".parse().unwrap()],
            &QueryOptions::default(),
        );
        let err = resolver
            .query(&format!("{}.test", "x".repeat(64)), RecordType::A)
            .unwrap_err();
        assert_eq!(err.kind(), crate::exit::Kind::Usage);
    }
}
