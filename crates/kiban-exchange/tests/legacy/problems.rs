//! One file per problem code of the cleansing report, with the exact entries.

use kiban_core::Relationship;
use kiban_exchange::legacy::{IssueClass, IssueCode, LegacyRecordSpec};

use crate::common::{check, head, resident};

const BEFORE: &str = "before_migration";
const DURING: &str = "during_migration";
const AFTER: &str = "after_migration";

#[test]
fn invalid_date() {
    check(
        &[
            // 平成31年5月1日 is 令和元年.
            LegacyRecordSpec {
                birth_date: "4310501".to_owned(),
                ..head(1)
            },
            // 2月30日.
            LegacyRecordSpec {
                residence_start_date: "5050230".to_owned(),
                ..head(2)
            },
            // Era digit 0.
            LegacyRecordSpec {
                birth_date: "0550401".to_owned(),
                ..head(3)
            },
            // A removal date that is not digits, on a moved-out person.
            LegacyRecordSpec {
                status: "2".to_owned(),
                removal_date: "5AB0101".to_owned(),
                ..resident(4, 1, "02")
            },
            // A blank birth date, and 昭和0年.
            LegacyRecordSpec {
                birth_date: String::new(),
                residence_start_date: "3000101".to_owned(),
                ..head(5)
            },
        ],
        &[
            (
                1,
                "0000000001",
                "birth_date",
                BEFORE,
                "invalid_date",
                "生年月日が正しくありません（平成31年5月1日は平成の期間外です（平成は1989年1月8日から2019年4月30日まで））",
            ),
            (
                2,
                "0000000002",
                "residence_start_date",
                BEFORE,
                "invalid_date",
                "住定日が正しくありません（令和5年2月30日は存在しない日付です）",
            ),
            (
                3,
                "0000000003",
                "birth_date",
                BEFORE,
                "invalid_date",
                "生年月日が正しくありません（元号「0」は 1（明治）〜5（令和）でなければなりません）",
            ),
            (
                4,
                "0000000004",
                "removal_date",
                BEFORE,
                "invalid_date",
                "消除日が正しくありません（「AB0101」は年月日の6桁の数字ではありません）",
            ),
            (
                5,
                "0000000005",
                "birth_date",
                BEFORE,
                "invalid_date",
                "生年月日がありません",
            ),
            (
                5,
                "0000000005",
                "residence_start_date",
                BEFORE,
                "invalid_date",
                "住定日が正しくありません（昭和0年はありません（最初の年は元年＝1年です））",
            ),
        ],
    );
}

#[test]
fn missing_name() {
    check(
        &[
            LegacyRecordSpec {
                name: String::new(),
                ..head(1)
            },
            LegacyRecordSpec {
                name_kana: "   ".to_owned(),
                ..head(2)
            },
        ],
        &[
            (
                1,
                "0000000001",
                "name",
                BEFORE,
                "missing_name",
                "氏名が空白です",
            ),
            (
                2,
                "0000000002",
                "name_kana",
                BEFORE,
                "missing_name",
                "カナ氏名が空白です",
            ),
        ],
    );
}

#[test]
fn duplicate_person_id_is_reported_on_each_later_record() {
    check(
        &[head(1), head(2), resident(1, 3, "01"), resident(1, 4, "01")],
        &[
            (
                3,
                "0000000001",
                "person_id",
                BEFORE,
                "duplicate_person_id",
                "宛名番号がレコード1と重複しています",
            ),
            (
                4,
                "0000000001",
                "person_id",
                BEFORE,
                "duplicate_person_id",
                "宛名番号がレコード1と重複しています",
            ),
        ],
    );
}

