//! A few decoded fields of one header block, for modules that need them without the whole
//! inspection: `send -t` (recipients from To/Cc/Bcc, the sender from From, the Message-ID
//! for reports) and `list --headers` (From, Subject and Date of `TOP n 0`). [`inspect`]
//! refuses what is not a message and walks the MIME tree; these callers hold header blocks
//! that may be truncated, lack a body, or be garbage, and only want the fields that are there.
//! mail-parser reads them here, so no other module parses RFC 5322 itself.
//!
//! [`inspect`]: super::inspect

use std::{fmt, ops::Range, sync::OnceLock};

use mail_parser::{Header, HeaderName, HeaderValue, MessageParser, parsers::MessageStream};

use super::{Mailbox, push_mailboxes};

/// The fields other modules act on, decoded (RFC 2047 encoded words, folding), read from the
/// header block only: everything after the first empty line is ignored, and a block that has
/// no empty line is read to its end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderSummary {
    /// Every mailbox of the From fields.
    pub from: Vec<Mailbox>,
    /// Every mailbox of the To fields, group members listed individually.
    pub to: Vec<Mailbox>,
    /// Every mailbox of the Cc fields, group members listed individually.
    pub cc: Vec<Mailbox>,
    /// Every mailbox of the Bcc fields, group members listed individually.
    pub bcc: Vec<Mailbox>,
    /// The first Subject, decoded and unfolded.
    pub subject: Option<String>,
    /// The first Date as written (unfolded, encoded words decoded), not reinterpreted: a
    /// listing shows what the sender wrote, even when it does not parse as a date.
    pub date: Option<String>,
    /// The first Message-ID, without angle brackets.
    pub message_id: Option<String>,
}

impl HeaderSummary {
    /// Reads the header block at the start of `raw` (a whole message or only its header, CRLF
    /// or LF). Never fails: fields that are absent or unreadable are left empty.
    pub fn parse(raw: &[u8]) -> HeaderSummary {
        with_headers(raw, |headers| {
            let mut summary = HeaderSummary::default();
            for header in headers {
                match (&header.name, &header.value) {
                    (HeaderName::From, value) => push_mailboxes(&mut summary.from, value),
                    (HeaderName::To, value) => push_mailboxes(&mut summary.to, value),
                    (HeaderName::Cc, value) => push_mailboxes(&mut summary.cc, value),
                    (HeaderName::Bcc, value) => push_mailboxes(&mut summary.bcc, value),
                    (HeaderName::Subject, HeaderValue::Text(text)) if summary.subject.is_none() => {
                        summary.subject = Some(text.trim().to_owned());
                    }
                    (HeaderName::Date, HeaderValue::Text(text)) if summary.date.is_none() => {
                        summary.date = Some(text.trim().to_owned());
                    }
                    (HeaderName::MessageId, value) if summary.message_id.is_none() => {
                        summary.message_id = match value {
                            HeaderValue::Text(id) => Some(id.trim().to_owned()),
                            HeaderValue::TextList(ids) => {
                                ids.first().map(|id| id.trim().to_owned())
                            }
                            _ => None,
                        }
                        .filter(|id| !id.is_empty());
                    }
                    _ => {}
                }
            }
            for mailbox in [
                &mut summary.from,
                &mut summary.to,
                &mut summary.cc,
                &mut summary.bcc,
            ]
            .into_iter()
            .flatten()
            {
                drop_route(mailbox);
            }
            summary
        })
    }

