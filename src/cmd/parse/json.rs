//! `parse --json`'s document for one message, written straight into the output buffer. Its
//! strings (every header of every message) are most of the output: serde_json escapes them a
//! byte at a time, which made encoding the slowest step of the view. Here a string that needs
//! no escaping (nearly all) is copied whole after one pass that checks it; any other string,
//! and every value that is not a string, is still written by serde_json, so the bytes are the
//! same as `serde_json::to_writer(view)` (a unit test compares them).

use std::io::Write as _;

use serde::Serialize;

use crate::message::{HeaderField, Mailbox, MessageView, PartView, Warning};

/// Appends the JSON document for `view` (no line ending) to `out`.
pub(super) fn message(out: &mut Vec<u8>, view: &MessageView<'_>) {
    out.extend_from_slice(b"{\"source\":");
    string(out, view.source);
    number(out, b",\"index\":", view.index as u64);
    number(out, b",\"size\":", view.size as u64);
    out.extend_from_slice(b",\"subject\":");
    optional(out, view.subject.as_deref());
    for (key, list) in [
        (&b",\"from\":"[..], &view.from),
        (b",\"to\":", &view.to),
        (b",\"cc\":", &view.cc),
        (b",\"reply_to\":", &view.reply_to),
    ] {
        out.extend_from_slice(key);
        array(out, list, mailbox);
    }
    out.extend_from_slice(b",\"date\":");
    optional(out, view.date.as_deref());
    out.extend_from_slice(b",\"message_id\":");
    optional(out, view.message_id.as_deref());
    out.extend_from_slice(b",\"headers\":");
    array(out, &view.headers, header);
    out.extend_from_slice(b",\"parts\":");
    array(out, &view.parts, part);
    out.extend_from_slice(b",\"received\":");
    array(out, &view.received, |out, hop| {
        out.extend_from_slice(b"{\"from\":");
        optional(out, hop.from.as_deref());
        out.extend_from_slice(b",\"from_ip\":");
        optional(out, hop.from_ip.as_deref());
        out.extend_from_slice(b",\"by\":");
        optional(out, hop.by.as_deref());
        out.extend_from_slice(b",\"protocol\":");
        optional(out, hop.protocol.as_deref());
        out.extend_from_slice(b",\"time\":");
        optional(out, hop.time.as_deref());
        out.extend_from_slice(b",\"delay\":");
        serde(out, &hop.delay);
        out.push(b'}');
    });
    out.extend_from_slice(b",\"warnings\":");
    array(out, &view.warnings, warning);
    out.push(b'}');
}

fn mailbox(out: &mut Vec<u8>, mailbox: &Mailbox) {
    out.extend_from_slice(b"{\"name\":");
    optional(out, mailbox.name.as_deref());
    out.extend_from_slice(b",\"address\":");
    optional(out, mailbox.address.as_deref());
    out.push(b'}');
}

fn header(out: &mut Vec<u8>, field: &HeaderField<'_>) {
    out.extend_from_slice(b"{\"name\":");
    string(out, &field.name);
    out.extend_from_slice(b",\"value\":");
    string(out, &field.value);
    out.push(b'}');
}

fn part(out: &mut Vec<u8>, part: &PartView) {
    out.extend_from_slice(b"{\"id\":");
    string(out, &part.id);
    number(out, b",\"depth\":", part.depth as u64);
    out.extend_from_slice(b",\"content_type\":");
    string(out, &part.content_type);
    out.extend_from_slice(b",\"charset\":");
    optional(out, part.charset.as_deref());
    out.extend_from_slice(b",\"encoding\":");
    optional(out, part.encoding.as_deref());
    out.extend_from_slice(b",\"disposition\":");
    optional(out, part.disposition.as_deref());
    out.extend_from_slice(b",\"filename\":");
    optional(out, part.filename.as_deref());
    number(out, b",\"size\":", part.size as u64);
    out.push(b'}');
}

