//! `mailkit list`: the messages in a POP3 mailbox (number, size, UIDL, optionally From,
//! Subject and Date from TOP n 0), without changing the mailbox.

use anyhow::Context;
use serde::Serialize;

use crate::{
    accounts::{Endpoint, Service},
    cli::{GlobalArgs, list::ListArgs},
    exit::{Exit, Failure},
    maildrop::MailAccess,
    message::HeaderSummary,
    output::{Printer, escape_line},
    pop3::HEADER_CAP,
};

/// One message as `list --json` prints it.
#[derive(Debug, Serialize)]
struct Listed {
    number: u32,
    uidl: Option<String>,
    size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
}

/// Runs `mailkit list`.
pub fn run(args: &ListArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    if super::imap_common::protocol(&args.connection)? == crate::accounts::Protocol::Imap {
        return super::imap_list::run(args, global);
    }
    if args.folders || !args.folder.is_empty() {
        crate::bail!(
            crate::exit::Kind::Usage,
            "--folders and --folder are IMAP only; add --protocol imap (or use port 993/143)"
        );
    }
    let endpoint = Endpoint::resolve(Service::Pop3, &args.connection.endpoint_flags())?;
    let mut session =
        crate::pop3::connect::login(&endpoint, crate::output::Transcript::stderr(global.verbose))?;
    let listing = session.listing()?;
    let numbers: Vec<u32> = listing.entries.iter().map(|e| e.number).collect();
    let headers = if args.headers {
        session
            .top_headers(&numbers, HEADER_CAP)
            .map_err(Failure::from)
            .context("reading headers")?
    } else {
        Vec::new()
    };
    session
        .quit()
        .map_err(Failure::from)
        .context("closing the session")?;
    let mut printer = Printer::stdout(global.json);
    for (index, entry) in listing.entries.iter().enumerate() {
        let summary = headers
            .get(index)
            .and_then(Option::as_deref)
            .map(HeaderSummary::parse)
            .unwrap_or_default();
        let listed = Listed {
            number: entry.number,
            uidl: entry.uidl.clone(),
            size: entry.size,
            from: summary.from_line(),
            subject: summary.subject,
            date: summary.date,
        };
        if printer.is_json() {
            printer.json(&listed)?;
        } else {
            let mut line = format!(
                "{}\t{}\t{}",
                listed.number,
                listed.size,
                listed.uidl.as_deref().unwrap_or("-")
            );
            if args.headers {
                for field in [&listed.date, &listed.from, &listed.subject] {
                    line.push('\t');
                    line.push_str(&escape_line(field.as_deref().unwrap_or("")));
                }
            }
            printer.line(&line)?;
        }
    }
    printer.flush()?;
    Ok(Exit::Success)
}
