//! A private, already-unlinked temporary file: `fetch --stdout` spools the message there and
//! copies it out only once it is complete, so a truncated message never reaches stdout and
//! memory does not grow with the message size.

use std::{
    fs::{File, OpenOptions},
    io::{self, Seek, SeekFrom},
    os::unix::fs::OpenOptionsExt,
    time::{SystemTime, UNIX_EPOCH},
};

/// Creates the spool file in the temporary directory, mode 0600, and unlinks it at once.
pub fn create() -> io::Result<File> {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let path = std::env::temp_dir().join(format!(".mailkit-spool-{}-{stamp}", std::process::id()));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

/// Copies the whole spool file into `out`.
pub fn copy_out(file: &mut File, out: &mut impl io::Write) -> io::Result<u64> {
    file.seek(SeekFrom::Start(0))?;
    io::copy(file, out)
}
