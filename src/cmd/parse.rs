//! `mailkit parse`: inputs -> `message::source` -> `message::inspect` -> one of the views ->
//! `Printer`. A message that cannot be read or parsed is reported on stderr and the others are
//! still shown; the exit status is the most serious problem met.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{Mutex, mpsc},
};

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
    output::{self, Printer, escape_line, escape_text},
};

/// `--header NAME --json`: one document per message.
#[derive(Serialize)]
struct HeaderValues<'a> {
    source: &'a str,
    index: usize,
    name: &'a str,
    values: &'a [&'a str],
}

/// `--headers --json`.
#[derive(Serialize)]
struct Headers<'a> {
    source: &'a str,
    index: usize,
    headers: &'a [HeaderField<'a>],
}

/// `--received --json`.
#[derive(Serialize)]
struct Received<'a> {
    source: &'a str,
    index: usize,
    received: &'a [Hop<'a>],
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
    size: u64,
}

/// Batches in flight at once in the parallel pipeline: bounds memory whatever the mbox size.
const IN_FLIGHT: usize = 8;

/// A batch closes at this many messages or bytes: enough to make the hand-over between threads
/// cheap, small enough to keep memory and latency low.
const BATCH_MESSAGES: usize = 64;
const BATCH_BYTES: usize = 256 << 10;

/// Runs `mailkit parse`.
pub fn run(args: &ParseArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    if args.part.is_some() && global.json {
        crate::bail!(
            Exit::Usage,
            "--part writes the part's bytes unchanged; it cannot be combined with --json"
        );
    }
    let stdin_only = [PathBuf::from("-")];
    let inputs: &[PathBuf] = if args.inputs.is_empty() {
        if output::stdin_is_terminal() {
            crate::bail!(
                Exit::Usage,
                "no input: give message files, an mbox or a Maildir, or pipe a message in"
            );
        }
        &stdin_only
    } else {
        &args.inputs
    };
    if let Some(dir) = &args.extract {
        names::prepare_dir(dir)
            .map_err(Failure::from)
            .context("extracting attachments")?;
    }
    let mut out = Printer::stdout(global.json);
    let mut emitter = Emitter {
        shown: 0,
        status: Exit::Success,
    };
    let json = global.json;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    // Extraction stays in message order so that file names are predictable; a part goes
    // straight to stdout, so that its size does not become memory.
    if workers < 2 || args.extract.is_some() || args.part.is_some() {
        let mut stdout = Vec::new();
        produce(args, inputs, |item| {
            stdout.clear();
            let rendered = render(args, json, item, &mut stdout, Some(&mut out));
            emitter.emit(&mut out, &stdout, rendered)
        })?;
    } else {
        parallel(args, inputs, json, workers, &mut out, &mut emitter)?;
    }
    out.flush().context("writing to stdout")?;
    Ok(emitter.status)
}

/// One message to show, or an input that failed, in input order.
enum Item {
    Message { raw: RawMessage, headings: bool },
    Failed(anyhow::Error),
}

