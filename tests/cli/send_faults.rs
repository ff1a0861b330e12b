//! `mailkit send` against in-process fake SMTP servers on 127.0.0.1:0, for the faults real
//! servers will not produce on demand: split replies, disconnects, 421 at every stage,
//! STARTTLS injection, partial refusals.

use crate::support;

use std::{
    io::Write,
    net::{SocketAddr, TcpListener},
    thread,
    time::Duration,
};

use assert_cmd::Command;
use support::smtp::{Act, Seen, Server, fake, saw, send, standard};

fn with_tls(addr: SocketAddr, tls: &str) -> Command {
    let mut cmd = Command::cargo_bin("mailkit").unwrap();
    cmd.args([
        "send",
        "--server",
        &addr.to_string(),
        "--tls",
        tls,
        "--timeout",
        "10",
    ])
    .args(["--ehlo", "client.test"]);
    cmd
}

fn mailkit(addr: SocketAddr) -> Command {
    with_tls(addr, "none")
}

fn compose(addr: SocketAddr) -> Command {
    let mut cmd = mailkit(addr);
    cmd.args(["--from", "a@client.test", "--to", "b@x.test", "-s", "hi"]);
    cmd
}

fn compose_hello(addr: SocketAddr) -> Command {
    let mut cmd = compose(addr);
    cmd.args(["--body", "hello"]);
    cmd
}

fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn replies_split_across_reads_are_understood() {
    let (addr, seen) = fake("220 fake\r\n", |line| {
        if line.starts_with("EHLO") {
            Act::Send(vec![
                "250-fake\r\n250-PIPE".into(),
                "LINING\r\n250".into(),
                " 8BITMIME\r\n".into(),
            ])
        } else if line.starts_with("MAIL") {
            Act::Send(vec!["25".into(), "0 ok\r\n".into()])
        } else {
            standard(line)
        }
    });
    compose_hello(addr).assert().success().stdout("").stderr("");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.messages.len(), 1);
    assert!(String::from_utf8_lossy(&seen.messages[0]).contains("\r\n\r\nhello\r\n"));
}

#[test]
fn disconnect_while_reading_data_is_deferred() {
    let (addr, _server) = fake("220 fake\r\n", |line| match line {
        "DATA" => Act::CloseAfterDataBytes(10),
        l if l.starts_with("EHLO") => send("250 fake\r\n"),
        _ => standard(line),
    });
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("body.txt");
    std::fs::write(&body, "x".repeat(100).repeat(50_000)).unwrap();
    let out = compose(addr)
        .arg("--json")
        .arg("--body-file")
        .arg(&body)
        .assert()
        .code(75)
        .get_output()
        .clone();
    assert_eq!(
        json_lines(&out.stdout)[0]["recipients"][0]["status"],
        "deferred"
    );
}

#[test]
fn disconnect_after_the_final_dot_is_unknown_never_success() {
    let (addr, seen) = fake("220 fake\r\n", |line| match line {
        "." => Act::Close,
        _ => standard(line),
    });
    let out = compose_hello(addr)
        .arg("--json")
        .assert()
        .code(75)
        .get_output()
        .clone();
    let doc = &json_lines(&out.stdout)[0];
    assert_eq!(doc["status"], "unknown");
    assert_eq!(doc["recipients"][0]["status"], "unknown");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("may have been delivered"), "{stderr}");
    assert_eq!(seen.lock().unwrap().messages.len(), 1);
}

#[test]
fn a_421_at_each_stage_exits_75() {
    for stage in ["greeting", "EHLO", "MAIL", "RCPT", "DATA", "."] {
        let greeting = if stage == "greeting" {
            "421 fake busy\r\n"
        } else {
            "220 fake\r\n"
        };
        let (addr, _server) = fake(greeting, move |line| {
            let verb = line.split([' ', ':']).next().unwrap_or("");
            if verb == stage {
                send("421 4.3.2 shutting down\r\n")
            } else {
                standard(line)
            }
        });
        let out = compose_hello(addr)
            .arg("--json")
            .assert()
            .code(75)
            .get_output()
            .clone();
        let doc = &json_lines(&out.stdout)[0];
        assert_eq!(doc["recipients"][0]["status"], "deferred", "stage {stage}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("421"), "stage {stage}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "stage {stage}: {stderr}");
    }
}