fn warning(out: &mut Vec<u8>, warning: &Warning) {
    out.extend_from_slice(b"{\"code\":");
    serde(out, &warning.kind);
    out.extend_from_slice(b",\"part\":");
    optional(out, warning.part.as_deref());
    out.extend_from_slice(b",\"message\":");
    string(out, &warning.message);
    out.push(b'}');
}

fn array<T>(out: &mut Vec<u8>, items: &[T], mut each: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        each(out, item);
    }
    out.push(b']');
}

fn number(out: &mut Vec<u8>, key: &[u8], n: u64) {
    out.extend_from_slice(key);
    // Writing into memory cannot fail.
    let _ = write!(out, "{n}");
}

fn optional(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        Some(text) => string(out, text),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string: copied whole between quotes when nothing in it needs escaping (JSON escapes
/// only `"`, `\` and control characters; serde_json writes everything else as it is).
fn string(out: &mut Vec<u8>, text: &str) {
    if needs_escaping(text.as_bytes()) {
        serde(out, text);
    } else {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    }
}

/// Whether any byte is `"`, `\` or below 0x20; checked a block at a time without early exits
/// within a block, which the compiler turns into vector compares.
fn needs_escaping(bytes: &[u8]) -> bool {
    bytes.chunks(32).any(|block| {
        block.iter().fold(false, |found, &b| {
            found | (b < 0x20) | (b == b'"') | (b == b'\\')
        })
    })
}

fn serde<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Serializing these types (strings, integers, unit enums) into memory cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message;

    /// Messages that exercise every field: escapes, nulls, nested parts, hops, warnings.
    const MESSAGES: [&str; 4] = [
        "From: \"A \\\"B\\\"\" <a@x>\nTo: b@x, c@y\nCc: d@z\nReply-To: e@x\nSubject: tab\there \"quoted\" back\\slash caf\u{e9}\nDate: Mon, 23 Nov 2026 10:00:00 +0100\nMessage-ID: <m@x>\nReceived: from a.example ([192.0.2.1]) by b.example with esmtp; Mon, 23 Nov 2026 10:00:00 +0100\nReceived: from c.example by a.example; Mon, 23 Nov 2026 09:59:00 +0100\nX-Ctl: \u{1}bell\n\nbody\n",
        "Content-Type: multipart/mixed; boundary=b\nContent-Type: text/plain\nDate: nonsense\n\n--b\nContent-Type: text/plain; charset=x-klingon\nContent-Transfer-Encoding: quoted-printable\n\n=ZZ\n--b\nContent-Type: application/pdf; name=\"r\u{e9}sum\u{e9}.pdf\"\nContent-Disposition: attachment; filename=\"a\\\"b.pdf\"\nContent-Transfer-Encoding: base64\n\naGVsbG8=\n",
        "Subject: =?UTF-8?B?w7xiZXI=?=\nContent-Type: message/rfc822\n\nSubject: inner\nFrom: x@y\n\ninner body\n",
        "From: group: a@x, b@y;\nSubject:\n\n",
    ];

    #[test]
    fn documents_are_what_serde_json_writes() {
        for raw in MESSAGES {
            let inspected = message::inspect(raw.as_bytes(), "dir/\"odd\"\tname.mbox", 7).unwrap();
            let view = inspected.view();
            let mut fast = Vec::new();
            message(&mut fast, view);
            let reference = serde_json::to_vec(view).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&reference)
            );
        }
    }

    #[test]
    fn strings_needing_escapes_are_found_anywhere() {
        let long = "x".repeat(100);
        for bad in ["\"", "\\", "\n", "\u{1f}"] {
            for at in [0, 31, 32, 63, 100] {
                let mut text = long.clone();
                text.insert_str(at, bad);
                assert!(needs_escaping(text.as_bytes()), "{bad:?} at {at}");
            }
        }
        assert!(!needs_escaping("caf\u{e9} \u{7f} ok".as_bytes()));
    }
}
