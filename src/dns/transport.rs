//! One query, one server: UDP with timeouts and attempts, stray datagrams discarded, and a
//! retry over TCP (RFC 7766) when the UDP answer is truncated. Plain std sockets, no runtime.

use std::{
    io::{self, Read, Write},
    net::{SocketAddr, TcpStream, UdpSocket},
    time::{Duration, Instant},
};

use hickory_proto::op::Message;

use crate::net::{UntilDeadline, remaining};

use super::{
    DnsError, QueryOptions,
    message::{Response, Transport, matches},
};

/// The largest DNS message (a TCP length prefix is 16 bits); UDP buffers are this big so no
/// datagram is ever cut.
pub(crate) const MAX_MESSAGE: usize = 65_535;

/// Something worth telling a user who asked for details (`-v`): a discarded datagram, a
/// retry, the switch to TCP.
pub(crate) type Note<'a> = &'a (dyn Fn(&str) + Sync);

/// Sends `query` to `server` and returns the matching reply, per `options`.
pub(crate) fn exchange(
    query: &Message,
    server: SocketAddr,
    options: &QueryOptions,
    note: Note<'_>,
) -> Result<Response, DnsError> {
    let bytes = query.to_vec().map_err(|err| DnsError::InvalidName {
        name: query
            .queries
            .first()
            .map(|q| q.name.to_string())
            .unwrap_or_default(),
        reason: format!("cannot encode the query: {err}"),
    })?;
    let attempts = options.attempts.max(1);
    let timeout = options.timeout;
    for attempt in 1..=attempts {
        if attempt > 1 {
            note(&format!(
                "no reply from {server}; attempt {attempt} of {attempts}"
            ));
        }
        note(&format!(
            "C: query {} {} ({}) to {server} over {}, attempt {attempt}",
            query.metadata.id,
            question(query),
            if query.metadata.recursion_desired {
                "rd"
            } else {
                "no rd"
            },
            if options.tcp { "tcp" } else { "udp" },
        ));
        let start = Instant::now();
        let result = if options.tcp {
            tcp_once(query, &bytes, server, timeout)
        } else {
            udp_once(query, &bytes, server, timeout, note)
        };
        let Some((message, size)) = result? else {
            continue;
        };
        note(&reply_line(&message, size));
        if options.tcp || !message.metadata.truncation {
            let transport = if options.tcp {
                Transport::Tcp
            } else {
                Transport::Udp
            };
            return Ok(Response::new(
                message,
                server,
                transport,
                start.elapsed(),
                size,
            ));
        }
        note(&format!(
            "the UDP answer from {server} was truncated; retrying over TCP"
        ));
        if let Some((message, size)) = tcp_once(query, &bytes, server, timeout)? {
            note(&reply_line(&message, size));
            let mut response =
                Response::new(message, server, Transport::Tcp, start.elapsed(), size);
            response.tcp_fallback = true;
            return Ok(response);
        }
    }
    Err(DnsError::Timeout {
        servers: vec![server],
        attempts,
        timeout,
    })
}

/// `name TYPE` of a message's question, for the transcript.
fn question(message: &Message) -> String {
    message
        .queries
        .first()
        .map(|q| {
            format!(
                "{} {}",
                super::name::presentation_name(&q.name),
                super::RecordType::from_hickory(q.query_type)
            )
        })
        .unwrap_or_default()
}

