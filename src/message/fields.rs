//! Locating the fields of a header block (RFC 5322 §2.2) and handing to mail-parser only the
//! values mailkit reads structured: addresses, dates, message ids, MIME fields, unstructured
//! text. Every other field (Received, X-*, List-*... most of a header-heavy block) is only
//! located, which a line search does without mail-parser's byte-by-byte walk, header-name hash
//! lookup and per-field allocations.
//!
//! The result is exactly what `MessageStream::parse_headers` gives with the configuration in
//! [`reference_parser`] (the same names, values and offsets; unit tests compare the two): the
//! field-splitting rules below are mail-parser 0.11's, and each value is parsed by mail-parser
//! starting at the same byte, so where a value ends is still mail-parser's decision.

use std::borrow::Cow;

use mail_parser::{Header, HeaderName, HeaderValue, parsers::MessageStream};
use memchr::memchr;

/// The longest name mail-parser looks up (`MMHS-Other-Recipients-Indicator-To`): a longer
/// name is never a known one.
const MAX_NAME: usize = 34;

/// Which mail-parser value parser a field gets.
#[derive(Clone, Copy)]
enum Value {
    ContentType,
    Id,
    Text,
    Date,
    Address,
    CommaSeparated,
    /// Located only: the value is [`HeaderValue::Empty`].
    Skip,
}

/// The fields mailkit parses, by lowercased name (mail-parser's names and parsers for them).
fn known(name: &[u8]) -> Option<(HeaderName<'static>, Value)> {
    Some(match name {
        b"received" => (HeaderName::Received, Value::Skip),
        b"from" => (HeaderName::From, Value::Address),
        b"to" => (HeaderName::To, Value::Address),
        b"cc" => (HeaderName::Cc, Value::Address),
        b"bcc" => (HeaderName::Bcc, Value::Address),
        b"reply-to" => (HeaderName::ReplyTo, Value::Address),
        b"sender" => (HeaderName::Sender, Value::Address),
        b"resent-from" => (HeaderName::ResentFrom, Value::Address),
        b"resent-sender" => (HeaderName::ResentSender, Value::Address),
        b"resent-to" => (HeaderName::ResentTo, Value::Address),
        b"resent-cc" => (HeaderName::ResentCc, Value::Address),
        b"resent-bcc" => (HeaderName::ResentBcc, Value::Address),
        b"date" => (HeaderName::Date, Value::Date),
        b"resent-date" => (HeaderName::ResentDate, Value::Date),
        b"message-id" => (HeaderName::MessageId, Value::Id),
        b"in-reply-to" => (HeaderName::InReplyTo, Value::Id),
        b"references" => (HeaderName::References, Value::Id),
        b"resent-message-id" => (HeaderName::ResentMessageId, Value::Id),
        b"return-path" => (HeaderName::ReturnPath, Value::Id),
        b"content-id" => (HeaderName::ContentId, Value::Id),
        b"content-type" => (HeaderName::ContentType, Value::ContentType),
        b"content-disposition" => (HeaderName::ContentDisposition, Value::ContentType),
        b"content-transfer-encoding" => (HeaderName::ContentTransferEncoding, Value::Text),
        b"content-description" => (HeaderName::ContentDescription, Value::Text),
        b"content-location" => (HeaderName::ContentLocation, Value::Text),
        b"subject" => (HeaderName::Subject, Value::Text),
        b"comments" => (HeaderName::Comments, Value::Text),
        b"keywords" => (HeaderName::Keywords, Value::CommaSeparated),
        _ => return None,
    })
}

/// Which field values [`parse`] hands to mail-parser: a view parses only what it shows. The
/// others are only located (an empty value), which ends them where mail-parser's parsers
/// would (unit tests compare the offsets on the fixtures and corpora).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Values {
    /// Every field mailkit reads structured (`--json`, `-H`, `-g`).
    All,
    /// The MIME fields the structure walk reads (Content-Type, -Disposition, -Transfer-Encoding):
    /// all a part's header block needs.
    Mime,
    /// The MIME fields and those the default view shows (From, To, Cc, Subject, Date,
    /// Message-ID).
    Summary,
    /// The MIME fields, and only they are listed: for the tree view, which reads nothing else
    /// of a header block (a header-heavy block then costs a line search per field).
    Tree,
}

