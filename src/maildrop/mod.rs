//! Local delivery of fetched messages: a Maildir ([`maildir`]), an mbox ([`mbox`]), or a
//! spool file for stdout ([`spool`]), plus the seen-UIDL state ([`state`]). Every target
//! works in batches: messages are written, then [`Target::commit`] makes the whole batch
//! durable at once (group commit); only after that may the caller delete them on the server.
//! [`fetch`] is that pipeline, generic over the mail-access session ([`access`]).

pub mod access;
pub mod fetch;
pub mod imap_state;
pub mod maildir;
pub mod mbox;
mod pool;
pub mod spool;
pub mod state;

use std::{
    io::{self, Write},
    path::{Path, PathBuf},
};

pub use access::{Entry, Listing, MailAccess, MessageSink};
pub use maildir::Maildir;
pub use mbox::{Mbox, MboxError};
pub use state::{Seen, SeenState, StateError};

/// Where messages are delivered.
#[derive(Debug)]
pub enum Target {
    /// A Maildir.
    Maildir(Maildir),
    /// An mbox file and its path (for reports).
    Mbox(Mbox, PathBuf),
}

/// A message being written.
pub enum Writer {
    /// Into `tmp/` of a Maildir.
    Maildir(maildir::TmpMessage),
    /// Appended to an mbox.
    Mbox(mbox::MboxMessage),
}

/// A message fully written but not yet durable.
#[derive(Debug)]
pub enum Pending {
    /// Waiting in `tmp/`.
    Maildir(maildir::Written),
    /// Appended to the mbox after the last commit.
    Mbox,
}

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Writer::Maildir(w) => w.write(buf),
            Writer::Mbox(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Writer::Maildir(w) => w.write_all(buf),
            Writer::Mbox(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Writer::Maildir(w) => w.flush(),
            Writer::Mbox(w) => w.flush(),
        }
    }
}

impl Writer {
    /// The `tmp/` file being written, to remove it if the message is abandoned.
    pub fn tmp_path(&self) -> Option<&Path> {
        match self {
            Writer::Maildir(w) => Some(w.path()),
            Writer::Mbox(_) => None,
        }
    }
}

impl Target {
    /// Starts a message.
    pub fn begin(&self) -> io::Result<Writer> {
        match self {
            Target::Maildir(m) => m.begin().map(Writer::Maildir),
            Target::Mbox(m, _) => m.begin().map(Writer::Mbox),
        }
    }

    /// Ends a complete message; it becomes durable at the next [`Target::commit`].
    pub fn finish(&self, writer: Writer) -> io::Result<Pending> {
        match (self, writer) {
            (Target::Maildir(m), Writer::Maildir(w)) => m.finish(w).map(Pending::Maildir),
            (Target::Mbox(m, _), Writer::Mbox(w)) => m.finish(w).map(|()| Pending::Mbox),
            _ => Err(io::Error::other("message writer of another target")),
        }
    }

    /// Makes a batch durable; returns where each message now is, in order.
    pub fn commit(&self, batch: Vec<Pending>) -> io::Result<Vec<String>> {
        match self {
            Target::Maildir(m) => {
                let written = batch
                    .into_iter()
                    .filter_map(|p| match p {
                        Pending::Maildir(w) => Some(w),
                        Pending::Mbox => None,
                    })
                    .collect();
                Ok(m.commit(written)?
                    .into_iter()
                    .map(|p| p.display().to_string())
                    .collect())
            }
            Target::Mbox(m, path) => {
                m.commit()?;
                Ok(vec![path.display().to_string(); batch.len()])
            }
        }
    }

    /// Abandons only a message cut off mid-way (by its `tmp/` path for a Maildir), keeping the
    /// batch's whole messages for [`Target::commit`].
    pub fn drop_partial(&self, partial: Option<PathBuf>) -> io::Result<()> {
        match self {
            Target::Maildir(m) => {
                m.discard(partial);
                Ok(())
            }
            Target::Mbox(m, _) => m.cut_partial(),
        }
    }

    /// Abandons a batch (and a message cut off mid-way, by its `tmp/` path): nothing of it
    /// stays visible.
    pub fn discard(&self, batch: Vec<Pending>, partial: Option<PathBuf>) -> io::Result<()> {
        match self {
            Target::Maildir(m) => {
                let paths = batch.into_iter().filter_map(|p| match p {
                    Pending::Maildir(w) => Some(w.path().to_path_buf()),
                    Pending::Mbox => None,
                });
                m.discard(paths.chain(partial));
                Ok(())
            }
            Target::Mbox(m, _) => m.discard(),
        }
    }
}
