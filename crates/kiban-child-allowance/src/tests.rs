//! The amount tables row by row, the boundaries of each age band (birthdays
//! on 1 April and 2 April, the month of the third birthday), the ranking of
//! older children, and 2024-09 against 2024-10, through one `check` helper.

use super::*;

fn d(s: &str) -> Date {
    kiban_core::date::parse_iso(s).unwrap()
}

fn m(s: &str) -> YearMonth {
    YearMonth::parse(s).unwrap()
}

/// Children as (birth date, supported) → per child (rank, eligible, amount), and the total.
fn check(
    month: &str,
    children: &[(&str, bool)],
    expected: &[(Option<u32>, bool, i64)],
    total: i64,
) {
    let input: Vec<Child> = children
        .iter()
        .map(|(b, s)| Child {
            birth_date: d(b),
            supported: *s,
        })
        .collect();
    let got = monthly_allowance(m(month), &input).unwrap();
    let got_children: Vec<(Option<u32>, bool, i64)> = got
        .children
        .iter()
        .map(|c| (c.rank, c.eligible, c.monthly_amount.get()))
        .collect();
    assert_eq!(got_children, expected, "{month} {children:?}");
    assert_eq!(got.monthly_total, Yen::new(total), "{month} {children:?}");
    assert_eq!(
        got.working.steps().last().map(|s| s.amount),
        Some(Yen::new(total))
    );
}

#[test]
fn every_rule_file_is_valid_and_keyed_by_its_month() {
    assert_eq!(RULES.check(), Ok(()));
    for k in RULES.years() {
        let rules = RULES.in_force(k).unwrap().1;
        assert_eq!(key(rules.effective_from.0), k);
    }
}

/// 富加町「児童手当」の改正前の表: 3歳未満 一律15,000円、3歳〜小学校修了前
/// 第1子・第2子 10,000円・第3子以降 15,000円、中学生 一律10,000円 (2024-09分).
#[test]
fn old_rules_row_by_row() {
    // Three children in 2024-09: 14 (middle school), 8 (primary), 1 (under 3).
    check(
        "2024-09",
        &[
            ("2010-06-01", true),
            ("2016-06-01", true),
            ("2023-06-01", true),
        ],
        &[
            (Some(1), true, 10000),
            (Some(2), true, 10000),
            (Some(3), true, 15000),
        ],
        35000,
    );
    // The third child aged 3 to the end of primary school gets 15,000.
    check(
        "2024-09",
        &[
            ("2010-06-01", true),
            ("2016-06-01", true),
            ("2019-06-01", true),
        ],
        &[
            (Some(1), true, 10000),
            (Some(2), true, 10000),
            (Some(3), true, 15000),
        ],
        35000,
    );
    // A 16-year-old (high school) is counted but not paid; an 18-year-old past
    // the 31 March is neither.
    check(
        "2024-09",
        &[
            ("2005-06-01", true),
            ("2008-06-01", true),
            ("2012-06-01", true),
            ("2021-06-01", true),
        ],
        &[
            (None, false, 0),
            (Some(1), false, 0),
            (Some(2), true, 10000),
            (Some(3), true, 15000),
        ],
        25000,
    );
}

/// 富加町「児童手当」の改正後の表: 3歳未満 第1子・第2子 15,000円・第3子以降
/// 30,000円、3歳〜18歳の年度末 第1子・第2子 10,000円・第3子以降 30,000円.
#[test]
fn new_rules_row_by_row() {
    check(
        "2024-10",
        &[
            ("2008-06-01", true),
            ("2016-06-01", true),
            ("2023-06-01", true),
        ],
        &[
            (Some(1), true, 10000),
            (Some(2), true, 10000),
            (Some(3), true, 30000),
        ],
        50000,
    );
    check(
        "2025-04",
        &[("2023-06-01", true), ("2024-06-01", true)],
        &[(Some(1), true, 15000), (Some(2), true, 15000)],
        30000,
    );
    check(
        "2025-04",
        &[
            ("2015-06-01", true),
            ("2018-06-01", true),
            ("2020-06-01", true),
            ("2024-06-01", true),
        ],
        &[
            (Some(1), true, 10000),
            (Some(2), true, 10000),
            (Some(3), true, 30000),
            (Some(4), true, 30000),
        ],
        80000,
    );
}

