//! DNS (RFC 1035 and the record-type RFCs): the only module that knows hickory.
//!
//! hickory-proto builds and parses messages; mailkit sends them itself over std sockets
//! (`transport`, `batch`), so there is no async runtime in the tree. hickory-resolver is used
//! only to read `/etc/resolv.conf`. Everything public here is mailkit's own type: a
//! [`Response`] with record data in presentation form, a [`MailRoute`] for senders, a
//! [`MailCheck`] report, a typed [`DnsError`]. NXDOMAIN and NODATA are values ([`Outcome`]),
//! not errors.

mod batch;
mod check;
mod error;
mod message;
mod mmsg;
mod name;
mod resolver;
mod route;
mod trace;
mod transport;

pub use batch::BatchQuery;
pub use check::{DomainFinding, MailCheck, NameServerCheck};
pub use error::DnsError;
pub use message::{
    BatchReply, EdnsInfo, Flags, Header, Outcome, Question, Response, Rr, Transport,
};
pub use name::{RecordType, reverse_name};
pub use resolver::{DNS_PORT, QueryOptions, Resolver, parse_server};
pub use route::{Finding, MailHost, MailRoute};
pub use trace::{HintsError, RootHints, TraceEvent, trace};
