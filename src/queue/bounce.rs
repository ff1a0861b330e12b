//! Delivery status notifications (RFC 3464) for refused recipients: a multipart/report with a
//! human explanation, the machine-readable `message/delivery-status`, and the original
//! message's header (RFC 6522 `text/rfc822-headers`). The queue sends it with a null sender
//! to the original envelope sender along the same route, so a bounce never bounces.

use mail_builder::{
    MessageBuilder,
    headers::{content_type::ContentType, date::Date},
    mime::MimePart,
};

use super::entry::State;

/// A composed notification.
#[derive(Debug)]
pub struct Dsn {
    /// The message.
    pub bytes: Vec<u8>,
    /// Its Message-ID.
    pub message_id: String,
}

/// An RFC 5322 date for Unix time `secs`.
pub fn rfc2822_date(secs: u64) -> String {
    Date::new(i64::try_from(secs).unwrap_or(i64::MAX)).to_rfc822()
}

/// The status code of a reply for the `Status:` field: its enhanced code (RFC 3463) when it
/// has one, else one derived from the reply class; `4.4.7` (delivery time expired) for a
/// recipient given up on without a final refusal.
pub fn status_code(reply: &str, expired: bool) -> String {
    if expired {
        return "4.4.7".into();
    }
    let mut words = reply.split_whitespace();
    let basic = words.next().unwrap_or("");
    if let Some(enhanced) = words.next()
        && enhanced.split('.').count() == 3
        && enhanced
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && matches!(enhanced.as_bytes()[0], b'2' | b'4' | b'5')
    {
        return enhanced.into();
    }
    match basic.as_bytes().first() {
        Some(b'4') => "4.0.0".into(),
        _ => "5.0.0".into(),
    }
}

/// Composes the notification for the recipients at `refused` of the message `original`.
pub fn compose(
    state: &State,
    refused: &[usize],
    original: &[u8],
    reporting_mta: &str,
    now: u64,
) -> Dsn {
    let domain = reporting_mta.trim_end_matches('.');
    let message_id = format!(
        "{:x}.{:08x}.dsn@{}",
        now,
        fastrand::u32(..),
        if domain.is_empty() {
            "localhost"
        } else {
            domain
        }
    );
    let expired = state.failed.is_some();
    let mut text = String::from(
        "This is the mail delivery report of mailkit's outgoing queue.\r\n\r\n\
         Your message could not be delivered to the following recipients:\r\n\r\n",
    );
    let mut status = format!(
        "Reporting-MTA: dns; {domain}\r\nArrival-Date: {}\r\n",
        rfc2822_date(state.created)
    );
    if let Some(envid) = &state.dsn.envid {
        status.push_str(&format!("Original-Envelope-Id: {}\r\n", one_line(envid)));
    }
    for &i in refused {
        let recipient = &state.recipients[i];
        let reply = one_line(recipient.reply.as_deref().unwrap_or("refused"));
        let given_up = expired && !reply.starts_with('5');
        text.push_str(&format!(
            "  <{}>: {reply}\r\n",
            one_line(&recipient.address)
        ));
        status.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {}\r\nAction: failed\r\nStatus: {}\r\n",
            one_line(&recipient.address),
            status_code(&reply, given_up)
        ));
        if let Some(host) = &recipient.host {
            status.push_str(&format!("Remote-MTA: dns; {}\r\n", one_line(host)));
        }
        if reply.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            status.push_str(&format!("Diagnostic-Code: smtp; {reply}\r\n"));
        } else {
            status.push_str(&format!("Diagnostic-Code: x-mailkit; {reply}\r\n"));
        }
        if let Some(last) = state.last_attempt {
            status.push_str(&format!("Last-Attempt-Date: {}\r\n", rfc2822_date(last)));
        }
    }
    text.push_str("\r\nThe message's header follows.\r\n");
    let header = header_of(original);
    let header_part = if header.is_ascii() {
        MimePart::new(ContentType::new("text/rfc822-headers"), header.to_vec())
            .transfer_encoding("7bit")
    } else {
        MimePart::new(ContentType::new("text/rfc822-headers"), header.to_vec())
    };
    let report = MimePart::new(
        ContentType::new("multipart/report").attribute("report-type", "delivery-status"),
        vec![
            MimePart::new(ContentType::new("text/plain"), text).transfer_encoding("7bit"),
            MimePart::new(
                ContentType::new("message/delivery-status"),
                status.into_bytes(),
            )
            .transfer_encoding("7bit"),
            header_part,
        ],
    );
    let subject = match expired {
        true => "Undelivered Mail Returned to Sender (gave up)",
        false => "Undelivered Mail Returned to Sender",
    };
    let bytes = MessageBuilder::new()
        .from((
            "Mail Delivery System",
            format!("MAILER-DAEMON@{domain}").as_str(),
        ))
        .to(state.sender.as_str())
        .subject(subject)
        .date(Date::new(i64::try_from(now).unwrap_or(i64::MAX)))
        .message_id(message_id.as_str())
        .header(
            "Auto-Submitted",
            mail_builder::headers::raw::Raw::new("auto-replied"),
        )
        .body(report)
        .write_to_vec()
        .expect("writing to a Vec cannot fail");
    Dsn { bytes, message_id }
}

