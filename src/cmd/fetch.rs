//! `mailkit fetch`: download messages to a Maildir, an mbox or stdout, in the order that
//! makes loss impossible: per batch, write, fsync the files, link into `new/`, fsync the
//! directory, record the UIDLs in the state file (fsynced); only then DELE, and QUIT last.
//! Any failure before QUIT's reply leaves the server's mailbox as it was (RFC 1939 §6).

use std::{
    collections::{HashMap, HashSet},
    io::{self, Write},
    path::PathBuf,
};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::pop3_common::{Connection, Entry, HEADER_CAP, Listing};
use crate::{
    cli::{GlobalArgs, fetch::FetchArgs},
    exit::{Exit, Failure},
    maildrop::{self, Maildir, Mbox, Pending, Seen, SeenState, Target, Writer, spool},
    message::HeaderSummary,
    net::Stream,
    output::{self, Printer, escape_line},
    pop3::{MessageSink, Pop3Error, Session},
};

/// One message as `fetch --json` prints it.
#[derive(Debug, Serialize)]
struct Outcome {
    number: u32,
    uidl: Option<String>,
    size: u64,
    saved_to: Option<String>,
    deleted: bool,
    skipped: Option<&'static str>,
    /// DELE was accepted for it in this session; it is deleted once QUIT is acknowledged.
    #[serde(skip)]
    marked: bool,
}

impl Outcome {
    fn new(entry: &Entry, skipped: Option<&'static str>) -> Outcome {
        Outcome {
            number: entry.number,
            uidl: entry.uidl.clone(),
            size: entry.size,
            saved_to: None,
            deleted: false,
            skipped,
            marked: false,
        }
    }
}

/// Runs `mailkit fetch`.
pub fn run(args: &FetchArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    if args.interactive && !output::stdin_is_terminal() {
        crate::bail!(
            Exit::Usage,
            "--interactive needs a terminal on stdin; select messages with numbers, --uidl or --new"
        );
    }
    if args.stdout && global.json {
        crate::bail!(
            Exit::Usage,
            "--stdout writes the message itself to stdout; it cannot be combined with --json"
        );
    }
    let connection = Connection::resolve(&args.connection, global)?;
    let target = open_target(args)?;
    let mut session = connection.open()?;
    let listing = Listing::load(&mut session)?;
    if args.new && !listing.has_uidl {
        crate::bail!(
            Exit::Protocol,
            "the server does not support UIDL, so --new cannot tell old messages from new"
        );
    }
    let mut state = match (&target, listing.has_uidl) {
        (Some(_), true) => {
            let path = match &args.state_file {
                Some(path) => path.clone(),
                None => maildrop::state::default_path(&connection.key).ok_or_else(|| {
                    Failure::new(
                        Exit::Config,
                        "no state directory: set $XDG_STATE_HOME or $HOME, or --state-file",
                    )
                })?,
            };
            Some(SeenState::open(&path).map_err(Failure::from)?)
        }
        _ => None,
    };
    if state.is_none() && args.new {
        crate::bail!(Exit::Usage, "--new needs a Maildir or mbox target");
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
        let mut fresh = Vec::new();
        for entry in chosen {
            let Some(uidl) = &entry.uidl else { continue };
            listing.refuse_duplicate(uidl)?;
            match state.seen(uidl, entry.size) {
                Seen::Yes => seen_before.push(entry),
                Seen::No => fresh.push(entry),
                Seen::SizeDiffers(before) => {
                    eprintln!(
                        "mailkit: warning: message {} has UIDL {} seen before with size {before}, now {}; fetching it as new",
                        entry.number,
                        escape_line(uidl),
                        entry.size
                    );
                    fresh.push(entry);
                }
            }
        }
        chosen = fresh;
    }
    let mut outcomes = Vec::new();
    if let Some(max) = args.max_size {
        chosen.retain(|entry| {
            let keep = entry.size <= max;
            if !keep {
                outcomes.push(Outcome::new(entry, Some("too large")));
            }
            keep
        });
    }
    let mut delete: HashSet<u32> = if args.delete {
        chosen.iter().map(|e| e.number).collect()
    } else {
        HashSet::new()
    };
    if args.interactive {
        match pick(&mut session, &chosen, args.delete)? {
            Some((fetch, del)) => {
                chosen = fetch;
                delete = del;
            }
            None => {
                session.quit().map_err(Failure::from).context("closing")?;
                return Ok(Exit::Success);
            }
        }
    }

    let mut printer = Printer::stdout(global.json);
    let Some(target) = target.as_ref() else {
        return fetch_to_stdout(&mut session, &chosen, &mut printer);
    };
    if let Some(state) = state.as_mut() {
        // Forget UIDLs no longer on the server, once: every UIDL recorded later is on it.
        let on_server: HashSet<&str> = listing
            .entries
            .iter()
            .filter_map(|e| e.uidl.as_deref())
            .collect();
        state.retain_only(&on_server);
    }
    let progress = progress_bar(&chosen, global.verbose);
    let mut run = Run {
        session: &mut session,
        target,
        state: state.as_mut(),
        duplicates: &listing.duplicates,
        progress: &progress,
        outcomes: &mut outcomes,
        delete: &delete,
        marked: 0,
        done: 0,
    };
    let mut result = Ok(());
    if args.delete && !seen_before.is_empty() {
        let numbers: Vec<u32> = seen_before.iter().map(|e| e.number).collect();
        run.outcomes.extend(
            seen_before
                .iter()
                .map(|e| Outcome::new(e, Some("fetched before"))),
        );
        result = run.delete_numbers(&numbers);
    }
    let result = result.and_then(|()| run.all(&chosen, args.batch as usize));
    let marked = run.marked;
    progress.finish_and_clear();
    let result = result.and_then(|()| {
        session.quit().map_err(|err| {
            let text = if marked > 0 {
                format!("{err}; deletions not committed (messages stay on the server)")
            } else {
                err.to_string()
            };
            anyhow::Error::new(Failure::new(err.exit(), text))
        })
    });
    if result.is_ok() {
        for outcome in &mut outcomes {
            outcome.deleted = outcome.marked;
        }
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
        eprintln!("mailkit: fetched {saved}, deleted {deleted}, skipped {skipped}");
    }
    result.context("fetching")?;
    Ok(Exit::Success)
}

