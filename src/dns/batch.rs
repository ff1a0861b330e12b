//! Many names at once: a few worker threads, each with one UDP socket and a bounded window of
//! queries in flight, told apart by transaction ID; results are handed back in input order.

use std::{
    collections::HashMap,
    net::{SocketAddr, UdpSocket},
    sync::{
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use hickory_proto::{op::Message, rr::Name};

use super::{
    DnsError, QueryOptions, RecordType, Resolver,
    message::{BatchReply, QueryIds, QueryTemplate, Transport, answers, query_with_id},
    mmsg,
    name::parse_name,
    transport::{MAX_MESSAGE, exchange, is_timeout, local_for},
};

/// One line of a batch: a name and the type to ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchQuery {
    /// The name as given.
    pub name: String,
    /// The record type.
    pub rtype: RecordType,
}

/// Receive buffer of a batch socket: a window of replies arriving while the worker is busy
/// parsing must not overflow the default (about 200 KB, which holds only ~100 small datagrams
/// on Linux) and be dropped, since every drop costs a full timeout.
const BATCH_RECV_BUFFER: usize = 4 << 20;

/// A UDP socket connected to `server`, with a large receive buffer.
fn batch_socket(server: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(server),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    // Best effort: the kernel caps it at net.core.rmem_max.
    let _ = socket.set_recv_buffer_size(BATCH_RECV_BUFFER);
    socket.bind(&local_for(server).into())?;
    socket.connect(&server.into())?;
    Ok(socket.into())
}

/// A query on the wire, waiting for its reply.
struct Flight {
    index: usize,
    name: Name,
    rtype: RecordType,
    bytes: Vec<u8>,
    sent: Instant,
    deadline: Instant,
    /// When to send the same datagram once more within this attempt (see [`Rto`]).
    resend_at: Option<Instant>,
    attempt: u32,
}

/// An adaptive early resend, as resolvers do (RFC 6298's idea applied to UDP): a datagram
/// lost in a burst of thousands would otherwise stall its result for a whole timeout. Within
/// an attempt the query is sent once more after a few smoothed round-trip times; the attempt's
/// timeout and the number of attempts keep their meaning.
struct Rto {
    smoothed: Option<Duration>,
}

impl Rto {
    /// Before any reply: a quarter second, or half the timeout if that is shorter.
    const INITIAL: Duration = Duration::from_millis(250);
    /// Never sooner than this, so a busy fast server is not flooded with duplicates.
    const FLOOR: Duration = Duration::from_millis(50);

    fn observe(&mut self, rtt: Duration) {
        self.smoothed = Some(match self.smoothed {
            Some(srtt) => (srtt * 7 + rtt) / 8,
            None => rtt,
        });
    }

    fn resend_after(&self, timeout: Duration) -> Option<Duration> {
        let rto = self
            .smoothed
            .map_or(Self::INITIAL, |srtt| (srtt * 8).max(Self::FLOOR));
        (rto < timeout / 2).then_some(rto)
    }
}

/// How often a worker looks for queries to resend or give up on; also the precision of the
/// batch timeouts.
const TICK: Duration = Duration::from_millis(5);

/// Replies taken from the kernel in one call at most.
const RECEIVED_PER_CALL: usize = 32;

/// Sends the queries in `fresh` (their bytes are in `flights`) with as few system calls as the
/// kernel allows; one it refuses is answered with the error and leaves the window. False
/// once the printing side has gone.
fn send_fresh<T, R: Fn(&BatchQuery, Result<BatchReply, DnsError>) -> T>(
    socket: &UdpSocket,
    server: SocketAddr,
    fresh: &mut Vec<u16>,
    flights: &mut HashMap<u16, Flight>,
    out: &mut Outbox<'_, T, R>,
) -> bool {
    let mut at = 0;
    while at < fresh.len() {
        let datagrams: Vec<&[u8]> = fresh[at..]
            .iter()
            .filter_map(|id| flights.get(id).map(|f| f.bytes.as_slice()))
            .collect();
        match mmsg::send_many(socket, &datagrams) {
            Ok(sent) => at += sent,
            Err(source) => {
                let failed = flights.remove(&fresh[at]);
                at += 1;
                let Some(flight) = failed else { continue };
                let err = DnsError::Unreachable {
                    server,
                    transport: "udp",
                    source,
                };
                if !out.push((flight.index, Err(err))) {
                    return false;
                }
            }
        }
    }
    fresh.clear();
    true
}

/// A finished query: its input index and its result as the caller renders it.
type Done<T> = (usize, T);

/// Results handed to the printing thread a few at a time: one channel message per result
/// woke that thread (a futex call and a context switch) for every query, about a tenth of a
/// batch's CPU. What is pending goes at least every [`TICK`], when a reply is awaited in vain,
/// and when the worker ends (on drop).
struct Outbox<'a, T, R> {
    tx: &'a mpsc::Sender<Vec<Done<T>>>,
    pending: Vec<Done<T>>,
    /// Turns a result into what the printing thread gets.
    render: &'a R,
    queries: &'a [BatchQuery],
}

