//! The Received chain (RFC 5321 §4.4): each relay prepends a Received field, so read bottom-up
//! the fields are the message's hops in order; the time between them shows where mail waited.

use std::{borrow::Cow, net::IpAddr};

use mail_parser::{DateTime, Header, HeaderName, HeaderValue, parsers::MessageStream};
use serde::Serialize;

use super::Block;

/// One relay hop, oldest first in [`super::MessageView::received`]. Names borrow from the
/// message: a header-heavy mailbox has ten hops per message, too many to copy.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Hop<'a> {
    /// The name the sending host gave (or its address).
    pub from: Option<Cow<'a, str>>,
    /// The sending host's IP address, when the receiver recorded it.
    pub from_ip: Option<Cow<'a, str>>,
    /// The host that received the message.
    pub by: Option<Cow<'a, str>>,
    /// The `with` protocol (SMTP, ESMTPS, LMTP...), uppercased.
    pub protocol: Option<Cow<'a, str>>,
    /// When this host received the message, RFC 3339.
    pub time: Option<Time>,
    /// Seconds since the previous hop (negative when clocks disagree); null for the first hop
    /// or when either time is unknown.
    pub delay: Option<i64>,
}

/// A time written as RFC 3339, the way mail-parser's `to_rfc3339` writes it (`Z` for +00:00),
/// kept inline rather than in a `String`: a message has ten hops or so, each with a time.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Time {
    bytes: [u8; 25],
    len: u8,
}

