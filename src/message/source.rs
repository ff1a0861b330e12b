//! Where messages come from: a message file, stdin, an mbox (detected by its leading `From `
//! line, read one message at a time with mboxrd unquoting), or a Maildir (`cur/` and `new/`).
//! An mbox is never read whole: memory follows the largest message, not the mailbox.

use std::{
    fs::{self, File},
    io::{self, BufRead, BufReader, Read},
    path::{Path, PathBuf},
};

use crate::exit::{Exit, Failure};

/// One message's bytes and where it came from.
#[derive(Debug)]
pub struct RawMessage {
    /// The file name (or `-`); for a Maildir, the message file's path.
    pub source: String,
    /// 1-based position within its mbox or Maildir (1 for a single file).
    pub index: usize,
    /// The message, mboxrd-unquoted.
    pub bytes: Vec<u8>,
}

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The input does not exist or cannot be opened.
    #[error("reading {path}: {source}")]
    Open { path: String, source: io::Error },
    /// A directory was given that is not a Maildir.
    #[error("reading {path}: is a directory without cur/ or new/ (not a Maildir)")]
    NotMaildir { path: String },
    /// Reading failed part-way.
    #[error("reading {path}: {source}")]
    Read { path: String, source: io::Error },
    /// The input has no bytes at all.
    #[error("reading {path}: empty input")]
    Empty { path: String },
}

impl SourceError {
    /// Missing or unreadable input is 66; a failing read mid-way is local I/O (74); an empty
    /// file is bad data (65).
    pub fn exit(&self) -> Exit {
        match self {
            SourceError::Open { .. } | SourceError::NotMaildir { .. } => Exit::NoInput,
            SourceError::Read { source, .. } if source.kind() == io::ErrorKind::IsADirectory => {
                Exit::NoInput
            }
            SourceError::Read { .. } => Exit::IoErr,
            SourceError::Empty { .. } => Exit::DataErr,
        }
    }
}

impl From<SourceError> for Failure {
    fn from(err: SourceError) -> Failure {
        Failure::new(err.exit(), err)
    }
}

/// The messages of one input, in order.
pub enum Messages {
    /// A single message, not yet taken.
    Single(Option<RawMessage>),
    /// An mbox being streamed.
    Mbox(Mbox<Box<dyn BufRead>>),
    /// A Maildir's message files, sorted by name.
    Maildir {
        files: std::vec::IntoIter<PathBuf>,
        index: usize,
    },
}

/// Opens `path` (`-` is stdin) and decides what it holds.
pub fn open(path: &str) -> Result<Messages, SourceError> {
    let reader: Box<dyn BufRead> = if path == "-" {
        Box::new(BufReader::with_capacity(1 << 16, io::stdin()))
    } else {
        let fs_path = Path::new(path);
        let meta = fs::metadata(fs_path).map_err(|source| SourceError::Open {
            path: path.to_owned(),
            source,
        })?;
        if meta.is_dir() {
            return maildir(path);
        }
        let file = File::open(fs_path).map_err(|source| SourceError::Open {
            path: path.to_owned(),
            source,
        })?;
        Box::new(BufReader::with_capacity(1 << 16, file))
    };
    from_reader(path, reader)
}

/// Reads the first line to tell an mbox from a single message.
pub fn from_reader(path: &str, mut reader: Box<dyn BufRead>) -> Result<Messages, SourceError> {
    let read_err = |source| SourceError::Read {
        path: path.to_owned(),
        source,
    };
    let mut first = Vec::new();
    reader.read_until(b'\n', &mut first).map_err(read_err)?;
    if first.is_empty() {
        return Err(SourceError::Empty {
            path: path.to_owned(),
        });
    }
    if first.starts_with(b"From ") {
        return Ok(Messages::Mbox(Mbox {
            reader,
            path: path.to_owned(),
            index: 0,
            started: true,
            done: false,
            last_size: 0,
        }));
    }
    let mut bytes = first;
    reader.read_to_end(&mut bytes).map_err(read_err)?;
    Ok(Messages::Single(Some(RawMessage {
        source: path.to_owned(),
        index: 1,
        bytes,
    })))
}

fn maildir(path: &str) -> Result<Messages, SourceError> {
    let root = Path::new(path);
    let mut files = Vec::new();
    let mut found = false;
    for sub in ["new", "cur"] {
        let dir = root.join(sub);
        if !dir.is_dir() {
            continue;
        }
        found = true;
        let entries = fs::read_dir(&dir).map_err(|source| SourceError::Open {
            path: dir.display().to_string(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| SourceError::Read {
                path: dir.display().to_string(),
                source,
            })?;
            if entry.file_name().as_encoded_bytes().starts_with(b".") {
                continue;
            }
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                files.push(entry.path());
            }
        }
    }
    if !found {
        return Err(SourceError::NotMaildir {
            path: path.to_owned(),
        });
    }
    // Maildir names start with the delivery time, so name order is arrival order.
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(Messages::Maildir {
        files: files.into_iter(),
        index: 0,
    })
}

