//! The outgoing queue against the test bed's real Postfix (tests/testbed/README.md): the
//! relay is away (a loopback forwarder this test switches off and on in front of Postfix's
//! submission port), `send --queue-on-failure` keeps the messages, and once the relay is back
//! `queue run` delivers each exactly once (read back from the Maildir), with STARTTLS and
//! AUTH, the password read again from its file at delivery time. A refused recipient gets
//! its sender a delivery status notification through the same route.

mod common;

use std::{
    fs,
    io::{self, Read, Write},
    net::{Shutdown, SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::Duration,
};

use assert_cmd::Command;
use common::TestBed;
use serde_json::Value;

fn token(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

/// A TCP forwarder on a fixed loopback port: on, it passes connections to `target`; off,
/// nothing listens there (connection refused), like a relay being restarted.
struct Forwarder {
    addr: SocketAddr,
    target: SocketAddr,
    stop: Option<Arc<AtomicBool>>,
}

impl Forwarder {
    fn new(target: SocketAddr) -> Forwarder {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = probe.local_addr().unwrap();
        drop(probe);
        Forwarder {
            addr,
            target,
            stop: None,
        }
    }

    fn on(&mut self) {
        let listener = TcpListener::bind(self.addr).unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, target) = (stop.clone(), self.target);
        thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let server = TcpStream::connect(target).unwrap();
                        pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                        pipe(server, client);
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(10));
                    }
                    Err(err) => panic!("forwarder: {err}"),
                }
            }
        });
        self.stop = Some(stop);
    }

    fn off(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.store(true, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.off();
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    thread::spawn(move || {
        let mut buf = [0u8; 16384];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// Waits (up to `tries` tenths of a second) for Postfix to deliver `want` messages holding
/// `token` into `maildir`; returns those found.
fn delivered(maildir: &Path, token: &str, want: usize, tries: usize) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    for _ in 0..tries {
        found.clear();
        for sub in ["new", "cur"] {
            for entry in fs::read_dir(maildir.join(sub))
                .into_iter()
                .flatten()
                .flatten()
            {
                if let Ok(bytes) = fs::read(entry.path())
                    && bytes.windows(token.len()).any(|w| w == token.as_bytes())
                {
                    found.push(bytes);
                }
            }
        }
        if found.len() >= want {
            break;
        }
        thread::sleep(Duration::from_millis(100));
    }
    found
}

struct Setup {
    bed: TestBed,
    queue: PathBuf,
    password: PathBuf,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let bed = TestBed::get();
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("password");
    fs::write(&password, format!("{}\n", bed.var("ALICE_PASS"))).unwrap();
    Setup {
        bed,
        queue: dir.path().join("queue"),
        password,
        _dir: dir,
    }
}

fn mailkit(setup: &Setup) -> Command {
    let mut cmd = Command::cargo_bin("mailkit").unwrap();
    cmd.env("MAILKIT_QUEUE", &setup.queue);
    cmd
}

/// `send --queue-on-failure` via the forwarder: submission with STARTTLS and AUTH as alice.
fn send(setup: &Setup, forwarder: &Forwarder, to: &[&str], token: &str) -> String {
    let mut cmd = mailkit(setup);
    cmd.args([
        "send",
        "--queue-on-failure",
        "--tls",
        "starttls",
        "--timeout",
        "10",
    ])
    .args([
        "--server",
        &forwarder.addr.to_string(),
        "--ehlo",
        "client.crepes.test",
    ])
    .arg("--ca-file")
    .arg(setup.bed.path("CA_FILE"))
    .args(["--user", "alice", "--password-file"])
    .arg(&setup.password)
    .args([
        "--from",
        "alice@crepes.test",
        "-s",
        &format!("queued {token}"),
    ])
    .args(["--body", &format!("body of {token}")]);
    for rcpt in to {
        cmd.args(["--to", rcpt]);
    }
    let out = cmd.assert().success();
    String::from_utf8_lossy(&out.get_output().stderr).into_owned()
}

fn list(setup: &Setup) -> Vec<Value> {
    let out = mailkit(setup)
        .args(["queue", "list", "--json"])
        .assert()
        .success();
    String::from_utf8_lossy(&out.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn queue_run(setup: &Setup) -> String {
    let out = mailkit(setup)
        .args(["queue", "run", "--retry-first", "1s", "--retry-max", "1s"])
        .assert()
        .success();
    String::from_utf8_lossy(&out.get_output().stdout).into_owned()
}

fn submission(bed: &TestBed) -> SocketAddr {
    format!("{}:{}", bed.var("SMTP_HOST"), bed.var("SUBMISSION_PORT"))
        .parse()
        .unwrap()
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn messages_queued_while_the_relay_is_away_are_delivered_once_when_it_is_back() {
    let setup = setup();
    let mut relay = Forwarder::new(submission(&setup.bed));
    let tokens: Vec<String> = (0..3).map(|i| token(&format!("away{i}"))).collect();
    for t in &tokens {
        let note = send(&setup, &relay, &["box8@hamburger.test"], t);
        assert!(note.contains("queued as"), "{note}");
    }
    let entries = list(&setup);
    assert_eq!(entries.len(), 3);
    for e in &entries {
        assert_eq!(e["state"], "deferred");
        let reply = e["recipients"][0]["reply"].as_str().unwrap();
        assert!(reply.contains("refused"), "{reply}");
    }
    // Still away: the run defers again, sending nothing.
    thread::sleep(Duration::from_millis(1100));
    let out = queue_run(&setup);
    assert_eq!(out.matches("deferred").count(), 3, "{out}");

    relay.on();
    thread::sleep(Duration::from_millis(1100));
    let out = queue_run(&setup);
    assert_eq!(out.matches("delivered").count(), 3, "{out}");
    assert!(list(&setup).is_empty());
    let out = queue_run(&setup);
    assert!(out.is_empty(), "{out}");

    let maildir = setup.bed.path("MAILDIR_BOX8");
    for t in &tokens {
        let copies = delivered(&maildir, t, 1, 200);
        assert_eq!(copies.len(), 1, "{t}: {} copies", copies.len());
        let text = String::from_utf8_lossy(&copies[0]);
        assert!(text.contains(&format!("Subject: queued {t}")), "{text}");
        assert!(text.contains(&format!("body of {t}")), "{text}");
    }
    // Nothing more arrives later either.
    thread::sleep(Duration::from_secs(1));
    for t in &tokens {
        assert_eq!(delivered(&maildir, t, 2, 1).len(), 1, "{t}");
    }
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn a_refused_recipient_bounces_to_the_sender_through_the_same_route() {
    let setup = setup();
    let mut relay = Forwarder::new(submission(&setup.bed));
    let t = token("bounce");
    let note = send(
        &setup,
        &relay,
        &["box8@hamburger.test", "nosuchuser@hamburger.test"],
        &t,
    );
    assert!(note.contains("queued as"), "{note}");
    relay.on();
    thread::sleep(Duration::from_millis(1100));
    let out = queue_run(&setup);
    assert!(
        out.contains("failed") && out.contains("notification queued as"),
        "{out}"
    );
    let entries = list(&setup);
    let original = entries
        .iter()
        .find(|e| e["sender"] == "alice@crepes.test")
        .unwrap();
    let recipients = original["recipients"].as_array().unwrap();
    assert_eq!(recipients[0]["status"], "accepted");
    assert_eq!(recipients[1]["status"], "rejected");
    assert!(
        recipients[1]["reply"]
            .as_str()
            .unwrap()
            .starts_with("550 5.1.1")
    );

    // The notification leaves with the next run, from the null sender, to alice.
    let out = queue_run(&setup);
    assert!(out.contains("delivered"), "{out}");
    assert_eq!(
        delivered(&setup.bed.path("MAILDIR_BOX8"), &t, 1, 200).len(),
        1
    );
    let subject = format!("Subject: queued {t}");
    let bounces = delivered(&setup.bed.path("MAILDIR_ALICE"), &subject, 1, 200);
    assert_eq!(bounces.len(), 1);
    let text = String::from_utf8_lossy(&bounces[0]);
    assert!(text.contains("Return-Path: <>"), "{text}");
    assert!(text.contains("multipart/report"), "{text}");
    assert!(
        text.contains("Final-Recipient: rfc822; nosuchuser@hamburger.test"),
        "{text}"
    );
    assert!(text.contains("Status: 5.1.1"), "{text}");
    assert!(
        !text.contains(&format!("body of {t}")),
        "only the header is returned"
    );
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn direct_mx_routes_are_looked_up_at_delivery_and_a_relay_that_does_not_resolve_defers() {
    let setup = setup();
    let t = token("direct");
    let queued = mailkit(&setup)
        .args([
            "send",
            "--queue",
            "--ehlo",
            "client.crepes.test",
            "--timeout",
            "10",
        ])
        .arg("--ca-file")
        .arg(setup.bed.path("CA_FILE"))
        .args(["--from", "alice@crepes.test", "--to", "box8@hamburger.test"])
        .args([
            "-s",
            &format!("queued {t}"),
            "--body",
            &format!("body of {t}"),
        ])
        .assert()
        .success();
    let id = String::from_utf8_lossy(&queued.get_output().stdout)
        .trim()
        .to_string();
    let entries = list(&setup);
    assert_eq!(entries[0]["route"], "MX of each domain, port 25");
    let out = queue_run(&setup);
    assert!(out.contains(&format!("delivered {id}")), "{out}");
    assert_eq!(
        delivered(&setup.bed.path("MAILDIR_BOX8"), &t, 1, 200).len(),
        1
    );

    // A relay name that does not resolve is a reason to wait, not to bounce.
    let queued = mailkit(&setup)
        .args([
            "send",
            "--queue",
            "--server",
            "nosuch.hamburger.test",
            "--tls",
            "none",
        ])
        .args([
            "--from",
            "alice@crepes.test",
            "--to",
            "box8@hamburger.test",
            "--body",
            "x",
        ])
        .assert()
        .success();
    let id = String::from_utf8_lossy(&queued.get_output().stdout)
        .trim()
        .to_string();
    let out = queue_run(&setup);
    assert!(out.contains(&format!("deferred {id}")), "{out}");
    assert!(
        out.contains("looking up the relay nosuch.hamburger.test"),
        "{out}"
    );
    assert_eq!(list(&setup)[0]["recipients"][0]["status"], "pending");
}
