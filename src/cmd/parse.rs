//! `mailkit parse`.

use crate::{cli::GlobalArgs, cli::parse::ParseArgs, exit::Exit};

/// Runs `mailkit parse`.
pub fn run(_args: &ParseArgs, _global: &GlobalArgs) -> anyhow::Result<Exit> {
    crate::bail!(Exit::Software, "parse is not implemented yet")
}
