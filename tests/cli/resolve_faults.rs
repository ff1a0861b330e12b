//! `mailkit resolve` against in-process fake DNS servers on 127.0.0.1, for what real servers
//! will not do: wrong transaction IDs, replies to another question, malformed replies,
//! silence, truncation, and replies out of order in a batch. The fakes build their replies
//! with hickory-proto (the same codec the product uses), never by hand.

use crate::support;

use std::{
    io::{Read, Write},
    net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket},
    sync::{Arc, atomic::Ordering},
    thread,
};

use assert_cmd::Command;
use hickory_proto::{
    op::{Message, ResponseCode},
    rr::{Name, RData, Record, RecordType, rdata},
};
use predicates::prelude::*;
use support::dns::{Fake, a_record, a_reply, fake, qname, reply};

/// `-s ADDR` for each fake server, in the order they should be asked.
fn servers(fakes: &[&Fake]) -> Vec<String> {
    fakes
        .iter()
        .flat_map(|fake| ["-S".to_string(), fake.addr.to_string()])
        .collect()
}

fn mailkit() -> Command {
    let mut cmd = Command::cargo_bin("mailkit").unwrap();
    cmd.env_remove("RUST_BACKTRACE");
    cmd
}

fn resolve(server: SocketAddr, args: &[&str]) -> Command {
    let mut cmd = mailkit();
    cmd.arg("resolve")
        .arg(format!("@{server}"))
        .args(args)
        .args(["--timeout", "0.3"]);
    cmd
}

#[test]
fn a_reply_with_another_transaction_id_is_discarded_and_the_real_one_used() {
    let server = fake(|q| {
        let mut stray = reply(
            q,
            ResponseCode::NoError,
            vec![a_record(&qname(q), [10, 9, 9, 9])],
        );
        stray.metadata.id = q.metadata.id.wrapping_add(1);
        let good = reply(
            q,
            ResponseCode::NoError,
            vec![a_record(&qname(q), [10, 0, 0, 1])],
        );
        vec![stray.to_vec().unwrap(), good.to_vec().unwrap()]
    });
    resolve(server.addr, &["stray.test", "A", "--short", "-v"])
        .assert()
        .code(0)
        .stdout("10.0.0.1\n")
        .stderr(predicate::str::contains("discarded"));
}

#[test]
fn a_reply_to_another_question_is_discarded_until_the_timeout() {
    let server = fake(|q| {
        let mut other = reply(q, ResponseCode::NoError, vec![]);
        other.queries[0].name = Name::from_ascii("other.test.").unwrap();
        other.add_answer(a_record(&other.queries[0].name.clone(), [10, 9, 9, 9]));
        vec![other.to_vec().unwrap()]
    });
    resolve(server.addr, &["asked.test", "A", "--attempts", "1"])
        .assert()
        .code(75)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "no reply from {}",
            server.addr
        )));
}

#[test]
fn a_malformed_reply_exits_76_and_names_the_server() {
    let server = fake(|q| {
        let mut bytes = a_reply(q, [10, 0, 0, 1]);
        // Claim a second answer that is not there.
        bytes[7] = 2;
        vec![bytes]
    });
    resolve(server.addr, &["broken.test", "A"])
        .assert()
        .code(76)
        .stderr(predicate::str::contains(format!(
            "mailkit: error: querying broken.test A: malformed reply from {}",
            server.addr
        )));
}

#[test]
fn silence_exits_75_after_every_attempt_naming_the_server() {
    let server = fake(|_| Vec::new());
    resolve(server.addr, &["silent.test", "A", "--attempts", "3"])
        .assert()
        .code(75)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "no reply from {} (3 attempts of 0.3s each)",
            server.addr
        )));
    assert_eq!(server.queries.load(Ordering::SeqCst), 3);
}

#[test]
fn the_next_server_is_asked_when_the_first_is_silent() {
    let silent = fake(|_| Vec::new());
    let good = fake(|q| vec![a_reply(q, [10, 0, 0, 7])]);
    mailkit()
        .args([
            "resolve",
            "two.test",
            "--short",
            "--attempts",
            "1",
            "--timeout",
            "0.2",
        ])
        .args(servers(&[&silent, &good]))
        .assert()
        .code(0)
        .stdout("10.0.0.7\n");
}

