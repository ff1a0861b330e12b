//! Faults for testing clients' retry logic, reproducible from a seed: at a chosen SMTP stage a
//! reply code, a delay or a dropped connection, each with a probability; on the reading side a
//! UIDVALIDITY bump at IMAP SELECT. One generator, seeded once, draws for every connection in
//! the order events happen, so the same seed and the same client run give the same sequence.

use std::{path::Path, sync::Mutex, time::Duration};

use serde::Deserialize;

use crate::exit::{Failure, Kind};

/// Where in an SMTP session a fault applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Right after accepting the TCP connection, before anything is sent.
    Connect,
    /// The 220 greeting.
    Greeting,
    /// The reply to MAIL FROM.
    Mail,
    /// The reply to each RCPT TO.
    Rcpt,
    /// The reply to DATA (the 354).
    Data,
    /// The reply after the final dot (a reply fault means the message is not stored; a drop
    /// stores it and closes without a reply, the ambiguous case a client must not resend).
    Dot,
}

/// What happens when a fault fires.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// The stage it applies to.
    pub stage: Option<Stage>,
    /// The reply sent instead of the normal one, e.g. `451 4.3.0 try again later`; a bare code
    /// gets a standard text.
    pub reply: Option<String>,
    /// Chance of firing at each occurrence of the stage, 0.0 to 1.0 (default 1.0).
    pub probability: Option<f64>,
    /// Wait this long before answering (milliseconds).
    pub delay_ms: Option<u64>,
    /// Close the connection instead of answering.
    #[serde(default)]
    pub drop: bool,
}

/// The fault plan file (`--faults FILE`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Seed of the generator (default 0).
    pub seed: Option<u64>,
    /// The faults, checked in order; the first whose stage matches and whose draw fires wins.
    #[serde(default)]
    pub fault: Vec<Fault>,
    /// Chance that IMAP SELECT/EXAMINE finds a new UIDVALIDITY (the mailbox renumbered).
    pub uidvalidity_bump: Option<f64>,
}

/// What a stage must do now.
#[derive(Debug, Default, PartialEq)]
pub struct Action {
    /// Reply with this instead (one full line, without CRLF).
    pub reply: Option<String>,
    /// Sleep first.
    pub delay: Duration,
    /// Close the connection.
    pub drop: bool,
}

/// The plan in force and its generator.
pub struct Faults {
    plan: Plan,
    rng: Mutex<fastrand::Rng>,
}

impl Faults {
    /// A plan that never fires.
    pub fn none() -> Faults {
        Faults::new(Plan::default())
    }

    /// The plan, its generator seeded from it.
    pub fn new(plan: Plan) -> Faults {
        let rng = Mutex::new(fastrand::Rng::with_seed(plan.seed.unwrap_or(0)));
        Faults { plan, rng }
    }

    /// Reads a TOML plan file and checks it.
    pub fn load(path: &Path) -> Result<Plan, Failure> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            Failure::new(
                Kind::NoInput,
                format!("reading fault plan {}: {err}", path.display()),
            )
        })?;
        let plan: Plan = toml::from_str(&text).map_err(|err| {
            Failure::new(
                Kind::Config,
                format!("fault plan {}: {}", path.display(), err.message()),
            )
        })?;
        plan.check().map_err(|msg| {
            Failure::new(
                Kind::Config,
                format!("fault plan {}: {msg}", path.display()),
            )
        })?;
        Ok(plan)
    }

    /// Whether the plan has anything to fire.
    pub fn is_active(&self) -> bool {
        !self.plan.fault.is_empty() || self.plan.uidvalidity_bump.is_some()
    }

    /// Draws for `stage`: the action of the first matching fault that fires, if any.
    pub fn at(&self, stage: Stage) -> Option<Action> {
        for fault in self.plan.fault.iter().filter(|f| f.stage == Some(stage)) {
            if self.draw(fault.probability.unwrap_or(1.0)) {
                return Some(Action {
                    reply: fault.reply.as_deref().map(|r| full_reply(r, stage)),
                    delay: Duration::from_millis(fault.delay_ms.unwrap_or(0)),
                    drop: fault.drop,
                });
            }
        }
        None
    }

    /// Whether this SELECT/EXAMINE should find the mailbox renumbered.
    pub fn bump_uidvalidity(&self) -> bool {
        self.plan.uidvalidity_bump.is_some_and(|p| self.draw(p))
    }

    fn draw(&self, probability: f64) -> bool {
        if probability >= 1.0 {
            return true;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        rng.f64() < probability
    }
}

