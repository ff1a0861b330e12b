//! What the IMAP side of `fetch`, `list` and `dele` shares: which protocol the flags and the
//! account mean, the connection to a logged-in IMAP session, the per-folder state files, and
//! the decision of how a message is removed from the server.

use std::{
    collections::HashMap,
    fs::{self, OpenOptions},
    io::{BufWriter, Write},
    os::unix::fs::OpenOptionsExt,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::Context;

use super::pop3_common::{PASSWORD_ENV, TOKEN_ENV};
use crate::{
    accounts::{self, Account, Protocol, SecretSource, TlsMode},
    cli::{GlobalArgs, pop3::ConnectionArgs},
    exit::{Failure, Kind},
    imap::{
        ImapMechanism, Session,
        access::Removal,
        connect::{self, ConnectOptions},
    },
    maildrop,
    net::Stream,
    output::{self, Transcript},
    pop3::Mechanism,
};

/// The protocol the flags and account mean: `--protocol`, else the account's `protocol`,
/// else the port (143/993 IMAP, anything else POP3).
pub fn protocol(args: &ConnectionArgs) -> anyhow::Result<Protocol> {
    if let Some(protocol) = args.protocol {
        return Ok(protocol);
    }
    let account = match &args.account {
        Some(name) => accounts::load_named(name).context("reading the account")?,
        None => Account::default(),
    };
    if let Some(protocol) = account.protocol {
        return Ok(protocol);
    }
    let port = match &args.server {
        Some(server) => crate::net::split_server(server)?.1,
        None => None,
    };
    Ok(Protocol::of_port(port.or(account.port)))
}

/// A resolved IMAP connection: where, how, and as whom.
pub struct ImapConnection {
    /// The options for [`connect::open`].
    pub options: ConnectOptions,
    /// Where the password or token comes from.
    pub secret: SecretSource,
    /// Names this mailbox for the state files: `[account+]user@host:port`.
    pub key: String,
}

impl ImapConnection {
    /// Resolves flags over the account over defaults (993 with TLS, 143 with STARTTLS).
    pub fn resolve(args: &ConnectionArgs, global: &GlobalArgs) -> anyhow::Result<ImapConnection> {
        let account = match &args.account {
            Some(name) => accounts::load_named(name).context("reading the account")?,
            None => Account::default(),
        };
        let (flag_host, flag_port) = match &args.server {
            Some(server) => {
                let (host, port) = crate::net::split_server(server)?;
                (Some(host), port)
            }
            None => (None, None),
        };
        let Some(host) = flag_host.or(account.host.clone()) else {
            crate::bail!(
                Kind::Usage,
                "no server: give --server HOST[:PORT] or --account"
            );
        };
        let port = flag_port.or(account.port);
        let tls = match args.tls.or(account.tls) {
            Some(TlsMode::Opportunistic) => crate::bail!(
                Kind::Config,
                "IMAP never falls back to cleartext: use --tls tls, starttls or none"
            ),
            Some(mode) => mode,
            None if port == Some(143) => TlsMode::Starttls,
            None => TlsMode::Tls,
        };
        let port = port.unwrap_or(if tls == TlsMode::Tls { 993 } else { 143 });
        let Some(user) = args.user.clone().or(account.user.clone()) else {
            crate::bail!(Kind::Usage, "no user: give --user or --account");
        };
        let mechanism = match (args.auth, account.auth.as_deref()) {
            (Some(Mechanism::Auto), _) | (None, None) => ImapMechanism::Auto,
            (Some(Mechanism::User), _) => ImapMechanism::Login,
            (Some(Mechanism::Plain), _) => ImapMechanism::Plain,
            (Some(Mechanism::Xoauth2), _) => ImapMechanism::Xoauth2,
            (Some(Mechanism::Apop), _) => {
                crate::bail!(
                    Kind::Usage,
                    "--auth apop is POP3 only; IMAP has login, plain, xoauth2"
                )
            }
            (None, Some(name)) => parse_mechanism(name)?,
        };
        let token = matches!(
            mechanism,
            ImapMechanism::Xoauth2 | ImapMechanism::Oauthbearer
        );
        let secret = if token {
            match (&args.oauth_token_command, account.oauth_token_source()) {
                (Some(command), _) => SecretSource::Command(command.clone()),
                (None, Some(source)) => source,
                (None, None) => SecretSource::Env(TOKEN_ENV.to_string()),
            }
        } else if let Some(source) = args.password.source() {
            source
        } else if std::env::var_os(PASSWORD_ENV).is_some() {
            SecretSource::Env(PASSWORD_ENV.to_string())
        } else {
            account.password_source()?.unwrap_or(SecretSource::Prompt)
        };
        let key = match &args.account {
            Some(name) => format!("{name}+{user}@{host}:{port}"),
            None => format!("{user}@{host}:{port}"),
        };
        Ok(ImapConnection {
            options: ConnectOptions {
                host,
                port,
                tls,
                tls_options: args.trust.tls_options(Some(&account)),
                timeout: Duration::from_secs(args.timeout.max(1)),
                user,
                mechanism,
                allow_cleartext: args.trust.allow_cleartext_auth,
                transcript: Transcript::stderr(global.verbose),
            },
            secret,
            key,
        })
    }

    /// Connects and logs in; the secret is obtained only once the connection is protected.
    pub fn open(&self) -> anyhow::Result<Session<Stream>> {
        let o = &self.options;
        let what = format!("password for {}@{}", o.user, o.host);
        connect::open(o, || accounts::fetch_secret(&self.secret, &what))
            .with_context(|| format!("logging in to {}:{} as {}", o.host, o.port, o.user))
    }
}

fn parse_mechanism(name: &str) -> anyhow::Result<ImapMechanism> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "auto" => ImapMechanism::Auto,
        "login" | "user" => ImapMechanism::Login,
        "plain" => ImapMechanism::Plain,
        "xoauth2" => ImapMechanism::Xoauth2,
        "oauthbearer" => ImapMechanism::Oauthbearer,
        other => crate::bail!(
            Kind::Config,
            "account auth {other:?} is not an IMAP mechanism (auto, login, plain, xoauth2, oauthbearer)"
        ),
    })
}

