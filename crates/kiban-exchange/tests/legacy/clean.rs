//! A clean extract: several households, removed persons, 外字 with an IVS.

use std::time::{Duration, Instant};

use kiban_core::date::parse_iso;
use kiban_core::{IndividualNumber, KanaName, PersonName, PostalCode, Relationship, Sex};
use kiban_exchange::legacy::{
    LegacyPerson, LegacyRecordSpec, LegacyStatus, Nationality, parse_fixed_cp932, write_fixed_cp932,
};

use crate::common::{check, gaiji_map, head, individual_number, read, resident};

fn clean_file() -> Vec<LegacyRecordSpec> {
    vec![
        // Household 10: a family; the son moved out, the father died.
        resident(1, 10, "01"),
        LegacyRecordSpec {
            name: "山田　花子".to_owned(),
            name_kana: "ﾔﾏﾀﾞ ﾊﾅｺ".to_owned(),
            birth_date: "3570215".to_owned(),
            sex: "2".to_owned(),
            katagaki: "グランドハイツ大月１０１号".to_owned(),
            ..resident(2, 10, "02")
        },
        LegacyRecordSpec {
            name: "山田　一郎".to_owned(),
            name_kana: "ﾔﾏﾀﾞ ｲﾁﾛｳ".to_owned(),
            birth_date: "4080110".to_owned(),
            status: "2".to_owned(),
            removal_date: "5050331".to_owned(),
            ..resident(3, 10, "03")
        },
        LegacyRecordSpec {
            name: "山田　権兵衛".to_owned(),
            name_kana: "ﾔﾏﾀﾞ ｺﾞﾝﾍﾞｴ".to_owned(),
            birth_date: "2100101".to_owned(),
            residence_start_date: "3300601".to_owned(),
            status: "3".to_owned(),
            removal_date: "4230104".to_owned(),
            postal_code: String::new(),
            individual_number: String::new(),
            ..resident(4, 10, "04")
        },
        // Household 20: 辻 written with the 外字 F040, and a foreign cohabitant.
        LegacyRecordSpec {
            name: "\u{E000}　花子".to_owned(),
            name_kana: "ﾂｼﾞ ﾊﾅｺ".to_owned(),
            birth_date: "5010501".to_owned(),
            sex: "2".to_owned(),
            residence_start_date: "5010501".to_owned(),
            ..head(20)
        },
        LegacyRecordSpec {
            name: "グエン　ヴァン　アン".to_owned(),
            name_kana: "ｸﾞｴﾝ ｳﾞｧﾝ ｱﾝ".to_owned(),
            nationality: "VN".to_owned(),
            individual_number: String::new(),
            ..resident(21, 20, "06")
        },
        // Household 30: the 外字 F041 (髙) in the address.
        LegacyRecordSpec {
            address: "山梨県大月市\u{E001}月町１番地".to_owned(),
            ..head(30)
        },
        // Household 40: only a removed person, so no head is needed.
        LegacyRecordSpec {
            status: "2".to_owned(),
            removal_date: "5070401".to_owned(),
            ..resident(40, 40, "02")
        },
    ]
}

fn date(iso: &str) -> kiban_core::Date {
    parse_iso(iso).unwrap()
}

