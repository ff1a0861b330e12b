//! Where a network command goes and as whom: the accounts file (named servers with their port,
//! TLS mode, user and the way to obtain the password, so that no secret ever has to appear on a
//! command line), merged with the flags and the environment into one [`Endpoint`] by one rule
//! ([`Endpoint::resolve`]) for `send`, `fetch`, `list`, `dele` and every later protocol.
//!
//! ```toml
//! [accounts.work]
//! host = "mail.example.org"
//! port = 587                 # 143/993 mean IMAP for fetch/list/dele, else POP3
//! protocol = "imap"          # or "pop3": says it outright
//! tls = "starttls"            # "tls" (implicit), "starttls", "opportunistic", "none"
//! user = "alice"
//! password_command = "pass show work/mail"   # or password_env, password_file, password
//! ca_file = "/etc/ssl/private-ca.pem"
//! from = "alice@example.org"
//! ```

use std::{
    collections::BTreeMap,
    fs,
    io::Read as _,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

use serde::Deserialize;

use crate::{
    exit::{Failure, Kind},
    net::{TlsMode, TlsOptions},
    sasl,
    secret::Secret,
};

/// The environment variable a password may come from (never argv), for every protocol.
pub const PASSWORD_ENV: &str = "MAILKIT_PASSWORD";
/// The environment variable an OAuth 2 token may come from, for every protocol.
pub const TOKEN_ENV: &str = "MAILKIT_OAUTH_TOKEN";

/// The protocol an endpoint is for: it decides the default ports, whether TLS may be
/// opportunistic, whether a user is required, and which login mechanisms exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// SMTP: submission through a relay (587 STARTTLS, 465 implicit TLS), or direct delivery
    /// to the recipients' MX hosts when no server is named (port 25, opportunistic TLS).
    Smtp,
    /// POP3: 995 implicit TLS, 110 STLS; never cleartext by accident.
    Pop3,
    /// IMAP: 993 implicit TLS, 143 STARTTLS; never cleartext by accident.
    Imap,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Smtp => "SMTP",
            Service::Pop3 => "POP3",
            Service::Imap => "IMAP",
        }
    }

    /// (implicit TLS port, STARTTLS port).
    fn ports(self) -> (u16, u16) {
        match self {
            Service::Smtp => (465, 587),
            Service::Pop3 => (995, 110),
            Service::Imap => (993, 143),
        }
    }

    /// The login mechanisms an account's `auth` may name for this protocol.
    fn mechanisms(self) -> &'static [&'static str] {
        match self {
            Service::Smtp => &["auto", "plain", "login", "xoauth2"],
            Service::Pop3 => &["auto", "user", "apop", "plain", "xoauth2"],
            Service::Imap => &["auto", "login", "plain", "xoauth2", "oauthbearer"],
        }
    }
}

/// How to log in, as flags and accounts files name it; each protocol maps it onto its own
/// commands (and [`Endpoint::resolve`] only lets through what the protocol knows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// Chosen from the server's offer.
    Auto,
    /// POP3 USER/PASS.
    User,
    /// POP3 APOP.
    Apop,
    /// A SASL mechanism.
    Sasl(sasl::Mechanism),
}

impl Auth {
    /// The name in accounts files and `--auth`.
    pub fn name(self) -> &'static str {
        match self {
            Auth::Auto => "auto",
            Auth::User => "user",
            Auth::Apop => "apop",
            Auth::Sasl(sasl::Mechanism::Plain) => "plain",
            Auth::Sasl(sasl::Mechanism::Login) => "login",
            Auth::Sasl(sasl::Mechanism::XOAuth2) => "xoauth2",
            Auth::Sasl(sasl::Mechanism::OAuthBearer) => "oauthbearer",
        }
    }

    fn parse(name: &str) -> Option<Auth> {
        match name.to_ascii_lowercase().as_str() {
            "auto" => Some(Auth::Auto),
            "user" => Some(Auth::User),
            "apop" => Some(Auth::Apop),
            other => sasl::Mechanism::from_name(other).map(Auth::Sasl),
        }
    }

    /// Whether the secret is an OAuth token rather than a password.
    pub fn is_oauth(self) -> bool {
        matches!(
            self,
            Auth::Sasl(sasl::Mechanism::XOAuth2 | sasl::Mechanism::OAuthBearer)
        )
    }
}

