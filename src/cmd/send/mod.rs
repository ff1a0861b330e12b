//! `mailkit send`: flags -> messages and envelopes -> delivery (relay or MX) -> reports.

use std::{io::Read as _, net::ToSocketAddrs, path::Path, time::Duration};

use anyhow::Context as _;
use serde::Serialize;

mod input;
mod queued;

use input::{Input, MboxStream, Outgoing};

use crate::{
    accounts::{Auth, Endpoint, Service},
    cli::{
        GlobalArgs,
        send::{Ret, SendArgs},
    },
    compose::{self, Attachment, Draft, Mailbox},
    dns::{QueryOptions, Resolver, parse_server},
    exit::{self, Exit, Failure, Kind},
    message::{
        HeaderSummary,
        source::{self, Messages},
    },
    net::TlsClient,
    output::{self, Printer, Transcript, escape_line},
    smtp::{
        Credentials, Dsn, Envelope, Payload, RcptOutcome, Status,
        deliver::{self, Connector, Job, Relay, Report, Target},
        direct,
    },
};

/// One recipient's line in `--json`.
#[derive(Serialize)]
struct RecipientJson<'a> {
    address: &'a str,
    status: Status,
    reply: &'a str,
    host: Option<&'a str>,
}

/// One message's document in `--json` (JSON Lines, one per message).
#[derive(Serialize)]
struct MessageJson<'a> {
    message_id: Option<&'a str>,
    status: &'static str,
    recipients: Vec<RecipientJson<'a>>,
}

/// Runs `mailkit send`.
pub fn run(args: &SendArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    let endpoint = Endpoint::resolve(Service::Smtp, &args.route.endpoint_flags())?;
    let ehlo = ehlo_name(args)?;
    let input = input::messages(args, endpoint.from.as_deref()).context("preparing the message")?;
    if args.queueing.queue {
        let outgoing = input.into_all().context("preparing the message")?;
        return queued::enqueue_all(args, &endpoint, ehlo, &outgoing, global);
    }
    let tls = TlsClient::new(&endpoint.tls_options)
        .map_err(Failure::from)
        .context("setting up TLS")?;
    let mut connector = Connector {
        tls_mode: endpoint.tls,
        tls,
        ehlo,
        credentials: credentials(&endpoint)?,
        allow_cleartext_auth: endpoint.allow_cleartext_auth,
        timeout: endpoint.timeout,
        connect_timeout: endpoint.connect_timeout,
        transcript: Transcript::stderr(global.verbose),
        warnings: Vec::new(),
    };
    let outgoing = match input {
        Input::Ready(outgoing) => outgoing,
        Input::Stream(stream) if endpoint.host.is_some() => {
            return relay_stream(args, &endpoint, connector, stream, global);
        }
        // Direct delivery groups recipients by domain across every message: it needs them all.
        input => input.into_all().context("preparing the message")?,
    };
    let spinner = spinner(Some(outgoing.len()), global);
    let jobs = jobs(&outgoing);
    let reports = match &endpoint.host {
        Some(host) => relay_delivery(host, endpoint.port, &mut connector, &jobs),
        None => direct_delivery(args, endpoint.port, &mut connector, &jobs),
    };
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    let mut reports = reports?;
    for warning in &connector.warnings {
        output::warning(warning);
    }
    // A queue that cannot be written leaves the outcomes as they were: reported, and 75.
    if args.queueing.queue_on_failure
        && let Err(err) = queued::enqueue_rest(
            args,
            &endpoint,
            connector.ehlo.clone(),
            &outgoing,
            &mut reports,
        )
    {
        output::error(&format!("{err:#}"));
    }
    let mut printer = Printer::stdout(global.json);
    let worst = report(
        &mut printer,
        &outgoing,
        &reports,
        outgoing.len() > 1,
        Exit::Success,
    )?;
    printer.flush()?;
    Ok(worst)
}

/// A spinner for long runs at a terminal (`count` messages, or an mbox being streamed); never
/// with -v, whose transcript it would garble.
fn spinner(count: Option<usize>, global: &GlobalArgs) -> Option<indicatif::ProgressBar> {
    let long = count.is_none_or(|n| n > 1);
    (long && !global.verbose && crate::output::stderr_is_terminal()).then(|| {
        let spinner = indicatif::ProgressBar::new_spinner().with_message(match count {
            Some(n) => format!("sending {n} messages"),
            None => "sending messages".to_owned(),
        });
        spinner.enable_steady_tick(Duration::from_millis(120));
        spinner
    })
}

/// `--mbox` through a relay: each batch is sent as soon as it is read, over the connection the
/// first batch opened, and reported before the next one is read, so that the first message
/// goes out before the last is read and memory stays flat whatever the mailbox's size.
fn relay_stream(
    args: &SendArgs,
    endpoint: &Endpoint,
    mut connector: Connector,
    mut stream: Box<MboxStream>,
    global: &GlobalArgs,
) -> anyhow::Result<Exit> {
    let targets = relay_targets(endpoint.host.as_deref().unwrap_or_default(), endpoint.port)?;
    let spinner = spinner(None, global);
    let mut printer = Printer::stdout(global.json);
    let mut worst = Exit::Success;
    let mut relay = Relay::new(&mut connector, &targets);
    let mut run = || -> anyhow::Result<()> {
        loop {
            let batch = stream.next_batch().context("preparing the message")?;
            if batch.is_empty() {
                return Ok(());
            }
            let jobs = jobs(&batch);
            let mut reports = relay.send(&jobs);
            let several = stream.several();
            // A queue that cannot be written leaves the outcomes as they were: reported, 75.
            if args.queueing.queue_on_failure {
                let ehlo = relay.connector().ehlo.clone();
                if let Err(err) = queued::enqueue_rest(args, endpoint, ehlo, &batch, &mut reports) {
                    output::error(&format!("{err:#}"));
                }
            }
            let mut show = || -> anyhow::Result<()> {
                for warning in relay.connector().warnings.drain(..) {
                    output::warning(&warning);
                }
                worst = report(&mut printer, &batch, &reports, several, worst)?;
                Ok(())
            };
            match &spinner {
                Some(spinner) => spinner.suspend(show)?,
                None => show()?,
            }
        }
    };
    let result = run();
    relay.finish();
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    for warning in &connector.warnings {
        output::warning(warning);
    }
    printer.flush()?;
    result.map(|()| worst)
}

