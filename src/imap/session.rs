//! The IMAP client session over any `Read + Write` stream: the only code in mailkit that knows
//! imap-codec. Commands are built as imap-types values and encoded by the codec; every
//! response is decoded by the codec. What this module does itself is the framing the codec
//! leaves to its user (RFC 3501 §4.3: a line ending in `{N}` announces N literal bytes), so
//! that a message body is streamed to disk as it arrives, its announced size checked against
//! the limits before a byte of it is read, instead of being buffered whole.
//!
//! mailkit works in UIDs only (UID FETCH, UID STORE, UID EXPUNGE, UID MOVE): unsolicited
//! EXPUNGE, FETCH and EXISTS responses, at any point, change nothing mailkit acts on.

use std::{
    io::{self, Read, Write},
    time::{Duration, Instant},
};

use imap_codec::{
    CommandCodec, GreetingCodec, IdleDoneCodec, ResponseCodec,
    decode::{Decoder, GreetingDecodeError, ResponseDecodeError},
    encode::{Encoder, Fragment},
    imap_types::{
        auth::AuthMechanism,
        command::{Command, CommandBody},
        core::{AString, Vec1},
        extensions::idle::IdleDone,
        fetch::{MessageDataItem, MessageDataItemName, Section},
        flag::{Flag, FlagFetch, StoreResponse, StoreType},
        mailbox::{ListMailbox, Mailbox},
        response::{Code, Data, GreetingKind, Response, Status, StatusBody, StatusKind},
        sequence::SequenceSet,
        status::{StatusDataItem, StatusDataItemName},
    },
};

use super::ImapError;
use crate::{net::Stream, output::Transcript, sasl, secret::Secret};

/// The longest line accepted outside literals: far above any real response line.
const MAX_LINE: usize = 256 * 1024;
/// The most bytes one buffered response may hold (lines plus small literals, such as header
/// fields); message bodies are streamed and do not count.
const MAX_RESPONSE: usize = 4 * 1024 * 1024;
/// The largest message mailkit accepts whatever `--max-size` says: an announced literal
/// above it (a hostile `{1000000000000}`) is refused before reading.
pub const MAX_MESSAGE: u64 = 2 << 30;
/// A message literal may take this long per MiB on top of the reply deadline, so a large
/// message on a slow link is not cut off while a drip-feeding server still is.
const PER_MIB: Duration = Duration::from_secs(4);
/// RFC 2177 §3: servers may drop an IDLE after 30 minutes; re-issue well before.
pub const IDLE_REISSUE: Duration = Duration::from_secs(25 * 60);
/// The header fields `list` shows and UIDVALIDITY matching needs.
const HEADER_FIELDS: [&str; 4] = ["FROM", "SUBJECT", "DATE", "MESSAGE-ID"];

/// A stream whose read timeout can be set, so each reply gets an overall deadline rather than
/// a per-read one that a drip-feeding server resets with every byte.
pub trait Timed {
    /// Sets how long the next read may block (`None`: forever).
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()>;
}

impl Timed for Stream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.tcp().set_read_timeout(timeout)
    }
}

/// The selected folder, as SELECT/EXAMINE reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selected {
    /// The folder name as given (Unicode).
    pub name: String,
    /// RFC 3501 §2.3.1.1: UIDs are valid only together with this value.
    pub uid_validity: u32,
    /// The UID the next message will get, when the server said.
    pub uid_next: Option<u32>,
    /// Messages in the folder (the last EXISTS seen).
    pub exists: u32,
    /// Opened with EXAMINE or the server made it read-only.
    pub read_only: bool,
}

/// A folder as LIST reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folder {
    /// The name in Unicode (decoded from the wire's modified UTF-7).
    pub name: String,
    /// Attributes such as `\Noselect`, `\Trash`, `\Archive`.
    pub attributes: Vec<String>,
}

/// Counts from STATUS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FolderStatus {
    /// Messages in the folder.
    pub messages: u32,
    /// Messages without `\Seen`.
    pub unseen: u32,
    /// The folder's UIDVALIDITY.
    pub uid_validity: u32,
}

/// One message as listed by UID FETCH.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageInfo {
    /// Its UID (valid with the folder's UIDVALIDITY).
    pub uid: u32,
    /// RFC822.SIZE: its size in octets, CRLF line ends.
    pub size: u64,
    /// Its flags (`\Seen`, `\Deleted`...).
    pub flags: Vec<String>,
    /// INTERNALDATE, as RFC 3339.
    pub internal_date: Option<String>,
    /// The From, Subject, Date and Message-ID fields, raw, when asked for.
    pub header: Option<Vec<u8>>,
}

/// One message body delivered by [`Session::fetch_bodies`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// Its UID.
    pub uid: u32,
    /// Its size in bytes, as received.
    pub size: u64,
    /// Its Message-ID field, raw, if it has one.
    pub message_id_field: Option<Vec<u8>>,
}

/// Where [`Session::fetch_bodies`] streams message bodies. A body's UID is known only once its
/// whole FETCH response is read (it may come after the literal), so writing starts anonymously.
pub trait BodySink {
    /// Where one body's bytes go.
    type Writer: Write;
    /// A body of `size` bytes starts.
    fn begin(&mut self, size: u64) -> io::Result<Self::Writer>;
    /// The body arrived whole and belongs to the message described by `fetched`.
    fn finish(&mut self, fetched: Fetched, writer: Self::Writer) -> io::Result<()>;
    /// The body must not be kept: cut off, unidentifiable, or not asked for.
    fn abandon(&mut self, writer: Self::Writer);
}

/// How to log in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Login {
    /// AUTHENTICATE PLAIN if offered, else LOGIN (unless LOGINDISABLED).
    Auto,
    /// LOGIN user password (RFC 3501 §6.2.3).
    Login,
    /// AUTHENTICATE with a SASL mechanism (RFC 3501 §6.2.2), driven by [`crate::sasl`].
    Sasl(sasl::Mechanism),
}

/// The flags mailkit sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemFlag {
    /// `\Deleted`: marked for UID EXPUNGE.
    Deleted,
    /// `\Seen`: `fetch --mark-seen`.
    Seen,
}

/// What an IDLE (or a NOOP poll) ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Woken {
    /// The server announced new messages (EXISTS grew).
    NewMail,
    /// The wait ran out (time to re-issue IDLE) or a stop was asked for.
    Quiet,
}

/// A message read off the wire: the bytes for the codec (a streamed body replaced by an empty
/// literal) and the body's writer, if one was streamed.
struct Framed<W> {
    bytes: Vec<u8>,
    body: Option<(W, u64)>,
}

/// A sink that refuses every body: for commands that fetch none.
struct NoBodies;

impl BodySink for NoBodies {
    type Writer = io::Sink;
    fn begin(&mut self, _: u64) -> io::Result<io::Sink> {
        Err(io::Error::other("no message body was asked for"))
    }
    fn finish(&mut self, _: Fetched, _: io::Sink) -> io::Result<()> {
        Ok(())
    }
    fn abandon(&mut self, _: io::Sink) {}
}

/// An IMAP session.
pub struct Session<S: Read + Write + Timed> {
    stream: S,
    rbuf: Vec<u8>,
    rpos: usize,
    rend: usize,
    caps: Vec<String>,
    tag: u32,
    log: Transcript,
    secure: bool,
    timeout: Duration,
    selected: Option<Selected>,
    bye: Option<String>,
    authenticated: bool,
}