#[test]
fn a_truncated_udp_answer_is_retried_over_tcp_and_said_on_stderr() {
    let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = udp.local_addr().unwrap();
    let tcp = TcpListener::bind(addr).unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((len, peer)) = udp.recv_from(&mut buf) {
            let query = Message::from_vec(&buf[..len]).unwrap();
            let mut truncated = reply(&query, ResponseCode::NoError, vec![]);
            truncated.metadata.truncation = true;
            let _ = udp.send_to(&truncated.to_vec().unwrap(), peer);
        }
    });
    thread::spawn(move || {
        for stream in tcp.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut prefix = [0u8; 2];
            stream.read_exact(&mut prefix).unwrap();
            let mut body = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
            stream.read_exact(&mut body).unwrap();
            let query = Message::from_vec(&body).unwrap();
            let records = (1..=3)
                .map(|i| {
                    let text = format!("part {i}");
                    Record::from_rdata(qname(&query), 60, RData::TXT(rdata::TXT::new(vec![text])))
                })
                .collect();
            let bytes = reply(&query, ResponseCode::NoError, records)
                .to_vec()
                .unwrap();
            stream
                .write_all(&(bytes.len() as u16).to_be_bytes())
                .unwrap();
            stream.write_all(&bytes).unwrap();
        }
    });
    resolve(addr, &["big.test", "TXT"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"part 3\""))
        .stdout(predicate::str::contains(format!(
            ";; SERVER: {addr} (TCP, after a truncated UDP answer)"
        )))
        .stderr(predicate::str::contains("truncated; retrying over TCP"));
}

fn rcode_server(rcode: ResponseCode) -> Fake {
    fake(move |q| vec![reply(q, rcode, vec![]).to_vec().unwrap()])
}

#[test]
fn exit_codes_follow_the_rcode() {
    let cases = [
        (ResponseCode::NXDomain, 1, "NXDOMAIN"),
        (ResponseCode::NoError, 1, "NOERROR"),
        (ResponseCode::ServFail, 75, "SERVFAIL"),
        (ResponseCode::Refused, 75, "REFUSED"),
        (ResponseCode::FormErr, 76, "FORMERR"),
    ];
    for (rcode, code, status) in cases {
        let server = rcode_server(rcode);
        resolve(server.addr, &["x.test", "MX"])
            .assert()
            .code(code)
            .stdout(predicate::str::contains(format!("status: {status},")));
    }
}

#[test]
fn several_types_exit_with_the_worst_status() {
    let server = fake(|q| {
        let records = if q.queries[0].query_type == RecordType::A {
            vec![a_record(&qname(q), [10, 0, 0, 1])]
        } else {
            vec![]
        };
        vec![reply(q, ResponseCode::NoError, records).to_vec().unwrap()]
    });
    resolve(server.addr, &["multi.test", "A", "MX", "--json"])
        .assert()
        .code(1)
        .stdout(predicate::function(|out: &str| {
            let docs: Vec<serde_json::Value> = out
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            docs.len() == 2
                && docs[0]["answer"][0]["data"] == "10.0.0.1"
                && docs[0]["outcome"] == "answer"
                && docs[1]["outcome"] == "nodata"
                && docs[1]["question"][0]["type"] == "MX"
        }));
}

