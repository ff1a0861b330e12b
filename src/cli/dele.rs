//! Arguments of `mailkit dele`.

use clap::Args;

use super::pop3::ConnectionArgs;

/// The line `mailkit --help` lists `dele` with, and the first of `mailkit dele --help`: set on
/// the variant and on this struct, since the arguments are added on demand (see
/// [`super::Command`]) and the struct's doc comment would then replace it.
pub const ABOUT: &str =
    "Delete messages from a POP3 mailbox (by UIDL or number) or an IMAP folder (by UID)";

/// Flags of `mailkit dele`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mailkit dele -A work --uidl 000001a35b2f --uidl 000001a35b30
  mailkit dele -A work 3 4 --yes
  mailkit dele -A work --uidl 000001a35b2f --dry-run
  mailkit dele -S imap.example.org -u bob --uid 4711 --dry-run
  mailkit dele -S imap.example.org -u bob --uidl 1764989233/4711 --yes

Deletions take effect only when the server acknowledges QUIT; if any DELE is refused, mailkit
sends RSET and nothing is deleted. Over IMAP: --dry-run shows each UID, UIDVALIDITY/UID and
Message-ID; the real run checks both again just before UID STORE \\Deleted and UID EXPUNGE of
exactly those UIDs. --json prints one line per message:
  {\"number\":3,\"uidl\":\"...\",\"size\":4123,\"deleted\":true}")]
#[command(about = ABOUT)]
pub struct DeleArgs {
    /// Message numbers to delete (they hold for one session only: prefer --uidl)
    #[arg(value_name = "NUMBER", required_unless_present_any = ["uidl", "uid"])]
    pub numbers: Vec<u32>,
    /// Delete the message with this UIDL (repeatable); refused if it is not on the server
    #[arg(long, value_name = "UIDL")]
    pub uidl: Vec<String>,
    /// IMAP: delete the message with this UID in the folder (repeatable); refused if it is
    /// not there
    #[arg(long, value_name = "UID")]
    pub uid: Vec<u32>,
    /// IMAP: the folder (default INBOX)
    #[arg(long, value_name = "NAME")]
    pub folder: Option<String>,
    /// IMAP: on a server without UIDPLUS, use a plain EXPUNGE (it also removes messages other
    /// clients marked \Deleted); else mailkit moves to the Trash folder or refuses
    #[arg(long)]
    pub allow_plain_expunge: bool,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Show what would be deleted and change nothing
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// How to reach the server.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}
