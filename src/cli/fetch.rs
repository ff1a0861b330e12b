//! Arguments of `mailkit fetch`.

use std::path::PathBuf;

use clap::{ArgGroup, Args};

use super::pop3::ConnectionArgs;

/// The line `mailkit --help` lists `fetch` with, and the first of `mailkit fetch --help`: set on
/// the variant and on this struct, since the arguments are added on demand (see
/// [`super::Command`]) and the struct's doc comment would then replace it.
pub const ABOUT: &str =
    "Download messages over POP3 or IMAP to a Maildir, an mbox or stdout, never losing one";

/// Flags of `mailkit fetch`.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("target").required(true).args(["maildir", "mbox", "stdout"])),
    after_help = "Examples:
  mailkit fetch -A work --maildir ~/Mail/inbox --new
  mailkit fetch -A work --mbox ~/mail.mbox --delete
  mailkit fetch -A work --stdout --uidl 000001a35b2f | mailkit parse -
  mailkit fetch -A work --maildir ~/Mail/inbox -i
  mailkit fetch -S imap.example.org -u bob --folder INBOX --new --maildir ~/Mail/inbox
  mailkit fetch -S imap.example.org -u bob --new --move-to Archive --maildir ~/Mail/inbox
  mailkit fetch -S imap.example.org -u bob --watch --maildir ~/Mail/inbox

Order of work, so no message is ever lost: each batch is written to tmp/, synced (one syncfs), linked
into new/, the directory fsynced, the UIDLs recorded in the state file (fsynced); only then
are the batch's messages deleted (with --delete), and QUIT comes last. A kill at any point
leaves every message on the server or complete in the Maildir; a rerun may fetch a
duplicate, never leave a gap. Over IMAP the same order holds, messages are named by UID
(reading uses BODY.PEEK, so nothing is marked read unless --mark-seen), deleting is UID STORE
\\Deleted then UID EXPUNGE of exactly those UIDs, and the state per folder survives a change
of UIDVALIDITY (messages are matched by Message-ID and size; mailkit says what it did).

--json prints one line per message:
  {\"number\":1,\"uidl\":\"...\",\"size\":4123,\"saved_to\":\"/path\",\"deleted\":false,\"skipped\":null}"
)]
#[command(about = ABOUT)]
pub struct FetchArgs {
    /// Message numbers to fetch (numbers hold for one session only; prefer --uidl)
    #[arg(value_name = "NUMBER")]
    pub numbers: Vec<u32>,
    /// Fetch the message with this UIDL (repeatable)
    #[arg(long, value_name = "UIDL")]
    pub uidl: Vec<String>,
    /// Fetch only messages whose UIDL is not in the state file (seen before with another
    /// size counts as new)
    #[arg(long, short = 'N', conflicts_with_all = ["numbers", "uidl"])]
    pub new: bool,
    /// Deliver into this Maildir (created if missing)
    #[arg(long, short = 'm', value_name = "DIR")]
    pub maildir: Option<PathBuf>,
    /// Append to this mbox file (mboxrd quoting, locked while writing)
    #[arg(long, value_name = "FILE")]
    pub mbox: Option<PathBuf>,
    /// Write one message to stdout, bytes unchanged (CRLF line ends as received)
    #[arg(long)]
    pub stdout: bool,
    /// Delete each message from the server once it is safely on disk
    #[arg(long, short = 'd', conflicts_with = "stdout")]
    pub delete: bool,
    /// Skip messages larger than this many bytes (suffixes k, M, G)
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
    /// Pick the messages to fetch and to delete interactively (needs a terminal)
    #[arg(long, short = 'i', conflicts_with_all = ["numbers", "uidl", "new", "stdout"])]
    pub interactive: bool,
    /// The seen-UIDL state file (default: $XDG_STATE_HOME/mailkit/uidl/[account+]user@host:port)
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
    /// Messages per group commit (one directory fsync and one state write per batch;
    /// default 1024)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: Option<u32>,
    /// IMAP: the folder to fetch from (repeatable; default INBOX)
    #[arg(long, value_name = "NAME")]
    pub folder: Vec<String>,
    /// IMAP: move each message to this folder once it is safely on disk (MOVE, else COPY,
    /// \Deleted and UID EXPUNGE)
    #[arg(long, value_name = "FOLDER", conflicts_with_all = ["delete", "stdout"])]
    pub move_to: Option<String>,
    /// IMAP: flag fetched messages \Seen (by default fetching changes nothing on the server)
    #[arg(long)]
    pub mark_seen: bool,
    /// IMAP: stay connected and fetch new messages as they arrive (IDLE, else NOOP polling),
    /// until SIGINT or SIGTERM; implies --new
    #[arg(long, conflicts_with_all = ["numbers", "uidl", "stdout", "interactive"])]
    pub watch: bool,
    /// IMAP: on a server without UIDPLUS, delete with a plain EXPUNGE, which also removes
    /// messages other clients marked \Deleted (else mailkit moves to the Trash folder or
    /// refuses)
    #[arg(long)]
    pub allow_plain_expunge: bool,
    /// How to reach the server.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// A byte count with an optional k/M/G suffix (powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let shift = match unit {
        "" => 0,
        "k" | "K" => 10,
        "m" | "M" => 20,
        "g" | "G" => 30,
        _ => return Err(format!("unknown size suffix {unit:?} (use k, M or G)")),
    };
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("not a size: {text:?}"))?;
    value
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("size too large: {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_with_suffixes() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("2k"), Ok(2048));
        assert_eq!(parse_size("3M"), Ok(3 << 20));
        assert!(parse_size("1T").is_err());
        assert!(parse_size("k").is_err());
        assert!(parse_size("99999999999G").is_err());
    }
}
