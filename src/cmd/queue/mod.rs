//! `mailkit queue`: list, run, flush, show, rm, hold, release, retry.

mod print;

use print::{entry_json, print_entry, print_event};

use std::path::Path;

use anyhow::Context as _;

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
    state.warned = false;
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
            queue.save(&mut entry).map_err(Failure::from)?;
        }
        if printer.is_json() {
            printer.json(&serde_json::json!({ "id": id, "result": done }))?;
        } else {
            printer.line(&format!("{done} {id}"))?;
        }
    }
    Ok(())
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
        delay_warning: args.delay_warning,
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
