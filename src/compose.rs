//! Messages for `send`: composed from parts with mail-builder (RFC 5322, MIME, RFC 2047 for
//! non-ASCII text), or taken raw, where the only reading done is the minimum a sendmail-style
//! `-t` needs (the recipient headers, Message-ID, From), on bytes, leaving the rest untouched.
//!
//! Full parsing belongs to `message.rs`; this module deliberately does not need it.

use std::{borrow::Cow, path::PathBuf};

use mail_builder::{
    MessageBuilder,
    headers::{address::Address, message_id::MessageId, text::Text},
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
    /// Bad input data (65); an unreadable file is missing input (66).
    pub fn exit(&self) -> crate::exit::Exit {
        match self {
            ComposeError::Invalid(_) => crate::exit::Exit::DataErr,
            ComposeError::Attachment { .. } => crate::exit::Exit::NoInput,
        }
    }
}

impl From<ComposeError> for crate::exit::Failure {
    fn from(err: ComposeError) -> Self {
        crate::exit::Failure::new(err.exit(), err)
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
    /// containing CR, LF or NUL is refused rather than let inject headers.
    pub fn build(&self, id_domain: &str) -> Result<Built, ComposeError> {
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
        if let Some(subject) = &self.subject {
            builder = builder.subject(Text::new(subject.clone()));
        }
        for (name, value) in &self.headers {
            builder = builder.header(name.clone(), Text::new(value.clone()));
        }
        builder = builder.text_body(Cow::Owned(self.text.clone()));
        if let Some(html) = &self.html {
            builder = builder.html_body(Cow::Owned(html.clone()));
        }
        for attachment in &self.attachments {
            builder = builder.attachment(
                attachment.content_type.clone(),
                attachment.name.clone(),
                attachment.data.clone(),
            );
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

/// One header field of a raw message: its name and where the whole field (continuation lines
/// and line ending included) sits in the bytes.
struct Field<'a> {
    name: &'a [u8],
    value_start: usize,
    start: usize,
    end: usize,
}

/// The header fields of a raw message, up to the first empty line (or the end). Lines that
/// are neither fields nor continuations are skipped, as a lenient reader does.
fn fields(message: &[u8]) -> Vec<Field<'_>> {
    let mut out: Vec<Field<'_>> = Vec::new();
    let mut at = 0;
    while at < message.len() {
        let end = message[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(message.len(), |p| at + p + 1);
        let line = &message[at..end];
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.is_empty() {
            break;
        }
        if matches!(content[0], b' ' | b'\t') {
            if let Some(last) = out.last_mut() {
                last.end = end;
            }
        } else if let Some(colon) = content.iter().position(|&b| b == b':') {
            out.push(Field {
                name: &content[..colon],
                value_start: at + colon + 1,
                start: at,
                end,
            });
        }
        at = end;
    }
    out
}

/// Joins folded lines (RFC 5322 §2.2.3) and trims: the value as one line.
fn unfold(value: &[u8]) -> String {
    let text: Vec<u8> = value
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && b != b'\n')
        .collect();
    String::from_utf8_lossy(&text).trim().to_string()
}

/// The values of every field called `name` (case-insensitive), unfolded.
fn header_values(message: &[u8], name: &str) -> Vec<String> {
    fields(message)
        .iter()
        .filter(|f| f.name.trim_ascii().eq_ignore_ascii_case(name.as_bytes()))
        .map(|f| unfold(&message[f.value_start..f.end]))
        .collect()
}

/// The recipients a sendmail-style `-t` reads: every address in To, Cc and Bcc, groups
/// flattened, duplicates removed, in order.
pub fn header_recipients(message: &[u8]) -> Result<Vec<String>, ComposeError> {
    let mut out: Vec<String> = Vec::new();
    for name in ["To", "Cc", "Bcc"] {
        for value in header_values(message, name) {
            for address in address_list(&value) {
                crate::smtp::check_address(&address)
                    .map_err(|e| ComposeError::Invalid(format!("{name} header: {e}")))?;
                if !out.contains(&address) {
                    out.push(address);
                }
            }
        }
    }
    Ok(out)
}

/// The first address of the From header, for the envelope sender when none is given.
pub fn header_from(message: &[u8]) -> Option<String> {
    header_values(message, "From")
        .iter()
        .find_map(|v| address_list(v).into_iter().next())
}

/// The Message-ID header's value without angle brackets, for reports.
pub fn header_message_id(message: &[u8]) -> Option<String> {
    header_values(message, "Message-ID")
        .into_iter()
        .next()
        .map(|v| v.trim_matches(['<', '>', ' ']).to_string())
        .filter(|v| !v.is_empty())
}

/// The message without its Bcc fields (continuation lines included); every other byte is
/// kept as it was.
pub fn strip_bcc(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len());
    let mut at = 0;
    for field in fields(message) {
        if field.name.trim_ascii().eq_ignore_ascii_case(b"Bcc") {
            out.extend_from_slice(&message[at..field.start]);
            at = field.end;
        }
    }
    out.extend_from_slice(&message[at..]);
    out
}

/// The addr-specs in an address list (RFC 5322 §3.4): `a@b`, `Name <a@b>`, `"Q, N" <a@b>`,
/// comments, and groups `team: a@b, c@d;`. Display names and comments are dropped.
pub fn address_list(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut angle: Option<String> = None;
    let mut in_angle = false;
    let mut quoted = false;
    let mut comment = 0usize;
    let mut escaped = false;
    let mut flush = |plain: &mut String, angle: &mut Option<String>| {
        let address = match angle.take() {
            Some(addr) => addr.rsplit(':').next().unwrap_or("").to_string(),
            None if plain.contains('@') => plain.clone(),
            None => String::new(),
        };
        if !address.is_empty() {
            out.push(address);
        }
        plain.clear();
    };
    for c in value.chars() {
        if escaped {
            escaped = false;
            if quoted || in_angle {
                plain.push(c);
            }
            continue;
        }
        if c == '\\' && (quoted || comment > 0) {
            escaped = true;
            continue;
        }
        if comment > 0 {
            match c {
                '(' => comment += 1,
                ')' => comment -= 1,
                _ => {}
            }
            continue;
        }
        if quoted {
            plain.push(c);
            if c == '"' {
                quoted = false;
            }
            continue;
        }
        if in_angle {
            match c {
                '>' => in_angle = false,
                c if c.is_whitespace() => {}
                c => angle.get_or_insert_with(String::new).push(c),
            }
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                plain.push(c);
            }
            '(' => comment = 1,
            '<' => {
                in_angle = true;
                angle = Some(String::new());
            }
            ',' | ';' => flush(&mut plain, &mut angle),
            ':' => plain.clear(),
            c if c.is_whitespace() => {}
            c => plain.push(c),
        }
    }
    flush(&mut plain, &mut angle);
    out
}

