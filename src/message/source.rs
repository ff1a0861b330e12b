//! Where messages come from: a message file, stdin, an mbox (detected by its leading `From `
//! line, read one message at a time with mboxrd unquoting), or a Maildir (`cur/` and `new/`).
//! An mbox is never read whole: memory follows the largest message, not the mailbox.

use std::{
    fs::{self, File},
    io::{self, BufRead, BufReader, Read, Write},
    path::{Path, PathBuf},
    sync::Arc,
};

use memchr::memmem;

use super::mapped::{Bytes, Mapped};
use crate::exit::{Failure, Kind};

/// One message's bytes and where it came from.
#[derive(Debug)]
pub struct RawMessage {
    /// The file name (or `-`); for a Maildir, the message file's path. Shared by all the
    /// messages of an mbox rather than copied for each.
    pub source: Arc<str>,
    /// 1-based position within its mbox or Maildir (1 for a single file).
    pub index: usize,
    /// The message, mboxrd-unquoted; a message file is mapped rather than read.
    pub bytes: Bytes,
}

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The input does not exist or cannot be opened.
    #[error("reading {path}: {source}")]
    Open {
        /// The input as given.
        path: String,
        /// The underlying failure.
        source: io::Error,
    },
    /// A directory was given that is not a Maildir.
    #[error("reading {path}: is a directory without cur/ or new/ (not a Maildir)")]
    NotMaildir {
        /// The input as given.
        path: String,
    },
    /// Reading failed part-way.
    #[error("reading {path}: {source}")]
    Read {
        /// The input as given.
        path: String,
        /// The underlying failure.
        source: io::Error,
    },
    /// The input has no bytes at all.
    #[error("reading {path}: empty input")]
    Empty {
        /// The input as given.
        path: String,
    },
}

impl SourceError {
    /// Missing or unreadable input (a directory included) is missing input; a failing read
    /// mid-way is local I/O; an empty file is bad input.
    pub fn kind(&self) -> Kind {
        match self {
            SourceError::Open { .. } | SourceError::NotMaildir { .. } => Kind::NoInput,
            SourceError::Read { source, .. } if source.kind() == io::ErrorKind::IsADirectory => {
                Kind::NoInput
            }
            SourceError::Read { .. } => Kind::LocalIo,
            SourceError::Empty { .. } => Kind::BadInput,
        }
    }
}

impl From<SourceError> for Failure {
    fn from(err: SourceError) -> Failure {
        Failure::new(err.kind(), err)
    }
}

/// The messages of one input, in order.
pub enum Messages {
    /// A single message, not yet taken.
    Single(Option<RawMessage>),
    /// An mbox being streamed (boxed: its searchers make it large).
    Mbox(Box<Mbox<Box<dyn BufRead>>>),
    /// An mbox file mapped into memory, its messages handed out as slices of it.
    Mapped(Box<MappedMbox>),
    /// A Maildir's message files, sorted by name.
    Maildir {
        /// The message files not yet read.
        files: std::vec::IntoIter<PathBuf>,
        /// How many messages were handed out (the last one's 1-based position).
        index: usize,
    },
}

/// Opens `path` (`-` is stdin) and decides what it holds. A regular file (stdin included)
/// that is not an mbox is mapped, not read: its size does not become memory.
pub fn open(path: &str) -> Result<Messages, SourceError> {
    let open_err = |source| SourceError::Open {
        path: path.to_owned(),
        source,
    };
    let reader: Box<dyn BufRead> = if path == "-" {
        let stdin = io::stdin();
        let stat = rustix::fs::fstat(&stdin).map_err(|e| open_err(e.into()))?;
        let regular = rustix::fs::FileType::from_raw_mode(stat.st_mode).is_file();
        let at_start = rustix::fs::seek(&stdin, rustix::fs::SeekFrom::Current(0)) == Ok(0);
        if regular && at_start && stat.st_size > 0 {
            let len = usize::try_from(stat.st_size).map_err(|e| open_err(io::Error::other(e)))?;
            let mapped = Mapped::new(&stdin, len).map_err(open_err)?;
            if !mapped.starts_with(b"From ") {
                return Ok(single(path, Bytes::Mapped(mapped)));
            }
        }
        Box::new(BufReader::with_capacity(1 << 16, stdin))
    } else {
        let fs_path = Path::new(path);
        let meta = fs::metadata(fs_path).map_err(|source| SourceError::Open {
            path: path.to_owned(),
            source,
        })?;
        if meta.is_dir() {
            return maildir(path);
        }
        let file = File::open(fs_path).map_err(open_err)?;
        if let Some(mapped) = Mapped::file(&file).map_err(open_err)?
            && !mapped.starts_with(b"From ")
        {
            return Ok(single(path, Bytes::Mapped(mapped)));
        }
        Box::new(BufReader::with_capacity(1 << 16, file))
    };
    from_reader(path, reader)
}

