//! The queue directory and the only code that writes into it.
//!
//! ```text
//! <queue>/entries/<id>/message     the message, written once (CRLF lines, as sent in DATA)
//! <queue>/entries/<id>/state.json  envelope, route and delivery state (see entry.rs)
//! <queue>/entries/<id>/lock        flock(2)ed by whoever works on the message; it also holds
//!                                  the in-flight mark of a delivery under way
//! <queue>/tmp/<id>/                an entry being built, or being removed
//! <queue>/quarantine/<id>/         an entry that could not be read, with a `reason` file
//! ```
//!
//! An entry is built in `tmp/` (files fsynced, the directory fsynced) and then renamed into
//! `entries/` as a whole, which is then fsynced: a message is either fully queued or not at
//! all, whatever moment a crash or a full disk strikes. The state file is only ever replaced
//! by [`durable::replace`], the one function that makes a file durable: a temporary name,
//! fsync, rename into place, fsync of the directory.

use std::{
    fs::{self, OpenOptions},
    io::{self, Write},
    os::unix::fs::{DirBuilderExt, OpenOptionsExt},
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
    entries: PathBuf,
    tmp: PathBuf,
    quarantine: PathBuf,
}

/// An entry that is locked by this process, with its state as read under the lock.
#[derive(Debug)]
pub struct Locked {
    /// The entry id.
    pub id: String,
    /// Its state.
    pub state: State,
    /// The mark of a dead run's attempt that locking this entry settled, if any: its
    /// recipients are now uncertain.
    pub recovered: Option<InFlight>,
    lock: Lock,
}

impl Queue {
    /// Opens the queue at `root`, creating it (mode 0700: messages are private) if needed.
    pub fn open(root: &Path) -> Result<Queue, QueueError> {
        let queue = Queue {
            root: root.to_path_buf(),
            entries: root.join("entries"),
            tmp: root.join("tmp"),
            quarantine: root.join("quarantine"),
        };
        for dir in [&queue.entries, &queue.tmp, &queue.quarantine] {
            if !dir.is_dir() {
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(io_err("creating the queue directory", dir))?;
                sync_dir(root).map_err(io_err("syncing", root))?;
            }
        }
        Ok(queue)
    }

    /// Queues `message` with `state` and returns its id. Nothing is visible in the queue
    /// until both files and the directory are on disk; on any failure nothing is left
    /// behind (what a crash leaves in `tmp/` is removed by the next run).
    pub fn enqueue(&self, message: &[u8], state: &State) -> Result<String, QueueError> {
        let json = serde_json::to_vec_pretty(state).expect("a state always serializes");
        let (id, build) = loop {
            let id = new_id();
            let build = self.tmp.join(&id);
            match fs::DirBuilder::new().mode(0o700).create(&build) {
                Ok(()) => break (id, build),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(err) => return Err(io_err("creating an entry in", &self.tmp)(err)),
            }
        };
        let result = (|| {
            let _lock = lock::create_locked(&build.join("lock"))?;
            write_new(&build.join("message"), message)?;
            write_new(&build.join("state.json"), &json)?;
            sync_dir(&build)?;
            fs::rename(&build, self.entries.join(&id))?;
            sync_dir(&self.entries)
        })();
        if let Err(err) = result {
            let _ = fs::remove_dir_all(&build);
            return Err(io_err("writing the message into the queue", &self.root)(
                err,
            ));
        }
        Ok(id)
    }

