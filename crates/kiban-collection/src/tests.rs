//! Published worked examples, the rate table row by row and the boundaries,
//! through one `check` helper.

use super::*;

fn d(s: &str) -> Date {
    kiban_core::date::parse_iso(s).unwrap()
}

/// One expected segment: from, to, rate, days, amount.
type Seg = (&'static str, &'static str, &'static str, i64, i64);

fn check(tax: i64, due: &str, paid: &str, segments: &[Seg], fee: i64) {
    let got = late_fee(Yen::new(tax), d(due), d(paid)).unwrap();
    let got_segments: Vec<(String, String, String, i64, i64)> = got
        .segments
        .iter()
        .map(|s| {
            (
                s.from.to_string(),
                s.to.to_string(),
                s.rate.to_string(),
                s.days,
                s.amount.get(),
            )
        })
        .collect();
    let want: Vec<(String, String, String, i64, i64)> = segments
        .iter()
        .map(|(f, t, r, days, a)| (f.to_string(), t.to_string(), r.to_string(), *days, *a))
        .collect();
    assert_eq!(got_segments, want, "{tax} due {due} paid {paid}");
    assert_eq!(got.late_fee, Yen::new(fee), "{tax} due {due} paid {paid}");
    assert_eq!(
        got.working.steps().last().map(|s| s.amount),
        Some(Yen::new(fee))
    );
}

#[test]
fn every_rule_file_is_valid_and_names_its_year() {
    assert_eq!(RULES.check(), Ok(()));
    for year in RULES.years() {
        assert_eq!(RULES.for_year(year).map(|r| r.year), Ok(year));
    }
    assert_eq!(RULES.years().first(), Some(&2000));
    assert_eq!(RULES.years().last(), Some(&2026));
}

/// The published rates of each year (うるま市, 岡崎市, 小山市, 袋井市, 米沢市):
/// first month / afterwards.
#[test]
fn rate_table_row_by_row() {
    let table: &[(i32, &str, &str)] = &[
        (2000, "0.045", "0.146"),
        (2001, "0.045", "0.146"),
        (2002, "0.041", "0.146"),
        (2006, "0.041", "0.146"),
        (2007, "0.044", "0.146"),
        (2008, "0.047", "0.146"),
        (2009, "0.045", "0.146"),
        (2010, "0.043", "0.146"),
        (2013, "0.043", "0.146"),
        (2014, "0.029", "0.092"),
        (2015, "0.028", "0.091"),
        (2016, "0.028", "0.091"),
        (2017, "0.027", "0.09"),
        (2018, "0.026", "0.089"),
        (2019, "0.026", "0.089"),
        (2020, "0.026", "0.089"),
        (2021, "0.025", "0.088"),
        (2022, "0.024", "0.087"),
        (2023, "0.024", "0.087"),
        (2024, "0.024", "0.087"),
        (2025, "0.024", "0.087"),
        (2026, "0.028", "0.091"),
    ];
    for (year, first, later) in table {
        let rates = RULES.for_year(*year).unwrap();
        assert_eq!(
            (
                rates.first_month_rate.0.to_string(),
                rates.later_rate.0.to_string()
            ),
            (first.to_string(), later.to_string()),
            "{year}"
        );
    }
}

/// 豊橋市「延滞金について」の計算例: 令和3年度固定資産税・都市計画税 第1期
/// 65,000円 (納期限 令和3年5月31日) を令和4年1月31日に納付:
/// 133円 + 2,883円 + 480円 = 3,496円 → 3,400円. This is also the example of
/// the calculation API contract.
#[test]
fn toyohashi_example() {
    check(
        65_000,
        "2021-05-31",
        "2022-01-31",
        &[
            ("2021-06-01", "2021-06-30", "0.025", 30, 133),
            ("2021-07-01", "2021-12-31", "0.088", 184, 2883),
            ("2022-01-01", "2022-01-31", "0.087", 31, 480),
        ],
        3400,
    );
}

/// The first-month period ends on the day one month after the due date:
/// paying on that day uses only the lower rate, a day later adds one day at
/// the higher rate.
#[test]
fn due_date_plus_one_month_exactly() {
    // 1,000,000 × 2.4% × 30 ÷ 365 = 1,972.6 → 1,972 → 1,900.
    check(
        1_000_000,
        "2025-05-31",
        "2025-06-30",
        &[("2025-06-01", "2025-06-30", "0.024", 30, 1972)],
        1900,
    );
    // + 1,000,000 × 8.7% × 1 ÷ 365 = 238.3 → 238.
    check(
        1_000_000,
        "2025-05-31",
        "2025-07-01",
        &[
            ("2025-06-01", "2025-06-30", "0.024", 30, 1972),
            ("2025-07-01", "2025-07-01", "0.087", 1, 238),
        ],
        2200,
    );
    // Mid-month due date: 7 July → the first month ends on 7 August.
    check(
        1_000_000,
        "2025-07-07",
        "2025-08-08",
        &[
            ("2025-07-08", "2025-08-07", "0.024", 31, 2038),
            ("2025-08-08", "2025-08-08", "0.087", 1, 238),
        ],
        2200,
    );
}

#[test]
fn first_month_end_follows_the_civil_code() {
    for (due, end) in [
        ("2021-05-31", "2021-06-30"),
        ("2025-07-07", "2025-08-07"),
        ("2025-02-28", "2025-03-31"),
        ("2024-02-29", "2024-03-31"),
        ("2025-01-29", "2025-02-28"),
        ("2024-01-29", "2024-02-29"),
        ("2025-01-30", "2025-02-28"),
        ("2025-12-31", "2026-01-31"),
        ("2025-12-15", "2026-01-15"),
        ("2025-04-30", "2025-05-31"),
    ] {
        assert_eq!(first_month_end(d(due)), d(end), "{due}");
    }
}

/// A first month across 31 December splits into two years, and so does the
/// later period; 2025 → 2026 changes both rates.
#[test]
fn year_end_segment_splits() {
    // 500,000: 2.4% × 16 days = 526.0 → 526; 2.8% × 15 = 575.3 → 575;
    // 9.1% × 20 = 2,493.1 → 2,493. Total 3,594 → 3,500.
    check(
        500_000,
        "2025-12-15",
        "2026-02-04",
        &[
            ("2025-12-16", "2025-12-31", "0.024", 16, 526),
            ("2026-01-01", "2026-01-15", "0.028", 15, 575),
            ("2026-01-16", "2026-02-04", "0.091", 20, 2493),
        ],
        3500,
    );
    // Paid on 31 December exactly: no segment in the next year.
    check(
        500_000,
        "2025-10-31",
        "2025-12-31",
        &[
            ("2025-11-01", "2025-11-30", "0.024", 30, 986),
            ("2025-12-01", "2025-12-31", "0.087", 31, 3694),
        ],
        4600,
    );
}

/// Leap years still count 365 days a year: 2024 is a leap year.
#[test]
fn leap_year_uses_365_days() {
    // 2024-01-01 .. 2024-12-31 at 8.7% is 366 days: 100,000 × 8.7% × 366 ÷ 365 = 8,723.8.
    check(
        100_000,
        "2023-11-30",
        "2024-12-31",
        &[
            ("2023-12-01", "2023-12-31", "0.024", 31, 203),
            ("2024-01-01", "2024-12-31", "0.087", 366, 8723),
        ],
        8900,
    );
}

/// Old arrears reach back to the rates before 2014.
#[test]
fn old_arrears() {
    // 2013: 4.3% / 14.6%; 2014: 9.2%. 200,000 due 2013-11-30 paid 2014-01-31.
    // 200,000 × 4.3% × 31 ÷ 365 = 730.4; × 14.6% × 31 ÷ 365 = 2,480.0 → 2,480 (exactly 2,480);
    // × 9.2% × 31 ÷ 365 = 1,562.7.
    check(
        200_000,
        "2013-11-30",
        "2014-01-31",
        &[
            ("2013-12-01", "2013-12-31", "0.043", 31, 730),
            ("2014-01-01", "2014-01-31", "0.092", 31, 1562),
        ],
        2200,
    );
}

#[test]
fn truncations_and_minimums() {
    // Tax 2,999 → 2,000: the fee is computed on 2,000.
    let fee = late_fee(Yen::new(2_999), d("2020-05-31"), d("2025-05-31")).unwrap();
    assert_eq!(fee.base, Yen::new(2_000));
    // Tax 1,999 → no fee at all, however late.
    check(1_999, "2015-05-31", "2025-05-31", &[], 0);
    // A total under 1,000 yen is not collected.
    check(
        100_000,
        "2025-05-31",
        "2025-08-31",
        &[
            ("2025-06-01", "2025-06-30", "0.024", 30, 197),
            ("2025-07-01", "2025-08-31", "0.087", 62, 1477),
        ],
        1600,
    );
    check(
        50_000,
        "2025-05-31",
        "2025-07-31",
        &[
            ("2025-06-01", "2025-06-30", "0.024", 30, 98),
            ("2025-07-01", "2025-07-31", "0.087", 31, 369),
        ],
        0,
    );
    // Paid on the due date or before: nothing.
    check(65_000, "2025-05-31", "2025-05-31", &[], 0);
    check(65_000, "2025-05-31", "2025-05-01", &[], 0);
}

#[test]
fn errors_name_the_field() {
    let err = late_fee(Yen::new(-1), d("2025-05-31"), d("2025-07-01")).unwrap_err();
    assert_eq!(err.field(), Some("tax_amount"));
    let err = late_fee(Yen::new(10_000), d("2026-05-31"), d("2027-02-01")).unwrap_err();
    assert_eq!(err.field(), Some("paid_on"));
    let err = late_fee(Yen::new(10_000), d("1999-05-31"), d("2001-02-01")).unwrap_err();
    assert_eq!(err.field(), Some("due_date"));
}

#[test]
fn late_fee_on_payments_runs_on_the_tax_still_unpaid() {
    let d = |y, m, day| kiban_core::date::date(y, m, day).unwrap();
    let partial = PartialPayment {
        paid_on: d(2025, 7, 15),
        amount: Yen::new(50_000),
    };
    let rest = PartialPayment {
        paid_on: d(2025, 12, 1),
        amount: Yen::new(50_000),
    };
    let fee = late_fee_on_payments(
        Yen::new(100_000),
        d(2025, 6, 30),
        &[rest, partial],
        d(2025, 12, 1),
    )
    .unwrap();
    let amounts: Vec<(i64, i64, i64)> = fee
        .segments
        .iter()
        .map(|s| (s.base.get(), s.days, s.amount.get()))
        .collect();
    assert_eq!(
        amounts,
        vec![(100_000, 15, 98), (50_000, 16, 52), (50_000, 123, 1_465)]
    );
    assert_eq!(fee.late_fee, Yen::new(1_600));
    // Without partial payments it is the plain late fee.
    let whole =
        late_fee_on_payments(Yen::new(100_000), d(2025, 6, 30), &[], d(2025, 12, 1)).unwrap();
    assert_eq!(
        whole,
        late_fee(Yen::new(100_000), d(2025, 6, 30), d(2025, 12, 1)).unwrap()
    );
    assert_eq!(whole.late_fee, Yen::new(3_100));
    // Paid in full by the due date: nothing.
    let on_time = PartialPayment {
        paid_on: d(2025, 6, 30),
        amount: Yen::new(100_000),
    };
    assert_eq!(
        late_fee_on_payments(
            Yen::new(100_000),
            d(2025, 6, 30),
            &[on_time],
            d(2025, 6, 30)
        )
        .unwrap()
        .late_fee,
        Yen::ZERO
    );
}