/// What the command line says about where to connect, in mailkit's own types (the `cli`
/// module fills it from its flags). Everything is optional: the account and the defaults
/// fill the rest.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `--account NAME`.
    pub account: Option<String>,
    /// `--server HOST[:PORT]`, as typed.
    pub server: Option<String>,
    /// `--port`.
    pub port: Option<u16>,
    /// `--tls`.
    pub tls: Option<TlsMode>,
    /// `--user`.
    pub user: Option<String>,
    /// `--auth`.
    pub auth: Option<Auth>,
    /// `--password-env`, `--password-file` or `--password-command`.
    pub secret: Option<SecretSource>,
    /// `--oauth-token-command`.
    pub oauth_token_command: Option<String>,
    /// `--ca-file`.
    pub ca_file: Option<PathBuf>,
    /// `--insecure-skip-tls-verify`.
    pub insecure_skip_tls_verify: bool,
    /// `--allow-cleartext-auth`.
    pub allow_cleartext_auth: bool,
    /// `--timeout`, in seconds.
    pub timeout: u64,
    /// `--connect-timeout`, in seconds.
    pub connect_timeout: u64,
}

/// Where to connect and as whom: flags over the account over the environment over the
/// protocol's defaults, resolved once, the same way for every command.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// The account named, if any (part of the state key).
    pub account: Option<String>,
    /// The server; `None` for SMTP direct delivery (each recipient domain's MX hosts).
    pub host: Option<String>,
    /// The port.
    pub port: u16,
    /// How the connection is protected.
    pub tls: TlsMode,
    /// Certificate trust.
    pub tls_options: TlsOptions,
    /// The login name; `None` to send without logging in (SMTP only).
    pub user: Option<String>,
    /// How to log in.
    pub auth: Auth,
    /// Where the password or token comes from (set when `user` is).
    pub secret: Option<SecretSource>,
    /// Whether a secret may cross a connection without TLS.
    pub allow_cleartext_auth: bool,
    /// How long each reply (and the TLS handshake) may take in all.
    pub timeout: Duration,
    /// How long a TCP connection may take to be accepted.
    pub connect_timeout: Duration,
    /// The account's default sender, for `send`.
    pub from: Option<String>,
}

impl Endpoint {
    /// Merges `flags`, the account they name and the environment for `service`. Errors are
    /// the same for every command: a missing server or user is a usage error (2); a bad
    /// accounts file, an `auth` the protocol does not know, or two password sources is a
    /// configuration error (78).
    pub fn resolve(service: Service, flags: &Flags) -> Result<Endpoint, anyhow::Error> {
        use anyhow::Context as _;
        let account = match &flags.account {
            Some(name) => load_named(name).context("reading the account")?,
            None => Account::default(),
        };
        Ok(Endpoint::merge(service, flags, account)?)
    }

