//! Deductions and credits, case by case and at their thresholds, through one
//! `check` helper that looks at one figure of the result.

use kiban_core::{Date, FiscalYear, Yen};
use kiban_income::{BirthOrAge, Revenues};
use kiban_tax_resident::{
    DeductionClaims, Dependent, DependentRelation, Disability, LifeInsurancePremiums, LocalRates,
    NonTaxableGrade, ResidentTax, ResidentTaxInput, Spouse, Taxpayer, WidowOrSingleParent,
    calculate,
};

fn yen(n: i64) -> Yen {
    Yen::new(n)
}

fn born(s: &str) -> BirthOrAge {
    BirthOrAge::BirthDate(kiban_core::date::parse_iso(s).unwrap_or(Date::MIN))
}

/// A taxpayer aged 40 with business income only.
fn with_income(year: i32, business_income: i64) -> ResidentTaxInput {
    ResidentTaxInput {
        fiscal_year: FiscalYear::new(year).unwrap_or_else(|_| panic!("{year}")),
        rates: LocalRates::default(),
        grade: NonTaxableGrade::First,
        taxpayer: Taxpayer {
            age: BirthOrAge::Age(40),
            revenues: Revenues {
                business_income: yen(business_income),
                ..Revenues::default()
            },
            claims: DeductionClaims::default(),
        },
        spouse: None,
        dependents: Vec::new(),
    }
}

fn relative(age: BirthOrAge, total_income: i64) -> Dependent {
    Dependent {
        age,
        total_income: yen(total_income),
        relation: DependentRelation::Child,
        lives_with_taxpayer: true,
        disability: Disability::None,
    }
}

fn spouse(age: u32, total_income: i64) -> Option<Spouse> {
    Some(Spouse {
        age: BirthOrAge::Age(age),
        total_income: yen(total_income),
        disability: Disability::None,
    })
}

fn run(input: &ResidentTaxInput) -> ResidentTax {
    match calculate(input) {
        Ok(r) => r,
        Err(e) => panic!("calculation failed: {e}"),
    }
}

/// Runs each case and compares one figure picked by `pick`.
fn check(name: &str, cases: Vec<(ResidentTaxInput, i64)>, pick: fn(&ResidentTax) -> Yen) {
    for (i, (input, expected)) in cases.iter().enumerate() {
        assert_eq!(pick(&run(input)), yen(*expected), "{name} case {i}");
    }
}

fn life(premiums: LifeInsurancePremiums) -> ResidentTaxInput {
    let mut input = with_income(2025, 5_000_000);
    input.taxpayer.claims.life_insurance = premiums;
    input
}

#[test]
fn life_insurance_formulas_and_caps() {
    let new_general = |p: i64| {
        life(LifeInsurancePremiums {
            new_general: yen(p),
            ..LifeInsurancePremiums::default()
        })
    };
    let old_general = |p: i64| {
        life(LifeInsurancePremiums {
            old_general: yen(p),
            ..LifeInsurancePremiums::default()
        })
    };
    check(
        "生命保険料控除",
        vec![
            (new_general(12_000), 12_000),
            (new_general(12_001), 12_001), // 6,000.5 + 6,000, rounded up
            (new_general(32_000), 22_000),
            (new_general(32_001), 22_001), // 8,000.25 + 14,000, rounded up
            (new_general(56_000), 28_000),
            (new_general(100_000), 28_000),
            (old_general(15_000), 15_000),
            (old_general(40_000), 27_500),
            (old_general(70_000), 35_000),
            (old_general(100_000), 35_000),
            // New and old in one category: at most 28,000, unless old alone is more.
            (
                life(LifeInsurancePremiums {
                    new_general: yen(10_000),
                    old_general: yen(10_000),
                    ..LifeInsurancePremiums::default()
                }),
                20_000,
            ),
            (
                life(LifeInsurancePremiums {
                    new_general: yen(100_000),
                    old_general: yen(100_000),
                    ..LifeInsurancePremiums::default()
                }),
                35_000,
            ),
            // Total cap 70,000.
            (
                life(LifeInsurancePremiums {
                    new_general: yen(100_000),
                    new_pension: yen(100_000),
                    care_medical: yen(100_000),
                    old_general: Yen::ZERO,
                    old_pension: yen(100_000),
                }),
                70_000,
            ),
        ],
        |r| r.deductions.life_insurance,
    );
}

#[test]
fn earthquake_and_medical() {
    let quake = |p: i64| {
        let mut input = with_income(2025, 3_000_000);
        input.taxpayer.claims.earthquake_insurance = yen(p);
        input
    };
    check(
        "地震保険料控除",
        vec![
            (quake(30_000), 15_000),
            (quake(30_001), 15_001),
            (quake(50_000), 25_000),
            (quake(80_000), 25_000),
        ],
        |r| r.deductions.earthquake_insurance,
    );
    let medical = |income: i64, paid: i64| {
        let mut input = with_income(2025, income);
        input.taxpayer.claims.medical_expenses = yen(paid);
        input
    };
    check(
        "医療費控除",
        vec![
            (medical(3_000_000, 300_000), 200_000),
            (medical(1_000_000, 100_000), 50_000), // threshold 5% = 50,000
            (medical(1_000_000, 40_000), 0),
            (medical(50_000_000, 3_000_000), 2_000_000),
        ],
        |r| r.deductions.medical_expenses,
    );
}

