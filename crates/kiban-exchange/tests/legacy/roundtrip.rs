//! Properties: arbitrary bytes never panic; valid records written and read
//! back give the same persons.

use kiban_core::date::date;
use kiban_core::numbers::INDIVIDUAL_NUMBER;
use kiban_core::wareki::to_wareki;
use kiban_core::{
    Date, Era, IndividualNumber, KanaName, PersonName, PostalCode, Relationship, Sex,
};
use kiban_exchange::legacy::{
    GaijiMap, IssueCode, LegacyHousehold, LegacyPerson, LegacyRecordSpec, LegacyStatus,
    Nationality, RECORD_LEN, parse_fixed_cp932, write_fixed_cp932,
};
use proptest::collection::vec;
use proptest::prelude::*;

use crate::common::{gaiji_map, head, resident};

/// Kanji for names and addresses, with two 外字 of the test map (U+E000 is
/// F040 → 辻 with an IVS, U+E001 is F041 → 髙) and one from the IBM
/// extension of CP932 (﨑).
const KANJI: &[char] = &[
    '山', '田', '太', '郎', '花', '子', '佐', '藤', '鈴', '木', '高', '橋', '渡', '辺', '伊', '中',
    '村', '小', '林', '加', '吉', '一', '美', '和', '彦', '々', '﨑', '髙', '\u{E000}', '\u{E001}',
];

/// Characters of addresses besides the kanji.
const ADDRESS: &[char] = &[
    '１', '２', '３', '０', '－', '丁', '目', '番', '号', 'ハ', 'イ', 'ツ', 'ー',
];

/// Half-width kana units, some with a voiced mark.
const KANA: &[&str] = &[
    "ｱ", "ｲ", "ｳ", "ｴ", "ｵ", "ｶ", "ｷ", "ｸ", "ｹ", "ｺ", "ｻ", "ｼ", "ｽ", "ｾ", "ｿ", "ﾀ", "ﾁ", "ﾂ", "ﾃ",
    "ﾄ", "ﾅ", "ﾆ", "ﾇ", "ﾈ", "ﾉ", "ﾊ", "ﾋ", "ﾌ", "ﾍ", "ﾎ", "ﾏ", "ﾐ", "ﾑ", "ﾒ", "ﾓ", "ﾔ", "ﾕ", "ﾖ",
    "ﾗ", "ﾘ", "ﾙ", "ﾚ", "ﾛ", "ﾜ", "ｦ", "ﾝ", "ｰ", "ｯ", "ｬ", "ｭ", "ｮ", "ｧ", "ｶﾞ", "ｻﾞ", "ﾀﾞ", "ﾊﾞ", "ﾊﾟ",
    "ｳﾞ",
];

fn text_from(
    chars: &'static [char],
    len: std::ops::RangeInclusive<usize>,
) -> impl Strategy<Value = String> {
    vec(proptest::sample::select(chars), len).prop_map(|cs| cs.into_iter().collect())
}

fn kana_part() -> impl Strategy<Value = String> {
    vec(proptest::sample::select(KANA), 1..=6).prop_map(|units| units.concat())
}

fn any_date() -> impl Strategy<Value = Date> {
    (1869i16..=2030, 1i8..=12, 1i8..=31)
        .prop_filter_map("a day that exists", |(y, m, d)| date(y, m, d).ok())
}

/// Writes a date as the layout does: era digit and `YYMMDD`.
fn legacy_date(day: Date) -> String {
    let w = to_wareki(day).unwrap();
    let digit = Era::ALL.iter().position(|e| *e == w.era()).unwrap() + 1;
    format!("{digit}{:02}{:02}{:02}", w.year(), w.month(), w.day())
}

/// Replaces the test 外字 by what the map gives.
fn mapped(text: &str) -> String {
    text.replace('\u{E000}', "辻\u{E0102}")
        .replace('\u{E001}', "髙")
}

/// One generated person, before it is given its numbers and household.
#[derive(Debug, Clone)]
struct Generated {
    surname: String,
    given: String,
    kana_surname: String,
    kana_given: String,
    birth: Date,
    female: bool,
    relationship: usize,
    postal: Option<u32>,
    address: String,
    katagaki: String,
    residence_after_birth: Date,
    status: u8,
    removal: Date,
    individual_number: Option<u64>,
    nationality: Option<(char, char)>,
}

