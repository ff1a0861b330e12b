//! Direct MX delivery by the binary, end to end without the test bed: a fake DNS server (replies
//! built with hickory-proto) names three MX hosts on 127.0.0.2-4, all on one port thanks to
//! `--port`: the first refuses connections, the second answers 421, the third accepts.

use crate::support;

use std::net::{SocketAddr, TcpListener};

use assert_cmd::Command;
use hickory_proto::{
    op::ResponseCode,
    rr::{Name, RData, Record, RecordType, rdata},
};
use support::{
    dns,
    smtp::{Act, fake_on, send},
};

/// A fake recursive resolver for the zone `fallback.test` and friends.
fn fake_dns() -> dns::Fake {
    dns::fake(|query| {
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
        let a = |ip: [u8; 4]| dns::a_record(&owner, ip);
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
        vec![dns::reply(query, rcode, answers).to_vec().unwrap()]
    })
}

/// What mx3 answers: everything accepted, PIPELINING offered, STARTTLS not.
fn accepting(line: &str) -> Act {
    match line.split([' ', ':']).next().unwrap_or("") {
        "EHLO" => send("250-mx3\r\n250 PIPELINING\r\n"),
        "DATA" => send("354 go\r\n"),
        "." => send("250 queued\r\n"),
        "QUIT" => send("221 bye\r\n"),
        _ => send("250 ok\r\n"),
    }
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

fn mailkit_send(dns: SocketAddr, port: u16, to: &str) -> Command {
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
    let seen2 = fake_on(second, "421 4.3.2 mx2 too busy\r\n", accepting);
    let seen3 = fake_on(third, "220 mx3 ready\r\n", accepting);
    let out = mailkit_send(dns.addr, port, "bob@fallback.test")
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
    assert!(seen2.lock().unwrap().lines.is_empty());
    assert!(
        seen3
            .lock()
            .unwrap()
            .lines
            .contains(&"RCPT TO:<bob@fallback.test>".to_string())
    );
}

#[test]
fn null_mx_and_nxdomain_never_connect() {
    let dns = fake_dns();
    let out = mailkit_send(dns.addr, 9, "x@nullmx.test")
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
    mailkit_send(dns.addr, 9, "x@nosuch.test").assert().code(68);
}
