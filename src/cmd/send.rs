//! `mailkit send`.

use crate::{cli::GlobalArgs, cli::send::SendArgs, exit::Exit};

/// Runs `mailkit send`.
pub fn run(_args: &SendArgs, _global: &GlobalArgs) -> anyhow::Result<Exit> {
    crate::bail!(Exit::Software, "send is not implemented yet")
}
