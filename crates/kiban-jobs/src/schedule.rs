//! Schedules of a batch plan (年間・月間・日次計画): when a planned job is
//! due.
//!
//! | text | due at (Japan time) |
//! |---|---|
//! | `yearly:MM-DD` | 00:00 on that day every year (29 February is refused: it is not a day of every year) |
//! | `monthly:DD` | 00:00 on that day of every month; in a shorter month, on its last day |
//! | `monthly:last` | 00:00 on the last day of every month |
//! | `daily:HH:MM` | every day at that time |
//! | `business-days:HH:MM` | at that time on every business day ([`crate::calendar`]) |
//!
//! A schedule only says when a run is due; the plan enqueues it. Each due
//! time is a *slot*, named by its Japan civil time (`2026-12-07T09:00`),
//! which the plan records so that a slot is enqueued once.
//!
//! Catching up: [`Schedule::latest_due`] answers only the latest slot in a
//! period. A scheduler that was down for three days enqueues a daily job
//! once on restart (for the latest missed slot), not three times: a
//! planned job reads the data as it is when it runs, so running it three
//! times in a row would do the same work thrice. A clerk who needs a
//! missed period (a monthly statistic as of an earlier date) submits it
//! with that parameter.
//!
//! Japan time is UTC+9 all year (Asia/Tokyo has had no daylight saving
//! time since 1951), so a fixed offset is used and no time-zone database is
//! needed. Pure: no IO, no clock (times are passed in).

use std::fmt;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::Offset;

use crate::calendar::{self, CalendarError};

/// Japan time (UTC+9).
pub const JAPAN: Offset = kiban_core::JAPAN_OFFSET;

/// A parsed schedule (see the module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every year on one day (`yearly:MM-DD`).
    Yearly {
        /// Month, 1–12.
        month: i8,
        /// Day, valid for the month in every year.
        day: i8,
    },
    /// Every month on one day (`monthly:DD`), the last day in shorter months.
    MonthlyOn {
        /// Day, 1–31.
        day: i8,
    },
    /// Every month on its last day (`monthly:last`).
    MonthlyLast,
    /// Every day at a time (`daily:HH:MM`).
    Daily {
        /// Time of day, Japan time.
        at: Time,
    },
    /// Every business day at a time (`business-days:HH:MM`).
    BusinessDays {
        /// Time of day, Japan time.
        at: Time,
    },
}

/// What is wrong with a schedule's text; the message names it in Japanese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Not one of the known forms.
    #[error("schedule {0:?}: unknown form")]
    UnknownForm(String),
    /// The month is not 01–12.
    #[error("schedule {0:?}: the month is not 01 to 12")]
    Month(String),
    /// The day does not exist in the month (in every year).
    #[error("schedule {0:?}: no such day in the month")]
    Day(String),
    /// The time is not HH:MM within 00:00–23:59.
    #[error("schedule {0:?}: the time is not HH:MM (00:00 to 23:59)")]
    Time(String),
}

impl ScheduleError {
    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            ScheduleError::UnknownForm(schedule) => M::ScheduleUnknownForm {
                schedule: schedule.clone(),
            },
            ScheduleError::Month(schedule) => M::ScheduleMonth {
                schedule: schedule.clone(),
            },
            ScheduleError::Day(schedule) => M::ScheduleDay {
                schedule: schedule.clone(),
            },
            ScheduleError::Time(schedule) => M::ScheduleTime {
                schedule: schedule.clone(),
            },
        }
    }
}

