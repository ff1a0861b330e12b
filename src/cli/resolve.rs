//! Arguments of `mailkit resolve`.

use std::{net::IpAddr, path::PathBuf};

use clap::Args;

/// The line `mailkit --help` lists `resolve` with, and the first of `mailkit resolve --help`: set on
/// the variant and on this struct, since the arguments are added on demand (see
/// [`super::Command`]) and the struct's doc comment would then replace it.
pub const ABOUT: &str = "Query DNS like dig, and explain where mail for a domain goes";

/// Flags of `mailkit resolve`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mailkit resolve hamburger.test MX
  mailkit resolve @127.53.0.3 hamburger.test MX TXT --norecurse
  mailkit resolve -x 127.25.0.1
  mailkit resolve hamburger.test --check
  mailkit resolve mx1.hamburger.test A --trace --root-hints ./root.hints
  mailkit resolve --batch names.txt --json

Exit status: 0 answer; 1 NXDOMAIN or NODATA; 2 bad name or usage; 75 SERVFAIL, REFUSED or \
timeout; 76 malformed reply. With several queries the worst status wins.")]
#[command(about = ABOUT)]
pub struct ResolveArgs {
    /// `[@SERVER] NAME [TYPE...]`, as dig takes them: a word starting with `@` picks the server
    /// (IP, IP:PORT or [IPv6]:PORT); the first other word is the name; the rest are record
    /// types (A, AAAA, MX, CNAME, NS, TXT, SOA, PTR, SRV, CAA, TLSA, any other mnemonic or
    /// TYPEnnn). Default type: A (PTR with -x, MX with --check)
    #[arg(value_name = "ARGS")]
    pub args: Vec<String>,

    /// Server to ask instead of those of /etc/resolv.conf: IP, IP:PORT or [IPv6]:PORT
    /// (repeatable: asked in order)
    #[arg(short = 'S', long = "server", value_name = "ADDR")]
    pub servers: Vec<String>,

    /// Reverse lookup: the PTR record of this IPv4 or IPv6 address
    #[arg(
        short = 'x',
        long = "reverse",
        value_name = "IP",
        conflicts_with = "batch"
    )]
    pub reverse: Option<IpAddr>,

    /// Query over TCP instead of UDP (UDP answers that come back truncated are retried over
    /// TCP anyway)
    #[arg(long)]
    pub tcp: bool,

    /// Clear the RD bit: ask the server only for what it holds itself
    #[arg(long)]
    pub norecurse: bool,

    /// Seconds to wait for each reply
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub timeout: f64,

    /// Times to send each query to a server before giving up on it
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub attempts: u32,

    /// Print only the record data of the answers, one per line
    #[arg(long, conflicts_with_all = ["check", "trace"])]
    pub short: bool,

    /// Resolve iteratively from the root servers, printing each referral with the server
    /// asked and its time (RD cleared)
    #[arg(long, conflicts_with_all = ["check", "batch"])]
    pub trace: bool,

    /// Root servers for --trace: a root hints file (zone-file format, as named.root), or
    /// comma-separated addresses. Default: the real root servers
    #[arg(long, value_name = "FILE|ADDRS", requires = "trace")]
    pub root_hints: Option<String>,

    /// Explain mail routing for the domain: MX hosts in the order a sender tries them with
    /// their addresses and TTLs, and findings (null MX, implicit MX, MX target that is a
    /// CNAME or an IP literal, target without address, lame or unreachable name servers,
    /// NXDOMAIN)
    #[arg(long, conflicts_with = "batch")]
    pub check: bool,

    /// Resolve the names in FILE (`-` for stdin), one `NAME [TYPE...]` per line (`#`
    /// comments), concurrently; results are printed one per line in input order (JSON Lines
    /// with --json). Types on the command line are the default for lines without one
    #[arg(long, value_name = "FILE|-")]
    pub batch: Option<PathBuf>,

    /// Queries in flight at once in --batch mode (more than the server's socket buffer holds
    /// only makes it drop queries)
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096), requires = "batch")]
    pub concurrency: u32,
}
