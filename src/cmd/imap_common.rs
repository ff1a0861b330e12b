//! What the IMAP side of `fetch`, `list` and `dele` shares: which protocol the flags and the
//! account mean, the connection to a logged-in IMAP session, the per-folder state files, and
//! the decision of how a message is removed from the server.

use std::{
    collections::HashMap,
    fs::{self, OpenOptions},
    io::{BufWriter, Write},
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
};

use anyhow::Context;

use crate::{
    accounts::{self, Account, Endpoint, Protocol, Service},
    cli::{GlobalArgs, pop3::ConnectionArgs},
    exit::{Failure, Kind},
    imap::{Session, access::Removal, connect},
    maildrop,
    net::Stream,
    output::{self, Transcript},
};

/// The protocol the flags and account mean: `--protocol`, else the account's `protocol`,
/// else the port (143/993 IMAP, anything else POP3).
pub fn protocol(args: &ConnectionArgs) -> anyhow::Result<Protocol> {
    if let Some(protocol) = args.protocol {
        return Ok(protocol.into());
    }
    let account = match &args.account {
        Some(name) => accounts::load_named(name).context("reading the account")?,
        None => Account::default(),
    };
    if let Some(protocol) = account.protocol {
        return Ok(protocol);
    }
    let port = match &args.server {
        Some(server) => crate::net::split_server(server)?.1,
        None => None,
    };
    Ok(Protocol::of_port(port.or(account.port)))
}

/// The IMAP endpoint of the flags and account, resolved by the one rule every command uses.
pub fn endpoint(args: &ConnectionArgs) -> anyhow::Result<Endpoint> {
    Endpoint::resolve(Service::Imap, &args.endpoint_flags())
}

/// Connects and logs in to the endpoint, with the `-v` transcript when asked for.
pub fn open(endpoint: &Endpoint, global: &GlobalArgs) -> anyhow::Result<Session<Stream>> {
    connect::login(endpoint, Transcript::stderr(global.verbose))
}

/// The state file of one folder: `$XDG_STATE_HOME/mailkit/imap/<key>/<folder>` (or
/// `--state-file`, with the folder appended when several are fetched).
pub fn state_path(
    explicit: Option<&Path>,
    key: &str,
    folder: &str,
    several: bool,
) -> anyhow::Result<PathBuf> {
    let safe_folder: String = folder
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match explicit {
        Some(path) if several => {
            let mut name = path.as_os_str().to_owned();
            name.push(format!(".{safe_folder}"));
            Ok(PathBuf::from(name))
        }
        Some(path) => Ok(path.to_path_buf()),
        None => {
            // The POP3 state's naming of the mailbox, under imap/ instead of uidl/.
            let pop3 = maildrop::state::default_path(key).ok_or_else(|| {
                Failure::new(
                    Kind::Config,
                    "no state directory: set $XDG_STATE_HOME or $HOME, or --state-file",
                )
            })?;
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
    let tmp = PathBuf::from(format!("{}.tmp{}", path.display(), std::process::id()));
    let write = || -> std::io::Result<()> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        let mut out = BufWriter::new(file);
        let mut sorted: Vec<_> = ids.iter().filter(|(id, _)| keep(id)).collect();
        sorted.sort();
        for (id, (size, message_id)) in sorted {
            if !message_id.contains(['\n', '\r']) {
                writeln!(out, "{id} {size} {message_id}")?;
            }
        }
        out.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?
            .sync_all()?;
        fs::rename(&tmp, &path)
    };
    write()
        .map_err(|err| Failure::new(Kind::LocalIo, format!("{}: {err}", path.display())))
        .context("recording Message-IDs")?;
    Ok(())
}

fn ids_path(state: &Path) -> PathBuf {
    PathBuf::from(format!("{}.ids", state.display()))
}

/// How fetched or chosen messages leave the folder: UID EXPUNGE with UIDPLUS; without it a
/// move to the Trash folder (with MOVE), or a plain EXPUNGE only when allowed by name, else a
/// clear refusal before anything is done.
pub fn removal(
    session: &mut Session<Stream>,
    move_to: Option<&str>,
    allow_plain: bool,
) -> anyhow::Result<Removal> {
    if let Some(folder) = move_to {
        if !session.has("MOVE") && !session.has("UIDPLUS") && !allow_plain {
            crate::bail!(
                Kind::Config,
                "the server has neither MOVE nor UIDPLUS, so --move-to would need a plain EXPUNGE that also removes messages other clients marked \\Deleted; add --allow-plain-expunge to accept that"
            );
        }
        return Ok(Removal::MoveTo(folder.to_string()));
    }
    if session.has("UIDPLUS") {
        return Ok(Removal::Expunge);
    }
    if allow_plain {
        return Ok(Removal::PlainExpunge);
    }
    if session.has("MOVE") {
        let folders = session
            .list_folders()
            .map_err(Failure::from)
            .context("looking for the Trash folder")?;
        if let Some(trash) = folders.iter().find(|f| {
            f.attributes
                .iter()
                .any(|a| a.eq_ignore_ascii_case("\\Trash"))
        }) {
            output::warning(&format!(
                "the server lacks UIDPLUS: deleted messages are moved to {} instead of expunged",
                trash.name
            ));
            return Ok(Removal::MoveTo(trash.name.clone()));
        }
    }
    crate::bail!(
        Kind::Config,
        "the server lacks UIDPLUS, so mailkit cannot expunge exactly the chosen messages (a plain EXPUNGE also removes messages other clients marked \\Deleted) and it has no MOVE to a \\Trash folder; use --move-to FOLDER, or --allow-plain-expunge to accept that"
    );
}