/// Results an [`Outbox`] holds back at most.
const HELD: usize = 256;

impl<T, R: Fn(&BatchQuery, Result<BatchReply, DnsError>) -> T> Outbox<'_, T, R> {
    /// Renders and queues the result of query `index`; false once the printing side has gone.
    fn push(&mut self, (index, result): (usize, Result<BatchReply, DnsError>)) -> bool {
        let rendered = (self.render)(&self.queries[index], result);
        self.pending.push((index, rendered));
        self.pending.len() < HELD || self.flush()
    }

    /// Hands over what is pending; false once the printing side has gone.
    fn flush(&mut self) -> bool {
        self.pending.is_empty() || self.tx.send(std::mem::take(&mut self.pending)).is_ok()
    }
}

impl<T, R> Drop for Outbox<'_, T, R> {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let _ = self.tx.send(std::mem::take(&mut self.pending));
        }
    }
}

impl Resolver {
    /// Resolves every query, at most `window` in flight at once, turns each result into a `T`
    /// with `render` on the worker thread that got it, and calls `each` with those in input
    /// order (as soon as every earlier one is done, so output streams). Queries go to the first
    /// server; one that times out there is retried on the others.
    pub fn batch<T: Send>(
        &self,
        queries: &[BatchQuery],
        window: usize,
        render: impl Fn(&BatchQuery, Result<BatchReply, DnsError>) -> T + Sync,
        mut each: impl FnMut(T),
    ) {
        if queries.is_empty() {
            return;
        }
        // At least two even on one CPU: each worker's socket has its own source port, and a
        // server with a socket per thread (SO_REUSEPORT: bind9, nsd) spreads ports, not
        // queries, over its threads (on one CPU, 1.07x against bind9 and 1.19x against nsd).
        let workers = std::thread::available_parallelism()
            .map_or(2, usize::from)
            .clamp(2, 4)
            .min(window.max(1))
            .min(queries.len());
        let per_worker = (window / workers).max(1);
        let next = AtomicUsize::new(0);
        let (tx, rx) = mpsc::channel::<Vec<Done<T>>>();
        let render = &render;
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let tx = tx.clone();
                let next = &next;
                scope.spawn(move || {
                    let out = Outbox {
                        tx: &tx,
                        pending: Vec::with_capacity(HELD),
                        render,
                        queries,
                    };
                    self.batch_worker(queries, next, per_worker, out)
                });
            }
            drop(tx);
            let mut done: Vec<Option<T>> = Vec::new();
            done.resize_with(queries.len(), || None);
            let mut printed = 0;
            for (index, result) in rx.into_iter().flatten() {
                done[index] = Some(result);
                while printed < queries.len() {
                    let Some(result) = done[printed].take() else {
                        break;
                    };
                    each(result);
                    printed += 1;
                }
            }
        });
    }

    fn batch_worker<T, R: Fn(&BatchQuery, Result<BatchReply, DnsError>) -> T>(
        &self,
        queries: &[BatchQuery],
        next: &AtomicUsize,
        window: usize,
        mut out: Outbox<'_, T, R>,
    ) {
        let take = || {
            let index = next.fetch_add(1, Ordering::Relaxed);
            (index < queries.len()).then_some(index)
        };
        let socket = self
            .servers()
            .first()
            .and_then(|&server| Some((batch_socket(server).ok()?, server)));
        let Some((socket, server)) = socket.filter(|_| !self.options().tcp) else {
            // TCP, or no usable UDP socket: one query at a time through the ordinary path.
            while let Some(index) = take() {
                let q = &queries[index];
                let result = self.query(&q.name, q.rtype).map(BatchReply::from);
                if !(out.push((index, result)) && out.flush()) {
                    return;
                }
            }
            return;
        };
        let options = self.options();
        let mut flights: HashMap<u16, Flight> = HashMap::with_capacity(window * 2);
        let mut exhausted = false;
        let mut slots = mmsg::Slots::new(window.min(RECEIVED_PER_CALL), MAX_MESSAGE);
        // The queries of this round, sent together once the window is full again.
        let mut fresh: Vec<u16> = Vec::with_capacity(window);
        // One fixed read timeout (a syscall per datagram saved): the loop wakes at least every
        // TICK to resend or give up on queries whose time is over.
        let _ = socket.set_read_timeout(Some(TICK));
        let mut next_check = Instant::now() + TICK;
        let mut rto = Rto { smoothed: None };
        let mut ids = QueryIds::new();
        // The templates of the types asked so far (a batch asks a handful at most).
        let mut templates: Vec<(RecordType, QueryTemplate)> = Vec::new();
        // The byte buffers of answered queries, for the next ones.
        let mut spare: Vec<Vec<u8>> = Vec::with_capacity(window);
        loop {
            // One clock reading for the queries of this round: they leave together.
            let now = Instant::now();
            while !exhausted && flights.len() < window {
                let Some(index) = take() else {
                    exhausted = true;
                    break;
                };
                let q = &queries[index];
                let name = match parse_name(&q.name) {
                    Ok(name) => name,
                    Err(err) => {
                        out.push((index, Err(err)));
                        continue;
                    }
                };
                // Unique among the queries in flight, so each reply finds its question.
                let id = loop {
                    match ids.draw() {
                        Ok(id) if flights.contains_key(&id) => continue,
                        other => break other,
                    }
                };
                let id = match id {
                    Ok(id) => id,
                    Err(err) => {
                        out.push((index, Err(err)));
                        continue;
                    }
                };
                let template = match templates.iter().position(|(rtype, _)| *rtype == q.rtype) {
                    Some(at) => Ok(&templates[at].1),
                    None => QueryTemplate::new(q.rtype, options.recursion).map(|template| {
                        templates.push((q.rtype, template));
                        &templates[templates.len() - 1].1
                    }),
                };
                let mut bytes = spare.pop().unwrap_or_default();
                if let Err(err) = template.and_then(|t| t.encode(&name, id, &mut bytes)) {
                    let err = match err {
                        DnsError::InvalidName { reason, .. } => DnsError::InvalidName {
                            name: q.name.clone(),
                            reason,
                        },
                        other => other,
                    };
                    out.push((index, Err(err)));
                    continue;
                }
                fresh.push(id);
                flights.insert(
                    id,
                    Flight {
                        index,
                        name,
                        rtype: q.rtype,
                        bytes,
                        sent: now,
                        deadline: now + options.timeout,
                        resend_at: rto.resend_after(options.timeout).map(|after| now + after),
                        attempt: 1,
                    },
                );
            }
            if !fresh.is_empty() && !send_fresh(&socket, server, &mut fresh, &mut flights, &mut out)
            {
                return;
            }
            if flights.is_empty() {
                if exhausted {
                    return;
                }
                continue;
            }
            if Instant::now() >= next_check {
                self.expire(&socket, server, &mut flights, &rto, &mut out);
                out.flush();
                next_check = Instant::now() + TICK;
                continue;
            }
            let count = match mmsg::recv_many(&socket, &mut slots) {
                Ok(count) => count,
                Err(err) if is_timeout(&err) || err.kind() == std::io::ErrorKind::Interrupted => {
                    out.flush();
                    continue;
                }
                Err(err) => {
                    // An ICMP error (port unreachable) cannot be pinned on one query: every
                    // query in flight to this server shares its fate.
                    for (_, flight) in flights.drain() {
                        let failed = DnsError::Unreachable {
                            server,
                            transport: "udp",
                            source: std::io::Error::new(err.kind(), err.to_string()),
                        };
                        out.push((flight.index, Err(failed)));
                    }
                    continue;
                }
            };
            // One clock reading for the replies of this call: they came together.
            let received = Instant::now();
            for slot in 0..count {
                let datagram = slots.get(slot);
                let len = datagram.len();
                if len < 2 {
                    continue;
                }
                let id = u16::from_be_bytes([datagram[0], datagram[1]]);
                let Some(flight) = flights.get(&id) else {
                    self.note(&format!(
                        "discarded a {len}-byte datagram from {server} with an unknown transaction ID"
                    ));
                    continue;
                };
                let result = match Message::from_vec(datagram) {
                    Err(err) => Err(DnsError::Malformed {
                        server,
                        reason: err.to_string(),
                    }),
                    Ok(reply) if !answers(&reply, id, &flight.name, flight.rtype) => {
                        self.note(&format!(
                            "discarded a reply from {server} to another question"
                        ));
                        continue;
                    }
                    Ok(reply) if reply.metadata.truncation => {
                        self.note(&format!(
                            "the UDP answer from {server} was truncated; retrying over TCP"
                        ));
                        let tcp = QueryOptions {
                            tcp: true,
                            ..options.clone()
                        };
                        let query =
                            query_with_id(&flight.name, flight.rtype, options.recursion, id);
                        exchange(&query, server, &tcp, &|text| self.note(text))
                            .map(BatchReply::from)
                    }
                    Ok(reply) => {
                        let rtt = received.saturating_duration_since(flight.sent);
                        rto.observe(rtt);
                        Ok(BatchReply::new(reply, server, Transport::Udp, rtt))
                    }
                };
                if let Some(flight) = flights.remove(&id) {
                    spare.push(flight.bytes);
                    if !out.push((flight.index, result)) {
                        return;
                    }
                }
            }
        }
    }

    /// Resends the queries whose wait is over, or gives up on them after the last attempt
    /// (asking the other servers, if there are any).
    fn expire<T, R: Fn(&BatchQuery, Result<BatchReply, DnsError>) -> T>(
        &self,
        socket: &UdpSocket,
        server: SocketAddr,
        flights: &mut HashMap<u16, Flight>,
        rto: &Rto,
        out: &mut Outbox<'_, T, R>,
    ) {
        let now = Instant::now();
        let options = self.options();
        for flight in flights.values_mut() {
            if flight.resend_at.is_some_and(|at| at <= now) && flight.deadline > now {
                flight.resend_at = None;
                let _ = socket.send(&flight.bytes);
            }
        }
        let expired: Vec<u16> = flights
            .iter()
            .filter(|(_, f)| f.deadline <= now)
            .map(|(&id, _)| id)
            .collect();
        for id in expired {
            let Some(mut flight) = flights.remove(&id) else {
                continue;
            };
            if flight.attempt < options.attempts && socket.send(&flight.bytes).is_ok() {
                flight.attempt += 1;
                flight.sent = now;
                flight.deadline = now + options.timeout;
                flight.resend_at = rto.resend_after(options.timeout).map(|after| now + after);
                flights.insert(id, flight);
                continue;
            }
            let result = match self.servers().get(1..) {
                Some(others) if !others.is_empty() => {
                    Resolver::with_servers(others.to_vec(), options)
                        .query_name(&flight.name, flight.rtype)
                        .map(BatchReply::from)
                }
                _ => Err(DnsError::Timeout {
                    servers: vec![server],
                    attempts: options.attempts.max(1),
                    timeout: options.timeout,
                }),
            };
            out.push((flight.index, result));
        }
    }
}
