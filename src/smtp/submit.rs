//! Sending a run of messages now, as `send` does: the connector an endpoint describes (its
//! TLS, its credentials read once before any connection), and every message delivered either
//! through the relay or straight to each recipient domain's MX hosts.

use std::{net::ToSocketAddrs, time::Duration};

use anyhow::Context as _;

use super::{
    Credentials,
    deliver::{self, Connector, Job, Report, Target},
    direct,
};
use crate::{
    accounts::{Auth, Endpoint},
    dns::{QueryOptions, Resolver, parse_server},
    exit::{Failure, Kind},
    net::TlsClient,
    output::Transcript,
};

/// Where a run's messages go.
pub enum Way<'a> {
    /// Every message through this server (one connection for all of them).
    Relay {
        /// The relay's name.
        host: &'a str,
        /// Its port.
        port: u16,
    },
    /// Each recipient domain's MX hosts, on `port`, looked up through `dns_server` (else the
    /// system's resolver) with `timeout_secs` (clamped to 1–10 s) per query.
    Direct {
        /// The SMTP port of the MX hosts.
        port: u16,
        /// `--dns-server`, when given.
        dns_server: Option<&'a str>,
        /// The run's timeout in seconds.
        timeout_secs: u64,
    },
}

/// The connector of `endpoint`: its TLS set up and its password read now, before any
/// connection, so a run of many messages asks once and fails before sending anything.
pub fn connector(
    endpoint: &Endpoint,
    ehlo: Option<String>,
    transcript: Transcript,
) -> anyhow::Result<Connector> {
    let tls = TlsClient::new(&endpoint.tls_options)
        .map_err(Failure::from)
        .context("setting up TLS")?;
    Ok(Connector {
        tls_mode: endpoint.tls,
        tls,
        ehlo,
        credentials: credentials(endpoint).context("reading the password")?,
        allow_cleartext_auth: endpoint.allow_cleartext_auth,
        timeout: endpoint.timeout,
        connect_timeout: endpoint.connect_timeout,
        transcript,
        warnings: Vec::new(),
    })
}

/// The credentials to log in with, when the endpoint has a user; the secret is read from its
/// source at this moment (for the queue: at delivery time, never stored).
pub fn credentials(endpoint: &Endpoint) -> anyhow::Result<Option<Credentials>> {
    let Some(user) = endpoint.user.clone() else {
        return Ok(None);
    };
    let mechanism = match endpoint.auth {
        Auth::Sasl(mechanism) => Some(mechanism),
        Auth::Auto | Auth::User | Auth::Apop => None,
    };
    let secret = endpoint.secret()?;
    Ok(Some(Credentials {
        user,
        secret,
        mechanism,
    }))
}

/// Delivers every job the `way` says, one report per recipient of each.
pub fn deliver(
    way: &Way<'_>,
    connector: &mut Connector,
    jobs: &[Job<'_>],
) -> anyhow::Result<Vec<Vec<Report>>> {
    match *way {
        Way::Relay { host, port } => {
            let targets = relay_targets(host, port)?;
            Ok(deliver::deliver(connector, &targets, jobs))
        }
        Way::Direct {
            port,
            dns_server,
            timeout_secs,
        } => {
            let options = QueryOptions {
                timeout: Duration::from_secs(timeout_secs.clamp(1, 10)),
                ..QueryOptions::default()
            };
            let resolver = match dns_server {
                Some(server) => Resolver::with_servers(
                    vec![parse_server(server).map_err(|e| Failure::new(Kind::Usage, e))?],
                    &options,
                ),
                None => Resolver::system(&options)
                    .map_err(Failure::from)
                    .context("reading the system resolver configuration")?,
            };
            let transcript = connector.transcript.clone();
            Ok(direct::deliver(
                &resolver,
                connector,
                port,
                jobs,
                &transcript,
            ))
        }
    }
}

/// The relay's addresses; one that cannot be looked up is a missing host.
pub fn relay_targets(host: &str, port: u16) -> anyhow::Result<Vec<Target>> {
    let targets = (host, port)
        .to_socket_addrs()
        .map_err(|err| Failure::new(Kind::NoHost, format!("cannot resolve {host}: {err}")))
        .with_context(|| format!("connecting to {host}:{port}"))?
        .map(|addr| Target {
            name: host.to_string(),
            addr,
        })
        .collect();
    Ok(targets)
}
