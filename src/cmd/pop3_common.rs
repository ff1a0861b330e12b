//! What `fetch`, `list` and `dele` share: turning the connection flags and the account into a
//! logged-in session, and reading the mailbox listing (LIST + UIDL) with its sanity checks.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use anyhow::Context;

use crate::{
    accounts::{self, Account, SecretSource, TlsMode},
    cli::{GlobalArgs, pop3::ConnectionArgs},
    exit::{Exit, Failure},
    net::Stream,
    pop3::{
        Mechanism, Pop3Error, Session,
        connect::{self, ConnectOptions},
    },
};

/// The environment variable a password may come from (never argv).
pub const PASSWORD_ENV: &str = "MAILKIT_PASSWORD";
/// The environment variable an OAuth 2 token may come from.
pub const TOKEN_ENV: &str = "MAILKIT_OAUTH_TOKEN";

/// The most header bytes kept per message when headers are shown (`list --headers`,
/// `fetch -i`): enough for any real header, bounded against a hostile server.
pub const HEADER_CAP: usize = 64 * 1024;

/// A resolved connection: where, how, and as whom.
pub struct Connection {
    /// The options for [`connect::open`].
    pub options: ConnectOptions,
    /// Where the password or token comes from.
    pub secret: SecretSource,
    /// Names this mailbox for the state file: `[account+]user@host:port`, so a state is never
    /// applied to another server's UIDLs.
    pub key: String,
}

impl Connection {
    /// Resolves flags over the account over defaults.
    pub fn resolve(args: &ConnectionArgs, global: &GlobalArgs) -> anyhow::Result<Connection> {
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
                Exit::Usage,
                "no server: give --server HOST[:PORT] or --account"
            );
        };
        let port = flag_port.or(account.port);
        let tls = match args.tls.or(account.tls) {
            Some(TlsMode::Opportunistic) => crate::bail!(
                Exit::Config,
                "POP3 never falls back to cleartext: use --tls tls, starttls or none"
            ),
            Some(mode) => mode,
            None if port == Some(110) => TlsMode::Starttls,
            None => TlsMode::Tls,
        };
        let port = port.unwrap_or(if tls == TlsMode::Tls { 995 } else { 110 });
        let Some(user) = args.user.clone().or(account.user.clone()) else {
            crate::bail!(Exit::Usage, "no user: give --user or --account");
        };
        let mechanism = match (args.auth, account.auth.as_deref()) {
            (Some(mechanism), _) => mechanism,
            (None, None) => Mechanism::Auto,
            (None, Some(name)) => parse_mechanism(name)?,
        };
        let secret = if mechanism == Mechanism::Xoauth2 {
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
        Ok(Connection {
            options: ConnectOptions {
                host,
                port,
                tls,
                tls_options: args.trust.tls_options(Some(&account)),
                timeout: Duration::from_secs(args.timeout.max(1)),
                user,
                mechanism,
                allow_cleartext: args.trust.allow_cleartext_auth,
                verbose: global.verbose,
            },
            secret,
            key,
        })
    }

    /// Connects and logs in; the secret is obtained only once the connection is known to be
    /// protected (or cleartext was allowed), so nobody is asked for a password in vain.
    pub fn open(&self) -> anyhow::Result<Session<Stream>> {
        let o = &self.options;
        let what = format!("password for {}@{}", o.user, o.host);
        connect::open(o, || accounts::fetch_secret(&self.secret, &what))
            .with_context(|| format!("logging in to {}:{} as {}", o.host, o.port, o.user))
    }
}

fn parse_mechanism(name: &str) -> anyhow::Result<Mechanism> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "auto" => Mechanism::Auto,
        "user" => Mechanism::User,
        "apop" => Mechanism::Apop,
        "plain" => Mechanism::Plain,
        "xoauth2" => Mechanism::Xoauth2,
        other => crate::bail!(
            Exit::Config,
            "account auth {other:?} is not a POP3 mechanism (auto, user, apop, plain, xoauth2)"
        ),
    })
}

