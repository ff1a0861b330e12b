//! Per-message locks: an advisory `flock(2)` on the entry's `lock` file, so that two runs (or a
//! run and `queue rm`) never work on the same message, while different messages are handled
//! in parallel. The kernel drops the lock when its holder dies, so a run killed with SIGKILL
//! never leaves a message locked.
//!
//! The lock file also carries the entry's in-flight mark (see `entry::InFlight`): written in
//! place through the descriptor the lock holds, it costs one write per message, where a file
//! of its own cost a create and an unlink (each a journal transaction on ext4).

use std::{
    fs::{File, OpenOptions},
    io,
    os::unix::fs::FileExt,
    path::Path,
};

use rustix::fs::{FlockOperation, flock};

/// A held lock; dropping it (or the process dying) releases it.
#[derive(Debug)]
pub struct Lock {
    file: File,
}

/// Takes the lock of `path` without waiting: `Ok(None)` when another process holds it or the
/// file is gone (the entry was removed meanwhile), so a run skips the message instead of
/// queueing up behind another run.
pub fn try_lock(path: &Path) -> io::Result<Option<Lock>> {
    let file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err),
    };
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(Lock { file })),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Creates `path` and locks it at once; the entry being built is then invisible to tmp-dir
/// cleaning until its builder finishes or dies.
pub fn create_locked(path: &Path) -> io::Result<Lock> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)?;
    flock(&file, FlockOperation::NonBlockingLockExclusive)?;
    Ok(Lock { file })
}

impl Lock {
    /// Replaces the mark with `bytes`, in place: what was longer is blanked with spaces
    /// rather than truncated (ext4 flushes a file truncated to zero when it is closed).
    pub fn set_mark(&self, bytes: &[u8]) -> io::Result<()> {
        let old = self.file.metadata()?.len();
        let mut record = bytes.to_vec();
        let len = u64::try_from(record.len()).unwrap_or(u64::MAX);
        if old > len {
            record.resize(usize::try_from(old).unwrap_or(record.len()), b' ');
        }
        self.file.write_all_at(&record, 0)
    }

    /// The mark, blanks trimmed; empty when there is none.
    pub fn mark(&self) -> io::Result<Vec<u8>> {
        let len = usize::try_from(self.file.metadata()?.len()).unwrap_or(0);
        let mut buf = vec![0; len];
        self.file.read_exact_at(&mut buf, 0)?;
        let end = buf
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        buf.truncate(end);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_excludes_others_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let held = create_locked(&path).unwrap();
        assert!(try_lock(&path).unwrap().is_none(), "second holder");
        drop(held);
        let again = try_lock(&path).unwrap().unwrap();
        again.set_mark(b"a longer mark").unwrap();
        again.set_mark(b"short").unwrap();
        assert_eq!(again.mark().unwrap(), b"short");
        again.set_mark(b"").unwrap();
        assert!(again.mark().unwrap().is_empty());
        assert!(try_lock(&dir.path().join("gone")).unwrap().is_none());
    }
}