fn open_target(args: &FetchArgs) -> anyhow::Result<Option<Target>> {
    if let Some(dir) = &args.maildir {
        let maildir = Maildir::create(dir)
            .map_err(|err| Failure::new(Exit::CantCreate, err))
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

/// The state of one fetch run across its batches.
struct Run<'a> {
    session: &'a mut Session<Stream>,
    target: &'a Target,
    state: Option<&'a mut SeenState>,
    duplicates: &'a HashSet<String>,
    progress: &'a ProgressBar,
    outcomes: &'a mut Vec<Outcome>,
    delete: &'a HashSet<u32>,
    marked: usize,
    done: u64,
}

impl Run<'_> {
    /// Fetches `chosen` in batches. For a Maildir, batch k is made durable in a second
    /// thread while batch k+1 downloads; batch k's DELEs are sent only after its commit has
    /// finished, so the order write → fsync → link → fsync dir → state → DELE holds for every
    /// message. An mbox is one file being appended to, so its batches commit in turn.
    fn all(&mut self, chosen: &[Entry], batch: usize) -> anyhow::Result<()> {
        let overlap = matches!(self.target, Target::Maildir(_));
        let target = self.target;
        let duplicates = self.duplicates;
        let mut state = self.state.take();
        let result = std::thread::scope(|scope| -> anyhow::Result<()> {
            let mut in_flight: Option<(&[Entry], Batch, Committing<'_, '_>)> = None;
            for entries in chosen.chunks(batch.max(1)) {
                let got = self.retrieve(entries);
                if let Some((done, batch, handle)) = in_flight.take() {
                    let (saved, returned) = joined(handle);
                    state = returned;
                    let saved = match saved {
                        Ok(saved) => saved,
                        Err(err) => {
                            if let Ok(current) = got {
                                discard(target, current.pending, None);
                            }
                            return Err(err);
                        }
                    };
                    self.conclude(done, batch, saved)?;
                }
                let mut got = got?;
                let pending = std::mem::take(&mut got.pending);
                let indexes = got.indexes.clone();
                let mut state_in = state.take();
                let handle = scope.spawn(move || {
                    let saved = commit(
                        target,
                        state_in.as_deref_mut(),
                        duplicates,
                        entries,
                        &indexes,
                        pending,
                    );
                    (saved, state_in)
                });
                if overlap {
                    in_flight = Some((entries, got, handle));
                } else {
                    let (saved, returned) = joined(handle);
                    state = returned;
                    self.conclude(entries, got, saved?)?;
                }
            }
            if let Some((done, batch, handle)) = in_flight.take() {
                let (saved, returned) = joined(handle);
                state = returned;
                self.conclude(done, batch, saved?)?;
            }
            Ok(())
        });
        self.state = state;
        result
    }

    /// RETR one batch into the target (pipelined). On any error the batch is discarded: it
    /// is still on the server, since no DELE was sent for it.
    fn retrieve(&mut self, entries: &[Entry]) -> anyhow::Result<Batch> {
        let numbers: Vec<u32> = entries.iter().map(|e| e.number).collect();
        let mut sink = BatchSink {
            target: self.target,
            progress: self.progress,
            pending: Vec::new(),
            refused: HashMap::new(),
            partial: None,
            done: &mut self.done,
        };
        let result = self.session.retrieve(&numbers, true, &mut sink);
        let BatchSink {
            pending,
            refused,
            partial,
            ..
        } = sink;
        let (indexes, pending): (Vec<usize>, Vec<Pending>) = pending.into_iter().unzip();
        if let Err(err) = result {
            discard(self.target, pending, partial);
            return Err(Failure::from(err)).context("retrieving messages");
        }
        Ok(Batch {
            indexes,
            pending,
            refused,
        })
    }

    /// After the batch's commit: its outcomes, then DELE for what should go.
    fn conclude(
        &mut self,
        entries: &[Entry],
        batch: Batch,
        saved: Vec<String>,
    ) -> anyhow::Result<()> {
        let Batch {
            indexes, refused, ..
        } = batch;
        let mut to_delete = Vec::new();
        let mut saved = saved.into_iter();
        for (i, entry) in entries.iter().enumerate() {
            let saved_to = if indexes.contains(&i) {
                saved.next()
            } else {
                None
            };
            if saved_to.is_some() && self.delete.contains(&entry.number) {
                to_delete.push(entry.number);
            }
            if let Some(text) = refused.get(&i) {
                eprintln!(
                    "mailkit: warning: the server refused RETR {}: {text}",
                    entry.number
                );
            }
            let mut outcome = Outcome::new(
                entry,
                refused.contains_key(&i).then_some("refused by the server"),
            );
            outcome.saved_to = saved_to;
            self.outcomes.push(outcome);
        }
        self.delete_numbers(&to_delete)
    }

    /// DELE for messages known to be safe locally; a refusal sends RSET (nothing deleted).
    fn delete_numbers(&mut self, to_delete: &[u32]) -> anyhow::Result<()> {
        if !to_delete.is_empty() {
            if let Err(err) = self.session.dele(to_delete) {
                if matches!(err, Pop3Error::Refused { .. }) {
                    self.session
                        .rset()
                        .map_err(Failure::from)
                        .context("undoing deletions after a refused DELE")?;
                    self.marked = 0;
                    for outcome in self.outcomes.iter_mut() {
                        outcome.marked = false;
                    }
                }
                return Err(Failure::from(err))
                    .context("deleting fetched messages (RSET sent: nothing was deleted)");
            }
            self.marked += to_delete.len();
            for outcome in self.outcomes.iter_mut() {
                outcome.marked |= to_delete.contains(&outcome.number);
            }
        }
        Ok(())
    }
}