#[test]
fn clean_file_imports_every_person_by_household() {
    let records = clean_file();
    let extract = check(
        &records,
        &[
            (
                5,
                "0000000020",
                "name",
                "during_migration",
                "gaiji_mapped",
                "氏名の外字 F040 を外字対応表で置き換えました",
            ),
            (
                7,
                "0000000030",
                "address",
                "during_migration",
                "gaiji_mapped",
                "住所の外字 F041 を外字対応表で置き換えました",
            ),
        ],
    );
    assert_eq!(extract.report.imported, 8);
    let households: Vec<(u64, Vec<u64>)> = extract
        .households
        .iter()
        .map(|h| {
            (
                h.household_id,
                h.members.iter().map(|p| p.person_id).collect(),
            )
        })
        .collect();
    assert_eq!(
        households,
        [
            (10, vec![1, 2, 3, 4]),
            (20, vec![20, 21]),
            (30, vec![30]),
            (40, vec![40])
        ]
    );
    assert_eq!(extract.households[0].head().map(|p| p.person_id), Some(1));
    assert_eq!(extract.households[3].head().map(|p| p.person_id), None);

    let persons: Vec<&LegacyPerson> = extract.persons().collect();
    assert_eq!(
        *persons[0],
        LegacyPerson {
            record: 1,
            person_id: 1,
            household_id: 10,
            name: PersonName::parse("山田　太郎").unwrap(),
            name_kana: KanaName::parse("ヤマダ　タロウ").unwrap(),
            birth_date: date("1980-04-01"),
            sex: Sex::Male,
            relationship: Relationship::Head,
            postal_code: Some(PostalCode::parse("4010013").unwrap()),
            address: "山梨県大月市大月二丁目６番２０号".to_owned(),
            katagaki: None,
            residence_start_date: date("1998-05-01"),
            status: LegacyStatus::Resident,
            individual_number: Some(IndividualNumber::parse(&individual_number(1)).unwrap()),
            nationality: Nationality::JAPAN,
        }
    );
    assert_eq!(persons[1].sex, Sex::Female);
    assert_eq!(
        persons[1].katagaki.as_deref(),
        Some("グランドハイツ大月１０１号")
    );
    assert_eq!(
        persons[2].status,
        LegacyStatus::MovedOut {
            removed_on: date("2023-03-31")
        }
    );
    assert_eq!(persons[2].birth_date, date("1996-01-10"));
    assert_eq!(persons[3].birth_date, date("1921-01-01"));
    assert_eq!(
        persons[3].status,
        LegacyStatus::Deceased {
            removed_on: date("2011-01-04")
        }
    );
    assert_eq!(persons[3].postal_code, None);
    assert_eq!(persons[3].individual_number, None);
    assert_eq!(persons[3].relationship, Relationship::Parent);

    // 辻 keeps its variation selector (two dots), exactly as mapped.
    assert_eq!(persons[4].name.as_str(), "辻\u{E0102}　花子");
    assert!(persons[4].name.has_ivs());
    assert_eq!(persons[4].name_kana.as_str(), "ツジ　ハナコ");
    assert_eq!(persons[4].birth_date, date("2019-05-01"));
    assert_eq!(persons[5].name.as_str(), "グエン　ヴァン　アン");
    assert_eq!(persons[5].name_kana.as_str(), "グエン　ヴァン　アン");
    assert_eq!(persons[5].nationality.as_str(), "VN");
    assert!(!persons[5].nationality.is_japanese());
    assert_eq!(persons[5].relationship, Relationship::Cohabitant);
    assert_eq!(persons[6].address, "山梨県大月市髙月町１番地");
    assert_eq!(persons[7].status.removal_date(), Some(date("2025-04-01")));
}

#[test]
fn line_ends_are_optional() {
    let records = clean_file();
    let with = parse_fixed_cp932(&write_fixed_cp932(&records, true), &gaiji_map()).unwrap();
    let without = parse_fixed_cp932(&write_fixed_cp932(&records, false), &gaiji_map()).unwrap();
    assert_eq!(with, without);
    assert_eq!(write_fixed_cp932(&records, false).len(), 9 * 256);
    assert_eq!(write_fixed_cp932(&records, true).len(), 9 * 258);
}

#[test]
fn a_file_of_only_the_trailer_has_no_persons() {
    let extract = check(&[], &[]);
    assert!(extract.households.is_empty());
    assert_eq!(
        extract.report.to_json().unwrap(),
        r#"{"records":0,"imported":0,"summary":{"before_migration":0,"during_migration":0,"after_migration":0},"issues":[]}"#
    );
}

#[test]
fn ten_thousand_records_parse_quickly() {
    let records: Vec<LegacyRecordSpec> = (1..=10_000u64)
        .map(|id| {
            let household = id.div_ceil(4);
            let relationship = if id % 4 == 1 { "01" } else { "03" };
            resident(id, household, relationship)
        })
        .collect();
    let file = write_fixed_cp932(&records, true);
    let started = Instant::now();
    let extract = read(&records);
    let elapsed = started.elapsed();
    assert_eq!(extract.report.issues, []);
    assert_eq!(extract.report.imported, 10_000);
    assert_eq!(extract.households.len(), 2_500);
    assert_eq!(file.len(), 10_001 * 258);
    // About 2.5 MB; even an unoptimized build reads it well within this.
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}
