//! `mailkit send` against the real Postfix of the test bed (see tests/testbed/README.md): MX
//! delivery found through the bed's DNS, submission on 587 (STARTTLS + AUTH) and 465 (implicit
//! TLS + AUTH), the delivered Maildir file read back byte for byte. Run inside the bed with
//! tests/run.sh. These tests deliver only to carol@ and alice@ (the mailboxes send owns).

mod common;

use std::{
    fs,
    path::{Path, PathBuf},
    thread,
    time::Duration,
};

use assert_cmd::Command;
use common::TestBed;

/// A token unique to this run and test, put in each message so the test finds its own.
fn token(name: &str) -> String {
    format!(
        "{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

fn mailkit(bed: &TestBed) -> Command {
    let mut cmd = Command::cargo_bin("mailkit").unwrap();
    cmd.arg("send")
        .arg("--ca-file")
        .arg(bed.path("CA_FILE"))
        .args(["--ehlo", "client.crepes.test", "--timeout", "20"]);
    cmd
}

/// Direct MX delivery from the crepes.test sender to one recipient.
fn from_crepes(bed: &TestBed, to: &str) -> Command {
    let mut cmd = mailkit(bed);
    cmd.args(["--from", "alice@crepes.test", "--to", to]);
    cmd
}

/// Waits for Postfix to deliver the message holding `token` into `maildir` and returns it;
/// delivery is asynchronous, so this polls (bounded) rather than timing anything.
fn delivered(maildir: &Path, token: &str) -> Vec<u8> {
    for _ in 0..200 {
        for sub in ["new", "cur"] {
            let Ok(entries) = fs::read_dir(maildir.join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                if let Ok(bytes) = fs::read(entry.path())
                    && bytes.windows(token.len()).any(|w| w == token.as_bytes())
                {
                    return bytes;
                }
            }
        }
        thread::sleep(Duration::from_millis(100));
    }
    panic!("no message with {token} in {}", maildir.display());
}

/// Postfix prepends Return-Path, X-Original-To, Delivered-To and Received (with continuation lines) and
/// stores LF line endings; everything after those must be exactly what was sent.
fn strip_trace_headers(stored: &[u8]) -> &[u8] {
    let mut at = 0;
    let mut in_trace = false;
    while at < stored.len() {
        let end = stored[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(stored.len(), |p| at + p + 1);
        let line = &stored[at..end];
        let trace = [
            "Return-Path:",
            "X-Original-To:",
            "Delivered-To:",
            "Received:",
        ]
        .iter()
        .any(|h| line.starts_with(h.as_bytes()));
        let continuation = in_trace && matches!(line.first(), Some(b' ' | b'\t'));
        if !(trace || continuation) {
            break;
        }
        in_trace = true;
        at = end;
    }
    &stored[at..]
}

fn lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            continue;
        }
        out.push(b);
    }
    out
}

fn json(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write_temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, bytes).unwrap();
    path
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn direct_mx_delivery_keeps_every_byte_and_strips_bcc() {
    let bed = TestBed::get();
    let tok = token("direct");
    let mut raw = format!(
        "From: Alice <alice@crepes.test>\r\nTo: Carol <carol@hamburger.test>\r\nBcc: alice@hamburger.test\r\nSubject: {tok}\r\nDate: Mon, 23 Nov 2026 01:00:00 +0000\r\nMessage-ID: <{tok}@crepes.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nbare LF line\nlatin-1: caf"
    )
    .into_bytes();
    raw.extend_from_slice(b"\xe9\r\nno final newline");
    let dir = tempfile::tempdir().unwrap();
    let file = write_temp(&dir, "m.eml", &raw);
    let out = mailkit(&bed)
        .args(["-t", "--json"])
        .arg(&file)
        .assert()
        .success()
        .get_output()
        .clone();
    let doc = &json(&out.stdout)[0];
    assert_eq!(doc["status"], "accepted");
    assert_eq!(doc["message_id"], format!("{tok}@crepes.test"));
    assert_eq!(doc["recipients"][0]["host"], "mx1.hamburger.test");

    let stored = delivered(&bed.path("MAILDIR_CAROL"), &tok);
    let mut want = without_bcc_line(&lf(&raw));
    want.push(b'\n');
    assert_eq!(
        String::from_utf8_lossy(strip_trace_headers(&stored)),
        String::from_utf8_lossy(&want)
    );
    assert_eq!(strip_trace_headers(&stored), &want[..]);
    // The Bcc recipient got it too, without seeing the header.
    let bcc_copy = delivered(&bed.path("MAILDIR_ALICE"), &tok);
    assert!(!String::from_utf8_lossy(&bcc_copy).contains("Bcc:"));
}

