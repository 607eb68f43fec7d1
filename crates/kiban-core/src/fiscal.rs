//! 年度: the fiscal year, April to March.

use std::fmt;

use crate::date::{Date, date};
use crate::{Message, ValueError};

/// 年度 (fiscal year): from 1 April to 31 March, named by the calendar year in
/// which it starts (令和7年度 = `FiscalYear(2025)`, 2025-04-01 to 2026-03-31).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FiscalYear(i16);

impl FiscalYear {
    /// A fiscal year by the calendar year in which it starts (1868–2200).
    pub fn new(start_year: i32) -> Result<Self, ValueError> {
        if !(1868..=2200).contains(&start_year) {
            return Err(ValueError::out_of_range(Message::ValueText {
                text: format!("{start_year}年度"),
            }));
        }
        Ok(Self(start_year as i16))
    }

    /// The fiscal year that contains `day`.
    pub fn containing(day: Date) -> Self {
        if day.month() >= 4 {
            Self(day.year())
        } else {
            Self(day.year() - 1)
        }
    }

    /// The calendar year in which it starts.
    pub fn start_year(self) -> i32 {
        i32::from(self.0)
    }

    /// 1 April of the year.
    pub fn first_day(self) -> Date {
        date(self.0, 4, 1).unwrap_or(Date::MIN)
    }

    /// 31 March of the following year.
    pub fn last_day(self) -> Date {
        date(self.0 + 1, 3, 31).unwrap_or(Date::MAX)
    }

    /// 賦課期日 of taxes assessed in this year: 1 January of its calendar year.
    pub fn assessment_date(self) -> Date {
        date(self.0, 1, 1).unwrap_or(Date::MIN)
    }

    /// The year before.
    pub fn previous(self) -> Self {
        Self(self.0 - 1)
    }
}

impl fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}年度", self.0)
    }
}

impl fmt::Debug for FiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FiscalYear({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::parse_iso;

    #[test]
    fn boundaries() {
        let fy = |s| {
            parse_iso(s)
                .map(FiscalYear::containing)
                .map(|f| f.start_year())
        };
        assert_eq!(fy("2025-03-31"), Ok(2024));
        assert_eq!(fy("2025-04-01"), Ok(2025));
        assert_eq!(fy("2026-03-31"), Ok(2025));
        let y = FiscalYear::new(2025).ok();
        assert_eq!(
            y.map(|y| y.first_day().to_string()),
            Some("2025-04-01".into())
        );
        assert_eq!(
            y.map(|y| y.last_day().to_string()),
            Some("2026-03-31".into())
        );
        assert_eq!(
            y.map(|y| y.assessment_date().to_string()),
            Some("2025-01-01".into())
        );
        assert!(FiscalYear::new(99999).is_err());
    }
}
