//! 収納 (`receipt`) and collection: the late fee (延滞金, `late_fee`) on a
//! local tax paid after its due date (納期限), the digits of the
//! convenience-store barcode of payment slips ([`barcode`]), the receivable
//! ledger ([`ledger`]: charges, payments, overpayments, suspense and their
//! posting rules) and the payments files ([`payment_file`]).
//!
//! The law (地方税法 第326条, 第369条 and the other articles of each tax, with
//! 附則第3条の2 and 第20条の4の2):
//! - the fee runs from the day after the due date to the day of payment,
//!   both included;
//! - until the day one month after the due date (納期限の翌日から1月を経過する日)
//!   the rate is 7.3% a year, afterwards 14.6%, each replaced by the special
//!   rate of the calendar year (特例基準割合 / 延滞金特例基準割合) while that
//!   is lower, so periods are split at 31 December;
//! - a year is 365 days, leap years included;
//! - the tax on which the fee is computed is truncated below 1,000 yen, and
//!   under 2,000 yen there is no fee (第20条の4の2第2項);
//! - each period's amount is truncated to whole yen, the total below 100 yen,
//!   and a total under 1,000 yen is not collected (第20条の4の2第5項).
//!
//! The rates of each calendar year live in `rules/late_fee/{year}.toml`. This
//! crate is pure: no IO, no async.

pub mod barcode;
pub mod direct_debit;
pub mod ledger;
pub mod payment_file;
mod rules;
pub mod zengin;

use kiban_core::working::Working;
use kiban_core::{Date, Rate, Yen};
use kiban_rules::RuleError;

pub use rules::{LateFeeRates, RULES, Regime};

/// One period of a late fee with one rate, within one calendar year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The first day of the period.
    pub from: Date,
    /// The last day of the period (included).
    pub to: Date,
    /// The yearly rate.
    pub rate: Rate,
    /// The number of days, both ends included.
    pub days: i64,
    /// The tax on which this period's fee runs (the unpaid tax, 1,000円未満切捨て).
    pub base: Yen,
    /// `base × rate × days ÷ 365`, truncated to whole yen.
    pub amount: Yen,
}

/// The late fee on one amount of tax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateFee {
    /// The tax on which the fee is computed (1,000円未満切捨て; zero under 2,000).
    pub base: Yen,
    /// The last day of the first-month rate (納期限の翌日から1月を経過する日).
    pub first_month_end: Date,
    /// The periods, in order.
    pub segments: Vec<Segment>,
    /// The fee to collect (確定金額).
    pub late_fee: Yen,
    /// The steps, for the clerk.
    pub working: Working,
}

/// Why a late fee could not be computed. [`LateFeeError::field`] names the
/// input field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LateFeeError {
    /// A negative tax amount.
    #[error("tax_amount: a negative tax amount")]
    NegativeTax,
    /// A period falls in a calendar year without rate data.
    #[error("{field}: no late-fee rate data for {year} ({source})")]
    RatesMissing {
        /// The year without data.
        year: i16,
        /// The input field that reaches that year.
        field: &'static str,
        /// What the rule book said.
        source: RuleError,
    },
}

impl LateFeeError {
    /// The input field at fault, as a path in the calculation API.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::NegativeTax => Some("tax_amount"),
            Self::RatesMissing { field, .. } => Some(field),
        }
    }

    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            Self::NegativeTax => M::LateFeeNegativeTax {},
            Self::RatesMissing {
                year,
                field,
                source,
            } => M::LateFeeRatesMissing {
                field: (*field).to_owned(),
                year: year.to_string(),
                detail: source.message().text(),
            },
        }
    }
}

/// The day until which the first-month rate applies: one month counted from
/// the day after the due date (民法第143条: a period not starting at the
/// beginning of a month ends the day before the corresponding day of the
/// last month, or at the end of that month when it has no such day; one
/// starting on the 1st ends at the end of that month).
pub fn first_month_end(due_date: Date) -> Date {
    let Ok(start) = due_date.tomorrow() else {
        return due_date;
    };
    if start.day() == 1 {
        return start.last_of_month();
    }
    let (year, month) = if start.month() == 12 {
        (start.year() + 1, 1)
    } else {
        (start.year(), start.month() + 1)
    };
    match Date::new(year, month, start.day()) {
        Ok(corresponding) => corresponding.yesterday().unwrap_or(corresponding),
        Err(_) => Date::new(year, month, 1)
            .map(|first| first.last_of_month())
            .unwrap_or(start),
    }
}

