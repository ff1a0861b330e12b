//! The DATA codec (RFC 5321 §4.1.1.4, §4.5.2): the message bytes as they go on the wire.
//!
//! Every line ending (CRLF, bare LF, bare CR) becomes CRLF, so no bare CR or LF ever reaches
//! the server (SMTP smuggling needs them); a line starting with `.` gets a second `.`; a final
//! CRLF is added when the message lacks one, and the `.` CRLF terminator follows. No extra blank
//! line is ever added. Everything else, 8-bit bytes included, passes through unchanged.

/// A message ready for DATA: encoded once, sent to every destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    /// The wire bytes: normalised, dot-stuffed, terminated by `.` CRLF.
    pub wire: Vec<u8>,
    /// The size to declare with SIZE (RFC 1870 §3): the message with CRLF line endings, before
    /// dot-stuffing and without the terminator.
    pub size: u64,
    /// Whether any byte is outside 7-bit ASCII, which needs BODY=8BITMIME (RFC 6152).
    pub eight_bit: bool,
}

impl Payload {
    /// Encodes `message` for DATA.
    pub fn new(message: &[u8]) -> Payload {
        let mut wire = Vec::with_capacity(message.len() + message.len() / 32 + 8);
        let mut size = 0u64;
        let mut rest = message;
        while !rest.is_empty() {
            if rest[0] == b'.' {
                wire.push(b'.');
            }
            // memchr2 checks a vector of bytes at a time: this loop is most of `send --mbox`'s
            // own CPU time when written byte by byte.
            let (line, next) = match memchr::memchr2(b'\r', b'\n', rest) {
                Some(at) => {
                    let skip = if rest[at] == b'\r' && rest.get(at + 1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                    (&rest[..at], &rest[at + skip..])
                }
                None => (rest, &rest[rest.len()..]),
            };
            wire.extend_from_slice(line);
            wire.extend_from_slice(b"\r\n");
            size += line.len() as u64 + 2;
            rest = next;
        }
        wire.extend_from_slice(b".\r\n");
        Payload {
            eight_bit: !message.is_ascii(),
            wire,
            size,
        }
    }
}

impl Payload {
    /// The message as it was before the DATA encoding, with CRLF line endings: what the queue
    /// stores, since encoding it again gives the same wire bytes.
    pub fn message(&self) -> Vec<u8> {
        let body = self.wire.strip_suffix(b".\r\n").unwrap_or(&self.wire);
        let mut out = Vec::with_capacity(body.len());
        for line in body.split_inclusive(|&b| b == b'\n') {
            out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_comes_back_from_the_wire_bytes() {
        for message in [
            &b""[..],
            b"a",
            b".\n..x\r\n.",
            b"Subject: x\n\n.hi\r\nbye",
            b"\xff.\r",
        ] {
            let payload = Payload::new(message);
            let back = payload.message();
            assert_eq!(Payload::new(&back), payload, "{message:?}");
            assert!(!back.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'));
        }
    }

    #[test]
    fn encoding_table() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"", b".\r\n"),
            (b"a", b"a\r\n.\r\n"),
            (b"a\r\n", b"a\r\n.\r\n"),
            (b"a\n", b"a\r\n.\r\n"),
            (b"a\r", b"a\r\n.\r\n"),
            (b"a\nb", b"a\r\nb\r\n.\r\n"),
            (b"a\rb\r\n", b"a\r\nb\r\n.\r\n"),
            (b"a\n\nb\n", b"a\r\n\r\nb\r\n.\r\n"),
            (b"a\r\r\nb", b"a\r\n\r\nb\r\n.\r\n"),
            (b"a\n\r\n", b"a\r\n\r\n.\r\n"),
            (b".", b"..\r\n.\r\n"),
            (b".\r\n", b"..\r\n.\r\n"),
            (b"a\r\n.\r\nb", b"a\r\n..\r\nb\r\n.\r\n"),
            (b"a\n..x\n", b"a\r\n...x\r\n.\r\n"),
            (b"a\r.b", b"a\r\n..b\r\n.\r\n"),
            (b" .not\r\n", b" .not\r\n.\r\n"),
            (b"\r\n\r\n", b"\r\n\r\n.\r\n"),
            (b"caf\xc3\xa9\xff\x00\r\n", b"caf\xc3\xa9\xff\x00\r\n.\r\n"),
        ];
        for (input, want) in cases {
            let got = Payload::new(input).wire;
            assert_eq!(
                got,
                *want,
                "{:?} -> {:?}",
                String::from_utf8_lossy(input),
                String::from_utf8_lossy(&got)
            );
        }
    }

    #[test]
    fn no_bare_cr_or_lf_survives() {
        let input = b"x\ry\nz\r\r\n\n\r.\r\n\x00\r";
        let wire = Payload::new(input).wire;
        for (i, &b) in wire.iter().enumerate() {
            if b == b'\r' {
                assert_eq!(wire.get(i + 1), Some(&b'\n'), "bare CR at {i}");
            }
            if b == b'\n' {
                assert_eq!(wire[i - 1], b'\r', "bare LF at {i}");
            }
        }
    }

    #[test]
    fn size_and_eight_bit() {
        let p = Payload::new(b"a\n.b\n");
        assert_eq!(p.size, 7);
        assert!(!p.eight_bit);
        assert!(Payload::new(b"\xe9").eight_bit);
    }
}
