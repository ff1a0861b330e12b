//! Arguments of `mailkit queue` and of the queueing flags of `mailkit send`.

use std::{path::PathBuf, time::Duration};

use clap::{Args, Subcommand};

use crate::queue::schedule::parse_duration;

/// The line `mailkit --help` lists `queue` with, and the first of `mailkit queue --help`: set on
/// the variant and on this struct, since the arguments are added on demand (see
/// [`super::Command`]) and the struct's doc comment would then replace it.
pub const ABOUT: &str =
    "The outgoing queue: list, deliver (run, flush), show, remove, hold, release, retry";

/// Flags of `mailkit queue`.
#[derive(Debug, Args)]
#[command(after_long_help = QUEUE_HELP)]
#[command(about = ABOUT)]
pub struct QueueArgs {
    /// The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else
    /// ~/.local/state/mailkit/queue)
    #[arg(long, value_name = "DIR", env = "MAILKIT_QUEUE", global = true)]
    pub queue_dir: Option<PathBuf>,

    /// What to do with the queue.
    #[command(subcommand)]
    pub command: QueueCommand,
}

/// The queue subcommands.
#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// List queued messages: id, age, state, attempts, next attempt, sender, and each
    /// recipient's last reply
    List,
    /// Deliver the messages that are due (safe from cron, and alongside another run)
    Run(RunArgs),
    /// Deliver every queued message now, ignoring the retry schedule
    Flush(RunArgs),
    /// Show one message's envelope, route and recipients (--raw: the message itself)
    Show {
        /// The queue id
        id: String,
        /// Print the message bytes unchanged instead of the details
        #[arg(long)]
        raw: bool,
    },
    /// Remove messages from the queue without sending them
    Rm {
        /// Queue ids
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Keep messages in the queue without trying them until released
    Hold {
        /// Queue ids
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Let held messages be tried again
    Release {
        /// Queue ids
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Send again, at the next run, to recipients that are uncertain or were given up on
    /// (never to those that accepted or refused for good)
    Retry {
        /// Queue ids
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

/// Flags of `queue run` and `queue flush`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Do not send delivery status notifications (bounces) to the senders of refused mail
    #[arg(long)]
    pub no_bounce: bool,

    /// Wait after the first failed attempt; it doubles after each further one (300, 5m, 1h)
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = duration)]
    pub retry_first: Duration,

    /// The longest wait between attempts
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = duration)]
    pub retry_max: Duration,

    /// Give up on a message this long after it was queued, and bounce it
    #[arg(long, value_name = "DURATION", default_value = "5d", value_parser = duration)]
    pub max_lifetime: Duration,

    /// Tell the sender once (an RFC 3464 "delayed" notification) when a message is still
    /// undelivered this long after it was queued; off unless given
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub delay_warning: Option<Duration>,
}

fn duration(text: &str) -> Result<Duration, String> {
    parse_duration(text)
}

/// The queueing flags of `mailkit send`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Queueing")]
pub struct SendQueueArgs {
    /// Do not send now: write the message durably into the queue, print its queue id, exit 0;
    /// `mailkit queue run` delivers it
    #[arg(long, conflicts_with = "queue_on_failure")]
    pub queue: bool,

    /// Try now; on a temporary failure keep the message (for the recipients still pending)
    /// in the queue and exit 0 with a note. A permanent failure still exits 69
    #[arg(long)]
    pub queue_on_failure: bool,

    /// The queue directory (default: $XDG_STATE_HOME/mailkit/queue, else
    /// ~/.local/state/mailkit/queue)
    #[arg(long, value_name = "DIR", env = "MAILKIT_QUEUE")]
    pub queue_dir: Option<PathBuf>,
}

const QUEUE_HELP: &str = "\
Subcommands: list [--json]; run and flush [--no-bounce] [--retry-first D] [--retry-max D]
[--max-lifetime D]; show ID [--raw]; rm ID...; hold ID...; release ID...; retry ID...

Messages get into the queue with `mailkit send --queue` or `--queue-on-failure`. Each waits in
its own directory under the queue directory, written to disk (fsync) before send exits 0. An
entry that cannot be read is moved to quarantine/ with a reason file, and the run goes on.

States: queued (not tried yet), deferred (tried; retried later), held (`queue hold`),
uncertain (the connection was lost after the message was sent and before the server answered:
it may have been delivered, so it is never resent on its own; `queue retry` sends it again),
failed (refused for good by a 5xx, or not delivered within --max-lifetime; the sender gets a
delivery status notification unless --no-bounce; kept until `queue rm`).

Retry schedule: after the first failed attempt wait --retry-first (5m), doubling up to
--retry-max (1h); give up after --max-lifetime (5d). Recipients that accepted the message are
never sent it again; a 5xx is final; a 4xx, a lost connection or a failed DNS lookup defers.

Examples:
  mailkit send --queue-on-failure --account work --to bob@example.org -s hi --body 'text'
  mailkit queue list
  */5 * * * *  mailkit queue run        # crontab: deliver what is due

Exit status: 0 the queue was read or run (whatever became of each message: see the output);
1 no such queue id; 2 usage error; 74 the queue directory could not be read or written; 75 the
message is locked by a running delivery; 78 no queue directory.";