    fn merge(service: Service, flags: &Flags, account: Account) -> Result<Endpoint, Failure> {
        let (flag_host, server_port) = match &flags.server {
            Some(server) => {
                let (host, port) = crate::net::split_server(server)?;
                (Some(host), port)
            }
            None => (None, None),
        };
        let host = flag_host.or_else(|| account.host.clone());
        if host.is_none() && service != Service::Smtp {
            return Err(Failure::new(
                Kind::Usage,
                "no server: give --server HOST[:PORT] or --account",
            ));
        }
        let (implicit, starttls) = service.ports();
        let (tls, port) = if host.is_none() {
            // Direct delivery: the MX hosts' port 25, TLS when they offer it.
            let tls = flags.tls.or(account.tls).unwrap_or(TlsMode::Opportunistic);
            (tls, flags.port.unwrap_or(25))
        } else {
            let port = flags.port.or(server_port).or(account.port);
            let tls = match flags.tls.or(account.tls) {
                Some(TlsMode::Opportunistic) if service != Service::Smtp => {
                    return Err(Failure::new(
                        Kind::Config,
                        format!(
                            "{} never falls back to cleartext: use --tls tls, starttls or none",
                            service.name()
                        ),
                    ));
                }
                Some(mode) => mode,
                None if port == Some(implicit) => TlsMode::Tls,
                None if port == Some(starttls) => TlsMode::Starttls,
                // An unusual port: SMTP relays mostly speak STARTTLS there, mailbox servers
                // implicit TLS.
                None if service == Service::Smtp => TlsMode::Starttls,
                None => TlsMode::Tls,
            };
            let port = port.unwrap_or(if tls == TlsMode::Tls {
                implicit
            } else {
                starttls
            });
            (tls, port)
        };
        let user = flags.user.clone().or_else(|| account.user.clone());
        if user.is_none() && service != Service::Smtp {
            return Err(Failure::new(
                Kind::Usage,
                "no user: give --user or --account",
            ));
        }
        let auth = match (flags.auth, account.auth.as_deref()) {
            (Some(auth), _) => auth,
            (None, None) => Auth::Auto,
            (None, Some(name)) => Auth::parse(name)
                .filter(|auth| service.mechanisms().contains(&auth.name()))
                .ok_or_else(|| {
                    Failure::new(
                        Kind::Config,
                        format!(
                            "account auth {:?} is not a{} {} mechanism ({})",
                            name.to_ascii_lowercase(),
                            if service == Service::Pop3 { "" } else { "n" },
                            service.name(),
                            service.mechanisms().join(", ")
                        ),
                    )
                })?,
        };
        let secret = match user {
            None => None,
            Some(_) => Some(secret_source(flags, &account, auth)?),
        };
        Ok(Endpoint {
            account: flags.account.clone(),
            host,
            port,
            tls,
            tls_options: TlsOptions {
                ca_file: flags.ca_file.clone().or_else(|| account.ca_file.clone()),
                insecure_skip_verify: flags.insecure_skip_tls_verify,
            },
            user,
            auth,
            secret,
            allow_cleartext_auth: flags.allow_cleartext_auth,
            timeout: Duration::from_secs(flags.timeout.max(1)),
            connect_timeout: Duration::from_secs(flags.connect_timeout.max(1)),
            from: account.from,
        })
    }

    /// Names this mailbox for local state: `[account+]user@host:port`, so that a state is
    /// never applied to another server's or user's messages.
    pub fn key(&self) -> String {
        let user = self.user.as_deref().unwrap_or_default();
        let host = self.host.as_deref().unwrap_or_default();
        match &self.account {
            Some(name) => format!("{name}+{user}@{host}:{}", self.port),
            None => format!("{user}@{host}:{}", self.port),
        }
    }

    /// Obtains the secret (prompting if that is its source), once it is needed.
    pub fn secret(&self) -> Result<Secret, Failure> {
        let source = self.secret.clone().unwrap_or(SecretSource::Prompt);
        let user = self.user.as_deref().unwrap_or_default();
        let what = match &self.host {
            Some(host) => format!("password for {user}@{host}"),
            None => format!("password for {user}"),
        };
        fetch_secret(&source, &what)
    }
}

/// Where the secret comes from: for an OAuth token, `--oauth-token-command`, the password
/// flags, the account's token source, else `$MAILKIT_OAUTH_TOKEN`; for a password, the flags,
/// `$MAILKIT_PASSWORD` when set, the account's source, else a prompt.
fn secret_source(flags: &Flags, account: &Account, auth: Auth) -> Result<SecretSource, Failure> {
    if auth.is_oauth() {
        return Ok(flags
            .oauth_token_command
            .clone()
            .map(SecretSource::Command)
            .or_else(|| flags.secret.clone())
            .or_else(|| account.oauth_token_source())
            .unwrap_or_else(|| SecretSource::Env(TOKEN_ENV.to_string())));
    }
    if let Some(source) = &flags.secret {
        return Ok(source.clone());
    }
    if std::env::var_os(PASSWORD_ENV).is_some() {
        return Ok(SecretSource::Env(PASSWORD_ENV.to_string()));
    }
    Ok(account.password_source()?.unwrap_or(SecretSource::Prompt))
}

