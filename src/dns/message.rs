//! Query construction and the reply as mailkit shows it: hickory builds and parses the wire
//! format (RFC 1035 §4), this module turns a parsed reply into plain, serializable view types
//! with record data in zone-file presentation form.

use std::{borrow::Cow, fmt::Write as _, net::SocketAddr, time::Duration};

use hickory_proto::{
    op::{Edns, Message, MessageType, OpCode, Query, ResponseCode},
    rr::{DNSClass, Name, RData, Record, RecordType as HRecordType},
    serialize::binary::{BinEncodable, BinEncoder, NameEncoding},
};
use serde::Serialize;

use super::{
    DnsError,
    name::{RecordType, presentation_name, push_escaped},
};
use crate::exit::Kind;

/// The UDP payload size advertised with EDNS (RFC 6891): 1232 bytes avoids IP fragmentation
/// on any path (the DNS flag day 2020 value), so a larger answer comes back truncated and is
/// fetched over TCP instead of being lost in fragments.
pub(crate) const EDNS_PAYLOAD: u16 = 1232;

/// A query ID from the operating system's cryptographic random source (RFC 5452 §9.2): an
/// off-path attacker who could predict it (as a seeded PRNG's output can be) could forge the
/// reply.
pub(crate) fn query_id() -> Result<u16, DnsError> {
    let mut id = [0u8; 2];
    getrandom::fill(&mut id).map_err(|err| DnsError::NoRandom(err.to_string()))?;
    Ok(u16::from_ne_bytes(id))
}

/// Query IDs for a batch from the same source as [`query_id`], drawn 128 at a time: one
/// `getrandom` call per 128 queries instead of one per query (a batch of 10,000 spent 5 % of its
/// CPU there). The IDs are as unpredictable as single draws; only the system calls are fewer.
pub(crate) struct QueryIds {
    pool: [u8; 256],
    next: usize,
}

impl QueryIds {
    /// An empty pool, filled at the first draw.
    pub(crate) fn new() -> QueryIds {
        QueryIds {
            pool: [0; 256],
            next: 256,
        }
    }

    /// The next ID.
    pub(crate) fn draw(&mut self) -> Result<u16, DnsError> {
        if self.next == self.pool.len() {
            getrandom::fill(&mut self.pool).map_err(|err| DnsError::NoRandom(err.to_string()))?;
            self.next = 0;
        }
        let id = u16::from_ne_bytes([self.pool[self.next], self.pool[self.next + 1]]);
        self.next += 2;
        Ok(id)
    }
}

/// A fresh query for one question with a random ID ([`query_id`]), RD as asked, and an EDNS
/// OPT record.
pub(crate) fn build_query(
    name: &Name,
    rtype: RecordType,
    recursion: bool,
) -> Result<Message, DnsError> {
    Ok(query_with_id(name, rtype, recursion, query_id()?))
}

/// [`build_query`] with the ID given (a batch draws its IDs from [`QueryIds`]).
pub(crate) fn query_with_id(name: &Name, rtype: RecordType, recursion: bool, id: u16) -> Message {
    let mut message = Message::new(id, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = recursion;
    message.add_query(Query::query(name.clone(), rtype.to_hickory()));
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD);
    message.set_edns(edns);
    message
}

/// Whether `reply` answers `query`: same ID, QR set, and the same single question (RFC 5452
/// §9.1); anything else is a stray or spoofed datagram.
pub(crate) fn matches(query: &Message, reply: &Message) -> bool {
    reply.metadata.id == query.metadata.id
        && reply.metadata.message_type == MessageType::Response
        && reply.queries.len() == query.queries.len()
        && reply.queries.iter().zip(&query.queries).all(|(a, b)| {
            a.name == b.name && a.query_type == b.query_type && a.query_class == b.query_class
        })
}

/// [`matches`] for a query kept as its parts (a batch keeps no [`Message`] per query in flight):
/// the one question `name`/`rtype` in class IN, as [`query_with_id`] asks it.
pub(crate) fn answers(reply: &Message, id: u16, name: &Name, rtype: RecordType) -> bool {
    reply.metadata.id == id
        && reply.metadata.message_type == MessageType::Response
        && matches!(reply.queries.as_slice(), [q] if q.name == *name
            && q.query_type == rtype.to_hickory()
            && q.query_class == DNSClass::IN)
}

