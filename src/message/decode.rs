//! Content-Transfer-Encoding decoders (RFC 2045 §6.7, §6.8) that keep going over damage and say
//! what they skipped: mail-parser's decoders either give up or repair silently, and `parse` must
//! both show the content and warn that it was broken. The decoding itself is the base64 and
//! quoted_printable crates'; this module finds and reports the damage around them.

use base64::{
    Engine as _, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};

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

/// Decodes base64 body text with the base64 crate. Line breaks and whitespace are transport
/// noise and dropped; other foreign bytes are dropped and counted. Data after padding (`=`)
/// starts a new quantum, as some encoders concatenate padded chunks.
pub(crate) fn base64(input: &[u8], out: &mut Vec<u8>) -> Damage {
    let mut damage = Damage::default();
    out.reserve(input.len() / 4 * 3);
    let mut chunk = Vec::with_capacity(input.len().min(1 << 20));
    let mut padded = false;
    let flush = |chunk: &mut Vec<u8>, padded: bool, out: &mut Vec<u8>, damage: &mut Damage| {
        if chunk.len() % 4 == 1 {
            // A lone symbol carries no whole byte: the data was cut.
            chunk.pop();
            damage.truncated = true;
        } else if !padded && !chunk.len().is_multiple_of(4) {
            // RFC 2045 §6.8 requires padding: unpadded leftovers mean the data was cut.
            damage.truncated = true;
        }
        if MIME_BASE64.decode_vec(&chunk[..], out).is_err() {
            damage.invalid += 1;
        }
        chunk.clear();
    };
    for &byte in input {
        if is_base64_symbol(byte) {
            if padded {
                flush(&mut chunk, true, out, &mut damage);
                padded = false;
            }
            chunk.push(byte);
        } else if byte == b'=' {
            padded = true;
        } else if !matches!(byte, b'\r' | b'\n' | b' ' | b'\t') {
            damage.invalid += 1;
        }
    }
    flush(&mut chunk, padded, out, &mut damage);
    damage
}

/// Decodes quoted-printable. Well-formed input goes through mail-parser's decoder, which keeps
/// the input's line-ending style; damaged input (which mail-parser refuses outright) through the
/// quoted_printable crate's robust mode, which keeps a stray `=` literally but writes CRLF line
/// endings. The damage count comes from a separate scan for `=` that is neither an escape nor a
/// soft line break, since neither decoder says what it repaired.
pub(crate) fn quoted_printable(input: &[u8], out: &mut Vec<u8>) -> Damage {
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
        Some(decoded) => out.extend_from_slice(&decoded),
        None => {
            damage.invalid = damage.invalid.max(1);
            out.extend_from_slice(input);
        }
    }
    damage
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(input: &str) -> (Vec<u8>, Damage) {
        let mut out = Vec::new();
        let damage = base64(input.as_bytes(), &mut out);
        (out, damage)
    }

    fn qp(input: &str) -> (Vec<u8>, Damage) {
        let mut out = Vec::new();
        let damage = quoted_printable(input.as_bytes(), &mut out);
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
}