fn two_digits(text: &str) -> Option<i8> {
    if text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

fn parse_time(text: &str, whole: &str) -> Result<Time, ScheduleError> {
    let bad = || ScheduleError::Time(whole.to_owned());
    let (hour, minute) = text.split_once(':').ok_or_else(bad)?;
    let (hour, minute) = two_digits(hour).zip(two_digits(minute)).ok_or_else(bad)?;
    Time::new(hour, minute, 0, 0).map_err(|_| bad())
}

impl Schedule {
    /// Parses a schedule's text (see the module for the forms).
    pub fn parse(text: &str) -> Result<Self, ScheduleError> {
        let whole = text.to_owned();
        let (form, rest) = text
            .split_once(':')
            .ok_or_else(|| ScheduleError::UnknownForm(whole.clone()))?;
        match form {
            "yearly" => {
                let (month, day) = rest
                    .split_once('-')
                    .ok_or_else(|| ScheduleError::UnknownForm(whole.clone()))?;
                let month = two_digits(month)
                    .filter(|m| (1..=12).contains(m))
                    .ok_or_else(|| ScheduleError::Month(whole.clone()))?;
                let day = two_digits(day).ok_or_else(|| ScheduleError::Day(whole.clone()))?;
                // A day of every year: checked against a common year, so
                // 29 February is refused with 30 February.
                if day < 1 || Date::new(2025, month, day).is_err() {
                    return Err(ScheduleError::Day(whole));
                }
                Ok(Self::Yearly { month, day })
            }
            "monthly" if rest == "last" => Ok(Self::MonthlyLast),
            "monthly" => {
                let day = two_digits(rest)
                    .filter(|d| (1..=31).contains(d))
                    .ok_or(ScheduleError::Day(whole))?;
                Ok(Self::MonthlyOn { day })
            }
            "daily" => Ok(Self::Daily {
                at: parse_time(rest, &whole)?,
            }),
            "business-days" => Ok(Self::BusinessDays {
                at: parse_time(rest, &whole)?,
            }),
            _ => Err(ScheduleError::UnknownForm(whole)),
        }
    }

    /// The schedule's slot on `date` (Japan time), if it has one that day.
    pub fn slot_on(&self, date: Date) -> Result<Option<DateTime>, CalendarError> {
        let midnight = Time::midnight();
        Ok(match *self {
            Self::Yearly { month, day } => {
                (date.month() == month && date.day() == day).then(|| date.to_datetime(midnight))
            }
            Self::MonthlyOn { day } => {
                let due = day.min(date.days_in_month());
                (date.day() == due).then(|| date.to_datetime(midnight))
            }
            Self::MonthlyLast => {
                (date.day() == date.days_in_month()).then(|| date.to_datetime(midnight))
            }
            Self::Daily { at } => Some(date.to_datetime(at)),
            Self::BusinessDays { at } => {
                calendar::is_business_day(date)?.then(|| date.to_datetime(at))
            }
        })
    }

    /// The latest slot `s` with `after < s <= until`, if any: the one run a
    /// scheduler enqueues for the period, however many slots it holds
    /// (see the module on catching up).
    pub fn latest_due(
        &self,
        after: Timestamp,
        until: Timestamp,
    ) -> Result<Option<DateTime>, CalendarError> {
        if until <= after {
            return Ok(None);
        }
        let after_civil = JAPAN.to_datetime(after);
        let until_civil = JAPAN.to_datetime(until);
        let mut date = until_civil.date();
        // Every schedule has a slot at least once in 366 days + the longest
        // run of closed days; 400 days back is always enough.
        for _ in 0..400 {
            if date < after_civil.date() {
                return Ok(None);
            }
            if let Some(slot) = self.slot_on(date)?
                && slot <= until_civil
            {
                return Ok((slot > after_civil).then_some(slot));
            }
            date = match date.yesterday() {
                Ok(day) => day,
                Err(_) => return Ok(None),
            };
        }
        Ok(None)
    }

    /// The first slot strictly after `after` (for showing the next run).
    pub fn next_after(&self, after: Timestamp) -> Result<Option<DateTime>, CalendarError> {
        let after_civil = JAPAN.to_datetime(after);
        let mut date = after_civil.date();
        for _ in 0..400 {
            if let Some(slot) = self.slot_on(date)?
                && slot > after_civil
            {
                return Ok(Some(slot));
            }
            date = match date.tomorrow() {
                Ok(day) => day,
                Err(_) => return Ok(None),
            };
        }
        Ok(None)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Yearly { month, day } => write!(f, "yearly:{month:02}-{day:02}"),
            Self::MonthlyOn { day } => write!(f, "monthly:{day:02}"),
            Self::MonthlyLast => write!(f, "monthly:last"),
            Self::Daily { at } => write!(f, "daily:{:02}:{:02}", at.hour(), at.minute()),
            Self::BusinessDays { at } => {
                write!(f, "business-days:{:02}:{:02}", at.hour(), at.minute())
            }
        }
    }
}

/// A slot's name, as recorded: its Japan civil time to the minute
/// (`2026-12-07T09:00`).
pub fn slot_key(slot: DateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        slot.year(),
        slot.month(),
        slot.day(),
        slot.hour(),
        slot.minute()
    )
}

