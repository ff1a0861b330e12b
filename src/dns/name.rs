//! Names and record types as the rest of mailkit sees them, validated before anything is sent.

use std::{
    fmt::{self, Write as _},
    net::IpAddr,
    str::FromStr,
};

use hickory_proto::rr::{Name, RecordType as HRecordType};

use super::DnsError;

/// RFC 1035 §2.3.4: a label holds at most 63 octets.
const MAX_LABEL: usize = 63;
/// RFC 1035 §2.3.4 limits a name to 255 octets on the wire, which is 253 characters of text
/// without the final dot.
const MAX_NAME: usize = 253;

/// A DNS record type (A, MX, TLSA, or TYPE65534): mailkit's own type, so callers never import
/// hickory; any type hickory knows by name is accepted, any other by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordType(u16);

impl RecordType {
    /// IPv4 address (RFC 1035).
    pub const A: RecordType = RecordType(1);
    /// Name server (RFC 1035).
    pub const NS: RecordType = RecordType(2);
    /// Alias (RFC 1035).
    pub const CNAME: RecordType = RecordType(5);
    /// Start of authority (RFC 1035).
    pub const SOA: RecordType = RecordType(6);
    /// Reverse pointer (RFC 1035).
    pub const PTR: RecordType = RecordType(12);
    /// Mail exchange (RFC 1035, RFC 7505).
    pub const MX: RecordType = RecordType(15);
    /// Text (RFC 1035).
    pub const TXT: RecordType = RecordType(16);
    /// IPv6 address (RFC 3596).
    pub const AAAA: RecordType = RecordType(28);
    /// Service location (RFC 2782).
    pub const SRV: RecordType = RecordType(33);
    /// DANE TLS association (RFC 6698).
    pub const TLSA: RecordType = RecordType(52);
    /// CA authorization (RFC 8659).
    pub const CAA: RecordType = RecordType(257);

    /// The type number on the wire.
    pub fn code(self) -> u16 {
        self.0
    }

    pub(crate) fn to_hickory(self) -> HRecordType {
        HRecordType::from(self.0)
    }

    pub(crate) fn from_hickory(rtype: HRecordType) -> RecordType {
        RecordType(u16::from(rtype))
    }
}

impl FromStr for RecordType {
    type Err = String;

    /// Accepts a mnemonic in any case (`mx`, `TLSA`) or the RFC 3597 form `TYPE65534`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let upper = text.to_ascii_uppercase();
        if let Some(number) = upper.strip_prefix("TYPE")
            && let Ok(code) = number.parse::<u16>()
        {
            return Ok(RecordType(code));
        }
        match HRecordType::from_str(&upper) {
            Ok(rtype) if !matches!(rtype, HRecordType::Unknown(_)) => {
                Ok(RecordType::from_hickory(rtype))
            }
            _ => Err(format!("unknown record type {text:?}")),
        }
    }
}

