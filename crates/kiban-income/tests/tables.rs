//! The 給与所得 and 公的年金等 tables, row by row, against independent
//! oracles written from the statutes' deduction formulas.

use kiban_core::working::Working;
use kiban_core::{FiscalYear, Yen};
use kiban_income::{ChildCareAdjustment, IncomeRules, PensionAgeGroup, Revenues, rules_for};

fn rules(year: i32) -> &'static IncomeRules {
    match FiscalYear::new(year).map(rules_for) {
        Ok(Ok(r)) => r,
        _ => panic!("no income rules for {year}"),
    }
}

/// ⌊numerator / denominator⌋ for non-negative values.
fn floor_div(numerator: i64, denominator: i64) -> i64 {
    numerator.div_euclid(denominator)
}

/// 給与所得 from 所得税法第28条第3項 (the deduction in tenths of a yen, the
/// income truncated) and 別表第五: revenue below 6,600,000 rounded down to
/// 4,000 yen, except below `plain_below` where it is exact, and the fixed
/// rows of 1,619,000–1,627,999 before the 2025 revision.
fn employment_oracle(revenue: i64, minimum: i64) -> i64 {
    let deduction_tenths = |x: i64| -> i64 {
        let by_formula = if x <= 1_800_000 {
            4 * x - 1_000_000
        } else if x <= 3_600_000 {
            3 * x + 800_000
        } else if x <= 6_600_000 {
            2 * x + 4_400_000
        } else if x <= 8_500_000 {
            x + 11_000_000
        } else {
            19_500_000
        };
        by_formula.max(minimum * 10)
    };
    let income_of = |x: i64| floor_div(10 * x - deduction_tenths(x), 10).max(0);
    let old_table = minimum == 550_000;
    let plain_below = if old_table { 1_619_000 } else { 1_900_000 };
    match revenue {
        // 別表第五 starts with 「551,000円未満 0円」 (651,000円 from 2025).
        r if r < minimum + 1_000 => 0,
        r if r < plain_below => r - minimum,
        1_619_000..=1_619_999 if old_table => 1_069_000,
        1_620_000..=1_621_999 if old_table => 1_070_000,
        1_622_000..=1_623_999 if old_table => 1_072_000,
        1_624_000..=1_627_999 if old_table => 1_074_000,
        r if r < 6_600_000 => income_of(r / 4000 * 4000),
        r => income_of(r),
    }
}

/// Points to test in every row: its first yen, the next, a middle one, its last.
fn points(rules: &IncomeRules) -> Vec<i64> {
    let mut out = Vec::new();
    for row in &rules.employment.income_table {
        let last = row.below.map_or(row.from + 5_000_000, |b| b - 1);
        out.extend([row.from, row.from + 1, (row.from + last) / 2 + 1, last]);
    }
    out
}

fn check_employment(year: i32, minimum: i64) {
    let r = rules(year);
    assert_eq!(r.employment.minimum_deduction, minimum);
    for revenue in points(r) {
        let (got, _) = r.employment_income(Yen::new(revenue));
        assert_eq!(
            got.get(),
            employment_oracle(revenue, minimum),
            "FY{year} salary {revenue}"
        );
    }
}

#[test]
fn employment_income_table_fy2021_to_fy2025_row_by_row() {
    for year in 2021..=2025 {
        check_employment(year, 550_000);
    }
}

#[test]
fn employment_income_table_fy2026_row_by_row() {
    check_employment(2026, 650_000);
}

/// Published figures: NTA 速算表 examples and the municipal examples used by
/// the resident-tax tests.
#[test]
fn employment_income_known_values() {
    let cases = [
        (2026, 5_000_000, 3_560_000), // 新潟市 令和8年度
        (2023, 4_370_000, 3_054_400), // 見附市: 4,368,000 × 80% − 440,000
        (2024, 7_633_000, 5_769_700), // 川崎市 令和6年度
        (2025, 1_625_000, 1_074_000), // 別表第五's fixed row, not 1,625,000 × 60% + 100,000
        (2025, 1_030_000, 480_000),   // the old 103万円 line
        (2026, 1_230_000, 580_000),   // the new 123万円 line
        (2026, 1_900_000, 1_250_000),
        (2026, 1_899_999, 1_249_999),
        (2026, 1_903_999, 1_250_000),
        (2026, 651_000, 1_000),
        (2026, 650_999, 0), // 「651,000円未満 0円」
        (2025, 8_500_000, 6_550_000),
        (2025, 20_000_000, 18_050_000),
    ];
    for (year, revenue, income) in cases {
        assert_eq!(
            rules(year).employment_income(Yen::new(revenue)).0,
            Yen::new(income),
            "FY{year} {revenue}"
        );
    }
}