/// The mail-access protocol of `fetch`, `list` and `dele`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// IMAP (RFC 3501): ports 993 (TLS) and 143 (STARTTLS); messages stay in folders.
    Imap,
    /// POP3 (RFC 1939): ports 995 (TLS) and 110 (STLS).
    Pop3,
}

impl Protocol {
    /// The protocol a port implies: 143/993 IMAP, anything else POP3 (mailkit's default
    /// before IMAP existed, kept so existing scripts behave the same).
    pub fn of_port(port: Option<u16>) -> Protocol {
        match port {
            Some(143 | 993) => Protocol::Imap,
            _ => Protocol::Pop3,
        }
    }
}

/// Where a password or token comes from. Never from argv: it would show in `ps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable's value.
    Env(String),
    /// The contents of a file, trailing newline removed.
    File(PathBuf),
    /// The first line a shell command prints.
    Command(String),
    /// Written in the accounts file itself (which must then be private).
    Literal(Secret),
    /// Asked for at the terminal, when stdin is one.
    Prompt,
}

/// One named server from the accounts file.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// Server host name or address.
    pub host: Option<String>,
    /// Server port; each protocol has its default.
    pub port: Option<u16>,
    /// The mail-access protocol for `fetch`, `list` and `dele`; else the port decides.
    pub protocol: Option<Protocol>,
    /// Connection protection; each protocol has its default.
    pub tls: Option<TlsMode>,
    /// Login name.
    pub user: Option<String>,
    /// Password in the file itself; the file must then be readable by its owner only.
    password: Option<String>,
    /// Environment variable holding the password.
    password_env: Option<String>,
    /// File holding the password.
    password_file: Option<PathBuf>,
    /// Command printing the password.
    password_command: Option<String>,
    /// Command printing an OAuth 2 access token (for XOAUTH2).
    pub oauth_token_command: Option<String>,
    /// Environment variable holding an OAuth 2 access token (for XOAUTH2).
    pub oauth_token_env: Option<String>,
    /// SASL mechanism to use (PLAIN, LOGIN, XOAUTH2, APOP, USER); chosen from the server's
    /// offer when absent.
    pub auth: Option<String>,
    /// Extra trusted CA certificates (PEM).
    pub ca_file: Option<PathBuf>,
    /// Default envelope sender and From address for `send`.
    pub from: Option<String>,
}

impl Account {
    /// Where the password comes from: the one source configured, or a prompt when none is
    /// (and a user is set). Two sources at once is a configuration error.
    pub fn password_source(&self) -> Result<Option<SecretSource>, Failure> {
        let mut sources = Vec::new();
        if let Some(value) = &self.password {
            sources.push(SecretSource::Literal(Secret::new(value.clone())));
        }
        if let Some(var) = &self.password_env {
            sources.push(SecretSource::Env(var.clone()));
        }
        if let Some(path) = &self.password_file {
            sources.push(SecretSource::File(path.clone()));
        }
        if let Some(command) = &self.password_command {
            sources.push(SecretSource::Command(command.clone()));
        }
        match sources.len() {
            0 if self.user.is_some() => Ok(Some(SecretSource::Prompt)),
            0 => Ok(None),
            1 => Ok(sources.pop()),
            _ => Err(Failure::new(
                Kind::Config,
                "more than one of password, password_env, password_file, password_command is set",
            )),
        }
    }

