//! In-process fake servers shared by the CLI-level fault tests, for what real servers will
//! not do on demand (disconnects, malformed replies, stalls, injections). Each asserts when
//! dropped that a client connected to it, unless the test said it expects none, so a test
//! cannot pass against a fake nobody used.
#![allow(dead_code)]

pub mod dns;
pub mod imap;
pub mod pop3;
pub mod smtp;
pub mod smtp_stages;
pub mod terminal;
