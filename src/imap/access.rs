//! One IMAP folder as a mail-access session for the loss-proof fetch pipeline
//! ([`crate::maildrop::fetch`]): the listing in UIDs, UID FETCH streamed into the pipeline's
//! sink, and what happens to a message once it is durable locally (deleted with UID STORE +
//! UID EXPUNGE of exactly its UID, or moved), then `\Seen` and LOGOUT at the end.
//!
//! Identities are `UIDVALIDITY/UID`, so a renumbered folder never matches an old record by
//! accident; [`Mailbox::remap`] matches old records to the renumbered messages by Message-ID
//! and size, so nothing is fetched twice and nothing skipped.

use std::{
    collections::{HashMap, HashSet},
    io::{self, Read, Write},
};

use anyhow::Context;

use super::{BodySink, Fetched, ImapError, MessageInfo, Session, SystemFlag, session::Timed};
use crate::{
    exit::{Failure, Kind},
    maildrop::{Entry, Listing, MailAccess, MessageSink, SeenState},
    message::HeaderSummary,
    output,
};

/// What becomes of a message on the server once it is durable locally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Removal {
    /// UID STORE +FLAGS.SILENT (\Deleted), then UID EXPUNGE of exactly those UIDs (UIDPLUS).
    Expunge,
    /// UID MOVE to this folder (RFC 6851), else UID COPY, flag and UID EXPUNGE.
    MoveTo(String),
    /// A plain EXPUNGE, which also removes messages other clients marked `\Deleted`: only
    /// when the server lacks UIDPLUS and the user allowed it by name.
    PlainExpunge,
}

impl Removal {
    /// How fetched or chosen messages leave the folder: UID EXPUNGE with UIDPLUS; without it a
    /// move to the Trash folder (with MOVE), or a plain EXPUNGE only when allowed by name, else a
    /// clear refusal before anything is done.
    pub fn choose<S: Read + Write + Timed>(
        session: &mut Session<S>,
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
            return Ok(Self::MoveTo(folder.to_string()));
        }
        if session.has("UIDPLUS") {
            return Ok(Self::Expunge);
        }
        if allow_plain {
            return Ok(Self::PlainExpunge);
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
                return Ok(Self::MoveTo(trash.name.clone()));
            }
        }
        crate::bail!(
            Kind::Config,
            "the server lacks UIDPLUS, so mailkit cannot expunge exactly the chosen messages (a plain EXPUNGE also removes messages other clients marked \\Deleted) and it has no MOVE to a \\Trash folder; use --move-to FOLDER, or --allow-plain-expunge to accept that"
        );
    }
}

/// A selected folder, driven by the fetch pipeline.
pub struct Mailbox<'s, S: Read + Write + Timed> {
    session: &'s mut Session<S>,
    uid_validity: u32,
    removal: Removal,
    mark_seen: bool,
    /// UIDs retrieved in this session (to flag `\Seen` at the end).
    retrieved: Vec<u32>,
    /// Message-IDs of what was retrieved, by identity, for matching after a renumbering.
    pub ids: HashMap<String, (u64, String)>,
    /// Keep the session logged in at the end of a run (`--watch` runs again).
    pub keep_open: bool,
    /// A plain EXPUNGE may be used where UID EXPUNGE is missing (`--allow-plain-expunge`).
    pub allow_plain_expunge: bool,
    /// The largest body accepted (`--max-size`), checked against the announced literal.
    pub max_size: Option<u64>,
}

impl<'s, S: Read + Write + Timed> Mailbox<'s, S> {
    /// Works on the folder `session` has selected.
    pub fn new(
        session: &'s mut Session<S>,
        removal: Removal,
        mark_seen: bool,
    ) -> Result<Self, ImapError> {
        let uid_validity =
            session
                .selected()
                .map(|s| s.uid_validity)
                .ok_or_else(|| ImapError::Missing {
                    doing: "fetching".into(),
                    what: "no folder selected".into(),
                })?;
        let allow_plain_expunge = removal_is_plain(&removal);
        Ok(Mailbox {
            session,
            uid_validity,
            removal,
            mark_seen,
            retrieved: Vec::new(),
            ids: HashMap::new(),
            keep_open: false,
            allow_plain_expunge,
            max_size: None,
        })
    }

    /// The session, for what the pipeline does not do (IDLE, LOGOUT).
    pub fn session(&mut self) -> &mut Session<S> {
        self.session
    }

