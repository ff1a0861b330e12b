//! A fake DNS server over UDP on 127.0.0.1:0 whose replies are built with hickory-proto (the
//! codec the product uses), never by hand, and the reply builders the tests share.

use std::{
    net::{Ipv4Addr, SocketAddr, UdpSocket},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread,
};

use hickory_proto::{
    op::{Message, OpCode, ResponseCode},
    rr::{Name, RData, Record, rdata},
};

/// What a fake server sends back for one query: zero or more datagrams.
type Handler = dyn Fn(&Message) -> Vec<Vec<u8>> + Send + Sync;

/// A running fake; dropping one that was never asked anything fails the test, unless
/// [`Fake::expect_unused`] was called.
pub struct Fake {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Queries received so far.
    pub queries: Arc<AtomicUsize>,
    unused_ok: AtomicBool,
}

impl Fake {
    /// Says that no query is expected (the command must fail before asking).
    pub fn expect_unused(&self) {
        self.unused_ok.store(true, Ordering::Relaxed);
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        if self.queries.load(Ordering::SeqCst) == 0
            && !self.unused_ok.load(Ordering::Relaxed)
            && !thread::panicking()
        {
            panic!(
                "the fake DNS server at {} was never asked (call expect_unused if that is the point)",
                self.addr
            );
        }
    }
}

/// A UDP fake on 127.0.0.1:0 answering each query with `handler`; its thread lives until the
/// test process ends.
pub fn fake(handler: impl Fn(&Message) -> Vec<Vec<u8>> + Send + Sync + 'static) -> Fake {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = socket.local_addr().unwrap();
    let queries = Arc::new(AtomicUsize::new(0));
    let counter = queries.clone();
    let handler: Arc<Handler> = Arc::new(handler);
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((len, peer)) = socket.recv_from(&mut buf) {
            counter.fetch_add(1, Ordering::SeqCst);
            let Ok(query) = Message::from_vec(&buf[..len]) else {
                continue;
            };
            for datagram in handler(&query) {
                let _ = socket.send_to(&datagram, peer);
            }
        }
    });
    Fake {
        addr,
        queries,
        unused_ok: AtomicBool::new(false),
    }
}

/// A reply to `query` with `records` in the answer section.
pub fn reply(query: &Message, rcode: ResponseCode, records: Vec<Record>) -> Message {
    let mut reply = Message::response(query.metadata.id, OpCode::Query);
    reply.metadata.response_code = rcode;
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    reply.add_queries(query.queries.clone());
    reply.add_answers(records);
    reply
}

pub fn a_record(name: &Name, ip: [u8; 4]) -> Record {
    Record::from_rdata(name.clone(), 60, RData::A(rdata::A(ip.into())))
}

/// The wire bytes of a NOERROR reply answering the question with one A record.
pub fn a_reply(query: &Message, ip: [u8; 4]) -> Vec<u8> {
    reply(
        query,
        ResponseCode::NoError,
        vec![a_record(&qname(query), ip)],
    )
    .to_vec()
    .unwrap()
}

pub fn qname(query: &Message) -> Name {
    query.queries[0].name.clone()
}
