//! Messages for `send`: composed from parts with mail-builder (RFC 5322, MIME, RFC 2047 for
//! non-ASCII text), or taken raw and left untouched but for what a sendmail-style `-t` needs:
//! recipients and sender from the header fields, and the Bcc fields removed byte for byte.
//!
//! Reading header fields belongs to `message` ([`HeaderSummary`], [`field_ranges`]); this
//! module only decides what send does with them.

use std::{borrow::Cow, path::PathBuf};

use crate::message::{HeaderSummary, field_ranges};
use mail_builder::{
    MessageBuilder,
    headers::{address::Address, message_id::MessageId, text::Text},
    mime::{BodyPart, MimePart},
};

/// Why a message could not be built or read.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// A header name, value or address holds CR, LF or NUL (header injection), or is invalid.
    #[error("{0}")]
    Invalid(String),
    /// An attachment could not be read.
    #[error("reading attachment {path}: {source}")]
    Attachment {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl ComposeError {
    /// Bad input data; an unreadable attachment is missing input.
    pub fn kind(&self) -> crate::exit::Kind {
        match self {
            ComposeError::Invalid(_) => crate::exit::Kind::BadInput,
            ComposeError::Attachment { .. } => crate::exit::Kind::NoInput,
        }
    }
}

impl From<ComposeError> for crate::exit::Failure {
    fn from(err: ComposeError) -> Self {
        crate::exit::Failure::new(err.kind(), err)
    }
}

/// A mailbox as given on the command line: `addr` or `Display Name <addr>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    /// The display name, if any (may be non-ASCII; RFC 2047-encoded on output).
    pub name: Option<String>,
    /// The address.
    pub address: String,
}

impl Mailbox {
    /// Parses `addr` or `Name <addr>`, refusing control characters anywhere.
    pub fn parse(text: &str) -> Result<Mailbox, ComposeError> {
        no_controls("address", text)?;
        let text = text.trim();
        let (name, address) = match (text.rfind('<'), text.ends_with('>')) {
            (Some(open), true) => {
                let name = text[..open].trim().trim_matches('"').trim();
                let name = (!name.is_empty()).then(|| name.to_string());
                (name, text[open + 1..text.len() - 1].trim().to_string())
            }
            _ => (None, text.to_string()),
        };
        crate::smtp::check_address(&address).map_err(ComposeError::Invalid)?;
        Ok(Mailbox { name, address })
    }

    fn to_header(&self) -> Address<'static> {
        Address::new_address(self.name.clone(), self.address.clone())
    }
}

/// One attachment: its file name as the recipient sees it, MIME type and contents.
#[derive(Clone, Debug)]
pub struct Attachment {
    /// File name for Content-Disposition.
    pub name: String,
    /// MIME type, guessed from the file name.
    pub content_type: String,
    /// The bytes.
    pub data: Vec<u8>,
}