    /// The identity of a UID in this folder.
    pub fn identity(&self, uid: u32) -> String {
        identity(self.uid_validity, uid)
    }

    /// After a UIDVALIDITY change: records each renumbered message that matches a message
    /// fetched before (same Message-ID and size) under its new identity, so it is neither
    /// fetched again nor skipped. Returns what happened, for the user.
    pub fn remap(
        &mut self,
        state: &mut SeenState,
        before: &HashMap<String, (u64, String)>,
    ) -> anyhow::Result<Option<Renumbered>> {
        let old: Vec<&str> = before
            .keys()
            .map(String::as_str)
            .filter(|id| {
                state_has(state, id) && !id.starts_with(&format!("{}/", self.uid_validity))
            })
            .collect();
        if old.is_empty() {
            return Ok(None);
        }
        let old_validity = old[0].split('/').next().unwrap_or("?").to_string();
        let mut wanted: HashMap<(String, u64), usize> = HashMap::new();
        for id in &old {
            if let Some((size, message_id)) = before.get(*id) {
                *wanted.entry((message_id.clone(), *size)).or_default() += 1;
            }
        }
        let list = self
            .session
            .list_messages(true)
            .map_err(Failure::from)
            .context("matching messages after a UIDVALIDITY change")?;
        let mut report = Renumbered {
            old_validity,
            new_validity: self.uid_validity,
            ..Renumbered::default()
        };
        let mut matched = Vec::new();
        for info in &list {
            let message_id = info
                .header
                .as_deref()
                .map(HeaderSummary::parse)
                .and_then(|h| h.message_id);
            match message_id {
                Some(mid) => match wanted.get_mut(&(mid.clone(), info.size)) {
                    Some(left) if *left > 0 => {
                        *left -= 1;
                        report.matched += 1;
                        let id = self.identity(info.uid);
                        self.ids.insert(id.clone(), (info.size, mid));
                        matched.push((id, info.size));
                    }
                    _ => report.new += 1,
                },
                None => report.without_id += 1,
            }
        }
        state.record(matched);
        state
            .save()
            .map_err(Failure::from)
            .context("recording the renumbered messages")?;
        Ok(Some(report))
    }

    fn listing_of(&self, list: &[MessageInfo]) -> Listing {
        Listing {
            entries: list
                .iter()
                .map(|m| Entry {
                    number: m.uid,
                    size: m.size,
                    uidl: Some(self.identity(m.uid)),
                })
                .collect(),
            has_uidl: true,
            duplicates: HashSet::new(),
        }
    }
}

fn removal_is_plain(removal: &Removal) -> bool {
    matches!(removal, Removal::PlainExpunge)
}

/// Streams bodies from [`Session::fetch_bodies`] into the pipeline's sink, by the index of
/// each UID in the request.
struct Adapter<'k, K: MessageSink> {
    sink: &'k mut K,
    index: HashMap<u32, usize>,
    to_lf: bool,
    got: Vec<(u32, Option<String>)>,
}

impl<K: MessageSink> BodySink for Adapter<'_, K> {
    type Writer = LfWriter<K::Writer>;

    fn begin(&mut self, _size: u64) -> io::Result<Self::Writer> {
        Ok(LfWriter {
            inner: self.sink.begin(0)?,
            to_lf: self.to_lf,
            cr: false,
            bytes: 0,
        })
    }

    fn finish(&mut self, fetched: Fetched, writer: Self::Writer) -> io::Result<()> {
        let Some(&i) = self.index.get(&fetched.uid) else {
            return Ok(());
        };
        let (inner, bytes) = writer.finish()?;
        self.sink.finish(i, inner, bytes)?;
        let message_id = fetched
            .message_id_field
            .as_deref()
            .map(HeaderSummary::parse)
            .and_then(|h| h.message_id);
        self.got.push((fetched.uid, message_id));
        Ok(())
    }

    fn abandon(&mut self, writer: Self::Writer) {
        self.sink.abandon(writer.inner);
    }
}

/// Turns CRLF into LF as a message streams through, for files on this system (IMAP sends
/// CRLF); a CR split from its LF across two writes is held back until the next byte.
pub struct LfWriter<W: Write> {
    inner: W,
    to_lf: bool,
    cr: bool,
    bytes: u64,
}

impl<W: Write> LfWriter<W> {
    /// Ends the message: a held-back lone CR is written; returns the writer and bytes written.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        if self.cr {
            self.inner.write_all(b"\r")?;
            self.bytes += 1;
        }
        Ok((self.inner, self.bytes))
    }
}

