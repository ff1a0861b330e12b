//! Arguments of `mailkit parse`.

use clap::Args;

/// Flags of `mailkit parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {}