impl RecordType {
    /// The type as [`Display`](fmt::Display) writes it, without the formatting machinery for
    /// the types hickory names (a batch writes one per query and one per record).
    pub fn text(self) -> String {
        match self.to_hickory() {
            HRecordType::Unknown(_) => self.to_string(),
            rtype => <&'static str>::from(rtype).to_string(),
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_hickory() {
            HRecordType::Unknown(code) => write!(f, "TYPE{code}"),
            rtype => f.write_str(rtype.into()),
        }
    }
}

/// Checks a name the user typed and turns it into a fully qualified hickory name; the limits
/// are checked here so the message says which label is too long rather than a codec error.
pub(crate) fn parse_name(text: &str) -> Result<Name, DnsError> {
    let invalid = |reason: String| DnsError::InvalidName {
        name: text.to_string(),
        reason,
    };
    let trimmed = text.strip_suffix('.').unwrap_or(text);
    if trimmed.is_empty() {
        if text == "." {
            return Ok(Name::root());
        }
        return Err(invalid("the name is empty".into()));
    }
    // Plain ASCII without escapes has its labels and length checked here, once.
    let plain = trimmed.is_ascii() && !trimmed.contains('\\');
    let odd = if trimmed.is_ascii() {
        trimmed.bytes().any(|b| b.is_ascii_control() || b == b' ')
    } else {
        trimmed.chars().any(|c| c.is_control() || c.is_whitespace())
    };
    if odd {
        return Err(invalid(
            "it contains whitespace or control characters".into(),
        ));
    }
    for label in trimmed.split('.') {
        if label.is_empty() {
            return Err(invalid("it has an empty label (two dots in a row)".into()));
        }
        if label.len() > MAX_LABEL {
            return Err(invalid(format!(
                "label {}... is {} bytes; a label holds at most {MAX_LABEL}",
                &label[..label.floor_char_boundary(20)],
                label.len()
            )));
        }
    }
    if plain && trimmed.len() > MAX_NAME {
        return Err(invalid(format!(
            "it is {} bytes long; a name holds at most {MAX_NAME}",
            trimmed.len()
        )));
    }
    let name = if trimmed.is_ascii() {
        Name::from_ascii(trimmed)
    } else {
        Name::from_utf8(trimmed)
    }
    .map_err(|err| invalid(err.to_string()))?;
    if plain {
        let mut name = name;
        name.set_fqdn(true);
        return Ok(name);
    }
    let text_len = name.iter().map(|label| label.len() + 1).sum::<usize>();
    if text_len.saturating_sub(1) > MAX_NAME {
        return Err(invalid(format!(
            "it is {} bytes long; a name holds at most {MAX_NAME}",
            text_len - 1
        )));
    }
    if let Some(label) = name.iter().find(|label| label.len() > MAX_LABEL) {
        return Err(invalid(format!(
            "label {} is {} bytes after IDNA encoding; a label holds at most {MAX_LABEL}",
            crate::output::escape_bytes(label),
            label.len()
        )));
    }
    let mut name = name;
    name.set_fqdn(true);
    Ok(name)
}

/// RFC 1035 §3.5 / RFC 3596 §2.5: the name a reverse (PTR) lookup asks for.
pub fn reverse_name(addr: IpAddr) -> String {
    let mut name = Name::from(addr);
    name.set_fqdn(true);
    presentation_name(&name)
}

/// A name in zone-file presentation form (RFC 1035 §5.1): printable ASCII as is, `.` `\` `"`
/// `(` `)` `;` `@` `$` and spaces backslash-escaped, every other byte as `\DDD`, so control bytes
/// can never reach a terminal and the text parses back to the same name.
pub(crate) fn presentation_name(name: &Name) -> String {
    const SPECIAL: &[u8] = b".\\\"()$;@ ";
    let mut out = String::with_capacity(name.len() + 1);
    for label in name.iter() {
        // The usual label (letters, digits, `-`, `_`) is copied whole.
        let plain = |&b: &u8| {
            (0x21..0x7f).contains(&b)
                && !matches!(b, b'.' | b'\\' | b'"' | b'(' | b')' | b'$' | b';' | b'@')
        };
        match std::str::from_utf8(label) {
            Ok(text) if label.iter().all(plain) => out.push_str(text),
            _ => {
                for &byte in label {
                    push_escaped(&mut out, byte, SPECIAL);
                }
            }
        }
        out.push('.');
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// Appends `byte` in presentation form: `\DDD` outside printable ASCII, `\c` for `special`.
pub(crate) fn push_escaped(out: &mut String, byte: u8, special: &[u8]) {
    if !(0x21..0x7f).contains(&byte) && byte != b' ' {
        let _ = write!(out, "\\{byte:03}");
    } else if special.contains(&byte) {
        out.push('\\');
        out.push(byte as char);
    } else {
        out.push(byte as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_by_name_and_number_and_print_back() {
        assert_eq!("mx".parse::<RecordType>(), Ok(RecordType::MX));
        assert_eq!("TLSA".parse::<RecordType>(), Ok(RecordType::TLSA));
        assert_eq!("caa".parse::<RecordType>(), Ok(RecordType::CAA));
        assert_eq!(
            "TYPE65534".parse::<RecordType>().map(|t| t.code()),
            Ok(65534)
        );
        assert_eq!(RecordType(65534).to_string(), "TYPE65534");
        assert_eq!(RecordType::AAAA.to_string(), "AAAA");
        for code in 0..=u16::MAX {
            assert_eq!(RecordType(code).text(), RecordType(code).to_string());
        }
        assert!("BOGUS".parse::<RecordType>().is_err());
    }

    #[test]
    fn each_type_has_a_text_of_its_own() {
        // A batch line compares types by code where it once compared their texts.
        let texts: std::collections::HashSet<String> =
            (0..=u16::MAX).map(|code| RecordType(code).text()).collect();
        assert_eq!(texts.len(), 1 << 16);
    }

    #[test]
    fn names_within_limits_are_accepted() {
        let name = parse_name("hamburger.test").unwrap();
        assert!(name.is_fqdn());
        assert_eq!(presentation_name(&name), "hamburger.test.");
        assert_eq!(
            presentation_name(&parse_name("_25._tcp.mx1.test.").unwrap()),
            "_25._tcp.mx1.test."
        );
        assert!(parse_name(".").unwrap().is_root());
        let label63 = "a".repeat(63);
        assert!(parse_name(&format!("{label63}.test")).is_ok());
    }

    #[test]
    fn oversized_and_empty_labels_are_refused_with_a_reason() {
        let long_label = format!("{}.test", "a".repeat(64));
        let err = parse_name(&long_label).unwrap_err().to_string();
        assert!(err.contains("64 bytes; a label holds at most 63"), "{err}");
        let long_name = vec!["abcdefghi"; 26].join(".");
        assert_eq!(long_name.len(), 259);
        let err = parse_name(&long_name).unwrap_err().to_string();
        assert!(
            err.contains("259 bytes long; a name holds at most 253"),
            "{err}"
        );
        assert!(parse_name("a..b").is_err());
        assert!(parse_name("").is_err());
        assert!(parse_name("a b.test").is_err());
        assert_eq!(
            parse_name("a..b").unwrap_err().kind(),
            crate::exit::Kind::Usage
        );
    }

    #[test]
    fn international_names_become_punycode() {
        let name = parse_name("bücher.test").unwrap();
        assert_eq!(presentation_name(&name), "xn--bcher-kva.test.");
    }

    #[test]
    fn reverse_names_follow_in_addr_and_ip6_arpa() {
        assert_eq!(
            reverse_name("127.25.0.1".parse().unwrap()),
            "1.0.25.127.in-addr.arpa."
        );
        assert!(reverse_name("::1".parse().unwrap()).ends_with(".ip6.arpa."));
        assert!(reverse_name("::1".parse().unwrap()).starts_with("1.0.0.0."));
    }

    #[test]
    fn presentation_escapes_control_and_special_bytes() {
        let name = Name::from_labels(vec![&b"a\x1bb.c"[..], &b"test"[..]]).unwrap();
        assert_eq!(presentation_name(&name), "a\\027b\\.c.test.");
    }
}
