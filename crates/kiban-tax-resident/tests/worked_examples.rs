//! Published worked examples (計算例) and boundary cases, through one
//! `check` helper.

use kiban_core::{FiscalYear, Rate, Yen};
use kiban_income::{BirthOrAge, Revenues};
use kiban_tax_resident::{
    CityKind, DeductionClaims, Dependent, DependentRelation, Disability, LifeInsurancePremiums,
    LocalRates, NonTaxable, NonTaxableGrade, ResidentTax, ResidentTaxInput, Spouse, Taxpayer,
    WidowOrSingleParent, calculate,
};

fn yen(n: i64) -> Yen {
    Yen::new(n)
}

fn rate(s: &str) -> Rate {
    Rate::parse(s).unwrap_or(Rate::ZERO)
}

fn fy(year: i32) -> FiscalYear {
    FiscalYear::new(year).unwrap_or_else(|_| panic!("fiscal year {year}"))
}

/// A salaried taxpayer aged 40 with nothing else.
fn salaried(year: i32, salary: i64, social_insurance: i64) -> ResidentTaxInput {
    ResidentTaxInput {
        fiscal_year: fy(year),
        rates: LocalRates::default(),
        grade: NonTaxableGrade::First,
        taxpayer: Taxpayer {
            age: BirthOrAge::Age(40),
            revenues: Revenues {
                salary_revenue: yen(salary),
                ..Revenues::default()
            },
            claims: DeductionClaims {
                social_insurance: yen(social_insurance),
                ..DeductionClaims::default()
            },
        },
        spouse: None,
        dependents: Vec::new(),
    }
}

fn designated(municipal: &str, prefectural: &str) -> LocalRates {
    LocalRates {
        municipal_income_rate: Some(rate(municipal)),
        prefectural_income_rate: Some(rate(prefectural)),
        municipal_per_capita: Some(yen(3000)),
        prefectural_per_capita: Some(yen(1000)),
        city_kind: Some(CityKind::Designated),
    }
}

fn spouse_without_income() -> Option<Spouse> {
    Some(Spouse {
        age: BirthOrAge::Age(40),
        total_income: Yen::ZERO,
        disability: Disability::None,
    })
}

fn child(age: u32) -> Dependent {
    Dependent {
        age: BirthOrAge::Age(age),
        total_income: Yen::ZERO,
        relation: DependentRelation::Child,
        lives_with_taxpayer: true,
        disability: Disability::None,
    }
}

/// The figures a worked example states; `None` where it states none.
#[derive(Default)]
struct Expected {
    employment_income: Option<i64>,
    deductions_total: Option<i64>,
    tax_base: Option<i64>,
    /// (before credits, adjustment credit, income levy) municipal.
    municipal: Option<(i64, i64, i64)>,
    /// (before credits, adjustment credit, income levy) prefectural.
    prefectural: Option<(i64, i64, i64)>,
    per_capita: Option<(i64, i64)>,
    forest: Option<i64>,
    total: Option<i64>,
    non_taxable: Option<NonTaxable>,
}

fn run(input: &ResidentTaxInput) -> ResidentTax {
    match calculate(input) {
        Ok(result) => result,
        Err(e) => panic!("calculation failed: {e}"),
    }
}

fn check(name: &str, input: &ResidentTaxInput, expected: &Expected) {
    let r = run(input);
    let got = |v: Yen| v.get();
    if let Some(v) = expected.employment_income {
        assert_eq!(
            got(r.income.employment_income),
            v,
            "{name}: employment income"
        );
    }
    if let Some(v) = expected.deductions_total {
        assert_eq!(got(r.deductions.total), v, "{name}: deductions total");
    }
    if let Some(v) = expected.tax_base {
        assert_eq!(got(r.tax_base), v, "{name}: tax base");
    }
    if let Some((before, adj, levy)) = expected.municipal {
        let m = r.municipal;
        assert_eq!(
            (
                got(m.income_levy_before_credits),
                got(m.adjustment_credit),
                got(m.income_levy)
            ),
            (before, adj, levy),
            "{name}: municipal"
        );
    }
    if let Some((before, adj, levy)) = expected.prefectural {
        let p = r.prefectural;
        assert_eq!(
            (
                got(p.income_levy_before_credits),
                got(p.adjustment_credit),
                got(p.income_levy)
            ),
            (before, adj, levy),
            "{name}: prefectural"
        );
    }
    if let Some((m, p)) = expected.per_capita {
        assert_eq!(
            (
                got(r.municipal.per_capita_levy),
                got(r.prefectural.per_capita_levy)
            ),
            (m, p),
            "{name}: per-capita levies"
        );
    }
    if let Some(v) = expected.forest {
        assert_eq!(
            got(r.forest_environment_tax),
            v,
            "{name}: forest environment tax"
        );
    }
    if let Some(v) = expected.total {
        assert_eq!(got(r.total), v, "{name}: total");
    }
    if let Some(v) = expected.non_taxable {
        assert_eq!(r.non_taxable, v, "{name}: non-taxable");
    }
}

