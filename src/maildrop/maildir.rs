//! Maildir delivery (the maildir(5) protocol): a message goes into `tmp/` under a unique name
//! with mode 0600, is made durable, then linked into `new/`, and `new/` is fsynced. Group
//! commit: a batch of files is created and written by several threads, made durable by one
//! syncfs(2) of the filesystem (instead of an fsync per file), linked, and `new/` is fsynced
//! once for the whole batch.
//!
//! Small messages wait in memory until their batch commits, within a fixed budget shared by
//! all messages in flight; a message that outgrows [`MEMORY_PER_MESSAGE`] or the budget is
//! streamed to its `tmp/` file at once, so memory never grows with message size.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, BufWriter, Write},
    os::unix::fs::{DirBuilderExt, OpenOptionsExt},
    path::{Path, PathBuf},
    sync::{
        Arc, Barrier, Mutex,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
        mpsc,
    },
    time::{SystemTime, UNIX_EPOCH},
};

use super::pool::Pool;
use crate::durable::sync_dir;

/// Threads that create, write and link a batch's files: file creation waits on directory
/// locks and the journal, not the CPU, so more threads than cores pays off.
const SYNC_THREADS: usize = 16;
/// The largest message kept in memory until its commit.
pub const MEMORY_PER_MESSAGE: usize = 1 << 20;
/// The memory all messages waiting for their commit may hold together.
pub const MEMORY_BUDGET: usize = 32 << 20;

/// A Maildir opened for delivery.
#[derive(Debug)]
pub struct Maildir {
    tmp: PathBuf,
    new: PathBuf,
    host: String,
    budget: Arc<AtomicUsize>,
    /// Whether `tmp/` supports unnamed files (Linux `O_TMPFILE`), see [`Maildir::commit`].
    anonymous: bool,
    /// The threads that commit batches, kept from one batch to the next.
    pool: Pool,
    /// Held during a commit: its threads wait for each other, so two commits must not share
    /// the pool at once.
    committing: Mutex<()>,
}

/// Bytes taken from the memory budget, given back when dropped.
#[derive(Debug)]
struct Reservation {
    budget: Arc<AtomicUsize>,
    bytes: usize,
}

impl Reservation {
    fn take(&mut self, n: usize) -> bool {
        let ok = self
            .budget
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |free| {
                free.checked_sub(n)
            })
            .is_ok();
        if ok {
            self.bytes += n;
        }
        ok
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.fetch_add(self.bytes, Ordering::AcqRel);
    }
}

#[derive(Debug)]
enum Body {
    Memory(Vec<u8>, Reservation),
    File(BufWriter<File>),
}

/// A message being received: in memory while small, else streamed to its `tmp/` file.
#[derive(Debug)]
pub struct TmpMessage {
    body: Body,
    name: String,
    path: PathBuf,
}

#[derive(Debug)]
enum Done {
    /// The bytes, and the budget they hold until the batch is written.
    Memory {
        bytes: Vec<u8>,
        _held: Reservation,
    },
    File(File),
}

/// A complete message waiting for the batch commit.
#[derive(Debug)]
pub struct Written {
    body: Done,
    name: String,
    path: PathBuf,
}

impl TmpMessage {
    /// Where the message is (or will be) in `tmp/`, to remove it if it is abandoned.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn spill(&mut self) -> io::Result<&mut BufWriter<File>> {
        if let Body::Memory(buffered, _) = &mut self.body {
            let buffered = std::mem::take(buffered);
            let mut file = BufWriter::with_capacity(256 * 1024, create_tmp(&self.path)?);
            file.write_all(&buffered)?;
            // Dropping the memory body gives its reservation back.
            self.body = Body::File(file);
        }
        match &mut self.body {
            Body::File(file) => Ok(file),
            Body::Memory(..) => Err(io::Error::other("message body not spilled")),
        }
    }
}