/// The same family in 2024-09 and 2024-10: a supported 21-year-old counts
/// from 2024-10 (宮古島市: 22歳年度末までの子を上の子から数える), which makes
/// the youngest the third child; the 16-year-old is paid from 2024-10.
#[test]
fn september_against_october_2024() {
    let family = [
        ("2003-06-01", true),
        ("2008-06-01", true),
        ("2020-06-01", true),
    ];
    check(
        "2024-09",
        &family,
        &[
            (None, false, 0),
            (Some(1), false, 0),
            (Some(2), true, 10000),
        ],
        10000,
    );
    check(
        "2024-10",
        &family,
        &[
            (Some(1), false, 0),
            (Some(2), true, 10000),
            (Some(3), true, 30000),
        ],
        40000,
    );
    // The same 21-year-old not supported is not counted.
    check(
        "2024-10",
        &[
            ("2003-06-01", false),
            ("2008-06-01", true),
            ("2020-06-01", true),
        ],
        &[
            (None, false, 0),
            (Some(1), true, 10000),
            (Some(2), true, 10000),
        ],
        20000,
    );
}

/// Born on 1 April a child reaches 18 on 31 March, so its last month is that
/// March; born on 2 April it reaches 18 on 1 April and is paid a year longer.
#[test]
fn birthdays_on_1_and_2_april() {
    check(
        "2025-03",
        &[("2007-04-01", true)],
        &[(Some(1), true, 10000)],
        10000,
    );
    check(
        "2025-04",
        &[("2007-04-01", true)],
        &[(Some(1), false, 0)],
        0,
    );
    check(
        "2025-04",
        &[("2007-04-02", true)],
        &[(Some(1), true, 10000)],
        10000,
    );
    check(
        "2026-03",
        &[("2007-04-02", true)],
        &[(Some(1), true, 10000)],
        10000,
    );
    check(
        "2026-04",
        &[("2007-04-02", true)],
        &[(Some(1), false, 0)],
        0,
    );
    // Counting up to 22: born 2003-04-01 reaches 22 on 2025-03-31.
    check(
        "2025-04",
        &[
            ("2003-04-01", true),
            ("2008-06-01", true),
            ("2020-06-01", true),
        ],
        &[
            (None, false, 0),
            (Some(1), true, 10000),
            (Some(2), true, 10000),
        ],
        20000,
    );
    check(
        "2025-04",
        &[
            ("2003-04-02", true),
            ("2008-06-01", true),
            ("2020-06-01", true),
        ],
        &[
            (Some(1), false, 0),
            (Some(2), true, 10000),
            (Some(3), true, 30000),
        ],
        40000,
    );
    // Old rules: end of primary school. Born 2012-04-01 reaches 12 on
    // 2024-03-31: third child 15,000 until 2024-03, 10,000 from 2024-04.
    let old = [
        ("2006-06-01", true),
        ("2008-06-01", true),
        ("2012-04-01", true),
    ];
    check(
        "2024-03",
        &old,
        &[
            (Some(1), false, 0),
            (Some(2), true, 10000),
            (Some(3), true, 15000),
        ],
        25000,
    );
    // The middle one (born 2008-06-01) leaves middle school at the same 31 March.
    check(
        "2024-04",
        &old,
        &[
            (Some(1), false, 0),
            (Some(2), false, 0),
            (Some(3), true, 10000),
        ],
        10000,
    );
}

/// 3歳未満 lasts to the end of the month in which the child reaches 3; a
/// child born on the 1st reaches 3 on the last day of the previous month.
#[test]
fn month_of_the_third_birthday() {
    check(
        "2025-05",
        &[("2022-05-02", true)],
        &[(Some(1), true, 15000)],
        15000,
    );
    check(
        "2025-06",
        &[("2022-05-02", true)],
        &[(Some(1), true, 10000)],
        10000,
    );
    check(
        "2025-04",
        &[("2022-05-01", true)],
        &[(Some(1), true, 15000)],
        15000,
    );
    check(
        "2025-05",
        &[("2022-05-01", true)],
        &[(Some(1), true, 10000)],
        10000,
    );
}

#[test]
fn newborns_twins_and_errors() {
    // Born in the month: paid from the next month.
    check("2025-05", &[("2025-05-01", true)], &[(None, false, 0)], 0);
    check(
        "2025-06",
        &[("2025-05-31", true)],
        &[(Some(1), true, 15000)],
        15000,
    );
    // Twins share a birth date and keep the order given.
    check(
        "2025-06",
        &[
            ("2020-01-10", true),
            ("2024-03-03", true),
            ("2024-03-03", true),
        ],
        &[
            (Some(1), true, 10000),
            (Some(2), true, 15000),
            (Some(3), true, 30000),
        ],
        55000,
    );
    let err = monthly_allowance(
        m("2025-05"),
        &[
            Child {
                birth_date: d("2020-01-01"),
                supported: true,
            },
            Child {
                birth_date: d("2025-06-01"),
                supported: true,
            },
        ],
    )
    .unwrap_err();
    assert_eq!(err.field(), "children[1].birth_date");
    let err = monthly_allowance(m("2012-03"), &[]).unwrap_err();
    assert_eq!(err.field(), "month");
}