/// 新潟市, 令和8年度の計算例 (the example of calc-v1.md): salary 5,000,000,
/// social insurance 500,000, spouse without income, children aged 18 and
/// 14, designated-city rates 8%/2%.
#[test]
fn niigata_fy2026() {
    let mut input = salaried(2026, 5_000_000, 500_000);
    input.rates = designated("0.08", "0.02");
    input.spouse = spouse_without_income();
    input.dependents = vec![child(18), child(14)];
    check(
        "新潟市 令和8年度",
        &input,
        &Expected {
            employment_income: Some(3_560_000),
            deductions_total: Some(1_590_000),
            tax_base: Some(1_970_000),
            municipal: Some((157_600, 6_000, 151_600)),
            prefectural: Some((39_400, 1_500, 37_900)),
            per_capita: Some((3_000, 1_000)),
            forest: Some(1_000),
            total: Some(194_500),
            non_taxable: Some(NonTaxable::None),
        },
    );
}

/// 見附市「市・県民税の計算例」(令和3年度から令和5年度まで): salary 4,370,000,
/// NHI premiums 420,000, old general life insurance 100,000, spouse without
/// income, children aged 19 and 16. The page truncates the levies to 100
/// yen before subtracting the adjustment credit (63,500 − 9,900; 42,300 −
/// 6,600); the statute truncates the final amount, with the same result.
#[test]
fn mitsuke_fy2021_to_fy2023() {
    for year in [2021, 2022, 2023] {
        let mut input = salaried(year, 4_370_000, 420_000);
        input.taxpayer.claims.life_insurance = LifeInsurancePremiums {
            old_general: yen(100_000),
            ..LifeInsurancePremiums::default()
        };
        input.spouse = spouse_without_income();
        input.dependents = vec![child(19), child(16)];
        check(
            &format!("見附市 {year}"),
            &input,
            &Expected {
                employment_income: Some(3_054_400),
                deductions_total: Some(1_995_000),
                tax_base: Some(1_059_000),
                municipal: Some((63_540, 9_900, 53_600)),
                prefectural: Some((42_360, 6_600, 35_700)),
                per_capita: Some((3_500, 1_500)),
                forest: Some(0),
                total: Some(53_600 + 35_700 + 3_500 + 1_500),
                ..Expected::default()
            },
        );
    }
}

/// 川崎市「市民税・県民税・森林環境税の計算例」(令和6年度): salary 7,633,000,
/// social insurance 669,500, new-contract life insurance 100,000 in each of
/// the three categories, spouse without income, children aged 17 and 11;
/// 川崎市 8%, 神奈川県 2.025%. The page states the figures up to the
/// special tax credit (定額減税) of 40,000 split 8,081 (prefectural) and
/// 31,919 (municipal); the income levies after it follow from those.
#[test]
fn kawasaki_fy2024() {
    let mut input = salaried(2024, 7_633_000, 669_500);
    input.rates = designated("0.08", "0.02025");
    input.taxpayer.claims.life_insurance = LifeInsurancePremiums {
        new_general: yen(100_000),
        new_pension: yen(100_000),
        care_medical: yen(100_000),
        ..LifeInsurancePremiums::default()
    };
    input.spouse = spouse_without_income();
    input.dependents = vec![child(17), child(11)];
    check(
        "川崎市 令和6年度",
        &input,
        &Expected {
            employment_income: Some(5_769_700),
            deductions_total: Some(1_829_500),
            tax_base: Some(3_940_000),
            // 313,200 − 31,919 = 281,281 → 281,200; 79,285 − 8,081 = 71,204 → 71,200.
            municipal: Some((315_200, 2_000, 281_200)),
            prefectural: Some((79_785, 500, 71_200)),
            ..Expected::default()
        },
    );
    let r = run(&input);
    assert_eq!(r.municipal.special_tax_credit, yen(31_919));
    assert_eq!(r.prefectural.special_tax_credit, yen(8_081));
}

