//! `parse`'s text views of one message: headers, body, parts, the Received path, saved parts.

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

/// `--text --json`.
#[derive(Serialize)]
pub(super) struct Text<'a> {
    source: &'a str,
    index: usize,
    part: &'a str,
    text: &'a str,
}

/// `--extract --json`: one document per saved file.
#[derive(Serialize)]
pub(super) struct Saved<'a> {
    source: &'a str,
    index: usize,
    part: &'a str,
    filename: Option<&'a str>,
    path: String,
    size: usize,
}

pub(super) fn show(
    args: &ParseArgs,
    out: &mut Sink,
    raw: &RawMessage,
    headings: bool,
) -> anyhow::Result<Exit> {
    let message = message::inspect(&raw.bytes, &raw.source, raw.index)
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
        return Ok(match message.part_content(id) {
            Some(bytes) => {
                out.raw(&bytes)?;
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
            for field in &view.headers {
                out.line(&format!(
                    "{}: {}",
                    escape_line(&field.name),
                    escape_line(&field.value)
                ))?;
            }
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
    out.result(heading, view, |out| summary(out, view))
}

pub(super) fn extract(
    out: &mut Sink,
    message: &Inspected<'_>,
    dir: &Path,
    raw: &RawMessage,
) -> anyhow::Result<Exit> {
    let attachments = message.attachments();
    for attachment in &attachments {
        let fallback = format!(
            "part-{}.{}",
            attachment.id,
            extension(&attachment.content_type)
        );
        let name = names::safe_name(attachment.filename.as_deref().unwrap_or(""), &fallback);
        let content = message.part_content(&attachment.id).unwrap_or_default();
        let path = names::save(dir, &name, &content)
            .map_err(|err: SaveError| Failure::from(err))
            .with_context(|| format!("extracting part {} of {}", attachment.id, label(raw)))?;
        let shown = path.display().to_string();
        if out.is_json() {
            out.json(&Saved {
                source: &raw.source,
                index: raw.index,
                part: &attachment.id,
                filename: attachment.filename.as_deref(),
                path: shown,
                size: content.len(),
            })?;
        } else {
            out.line(&format!("{}\t{}", attachment.id, escape_line(&shown)))?;
        }
    }
    Ok(Exit::Success)
}

/// A file extension for a part without a name, from its content type.
pub(super) fn extension(content_type: &str) -> &'static str {
    match content_type {
        "text/plain" => "txt",
        "text/html" => "html",
        "text/calendar" => "ics",
        "message/rfc822" | "message/global" => "eml",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "application/pdf" => "pdf",
        "application/zip" => "zip",
        _ => "bin",
    }
}

/// The default human view: key headers, MIME tree, hops, warnings.
pub(super) fn summary(out: &mut Sink, view: &MessageView<'_>) -> anyhow::Result<()> {
    for key in ["From", "To", "Cc", "Subject", "Date", "Message-ID"] {
        for field in view
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(key))
        {
            out.line(&format!(
                "{:<11} {}",
                format!("{key}:"),
                escape_line(&field.value)
            ))?;
        }
    }
    out.line("")?;
    out.line("MIME tree:")?;
    let width = view.parts.iter().map(|p| p.id.len()).max().unwrap_or(1);
    for part in &view.parts {
        let mut line = format!(
            "  {:<width$}  {}{}",
            part.id,
            "  ".repeat(part.depth),
            escape_line(&part.content_type)
        );
        if let Some(charset) = &part.charset {
            line.push_str(&format!("  charset={}", escape_line(charset)));
        }
        if let Some(encoding) = &part.encoding {
            line.push_str(&format!("  {}", escape_line(encoding)));
        }
        if let Some(disposition) = &part.disposition {
            line.push_str(&format!("  {}", escape_line(disposition)));
        }
        if let Some(filename) = &part.filename {
            line.push_str(&format!("  name=\"{}\"", escape_line(filename)));
        }
        line.push_str(&format!("  {} B", part.size));
        out.line(&line)?;
    }
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

/// The Received hops as an aligned table, oldest first.
pub(super) fn hops_table(out: &mut Sink, hops: &[Hop<'_>]) -> anyhow::Result<()> {
    out.line("Received hops (oldest first):")?;
    let dash = || "-".to_owned();
    let rows: Vec<[String; 6]> = hops
        .iter()
        .enumerate()
        .map(|(n, hop)| {
            let from = match (&hop.from, &hop.from_ip) {
                (Some(name), Some(ip)) if name != ip => format!("{name} [{ip}]"),
                (Some(name), _) => name.to_string(),
                (None, Some(ip)) => format!("[{ip}]"),
                (None, None) => dash(),
            };
            [
                (n + 1).to_string(),
                escape_line(&from).into_owned(),
                hop.by
                    .as_deref()
                    .map_or_else(dash, |b| escape_line(b).into_owned()),
                hop.protocol.as_deref().map_or_else(dash, str::to_owned),
                hop.time.clone().unwrap_or_else(dash),
                hop.delay.map_or_else(dash, message::format_delay),
            ]
        })
        .collect();
    let header = ["hop", "from", "by", "with", "time", "delay"].map(str::to_owned);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::from(" ");
        for (i, cell) in row.iter().enumerate() {
            line.push(' ');
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 1));
            }
        }
        out.line(line.trim_end())?;
    }
    Ok(())
}