impl<S: Read + Write + Timed> Session<S> {
    /// Reads the greeting. `secure` says whether the stream is already TLS; `timeout` is the
    /// overall deadline of every reply.
    pub fn open(
        stream: S,
        secure: bool,
        log: Transcript,
        timeout: Duration,
    ) -> Result<Self, ImapError> {
        let mut session = Session {
            stream,
            rbuf: vec![0; 64 * 1024],
            rpos: 0,
            rend: 0,
            caps: Vec::new(),
            tag: 0,
            log,
            secure,
            timeout,
            selected: None,
            bye: None,
            authenticated: false,
        };
        let doing = "reading the greeting";
        let deadline = Instant::now() + timeout;
        let framed = session.read_framed(doing, deadline, None::<&mut NoBodies>, 0)?;
        let greeting = match GreetingCodec::default().decode(&framed.bytes) {
            Ok((_, greeting)) => greeting,
            Err(GreetingDecodeError::Incomplete | GreetingDecodeError::Failed) => {
                return Err(malformed(doing, &framed.bytes));
            }
        };
        if let Some(Code::Capability(caps)) = &greeting.code {
            session.caps = caps
                .as_ref()
                .iter()
                .map(|c| c.to_string().to_ascii_uppercase())
                .collect();
        }
        match greeting.kind {
            GreetingKind::Ok => {}
            GreetingKind::PreAuth => session.authenticated = true,
            GreetingKind::Bye => {
                return Err(ImapError::Closed {
                    doing: doing.into(),
                    bye: Some(crate::output::escape_line(greeting.text.inner()).into_owned()),
                });
            }
        }
        Ok(session)
    }

    /// The capabilities last announced, upper-cased (`IMAP4REV1`, `AUTH=PLAIN`, `IDLE`...).
    pub fn capabilities(&self) -> &[String] {
        &self.caps
    }

    /// Whether the server announced `name` (case-insensitive).
    pub fn has(&self, name: &str) -> bool {
        self.caps.iter().any(|c| c.eq_ignore_ascii_case(name))
    }

    /// Whether traffic is encrypted.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// Whether the session is logged in (after LOGIN/AUTHENTICATE or a PREAUTH greeting).
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// The selected folder.
    pub fn selected(&self) -> Option<&Selected> {
        self.selected.as_ref()
    }

    /// The stream, for tests.
    pub fn into_inner(self) -> S {
        self.stream
    }

    /// CAPABILITY: asks the server what it supports (again, after TLS or login, since the
    /// list may change then).
    pub fn capability(&mut self) -> Result<&[String], ImapError> {
        self.run(CommandBody::Capability, None, false, |_| Ok(()))?;
        Ok(&self.caps)
    }

    /// STARTTLS (RFC 3501 §6.2.1, RFC 2595 §3.1). Any byte already buffered after the tagged
    /// OK is an injection attempt and aborts the session; the capabilities learned before are
    /// forgotten and asked again over TLS.
    pub fn starttls(
        mut self,
        upgrade: impl FnOnce(S) -> Result<S, crate::net::TlsError>,
    ) -> Result<Self, ImapError> {
        if !self.has("STARTTLS") {
            return Err(ImapError::NoStartTls);
        }
        self.run(CommandBody::StartTLS, None, false, |_| Ok(()))?;
        let pending = self.rend - self.rpos;
        if pending > 0 {
            return Err(ImapError::Injection(pending));
        }
        self.stream = upgrade(self.stream)?;
        self.secure = true;
        self.caps.clear();
        self.log.event("TLS established");
        self.capability()?;
        Ok(self)
    }

    /// Logs in. LOGINDISABLED (RFC 3501 §7.2.1) rules out LOGIN; a password never crosses a
    /// cleartext connection unless `allow_cleartext`. Capabilities are asked again after.
    pub fn login(
        &mut self,
        login: Login,
        user: &str,
        secret: &Secret,
        allow_cleartext: bool,
    ) -> Result<(), ImapError> {
        if !self.secure && !allow_cleartext {
            return Err(ImapError::CleartextRefused);
        }
        let login = match login {
            Login::Auto if self.has("AUTH=PLAIN") => Login::Sasl(sasl::Mechanism::Plain),
            Login::Auto => Login::Login,
            other => other,
        };
        match login {
            Login::Login | Login::Auto => {
                if self.has("LOGINDISABLED") {
                    return Err(ImapError::NoMechanism(format!(
                        "the server has LOGINDISABLED and offers no AUTH=PLAIN (capabilities: {})",
                        self.caps.join(" ")
                    )));
                }
                let body = CommandBody::login(user, secret.expose()).map_err(|_| {
                    ImapError::NoMechanism(
                        "the user name or password cannot be sent with LOGIN (NUL or line break)"
                            .into(),
                    )
                })?;
                let shown = crate::output::redacted(&format!("LOGIN {}", quoted_for_log(user)));
                self.run(body, Some(&shown), true, |_| Ok(()))?;
            }
            Login::Sasl(mechanism) => {
                if !self.has(&format!("AUTH={}", mechanism.name())) {
                    return Err(ImapError::NoMechanism(format!(
                        "the server does not offer AUTH={} (capabilities: {})",
                        mechanism.name(),
                        self.caps.join(" ")
                    )));
                }
                self.authenticate(sasl::Exchange::new(mechanism, user, secret))?;
            }
        }
        self.authenticated = true;
        // RFC 3501 §6.2.3: the capabilities may differ once logged in (Dovecot adds MOVE,
        // UIDPLUS, IDLE); a tagged OK with [CAPABILITY] already told us.
        if !self.has("IMAP4REV1") || !self.has_after_login_caps() {
            self.capability()?;
        }
        Ok(())
    }

    fn has_after_login_caps(&self) -> bool {
        self.has("UIDPLUS") || self.has("IDLE") || self.has("MOVE")
    }

    /// AUTHENTICATE (RFC 3501 §6.2.2): each `+` challenge is answered with the exchange's next
    /// message (its base64 line); a failure challenge (XOAUTH2/OAUTHBEARER send a JSON error as
    /// `+ ...`) gets the empty answer RFC 7628 §3.2.3 asks for, before the tagged NO. The
    /// rounds are bounded by the exchange.
    fn authenticate(&mut self, mut exchange: sasl::Exchange) -> Result<(), ImapError> {
        let name = exchange.mechanism().name();
        let mechanism = AuthMechanism::try_from(name)
            .map_err(|_| ImapError::NoMechanism(format!("{name} cannot be named in IMAP")))?;
        let shown = format!("AUTHENTICATE {name}");
        let tag = self.send(CommandBody::authenticate(mechanism), Some(&shown))?;
        loop {
            let deadline = Instant::now() + self.timeout;
            let response = self.next_response(&shown, deadline)?;
            match response {
                Response::CommandContinuationRequest(_) => {
                    let answer = exchange.answer("").map_err(|err| ImapError::Malformed {
                        doing: shown.clone(),
                        line: err.to_string(),
                    })?;
                    let line = format!("{answer}\r\n");
                    self.write_raw(line.as_bytes(), &crate::output::redacted(""), &shown)?;
                    self.flush(&shown)?;
                }
                Response::Status(Status::Tagged(tagged)) if tagged.tag.inner() == tag => {
                    return self.check(tagged.body, &shown, true);
                }
                other => self.absorb(other, &shown)?,
            }
        }
    }

    /// LIST "" "*": every folder.
    pub fn list_folders(&mut self) -> Result<Vec<Folder>, ImapError> {
        let body = CommandBody::list(
            "",
            ListMailbox::try_from("*").map_err(|_| internal("LIST"))?,
        )
        .map_err(|_| internal("LIST"))?;
        let mut folders = Vec::new();
        self.run(body, None, false, |data| {
            if let Data::List { items, mailbox, .. } = data {
                folders.push(Folder {
                    name: mailbox_name(&mailbox),
                    attributes: items.iter().map(|a| a.to_string()).collect(),
                });
            }
            Ok(())
        })?;
        Ok(folders)
    }