/// The bytes of [`query_with_id`] for many names of one type, without building and encoding a
/// [`Message`] each time (a third of a batch's own CPU went there): hickory encodes the query
/// once with the root name, and each query is that header with its ID, the name as hickory
/// encodes it, and the rest of those bytes. With a single name in the message there is nothing
/// to compress, so the bytes are the ones hickory's encoder gives the whole message (a unit test
/// compares them).
pub(crate) struct QueryTemplate {
    /// The header (12 bytes), ID zero.
    head: Vec<u8>,
    /// Everything after the question's name: type, class, the OPT record.
    tail: Vec<u8>,
}

/// The size of the DNS header (RFC 1035 §4.1.1).
const HEADER: usize = 12;

impl QueryTemplate {
    /// The template of queries for `rtype`, RD as asked.
    pub(crate) fn new(rtype: RecordType, recursion: bool) -> Result<QueryTemplate, DnsError> {
        let bytes = query_with_id(&Name::root(), rtype, recursion, 0)
            .to_vec()
            .map_err(|err| DnsError::InvalidName {
                name: ".".into(),
                reason: format!("cannot encode the query: {err}"),
            })?;
        // The root name is the single zero byte right after the header.
        Ok(QueryTemplate {
            head: bytes[..HEADER].to_vec(),
            tail: bytes[HEADER + 1..].to_vec(),
        })
    }

    /// Writes the query for `name` with `id` into `out` (cleared first).
    pub(crate) fn encode(&self, name: &Name, id: u16, out: &mut Vec<u8>) -> Result<(), DnsError> {
        out.clear();
        out.extend_from_slice(&self.head);
        out[..2].copy_from_slice(&id.to_be_bytes());
        let mut encoder = BinEncoder::with_offset(out, HEADER as u32);
        encoder.set_name_encoding(NameEncoding::Uncompressed);
        name.emit(&mut encoder)
            .map_err(|err| DnsError::InvalidName {
                name: presentation_name(name),
                reason: format!("cannot encode the query: {err}"),
            })?;
        out.extend_from_slice(&self.tail);
        Ok(())
    }
}

/// How the reply came back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// One datagram each way.
    Udp,
    /// RFC 7766: length-prefixed over a TCP connection.
    Tcp,
}

impl Transport {
    /// The lowercase name shown to the user.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

/// What a reply means for the question asked: the exit code and the one-word status derive
/// from this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// NOERROR with records in the answer section.
    Answer,
    /// NOERROR, nothing in the answer, and a delegation in the authority section: the server
    /// is not authoritative and points elsewhere (a non-recursive query, or `--trace`).
    Referral,
    /// NOERROR with an empty answer: the name exists but has no record of that type
    /// (RFC 2308 §2.2).
    NoData,
    /// The name does not exist (RFC 2308 §2.1).
    NxDomain,
    /// SERVFAIL, REFUSED: the server could not or would not answer; try later or elsewhere.
    Failure,
    /// Any other rcode (FORMERR, NOTIMP, ...): the exchange itself went wrong.
    Error,
}

impl Outcome {
    /// What kind of failure a lookup ending with this outcome is; `None` for an answer.
    pub fn kind(self) -> Option<Kind> {
        match self {
            Outcome::Answer | Outcome::Referral => None,
            Outcome::NoData | Outcome::NxDomain => Some(Kind::NotFound),
            Outcome::Failure => Some(Kind::Temporary),
            Outcome::Error => Some(Kind::Protocol),
        }
    }
}

/// The header bits (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD and CD).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Flags {
    /// Query response.
    pub qr: bool,
    /// Authoritative answer.
    pub aa: bool,
    /// Truncated.
    pub tc: bool,
    /// Recursion desired.
    pub rd: bool,
    /// Recursion available.
    pub ra: bool,
    /// Authentic data.
    pub ad: bool,
    /// Checking disabled.
    pub cd: bool,
}

impl Flags {
    /// The set flags as dig shows them: `qr aa rd`.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.qr, "qr"),
            (self.aa, "aa"),
            (self.tc, "tc"),
            (self.rd, "rd"),
            (self.ra, "ra"),
            (self.ad, "ad"),
            (self.cd, "cd"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }
}