#[test]
fn json_carries_header_flags_sections_server_and_elapsed() {
    let server = fake(|q| vec![a_reply(q, [10, 0, 0, 1])]);
    let out = resolve(server.addr, &["json.test", "--json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["server"], server.addr.to_string());
    assert_eq!(doc["transport"], "udp");
    assert!(doc["elapsed"].as_f64().unwrap() >= 0.0);
    assert_eq!(doc["header"]["rcode"], "NOERROR");
    assert_eq!(doc["header"]["flags"]["qr"], true);
    assert_eq!(doc["header"]["flags"]["rd"], true);
    assert_eq!(doc["header"]["flags"]["ra"], true);
    assert_eq!(doc["header"]["flags"]["aa"], false);
    let rr = &doc["answer"][0];
    assert_eq!(rr["name"], "json.test.");
    assert_eq!(rr["ttl"], 60);
    assert_eq!(rr["class"], "IN");
    assert_eq!(rr["type"], "A");
    assert_eq!(rr["data"], "10.0.0.1");
}

#[test]
fn norecurse_clears_the_rd_bit() {
    let server = fake(|q| {
        let ip = if q.metadata.recursion_desired { 1 } else { 0 };
        vec![a_reply(q, [10, 0, 0, ip])]
    });
    resolve(server.addr, &["rd.test", "--short", "--norecurse"])
        .assert()
        .stdout("10.0.0.0\n");
    resolve(server.addr, &["rd.test", "--short"])
        .assert()
        .stdout("10.0.0.1\n");
}

#[test]
fn control_bytes_in_txt_data_are_escaped() {
    let server = fake(|q| {
        let txt = rdata::TXT::from_bytes(vec![b"\x1b[31mred\x07"]);
        let record = Record::from_rdata(qname(q), 60, RData::TXT(txt));
        vec![
            reply(q, ResponseCode::NoError, vec![record])
                .to_vec()
                .unwrap(),
        ]
    });
    resolve(server.addr, &["ctrl.test", "TXT", "--short"])
        .assert()
        .code(0)
        .stdout("\"\\027[31mred\\007\"\n");
}

#[test]
fn oversized_names_are_usage_errors_before_any_query() {
    let server = fake(|_| Vec::new());
    let label = "a".repeat(64);
    resolve(server.addr, &[&format!("{label}.test")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a label holds at most 63"));
    let long = vec!["abcdefghi"; 26].join(".");
    resolve(server.addr, &[&long])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a name holds at most 253"));
    resolve(server.addr, &["ok.test", "NOTATYPE"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown record type"));
    assert_eq!(server.queries.load(Ordering::SeqCst), 0);
    server.expect_unused();
}

#[test]
fn batch_results_come_out_in_input_order_even_when_replies_do_not() {
    // Hold replies back and release them in reverse order, so the window really is used.
    let mut held: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = socket.local_addr().unwrap();
    let total = 50;
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok((len, from)) = socket.recv_from(&mut buf) {
            let query = Message::from_vec(&buf[..len]).unwrap();
            let name = qname(&query).to_ascii();
            let n: u8 = name
                .trim_start_matches('n')
                .split('.')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let bytes = a_reply(&query, [10, 1, 0, n]);
            held.push((from, bytes));
            if held.len() == total {
                for (peer, bytes) in held.drain(..).rev() {
                    let _ = socket.send_to(&bytes, peer);
                }
            }
        }
    });
    let names: String = (0..total).map(|i| format!("n{i}.test\n")).collect();
    let out = mailkit()
        .args(["resolve", "--batch", "-", "--timeout", "5"])
        .arg("-S")
        .arg(addr.to_string())
        .write_stdin(names)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let lines: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let want: Vec<String> = (0..total)
        .map(|i| format!("n{i}.test\tA\tNOERROR\t10.1.0.{i}"))
        .collect();
    assert_eq!(lines, want);
}

#[test]
fn batch_json_lines_report_each_failure_on_its_own_line() {
    let server = fake(|q| {
        let name = qname(q).to_ascii();
        let rcode = if name.starts_with("bad") {
            ResponseCode::NXDomain
        } else {
            ResponseCode::NoError
        };
        let records = if rcode == ResponseCode::NoError {
            vec![a_record(&qname(q), [10, 0, 0, 1])]
        } else {
            vec![]
        };
        vec![reply(q, rcode, records).to_vec().unwrap()]
    });
    let long = format!("{}.test", "a".repeat(70));
    let input = format!("good.test\n# comment\n\nbad.test\n{long}\ngood2.test MX\n");
    let out = resolve(server.addr, &["--batch", "-", "--json"])
        .write_stdin(input)
        .assert()
        .code(2)
        .get_output()
        .stdout
        .clone();
    let docs: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 4);
    assert_eq!(docs[0]["name"], "good.test");
    assert_eq!(docs[0]["status"], "NOERROR");
    assert_eq!(docs[1]["status"], "NXDOMAIN");
    assert_eq!(docs[2]["status"], "ERROR");
    assert_eq!(docs[2]["exit"], 2);
    assert_eq!(docs[3]["type"], "MX");
}

#[test]
fn a_batch_query_lost_once_is_sent_again_and_answered() {
    // Ignore the first copy of every question; answer the second.
    let seen = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let server = fake(move |q| {
        let key = (q.metadata.id, qname(q).to_ascii());
        if seen.lock().unwrap().insert(key) {
            return Vec::new();
        }
        vec![a_reply(q, [10, 0, 0, 9])]
    });
    let names: String = (0..20).map(|i| format!("lossy{i}.test\n")).collect();
    let out = resolve(server.addr, &["--batch", "-", "--attempts", "2"])
        .write_stdin(names)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 20);
    assert!(
        text.lines().all(|l| l.ends_with("\tNOERROR\t10.0.0.9")),
        "{text}"
    );
    assert_eq!(server.queries.load(Ordering::SeqCst), 40);
}

#[test]
fn a_silent_server_fails_every_batch_line_with_75() {
    let server = fake(|_| Vec::new());
    let out = resolve(server.addr, &["--batch", "-", "--attempts", "1"])
        .write_stdin("a.test\nb.test\n")
        .assert()
        .code(75)
        .get_output()
        .stdout
        .clone();
    let want = format!(
        "a.test\tA\tERROR\tno reply from {0} (1 attempt of 0.3s each)\n\
         b.test\tA\tERROR\tno reply from {0} (1 attempt of 0.3s each)\n",
        server.addr
    );
    assert_eq!(String::from_utf8(out).unwrap(), want);
}

#[test]
fn a_servfail_sends_the_question_to_the_next_server() {
    let failing = rcode_server(ResponseCode::ServFail);
    let good = fake(|q| vec![a_reply(q, [10, 0, 0, 8])]);
    mailkit()
        .args(["resolve", "failover.test", "--json", "--timeout", "0.3"])
        .args(servers(&[&failing, &good]))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "\"server\":\"{}\"",
            good.addr
        )));
    assert_eq!(failing.queries.load(Ordering::SeqCst), 1);
    // When every server fails, the last failure is shown and the status is 75.
    let other = rcode_server(ResponseCode::Refused);
    mailkit()
        .args(["resolve", "failover.test", "--timeout", "0.3"])
        .args(servers(&[&failing, &other]))
        .assert()
        .code(75)
        .stdout(predicate::str::contains("status: REFUSED"));
}
