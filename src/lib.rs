//! mailkit: a command-line mail toolkit.
//!
//! The layers, top to bottom:
//! - `cli`: the clap definition (flags and help text) and the conversion of its value types
//!   into mailkit's own, nothing else;
//! - `cmd`: one module per subcommand, turning flags into calls on a client module and printing
//!   the result through `output`;
//! - client modules: `message` (RFC 5322/2045 inspection, the only user of mail-parser),
//!   `dns` (RFC 1035 queries, the only user of hickory), `smtp` (RFC 5321 and extensions),
//!   `pop3` (RFC 1939/2449/2595/5034), `sasl` (PLAIN, LOGIN, XOAUTH2 for every protocol),
//!   `net` (TCP, TLS and the TLS mode), `accounts` and `secret` (credentials), `maildrop`
//!   (local mail stores and the loss-proof fetch pipeline);
//! - `durable`: the one atomic, fsynced file replacement every store uses;
//! - `exit`: the single table from failure kinds to exit codes; `output`: the single writer of
//!   stdout and stderr (results, diagnostics, the `-v` transcript) and the escaping of untrusted
//!   text.

#![warn(missing_docs)]

pub mod accounts;
pub mod cli;
pub mod cmd;
pub mod compose;
pub mod dns;
pub mod durable;
pub mod exit;
pub mod imap;
pub mod maildrop;
pub mod message;
pub mod net;
pub mod output;
pub mod pop3;
pub mod queue;
pub mod sasl;
pub mod secret;
pub mod serve;
pub mod smtp;
#[cfg(test)]
mod testing;

use cli::{Cli, Command};
use exit::Exit;

/// Runs one parsed command line; the binary's `main` only reports what this returns, so tests
/// and the binary share every code path.
pub fn run(cli: &Cli) -> anyhow::Result<Exit> {
    let global = &cli.global;
    match &cli.command {
        Command::Send(args) => cmd::send::run(args, global),
        Command::Fetch(args) => cmd::fetch::run(args, global),
        Command::List(args) => cmd::list::run(args, global),
        Command::Dele(args) => cmd::dele::run(args, global),
        Command::Resolve(args) => cmd::resolve::run(args, global),
        Command::Parse(args) => cmd::parse::run(args, global),
        Command::Serve(args) => cmd::serve::run(args, global),
        Command::Queue(args) => cmd::queue::run(args, global),
        Command::Generate(args) => cmd::generate::run(args),
    }
}
