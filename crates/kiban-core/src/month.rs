//! Calendar months (`YYYY-MM`): 初度検査年月, the month of an allowance, and
//! other things the law counts in months.

use std::fmt;

use crate::date::{Date, date};
use crate::{Message, ValueError};

/// A calendar month of a calendar year, such as 2015年4月 (`2015-04`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i16,
    month: i8,
}

impl YearMonth {
    /// A month from its year (1868–2200) and month number (1–12).
    pub fn new(year: i16, month: i8) -> Result<Self, ValueError> {
        if !(1868..=2200).contains(&year) || !(1..=12).contains(&month) {
            return Err(ValueError::invalid_date(Message::ValueText {
                text: format!("{year}年{month}月"),
            }));
        }
        Ok(Self { year, month })
    }

    /// Parses `YYYY-MM` (the form of every JSON interface).
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let bytes = input.as_bytes();
        let well_formed = bytes.len() == 7
            && bytes[4] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || b.is_ascii_digit());
        if !well_formed {
            return Err(ValueError::invalid_date(Message::MonthNotIso {
                input: input.to_owned(),
            }));
        }
        let year = input[0..4].parse::<i16>().unwrap_or(0);
        let month = input[5..7].parse::<i8>().unwrap_or(0);
        Self::new(year, month)
    }

    /// The month that contains `day`.
    pub fn of(day: Date) -> Self {
        Self {
            year: day.year(),
            month: day.month(),
        }
    }

    /// The calendar year.
    pub fn year(self) -> i16 {
        self.year
    }

    /// The month number, 1–12.
    pub fn month(self) -> i8 {
        self.month
    }

    /// The first day of the month.
    pub fn first_day(self) -> Date {
        date(self.year, self.month, 1).unwrap_or(Date::MIN)
    }

    /// The last day of the month.
    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }

    /// The month `count` months later (earlier when negative).
    pub fn plus_months(self, count: i32) -> Self {
        let index = i32::from(self.year) * 12 + i32::from(self.month) - 1 + count;
        Self {
            year: index.div_euclid(12) as i16,
            month: (index.rem_euclid(12) + 1) as i8,
        }
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Debug for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "YearMonth({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_display_and_days() {
        let m = YearMonth::parse("2024-02").unwrap();
        assert_eq!(m.to_string(), "2024-02");
        assert_eq!(m.last_day().to_string(), "2024-02-29");
        assert_eq!(m.first_day().to_string(), "2024-02-01");
        for bad in ["2024-13", "2024-00", "2024-2", "2024/02", "", "２０２４-02"] {
            assert!(YearMonth::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arithmetic_and_order() {
        let m = YearMonth::parse("2015-04").unwrap();
        assert_eq!(m.plus_months(-1).to_string(), "2015-03");
        assert_eq!(m.plus_months(9).to_string(), "2016-01");
        assert_eq!(m.plus_months(-16).to_string(), "2013-12");
        assert!(m.plus_months(-1) < m);
    }
}
