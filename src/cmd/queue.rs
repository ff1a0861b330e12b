//! `mailkit queue`: list, run, flush, show, rm, hold, release, retry.

use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

use crate::{
    cli::{
        GlobalArgs,
        queue::{QueueArgs, QueueCommand, RunArgs},
    },
    exit::{Exit, Failure, Kind},
    output::{self, Printer, escape_line},
    queue::{
        self, Queue, QueueError, RcptStatus, State,
        runner::{self, Event, Options},
        schedule::{self, Policy},
        transport::SmtpTransport,
    },
};

/// Runs `mailkit queue`.
pub fn run(args: &QueueArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    let queue = open(args.queue_dir.as_deref())?;
    let mut printer = Printer::stdout(global.json);
    match &args.command {
        QueueCommand::List => list(&queue, &mut printer)?,
        QueueCommand::Run(run) => deliver(&queue, run, false, global, &mut printer)?,
        QueueCommand::Flush(run) => deliver(&queue, run, true, global, &mut printer)?,
        QueueCommand::Show { id, raw } => show(&queue, id, *raw, &mut printer)?,
        QueueCommand::Rm { ids } => change(&queue, ids, "removed", &mut printer, |_| Ok(()))?,
        QueueCommand::Hold { ids } => change(&queue, ids, "held", &mut printer, |state| {
            state.held = true;
            Ok(())
        })?,
        QueueCommand::Release { ids } => change(&queue, ids, "released", &mut printer, |state| {
            state.held = false;
            Ok(())
        })?,
        QueueCommand::Retry { ids } => change(&queue, ids, "retrying", &mut printer, retry)?,
    }
    printer.flush()?;
    Ok(Exit::Success)
}

/// Opens the queue at `dir`, else at the default place.
pub fn open(dir: Option<&Path>) -> anyhow::Result<Queue> {
    let dir = match dir {
        Some(dir) => dir.to_path_buf(),
        None => queue::default_dir().ok_or_else(|| {
            Failure::new(
                Kind::Config,
                "no queue directory: set --queue-dir, $MAILKIT_QUEUE, $XDG_STATE_HOME or $HOME",
            )
        })?,
    };
    Ok(Queue::open(&dir).map_err(Failure::from)?)
}

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
struct EntryJson<'a> {
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

