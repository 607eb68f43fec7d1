//! Published worked examples (算出例) and boundary cases, through one
//! `check` helper.

use kiban_core::{Date, FiscalYear, Rate, Yen};
use kiban_income::{BirthOrAge, Revenues};
use kiban_nhi::{
    LocalReduction, Member, MemberStatus, NhiInput, NhiTax, Part, PartRates, Reduction, calculate,
};

fn yen(n: i64) -> Yen {
    Yen::new(n)
}

fn rate(s: &str) -> Rate {
    Rate::parse(s).unwrap_or(Rate::ZERO)
}

fn born(s: &str) -> BirthOrAge {
    BirthOrAge::BirthDate(kiban_core::date::parse_iso(s).unwrap_or(Date::MIN))
}

fn part(income_rate: &str, per_capita: i64, per_household: i64) -> PartRates {
    PartRates {
        income_rate: rate(income_rate),
        asset_rate: Rate::ZERO,
        per_capita: yen(per_capita),
        per_household: yen(per_household),
        annual_cap: None,
    }
}

fn member(age: BirthOrAge, revenues: Revenues) -> Member {
    Member {
        age,
        status: MemberStatus::Insured,
        revenues,
    }
}

fn pension(amount: i64) -> Revenues {
    Revenues {
        public_pension_revenue: yen(amount),
        ..Revenues::default()
    }
}

fn business(amount: i64) -> Revenues {
    Revenues {
        business_income: yen(amount),
        ..Revenues::default()
    }
}

fn salary(amount: i64) -> Revenues {
    Revenues {
        salary_revenue: yen(amount),
        ..Revenues::default()
    }
}

/// 瀬戸内市 rates of 令和6年度 (医療分・後期高齢者支援金分).
fn setouchi_2024() -> Vec<(Part, PartRates)> {
    vec![
        (Part::Medical, part("0.0905", 27_213, 23_167)),
        (Part::ElderlySupport, part("0.0319", 10_457, 8_021)),
    ]
}

/// Simple rates for boundary cases: 10% / 10,000 / 10,000 in every part.
fn simple(year: i32) -> Vec<(Part, PartRates)> {
    let mut parts = vec![
        (Part::Medical, part("0.1", 10_000, 10_000)),
        (Part::ElderlySupport, part("0.1", 10_000, 10_000)),
        (Part::CareSupport, part("0.1", 10_000, 10_000)),
    ];
    if year >= 2026 {
        parts.push((Part::ChildSupport, part("0.01", 1_000, 0)));
    }
    parts
}

fn household(year: i32, rates: Vec<(Part, PartRates)>, members: Vec<Member>) -> NhiInput {
    NhiInput {
        fiscal_year: FiscalYear::new(year).unwrap_or_else(|_| panic!("{year}")),
        rates,
        fixed_asset_tax: Yen::ZERO,
        members,
        local_reductions: Vec::new(),
    }
}

fn run(input: &NhiInput) -> NhiTax {
    match calculate(input) {
        Ok(r) => r,
        Err(e) => panic!("calculation failed: {e}"),
    }
}

/// Expected figures: the reduction, and for each listed part
/// (income_based, per_capita, per_household, local_reduction, total).
struct Expected {
    reduction: Reduction,
    parts: Vec<(Part, [i64; 5])>,
    total: Option<i64>,
}

fn check(name: &str, input: &NhiInput, expected: &Expected) {
    let r = run(input);
    assert_eq!(r.reduction, expected.reduction, "{name}: reduction");
    for (p, figures) in &expected.parts {
        let got = r.parts.iter().find(|(q, _)| q == p).map(|(_, t)| {
            [
                t.income_based.get(),
                t.per_capita.get(),
                t.per_household.get(),
                t.local_reduction.get(),
                t.total.get(),
            ]
        });
        assert_eq!(got, Some(*figures), "{name}: {p:?}");
    }
    if let Some(total) = expected.total {
        assert_eq!(r.total.get(), total, "{name}: total");
    }
}

fn reduction_of(input: &NhiInput) -> Reduction {
    run(input).reduction
}

