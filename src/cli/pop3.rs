//! Connection flags shared by `fetch`, `list` and `dele` (POP3).

use std::path::PathBuf;

use clap::Args;

use crate::{accounts::TlsMode, pop3::Mechanism};

/// How to reach and log in to the POP3 server. The password never comes from the command line:
/// it comes from `--password-env`, `--password-file`, `--password-command`, `$MAILKIT_PASSWORD`,
/// the account's source,
/// or a prompt when stdin is a terminal.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// Named account from the accounts file (host, port, TLS, user, password source)
    #[arg(long, short = 'a', value_name = "NAME")]
    pub account: Option<String>,
    /// POP3 server, HOST or HOST:PORT (default port 995, or 110 with --tls starttls|none)
    #[arg(long, short = 's', value_name = "HOST[:PORT]")]
    pub server: Option<String>,
    /// Login name
    #[arg(long, short = 'u')]
    pub user: Option<String>,
    /// Connection protection: tls (implicit, port 995), starttls (STLS on 110, required), none
    #[arg(long, value_enum, value_name = "MODE")]
    pub tls: Option<TlsMode>,
    /// Extra trusted CA certificates (PEM), for a private CA
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Accept any TLS certificate (INSECURE: anyone on the path can read your mail)
    #[arg(long)]
    pub insecure_skip_tls_verify: bool,
    /// Allow sending a password or token over a connection without TLS
    #[arg(long)]
    pub allow_cleartext_auth: bool,
    /// Login mechanism (auto: SASL PLAIN if offered, else USER/PASS, else APOP)
    #[arg(long, value_enum, value_name = "MECH")]
    pub auth: Option<Mechanism>,
    /// Read the password from this environment variable (default: $MAILKIT_PASSWORD when set)
    #[arg(long, value_name = "VAR", conflicts_with_all = ["password_file", "password_command"])]
    pub password_env: Option<String>,
    /// Read the password from this file (first line)
    #[arg(long, value_name = "FILE", conflicts_with = "password_command")]
    pub password_file: Option<PathBuf>,
    /// Run this shell command and use the first line it prints as the password
    #[arg(long, value_name = "CMD")]
    pub password_command: Option<String>,
    /// For --auth xoauth2: run this shell command to get the OAuth 2 access token (default:
    /// the account's source, else $MAILKIT_OAUTH_TOKEN)
    #[arg(long, value_name = "CMD")]
    pub oauth_token_command: Option<String>,
    /// Seconds to wait for the connection and for each reply
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
}
