//! When a queued message is tried again: exponential backoff per message (in the spirit of
//! Postfix's `minimal_backoff_time`/`maximal_backoff_time`), a maximum lifetime after which it
//! fails, and a rule that survives the clock moving backwards.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The retry policy of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The wait after the first failed attempt.
    pub first: Duration,
    /// The longest wait between attempts; the wait doubles up to it.
    pub max: Duration,
    /// How long after it was queued a message is given up on.
    pub lifetime: Duration,
}

impl Default for Policy {
    /// About 5 minutes doubling to an hour, for 5 days, as Postfix does by default.
    fn default() -> Self {
        Policy {
            first: Duration::from_secs(300),
            max: Duration::from_secs(3600),
            lifetime: Duration::from_secs(5 * 24 * 3600),
        }
    }
}

impl Policy {
    /// The wait after the `attempts`-th failed attempt (1-based): `first`, doubled for each
    /// further attempt, capped at `max`.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(32);
        self.first
            .checked_mul(1u32 << doublings.min(31))
            .unwrap_or(self.max)
            .min(self.max)
            .max(Duration::from_secs(1))
    }

    /// Whether a message queued (or last revived) at `since` has outlived its lifetime at
    /// `now`. A clock that moved backwards makes the age zero, never negative.
    pub fn expired(&self, since: u64, now: u64) -> bool {
        now.saturating_sub(since) >= self.lifetime.as_secs()
    }
}

/// Whether a message whose last attempt was at `last` and whose next is planned at `next` is
/// due at `now`. Besides `now >= next`: when the time left is longer than the wait that was
/// planned, the clock has moved backwards since the last attempt, and the message is due at
/// once rather than stranded until the clock catches up.
pub fn due(last: Option<u64>, next: u64, now: u64) -> bool {
    if now >= next {
        return true;
    }
    match last {
        Some(last) => next - now > next.saturating_sub(last),
        None => false,
    }
}

/// Seconds since the Unix epoch; a clock before 1970 reads as 0.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Parses a duration as `90`, `90s`, `5m`, `1h` or `5d`: what the retry flags take.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (like 300, 5m, 1h or 5d)"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?} (use s, m, h or d)"
            ));
        }
    };
    number
        .checked_mul(scale)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_five_minutes_to_an_hour() {
        let policy = Policy::default();
        let waits: Vec<u64> = (1..=7).map(|n| policy.backoff(n).as_secs()).collect();
        assert_eq!(waits, [300, 600, 1200, 2400, 3600, 3600, 3600]);
        assert_eq!(policy.backoff(u32::MAX).as_secs(), 3600);
        let quick = Policy {
            first: Duration::from_secs(2),
            max: Duration::from_secs(5),
            ..policy
        };
        assert_eq!(quick.backoff(0).as_secs(), 2);
        assert_eq!(quick.backoff(3).as_secs(), 5);
    }

    #[test]
    fn due_when_the_time_has_come_or_the_clock_went_back() {
        // last attempt at 1000, next planned at 1300
        assert!(!due(Some(1000), 1300, 1299));
        assert!(due(Some(1000), 1300, 1300));
        assert!(due(Some(1000), 1300, 5000));
        // the clock moved back to before the last attempt: due at once, not in a day
        assert!(due(Some(1000), 1300, 999));
        assert!(due(Some(100_000), 100_300, 10));
        // never tried: due when planned
        assert!(!due(None, 1300, 1000));
        assert!(due(None, 1300, 1300));
    }

    #[test]
    fn lifetime_ignores_a_clock_behind_the_queue_time() {
        let policy = Policy::default();
        assert!(!policy.expired(1000, 10));
        assert!(!policy.expired(1000, 1000 + 5 * 86400 - 1));
        assert!(policy.expired(1000, 1000 + 5 * 86400));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("5m").unwrap().as_secs(), 300);
        assert_eq!(parse_duration("1h").unwrap().as_secs(), 3600);
        assert_eq!(parse_duration("5d").unwrap().as_secs(), 432_000);
        for bad in ["", "m", "5w", "-1", "1.5h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
