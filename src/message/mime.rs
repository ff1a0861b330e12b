//! The MIME structure walk (RFC 2045 §5, RFC 2046 §5): header blocks, boundaries, nested
//! messages, in one bounded pass.
//!
//! mail-parser 0.11 builds the tree itself, but it hides what `parse` must report (a boundary
//! that never closes, a duplicate Content-Type), nests `message/rfc822` values so that dropping
//! a deep chain recurses, and looks for every ancestor's boundary again when a part is cut
//! short, which is quadratic on hostile input. So the structure is walked here, over the raw
//! bytes, with a depth limit; mail-parser still parses each header block (RFC 2047 words,
//! RFC 2231 parameters, addresses, dates).

use mail_parser::{Header, HeaderName, HeaderValue};
use memchr::{memchr, memmem};

use super::{Warning, WarningKind, decode, fields, mapped::Pace};

/// Deeper MIME nesting than this is not descended into (Postfix's `mime_nesting_limit` default):
/// real mail stays far below it, and the limit keeps the walk linear and the stack bounded.
pub const MAX_DEPTH: usize = 100;

/// More entities than this in one message are not listed; the limit bounds memory for
/// adversarial input while allowing any real message.
pub const MAX_PARTS: usize = 1_000_000;

/// The fields RFC 5322 §3.6 allows at most once in a message's header.
const ONCE_ONLY: [HeaderName<'static>; 11] = [
    HeaderName::From,
    HeaderName::Sender,
    HeaderName::ReplyTo,
    HeaderName::To,
    HeaderName::Cc,
    HeaderName::Bcc,
    HeaderName::Subject,
    HeaderName::Date,
    HeaderName::MessageId,
    HeaderName::InReplyTo,
    HeaderName::References,
];

/// Where [`Walker::header_warnings`] counts a field: its place in [`ONCE_ONLY`], then
/// Content-Type and Content-Transfer-Encoding; `None` for every other field.
fn counted_slot(name: &HeaderName<'_>) -> Option<usize> {
    Some(match name {
        HeaderName::From => 0,
        HeaderName::Sender => 1,
        HeaderName::ReplyTo => 2,
        HeaderName::To => 3,
        HeaderName::Cc => 4,
        HeaderName::Bcc => 5,
        HeaderName::Subject => 6,
        HeaderName::Date => 7,
        HeaderName::MessageId => 8,
        HeaderName::InReplyTo => 9,
        HeaderName::References => 10,
        HeaderName::ContentType => ONCE_ONLY.len(),
        HeaderName::ContentTransferEncoding => ONCE_ONLY.len() + 1,
        _ => return None,
    })
}

/// How an entity's body is structured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A single body (text, image, application data, or a container not descended into).
    Leaf,
    /// `multipart/*` whose children were found.
    Multipart,
    /// `message/rfc822` (or `message/global`) whose body was parsed as a message.
    Message,
}

/// The transfer encodings mailkit decodes, from a Content-Transfer-Encoding value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cte {
    /// 7bit, 8bit, binary or absent: the body is the content.
    Identity,
    Base64,
    QuotedPrintable,
    /// A token mailkit does not know (x-uuencode...): shown raw.
    Unknown,
}

/// One MIME entity: where its pieces are in the raw message and what its headers say.
pub(crate) struct Entity<'a> {
    pub id: String,
    pub depth: usize,
    /// The header block, as located by `fields` and parsed by mail-parser (offsets relative
    /// to `header_start`).
    pub headers: Vec<Header<'a>>,
    pub header_start: usize,
    pub body_start: usize,
    pub body_end: usize,
    pub kind: Kind,
    /// `type/subtype`, lowercased; the RFC 2045 default when the header is absent or broken.
    pub content_type: String,
    pub charset: Option<String>,
    /// The Content-Transfer-Encoding token as written (lowercased), if any.
    pub encoding: Option<String>,
    pub cte: Cte,
    pub disposition: Option<String>,
    pub filename: Option<String>,
    /// Decoded size for leaves, raw body size for containers.
    pub size: usize,
    /// Inside a message/rfc822 part (a forwarded message) rather than the message itself.
    pub nested: bool,
}

