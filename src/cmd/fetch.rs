//! `mailkit fetch`: download messages to a Maildir, an mbox or stdout, in the order that
//! makes loss impossible: per batch, write, fsync the files, link into `new/`, fsync the
//! directory, record the UIDLs in the state file (fsynced); only then DELE, and QUIT last.
//! Any failure before QUIT's reply leaves the server's mailbox as it was (RFC 1939 §6).

use std::{collections::HashSet, io};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::{
    accounts::{Endpoint, Protocol, Service},
    cli::{GlobalArgs, fetch::FetchArgs},
    exit::{Exit, Failure, Kind},
    maildrop::{
        self, Entry, MailAccess, Maildir, Mbox, SeenState, Target,
        fetch::{Plan, Progress},
    },
    output::{self, Printer},
};

/// Messages per group commit over POP3 and IMAP unless `--batch` says otherwise: each commit
/// has a fixed cost (a syncfs, two fsyncs, the state rewritten), and larger batches measured
/// faster: benches/imap.sh fetched 10,000 messages in 0.64–0.75 s with 1024 against 0.88–1.07 s
/// with 256, and benches/pop3.sh (alternated) took 1.04–1.27x less wall time than with 256.
pub(super) const BATCH: u32 = 1024;

/// Runs `mailkit fetch`.
pub fn run(args: &FetchArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    if super::imap_common::protocol(&args.connection)? == Protocol::Imap {
        return super::imap_fetch::run(args, global);
    }
    if !args.folder.is_empty()
        || args.move_to.is_some()
        || args.mark_seen
        || args.watch
        || args.allow_plain_expunge
    {
        crate::bail!(
            crate::exit::Kind::Usage,
            "--folder, --move-to, --mark-seen, --watch and --allow-plain-expunge are IMAP only; add --protocol imap (or use port 993/143)"
        );
    }
    if args.interactive && !output::stdin_is_terminal() {
        crate::bail!(
            Kind::NoTerminal,
            "--interactive needs a terminal on stdin; select messages with numbers, --uidl or --new"
        );
    }
    if args.stdout && global.json {
        crate::bail!(
            Kind::Usage,
            "--stdout writes the message itself to stdout; it cannot be combined with --json"
        );
    }
    let endpoint = Endpoint::resolve(Service::Pop3, &args.connection.endpoint_flags())?;
    let target = open_target(args)?;
    let mut session =
        crate::pop3::connect::login(&endpoint, crate::output::Transcript::stderr(global.verbose))?;
    let listing = session.listing()?;
    if args.new && !listing.has_uidl {
        crate::bail!(
            Kind::Protocol,
            "the server does not support UIDL, so --new cannot tell old messages from new"
        );
    }
    let mut state = match (&target, listing.has_uidl) {
        (Some(_), true) => {
            let path = match &args.state_file {
                Some(path) => path.clone(),
                None => maildrop::state::default_path(&endpoint.key())?,
            };
            Some(SeenState::open(&path).map_err(Failure::from)?)
        }
        _ => None,
    };
    if state.is_none() && args.new {
        crate::bail!(Kind::Usage, "--new needs a Maildir or mbox target");
    }

    let mut chosen = if args.numbers.is_empty() && args.uidl.is_empty() {
        listing.entries.clone()
    } else {
        listing.select(&args.numbers, &args.uidl)?
    };
    // With --new --delete, messages fetched by an earlier run (recorded only after they were
    // durable) are deleted too: that run may have been stopped between its commit and QUIT.
    let mut seen_before = Vec::new();
    if let (true, Some(state)) = (args.new, &state) {
        (chosen, seen_before) = listing.split_seen(chosen, state);
    }
    let mut outcomes = Vec::new();
    maildrop::fetch::skip_too_large(&mut chosen, args.max_size, &mut outcomes);
    let mut delete: HashSet<u32> = if args.delete {
        chosen.iter().map(|e| e.number).collect()
    } else {
        HashSet::new()
    };
    if args.interactive {
        let removal = super::pick::Removal::delete();
        match super::pick::pick(&mut session, &chosen, Some(&removal), args.delete)? {
            Some((fetch, del)) => {
                chosen = fetch;
                delete = del;
            }
            None => {
                session.quit().map_err(Failure::from).context("closing")?;
                output::note("cancelled: nothing fetched or deleted");
                return Ok(Exit::Success);
            }
        }
    }

    let mut printer = Printer::stdout(global.json);
    let Some(target) = target.as_ref() else {
        maildrop::fetch::fetch_one(&mut session, &chosen, &mut ToPrinter(&mut printer))?;
        printer.flush()?;
        return Ok(Exit::Success);
    };
    let progress = progress_bar(&chosen, global.verbose);
    let no_entries = Vec::new();
    let plan = Plan {
        target,
        state: state.as_mut(),
        listing: &listing,
        chosen: &chosen,
        delete: &delete,
        fetched_before: if args.delete {
            &seen_before
        } else {
            &no_entries
        },
        batch: args.batch.unwrap_or(BATCH) as usize,
        progress: &progress,
    };
    let result = maildrop::fetch::fetch(&mut session, plan, &mut outcomes);
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if printer.is_json() {
        for outcome in &outcomes {
            printer.json(outcome)?;
        }
    }
    printer.flush()?;
    if output::stderr_is_terminal() && !printer.is_json() {
        let saved = outcomes.iter().filter(|o| o.saved_to.is_some()).count();
        let deleted = outcomes.iter().filter(|o| o.deleted).count();
        let skipped = outcomes.iter().filter(|o| o.skipped.is_some()).count();
        output::note(&format!(
            "fetched {saved}, deleted {deleted}, skipped {skipped}"
        ));
    }
    result.context("fetching")?;
    Ok(Exit::Success)
}

/// The progress bar shows bytes and the count of messages fetched. Without a terminal there
/// is no bar at all rather than a hidden one: a hidden bar still read the clock and took its
/// lock for every write, a fifth of a 10,000-message fetch's CPU.
impl Progress for Option<ProgressBar> {
    fn bytes(&self, n: u64) {
        if let Some(bar) = self {
            bar.inc(n);
        }
    }
    fn messages(&self, done: u64) {
        if let Some(bar) = self {
            bar.set_message(done.to_string());
        }
    }
}

/// `--stdout`'s writer: the message goes through the one stdout [`Printer`].
pub(super) struct ToPrinter<'p>(pub(super) &'p mut Printer);

impl io::Write for ToPrinter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.raw(buf).map(|()| buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

pub(super) fn open_target(args: &FetchArgs) -> anyhow::Result<Option<Target>> {
    if let Some(dir) = &args.maildir {
        let maildir = Maildir::create(dir)
            .map_err(|err| Failure::new(Kind::CantCreate, err))
            .with_context(|| format!("opening Maildir {}", dir.display()))?;
        return Ok(Some(Target::Maildir(maildir)));
    }
    if let Some(path) = &args.mbox {
        let mbox = Mbox::open(path)
            .map_err(Failure::from)
            .with_context(|| format!("opening mbox {}", path.display()))?;
        return Ok(Some(Target::Mbox(mbox, path.clone())));
    }
    Ok(None)
}

/// The bar on stderr when it is a terminal (and no transcript goes there), else none.
pub(super) fn progress_bar(chosen: &[Entry], verbose: bool) -> Option<ProgressBar> {
    if !output::stderr_is_terminal() || verbose || chosen.is_empty() {
        return None;
    }
    let total: u64 = chosen.iter().map(|e| e.size).sum();
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template(
        "{msg:>10}/{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(chosen.len().to_string());
    bar.set_message("0");
    Some(bar)
}
