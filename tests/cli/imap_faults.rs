//! `mailkit fetch/list/dele` over IMAP against a scripted fake (tests/support/imap.rs) for what a
//! real server will not do on demand. Every test checks the invariant that matters: nothing is
//! removed from the server that is not durably saved, and nothing is saved that is not whole.

use crate::support;

use std::{
    fs,
    path::Path,
    time::{Duration, Instant},
};

use assert_cmd::Command;
use support::imap::{Fake, Faults, Message, message};

fn mailkit(fake: &Fake, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("mailkit").unwrap();
    cmd.args(args)
        .args([
            "--server",
            &fake.server(),
            "--protocol",
            "imap",
            "--tls",
            "none",
        ])
        .args(["--allow-cleartext-auth", "--user", "bob", "--timeout", "3"])
        .env("MAILKIT_PASSWORD", "pw")
        .env_remove("MAILKIT_ACCOUNTS");
    cmd
}

fn fetch(fake: &Fake, dir: &Path, extra: &[&str]) -> Command {
    let md = dir.join("md");
    let state = dir.join("state");
    let mut args = vec!["fetch", "--maildir", md.to_str().unwrap()];
    args.extend(["--state-file", state.to_str().unwrap()]);
    args.extend(extra);
    mailkit(fake, &args)
}

