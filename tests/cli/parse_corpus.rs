//! A corpus no one here wrote: enmime's test messages (Debian package
//! golang-github-jhillyerd-enmime-dev), malformed ones included. Every file must be handled
//! without a panic, and the JSON must agree with what the files visibly contain.
//!
//! The test fails, never skips, when the corpus is missing: install the package
//! (`apt-get install golang-github-jhillyerd-enmime-dev`).

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use assert_cmd::Command;
use serde_json::Value;

const CORPUS: &str = "/usr/share/gocode/src/github.com/jhillyerd/enmime/testdata";

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Parses every corpus file in one run; returns the JSON documents by path relative to the
/// corpus root, and the error lines.
fn parse_corpus() -> (BTreeMap<String, Value>, Vec<String>, usize) {
    let root = Path::new(CORPUS);
    assert!(
        root.is_dir(),
        "the enmime corpus is missing at {CORPUS}: apt-get install golang-github-jhillyerd-enmime-dev"
    );
    let mut files = Vec::new();
    files_under(root, &mut files);
    files.sort();
    let relative: Vec<String> = files
        .iter()
        .map(|f| f.strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert!(relative.len() >= 90, "corpus too small: {}", relative.len());
    let output = Command::cargo_bin("mailkit")
        .unwrap()
        .current_dir(root)
        .args(["parse", "--json"])
        .args(&relative)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        matches!(output.status.code(), Some(0 | 65)),
        "status {:?}: {stderr}",
        output.status
    );
    let docs: BTreeMap<String, Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let doc: Value = serde_json::from_str(line).unwrap();
            (doc["source"].as_str().unwrap().to_owned(), doc)
        })
        .collect();
    let errors: Vec<String> = stderr.lines().map(str::to_owned).collect();
    (docs, errors, relative.len())
}

fn types(doc: &Value) -> Vec<&str> {
    doc["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["content_type"].as_str().unwrap())
        .collect()
}

fn part<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no part {id} in {doc}"))
}

fn warning_codes(doc: &Value) -> Vec<&str> {
    doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect()
}

#[test]
fn every_corpus_file_is_parsed_or_refused_cleanly() {
    let (docs, errors, files) = parse_corpus();
    // Each file is one message: either a document or one error line, never both or neither.
    assert_eq!(docs.len() + errors.len(), files, "errors: {errors:#?}");
    let refused: Vec<&str> = errors
        .iter()
        .map(|line| {
            line.strip_prefix("mailkit: error: parsing ")
                .and_then(|rest| rest.split(" #").next())
                .or_else(|| {
                    line.strip_prefix("mailkit: error: reading ")
                        .and_then(|rest| rest.strip_suffix(": empty input"))
                })
                .unwrap_or_else(|| panic!("unexpected error line: {line}"))
        })
        .collect();
    // Exactly the files that are plainly not mail are refused: a PNG, an empty file, a body
    // without headers, and the file enmime itself calls "Not an RFC-822 Document".
    assert_eq!(
        refused,
        [
            "attach/fake.png",
            "encode/part-content-only.golden",
            "encode/part-empty.golden",
            "mail/erroneous.raw"
        ]
    );
}

#[test]
fn json_agrees_with_what_the_corpus_files_contain() {
    let (docs, _, _) = parse_corpus();
    let doc = |name: &str| {
        docs.get(name)
            .unwrap_or_else(|| panic!("{name} was not parsed"))
    };

    let attachment = doc("mail/attachment.raw");
    assert_eq!(attachment["subject"], "Attachment");
    assert_eq!(
        types(attachment),
        ["multipart/mixed", "text/plain", "text/html"]
    );
    assert_eq!(part(attachment, "1.2")["filename"], "test.html");
    assert_eq!(part(attachment, "1.2")["disposition"], "attachment");

    let related = doc("mail/mime-mixed-related.raw");
    assert_eq!(related["subject"], "Multipart Mixed");
    assert_eq!(
        types(related),
        [
            "multipart/mixed",
            "multipart/related",
            "multipart/alternative",
            "text/html",
            "multipart/alternative",
            "text/html"
        ]
    );

    let qp = doc("mail/qp-utf8-header.raw");
    assert_eq!(qp["subject"], "MIME UTF8 Test \u{a2} More Text");
    assert_eq!(qp["date"], "2012-10-19T12:22:49-07:00");
    assert_eq!(qp["message_id"], "5081A889.3020108@jamehi03lx.noa.com");

    let recursed = doc("mail/qp-utf8-header-recursed.raw");
    assert_eq!(recursed["to"][0]["name"], "Miros\u{142}aw Marczak");
    assert_eq!(recursed["to"][0]["address"], "marczak@inbucket.com");

    let non_mime = doc("mail/non-mime.raw");
    assert_eq!(non_mime["subject"], "test Sun, 14 Oct 2012 16:09:01 -0700");
    assert_eq!(non_mime["from"][0]["name"], "James Hillyerd");
    assert_eq!(non_mime["from"][0]["address"], "james@hillyerd.com");
    assert_eq!(types(non_mime), ["text/plain"]);

    let only = doc("mail/attachment-only.raw");
    assert_eq!(types(only), ["image/jpeg"]);
    assert_eq!(part(only, "1")["filename"], "favicon.jpg");

    let signed = doc("mail/mime-signed.raw");
    assert_eq!(signed["subject"], "Multipart Signed");
    assert_eq!(part(signed, "1.1")["content_type"], "multipart/signed");
    assert_eq!(part(signed, "1.1.2")["filename"], "signature.asc");

    let eight_bit_name = doc("mail/mime-bad-8bit-filename.raw");
    assert_eq!(
        part(eight_bit_name, "1.2")["filename"],
        "\u{7ba1}\u{7406}.doc"
    );
    assert!(warning_codes(eight_bit_name).contains(&"8bit-header"));

    let duplicate = doc("mail/mime-duplicate-param.raw");
    assert_eq!(
        part(duplicate, "1.2")["filename"],
        "Invoice_302232133150612.pdf"
    );

    let bad_base64 = doc("low-quality/malformed-base64-attach.raw");
    assert_eq!(part(bad_base64, "1.2")["filename"], "some.doc");
    assert!(warning_codes(bad_base64).contains(&"invalid-base64"));

    let charset = doc("low-quality/unk-charset-part.raw");
    assert_eq!(part(charset, "1.1")["charset"], "fakescii");
    assert!(warning_codes(charset).contains(&"unknown-charset"));

    let start = doc("low-quality/bad-header-start.raw");
    assert_eq!(start["subject"], "plain text");

    let missing = doc("low-quality/missing-content-type.raw");
    assert_eq!(types(missing), ["text/plain"]);

    let unterminated = doc("parts/badboundary.raw");
    assert!(warning_codes(unterminated).contains(&"unterminated-multipart"));
}
