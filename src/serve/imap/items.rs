//! What the IMAP session says about messages: FETCH data items (ENVELOPE, BODY[section],
//! flags, dates), SEARCH keys, sequence sets and LIST patterns, from the store's entries and
//! mailkit's message module.

use std::{fs, num::NonZeroU32};

use imap_codec::imap_types::{
    body::{BasicFields, Body, BodyStructure, SpecificFields},
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
    message::{self, Container, HeaderSummary, Mailbox as Person, RawPart, field_ranges},
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

/// A message's MIME tree as IMAP numbers it (RFC 3501 §6.4.5): the parts of a multipart are
/// 1, 2, ...; a single-part message has one part, 1, its body; the parts of an enclosed
/// message/rfc822 continue under its own number.
pub(super) struct Tree<'a> {
    raw: &'a [u8],
    parts: Vec<RawPart>,
}

impl<'a> Tree<'a> {
    /// The tree of a message; a message mailkit cannot read as one is a single text part.
    pub(super) fn new(raw: &'a [u8]) -> Tree<'a> {
        let parts = message::inspect(raw, "imap", 1)
            .map(|i| i.raw_parts())
            .unwrap_or_default();
        Tree { raw, parts }
    }

    fn part(&self, id: &str) -> Option<&RawPart> {
        self.parts.iter().find(|p| p.id == id)
    }

    /// The entity an IMAP part number names.
    fn resolve(&self, path: &[NonZeroU32]) -> Option<&RawPart> {
        let mut current = "1".to_string();
        let mut message_level = true;
        for n in path.iter().map(|n| n.get()) {
            let part = self.part(&current)?;
            let inner = match (message_level, part.container) {
                (true, _) => current.clone(),
                (false, Container::Message) => format!("{current}.1"),
                (false, Container::Multipart) => {
                    current = format!("{current}.{n}");
                    continue;
                }
                (false, Container::Leaf) => return None,
            };
            message_level = false;
            current = match self.part(&inner)?.container {
                Container::Multipart => format!("{inner}.{n}"),
                _ if n == 1 => inner,
                _ => return None,
            };
        }
        self.part(&current)
    }

    /// BODYSTRUCTURE (RFC 3501 §7.4.2) of the whole message.
    pub(super) fn structure(&self) -> Option<BodyStructure<'static>> {
        self.structure_of(self.parts.first()?)
    }