    /// Where the OAuth token comes from, if configured.
    pub fn oauth_token_source(&self) -> Option<SecretSource> {
        match (&self.oauth_token_env, &self.oauth_token_command) {
            (Some(var), _) => Some(SecretSource::Env(var.clone())),
            (None, Some(command)) => Some(SecretSource::Command(command.clone())),
            (None, None) => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    #[serde(default)]
    accounts: BTreeMap<String, Account>,
}

/// The accounts file in use: `$MAILKIT_ACCOUNTS`, else `$XDG_CONFIG_HOME/mailkit/accounts.toml`,
/// else `~/.config/mailkit/accounts.toml`.
pub fn default_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MAILKIT_ACCOUNTS") {
        return Some(PathBuf::from(path));
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(config.join("mailkit").join("accounts.toml"))
}

/// Loads account `name` from the accounts file in use ([`default_path`]): what `--account`
/// means for every command.
pub fn load_named(name: &str) -> Result<Account, Failure> {
    let path = default_path().ok_or_else(|| {
        Failure::new(
            Kind::Config,
            "no accounts file: set $MAILKIT_ACCOUNTS or $HOME",
        )
    })?;
    load(&path, name)
}

/// Loads account `name` from `path`. A file that holds a literal password but can be read by
/// group or others is refused, as ssh refuses a readable private key.
pub fn load(path: &Path, name: &str) -> Result<Account, Failure> {
    let config_err = |msg: String| Failure::new(Kind::Config, msg);
    let text = fs::read_to_string(path).map_err(|err| {
        config_err(format!(
            "cannot read accounts file {}: {err}",
            path.display()
        ))
    })?;
    let file: AccountsFile = toml::from_str(&text).map_err(|err| {
        config_err(format!(
            "accounts file {}: {}",
            path.display(),
            err.message()
        ))
    })?;
    let account = file.accounts.get(name).cloned().ok_or_else(|| {
        config_err(format!(
            "no account {name:?} in {} (known: {})",
            path.display(),
            file.accounts.keys().cloned().collect::<Vec<_>>().join(", ")
        ))
    })?;
    if file.accounts.values().any(|a| a.password.is_some()) {
        refuse_if_shared(path)?;
    }
    Ok(account)
}

#[cfg(unix)]
fn refuse_if_shared(path: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)
        .map_err(|err| Failure::new(Kind::Config, format!("{}: {err}", path.display())))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Failure::new(
            Kind::Config,
            format!(
                "accounts file {} holds a password but is readable by others (mode {:o}); run: chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_if_shared(_path: &Path) -> Result<(), Failure> {
    Ok(())
}

/// Obtains the secret. `what` names it in prompts and errors ("password for alice@host").
/// A prompt is only shown when stdin is a terminal; otherwise that is a configuration error,
/// so cron jobs fail fast instead of hanging.
pub fn fetch_secret(source: &SecretSource, what: &str) -> Result<Secret, Failure> {
    let config_err = |msg: String| Failure::new(Kind::Config, msg);
    let value = match source {
        SecretSource::Literal(secret) => return Ok(secret.clone()),
        SecretSource::Env(var) => std::env::var(var)
            .map_err(|_| config_err(format!("{what}: environment variable {var} is not set")))?,
        SecretSource::File(path) => fs::read_to_string(path)
            .map_err(|err| config_err(format!("{what}: cannot read {}: {err}", path.display())))?,
        SecretSource::Command(command) => run_secret_command(command)
            .map_err(|msg| config_err(format!("{what}: command {command:?} {msg}")))?,
        SecretSource::Prompt => {
            if !crate::output::stdin_is_terminal() {
                return Err(config_err(format!(
                    "{what}: no password source and stdin is not a terminal to ask on; give --password-env VAR, --password-file FILE or --password-command CMD, set $MAILKIT_PASSWORD, or set password_env, password_file or password_command in the account"
                )));
            }
            dialoguer::Password::new()
                .with_prompt(what)
                .interact()
                .map_err(|err| config_err(format!("{what}: prompt failed: {err}")))?
        }
    };
    let value = value.lines().next().unwrap_or("").to_string();
    if value.is_empty() {
        return Err(config_err(format!(
            "{what}: the configured source is empty"
        )));
    }
    Ok(Secret::new(value))
}

fn run_secret_command(command: &str) -> Result<String, String> {
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|err| format!("could not start: {err}"))?;
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout
            .read_to_string(&mut out)
            .map_err(|err| format!("output unreadable: {err}"))?;
    }
    let status = child.wait().map_err(|err| format!("failed: {err}"))?;
    if !status.success() {
        return Err(format!("exited with {status}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn write(dir: &tempfile::TempDir, text: &str, mode: u32) -> PathBuf {
        let path = dir.path().join("accounts.toml");
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    #[test]
    fn loads_an_account_with_its_password_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "[accounts.work]\nhost = \"mail.example.org\"\nport = 587\ntls = \"starttls\"\nuser = \"alice\"\npassword_env = \"WORK_PW\"\n",
            0o644,
        );
        let account = load(&path, "work").unwrap();
        assert_eq!(account.host.as_deref(), Some("mail.example.org"));
        assert_eq!(account.tls, Some(TlsMode::Starttls));
        assert_eq!(
            account.password_source().unwrap(),
            Some(SecretSource::Env("WORK_PW".into()))
        );
    }

    #[test]
    fn a_readable_file_with_a_literal_password_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let text = "[accounts.a]\nuser = \"u\"\npassword = \"pw\"\n";
        let path = write(&dir, text, 0o644);
        let err = load(&path, "a").unwrap_err();
        assert_eq!(err.kind(), Kind::Config);
        assert!(err.to_string().contains("chmod 600"), "{err}");
        assert!(!err.to_string().contains("pw\""), "{err}");
        let path = write(&dir, text, 0o600);
        assert!(load(&path, "a").is_ok());
    }

