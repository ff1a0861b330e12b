//! The command-line definition (clap derive) and nothing else: flags, subcommands and their
//! help text. Each subcommand's arguments live in their own file beside this one.

pub mod dele;
pub mod fetch;
pub mod generate;
pub mod list;
pub mod parse;
pub mod pop3;
pub mod queue;
pub mod resolve;
pub mod security;
pub mod send;
pub mod serve;
pub mod values;

use clap::{Args, Parser, Subcommand};

/// mailkit: send, fetch, resolve and inspect mail from the command line.
#[derive(Debug, Parser)]
#[command(
    name = "mailkit",
    version,
    about = "Send (SMTP, with a retrying queue), fetch (POP3, IMAP), serve, resolve (DNS) and inspect (MIME) mail from the command line",
    propagate_version = true,
    max_term_width = 100,
    after_help = "Results go to stdout, diagnostics to stderr. Exit codes: see the EXIT STATUS section of mailkit(1)."
)]
pub struct Cli {
    /// Flags every subcommand accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags shared by every subcommand.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print results as JSON (one document per result; JSON Lines for streams)
    #[arg(long, global = true)]
    pub json: bool,
    /// Show the protocol transcript on stderr (secrets redacted)
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send mail over SMTP: compose or pass a raw message, via a relay or direct to the MX
    Send(send::SendArgs),
    /// Download messages over POP3 or IMAP to a Maildir, an mbox or stdout, never losing one
    Fetch(fetch::FetchArgs),
    /// List the messages of a POP3 mailbox or IMAP folders (or the folders) without changing them
    List(list::ListArgs),
    /// Delete messages from a POP3 mailbox (by UIDL or number) or an IMAP folder (by UID)
    Dele(dele::DeleArgs),
    /// Query DNS like dig, and explain where mail for a domain goes
    Resolve(resolve::ResolveArgs),
    /// The outgoing queue: list, deliver (run, flush), show, remove, hold, release, retry
    Queue(queue::QueueArgs),
    /// Inspect raw messages, mbox files and Maildirs: headers, MIME tree, attachments
    Parse(parse::ParseArgs),
    /// Run a local mail server to try and test mail with: SMTP in, POP3 and IMAP out, a web
    /// view; `--demo` shows alice's message reaching bob through it
    Serve(serve::ServeArgs),
    /// Write shell completions and man pages (for packagers and the repository)
    #[command(hide = true)]
    Generate(generate::GenerateArgs),
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use clap::CommandFactory;

    use super::Cli;

    /// Every short flag and the long flags it stands for, across every subcommand.
    fn shorts() -> BTreeMap<char, Vec<String>> {
        let mut map: BTreeMap<char, Vec<String>> = BTreeMap::new();
        let cli = Cli::command();
        let mut commands = vec![&cli];
        let mut next = 0;
        while let Some(command) = commands.get(next).copied() {
            commands.extend(command.get_subcommands());
            next += 1;
        }
        for command in commands {
            for arg in command.get_arguments() {
                if let (Some(short), Some(long)) = (arg.get_short(), arg.get_long()) {
                    let longs = map.entry(short).or_default();
                    if !longs.iter().any(|l| l == long) {
                        longs.push(long.to_string());
                    }
                }
            }
        }
        map
    }

    #[test]
    fn pop3_commands_do_not_offer_opportunistic_tls() {
        let cli = Cli::command();
        for name in ["fetch", "list", "dele"] {
            let command = cli.find_subcommand(name).unwrap();
            let tls = command
                .get_arguments()
                .find(|a| a.get_long() == Some("tls"))
                .unwrap();
            let values: Vec<String> = tls
                .get_possible_values()
                .iter()
                .map(|v| v.get_name().to_string())
                .collect();
            assert_eq!(values, ["tls", "starttls", "none"], "{name}");
        }
    }

    #[test]
    fn the_connection_shorts_mean_one_thing_everywhere() {
        let shorts = shorts();
        for (short, long) in [
            ('A', "account"),
            ('S', "server"),
            ('u', "user"),
            ('a', "attach"),
        ] {
            assert_eq!(shorts[&short], [long], "-{short}");
        }
        assert_eq!(shorts[&'s'], ["subject"]);
    }

    #[test]
    fn every_short_flag_means_one_thing_in_every_command() {
        let ambiguous: Vec<String> = shorts()
            .into_iter()
            .filter(|(_, longs)| longs.len() > 1)
            .map(|(short, longs)| format!("-{short}: --{}", longs.join(", --")))
            .collect();
        assert!(ambiguous.is_empty(), "{ambiguous:#?}");
    }
}
