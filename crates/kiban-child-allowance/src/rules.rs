//! The rule data of 児童手当, one file per effective month.

use kiban_core::YearMonth;
use kiban_rules::{RuleBook, Validate};
use serde::Deserialize;

/// The rule files, compiled in, keyed by their effective month as `yyyymm`.
pub static RULES: RuleBook<ChildAllowanceRules> = RuleBook::new(
    "child_allowance",
    &[
        (
            201204,
            include_str!("../../../rules/child_allowance/2012-04.toml"),
        ),
        (
            202410,
            include_str!("../../../rules/child_allowance/2024-10.toml"),
        ),
    ],
);

/// A month in a rule file, written `"YYYY-MM"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RuleMonth(pub YearMonth);

impl TryFrom<String> for RuleMonth {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        YearMonth::parse(&value)
            .map(RuleMonth)
            .map_err(|e| e.to_string())
    }
}

/// How an age band ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BandEnd {
    /// At the end of the month in which the child reaches the age.
    MonthReached,
    /// On the first 31 March on or after the day the child reaches the age.
    MarchAfter,
}

/// One age band with its monthly amounts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeBand {
    /// The band's name, e.g. `3歳未満`.
    pub name: String,
    /// The age that ends the band.
    pub until_age: u8,
    /// How the band ends.
    pub until: BandEnd,
    /// 月額 for the first and second child.
    pub first_and_second: i64,
    /// 月額 from the third child on.
    pub third_and_later: i64,
}

/// The rules from one effective month on.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildAllowanceRules {
    /// The first month the rules apply to.
    pub effective_from: RuleMonth,
    /// Children are counted for the rank up to the 31 March after reaching this age.
    pub ranking_until_age: u8,
    /// The age bands, youngest first; a child past the last band is not paid.
    pub bands: Vec<AgeBand>,
}

impl Validate for ChildAllowanceRules {
    fn validate(&self) -> Result<(), String> {
        if self.bands.is_empty() {
            return Err("bands が空です".into());
        }
        if self
            .bands
            .windows(2)
            .any(|w| w[0].until_age >= w[1].until_age)
        {
            return Err("bands は年齢の若い順に並べてください".into());
        }
        for band in &self.bands {
            if band.first_and_second <= 0 || band.third_and_later < band.first_and_second {
                return Err(format!("{}: 月額が正しくありません", band.name));
            }
        }
        let last = self.bands.last().map(|b| b.until_age).unwrap_or(0);
        if self.ranking_until_age < last {
            return Err("ranking_until_age は支給対象の年齢以上です".into());
        }
        Ok(())
    }
}
