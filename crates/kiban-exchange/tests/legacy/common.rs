//! Builders of test extracts and the `check` helper.

use kiban_core::numbers::INDIVIDUAL_NUMBER;
use kiban_exchange::legacy::{
    GaijiMap, LegacyExtract, LegacyFileError, LegacyRecordSpec, parse_fixed_cp932,
    write_fixed_cp932,
};

/// The 外字 map of the tests: F040 is 辻 with two dots (an IVS), F041 is 髙.
pub const GAIJI_CSV: &str = "sjis,unicode\nF040,U+8FBB U+E0102\nF041,U+9AD9\n";

/// The 外字 map of the tests.
pub fn gaiji_map() -> GaijiMap {
    GaijiMap::parse_csv(GAIJI_CSV).unwrap()
}

/// A valid 個人番号 from an 11-digit base.
pub fn individual_number(base: u64) -> String {
    INDIVIDUAL_NUMBER
        .complete(&format!("{base:011}"))
        .unwrap()
        .1
}

/// A clean resident record: 昭和55年4月1日 born, resident since 平成10年5月1日.
pub fn resident(person_id: u64, household_id: u64, relationship: &str) -> LegacyRecordSpec {
    LegacyRecordSpec {
        person_id: format!("{person_id:010}"),
        household_id: format!("{household_id:010}"),
        name: "山田　太郎".to_owned(),
        name_kana: "ﾔﾏﾀﾞ ﾀﾛｳ".to_owned(),
        birth_date: "3550401".to_owned(),
        sex: "1".to_owned(),
        relationship: relationship.to_owned(),
        postal_code: "4010013".to_owned(),
        address: "山梨県大月市大月二丁目６番２０号".to_owned(),
        katagaki: String::new(),
        residence_start_date: "4100501".to_owned(),
        status: "1".to_owned(),
        removal_date: String::new(),
        individual_number: individual_number(person_id),
        nationality: String::new(),
    }
}

/// A head of household living alone.
pub fn head(person_id: u64) -> LegacyRecordSpec {
    resident(person_id, person_id, "01")
}

/// Reads a file written with CR LF, with the test map.
pub fn read(records: &[LegacyRecordSpec]) -> LegacyExtract {
    parse_fixed_cp932(&write_fixed_cp932(records, true), &gaiji_map()).unwrap()
}

/// Reads bytes with the test map, expecting a malformed file.
pub fn reject(file: &[u8]) -> LegacyFileError {
    match parse_fixed_cp932(file, &gaiji_map()) {
        Ok(extract) => panic!("accepted: {:?}", extract.report),
        Err(error) => error,
    }
}

/// Writes the records, reads them, and checks the report's entries as
/// `(record, person_id, field, class, code, message)`, the summary, and
/// that nothing is imported exactly when a `before_migration` entry exists.
pub fn check(
    records: &[LegacyRecordSpec],
    expected: &[(usize, &str, &str, &str, &str, &str)],
) -> LegacyExtract {
    let extract = read(records);
    let report = &extract.report;
    let actual: Vec<_> = report
        .issues
        .iter()
        .map(|issue| {
            (
                issue.record,
                issue.person_id.as_str(),
                issue.field.code(),
                issue.class().code(),
                issue.code.code(),
                issue.message.as_str(),
            )
        })
        .collect();
    assert_eq!(actual, expected);
    assert_eq!(report.records, records.len());
    let count = |class: &str| expected.iter().filter(|e| e.3 == class).count();
    let summary = report.summary();
    assert_eq!(summary.before_migration, count("before_migration"));
    assert_eq!(summary.during_migration, count("during_migration"));
    assert_eq!(summary.after_migration, count("after_migration"));
    if count("before_migration") > 0 {
        assert_eq!(report.imported, 0);
        assert!(extract.households.is_empty());
    } else {
        assert_eq!(report.imported, records.len());
        assert_eq!(extract.persons().count(), records.len());
    }
    let json: serde_json::Value = serde_json::from_str(&report.to_json().unwrap()).unwrap();
    assert_eq!(json["records"], records.len());
    assert_eq!(
        json["issues"].as_array().map(Vec::len),
        Some(expected.len())
    );
    extract
}