/// Days from `from` to `to`, both included.
fn days_inclusive(from: Date, to: Date) -> i64 {
    to.since(from)
        .map(|span| i64::from(span.get_days()) + 1)
        .unwrap_or(0)
}

/// Computes the late fee on `tax_amount` due on `due_date` and paid on `paid_on`.
pub fn late_fee(tax_amount: Yen, due_date: Date, paid_on: Date) -> Result<LateFee, LateFeeError> {
    if tax_amount < Yen::ZERO {
        return Err(LateFeeError::NegativeTax);
    }
    let mut working = Working::new();
    let truncated = tax_amount.truncate_to(1000);
    let base = if truncated < Yen::new(2000) {
        Yen::ZERO
    } else {
        truncated
    };
    working.record(
        "延滞金の計算の基礎となる税額",
        base,
        if base.get() == 0 {
            format!(
                "税額 {} の1,000円未満を切り捨てて2,000円未満のため延滞金なし（地方税法第20条の4の2第2項）",
                tax_amount.display_ja()
            )
        } else {
            format!(
                "税額 {} の1,000円未満を切捨て（地方税法第20条の4の2第2項）",
                tax_amount.display_ja()
            )
        },
    );
    let first_end = first_month_end(due_date);
    let Ok(start) = due_date.tomorrow() else {
        return Ok(nothing(base, first_end, working));
    };
    if paid_on < start || base.get() == 0 {
        if paid_on < start {
            working.record(
                "延滞日数",
                Yen::ZERO,
                format!("納期限 {due_date} までに納付（{paid_on}）"),
            );
        }
        return Ok(nothing(base, first_end, working));
    }
    let mut segments = Vec::new();
    let first_part_end = first_end.min(paid_on);
    split_by_year(start, first_part_end, true, base, &mut segments)?;
    if let Ok(later_start) = first_end.tomorrow()
        && later_start <= paid_on
    {
        split_by_year(later_start, paid_on, false, base, &mut segments)?;
    }
    let late_fee = record_fee(&segments, &mut working);
    Ok(LateFee {
        base,
        first_month_end: first_end,
        segments,
        late_fee,
        working,
    })
}

/// A part of the tax paid on a day (一部納付), for
/// [`late_fee_on_payments`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialPayment {
    /// The day of payment.
    pub paid_on: Date,
    /// The amount of tax it paid.
    pub amount: Yen,
}

/// Computes the late fee on `tax_amount` due on `due_date`, of which
/// `payments` were paid (in any order, on any days), counted up to `until`
/// (included): the day a payment completed the tax, or the day up to which
/// a fee still running is wanted.
///
/// After a partial payment the fee runs on the tax still unpaid, period by
/// period (地方税法第20条の4の2第4項): each period's base is the tax unpaid
/// during it, truncated below 1,000 yen; a payment's day still counts at
/// the amount unpaid before it. Whether there is a fee at all (the tax of
/// 2,000 yen or more) is decided on the whole tax; the periods' amounts are
/// truncated to whole yen, their total below 100 yen, and a total under
/// 1,000 yen is not collected, as in [`late_fee`]. Without partial
/// payments this is [`late_fee`] on `until`.
pub fn late_fee_on_payments(
    tax_amount: Yen,
    due_date: Date,
    payments: &[PartialPayment],
    until: Date,
) -> Result<LateFee, LateFeeError> {
    if tax_amount < Yen::ZERO {
        return Err(LateFeeError::NegativeTax);
    }
    let Ok(start) = due_date.tomorrow() else {
        return late_fee(tax_amount, due_date, until);
    };
    let mut sorted: Vec<PartialPayment> = payments
        .iter()
        .copied()
        .filter(|p| p.amount > Yen::ZERO && p.paid_on <= until)
        .collect();
    sorted.sort_by_key(|p| p.paid_on);
    // Payments up to the due date reduce the tax before any fee runs.
    let mut unpaid = tax_amount;
    let mut later = Vec::new();
    for payment in sorted {
        if payment.paid_on < start {
            unpaid -= payment.amount;
        } else {
            later.push(payment);
        }
    }
    if later.is_empty() && unpaid == tax_amount || tax_amount.truncate_to(1000) < Yen::new(2000) {
        return late_fee(tax_amount, due_date, until);
    }
    let mut working = Working::new();
    let first_end = first_month_end(due_date);
    let mut segments = Vec::new();
    let mut cursor = start;
    let mut index = 0;
    while cursor <= until {
        // The period runs to the next payment's day (included) or `until`.
        let end = later.get(index).map_or(until, |p| p.paid_on.min(until));
        let base = unpaid.at_least_zero().truncate_to(1000);
        working.record(
            format!("延滞金の計算の基礎となる税額（{cursor}〜{end}）"),
            base,
            format!(
                "未納の税額 {} の1,000円未満を切捨て（地方税法第20条の4の2第2項）",
                unpaid.at_least_zero().display_ja()
            ),
        );
        if base > Yen::ZERO && cursor <= end {
            let first_part_end = first_end.min(end);
            if cursor <= first_part_end {
                split_by_year(cursor, first_part_end, true, base, &mut segments)?;
            }
            let later_start = first_end.tomorrow().map_or(cursor, |d| d.max(cursor));
            if later_start <= end && first_end < end {
                split_by_year(later_start, end, false, base, &mut segments)?;
            }
        }
        // Every payment of that day lowers the tax from the next day on.
        while let Some(payment) = later.get(index)
            && payment.paid_on == end
        {
            unpaid -= payment.amount;
            index += 1;
        }
        match end.tomorrow() {
            Ok(next) => cursor = next,
            Err(_) => break,
        }
    }
    let late_fee = record_fee(&segments, &mut working);
    Ok(LateFee {
        base: tax_amount.truncate_to(1000),
        first_month_end: first_end,
        segments,
        late_fee,
        working,
    })
}

