//! Arguments of `mailkit fetch`.

use clap::Args;

/// Flags of `mailkit fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {}
