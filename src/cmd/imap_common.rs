//! What the IMAP side of `fetch`, `list` and `dele` shares: which protocol the flags and the
//! account mean and the connection to a logged-in IMAP session.

use anyhow::Context;

use crate::{
    accounts::{self, Account, Endpoint, Protocol, Service},
    cli::{GlobalArgs, pop3::ConnectionArgs},
    imap::{Session, connect},
    net::Stream,
    output::Transcript,
};

/// The protocol the flags and account mean: `--protocol`, else the account's `protocol`,
/// else the port (143/993 IMAP, anything else POP3).
pub fn protocol(args: &ConnectionArgs) -> anyhow::Result<Protocol> {
    if let Some(protocol) = args.protocol {
        return Ok(protocol.into());
    }
    let account = match &args.account {
        Some(name) => accounts::load_named(name).context("reading the account")?,
        None => Account::default(),
    };
    if let Some(protocol) = account.protocol {
        return Ok(protocol);
    }
    let port = match &args.server {
        Some(server) => crate::net::split_server(server)?.1,
        None => None,
    };
    Ok(Protocol::of_port(port.or(account.port)))
}

/// The IMAP endpoint of the flags and account, resolved by the one rule every command uses.
pub fn endpoint(args: &ConnectionArgs) -> anyhow::Result<Endpoint> {
    Endpoint::resolve(Service::Imap, &args.endpoint_flags())
}

/// Connects and logs in to the endpoint, with the `-v` transcript when asked for.
pub fn open(endpoint: &Endpoint, global: &GlobalArgs) -> anyhow::Result<Session<Stream>> {
    connect::login(endpoint, Transcript::stderr(global.verbose))
}