/// [`open`] for readers that take messages as [`Bytes::Shared`]: an mbox that is a regular
/// file is mapped rather than read, and its messages are slices of the mapping (copied only
/// when mboxrd unquoting changes them), so no message is copied on the way in.
pub fn open_mapped(path: &str) -> Result<Messages, SourceError> {
    if path != "-"
        && let Ok(file) = File::open(path)
        && let Ok(Some(mapped)) = Mapped::file(&file)
    {
        // A message file is mapped once, as `open` would map it.
        return Ok(if mapped.starts_with(b"From ") {
            Messages::Mapped(Box::new(MappedMbox::new(path, Arc::new(mapped))))
        } else {
            single(path, Bytes::Mapped(mapped))
        });
    }
    open(path)
}

fn single(path: &str, bytes: Bytes) -> Messages {
    Messages::Single(Some(RawMessage {
        source: path.into(),
        index: 1,
        bytes,
    }))
}

/// Reads the rest of `reader` into `bytes`, growing it with `try_reserve` so that a message
/// too large for memory is an error that says so, never an abort; stops once `bytes` holds
/// `limit` bytes, and then says whether more may follow (`true`).
fn read_rest(reader: &mut dyn BufRead, bytes: &mut Vec<u8>, limit: usize) -> io::Result<bool> {
    loop {
        if bytes.len() >= limit {
            return Ok(true);
        }
        let chunk = match reader.fill_buf() {
            Ok(chunk) => chunk,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if chunk.is_empty() {
            return Ok(false);
        }
        bytes.try_reserve(chunk.len()).map_err(too_large)?;
        bytes.extend_from_slice(chunk);
        let n = chunk.len();
        reader.consume(n);
    }
}

/// The error for a message that does not fit in memory.
fn too_large(err: std::collections::TryReserveError) -> io::Error {
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        format!(
            "the message does not fit in memory ({err}); give it as a file, which is mapped, not read"
        ),
    )
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
        // The first separator line has been read: the first message comes next.
        let mut mbox = Mbox::new(path, reader);
        mbox.started = true;
        return Ok(Messages::Mbox(Box::new(mbox)));
    }
    let mut bytes = first;
    if !read_rest(&mut *reader, &mut bytes, SPILL).map_err(read_err)? {
        return Ok(single(path, Bytes::Owned(bytes)));
    }
    // A large message from a pipe goes to an unlinked spool file, mapped like a message file,
    // so that its size does not become memory.
    let spill = |bytes: Vec<u8>, reader: &mut dyn BufRead| -> io::Result<Bytes> {
        let mut file = crate::maildrop::spool::create()?;
        file.write_all(&bytes)?;
        drop(bytes);
        io::copy(reader, &mut file)?;
        Mapped::file(&file)?
            .map(Bytes::Mapped)
            .ok_or_else(|| io::Error::other("the spool file is empty"))
    };
    Ok(single(path, spill(bytes, &mut *reader).map_err(read_err)?))
}

