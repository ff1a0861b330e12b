//! One module per subcommand: each turns its flags into calls on a client module and prints
//! the result. No protocol bytes are produced here.

pub mod dele;
pub mod fetch;
pub mod generate;
pub mod imap_common;
pub mod imap_dele;
pub mod imap_fetch;
pub mod imap_list;
pub mod list;
pub mod parse;
mod pick;
pub mod queue;
pub mod resolve;
mod rows;
pub mod send;
pub mod serve;