    #[test]
    fn unknown_account_and_two_sources_are_config_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "[accounts.a]\nuser = \"u\"\npassword_env = \"X\"\npassword_file = \"/f\"\n",
            0o600,
        );
        assert_eq!(load(&path, "b").unwrap_err().kind(), Kind::Config);
        let account = load(&path, "a").unwrap();
        assert_eq!(account.password_source().unwrap_err().kind(), Kind::Config);
    }

    #[test]
    fn secrets_come_from_env_file_and_command() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        fs::write(&file, "from-file\n").unwrap();
        let got = fetch_secret(&SecretSource::File(file), "password").unwrap();
        assert_eq!(got.expose(), "from-file");
        let got = fetch_secret(&SecretSource::Command("echo from-cmd".into()), "pw").unwrap();
        assert_eq!(got.expose(), "from-cmd");
        let err = fetch_secret(&SecretSource::Command("exit 3".into()), "pw").unwrap_err();
        assert_eq!(err.kind(), Kind::Config);
        let err = fetch_secret(&SecretSource::Env("MAILKIT_SURELY_UNSET_VAR".into()), "pw");
        assert_eq!(err.unwrap_err().kind(), Kind::Config);
    }

    fn flags(server: Option<&str>, user: Option<&str>) -> Flags {
        Flags {
            server: server.map(str::to_string),
            user: user.map(str::to_string),
            secret: Some(SecretSource::Env("FLAG_PW".into())),
            ..Flags::default()
        }
    }

    fn merge(service: Service, flags: &Flags, account: Account) -> Result<Endpoint, Failure> {
        Endpoint::merge(service, flags, account)
    }

    #[test]
    fn ports_and_tls_follow_one_rule_for_every_protocol() {
        let cases = [
            (Service::Smtp, "mx.test", 587, TlsMode::Starttls),
            (Service::Smtp, "mx.test:465", 465, TlsMode::Tls),
            (Service::Smtp, "mx.test:2525", 2525, TlsMode::Starttls),
            (Service::Pop3, "pop.test", 995, TlsMode::Tls),
            (Service::Pop3, "pop.test:110", 110, TlsMode::Starttls),
            (Service::Pop3, "pop.test:1995", 1995, TlsMode::Tls),
            (Service::Imap, "imap.test", 993, TlsMode::Tls),
            (Service::Imap, "imap.test:143", 143, TlsMode::Starttls),
        ];
        for (service, server, port, tls) in cases {
            let endpoint =
                merge(service, &flags(Some(server), Some("u")), Account::default()).unwrap();
            assert_eq!(
                (endpoint.port, endpoint.tls),
                (port, tls),
                "{service:?} {server}"
            );
        }
        let direct = merge(Service::Smtp, &flags(None, None), Account::default()).unwrap();
        assert_eq!(
            (direct.host, direct.port, direct.tls, direct.secret),
            (None, 25, TlsMode::Opportunistic, None)
        );
    }

    #[test]
    fn flags_win_over_the_account() {
        let account = Account {
            host: Some("acct.test".into()),
            port: Some(2465),
            tls: Some(TlsMode::Tls),
            user: Some("acct-user".into()),
            password_env: Some("ACCT_PW".into()),
            ..Account::default()
        };
        let from_account = merge(Service::Pop3, &Flags::default(), account.clone()).unwrap();
        assert_eq!(from_account.host.as_deref(), Some("acct.test"));
        assert_eq!((from_account.port, from_account.tls), (2465, TlsMode::Tls));
        let flags = Flags {
            account: Some("work".into()),
            tls: Some(TlsMode::Starttls),
            ..flags(Some("flag.test:110"), Some("flag-user"))
        };
        for service in [Service::Smtp, Service::Pop3] {
            let endpoint = merge(service, &flags, account.clone()).unwrap();
            assert_eq!(endpoint.host.as_deref(), Some("flag.test"));
            assert_eq!((endpoint.port, endpoint.tls), (110, TlsMode::Starttls));
            assert_eq!(endpoint.user.as_deref(), Some("flag-user"));
            assert_eq!(endpoint.secret, Some(SecretSource::Env("FLAG_PW".into())));
            assert_eq!(endpoint.key(), "work+flag-user@flag.test:110");
        }
    }

    #[test]
    fn the_same_mistakes_get_the_same_codes() {
        let kind =
            |service, flags: &Flags, account| merge(service, flags, account).unwrap_err().kind();
        assert_eq!(
            kind(Service::Pop3, &flags(None, Some("u")), Account::default()),
            Kind::Usage
        );
        assert_eq!(
            kind(Service::Imap, &flags(Some("h"), None), Account::default()),
            Kind::Usage
        );
        let opportunistic = Flags {
            tls: Some(TlsMode::Opportunistic),
            ..flags(Some("h"), Some("u"))
        };
        assert_eq!(
            kind(Service::Pop3, &opportunistic, Account::default()),
            Kind::Config
        );
        assert!(merge(Service::Smtp, &opportunistic, Account::default()).is_ok());
        let auth = |name: &str| Account {
            auth: Some(name.into()),
            ..Account::default()
        };
        for service in [Service::Smtp, Service::Pop3, Service::Imap] {
            assert_eq!(
                kind(service, &flags(Some("h"), Some("u")), auth("cram-md5")),
                Kind::Config
            );
        }
        assert_eq!(
            kind(Service::Pop3, &flags(Some("h"), Some("u")), auth("login")),
            Kind::Config
        );
        let smtp = merge(Service::Smtp, &flags(Some("h"), Some("u")), auth("LOGIN")).unwrap();
        assert_eq!(smtp.auth, Auth::Sasl(sasl::Mechanism::Login));
        let pop3 = merge(Service::Pop3, &flags(Some("h"), Some("u")), auth("apop")).unwrap();
        assert_eq!(pop3.auth, Auth::Apop);
    }

    #[test]
    fn an_oauth_token_has_its_own_sources() {
        let account = Account {
            oauth_token_command: Some("print-token".into()),
            ..Account::default()
        };
        let oauth = Flags {
            auth: Some(Auth::Sasl(sasl::Mechanism::XOAuth2)),
            ..Flags::default()
        };
        let endpoint = merge(
            Service::Pop3,
            &Flags {
                ..flags(Some("h"), Some("u"))
            },
            account.clone(),
        )
        .unwrap();
        assert_eq!(endpoint.secret, Some(SecretSource::Env("FLAG_PW".into())));
        let only_account = Flags {
            server: Some("h".into()),
            user: Some("u".into()),
            ..oauth.clone()
        };
        let endpoint = merge(Service::Smtp, &only_account, account).unwrap();
        assert_eq!(
            endpoint.secret,
            Some(SecretSource::Command("print-token".into()))
        );
        let endpoint = merge(Service::Pop3, &only_account, Account::default()).unwrap();
        assert_eq!(endpoint.secret, Some(SecretSource::Env(TOKEN_ENV.into())));
    }
}
