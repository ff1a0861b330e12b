//! `mailkit fetch` over IMAP: each folder in turn through the same loss-proof pipeline as
//! POP3 ([`maildrop::fetch`]), with UIDs as identities; `--watch` stays connected (IDLE,
//! else NOOP polling) and runs the pipeline again for each arrival, until SIGINT or SIGTERM.

use std::collections::HashSet;

use anyhow::Context;

use super::{
    fetch::{ToPrinter, open_target, progress_bar},
    imap_common, pick,
};
use crate::{
    cli::{GlobalArgs, fetch::FetchArgs},
    exit::{Exit, Failure, Kind},
    imap::{
        Session,
        access::{Mailbox, Removal},
        watch,
    },
    maildrop::{self, Entry, MailAccess, Seen, SeenState, Target, fetch::Outcome, fetch::Plan},
    net::Stream,
    output::{self, Printer},
};

/// Runs `mailkit fetch` against an IMAP server.
pub fn run(args: &FetchArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    if args.interactive && !output::stdin_is_terminal() {
        crate::bail!(
            Kind::NoTerminal,
            "--interactive needs a terminal on stdin; select messages with --uidl or --new"
        );
    }
    if !args.numbers.is_empty() {
        crate::bail!(
            Kind::Usage,
            "IMAP has no lasting message numbers; name messages with --uidl UID (or UIDVALIDITY/UID, as list shows)"
        );
    }
    if args.watch && args.folder.len() > 1 {
        crate::bail!(
            Kind::Usage,
            "--watch follows one folder; give --folder once"
        );
    }
    let endpoint = imap_common::endpoint(&args.connection)?;
    let key = endpoint.key();
    let target = open_target(args)?;
    if (args.new || args.watch) && target.is_none() {
        crate::bail!(
            Kind::Usage,
            "--new and --watch need a Maildir or mbox target"
        );
    }
    let stop = if args.watch {
        Some(watch::stop_on_signals()?)
    } else {
        None
    };
    let folders = match args.folder.as_slice() {
        [] => vec!["INBOX".to_string()],
        some => some.to_vec(),
    };
    let mut printer = Printer::stdout(global.json);
    let mut session = imap_common::open(&endpoint, global)?;
    let removal = if args.delete || args.move_to.is_some() {
        Some(Removal::choose(
            &mut session,
            args.move_to.as_deref(),
            args.allow_plain_expunge,
        )?)
    } else if args.interactive {
        // The picker offers deletion only where the server can delete exactly what is picked.
        match Removal::choose(&mut session, None, args.allow_plain_expunge) {
            Ok(removal) => Some(removal),
            Err(err) => {
                output::note(&format!("{err:#}; the picker offers no deletion"));
                None
            }
        }
    } else {
        None
    };
    let run = Folders {
        args,
        global,
        key: &key,
        target: target.as_ref(),
        removal: removal.as_ref(),
        several: folders.len() > 1,
    };
    for (n, folder) in folders.iter().enumerate() {
        if !run.fetch(&mut session, folder, &mut printer)? {
            let more = if n > 0 { " more" } else { "" };
            output::note(&format!("cancelled: nothing{more} fetched or deleted"));
            break;
        }
    }
    if let Some(stop) = stop {
        watch::watch(
            session,
            &watch::Pacing::STANDARD,
            &stop,
            || imap_common::open(&endpoint, global),
            |session| run.fetch(session, &folders[0], &mut printer).map(drop),
        )?;
    } else {
        session
            .logout()
            .map_err(Failure::from)
            .context("logging out")?;
    }
    Ok(Exit::Success)
}

/// What every folder's fetch shares.
struct Folders<'a> {
    args: &'a FetchArgs,
    global: &'a GlobalArgs,
    key: &'a str,
    target: Option<&'a Target>,
    removal: Option<&'a Removal>,
    several: bool,
}

