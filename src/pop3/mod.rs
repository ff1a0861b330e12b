//! POP3 client (RFC 1939, 2449, 2595, 5034): reply parsing and the streaming dot-unstuffing
//! decoder ([`codec`]), the session over any `Read + Write` stream ([`session`]), its errors
//! ([`error`]), and connecting and logging in over the real network ([`connect`]).

pub mod access;
pub mod codec;
pub mod connect;
pub mod error;
pub mod session;

pub use error::Pop3Error;
pub use session::{Capabilities, HEADER_CAP, Mechanism, Session};