/// Non-taxable limits of a single person in a 1級地: 均等割 450,000円
/// (salary 1,000,000 before FY2026, 1,100,000 from FY2026) and 所得割
/// 450,000円 (the same for one person); one yen above, taxed.
#[test]
fn non_taxable_limits_single_person() {
    let single = |year: i32, salary: i64| salaried(year, salary, 0);
    check(
        "2025 salary 1,000,000",
        &single(2025, 1_000_000),
        &Expected {
            non_taxable: Some(NonTaxable::All),
            total: Some(0),
            ..Expected::default()
        },
    );
    check(
        "2025 salary 1,000,001",
        &single(2025, 1_000_001),
        &Expected {
            non_taxable: Some(NonTaxable::None),
            ..Expected::default()
        },
    );
    check(
        "2026 salary 1,100,000",
        &single(2026, 1_100_000),
        &Expected {
            non_taxable: Some(NonTaxable::All),
            total: Some(0),
            ..Expected::default()
        },
    );
    check(
        "2026 salary 1,100,001",
        &single(2026, 1_100_001),
        &Expected {
            non_taxable: Some(NonTaxable::None),
            ..Expected::default()
        },
    );
}

/// With a spouse and a child (3 people) in a 1級地: 均等割 limit
/// 350,000 × 3 + 100,000 + 210,000 = 1,360,000; 所得割 limit
/// 350,000 × 3 + 100,000 + 320,000 = 1,470,000.
#[test]
fn non_taxable_limits_family_of_three() {
    let family = |income: i64| {
        let mut input = salaried(2025, 0, 0);
        input.taxpayer.revenues.business_income = yen(income);
        input.spouse = spouse_without_income();
        input.dependents = vec![child(10)];
        input
    };
    for (income, expected) in [
        (1_360_000, NonTaxable::All),
        (1_360_001, NonTaxable::IncomeLevy),
        (1_470_000, NonTaxable::IncomeLevy),
        (1_470_001, NonTaxable::None),
    ] {
        check(
            &format!("family income {income}"),
            &family(income),
            &Expected {
                non_taxable: Some(expected),
                ..Expected::default()
            },
        );
    }
    // Per-capita levy only when the income levy is not imposed.
    let r = run(&family(1_400_000));
    assert_eq!(r.municipal.income_levy, Yen::ZERO);
    assert_eq!(r.municipal.per_capita_levy, yen(3_000));
    assert_eq!(r.forest_environment_tax, yen(1_000));
}

/// 2級地 and 3級地 per-capita limits for one person: 415,000 and 380,000.
#[test]
fn non_taxable_grades() {
    for (grade, limit) in [
        (NonTaxableGrade::Second, 415_000),
        (NonTaxableGrade::Third, 380_000),
    ] {
        for (income, expected) in [
            (limit, NonTaxable::All),
            (limit + 1, NonTaxable::IncomeLevy),
        ] {
            let mut input = salaried(2025, 0, 0);
            input.grade = grade;
            input.taxpayer.revenues.business_income = yen(income);
            check(
                &format!("{grade:?} {income}"),
                &input,
                &Expected {
                    non_taxable: Some(expected),
                    ..Expected::default()
                },
            );
        }
    }
}

/// 障害者・未成年者・寡婦・ひとり親 with total income up to 1,350,000 pay nothing.
#[test]
fn special_status_limit() {
    let with = |status: WidowOrSingleParent, disability: Disability, income: i64| {
        let mut input = salaried(2025, 0, 0);
        input.taxpayer.revenues.business_income = yen(income);
        input.taxpayer.claims.widow_or_single_parent = status;
        input.taxpayer.claims.disability = disability;
        input
    };
    for (status, disability) in [
        (WidowOrSingleParent::Widow, Disability::None),
        (WidowOrSingleParent::SingleParentFather, Disability::None),
        (WidowOrSingleParent::None, Disability::General),
    ] {
        check(
            "1,350,000",
            &with(status, disability, 1_350_000),
            &Expected {
                non_taxable: Some(NonTaxable::All),
                ..Expected::default()
            },
        );
        check(
            "1,350,001",
            &with(status, disability, 1_350_001),
            &Expected {
                non_taxable: Some(NonTaxable::None),
                ..Expected::default()
            },
        );
    }
    // A minor: younger than 18 on 1 January 2025 (from FY2023), 20 before.
    let minor = |year: i32, birth: &str| {
        let mut input = salaried(year, 2_000_000, 0);
        let birth = kiban_core::date::parse_iso(birth).unwrap_or(kiban_core::Date::MIN);
        input.taxpayer.age = BirthOrAge::BirthDate(birth);
        input
    };
    check(
        "born 2007-01-03: 17 on 1 January 2025",
        &minor(2025, "2007-01-03"),
        &Expected {
            non_taxable: Some(NonTaxable::All),
            ..Expected::default()
        },
    );
    check(
        "born 2007-01-02: 18 on 1 January 2025 (the day before the birthday)",
        &minor(2025, "2007-01-02"),
        &Expected {
            non_taxable: Some(NonTaxable::None),
            ..Expected::default()
        },
    );
    check(
        "aged 19 on 1 January 2022 is still a minor in FY2022",
        &minor(2022, "2002-06-01"),
        &Expected {
            non_taxable: Some(NonTaxable::All),
            ..Expected::default()
        },
    );
}
