//! The queue directory and the only code that writes into it.
//!
//! ```text
//! <queue>/messages/<id>          one file per message: a header line, the in-flight mark,
//!                                the state (one line of JSON, see entry.rs), then the message
//!                                (CRLF lines, as sent in DATA); flock(2)ed by whoever works
//!                                on it
//! <queue>/tmp/                   files being written, and delivered ones being deleted
//! <queue>/quarantine/<id>        an entry that could not be read, and <id>.reason
//! <queue>/entries/<id>/          the format before (a directory per message: message,
//!                                state.json, lock): moved into messages/ when the queue is
//!                                opened
//! ```
//!
//! One file per message keeps the file system's work per message small: on a disk, every
//! file created, fsynced and deleted costs block allocations, a discard and metadata writes,
//! and a message is queued, tried and removed as one file. The file is written under a
//! temporary name in `tmp/`, fsynced, renamed into `messages/`, and `messages/` fsynced
//! ([`Queue::write`], the one way an entry is written): a message is either fully queued or
//! not at all, whatever moment a crash or a full disk strikes, and a state change replaces
//! the whole file the same way. Removals are made durable by an fsync of `messages/`, once
//! per batch of removals ([`Queue::sync_entries`]).

use std::{
    fs,
    io::{self, BufWriter, Write},
    os::unix::fs::DirBuilderExt,
    path::{Path, PathBuf},
};

use super::{
    entry::{InFlight, State, VERSION},
    lock::{self, Lock},
};
use crate::{
    durable::{self, sync_dir},
    exit::{Failure, Kind},
};

/// The first line of every entry file: what it is, and its layout's version.
const MAGIC: &[u8] = b"mailkit-queue 2\n";

/// The room for the in-flight mark after the first line: a line of this many bytes (blanks
/// when there is no mark), so the mark is written in place without moving the rest.
const MARK_LEN: usize = 255;

/// Where the state's line starts.
const STATE_AT: usize = MAGIC.len() + MARK_LEN + 1;

/// Why a queue operation failed.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Reading or writing the queue directory failed (full disk, permissions).
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// No entry with this id.
    #[error("no message {0} in the queue (see `mailkit queue list`)")]
    NoSuchEntry(String),
    /// Another process is working on the entry.
    #[error("message {0} is being delivered or changed by another mailkit; try again shortly")]
    Busy(String),
    /// The entry's files cannot be read as an entry.
    #[error("queue entry {id} is corrupt: {reason}")]
    Corrupt {
        /// The entry.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A string that cannot be an id (ids are letters and digits).
    #[error("{0:?} is not a queue id (see `mailkit queue list`)")]
    BadId(String),
}

impl QueueError {
    /// The kind of failure, for the exit code.
    pub fn kind(&self) -> Kind {
        match self {
            QueueError::Io { source, .. } if source.kind() == io::ErrorKind::PermissionDenied => {
                Kind::CantCreate
            }
            QueueError::Io { .. } => Kind::LocalIo,
            QueueError::NoSuchEntry(_) => Kind::NotFound,
            QueueError::Busy(_) => Kind::Temporary,
            QueueError::Corrupt { .. } => Kind::BadInput,
            QueueError::BadId(_) => Kind::Usage,
        }
    }
}

