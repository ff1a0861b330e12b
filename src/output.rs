//! The one writer of stdout and stderr: results ([`Printer`]), diagnostics ([`error`],
//! [`warning`], [`note`]), the `-v` protocol [`Transcript`], and the escaping of untrusted text
//! (message headers, server replies, DNS record data) before it reaches a terminal.

use std::{
    borrow::Cow,
    fmt::Write as _,
    io::{self, BufWriter, IsTerminal, StdoutLock, Write},
    sync::{Arc, Mutex},
};

use serde::Serialize;

/// Results go to stdout through this, either as text lines or as JSON documents; one place
/// decides buffering and format so every command behaves alike in a pipe.
pub struct Printer {
    json: bool,
    out: BufWriter<StdoutLock<'static>>,
}

impl Printer {
    /// A printer for stdout; `json` selects JSON (one document per result) over text.
    pub fn stdout(json: bool) -> Self {
        Printer {
            json,
            out: BufWriter::new(io::stdout().lock()),
        }
    }

    /// Whether results should be printed as JSON.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Writes one result as one line of JSON (JSON Lines when called repeatedly).
    pub fn json<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")
    }

    /// Writes one line of text; callers escape untrusted parts with [`escape_line`] first.
    pub fn line(&mut self, text: &str) -> io::Result<()> {
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\n")
    }

    /// Writes bytes unchanged (a decoded attachment, a fetched message) for redirection.
    pub fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)
    }

    /// Flushes buffered output; call before reporting success so a full disk is not silent.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Raw bytes streamed to stdout (`parse --part` of a large attachment), buffered like
/// [`Printer::raw`].
impl Write for Printer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A line for the person at the terminal, on stderr (the messages a prompt is about);
/// callers escape untrusted parts first.
pub fn terminal_line(text: &str) {
    let _ = writeln!(io::stderr(), "{text}");
}

/// A size as people read it: `512 B`, `1.5 KiB`, `23 MiB`, `1.1 GiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// `1 message`, `2 messages`: a count with its noun, for prompts and notes.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// While a prompt is on screen, Ctrl-C (and SIGTERM) must not leave the terminal with its
/// cursor hidden, as dialoguer leaves it when the signal kills the process: from the first
/// call on, those signals show the cursor again and end the process with 130, as a shell
/// expects after Ctrl-C. Nothing is half-done at that point: deletions happen only after
/// QUIT, and fetched messages only become visible once durable.
pub fn restore_terminal_on_interrupt() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        std::thread::spawn(move || {
            if signals.forever().next().is_some() {
                interrupted();
            }
        });
    });
}

/// Ends the process as Ctrl-C does, with the cursor shown again and the prompt's line left:
/// from the signal, or from a prompt whose read the signal interrupted first.
pub fn interrupted() -> ! {
    let _ = io::stderr().write_all(b"\x1b[?25h\n");
    std::process::exit(130);
}

/// A failed prompt: Ctrl-C (the read interrupted) ends the process as [`interrupted`] says;
/// anything else is returned for the caller to report.
pub fn prompt_failed(err: dialoguer::Error) -> dialoguer::Error {
    let dialoguer::Error::IO(io) = &err;
    if io.kind() == io::ErrorKind::Interrupted {
        interrupted();
    }
    err
}

/// A file mapped into memory that another program truncates while mailkit reads it (a mail
/// client rewriting an mbox spool) raises SIGBUS, which would end the process without a word.
/// This makes that one error line and the exit `code` of an unreadable input, as a failed
/// read would give. Called before the first mapping; installing it again changes nothing.
pub fn report_truncated_mappings(code: u8) {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        SIGBUS_EXIT.store(code, std::sync::atomic::Ordering::Relaxed);
        // SAFETY: a zeroed sigaction with a plain handler and an empty mask is valid; the
        // handler only calls async-signal-safe functions (write, _exit).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    });
}

static SIGBUS_EXIT: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(74);

