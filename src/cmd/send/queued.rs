//! `send --queue` and `send --queue-on-failure`: the message goes into the outgoing queue
//! (durably, before exit 0) with the route it would have taken, instead of or after an
//! attempt to send it now.

use anyhow::Context as _;

use super::input::Outgoing;
use crate::{
    accounts::{Auth, Endpoint, SecretSource},
    cli::{GlobalArgs, send::SendArgs},
    exit::{Exit, Failure, Kind},
    output::{self, Printer},
    queue::{
        RcptStatus, Route, State,
        entry::{Relay, SecretRef},
        schedule::{self, Policy},
    },
    smtp::{Status, deliver::Report},
};

/// The route of the resolved endpoint, to be resolved again at delivery time: the account's
/// name rather than what it says, the password's source as given by flag, never a secret.
/// A route that would need a password prompt is refused: no one is there to answer it later.
fn route(args: &SendArgs, endpoint: &Endpoint, ehlo: Option<String>) -> anyhow::Result<Route> {
    if endpoint.user.is_some() && matches!(endpoint.secret, None | Some(SecretSource::Prompt)) {
        crate::bail!(
            Kind::Usage,
            "a queued message is sent later, with no one to type a password: give --password-file, --password-command or --password-env, or an account with a password source"
        );
    }
    let secret = args
        .route
        .password
        .source()
        .and_then(|source| match source {
            SecretSource::Env(var) => Some(SecretRef::Env(var)),
            SecretSource::File(path) => Some(SecretRef::File(path)),
            SecretSource::Command(command) => Some(SecretRef::Command(command)),
            SecretSource::Literal(_) | SecretSource::Prompt => None,
        });
    let r = &args.route;
    Ok(Route {
        relay: endpoint.host.clone().map(|host| Relay {
            host,
            port: endpoint.port,
        }),
        mx_port: endpoint.port,
        tls: endpoint.tls,
        account: endpoint.account.clone(),
        user: r.user.clone(),
        secret,
        auth: match endpoint.auth {
            Auth::Sasl(mechanism) => Some(mechanism.name().to_string()),
            Auth::Auto | Auth::User | Auth::Apop => None,
        },
        ca_file: r.trust.ca_file.clone(),
        insecure_skip_tls_verify: endpoint.tls_options.insecure_skip_verify,
        allow_cleartext_auth: endpoint.allow_cleartext_auth,
        ehlo,
        dns_server: r.dns_server.clone(),
        timeout: endpoint.timeout.as_secs(),
    })
}

/// `send --queue`: every message into the queue, each id printed.
pub(super) fn enqueue_all(
    args: &SendArgs,
    endpoint: &Endpoint,
    ehlo: Option<String>,
    outgoing: &[Outgoing],
    global: &GlobalArgs,
) -> anyhow::Result<Exit> {
    let route = route(args, endpoint, ehlo)?;
    let queue = crate::cmd::queue::open(args.queueing.queue_dir.as_deref())?;
    let mut printer = Printer::stdout(global.json);
    let now = schedule::now();
    for message in outgoing {
        let state = State::new(
            &message.envelope,
            message.message_id.clone(),
            route.clone(),
            now,
        );
        let id = queue
            .enqueue(&message.payload.message(), &state)
            .map_err(Failure::from)
            .context("queueing the message")?;
        print_id(&mut printer, &id, message)?;
    }
    printer.flush()?;
    Ok(Exit::Success)
}

/// `send --queue-on-failure`, after the attempt: each message with deferred or uncertain
/// recipients is queued with the recipients' outcomes so far (accepted ones are never sent
/// again), and those outcomes are marked as handled so the run does not fail for them.
pub(super) fn enqueue_rest(
    args: &SendArgs,
    endpoint: &Endpoint,
    ehlo: Option<String>,
    outgoing: &[Outgoing],
    reports: &mut [Vec<Report>],
) -> anyhow::Result<()> {
    let waiting = |r: &Report| matches!(r.outcome.status, Status::Deferred | Status::Unknown);
    if !reports.iter().flatten().any(waiting) {
        return Ok(());
    }
    let route = route(args, endpoint, ehlo)?;
    let queue = crate::cmd::queue::open(args.queueing.queue_dir.as_deref())?;
    let now = schedule::now();
    for (message, reports) in outgoing.iter().zip(reports.iter_mut()) {
        if !reports.iter().any(waiting) {
            continue;
        }
        let mut state = State::new(
            &message.envelope,
            message.message_id.clone(),
            route.clone(),
            now,
        );
        for (recipient, report) in state.recipients.iter_mut().zip(reports.iter()) {
            recipient.status = match report.outcome.status {
                Status::Accepted => RcptStatus::Accepted,
                Status::Rejected => RcptStatus::Rejected,
                Status::Deferred => RcptStatus::Pending,
                Status::Unknown => RcptStatus::Uncertain,
            };
            recipient.reply = Some(report.outcome.reply.clone());
            recipient.host = report.host.clone();
        }
        state.attempts = 1;
        state.last_attempt = Some(now);
        state.next_attempt = now + Policy::default().backoff(1).as_secs();
        let id = queue
            .enqueue(&message.payload.message(), &state)
            .map_err(Failure::from)
            .context("queueing the message after a failed attempt")?;
        let mut held = Vec::new();
        for (address, report) in message.envelope.recipients.iter().zip(reports.iter_mut()) {
            if waiting(report) {
                held.push(format!("<{address}> ({})", report.outcome.reply));
                report.outcome.kind = None;
            }
        }
        output::note(&format!(
            "queued as {id} for {}; `mailkit queue run` retries it",
            held.join(", ")
        ));
    }
    Ok(())
}

fn print_id(printer: &mut Printer, id: &str, message: &Outgoing) -> anyhow::Result<()> {
    if printer.is_json() {
        printer.json(&serde_json::json!({
            "queue_id": id,
            "message_id": message.message_id,
            "status": "queued",
        }))?;
    } else {
        printer.line(id)?;
    }
    Ok(())
}