#[test]
fn household_without_head_is_reported_on_each_resident() {
    check(
        &[
            // Household 10: a spouse and a child, no head.
            resident(1, 10, "02"),
            resident(2, 10, "03"),
            // Household 20: the head moved out; the removed record is not
            // reported, the remaining resident is.
            LegacyRecordSpec {
                status: "2".to_owned(),
                removal_date: "5050331".to_owned(),
                ..resident(3, 20, "01")
            },
            resident(4, 20, "03"),
            // Household 30: nobody is resident any more: no check.
            LegacyRecordSpec {
                status: "3".to_owned(),
                removal_date: "5050331".to_owned(),
                ..resident(5, 30, "02")
            },
        ],
        &[
            (
                1,
                "0000000001",
                "relationship",
                BEFORE,
                "household_without_head",
                "世帯0000000010に住民の世帯主（続柄01）がいません",
            ),
            (
                2,
                "0000000002",
                "relationship",
                BEFORE,
                "household_without_head",
                "世帯0000000010に住民の世帯主（続柄01）がいません",
            ),
            (
                4,
                "0000000004",
                "relationship",
                BEFORE,
                "household_without_head",
                "世帯0000000020に住民の世帯主（続柄01）がいません",
            ),
        ],
    );
}

#[test]
fn household_multiple_heads_is_reported_on_each_head() {
    check(
        &[
            resident(1, 10, "01"),
            resident(2, 10, "03"),
            resident(3, 10, "01"),
            // Household 20: a former head who died and the new head.
            LegacyRecordSpec {
                status: "3".to_owned(),
                removal_date: "5020101".to_owned(),
                ..resident(4, 20, "01")
            },
            resident(5, 20, "01"),
        ],
        &[
            (
                1,
                "0000000001",
                "relationship",
                BEFORE,
                "household_multiple_heads",
                "世帯0000000010に住民の世帯主（続柄01）が2人います",
            ),
            (
                3,
                "0000000003",
                "relationship",
                BEFORE,
                "household_multiple_heads",
                "世帯0000000010に住民の世帯主（続柄01）が2人います",
            ),
        ],
    );
}

#[test]
fn unmapped_gaiji_once_per_field() {
    check(
        &[
            LegacyRecordSpec {
                // F042 twice and F043 once: one entry naming both.
                name: "\u{E002}\u{E003}　\u{E002}子".to_owned(),
                ..head(1)
            },
            LegacyRecordSpec {
                // A mapped and an unmapped 外字 in one field.
                katagaki: "\u{E000}\u{E0BB}荘".to_owned(),
                ..head(2)
            },
        ],
        &[
            (
                1,
                "0000000001",
                "name",
                BEFORE,
                "unmapped_gaiji",
                "氏名の外字 F042、F043 が外字対応表にありません",
            ),
            (
                2,
                "0000000002",
                "katagaki",
                DURING,
                "gaiji_mapped",
                "方書の外字 F040 を外字対応表で置き換えました",
            ),
            (
                2,
                "0000000002",
                "katagaki",
                BEFORE,
                "unmapped_gaiji",
                "方書の外字 F0FC が外字対応表にありません",
            ),
        ],
    );
}

#[test]
fn invalid_individual_number() {
    let mut wrong_check = crate::common::individual_number(3);
    let last = wrong_check.pop().and_then(|c| c.to_digit(10)).unwrap();
    wrong_check.push(char::from_digit((last + 1) % 10, 10).unwrap());
    check(
        &[
            LegacyRecordSpec {
                individual_number: "12345678901".to_owned(),
                ..head(1)
            },
            LegacyRecordSpec {
                individual_number: "1234-5678-90".to_owned(),
                ..head(2)
            },
            LegacyRecordSpec {
                individual_number: wrong_check,
                ..head(3)
            },
        ],
        &[
            (
                1,
                "0000000001",
                "individual_number",
                BEFORE,
                "invalid_individual_number",
                "個人番号が12桁の数字ではありません",
            ),
            (
                2,
                "0000000002",
                "individual_number",
                BEFORE,
                "invalid_individual_number",
                "個人番号が12桁の数字ではありません",
            ),
            (
                3,
                "0000000003",
                "individual_number",
                BEFORE,
                "invalid_individual_number",
                "個人番号の検査数字（チェックディジット）が正しくありません",
            ),
        ],
    );
}

