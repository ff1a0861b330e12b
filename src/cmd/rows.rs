//! One row per message for the people choosing among them (`fetch -i`'s picker, `dele`'s
//! confirmation): number, date, size as people read it, sender and subject.

use crate::{
    maildrop::access::Entry,
    message::HeaderSummary,
    output::{escape_line, human_size},
};

/// The row for `entry`, from its header (`TOP n 0`) when the server sent one; escaped.
pub fn message_row(entry: &Entry, header: Option<&[u8]>) -> String {
    let summary = header.map(HeaderSummary::parse).unwrap_or_default();
    escape_line(&format!(
        "{:>5}  {:<17}  {:>8}  {:<24.24}  {}",
        entry.number,
        summary.date.as_deref().map(short_date).unwrap_or_default(),
        human_size(entry.size),
        summary.from_line().unwrap_or_default(),
        summary.subject.unwrap_or_default()
    ))
    .into_owned()
}

/// `Tue, 24 Nov 2026 09:15:00 -0500` as `24 Nov 2026 09:15`: the day, month, year and
/// minute the sender wrote; a date in another shape is cut to the same width.
fn short_date(date: &str) -> String {
    let date = date.trim();
    let date = match date.split_once(',') {
        Some((weekday, rest)) if weekday.len() <= 3 => rest.trim(),
        _ => date,
    };
    let words: Vec<&str> = date.split_whitespace().collect();
    match words.as_slice() {
        [day, month, year, time, ..] if time.len() >= 5 && time.as_bytes()[2] == b':' => {
            format!("{day} {month} {year} {}", &time[..5])
        }
        _ => date.chars().take(17).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_show_date_and_a_human_size() {
        let entry = Entry {
            number: 7,
            size: 123_456,
            uidl: None,
        };
        let header =
            b"From: Alice <a@x.test>\r\nSubject: Hi\r\nDate: Tue, 24 Nov 2026 09:15:00 -0500\r\n";
        let row = message_row(&entry, Some(header));
        assert!(
            row.starts_with("    7  24 Nov 2026 09:15   121 KiB"),
            "{row}"
        );
        assert!(
            row.contains("Alice <a@x.test>") && row.ends_with("Hi"),
            "{row}"
        );
        assert_eq!(short_date("the day after tomorrow"), "the day after tom");
        assert!(message_row(&entry, None).contains("121 KiB"));
    }
}