impl<W: Write> Write for LfWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if !self.to_lf {
            self.bytes += buf.len() as u64;
            return self.inner.write_all(buf);
        }
        let mut out = Vec::with_capacity(buf.len() + 1);
        let rest = buf;
        if self.cr {
            self.cr = false;
            if rest.first() != Some(&b'\n') {
                out.push(b'\r');
            }
        }
        let mut start = 0;
        for pos in memchr::memchr_iter(b'\r', rest) {
            out.extend_from_slice(&rest[start..pos]);
            match rest.get(pos + 1) {
                Some(b'\n') => {}
                Some(_) => out.push(b'\r'),
                None => self.cr = true,
            }
            start = pos + 1;
        }
        out.extend_from_slice(&rest[start..]);
        self.bytes += out.len() as u64;
        self.inner.write_all(&out)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// What a UIDVALIDITY change did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Renumbered {
    /// The UIDVALIDITY of the records.
    pub old_validity: String,
    /// The folder's UIDVALIDITY now.
    pub new_validity: u32,
    /// Messages matched to records by Message-ID and size: not fetched again.
    pub matched: usize,
    /// Messages with a Message-ID no record has: new.
    pub new: usize,
    /// Messages without a Message-ID: they cannot be matched and count as new.
    pub without_id: usize,
}

fn state_has(state: &SeenState, id: &str) -> bool {
    !matches!(state.seen(id, u64::MAX), crate::maildrop::Seen::No)
}

/// `UIDVALIDITY/UID`: a message's identity in the seen-state.
pub fn identity(uid_validity: u32, uid: u32) -> String {
    format!("{uid_validity}/{uid}")
}

