//! `queue run`: deliver what is due. Entries are grouped by route and taken in chunks, each
//! chunk on one connection (per destination); every entry is locked first, so runs started
//! together (cron overlapping itself) share the work and never send a message twice.
//!
//! Per recipient: accepted is final and never resent; a 5xx is final; a 4xx, a lost
//! connection or a failed lookup (of an MX or of the relay itself) leaves it pending for the
//! next attempt; a connection lost after the final `.` makes it uncertain, which only a
//! person undoes (`queue retry`). Just before a message's content goes out the entry is
//! marked in flight, so a run killed before it recorded the server's answer leaves the
//! recipients uncertain rather than sending them the message again.

use std::collections::HashMap;

use super::{
    bounce,
    entry::{InFlight, RcptStatus, Route, State},
    schedule::{self, Policy},
    store::{Locked, Queue, QueueError},
};
use crate::smtp::{
    Envelope, Payload, Status,
    deliver::{Job, Report},
};

/// How many messages of one route are delivered together: enough to use a connection well,
/// few enough that memory stays flat however long the queue is.
pub const CHUNK: usize = 200;

/// Threads deleting delivered entries.
const DELETERS: usize = 4;

/// What a run does.
#[derive(Clone, Debug)]
pub struct Options {
    /// The retry schedule.
    pub policy: Policy,
    /// Deliver everything now, ignoring the schedule (`queue flush`).
    pub flush: bool,
    /// Queue a delivery status notification for refused recipients.
    pub bounce: bool,
    /// Queue one "delayed" notification for a message still pending this long after it
    /// was queued (off when `None`, as Postfix's `delay_warning_time` is by default).
    pub delay_warning: Option<std::time::Duration>,
    /// The name of this host in bounces (`Reporting-MTA`).
    pub reporting_mta: String,
}

/// Delivers messages along a route. The real one speaks SMTP; tests may replace it.
pub trait Transport {
    /// Delivers `jobs` along `route`, one report per recipient per job, calling `sending`
    /// just before a job's content (or a destination's share of it: the same payload, some
    /// of the recipients) is handed to a server.
    fn deliver(
        &mut self,
        route: &Route,
        jobs: &[Job<'_>],
        sending: &mut dyn FnMut(&Job<'_>),
    ) -> Vec<Vec<Report>>;
}

/// What happened to one message in a run, for the command to print.
#[derive(Debug)]
pub enum Event {
    /// Every recipient has it now; the entry left the queue.
    Delivered {
        /// The entry.
        id: String,
    },
    /// Tried; some recipients remain for later.
    Deferred {
        /// The entry.
        id: String,
        /// When the next attempt is due.
        next: u64,
        /// The last reply of a pending recipient.
        reply: String,
        /// The id of the "delayed" notification queued for the sender, if one was.
        notice: Option<String>,
    },
    /// Some recipient was refused for good or given up on.
    Failed {
        /// The entry.
        id: String,
        /// Refused recipients and their replies.
        refused: Vec<(String, String)>,
        /// The id of the notification queued for the sender, if one was.
        bounce: Option<String>,
    },
    /// Some recipient may or may not have the message; it waits for `queue retry`.
    Uncertain {
        /// The entry.
        id: String,
        /// Why.
        reply: String,
    },
    /// An entry that could not be read was moved aside.
    Quarantined {
        /// The entry.
        id: String,
        /// What was wrong.
        reason: String,
    },
    /// Another process holds the entry; this run left it alone.
    Busy {
        /// The entry.
        id: String,
    },
}

/// Counts of what a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Messages every recipient of which now has them.
    pub delivered: usize,
    /// Messages with recipients left for a later attempt.
    pub deferred: usize,
    /// Messages with a recipient refused for good or given up on.
    pub failed: usize,
    /// Messages left uncertain.
    pub uncertain: usize,
    /// Entries moved to quarantine.
    pub quarantined: usize,
}

/// Runs the queue once: every due entry (every entry with `flush`) is tried.
pub fn run(
    queue: &Queue,
    transport: &mut dyn Transport,
    options: &Options,
    events: &mut dyn FnMut(Event),
) -> Result<Summary, QueueError> {
    queue.clean_tmp();
    // Delivered entries are deleted by threads of their own, so that the file system's work
    // overlaps the network's; several, because on a file system mounted with `discard` each
    // deleted file waits for the disk, and the disk takes several at once.
    let (retired, bin) = std::sync::mpsc::channel::<std::path::PathBuf>();
    let bin = std::sync::Mutex::new(bin);
    std::thread::scope(|scope| {
        for _ in 0..DELETERS {
            let bin = &bin;
            scope.spawn(move || {
                loop {
                    let next = bin.lock().map(|rx| rx.recv());
                    match next {
                        Ok(Ok(dir)) => {
                            let _ = std::fs::remove_file(dir);
                        }
                        _ => return,
                    }
                }
            });
        }
        let mut run = Run {
            queue,
            transport,
            options,
            events,
            retired,
            summary: Summary::default(),
        };
        run.all()?;
        Ok(run.summary)
    })
}

/// One run's context, shared by its chunks.
struct Run<'a> {
    queue: &'a Queue,
    transport: &'a mut dyn Transport,
    options: &'a Options,
    events: &'a mut dyn FnMut(Event),
    retired: std::sync::mpsc::Sender<std::path::PathBuf>,
    summary: Summary,
}

