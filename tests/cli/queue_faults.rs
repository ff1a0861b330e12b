//! The outgoing queue against in-process fake SMTP servers (tests/queue_fake) for what real
//! servers will not do on demand: per-recipient 4xx/5xx, connections dropped before and after
//! the final dot, a run killed at each step, two runs at once; and against the file system:
//! a kill or a full disk during enqueue, a clock that moved backwards, a corrupt entry.

use crate::support;

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command as Std, Stdio},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use assert_cmd::Command;
use serde_json::Value;
use support::smtp_stages::{Fake, Plan, Stage};

fn token(name: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("mailkit")
}

fn mailkit(queue: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.env("MAILKIT_QUEUE", queue).env_remove("XDG_STATE_HOME");
    cmd
}

/// `send --queue` of a composed message with `token` in its body, via the fake relay.
fn enqueue(queue: &Path, fake: &Fake, to: &[&str], token: &str) -> String {
    let mut cmd = mailkit(queue);
    cmd.args([
        "send",
        "--queue",
        "--tls",
        "none",
        "--timeout",
        "5",
        "--ehlo",
        "client.test",
    ])
    .args([
        "--server",
        &fake.server(),
        "--from",
        "alice@crepes.test",
        "-s",
        "queued",
    ])
    .args(["--body", token]);
    for rcpt in to {
        cmd.args(["--to", rcpt]);
    }
    let out = cmd.assert().success().get_output().stdout.clone();
    let id = String::from_utf8(out).unwrap().trim().to_string();
    assert!(
        !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()),
        "{id:?}"
    );
    id
}