#[test]
fn partial_rejection_delivers_to_the_others_and_exits_69() {
    let (addr, seen) = fake("220 fake\r\n", |line| {
        if line.starts_with("RCPT TO:<nobody@") {
            send("550 5.1.1 no such user\r\n")
        } else {
            standard(line)
        }
    });
    let out = mailkit(addr)
        .args([
            "--from",
            "a@client.test",
            "--to",
            "b@x.test",
            "--to",
            "nobody@x.test",
        ])
        .args(["--cc", "c@x.test", "--body", "hi", "--json"])
        .assert()
        .code(69)
        .get_output()
        .clone();
    let doc = &json_lines(&out.stdout)[0];
    assert_eq!(doc["status"], "partial");
    let statuses: Vec<&str> = doc["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["accepted", "rejected", "accepted"]);
    assert_eq!(doc["recipients"][1]["reply"], "550 5.1.1 no such user");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("nobody@x.test") && stderr.contains("550 5.1.1"),
        "{stderr}"
    );
    assert_eq!(seen.lock().unwrap().messages.len(), 1);
}

#[test]
fn starttls_injection_aborts_without_a_handshake() {
    let (addr, seen) = fake("220 fake\r\n", |line| match line {
        l if l.starts_with("EHLO") => send("250-fake\r\n250 STARTTLS\r\n"),
        "STARTTLS" => send("220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n"),
        _ => standard(line),
    });
    let out = with_tls(addr, "starttls")
        .args(["--from", "a@c.test", "--to", "b@x.test", "--body", "x"])
        .assert()
        .code(76)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("injection"), "{stderr}");
    assert!(seen.lock().unwrap().messages.is_empty());
}

#[test]
fn starttls_required_but_not_offered_is_refused() {
    let (addr, seen) = fake("220 fake\r\n", standard);
    with_tls(addr, "starttls")
        .args(["--from", "a@c.test", "--to", "b@x.test", "--body", "x"])
        .assert()
        .code(77);
    assert!(!saw(&seen, "MAIL"));
}

#[test]
fn auth_is_never_sent_in_cleartext_without_the_flag() {
    let (addr, seen) = fake("220 fake\r\n", |line| {
        if line.starts_with("EHLO") {
            send("250-fake\r\n250 AUTH PLAIN LOGIN\r\n")
        } else if line.starts_with("AUTH") {
            send("235 ok\r\n")
        } else {
            standard(line)
        }
    });
    compose_hello(addr)
        .args(["--user", "alice", "--password-env", "SEND_TEST_PW"])
        .env("SEND_TEST_PW", "hunter2")
        .assert()
        .code(77);
    assert!(!saw(&seen, "AUTH"));

    let out = compose_hello(addr)
        .args([
            "--user",
            "alice",
            "--password-env",
            "SEND_TEST_PW",
            "--allow-cleartext-auth",
            "-v",
        ])
        .env("SEND_TEST_PW", "hunter2")
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("C: AUTH PLAIN (redacted)"), "{stderr}");
    assert!(!stderr.contains("AGFsaWNlAGh1bnRlcjI="), "{stderr}");
    assert!(stderr.contains("S: 250 2.0.0 queued"), "{stderr}");
    assert!(
        seen.lock()
            .unwrap()
            .lines
            .contains(&"AUTH PLAIN AGFsaWNlAGh1bnRlcjI=".to_string())
    );
}

#[test]
fn credentials_without_auth_offered_are_an_error() {
    let (addr, seen) = fake("220 fake\r\n", standard);
    compose_hello(addr)
        .args([
            "--user",
            "alice",
            "--password-env",
            "SEND_TEST_PW",
            "--allow-cleartext-auth",
        ])
        .env("SEND_TEST_PW", "hunter2")
        .assert()
        .code(77);
    assert!(!saw(&seen, "MAIL"));
}

