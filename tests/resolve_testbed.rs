//! `mailkit resolve` against the real DNS hierarchy of the test bed (knot root, nsd TLD, bind9
//! authoritative, unbound recursive as the namespace's resolv.conf). Run inside the namespace
//! by tests/run.sh; see tests/testbed/README.md for the zones.

mod common;

use std::collections::HashSet;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn bed() -> common::TestBed {
    common::TestBed::get()
}

/// `mailkit resolve ARGS` with a generous timeout: unbound takes about 2 s to give up on a
/// lame delegation the first time. Outside the test bed this panics before anything is sent,
/// so the host's resolver is never asked.
fn resolve(args: &[&str]) -> Command {
    bed();
    let mut cmd = Command::cargo_bin("mailkit").unwrap();
    cmd.arg("resolve").args(args).args(["--timeout", "5"]);
    cmd
}

fn json_lines(out: &[u8]) -> Vec<Value> {
    String::from_utf8(out.to_vec())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn json(args: &[&str], code: i32) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = resolve(&all)
        .assert()
        .code(code)
        .get_output()
        .stdout
        .clone();
    let mut docs = json_lines(&out);
    assert_eq!(docs.len(), 1, "one JSON document for {args:?}");
    docs.remove(0)
}

/// The `--trace --json` steps of an A lookup of `name` from the test bed's root hints file.
fn trace_steps(name: &str) -> Vec<Value> {
    let hints = bed().var("ROOT_HINTS").to_string();
    let out = resolve(&[name, "A", "--trace", "--root-hints", &hints, "--json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    json_lines(&out)
}

fn short(args: &[&str]) -> Vec<String> {
    let mut all = args.to_vec();
    all.push("--short");
    let out = resolve(&all).assert().code(0).get_output().stdout.clone();
    let mut lines: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn the_system_resolver_answers_mx_with_every_preference() {
    let doc = json(&["hamburger.test", "MX"], 0);
    assert_eq!(doc["server"], format!("{}:53", bed().var("DNS_RESOLVER")));
    assert_eq!(doc["header"]["flags"]["ra"], true);
    let mut data: Vec<String> = doc["answer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rr| rr["data"].as_str().unwrap().to_string())
        .collect();
    data.sort();
    assert_eq!(
        data,
        [
            "10 mx1.hamburger.test.",
            "20 mx2.hamburger.test.",
            "20 mx3.hamburger.test."
        ]
    );
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn the_authoritative_server_sets_aa_without_recursion() {
    let auth = format!("@{}", bed().var("DNS_AUTH"));
    let doc = json(&[&auth, "hamburger.test", "SOA", "--norecurse"], 0);
    assert_eq!(doc["header"]["flags"]["aa"], true);
    assert_eq!(doc["header"]["flags"]["rd"], false);
    assert_eq!(
        doc["answer"][0]["data"],
        "ns1.hamburger.test. hostmaster.hamburger.test. 2024010101 3600 600 86400 60"
    );
    assert_eq!(doc["answer"][0]["ttl"], 300);
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn every_record_type_of_the_zone_comes_back_in_presentation_form() {
    let bed = bed();
    let auth = format!("@{}", bed.var("DNS_AUTH"));
    let tlsa = format!("3 1 1 {}", bed.var("TLSA_311"));
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        ("mx1.hamburger.test", "A", vec!["127.25.0.1"]),
        ("www.hamburger.test", "AAAA", vec!["::1"]),
        ("hamburger.test", "NS", vec!["ns1.hamburger.test."]),
        ("alias.hamburger.test", "CNAME", vec!["mx1.hamburger.test."]),
        (
            "hamburger.test",
            "TXT",
            vec!["\"v=spf1 ip4:127.25.0.1 -all\""],
        ),
        (
            "hamburger.test",
            "CAA",
            vec![
                "0 iodef \"mailto:postmaster@hamburger.test\"",
                "0 issue \"ca.hamburger.test\"",
            ],
        ),
        (
            "_submission._tcp.hamburger.test",
            "SRV",
            vec!["0 1 587 mail.hamburger.test."],
        ),
        ("_25._tcp.mx1.hamburger.test", "TLSA", vec![tlsa.as_str()]),
        ("nullmx.hamburger.test", "MX", vec!["0 ."]),
        ("literal.hamburger.test", "MX", vec!["10 127.25.0.1."]),
        ("crepes.test", "MX", vec!["10 mx1.hamburger.test."]),
    ];
    for (name, rtype, want) in cases {
        assert_eq!(short(&[&auth, name, rtype]), want, "{name} {rtype} at bind");
        assert_eq!(short(&[name, rtype]), want, "{name} {rtype} via unbound");
    }
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn several_types_in_one_call_print_one_block_each() {
    resolve(&["www.hamburger.test", "A", "AAAA"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(";www.hamburger.test.\t\tIN\tA\n"))
        .stdout(predicate::str::contains(
            ";www.hamburger.test.\t\tIN\tAAAA\n",
        ))
        .stdout(predicate::str::contains(";; SERVER: 127.53.0.4:53 (UDP)"));
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn nxdomain_and_nodata_exit_1() {
    let nx = json(&["nosuch.hamburger.test", "A"], 1);
    assert_eq!(nx["header"]["rcode"], "NXDOMAIN");
    assert_eq!(nx["outcome"], "nxdomain");
    assert_eq!(nx["authority"][0]["type"], "SOA");
    let nodata = json(&["www.hamburger.test", "MX"], 1);
    assert_eq!(nodata["header"]["rcode"], "NOERROR");
    assert_eq!(nodata["outcome"], "nodata");
    assert_eq!(nodata["answer"].as_array().unwrap().len(), 0);
    resolve(&["nosuch.hamburger.test"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("status: NXDOMAIN"));
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn reverse_lookup_finds_the_ptr_of_127_25_0_1() {
    assert_eq!(short(&["-x", "127.25.0.1"]), ["mx1.hamburger.test."]);
    let auth = format!("@{}", bed().var("DNS_AUTH"));
    let doc = json(&[&auth, "-x", "127.53.0.3"], 0);
    assert_eq!(doc["question"][0]["name"], "3.0.53.127.in-addr.arpa.");
    assert_eq!(doc["question"][0]["type"], "PTR");
    assert_eq!(doc["answer"][0]["data"], "ns1.hamburger.test.");
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn a_truncated_answer_is_fetched_again_over_tcp() {
    let auth = format!("@{}", bed().var("DNS_AUTH"));
    let out = resolve(&[&auth, "big.hamburger.test", "TXT", "--json"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "the UDP answer from 127.53.0.3:53 was truncated; retrying over TCP",
        ))
        .get_output()
        .stdout
        .clone();
    let doc = &json_lines(&out)[0];
    assert_eq!(doc["transport"], "tcp");
    assert_eq!(doc["tcp_fallback"], true);
    let answers = doc["answer"].as_array().unwrap();
    assert_eq!(answers.len(), 20);
    assert!(
        answers
            .iter()
            .any(|rr| rr["data"].as_str().unwrap().starts_with("\"big-20-"))
    );
    // Asked over TCP from the start, there is nothing to retry.
    resolve(&[&auth, "big.hamburger.test", "TXT", "--tcp", "--short"])
        .assert()
        .code(0)
        .stderr("");
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn control_bytes_of_a_real_txt_record_are_escaped() {
    resolve(&["ctrl.hamburger.test", "TXT", "--short"])
        .assert()
        .code(0)
        .stdout("\"\\027[31mred\\007\"\n");
    let doc = json(&["ctrl.hamburger.test", "TXT"], 0);
    assert_eq!(doc["answer"][0]["data"], "\"\\027[31mred\\007\"");
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn servfail_from_a_lame_delegation_exits_75() {
    resolve(&["lame2.test", "MX"])
        .assert()
        .code(75)
        .stdout(predicate::str::contains("status: SERVFAIL"));
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn trace_follows_the_referrals_from_the_root_hints() {
    let bed = bed();
    let steps = trace_steps("mx1.hamburger.test");
    let path: Vec<(String, String, String)> = steps
        .iter()
        .map(|s| {
            (
                s["zone"].as_str().unwrap().to_string(),
                s["server"].as_str().unwrap().to_string(),
                s["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        path,
        [
            (
                ".".into(),
                "127.53.0.1:53".into(),
                "referral to test.".into()
            ),
            (
                "test.".into(),
                "127.53.0.2:53".into(),
                "referral to hamburger.test.".into()
            ),
            (
                "hamburger.test.".into(),
                "127.53.0.3:53".into(),
                "answer".into()
            ),
        ]
    );
    assert_eq!(steps[2]["response"]["answer"][0]["data"], "127.25.0.1");
    assert_eq!(steps[2]["response"]["header"]["flags"]["aa"], true);
    assert_eq!(steps[0]["response"]["header"]["flags"]["rd"], false);
    // The text form shows the same walk, and the addresses can replace the file.
    resolve(&[
        "mx1.hamburger.test",
        "--trace",
        "--root-hints",
        bed.var("DNS_ROOT"),
    ])
    .assert()
    .code(0)
    .stdout(predicate::str::contains("referral to test."))
    .stdout(predicate::str::contains("referral to hamburger.test."))
    .stdout(predicate::str::contains(
        "mx1.hamburger.test.     300  IN  A  127.25.0.1",
    ));
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn trace_follows_a_cname_into_another_zone_from_the_root() {
    let steps = trace_steps("registry.crepes.test");
    let kinds: Vec<(&str, &str)> = steps
        .iter()
        .map(|s| (s["server"].as_str().unwrap(), s["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("127.53.0.1:53", "referral to test."),
            ("127.53.0.2:53", "referral to crepes.test."),
            ("127.53.0.3:53", "answer"),
            ("127.53.0.1:53", "referral to test."),
            ("127.53.0.2:53", "answer"),
        ]
    );
    assert_eq!(steps[2]["response"]["answer"][0]["data"], "ns.nic.test.");
    assert_eq!(steps[4]["response"]["answer"][0]["data"], "127.53.0.2");
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn trace_ends_with_nxdomain_or_a_dead_server() {
    let hints = bed().var("ROOT_HINTS").to_string();
    resolve(&["nosuch.hamburger.test", "--trace", "--root-hints", &hints])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("NXDOMAIN"));
    resolve(&["www.lame.test", "--trace", "--root-hints", &hints])
        .assert()
        .code(75)
        .stdout(predicate::str::contains("referral to lame.test."))
        .stderr(predicate::str::contains("127.53.0.9:53"));
    resolve(&["www.lame2.test", "--trace", "--root-hints", &hints])
        .assert()
        .code(75)
        .stdout(predicate::str::contains("REFUSED"));
}

fn check(domain: &str, code: i32) -> Value {
    json(&[domain, "--check"], code)
}

fn host_names(doc: &Value) -> Vec<String> {
    doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect()
}

fn findings(value: &Value) -> Vec<String> {
    value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["finding"].as_str().unwrap().to_string())
        .collect()
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn check_orders_hosts_by_preference_with_addresses_and_ttls() {
    let doc = check("hamburger.test", 0);
    let hosts = host_names(&doc);
    assert_eq!(hosts[0], "mx1.hamburger.test.");
    let rest: HashSet<&str> = hosts[1..].iter().map(String::as_str).collect();
    assert_eq!(
        rest,
        HashSet::from(["mx2.hamburger.test.", "mx3.hamburger.test."])
    );
    assert_eq!(doc["hosts"][0]["addresses"][0], "127.25.0.1");
    assert!(doc["hosts"][0]["ttl"].as_u64().unwrap() <= 300);
    assert!(doc["hosts"][0]["address_ttl"].as_u64().unwrap() <= 300);
    assert_eq!(doc["route"], "hosts");
    assert!(findings(&doc).is_empty());
    assert_eq!(doc["name_servers"][0]["name"], "ns1.hamburger.test.");
    assert_eq!(doc["name_servers"][0]["authoritative"], true);
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn check_reports_every_mail_routing_case() {
    let nullmx = check("nullmx.hamburger.test", 0);
    assert_eq!(nullmx["route"], "null_mx");
    assert_eq!(findings(&nullmx), ["null_mx"]);

    let implicit = check("implicit.hamburger.test", 0);
    assert_eq!(findings(&implicit), ["implicit_mx"]);
    assert_eq!(implicit["hosts"][0]["implicit"], true);
    assert_eq!(implicit["hosts"][0]["addresses"][0], "127.25.0.1");

    let cname = check("cnamemx.hamburger.test", 0);
    assert_eq!(cname["hosts"][0]["name"], "alias.hamburger.test.");
    assert_eq!(findings(&cname["hosts"][0]), ["target_is_cname"]);
    assert_eq!(
        cname["hosts"][0]["findings"][0]["canonical"],
        "mx1.hamburger.test."
    );
    assert_eq!(cname["hosts"][0]["addresses"][0], "127.25.0.1");

    let noaddr = check("noaddr.hamburger.test", 0);
    assert_eq!(findings(&noaddr["hosts"][0]), ["no_address"]);
    assert_eq!(findings(&noaddr), ["no_usable_host"]);

    let literal = check("literal.hamburger.test", 0);
    assert_eq!(findings(&literal["hosts"][0]), ["target_is_ip_literal"]);
    assert_eq!(
        literal["hosts"][0]["addresses"].as_array().unwrap().len(),
        0
    );

    let fallback = check("fallback.hamburger.test", 0);
    assert_eq!(
        host_names(&fallback),
        ["dead.hamburger.test.", "mx1.hamburger.test."]
    );
    assert_eq!(fallback["hosts"][0]["addresses"][0], "127.25.0.2");

    let crepes = check("crepes.test", 0);
    assert_eq!(host_names(&crepes), ["mx1.hamburger.test."]);
    assert_eq!(crepes["zone"], "crepes.test.");

    let nx = check("nosuch.hamburger.test", 1);
    assert_eq!(nx["route"], "no_such_domain");
    assert_eq!(findings(&nx), ["nx_domain"]);
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn check_finds_lame_and_unreachable_name_servers() {
    let lame = check("lame.test", 75);
    assert_eq!(lame["zone"], "lame.test.");
    assert_eq!(
        findings(&lame),
        ["mx_lookup_failed", "unreachable_name_server"]
    );
    assert_eq!(lame["findings"][1]["address"], bed().var("DNS_LAME"));
    let lame2 = check("lame2.test", 75);
    assert_eq!(findings(&lame2), ["mx_lookup_failed", "lame_name_server"]);
    assert!(
        lame2["findings"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("REFUSED")
    );
    resolve(&["lame2.test", "--check"])
        .assert()
        .code(75)
        .stdout(predicate::str::contains(
            "! lame name server ns1.lame2.test. (127.53.0.3): answered REFUSED",
        ));
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn check_text_view_lists_hosts_in_sender_order() {
    resolve(&["hamburger.test", "--check"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "mail routing for hamburger.test.\n",
        ))
        .stdout(predicate::str::contains("1. mx1.hamburger.test.  MX 10"))
        .stdout(predicate::str::contains("127.25.0.1  TTL"))
        .stdout(predicate::str::contains("findings: none"));
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn mail_route_api_shuffles_equal_preferences_for_senders() {
    use mailkit::dns::{MailRoute, QueryOptions, Resolver};
    bed();
    let resolver = Resolver::system(&QueryOptions::default()).unwrap();
    let mut second = HashSet::new();
    for _ in 0..40 {
        let MailRoute::Hosts(hosts) = resolver.mail_route("hamburger.test").unwrap() else {
            panic!("hamburger.test has MX hosts");
        };
        assert_eq!(hosts[0].name, "mx1.hamburger.test.");
        assert_eq!(hosts[0].preference, 10);
        assert!(hosts[1..].iter().all(|h| h.preference == 20));
        second.insert(hosts[1].name.clone());
    }
    assert_eq!(second.len(), 2, "mx2 and mx3 both come second sometimes");
    assert!(matches!(
        resolver.mail_route("nullmx.hamburger.test").unwrap(),
        MailRoute::NullMx
    ));
    assert!(matches!(
        resolver.mail_route("nosuch.hamburger.test").unwrap(),
        MailRoute::NoSuchDomain
    ));
    let err = resolver.mail_route("lame2.test").unwrap_err();
    assert_eq!(err.kind().exit().code(), 75);
    assert!(err.to_string().contains("SERVFAIL"), "{err}");
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn batch_keeps_input_order_across_the_bench_zone() {
    let auth = format!("@{}", bed().var("DNS_AUTH"));
    // A scrambled order, with a missing name and a NODATA in the middle.
    let mut ids: Vec<u32> = (0..3000).map(|i| (i * 7919) % 10_000).collect();
    ids.dedup();
    let mut input: String = ids.iter().map(|i| format!("n{i}.bench.test\n")).collect();
    input.push_str("missing.bench.test\nn5.bench.test MX\nn6.bench.test\n");
    let out = resolve(&[&auth, "--batch", "-"])
        .write_stdin(input)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let lines: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut want: Vec<String> = ids
        .iter()
        .map(|i| {
            format!(
                "n{i}.bench.test\tA\tNOERROR\t127.60.{}.{}",
                i / 256,
                i % 256
            )
        })
        .collect();
    want.push("missing.bench.test\tA\tNXDOMAIN".into());
    want.push("n5.bench.test\tMX\tNOERROR".into());
    want.push("n6.bench.test\tA\tNOERROR\t127.60.0.6".into());
    assert_eq!(lines, want);
}

#[test]
#[ignore = "needs the real-server test bed: run tests/run.sh"]
fn batch_json_lines_through_the_system_resolver() {
    let out = resolve(&["--batch", "-", "--json"])
        .write_stdin("mx1.hamburger.test\nnosuch.hamburger.test\nhamburger.test MX\n")
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let docs = json_lines(&out);
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[0]["answer"][0]["data"], "127.25.0.1");
    assert_eq!(docs[1]["status"], "NXDOMAIN");
    assert_eq!(docs[2]["type"], "MX");
    assert_eq!(docs[2]["answer"].as_array().unwrap().len(), 3);
}
