//! How a tax is split into payments (contract `resident-tax-v1`,
//! "Liability and the annual assessment" and "Reassessment"):
//!
//! - Ordinary collection (普通徴収): one period per due date of the
//!   settings; periods 2 onwards are equal multiples of the installment
//!   unit, period 1 takes the remainder (194,500 with unit 1,000 →
//!   50,500 / 48,000 / 48,000 / 48,000). Periods of zero yen are not
//!   listed (a small tax is paid at once in period 1).
//! - Special collection (特別徴収) by the employer, June to May: July to May
//!   equal multiples of 100 yen, June the remainder (194,500 → June 16,300,
//!   then 16,200 × 11).
//! - Reassessment (更正): [`respread`]. The payments already due on the day
//!   keep their amounts; an increase is spread over those not yet due by
//!   the same rule (the first of them takes the remainder); a decrease
//!   reduces them from the last backwards. With none left, an increase is
//!   a new period (随時期) due at the end of the next month; a decrease
//!   beyond what is left is an overpayment for collection.

use kiban_core::{Date, FiscalYear, YearMonth, Yen};

/// The unit of the monthly amounts of special collection (100 yen).
pub const MONTHLY_UNIT: i64 = 100;

/// One period of ordinary collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Installment {
    /// 期別 (1, 2, …; beyond the settings' periods, a 随時期).
    pub period: u32,
    /// 納期限.
    pub due_date: Date,
    /// 税額.
    pub amount: Yen,
}

/// One month of special collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthlyAmount {
    /// The month of the salary from which it is withheld.
    pub month: YearMonth,
    /// 月割額.
    pub amount: Yen,
}

/// `total` split into `count` parts: every part after the first an equal
/// multiple of `unit` (as large as fits), the first the remainder. Empty
/// when `count` is 0; `total` must not be negative.
pub fn split_equal(total: Yen, count: usize, unit: i64) -> Vec<Yen> {
    if count == 0 {
        return Vec::new();
    }
    let unit = unit.max(1);
    let n = i64::try_from(count).unwrap_or(i64::MAX);
    let each = (total.get().max(0) / n / unit) * unit;
    let mut parts = vec![Yen::new(each); count];
    parts[0] = Yen::new(total.get() - each * (n - 1));
    parts
}

/// The ordinary installments of `total` over `due_dates` (period N on the
/// N-th date), periods of zero left out.
pub fn installments(total: Yen, due_dates: &[Date], unit: i64) -> Vec<Installment> {
    if total.get() <= 0 {
        return Vec::new();
    }
    split_equal(total, due_dates.len(), unit)
        .into_iter()
        .zip(due_dates)
        .enumerate()
        .filter(|(_, (amount, _))| amount.get() > 0)
        .map(|(i, (amount, due_date))| Installment {
            period: u32::try_from(i + 1).unwrap_or(u32::MAX),
            due_date: *due_date,
            amount,
        })
        .collect()
}

/// The twelve months of special collection of a fiscal year (June to May).
pub fn collection_months(fiscal_year: FiscalYear) -> Vec<YearMonth> {
    let year = i16::try_from(fiscal_year.start_year()).unwrap_or(i16::MAX);
    let june = YearMonth::new(year, 6).unwrap_or_else(|_| YearMonth::of(fiscal_year.first_day()));
    (0..12).map(|i| june.plus_months(i)).collect()
}

/// The monthly amounts of special collection of `total` (see the module);
/// empty when `total` is zero.
pub fn monthly(total: Yen, fiscal_year: FiscalYear) -> Vec<MonthlyAmount> {
    if total.get() <= 0 {
        return Vec::new();
    }
    let months = collection_months(fiscal_year);
    split_equal(total, months.len(), MONTHLY_UNIT)
        .into_iter()
        .zip(months)
        .map(|(amount, month)| MonthlyAmount { month, amount })
        .collect()
}

/// A payment slot as reassessment sees it: whether it is already due on
/// the day of the reassessment, and its amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Already due (kept as it is).
    pub due: bool,
    /// The amount of the previous version (0 for a slot it did not use).
    pub amount: Yen,
}

