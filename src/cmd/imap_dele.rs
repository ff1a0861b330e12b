//! `mailkit dele` over IMAP: delete messages named by UID (`--uid`, or `--uidl
//! UIDVALIDITY/UID` as `list` and `--dry-run` print it). Just before deleting, the folder's
//! UIDVALIDITY and each message's Message-ID are checked again against what was shown, so a
//! renumbered folder or a reused UID never costs the wrong message; then UID STORE \Deleted and
//! UID EXPUNGE of exactly those UIDs (or the fallback the server allows).

use std::collections::HashMap;

use anyhow::Context;
use serde::Serialize;

use super::imap_common;
use crate::{
    cli::{GlobalArgs, dele::DeleArgs},
    exit::{Exit, Failure, Kind},
    imap::{
        MessageInfo,
        access::{Mailbox, Removal, identity},
    },
    maildrop::{Entry, MailAccess as _},
    message::HeaderSummary,
    output::{self, Printer, escape_line},
};

/// One message as `dele --json` prints it over IMAP.
#[derive(Debug, Serialize)]
struct Deleted {
    folder: String,
    uid: u32,
    uidl: String,
    size: u64,
    message_id: Option<String>,
    deleted: bool,
}

/// Runs `mailkit dele` against an IMAP server.
pub fn run(args: &DeleArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    if !args.numbers.is_empty() {
        crate::bail!(
            Kind::Usage,
            "IMAP has no lasting message numbers; name messages with --uid UID"
        );
    }
    if !args.yes && !args.dry_run && !output::stdin_is_terminal() {
        crate::bail!(
            Kind::NoTerminal,
            "refusing to delete without confirmation: stdin is not a terminal; pass --yes"
        );
    }
    let endpoint = imap_common::endpoint(&args.connection)?;
    let folder = args.folder.clone().unwrap_or_else(|| "INBOX".to_string());
    let mut session = imap_common::open(&endpoint, global)?;
    let validity = session
        .select(&folder, args.dry_run)
        .map_err(Failure::from)
        .with_context(|| format!("opening folder {}", escape_line(&folder)))?
        .uid_validity;
    let wanted = wanted_uids(args, validity)?;
    let chosen = find(&mut session, &wanted, &folder)?;
    let mut printer = Printer::stdout(global.json);
    let print = |printer: &mut Printer, deleted: bool| -> anyhow::Result<()> {
        for (info, message_id) in &chosen {
            let record = Deleted {
                folder: folder.clone(),
                uid: info.uid,
                uidl: identity(validity, info.uid),
                size: info.size,
                message_id: message_id.clone(),
                deleted,
            };
            if printer.is_json() {
                printer.json(&record)?;
            } else {
                let verb = match (args.dry_run, deleted) {
                    (true, _) => "would delete",
                    (false, true) => "deleted",
                    (false, false) => "not deleted",
                };
                printer.line(&format!(
                    "{verb}\t{}\t{}\t{}\t{}",
                    record.uid,
                    record.uidl,
                    record.size,
                    escape_line(record.message_id.as_deref().unwrap_or("-"))
                ))?;
            }
        }
        printer.flush()?;
        Ok(())
    };
    if args.dry_run {
        session
            .logout()
            .map_err(Failure::from)
            .context("logging out")?;
        print(&mut printer, false)?;
        return Ok(Exit::Success);
    }
    if !args.yes {
        let confirmed = dialoguer::Confirm::new()
            .with_prompt(format!(
                "Delete {} message{} from {} on {}?",
                chosen.len(),
                if chosen.len() == 1 { "" } else { "s" },
                folder,
                endpoint.host.as_deref().unwrap_or_default()
            ))
            .default(false)
            .interact()
            .map_err(|err| Failure::new(Kind::Usage, err.to_string()))?;
        if !confirmed {
            session
                .logout()
                .map_err(Failure::from)
                .context("logging out")?;
            print(&mut printer, false)?;
            return Ok(Exit::Success);
        }
    }
    let removal = Removal::choose(&mut session, None, args.allow_plain_expunge)?;
    // The person may have taken a while, or another client may have acted: check again that
    // the folder was not renumbered and each UID still holds the message shown.
    let now_validity = session
        .select(&folder, false)
        .map_err(Failure::from)
        .context("checking the folder again")?
        .uid_validity;
    if now_validity != validity {
        print(&mut printer, false)?;
        crate::bail!(
            Kind::Temporary,
            "folder {folder} was renumbered (UIDVALIDITY {validity} is now {now_validity}); nothing was deleted: list it again"
        );
    }
    let again = find(&mut session, &wanted, &folder)?;
    let before: HashMap<u32, &Option<String>> = chosen.iter().map(|(i, m)| (i.uid, m)).collect();
    for (info, message_id) in &again {
        if before.get(&info.uid) != Some(&message_id) {
            print(&mut printer, false)?;
            crate::bail!(
                Kind::Temporary,
                "UID {} in {folder} no longer holds the message shown (Message-ID changed); nothing was deleted",
                info.uid
            );
        }
    }
    let entries: Vec<Entry> = chosen
        .iter()
        .map(|(info, _)| Entry {
            number: info.uid,
            size: info.size,
            uidl: Some(identity(validity, info.uid)),
        })
        .collect();
    let mut mailbox = Mailbox::new(&mut session, removal, false).map_err(Failure::from)?;
    if let Err(err) = mailbox.delete(&entries) {
        print(&mut printer, false)?;
        return Err(Failure::from(err)).context("deleting");
    }
    mailbox
        .close()
        .map_err(Failure::from)
        .context("logging out")?;
    print(&mut printer, true)?;
    Ok(Exit::Success)
}

/// The UIDs asked for; `--uidl V/U` must name this folder's UIDVALIDITY.
fn wanted_uids(args: &DeleArgs, validity: u32) -> anyhow::Result<Vec<u32>> {
    let mut uids = args.uid.clone();
    for uidl in &args.uidl {
        let (v, u) = match uidl.split_once('/') {
            Some((v, u)) => (v.parse::<u32>().ok(), u.parse::<u32>().ok()),
            None => (Some(validity), uidl.parse::<u32>().ok()),
        };
        match (v, u) {
            (Some(v), Some(u)) if v == validity => uids.push(u),
            (Some(v), Some(_)) => crate::bail!(
                Kind::Temporary,
                "--uidl {uidl}: the folder's UIDVALIDITY is now {validity}, not {v}: it was renumbered; nothing was deleted"
            ),
            _ => crate::bail!(
                Kind::Usage,
                "--uidl {uidl:?}: expected UID or UIDVALIDITY/UID"
            ),
        }
    }
    uids.sort_unstable();
    uids.dedup();
    Ok(uids)
}

/// The listed messages with these UIDs and their Message-IDs; a UID not in the folder is an
/// error and nothing is chosen.
fn find(
    session: &mut crate::imap::Session<crate::net::Stream>,
    uids: &[u32],
    folder: &str,
) -> anyhow::Result<Vec<(MessageInfo, Option<String>)>> {
    let list = session
        .list_messages(true)
        .map_err(Failure::from)
        .context("listing")?;
    let mut chosen = Vec::new();
    for &uid in uids {
        let Some(info) = list.iter().find(|m| m.uid == uid) else {
            crate::bail!(Kind::NotFound, "no message with UID {uid} in {folder}");
        };
        let message_id = info
            .header
            .as_deref()
            .map(HeaderSummary::parse)
            .and_then(|h| h.message_id);
        chosen.push((info.clone(), message_id));
    }
    Ok(chosen)
}
