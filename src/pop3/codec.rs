//! Pure parsing of POP3 replies: status lines, the RFC 2449 response codes inside them, LIST and
//! UIDL lines, and the streaming multi-line decoder (dot-unstuffing, end only at CRLF `.` CRLF).
//! No I/O here, so every shape is tested on byte slices.

use std::io::{self, Write};

/// An `+OK` or `-ERR` status line (RFC 1939 §3), the text after the indicator kept as bytes
/// because servers put arbitrary octets there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// `+OK` (true) or `-ERR` (false).
    pub ok: bool,
    /// The text after the indicator and one space, without CRLF.
    pub text: Vec<u8>,
}

impl Status {
    /// The RFC 2449 §8 / RFC 3206 response code in brackets at the start of the text
    /// (`IN-USE`, `SYS/TEMP`, `AUTH`, ...), which decides whether to retry.
    pub fn code(&self) -> Option<&str> {
        let rest = self.text.strip_prefix(b"[")?;
        let end = rest.iter().position(|&b| b == b']')?;
        std::str::from_utf8(&rest[..end]).ok()
    }
}

/// Parses a status line (CRLF already removed). `+` alone (a SASL continuation, RFC 5034) is
/// not a status; the caller handles it.
pub fn parse_status(line: &[u8]) -> Option<Status> {
    let (ok, rest) = if let Some(rest) = line.strip_prefix(b"+OK") {
        (true, rest)
    } else if let Some(rest) = line.strip_prefix(b"-ERR") {
        (false, rest)
    } else {
        return None;
    };
    let text = match rest.first() {
        None => Vec::new(),
        Some(b' ') => rest[1..].to_vec(),
        Some(_) => return None,
    };
    Some(Status { ok, text })
}

/// One `n size` line of a LIST reply (RFC 1939 §5).
pub fn parse_list_line(line: &[u8]) -> Option<(u32, u64)> {
    let text = std::str::from_utf8(line).ok()?;
    let mut parts = text.split(' ');
    let number = parse_number(parts.next()?)?;
    let size = parts.next()?;
    if !size.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // RFC 1939 allows more text after the size ("implementations may"), but nothing we need.
    Some((number, size.parse().ok()?))
}

/// One `n uidl` line of a UIDL reply (RFC 1939 §7): the id is 1 to 70 characters in
/// 0x21..=0x7E, so it is safe in file names of the state file and in terminal output.
pub fn parse_uidl_line(line: &[u8]) -> Option<(u32, String)> {
    let text = std::str::from_utf8(line).ok()?;
    let (number, uidl) = text.split_once(' ')?;
    let number = parse_number(number)?;
    if !valid_uidl(uidl) {
        return None;
    }
    Some((number, uidl.to_string()))
}

/// Whether `uidl` is a well-formed unique-id listing (RFC 1939 §7).
pub fn valid_uidl(uidl: &str) -> bool {
    (1..=70).contains(&uidl.len()) && uidl.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

fn parse_number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|&n| n > 0)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a line (after CRLF, or at the start of the reply).
    LineStart,
    /// A `.` at the start of a line was read and held back.
    Dot,
    /// `.` CR at the start of a line was read and held back.
    DotCr,
    /// Inside a line.
    Middle,
    /// Inside a line, a CR was read and held back.
    Cr,
    /// The terminating CRLF `.` CRLF was read.
    Done,
}

/// Streaming decoder of a multi-line reply body (RFC 1939 §3): removes the stuffed dot at the
/// start of lines, recognises the end only at CRLF `.` CRLF (a bare LF never ends or unstuffs
/// a line), and optionally turns CRLF into LF for local mailbox formats. Works on chunks of
/// any size, holding back at most two bytes, so memory does not grow with the message.
#[derive(Debug)]
pub struct DotDecoder {
    state: State,
    to_lf: bool,
    out_bytes: u64,
}

impl DotDecoder {
    /// A decoder at the start of a body; `to_lf` converts CRLF line ends to LF.
    pub fn new(to_lf: bool) -> Self {
        DotDecoder {
            state: State::LineStart,
            to_lf,
            out_bytes: 0,
        }
    }

    /// Whether the terminator has been seen.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Bytes written to the output so far.
    pub fn out_bytes(&self) -> u64 {
        self.out_bytes
    }

    /// Whether the output so far ends at a line end (or is empty), for formats that need a
    /// final newline.
    pub fn at_line_start(&self) -> bool {
        matches!(self.state, State::LineStart | State::Done)
    }

    fn emit(&mut self, out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
        self.out_bytes += bytes.len() as u64;
        out.write_all(bytes)
    }