/// What [`respread`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Respread {
    /// The new amount of every slot, in the order given.
    pub amounts: Vec<Yen>,
    /// An increase that found no slot not yet due (for a 随時期).
    pub unplaced_increase: Yen,
    /// A decrease beyond the slots not yet due (paid in excess: an
    /// overpayment for collection).
    pub unplaced_decrease: Yen,
}

/// Spreads the difference between `target` and the slots' sum over the
/// slots not yet due (see the module), in the order given (by due date).
pub fn respread(slots: &[Slot], target: Yen, unit: i64) -> Respread {
    let mut amounts: Vec<Yen> = slots.iter().map(|s| s.amount).collect();
    let previous: i64 = slots.iter().map(|s| s.amount.get()).sum();
    let difference = target.get() - previous;
    let pending: Vec<usize> = (0..slots.len()).filter(|&i| !slots[i].due).collect();
    let mut unplaced_increase = Yen::ZERO;
    let mut unplaced_decrease = Yen::ZERO;
    if difference > 0 {
        if pending.is_empty() {
            unplaced_increase = Yen::new(difference);
        } else {
            for (&i, part) in
                pending
                    .iter()
                    .zip(split_equal(Yen::new(difference), pending.len(), unit))
            {
                amounts[i] += part;
            }
        }
    } else if difference < 0 {
        let mut left = -difference;
        for &i in pending.iter().rev() {
            let take = left.min(amounts[i].get());
            amounts[i] -= Yen::new(take);
            left -= take;
            if left == 0 {
                break;
            }
        }
        unplaced_decrease = Yen::new(left);
    }
    Respread {
        amounts,
        unplaced_increase,
        unplaced_decrease,
    }
}

/// The due date of a 随時期 opened on `day`: the end of the next month,
/// moved to the next business day (`None` beyond the holiday table).
pub fn extra_period_due(day: Date) -> Option<Date> {
    let end = YearMonth::of(day).plus_months(1).last_day();
    super::settings::next_business_day(end)
}

/// The ordinary installments of a reassessment on `day`: the previous
/// version's periods (`previous`), the settings' due dates, and the new
/// ordinary total. Periods due on or before `day` keep their amounts; see
/// [`respread`]. Returns the new installments (zero periods left out) and
/// the decrease that could not be placed (an overpayment).
pub fn reassess_installments(
    previous: &[Installment],
    due_dates: &[Date],
    unit: i64,
    target: Yen,
    day: Date,
) -> (Vec<Installment>, Yen) {
    // Every period of the settings, and any 随時期 of earlier versions.
    let mut periods: Vec<(u32, Date)> = due_dates
        .iter()
        .enumerate()
        .map(|(i, d)| (u32::try_from(i + 1).unwrap_or(u32::MAX), *d))
        .collect();
    for p in previous {
        if !periods.iter().any(|(n, _)| *n == p.period) {
            periods.push((p.period, p.due_date));
        }
    }
    periods.sort_by_key(|(n, d)| (*d, *n));
    let amount_of = |n: u32| {
        previous
            .iter()
            .find(|p| p.period == n)
            .map_or(Yen::ZERO, |p| p.amount)
    };
    let slots: Vec<Slot> = periods
        .iter()
        .map(|(n, d)| Slot {
            due: *d <= day,
            amount: amount_of(*n),
        })
        .collect();
    let spread = respread(&slots, target, unit);
    let mut out: Vec<Installment> = periods
        .iter()
        .zip(&spread.amounts)
        .filter(|(_, a)| a.get() > 0)
        .map(|((n, d), a)| Installment {
            period: *n,
            due_date: *d,
            amount: *a,
        })
        .collect();
    if spread.unplaced_increase.get() > 0 {
        let next = periods.iter().map(|(n, _)| *n).max().unwrap_or(0) + 1;
        let due_date =
            extra_period_due(day).unwrap_or_else(|| YearMonth::of(day).plus_months(1).last_day());
        out.push(Installment {
            period: next,
            due_date,
            amount: spread.unplaced_increase,
        });
    }
    out.sort_by_key(|i| (i.due_date, i.period));
    (out, spread.unplaced_decrease)
}

