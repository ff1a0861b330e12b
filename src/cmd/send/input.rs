//! `send`'s input: the messages and envelopes the flags describe (composed, or raw from files,
//! stdin or an mbox), built and checked before any connection is made.

use std::path::Path;

use anyhow::Context as _;

use super::draft::{draft, raw_inputs};
use crate::{
    cli::send::{Ret, SendArgs},
    compose::{self, Mailbox},
    exit::{Failure, Kind},
    message::{
        HeaderSummary,
        source::{self, Messages},
    },
    smtp::{Dsn, Envelope, Payload},
};

/// One message to send: its bytes, envelope and, for reports, its Message-ID.
pub(super) struct Outgoing {
    pub(super) payload: Payload,
    pub(super) envelope: Envelope,
    pub(super) message_id: Option<String>,
}

/// The messages of a run: built in full before any connection is made, or, for `--mbox`,
/// streamed in batches so that memory does not follow the mailbox's size.
pub(super) enum Input {
    /// Every message, built and checked.
    Ready(Vec<Outgoing>),
    /// An mbox read as it is sent: the first batch is built and checked before connecting,
    /// each later one just before it is sent.
    Stream(Box<MboxStream>),
}

impl Input {
    /// Every message at once, for what needs them all (direct delivery, the queue): an mbox is
    /// then read to its end before anything is sent.
    pub(super) fn into_all(self) -> anyhow::Result<Vec<Outgoing>> {
        match self {
            Input::Ready(outgoing) => Ok(outgoing),
            Input::Stream(mut stream) => {
                let mut all = Vec::new();
                loop {
                    let batch = stream.next_batch()?;
                    if batch.is_empty() {
                        return Ok(all);
                    }
                    all.extend(batch);
                }
            }
        }
    }
}

/// A batch closes at this many messages or bytes: large enough that the round trip at its end
/// is amortized, small enough that memory stays flat whatever the mailbox's size.
const BATCH_MESSAGES: usize = 256;
const BATCH_BYTES: usize = 2 << 20;

/// An mbox as `message::source` opens it.
type MboxReader = Box<source::Mbox<Box<dyn std::io::BufRead>>>;

/// `send --mbox`'s messages, read and built a batch at a time.
pub(super) struct MboxStream {
    messages: std::iter::Peekable<MboxReader>,
    common: Common,
    /// Messages built so far (their 0-based index is their position in the mbox).
    built: usize,
    /// The batch read before connecting, handed out first.
    first: Option<Vec<Outgoing>>,
}

impl MboxStream {
    /// The next batch of messages, empty at the end of the mbox. A message that cannot be
    /// read, or that has no sender or recipients, fails the run there: the messages before it
    /// have gone out (and are reported), none after it does.
    pub(super) fn next_batch(&mut self) -> anyhow::Result<Vec<Outgoing>> {
        if let Some(first) = self.first.take() {
            return Ok(first);
        }
        let mut batch = Vec::new();
        let mut bytes = 0;
        while batch.len() < BATCH_MESSAGES && bytes < BATCH_BYTES {
            let Some(raw) = self.messages.next() else {
                break;
            };
            let raw = raw.map_err(Failure::from)?.bytes.into_vec();
            bytes += raw.len();
            batch.push(self.common.outgoing(self.built, raw)?);
            self.built += 1;
        }
        Ok(batch)
    }

    /// Whether the run has more than one message (known once a second one is read, or the
    /// mbox ends): reports then name each failed message by its Message-ID.
    pub(super) fn several(&mut self) -> bool {
        self.built > 1 || (self.built > 0 && self.messages.peek().is_some())
    }
}

/// What every raw message of a run shares: the sender and recipients the flags give, DSN.
struct Common {
    sender: Option<Mailbox>,
    flag_rcpts: Vec<String>,
    dsn: Dsn,
    read_recipients: bool,
}

/// Builds every message and its envelope from the flags, before any connection is made, so
/// bad input fails fast with 65 (or 2 for contradictory flags); an mbox is only opened and its
/// first batch built.
pub(super) fn messages(args: &SendArgs, account_from: Option<&str>) -> anyhow::Result<Input> {
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

    let mbox = match &args.mbox {
        Some(path) => Some(open_mbox(path)?),
        None => None,
    };
    let raw_inputs = match mbox {
        Some(_) => None,
        None => raw_inputs(args)?,
    };
    let Some(raws) = raw_inputs.or_else(|| mbox.is_some().then(Vec::new)) else {
        let from = sender.ok_or_else(|| {
            let also = if flag_rcpts.is_empty() {
                " and recipients (--to, --cc or --bcc)"
            } else {
                ""
            };
            Failure::new(
                Kind::Usage,
                format!(
                    "composing a message needs --from (or an account's from){also}; or give a raw message (a file, `-` or --raw)"
                ),
            )
        })?;
        if flag_rcpts.is_empty() {
            crate::bail!(Kind::Usage, "no recipients: give --to, --cc or --bcc");
        }
        let built = draft(args, &from, to, cc)?
            .build(crate::smtp::domain_of(&from.address))
            .map_err(Failure::from)?;
        return Ok(Input::Ready(vec![Outgoing {
            payload: Payload::new(&built.bytes),
            envelope: Envelope {
                from: from.address,
                recipients: flag_rcpts,
                dsn,
            },
            message_id: Some(built.message_id),
        }]));
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
    let common = Common {
        sender,
        flag_rcpts,
        dsn,
        read_recipients: args.read_recipients,
    };
    if let Some(mbox) = mbox {
        let mut stream = MboxStream {
            messages: mbox.peekable(),
            common,
            built: 0,
            first: None,
        };
        stream.first = Some(stream.next_batch()?);
        return Ok(Input::Stream(Box::new(stream)));
    }
    let out = raws
        .into_iter()
        .enumerate()
        .map(|(index, raw)| common.outgoing(index, raw))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Input::Ready(out))
}

impl Common {
    /// Message `index` (0-based) of the run with its envelope: recipients from the flags and,
    /// with `-t`, its own header fields (Bcc then removed); the sender from the flags or its
    /// From field.
    fn outgoing(&self, index: usize, raw: Vec<u8>) -> anyhow::Result<Outgoing> {
        let what = || format!("message {}", index + 1);
        let mut recipients = self.flag_rcpts.clone();
        let summary = HeaderSummary::parse(&raw);
        let bytes = if self.read_recipients {
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
        let from = match &self.sender {
            Some(mailbox) => mailbox.address.clone(),
            None => compose::header_from(&summary)
                .ok_or_else(|| {
                    Failure::new(Kind::BadInput, "no sender: give --from, or a From header")
                })
                .with_context(what)?,
        };
        Ok(Outgoing {
            message_id: summary.message_id,
            payload: Payload::new(&bytes),
            envelope: Envelope {
                from,
                recipients,
                dsn: self.dsn.clone(),
            },
        })
    }
}

/// Opens `--mbox`'s file, refusing one that is not an mbox.
fn open_mbox(path: &Path) -> anyhow::Result<MboxReader> {
    let Messages::Mbox(mbox) = source::open(&path.to_string_lossy()).map_err(Failure::from)? else {
        crate::bail!(
            Kind::BadInput,
            "{} is not an mbox (it does not start with a \"From \" line)",
            path.display()
        );
    };
    Ok(mbox)
}
