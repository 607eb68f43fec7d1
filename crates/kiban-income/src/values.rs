//! Small value types for rule files: exact rates and piecewise-linear
//! tables, shared by the income, resident-tax and NHI rule sets.

use kiban_core::{Rate, Yen};

use crate::display::Thousands;
use serde::Deserialize;

/// A rate read from a rule file as a decimal string (`"0.75"`), held exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RuleRate(Rate);

impl RuleRate {
    /// The rate.
    pub fn rate(self) -> Rate {
        self.0
    }
}

impl TryFrom<String> for RuleRate {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Rate::parse(&value)
            .map(RuleRate)
            .map_err(|e| format!("rate \"{value}\": {e}"))
    }
}

/// One row of a piecewise-linear table over an amount `x`:
/// for `from ≤ x < below`, the value is `⌊x / step⌋ × step × rate + add`
/// (truncated to whole yen, never below zero).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearRow {
    /// Lower bound of the row (inclusive).
    pub from: i64,
    /// Upper bound of the row (exclusive); absent on the last row.
    pub below: Option<i64>,
    /// The amount is first rounded down to a multiple of `step` (1 when absent).
    #[serde(default = "one")]
    pub step: i64,
    /// The rate applied to the (rounded) amount.
    pub rate: RuleRate,
    /// The amount added (negative to subtract).
    pub add: i64,
    /// How fractions of a yen are rounded (truncated when absent).
    #[serde(default)]
    pub rounding: Rounding,
}

fn one() -> i64 {
    1
}

/// How a fraction of a yen is rounded in a table row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// 1円未満切捨て.
    #[default]
    Truncate,
    /// 1円未満切上げ (e.g. the 住民税 life-insurance formulas).
    Up,
}

impl LinearRow {
    /// The value of the row at `x`.
    pub fn apply(&self, x: Yen) -> Yen {
        let base = Yen::new(x.get() / self.step * self.step);
        let product = match self.rounding {
            Rounding::Truncate => self.rate.rate().apply_truncating(base),
            Rounding::Up => self.rate.rate().apply_rounding_up(base),
        };
        (product + Yen::new(self.add)).at_least_zero()
    }

    /// Whether `x` falls in this row.
    pub fn contains(&self, x: Yen) -> bool {
        x.get() >= self.from && self.below.is_none_or(|b| x.get() < b)
    }

    /// The formula of the row for people, e.g. `4,368,000円（4,000円未満切捨て）× 80% − 440,000円`.
    pub fn describe(&self, x: Yen) -> String {
        let base = x.get() / self.step * self.step;
        let rate = self.rate.rate();
        let mut text = if rate.is_zero() {
            String::new()
        } else if self.step > 1 {
            format!(
                "{}円（{}円未満切捨て）× {}",
                Thousands(base),
                Thousands(self.step),
                rate.percent()
            )
        } else if Rate::from_parts(1, 0).ok() == Some(rate) {
            format!("{}円", Thousands(base))
        } else {
            format!("{}円 × {}", Thousands(base), rate.percent())
        };
        match (text.is_empty(), self.add) {
            (true, add) => text = format!("{}円（定額）", Thousands(add)),
            (false, 0) => {}
            (false, add) if add > 0 => text.push_str(&format!(" + {}円", Thousands(add))),
            (false, add) => text.push_str(&format!(" − {}円", Thousands(-add))),
        }
        text
    }
}

/// A table of [`LinearRow`]s covering every amount from 0 upwards.
pub type LinearTable = Vec<LinearRow>;

/// The row of `table` that contains `x` (the last row for amounts beyond it).
pub fn find_row(table: &[LinearRow], x: Yen) -> Option<&LinearRow> {
    table
        .iter()
        .find(|row| row.contains(x))
        .or_else(|| table.last())
}

