//! Maildir delivery (the maildir(5) protocol): write into `tmp/` under a unique name with mode
//! 0600, fsync, link into `new/`, fsync `new/`. Group commit: a batch of files is fsynced
//! together (in parallel, so the journal merges them) and `new/` once for the whole batch.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, BufWriter, Write},
    os::unix::fs::{DirBuilderExt, OpenOptionsExt},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use super::sync_dir;

/// Threads used to fsync a batch: enough to keep the device queue busy, few enough for a
/// small machine.
const SYNC_THREADS: usize = 8;

/// A Maildir opened for delivery.
#[derive(Debug)]
pub struct Maildir {
    tmp: PathBuf,
    new: PathBuf,
    host: String,
}

/// A message written to `tmp/` but not yet durable nor visible.
#[derive(Debug)]
pub struct TmpMessage {
    file: BufWriter<File>,
    name: String,
    path: PathBuf,
}

/// A message whose bytes are complete in `tmp/`, waiting for the batch commit.
#[derive(Debug)]
pub struct Written {
    file: File,
    name: String,
    path: PathBuf,
}

impl Write for TmpMessage {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
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
        let host = gethostname::gethostname()
            .to_string_lossy()
            .replace('/', "\\057")
            .replace(':', "\\072");
        Ok(Maildir {
            tmp: root.join("tmp"),
            new: root.join("new"),
            host,
        })
    }

    /// Starts a message in `tmp/` under a name unique to this host, process and moment.
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
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        Ok(TmpMessage {
            file: BufWriter::with_capacity(64 * 1024, file),
            name,
            path,
        })
    }

    /// Flushes a complete message; it stays in `tmp/` until [`Maildir::commit`].
    pub fn finish(&self, message: TmpMessage) -> io::Result<Written> {
        let TmpMessage { file, name, path } = message;
        let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        Ok(Written { file, name, path })
    }

    /// Makes a batch durable and visible: fsync every file, link each into `new/` (then
    /// remove it from `tmp/`), fsync `new/` once. Returns the paths in `new/`, in order.
    /// On error nothing of the batch may be relied on; the caller deletes nothing.
    pub fn commit(&self, batch: Vec<Written>) -> io::Result<Vec<PathBuf>> {
        sync_all_parallel(&batch)?;
        let mut delivered = Vec::with_capacity(batch.len());
        for message in batch {
            let target = self.new.join(&message.name);
            match fs::hard_link(&message.path, &target) {
                Ok(()) => fs::remove_file(&message.path)?,
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => return Err(err),
                // Filesystems without hard links: rename is atomic too, and the unique name
                // cannot collide.
                Err(_) => fs::rename(&message.path, &target)?,
            }
            delivered.push(target);
        }
        if !delivered.is_empty() {
            sync_dir(&self.new)?;
        }
        Ok(delivered)
    }

    /// Removes the `tmp/` files of a batch that will not be committed.
    pub fn discard(&self, paths: impl IntoIterator<Item = PathBuf>) {
        for path in paths {
            // Best effort: a leftover file in tmp/ is invisible to readers and harmless.
            let _ = fs::remove_file(path);
        }
    }
}

impl TmpMessage {
    /// Where the message is being written, to remove it if it is abandoned.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Written {
    /// Where the complete message waits in `tmp/`.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn sync_all_parallel(batch: &[Written]) -> io::Result<()> {
    if batch.len() <= 1 {
        return batch.iter().try_for_each(|m| m.file.sync_all());
    }
    let per_thread = batch.len().div_ceil(SYNC_THREADS);
    std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().try_for_each(|m| m.file.sync_all())))
            .collect();
        handles.into_iter().try_for_each(|handle| {
            handle
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("fsync thread panicked")))
        })
    })
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
        assert_eq!(fs::read(&delivered[0]).unwrap(), b"one\n");
        assert_eq!(fs::read(&delivered[1]).unwrap(), b"two\n");
        assert_ne!(delivered[0], delivered[1]);
        assert!(tmp_paths.iter().all(|p| !p.exists()));
        let mode = fs::metadata(&delivered[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(root.join("cur").is_dir());
        assert_eq!(fs::read_dir(root.join("tmp")).unwrap().count(), 0);
    }
}
