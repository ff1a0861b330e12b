//! Certificate, cleartext and password flags shared by `send` and the POP3 commands, so both
//! spell them, document them and turn them into mailkit's types the same way.

use std::path::PathBuf;

use clap::Args;

use crate::accounts::SecretSource;

/// How far to trust the server: a private CA, or (named as insecure) nothing at all.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// Extra trusted CA certificates (PEM), for a private CA
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// INSECURE: accept any TLS certificate (anyone on the path can read the session)
    #[arg(long)]
    pub insecure_skip_tls_verify: bool,
    /// INSECURE: allow a password or token over a connection without TLS
    #[arg(long)]
    pub allow_cleartext_auth: bool,
}

/// Where the password comes from on the command line: never the password itself, which
/// would show in `ps`.
#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// Environment variable holding the password (or the OAuth token for xoauth2)
    #[arg(long, value_name = "VAR", conflicts_with_all = ["password_file", "password_command"])]
    pub password_env: Option<String>,
    /// File holding the password (or the OAuth token), first line
    #[arg(long, value_name = "FILE", conflicts_with = "password_command")]
    pub password_file: Option<PathBuf>,
    /// Command printing the password (or the OAuth token) as its first line
    #[arg(long, value_name = "COMMAND")]
    pub password_command: Option<String>,
}

impl PasswordArgs {
    /// The one source the flags name, if any (clap refuses two at once).
    pub fn source(&self) -> Option<SecretSource> {
        self.password_env
            .clone()
            .map(SecretSource::Env)
            .or_else(|| self.password_file.clone().map(SecretSource::File))
            .or_else(|| self.password_command.clone().map(SecretSource::Command))
    }
}
