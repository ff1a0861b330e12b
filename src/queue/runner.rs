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

/// How many delivered entries' removals one fsync of `messages/` makes durable (on a
/// journalling file system each is a journal commit); their ids wait in memory till then.
const SYNC_EVERY: usize = 5 * CHUNK;

/// Threads deleting delivered entries.
const DELETERS: usize = 4;

/// How many locked entries (open files) a run holds at most while it lists the queue.
const HELD: usize = 2 * CHUNK;

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
    // Delivered entries are taken out of the queue by threads of their own, so that the
    // file system's work overlaps the network's: each renames a batch of locked entries out
    // of messages/, says so, then deletes them. Several, because on a file system mounted
    // with `discard` each deleted file waits for the disk, and the disk takes several at once.
    let (retired, bin) = std::sync::mpsc::channel::<Vec<Locked>>();
    let (acked, acks) = std::sync::mpsc::channel::<Vec<(String, Result<(), QueueError>)>>();
    let bin = std::sync::Mutex::new(bin);
    std::thread::scope(|scope| {
        for _ in 0..DELETERS {
            let (bin, acked) = (&bin, acked.clone());
            scope.spawn(move || {
                while let Ok(Ok(entries)) = bin.lock().map(|rx| rx.recv()) {
                    let mut files = Vec::with_capacity(entries.len());
                    let mut done = Vec::with_capacity(entries.len());
                    for entry in entries {
                        let id = entry.id.clone();
                        match queue.retire(entry) {
                            Ok(file) => {
                                files.push(file);
                                done.push((id, Ok(())));
                            }
                            Err(err) => done.push((id, Err(err))),
                        }
                    }
                    // The run waits for every batch's answer before its sync.
                    let _ = acked.send(done);
                    for file in files {
                        let _ = std::fs::remove_file(file);
                    }
                }
            });
        }
        drop(acked);
        // Listing, locking and reading entries (file system work) runs on a thread of its
        // own, a chunk ahead of the delivery (network work). The hand-over waits for the
        // taker, so at most three chunks' files are open at once.
        let (found, scanned) = std::sync::mpsc::sync_channel(0);
        scope.spawn(move || scan(queue, options, &found));
        let mut run = Run {
            queue,
            transport,
            options,
            events,
            retired,
            acks,
            batches: 0,
            summary: Summary::default(),
            unsynced: 0,
        };
        run.all(scanned)?;
        Ok(run.summary)
    })
}

/// One run's context, shared by its chunks.
struct Run<'a> {
    queue: &'a Queue,
    transport: &'a mut dyn Transport,
    options: &'a Options,
    events: &'a mut dyn FnMut(Event),
    retired: std::sync::mpsc::Sender<Vec<Locked>>,
    /// The deleting threads' answers: which entries left `messages/`.
    acks: std::sync::mpsc::Receiver<Vec<(String, Result<(), QueueError>)>>,
    /// Batches handed to the deleting threads and not answered yet.
    batches: usize,
    summary: Summary,
    /// Delivered entries handed to the deleting threads since the last sync.
    unsynced: usize,
}

