//! Connection flags shared by `fetch`, `list` and `dele` (POP3 and IMAP).

use clap::Args;

use super::security::{PasswordArgs, TrustArgs};
use crate::cli::values::{Pop3AuthArg, Pop3TlsArg, ProtocolArg};

/// How to reach and log in to the POP3 or IMAP server. The password never comes from the command line:
/// it comes from `--password-env`, `--password-file`, `--password-command`, `$MAILKIT_PASSWORD`,
/// the account's source,
/// or a prompt when stdin is a terminal.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// Named account from the accounts file (host, port, TLS, user, password source)
    #[arg(long, short = 'A', value_name = "NAME")]
    pub account: Option<String>,
    /// Server, HOST or HOST:PORT (default port 995 for POP3, 993 for IMAP; 110/143 with
    /// --tls starttls|none)
    #[arg(long, short = 'S', value_name = "HOST[:PORT]")]
    pub server: Option<String>,
    /// Protocol (default: the account's, else the port's: 143/993 IMAP, 110/995 POP3)
    #[arg(long, value_enum, value_name = "PROTO")]
    pub protocol: Option<ProtocolArg>,
    /// Login name
    #[arg(long, short = 'u')]
    pub user: Option<String>,
    /// Connection protection: tls (implicit, port 995/993), starttls (STLS on 110, STARTTLS on
    /// 143, required), none
    #[arg(long, value_enum, value_name = "MODE")]
    pub tls: Option<Pop3TlsArg>,
    /// Certificate trust and cleartext login.
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Login mechanism (auto: SASL PLAIN if offered, else USER/PASS or IMAP LOGIN, else APOP;
    /// user means IMAP LOGIN over IMAP)
    #[arg(long, value_enum, value_name = "MECH")]
    pub auth: Option<Pop3AuthArg>,
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

impl ConnectionArgs {
    /// The flags as [`Endpoint::resolve`](crate::accounts::Endpoint::resolve) takes them.
    pub fn endpoint_flags(&self) -> crate::accounts::Flags {
        crate::accounts::Flags {
            account: self.account.clone(),
            server: self.server.clone(),
            port: None,
            tls: self.tls.map(Into::into),
            user: self.user.clone(),
            auth: self.auth.map(Into::into),
            secret: self.password.source(),
            oauth_token_command: self.oauth_token_command.clone(),
            ca_file: self.trust.ca_file.clone(),
            insecure_skip_tls_verify: self.trust.insecure_skip_tls_verify,
            allow_cleartext_auth: self.trust.allow_cleartext_auth,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
        }
    }
}