/// Reads every input in order and hands each message (or failure) to `each`; stops early when
/// `each` fails (stdout closed) or `--message N` has been passed.
fn produce(
    args: &ParseArgs,
    inputs: &[PathBuf],
    mut each: impl FnMut(Item) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let several_inputs = inputs.len() > 1;
    for input in inputs {
        let path = input.to_string_lossy();
        let messages = match source::open(&path) {
            Ok(messages) => messages,
            Err(err) => {
                each(Item::Failed(Failure::from(err).into()))?;
                continue;
            }
        };
        let headings = several_inputs || !matches!(messages, Messages::Single(_));
        for item in messages {
            let raw = match item {
                Ok(raw) => raw,
                Err(err) => {
                    each(Item::Failed(Failure::from(err).into()))?;
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
            each(Item::Message { raw, headings })?;
        }
    }
    Ok(())
}

/// Parses and renders messages on `workers` threads while this thread writes their output in
/// input order; a reader thread streams the inputs in batches, at most [`IN_FLIGHT`] at once.
fn parallel(
    args: &ParseArgs,
    inputs: &[PathBuf],
    json: bool,
    workers: usize,
    out: &mut Printer,
    emitter: &mut Emitter,
) -> anyhow::Result<()> {
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, Vec<Item>)>(IN_FLIGHT);
    let job_rx = Mutex::new(job_rx);
    let buffers = Mutex::new(Vec::<Vec<u8>>::new());
    std::thread::scope(|scope| {
        // Created here so that an early return (stdout closed) drops them before the scope
        // joins its threads: the reader and workers then see closed channels and stop.
        let (done_tx, done_rx) = mpsc::sync_channel::<(usize, Vec<u8>, Vec<Rendered>)>(IN_FLIGHT);
        let (slot_tx, slot_rx) = mpsc::sync_channel::<()>(IN_FLIGHT);
        for _ in 0..IN_FLIGHT {
            slot_tx.send(()).context("starting the parse pipeline")?;
        }
        scope.spawn(move || {
            let mut seq = 0;
            let mut batch = Vec::new();
            let mut bytes = 0;
            let mut send = |batch: Vec<Item>| -> anyhow::Result<()> {
                slot_rx.recv()?;
                job_tx.send((seq, batch))?;
                seq += 1;
                Ok(())
            };
            // An error here only means the writer stopped; it reports its own.
            let produced = produce(args, inputs, |item| {
                if let Item::Message { raw, .. } = &item {
                    bytes += raw.bytes.len();
                }
                batch.push(item);
                if batch.len() >= BATCH_MESSAGES || bytes >= BATCH_BYTES {
                    bytes = 0;
                    send(std::mem::take(&mut batch))?;
                }
                Ok(())
            });
            if produced.is_ok() && !batch.is_empty() {
                let _ = send(batch);
            }
        });
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let job_rx = &job_rx;
            let buffers = &buffers;
            scope.spawn(move || {
                loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, batch)) = job else { return };
                    // One output buffer per batch, recycled by the writer.
                    let mut stdout = buffers
                        .lock()
                        .ok()
                        .and_then(|mut free| free.pop())
                        .unwrap_or_default();
                    let rendered = batch
                        .into_iter()
                        .map(|item| render(args, json, item, &mut stdout, None))
                        .collect();
                    if done_tx.send((seq, stdout, rendered)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut pending = BTreeMap::new();
        let mut next = 0;
        for (seq, stdout, rendered) in done_rx.iter() {
            pending.insert(seq, (stdout, rendered));
            while let Some((mut stdout, batch)) = pending.remove(&next) {
                let mut start = 0;
                for rendered in batch {
                    let end = rendered.end;
                    emitter.emit(out, &stdout[start..end], rendered)?;
                    start = end;
                }
                stdout.clear();
                if let Ok(mut free) = buffers.lock() {
                    free.push(stdout);
                }
                next += 1;
                // The reader may have finished; a refused slot is harmless then.
                let _ = slot_tx.send(());
            }
        }
        Ok(())
    })
}

/// One message's output, prepared apart from stdout so that workers can render in parallel.
struct Rendered {
    /// Where its stdout ends in the buffer it was rendered into (it starts where the
    /// previous message's ends).
    end: usize,
    stderr: Vec<String>,
    /// A blank line is due before this output when something was shown before it.
    separate: bool,
    code: Exit,
}

/// Writes rendered messages in order and keeps the overall status.
struct Emitter {
    shown: usize,
    status: Exit,
}

impl Emitter {
    fn emit(&mut self, out: &mut Printer, stdout: &[u8], rendered: Rendered) -> anyhow::Result<()> {
        if !stdout.is_empty() {
            if rendered.separate && self.shown > 0 {
                out.raw(b"\n")?;
            }
            out.raw(stdout)?;
            self.shown += 1;
        }
        for line in &rendered.stderr {
            eprintln!("{line}");
        }
        self.status = self.status.max(rendered.code);
        Ok(())
    }
}

/// The output of one view for one message, appended to its batch's buffer in memory.
struct Sink<'b> {
    json: bool,
    stdout: &'b mut Vec<u8>,
    /// Where `--part` writes straight to, unbuffered by message, when output is sequential.
    direct: Option<&'b mut Printer>,
    stderr: Vec<String>,
    separate: bool,
}

impl Sink<'_> {
    fn is_json(&self) -> bool {
        self.json
    }

    fn line(&mut self, text: &str) -> anyhow::Result<()> {
        self.stdout.extend_from_slice(text.as_bytes());
        self.stdout.push(b'\n');
        Ok(())
    }

    fn raw(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.stdout.extend_from_slice(bytes);
        Ok(())
    }

    fn json<T: Serialize>(&mut self, value: &T) -> anyhow::Result<()> {
        serde_json::to_writer(&mut *self.stdout, value).context("encoding JSON")?;
        self.stdout.push(b'\n');
        Ok(())
    }

    /// The `==> source #index <==` line that separates messages in text views.
    fn heading(&mut self, raw: &RawMessage) -> anyhow::Result<()> {
        self.separate = true;
        self.line(&format!("==> {} <==", label(raw)))
    }

    /// One view's result: its JSON line, or the text `text` writes, preceded by the message's
    /// heading when several messages are shown (`heading`).
    fn result<T: Serialize>(
        &mut self,
        heading: Option<&RawMessage>,
        json: &T,
        text: impl FnOnce(&mut Self) -> anyhow::Result<()>,
    ) -> anyhow::Result<Exit> {
        if self.json {
            self.json(json)?;
        } else {
            if let Some(raw) = heading {
                self.heading(raw)?;
            }
            text(self)?;
        }
        Ok(Exit::Success)
    }

    /// A valid negative result (a header or part that is absent), for stderr.
    fn absent(&mut self, raw: &RawMessage, what: &str) -> Exit {
        self.stderr.push(format!("mailkit: {}: {what}", label(raw)));
        Exit::Negative
    }
}