    /// STATUS (MESSAGES UNSEEN UIDVALIDITY) of a folder, without selecting it.
    pub fn status(&mut self, folder: &str) -> Result<FolderStatus, ImapError> {
        let names = [
            StatusDataItemName::Messages,
            StatusDataItemName::Unseen,
            StatusDataItemName::UidValidity,
        ];
        let body = CommandBody::status(mailbox(folder)?, names.as_slice())
            .map_err(|_| bad_name(folder))?;
        let mut status = FolderStatus::default();
        self.run(body, None, false, |data| {
            if let Data::Status { items, .. } = data {
                for item in items.iter() {
                    match item {
                        StatusDataItem::Messages(n) => status.messages = *n,
                        StatusDataItem::Unseen(n) => status.unseen = *n,
                        StatusDataItem::UidValidity(v) => status.uid_validity = v.get(),
                        _ => {}
                    }
                }
            }
            Ok(())
        })?;
        Ok(status)
    }

    /// SELECT (or EXAMINE when `read_only`) a folder. A folder without UIDVALIDITY cannot be
    /// worked on in UIDs, so that is an error.
    pub fn select(&mut self, folder: &str, read_only: bool) -> Result<&Selected, ImapError> {
        let body = if read_only {
            CommandBody::examine(mailbox(folder)?)
        } else {
            CommandBody::select(mailbox(folder)?)
        }
        .map_err(|_| bad_name(folder))?;
        self.selected = Some(Selected {
            name: folder.to_string(),
            uid_validity: 0,
            uid_next: None,
            exists: 0,
            read_only,
        });
        let shown = format!(
            "{} {}",
            if read_only { "EXAMINE" } else { "SELECT" },
            quoted_for_log(&super::mutf7::encode(folder))
        );
        let code = self.run_shown(body, &shown, |_| Ok(()));
        let code = match code {
            Ok(code) => code,
            Err(err) => {
                self.selected = None;
                return Err(err);
            }
        };
        let selected = self.selected.as_mut().ok_or_else(|| internal("SELECT"))?;
        if matches!(code, Some(Code::ReadOnly)) {
            selected.read_only = true;
        }
        if selected.uid_validity == 0 {
            return Err(ImapError::Missing {
                doing: shown,
                what: "the server sent no UIDVALIDITY, so UIDs cannot identify messages".into(),
            });
        }
        Ok(selected)
    }

    /// UID FETCH 1:* of the selected folder: UID, size, flags, internal date, and the header
    /// fields From, Subject, Date and Message-ID when `headers`. In UID order.
    pub fn list_messages(&mut self, headers: bool) -> Result<Vec<MessageInfo>, ImapError> {
        if self.selected.as_ref().is_none_or(|s| s.exists == 0) {
            return Ok(Vec::new());
        }
        let mut names = vec![
            MessageDataItemName::Uid,
            MessageDataItemName::Rfc822Size,
            MessageDataItemName::Flags,
            MessageDataItemName::InternalDate,
        ];
        if headers {
            names.push(header_fields_item(&HEADER_FIELDS)?);
        }
        let body = CommandBody::fetch("1:*", names, true).map_err(|_| internal("UID FETCH"))?;
        let mut out: Vec<MessageInfo> = Vec::new();
        self.run(body, None, false, |data| {
            if let Data::Fetch { items, .. } = data {
                let mut info = MessageInfo::default();
                for item in items.into_iter() {
                    match item {
                        MessageDataItem::Uid(uid) => info.uid = uid.get(),
                        MessageDataItem::Rfc822Size(size) => info.size = u64::from(size),
                        MessageDataItem::Flags(flags) => {
                            info.flags = flags.iter().map(flag_name).collect()
                        }
                        MessageDataItem::InternalDate(date) => {
                            info.internal_date = Some(date.as_ref().to_rfc3339())
                        }
                        MessageDataItem::BodyExt {
                            section: Some(Section::HeaderFields(..)),
                            data,
                            ..
                        } => {
                            info.header = Some(
                                data.into_option()
                                    .map(|d| d.into_owned())
                                    .unwrap_or_default(),
                            );
                        }
                        _ => {}
                    }
                }
                // A FETCH without UID is an unsolicited flag update (RFC 3501 §7.4.2): it
                // names a message by sequence number only, so it is ignored.
                if info.uid != 0 {
                    out.push(info);
                }
            }
            Ok(())
        })?;
        out.sort_by_key(|m| m.uid);
        out.dedup_by_key(|m| m.uid);
        Ok(out)
    }

