//! `mailkit list/fetch/dele` over IMAP against the real Dovecot of the test bed (run by
//! tests/run.sh). These tests own the mailbox of `box7` and take one lock so they never overlap.

mod common;

use std::{
    fs,
    path::PathBuf,
    process::Stdio,
    sync::{Mutex, MutexGuard},
    time::{Duration, Instant},
};

use assert_cmd::Command;
use common::{TestBed, crlf, files_in, json_lines};

static BOX: Mutex<()> = Mutex::new(());
const USER: &str = "box7";

/// Holds box7's mailbox for one test.
struct Mailbox {
    _guard: MutexGuard<'static, ()>,
    bed: TestBed,
    maildir: PathBuf,
}

fn mailbox() -> Mailbox {
    let guard = BOX.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let bed = TestBed::get();
    let maildir = bed.path("MAILDIR_BOX7");
    let mailbox = Mailbox {
        _guard: guard,
        bed,
        maildir,
    };
    mailbox.empty();
    mailbox
}

impl Mailbox {
    /// The Maildir of a folder (Dovecot's Maildir++ layout: `.Archive` beside INBOX).
    fn folder_dir(&self, folder: &str) -> PathBuf {
        match folder {
            "INBOX" => self.maildir.clone(),
            other => self.maildir.join(format!(".{other}")),
        }
    }

    fn empty(&self) {
        for folder in ["INBOX", "Archive", "Trash"] {
            for sub in ["new", "cur"] {
                let Ok(entries) = fs::read_dir(self.folder_dir(folder).join(sub)) else {
                    continue;
                };
                for entry in entries {
                    fs::remove_file(entry.unwrap().path()).unwrap();
                }
            }
        }
    }

    /// Stores messages (LF line ends) as Maildir files in INBOX, in order.
    fn fill(&self, messages: &[Vec<u8>]) {
        self.bed.fill_maildir(&self.maildir, messages);
    }

    fn stored(&self, folder: &str) -> usize {
        ["new", "cur"]
            .iter()
            .map(|sub| {
                fs::read_dir(self.folder_dir(folder).join(sub))
                    .map(|d| d.count())
                    .unwrap_or(0)
            })
            .sum()
    }

    /// `mailkit <args>` as box7 over implicit TLS (993) or STARTTLS (143).
    fn mailkit(&self, starttls: bool, args: &[&str]) -> Command {
        let mut cmd = Command::cargo_bin("mailkit").unwrap();
        let host = self.bed.var("IMAP_HOST");
        let port = if starttls {
            self.bed.var("IMAP_PORT")
        } else {
            self.bed.var("IMAPS_PORT")
        };
        cmd.args(args)
            .args(["--server", &format!("{host}:{port}")])
            .args(["--user", USER])
            .args(["--ca-file", self.bed.var("CA_FILE")])
            .env("MAILKIT_PASSWORD", self.bed.var("BOX7_PASS"))
            .env_remove("MAILKIT_ACCOUNTS");
        cmd
    }

    fn list(&self, folder: &str) -> Vec<serde_json::Value> {
        let out = self
            .mailkit(false, &["list", "--json", "--folder", folder])
            .assert()
            .success();
        json_lines(&out.get_output().stdout)
    }
}

/// Realistic messages: 8-bit bytes, `From ` lines, a leading dot, a long line, an encoded
/// subject, and no final newline on the last.
fn messages() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..4 {
        let mut m = format!(
            "From: Alice <alice@hamburger.test>\nTo: box7@hamburger.test\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= {i}\nDate: Mon, 23 Nov 2026 02:00:0{i} +0000\nMessage-ID: <{i}.imap-interop@hamburger.test>\n\n"
        )
        .into_bytes();
        m.extend_from_slice(b".leading dot\nFrom the start\n>From quoted\nlatin-1: caf\xe9\n");
        m.extend(std::iter::repeat_n(b'x', 3000 + i));
        m.extend_from_slice(b"\n");
        if i == 3 {
            m.extend_from_slice(b"no final newline");
        }
        out.push(m);
    }
    out
}