/// The reply header.
#[derive(Clone, Debug, Serialize)]
pub struct Header {
    /// The transaction ID.
    pub id: u16,
    /// QUERY, NOTIFY, UPDATE...
    pub opcode: String,
    /// NOERROR, NXDOMAIN, SERVFAIL... (with the EDNS extended bits merged in).
    pub rcode: String,
    /// The flag bits.
    pub flags: Flags,
}

/// The EDNS OPT pseudo-record of the reply (RFC 6891 §6.1.2).
#[derive(Clone, Debug, Serialize)]
pub struct EdnsInfo {
    /// EDNS version.
    pub version: u8,
    /// The UDP payload size the server accepts.
    pub udp_size: u16,
    /// DNSSEC OK bit.
    pub dnssec_ok: bool,
}

/// One question.
#[derive(Clone, Debug, Serialize)]
pub struct Question {
    /// The name, fully qualified, in presentation form.
    pub name: String,
    /// The class (IN).
    pub class: String,
    /// The record type.
    #[serde(rename = "type")]
    pub rtype: String,
}

/// One resource record, every field in zone-file presentation form.
#[derive(Clone, Debug, Serialize)]
pub struct Rr {
    /// The owner name.
    pub name: String,
    /// Time to live in seconds.
    pub ttl: u32,
    /// The class (IN).
    pub class: String,
    /// The record type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// The record data as it would appear in a zone file, control bytes escaped.
    pub data: String,
}

/// A reply as mailkit shows it: what the server said, who said it, over what, and how fast.
#[derive(Clone, Debug, Serialize)]
pub struct Response {
    /// The server that answered.
    pub server: SocketAddr,
    /// The transport of the final exchange.
    pub transport: Transport,
    /// True when the UDP answer was truncated and the query was repeated over TCP.
    pub tcp_fallback: bool,
    /// Time from sending the query to receiving this reply (including a TCP retry).
    #[serde(serialize_with = "serialize_millis")]
    pub elapsed: Duration,
    /// Size of the reply message in bytes.
    pub size: usize,
    /// What the reply means for the question.
    pub outcome: Outcome,
    /// The header.
    pub header: Header,
    /// The EDNS pseudo-record, if the server sent one.
    pub edns: Option<EdnsInfo>,
    /// The question section.
    pub question: Vec<Question>,
    /// The answer section.
    pub answer: Vec<Rr>,
    /// The authority section.
    pub authority: Vec<Rr>,
    /// The additional section (without the OPT pseudo-record).
    pub additional: Vec<Rr>,
    #[serde(skip)]
    pub(crate) message: Message,
}

pub(crate) fn serialize_millis<S: serde::Serializer>(
    elapsed: &Duration,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_f64((elapsed.as_secs_f64() * 1e6).round() / 1e3)
}

impl Response {
    /// Builds the view of a parsed reply.
    pub(crate) fn new(
        message: Message,
        server: SocketAddr,
        transport: Transport,
        elapsed: Duration,
        size: usize,
    ) -> Response {
        let meta = &message.metadata;
        let header = Header {
            id: meta.id,
            opcode: opcode_name(meta.op_code),
            rcode: rcode_name(meta.response_code).into_owned(),
            flags: Flags {
                qr: meta.message_type == MessageType::Response,
                aa: meta.authoritative,
                tc: meta.truncation,
                rd: meta.recursion_desired,
                ra: meta.recursion_available,
                ad: meta.authentic_data,
                cd: meta.checking_disabled,
            },
        };
        let edns = message.edns.as_ref().map(|edns| EdnsInfo {
            version: edns.version(),
            udp_size: edns.max_payload(),
            dnssec_ok: edns.flags().dnssec_ok,
        });
        let question = message
            .queries
            .iter()
            .map(|q| Question {
                name: presentation_name(&q.name),
                class: class_name(q.query_class),
                rtype: RecordType::from_hickory(q.query_type).text(),
            })
            .collect();
        let view = |records: &[Record]| records.iter().map(rr_view).collect::<Vec<_>>();
        Response {
            server,
            transport,
            tcp_fallback: false,
            elapsed,
            size,
            outcome: outcome_of(&message),
            header,
            edns,
            question,
            answer: view(&message.answers),
            authority: view(&message.authorities),
            additional: view(&message.additionals),
            message,
        }
    }

    /// What kind of failure this reply alone is; `None` for an answer.
    pub fn kind(&self) -> Option<Kind> {
        self.outcome.kind()
    }

