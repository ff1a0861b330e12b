//! What the fetch pipeline needs from a mail-access protocol (POP3 today, IMAP next): a
//! listing of the mailbox, streaming retrieval, deletion that can be undone until the session
//! ends, and the end of the session that makes deletions final. Message identities are opaque
//! strings (a POP3 UIDL, an IMAP `UIDVALIDITY/UID`), so the seen-state and the loss-proof
//! order in [`super::fetch`] work unchanged for every protocol.

use std::{
    collections::HashSet,
    io::{self, Write},
};

use super::{Seen, SeenState};
use crate::{
    exit::{Failure, Kind},
    output,
};

/// One message on the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its number in this session (POP3 message number, IMAP sequence number).
    pub number: u32,
    /// Its size as the server reports it (octets on the wire).
    pub size: u64,
    /// Its lasting identity, when the server has one (POP3 UIDL, IMAP UID).
    pub uidl: Option<String>,
}

/// The mailbox as the server describes it.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    /// The messages in server order.
    pub entries: Vec<Entry>,
    /// Whether the server gave lasting identities (POP3 answered UIDL).
    pub has_uidl: bool,
    /// Identities the server gave to more than one message (unusable as identities).
    pub duplicates: HashSet<String>,
}

impl Listing {
    /// `--new`: `chosen` split into the messages to fetch and those an earlier run already
    /// delivered (which `--delete` still removes: that run may have stopped before QUIT). A
    /// message whose identity the server gave twice is fetched, with a warning, rather than
    /// lost; one whose size changed since is fetched as new.
    pub fn split_seen(&self, chosen: Vec<Entry>, state: &SeenState) -> (Vec<Entry>, Vec<Entry>) {
        let mut fresh = Vec::new();
        let mut seen_before = Vec::new();
        let mut ambiguous = Vec::new();
        for entry in chosen {
            let Some(uidl) = &entry.uidl else { continue };
            if self.duplicates.contains(uidl) {
                // Whether it was fetched before cannot be known: fetch it rather than lose it.
                ambiguous.push(format!("{} ({})", entry.number, output::escape_line(uidl)));
                fresh.push(entry);
                continue;
            }
            match state.seen(uidl, entry.size) {
                Seen::Yes => seen_before.push(entry),
                Seen::No => fresh.push(entry),
                Seen::SizeDiffers(before) => {
                    output::warning(&format!(
                        "message {} has UIDL {uidl} seen before with size {before}, now {}; fetching it as new",
                        entry.number, entry.size
                    ));
                    fresh.push(entry);
                }
            }
        }
        if !ambiguous.is_empty() {
            output::warning(&format!(
                "the server gave the same UIDL to several messages: {}; they are fetched, but cannot be tracked as seen, so every --new run fetches them again",
                ambiguous.join(", ")
            ));
        }
        (fresh, seen_before)
    }

    /// The entries for `numbers` and `uidls`, in the order given; a number or UIDL not on the
    /// server, or a UIDL the server gave twice, is an error and nothing is selected.
    pub fn select(&self, numbers: &[u32], uidls: &[String]) -> anyhow::Result<Vec<Entry>> {
        let mut chosen = Vec::new();
        let mut taken = HashSet::new();
        for &number in numbers {
            let Some(entry) = self.entries.iter().find(|e| e.number == number) else {
                crate::bail!(Kind::NotFound, "no message {number} on the server");
            };
            if taken.insert(number) {
                chosen.push(entry.clone());
            }
        }
        if !uidls.is_empty() && !self.has_uidl {
            crate::bail!(
                Kind::Protocol,
                "the server does not support UIDL, so --uidl cannot be used"
            );
        }
        for uidl in uidls {
            self.refuse_duplicate(uidl)?;
            let Some(entry) = self
                .entries
                .iter()
                .find(|e| e.uidl.as_deref() == Some(uidl))
            else {
                crate::bail!(
                    Kind::NotFound,
                    "no message with UIDL {uidl:?} on the server"
                );
            };
            if taken.insert(entry.number) {
                chosen.push(entry.clone());
            }
        }
        Ok(chosen)
    }

