//! Reads as of a date after each kind of movement: the day before, the day
//! of, and the day after, for persons (including removed persons, 除票, and
//! persons not yet registered) and households; histories; events.

use kiban_core::Relationship;
use kiban_registry::domain::search::{kana_key, name_key};
use kiban_registry::domain::{
    Changes, DomainEvent, MovementKind, PersonId, PersonRecord, ResidentStatus,
};

use crate::common::*;

/// A one-line view of a record: status, household, relationship, address,
/// start and removal of the residence.
fn view(record: Option<PersonRecord>) -> String {
    let Some(r) = record else {
        return "-".into();
    };
    let mut text = format!(
        "{} h{} {} {} from {}",
        r.status.code(),
        r.household_id,
        r.relationship.code(),
        r.address.address_line,
        r.resident_from
    );
    if let Some(removed) = r.removed_on {
        text.push_str(&format!(" removed {removed}"));
    }
    text
}

/// Checks a person's record on each date against its expected view.
fn check(registry: &Registry, person: PersonId, expected: &[(&str, &str)]) {
    let failures: Vec<String> = expected
        .iter()
        .filter_map(|(date, want)| {
            let got = view(registry.person(person, date));
            (got != *want)
                .then(|| format!("person {person} on {date}:\n  got  {got}\n  want {want}"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Checks a household's head and members on each date.
fn check_household(registry: &Registry, household: u64, expected: &[(&str, &str)]) {
    let failures: Vec<String> = expected
        .iter()
        .filter_map(|(date, want)| {
            let got = match registry.household(h(household), date) {
                None => "-".to_owned(),
                Some(record) => format!(
                    "head {} members {} at {}",
                    record
                        .head_person_id
                        .map_or("none".to_owned(), |p| p.to_string()),
                    record
                        .members
                        .iter()
                        .map(|m| m.person_id.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                    record.address.address_line
                ),
            };
            (got != *want)
                .then(|| format!("household {household} on {date}:\n  got  {got}\n  want {want}"))
        })
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

const HOME: &str = "デモ市中央一丁目2番3号";

#[test]
fn move_in_starts_the_residence() {
    let registry = yamada();
    check(
        &registry,
        p(1),
        &[
            ("2020-03-31", "-"),
            (
                "2020-04-01",
                "resident h1 head デモ市中央一丁目2番3号 from 2020-04-01",
            ),
            (
                "2020-04-02",
                "resident h1 head デモ市中央一丁目2番3号 from 2020-04-01",
            ),
        ],
    );
    check(
        &registry,
        p(3),
        &[(
            "2020-04-01",
            "resident h1 child デモ市中央一丁目2番3号 from 2020-04-01",
        )],
    );
    check_household(
        &registry,
        1,
        &[
            ("2020-03-31", "-"),
            ("2020-04-01", &format!("head 1 members 1,2,3 at {HOME}")),
        ],
    );
    let record = registry.person(p(2), "2020-04-01").unwrap();
    assert_eq!(record.name.as_str(), "山田\u{3000}花子");
    assert_eq!(record.name_kana.as_str(), "ヤマダ\u{3000}ハナコ");
    assert_eq!(
        record.previous_address.map(|a| a.as_str().to_owned()),
        Some("東京都千代田区千代田1番1号".to_owned())
    );
    assert!(record.nationality.is_japanese());
    assert_eq!(record.resident_record_code.as_str().len(), 11);
}

#[test]
fn address_change_moves_the_whole_household() {
    let mut registry = yamada();
    let accepted = registry.ok(
        "2021-05-01",
        "2021-05-02",
        address_change(h(1), "デモ市東町3番"),
    );
    assert_eq!(
        accepted.event,
        DomainEvent::ResidentAddressChanged {
            movement_id: m(2),
            event_date: d("2021-05-01"),
            notified_on: d("2021-05-02"),
            household_id: h(1),
            person_ids: vec![p(1), p(2), p(3)],
        }
    );
    for person in [p(1), p(2)] {
        let relationship = if person == p(1) { "head" } else { "spouse" };
        check(
            &registry,
            person,
            &[
                (
                    "2021-04-30",
                    &format!("resident h1 {relationship} {HOME} from 2020-04-01"),
                ),
                (
                    "2021-05-01",
                    &format!("resident h1 {relationship} デモ市東町3番 from 2020-04-01"),
                ),
                (
                    "2021-05-02",
                    &format!("resident h1 {relationship} デモ市東町3番 from 2020-04-01"),
                ),
            ],
        );
    }
    check_household(
        &registry,
        1,
        &[
            ("2021-04-30", &format!("head 1 members 1,2,3 at {HOME}")),
            ("2021-05-01", "head 1 members 1,2,3 at デモ市東町3番"),
        ],
    );
}

#[test]
fn birth_adds_a_resident_from_the_birth_date() {
    let mut registry = yamada();
    let accepted = registry.ok(
        "2022-03-01",
        "2022-03-05",
        birth(
            h(1),
            person("山田 次郎", "ヤマダ ジロウ", "2022-03-01", "male", "child"),
        ),
    );
    assert_eq!(accepted.event.name(), "resident_born");
    check(
        &registry,
        p(4),
        &[
            ("2022-02-28", "-"),
            (
                "2022-03-01",
                &format!("resident h1 child {HOME} from 2022-03-01"),
            ),
            (
                "2022-03-02",
                &format!("resident h1 child {HOME} from 2022-03-01"),
            ),
        ],
    );
    assert_eq!(
        registry
            .person(p(4), "2022-03-01")
            .unwrap()
            .previous_address,
        None
    );
    check_household(
        &registry,
        1,
        &[
            ("2022-02-28", &format!("head 1 members 1,2,3 at {HOME}")),
            ("2022-03-01", &format!("head 1 members 1,2,3,4 at {HOME}")),
        ],
    );
}

#[test]
fn move_out_removes_on_the_event_date() {
    let mut registry = yamada();
    let accepted = registry.ok("2023-01-15", "2023-01-10", move_out(&[p(3)], None));
    assert_eq!(
        accepted.event,
        DomainEvent::ResidentMovedOut {
            movement_id: m(2),
            event_date: d("2023-01-15"),
            notified_on: d("2023-01-10"),
            person_ids: vec![p(3)],
            household_ids: vec![h(1)],
            new_head_person_id: None,
        }
    );
    check(
        &registry,
        p(3),
        &[
            (
                "2023-01-14",
                &format!("resident h1 child {HOME} from 2020-04-01"),
            ),
            (
                "2023-01-15",
                &format!("moved_out h1 child {HOME} from 2020-04-01 removed 2023-01-15"),
            ),
            (
                "2030-01-01",
                &format!("moved_out h1 child {HOME} from 2020-04-01 removed 2023-01-15"),
            ),
        ],
    );
    let removed = registry.person(p(3), "2023-01-15").unwrap();
    assert_eq!(
        removed.destination_address.map(|a| a.as_str().to_owned()),
        Some("北海道札幌市中央区1番".to_owned())
    );
    check_household(
        &registry,
        1,
        &[
            ("2023-01-14", &format!("head 1 members 1,2,3 at {HOME}")),
            ("2023-01-15", &format!("head 1 members 1,2 at {HOME}")),
        ],
    );
}

#[test]
fn the_head_moves_out_and_the_spouse_succeeds() {
    let mut registry = yamada();
    registry.ok("2023-01-15", "2023-01-15", move_out(&[p(1)], Some(p(2))));
    check(
        &registry,
        p(2),
        &[
            (
                "2023-01-14",
                &format!("resident h1 spouse {HOME} from 2020-04-01"),
            ),
            (
                "2023-01-15",
                &format!("resident h1 head {HOME} from 2020-04-01"),
            ),
        ],
    );
    check_household(
        &registry,
        1,
        &[
            ("2023-01-14", &format!("head 1 members 1,2,3 at {HOME}")),
            ("2023-01-15", &format!("head 2 members 2,3 at {HOME}")),
        ],
    );
}

#[test]
fn a_whole_household_moving_out_dissolves_it() {
    let mut registry = yamada();
    registry.ok(
        "2023-01-15",
        "2023-01-15",
        move_out(&[p(1), p(2), p(3)], None),
    );
    check_household(
        &registry,
        1,
        &[
            ("2023-01-14", &format!("head 1 members 1,2,3 at {HOME}")),
            ("2023-01-15", &format!("head none members  at {HOME}")),
        ],
    );
    assert_eq!(
        registry.household(h(1), "2023-01-15").unwrap().dissolved_on,
        Some(d("2023-01-15"))
    );
}

#[test]
fn a_planned_move_out_takes_effect_on_its_date() {
    let mut registry = yamada();
    let accepted = registry
        .submit(
            command("2025-02-01", "2025-01-10", move_out(&[p(3)], None)),
            d("2025-01-10"),
        )
        .unwrap();
    assert_eq!(accepted.event.name(), "resident_moved_out");
    check(
        &registry,
        p(3),
        &[
            (
                "2025-01-10",
                &format!("resident h1 child {HOME} from 2020-04-01"),
            ),
            (
                "2025-01-31",
                &format!("resident h1 child {HOME} from 2020-04-01"),
            ),
            (
                "2025-02-01",
                &format!("moved_out h1 child {HOME} from 2020-04-01 removed 2025-02-01"),
            ),
        ],
    );
}

#[test]
fn death_removes_and_passes_the_headship() {
    let mut registry = yamada();
    let accepted = registry.ok("2024-02-01", "2024-02-03", death(p(1), Some(p(2))));
    assert_eq!(
        accepted.event,
        DomainEvent::ResidentDied {
            movement_id: m(2),
            event_date: d("2024-02-01"),
            notified_on: d("2024-02-03"),
            person_id: p(1),
            household_id: h(1),
            new_head_person_id: Some(p(2)),
        }
    );
    check(
        &registry,
        p(1),
        &[
            (
                "2024-01-31",
                &format!("resident h1 head {HOME} from 2020-04-01"),
            ),
            (
                "2024-02-01",
                &format!("deceased h1 head {HOME} from 2020-04-01 removed 2024-02-01"),
            ),
            (
                "2024-02-02",
                &format!("deceased h1 head {HOME} from 2020-04-01 removed 2024-02-01"),
            ),
        ],
    );
    check_household(
        &registry,
        1,
        &[
            ("2024-01-31", &format!("head 1 members 1,2,3 at {HOME}")),
            ("2024-02-01", &format!("head 2 members 2,3 at {HOME}")),
        ],
    );
}

#[test]
fn household_split_forms_a_new_household() {
    let mut registry = yamada();
    let accepted = registry.ok(
        "2021-07-01",
        "2021-07-01",
        split(&[p(3)], p(3), Some("デモ市西町2番")),
    );
    assert_eq!(
        accepted.event,
        DomainEvent::HouseholdChanged {
            movement_id: m(2),
            event_date: d("2021-07-01"),
            notified_on: d("2021-07-01"),
            from_household_id: h(1),
            new_household_id: h(2),
            person_ids: vec![p(3)],
            new_head_person_id: p(3),
            remaining_head_person_id: None,
        }
    );
    check(
        &registry,
        p(3),
        &[
            (
                "2021-06-30",
                &format!("resident h1 child {HOME} from 2020-04-01"),
            ),
            (
                "2021-07-01",
                "resident h2 head デモ市西町2番 from 2020-04-01",
            ),
            (
                "2021-07-02",
                "resident h2 head デモ市西町2番 from 2020-04-01",
            ),
        ],
    );
    check_household(
        &registry,
        1,
        &[
            ("2021-06-30", &format!("head 1 members 1,2,3 at {HOME}")),
            ("2021-07-01", &format!("head 1 members 1,2 at {HOME}")),
        ],
    );
    check_household(
        &registry,
        2,
        &[
            ("2021-06-30", "-"),
            ("2021-07-01", "head 3 members 3 at デモ市西町2番"),
        ],
    );
}

#[test]
fn a_head_splitting_off_leaves_the_only_member_as_head() {
    let mut registry = Registry::default();
    registry.ok(
        "2020-01-01",
        "2020-01-01",
        move_in(
            vec![
                person("鈴木 一", "スズキ ハジメ", "1970-01-01", "male", "head"),
                person("鈴木 恵", "スズキ メグミ", "1972-02-02", "female", "spouse"),
            ],
            "デモ市西町5番",
            None,
        ),
    );
    let accepted = registry.ok("2021-01-01", "2021-01-01", split(&[p(1)], p(1), None));
    match accepted.event {
        DomainEvent::HouseholdChanged {
            remaining_head_person_id,
            ..
        } => assert_eq!(remaining_head_person_id, Some(p(2))),
        other => panic!("{other:?}"),
    }
    check(
        &registry,
        p(2),
        &[
            (
                "2020-12-31",
                "resident h1 spouse デモ市西町5番 from 2020-01-01",
            ),
            (
                "2021-01-01",
                "resident h1 head デモ市西町5番 from 2020-01-01",
            ),
        ],
    );
    check(
        &registry,
        p(1),
        &[(
            "2021-01-01",
            "resident h2 head デモ市西町5番 from 2020-01-01",
        )],
    );
}

#[test]
fn a_correction_applies_from_the_start_and_history_keeps_the_old_value() {
    let mut registry = yamada();
    let corrected = draft(
        "山田 華子",
        "ヤマダ ハナコ",
        "1982-05-06",
        "female",
        "spouse",
    )
    .parse("x")
    .unwrap();
    let accepted = registry.ok(
        "2024-05-01",
        "2024-05-01",
        correction(
            p(2),
            Changes {
                name: Some(corrected.name.clone()),
                birth_date: Some(corrected.birth_date),
                ..Changes::default()
            },
        ),
    );
    match &accepted.event {
        DomainEvent::ResidentRecordCorrected {
            person_id, fields, ..
        } => {
            assert_eq!(*person_id, p(2));
            assert_eq!(
                fields.iter().map(|f| f.code()).collect::<Vec<_>>(),
                ["name", "birth_date"]
            );
        }
        other => panic!("{other:?}"),
    }
    for date in ["2020-04-01", "2024-04-30", "2024-05-01", "2030-01-01"] {
        let record = registry.person(p(2), date).unwrap();
        assert_eq!(record.name, corrected.name, "{date}");
        assert_eq!(record.birth_date, d("1982-05-06"), "{date}");
    }
    assert_eq!(registry.person(p(2), "2020-03-31"), None);
    let history = registry.history(p(2));
    assert_eq!(
        history.iter().map(|v| v.kind).collect::<Vec<_>>(),
        [MovementKind::MoveIn, MovementKind::ExOfficioCorrection]
    );
    assert_eq!(
        history[0].record.as_ref().unwrap().name.as_str(),
        "山田\u{3000}花子"
    );
    assert_eq!(
        history[0].record.as_ref().unwrap().birth_date,
        d("1982-05-05")
    );
    assert_eq!(history[1].record.as_ref().unwrap().name, corrected.name);
}

#[test]
fn a_cancelled_movement_never_happened_but_stays_in_history() {
    let mut registry = yamada();
    registry.ok("2022-08-01", "2022-08-01", move_out(&[p(3)], None));
    let accepted = registry.ok("2022-09-01", "2022-09-01", cancel(m(2)));
    assert_eq!(
        accepted.event,
        DomainEvent::MovementCancelled {
            movement_id: m(3),
            event_date: d("2022-09-01"),
            notified_on: d("2022-09-01"),
            cancelled_movement_id: m(2),
            cancelled_kind: MovementKind::MoveOut,
            cancelled_event_date: d("2022-08-01"),
            person_ids: vec![p(3)],
            household_ids: vec![h(1)],
        }
    );
    for date in [
        "2022-07-31",
        "2022-08-01",
        "2022-08-15",
        "2022-09-01",
        "2030-01-01",
    ] {
        check(
            &registry,
            p(3),
            &[(date, &format!("resident h1 child {HOME} from 2020-04-01"))],
        );
    }
    let history = registry.history(p(3));
    let summary: Vec<(MovementKind, bool, ResidentStatus)> = history
        .iter()
        .map(|v| (v.kind, v.cancelled, v.record.as_ref().unwrap().status))
        .collect();
    assert_eq!(
        summary,
        [
            (MovementKind::MoveIn, false, ResidentStatus::Resident),
            (MovementKind::MoveOut, true, ResidentStatus::MovedOut),
            (MovementKind::Cancellation, false, ResidentStatus::Resident),
        ]
    );
    // The cancellation freed the person: a new move-out is accepted.
    registry.ok("2023-03-01", "2023-03-01", move_out(&[p(3)], None));
    check(
        &registry,
        p(3),
        &[(
            "2023-03-01",
            &format!("moved_out h1 child {HOME} from 2020-04-01 removed 2023-03-01"),
        )],
    );
}

#[test]
fn a_returning_resident_keeps_numbers_and_starts_a_new_residence() {
    let mut registry = yamada();
    registry.ok("2023-01-15", "2023-01-15", move_out(&[p(3)], None));
    let code = registry
        .person(p(3), "2023-01-15")
        .unwrap()
        .resident_record_code;
    registry.ok(
        "2024-06-01",
        "2024-06-02",
        return_in(
            p(3),
            person("山田 一郎", "ヤマダ イチロウ", "2010-06-06", "male", "head"),
            "デモ市南町2番",
        ),
    );
    check(
        &registry,
        p(3),
        &[
            (
                "2023-01-14",
                &format!("resident h1 child {HOME} from 2020-04-01"),
            ),
            (
                "2024-05-31",
                &format!("moved_out h1 child {HOME} from 2020-04-01 removed 2023-01-15"),
            ),
            (
                "2024-06-01",
                "resident h2 head デモ市南町2番 from 2024-06-01",
            ),
        ],
    );
    assert_eq!(
        registry
            .person(p(3), "2024-06-01")
            .unwrap()
            .resident_record_code,
        code
    );
    // The second residence cannot start inside the first.
    let rejection = registry
        .submit(
            command(
                "2022-01-01",
                "2024-07-01",
                return_in(
                    p(3),
                    person("山田 一郎", "ヤマダ イチロウ", "2010-06-06", "male", "head"),
                    "デモ市南町9番",
                ),
            ),
            d("2024-07-01"),
        )
        .unwrap_err();
    assert_eq!(rejection.code(), "already_resident");
}

#[test]
fn foreign_residents_and_individual_numbers() {
    let mut registry = Registry::default();
    let mut input = draft("SMITH JOHN", "スミス ジョン", "1990-01-01", "male", "head");
    input.nationality = Some("us".into());
    input.status_of_residence = Some("技術・人文知識・国際業務".into());
    input.period_of_stay_until = Some("2027-03-31".into());
    input.individual_number = Some("123456789018".into());
    registry.ok(
        "2024-04-01",
        "2024-04-02",
        move_in(
            vec![input.parse("persons[0]").unwrap()],
            "デモ市南町1番",
            None,
        ),
    );
    let record = registry.person(p(1), "2024-04-01").unwrap();
    assert_eq!(record.nationality.as_str(), "US");
    assert!(!record.nationality.is_japanese());
    assert_eq!(
        record
            .status_of_residence
            .as_ref()
            .map(|s| s.as_str().to_owned()),
        Some("技術・人文知識・国際業務".to_owned())
    );
    assert_eq!(record.period_of_stay_until, Some(d("2027-03-31")));
    assert_eq!(
        record.individual_number_masked().as_deref(),
        Some("********9018")
    );
    assert_eq!(record.relationship, Relationship::Head);
}

#[test]
fn search_keys() {
    let a = person("山田 太郎", "やまだ たろう", "1980-04-01", "male", "head");
    let b = person("山田 太郎", "ヤマダタロウ", "1980-04-01", "male", "head");
    let c = person("山田 太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", "1980-04-01", "male", "head");
    assert_eq!(kana_key(&a.name_kana), kana_key(&b.name_kana));
    assert_eq!(kana_key(&a.name_kana), kana_key(&c.name_kana));
    let with_ivs = person(
        "辻\u{E0102} 花子",
        "ツジ ハナコ",
        "1980-04-01",
        "female",
        "head",
    );
    assert_eq!(name_key(&with_ivs.name), "辻\u{3000}花子");
    assert!(with_ivs.name.as_str().contains('\u{E0102}'));
}

#[test]
fn index_rows_cover_what_a_movement_involves() {
    let mut registry = yamada();
    let accepted = registry.ok("2023-01-15", "2023-01-15", move_out(&[p(1)], Some(p(2))));
    assert!(accepted.index.households.contains(&h(1)));
    assert_eq!(
        accepted.index.persons.iter().copied().collect::<Vec<_>>(),
        [p(1), p(2)]
    );
    let all = registry.all();
    assert_eq!(all.len(), 2);
}