    /// The question as `name TYPE`, for messages.
    pub fn question_text(&self) -> String {
        self.question
            .first()
            .map(|q| format!("{} {}", q.name, q.rtype))
            .unwrap_or_default()
    }

    /// This reply's failing rcode (SERVFAIL, REFUSED, ...) as an error naming the server and
    /// the question, the way every caller that cannot use the reply reports it.
    pub(crate) fn rcode_error(&self) -> DnsError {
        DnsError::Rcode {
            server: self.server,
            rcode: self.header.rcode.clone(),
            question: self.question_text(),
        }
    }
}

/// A reply as a `resolve --batch` line shows it: the decoded message and where it came from,
/// without [`Response`]'s presentation-form view of every section. A batch line shows the
/// status and the answer's data only; building that view of the authority and additional
/// sections for each of 10,000 replies, then freeing it, was a fifth of a batch's CPU.
#[derive(Clone, Debug)]
pub struct BatchReply {
    /// The server that answered.
    pub server: SocketAddr,
    /// The transport of the final exchange.
    pub transport: Transport,
    /// Time from sending the query to receiving this reply (including a TCP retry).
    pub elapsed: Duration,
    message: Message,
}

impl BatchReply {
    /// A reply parsed from the datagram that answered a batch query.
    pub(crate) fn new(
        message: Message,
        server: SocketAddr,
        transport: Transport,
        elapsed: Duration,
    ) -> BatchReply {
        BatchReply {
            server,
            transport,
            elapsed,
            message,
        }
    }

    /// What the reply means for the question, as [`Response::outcome`].
    pub fn outcome(&self) -> Outcome {
        outcome_of(&self.message)
    }

    /// The rcode as [`Header::rcode`] shows it.
    pub fn rcode(&self) -> Cow<'static, str> {
        rcode_name(self.message.metadata.response_code)
    }

    /// The answer section as [`Response::answer`] shows it (for `--json`).
    pub fn answer(&self) -> Vec<Rr> {
        self.message.answers.iter().map(rr_view).collect()
    }

    /// Each answer record's type and data in presentation form, the two fields a text line
    /// shows, without the owner, class and type strings of a whole [`Rr`].
    pub fn answer_data(&self) -> impl Iterator<Item = (RecordType, String)> + '_ {
        self.message.answers.iter().map(|record| {
            (
                RecordType::from_hickory(record.record_type()),
                presentation_data(&record.data),
            )
        })
    }
}

impl From<Response> for BatchReply {
    /// The few batch queries that take the ordinary path (TCP, a truncated reply retried over
    /// TCP, another server after a timeout) get a whole [`Response`]; a line shows this part.
    fn from(response: Response) -> BatchReply {
        BatchReply::new(
            response.message,
            response.server,
            response.transport,
            response.elapsed,
        )
    }
}

fn outcome_of(message: &Message) -> Outcome {
    match message.metadata.response_code {
        ResponseCode::NoError if !message.answers.is_empty() => Outcome::Answer,
        ResponseCode::NoError => {
            let has_ns = message
                .authorities
                .iter()
                .any(|r| r.record_type() == HRecordType::NS);
            let has_soa = message
                .authorities
                .iter()
                .any(|r| r.record_type() == HRecordType::SOA);
            if has_ns && !has_soa && !message.metadata.authoritative {
                Outcome::Referral
            } else {
                Outcome::NoData
            }
        }
        ResponseCode::NXDomain => Outcome::NxDomain,
        ResponseCode::ServFail | ResponseCode::Refused => Outcome::Failure,
        _ => Outcome::Error,
    }
}

/// The rcode mnemonic of RFC 6895 §2.3 (what dig prints); borrowed for the named ones, since
/// a batch writes one per query.
pub(crate) fn rcode_name(rcode: ResponseCode) -> Cow<'static, str> {
    let name = match u16::from(rcode) {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        16 => "BADVERS",
        23 => "BADCOOKIE",
        other => return Cow::Owned(format!("RCODE{other}")),
    };
    Cow::Borrowed(name)
}

fn opcode_name(opcode: OpCode) -> String {
    match u8::from(opcode) {
        0 => "QUERY".into(),
        1 => "IQUERY".into(),
        2 => "STATUS".into(),
        4 => "NOTIFY".into(),
        5 => "UPDATE".into(),
        other => format!("OPCODE{other}"),
    }
}

