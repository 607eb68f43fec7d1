//! The month of a report, in Japan time (JST, UTC+9, no daylight saving),
//! and its bounds in UTC for the recorded rows (stored in UTC).

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// A calendar month in Japan time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    first: Date,
}

/// Why a month was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MonthError {
    /// Not `YYYY-MM` with a month 01 to 12.
    #[error("month: {0:?} is not a month as YYYY-MM (e.g. 2026-11)")]
    Malformed(String),
}

fn japan() -> TimeZone {
    TimeZone::fixed(kiban_core::JAPAN_OFFSET)
}

impl Month {
    /// Parses `YYYY-MM`.
    pub fn parse(text: &str) -> Result<Month, MonthError> {
        let bad = || MonthError::Malformed(text.to_owned());
        let (year, month) = text.split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(bad());
        }
        let year: i16 = year.parse().map_err(|_| bad())?;
        let month: i8 = month.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || year < 2000 {
            return Err(bad());
        }
        let first = Date::new(year, month, 1).map_err(|_| bad())?;
        Ok(Month { first })
    }

    /// The month in Japan time that contains `at`.
    pub fn containing(at: Timestamp) -> Month {
        let date = at.to_zoned_datetime(japan()).date();
        Month {
            first: date.first_of_month(),
        }
    }

    /// `YYYY-MM`.
    pub fn label(&self) -> String {
        format!("{:04}-{:02}", self.first.year(), self.first.month())
    }

    /// 和暦 label with the 西暦 in brackets, e.g. 令和8年11月（2026年11月）:
    /// the era of the month's last day (2019-04 is 平成31年4月, 2019-05
    /// 令和元年5月).
    pub fn label_ja(&self) -> String {
        let last = self.first.last_of_month();
        let western = format!("{}年{}月", self.first.year(), self.first.month());
        match kiban_core::wareki::to_wareki(last) {
            Ok(w) => {
                let year = if w.year() == 1 {
                    "元".to_owned()
                } else {
                    w.year().to_string()
                };
                format!("{}{year}年{}月（{western}）", w.era().name_ja(), w.month())
            }
            Err(_) => western,
        }
    }

    /// The first moment of the month.
    pub fn start(&self) -> Timestamp {
        self.moment(self.first)
    }

    /// The first moment of the next month.
    pub fn end(&self) -> Timestamp {
        self.moment(self.first.saturating_add(1.month()))
    }

    fn moment(&self, date: Date) -> Timestamp {
        // Midnight exists in a fixed offset: no gap or fold.
        date.to_zoned_datetime(japan())
            .map(|z| z.timestamp())
            .unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// The bounds `[start, end)` as UTC text `YYYY-MM-DDTHH:MM:SS`, which
    /// compares correctly with stored RFC 3339 UTC timestamps (a stored
    /// `…:00.5Z` sorts after the bound `…:00`).
    pub fn utc_bounds(&self) -> (String, String) {
        (utc_text(self.start()), utc_text(self.end()))
    }

    /// The bounds `[start, end)` as hour keys `YYYY-MM-DDTHH` (UTC).
    pub fn hour_bounds(&self) -> (String, String) {
        let (s, e) = self.utc_bounds();
        (s[..13].to_owned(), e[..13].to_owned())
    }

    /// The bounds `[start, end)` as minute keys `YYYY-MM-DDTHH:MM` (UTC).
    pub fn minute_bounds(&self) -> (String, String) {
        let (s, e) = self.utc_bounds();
        (s[..16].to_owned(), e[..16].to_owned())
    }
}

fn utc_text(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The hour key (`YYYY-MM-DDTHH`, UTC) of a moment.
pub fn hour_key(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H").to_string()
}

/// The minute key (`YYYY-MM-DDTHH:MM`, UTC) of a moment.
pub fn minute_key(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_in_japan_starts_at_15_utc_the_day_before() {
        let m = Month::parse("2026-11").unwrap();
        assert_eq!(
            m.utc_bounds(),
            (
                "2026-10-31T15:00:00".to_owned(),
                "2026-11-30T15:00:00".to_owned()
            )
        );
        assert_eq!(m.hour_bounds().0, "2026-10-31T15");
        assert_eq!(m.minute_bounds().1, "2026-11-30T15:00");
        assert_eq!(m.label_ja(), "令和8年11月（2026年11月）");
        assert_eq!(
            Month::parse("2019-04").unwrap().label_ja(),
            "平成31年4月（2019年4月）"
        );
        assert_eq!(
            Month::parse("2019-05").unwrap().label_ja(),
            "令和元年5月（2019年5月）"
        );
        let dec = Month::parse("2026-12").unwrap();
        assert_eq!(dec.utc_bounds().1, "2026-12-31T15:00:00");
    }

    #[test]
    fn bad_months_are_refused() {
        for bad in [
            "", "2026", "2026-13", "2026-00", "26-11", "2026-1", "2026/11", "abcd-ef",
        ] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_month_of_a_moment_is_read_in_japan_time() {
        let t: Timestamp = "2026-11-30T15:30:00Z".parse().unwrap();
        assert_eq!(Month::containing(t).label(), "2026-12");
        assert_eq!(hour_key(t), "2026-11-30T15");
        assert_eq!(minute_key(t), "2026-11-30T15:30");
    }
}