impl From<QueueError> for Failure {
    fn from(err: QueueError) -> Self {
        Failure::new(err.kind(), err)
    }
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> QueueError + 'a {
    move |source| QueueError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// Whether `id` can name an entry: letters and digits only, so it can never escape the
/// queue directory.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A queue directory.
#[derive(Clone, Debug)]
pub struct Queue {
    root: PathBuf,
    messages: PathBuf,
    tmp: PathBuf,
    quarantine: PathBuf,
    /// `entries/` of the format before, while some entry in it could not be moved yet (an
    /// older mailkit held it): an id still there is not delivered from `messages/`.
    legacy: Option<PathBuf>,
}

/// An entry that is locked by this process, with its state and message as read under the
/// lock.
#[derive(Debug)]
pub struct Locked {
    /// The entry id.
    pub id: String,
    /// Its state.
    pub state: State,
    /// The message.
    pub message: Vec<u8>,
    /// The mark of a dead run's attempt that locking this entry settled, if any: its
    /// recipients are now uncertain.
    pub recovered: Option<InFlight>,
    lock: Lock,
}

/// An entry file's parts.
struct Parts {
    mark: Vec<u8>,
    state: State,
    message_at: usize,
}

/// Reads an entry file's bytes; the error says what is wrong, for the quarantine's reason.
fn decode(bytes: &[u8]) -> Result<Parts, String> {
    if !bytes.starts_with(MAGIC) {
        return Err(if bytes.starts_with(b"mailkit-queue ") {
            "it was written by a newer mailkit (another entry format)".into()
        } else {
            "it does not start with the queue's header line".into()
        });
    }
    if bytes.len() < STATE_AT || bytes[STATE_AT - 1] != b'\n' {
        return Err("it is cut short in its header".into());
    }
    let mark = bytes[MAGIC.len()..STATE_AT - 1].trim_ascii().to_vec();
    let end = bytes[STATE_AT..]
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("its state is cut short")?;
    let state = parse_state(&bytes[STATE_AT..STATE_AT + end])?;
    Ok(Parts {
        mark,
        state,
        message_at: STATE_AT + end + 1,
    })
}

/// Reads a state's JSON (an entry's line, or a `state.json` of the format before).
pub(super) fn parse_state(json: &[u8]) -> Result<State, String> {
    let state: State =
        serde_json::from_slice(json).map_err(|err| format!("its state is not valid: {err}"))?;
    if state.version > VERSION {
        return Err(format!(
            "it was written by a newer mailkit (format {})",
            state.version
        ));
    }
    Ok(state)
}

/// An in-flight mark as it is written into its room: the recipients' indexes if they fit,
/// else a mark standing for every pending recipient.
fn mark_bytes(flight: &InFlight) -> Vec<u8> {
    let mut json = serde_json::to_vec(flight).expect("a mark always serializes");
    if json.len() > MARK_LEN {
        let every = InFlight {
            recipients: Vec::new(),
            every_pending: true,
            ..flight.clone()
        };
        json = serde_json::to_vec(&every).expect("a mark always serializes");
    }
    json.resize(MARK_LEN, b' ');
    json
}

impl Queue {
    /// Opens the queue at `root`, creating it (mode 0700: messages are private) if needed,
    /// and moves entries of the format before into the current one.
    pub fn open(root: &Path) -> Result<Queue, QueueError> {
        let mut queue = Queue {
            root: root.to_path_buf(),
            messages: root.join("messages"),
            tmp: root.join("tmp"),
            quarantine: root.join("quarantine"),
            legacy: None,
        };
        for dir in [&queue.messages, &queue.tmp, &queue.quarantine] {
            if !dir.is_dir() {
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(io_err("creating the queue directory", dir))?;
                sync_dir(root).map_err(io_err("syncing", root))?;
            }
        }
        let legacy = root.join("entries");
        if legacy.is_dir() {
            super::legacy::migrate(&queue, &legacy)?;
            queue.legacy = Some(legacy).filter(|dir| dir.is_dir());
        }
        Ok(queue)
    }