    /// The From mailboxes as one line (`Name <address>, ...`), for listings that show a
    /// sender per message; `None` when there is no From.
    pub fn from_line(&self) -> Option<String> {
        (!self.from.is_empty()).then(|| {
            self.from
                .iter()
                .map(Mailbox::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        })
    }
}

/// Removes an obsolete source route (`<@relay1,@relay2:user@example.org>`, RFC 5322 §4.4),
/// which mail-parser leaves in the address: a route must be ignored, and in RCPT TO it would
/// ask the server to relay through hosts the sender named.
fn drop_route(mailbox: &mut Mailbox) {
    if let Some(address) = &mut mailbox.address
        && address.starts_with('@')
        && let Some((_, addr_spec)) = address.split_once(':')
    {
        *address = addr_spec.to_owned();
    }
}

/// Where each field called `name` (case-insensitive) sits in the header block at the start of
/// `raw`: from its name to the end of its last continuation line, line ending included. For
/// byte-exact edits such as removing Bcc before sending, which must leave every other byte as
/// it was; the fields are delimited exactly as [`HeaderSummary::parse`] reads them.
pub fn field_ranges(raw: &[u8], name: &str) -> Vec<Range<usize>> {
    let wanted = HeaderName::parse(name);
    with_headers(raw, |headers| {
        headers
            .iter()
            .filter(|h| wanted.as_ref() == Some(&h.name))
            // The end may count the line ending added to an unterminated block.
            .map(|h| h.offset_field as usize..(h.offset_end as usize).min(raw.len()))
            .collect()
    })
}

/// The envelope sender a final delivery recorded in the first Return-Path field (RFC 5322
/// §3.6.7, RFC 5321 §4.4) of the header block at the start of `raw`, for an mbox `From ` line.
/// `None` when there is none, it is the null sender `<>`, or it holds anything that would break
/// the separator line (white space, controls).
pub fn envelope_sender(raw: &[u8]) -> Option<String> {
    let range = field_ranges(raw, "Return-Path").into_iter().next()?;
    let field = &raw[range];
    let value = &field[memchr::memchr(b':', field)? + 1..];
    let value = value.trim_ascii();
    let value = value.strip_prefix(b"<").unwrap_or(value);
    let value = value.strip_suffix(b">").unwrap_or(value);
    let value = std::str::from_utf8(value).ok()?;
    (!value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic() || b >= 0x80))
        .then(|| value.to_owned())
}