impl Folders<'_> {
    /// One folder through the pipeline; the session stays logged in. False when the person
    /// cancelled in the picker (`-i`): nothing more is to be done.
    fn fetch(
        &self,
        session: &mut Session<Stream>,
        folder: &str,
        printer: &mut Printer,
    ) -> anyhow::Result<bool> {
        let args = self.args;
        let writes = self.removal.is_some() || args.mark_seen;
        session
            .select(folder, !writes)
            .map_err(Failure::from)
            .with_context(|| format!("opening folder {}", output::escape_line(folder)))?;
        let removal = self.removal.cloned().unwrap_or(Removal::Expunge);
        let mut mailbox = Mailbox::new(session, removal, args.mark_seen).map_err(Failure::from)?;
        mailbox.keep_open = true;
        mailbox.max_size = args.max_size;
        let listing = mailbox
            .listing()
            .with_context(|| format!("in folder {}", output::escape_line(folder)))?;
        let state_path = match self.target {
            Some(_) => Some(maildrop::imap_state::state_path(
                args.state_file.as_deref(),
                self.key,
                folder,
                self.several,
            )?),
            None => None,
        };
        let mut state = match &state_path {
            Some(path) => Some(SeenState::open(path).map_err(Failure::from)?),
            None => None,
        };
        let ids = state_path
            .as_deref()
            .map(maildrop::imap_state::load_ids)
            .unwrap_or_default();
        if let Some(state) = state.as_mut()
            && let Some(report) = mailbox.remap(state, &ids)?
        {
            output::warning(&format!(
                "folder {folder}: UIDVALIDITY changed from {} to {} (the server renumbered its messages): {} matched what was fetched before by Message-ID and size and are not fetched again; {} are new{}",
                report.old_validity,
                report.new_validity,
                report.matched,
                report.new,
                if report.without_id > 0 {
                    format!(
                        "; {} have no Message-ID and are fetched as new (possibly again)",
                        report.without_id
                    )
                } else {
                    String::new()
                }
            ));
        }
        mailbox.ids.extend(ids);
        let mut chosen = if args.uidl.is_empty() {
            listing.entries.clone()
        } else {
            let wanted: Vec<String> = args.uidl.iter().map(|u| qualify(u, &mailbox)).collect();
            listing.select(&[], &wanted)?
        };
        let mut seen_before = Vec::new();
        if let (true, Some(state)) = (args.new || args.watch, &state) {
            let (fresh, before): (Vec<Entry>, Vec<Entry>) = chosen.into_iter().partition(|entry| {
                let id = entry.uidl.as_deref().unwrap_or_default();
                !matches!(state.seen(id, entry.size), Seen::Yes)
            });
            chosen = fresh;
            seen_before = before;
        }
        let mut outcomes = Vec::new();
        maildrop::fetch::skip_too_large(&mut chosen, args.max_size, &mut outcomes);
        let removing = args.delete || args.move_to.is_some();
        let mut delete: HashSet<u32> = match self.removal {
            Some(_) if removing => chosen.iter().map(|e| e.number).collect(),
            _ => HashSet::new(),
        };
        if args.interactive {
            let words = self.removal.map(|removal| match removal {
                Removal::MoveTo(to) => pick::Removal {
                    verb: "move",
                    place: format!("to {}", output::escape_line(to)),
                },
                Removal::Expunge | Removal::PlainExpunge => pick::Removal::delete(),
            });
            match pick::pick(&mut mailbox, &chosen, words.as_ref(), removing)? {
                Some((picked, picked_delete)) => (chosen, delete) = (picked, picked_delete),
                None => return Ok(false),
            }
        }
        let Some(target) = self.target else {
            maildrop::fetch::fetch_one(&mut mailbox, &chosen, &mut ToPrinter(printer))?;
            printer.flush()?;
            return Ok(true);
        };
        let progress = progress_bar(&chosen, self.global.verbose);
        let no_entries = Vec::new();
        let plan = Plan {
            target,
            state: state.as_mut(),
            listing: &listing,
            chosen: &chosen,
            delete: &delete,
            fetched_before: if removing { &seen_before } else { &no_entries },
            batch: args.batch.unwrap_or(super::fetch::BATCH) as usize,
            progress: &progress,
        };
        let result = maildrop::fetch::fetch(&mut mailbox, plan, &mut outcomes);
        if let Some(bar) = &progress {
            bar.finish_and_clear();
        }
        if let (Some(path), Some(state)) = (&state_path, &state) {
            let ids = std::mem::take(&mut mailbox.ids);
            maildrop::imap_state::save_ids(path, &ids, |id| {
                !matches!(state.seen(id, u64::MAX), Seen::No)
            })?;
        }
        report(printer, folder, &outcomes)?;
        result.with_context(|| format!("fetching from folder {}", output::escape_line(folder)))?;
        Ok(true)
    }
}

/// `--uidl` takes a UID or `UIDVALIDITY/UID`; a bare UID means the folder's current validity.
fn qualify(uidl: &str, mailbox: &Mailbox<'_, Stream>) -> String {
    match uidl.parse::<u32>() {
        Ok(uid) => mailbox.identity(uid),
        Err(_) => uidl.to_string(),
    }
}

fn report(printer: &mut Printer, folder: &str, outcomes: &[Outcome]) -> anyhow::Result<()> {
    if printer.is_json() {
        for outcome in outcomes {
            printer.json(outcome)?;
        }
    }
    printer.flush()?;
    if output::stderr_is_terminal() && !printer.is_json() {
        let saved = outcomes.iter().filter(|o| o.saved_to.is_some()).count();
        let deleted = outcomes.iter().filter(|o| o.deleted).count();
        let skipped = outcomes.iter().filter(|o| o.skipped.is_some()).count();
        output::note(&format!(
            "{folder}: fetched {saved}, removed {deleted}, skipped {skipped}"
        ));
    }
    Ok(())
}
