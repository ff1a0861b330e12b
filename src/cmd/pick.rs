//! `fetch -i`'s picker, the same for POP3 and IMAP: which messages to fetch, which of those
//! to remove from the server once saved, then a final confirmation. Prompts appear only on a
//! terminal; the caller refuses `-i` before connecting when stdin is not one.

use std::collections::HashSet;

use anyhow::Context;

use crate::{
    exit::{Failure, Kind},
    maildrop::{Entry, MailAccess},
    output,
};

/// What happens to the messages chosen for removal, in the picker's words.
pub struct Removal<'a> {
    /// "delete", "move".
    pub verb: &'a str,
    /// "from the server", "to Archive".
    pub place: String,
}

impl Removal<'_> {
    /// Deleting from the server (POP3 DELE, IMAP UID EXPUNGE).
    pub fn delete() -> Removal<'static> {
        Removal {
            verb: "delete",
            place: "from the server".into(),
        }
    }
}

/// The messages to fetch and the numbers of those to remove, as chosen; `None` when the
/// person declines or cancels (Esc or q at any step). Ctrl-C ends the process with the
/// terminal restored. Without `removal` (the server offers no safe way to remove), the
/// removal question is not asked. The session is checked alive after the choosing.
pub fn pick<A: MailAccess>(
    session: &mut A,
    chosen: &[Entry],
    removal: Option<&Removal<'_>>,
    remove_default: bool,
) -> anyhow::Result<Option<(Vec<Entry>, HashSet<u32>)>> {
    if chosen.is_empty() {
        return Ok(Some((Vec::new(), HashSet::new())));
    }
    let headers = session
        .headers(chosen)
        .map_err(Into::into)
        .context("reading headers")?;
    let labels: Vec<String> = chosen
        .iter()
        .zip(&headers)
        .map(|(entry, header)| super::rows::message_row(entry, header.as_deref()))
        .collect();
    output::restore_terminal_on_interrupt();
    let Some(fetch) = choose(
        "Fetch which messages? (space toggles, enter accepts, Esc or q cancels)",
        &labels,
        true,
    )?
    else {
        return Ok(None);
    };
    if fetch.is_empty() {
        return Ok(None);
    }
    let picked: Vec<Entry> = fetch.iter().map(|&i| chosen[i].clone()).collect();
    let mut remove = HashSet::new();
    if let Some(removal) = removal {
        let fetch_labels: Vec<&String> = fetch.iter().map(|&i| &labels[i]).collect();
        let mut verb = removal.verb.to_string();
        verb[..1].make_ascii_uppercase();
        let prompt = format!(
            "{verb} which of these {} once saved? (Esc or q cancels)",
            removal.place
        );
        let Some(chosen) = choose(&prompt, &fetch_labels, remove_default)? else {
            return Ok(None);
        };
        remove = chosen.iter().map(|&i| picked[i].number).collect();
    }
    let bytes: u64 = picked.iter().map(|e| e.size).sum();
    let removing = match removal {
        Some(removal) => format!(
            " and {} {} of them {}",
            removal.verb,
            remove.len(),
            removal.place
        ),
        None => String::new(),
    };
    let confirmed = dialoguer::Confirm::new()
        .with_prompt(format!(
            "Fetch {} ({}){removing}?",
            output::count(picked.len(), "message"),
            output::human_size(bytes),
        ))
        .default(true)
        .interact_opt()
        .map_err(prompt_failed)?;
    if confirmed != Some(true) {
        return Ok(None);
    }
    // The person may have taken a while: make sure the server is still there.
    session
        .keep_alive()
        .map_err(Into::into)
        .context("after the selection")?;
    Ok(Some((picked, remove)))
}

/// One multiple choice over `items`, each ticked as `ticked` says; `None` when cancelled.
fn choose<T: std::fmt::Display>(
    prompt: &str,
    items: &[T],
    ticked: bool,
) -> anyhow::Result<Option<Vec<usize>>> {
    dialoguer::MultiSelect::new()
        .with_prompt(prompt)
        .items(items)
        .report(false)
        .defaults(&vec![ticked; items.len()])
        .interact_opt()
        .map_err(|err| prompt_failed(err).into())
}

/// A prompt that could not be shown or read: a usage error, as `-i` without a terminal is.
fn prompt_failed(err: dialoguer::Error) -> Failure {
    Failure::new(Kind::Usage, output::prompt_failed(err).to_string())
}
