//! Hostile and broken input for `mailkit parse`: each gets output or a clear one-line error
//! with its documented exit code, never a panic or a stack overflow. Big inputs are generated
//! here, not committed.

use std::{
    fs,
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Command as StdCommand, Stdio},
};

use assert_cmd::{Command, cargo::cargo_bin};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parse")
        .join(name)
}

struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

fn parse(args: &[&str], files: &[&Path]) -> Run {
    let output = Command::cargo_bin("mailkit")
        .unwrap()
        .arg("parse")
        .args(args)
        .args(files)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    Run {
        code: output.status.code(),
        stdout: output.stdout,
        stderr,
    }
}

fn json(args: &[&str], file: &Path) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let run = parse(&all, &[file]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    serde_json::from_slice(&run.stdout).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

fn codes(doc: &Value) -> Vec<String> {
    doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn unreadable_or_non_message_inputs_exit_with_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.eml", b"");
    let blank = write(dir.path(), "blank.eml", b"\n\r\n  \n");
    let mut binary_bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    binary_bytes.extend((0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let binary = write(dir.path(), "binary.eml", &binary_bytes);
    let not_maildir = dir.path().join("plain-dir");
    fs::create_dir(&not_maildir).unwrap();
    let missing = dir.path().join("missing.eml");
    let cases: [(&Path, i32, &str); 5] = [
        (&empty, 65, "empty input"),
        (&blank, 65, "empty message"),
        (&binary, 65, "not a message"),
        (&not_maildir, 66, "not a Maildir"),
        (&missing, 66, "No such file"),
    ];
    for (path, code, text) in cases {
        let run = parse(&[], &[path]);
        assert_eq!(run.code, Some(code), "{}: {}", path.display(), run.stderr);
        assert!(run.stdout.is_empty());
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(
            run.stderr.starts_with("mailkit: error: ") && run.stderr.contains(text),
            "{}",
            run.stderr
        );
    }
    // Several inputs: the good one is still shown, the status is the most serious problem.
    let run = parse(
        &["--header", "subject"],
        &[&missing, &fixture("simple.eml"), &empty],
    );
    assert_eq!(run.code, Some(66));
    assert_eq!(
        String::from_utf8(run.stdout).unwrap(),
        "Do you like ketchup? \u{1f354} (and pickles)\n"
    );
}

#[test]
fn every_truncation_of_a_message_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let full = fs::read(fixture("multipart.eml")).unwrap();
    let colon = full.iter().position(|&b| b == b':').unwrap();
    for cut in (1..full.len()).step_by(13) {
        let path = write(dir.path(), "cut.eml", &full[..cut]);
        let run = parse(&["--json"], &[&path]);
        if cut <= colon {
            // Not even one header field name: refused as not a message.
            assert_eq!(run.code, Some(65), "cut at {cut}: {}", run.stderr);
            continue;
        }
        assert_eq!(run.code, Some(0), "cut at {cut}: {}", run.stderr);
        let doc: Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(doc["size"], cut);
    }
    // Cut inside the PNG's base64: the tree is there and the truncation is reported.
    let at = full.windows(8).position(|w| w == b"AABJRU5E").unwrap();
    let path = write(dir.path(), "cut.eml", &full[..at + 3]);
    let doc = json(&[], &path);
    assert_eq!(doc["parts"][4]["content_type"], "image/png");
    let warnings = codes(&doc);
    assert!(
        warnings.contains(&"unterminated-multipart".to_owned()),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&"invalid-base64".to_owned()),
        "{warnings:?}"
    );
}

fn deep_multipart(levels: usize, closed: bool) -> Vec<u8> {
    let mut raw = b"From: a@example.org\nSubject: deep\n".to_vec();
    for i in 0..levels {
        write!(
            raw,
            "Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n"
        )
        .unwrap();
    }
    raw.extend_from_slice(b"Content-Type: text/plain\n\nleaf\n");
    if closed {
        for i in (0..levels).rev() {
            writeln!(raw, "--b{i}--").unwrap();
        }
    }
    raw
}

fn assert_depth_limited(doc: &Value) {
    let parts = doc["parts"].as_array().unwrap();
    assert_eq!(parts.len(), mailkit::message::MAX_DEPTH);
    let deepest = parts.iter().map(|p| p["depth"].as_u64().unwrap()).max();
    assert_eq!(deepest, Some(mailkit::message::MAX_DEPTH as u64 - 1));
    assert!(codes(doc).contains(&"too-deep".to_owned()));
}

#[test]
fn twenty_thousand_levels_of_nesting_are_cut_at_the_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    for closed in [true, false] {
        let path = write(dir.path(), "deep.eml", &deep_multipart(20_000, closed));
        assert_depth_limited(&json(&[], &path));
    }
    let mut chain = b"From: a@example.org\nSubject: forwarded forever\n".to_vec();
    for _ in 0..20_000 {
        chain.extend_from_slice(b"Content-Type: message/rfc822\n\nSubject: again\n");
    }
    chain.extend_from_slice(b"\nleaf\n");
    let path = write(dir.path(), "chain.eml", &chain);
    assert_depth_limited(&json(&[], &path));
    // The text view of the same input works too.
    let run = parse(&[], &[&path]);
    assert_eq!(run.code, Some(0));
    assert!(
        String::from_utf8(run.stdout)
            .unwrap()
            .contains("MIME nesting deeper than")
    );
}