    /// UID FETCH of `uids` (one command for the whole set; the server streams them back
    /// without a round trip each): BODY.PEEK[] so nothing is marked read, streamed into
    /// `sink`. A body announced larger than `limit` (or [`MAX_MESSAGE`]) is refused before
    /// any of it is read. Returns the UIDs asked for that the server did not send (expunged
    /// meanwhile by another client).
    pub fn fetch_bodies<K: BodySink>(
        &mut self,
        uids: &[u32],
        limit: u64,
        sink: &mut K,
    ) -> Result<Vec<u32>, ImapError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let names = vec![
            MessageDataItemName::Uid,
            header_fields_item(&["MESSAGE-ID"])?,
            MessageDataItemName::BodyExt {
                section: None,
                partial: None,
                peek: true,
            },
        ];
        let set = uid_set(uids);
        let body =
            CommandBody::fetch(set.as_str(), names, true).map_err(|_| internal("UID FETCH"))?;
        let shown = format!("UID FETCH {} (UID BODY.PEEK[])", short_set(&set));
        let tag = self.send(body, None)?;
        let mut wanted: std::collections::BTreeSet<u32> = uids.iter().copied().collect();
        let limit = limit.min(MAX_MESSAGE);
        loop {
            let deadline = Instant::now() + self.timeout;
            let framed = self.read_framed(&shown, deadline, Some(&mut *sink), limit)?;
            let response = match ResponseCodec::default().decode_static(&framed.bytes) {
                Ok((_, response)) => response,
                Err(_) => {
                    if let Some((writer, _)) = framed.body {
                        sink.abandon(writer);
                    }
                    return Err(malformed(&shown, &framed.bytes));
                }
            };
            match response {
                Response::Data(Data::Fetch { items, .. }) => {
                    let mut uid = 0;
                    let mut message_id = None;
                    for item in items.into_iter() {
                        match item {
                            MessageDataItem::Uid(u) => uid = u.get(),
                            MessageDataItem::BodyExt {
                                section: Some(Section::HeaderFields(..)),
                                data,
                                ..
                            } => {
                                message_id = data.into_option().map(|d| d.into_owned());
                            }
                            _ => {}
                        }
                    }
                    let Some((writer, size)) = framed.body else {
                        continue;
                    };
                    // Only a body whose UID was asked for and not yet received is kept: a
                    // FETCH naming another message, or none, never lands as this one.
                    if uid != 0 && wanted.remove(&uid) {
                        let fetched = Fetched {
                            uid,
                            size,
                            message_id_field: message_id,
                        };
                        sink.finish(fetched, writer)
                            .map_err(|source| ImapError::Local {
                                doing: format!("saving message UID {uid}"),
                                source,
                            })?;
                    } else {
                        sink.abandon(writer);
                    }
                }
                Response::Status(Status::Tagged(tagged)) if tagged.tag.inner() == tag => {
                    self.check(tagged.body, &shown, false)?;
                    return Ok(wanted.into_iter().collect());
                }
                other => {
                    if let Some((writer, _)) = framed.body {
                        sink.abandon(writer);
                    }
                    self.absorb(other, &shown)?;
                }
            }
        }
    }

    /// UID STORE +FLAGS.SILENT for exactly `uids` (RFC 3501 §6.4.6).
    pub fn add_flags(&mut self, uids: &[u32], flag: SystemFlag) -> Result<(), ImapError> {
        if uids.is_empty() {
            return Ok(());
        }
        let flag = flag_value(flag);
        let body = CommandBody::store(
            uid_set(uids).as_str(),
            StoreType::Add,
            StoreResponse::Silent,
            vec![flag],
            true,
        )
        .map_err(|_| internal("UID STORE"))?;
        self.run(body, None, false, |_| Ok(()))?;
        Ok(())
    }

    /// UID EXPUNGE (RFC 4315 §2.1) of exactly `uids`: unlike EXPUNGE, it never removes other
    /// messages that another client marked `\Deleted`. Needs UIDPLUS.
    pub fn expunge_uids(&mut self, uids: &[u32]) -> Result<(), ImapError> {
        if uids.is_empty() {
            return Ok(());
        }
        let set =
            SequenceSet::try_from(uid_set(uids).as_str()).map_err(|_| internal("UID EXPUNGE"))?;
        self.run(
            CommandBody::ExpungeUid { sequence_set: set },
            None,
            false,
            |_| Ok(()),
        )?;
        Ok(())
    }

    /// A plain EXPUNGE: removes every `\\Deleted` message of the folder, other clients' too.
    /// Only for servers without UIDPLUS, when the user allowed it by name.
    pub fn expunge_all(&mut self) -> Result<(), ImapError> {
        self.run(CommandBody::Expunge, None, false, |_| Ok(()))?;
        Ok(())
    }

    /// UID MOVE (RFC 6851) of `uids` to `folder`.
    pub fn move_uids(&mut self, uids: &[u32], folder: &str) -> Result<(), ImapError> {
        if uids.is_empty() {
            return Ok(());
        }
        let set =
            SequenceSet::try_from(uid_set(uids).as_str()).map_err(|_| internal("UID MOVE"))?;
        let body = CommandBody::Move {
            sequence_set: set,
            mailbox: mailbox(folder)?,
            uid: true,
        };
        self.run(body, None, false, |_| Ok(()))?;
        Ok(())
    }

    /// UID COPY of `uids` to `folder`.
    pub fn copy_uids(&mut self, uids: &[u32], folder: &str) -> Result<(), ImapError> {
        if uids.is_empty() {
            return Ok(());
        }
        let body = CommandBody::copy(uid_set(uids).as_str(), mailbox(folder)?, true)
            .map_err(|_| bad_name(folder))?;
        self.run(body, None, false, |_| Ok(()))?;
        Ok(())
    }

    /// NOOP: keeps the session alive and collects what changed; reports new mail when
    /// EXISTS grew.
    pub fn noop(&mut self) -> Result<Woken, ImapError> {
        let before = self.selected.as_ref().map_or(0, |s| s.exists);
        self.run(CommandBody::Noop, None, false, |_| Ok(()))?;
        let after = self.selected.as_ref().map_or(0, |s| s.exists);
        Ok(if after > before {
            Woken::NewMail
        } else {
            Woken::Quiet
        })
    }

    /// IDLE (RFC 2177) until the server announces new messages, `period` runs out, or `stop`
    /// says so (checked every second); then DONE and the tagged OK. A server that never ends
    /// its IDLE after DONE runs into the reply deadline like any other.
    pub fn idle(&mut self, period: Duration, stop: &dyn Fn() -> bool) -> Result<Woken, ImapError> {
        let before = self.selected.as_ref().map_or(0, |s| s.exists);
        let shown = "IDLE";
        let tag = self.send(CommandBody::Idle, None)?;
        let deadline = Instant::now() + self.timeout;
        match self.next_response(shown, deadline)? {
            Response::CommandContinuationRequest(_) => {}
            Response::Status(Status::Tagged(tagged)) if tagged.tag.inner() == tag => {
                self.check(tagged.body, shown, false)?;
                return Ok(Woken::Quiet);
            }
            other => self.absorb(other, shown)?,
        }
        let end = Instant::now() + period;
        let mut woken = Woken::Quiet;
        while Instant::now() < end && !stop() {
            let slice = (Instant::now() + Duration::from_secs(1)).min(end);
            if !self.wait_readable(shown, slice)? {
                continue;
            }
            let deadline = Instant::now() + self.timeout;
            let response = self.next_response(shown, deadline)?;
            if let Response::Status(Status::Tagged(tagged)) = &response
                && tagged.tag.inner() == tag
            {
                // The server ended the IDLE itself (allowed by RFC 2177 only with BYE or
                // errors): take its verdict.
                self.check(tagged.body.clone(), shown, false)?;
                return Ok(woken);
            }
            self.absorb(response, shown)?;
            if self.selected.as_ref().map_or(0, |s| s.exists) > before {
                woken = Woken::NewMail;
                break;
            }
        }
        let done = IdleDoneCodec::default().encode(&IdleDone).dump();
        self.write_raw(&done, "DONE", shown)?;
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.next_response(shown, deadline)? {
                Response::Status(Status::Tagged(tagged)) if tagged.tag.inner() == tag => {
                    self.check(tagged.body, shown, false)?;
                    return Ok(woken);
                }
                other => self.absorb(other, shown)?,
            }
        }
    }

    /// LOGOUT; the server's BYE and OK are read so that everything before was processed.
    pub fn logout(&mut self) -> Result<(), ImapError> {
        match self.run(CommandBody::Logout, None, false, |_| Ok(())) {
            Ok(_) => Ok(()),
            // Some servers close right after their BYE, before the tagged OK.
            Err(ImapError::Closed { bye: Some(_), .. }) => Ok(()),
            Err(err) => Err(err),
        }
    }

    // ------------------------------------------------------------------ internals

    /// Sends a command and reads responses until its tagged completion, passing data
    /// responses to `on_data` after the session has taken what it tracks (EXISTS, capabilities).
    fn run(
        &mut self,
        body: CommandBody<'_>,
        shown: Option<&str>,
        auth: bool,
        on_data: impl FnMut(Data<'static>) -> Result<(), ImapError>,
    ) -> Result<Option<Code<'static>>, ImapError> {
        let shown = shown
            .map(str::to_string)
            .unwrap_or_else(|| command_name(&body));
        self.run_full(body, &shown, auth, on_data)
    }

    fn run_shown(
        &mut self,
        body: CommandBody<'_>,
        shown: &str,
        on_data: impl FnMut(Data<'static>) -> Result<(), ImapError>,
    ) -> Result<Option<Code<'static>>, ImapError> {
        self.run_full(body, shown, false, on_data)
    }

    fn run_full(
        &mut self,
        body: CommandBody<'_>,
        shown: &str,
        auth: bool,
        mut on_data: impl FnMut(Data<'static>) -> Result<(), ImapError>,
    ) -> Result<Option<Code<'static>>, ImapError> {
        let redact = auth.then_some(shown);
        let tag = self.send(body, redact)?;
        loop {
            let deadline = Instant::now() + self.timeout;
            match self.next_response(shown, deadline)? {
                Response::Status(Status::Tagged(tagged)) if tagged.tag.inner() == tag => {
                    let code = tagged.body.code.clone();
                    self.check(tagged.body, shown, auth)?;
                    return Ok(code);
                }
                Response::Data(data) => {
                    self.track(&data);
                    on_data(data)?;
                }
                other => self.absorb(other, shown)?,
            }
        }
    }

    /// Encodes and sends a command; a synchronizing literal (a password with odd characters,
    /// say) waits for the server's `+`. `redacted` replaces the whole line in the transcript.
    fn send(&mut self, body: CommandBody<'_>, redacted: Option<&str>) -> Result<String, ImapError> {
        self.tag += 1;
        let tag = format!("A{:04}", self.tag);
        let name = command_name(&body);
        let command = Command::new(tag.as_str(), body).map_err(|_| internal("tag"))?;
        let fragments: Vec<Fragment> = CommandCodec::default().encode(&command).collect();
        let shown_line = redacted.map(|r| format!("{tag} {r}"));
        let mut first = true;
        for fragment in fragments {
            match fragment {
                Fragment::Line { data } => {
                    let shown = match (&shown_line, first) {
                        (Some(line), true) => line.clone(),
                        (Some(_), false) => crate::output::redacted(""),
                        (None, _) => {
                            String::from_utf8_lossy(data.strip_suffix(b"\r\n").unwrap_or(&data))
                                .into_owned()
                        }
                    };
                    first = false;
                    self.write_raw(&data, &shown, &name)?;
                }
                Fragment::Literal { data, mode } => {
                    if mode == imap_codec::imap_types::core::LiteralMode::Sync {
                        self.flush(&name)?;
                        self.await_continuation(&tag, &name)?;
                    }
                    let shown = if shown_line.is_some() {
                        crate::output::redacted("")
                    } else {
                        format!("({} bytes)", data.len())
                    };
                    self.write_literal(&data, &shown, &name)?;
                }
            }
        }
        self.flush(&name)?;
        Ok(tag)
    }

    fn await_continuation(&mut self, tag: &str, doing: &str) -> Result<(), ImapError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.next_response(doing, deadline)? {
                Response::CommandContinuationRequest(_) => return Ok(()),
                Response::Status(Status::Tagged(tagged)) if tagged.tag.inner() == tag => {
                    self.check(tagged.body, doing, false)?;
                    return Err(malformed(doing, b"tagged OK before the literal was sent"));
                }
                other => self.absorb(other, doing)?,
            }
        }
    }

    /// Handles a response that is not the awaited completion: tracked data, untagged status
    /// codes (UIDVALIDITY...), BYE; a stray tagged status or continuation is a protocol error.
    fn absorb(&mut self, response: Response<'static>, doing: &str) -> Result<(), ImapError> {
        match response {
            Response::Data(data) => self.track(&data),
            Response::Status(Status::Untagged(body)) => self.track_code(&body),
            Response::Status(Status::Bye(bye)) => {
                self.bye = Some(crate::output::escape_line(bye.text.inner()).into_owned());
            }
            Response::Status(Status::Tagged(tagged)) => {
                return Err(ImapError::Malformed {
                    doing: doing.into(),
                    line: format!(
                        "completion for unknown tag {}",
                        crate::output::escape_line(tagged.tag.inner())
                    ),
                });
            }
            Response::CommandContinuationRequest(_) => {
                return Err(ImapError::Malformed {
                    doing: doing.into(),
                    line: "unexpected continuation request (+)".into(),
                });
            }
        }
        Ok(())
    }

    /// What the session keeps track of from data responses. EXPUNGE and FETCH name messages by
    /// sequence number: they are deliberately not acted on, since mailkit works in UIDs.
    fn track(&mut self, data: &Data<'_>) {
        match data {
            Data::Capability(caps) => {
                self.caps = caps
                    .as_ref()
                    .iter()
                    .map(|c| c.to_string().to_ascii_uppercase())
                    .collect();
            }
            Data::Exists(n) => {
                if let Some(selected) = &mut self.selected {
                    selected.exists = *n;
                }
            }
            Data::Expunge(_) => {
                if let Some(selected) = &mut self.selected {
                    selected.exists = selected.exists.saturating_sub(1);
                }
            }
            _ => {}
        }
    }

    fn track_code(&mut self, body: &StatusBody<'_>) {
        match (&body.code, &mut self.selected) {
            (Some(Code::UidValidity(v)), Some(selected)) => selected.uid_validity = v.get(),
            (Some(Code::UidNext(n)), Some(selected)) => selected.uid_next = Some(n.get()),
            (Some(Code::Capability(caps)), _) => {
                self.caps = caps
                    .as_ref()
                    .iter()
                    .map(|c| c.to_string().to_ascii_uppercase())
                    .collect();
            }
            _ => {}
        }
    }

    /// A tagged completion: OK passes (its code taken in), NO and BAD become errors.
    fn check(&mut self, body: StatusBody<'_>, command: &str, auth: bool) -> Result<(), ImapError> {
        if let Some(Code::Capability(caps)) = &body.code {
            self.caps = caps
                .as_ref()
                .iter()
                .map(|c| c.to_string().to_ascii_uppercase())
                .collect();
        }
        let code_name = body.code.as_ref().map(code_name);
        let text = match &code_name {
            Some(code) => format!("[{code}] {}", body.text.inner()),
            None => body.text.inner().to_string(),
        };
        let text = crate::output::escape_line(&text).into_owned();
        match body.kind {
            StatusKind::Ok => Ok(()),
            StatusKind::No => Err(ImapError::No {
                command: command.to_string(),
                text,
                code: code_name,
                auth,
            }),
            StatusKind::Bad => Err(ImapError::Bad {
                command: command.to_string(),
                text,
            }),
        }
    }

    /// Reads and decodes one response (no message body expected).
    fn next_response(
        &mut self,
        doing: &str,
        deadline: Instant,
    ) -> Result<Response<'static>, ImapError> {
        let framed = self.read_framed(doing, deadline, None::<&mut NoBodies>, 0)?;
        match ResponseCodec::default().decode_static(&framed.bytes) {
            Ok((_, response)) => Ok(response),
            Err(
                ResponseDecodeError::Incomplete
                | ResponseDecodeError::LiteralFound { .. }
                | ResponseDecodeError::Failed,
            ) => Err(malformed(doing, &framed.bytes)),
        }
    }

    /// Reads one whole response: a line, and while it ends in a literal announcement, the
    /// literal and the line after it. A literal that is a message body (`BODY[] {N}`) goes to
    /// `sink` once N has been checked against `limit`, and is replaced by an empty literal in
    /// the bytes handed to the codec; other literals are kept within [`MAX_RESPONSE`].
    fn read_framed<K: BodySink>(
        &mut self,
        doing: &str,
        deadline: Instant,
        mut sink: Option<&mut K>,
        limit: u64,
    ) -> Result<Framed<K::Writer>, ImapError> {
        let mut bytes = Vec::new();
        let mut body: Option<(K::Writer, u64)> = None;
        let abandon = |sink: &mut Option<&mut K>, body: Option<(K::Writer, u64)>| {
            if let (Some(sink), Some((writer, _))) = (sink.as_deref_mut(), body) {
                sink.abandon(writer);
            }
        };
        loop {
            let start = bytes.len();
            if let Err(err) = self.read_line(doing, deadline, &mut bytes) {
                abandon(&mut sink, body);
                return Err(err);
            }
            let Some((size, announce_at)) = literal_announcement(&bytes[start..]) else {
                self.log.server("", trim_crlf(&bytes[start..]));
                return Ok(Framed { bytes, body });
            };
            self.log.server("", trim_crlf(&bytes[start..]));
            let is_body =
                sink.is_some() && body.is_none() && is_body_literal(&bytes[..start + announce_at]);
            if is_body {
                let Some(sink) = sink.as_deref_mut() else {
                    return Err(internal("body sink"));
                };
                if size > limit {
                    return Err(ImapError::LiteralTooLarge {
                        doing: doing.into(),
                        size,
                        max: limit,
                    });
                }
                let mut writer = sink.begin(size).map_err(|source| ImapError::Local {
                    doing: "starting a message file".into(),
                    source,
                })?;
                let extra = PER_MIB * u32::try_from(size >> 20).unwrap_or(u32::MAX);
                match self.copy_literal(doing, deadline + extra, size, &mut writer) {
                    Ok(()) => {}
                    Err(err) => {
                        sink.abandon(writer);
                        return Err(err);
                    }
                }
                self.log
                    .server("", format!("({size} bytes of message)").as_bytes());
                bytes.truncate(start + announce_at);
                bytes.extend_from_slice(b"{0}\r\n");
                body = Some((writer, size));
            } else {
                let room = MAX_RESPONSE.saturating_sub(bytes.len());
                if size > room as u64 {
                    abandon(&mut sink, body);
                    return Err(ImapError::LiteralTooLarge {
                        doing: doing.into(),
                        size,
                        max: MAX_RESPONSE as u64,
                    });
                }
                let before = bytes.len();
                if let Err(err) = self.copy_literal(doing, deadline, size, &mut bytes) {
                    abandon(&mut sink, body);
                    return Err(err);
                }
                self.log
                    .server("", format!("({} bytes)", bytes.len() - before).as_bytes());
            }
        }
    }

    /// Reads one line (through CRLF) onto `out`, within the line cap and the deadline.
    fn read_line(
        &mut self,
        doing: &str,
        deadline: Instant,
        out: &mut Vec<u8>,
    ) -> Result<(), ImapError> {
        let mut taken = 0usize;
        loop {
            let window = &self.rbuf[self.rpos..self.rend];
            if let Some(at) = memchr::memchr(b'\n', window) {
                out.extend_from_slice(&window[..=at]);
                self.rpos += at + 1;
                return Ok(());
            }
            taken += window.len();
            if taken > MAX_LINE || out.len() + window.len() > MAX_RESPONSE {
                return Err(ImapError::TooLong {
                    doing: doing.into(),
                    max: MAX_LINE.min(MAX_RESPONSE),
                });
            }
            out.extend_from_slice(window);
            self.rpos = self.rend;
            self.fill(doing, deadline)?;
        }
    }

    /// Copies exactly `size` literal bytes into `out`; the connection ending first is
    /// [`ImapError::Truncated`].
    fn copy_literal(
        &mut self,
        doing: &str,
        deadline: Instant,
        size: u64,
        out: &mut impl Write,
    ) -> Result<(), ImapError> {
        let mut left = size;
        while left > 0 {
            if self.rpos == self.rend {
                match self.fill(doing, deadline) {
                    Ok(()) => {}
                    Err(ImapError::Closed { .. } | ImapError::Network { .. }) => {
                        return Err(ImapError::Truncated {
                            doing: doing.into(),
                            got: size - left,
                            size,
                        });
                    }
                    Err(err) => return Err(err),
                }
            }
            let n = (self.rend - self.rpos).min(usize::try_from(left).unwrap_or(usize::MAX));
            out.write_all(&self.rbuf[self.rpos..self.rpos + n])
                .map_err(|source| ImapError::Local {
                    doing: "writing a message".into(),
                    source,
                })?;
            self.rpos += n;
            left -= n as u64;
        }
        Ok(())
    }

    /// Reads more bytes into the empty buffer, waiting at most until `deadline`.
    fn fill(&mut self, doing: &str, deadline: Instant) -> Result<(), ImapError> {
        self.rpos = 0;
        self.rend = 0;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(self.timeout_error(doing));
            }
            let left = (deadline - now).max(Duration::from_millis(1));
            self.stream
                .set_read_timeout(Some(left))
                .map_err(|source| ImapError::Network {
                    doing: doing.into(),
                    source,
                })?;
            match self.stream.read(&mut self.rbuf) {
                Ok(0) => {
                    return Err(ImapError::Closed {
                        doing: doing.into(),
                        bye: self.bye.clone(),
                    });
                }
                Ok(n) => {
                    self.rend = n;
                    return Ok(());
                }
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(source) => {
                    return Err(ImapError::Network {
                        doing: doing.into(),
                        source,
                    });
                }
            }
        }
    }

    /// Waits until bytes are available or `until`; false when nothing came.
    fn wait_readable(&mut self, doing: &str, until: Instant) -> Result<bool, ImapError> {
        if self.rpos < self.rend {
            return Ok(true);
        }
        match self.fill(doing, until) {
            Ok(()) => Ok(true),
            Err(ImapError::Timeout { .. }) => Ok(false),
            Err(err) => Err(err),
        }
    }

    fn timeout_error(&self, doing: &str) -> ImapError {
        ImapError::Timeout {
            doing: doing.into(),
            secs: self.timeout.as_secs(),
        }
    }

    fn write_raw(&mut self, bytes: &[u8], shown: &str, doing: &str) -> Result<(), ImapError> {
        self.log.client("", shown.as_bytes());
        self.stream
            .write_all(bytes)
            .map_err(|source| ImapError::Network {
                doing: doing.into(),
                source,
            })
    }

    fn write_literal(&mut self, bytes: &[u8], shown: &str, doing: &str) -> Result<(), ImapError> {
        self.write_raw(bytes, shown, doing)
    }

    fn flush(&mut self, doing: &str) -> Result<(), ImapError> {
        self.stream.flush().map_err(|source| ImapError::Network {
            doing: doing.into(),
            source,
        })
    }
}

