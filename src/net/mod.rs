//! Connections: TCP with timeouts and `TCP_NODELAY`, and TLS on top ([`tls`]). Protocol
//! sessions are generic over `Read + Write`; this module supplies the real stream, [`Stream`].

pub mod tls;

use std::{
    io::{self, Read, Write},
    net::{SocketAddr, TcpStream, ToSocketAddrs},
    time::{Duration, Instant},
};

pub use tls::{Stream, TlsClient, TlsError, TlsOptions};

/// How a connection is protected; the accounts file and the `--tls` flag both name one.
#[derive(Clone, Copy, Debug, serde::Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// TLS from the first byte (SMTPS 465, POP3S 995).
    Tls,
    /// Upgrade with STARTTLS/STLS, and fail if the server does not offer it.
    Starttls,
    /// Upgrade when offered, carry on in cleartext with a warning otherwise (port-25 delivery).
    Opportunistic,
    /// Never encrypt.
    None,
}

/// Why a connection could not be made; every variant names the address, so an error message
/// says which host did not answer.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The host name did not resolve to any address.
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        /// The name that was looked up.
        host: String,
        /// Why the lookup failed.
        source: io::Error,
    },
    /// Every address refused, timed out or was unreachable; the last error is kept.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The last address tried.
        addr: SocketAddr,
        /// Why it failed.
        source: io::Error,
    },
}

impl ConnectError {
    /// Connection failures are worth retrying later; a name that does not resolve is not a
    /// host at all.
    pub fn kind(&self) -> crate::exit::Kind {
        match self {
            ConnectError::Resolve { .. } => crate::exit::Kind::NoHost,
            ConnectError::Connect { .. } => crate::exit::Kind::Temporary,
        }
    }
}

impl From<ConnectError> for crate::exit::Failure {
    fn from(err: ConnectError) -> Self {
        crate::exit::Failure::new(err.kind(), err)
    }
}

/// Connects to one address within `connect_timeout` (a blackholed address costs that, not the
/// reply timeout), then sets `timeout` on every later read and write, so no reply can hang the
/// process, and `TCP_NODELAY`, since mail protocols are request/response and Nagle's algorithm
/// would stall each command by up to 40 ms.
pub fn connect_addr(
    addr: SocketAddr,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<TcpStream, ConnectError> {
    let connected = TcpStream::connect_timeout(&addr, connect_timeout).and_then(|tcp| {
        tcp.set_nodelay(true)?;
        tcp.set_read_timeout(Some(timeout))?;
        tcp.set_write_timeout(Some(timeout))?;
        Ok(tcp)
    });
    connected.map_err(|source| ConnectError::Connect {
        addr,
        source: if is_timeout_kind(&source) {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("timed out after {} s", connect_timeout.as_secs()),
            )
        } else {
            source
        },
    })
}

fn is_timeout_kind(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Resolves `host` (a name or an IP literal) with the system resolver and connects to the
/// first address that answers, trying each in turn.
pub fn connect(
    host: &str,
    port: u16,
    connect_timeout: Duration,
    timeout: Duration,
) -> Result<(TcpStream, SocketAddr), ConnectError> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|source| ConnectError::Resolve {
            host: host.to_string(),
            source,
        })?;
    let mut last = None;
    for addr in addrs {
        match connect_addr(addr, connect_timeout, timeout) {
            Ok(tcp) => return Ok((tcp, addr)),
            Err(err) => last = Some(err),
        }
    }
    Err(last.unwrap_or_else(|| ConnectError::Resolve {
        host: host.to_string(),
        source: io::Error::new(io::ErrorKind::NotFound, "no addresses"),
    }))
}

/// A TCP stream whose every read and write gets only the time left before one deadline, so a
/// server dripping its reply a byte at a time cannot stretch the timeout.
pub(crate) struct UntilDeadline<'a> {
    /// The socket.
    pub stream: &'a mut TcpStream,
    /// When every read and write must be over.
    pub deadline: Instant,
}

impl UntilDeadline<'_> {
    fn left(&self) -> io::Result<Duration> {
        remaining(self.deadline).ok_or_else(|| io::Error::from(io::ErrorKind::TimedOut))
    }
}

impl Read for UntilDeadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.set_read_timeout(Some(self.left()?))?;
        self.stream.read(buf)
    }
}

impl Write for UntilDeadline<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.set_write_timeout(Some(self.left()?))?;
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}

/// Time left before `deadline`, `None` once it has passed (a zero read timeout would mean
/// "block forever" to the OS).
pub(crate) fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
}

/// Splits a `--server` value, `host`, `host:port`, `[v6]` or `[v6]:port`, so every command
/// accepts and refuses the same forms; a bad port is a usage error, never part of the host.
pub fn split_server(server: &str) -> Result<(String, Option<u16>), crate::exit::Failure> {
    let bad = || {
        crate::exit::Failure::new(
            crate::exit::Kind::Usage,
            format!("bad --server {server:?}: use HOST[:PORT]"),
        )
    };
    let (host, port) = if let Some(rest) = server.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(bad)?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or_else(bad)?)),
        }
    } else {
        match server.split_once(':') {
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            _ => (server, None),
        }
    };
    if host.is_empty() {
        return Err(bad());
    }
    let port = match port {
        Some(port) => Some(
            port.parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(bad)?,
        ),
        None => None,
    };
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_forms() {
        let ok = |s: &str| split_server(s).unwrap();
        assert_eq!(ok("pop.example.org"), ("pop.example.org".into(), None));
        assert_eq!(
            ok("pop.example.org:110"),
            ("pop.example.org".into(), Some(110))
        );
        assert_eq!(ok("[::1]:995"), ("::1".into(), Some(995)));
        assert_eq!(ok("[::1]"), ("::1".into(), None));
        assert_eq!(ok("::1"), ("::1".into(), None));
        assert_eq!(ok("mx.test:465"), ("mx.test".into(), Some(465)));
        assert_eq!(ok("[::1]:25"), ("::1".into(), Some(25)));
        assert_eq!(ok("127.0.0.1:2525"), ("127.0.0.1".into(), Some(2525)));
        for bad in ["", ":110", "h:0", "h:x", "[::1", "[::1]x", "h:70000"] {
            assert!(split_server(bad).is_err(), "{bad}");
        }
    }
}
