//! Arguments of `mailkit dele`.

use clap::Args;

/// Flags of `mailkit dele`.
#[derive(Debug, Args)]
pub struct DeleArgs {}