/// The literal a line announces at its end: `{N}`, `{N+}` (LITERAL+) or `~{N}` (BINARY),
/// before the CRLF; with the offset where the announcement starts.
fn literal_announcement(line: &[u8]) -> Option<(u64, usize)> {
    let line = trim_crlf(line);
    let inner = line.strip_suffix(b"}")?;
    let open = memchr::memrchr(b'{', inner)?;
    let digits = inner[open + 1..]
        .strip_suffix(b"+")
        .unwrap_or(&inner[open + 1..]);
    if digits.is_empty() || digits.len() > 20 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let size = std::str::from_utf8(digits)
        .ok()?
        .parse::<u64>()
        .ok()
        .unwrap_or(u64::MAX);
    let start = if open > 0 && inner[open - 1] == b'~' {
        open - 1
    } else {
        open
    };
    Some((size, start))
}

/// Whether the text before a literal announcement ends in the message body item:
/// `BODY[]` (with an optional `<origin>`), `BINARY[]` or `RFC822`, in an untagged FETCH.
fn is_body_literal(before: &[u8]) -> bool {
    if !before.starts_with(b"* ") {
        return false;
    }
    let text = before.trim_ascii_end();
    let upper = text.to_ascii_uppercase();
    let item_end = match upper.iter().rposition(|&b| b == b'>') {
        Some(end) if end + 1 == upper.len() => match upper.iter().rposition(|&b| b == b'<') {
            Some(open) => open,
            None => return false,
        },
        _ => upper.len(),
    };
    let item = &upper[..item_end];
    item.ends_with(b" BODY[]")
        || item.ends_with(b"(BODY[]")
        || item.ends_with(b" BINARY[]")
        || item.ends_with(b"(BINARY[]")
        || item.ends_with(b" RFC822")
        || item.ends_with(b"(RFC822")
}

