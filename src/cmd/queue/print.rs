//! How `mailkit queue` prints entries and run events: text lines and `--json` documents.

use serde::Serialize;

use crate::{
    output::{self, Printer, escape_line},
    queue::{self, RcptStatus, State, runner::Event, schedule},
};

/// One recipient in `--json`.
#[derive(Serialize)]
struct RecipientJson<'a> {
    address: &'a str,
    status: RcptStatus,
    reply: Option<&'a str>,
    host: Option<&'a str>,
}

/// One message in `queue list --json` and `queue show --json`.
#[derive(Serialize)]
pub(super) struct EntryJson<'a> {
    id: &'a str,
    state: queue::MessageState,
    created: u64,
    age: u64,
    sender: &'a str,
    message_id: Option<&'a str>,
    route: String,
    attempts: u32,
    last_attempt: Option<u64>,
    next_attempt: Option<u64>,
    failed: Option<&'a str>,
    pending: Vec<&'a str>,
    recipients: Vec<RecipientJson<'a>>,
}

pub(super) fn entry_json<'a>(id: &'a str, state: &'a State, now: u64) -> EntryJson<'a> {
    let pending = state.pending();
    EntryJson {
        id,
        state: state.state(),
        created: state.created,
        age: now.saturating_sub(state.created),
        sender: &state.sender,
        message_id: state.message_id.as_deref(),
        route: route_text(state),
        attempts: state.attempts,
        last_attempt: state.last_attempt,
        next_attempt: (!pending.is_empty() && !state.held && state.failed.is_none())
            .then_some(state.next_attempt),
        failed: state.failed.as_deref(),
        pending: pending
            .iter()
            .map(|&i| state.recipients[i].address.as_str())
            .collect(),
        recipients: state
            .recipients
            .iter()
            .map(|r| RecipientJson {
                address: &r.address,
                status: r.status,
                reply: r.reply.as_deref(),
                host: r.host.as_deref(),
            })
            .collect(),
    }
}

fn route_text(state: &State) -> String {
    let route = &state.route;
    let via = match &route.relay {
        Some(relay) => format!("relay {}:{}", relay.host, relay.port),
        None => format!("MX of each domain, port {}", route.mx_port),
    };
    match &route.account {
        Some(account) => format!("{via} (account {account})"),
        None => via,
    }
}

/// `2h5m`-style text for a span of seconds.
fn span(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86400 => format!("{}h{}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d{}h", secs / 86400, secs % 86400 / 3600),
    }
}

fn next_text(state: &State, now: u64) -> String {
    if state.held {
        return "held".into();
    }
    if state.failed.is_some() || state.pending().is_empty() {
        return "none".into();
    }
    if schedule::due(state.last_attempt, state.next_attempt, now) {
        return "due now".into();
    }
    format!("in {}", span(state.next_attempt - now))
}

pub(super) fn print_entry(
    printer: &mut Printer,
    id: &str,
    state: &State,
    now: u64,
) -> anyhow::Result<()> {
    printer.line(&format!(
        "{id}  {}  {}  age {}  attempts {}  next {}  from <{}>",
        state.state(),
        route_text(state),
        span(now.saturating_sub(state.created)),
        state.attempts,
        next_text(state, now),
        escape_line(&state.sender)
    ))?;
    for r in &state.recipients {
        let status = match r.status {
            RcptStatus::Pending => "pending",
            RcptStatus::Accepted => "accepted",
            RcptStatus::Rejected => "rejected",
            RcptStatus::Uncertain => "uncertain",
        };
        let reply = r
            .reply
            .as_deref()
            .map(|t| format!(": {t}"))
            .unwrap_or_default();
        let host = r
            .host
            .as_deref()
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        printer.line(&format!(
            "    <{}> {status}{}{}",
            escape_line(&r.address),
            escape_line(&reply),
            escape_line(&host)
        ))?;
    }
    Ok(())
}

/// One event of a run in `--json`.
#[derive(Serialize)]
struct EventJson<'a> {
    id: &'a str,
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_attempt: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    refused: Vec<RefusedJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bounce: Option<&'a str>,
}

#[derive(Serialize)]
struct RefusedJson<'a> {
    address: &'a str,
    reply: &'a str,
}

pub(super) fn print_event(printer: &mut Printer, event: &Event, now: u64) -> std::io::Result<()> {
    let (id, result, reply, next, refused, bounce): (
        _,
        _,
        Option<&str>,
        _,
        &[(String, String)],
        _,
    ) = match event {
        Event::Delivered { id } => (id, "delivered", None, None, &[], None),
        Event::Deferred {
            id,
            next,
            reply,
            notice,
        } => (
            id,
            "deferred",
            Some(reply.as_str()),
            Some(*next),
            &[],
            notice.as_deref(),
        ),
        Event::Failed {
            id,
            refused,
            bounce,
        } => (id, "failed", None, None, refused, bounce.as_deref()),
        Event::Uncertain { id, reply } => (id, "uncertain", Some(reply.as_str()), None, &[], None),
        Event::Quarantined { id, reason } => {
            output::warning(&format!("moved corrupt entry {id} to quarantine: {reason}"));
            (id, "quarantined", Some(reason.as_str()), None, &[], None)
        }
        Event::Busy { .. } => return Ok(()),
    };
    if printer.is_json() {
        return printer.json(&EventJson {
            id,
            result,
            reply,
            next_attempt: next,
            refused: refused
                .iter()
                .map(|(address, reply)| RefusedJson { address, reply })
                .collect(),
            bounce,
        });
    }
    let mut line = format!("{result} {id}");
    if let Some(next) = next {
        line.push_str(&format!(
            " (next attempt in {})",
            span(next.saturating_sub(now))
        ));
    }
    if let Some(reply) = reply {
        line.push_str(&format!(": {}", escape_line(reply)));
    }
    for (address, reply) in refused {
        line.push_str(&format!(
            "; <{}>: {}",
            escape_line(address),
            escape_line(reply)
        ));
    }
    if let Some(bounce) = bounce {
        line.push_str(&format!("; notification queued as {bounce}"));
    }
    printer.line(&line)
}
