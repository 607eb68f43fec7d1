//! 支援措置: the protection of victims of domestic violence, stalking, child
//! abuse and similar (住民基本台帳事務における支援措置), as a platform rule.
//!
//! A person under a support measure must not be found through the registry by
//! the person they are protected from: their address is not shown and no
//! certificate (住民票の写し, 印鑑登録証明書, …) is issued for them, except to
//! a role permitted to override the measure, after an explicit confirmation,
//! and every attempt — refused or allowed — is written to the access log.
//!
//! Every business asks [`check`] before it exposes an address or issues a
//! certificate (and appends the access-log entry it returns), so the rule holds in businesses added later without each of
//! them re-implementing it. The pure part ([`SupportMeasure::is_active_on`],
//! [`decide`]) has no IO; [`storage`] reads and records measures through the
//! tenant-scoped handle.
//!
//! History: measures are never updated or deleted. A measure is recorded with
//! its period (one year by default, as the 事務処理要領 sets); an extension
//! is a new measure; ending one early is a separate record.

pub mod storage;

use kiban_core::Date;

pub use storage::{
    Guarded, ProtectionError, check, end_measure, measures_of, person_known, protected_among,
    record_measure, withheld,
};

/// Why the measure was granted (支援措置の対象), with stable codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// `domestic_violence`: ドメスティック・バイオレンス.
    DomesticViolence,
    /// `stalking`: ストーカー行為等.
    Stalking,
    /// `child_abuse`: 児童虐待等.
    ChildAbuse,
    /// `other`: その他これらに準ずる行為.
    Other,
}

impl Reason {
    /// Every reason, in the order of the code table.
    pub const ALL: [Reason; 4] = [
        Reason::DomesticViolence,
        Reason::Stalking,
        Reason::ChildAbuse,
        Reason::Other,
    ];

    /// The stable code stored and used in the API.
    pub fn code(self) -> &'static str {
        match self {
            Reason::DomesticViolence => "domestic_violence",
            Reason::Stalking => "stalking",
            Reason::ChildAbuse => "child_abuse",
            Reason::Other => "other",
        }
    }

    /// The Japanese name shown on screens.
    pub fn label_ja(self) -> &'static str {
        match self {
            Reason::DomesticViolence => "ＤＶ",
            Reason::Stalking => "ストーカー行為等",
            Reason::ChildAbuse => "児童虐待等",
            Reason::Other => "その他",
        }
    }

    /// The reason of a code, if it is one.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// One support measure of one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportMeasure {
    /// Its number in the municipality.
    pub measure_id: i64,
    /// The protected person (宛名番号).
    pub person_id: i64,
    /// Why.
    pub reason: Reason,
    /// First day of the measure.
    pub starts_on: Date,
    /// Last day of the measure as granted.
    pub ends_on: Date,
    /// Last day if it was ended early.
    pub ended_on: Option<Date>,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
}

impl SupportMeasure {
    /// The last day the measure protects: the early end if any, else the
    /// granted end.
    pub fn last_day(&self) -> Date {
        match self.ended_on {
            Some(ended) if ended < self.ends_on => ended,
            _ => self.ends_on,
        }
    }

    /// Whether the measure protects the person on `on`.
    pub fn is_active_on(&self, on: Date) -> bool {
        self.starts_on <= on && on <= self.last_day()
    }

    /// The period of this measure's extension (延長): a new measure from
    /// the day after its granted last day, for one year. `None` when it was
    /// ended early, or when one of `measures` (the person's) already
    /// protects that day (it was extended already).
    pub fn extension_period(&self, measures: &[SupportMeasure]) -> Option<(Date, Date)> {
        if self.ended_on.is_some() {
            return None;
        }
        let starts_on = self.ends_on.tomorrow().ok()?;
        if measures
            .iter()
            .any(|m| m.person_id == self.person_id && m.is_active_on(starts_on))
        {
            return None;
        }
        period(starts_on, None).ok()
    }
}

/// The period of a new measure: one year from its start unless given
/// (支援措置の期間は1年), checked.
///
/// # Errors
/// A period that ends before it starts, or is longer than one year, names
/// the field `ends_on`.
pub fn period(starts_on: Date, ends_on: Option<Date>) -> Result<(Date, Date), PeriodError> {
    let one_year = kiban_core::date::anniversary(starts_on, 1)
        .ok()
        .and_then(|d| d.yesterday().ok())
        .ok_or(PeriodError::StartOutOfRange)?;
    let end = ends_on.unwrap_or(one_year);
    if end < starts_on {
        return Err(PeriodError::EndsBeforeStart);
    }
    if end > one_year {
        return Err(PeriodError::LongerThanOneYear { latest: one_year });
    }
    Ok((starts_on, end))
}

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The start date has no anniversary in the calendar's range.
    #[error("starts_on is out of range")]
    StartOutOfRange,
    /// The end is before the start.
    #[error("ends_on is before starts_on")]
    EndsBeforeStart,
    /// Longer than one year: extend with a new measure instead.
    #[error("a support measure lasts at most one year (ends_on at the latest {latest})")]
    LongerThanOneYear {
        /// The latest allowed last day.
        latest: Date,
    },
}