/// Runs `f` on the fields of the header block at the start of `raw`. mail-parser drops an
/// address field that ends the input without a line ending, so a block cut short (a `TOP`
/// reply at its cap, a message without body or final newline) is read with one added.
fn with_headers<T>(raw: &[u8], f: impl FnOnce(&[Header<'_>]) -> T) -> T {
    let mut headers = Vec::new();
    let complete = MessageStream::new(raw).parse_headers(parser(), &mut headers);
    if complete || raw.ends_with(b"\n") {
        return f(&headers);
    }
    let mut terminated = Vec::with_capacity(raw.len() + 1);
    terminated.extend_from_slice(raw);
    terminated.push(b'\n');
    headers.clear();
    MessageStream::new(&terminated).parse_headers(parser(), &mut headers);
    f(&headers)
}

/// mail-parser configured for the summary: structured parsing for its fields only; every
/// other field is merely delimited.
fn parser() -> &'static MessageParser {
    static PARSER: OnceLock<MessageParser> = OnceLock::new();
    PARSER.get_or_init(|| {
        MessageParser::new()
            .header_address(HeaderName::From)
            .header_address(HeaderName::To)
            .header_address(HeaderName::Cc)
            .header_address(HeaderName::Bcc)
            .header_id(HeaderName::MessageId)
            .header_text(HeaderName::Subject)
            .header_text(HeaderName::Date)
            .default_header_ignore()
    })
}

/// `Name <address>` as people read it in a listing; a name holding RFC 5322 specials is
/// quoted so the text still reads as one mailbox.
impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.name, &self.address) {
            (Some(name), Some(address)) if name.contains(|c| "()<>[]:;@\\,.\"".contains(c)) => {
                let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
                write!(f, "\"{escaped}\" <{address}>")
            }
            (Some(name), Some(address)) => write!(f, "{name} <{address}>"),
            (None, Some(address)) => f.write_str(address),
            (Some(name), None) => f.write_str(name),
            (None, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(name: Option<&str>, address: &str) -> Mailbox {
        Mailbox {
            name: name.map(str::to_owned),
            address: Some(address.to_owned()),
        }
    }

    fn addresses(boxes: &[Mailbox]) -> Vec<&str> {
        boxes.iter().filter_map(|m| m.address.as_deref()).collect()
    }

    #[test]
    fn encoded_words_and_folding_are_decoded() {
        let s = HeaderSummary::parse(
            b"Received: x\r\nFrom: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\r\nSubject: a\r\n\tfolded =?iso-8859-1?q?caf=E9?=\r\nDate: Mon, 1 Jan 2024\r\n 00:00:00 +0000\r\nSubject: second\r\nMessage-ID:\r\n <id.1@example.org>\r\n\r\nFrom: body@x\r\n",
        );
        assert_eq!(s.from, vec![mailbox(Some("Jürgen"), "j@example.org")]);
        assert_eq!(s.from_line().as_deref(), Some("Jürgen <j@example.org>"));
        assert_eq!(s.subject.as_deref(), Some("a folded café"));
        assert_eq!(s.date.as_deref(), Some("Mon, 1 Jan 2024 00:00:00 +0000"));
        assert_eq!(s.message_id.as_deref(), Some("id.1@example.org"));
    }

    #[test]
    fn groups_yield_their_members() {
        let s = HeaderSummary::parse(
            b"To: Team: a@x, \"Doe, J\" <j@x>;, b@y\nCc: undisclosed-recipients:;\nBcc: hidden@x,\n  other@y\nCC: c@z\n",
        );
        assert_eq!(addresses(&s.to), ["a@x", "j@x", "b@y"]);
        assert_eq!(s.to[1].name.as_deref(), Some("Doe, J"));
        assert_eq!(addresses(&s.cc), ["c@z"]);
        assert_eq!(addresses(&s.bcc), ["hidden@x", "other@y"]);
        let s = HeaderSummary::parse(b"To: <@r1,@r2:x@y>, X <@relay:z@w>, <@broken>\n");
        assert_eq!(addresses(&s.to), ["x@y", "z@w", "@broken"]);
    }

    #[test]
    fn missing_fields_stay_empty() {
        let s = HeaderSummary::parse(b"X-Other: 1\n\nSubject: in the body\n");
        assert_eq!(s, HeaderSummary::default());
        assert_eq!(s.from_line(), None);
        assert_eq!(HeaderSummary::parse(b""), HeaderSummary::default());
        assert_eq!(HeaderSummary::parse(b"Message-ID: <>\n").message_id, None);
    }

    #[test]
    fn a_block_without_blank_line_or_body_is_read_to_its_end() {
        let s = HeaderSummary::parse(b"Subject: hi\nTo: a@b");
        assert_eq!(s.subject.as_deref(), Some("hi"));
        assert_eq!(addresses(&s.to), ["a@b"]);
        let s = HeaderSummary::parse(b"Subject: hi\r\nCc: g: c@d;\r\n");
        assert_eq!(s.subject.as_deref(), Some("hi"));
        assert_eq!(addresses(&s.cc), ["c@d"]);
        let s = HeaderSummary::parse(b"Subject: cut mid-fie");
        assert_eq!(s.subject.as_deref(), Some("cut mid-fie"));
    }

    #[test]
    fn garbage_does_not_panic() {
        let inputs: [&[u8]; 9] = [
            b"\x89PNG\r\n\x1a\n\0\0",
            b":::\n:\n",
            b"From: <<<@@@>>>\nTo: \"unterminated\nCc: (comment\n",
            b"Subject: =?bogus?x?zz?= \xff\xfe\n",
            b"\n\n\n",
            b"\r",
            b"To:\n\t\n \n",
            b"Date: =?utf-8?b?!!!?=\nMessage-ID: <a@b\n",
            &[b'\xff'; 300],
        ];
        for raw in inputs {
            let _ = HeaderSummary::parse(raw);
            let _ = field_ranges(raw, "Bcc");
        }
        let s = HeaderSummary::parse(b"Subject: =?bogus?x?zz?= \xff\n");
        let subject = s.subject.unwrap_or_default();
        assert!(subject.contains("=?bogus?x?zz?="), "{subject}");
    }

    #[test]
    fn field_ranges_cover_whole_fields() {
        let raw =
            b"From: a@c\r\nbcc: x@y,\r\n\tz@w\r\nTo: b@x\r\nBCC : g: q@r;\r\n\r\nBcc: body@x\r\n";
        let ranges = field_ranges(raw, "Bcc");
        let fields: Vec<&[u8]> = ranges.iter().map(|r| &raw[r.clone()]).collect();
        assert_eq!(
            fields,
            [&b"bcc: x@y,\r\n\tz@w\r\n"[..], &b"BCC : g: q@r;\r\n"[..]]
        );
        assert_eq!(
            field_ranges(b"To: a@b", "To"),
            vec![Range { start: 0, end: 7 }]
        );
    }

    #[test]
    fn mailboxes_display_as_people_read_them() {
        assert_eq!(mailbox(Some("Jürgen"), "j@x").to_string(), "Jürgen <j@x>");
        assert_eq!(
            mailbox(Some("Doe, \"J\""), "j@x").to_string(),
            "\"Doe, \\\"J\\\"\" <j@x>"
        );
        assert_eq!(mailbox(None, "j@x").to_string(), "j@x");
    }
}