impl Run<'_> {
    /// Every entry, grouped by route, in chunks.
    fn all(&mut self) -> Result<(), QueueError> {
        let queue = self.queue;
        // Keyed by the route's JSON: one group per way out.
        let mut groups: HashMap<String, (Route, Vec<String>)> = HashMap::new();
        for id in queue.ids()? {
            let state = match queue.load(&id) {
                Ok(state) => state,
                Err(QueueError::NoSuchEntry(_)) => continue,
                Err(err @ QueueError::Corrupt { .. }) => {
                    let reason = err.to_string();
                    if queue.quarantine(&id, &reason)?.is_some() {
                        self.summary.quarantined += 1;
                        (self.events)(Event::Quarantined { id, reason });
                    }
                    continue;
                }
                Err(err) => return Err(err),
            };
            if !wanted(&state, self.options, schedule::now()) {
                continue;
            }
            let key = serde_json::to_string(&state.route).expect("a route always serializes");
            let (route, group) = groups
                .entry(key)
                .or_insert_with(|| (state.route, Vec::new()));
            group.push(id);
            if group.len() >= CHUNK {
                let ids = std::mem::take(group);
                self.chunk(route, &ids)?;
            }
        }
        let mut rest: Vec<(Route, Vec<String>)> = groups.into_values().collect();
        rest.sort_by(|a, b| a.1.first().cmp(&b.1.first()));
        for (route, ids) in rest {
            if !ids.is_empty() {
                self.chunk(&route, &ids)?;
            }
        }
        Ok(())
    }

    /// Locks and delivers one chunk of entries of `route`.
    fn chunk(&mut self, route: &Route, ids: &[String]) -> Result<(), QueueError> {
        let (queue, options) = (self.queue, self.options);
        let summary = &mut self.summary;
        let events = &mut *self.events;
        let now = schedule::now();
        let mut work: Vec<Work> = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(entry) = queue.try_lock(id)? else {
                events(Event::Busy { id: id.clone() });
                continue;
            };
            if entry.recovered.is_some() {
                let uncertain = entry.state.indexes(RcptStatus::Uncertain);
                summary.uncertain += 1;
                events(Event::Uncertain {
                    id: id.clone(),
                    reply: uncertain
                        .first()
                        .and_then(|&i| entry.state.recipients[i].reply.clone())
                        .unwrap_or_default(),
                });
            }
            if entry.state.route != *route || !wanted(&entry.state, options, now) {
                continue;
            }
            let pending = entry.state.pending();
            work.push(Work {
                payload: Payload::new(&entry.message),
                envelope: entry.state.envelope(&pending),
                entry,
                pending,
            });
        }
        if work.is_empty() {
            return Ok(());
        }
        let jobs: Vec<Job<'_>> = work
            .iter()
            .map(|w| Job {
                envelope: &w.envelope,
                payload: &w.payload,
            })
            .collect();
        let mut mark_error = None;
        // Per message, the recipients whose copy has gone out and whose answer is not recorded
        // yet: all of them are uncertain if this process dies before recording.
        let mut flown: Vec<Vec<usize>> = vec![Vec::new(); work.len()];
        let reports = self.transport.deliver(route, &jobs, &mut |job| {
            let Some(j) = work
                .iter()
                .position(|w| std::ptr::eq(&w.payload, job.payload))
            else {
                return;
            };
            let state = &work[j].entry.state;
            for address in &job.envelope.recipients {
                let found =
                    work[j].pending.iter().copied().find(|&i| {
                        state.recipients[i].address == *address && !flown[j].contains(&i)
                    });
                flown[j].extend(found);
            }
            let flight = InFlight {
                attempt: state.attempts.saturating_add(1),
                at: schedule::now(),
                recipients: flown[j].clone(),
                every_pending: false,
            };
            if let Err(err) = queue.mark_in_flight(&work[j].entry, &flight) {
                mark_error.get_or_insert(err);
            }
        });
        drop(jobs);
        // Every entry's outcome is recorded even when one fails to be: the first error is
        // returned at the end.
        let mut first_error = mark_error;
        let mut delivered = Vec::new();
        for (w, reports) in work.into_iter().zip(reports) {
            let Work {
                mut entry, pending, ..
            } = w;
            record(&mut entry.state, &pending, &reports, now, &options.policy);
            let id = entry.id.clone();
            if entry.state.is_done() {
                match queue.retire(entry) {
                    Ok(gone) => {
                        // The deleting thread lives as long as the run; were it gone,
                        // clean_tmp would delete it.
                        let _ = self.retired.send(gone);
                        delivered.push(id);
                    }
                    Err(err) => {
                        first_error.get_or_insert(err);
                    }
                }
                continue;
            }
            // The outcome first, so that a failure to queue the notification cannot lose it.
            let recorded = queue
                .save(&mut entry)
                .and_then(|()| settle(queue, &mut entry.state, &entry.message, options, now));
            let bounce_id = match recorded {
                Ok(Some(bounce)) => match queue.save(&mut entry) {
                    Ok(()) => Some(bounce),
                    Err(err) => {
                        first_error.get_or_insert(err);
                        Some(bounce)
                    }
                },
                Ok(None) => None,
                Err(err) => {
                    first_error.get_or_insert(err);
                    None
                }
            };
            report(&entry.state, id, bounce_id, summary, events);
        }
        // One fsync of the directory makes the chunk's removals durable, before they are
        // reported: a power cut after it cannot bring a delivered message back.
        if !delivered.is_empty()
            && let Err(err) = queue.sync_entries()
        {
            first_error.get_or_insert(err);
        }
        for id in delivered {
            summary.delivered += 1;
            events(Event::Delivered { id });
        }
        match first_error {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

/// Whether a run should try this entry now. The wait is the run's own policy applied to the
/// attempts so far (so a cron line's `--retry-first` takes effect for messages already
/// queued); the stored `next_attempt` is what `queue list` shows.
fn wanted(state: &State, options: &Options, now: u64) -> bool {
    let next = match state.last_attempt {
        Some(last) => last.saturating_add(options.policy.backoff(state.attempts).as_secs()),
        None => state.next_attempt,
    };
    !state.held
        && state.failed.is_none()
        && state
            .recipients
            .iter()
            .any(|r| r.status == RcptStatus::Pending)
        && (options.flush || schedule::due(state.last_attempt, next, now))
}

/// A locked entry on its way out: its message and the recipients this attempt is for.
struct Work {
    entry: Locked,
    payload: Payload,
    envelope: Envelope,
    pending: Vec<usize>,
}

/// Applies one attempt's reports to the state, and plans the next attempt.
fn record(state: &mut State, pending: &[usize], reports: &[Report], now: u64, policy: &Policy) {
    for (&i, report) in pending.iter().zip(reports) {
        let recipient = &mut state.recipients[i];
        recipient.status = match report.outcome.status {
            Status::Accepted => RcptStatus::Accepted,
            Status::Rejected => RcptStatus::Rejected,
            Status::Deferred => RcptStatus::Pending,
            Status::Unknown => RcptStatus::Uncertain,
        };
        recipient.reply = Some(report.outcome.reply.clone());
        recipient.host = report.host.clone();
    }
    state.attempts = state.attempts.saturating_add(1);
    state.last_attempt = Some(now);
    state.next_attempt = now.saturating_add(policy.backoff(state.attempts).as_secs());
    if policy.expired(state.lifetime_start, now) && !state.pending().is_empty() {
        let days = policy.lifetime.as_secs() as f64 / 86400.0;
        state.failed = Some(format!("not delivered within {days:.2} days"));
        for recipient in &mut state.recipients {
            if recipient.status == RcptStatus::Pending {
                recipient.status = RcptStatus::Rejected;
                let last = recipient.reply.take().unwrap_or_default();
                recipient.reply = Some(format!("gave up after {days:.2} days; last reply: {last}"));
            }
        }
    }
}

/// Once nothing is pending or uncertain and some recipient was refused, queues the delivery
/// status notification (once, never for a null sender, not with `--no-bounce`); with
/// `--delay-warning`, queues the one "delayed" notification of a message pending too long.
fn settle(
    queue: &Queue,
    state: &mut State,
    message: &[u8],
    options: &Options,
    now: u64,
) -> Result<Option<String>, QueueError> {
    let open = state
        .recipients
        .iter()
        .any(|r| matches!(r.status, RcptStatus::Pending | RcptStatus::Uncertain));
    let refused = state.indexes(RcptStatus::Rejected);
    let pending = state.pending();
    let late = options.delay_warning.is_some_and(|after| {
        now.saturating_sub(state.lifetime_start) >= after.as_secs() && !state.warned
    });
    let (recipients, action) = if late && !pending.is_empty() && state.failed.is_none() {
        let until = state
            .lifetime_start
            .saturating_add(options.policy.lifetime.as_secs());
        (pending, bounce::Action::Delayed { until })
    } else if !open && !refused.is_empty() && !state.bounced && options.bounce {
        (refused, bounce::Action::Failed)
    } else {
        return Ok(None);
    };
    if state.sender.is_empty() {
        return Ok(None);
    }
    let dsn = bounce::compose(
        state,
        &recipients,
        message,
        &options.reporting_mta,
        now,
        action,
    );
    let envelope = Envelope {
        from: String::new(),
        recipients: vec![state.sender.clone()],
        dsn: Default::default(),
    };
    let notice = State::new(&envelope, Some(dsn.message_id), state.route.clone(), now);
    let id = queue.enqueue(&dsn.bytes, &notice)?;
    match action {
        bounce::Action::Failed => state.bounced = true,
        bounce::Action::Delayed { .. } => state.warned = true,
    }
    Ok(Some(id))
}

fn report(
    state: &State,
    id: String,
    bounce: Option<String>,
    summary: &mut Summary,
    events: &mut dyn FnMut(Event),
) {
    let uncertain = state.indexes(RcptStatus::Uncertain);
    let pending = state.pending();
    let refused = state.indexes(RcptStatus::Rejected);
    let reply_of = |i: usize| state.recipients[i].reply.clone().unwrap_or_default();
    if !uncertain.is_empty() {
        summary.uncertain += 1;
        events(Event::Uncertain {
            id: id.clone(),
            reply: reply_of(uncertain[0]),
        });
    }
    if !refused.is_empty() && pending.is_empty() {
        summary.failed += 1;
        events(Event::Failed {
            id,
            refused: refused
                .iter()
                .map(|&i| (state.recipients[i].address.clone(), reply_of(i)))
                .collect(),
            bounce,
        });
    } else if !pending.is_empty() {
        summary.deferred += 1;
        events(Event::Deferred {
            id,
            next: state.next_attempt,
            reply: reply_of(pending[0]),
            notice: bounce,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        net::TlsMode,
        queue::entry::Relay,
        smtp::{Envelope, RcptOutcome},
    };

    /// Accepts everything, remembering each call's route and size, and hears every sending.
    #[derive(Default)]
    struct Accepting {
        calls: Vec<(String, usize)>,
        sent: usize,
    }

    impl Transport for Accepting {
        fn deliver(
            &mut self,
            route: &Route,
            jobs: &[Job<'_>],
            sending: &mut dyn FnMut(&Job<'_>),
        ) -> Vec<Vec<Report>> {
            let host = route.relay.as_ref().map_or("mx", |r| r.host.as_str());
            self.calls.push((host.to_string(), jobs.len()));
            jobs.iter()
                .map(|job| {
                    sending(job);
                    self.sent += 1;
                    let accepted = Report {
                        outcome: RcptOutcome::new(Status::Accepted, "250 ok".into()),
                        host: Some(host.to_string()),
                        port: None,
                    };
                    vec![accepted; job.envelope.recipients.len()]
                })
                .collect()
        }
    }

    fn route(host: &str) -> Route {
        Route {
            relay: Some(Relay {
                host: host.into(),
                port: 25,
            }),
            mx_port: 25,
            tls: TlsMode::None,
            account: None,
            user: None,
            secret: None,
            auth: None,
            ca_file: None,
            insecure_skip_tls_verify: false,
            allow_cleartext_auth: false,
            ehlo: None,
            dns_server: None,
            timeout: 5,
        }
    }

    #[test]
    fn entries_go_out_by_route_in_chunks_and_leave_the_queue() {
        let dir = tempfile::tempdir().unwrap();
        let queue = Queue::open(dir.path()).unwrap();
        let envelope = Envelope {
            from: "a@x.test".into(),
            recipients: vec!["b@y.test".into()],
            dsn: Default::default(),
        };
        for i in 0..(CHUNK + 10) {
            let relay = if i % 50 == 0 { "two.test" } else { "one.test" };
            let state = State::new(&envelope, None, route(relay), schedule::now());
            queue.enqueue(b"Subject: x\r\n\r\nx\r\n", &state).unwrap();
        }
        let options = Options {
            policy: Policy::default(),
            flush: false,
            bounce: true,
            delay_warning: None,
            reporting_mta: "client.test".into(),
        };
        let mut transport = Accepting::default();
        let mut delivered = 0;
        let summary = run(&queue, &mut transport, &options, &mut |event| {
            if let Event::Delivered { .. } = event {
                delivered += 1;
            }
        })
        .unwrap();
        assert_eq!(summary.delivered, CHUNK + 10);
        assert_eq!(delivered, CHUNK + 10);
        assert_eq!(transport.sent, CHUNK + 10);
        let one: Vec<usize> = transport
            .calls
            .iter()
            .filter(|(h, _)| h == "one.test")
            .map(|c| c.1)
            .collect();
        // 5 of the CHUNK + 10 go to two.test: one.test gets a full chunk and the rest.
        assert_eq!(one, [CHUNK, 5]);
        assert!(transport.calls.contains(&("two.test".to_string(), 5)));
        assert!(queue.ids().unwrap().is_empty());
    }
}
