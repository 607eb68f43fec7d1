//! The income-csv-v1 parser: every problem named by row and column, all
//! collected, nothing given for a file with any problem.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use kiban_resident_tax::domain::income::{
    ALL_COLUMNS, CollectionMethod, DependentRelation, DisabilityClass, IncomeFileError,
    IncomeSource, MAX_REPORTED_ISSUES, ParseProblem, parse_income_csv,
};
use proptest::prelude::*;

const HEADER: &str = "source,payer_number,payer_name,collection,name,name_kana,birth_date,address_on_jan1,salary_revenue,social_insurance";

fn file(rows: &[&str]) -> Vec<u8> {
    let mut text = String::from(HEADER);
    for row in rows {
        text.push('\n');
        text.push_str(row);
    }
    text.push('\n');
    text.into_bytes()
}

const GOOD: &str = "salary_report,123456,株式会社デモ,special,山田　太郎,ヤマダ　タロウ,1980-04-01,東京都千代田区霞が関1-1,5000000,700000";

/// The (row, column, code) of every problem.
fn problems(error: &IncomeFileError) -> Vec<(usize, Option<String>, &'static str)> {
    error
        .issues
        .iter()
        .map(|i| (i.row, i.column.clone(), i.problem.code()))
        .collect()
}

fn check(rows: &[&str], expected: &[(usize, Option<&str>, &str)]) {
    let error = parse_income_csv(&file(rows)).unwrap_err();
    let expected: Vec<(usize, Option<String>, &str)> = expected
        .iter()
        .map(|(r, c, p)| (*r, c.map(str::to_owned), *p))
        .collect();
    assert_eq!(problems(&error), expected);
    assert_eq!(error.total, expected.len());
}

#[test]
fn a_good_row_is_typed() {
    let records = parse_income_csv(&file(&[GOOD])).unwrap();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.source, IncomeSource::SalaryReport);
    assert_eq!(r.collection, CollectionMethod::Special);
    assert_eq!(r.payer_number.as_deref(), Some("123456"));
    assert_eq!(r.name_kana, "ヤマダ　タロウ");
    assert_eq!(r.birth_date.to_string(), "1980-04-01");
    assert_eq!(r.salary_revenue, 5_000_000);
    assert_eq!(r.social_insurance, 700_000);
    assert_eq!(r.public_pension_revenue, 0, "absent columns are 0");
    assert_eq!(r.disability, DisabilityClass::None);
    assert!(r.spouse.is_none());
    assert!(r.dependents.is_empty());
}

#[test]
fn columns_may_come_in_any_order_and_kana_is_folded() {
    let text = "birth_date,name_kana,name,address_on_jan1,collection,source,public_pension_revenue\n\
                1950-01-02,ｽｽﾞｷ ﾊﾅｺ,鈴木 花子,大阪府大阪市北区梅田1-2-3,ordinary,pension_report,1800000\n";
    let records = parse_income_csv(text.as_bytes()).unwrap();
    assert_eq!(records[0].name_kana, "スズキ　ハナコ");
    assert_eq!(records[0].name, "鈴木　花子");
    assert_eq!(records[0].public_pension_revenue, 1_800_000);
    assert_eq!(records[0].payer_number, None);
}

#[test]
fn every_column_of_the_contract_is_known() {
    let header = ALL_COLUMNS.join(",");
    let mut row: Vec<&str> = vec![""; ALL_COLUMNS.len()];
    let set = |row: &mut Vec<&str>, column: &str, value: &'static str| {
        let i = ALL_COLUMNS.iter().position(|c| *c == column).unwrap();
        row[i] = value;
    };
    for (c, v) in [
        ("source", "declaration"),
        ("collection", "ordinary"),
        ("name", "佐藤　一郎"),
        ("name_kana", "サトウ　イチロウ"),
        ("birth_date", "1970-12-31"),
        ("sex", "male"),
        ("address_on_jan1", "東京都港区芝公園4-2-8"),
        ("individual_number", "123456789018"),
        ("business_income", "3000000"),
        ("disability", "general"),
        ("working_student", "false"),
        ("spouse_name", "佐藤　花子"),
        ("spouse_birth_date", "1972-03-03"),
        ("spouse_total_income", "0"),
        ("spouse_disability", "special_cohabiting"),
        ("dependent1_name", "佐藤　次郎"),
        ("dependent1_birth_date", "2008-05-05"),
        ("dependent1_relation", "child"),
        ("dependent3_name", "佐藤　三郎"),
        ("dependent3_birth_date", "1940-01-01"),
        ("dependent3_relation", "parent"),
        ("dependent3_lives_with", "false"),
    ] {
        set(&mut row, c, v);
    }
    let text = format!("{header}\n{}\n", row.join(","));
    let records = parse_income_csv(text.as_bytes()).unwrap();
    let r = &records[0];
    assert_eq!(
        r.individual_number.as_ref().unwrap().as_str(),
        "123456789018"
    );
    assert_eq!(r.disability, DisabilityClass::General);
    let spouse = r.spouse.as_ref().unwrap();
    assert_eq!(spouse.disability, DisabilityClass::SpecialCohabiting);
    assert_eq!(r.dependents.len(), 2);
    assert_eq!(r.dependents[0].relation, DependentRelation::Child);
    assert!(r.dependents[0].lives_with, "lives_with defaults to true");
    assert_eq!(r.dependents[1].relation, DependentRelation::Parent);
    assert!(!r.dependents[1].lives_with);
}

