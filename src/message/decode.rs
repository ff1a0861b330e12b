//! Content-Transfer-Encoding decoders (RFC 2045 §6.7, §6.8) that keep going over damage and say
//! what they skipped: mail-parser's decoders either give up or repair silently, and `parse` must
//! both show the content and warn that it was broken. The decoding itself is the base64 and
//! quoted_printable crates'; this module finds and reports the damage around them.

use std::io::{self, Write};

use base64::{
    Engine as _, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};

use super::mapped::Pace;

/// What a decoder had to skip or guess; empty when the input was well-formed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Damage {
    /// Bytes outside the encoding's alphabet (base64) or `=` not followed by two hex digits or a
    /// line break (quoted-printable).
    pub invalid: usize,
    /// Base64 that ended with an incomplete group (no padding, or a lone symbol before `=`).
    pub truncated: bool,
}

impl Damage {
    /// True when the decoder met nothing unusual.
    pub fn is_clean(&self) -> bool {
        self.invalid == 0 && !self.truncated
    }
}

/// RFC 2045 base64 as the base64 crate decodes it: standard alphabet, padding optional (its
/// absence is reported separately), trailing bits ignored as mail decoders do.
const MIME_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

fn is_base64_symbol(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/'
}

/// Decoded bytes go out in pieces of about this size, so memory does not follow the part size.
const PIECE: usize = 64 << 10;

/// Decodes base64 body text with the base64 crate into `out`, piece by piece, telling `pace`
/// how far it got. Line breaks and whitespace are transport noise and dropped; other foreign
/// bytes are dropped and counted. Data after padding (`=`) starts a new quantum, as some
/// encoders concatenate padded chunks.
pub(crate) fn base64(input: &[u8], pace: &Pace<'_>, out: &mut dyn Write) -> io::Result<Damage> {
    let mut damage = Damage::default();
    let mut chunk = Vec::with_capacity(PIECE.min(input.len()) + 4);
    let mut decoded = Vec::with_capacity(PIECE.min(input.len()));
    let mut padded = false;
    let mut flush = |chunk: &mut Vec<u8>,
                     padded: bool,
                     last: bool,
                     damage: &mut Damage,
                     out: &mut dyn Write|
     -> io::Result<()> {
        if last || padded {
            if chunk.len() % 4 == 1 {
                // A lone symbol carries no whole byte: the data was cut.
                chunk.pop();
                damage.truncated = true;
            } else if !padded && !chunk.len().is_multiple_of(4) {
                // RFC 2045 §6.8 requires padding: unpadded leftovers mean the data was cut.
                damage.truncated = true;
            }
        }
        decoded.clear();
        if MIME_BASE64.decode_vec(&chunk[..], &mut decoded).is_err() {
            damage.invalid += 1;
        }
        chunk.clear();
        out.write_all(&decoded)
    };
    for piece in input.chunks(Pace::STEP) {
        for &byte in piece {
            if is_base64_symbol(byte) {
                if padded {
                    flush(&mut chunk, true, false, &mut damage, out)?;
                    padded = false;
                }
                chunk.push(byte);
                if chunk.len() >= PIECE && !padded {
                    // Whole quanta only: the rest of a group waits for its other symbols.
                    let keep = chunk.len() % 4;
                    let tail: Vec<u8> = chunk[chunk.len() - keep..].to_vec();
                    chunk.truncate(chunk.len() - keep);
                    flush(&mut chunk, false, false, &mut damage, out)?;
                    chunk.extend_from_slice(&tail);
                }
            } else if byte == b'=' {
                padded = true;
            } else if !matches!(byte, b'\r' | b'\n' | b' ' | b'\t') {
                damage.invalid += 1;
            }
        }
        pace.walked(piece.len());
    }
    flush(&mut chunk, padded, true, &mut damage, out)?;
    Ok(damage)
}

/// Decodes quoted-printable into `out`, in pieces cut at line breaks (an escape never spans
/// one), telling `pace` how far it got. Well-formed input goes through mail-parser's decoder,
/// which keeps the input's line-ending style; damaged input (which mail-parser refuses
/// outright) through the quoted_printable crate's robust mode, which keeps a stray `=`
/// literally but writes CRLF line endings. The damage count comes from a separate scan for `=`
/// that is neither an escape nor a soft line break, since neither decoder says what it
/// repaired.
pub(crate) fn quoted_printable(
    input: &[u8],
    pace: &Pace<'_>,
    out: &mut dyn Write,
) -> io::Result<Damage> {
    let mut damage = Damage::default();
    let mut rest = input;
    while !rest.is_empty() {
        let cut = piece_end(rest, PIECE);
        let (piece, next) = rest.split_at(cut);
        let piece_damage = quoted_printable_piece(piece, out)?;
        damage.invalid += piece_damage.invalid;
        pace.walked(piece.len());
        rest = next;
    }
    Ok(damage)
}

