//! Staying connected to one folder and reacting to arrivals (`fetch --watch`): IDLE where the
//! server offers it, else NOOP polling, reconnecting with backoff after a drop, until a stop
//! signal. What happens on an arrival is the caller's; this module only decides when.

use std::{
    io::{Read, Write},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;

use super::{
    Session, Woken,
    session::{IDLE_REISSUE, Timed},
};
use crate::{
    exit::{self, Exit, Failure, Kind},
    output,
};

/// How long the watch waits at each step, so tests can run the same loop in milliseconds.
pub struct Pacing {
    /// How long one IDLE lasts before it is re-issued.
    pub idle: Duration,
    /// How often a server without IDLE is asked with NOOP.
    pub poll: Duration,
    /// The wait before the first reconnection; it doubles after each failure.
    pub first_retry: Duration,
    /// The longest wait between reconnections.
    pub max_retry: Duration,
}

impl Pacing {
    /// IDLE re-issued every 25 minutes (RFC 2177's limit being 30), NOOP every 30 s, and
    /// reconnections after 1 s doubling up to 5 minutes: patient with a server, quick to
    /// notice mail.
    pub const STANDARD: Pacing = Pacing {
        idle: IDLE_REISSUE,
        poll: Duration::from_secs(30),
        first_retry: Duration::from_secs(1),
        max_retry: Duration::from_secs(300),
    };
}

/// A flag raised by SIGINT or SIGTERM, so a watch ends between steps with everything fetched
/// so far committed, rather than being killed mid-write.
pub fn stop_on_signals() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .map_err(|err| Failure::new(Kind::Internal, err))
            .context("installing the signal handlers")?;
    }
    Ok(stop)
}

/// Waits on the selected folder of `session` and calls `arrived` for each arrival; after a
/// temporary failure (a drop, a timeout, a busy server) it warns, waits with backoff, calls
/// `connect` for a new session and `arrived` on it at once (mail may have come meanwhile).
/// Any other failure ends the watch. `stop` is checked between steps, so an arrival being
/// handled is finished; on a stop the session is logged out.
pub fn watch<S: Read + Write + Timed>(
    mut session: Session<S>,
    pacing: &Pacing,
    stop: &AtomicBool,
    mut connect: impl FnMut() -> anyhow::Result<Session<S>>,
    mut arrived: impl FnMut(&mut Session<S>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let stopped = || stop.load(Ordering::Relaxed);
    let mut backoff = pacing.first_retry;
    let mut connected = true;
    while !stopped() {
        let step = (|| -> anyhow::Result<()> {
            if !connected {
                session = connect()?;
                connected = true;
                arrived(&mut session)?;
            }
            let woken = if session.has("IDLE") {
                session.idle(pacing.idle, &stopped).map_err(Failure::from)?
            } else {
                sleep_unless(pacing.poll, &stopped);
                session.noop().map_err(Failure::from)?
            };
            if woken == Woken::NewMail && !stopped() {
                arrived(&mut session)?;
            }
            Ok(())
        })();
        match step {
            Ok(()) => backoff = pacing.first_retry,
            Err(err) if exit::code_of(&err) == Exit::TempFail => {
                output::warning(&format!(
                    "{}; reconnecting in {} s",
                    exit::one_line(&err),
                    backoff.as_secs()
                ));
                connected = false;
                sleep_unless(backoff, &stopped);
                backoff = (backoff * 2).min(pacing.max_retry);
            }
            Err(err) => return Err(err),
        }
    }
    if connected {
        session
            .logout()
            .map_err(Failure::from)
            .context("logging out")?;
    }
    Ok(())
}

/// Sleeps for `period`, waking every 200 ms to see whether to stop.
fn sleep_unless(period: Duration, stopped: &dyn Fn() -> bool) {
    let end = Instant::now() + period;
    while !stopped() {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(Duration::from_millis(200)));
    }
}

#[cfg(test)]
mod tests {
    use std::{
        cell::{Cell, RefCell},
        sync::Mutex,
    };

    use super::*;
    use crate::{output::Transcript, testing::Script};