/// One message of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its number in this session.
    pub number: u32,
    /// Its size as LIST reports it (octets on the wire).
    pub size: u64,
    /// Its unique id, when the server has UIDL.
    pub uidl: Option<String>,
}

/// The mailbox as LIST and UIDL describe it.
pub struct Listing {
    /// The messages in server order.
    pub entries: Vec<Entry>,
    /// Whether the server answered UIDL.
    pub has_uidl: bool,
    /// UIDLs that the server gave to more than one message (unusable as identities).
    pub duplicates: HashSet<String>,
}

impl Listing {
    /// Reads LIST, then UIDL when the server supports it, and cross-checks them.
    pub fn load(session: &mut Session<Stream>) -> anyhow::Result<Listing> {
        let list = session.list().map_err(Failure::from).context("listing")?;
        let mut seen = HashSet::new();
        for (number, _) in &list {
            if !seen.insert(*number) {
                crate::bail!(
                    Exit::Protocol,
                    "listing: the server listed message {number} twice"
                );
            }
        }
        let caps_known = session.capabilities().known;
        let uidls = if session.capabilities().uidl() || !caps_known {
            match session.uidl() {
                Ok(uidls) => Some(uidls),
                Err(Pop3Error::Refused { .. }) if !caps_known => None,
                Err(err) => return Err(Failure::from(err)).context("listing unique ids"),
            }
        } else {
            None
        };
        let mut by_number: HashMap<u32, String> = HashMap::new();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        if let Some(uidls) = &uidls {
            for (number, uidl) in uidls {
                if !seen.contains(number) || by_number.insert(*number, uidl.clone()).is_some() {
                    crate::bail!(
                        Exit::Protocol,
                        "listing unique ids: UIDL names message {number}, which LIST does not list once"
                    );
                }
                *counts.entry(uidl).or_default() += 1;
            }
            if by_number.len() != list.len() {
                crate::bail!(
                    Exit::Protocol,
                    "listing unique ids: UIDL lists {} messages, LIST {}",
                    by_number.len(),
                    list.len()
                );
            }
        }
        let duplicates: HashSet<String> = counts
            .into_iter()
            .filter(|&(_, n)| n > 1)
            .map(|(uidl, _)| uidl.to_string())
            .collect();
        let entries = list
            .into_iter()
            .map(|(number, size)| Entry {
                number,
                size,
                uidl: by_number.remove(&number),
            })
            .collect();
        Ok(Listing {
            entries,
            has_uidl: uidls.is_some(),
            duplicates,
        })
    }

    /// The entries for `numbers` and `uidls`, in the order given; a number or UIDL not on the
    /// server, or a UIDL the server gave twice, is an error and nothing is selected.
    pub fn select(&self, numbers: &[u32], uidls: &[String]) -> anyhow::Result<Vec<Entry>> {
        let mut chosen = Vec::new();
        let mut taken = HashSet::new();
        for &number in numbers {
            let Some(entry) = self.entries.iter().find(|e| e.number == number) else {
                crate::bail!(Exit::Negative, "no message {number} on the server");
            };
            if taken.insert(number) {
                chosen.push(entry.clone());
            }
        }
        if !uidls.is_empty() && !self.has_uidl {
            crate::bail!(
                Exit::Protocol,
                "the server does not support UIDL, so --uidl cannot be used"
            );
        }
        for uidl in uidls {
            self.refuse_duplicate(uidl)?;
            let Some(entry) = self
                .entries
                .iter()
                .find(|e| e.uidl.as_deref() == Some(uidl))
            else {
                crate::bail!(
                    Exit::Negative,
                    "no message with UIDL {uidl:?} on the server"
                );
            };
            if taken.insert(entry.number) {
                chosen.push(entry.clone());
            }
        }
        Ok(chosen)
    }

    /// Fails when `uidl` names several messages: acting on it could hit the wrong one.
    pub fn refuse_duplicate(&self, uidl: &str) -> anyhow::Result<()> {
        if self.duplicates.contains(uidl) {
            crate::bail!(
                Exit::Protocol,
                "the server gave UIDL {:?} to more than one message; it cannot identify a message",
                crate::output::escape_line(uidl)
            );
        }
        Ok(())
    }
}