#[test]
fn removal_before_residence() {
    check(
        &[
            head(1),
            LegacyRecordSpec {
                status: "2".to_owned(),
                removal_date: "4100430".to_owned(),
                ..resident(2, 1, "03")
            },
            // Removed on the day residence began: allowed.
            LegacyRecordSpec {
                status: "2".to_owned(),
                removal_date: "4100501".to_owned(),
                ..resident(3, 1, "03")
            },
        ],
        &[(
            2,
            "0000000002",
            "removal_date",
            BEFORE,
            "removal_before_residence",
            "消除日（平成10年4月30日）が住定日（平成10年5月1日）より前です",
        )],
    );
}

#[test]
fn status_removal_mismatch() {
    check(
        &[
            LegacyRecordSpec {
                removal_date: "5050331".to_owned(),
                ..head(1)
            },
            LegacyRecordSpec {
                status: "2".to_owned(),
                ..resident(2, 1, "03")
            },
            LegacyRecordSpec {
                status: "3".to_owned(),
                ..resident(3, 1, "04")
            },
        ],
        &[
            (
                1,
                "0000000001",
                "removal_date",
                BEFORE,
                "status_removal_mismatch",
                "住民状態が住民（1）ですが消除日があります",
            ),
            (
                2,
                "0000000002",
                "removal_date",
                BEFORE,
                "status_removal_mismatch",
                "住民状態が転出（2）ですが消除日がありません",
            ),
            (
                3,
                "0000000003",
                "removal_date",
                BEFORE,
                "status_removal_mismatch",
                "住民状態が死亡（3）ですが消除日がありません",
            ),
        ],
    );
}

#[test]
fn gaiji_mapped_once_per_field_and_imported() {
    let extract = check(
        &[LegacyRecordSpec {
            name: "\u{E000}　\u{E000}\u{E001}".to_owned(),
            address: "\u{E001}\u{E001}町".to_owned(),
            katagaki: "\u{E000}荘".to_owned(),
            ..head(1)
        }],
        &[
            (
                1,
                "0000000001",
                "name",
                DURING,
                "gaiji_mapped",
                "氏名の外字 F040、F041 を外字対応表で置き換えました",
            ),
            (
                1,
                "0000000001",
                "address",
                DURING,
                "gaiji_mapped",
                "住所の外字 F041 を外字対応表で置き換えました",
            ),
            (
                1,
                "0000000001",
                "katagaki",
                DURING,
                "gaiji_mapped",
                "方書の外字 F040 を外字対応表で置き換えました",
            ),
        ],
    );
    let person = extract.persons().next().unwrap();
    assert_eq!(person.name.as_str(), "辻\u{E0102}　辻\u{E0102}髙");
    assert_eq!(person.address, "髙髙町");
    assert_eq!(person.katagaki.as_deref(), Some("辻\u{E0102}荘"));
}

#[test]
fn extra_spaces_are_normalized() {
    let extract = check(
        &[
            LegacyRecordSpec {
                name: "　山田　　太郎".to_owned(),
                name_kana: " ﾔﾏﾀﾞ ﾀﾛｳ".to_owned(),
                ..head(1)
            },
            LegacyRecordSpec {
                name: "山田　花子".to_owned(),
                name_kana: "ﾔﾏﾀﾞ   ﾊﾅｺ".to_owned(),
                ..resident(2, 1, "02")
            },
        ],
        &[
            (
                1,
                "0000000001",
                "name",
                DURING,
                "extra_spaces",
                "氏名の先頭の空白、または姓と名の間の複数の空白を1つに整えました",
            ),
            (
                1,
                "0000000001",
                "name_kana",
                DURING,
                "extra_spaces",
                "カナ氏名の先頭の空白、または姓と名の間の複数の空白を1つに整えました",
            ),
            (
                2,
                "0000000002",
                "name_kana",
                DURING,
                "extra_spaces",
                "カナ氏名の先頭の空白、または姓と名の間の複数の空白を1つに整えました",
            ),
        ],
    );
    let persons: Vec<_> = extract.persons().collect();
    assert_eq!(persons[0].name.as_str(), "山田　太郎");
    assert_eq!(persons[0].name_kana.as_str(), "ヤマダ　タロウ");
    assert_eq!(persons[1].name_kana.as_str(), "ヤマダ　ハナコ");
}