/// How much of a piped message is held in memory before it is spooled to a file instead.
const SPILL: usize = 8 << 20;

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
            Messages::Mapped(mbox) => mbox.next(),
            Messages::Maildir { files, index } => {
                let file = files.next()?;
                *index += 1;
                let source = file.display().to_string();
                Some(
                    read_file(&file)
                        .map(|bytes| RawMessage {
                            source: source.as_str().into(),
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

/// A Maildir message file: mapped, or read when it is empty or not a regular file.
fn read_file(path: &Path) -> io::Result<Bytes> {
    let file = File::open(path)?;
    if let Some(mapped) = Mapped::file(&file)? {
        return Ok(Bytes::Mapped(mapped));
    }
    let mut bytes = Vec::new();
    read_rest(&mut BufReader::new(file), &mut bytes, usize::MAX)?;
    Ok(Bytes::Owned(bytes))
}

/// An mbox read in large chunks and split with SIMD searches rather than line by line: every
/// line starting with `From ` separates messages (mboxrd: such lines inside a message were
/// quoted as `>From ` when it was written); quoted lines (`>From `, `>>From `...) lose one `>`.
/// The empty line before a separator belongs to it. Memory holds one chunk plus the message
/// being cut out, never the mailbox.
pub struct Mbox<R> {
    reader: R,
    path: Arc<str>,
    index: usize,
    /// Read but not yet handed out: `buf[start..end]`; `buf` is zero-filled once and reused.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The reader has no more bytes.
    eof: bool,
    /// The separator line of the next message has been read.
    started: bool,
    done: bool,
    separator: memmem::Finder<'static>,
    quoted: memmem::Finder<'static>,
}

/// How much is read at once: large enough that system calls and searches are amortized.
const CHUNK: usize = 256 << 10;

impl<R: Read> Mbox<R> {
    /// An mbox reader over `reader`, which must start at a `From ` line (anything before the
    /// first one is not a message).
    pub fn new(path: &str, reader: R) -> Self {
        Mbox {
            reader,
            path: path.into(),
            index: 0,
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            started: false,
            done: false,
            separator: memmem::Finder::new(b"\nFrom "),
            quoted: memmem::Finder::new(b"\n>"),
        }
    }

    /// Reads more bytes after `buf[..end]`, first moving the unread bytes to the front (and
    /// growing the buffer when one message outgrows it). Sets `eof` when nothing more comes.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < CHUNK {
            let grown = self.end + CHUNK.max(self.end);
            self.buf
                .try_reserve(grown - self.buf.len())
                .map_err(too_large)?;
            self.buf.resize(grown, 0);
        }
        loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Skips the separator line at `start`, through its line break or the end of input.
    fn skip_line(&mut self) -> io::Result<()> {
        loop {
            if let Some(nl) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                self.start += nl + 1;
                return Ok(());
            }
            if self.eof {
                self.start = self.end;
                return Ok(());
            }
            self.fill()?;
        }
    }

    /// The length of the message at `start`: up to the next line starting with `From `, or the
    /// end of input.
    fn message_len(&mut self) -> io::Result<(usize, bool)> {
        let mut searched = 0;
        loop {
            let data = &self.buf[self.start..self.end];
            if data.len() >= 5 || self.eof {
                if data.starts_with(b"From ") {
                    return Ok((0, true));
                }
                if let Some(at) = self.separator.find(&data[searched..]) {
                    return Ok((searched + at + 1, true));
                }
                if self.eof {
                    return Ok((data.len(), false));
                }
                // A separator may straddle the chunk boundary: search its start again.
                searched = data.len() - 5;
            }
            self.fill()?;
        }
    }

    fn next_message(&mut self) -> io::Result<Option<Vec<u8>>> {
        if !self.started {
            // Up to and through the first separator line.
            let mut first_line = true;
            loop {
                let data = &self.buf[self.start..self.end];
                if first_line && (data.len() >= 5 || self.eof) {
                    if data.starts_with(b"From ") {
                        break;
                    }
                    first_line = false;
                }
                if let Some(at) = self.separator.find(data) {
                    self.start += at + 1;
                    break;
                }
                if self.eof {
                    return Ok(None);
                }
                // Keep a separator that straddles the chunk boundary.
                if !first_line {
                    self.start = self.end.saturating_sub(5).max(self.start);
                }
                self.fill()?;
            }
            self.started = true;
            self.skip_line()?;
        }
        let (len, separated) = self.message_len()?;
        let message = &self.buf[self.start..self.start + len];
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(len).map_err(too_large)?;
        let mut copied = 0;
        let line_starts = (message.first() == Some(&b'>'))
            .then_some(0)
            .into_iter()
            .chain(self.quoted.find_iter(message).map(|at| at + 1));
        for line in line_starts {
            let quotes = message[line..].iter().take_while(|&&b| b == b'>').count();
            if message[line + quotes..].starts_with(b"From ") {
                bytes.extend_from_slice(&message[copied..line]);
                copied = line + 1;
            }
        }
        bytes.extend_from_slice(&message[copied..]);
        self.start += len;
        if separated {
            self.skip_line()?;
        } else {
            self.done = true;
        }
        // The empty line that precedes the next `From ` (or ends the file) is the separator's.
        if bytes.ends_with(b"\r\n\r\n") {
            bytes.truncate(bytes.len() - 2);
        } else if bytes.ends_with(b"\n\n") {
            bytes.pop();
        }
        Ok(Some(bytes))
    }
}

impl<R: Read> Iterator for Mbox<R> {
    type Item = Result<RawMessage, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_message() {
            Ok(Some(bytes)) => {
                self.index += 1;
                Some(Ok(RawMessage {
                    source: Arc::clone(&self.path),
                    index: self.index,
                    bytes: Bytes::Owned(bytes),
                }))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(source) => {
                self.done = true;
                Some(Err(SourceError::Read {
                    path: self.path.to_string(),
                    source,
                }))
            }
        }
    }
}

/// How far behind the reader of a mapped mbox pages stay mapped: more than the messages in
/// flight in `parse`'s pipeline (8 batches of at most 256 KiB), so that none is read twice.
const KEEP_BEHIND: usize = 3 << 20;

/// How often the pages behind are released: a system call per MiB read is negligible.
const RELEASE_EVERY: usize = 1 << 20;

/// An mbox mapped into memory, split as [`Mbox`] splits a stream: the same separators, the
/// same mboxrd unquoting, the same messages. Pages left behind are handed back to the kernel
/// every [`RELEASE_EVERY`], so memory does not follow the mailbox.
pub struct MappedMbox {
    mapped: Arc<Mapped>,
    path: Arc<str>,
    index: usize,
    /// Where the next message starts.
    pos: usize,
    /// Up to where pages have been released.
    released: usize,
    done: bool,
    from: memmem::Finder<'static>,
}

impl MappedMbox {
    /// Splits `mapped`, which starts with a `From ` line.
    fn new(path: &str, mapped: Arc<Mapped>) -> Self {
        let pos = memchr::memchr(b'\n', &mapped).map_or(mapped.len(), |nl| nl + 1);
        MappedMbox {
            mapped,
            path: path.into(),
            index: 0,
            pos,
            released: 0,
            done: false,
            from: memmem::Finder::new(b"From "),
        }
    }

    fn next_message(&mut self) -> Bytes {
        let data = &self.mapped[self.pos..];
        let start = self.pos;
        // One search for `From ` finds both the next separator (at a line start) and the
        // quoted lines before it (`>From `, `>>From `...: each loses one `>`).
        let mut copy: Option<Vec<u8>> = None;
        let mut copied = 0;
        let mut end = None;
        for at in self.from.find_iter(data) {
            if at == 0 || data[at - 1] == b'\n' {
                end = Some(at);
                break;
            }
            let line = at - data[..at].iter().rev().take_while(|&&b| b == b'>').count();
            if line < at && (line == 0 || data[line - 1] == b'\n') {
                let bytes = copy.get_or_insert_with(Vec::new);
                bytes.extend_from_slice(&data[copied..line]);
                copied = line + 1;
            }
        }
        let (len, separated) = match end {
            Some(at) => (at, true),
            None => (data.len(), false),
        };
        let message = &data[..len];
        self.pos += len;
        if separated {
            self.pos = memchr::memchr(b'\n', &self.mapped[self.pos..])
                .map_or(self.mapped.len(), |nl| self.pos + nl + 1);
        } else {
            self.done = true;
        }
        // The empty line that precedes the next `From ` (or ends the file) is the separator's.
        let trailing = |bytes: &[u8]| {
            if bytes.ends_with(b"\r\n\r\n") {
                2
            } else if bytes.ends_with(b"\n\n") {
                1
            } else {
                0
            }
        };
        match copy {
            Some(mut bytes) => {
                bytes.extend_from_slice(&message[copied..]);
                bytes.truncate(bytes.len() - trailing(&bytes));
                Bytes::Owned(bytes)
            }
            None => Bytes::Shared(
                Arc::clone(&self.mapped),
                start..start + len - trailing(message),
            ),
        }
    }
}

impl Iterator for MappedMbox {
    type Item = Result<RawMessage, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let bytes = self.next_message();
        // Pages more than [`KEEP_BEHIND`] behind the reader are no longer needed (a message
        // still being parsed there would read them again from the page cache).
        if self.pos >= self.released + KEEP_BEHIND + RELEASE_EVERY {
            self.released = self
                .mapped
                .release_range(self.released, self.pos - KEEP_BEHIND);
        }
        self.index += 1;
        Some(Ok(RawMessage {
            source: Arc::clone(&self.path),
            index: self.index,
            bytes,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(mbox: &str) -> Vec<String> {
        let streamed: Vec<String> = Mbox::new("t", mbox.as_bytes())
            .map(|m| String::from_utf8(m.unwrap().bytes.into_vec()).unwrap())
            .collect();
        assert_eq!(mapped_messages(mbox.as_bytes()), streamed);
        streamed
    }

    /// The messages of `mbox` as the mapped reader splits them, with their indices checked.
    fn mapped_messages(mbox: &[u8]) -> Vec<String> {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(mbox).unwrap();
        let mapped = Mapped::file(&file).unwrap().unwrap();
        MappedMbox::new("t", Arc::new(mapped))
            .enumerate()
            .map(|(n, m)| {
                let m = m.unwrap();
                assert_eq!(m.index, n + 1);
                String::from_utf8(m.bytes.into_vec()).unwrap()
            })
            .collect()
    }

    #[test]
    fn the_mapped_reader_splits_as_the_stream_does() {
        for mbox in [
            "From a\n",
            "From a\nFrom b\n",
            "From a\n>From x\n>>From y\n> From z\n>>>\nA>From w\n>From",
            "From a\r\nB: 1\r\n\r\n>From q\r\n\r\n\r\nFrom b\n\n\nFrom c\nFrom ",
            "From a\nS: 1\n\nx\n\n\nFrom b\nS: 2\n\n>From\n>From \n",
        ] {
            messages(mbox);
        }
        // The benchmark's corpus, if installed, as one mbox with quoted lines added.
        let ham =
            Path::new("/usr/share/gocode/src/github.com/gatherstars-com/jwz/test/testdata/ham");
        let mut mbox = Vec::new();
        for entry in fs::read_dir(ham).into_iter().flatten().take(300) {
            mbox.extend_from_slice(b"From x Mon Nov 23 10:00:00 2026\n>From quoted\n");
            mbox.extend_from_slice(&fs::read(entry.unwrap().path()).unwrap());
            mbox.extend_from_slice(b"\n");
        }
        let streamed: Vec<String> = Mbox::new("t", &mbox[..])
            .map(|m| String::from_utf8_lossy(&m.unwrap().bytes).into_owned())
            .collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&mbox).unwrap();
        if let Some(mapped) = Mapped::file(&file).unwrap() {
            let got: Vec<String> = MappedMbox::new("t", Arc::new(mapped))
                .map(|m| String::from_utf8_lossy(&m.unwrap().bytes).into_owned())
                .collect();
            assert_eq!(got, streamed);
        }
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

    /// A reader that hands out at most `step` bytes per call, to put chunk boundaries
    /// everywhere.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn chunk_boundaries_do_not_matter() {
        let mbox = "From a\n>From q\nSubject: 1\n\nFrom-less\n>>From x\n\nFrom b\r\nA: 2\r\n\r\nFrom c\nFrom d";
        let whole = messages(mbox);
        assert_eq!(
            whole,
            vec![
                "From q\nSubject: 1\n\nFrom-less\n>From x\n",
                "A: 2\r\n",
                "",
                ""
            ]
        );
        for step in 1..8 {
            let data = mbox.as_bytes();
            let got: Vec<String> = Mbox::new("t", Trickle { data, step })
                .map(|m| String::from_utf8(m.unwrap().bytes.into_vec()).unwrap())
                .collect();
            assert_eq!(got, whole, "step {step}");
        }
    }

    #[test]
    fn messages_larger_than_a_chunk_are_whole() {
        let body = "x".repeat(CHUNK * 2 + 17);
        let mbox = format!("From a\nSubject: 1\n\n{body}\nFrom b\nSubject: 2\n");
        let got = messages(&mbox);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], format!("Subject: 1\n\n{body}\n"));
        assert_eq!(got[1], "Subject: 2\n");
    }

    #[test]
    fn indices_count_from_one() {
        let idx: Vec<usize> = Mbox::new("t", &b"From a\nA: 1\nFrom b\nA: 2\n"[..])
            .map(|m| m.unwrap().index)
            .collect();
        assert_eq!(idx, vec![1, 2]);
    }
}
