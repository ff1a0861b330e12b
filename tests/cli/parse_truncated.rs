//! An mbox that another program truncates while `parse` reads it (a mail client rewriting its
//! spool): `parse` maps the file, so the next read of a page past the new end faults. The user
//! must get one error line and the exit code of an unreadable input, not a silent SIGBUS.

use std::{
    fs::OpenOptions,
    io::{Read, Write},
    os::unix::process::ExitStatusExt,
    process::{Command, Stdio},
};

use assert_cmd::cargo::cargo_bin;

#[test]
fn an_mbox_truncated_while_parsed_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spool.mbox");
    let mut mbox = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for n in 0..30_000 {
        write!(
            mbox,
            "From a@example.test Thu Aug 22 12:46:18 2002\nFrom: a@example.test\n\
             Subject: message {n}\n\nbody of message {n}\n\n"
        )
        .unwrap();
    }
    mbox.into_inner().unwrap().sync_all().unwrap();

    let mut child = Command::new(cargo_bin("mailkit"))
        .args(["parse", "--tree"])
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The output of 30,000 messages is far more than a pipe holds: mailkit is now blocked
    // writing, with most of the mbox not yet read.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 4096];
    stdout.read_exact(&mut first).unwrap();
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(0)
        .unwrap();
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();

    assert_eq!(
        status.signal(),
        None,
        "killed by a signal; stderr: {stderr}"
    );
    assert_eq!(status.code(), Some(66), "stderr: {stderr}");
    assert_eq!(
        stderr,
        "mailkit: error: an input file was truncated while being read (another program \
         rewrote it): run again once it is done\n"
    );
    assert!(
        rest.len() < 30_000 * 40,
        "all messages were shown although the file was emptied"
    );
}