#[test]
fn malformed_values_name_row_and_column() {
    check(
        &[
            GOOD,
            "salary_report,123456,株式会社デモ,special,山田　太郎,ヤマダ　タロウ,2026-02-30,東京都千代田区霞が関1-1,5000000,0",
            "salary_report,123456,株式会社デモ,special,山田　太郎,ヤマダ　タロウ,1980-04-01,東京都千代田区霞が関1-1,-1,0",
            "salary_report,123456,株式会社デモ,special,山田　太郎,ヤマダ　タロウ,1980-04-01,東京都千代田区霞が関1-1,12.5,1e3",
            "wages,123456,株式会社デモ,weekly,山田　太郎,ヤマダ　タロウ,1980-04-01,東京都千代田区霞が関1-1,0,0",
            "salary_report,,株式会社デモ,special,山田　太郎,ヤマダ　タロウ,1980/04/01,東京都千代田区霞が関1-1,0,0",
            "declaration,,,ordinary,,,,,,",
        ],
        &[
            (2, Some("birth_date"), "invalid_date"),
            (3, Some("salary_revenue"), "negative_amount"),
            (4, Some("salary_revenue"), "not_an_integer"),
            (4, Some("social_insurance"), "not_an_integer"),
            (5, Some("source"), "unknown_value"),
            (5, Some("collection"), "unknown_value"),
            (6, Some("payer_number"), "payer_number_required"),
            (6, Some("birth_date"), "invalid_date"),
            (7, Some("name"), "required"),
            (7, Some("name_kana"), "required"),
            (7, Some("birth_date"), "required"),
            (7, Some("address_on_jan1"), "required"),
        ],
    );
}

#[test]
fn an_incomplete_spouse_or_dependent_is_refused() {
    let text = "source,collection,name,name_kana,birth_date,address_on_jan1,spouse_total_income,dependent2_name,dependent2_relation\n\
                declaration,ordinary,山田　太郎,ヤマダ　タロウ,1980-04-01,東京都千代田区霞が関1-1,100,山田　花,cousin\n";
    let error = parse_income_csv(text.as_bytes()).unwrap_err();
    assert_eq!(
        problems(&error),
        vec![
            (1, Some("spouse_name".to_owned()), "incomplete"),
            (1, Some("spouse_birth_date".to_owned()), "incomplete"),
            (1, Some("dependent2_relation".to_owned()), "unknown_value"),
            (1, Some("dependent2_birth_date".to_owned()), "incomplete"),
        ]
    );
}

#[test]
fn the_header_is_checked() {
    let text = "source,colection,name,name,birth_date,address_on_jan1,salary\n";
    let error = parse_income_csv(text.as_bytes()).unwrap_err();
    assert_eq!(
        problems(&error),
        vec![
            (0, Some("colection".to_owned()), "unknown_column"),
            (0, Some("name".to_owned()), "duplicate_column"),
            (0, Some("salary".to_owned()), "unknown_column"),
            (0, Some("collection".to_owned()), "missing_column"),
            (0, Some("name_kana".to_owned()), "missing_column"),
        ]
    );
    assert_eq!(
        problems(&parse_income_csv(b"").unwrap_err()),
        vec![(0, None, "no_header")]
    );
}

#[test]
fn shift_jis_bytes_are_refused_naming_the_row() {
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("山田　太郎");
    let mut bytes = file(&[GOOD]);
    bytes.extend_from_slice(b"salary_report,123456,x,special,");
    bytes.extend_from_slice(&sjis);
    bytes.extend_from_slice(
        "\u{2c}ヤマダ　タロウ,1980-04-01,東京都千代田区霞が関1-1,0,0\n".as_bytes(),
    );
    let error = parse_income_csv(&bytes).unwrap_err();
    assert_eq!(
        problems(&error),
        vec![(2, Some("name".to_owned()), "not_utf8")]
    );
    // A whole file in Shift_JIS: the header already.
    let (whole, _, _) = encoding_rs::SHIFT_JIS.encode("氏名,フリガナ\n");
    let error = parse_income_csv(&whole).unwrap_err();
    assert!(
        problems(&error)
            .iter()
            .all(|(row, _, code)| *row == 0 && *code != "no_header")
    );
    assert!(
        problems(&error)
            .iter()
            .any(|(_, _, code)| *code == "not_utf8")
    );
}

