//! The loss-proof fetch pipeline, for any [`MailAccess`] session: per batch, write, fsync the
//! files, link into `new/`, fsync the directory, record the identities in the state file
//! (fsynced); only then delete on the server, and end the session last. Any failure before
//! the session's end leaves the server's mailbox as it was (RFC 1939 §6; IMAP expunges only
//! on close likewise).

use std::{
    collections::{HashMap, HashSet},
    io::{self, Write},
    path::PathBuf,
    sync::mpsc,
};

use anyhow::Context;
use serde::Serialize;

use super::{
    Pending, SeenState, Target, Writer,
    access::{Entry, Listing, MailAccess, MessageSink},
    spool,
};
use crate::{
    exit::{Failure, Kind},
    output,
};

/// One message's fate, as `fetch --json` prints it.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// Its number in the session.
    pub number: u32,
    /// Its lasting identity, when the server has one.
    pub uidl: Option<String>,
    /// Its size on the server.
    pub size: u64,
    /// Where it was saved, once durable.
    pub saved_to: Option<String>,
    /// Deleted on the server (the session ended cleanly after the deletion).
    pub deleted: bool,
    /// Why it was not fetched.
    pub skipped: Option<&'static str>,
    /// Deletion was accepted for it in this session; it is deleted once the session ends.
    #[serde(skip)]
    marked: bool,
}

impl Outcome {
    /// A message not (yet) fetched; `skipped` says why, if it will not be.
    pub fn new(entry: &Entry, skipped: Option<&'static str>) -> Outcome {
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

/// Told as a fetch advances, for a progress bar; `()` shows nothing.
pub trait Progress {
    /// `n` more bytes arrived.
    fn bytes(&self, n: u64);
    /// `done` messages have arrived in all.
    fn messages(&self, done: u64);
}

/// `--max-size`: takes the messages over `max` octets out of `chosen`, each reported as
/// skipped "too large", so the pipeline never downloads them.
pub fn skip_too_large(chosen: &mut Vec<Entry>, max: Option<u64>, outcomes: &mut Vec<Outcome>) {
    if let Some(max) = max {
        chosen.retain(|entry| {
            let keep = entry.size <= max;
            if !keep {
                outcomes.push(Outcome::new(entry, Some("too large")));
            }
            keep
        });
    }
}

impl Progress for () {
    fn bytes(&self, _: u64) {}
    fn messages(&self, _: u64) {}
}

/// What one fetch run does.
pub struct Plan<'a> {
    /// Where messages go.
    pub target: &'a Target,
    /// The identities fetched before, when kept.
    pub state: Option<&'a mut SeenState>,
    /// The whole mailbox, to forget identities no longer on the server.
    pub listing: &'a Listing,
    /// The messages to fetch, in order.
    pub chosen: &'a [Entry],
    /// The numbers of the chosen messages to delete once durable.
    pub delete: &'a HashSet<u32>,
    /// Messages an earlier run made durable, to delete now (that run may have been stopped
    /// between its commit and the end of its session).
    pub fetched_before: &'a [Entry],
    /// Messages per batch (one group commit each).
    pub batch: usize,
    /// Where progress is shown.
    pub progress: &'a dyn Progress,
}

/// Runs a fetch to the end of the session. Outcomes are appended to `outcomes` whatever
/// happens, `deleted` set only when the session ended cleanly.
pub fn fetch<A: MailAccess>(
    session: &mut A,
    plan: Plan<'_>,
    outcomes: &mut Vec<Outcome>,
) -> anyhow::Result<()> {
    let Plan {
        target,
        mut state,
        listing,
        chosen,
        delete,
        fetched_before,
        batch,
        progress,
    } = plan;
    if let Some(state) = state.as_mut() {
        // Forget identities no longer on the server, once: every one recorded later is on it.
        let on_server: HashSet<&str> = listing
            .entries
            .iter()
            .filter_map(|e| e.uidl.as_deref())
            .collect();
        state.retain_only(&on_server);
    }
    let mut run = Run {
        session: &mut *session,
        target,
        state,
        duplicates: &listing.duplicates,
        progress,
        outcomes,
        delete,
        marked: 0,
        done: 0,
    };
    let mut result = Ok(());
    if !fetched_before.is_empty() {
        run.outcomes.extend(
            fetched_before
                .iter()
                .map(|e| Outcome::new(e, Some("fetched before"))),
        );
        result = run.delete_entries(fetched_before);
    }
    let result = result.and_then(|()| run.all(chosen, batch));
    let marked = run.marked;
    let result = result.and_then(|()| {
        session.close().map_err(|err| {
            let failure: Failure = err.into();
            let text = if marked > 0 {
                format!("{failure}; deletions not committed (messages stay on the server)")
            } else {
                failure.to_string()
            };
            anyhow::Error::new(Failure::new(failure.kind(), text))
        })
    });
    if result.is_ok() {
        for outcome in outcomes.iter_mut() {
            outcome.deleted = outcome.marked;
        }
    }
    result
}

/// `--stdout`: one message, spooled to an unlinked temporary file and copied to `out` only
/// when complete and the session has ended, so a truncated message is never written.
pub fn fetch_one<A: MailAccess>(
    session: &mut A,
    chosen: &[Entry],
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let entry = match chosen {
        [] => {
            session.close().map_err(Into::into).context("closing")?;
            return Ok(());
        }
        [entry] => entry,
        _ => crate::bail!(
            Kind::Usage,
            "--stdout writes one message, but {} are selected; name one by number or --uidl",
            chosen.len()
        ),
    };
    let mut file = spool::create()
        .map_err(|err| Failure::new(Kind::LocalIo, err))
        .context("creating a spool file")?;
    struct Spool<'f>(&'f mut std::fs::File, Option<String>, Option<io::Error>);
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
        fn abandon(&mut self, w: Self::Writer) {
            // Dropped first (its buffer reaches the file), then the file is emptied.
            drop(w);
            let emptied = self
                .0
                .set_len(0)
                .and_then(|()| io::Seek::rewind(&mut *self.0));
            if let Err(err) = emptied {
                self.2 = Some(err);
            }
        }
    }
    let mut sink = Spool(&mut file, None, None);
    session
        .retrieve(std::slice::from_ref(entry), false, &mut sink)
        .map_err(Into::into)
        .with_context(|| format!("retrieving message {}", entry.number))?;
    if let Some(err) = sink.2 {
        return Err(Failure::new(Kind::LocalIo, err)).context("emptying the spool file");
    }
    if let Some(text) = sink.1 {
        crate::bail!(
            Kind::Protocol,
            "retrieving message {}: server said -ERR {text}",
            entry.number
        );
    }
    session.close().map_err(Into::into).context("closing")?;
    spool::copy_out(&mut file, &mut &mut *out).context("writing to stdout")?;
    Ok(())
}

