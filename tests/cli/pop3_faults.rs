//! `mailkit fetch/list/dele` against an in-process fake POP3 server, for the faults a real
//! server will not produce: disconnects, missing terminators, refused DELE, STLS injection,
//! malformed listings, duplicate UIDLs, local write failures, and kills at every step.

use crate::support;

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command as StdCommand, Stdio},
};

use assert_cmd::Command;
use support::pop3::{Fake, Faults, Message, as_lf, message};

fn mailbox(n: usize) -> Vec<Message> {
    (1..=n)
        .map(|i| message(&format!("uid-{i}"), &format!("message {i}"), 20 + i))
        .collect()
}

/// A well-behaved fake that offers PIPELINING.
fn pipelining() -> Faults {
    Faults {
        caps: vec!["PIPELINING".into()],
        ..Faults::default()
    }
}

/// `mailkit <cmd>` against the fake, cleartext allowed, password from the environment.
fn mailkit(fake: &Fake, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("mailkit").unwrap();
    cmd.args(args)
        .args(["--server", &fake.server(), "--user", "bob", "--tls", "none"])
        .arg("--allow-cleartext-auth")
        .args(["--timeout", "10"])
        .env("MAILKIT_PASSWORD", "secret")
        .env("HOME", "/nonexistent")
        .env_remove("XDG_STATE_HOME")
        .env_remove("MAILKIT_ACCOUNTS");
    cmd
}

/// `mailkit list` against the fake with only a password and a TLS mode: none of the
/// cleartext and account overrides that [`mailkit`] adds.
fn bare_list(fake: &Fake, tls: &str) -> Command {
    let mut cmd = Command::cargo_bin("mailkit").unwrap();
    cmd.args(["list", "--server", &fake.server(), "--user", "bob"])
        .args(["--tls", tls])
        .env("MAILKIT_PASSWORD", "secret");
    cmd
}

fn files_in(dir: &Path) -> Vec<Vec<u8>> {
    let mut names: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    names.sort();
    names.iter().map(|p| fs::read(p).unwrap()).collect()
}

fn sorted(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    v.sort();
    v
}

struct Dirs {
    _tmp: tempfile::TempDir,
    maildir: PathBuf,
    state: PathBuf,
}

fn dirs() -> Dirs {
    let tmp = tempfile::tempdir().unwrap();
    Dirs {
        maildir: tmp.path().join("Maildir"),
        state: tmp.path().join("state"),
        _tmp: tmp,
    }
}

impl Dirs {
    fn fetch_args(&self) -> Vec<String> {
        vec![
            "fetch".into(),
            "--maildir".into(),
            self.maildir.display().to_string(),
            "--state-file".into(),
            self.state.display().to_string(),
        ]
    }
}

fn run(fake: &Fake, args: &[String]) -> std::process::Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    mailkit(fake, &refs).output().unwrap()
}

