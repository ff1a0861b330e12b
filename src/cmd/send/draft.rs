//! `send`'s message from the flags: the raw messages named (files, `-`, --raw), or the one
//! composed from --subject, --body, --attach and the like.

use std::{io::Read as _, path::Path};

use anyhow::Context as _;

use crate::{
    cli::send::SendArgs,
    compose::{Attachment, Draft, Mailbox},
    exit::{Failure, Kind},
    output::escape_line,
};

/// The raw messages to send, or `None` when composing.
pub(super) fn raw_inputs(args: &SendArgs) -> anyhow::Result<Option<Vec<Vec<u8>>>> {
    if args.raw {
        return Ok(Some(vec![read_input(Path::new("-"))?]));
    }
    if args.messages.is_empty() {
        if args.read_recipients {
            crate::bail!(
                Kind::Usage,
                "-t reads a raw message: give a file, `-` or --raw"
            );
        }
        return Ok(None);
    }
    args.messages
        .iter()
        .map(|path| read_input(path))
        .collect::<anyhow::Result<Vec<_>>>()
        .map(Some)
}

fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("reading stdin")?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn read_text(path: &Path, what: &str) -> anyhow::Result<String> {
    let bytes = read_input(path)?;
    String::from_utf8(bytes).map_err(|_| {
        Failure::new(
            Kind::BadInput,
            format!(
                "{what} {} is not UTF-8; send it with --attach or as a raw message",
                path.display()
            ),
        )
        .into()
    })
}

/// The message to compose; `to` and `cc` are the flags' mailboxes, parsed once by the caller.
pub(super) fn draft(
    args: &SendArgs,
    from: &Mailbox,
    to: Vec<Mailbox>,
    cc: Vec<Mailbox>,
) -> anyhow::Result<Draft> {
    let text = match (&args.compose.body, &args.compose.body_file) {
        (Some(body), _) => body.clone(),
        (None, Some(path)) => read_text(path, "body")?,
        (None, None) if !crate::output::stdin_is_terminal() => read_text(Path::new("-"), "body")?,
        (None, None) => String::new(),
    };
    let headers = args
        .compose
        .header
        .iter()
        .map(|h| match h.split_once(':') {
            Some((name, value)) => Ok((name.trim().to_string(), value.trim().to_string())),
            None => Err(Failure::new(
                Kind::Usage,
                format!("--header {:?} is not \"Name: value\"", escape_line(h)),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Draft {
        from: Some(from.clone()),
        to,
        cc,
        subject: args.compose.subject.clone(),
        text,
        html: args
            .compose
            .html_file
            .as_deref()
            .map(|p| read_text(p, "HTML file"))
            .transpose()?,
        headers,
        attachments: args
            .compose
            .attach
            .iter()
            .map(|p| Attachment::read(p).map_err(Failure::from))
            .collect::<Result<Vec<_>, _>>()?,
    })
}
