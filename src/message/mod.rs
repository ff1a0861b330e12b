//! Message inspection (RFC 5322, MIME RFC 2045-2049): the only module that knows mail-parser;
//! everything else sees mailkit's own types.
//!
//! - `source`: where messages come from (a file, stdin, an mbox stream, a Maildir);
//! - `mime`: the structure walk over the raw bytes (boundaries, nesting, limits, warnings);
//! - `decode`: transfer decodings that report damage instead of hiding it;
//! - `fields`: the fields of a header block, located, and parsed by mail-parser when needed;
//! - `received`: the Received chain as hops with delays;
//! - `names`: safe file names and never-overwriting extraction of attachments.
//!
//! mail-parser parses the header values mailkit reads structured (RFC 2047 encoded words,
//! RFC 2231 parameters, addresses, dates, message ids, Received dates) and supplies charset decoders and HTML-to-text; moving to mail-parser
//! 1.0 touches only this module.

mod decode;
mod fast;
mod fields;
/// Message files mapped instead of read, and the pace at which walked pages are released.
pub mod mapped;
mod mime;
/// Safe attachment names and never-overwriting saves, for `--extract`.
pub mod names;
mod received;
/// Message sources (files, stdin, mbox, Maildir), streamed one message at a time.
pub mod source;
mod summary;

use std::borrow::Cow;

use mail_parser::{
    Address, ContentType, DateTime, Header, HeaderName, HeaderValue,
    decoders::{charsets::DecoderFnc, html::html_to_text},
    parsers::MessageStream,
};
use memchr::memchr;
use serde::Serialize;

use crate::exit::{self, Failure};
use mapped::{Bytes, Pace};
use mime::{Cte, Entity, Kind, Walker};

/// The walk's limits, documented for users and asserted by tests.
pub use mime::{MAX_DEPTH, MAX_PARTS};
/// Received hops and their delays, shared by the JSON and the text table.
pub use received::{Hop, Time, decimal, push_delay};
/// A few decoded header fields for `send -t` and `list --headers`, without a full inspection.
pub use summary::{HeaderSummary, envelope_sender, field_ranges};

/// What `mailkit parse --json` prints for one message: mailkit's own, documented schema, so
/// scripts do not depend on mail-parser's internals. Fields are added, never renamed.
#[derive(Debug, Serialize)]
pub struct MessageView<'a> {
    /// The file the message came from (`-` for stdin).
    pub source: &'a str,
    /// 1-based position in an mbox or Maildir (1 for a single message file).
    pub index: usize,
    /// Size of the raw message in bytes (after mboxrd unquoting).
    pub size: usize,
    /// The first Subject, decoded.
    pub subject: Option<String>,
    /// Every mailbox of the From fields.
    pub from: Vec<Mailbox>,
    /// Every mailbox of the To fields.
    pub to: Vec<Mailbox>,
    /// Every mailbox of the Cc fields.
    pub cc: Vec<Mailbox>,
    /// Every mailbox of the Reply-To fields.
    pub reply_to: Vec<Mailbox>,
    /// The Date header as RFC 3339, or null when absent or unparseable (then a warning says so).
    pub date: Option<String>,
    /// The Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// Every top-level header in order, decoded.
    pub headers: Vec<HeaderField<'a>>,
    /// Every MIME entity in depth-first pre-order, the message itself first.
    pub parts: Vec<PartView>,
    /// The Received chain, oldest hop first.
    pub received: Vec<Hop<'a>>,
    /// What makes the message ambiguous or broken, in the order found.
    pub warnings: Vec<Warning>,
}

/// One address from an address header; group members are listed individually.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Mailbox {
    /// The display name, decoded.
    pub name: Option<String>,
    /// The addr-spec (`local@domain`), when there is one.
    pub address: Option<String>,
}

/// One header field: its name as written and its value decoded and unfolded (borrowed from
/// the message when decoding changes nothing, which is most fields).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HeaderField<'a> {
    /// The field name as written (`Subject`, `X-Mailer`).
    pub name: Cow<'a, str>,
    /// The value, decoded and unfolded.
    pub value: Cow<'a, str>,
}

/// One MIME entity, as the tree view and `--part` identify it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PartView {
    /// `1` is the message; the n-th child of part `P` is `P.n`; the message inside a
    /// message/rfc822 part `P` is `P.1`.
    pub id: String,
    /// Nesting level, 0 for the message itself.
    pub depth: usize,
    /// `type/subtype`, lowercased, defaulted as RFC 2045 §5.2 says when absent.
    pub content_type: String,
    /// The charset parameter as written.
    pub charset: Option<String>,
    /// The Content-Transfer-Encoding as written (lowercased); null when absent.
    pub encoding: Option<String>,
    /// `inline`, `attachment`, ... or null when there is no Content-Disposition.
    pub disposition: Option<String>,
    /// The decoded file name (Content-Disposition filename, else Content-Type name).
    pub filename: Option<String>,
    /// Decoded size in bytes for a leaf; raw body size for multipart and message/rfc822.
    pub size: usize,
}