/// The state file of one folder: `$XDG_STATE_HOME/mailkit/imap/<key>/<folder>` (or
/// `--state-file`, with the folder appended when several are fetched).
pub fn state_path(
    explicit: Option<&Path>,
    key: &str,
    folder: &str,
    several: bool,
) -> anyhow::Result<PathBuf> {
    let safe_folder: String = folder
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match explicit {
        Some(path) if several => {
            let mut name = path.as_os_str().to_owned();
            name.push(format!(".{safe_folder}"));
            Ok(PathBuf::from(name))
        }
        Some(path) => Ok(path.to_path_buf()),
        None => {
            // The POP3 state's naming of the mailbox, under imap/ instead of uidl/.
            let pop3 = maildrop::state::default_path(key).ok_or_else(|| {
                Failure::new(
                    Kind::Config,
                    "no state directory: set $XDG_STATE_HOME or $HOME, or --state-file",
                )
            })?;
            let mailbox = pop3.file_name().unwrap_or_default().to_owned();
            let base = pop3
                .parent()
                .and_then(Path::parent)
                .unwrap_or(Path::new("."));
            Ok(base.join("imap").join(mailbox).join(safe_folder))
        }
    }
}

/// The Message-IDs of fetched messages (`identity size message-id` lines) beside the state
/// file, for matching after a UIDVALIDITY change. A lost line only means that message could
/// be fetched again after a renumbering, never that one is skipped.
pub fn load_ids(state: &Path) -> HashMap<String, (u64, String)> {
    let Ok(text) = fs::read_to_string(ids_path(state)) else {
        return HashMap::new();
    };
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ' ');
            let id = parts.next()?.to_string();
            let size = parts.next()?.parse().ok()?;
            Some((id, (size, parts.next()?.to_string())))
        })
        .collect()
}

/// Replaces the Message-ID file atomically, keeping only identities the state still has.
pub fn save_ids(
    state_file: &Path,
    ids: &HashMap<String, (u64, String)>,
    keep: impl Fn(&str) -> bool,
) -> anyhow::Result<()> {
    let path = ids_path(state_file);
    let tmp = PathBuf::from(format!("{}.tmp{}", path.display(), std::process::id()));
    let write = || -> std::io::Result<()> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        let mut out = BufWriter::new(file);
        let mut sorted: Vec<_> = ids.iter().filter(|(id, _)| keep(id)).collect();
        sorted.sort();
        for (id, (size, message_id)) in sorted {
            if !message_id.contains(['\n', '\r']) {
                writeln!(out, "{id} {size} {message_id}")?;
            }
        }
        out.into_inner()
            .map_err(std::io::IntoInnerError::into_error)?
            .sync_all()?;
        fs::rename(&tmp, &path)
    };
    write()
        .map_err(|err| Failure::new(Kind::LocalIo, format!("{}: {err}", path.display())))
        .context("recording Message-IDs")?;
    Ok(())
}

fn ids_path(state: &Path) -> PathBuf {
    PathBuf::from(format!("{}.ids", state.display()))
}

/// How fetched or chosen messages leave the folder: UID EXPUNGE with UIDPLUS; without it a
/// move to the Trash folder (with MOVE), or a plain EXPUNGE only when allowed by name, else a
/// clear refusal before anything is done.
pub fn removal(
    session: &mut Session<Stream>,
    move_to: Option<&str>,
    allow_plain: bool,
) -> anyhow::Result<Removal> {
    if let Some(folder) = move_to {
        if !session.has("MOVE") && !session.has("UIDPLUS") && !allow_plain {
            crate::bail!(
                Kind::Config,
                "the server has neither MOVE nor UIDPLUS, so --move-to would need a plain EXPUNGE that also removes messages other clients marked \\Deleted; add --allow-plain-expunge to accept that"
            );
        }
        return Ok(Removal::MoveTo(folder.to_string()));
    }
    if session.has("UIDPLUS") {
        return Ok(Removal::Expunge);
    }
    if allow_plain {
        return Ok(Removal::PlainExpunge);
    }
    if session.has("MOVE") {
        let folders = session
            .list_folders()
            .map_err(Failure::from)
            .context("looking for the Trash folder")?;
        if let Some(trash) = folders.iter().find(|f| {
            f.attributes
                .iter()
                .any(|a| a.eq_ignore_ascii_case("\\Trash"))
        }) {
            output::warning(&format!(
                "the server lacks UIDPLUS: deleted messages are moved to {} instead of expunged",
                trash.name
            ));
            return Ok(Removal::MoveTo(trash.name.clone()));
        }
    }
    crate::bail!(
        Kind::Config,
        "the server lacks UIDPLUS, so mailkit cannot expunge exactly the chosen messages (a plain EXPUNGE also removes messages other clients marked \\Deleted) and it has no MOVE to a \\Trash folder; use --move-to FOLDER, or --allow-plain-expunge to accept that"
    );
}
