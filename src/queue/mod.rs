//! The outgoing queue: messages that could not (or should not) be sent at once wait here,
//! on disk, until `queue run` delivers them, exactly once.
//!
//! [`store`] owns the directory (one file per message, replaced atomically when its state
//! changes; quarantine), [`legacy`] moves entries of the format before into it; [`lock`] the per-message locks; [`entry`] what is recorded about a message;
//! [`schedule`] when it is tried again; [`runner`] the delivery of what is due, through the
//! SMTP client; [`bounce`] the delivery status notifications for refused recipients.

pub mod bounce;
pub mod entry;
mod legacy;
pub mod lock;
pub mod runner;
pub mod schedule;
pub mod store;
pub mod transport;

use std::path::PathBuf;

pub use entry::{MessageState, RcptStatus, Route, State};
pub use store::{Queue, QueueError};

/// The queue directory when none is given: `$XDG_STATE_HOME/mailkit/queue`, else
/// `~/.local/state/mailkit/queue`.
pub fn default_dir() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local").join("state"))
        })?;
    Some(state.join("mailkit").join("queue"))
}