/// Something that makes a message ambiguous or broken; the message is still shown.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Warning {
    /// A stable identifier for scripts.
    #[serde(rename = "code")]
    pub kind: WarningKind,
    /// The part it concerns, if any.
    pub part: Option<String>,
    /// A sentence for people.
    pub message: String,
}

/// The kinds of [`Warning`], serialized kebab-case (`duplicate-content-type`, ...).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    /// More than one Content-Type in one header block: readers may disagree on which counts.
    DuplicateContentType,
    /// More than one Content-Transfer-Encoding in one header block.
    DuplicateEncoding,
    /// A field RFC 5322 §3.6 allows once (From, Subject, Date, Message-ID, ...) occurs more
    /// than once: readers may disagree on which one counts.
    DuplicateField,
    /// A multipart without a boundary parameter.
    MissingBoundary,
    /// A multipart whose boundary never appears in its body.
    BoundaryNotFound,
    /// A multipart without its closing delimiter (often a truncated message).
    UnterminatedMultipart,
    /// Base64 with foreign bytes or an incomplete final group.
    InvalidBase64,
    /// Quoted-printable with `=` not followed by two hex digits or a line break.
    InvalidQuotedPrintable,
    /// 8-bit bytes in a header block.
    #[serde(rename = "8bit-header")]
    EightBitHeader,
    /// 8-bit bytes in a part declared (or defaulting to) 7bit.
    #[serde(rename = "8bit-in-7bit-part")]
    EightBitBody,
    /// A text part whose charset mailkit cannot decode.
    UnknownCharset,
    /// A Content-Transfer-Encoding mailkit does not know.
    UnknownEncoding,
    /// A Date header that cannot be parsed.
    BadDate,
    /// A message/rfc822 part with a transfer encoding, which RFC 2046 forbids.
    EncodedMessage,
    /// Nesting beyond [`MAX_DEPTH`].
    TooDeep,
    /// More than [`MAX_PARTS`] entities.
    TooManyParts,
}

/// Why a byte string is not inspectable as a message at all.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// Nothing but whitespace.
    #[error("empty message")]
    Empty,
    /// Binary data or text without a header field: nothing to inspect.
    #[error("not a message: {0}")]
    NotAMessage(&'static str),
}

impl MessageError {
    /// Both are bad input data.
    pub fn kind(&self) -> exit::Kind {
        exit::Kind::BadInput
    }
}

impl From<MessageError> for Failure {
    fn from(err: MessageError) -> Failure {
        Failure::new(err.kind(), err)
    }
}

/// A parsed message: the view, plus what is needed to get at part contents on request.
pub struct Inspected<'a> {
    raw: &'a [u8],
    pace: Pace<'a>,
    entities: Vec<Entity<'a>>,
    view: MessageView<'a>,
}

/// How a MIME entity's body is built, for servers that describe the structure (IMAP
/// BODYSTRUCTURE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// A single body.
    Leaf,
    /// `multipart/*`: the children are the parts `<id>.1`, `<id>.2`, ...
    Multipart,
    /// `message/rfc822`: the enclosed message is the part `<id>.1`.
    Message,
}

/// Where one MIME entity lies in the raw message, with what its headers say: what a server
/// needs to hand out a part as it is on the wire (IMAP `BODY[1.2]`, `BODY[2.MIME]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPart {
    /// The part id, as in [`PartView::id`].
    pub id: String,
    /// Leaf, multipart or enclosed message.
    pub container: Container,
    /// `type/subtype`, lowercased.
    pub content_type: String,
    /// The charset parameter as written.
    pub charset: Option<String>,
    /// The Content-Transfer-Encoding as written (lowercased).
    pub encoding: Option<String>,
    /// The decoded file name.
    pub filename: Option<String>,
    /// The header block, blank line included.
    pub header: std::ops::Range<usize>,
    /// The body, as encoded.
    pub body: std::ops::Range<usize>,
}

/// A part worth saving as a file: it has a name or is marked as an attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The part id, for `write_part`.
    pub id: String,
    /// The decoded, untrusted file name; pass it through `names::safe_name`.
    pub filename: Option<String>,
    /// `type/subtype`, to pick an extension when there is no name.
    pub content_type: String,
}

/// The charset decoder for a MIME charset name, if mail-parser (with encoding_rs) knows it.
/// UTF-8 has none: it needs no conversion.
pub(crate) fn charset_decoder(name: &str) -> Option<DecoderFnc> {
    mail_parser::decoders::charsets::map::charset_decoder(name.as_bytes())
}

/// Whether text in charset `name` can be shown faithfully.
pub(crate) fn is_known_charset(name: &str) -> bool {
    let utf8 = ["utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8"];
    utf8.iter().any(|u| u.eq_ignore_ascii_case(name.trim())) || charset_decoder(name).is_some()
}

