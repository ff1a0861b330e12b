//! What the IMAP session says about messages: FETCH data items (ENVELOPE, BODY[section],
//! flags, dates), SEARCH keys, sequence sets and LIST patterns, from the store's entries and
//! mailkit's message module.

use std::{fs, num::NonZeroU32};

use imap_codec::imap_types::{
    core::{IString, NString, Vec1},
    datetime::DateTime,
    envelope::{Address, Envelope},
    extensions::uidplus::{UidElement, UidSet},
    fetch::Section,
    flag::{Flag, FlagFetch},
    search::SearchKey,
    sequence::{SeqOrUid, Sequence, SequenceSet},
};

use crate::{
    message::{HeaderSummary, Mailbox as Person, field_ranges},
    serve::store::Entry,
};

pub(super) fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

pub(super) fn nstring(value: Option<&str>) -> NString<'static> {
    NString(value.and_then(|v| IString::try_from(v.to_string()).ok()))
}

/// A message read only when a search key needs its bytes.
pub(super) struct Lazy<'a> {
    pub(super) entry: &'a Entry,
    pub(super) raw: Option<Vec<u8>>,
}

impl Lazy<'_> {
    fn raw(&mut self) -> &[u8] {
        let path = &self.entry.path;
        self.raw
            .get_or_insert_with(|| fs::read(path).unwrap_or_default())
    }
}

/// Whether a message meets a search key; `None` for keys this server does not support.
pub(super) fn matches(
    key: &SearchKey<'_>,
    seq: u32,
    count: u32,
    largest_uid: u32,
    message: &mut Lazy<'_>,
) -> Option<bool> {
    let flags = &message.entry.flags;
    let has = |c: char| flags.contains(c);
    let contains = |haystack: &[u8], needle: &[u8]| {
        needle.is_empty()
            || haystack
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle))
    };
    let people = |people: &[Person], needle: &[u8]| {
        people.iter().any(|p| {
            contains(p.name.as_deref().unwrap_or("").as_bytes(), needle)
                || contains(p.address.as_deref().unwrap_or("").as_bytes(), needle)
        })
    };
    Some(match key {
        SearchKey::All => true,
        SearchKey::And(keys) => {
            for key in keys.as_ref() {
                if !matches(key, seq, count, largest_uid, message)? {
                    return Some(false);
                }
            }
            true
        }
        SearchKey::Or(a, b) => {
            matches(a, seq, count, largest_uid, message)?
                || matches(b, seq, count, largest_uid, message)?
        }
        SearchKey::Not(key) => !matches(key, seq, count, largest_uid, message)?,
        SearchKey::SequenceSet(set) => in_set(set, seq, count),
        SearchKey::Uid(set) => in_set(set, message.entry.uid, largest_uid),
        SearchKey::Seen => has('S'),
        SearchKey::Unseen | SearchKey::New => !has('S'),
        SearchKey::Old => true,
        SearchKey::Recent => false,
        SearchKey::Answered => has('R'),
        SearchKey::Unanswered => !has('R'),
        SearchKey::Deleted => has('T'),
        SearchKey::Undeleted => !has('T'),
        SearchKey::Flagged => has('F'),
        SearchKey::Unflagged => !has('F'),
        SearchKey::Draft => has('D'),
        SearchKey::Undraft => !has('D'),
        SearchKey::Larger(n) => message.entry.size > u64::from(*n),
        SearchKey::Smaller(n) => message.entry.size < u64::from(*n),
        SearchKey::Subject(s) => {
            let summary = HeaderSummary::parse(message.raw());
            contains(summary.subject.unwrap_or_default().as_bytes(), s.as_ref())
        }
        SearchKey::From(s) => people(&HeaderSummary::parse(message.raw()).from, s.as_ref()),
        SearchKey::To(s) => people(&HeaderSummary::parse(message.raw()).to, s.as_ref()),
        SearchKey::Cc(s) => people(&HeaderSummary::parse(message.raw()).cc, s.as_ref()),
        SearchKey::Bcc(s) => people(&HeaderSummary::parse(message.raw()).bcc, s.as_ref()),
        SearchKey::Header(name, value) => {
            let name = String::from_utf8_lossy(name.as_ref()).into_owned();
            let raw = message.raw();
            let ranges = field_ranges(raw, &name);
            ranges.iter().any(|r| {
                let field = &raw[r.clone()];
                let value_part = field.splitn(2, |&b| b == b':').nth(1).unwrap_or_default();
                contains(value_part, value.as_ref())
            })
        }
        SearchKey::Body(s) => contains(split(message.raw()).1, s.as_ref()),
        SearchKey::Text(s) => contains(message.raw(), s.as_ref()),
        _ => return None,
    })
}

/// Whether `value` is in a sequence set whose `*` stands for `largest`.
pub(super) fn in_set(set: &SequenceSet, value: u32, largest: u32) -> bool {
    let resolve = |v: &SeqOrUid| match v {
        SeqOrUid::Value(n) => n.get(),
        SeqOrUid::Asterisk => largest,
    };
    set.0.as_ref().iter().any(|sequence| match sequence {
        Sequence::Single(v) => resolve(v) == value,
        Sequence::Range(a, b) => {
            let (a, b) = (resolve(a), resolve(b));
            (a.min(b)..=a.max(b)).contains(&value)
        }
    })
}