/// 公的年金等に係る雑所得 from 所得税法第35条第4項 and 租税特別措置法第41条の15の3:
/// the deduction by age group and other-income tier, income truncated.
fn pension_oracle(revenue: i64, older: bool, tier: i64) -> i64 {
    let shift = 100_000 * tier;
    // Deduction × 100, exact.
    let deduction_hundredths = if older && revenue <= 3_300_000 {
        (1_100_000 - shift) * 100
    } else if !older && revenue <= 1_300_000 {
        (600_000 - shift) * 100
    } else if revenue <= 4_100_000 {
        25 * revenue + (275_000 - shift) * 100
    } else if revenue <= 7_700_000 {
        15 * revenue + (685_000 - shift) * 100
    } else if revenue <= 10_000_000 {
        5 * revenue + (1_455_000 - shift) * 100
    } else {
        (1_955_000 - shift) * 100
    };
    floor_div(100 * revenue - deduction_hundredths, 100).max(0)
}

#[test]
fn pension_tables_row_by_row() {
    for year in 2021..=2026 {
        let r = rules(year);
        for table in &r.pension.tables {
            let older = table.age_group == PensionAgeGroup::From65;
            let (tier, other) = match table.other_income_up_to {
                Some(10_000_000) => (0, 10_000_000),
                Some(20_000_000) => (1, 20_000_000),
                Some(other) => panic!("unexpected tier {other}"),
                None => (2, 20_000_001),
            };
            for row in &table.rows {
                let last = row.below.map_or(row.from + 3_000_000, |b| b - 1);
                for revenue in [row.from, row.from + 1, (row.from + last) / 2 + 1, last] {
                    let (got, _) =
                        r.pension_income(Yen::new(revenue), table.age_group, Yen::new(other));
                    assert_eq!(
                        got.get(),
                        pension_oracle(revenue, older, tier),
                        "FY{year} {:?} tier {tier} revenue {revenue}",
                        table.age_group
                    );
                }
            }
        }
    }
}

/// The age group follows the age on 31 December: 65 from a birthday on 1
/// January of the year after next (the day before the birthday).
#[test]
fn pension_age_group_threshold() {
    let r = rules(2026);
    assert_eq!(r.pension_age_group(64), PensionAgeGroup::Under65);
    assert_eq!(r.pension_age_group(65), PensionAgeGroup::From65);
    // Pension 1,600,000: 500,000 at 65, 925,000 under 65.
    assert_eq!(
        r.pension_income(Yen::new(1_600_000), PensionAgeGroup::From65, Yen::ZERO)
            .0,
        Yen::new(500_000)
    );
    assert_eq!(
        r.pension_income(Yen::new(1_600_000), PensionAgeGroup::Under65, Yen::ZERO)
            .0,
        Yen::new(925_000)
    );
}

fn total(year: i32, revenues: Revenues, age: u32, child_care: ChildCareAdjustment) -> (i64, i64) {
    let mut working = Working::new();
    let income = rules(year).compute(&revenues, age, child_care, &mut working);
    (
        income.income_adjustment_deduction.get(),
        income.total_income.get(),
    )
}

/// 所得金額調整控除 in both forms (租税特別措置法第41条の3の3).
#[test]
fn income_adjustment_deduction() {
    let salary = |s: i64| Revenues {
        salary_revenue: Yen::new(s),
        ..Revenues::default()
    };
    // (9,000,000 − 8,500,000) × 10% = 50,000.
    assert_eq!(
        total(2025, salary(9_000_000), 45, ChildCareAdjustment::Applies),
        (50_000, 7_000_000)
    );
    assert_eq!(
        total(
            2025,
            salary(9_000_000),
            45,
            ChildCareAdjustment::DoesNotApply
        ),
        (0, 7_050_000)
    );
    // Capped at 10,000,000 of salary: 150,000.
    assert_eq!(
        total(2025, salary(12_000_000), 45, ChildCareAdjustment::Applies),
        (150_000, 9_900_000)
    );
    // 8,500,001: 0.1 yen rounded up to 1 yen.
    assert_eq!(
        total(2025, salary(8_500_001), 45, ChildCareAdjustment::Applies),
        (1, 6_550_000)
    );
    // Salary and pension: 100,000 + 100,000 − 100,000.
    let both = |s: i64, p: i64| Revenues {
        salary_revenue: Yen::new(s),
        public_pension_revenue: Yen::new(p),
        ..Revenues::default()
    };
    assert_eq!(
        total(
            2025,
            both(3_000_000, 2_000_000),
            66,
            ChildCareAdjustment::DoesNotApply
        ),
        (100_000, 2_020_000 - 100_000 + 900_000)
    );
    // Salary income 150,000 and pension income 50,000: 100,000 + 50,000 − 100,000.
    assert_eq!(
        total(
            2025,
            both(700_000, 1_150_000),
            66,
            ChildCareAdjustment::DoesNotApply
        ),
        (50_000, 150_000)
    );
}