/// A slot's instant.
pub fn slot_timestamp(slot: DateTime) -> Result<Timestamp, jiff::Error> {
    JAPAN.to_timestamp(slot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn at(text: &str) -> Timestamp {
        // Japan civil time → instant.
        let civil: DateTime = text.parse().unwrap();
        JAPAN.to_timestamp(civil).unwrap()
    }

    fn latest(schedule: &str, after: &str, until: &str) -> Option<String> {
        Schedule::parse(schedule)
            .unwrap()
            .latest_due(at(after), at(until))
            .unwrap()
            .map(slot_key)
    }

    #[test]
    fn parses_every_form_and_prints_it_back() {
        for text in [
            "yearly:04-01",
            "yearly:12-31",
            "monthly:01",
            "monthly:31",
            "monthly:last",
            "daily:00:00",
            "daily:23:59",
            "business-days:09:00",
        ] {
            assert_eq!(Schedule::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn invalid_schedules_name_what_is_wrong() {
        let check = |text: &str, expected: fn(String) -> ScheduleError| {
            assert_eq!(
                Schedule::parse(text).unwrap_err(),
                expected(text.to_owned()),
                "{text}"
            );
        };
        check("yearly:02-30", ScheduleError::Day);
        check("yearly:02-29", ScheduleError::Day);
        check("yearly:04-31", ScheduleError::Day);
        check("yearly:04-00", ScheduleError::Day);
        check("yearly:13-01", ScheduleError::Month);
        check("yearly:4-1", ScheduleError::Month);
        check("yearly:0401", ScheduleError::UnknownForm);
        check("monthly:32", ScheduleError::Day);
        check("monthly:00", ScheduleError::Day);
        check("monthly:first", ScheduleError::Day);
        check("daily:24:00", ScheduleError::Time);
        check("daily:9:00", ScheduleError::Time);
        check("daily:09:60", ScheduleError::Time);
        check("business-days:0900", ScheduleError::Time);
        check("weekly:mon", ScheduleError::UnknownForm);
        check("", ScheduleError::UnknownForm);
        let message = Schedule::parse("yearly:02-30").unwrap_err().to_string();
        assert!(message.contains("yearly:02-30"), "{message}");
        let message = Schedule::parse("yearly:02-30")
            .unwrap_err()
            .message()
            .text();
        assert!(message.contains("yearly:02-30"), "{message}");
    }

    #[test]
    fn daily_catches_up_once_with_the_latest_slot() {
        // Down from Monday 08:00 to Thursday 10:00: one slot, Thursday's.
        assert_eq!(
            latest("daily:09:00", "2026-12-07T08:00", "2026-12-10T10:00").as_deref(),
            Some("2026-12-10T09:00")
        );
        // Before Thursday's slot: Wednesday's.
        assert_eq!(
            latest("daily:09:00", "2026-12-07T08:00", "2026-12-10T08:59").as_deref(),
            Some("2026-12-09T09:00")
        );
        // The slot exactly at `until` is due; exactly at `after` is not.
        assert_eq!(
            latest("daily:09:00", "2026-12-10T08:00", "2026-12-10T09:00").as_deref(),
            Some("2026-12-10T09:00")
        );
        assert_eq!(
            latest("daily:09:00", "2026-12-10T09:00", "2026-12-10T12:00"),
            None
        );
        assert_eq!(
            latest("daily:09:00", "2026-12-10T09:30", "2026-12-11T08:00"),
            None
        );
    }

    #[test]
    fn business_days_skip_holidays_and_the_year_end() {
        // Friday 18 September 2026 is the last business day before the
        // silver week; from the holidays' end it is still the latest.
        assert_eq!(
            latest(
                "business-days:09:00",
                "2026-09-17T12:00",
                "2026-09-23T23:00"
            )
            .as_deref(),
            Some("2026-09-18T09:00")
        );
        assert_eq!(
            latest(
                "business-days:09:00",
                "2026-09-18T12:00",
                "2026-09-23T23:00"
            ),
            None
        );
        let schedule = Schedule::parse("business-days:09:00").unwrap();
        assert_eq!(
            schedule
                .next_after(at("2026-12-28T10:00"))
                .unwrap()
                .map(slot_key)
                .as_deref(),
            Some("2027-01-04T09:00")
        );
        assert_eq!(
            schedule.slot_on(date(2025, 5, 6)).unwrap(),
            None,
            "振替休日"
        );
    }

    #[test]
    fn monthly_and_yearly() {
        assert_eq!(
            latest("monthly:31", "2026-11-01T00:00", "2026-12-01T00:00").as_deref(),
            Some("2026-11-30T00:00")
        );
        assert_eq!(
            latest("monthly:last", "2026-02-01T00:00", "2026-03-10T00:00").as_deref(),
            Some("2026-02-28T00:00")
        );
        assert_eq!(
            latest("monthly:15", "2026-01-01T00:00", "2026-12-20T00:00").as_deref(),
            Some("2026-12-15T00:00")
        );
        assert_eq!(
            latest("yearly:04-01", "2024-01-01T00:00", "2026-12-20T00:00").as_deref(),
            Some("2026-04-01T00:00")
        );
        assert_eq!(
            latest("yearly:04-01", "2026-04-01T00:00", "2026-12-20T00:00"),
            None
        );
        let next = Schedule::parse("yearly:01-01")
            .unwrap()
            .next_after(at("2026-12-06T22:00"))
            .unwrap()
            .map(slot_key);
        assert_eq!(next.as_deref(), Some("2027-01-01T00:00"));
    }

    #[test]
    fn japan_time_is_utc_plus_nine() {
        let utc: Timestamp = "2026-12-07T00:00:00Z".parse().unwrap();
        let schedule = Schedule::parse("daily:09:00").unwrap();
        assert_eq!(
            schedule
                .latest_due(utc - jiff::SignedDuration::from_hours(1), utc)
                .unwrap()
                .map(slot_key)
                .as_deref(),
            Some("2026-12-07T09:00")
        );
        assert_eq!(
            slot_timestamp(date(2026, 12, 7).at(9, 0, 0, 0)).unwrap(),
            utc
        );
    }
}
