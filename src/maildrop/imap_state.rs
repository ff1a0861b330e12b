//! Where an IMAP folder's fetch state lives, and the Message-IDs kept beside it: the seen
//! state itself is the POP3 one ([`super::state`]) keyed by `UIDVALIDITY/UID`; the
//! Message-IDs let a fetch recognise what it already has after the server renumbers a folder.

use std::{
    collections::HashMap,
    fs,
    path::{Path, PathBuf},
};

use anyhow::Context;

use super::state::{self, safe_name, with_suffix};
use crate::{
    durable,
    exit::{Failure, Kind},
};

/// The state file of one folder: `$XDG_STATE_HOME/mailkit/imap/<key>/<folder>` (or
/// `--state-file`, with the folder appended when several are fetched).
pub fn state_path(
    explicit: Option<&Path>,
    key: &str,
    folder: &str,
    several: bool,
) -> anyhow::Result<PathBuf> {
    let safe_folder = safe_name(folder, "-_.+");
    match explicit {
        Some(path) if several => Ok(with_suffix(path, &format!(".{safe_folder}"))),
        Some(path) => Ok(path.to_path_buf()),
        None => {
            // The POP3 state's naming of the mailbox, under imap/ instead of uidl/.
            let pop3 = state::default_path(key)?;
            let mailbox = pop3.file_name().unwrap_or_default().to_owned();
            let base = pop3
                .parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new("."));
            Ok(base.join("imap").join(mailbox).join(safe_folder))
        }
    }
}

/// The Message-IDs of fetched messages (`identity size message-id` lines) beside the state
/// file, for matching after a UIDVALIDITY change. A lost line only means that message could
/// be fetched again after a renumbering, never that one is skipped.
pub fn load_ids(state: &Path) -> HashMap<String, (u64, String)> {
    let Ok(text) = fs::read_to_string(ids_path(state)) else {
        return HashMap::new();
    };
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ' ');
            let id = parts.next()?.to_string();
            let size = parts.next()?.parse().ok()?;
            Some((id, (size, parts.next()?.to_string())))
        })
        .collect()
}

/// Replaces the Message-ID file atomically, keeping only identities the state still has.
pub fn save_ids(
    state_file: &Path,
    ids: &HashMap<String, (u64, String)>,
    keep: impl Fn(&str) -> bool,
) -> anyhow::Result<()> {
    let path = ids_path(state_file);
    durable::replace(&path, |out| {
        let mut sorted: Vec<_> = ids.iter().filter(|(id, _)| keep(id)).collect();
        sorted.sort();
        for (id, (size, message_id)) in sorted {
            if !message_id.contains(['\n', '\r']) {
                writeln!(out, "{id} {size} {message_id}")?;
            }
        }
        Ok(())
    })
    .map_err(|err| Failure::new(Kind::LocalIo, format!("{}: {err}", path.display())))
    .context("recording Message-IDs")?;
    Ok(())
}

fn ids_path(state: &Path) -> PathBuf {
    with_suffix(state, ".ids")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_state_file_gets_the_folder_only_when_there_are_several() {
        let explicit = Path::new("/s/state");
        let one = state_path(Some(explicit), "k", "INBOX", false).unwrap();
        assert_eq!(one, Path::new("/s/state"));
        let several = state_path(Some(explicit), "k", "Lists/rust dev", true).unwrap();
        assert_eq!(several, Path::new("/s/state.Lists_rust_dev"));
    }

    #[test]
    fn message_ids_survive_a_reload_keeping_only_what_the_state_has() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("INBOX");
        let ids = HashMap::from([
            ("7/1".to_string(), (10, "<a@x>".to_string())),
            ("7/2".to_string(), (20, "<b@x>".to_string())),
            ("7/3".to_string(), (30, "<c@x>\r\nX-Evil: 1".to_string())),
        ]);
        save_ids(&state, &ids, |id| id != "7/2").unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("INBOX.ids")).unwrap(),
            "7/1 10 <a@x>\n"
        );
        let loaded = load_ids(&state);
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded["7/1"], (10, "<a@x>".to_string()));
    }

    #[test]
    fn a_missing_or_mangled_file_only_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("INBOX");
        assert!(load_ids(&state).is_empty());
        fs::write(dir.path().join("INBOX.ids"), "7/1 ten <a@x>\n7/2 5 <b@x>\n").unwrap();
        assert_eq!(load_ids(&state).keys().collect::<Vec<_>>(), ["7/2"]);
    }
}
