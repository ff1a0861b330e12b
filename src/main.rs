//! The `mailkit` binary: parse the command line, run it, report, exit.

use std::process::ExitCode;

use clap::Parser;
use mailkit::{cli::Cli, exit, output};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match mailkit::run(&cli) {
        Ok(code) => code.into(),
        Err(err) if exit::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let code = exit::code_of(&err);
            output::error(&exit::one_line(&err));
            code.into()
        }
    }
}
