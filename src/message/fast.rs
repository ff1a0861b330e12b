//! Fast paths for the plainest forms of the two hottest parsed values of header-heavy mail: the
//! dates of Received and Date fields (ten or so per message) and message ids. Each is a strict
//! check that a value is written exactly in its common form, returning what mail-parser returns
//! for it; anything else (obsolete forms, comments in odd places, folding inside a token, ...)
//! gets `None` and goes to mail-parser. So no grammar is reimplemented: only its commonest
//! sentence is recognised. Unit tests compare both with mail-parser on the fixtures and corpora.

use std::borrow::Cow;

use mail_parser::{DateTime, HeaderValue};
use memchr::memchr;

/// A date written `[Www,] D[D] Mon YYYY HH:MM:SS +HHMM` (blanks, folding included, between
/// the tokens; a four-digit year), after leading blanks and followed by nothing but blanks and
/// at most one comment without nested parentheses or escapes, to the end of `value` (a field
/// value, or the part of a Received value after its last `;`): what
/// `MessageStream::parse_date` returns for it.
pub(crate) fn date(value: &[u8]) -> Option<DateTime> {
    let mut s = skip_blanks(value);
    if s.first()?.is_ascii_alphabetic() {
        let (weekday, rest) = s.split_at_checked(4)?;
        if !(weekday[..3].iter().all(u8::is_ascii_alphabetic) && weekday[3] == b',') {
            return None;
        }
        s = skip_blanks(rest);
    }
    let (day, s) = number(s, 1, 2)?;
    let s = separator(s)?;
    let (month, s) = s.split_at_checked(3)?;
    let month = match month {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    };
    let s = separator(s)?;
    let (year, s) = number(s, 4, 4)?;
    let s = separator(s)?;
    let (hour, s) = number(s, 2, 2)?;
    let s = s.strip_prefix(b":")?;
    let (minute, s) = number(s, 2, 2)?;
    let s = s.strip_prefix(b":")?;
    let (second, s) = number(s, 2, 2)?;
    let s = separator(s)?;
    let (&sign, s) = s.split_first()?;
    let before_gmt = match sign {
        b'+' => false,
        b'-' => true,
        _ => return None,
    };
    let (zone, s) = number(s, 4, 4)?;
    // mail-parser reads two-digit years (and these, once their leading zeros are gone) as
    // 19xx or 20xx: left to it.
    if year < 100 || !blank_or_comment(s) {
        return None;
    }
    Some(DateTime {
        year: year as u16,
        month,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second as u8,
        // The same reductions as mail-parser's.
        tz_hour: ((zone / 100) % 24) as u8,
        tz_minute: ((zone % 100) % 60) as u8,
        tz_before_gmt: before_gmt,
    })
}

/// Message ids written `<id>`, separated by blanks (folding between ids allowed), each id
/// without blanks or `<`, up to the field's last line break: what `MessageStream::parse_id`
/// returns for `value` (the rest of a header block from a field's value on), and where it
/// stops (after that line break).
pub(crate) fn ids(value: &[u8]) -> Option<(HeaderValue<'_>, usize)> {
    let mut ids: Vec<Cow<'_, str>> = Vec::new();
    let mut pos = 0;
    loop {
        // A block cut short without a line break is left to mail-parser.
        match value.get(pos)? {
            b' ' | b'\t' | b'\r' => pos += 1,
            b'\n' => {
                pos += 1;
                if !matches!(value.get(pos), Some(b' ' | b'\t')) {
                    break;
                }
            }
            b'<' => {
                let len = memchr(b'>', &value[pos + 1..])?;
                let id = &value[pos + 1..pos + 1 + len];
                if id.is_empty()
                    || id
                        .iter()
                        .any(|b| matches!(b, b'<' | b' ' | b'\t' | b'\r' | b'\n'))
                {
                    return None;
                }
                ids.push(String::from_utf8_lossy(id));
                pos += len + 2;
            }
            _ => return None,
        }
    }
    let value = match ids.len() {
        0 => return None,
        1 => HeaderValue::Text(ids.pop()?),
        _ => HeaderValue::TextList(ids),
    };
    Some((value, pos))
}

/// `s` without leading spaces, tabs, CRs and line breaks that continue the field.
fn skip_blanks(mut s: &[u8]) -> &[u8] {
    loop {
        match s {
            [b' ' | b'\t' | b'\r', rest @ ..] => s = rest,
            [b'\n', b' ' | b'\t', ..] => s = &s[1..],
            _ => return s,
        }
    }
}

/// `s` after the blanks that end a token: at least one space, tab or folding line break (a
/// lone CR does not end a token for mail-parser).
fn separator(s: &[u8]) -> Option<&[u8]> {
    let rest = skip_blanks(s);
    s[..s.len() - rest.len()]
        .iter()
        .any(|&b| b != b'\r')
        .then_some(rest)
}

