//! `mailkit send`: flags -> messages and envelopes -> delivery (relay or MX) -> reports.

use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;

mod draft;
mod input;
mod queued;

use input::{Input, MboxStream, Outgoing};

use crate::{
    accounts::{Endpoint, Service},
    cli::{GlobalArgs, send::SendArgs},
    exit::{self, Exit, Kind},
    output::{self, Printer, Transcript, escape_line},
    smtp::{
        RcptOutcome, Status,
        deliver::{Connector, Job, Relay, Report},
        submit::{self, Way},
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
    let mut connector = submit::connector(&endpoint, ehlo, Transcript::stderr(global.verbose))?;
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
    let way = match &endpoint.host {
        Some(host) => Way::Relay {
            host,
            port: endpoint.port,
        },
        None => Way::Direct {
            port: endpoint.port,
            dns_server: args.route.dns_server.as_deref(),
            timeout_secs: args.route.timeout,
        },
    };
    let reports = submit::deliver(&way, &mut connector, &jobs);
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
    let targets =
        submit::relay_targets(endpoint.host.as_deref().unwrap_or_default(), endpoint.port)?;
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