/// Inspects one raw message. Fails only when the bytes are not a message at all; anything
/// merely broken becomes a warning.
pub fn inspect<'a>(
    raw: &'a [u8],
    source: &'a str,
    index: usize,
) -> Result<Inspected<'a>, MessageError> {
    inspect_paced(raw, Pace::none(), source, index, Need::All)
}

/// [`inspect`] for a message as a source hands it out, parsing only what the view `need`s:
/// when it is a mapped file, the pages walked are released as the walk goes, so memory stays
/// small whatever the message size.
pub fn inspect_bytes<'a>(
    bytes: &'a Bytes,
    source: &'a str,
    index: usize,
    need: Need,
) -> Result<Inspected<'a>, MessageError> {
    inspect_paced(bytes, bytes.pace(), source, index, need)
}

/// The header fields the default text view shows, in its order.
pub const SUMMARY_FIELDS: [&str; 6] = ["From", "To", "Cc", "Subject", "Date", "Message-ID"];

/// How much of a message a view needs: each view parses only what it shows, which is most of
/// what `parse` costs per message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Need {
    /// Everything: the JSON document and the views of parts and hops.
    All,
    /// The default text view (`parse` without flags), which shows only the [`SUMMARY_FIELDS`]
    /// of the header: the view's `headers` hold only those, and the mailbox lists (`from`,
    /// `to`, `cc`, `reply_to`) stay empty; the MIME tree, hops and warnings are complete.
    Summary,
    /// The views that show only the message's header fields (`parse -H`, `-g`): the body is
    /// not walked, so the view's parts and warnings are not filled in, and a large message costs
    /// no more than its header; nor is the Received chain read (`received` stays empty).
    Header,
    /// The tree view (`parse --tree`), which shows only the MIME tree: only the MIME fields of
    /// the message's header are parsed, the view's `headers`, mailbox lists and `received` stay
    /// empty; `parts` are complete, `warnings` are not (the tree view shows none: neither header
    /// values nor undecoded bodies are checked).
    Tree,
}

fn inspect_paced<'a>(
    raw: &'a [u8],
    pace: Pace<'a>,
    source: &'a str,
    index: usize,
    need: Need,
) -> Result<Inspected<'a>, MessageError> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(MessageError::Empty);
    }
    // Leading blanks before the first field are tolerated, as most readers do.
    let first_line = raw[..memchr(b'\n', raw).unwrap_or(raw.len())].trim_ascii_start();
    if !is_field_line(first_line) {
        return Err(MessageError::NotAMessage(
            "the first line is not a header field (binary data, or not a mail message)",
        ));
    }
    let values = match need {
        Need::All | Need::Header => fields::Values::All,
        Need::Summary => fields::Values::Summary,
        Need::Tree => fields::Values::Tree,
    };
    let mut walker = Walker::new(raw, pace, values);
    if need != Need::Header {
        walker.walk(0, raw.len(), "1".to_owned(), 0, false);
    } else {
        walker.header_only(raw.len());
    }
    let Walker {
        entities,
        mut warnings,
        pace,
        ..
    } = walker;
    let root = &entities[0];
    let block = &raw[root.header_start..root.body_start];
    if memchr(0, block).is_some() {
        return Err(MessageError::NotAMessage("NUL bytes in the header"));
    }
    let tree = need == Need::Tree;
    // The tree view reads no header text: no UTF-8 check of the block, no Received chain.
    let text = Block::new(if tree { &[] } else { block });

    let mut view = MessageView {
        source,
        index,
        size: raw.len(),
        subject: None,
        from: Vec::new(),
        to: Vec::new(),
        cc: Vec::new(),
        reply_to: Vec::new(),
        date: None,
        message_id: None,
        headers: Vec::with_capacity(if tree { 0 } else { root.headers.len() }),
        parts: Vec::new(),
        // Only the full and default views show the hops.
        received: if matches!(need, Need::All | Need::Summary) {
            received::hops(&text, &root.headers)
        } else {
            Vec::new()
        },
        warnings: Vec::new(),
    };
    let summary = need == Need::Summary;
    let fields = if tree { &[][..] } else { &root.headers[..] };
    for header in fields {
        let name = field_name(&text, header);
        if summary
            && !SUMMARY_FIELDS
                .iter()
                .any(|key| name.eq_ignore_ascii_case(key))
        {
            continue;
        }
        let value = header_value(&text, header);
        match &header.name {
            HeaderName::From | HeaderName::To | HeaderName::Cc | HeaderName::ReplyTo if summary => {
            }
            HeaderName::Subject if view.subject.is_none() => {
                view.subject = Some(value.clone().into_owned())
            }
            HeaderName::From => push_mailboxes(&mut view.from, &header.value),
            HeaderName::To => push_mailboxes(&mut view.to, &header.value),
            HeaderName::Cc => push_mailboxes(&mut view.cc, &header.value),
            HeaderName::ReplyTo => push_mailboxes(&mut view.reply_to, &header.value),
            HeaderName::MessageId if view.message_id.is_none() => {
                view.message_id = match &header.value {
                    HeaderValue::Text(id) => Some(id.to_string()),
                    HeaderValue::TextList(ids) => ids.first().map(|id| id.to_string()),
                    _ => None,
                }
                .or_else(|| Some(value.clone().into_owned()).filter(|v| !v.is_empty()));
            }
            HeaderName::Date if view.date.is_none() => match &header.value {
                HeaderValue::DateTime(date) if date.is_valid() => view.date = Some(rfc3339(date)),
                _ => warnings.push(Warning {
                    kind: WarningKind::BadDate,
                    part: Some("1".into()),
                    message: format!("cannot parse the date {value:?}"),
                }),
            },
            _ => {}
        }
        view.headers.push(HeaderField { name, value });
    }
    view.parts = entities
        .iter()
        .map(|e| PartView {
            id: e.id.clone(),
            depth: e.depth,
            content_type: e.content_type.clone(),
            charset: e.charset.clone(),
            encoding: e.encoding.clone(),
            disposition: e.disposition.clone(),
            filename: e.filename.clone(),
            size: e.size,
        })
        .collect();
    // Warnings in tree order: the walk emits them in the same pre-order, parse order kept.
    view.warnings = warnings;
    Ok(Inspected {
        raw,
        pace,
        entities,
        view,
    })
}

