//! Arguments of `mailkit serve`.

use std::{net::SocketAddr, path::PathBuf};

use clap::Args;

use crate::serve::faults::Stage;

/// The line `mailkit --help` lists `serve` with, and the first of `mailkit serve --help`: set on
/// the variant and on this struct, since the arguments are added on demand (see
/// [`super::Command`]) and the struct's doc comment would then replace it.
pub const ABOUT: &str = "Run a local mail server to try and test mail with: SMTP in, POP3 and IMAP out, a web view; `--demo` shows alice's message reaching bob through it";

/// Flags of `mailkit serve`.
#[derive(Debug, Args)]
#[command(after_long_help = SERVE_EXAMPLES)]
#[command(about = ABOUT)]
pub struct ServeArgs {
    /// Show mailkit's main job and exit: start a server on loopback (temporary data, free
    /// ports), send a message from alice to bob through it with `mailkit send -v`, fetch it
    /// back from bob's mailbox with `mailkit fetch -v` over POP3, print it
    #[arg(long)]
    pub demo: bool,

    /// SMTP listener, ADDRESS:PORT or `off`
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:2525", value_parser = parse_listen)]
    pub smtp: Listen,

    /// POP3 listener, ADDRESS:PORT or `off`
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:1110", value_parser = parse_listen)]
    pub pop3: Listen,

    /// IMAP listener, ADDRESS:PORT or `off`
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:1143", value_parser = parse_listen)]
    pub imap: Listen,

    /// HTTP listener (JSON API under /api/ and the web page), ADDRESS:PORT or `off`
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8025", value_parser = parse_listen)]
    pub http: Listen,

    /// Data directory: mailboxes (a Maildir per address) and the generated certificate
    /// (default: $XDG_STATE_HOME/mailkit/serve)
    #[arg(long, value_name = "DIR", conflicts_with = "ephemeral")]
    pub data: Option<PathBuf>,

    /// Keep everything in a temporary directory removed at exit
    #[arg(long)]
    pub ephemeral: bool,

    /// The server's name in greetings and Received lines
    #[arg(long, value_name = "NAME", default_value = "localhost")]
    pub hostname: String,

    /// Accounts file, one `address:password` per line: only these log in (POP3, IMAP, SMTP
    /// AUTH). Without it any password opens any mailbox, and only loopback addresses are
    /// allowed
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,

    /// Offer SMTP AUTH and accept any credentials
    #[arg(long)]
    pub accept_any_auth: bool,

    /// TLS certificate chain (PEM) instead of the generated self-signed one
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,

    /// TLS private key (PEM) for --cert
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,

    /// Largest message accepted (SMTP SIZE; suffixes k, M, G)
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = super::fetch::parse_size)]
    pub max_size: u64,

    /// Connections served at once; more get a try-again-later reply
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_connections: usize,

    /// Fault plan (TOML): per SMTP stage a reply, probability, delay or drop; seed; IMAP
    /// UIDVALIDITY bumps. See the README
    #[arg(long, value_name = "FILE", help_heading = "Faults")]
    pub faults: Option<PathBuf>,

    /// A fault, STAGE=CODE[:PROBABILITY] (e.g. rcpt=451, dot=554:0.3), or STAGE=drop;
    /// stages: connect, greeting, mail, rcpt, data, dot; repeatable
    #[arg(long, value_name = "STAGE=CODE", value_parser = parse_fault, help_heading = "Faults")]
    pub fault: Vec<(Stage, String, Option<f64>)>,

    /// Seed of the fault generator (the same seed gives the same sequence)
    #[arg(long, value_name = "N", help_heading = "Faults")]
    pub seed: Option<u64>,
}

/// A listener address, or none.
pub type Listen = Option<SocketAddr>;

fn parse_listen(text: &str) -> Result<Listen, String> {
    if text == "off" {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| {
        format!("{text:?} is not ADDRESS:PORT (such as 127.0.0.1:2525 or [::1]:2525) or off")
    })
}

fn parse_fault(text: &str) -> Result<(Stage, String, Option<f64>), String> {
    let (stage, action) = text
        .split_once('=')
        .ok_or("expected STAGE=CODE or STAGE=drop")?;
    let stage = <Stage as clap::ValueEnum>::from_str(stage, true).map_err(|_| {
        format!("unknown stage {stage:?} (connect, greeting, mail, rcpt, data, dot)")
    })?;
    let (action, probability) = match action.split_once(':') {
        Some((a, p)) => {
            let p: f64 = p
                .parse()
                .map_err(|_| format!("{p:?} is not a probability"))?;
            (a, Some(p))
        }
        None => (action, None),
    };
    Ok((stage, action.to_string(), probability))
}

const SERVE_EXAMPLES: &str = "\
Examples:
  mailkit serve --demo                     # see alice's message reach bob, then exit
  mailkit serve                            # SMTP :2525, POP3 :1110, IMAP :1143, web :8025
  mailkit serve --ephemeral --fault rcpt=451:0.5 --seed 7
  mailkit fetch -s 127.0.0.1:1110 --tls starttls --ca-file ~/.local/state/mailkit/serve/cert.pem \\
      -u bob@example.test --password-env ANY --stdout 1

Stops on Ctrl-C or SIGTERM after the deliveries in progress are durable; every message is
fsynced before its 250, so even a crash loses nothing that was accepted.";