impl Write for TmpMessage {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf).map(|()| buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Body::Memory(buffered, reservation) = &mut self.body
            && buffered.len() + buf.len() <= MEMORY_PER_MESSAGE
            && reservation.take(buf.len())
        {
            buffered.extend_from_slice(buf);
            return Ok(());
        }
        self.spill()?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.body {
            Body::Memory(..) => Ok(()),
            Body::File(file) => file.flush(),
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Maildir {
    /// Opens (creating `tmp`, `new`, `cur` with mode 0700 if missing) the Maildir at `root`.
    pub fn create(root: &Path) -> io::Result<Maildir> {
        let mut builder = fs::DirBuilder::new();
        builder.mode(0o700).recursive(true);
        let mut created = false;
        for sub in ["tmp", "new", "cur"] {
            let dir = root.join(sub);
            if !dir.is_dir() {
                builder.create(&dir)?;
                created = true;
            }
        }
        if created {
            sync_dir(root)?;
            if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
        }
        // maildir(5): '/' and ':' in the host name are written as octal escapes.
        let host = gethostname::gethostname()
            .to_string_lossy()
            .replace('/', "\\057")
            .replace(':', "\\072");
        let tmp = root.join("tmp");
        let anonymous = anonymous_files_work(&tmp);
        Ok(Maildir {
            tmp,
            new: root.join("new"),
            host,
            budget: Arc::new(AtomicUsize::new(MEMORY_BUDGET)),
            anonymous,
            pool: Pool::new(),
            committing: Mutex::new(()),
        })
    }

    /// Starts a message under a name unique to this host, process and moment.
    pub fn begin(&self) -> io::Result<TmpMessage> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let name = format!(
            "{}.M{}P{}Q{}.{}",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            self.host
        );
        let path = self.tmp.join(&name);
        let reservation = Reservation {
            budget: self.budget.clone(),
            bytes: 0,
        };
        Ok(TmpMessage {
            body: Body::Memory(Vec::new(), reservation),
            name,
            path,
        })
    }

    /// Ends a complete message; it becomes durable and visible at [`Maildir::commit`].
    pub fn finish(&self, message: TmpMessage) -> io::Result<Written> {
        let TmpMessage { body, name, path } = message;
        let body = match body {
            Body::Memory(bytes, held) => Done::Memory { bytes, _held: held },
            Body::File(file) => {
                Done::File(file.into_inner().map_err(io::IntoInnerError::into_error)?)
            }
        };
        Ok(Written { body, name, path })
    }

    /// Makes a batch durable and visible, in phases so that no file operation waits behind
    /// a journal commit forced by another file's fsync: every message written into `tmp/`
    /// (if still in memory), then the filesystem synced once (syncfs), then each
    /// linked into `new/` (and removed from `tmp/`), then `new/` fsynced once. Each phase
    /// runs on several threads. Where the filesystem allows, a message held in memory is
    /// written to an unnamed file in `tmp/` (`O_TMPFILE`) that gets its only name when it is
    /// linked into `new/`: the same guarantee as a named `tmp/` file (readers never see a
    /// partial message), two directory updates fewer, and nothing left behind by a crash.
    /// Returns the paths in `new/`, in order. On error the caller deletes nothing, and no
    /// partial file is left in `tmp/`.
    pub fn commit(&self, batch: Vec<Written>) -> io::Result<Vec<PathBuf>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let _one_at_a_time = self
            .committing
            .lock()
            .map_err(|_| io::Error::other("an earlier commit panicked"))?;
        let batch = Arc::new(batch);
        let per_thread = batch.len().div_ceil(SYNC_THREADS);
        let parts = batch.len().div_ceil(per_thread);
        // One job per part on the Maildir's threads; a barrier separates the phases. A job
        // that fails raises `failed` and still passes every barrier, so none waits forever.
        let phases = Arc::new((AtomicBool::new(false), Barrier::new(parts)));
        let (done_tx, done_rx) = mpsc::channel();
        for index in 0..parts {
            let (batch, phases, done_tx) = (batch.clone(), phases.clone(), done_tx.clone());
            let tmp = self.anonymous.then(|| self.tmp.clone());
            let new = self.new.clone();
            let job = move || {
                let (failed, barrier) = (&phases.0, &phases.1);
                let range = index * per_thread..((index + 1) * per_thread).min(batch.len());
                let chunk = &batch[range];
                let result = (|| {
                    let phase = |result: io::Result<()>| {
                        if result.is_err() {
                            failed.store(true, Ordering::SeqCst);
                        }
                        barrier.wait();
                        result.and_then(|()| match failed.load(Ordering::SeqCst) {
                            true => Err(io::Error::other("another delivery thread failed")),
                            false => Ok(()),
                        })
                    };
                    let mut files = Vec::with_capacity(chunk.len());
                    let written = chunk.iter().try_for_each(|message| {
                        files.push(message.write_out(tmp.as_deref())?);
                        Ok(())
                    });
                    phase(written)?;
                    // One syncfs(2) makes every file of the batch durable at once: the
                    // group commit. Only the first job asks; the barrier makes the others
                    // wait for it before any file is linked into new/.
                    phase(match files.first() {
                        Some((file, _)) if index == 0 => sync_filesystem(file),
                        _ => Ok(()),
                    })?;
                    chunk
                        .iter()
                        .zip(&files)
                        .map(|(message, (file, unnamed))| link(&new, message, file, *unnamed))
                        .collect::<io::Result<Vec<PathBuf>>>()
                })();
                // The batch's memory goes back to the budget before the caller is told.
                drop(batch);
                let _ = done_tx.send((index, result));
            };
            // The first call starts every worker the parts need, so a failure to start one
            // comes before any job waits at the barrier.
            self.pool.run(parts, job)?;
        }
        drop(done_tx);
        let mut results: Vec<Option<io::Result<Vec<PathBuf>>>> = (0..parts).map(|_| None).collect();
        for (index, result) in done_rx {
            results[index] = Some(result);
        }
        let results = results.into_iter().map(|result| {
            result.unwrap_or_else(|| Err(io::Error::other("delivery thread panicked")))
        });
        let mut delivered = Vec::with_capacity(batch.len());
        let mut first_error = None;
        for result in results {
            match result {
                Ok(paths) => delivered.extend(paths),
                Err(err) => {
                    first_error.get_or_insert(err);
                }
            }
        }
        if let Some(err) = first_error {
            self.discard(batch.iter().map(|m| m.path.clone()));
            return Err(err);
        }
        sync_dir(&self.new)?;
        Ok(delivered)
    }

    /// Removes the `tmp/` files of a batch that will not be committed.
    pub fn discard(&self, paths: impl IntoIterator<Item = PathBuf>) {
        for path in paths {
            // Best effort: a leftover file in tmp/ is invisible to readers and harmless, and
            // a message still in memory has no file yet.
            let _ = fs::remove_file(path);
        }
    }
}