#[test]
fn a_row_with_another_number_of_fields_is_refused() {
    check(&[GOOD, "salary_report,1"], &[(2, None, "field_count")]);
}

#[test]
fn a_file_with_only_the_header_gives_no_records() {
    assert_eq!(parse_income_csv(HEADER.as_bytes()).unwrap(), vec![]);
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(&file(&[GOOD]));
    assert_eq!(parse_income_csv(&with_bom).unwrap().len(), 1);
}

#[test]
fn a_huge_file_is_read_and_its_problems_are_all_counted() {
    let rows: Vec<&str> = std::iter::repeat_n(GOOD, 200_000).collect();
    assert_eq!(parse_income_csv(&file(&rows)).unwrap().len(), 200_000);
    let bad = "salary_report,123456,x,special,山田　太郎,ヤマダ　タロウ,1980-04-01,東京都千代田区霞が関1-1,-5,0";
    let rows: Vec<&str> = std::iter::repeat_n(bad, MAX_REPORTED_ISSUES + 5).collect();
    let error = parse_income_csv(&file(&rows)).unwrap_err();
    assert_eq!(error.total, MAX_REPORTED_ISSUES + 5);
    assert_eq!(error.issues.len(), MAX_REPORTED_ISSUES);
    assert_eq!(error.issues[0].problem, ParseProblem::NegativeAmount);
}

proptest! {
    /// Any amount from 0 up is read back exactly; any below is refused.
    #[test]
    fn amounts_round_trip(amount in 0i64..=999_999_999_999, negative in 1i64..=999_999_999) {
        let row = format!("salary_report,1,x,special,山田　太郎,ヤマダ　タロウ,1980-04-01,東京都千代田区霞が関1-1,{amount},0");
        let records = parse_income_csv(&file(&[&row])).unwrap();
        prop_assert_eq!(records[0].salary_revenue, amount);
        let row = format!("salary_report,1,x,special,山田　太郎,ヤマダ　タロウ,1980-04-01,東京都千代田区霞が関1-1,-{negative},0");
        let error = parse_income_csv(&file(&[&row])).unwrap_err();
        prop_assert_eq!(error.issues[0].problem.clone(), ParseProblem::NegativeAmount);
    }

    /// Arbitrary bytes never panic: either records or named problems.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2_000)) {
        match parse_income_csv(&bytes) {
            Ok(_) => {}
            Err(e) => prop_assert!(e.total >= 1 && !e.issues.is_empty()),
        }
    }

    /// Dates: every real day is read, every impossible one refused.
    #[test]
    fn dates_are_checked(year in 1900i16..2100, month in 1i8..=12, day in 1i8..=31) {
        let text = format!("{year:04}-{month:02}-{day:02}");
        let row = format!("declaration,,,ordinary,山田　太郎,ヤマダ　タロウ,{text},東京都千代田区霞が関1-1,0,0");
        let result = parse_income_csv(&file(&[&row]));
        let exists = jiff::civil::Date::new(year, month, day).is_ok();
        prop_assert_eq!(result.is_ok(), exists);
    }

    /// A record survives its JSON form (what storage keeps).
    #[test]
    fn records_survive_json(amount in 0i64..=999_999_999_999) {
        let row = format!("salary_report,1,x,special,山田　太郎,ヤマダ　タロウ,1980-04-01,東京都千代田区霞が関1-1,{amount},0");
        let record = parse_income_csv(&file(&[&row])).unwrap().remove(0);
        let json = serde_json::to_string(&record).unwrap();
        let back: kiban_resident_tax::domain::income::IncomeRecord = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, record);
    }
}

/// Kiban's optional additions: the payer's postal code and address (where
/// the 特別徴収税額決定通知書 goes); a file without them reads as before, a
/// postal code that is not one is refused naming the column.
#[test]
fn the_payer_address_is_optional_and_checked() {
    let text = "source,payer_number,payer_name,payer_postal_code,payer_address,collection,name,name_kana,birth_date,address_on_jan1\n\
                salary_report,123456,株式会社デモ,〒100-0001,東京都千代田区千代田1番1号,special,山田　太郎,ヤマダ　タロウ,1980-04-01,東京都千代田区霞が関1-1\n\
                salary_report,123456,株式会社デモ,,,special,山田　花子,ヤマダ　ハナコ,1982-04-01,東京都千代田区霞が関1-1\n";
    let records = parse_income_csv(text.as_bytes()).unwrap();
    assert_eq!(records[0].payer_postal_code.as_deref(), Some("1000001"));
    assert_eq!(
        records[0].payer_address.as_deref(),
        Some("東京都千代田区千代田1番1号")
    );
    assert_eq!(records[1].payer_postal_code, None);
    assert_eq!(records[1].payer_address, None);
    let bad = text.replace("〒100-0001", "100-01");
    let error = parse_income_csv(bad.as_bytes()).unwrap_err();
    assert_eq!(
        problems(&error),
        vec![(1, Some("payer_postal_code".to_owned()), "invalid_value")]
    );
}
