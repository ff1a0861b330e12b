//! mbox delivery in the mboxrd variant: every line matching `^>*From ` gets one more `>`, so
//! readers can undo the quoting exactly. The file is locked (flock) for the whole run and
//! fsynced once per batch; a batch that fails is cut off again, so no half message remains.

use std::{
    fs::{File, OpenOptions},
    io::{self, BufWriter, Seek, SeekFrom, Write},
    os::unix::fs::OpenOptionsExt,
    path::Path,
    sync::atomic::{AtomicU64, Ordering},
    thread,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use crate::exit::{Failure, Kind};

/// How long to wait for another program's lock on the mbox.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// An mbox file opened for appending, locked.
#[derive(Debug)]
pub struct Mbox {
    file: File,
    committed_len: AtomicU64,
    /// Where the last message finished whole ends: a message cut off after it is cut off
    /// again without losing the whole ones before it.
    whole_len: AtomicU64,
}

/// Why an mbox could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum MboxError {
    /// Opening or locking failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Another program kept the lock.
    #[error("locked by another program for more than {} s", LOCK_WAIT.as_secs())]
    Locked,
}

impl MboxError {
    /// The kind: another program's lock is worth retrying; otherwise the file cannot be
    /// created or opened.
    pub fn kind(&self) -> Kind {
        match self {
            MboxError::Locked => Kind::Temporary,
            MboxError::Io(_) => Kind::CantCreate,
        }
    }
}

impl From<MboxError> for Failure {
    fn from(err: MboxError) -> Self {
        Failure::new(err.kind(), err)
    }
}

/// How much of a message's header is held back looking for its Return-Path before the `From `
/// line is written without it: far more than any real header block, small enough not to matter.
const HEAD_LIMIT: usize = 64 * 1024;

/// One message being appended. Its `From ` line names the envelope sender, which is in the
/// header (Return-Path), so the header is held back until it is complete.
pub struct MboxMessage {
    out: Quoter<BufWriter<File>>,
    head: Option<Vec<u8>>,
}

impl MboxMessage {
    /// Writes the `From ` line (the Return-Path address, else `MAILER-DAEMON`) and the held
    /// header after it.
    fn release_head(&mut self) -> io::Result<()> {
        let Some(head) = self.head.take() else {
            return Ok(());
        };
        let sender =
            crate::message::envelope_sender(&head).unwrap_or_else(|| "MAILER-DAEMON".to_owned());
        self.out
            .inner
            .write_all(format!("From {sender} {}\n", asctime_now()).as_bytes())?;
        self.out.write_all(&head)
    }
}

impl Mbox {
    /// Opens (creating with mode 0600) and locks `path`.
    pub fn open(path: &Path) -> Result<Mbox, MboxError> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)?;
        let mut waited = Duration::ZERO;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if waited < LOCK_WAIT => {
                    thread::sleep(Duration::from_millis(100));
                    waited += Duration::from_millis(100);
                }
                Err(std::fs::TryLockError::WouldBlock) => return Err(MboxError::Locked),
                Err(std::fs::TryLockError::Error(err)) => return Err(err.into()),
            }
        }
        let len = file.metadata()?.len();
        Ok(Mbox {
            file,
            committed_len: AtomicU64::new(len),
            whole_len: AtomicU64::new(len),
        })
    }

    /// Starts a message; its `From ` separator line follows once its header is known.
    pub fn begin(&self) -> io::Result<MboxMessage> {
        let out = BufWriter::with_capacity(64 * 1024, self.file.try_clone()?);
        Ok(MboxMessage {
            out: Quoter::new(out),
            head: Some(Vec::new()),
        })
    }

    /// Ends a message: a final newline if it lacked one, the blank separator line, flushed.
    pub fn finish(&self, mut message: MboxMessage) -> io::Result<()> {
        message.release_head()?;
        let mut quoter = message.out;
        quoter.end()?;
        let tail: &[u8] = if quoter.last_was_newline() {
            b"\n"
        } else {
            b"\n\n"
        };
        let mut out = quoter.inner;
        out.write_all(tail)?;
        out.flush()?;
        self.whole_len
            .store(self.file.metadata()?.len(), Ordering::SeqCst);
        Ok(())
    }

    /// Makes everything appended since the last commit durable.
    pub fn commit(&self) -> io::Result<()> {
        self.file.sync_all()?;
        let len = (&self.file).seek(SeekFrom::End(0))?;
        self.committed_len.store(len, Ordering::SeqCst);
        self.whole_len.store(len, Ordering::SeqCst);
        Ok(())
    }

    /// Cuts off a message that was being appended when its download failed, keeping the whole
    /// messages before it (they are committed next).
    pub fn cut_partial(&self) -> io::Result<()> {
        self.file.set_len(self.whole_len.load(Ordering::SeqCst))
    }

    /// Cuts off whatever was appended since the last commit (a failed batch).
    pub fn discard(&self) -> io::Result<()> {
        let len = self.committed_len.load(Ordering::SeqCst);
        self.whole_len.store(len, Ordering::SeqCst);
        self.file.set_len(len)?;
        self.file.sync_all()
    }
}

impl Write for MboxMessage {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.head {
            Some(head) => {
                let from = head.len().saturating_sub(3);
                head.extend_from_slice(buf);
                let ended = memchr::memmem::find(&head[from..], b"\n\n").is_some()
                    || memchr::memmem::find(&head[from..], b"\n\r\n").is_some();
                if ended || head.len() >= HEAD_LIMIT || head.starts_with(b"\n") {
                    self.release_head()?;
                }
            }
            None => self.out.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.inner.flush()
    }
}

