//! `mailkit fetch`.

use crate::{cli::GlobalArgs, cli::fetch::FetchArgs, exit::Exit};

/// Runs `mailkit fetch`.
pub fn run(_args: &FetchArgs, _global: &GlobalArgs) -> anyhow::Result<Exit> {
    crate::bail!(Exit::Software, "fetch is not implemented yet")
}