fn list(queue: &Path) -> Vec<Value> {
    let out = mailkit(queue)
        .args(["queue", "list", "--json"])
        .assert()
        .success();
    String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn entry(queue: &Path, id: &str) -> Value {
    list(queue)
        .into_iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in the queue"))
}

fn statuses(entry: &Value) -> Vec<(String, String)> {
    entry["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["address"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn run(queue: &Path, how: &str) -> String {
    let out = mailkit(queue).args(["queue", how]).assert().success();
    String::from_utf8_lossy(&out.get_output().stdout).into_owned()
}

/// Changes an entry's state behind mailkit's back: the entry file is a header line, the
/// in-flight mark's line, the state's line (JSON), then the message.
fn edit_state(queue: &Path, id: &str, edit: impl FnOnce(&[u8]) -> Vec<u8>) {
    let path = queue.join("messages").join(id);
    let bytes = fs::read(&path).unwrap();
    let at = |n: usize| {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(n)
            .unwrap()
            .0
    };
    let (start, end) = (at(1) + 1, at(2));
    let mut out = bytes[..start].to_vec();
    out.extend(edit(&bytes[start..end]));
    out.extend(&bytes[end..]);
    fs::write(&path, out).unwrap();
}

#[test]
fn per_recipient_replies_decide_each_fate_and_accepted_ones_are_never_resent() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let mut plan = Plan::default();
    plan.rcpt.insert(
        "later@hamburger.test".into(),
        "451 4.3.0 try again later".into(),
    );
    plan.rcpt.insert(
        "nobody@hamburger.test".into(),
        "550 5.1.1 no such user".into(),
    );
    let fake = Fake::start(plan);
    let t = token("fates");
    let id = enqueue(
        &q,
        &fake,
        &[
            "ok@hamburger.test",
            "later@hamburger.test",
            "nobody@hamburger.test",
        ],
        &t,
    );
    assert_eq!(fake.seen().connections, 0, "--queue sends nothing");
    assert_eq!(entry(&q, &id)["state"], "queued");

    let out = run(&q, "run");
    assert!(out.contains(&format!("deferred {id}")), "{out}");
    let e = entry(&q, &id);
    assert_eq!(e["state"], "deferred");
    assert_eq!(
        statuses(&e),
        [
            ("ok@hamburger.test".into(), "accepted".into()),
            ("later@hamburger.test".into(), "pending".into()),
            ("nobody@hamburger.test".into(), "rejected".into()),
        ]
    );
    assert_eq!(e["pending"], serde_json::json!(["later@hamburger.test"]));
    assert!(
        e["recipients"][1]["reply"]
            .as_str()
            .unwrap()
            .starts_with("451 4.3.0")
    );
    assert_eq!(e["attempts"], 1);

    // Not due yet: a plain run leaves it alone.
    let before = fake.seen().connections;
    run(&q, "run");
    assert_eq!(fake.seen().connections, before, "retried before its time");

    fake.set(Plan::default());
    let out = run(&q, "flush");
    assert!(out.contains(&format!("failed {id}")), "{out}");
    assert!(out.contains("notification queued as"), "{out}");
    let seen = fake.seen();
    let to: Vec<&String> = seen.received.iter().flat_map(|m| &m.to).collect();
    assert_eq!(
        to,
        ["ok@hamburger.test", "later@hamburger.test"],
        "each once"
    );
    assert_eq!(fake.copies(&t), 2);
    assert_eq!(entry(&q, &id)["state"], "failed");

    // The notification goes to the sender through the same relay, from the null sender.
    run(&q, "run");
    let seen = fake.seen();
    let bounce = seen.received.last().unwrap();
    assert_eq!(bounce.from, "");
    assert_eq!(bounce.to, ["alice@crepes.test"]);
    let text = String::from_utf8_lossy(&bounce.data);
    assert!(text.contains("multipart/report"), "{text}");
    assert!(
        text.contains("Final-Recipient: rfc822; nobody@hamburger.test"),
        "{text}"
    );
    assert!(text.contains("Status: 5.1.1"), "{text}");
    assert!(!text.contains("Final-Recipient: rfc822; ok@"), "{text}");
    assert_eq!(list(&q).len(), 1, "only the failed original stays");

    mailkit(&q).args(["queue", "rm", &id]).assert().success();
    assert!(list(&q).is_empty());
}

#[test]
fn a_drop_before_the_final_dot_defers_and_a_later_run_delivers_once() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    // Closed at DATA, and closed after 20 bytes of a message too large for the socket
    // buffers to swallow (so the loss is seen while writing, before the dot went out).
    let fake = Fake::start(Plan {
        close: Some(Stage::Data),
        ..Plan::default()
    });
    let small = token("cut-at-data");
    let small_id = enqueue(&q, &fake, &["bob@hamburger.test"], &small);
    run(&q, "run");
    assert_eq!(entry(&q, &small_id)["state"], "deferred");

    fake.set(Plan {
        cut_data_after: Some(20),
        ..Plan::default()
    });
    let big = token("cut-in-data");
    let body = dir.path().join("body.txt");
    let line = format!("{big} {}\n", "x".repeat(100));
    fs::write(&body, line.repeat(240_000)).unwrap();
    let q2 = dir.path().join("q2");
    let out = mailkit(&q2)
        .args(["send", "--queue", "--tls", "none", "--timeout", "5"])
        .args(["--server", &fake.server(), "--from", "alice@crepes.test"])
        .args(["--to", "bob@hamburger.test", "--body-file"])
        .arg(&body)
        .assert()
        .success();
    let big_id = String::from_utf8_lossy(&out.get_output().stdout)
        .trim()
        .to_string();
    run(&q2, "run");
    assert_eq!(entry(&q2, &big_id)["state"], "deferred");
    assert_eq!(fake.seen().dots, 0);

    fake.set(Plan::default());
    let out = run(&q, "flush");
    assert!(out.contains(&format!("delivered {small_id}")), "{out}");
    let out = run(&q2, "flush");
    assert!(out.contains(&format!("delivered {big_id}")), "{out}");
    assert!(list(&q2).is_empty());
    assert_eq!(fake.copies(&small), 1);
    assert_eq!(fake.copies(&big), 1);
    assert!(list(&q).is_empty());
}

#[test]
fn a_drop_after_the_final_dot_is_uncertain_and_only_resent_on_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let fake = Fake::start(Plan {
        close: Some(Stage::Dot),
        ..Plan::default()
    });
    let t = token("uncertain");
    let id = enqueue(&q, &fake, &["bob@hamburger.test"], &t);
    let out = run(&q, "run");
    assert!(out.contains(&format!("uncertain {id}")), "{out}");
    assert_eq!(fake.seen().dots, 1);
    let e = entry(&q, &id);
    assert_eq!(e["state"], "uncertain");
    assert!(
        e["recipients"][0]["reply"]
            .as_str()
            .unwrap()
            .contains("may have been delivered")
    );

    fake.set(Plan::default());
    run(&q, "flush");
    run(&q, "run");
    assert_eq!(
        fake.seen().dots,
        1,
        "an uncertain message is never resent by itself"
    );

    mailkit(&q).args(["queue", "retry", &id]).assert().success();
    assert_eq!(entry(&q, &id)["state"], "deferred");
    let out = run(&q, "run");
    assert!(out.contains(&format!("delivered {id}")), "{out}");
    assert_eq!(fake.seen().dots, 2);
    assert!(list(&q).is_empty());
}