fn trim_crlf(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// UIDs as a compact set: runs of consecutive UIDs become `a:b`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut sorted: Vec<u32> = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

fn short_set(set: &str) -> String {
    if set.len() > 40 {
        format!("{}...", &set[..set[..40].rfind(',').unwrap_or(40)])
    } else {
        set.to_string()
    }
}

fn header_fields_item(fields: &[&str]) -> Result<MessageDataItemName<'static>, ImapError> {
    let names: Vec<AString<'static>> = fields
        .iter()
        .map(|f| AString::try_from(f.to_string()).map_err(|_| internal("header field")))
        .collect::<Result<_, _>>()?;
    let names = Vec1::try_from(names).map_err(|_| internal("header fields"))?;
    Ok(MessageDataItemName::BodyExt {
        section: Some(Section::HeaderFields(None, names)),
        partial: None,
        peek: true,
    })
}

/// A folder name as mailkit's users write it (Unicode), in the modified UTF-7 of the wire.
fn mailbox(name: &str) -> Result<Mailbox<'static>, ImapError> {
    Mailbox::try_from(super::mutf7::encode(name)).map_err(|_| bad_name(name))
}

/// A folder name from the server, decoded from modified UTF-7; a name that is not valid
/// modified UTF-7 is shown as sent.
fn mailbox_name(mailbox: &Mailbox<'_>) -> String {
    match mailbox {
        Mailbox::Inbox => "INBOX".into(),
        Mailbox::Other(other) => {
            let wire = other.inner().as_ref();
            super::mutf7::decode(wire).unwrap_or_else(|| String::from_utf8_lossy(wire).into_owned())
        }
    }
}

fn flag_value(flag: SystemFlag) -> Flag<'static> {
    match flag {
        SystemFlag::Deleted => Flag::Deleted,
        SystemFlag::Seen => Flag::Seen,
    }
}

fn flag_name(flag: &FlagFetch<'_>) -> String {
    match flag {
        FlagFetch::Flag(flag) => flag.to_string(),
        FlagFetch::Recent => "\\Recent".into(),
    }
}

