//! `mailkit resolve`.

use crate::{cli::GlobalArgs, cli::resolve::ResolveArgs, exit::Exit};

/// Runs `mailkit resolve`.
pub fn run(_args: &ResolveArgs, _global: &GlobalArgs) -> anyhow::Result<Exit> {
    crate::bail!(Exit::Software, "resolve is not implemented yet")
}