/// The state of one fetch run across its batches.
struct Run<'a, A> {
    session: &'a mut A,
    target: &'a Target,
    state: Option<&'a mut SeenState>,
    duplicates: &'a HashSet<String>,
    progress: &'a dyn Progress,
    outcomes: &'a mut Vec<Outcome>,
    delete: &'a HashSet<u32>,
    marked: usize,
    done: u64,
}

impl<A: MailAccess> Run<'_, A> {
    /// Fetches `chosen` in batches. For a Maildir, batch k is made durable in a second
    /// thread while batch k+1 downloads; batch k's deletions are sent only after its commit
    /// has finished, so the order write → fsync → link → fsync dir → state → delete holds for
    /// every message. An mbox is one file being appended to, so its batches commit in turn.
    fn all(&mut self, chosen: &[Entry], batch: usize) -> anyhow::Result<()> {
        let overlap = matches!(self.target, Target::Maildir(_));
        let target = self.target;
        let duplicates = self.duplicates;
        let state = self.state.take();
        let (result, state) = std::thread::scope(|scope| {
            // One commit thread for the whole run, fed a batch at a time; it owns the state
            // until the run ends and hands it back then.
            let (job_tx, job_rx) = mpsc::sync_channel::<CommitJob<'_>>(0);
            let (saved_tx, saved_rx) = mpsc::sync_channel::<anyhow::Result<Vec<String>>>(1);
            let committer = scope.spawn(move || {
                let mut state = state;
                for (entries, indexes, pending) in job_rx {
                    let saved = commit(
                        target,
                        state.as_deref_mut(),
                        duplicates,
                        entries,
                        &indexes,
                        pending,
                    );
                    if saved_tx.send(saved).is_err() {
                        break;
                    }
                }
                state
            });
            let saved = || {
                saved_rx
                    .recv()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("commit thread panicked")))
            };
            let result = (|| -> anyhow::Result<()> {
                let mut in_flight: Option<(&[Entry], Batch)> = None;
                for entries in chosen.chunks(batch.max(1)) {
                    // A session that broke mid-batch still hands over the messages that
                    // arrived whole: they are committed like any batch, but nothing more is
                    // asked of the broken session (no deletion), and the run ends with its
                    // error.
                    let (mut got, broken) = self.retrieve(entries);
                    if let Some((done, batch)) = in_flight.take() {
                        let saved = match saved() {
                            Ok(saved) => saved,
                            Err(err) => {
                                discard(target, got.pending, None);
                                return Err(err);
                            }
                        };
                        self.conclude(done, batch, saved, broken.is_none())?;
                    }
                    let pending = std::mem::take(&mut got.pending);
                    let indexes = got.indexes.clone();
                    if let Err(mpsc::SendError((_, _, pending))) =
                        job_tx.send((entries, indexes, pending))
                    {
                        discard(target, pending, None);
                        return Err(anyhow::anyhow!("commit thread panicked"));
                    }
                    if let Some(err) = broken {
                        self.conclude(entries, got, saved()?, false)?;
                        return Err(err);
                    }
                    if overlap {
                        in_flight = Some((entries, got));
                    } else {
                        self.conclude(entries, got, saved()?, true)?;
                    }
                }
                if let Some((done, batch)) = in_flight.take() {
                    self.conclude(done, batch, saved()?, true)?;
                }
                Ok(())
            })();
            drop(job_tx);
            // A commit thread that panicked lost the state, which ends the run before
            // anything more is recorded.
            let state = committer.join().unwrap_or(None);
            (result, state)
        });
        self.state = state;
        result
    }

    /// Retrieves one batch into the target (pipelined). On an error the message being
    /// received is discarded (it is still on the server, since no deletion was sent for it);
    /// the batch keeps the messages that arrived whole before it, and the error comes along.
    fn retrieve(&mut self, entries: &[Entry]) -> (Batch, Option<anyhow::Error>) {
        let mut sink = BatchSink {
            target: self.target,
            progress: self.progress,
            pending: Vec::new(),
            refused: HashMap::new(),
            partial: None,
            done: &mut self.done,
        };
        let result = self.session.retrieve(entries, true, &mut sink);
        let BatchSink {
            pending,
            refused,
            partial,
            ..
        } = sink;
        let (indexes, pending): (Vec<usize>, Vec<Pending>) = pending.into_iter().unzip();
        let broken = result.err().map(|err| {
            if let Err(err) = self.target.drop_partial(partial) {
                output::warning(&format!("cleaning up a message cut off mid-way: {err}"));
            }
            anyhow::Error::from(err.into()).context(
                "retrieving messages (those received whole were kept; nothing was deleted)",
            )
        });
        let batch = Batch {
            indexes,
            pending,
            refused,
        };
        (batch, broken)
    }

    /// After the batch's commit: its outcomes, then deletion of what should go (unless the
    /// session is broken: `delete` false).
    fn conclude(
        &mut self,
        entries: &[Entry],
        batch: Batch,
        saved: Vec<String>,
        delete: bool,
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
            if delete && saved_to.is_some() && self.delete.contains(&entry.number) {
                to_delete.push(entry.clone());
            }
            if let Some(text) = refused.get(&i) {
                output::warning(&format!("the server refused RETR {}: {text}", entry.number));
            }
            let mut outcome = Outcome::new(
                entry,
                refused.contains_key(&i).then_some("refused by the server"),
            );
            outcome.saved_to = saved_to;
            self.outcomes.push(outcome);
        }
        self.delete_entries(&to_delete)
    }

    /// Deletes messages known to be safe locally; a refusal undoes every deletion.
    fn delete_entries(&mut self, to_delete: &[Entry]) -> anyhow::Result<()> {
        if to_delete.is_empty() {
            return Ok(());
        }
        if let Err(err) = self.session.delete(to_delete) {
            if A::is_refusal(&err) {
                self.session
                    .undo_deletes()
                    .map_err(Into::into)
                    .context("undoing deletions after a refused DELE")?;
                self.marked = 0;
                for outcome in self.outcomes.iter_mut() {
                    outcome.marked = false;
                }
            }
            return Err(err.into())
                .context("deleting fetched messages (RSET sent: nothing was deleted)");
        }
        self.marked += to_delete.len();
        for outcome in self.outcomes.iter_mut() {
            outcome.marked |= to_delete.iter().any(|e| e.number == outcome.number);
        }
        Ok(())
    }
}

