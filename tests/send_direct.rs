//! Direct MX delivery by the binary, end to end without the test bed: a fake DNS server (replies
//! built with hickory-proto) names three MX hosts on 127.0.0.2-4, all on one port thanks to
//! `--port`: the first refuses connections, the second answers 421, the third accepts.

use std::{
    io::{BufRead, BufReader, Write},
    net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket},
    sync::{Arc, Mutex},
    thread,
};

use assert_cmd::Command;
use hickory_proto::{
    op::{Message, OpCode, ResponseCode},
    rr::{Name, RData, Record, RecordType, rdata},
};

/// A fake recursive resolver for the zone `fallback.test` and friends.
fn fake_dns() -> SocketAddr {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = socket.local_addr().unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((len, peer)) = socket.recv_from(&mut buf) {
            let Ok(query) = Message::from_vec(&buf[..len]) else {
                continue;
            };
            let question = &query.queries[0];
            let name = question.name.to_ascii().to_ascii_lowercase();
            let owner = question.name.clone();
            let mx = |pref: u16, host: &str| {
                Record::from_rdata(
                    owner.clone(),
                    60,
                    RData::MX(rdata::MX::new(pref, Name::from_ascii(host).unwrap())),
                )
            };
            let a =
                |ip: [u8; 4]| Record::from_rdata(owner.clone(), 60, RData::A(rdata::A(ip.into())));
            let (rcode, answers) = match (name.as_str(), question.query_type) {
                ("fallback.test.", RecordType::MX) => (
                    ResponseCode::NoError,
                    vec![
                        mx(30, "mx3.fallback.test."),
                        mx(10, "mx1.fallback.test."),
                        mx(20, "mx2.fallback.test."),
                    ],
                ),
                ("mx1.fallback.test.", RecordType::A) => {
                    (ResponseCode::NoError, vec![a([127, 0, 0, 2])])
                }
                ("mx2.fallback.test.", RecordType::A) => {
                    (ResponseCode::NoError, vec![a([127, 0, 0, 3])])
                }
                ("mx3.fallback.test.", RecordType::A) => {
                    (ResponseCode::NoError, vec![a([127, 0, 0, 4])])
                }
                ("nullmx.test.", RecordType::MX) => (ResponseCode::NoError, vec![mx(0, ".")]),
                (n, _) if n.ends_with("fallback.test.") || n == "nullmx.test." => {
                    (ResponseCode::NoError, vec![])
                }
                _ => (ResponseCode::NXDomain, vec![]),
            };
            let mut reply = Message::response(query.metadata.id, OpCode::Query);
            reply.metadata.response_code = rcode;
            reply.metadata.recursion_desired = query.metadata.recursion_desired;
            reply.metadata.recursion_available = true;
            reply.add_queries(query.queries.clone());
            reply.add_answers(answers);
            let _ = socket.send_to(&reply.to_vec().unwrap(), peer);
        }
    });
    addr
}

/// An SMTP fake: `greeting` first; with a 220 greeting it accepts every command, keeping the
/// lines it received.
fn fake_smtp(listener: TcpListener, greeting: &'static str, seen: Arc<Mutex<Vec<String>>>) {
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let mut writer = stream.try_clone().unwrap();
            let mut reader = BufReader::new(stream);
            let _ = writer.write_all(greeting.as_bytes());
            if !greeting.starts_with("220") {
                continue;
            }
            let mut in_data = false;
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let text = line.trim_end().to_string();
                let reply = if in_data {
                    if text != "." {
                        continue;
                    }
                    in_data = false;
                    "250 queued\r\n"
                } else {
                    seen.lock().unwrap().push(text.clone());
                    match text.split([' ', ':']).next().unwrap_or("") {
                        "EHLO" => "250-mx3\r\n250 PIPELINING\r\n",
                        "DATA" => {
                            in_data = true;
                            "354 go\r\n"
                        }
                        "QUIT" => "221 bye\r\n",
                        _ => "250 ok\r\n",
                    }
                };
                if writer.write_all(reply.as_bytes()).is_err() || reply.starts_with("221") {
                    break;
                }
            }
        }
    });
}

/// Listeners on 127.0.0.3 and 127.0.0.4 sharing one port (127.0.0.2 stays closed).
fn two_listeners() -> (u16, TcpListener, TcpListener) {
    for _ in 0..50 {
        let first = TcpListener::bind("127.0.0.3:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if let Ok(second) = TcpListener::bind(("127.0.0.4", port)) {
            return (port, first, second);
        }
    }
    panic!("no port free on both 127.0.0.3 and 127.0.0.4");
}

fn send(dns: SocketAddr, port: u16, to: &str) -> Command {
    let mut cmd = Command::cargo_bin("mailkit").unwrap();
    cmd.args([
        "send",
        "--dns-server",
        &dns.to_string(),
        "--port",
        &port.to_string(),
    ])
    .args([
        "--ehlo",
        "client.test",
        "--timeout",
        "10",
        "--from",
        "a@client.test",
    ])
    .args(["--to", to, "--subject", "hi", "--body", "hello"]);
    cmd
}

#[test]
fn first_mx_refuses_second_says_421_third_accepts() {
    let dns = fake_dns();
    let (port, second, third) = two_listeners();
    let seen2 = Arc::new(Mutex::new(Vec::new()));
    let seen3 = Arc::new(Mutex::new(Vec::new()));
    fake_smtp(second, "421 4.3.2 mx2 too busy\r\n", seen2.clone());
    fake_smtp(third, "220 mx3 ready\r\n", seen3.clone());
    let out = send(dns, port, "bob@fallback.test")
        .args(["--json", "-v"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let order: Vec<usize> = [
        "mx1.fallback.test (127.0.0.2",
        "mx2.fallback.test (127.0.0.3",
        "mx3.fallback.test (127.0.0.4",
    ]
    .iter()
    .map(|needle| {
        stderr
            .find(&format!("* connecting to {needle}"))
            .unwrap_or_else(|| panic!("{needle} not tried: {stderr}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{stderr}");
    assert!(
        stderr.contains("does not offer STARTTLS; sending in cleartext"),
        "{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["recipients"][0]["status"], "accepted");
    assert_eq!(doc["recipients"][0]["host"], "mx3.fallback.test");
    assert!(seen2.lock().unwrap().is_empty());
    assert!(
        seen3
            .lock()
            .unwrap()
            .contains(&"RCPT TO:<bob@fallback.test>".to_string())
    );
}

#[test]
fn null_mx_and_nxdomain_never_connect() {
    let dns = fake_dns();
    let out = send(dns, 9, "x@nullmx.test")
        .arg("-v")
        .assert()
        .code(69)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("null MX") && !stderr.contains("connecting"),
        "{stderr}"
    );
    send(dns, 9, "x@nosuch.test").assert().code(68);
}
