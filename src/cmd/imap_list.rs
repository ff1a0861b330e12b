//! `mailkit list` over IMAP: the messages of folders (UID, flags, internal date, size, From,
//! Subject), or with `--folders` the folders with their counts. Folders are opened with
//! EXAMINE, so listing changes nothing (not even `\Recent`).

use anyhow::Context;
use serde::Serialize;

use super::imap_common;
use crate::{
    cli::{GlobalArgs, list::ListArgs},
    exit::{Exit, Failure},
    imap::access::identity,
    message::HeaderSummary,
    output::{Printer, escape_line},
};

/// One message as `list --json` prints it over IMAP.
#[derive(Debug, Serialize)]
struct Listed {
    folder: String,
    uid: u32,
    /// `UIDVALIDITY/UID`: what `--uidl` takes to name exactly this message.
    uidl: String,
    size: u64,
    flags: Vec<String>,
    internal_date: Option<String>,
    from: Option<String>,
    subject: Option<String>,
    date: Option<String>,
    message_id: Option<String>,
}

/// One folder as `list --folders --json` prints it.
#[derive(Debug, Serialize)]
struct FolderRow {
    folder: String,
    messages: Option<u32>,
    unseen: Option<u32>,
    attributes: Vec<String>,
}

/// Runs `mailkit list` against an IMAP server.
pub fn run(args: &ListArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    let endpoint = imap_common::endpoint(&args.connection)?;
    let mut session = imap_common::open(&endpoint, global)?;
    let mut printer = Printer::stdout(global.json);
    if args.folders {
        let folders = session
            .list_folders()
            .map_err(Failure::from)
            .context("listing folders")?;
        for folder in folders {
            let selectable = !folder.attributes.iter().any(|a| {
                a.eq_ignore_ascii_case("\\Noselect") || a.eq_ignore_ascii_case("\\NonExistent")
            });
            let status = if selectable {
                Some(
                    session
                        .status(&folder.name)
                        .map_err(Failure::from)
                        .with_context(|| format!("STATUS of {}", escape_line(&folder.name)))?,
                )
            } else {
                None
            };
            let row = FolderRow {
                folder: folder.name,
                messages: status.map(|s| s.messages),
                unseen: status.map(|s| s.unseen),
                attributes: folder.attributes,
            };
            if printer.is_json() {
                printer.json(&row)?;
            } else {
                let count = |n: Option<u32>| n.map_or("-".to_string(), |n| n.to_string());
                printer.line(&format!(
                    "{}\t{}\t{}\t{}",
                    escape_line(&row.folder),
                    count(row.messages),
                    count(row.unseen),
                    escape_line(&row.attributes.join(" "))
                ))?;
            }
        }
    } else {
        let folders = match args.folder.as_slice() {
            [] => vec!["INBOX".to_string()],
            some => some.to_vec(),
        };
        for folder in &folders {
            let validity = session
                .select(folder, true)
                .map_err(Failure::from)
                .with_context(|| format!("opening folder {}", escape_line(folder)))?
                .uid_validity;
            let messages = session
                .list_messages(true)
                .map_err(Failure::from)
                .context("listing")?;
            for info in messages {
                let summary = info
                    .header
                    .as_deref()
                    .map(HeaderSummary::parse)
                    .unwrap_or_default();
                let listed = Listed {
                    folder: folder.clone(),
                    uid: info.uid,
                    uidl: identity(validity, info.uid),
                    size: info.size,
                    flags: info.flags,
                    internal_date: info.internal_date,
                    from: summary.from_line(),
                    subject: summary.subject,
                    date: summary.date,
                    message_id: summary.message_id,
                };
                if printer.is_json() {
                    printer.json(&listed)?;
                    continue;
                }
                let mut line = String::new();
                if folders.len() > 1 {
                    line.push_str(&escape_line(folder));
                    line.push('\t');
                }
                line.push_str(&format!(
                    "{}\t{}\t{}\t{}",
                    listed.uid,
                    listed.flags.join(" "),
                    listed.internal_date.as_deref().unwrap_or("-"),
                    listed.size
                ));
                for field in [&listed.from, &listed.subject] {
                    line.push('\t');
                    line.push_str(&escape_line(field.as_deref().unwrap_or("")));
                }
                printer.line(&line)?;
            }
        }
    }
    printer.flush()?;
    session
        .logout()
        .map_err(Failure::from)
        .context("logging out")?;
    Ok(Exit::Success)
}