#[test]
fn control_characters_are_refused_before_connecting() {
    // Nothing listens on this port: reaching the network would exit 75, not 65 or 2.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for (flag, value) in [
        ("--to", "b@x.test\r\nRCPT TO:<evil@x.test>"),
        ("--from", "a@c.test\n"),
        ("--cc", "c@x.test>"),
        ("--subject", "hi\r\nBcc: evil@x.test"),
        ("--header", "X-A: v\nInjected: 1"),
    ] {
        let mut cmd = mailkit(closed);
        for (name, default) in [("--from", "a@c.test"), ("--to", "b@x.test")] {
            if name != flag {
                cmd.args([name, default]);
            }
        }
        cmd.args(["--body", "x", flag, value]).assert().code(65);
    }
    Command::cargo_bin("mailkit")
        .unwrap()
        .args(["send", "--server", &closed.to_string(), "--tls", "none"])
        .args([
            "--ehlo",
            "bad\r\nname",
            "--from",
            "a@c.test",
            "--to",
            "b@x.test",
            "--body",
            "x",
        ])
        .assert()
        .code(2);
}

#[test]
fn several_messages_share_one_connection_and_bytes_are_normalised() {
    let (addr, seen) = fake("220 fake\r\n", standard);
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.eml");
    let two = dir.path().join("two.eml");
    std::fs::write(&one, b"From: a@c.test\nTo: b@x.test\nBcc: hidden@x.test\nSubject: 1\n\n.leading dot\nbare\rcr\n8bit \xe9\xff").unwrap();
    std::fs::write(
        &two,
        b"From: a@c.test\r\nTo: Team: b@x.test, \"Doe, J\" <j@x.test>;\r\n\r\nbody\r\n",
    )
    .unwrap();
    mailkit(addr)
        .arg("-t")
        .arg(&one)
        .arg(&two)
        .assert()
        .success()
        .stderr("");
    let seen = seen.lock().unwrap();
    assert_eq!(seen.connections, 1);
    assert_eq!(
        seen.lines.iter().filter(|l| l.starts_with("MAIL")).count(),
        2
    );
    assert_eq!(
        seen.messages[0],
        b"From: a@c.test\r\nTo: b@x.test\r\nSubject: 1\r\n\r\n..leading dot\r\nbare\r\ncr\r\n8bit \xe9\xff\r\n"
    );
    assert_eq!(
        seen.messages[1],
        b"From: a@c.test\r\nTo: Team: b@x.test, \"Doe, J\" <j@x.test>;\r\n\r\nbody\r\n"
    );
    let rcpts: Vec<&String> = seen
        .lines
        .iter()
        .filter(|l| l.starts_with("RCPT"))
        .collect();
    assert_eq!(
        rcpts,
        [
            "RCPT TO:<b@x.test>",
            "RCPT TO:<hidden@x.test>",
            "RCPT TO:<b@x.test>",
            "RCPT TO:<j@x.test>"
        ]
    );
    assert!(
        seen.lines
            .iter()
            .any(|l| l == "MAIL FROM:<a@c.test> SIZE=77 BODY=8BITMIME"),
        "{:?}",
        seen.lines
    );
}

#[test]
fn over_the_size_limit_is_refused_before_mail_from() {
    let (addr, seen) = fake("220 fake\r\n", |line| {
        if line.starts_with("EHLO") {
            send("250-fake\r\n250 SIZE 100\r\n")
        } else {
            standard(line)
        }
    });
    let out = compose(addr)
        .args(["--body", &"y".repeat(500)])
        .assert()
        .code(69)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("SIZE"));
    assert!(!saw(&seen, "MAIL"));
}

#[test]
fn mbox_messages_go_in_one_run() {
    let (addr, seen) = fake("220 fake\r\n", standard);
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("out.mbox");
    std::fs::write(
        &mbox,
        b"From a@c.test Mon Jan  1 00:00:00 2024\nSubject: 1\n\n>From the start\n\nFrom a@c.test Mon Jan  1 00:00:00 2024\nSubject: 2\n\ntwo\n",
    )
    .unwrap();
    let out = mailkit(addr)
        .args(["--from", "a@c.test", "--to", "b@x.test", "--json", "--mbox"])
        .arg(&mbox)
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(json_lines(&out.stdout).len(), 2);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.connections, 1);
    assert_eq!(seen.messages[0], b"Subject: 1\r\n\r\nFrom the start\r\n");
    assert_eq!(seen.messages[1], b"Subject: 2\r\n\r\ntwo\r\n");
}