fn code_name(code: &Code<'_>) -> String {
    let text = match code {
        Code::Other(other) => String::from_utf8_lossy(other.inner()).into_owned(),
        other => format!("{other:?}"),
    };
    let name: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    name.to_ascii_uppercase()
}

fn command_name(body: &CommandBody<'_>) -> String {
    let name = body.name();
    match body {
        CommandBody::Fetch { uid: true, .. }
        | CommandBody::Store { uid: true, .. }
        | CommandBody::Copy { uid: true, .. }
        | CommandBody::Move { uid: true, .. }
        | CommandBody::ExpungeUid { .. } => format!("UID {name}"),
        _ => name.to_string(),
    }
}

fn quoted_for_log(text: &str) -> String {
    format!("{text:?}")
}

fn malformed(doing: &str, bytes: &[u8]) -> ImapError {
    let shown = &bytes[..bytes.len().min(200)];
    ImapError::Malformed {
        doing: doing.into(),
        line: crate::output::escape_bytes(trim_crlf(shown)),
    }
}

fn bad_name(name: &str) -> ImapError {
    ImapError::BadName(name.to_string())
}

fn internal(what: &str) -> ImapError {
    ImapError::Missing {
        doing: format!("building {what}"),
        what: "mailkit could not encode the command".into(),
    }
}

#[cfg(test)]
impl Timed for crate::testing::Script {
    fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Script;

    const GREETING: &[u8] = b"* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n";

    fn session(server: &[u8]) -> Session<Script> {
        let mut all = GREETING.to_vec();
        all.extend_from_slice(server);
        Session::open(
            Script::new(&all),
            true,
            Transcript::off(),
            Duration::from_secs(5),
        )
        .unwrap()
    }

    /// Collects bodies in memory, as a Maildir would on disk.
    #[derive(Default)]
    struct Bodies {
        kept: Vec<(Fetched, Vec<u8>)>,
        abandoned: usize,
        begun: usize,
    }

    impl BodySink for Bodies {
        type Writer = Vec<u8>;
        fn begin(&mut self, _: u64) -> io::Result<Vec<u8>> {
            self.begun += 1;
            Ok(Vec::new())
        }
        fn finish(&mut self, fetched: Fetched, writer: Vec<u8>) -> io::Result<()> {
            self.kept.push((fetched, writer));
            Ok(())
        }
        fn abandon(&mut self, _: Vec<u8>) {
            self.abandoned += 1;
        }
    }

    fn selected(s: &mut Session<Script>) {
        s.selected = Some(Selected {
            name: "INBOX".into(),
            uid_validity: 7,
            uid_next: None,
            exists: 3,
            read_only: false,
        });
    }

