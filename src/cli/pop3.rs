//! Connection flags shared by `fetch`, `list` and `dele` (POP3).

use clap::Args;

use super::security::{PasswordArgs, TrustArgs};
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
    /// Certificate trust and cleartext login.
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Login mechanism (auto: SASL PLAIN if offered, else USER/PASS, else APOP)
    #[arg(long, value_enum, value_name = "MECH")]
    pub auth: Option<Mechanism>,
    /// Where the password comes from (else $MAILKIT_PASSWORD when set).
    #[command(flatten)]
    pub password: PasswordArgs,
    /// For --auth xoauth2: run this shell command to get the OAuth 2 access token (default:
    /// the account's source, else $MAILKIT_OAUTH_TOKEN)
    #[arg(long, value_name = "CMD")]
    pub oauth_token_command: Option<String>,
    /// Seconds each reply line (and every status reply as a whole, and the TLS handshake) may
    /// take, however slowly its bytes arrive
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub timeout: u64,
    /// Seconds to wait for the TCP connection to be accepted
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub connect_timeout: u64,
}