    /// The ids of every entry, oldest first (ids sort by queue time).
    pub fn ids(&self) -> Result<Vec<String>, QueueError> {
        let mut ids: Vec<String> = fs::read_dir(&self.entries)
            .map_err(io_err("reading", &self.entries))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| is_valid_id(name))
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// Reads an entry's state without locking it (for lists; a concurrent writer replaces
    /// the file atomically, so what is read is always whole).
    pub fn load(&self, id: &str) -> Result<State, QueueError> {
        check_id(id)?;
        let dir = self.entries.join(id);
        let bytes = match fs::read(dir.join("state.json")) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                return Err(if dir.is_dir() {
                    QueueError::Corrupt {
                        id: id.into(),
                        reason: "its state file is missing".into(),
                    }
                } else {
                    QueueError::NoSuchEntry(id.into())
                });
            }
            Err(err) => return Err(io_err("reading", &dir)(err)),
        };
        let corrupt = |reason: String| QueueError::Corrupt {
            id: id.into(),
            reason,
        };
        let state: State = serde_json::from_slice(&bytes)
            .map_err(|err| corrupt(format!("its state file is not valid: {err}")))?;
        if state.version > VERSION {
            return Err(corrupt(format!(
                "it was written by a newer mailkit (format {})",
                state.version
            )));
        }
        if !dir.join("message").is_file() {
            return Err(corrupt("its message file is missing".into()));
        }
        Ok(state)
    }

    /// The message bytes of an entry.
    pub fn message(&self, id: &str) -> Result<Vec<u8>, QueueError> {
        check_id(id)?;
        let path = self.entries.join(id).join("message");
        fs::read(&path).map_err(|err| match err.kind() {
            io::ErrorKind::NotFound => QueueError::NoSuchEntry(id.into()),
            _ => io_err("reading", &path)(err),
        })
    }

    /// Locks an entry and reads its state under the lock; `Ok(None)` when another process
    /// holds it or it left the queue meanwhile. Whoever locks an entry first after a run
    /// died settles that run's in-flight mark.
    pub fn try_lock(&self, id: &str) -> Result<Option<Locked>, QueueError> {
        check_id(id)?;
        let dir = self.entries.join(id);
        let Some(lock) = lock::try_lock(&dir.join("lock")).map_err(io_err("locking", &dir))? else {
            return Ok(None);
        };
        // The lock file may have been opened just before another run removed the entry.
        let state = match self.load(id) {
            Ok(state) => state,
            Err(QueueError::NoSuchEntry(_)) => return Ok(None),
            Err(err) => return Err(err),
        };
        let mut entry = Locked {
            id: id.to_string(),
            state,
            recovered: None,
            lock,
        };
        self.settle_mark(&mut entry)?;
        Ok(Some(entry))
    }

    /// Locks an entry for a command that changes it (`hold`, `rm`, ...): a missing entry and
    /// one held by a run are errors a person can act on.
    pub fn lock(&self, id: &str) -> Result<Locked, QueueError> {
        check_id(id)?;
        if !self.entries.join(id).is_dir() {
            return Err(QueueError::NoSuchEntry(id.into()));
        }
        self.try_lock(id)?
            .ok_or_else(|| QueueError::Busy(id.into()))
    }

    /// Replaces a locked entry's state file with its state.
    pub fn save(&self, entry: &Locked) -> Result<(), QueueError> {
        let dir = self.entries.join(&entry.id);
        let json = serde_json::to_vec_pretty(&entry.state).expect("a state always serializes");
        durable::replace(&dir.join("state.json"), |out| out.write_all(&json))
            .map_err(io_err("updating", &dir))
    }

    /// Writes an entry's in-flight mark (in its lock file, without waiting for the disk:
    /// it only has to outlive this process).
    pub fn mark_in_flight(&self, entry: &Locked, flight: &InFlight) -> Result<(), QueueError> {
        let json = serde_json::to_vec(flight).expect("a mark always serializes");
        entry
            .lock
            .set_mark(&json)
            .map_err(io_err("marking", &self.entries.join(&entry.id)))
    }

    /// Removes an entry's in-flight mark, once what it stood for is recorded.
    pub fn clear_in_flight(&self, entry: &Locked) -> Result<(), QueueError> {
        entry
            .lock
            .set_mark(b"")
            .map_err(io_err("unmarking", &self.entries.join(&entry.id)))
    }

    /// Settles the mark a dead run left on a just-locked entry: if the attempt it names is
    /// not recorded, its recipients become uncertain (saved at once); either way the mark
    /// goes. A mark that cannot be read (cut short by a full disk) stands for every pending
    /// recipient.
    fn settle_mark(&self, entry: &mut Locked) -> Result<(), QueueError> {
        let dir = self.entries.join(&entry.id);
        let mark = entry.lock.mark().map_err(io_err("reading", &dir))?;
        if mark.is_empty() {
            return Ok(());
        }
        let flight = serde_json::from_slice::<InFlight>(&mark).unwrap_or_else(|_| InFlight {
            attempt: entry.state.attempts.saturating_add(1),
            at: 0,
            recipients: entry.state.pending(),
        });
        if flight.attempt > entry.state.attempts {
            entry.state.recover(&flight);
            self.save(entry)?;
            entry.recovered = Some(flight);
        }
        self.clear_in_flight(entry)
    }

    /// Takes a locked entry out of the queue, durably: renamed into `tmp/` (one atomic
    /// step), `entries/` fsynced, then deleted.
    pub fn remove(&self, entry: Locked) -> Result<(), QueueError> {
        let gone = self.retire(entry)?;
        self.sync_entries()?;
        let _ = fs::remove_dir_all(&gone);
        Ok(())
    }

    /// Takes a delivered entry out of the queue by renaming it into `tmp/`, and returns where
    /// it now is, for the caller to delete (a run does that on another thread, overlapping the
    /// file system's work with the network's). Not fsynced: an fsync of `entries/` per chunk
    /// waited, on a busy ext4, for every other file of the file system to reach the disk. A
    /// kill never brings the entry back; a power cut just after may, and the message is then
    /// sent again, as Postfix warns of its own queue.
    pub fn retire(&self, entry: Locked) -> Result<PathBuf, QueueError> {
        let dir = self.entries.join(&entry.id);
        let gone = self
            .tmp
            .join(format!("{}rm{:08x}", entry.id, fastrand::u32(..)));
        fs::rename(&dir, &gone).map_err(io_err("removing", &dir))?;
        Ok(gone)
    }

    /// fsyncs the entries directory: makes every removal since the last call durable at once.
    pub fn sync_entries(&self) -> Result<(), QueueError> {
        sync_dir(&self.entries).map_err(io_err("syncing", &self.entries))
    }

    /// Moves an unreadable entry aside into `quarantine/`, with the reason in a file, so that
    /// runs go on without it and a person can look at it. Skips an entry another process has
    /// locked (it may be being repaired or removed).
    pub fn quarantine(&self, id: &str, reason: &str) -> Result<Option<PathBuf>, QueueError> {
        check_id(id)?;
        let dir = self.entries.join(id);
        let Some(_lock) = lock::try_lock(&dir.join("lock")).map_err(io_err("locking", &dir))?
        else {
            if dir.join("lock").exists() {
                return Ok(None);
            }
            // No lock file at all: nothing can be holding it.
            return self.move_to_quarantine(id, &dir, reason).map(Some);
        };
        self.move_to_quarantine(id, &dir, reason).map(Some)
    }

    fn move_to_quarantine(
        &self,
        id: &str,
        dir: &Path,
        reason: &str,
    ) -> Result<PathBuf, QueueError> {
        let target = self.quarantine.join(id);
        fs::rename(dir, &target).map_err(io_err("quarantining", dir))?;
        let note = format!("{reason}\n");
        durable::replace(&target.join("reason"), |out| out.write_all(note.as_bytes()))
            .map_err(io_err("quarantining", &target))?;
        sync_dir(&self.quarantine).map_err(io_err("syncing", &self.quarantine))?;
        self.sync_entries()?;
        Ok(target)
    }

    /// Removes what crashed writers left in `tmp/` (entries half built or half removed),
    /// skipping any whose builder is still at work (it holds the entry's lock).
    pub fn clean_tmp(&self) {
        let Ok(dir) = fs::read_dir(&self.tmp) else {
            return;
        };
        for entry in dir.flatten() {
            let path = entry.path();
            // A builder creates its directory a moment before it locks it: a directory
            // without a lock file is left alone until it is clearly abandoned.
            let young = || {
                entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|age| age.as_secs() < 600))
            };
            let busy = match lock::try_lock(&path.join("lock")) {
                Ok(Some(_)) | Err(_) => false,
                Ok(None) => path.join("lock").exists() || young(),
            };
            if !busy {
                let _ = fs::remove_dir_all(&path);
            }
        }
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