#[test]
fn two_runs_at_once_never_send_a_message_twice() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let fake = Fake::start(Plan {
        dot_delay: Duration::from_millis(15),
        ..Plan::default()
    });
    let tokens: Vec<String> = (0..24).map(|i| token(&format!("twice{i}"))).collect();
    for t in &tokens {
        enqueue(&q, &fake, &["bob@hamburger.test"], t);
    }
    let spawn = || {
        Std::new(bin())
            .args(["queue", "run"])
            .env("MAILKIT_QUEUE", &q)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success(), "{a:?} {b:?}");
    for t in &tokens {
        assert_eq!(fake.copies(t), 1, "{t}");
    }
    assert!(list(&q).is_empty());
    let delivered = |o: &std::process::Output| {
        String::from_utf8_lossy(&o.stdout)
            .matches("delivered ")
            .count()
    };
    assert_eq!(delivered(&a) + delivered(&b), tokens.len());
}

/// Kills a `queue run` with SIGKILL while the server holds it at `stage`, then reruns.
fn killed_at(stage: Stage) -> (Fake, String, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let fake = Fake::start(Plan {
        hang: Some(stage),
        ..Plan::default()
    });
    let t = token(&format!("{stage:?}"));
    let id = enqueue(&q, &fake, &["bob@hamburger.test"], &t);
    let mut child = Std::new(bin())
        .args(["queue", "run"])
        .env("MAILKIT_QUEUE", &q)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    fake.wait_for(stage);
    child.kill().unwrap();
    child.wait().unwrap();
    fake.set(Plan::default());
    run(&q, "run");
    (fake, id, t, dir)
}

#[test]
fn a_run_killed_before_the_content_went_out_is_delivered_once_by_the_next() {
    for stage in [Stage::Greeting, Stage::Mail, Stage::Rcpt, Stage::Data] {
        let (fake, _id, t, dir) = killed_at(stage);
        assert_eq!(fake.copies(&t), 1, "{stage:?}");
        assert!(list(&dir.path().join("q")).is_empty(), "{stage:?}");
    }
}

#[test]
fn a_run_killed_after_the_content_went_out_leaves_it_uncertain_not_resent() {
    for stage in [Stage::Dot, Stage::Answered] {
        let (fake, id, _t, dir) = killed_at(stage);
        assert_eq!(fake.seen().dots, 1, "{stage:?}: sent again");
        let e = entry(&dir.path().join("q"), &id);
        assert_eq!(e["state"], "uncertain", "{stage:?}");
        assert!(
            e["recipients"][0]["reply"]
                .as_str()
                .unwrap()
                .contains("mailkit was stopped"),
            "{e}"
        );
    }
}

/// `queue run` under strace: `args` before the command (faults, tracing).
fn run_under(queue: &Path, args: &[&str]) -> std::process::Output {
    Std::new("strace")
        .args(["-qq", "-f"])
        .args(args)
        .arg(bin())
        .args(["queue", "run"])
        .env("MAILKIT_QUEUE", queue)
        .output()
        .expect("strace is installed by tests/packages.sh")
}