    /// Writes an entry file in `tmp/`, fsynced and locked, and renames it to `messages/<id>`
    /// (replacing the entry, or only if there is none), then fsyncs `messages/`: the one way
    /// an entry is written. Returns the lock of the new file; on failure nothing is left.
    fn write(
        &self,
        id: &str,
        mark: &[u8],
        state: &State,
        message: &[u8],
        replace: bool,
    ) -> io::Result<Lock> {
        let build = self.tmp.join(format!(
            "b{id}.{}.{:08x}",
            std::process::id(),
            fastrand::u32(..)
        ));
        let lock = lock::create_locked(&build)?;
        let target = self.messages.join(id);
        let result = (|| {
            let mut out = BufWriter::with_capacity(64 * 1024, lock.file());
            out.write_all(MAGIC)?;
            let mut room = mark.to_vec();
            room.resize(MARK_LEN, b' ');
            out.write_all(&room)?;
            out.write_all(b"\n")?;
            serde_json::to_writer(&mut out, state)?;
            out.write_all(b"\n")?;
            out.write_all(message)?;
            out.flush()?;
            drop(out);
            lock.file().sync_all()?;
            if replace {
                fs::rename(&build, &target)
            } else {
                rustix::fs::renameat_with(
                    rustix::fs::CWD,
                    &build,
                    rustix::fs::CWD,
                    &target,
                    rustix::fs::RenameFlags::NOREPLACE,
                )
                .map_err(io::Error::from)
            }
        })();
        if let Err(err) = result {
            let _ = fs::remove_file(&build);
            return Err(err);
        }
        if let Err(err) = sync_dir(&self.messages) {
            // A new entry that may not survive a crash is taken back, so that the failure
            // reported means "not queued"; a replacement stays (its old state is gone).
            if !replace {
                let _ = fs::remove_file(&target);
            }
            return Err(err);
        }
        Ok(lock)
    }

    /// Queues `message` with `state` and returns its id. Nothing is visible in the queue
    /// until the file and the directory are on disk; on any failure nothing is left behind
    /// (what a crash leaves in `tmp/` is removed by the next run).
    pub fn enqueue(&self, message: &[u8], state: &State) -> Result<String, QueueError> {
        self.enqueue_marked(message, state, b"")
    }

    /// Queues `message` with `state` and an in-flight `mark` (moving an entry of the old
    /// format keeps its mark).
    pub(super) fn enqueue_marked(
        &self,
        message: &[u8],
        state: &State,
        mark: &[u8],
    ) -> Result<String, QueueError> {
        loop {
            let id = new_id();
            match self.write(&id, mark, state, message, false) {
                Ok(_) => return Ok(id),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(err) => {
                    return Err(io_err("writing the message into the queue", &self.root)(
                        err,
                    ));
                }
            }
        }
    }

    /// Puts an entry of the format before into `messages/` under its own id, with its mark;
    /// `Ok(false)` when an entry of that id is there already (moved before a crash).
    pub(super) fn adopt(
        &self,
        id: &str,
        message: &[u8],
        state: &State,
        mark: &[u8],
    ) -> Result<bool, QueueError> {
        let mark = if mark.len() > MARK_LEN {
            let flight = serde_json::from_slice::<InFlight>(mark).unwrap_or(InFlight {
                attempt: state.attempts.saturating_add(1),
                at: 0,
                recipients: Vec::new(),
                every_pending: true,
            });
            mark_bytes(&flight)
        } else {
            mark.to_vec()
        };
        match self.write(id, &mark, state, message, false) {
            Ok(_) => Ok(true),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(false),
            Err(err) => Err(io_err("moving an entry into", &self.messages)(err)),
        }
    }

    /// The ids of every entry, oldest first (ids sort by queue time).
    pub fn ids(&self) -> Result<Vec<String>, QueueError> {
        let mut ids: Vec<String> = fs::read_dir(&self.messages)
            .map_err(io_err("reading", &self.messages))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| is_valid_id(name))
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    fn read(&self, id: &str) -> Result<Vec<u8>, QueueError> {
        check_id(id)?;
        let path = self.messages.join(id);
        fs::read(&path).map_err(|err| match err.kind() {
            io::ErrorKind::NotFound => QueueError::NoSuchEntry(id.into()),
            _ => io_err("reading", &path)(err),
        })
    }

    /// Reads an entry's state without locking it (for lists; a writer replaces the file
    /// atomically, so what is read is always whole).
    pub fn load(&self, id: &str) -> Result<State, QueueError> {
        let bytes = self.read(id)?;
        decode(&bytes)
            .map(|parts| parts.state)
            .map_err(|reason| corrupt(id, reason))
    }