fn sorted(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    v.sort();
    v
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn list_over_993_and_143_shows_uid_flags_date_size_and_decoded_headers() {
    let mb = mailbox();
    let msgs = messages();
    mb.fill(&msgs);
    for starttls in [false, true] {
        let out = mb.mailkit(starttls, &["list", "--json"]).assert().success();
        let lines = json_lines(&out.get_output().stdout);
        assert_eq!(lines.len(), msgs.len());
        let mut sizes: Vec<u64> = lines.iter().map(|l| l["size"].as_u64().unwrap()).collect();
        let mut want: Vec<u64> = msgs.iter().map(|m| crlf(m).len() as u64).collect();
        sizes.sort_unstable();
        want.sort_unstable();
        assert_eq!(sizes, want);
        let uids: Vec<u64> = lines.iter().map(|l| l["uid"].as_u64().unwrap()).collect();
        assert!(uids.windows(2).all(|w| w[0] < w[1]), "{uids:?}");
        assert_eq!(lines[0]["subject"], "Grüße 0");
        assert_eq!(
            lines[0]["from"].as_str().unwrap(),
            "Alice <alice@hamburger.test>"
        );
        assert_eq!(lines[0]["message_id"], "0.imap-interop@hamburger.test");
        assert!(lines[0]["internal_date"].as_str().unwrap().contains('T'));
        assert!(
            lines[0]["uidl"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/{}", uids[0]))
        );
    }
    let text = mb.mailkit(false, &["list"]).assert().success();
    let text = String::from_utf8(text.get_output().stdout.clone()).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        first.ends_with("\tAlice <alice@hamburger.test>\tGrüße 0"),
        "{first}"
    );
    // EXAMINE: listing changed nothing, not even \Recent / \Seen.
    assert!(
        mb.list("INBOX")
            .iter()
            .all(|l| !l["flags"].to_string().contains("Seen"))
    );
    assert_eq!(mb.stored("INBOX"), msgs.len());
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn folders_with_counts() {
    let mb = mailbox();
    mb.fill(&messages()[..3]);
    let out = mb
        .mailkit(false, &["list", "--folders", "--json"])
        .assert()
        .success();
    let lines = json_lines(&out.get_output().stdout);
    let row = |name: &str| {
        lines
            .iter()
            .find(|l| l["folder"] == name)
            .unwrap_or_else(|| panic!("no {name} in {lines:?}"))
            .clone()
    };
    assert_eq!(row("INBOX")["messages"], 3);
    assert_eq!(row("INBOX")["unseen"], 3);
    assert_eq!(row("Archive")["messages"], 0);
    assert!(row("Trash")["attributes"].to_string().contains("\\\\Trash"));
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn fetch_to_maildir_byte_for_byte_then_new_then_delete() {
    let mb = mailbox();
    let msgs = messages();
    mb.fill(&msgs);
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("in");
    let state = tmp.path().join("state");
    let fetch = |starttls: bool, extra: &[&str]| {
        let mut cmd = mb.mailkit(starttls, &["fetch", "--json"]);
        cmd.arg("--maildir")
            .arg(&maildir)
            .arg("--state-file")
            .arg(&state)
            .args(extra);
        json_lines(&cmd.assert().success().get_output().stdout)
    };
    let got = fetch(false, &["--batch", "3"]);
    assert_eq!(got.len(), msgs.len());
    assert_eq!(files_in(&maildir.join("new")), sorted(msgs.clone()));
    // BODY.PEEK: nothing was marked read, nothing removed.
    assert!(
        mb.list("INBOX")
            .iter()
            .all(|l| !l["flags"].to_string().contains("Seen"))
    );
    assert_eq!(mb.stored("INBOX"), msgs.len());

    assert!(fetch(true, &["--new"]).is_empty());
    mb.fill(&[b"Subject: late\nMessage-ID: <late@x>\n\nhello\n".to_vec()]);
    let got = fetch(false, &["--new"]);
    assert_eq!(got.len(), 1);
    assert_eq!(
        fs::read(got[0]["saved_to"].as_str().unwrap()).unwrap(),
        b"Subject: late\nMessage-ID: <late@x>\n\nhello\n"
    );
    // --new --delete: nothing new, but what was fetched before is removed now.
    let got = fetch(false, &["--new", "--delete"]);
    assert_eq!(got.len(), msgs.len() + 1);
    assert!(got.iter().all(|l| l["deleted"] == true), "{got:?}");
    assert!(mb.list("INBOX").is_empty());
    assert_eq!(files_in(&maildir.join("new")).len(), msgs.len() + 1);
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn fetch_to_mbox_and_stdout() {
    let mb = mailbox();
    let msgs = messages();
    mb.fill(&msgs[..2]);
    let tmp = tempfile::tempdir().unwrap();
    let mbox = tmp.path().join("mbox");
    mb.mailkit(false, &["fetch", "--mbox", mbox.to_str().unwrap()])
        .args(["--state-file", tmp.path().join("state").to_str().unwrap()])
        .assert()
        .success();
    let text = fs::read(&mbox).unwrap();
    assert_eq!(
        text.windows(19)
            .filter(|w| w == b"From MAILER-DAEMON ")
            .count(),
        2
    );
    assert!(text.windows(16).any(|w| w == b"\n>From the start"));
    assert!(text.windows(15).any(|w| w == b"\n>>From quoted\n"));

    let lines = mb.list("INBOX");
    let uid = lines[1]["uid"].to_string();
    let out = mb
        .mailkit(true, &["fetch", "--stdout", "--uidl", &uid])
        .assert()
        .success();
    let got = out.get_output().stdout.clone();
    assert_eq!(
        got,
        crlf(&msgs[1]),
        "stdout is the message as the server sends it"
    );
    let uidl = lines[0]["uidl"].as_str().unwrap().to_string();
    let out = mb
        .mailkit(false, &["fetch", "--stdout", "--uidl", &uidl])
        .assert()
        .success();
    assert_eq!(out.get_output().stdout, crlf(&msgs[0]));
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn move_to_archive_and_mark_seen() {
    let mb = mailbox();
    let msgs = messages();
    mb.fill(&msgs);
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("in");
    mb.mailkit(false, &["fetch", "--mark-seen", "--move-to", "Archive"])
        .arg("--maildir")
        .arg(&maildir)
        .arg("--state-file")
        .arg(tmp.path().join("state"))
        .assert()
        .success();
    assert_eq!(files_in(&maildir.join("new")), sorted(msgs.clone()));
    assert!(mb.list("INBOX").is_empty());
    let archived = mb.list("Archive");
    assert_eq!(archived.len(), msgs.len());
    assert!(
        archived
            .iter()
            .all(|l| l["flags"].to_string().contains("\\\\Seen")),
        "{archived:?}"
    );
}

impl Mailbox {
    /// Runs `body` in Python's imaplib, logged in as box7 over 993: an independent client,
    /// which spells folder names in modified UTF-7 itself. Returns what it printed.
    fn imaplib(&self, body: &str) -> String {
        let script = format!(
            "import imaplib, ssl\nctx = ssl.create_default_context(cafile={:?})\nM = imaplib.IMAP4_SSL({:?}, {}, ssl_context=ctx)\nM.login({USER:?}, {:?})\n{body}\nM.logout()\n",
            self.bed.var("CA_FILE"),
            self.bed.var("IMAP_HOST"),
            self.bed.var("IMAPS_PORT"),
            self.bed.var("BOX7_PASS"),
        );
        let out = std::process::Command::new("python3")
            .args(["-c", &script])
            .output()
            .expect("python3");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn unicode_folder_names_are_shown_decoded_and_sent_encoded() {
    let mb = mailbox();
    // "Entwürfe" and "日本語" as RFC 3501 §5.1.3 spells them, by the test, not by mailkit.
    mb.imaplib(
        r#"for name in ("Entw&APw-rfe", "&ZeVnLIqe-"):
    M.delete(name)
    assert M.create(name)[0] == "OK", name
msg = b"From: a@hamburger.test\r\nSubject: umlaut folder\r\nMessage-ID: <u7@hamburger.test>\r\n\r\nhallo\r\n"
assert M.append("Entw&APw-rfe", None, None, msg)[0] == "OK""#,
    );
    let out = mb
        .mailkit(false, &["list", "--folders", "--json"])
        .assert()
        .success();
    let lines = json_lines(&out.get_output().stdout);
    let count = |name: &str| {
        lines
            .iter()
            .find(|l| l["folder"] == name)
            .unwrap_or_else(|| panic!("no {name} in {lines:?}"))["messages"]
            .clone()
    };
    assert_eq!(count("Entwürfe"), 1);
    assert_eq!(count("日本語"), 0);
    let out = mb.mailkit(true, &["list", "--folders"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        text.lines().any(|l| l.starts_with("Entwürfe\t1\t")),
        "{text}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("in");
    mb.mailkit(
        false,
        &["fetch", "--folder", "Entwürfe", "--move-to", "日本語"],
    )
    .arg("--maildir")
    .arg(&maildir)
    .arg("--state-file")
    .arg(tmp.path().join("state"))
    .assert()
    .success();
    let saved = files_in(&maildir.join("new"));
    assert_eq!(saved.len(), 1);
    assert!(String::from_utf8_lossy(&saved[0]).contains("umlaut folder"));
    let status = mb.imaplib(
        r#"print(M.status("&ZeVnLIqe-", "(MESSAGES)")[1][0].decode())
print(M.status("Entw&APw-rfe", "(MESSAGES)")[1][0].decode())
for name in ("Entw&APw-rfe", "&ZeVnLIqe-"):
    assert M.delete(name)[0] == "OK", name"#,
    );
    let messages = |name: &str| {
        status
            .lines()
            .find(|l| l.contains(name))
            .and_then(|l| l.rsplit_once("(MESSAGES "))
            .map(|(_, n)| n.trim_end_matches(')').to_string())
    };
    assert_eq!(messages("&ZeVnLIqe-").as_deref(), Some("1"), "{status}");
    assert_eq!(messages("Entw&APw-rfe").as_deref(), Some("0"), "{status}");
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn dele_by_uid_with_dry_run() {
    let mb = mailbox();
    mb.fill(&messages()[..3]);
    let lines = mb.list("INBOX");
    let uid = lines[1]["uid"].to_string();
    let out = mb
        .mailkit(false, &["dele", "--dry-run", "--uid", &uid])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.starts_with(&format!("would delete\t{uid}\t")),
        "{text}"
    );
    assert!(text.contains("1.imap-interop@hamburger.test"), "{text}");
    assert_eq!(mb.list("INBOX").len(), 3);
    let uidl = lines[1]["uidl"].as_str().unwrap().to_string();
    mb.mailkit(true, &["dele", "--yes", "--uidl", &uidl])
        .assert()
        .success();
    let left: Vec<u64> = mb
        .list("INBOX")
        .iter()
        .map(|l| l["uid"].as_u64().unwrap())
        .collect();
    assert_eq!(
        left,
        [
            lines[0]["uid"].as_u64().unwrap(),
            lines[2]["uid"].as_u64().unwrap()
        ]
    );
    mb.mailkit(false, &["dele", "--yes", "--uid", &uid])
        .assert()
        .code(1);
    // A UIDVALIDITY that is not the folder's: refused, nothing deleted.
    mb.mailkit(
        false,
        &["dele", "--yes", "--uidl", &format!("1/{}", lines[0]["uid"])],
    )
    .assert()
    .code(75);
    assert_eq!(mb.list("INBOX").len(), 2);
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn refusals_wrong_password_cleartext_and_untrusted_ca() {
    let mb = mailbox();
    mb.mailkit(false, &["list"])
        .env("MAILKIT_PASSWORD", "wrong")
        .assert()
        .code(77);
    let host = mb.bed.var("IMAP_HOST");
    Command::cargo_bin("mailkit")
        .unwrap()
        .args(["list", "--server", &format!("{host}:143"), "--tls", "none"])
        .args(["--user", USER])
        .env("MAILKIT_PASSWORD", mb.bed.var("BOX7_PASS"))
        .assert()
        .code(77);
    let out = Command::cargo_bin("mailkit")
        .unwrap()
        .args(["list", "--server", &format!("{host}:993"), "--user", USER])
        .env("MAILKIT_PASSWORD", mb.bed.var("BOX7_PASS"))
        .assert()
        .code(77);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("not trusted"), "{err}");
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn verbose_transcript_redacts_the_password() {
    let mb = mailbox();
    for auth in ["user", "plain"] {
        let out = mb
            .mailkit(true, &["list", "-v", "--auth", auth])
            .assert()
            .success();
        let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(err.contains("C: A0001 STARTTLS"), "{err}");
        assert!(err.contains("(redacted)"), "{err}");
        assert!(!err.contains(mb.bed.var("BOX7_PASS")), "{err}");
    }
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn watch_picks_up_a_message_delivered_through_postfix_and_stops_cleanly() {
    let mb = mailbox();
    mb.fill(&messages()[..1]);
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("in");
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("mailkit"));
    cmd.args(["fetch", "--watch", "--maildir"])
        .arg(&maildir)
        .arg("--state-file")
        .arg(tmp.path().join("state"))
        .args([
            "--server",
            &format!("{}:{}", mb.bed.var("IMAP_HOST"), mb.bed.var("IMAPS_PORT")),
        ])
        .args(["--user", USER, "--ca-file", mb.bed.var("CA_FILE")])
        .env("MAILKIT_PASSWORD", mb.bed.var("BOX7_PASS"))
        .env_remove("MAILKIT_ACCOUNTS")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let count = || {
        fs::read_dir(maildir.join("new"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let wait_for = |n: usize| {
        let start = Instant::now();
        while count() < n && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(100));
        }
        count()
    };
    assert_eq!(
        wait_for(1),
        1,
        "the first pass fetched the message already there"
    );
    let sent = std::process::Command::new("swaks")
        .args([
            "--server",
            mb.bed.var("SMTP_HOST"),
            "--from",
            "alice@crepes.test",
        ])
        .args(["--to", "box7@hamburger.test", "--h-Subject", "watched"])
        .output()
        .unwrap();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stdout)
    );
    assert_eq!(
        wait_for(2),
        2,
        "the delivered message arrived while watching"
    );
    let files = files_in(&maildir.join("new"));
    assert!(
        files
            .iter()
            .any(|f| f.windows(17).any(|w| w == b"Subject: watched\n"))
    );
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "--watch did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
    assert_eq!(
        mb.stored("INBOX"),
        2,
        "watching changed nothing on the server"
    );
}