fn code(output: &std::process::Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn fetch_delete_saves_exact_bytes_then_deletes() {
    let messages = mailbox(5);
    let fake = Fake::start(messages.clone(), pipelining());
    let d = dirs();
    let mut args = d.fetch_args();
    args.extend([
        "--delete".into(),
        "--batch".into(),
        "2".into(),
        "--json".into(),
    ]);
    let out = run(&fake, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let want: Vec<Vec<u8>> = messages.iter().map(as_lf).collect();
    assert_eq!(sorted(files_in(&d.maildir.join("new"))), sorted(want));
    assert!(fake.uidls().is_empty());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert!(
        lines
            .iter()
            .all(|l| l["deleted"] == true && l["saved_to"].is_string())
    );
    assert_eq!(lines[0]["uidl"], "uid-1");
    // The state recorded every message (before its DELE was sent).
    let state = fs::read_to_string(&d.state).unwrap();
    assert!(
        (1..=5).all(|i| state.contains(&format!("uid-{i} "))),
        "{state}"
    );
}

#[test]
fn new_skips_what_was_fetched_and_warns_on_a_changed_size() {
    let fake = Fake::start(mailbox(3), Faults::default());
    let d = dirs();
    let out = run(&fake, &d.fetch_args());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(files_in(&d.maildir.join("new")).len(), 3);
    {
        let mut shared = fake.shared.lock().unwrap();
        shared.mailbox.push(message("uid-4", "four", 3));
        shared.mailbox[0].body.extend_from_slice(b"grown\r\n");
    }
    let mut args = d.fetch_args();
    args.extend(["--new".into(), "--json".into()]);
    let out = run(&fake, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let uidls: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["uidl"].to_string())
        .collect();
    assert_eq!(uidls, ["\"uid-1\"", "\"uid-4\""]);
    assert!(
        stderr(&out).contains("seen before with size"),
        "{}",
        stderr(&out)
    );
    assert_eq!(files_in(&d.maildir.join("new")).len(), 5);
}

#[test]
fn disconnect_mid_retr_keeps_the_whole_messages_and_deletes_nothing() {
    // Pipelined RETRs, and a reset in the middle of message 2: message 1, which arrived
    // whole, is committed (written, synced, recorded); message 2 leaves no trace; nothing is
    // deleted. A server that always drops at message 2 no longer stops every run at zero.
    for pipelined in [false, true] {
        let fake = Fake::start(
            mailbox(3),
            Faults {
                cut_retr: Some((2, 100)),
                caps: if pipelined {
                    vec!["PIPELINING".into()]
                } else {
                    Vec::new()
                },
                ..Faults::default()
            },
        );
        let d = dirs();
        let mut args = d.fetch_args();
        args.push("--delete".into());
        let out = run(&fake, &args);
        assert_eq!(code(&out), 75, "{}", stderr(&out));
        assert!(stderr(&out).contains("RETR 2"), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("those received whole were kept"),
            "{}",
            stderr(&out)
        );
        let saved = files_in(&d.maildir.join("new"));
        assert_eq!(saved.len(), 1, "pipelined {pipelined}");
        assert_eq!(saved[0], as_lf(&mailbox(3)[0]));
        assert!(files_in(&d.maildir.join("tmp")).is_empty());
        assert!(fs::read_to_string(&d.state).unwrap().contains("uid-1"));
        assert!(!fs::read_to_string(&d.state).unwrap().contains("uid-2"));
        assert_eq!(fake.uidls().len(), 3);
        assert!(!fake.log().iter().any(|c| c.starts_with("DELE")));
    }
}

#[test]
fn disconnect_mid_retr_into_an_mbox_keeps_the_whole_messages_only() {
    let fake = Fake::start(
        mailbox(3),
        Faults {
            cut_retr: Some((2, 100)),
            caps: vec!["PIPELINING".into()],
            ..Faults::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("inbox.mbox");
    let out = mailkit(&fake, &["fetch", "--mbox", mbox.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&out), 75, "{}", stderr(&out));
    let text = String::from_utf8(fs::read(&mbox).unwrap()).unwrap();
    assert_eq!(text.matches("\nFrom ").count() + 1, 1, "{text}");
    assert!(text.contains("message 1"), "{text}");
    assert!(!text.contains("message 2"), "{text}");
}

#[test]
fn a_message_without_terminator_is_truncated_not_saved() {
    let fake = Fake::start(
        mailbox(1),
        Faults {
            no_terminator: Some(1),
            ..Faults::default()
        },
    );
    let d = dirs();
    let out = run(&fake, &d.fetch_args());
    assert_eq!(code(&out), 75, "{}", stderr(&out));
    assert!(stderr(&out).contains("truncated"), "{}", stderr(&out));
    assert!(files_in(&d.maildir.join("new")).is_empty());
    assert!(files_in(&d.maildir.join("tmp")).is_empty());

    // Same for stdout: nothing of the partial message is printed.
    let out = mailkit(&fake, &["fetch", "--stdout", "1"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 75, "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}

#[test]
fn stdout_gets_the_bytes_unchanged() {
    let messages = mailbox(2);
    let fake = Fake::start(messages.clone(), Faults::default());
    let out = mailkit(&fake, &["fetch", "--stdout", "--uidl", "uid-2"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(out.stdout, messages[1].body);
    let out = mailkit(&fake, &["fetch", "--stdout"]).output().unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}

#[test]
fn refused_dele_sends_rset_and_deletes_nothing() {
    let fake = Fake::start(
        mailbox(3),
        Faults {
            dele_err: Some(2),
            ..pipelining()
        },
    );
    let out = mailkit(&fake, &["dele", "--yes", "1", "2", "3", "--json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 76, "{}", stderr(&out));
    assert!(fake.log().contains(&"RSET".to_string()), "{:?}", fake.log());
    assert_eq!(fake.uidls().len(), 3);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("\"deleted\":false").count(), 3, "{text}");

    // Through fetch --delete as well: saved, but nothing deleted.
    let d = dirs();
    let mut args = d.fetch_args();
    args.push("--delete".into());
    let out = run(&fake, &args);
    assert_eq!(code(&out), 76, "{}", stderr(&out));
    assert_eq!(fake.uidls().len(), 3);
    assert_eq!(files_in(&d.maildir.join("new")).len(), 3);
}

#[test]
fn dele_by_uidl_refuses_an_absent_one_and_needs_confirmation() {
    let fake = Fake::start(mailbox(2), Faults::default());
    let out = mailkit(&fake, &["dele", "--yes", "--uidl", "uid-9"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(!fake.log().iter().any(|c| c.starts_with("DELE")));

    let out = mailkit(&fake, &["dele", "--uidl", "uid-1"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 78, "{}", stderr(&out));

    let out = mailkit(&fake, &["dele", "--uidl", "uid-2", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    assert_eq!(fake.uidls().len(), 2);

    let out = mailkit(&fake, &["dele", "--yes", "--uidl", "uid-2"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(fake.uidls(), ["uid-1"]);
}

#[test]
fn connection_lost_before_quit_reply_is_not_committed() {
    let fake = Fake::start(
        mailbox(2),
        Faults {
            drop_quit: true,
            ..Faults::default()
        },
    );
    let out = mailkit(&fake, &["dele", "--yes", "1"]).output().unwrap();
    assert_eq!(code(&out), 75, "{}", stderr(&out));
    assert!(stderr(&out).contains("not committed"), "{}", stderr(&out));
    assert_eq!(fake.uidls().len(), 2);
}

#[test]
fn stls_injection_aborts_before_any_login() {
    let fake = Fake::start(
        mailbox(1),
        Faults {
            caps: vec!["STLS".into()],
            stls_inject: Some(b"+OK injected\r\n".to_vec()),
            ..Faults::default()
        },
    );
    let out = bare_list(&fake, "starttls").output().unwrap();
    assert_eq!(code(&out), 76, "{}", stderr(&out));
    assert!(stderr(&out).contains("injection"), "{}", stderr(&out));
    assert!(
        !fake
            .log()
            .iter()
            .any(|c| c.starts_with("USER") || c.starts_with("PASS"))
    );
}

#[test]
fn starttls_required_but_not_offered_is_refused() {
    let fake = Fake::start(mailbox(1), Faults::default());
    let out = bare_list(&fake, "starttls").output().unwrap();
    assert_eq!(code(&out), 77, "{}", stderr(&out));
    assert!(!fake.log().iter().any(|c| c.starts_with("PASS")));
}

#[test]
fn starttls_required_but_refused_is_a_trust_refusal_as_in_smtp() {
    let fake = Fake::start(
        mailbox(1),
        Faults {
            caps: vec!["STLS".into()],
            stls_err: true,
            ..Faults::default()
        },
    );
    let out = bare_list(&fake, "starttls").output().unwrap();
    assert_eq!(code(&out), 77, "{}", stderr(&out));
    assert!(!fake.log().iter().any(|c| c.starts_with("PASS")));
}

#[test]
fn no_cleartext_password_without_the_flag() {
    let fake = Fake::start(mailbox(1), Faults::default());
    let out = bare_list(&fake, "none").output().unwrap();
    assert_eq!(code(&out), 77, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--allow-cleartext-auth"),
        "{}",
        stderr(&out)
    );
    assert!(
        !fake
            .log()
            .iter()
            .any(|c| c.starts_with("USER") || c.starts_with("PASS"))
    );
}

#[test]
fn malformed_listings_are_protocol_errors() {
    for (list, uidl) in [
        (Some(vec!["1 100".to_string(), "two 200".into()]), None),
        (Some(vec!["1 100".into(), "1 100".into()]), None),
        (None, Some(vec!["1 uid-1".to_string(), "7 uid-7".into()])),
        (None, Some(vec!["1 \u{1b}[2Jevil".to_string()])),
    ] {
        let fake = Fake::start(
            mailbox(2),
            Faults {
                list_body: list.clone(),
                uidl_body: uidl.clone(),
                ..Faults::default()
            },
        );
        let out = mailkit(&fake, &["list"]).output().unwrap();
        assert_eq!(code(&out), 76, "{list:?} {uidl:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains('\u{1b}'),
            "escape reached the terminal"
        );
    }
}

#[test]
fn duplicate_uidls_cannot_identify_messages() {
    let fake = Fake::start(
        mailbox(3),
        Faults {
            uidl_body: Some(vec!["1 same".into(), "2 same".into(), "3 unique".into()]),
            ..Faults::default()
        },
    );
    let out = mailkit(&fake, &["dele", "--yes", "--uidl", "same"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 76, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("more than one message"),
        "{}",
        stderr(&out)
    );
    // fetch --new takes what can be identified and, with a warning naming them, the
    // ambiguous ones too; only the identified one is recorded as seen.
    let d = dirs();
    let mut args = d.fetch_args();
    args.push("--new".into());
    let out = run(&fake, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("same UIDL to several messages: 1 (same), 2 (same)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(files_in(&d.maildir.join("new")).len(), 3);
    let state = fs::read_to_string(&d.state).unwrap();
    assert!(
        state.contains("unique") && !state.contains("same"),
        "{state}"
    );
    let out = run(&fake, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(files_in(&d.maildir.join("new")).len(), 5);
    assert!(!fake.log().iter().any(|c| c.starts_with("DELE")));
}

#[test]
fn server_codes_map_to_exit_codes() {
    for (reply, want) in [
        ("-ERR [IN-USE] mailbox locked", 75),
        ("-ERR [SYS/TEMP] try later", 75),
        ("-ERR [AUTH] bad password", 77),
        ("-ERR bad password", 77),
    ] {
        let fake = Fake::start(
            mailbox(1),
            Faults {
                pass_reply: Some(reply.into()),
                ..Faults::default()
            },
        );
        let out = mailkit(&fake, &["list", "-v"]).output().unwrap();
        assert_eq!(code(&out), want, "{reply}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("C: PASS (redacted)"), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }
}

#[test]
fn list_shows_decoded_headers_and_json() {
    let mut messages = mailbox(1);
    messages[0].body = b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\r\nSubject: =?utf-8?b?4pyTIGRvbmU=?=\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nbody\r\n".to_vec();
    let fake = Fake::start(messages, Faults::default());
    let out = mailkit(&fake, &["list", "--headers", "--json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["number"], 1);
    assert_eq!(v["uidl"], "uid-1");
    assert_eq!(v["from"], "Jürgen <j@example.org>");
    assert_eq!(v["subject"], "✓ done");
    assert_eq!(v["date"], "Mon, 1 Jan 2024 00:00:00 +0000");
    assert!(fake.log().iter().all(|c| !c.starts_with("DELE")));
}

#[test]
fn empty_mailbox_is_success() {
    let fake = Fake::start(Vec::new(), Faults::default());
    let d = dirs();
    let out = run(&fake, &d.fetch_args());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = mailkit(&fake, &["list"]).output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}

#[test]
fn max_size_skips_large_messages() {
    let mut messages = mailbox(2);
    messages[1] = message("uid-2", "big", 2000);
    let fake = Fake::start(messages, Faults::default());
    let d = dirs();
    let mut args = d.fetch_args();
    args.extend(["--max-size".into(), "10k".into(), "--json".into()]);
    let out = run(&fake, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"skipped\":\"too large\""), "{text}");
    assert_eq!(files_in(&d.maildir.join("new")).len(), 1);
    assert!(!fake.log().iter().any(|c| c == "RETR 2"));
}

#[test]
fn interactive_mode_needs_a_terminal() {
    let fake = Fake::start(mailbox(1), Faults::default());
    let d = dirs();
    let mut args = d.fetch_args();
    args.push("-i".into());
    let out = run(&fake, &args);
    assert_eq!(code(&out), 78, "{}", stderr(&out));
    assert!(fake.log().is_empty(), "refused before connecting");
    fake.expect_unused();
}

#[test]
fn mbox_target_quotes_from_lines() {
    let messages = mailbox(2);
    let fake = Fake::start(messages.clone(), Faults::default());
    let d = dirs();
    let mbox = d.maildir.with_extension("mbox");
    let out = mailkit(&fake, &["fetch", "--mbox", mbox.to_str().unwrap()])
        .args(["--state-file", d.state.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = fs::read_to_string(&mbox).unwrap();
    assert_eq!(text.matches("\nFrom MAILER-DAEMON ").count(), 1, "{text}");
    assert!(text.starts_with("From MAILER-DAEMON "));
    assert!(text.contains("\n>From the start of a line\n"));
    assert!(!text.contains("\nFrom the start"));
    assert!(!text.contains('\r'));
}

/// A tmpfs too small for the message: the write fails, exit 74, nothing deleted.
#[test]
fn local_write_failure_deletes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mount = tmp.path().join("small");
    fs::create_dir(&mount).unwrap();
    let status = StdCommand::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&mount)
        .status()
        .expect("running mount (this test needs root)");
    assert!(status.success(), "mounting a small tmpfs (needs root)");
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = StdCommand::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mount.clone());
    let mut messages = mailbox(2);
    messages.push(message("uid-big", "big", 20_000));
    let messages_copy = messages.clone();
    let fake = Fake::start(messages, Faults::default());
    let out = mailkit(
        &fake,
        &[
            "fetch",
            "--delete",
            "--maildir",
            mount.join("Maildir").to_str().unwrap(),
        ],
    )
    .args(["--state-file", tmp.path().join("state").to_str().unwrap()])
    .output()
    .unwrap();
    assert_eq!(code(&out), 74, "{}", stderr(&out));
    assert_eq!(fake.uidls().len(), 3);
    assert!(!fake.log().iter().any(|c| c.starts_with("DELE")));
    // What reached new/ is complete (a rerun may fetch it again); nothing partial anywhere.
    let complete: Vec<Vec<u8>> = messages_copy.iter().map(as_lf).collect();
    for file in files_in(&mount.join("Maildir/new")) {
        assert!(complete.contains(&file), "a partial message in new/");
    }
    assert!(files_in(&mount.join("Maildir/tmp")).is_empty());
}

/// Kill mailkit (SIGKILL) while it waits at each step of a fetch --delete, then rerun
/// without faults: no message may be missing from both the server and the Maildir, and each
/// Maildir file must be a complete message.
#[test]
fn a_kill_at_any_step_leaves_no_gap() {
    let steps = [
        "USER", "PASS", "LIST", "UIDL", "RETR 1", "RETR 3", "DELE 1", "DELE 3", "DELE 4", "QUIT",
    ];
    for step in steps {
        for pipelining in [false, true] {
            let messages = mailbox(4);
            let caps = if pipelining {
                vec!["PIPELINING".to_string()]
            } else {
                Vec::new()
            };
            let fake = Fake::start(
                messages.clone(),
                Faults {
                    caps: caps.clone(),
                    stall_at: Some(step.into()),
                    ..Faults::default()
                },
            );
            let d = dirs();
            let mut args = d.fetch_args();
            args.extend([
                "--new".into(),
                "--delete".into(),
                "--batch".into(),
                "2".into(),
            ]);
            let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("mailkit"))
                .args(&args)
                .args(["--server", &fake.server(), "--user", "bob", "--tls", "none"])
                .args(["--allow-cleartext-auth", "--timeout", "30"])
                .env("MAILKIT_PASSWORD", "secret")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            fake.wait_stalled();
            child.kill().unwrap();
            child.wait().unwrap();
            let on_server = fake.uidls();
            let saved = files_in(&d.maildir.join("new"));
            for m in &messages {
                let here = saved.contains(&as_lf(m));
                let there = on_server.contains(&m.uidl);
                assert!(here || there, "step {step}: {} lost", m.uidl);
            }
            for file in &saved {
                assert!(
                    messages.iter().any(|m| &as_lf(m) == file),
                    "step {step}: a partial file in new/"
                );
            }
            // The rerun finishes the job: everything saved once more or already, and gone
            // from the server.
            fake.set_faults(Faults {
                caps,
                ..Faults::default()
            });
            let out = run(&fake, &args);
            assert_eq!(code(&out), 0, "step {step} rerun: {}", stderr(&out));
            assert!(fake.uidls().is_empty(), "step {step}: {:?}", fake.uidls());
            let saved = files_in(&d.maildir.join("new"));
            for m in &messages {
                assert!(saved.contains(&as_lf(m)), "step {step}: {} missing", m.uidl);
            }
        }
    }
}

#[test]
fn a_silent_server_times_out_with_75() {
    let fake = Fake::start(
        mailbox(1),
        Faults {
            stall_at: Some("LIST".into()),
            ..Faults::default()
        },
    );
    let out = bare_list(&fake, "none")
        .args(["--allow-cleartext-auth", "--timeout", "1"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 75, "{}", stderr(&out));
    assert!(stderr(&out).contains("LIST"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("timed out after 1 s"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_default_state_file_is_per_user_and_server_and_locked() {
    let fake = Fake::start(mailbox(2), Faults::default());
    let d = dirs();
    let state_home = d.maildir.with_file_name("state-home");
    let out = mailkit(&fake, &["fetch", "--maildir", d.maildir.to_str().unwrap()])
        .env("XDG_STATE_HOME", &state_home)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let state = state_home
        .join("mailkit/uidl")
        .join(format!("bob@{}", fake.server()));
    let text = fs::read_to_string(&state).unwrap();
    assert!(text.contains("uid-1 ") && text.contains("uid-2 "), "{text}");

    // A concurrent run holds the lock: the second one gives up at once with 75.
    let lock = fs::File::open(state.with_file_name(format!("bob@{}.lock", fake.server()))).unwrap();
    lock.lock().unwrap();
    let out = mailkit(
        &fake,
        &["fetch", "--new", "--maildir", d.maildir.to_str().unwrap()],
    )
    .env("XDG_STATE_HOME", &state_home)
    .output()
    .unwrap();
    assert_eq!(code(&out), 75, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("another mailkit fetch"),
        "{}",
        stderr(&out)
    );
}

/// Many large replies with PIPELINING over real sockets: the bounded window means neither
/// side blocks writing while the other is blocked too.
#[test]
fn pipelining_large_messages_does_not_deadlock() {
    let messages: Vec<Message> = (1..=150)
        .map(|i| message(&format!("big-{i}"), "big", 2500))
        .collect();
    let fake = Fake::start(messages.clone(), pipelining());
    let d = dirs();
    let mut args = d.fetch_args();
    args.extend(["--delete".into(), "--batch".into(), "40".into()]);
    let out = run(&fake, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(files_in(&d.maildir.join("new")).len(), 150);
    assert!(fake.uidls().is_empty());
    let log = fake.log();
    let first_dele = log.iter().position(|c| c.starts_with("DELE")).unwrap();
    assert!(first_dele > log.iter().position(|c| c == "RETR 40").unwrap());
}

#[test]
fn password_env_names_the_variable_to_read() {
    let fake = Fake::start(mailbox(1), Faults::default());
    let out = mailkit(&fake, &["list", "--password-env", "MY_POP_PW"])
        .env("MY_POP_PW", "from-my-var")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(fake.log().iter().any(|c| c == "PASS from-my-var"));
    let out = mailkit(&fake, &["list", "--password-env", "MY_UNSET_POP_PW"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 78, "{}", stderr(&out));
    assert!(stderr(&out).contains("MY_UNSET_POP_PW"), "{}", stderr(&out));
}

/// Runs `mailkit ARGS` against the fake on a pseudo-terminal, typing `keys` once the picker
/// is up; returns the exit status and everything the terminal showed.
fn at_a_terminal(fake: &Fake, args: &[&str], keys: &[u8]) -> (i32, String) {
    let args = format!(
        "{} --server {} --user bob --tls none --allow-cleartext-auth --timeout 10",
        args.join(" "),
        fake.server()
    );
    support::terminal::at_a_terminal(&args, keys)
}

#[test]
fn the_picker_cancels_cleanly_with_q_and_esc() {
    for key in [&b"q"[..], &b"\x1b"[..]] {
        let fake = Fake::start(mailbox(2), Faults::default());
        let d = dirs();
        let maildir = d.maildir.display().to_string();
        let state = d.state.display().to_string();
        let args = ["fetch", "-i", "--maildir", &maildir, "--state-file", &state];
        let (code, shown) = at_a_terminal(&fake, &args, key);
        assert_eq!(code, 0, "{shown}");
        assert!(
            shown.contains("cancelled: nothing fetched or deleted"),
            "{shown}"
        );
        // Rows show a human size (the fake's messages have no Date).
        assert!(shown.contains(" B  "), "{shown}");
        assert!(files_in(&d.maildir.join("new")).is_empty());
        assert!(!fake.log().iter().any(|c| c.starts_with("RETR")));
    }
}

#[test]
fn ctrl_c_in_the_picker_restores_the_cursor() {
    let fake = Fake::start(mailbox(2), Faults::default());
    let d = dirs();
    let maildir = d.maildir.display().to_string();
    let state = d.state.display().to_string();
    let args = ["fetch", "-i", "--maildir", &maildir, "--state-file", &state];
    let (code, shown) = at_a_terminal(&fake, &args, b"\x03");
    assert_eq!(code, 130, "{shown}");
    let hidden = shown
        .rfind("\x1b[?25l")
        .expect("the picker hides the cursor");
    assert!(
        shown[hidden..].contains("\x1b[?25h"),
        "the cursor stays hidden: {shown:?}"
    );
}

#[test]
fn dele_confirmation_lists_the_messages_and_counts_in_words() {
    let fake = Fake::start(mailbox(2), Faults::default());
    let (code, shown) = at_a_terminal(&fake, &["dele", "--uidl", "uid-2"], b"n");
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains("Delete 1 message ("), "{shown}");
    assert!(
        shown.contains("message 2"),
        "the subject is not listed: {shown}"
    );
    assert!(!fake.log().iter().any(|c| c.starts_with("DELE")));
}

#[test]
fn a_missing_password_names_the_flags_that_give_one() {
    let fake = Fake::start(mailbox(1), Faults::default());
    let out = Command::cargo_bin("mailkit")
        .unwrap()
        .args(["list", "--server", &fake.server(), "--user", "bob"])
        .args(["--tls", "none", "--allow-cleartext-auth"])
        .env("HOME", "/nonexistent")
        .env_remove("MAILKIT_PASSWORD")
        .env_remove("MAILKIT_ACCOUNTS")
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(code(&out), 78, "{}", stderr(&out));
    for flag in [
        "--password-env",
        "--password-file",
        "--password-command",
        "MAILKIT_PASSWORD",
    ] {
        assert!(stderr(&out).contains(flag), "{}", stderr(&out));
    }
}