#[test]
fn spouse_deduction_by_taxpayer_income_and_spouse_age() {
    let case = |income: i64, spouse_age: u32| {
        let mut input = with_income(2025, income);
        input.spouse = spouse(spouse_age, 0);
        input
    };
    check(
        "配偶者控除",
        vec![
            (case(9_000_000, 60), 330_000),
            (case(9_000_001, 60), 220_000),
            (case(9_500_001, 60), 110_000),
            (case(10_000_001, 60), 0),
            (case(9_000_000, 70), 380_000),
            (case(9_000_000, 69), 330_000),
            (case(9_500_000, 70), 260_000),
            (case(10_000_000, 70), 130_000),
        ],
        |r| r.deductions.spouse,
    );
}

#[test]
fn spouse_special_deduction_fy2025_and_fy2026() {
    let case = |year: i32, spouse_income: i64| {
        let mut input = with_income(year, 5_000_000);
        input.spouse = spouse(50, spouse_income);
        input
    };
    check(
        "配偶者特別控除",
        vec![
            (case(2025, 480_000), 0),
            (case(2025, 480_001), 330_000),
            (case(2025, 1_000_001), 310_000),
            (case(2025, 1_330_000), 30_000),
            (case(2025, 1_330_001), 0),
            (case(2026, 580_000), 0),
            (case(2026, 580_001), 330_000),
            (case(2026, 1_250_001), 60_000),
        ],
        |r| r.deductions.spouse_special,
    );
    check(
        "配偶者控除（所得要件 48万円 / 58万円）",
        vec![
            (case(2025, 480_000), 330_000),
            (case(2026, 580_000), 330_000),
            (case(2025, 480_001), 0),
        ],
        |r| r.deductions.spouse,
    );
}

/// Ages on 31 December of the income year: born 2007-01-01 is 19 on
/// 2025-12-31 (the day before the birthday), born 2007-01-02 is 18.
#[test]
fn dependent_deductions_by_age_on_31_december() {
    let one = |age: BirthOrAge, relation: DependentRelation, together: bool| {
        let mut input = with_income(2026, 5_000_000);
        input.dependents = vec![Dependent {
            relation,
            lives_with_taxpayer: together,
            ..relative(age, 0)
        }];
        input
    };
    let child = |birth: &str| one(born(birth), DependentRelation::Child, true);
    check(
        "扶養控除",
        vec![
            (child("2007-01-01"), 450_000),
            (child("2007-01-02"), 330_000),
            (child("2003-01-02"), 450_000), // 22 on 2025-12-31
            (child("2003-01-01"), 330_000), // 23 on 2025-12-31
            (child("2010-01-01"), 330_000), // 16
            (child("2010-01-02"), 0),       // 15
            (
                one(BirthOrAge::Age(75), DependentRelation::Parent, true),
                450_000,
            ),
            (
                one(BirthOrAge::Age(75), DependentRelation::Parent, false),
                380_000,
            ),
            (
                one(BirthOrAge::Age(75), DependentRelation::Other, true),
                380_000,
            ),
            (
                one(BirthOrAge::Age(69), DependentRelation::Parent, true),
                330_000,
            ),
        ],
        |r| r.deductions.dependents,
    );
}

/// 特定親族特別控除 (FY2026): relatives aged 19–22 with income over 580,000.
#[test]
fn specified_relative_deduction() {
    let student = |year: i32, age: u32, income: i64| {
        let mut input = with_income(year, 5_000_000);
        input.dependents = vec![relative(BirthOrAge::Age(age), income)];
        input
    };
    check(
        "特定親族特別控除",
        vec![
            (student(2026, 20, 580_000), 0), // still a 特定扶養親族
            (student(2026, 20, 580_001), 450_000),
            (student(2026, 20, 950_000), 450_000),
            (student(2026, 20, 950_001), 410_000),
            (student(2026, 20, 1_200_001), 30_000),
            (student(2026, 20, 1_230_000), 30_000),
            (student(2026, 20, 1_230_001), 0),
            (student(2026, 23, 700_000), 0),
            (student(2025, 20, 700_000), 0), // not before FY2026
        ],
        |r| r.deductions.specified_relative,
    );
    check(
        "特定扶養控除（所得要件）",
        vec![
            (student(2026, 20, 580_000), 450_000),
            (student(2025, 20, 480_001), 0),
        ],
        |r| r.deductions.dependents,
    );
}