/// A batch for the commit thread: its entries, which of them arrived, and their bytes.
type CommitJob<'e> = (&'e [Entry], Vec<usize>, Vec<Pending>);

/// One batch, downloaded: which of its entries arrived (`indexes`, parallel to `pending`)
/// and which the server refused.
struct Batch {
    indexes: Vec<usize>,
    pending: Vec<Pending>,
    refused: HashMap<usize, String>,
}

/// The group commit of one batch: the messages durable and visible, then their identities
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
        .map_err(|err| Failure::new(Kind::LocalIo, err))
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
        output::warning(&format!("cleaning up an unfinished batch: {err}"));
    }
}

/// Receives one batch's messages into the target.
struct BatchSink<'a> {
    target: &'a Target,
    progress: &'a dyn Progress,
    pending: Vec<(usize, Pending)>,
    refused: HashMap<usize, String>,
    partial: Option<PathBuf>,
    done: &'a mut u64,
}

/// A message writer that reports progress as bytes arrive.
struct Counted<'a> {
    inner: Writer,
    progress: &'a dyn Progress,
}

impl Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.progress.bytes(n as u64);
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)?;
        self.progress.bytes(buf.len() as u64);
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
        self.progress.messages(*self.done);
        Ok(())
    }

    fn refused(&mut self, index: usize, text: &str) -> io::Result<()> {
        self.refused.insert(index, text.to_string());
        Ok(())
    }

    fn abandon(&mut self, writer: Counted<'a>) {
        let path = writer.inner.tmp_path().map(PathBuf::from);
        // Dropped first, so an mbox's buffered bytes are in the file before it is cut back.
        drop(writer);
        self.partial = None;
        if let Err(err) = self.target.drop_partial(path) {
            output::warning(&format!("removing a message not asked for: {err}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{fs, path::Path};

    use super::*;
    use crate::maildrop::{Maildir, Seen};

    #[derive(Debug, thiserror::Error)]
    enum FakeError {
        #[error("connection lost")]
        Dropped,
        #[error("-ERR no")]
        Refused,
    }

    impl From<FakeError> for Failure {
        fn from(err: FakeError) -> Failure {
            Failure::new(Kind::Temporary, err)
        }
    }

    /// A scripted mail server: its messages, what the client asked in order, and a check at
    /// every deletion that the message is already durable and recorded locally.
    struct Server<'a> {
        messages: Vec<(Entry, Vec<u8>)>,
        /// Drop the connection half-way through this message number.
        drop_at: Option<u32>,
        refuse_delete: bool,
        maildir: &'a Path,
        state: &'a Path,
        log: Vec<String>,
    }

    impl Server<'_> {
        fn entries(&self) -> Vec<Entry> {
            self.messages.iter().map(|(e, _)| e.clone()).collect()
        }

        fn listing(&self) -> Listing {
            Listing {
                entries: self.entries(),
                has_uidl: true,
                duplicates: HashSet::new(),
            }
        }

        fn saved_bodies(&self) -> Vec<Vec<u8>> {
            let mut bodies: Vec<Vec<u8>> = fs::read_dir(self.maildir.join("new"))
                .unwrap()
                .map(|f| fs::read(f.unwrap().path()).unwrap())
                .collect();
            bodies.sort();
            bodies
        }
    }

    fn numbers(entries: &[Entry]) -> String {
        let n: Vec<String> = entries.iter().map(|e| e.number.to_string()).collect();
        n.join(",")
    }

    impl MailAccess for Server<'_> {
        type Error = FakeError;

        fn listing(&mut self) -> anyhow::Result<Listing> {
            Ok(Server::listing(self))
        }

        fn retrieve<K: MessageSink>(
            &mut self,
            entries: &[Entry],
            _to_lf: bool,
            sink: &mut K,
        ) -> Result<(), FakeError> {
            self.log.push(format!("retrieve {}", numbers(entries)));
            for (index, entry) in entries.iter().enumerate() {
                let body = &self.messages[entry.number as usize - 1].1;
                let mut writer = sink.begin(index).unwrap();
                if self.drop_at == Some(entry.number) {
                    writer.write_all(&body[..body.len() / 2]).unwrap();
                    return Err(FakeError::Dropped);
                }
                writer.write_all(body).unwrap();
                sink.finish(index, writer, body.len() as u64).unwrap();
            }
            Ok(())
        }

        fn delete(&mut self, entries: &[Entry]) -> Result<(), FakeError> {
            self.log.push(format!("delete {}", numbers(entries)));
            let saved = self.saved_bodies();
            // The state file as a crash would leave it (the run holds its lock).
            let state = fs::read_to_string(self.state).unwrap_or_default();
            for entry in entries {
                let body = &self.messages[entry.number as usize - 1].1;
                assert!(
                    saved.contains(body),
                    "deleting {} before it is in new/",
                    entry.number
                );
                let uidl = entry.uidl.as_deref().unwrap();
                assert!(
                    state.lines().any(|l| l == format!("{uidl} {}", entry.size)),
                    "deleting {} before its UIDL is recorded",
                    entry.number
                );
            }
            if self.refuse_delete {
                return Err(FakeError::Refused);
            }
            Ok(())
        }

        fn is_refusal(err: &FakeError) -> bool {
            matches!(err, FakeError::Refused)
        }

        fn undo_deletes(&mut self) -> Result<(), FakeError> {
            self.log.push("undo".into());
            Ok(())
        }

        fn close(&mut self) -> Result<(), FakeError> {
            self.log.push("close".into());
            Ok(())
        }

        fn headers(&mut self, entries: &[Entry]) -> Result<Vec<Option<Vec<u8>>>, FakeError> {
            Ok(vec![None; entries.len()])
        }

        fn keep_alive(&mut self) -> Result<(), FakeError> {
            Ok(())
        }
    }

    fn server<'a>(maildir: &'a Path, state: &'a Path, count: u32) -> Server<'a> {
        let messages = (1..=count)
            .map(|n| {
                let body = format!("Subject: {n}\n\nmessage number {n}\n").into_bytes();
                let entry = Entry {
                    number: n,
                    size: body.len() as u64,
                    uidl: Some(format!("uid-{n}")),
                };
                (entry, body)
            })
            .collect();
        Server {
            messages,
            drop_at: None,
            refuse_delete: false,
            maildir,
            state,
            log: Vec::new(),
        }
    }

    /// Runs a fetch of every message into a Maildir with deletion, in batches of `batch`.
    fn run(server: &mut Server<'_>, batch: usize) -> (anyhow::Result<()>, Vec<Outcome>) {
        let target = Target::Maildir(Maildir::create(server.maildir).unwrap());
        let mut state = SeenState::open(server.state).unwrap();
        let listing = Server::listing(server);
        let chosen = server.entries();
        let delete: HashSet<u32> = chosen.iter().map(|e| e.number).collect();
        let mut outcomes = Vec::new();
        let plan = Plan {
            target: &target,
            state: Some(&mut state),
            listing: &listing,
            chosen: &chosen,
            delete: &delete,
            fetched_before: &[],
            batch,
            progress: &(),
        };
        let result = fetch(server, plan, &mut outcomes);
        (result, outcomes)
    }

    #[test]
    fn deletes_only_after_the_batch_is_durable_and_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let (maildir, state) = (dir.path().join("mail"), dir.path().join("state"));
        let mut server = server(&maildir, &state, 5);
        let (result, outcomes) = run(&mut server, 2);
        result.unwrap();
        assert_eq!(server.saved_bodies().len(), 5);
        let deleted: Vec<String> = server
            .log
            .iter()
            .filter(|l| l.starts_with("delete"))
            .cloned()
            .collect();
        assert_eq!(deleted, ["delete 1,2", "delete 3,4", "delete 5"]);
        assert_eq!(server.log.last().unwrap(), "close");
        assert!(outcomes.iter().all(|o| o.deleted && o.saved_to.is_some()));
    }

    #[test]
    fn a_drop_mid_batch_keeps_every_whole_message_and_leaves_no_trace_of_the_cut_one() {
        let dir = tempfile::tempdir().unwrap();
        let (maildir, state) = (dir.path().join("mail"), dir.path().join("state"));
        let mut server = server(&maildir, &state, 5);
        server.drop_at = Some(4);
        let (result, outcomes) = run(&mut server, 2);
        let err = result.unwrap_err();
        assert!(format!("{err:#}").contains("connection lost"), "{err:#}");
        assert_eq!(crate::exit::code_of(&err), Kind::Temporary.exit());
        // Batch 1 and message 3 (whole, before the drop in message 4) are durable and
        // recorded; message 4 left no trace; nothing of batch 2 was deleted, and the session
        // never ended, so the server deletes nothing.
        assert_eq!(server.saved_bodies().len(), 3);
        assert_eq!(fs::read_dir(maildir.join("tmp")).unwrap().count(), 0);
        assert!(!server.log.iter().any(|l| l == "close"));
        assert!(!server.log.iter().any(|l| l.contains("delete 3")));
        let state = SeenState::open(&state).unwrap();
        assert!(matches!(state.seen("uid-2", outcomes[1].size), Seen::Yes));
        assert!(matches!(state.seen("uid-3", outcomes[2].size), Seen::Yes));
        assert!(matches!(state.seen("uid-4", 1), Seen::No));
        assert!(outcomes[2].saved_to.is_some() && outcomes[3].saved_to.is_none());
        assert!(outcomes.iter().all(|o| !o.deleted));
    }

    #[test]
    fn a_server_that_always_drops_at_message_2_still_lets_message_1_through() {
        let dir = tempfile::tempdir().unwrap();
        let (maildir, state) = (dir.path().join("mail"), dir.path().join("state"));
        let mut server = server(&maildir, &state, 3);
        server.drop_at = Some(2);
        let (result, outcomes) = run(&mut server, 10);
        assert!(result.is_err());
        assert_eq!(
            server.saved_bodies(),
            [b"Subject: 1\n\nmessage number 1\n".to_vec()]
        );
        assert_eq!(fs::read_dir(maildir.join("tmp")).unwrap().count(), 0);
        assert_eq!(server.log, ["retrieve 1,2,3"]);
        let seen = SeenState::open(&state).unwrap();
        assert!(matches!(seen.seen("uid-1", outcomes[0].size), Seen::Yes));
        assert!(matches!(seen.seen("uid-2", outcomes[1].size), Seen::No));
    }

    #[test]
    fn a_refused_deletion_is_undone_and_nothing_counts_as_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let (maildir, state) = (dir.path().join("mail"), dir.path().join("state"));
        let mut server = server(&maildir, &state, 3);
        server.refuse_delete = true;
        let (result, outcomes) = run(&mut server, 10);
        let err = format!("{:#}", result.unwrap_err());
        assert!(err.contains("nothing was deleted"), "{err}");
        assert_eq!(server.log, ["retrieve 1,2,3", "delete 1,2,3", "undo"]);
        assert_eq!(server.saved_bodies().len(), 3);
        assert!(outcomes.iter().all(|o| !o.deleted));
    }

    #[test]
    fn one_message_reaches_the_writer_only_after_the_session_ends() {
        let dir = tempfile::tempdir().unwrap();
        let (maildir, state) = (dir.path().join("mail"), dir.path().join("state"));
        let mut server = server(&maildir, &state, 2);
        let mut out = Vec::new();
        let chosen = &server.entries()[1..];
        fetch_one(&mut server, chosen, &mut out).unwrap();
        assert_eq!(out, b"Subject: 2\n\nmessage number 2\n");
        assert_eq!(server.log, ["retrieve 2", "close"]);

        server.drop_at = Some(1);
        let mut out = Vec::new();
        let chosen = &server.entries()[..1];
        assert!(fetch_one(&mut server, chosen, &mut out).is_err());
        assert!(out.is_empty());
    }
}
