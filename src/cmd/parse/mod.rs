//! `mailkit parse`: inputs -> `message::source` -> `message::inspect` -> one of the views ->
//! `Printer`. A message that cannot be read or parsed is reported on stderr and the others are
//! still shown; the exit status is the most serious problem met.

use std::{
    collections::BTreeMap,
    io::Write as _,
    path::{Path, PathBuf},
    sync::{Mutex, mpsc},
};

use anyhow::Context;
use serde::Serialize;

mod extract;
mod json;
mod pipeline;
mod show;

use extract::*;
use pipeline::parallel;
use show::*;

use crate::{
    cli::{GlobalArgs, parse::ParseArgs},
    exit::{self, Exit, Failure, Kind},
    message::{
        self, HeaderField, Hop, Inspected, MessageView, Need, PartView,
        names::{self, SaveError},
        source::{self, Messages, RawMessage},
    },
    output::{self, Printer, escape_line, escape_text},
};

/// Runs `mailkit parse`.
pub fn run(args: &ParseArgs, global: &GlobalArgs) -> anyhow::Result<Exit> {
    if args.part.is_some() && global.json {
        crate::bail!(
            Kind::Usage,
            "--part writes the part's bytes unchanged; it cannot be combined with --json"
        );
    }
    let stdin_only = [PathBuf::from("-")];
    let inputs: &[PathBuf] = if args.inputs.is_empty() {
        if output::stdin_is_terminal() {
            crate::bail!(
                Kind::Usage,
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
    Message {
        raw: RawMessage,
        headings: bool,
    },
    Failed(anyhow::Error),
    /// `--message N` beyond an input's last message: a negative result, like an absent part.
    Missing(String),
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
        let messages = match source::open_mapped(&path) {
            Ok(messages) => messages,
            Err(err) => {
                each(Item::Failed(Failure::from(err).into()))?;
                continue;
            }
        };
        let headings = several_inputs || !matches!(messages, Messages::Single(_));
        let mut found = false;
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
                    std::cmp::Ordering::Equal => found = true,
                    std::cmp::Ordering::Greater => break,
                }
            }
            each(Item::Message { raw, headings })?;
        }
        if let (Some(wanted), false) = (args.message, found) {
            each(Item::Missing(format!("{path}: no message {wanted}")))?;
        }
    }
    Ok(())
}

/// One message's output, prepared apart from stdout so that workers can render in parallel.
struct Rendered {
    /// Where its stdout ends in the buffer it was rendered into (it starts where the
    /// previous message's ends).
    end: usize,
    stderr: Vec<Diagnostic>,
    /// A blank line is due before this output when something was shown before it.
    separate: bool,
    code: Exit,
}

/// A line for stderr, kept until its message's turn so diagnostics stay in input order.
enum Diagnostic {
    /// A valid negative result (`box.mbox #2: no part 1.9`).
    Note(String),
    /// A message or input that failed.
    Error(String),
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
            match line {
                Diagnostic::Note(text) => output::note(text),
                Diagnostic::Error(text) => output::error(text),
            }
        }
        self.status = exit::worst([self.status, rendered.code]);
        Ok(())
    }
}

/// The output of one view for one message, appended to its batch's buffer in memory.
pub(super) struct Sink<'b> {
    json: bool,
    pub(super) stdout: &'b mut Vec<u8>,
    /// Where `--part` writes straight to, unbuffered by message, when output is sequential.
    pub(super) direct: Option<&'b mut Printer>,
    stderr: Vec<Diagnostic>,
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
        // Written in place (one per message of an mbox): escaping is character by character,
        // so escaping the source alone is escaping the label.
        self.stdout.extend_from_slice(b"==> ");
        self.stdout
            .extend_from_slice(escape_line(&raw.source).as_bytes());
        let _ = write!(self.stdout, " #{} <==", raw.index);
        self.stdout.push(b'\n');
        Ok(())
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
        let text = format!("{}: {what}", label(raw));
        self.stderr.push(Diagnostic::Note(text));
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
        && !args.received
        && !args.tree;
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
        Item::Missing(what) => {
            sink.stderr.push(Diagnostic::Note(what));
            Ok(Exit::Negative)
        }
        Item::Message { raw, headings } => show(args, &mut sink, &raw, headings),
    };
    let code = match outcome {
        Ok(code) => code,
        Err(err) => {
            // What was already done stays reported (files extracted before a failure).
            sink.stderr.push(Diagnostic::Error(exit::one_line(&err)));
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