fn entry_json<'a>(id: &'a str, state: &'a State, now: u64) -> EntryJson<'a> {
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

fn print_entry(printer: &mut Printer, id: &str, state: &State, now: u64) -> anyhow::Result<()> {
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
            RcptStatus::Rejected => "refused",
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

fn list(queue: &Queue, printer: &mut Printer) -> anyhow::Result<()> {
    let now = schedule::now();
    for id in queue.ids().map_err(Failure::from)? {
        match queue.load(&id) {
            Ok(state) if printer.is_json() => printer.json(&entry_json(&id, &state, now))?,
            Ok(state) => print_entry(printer, &id, &state, now)?,
            Err(QueueError::NoSuchEntry(_)) => {}
            Err(err @ QueueError::Corrupt { .. }) => {
                output::warning(&format!(
                    "{err}; the next `queue run` moves it to quarantine"
                ));
            }
            Err(err) => return Err(Failure::from(err).into()),
        }
    }
    Ok(())
}

fn show(queue: &Queue, id: &str, raw: bool, printer: &mut Printer) -> anyhow::Result<()> {
    let state = queue.load(id).map_err(Failure::from)?;
    if raw {
        printer.raw(&queue.message(id).map_err(Failure::from)?)?;
        return Ok(());
    }
    let now = schedule::now();
    if printer.is_json() {
        printer.json(&entry_json(id, &state, now))?;
        return Ok(());
    }
    print_entry(printer, id, &state, now)?;
    if let Some(message_id) = &state.message_id {
        printer.line(&format!("  message-id <{}>", escape_line(message_id)))?;
    }
    if let Some(failed) = &state.failed {
        printer.line(&format!("  failed: {}", escape_line(failed)))?;
    }
    printer.line(&format!(
        "  queued {}",
        queue::bounce::rfc2822_date(state.created)
    ))?;
    Ok(())
}

/// What `queue retry` does to an entry: uncertain and given-up recipients become pending,
/// due at the next run, with a fresh lifetime.
fn retry(state: &mut State) -> anyhow::Result<()> {
    let expired = state.failed.is_some();
    let mut revived = 0;
    for r in &mut state.recipients {
        let again = match r.status {
            RcptStatus::Uncertain => true,
            RcptStatus::Rejected => expired && !r.reply.as_deref().is_some_and(is_5xx),
            _ => false,
        };
        if again {
            r.status = RcptStatus::Pending;
            revived += 1;
        }
    }
    if revived == 0 && state.pending().is_empty() {
        crate::bail!(
            Kind::Usage,
            "nothing to retry: every recipient accepted the message or refused it for good"
        );
    }
    let now = schedule::now();
    state.failed = None;
    state.bounced = false;
    state.lifetime_start = now;
    state.next_attempt = now;
    state.last_attempt = None;
    Ok(())
}

fn is_5xx(reply: &str) -> bool {
    reply.starts_with('5')
}

/// Locks each entry, changes its state (or removes it, for `rm`), and says so.
fn change(
    queue: &Queue,
    ids: &[String],
    done: &str,
    printer: &mut Printer,
    mut edit: impl FnMut(&mut State) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    for id in ids {
        let mut entry = queue.lock(id).map_err(Failure::from)?;
        if done == "removed" {
            queue.remove(entry).map_err(Failure::from)?;
        } else {
            edit(&mut entry.state).with_context(|| format!("message {id}"))?;
            queue.save(&entry).map_err(Failure::from)?;
        }
        if printer.is_json() {
            printer.json(&serde_json::json!({ "id": id, "result": done }))?;
        } else {
            printer.line(&format!("{done} {id}"))?;
        }
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

fn deliver(
    queue: &Queue,
    args: &RunArgs,
    flush: bool,
    global: &GlobalArgs,
    printer: &mut Printer,
) -> anyhow::Result<()> {
    if args.retry_max < args.retry_first {
        crate::bail!(Kind::Usage, "--retry-max is shorter than --retry-first");
    }
    let options = Options {
        policy: Policy {
            first: args.retry_first,
            max: args.retry_max,
            lifetime: args.max_lifetime,
        },
        flush,
        bounce: !args.no_bounce,
        reporting_mta: gethostname::gethostname()
            .into_string()
            .unwrap_or_else(|_| "localhost".into()),
    };
    let mut transport = SmtpTransport {
        transcript: output::Transcript::stderr(global.verbose),
        warnings: Vec::new(),
    };
    let now = schedule::now();
    let mut busy = 0;
    let mut failure: Option<std::io::Error> = None;
    let mut print = |event: Event| {
        let written = print_event(printer, &event, now);
        if let Event::Busy { .. } = event {
            busy += 1;
        }
        if let Err(err) = written {
            failure.get_or_insert(err);
        }
    };
    let result = runner::run(queue, &mut transport, &options, &mut print);
    for warning in &transport.warnings {
        output::warning(warning);
    }
    if let Some(err) = failure {
        return Err(err.into());
    }
    result.map_err(Failure::from)?;
    if busy > 0 {
        output::note(&format!(
            "{busy} messages are being delivered by another run and were left to it"
        ));
    }
    Ok(())
}

fn print_event(printer: &mut Printer, event: &Event, now: u64) -> std::io::Result<()> {
    let (id, result, reply, next, refused, bounce): (
        _,
        _,
        Option<&str>,
        _,
        &[(String, String)],
        _,
    ) = match event {
        Event::Delivered { id } => (id, "delivered", None, None, &[], None),
        Event::Deferred { id, next, reply } => {
            (id, "deferred", Some(reply.as_str()), Some(*next), &[], None)
        }
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