#[test]
fn an_mbox_is_sent_as_it_is_read() {
    // The mbox is a FIFO whose last message is written only once the server has received the
    // first one: a sender that read the whole mailbox before connecting would wait forever
    // (and the writer gives up after 30 s, failing the test).
    let (addr, seen) = fake("220 fake\r\n", standard);
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("stream.mbox");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let message =
        |n: usize| format!("From a@c.test Mon Jan  1 00:00:00 2024\nSubject: {n}\n\nbody {n}\n\n");
    let count = 1000;
    let (out, sent_first) = thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut file = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let head: String = (1..count).map(message).collect();
            file.write_all(head.as_bytes()).unwrap();
            let sent_first = (0..300).any(|_| {
                thread::sleep(Duration::from_millis(100));
                !seen.lock().unwrap().messages.is_empty()
            });
            file.write_all(message(count).as_bytes()).unwrap();
            sent_first
        });
        let out = mailkit(addr)
            .args(["--from", "a@c.test", "--to", "b@x.test", "--json", "--mbox"])
            .arg(&fifo)
            .assert()
            .success()
            .get_output()
            .clone();
        (out, writer.join().unwrap())
    });
    assert!(
        sent_first,
        "nothing was sent before the last message was read"
    );
    assert_eq!(json_lines(&out.stdout).len(), count);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.connections, 1);
    assert_eq!(seen.messages.len(), count);
    assert_eq!(
        seen.messages[count - 1],
        format!("Subject: {count}\r\n\r\nbody {count}\r\n").into_bytes()
    );
}

#[test]
fn a_bad_message_in_an_mbox_stops_the_run_there() {
    // Messages are checked as they are read: those before the bad one have gone out and are
    // reported; the bad one and those after it are not sent.
    let (addr, seen) = fake("220 fake\r\n", standard);
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("bad.mbox");
    let good: String = (1..=600)
        .map(|n| {
            format!(
                "From a@c.test Mon Jan  1 00:00:00 2024\nFrom: a@c.test\nSubject: {n}\n\nbody\n\n"
            )
        })
        .collect();
    std::fs::write(
        &mbox,
        format!("{good}From x Mon Jan  1 00:00:00 2024\nSubject: no sender\n\nbody\n"),
    )
    .unwrap();
    let out = mailkit(addr)
        .args(["--to", "b@x.test", "--json", "--mbox"])
        .arg(&mbox)
        .assert()
        .code(65)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("message 601") && stderr.contains("no sender"),
        "{stderr}"
    );
    let reported = json_lines(&out.stdout);
    let seen = seen.lock().unwrap();
    assert!(
        !seen.messages.is_empty() && seen.messages.len() < 601,
        "{}",
        seen.messages.len()
    );
    assert_eq!(reported.len(), seen.messages.len());
    assert!(saw_quit(&seen));
}

fn saw_quit(seen: &Seen) -> bool {
    seen.lines.iter().any(|l| l == "QUIT")
}

#[test]
fn an_mbox_option_refuses_a_file_that_is_not_an_mbox() {
    let (addr, seen) = fake("220 fake\r\n", standard);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.eml");
    std::fs::write(
        &path,
        b"Subject: 1\n\nFrom a@c.test is not a separator here\n",
    )
    .unwrap();
    let out = mailkit(addr)
        .args(["--from", "a@c.test", "--to", "b@x.test", "--mbox"])
        .arg(&path)
        .assert()
        .code(65)
        .get_output()
        .clone();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not an mbox"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(seen.lock().unwrap().connections, 0);
    seen.expect_unused();
}

#[test]
fn malformed_greeting_is_a_protocol_error() {
    let (addr, _server) = fake("HTTP/1.1 400 Bad Request\r\n", standard);
    compose_hello(addr).assert().code(76);
}