/// The message with its (one-line) Bcc field removed, as `-t` sends it.
fn without_bcc_line(text: &[u8]) -> Vec<u8> {
    let start = text
        .windows(5)
        .position(|w| w == b"Bcc: ")
        .expect("test message has a Bcc");
    let end = start + text[start..].iter().position(|&b| b == b'\n').unwrap() + 1;
    [&text[..start], &text[end..]].concat()
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn relay_587_starttls_auth_with_attachment_and_redacted_transcript() {
    let bed = TestBed::get();
    let tok = token("submission");
    let dir = tempfile::tempdir().unwrap();
    let attachment: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let file = write_temp(&dir, "data.bin", &attachment);
    let out = mailkit(&bed)
        .args(["--server", "mail.hamburger.test:587", "--user", "alice"])
        .args(["--password-env", "SEND_INTEROP_PW", "-v"])
        .env("SEND_INTEROP_PW", bed.var("ALICE_PASS"))
        .args([
            "--from",
            "Alice Crêpe <alice@crepes.test>",
            "--to",
            "alice@hamburger.test",
        ])
        .args([
            "--subject",
            &format!("Grüße {tok}"),
            "--body",
            &format!("{tok}\n.dot\n"),
        ])
        .arg("--attach")
        .arg(&file)
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("C: STARTTLS"), "{stderr}");
    assert!(
        stderr.contains("[tls] C: AUTH PLAIN (redacted)"),
        "{stderr}"
    );
    assert!(!stderr.contains(bed.var("ALICE_PASS")), "{stderr}");
    let stored = delivered(&bed.path("MAILDIR_ALICE"), &tok);
    let text = String::from_utf8_lossy(&stored);
    assert!(text.contains("Subject: =?utf-8?"), "{text}");
    assert!(text.contains("filename=\"data.bin\""), "{text}");
    assert!(
        text.contains("Content-Type: application/octet-stream"),
        "{text}"
    );
    assert!(text.contains(&format!("\n{tok}\n.dot\n")), "{text}");
    let b64 = base64_lines(&attachment);
    assert!(
        lf(&stored).windows(b64.len()).any(|w| w == b64.as_bytes()),
        "attachment not intact"
    );
}

