//! Arguments of `mailkit resolve`.

use clap::Args;

/// Flags of `mailkit resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {}