#[test]
fn delivered_entries_leave_the_queue_durably_before_they_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let fake = Fake::start(Plan::default());
    let tokens: Vec<String> = (0..3).map(|i| token(&format!("durable{i}"))).collect();
    let ids: Vec<String> = tokens
        .iter()
        .map(|t| enqueue(&q, &fake, &["bob@hamburger.test"], t))
        .collect();
    let log = dir.path().join("strace.log");
    let traced = Std::new("strace")
        .args(["-qq", "-f", "-y", "-s", "256", "-o"])
        .arg(&log)
        .args(["-e", "trace=rename,renameat,renameat2,fsync,write"])
        .arg(bin())
        .args(["queue", "run"])
        .env("MAILKIT_QUEUE", &q)
        .output()
        .unwrap();
    assert!(traced.status.success(), "{traced:?}");
    let log = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let messages = q.join("messages").canonicalize().unwrap();
    let messages = messages.to_string_lossy();
    let sync = lines
        .iter()
        .position(|l| l.contains("fsync(") && l.contains(&format!("<{messages}>")))
        .unwrap_or_else(|| panic!("messages/ never fsynced:\n{log}"));
    for id in &ids {
        let moved = lines
            .iter()
            .position(|l| l.contains("rename") && l.contains(&format!("{messages}/{id}\"")))
            .unwrap_or_else(|| panic!("{id} not renamed out:\n{log}"));
        let reported = lines
            .iter()
            .position(|l| l.contains("write(1") && l.contains(&format!("delivered {id}")))
            .unwrap_or_else(|| panic!("{id} not reported:\n{log}"));
        assert!(
            moved < sync && sync < reported,
            "{id}: {moved} {sync} {reported}\n{log}"
        );
    }
    for t in &tokens {
        assert_eq!(fake.copies(t), 1);
    }
}

#[test]
fn a_run_killed_at_the_sync_of_its_removals_sends_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let fake = Fake::start(Plan::default());
    let tokens: Vec<String> = (0..3).map(|i| token(&format!("synckill{i}"))).collect();
    for t in &tokens {
        enqueue(&q, &fake, &["bob@hamburger.test"], t);
    }
    // The run's first fsync is that of messages/ after the chunk's removals.
    let out = run_under(
        &q,
        &["-o", "/dev/null", "-e", "inject=fsync:signal=KILL:when=1"],
    );
    assert!(!out.status.success(), "not killed: {out:?}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("delivered"),
        "reported before the sync: {out:?}"
    );
    run(&q, "run");
    for t in &tokens {
        assert_eq!(fake.copies(t), 1, "sent again");
    }
    assert!(list(&q).is_empty());
    // A failed sync is an error of the run (74), and still nothing is sent again.
    let t = token("syncfail");
    enqueue(&q, &fake, &["bob@hamburger.test"], &t);
    let out = run_under(
        &q,
        &["-o", "/dev/null", "-e", "inject=fsync:error=EIO:when=1"],
    );
    assert_eq!(out.status.code(), Some(74), "{out:?}");
    run(&q, "run");
    assert_eq!(fake.copies(&t), 1);
}

#[test]
fn a_delay_warning_is_sent_once_when_asked_for_and_never_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let mut plan = Plan::default();
    plan.rcpt
        .insert("bob@hamburger.test".into(), "451 4.7.1 greylisted".into());
    let fake = Fake::start(plan);
    let id = enqueue(&q, &fake, &["bob@hamburger.test"], &token("late"));
    let out = run(&q, "flush");
    assert!(!out.contains("notification"), "{out}");
    assert_eq!(list(&q).len(), 1, "no warning by default");
    let out = mailkit(&q)
        .args(["queue", "flush", "--delay-warning", "0s"])
        .assert()
        .success();
    let out = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(out.contains(&format!("deferred {id}")), "{out}");
    assert!(out.contains("notification queued as"), "{out}");
    let notice = list(&q).into_iter().find(|e| e["id"] != id).unwrap();
    assert_eq!(notice["sender"], "", "a notification has the null sender");
    assert_eq!(notice["pending"][0], "alice@crepes.test");
    for _ in 0..2 {
        mailkit(&q)
            .args(["queue", "flush", "--delay-warning", "0s"])
            .assert()
            .success();
    }
    assert_eq!(fake.copies("Action: delayed"), 1, "one warning per message");
    assert_eq!(fake.copies("Will-Retry-Until: "), 1);
    assert_eq!(entry(&q, &id)["state"], "deferred");
}