/// An RFC 5322 field line: a name of printable ASCII other than `:`, optional obsolete
/// whitespace (RFC 5322 §4.5), then `:`.
fn is_field_line(line: &[u8]) -> bool {
    let Some(colon) = memchr(b':', line) else {
        return false;
    };
    let name = line[..colon].trim_ascii_end();
    !name.is_empty() && name.iter().all(|b| (33..=126).contains(b))
}

impl<'a> Inspected<'a> {
    /// The JSON-ready view of the message.
    pub fn view(&self) -> &MessageView<'a> {
        &self.view
    }

    /// Takes the view, for callers that only need it.
    pub fn into_view(self) -> MessageView<'a> {
        self.view
    }

    /// Every entity in tree order with its byte ranges in the raw message.
    pub fn raw_parts(&self) -> Vec<RawPart> {
        self.entities
            .iter()
            .map(|e| RawPart {
                id: e.id.clone(),
                container: match e.kind {
                    Kind::Leaf => Container::Leaf,
                    Kind::Multipart => Container::Multipart,
                    Kind::Message => Container::Message,
                },
                content_type: e.content_type.clone(),
                charset: e.charset.clone(),
                encoding: e.encoding.clone(),
                filename: e.filename.clone(),
                header: e.header_start..e.body_start,
                body: e.body_start..e.body_end,
            })
            .collect()
    }

    /// Every value of the top-level header `name` (case-insensitive), decoded, in order.
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        self.view
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_ref())
            .collect()
    }

    /// Writes the content of part `id` to `out`, decoded as it goes so that memory does not
    /// follow the part's size: transfer-decoded bytes for a leaf (charset untouched), the raw
    /// body for a multipart or message/rfc822. Returns the bytes written, or `None` when there
    /// is no such part.
    pub fn write_part(
        &self,
        id: &str,
        out: &mut dyn std::io::Write,
    ) -> Option<std::io::Result<u64>> {
        let entity = self.entities.iter().find(|e| e.id == id)?;
        let mut counted = Counted { inner: out, n: 0 };
        Some(self.content(entity, &mut counted).map(|()| counted.n))
    }

    fn content(&self, entity: &Entity<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let body = &self.raw[entity.body_start..entity.body_end];
        match (entity.kind, entity.cte) {
            (Kind::Leaf, Cte::Base64) => decode::base64(body, &self.pace, out).map(drop),
            (Kind::Leaf, Cte::QuotedPrintable) => {
                decode::quoted_printable(body, &self.pace, out).map(drop)
            }
            _ => body.chunks(Pace::STEP).try_for_each(|piece| {
                self.pace.walked(piece.len());
                out.write_all(piece)
            }),
        }
    }

    /// The best text body: the first text/plain part that is not an attachment, else the first
    /// such text/html converted to text; parts of the message itself are preferred over those
    /// of forwarded messages. Returns the part id and the text (charset-decoded).
    pub fn best_text(&self) -> Option<(String, String)> {
        let candidate = |e: &&Entity<'_>, ctype: &str| {
            e.kind == Kind::Leaf
                && e.content_type == ctype
                && e.disposition.as_deref() != Some("attachment")
        };
        let pick = |ctype: &str| {
            self.entities
                .iter()
                .filter(|e| candidate(e, ctype))
                .find(|e| !e.nested)
                .or_else(|| self.entities.iter().find(|e| candidate(e, ctype)))
        };
        if let Some(entity) = pick("text/plain") {
            return Some((entity.id.clone(), self.text(entity)));
        }
        let entity = pick("text/html")?;
        Some((
            entity.id.clone(),
            html_to_text(&break_blocks(&self.text(entity))),
        ))
    }

    fn text(&self, entity: &Entity<'_>) -> String {
        let mut bytes = Vec::new();
        // Writing into memory cannot fail.
        let _ = self.content(entity, &mut bytes);
        match entity.charset.as_deref().and_then(charset_decoder) {
            Some(decoder) => decoder(&bytes),
            // Valid UTF-8 (the usual case) is kept as it is rather than copied.
            None => String::from_utf8(bytes)
                .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned()),
        }
    }

    /// The parts to extract: leaves and forwarded messages that carry a file name or are
    /// marked `attachment`, in tree order.
    pub fn attachments(&self) -> Vec<Attachment> {
        self.entities
            .iter()
            .filter(|e| e.kind != Kind::Multipart)
            .filter(|e| e.filename.is_some() || e.disposition.as_deref() == Some("attachment"))
            .map(|e| Attachment {
                id: e.id.clone(),
                filename: e.filename.clone(),
                content_type: e.content_type.clone(),
            })
            .collect()
    }
}