impl Entity<'_> {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &HeaderName<'_>) -> Option<&Header<'_>> {
        // The variant first: comparing names by value is a lookup per comparison.
        let variant = std::mem::discriminant(name);
        self.headers
            .iter()
            .find(|h| std::mem::discriminant(&h.name) == variant && &h.name == name)
    }
}

/// The walk's state: one message's raw bytes and everything found so far.
pub(crate) struct Walker<'a> {
    raw: &'a [u8],
    pub pace: Pace<'a>,
    pub entities: Vec<Entity<'a>>,
    pub warnings: Vec<Warning>,
    depth_warned: bool,
    parts_warned: bool,
    /// How many message/rfc822 parts enclose the entity being walked.
    in_message: usize,
    /// The field values the view needs from the message's own header; a part's header block
    /// needs only its MIME fields.
    root_values: fields::Values,
}

impl<'a> Walker<'a> {
    pub fn new(raw: &'a [u8], pace: Pace<'a>, root_values: fields::Values) -> Self {
        Walker {
            root_values,
            raw,
            pace,
            entities: Vec::with_capacity(4),
            warnings: Vec::new(),
            depth_warned: false,
            parts_warned: false,
            in_message: 0,
        }
    }

    fn warn(&mut self, kind: WarningKind, part: &str, message: String) {
        self.warnings.push(Warning {
            kind,
            part: Some(part.to_owned()),
            message,
        });
    }

    /// Walks the entity in `raw[start..end]`; `digest` selects the multipart/digest default
    /// type (message/rfc822) for a part without Content-Type. Recursion is bounded by
    /// [`MAX_DEPTH`].
    pub fn walk(&mut self, start: usize, end: usize, id: String, depth: usize, digest: bool) {
        if self.entities.len() >= MAX_PARTS {
            if !self.parts_warned {
                self.parts_warned = true;
                self.warnings.push(Warning {
                    kind: WarningKind::TooManyParts,
                    part: None,
                    message: format!("more than {MAX_PARTS} MIME parts; the rest are not listed"),
                });
            }
            return;
        }
        let raw = self.raw;
        let body_start = header_end(raw, start, end);
        let values = match self.root_values {
            _ if self.entities.is_empty() => self.root_values,
            // The tree view lists no other field in any block.
            fields::Values::Tree => fields::Values::Tree,
            _ => fields::Values::Mime,
        };
        let mut headers = Vec::with_capacity(16);
        fields::parse(&raw[start..body_start], values, &mut headers);

        let index = self.entities.len();
        let mut entity = Entity {
            id,
            depth,
            headers,
            header_start: start,
            body_start,
            body_end: end,
            kind: Kind::Leaf,
            content_type: String::new(),
            charset: None,
            encoding: None,
            cte: Cte::Identity,
            disposition: None,
            filename: None,
            size: end - body_start,
            nested: self.in_message > 0,
        };
        let boundary = self.describe(&mut entity, digest);
        if values != fields::Values::Tree {
            self.header_warnings(&entity, &raw[start..body_start]);
        }
        let id = entity.id.clone();
        let cte = entity.cte;
        let ct = entity.content_type.as_str();
        let is_multipart = ct.starts_with("multipart/");
        let is_digest = ct == "multipart/digest";
        let is_message = ct == "message/rfc822" || ct == "message/global";
        self.entities.push(entity);

        if (is_multipart || is_message) && depth + 1 >= MAX_DEPTH {
            if !self.depth_warned {
                self.depth_warned = true;
                self.warn(
                    WarningKind::TooDeep,
                    &id,
                    format!("MIME nesting deeper than {MAX_DEPTH} levels; parts below {id} are not shown"),
                );
            }
            self.leaf(index);
            return;
        }
        if is_multipart {
            match boundary {
                Some(boundary) if !boundary.is_empty() => {
                    self.multipart(index, &id, &boundary, is_digest)
                }
                _ => {
                    let content_type = &self.entities[index].content_type;
                    let message = format!("{content_type} has no boundary parameter");
                    self.warn(WarningKind::MissingBoundary, &id, message);
                    self.leaf(index);
                }
            }
        } else if is_message {
            if cte == Cte::Identity {
                self.entities[index].kind = Kind::Message;
                self.in_message += 1;
                self.walk(body_start, end, format!("{id}.1"), depth + 1, false);
                self.in_message -= 1;
            } else {
                let content_type = &self.entities[index].content_type;
                let message = format!(
                    "{content_type} with a transfer encoding (RFC 2046 §5.2.1 forbids it); not parsed as a message"
                );
                self.warn(WarningKind::EncodedMessage, &id, message);
                self.leaf(index);
            }
        } else {
            self.leaf(index);
        }
    }

