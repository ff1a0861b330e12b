//! Content-Transfer-Encoding decoders (RFC 2045 §6.7, §6.8) that keep going over damage and say
//! what they skipped: mail-parser's decoders either give up or repair silently, and `parse` must
//! both show the content and warn that it was broken.

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

const INVALID: u8 = 0xff;

static BASE64: [u8; 256] = {
    let mut table = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Decodes base64 body text, skipping line breaks and whitespace; other foreign bytes are
/// skipped and counted. Data after padding (`=`) starts a new quantum, as some encoders
/// concatenate padded chunks.
pub(crate) fn base64(input: &[u8], out: &mut Vec<u8>) -> Damage {
    let mut damage = Damage::default();
    out.reserve(input.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut symbols = 0usize;
    let mut padded = false;
    for &byte in input {
        let value = BASE64[byte as usize];
        if value != INVALID {
            if padded {
                // Padding ended the previous quantum; a fresh one begins.
                padded = false;
                acc = 0;
                bits = 0;
                symbols = 0;
            }
            acc = (acc << 6) | u32::from(value);
            bits += 6;
            symbols += 1;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        } else if byte == b'=' {
            if !padded && symbols % 4 == 1 {
                damage.truncated = true;
            }
            padded = true;
        } else if !matches!(byte, b'\r' | b'\n' | b' ' | b'\t') {
            damage.invalid += 1;
        }
    }
    // Unpadded leftovers mean the data was cut (RFC 2045 §6.8 requires padding).
    if !padded && !symbols.is_multiple_of(4) {
        damage.truncated = true;
    }
    damage
}

fn hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        _ => None,
    }
}

/// Decodes quoted-printable: `=XX` escapes and soft line breaks (`=` at the end of a line, with
/// trailing whitespace tolerated). A stray `=` is kept literally and counted.
pub(crate) fn quoted_printable(input: &[u8], out: &mut Vec<u8>) -> Damage {
    let mut damage = Damage::default();
    out.reserve(input.len());
    let mut i = 0;
    while i < input.len() {
        let byte = input[i];
        if byte != b'=' {
            out.push(byte);
            i += 1;
            continue;
        }
        if let (Some(h), Some(l)) = (
            input.get(i + 1).copied().and_then(hex),
            input.get(i + 2).copied().and_then(hex),
        ) {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        // A soft line break: `=`, optional transport whitespace, then CRLF/LF or the end.
        let mut j = i + 1;
        while j < input.len() && matches!(input[j], b' ' | b'\t') {
            j += 1;
        }
        match input.get(j) {
            None => i = j,
            Some(b'\n') => i = j + 1,
            Some(b'\r') if input.get(j + 1) == Some(&b'\n') => i = j + 2,
            _ => {
                damage.invalid += 1;
                out.push(b'=');
                i += 1;
            }
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
        ];
        for &(input, want, invalid) in cases {
            let (out, damage) = qp(input);
            assert_eq!(out, want, "input {input:?}");
            assert_eq!(damage.invalid, invalid, "input {input:?}");
        }
    }
}