fn generated() -> impl Strategy<Value = Generated> {
    (
        (
            text_from(KANJI, 1..=4),
            text_from(KANJI, 1..=4),
            kana_part(),
            kana_part(),
            any_date(),
            any::<bool>(),
            1usize..=5,
            proptest::option::of(0u32..10_000_000),
        ),
        (
            (text_from(KANJI, 1..=10), text_from(ADDRESS, 0..=10)),
            text_from(KANJI, 0..=15),
            any_date(),
            1u8..=3,
            any_date(),
            proptest::option::of(0u64..100_000_000_000),
            proptest::option::of((
                proptest::char::range('A', 'Z'),
                proptest::char::range('A', 'Z'),
            )),
        ),
    )
        .prop_map(
            |(
                (surname, given, kana_surname, kana_given, birth, female, relationship, postal),
                (
                    (town, block),
                    katagaki,
                    residence,
                    status,
                    removal,
                    individual_number,
                    nationality,
                ),
            )| Generated {
                surname,
                given,
                kana_surname,
                kana_given,
                birth,
                female,
                relationship,
                postal,
                address: format!("{town}{block}"),
                katagaki,
                residence_after_birth: residence,
                status,
                removal,
                individual_number,
                nationality,
            },
        )
}

/// The record to write and the person expected back.
fn build(
    g: &Generated,
    record: usize,
    household_id: u64,
    is_head: bool,
) -> (LegacyRecordSpec, LegacyPerson) {
    let person_id = u64::try_from(record).unwrap() * 7;
    let relationship = if is_head {
        Relationship::Head
    } else {
        Relationship::ALL[g.relationship]
    };
    let status_code = if is_head { 1 } else { g.status };
    let residence = g.residence_after_birth.max(g.birth);
    let removal = g.removal.max(residence);
    let status = match status_code {
        1 => LegacyStatus::Resident,
        2 => LegacyStatus::MovedOut {
            removed_on: removal,
        },
        _ => LegacyStatus::Deceased {
            removed_on: removal,
        },
    };
    // Residents always have a 郵便番号, so that the report stays empty.
    let postal = g.postal.or(status.is_resident().then_some(4_010_013));
    let number = g.individual_number.map(|base| {
        INDIVIDUAL_NUMBER
            .complete(&format!("{base:011}"))
            .unwrap()
            .1
    });
    let nationality = g
        .nationality
        .map(|(a, b)| format!("{a}{b}"))
        .unwrap_or_default();
    let spec = LegacyRecordSpec {
        person_id: format!("{person_id:010}"),
        household_id: format!("{household_id:010}"),
        name: format!("{}　{}", g.surname, g.given),
        name_kana: format!("{} {}", g.kana_surname, g.kana_given),
        birth_date: legacy_date(g.birth),
        sex: if g.female { "2" } else { "1" }.to_owned(),
        relationship: format!(
            "{:02}",
            Relationship::ALL
                .iter()
                .position(|r| *r == relationship)
                .unwrap()
                + 1
        ),
        postal_code: postal.map(|p| format!("{p:07}")).unwrap_or_default(),
        address: g.address.clone(),
        katagaki: g.katagaki.clone(),
        residence_start_date: legacy_date(residence),
        status: status_code.to_string(),
        removal_date: status.removal_date().map(legacy_date).unwrap_or_default(),
        individual_number: number.clone().unwrap_or_default(),
        nationality: nationality.clone(),
    };
    let nationality_bytes: [u8; 2] = if nationality.is_empty() {
        *b"  "
    } else {
        nationality.as_bytes().try_into().unwrap()
    };
    let person = LegacyPerson {
        record,
        person_id,
        household_id,
        name: PersonName::parse(&mapped(&spec.name)).unwrap(),
        name_kana: KanaName::parse(&spec.name_kana).unwrap(),
        birth_date: g.birth,
        sex: if g.female { Sex::Female } else { Sex::Male },
        relationship,
        postal_code: postal.map(|p| PostalCode::parse(&format!("{p:07}")).unwrap()),
        address: mapped(&g.address),
        katagaki: Some(mapped(&g.katagaki)).filter(|k| !k.is_empty()),
        residence_start_date: residence,
        status,
        individual_number: number.map(|n| IndividualNumber::parse(&n).unwrap()),
        nationality: Nationality::from_field(nationality_bytes).unwrap(),
    };
    (spec, person)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn valid_records_round_trip(
        households in vec(vec(generated(), 1..=4), 0..=6),
        crlf in any::<bool>(),
    ) {
        let mut specs = Vec::new();
        let mut expected = Vec::new();
        for (index, members) in households.iter().enumerate() {
            let household_id = 1000 + u64::try_from(index).unwrap();
            let mut household = LegacyHousehold { household_id, members: Vec::new() };
            for (position, g) in members.iter().enumerate() {
                let (spec, person) = build(g, specs.len() + 1, household_id, position == 0);
                specs.push(spec);
                household.members.push(person);
            }
            expected.push(household);
        }
        let file = write_fixed_cp932(&specs, crlf);
        prop_assert_eq!(file.len(), (specs.len() + 1) * (RECORD_LEN + if crlf { 2 } else { 0 }));
        let extract = parse_fixed_cp932(&file, &gaiji_map()).unwrap();
        let unexpected: Vec<_> = extract
            .report
            .issues
            .iter()
            .filter(|issue| issue.code != IssueCode::GaijiMapped)
            .collect();
        prop_assert!(unexpected.is_empty(), "{:?}", unexpected);
        prop_assert_eq!(extract.report.records, specs.len());
        prop_assert_eq!(extract.report.imported, specs.len());
        prop_assert_eq!(extract.households, expected);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..1200)) {
        let _ = parse_fixed_cp932(&bytes, &gaiji_map());
        let _ = parse_fixed_cp932(&bytes, &GaijiMap::default());
    }

    #[test]
    fn arbitrary_records_are_read_or_rejected_at_a_byte(
        bodies in vec(vec(any::<u8>(), RECORD_LEN - 1), 0..4),
        crlf in any::<bool>(),
    ) {
        // Well-framed records with arbitrary content, so that every field
        // parser sees garbage.
        let mut file = Vec::new();
        for body in &bodies {
            file.push(b'1');
            file.extend_from_slice(body);
            if crlf {
                file.extend_from_slice(b"\r\n");
            }
        }
        file.extend_from_slice(&write_fixed_cp932(&[], crlf));
        let trailer = file.len() - if crlf { 2 } else { 0 } - RECORD_LEN;
        file[trailer + 1..trailer + 11].copy_from_slice(format!("{:010}", bodies.len()).as_bytes());
        match parse_fixed_cp932(&file, &gaiji_map()) {
            Ok(extract) => prop_assert_eq!(extract.report.records, bodies.len()),
            Err(error) => {
                prop_assert!((1..=bodies.len() + 1).contains(&error.record), "{:?}", error);
                prop_assert!((1..=RECORD_LEN + 1).contains(&error.byte), "{:?}", error);
            }
        }
    }

    #[test]
    fn mutated_files_never_panic(
        mutations in vec((0usize..2000, any::<u8>()), 1..8),
        crlf in any::<bool>(),
    ) {
        let mut file = write_fixed_cp932(
            &[
                head(1),
                LegacyRecordSpec { name: "\u{E000}　花子".to_owned(), ..resident(2, 1, "02") },
                LegacyRecordSpec { status: "2".to_owned(), removal_date: "5050331".to_owned(), ..resident(3, 1, "03") },
            ],
            crlf,
        );
        for (at, byte) in mutations {
            let len = file.len();
            file[at % len] = byte;
        }
        if let Err(error) = parse_fixed_cp932(&file, &gaiji_map()) {
            prop_assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn arbitrary_gaiji_maps_never_panic(text in ".{0,200}", lines in vec("[0-9A-Fa-f]{0,5},[Uu+0-9A-Fa-f ]{0,20}", 0..5)) {
        let _ = GaijiMap::parse_csv(&text);
        let csv = format!("sjis,unicode\n{}", lines.join("\n"));
        if let Err(error) = GaijiMap::parse_csv(&csv) {
            prop_assert!((2..=lines.len() + 1).contains(&error.line), "{:?}", error);
        }
    }
}