/// Splits an mbox (RFC 4155) into messages: each starts after a `From ` separator line at the
/// start of a line; `>From ` quoting (mboxrd) loses one `>`. Bytes are otherwise unchanged.
pub fn split_mbox(mbox: &[u8]) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    for line in mbox.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") {
            if let Some(message) = current.take() {
                messages.push(trim_separator_blank(message));
            }
            current = Some(Vec::new());
            continue;
        }
        let Some(message) = current.as_mut() else {
            continue;
        };
        let quoted = line.iter().take_while(|&&b| b == b'>').count();
        if quoted > 0 && line[quoted..].starts_with(b"From ") {
            message.extend_from_slice(&line[1..]);
        } else {
            message.extend_from_slice(line);
        }
    }
    if let Some(message) = current {
        messages.push(trim_separator_blank(message));
    }
    messages
}

/// The blank line an mbox puts before the next `From ` belongs to the format, not the message.
fn trim_separator_blank(mut message: Vec<u8>) -> Vec<u8> {
    if message.ends_with(b"\r\n\r\n") {
        message.truncate(message.len() - 2);
    } else if message.ends_with(b"\n\n") {
        message.truncate(message.len() - 1);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_lists() {
        let cases: &[(&str, &[&str])] = &[
            ("a@b", &["a@b"]),
            ("Bob <b@x>, c@y", &["b@x", "c@y"]),
            ("\"Doe, John\" <j@d>, (comment, with) k@e", &["j@d", "k@e"]),
            ("team: a@b, Carol <c@d>;, e@f", &["a@b", "c@d", "e@f"]),
            ("undisclosed-recipients:;", &[]),
            ("<@relay:x@y>", &["x@y"]),
            ("\"a b\"@x", &["\"a b\"@x"]),
            ("Name (c) <n@m> (trailing)", &["n@m"]),
            (
                "j\u{f6}rg@m\u{fc}ller.test",
                &["j\u{f6}rg@m\u{fc}ller.test"],
            ),
            ("", &[]),
        ];
        for (input, want) in cases {
            assert_eq!(address_list(input), *want, "{input:?}");
        }
    }

    const RAW: &[u8] = b"From: Alice <a@c>\r\nTo: Bob <b@x>,\r\n\tCarol <c@x>\r\nBcc: secret@x,\r\n  other@y\r\nCC: team: d@x;\r\nSubject: hi\r\nMessage-ID: <id.1@c>\r\n\r\nTo: not@header\r\nBcc: body@x\r\n";

    #[test]
    fn sendmail_t_reads_recipients_and_strips_bcc() {
        assert_eq!(
            header_recipients(RAW).unwrap(),
            ["b@x", "c@x", "d@x", "secret@x", "other@y"]
        );
        let stripped = strip_bcc(RAW);
        let want = b"From: Alice <a@c>\r\nTo: Bob <b@x>,\r\n\tCarol <c@x>\r\nCC: team: d@x;\r\nSubject: hi\r\nMessage-ID: <id.1@c>\r\n\r\nTo: not@header\r\nBcc: body@x\r\n";
        assert_eq!(
            String::from_utf8_lossy(&stripped),
            String::from_utf8_lossy(want)
        );
        assert_eq!(header_from(RAW).as_deref(), Some("a@c"));
        assert_eq!(header_message_id(RAW).as_deref(), Some("id.1@c"));
    }

    #[test]
    fn header_recipients_refuse_injection() {
        assert!(header_recipients(b"To: <a@b\x00c>\n\n").is_err());
    }

    #[test]
    fn strip_bcc_keeps_8bit_and_lf_messages() {
        let raw = b"Subject: caf\xe9\nbcc: x@y\nTo: a@b\n\nbody \xff\n";
        assert_eq!(strip_bcc(raw), b"Subject: caf\xe9\nTo: a@b\n\nbody \xff\n");
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
        assert!(draft.build("d").is_err());
        draft.subject = None;
        draft.headers = vec![("X-A".into(), "v\nInjected: 1".into())];
        assert!(draft.build("d").is_err());
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
    fn mbox_splitting() {
        let mbox = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: 1\n\n>From here\n>>From there\n\nFrom c@d Mon Jan  1 00:00:00 2024\nSubject: 2\n\nbody\n";
        let messages = split_mbox(mbox);
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0], b"Subject: 1\n\nFrom here\n>From there\n");
        assert_eq!(messages[1], b"Subject: 2\n\nbody\n");
    }
}
