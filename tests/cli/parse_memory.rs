//! `parse` of a message whose attachment is larger than the memory it may use: every view keeps
//! its peak resident set (GNU time's `%M`, which counts mapped file pages too) under 64 MiB
//! while the attachment is 96 MiB decoded (130 MB encoded), and `--part`/`--extract` still
//! produce the exact bytes. Before bodies were streamed, the tree alone took about 3x the
//! message size. benches/robust.sh measures the same for 1 GiB.

use std::{io::Write, path::Path, process::Command};

use assert_cmd::cargo::cargo_bin;
use base64::Engine as _;

const LIMIT_KIB: u64 = 64 * 1024;
/// The attachment is made of pieces of 57 KiB, 1,024 base64 lines of 76 columns each.
const PIECE: usize = 57 * 1024;
const ATTACHMENT: usize = PIECE * 1725;

/// Writes the message; [`attachment`] regenerates its attachment from the same seed.
fn write_message(path: &Path) {
    let file = std::fs::File::create(path).unwrap();
    let mut out = std::io::BufWriter::new(file);
    out.write_all(
        b"From: a@example.test\r\nSubject: big\r\nMIME-Version: 1.0\r\n\
          Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n\
          Content-Type: text/plain\r\n\r\nsee attached\r\n--b1\r\n\
          Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\
          Content-Disposition: attachment; filename=big.bin\r\n\r\n",
    )
    .unwrap();
    let mut rng = fastrand::Rng::with_seed(9);
    let mut raw = vec![0u8; PIECE];
    let mut line = String::new();
    for _ in 0..ATTACHMENT / PIECE {
        rng.fill(&mut raw);
        for chunk in raw.chunks(57) {
            line.clear();
            base64::engine::general_purpose::STANDARD.encode_string(chunk, &mut line);
            out.write_all(line.as_bytes()).unwrap();
            out.write_all(b"\r\n").unwrap();
        }
    }
    out.write_all(b"--b1--\r\n").unwrap();
    out.flush().unwrap();
}

fn attachment() -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(9);
    let mut all = vec![0u8; ATTACHMENT];
    for piece in all.chunks_mut(PIECE) {
        rng.fill(piece);
    }
    all
}

/// Runs mailkit under GNU time; returns stdout and the peak RSS in KiB.
fn measured(args: &[&str]) -> (Vec<u8>, u64) {
    let output = Command::new("/usr/bin/time")
        .args(["-f", "peak-rss-kib=%M"])
        .arg(cargo_bin("mailkit"))
        .args(args)
        .output()
        .expect("/usr/bin/time (Debian package time, installed by tests/run.sh)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{args:?}: {stderr}");
    let kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {stderr}"));
    (output.stdout, kib)
}

#[test]
fn a_huge_attachment_is_streamed_in_every_view() {
    let dir = tempfile::tempdir().unwrap();
    let message = dir.path().join("big.eml");
    write_message(&message);
    let message = message.to_str().unwrap();
    let extract = dir.path().join("out");
    let extract = extract.to_str().unwrap();
    let want = attachment();

    let (tree, kib) = measured(&["parse", message]);
    assert!(kib < LIMIT_KIB, "tree: peak RSS {kib} KiB");
    let tree = String::from_utf8(tree).unwrap();
    assert!(tree.contains(&format!("{ATTACHMENT} B")), "{tree}");

    let (json, kib) = measured(&["parse", "--json", message]);
    assert!(kib < LIMIT_KIB, "--json: peak RSS {kib} KiB");
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["parts"][2]["size"], ATTACHMENT);

    let (text, kib) = measured(&["parse", "--text", message]);
    assert!(kib < LIMIT_KIB, "--text: peak RSS {kib} KiB");
    assert_eq!(text, b"see attached\n");

    let (part, kib) = measured(&["parse", "--part", "1.2", message]);
    assert!(kib < LIMIT_KIB, "--part: peak RSS {kib} KiB");
    assert!(part == want, "--part: the decoded attachment differs");
    drop(part);

    // Piped in, the message is spooled to a file past 8 MiB rather than read into memory.
    let piped = Command::new("/usr/bin/time")
        .args([
            "-f",
            "peak-rss-kib=%M",
            "sh",
            "-c",
            "cat \"$1\" | \"$2\" parse --json -",
            "sh",
        ])
        .arg(message)
        .arg(cargo_bin("mailkit"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(piped.status.success(), "{stderr}");
    let kib: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    assert!(kib < LIMIT_KIB, "piped: peak RSS {kib} KiB");
    let json: serde_json::Value = serde_json::from_slice(&piped.stdout).unwrap();
    assert_eq!(json["parts"][2]["size"], ATTACHMENT);

    let (_, kib) = measured(&["parse", "--extract", extract, message]);
    assert!(kib < LIMIT_KIB, "--extract: peak RSS {kib} KiB");
    let saved = std::fs::read(Path::new(extract).join("big.bin")).unwrap();
    assert!(saved == want, "--extract: the saved attachment differs");
}