    /// Fails when `uidl` names several messages: acting on it could hit the wrong one.
    fn refuse_duplicate(&self, uidl: &str) -> anyhow::Result<()> {
        if self.duplicates.contains(uidl) {
            crate::bail!(
                Kind::Protocol,
                "the server gave UIDL {:?} to more than one message; it cannot identify a message",
                crate::output::escape_line(uidl)
            );
        }
        Ok(())
    }
}

/// Where a retrieval puts each message: called in order for each requested entry (by its
/// index in the request), so a message streams to disk instead of being buffered.
pub trait MessageSink {
    /// The writer one message's bytes go to.
    type Writer: Write;
    /// The server is sending the `index`th message; returns where its bytes go.
    fn begin(&mut self, index: usize) -> io::Result<Self::Writer>;
    /// The whole message (`bytes` long) was written to `writer`.
    fn finish(&mut self, index: usize, writer: Self::Writer, bytes: u64) -> io::Result<()>;
    /// The server refused the `index`th message with this (escaped) text.
    fn refused(&mut self, index: usize, text: &str) -> io::Result<()>;
    /// A message begun with `writer` must not be kept (the server sent a body not asked
    /// for): nothing of it may remain, in `tmp/`, in an mbox or in a spool.
    fn abandon(&mut self, writer: Self::Writer);
}

/// A logged-in mail-access session, as the fetch pipeline drives it.
pub trait MailAccess {
    /// The protocol's error; it knows its own exit class.
    type Error: std::error::Error + Send + Sync + 'static + Into<Failure>;

    /// Lists the mailbox, with lasting identities when the server has them.
    fn listing(&mut self) -> anyhow::Result<Listing>;

    /// Streams `entries` into `sink` (line ends turned into LF when `to_lf`, as files on this
    /// system want them); a message the server refuses goes to [`MessageSink::refused`] and
    /// the others go on.
    fn retrieve<K: MessageSink>(
        &mut self,
        entries: &[Entry],
        to_lf: bool,
        sink: &mut K,
    ) -> Result<(), Self::Error>;

    /// Marks `entries` for deletion when the session ends; an error leaves some maybe marked.
    fn delete(&mut self, entries: &[Entry]) -> Result<(), Self::Error>;

    /// Whether `err` was the server refusing (the session still usable), as opposed to the
    /// session failing.
    fn is_refusal(err: &Self::Error) -> bool;

    /// Unmarks every deletion of this session.
    fn undo_deletes(&mut self) -> Result<(), Self::Error>;

    /// Ends the session; deletions become final only when this succeeds.
    fn close(&mut self) -> Result<(), Self::Error>;

    /// The header of each of `entries`, in order (`None` where the server sent none), so
    /// the people picking messages (`fetch -i`) see sender, subject and date.
    fn headers(&mut self, entries: &[Entry]) -> Result<Vec<Option<Vec<u8>>>, Self::Error>;

    /// Checks the session is still usable after a pause (a person taking time to choose).
    fn keep_alive(&mut self) -> Result<(), Self::Error>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(number: u32, size: u64, uidl: &str) -> Entry {
        Entry {
            number,
            size,
            uidl: Some(uidl.to_string()),
        }
    }

    #[test]
    fn new_messages_are_split_from_those_delivered_before() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = SeenState::open(&dir.path().join("state")).unwrap();
        state.record([("old".to_string(), 10), ("grew".to_string(), 5)]);
        let entries = vec![
            entry(1, 10, "old"),
            entry(2, 20, "new"),
            entry(3, 6, "grew"),
            entry(4, 1, "twice"),
            entry(5, 1, "twice"),
        ];
        let listing = Listing {
            entries: entries.clone(),
            has_uidl: true,
            duplicates: HashSet::from(["twice".to_string()]),
        };
        let (fresh, before) = listing.split_seen(entries.clone(), &state);
        assert_eq!(before, [entries[0].clone()]);
        assert_eq!(fresh, entries[1..]);
    }
}
