//! Business days in Japan (営業日): the days a municipal office is open.
//!
//! A business day is neither a Saturday nor a Sunday, nor a national
//! holiday (国民の祝日, 振替休日 and 国民の休日, all as listed in the
//! holiday table), nor one of the year-end and new-year closing days
//! 29 December – 3 January (年末年始, 行政機関の休日に関する法律 第1条).
//!
//! The holidays come from `rules/holidays/syukujitsu.csv`, the Cabinet
//! Office's table (内閣府「国民の祝日」, same layout), compiled in; nothing
//! is computed here that the table gives. A date in a year the table does
//! not cover is refused ([`CalendarError::NotCovered`]) rather than guessed.
//!
//! Pure: no IO, no clock.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use jiff::civil::{Date, Weekday};

/// The holiday table, as published (header line, then `YYYY/M/D,名称`).
const TABLE: &str = include_str!("../../../rules/holidays/syukujitsu.csv");

/// Why the calendar could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The date's year is outside the years the holiday table covers.
    #[error("year {year} is outside the holiday table ({first} to {last})")]
    NotCovered {
        /// The year asked about.
        year: i16,
        /// The first year of the table.
        first: i16,
        /// The last year of the table.
        last: i16,
    },
    /// The compiled-in table could not be read (a broken update).
    #[error("line {line} of the holiday table cannot be read: {reason}")]
    Table {
        /// The line number (1-based, header included).
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

impl CalendarError {
    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            CalendarError::NotCovered { year, first, last } => M::CalendarNotCovered {
                year: year.to_string(),
                first: first.to_string(),
                last: last.to_string(),
            },
            CalendarError::Table { line, reason } => M::CalendarTable {
                line: line.to_string(),
                reason: reason.clone(),
            },
        }
    }
}

/// The parsed holiday table: date → name, and the years it covers.
#[derive(Debug)]
pub struct HolidayTable {
    holidays: BTreeMap<Date, &'static str>,
    first_year: i16,
    last_year: i16,
}

static HOLIDAYS: LazyLock<Result<HolidayTable, CalendarError>> =
    LazyLock::new(|| HolidayTable::parse(TABLE));

impl HolidayTable {
    /// Parses a table in the Cabinet Office's layout (a header line, then
    /// `YYYY/M/D,名称` lines; blank lines ignored).
    pub fn parse(text: &'static str) -> Result<Self, CalendarError> {
        let mut holidays = BTreeMap::new();
        for (index, line) in text.lines().enumerate().skip(1) {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let fail = |reason: &str| CalendarError::Table {
                line: index + 1,
                reason: reason.to_owned(),
            };
            let (date, name) = line
                .split_once(',')
                .ok_or_else(|| fail("カンマがありません"))?;
            let mut parts = date.split('/');
            let mut number = || -> Result<i64, CalendarError> {
                parts
                    .next()
                    .and_then(|part| part.trim().parse::<i64>().ok())
                    .ok_or_else(|| fail("日付が YYYY/M/D ではありません"))
            };
            let (year, month, day) = (number()?, number()?, number()?);
            let date = i16::try_from(year)
                .ok()
                .zip(i8::try_from(month).ok())
                .zip(i8::try_from(day).ok())
                .and_then(|((y, m), d)| Date::new(y, m, d).ok())
                .ok_or_else(|| fail("存在しない日付です"))?;
            if holidays.insert(date, name.trim()).is_some() {
                return Err(fail("同じ日付が二度あります"));
            }
        }
        let first_year = holidays.keys().next().map(|d| d.year());
        let last_year = holidays.keys().next_back().map(|d| d.year());
        match (first_year, last_year) {
            (Some(first_year), Some(last_year)) => Ok(Self {
                holidays,
                first_year,
                last_year,
            }),
            _ => Err(CalendarError::Table {
                line: 1,
                reason: "祝日がありません".to_owned(),
            }),
        }
    }

    /// The first and last year covered.
    pub fn years(&self) -> (i16, i16) {
        (self.first_year, self.last_year)
    }

    fn covers(&self, date: Date) -> Result<(), CalendarError> {
        if (self.first_year..=self.last_year).contains(&date.year()) {
            Ok(())
        } else {
            Err(CalendarError::NotCovered {
                year: date.year(),
                first: self.first_year,
                last: self.last_year,
            })
        }
    }