/// A writer that counts what passes through it, for the size of a saved part.
struct Counted<'w> {
    inner: &'w mut dyn std::io::Write,
    n: u64,
}

impl std::io::Write for Counted<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Adds a `<br>` before the end of block elements (headings, list items, table rows,
/// divisions), which mail-parser's HTML-to-text would otherwise run together with what follows.
fn break_blocks(html: &str) -> String {
    const BLOCKS: [&str; 12] = [
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "div",
        "li",
        "tr",
        "table",
        "blockquote",
        "pre",
    ];
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(at) = rest.find("</") {
        let (before, tag) = rest.split_at(at);
        out.push_str(before);
        let name_len = tag[2..]
            .bytes()
            .take_while(u8::is_ascii_alphanumeric)
            .count();
        let name = &tag[2..2 + name_len];
        if BLOCKS.iter().any(|b| b.eq_ignore_ascii_case(name)) {
            out.push_str("<br>");
        }
        out.push_str("</");
        rest = &tag[2..];
    }
    out.push_str(rest);
    out
}

/// The field name as written in the message.
fn field_name<'a>(block: &Block<'a>, header: &Header<'a>) -> Cow<'a, str> {
    let start = header.offset_field as usize;
    let end = (header.offset_start as usize).saturating_sub(1);
    match block.bytes.get(start..end) {
        Some(name) if !name.is_empty() => block.text(name.trim_ascii()),
        _ => Cow::Owned(header.name.as_str().to_owned()),
    }
}

/// A header's value for people and scripts: decoded (RFC 2047, RFC 2231, charsets) and unfolded.
fn header_value<'a>(block: &Block<'a>, header: &Header<'a>) -> Cow<'a, str> {
    match (&header.name, &header.value) {
        (_, HeaderValue::Address(address)) => Cow::Owned(format_address(address)),
        (_, HeaderValue::ContentType(ct)) => Cow::Owned(format_content_type(ct)),
        (name, HeaderValue::Text(id)) if is_id_field(name) => {
            // Written `<id>` in the message (the usual case): borrowed as it is.
            let written = block.value(header).trim_ascii();
            if written.len() == id.len() + 2
                && written.first() == Some(&b'<')
                && written.last() == Some(&b'>')
                && &written[1..written.len() - 1] == id.as_bytes()
            {
                return block.text(written);
            }
            let mut out = String::with_capacity(id.len() + 2);
            out.push('<');
            out.push_str(id);
            out.push('>');
            Cow::Owned(out)
        }
        (name, HeaderValue::TextList(ids)) if is_id_field(name) => Cow::Owned(
            ids.iter()
                .map(|id| format!("<{id}>"))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        (
            HeaderName::Subject
            | HeaderName::Comments
            | HeaderName::ContentDescription
            | HeaderName::ContentLocation
            | HeaderName::ContentTransferEncoding,
            HeaderValue::Text(text),
        ) => trimmed(text.clone()),
        (_, HeaderValue::TextList(list)) => Cow::Owned(list.join(", ")),
        _ => decode_unstructured(block, block.value(header)),
    }
}

/// Fields whose values are message ids (or a path), shown in angle brackets as written.
fn is_id_field(name: &HeaderName<'_>) -> bool {
    matches!(
        name,
        HeaderName::MessageId
            | HeaderName::InReplyTo
            | HeaderName::References
            | HeaderName::ResentMessageId
            | HeaderName::ContentId
            | HeaderName::ReturnPath
    )
}

/// Unfolds a raw value (a slice of `block`) and decodes any RFC 2047 encoded words in it.
fn decode_unstructured<'a>(block: &Block<'a>, raw: &'a [u8]) -> Cow<'a, str> {
    // mail-parser's decoder wants the value with its line ending, as in the message.
    if memchr::memchr_iter(b'=', raw).any(|at| raw.get(at + 1) == Some(&b'?'))
        && let HeaderValue::Text(text) = MessageStream::new(raw).parse_unstructured()
    {
        return Cow::Owned(text.trim().to_owned());
    }
    unfold(block.text(raw.trim_ascii()))
}

/// RFC 3339 for a parsed date, as mail-parser's `to_rfc3339` writes it (`Z` for +00:00).
pub(crate) fn rfc3339(date: &DateTime) -> String {
    received::Time::new(date).as_str().to_owned()
}

/// A header block and, when it is valid UTF-8 (almost always), the same bytes as text: checked
/// once, so that each field's name and value borrow from it without being validated again.
pub(crate) struct Block<'a> {
    bytes: &'a [u8],
    text: Option<&'a str>,
}

impl<'a> Block<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Block {
            bytes,
            text: std::str::from_utf8(bytes).ok(),
        }
    }

    /// `part`, a slice of this block, as text (borrowed when the block is valid UTF-8 and
    /// `part` does not cut a character; else validated on its own, with replacements).
    pub(crate) fn text(&self, part: &'a [u8]) -> Cow<'a, str> {
        let offset = (part.as_ptr() as usize).wrapping_sub(self.bytes.as_ptr() as usize);
        let within = offset
            .checked_add(part.len())
            .and_then(|end| self.text?.get(offset..end));
        match within {
            Some(text) => Cow::Borrowed(text),
            None => lossy(part),
        }
    }

    /// Field `header`'s raw value (between the colon and the end of its last line).
    pub(crate) fn value(&self, header: &Header<'_>) -> &'a [u8] {
        self.bytes
            .get(header.offset_start as usize..header.offset_end as usize)
            .unwrap_or_default()
    }
}

/// Text from bytes that are almost always UTF-8: the validated fast path first, replacement
/// characters only when needed.
pub(crate) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Removes folding line breaks (RFC 5322 §2.2.3) and surrounding whitespace.
fn unfold(text: Cow<'_, str>) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    if memchr::memchr2(b'\n', b'\t', bytes).is_none() {
        return trimmed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest: &str = &text;
    while let Some(at) = memchr::memchr3(b'\r', b'\n', b'\t', rest.as_bytes()) {
        out.push_str(&rest[..at]);
        let byte = rest.as_bytes()[at];
        rest = &rest[at + 1..];
        match byte {
            b'\r' if rest.starts_with('\n') => {}
            b'\r' => out.push('\r'),
            // The folding whitespace becomes one space, as readers display it.
            b'\n' => {
                out.push(' ');
                rest = rest.trim_start_matches([' ', '\t']);
            }
            _ => out.push(' '),
        }
    }
    out.push_str(rest);
    trimmed(Cow::Owned(out))
}

/// `text` without surrounding whitespace: still borrowed when it was, and an owned string is
/// copied only when there is something to cut.
fn trimmed(text: Cow<'_, str>) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
        Cow::Owned(text) if text.trim().len() == text.len() => Cow::Owned(text),
        Cow::Owned(text) => Cow::Owned(text.trim().to_owned()),
    }
}