/// The monthly amounts of a reassessment on `day`: months up to and
/// including the month of `day` keep their amounts (the employer has
/// withheld or is withholding them); the difference is spread over the
/// later months by [`respread`] with the unit of 100 yen. Returns the new
/// months (zero months left out), the increase that found no month (to be
/// collected ordinarily) and the decrease that could not be placed.
pub fn reassess_monthly(
    previous: &[MonthlyAmount],
    fiscal_year: FiscalYear,
    target: Yen,
    day: Date,
) -> (Vec<MonthlyAmount>, Yen, Yen) {
    let months = collection_months(fiscal_year);
    let current = YearMonth::of(day);
    let slots: Vec<Slot> = months
        .iter()
        .map(|m| Slot {
            due: *m <= current,
            amount: previous
                .iter()
                .find(|p| p.month == *m)
                .map_or(Yen::ZERO, |p| p.amount),
        })
        .collect();
    let spread = respread(&slots, target, MONTHLY_UNIT);
    let out = months
        .into_iter()
        .zip(spread.amounts)
        .filter(|(_, a)| a.get() > 0)
        .map(|(month, amount)| MonthlyAmount { month, amount })
        .collect();
    (out, spread.unplaced_increase, spread.unplaced_decrease)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn fy(y: i32) -> FiscalYear {
        FiscalYear::new(y).unwrap_or_else(|_| panic!("{y}"))
    }

    fn dues() -> Vec<Date> {
        vec![
            date(2026, 6, 30),
            date(2026, 8, 31),
            date(2026, 11, 2),
            date(2027, 2, 1),
        ]
    }

    fn amounts(i: &[Installment]) -> Vec<i64> {
        i.iter().map(|i| i.amount.get()).collect()
    }

    #[test]
    fn the_contract_example() {
        let i = installments(Yen::new(194_500), &dues(), 1000);
        assert_eq!(amounts(&i), vec![50_500, 48_000, 48_000, 48_000]);
        assert_eq!(i[2].period, 3);
        assert_eq!(i[2].due_date, date(2026, 11, 2));
        let m = monthly(Yen::new(194_500), fy(2026));
        assert_eq!(m.len(), 12);
        assert_eq!(m[0].month.to_string(), "2026-06");
        assert_eq!(m[0].amount, Yen::new(16_300));
        assert_eq!(m[1].month.to_string(), "2026-07");
        assert!(m[1..].iter().all(|m| m.amount == Yen::new(16_200)));
        assert_eq!(m[11].month.to_string(), "2027-05");
    }

    #[test]
    fn small_and_zero_taxes() {
        assert_eq!(
            amounts(&installments(Yen::new(3_500), &dues(), 1000)),
            vec![3_500]
        );
        assert!(installments(Yen::ZERO, &dues(), 1000).is_empty());
        assert!(monthly(Yen::ZERO, fy(2026)).is_empty());
        assert_eq!(
            amounts(&installments(Yen::new(4_000), &dues(), 1000)),
            vec![1_000, 1_000, 1_000, 1_000]
        );
    }

    #[test]
    fn reassessment_keeps_due_periods_and_spreads_an_increase() {
        let before = installments(Yen::new(194_500), &dues(), 1000);
        // After the first due date, +10,500: periods 2–4 share it, period 2 the remainder.
        let (after, over) =
            reassess_installments(&before, &dues(), 1000, Yen::new(205_000), date(2026, 7, 15));
        assert_eq!(
            amounts(&after),
            vec![50_500, 48_000 + 4_500, 48_000 + 3_000, 48_000 + 3_000]
        );
        assert_eq!(over, Yen::ZERO);
    }

    #[test]
    fn reassessment_reduces_from_the_last_period() {
        let before = installments(Yen::new(194_500), &dues(), 1000);
        let (after, over) =
            reassess_installments(&before, &dues(), 1000, Yen::new(134_500), date(2026, 7, 15));
        // −60,000: period 4 to 0 (left out), period 3 −12,000.
        assert_eq!(amounts(&after), vec![50_500, 48_000, 36_000]);
        assert_eq!(over, Yen::ZERO);
        // More than what is pending: the rest is an overpayment.
        let (after, over) =
            reassess_installments(&before, &dues(), 1000, Yen::new(10_000), date(2026, 9, 1));
        assert_eq!(amounts(&after), vec![50_500, 48_000]);
        assert_eq!(over, Yen::new(88_500));
    }

    #[test]
    fn reassessment_after_the_last_period_opens_an_extra_one() {
        let before = installments(Yen::new(194_500), &dues(), 1000);
        let (after, _) =
            reassess_installments(&before, &dues(), 1000, Yen::new(200_000), date(2027, 2, 10));
        let extra = after.last().copied().unwrap();
        assert_eq!(extra.period, 5);
        assert_eq!(extra.amount, Yen::new(5_500));
        // End of March 2027 is a Wednesday.
        assert_eq!(extra.due_date, date(2027, 3, 31));
        assert_eq!(amounts(&after[..4]), vec![50_500, 48_000, 48_000, 48_000]);
    }

    #[test]
    fn reassessment_of_months() {
        let before = monthly(Yen::new(194_500), fy(2026));
        let (after, extra, over) = reassess_monthly(
            &before,
            fy(2026),
            Yen::new(194_500 + 10_000),
            date(2026, 8, 20),
        );
        assert_eq!((extra, over), (Yen::ZERO, Yen::ZERO));
        // June–August kept; September to May share 10,000 (1,100 each,
        // September the remainder 1,200).
        assert_eq!(after[0].amount, Yen::new(16_300));
        assert_eq!(after[2].amount, Yen::new(16_200));
        assert_eq!(after[3].amount, Yen::new(16_200 + 1_200));
        assert!(
            after[4..]
                .iter()
                .all(|m| m.amount == Yen::new(16_200 + 1_100))
        );
        let (_, extra, _) =
            reassess_monthly(&before, fy(2026), Yen::new(200_000), date(2027, 5, 20));
        assert_eq!(extra, Yen::new(5_500));
    }

    proptest! {
        #[test]
        fn installments_add_up(total in 0i64..50_000_000, n in 1usize..=12, unit_i in 0usize..5) {
            let unit = [1, 10, 100, 1_000, 10_000][unit_i];
            let due: Vec<Date> = (0..n).map(|i| date(2026, 4, 30).checked_add(jiff::Span::new().months(i64::try_from(i).unwrap_or(0))).unwrap_or(date(2026, 4, 30))).collect();
            let parts = split_equal(Yen::new(total), n, unit);
            prop_assert_eq!(parts.iter().map(|p| p.get()).sum::<i64>(), total);
            prop_assert!(parts[1..].iter().all(|p| p.get() % unit == 0 && *p == parts[n.min(2) - 1]));
            prop_assert!(parts.iter().all(|p| p.get() >= 0 && p.get() <= parts[0].get()));
            let inst = installments(Yen::new(total), &due, unit);
            prop_assert_eq!(inst.iter().map(|i| i.amount.get()).sum::<i64>(), total);
            let months = monthly(Yen::new(total), fy(2026));
            prop_assert_eq!(months.iter().map(|m| m.amount.get()).sum::<i64>(), total);
            prop_assert!(months.iter().skip(1).all(|m| m.amount.get() % 100 == 0));
        }

        #[test]
        fn reassessment_keeps_what_is_due(total in 0i64..5_000_000, target in 0i64..5_000_000, day in 0i64..330) {
            let day = date(2026, 6, 1).checked_add(jiff::Span::new().days(day)).unwrap_or(date(2026, 6, 1));
            let before = installments(Yen::new(total), &dues(), 1000);
            let (after, over) = reassess_installments(&before, &dues(), 1000, Yen::new(target), day);
            for b in before.iter().filter(|b| b.due_date <= day) {
                prop_assert!(after.iter().any(|a| a == b));
            }
            let sum: i64 = after.iter().map(|a| a.amount.get()).sum();
            prop_assert_eq!(sum - over.get(), target);
            prop_assert!(after.iter().all(|a| a.amount.get() > 0));
        }
    }
}
