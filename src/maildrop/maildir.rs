//! Maildir delivery (the maildir(5) protocol): a message goes into `tmp/` under a unique name
//! with mode 0600, is fsynced, then linked into `new/`, and `new/` is fsynced. Group commit: a
//! batch of files is created, written and fsynced together by several threads (so the
//! journal merges the flushes and file creation leaves the download's critical path), and
//! `new/` is fsynced once for the whole batch.
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
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use super::sync_dir;

/// Threads that create, write and fsync a batch's files: fsync waits on the device, not the
/// CPU, so more threads than cores pays off (measured on ext4: 16 threads ~4x one).
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
        Ok(Maildir {
            tmp: root.join("tmp"),
            new: root.join("new"),
            host,
            budget: Arc::new(AtomicUsize::new(MEMORY_BUDGET)),
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

    /// Makes a batch durable and visible: every file written (if still in memory) and
    /// fsynced, then linked into `new/` (and removed from `tmp/`), by several threads; then
    /// `new/` fsynced once. Returns the paths in `new/`, in order. On error the caller
    /// deletes nothing.
    pub fn commit(&self, batch: Vec<Written>) -> io::Result<Vec<PathBuf>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let per_thread = batch.len().div_ceil(SYNC_THREADS);
        let delivered = std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .chunks(per_thread)
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk
                            .iter()
                            .map(|m| self.deliver(m))
                            .collect::<io::Result<Vec<PathBuf>>>()
                    })
                })
                .collect();
            let mut delivered = Vec::with_capacity(batch.len());
            for handle in handles {
                let paths = handle
                    .join()
                    .unwrap_or_else(|_| Err(io::Error::other("delivery thread panicked")))?;
                delivered.extend(paths);
            }
            Ok::<_, io::Error>(delivered)
        })?;
        sync_dir(&self.new)?;
        Ok(delivered)
    }

    /// One message: durable in `tmp/`, then linked into `new/` (maildir(5) order).
    fn deliver(&self, message: &Written) -> io::Result<PathBuf> {
        if let Err(err) = message.write_and_sync() {
            // A partial file (disk full) must not linger; tmp/ is ours to clean.
            let _ = fs::remove_file(&message.path);
            return Err(err);
        }
        let target = self.new.join(&message.name);
        match fs::hard_link(&message.path, &target) {
            Ok(()) => fs::remove_file(&message.path)?,
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => return Err(err),
            // Filesystems without hard links: rename is atomic too, and the unique name
            // cannot collide.
            Err(_) => fs::rename(&message.path, &target)?,
        }
        Ok(target)
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

impl Written {
    /// Where the message is (or will be) in `tmp/`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_and_sync(&self) -> io::Result<()> {
        match &self.body {
            Done::File(file) => file.sync_all(),
            Done::Memory { bytes, .. } => {
                let mut file = create_tmp(&self.path)?;
                file.write_all(bytes)?;
                file.sync_all()
            }
        }
    }
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
