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

/// The subcommands. Each one's arguments are added only when it is the one being run (`defer`):
/// building every subcommand's arguments was a third of the page faults of one `send`.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// `mailkit send`: [`send::ABOUT`].
    #[command(about = send::ABOUT)]
    Send(send::SendArgs),
    /// `mailkit fetch`: [`fetch::ABOUT`].
    #[command(about = fetch::ABOUT)]
    Fetch(fetch::FetchArgs),
    /// `mailkit list`: [`list::ABOUT`].
    #[command(about = list::ABOUT)]
    List(list::ListArgs),
    /// `mailkit dele`: [`dele::ABOUT`].
    #[command(about = dele::ABOUT)]
    Dele(dele::DeleArgs),
    /// `mailkit resolve`: [`resolve::ABOUT`].
    #[command(about = resolve::ABOUT)]
    Resolve(resolve::ResolveArgs),
    /// `mailkit queue`: [`queue::ABOUT`].
    #[command(about = queue::ABOUT)]
    Queue(queue::QueueArgs),
    /// `mailkit parse`: [`parse::ABOUT`].
    #[command(about = parse::ABOUT)]
    Parse(parse::ParseArgs),
    /// `mailkit serve`: [`serve::ABOUT`].
    #[command(about = serve::ABOUT)]
    Serve(serve::ServeArgs),
    /// `mailkit generate`: [`generate::ABOUT`].
    #[command(about = generate::ABOUT)]
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
        let mut cli = Cli::command();
        cli.build();
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
        let mut cli = Cli::command();
        cli.build();
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
