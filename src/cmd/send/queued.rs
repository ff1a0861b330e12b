//! `send --queue` and `send --queue-on-failure`: the message goes into the outgoing queue
//! (durably, before exit 0) with the route it would have taken, instead of or after an
//! attempt to send it now.

use anyhow::Context as _;

use super::input::Outgoing;
use crate::{
    accounts::{Account, SecretSource, TlsMode},
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

/// The route the flags and account describe, to be taken again at delivery time; refuses
/// one that would need a password prompt, since no one is there to answer it later.
fn route(
    args: &SendArgs,
    account: Option<&Account>,
    ehlo: Option<String>,
) -> anyhow::Result<Route> {
    let r = &args.route;
    let relay = match &r.server {
        Some(server) => Some(crate::net::split_server(server)?),
        None => account
            .and_then(|a| a.host.clone())
            .map(|host| (host, None)),
    };
    let (relay, tls) = match relay {
        Some((host, server_port)) => {
            let port = r
                .port
                .or(server_port)
                .or_else(|| account.and_then(|a| a.port));
            let tls =
                r.tls
                    .or_else(|| account.and_then(|a| a.tls))
                    .unwrap_or(if port == Some(465) {
                        TlsMode::Tls
                    } else {
                        TlsMode::Starttls
                    });
            let port = port.unwrap_or(if tls == TlsMode::Tls { 465 } else { 587 });
            (Some(Relay { host, port }), tls)
        }
        None => (
            None,
            r.tls
                .or_else(|| account.and_then(|a| a.tls))
                .unwrap_or(TlsMode::Opportunistic),
        ),
    };
    let secret = r.password.source().and_then(|source| match source {
        SecretSource::Env(var) => Some(SecretRef::Env(var)),
        SecretSource::File(path) => Some(SecretRef::File(path)),
        SecretSource::Command(command) => Some(SecretRef::Command(command)),
        SecretSource::Literal(_) | SecretSource::Prompt => None,
    });
    let user = r
        .user
        .clone()
        .or_else(|| account.and_then(|a| a.user.clone()));
    if user.is_some() && secret.is_none() {
        let prompt = match account {
            Some(a) if r.auth == Some(crate::smtp::Mechanism::XOAuth2) => {
                a.oauth_token_source().is_none()
            }
            Some(a) => matches!(a.password_source()?, None | Some(SecretSource::Prompt)),
            None => true,
        };
        if prompt {
            crate::bail!(
                Kind::Usage,
                "a queued message is sent later, with no one to type a password: give --password-file, --password-command or --password-env, or an account with a password source"
            );
        }
    }
    Ok(Route {
        relay,
        mx_port: r.port.unwrap_or(25),
        tls,
        account: r.account.clone(),
        user: r.user.clone(),
        secret,
        auth: r.auth.map(|m| m.name().to_string()),
        ca_file: r.trust.ca_file.clone(),
        insecure_skip_tls_verify: r.trust.insecure_skip_tls_verify,
        allow_cleartext_auth: r.trust.allow_cleartext_auth,
        ehlo,
        dns_server: r.dns_server.clone(),
        timeout: r.timeout,
    })
}

/// `send --queue`: every message into the queue, each id printed.
pub(super) fn enqueue_all(
    args: &SendArgs,
    account: Option<&Account>,
    ehlo: Option<String>,
    outgoing: &[Outgoing],
    global: &GlobalArgs,
) -> anyhow::Result<Exit> {
    let route = route(args, account, ehlo)?;
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
    account: Option<&Account>,
    ehlo: Option<String>,
    outgoing: &[Outgoing],
    reports: &mut [Vec<Report>],
) -> anyhow::Result<()> {
    let waiting = |r: &Report| matches!(r.outcome.status, Status::Deferred | Status::Unknown);
    if !reports.iter().flatten().any(waiting) {
        return Ok(());
    }
    let route = route(args, account, ehlo)?;
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
                report.outcome.exit = Exit::Success;
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
