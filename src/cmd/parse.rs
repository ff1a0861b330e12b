//! `mailkit parse`: inputs -> `message::source` -> `message::inspect` -> one of the views ->
//! `Printer`. A message that cannot be read or parsed is reported on stderr and the others are
//! still shown; the exit status is the most serious problem met.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use crate::{
    cli::{GlobalArgs, parse::ParseArgs},
    exit::{self, Exit, Failure},
    message::{
        self, HeaderField, Hop, Inspected, MessageView,
        names::{self, SaveError},
        source::{self, Messages, RawMessage},
    },
    output::{Printer, escape_line, escape_text},
};

/// `--header NAME --json`: one document per message.
#[derive(Serialize)]
struct HeaderValues<'a> {
    source: &'a str,
    index: usize,
    name: &'a str,
    values: Vec<&'a str>,
}

/// `--headers --json`.
#[derive(Serialize)]
struct Headers<'a> {
    source: &'a str,
    index: usize,
    headers: &'a [HeaderField],
}

/// `--received --json`.
#[derive(Serialize)]
struct Received<'a> {
    source: &'a str,
    index: usize,
    received: &'a [Hop],
}

/// `--text --json`.
#[derive(Serialize)]
struct Text<'a> {
    source: &'a str,
    index: usize,
    part: &'a str,
    text: &'a str,
}

/// `--extract --json`: one document per saved file.
#[derive(Serialize)]
struct Saved<'a> {
    source: &'a str,
    index: usize,
    part: &'a str,
    filename: Option<&'a str>,
    path: String,
    size: usize,
}

/// Runs `mailkit parse`.
pub fn run(args: &ParseArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    if args.part.is_some() && global.json {
        crate::bail!(
            Exit::Usage,
            "--part writes the part's bytes unchanged; it cannot be combined with --json"
        );
    }
    if let Some(dir) = &args.extract {
        names::prepare_dir(dir)
            .map_err(Failure::from)
            .context("extracting attachments")?;
    }
    let mut out = Printer::stdout(global.json);
    let mut status = Exit::Success;
    let several_inputs = args.inputs.len() > 1;
    let mut shown = 0usize;
    for input in &args.inputs {
        let path = input.to_string_lossy();
        let messages = match source::open(&path) {
            Ok(messages) => messages,
            Err(err) => {
                status = status.max(report(Failure::from(err).into()));
                continue;
            }
        };
        let headings = several_inputs || !matches!(messages, Messages::Single(_));
        for item in messages {
            let raw = match item {
                Ok(raw) => raw,
                Err(err) => {
                    status = status.max(report(Failure::from(err).into()));
                    continue;
                }
            };
            if let Some(wanted) = args.message {
                match (raw.index as u64).cmp(&wanted) {
                    std::cmp::Ordering::Less => continue,
                    std::cmp::Ordering::Equal => {}
                    std::cmp::Ordering::Greater => break,
                }
            }
            let outcome = show(args, &mut out, &raw, headings, shown);
            if outcome.is_ok() {
                shown += 1;
            }
            match outcome {
                Ok(code) => status = status.max(code),
                Err(err) if exit::is_broken_pipe(&err) => return Err(err),
                Err(err) => status = status.max(report(err)),
            }
        }
    }
    out.flush().context("writing to stdout")?;
    Ok(status)
}

/// Prints an error that does not stop the other messages; returns its exit code.
fn report(err: anyhow::Error) -> Exit {
    eprintln!("mailkit: error: {}", exit::one_line(&err));
    exit::code_of(&err)
}

/// Prints a valid negative result (a header or part that is absent) on stderr.
fn absent(raw: &RawMessage, what: &str) -> Exit {
    eprintln!("mailkit: {}: {what}", label(raw));
    Exit::Negative
}

fn label(raw: &RawMessage) -> String {
    escape_line(&format!("{} #{}", raw.source, raw.index)).into_owned()
}

fn show(
    args: &ParseArgs,
    out: &mut Printer,
    raw: &RawMessage,
    headings: bool,
    shown: usize,
) -> anyhow::Result<Exit> {
    let message = message::inspect(&raw.bytes, &raw.source, raw.index)
        .map_err(Failure::from)
        .with_context(|| format!("parsing {}", label(raw)))?;
    let view = message.view();
    let heading = |out: &mut Printer| -> anyhow::Result<()> {
        if headings && !out.is_json() {
            if shown > 0 {
                out.line("")?;
            }
            out.line(&format!("==> {} <==", label(raw)))?;
        }
        Ok(())
    };
    if let Some(name) = &args.header {
        let values = message.header_values(name);
        if out.is_json() {
            out.json(&HeaderValues {
                source: &view.source,
                index: view.index,
                name,
                values: values.clone(),
            })?;
        } else {
            for value in &values {
                out.line(&escape_line(value))?;
            }
        }
        return Ok(if values.is_empty() {
            absent(raw, &format!("no {} header", escape_line(name)))
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
            None => absent(raw, &format!("no part {}", escape_line(id))),
        });
    }
    if args.text {
        let Some((part, text)) = message.best_text() else {
            return Ok(absent(raw, "no text part"));
        };
        let text = text.replace("\r\n", "\n");
        if out.is_json() {
            out.json(&Text {
                source: &view.source,
                index: view.index,
                part: &part,
                text: &text,
            })?;
        } else {
            heading(out)?;
            out.raw(escape_text(&text).as_bytes())?;
            if !text.ends_with('\n') {
                out.line("")?;
            }
        }
        return Ok(Exit::Success);
    }
    if let Some(dir) = &args.extract {
        return extract(out, &message, dir, raw);
    }
    if args.headers {
        if out.is_json() {
            out.json(&Headers {
                source: &view.source,
                index: view.index,
                headers: &view.headers,
            })?;
        } else {
            heading(out)?;
            for field in &view.headers {
                out.line(&format!(
                    "{}: {}",
                    escape_line(&field.name),
                    escape_line(&field.value)
                ))?;
            }
        }
        return Ok(Exit::Success);
    }
    if args.received {
        if out.is_json() {
            out.json(&Received {
                source: &view.source,
                index: view.index,
                received: &view.received,
            })?;
        } else {
            heading(out)?;
            hops_table(out, &view.received)?;
        }
        return Ok(Exit::Success);
    }
    if out.is_json() {
        out.json(view)?;
    } else {
        heading(out)?;
        summary(out, view)?;
    }
    Ok(Exit::Success)
}

fn extract(
    out: &mut Printer,
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
fn extension(content_type: &str) -> &'static str {
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
fn summary(out: &mut Printer, view: &MessageView) -> anyhow::Result<()> {
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
fn hops_table(out: &mut Printer, hops: &[Hop]) -> anyhow::Result<()> {
    out.line("Received hops (oldest first):")?;
    let dash = || "-".to_owned();
    let rows: Vec<[String; 6]> = hops
        .iter()
        .enumerate()
        .map(|(n, hop)| {
            let from = match (&hop.from, &hop.from_ip) {
                (Some(name), Some(ip)) if name != ip => format!("{name} [{ip}]"),
                (Some(name), _) => name.clone(),
                (None, Some(ip)) => format!("[{ip}]"),
                (None, None) => dash(),
            };
            [
                (n + 1).to_string(),
                escape_line(&from).into_owned(),
                hop.by
                    .as_deref()
                    .map_or_else(dash, |b| escape_line(b).into_owned()),
                hop.protocol.clone().unwrap_or_else(dash),
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