    /// The message bytes of an entry.
    pub fn message(&self, id: &str) -> Result<Vec<u8>, QueueError> {
        let mut bytes = self.read(id)?;
        let at = decode(&bytes)
            .map_err(|reason| corrupt(id, reason))?
            .message_at;
        Ok(bytes.split_off(at))
    }

    /// Locks an entry and reads it under the lock; `Ok(None)` when another process holds it
    /// or it left the queue meanwhile. Whoever locks an entry first after a run died settles
    /// that run's in-flight mark.
    pub fn try_lock(&self, id: &str) -> Result<Option<Locked>, QueueError> {
        check_id(id)?;
        if let Some(legacy) = &self.legacy
            && legacy.join(id).exists()
        {
            return Ok(None);
        }
        let path = self.messages.join(id);
        let Some(lock) = lock::try_lock(&path).map_err(io_err("locking", &path))? else {
            return Ok(None);
        };
        let mut bytes = lock.read_all().map_err(io_err("reading", &path))?;
        let parts = decode(&bytes).map_err(|reason| corrupt(id, reason))?;
        let mut entry = Locked {
            id: id.to_string(),
            state: parts.state,
            message: bytes.split_off(parts.message_at),
            recovered: None,
            lock,
        };
        self.settle_mark(&mut entry, &parts.mark)?;
        Ok(Some(entry))
    }

    /// Locks an entry for a command that changes it (`hold`, `rm`, ...): a missing entry and
    /// one held by a run are errors a person can act on.
    pub fn lock(&self, id: &str) -> Result<Locked, QueueError> {
        check_id(id)?;
        if !self.messages.join(id).is_file() {
            return Err(QueueError::NoSuchEntry(id.into()));
        }
        self.try_lock(id)?
            .ok_or_else(|| QueueError::Busy(id.into()))
    }

    /// Replaces a locked entry's file with its state (and no in-flight mark: what the mark
    /// stood for is now recorded); the entry stays locked.
    pub fn save(&self, entry: &mut Locked) -> Result<(), QueueError> {
        let lock = self
            .write(&entry.id, b"", &entry.state, &entry.message, true)
            .map_err(io_err("updating", &self.messages.join(&entry.id)))?;
        entry.lock = lock;
        Ok(())
    }

    /// Writes an entry's in-flight mark, in place, without waiting for the disk: it only has
    /// to outlive this process.
    pub fn mark_in_flight(&self, entry: &Locked, flight: &InFlight) -> Result<(), QueueError> {
        entry
            .lock
            .write_at(&mark_bytes(flight), MAGIC.len() as u64)
            .map_err(io_err("marking", &self.messages.join(&entry.id)))
    }

    /// Settles the mark a dead run left on a just-locked entry: if the attempt it names is
    /// not recorded, its recipients become uncertain (saved at once, which drops the mark);
    /// an older mark is blanked. A mark that cannot be read stands for every pending
    /// recipient.
    fn settle_mark(&self, entry: &mut Locked, mark: &[u8]) -> Result<(), QueueError> {
        if mark.is_empty() {
            return Ok(());
        }
        let flight = serde_json::from_slice::<InFlight>(mark).unwrap_or_else(|_| InFlight {
            attempt: entry.state.attempts.saturating_add(1),
            at: 0,
            recipients: Vec::new(),
            every_pending: true,
        });
        if flight.attempt > entry.state.attempts {
            entry.state.recover(&flight);
            self.save(entry)?;
            entry.recovered = Some(flight);
            return Ok(());
        }
        entry
            .lock
            .write_at(&[b' '; MARK_LEN], MAGIC.len() as u64)
            .map_err(io_err("unmarking", &self.messages.join(&entry.id)))
    }

    /// Takes a locked entry out of the queue, durably: renamed into `tmp/` (one atomic
    /// step), `messages/` fsynced, then deleted.
    pub fn remove(&self, entry: Locked) -> Result<(), QueueError> {
        let gone = self.retire(entry)?;
        self.sync_entries()?;
        let _ = fs::remove_file(&gone);
        Ok(())
    }