    /// Only the message's own header block, as a leaf entity with nothing described: for the
    /// views that show header fields and nothing of the body, which then costs no walk.
    pub fn header_only(&mut self, end: usize) {
        let raw = self.raw;
        let body_start = header_end(raw, 0, end);
        let mut headers = Vec::with_capacity(32);
        fields::parse(&raw[..body_start], self.root_values, &mut headers);
        self.entities.push(Entity {
            id: "1".to_owned(),
            depth: 0,
            headers,
            header_start: 0,
            body_start,
            body_end: end,
            kind: Kind::Leaf,
            content_type: String::new(),
            charset: None,
            encoding: None,
            cte: Cte::Identity,
            disposition: None,
            filename: None,
            size: end - body_start,
            nested: false,
        });
    }

    /// Fills the entity's MIME fields from its headers; returns the boundary if multipart.
    fn describe(&mut self, entity: &mut Entity<'a>, digest: bool) -> Option<String> {
        let mut boundary = None;
        let content_type = entity
            .headers
            .iter()
            .find(|h| matches!(h.name, HeaderName::ContentType))
            .map(|h| &h.value);
        match content_type {
            Some(HeaderValue::ContentType(ct)) => {
                let mut full = ct.c_type.to_ascii_lowercase();
                full.push('/');
                match &ct.c_subtype {
                    Some(sub) => full.push_str(&sub.to_ascii_lowercase()),
                    None => full.push_str(if full == "text/" {
                        "plain"
                    } else {
                        "octet-stream"
                    }),
                }
                entity.content_type = full;
                entity.charset = ct.attribute("charset").map(str::to_owned);
                boundary = ct.attribute("boundary").map(str::to_owned);
                entity.filename = ct.attribute("name").map(str::to_owned);
            }
            _ => {
                entity.content_type = if digest {
                    "message/rfc822"
                } else {
                    "text/plain"
                }
                .into();
            }
        }
        let disposition = entity
            .header(&HeaderName::ContentDisposition)
            .and_then(|h| h.value.as_content_type())
            .map(|cd| {
                (
                    cd.c_type.to_ascii_lowercase(),
                    cd.attribute("filename").map(str::to_owned),
                )
            });
        if let Some((disposition, filename)) = disposition {
            entity.disposition = Some(disposition);
            if filename.is_some() {
                entity.filename = filename;
            }
        }
        let token = entity
            .header(&HeaderName::ContentTransferEncoding)
            .map(|header| match &header.value {
                HeaderValue::Text(text) => text.trim().to_ascii_lowercase(),
                _ => String::new(),
            });
        if let Some(token) = token {
            entity.cte = match token.as_str() {
                "" | "7bit" | "8bit" | "binary" => Cte::Identity,
                "base64" => Cte::Base64,
                "quoted-printable" => Cte::QuotedPrintable,
                _ => Cte::Unknown,
            };
            if !token.is_empty() {
                entity.encoding = Some(token);
            }
        }
        boundary
    }

