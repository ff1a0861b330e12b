//! DNS (RFC 1035 and the record-type RFCs): the only module that knows hickory.
//!
//! hickory-proto builds and parses messages; mailkit sends them itself over std sockets
//! (`transport`), so there is no async runtime in the tree. hickory-resolver is used only to
//! read `/etc/resolv.conf`. Everything public here is mailkit's own type: a [`Response`] with
//! record data in presentation form, a [`MailRoute`] for senders, a typed [`DnsError`].
//! NXDOMAIN and NODATA are values ([`Outcome`]), not errors.

mod error;
mod message;
mod name;
mod resolver;
mod route;
mod transport;

pub use error::DnsError;
pub use message::{EdnsInfo, Flags, Header, Outcome, Question, Response, Rr, Transport};
pub use name::{RecordType, reverse_name};
pub use resolver::{DNS_PORT, QueryOptions, Resolver};
pub use route::{Finding, MailHost, MailRoute};
