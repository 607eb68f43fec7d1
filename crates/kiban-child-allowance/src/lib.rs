//! 児童手当 (`child_allowance`): the allowance of one recipient for one month.
//!
//! Each child is placed in an age band of the month (3歳未満, then up to the
//! 31 March after reaching an age), ranked among the children the recipient
//! supports (eldest first, up to the ranking age of the rules), and paid the
//! band's amount for the first and second child or for the third and later.
//! The rules change with 令和6年10月分 (2024-10): `rules/child_allowance/`
//! holds one file per effective month.
//!
//! Out of scope: income limits and the 特例給付 of the rules before 2024-10
//! (the input carries no income, so every recipient is taken to be under the
//! limit), and the month in which the allowance starts or ends by claim or
//! move (a child is paid from the month after its birth; the claim month is
//! not known here). This crate is pure: no IO, no async.

mod rules;

use kiban_core::date::reaches_age_on;
use kiban_core::working::Working;
use kiban_core::{Date, YearMonth, Yen};
use kiban_rules::RuleError;

pub use rules::{AgeBand, BandEnd, ChildAllowanceRules, RULES};

/// One child of the recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Child {
    /// 生年月日.
    pub birth_date: Date,
    /// Whether the recipient supports the child (監護・生計費の負担). A child
    /// the recipient does not support is neither paid nor counted.
    pub supported: bool,
}

/// One child's result for the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildResult {
    /// 生年月日.
    pub birth_date: Date,
    /// 第何子 among the children counted, eldest first; `None` when not counted.
    pub rank: Option<u32>,
    /// Whether the allowance is paid for the child this month.
    pub eligible: bool,
    /// 月額.
    pub monthly_amount: Yen,
}

/// The allowance of one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthlyAllowance {
    /// The month.
    pub month: YearMonth,
    /// The effective month of the rules applied.
    pub rules_from: YearMonth,
    /// Each child, in the order given.
    pub children: Vec<ChildResult>,
    /// 支給月額の合計.
    pub monthly_total: Yen,
    /// The steps, for the clerk.
    pub working: Working,
}

/// Why an allowance could not be computed. [`ChildAllowanceError::field`]
/// names the input field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChildAllowanceError {
    /// No rules for the month (before 2012-04), or broken rule data.
    #[error("month: no rule data for {month} ({source})")]
    UnsupportedMonth {
        /// The month asked for.
        month: YearMonth,
        /// What the rule book said.
        source: RuleError,
    },
    /// A child born after the month.
    #[error("children[{index}].birth_date: {birth_date} is after {month}")]
    BornAfterMonth {
        /// The child's position in the input.
        index: usize,
        /// The birth date given.
        birth_date: Date,
        /// The month asked for.
        month: YearMonth,
    },
}

impl ChildAllowanceError {
    /// The input field at fault, as a path in the calculation API.
    pub fn field(&self) -> String {
        match self {
            Self::UnsupportedMonth { .. } => "month".to_owned(),
            Self::BornAfterMonth { index, .. } => format!("children[{index}].birth_date"),
        }
    }

    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            Self::UnsupportedMonth { month, source } => M::ChildAllowanceUnsupportedMonth {
                month: month.to_string(),
                detail: source.message().text(),
            },
            Self::BornAfterMonth {
                index,
                birth_date,
                month,
            } => M::ChildAllowanceBornAfterMonth {
                index: index.to_string(),
                birth_date: birth_date.to_string(),
                month: month.to_string(),
            },
        }
    }
}

/// The key of a month in the rule book: `yyyymm`.
fn key(month: YearMonth) -> i32 {
    i32::from(month.year()) * 100 + i32::from(month.month())
}

/// The first 31 March on or after `day`.
fn march_31_on_or_after(day: Date) -> Date {
    let this_year = Date::new(day.year(), 3, 31).unwrap_or(day);
    if day <= this_year {
        this_year
    } else {
        Date::new(day.year() + 1, 3, 31).unwrap_or(day)
    }
}