/// Gives a durable message its name in `new` (and removes its `tmp/` name, if any).
fn link(new: &Path, message: &Written, file: &File, unnamed: bool) -> io::Result<PathBuf> {
    let target = new.join(&message.name);
    if unnamed {
        link_unnamed(file, &target)?;
        return Ok(target);
    }
    match fs::hard_link(&message.path, &target) {
        Ok(()) => fs::remove_file(&message.path)?,
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => return Err(err),
        // Filesystems without hard links: rename is atomic too, and the unique name
        // cannot collide.
        Err(_) => fs::rename(&message.path, &target)?,
    }
    Ok(target)
}

impl Written {
    /// Where the message is (or will be) in `tmp/`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The message's file in `tmp/`, written out first if it was held in memory (unnamed
    /// when `unnamed_in` is given); the flag says whether it is unnamed.
    fn write_out(&self, unnamed_in: Option<&Path>) -> io::Result<(File, bool)> {
        match &self.body {
            Done::File(file) => Ok((file.try_clone()?, false)),
            Done::Memory { bytes, .. } => {
                let (mut file, unnamed) = match unnamed_in {
                    Some(dir) => (create_unnamed(dir)?, true),
                    None => (create_tmp(&self.path)?, false),
                };
                file.write_all(bytes)?;
                Ok((file, unnamed))
            }
        }
    }
}

