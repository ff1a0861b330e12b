//! Arguments of the hidden `generate` subcommand.

use std::path::PathBuf;

use clap::Args;

/// The line `mailkit --help` lists `generate` with, and the first of `mailkit generate --help`: set on
/// the variant and on this struct, since the arguments are added on demand (see
/// [`super::Command`]) and the struct's doc comment would then replace it.
pub const ABOUT: &str = "Write shell completions and man pages (for packagers and the repository)";

/// Where to write the generated files.
#[derive(Debug, Args)]
#[command(about = ABOUT)]
pub struct GenerateArgs {
    /// Directory that receives `completions/` and `man/`
    #[arg(long, default_value = ".")]
    pub out_dir: PathBuf,
}