/// The last day on which a child born on `birth` is still within `age` in
/// the sense of `end`.
fn band_last_day(birth: Date, age: u8, end: BandEnd) -> Date {
    let reached = reaches_age_on(birth, i16::from(age)).unwrap_or(Date::MAX);
    match end {
        BandEnd::MonthReached => reached.last_of_month(),
        BandEnd::MarchAfter => march_31_on_or_after(reached),
    }
}

/// Computes the allowance of `month` for the recipient of `children`.
pub fn monthly_allowance(
    month: YearMonth,
    children: &[Child],
) -> Result<MonthlyAllowance, ChildAllowanceError> {
    let (_, rules) = RULES
        .in_force(key(month))
        .map_err(|source| ChildAllowanceError::UnsupportedMonth { month, source })?;
    let rules_from = rules.effective_from.0;
    for (index, child) in children.iter().enumerate() {
        if child.birth_date > month.last_day() {
            return Err(ChildAllowanceError::BornAfterMonth {
                index,
                birth_date: child.birth_date,
                month,
            });
        }
    }
    let first_day = month.first_day();
    let mut working = Working::new();
    working.record(
        "適用する制度",
        Yen::ZERO,
        format!("{rules_from}分からの児童手当の額（{month}分）"),
    );

    // Children counted for the rank: supported, born before the month, and
    // not past the ranking age's 31 March. Eldest first; equal birth dates
    // keep the order given.
    let mut counted: Vec<usize> = children
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.supported
                && c.birth_date < first_day
                && first_day
                    <= band_last_day(c.birth_date, rules.ranking_until_age, BandEnd::MarchAfter)
        })
        .map(|(i, _)| i)
        .collect();
    counted.sort_by_key(|&i| (children[i].birth_date, i));
    let rank_of = |index: usize| {
        counted
            .iter()
            .position(|&i| i == index)
            .map(|p| p as u32 + 1)
    };

    let mut results = Vec::with_capacity(children.len());
    for (index, child) in children.iter().enumerate() {
        let rank = rank_of(index);
        let band = rank.and_then(|_| {
            rules
                .bands
                .iter()
                .find(|b| first_day <= band_last_day(child.birth_date, b.until_age, b.until))
        });
        let amount = match (rank, band) {
            (Some(rank), Some(band)) => {
                let third = rank >= 3;
                let amount = if third {
                    band.third_and_later
                } else {
                    band.first_and_second
                };
                working.record(
                    format!("児童{}（{}生）", index + 1, child.birth_date),
                    Yen::new(amount),
                    format!(
                        "第{rank}子・{}: {}",
                        band.name,
                        if third {
                            "第3子以降の額"
                        } else {
                            "第1子・第2子の額"
                        }
                    ),
                );
                Yen::new(amount)
            }
            (Some(rank), None) => {
                working.record(
                    format!("児童{}（{}生）", index + 1, child.birth_date),
                    Yen::ZERO,
                    format!(
                        "第{rank}子として数えるが支給対象の年齢（{}歳到達後の最初の3月31日まで）を過ぎている",
                        rules.bands.last().map(|b| b.until_age).unwrap_or(0)
                    ),
                );
                Yen::ZERO
            }
            (None, _) => {
                let reason = if !child.supported {
                    "受給者が監護・生計費の負担をしていないため数えない".to_owned()
                } else if child.birth_date >= first_day {
                    "出生の翌月分から支給（出生月は数えない）".to_owned()
                } else {
                    format!(
                        "{}歳到達後の最初の3月31日を過ぎているため数えない",
                        rules.ranking_until_age
                    )
                };
                working.record(
                    format!("児童{}（{}生）", index + 1, child.birth_date),
                    Yen::ZERO,
                    reason,
                );
                Yen::ZERO
            }
        };
        results.push(ChildResult {
            birth_date: child.birth_date,
            rank,
            eligible: band.is_some(),
            monthly_amount: amount,
        });
    }
    let monthly_total: Yen = results.iter().map(|r| r.monthly_amount).sum();
    working.record("支給月額の合計", monthly_total, "各児童の月額の合計");
    Ok(MonthlyAllowance {
        month,
        rules_from,
        children: results,
        monthly_total,
        working,
    })
}

#[cfg(test)]
mod tests;