    fn structure_of(&self, part: &RawPart) -> Option<BodyStructure<'static>> {
        let (kind, subtype) = part
            .content_type
            .split_once('/')
            .unwrap_or(("text", "plain"));
        let upper = |s: &str| IString::try_from(s.to_ascii_uppercase()).ok();
        if part.container == Container::Multipart {
            let prefix = format!("{}.", part.id);
            let children: Vec<BodyStructure<'static>> = self
                .parts
                .iter()
                .filter(|p| {
                    p.id.strip_prefix(&prefix)
                        .is_some_and(|rest| !rest.contains('.'))
                })
                .filter_map(|p| self.structure_of(p))
                .collect();
            return Some(BodyStructure::Multi {
                bodies: Vec1::try_from(children).ok()?,
                subtype: upper(subtype)?,
                extension_data: None,
            });
        }
        let body = &self.raw[part.body.clone()];
        let lines = memchr::memchr_iter(b'\n', body).count() as u32;
        let mut parameter_list = Vec::new();
        if let Some(charset) = &part.charset {
            parameter_list.push((upper("charset")?, IString::try_from(charset.clone()).ok()?));
        }
        if let Some(name) = &part.filename {
            parameter_list.push((upper("name")?, IString::try_from(name.clone()).ok()?));
        }
        let basic = BasicFields {
            parameter_list,
            id: NString(None),
            description: NString(None),
            content_transfer_encoding: upper(part.encoding.as_deref().unwrap_or("7bit"))?,
            size: body.len() as u32,
        };
        let specific = match part.container {
            Container::Message => {
                let inner = self.part(&format!("{}.1", part.id))?;
                SpecificFields::Message {
                    envelope: Box::new(envelope(body)),
                    body_structure: Box::new(self.structure_of(inner)?),
                    number_of_lines: lines,
                }
            }
            _ if kind == "text" => SpecificFields::Text {
                subtype: upper(subtype)?,
                number_of_lines: lines,
            },
            _ => SpecificFields::Basic {
                r#type: upper(kind)?,
                subtype: upper(subtype)?,
            },
        };
        Some(BodyStructure::Single {
            body: Body { basic, specific },
            extension_data: None,
        })
    }

    /// The bytes of a BODY[section] (RFC 3501 §6.4.5); an absent part gives nothing.
    pub(super) fn section(&self, section: Option<&Section<'_>>) -> Vec<u8> {
        let raw = self.raw;
        let Some(section) = section else {
            return raw.to_vec();
        };
        let (path, what) = match section {
            Section::Part(part) => (Some(part), "part"),
            Section::Header(part) => (part.as_ref(), "header"),
            Section::Text(part) => (part.as_ref(), "text"),
            Section::Mime(part) => (Some(part), "mime"),
            Section::HeaderFields(part, _) | Section::HeaderFieldsNot(part, _) => {
                (part.as_ref(), "fields")
            }
        };
        // The message a HEADER/TEXT/fields section reads: the whole one, or an enclosed one.
        let (start, end) = match path {
            None => (0, raw.len()),
            Some(path) => {
                let Some(part) = self.resolve(path.0.as_ref()) else {
                    return Vec::new();
                };
                match what {
                    "part" => return raw[part.body.clone()].to_vec(),
                    "mime" => return raw[part.header.clone()].to_vec(),
                    _ if part.container == Container::Message => (part.body.start, part.body.end),
                    _ => return Vec::new(),
                }
            }
        };
        let message = &raw[start..end];
        let (header, body) = split(message);
        match section {
            Section::Header(_) => header.to_vec(),
            Section::Text(_) => body.to_vec(),
            Section::HeaderFields(_, names) => {
                let mut ranges: Vec<_> = names
                    .as_ref()
                    .iter()
                    .flat_map(|n| field_ranges(message, &String::from_utf8_lossy(n.as_ref())))
                    .collect();
                ranges.sort_by_key(|r| r.start);
                ranges.dedup();
                let mut out: Vec<u8> = ranges
                    .into_iter()
                    .flat_map(|r| message[r].to_vec())
                    .collect();
                out.extend_from_slice(b"\r\n");
                out
            }
            Section::HeaderFieldsNot(_, names) => {
                let skip: Vec<_> = names
                    .as_ref()
                    .iter()
                    .flat_map(|n| field_ranges(message, &String::from_utf8_lossy(n.as_ref())))
                    .collect();
                header
                    .iter()
                    .enumerate()
                    .filter(|(at, _)| !skip.iter().any(|r| r.contains(at)))
                    .map(|(_, b)| *b)
                    .collect()
            }
            Section::Part(_) | Section::Mime(_) => Vec::new(),
        }
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
    use super::*;

    const MIXED: &[u8] = b"Subject: mixed\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body\r\n--b--\r\n";

    fn section(tree: &Tree<'_>, path: &[u32], kind: &str) -> Vec<u8> {
        let part = imap_codec::imap_types::core::Vec1::try_from(
            path.iter()
                .map(|&n| NonZeroU32::new(n).unwrap())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        let part = imap_codec::imap_types::fetch::Part(part);
        let section = match kind {
            "mime" => Section::Mime(part),
            "header" => Section::Header(Some(part)),
            _ => Section::Part(part),
        };
        tree.section(Some(&section))
    }

    #[test]
    fn parts_by_imap_number() {
        let tree = Tree::new(MIXED);
        assert_eq!(section(&tree, &[1], "part"), b"hello");
        assert_eq!(
            section(&tree, &[1], "mime"),
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        );
        assert_eq!(section(&tree, &[2], "header"), b"Subject: inner\r\n\r\n");
        assert_eq!(section(&tree, &[2, 1], "part"), b"inner body");
        assert!(section(&tree, &[3], "part").is_empty());
        let single = Tree::new(b"Subject: x\r\n\r\nbody\r\n");
        assert_eq!(section(&single, &[1], "part"), b"body\r\n");
        assert!(matches!(
            tree.structure(),
            Some(BodyStructure::Multi { .. })
        ));
    }

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