    /// Warnings about the header block itself.
    fn header_warnings(&mut self, entity: &Entity<'a>, block: &[u8]) {
        let id = &entity.id;
        // One pass over the fields: the names below are compared by value, which for
        // mail-parser's `HeaderName` is a lookup per comparison.
        let mut counts = [0usize; ONCE_ONLY.len() + 2];
        for header in &entity.headers {
            if let Some(slot) = counted_slot(&header.name) {
                counts[slot] += 1;
            }
        }
        for (name, &count) in ONCE_ONLY.iter().zip(&counts) {
            if count > 1 {
                let what = fields::canonical(name);
                self.warn(
                    WarningKind::DuplicateField,
                    id,
                    format!(
                        "{count} {what} fields where RFC 5322 §3.6 allows one; readers may show any of them"
                    ),
                );
            }
        }
        for (kind, what, count) in [
            (
                WarningKind::DuplicateContentType,
                "Content-Type",
                counts[ONCE_ONLY.len()],
            ),
            (
                WarningKind::DuplicateEncoding,
                "Content-Transfer-Encoding",
                counts[ONCE_ONLY.len() + 1],
            ),
        ] {
            if count > 1 {
                self.warn(
                    kind,
                    id,
                    format!("{count} {what} headers; the first one is used"),
                );
            }
        }
        if entity.cte == Cte::Unknown {
            let token = entity.encoding.clone().unwrap_or_default();
            self.warn(
                WarningKind::UnknownEncoding,
                id,
                format!("unknown Content-Transfer-Encoding {token:?}; the body is shown undecoded"),
            );
        }
        if !block.is_ascii() {
            let names: Vec<String> = entity
                .headers
                .iter()
                .filter(|h| {
                    let field = block
                        .get(h.offset_field as usize..h.offset_end as usize)
                        .unwrap_or_default();
                    !field.is_ascii()
                })
                .map(|h| fields::canonical(&h.name).into_owned())
                .collect();
            let valid = std::str::from_utf8(block).is_ok();
            let names = if names.is_empty() {
                "the header block".to_owned()
            } else {
                names.join(", ")
            };
            self.warn(
                WarningKind::EightBitHeader,
                id,
                format!(
                    "8-bit bytes in {names} ({})",
                    if valid {
                        "UTF-8, valid only under RFC 6532"
                    } else {
                        "not UTF-8"
                    }
                ),
            );
        }
    }

    /// Decodes a leaf to learn its size and check its encoding and charset.
    fn leaf(&mut self, index: usize) {
        let raw = self.raw;
        let entity = &self.entities[index];
        let body = &raw[entity.body_start..entity.body_end];
        let id = entity.id.clone();
        let cte = entity.cte;
        let is_text = entity.content_type.starts_with("text/");
        let charset = entity.charset.clone();
        // Only the decoded size is kept: counting it needs no copy of the content.
        let mut count = Count(0);
        let (size, damage) = match cte {
            Cte::Base64 => {
                let damage = decode::base64(body, &self.pace, &mut count);
                (count.0, Some(("base64", damage.unwrap_or_default())))
            }
            Cte::QuotedPrintable => {
                let damage = decode::quoted_printable(body, &self.pace, &mut count);
                (
                    count.0,
                    Some(("quoted-printable", damage.unwrap_or_default())),
                )
            }
            Cte::Identity | Cte::Unknown => (body.len(), None),
        };
        self.entities[index].size = size;
        if let Some((name, damage)) = damage
            && !damage.is_clean()
        {
            let mut what = Vec::new();
            if damage.invalid > 0 {
                what.push(format!("{} invalid byte(s) skipped", damage.invalid));
            }
            if damage.truncated {
                what.push("ends with an incomplete group".to_owned());
            }
            let kind = if cte == Cte::Base64 {
                WarningKind::InvalidBase64
            } else {
                WarningKind::InvalidQuotedPrintable
            };
            self.warn(kind, &id, format!("invalid {name}: {}", what.join(", ")));
        }
        let encoding = self.entities[index].encoding.clone();
        // The tree view shows no warnings: a body it does not decode is not read at all.
        if cte == Cte::Identity
            && self.root_values != fields::Values::Tree
            && encoding.as_deref().is_none_or(|e| e == "7bit")
            && !is_ascii(body, &self.pace)
        {
            self.warn(
                WarningKind::EightBitBody,
                &id,
                format!(
                    "8-bit bytes in a part declared {}",
                    if encoding.is_some() {
                        "7bit"
                    } else {
                        "7bit by default (no Content-Transfer-Encoding)"
                    }
                ),
            );
        }
        if is_text
            && let Some(charset) = charset
            && !super::is_known_charset(&charset)
        {
            self.warn(
                WarningKind::UnknownCharset,
                &id,
                format!("unknown charset {charset:?}; text is shown as UTF-8 with replacements"),
            );
        }
    }