/// Writes a new file in an entry being built, and fsyncs it; the directory is fsynced once,
/// by the caller, for all its files.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
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
    use crate::queue::entry::{Relay, Route};

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
        queue.save(&locked).unwrap();
        assert_eq!(queue.load(&id).unwrap().attempts, 3);
        queue.remove(locked).unwrap();
        assert!(queue.ids().unwrap().is_empty());
        assert!(matches!(queue.load(&id), Err(QueueError::NoSuchEntry(_))));
        assert_eq!(fs::read_dir(&queue.tmp).unwrap().count(), 0);
        let mode = fs::metadata(dir.path().join("q").join("entries")).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o700
        );
    }

    #[test]
    fn corrupt_entries_are_reported_and_quarantined() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::open(dir.path()).unwrap();
        let id = queue.enqueue(b"x", &state()).unwrap();
        fs::write(
            queue.entries.join(&id).join("state.json"),
            b"{\"version\": 1, trunc",
        )
        .unwrap();
        let err = queue.load(&id).unwrap_err();
        assert!(matches!(err, QueueError::Corrupt { .. }), "{err}");
        let moved = queue.quarantine(&id, &err.to_string()).unwrap().unwrap();
        assert!(queue.ids().unwrap().is_empty());
        let reason = fs::read_to_string(moved.join("reason")).unwrap();
        assert!(reason.contains("not valid"), "{reason}");
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
    fn leftovers_in_tmp_are_cleaned_unless_their_builder_is_alive() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::open(dir.path()).unwrap();
        let dead = queue.tmp.join("dead");
        fs::create_dir(&dead).unwrap();
        fs::write(dead.join("message"), b"half").unwrap();
        fs::File::create(dead.join("lock")).unwrap();
        let starting = queue.tmp.join("starting");
        fs::create_dir(&starting).unwrap();
        let alive = queue.tmp.join("alive");
        fs::create_dir(&alive).unwrap();
        let _held = lock::create_locked(&alive.join("lock")).unwrap();
        queue.clean_tmp();
        assert!(!dead.exists());
        assert!(alive.exists());
        assert!(starting.exists(), "a builder about to lock it");
    }
}
