//! The rule data of late fees, one file per calendar year.

use kiban_core::{Rate, Yen};
use kiban_rules::{RuleBook, Validate};
use serde::Deserialize;

/// The rule files, compiled in, by calendar year.
pub static RULES: RuleBook<LateFeeRates> = RuleBook::new(
    "late_fee",
    &[
        (2000, include_str!("../../../rules/late_fee/2000.toml")),
        (2001, include_str!("../../../rules/late_fee/2001.toml")),
        (2002, include_str!("../../../rules/late_fee/2002.toml")),
        (2003, include_str!("../../../rules/late_fee/2003.toml")),
        (2004, include_str!("../../../rules/late_fee/2004.toml")),
        (2005, include_str!("../../../rules/late_fee/2005.toml")),
        (2006, include_str!("../../../rules/late_fee/2006.toml")),
        (2007, include_str!("../../../rules/late_fee/2007.toml")),
        (2008, include_str!("../../../rules/late_fee/2008.toml")),
        (2009, include_str!("../../../rules/late_fee/2009.toml")),
        (2010, include_str!("../../../rules/late_fee/2010.toml")),
        (2011, include_str!("../../../rules/late_fee/2011.toml")),
        (2012, include_str!("../../../rules/late_fee/2012.toml")),
        (2013, include_str!("../../../rules/late_fee/2013.toml")),
        (2014, include_str!("../../../rules/late_fee/2014.toml")),
        (2015, include_str!("../../../rules/late_fee/2015.toml")),
        (2016, include_str!("../../../rules/late_fee/2016.toml")),
        (2017, include_str!("../../../rules/late_fee/2017.toml")),
        (2018, include_str!("../../../rules/late_fee/2018.toml")),
        (2019, include_str!("../../../rules/late_fee/2019.toml")),
        (2020, include_str!("../../../rules/late_fee/2020.toml")),
        (2021, include_str!("../../../rules/late_fee/2021.toml")),
        (2022, include_str!("../../../rules/late_fee/2022.toml")),
        (2023, include_str!("../../../rules/late_fee/2023.toml")),
        (2024, include_str!("../../../rules/late_fee/2024.toml")),
        (2025, include_str!("../../../rules/late_fee/2025.toml")),
        (2026, include_str!("../../../rules/late_fee/2026.toml")),
    ],
);

/// A rate in a rule file, written as a decimal string (`"0.087"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RuleRate(pub Rate);

impl TryFrom<String> for RuleRate {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Rate::parse(&value)
            .map(RuleRate)
            .map_err(|e| format!("「{value}」: {e}"))
    }
}

/// How the special rates of a year are derived from its base rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Regime {
    /// 2000–2013: the first-month rate is the base rate itself; 14.6% stays.
    #[serde(rename = "before_2014")]
    Before2014,
    /// From 2014: base + 1% (at most 7.3%) and base + 7.3% (at most 14.6%).
    #[serde(rename = "from_2014")]
    From2014,
}

/// The rates of one calendar year.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LateFeeRates {
    /// The calendar year.
    pub year: i32,
    /// How the rates follow from the base rate.
    pub regime: Regime,
    /// 特例基準割合 / 延滞金特例基準割合.
    pub special_base_rate: RuleRate,
    /// The rate until the day one month after the due date.
    pub first_month_rate: RuleRate,
    /// The rate afterwards.
    pub later_rate: RuleRate,
}

impl Validate for LateFeeRates {
    fn validate(&self) -> Result<(), String> {
        let parse = |s: &str| Rate::parse(s).map_err(|e| e.to_string());
        let statutory_first = parse("0.073")?;
        let statutory_later = parse("0.146")?;
        let base = self.special_base_rate.0;
        let (first, later) = match self.regime {
            Regime::Before2014 => (base, statutory_later),
            Regime::From2014 => (base.plus(parse("0.01")?), base.plus(parse("0.073")?)),
        };
        // The smaller of two rates, compared on an amount large enough to
        // hold every decimal place the rule files use.
        let capped = |rate: Rate, cap: Rate| {
            let probe = Yen::new(1_000_000_000_000);
            if rate.apply_truncating(probe) <= cap.apply_truncating(probe) {
                rate
            } else {
                cap
            }
        };
        let first = capped(first, statutory_first);
        let later = capped(later, statutory_later);
        if self.first_month_rate.0 != first || self.later_rate.0 != later {
            return Err(format!(
                "{}年: 割合が基準割合 {} から導かれる {} / {} と一致しません",
                self.year, base, first, later
            ));
        }
        Ok(())
    }
}
