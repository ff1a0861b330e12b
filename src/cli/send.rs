//! Arguments of `mailkit send`.

use std::path::PathBuf;

use clap::Args;

use super::security::{PasswordArgs, TrustArgs};
use crate::cli::values::{SaslArg, TlsArg};

/// The line `mailkit --help` lists `send` with, and the first of `mailkit send --help`: set on
/// the variant and on this struct, since the arguments are added on demand (see
/// [`super::Command`]) and the struct's doc comment would then replace it.
pub const ABOUT: &str =
    "Send mail over SMTP: compose or pass a raw message, via a relay or direct to the MX";

/// Flags of `mailkit send`.
#[derive(Debug, Args)]
#[command(after_long_help = SEND_EXAMPLES)]
#[command(about = ABOUT)]
pub struct SendArgs {
    /// Raw messages to send unchanged (files; `-` for stdin). Without them, a message is
    /// composed from the flags below
    #[arg(value_name = "MESSAGE")]
    pub messages: Vec<PathBuf>,

    /// Send a raw message read from stdin (same as giving `-`)
    #[arg(long, conflicts_with = "messages")]
    pub raw: bool,

    /// Send every message of an mbox file (one connection per destination for all of them)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["messages", "raw"])]
    pub mbox: Option<PathBuf>,

    /// Read recipients from the raw message's To, Cc and Bcc headers (like `sendmail -t`);
    /// the Bcc header is removed from what is sent
    #[arg(short = 't', long)]
    pub read_recipients: bool,

    /// Sender: the From header of a composed message and the envelope sender (MAIL FROM).
    /// `addr` or `"Name <addr>"`. For raw messages, only the envelope sender
    #[arg(short, long, value_name = "ADDRESS")]
    pub from: Option<String>,

    /// Recipient (To header when composing); repeatable
    #[arg(long, value_name = "ADDRESS")]
    pub to: Vec<String>,

    /// Copy recipient (Cc header when composing); repeatable
    #[arg(long, value_name = "ADDRESS")]
    pub cc: Vec<String>,

    /// Blind copy recipient: in the envelope only, never in a header; repeatable
    #[arg(long, value_name = "ADDRESS")]
    pub bcc: Vec<String>,

    /// The parts of a composed message.
    #[command(flatten)]
    pub compose: Box<ComposeArgs>,

    /// Where and how to connect.
    #[command(flatten)]
    pub route: Box<RouteArgs>,

    /// Queueing instead of, or after, a failed attempt.
    #[command(flatten)]
    pub queueing: super::queue::SendQueueArgs,
}

/// Flags that compose a message, boxed to keep the command enum small.
#[derive(Debug, Args)]
pub struct ComposeArgs {
    /// Subject of a composed message (non-ASCII is encoded per RFC 2047)
    #[arg(short, long)]
    pub subject: Option<String>,

    /// Body text of a composed message. Without --body or --body-file, the body is read from
    /// stdin when stdin is not a terminal
    #[arg(short, long, conflicts_with = "body_file")]
    pub body: Option<String>,

    /// File holding the body text (`-` for stdin)
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,

    /// HTML file sent as an alternative to the text body
    #[arg(long, value_name = "FILE")]
    pub html_file: Option<PathBuf>,

    /// Extra header of a composed message, `"Name: value"`; repeatable
    #[arg(long, value_name = "HEADER")]
    pub header: Vec<String>,

    /// File to attach (MIME type from its name, base64); repeatable
    #[arg(short, long, value_name = "FILE")]
    pub attach: Vec<PathBuf>,
}

/// Routing, TLS, authentication and DSN flags, boxed to keep the command enum small.
#[derive(Debug, Args)]
#[command(next_help_heading = "Routing and security")]
pub struct RouteArgs {
    /// Relay server, `host[:port]` (port 587 STARTTLS by default, 465 implicit TLS). Without a
    /// relay or account, mail goes directly to each recipient domain's MX hosts
    #[arg(long, short = 'S', value_name = "HOST[:PORT]")]
    pub server: Option<String>,

