//! `parse`'s text views of one message: headers, body, parts, the Received path.

use std::{borrow::Cow, io::Write as _};

use super::*;

/// `--header NAME --json`: one document per message.
#[derive(Serialize)]
pub(super) struct HeaderValues<'a> {
    source: &'a str,
    index: usize,
    name: &'a str,
    values: &'a [&'a str],
}

/// `--headers --json`.
#[derive(Serialize)]
pub(super) struct Headers<'a> {
    source: &'a str,
    index: usize,
    headers: &'a [HeaderField<'a>],
}

/// `--received --json`.
#[derive(Serialize)]
pub(super) struct Received<'a> {
    source: &'a str,
    index: usize,
    received: &'a [Hop<'a>],
}

/// `--tree --json`.
#[derive(Serialize)]
pub(super) struct Tree<'a> {
    source: &'a str,
    index: usize,
    parts: &'a [PartView],
}

/// `--text --json`.
#[derive(Serialize)]
pub(super) struct Text<'a> {
    source: &'a str,
    index: usize,
    part: &'a str,
    text: &'a str,
}

pub(super) fn show(
    args: &ParseArgs,
    out: &mut Sink,
    raw: &RawMessage,
    headings: bool,
) -> anyhow::Result<Exit> {
    // The header views need no MIME walk.
    let full_view = !(args.text || args.received || args.extract.is_some() || args.part.is_some());
    let need = if args.header.is_some() || args.headers {
        Need::Header
    } else if args.tree {
        // The tree needs the MIME fields only: no other header value, no Received chain.
        Need::Tree
    } else if full_view && !out.is_json() {
        // The default text view shows a few fields of the header.
        Need::Summary
    } else {
        Need::All
    };
    let message = message::inspect_bytes(&raw.bytes, &raw.source, raw.index, need)
        .map_err(Failure::from)
        .with_context(|| format!("parsing {}", label(raw)))?;
    let view = message.view();
    let heading = headings.then_some(raw);
    if let Some(name) = &args.header {
        let values = message.header_values(name);
        if out.is_json() {
            out.json(&HeaderValues {
                source: view.source,
                index: view.index,
                name,
                values: &values,
            })?;
        } else {
            for value in &values {
                out.line(&escape_line(value))?;
            }
        }
        return Ok(if values.is_empty() {
            out.absent(raw, &format!("no {} header", escape_line(name)))
        } else {
            Exit::Success
        });
    }
    if let Some(id) = &args.part {
        let written = match out.direct.as_deref_mut() {
            Some(printer) => message.write_part(id, printer),
            None => message.write_part(id, &mut *out.stdout),
        };
        return Ok(match written {
            Some(result) => {
                result.context("writing to stdout")?;
                Exit::Success
            }
            None => out.absent(raw, &format!("no part {}", escape_line(id))),
        });
    }
    if args.text {
        let Some((part, text)) = message.best_text() else {
            return Ok(out.absent(raw, "no text part"));
        };
        let text = text.replace("\r\n", "\n");
        let json = Text {
            source: view.source,
            index: view.index,
            part: &part,
            text: &text,
        };
        return out.result(heading, &json, |out| {
            out.raw(escape_text(&text).as_bytes())?;
            if !text.ends_with('\n') {
                out.line("")?;
            }
            Ok(())
        });
    }
    if let Some(dir) = &args.extract {
        return extract(out, &message, dir, raw);
    }
    if args.headers {
        let json = Headers {
            source: view.source,
            index: view.index,
            headers: &view.headers,
        };
        return out.result(heading, &json, |out| {
            let buf = &mut *out.stdout;
            for field in &view.headers {
                buf.extend_from_slice(escape_line(&field.name).as_bytes());
                buf.extend_from_slice(b": ");
                buf.extend_from_slice(escape_line(&field.value).as_bytes());
                buf.push(b'\n');
            }
            Ok(())
        });
    }
    if args.tree {
        let json = Tree {
            source: view.source,
            index: view.index,
            parts: &view.parts,
        };
        return out.result(heading, &json, |out| {
            tree(out.stdout, &view.parts);
            Ok(())
        });
    }
    if args.received {
        let json = Received {
            source: view.source,
            index: view.index,
            received: &view.received,
        };
        return out.result(heading, &json, |out| hops_table(out, &view.received));
    }
    if out.is_json() {
        json::message(out.stdout, view);
        out.stdout.push(b'\n');
        return Ok(Exit::Success);
    }
    out.result(heading, view, |out| summary(out, view))
}