impl Time {
    /// Writes `date` without the formatting machinery.
    pub(crate) fn new(date: &DateTime) -> Self {
        let mut bytes = *b"0000-00-00T00:00:00+00:00";
        let mut put = |at: usize, n: u8| {
            bytes[at] = b'0' + n / 10 % 10;
            bytes[at + 1] = b'0' + n % 10;
        };
        put(0, (date.year / 100 % 100) as u8);
        put(2, (date.year % 100) as u8);
        put(5, date.month);
        put(8, date.day);
        put(11, date.hour);
        put(14, date.minute);
        put(17, date.second);
        let len = if date.tz_hour == 0 && date.tz_minute == 0 {
            bytes[19] = b'Z';
            20
        } else {
            put(20, date.tz_hour);
            put(23, date.tz_minute);
            bytes[19] = if date.tz_before_gmt { b'-' } else { b'+' };
            25
        };
        Time { bytes, len }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and punctuation are ever written.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::ops::Deref for Time {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl Serialize for Time {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The clauses of one Received value (RFC 5321 §4.4 `Stamp`): the token after `from`, `by`
/// and `with` outside comments, the first bracketed IP address of the `from` clause, and the
/// date after the last `;`. A small scanner rather than mail-parser's full Received grammar:
/// it is the hottest header of header-heavy mail, and these four fields are all a hop needs.
pub(crate) fn parse<'a>(block: &Block<'a>, value: &'a [u8]) -> (Hop<'a>, Option<i64>) {
    let mut hop = Hop {
        from: None,
        from_ip: None,
        by: None,
        protocol: None,
        time: None,
        delay: None,
    };
    let (clauses, date) = match memchr::memrchr(b';', value) {
        Some(semi) => (&value[..semi], Some(&value[semi + 1..])),
        None => (value, None),
    };
    let mut stamp = None;
    let parsed = date.and_then(|date| {
        super::fast::date(date).or_else(|| match MessageStream::new(date).parse_date() {
            HeaderValue::DateTime(date) => Some(date),
            _ => None,
        })
    });
    if let Some(date) = parsed
        && date.is_valid()
    {
        hop.time = Some(Time::new(&date));
        stamp = Some(date.to_timestamp());
    }

    #[derive(PartialEq)]
    enum Clause {
        None,
        From,
        By,
        With,
        Other,
    }
    let mut clause = Clause::None;
    let mut expect_value = false;
    let mut depth = 0usize;
    for token in clauses
        .split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
    {
        // The sender's address: `[192.0.2.1]` or `(192.0.2.1)` within the from clause.
        if clause == Clause::From && !expect_value && hop.from_ip.is_none() {
            let bare = token.trim_ascii().trim_ascii_start();
            let inner: &[u8] = bare
                .iter()
                .position(|&b| b == b'[')
                .map_or(bare, |open| &bare[open + 1..]);
            let inner = inner
                .split(|&b| matches!(b, b']' | b')' | b'(' | b';'))
                .find(|piece| !piece.is_empty())
                .unwrap_or_default();
            hop.from_ip = ip(block.text(inner));
        }
        if depth == 0 && !token.starts_with(b"(") {
            if expect_value {
                expect_value = false;
                let text = block.text(token.strip_suffix(b";").unwrap_or(token));
                match clause {
                    Clause::From => {
                        let bracketed = text.starts_with('[');
                        let name = match text {
                            Cow::Borrowed(text) => {
                                Cow::Borrowed(text.trim_start_matches('[').trim_end_matches(']'))
                            }
                            Cow::Owned(text) => Cow::Owned(
                                text.trim_start_matches('[')
                                    .trim_end_matches(']')
                                    .to_owned(),
                            ),
                        };
                        if bracketed {
                            hop.from_ip = ip(name.clone());
                        }
                        hop.from = Some(name);
                    }
                    Clause::By => hop.by = Some(text),
                    Clause::With => {
                        hop.protocol = Some(if text.bytes().any(|b| b.is_ascii_lowercase()) {
                            Cow::Owned(text.to_ascii_uppercase())
                        } else {
                            text
                        })
                    }
                    Clause::None | Clause::Other => {}
                }
                continue;
            }
            let keyword = if token.eq_ignore_ascii_case(b"from") {
                Clause::From
            } else if token.eq_ignore_ascii_case(b"by") {
                Clause::By
            } else if token.eq_ignore_ascii_case(b"with") {
                Clause::With
            } else if [&b"id"[..], b"for", b"via"]
                .iter()
                .any(|k| token.eq_ignore_ascii_case(k))
            {
                Clause::Other
            } else {
                continue;
            };
            expect_value = keyword != Clause::Other;
            clause = keyword;
            continue;
        }
        for &b in token {
            match b {
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    (hop, stamp)
}

/// The IP address in `text` (`IPv6:` prefix allowed), normalized.
fn ip(text: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let bare = text.strip_prefix("IPv6:").unwrap_or(&text);
    // Most tokens are words: skip them before the full parse.
    if bare.len() < 2
        || !bare
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':')
    {
        return None;
    }
    match bare.parse::<IpAddr>().ok()? {
        // The IPv4 parser accepts only the canonical dotted quad (no leading zeros, no short
        // forms), so the text is already what formatting the address would write.
        IpAddr::V4(_) if text.len() == bare.len() => Some(text),
        ip => Some(Cow::Owned(ip.to_string())),
    }
}

/// The hops described by the Received fields of a header block, oldest first.
pub(crate) fn hops<'a>(block: &Block<'a>, headers: &[Header<'_>]) -> Vec<Hop<'a>> {
    let count = headers
        .iter()
        .filter(|h| matches!(h.name, HeaderName::Received))
        .count();
    let mut hops = Vec::with_capacity(count);
    let mut previous: Option<i64> = None;
    for header in headers.iter().rev() {
        if !matches!(header.name, HeaderName::Received) {
            continue;
        }
        let (mut hop, stamp) = parse(block, block.value(header));
        hop.delay = match (previous, stamp) {
            (Some(before), Some(now)) => Some(now - before),
            _ => None,
        };
        if stamp.is_some() {
            previous = stamp;
        }
        hops.push(hop);
    }
    hops
}

/// Appends a delay for people to `out`: `42s`, `3m05s`, `2h01m`, `3d04h`; negative delays keep
/// their sign.
pub fn push_delay(out: &mut String, seconds: i64) {
    if seconds < 0 {
        out.push('-');
    }
    let s = seconds.unsigned_abs();
    // Written digit by digit: the tree view shows one per hop, ten per message.
    let (high, high_unit, low, low_unit) = match s {
        0..60 => (s, 's', None, ' '),
        60..3600 => (s / 60, 'm', Some(s % 60), 's'),
        3600..86400 => (s / 3600, 'h', Some(s % 3600 / 60), 'm'),
        _ => (s / 86400, 'd', Some(s % 86400 / 3600), 'h'),
    };
    decimal(out, high);
    out.push(high_unit);
    if let Some(low) = low {
        out.push(char::from(b'0' + (low / 10) as u8));
        out.push(char::from(b'0' + (low % 10) as u8));
        out.push(low_unit);
    }
}

/// Appends `n` in decimal, without the formatting machinery.
pub fn decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::{MessageParser, parsers::MessageStream};

    #[test]
    fn hops_are_oldest_first_with_delays() {
        let block = concat!(
            "Received: from mx1.example.net (mx1.example.net [192.0.2.1])\n",
            "\tby mail.example.org (Postfix) with ESMTPS id 1\n",
            "\tfor <bob@example.org>; Mon, 23 Nov 2026 10:02:05 +0000\n",
            "Received: from client.example.com ([198.51.100.7])\n",
            "\tby mx1.example.net with ESMTP; Mon, 23 Nov 2026 11:00:00 +0100\n",
            "Received: garbage\n",
            "\n"
        );
        let parser = MessageParser::new();
        let mut headers = Vec::new();
        MessageStream::new(block.as_bytes()).parse_headers(&parser, &mut headers);
        let hops = hops(&Block::new(block.as_bytes()), &headers);
        assert_eq!(hops.len(), 3);
        assert_eq!(hops[0].time, None);
        assert_eq!(hops[1].from.as_deref(), Some("client.example.com"));
        assert_eq!(hops[1].by.as_deref(), Some("mx1.example.net"));
        assert_eq!(hops[1].protocol.as_deref(), Some("ESMTP"));
        assert_eq!(hops[1].time.as_deref(), Some("2026-11-23T11:00:00+01:00"));
        assert_eq!(hops[1].delay, None);
        assert_eq!(hops[2].from_ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(hops[2].delay, Some(125));
    }

    #[test]
    fn addresses_are_normalized() {
        let cases = [
            ("192.0.2.1", Some("192.0.2.1")),
            ("IPv6:192.0.2.1", Some("192.0.2.1")),
            ("192.0.2.01", None),
            ("1.2.3", None),
            ("IPv6:2001:DB8:0:0::1", Some("2001:db8::1")),
            ("::ffff:192.0.2.1", Some("::ffff:192.0.2.1")),
            ("cafe", None),
        ];
        for (text, want) in cases {
            assert_eq!(ip(Cow::Borrowed(text)).as_deref(), want, "{text}");
            let via_std = text
                .strip_prefix("IPv6:")
                .unwrap_or(text)
                .parse::<IpAddr>()
                .ok()
                .map(|ip| ip.to_string());
            assert_eq!(want.map(str::to_owned), via_std, "{text}");
        }
    }

    #[test]
    fn delays_read_naturally() {
        let cases = [
            (0, "0s"),
            (59, "59s"),
            (125, "2m05s"),
            (7260, "2h01m"),
            (273600, "3d04h"),
            (-5, "-5s"),
            (-7260, "-2h01m"),
            (86400 * 123 + 3600, "123d01h"),
            (i64::MIN, "-106751991167300d15h"),
        ];
        for (seconds, want) in cases {
            let mut out = String::new();
            push_delay(&mut out, seconds);
            assert_eq!(out, want);
        }
    }
}