/// Renders one item with the view the flags ask for, appending its output to `stdout`.
fn render(
    args: &ParseArgs,
    json: bool,
    item: Item,
    stdout: &mut Vec<u8>,
    direct: Option<&mut Printer>,
) -> Rendered {
    // The full JSON document is about the size of the message's headers: grow once, but never
    // by more than a MiB, since a huge attachment adds only its size to it.
    let full_view = args.header.is_none()
        && args.part.is_none()
        && !args.text
        && args.extract.is_none()
        && !args.headers
        && !args.received;
    let capacity = match &item {
        Item::Message { raw, .. } if full_view => (raw.bytes.len() + 1024).min(1 << 20),
        _ => 0,
    };
    stdout.reserve(capacity);
    let mut sink = Sink {
        json,
        stdout,
        direct,
        stderr: Vec::new(),
        separate: false,
    };
    let outcome = match item {
        Item::Failed(err) => Err(err),
        Item::Message { raw, headings } => show(args, &mut sink, &raw, headings),
    };
    let code = match outcome {
        Ok(code) => code,
        Err(err) => {
            // What was already done stays reported (files extracted before a failure).
            sink.stderr
                .push(format!("mailkit: error: {}", exit::one_line(&err)));
            exit::code_of(&err)
        }
    };
    Rendered {
        end: sink.stdout.len(),
        stderr: sink.stderr,
        separate: sink.separate,
        code,
    }
}

fn label(raw: &RawMessage) -> String {
    escape_line(&format!("{} #{}", raw.source, raw.index)).into_owned()
}

fn show(
    args: &ParseArgs,
    out: &mut Sink,
    raw: &RawMessage,
    headings: bool,
) -> anyhow::Result<Exit> {
    let message = message::inspect_bytes(&raw.bytes, &raw.source, raw.index)
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

fn extract(
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
        let (path, size) = names::save(dir, &name, |file| {
            message.write_part(&attachment.id, file).unwrap_or(Ok(0))
        })
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
                size,
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
fn summary(out: &mut Sink, view: &MessageView<'_>) -> anyhow::Result<()> {
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
    // Indented by depth only: padding every id to the longest would make a deep tree's
    // output quadratic in its depth.
    for part in &view.parts {
        let mut line = format!(
            "  {}{}  {}",
            "  ".repeat(part.depth),
            part.id,
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
fn hops_table(out: &mut Sink, hops: &[Hop<'_>]) -> anyhow::Result<()> {
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