    #[test]
    fn folder_names_are_unicode_here_and_modified_utf7_on_the_wire() {
        let mut s = session(
            b"* LIST (\\HasNoChildren) \"/\" Entw&APw-rfe\r\n* LIST () \"/\" \"&ZeVnLIqe-/Tom &- Jerry\"\r\nA0001 OK listed\r\n\
              * 2 EXISTS\r\n* OK [UIDVALIDITY 9] ok\r\nA0002 OK [READ-WRITE] selected\r\nA0003 OK moved\r\n",
        );
        let names: Vec<String> = s
            .list_folders()
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, ["Entwürfe", "日本語/Tom & Jerry"]);
        s.select("Entwürfe", false).unwrap();
        assert_eq!(s.selected().unwrap().name, "Entwürfe");
        s.move_uids(&[1], "日本語/Tom & Jerry").unwrap();
        let written = String::from_utf8(s.into_inner().written().to_vec()).unwrap();
        assert_eq!(
            written,
            "A0001 LIST \"\" *\r\nA0002 SELECT Entw&APw-rfe\r\nA0003 UID MOVE 1 \"&ZeVnLIqe-/Tom &- Jerry\"\r\n"
        );
    }

    #[test]
    fn greeting_capabilities_and_a_redacted_login() {
        let (log, lines) = Transcript::captured();
        let mut all = b"* OK [CAPABILITY IMAP4rev1 LITERAL+] hi\r\n".to_vec();
        all.extend_from_slice(b"A0001 OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS MOVE] in\r\n");
        let mut s = Session::open(Script::new(&all), true, log, Duration::from_secs(5)).unwrap();
        assert!(s.has("literal+"));
        s.login(Login::Auto, "bob", &Secret::new("hunter2"), false)
            .unwrap();
        assert!(s.has("UIDPLUS") && s.has("MOVE"));
        let written = String::from_utf8(s.into_inner().written().to_vec()).unwrap();
        assert_eq!(written, "A0001 LOGIN bob hunter2\r\n");
        let lines = lines.lock().unwrap().join("\n");
        assert!(
            lines.contains("C: A0001 LOGIN \"bob\" (redacted)"),
            "{lines}"
        );
        assert!(!lines.contains("hunter2"), "{lines}");
    }

    #[test]
    fn authenticate_plain_sends_one_redacted_response() {
        let (log, lines) = Transcript::captured();
        let mut all = GREETING.to_vec();
        all.extend_from_slice(b"+ \r\nA0001 OK [CAPABILITY IMAP4rev1 UIDPLUS] done\r\n");
        let mut s = Session::open(Script::new(&all), true, log, Duration::from_secs(5)).unwrap();
        s.login(Login::Auto, "bob", &Secret::new("pw"), false)
            .unwrap();
        let written = String::from_utf8(s.into_inner().written().to_vec()).unwrap();
        assert_eq!(written, "A0001 AUTHENTICATE PLAIN\r\nAGJvYgBwdw==\r\n");
        assert!(!lines.lock().unwrap().join("\n").contains("AGJvYgBwdw"));
    }

    #[test]
    fn logindisabled_is_respected_and_a_no_is_an_auth_refusal() {
        let all = b"* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] hi\r\n";
        let mut s = Session::open(
            Script::new(all),
            true,
            Transcript::off(),
            Duration::from_secs(5),
        )
        .unwrap();
        let err = s
            .login(Login::Login, "bob", &Secret::new("pw"), false)
            .unwrap_err();
        assert!(matches!(err, ImapError::NoMechanism(_)), "{err}");
        assert!(s.into_inner().written().is_empty());

        let mut s = session(b"+ \r\nA0001 NO [AUTHENTICATIONFAILED] bad\r\n");
        let err = s
            .login(
                Login::Sasl(sasl::Mechanism::Plain),
                "bob",
                &Secret::new("pw"),
                false,
            )
            .unwrap_err();
        assert_eq!(err.kind(), crate::exit::Kind::AuthRefused, "{err}");
    }

    #[test]
    fn no_password_over_cleartext() {
        let mut s = Session::open(
            Script::new(GREETING),
            false,
            Transcript::off(),
            Duration::from_secs(5),
        )
        .unwrap();
        let err = s
            .login(Login::Auto, "bob", &Secret::new("pw"), false)
            .unwrap_err();
        assert!(matches!(err, ImapError::CleartextRefused));
    }

    #[test]
    fn starttls_injection_is_refused() {
        let s = session(b"A0001 OK begin TLS\r\n* OK injected\r\n");
        let err = s.starttls(Ok).err().unwrap();
        assert!(matches!(err, ImapError::Injection(15)), "{err}");
    }

    #[test]
    fn starttls_asks_capabilities_again() {
        let mut script = Script::new(GREETING);
        script.send(b"A0001 OK begin TLS\r\n");
        script.send(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nA0002 OK done\r\n");
        let s = Session::open(script, false, Transcript::off(), Duration::from_secs(5)).unwrap();
        let s = s.starttls(Ok).unwrap();
        assert!(s.is_secure() && !s.has("STARTTLS"));
        assert!(s.into_inner().written().ends_with(b"A0002 CAPABILITY\r\n"));
    }

    #[test]
    fn select_reads_uidvalidity_and_refuses_a_folder_without() {
        let mut s = session(b"* 3 EXISTS\r\n* OK [UIDVALIDITY 42] v\r\n* OK [UIDNEXT 9] n\r\nA0001 OK [READ-WRITE] done\r\n");
        let sel = s.select("INBOX", false).unwrap().clone();
        assert_eq!(
            (sel.uid_validity, sel.uid_next, sel.exists),
            (42, Some(9), 3)
        );
        let mut s = session(b"* 3 EXISTS\r\nA0001 OK done\r\n");
        assert!(matches!(
            s.select("INBOX", false),
            Err(ImapError::Missing { .. })
        ));
    }

    #[test]
    fn bodies_stream_by_uid_despite_interleaved_expunge_and_fetch() {
        let mut s = session(
            b"* 1 FETCH (UID 10 BODY[HEADER.FIELDS (MESSAGE-ID)] {21}\r\nMessage-ID: <a@b>\r\n\r\n BODY[] {5}\r\nhello)\r\n\
* 2 EXPUNGE\r\n* 5 FETCH (FLAGS (\\Seen))\r\n* 3 EXISTS\r\n\
* 2 FETCH (BODY[] {3}\r\nbye UID 12)\r\n\
* 9 FETCH (UID 99 BODY[] {4}\r\nnope)\r\n\
A0001 OK done\r\n",
        );
        selected(&mut s);
        let mut sink = Bodies::default();
        let missing = s.fetch_bodies(&[10, 11, 12], 1 << 20, &mut sink).unwrap();
        assert_eq!(missing, vec![11]);
        assert_eq!(sink.kept.len(), 2);
        assert_eq!(sink.kept[0].0.uid, 10);
        assert_eq!(sink.kept[0].1, b"hello");
        assert_eq!(
            sink.kept[0].0.message_id_field.as_deref(),
            Some(&b"Message-ID: <a@b>\r\n\r\n"[..])
        );
        assert_eq!((sink.kept[1].0.uid, &sink.kept[1].1[..]), (12, &b"bye"[..]));
        assert_eq!(sink.abandoned, 1, "UID 99 was not asked for");
        let written = String::from_utf8(s.into_inner().written().to_vec()).unwrap();
        assert_eq!(
            written,
            "A0001 UID FETCH 10:12 (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)] BODY.PEEK[])\r\n"
        );
    }

    #[test]
    fn a_huge_announced_literal_is_refused_before_reading() {
        let mut s = session(b"* 1 FETCH (UID 10 BODY[] {1000000000000}\r\nxxxx");
        selected(&mut s);
        let mut sink = Bodies::default();
        let err = s.fetch_bodies(&[10], u64::MAX, &mut sink).unwrap_err();
        assert!(
            matches!(
                err,
                ImapError::LiteralTooLarge {
                    size: 1_000_000_000_000,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(sink.begun, 0);
        let mut s = session(b"* 1 FETCH (UID 10 BODY[] {100}\r\n");
        selected(&mut s);
        let err = s.fetch_bodies(&[10], 99, &mut sink).unwrap_err();
        assert!(
            matches!(err, ImapError::LiteralTooLarge { max: 99, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_literal_cut_mid_way_is_abandoned() {
        let mut s = session(b"* 1 FETCH (UID 10 BODY[] {100}\r\nonly this");
        selected(&mut s);
        let mut sink = Bodies::default();
        let err = s.fetch_bodies(&[10], 1 << 20, &mut sink).unwrap_err();
        assert!(
            matches!(
                err,
                ImapError::Truncated {
                    got: 9,
                    size: 100,
                    ..
                }
            ),
            "{err}"
        );
        assert!(sink.kept.is_empty());
        assert_eq!(sink.abandoned, 1);
    }

    #[test]
    fn a_drip_fed_response_is_read_whole() {
        let mut chunks: Vec<&[u8]> = vec![GREETING];
        let reply = b"* 1 FETCH (UID 10 BODY[] {5}\r\nhello)\r\nA0001 OK done\r\n";
        for i in 0..reply.len() {
            chunks.push(&reply[i..i + 1]);
        }
        let mut s = Session::open(
            Script::chunked(&chunks),
            true,
            Transcript::off(),
            Duration::from_secs(5),
        )
        .unwrap();
        selected(&mut s);
        let mut sink = Bodies::default();
        s.fetch_bodies(&[10], 1 << 20, &mut sink).unwrap();
        assert_eq!(sink.kept[0].1, b"hello");
    }

    #[test]
    fn bye_then_close_names_the_bye() {
        let mut s = session(b"* BYE shutting down\r\n");
        let err = s.noop().unwrap_err();
        assert!(
            matches!(&err, ImapError::Closed { bye: Some(t), .. } if t == "shutting down"),
            "{err}"
        );
        assert_eq!(err.kind(), crate::exit::Kind::Temporary);
    }

    #[test]
    fn store_and_uid_expunge_name_exactly_the_uids() {
        let mut s = session(b"A0001 OK stored\r\n* 2 EXPUNGE\r\nA0002 OK expunged\r\n");
        selected(&mut s);
        s.add_flags(&[4, 5, 6, 9], SystemFlag::Deleted).unwrap();
        s.expunge_uids(&[4, 5, 6, 9]).unwrap();
        let written = String::from_utf8(s.into_inner().written().to_vec()).unwrap();
        assert_eq!(
            written,
            "A0001 UID STORE 4:6,9 +FLAGS.SILENT (\\Deleted)\r\nA0002 UID EXPUNGE 4:6,9\r\n"
        );
    }

    #[test]
    fn idle_wakes_on_exists_and_ends_with_done() {
        let mut s = session(b"+ idling\r\n* 4 EXISTS\r\nA0001 OK idle done\r\n");
        selected(&mut s);
        let woken = s.idle(Duration::from_secs(5), &|| false).unwrap();
        assert_eq!(woken, Woken::NewMail);
        let written = String::from_utf8(s.into_inner().written().to_vec()).unwrap();
        assert_eq!(written, "A0001 IDLE\r\nDONE\r\n");
    }

    #[test]
    fn list_messages_keeps_uids_and_ignores_sequence_only_fetches() {
        let mut s = session(
            b"* 1 FETCH (UID 3 RFC822.SIZE 120 FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\")\r\n\
* 2 FETCH (FLAGS (\\Deleted))\r\n\
* 2 FETCH (UID 8 RFC822.SIZE 99 FLAGS () INTERNALDATE \"17-Jul-1996 02:44:25 -0700\")\r\nA0001 OK done\r\n",
        );
        selected(&mut s);
        let list = s.list_messages(false).unwrap();
        assert_eq!(
            list.iter().map(|m| (m.uid, m.size)).collect::<Vec<_>>(),
            [(3, 120), (8, 99)]
        );
        assert_eq!(list[0].flags, ["\\Seen"]);
        assert_eq!(
            list[0].internal_date.as_deref(),
            Some("1996-07-17T02:44:25-07:00")
        );
    }

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[5, 1, 2, 3, 9, 10]), "1:3,5,9:10");
        assert_eq!(uid_set(&[7]), "7");
    }

    #[test]
    fn literal_announcements_and_body_items() {
        assert_eq!(
            literal_announcement(b"* 1 FETCH (BODY[] {12}\r\n"),
            Some((12, 18))
        );
        assert_eq!(literal_announcement(b"a {3+}\r\n"), Some((3, 2)));
        assert_eq!(literal_announcement(b"* OK fine\r\n"), None);
        assert!(is_body_literal(b"* 1 FETCH (UID 4 BODY[] "));
        assert!(is_body_literal(b"* 1 FETCH (BODY[]<0> "));
        assert!(!is_body_literal(
            b"* 1 FETCH (BODY[HEADER.FIELDS (MESSAGE-ID)] "
        ));
        assert!(!is_body_literal(b"A1 OK BODY[] "));
    }
}