#[test]
fn a_clock_that_moved_backwards_does_not_strand_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let mut plan = Plan::default();
    plan.rcpt
        .insert("bob@hamburger.test".into(), "451 4.7.1 greylisted".into());
    let fake = Fake::start(plan);
    let t = token("clock");
    let id = enqueue(&q, &fake, &["bob@hamburger.test"], &t);
    run(&q, "run");
    fake.set(Plan::default());
    // The attempt happened, by the clock of the time, a month from now: the clock has since
    // been set back. The next attempt must not wait a month.
    edit_state(&q, &id, |json| {
        let mut state: Value = serde_json::from_slice(json).unwrap();
        let later = state["last_attempt"].as_u64().unwrap() + 30 * 86400;
        state["last_attempt"] = later.into();
        state["next_attempt"] = (later + 300).into();
        serde_json::to_vec(&state).unwrap()
    });
    let out = run(&q, "run");
    assert!(out.contains(&format!("delivered {id}")), "{out}");
    assert_eq!(fake.copies(&t), 1);
}

#[test]
fn a_corrupt_entry_is_quarantined_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let fake = Fake::start(Plan::default());
    let (t1, t2) = (token("corrupt"), token("fine"));
    let bad = enqueue(&q, &fake, &["bob@hamburger.test"], &t1);
    let good = enqueue(&q, &fake, &["bob@hamburger.test"], &t2);
    edit_state(&q, &bad, |_| b"{\"version\": 1, \"crea".to_vec());
    let listed = mailkit(&q).args(["queue", "list"]).assert().success();
    let err = String::from_utf8_lossy(&listed.get_output().stderr).into_owned();
    assert!(
        err.contains(&format!("queue entry {bad} is corrupt")),
        "{err}"
    );
    let out = mailkit(&q).args(["queue", "run"]).assert().success();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.get_output().stdout),
        String::from_utf8_lossy(&out.get_output().stderr),
    );
    assert!(stdout.contains(&format!("delivered {good}")), "{stdout}");
    assert!(
        stderr.contains(&format!("moved corrupt entry {bad} to quarantine")),
        "{stderr}"
    );
    assert_eq!(fake.copies(&t2), 1);
    assert_eq!(fake.copies(&t1), 0);
    let reason = fs::read_to_string(q.join("quarantine").join(format!("{bad}.reason"))).unwrap();
    assert!(reason.contains("not valid"), "{reason}");
    assert!(
        fs::read_to_string(q.join("quarantine").join(&bad))
            .unwrap()
            .contains(&t1),
        "the message is kept"
    );
    assert!(list(&q).is_empty());
}

#[test]
fn lifetime_exceeded_fails_and_bounces_once_and_a_bounce_never_bounces() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let mut plan = Plan::default();
    plan.rcpt
        .insert("bob@hamburger.test".into(), "452 4.2.2 mailbox full".into());
    plan.rcpt
        .insert("alice@crepes.test".into(), "550 5.1.1 sender gone".into());
    let fake = Fake::start(plan);
    let id = enqueue(&q, &fake, &["bob@hamburger.test"], &token("expire"));
    let out = mailkit(&q)
        .args(["queue", "run", "--max-lifetime", "0"])
        .assert()
        .success();
    let out = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(out.contains(&format!("failed {id}")), "{out}");
    let e = entry(&q, &id);
    assert_eq!(e["state"], "failed");
    assert!(
        e["failed"]
            .as_str()
            .unwrap()
            .contains("not delivered within")
    );
    // The notification (to alice, refused with 550) fails too, and queues nothing more.
    run(&q, "run");
    let entries = list(&q);
    assert_eq!(entries.len(), 2, "{entries:?}");
    let notice = entries.iter().find(|e| e["id"] != id).unwrap();
    assert_eq!(notice["sender"], "");
    assert_eq!(notice["state"], "failed");
    run(&q, "flush");
    assert_eq!(list(&q).len(), 2, "a bounce never bounces");
}

#[test]
fn no_bounce_turns_notifications_off() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let mut plan = Plan::default();
    plan.rcpt
        .insert("nobody@hamburger.test".into(), "550 5.1.1 no".into());
    let fake = Fake::start(plan);
    let id = enqueue(&q, &fake, &["nobody@hamburger.test"], &token("nobounce"));
    mailkit(&q)
        .args(["queue", "run", "--no-bounce"])
        .assert()
        .success();
    assert_eq!(list(&q).len(), 1);
    assert_eq!(entry(&q, &id)["state"], "failed");
}

