//! `mailkit list/fetch/dele` against the real Dovecot of the test bed (run by tests/run.sh).
//! These tests own bob's mailbox and take one lock so they never overlap.

mod common;

use std::{
    fs,
    path::PathBuf,
    sync::{Mutex, MutexGuard},
};

use assert_cmd::Command;
use common::{TestBed, crlf, files_in, json_lines};

static BOB: Mutex<()> = Mutex::new(());

/// Holds bob's mailbox for one test.
struct Bob {
    _guard: MutexGuard<'static, ()>,
    bed: TestBed,
    maildir: PathBuf,
}

fn bob() -> Bob {
    let guard = BOB.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let bed = TestBed::get();
    let maildir = bed.path("MAILDIR_BOB");
    let bob = Bob {
        _guard: guard,
        bed,
        maildir,
    };
    bob.empty();
    bob
}

impl Bob {
    fn empty(&self) {
        for sub in ["new", "cur"] {
            for entry in fs::read_dir(self.maildir.join(sub)).unwrap() {
                fs::remove_file(entry.unwrap().path()).unwrap();
            }
        }
    }

    /// Stores messages (LF line ends) as Maildir files in INBOX, in order.
    fn fill(&self, messages: &[Vec<u8>]) {
        self.bed.fill_maildir(&self.maildir, messages);
    }

    fn stored_count(&self) -> usize {
        ["new", "cur"]
            .iter()
            .map(|sub| fs::read_dir(self.maildir.join(sub)).unwrap().count())
            .sum()
    }

    /// `mailkit <args>` as bob, over implicit TLS (995) or STLS (110).
    fn mailkit(&self, stls: bool, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("mailkit").unwrap();
        let host = self.bed.var("POP3_HOST");
        let (port, mode) = if stls {
            (self.bed.var("POP3_PORT"), "starttls")
        } else {
            (self.bed.var("POP3S_PORT"), "tls")
        };
        cmd.args(args)
            .args(["--server", &format!("{host}:{port}"), "--tls", mode])
            .args(["--user", self.bed.var("BOB_USER")])
            .args(["--ca-file", self.bed.var("CA_FILE")])
            .env("MAILKIT_PASSWORD", self.bed.var("BOB_PASS"))
            .env_remove("MAILKIT_ACCOUNTS");
        cmd
    }
}