fn nothing(base: Yen, first_month_end: Date, mut working: Working) -> LateFee {
    working.record("延滞金の額", Yen::ZERO, "延滞金はかかりません");
    LateFee {
        base,
        first_month_end,
        segments: Vec::new(),
        late_fee: Yen::ZERO,
        working,
    }
}

/// Records each period's fee in `working`, then the total and the fee
/// charged: the total truncated to 100 yen, nothing below 1,000 yen
/// (地方税法第20条の4の2第5項).
fn record_fee(segments: &[Segment], working: &mut Working) -> Yen {
    for s in segments {
        working.record(
            format!("延滞金（{}〜{}）", s.from, s.to),
            s.amount,
            format!(
                "{} × 年{} × {}日 ÷ 365日（1円未満切捨て）",
                s.base.display_ja(),
                s.rate.percent(),
                s.days
            ),
        );
    }
    let sum: Yen = segments.iter().map(|s| s.amount).sum();
    working.record("延滞金の合計", sum, "各期間の額の合計");
    let truncated_fee = sum.truncate_to(100);
    let late_fee = if truncated_fee < Yen::new(1000) {
        Yen::ZERO
    } else {
        truncated_fee
    };
    working.record(
        "延滞金の額",
        late_fee,
        if late_fee.get() == 0 {
            "合計が1,000円未満のため徴収しない（地方税法第20条の4の2第5項）".to_owned()
        } else {
            "100円未満を切捨て（地方税法第20条の4の2第5項）".to_owned()
        },
    );
    late_fee
}

/// Adds the segments of `from..=to` (one rate kind), split at 31 December.
fn split_by_year(
    from: Date,
    to: Date,
    first_month: bool,
    base: Yen,
    segments: &mut Vec<Segment>,
) -> Result<(), LateFeeError> {
    let mut cursor = from;
    while cursor <= to {
        let year = cursor.year();
        let year_end = Date::new(year, 12, 31).unwrap_or(to);
        let end = year_end.min(to);
        // Years before the rule data are reached by an old due date, years
        // after it by a late payment.
        let before_data = RULES
            .years()
            .first()
            .is_some_and(|first| i32::from(year) < *first);
        let field = if before_data { "due_date" } else { "paid_on" };
        let rates =
            RULES
                .for_year(i32::from(year))
                .map_err(|source| LateFeeError::RatesMissing {
                    year,
                    field,
                    source,
                })?;
        let rate = if first_month {
            rates.first_month_rate.0
        } else {
            rates.later_rate.0
        };
        let days = days_inclusive(cursor, end);
        // base × rate × days ÷ 365, truncated: ⌊⌊base × days × rate⌋ ÷ 365⌋ is
        // the same as ⌊base × days × rate ÷ 365⌋ for amounts ≥ 0.
        let amount = Yen::new(rate.apply_truncating(Yen::new(base.get() * days)).get() / 365);
        segments.push(Segment {
            from: cursor,
            to: end,
            rate,
            days,
            base,
            amount,
        });
        match end.tomorrow() {
            Ok(next) => cursor = next,
            Err(_) => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
