//! Arguments of `mailkit list`.

use clap::Args;

use super::pop3::ConnectionArgs;

/// The line `mailkit --help` lists `list` with, and the first of `mailkit list --help`: set on
/// the variant and on this struct, since the arguments are added on demand (see
/// [`super::Command`]) and the struct's doc comment would then replace it.
pub const ABOUT: &str =
    "List the messages of a POP3 mailbox or IMAP folders (or the folders) without changing them";

/// Flags of `mailkit list`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mailkit list -A work
  mailkit list -S pop.example.org -u bob --headers
  mailkit list -A work --json | jq -r .uidl
  mailkit list -S imap.example.org -u bob --folders
  mailkit list -S imap.example.org -u bob --folder Archive

Never changes the mailbox (IMAP folders are opened with EXAMINE). Over IMAP each row is UID,
flags, internal date, size, From and Subject; with --folders, name, messages, unseen,
attributes. --json prints one line per message:
  {\"number\":1,\"uidl\":\"...\",\"size\":4123,\"from\":\"...\",\"subject\":\"...\",\"date\":\"...\"}")]
#[command(about = ABOUT)]
pub struct ListArgs {
    /// Also show From, Subject and Date (one TOP n 0 per message)
    #[arg(long, short = 'H')]
    pub headers: bool,
    /// IMAP: the folder to list (repeatable; default INBOX)
    #[arg(long, value_name = "NAME")]
    pub folder: Vec<String>,
    /// IMAP: list the folders with their message and unseen counts (STATUS) instead
    #[arg(long, conflicts_with_all = ["folder", "headers"])]
    pub folders: bool,
    /// How to reach the server.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}
