//! Per-message locks: an advisory `flock(2)` on the entry's own file, so that two runs (or a
//! run and `queue rm`) never work on the same message, while different messages are handled
//! in parallel. The kernel drops the lock when its holder dies, so a run killed with SIGKILL
//! never leaves a message locked, and no lock file is left to create or delete.
//!
//! An entry's file is replaced (rename over it) when its state changes, so a lock is only
//! good while the path still names the locked file: [`try_lock`] checks that after taking
//! it, and a writer takes the lock of the replacement before renaming it into place.

use std::{
    fs::{File, OpenOptions},
    io,
    os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt},
    path::Path,
};

use rustix::fs::{FlockOperation, flock};

/// A held lock on an open file; dropping it (or the process dying) releases it.
#[derive(Debug)]
pub struct Lock {
    file: File,
}

/// Takes the lock of the file at `path` without waiting: `Ok(None)` when another process
/// holds it or the file is gone (the entry was removed meanwhile), so a run skips the message
/// instead of queueing up behind another run.
pub fn try_lock(path: &Path) -> io::Result<Option<Lock>> {
    // A file replaced between our open and our lock is tried again: its replacement was
    // locked by its writer before the rename, so this ends as soon as that writer is done.
    for _ in 0..16 {
        let file = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err),
        };
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) => return Ok(None),
            Err(err) => return Err(err.into()),
        }
        let held = file.metadata()?;
        match std::fs::metadata(path) {
            Ok(now) if now.ino() == held.ino() && now.dev() == held.dev() => {
                return Ok(Some(Lock { file }));
            }
            Ok(_) => continue,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err),
        }
    }
    Ok(None)
}

/// Creates `path` (private, never an existing file) and locks it at once, so that the file is
/// locked from the moment another process can reach it.
pub fn create_locked(path: &Path) -> io::Result<Lock> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    flock(&file, FlockOperation::NonBlockingLockExclusive)?;
    Ok(Lock { file })
}

impl Lock {
    /// The locked file.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Overwrites bytes at `offset` in place, without waiting for the disk.
    pub fn write_at(&self, bytes: &[u8], offset: u64) -> io::Result<()> {
        self.file.write_all_at(bytes, offset)
    }

    /// The whole file.
    pub fn read_all(&self) -> io::Result<Vec<u8>> {
        let len = usize::try_from(self.file.metadata()?.len()).unwrap_or(0);
        let mut buf = vec![0; len];
        self.file.read_exact_at(&mut buf, 0)?;
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_excludes_others_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entry");
        let held = create_locked(&path).unwrap();
        assert!(try_lock(&path).unwrap().is_none(), "second holder");
        drop(held);
        let again = try_lock(&path).unwrap().unwrap();
        again.write_at(b"abc", 0).unwrap();
        assert_eq!(again.read_all().unwrap(), b"abc");
        assert!(try_lock(&dir.path().join("gone")).unwrap().is_none());
    }

    #[test]
    fn a_lock_on_a_replaced_file_is_not_taken_on_its_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entry");
        std::fs::write(&path, b"old").unwrap();
        let old = try_lock(&path).unwrap().unwrap();
        let new = create_locked(&dir.path().join("new")).unwrap();
        std::fs::rename(dir.path().join("new"), &path).unwrap();
        drop(old);
        assert!(try_lock(&path).unwrap().is_none(), "the writer holds it");
        drop(new);
        assert!(try_lock(&path).unwrap().is_some());
    }
}
