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
    let man = clap_mangen::Man::new(command.clone());
    let mut page = render_page(&man, true)?;
    man.render_version_section(&mut page)?;
    write_file(&dir.join("mailkit.1"), &page)?;

    let visible = command
        .get_subcommands()
        .filter(|sub| !sub.is_hide_set() && sub.get_name() != "help");
    for sub in visible {
        let name = format!("mailkit-{}", sub.get_name());
        let sub = sub.clone().name(name.clone()).bin_name(&name);
        let mut page = render_page(&clap_mangen::Man::new(sub), false)?;
        writeln!(page, ".SH \"SEE ALSO\"\nmailkit(1)")?;
        write_file(&dir.join(format!("{name}.1")), &page)?;
    }
    Ok(exit::Exit::Success)
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
