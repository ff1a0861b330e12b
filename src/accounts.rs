//! The accounts file: named servers with their port, TLS mode, user and the way to obtain the
//! password, so that no secret ever has to appear on a command line. Shared by `send` and the
//! POP3 commands.
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
};

use serde::Deserialize;

use crate::{
    exit::{Failure, Kind},
    secret::Secret,
};

/// How the connection is protected.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// TLS from the first byte (SMTPS 465, POP3S 995).
    Tls,
    /// Upgrade with STARTTLS/STLS, and fail if the server does not offer it.
    Starttls,
    /// Upgrade when offered, carry on in cleartext with a warning otherwise (port-25 delivery).
    Opportunistic,
    /// Never encrypt.
    None,
}

/// The mail-access protocol of `fetch`, `list` and `dele`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
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
                    "{what}: no password source is configured and stdin is not a terminal to ask on; set password_env, password_file or password_command"
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
}