/// The header section of a message (up to and including the blank line, or all of it).
fn header_of(message: &[u8]) -> &[u8] {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 2)
        .or_else(|| {
            message
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|at| at + 1)
        })
        .unwrap_or(message.len());
    &message[..end]
}

/// Text from a server or a state file, made safe for one header field line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        net::TlsMode,
        queue::entry::{RcptStatus, Route},
        smtp::Envelope,
    };

    fn state() -> State {
        let envelope = Envelope {
            from: "alice@crepes.test".into(),
            recipients: vec!["bob@hamburger.test".into(), "nobody@hamburger.test".into()],
            dsn: Default::default(),
        };
        let route = Route {
            relay: None,
            mx_port: 25,
            tls: TlsMode::Opportunistic,
            account: None,
            user: None,
            secret: None,
            auth: None,
            ca_file: None,
            insecure_skip_tls_verify: false,
            allow_cleartext_auth: false,
            ehlo: None,
            dns_server: None,
            timeout: 60,
        };
        let mut state = State::new(
            &envelope,
            Some("m1@crepes.test".into()),
            route,
            1_700_000_000,
        );
        state.recipients[0].status = RcptStatus::Accepted;
        state.recipients[1].status = RcptStatus::Rejected;
        state.recipients[1].reply = Some("550 5.1.1 <nobody@hamburger.test>: User unknown".into());
        state.recipients[1].host = Some("mx1.hamburger.test".into());
        state.last_attempt = Some(1_700_000_100);
        state
    }

    #[test]
    fn a_report_names_each_refused_recipient_and_parses_back() {
        let original = b"From: alice@crepes.test\r\nSubject: hi\r\n\r\nsecret body\r\n";
        let dsn = compose(
            &state(),
            &[1],
            original,
            "client.crepes.test",
            1_700_000_200,
        );
        let text = String::from_utf8(dsn.bytes.clone()).unwrap();
        assert!(
            text.contains("report-type=\"delivery-status\"")
                || text.contains("report-type=delivery-status"),
            "{text}"
        );
        assert!(text.contains("Final-Recipient: rfc822; nobody@hamburger.test\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx1.hamburger.test\r\nDiagnostic-Code: smtp; 550 5.1.1"), "{text}");
        assert!(
            !text.contains("bob@hamburger.test"),
            "accepted recipients are not reported"
        );
        assert!(
            text.contains("Subject: hi") && !text.contains("secret body"),
            "{text}"
        );
        assert!(text.contains("Auto-Submitted: auto-replied"));
        let parsed = crate::message::HeaderSummary::parse(&dsn.bytes);
        assert_eq!(parsed.message_id.as_deref(), Some(dsn.message_id.as_str()));
    }

    #[test]
    fn status_codes() {
        assert_eq!(status_code("550 5.1.1 unknown", false), "5.1.1");
        assert_eq!(status_code("554 no", false), "5.0.0");
        assert_eq!(status_code("552 5.x.y bad", false), "5.0.0");
        assert_eq!(status_code("451 4.3.0 later", true), "4.4.7");
    }
}
