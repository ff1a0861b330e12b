//! Server replies (RFC 5321 §4.2): a three-digit code and one or more text lines, read with
//! hard caps so a hostile or broken server cannot make the client buffer without bound.

use std::{fmt, io::BufRead, time::Instant};

use super::SmtpError;

/// The most bytes one reply line may hold, CRLF included. RFC 5321 §4.5.3.1.5 sets 512; real
/// servers (long EHLO keyword lists, verbose rejections) go beyond it, so allow some slack.
pub const MAX_LINE: usize = 4096;

/// The most lines one reply may have; an EHLO reply with this many extensions is already absurd.
pub const MAX_LINES: usize = 128;

/// One complete reply: the code and the text of each line (without code, separator or CRLF),
/// decoded lossily because servers send whatever bytes they like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit reply code.
    pub code: u16,
    /// The text of every line, in order.
    pub lines: Vec<String>,
}

impl Reply {
    /// 2xx: the command succeeded.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 4xx: try again later; the message may still go through elsewhere or later.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// 5xx: the server refused for good.
    pub fn is_permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }

    /// The first line's text, which is where servers put the reason.
    pub fn first_line(&self) -> &str {
        self.lines.first().map(String::as_str).unwrap_or("")
    }
}

/// The reply as the server wrote it, lines joined with a space: `550 5.1.1 user unknown`.
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        for line in &self.lines {
            if !line.is_empty() {
                write!(f, " {line}")?;
            }
        }
        Ok(())
    }
}

/// Reads one complete reply before `deadline` (when given): a reply still incomplete then is a
/// [`SmtpError::Timeout`], however steadily its bytes trickle in. Each raw line (CRLF stripped,
/// bytes as received) is passed to `on_line`, so the transcript shows exactly what came in.
pub fn read_reply(
    input: &mut impl BufRead,
    deadline: Option<Instant>,
    mut on_line: impl FnMut(&[u8]),
) -> Result<Reply, SmtpError> {
    let mut lines = Vec::new();
    let mut code = None;
    let mut line = Vec::with_capacity(128);
    loop {
        if lines.len() == MAX_LINES {
            return Err(SmtpError::Malformed(format!(
                "reply has more than {MAX_LINES} lines"
            )));
        }
        line.clear();
        read_line(input, &mut line, deadline)?;
        on_line(&line);
        let (this_code, last, text) = parse_line(&line)?;
        if let Some(code) = code
            && code != this_code
        {
            return Err(SmtpError::Malformed(format!(
                "reply mixes codes {code} and {this_code}"
            )));
        }
        code = Some(this_code);
        lines.push(String::from_utf8_lossy(text).into_owned());
        if last {
            return Ok(Reply {
                code: this_code,
                lines,
            });
        }
    }
}

/// Reads up to and including LF (CRLF or a lenient bare LF), capped at [`MAX_LINE`]; the line
/// ending is not kept. End of stream before a full line is a lost connection.
fn read_line(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
    deadline: Option<Instant>,
) -> Result<(), SmtpError> {
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(SmtpError::Io(std::io::ErrorKind::TimedOut.into()));
        }
        let available = match input.fill_buf() {
            Ok(buf) => buf,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(SmtpError::Io(err)),
        };
        if available.is_empty() {
            return Err(SmtpError::Closed);
        }
        let (take, done) = match available.iter().position(|&b| b == b'\n') {
            Some(at) => (at + 1, true),
            None => (available.len(), false),
        };
        if line.len() + take > MAX_LINE {
            return Err(SmtpError::Malformed(format!(
                "reply line longer than {MAX_LINE} bytes"
            )));
        }
        line.extend_from_slice(&available[..take]);
        input.consume(take);
        if done {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(());
        }
    }
}

/// Splits `250-text` / `250 text` / `250` into code, whether it is the last line, and text.
fn parse_line(line: &[u8]) -> Result<(u16, bool, &[u8]), SmtpError> {
    let malformed = || {
        SmtpError::Malformed(format!(
            "not an SMTP reply line: {:?}",
            String::from_utf8_lossy(&line[..line.len().min(80)])
        ))
    };
    let digits = line.get(..3).ok_or_else(malformed)?;
    if !(b'2'..=b'5').contains(&digits[0])
        || !(b'0'..=b'5').contains(&digits[1])
        || !digits[2].is_ascii_digit()
    {
        return Err(malformed());
    }
    let code = digits
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    match line.get(3) {
        None => Ok((code, true, &[])),
        Some(b' ') => Ok((code, true, &line[4..])),
        Some(b'-') => Ok((code, false, &line[4..])),
        Some(_) => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Script;
    use std::io::{BufReader, Cursor};

    fn parse(bytes: &[u8]) -> Result<Reply, SmtpError> {
        read_reply(&mut Cursor::new(bytes.to_vec()), None, |_| {})
    }

    #[test]
    fn reply_shapes() {
        let cases: &[(&[u8], u16, &[&str])] = &[
            (b"250 OK\r\n", 250, &["OK"]),
            (b"250\r\n", 250, &[""]),
            (b"354 go ahead\n", 354, &["go ahead"]),
            (
                b"250-mx.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n",
                250,
                &["mx.example", "PIPELINING", "SIZE 1000"],
            ),
            (b"550 5.1.1 \xffuser\r\n", 550, &["5.1.1 \u{fffd}user"]),
            (b"421-a\r\n421 b\r\n", 421, &["a", "b"]),
        ];
        for (input, code, lines) in cases {
            let reply = parse(input).unwrap();
            assert_eq!(reply.code, *code, "{input:?}");
            assert_eq!(reply.lines, *lines, "{input:?}");
        }
    }

    #[test]
    fn malformed_replies_are_errors() {
        let cases: &[&[u8]] = &[
            b"25\r\n",
            b"hello\r\n",
            b"250x\r\n",
            b"650 no\r\n",
            b"2a0 no\r\n",
            b"250-a\r\n251 b\r\n",
            b"",
            b"250-a\r\n",
            b"250 no line end",
        ];
        for input in cases {
            assert!(parse(input).is_err(), "{input:?} parsed");
        }
        assert!(matches!(parse(b""), Err(SmtpError::Closed)));
        assert!(matches!(parse(b"250-a\r\n"), Err(SmtpError::Closed)));
    }

    #[test]
    fn too_long_lines_and_too_many_lines_are_refused() {
        let mut long = b"250 ".to_vec();
        long.resize(MAX_LINE + 10, b'x');
        long.extend_from_slice(b"\r\n");
        assert!(matches!(parse(&long), Err(SmtpError::Malformed(_))));
        let many = b"250-x\r\n".repeat(MAX_LINES + 1);
        let err = parse(&many).unwrap_err();
        assert!(err.to_string().contains("lines"), "{err}");
    }

    #[test]
    fn replies_split_across_reads_are_reassembled() {
        let data = b"250-mx\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n220 next\r\n";
        for chunk in [1, 2, 3, 7] {
            let mut script = Script::new(data);
            script.max_read = Some(chunk);
            let mut input = BufReader::with_capacity(4, script);
            let reply = read_reply(&mut input, None, |_| {}).unwrap();
            assert_eq!(reply.lines, ["mx", "8BITMIME", "SMTPUTF8"]);
            assert_eq!(read_reply(&mut input, None, |_| {}).unwrap().code, 220);
        }
    }

    #[test]
    fn display_joins_lines() {
        let reply = parse(b"550-5.1.1 no such\r\n550 user here\r\n").unwrap();
        assert_eq!(reply.to_string(), "550 5.1.1 no such user here");
        assert!(reply.is_permanent() && !reply.is_transient());
    }
}
