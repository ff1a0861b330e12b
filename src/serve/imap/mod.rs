//! The IMAP listener's session (RFC 3501 IMAP4rev1 with STARTTLS, AUTH=PLAIN, SASL-IR,
//! LITERAL+, IDLE (RFC 2177), UIDPLUS (RFC 4315), MOVE (RFC 6851) and UNSELECT (RFC 3691)) over
//! the store's Maildirs: a user logs in as the mailbox address, INBOX is that mailbox and other
//! folders are Maildir++ `.Name` directories inside it. imap-codec parses every command and
//! encodes every response; this module holds no IMAP grammar of its own. `items` turns
//! messages into FETCH and SEARCH answers.

use std::{fs, io, path::PathBuf, time::Duration};

use imap_codec::{
    AuthenticateDataCodec, CommandCodec, GreetingCodec, IdleDoneCodec, ResponseCodec,
    encode::Encoder,
    fragmentizer::{FragmentInfo, Fragmentizer, LiteralAnnouncement},
    imap_types::{
        IntoStatic,
        auth::{AuthMechanism, AuthenticateData},
        command::{Command, CommandBody},
        core::{LiteralMode, QuotedChar, Tag, Text, Vec1},
        fetch::{Macro, MacroOrMessageDataItemNames, MessageDataItem, MessageDataItemName},
        flag::{Flag, FlagPerm, StoreResponse, StoreType},
        mailbox::{ListMailbox, Mailbox},
        response::{Capability, Code, Data, Greeting, GreetingKind, Response, Status},
        search::SearchKey,
        sequence::SequenceSet,
        status::{StatusDataItem, StatusDataItemName},
    },
};

mod items;

use items::{
    Lazy, Tree, envelope, flags_of, in_set, internal_date, literal, maildir_flag, matches, nz,
    split, uid_set, wildcard,
};

use super::{Shared, auth::split_plain, store::Entry, tls::Upgrade};

/// Largest command accepted, literals included (no APPEND, so commands stay small).
const MAX_COMMAND: u32 = 1 << 20;
/// How often an idling session looks at its mailbox.
const IDLE_POLL: Duration = Duration::from_millis(500);

/// A logged-in user.
struct Login {
    root: PathBuf,
}

/// The selected folder and the messages the client knows, by sequence number.
struct Selected {
    dir: PathBuf,
    read_only: bool,
    entries: Vec<Entry>,
}

enum Next {
    Continue,
    Close,
}

struct Session<'a, S: Upgrade> {
    stream: Option<S>,
    frag: Fragmentizer,
    out: Vec<u8>,
    shared: &'a Shared,
    login: Option<Login>,
    selected: Option<Selected>,
}

/// Serves one IMAP connection to its end.
pub fn serve<S: Upgrade>(stream: S, shared: &Shared) -> io::Result<()> {
    let mut session = Session {
        stream: Some(stream),
        frag: Fragmentizer::new(MAX_COMMAND),
        out: Vec::new(),
        shared,
        login: None,
        selected: None,
    };
    session.run()
}

/// A response text: imap-codec refuses empty text and line breaks, so they never get here.
fn text(s: &str) -> Text<'static> {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Text::try_from(if clean.trim().is_empty() {
        "done".to_string()
    } else {
        clean
    })
    .unwrap_or_else(|_| Text::try_from("done").expect("valid text"))
}