/// The default human view: key headers, MIME tree, hops, warnings. Written straight into the
/// output buffer: one formatted string per line was most of this view's cost.
pub(super) fn summary(out: &mut Sink, view: &MessageView<'_>) -> anyhow::Result<()> {
    let buf = &mut *out.stdout;
    for key in message::SUMMARY_FIELDS {
        for field in view
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(key))
        {
            buf.extend_from_slice(key.as_bytes());
            buf.push(b':');
            // `{key}:` left-aligned in 11 columns, then a space.
            buf.resize(buf.len() + 11 - key.len(), b' ');
            buf.extend_from_slice(escape_line(&field.value).as_bytes());
            buf.push(b'\n');
        }
    }
    buf.extend_from_slice(b"\nMIME tree:\n");
    tree(buf, &view.parts);
    if !view.received.is_empty() {
        out.line("")?;
        hops_table(out, &view.received)?;
    }
    if !view.warnings.is_empty() {
        out.line("")?;
        out.line("Warnings:")?;
        for warning in &view.warnings {
            let part = warning
                .part
                .as_deref()
                .map(|p| format!("part {p}: "))
                .unwrap_or_default();
            out.line(&format!("  {part}{}", escape_line(&warning.message)))?;
        }
    }
    Ok(())
}

/// The MIME tree, one line per entity, indented by depth only: padding every id to the
/// longest would make a deep tree's output quadratic in its depth.
pub(super) fn tree(buf: &mut Vec<u8>, parts: &[PartView]) {
    for part in parts {
        buf.resize(buf.len() + 2 + 2 * part.depth, b' ');
        buf.extend_from_slice(part.id.as_bytes());
        buf.extend_from_slice(b"  ");
        buf.extend_from_slice(escape_line(&part.content_type).as_bytes());
        if let Some(charset) = &part.charset {
            buf.extend_from_slice(b"  charset=");
            buf.extend_from_slice(escape_line(charset).as_bytes());
        }
        if let Some(encoding) = &part.encoding {
            buf.extend_from_slice(b"  ");
            buf.extend_from_slice(escape_line(encoding).as_bytes());
        }
        if let Some(disposition) = &part.disposition {
            buf.extend_from_slice(b"  ");
            buf.extend_from_slice(escape_line(disposition).as_bytes());
        }
        if let Some(filename) = &part.filename {
            buf.extend_from_slice(b"  name=\"");
            buf.extend_from_slice(escape_line(filename).as_bytes());
            buf.push(b'"');
        }
        // Writing into memory cannot fail.
        let _ = writeln!(buf, "  {} B", part.size);
    }
}

/// The Received hops as an aligned table, oldest first. Cells borrow from the hops where they
/// can: a header-heavy mailbox has about ten hops per message.
pub(super) fn hops_table(out: &mut Sink, hops: &[Hop<'_>]) -> anyhow::Result<()> {
    out.line("Received hops (oldest first):")?;
    // Every cell's text goes into one buffer, with its span and its width in characters: a
    // message has ten hops or so, too many for a string per cell.
    let mut text = String::with_capacity(64 * (hops.len() + 1));
    let mut rows: Vec<[(usize, usize, usize); 6]> = Vec::with_capacity(hops.len() + 1);
    fn cell(text: &mut String, write: impl FnOnce(&mut String)) -> (usize, usize, usize) {
        let start = text.len();
        write(text);
        (start, text.len(), text[start..].chars().count())
    }
    fn or_dash(text: &mut String, value: Option<&str>) {
        text.push_str(&value.map_or(Cow::Borrowed("-"), escape_line));
    }
    rows.push(
        ["hop", "from", "by", "with", "time", "delay"].map(|h| cell(&mut text, |t| t.push_str(h))),
    );
    for (n, hop) in hops.iter().enumerate() {
        rows.push([
            cell(&mut text, |t| message::decimal(t, n as u64 + 1)),
            cell(&mut text, |t| match (&hop.from, &hop.from_ip) {
                (Some(name), Some(ip)) if name != ip => {
                    t.push_str(&escape_line(name));
                    t.push_str(" [");
                    t.push_str(&escape_line(ip));
                    t.push(']');
                }
                (Some(name), _) => t.push_str(&escape_line(name)),
                (None, Some(ip)) => {
                    t.push('[');
                    t.push_str(&escape_line(ip));
                    t.push(']');
                }
                (None, None) => t.push('-'),
            }),
            cell(&mut text, |t| or_dash(t, hop.by.as_deref())),
            cell(&mut text, |t| {
                t.push_str(hop.protocol.as_deref().unwrap_or("-"))
            }),
            cell(&mut text, |t| {
                t.push_str(hop.time.as_deref().unwrap_or("-"))
            }),
            cell(&mut text, |t| match hop.delay {
                Some(delay) => message::push_delay(t, delay),
                None => t.push('-'),
            }),
        ]);
    }
    let mut widths = [0; 6];
    for row in &rows {
        for (w, &(_, _, chars)) in widths.iter_mut().zip(row) {
            *w = (*w).max(chars);
        }
    }
    let buf = &mut *out.stdout;
    for row in &rows {
        let start = buf.len();
        buf.push(b' ');
        for (i, &(from, to, chars)) in row.iter().enumerate() {
            buf.push(b' ');
            buf.extend_from_slice(&text.as_bytes()[from..to]);
            if i + 1 < row.len() {
                buf.resize(buf.len() + widths[i] - chars + 1, b' ');
            }
        }
        // The line without trailing blanks, as before.
        let end = start + buf[start..].trim_ascii_end().len();
        buf.truncate(end);
        buf.push(b'\n');
    }
    Ok(())
}
