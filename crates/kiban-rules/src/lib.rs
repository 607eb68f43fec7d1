//! Dated rule data (法改正は新しいルールデータで).
//!
//! Laws change every year. Each calculation's rates, thresholds, tables and
//! rounding rules live in human-readable TOML files under `rules/` at the root
//! of the repository, one file per topic and year (`rules/resident_tax/2026.toml`),
//! each figure with its source noted beside it. A business crate compiles its
//! files in with `include_str!` and keeps them in a [`RuleBook`], which parses
//! and validates every year at first use, so a broken file fails the tests of
//! that business rather than a calculation at the counter. A new fiscal year
//! is a new file plus its tests; past years' files never change.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::de::DeserializeOwned;

/// A problem with rule data or with the year asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// No rule data exists for the year asked for.
    #[error("{topic}: no rule data for {year} (supported: {supported})")]
    UnsupportedYear {
        /// The topic, e.g. `resident_tax`.
        topic: &'static str,
        /// The year asked for.
        year: i32,
        /// The years that exist, for the message.
        supported: String,
    },
    /// A rule file could not be read or failed validation.
    #[error("{topic}: the rule data of {year} is invalid: {reason}")]
    Invalid {
        /// The topic.
        topic: &'static str,
        /// The year of the file.
        year: i32,
        /// What was wrong.
        reason: String,
    },
}

impl RuleError {
    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        match self {
            RuleError::UnsupportedYear {
                topic,
                year,
                supported,
            } => kiban_core::Message::RulesUnsupportedYear {
                topic: (*topic).to_owned(),
                year: year.to_string(),
                supported: supported.clone(),
            },
            RuleError::Invalid {
                topic,
                year,
                reason,
            } => kiban_core::Message::RulesInvalid {
                topic: (*topic).to_owned(),
                year: year.to_string(),
                reason: reason.clone(),
            },
        }
    }
}

/// Rule data that can check its own consistency after parsing (tables sorted,
/// thresholds increasing, rates within range, …).
pub trait Validate {
    /// Returns a description of the first problem found, if any.
    fn validate(&self) -> Result<(), String>;
}

/// The rule files of one topic, by year, parsed once.
pub struct RuleBook<T> {
    topic: &'static str,
    sources: &'static [(i32, &'static str)],
    parsed: OnceLock<Result<BTreeMap<i32, T>, RuleError>>,
}

impl<T: DeserializeOwned + Validate> RuleBook<T> {
    /// A rule book over `(year, file contents)` pairs, usually built with
    /// `include_str!`.
    pub const fn new(topic: &'static str, sources: &'static [(i32, &'static str)]) -> Self {
        Self {
            topic,
            sources,
            parsed: OnceLock::new(),
        }
    }

    /// The topic name.
    pub fn topic(&self) -> &'static str {
        self.topic
    }

    fn all(&self) -> Result<&BTreeMap<i32, T>, RuleError> {
        self.parsed
            .get_or_init(|| {
                let mut map = BTreeMap::new();
                for &(year, text) in self.sources {
                    let rules: T = toml::from_str(text).map_err(|e| RuleError::Invalid {
                        topic: self.topic,
                        year,
                        reason: e.to_string(),
                    })?;
                    rules.validate().map_err(|reason| RuleError::Invalid {
                        topic: self.topic,
                        year,
                        reason,
                    })?;
                    map.insert(year, rules);
                }
                Ok(map)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parses and validates every year; call it from a test and at start-up.
    pub fn check(&self) -> Result<(), RuleError> {
        self.all().map(|_| ())
    }

    /// The years for which rules exist, oldest first.
    pub fn years(&self) -> Vec<i32> {
        self.sources.iter().map(|(y, _)| *y).collect()
    }

    /// The rules of exactly this year.
    pub fn for_year(&self, year: i32) -> Result<&T, RuleError> {
        let all = self.all()?;
        all.get(&year).ok_or_else(|| RuleError::UnsupportedYear {
            topic: self.topic,
            year,
            supported: all
                .keys()
                .map(|y| y.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// The rules in force in `year`: those of the latest file whose year is
    /// not after it (for rules that change only some years, like late-fee
    /// rates kept by calendar year). Years before the first file are
    /// unsupported.
    pub fn in_force(&self, year: i32) -> Result<(i32, &T), RuleError> {
        let all = self.all()?;
        all.range(..=year)
            .next_back()
            .map(|(y, r)| (*y, r))
            .ok_or_else(|| RuleError::UnsupportedYear {
                topic: self.topic,
                year,
                supported: all
                    .keys()
                    .map(|y| y.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Demo {
        rate_percent: u32,
    }

    impl Validate for Demo {
        fn validate(&self) -> Result<(), String> {
            if self.rate_percent > 100 {
                return Err(format!("rate_percent {} > 100", self.rate_percent));
            }
            Ok(())
        }
    }

    static GOOD: RuleBook<Demo> = RuleBook::new(
        "demo",
        &[(2024, "rate_percent = 5"), (2026, "rate_percent = 7")],
    );
    static BAD: RuleBook<Demo> = RuleBook::new("demo", &[(2024, "rate_percent = 500")]);

    #[test]
    fn years_and_in_force() {
        assert!(GOOD.check().is_ok());
        assert_eq!(GOOD.for_year(2024).map(|r| r.rate_percent), Ok(5));
        assert!(matches!(
            GOOD.for_year(2025),
            Err(RuleError::UnsupportedYear { year: 2025, .. })
        ));
        assert_eq!(
            GOOD.in_force(2025).map(|(y, r)| (y, r.rate_percent)),
            Ok((2024, 5))
        );
        assert_eq!(GOOD.in_force(2030).map(|(y, _)| y), Ok(2026));
        assert!(GOOD.in_force(2023).is_err());
    }

    #[test]
    fn invalid_files_are_reported_with_their_year() {
        assert!(matches!(
            BAD.check(),
            Err(RuleError::Invalid { year: 2024, .. })
        ));
    }
}