/// 瀬戸内市「国民健康保険税算出例（令和6年度）」算出例(1): one insured person
/// in their seventies with public pension revenue 1,600,000 (7割軽減).
#[test]
fn setouchi_fy2024_single_pensioner() {
    let input = household(
        2024,
        setouchi_2024(),
        vec![member(BirthOrAge::Age(73), pension(1_600_000))],
    );
    check(
        "瀬戸内市 令和6年度 算出例(1)",
        &input,
        &Expected {
            reduction: Reduction::Seventy,
            parts: vec![
                (Part::Medical, [6_335, 8_163, 6_950, 0, 21_400]),
                (Part::ElderlySupport, [2_233, 3_137, 2_406, 0, 7_700]),
                (Part::CareSupport, [0, 0, 0, 0, 0]),
            ],
            total: Some(29_100),
        },
    );
}

/// 瀬戸内市 算出例(2): head aged 73 with pension 2,100,000 and wife aged 70
/// with pension 800,000 (5割軽減: 850,000 ≤ 430,000 + 295,000 × 2). The page
/// applies the reduction to the per-capita levy of both together
/// (27,213 × 2 × 0.5 = 27,213).
#[test]
fn setouchi_fy2024_couple_of_pensioners() {
    let input = household(
        2024,
        setouchi_2024(),
        vec![
            member(BirthOrAge::Age(73), pension(2_100_000)),
            member(BirthOrAge::Age(70), pension(800_000)),
        ],
    );
    check(
        "瀬戸内市 令和6年度 算出例(2)",
        &input,
        &Expected {
            reduction: Reduction::Fifty,
            parts: vec![
                (Part::Medical, [51_585, 27_213, 11_583, 0, 90_300]),
                (Part::ElderlySupport, [18_183, 10_457, 4_010, 0, 32_600]),
            ],
            total: Some(122_900),
        },
    );
}

/// Reduction thresholds ±1 yen for one insured person with business income,
/// in each fiscal year: 7割 430,000; 5割 430,000 + the year's amount; 2割
/// 430,000 + the year's amount.
#[test]
fn reduction_thresholds_each_year() {
    let amounts = [
        (2021, 285_000, 520_000),
        (2022, 285_000, 520_000),
        (2023, 290_000, 535_000),
        (2024, 295_000, 545_000),
        (2025, 305_000, 560_000),
        (2026, 310_000, 570_000),
    ];
    for (year, fifty, twenty) in amounts {
        let one = |income: i64| {
            household(
                year,
                simple(year),
                vec![member(BirthOrAge::Age(45), business(income))],
            )
        };
        for (income, expected) in [
            (430_000, Reduction::Seventy),
            (430_001, Reduction::Fifty),
            (430_000 + fifty, Reduction::Fifty),
            (430_001 + fifty, Reduction::Twenty),
            (430_000 + twenty, Reduction::Twenty),
            (430_001 + twenty, Reduction::None),
        ] {
            assert_eq!(reduction_of(&one(income)), expected, "{year} {income}");
        }
    }
}

/// Two salary earners raise the 7割 limit by 100,000 (給与所得者等の数 − 1).
#[test]
fn two_earners_raise_the_limits() {
    // Salary 1,000,000 gives employment income 450,000 (FY2025).
    let couple = |second: i64| {
        household(
            2025,
            simple(2025),
            vec![
                member(BirthOrAge::Age(45), salary(1_000_000)),
                member(BirthOrAge::Age(45), salary(second)),
            ],
        )
    };
    // 450,000 + 80,000 = 530,000 ≤ 430,000 + 100,000.
    assert_eq!(reduction_of(&couple(630_000)), Reduction::Seventy);
    // 450,000 + 80,001 > 530,000.
    assert_eq!(reduction_of(&couple(630_001)), Reduction::Fifty);
    // Salary 550,000 is not above the earner threshold: one earner only.
    let single_earner = household(
        2025,
        simple(2025),
        vec![
            member(BirthOrAge::Age(45), salary(980_000)),
            member(BirthOrAge::Age(45), salary(550_000)),
        ],
    );
    // 430,000 + 0 = 430,000 ≤ 430,000.
    assert_eq!(reduction_of(&single_earner), Reduction::Seventy);
}

