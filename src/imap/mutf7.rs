//! Folder names on the wire are modified UTF-7 (RFC 3501 §5.1.3): printable ASCII stands for
//! itself (`&` as `&-`), anything else is UTF-16BE in base64 with `,` for `/`, between `&` and
//! `-`. The base64 is the base64 crate's IMAP alphabet; this module does only the framing, so
//! [`super::session`] can give the rest of mailkit Unicode names and put encoded ones on the
//! wire. (The `utf7-imap` crate was not taken: it panics on a malformed name from the server
//! and brings in regex and a second base64.)

use base64::{
    Engine as _, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};

/// Base64 as RFC 3501 §5.1.3 wants it: `+` and `,`, no padding, no stray trailing bits.
const MUTF7: GeneralPurpose = GeneralPurpose::new(
    &alphabet::IMAP_MUTF7,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

fn printable(c: char) -> bool {
    (' '..='~').contains(&c)
}

/// A Unicode folder name as it goes on the wire.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut run: Vec<u8> = Vec::new();
    let flush = |run: &mut Vec<u8>, out: &mut String| {
        if !run.is_empty() {
            out.push('&');
            out.push_str(&MUTF7.encode(&*run));
            out.push('-');
            run.clear();
        }
    };
    for c in name.chars() {
        if printable(c) {
            flush(&mut run, &mut out);
            match c {
                '&' => out.push_str("&-"),
                c => out.push(c),
            }
        } else {
            let mut units = [0; 2];
            for unit in c.encode_utf16(&mut units) {
                run.extend_from_slice(&unit.to_be_bytes());
            }
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The Unicode name a server's modified UTF-7 stands for; `None` when it is not valid
/// modified UTF-7 (raw 8-bit bytes, an unterminated or malformed `&...-` run).
pub fn decode(wire: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    while let Some((&byte, tail)) = rest.split_first() {
        if !printable(char::from(byte)) {
            return None;
        }
        rest = tail;
        if byte != b'&' {
            out.push(char::from(byte));
            continue;
        }
        let end = rest.iter().position(|&b| b == b'-')?;
        let (encoded, after) = (&rest[..end], &rest[end + 1..]);
        rest = after;
        if encoded.is_empty() {
            out.push('&');
            continue;
        }
        let bytes = MUTF7.decode(encoded).ok()?;
        if bytes.len() % 2 != 0 {
            return None;
        }
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .collect();
        out.push_str(&String::from_utf16(&units).ok()?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_as_rfc_3501_spells_them() {
        // RFC 3501 §5.1.3's own example, and names real servers use.
        let cases = [
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("Entwürfe", "Entw&APw-rfe"),
            ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
            ("Tom & Jerry", "Tom &- Jerry"),
            ("INBOX", "INBOX"),
            ("😀 smile", "&2D3eAA- smile"),
        ];
        for (name, wire) in cases {
            assert_eq!(encode(name), wire, "{name}");
            assert_eq!(decode(wire.as_bytes()).as_deref(), Some(name), "{wire}");
        }
    }

    #[test]
    fn malformed_names_from_a_server_are_refused_not_guessed() {
        for wire in [
            &b"Entw&APw"[..],   // no terminating -
            b"Entw&A-rfe",      // not a whole UTF-16 unit
            b"&2D0-",           // a lone surrogate
            b"Entw\xc3\xbcrfe", // raw UTF-8
            b"&APw=-",          // padding
            b"&AP!-",           // not base64
        ] {
            assert_eq!(decode(wire), None, "{}", String::from_utf8_lossy(wire));
        }
    }
}