impl Run<'_> {
    /// Delivers what the scanning thread hands over, chunk by chunk, and passes its events
    /// on.
    fn all(&mut self, scanned: std::sync::mpsc::Receiver<Scanned>) -> Result<(), QueueError> {
        let delivered = self.deliver_all(scanned);
        let synced = self.sync_and_report();
        delivered.and(synced)
    }

    /// One fsync of `messages/` makes the removals of the entries delivered since the last
    /// one durable, and only then are they reported: a power cut after it cannot bring a
    /// delivered message back.
    fn sync_and_report(&mut self) -> Result<(), QueueError> {
        let mut first_error = None;
        let mut gone = Vec::with_capacity(self.unsynced);
        for _ in 0..std::mem::take(&mut self.batches) {
            let Ok(batch) = self.acks.recv() else {
                break;
            };
            for (id, result) in batch {
                match result {
                    Ok(()) => gone.push(id),
                    Err(err) => {
                        first_error.get_or_insert(err);
                    }
                }
            }
        }
        self.unsynced = 0;
        if gone.is_empty() {
            return first_error.map_or(Ok(()), Err);
        }
        if let Err(err) = self.queue.sync_entries() {
            first_error.get_or_insert(err);
        }
        for id in gone {
            self.summary.delivered += 1;
            (self.events)(Event::Delivered { id });
        }
        first_error.map_or(Ok(()), Err)
    }

    /// [`Run::all`] up to the last sync.
    fn deliver_all(
        &mut self,
        scanned: std::sync::mpsc::Receiver<Scanned>,
    ) -> Result<(), QueueError> {
        for item in scanned {
            match item {
                Scanned::Chunk(route, entries) => self.chunk(&route, entries)?,
                Scanned::Event(event) => {
                    match event {
                        Event::Quarantined { .. } => self.summary.quarantined += 1,
                        Event::Uncertain { .. } => self.summary.uncertain += 1,
                        _ => {}
                    }
                    (self.events)(event);
                }
                Scanned::Failed(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// Delivers one chunk of locked entries of `route`.
    fn chunk(&mut self, route: &Route, entries: Vec<Locked>) -> Result<(), QueueError> {
        let (queue, options) = (self.queue, self.options);
        let now = schedule::now();
        let work: Vec<Work> = entries
            .into_iter()
            .map(|entry| {
                let pending = entry.state.pending();
                Work {
                    payload: Payload::new(&entry.message),
                    envelope: entry.state.envelope(&pending),
                    entry,
                    pending,
                }
            })
            .collect();
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
        let mut done = Vec::new();
        let summary = &mut self.summary;
        let events = &mut *self.events;
        for (w, reports) in work.into_iter().zip(reports) {
            let Work {
                mut entry, pending, ..
            } = w;
            record(&mut entry.state, &pending, &reports, now, &options.policy);
            let id = entry.id.clone();
            if entry.state.is_done() {
                done.push(entry);
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
        // Shared out in a few batches, so the deleting threads are woken a few times a chunk.
        self.unsynced += done.len();
        let share = done.len().div_ceil(DELETERS).max(1);
        while !done.is_empty() {
            let batch = done.split_off(done.len().saturating_sub(share));
            // The deleting threads live as long as the run.
            if self.retired.send(batch).is_ok() {
                self.batches += 1;
            }
        }
        if self.unsynced >= SYNC_EVERY
            && let Err(err) = self.sync_and_report()
        {
            first_error.get_or_insert(err);
        }
        match first_error {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }
}

/// What the scanning thread hands to the delivering one, in order.
enum Scanned {
    /// Locked entries of one route, to deliver together.
    Chunk(Route, Vec<Locked>),
    /// Something to report (busy, quarantined, uncertain).
    Event(Event),
    /// Listing or locking failed: the run stops.
    Failed(QueueError),
}

/// Lists every entry, locks and reads each once, and hands the due ones over grouped by
/// route, in chunks; returns when done or when the delivering thread has stopped listening.
fn scan(queue: &Queue, options: &Options, out: &std::sync::mpsc::SyncSender<Scanned>) {
    let send = |item| out.send(item).is_ok();
    let ids = match queue.ids() {
        Ok(ids) => ids,
        Err(err) => {
            send(Scanned::Failed(err));
            return;
        }
    };
    // One group per way out; routes are few (a relay, an account, direct MX), so a list
    // compared by value does.
    let mut groups: Vec<(Route, Vec<Locked>)> = Vec::new();
    let mut held = 0;
    for id in ids {
        let now = schedule::now();
        let entry = match queue.try_lock(&id) {
            Ok(Some(entry)) => entry,
            // Held by another process, or gone: reported busy only if this run would have
            // tried it.
            Ok(None) => {
                let due = queue
                    .load(&id)
                    .is_ok_and(|state| wanted(&state, options, now));
                if due && !send(Scanned::Event(Event::Busy { id })) {
                    return;
                }
                continue;
            }
            Err(QueueError::NoSuchEntry(_)) => continue,
            Err(err @ QueueError::Corrupt { .. }) => {
                let reason = err.to_string();
                match queue.quarantine(&id, &reason) {
                    Ok(Some(_)) => {
                        if !send(Scanned::Event(Event::Quarantined { id, reason })) {
                            return;
                        }
                    }
                    Ok(None) => {}
                    Err(err) => {
                        send(Scanned::Failed(err));
                        return;
                    }
                }
                continue;
            }
            Err(err) => {
                send(Scanned::Failed(err));
                return;
            }
        };
        if entry.recovered.is_some() {
            let uncertain = entry.state.indexes(RcptStatus::Uncertain);
            let reply = uncertain
                .first()
                .and_then(|&i| entry.state.recipients[i].reply.clone())
                .unwrap_or_default();
            if !send(Scanned::Event(Event::Uncertain { id, reply })) {
                return;
            }
        }
        if !wanted(&entry.state, options, now) {
            continue;
        }
        let g = match groups.iter().position(|(r, _)| *r == entry.state.route) {
            Some(g) => g,
            None => {
                groups.push((entry.state.route.clone(), Vec::new()));
                groups.len() - 1
            }
        };
        groups[g].1.push(entry);
        held += 1;
        // A full chunk goes out; so does the largest group when many routes together hold
        // too many open files.
        let full = if groups[g].1.len() >= CHUNK {
            Some(g)
        } else if held >= HELD {
            (0..groups.len()).max_by_key(|&g| groups[g].1.len())
        } else {
            None
        };
        if let Some(g) = full {
            let entries = std::mem::take(&mut groups[g].1);
            held -= entries.len();
            if !send(Scanned::Chunk(groups[g].0.clone(), entries)) {
                return;
            }
        }
    }
    groups.sort_by(|a, b| {
        let first = |g: &(Route, Vec<Locked>)| g.1.first().map(|e| e.id.clone());
        first(a).cmp(&first(b))
    });
    for (route, entries) in groups {
        if !entries.is_empty() && !send(Scanned::Chunk(route, entries)) {
            return;
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