extern "C" fn on_sigbus(_signal: libc::c_int) {
    const LINE: &[u8] = b"mailkit: error: an input file was truncated while being read \
(another program rewrote it): run again once it is done\n";
    let code = SIGBUS_EXIT.load(std::sync::atomic::Ordering::Relaxed);
    // SAFETY: write(2) and _exit(2) are async-signal-safe; LINE is a static buffer.
    unsafe {
        libc::write(2, LINE.as_ptr().cast(), LINE.len());
        libc::_exit(code.into());
    }
}

/// Reports an error on stderr as one line, `mailkit: error: ...`, escaped.
pub fn error(text: &str) {
    diagnostic("error: ", text);
}

/// Reports something the user should know although the command goes on (a skipped message,
/// an ambiguous UIDL), as `mailkit: warning: ...`.
pub fn warning(text: &str) {
    diagnostic("warning: ", text);
}

/// Reports progress or an outcome that is not a result (`fetched 3, deleted 3`), as
/// `mailkit: ...`; results go to stdout through a [`Printer`] instead.
pub fn note(text: &str) {
    diagnostic("", text);
}

fn diagnostic(level: &str, text: &str) {
    // A failed write to stderr has nowhere to be reported; the exit code still tells.
    let _ = writeln!(io::stderr().lock(), "mailkit: {level}{}", escape_line(text));
}

/// How a command that carries a secret (a password, an AUTH payload) appears in transcripts
/// and errors: its visible part, then `(redacted)`. Every protocol redacts through this, so
/// the marker and the rule are in one place.
pub fn redacted(visible: &str) -> String {
    if visible.is_empty() {
        "(redacted)".to_string()
    } else {
        format!("{visible} (redacted)")
    }
}

/// The `-v` protocol transcript: one type for SMTP, POP3, IMAP and DNS. Sessions hand it the
/// lines as they appear on the wire, secrets already replaced by `(redacted)` by the session's
/// command type; this escapes them and writes them to stderr (or, in tests, to a buffer).
/// Cloning is cheap, so a session and the code that opened it can share one.
#[derive(Clone, Default)]
pub struct Transcript {
    sink: Option<Sink>,
}

#[derive(Clone)]
enum Sink {
    Stderr,
    Captured(Arc<Mutex<Vec<String>>>),
}

impl Transcript {
    /// No transcript: every call is a no-op, and [`Transcript::is_on`] lets callers skip
    /// formatting lines nobody will read.
    pub fn off() -> Self {
        Transcript { sink: None }
    }

    /// A transcript on stderr when `verbose`, else off.
    pub fn stderr(verbose: bool) -> Self {
        Transcript {
            sink: verbose.then_some(Sink::Stderr),
        }
    }

    /// A transcript kept in memory, for tests that assert on what a session logged.
    pub fn captured() -> (Self, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Some(Sink::Captured(Arc::clone(&lines)));
        (Transcript { sink }, lines)
    }

    /// Whether lines are kept; format nothing for a transcript that is off.
    pub fn is_on(&self) -> bool {
        self.sink.is_some()
    }

    /// A line the server sent (`S: ...`); `mark` is a prefix such as `[tls] ` or empty.
    pub fn server(&self, mark: &str, line: &[u8]) {
        self.write(mark, "S: ", line);
    }

    /// A line mailkit sent (`C: ...`), secrets already redacted by the caller.
    pub fn client(&self, mark: &str, line: &[u8]) {
        self.write(mark, "C: ", line);
    }

    /// An event between lines (`* connecting to mx1.example.org (192.0.2.1:25)`).
    pub fn event(&self, text: &str) {
        self.write("", "* ", text.as_bytes());
    }

    fn write(&self, mark: &str, direction: &str, line: &[u8]) {
        let Some(sink) = &self.sink else { return };
        let text = format!("{mark}{direction}{}", escape_bytes(line));
        match sink {
            Sink::Stderr => {
                let _ = writeln!(io::stderr().lock(), "{text}");
            }
            Sink::Captured(lines) => lines.lock().unwrap_or_else(|e| e.into_inner()).push(text),
        }
    }
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_on() {
            "Transcript(on)"
        } else {
            "Transcript(off)"
        })
    }
}