/// What a commit thread hands back: where the batch went, and the state it borrowed.
type Committed<'r> = (anyhow::Result<Vec<String>>, Option<&'r mut SeenState>);
/// A batch being committed in its own thread.
type Committing<'s, 'r> = std::thread::ScopedJoinHandle<'s, Committed<'r>>;

/// Waits for a commit thread; one that panicked is a failed commit (and its state is lost,
/// which ends the run before anything more is recorded).
fn joined<'r>(handle: Committing<'_, 'r>) -> Committed<'r> {
    handle
        .join()
        .unwrap_or_else(|_| (Err(anyhow::anyhow!("commit thread panicked")), None))
}

/// One batch, downloaded: which of its entries arrived (`indexes`, parallel to `pending`)
/// and which the server refused.
struct Batch {
    indexes: Vec<usize>,
    pending: Vec<Pending>,
    refused: HashMap<usize, String>,
}

/// The group commit of one batch: the messages durable and visible, then their UIDLs
/// recorded durably. Returns where each message went.
fn commit(
    target: &Target,
    state: Option<&mut SeenState>,
    duplicates: &HashSet<String>,
    entries: &[Entry],
    indexes: &[usize],
    pending: Vec<Pending>,
) -> anyhow::Result<Vec<String>> {
    let saved = target
        .commit(pending)
        .map_err(|err| Failure::new(Exit::IoErr, err))
        .context("making the messages durable (nothing was deleted)")?;
    if let Some(state) = state {
        state.record(indexes.iter().filter_map(|&i| {
            let entry = &entries[i];
            let uidl = entry.uidl.as_ref()?;
            (!duplicates.contains(uidl)).then(|| (uidl.clone(), entry.size))
        }));
        state
            .save()
            .map_err(Failure::from)
            .context("recording the fetched UIDLs (nothing was deleted)")?;
    }
    Ok(saved)
}