fn saved(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<Vec<u8>> = fs::read_dir(dir.join("md/new"))
        .map(|d| d.map(|e| fs::read(e.unwrap().path()).unwrap()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn tmp_files(dir: &Path) -> usize {
    fs::read_dir(dir.join("md/tmp"))
        .map(|d| d.count())
        .unwrap_or(0)
}

fn lf(body: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(body)
        .replace("\r\n", "\n")
        .into_bytes()
}

fn three() -> Vec<Message> {
    vec![
        message(1, "a@x", 100),
        message(2, "b@x", 200),
        message(3, "c@x", 300),
    ]
}

#[test]
fn a_uidvalidity_change_fetches_nothing_twice_and_skips_nothing() {
    let fake = Fake::start(three(), 100, Faults::default());
    let dir = tempfile::tempdir().unwrap();
    fetch(&fake, dir.path(), &["--new"]).assert().success();
    assert_eq!(saved(dir.path()).len(), 3);
    {
        // The server renumbers: same messages, new UIDs and UIDVALIDITY, plus one new one,
        // and one whose Message-ID matches but whose size does not (a different message).
        let mut s = fake.shared.lock().unwrap();
        s.uid_validity = 200;
        s.inbox = vec![
            message(10, "a@x", 100),
            message(11, "b@x", 200),
            message(12, "c@x", 301),
            message(13, "d@x", 50),
        ];
    }
    let out = fetch(&fake, dir.path(), &["--new", "--json"])
        .assert()
        .success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("UIDVALIDITY changed from 100 to 200"), "{err}");
    assert!(err.contains("2 matched"), "{err}");
    assert!(err.contains("2 are new"), "{err}");
    let files = saved(dir.path());
    assert_eq!(
        files.len(),
        5,
        "c@x with the new size and d@x, nothing else"
    );
    // A third run: nothing at all.
    let out = fetch(&fake, dir.path(), &["--new", "--json"])
        .assert()
        .success();
    assert!(out.get_output().stdout.is_empty());
    assert!(!String::from_utf8_lossy(&out.get_output().stderr).contains("UIDVALIDITY"));
}

#[test]
fn expunge_and_fetch_responses_interleaved_in_a_uid_fetch_change_nothing() {
    let faults = Faults {
        interleave: true,
        ..Faults::default()
    };
    let fake = Fake::start(three(), 7, faults);
    let dir = tempfile::tempdir().unwrap();
    fetch(&fake, dir.path(), &["--delete"]).assert().success();
    let mut want: Vec<Vec<u8>> = three().iter().map(|m| lf(&m.body)).collect();
    want.sort();
    assert_eq!(saved(dir.path()), want);
    let log = fake.log();
    assert!(
        log.contains(&"UID STORE 1:3 +FLAGS.SILENT (\\Deleted)".to_string()),
        "{log:?}"
    );
    assert!(log.contains(&"UID EXPUNGE 1:3".to_string()), "{log:?}");
    assert!(
        !log.iter().any(|l| l == "EXPUNGE"),
        "never a plain EXPUNGE: {log:?}"
    );
    assert!(fake.uids().is_empty());
}

#[test]
fn a_body_the_server_sent_unasked_leaves_no_trace_in_maildir_mbox_or_stdout() {
    // 2 MiB: above what waits in memory, so the Maildir streams it to a tmp/ file.
    let faults = Faults {
        unasked_body: Some(2 << 20),
        ..Faults::default()
    };
    let fake = Fake::start(three(), 7, faults);
    let dir = tempfile::tempdir().unwrap();
    fetch(&fake, dir.path(), &[]).assert().success();
    let mut want: Vec<Vec<u8>> = three().iter().map(|m| lf(&m.body)).collect();
    want.sort();
    assert_eq!(saved(dir.path()), want);
    assert_eq!(tmp_files(dir.path()), 0, "the unasked body stayed in tmp/");

    let mbox = dir.path().join("mbox");
    mailkit(&fake, &["fetch", "--mbox", mbox.to_str().unwrap()])
        .args([
            "--state-file",
            dir.path().join("mbox.state").to_str().unwrap(),
        ])
        .assert()
        .success();
    let text = fs::read(&mbox).unwrap();
    assert!(
        !text.windows(8).any(|w| w == b"uuuuuuuu"),
        "the unasked body is in the mbox"
    );
    assert_eq!(text.windows(6).filter(|w| w == b"\nFrom ").count(), 2);

    let out = mailkit(&fake, &["fetch", "--stdout", "--uidl", "2"])
        .assert()
        .success();
    assert_eq!(out.get_output().stdout, three()[1].body);
}

#[test]
fn without_uidplus_deleting_moves_to_trash_or_refuses() {
    let faults = Faults {
        caps: vec!["MOVE"],
        ..Faults::default()
    };
    let fake = Fake::start(three(), 7, faults);
    let dir = tempfile::tempdir().unwrap();
    fetch(&fake, dir.path(), &["--delete"]).assert().success();
    assert_eq!(saved(dir.path()).len(), 3);
    let log = fake.log();
    assert!(
        log.iter().any(|l| l.starts_with("UID MOVE 1:3 Trash")),
        "{log:?}"
    );
    assert!(!log.iter().any(|l| l.contains("EXPUNGE")), "{log:?}");

    let faults = Faults {
        caps: vec![],
        ..Faults::default()
    };
    let fake = Fake::start(three(), 7, faults);
    let dir = tempfile::tempdir().unwrap();
    let out = fetch(&fake, dir.path(), &["--delete"]).assert().code(78);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("lacks UIDPLUS") && err.contains("--allow-plain-expunge"),
        "{err}"
    );
    assert_eq!(fake.uids(), [1, 2, 3]);
    assert!(
        saved(dir.path()).is_empty(),
        "refused before fetching anything"
    );
    fetch(&fake, dir.path(), &["--delete", "--allow-plain-expunge"])
        .assert()
        .success();
    assert!(fake.log().iter().any(|l| l == "EXPUNGE"));
    assert!(fake.uids().is_empty());
}

#[test]
fn a_literal_cut_mid_way_is_never_saved_and_nothing_is_deleted() {
    let faults = Faults {
        cut_body: Some((2, 50)),
        ..Faults::default()
    };
    let fake = Fake::start(three(), 7, faults);
    let dir = tempfile::tempdir().unwrap();
    fetch(&fake, dir.path(), &["--delete", "--batch", "1"])
        .assert()
        .code(75);
    // Message 1 was committed in its own batch; message 2 is whole nowhere; the connection
    // was gone before message 1's deletion, so everything is still on the server.
    assert_eq!(saved(dir.path()), [lf(&three()[0].body)]);
    assert_eq!(tmp_files(dir.path()), 0, "the partial file was removed");
    assert_eq!(fake.uids(), [1, 2, 3]);
    // The rerun fetches the rest, never message 1 twice, and deletes all three.
    fake.shared.lock().unwrap().faults.cut_body = None;
    fetch(&fake, dir.path(), &["--new", "--delete"])
        .assert()
        .success();
    let mut want: Vec<Vec<u8>> = three().iter().map(|m| lf(&m.body)).collect();
    want.sort();
    assert_eq!(saved(dir.path()), want);
    assert!(fake.uids().is_empty());
}

#[test]
fn an_announced_literal_of_a_terabyte_is_refused_before_reading() {
    let faults = Faults {
        huge_literal: Some(1_000_000_000_000),
        ..Faults::default()
    };
    let fake = Fake::start(three(), 7, faults);
    let dir = tempfile::tempdir().unwrap();
    let out = fetch(&fake, dir.path(), &["--delete"]).assert().code(76);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("1000000000000-byte literal"), "{err}");
    assert!(saved(dir.path()).is_empty());
    assert_eq!(tmp_files(dir.path()), 0);
    assert_eq!(fake.uids(), [1, 2, 3]);
}

