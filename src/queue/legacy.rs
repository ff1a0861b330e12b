//! Entries of the format before mailkit kept one file per message: a directory
//! `entries/<id>/` with `message`, `state.json` and a `lock` file (which also held the
//! in-flight mark). Opening a queue moves each into `messages/`, under its lock and with its
//! mark, so an upgrade neither loses a message nor sends one twice.

use std::{fs, path::Path};

use super::{
    lock,
    store::{Queue, QueueError, is_valid_id},
};
use crate::durable::sync_dir;

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> QueueError {
    let path = path.to_path_buf();
    move |source| QueueError::Io { what, path, source }
}

/// Moves every entry of `entries/` into the queue's current format, then removes the
/// directory if it is empty. An entry another process has locked is left for later; one
/// that cannot be read is quarantined.
pub(super) fn migrate(queue: &Queue, entries: &Path) -> Result<(), QueueError> {
    let dir = fs::read_dir(entries).map_err(io_err("reading", entries))?;
    for item in dir.flatten() {
        let Some(id) = item.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !is_valid_id(&id) {
            continue;
        }
        let path = item.path();
        let lock_path = path.join("lock");
        let lock = match lock::try_lock(&lock_path).map_err(io_err("locking", &path))? {
            Some(lock) => Some(lock),
            None if lock_path.exists() => continue,
            None => None,
        };
        let read = |name: &str| fs::read(path.join(name));
        let parsed = match (read("state.json"), read("message")) {
            (Ok(state), Ok(message)) => super::store::parse_state(&state).map(|s| (s, message)),
            (Err(_), _) => Err("its state file is missing".to_string()),
            (_, Err(_)) => Err("its message file is missing".to_string()),
        };
        let (state, message) = match parsed {
            Ok(parsed) => parsed,
            Err(reason) => {
                let reason = format!("queue entry {id} is corrupt: {reason}");
                queue.move_to_quarantine(&id, &path, &reason)?;
                crate::output::warning(&format!(
                    "moved corrupt entry {id} to quarantine: {reason}"
                ));
                continue;
            }
        };
        let mark = match &lock {
            Some(lock) => lock.read_all().map_err(io_err("reading", &path))?,
            None => Vec::new(),
        };
        // Already there when a move was cut short by a crash: then only the old copy goes.
        queue.adopt(&id, &message, &state, mark.trim_ascii())?;
        let gone = queue.tmp().join(format!("{id}rm{:08x}", fastrand::u32(..)));
        fs::rename(&path, &gone).map_err(io_err("moving", &path))?;
        sync_dir(entries).map_err(io_err("syncing", entries))?;
        drop(lock);
        let _ = fs::remove_dir_all(&gone);
    }
    if fs::remove_dir(entries).is_ok()
        && let Some(root) = entries.parent()
    {
        sync_dir(root).map_err(io_err("syncing", root))?;
    }
    Ok(())
}

/// Removes a directory of the format before from `tmp/` (an entry half built or half
/// removed by an older mailkit), unless its builder still holds its lock or may be about to.
pub(super) fn clean(entry: &fs::DirEntry) {
    let path = entry.path();
    // A builder creates its directory a moment before it locks it: a directory without a
    // lock file is left alone until it is clearly abandoned.
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