fn jobs(outgoing: &[Outgoing]) -> Vec<Job<'_>> {
    outgoing
        .iter()
        .map(|o| Job {
            envelope: &o.envelope,
            payload: &o.payload,
        })
        .collect()
}

/// The EHLO name: the one given (checked so it cannot inject a command), else this host's
/// name when it is fully qualified; `None` lets each connection use its own address literal,
/// as RFC 5321 §4.1.4 asks of hosts without a proper name.
fn ehlo_name(args: &SendArgs) -> anyhow::Result<Option<String>> {
    let Some(name) = &args.route.ehlo else {
        return Ok(gethostname::gethostname()
            .into_string()
            .ok()
            .filter(|n| is_hostname(n) && n.contains('.')));
    };
    if name.is_empty() || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        crate::bail!(
            Kind::Usage,
            "invalid EHLO name {:?}: it must be one word without control characters",
            escape_line(name)
        );
    }
    Ok(Some(name.clone()))
}

fn is_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Relay mode: every message through one server (one connection for all of them).
fn relay_delivery(
    host: &str,
    port: u16,
    connector: &mut Connector,
    jobs: &[Job<'_>],
) -> anyhow::Result<Vec<Vec<Report>>> {
    let targets = relay_targets(host, port)?;
    Ok(deliver::deliver(connector, &targets, jobs))
}

/// The relay's addresses.
fn relay_targets(host: &str, port: u16) -> anyhow::Result<Vec<Target>> {
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

/// The credentials to log in with, when there is a user; the secret is read now, before any
/// connection, so a run of many messages asks once.
fn credentials(endpoint: &Endpoint) -> anyhow::Result<Option<Credentials>> {
    let Some(user) = endpoint.user.clone() else {
        return Ok(None);
    };
    let mechanism = match endpoint.auth {
        Auth::Sasl(mechanism) => Some(mechanism),
        Auth::Auto | Auth::User | Auth::Apop => None,
    };
    let secret = endpoint.secret().context("reading the password")?;
    Ok(Some(Credentials {
        user,
        secret,
        mechanism,
    }))
}

/// Direct mode: recipients grouped by domain (one connection per domain for every message),
/// each domain's MX hosts tried in order, each host's addresses in turn.
fn direct_delivery(
    args: &SendArgs,
    port: u16,
    connector: &mut Connector,
    jobs: &[Job<'_>],
) -> anyhow::Result<Vec<Vec<Report>>> {
    let options = QueryOptions {
        timeout: Duration::from_secs(args.route.timeout.clamp(1, 10)),
        ..QueryOptions::default()
    };
    let resolver = match &args.route.dns_server {
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

fn message_status(reports: &[Report]) -> &'static str {
    let accepted = reports
        .iter()
        .filter(|r| r.outcome.status == Status::Accepted)
        .count();
    if accepted == reports.len() {
        return "accepted";
    }
    if accepted > 0 {
        return "partial";
    }
    let worst = reports.iter().map(|r| r.outcome.status).max();
    match worst {
        Some(Status::Unknown) => "unknown",
        Some(Status::Deferred) => "deferred",
        _ => "rejected",
    }
}

/// Prints one stderr line per failed recipient and the `--json` documents of `outgoing`, and
/// returns the worst of `worst` and their exits; `several` when the run has more than one
/// message (failures then name their message).
fn report(
    printer: &mut Printer,
    outgoing: &[Outgoing],
    reports: &[Vec<Report>],
    several: bool,
    mut worst: Exit,
) -> anyhow::Result<Exit> {
    for (message, reports) in outgoing.iter().zip(reports) {
        for (address, report) in message.envelope.recipients.iter().zip(reports) {
            let RcptOutcome {
                status,
                reply,
                kind,
            } = &report.outcome;
            worst = exit::worst([worst, kind.map_or(Exit::Success, Kind::exit)]);
            // Accepted, or kept in the queue for a later attempt by --queue-on-failure.
            if kind.is_none() {
                continue;
            }
            let via = report
                .server()
                .map(|h| format!(" via {h}"))
                .unwrap_or_default();
            let id = if several {
                message
                    .message_id
                    .as_deref()
                    .map(|id| format!(" (message <{id}>)"))
                    .unwrap_or_default()
            } else {
                String::new()
            };
            output::error(&format!(
                "delivering to {address}{via}{id}: {status}: {reply}"
            ));
        }
        if printer.is_json() {
            printer.json(&MessageJson {
                message_id: message.message_id.as_deref(),
                status: message_status(reports),
                recipients: message
                    .envelope
                    .recipients
                    .iter()
                    .zip(reports)
                    .map(|(address, r)| RecipientJson {
                        address,
                        status: r.outcome.status,
                        reply: &r.outcome.reply,
                        host: r.host.as_deref(),
                    })
                    .collect(),
            })?;
        }
    }
    Ok(worst)
}
