//! The real [`Transport`]: mailkit's SMTP client, with the route a message was queued with.
//! Credentials are read again here, at delivery time, from the account or the recorded
//! source; the queue never holds a password.

use std::{net::ToSocketAddrs, time::Duration};

use super::{
    entry::{Route, SecretRef},
    runner::Transport,
};
use crate::{
    accounts::{Auth, Endpoint, Flags, SecretSource, Service},
    dns::{QueryOptions, Resolver, parse_server},
    exit::{Failure, Kind},
    net::{Stream, TlsClient},
    output::Transcript,
    smtp::{
        Mechanism, RcptOutcome, Session, SmtpError, Status,
        deliver::{self, Connect, Connector, Job, Report, Target},
        direct, submit,
    },
};

/// Delivers over SMTP, collecting the connector's warnings for the command to print.
#[derive(Debug, Default)]
pub struct SmtpTransport {
    /// The `-v` protocol transcript.
    pub transcript: Transcript,
    /// Warnings met (cleartext fallback, DSN not offered), each once.
    pub warnings: Vec<String>,
}

/// A connector that also tells the runner when a message's content is about to go out.
struct Marking<'a> {
    inner: Connector,
    sending: &'a mut dyn FnMut(&Job<'_>),
}

impl Connect for Marking<'_> {
    type Stream = Stream;

    fn open(&mut self, target: &Target) -> Result<Session<Stream>, SmtpError> {
        self.inner.open(target)
    }

    fn warn(&mut self, warning: String) {
        self.inner.warn(warning);
    }

    fn sending(&mut self, job: &Job<'_>) {
        (self.sending)(job);
    }
}

impl Transport for SmtpTransport {
    fn deliver(
        &mut self,
        route: &Route,
        jobs: &[Job<'_>],
        sending: &mut dyn FnMut(&Job<'_>),
    ) -> Vec<Vec<Report>> {
        let defer_all = |reply: String| {
            let outcome = RcptOutcome::new(Status::Deferred, reply);
            jobs.iter()
                .map(|job| {
                    let report = Report {
                        outcome: outcome.clone(),
                        host: None,
                        port: None,
                    };
                    vec![report; job.envelope.recipients.len()]
                })
                .collect()
        };
        let connector = match connector(route, &self.transcript) {
            Ok(connector) => connector,
            Err(err) => return defer_all(format!("{err:#}")),
        };
        let mut marking = Marking {
            inner: connector,
            sending,
        };
        let reports = match &route.relay {
            Some(relay) => match (relay.host.as_str(), relay.port).to_socket_addrs() {
                Ok(addrs) => {
                    let targets: Vec<Target> = addrs
                        .map(|addr| Target {
                            name: relay.host.clone(),
                            addr,
                        })
                        .collect();
                    deliver::deliver(&mut marking, &targets, jobs)
                }
                // A relay that cannot be looked up now may be found later (a laptop offline,
                // a resolver restarting): deferred, never bounced.
                Err(err) => defer_all(format!("looking up the relay {}: {err}", relay.host)),
            },
            None => match resolver(route) {
                Ok(resolver) => direct::deliver(
                    &resolver,
                    &mut marking,
                    route.mx_port,
                    jobs,
                    &self.transcript,
                ),
                Err(err) => defer_all(format!("{err:#}")),
            },
        };
        for warning in marking.inner.warnings {
            if !self.warnings.contains(&warning) {
                self.warnings.push(warning);
            }
        }
        reports
    }
}

/// The DNS resolver for direct delivery: the recorded server, else the system's.
fn resolver(route: &Route) -> anyhow::Result<Resolver> {
    let options = QueryOptions {
        timeout: Duration::from_secs(route.timeout.clamp(1, 10)),
        ..QueryOptions::default()
    };
    Ok(match &route.dns_server {
        Some(server) => Resolver::with_servers(
            vec![parse_server(server).map_err(|e| Failure::new(Kind::Config, e))?],
            &options,
        ),
        None => Resolver::system(&options).map_err(Failure::from)?,
    })
}

/// A connector for the route: the endpoint resolved again (the account read now, the
/// password read now from its source), as `send` resolves it.
fn connector(route: &Route, transcript: &Transcript) -> anyhow::Result<Connector> {
    let flags = Flags {
        account: route.account.clone(),
        server: route.relay.as_ref().map(|relay| relay.host.clone()),
        port: Some(
            route
                .relay
                .as_ref()
                .map_or(route.mx_port, |relay| relay.port),
        ),
        tls: Some(route.tls),
        user: route.user.clone(),
        auth: route
            .auth
            .as_deref()
            .and_then(Mechanism::from_name)
            .map(Auth::Sasl),
        secret: route.secret.clone().map(|secret| match secret {
            SecretRef::Env(var) => SecretSource::Env(var),
            SecretRef::File(path) => SecretSource::File(path),
            SecretRef::Command(command) => SecretSource::Command(command),
        }),
        oauth_token_command: None,
        ca_file: route.ca_file.clone(),
        insecure_skip_tls_verify: route.insecure_skip_tls_verify,
        allow_cleartext_auth: route.allow_cleartext_auth,
        timeout: route.timeout,
        // Not kept in the queue entry: Postfix's smtp_connect_timeout, send's default.
        connect_timeout: 30,
    };
    let endpoint = Endpoint::resolve(Service::Smtp, &flags)?;
    let credentials = submit::credentials(&endpoint)?;
    Ok(Connector {
        tls_mode: endpoint.tls,
        tls: TlsClient::new(&endpoint.tls_options).map_err(Failure::from)?,
        ehlo: route.ehlo.clone(),
        credentials,
        allow_cleartext_auth: endpoint.allow_cleartext_auth,
        timeout: endpoint.timeout,
        connect_timeout: endpoint.connect_timeout,
        transcript: transcript.clone(),
        warnings: Vec::new(),
    })
}