/// Whether `s` holds only blanks and at most one plain comment (no nested parentheses, no
/// escapes).
fn blank_or_comment(s: &[u8]) -> bool {
    let s = s.trim_ascii();
    match s {
        [] => true,
        [b'(', inner @ .., b')'] => !inner.iter().any(|b| matches!(b, b'(' | b')' | b'\\')),
        _ => false,
    }
}

/// A decimal number of `min..=max` digits at the start of `s`, followed by a non-digit.
fn number(s: &[u8], min: usize, max: usize) -> Option<(u32, &[u8])> {
    let mut n = 0;
    let mut len = 0;
    while let Some(&b) = s.get(len)
        && b.is_ascii_digit()
    {
        if len == max {
            return None;
        }
        n = n * 10 + u32::from(b - b'0');
        len += 1;
    }
    (len >= min).then(|| (n, &s[len..]))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use mail_parser::parsers::MessageStream;

    fn reference_date(value: &[u8]) -> HeaderValue<'_> {
        MessageStream::new(value).parse_date()
    }

    /// The fast path either declines or agrees with mail-parser.
    pub(crate) fn check_date(value: &[u8]) -> bool {
        match date(value) {
            None => false,
            Some(fast) => {
                assert_eq!(
                    HeaderValue::DateTime(fast),
                    reference_date(value),
                    "{:?}",
                    String::from_utf8_lossy(value)
                );
                true
            }
        }
    }

    pub(crate) fn check_ids(value: &[u8]) -> bool {
        match ids(value) {
            None => false,
            Some((fast, end)) => {
                let mut stream = MessageStream::new(value);
                let reference = stream.parse_id();
                assert_eq!(
                    (fast, end),
                    (reference, stream.offset()),
                    "{:?}",
                    String::from_utf8_lossy(value)
                );
                true
            }
        }
    }

    #[test]
    fn dates_agree_with_mail_parser() {
        let taken = [
            " Mon, 23 Nov 2026 10:00:00 +0100\n",
            "\n\tTue, 1 Feb 2000 23:59:59 -0930 (PDT)\r\n",
            " 1 Jan 1999 00:00:00 -0000\n",
            " Sat, 31 Dec 2005 12:34:56 +2399\n",
            "Wed, 07 Aug 2002 03:05:09 +0000 (GMT)  \n",
            " Tue,  9 Oct 2002 01:02:03 +0100 (IST)\n",
            " Thu,\n    12 Sep 2002\n\t 01:02:03  -0700\n",
            "Tue,9 Oct 2002 01:02:03 +0100\n",
            " 32 Dec 2001 25:61:61 +0100",
        ];
        for value in taken {
            assert!(check_date(value.as_bytes()), "{value:?} not taken");
        }
        let months = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        for (n, month) in months.iter().enumerate() {
            let value = format!(" 5 {month} 2010 01:02:03 +0200\n");
            assert!(check_date(value.as_bytes()));
            assert_eq!(date(value.as_bytes()).unwrap().month as usize, n + 1);
        }
        let declined = [
            " Mon, 23 Nov 26 10:00:00 +0100\n",
            " Mon, 23 nov 2026 10:00:00 +0100\n",
            " Mon, 23 Nov 2026 10:00 +0100\n",
            " Mon, 23 Nov 2026 10:00:00 GMT\n",
            " Mon, 23 Nov 2026 10:00:00 +0100 CET\n",
            " Mon, 23 Nov 2026 10:00:00 +0100 ((x))\n",
            " Mon, 23\rNov 2026 10:00:00 +0100\n",
            " Mon, 23 Nov 2026 10:00:00\n+0100\n",
            " Mon, 23 Nov 2026 10:00:00 +01000\n",
            " Mon, 23 Nov 0049 10:00:00 +0100\n",
            "\nMon, 23 Nov 2026 10:00:00 +0100\n",
            "",
        ];
        for value in declined {
            assert!(!check_date(value.as_bytes()), "{value:?} taken");
        }
    }

    #[test]
    fn ids_agree_with_mail_parser() {
        let taken = [
            " <a@b>\n",
            "<a@b>\r\nNext: x\n",
            " <a@b> <c@d>\n\t<e@f>\n\n",
            " <caf\u{e9}@x>\n",
            " <a@b><c@d>\n",
        ];
        for value in taken {
            assert!(check_ids(value.as_bytes()), "{value:?} not taken");
        }
        let declined = [
            " <>\n",
            " a@b\n",
            " <a b>\n",
            " <a@b> (comment)\n",
            " <a@b>",
            " <a@b\n",
        ];
        for value in declined {
            assert!(!check_ids(value.as_bytes()), "{value:?} taken");
        }
    }
}
