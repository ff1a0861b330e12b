//! Arguments of `mailkit list`.

use clap::Args;

/// Flags of `mailkit list`.
#[derive(Debug, Args)]
pub struct ListArgs {}