#[test]
fn queue_on_failure_keeps_only_the_pending_recipients() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let mut plan = Plan::default();
    plan.rcpt.insert(
        "later@hamburger.test".into(),
        "421 4.3.2 shutting down".into(),
    );
    let fake = Fake::start(plan);
    let t = token("onfailure");
    let out = mailkit(&q)
        .args([
            "send",
            "--queue-on-failure",
            "--tls",
            "none",
            "--timeout",
            "5",
        ])
        .args(["--server", &fake.server(), "--from", "alice@crepes.test"])
        .args([
            "--to",
            "bob@hamburger.test",
            "--to",
            "later@hamburger.test",
            "--body",
            &t,
        ])
        .assert()
        .success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("queued as") && err.contains("later@hamburger.test"),
        "{err}"
    );
    assert_eq!(
        fake.copies(&t),
        0,
        "421 at RCPT ends the session before DATA"
    );
    let entries = list(&q);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["attempts"], 1);

    // A relay that is down: everything queued, exit 0.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    mailkit(&q)
        .args([
            "send",
            "--queue-on-failure",
            "--tls",
            "none",
            "--timeout",
            "5",
        ])
        .args([
            "--server",
            &format!("127.0.0.1:{port}"),
            "--from",
            "alice@crepes.test",
        ])
        .args(["--to", "bob@hamburger.test", "--body", "x"])
        .assert()
        .success();
    assert_eq!(list(&q).len(), 2);

    // A permanent refusal is still 69, and nothing is queued for it.
    let mut plan = Plan::default();
    plan.rcpt
        .insert("nobody@hamburger.test".into(), "550 5.1.1 no".into());
    fake.set(plan);
    mailkit(&q)
        .args([
            "send",
            "--queue-on-failure",
            "--tls",
            "none",
            "--timeout",
            "5",
        ])
        .args(["--server", &fake.server(), "--from", "alice@crepes.test"])
        .args(["--to", "nobody@hamburger.test", "--body", "x"])
        .assert()
        .code(69);
    assert_eq!(list(&q).len(), 2);
}

#[test]
fn queueing_refuses_a_route_that_would_need_a_password_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let out = mailkit(&q)
        .args([
            "send",
            "--queue",
            "--server",
            "127.0.0.1:1",
            "--user",
            "alice",
        ])
        .args([
            "--from",
            "alice@crepes.test",
            "--to",
            "bob@hamburger.test",
            "--body",
            "x",
        ])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("--password-file"), "{err}");
    assert!(!q.join("messages").exists() || list(&q).is_empty());
}

#[test]
fn hold_release_rm_and_unknown_ids() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let fake = Fake::start(Plan::default());
    let id = enqueue(&q, &fake, &["bob@hamburger.test"], &token("hold"));
    mailkit(&q).args(["queue", "hold", &id]).assert().success();
    assert_eq!(entry(&q, &id)["state"], "held");
    run(&q, "flush");
    assert_eq!(fake.seen().connections, 0, "a held message is not tried");
    mailkit(&q)
        .args(["queue", "release", &id])
        .assert()
        .success();
    let shown = mailkit(&q)
        .args(["queue", "show", "--raw", &id])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&shown.get_output().stdout).contains("Subject: queued"));
    run(&q, "run");
    assert!(list(&q).is_empty());
    mailkit(&q).args(["queue", "show", &id]).assert().code(1);
    mailkit(&q).args(["queue", "rm", "../etc"]).assert().code(2);
}

/// `send --queue` of a message with `token`, under `strace` injecting `fault` (strace's
/// `-e inject=` syntax): a kill or an error at an exact system call of the enqueue.
fn enqueue_under(queue: &Path, fake: &Fake, token: &str, fault: &str) -> std::process::Output {
    Std::new("strace")
        .args(["-qq", "-o", "/dev/null", "-e", &format!("inject={fault}")])
        .arg(bin())
        .args([
            "send",
            "--queue",
            "--tls",
            "none",
            "--server",
            &fake.server(),
        ])
        .args([
            "--from",
            "alice@crepes.test",
            "--to",
            "bob@hamburger.test",
            "--body",
            token,
        ])
        .env("MAILKIT_QUEUE", queue)
        .output()
        .expect("strace is installed by tests/packages.sh")
}