/// Drops a batch that will not be committed.
fn discard(target: &Target, pending: Vec<Pending>, partial: Option<PathBuf>) {
    if let Err(err) = target.discard(pending, partial) {
        eprintln!("mailkit: warning: cleaning up an unfinished batch: {err}");
    }
}

/// Receives one batch's messages into the target.
struct BatchSink<'a> {
    target: &'a Target,
    progress: &'a ProgressBar,
    pending: Vec<(usize, Pending)>,
    refused: HashMap<usize, String>,
    partial: Option<PathBuf>,
    done: &'a mut u64,
}

/// A message writer that advances the progress bar as bytes arrive.
struct Counted<'a> {
    inner: Writer,
    progress: &'a ProgressBar,
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.progress.inc(n as u64);
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)?;
        self.progress.inc(buf.len() as u64);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<'a> MessageSink for BatchSink<'a> {
    type Writer = Counted<'a>;

    fn begin(&mut self, _index: usize) -> io::Result<Counted<'a>> {
        let inner = self.target.begin()?;
        self.partial = inner.tmp_path().map(PathBuf::from);
        Ok(Counted {
            inner,
            progress: self.progress,
        })
    }

    fn finish(&mut self, index: usize, writer: Counted<'a>, _bytes: u64) -> io::Result<()> {
        let pending = self.target.finish(writer.inner)?;
        self.partial = None;
        self.pending.push((index, pending));
        *self.done += 1;
        self.progress.set_message(self.done.to_string());
        Ok(())
    }

    fn refused(&mut self, index: usize, text: &str) -> io::Result<()> {
        self.refused.insert(index, text.to_string());
        Ok(())
    }
}