    /// Takes a delivered entry out of the queue by renaming it into `tmp/` (still locked, so
    /// no other run can take it meanwhile), and returns where it now is, for the caller to
    /// delete (a run does that on other threads, overlapping the disk's work with the
    /// network's). Durable only after the next [`Queue::sync_entries`], which the caller
    /// makes once for a batch of removals.
    pub fn retire(&self, entry: Locked) -> Result<PathBuf, QueueError> {
        let path = self.messages.join(&entry.id);
        let gone = self
            .tmp
            .join(format!("r{}.{:08x}", entry.id, fastrand::u32(..)));
        fs::rename(&path, &gone).map_err(io_err("removing", &path))?;
        Ok(gone)
    }

    /// fsyncs `messages/`: makes every removal since the last call durable at once, so a
    /// power cut cannot bring a delivered message back to be sent again.
    pub fn sync_entries(&self) -> Result<(), QueueError> {
        sync_dir(&self.messages).map_err(io_err("syncing", &self.messages))
    }

    /// Moves an unreadable entry aside into `quarantine/`, with the reason in `<id>.reason`,
    /// so that runs go on without it and a person can look at it. Skips an entry another
    /// process has locked (it may be being repaired or removed).
    pub fn quarantine(&self, id: &str, reason: &str) -> Result<Option<PathBuf>, QueueError> {
        check_id(id)?;
        let path = self.messages.join(id);
        let Some(_lock) = lock::try_lock(&path).map_err(io_err("locking", &path))? else {
            return Ok(None);
        };
        self.move_to_quarantine(id, &path, reason).map(Some)
    }

    /// Moves `from` (an entry file, or a directory of the format before) to
    /// `quarantine/<id>` and writes the reason beside it.
    pub(super) fn move_to_quarantine(
        &self,
        id: &str,
        from: &Path,
        reason: &str,
    ) -> Result<PathBuf, QueueError> {
        let target = self.quarantine.join(id);
        fs::rename(from, &target).map_err(io_err("quarantining", from))?;
        let note = format!("{reason}\n");
        let why = self.quarantine.join(format!("{id}.reason"));
        durable::replace(&why, |out| out.write_all(note.as_bytes()))
            .map_err(io_err("quarantining", &target))?;
        if let Some(parent) = from.parent() {
            sync_dir(parent).map_err(io_err("syncing", parent))?;
        }
        Ok(target)
    }

    /// Where entries being moved out or deleted go.
    pub(super) fn tmp(&self) -> &Path {
        &self.tmp
    }

    /// Removes what crashed writers left in `tmp/` (files half written, entries half
    /// removed), skipping files whose writer is still alive.
    pub fn clean_tmp(&self) {
        let Ok(dir) = fs::read_dir(&self.tmp) else {
            return;
        };
        for entry in dir.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                super::legacy::clean(&entry);
                continue;
            }
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // b<id>.<pid>.<random>: being written by process <pid>.
            let writer = name
                .strip_prefix('b')
                .and_then(|rest| rest.split('.').nth(1))
                .and_then(|pid| pid.parse::<u32>().ok());
            let alive = writer.is_some_and(|pid| Path::new("/proc").join(pid.to_string()).exists());
            if !alive {
                let _ = fs::remove_file(&path);
            }
        }
    }
}

fn corrupt(id: &str, reason: String) -> QueueError {
    QueueError::Corrupt {
        id: id.into(),
        reason,
    }
}

fn check_id(id: &str) -> Result<(), QueueError> {
    if is_valid_id(id) {
        Ok(())
    } else {
        Err(QueueError::BadId(
            crate::output::escape_line(id).into_owned(),
        ))
    }
}

