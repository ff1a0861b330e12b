//! Arguments of the hidden `generate` subcommand.

use std::path::PathBuf;

use clap::Args;

/// Where to write the generated files.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory that receives `completions/` and `man/`
    #[arg(long, default_value = ".")]
    pub out_dir: PathBuf,
}
