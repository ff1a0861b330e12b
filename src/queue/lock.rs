//! Per-message locks: an advisory `flock(2)` on the entry's `lock` file, so that two runs (or a
//! run and `queue rm`) never work on the same message, while different messages are handled
//! in parallel. The kernel drops the lock when its holder dies, so a run killed with SIGKILL
//! never leaves a message locked.

use std::{fs::File, io, path::Path};

use rustix::fs::{FlockOperation, flock};

/// A held lock; dropping it (or the process dying) releases it.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Takes the lock of `path` without waiting: `Ok(None)` when another process holds it or the
/// file is gone (the entry was removed meanwhile), so a run skips the message instead of
/// queueing up behind another run.
pub fn try_lock(path: &Path) -> io::Result<Option<Lock>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err),
    };
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(Lock { _file: file })),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Creates `path` and locks it at once; the entry being built is then invisible to tmp-dir
/// cleaning until its builder finishes or dies.
pub fn create_locked(path: &Path) -> io::Result<Lock> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    flock(&file, FlockOperation::NonBlockingLockExclusive)?;
    Ok(Lock { _file: file })
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
        let again = try_lock(&path).unwrap();
        assert!(again.is_some());
        assert!(try_lock(&dir.path().join("gone")).unwrap().is_none());
    }
}
