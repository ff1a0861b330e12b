//! Runs mailkit on a pseudo-terminal (util-linux `script`), for the prompts and pickers that
//! appear only when stdin is a terminal.

use std::{
    io::Write,
    process::{Command, Stdio},
    time::Duration,
};

/// Runs `mailkit ARGS` (the whole command line after the binary, already shell-quoted) with
/// `MAILKIT_PASSWORD` set, typing `keys` once the picker is up; returns the exit status and
/// everything the terminal showed.
pub fn at_a_terminal(args: &str, keys: &[u8]) -> (i32, String) {
    let command = format!(
        "{} {args}",
        assert_cmd::cargo::cargo_bin("mailkit").display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("MAILKIT_PASSWORD", "secret")
        .env("HOME", "/nonexistent")
        .env("TERM", "xterm")
        .env_remove("MAILKIT_ACCOUNTS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script (util-linux)");
    let mut stdin = child.stdin.take().unwrap();
    let keys = keys.to_vec();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        let _ = stdin.write_all(&keys);
        std::thread::sleep(Duration::from_millis(3000));
    });
    let out = child.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.code().unwrap_or(-1), shown)
}