/// An unnamed, private (0600) file in `dir` (Linux `O_TMPFILE`).
fn create_unnamed(dir: &Path) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::openat(
        rustix::fs::CWD,
        dir,
        OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    Ok(File::from(fd))
}

/// Flushes every dirty file of the filesystem holding `file` to stable storage and waits for
/// it (syncfs(2)): one call instead of an fsync per message, which is what makes a batch of
/// thousands of small messages durable in one journal commit.
pub(crate) fn sync_filesystem(file: &File) -> io::Result<()> {
    rustix::fs::syncfs(file)?;
    Ok(())
}

/// Gives an unnamed file its name (linkat through /proc/self/fd, which needs no privilege).
fn link_unnamed(file: &File, target: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let source = format!("/proc/self/fd/{}", file.as_raw_fd());
    rustix::fs::linkat(
        rustix::fs::CWD,
        source.as_str(),
        rustix::fs::CWD,
        target,
        rustix::fs::AtFlags::SYMLINK_FOLLOW,
    )?;
    Ok(())
}

/// Whether unnamed files can be created in `tmp` and linked to a name (Linux with /proc, on a
/// filesystem that supports `O_TMPFILE`).
fn anonymous_files_work(tmp: &Path) -> bool {
    let probe = tmp.join(format!(".mailkit-probe-{}", std::process::id()));
    let works = create_unnamed(tmp).and_then(|file| link_unnamed(&file, &probe));
    let _ = fs::remove_file(&probe);
    works.is_ok()
}

fn create_tmp(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn messages_move_from_tmp_to_new_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("inbox");
        let maildir = Maildir::create(&root).unwrap();
        let mut batch = Vec::new();
        for body in [&b"one\n"[..], b"two\n"] {
            let mut msg = maildir.begin().unwrap();
            msg.write_all(body).unwrap();
            batch.push(maildir.finish(msg).unwrap());
        }
        let tmp_paths: Vec<PathBuf> = batch.iter().map(|w| w.path().to_path_buf()).collect();
        let delivered = maildir.commit(batch).unwrap();
        assert_eq!(maildir.budget.load(Ordering::SeqCst), MEMORY_BUDGET);
        assert_eq!(fs::read(&delivered[0]).unwrap(), b"one\n");
        assert_eq!(fs::read(&delivered[1]).unwrap(), b"two\n");
        assert_ne!(delivered[0], delivered[1]);
        assert!(tmp_paths.iter().all(|p| !p.exists()));
        let mode = fs::metadata(&delivered[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(root.join("cur").is_dir());
        assert_eq!(fs::read_dir(root.join("tmp")).unwrap().count(), 0);
    }

    #[test]
    fn large_messages_stream_to_tmp_and_the_budget_is_returned() {
        let dir = tempfile::tempdir().unwrap();
        let maildir = Maildir::create(dir.path()).unwrap();
        let mut msg = maildir.begin().unwrap();
        let chunk = vec![b'a'; 64 * 1024];
        for _ in 0..(MEMORY_PER_MESSAGE / chunk.len() + 2) {
            msg.write_all(&chunk).unwrap();
        }
        assert!(
            msg.path().exists(),
            "spilled to tmp/ once over the per-message limit"
        );
        assert_eq!(maildir.budget.load(Ordering::SeqCst), MEMORY_BUDGET);
        let written = maildir.finish(msg).unwrap();
        let delivered = maildir.commit(vec![written]).unwrap();
        let len = fs::metadata(&delivered[0]).unwrap().len() as usize;
        assert_eq!(len, (MEMORY_PER_MESSAGE / chunk.len() + 2) * chunk.len());

        let mut abandoned = maildir.begin().unwrap();
        abandoned.write_all(b"partial").unwrap();
        assert!(maildir.budget.load(Ordering::SeqCst) < MEMORY_BUDGET);
        drop(abandoned);
        assert_eq!(maildir.budget.load(Ordering::SeqCst), MEMORY_BUDGET);
    }
}