impl Values {
    fn wants(self, name: &HeaderName<'_>) -> bool {
        let mime = matches!(
            name,
            HeaderName::ContentType
                | HeaderName::ContentDisposition
                | HeaderName::ContentTransferEncoding
        );
        match self {
            Values::All => true,
            Values::Mime | Values::Tree => mime,
            Values::Summary => {
                mime || matches!(
                    name,
                    HeaderName::From
                        | HeaderName::To
                        | HeaderName::Cc
                        | HeaderName::Subject
                        | HeaderName::Date
                        | HeaderName::MessageId
                )
            }
        }
    }
}

/// Appends the fields of `block` (a header block, up to and including its empty line) to
/// `headers`, with offsets relative to `block`. Fields mailkit does not parse get their name
/// as written ([`HeaderName::Other`]; see [`canonical`]) and an empty value, and so do those
/// `values` leaves out.
pub(crate) fn parse<'a>(block: &'a [u8], values: Values, headers: &mut Vec<Header<'a>>) {
    let mut pos = 0;
    'fields: loop {
        // Whitespace before a name is skipped; an empty line (or the end) ends the block.
        loop {
            match block.get(pos) {
                None | Some(b'\n') => return,
                Some(b) if !b.is_ascii_whitespace() => break,
                Some(_) => pos += 1,
            }
        }
        let field = pos;
        // The name: the bytes before the first `:` that follows a non-blank byte, blanks left
        // out of the lookup; a line without such a colon is not a field and is skipped.
        let mut lowered = [0u8; MAX_NAME];
        let mut len = 0;
        let mut first = None;
        let mut last = 0;
        let mut found = false;
        // The usual name, `Name:` without blanks, found with one search; anything else is
        // walked byte by byte below.
        if let Some(colon) = memchr::memchr2(b':', b'\n', &block[pos..])
            && colon > 0
            && block[pos + colon] == b':'
            && !block[pos..pos + colon].iter().any(u8::is_ascii_whitespace)
        {
            let name = &block[pos..pos + colon];
            // Every MIME field name starts with `Content-`: the tree view skips the others
            // without looking them up.
            if values == Values::Tree && !name[0].eq_ignore_ascii_case(&b'c') {
                pos = field_end(block, pos + colon + 1);
                continue;
            }
            for (slot, b) in lowered.iter_mut().zip(name) {
                *slot = b.to_ascii_lowercase();
            }
            len = colon;
            first = Some(pos);
            last = pos + colon;
            pos += colon + 1;
            found = true;
        }
        while !found && let Some(&b) = block.get(pos) {
            pos += 1;
            match b {
                b':' if first.is_some() => break,
                b'\n' => continue 'fields,
                b if !b.is_ascii_whitespace() && b != b':' => {
                    first.get_or_insert(pos - 1);
                    last = pos;
                    if let Some(slot) = lowered.get_mut(len) {
                        *slot = b.to_ascii_lowercase();
                    }
                    len += 1;
                }
                _ => {}
            }
        }
        let Some(first) = first else { return };
        let lookup = lowered.get(..len).and_then(known);
        if values == Values::Tree && !lookup.as_ref().is_some_and(|(name, _)| values.wants(name)) {
            pos = field_end(block, pos);
            continue;
        }
        let (name, kind) = lookup.unwrap_or_else(|| {
            (
                HeaderName::Other(super::lossy(&block[first..last])),
                Value::Skip,
            )
        });
        let kind = if values.wants(&name) {
            kind
        } else {
            Value::Skip
        };
        let start = pos;
        let value = match kind {
            Value::Skip => {
                pos = field_end(block, pos);
                HeaderValue::Empty
            }
            Value::Id if let Some((value, len)) = super::fast::ids(&block[start..]) => {
                pos = start + len;
                value
            }
            Value::Date => {
                let end = field_end(block, pos);
                match super::fast::date(&block[start..end]) {
                    Some(date) => {
                        pos = end;
                        HeaderValue::DateTime(date)
                    }
                    None => {
                        let mut stream = MessageStream::new(&block[start..]);
                        let value = stream.parse_date();
                        pos = start + stream.offset();
                        value
                    }
                }
            }
            parsed => {
                let mut stream = MessageStream::new(&block[start..]);
                let value = match parsed {
                    Value::ContentType => stream.parse_content_type(),
                    Value::Id => stream.parse_id(),
                    Value::Text => stream.parse_unstructured(),
                    Value::Date => stream.parse_date(),
                    Value::Address => stream.parse_address(),
                    Value::CommaSeparated | Value::Skip => stream.parse_comma_separared(),
                };
                pos = start + stream.offset();
                value
            }
        };
        headers.push(Header {
            name,
            value,
            offset_field: field as u32,
            offset_start: start as u32,
            offset_end: pos as u32,
        });
    }
}