impl PeriodError {
    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            PeriodError::StartOutOfRange => M::MeasureStartOutOfRange {},
            PeriodError::EndsBeforeStart => M::MeasureEndsBeforeStart {},
            PeriodError::LongerThanOneYear { latest } => M::MeasureLongerThanOneYear {
                latest: latest.to_string(),
            },
        }
    }
}

/// What a business is about to expose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// The person's address (現住所, 前住所, 転出先) on a screen or in the API.
    Address,
    /// A certificate about the person (住民票の写し, 印鑑登録証明書, …).
    Certificate,
}

impl Exposure {
    /// The stable code written in the access log's detail.
    pub fn code(self) -> &'static str {
        match self {
            Exposure::Address => "address",
            Exposure::Certificate => "certificate",
        }
    }

    /// The Japanese name used in messages.
    pub fn label_ja(self) -> &'static str {
        match self {
            Exposure::Address => "住所の表示",
            Exposure::Certificate => "証明書の交付",
        }
    }
}

/// The answer of the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No measure protects the person on that date.
    NotProtected,
    /// Protected, but the actor may override and confirmed explicitly.
    Overridden,
    /// Protected: do not expose.
    Refused,
}

impl Decision {
    /// Whether the business may go on and expose.
    pub fn allows(self) -> bool {
        !matches!(self, Decision::Refused)
    }
}

/// The rule itself, without IO: whether an actor may expose data of a
/// person, given whether a measure is active, whether the actor's role may
/// override measures and whether they confirmed.
pub fn decide(protected: bool, may_override: bool, confirmed: bool) -> Decision {
    match (protected, may_override && confirmed) {
        (false, _) => Decision::NotProtected,
        (true, true) => Decision::Overridden,
        (true, false) => Decision::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        kiban_core::date::parse_iso(text).unwrap()
    }

    fn measure(starts: &str, ends: &str, ended: Option<&str>) -> SupportMeasure {
        SupportMeasure {
            measure_id: 1,
            person_id: 7,
            reason: Reason::DomesticViolence,
            starts_on: d(starts),
            ends_on: d(ends),
            ended_on: ended.map(d),
            recorded_at: String::new(),
            recorded_by: String::new(),
        }
    }

    #[test]
    fn a_measure_protects_from_its_first_to_its_last_day() {
        let m = measure("2026-04-01", "2027-03-31", None);
        assert!(!m.is_active_on(d("2026-03-31")));
        assert!(m.is_active_on(d("2026-04-01")));
        assert!(m.is_active_on(d("2027-03-31")));
        assert!(!m.is_active_on(d("2027-04-01")));
    }

    #[test]
    fn an_early_end_shortens_but_never_lengthens() {
        let ended = measure("2026-04-01", "2027-03-31", Some("2026-09-30"));
        assert!(ended.is_active_on(d("2026-09-30")));
        assert!(!ended.is_active_on(d("2026-10-01")));
        let late = measure("2026-04-01", "2027-03-31", Some("2028-01-01"));
        assert_eq!(late.last_day(), d("2027-03-31"));
    }

    #[test]
    fn an_extension_follows_the_last_day_once() {
        let first = measure("2026-04-01", "2027-03-31", None);
        assert_eq!(
            first.extension_period(std::slice::from_ref(&first)),
            Some((d("2027-04-01"), d("2028-03-31")))
        );
        let extension = SupportMeasure {
            measure_id: 2,
            starts_on: d("2027-04-01"),
            ends_on: d("2028-03-31"),
            ..first.clone()
        };
        assert_eq!(first.extension_period(&[first.clone(), extension]), None);
        let ended = measure("2026-04-01", "2027-03-31", Some("2026-09-30"));
        assert_eq!(ended.extension_period(&[]), None);
    }

    #[test]
    fn the_default_period_is_one_year() {
        assert_eq!(
            period(d("2026-04-01"), None).unwrap(),
            (d("2026-04-01"), d("2027-03-31"))
        );
        // 2月29日 start: the anniversary falls on 2月28日 (per 民法 143条).
        let (_, end) = period(d("2028-02-29"), None).unwrap();
        assert!(end <= d("2029-02-28"));
        assert_eq!(
            period(d("2026-04-01"), Some(d("2026-03-31"))),
            Err(PeriodError::EndsBeforeStart)
        );
        assert!(matches!(
            period(d("2026-04-01"), Some(d("2027-04-01"))),
            Err(PeriodError::LongerThanOneYear { .. })
        ));
    }

    #[test]
    fn only_a_confirmed_override_by_a_permitted_role_passes() {
        assert_eq!(decide(false, false, false), Decision::NotProtected);
        assert_eq!(decide(true, false, true), Decision::Refused);
        assert_eq!(decide(true, true, false), Decision::Refused);
        assert_eq!(decide(true, true, true), Decision::Overridden);
    }

    #[test]
    fn codes_round_trip() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_code(r.code()), Some(r));
        }
        assert_eq!(Reason::from_code("dv"), None);
    }
}
