//! `send`'s input: the messages and envelopes the flags describe (composed, or raw from files,
//! stdin or an mbox), built and checked before any connection is made.

use super::*;

/// One message to send: its bytes, envelope and, for reports, its Message-ID.
pub(super) struct Outgoing {
    pub(super) payload: Payload,
    pub(super) envelope: Envelope,
    pub(super) message_id: Option<String>,
}

/// Builds every message and its envelope from the flags, before any connection is made, so
/// bad input fails fast with 65 (or 2 for contradictory flags).
pub(super) fn messages(
    args: &SendArgs,
    account_from: Option<&str>,
) -> anyhow::Result<Vec<Outgoing>> {
    let sender = args
        .from
        .clone()
        .or_else(|| account_from.map(str::to_string))
        .map(|text| Mailbox::parse(&text).map_err(Failure::from))
        .transpose()?;
    let parse_all = |list: &[String]| {
        list.iter()
            .map(|t| Mailbox::parse(t).map_err(Failure::from))
            .collect::<Result<Vec<_>, _>>()
    };
    let (to, cc) = (parse_all(&args.to)?, parse_all(&args.cc)?);
    let flag_rcpts: Vec<String> = to
        .iter()
        .chain(&cc)
        .chain(&parse_all(&args.bcc)?)
        .map(|m| m.address.clone())
        .collect();
    let dsn = Dsn {
        notify: args.route.notify.clone(),
        ret: args.route.ret.map(|r| match r {
            Ret::Full => "FULL".into(),
            Ret::Hdrs => "HDRS".into(),
        }),
        envid: args.route.envid.clone(),
    };
    if let Some(notify) = &dsn.notify
        && !notify.split(',').all(|w| {
            ["NEVER", "SUCCESS", "FAILURE", "DELAY"].contains(&w.to_ascii_uppercase().as_str())
        })
    {
        crate::bail!(
            Kind::Usage,
            "--notify takes NEVER or a comma list of SUCCESS, FAILURE, DELAY"
        );
    }
    if let Some(envid) = &dsn.envid
        && envid.chars().any(char::is_control)
    {
        crate::bail!(Kind::BadInput, "--envid contains control characters");
    }

    let raw_inputs = raw_inputs(args)?;
    let Some(raws) = raw_inputs else {
        let from = sender.ok_or_else(|| {
            Failure::new(
                Kind::Usage,
                "composing a message needs --from (or an account's from)",
            )
        })?;
        if flag_rcpts.is_empty() {
            crate::bail!(Kind::Usage, "no recipients: give --to, --cc or --bcc");
        }
        let built = draft(args, &from, to, cc)?
            .build(crate::smtp::domain_of(&from.address))
            .map_err(Failure::from)?;
        return Ok(vec![Outgoing {
            payload: Payload::new(&built.bytes),
            envelope: Envelope {
                from: from.address,
                recipients: flag_rcpts,
                dsn,
            },
            message_id: Some(built.message_id),
        }]);
    };
    if args.compose.subject.is_some()
        || args.compose.body.is_some()
        || args.compose.body_file.is_some()
        || args.compose.html_file.is_some()
        || !args.compose.header.is_empty()
        || !args.compose.attach.is_empty()
    {
        crate::bail!(
            Kind::Usage,
            "--subject, --body, --body-file, --html-file, --header and --attach compose a message; they cannot change a raw one"
        );
    }
    let mut out = Vec::with_capacity(raws.len());
    for (index, raw) in raws.into_iter().enumerate() {
        let what = || format!("message {}", index + 1);
        let mut recipients = flag_rcpts.clone();
        let summary = HeaderSummary::parse(&raw);
        let bytes = if args.read_recipients {
            for address in compose::header_recipients(&summary)
                .map_err(Failure::from)
                .with_context(what)?
            {
                if !recipients.contains(&address) {
                    recipients.push(address);
                }
            }
            compose::strip_bcc(&raw)
        } else {
            raw
        };
        if recipients.is_empty() {
            return Err(Failure::new(
                Kind::Usage,
                "no recipients: give --to, --cc, --bcc, or -t to read them from the message",
            ))
            .with_context(what);
        }
        let from = match &sender {
            Some(mailbox) => mailbox.address.clone(),
            None => compose::header_from(&summary)
                .ok_or_else(|| {
                    Failure::new(Kind::BadInput, "no sender: give --from, or a From header")
                })
                .with_context(what)?,
        };
        out.push(Outgoing {
            message_id: summary.message_id,
            payload: Payload::new(&bytes),
            envelope: Envelope {
                from,
                recipients,
                dsn: dsn.clone(),
            },
        });
    }
    Ok(out)
}

/// The raw messages to send, or `None` when composing.
fn raw_inputs(args: &SendArgs) -> anyhow::Result<Option<Vec<Vec<u8>>>> {
    if let Some(path) = &args.mbox {
        let Messages::Mbox(mbox) = source::open(&path.to_string_lossy()).map_err(Failure::from)?
        else {
            crate::bail!(
                Kind::BadInput,
                "{} is not an mbox (it does not start with a \"From \" line)",
                path.display()
            );
        };
        let messages = mbox
            .map(|message| message.map(|m| m.bytes))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Failure::from)?;
        return Ok(Some(messages));
    }
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
fn draft(
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