#[test]
fn missing_postal_code_for_residents_only() {
    check(
        &[
            LegacyRecordSpec {
                postal_code: String::new(),
                ..head(1)
            },
            LegacyRecordSpec {
                postal_code: String::new(),
                status: "2".to_owned(),
                removal_date: "5050331".to_owned(),
                ..resident(2, 1, "03")
            },
        ],
        &[(
            1,
            "0000000001",
            "postal_code",
            AFTER,
            "missing_postal_code",
            "住民の郵便番号が空白です",
        )],
    );
}

#[test]
fn unknown_relationship_code_is_migrated_as_other_relative() {
    let extract = check(
        &[head(1), resident(2, 1, "07"), resident(3, 1, "  ")],
        &[
            (
                2,
                "0000000002",
                "relationship",
                AFTER,
                "unknown_relationship_code",
                "続柄コード「07」は表（01〜06）にないため、その他の親族として移行します",
            ),
            (
                3,
                "0000000003",
                "relationship",
                AFTER,
                "unknown_relationship_code",
                "続柄コード「  」は表（01〜06）にないため、その他の親族として移行します",
            ),
        ],
    );
    let relationships: Vec<_> = extract.persons().map(|p| p.relationship).collect();
    assert_eq!(
        relationships,
        [
            Relationship::Head,
            Relationship::OtherRelative,
            Relationship::OtherRelative
        ]
    );
}

#[test]
fn one_before_migration_problem_blocks_the_whole_import() {
    let mut records: Vec<_> = (1..=50).map(head).collect();
    records.push(LegacyRecordSpec {
        birth_date: "5010229".to_owned(),
        ..head(51)
    });
    let extract = crate::common::read(&records);
    assert_eq!(extract.report.records, 51);
    assert_eq!(extract.report.imported, 0);
    assert!(extract.households.is_empty());
    assert!(extract.report.has_before_migration_issues());
    assert_eq!(extract.report.issues.len(), 1);
    assert_eq!(extract.report.issues[0].code, IssueCode::InvalidDate);
    assert_eq!(
        extract.report.issues[0].class(),
        IssueClass::BeforeMigration
    );
}

#[test]
fn every_code_is_exercised_and_entries_keep_field_order() {
    // Problems of all three classes on one record come in field order.
    let extract = crate::common::read(&[LegacyRecordSpec {
        name: "　\u{E000}".to_owned(),
        relationship: "09".to_owned(),
        postal_code: String::new(),
        individual_number: "1".to_owned(),
        ..resident(1, 1, "01")
    }]);
    let codes: Vec<_> = extract
        .report
        .issues
        .iter()
        .map(|i| i.code.code())
        .collect();
    assert_eq!(
        codes,
        [
            "gaiji_mapped",
            "extra_spaces",
            "unknown_relationship_code",
            "household_without_head",
            "missing_postal_code",
            "invalid_individual_number"
        ]
    );
    let summary = extract.report.summary();
    assert_eq!(
        (
            summary.before_migration,
            summary.during_migration,
            summary.after_migration
        ),
        (2, 2, 2)
    );
    let json = extract.report.to_json().unwrap();
    assert!(json.starts_with(r#"{"records":1,"imported":0,"summary":{"before_migration":2,"during_migration":2,"after_migration":2},"issues":[{"record":1,"person_id":"0000000001","field":"name","class":"during_migration","code":"gaiji_mapped","message":"氏名の外字 F040 を外字対応表で置き換えました"}"#), "{json}");
}