    const PACING: Pacing = Pacing {
        idle: Duration::from_millis(50),
        poll: Duration::from_millis(1),
        first_retry: Duration::from_millis(10),
        max_retry: Duration::from_millis(40),
    };

    /// A session without IDLE, INBOX selected with 2 messages; the server then says `rest`
    /// (the NOOP is tagged A0002, the LOGOUT after it A0003). What the client writes is kept.
    fn selected(rest: &[u8]) -> (Session<Script>, Arc<Mutex<Vec<u8>>>) {
        let mut server = b"* OK [CAPABILITY IMAP4rev1] ready\r\n\
              * 2 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\nA0001 OK [READ-WRITE] selected\r\n"
            .to_vec();
        server.extend_from_slice(rest);
        let (script, written) = Script::recorded(&server);
        let mut session =
            Session::open(script, true, Transcript::off(), Duration::from_secs(5)).unwrap();
        session.select("INBOX", false).unwrap();
        (session, written)
    }

    fn wrote(written: &Mutex<Vec<u8>>, what: &str) -> bool {
        String::from_utf8_lossy(&written.lock().unwrap()).contains(what)
    }

    #[test]
    fn an_arrival_is_handed_over_and_a_stop_logs_out() {
        let (session, written) =
            selected(b"* 3 EXISTS\r\nA0002 OK noop\r\n* BYE bye\r\nA0003 OK out\r\n");
        let stop = AtomicBool::new(false);
        let arrivals = Cell::new(0);
        watch(
            session,
            &PACING,
            &stop,
            || panic!("no reconnection without a failure"),
            |_| {
                arrivals.set(arrivals.get() + 1);
                stop.store(true, Ordering::Relaxed);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(arrivals.get(), 1);
        assert!(wrote(&written, "A0003 LOGOUT"));
    }

    #[test]
    fn a_stop_before_anything_only_logs_out() {
        let (session, written) = selected(b"* BYE bye\r\nA0002 OK out\r\n");
        let stop = AtomicBool::new(true);
        watch(
            session,
            &PACING,
            &stop,
            || panic!("no reconnection"),
            |_| panic!("no arrival"),
        )
        .unwrap();
        assert!(wrote(&written, "A0002 LOGOUT"));
        assert!(!wrote(&written, "NOOP"));
    }

    #[test]
    fn a_drop_reconnects_with_doubling_waits_and_fetches_at_once() {
        // The first session's server goes away at the NOOP.
        let (session, _) = selected(b"");
        let stop = AtomicBool::new(false);
        let attempts = RefCell::new(Vec::new());
        let last = RefCell::new(None);
        let arrivals = Cell::new(0);
        watch(
            session,
            &PACING,
            &stop,
            || {
                attempts.borrow_mut().push(Instant::now());
                if attempts.borrow().len() < 5 {
                    crate::bail!(Kind::Temporary, "connection refused");
                }
                let (session, written) =
                    selected(b"A0002 OK noop\r\n* BYE bye\r\nA0003 OK out\r\n");
                *last.borrow_mut() = Some(written);
                Ok(session)
            },
            |_| {
                arrivals.set(arrivals.get() + 1);
                stop.store(true, Ordering::Relaxed);
                Ok(())
            },
        )
        .unwrap();
        let attempts = attempts.borrow();
        assert_eq!(attempts.len(), 5);
        let waits: Vec<Duration> = attempts.windows(2).map(|w| w[1] - w[0]).collect();
        for (wait, least) in waits.iter().zip([20, 40, 40, 40]) {
            assert!(*wait >= Duration::from_millis(least), "{waits:?}");
        }
        assert_eq!(arrivals.get(), 1, "the new session is fetched from at once");
        assert!(wrote(last.borrow().as_ref().unwrap(), "A0003 LOGOUT"));
    }

    #[test]
    fn a_lasting_failure_ends_the_watch() {
        let (session, _) = selected(b"A0002 NO [ALERT] mailbox gone\r\n");
        let stop = AtomicBool::new(false);
        let err = watch(
            session,
            &PACING,
            &stop,
            || panic!("a lasting failure is not retried"),
            |_| panic!("no arrival"),
        )
        .unwrap_err();
        assert_ne!(exit::code_of(&err), Exit::TempFail);
    }
}