/// Realistic messages with the awkward cases: a leading dot, `From ` lines, 8-bit bytes, a
/// long line, no final newline on the last.
fn messages() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..4 {
        let mut m = format!(
            "Return-Path: <alice@hamburger.test>\nFrom: Alice <alice@hamburger.test>\nTo: bob@hamburger.test\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= {i}\nDate: Mon, 23 Nov 2026 02:00:0{i} +0000\nMessage-ID: <{i}.interop@hamburger.test>\n\n"
        )
        .into_bytes();
        m.extend_from_slice(b".leading dot\n..two dots\nFrom the start\n>From quoted\n");
        m.extend_from_slice(b"latin-1: caf\xe9\n");
        m.extend(std::iter::repeat_n(b'x', 2000 + i));
        m.extend_from_slice(b"\n.\n");
        if i == 3 {
            m.extend_from_slice(b"no final newline");
        }
        out.push(m);
    }
    out
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn list_over_tls_and_stls_shows_sizes_uidls_and_decoded_headers() {
    let bob = bob();
    let msgs = messages();
    bob.fill(&msgs);
    for stls in [false, true] {
        let out = bob
            .mailkit(stls, &["list", "--headers", "--json"])
            .assert()
            .success();
        let lines = json_lines(&out.get_output().stdout);
        assert_eq!(lines.len(), msgs.len());
        let mut sizes: Vec<u64> = lines.iter().map(|l| l["size"].as_u64().unwrap()).collect();
        let mut want: Vec<u64> = msgs.iter().map(|m| crlf(m).len() as u64).collect();
        sizes.sort_unstable();
        want.sort_unstable();
        assert_eq!(sizes, want);
        assert!(
            lines
                .iter()
                .all(|l| l["uidl"].as_str().unwrap().len() == 16)
        );
        assert!(lines[0]["subject"].as_str().unwrap().starts_with("Grüße "));
    }
    assert_eq!(bob.stored_count(), msgs.len(), "list changed the mailbox");
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn fetch_to_maildir_keeps_the_exact_bytes_and_the_mailbox() {
    let bob = bob();
    let msgs = messages();
    bob.fill(&msgs);
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("in");
    let state = tmp.path().join("state");
    bob.mailkit(false, &["fetch", "--maildir", maildir.to_str().unwrap()])
        .args(["--state-file", state.to_str().unwrap()])
        .assert()
        .success();
    let mut want = msgs.clone();
    for m in &mut want {
        if !m.ends_with(b"\n") {
            // Dovecot ends every message with a line end on the wire.
            m.push(b'\n');
        }
    }
    want.sort();
    assert_eq!(files_in(&maildir.join("new")), want);
    assert_eq!(bob.stored_count(), msgs.len());

    // --new: nothing more; one more message: exactly that one.
    bob.mailkit(
        true,
        &["fetch", "--new", "--maildir", maildir.to_str().unwrap()],
    )
    .args(["--state-file", state.to_str().unwrap()])
    .assert()
    .success();
    assert_eq!(files_in(&maildir.join("new")).len(), msgs.len());
    bob.fill(&[b"Subject: late\n\nhello\n".to_vec()]);
    let out = bob
        .mailkit(
            true,
            &[
                "fetch",
                "--new",
                "--json",
                "--maildir",
                maildir.to_str().unwrap(),
            ],
        )
        .args(["--state-file", state.to_str().unwrap()])
        .assert()
        .success();
    let lines = json_lines(&out.get_output().stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(
        fs::read(lines[0]["saved_to"].as_str().unwrap()).unwrap(),
        b"Subject: late\n\nhello\n"
    );
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn fetch_to_mbox_and_stdout() {
    let bob = bob();
    let msgs = messages();
    bob.fill(&msgs[..2]);
    let tmp = tempfile::tempdir().unwrap();
    let mbox = tmp.path().join("mbox");
    bob.mailkit(false, &["fetch", "--mbox", mbox.to_str().unwrap()])
        .args(["--state-file", tmp.path().join("state").to_str().unwrap()])
        .assert()
        .success();
    let text = fs::read(&mbox).unwrap();
    // The From lines name the envelope sender from the Return-Path, not MAILER-DAEMON.
    let separator = b"From alice@hamburger.test ";
    assert_eq!(
        text.windows(separator.len())
            .filter(|w| w == separator)
            .count(),
        2,
        "{}",
        String::from_utf8_lossy(&text)
    );
    assert!(!text.windows(19).any(|w| w == b"From MAILER-DAEMON "));
    assert!(text.windows(16).any(|w| w == b"\n>From the start"));
    assert!(text.windows(15).any(|w| w == b"\n>>From quoted\n"));

    let list = bob.mailkit(false, &["list", "--json"]).assert().success();
    let lines = json_lines(&list.get_output().stdout);
    let uidl = lines[1]["uidl"].as_str().unwrap().to_string();
    let out = bob
        .mailkit(true, &["fetch", "--stdout", "--uidl", &uidl])
        .assert()
        .success();
    let got = out.get_output().stdout.clone();
    assert!(
        got == crlf(&msgs[0]) || got == crlf(&msgs[1]),
        "bytes differ"
    );
    assert_eq!(got.len() as u64, lines[1]["size"].as_u64().unwrap());
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn fetch_delete_empties_the_mailbox_after_saving() {
    let bob = bob();
    let msgs = messages();
    bob.fill(&msgs);
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("in");
    let out = bob
        .mailkit(false, &["fetch", "--delete", "--json", "--batch", "3"])
        .arg("--maildir")
        .arg(&maildir)
        .args(["--state-file", tmp.path().join("state").to_str().unwrap()])
        .assert()
        .success();
    let lines = json_lines(&out.get_output().stdout);
    assert!(lines.iter().all(|l| l["deleted"] == true));
    assert_eq!(files_in(&maildir.join("new")).len(), msgs.len());
    assert_eq!(bob.stored_count(), 0);
    let out = bob.mailkit(true, &["list"]).assert().success();
    assert!(out.get_output().stdout.is_empty());
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn dele_by_uidl_and_dry_run() {
    let bob = bob();
    bob.fill(&messages()[..3]);
    let list = bob.mailkit(false, &["list", "--json"]).assert().success();
    let uidls: Vec<String> = json_lines(&list.get_output().stdout)
        .iter()
        .map(|l| l["uidl"].as_str().unwrap().to_string())
        .collect();
    bob.mailkit(false, &["dele", "--dry-run", "--uidl", &uidls[1]])
        .assert()
        .success();
    assert_eq!(bob.stored_count(), 3);
    bob.mailkit(true, &["dele", "--yes", "--uidl", &uidls[1]])
        .assert()
        .success();
    let list = bob.mailkit(false, &["list", "--json"]).assert().success();
    let left: Vec<String> = json_lines(&list.get_output().stdout)
        .iter()
        .map(|l| l["uidl"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left, [uidls[0].clone(), uidls[2].clone()]);
    bob.mailkit(false, &["dele", "--yes", "--uidl", &uidls[1]])
        .assert()
        .code(1);
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn refusals_wrong_password_cleartext_and_untrusted_ca() {
    let bob = bob();
    bob.mailkit(false, &["list"])
        .env("MAILKIT_PASSWORD", "wrong")
        .assert()
        .code(77);
    // Dovecot would accept a cleartext login here; mailkit refuses to send it.
    let host = bob.bed.var("POP3_HOST");
    Command::cargo_bin("mailkit")
        .unwrap()
        .args(["list", "--server", &format!("{host}:110"), "--tls", "none"])
        .args(["--user", "bob"])
        .env("MAILKIT_PASSWORD", bob.bed.var("BOB_PASS"))
        .assert()
        .code(77);
    Command::cargo_bin("mailkit")
        .unwrap()
        .args(["list", "--server", &format!("{host}:995"), "--user", "bob"])
        .env("MAILKIT_PASSWORD", bob.bed.var("BOB_PASS"))
        .assert()
        .code(77);
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn verbose_transcript_redacts_the_password() {
    let bob = bob();
    for auth in ["user", "plain"] {
        let out = bob
            .mailkit(true, &["list", "-v", "--auth", auth])
            .assert()
            .success();
        let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(err.contains("C: STLS"), "{err}");
        assert!(err.contains("S: +OK Dovecot (Debian) ready."), "{err}");
        assert!(err.contains("(redacted)"), "{err}");
        assert!(!err.contains(bob.bed.var("BOB_PASS")), "{err}");
    }
}