#[test]
fn a_drip_fed_greeting_runs_into_the_reply_deadline() {
    let faults = Faults {
        drip: Some(Duration::from_millis(200)),
        ..Faults::default()
    };
    let fake = Fake::start(three(), 7, faults);
    let start = Instant::now();
    let out = mailkit(&fake, &["list"]).assert().code(75);
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("timed out after 3 s"), "{err}");
}

#[test]
fn bytes_injected_after_starttls_abort_the_session() {
    let faults = Faults {
        starttls_inject: Some(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n".to_vec()),
        ..Faults::default()
    };
    let fake = Fake::start(three(), 7, faults);
    let mut cmd = Command::cargo_bin("mailkit").unwrap();
    let out = cmd
        .args(["list", "--server", &fake.server(), "--protocol", "imap"])
        .args(["--tls", "starttls", "--user", "bob"])
        .env("MAILKIT_PASSWORD", "pw")
        .assert()
        .code(76);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("possible injection"), "{err}");
    assert!(
        !fake
            .log()
            .iter()
            .any(|l| l.starts_with("LOGIN") || l.starts_with("AUTH"))
    );
}

#[test]
fn bye_at_each_step_never_loses_or_half_saves_a_message() {
    for step in [
        "AUTHENTICATE",
        "SELECT",
        "UID FETCH 1:*",
        "UID FETCH 1:3",
        "UID STORE",
        "UID EXPUNGE",
        "LOGOUT",
    ] {
        let faults = Faults {
            bye_at: Some(step.to_string()),
            ..Faults::default()
        };
        let fake = Fake::start(three(), 7, faults);
        let dir = tempfile::tempdir().unwrap();
        let out = fetch(&fake, dir.path(), &["--delete"]).assert();
        let code = out.get_output().status.code();
        let want = if step == "LOGOUT" { Some(0) } else { Some(75) };
        assert_eq!(
            code,
            want,
            "BYE at {step}: {}",
            String::from_utf8_lossy(&out.get_output().stderr)
        );
        let files = saved(dir.path());
        assert_eq!(tmp_files(dir.path()), 0, "BYE at {step}");
        // Whatever left the server is saved, whole.
        for m in three() {
            if !fake.uids().contains(&m.uid) {
                assert!(
                    files.contains(&lf(&m.body)),
                    "BYE at {step}: UID {} lost",
                    m.uid
                );
            }
        }
        for f in &files {
            assert!(
                three().iter().any(|m| lf(&m.body) == *f),
                "BYE at {step}: a partial file"
            );
        }
    }
}

#[test]
fn a_server_that_never_ends_its_idle_does_not_stop_a_clean_exit() {
    let faults = Faults {
        idle_never_ends: true,
        ..Faults::default()
    };
    let fake = Fake::start(three(), 7, faults);
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mailkit"))
        .args(["fetch", "--watch", "--maildir"])
        .arg(dir.path().join("md"))
        .arg("--state-file")
        .arg(dir.path().join("state"))
        .args([
            "--server",
            &fake.server(),
            "--protocol",
            "imap",
            "--tls",
            "none",
        ])
        .args(["--allow-cleartext-auth", "--user", "bob", "--timeout", "2"])
        .env("MAILKIT_PASSWORD", "pw")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !fake.log().iter().any(|l| l == "IDLE") && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(saved(dir.path()).len(), 3);
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(8),
            "stuck in IDLE after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(fake.log().iter().any(|l| l == "DONE"));
}