impl<S: Upgrade> Session<'_, S> {
    fn stream(&mut self) -> &mut S {
        self.stream
            .as_mut()
            .expect("the stream is only absent during an upgrade")
    }

    fn run(&mut self) -> io::Result<()> {
        let greeting = Greeting {
            kind: GreetingKind::Ok,
            code: Some(Code::Capability(self.capabilities())),
            text: text(&format!("{} mailkit IMAP ready", self.shared.hostname)),
        };
        self.out
            .extend(GreetingCodec::default().encode(&greeting).dump());
        loop {
            if !self.next_message()? {
                return Ok(());
            }
            let decoded = match self.frag.decode_message(&CommandCodec::default()) {
                Ok(command) => Ok(command.into_static()),
                Err(_) => Err(self.frag.decode_tag().map(IntoStatic::into_static)),
            };
            let next = match decoded {
                Ok(command) => self.command(command)?,
                Err(tag) => {
                    self.status(Status::bad(tag, None, text("command not understood")));
                    Next::Continue
                }
            };
            if let Next::Close = next {
                return self.flush();
            }
        }
    }

    /// Reads until a whole message (a command, or a line of an AUTHENTICATE or IDLE exchange)
    /// is in the fragmentizer, answering synchronizing literals; false when the client left.
    fn next_message(&mut self) -> io::Result<bool> {
        loop {
            match self.frag.progress() {
                None => {
                    self.flush()?;
                    let mut buf = [0u8; 16 * 1024];
                    let n = self.stream().read(&mut buf)?;
                    if n == 0 {
                        return Ok(false);
                    }
                    self.frag.enqueue_bytes(&buf[..n]);
                }
                Some(FragmentInfo::Line {
                    announcement:
                        Some(LiteralAnnouncement {
                            mode: LiteralMode::Sync,
                            length,
                        }),
                    ..
                }) => {
                    if length > MAX_COMMAND {
                        let tag = self.frag.decode_tag().map(IntoStatic::into_static);
                        self.frag.skip_message();
                        self.status(Status::bad(tag, None, text("literal too large")));
                    } else {
                        self.out.extend_from_slice(b"+ go ahead\r\n");
                    }
                }
                Some(_) if self.frag.is_message_complete() => return Ok(true),
                Some(_) => {}
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            let out = std::mem::take(&mut self.out);
            let stream = self.stream();
            stream.write_all(&out)?;
            stream.flush()?;
        }
        Ok(())
    }

    fn respond(&mut self, response: &Response<'_>) {
        self.out
            .extend(ResponseCodec::default().encode(response).dump());
    }

    fn status<E>(&mut self, status: Result<Status<'_>, E>) {
        if let Ok(status) = status {
            self.respond(&Response::Status(status));
        }
    }

    fn data(&mut self, data: Data<'_>) {
        self.respond(&Response::Data(data));
    }

    fn ok(&mut self, tag: &Tag<'_>, code: Option<Code<'_>>, message: &str) {
        self.status(Status::ok(Some(tag.clone()), code, text(message)));
    }

    fn no(&mut self, tag: &Tag<'_>, message: &str) {
        self.status(Status::no(Some(tag.clone()), None, text(message)));
    }

    fn bad(&mut self, tag: &Tag<'_>, message: &str) {
        self.status(Status::bad(Some(tag.clone()), None, text(message)));
    }

    fn capabilities(&self) -> Vec1<Capability<'static>> {
        let mut caps = vec![Capability::Imap4Rev1];
        if self.login.is_none() {
            if self.shared.tls.is_some() && !self.stream.as_ref().is_some_and(|s| s.is_tls()) {
                caps.push(Capability::StartTls);
            }
            caps.push(Capability::Auth(AuthMechanism::Plain));
            caps.push(Capability::SaslIr);
        }
        caps.extend([
            Capability::LiteralPlus,
            Capability::Idle,
            Capability::UidPlus,
            Capability::Move,
            Capability::Unselect,
        ]);
        Vec1::try_from(caps).expect("not empty")
    }

    fn command(&mut self, command: Command<'static>) -> io::Result<Next> {
        let Command { tag, body } = command;
        let needs_login = !matches!(
            body,
            CommandBody::Capability
                | CommandBody::Noop
                | CommandBody::Logout
                | CommandBody::StartTLS
                | CommandBody::Authenticate { .. }
                | CommandBody::Login { .. }
        );
        if needs_login && self.login.is_none() {
            self.bad(&tag, "log in first");
            return Ok(Next::Continue);
        }
        let needs_selected = matches!(
            body,
            CommandBody::Check
                | CommandBody::Close
                | CommandBody::Unselect
                | CommandBody::Expunge
                | CommandBody::ExpungeUid { .. }
                | CommandBody::Search { .. }
                | CommandBody::Fetch { .. }
                | CommandBody::Store { .. }
                | CommandBody::Copy { .. }
                | CommandBody::Move { .. }
        );
        if needs_selected && self.selected.is_none() {
            self.bad(&tag, "select a mailbox first");
            return Ok(Next::Continue);
        }
        match body {
            CommandBody::Capability => {
                let caps = self.capabilities();
                self.data(Data::Capability(caps));
                self.ok(&tag, None, "CAPABILITY completed");
            }
            CommandBody::Noop | CommandBody::Check => {
                self.refresh()?;
                self.ok(&tag, None, "completed");
            }
            CommandBody::Logout => {
                self.status(Status::bye(None, text("logging out")));
                self.ok(&tag, None, "LOGOUT completed");
                return Ok(Next::Close);
            }
            CommandBody::StartTLS => return self.starttls(&tag),
            CommandBody::Login { username, password } => {
                let user = String::from_utf8_lossy(username.as_ref()).into_owned();
                let password = String::from_utf8_lossy(password.declassify().as_ref()).into_owned();
                self.login(&tag, &user, &password);
            }
            CommandBody::Authenticate {
                mechanism,
                initial_response,
            } => {
                if mechanism != AuthMechanism::Plain {
                    self.no(&tag, "only AUTHENTICATE PLAIN is supported");
                    return Ok(Next::Continue);
                }
                let response = match initial_response {
                    Some(bytes) => bytes.declassify().to_vec(),
                    None => {
                        self.out.extend_from_slice(b"+ \r\n");
                        if !self.next_message()? {
                            return Ok(Next::Close);
                        }
                        match self.frag.decode_message(&AuthenticateDataCodec::default()) {
                            Ok(AuthenticateData::Continue(bytes)) => bytes.declassify().to_vec(),
                            Ok(AuthenticateData::Cancel) => {
                                self.bad(&tag, "authentication cancelled");
                                return Ok(Next::Continue);
                            }
                            Err(_) => {
                                self.bad(&tag, "cannot decode the PLAIN response");
                                return Ok(Next::Continue);
                            }
                        }
                    }
                };
                match split_plain(&response) {
                    Some((user, password)) => self.login(&tag, &user, &password),
                    None => self.bad(&tag, "cannot decode the PLAIN response"),
                }
            }
            CommandBody::Select { mailbox, .. } => self.select(&tag, &mailbox, false)?,
            CommandBody::Examine { mailbox, .. } => self.select(&tag, &mailbox, true)?,
            CommandBody::Unselect => {
                self.selected = None;
                self.ok(&tag, None, "UNSELECT completed");
            }
            CommandBody::Close => {
                if self.selected.as_ref().is_some_and(|s| !s.read_only) {
                    self.expunge(None, false)?;
                }
                self.selected = None;
                self.ok(&tag, None, "CLOSE completed");
            }
            CommandBody::Create { mailbox } => match self.folder(&mailbox) {
                Some((name, _)) if name == "INBOX" => self.no(&tag, "INBOX exists"),
                Some((_, dir)) => match self.shared.store.create_folder(&dir) {
                    Ok(()) => self.ok(&tag, None, "CREATE completed"),
                    Err(err) => self.no(&tag, &format!("cannot create: {err}")),
                },
                None => self.no(&tag, "invalid mailbox name"),
            },
            CommandBody::Delete { mailbox } => match self.folder(&mailbox) {
                Some((name, dir)) if name != "INBOX" && dir.is_dir() => {
                    match fs::remove_dir_all(&dir) {
                        Ok(()) => self.ok(&tag, None, "DELETE completed"),
                        Err(err) => self.no(&tag, &format!("cannot delete: {err}")),
                    }
                }
                _ => self.no(&tag, "no such mailbox (INBOX cannot be deleted)"),
            },
            CommandBody::Subscribe { .. } | CommandBody::Unsubscribe { .. } => {
                self.ok(&tag, None, "completed");
            }
            CommandBody::List {
                mailbox_wildcard, ..
            } => self.list(&tag, &mailbox_wildcard, false)?,
            CommandBody::Lsub {
                mailbox_wildcard, ..
            } => self.list(&tag, &mailbox_wildcard, true)?,
            CommandBody::Status {
                mailbox,
                item_names,
            } => self.status_cmd(&tag, &mailbox, &item_names)?,
            CommandBody::Expunge => {
                self.expunge(None, true)?;
                self.ok(&tag, None, "EXPUNGE completed");
            }
            CommandBody::ExpungeUid { sequence_set } => {
                self.expunge(Some(&sequence_set), true)?;
                self.ok(&tag, None, "UID EXPUNGE completed");
            }
            CommandBody::Search { criteria, uid, .. } => self.search(&tag, criteria.as_ref(), uid),
            CommandBody::Fetch {
                sequence_set,
                macro_or_item_names,
                uid,
                ..
            } => {
                self.fetch(&tag, &sequence_set, macro_or_item_names, uid)?;
            }
            CommandBody::Store {
                sequence_set,
                kind,
                response,
                flags,
                uid,
                ..
            } => {
                self.store(&tag, &sequence_set, kind, response, &flags, uid)?;
            }
            CommandBody::Copy {
                sequence_set,
                mailbox,
                uid,
            } => {
                self.copy(&tag, &sequence_set, &mailbox, uid, false)?;
            }
            CommandBody::Move {
                sequence_set,
                mailbox,
                uid,
            } => {
                self.copy(&tag, &sequence_set, &mailbox, uid, true)?;
            }
            CommandBody::Idle => return self.idle(&tag),
            _ => self.bad(&tag, "command not supported by mailkit serve"),
        }
        Ok(Next::Continue)
    }

    fn starttls(&mut self, tag: &Tag<'_>) -> io::Result<Next> {
        let Some(tls) = self.shared.tls.clone() else {
            self.bad(tag, "STARTTLS not offered");
            return Ok(Next::Continue);
        };
        if self.login.is_some() || self.stream.as_ref().is_some_and(|s| s.is_tls()) {
            self.bad(tag, "STARTTLS only before login and once");
            return Ok(Next::Continue);
        }
        self.ok(tag, None, "begin TLS negotiation now");
        self.flush()?;
        // Anything the client sent after STARTTLS would be cleartext injected into the TLS
        // session (CVE-2011-0411): drop the connection instead.
        if self.frag.progress().is_some() || !self.frag.message_bytes().is_empty() {
            return Ok(Next::Close);
        }
        let stream = self.stream.take().expect("stream present");
        self.stream = Some(stream.upgrade(&tls)?);
        Ok(Next::Continue)
    }

    fn login(&mut self, tag: &Tag<'_>, user: &str, password: &str) {
        if self.login.is_some() {
            self.bad(tag, "already logged in");
            return;
        }
        if !self.shared.logins.check(user, password) {
            self.status(Status::no(
                Some(tag.clone()),
                Some(Code::Other(
                    imap_codec::imap_types::response::CodeOther::unvalidated(
                        &b"AUTHENTICATIONFAILED"[..],
                    ),
                )),
                text("invalid user or password"),
            ));
            return;
        }
        match self.shared.store.mailbox_dir(user) {
            Ok(root) => {
                self.login = Some(Login { root });
                let caps = self.capabilities();
                self.ok(tag, Some(Code::Capability(caps)), "logged in");
            }
            Err(_) => self.no(
                tag,
                "the user must be a mailbox address, such as bob@example.test",
            ),
        }
    }

    /// A folder's name and directory for the logged-in user.
    fn folder(&self, mailbox: &Mailbox<'_>) -> Option<(String, PathBuf)> {
        let name = match mailbox {
            Mailbox::Inbox => "INBOX".to_string(),
            Mailbox::Other(other) => String::from_utf8_lossy(other.as_ref()).into_owned(),
        };
        let root = &self.login.as_ref()?.root;
        let dir = self.shared.store.folder_dir(root, &name)?;
        Some((name, dir))
    }

    fn select(&mut self, tag: &Tag<'_>, mailbox: &Mailbox<'_>, read_only: bool) -> io::Result<()> {
        self.selected = None;
        let Some((name, dir)) = self.folder(mailbox) else {
            self.no(tag, "invalid mailbox name");
            return Ok(());
        };
        if name != "INBOX" && !dir.is_dir() {
            self.no(tag, "no such mailbox");
            return Ok(());
        }
        let store = &self.shared.store;
        if self.shared.faults.bump_uidvalidity() {
            store.bump_uid_validity(&dir)?;
        }
        let entries = store.list(&dir)?;
        let validity = store.uid_validity(&dir)?;
        let uid_next = store.uid_next(&dir)?;
        let flags = vec![
            Flag::Answered,
            Flag::Flagged,
            Flag::Deleted,
            Flag::Seen,
            Flag::Draft,
        ];
        self.data(Data::Flags(flags.clone()));
        self.data(Data::Exists(entries.len() as u32));
        self.data(Data::Recent(0));
        if let Some(first) = entries.iter().position(|e| !e.flags.contains('S')) {
            self.status(Status::ok(
                None,
                Some(Code::Unseen(nz(first as u32 + 1))),
                text("first unseen"),
            ));
        }
        self.status(Status::ok(
            None,
            Some(Code::UidValidity(nz(validity))),
            text("UIDs valid"),
        ));
        self.status(Status::ok(
            None,
            Some(Code::UidNext(nz(uid_next))),
            text("predicted next UID"),
        ));
        let perm = if read_only {
            vec![]
        } else {
            flags.into_iter().map(FlagPerm::Flag).collect()
        };
        self.status(Status::ok(
            None,
            Some(Code::PermanentFlags(perm)),
            text("flags permitted"),
        ));
        self.selected = Some(Selected {
            dir,
            read_only,
            entries,
        });
        let (code, done) = if read_only {
            (Code::ReadOnly, "EXAMINE completed")
        } else {
            (Code::ReadWrite, "SELECT completed")
        };
        self.ok(tag, Some(code), done);
        Ok(())
    }

    fn list(&mut self, tag: &Tag<'_>, pattern: &ListMailbox<'_>, lsub: bool) -> io::Result<()> {
        let pattern = match pattern {
            ListMailbox::Token(token) => String::from_utf8_lossy(token.as_ref()).into_owned(),
            ListMailbox::String(string) => String::from_utf8_lossy(string.as_ref()).into_owned(),
        };
        let delimiter = QuotedChar::try_from('.').ok();
        if pattern.is_empty() {
            self.data(Data::List {
                items: vec![imap_codec::imap_types::flag::FlagNameAttribute::Noselect],
                delimiter,
                mailbox: Mailbox::try_from("").unwrap_or(Mailbox::Inbox),
            });
            self.ok(tag, None, "LIST completed");
            return Ok(());
        }
        let root = self
            .login
            .as_ref()
            .map(|l| l.root.clone())
            .unwrap_or_default();
        let mut names = vec!["INBOX".to_string()];
        names.extend(self.shared.store.folders(&root)?);
        for name in names.into_iter().filter(|n| wildcard(&pattern, n)) {
            let Ok(mailbox) = Mailbox::try_from(name) else {
                continue;
            };
            let data = if lsub {
                Data::Lsub {
                    items: vec![],
                    delimiter,
                    mailbox,
                }
            } else {
                Data::List {
                    items: vec![],
                    delimiter,
                    mailbox,
                }
            };
            self.data(data);
        }
        self.ok(
            tag,
            None,
            if lsub {
                "LSUB completed"
            } else {
                "LIST completed"
            },
        );
        Ok(())
    }

    fn status_cmd(
        &mut self,
        tag: &Tag<'_>,
        mailbox: &Mailbox<'_>,
        names: &[StatusDataItemName],
    ) -> io::Result<()> {
        let Some((name, dir)) = self.folder(mailbox) else {
            self.no(tag, "invalid mailbox name");
            return Ok(());
        };
        if name != "INBOX" && !dir.is_dir() {
            self.no(tag, "no such mailbox");
            return Ok(());
        }
        let store = &self.shared.store;
        let entries = store.list(&dir)?;
        let mut items = Vec::new();
        for item in names {
            items.push(match item {
                StatusDataItemName::Messages => StatusDataItem::Messages(entries.len() as u32),
                StatusDataItemName::Recent => StatusDataItem::Recent(0),
                StatusDataItemName::UidNext => StatusDataItem::UidNext(nz(store.uid_next(&dir)?)),
                StatusDataItemName::UidValidity => {
                    StatusDataItem::UidValidity(nz(store.uid_validity(&dir)?))
                }
                StatusDataItemName::Unseen => StatusDataItem::Unseen(
                    entries.iter().filter(|e| !e.flags.contains('S')).count() as u32,
                ),
                StatusDataItemName::Deleted => StatusDataItem::Deleted(
                    entries.iter().filter(|e| e.flags.contains('T')).count() as u32,
                ),
                StatusDataItemName::DeletedStorage => StatusDataItem::DeletedStorage(
                    entries
                        .iter()
                        .filter(|e| e.flags.contains('T'))
                        .map(|e| e.size)
                        .sum(),
                ),
            });
        }
        let Ok(mailbox) = Mailbox::try_from(name) else {
            self.no(tag, "invalid mailbox name");
            return Ok(());
        };
        self.data(Data::Status {
            mailbox,
            items: items.into(),
        });
        self.ok(tag, None, "STATUS completed");
        Ok(())
    }

    /// Tells the client what changed in the selected folder since it last looked: expunged
    /// messages (highest sequence number first, so numbers stay valid) and new ones.
    fn refresh(&mut self) -> io::Result<()> {
        let Some(selected) = &self.selected else {
            return Ok(());
        };
        let now = self.shared.store.list(&selected.dir)?;
        let old: Vec<u32> = selected.entries.iter().map(|e| e.uid).collect();
        let mut gone = Vec::new();
        for (index, uid) in old.iter().enumerate().rev() {
            if now.binary_search_by_key(uid, |e| e.uid).is_err() {
                gone.push(index as u32 + 1);
            }
        }
        let grew = now.len() + gone.len() > old.len();
        for seq in gone {
            self.data(Data::Expunge(nz(seq)));
        }
        if grew {
            self.data(Data::Exists(now.len() as u32));
        }
        if let Some(selected) = &mut self.selected {
            // Flags and files may have moved; keep what the client was told in step.
            selected.entries = now;
        }
        Ok(())
    }

    /// Indexes of the messages a sequence set names, by UID or by sequence number.
    fn resolve(&self, set: &SequenceSet, uid: bool) -> Vec<usize> {
        let Some(selected) = &self.selected else {
            return Vec::new();
        };
        let entries = &selected.entries;
        if uid {
            let largest = entries.last().map_or(0, |e| e.uid);
            (0..entries.len())
                .filter(|&i| in_set(set, entries[i].uid, largest))
                .collect()
        } else {
            let largest = entries.len() as u32;
            (0..entries.len())
                .filter(|&i| in_set(set, i as u32 + 1, largest))
                .collect()
        }
    }

    fn expunge(&mut self, only: Option<&SequenceSet>, announce: bool) -> io::Result<()> {
        let Some(selected) = &self.selected else {
            return Ok(());
        };
        if selected.read_only {
            return Ok(());
        }
        let chosen: Vec<usize> = match only {
            Some(set) => self.resolve(set, true),
            None => (0..selected.entries.len()).collect(),
        };
        let mut removed = Vec::new();
        for &index in chosen.iter().rev() {
            let entry = &selected.entries[index];
            if entry.flags.contains('T') {
                self.shared.store.remove(entry)?;
                removed.push(index);
            }
        }
        self.forget(&removed, announce);
        Ok(())
    }

    /// Drops messages from the session's view (indexes in descending order), telling the
    /// client with EXPUNGE responses when `announce`.
    fn forget(&mut self, descending: &[usize], announce: bool) {
        for &index in descending {
            if let Some(selected) = &mut self.selected {
                selected.entries.remove(index);
            }
            if announce {
                self.data(Data::Expunge(nz(index as u32 + 1)));
            }
        }
    }

    fn search(&mut self, tag: &Tag<'_>, criteria: &[SearchKey<'_>], uid: bool) {
        let Some(selected) = &self.selected else {
            return;
        };
        let mut found = Vec::new();
        let count = selected.entries.len() as u32;
        let largest_uid = selected.entries.last().map_or(0, |e| e.uid);
        for (index, entry) in selected.entries.iter().enumerate() {
            let mut message = Lazy { entry, raw: None };
            let seq = index as u32 + 1;
            let mut ok = true;
            for key in criteria {
                match matches(key, seq, count, largest_uid, &mut message) {
                    Some(true) => {}
                    Some(false) => {
                        ok = false;
                        break;
                    }
                    None => {
                        self.bad(tag, "search key not supported by mailkit serve");
                        return;
                    }
                }
            }
            if ok {
                found.push(nz(if uid { entry.uid } else { seq }));
            }
        }
        self.data(Data::Search(found));
        self.ok(tag, None, "SEARCH completed");
    }

    fn fetch(
        &mut self,
        tag: &Tag<'_>,
        set: &SequenceSet,
        items: MacroOrMessageDataItemNames<'_>,
        uid: bool,
    ) -> io::Result<()> {
        let mut names = match items {
            MacroOrMessageDataItemNames::Macro(m) => {
                let mut names = vec![
                    MessageDataItemName::Flags,
                    MessageDataItemName::InternalDate,
                    MessageDataItemName::Rfc822Size,
                ];
                if matches!(m, Macro::All | Macro::Full) {
                    names.push(MessageDataItemName::Envelope);
                }
                if matches!(m, Macro::Full) {
                    names.push(MessageDataItemName::Body);
                }
                names
            }
            MacroOrMessageDataItemNames::MessageDataItemNames(names) => names,
        };
        if uid && !names.contains(&MessageDataItemName::Uid) {
            names.insert(0, MessageDataItemName::Uid);
        }
        let read_only = self.selected.as_ref().is_none_or(|s| s.read_only);
        for index in self.resolve(set, uid) {
            let Some(selected) = &self.selected else {
                break;
            };
            let mut entry = selected.entries[index].clone();
            let raw = match fs::read(&entry.path) {
                Ok(raw) => raw,
                // Removed by another session meanwhile: the next NOOP reports it.
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => return Err(err),
            };
            let mut items = Vec::new();
            let mut seen = false;
            let mut tree = None;
            for name in &names {
                match name {
                    MessageDataItemName::Uid => items.push(MessageDataItem::Uid(nz(entry.uid))),
                    MessageDataItemName::Flags => {
                        items.push(MessageDataItem::Flags(flags_of(&entry.flags)))
                    }
                    MessageDataItemName::Rfc822Size => {
                        items.push(MessageDataItem::Rfc822Size(entry.size as u32));
                    }
                    MessageDataItemName::InternalDate => {
                        if let Some(date) = internal_date(entry.received) {
                            items.push(MessageDataItem::InternalDate(date));
                        }
                    }
                    MessageDataItemName::Envelope => {
                        items.push(MessageDataItem::Envelope(envelope(&raw)))
                    }
                    MessageDataItemName::Rfc822 => {
                        seen = true;
                        items.push(MessageDataItem::Rfc822(literal(&raw)));
                    }
                    MessageDataItemName::Rfc822Header => {
                        items.push(MessageDataItem::Rfc822Header(literal(split(&raw).0)));
                    }
                    MessageDataItemName::Rfc822Text => {
                        seen = true;
                        items.push(MessageDataItem::Rfc822Text(literal(split(&raw).1)));
                    }
                    MessageDataItemName::BodyExt {
                        section,
                        partial,
                        peek,
                    } => {
                        seen |= !peek;
                        let tree = tree.get_or_insert_with(|| Tree::new(&raw));
                        let mut bytes = tree.section(section.as_ref());
                        let origin = partial.map(|(start, length)| {
                            let start = (start as usize).min(bytes.len());
                            let end = start.saturating_add(length.get() as usize).min(bytes.len());
                            bytes = bytes[start..end].to_vec();
                            start as u32
                        });
                        items.push(MessageDataItem::BodyExt {
                            section: section.clone(),
                            origin,
                            data: literal(&bytes),
                        });
                    }
                    MessageDataItemName::BodyStructure | MessageDataItemName::Body => {
                        let tree = tree.get_or_insert_with(|| Tree::new(&raw));
                        let Some(structure) = tree.structure() else {
                            self.no(tag, "cannot describe the structure of a message");
                            return Ok(());
                        };
                        items.push(match name {
                            MessageDataItemName::Body => MessageDataItem::Body(structure),
                            _ => MessageDataItem::BodyStructure(structure),
                        });
                    }
                    _ => {
                        self.bad(tag, "FETCH item not supported by mailkit serve (BINARY)");
                        return Ok(());
                    }
                }
            }
            if seen && !read_only && !entry.flags.contains('S') {
                let dir = self
                    .selected
                    .as_ref()
                    .map(|s| s.dir.clone())
                    .unwrap_or_default();
                entry = self
                    .shared
                    .store
                    .set_flags(&dir, &entry, &format!("{}S", entry.flags))?;
                if let Some(selected) = &mut self.selected {
                    selected.entries[index] = entry.clone();
                }
                if !names.contains(&MessageDataItemName::Flags) {
                    items.push(MessageDataItem::Flags(flags_of(&entry.flags)));
                }
            }
            if let Ok(items) = Vec1::try_from(items) {
                self.data(Data::Fetch {
                    seq: nz(index as u32 + 1),
                    items,
                });
            }
            if self.out.len() > 256 * 1024 {
                self.flush()?;
            }
        }
        self.ok(
            tag,
            None,
            if uid {
                "UID FETCH completed"
            } else {
                "FETCH completed"
            },
        );
        Ok(())
    }

    fn store(
        &mut self,
        tag: &Tag<'_>,
        set: &SequenceSet,
        kind: StoreType,
        response: StoreResponse,
        flags: &[Flag<'_>],
        uid: bool,
    ) -> io::Result<()> {
        if self.selected.as_ref().is_some_and(|s| s.read_only) {
            self.no(tag, "the mailbox is read-only (EXAMINE)");
            return Ok(());
        }
        let given: String = flags.iter().filter_map(maildir_flag).collect();
        for index in self.resolve(set, uid) {
            let Some(selected) = &self.selected else {
                break;
            };
            let entry = selected.entries[index].clone();
            let dir = selected.dir.clone();
            let new: String = match kind {
                StoreType::Replace => given.clone(),
                StoreType::Add => format!("{}{given}", entry.flags),
                StoreType::Remove => entry
                    .flags
                    .chars()
                    .filter(|c| !given.contains(*c))
                    .collect(),
            };
            let entry = match self.shared.store.set_flags(&dir, &entry, &new) {
                Ok(entry) => entry,
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => return Err(err),
            };
            if let Some(selected) = &mut self.selected {
                selected.entries[index] = entry.clone();
            }
            if response == StoreResponse::Answer {
                let mut items = vec![MessageDataItem::Flags(flags_of(&entry.flags))];
                if uid {
                    items.insert(0, MessageDataItem::Uid(nz(entry.uid)));
                }
                if let Ok(items) = Vec1::try_from(items) {
                    self.data(Data::Fetch {
                        seq: nz(index as u32 + 1),
                        items,
                    });
                }
            }
        }
        self.ok(
            tag,
            None,
            if uid {
                "UID STORE completed"
            } else {
                "STORE completed"
            },
        );
        Ok(())
    }

    fn copy(
        &mut self,
        tag: &Tag<'_>,
        set: &SequenceSet,
        mailbox: &Mailbox<'_>,
        uid: bool,
        remove: bool,
    ) -> io::Result<()> {
        let Some((_, dest)) = self.folder(mailbox) else {
            self.no(tag, "invalid mailbox name");
            return Ok(());
        };
        if !dest.join("cur").is_dir() && !dest.join("new").is_dir() {
            self.status(Status::no(
                Some(tag.clone()),
                Some(Code::TryCreate),
                text("no such mailbox"),
            ));
            return Ok(());
        }
        if remove && self.selected.as_ref().is_some_and(|s| s.read_only) {
            self.no(tag, "the mailbox is read-only (EXAMINE)");
            return Ok(());
        }
        let chosen = self.resolve(set, uid);
        let mut pairs = Vec::new();
        for &index in &chosen {
            let Some(selected) = &self.selected else {
                break;
            };
            let entry = selected.entries[index].clone();
            match self.shared.store.copy(&entry, &dest) {
                Ok(new) => pairs.push((entry.uid, new)),
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
        let code = match pairs.is_empty() {
            true => None,
            false => {
                let validity = self.shared.store.uid_validity(&dest)?;
                let source = uid_set(pairs.iter().map(|p| p.0));
                let destination = uid_set(pairs.iter().map(|p| p.1));
                source
                    .zip(destination)
                    .map(|(source, destination)| Code::CopyUid {
                        uid_validity: nz(validity),
                        source,
                        destination,
                    })
            }
        };
        if !remove {
            self.ok(
                tag,
                code,
                if uid {
                    "UID COPY completed"
                } else {
                    "COPY completed"
                },
            );
            return Ok(());
        }
        if let Some(code) = code {
            self.status(Status::ok(None, Some(code), text("moved")));
        }
        let mut removed = Vec::new();
        for &index in chosen.iter().rev() {
            if let Some(selected) = &self.selected {
                self.shared.store.remove(&selected.entries[index])?;
                removed.push(index);
            }
        }
        self.forget(&removed, true);
        self.ok(
            tag,
            None,
            if uid {
                "UID MOVE completed"
            } else {
                "MOVE completed"
            },
        );
        Ok(())
    }

    /// IDLE (RFC 2177): report changes as they happen until the client says DONE.
    fn idle(&mut self, tag: &Tag<'_>) -> io::Result<Next> {
        self.out.extend_from_slice(b"+ idling\r\n");
        self.flush()?;
        self.stream().set_read_timeout(Some(IDLE_POLL))?;
        let result = self.idle_loop();
        self.stream().set_read_timeout(None)?;
        match result? {
            true => {
                self.ok(tag, None, "IDLE terminated");
                Ok(Next::Continue)
            }
            false => Ok(Next::Close),
        }
    }

    /// Waits for DONE, refreshing the folder whenever the client is quiet; false when the
    /// client left.
    fn idle_loop(&mut self) -> io::Result<bool> {
        let started = std::time::Instant::now();
        loop {
            if let Some(FragmentInfo::Line { .. }) = self.frag.progress()
                && self.frag.is_message_complete()
            {
                return Ok(self.frag.decode_message(&IdleDoneCodec::default()).is_ok());
            }
            let mut buf = [0u8; 1024];
            match self.stream().read(&mut buf) {
                Ok(0) => return Ok(false),
                Ok(n) => self.frag.enqueue_bytes(&buf[..n]),
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if started.elapsed() > super::IDLE_TIMEOUT {
                        return Ok(false);
                    }
                    self.refresh()?;
                    self.flush()?;
                }
                Err(err) => return Err(err),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::testing::Script;

    fn run(shared: &Shared, client: &[u8]) -> String {
        let mut session = Session {
            stream: Some(Script::new(client)),
            frag: Fragmentizer::new(MAX_COMMAND),
            out: Vec::new(),
            shared,
            login: None,
            selected: None,
        };
        let _ = session.run();
        let _ = session.flush();
        String::from_utf8_lossy(session.stream.unwrap().written()).into_owned()
    }

    fn deliver(shared: &Shared, to: &str, text: &str) {
        let dir = shared.store.mailbox_dir(to).unwrap();
        let mut m = shared.store.begin().unwrap();
        m.write_all(text.as_bytes()).unwrap();
        shared.store.deliver(m, &[dir]).unwrap();
    }

    #[test]
    fn login_select_fetch_store_expunge() {
        let (shared, _dir) = Shared::for_tests();
        deliver(
            &shared,
            "bob@x.test",
            "From: Alice <alice@crepes.test>\r\nSubject: hi\r\n\r\nbody\r\n",
        );
        deliver(&shared, "bob@x.test", "Subject: two\r\n\r\nsecond\r\n");
        let out = run(
            &shared,
            b"a LOGIN bob@x.test any\r\nb SELECT INBOX\r\nc UID FETCH 1:* (FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\nd FETCH 1 (ENVELOPE)\r\ne UID STORE 2 +FLAGS (\\Deleted)\r\nf UID EXPUNGE 2\r\ng UID SEARCH ALL\r\nh LOGOUT\r\n",
        );
        for expected in [
            "a OK [CAPABILITY IMAP4REV1 ",
            "* 2 EXISTS\r\n",
            "* OK [UIDVALIDITY ",
            "* OK [UIDNEXT 3] ",
            "b OK [READ-WRITE] SELECT completed\r\n",
            "* 1 FETCH (UID 1 FLAGS () RFC822.SIZE 54 BODY[HEADER.FIELDS (SUBJECT)] {15}\r\nSubject: hi\r\n\r\n)\r\n",
            "* 1 FETCH (ENVELOPE (NIL \"hi\" ((\"Alice\" NIL \"alice\" \"crepes.test\"))",
            "* 2 FETCH (UID 2 FLAGS (\\Deleted))\r\n",
            "* 2 EXPUNGE\r\nf OK",
            "* SEARCH 1\r\ng OK",
            "* BYE",
        ] {
            assert!(out.contains(expected), "no {expected:?} in\n{out}");
        }
    }

    #[test]
    fn refused_login_and_commands_before_login() {
        let (mut shared, _dir) = Shared::for_tests();
        shared.logins =
            super::super::auth::Logins::Users([("bob@x.test".into(), "pw".into())].into());
        let out = run(&shared, b"a SELECT INBOX\r\nb LOGIN bob@x.test nope\r\nc AUTHENTICATE PLAIN AGJvYkB4LnRlc3QAcHc=\r\nd garbage\r\n");
        assert!(out.contains("a BAD log in first"), "{out}");
        assert!(out.contains("b NO [AUTHENTICATIONFAILED]"), "{out}");
        assert!(out.contains("c OK [CAPABILITY"), "{out}");
        assert!(out.contains("d BAD"), "{out}");
    }
}