    /// The holiday's name (`休日` for 振替休日 and 国民の休日), or `None`
    /// on a day that is not a national holiday.
    pub fn holiday_name(&self, date: Date) -> Result<Option<&'static str>, CalendarError> {
        self.covers(date)?;
        Ok(self.holidays.get(&date).copied())
    }

    /// Whether the offices are open on `date` (see the module).
    pub fn is_business_day(&self, date: Date) -> Result<bool, CalendarError> {
        self.covers(date)?;
        let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        Ok(!weekend && !is_year_end_closure(date) && !self.holidays.contains_key(&date))
    }

    /// The first business day on or after `date`.
    pub fn business_day_on_or_after(&self, date: Date) -> Result<Date, CalendarError> {
        let mut day = date;
        loop {
            if self.is_business_day(day)? {
                return Ok(day);
            }
            day = day.tomorrow().map_err(|_| CalendarError::NotCovered {
                year: day.year(),
                first: self.first_year,
                last: self.last_year,
            })?;
        }
    }
}

/// The compiled-in holiday table.
pub fn holidays() -> Result<&'static HolidayTable, CalendarError> {
    HOLIDAYS.as_ref().map_err(Clone::clone)
}

/// Whether `date` is one of the closing days 29 December – 3 January.
pub fn is_year_end_closure(date: Date) -> bool {
    matches!((date.month(), date.day()), (12, 29..=31) | (1, 1..=3))
}

/// Whether the offices are open on `date`, by the compiled-in table.
pub fn is_business_day(date: Date) -> Result<bool, CalendarError> {
    holidays()?.is_business_day(date)
}

/// The national holiday on `date`, by the compiled-in table.
pub fn holiday_name(date: Date) -> Result<Option<&'static str>, CalendarError> {
    holidays()?.holiday_name(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_table_parses_and_covers_at_least_to_2030() {
        let (first, last) = holidays().unwrap().years();
        assert!(first <= 2000, "{first}");
        assert!(last >= 2030, "{last}");
    }

    #[test]
    fn known_holidays_and_their_names() {
        let check = |d: Date, name: Option<&str>| assert_eq!(holiday_name(d).unwrap(), name, "{d}");
        check(date(2026, 9, 21), Some("敬老の日"));
        check(date(2026, 9, 22), Some("休日")); // 国民の休日
        check(date(2026, 9, 23), Some("秋分の日"));
        check(date(2025, 5, 6), Some("休日")); // 振替休日 of こどもの日
        check(date(2026, 1, 1), Some("元日"));
        check(date(2026, 12, 29), None); // closed, but not a national holiday
        check(date(2026, 9, 24), None);
    }

    #[test]
    fn business_days() {
        let check = |d: Date, open: bool| assert_eq!(is_business_day(d).unwrap(), open, "{d}");
        // The 2026 silver week: Sat 19 to Wed 23 September.
        check(date(2026, 9, 18), true);
        for day in 19..=23 {
            check(date(2026, 9, day), false);
        }
        check(date(2026, 9, 24), true);
        // 2025-05-06 振替休日 (Tuesday).
        check(date(2025, 5, 6), false);
        check(date(2025, 5, 7), true);
        // Year end: Mon 28 December open, then closed to Sun 3 January.
        check(date(2026, 12, 28), true);
        for d in [
            date(2026, 12, 29),
            date(2026, 12, 30),
            date(2026, 12, 31),
            date(2027, 1, 1),
            date(2027, 1, 2),
            date(2027, 1, 3),
        ] {
            check(d, false);
        }
        check(date(2027, 1, 4), true);
        // An ordinary Saturday and Sunday.
        check(date(2026, 12, 5), false);
        check(date(2026, 12, 6), false);
        check(date(2026, 12, 7), true);
    }

    #[test]
    fn next_business_day_skips_closures() {
        let table = holidays().unwrap();
        assert_eq!(
            table.business_day_on_or_after(date(2026, 12, 29)).unwrap(),
            date(2027, 1, 4)
        );
        assert_eq!(
            table.business_day_on_or_after(date(2026, 9, 19)).unwrap(),
            date(2026, 9, 24)
        );
        assert_eq!(
            table.business_day_on_or_after(date(2026, 9, 24)).unwrap(),
            date(2026, 9, 24)
        );
    }

    #[test]
    fn years_outside_the_table_are_refused() {
        let (_, last) = holidays().unwrap().years();
        let err = is_business_day(date(last + 1, 6, 1)).unwrap_err();
        assert!(matches!(err, CalendarError::NotCovered { .. }), "{err}");
    }

    #[test]
    fn broken_tables_name_the_line() {
        let err = HolidayTable::parse("h\n2026/1/1,元日\n2026/2/30,x\n").unwrap_err();
        assert_eq!(
            err,
            CalendarError::Table {
                line: 3,
                reason: "存在しない日付です".to_owned()
            }
        );
        assert!(HolidayTable::parse("h\n").is_err());
        assert!(HolidayTable::parse("h\n2026/1/1,a\n2026/1/1,b\n").is_err());
    }
}