/// Where to cut quoted-printable text near `size`: after the last line break before it, or,
/// in a line longer than that, where no `=` escape is split.
fn piece_end(text: &[u8], size: usize) -> usize {
    if text.len() <= size {
        return text.len();
    }
    if let Some(nl) = memchr::memrchr(b'\n', &text[..size]) {
        return nl + 1;
    }
    let mut cut = size;
    while cut > size - 2 && text[cut - 2..cut].contains(&b'=') {
        cut -= 1;
    }
    cut
}

fn quoted_printable_piece(input: &[u8], out: &mut dyn Write) -> io::Result<Damage> {
    let mut damage = Damage::default();
    for at in memchr::memchr_iter(b'=', input) {
        let rest = &input[at + 1..];
        let escape = rest.len() >= 2 && rest[0].is_ascii_hexdigit() && rest[1].is_ascii_hexdigit();
        let soft_break = rest
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t'))
            .is_none_or(|b| matches!(b, b'\r' | b'\n'));
        if !escape && !soft_break {
            damage.invalid += 1;
        }
    }
    let strict = if damage.is_clean() {
        mail_parser::decoders::quoted_printable::quoted_printable_decode(input)
    } else {
        None
    };
    let decoded = strict
        .or_else(|| quoted_printable::decode(input, quoted_printable::ParseMode::Robust).ok());
    match decoded {
        Some(decoded) => out.write_all(&decoded)?,
        None => {
            damage.invalid = damage.invalid.max(1);
            out.write_all(input)?;
        }
    }
    Ok(damage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(input: &str) -> (Vec<u8>, Damage) {
        let mut out = Vec::new();
        let damage = base64(input.as_bytes(), &Pace::none(), &mut out).unwrap();
        (out, damage)
    }

    fn qp(input: &str) -> (Vec<u8>, Damage) {
        let mut out = Vec::new();
        let damage = quoted_printable(input.as_bytes(), &Pace::none(), &mut out).unwrap();
        (out, damage)
    }

    #[test]
    fn base64_cases() {
        let cases: &[(&str, &[u8], usize, bool)] = &[
            ("aGVsbG8=", b"hello", 0, false),
            ("aGVs\r\nbG8=\r\n", b"hello", 0, false),
            ("aGVsbG8", b"hello", 0, true),
            ("aGVs*bG8=", b"hello", 1, false),
            ("aGVsbG8=aGk=", b"hellohi", 0, false),
            ("aGVsbG8=a", b"hello", 0, true),
            ("", b"", 0, false),
            ("!!!!", b"", 4, false),
        ];
        for &(input, want, invalid, truncated) in cases {
            let (out, damage) = b64(input);
            assert_eq!(out, want, "input {input:?}");
            assert_eq!(damage.invalid, invalid, "input {input:?}");
            assert_eq!(damage.truncated, truncated, "input {input:?}");
        }
    }

    #[test]
    fn quoted_printable_cases() {
        let cases: &[(&str, &[u8], usize)] = &[
            ("caf=C3=A9", "café".as_bytes(), 0),
            ("soft=\r\nbreak", b"softbreak", 0),
            ("soft= \nbreak", b"softbreak", 0),
            ("end=", b"end", 0),
            ("lower=c3=a9", "loweré".as_bytes(), 0),
            ("bad=ZZ", b"bad=ZZ", 1),
            ("a = b", b"a = b", 1),
            ("two\nlines=\nsoft\n", b"two\nlinessoft\n", 0),
            ("crlf\r\nkept\r\n", b"crlf\r\nkept\r\n", 0),
        ];
        for &(input, want, invalid) in cases {
            let (out, damage) = qp(input);
            assert_eq!(out, want, "input {input:?}");
            assert_eq!(damage.invalid, invalid, "input {input:?}");
        }
    }

    #[test]
    fn long_input_decodes_in_pieces_as_it_would_whole() {
        use base64::Engine as _;
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let text = base64::engine::general_purpose::STANDARD.encode(&data);
        let folded: Vec<u8> = text
            .as_bytes()
            .chunks(76)
            .flat_map(|line| line.iter().copied().chain(*b"\r\n"))
            .collect();
        let mut out = Vec::new();
        let damage = base64(&folded, &Pace::none(), &mut out).unwrap();
        assert!(damage.is_clean(), "{damage:?}");
        assert_eq!(out, data);

        let line = "caf=C3=A9 soft=\r\n".repeat(20_000);
        let long = format!("{}={}", "x".repeat(PIECE - 1), "41");
        for input in [line.as_str(), long.as_str()] {
            let mut out = Vec::new();
            let damage = quoted_printable(input.as_bytes(), &Pace::none(), &mut out).unwrap();
            assert!(damage.is_clean(), "{damage:?}");
            let whole =
                mail_parser::decoders::quoted_printable::quoted_printable_decode(input.as_bytes())
                    .unwrap();
            assert_eq!(out, whole);
        }
    }
}
