//! No input makes `message::inspect` or its accessors panic: every fixture, mutated thousands of
//! times (bytes flipped, lines cut, boundaries and headers spliced in), goes through the whole
//! library API. Seeded, so a failure reproduces.

use std::{fs, path::PathBuf};

use mailkit::message::{self, names};

const SPLICES: &[&[u8]] = &[
    b"\n--b\n",
    b"\n--b--\n",
    b"\nContent-Type: multipart/mixed; boundary=b\n\n",
    b"\nContent-Type: message/rfc822\n\n",
    b"\nContent-Transfer-Encoding: base64\n",
    b"\nContent-Transfer-Encoding: quoted-printable\n\n=",
    b"=?UTF-8?B?",
    b"?=",
    b"; filename*0*=UTF-8''%FF%2F..; filename*1=x",
    b"\r\n\r\n",
    b"\nReceived: from (([[;",
    b"\0\xff\xfe",
];

fn mutate(rng: &mut fastrand::Rng, input: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..rng.usize(1..6) {
        if bytes.is_empty() {
            bytes.extend_from_slice(b"A: b\n");
        }
        let at = rng.usize(..bytes.len());
        match rng.u8(..5) {
            0 => bytes[at] = rng.u8(..),
            1 => bytes.truncate(at.max(1)),
            2 => {
                let splice = SPLICES[rng.usize(..SPLICES.len())];
                bytes.splice(at..at, splice.iter().copied());
            }
            3 => {
                let end = (at + rng.usize(..64)).min(bytes.len());
                bytes.drain(at..end);
            }
            _ => {
                let end = (at + rng.usize(..200)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
    bytes
}

#[test]
fn mutated_messages_never_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parse");
    let mut fixtures = Vec::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "eml") {
            fixtures.push(fs::read(&path).unwrap());
        }
    }
    assert!(fixtures.len() >= 5);
    let mut rng = fastrand::Rng::with_seed(0x006d_6169_6c6b_6974);
    let mut parsed = 0;
    for round in 0..20_000 {
        let input = mutate(&mut rng, &fixtures[round % fixtures.len()]);
        let Ok(msg) = message::inspect(&input, "mutant", round) else {
            continue;
        };
        parsed += 1;
        let view = msg.view();
        assert_eq!(view.parts.first().map(|p| p.id.as_str()), Some("1"));
        for part in &view.parts {
            let mut content = Vec::new();
            let written = msg.write_part(&part.id, &mut content);
            assert!(matches!(written, Some(Ok(_))), "part {}", part.id);
        }
        msg.best_text();
        for attachment in msg.attachments() {
            let name = names::safe_name(attachment.filename.as_deref().unwrap_or(""), "x");
            assert!(!name.contains(['/', '\\']) && !name.contains("..") && !name.is_empty());
        }
        serde_json::to_string(view).unwrap();
    }
    assert!(parsed > 15_000, "only {parsed} mutants parsed");
}