#[test]
fn disability_widow_single_parent_student_basic() {
    let own = |disability: Disability| {
        let mut input = with_income(2025, 3_000_000);
        input.taxpayer.claims.disability = disability;
        input
    };
    let mut cohabiting = with_income(2025, 3_000_000);
    cohabiting.dependents = vec![Dependent {
        disability: Disability::SpecialCohabiting,
        ..relative(BirthOrAge::Age(10), 0)
    }];
    check(
        "障害者控除",
        vec![
            (own(Disability::General), 260_000),
            (own(Disability::Special), 300_000),
            (cohabiting, 530_000),
        ],
        |r| r.deductions.disability,
    );
    let status = |income: i64, s: WidowOrSingleParent| {
        let mut input = with_income(2025, income);
        input.taxpayer.claims.widow_or_single_parent = s;
        input
    };
    check(
        "寡婦控除・ひとり親控除",
        vec![
            (status(5_000_000, WidowOrSingleParent::Widow), 260_000),
            (status(5_000_001, WidowOrSingleParent::Widow), 0),
            (
                status(3_000_000, WidowOrSingleParent::SingleParentMother),
                300_000,
            ),
            (
                status(3_000_000, WidowOrSingleParent::SingleParentFather),
                300_000,
            ),
        ],
        |r| r.deductions.widow_single_parent,
    );
    let student = |year: i32, salary: i64| {
        let mut input = with_income(year, 0);
        input.taxpayer.revenues.salary_revenue = yen(salary);
        input.taxpayer.claims.working_student = true;
        input
    };
    check(
        "勤労学生控除",
        vec![
            (student(2025, 1_300_000), 260_000), // income 750,000
            (student(2025, 1_300_001), 0),
            (student(2026, 1_500_000), 260_000), // income 850,000
            (student(2026, 1_500_001), 0),
        ],
        |r| r.deductions.working_student,
    );
    check(
        "基礎控除",
        vec![
            (with_income(2025, 24_000_000), 430_000),
            (with_income(2025, 24_000_001), 290_000),
            (with_income(2025, 24_500_001), 150_000),
            (with_income(2025, 25_000_001), 0),
        ],
        |r| r.deductions.basic,
    );
}

/// 調整控除: the first form up to a tax base of 2,000,000, the second form
/// with its 50,000 floor (2,500 yen), none above a total income of 25,000,000.
#[test]
fn adjustment_credit_forms() {
    // Single: 人的控除額の差 = 50,000 (basic).
    check(
        "調整控除（市町村民税）",
        vec![
            // Tax base 1,000,000 → min(50,000, 1,000,000) × 3% = 1,500.
            (with_income(2025, 1_430_000), 1_500),
            // Total income 450,001 (just taxable): tax base 20,000 → × 3% = 600.
            (with_income(2025, 450_001), 600),
            // Tax base 5,000,000 → floor 50,000 × 3% = 1,500.
            (with_income(2025, 5_430_000), 1_500),
            (with_income(2025, 25_000_001), 0),
        ],
        |r| r.municipal.adjustment_credit,
    );
    // A family: 人的控除額の差 = 50,000 + 50,000 + 180,000 = 280,000.
    let family = |income: i64| {
        let mut input = with_income(2025, income);
        input.spouse = spouse(40, 0);
        input.dependents = vec![relative(BirthOrAge::Age(20), 0)];
        input
    };
    check(
        "調整控除（道府県民税）",
        vec![
            // Tax base exactly 2,000,000: 280,000 × 2% = 5,600.
            (family(2_000_000 + 430_000 + 330_000 + 450_000), 5_600),
            // 2,100,000: (280,000 − 100,000) × 2% = 3,600.
            (family(2_100_000 + 430_000 + 330_000 + 450_000), 3_600),
            // 2,300,000: 280,000 − 300,000 < 50,000 → 1,000.
            (family(2_300_000 + 430_000 + 330_000 + 450_000), 1_000),
        ],
        |r| r.prefectural.adjustment_credit,
    );
}

/// 定額減税 of FY2025: only for a 同一生計配偶者 of a taxpayer with income over
/// 10,000,000 (and up to 18,050,000).
#[test]
fn special_credit_fy2025() {
    let case = |income: i64| {
        let mut input = with_income(2025, income);
        input.spouse = spouse(50, 0);
        input
    };
    check(
        "特別税額控除 令和7年度",
        vec![
            (case(9_000_000), 0),
            (case(12_000_000), 10_000),
            (case(18_050_001), 0),
        ],
        |r| r.municipal.special_tax_credit + r.prefectural.special_tax_credit,
    );
}

/// The per-capita levy: 3,000 + 500 and 1,000 + 500 until FY2023, then
/// 3,000 and 1,000 plus the forest environment tax of 1,000.
#[test]
fn per_capita_levy_and_forest_tax_by_year() {
    for (year, municipal, prefectural, forest) in [
        (2021, 3_500, 1_500, 0),
        (2023, 3_500, 1_500, 0),
        (2024, 3_000, 1_000, 1_000),
        (2026, 3_000, 1_000, 1_000),
    ] {
        let r = run(&with_income(year, 3_000_000));
        assert_eq!(
            (
                r.municipal.per_capita_levy,
                r.prefectural.per_capita_levy,
                r.forest_environment_tax
            ),
            (yen(municipal), yen(prefectural), yen(forest)),
            "{year}"
        );
    }
}
