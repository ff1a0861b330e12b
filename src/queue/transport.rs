//! The real [`Transport`]: mailkit's SMTP client, with the route a message was queued with.
//! Credentials are read again here, at delivery time, from the account or the recorded
//! source; the queue never holds a password.

use std::{net::ToSocketAddrs, time::Duration};

use super::{
    entry::{Route, SecretRef},
    runner::Transport,
};
use crate::{
    accounts::{self, SecretSource},
    dns::{QueryOptions, Resolver, parse_server},
    exit::{Exit, Failure},
    net::{Stream, TlsClient, TlsOptions},
    output::Transcript,
    smtp::{
        Credentials, Mechanism, RcptOutcome, Session, SmtpError, Status,
        deliver::{self, Connect, Connector, Job, Report, Target},
        direct,
    },
};

/// Delivers over SMTP, collecting the connector's warnings for the command to print.
#[derive(Debug, Default)]
pub struct SmtpTransport {
    /// Show the protocol transcript on stderr.
    pub verbose: bool,
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
                    };
                    vec![report; job.envelope.recipients.len()]
                })
                .collect()
        };
        let connector = match connector(route, self.verbose) {
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
                    &Transcript::stderr(self.verbose),
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
            vec![parse_server(server).map_err(|e| Failure::new(Exit::Config, e))?],
            &options,
        ),
        None => Resolver::system(&options).map_err(Failure::from)?,
    })
}

/// A connector for the route, with credentials read now.
fn connector(route: &Route, verbose: bool) -> anyhow::Result<Connector> {
    let account = match &route.account {
        Some(name) => Some(accounts::load_named(name)?),
        None => None,
    };
    let tls = TlsClient::new(&TlsOptions {
        ca_file: route
            .ca_file
            .clone()
            .or_else(|| account.as_ref().and_then(|a| a.ca_file.clone())),
        insecure_skip_verify: route.insecure_skip_tls_verify,
    })
    .map_err(Failure::from)?;
    let mechanism = route
        .auth
        .as_deref()
        .and_then(|name| <Mechanism as clap::ValueEnum>::from_str(name, true).ok());
    let user = route
        .user
        .clone()
        .or_else(|| account.as_ref().and_then(|a| a.user.clone()));
    let credentials = match user {
        None => None,
        Some(user) => {
            let source = match (&route.secret, &account) {
                (Some(SecretRef::Env(var)), _) => SecretSource::Env(var.clone()),
                (Some(SecretRef::File(path)), _) => SecretSource::File(path.clone()),
                (Some(SecretRef::Command(command)), _) => SecretSource::Command(command.clone()),
                (None, Some(account)) if mechanism == Some(Mechanism::XOAuth2) => {
                    account.oauth_token_source().unwrap_or(SecretSource::Prompt)
                }
                (None, Some(account)) => account.password_source()?.unwrap_or(SecretSource::Prompt),
                (None, None) => SecretSource::Prompt,
            };
            let secret = accounts::fetch_secret(&source, &format!("password for {user}"))?;
            Some(Credentials {
                user,
                secret,
                mechanism,
            })
        }
    };
    Ok(Connector {
        tls_mode: route.tls,
        tls,
        ehlo: route.ehlo.clone(),
        credentials,
        allow_cleartext_auth: route.allow_cleartext_auth,
        timeout: Duration::from_secs(route.timeout.max(1)),
        verbose,
        warnings: Vec::new(),
    })
}