    /// Splits a multipart body at its boundary and walks each part.
    fn multipart(&mut self, index: usize, id: &str, boundary: &str, digest: bool) {
        let raw = self.raw;
        let (depth, start, end) = {
            let e = &self.entities[index];
            (e.depth, e.body_start, e.body_end)
        };
        let (parts, closed) = split(raw, start, end, boundary.as_bytes(), &self.pace);
        if parts.is_empty() {
            self.warn(
                WarningKind::BoundaryNotFound,
                id,
                format!("no line \"--{boundary}\" in the body; shown as a single part"),
            );
            self.leaf(index);
            return;
        }
        self.entities[index].kind = Kind::Multipart;
        if !closed {
            self.warn(
                WarningKind::UnterminatedMultipart,
                id,
                format!("no closing \"--{boundary}--\" line; the message may be truncated"),
            );
        }
        for (n, (part_start, part_end)) in parts.into_iter().enumerate() {
            self.walk(
                part_start,
                part_end,
                format!("{id}.{}", n + 1),
                depth + 1,
                digest,
            );
        }
    }
}

/// A writer that only counts, for decoded sizes.
struct Count(usize);

impl std::io::Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether `body` is all ASCII, checked piece by piece so a mapping's pages are released.
fn is_ascii(body: &[u8], pace: &Pace<'_>) -> bool {
    body.chunks(Pace::STEP).all(|piece| {
        pace.walked(piece.len());
        piece.is_ascii()
    })
}

/// Where the body starts: after the first empty line (LF or CRLF) in `raw[start..end]`, or at
/// `end` when the entity has only headers.
fn header_end(raw: &[u8], start: usize, end: usize) -> usize {
    let mut pos = start;
    while pos < end {
        let Some(nl) = memchr(b'\n', &raw[pos..end]) else {
            return end;
        };
        let line = &raw[pos..pos + nl];
        if line.is_empty() || line == b"\r" {
            return pos + nl + 1;
        }
        pos += nl + 1;
    }
    end
}