impl Plan {
    /// Refuses faults that could not act as written, so a typo is not a silent no-op.
    pub fn check(&self) -> Result<(), String> {
        for (n, fault) in self.fault.iter().enumerate() {
            let n = n + 1;
            let Some(stage) = fault.stage else {
                return Err(format!("fault {n} has no stage"));
            };
            if let Some(p) = fault.probability
                && !(0.0..=1.0).contains(&p)
            {
                return Err(format!("fault {n}: probability {p} is not between 0 and 1"));
            }
            if fault.reply.is_none() && fault.delay_ms.is_none() && !fault.drop {
                return Err(format!(
                    "fault {n} does nothing: give reply, delay_ms or drop"
                ));
            }
            if let Some(reply) = &fault.reply {
                let code = reply.get(..3).and_then(|c| c.parse::<u16>().ok());
                if !code.is_some_and(|c| (400..600).contains(&c))
                    || reply.len() > 3 && !reply[3..].starts_with(' ')
                    || reply.contains(['\r', '\n'])
                {
                    return Err(format!(
                        "fault {n}: reply {reply:?} must be a 4xx or 5xx code, optionally followed by a space and text"
                    ));
                }
                if stage == Stage::Connect {
                    return Err(format!(
                        "fault {n}: nothing is said at connect; use stage greeting for a reply"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A bare code becomes a full reply line with a standard text.
fn full_reply(reply: &str, stage: Stage) -> String {
    if reply.len() > 3 {
        return reply.to_string();
    }
    let text = match (reply.as_bytes()[0], stage) {
        (b'4', Stage::Greeting) => "4.3.2 service not available (injected fault)",
        (b'4', _) => "4.3.0 try again later (injected fault)",
        (_, _) => "5.7.1 refused (injected fault)",
    };
    format!("{reply} {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(toml: &str) -> Faults {
        let plan: Plan = toml::from_str(toml).unwrap();
        plan.check().unwrap();
        Faults::new(plan)
    }

    #[test]
    fn same_seed_same_sequence() {
        let text = "seed = 7\n[[fault]]\nstage = \"rcpt\"\nreply = \"451\"\nprobability = 0.5\n";
        let draws = |f: &Faults| {
            (0..40)
                .map(|_| f.at(Stage::Rcpt).is_some())
                .collect::<Vec<_>>()
        };
        let first = draws(&plan(text));
        assert_eq!(first, draws(&plan(text)));
        assert!(first.contains(&true) && first.contains(&false));
        assert_ne!(first, draws(&plan(&text.replace("seed = 7", "seed = 8"))));
    }

    #[test]
    fn actions_and_checks() {
        let f = plan("[[fault]]\nstage = \"mail\"\nreply = \"550\"\n");
        assert_eq!(
            f.at(Stage::Mail).unwrap().reply.unwrap(),
            "550 5.7.1 refused (injected fault)"
        );
        assert_eq!(f.at(Stage::Rcpt), None);
        for bad in [
            "[[fault]]\nreply = \"451\"\n",
            "[[fault]]\nstage = \"rcpt\"\n",
            "[[fault]]\nstage = \"rcpt\"\nreply = \"250 ok\"\n",
            "[[fault]]\nstage = \"rcpt\"\nreply = \"451\"\nprobability = 2.0\n",
        ] {
            assert!(
                toml::from_str::<Plan>(bad).unwrap().check().is_err(),
                "{bad}"
            );
        }
    }
}
