//! Arguments of `mailkit send`.

use clap::Args;

/// Flags of `mailkit send`.
#[derive(Debug, Args)]
pub struct SendArgs {}
