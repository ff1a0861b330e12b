//! Hostile servers. Every wait has a deadline: servers that drip their replies a byte (or a
//! line) at a time, which a per-read timeout alone never ends, and a blackholed address, which
//! must cost the connect timeout rather than the reply timeout. Every buffered reply has a byte
//! budget: a CAPA reply of 50,000 lines of 8 KB is refused early, in little memory.
//! In-process fakes on 127.0.0.1: real servers do not misbehave on demand. Each run is bounded
//! by a watchdog so that a regression fails instead of hanging the suite.

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    process::{Command, Output, Stdio},
    thread,
    time::{Duration, Instant},
};

use assert_cmd::cargo::cargo_bin;

/// How long any run may take before the watchdog calls it hung: far beyond the 2 s timeouts
/// given, far below forever.
const WATCHDOG: Duration = Duration::from_secs(30);

/// A server that, for each connection, writes `prefix` at once, then answers nothing but
/// `drip` one byte every 200 ms, over and over, until the client goes away.
fn dripper(prefix: &'static [u8], drip: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            thread::spawn(move || drip_to(conn, prefix, drip));
        }
    });
    addr
}

fn drip_to(mut conn: TcpStream, prefix: &[u8], drip: &[u8]) {
    if conn.write_all(prefix).is_err() {
        return;
    }
    // Drain what the client sends so its writes never block.
    let mut reader = conn.try_clone().unwrap();
    thread::spawn(move || {
        let mut sink = [0u8; 4096];
        while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
    });
    for &byte in drip.iter().cycle() {
        thread::sleep(Duration::from_millis(200));
        if conn.write_all(&[byte]).is_err() {
            return;
        }
    }
}

/// Runs mailkit with `args`; fails the test if it is still running after [`WATCHDOG`].
fn run(args: &[&str]) -> Output {
    let mut child = Command::new(cargo_bin("mailkit"))
        .args(args)
        .env("MAILKIT_PASSWORD", "secret")
        .env("HOME", "/nonexistent")
        .env_remove("MAILKIT_ACCOUNTS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > WATCHDOG {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "mailkit {args:?} still waiting after {} s: {}",
                WATCHDOG.as_secs(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn assert_timed_out(output: &Output, wants: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(75), "{stderr}");
    for want in wants {
        assert!(stderr.contains(want), "{want:?} not in {stderr}");
    }
}

fn send_args(server: &str, tls: &str) -> Vec<String> {
    [
        "send",
        "--server",
        server,
        "--tls",
        tls,
        "--timeout",
        "2",
        "--from",
        "a@c.test",
        "--to",
        "b@x.test",
        "--body",
        "x",
    ]
    .map(String::from)
    .to_vec()
}

fn run_owned(args: &[String]) -> Output {
    run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn an_smtp_greeting_dripped_a_byte_at_a_time_times_out() {
    let addr = dripper(b"", b"220 slow");
    let out = run_owned(&send_args(&addr.to_string(), "none"));
    assert_timed_out(
        &out,
        &[
            "timed out after 2 s waiting for the greeting",
            &addr.to_string(),
        ],
    );
}

#[test]
fn an_ehlo_reply_dripped_line_by_line_times_out_as_a_whole() {
    // Each line is complete in a second; the reply never ends.
    let addr = dripper(b"220 fake\r\n", b"250-still going\r\n");
    let out = run_owned(&send_args(&addr.to_string(), "none"));
    assert_timed_out(
        &out,
        &[
            "timed out after 2 s waiting for the reply to EHLO",
            &addr.to_string(),
        ],
    );
}

#[test]
fn a_tls_handshake_dripped_a_byte_at_a_time_times_out() {
    // A TLS record header announcing 16 KiB of handshake, then its body a byte at a time.
    let addr = dripper(b"\x16\x03\x03\x40\x00", b"\x00");
    let out = run_owned(&send_args(&addr.to_string(), "tls"));
    assert_timed_out(&out, &["TLS handshake with 127.0.0.1 timed out after 2 s"]);
}

fn pop3_list(addr: SocketAddr) -> Output {
    run(&[
        "list",
        "--server",
        &addr.to_string(),
        "--user",
        "bob",
        "--tls",
        "none",
        "--allow-cleartext-auth",
        "--timeout",
        "2",
    ])
}

#[test]
fn a_pop3_greeting_dripped_a_byte_at_a_time_times_out() {
    let addr = dripper(b"", b"+OK slow");
    let out = pop3_list(addr);
    assert_timed_out(
        &out,
        &[
            "timed out after 2 s waiting for the greeting",
            &addr.to_string(),
        ],
    );
}

#[test]
fn a_pop3_capa_reply_dripped_line_by_line_times_out_as_a_whole() {
    let addr = dripper(b"+OK ready\r\n+OK capabilities\r\n", b"USER\r\n");
    let out = pop3_list(addr);
    assert_timed_out(
        &out,
        &[
            "timed out after 2 s waiting for the reply to CAPA",
            &addr.to_string(),
        ],
    );
}

#[test]
fn a_blackholed_address_costs_the_connect_timeout_not_the_reply_timeout() {
    // A listener whose backlog is full and never accepted: the kernel drops further SYNs, so
    // a connect hangs as it does towards a blackholed MX.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    socket.listen(0).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    let mut fillers = Vec::new();
    let mut blackholed = false;
    for _ in 0..8 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(conn) => fillers.push(conn),
            Err(_) => {
                blackholed = true;
                break;
            }
        }
    }
    assert!(blackholed, "the backlog never filled");
    let mut args = send_args(&addr.to_string(), "none");
    args.iter_mut().for_each(|a| {
        if a == "2" {
            *a = "60".into();
        }
    });
    args.extend(["--connect-timeout".into(), "1".into()]);
    let out = run_owned(&args);
    assert_timed_out(&out, &["cannot connect to", "timed out after 1 s"]);
}

/// A POP3 server that greets, and answers CAPA with `lines` lines of 8,000 bytes.
fn capa_flood(lines: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            thread::spawn(move || {
                let mut command = [0u8; 64];
                if conn.write_all(b"+OK hostile\r\n").is_err()
                    || !matches!(conn.read(&mut command), Ok(n) if n > 0)
                    || conn.write_all(b"+OK here they come\r\n").is_err()
                {
                    return;
                }
                let mut line = vec![b'A'; 8000];
                line.extend_from_slice(b"\r\n");
                for _ in 0..lines {
                    if conn.write_all(&line).is_err() {
                        return;
                    }
                }
                let _ = conn.write_all(b".\r\n");
            });
        }
    });
    addr
}