impl Attachment {
    /// Reads a file and guesses its type from the extension (`application/octet-stream` when
    /// unknown).
    pub fn read(path: &std::path::Path) -> Result<Attachment, ComposeError> {
        let data = std::fs::read(path).map_err(|source| ComposeError::Attachment {
            path: path.to_path_buf(),
            source,
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attachment".into());
        let content_type = mime_guess::from_path(path)
            .first_or_octet_stream()
            .essence_str()
            .to_string();
        Ok(Attachment {
            name,
            content_type,
            data,
        })
    }
}

impl Attachment {
    /// An attached message (`message/rfc822`) goes as it is, in 7bit or 8bit, because RFC 2046
    /// §5.2.1 forbids base64 and quoted-printable for it: returns its bytes with CRLF line
    /// endings and the encoding to declare. `None` for any other type, and for a message that
    /// only `binary` could carry (NUL, a bare CR, a line over 998 octets), which then goes as
    /// `application/octet-stream` in base64 instead.
    fn as_message(&self) -> Option<(Vec<u8>, &'static str)> {
        if !self.content_type.eq_ignore_ascii_case("message/rfc822") {
            return None;
        }
        let mut out = Vec::with_capacity(self.data.len() + self.data.len() / 32 + 2);
        for line in self.data.split_inclusive(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.len() > 998 || line.iter().any(|&b| b == 0 || b == b'\r') {
                return None;
            }
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
        let encoding = if out.is_ascii() { "7bit" } else { "8bit" };
        Some((out, encoding))
    }

    /// The type to declare when [`Attachment::as_message`] declines a `message/rfc822`.
    fn fallback_type(&self) -> String {
        if self.content_type.eq_ignore_ascii_case("message/rfc822") {
            "application/octet-stream".into()
        } else {
            self.content_type.clone()
        }
    }
}

/// Everything a composed message is made of.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    /// The From header.
    pub from: Option<Mailbox>,
    /// To header recipients.
    pub to: Vec<Mailbox>,
    /// Cc header recipients.
    pub cc: Vec<Mailbox>,
    /// Subject (any Unicode; encoded when needed).
    pub subject: Option<String>,
    /// Plain-text body.
    pub text: String,
    /// HTML alternative.
    pub html: Option<String>,
    /// Extra headers, name and value.
    pub headers: Vec<(String, String)>,
    /// Attachments.
    pub attachments: Vec<Attachment>,
}

/// A built message and its Message-ID (without angle brackets).
#[derive(Clone, Debug)]
pub struct Built {
    /// The RFC 5322 bytes.
    pub bytes: Vec<u8>,
    /// The generated Message-ID.
    pub message_id: String,
}

impl Draft {
    /// Builds the message: Date, Message-ID and MIME-Version are generated; a header value
    /// containing CR, LF or NUL is refused rather than let inject headers. Takes the draft by
    /// value so bodies and attachments move into the message instead of being copied.
    pub fn build(self, id_domain: &str) -> Result<Built, ComposeError> {
        for (name, value) in &self.headers {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
                return Err(ComposeError::Invalid(format!(
                    "invalid header name {:?}",
                    crate::output::escape_line(name)
                )));
            }
            no_controls(name, value)?;
        }
        if let Some(subject) = &self.subject {
            no_controls("subject", subject)?;
        }
        let message_id = format!(
            "{:x}.{:016x}@{id_domain}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros())
                .unwrap_or(0),
            fastrand::u64(..)
        );
        let mut builder = MessageBuilder::new().message_id(MessageId::new(message_id.clone()));
        if let Some(from) = &self.from {
            builder = builder.from(from.to_header());
        }
        let list =
            |boxes: &[Mailbox]| Address::new_list(boxes.iter().map(Mailbox::to_header).collect());
        if !self.to.is_empty() {
            builder = builder.to(list(&self.to));
        }
        if !self.cc.is_empty() {
            builder = builder.cc(list(&self.cc));
        }
        if let Some(subject) = self.subject {
            builder = builder.subject(Text::new(subject));
        }
        for (name, value) in self.headers {
            builder = builder.header(name, Text::new(value));
        }
        builder = builder.text_body(Cow::Owned(self.text));
        if let Some(html) = self.html {
            builder = builder.html_body(Cow::Owned(html));
        }
        for attachment in self.attachments {
            builder = match attachment.as_message() {
                Some((data, encoding)) => {
                    let part = MimePart::new("message/rfc822", BodyPart::Binary(data.into()))
                        .attachment(attachment.name)
                        .transfer_encoding(encoding);
                    builder.attachments.get_or_insert_with(Vec::new).push(part);
                    builder
                }
                None => {
                    builder.attachment(attachment.fallback_type(), attachment.name, attachment.data)
                }
            };
        }
        let mut bytes = Vec::new();
        builder.serialize(&mut bytes);
        Ok(Built { bytes, message_id })
    }
}

fn no_controls(what: &str, value: &str) -> Result<(), ComposeError> {
    if value.contains(['\r', '\n', '\0']) {
        return Err(ComposeError::Invalid(format!(
            "{what} {:?} contains CR, LF or NUL",
            crate::output::escape_line(value)
        )));
    }
    Ok(())
}

/// The recipients a sendmail-style `-t` reads: every address in To, Cc and Bcc, group members
/// included, duplicates removed, in order. An address that could smuggle a command or a line
/// into the SMTP session (CR, LF, NUL, `<`, `>`, space) or is not `local@domain` is refused
/// rather than dropped, so nobody silently misses a copy; a mailbox with only a display name
/// (`undisclosed-recipients`) names nobody and is skipped.
pub fn header_recipients(summary: &HeaderSummary) -> Result<Vec<String>, ComposeError> {
    let mut out: Vec<String> = Vec::new();
    for (name, boxes) in [
        ("To", &summary.to),
        ("Cc", &summary.cc),
        ("Bcc", &summary.bcc),
    ] {
        for address in boxes.iter().filter_map(|m| m.address.as_deref()) {
            crate::smtp::check_address(address)
                .map_err(|e| ComposeError::Invalid(format!("{name} header: {e}")))?;
            if !out.iter().any(|a| a == address) {
                out.push(address.to_string());
            }
        }
    }
    Ok(out)
}

/// The first From address, for the envelope sender when none is given; `None` when it is
/// absent or unusable in MAIL FROM.
pub fn header_from(summary: &HeaderSummary) -> Option<String> {
    summary
        .from
        .iter()
        .find_map(|m| m.address.clone())
        .filter(|a| crate::smtp::check_address(a).is_ok())
}

/// The message without its Bcc fields (continuation lines included), as `-t` must send it;
/// every other byte is kept as it was, 8-bit and line endings included.
pub fn strip_bcc(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len());
    let mut at = 0;
    for field in field_ranges(message, "Bcc") {
        out.extend_from_slice(&message[at..field.start]);
        at = field.end;
    }
    out.extend_from_slice(&message[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: &[u8] = b"From: Alice <a@c>\r\nTo: Bob <b@x>,\r\n\tCarol <c@x>\r\nBcc: secret@x,\r\n  other@y\r\nCC: team: d@x;\r\nSubject: hi\r\nMessage-ID: <id.1@c>\r\n\r\nTo: not@header\r\nBcc: body@x\r\n";

    #[test]
    fn sendmail_t_reads_recipients_and_strips_bcc() {
        let summary = HeaderSummary::parse(RAW);
        assert_eq!(
            header_recipients(&summary).unwrap(),
            ["b@x", "c@x", "d@x", "secret@x", "other@y"]
        );
        let stripped = strip_bcc(RAW);
        let want = b"From: Alice <a@c>\r\nTo: Bob <b@x>,\r\n\tCarol <c@x>\r\nCC: team: d@x;\r\nSubject: hi\r\nMessage-ID: <id.1@c>\r\n\r\nTo: not@header\r\nBcc: body@x\r\n";
        assert_eq!(
            String::from_utf8_lossy(&stripped),
            String::from_utf8_lossy(want)
        );
        assert_eq!(header_from(&summary).as_deref(), Some("a@c"));
        assert_eq!(summary.message_id.as_deref(), Some("id.1@c"));
    }

    #[test]
    fn header_recipients_refuse_injection() {
        for raw in [
            &b"To: <a@b\x00c>\n\n"[..],
            b"To: ok@x\nCc: <a@b\rRCPT TO:<evil@x>>\n\n",
            b"Bcc: a@b>>>\n\n",
            b"To: a@b c@d\n\n",
            b"To: =?utf-8?q?a=0D=0Ab?=@x\n\n",
        ] {
            let summary = HeaderSummary::parse(raw);
            assert!(
                header_recipients(&summary).is_err(),
                "{:?} gave {:?}",
                String::from_utf8_lossy(raw),
                summary
            );
        }
        let summary = HeaderSummary::parse(b"From: <a@b\x00c>\nTo: undisclosed-recipients:;\n\n");
        assert_eq!(header_from(&summary), None);
        assert_eq!(header_recipients(&summary).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn strip_bcc_keeps_8bit_and_lf_messages() {
        let raw = b"Subject: caf\xe9\nbcc: x@y\nTo: a@b\n\nbody \xff\n";
        assert_eq!(strip_bcc(raw), b"Subject: caf\xe9\nTo: a@b\n\nbody \xff\n");
        // Malformed values still go whole, and a header without body or final newline too.
        for value in [
            &b"\"unterminated"[..],
            b"(comment",
            b"<a@b",
            b"g: a@b; trailing",
            b"",
            b"a@b,\n\t(c\n  d",
        ] {
            let mut raw = b"From: a@c\nBcc: ".to_vec();
            raw.extend_from_slice(value);
            raw.extend_from_slice(b"\nTo: t@x\n\nBcc: body\n");
            assert_eq!(
                strip_bcc(&raw),
                b"From: a@c\nTo: t@x\n\nBcc: body\n",
                "{:?}",
                String::from_utf8_lossy(value)
            );
        }
        assert_eq!(strip_bcc(b"To: a@b\nBcc: x@y"), b"To: a@b\n");
    }

    #[test]
    fn mailboxes() {
        let m = Mailbox::parse("Jörg Müller <j@m.test>").unwrap();
        assert_eq!(m.name.as_deref(), Some("Jörg Müller"));
        assert_eq!(m.address, "j@m.test");
        assert!(Mailbox::parse("a@b\r\nBcc: x@y").is_err());
        assert!(Mailbox::parse("nobody").is_err());
    }

    #[test]
    fn composed_message_has_generated_headers_and_encoded_words() {
        let draft = Draft {
            from: Some(Mailbox::parse("Jörg <j@m.test>").unwrap()),
            to: vec![Mailbox::parse("b@x").unwrap()],
            subject: Some("Grüße".into()),
            text: "hello\n".into(),
            headers: vec![("X-Tag".into(), "t1".into())],
            ..Draft::default()
        };
        let built = draft.build("m.test").unwrap();
        let text = String::from_utf8(built.bytes).unwrap();
        assert!(text.is_ascii(), "{text}");
        assert!(text.contains("Subject: =?utf-8?"), "{text}");
        assert!(
            text.contains("From: \"=?utf-8?") || text.contains("From: =?utf-8?"),
            "{text}"
        );
        assert!(text.contains(&format!("Message-ID: <{}>", built.message_id)));
        assert!(text.contains("\r\nDate: ") && text.contains("MIME-Version: 1.0"));
        assert!(text.contains("X-Tag: t1\r\n"));
        assert!(built.message_id.ends_with("@m.test"));
    }

    #[test]
    fn html_alternative_goes_in_multipart_alternative() {
        let draft = Draft {
            text: "plain".into(),
            html: Some("<p>rich</p>".into()),
            ..Draft::default()
        };
        let text = String::from_utf8(draft.build("d").unwrap().bytes).unwrap();
        let alternative = text.find("multipart/alternative").unwrap();
        let plain = text.find("text/plain").unwrap();
        let html = text.find("text/html").unwrap();
        assert!(alternative < plain && plain < html, "{text}");
        assert!(text.contains("<p>rich</p>"), "{text}");
    }

    #[test]
    fn header_values_with_newlines_are_refused() {
        let mut draft = Draft {
            subject: Some("hi\r\nBcc: x@y".into()),
            ..Draft::default()
        };
        assert!(draft.clone().build("d").is_err());
        draft.subject = None;
        draft.headers = vec![("X-A".into(), "v\nInjected: 1".into())];
        assert!(draft.clone().build("d").is_err());
        draft.headers = vec![("Bad Name".into(), "v".into())];
        assert!(draft.build("d").is_err());
    }

    #[test]
    fn attachments_get_a_type_from_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.pdf");
        std::fs::write(&path, b"%PDF-1.4\xff").unwrap();
        let attachment = Attachment::read(&path).unwrap();
        assert_eq!(attachment.content_type, "application/pdf");
        let draft = Draft {
            text: "see attached".into(),
            attachments: vec![attachment],
            ..Draft::default()
        };
        let text = String::from_utf8(draft.build("d").unwrap().bytes).unwrap();
        assert!(text.contains("Content-Type: application/pdf"), "{text}");
        assert!(
            text.contains("filename=\"report.pdf\"") || text.contains("filename=report.pdf"),
            "{text}"
        );
        assert!(text.contains("Content-Transfer-Encoding: base64"), "{text}");
    }

    #[test]
    fn an_attached_message_goes_in_7bit_or_8bit_never_base64() {
        let dir = tempfile::tempdir().unwrap();
        let ascii = dir.path().join("fwd.eml");
        std::fs::write(&ascii, b"From: a@b\nSubject: hi\n\nbody line\n").unwrap();
        let utf8 = dir.path().join("gruss.eml");
        std::fs::write(&utf8, "From: a@b\r\nContent-Transfer-Encoding: 8bit\r\nSubject: hi\r\n\r\nGr\u{fc}\u{df}e\r\n").unwrap();
        for (path, encoding) in [(&ascii, "7bit"), (&utf8, "8bit")] {
            let attachment = Attachment::read(path).unwrap();
            assert_eq!(attachment.content_type, "message/rfc822");
            let draft = Draft {
                text: "forwarded".into(),
                attachments: vec![attachment],
                ..Draft::default()
            };
            let text = String::from_utf8(draft.build("d").unwrap().bytes).unwrap();
            assert!(text.contains("Content-Type: message/rfc822"), "{text}");
            assert!(
                text.contains(&format!("Content-Transfer-Encoding: {encoding}\r\n")),
                "{text}"
            );
            assert!(!text.contains("base64"), "{text}");
            assert!(text.contains("Subject: hi\r\n\r\n"), "{text}");
            let parsed = crate::message::inspect(text.as_bytes(), "-", 1).unwrap();
            let view = parsed.view();
            assert!(view.warnings.is_empty(), "{:?}", view.warnings);
            assert!(
                view.parts.iter().any(|p| p.id == "1.2.1"),
                "{:?}",
                view.parts
            );
        }
    }

    #[test]
    fn a_message_only_binary_could_carry_goes_as_octet_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.eml");
        std::fs::write(&path, format!("Subject: x\n\n{}\n", "a".repeat(1200))).unwrap();
        let draft = Draft {
            attachments: vec![Attachment::read(&path).unwrap()],
            ..Draft::default()
        };
        let text = String::from_utf8(draft.build("d").unwrap().bytes).unwrap();
        assert!(!text.contains("message/rfc822"), "{text}");
        assert!(text.contains("application/octet-stream"), "{text}");
        assert!(text.contains("Content-Transfer-Encoding: base64"), "{text}");
    }
}