/// The parts of a multipart body (RFC 2046 §5.1.1): the ranges between delimiter lines
/// `--boundary` (followed only by whitespace), and whether the close delimiter
/// `--boundary--` was seen. The line break before a delimiter belongs to the delimiter.
pub(crate) fn split(
    raw: &[u8],
    start: usize,
    end: usize,
    boundary: &[u8],
    pace: &Pace<'_>,
) -> (Vec<(usize, usize)>, bool) {
    let mut needle = Vec::with_capacity(boundary.len() + 2);
    needle.extend_from_slice(b"--");
    needle.extend_from_slice(boundary);
    let finder = memmem::Finder::new(&needle);
    let body = &raw[start..end];
    // Searched in windows, so that a mapping's pages can be released along the way; each
    // window overlaps the previous one by a needle's length less one.
    let window = Pace::STEP.max(needle.len() * 2);
    let find = |from: usize| -> Option<usize> {
        let mut at = from;
        loop {
            let stop = (at + window).min(body.len());
            if let Some(found) = finder.find(&body[at..stop]) {
                pace.walked(found);
                return Some(at + found);
            }
            pace.walked(stop - at);
            if stop == body.len() {
                return None;
            }
            at = stop + 1 - needle.len();
        }
    };
    let mut parts = Vec::new();
    let mut part_start: Option<usize> = None;
    let mut search = 0;
    while search <= body.len()
        && let Some(at) = find(search)
    {
        search = at + needle.len();
        if at > 0 && body[at - 1] != b'\n' {
            continue;
        }
        let after = at + needle.len();
        let close = body[after..].starts_with(b"--");
        let rest_from = if close { after + 2 } else { after };
        let line_end = memchr(b'\n', &body[rest_from..]).map(|n| rest_from + n);
        let rest = &body[rest_from..line_end.unwrap_or(body.len())];
        if !rest.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            continue;
        }
        if let Some(begin) = part_start {
            let mut stop = at.saturating_sub(1);
            if stop > 0 && body[stop - 1] == b'\r' {
                stop -= 1;
            }
            // A repeated delimiter line delimits nothing: no empty entity for it.
            if stop > begin {
                parts.push((start + begin, start + stop));
            }
        }
        if close {
            if parts.is_empty() && part_start.is_some() {
                parts.push((start + at, start + at));
            }
            return (parts, true);
        }
        let next = line_end.map_or(body.len(), |n| n + 1);
        part_start = Some(next);
        search = next;
    }
    if let Some(begin) = part_start {
        parts.push((start + begin, end));
    }
    (parts, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(body: &str, boundary: &str) -> (Vec<String>, bool) {
        let (ranges, closed) = split(
            body.as_bytes(),
            0,
            body.len(),
            boundary.as_bytes(),
            &Pace::none(),
        );
        let texts = ranges
            .into_iter()
            .map(|(s, e)| body[s..e].to_owned())
            .collect();
        (texts, closed)
    }

    #[test]
    fn counted_slots_follow_once_only() {
        for (n, name) in ONCE_ONLY.iter().enumerate() {
            assert_eq!(counted_slot(name), Some(n), "{name:?}");
        }
        assert_eq!(counted_slot(&HeaderName::Received), None);
    }

    #[test]
    fn split_finds_parts_between_delimiters() {
        let cases: &[(&str, &[&str], bool)] = &[
            ("pre\n--b\nA\n--b\nB\n--b--\nepi", &["A", "B"], true),
            ("--b\r\nA\r\n--b--\r\n", &["A"], true),
            ("--b  \nA\n--b-- \n", &["A"], true),
            ("--b\nA\n--bx\nstill A\n--b--", &["A\n--bx\nstill A"], true),
            ("--b\nA\nx--b\nB", &["A\nx--b\nB"], false),
            ("--b\nA\n--b\nB", &["A", "B"], false),
            ("no delimiter here", &[], false),
            ("--b\n--b--", &[""], true),
            ("--b\n--b\n--b\nA\n--b\n\n--b\nB\n--b--", &["A", "B"], true),
            ("--b\r\n--b\r\nA\r\n--b\r\n--b--\r\n", &["A"], true),
        ];
        for &(body, want, closed) in cases {
            let (got, got_closed) = parts(body, "b");
            assert_eq!(got, want, "body {body:?}");
            assert_eq!(got_closed, closed, "body {body:?}");
        }
    }

    #[test]
    fn header_end_cases() {
        assert_eq!(header_end(b"A: 1\n\nbody", 0, 10), 6);
        assert_eq!(header_end(b"A: 1\r\n\r\nbody", 0, 12), 8);
        assert_eq!(header_end(b"\nbody", 0, 5), 1);
        assert_eq!(header_end(b"A: 1\nB: 2", 0, 9), 9);
    }
}