#[test]
fn sigkill_at_each_step_of_a_fetch_with_delete_then_a_rerun_loses_and_repeats_nothing() {
    for step in [
        "UID FETCH 1:*",
        "UID FETCH 1:3",
        "UID STORE",
        "UID EXPUNGE",
        "LOGOUT",
    ] {
        let faults = Faults {
            stall_at: Some(step.to_string()),
            ..Faults::default()
        };
        let fake = Fake::start(three(), 7, faults);
        let dir = tempfile::tempdir().unwrap();
        let md = dir.path().join("md");
        let state = dir.path().join("state");
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("mailkit"))
            .args(["fetch", "--new", "--delete", "--maildir"])
            .arg(&md)
            .arg("--state-file")
            .arg(&state)
            .args([
                "--server",
                &fake.server(),
                "--protocol",
                "imap",
                "--tls",
                "none",
            ])
            .args(["--allow-cleartext-auth", "--user", "bob", "--timeout", "30"])
            .env("MAILKIT_PASSWORD", "pw")
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while !fake
            .log()
            .iter()
            .any(|l| l.to_ascii_uppercase().starts_with(step))
        {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "never reached {step}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(100));
        child.kill().unwrap();
        child.wait().unwrap();
        let files = saved(dir.path());
        for m in three() {
            if !fake.uids().contains(&m.uid) {
                assert!(
                    files.contains(&lf(&m.body)),
                    "SIGKILL at {step}: UID {} lost",
                    m.uid
                );
            }
        }
        fake.shared.lock().unwrap().faults.stall_at = None;
        fetch(&fake, dir.path(), &["--new", "--delete"])
            .assert()
            .success();
        let mut want: Vec<Vec<u8>> = three().iter().map(|m| lf(&m.body)).collect();
        want.sort();
        assert_eq!(
            saved(dir.path()),
            want,
            "SIGKILL at {step}: each message exactly once"
        );
        assert!(fake.uids().is_empty(), "SIGKILL at {step}");
    }
}

/// `mailkit fetch -i` into `dir` against the fake on a pseudo-terminal, typing `keys` once
/// the picker is up.
fn pick_at_a_terminal(fake: &Fake, dir: &Path, extra: &[&str], keys: &[u8]) -> (i32, String) {
    let args = format!(
        "fetch -i --maildir {} --state-file {} {} --server {} --protocol imap --tls none --allow-cleartext-auth --user bob --timeout 10",
        dir.join("md").display(),
        dir.join("state").display(),
        extra.join(" "),
        fake.server()
    );
    support::terminal::at_a_terminal(&args, keys)
}

#[test]
fn the_picker_cancels_over_imap_without_touching_the_folder() {
    for key in [&b"q"[..], &b"\x1b"[..]] {
        let fake = Fake::start(three(), 100, Faults::default());
        let dir = tempfile::tempdir().unwrap();
        let (code, shown) = pick_at_a_terminal(&fake, dir.path(), &["--delete"], key);
        assert_eq!(code, 0, "{shown}");
        assert!(
            shown.contains("cancelled: nothing fetched or deleted"),
            "{shown}"
        );
        // Rows show the UID, a human size and the subject, read with BODY.PEEK.
        assert!(shown.contains(" B  ") && shown.contains("b@x"), "{shown}");
        assert!(saved(dir.path()).is_empty());
        assert_eq!(fake.uids(), [1, 2, 3]);
        let log = fake.log();
        assert!(!log.iter().any(|c| c.contains("BODY.PEEK[]")), "{log:?}");
        assert!(!log.iter().any(|c| c.contains("STORE")), "{log:?}");
    }
}

#[test]
fn the_picker_over_imap_fetches_all_and_removes_only_what_was_picked() {
    let fake = Fake::start(three(), 100, Faults::default());
    let dir = tempfile::tempdir().unwrap();
    // Enter: fetch all three; space: keep UID 1 on the server, enter; y: confirm.
    let (code, shown) = pick_at_a_terminal(&fake, dir.path(), &["--delete"], b"\r \ry");
    assert_eq!(code, 0, "{shown}");
    assert!(
        shown.contains("Delete which of these from the server once saved?"),
        "{shown}"
    );
    let mut want: Vec<Vec<u8>> = three().iter().map(|m| lf(&m.body)).collect();
    want.sort();
    assert_eq!(saved(dir.path()), want);
    assert_eq!(fake.uids(), [1]);
    assert!(
        fake.log().iter().any(|c| c == "UID EXPUNGE 2:3"),
        "{:?}",
        fake.log()
    );
}

#[test]
fn the_picker_over_imap_needs_a_terminal() {
    // Refused before connecting: nothing listens on port 9 of the loopback.
    let out = Command::cargo_bin("mailkit")
        .unwrap()
        .args(["fetch", "-i", "--maildir", "/nonexistent/md", "--server"])
        .args(["127.0.0.1:9", "--protocol", "imap", "--user", "bob"])
        .env("MAILKIT_PASSWORD", "pw")
        .env_remove("MAILKIT_ACCOUNTS")
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        "mailkit: error: --interactive needs a terminal on stdin; select messages with --uidl or --new\n"
    );
}