    /// Decodes `input`, writing the message bytes to `out`; returns how many input bytes were
    /// consumed, which is less than `input.len()` only when the terminator was reached (the
    /// rest belongs to the next reply).
    pub fn feed(&mut self, input: &[u8], out: &mut impl Write) -> io::Result<usize> {
        let mut i = 0;
        while i < input.len() {
            match self.state {
                State::Done => return Ok(i),
                State::LineStart => {
                    if input[i] == b'.' {
                        self.state = State::Dot;
                        i += 1;
                    } else {
                        self.state = State::Middle;
                    }
                }
                State::Dot => {
                    if input[i] == b'\r' {
                        self.state = State::DotCr;
                        i += 1;
                    } else {
                        // A stuffed dot: drop it, the line goes on.
                        self.state = State::Middle;
                    }
                }
                State::DotCr => {
                    if input[i] == b'\n' {
                        self.state = State::Done;
                        return Ok(i + 1);
                    }
                    // `.` CR x: the dot was stuffed, the CR is data.
                    self.state = State::Cr;
                }
                State::Middle => match memchr::memchr(b'\r', &input[i..]) {
                    Some(at) => {
                        self.emit(out, &input[i..i + at])?;
                        i += at + 1;
                        self.state = State::Cr;
                    }
                    None => {
                        self.emit(out, &input[i..])?;
                        i = input.len();
                    }
                },
                State::Cr => {
                    if input[i] == b'\n' {
                        let eol: &[u8] = if self.to_lf { b"\n" } else { b"\r\n" };
                        self.emit(out, eol)?;
                        i += 1;
                        self.state = State::LineStart;
                    } else {
                        self.emit(out, b"\r")?;
                        self.state = State::Middle;
                    }
                }
            }
        }
        Ok(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &[u8], to_lf: bool, chunk: usize) -> (Vec<u8>, bool, usize) {
        let mut decoder = DotDecoder::new(to_lf);
        let mut out = Vec::new();
        let mut consumed = 0;
        for piece in input.chunks(chunk) {
            let used = decoder.feed(piece, &mut out).unwrap();
            consumed += used;
            if used < piece.len() || decoder.is_done() {
                break;
            }
        }
        assert_eq!(decoder.out_bytes(), out.len() as u64);
        (out, decoder.is_done(), consumed)
    }

    #[test]
    fn dot_unstuffing_and_terminator_table() {
        let cases: &[(&[u8], &[u8], bool)] = &[
            (b"a\r\n.\r\n", b"a\r\n", true),
            (b".\r\n", b"", true),
            (b"..\r\n.\r\n", b".\r\n", true),
            (b"..x\r\n.\r\n", b".x\r\n", true),
            (b"...\r\n.\r\n", b"..\r\n", true),
            (b"a.\r\n.\r\n", b"a.\r\n", true),
            // A bare LF does not start a line: no unstuffing, no end.
            (b"a\n.\r\nb\r\n.\r\n", b"a\n.\r\nb\r\n", true),
            (b"a\r\n.\n.\r\n", b"a\r\n\n.\r\n", false),
            // Bare CRs are data, including after a dot.
            (b"a\rb\r\n.\rx\r\n.\r\n", b"a\rb\r\n\rx\r\n", true),
            (b"a\r\r\n.\r\n", b"a\r\r\n", true),
            // Missing terminator: not done.
            (b"a\r\nb\r\n", b"a\r\nb\r\n", false),
            (b"a\r\n.", b"a\r\n", false),
            (b"a\r\n.\r", b"a\r\n", false),
            (b"", b"", false),
        ];
        for (input, want, done) in cases {
            for chunk in [1, 2, 3, 1000] {
                let (out, is_done, _) = decode(input, false, chunk);
                assert_eq!(
                    (out.as_slice(), is_done),
                    (*want, *done),
                    "input {:?} chunk {chunk}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }

    #[test]
    fn crlf_becomes_lf_only_for_line_ends() {
        let (out, done, _) = decode(b"a\r\nb\rc\r\n..d\r\n.\r\n", true, 2);
        assert!(done);
        assert_eq!(out, b"a\nb\rc\n.d\n");
    }

    #[test]
    fn bytes_after_the_terminator_are_not_consumed() {
        let input = b"x\r\n.\r\n+OK next\r\n";
        let (out, done, consumed) = decode(input, false, 1000);
        assert!(done);
        assert_eq!(out, b"x\r\n");
        assert_eq!(&input[consumed..], b"+OK next\r\n");
    }

    #[test]
    fn status_lines() {
        let ok = parse_status(b"+OK 2 320").unwrap();
        assert!(ok.ok);
        assert_eq!(ok.text, b"2 320");
        assert_eq!(parse_status(b"+OK").unwrap().text, b"");
        let err = parse_status(b"-ERR [IN-USE] locked").unwrap();
        assert!(!err.ok);
        assert_eq!(err.code(), Some("IN-USE"));
        assert_eq!(parse_status(b"-ERR [SYS/TEMP x").unwrap().code(), None);
        assert_eq!(parse_status(b"+OKAY"), None);
        assert_eq!(parse_status(b"+ abc"), None);
        assert_eq!(parse_status(b"OK"), None);
    }

    #[test]
    fn list_and_uidl_lines() {
        assert_eq!(parse_list_line(b"1 498"), Some((1, 498)));
        assert_eq!(parse_list_line(b"2 912 extra"), Some((2, 912)));
        for bad in [
            &b"0 1"[..],
            b"1",
            b"x 1",
            b"1 -3",
            b"1 1e3",
            b"",
            b"1  2",
            b"-1 2",
        ] {
            assert_eq!(parse_list_line(bad), None, "{bad:?}");
        }
        assert_eq!(
            parse_uidl_line(b"3 QhdPYR:00WBw1Ph7x7"),
            Some((3, "QhdPYR:00WBw1Ph7x7".to_string()))
        );
        let long = format!("1 {}", "a".repeat(71));
        for bad in [
            &b"1"[..],
            b"1 ",
            b"1 a b",
            b"x a",
            b"1 \x1b[2J",
            long.as_bytes(),
        ] {
            assert_eq!(parse_uidl_line(bad), None, "{bad:?}");
        }
    }
}
