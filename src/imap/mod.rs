//! IMAP client (RFC 3501; IDLE RFC 2177, UIDPLUS RFC 4315, MOVE RFC 6851, LITERAL+ RFC 7888,
//! STARTTLS RFC 2595/3501): the session over any `Read + Write` stream ([`session`]), its
//! errors ([`error`]), connecting and logging in over the real network ([`connect`]), and
//! staying on a folder for arrivals ([`watch`]); folder names are Unicode outside the session
//! and modified UTF-7 (RFC 3501 §5.1.3) on the wire ([`mutf7`]).
//! The only module that knows imap-codec; the rest of mailkit sees the types below.

pub mod access;
pub mod connect;
pub mod error;
mod mutf7;
pub mod session;
pub mod watch;

pub use error::ImapError;
pub use session::{
    BodySink, Fetched, Folder, FolderStatus, Login, MessageInfo, Selected, Session, SystemFlag,
    Woken,
};