/// Every entry lists cleanly (none half-written), and `tmp/` holds nothing after a run.
fn assert_whole(queue: &Path) -> Vec<Value> {
    let out = mailkit(queue)
        .args(["queue", "list", "--json"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.is_empty(), "{stderr}");
    list(queue)
}

#[test]
fn a_kill_at_each_step_of_enqueue_queues_the_message_wholly_or_not_at_all() {
    let fake = Fake::start(Plan::default());
    // The enqueue's steps: create and lock the entry file in tmp/, write and fsync it, rename
    // it into messages/ (renameat2, never over another entry), fsync messages/.
    let faults = [
        "flock:signal=KILL:when=1",
        "write:signal=KILL:when=1",
        "fsync:signal=KILL:when=1",
        "renameat2:signal=KILL:when=1",
        "fsync:signal=KILL:when=2",
    ];
    let mut queued_at_kill = Vec::new();
    for fault in faults {
        let dir = tempfile::tempdir().unwrap();
        let q = dir.path().join("q");
        enqueue(&q, &fake, &["bob@hamburger.test"], &token("first"));
        let t = token("killed");
        let out = enqueue_under(&q, &fake, &t, fault);
        assert!(!out.status.success(), "{fault}: not killed: {out:?}");
        let entries = assert_whole(&q);
        assert!(
            entries.len() == 1 || entries.len() == 2,
            "{fault}: {entries:?}"
        );
        queued_at_kill.push(entries.len() == 2);
        run(&q, "run");
        assert_eq!(fake.copies(&t), usize::from(entries.len() == 2), "{fault}");
        assert!(list(&q).is_empty(), "{fault}");
        assert_eq!(
            fs::read_dir(q.join("tmp")).unwrap().count(),
            0,
            "{fault}: leftovers {:?}",
            fs::read_dir(q.join("tmp"))
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect::<Vec<_>>()
        );
    }
    // Killed before the rename: not queued; after it: queued (and sent once).
    assert_eq!(queued_at_kill, [false, false, false, false, true]);
}

#[test]
fn a_full_disk_during_enqueue_fails_with_74_and_leaves_nothing() {
    let mut fake = Fake::start(Plan::default());
    fake.expect_unused(); // only queued, never sent
    for fault in [
        "write:error=ENOSPC:when=1",
        "fsync:error=ENOSPC:when=1",
        "renameat2:error=ENOSPC",
        "fsync:error=EIO:when=2",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let q = dir.path().join("q");
        enqueue(&q, &fake, &["bob@hamburger.test"], &token("before"));
        let out = enqueue_under(&q, &fake, &token("full"), fault);
        assert_eq!(out.status.code(), Some(74), "{fault}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        if fault.starts_with("fsync:error=EIO") {
            assert!(err.contains("Input/output error"), "{fault}: {err}");
        } else if !fault.starts_with("write") {
            assert!(err.contains("No space left on device"), "{fault}: {err}");
        }
        assert!(out.stdout.is_empty(), "{fault}: printed an id");
        assert_eq!(assert_whole(&q).len(), 1, "{fault}");
        assert_eq!(fs::read_dir(q.join("tmp")).unwrap().count(), 0, "{fault}");
    }
}

#[test]
fn a_file_size_limit_during_enqueue_fails_with_74_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q");
    let mut fake = Fake::start(Plan::default());
    fake.expect_unused(); // only queued, never sent
    enqueue(&q, &fake, &["bob@hamburger.test"], &token("before"));
    let body = dir.path().join("body.txt");
    fs::write(&body, "a line of the body\n".repeat(1000)).unwrap();
    // SIGXFSZ ignored, so the write fails with EFBIG instead of killing the process.
    let out = Std::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; exec prlimit --fsize=4096 \"$@\"")
        .arg("sh")
        .arg(bin())
        .args([
            "send",
            "--queue",
            "--server",
            &fake.server(),
            "--from",
            "alice@crepes.test",
        ])
        .args(["--to", "bob@hamburger.test", "--body-file"])
        .arg(&body)
        .env("MAILKIT_QUEUE", &q)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(74), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("File too large"),
        "{out:?}"
    );
    assert_eq!(assert_whole(&q).len(), 1);
    assert_eq!(fs::read_dir(q.join("tmp")).unwrap().count(), 0);
}
