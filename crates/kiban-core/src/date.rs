//! Calendar dates and the legal rules about ages.
//!
//! Dates are plain calendar dates with no time zone: 異動日, 届出日 and 生年月日
//! are days, not instants.

use crate::{Message, ValueError};

/// A calendar date (no time zone).
pub type Date = jiff::civil::Date;

/// Japan's offset from UTC: nine hours, no daylight saving.
pub const JAPAN_OFFSET: jiff::tz::Offset = jiff::tz::offset(9);

/// The wall-clock date and time in Japan at the instant `at`.
pub fn japan_datetime(at: jiff::Timestamp) -> jiff::civil::DateTime {
    JAPAN_OFFSET.to_datetime(at)
}

/// The calendar date in Japan at the instant `at`: the day a counter in
/// Japan is living at that moment.
pub fn japan_date(at: jiff::Timestamp) -> Date {
    japan_datetime(at).date()
}

/// Today in Japan.
pub fn today_in_japan() -> Date {
    japan_date(jiff::Timestamp::now())
}

/// Builds a date, naming the problem when it does not exist (2月30日).
pub fn date(year: i16, month: i8, day: i8) -> Result<Date, ValueError> {
    Date::new(year, month, day).map_err(|_| {
        ValueError::invalid_date(Message::ValueText {
            text: format!("{year}年{month}月{day}日"),
        })
    })
}

/// Parses an ISO date `YYYY-MM-DD` (the form of every JSON interface).
pub fn parse_iso(input: &str) -> Result<Date, ValueError> {
    let bytes = input.as_bytes();
    let well_formed = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !well_formed {
        return Err(ValueError::invalid_date(Message::DateNotIso {
            input: input.to_owned(),
        }));
    }
    let number =
        |range: std::ops::Range<usize>| -> i16 { input[range].parse::<i16>().unwrap_or(0) };
    date(number(0..4), number(5..7) as i8, number(8..10) as i8)
}

/// The date on which the `years`-th anniversary of `birth` falls, where a
/// 29 February birth has its anniversary on 1 March in common years (民法
/// 第143条: a period ending in a month with no corresponding day ends on that
/// month's last day, so the age is reached at the end of 28 February).
pub fn anniversary(birth: Date, years: i16) -> Result<Date, ValueError> {
    let year = birth.year() + years;
    match Date::new(year, birth.month(), birth.day()) {
        Ok(d) => Ok(d),
        Err(_) => date(year, 3, 1),
    }
}

/// Age on a date per 年齢計算ニ関スル法律: a person turns N at the end of the
/// day before the N-th birthday, so on that day the age is already N for
/// legal purposes. Returns 0 for dates before the birth.
pub fn age_on(birth: Date, on: Date) -> u32 {
    let Ok(next_day) = on.tomorrow() else {
        return 0;
    };
    if next_day <= birth {
        return 0;
    }
    let mut years = i32::from(next_day.year() - birth.year());
    let before_birthday = (next_day.month(), next_day.day()) < (birth.month(), birth.day());
    if before_birthday {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// The day on which a person reaches the age `years` (年齢到達日): the day
/// before the anniversary.
pub fn reaches_age_on(birth: Date, years: i16) -> Result<Date, ValueError> {
    anniversary(birth, years)?.yesterday().map_err(|e| {
        ValueError::invalid_date(Message::ValueText {
            text: e.to_string(),
        })
    })
}

/// 就学予定日: the first day of the school year (1 April) after the child
/// reaches six (学校教育法 第17条: 満6歳に達した日の翌日以後における最初の学年の初め).
/// A child born on 1 April enters a year earlier than one born on 2 April.
pub fn school_entry_date(birth: Date) -> Result<Date, ValueError> {
    let day_after_reaching_six = anniversary(birth, 6)?;
    let april_first = date(day_after_reaching_six.year(), 4, 1)?;
    if day_after_reaching_six <= april_first {
        Ok(april_first)
    } else {
        date(day_after_reaching_six.year() + 1, 4, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        parse_iso(s).unwrap_or(Date::MIN)
    }

    #[test]
    fn iso_parsing_names_the_problem() {
        assert_eq!(parse_iso("2024-02-29"), Ok(d("2024-02-29")));
        assert!(matches!(
            parse_iso("2023-02-29"),
            Err(ValueError::InvalidDate(_))
        ));
        assert!(matches!(
            parse_iso("2024-2-29"),
            Err(ValueError::InvalidDate(_))
        ));
        assert!(matches!(
            parse_iso("2024-02-30"),
            Err(ValueError::InvalidDate(_))
        ));
        assert!(matches!(parse_iso(""), Err(ValueError::InvalidDate(_))));
        assert!(matches!(
            parse_iso("２０２４-02-01"),
            Err(ValueError::InvalidDate(_))
        ));
    }

    #[test]
    fn age_turns_on_the_day_before_the_birthday() {
        let birth = d("2000-04-02");
        assert_eq!(age_on(birth, d("2020-03-31")), 19);
        assert_eq!(age_on(birth, d("2020-04-01")), 20);
        assert_eq!(age_on(birth, d("2020-04-02")), 20);
        assert_eq!(age_on(birth, d("2000-04-02")), 0);
        assert_eq!(age_on(birth, d("1999-01-01")), 0);
    }

    #[test]
    fn leap_day_births() {
        let birth = d("2004-02-29");
        assert_eq!(age_on(birth, d("2005-02-27")), 0);
        assert_eq!(age_on(birth, d("2005-02-28")), 1);
        assert_eq!(age_on(birth, d("2008-02-27")), 3);
        assert_eq!(age_on(birth, d("2008-02-28")), 4);
        assert_eq!(reaches_age_on(birth, 1), Ok(d("2005-02-28")));
        assert_eq!(reaches_age_on(birth, 4), Ok(d("2008-02-28")));
    }

    #[test]
    fn school_entry_on_first_and_second_of_april() {
        assert_eq!(school_entry_date(d("2018-04-01")), Ok(d("2024-04-01")));
        assert_eq!(school_entry_date(d("2018-04-02")), Ok(d("2025-04-01")));
        assert_eq!(school_entry_date(d("2017-04-02")), Ok(d("2024-04-01")));
        assert_eq!(school_entry_date(d("2018-03-31")), Ok(d("2024-04-01")));
        assert_eq!(school_entry_date(d("2018-12-31")), Ok(d("2025-04-01")));
        assert_eq!(school_entry_date(d("2020-02-29")), Ok(d("2026-04-01")));
    }

    proptest::proptest! {
        #[test]
        fn age_is_monotonic_and_changes_once_a_year(days in 0i32..40_000, offset in 0i32..40_000) {
            let birth = d("1900-01-01").checked_add(jiff::Span::new().days(days)).unwrap_or(Date::MIN);
            let on = birth.checked_add(jiff::Span::new().days(offset)).unwrap_or(Date::MIN);
            let next = on.tomorrow().unwrap_or(on);
            let a = age_on(birth, on);
            let b = age_on(birth, next);
            proptest::prop_assert!(b == a || b == a + 1);
            proptest::prop_assert!(a <= (offset as u32) / 365 + 1);
        }
    }
}
