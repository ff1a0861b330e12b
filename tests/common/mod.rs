//! Shared by integration tests: the real-server test bed started by `tests/run.sh`.
#![allow(dead_code)]

use std::{
    collections::HashMap,
    fs,
    os::unix::fs::{PermissionsExt, chown},
    path::{Path, PathBuf},
    sync::atomic::{AtomicUsize, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

/// The running test bed, read from `$MAILKIT_TESTBED/env` (written by tests/testbed/up.sh).
pub struct TestBed {
    vars: HashMap<String, String>,
}

impl TestBed {
    /// The test bed; panics with instructions when the tests were not started by tests/run.sh,
    /// so a real-server test can never pass by skipping.
    pub fn get() -> TestBed {
        let state = std::env::var("MAILKIT_TESTBED").unwrap_or_else(|_| {
            panic!("this test needs the real-server test bed: run it with tests/run.sh")
        });
        let text = fs::read_to_string(PathBuf::from(&state).join("env"))
            .unwrap_or_else(|err| panic!("reading {state}/env: {err}; is the test bed up?"));
        let vars = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
            .collect();
        TestBed { vars }
    }

    /// A variable of the test bed's env file (see tests/testbed/README.md).
    pub fn var(&self, name: &str) -> &str {
        self.vars
            .get(name)
            .unwrap_or_else(|| panic!("test bed env has no {name}"))
    }

    /// A path variable of the test bed's env file.
    pub fn path(&self, name: &str) -> PathBuf {
        PathBuf::from(self.var(name))
    }

    /// Stores messages (LF line ends) as files in the Maildir `maildir`, in order, owned by the
    /// bed's mail user as a local delivery would leave them, so Dovecot serves them as found.
    pub fn fill_maildir(&self, maildir: &Path, messages: &[Vec<u8>]) {
        static SERIAL: AtomicUsize = AtomicUsize::new(0);
        let uid: u32 = self.var("MAIL_UID").parse().unwrap();
        let gid: u32 = self.var("MAIL_GID").parse().unwrap();
        for (i, body) in messages.iter().enumerate() {
            let n = SERIAL.fetch_add(1, Ordering::Relaxed);
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            let name = format!(
                "{}.M{}P{}Q{n}_{i}.mailkit-test",
                now.as_secs(),
                now.subsec_micros(),
                std::process::id()
            );
            let tmp = maildir.join("tmp").join(&name);
            fs::write(&tmp, body).unwrap();
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644)).unwrap();
            chown(&tmp, Some(uid), Some(gid)).unwrap();
            fs::rename(&tmp, maildir.join("new").join(&name)).unwrap();
        }
    }
}

/// The message as it travels on the wire: every LF as CRLF (stores keep LF, protocols send CRLF).
pub fn crlf(lf: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in lf {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// The contents of every file in a Maildir subdirectory, sorted, to compare with what was sent.
pub fn files_in(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<Vec<u8>> = fs::read_dir(dir)
        .unwrap()
        .map(|e| fs::read(e.unwrap().path()).unwrap())
        .collect();
    files.sort();
    files
}

/// A command's `--json` output read back as one value per line (JSON Lines).
pub fn json_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
