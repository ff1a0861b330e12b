//! Golden tests of `mailkit parse`: fixture messages under tests/fixtures/parse/ and the exact
//! output expected for each view. `MAILKIT_BLESS=1 cargo test --test cli parse::` rewrites the
//! expected files from the current output; review every change by eye before committing.
//!
//! JSON expectations are stored pretty-printed (one array of documents per file) so they can
//! be read; the test also checks that stdout really is one compact JSON document per line.

use std::{fs, path::PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parse")
}

fn bless() -> bool {
    std::env::var_os("MAILKIT_BLESS").is_some_and(|v| v == "1")
}

/// Runs `mailkit parse ARGS` in the fixtures directory (so `source` fields are relative).
fn parse(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("mailkit")
        .unwrap()
        .current_dir(fixtures())
        .arg("parse")
        .args(args)
        .output()
        .unwrap()
}

/// [`parse`], returning stdout after asserting the exit code.
fn run(args: &[&str], code: i32) -> Vec<u8> {
    let output = parse(args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "mailkit parse {args:?}: stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Compares `actual` with the expected file `name`, or writes it when blessing.
fn check_bytes(name: &str, actual: &[u8]) {
    let path = fixtures().join("expected").join(name);
    if bless() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read(&path)
        .unwrap_or_else(|err| panic!("{}: {err} (MAILKIT_BLESS=1 creates it)", path.display()));
    assert!(
        expected == actual,
        "{name} differs:\n--- expected\n{}\n--- actual\n{}",
        String::from_utf8_lossy(&expected),
        String::from_utf8_lossy(actual)
    );
}

fn check_json(name: &str, stdout: &[u8]) {
    let text = std::str::from_utf8(stdout).unwrap();
    let docs: Vec<Value> = text
        .lines()
        .map(|line| {
            assert!(!line.trim().is_empty(), "empty line in JSON Lines output");
            serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}"))
        })
        .collect();
    assert!(text.ends_with('\n') || text.is_empty());
    let mut pretty = serde_json::to_string_pretty(&Value::Array(docs)).unwrap();
    pretty.push('\n');
    check_bytes(name, pretty.as_bytes());
}

/// (fixture arguments, expected file, exit code). Text views are compared byte for byte.
const TEXT_CASES: &[(&[&str], &str, i32)] = &[
    (&["simple.eml"], "simple.txt", 0),
    (&["--headers", "simple.eml"], "simple.headers.txt", 0),
    (&["--received", "simple.eml"], "simple.received.txt", 0),
    (
        &["--header", "subject", "simple.eml"],
        "simple.subject.txt",
        0,
    ),
    (
        &["--header", "Received", "simple.eml"],
        "simple.header-received.txt",
        0,
    ),
    (&["--text", "simple.eml"], "simple.text.txt", 0),
    (&["multipart.eml"], "multipart.txt", 0),
    (&["--text", "multipart.eml"], "multipart.text.txt", 0),
    (
        &["--part", "1.4.1", "multipart.eml"],
        "multipart.part-1.4.1.txt",
        0,
    ),
    (
        &["--part", "1.4", "multipart.eml"],
        "multipart.part-1.4.eml",
        0,
    ),
    (
        &["--part", "1.1.1", "multipart.eml"],
        "multipart.part-1.1.1.txt",
        0,
    ),
    (
        &["--part", "1.2", "multipart.eml"],
        "multipart.part-1.2.png",
        0,
    ),
    (&["--text", "html-only.eml"], "html-only.text.txt", 0),
    (&["html-only.eml"], "html-only.txt", 0),
    (&["broken.eml"], "broken.txt", 0),
    (&["hostile-names.eml"], "hostile-names.txt", 0),
    (&["mailbox.mbox"], "mailbox.txt", 65),
    (
        &["--part", "1", "-M", "1", "mailbox.mbox"],
        "mailbox.1.txt",
        0,
    ),
    (
        &["--header", "Subject", "mailbox.mbox"],
        "mailbox.subjects.txt",
        65,
    ),
    (&["maildir"], "maildir.txt", 0),
    (&["--tree", "multipart.eml"], "multipart.tree.txt", 0),
    (&["--tree", "mailbox.mbox"], "mailbox.tree.txt", 65),
];

/// (arguments, expected file, exit code) for `--json` views.
const JSON_CASES: &[(&[&str], &str, i32)] = &[
    (&["simple.eml"], "simple.json", 0),
    (&["--headers", "simple.eml"], "simple.headers.json", 0),
    (&["--received", "simple.eml"], "simple.received.json", 0),
    (
        &["--header", "To", "simple.eml"],
        "simple.header-to.json",
        0,
    ),
    (&["multipart.eml"], "multipart.json", 0),
    (&["--text", "multipart.eml"], "multipart.text.json", 0),
    (&["html-only.eml"], "html-only.json", 0),
    (&["broken.eml"], "broken.json", 0),
    (&["hostile-names.eml"], "hostile-names.json", 0),
    (&["mailbox.mbox"], "mailbox.json", 65),
    (&["maildir"], "maildir.json", 0),
    (&["--tree", "multipart.eml"], "multipart.tree.json", 0),
];

#[test]
fn text_views_match_golden_files() {
    for &(args, expected, code) in TEXT_CASES {
        let stdout = run(args, code);
        check_bytes(expected, &stdout);
    }
}

#[test]
fn json_views_match_golden_files() {
    for &(args, expected, code) in JSON_CASES {
        let mut full = vec!["--json"];
        full.extend_from_slice(args);
        let stdout = run(&full, code);
        check_json(expected, &stdout);
    }
}

#[test]
fn every_json_document_has_the_documented_fields() {
    let stdout = run(&["--json", "multipart.eml", "simple.eml", "maildir"], 0);
    let text = String::from_utf8(stdout).unwrap();
    let docs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(docs.len(), 4);
    let fields = [
        "source",
        "index",
        "size",
        "subject",
        "from",
        "to",
        "cc",
        "reply_to",
        "date",
        "message_id",
        "headers",
        "parts",
        "received",
        "warnings",
    ];
    for doc in &docs {
        let object = doc.as_object().unwrap();
        for field in fields {
            assert!(object.contains_key(field), "missing {field} in {doc}");
        }
        for part in doc["parts"].as_array().unwrap() {
            for field in [
                "id",
                "content_type",
                "charset",
                "encoding",
                "disposition",
                "filename",
                "size",
            ] {
                assert!(part.get(field).is_some(), "part lacks {field}: {part}");
            }
        }
    }
    let indices: Vec<u64> = docs.iter().map(|d| d["index"].as_u64().unwrap()).collect();
    assert_eq!(indices, vec![1, 1, 1, 2]);
}

/// The tree sections of the default view's output, with its `==>` headings and the blank
/// lines between messages: what `--tree` prints for the same inputs.
fn tree_sections(default_view: &str) -> String {
    let mut out = String::new();
    let mut in_tree = false;
    for line in default_view.lines() {
        if line.starts_with("==> ") {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
            out.push('\n');
            in_tree = false;
        } else if line == "MIME tree:" {
            in_tree = true;
        } else if in_tree && line.is_empty() {
            in_tree = false;
        } else if in_tree {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn the_tree_view_is_the_tree_of_the_default_view() {
    for (inputs, code) in [
        (&["simple.eml"][..], 0),
        (&["multipart.eml"], 0),
        (&["html-only.eml"], 0),
        (&["broken.eml"], 0),
        (&["hostile-names.eml"], 0),
        (&["mailbox.mbox"], 65),
        (&["maildir"], 0),
        (&["simple.eml", "multipart.eml"], 0),
    ] {
        let default_view = String::from_utf8(run(inputs, code)).unwrap();
        let mut args = vec!["--tree"];
        args.extend_from_slice(inputs);
        let tree = String::from_utf8(run(&args, code)).unwrap();
        assert!(tree.contains("  1  "), "{inputs:?}: {tree}");
        assert_eq!(tree, tree_sections(&default_view), "{inputs:?}");
        // The JSON form lists the same parts as the full document.
        let mut json_args = vec!["--json"];
        json_args.extend_from_slice(&args);
        let full: Vec<Value> = String::from_utf8(run(
            &["--json"].iter().chain(inputs).copied().collect::<Vec<_>>(),
            code,
        ))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
        let trees: Vec<Value> = String::from_utf8(run(&json_args, code))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(trees.len(), full.len(), "{inputs:?}");
        for (tree, full) in trees.iter().zip(&full) {
            assert_eq!(tree["parts"], full["parts"], "{inputs:?}");
            assert_eq!(tree["index"], full["index"], "{inputs:?}");
            assert_eq!(tree.as_object().unwrap().len(), 3, "{tree}");
        }
    }
}

#[test]
fn the_mbox_is_unquoted_mboxrd() {
    let stdout = run(&["--part", "1", "-M", "1", "mailbox.mbox"], 0);
    assert_eq!(
        String::from_utf8(stdout).unwrap(),
        "From the start, mboxrd quoting.\n>From two levels.\n> From not quoted.\n"
    );
}

#[test]
fn stdin_is_read_when_no_input_or_dash_is_given() {
    let mbox = fs::read(fixtures().join("mailbox.mbox")).unwrap();
    for args in [
        &["--header", "subject"][..],
        &["--header", "subject", "-"][..],
    ] {
        let output = Command::cargo_bin("mailkit")
            .unwrap()
            .arg("parse")
            .args(args)
            .write_stdin(mbox.clone())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(65));
        assert_eq!(
            String::from_utf8(output.stdout).unwrap(),
            "first\nsecond\nthird\n"
        );
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr, "mailkit: error: parsing - #3: empty message\n");
    }
}

#[test]
fn absent_headers_and_parts_exit_1() {
    for args in [
        &["--header", "X-Nothing", "simple.eml"][..],
        &["--part", "1.9", "multipart.eml"][..],
        &["--part", "../1", "multipart.eml"][..],
    ] {
        let output = parse(args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(output.stdout.is_empty());
        assert!(
            String::from_utf8(output.stderr)
                .unwrap()
                .starts_with("mailkit: ")
        );
    }
}

#[test]
fn many_messages_come_out_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut mbox = String::new();
    for i in 1..=3000 {
        // Uneven sizes, so that parallel workers finish out of order.
        let body = "x".repeat((i * 7919) % 20_000);
        mbox.push_str(&format!("From a\nSubject: m{i}\n\n{body}\n\n"));
    }
    let path = dir.path().join("order.mbox");
    fs::write(&path, mbox).unwrap();
    let output = Command::cargo_bin("mailkit")
        .unwrap()
        .args(["parse", "--header", "subject"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let want: String = (1..=3000).map(|i| format!("m{i}\n")).collect();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), want);
}

#[test]
fn a_message_number_beyond_the_last_exits_1_like_an_absent_part() {
    let output = parse(&["-M", "5", "mailbox.mbox"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "mailkit: mailbox.mbox: no message 5\n"
    );
    let output = parse(&["-M", "2", "simple.eml"]);
    assert_eq!(output.status.code(), Some(1));
    run(&["-M", "4", "--header", "subject", "mailbox.mbox"], 0);
}

#[test]
fn a_directory_where_a_file_is_expected_is_missing_input_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().to_str().unwrap();
    let mailkit = || Command::cargo_bin("mailkit").unwrap();
    let send = [
        "send",
        "--server",
        "127.0.0.1:9",
        "--from",
        "a@b.test",
        "--to",
        "c@d.test",
    ];
    mailkit().args(send).arg(dir).assert().code(66);
    mailkit()
        .args(send)
        .args(["--body", "x", "--attach", dir])
        .assert()
        .code(66);
    mailkit().args(["parse", dir]).assert().code(66);
}