impl<S: Read + Write + Timed> MailAccess for Mailbox<'_, S> {
    type Error = ImapError;

    fn listing(&mut self) -> anyhow::Result<Listing> {
        let list = self
            .session
            .list_messages(false)
            .map_err(Failure::from)
            .context("listing")?;
        Ok(self.listing_of(&list))
    }

    fn retrieve<K: MessageSink>(
        &mut self,
        entries: &[Entry],
        to_lf: bool,
        sink: &mut K,
    ) -> Result<(), ImapError> {
        let uids: Vec<u32> = entries.iter().map(|e| e.number).collect();
        let index: HashMap<u32, usize> = uids.iter().enumerate().map(|(i, &u)| (u, i)).collect();
        let mut adapter = Adapter {
            sink,
            index,
            to_lf,
            got: Vec::new(),
        };
        let limit = self.max_size.unwrap_or(u64::MAX);
        let missing = self.session.fetch_bodies(&uids, limit, &mut adapter)?;
        for (uid, message_id) in std::mem::take(&mut adapter.got) {
            self.retrieved.push(uid);
            if let Some(mid) = message_id
                && let Some(entry) = entries.iter().find(|e| e.number == uid)
            {
                self.ids.insert(self.identity(uid), (entry.size, mid));
            }
        }
        let Adapter { sink, .. } = adapter;
        for uid in missing {
            if let Some(i) = uids.iter().position(|&u| u == uid) {
                sink.refused(
                    i,
                    "no longer on the server (expunged by another client meanwhile)",
                )
                .map_err(|source| ImapError::Local {
                    doing: "recording a vanished message".into(),
                    source,
                })?;
            }
        }
        Ok(())
    }

    fn delete(&mut self, entries: &[Entry]) -> Result<(), ImapError> {
        let uids: Vec<u32> = entries.iter().map(|e| e.number).collect();
        if self.mark_seen {
            // Flagged here, before they leave the folder (a moved message keeps its flags).
            self.session.add_flags(&uids, SystemFlag::Seen)?;
            self.retrieved.retain(|uid| !uids.contains(uid));
        }
        match &self.removal {
            Removal::Expunge => {
                self.session.add_flags(&uids, SystemFlag::Deleted)?;
                self.session.expunge_uids(&uids)
            }
            Removal::MoveTo(folder) => {
                if self.session.has("MOVE") {
                    self.session.move_uids(&uids, folder)
                } else {
                    self.session.copy_uids(&uids, folder)?;
                    self.session.add_flags(&uids, SystemFlag::Deleted)?;
                    if self.session.has("UIDPLUS") {
                        self.session.expunge_uids(&uids)
                    } else if self.allow_plain_expunge {
                        self.session.expunge_all()
                    } else {
                        Err(ImapError::Missing {
                            doing: format!("moving to {folder}"),
                            what: "the server has neither MOVE nor UIDPLUS; the copies were made and flagged \\Deleted but not expunged (--allow-plain-expunge allows a plain EXPUNGE)".into(),
                        })
                    }
                }
            }
            Removal::PlainExpunge => {
                self.session.add_flags(&uids, SystemFlag::Deleted)?;
                self.session.expunge_all()
            }
        }
    }

    fn is_refusal(err: &ImapError) -> bool {
        matches!(err, ImapError::No { .. })
    }

    fn undo_deletes(&mut self) -> Result<(), ImapError> {
        // Deletions are carried out at once (the messages are already durable), so there is
        // nothing pending to undo; a refused UID EXPUNGE leaves the `\Deleted` flags, which
        // only mailkit's UID EXPUNGE of exactly these UIDs would act on.
        Ok(())
    }

    fn close(&mut self) -> Result<(), ImapError> {
        if self.mark_seen {
            let uids = std::mem::take(&mut self.retrieved);
            self.session.add_flags(&uids, SystemFlag::Seen)?;
        }
        self.retrieved.clear();
        if self.keep_open {
            self.session.noop().map(|_| ())
        } else {
            self.session.logout()
        }
    }

    /// The From, Subject, Date and Message-ID fields of the folder's messages (one UID FETCH
    /// with BODY.PEEK, so nothing is marked read).
    fn headers(&mut self, entries: &[Entry]) -> Result<Vec<Option<Vec<u8>>>, ImapError> {
        let mut by_uid: HashMap<u32, Option<Vec<u8>>> = self
            .session
            .list_messages(true)?
            .into_iter()
            .map(|m| (m.uid, m.header))
            .collect();
        Ok(entries
            .iter()
            .map(|e| by_uid.remove(&e.number).flatten())
            .collect())
    }

    fn keep_alive(&mut self) -> Result<(), ImapError> {
        self.session.noop().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(chunks: &[&[u8]]) -> Vec<u8> {
        let mut w = LfWriter {
            inner: Vec::new(),
            to_lf: true,
            cr: false,
            bytes: 0,
        };
        for chunk in chunks {
            w.write_all(chunk).unwrap();
        }
        let (out, bytes) = w.finish().unwrap();
        assert_eq!(bytes, out.len() as u64);
        out
    }

    /// A session whose greeting announces `caps`, then says `rest`.
    fn offering(caps: &str, rest: &[u8]) -> Session<crate::testing::Script> {
        let mut server = format!("* OK [CAPABILITY IMAP4rev1 {caps}] ready\r\n").into_bytes();
        server.extend_from_slice(rest);
        Session::open(
            crate::testing::Script::new(&server),
            true,
            crate::output::Transcript::off(),
            std::time::Duration::from_secs(5),
        )
        .unwrap()
    }

    #[test]
    fn removal_expunges_exactly_with_uidplus_and_else_needs_consent_or_a_trash() {
        let mut uidplus = offering("UIDPLUS", b"");
        assert_eq!(
            Removal::choose(&mut uidplus, None, false).unwrap(),
            Removal::Expunge
        );
        let mut bare = offering("", b"");
        let refused = Removal::choose(&mut bare, None, false).unwrap_err();
        assert_eq!(
            crate::exit::code_of(&refused),
            crate::exit::Kind::Config.exit()
        );
        assert_eq!(
            Removal::choose(&mut bare, None, true).unwrap(),
            Removal::PlainExpunge
        );
        assert!(Removal::choose(&mut bare, Some("Old"), false).is_err());
        let mut trash = offering(
            "MOVE",
            b"* LIST (\\HasNoChildren \\Trash) \"/\" Bin\r\nA0001 OK listed\r\n",
        );
        assert_eq!(
            Removal::choose(&mut trash, None, false).unwrap(),
            Removal::MoveTo("Bin".into())
        );
    }

    #[test]
    fn crlf_becomes_lf_even_when_split_across_writes() {
        assert_eq!(through(&[b"a\r\nb\r\n"]), b"a\nb\n");
        assert_eq!(through(&[b"a\r", b"\nb"]), b"a\nb");
        assert_eq!(through(&[b"a\r", b"b\r"]), b"a\rb\r");
        assert_eq!(through(&[b"\r\r\n", b"\r", b"\r\n"]), b"\r\n\r\n");
    }

    #[test]
    fn identities_carry_the_uidvalidity() {
        assert_eq!(identity(1764989233, 42), "1764989233/42");
    }
}