fn class_name(class: DNSClass) -> String {
    match u16::from(class) {
        1 => "IN".into(),
        3 => "CH".into(),
        4 => "HS".into(),
        254 => "NONE".into(),
        255 => "ANY".into(),
        other => format!("CLASS{other}"),
    }
}

fn rr_view(record: &Record) -> Rr {
    Rr {
        name: presentation_name(&record.name),
        ttl: record.ttl,
        class: class_name(record.dns_class),
        rtype: RecordType::from_hickory(record.record_type()).text(),
        data: presentation_data(&record.data),
    }
}

/// An IPv4 address in dotted-quad form, as `Ipv4Addr`'s `Display` writes it but without the
/// formatting machinery (a tenth of a batch's CPU went to formatting A records).
fn ipv4_text(addr: std::net::Ipv4Addr) -> String {
    let mut out = String::with_capacity(15);
    for (i, octet) in addr.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if octet >= 100 {
            out.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            out.push(char::from(b'0' + octet / 10 % 10));
        }
        out.push(char::from(b'0' + octet % 10));
    }
    out
}

/// Record data in zone-file form (RFC 1035 §5.1 and each type's RFC); character-strings are
/// quoted with `\DDD` escapes so TXT control bytes never reach the terminal raw. Types without
/// a dedicated arm use hickory's text form, escaped, or RFC 3597 `\# len hex` when unknown.
pub(crate) fn presentation_data(data: &RData) -> String {
    match data {
        RData::A(a) => ipv4_text(a.0),
        RData::AAAA(aaaa) => aaaa.0.to_string(),
        RData::CNAME(name) => presentation_name(&name.0),
        RData::NS(name) => presentation_name(&name.0),
        RData::PTR(name) => presentation_name(&name.0),
        RData::MX(mx) => format!("{} {}", mx.preference, presentation_name(&mx.exchange)),
        RData::SOA(soa) => format!(
            "{} {} {} {} {} {} {}",
            presentation_name(&soa.mname),
            presentation_name(&soa.rname),
            soa.serial,
            soa.refresh,
            soa.retry,
            soa.expire,
            soa.minimum
        ),
        RData::SRV(srv) => format!(
            "{} {} {} {}",
            srv.priority,
            srv.weight,
            srv.port,
            presentation_name(&srv.target)
        ),
        RData::TXT(txt) => {
            let strings: Vec<String> = txt.txt_data.iter().map(|s| quoted(s)).collect();
            strings.join(" ")
        }
        RData::CAA(caa) => format!(
            "{} {} {}",
            u8::from(caa.issuer_critical) << 7 | caa.reserved_flags,
            crate::output::escape_line(&caa.tag),
            quoted(&caa.value)
        ),
        RData::HINFO(hinfo) => format!("{} {}", quoted(&hinfo.cpu), quoted(&hinfo.os)),
        RData::Unknown { rdata, .. } => generic(&rdata.anything),
        RData::TLSA(_) | RData::SSHFP(_) | RData::SVCB(_) | RData::HTTPS(_) | RData::NAPTR(_) => {
            crate::output::escape_line(&data.to_string()).into_owned()
        }
        other => match other.to_bytes() {
            Ok(bytes) => generic(&bytes),
            Err(_) => crate::output::escape_line(&other.to_string()).into_owned(),
        },
    }
}

/// A `<character-string>` (RFC 1035 §5.1): quoted, `"` and `\` escaped, bytes outside
/// printable ASCII as `\DDD`.
fn quoted(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &byte in bytes {
        push_escaped(&mut out, byte, b"\"\\");
    }
    out.push('"');
    out
}

