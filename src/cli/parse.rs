//! Arguments of `mailkit parse`.

use std::path::PathBuf;

use clap::{ArgGroup, Args};

/// The line `mailkit --help` lists `parse` with, and the first of `mailkit parse --help`: set on
/// the variant and on this struct, since the arguments are added on demand (see
/// [`super::Command`]) and the struct's doc comment would then replace it.
pub const ABOUT: &str =
    "Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments";

/// Flags of `mailkit parse`. With none of the view flags, shows the key headers, the MIME
/// tree, the Received hops and any warnings for each message.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("view").args(["headers", "header", "part", "text", "extract", "received", "tree"])),
    after_help = "Part ids: 1 is the message; the n-th child of part P is P.n; the message inside a \
message/rfc822 part P is P.1.\n\nExit status: 0 shown; 1 a header or part asked for is absent; \
65 not a message (empty, binary); 66 an input is missing or unreadable; 73 an attachment \
could not be created."
)]
#[command(about = ABOUT)]
pub struct ParseArgs {
    /// Message files, mbox files (detected by a leading "From " line), Maildir directories, or
    /// "-" for stdin (the default when stdin is not a terminal)
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Only the N-th message (1-based) of each mbox or Maildir
    #[arg(short = 'M', long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub message: Option<u64>,

    /// Print every header, decoded (RFC 2047 words, RFC 2231 parameters, charsets), one per line
    #[arg(short = 'H', long)]
    pub headers: bool,

    /// Print the decoded value of one header (each occurrence on its own line); exit 1 if absent
    #[arg(short = 'g', long, value_name = "NAME")]
    pub header: Option<String>,

    /// Write the decoded content of part ID to stdout, bytes unchanged; exit 1 if absent
    #[arg(short, long, value_name = "ID")]
    pub part: Option<String>,

    /// Print the best text body: text/plain, else HTML converted to text
    #[arg(short = 'T', long)]
    pub text: bool,

    /// Save attachments into DIR under safe names, never overwriting, and print where each went
    #[arg(short = 'X', long, value_name = "DIR")]
    pub extract: Option<PathBuf>,

    /// Print the Received chain as a table of hops, oldest first, with the delay between hops
    #[arg(short, long)]
    pub received: bool,

    /// Print only the MIME tree, as the default view shows it (like mblaze's `mshow -t`)
    #[arg(long)]
    pub tree: bool,
}