/// Checks that a table starts at `start`, that each row ends where the next
/// begins, that rows are increasing, and that only the last row is open.
pub fn check_contiguous(name: &str, table: &[LinearRow], start: i64) -> Result<(), String> {
    let Some(first) = table.first() else {
        return Err(format!("{name}: 表が空です"));
    };
    if first.from != start {
        return Err(format!(
            "{name}: 最初の行は {start} から始まる必要があります"
        ));
    }
    for (i, row) in table.iter().enumerate() {
        if row.step < 1 {
            return Err(format!("{name}[{i}]: step は1以上です"));
        }
        match (row.below, table.get(i + 1)) {
            (Some(below), Some(next)) if below != next.from => {
                return Err(format!(
                    "{name}[{i}]: below {below} と次の行の from {} が一致しません",
                    next.from
                ));
            }
            (Some(below), _) if below <= row.from => {
                return Err(format!(
                    "{name}[{i}]: below は from より大きい必要があります"
                ));
            }
            (None, Some(_)) => {
                return Err(format!("{name}[{i}]: 最後の行以外には below が必要です"));
            }
            (Some(_), None) => {
                return Err(format!("{name}[{i}]: 最後の行には below を書きません"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// One row of a step table: for `over < x ≤ up_to` (inclusive upper bound,
/// as statutes write 「…を超え…以下」), the amounts in `value`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepRow<V> {
    /// The amount above which the row applies (exclusive); absent on a
    /// first row that starts from nothing.
    pub over: Option<i64>,
    /// The amount up to which the row applies (inclusive); absent on the last row.
    pub up_to: Option<i64>,
    /// What the row gives.
    pub value: V,
}

/// The row of a step table that contains `x`, if any (amounts at or below
/// the first row's `over` fall in no row).
pub fn find_step<V>(table: &[StepRow<V>], x: Yen) -> Option<&StepRow<V>> {
    table
        .iter()
        .find(|row| row.over.is_none_or(|o| x.get() > o) && row.up_to.is_none_or(|u| x.get() <= u))
}

/// Checks that a step table is contiguous: each row's `over` equals the
/// previous row's `up_to`, and only the last row may be open.
pub fn check_steps<V>(name: &str, table: &[StepRow<V>]) -> Result<(), String> {
    if table.is_empty() {
        return Err(format!("{name}: 表が空です"));
    }
    for (i, row) in table.iter().enumerate() {
        if let (Some(up_to), Some(over)) = (row.up_to, row.over)
            && up_to <= over
        {
            return Err(format!(
                "{name}[{i}]: up_to は over より大きい必要があります"
            ));
        }
        if i > 0 && row.over.is_none() {
            return Err(format!("{name}[{i}]: 最初の行以外には over が必要です"));
        }
        match (row.up_to, table.get(i + 1)) {
            (Some(up_to), Some(next)) if Some(up_to) != next.over => {
                return Err(format!(
                    "{name}[{i}]: up_to {up_to} と次の行の over {:?} が一致しません",
                    next.over
                ));
            }
            (None, Some(_)) => {
                return Err(format!("{name}[{i}]: 最後の行以外には up_to が必要です"));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(from: i64, below: Option<i64>, step: i64, rate: &str, add: i64) -> LinearRow {
        LinearRow {
            from,
            below,
            step,
            rate: RuleRate::try_from(rate.to_owned()).unwrap_or(RuleRate(Rate::ZERO)),
            add,
            rounding: Rounding::Truncate,
        }
    }

    #[test]
    fn rows_apply_and_describe() {
        let r = row(3_600_000, Some(6_600_000), 4000, "0.8", -440_000);
        assert_eq!(r.apply(Yen::new(4_370_000)), Yen::new(3_054_400));
        assert_eq!(
            r.describe(Yen::new(4_370_000)),
            "4,368,000円（4,000円未満切捨て）× 80% − 440,000円"
        );
        let fixed = row(1_619_000, Some(1_620_000), 1, "0", 1_069_000);
        assert_eq!(fixed.apply(Yen::new(1_619_500)), Yen::new(1_069_000));
        assert_eq!(fixed.describe(Yen::new(1_619_500)), "1,069,000円（定額）");
        let minus = row(0, None, 1, "1", -550_000);
        assert_eq!(minus.apply(Yen::new(100)), Yen::ZERO);
        assert_eq!(minus.describe(Yen::new(600_000)), "600,000円 − 550,000円");
    }

    #[test]
    fn contiguity_is_checked() {
        let good = vec![row(0, Some(10), 1, "0", 0), row(10, None, 1, "1", -10)];
        assert_eq!(check_contiguous("t", &good, 0), Ok(()));
        let gap = vec![row(0, Some(10), 1, "0", 0), row(11, None, 1, "1", -10)];
        assert!(check_contiguous("t", &gap, 0).is_err());
        let open = vec![row(0, None, 1, "0", 0), row(10, None, 1, "1", -10)];
        assert!(check_contiguous("t", &open, 0).is_err());
        assert!(check_contiguous("t", &good, 5).is_err());
    }
}
