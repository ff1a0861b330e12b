//! `mailkit dele`.

use crate::{cli::GlobalArgs, cli::dele::DeleArgs, exit::Exit};

/// Runs `mailkit dele`.
pub fn run(_args: &DeleArgs, _global: &GlobalArgs) -> anyhow::Result<Exit> {
    crate::bail!(Exit::Software, "dele is not implemented yet")
}
