//! Safe file names for attachments, and saving without ever overwriting.
//!
//! A file name in a message is attacker-controlled: `../../.bashrc`, `/etc/passwd`,
//! `..\..\x.bat`, an RFC 2231 `filename*=UTF-8''..%2F..%2Fx` that decodes to a path, control
//! characters that rewrite the terminal, bidi overrides that disguise `gnp.exe` as `exe.png`,
//! or a name longer than the file system allows. Only a plain, bounded basename survives.

use std::{
    fs::{self, OpenOptions},
    io::{self, Write},
    path::{Path, PathBuf},
};

use crate::{
    exit::{Failure, Kind},
    output::is_unsafe,
};

/// Longest name written, in bytes: below every common file system's 255-byte limit, leaving
/// room for a ` (NNN)` suffix.
pub const MAX_NAME_BYTES: usize = 200;

/// How many ` (n)` alternatives are tried before giving up on a name.
const MAX_ALTERNATIVES: usize = 10_000;

/// Why an attachment could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The output directory cannot be created.
    #[error("creating directory {dir}: {source}")]
    Dir {
        /// The directory.
        dir: String,
        /// The underlying failure.
        source: io::Error,
    },
    /// A file cannot be created (other than because it exists).
    #[error("creating {path}: {source}")]
    Create {
        /// The file.
        path: String,
        /// The underlying failure.
        source: io::Error,
    },
    /// Writing the content failed (disk full).
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The underlying failure.
        source: io::Error,
    },
    /// Every `name (n).ext` up to the limit exists already.
    #[error("no free file name for {name} in {dir}")]
    NoFreeName {
        /// The attachment's safe name.
        name: String,
        /// The directory.
        dir: String,
    },
}

impl SaveError {
    /// Output that cannot be created, or a failed write (disk full): local I/O kinds.
    pub fn kind(&self) -> Kind {
        match self {
            SaveError::Write { .. } => Kind::LocalIo,
            _ => Kind::CantCreate,
        }
    }
}

impl From<SaveError> for Failure {
    fn from(err: SaveError) -> Failure {
        Failure::new(err.kind(), err)
    }
}

/// A safe file name from an untrusted one: the last path component (both `/` and `\` count
/// as separators), unsafe characters replaced by `_`, runs of dots collapsed so `..` cannot
/// appear, no leading dot (no hidden files) or trailing dot/space, at most
/// [`MAX_NAME_BYTES`] bytes with the extension kept. `fallback` is used when nothing is left.
pub fn safe_name(untrusted: &str, fallback: &str) -> String {
    let base = untrusted.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name = String::with_capacity(base.len());
    for c in base.chars() {
        let c = if is_unsafe(c) { '_' } else { c };
        if c == '.' && name.ends_with('.') {
            continue;
        }
        name.push(c);
    }
    let name = name
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    let name = if name.is_empty() || name.chars().all(|c| c == '_') {
        fallback
    } else {
        name
    };
    truncate(name, MAX_NAME_BYTES)
}

/// Cuts `name` to `max` bytes on a character boundary, keeping a short extension.
fn truncate(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= 16 => name.split_at(dot),
        _ => (name, ""),
    };
    let mut cut = max - ext.len();
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ext}", &stem[..cut])
}

/// `name (n).ext`: the n-th alternative when `name.ext` exists.
fn alternative(name: &str, n: usize) -> String {
    match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{} ({n}){}", &name[..dot], &name[dot..]),
        _ => format!("{name} ({n})"),
    }
}

/// Creates `dir` if needed (failure: exit 73).
pub fn prepare_dir(dir: &Path) -> Result<(), SaveError> {
    fs::create_dir_all(dir).map_err(|source| SaveError::Dir {
        dir: dir.display().to_string(),
        source,
    })
}

/// Writes a new file in `dir` named after `name` (already made safe), trying `name (1).ext`,
/// `name (2).ext`... when it exists; `content` writes the contents (streaming them, so a large
/// part needs no buffer) and returns their size. Files are created with `create_new`, so
/// nothing existing is ever overwritten, even by a file that appears meanwhile.
pub fn save(
    dir: &Path,
    name: &str,
    mut content: impl FnMut(&mut dyn Write) -> io::Result<u64>,
) -> Result<(PathBuf, u64), SaveError> {
    for n in 0..MAX_ALTERNATIVES {
        let candidate = if n == 0 {
            name.to_owned()
        } else {
            alternative(name, n)
        };
        let path = dir.join(&candidate);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => {
                let mut out = io::BufWriter::with_capacity(64 << 10, file);
                return content(&mut out)
                    .and_then(|size| out.flush().map(|()| size))
                    .map(|size| (path.clone(), size))
                    .map_err(|source| SaveError::Write {
                        path: path.display().to_string(),
                        source,
                    });
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(source) => {
                return Err(SaveError::Create {
                    path: path.display().to_string(),
                    source,
                });
            }
        }
    }
    Err(SaveError::NoFreeName {
        name: name.to_owned(),
        dir: dir.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_plain_basenames() {
        let cases = [
            ("../../.bashrc", "bashrc"),
            ("/etc/passwd", "passwd"),
            ("..\\..\\x.bat", "x.bat"),
            ("../../x", "x"),
            ("..", "fallback"),
            (".", "fallback"),
            ("", "fallback"),
            ("dir/", "fallback"),
            ("a..b...c", "a.b.c"),
            ("evil\x1b[2J.txt", "evil_[2J.txt"),
            ("line\r\nbreak", "line__break"),
            ("gnp.\u{202e}exe", "gnp._exe"),
            ("trailing. . ", "trailing"),
            ("Grüße 日本.pdf", "Grüße 日本.pdf"),
            ("\u{7}\u{7}", "fallback"),
        ];
        for (input, want) in cases {
            assert_eq!(safe_name(input, "fallback"), want, "input {input:?}");
        }
    }

    #[test]
    fn long_names_are_cut_on_char_boundaries_keeping_the_extension() {
        let long = format!("{}.pdf", "é".repeat(300));
        let name = safe_name(&long, "x");
        assert!(name.len() <= MAX_NAME_BYTES, "{}", name.len());
        assert!(name.ends_with(".pdf"));
        let no_ext = "a".repeat(1000);
        assert_eq!(safe_name(&no_ext, "x").len(), MAX_NAME_BYTES);
    }

    #[test]
    fn alternatives_keep_the_extension() {
        assert_eq!(alternative("cat.png", 1), "cat (1).png");
        assert_eq!(alternative("README", 2), "README (2)");
        assert_eq!(alternative("a.tar.gz", 3), "a.tar (3).gz");
    }

    #[test]
    fn save_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("cat.png"), b"old").unwrap();
        let write = |bytes: &'static [u8]| {
            move |out: &mut dyn Write| out.write_all(bytes).map(|()| bytes.len() as u64)
        };
        let (first, _) = save(dir.path(), "cat.png", write(b"new1")).unwrap();
        let (second, size) = save(dir.path(), "cat.png", write(b"new2")).unwrap();
        assert_eq!(size, 4);
        assert_eq!(first, dir.path().join("cat (1).png"));
        assert_eq!(second, dir.path().join("cat (2).png"));
        assert_eq!(fs::read(dir.path().join("cat.png")).unwrap(), b"old");
        assert_eq!(fs::read(&second).unwrap(), b"new2");
    }
}