/// The 65+ pension tables and the 150,000 special deduction follow the age
/// on 31 December of the income year: born 1960-01-01 is 65 on 2024-12-31,
/// born 1960-01-02 is 65 only from 2025-01-01.
#[test]
fn pension_age_on_first_and_second_of_january() {
    let one = |birth: &str| {
        household(
            2025,
            simple(2025),
            vec![member(born(birth), pension(1_600_000))],
        )
    };
    let older = run(&one("1960-01-01"));
    assert_eq!(older.reduction, Reduction::Seventy);
    // 旧ただし書: 1,600,000 − 1,100,000 − 430,000 = 70,000 → 10% = 7,000.
    assert_eq!(older.parts[0].1.income_based, yen(7_000));
    let younger = run(&one("1960-01-02"));
    // Under 65: 1,600,000 × 75% − 275,000 = 925,000; judged without the
    // special deduction: 925,000 ≤ 430,000 + 560,000.
    assert_eq!(younger.reduction, Reduction::Twenty);
    assert_eq!(younger.parts[0].1.income_based, yen(49_500));
}

/// 未就学児: half of the per-capita levy after the statutory reduction, from
/// FY2022; born 2019-04-02 enters school on 2026-04-01 (preschool all of
/// FY2025), born 2019-04-01 on 2025-04-01.
#[test]
fn preschool_children() {
    let family = |year: i32, child: &str| {
        household(
            year,
            simple(year),
            vec![
                member(BirthOrAge::Age(35), business(5_000_000)),
                member(born(child), Revenues::default()),
            ],
        )
    };
    let r = run(&family(2025, "2019-04-02"));
    assert_eq!(r.parts[0].1.per_capita, yen(15_000));
    let r = run(&family(2025, "2019-04-01"));
    assert_eq!(r.parts[0].1.per_capita, yen(20_000));
    // No preschool reduction before FY2022.
    let r = run(&family(2021, "2018-04-02"));
    assert_eq!(r.parts[0].1.per_capita, yen(20_000));
    // With 7割軽減: 10,000 × 0.3 + 10,000 × 0.3 × 0.5 = 4,500.
    let poor = household(
        2025,
        simple(2025),
        vec![
            member(BirthOrAge::Age(35), Revenues::default()),
            member(born("2020-06-01"), Revenues::default()),
        ],
    );
    let r = run(&poor);
    assert_eq!(r.reduction, Reduction::Seventy);
    assert_eq!(r.parts[0].1.per_capita, yen(4_500));
    assert_eq!(r.parts[0].1.per_household, yen(3_000));
}

/// The care part is levied on members aged 40–64 on 1 April only.
#[test]
fn care_part_ages() {
    let one = |birth: &str| {
        household(
            2025,
            simple(2025),
            vec![member(born(birth), business(2_000_000))],
        )
    };
    // Birthday 1985-04-02: reaches 40 on 2025-04-01 (the day before the birthday).
    let r = run(&one("1985-04-02"));
    assert_eq!(r.parts[2].1.per_capita, yen(10_000));
    // Birthday 1985-04-03: 39 on 1 April 2025.
    let r = run(&one("1985-04-03"));
    assert_eq!(r.parts[2].1.total, Yen::ZERO);
    // Birthday 1960-04-02: 65 on 1 April 2025; no care part.
    let r = run(&one("1960-04-02"));
    assert_eq!(r.parts[2].1.total, Yen::ZERO);
    // Birthday 1960-04-03: still 64 on 1 April 2025.
    let r = run(&one("1960-04-03"));
    assert_eq!(r.parts[2].1.per_capita, yen(10_000));
}