impl Iterator for Messages {
    type Item = Result<RawMessage, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Messages::Single(message) => message.take().map(Ok),
            Messages::Mbox(mbox) => mbox.next(),
            Messages::Maildir { files, index } => {
                let file = files.next()?;
                *index += 1;
                let source = file.display().to_string();
                Some(
                    fs::read(&file)
                        .map(|bytes| RawMessage {
                            source: source.clone(),
                            index: *index,
                            bytes,
                        })
                        .map_err(|source_err| SourceError::Read {
                            path: source,
                            source: source_err,
                        }),
                )
            }
        }
    }
}

/// An mbox read line by line. Every line starting with `From ` separates messages (mboxrd:
/// such lines inside a message were quoted as `>From ` when it was written); quoted lines
/// (`>From `, `>>From `...) lose one `>`. The empty line before a separator belongs to it.
pub struct Mbox<R> {
    reader: R,
    path: String,
    index: usize,
    /// The separator line of the next message has been read.
    started: bool,
    done: bool,
    /// Size of the previous message, to size the next one's buffer.
    last_size: usize,
}

impl<R: BufRead> Mbox<R> {
    /// An mbox reader over `reader`, which must start at a `From ` line.
    pub fn new(path: &str, reader: R) -> Self {
        Mbox {
            reader,
            path: path.to_owned(),
            index: 0,
            started: false,
            done: false,
            last_size: 0,
        }
    }
}

impl<R: BufRead> Iterator for Mbox<R> {
    type Item = Result<RawMessage, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        // Sized like the previous message: mailboxes are uniform enough to avoid regrowth.
        let mut bytes = Vec::with_capacity(self.last_size.clamp(4096, 1 << 20) + 1024);
        loop {
            // Lines are read straight into the message and inspected in place: one copy.
            let line_start = bytes.len();
            match self.reader.read_until(b'\n', &mut bytes) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(_) => {}
                Err(source) => {
                    self.done = true;
                    return Some(Err(SourceError::Read {
                        path: self.path.clone(),
                        source,
                    }));
                }
            }
            let line = &bytes[line_start..];
            if line.starts_with(b"From ") {
                bytes.truncate(line_start);
                if self.started {
                    break;
                }
                self.started = true;
                continue;
            }
            if line.first() == Some(&b'>') {
                let quoted = line.iter().take_while(|&&b| b == b'>').count();
                if line[quoted..].starts_with(b"From ") {
                    bytes.remove(line_start);
                }
            }
        }
        if !self.started {
            return None;
        }
        // The empty line that precedes the next `From ` (or ends the file) is the separator's.
        if bytes.ends_with(b"\r\n\r\n") {
            bytes.truncate(bytes.len() - 2);
        } else if bytes.ends_with(b"\n\n") {
            bytes.pop();
        }
        self.index += 1;
        self.last_size = bytes.len();
        Some(Ok(RawMessage {
            source: self.path.clone(),
            index: self.index,
            bytes,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(mbox: &str) -> Vec<String> {
        Mbox::new("t", mbox.as_bytes())
            .map(|m| String::from_utf8(m.unwrap().bytes).unwrap())
            .collect()
    }

    #[test]
    fn mboxrd_is_split_and_unquoted() {
        let mbox = "From a@b Mon Nov 23 10:00:00 2026\nSubject: 1\n\n>From here\n>>From there\n>not from\n\nFrom c@d Mon Nov 23 10:00:01 2026\nSubject: 2\n\nbody\n";
        assert_eq!(
            messages(mbox),
            vec![
                "Subject: 1\n\nFrom here\n>From there\n>not from\n",
                "Subject: 2\n\nbody\n"
            ]
        );
    }

    #[test]
    fn empty_messages_and_crlf_are_kept_apart() {
        let mbox = "From a\r\nSubject: 1\r\n\r\nx\r\n\r\nFrom b\nFrom c\nSubject: 3\n";
        assert_eq!(
            messages(mbox),
            vec!["Subject: 1\r\n\r\nx\r\n", "", "Subject: 3\n"]
        );
    }

    #[test]
    fn indices_count_from_one() {
        let idx: Vec<usize> = Mbox::new("t", &b"From a\nA: 1\nFrom b\nA: 2\n"[..])
            .map(|m| m.unwrap().index)
            .collect();
        assert_eq!(idx, vec![1, 2]);
    }
}