/// Where a field whose value starts at `pos` ends: after the line break of its last line (a
/// line break followed by a space or tab continues the field).
fn field_end(block: &[u8], mut pos: usize) -> usize {
    while let Some(nl) = memchr(b'\n', &block[pos..]) {
        pos += nl + 1;
        match block.get(pos) {
            Some(b' ' | b'\t') => pos += 1,
            _ => return pos,
        }
    }
    block.len()
}

/// The name mail-parser gives a field: its registered spelling (`Delivered-To`) when it knows
/// the name, else the name as written. Only needed on rare paths (warnings), so it may
/// allocate.
pub(crate) fn canonical<'a>(name: &HeaderName<'a>) -> Cow<'a, str> {
    match name {
        HeaderName::Other(written) => {
            let compact: String = written
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            // No registered name is longer than MAX_NAME, so the lookup agrees with
            // mail-parser's, which gives up beyond that length.
            match HeaderName::parse(compact) {
                Some(HeaderName::Other(_)) | None => written.clone(),
                Some(known) => Cow::Owned(known.as_str().to_owned()),
            }
        }
        known => Cow::Owned(known.as_str().to_owned()),
    }
}

/// mail-parser configured as [`parse`] behaves, for the tests that compare the two.
#[cfg(test)]
pub(crate) fn reference_parser() -> mail_parser::MessageParser {
    mail_parser::MessageParser::new()
        .with_mime_headers()
        .with_date_headers()
        .with_address_headers()
        .with_message_ids()
        .header_id(HeaderName::ReturnPath)
        .header_text(HeaderName::Subject)
        .header_text(HeaderName::Comments)
        .header_comma_separated(HeaderName::Keywords)
        .ignore_header(HeaderName::Received)
        .default_header_ignore()
}

#[cfg(test)]
mod tests {
    use super::super::fast;
    use super::*;