    /// Account from the accounts file (server, port, TLS, user, password source)
    #[arg(long, short = 'A', value_name = "NAME")]
    pub account: Option<String>,

    /// Port to connect to, overriding the server's, the account's or port 25 for MX delivery
    #[arg(long)]
    pub port: Option<u16>,

    /// Connection protection: tls (implicit), starttls (required), opportunistic (upgrade when
    /// offered, warn otherwise; the default for MX delivery) or none
    #[arg(long, value_enum, value_name = "MODE")]
    pub tls: Option<TlsArg>,

    /// Certificate trust and cleartext AUTH.
    #[command(flatten)]
    pub trust: TrustArgs,

    /// Login name for AUTH (the password comes from --password-env, --password-file,
    /// --password-command, or a prompt; never from the command line)
    #[arg(long, short = 'u', value_name = "USER")]
    pub user: Option<String>,

    /// Where the password comes from.
    #[command(flatten)]
    pub password: PasswordArgs,

    /// SASL mechanism (default: PLAIN, else LOGIN, from the server's offer)
    #[arg(long, value_enum, value_name = "MECHANISM")]
    pub auth: Option<SaslArg>,

    /// DNS server for MX lookups, `IP[:PORT]` (default: the system resolver)
    #[arg(long, value_name = "IP[:PORT]")]
    pub dns_server: Option<String>,

    /// Name to give in EHLO (default: this host's name when fully qualified, else the address
    /// literal of the connection, such as [192.0.2.1])
    #[arg(long, value_name = "NAME")]
    pub ehlo: Option<String>,

    /// Seconds each reply (the greeting, every command's reply) and the TLS handshake may take
    /// in all, however slowly their bytes arrive
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub timeout: u64,

    /// Seconds to wait for a TCP connection to be accepted before trying the next address or
    /// MX (Postfix's smtp_connect_timeout is 30 s too)
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub connect_timeout: u64,

    /// DSN: when to notify the sender (NEVER, or a comma list of SUCCESS, FAILURE, DELAY)
    #[arg(long, value_name = "WHEN")]
    pub notify: Option<String>,

    /// DSN: return the full message or only headers in notifications
    #[arg(long, value_enum, value_name = "WHAT")]
    pub ret: Option<Ret>,

    /// DSN: envelope identifier quoted back in notifications
    #[arg(long, value_name = "ID")]
    pub envid: Option<String>,
}

impl RouteArgs {
    /// The flags as [`Endpoint::resolve`](crate::accounts::Endpoint::resolve) takes them.
    pub fn endpoint_flags(&self) -> crate::accounts::Flags {
        crate::accounts::Flags {
            account: self.account.clone(),
            server: self.server.clone(),
            port: self.port,
            tls: self.tls.map(Into::into),
            user: self.user.clone(),
            auth: self.auth.map(|m| crate::accounts::Auth::Sasl(m.into())),
            secret: self.password.source(),
            oauth_token_command: None,
            ca_file: self.trust.ca_file.clone(),
            insecure_skip_tls_verify: self.trust.insecure_skip_tls_verify,
            allow_cleartext_auth: self.trust.allow_cleartext_auth,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
        }
    }
}

/// What a DSN returns (RFC 3461 §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Ret {
    /// The whole message.
    Full,
    /// Its headers only.
    Hdrs,
}

const SEND_EXAMPLES: &str = "\
Examples:
  mailkit send --account work --to bob@example.org -s 'Report' --body-file report.txt
  df -h | mailkit send --server smtp.example.org --user me --password-env SMTP_PW \\
      --from me@example.org --to ops@example.org -s 'disk usage'
  mailkit send -t message.eml                  # recipients from To/Cc/Bcc, direct to their MX
  mailkit send --mbox outbox.mbox --account work --json

Exit status: 0 all accepted; 75 some recipient deferred or of unknown status (retry later);
69 some recipient rejected; 68 no such domain; 77 authentication or TLS trust refused;
76 protocol error; 65 invalid address or header.";
