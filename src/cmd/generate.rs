//! `mailkit generate`: shell completions and man pages from the clap definition, so they can
//! never disagree with the binary (a test regenerates them and compares with the committed
//! copies).

use std::{fs, io::Write, path::Path};

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::{cli::Cli, cli::generate::GenerateArgs, exit};

/// Writes `completions/` and `man/` under the output directory.
pub fn run(args: &GenerateArgs) -> anyhow::Result<exit::Exit> {
    let completions = args.out_dir.join("completions");
    let man = args.out_dir.join("man");
    for dir in [&completions, &man] {
        fs::create_dir_all(dir)
            .map_err(|err| exit::Failure::new(exit::Kind::CantCreate, err))
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut command = Cli::command();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        clap_complete::generate_to(shell, &mut command, "mailkit", &completions)
            .with_context(|| format!("writing {shell} completions"))?;
    }
    write_man_pages(&man)
}

fn write_man_pages(dir: &Path) -> anyhow::Result<exit::Exit> {
    let mut command = Cli::command();
    command.build();
    // clap's `help` subcommand has no page of its own: do not list a mailkit-help(1).
    let command = command.mut_subcommand("help", |help| help.hide(true));
    let visible: Vec<&clap::Command> = command
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set())
        .collect();
    let man = clap_mangen::Man::new(command.clone());
    let mut page = render_page(&man, true)?;
    write_environment(&mut page, "")?;
    man.render_version_section(&mut page)?;
    let see_also: Vec<String> = visible
        .iter()
        .map(|sub| format!("mailkit-{}(1)", sub.get_name()))
        .collect();
    writeln!(page, ".SH \"SEE ALSO\"\n{}", see_also.join(", "))?;
    write_file(&dir.join("mailkit.1"), &page)?;

    for sub in visible {
        let name = format!("mailkit-{}", sub.get_name());
        let command_name = sub.get_name().to_string();
        let sub = sub.clone().name(name.clone()).bin_name(&name);
        let mut page = render_page(&clap_mangen::Man::new(sub), false)?;
        write_environment(&mut page, &command_name)?;
        writeln!(page, ".SH \"SEE ALSO\"\nmailkit(1)")?;
        write_file(&dir.join(format!("{name}.1")), &page)?;
    }
    Ok(exit::Exit::Success)
}

/// The FILES and ENVIRONMENT sections of `command`'s page (`""`: the top-level page, which
/// lists everything): the files mailkit reads and writes, and every variable it honours.
fn write_environment(page: &mut Vec<u8>, command: &str) -> std::io::Result<()> {
    let all = command.is_empty();
    let accounts = all || ["send", "fetch", "list", "dele"].contains(&command);
    let state = all || command == "fetch";
    let queue = all || command == "queue" || command == "send";
    let resolv = all || command == "resolve" || command == "send";
    let mut files = Vec::new();
    if accounts {
        files.push((
            "$XDG_CONFIG_HOME/mailkit/accounts.toml",
            "The accounts file (default ~/.config/mailkit/accounts.toml; $MAILKIT_ACCOUNTS names \
             another): per account, server, port, TLS mode, user and where the password comes \
             from (password_env, password_file, password_command), never the password itself.",
        ));
    }
    if state {
        files.push((
            "$XDG_STATE_HOME/mailkit/uidl/[ACCOUNT+]USER@HOST:PORT",
            "The UIDLs fetch has saved, per mailbox, for --new (default under \
             ~/.local/state; --state-file names another). Locked while a fetch runs.",
        ));
    }
    if resolv {
        files.push((
            "/etc/resolv.conf",
            "The DNS servers asked when no --server (resolve) or --dns-server (send) is given.",
        ));
    }
    if !files.is_empty() {
        writeln!(page, ".SH FILES")?;
        for (path, what) in files {
            writeln!(page, ".TP\n\\fI{}\\fR\n{what}", roff_escape(path))?;
        }
    }
    let mut vars = Vec::new();
    if accounts {
        vars.extend([
            (
                "MAILKIT_ACCOUNTS",
                "The accounts file to use instead of the default one.",
            ),
            (
                "MAILKIT_PASSWORD",
                "The password, when no --password-env, --password-file, --password-command or \
                 account source gives one (better than a prompt in scripts; never on the command \
                 line).",
            ),
            (
                "MAILKIT_OAUTH_TOKEN",
                "The OAuth 2 access token for --auth xoauth2, when no --oauth-token-command or \
                 account source gives one.",
            ),
            (
                "XDG_CONFIG_HOME",
                "Where the accounts file is looked for (default ~/.config).",
            ),
        ]);
    }
    if state || queue {
        vars.push((
            "XDG_STATE_HOME",
            match (state, queue) {
                (true, true) => {
                    "Where fetch keeps its UIDL state and the queue lives (default ~/.local/state)."
                }
                (true, false) => "Where fetch keeps its UIDL state (default ~/.local/state).",
                _ => "Where the queue lives (default ~/.local/state).",
            },
        ));
    }
    if queue {
        vars.push((
            "MAILKIT_QUEUE",
            "The queue directory, when no --queue-dir is given (default \
             $XDG_STATE_HOME/mailkit/queue).",
        ));
    }
    if accounts || state || queue {
        vars.push(("HOME", "The base of the defaults above."));
    }
    if !vars.is_empty() {
        writeln!(page, ".SH ENVIRONMENT")?;
        for (var, what) in vars {
            writeln!(page, ".TP\n\\fB{var}\\fR\n{what}")?;
        }
    }
    Ok(())
}

/// A path for roff: `-` is a hyphen there, and a leading `.` or `'` a request.
fn roff_escape(text: &str) -> String {
    text.replace('-', "\\-")
}

/// The sections the top-level page and every command's page share, through EXIT STATUS;
/// `subcommands` adds the list of commands, which only the top-level page has.
fn render_page(man: &clap_mangen::Man, subcommands: bool) -> std::io::Result<Vec<u8>> {
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    if subcommands {
        man.render_subcommands_section(&mut page)?;
    }
    man.render_extra_section(&mut page)?;
    write_exit_status(&mut page)?;
    Ok(page)
}

/// The exit-code table, from the same constant the code uses.
fn write_exit_status(page: &mut Vec<u8>) -> std::io::Result<()> {
    writeln!(page, ".SH \"EXIT STATUS\"")?;
    for (code, meaning) in exit::TABLE {
        writeln!(page, ".TP\n\\fB{}\\fR\n{meaning}", code.code())?;
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    fs::write(path, bytes)
        .map_err(|err| exit::Failure::new(exit::Kind::CantCreate, err))
        .with_context(|| format!("writing {}", path.display()))
}