/// The mboxrd quoting filter: holds back a line's leading `>`s and `From ` prefix until it
/// knows whether the line must be quoted.
struct Quoter<W: Write> {
    inner: W,
    at_line_start: bool,
    held: Vec<u8>,
    last: Option<u8>,
}

impl<W: Write> Quoter<W> {
    fn new(inner: W) -> Self {
        Quoter {
            inner,
            at_line_start: true,
            held: Vec::new(),
            last: None,
        }
    }

    fn last_was_newline(&self) -> bool {
        matches!(self.last, None | Some(b'\n'))
    }

    fn pass(&mut self, bytes: &[u8]) -> io::Result<()> {
        if let Some(&b) = bytes.last() {
            self.last = Some(b);
        }
        self.inner.write_all(bytes)
    }

    fn release(&mut self) -> io::Result<()> {
        let held = std::mem::take(&mut self.held);
        self.pass(&held)
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        const FROM: &[u8] = b"From ";
        let mut i = 0;
        while i < data.len() {
            if self.at_line_start {
                let b = data[i];
                let quotes = self.held.iter().take_while(|&&c| c == b'>').count();
                let matched = self.held.len() - quotes;
                if matched == 0 && b == b'>' {
                    self.held.push(b);
                    i += 1;
                } else if b == FROM[matched] {
                    self.held.push(b);
                    i += 1;
                    if matched + 1 == FROM.len() {
                        self.inner.write_all(b">")?;
                        self.release()?;
                        self.at_line_start = false;
                    }
                } else {
                    self.release()?;
                    self.at_line_start = false;
                }
            } else {
                match memchr::memchr(b'\n', &data[i..]) {
                    Some(at) => {
                        self.pass(&data[i..=i + at])?;
                        i += at + 1;
                        self.at_line_start = true;
                    }
                    None => {
                        self.pass(&data[i..])?;
                        i = data.len();
                    }
                }
            }
        }
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        self.release()
    }
}

/// The current UTC time as asctime(3) prints it, for the `From ` line.
fn asctime_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    asctime(secs)
}

fn asctime(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        day,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        year
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quote(chunks: &[&[u8]]) -> Vec<u8> {
        let mut q = Quoter::new(Vec::new());
        for chunk in chunks {
            q.write_all(chunk).unwrap();
        }
        q.end().unwrap();
        q.inner
    }

    #[test]
    fn mboxrd_quoting_table() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"From x\n", b">From x\n"),
            (b">From x\n", b">>From x\n"),
            (b">>From x\n", b">>>From x\n"),
            (b"a\nFrom b\nFrom\n", b"a\n>From b\nFrom\n"),
            (b"Fro\n>Fr\n>\n", b"Fro\n>Fr\n>\n"),
            (b" From x\n", b" From x\n"),
            (b"FromX\n", b"FromX\n"),
            (b"From", b"From"),
            (b">>", b">>"),
        ];
        for (input, want) in cases {
            assert_eq!(
                quote(&[input]),
                *want,
                "{:?}",
                String::from_utf8_lossy(input)
            );
            let bytes: Vec<&[u8]> = input.chunks(1).collect();
            assert_eq!(quote(&bytes), *want, "bytewise {:?}", input);
        }
    }

    #[test]
    fn asctime_matches_known_dates() {
        assert_eq!(asctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(asctime(1_709_210_096), "Thu Feb 29 12:34:56 2024");
        assert_eq!(asctime(1_795_000_000), "Wed Nov 18 11:06:40 2026");
    }

    #[test]
    fn messages_are_separated_and_a_failed_batch_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("box");
        let mbox = Mbox::open(&path).unwrap();
        let mut m = mbox.begin().unwrap();
        m.write_all(b"Subject: a\n\nFrom here\nno newline").unwrap();
        mbox.finish(m).unwrap();
        mbox.commit().unwrap();
        let mut m = mbox.begin().unwrap();
        m.write_all(b"Subject: half").unwrap();
        mbox.finish(m).unwrap();
        mbox.discard().unwrap();
        let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
        let body = text.split_once('\n').unwrap().1;
        assert!(text.starts_with("From MAILER-DAEMON "), "{text}");
        assert_eq!(body, "Subject: a\n\n>From here\nno newline\n\n");
    }

    #[test]
    fn the_from_line_names_the_envelope_sender() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("box");
        let mbox = Mbox::open(&path).unwrap();
        let message = b"Return-Path: <bounce@list.test>\r\nSubject: a\r\n\r\nFrom x\r\n";
        let mut m = mbox.begin().unwrap();
        for chunk in message.chunks(5) {
            m.write_all(chunk).unwrap();
        }
        mbox.finish(m).unwrap();
        for (head, sender) in [
            (
                &b"Return-Path: <>\nSubject: b\n\nbody\n"[..],
                "MAILER-DAEMON",
            ),
            (b"Subject: c\n", "MAILER-DAEMON"),
        ] {
            let mut m = mbox.begin().unwrap();
            m.write_all(head).unwrap();
            mbox.finish(m).unwrap();
            let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
            assert!(text.contains(&format!("\nFrom {sender} ")), "{text}");
        }
        mbox.commit().unwrap();
        let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
        assert!(text.starts_with("From bounce@list.test "), "{text}");
        assert!(text.contains("\r\n\r\n>From x\r\n"), "{text}");
        assert_eq!(text.matches("\nFrom ").count(), 2, "{text}");
    }
}