#[test]
fn a_silent_server_times_out_as_a_temporary_failure() {
    // Greets, then never answers: the per-reply timeout must end the session.
    let (addr, _server) = fake("220 fake\r\n", |_| Act::Send(vec![]));
    let out = Command::cargo_bin("mailkit")
        .unwrap()
        .args([
            "send",
            "--server",
            &addr.to_string(),
            "--tls",
            "none",
            "--timeout",
            "1",
        ])
        .args([
            "--from", "a@c.test", "--to", "b@x.test", "--body", "x", "--json",
        ])
        .assert()
        .code(75)
        .get_output()
        .clone();
    assert_eq!(
        json_lines(&out.stdout)[0]["recipients"][0]["status"],
        "deferred"
    );
    let reply = json_lines(&out.stdout)[0]["recipients"][0]["reply"].clone();
    assert!(
        reply.as_str().unwrap().contains("timed out after 1 s"),
        "{reply}"
    );
}

#[test]
fn a_stalled_tls_handshake_is_a_timeout() {
    // Accepts the connection and never answers the ClientHello.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(conn);
    });
    let out = Command::cargo_bin("mailkit")
        .unwrap()
        .args([
            "send",
            "--server",
            &addr.to_string(),
            "--tls",
            "tls",
            "--timeout",
            "1",
        ])
        .args(["--from", "a@c.test", "--to", "b@x.test", "--body", "x"])
        .assert()
        .code(75)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("TLS handshake with 127.0.0.1 timed out after 1 s"),
        "{stderr}"
    );
    server.join().unwrap();
}

/// A server that offers AUTH PLAIN and accepts any login.
fn auth_fake() -> (SocketAddr, Server) {
    fake("220 fake\r\n", |line| {
        if line.starts_with("EHLO") {
            send("250-fake\r\n250 AUTH PLAIN LOGIN\r\n")
        } else if line.starts_with("AUTH") {
            send("235 ok\r\n")
        } else {
            standard(line)
        }
    })
}

#[test]
fn starttls_required_but_refused_is_a_trust_refusal_as_in_pop3() {
    let (addr, seen) = fake("220 fake\r\n", |line| {
        if line.starts_with("EHLO") {
            send("250-fake\r\n250 STARTTLS\r\n")
        } else if line == "STARTTLS" {
            send("454 4.7.0 TLS not available now\r\n")
        } else {
            standard(line)
        }
    });
    with_tls(addr, "starttls")
        .args(["--from", "a@client.test", "--to", "b@x.test", "--body", "x"])
        .assert()
        .code(77);
    assert!(!saw(&seen, "MAIL"));
}

#[test]
fn the_password_may_come_from_mailkit_password_as_for_pop3() {
    let (addr, seen) = auth_fake();
    compose_hello(addr)
        .args(["--user", "alice", "--allow-cleartext-auth"])
        .env("MAILKIT_PASSWORD", "hunter2")
        .assert()
        .success();
    assert!(saw(&seen, "AUTH PLAIN AGFsaWNlAGh1bnRlcjI="));
}

#[test]
fn an_auth_the_protocol_does_not_know_is_a_configuration_error() {
    let (addr, seen) = auth_fake();
    let dir = tempfile::tempdir().unwrap();
    let accounts = dir.path().join("accounts.toml");
    std::fs::write(
        &accounts,
        format!(
            "[accounts.a]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nuser = \"alice\"\npassword_env = \"SEND_TEST_PW\"\nauth = \"cram-md5\"\n",
            addr.port()
        ),
    )
    .unwrap();
    let out = Command::cargo_bin("mailkit")
        .unwrap()
        .args(["send", "--account", "a", "--allow-cleartext-auth"])
        .args(["--from", "a@client.test", "--to", "b@x.test", "--body", "x"])
        .env("MAILKIT_ACCOUNTS", &accounts)
        .env("SEND_TEST_PW", "hunter2")
        .assert()
        .code(78)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("account auth \"cram-md5\" is not an SMTP mechanism"),
        "{stderr}"
    );
    assert!(!saw(&seen, "EHLO"), "refused before connecting");
    seen.expect_unused();
}

#[test]
fn send_with_nothing_says_what_is_needed() {
    let out = Command::cargo_bin("mailkit")
        .unwrap()
        .arg("send")
        .env("HOME", "/nonexistent")
        .env_remove("MAILKIT_ACCOUNTS")
        .write_stdin("")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--from"), "{stderr}");
    assert!(
        stderr.contains("recipients (--to, --cc or --bcc)"),
        "{stderr}"
    );
}