#[test]
fn a_huge_capa_reply_is_a_protocol_error_in_little_memory() {
    let addr = capa_flood(50_000);
    let out = Command::new("/usr/bin/time")
        .args(["-f", "peak-rss-kib=%M"])
        .arg(cargo_bin("mailkit"))
        .args(["list", "--server", &addr.to_string(), "--user", "bob"])
        .args(["--tls", "none", "--allow-cleartext-auth", "--timeout", "10"])
        .env("MAILKIT_PASSWORD", "secret")
        .env("HOME", "/nonexistent")
        .env_remove("MAILKIT_ACCOUNTS")
        .output()
        .expect("/usr/bin/time (Debian package time, installed by tests/run.sh)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("CAPA: the reply is larger than 64 KiB"),
        "{stderr}"
    );
    assert!(
        stderr.contains("exited with non-zero status 76") || stderr.contains("status 76"),
        "{stderr}"
    );
    let kib: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {stderr}"));
    assert!(kib < 64 * 1024, "peak RSS {kib} KiB");
}

/// A TLS server (rustls) presenting a self-signed CA certificate for 127.0.0.1, as a test
/// box often does; it answers nothing after the handshake. Returns its address and the
/// certificate in PEM.
fn self_signed_tls() -> (SocketAddr, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let pem = cert.pem();
    let der_key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.der().clone()], der_key)
    .unwrap();
    let config = std::sync::Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut tls = rustls::ServerConnection::new(config.clone()).unwrap();
            thread::spawn(move || {
                while tls.is_handshaking() {
                    if tls.complete_io(&mut conn).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, pem)
}

#[test]
fn an_untrusted_certificate_is_explained_in_words_once_with_the_right_hint() {
    let (addr, pem) = self_signed_tls();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, pem).unwrap();
    let server = addr.to_string();
    let send = run_owned(&send_args(&server, "tls"));
    let list = run(&[
        "list",
        "--server",
        &server,
        "--user",
        "bob",
        "--tls",
        "tls",
        "--timeout",
        "5",
    ]);
    for out in [&send, &list] {
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(77), "{stderr}");
        assert!(
            stderr.contains("the certificate is self-signed"),
            "{stderr}"
        );
        assert_eq!(
            stderr.matches("self-signed").count(),
            1,
            "cause twice: {stderr}"
        );
        assert!(!stderr.contains("Other("), "Rust debug form: {stderr}");
        assert!(stderr.contains("give --ca-file"), "{stderr}");
    }
    let mut with_ca = send_args(&server, "tls");
    with_ca.extend(["--ca-file".into(), ca.display().to_string()]);
    let out = run_owned(&with_ca);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(77), "{stderr}");
    assert!(!stderr.contains("give --ca-file"), "{stderr}");
}

#[test]
fn a_dns_answer_over_tcp_dripped_a_byte_at_a_time_times_out() {
    // A length prefix announcing 256 bytes, then the answer a byte every 200 ms.
    let addr = dripper(b"\x01\x00", b"\x00");
    let out = run(&[
        "resolve",
        "--tcp",
        "-S",
        &addr.to_string(),
        "--timeout",
        "2",
        "example.org",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(75), "{stderr}");
    assert!(stderr.contains(&addr.to_string()), "{stderr}");
}