#[test]
fn a_hundred_thousand_parts_are_all_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = b"From: a@example.org\nContent-Type: multipart/mixed; boundary=b\n\n".to_vec();
    for i in 0..100_000 {
        write!(raw, "--b\nContent-Type: text/plain\n\n{i}\n").unwrap();
    }
    raw.extend_from_slice(b"--b--\n");
    let path = write(dir.path(), "many.eml", &raw);
    let doc = json(&[], &path);
    let parts = doc["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 100_001);
    assert_eq!(parts[100_000]["id"], "1.100000");
    assert_eq!(parts[100_000]["size"], 5);
    assert!(codes(&doc).is_empty());
}

#[test]
fn a_fifty_megabyte_header_is_parsed() {
    const SIZE: usize = 50 << 20;
    let dir = tempfile::tempdir().unwrap();
    let mut raw = b"From: a@example.org\nSubject: ".to_vec();
    raw.resize(raw.len() + SIZE, b'x');
    raw.extend_from_slice(b"\n\nbody\n");
    let path = write(dir.path(), "big.eml", &raw);
    let doc = json(&[], &path);
    assert_eq!(doc["subject"].as_str().unwrap().len(), SIZE);

    let mut folded = b"From: a@example.org\nX-Folded: ".to_vec();
    while folded.len() < SIZE {
        folded.extend_from_slice(b"word\n ");
    }
    folded.extend_from_slice(b"end\n\nbody\n");
    let path = write(dir.path(), "folded.eml", &folded);
    let run = parse(&["--header", "x-folded"], &[&path]);
    assert_eq!(run.code, Some(0));
    let value = String::from_utf8(run.stdout).unwrap();
    assert!(value.starts_with("word word ") && value.ends_with(" end\n"));
}

#[test]
fn hostile_attachment_names_stay_inside_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("same.txt"), b"precious").unwrap();
    let run = parse(
        &["--extract", out.to_str().unwrap()],
        &[&fixture("hostile-names.eml")],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let stdout = String::from_utf8(run.stdout).unwrap();
    let mut reported = Vec::new();
    for line in stdout.lines() {
        let (id, path) = line.split_once('\t').unwrap();
        let path = Path::new(path);
        assert_eq!(path.parent(), Some(out.as_path()), "{line}");
        reported.push((
            id.to_owned(),
            path.file_name().unwrap().to_str().unwrap().to_owned(),
        ));
    }
    let long = format!("{}.txt", "a".repeat(196));
    let want: Vec<(String, String)> = [
        ("1.1", "bashrc"),
        ("1.2", "passwd"),
        ("1.3", "x.bat"),
        ("1.4", "x"),
        ("1.5", "evil_[2J_name.txt"),
        ("1.6", "report_txt.exe"),
        ("1.7", long.as_str()),
        ("1.8", "part-1.8.txt"),
        ("1.9", "same (1).txt"),
        ("1.10", "same (2).txt"),
        ("1.11", "from-content-type.txt"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(reported, want);
    assert_eq!(fs::read(out.join("same.txt")).unwrap(), b"precious");
    assert_eq!(fs::read(out.join("x.bat")).unwrap(), b"harmless\n");
    // Nothing was written anywhere but `out`.
    let mut outside: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    outside.sort();
    assert_eq!(outside, ["out"]);
    assert_eq!(fs::read_dir(&out).unwrap().count(), 12);

    // A second extraction never overwrites the first.
    let again = parse(
        &["--json", "--extract", out.to_str().unwrap()],
        &[&fixture("hostile-names.eml")],
    );
    assert_eq!(again.code, Some(0));
    let first: Value = serde_json::from_str(
        String::from_utf8(again.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["part"], "1.1");
    assert_eq!(first["filename"], "../../.bashrc");
    assert!(first["path"].as_str().unwrap().ends_with("/bashrc (1)"));
    assert_eq!(fs::read_dir(&out).unwrap().count(), 23);
}

#[test]
fn an_uncreatable_extraction_directory_exits_73() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "file", b"x");
    let run = parse(
        &["--extract", file.join("sub").to_str().unwrap()],
        &[&fixture("multipart.eml")],
    );
    assert_eq!(run.code, Some(73), "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("mailkit: error: extracting attachments: creating directory")
    );
    let run = parse(
        &["--extract", file.to_str().unwrap()],
        &[&fixture("multipart.eml")],
    );
    assert_eq!(run.code, Some(73), "{}", run.stderr);
}

#[test]
fn part_and_json_together_are_a_usage_error() {
    let run = parse(&["--json", "--part", "1"], &[&fixture("simple.eml")]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.starts_with("mailkit: error: --part"));
}

#[test]
fn terminal_text_never_carries_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "esc.eml",
        b"From: \x1b]0;owned\x07 <a@example.org>\nSubject: =?UTF-8?Q?=1B[2J_clear_=E2=80=AE?=\nContent-Type: text/plain; name=\"\x1b[31m.txt\"\n\nbody \x1b[5m blink\r\n",
    );
    for args in [
        &[][..],
        &["--headers"][..],
        &["--text"][..],
        &["--header", "subject"][..],
    ] {
        let run = parse(args, &[&path]);
        assert_eq!(run.code, Some(0), "{args:?}");
        let text = String::from_utf8(run.stdout).unwrap();
        assert!(
            !text
                .chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
            "{args:?}: {text:?}"
        );
        assert!(text.contains("\\x1b"), "{args:?}: {text:?}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut mbox = Vec::new();
    for i in 0..20_000 {
        write!(mbox, "From x\nSubject: message {i}\n\nbody\n\n").unwrap();
    }
    let path = write(dir.path(), "big.mbox", &mbox);
    let mut child = StdCommand::new(cargo_bin("mailkit"))
        .args(["parse", "--json"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"subject\":\"message 0\""));
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
