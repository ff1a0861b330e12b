//! `mailkit list`.

use crate::{cli::GlobalArgs, cli::list::ListArgs, exit::Exit};

/// Runs `mailkit list`.
pub fn run(_args: &ListArgs, _global: &GlobalArgs) -> anyhow::Result<Exit> {
    crate::bail!(Exit::Software, "list is not implemented yet")
}
