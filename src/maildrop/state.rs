//! The seen-UIDL state file of one account on one server: which messages were already
//! delivered, so `fetch --new` skips them. Replaced atomically (temp file, fsync, rename, fsync
//! of the directory) and locked for the whole run, so two concurrent fetches cannot both
//! deliver the same messages or lose each other's records.

use std::{
    collections::{HashMap, HashSet},
    fs::{self, File, OpenOptions},
    io,
    os::unix::fs::{DirBuilderExt, OpenOptionsExt},
    path::{Path, PathBuf},
};

use crate::{
    durable,
    exit::{Failure, Kind},
};

const HEADER: &str = "# mailkit seen UIDLs v1: <uidl> <size>";

/// Why the state file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Another run holds the lock.
    #[error("state file {0} is locked: another mailkit fetch for this mailbox is running")]
    Locked(PathBuf),
    /// The file is not in mailkit's format.
    #[error(
        "state file {path} line {line} is malformed; remove it to start over (the next --new then fetches everything again)"
    )]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
    },
    /// Reading, writing or locking failed.
    #[error("state file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

impl StateError {
    /// The kind: a concurrent run is worth retrying, a foreign file needs the user, the
    /// rest is an I/O failure.
    pub fn kind(&self) -> Kind {
        match self {
            StateError::Locked(_) => Kind::Temporary,
            StateError::Malformed { .. } => Kind::Config,
            StateError::Io { .. } => Kind::LocalIo,
        }
    }
}

impl From<StateError> for Failure {
    fn from(err: StateError) -> Self {
        Failure::new(err.kind(), err)
    }
}

/// Whether a message was delivered before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seen {
    /// Never delivered.
    No,
    /// Delivered with this same size.
    Yes,
    /// The UIDL was delivered with another size: a server that reused a UIDL, treated as new.
    SizeDiffers(u64),
}

/// The state of one mailbox, locked while this value lives.
#[derive(Debug)]
pub struct SeenState {
    path: PathBuf,
    _lock: File,
    entries: HashMap<String, u64>,
}

impl SeenState {
    /// Locks (without waiting) and loads the state at `path`; a missing file is empty.
    pub fn open(path: &Path) -> Result<SeenState, StateError> {
        let io_err = |source| StateError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::DirBuilder::new()
                .mode(0o700)
                .recursive(true)
                .create(dir)
                .map_err(io_err)?;
        }
        let lock_path = with_suffix(path, ".lock");
        let lock = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(io_err)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(StateError::Locked(path.into())),
            Err(fs::TryLockError::Error(err)) => return Err(io_err(err)),
        }
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => String::new(),
            Err(err) => return Err(io_err(err)),
        };
        let mut entries = HashMap::new();
        for (index, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let parsed = line
                .split_once(' ')
                .and_then(|(uidl, size)| Some((uidl.to_string(), size.parse::<u64>().ok()?)));
            let (uidl, size) = parsed.ok_or_else(|| StateError::Malformed {
                path: path.to_path_buf(),
                line: index + 1,
            })?;
            entries.insert(uidl, size);
        }
        Ok(SeenState {
            path: path.to_path_buf(),
            _lock: lock,
            entries,
        })
    }

    /// Whether the message with `uidl` and `size` was delivered before.
    pub fn seen(&self, uidl: &str, size: u64) -> Seen {
        match self.entries.get(uidl) {
            None => Seen::No,
            Some(&known) if known == size => Seen::Yes,
            Some(&known) => Seen::SizeDiffers(known),
        }
    }

    /// Records delivered messages (in memory; [`SeenState::save`] makes it durable).
    pub fn record(&mut self, delivered: impl IntoIterator<Item = (String, u64)>) {
        self.entries.extend(delivered);
    }

    /// Forgets UIDLs no longer on the server, so the file does not grow forever.
    pub fn retain_only(&mut self, on_server: &HashSet<&str>) {
        self.entries
            .retain(|uidl, _| on_server.contains(uidl.as_str()));
    }

    /// Replaces the file atomically and durably.
    pub fn save(&self) -> Result<(), StateError> {
        durable::replace(&self.path, |out| {
            writeln!(out, "{HEADER}")?;
            let mut sorted: Vec<_> = self.entries.iter().collect();
            sorted.sort();
            for (uidl, size) in sorted {
                writeln!(out, "{uidl} {size}")?;
            }
            Ok(())
        })
        .map_err(|source| StateError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// `path` with `suffix` appended to its file name (`state` → `state.ids`).
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The default state file of a mailbox: `$XDG_STATE_HOME/mailkit/uidl/<key>`, else
/// `~/.local/state/mailkit/uidl/<key>`, with `key` made safe as a file name; with neither
/// variable set, a configuration error saying what to set.
pub fn default_path(key: &str) -> Result<PathBuf, Failure> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local").join("state"))
        })
        .ok_or_else(|| {
            Failure::new(
                Kind::Config,
                "no state directory: set $XDG_STATE_HOME or $HOME, or --state-file",
            )
        })?;
    Ok(base
        .join("mailkit")
        .join("uidl")
        .join(safe_name(key, "@.-_+:")))
}

/// `text` as one file name: letters, digits and the `allowed` punctuation kept, anything else
/// (a slash above all) turned into `_`, so a server or folder name cannot point elsewhere.
pub fn safe_name(text: &str, allowed: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || allowed.contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_a_reload_and_sizes_are_compared() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("state");
        {
            let mut state = SeenState::open(&path).unwrap();
            assert_eq!(state.seen("a", 1), Seen::No);
            state.record([("a".to_string(), 10), ("b".to_string(), 20)]);
            state.save().unwrap();
        }
        let mut state = SeenState::open(&path).unwrap();
        assert_eq!(state.seen("a", 10), Seen::Yes);
        assert_eq!(state.seen("b", 21), Seen::SizeDiffers(20));
        state.retain_only(&HashSet::from(["b"]));
        state.save().unwrap();
        drop(state);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("{HEADER}\nb 20\n"));
    }

    #[test]
    fn a_second_run_is_locked_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        let _first = SeenState::open(&path).unwrap();
        assert!(matches!(SeenState::open(&path), Err(StateError::Locked(_))));
    }

    #[test]
    fn a_corrupt_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        fs::write(&path, "a 1\nbroken\n").unwrap();
        assert!(matches!(
            SeenState::open(&path),
            Err(StateError::Malformed { line: 2, .. })
        ));
    }
}
