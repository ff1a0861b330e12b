//! The ways a DNS lookup fails, each with its exit code. A valid negative answer (NXDOMAIN,
//! NODATA) is not among them: it is a value the caller inspects.

use std::{net::SocketAddr, time::Duration};

use crate::exit::{Failure, Kind};

/// Why a lookup gave no usable answer; every variant that involves a server names it, so the
/// user knows which one to blame.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// The name cannot be put in a query (RFC 1035 §2.3.4 size limits, empty labels).
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No server sent a matching reply before the timeout, on any attempt.
    #[error("no reply from {} ({attempts} attempt{} of {}s each)", list(servers), plural(*attempts), timeout.as_secs_f64())]
    Timeout {
        /// The servers that stayed silent.
        servers: Vec<SocketAddr>,
        /// Attempts made per server.
        attempts: u32,
        /// The wait per attempt.
        timeout: Duration,
    },
    /// The server could not be reached at all (refused, unreachable, connection reset).
    #[error("cannot reach {server} over {transport}: {source}")]
    Unreachable {
        /// The server.
        server: SocketAddr,
        /// "udp" or "tcp".
        transport: &'static str,
        /// The socket error.
        source: std::io::Error,
    },
    /// The server answered with an error rcode (SERVFAIL, REFUSED, FORMERR, NOTIMP...).
    #[error("{server} answered {rcode} for {question}")]
    Rcode {
        /// The server.
        server: SocketAddr,
        /// The rcode's mnemonic.
        rcode: String,
        /// The question, `name TYPE`.
        question: String,
    },
    /// The reply could not be decoded, or broke the protocol (RFC 1035 §4.1).
    #[error("malformed reply from {server}: {reason}")]
    Malformed {
        /// The server.
        server: SocketAddr,
        /// What was wrong.
        reason: String,
    },
    /// The system resolver configuration could not be used.
    #[error("reading the resolver configuration {path}: {reason}")]
    Config {
        /// The file read.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// The operating system's random source failed, so no unguessable query ID can be made.
    #[error("no random source for a DNS query ID: {0}")]
    NoRandom(String),
}

impl DnsError {
    /// Temporary for what may work later (timeouts, SERVFAIL, REFUSED, unreachable), protocol
    /// for a server that broke it, usage for a name the user mistyped, configuration for a
    /// broken resolv.conf.
    pub fn kind(&self) -> Kind {
        match self {
            DnsError::InvalidName { .. } => Kind::Usage,
            DnsError::Timeout { .. } | DnsError::Unreachable { .. } => Kind::Temporary,
            DnsError::Rcode { rcode, .. } => match rcode.as_str() {
                "SERVFAIL" | "REFUSED" => Kind::Temporary,
                _ => Kind::Protocol,
            },
            DnsError::Malformed { .. } => Kind::Protocol,
            DnsError::Config { .. } => Kind::Config,
            DnsError::NoRandom(_) => Kind::Internal,
        }
    }

    /// Whether asking again (another server, later) may help; send uses it to tell a
    /// temporary routing failure from a permanent one.
    pub fn is_transient(&self) -> bool {
        self.kind() == Kind::Temporary
    }
}

impl From<DnsError> for Failure {
    fn from(err: DnsError) -> Self {
        Failure::new(err.kind(), err)
    }
}

fn list(servers: &[SocketAddr]) -> String {
    let names: Vec<String> = servers.iter().map(SocketAddr::to_string).collect();
    names.join(", ")
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}