pub(super) fn uid_set(uids: impl Iterator<Item = u32>) -> Option<UidSet> {
    let elements: Vec<UidElement> = uids.map(|u| UidElement::Single(nz(u))).collect();
    Vec1::try_from(elements).ok().map(UidSet)
}

/// The IMAP system flags of Maildir info letters (maildir(5)).
pub(super) fn flags_of(letters: &str) -> Vec<FlagFetch<'static>> {
    letters
        .chars()
        .filter_map(|c| match c {
            'S' => Some(Flag::Seen),
            'R' => Some(Flag::Answered),
            'F' => Some(Flag::Flagged),
            'T' => Some(Flag::Deleted),
            'D' => Some(Flag::Draft),
            _ => None,
        })
        .map(FlagFetch::Flag)
        .collect()
}

pub(super) fn maildir_flag(flag: &Flag<'_>) -> Option<char> {
    match flag {
        Flag::Seen => Some('S'),
        Flag::Answered => Some('R'),
        Flag::Flagged => Some('F'),
        Flag::Deleted => Some('T'),
        Flag::Draft => Some('D'),
        _ => None,
    }
}

pub(super) fn internal_date(seconds: u64) -> Option<DateTime> {
    let utc = chrono::DateTime::from_timestamp(seconds as i64, 0)?;
    DateTime::try_from(utc.fixed_offset()).ok()
}

/// The header (with its blank line) and the body of a message.
pub(super) fn split(raw: &[u8]) -> (&[u8], &[u8]) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|at| at + 2))
        .unwrap_or(raw.len());
    raw.split_at(end)
}

/// The bytes of a BODY[section]. Parts are only resolved for a single-part message (part 1
/// is its body); other part numbers give nothing, as for a part that does not exist.
pub(super) fn section_bytes(raw: &[u8], section: Option<&Section<'_>>) -> Vec<u8> {
    let (header, body) = split(raw);
    match section {
        None => raw.to_vec(),
        Some(Section::Header(None)) => header.to_vec(),
        Some(Section::Text(None)) => body.to_vec(),
        Some(Section::Part(part)) if part.0.as_ref() == [NonZeroU32::MIN] => body.to_vec(),
        Some(Section::HeaderFields(None, names)) => {
            let mut ranges: Vec<_> = names
                .as_ref()
                .iter()
                .flat_map(|n| field_ranges(raw, &String::from_utf8_lossy(n.as_ref())))
                .collect();
            ranges.sort_by_key(|r| r.start);
            ranges.dedup();
            let mut out: Vec<u8> = ranges.into_iter().flat_map(|r| raw[r].to_vec()).collect();
            out.extend_from_slice(b"\r\n");
            out
        }
        Some(Section::HeaderFieldsNot(None, names)) => {
            let skip: Vec<_> = names
                .as_ref()
                .iter()
                .flat_map(|n| field_ranges(raw, &String::from_utf8_lossy(n.as_ref())))
                .collect();
            header
                .iter()
                .enumerate()
                .filter(|(at, _)| !skip.iter().any(|r| r.contains(at)))
                .map(|(_, b)| *b)
                .collect()
        }
        Some(_) => Vec::new(),
    }
}

/// Message bytes as a string IMAP can carry: a literal (quoted when short and plain).
pub(super) fn literal(bytes: &[u8]) -> NString<'static> {
    NString(IString::try_from(bytes.to_vec()).ok())
}

/// The ENVELOPE of RFC 3501 §7.4.2, from mailkit's header summary (decoded text).
pub(super) fn envelope(raw: &[u8]) -> Envelope<'static> {
    let summary = HeaderSummary::parse(raw);
    let addresses = |people: &[Person]| -> Vec<Address<'static>> {
        people
            .iter()
            .filter_map(|p| {
                let address = p.address.as_deref()?;
                let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
                Some(Address {
                    name: nstring(p.name.as_deref()),
                    adl: NString(None),
                    mailbox: nstring(Some(local)),
                    host: nstring((!domain.is_empty()).then_some(domain)),
                })
            })
            .collect()
    };
    let from = addresses(&summary.from);
    let message_id = summary.message_id.as_ref().map(|id| format!("<{id}>"));
    Envelope {
        date: nstring(summary.date.as_deref()),
        subject: nstring(summary.subject.as_deref()),
        sender: from.clone(),
        reply_to: from.clone(),
        from,
        to: addresses(&summary.to),
        cc: addresses(&summary.cc),
        bcc: addresses(&summary.bcc),
        in_reply_to: NString(None),
        message_id: nstring(message_id.as_deref()),
    }
}

/// LIST pattern matching (RFC 3501 §6.3.8): `*` matches anything, `%` anything but the
/// hierarchy delimiter.
pub(super) fn wildcard(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
            Some('%') => (0..=n.len())
                .take_while(|&i| i == 0 || n[i - 1] != '.')
                .any(|i| go(&p[1..], &n[i..])),
            Some(c) => n.first().is_some_and(|m| m.eq_ignore_ascii_case(c)) && go(&p[1..], &n[1..]),
        }
    }
    go(&p, &n)
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn list_patterns() {
        assert!(wildcard("*", "INBOX"));
        assert!(wildcard("%", "Archive"));
        assert!(!wildcard("%", "Archive.2026"));
        assert!(wildcard("Arch*", "Archive.2026"));
        assert!(wildcard("inbox", "INBOX"));
        assert!(!wildcard("Sent", "INBOX"));
    }
}
