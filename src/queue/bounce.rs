//! Delivery status notifications (RFC 3464) for refused recipients, and (when asked for)
//! for recipients still pending after a while: a multipart/report with a human explanation, the machine-readable `message/delivery-status`, and the original
//! message's header (RFC 6522 `text/rfc822-headers`). The queue sends it with a null sender
//! to the original envelope sender along the same route, so a bounce never bounces.

use mail_builder::{
    MessageBuilder,
    headers::{content_type::ContentType, date::Date},
    mime::MimePart,
};

use super::entry::State;

/// What a notification reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The recipients refused the message, or were given up on (`Action: failed`).
    Failed,
    /// The recipients do not have the message yet and the queue keeps trying until `until`
    /// (`Action: delayed`), so the sender need not send it again.
    Delayed {
        /// When the queue gives up (seconds since the epoch).
        until: u64,
    },
}

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

/// Composes the notification for the recipients at `refused` (or still pending, for
/// [`Action::Delayed`]) of the message `original`.
pub fn compose(
    state: &State,
    refused: &[usize],
    original: &[u8],
    reporting_mta: &str,
    now: u64,
    action: Action,
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
    let mut text =
        String::from("This is the mail delivery report of mailkit's outgoing queue.\r\n\r\n");
    text.push_str(&match action {
        Action::Failed => {
            "Your message could not be delivered to the following recipients:\r\n\r\n".into()
        }
        Action::Delayed { until } => format!(
            "Your message has not been delivered yet to the following recipients. It is still\r\n\
             queued, and delivery is tried again until {}; you do not need to send it again.\r\n\r\n",
            rfc2822_date(until)
        ),
    });
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
        let (word, code) = match action {
            Action::Failed => ("failed", status_code(&reply, given_up)),
            Action::Delayed { .. } => {
                let code = status_code(&reply, false);
                let transient = if code.starts_with('4') {
                    code
                } else {
                    "4.0.0".into()
                };
                ("delayed", transient)
            }
        };
        status.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {}\r\nAction: {word}\r\nStatus: {code}\r\n",
            one_line(&recipient.address),
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
        if let Action::Delayed { until } = action {
            status.push_str(&format!("Will-Retry-Until: {}\r\n", rfc2822_date(until)));
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
    let subject = match (action, expired) {
        (Action::Delayed { .. }, _) => "Delayed Mail (still being retried)",
        (Action::Failed, true) => "Undelivered Mail Returned to Sender (gave up)",
        (Action::Failed, false) => "Undelivered Mail Returned to Sender",
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
            Action::Failed,
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
    fn a_delay_warning_says_delayed_with_a_transient_status_and_until_when() {
        let mut state = state();
        state.recipients[1].status = RcptStatus::Pending;
        state.recipients[1].reply = Some("cannot connect to mx1: Connection refused".into());
        let until = 1_700_432_000;
        let dsn = compose(
            &state,
            &[1],
            b"Subject: hi\r\n\r\nbody\r\n",
            "client.crepes.test",
            1_700_000_200,
            Action::Delayed { until },
        );
        let text = String::from_utf8(dsn.bytes).unwrap();
        assert!(
            text.contains("Action: delayed\r\nStatus: 4.0.0\r\n"),
            "{text}"
        );
        assert!(
            text.contains(&format!("Will-Retry-Until: {}", rfc2822_date(until))),
            "{text}"
        );
        assert!(text.contains("Subject: Delayed Mail"), "{text}");
        assert!(!text.contains("Action: failed"), "{text}");
    }

    #[test]
    fn status_codes() {
        assert_eq!(status_code("550 5.1.1 unknown", false), "5.1.1");
        assert_eq!(status_code("554 no", false), "5.0.0");
        assert_eq!(status_code("552 5.x.y bad", false), "5.0.0");
        assert_eq!(status_code("451 4.3.0 later", true), "4.4.7");
    }
}
