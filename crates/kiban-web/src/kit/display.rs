//! How every screen writes dates, times and codes for clerks: 和暦 (with
//! 西暦 where a date stands alone), Japan time, postal codes. Shared by
//! every business so that a date reads the same on every screen.

use jiff::Timestamp;
use jiff::civil::DateTime;
use kiban_core::Date;
use kiban_core::wareki::{format_ja, format_ja_with_western};

/// A date as clerks read it: `令和7年（2025年）4月1日`.
pub(crate) fn date_ja(date: Date) -> String {
    format_ja_with_western(date)
}

/// A date in 和暦 only, for lists and tables: `令和7年4月1日`.
pub(crate) fn short_date_ja(date: Date) -> String {
    format_ja(date)
}

/// An instant in Japan time.
pub(crate) fn japan_time(at: Timestamp) -> DateTime {
    kiban_core::japan_datetime(at)
}

/// A stored instant (RFC 3339, UTC) in Japan time; `None` if unreadable.
pub(crate) fn stored_japan_time(at: &str) -> Option<DateTime> {
    at.parse::<Timestamp>().ok().map(japan_time)
}

/// A civil date and time to the minute: `令和8年11月23日 10:05`.
pub(crate) fn minutes_ja(civil: DateTime) -> String {
    format!(
        "{} {:02}:{:02}",
        format_ja(civil.date()),
        civil.hour(),
        civil.minute()
    )
}

/// An instant in Japan time to the minute: `令和8年11月23日 10:05`.
pub(crate) fn timestamp_ja(at: Timestamp) -> String {
    minutes_ja(japan_time(at))
}

/// A stored instant (RFC 3339) in Japan time to the minute, or the text as
/// stored if it is unreadable.
pub(crate) fn stored_timestamp_ja(at: &str) -> String {
    stored_japan_time(at).map_or_else(|| at.to_owned(), minutes_ja)
}

/// A postal code as written on paper: `〒100-0001`.
pub(crate) fn postal_ja(code: &str) -> String {
    if code.len() == 7 && code.is_ascii() {
        format!("〒{}-{}", &code[..3], &code[3..])
    } else {
        format!("〒{code}")
    }
}

/// A login as written into an entry's detail: its own characters only.
pub(crate) fn sanitize_login(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
        .take(80)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_times_and_codes() {
        let date = Date::new(2025, 4, 1).unwrap();
        assert_eq!(date_ja(date), "令和7年（2025年）4月1日");
        assert_eq!(short_date_ja(date), "令和7年4月1日");
        let at: Timestamp = "2026-11-23T01:05:00Z".parse().unwrap();
        assert_eq!(timestamp_ja(at), "令和8年11月23日 10:05");
        assert_eq!(
            stored_timestamp_ja("2026-11-23T01:05:00Z"),
            "令和8年11月23日 10:05"
        );
        assert_eq!(stored_timestamp_ja("yesterday"), "yesterday");
        assert_eq!(postal_ja("1000001"), "〒100-0001");
        assert_eq!(postal_ja("100"), "〒100");
    }
}