/// The base64 body as mail-builder folds it (76 columns), for finding the attachment intact.
fn base64_lines(data: &[u8]) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn relay_465_implicit_tls_from_an_account() {
    let bed = TestBed::get();
    let tok = token("smtps");
    let dir = tempfile::tempdir().unwrap();
    let accounts = write_temp(
        &dir,
        "accounts.toml",
        format!(
            "[accounts.bed]\nhost = \"mail.hamburger.test\"\nport = 465\ntls = \"tls\"\nuser = \"alice\"\npassword_env = \"SEND_INTEROP_PW\"\nca_file = \"{}\"\nfrom = \"alice@crepes.test\"\n",
            bed.var("CA_FILE")
        )
        .as_bytes(),
    );
    Command::cargo_bin("mailkit")
        .unwrap()
        .args(["send", "--account", "bed", "--to", "carol@hamburger.test"])
        .args(["--subject", &tok, "--body", "over 465"])
        .env("MAILKIT_ACCOUNTS", &accounts)
        .env("SEND_INTEROP_PW", bed.var("ALICE_PASS"))
        .assert()
        .success()
        .stdout("")
        .stderr("");
    let stored = delivered(&bed.path("MAILDIR_CAROL"), &tok);
    assert!(String::from_utf8_lossy(&stored).contains("over 465"));
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn unknown_user_is_reported_and_the_others_still_get_it() {
    let bed = TestBed::get();
    let tok = token("partial");
    let out = from_crepes(&bed, "nobody-here@hamburger.test")
        .args([
            "--to",
            "carol@hamburger.test",
            "--subject",
            &tok,
            "--body",
            "x",
            "--json",
        ])
        .assert()
        .code(69)
        .get_output()
        .clone();
    let doc = &json(&out.stdout)[0];
    assert_eq!(doc["status"], "partial");
    assert_eq!(doc["recipients"][0]["status"], "rejected");
    assert!(
        doc["recipients"][0]["reply"]
            .as_str()
            .unwrap()
            .starts_with("550 5.1.1")
    );
    assert_eq!(doc["recipients"][1]["status"], "accepted");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("nobody-here@hamburger.test") && stderr.contains("550"),
        "{stderr}"
    );
    delivered(&bed.path("MAILDIR_CAROL"), &tok);
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn null_mx_and_nonexistent_domains_fail_without_connecting() {
    let bed = TestBed::get();
    let out = from_crepes(&bed, "x@nullmx.hamburger.test")
        .args(["-v", "--body", "x", "--json"])
        .assert()
        .code(69)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("null MX"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("connecting"));
    assert_eq!(json(&out.stdout)[0]["recipients"][0]["status"], "rejected");
    from_crepes(&bed, "x@nosuch.hamburger.test")
        .args(["--body", "x"])
        .assert()
        .code(68);
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn a_dead_first_mx_falls_back_to_the_second() {
    let bed = TestBed::get();
    // fallback.hamburger.test: MX 10 dead (refuses), MX 20 mx1. Postfix does not take mail
    // for that domain, so the proof is who answered: mx1, after dead refused.
    let out = from_crepes(&bed, "carol@fallback.hamburger.test")
        .args(["-v", "--body", "x", "--json"])
        .assert()
        .code(69)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("connecting to dead.hamburger.test"),
        "{stderr}"
    );
    assert!(
        stderr.contains("connecting to mx1.hamburger.test"),
        "{stderr}"
    );
    let rcpt = &json(&out.stdout)[0]["recipients"][0];
    assert_eq!(rcpt["host"], "mx1.hamburger.test");
    assert!(rcpt["reply"].as_str().unwrap().starts_with("554"), "{rcpt}");
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn wrong_password_exits_77() {
    let bed = TestBed::get();
    mailkit(&bed)
        .args(["--server", "mail.hamburger.test:465", "--user", "alice"])
        .args(["--password-env", "SEND_INTEROP_PW"])
        .env("SEND_INTEROP_PW", "not-the-password")
        .args([
            "--from",
            "alice@crepes.test",
            "--to",
            "carol@hamburger.test",
            "--body",
            "x",
        ])
        .assert()
        .code(77);
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn an_untrusted_certificate_exits_77() {
    let bed = TestBed::get();
    let out = Command::cargo_bin("mailkit")
        .unwrap()
        .args([
            "send",
            "--server",
            "mail.hamburger.test:465",
            "--user",
            "alice",
        ])
        .args(["--password-env", "SEND_INTEROP_PW"])
        .env("SEND_INTEROP_PW", bed.var("ALICE_PASS"))
        .args([
            "--from",
            "alice@crepes.test",
            "--to",
            "carol@hamburger.test",
            "--body",
            "x",
        ])
        .assert()
        .code(77)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("not trusted"));
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn several_messages_to_two_domains_use_one_connection_each() {
    let bed = TestBed::get();
    let tok = token("batch");
    let dir = tempfile::tempdir().unwrap();
    let one = write_temp(
        &dir,
        "1.eml",
        format!("From: alice@crepes.test\nTo: carol@hamburger.test, alice@crepes.test\nSubject: {tok}-1\n\none\n").as_bytes(),
    );
    let two = write_temp(
        &dir,
        "2.eml",
        format!("From: alice@crepes.test\nTo: carol@hamburger.test\nSubject: {tok}-2\n\ntwo\n")
            .as_bytes(),
    );
    let out = mailkit(&bed)
        .args(["-t", "-v"])
        .arg(&one)
        .arg(&two)
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // hamburger.test and crepes.test both go to mx1: one connection per destination domain.
    assert_eq!(stderr.matches("* connecting to").count(), 2, "{stderr}");
    assert_eq!(stderr.matches("C: MAIL FROM").count(), 3, "{stderr}");
    delivered(&bed.path("MAILDIR_CAROL"), &format!("{tok}-1"));
    delivered(&bed.path("MAILDIR_CAROL"), &format!("{tok}-2"));
    delivered(&bed.path("MAILDIR_ALICE"), &format!("{tok}-1"));
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn dsn_and_8bitmime_parameters_reach_postfix() {
    let bed = TestBed::get();
    let tok = token("dsn");
    let dir = tempfile::tempdir().unwrap();
    let mut raw = format!("From: alice@crepes.test\nTo: carol@hamburger.test\nSubject: {tok}\n\n")
        .into_bytes();
    raw.extend_from_slice(b"8-bit body: \xc3\xa9t\xc3\xa9\n");
    let file = write_temp(&dir, "dsn.eml", &raw);
    let out = mailkit(&bed)
        .args(["-t", "-v", "--notify", "FAILURE,DELAY", "--ret", "hdrs"])
        .args(["--envid", &tok])
        .arg(&file)
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("BODY=8BITMIME RET=HDRS ENVID={tok}")),
        "{stderr}"
    );
    assert!(
        stderr.contains("RCPT TO:<carol@hamburger.test> NOTIFY=FAILURE,DELAY"),
        "{stderr}"
    );
    let stored = delivered(&bed.path("MAILDIR_CAROL"), &tok);
    assert!(stored.ends_with(b"8-bit body: \xc3\xa9t\xc3\xa9\n"));
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn an_mbox_goes_to_smtp_sink_pipelined_on_one_connection() {
    let bed = TestBed::get();
    let tok = token("sink");
    let dir = tempfile::tempdir().unwrap();
    let mbox: String = (0..20)
        .map(|i| {
            format!(
                "From a@crepes.test Mon Jan  1 00:00:00 2024\nFrom: a@crepes.test\nSubject: {tok}-{i}\n\n.line {i}\n\n"
            )
        })
        .collect();
    let path = write_temp(&dir, "out.mbox", mbox.as_bytes());
    let out = Command::cargo_bin("mailkit")
        .unwrap()
        .args([
            "send",
            "--server",
            &format!("{}:25", bed.var("SMTP_SINK")),
            "--tls",
            "none",
        ])
        .args([
            "--from",
            "a@crepes.test",
            "--to",
            "anyone@sink.test",
            "--json",
            "-v",
            "--mbox",
        ])
        .arg(&path)
        .assert()
        .success()
        .get_output()
        .clone();
    let docs = json(&out.stdout);
    assert_eq!(docs.len(), 20);
    assert!(docs.iter().all(|d| d["status"] == "accepted"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("* connecting to").count(), 1, "{stderr}");
    // smtp-sink writes one file per transaction; find ours and check the dot-stuffed line
    // arrived unstuffed.
    let sink = bed.path("SINK_DIR");
    let mut found = 0;
    for _ in 0..100 {
        found = fs::read_dir(&sink)
            .unwrap()
            .flatten()
            .filter_map(|e| fs::read(e.path()).ok())
            .filter(|b| String::from_utf8_lossy(b).contains(&format!("Subject: {tok}-")))
            .inspect(|b| {
                assert!(
                    String::from_utf8_lossy(b).contains("\n.line "),
                    "{}",
                    String::from_utf8_lossy(b)
                )
            })
            .count();
        if found == 20 {
            break;
        }
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(found, 20);
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn a_non_ascii_sender_goes_with_smtputf8() {
    let bed = TestBed::get();
    let tok = token("utf8");
    let out = mailkit(&bed)
        .args([
            "--from",
            "Jörg <jörg@crepes.test>",
            "--to",
            "carol@hamburger.test",
        ])
        .args(["--subject", &tok, "--body", "grüß dich", "-v"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("C: MAIL FROM:<jörg@crepes.test>") && stderr.contains(" SMTPUTF8"),
        "{stderr}"
    );
    let stored = delivered(&bed.path("MAILDIR_CAROL"), &tok);
    assert!(String::from_utf8_lossy(&stored).contains("jörg@crepes.test"));
}