/// Whether stdin is a terminal: prompts and interactive pickers are only offered then.
pub fn stdin_is_terminal() -> bool {
    io::stdin().is_terminal()
}

/// Whether stderr is a terminal: progress bars are only drawn then.
pub fn stderr_is_terminal() -> bool {
    io::stderr().is_terminal()
}

/// Escapes text for one line of terminal output: every control character (C0, DEL, C1,
/// including CR, LF and TAB), and the Unicode bidi and other invisible format characters that
/// can disguise text, become visible `\xNN` / `\u{NNNN}` escapes. Backslashes are left alone.
pub fn escape_line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Like [`escape_line`], but keeps newlines and tabs: for multi-line text such as a body.
pub fn escape_text(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// Escapes bytes that may not be UTF-8 (raw header bytes, record data): valid UTF-8 is
/// escaped as by [`escape_line`], invalid bytes become `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(&escape_line(chunk.valid()));
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

fn escape(text: &str, keep_layout: bool) -> Cow<'_, str> {
    // Printable ASCII, nearly all header text, is safe: checked a block at a time without
    // decoding characters.
    let printable = text.as_bytes().chunks(32).all(|block| {
        block
            .iter()
            .fold(true, |ok, &b| ok & (0x20..0x7f).contains(&b))
    });
    if printable {
        return Cow::Borrowed(text);
    }
    let needs = |c: char| is_unsafe(c) && !(keep_layout && (c == '\n' || c == '\t'));
    let Some(first) = text.find(needs) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 16);
    // The prefix already scanned is safe: copied at once rather than checked again.
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        if !needs(c) {
            out.push(c);
        } else if c == '\r' {
            out.push_str("\\r");
        } else if c == '\n' {
            out.push_str("\\n");
        } else if c == '\t' {
            out.push_str("\\t");
        } else if (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// Characters that must never reach a terminal raw (nor a file name mailkit writes): controls,
/// and format characters that reorder or hide text (bidi embeddings/overrides/isolates,
/// zero-width marks, BOM).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}'
            | '\u{061c}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(20 * 1024 * 1024), "20 MiB");
        assert_eq!(human_size(1_200_000_000), "1.1 GiB");
        assert_eq!(count(1, "message"), "1 message");
        assert_eq!(count(2, "message"), "2 messages");
    }

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(escape_line("Grüße, 日本"), Cow::Borrowed(_)));
    }

    #[test]
    fn controls_and_bidi_overrides_are_escaped() {
        let cases = [
            ("\x1b[2J", "\\x1b[2J"),
            ("a\rb\nc\td", "a\\rb\\nc\\td"),
            ("bell\x07", "bell\\x07"),
            ("\u{9b}31m", "\\x9b31m"),
            ("gnp.\u{202e}exe", "gnp.\\u{202e}exe"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            ("del\x7f", "del\\x7f"),
        ];
        for (input, want) in cases {
            assert_eq!(escape_line(input), want, "input {input:?}");
        }
    }

    #[test]
    fn text_mode_keeps_newlines_and_tabs_only() {
        assert_eq!(escape_text("a\n\tb\r\n\x1b"), "a\n\tb\\r\n\\x1b");
    }

    #[test]
    fn transcript_marks_directions_and_escapes() {
        let (log, lines) = Transcript::captured();
        log.server("", b"220 mx \x1b[2J");
        log.client("[tls] ", b"AUTH PLAIN (redacted)");
        log.event("connecting");
        Transcript::off().server("", b"never kept");
        assert_eq!(
            *lines.lock().unwrap(),
            [
                "S: 220 mx \\x1b[2J",
                "[tls] C: AUTH PLAIN (redacted)",
                "* connecting"
            ]
        );
    }

    #[test]
    fn invalid_utf8_bytes_are_hex_escaped() {
        assert_eq!(escape_bytes(b"ok\xff\x1b\xc3\xa9"), "ok\\xff\\x1bé");
    }
}