/// `--stdout`: one message, spooled to an unlinked temporary file and copied out only when
/// complete, so a truncated message never reaches stdout.
fn fetch_to_stdout(
    session: &mut Session<Stream>,
    chosen: &[Entry],
    printer: &mut Printer,
) -> anyhow::Result<Exit> {
    let entry = match chosen {
        [] => {
            session.quit().map_err(Failure::from).context("closing")?;
            return Ok(Exit::Success);
        }
        [entry] => entry,
        _ => crate::bail!(
            Exit::Usage,
            "--stdout writes one message, but {} are selected; name one by number or --uidl",
            chosen.len()
        ),
    };
    let mut file = spool::create()
        .map_err(|err| Failure::new(Exit::IoErr, err))
        .context("creating a spool file")?;
    struct Spool<'f>(&'f mut std::fs::File, Option<String>);
    impl MessageSink for Spool<'_> {
        type Writer = io::BufWriter<std::fs::File>;
        fn begin(&mut self, _: usize) -> io::Result<Self::Writer> {
            Ok(io::BufWriter::with_capacity(64 * 1024, self.0.try_clone()?))
        }
        fn finish(&mut self, _: usize, mut w: Self::Writer, _: u64) -> io::Result<()> {
            w.flush()
        }
        fn refused(&mut self, _: usize, text: &str) -> io::Result<()> {
            self.1 = Some(text.to_string());
            Ok(())
        }
    }
    let mut sink = Spool(&mut file, None);
    session
        .retrieve(&[entry.number], false, &mut sink)
        .map_err(Failure::from)
        .with_context(|| format!("retrieving message {}", entry.number))?;
    if let Some(text) = sink.1 {
        crate::bail!(
            Exit::Protocol,
            "retrieving message {}: server said -ERR {text}",
            entry.number
        );
    }
    session.quit().map_err(Failure::from).context("closing")?;
    struct ToPrinter<'p>(&'p mut Printer);
    impl Write for ToPrinter<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.raw(buf).map(|()| buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            self.0.flush()
        }
    }
    spool::copy_out(&mut file, &mut ToPrinter(printer)).context("writing to stdout")?;
    printer.flush()?;
    Ok(Exit::Success)
}

fn progress_bar(chosen: &[Entry], verbose: bool) -> ProgressBar {
    if !output::stderr_is_terminal() || verbose || chosen.is_empty() {
        return ProgressBar::hidden();
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
    bar
}

/// Interactive choice: which messages to fetch, which of those to delete, then a final
/// confirmation. `None` when the person declines.
fn pick(
    session: &mut Session<Stream>,
    chosen: &[Entry],
    delete_default: bool,
) -> anyhow::Result<Option<(Vec<Entry>, HashSet<u32>)>> {
    if chosen.is_empty() {
        return Ok(Some((Vec::new(), HashSet::new())));
    }
    let numbers: Vec<u32> = chosen.iter().map(|e| e.number).collect();
    let headers = session
        .top_headers(&numbers, HEADER_CAP)
        .map_err(Failure::from)
        .context("reading headers")?;
    let labels: Vec<String> = chosen
        .iter()
        .zip(&headers)
        .map(|(entry, header)| {
            let summary = header
                .as_deref()
                .map(HeaderSummary::parse)
                .unwrap_or_default();
            escape_line(&format!(
                "{:>5} {:>9}  {:<30.30}  {}",
                entry.number,
                entry.size,
                summary.from_line().unwrap_or_default(),
                summary.subject.unwrap_or_default()
            ))
            .into_owned()
        })
        .collect();
    let prompt_err = |err: dialoguer::Error| Failure::new(Exit::Usage, err.to_string());
    let fetch = dialoguer::MultiSelect::new()
        .with_prompt("Fetch which messages? (space toggles, enter accepts)")
        .items(&labels)
        .report(false)
        .defaults(&vec![true; labels.len()])
        .interact()
        .map_err(prompt_err)?;
    if fetch.is_empty() {
        return Ok(None);
    }
    let fetch_labels: Vec<&String> = fetch.iter().map(|&i| &labels[i]).collect();
    let delete = dialoguer::MultiSelect::new()
        .with_prompt("Delete which of these from the server once saved?")
        .items(&fetch_labels)
        .report(false)
        .defaults(&vec![delete_default; fetch_labels.len()])
        .interact()
        .map_err(prompt_err)?;
    let picked: Vec<Entry> = fetch.iter().map(|&i| chosen[i].clone()).collect();
    let delete: HashSet<u32> = delete.iter().map(|&i| picked[i].number).collect();
    let bytes: u64 = picked.iter().map(|e| e.size).sum();
    let confirmed = dialoguer::Confirm::new()
        .with_prompt(format!(
            "Fetch {} messages ({bytes} bytes) and delete {} of them from the server?",
            picked.len(),
            delete.len()
        ))
        .default(true)
        .interact()
        .map_err(prompt_err)?;
    // The person may have taken a while: make sure the server is still there.
    session
        .noop()
        .map_err(Failure::from)
        .context("after the selection")?;
    Ok(confirmed.then_some((picked, delete)))
}
