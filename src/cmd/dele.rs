//! `mailkit dele`: delete messages by UIDL (mapped to this session's numbers) or by number.
//! All or nothing: a refused DELE sends RSET; deletions count only once QUIT is acknowledged.

use anyhow::Context;
use serde::Serialize;

use crate::{
    accounts::{Endpoint, Service},
    cli::{GlobalArgs, dele::DeleArgs},
    exit::{Exit, Failure, Kind},
    maildrop::MailAccess,
    output::{self, Printer, escape_line},
    pop3::{HEADER_CAP, Pop3Error},
};

/// One message as `dele --json` prints it.
#[derive(Debug, Serialize)]
struct Deleted {
    number: u32,
    uidl: Option<String>,
    size: u64,
    deleted: bool,
}

/// Runs `mailkit dele`.
pub fn run(args: &DeleArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    if super::imap_common::protocol(&args.connection)? == crate::accounts::Protocol::Imap {
        return super::imap_dele::run(args, global);
    }
    if !args.uid.is_empty() || args.folder.is_some() || args.allow_plain_expunge {
        crate::bail!(
            crate::exit::Kind::Usage,
            "--uid, --folder and --allow-plain-expunge are IMAP only; add --protocol imap (or use port 993/143)"
        );
    }
    let interactive = output::stdin_is_terminal();
    if !args.yes && !args.dry_run && !interactive {
        crate::bail!(
            Kind::NoTerminal,
            "refusing to delete without confirmation: stdin is not a terminal; pass --yes"
        );
    }
    if !args.numbers.is_empty() {
        output::warning(
            "message numbers hold for one session only; --uidl names a message for good",
        );
    }
    let endpoint = Endpoint::resolve(Service::Pop3, &args.connection.endpoint_flags())?;
    let mut session =
        crate::pop3::connect::login(&endpoint, crate::output::Transcript::stderr(global.verbose))?;
    let listing = session.listing()?;
    let chosen = listing.select(&args.numbers, &args.uidl)?;
    let mut printer = Printer::stdout(global.json);
    let print = |printer: &mut Printer, deleted: bool| -> anyhow::Result<()> {
        for entry in &chosen {
            let record = Deleted {
                number: entry.number,
                uidl: entry.uidl.clone(),
                size: entry.size,
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
                    "{verb}\t{}\t{}\t{}",
                    record.number,
                    record.size,
                    escape_line(record.uidl.as_deref().unwrap_or("-"))
                ))?;
            }
        }
        printer.flush()?;
        Ok(())
    };
    if args.dry_run || chosen.is_empty() {
        session.quit().map_err(Failure::from).context("closing")?;
        print(&mut printer, false)?;
        return Ok(Exit::Success);
    }
    if !args.yes {
        // The person confirms what they see: each message's date, size, sender and subject.
        let numbers: Vec<u32> = chosen.iter().map(|e| e.number).collect();
        let headers = session
            .top_headers(&numbers, HEADER_CAP)
            .map_err(Failure::from)
            .context("reading headers")?;
        for (entry, header) in chosen.iter().zip(&headers) {
            output::terminal_line(&super::rows::message_row(entry, header.as_deref()));
        }
        let bytes: u64 = chosen.iter().map(|e| e.size).sum();
        output::restore_terminal_on_interrupt();
        let confirmed = dialoguer::Confirm::new()
            .with_prompt(format!(
                "Delete {} ({}) from {}?",
                output::count(chosen.len(), "message"),
                output::human_size(bytes),
                escape_line(endpoint.host.as_deref().unwrap_or_default())
            ))
            .default(false)
            .interact_opt()
            .map_err(|err| Failure::new(Kind::Usage, output::prompt_failed(err).to_string()))?;
        if confirmed != Some(true) {
            session.quit().map_err(Failure::from).context("closing")?;
            print(&mut printer, false)?;
            return Ok(Exit::Success);
        }
    }
    let numbers: Vec<u32> = chosen.iter().map(|e| e.number).collect();
    if let Err(err) = session.dele(&numbers) {
        if matches!(err, Pop3Error::Refused { .. }) {
            // Unmark the others; if even RSET fails, dropping the connection without QUIT
            // also leaves everything in place.
            if session.rset().is_ok() {
                let _ = session.quit();
            }
        }
        print(&mut printer, false)?;
        return Err(Failure::from(err)).context("deleting (nothing was deleted)");
    }
    if let Err(err) = session.quit() {
        print(&mut printer, false)?;
        return Err(Failure::new(
            err.kind(),
            format!("{err}: deletions not committed (the server did not confirm QUIT)"),
        ))
        .context("committing the deletions");
    }
    print(&mut printer, true)?;
    Ok(Exit::Success)
}
