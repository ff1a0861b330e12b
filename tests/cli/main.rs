//! The CLI-level tests in one binary: mailkit run as a user runs it, against files and the
//! shared in-process fake servers of `tests/support/` (faults real servers will not produce on
//! demand). One binary links once and runs every module's tests in one pool; the real-server
//! tests (`tests/*_interop.rs`, `tests/resolve_testbed.rs`) stay separate binaries, `#[ignore]`d
//! unless `tests/run.sh` brings the test bed up.
//!
//! Run one module with `cargo test --test cli send_faults::`.

#[path = "../support/mod.rs"]
mod support;

mod generated;
mod hostile_servers;
mod imap_faults;
mod parse;
mod parse_adversarial;
mod parse_corpus;
mod parse_memory;
mod parse_mutations;
mod parse_truncated;
mod pop3_faults;
mod queue_faults;
mod resolve_faults;
mod send_direct;
mod send_faults;