fn format_address(address: &Address<'_>) -> String {
    fn one(addr: &mail_parser::Addr<'_>) -> String {
        match (&addr.name, &addr.address) {
            (Some(name), Some(address)) if name.contains(|c| "()<>[]:;@\\,\"".contains(c)) => {
                format!("{} <{address}>", quote_parameter(name))
            }
            (Some(name), Some(address)) => {
                let mut out = String::with_capacity(name.len() + address.len() + 3);
                out.push_str(name);
                out.push_str(" <");
                out.push_str(address);
                out.push('>');
                out
            }
            (None, Some(address)) => address.to_string(),
            (Some(name), None) => name.to_string(),
            (None, None) => String::new(),
        }
    }
    match address {
        // One mailbox (most fields) needs no list to join.
        Address::List(list) if list.len() == 1 => one(&list[0]),
        Address::List(list) => list.iter().map(one).collect::<Vec<_>>().join(", "),
        Address::Group(groups) => groups
            .iter()
            .map(|g| {
                let members = g.addresses.iter().map(one).collect::<Vec<_>>().join(", ");
                match &g.name {
                    Some(name) => format!("{name}: {members};"),
                    None => members,
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn push_mailboxes(out: &mut Vec<Mailbox>, value: &HeaderValue<'_>) {
    let convert = |a: &mail_parser::Addr<'_>| Mailbox {
        name: a.name.as_ref().map(|n| n.to_string()),
        address: a.address.as_ref().map(|n| n.to_string()),
    };
    match value {
        HeaderValue::Address(Address::List(list)) => out.extend(list.iter().map(convert)),
        HeaderValue::Address(Address::Group(groups)) => {
            out.extend(groups.iter().flat_map(|g| g.addresses.iter()).map(convert))
        }
        _ => {}
    }
}

fn format_content_type(ct: &ContentType<'_>) -> String {
    let mut out = ct.c_type.to_string();
    if let Some(sub) = &ct.c_subtype {
        out.push('/');
        out.push_str(sub);
    }
    for attr in ct.attributes().unwrap_or_default() {
        out.push_str("; ");
        out.push_str(&attr.name);
        out.push('=');
        out.push_str(&quote_parameter(&attr.value));
    }
    out
}

/// Quotes a parameter value when it is not an RFC 2045 token.
fn quote_parameter(value: &str) -> Cow<'_, str> {
    let is_token = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b));
    if is_token {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(format!(
            "\"{}\"",
            value.replace('\\', "\\\\").replace('"', "\\\"")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(raw: &str) -> MessageView<'_> {
        inspect(raw.as_bytes(), "t.eml", 1).unwrap().into_view()
    }

    fn codes(view: &MessageView<'_>) -> Vec<WarningKind> {
        view.warnings.iter().map(|w| w.kind).collect()
    }

    #[test]
    fn once_only_fields_that_repeat_are_warned_about() {
        let v = view(
            "From: a@x\nSubject: one\nsubject: two\nTo: b@x\nTo: c@x\nX-Tag: 1\nX-Tag: 2\n\nbody\n",
        );
        let warned: Vec<_> = v
            .warnings
            .iter()
            .filter(|w| w.kind == WarningKind::DuplicateField)
            .map(|w| w.message.as_str())
            .collect();
        assert_eq!(warned.len(), 2, "{:?}", v.warnings);
        assert!(warned[0].starts_with("2 To fields"), "{warned:?}");
        assert!(warned[1].starts_with("2 Subject fields"), "{warned:?}");
        assert_eq!(v.subject.as_deref(), Some("one"));
        let once = view("From: a@x\nSubject: s\nReceived: x\nReceived: y\n\nbody\n");
        assert!(codes(&once).is_empty(), "{:?}", once.warnings);
    }

    #[test]
    fn the_header_only_inspection_has_the_same_header() {
        let raw = concat!(
            "From: =?UTF-8?Q?Andr=C3=A9?= <a@x>\nSubject: s\nSubject: again\nDate: nonsense\n",
            "Received: from a by b; Mon, 23 Nov 2026 10:00:00 +0100\n",
            "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nx\n--b--\n"
        );
        let bytes = Bytes::Owned(raw.as_bytes().to_vec());
        let full = inspect_bytes(&bytes, "t", 1, Need::All).unwrap();
        let header = inspect_bytes(&bytes, "t", 1, Need::Header).unwrap();
        assert_eq!(header.view().headers, full.view().headers);
        assert!(header.view().received.is_empty());
        assert_eq!(full.view().received.len(), 1);
        assert_eq!(
            header.header_values("subject"),
            full.header_values("subject")
        );
        assert!(
            inspect_bytes(
                &Bytes::Owned(b"no header here\n".to_vec()),
                "t",
                1,
                Need::Header
            )
            .is_err()
        );
        let summary = inspect_bytes(&bytes, "t", 1, Need::Summary).unwrap();
        let names: Vec<&str> = summary
            .view()
            .headers
            .iter()
            .map(|h| h.name.as_ref())
            .collect();
        assert_eq!(names, ["From", "Subject", "Subject", "Date"]);
        assert_eq!(summary.view().parts, full.view().parts);
        assert_eq!(summary.view().warnings, full.view().warnings);
        assert_eq!(summary.view().received, full.view().received);
    }

    #[test]
    fn repeated_delimiters_make_no_empty_parts() {
        let v = view(concat!(
            "Content-Type: multipart/mixed; boundary=b\n\n",
            "--b\n--b\n--b\nContent-Type: text/plain\n\nA\n--b\n--b\n\nB\n--b--\n",
        ));
        let ids: Vec<_> = v.parts.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["1", "1.1", "1.2"], "{:?}", v.parts);
        assert_eq!(v.parts[1].size, 1);
    }

    #[test]
    fn headers_are_decoded_and_unfolded() {
        let v = view(
            "From: =?UTF-8?Q?Andr=C3=A9?= <andre@example.org>\nSubject: =?ISO-8859-1?Q?caf=E9?=\n folded\nX-Thing: =?UTF-8?B?w7xiZXI=?=\nMessage-ID: <a@b>\nDate: Mon, 23 Nov 2026 10:00:00 +0100\n\nbody\n",
        );
        assert_eq!(v.subject.as_deref(), Some("café folded"));
        assert_eq!(
            v.from,
            vec![Mailbox {
                name: Some("André".into()),
                address: Some("andre@example.org".into())
            }]
        );
        assert_eq!(v.headers[2].value, "über");
        assert_eq!(v.message_id.as_deref(), Some("a@b"));
        assert_eq!(v.headers[3].value, "<a@b>");
        assert_eq!(v.date.as_deref(), Some("2026-11-23T10:00:00+01:00"));
        assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    }

    #[test]
    fn tree_ids_sizes_and_nested_messages() {
        let v = view(concat!(
            "Content-Type: multipart/mixed; boundary=outer\n\n",
            "--outer\nContent-Type: text/plain; charset=utf-8\n\nhi\n",
            "--outer\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Type: multipart/alternative; boundary=in\n\n",
            "--in\n\ninner text\n--in--\n",
            "--outer\nContent-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: base64\n\naGVsbG8=\n",
            "--outer--\n"
        ));
        let ids: Vec<(&str, &str, usize)> = v
            .parts
            .iter()
            .map(|p| (p.id.as_str(), p.content_type.as_str(), p.size))
            .collect();
        assert_eq!(
            &ids[1..],
            &[
                ("1.1", "text/plain", 2),
                ("1.2", "message/rfc822", 88),
                ("1.2.1", "multipart/alternative", 23),
                ("1.2.1.1", "text/plain", 10),
                ("1.3", "application/octet-stream", 5),
            ]
        );
        assert_eq!(v.parts[5].filename.as_deref(), Some("a.bin"));
        assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    }

    #[test]
    fn structural_problems_are_warned() {
        let v = view(concat!(
            "Content-Type: multipart/mixed; boundary=b\nContent-Type: text/plain\n\n",
            "--b\nContent-Transfer-Encoding: base64\nContent-Transfer-Encoding: 7bit\n\n!!!!\n",
            "--b\nContent-Type: text/plain; charset=x-klingon\nContent-Transfer-Encoding: quoted-printable\n\n=ZZ\n",
            "--b\nContent-Type: multipart/mixed\n\nx\n",
            "--b\nContent-Type: multipart/mixed; boundary=nowhere\n\nx\n",
            "--b\n\ncaf\u{e9}\n"
        ));
        assert_eq!(
            codes(&v),
            vec![
                WarningKind::DuplicateContentType,
                WarningKind::UnterminatedMultipart,
                WarningKind::DuplicateEncoding,
                WarningKind::InvalidBase64,
                WarningKind::InvalidQuotedPrintable,
                WarningKind::UnknownCharset,
                WarningKind::MissingBoundary,
                WarningKind::BoundaryNotFound,
                WarningKind::EightBitBody,
            ]
        );
    }

    #[test]
    fn bad_dates_and_8bit_headers_are_warned() {
        let v = view("Subject: caf\u{e9}\nDate: yesterday-ish\n\nx\n");
        assert_eq!(
            codes(&v),
            vec![WarningKind::EightBitHeader, WarningKind::BadDate]
        );
        assert_eq!(v.date, None);
    }

    #[test]
    fn non_messages_are_refused() {
        for raw in [
            &b""[..],
            b"\n\n  \n",
            b"\x89PNG\r\n\x1a\n\0\0",
            b"just some text\n",
        ] {
            assert!(inspect(raw, "x", 1).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn best_text_prefers_plain_then_html() {
        let raw = "Content-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>Hi&amp;bye</p>\n--b--\n";
        let msg = inspect(raw.as_bytes(), "t", 1).unwrap();
        let (id, text) = msg.best_text().unwrap();
        assert_eq!(id, "1.1");
        assert_eq!(text.trim(), "Hi&bye");
    }

    #[test]
    fn best_text_prefers_the_message_over_forwarded_ones() {
        let raw = "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\nSubject: fwd\n\ninner\n--b\nContent-Type: text/plain\n\nouter\n--b--\n";
        let msg = inspect(raw.as_bytes(), "t", 1).unwrap();
        assert_eq!(
            msg.best_text(),
            Some(("1.2".to_owned(), "outer".to_owned()))
        );
        let only_forwarded = "Content-Type: message/rfc822\n\nSubject: fwd\n\ninner\n";
        let msg = inspect(only_forwarded.as_bytes(), "t", 1).unwrap();
        assert_eq!(
            msg.best_text(),
            Some(("1.1".to_owned(), "inner\n".to_owned()))
        );
    }

    #[test]
    fn unfolding_joins_lines_with_one_space() {
        let cases = [
            ("a\r\n\tb", "a b"),
            ("a\n   b\n c", "a b c"),
            ("tab\there", "tab here"),
            ("stray\rcr", "stray\rcr"),
            ("plain", "plain"),
            ("  padded \n", "padded"),
        ];
        for (input, want) in cases {
            assert_eq!(unfold(Cow::Borrowed(input)), want, "{input:?}");
        }
    }

    #[test]
    fn rfc3339_matches_mail_parser() {
        for date in [
            "Mon, 23 Nov 2026 10:00:00 +0100",
            "Tue, 1 Feb 2000 23:59:59 -0930",
            "1 Jan 1999 00:00:00 GMT",
        ] {
            let HeaderValue::DateTime(parsed) =
                MessageStream::new(format!("{date}\n").as_bytes()).parse_date()
            else {
                panic!("{date} did not parse");
            };
            assert_eq!(rfc3339(&parsed), parsed.to_rfc3339(), "{date}");
        }
    }

    #[test]
    fn block_elements_end_lines_in_html_text() {
        assert_eq!(
            html_to_text(&break_blocks(
                "<h1>Title</h1><div>one</DIV><ul><li>a</li><li>b</li></ul>"
            )),
            "Title\none\na\nb\n"
        );
    }
}