    /// mail-parser's result, with names it knows but mailkit does not parse written the way
    /// [`parse`] writes them, for comparison.
    fn reference(block: &[u8]) -> Vec<Header<'_>> {
        let mut headers = Vec::new();
        MessageStream::new(block).parse_headers(&reference_parser(), &mut headers);
        headers
    }

    fn assert_same(block: &[u8]) {
        let mut ours = Vec::new();
        parse(block, Values::All, &mut ours);
        assert_same_as_reference(block, &ours);
        // The views that parse fewer values locate the same fields.
        for values in [Values::Mime, Values::Summary] {
            let mut fewer = Vec::new();
            parse(block, values, &mut fewer);
            assert_eq!(fewer.len(), ours.len());
            for (a, b) in fewer.iter().zip(&ours) {
                assert_eq!(
                    (a.offset_field, a.offset_start, a.offset_end, &a.name),
                    (b.offset_field, b.offset_start, b.offset_end, &b.name),
                    "{values:?} {:?}",
                    String::from_utf8_lossy(block)
                );
                if values.wants(&a.name) {
                    assert_eq!(a.value, b.value);
                } else {
                    assert_eq!(a.value, HeaderValue::Empty);
                }
            }
        }
        // The tree view's listing is the MIME fields of the full one, exactly.
        let mut tree = Vec::new();
        parse(block, Values::Tree, &mut tree);
        let mime: Vec<_> = ours
            .iter()
            .filter(|h| Values::Tree.wants(&h.name))
            .collect();
        assert_eq!(tree.len(), mime.len());
        for (a, b) in tree.iter().zip(mime) {
            assert_eq!(
                (
                    a.offset_field,
                    a.offset_start,
                    a.offset_end,
                    &a.name,
                    &a.value
                ),
                (
                    b.offset_field,
                    b.offset_start,
                    b.offset_end,
                    &b.name,
                    &b.value
                ),
                "{:?}",
                String::from_utf8_lossy(block)
            );
        }
        // The fast paths agree with mail-parser wherever they take a value.
        for header in &ours {
            let (start, end) = (header.offset_start as usize, header.offset_end as usize);
            fast::tests::check_ids(&block[start..]);
            let value = &block[start..end];
            fast::tests::check_date(value);
            if let Some(semi) = memchr::memrchr(b';', value) {
                fast::tests::check_date(&value[semi + 1..]);
            }
        }
    }

    fn assert_same_as_reference(block: &[u8], ours: &[Header<'_>]) {
        let theirs = reference(block);
        assert_eq!(
            ours.len(),
            theirs.len(),
            "{:?}",
            String::from_utf8_lossy(block)
        );
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(
                (a.offset_field, a.offset_start, a.offset_end, &a.value),
                (b.offset_field, b.offset_start, b.offset_end, &b.value),
                "{:?}",
                String::from_utf8_lossy(block)
            );
            assert_eq!(canonical(&a.name), canonical(&b.name));
            if !matches!(a.name, HeaderName::Other(_)) {
                assert_eq!(a.name, b.name);
            }
        }
    }

    #[test]
    fn agrees_with_mail_parser() {
        let cases: &[&[u8]] = &[
            b"From: a@b\nTo: c@d, e@f\nSubject: =?UTF-8?Q?caf=C3=A9?=\n folded\n\nbody",
            b"Received: from x\n\tby y; Mon, 23 Nov 2026 10:00:00 +0000\nX-Thing: 1\n  2\n\n",
            b"  Leading: blanks\nno colon here\nSub ject: spaced\n::odd: colons\nDate: garbage\n\n",
            b"Content-Type: text/plain;\r\n charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
            b"Message-ID: <a@b>\nReferences: <c@d> <e@f>\nKeywords: a, b\nX-Long-Name-That-Goes-On-And-On-Forever-And-Ever: v\n",
            b"delivered-to: x\nMIME-Version: 1.0\nList-Unsubscribe: <mailto:x>\nReturn-Path: <>\n",
            b"last: no newline",
            b"name-only",
            b"\xc3\xa9t\xc3\xa9: caf\xc3\xa9\nSubject: caf\xe9\n\n",
            b"A:\n\nB: after",
            b"X: a\n \n\tb\n\n",
            b"",
            b"\n",
            b"   \n",
            b"From: \"unterminated\n  quote <a@b>\nTo: x\n\n",
        ];
        for case in cases {
            assert_same(case);
        }
    }

    /// The header blocks of the message files under `dir`: with `every_line`, from each line
    /// (which covers nested parts' blocks too), else the top-level one.
    fn compare_files(dir: &std::path::Path, every_line: bool) -> usize {
        let mut compared = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                compared += compare_files(&path, every_line);
                continue;
            }
            let raw = std::fs::read(&path).unwrap();
            let mut start = 0;
            while start < raw.len() && (every_line || start == 0) {
                assert_same(&raw[start..]);
                compared += 1;
                start += memchr(b'\n', &raw[start..]).map_or(raw.len(), |n| n + 1);
            }
        }
        compared
    }

    #[test]
    fn agrees_with_mail_parser_on_real_mail() {
        let mut compared = compare_files(
            std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")),
            true,
        );
        // The corpora of the corpus test and of the benchmark (tests/packages.sh installs
        // them): a missing corpus fails the test rather than shrink it unnoticed.
        for (corpus, every_line) in [
            (
                "/usr/share/gocode/src/github.com/jhillyerd/enmime/testdata",
                true,
            ),
            (
                "/usr/share/gocode/src/github.com/gatherstars-com/jwz/test/testdata/ham",
                false,
            ),
        ] {
            assert!(
                std::path::Path::new(corpus).is_dir(),
                "corpus {corpus} is missing: run tests/packages.sh (or tests/run.sh), which installs it"
            );
            compared += compare_files(std::path::Path::new(corpus), every_line);
        }
        assert!(compared > 100, "only {compared} header blocks compared");
    }

    #[test]
    fn canonical_names_follow_mail_parser() {
        let mut headers = Vec::new();
        parse(
            b"delivered-to: x\nX-Custom: y\nSUBJECT: z\n",
            Values::All,
            &mut headers,
        );
        let names: Vec<_> = headers.iter().map(|h| canonical(&h.name)).collect();
        assert_eq!(names, ["Delivered-To", "X-Custom", "Subject"]);
    }
}
