//! `mailkit serve` against real clients (swaks, msmtp, curl, mpop, fetchmail, Python's poplib
//! and imaplib, headless Chromium) and against mailkit's own send/fetch/list/dele. Each test
//! starts its own server on free loopback ports with its own data directory, so tests run in
//! parallel. The clients come from tests/packages.sh; run these with
//! `tests/run.sh --test serve_interop`.

mod common;

use std::{
    fs,
    io::{BufRead, BufReader, Write},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command as Process, Stdio},
};

use assert_cmd::Command;
use common::TestBed;

const BIN: &str = env!("CARGO_BIN_EXE_mailkit");

/// A `mailkit serve` child with what it printed at start-up.
struct Server {
    child: Child,
    listening: Vec<(String, SocketAddr)>,
    data: PathBuf,
    cert: PathBuf,
    dir: tempfile::TempDir,
}

impl Server {
    /// Starts a server with a users file (bob@x.test:pw, carol@x.test:pw) on free ports.
    fn start(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("users"), "bob@x.test:pw\ncarol@x.test:pw\n").unwrap();
        let data = dir.path().join("data");
        Server::start_in(dir, &data, true, extra)
    }

    /// Starts a server without a users file: any password opens any mailbox.
    fn sandbox(extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        Server::start_in(dir, &data, false, extra)
    }

    fn start_in(dir: tempfile::TempDir, data: &Path, users: bool, extra: &[&str]) -> Server {
        let mut args: Vec<String> = ["serve", "--smtp", "127.0.0.1:0", "--pop3", "127.0.0.1:0"]
            .map(String::from)
            .to_vec();
        args.extend(["--imap", "127.0.0.1:0", "--http", "127.0.0.1:0"].map(String::from));
        args.extend(["--data".into(), data.display().to_string()]);
        if users {
            args.extend([
                "--users".into(),
                dir.path().join("users").display().to_string(),
            ]);
        }
        args.extend(extra.iter().map(|a| a.to_string()));
        let mut child = Process::new(BIN)
            .args(&args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut listening = Vec::new();
        let mut cert = PathBuf::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let (key, value) = line.split_once(char::is_whitespace).unwrap();
            match key {
                "cert" => {
                    cert = PathBuf::from(value.trim());
                    break;
                }
                "data" => {}
                _ => listening.push((key.to_string(), value.trim().parse().unwrap())),
            }
        }
        assert!(cert.exists(), "the server printed no certificate path");
        Server {
            child,
            listening,
            data: data.to_path_buf(),
            cert,
            dir,
        }
    }

    fn addr(&self, protocol: &str) -> SocketAddr {
        self.listening
            .iter()
            .find(|(p, _)| p == protocol)
            .unwrap()
            .1
    }

    fn port(&self, protocol: &str) -> String {
        self.addr(protocol).port().to_string()
    }

    /// The messages stored for `address`, as bytes, in UID order.
    fn stored(&self, address: &str) -> Vec<Vec<u8>> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(read) = fs::read_dir(self.data.join("mail").join(address).join(sub)) else {
                continue;
            };
            files.extend(read.map(|e| e.unwrap().path()));
        }
        files.sort();
        files.iter().map(|p| fs::read(p).unwrap()).collect()
    }

    fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        fs::write(&path, content).unwrap();
        path
    }

    /// `mailkit` with the trust and login flags for this server's POP3.
    fn mailkit_pop3(&self, command: &str, user: &str) -> Command {
        self.mailkit_reader(command, user, "pop3")
    }

    /// `mailkit` with the trust and login flags for this server's POP3 or IMAP listener.
    fn mailkit_reader(&self, command: &str, user: &str, listener: &str) -> Command {
        let password = self.file("password", "pw\n");
        let mut cmd = Command::new(BIN);
        let server = self.addr(listener).to_string();
        cmd.args([
            command,
            "--server",
            &server,
            "--tls",
            "starttls",
            "--protocol",
            listener,
        ]);
        cmd.args(["--ca-file", self.cert.to_str().unwrap(), "--user", user]);
        cmd.args(["--password-file", password.to_str().unwrap()]);
        cmd
    }

    /// `mailkit send` to this server's SMTP with STARTTLS.
    fn mailkit_send(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args([
            "send",
            "--server",
            &self.addr("smtp").to_string(),
            "--tls",
            "starttls",
        ]);
        cmd.args([
            "--ca-file",
            self.cert.to_str().unwrap(),
            "--from",
            "alice@crepes.test",
        ]);
        cmd
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The real clients are installed by tests/run.sh, which runs the ignored tests; run alone,
/// such a test says so instead of failing on a missing program.
fn clients() {
    TestBed::get();
}

fn run(program: &str, args: &[&str], stdin: &[u8]) -> (bool, String) {
    let mut child = Process::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("running {program}: {err}"));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn demo_shows_the_smtp_dialogue_and_the_fetched_message() {
    let out = Command::new(BIN)
        .args(["serve", "--demo"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    for line in [
        "S: 220 hamburger.test ESMTP mailkit",
        "C: EHLO crepes.test",
        "C: STARTTLS",
        "[tls] C: MAIL FROM:<alice@crepes.test>",
        "[tls] C: RCPT TO:<bob@hamburger.test>",
        "[tls] S: 354 ",
        "[tls] S: 250 2.0.0 Ok: queued as 1",
        "[tls] S: 221 2.0.0 hamburger.test closing connection",
        "S: +OK bob@hamburger.test has 1 messages",
        "C: RETR 1",
    ] {
        assert!(
            stderr.contains(line),
            "no {line:?} in the transcript:\n{stderr}"
        );
    }
    assert!(stderr.contains("C: (redacted)"), "{stderr}");
    for line in [
        "$ mailkit -v send --server 127.0.0.1:",
        "$ mailkit -v fetch --server 127.0.0.1:",
        "Received: from crepes.test (127.0.0.1)",
        "by hamburger.test (mailkit) with ESMTPS",
        "Subject: Do you like ketchup?",
        "How about pickles?",
    ] {
        assert!(stdout.contains(line), "no {line:?} in stdout:\n{stdout}");
    }
}

#[test]
fn sandbox_refuses_a_non_loopback_address() {
    let out = Command::new(BIN)
        .args([
            "serve",
            "--ephemeral",
            "--smtp",
            "0.0.0.0:0",
            "--pop3",
            "off",
            "--imap",
            "off",
            "--http",
            "off",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0 without --users"),
        "{stderr}"
    );
}

#[test]
#[ignore = "needs the real clients of tests/packages.sh: run tests/run.sh"]
fn swaks_sends_plain_starttls_and_auth() {
    clients();
    let server = Server::start(&[]);
    let port = server.port("smtp");
    let cert = server.cert.to_str().unwrap();
    let base = [
        "--server",
        "127.0.0.1",
        "--port",
        &port,
        "--from",
        "alice@crepes.test",
    ];
    let (ok, out) = run(
        "swaks",
        &[
            &base[..],
            &["--to", "bob@x.test", "--header", "Subject: plain"],
        ]
        .concat(),
        b"",
    );
    assert!(
        ok && out.contains("<~  250 2.0.0 Ok: queued as 1")
            || out.contains("<-  250 2.0.0 Ok: queued as 1"),
        "{out}"
    );
    let tls = ["--tls", "--tls-verify", "--tls-ca-path", cert];
    let auth = [
        "--auth",
        "PLAIN",
        "--auth-user",
        "bob@x.test",
        "--auth-password",
        "pw",
    ];
    let (ok, out) = run(
        "swaks",
        &[
            &base[..],
            &tls,
            &auth,
            &[
                "--to",
                "bob@x.test,carol@x.test",
                "--header",
                "Subject: tls",
            ],
        ]
        .concat(),
        b"",
    );
    assert!(ok, "{out}");
    assert!(out.contains("<~  235 2.7.0"), "{out}");
    let bad = [
        "--auth",
        "LOGIN",
        "--auth-user",
        "bob@x.test",
        "--auth-password",
        "wrong",
    ];
    let (ok, out) = run(
        "swaks",
        &[&base[..], &tls, &bad, &["--to", "bob@x.test"]].concat(),
        b"",
    );
    assert!(!ok && out.contains("535 5.7.8"), "{out}");
    let bob = server.stored("bob@x.test");
    assert_eq!(bob.len(), 2);
    assert!(contains(&bob[0], "with ESMTP\r\n") && contains(&bob[0], "Subject: plain"));
    assert!(contains(&bob[1], "with ESMTPSA;") && contains(&bob[1], "Subject: tls"));
    assert_eq!(server.stored("carol@x.test").len(), 1);
}

#[test]
#[ignore = "needs the real clients of tests/packages.sh: run tests/run.sh"]
fn msmtp_and_curl_send_with_starttls_and_auth() {
    clients();
    let server = Server::start(&[]);
    let port = server.port("smtp");
    let cert = server.cert.to_str().unwrap();
    let (ok, out) = run(
        "msmtp",
        &[
            "--host=127.0.0.1",
            &format!("--port={port}"),
            "--tls=on",
            "--tls-starttls=on",
            &format!("--tls-trust-file={cert}"),
            "--auth=plain",
            "--user=bob@x.test",
            "--passwordeval=echo pw",
            "--from=alice@crepes.test",
            "bob@x.test",
        ],
        b"Subject: from msmtp\r\n\r\nhello\r\n",
    );
    assert!(ok, "{out}");
    let message = server.file("m.eml", "Subject: from curl\r\n\r\n.leading dot\r\n");
    let (ok, out) = run(
        "curl",
        &[
            "-sS",
            &format!("smtp://127.0.0.1:{port}"),
            "--mail-from",
            "alice@crepes.test",
            "--mail-rcpt",
            "bob@x.test",
            "--upload-file",
            message.to_str().unwrap(),
            "--ssl-reqd",
            "--cacert",
            cert,
            "--user",
            "bob@x.test:pw",
        ],
        b"",
    );
    assert!(ok, "{out}");
    let bob = server.stored("bob@x.test");
    assert_eq!(bob.len(), 2);
    assert!(contains(&bob[0], "Subject: from msmtp") && contains(&bob[0], "with ESMTPSA"));
    assert!(
        contains(&bob[1], "\r\n\r\n.leading dot\r\n"),
        "{}",
        String::from_utf8_lossy(&bob[1])
    );
}

/// Sends `count` messages to bob with swaks (plain SMTP).
fn fill_bob(server: &Server, count: usize) {
    let port = server.port("smtp");
    for n in 1..=count {
        let subject = format!("Subject: message {n}");
        let (ok, out) = run(
            "swaks",
            &[
                "--server",
                "127.0.0.1",
                "--port",
                &port,
                "--from",
                "alice@crepes.test",
                "--to",
                "bob@x.test",
                "--header",
                &subject,
                "--body",
                &format!("body {n}\n.dot line\n"),
            ],
            b"",
        );
        assert!(ok, "{out}");
    }
}

#[test]
#[ignore = "needs the real clients of tests/packages.sh: run tests/run.sh"]
fn mpop_fetchmail_curl_and_poplib_read_over_pop3() {
    clients();
    let server = Server::start(&[]);
    fill_bob(&server, 2);
    let port = server.port("pop3");
    let cert = server.cert.to_str().unwrap();
    let dir = server.dir.path();

    let maildir = dir.join("mpop");
    for sub in ["new", "cur", "tmp"] {
        fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let (ok, out) = run(
        "mpop",
        &[
            "-C",
            "/dev/null",
            "--host=127.0.0.1",
            &format!("--port={port}"),
            "--tls=on",
            "--tls-starttls=on",
            &format!("--tls-trust-file={cert}"),
            "--auth=user",
            "--user=bob@x.test",
            "--passwordeval=echo pw",
            &format!("--delivery=maildir,{}", maildir.display()),
            "--keep=on",
            &format!("--uidls-file={}", dir.join("uidls").display()),
        ],
        b"",
    );
    assert!(ok, "{out}");
    assert_eq!(
        fs::read_dir(maildir.join("new")).unwrap().count(),
        2,
        "{out}"
    );

    let delivered = dir.join("fetchmail.out");
    let rc = server.file(
        "fetchmailrc",
        &format!(
            "set no syslog\npoll 127.0.0.1 service {port} protocol pop3 auth password\n  user \"bob@x.test\" there password \"pw\" is \"root\" here\n  sslproto tls1.2+ sslcommonname localhost sslcertck sslcertfile {cert}\n  keep\n  mda \"/bin/sh -c 'cat >> {}'\"\n",
            delivered.display()
        ),
    );
    fs::set_permissions(&rc, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let (ok, out) = run(
        "fetchmail",
        &[
            "-f",
            rc.to_str().unwrap(),
            "--idfile",
            dir.join("fmids").to_str().unwrap(),
            "-v",
        ],
        b"",
    );
    assert!(ok, "{out}");
    let text = fs::read_to_string(&delivered).unwrap();
    assert!(
        text.contains("Subject: message 1") && text.contains("Subject: message 2"),
        "{text}"
    );

    let (ok, out) = run(
        "curl",
        &[
            "-sS",
            &format!("pop3://127.0.0.1:{port}/2"),
            "--ssl-reqd",
            "--cacert",
            cert,
            "--user",
            "bob@x.test:pw",
        ],
        b"",
    );
    assert!(
        ok && out.contains("Subject: message 2") && out.contains("\r\n.dot line\r\n"),
        "{out}"
    );

    let script = format!(
        r#"
import poplib, ssl
ctx = ssl.create_default_context(cafile={cert:?})
p = poplib.POP3("127.0.0.1", {port})
p.stls(ctx)
p.user("bob@x.test"); p.pass_("pw")
count, size = p.stat()
resp, lines, octets = p.retr(1)
assert b"Subject: message 1" in lines, lines
assert b".dot line" in lines, lines
assert len(p.uidl()[1]) == 2
p.dele(1)
p.quit()
try:
    q = poplib.POP3("127.0.0.1", {port})
    q.user("bob@x.test"); q.pass_("wrong")
    print("wrong password accepted")
except poplib.error_proto as e:
    print("refused", e)
print(count, size)
"#
    );
    let (ok, out) = run("python3", &["-c", &script], b"");
    assert!(
        ok && out.contains("refused b'-ERR [AUTH]") && out.starts_with("refused"),
        "{out}"
    );
    assert_eq!(server.stored("bob@x.test").len(), 1);
}

#[test]
#[ignore = "needs the real clients of tests/packages.sh: run tests/run.sh"]
fn mailkit_send_list_fetch_dele_over_pop3() {
    clients();
    let server = Server::sandbox(&[]);
    for subject in ["first", "second"] {
        server
            .mailkit_send()
            .args([
                "--to",
                "bob@hamburger.test",
                "--subject",
                subject,
                "--body",
                "hi",
            ])
            .assert()
            .success();
    }
    let list = server
        .mailkit_pop3("list", "bob@hamburger.test")
        .arg("--json")
        .assert()
        .success();
    let listed = String::from_utf8_lossy(&list.get_output().stdout).into_owned();
    assert_eq!(listed.lines().count(), 2, "{listed}");
    let maildir = server.dir.path().join("fetched");
    server
        .mailkit_pop3("fetch", "bob@hamburger.test")
        .args(["--maildir", maildir.to_str().unwrap(), "--state-file"])
        .arg(server.dir.path().join("state"))
        .assert()
        .success();
    let fetched: Vec<_> = fs::read_dir(maildir.join("new")).unwrap().collect();
    assert_eq!(fetched.len(), 2);
    server
        .mailkit_pop3("dele", "bob@hamburger.test")
        .args(["--yes", "1"])
        .assert()
        .success();
    let left = server.stored("bob@hamburger.test");
    assert_eq!(left.len(), 1);
    assert!(contains(&left[0], "Subject: second"));
}

#[test]
#[ignore = "needs the real clients of tests/packages.sh: run tests/run.sh"]
fn each_fault_stage_is_seen_by_the_client_with_its_code() {
    clients();
    for (fault, expect) in [
        ("greeting=421", "<** 421 4.3.2"),
        ("mail=550", "<** 550 5.7.1"),
        ("rcpt=451", "<** 451 4.3.0"),
        ("data=554", "<** 554 5.7.1"),
        ("dot=452", "<** 452 4.3.0"),
        ("connect=drop", "Remote host closed connection unexpectedly"),
    ] {
        let server = Server::start(&["--fault", fault]);
        let (ok, out) = run(
            "swaks",
            &[
                "--server",
                "127.0.0.1",
                "--port",
                &server.port("smtp"),
                "--from",
                "a@b.test",
                "--to",
                "bob@x.test",
            ],
            b"",
        );
        assert!(!ok, "{fault}: {out}");
        assert!(
            out.contains(expect) || fault == "connect=drop" && out.contains("closed"),
            "{fault}: {out}"
        );
        assert!(server.stored("bob@x.test").is_empty(), "{fault}");
    }
}

/// The per-recipient outcome of one `mailkit send --json` to many recipients.
fn rcpt_sequence(seed: &str) -> Vec<String> {
    let server = Server::sandbox(&["--fault", "rcpt=451:0.5", "--seed", seed]);
    let mut send = server.mailkit_send();
    send.args(["--json", "--subject", "s", "--body", "b"]);
    for n in 0..24 {
        send.args(["--to", &format!("r{n}@x.test")]);
    }
    let out = send.output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reply"].as_str().unwrap()[..3].to_string())
        .collect()
}

#[test]
#[ignore = "needs the real clients of tests/packages.sh: run tests/run.sh"]
fn the_same_seed_gives_the_same_fault_sequence() {
    clients();
    let first = rcpt_sequence("7");
    assert!(
        first.contains(&"451".to_string()) && first.contains(&"250".to_string()),
        "{first:?}"
    );
    assert_eq!(first, rcpt_sequence("7"));
    assert_ne!(first, rcpt_sequence("8"));
}

#[test]
#[ignore = "needs the real clients of tests/packages.sh: run tests/run.sh"]
fn a_message_acknowledged_before_sigkill_is_there_after_restart() {
    clients();
    let mut server = Server::start(&[]);
    fill_bob(&server, 1);
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    let data = server.data.clone();
    let restarted = Server::start_in(dir, &data, true, &[]);
    let (ok, out) = run(
        "curl",
        &[
            "-sS",
            &format!("pop3://127.0.0.1:{}/1", restarted.port("pop3")),
            "--ssl-reqd",
            "--cacert",
            restarted.cert.to_str().unwrap(),
            "--user",
            "bob@x.test:pw",
        ],
        b"",
    );
    assert!(
        ok && out.contains("Subject: message 1") && out.contains("body 1"),
        "{out}"
    );
}

#[test]
#[ignore = "needs the real clients of tests/packages.sh: run tests/run.sh"]
fn imaplib_and_curl_read_search_flag_move_and_idle_over_imap() {
    clients();
    let server = Server::start(&[]);
    fill_bob(&server, 2);
    let port = server.port("imap");
    let cert = server.cert.to_str().unwrap();
    let (ok, out) = run(
        "curl",
        &[
            "-sS",
            &format!("imap://127.0.0.1:{port}/INBOX;UID=2"),
            "--ssl-reqd",
            "--cacert",
            cert,
            "--user",
            "bob@x.test:pw",
        ],
        b"",
    );
    assert!(
        ok && out.contains("Subject: message 2") && out.contains("\r\n.dot line\r\n"),
        "{out}"
    );
    let (ok, out) = run(
        "curl",
        &[
            "-sS",
            &format!("imap://127.0.0.1:{port}/INBOX?SUBJECT%20%22message%201%22"),
            "--ssl-reqd",
            "--cacert",
            cert,
            "--user",
            "bob@x.test:pw",
        ],
        b"",
    );
    assert!(ok && out.contains("* SEARCH 1\r\n"), "{out}");

    let swaks = format!(
        "['swaks', '--server', '127.0.0.1', '--port', '{}', '--from', 'a@b.test', '--to', 'bob@x.test', '--header', 'Subject: while idling']",
        server.port("smtp")
    );
    let script = format!(
        r#"
import imaplib, ssl, subprocess
ctx = ssl.create_default_context(cafile={cert:?})
M = imaplib.IMAP4("127.0.0.1", {port})
M.starttls(ctx)
try:
    M.login("bob@x.test", "wrong")
    raise SystemExit("wrong password accepted")
except imaplib.IMAP4.error as e:
    assert b"AUTHENTICATIONFAILED" in str(e).encode() or "invalid" in str(e), e
M.login("bob@x.test", "pw")
typ, boxes = M.list()
assert boxes == [b'() "." INBOX'], boxes
typ, data = M.select("INBOX")
assert data == [b"2"], data
typ, data = M.uid("SEARCH", None, "UNSEEN")
assert data == [b"1"], data  # curl's FETCH BODY[] above set \Seen on 2
typ, data = M.uid("FETCH", "1", "(FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODY.PEEK[])")
assert b"Subject: message 1" in data[0][1], data
assert b"FLAGS ()" in data[0][0] and b"ENVELOPE (" in data[0][0] and b"INTERNALDATE" in data[0][0], data[0][0]
typ, data = M.uid("STORE", "1", "+FLAGS", r"(\Seen)")
assert b"\\Seen" in data[0], data
typ, data = M.uid("SEARCH", None, "SEEN")
assert data == [b"1 2"], data
assert M.create("Archive")[0] == "OK"
typ, data = M.uid("MOVE", "1", "Archive")
assert typ == "OK", (typ, data)
typ, copyuid = M.response("COPYUID")
assert copyuid[0].endswith(b" 1 1"), copyuid
typ, data = M.status("Archive", "(MESSAGES UIDNEXT UNSEEN)")
assert b"MESSAGES 1" in data[0] and b"UIDNEXT 2" in data[0] and b"UNSEEN 0" in data[0], data
typ, data = M.select("INBOX")
assert data == [b"1"], data
typ, data = M.uid("STORE", "2", "+FLAGS", r"(\Deleted)")
typ, data = M.uid("EXPUNGE", "2")
assert typ == "OK", (typ, data)
typ, data = M.select("INBOX")
assert data == [b"0"], data
tag = M._new_tag().decode()
M.send(f"{{tag}} IDLE\r\n".encode())
assert M.readline().startswith(b"+"), "no continuation for IDLE"
subprocess.run({swaks}, check=True, capture_output=True)
line = M.readline()
assert line == b"* 1 EXISTS\r\n", line
M.send(b"DONE\r\n")
line = M.readline()
assert line.startswith(tag.encode() + b" OK"), line
typ, data = M.uid("FETCH", "3", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
assert data[0][1] == b"Subject: while idling\r\n\r\n", data
M.logout()
print("imaplib ok")
"#
    );
    let (ok, out) = run("python3", &["-c", &script], b"");
    assert!(ok && out.contains("imaplib ok"), "{out}");
    assert_eq!(server.stored("bob@x.test").len(), 1);
}

/// Runs headless Chromium on `url` and returns the DOM once the page has rendered.
fn chromium_dom(url: &str, profile: &Path) -> String {
    let (ok, out) = run(
        "chromium",
        &[
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=800",
            "--dump-dom",
            url,
        ],
        b"",
    );
    assert!(ok, "chromium failed: {out}");
    out
}

/// A TCP listener that counts the connections it gets (a remote load or a script's request).
fn tripwire() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            drop(stream);
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    (port, hits)
}

#[test]
#[ignore = "needs the real clients of tests/packages.sh: run tests/run.sh"]
fn web_page_in_chromium_lists_shows_parts_and_runs_no_message_script() {
    clients();
    let server = Server::sandbox(&[]);
    let http = server.addr("http");
    let profile = server.dir.path().join("chromium");
    fill_bob(&server, 1);
    let dom = chromium_dom(&format!("http://{http}/"), &profile);
    assert!(
        dom.contains("<td class=\"subject\">message 1</td>"),
        "{dom}"
    );
    assert!(dom.contains("bob@x.test (1)"), "{dom}");

    let (port, hits) = tripwire();
    let hostile = format!(
        "From: Mallory <mallory@evil.test>\r\nTo: bob@x.test\r\nSubject: hostile\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nplain part\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>hostile html</p><script>document.body.textContent='SCRIPT '+'RAN';fetch('/api/messages/bob%40x.test/2',{{method:'DELETE'}});new Image().src='http://127.0.0.1:{port}/script';</script><img src=\"http://127.0.0.1:{port}/img\"><img src=x onerror=\"new Image().src='http://127.0.0.1:{port}/onerror'\"><link rel=stylesheet href=\"http://127.0.0.1:{port}/css\">\r\n--b--\r\n"
    );
    let file = server.file("hostile.eml", &hostile);
    let (ok, out) = run(
        "curl",
        &[
            "-sS",
            &format!("smtp://{}", server.addr("smtp")),
            "--mail-from",
            "mallory@evil.test",
            "--mail-rcpt",
            "bob@x.test",
            "--upload-file",
            file.to_str().unwrap(),
        ],
        b"",
    );
    assert!(ok, "{out}");
    let view = chromium_dom(&format!("http://{http}/#/m/bob%40x.test/2"), &profile);
    assert!(view.contains("<h2 id=\"subject\">hostile</h2>"), "{view}");
    assert!(
        view.contains("1.1  text/plain") && view.contains("1.2  text/html"),
        "{view}"
    );
    assert!(view.contains("<iframe id=\"html\" sandbox=\"\""), "{view}");
    assert!(view.contains("plain part"), "{view}");
    let direct = chromium_dom(
        &format!("http://{http}/api/messages/bob%40x.test/2/html"),
        &profile,
    );
    assert!(
        direct.contains("<p>hostile html</p>") && !direct.contains("SCRIPT RAN"),
        "{direct}"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the message's HTML reached out"
    );
    assert_eq!(
        server.stored("bob@x.test").len(),
        2,
        "the message's script deleted it"
    );
}

#[test]
#[ignore = "needs the real clients of tests/packages.sh: run tests/run.sh"]
fn http_api_lists_searches_streams_deletes_and_releases() {
    clients();
    let server = Server::sandbox(&[]);
    let relay = Server::sandbox(&[]);
    let api = format!("http://{}/api", server.addr("http"));
    let events = Process::new("curl")
        .args(["-sSN", "--max-time", "5", &format!("{api}/events")])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    fill_bob(&server, 3);
    let out = events.wait_with_output().unwrap();
    let stream = String::from_utf8_lossy(&out.stdout);
    assert!(
        stream.starts_with("event: ready\n") && stream.contains("event: delivery\ndata: {}\n\n"),
        "{stream:.200}"
    );

    let get = |path: &str| -> serde_json::Value {
        let (ok, out) = run("curl", &["-sS", "--fail", &format!("{api}{path}")], b"");
        assert!(ok, "{path}: {out}");
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{path}: {e}: {out}"))
    };
    let listing = get("/messages?mailbox=bob@x.test&limit=2");
    assert_eq!(listing["total"], 3);
    assert_eq!(listing["messages"].as_array().unwrap().len(), 2);
    assert_eq!(
        listing["messages"][0]["subject"], "message 3",
        "newest first: {listing}"
    );
    let found = get("/messages?subject=message%202");
    assert_eq!(found["total"], 1);
    assert_eq!(found["messages"][0]["uid"], 2);
    assert_eq!(get("/messages?from=nobody")["total"], 0);
    let view = get("/messages/bob@x.test/2");
    assert_eq!(view["subject"], "message 2");
    assert_eq!(view["parts"][0]["content_type"], "text/plain");
    assert!(view["received"][0]["by"].is_string(), "{view}");
    let (ok, raw) = run(
        "curl",
        &["-sS", "--fail", &format!("{api}/messages/bob@x.test/2/raw")],
        b"",
    );
    assert!(
        ok && raw.starts_with("Return-Path: <alice@crepes.test>\r\n"),
        "{raw}"
    );
    let (ok, out) = run(
        "curl",
        &[
            "-sS",
            "--fail",
            "-X",
            "DELETE",
            &format!("{api}/messages/bob@x.test/1"),
        ],
        b"",
    );
    assert!(ok, "{out}");
    assert_eq!(server.stored("bob@x.test").len(), 2);
    let (ok, out) = run(
        "curl",
        &[
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("{api}/messages/bob@x.test/1"),
        ],
        b"",
    );
    assert!(ok && out == "404", "{out}");

    let release = format!(
        r#"{{"server": "{}", "to": ["carol@y.test"], "tls": "none"}}"#,
        relay.addr("smtp")
    );
    let (ok, out) = run(
        "curl",
        &[
            "-sS",
            "--fail",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data",
            &release,
            &format!("{api}/messages/bob@x.test/3/release"),
        ],
        b"",
    );
    assert!(ok && out.contains("\"status\":\"accepted\""), "{out}");
    let released = relay.stored("carol@y.test");
    assert_eq!(released.len(), 1);
    assert!(contains(
        &released[0],
        "Return-Path: <alice@crepes.test>\r\n"
    ));
    assert!(contains(&released[0], "Subject: message 3"));
    assert_eq!(
        released[0]
            .windows(12)
            .filter(|w| w == b"Return-Path:")
            .count(),
        1
    );
}

#[test]
#[ignore = "needs the real clients of tests/packages.sh: run tests/run.sh"]
fn a_fault_plan_file_delays_replies_and_bumps_uidvalidity() {
    clients();
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.toml");
    fs::write(
        &plan,
        "seed = 3\nuidvalidity_bump = 1.0\n[[fault]]\nstage = \"mail\"\ndelay_ms = 700\n[[fault]]\nstage = \"rcpt\"\nreply = \"450 4.2.0 mailbox busy\"\nprobability = 1.0\n",
    )
    .unwrap();
    let server = Server::sandbox(&["--faults", plan.to_str().unwrap()]);
    let started = std::time::Instant::now();
    let (ok, out) = run(
        "swaks",
        &[
            "--server",
            "127.0.0.1",
            "--port",
            &server.port("smtp"),
            "--from",
            "a@b.test",
            "--to",
            "bob@x.test",
        ],
        b"",
    );
    assert!(!ok && out.contains("<** 450 4.2.0 mailbox busy"), "{out}");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(700),
        "no delay at MAIL"
    );
    let script = format!(
        r#"
import imaplib
M = imaplib.IMAP4("127.0.0.1", {})
M.login("bob@x.test", "any")
M.select("INBOX")
first = M.response("UIDVALIDITY")[1][0]
M.select("INBOX")
second = M.response("UIDVALIDITY")[1][0]
assert int(second) == int(first) + 1, (first, second)
print("renumbered", first, second)
"#,
        server.port("imap")
    );
    let (ok, out) = run("python3", &["-c", &script], b"");
    assert!(ok && out.contains("renumbered"), "{out}");

    let bad = dir.path().join("bad.toml");
    fs::write(&bad, "[[fault]]\nstage = \"rcpt\"\nreply = \"250 ok\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--ephemeral", "--faults", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("must be a 4xx or 5xx code"), "{stderr}");
}

#[test]
fn sigterm_stops_cleanly_and_removes_an_ephemeral_data_directory() {
    let mut child = Process::new(BIN)
        .args([
            "serve",
            "--ephemeral",
            "--smtp",
            "127.0.0.1:0",
            "--pop3",
            "off",
            "--imap",
            "off",
            "--http",
            "off",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let smtp = lines.next().unwrap().unwrap();
    assert!(smtp.starts_with("smtp  127.0.0.1:"), "{smtp}");
    let data = PathBuf::from(
        lines
            .next()
            .unwrap()
            .unwrap()
            .trim_start_matches("data")
            .trim(),
    );
    assert!(data.join("cert.pem").exists(), "{}", data.display());
    let status = Process::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("stopping"));
    assert!(!data.exists(), "{} left behind", data.display());
}

#[test]
#[ignore = "needs the real clients of tests/packages.sh: run tests/run.sh"]
fn mbsync_pulls_and_imaplib_reads_mime_parts_by_number() {
    clients();
    let server = Server::start(&[]);
    let mixed = "From: alice@crepes.test\r\nTo: bob@x.test\r\nSubject: pictures\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n--b\r\nContent-Type: image/png; name=dot.png\r\nContent-Disposition: attachment; filename=dot.png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n";
    let file = server.file("mixed.eml", mixed);
    let (ok, out) = run(
        "curl",
        &[
            "-sS",
            &format!("smtp://{}", server.addr("smtp")),
            "--mail-from",
            "alice@crepes.test",
            "--mail-rcpt",
            "bob@x.test",
            "--upload-file",
            file.to_str().unwrap(),
        ],
        b"",
    );
    assert!(ok, "{out}");
    fill_bob(&server, 1);

    let local = server.dir.path().join("local");
    fs::create_dir_all(&local).unwrap();
    let rc = server.file(
        "mbsyncrc",
        &format!(
            "IMAPAccount serve\nHost 127.0.0.1\nPort {}\nUser bob@x.test\nPass pw\nSSLType STARTTLS\nCertificateFile {}\n\nIMAPStore remote\nAccount serve\n\nMaildirStore local\nPath {}/\nInbox {}/INBOX\n\nChannel inbox\nFar :remote:\nNear :local:\nSync Pull\nCreate Near\nSyncState *\n",
            server.port("imap"),
            server.cert.display(),
            local.display(),
            local.display()
        ),
    );
    let (ok, out) = run("mbsync", &["-c", rc.to_str().unwrap(), "-a"], b"");
    assert!(ok, "{out}");
    let pulled: Vec<_> = fs::read_dir(local.join("INBOX/new"))
        .unwrap()
        .map(|e| fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(pulled.len(), 2, "{out}");
    assert!(pulled.iter().any(|m| contains(m, "Subject: pictures")));

    let script = format!(
        r#"
import imaplib
M = imaplib.IMAP4("127.0.0.1", {})
M.login("bob@x.test", "pw")
M.select("INBOX", readonly=True)
typ, data = M.uid("FETCH", "1", "(BODYSTRUCTURE)")
assert b'(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 12 0)("IMAGE" "PNG" ("NAME" "dot.png") NIL NIL "BASE64" 12) "MIXED")' in data[0], data
typ, data = M.uid("FETCH", "1", "(BODY.PEEK[2] BODY.PEEK[2.MIME] BODY.PEEK[1])")
flat = b"".join(d if isinstance(d, bytes) else d[0] + d[1] for d in data)
assert b'BODY[2] "iVBORw0KGgo="' in flat, flat
assert b"Content-Type: image/png; name=dot.png\r\nContent-Disposition: attachment; filename=dot.png\r\nContent-Transfer-Encoding: base64\r\n\r\n" in flat, flat
assert b'BODY[1] "see attached"' in flat, flat
print("parts ok")
"#,
        server.port("imap")
    );
    let (ok, out) = run("python3", &["-c", &script], b"");
    assert!(ok && out.contains("parts ok"), "{out}");
}

#[test]
#[ignore = "needs the real clients of tests/packages.sh: run tests/run.sh"]
fn mailkit_list_fetch_and_move_over_imap() {
    clients();
    let server = Server::sandbox(&[]);
    fill_bob(&server, 2);
    let create = format!(
        "import imaplib\nM = imaplib.IMAP4('127.0.0.1', {})\nM.login('bob@x.test', 'pw')\nassert M.create('Archive')[0] == 'OK'\n",
        server.port("imap")
    );
    let (ok, out) = run("python3", &["-c", &create], b"");
    assert!(ok, "{out}");
    let imap = |command: &str| server.mailkit_reader(command, "bob@x.test", "imap");
    let listed = imap("list").arg("--json").assert().success();
    let listed = String::from_utf8_lossy(&listed.get_output().stdout).into_owned();
    assert_eq!(listed.lines().count(), 2, "{listed}");
    let maildir = server.dir.path().join("fetched-imap");
    imap("fetch")
        .args([
            "--maildir",
            maildir.to_str().unwrap(),
            "--move-to",
            "Archive",
            "--state-file",
        ])
        .arg(server.dir.path().join("imap-state"))
        .assert()
        .success();
    assert_eq!(fs::read_dir(maildir.join("new")).unwrap().count(), 2);
    assert!(server.stored("bob@x.test").is_empty(), "moved out of INBOX");
    let archive = server.data.join("mail/bob@x.test/.Archive/cur");
    assert_eq!(fs::read_dir(archive).unwrap().count(), 2);
}
