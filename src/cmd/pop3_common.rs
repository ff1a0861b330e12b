//! What `fetch`, `list` and `dele` share: turning the connection flags and the account into a
//! logged-in session.

use std::time::Duration;

use anyhow::Context;

use crate::{
    accounts::{self, Account, SecretSource, TlsMode},
    cli::{GlobalArgs, pop3::ConnectionArgs},
    exit::Kind,
    net::Stream,
    pop3::{
        Mechanism, Session,
        connect::{self, ConnectOptions},
    },
};

/// The environment variable a password may come from (never argv).
pub const PASSWORD_ENV: &str = "MAILKIT_PASSWORD";
/// The environment variable an OAuth 2 token may come from.
pub const TOKEN_ENV: &str = "MAILKIT_OAUTH_TOKEN";

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
                Kind::Usage,
                "no server: give --server HOST[:PORT] or --account"
            );
        };
        let port = flag_port.or(account.port);
        let tls = match args.tls.or(account.tls) {
            Some(TlsMode::Opportunistic) => crate::bail!(
                Kind::Config,
                "POP3 never falls back to cleartext: use --tls tls, starttls or none"
            ),
            Some(mode) => mode,
            None if port == Some(110) => TlsMode::Starttls,
            None => TlsMode::Tls,
        };
        let port = port.unwrap_or(if tls == TlsMode::Tls { 995 } else { 110 });
        let Some(user) = args.user.clone().or(account.user.clone()) else {
            crate::bail!(Kind::Usage, "no user: give --user or --account");
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
            Kind::Config,
            "account auth {other:?} is not a POP3 mechanism (auto, user, apop, plain, xoauth2)"
        ),
    })
}