/// A new entry id: the time in microseconds and a random suffix, in hex, so that ids sort by
/// queue time and two processes queueing in the same microsecond still differ.
fn new_id() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    format!("{micros:013x}{:04x}", fastrand::u16(..))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::entry::{RcptStatus, Relay, Route};

    fn state() -> State {
        let envelope = crate::smtp::Envelope {
            from: "a@x.test".into(),
            recipients: vec!["b@y.test".into()],
            dsn: Default::default(),
        };
        let route = Route {
            relay: Some(Relay {
                host: "relay.test".into(),
                port: 25,
            }),
            mx_port: 25,
            tls: crate::net::TlsMode::None,
            account: None,
            user: None,
            secret: None,
            auth: None,
            ca_file: None,
            insecure_skip_tls_verify: false,
            allow_cleartext_auth: false,
            ehlo: None,
            dns_server: None,
            timeout: 5,
        };
        State::new(&envelope, None, route, 1000)
    }

    #[test]
    fn enqueue_load_save_remove() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::open(&dir.path().join("q")).unwrap();
        let id = queue
            .enqueue(b"Subject: x\r\n\r\nhi\r\n", &state())
            .unwrap();
        assert!(is_valid_id(&id));
        assert_eq!(queue.ids().unwrap(), std::slice::from_ref(&id));
        assert_eq!(queue.load(&id).unwrap(), state());
        assert_eq!(queue.message(&id).unwrap(), b"Subject: x\r\n\r\nhi\r\n");
        let mut locked = queue.lock(&id).unwrap();
        assert!(queue.try_lock(&id).unwrap().is_none(), "locked twice");
        assert!(matches!(queue.lock(&id), Err(QueueError::Busy(_))));
        locked.state.attempts = 3;
        queue.save(&mut locked).unwrap();
        assert!(queue.try_lock(&id).unwrap().is_none(), "unlocked by a save");
        assert_eq!(queue.load(&id).unwrap().attempts, 3);
        assert_eq!(queue.message(&id).unwrap(), b"Subject: x\r\n\r\nhi\r\n");
        queue.remove(locked).unwrap();
        assert!(queue.ids().unwrap().is_empty());
        assert!(matches!(queue.load(&id), Err(QueueError::NoSuchEntry(_))));
        assert_eq!(fs::read_dir(&queue.tmp).unwrap().count(), 0);
        let mode = fs::metadata(dir.path().join("q").join("messages")).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o700
        );
    }

    #[test]
    fn a_mark_left_by_a_dead_holder_makes_its_recipients_uncertain() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::open(dir.path()).unwrap();
        let many = crate::smtp::Envelope {
            from: "a@x.test".into(),
            recipients: (0..100).map(|i| format!("r{i}@y.test")).collect(),
            dsn: Default::default(),
        };
        let mut states = [state(), State::new(&many, None, state().route, 1000)];
        for (n, st) in states.iter_mut().enumerate() {
            let id = queue.enqueue(b"x", st).unwrap();
            let entry = queue.lock(&id).unwrap();
            let all: Vec<usize> = (0..st.recipients.len()).collect();
            let flight = InFlight {
                attempt: 1,
                at: 5,
                recipients: all,
                every_pending: false,
            };
            assert_eq!(mark_bytes(&flight).len(), MARK_LEN);
            queue.mark_in_flight(&entry, &flight).unwrap();
            drop(entry); // as a SIGKILL would
            let entry = queue.lock(&id).unwrap();
            assert!(entry.recovered.is_some(), "{n}");
            assert!(
                entry
                    .state
                    .recipients
                    .iter()
                    .all(|r| r.status == RcptStatus::Uncertain),
                "{n}"
            );
            drop(entry);
            assert!(
                queue.lock(&id).unwrap().recovered.is_none(),
                "{n}: settled once"
            );
            assert_eq!(queue.message(&id).unwrap(), b"x");
        }
    }

    #[test]
    fn corrupt_entries_are_reported_and_quarantined() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::open(dir.path()).unwrap();
        for cut in [STATE_AT + 20, 10, 0] {
            let id = queue.enqueue(b"x", &state()).unwrap();
            let path = queue.messages.join(&id);
            let mut bytes = fs::read(&path).unwrap();
            bytes.truncate(cut);
            fs::write(&path, bytes).unwrap();
            let err = queue.load(&id).unwrap_err();
            assert!(matches!(err, QueueError::Corrupt { .. }), "{err}");
            let moved = queue.quarantine(&id, &err.to_string()).unwrap().unwrap();
            assert!(queue.ids().unwrap().is_empty());
            assert!(moved.is_file());
            let reason = fs::read_to_string(queue.quarantine.join(format!("{id}.reason"))).unwrap();
            assert!(
                reason.contains("cut short") || reason.contains("header"),
                "{reason}"
            );
        }
    }

    #[test]
    fn ids_cannot_escape_the_queue() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::open(dir.path()).unwrap();
        for bad in ["", "../x", "a/b", ".", "a b"] {
            assert!(
                matches!(queue.load(bad), Err(QueueError::BadId(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn leftovers_in_tmp_are_cleaned_unless_their_writer_is_alive() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::open(dir.path()).unwrap();
        let mine = queue
            .tmp
            .join(format!("b1a.{}.0000000f", std::process::id()));
        fs::write(&mine, b"half").unwrap();
        let dead = queue.tmp.join(format!("b1b.{}.0000000f", u32::MAX - 1));
        fs::write(&dead, b"half").unwrap();
        let retired = queue.tmp.join("r1c.00000001");
        fs::write(&retired, b"sent").unwrap();
        let old_dead = queue.tmp.join("olddead");
        fs::create_dir(&old_dead).unwrap();
        fs::File::create(old_dead.join("lock")).unwrap();
        let old_starting = queue.tmp.join("oldstarting");
        fs::create_dir(&old_starting).unwrap();
        queue.clean_tmp();
        assert!(mine.exists(), "a live writer's file");
        assert!(!dead.exists());
        assert!(!retired.exists());
        assert!(!old_dead.exists());
        assert!(old_starting.exists(), "an older builder about to lock it");
    }

    /// The format before: `entries/<id>/{message,state.json,lock}`.
    fn legacy_entry(root: &Path, id: &str, state: &State, mark: &[u8]) {
        let dir = root.join("entries").join(id);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("message"), b"Subject: old\r\n\r\nold\r\n").unwrap();
        fs::write(
            dir.join("state.json"),
            serde_json::to_vec_pretty(state).unwrap(),
        )
        .unwrap();
        fs::write(dir.join("lock"), mark).unwrap();
    }

    #[test]
    fn entries_of_the_format_before_are_moved_with_their_marks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        legacy_entry(root, "0001", &state(), b"");
        let flight = InFlight {
            attempt: 1,
            at: 7,
            recipients: vec![0],
            every_pending: false,
        };
        legacy_entry(
            root,
            "0002",
            &state(),
            &serde_json::to_vec(&flight).unwrap(),
        );
        legacy_entry(root, "0003", &state(), b"");
        fs::write(root.join("entries/0003/state.json"), b"{\"version\": 1, tr").unwrap();
        legacy_entry(root, "0004", &state(), b"");
        let held = lock::try_lock(&root.join("entries/0001/lock"))
            .unwrap()
            .unwrap();
        let queue = Queue::open(root).unwrap();
        assert!(root.join("entries/0001").is_dir(), "left to its holder");
        assert!(queue.try_lock("0001").unwrap().is_none());
        // A move cut short by a crash after the new copy was written: only the old one goes.
        let mut stale = state();
        stale.attempts = 9;
        legacy_entry(root, "0004", &stale, b"");
        drop(held);
        let queue = Queue::open(root).unwrap();
        assert!(!root.join("entries").exists());
        assert_eq!(queue.ids().unwrap(), ["0001", "0002", "0004"]);
        assert_eq!(queue.load("0001").unwrap(), state());
        assert_eq!(queue.load("0004").unwrap().attempts, 0, "moved twice");
        assert_eq!(
            queue.message("0001").unwrap(),
            b"Subject: old\r\n\r\nold\r\n"
        );
        let recovered = queue.lock("0002").unwrap();
        assert_eq!(recovered.recovered, Some(flight));
        assert_eq!(recovered.state.recipients[0].status, RcptStatus::Uncertain);
        assert!(queue.quarantine.join("0003").is_dir());
        assert!(queue.quarantine.join("0003.reason").is_file());
    }
}