/// FY2026: 子ども・子育て支援納付金分, with members until the 31 March after
/// reaching 18 exempt from its per-capita levy, and its own 30,000 cap.
#[test]
fn child_support_fy2026() {
    let family = |child: &str| {
        household(
            2026,
            simple(2026),
            vec![
                member(BirthOrAge::Age(45), business(5_000_000)),
                member(born(child), Revenues::default()),
            ],
        )
    };
    // Born 2008-04-02: reaches 18 on 2026-04-01; exempt all of FY2026.
    let r = run(&family("2008-04-02"));
    let child_support = r
        .parts
        .iter()
        .find(|(p, _)| *p == Part::ChildSupport)
        .map(|(_, t)| *t);
    assert_eq!(child_support.map(|t| t.per_capita), Some(yen(1_000)));
    // Born 2008-04-01: reaches 18 on 2026-03-31; not exempt.
    let r = run(&family("2008-04-01"));
    let child_support = r
        .parts
        .iter()
        .find(|(p, _)| *p == Part::ChildSupport)
        .map(|(_, t)| *t);
    assert_eq!(child_support.map(|t| t.per_capita), Some(yen(2_000)));
    // The statutory cap of the part applies when the municipality gives none.
    let rich = household(
        2026,
        simple(2026),
        vec![member(BirthOrAge::Age(45), business(10_000_000))],
    );
    let r = run(&rich);
    let child_support = r
        .parts
        .iter()
        .find(|(p, _)| *p == Part::ChildSupport)
        .map(|(_, t)| *t);
    assert_eq!(child_support.map(|t| t.total), Some(yen(30_000)));
    // No such part before FY2026.
    assert_eq!(
        run(&household(2025, simple(2025), rich.members.clone()))
            .parts
            .len(),
        3
    );
}

/// Annual caps: each part truncated below 100 yen, then capped.
#[test]
fn annual_caps_by_year() {
    for (year, medical, elderly, care) in [
        (2021, 630_000, 190_000, 170_000),
        (2022, 650_000, 200_000, 170_000),
        (2023, 650_000, 220_000, 170_000),
        (2024, 650_000, 240_000, 170_000),
        (2025, 660_000, 260_000, 170_000),
        (2026, 670_000, 260_000, 170_000),
    ] {
        let r = run(&household(
            year,
            simple(year),
            vec![member(BirthOrAge::Age(50), business(50_000_000))],
        ));
        let totals: Vec<i64> = r.parts.iter().take(3).map(|(_, t)| t.total.get()).collect();
        assert_eq!(totals, vec![medical, elderly, care], "{year}");
    }
    // A municipal cap below the statutory one.
    let mut rates = simple(2025);
    rates[0].1.annual_cap = Some(yen(610_000));
    let r = run(&household(
        2025,
        rates,
        vec![member(BirthOrAge::Age(50), business(50_000_000))],
    ));
    assert_eq!(r.parts[0].1.total, yen(610_000));
}

/// A head who is not insured (擬制世帯主): the income counts in the
/// judgement but is not levied.
#[test]
fn non_insured_head() {
    let input = household(
        2025,
        simple(2025),
        vec![
            Member {
                age: BirthOrAge::Age(50),
                status: MemberStatus::NotInsured,
                revenues: business(3_000_000),
            },
            member(BirthOrAge::Age(20), Revenues::default()),
        ],
    );
    let r = run(&input);
    assert_eq!(r.reduction, Reduction::None);
    assert_eq!(r.parts[0].1.income_based, Yen::ZERO);
    assert_eq!(r.parts[0].1.per_capita, yen(10_000));
}

/// The contract's local reduction: children aged 18 or under on 1 April get
/// 80% off their per-capita levy (after statutory reductions).
#[test]
fn local_reduction_for_children() {
    let mut input = household(
        2025,
        simple(2025),
        vec![
            member(BirthOrAge::Age(45), business(5_000_000)),
            member(born("2010-05-01"), Revenues::default()),
            member(born("2006-04-01"), Revenues::default()),
        ],
    );
    input.local_reductions = vec![LocalReduction::PerCapitaForChildren {
        parts: vec![Part::Medical, Part::ElderlySupport],
        max_age: 18,
        ratio: rate("0.8"),
    }];
    let r = run(&input);
    // Only the child born 2010 is 18 or under on 2025-04-01 (the other is 19).
    assert_eq!(r.parts[0].1.per_capita, yen(30_000));
    assert_eq!(r.parts[0].1.local_reduction, yen(8_000));
    assert_eq!(r.parts[1].1.local_reduction, yen(8_000));
    assert_eq!(r.parts[2].1.local_reduction, Yen::ZERO);
}
