//! The Received chain (RFC 5321 §4.4): each relay prepends a Received field, so read bottom-up
//! the fields are the message's hops in order; the time between them shows where mail waited.

use mail_parser::{Header, HeaderName, HeaderValue, Host};
use serde::Serialize;

/// One relay hop, oldest first in [`super::MessageView::received`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Hop {
    /// The name the sending host gave (or its address).
    pub from: Option<String>,
    /// The sending host's IP address, when the receiver recorded it.
    pub from_ip: Option<String>,
    /// The host that received the message.
    pub by: Option<String>,
    /// The `with` protocol (SMTP, ESMTPS, LMTP...).
    pub protocol: Option<String>,
    /// When this host received the message, RFC 3339.
    pub time: Option<String>,
    /// Seconds since the previous hop (negative when clocks disagree); null for the first hop
    /// or when either time is unknown.
    pub delay: Option<i64>,
}

fn host(host: &Host<'_>) -> String {
    match host {
        Host::Name(name) => name.to_string(),
        Host::IpAddr(ip) => ip.to_string(),
    }
}

/// The hops described by the Received fields of a header block, oldest first.
pub(crate) fn hops(headers: &[Header<'_>]) -> Vec<Hop> {
    let mut hops = Vec::new();
    let mut previous: Option<i64> = None;
    for header in headers.iter().rev() {
        if header.name != HeaderName::Received {
            continue;
        }
        let mut hop = Hop {
            from: None,
            from_ip: None,
            by: None,
            protocol: None,
            time: None,
            delay: None,
        };
        let mut stamp = None;
        if let HeaderValue::Received(received) = &header.value {
            hop.from = received.from.as_ref().or(received.helo.as_ref()).map(host);
            hop.from_ip = received.from_ip.map(|ip| ip.to_string());
            hop.by = received.by.as_ref().map(host);
            hop.protocol = received.with.map(|p| p.to_string());
            if let Some(date) = received.date.filter(|d| d.is_valid()) {
                hop.time = Some(date.to_rfc3339());
                stamp = Some(date.to_timestamp());
            }
        }
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

/// A delay for people: `42s`, `3m05s`, `2h01m`, `3d04h`; negative delays keep their sign.
pub fn format_delay(seconds: i64) -> String {
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.unsigned_abs();
    let text = match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86400, s % 86400 / 3600),
    };
    format!("{sign}{text}")
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
        let hops = hops(&headers);
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
    fn delays_read_naturally() {
        let cases = [
            (0, "0s"),
            (59, "59s"),
            (125, "2m05s"),
            (7260, "2h01m"),
            (273600, "3d04h"),
            (-5, "-5s"),
        ];
        for (seconds, want) in cases {
            assert_eq!(format_delay(seconds), want);
        }
    }
}