/// RFC 3597 §5 generic form: `\# <length> <hex>`.
fn generic(bytes: &[u8]) -> String {
    let mut out = format!("\\# {}", bytes.len());
    if !bytes.is_empty() {
        out.push(' ');
        for byte in bytes {
            let _ = write!(out, "{byte:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NULL, SOA, TXT};

    use super::*;
    use crate::dns::name::parse_name;

    fn name(text: &str) -> Name {
        parse_name(text).unwrap()
    }

    fn record(owner: &str, data: RData) -> Record {
        Record::from_rdata(name(owner), 300, data)
    }

    fn reply_to(query: &Message) -> Message {
        let mut reply = Message::response(query.metadata.id, OpCode::Query);
        reply.metadata.recursion_desired = query.metadata.recursion_desired;
        reply.add_queries(query.queries.clone());
        reply
    }

    #[test]
    fn ipv4_text_is_what_display_writes() {
        for octet in 0..=255u8 {
            for addr in [
                Ipv4Addr::new(octet, 0, 9, 10),
                Ipv4Addr::new(99, octet, 100, 255),
                Ipv4Addr::new(1, 2, octet, 3),
                Ipv4Addr::new(250, 199, 0, octet),
            ] {
                assert_eq!(ipv4_text(addr), addr.to_string());
            }
        }
    }

    #[test]
    fn a_template_query_is_the_bytes_hickory_encodes() {
        let long = format!(
            "{}.{}.{}.test",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63)
        );
        let names = [
            ".",
            "n42.bench.test",
            "MiXeD.Case.Example.",
            "münchen.example",
            "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a",
            long.as_str(),
        ];
        let mut out = Vec::new();
        for rtype in [
            RecordType::A,
            RecordType::MX,
            RecordType::TLSA,
            "TYPE65534".parse().unwrap(),
        ] {
            for recursion in [false, true] {
                let template = QueryTemplate::new(rtype, recursion).unwrap();
                for text in names {
                    for id in [0, 1, 0x1234, u16::MAX] {
                        let name = name(text);
                        template.encode(&name, id, &mut out).unwrap();
                        let expected = query_with_id(&name, rtype, recursion, id).to_vec().unwrap();
                        assert_eq!(out, expected, "{text} {rtype} rd={recursion} id={id}");
                        let query = query_with_id(&name, rtype, recursion, id);
                        let reply = reply_to(&query);
                        assert!(answers(&reply, id, &name, rtype));
                        assert!(!answers(&reply, id ^ 1, &name, rtype));
                        assert!(!answers(&query, id, &name, rtype), "a query is no answer");
                    }
                }
            }
        }
    }

    #[test]
    fn a_query_round_trips_through_the_wire_format() {
        let query = build_query(&name("hamburger.test"), RecordType::MX, true).unwrap();
        let bytes = query.to_vec().unwrap();
        let parsed = Message::from_vec(&bytes).unwrap();
        assert_eq!(parsed.metadata.id, query.metadata.id);
        assert!(parsed.metadata.recursion_desired);
        assert_eq!(parsed.queries[0].query_type, HRecordType::MX);
        assert_eq!(
            parsed.edns.as_ref().map(Edns::max_payload),
            Some(EDNS_PAYLOAD)
        );
        let norec = build_query(&name("hamburger.test"), RecordType::MX, false).unwrap();
        assert!(!norec.metadata.recursion_desired);
    }

    #[test]
    fn replies_match_only_with_the_same_id_and_question() {
        let query = build_query(&name("hamburger.test"), RecordType::MX, true).unwrap();
        let good = reply_to(&query);
        assert!(matches(&query, &good));
        let mut wrong_id = good.clone();
        wrong_id.metadata.id = query.metadata.id.wrapping_add(1);
        assert!(!matches(&query, &wrong_id));
        let mut wrong_q = reply_to(&query);
        wrong_q.queries[0].query_type = HRecordType::A;
        assert!(!matches(&query, &wrong_q));
        let mut not_reply = good.clone();
        not_reply.metadata.message_type = MessageType::Query;
        assert!(!matches(&query, &not_reply));
        let mut upper = good;
        upper.queries[0].name = name("HAMBURGER.test");
        assert!(matches(&query, &upper), "names compare case-insensitively");
    }

    #[test]
    fn outcome_distinguishes_answer_nodata_nxdomain_referral_and_failures() {
        let query = build_query(&name("hamburger.test"), RecordType::MX, true).unwrap();
        let mut answer = reply_to(&query);
        answer.add_answer(record(
            "hamburger.test",
            RData::MX(MX::new(10, name("mx1.hamburger.test"))),
        ));
        assert_eq!(outcome_of(&answer), Outcome::Answer);
        let soa = SOA::new(name("ns"), name("h"), 1, 2, 3, 4, 5);
        let mut nodata = reply_to(&query);
        nodata.add_authority(record("hamburger.test", RData::SOA(soa)));
        assert_eq!(outcome_of(&nodata), Outcome::NoData);
        let mut referral = reply_to(&query);
        referral.add_authority(record(
            "test",
            RData::NS(hickory_proto::rr::rdata::NS(name("ns.test"))),
        ));
        assert_eq!(outcome_of(&referral), Outcome::Referral);
        let mut nx = reply_to(&query);
        nx.metadata.response_code = ResponseCode::NXDomain;
        assert_eq!(outcome_of(&nx), Outcome::NxDomain);
        assert_eq!(Outcome::NxDomain.kind(), Some(Kind::NotFound));
        nx.metadata.response_code = ResponseCode::ServFail;
        assert_eq!(outcome_of(&nx).kind(), Some(Kind::Temporary));
        nx.metadata.response_code = ResponseCode::Refused;
        assert_eq!(outcome_of(&nx).kind(), Some(Kind::Temporary));
        nx.metadata.response_code = ResponseCode::FormErr;
        assert_eq!(outcome_of(&nx).kind(), Some(Kind::Protocol));
    }

    #[test]
    fn record_data_is_printed_in_presentation_form() {
        let cases: Vec<(RData, &str)> = vec![
            (RData::A(A(Ipv4Addr::new(127, 25, 0, 1))), "127.25.0.1"),
            (RData::AAAA(AAAA(Ipv6Addr::LOCALHOST)), "::1"),
            (RData::MX(MX::new(0, Name::root())), "0 ."),
            (
                RData::CNAME(CNAME(name("mx1.hamburger.test"))),
                "mx1.hamburger.test.",
            ),
            (
                RData::SOA(SOA::new(
                    name("ns1.test"),
                    name("hostmaster.test"),
                    7,
                    3600,
                    600,
                    86400,
                    60,
                )),
                "ns1.test. hostmaster.test. 7 3600 600 86400 60",
            ),
            (
                RData::TXT(TXT::from_bytes(vec![b"v=spf1 -all", b"say \"hi\"\\"])),
                "\"v=spf1 -all\" \"say \\\"hi\\\"\\\\\"",
            ),
            (
                RData::TXT(TXT::from_bytes(vec![b"bell\x07\x1b[2J\xff"])),
                "\"bell\\007\\027[2J\\255\"",
            ),
        ];
        for (data, want) in cases {
            assert_eq!(presentation_data(&data), want);
        }
        let unknown = RData::Unknown {
            code: HRecordType::Unknown(65534),
            rdata: NULL::with(vec![0xde, 0xad]),
        };
        assert_eq!(presentation_data(&unknown), "\\# 2 dead");
    }

    #[test]
    fn the_view_carries_header_sections_and_rcode_names() {
        let query = build_query(&name("hamburger.test"), RecordType::MX, true).unwrap();
        let mut reply = reply_to(&query);
        reply.metadata.authoritative = true;
        reply.add_answer(record(
            "hamburger.test",
            RData::MX(MX::new(10, name("mx1.hamburger.test"))),
        ));
        let bytes = reply.to_vec().unwrap();
        let parsed = Message::from_vec(&bytes).unwrap();
        let view = Response::new(
            parsed,
            "127.0.0.1:53".parse().unwrap(),
            Transport::Udp,
            Duration::from_millis(3),
            bytes.len(),
        );
        assert_eq!(view.header.rcode, "NOERROR");
        assert_eq!(view.header.opcode, "QUERY");
        assert_eq!(view.header.flags.names(), ["qr", "aa", "rd"]);
        assert_eq!(view.question_text(), "hamburger.test. MX");
        assert_eq!(view.answer[0].data, "10 mx1.hamburger.test.");
        assert_eq!(view.answer[0].ttl, 300);
        assert_eq!(view.answer[0].class, "IN");
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["answer"][0]["type"], "MX");
        assert_eq!(json["elapsed"], 3.0);
        assert_eq!(rcode_name(ResponseCode::from(1, 7)), "BADCOOKIE");
    }

    #[test]
    fn query_ids_come_from_the_os_random_source_and_vary() {
        let ids: std::collections::HashSet<u16> = (0..64).map(|_| query_id().unwrap()).collect();
        // 64 draws from 65,536 values: a repeat-only run would mean no randomness at all.
        assert!(ids.len() > 32, "{ids:?}");
        // The pooled draws too, across several refills of the pool.
        let mut pool = QueryIds::new();
        let ids: std::collections::HashSet<u16> = (0..400).map(|_| pool.draw().unwrap()).collect();
        assert!(ids.len() > 300, "{}", ids.len());
    }
}