/// The `-v` line of a reply: ID, rcode, flags and section sizes.
fn reply_line(message: &Message, size: usize) -> String {
    let meta = &message.metadata;
    let flags: Vec<&str> = [
        (meta.authoritative, "aa"),
        (meta.truncation, "tc"),
        (meta.recursion_desired, "rd"),
        (meta.recursion_available, "ra"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect();
    format!(
        "S: reply {} {} [qr {}] {} answer, {} authority, {} additional ({size} bytes)",
        meta.id,
        super::message::rcode_name(meta.response_code),
        flags.join(" "),
        message.answers.len(),
        message.authorities.len(),
        message.additionals.len(),
    )
}

/// One UDP attempt: `None` when nothing matching arrived before the timeout. Datagrams with
/// another ID or question are discarded (RFC 5452 §9.1) and the wait goes on; a datagram with
/// our ID that does not parse is a malformed reply.
fn udp_once(
    query: &Message,
    bytes: &[u8],
    server: SocketAddr,
    timeout: Duration,
    note: Note<'_>,
) -> Result<Option<(Message, usize)>, DnsError> {
    let unreachable = |source| DnsError::Unreachable {
        server,
        transport: "udp",
        source,
    };
    let socket = UdpSocket::bind(local_for(server)).map_err(unreachable)?;
    socket.connect(server).map_err(unreachable)?;
    socket.send(bytes).map_err(unreachable)?;
    let deadline = Instant::now() + timeout;
    let mut buf = vec![0u8; MAX_MESSAGE];
    loop {
        let Some(left) = remaining(deadline) else {
            return Ok(None);
        };
        socket.set_read_timeout(Some(left)).map_err(unreachable)?;
        let len = match socket.recv(&mut buf) {
            Ok(len) => len,
            Err(err) if is_timeout(&err) => return Ok(None),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(unreachable(err)),
        };
        let datagram = &buf[..len];
        if datagram.len() < 2 || u16::from_be_bytes([datagram[0], datagram[1]]) != query.metadata.id
        {
            note(&format!(
                "discarded a {len}-byte datagram from {server} with another transaction ID"
            ));
            continue;
        }
        let reply = Message::from_vec(datagram).map_err(|err| DnsError::Malformed {
            server,
            reason: err.to_string(),
        })?;
        if !matches(query, &reply) {
            note(&format!(
                "discarded a reply from {server} to another question"
            ));
            continue;
        }
        return Ok(Some((reply, len)));
    }
}

/// The any-address, any-port local end of a UDP socket that talks to `server`: the same family,
/// so an IPv6 server is reachable.
pub(crate) fn local_for(server: SocketAddr) -> SocketAddr {
    if server.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    }
}

/// One TCP exchange (RFC 1035 §4.2.2: a two-byte length, then the message). `None` on a
/// timeout; on TCP a reply to another question is a protocol error, not a stray.
fn tcp_once(
    query: &Message,
    bytes: &[u8],
    server: SocketAddr,
    timeout: Duration,
) -> Result<Option<(Message, usize)>, DnsError> {
    let deadline = Instant::now() + timeout;
    let unreachable = |source| DnsError::Unreachable {
        server,
        transport: "tcp",
        source,
    };
    let mut stream = match TcpStream::connect_timeout(&server, timeout) {
        Ok(stream) => stream,
        Err(err) if is_timeout(&err) => return Ok(None),
        Err(err) => return Err(unreachable(err)),
    };
    let _ = stream.set_nodelay(true);
    let io = tcp_roundtrip(
        &mut UntilDeadline {
            stream: &mut stream,
            deadline,
        },
        bytes,
    );
    let reply = match io {
        Ok(reply) => reply,
        Err(err) if is_timeout(&err) => return Ok(None),
        Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => {
            return Err(DnsError::Malformed {
                server,
                reason: "the TCP connection closed before a complete reply".into(),
            });
        }
        Err(err) => return Err(unreachable(err)),
    };
    let message = Message::from_vec(&reply).map_err(|err| DnsError::Malformed {
        server,
        reason: err.to_string(),
    })?;
    if !matches(query, &message) {
        return Err(DnsError::Malformed {
            server,
            reason: "the TCP reply does not match the query's ID and question".into(),
        });
    }
    Ok(Some((message, reply.len())))
}

/// RFC 1035 §4.2.2 framing on any stream: the query with its two-byte length prefix out, one
/// length-prefixed reply in. Generic so tests can script the server's bytes.
pub(crate) fn tcp_roundtrip<S: Read + Write>(stream: &mut S, query: &[u8]) -> io::Result<Vec<u8>> {
    let len = u16::try_from(query.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the query is larger than a DNS message",
        )
    })?;
    let mut framed = Vec::with_capacity(query.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(query);
    stream.write_all(&framed)?;
    stream.flush()?;
    let mut prefix = [0u8; 2];
    stream.read_exact(&mut prefix)?;
    let mut reply = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    stream.read_exact(&mut reply)?;
    Ok(reply)
}

/// Whether a socket error is an expired read timeout (`WouldBlock` on Unix, `TimedOut` on
/// Windows).
pub(crate) fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Script;

    #[test]
    fn tcp_frames_the_query_and_reads_one_framed_reply() {
        let mut server = Script::new(b"\x00\x03abcextra");
        let reply = tcp_roundtrip(&mut server, b"query").unwrap();
        assert_eq!(reply, b"abc");
        assert_eq!(server.written(), b"\x00\x05query");
    }

    #[test]
    fn a_tcp_reply_cut_short_is_an_unexpected_eof() {
        for bytes in [&b""[..], b"\x00", b"\x00\x10short"] {
            let err = tcp_roundtrip(&mut Script::new(bytes), b"q").unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{bytes:?}");
        }
    }

    #[test]
    fn an_empty_tcp_reply_is_read_as_empty() {
        assert_eq!(
            tcp_roundtrip(&mut Script::new(b"\x00\x00"), b"q").unwrap(),
            b""
        );
    }
}
