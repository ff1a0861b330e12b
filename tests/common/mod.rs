//! Shared by integration tests: the real-server test bed started by `tests/run.sh`.
#![allow(dead_code)]

use std::{collections::HashMap, fs, path::PathBuf};

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
}
