//! Every rule of a movement, one case each: the request, the registry it
//! meets, and the expected answer (accepted with its event, or refused with
//! kind, code and field). A refused request must leave the registry as it was.

use crate::common::*;
use kiban_registry::domain::{Action, Changes, MoveInCommand, MoveInPerson, RejectionKind};

use RejectionKind::{Conflict, Invalid};

enum Expect {
    Accepted(&'static str),
    Rejected(RejectionKind, &'static str, &'static str),
}
use Expect::{Accepted, Rejected};

struct Case {
    name: &'static str,
    registry: fn() -> Registry,
    today: &'static str,
    event: &'static str,
    notified: &'static str,
    action: fn() -> Action,
    expect: Expect,
}

fn check(cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let mut registry = (case.registry)();
        let before = registry.clone();
        let result = registry.submit(
            command(case.event, case.notified, (case.action)()),
            d(case.today),
        );
        let outcome = match (&result, &case.expect) {
            (Ok(accepted), Accepted(event)) if accepted.event.name() == *event => None,
            (Err(rejection), Rejected(kind, code, field))
                if rejection.kind() == *kind
                    && rejection.code() == *code
                    && rejection.field == *field =>
            {
                let unchanged = registry.rows == before.rows && registry.ids == before.ids;
                (!unchanged).then(|| "rejected but the registry changed".to_owned())
            }
            (Ok(accepted), _) => Some(format!("accepted ({})", accepted.event.name())),
            (Err(rejection), _) => Some(format!(
                "rejected {:?} {} at {}: {}",
                rejection.kind(),
                rejection.code(),
                rejection.field,
                rejection
            )),
        };
        if let Some(outcome) = outcome {
            failures.push(format!("{}: {outcome}", case.name));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Yamada (household 1: persons 1 head, 2 spouse, 3 child from 2020-04-01),
/// then a 転居 on 2021-05-01 (movement 2), the birth of 次郎 (person 4) on
/// 2022-03-01 (movement 3) and 一郎's 転出 on 2023-01-15 (movement 4).
fn yamada_later() -> Registry {
    let mut registry = yamada();
    registry.ok(
        "2021-05-01",
        "2021-05-01",
        address_change(h(1), "デモ市東町3番"),
    );
    registry.ok(
        "2022-03-01",
        "2022-03-05",
        birth(
            h(1),
            person("山田 次郎", "ヤマダ ジロウ", "2022-03-01", "male", "child"),
        ),
    );
    registry.ok("2023-01-15", "2023-01-10", move_out(&[p(3)], None));
    registry
}

/// Yamada plus the Suzuki household (household 2, person 4 head, 5 spouse)
/// from 2021-01-01.
fn two_households() -> Registry {
    let mut registry = yamada();
    registry.ok(
        "2021-01-01",
        "2021-01-04",
        move_in(
            vec![
                person("鈴木 一", "スズキ ハジメ", "1970-01-01", "male", "head"),
                person("鈴木 恵", "スズキ メグミ", "1972-02-02", "female", "spouse"),
            ],
            "デモ市西町5番",
            None,
        ),
    );
    registry
}

/// Yamada with 花子 dead on 2022-02-02 (movement 2).
fn yamada_after_death() -> Registry {
    let mut registry = yamada();
    registry.ok("2022-02-02", "2022-02-03", death(p(2), None));
    registry
}

/// Yamada with 一郎 moved out on 2022-08-01 (movement 2) and the 転出
/// cancelled (movement 3).
fn yamada_cancelled() -> Registry {
    let mut registry = yamada();
    registry.ok("2022-08-01", "2022-08-01", move_out(&[p(3)], None));
    registry.ok("2022-09-01", "2022-09-01", cancel(m(2)));
    registry
}

fn foreigner(status: Option<&str>, until: Option<&str>) -> Action {
    let mut input = draft("SMITH JOHN", "スミス ジョン", "1990-01-01", "male", "head");
    input.nationality = Some("US".into());
    input.status_of_residence = status.map(Into::into);
    input.period_of_stay_until = until.map(Into::into);
    move_in(
        vec![input.parse("persons[0]").unwrap()],
        "デモ市南町1番",
        None,
    )
}

const TODAY: &str = "2025-01-10";

#[test]
fn move_in_rules() {
    check(&[
        Case {
            name: "a family founding a household",
            registry: Registry::default,
            today: TODAY,
            event: "2025-01-05",
            notified: "2025-01-06",
            action: || {
                move_in(
                    vec![
                        person("佐藤 健", "サトウ ケン", "1990-01-01", "male", "head"),
                        person("佐藤 愛", "サトウ アイ", "1991-01-01", "female", "spouse"),
                    ],
                    "デモ市北町1番",
                    None,
                )
            },
            expect: Accepted("resident_moved_in"),
        },
        Case {
            name: "a new household without a head",
            registry: Registry::default,
            today: TODAY,
            event: "2025-01-05",
            notified: "2025-01-06",
            action: || {
                move_in(
                    vec![person(
                        "佐藤 愛",
                        "サトウ アイ",
                        "1991-01-01",
                        "female",
                        "spouse",
                    )],
                    "デモ市北町1番",
                    None,
                )
            },
            expect: Rejected(Invalid, "head_count", "persons"),
        },
        Case {
            name: "a new household with two heads",
            registry: Registry::default,
            today: TODAY,
            event: "2025-01-05",
            notified: "2025-01-06",
            action: || {
                move_in(
                    vec![
                        person("佐藤 健", "サトウ ケン", "1990-01-01", "male", "head"),
                        person("佐藤 愛", "サトウ アイ", "1991-01-01", "female", "head"),
                    ],
                    "デモ市北町1番",
                    None,
                )
            },
            expect: Rejected(Invalid, "head_count", "persons"),
        },
        Case {
            name: "joining a household",
            registry: yamada,
            today: TODAY,
            event: "2024-12-01",
            notified: "2024-12-02",
            action: || {
                move_in(
                    vec![person(
                        "山田 梅",
                        "ヤマダ ウメ",
                        "1950-03-03",
                        "female",
                        "parent",
                    )],
                    "デモ市中央一丁目2番3号",
                    Some(h(1)),
                )
            },
            expect: Accepted("resident_moved_in"),
        },
        Case {
            name: "joining a household as its head",
            registry: yamada,
            today: TODAY,
            event: "2024-12-01",
            notified: "2024-12-02",
            action: || {
                move_in(
                    vec![person(
                        "山田 梅",
                        "ヤマダ ウメ",
                        "1950-03-03",
                        "female",
                        "head",
                    )],
                    "デモ市中央一丁目2番3号",
                    Some(h(1)),
                )
            },
            expect: Rejected(Invalid, "head_when_joining", "persons[0].relationship"),
        },
        Case {
            name: "joining a household that does not exist",
            registry: yamada,
            today: TODAY,
            event: "2024-12-01",
            notified: "2024-12-02",
            action: || {
                move_in(
                    vec![person(
                        "山田 梅",
                        "ヤマダ ウメ",
                        "1950-03-03",
                        "female",
                        "parent",
                    )],
                    "デモ市中央一丁目2番3号",
                    Some(h(9)),
                )
            },
            expect: Rejected(Conflict, "household_not_active", "household_id"),
        },
        Case {
            name: "joining a household before it was founded",
            registry: yamada,
            today: TODAY,
            event: "2019-12-01",
            notified: "2019-12-02",
            action: || {
                move_in(
                    vec![person(
                        "山田 梅",
                        "ヤマダ ウメ",
                        "1950-03-03",
                        "female",
                        "parent",
                    )],
                    "デモ市中央一丁目2番3号",
                    Some(h(1)),
                )
            },
            expect: Rejected(Conflict, "household_not_active", "household_id"),
        },
        Case {
            name: "joining a household at another address",
            registry: yamada,
            today: TODAY,
            event: "2024-12-01",
            notified: "2024-12-02",
            action: || {
                move_in(
                    vec![person(
                        "山田 梅",
                        "ヤマダ ウメ",
                        "1950-03-03",
                        "female",
                        "parent",
                    )],
                    "デモ市西町9番",
                    Some(h(1)),
                )
            },
            expect: Rejected(Conflict, "address_differs_from_household", "address"),
        },
        Case {
            name: "a person born after the move",
            registry: Registry::default,
            today: TODAY,
            event: "2024-01-05",
            notified: "2024-01-06",
            action: || {
                move_in(
                    vec![person(
                        "佐藤 健",
                        "サトウ ケン",
                        "2024-02-01",
                        "male",
                        "head",
                    )],
                    "デモ市北町1番",
                    None,
                )
            },
            expect: Rejected(Invalid, "born_after_event", "persons[0].birth_date"),
        },
        Case {
            name: "no persons",
            registry: Registry::default,
            today: TODAY,
            event: "2024-01-05",
            notified: "2024-01-06",
            action: || move_in(vec![], "デモ市北町1番", None),
            expect: Rejected(Invalid, "no_persons", "persons"),
        },
    ]);
}

#[test]
fn returning_residents() {
    check(&[
        Case {
            name: "a former resident returns with the same number",
            registry: yamada_later,
            today: TODAY,
            event: "2024-06-01",
            notified: "2024-06-01",
            action: || {
                return_in(
                    p(3),
                    person("山田 一郎", "ヤマダ イチロウ", "2010-06-06", "male", "head"),
                    "デモ市南町2番",
                )
            },
            expect: Accepted("resident_moved_in"),
        },
        Case {
            name: "a resident cannot move in again",
            registry: yamada,
            today: TODAY,
            event: "2024-06-01",
            notified: "2024-06-01",
            action: || {
                return_in(
                    p(3),
                    person("山田 一郎", "ヤマダ イチロウ", "2010-06-06", "male", "head"),
                    "デモ市南町2番",
                )
            },
            expect: Rejected(Conflict, "already_resident", "persons[0].person_id"),
        },
        Case {
            name: "a deceased person cannot move in",
            registry: yamada_after_death,
            today: TODAY,
            event: "2024-06-01",
            notified: "2024-06-01",
            action: || {
                return_in(
                    p(2),
                    person("山田 花子", "ヤマダ ハナコ", "1982-05-05", "female", "head"),
                    "デモ市南町2番",
                )
            },
            expect: Rejected(Conflict, "deceased", "persons[0].person_id"),
        },
        Case {
            name: "an unknown person cannot return",
            registry: yamada,
            today: TODAY,
            event: "2024-06-01",
            notified: "2024-06-01",
            action: || {
                return_in(
                    p(42),
                    person("誰 某", "ダレ ソレ", "1982-05-05", "female", "head"),
                    "デモ市南町2番",
                )
            },
            expect: Rejected(Conflict, "not_resident", "persons[0].person_id"),
        },
        Case {
            name: "the same returning person twice",
            registry: yamada_later,
            today: TODAY,
            event: "2024-06-01",
            notified: "2024-06-01",
            action: || {
                let input = person("山田 一郎", "ヤマダ イチロウ", "2010-06-06", "male", "head");
                Action::MoveIn(MoveInCommand {
                    persons: vec![
                        MoveInPerson {
                            returning_person_id: Some(p(3)),
                            input: input.clone(),
                        },
                        MoveInPerson {
                            returning_person_id: Some(p(3)),
                            input,
                        },
                    ],
                    address: address("デモ市南町2番"),
                    previous_address: text("大阪府大阪市北区1番"),
                    household_id: None,
                })
            },
            expect: Rejected(Invalid, "duplicate_person", "persons[1].person_id"),
        },
    ]);
}

#[test]
fn foreign_residents() {
    check(&[
        Case {
            name: "a foreign resident with status and period",
            registry: Registry::default,
            today: TODAY,
            event: "2025-01-05",
            notified: "2025-01-05",
            action: || foreigner(Some("技術・人文知識・国際業務"), Some("2027-03-31")),
            expect: Accepted("resident_moved_in"),
        },
        Case {
            name: "a permanent resident needs no period",
            registry: Registry::default,
            today: TODAY,
            event: "2025-01-05",
            notified: "2025-01-05",
            action: || foreigner(Some("永住者"), None),
            expect: Accepted("resident_moved_in"),
        },
        Case {
            name: "a special permanent resident needs no period",
            registry: Registry::default,
            today: TODAY,
            event: "2025-01-05",
            notified: "2025-01-05",
            action: || foreigner(Some("特別永住者"), None),
            expect: Accepted("resident_moved_in"),
        },
        Case {
            name: "no status of residence",
            registry: Registry::default,
            today: TODAY,
            event: "2025-01-05",
            notified: "2025-01-05",
            action: || foreigner(None, Some("2027-03-31")),
            expect: Rejected(
                Invalid,
                "missing_status_of_residence",
                "persons[0].status_of_residence",
            ),
        },
        Case {
            name: "no period of stay",
            registry: Registry::default,
            today: TODAY,
            event: "2025-01-05",
            notified: "2025-01-05",
            action: || foreigner(Some("留学"), None),
            expect: Rejected(
                Invalid,
                "missing_period_of_stay",
                "persons[0].period_of_stay_until",
            ),
        },
        Case {
            name: "a period of stay for a permanent resident",
            registry: Registry::default,
            today: TODAY,
            event: "2025-01-05",
            notified: "2025-01-05",
            action: || foreigner(Some("永住者"), Some("2027-03-31")),
            expect: Rejected(
                Invalid,
                "period_of_stay_for_permanent",
                "persons[0].period_of_stay_until",
            ),
        },
        Case {
            name: "an expired period of stay",
            registry: Registry::default,
            today: TODAY,
            event: "2025-01-05",
            notified: "2025-01-05",
            action: || foreigner(Some("留学"), Some("2024-12-31")),
            expect: Rejected(
                Invalid,
                "period_of_stay_expired",
                "persons[0].period_of_stay_until",
            ),
        },
        Case {
            name: "a status of residence for a Japanese national",
            registry: Registry::default,
            today: TODAY,
            event: "2025-01-05",
            notified: "2025-01-05",
            action: || {
                let mut input = draft("山田 太郎", "ヤマダ タロウ", "1980-04-01", "male", "head");
                input.status_of_residence = Some("永住者".into());
                move_in(
                    vec![input.parse("persons[0]").unwrap()],
                    "デモ市南町1番",
                    None,
                )
            },
            expect: Rejected(
                Invalid,
                "foreign_fields_for_japanese",
                "persons[0].status_of_residence",
            ),
        },
    ]);
}

#[test]
fn dates() {
    check(&[
        Case {
            name: "notified before the event",
            registry: yamada,
            today: TODAY,
            event: "2024-06-01",
            notified: "2024-05-31",
            action: || address_change(h(1), "デモ市東町3番"),
            expect: Rejected(Invalid, "notified_before_event", "notified_on"),
        },
        Case {
            name: "notified in the future",
            registry: yamada,
            today: TODAY,
            event: "2025-01-10",
            notified: "2025-01-11",
            action: || address_change(h(1), "デモ市東町3番"),
            expect: Rejected(Invalid, "notified_in_future", "notified_on"),
        },
        Case {
            name: "an address change in the future",
            registry: yamada,
            today: TODAY,
            event: "2025-01-20",
            notified: "2025-01-10",
            action: || address_change(h(1), "デモ市東町3番"),
            expect: Rejected(Invalid, "event_in_future", "event_date"),
        },
        Case {
            name: "a planned move-out (転出予定) notified before the move",
            registry: yamada,
            today: TODAY,
            event: "2025-02-01",
            notified: "2025-01-10",
            action: || move_out(&[p(1), p(2), p(3)], None),
            expect: Accepted("resident_moved_out"),
        },
        Case {
            name: "a move-out notified after the move",
            registry: yamada,
            today: TODAY,
            event: "2025-01-01",
            notified: "2025-01-10",
            action: || move_out(&[p(3)], None),
            expect: Accepted("resident_moved_out"),
        },
        Case {
            name: "a movement on the household before it existed",
            registry: yamada,
            today: TODAY,
            event: "2019-06-01",
            notified: "2019-06-01",
            action: || address_change(h(1), "デモ市東町3番"),
            expect: Rejected(Conflict, "household_not_active", "household_id"),
        },
    ]);
}

#[test]
fn birth_rules() {
    check(&[
        Case {
            name: "a birth into a household",
            registry: yamada,
            today: TODAY,
            event: "2024-12-24",
            notified: "2024-12-28",
            action: || {
                birth(
                    h(1),
                    person(
                        "山田 三郎",
                        "ヤマダ サブロウ",
                        "2024-12-24",
                        "male",
                        "child",
                    ),
                )
            },
            expect: Accepted("resident_born"),
        },
        Case {
            name: "a birth dated another day than the birth date",
            registry: yamada,
            today: TODAY,
            event: "2024-12-25",
            notified: "2024-12-28",
            action: || {
                birth(
                    h(1),
                    person(
                        "山田 三郎",
                        "ヤマダ サブロウ",
                        "2024-12-24",
                        "male",
                        "child",
                    ),
                )
            },
            expect: Rejected(Invalid, "birth_date_mismatch", "person.birth_date"),
        },
        Case {
            name: "a newborn head",
            registry: yamada,
            today: TODAY,
            event: "2024-12-24",
            notified: "2024-12-28",
            action: || {
                birth(
                    h(1),
                    person("山田 三郎", "ヤマダ サブロウ", "2024-12-24", "male", "head"),
                )
            },
            expect: Rejected(Invalid, "head_when_joining", "person.relationship"),
        },
        Case {
            name: "a birth into a household that does not exist",
            registry: yamada,
            today: TODAY,
            event: "2024-12-24",
            notified: "2024-12-28",
            action: || {
                birth(
                    h(7),
                    person(
                        "山田 三郎",
                        "ヤマダ サブロウ",
                        "2024-12-24",
                        "male",
                        "child",
                    ),
                )
            },
            expect: Rejected(Conflict, "household_not_active", "household_id"),
        },
        Case {
            name: "a birth into a household that moved away",
            registry: || {
                let mut registry = yamada();
                registry.ok(
                    "2023-03-01",
                    "2023-03-01",
                    move_out(&[p(1), p(2), p(3)], None),
                );
                registry
            },
            today: TODAY,
            event: "2024-12-24",
            notified: "2024-12-28",
            action: || {
                birth(
                    h(1),
                    person(
                        "山田 三郎",
                        "ヤマダ サブロウ",
                        "2024-12-24",
                        "male",
                        "child",
                    ),
                )
            },
            expect: Rejected(Conflict, "household_not_active", "household_id"),
        },
    ]);
}

#[test]
fn move_out_and_death_rules() {
    check(&[
        Case {
            name: "a child moves out",
            registry: yamada,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-01",
            action: || move_out(&[p(3)], None),
            expect: Accepted("resident_moved_out"),
        },
        Case {
            name: "the head moves out naming the spouse",
            registry: yamada,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-01",
            action: || move_out(&[p(1)], Some(p(2))),
            expect: Accepted("resident_moved_out"),
        },
        Case {
            name: "the head moves out leaving others without a head",
            registry: yamada,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-01",
            action: || move_out(&[p(1)], None),
            expect: Rejected(Conflict, "new_head_required", "new_head_person_id"),
        },
        Case {
            name: "the new head is not a member",
            registry: two_households,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-01",
            action: || move_out(&[p(1)], Some(p(4))),
            expect: Rejected(Conflict, "new_head_not_remaining", "new_head_person_id"),
        },
        Case {
            name: "a new head although the head stays",
            registry: yamada,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-01",
            action: || move_out(&[p(3)], Some(p(2))),
            expect: Rejected(Conflict, "new_head_not_needed", "new_head_person_id"),
        },
        Case {
            name: "the new head leaves too",
            registry: yamada,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-01",
            action: || move_out(&[p(1), p(2)], Some(p(2))),
            expect: Rejected(Invalid, "new_head_leaving", "new_head_person_id"),
        },
        Case {
            name: "a person never registered",
            registry: yamada,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-01",
            action: || move_out(&[p(99)], None),
            expect: Rejected(Conflict, "not_resident", "person_ids[0]"),
        },
        Case {
            name: "a person who already moved out",
            registry: yamada_later,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-01",
            action: || move_out(&[p(3)], None),
            expect: Rejected(Conflict, "not_resident", "person_ids[0]"),
        },
        Case {
            name: "a person not yet born",
            registry: yamada_later,
            today: TODAY,
            event: "2021-03-01",
            notified: "2021-03-01",
            action: || move_out(&[p(4)], None),
            expect: Rejected(Conflict, "not_resident", "person_ids[0]"),
        },
        Case {
            name: "the same person twice",
            registry: yamada,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-01",
            action: || move_out(&[p(3), p(3)], None),
            expect: Rejected(Invalid, "duplicate_person", "person_ids[1]"),
        },
        Case {
            name: "two heads leaving others cannot share one successor",
            registry: || {
                let mut registry = two_households();
                registry.ok(
                    "2021-02-01",
                    "2021-02-01",
                    move_in(
                        vec![person(
                            "鈴木 翼",
                            "スズキ ツバサ",
                            "2000-01-01",
                            "male",
                            "child",
                        )],
                        "デモ市西町5番",
                        Some(h(2)),
                    ),
                );
                registry
            },
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-01",
            action: || move_out(&[p(1), p(4)], Some(p(2))),
            expect: Rejected(Conflict, "new_head_required", "new_head_person_id"),
        },
        Case {
            name: "a death",
            registry: yamada,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-02",
            action: || death(p(3), None),
            expect: Accepted("resident_died"),
        },
        Case {
            name: "the head dies without a successor",
            registry: yamada,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-02",
            action: || death(p(1), None),
            expect: Rejected(Conflict, "new_head_required", "new_head_person_id"),
        },
        Case {
            name: "the head dies, the spouse succeeds",
            registry: yamada,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-02",
            action: || death(p(1), Some(p(2))),
            expect: Accepted("resident_died"),
        },
        Case {
            name: "a death twice",
            registry: yamada_after_death,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-02",
            action: || death(p(2), None),
            expect: Rejected(Conflict, "not_resident", "person_id"),
        },
        Case {
            name: "a death naming the deceased as successor",
            registry: yamada,
            today: TODAY,
            event: "2024-03-01",
            notified: "2024-03-02",
            action: || death(p(1), Some(p(1))),
            expect: Rejected(Invalid, "new_head_leaving", "new_head_person_id"),
        },
    ]);
}

#[test]
fn household_split_rules() {
    check(&[
        Case {
            name: "a child forms a household",
            registry: yamada,
            today: TODAY,
            event: "2024-04-01",
            notified: "2024-04-01",
            action: || split(&[p(3)], p(3), Some("デモ市中央一丁目2番3号")),
            expect: Accepted("household_changed"),
        },
        Case {
            name: "the whole household",
            registry: yamada,
            today: TODAY,
            event: "2024-04-01",
            notified: "2024-04-01",
            action: || split(&[p(1), p(2), p(3)], p(1), None),
            expect: Rejected(Conflict, "whole_household_split", "person_ids"),
        },
        Case {
            name: "a new head outside the group",
            registry: yamada,
            today: TODAY,
            event: "2024-04-01",
            notified: "2024-04-01",
            action: || split(&[p(3)], p(2), None),
            expect: Rejected(Invalid, "new_head_not_in_group", "new_head_person_id"),
        },
        Case {
            name: "persons of two households",
            registry: two_households,
            today: TODAY,
            event: "2024-04-01",
            notified: "2024-04-01",
            action: || split(&[p(3), p(5)], p(3), None),
            expect: Rejected(Conflict, "different_households", "person_ids[1]"),
        },
        Case {
            name: "the head splits off without leading",
            registry: yamada,
            today: TODAY,
            event: "2024-04-01",
            notified: "2024-04-01",
            action: || split(&[p(1), p(3)], p(3), None),
            expect: Rejected(Conflict, "split_head_must_lead", "new_head_person_id"),
        },
        Case {
            name: "the head splits off leaving two",
            registry: yamada,
            today: TODAY,
            event: "2024-04-01",
            notified: "2024-04-01",
            action: || split(&[p(1)], p(1), None),
            expect: Rejected(Conflict, "remaining_head_undecided", "person_ids"),
        },
        Case {
            name: "the head splits off leaving one, who becomes head",
            registry: two_households,
            today: TODAY,
            event: "2024-04-01",
            notified: "2024-04-01",
            action: || split(&[p(4)], p(4), Some("デモ市西町6番")),
            expect: Accepted("household_changed"),
        },
        Case {
            name: "a person not resident",
            registry: yamada_later,
            today: TODAY,
            event: "2024-04-01",
            notified: "2024-04-01",
            action: || split(&[p(3)], p(3), None),
            expect: Rejected(Conflict, "not_resident", "person_ids[0]"),
        },
    ]);
}

#[test]
fn correction_rules() {
    check(&[
        Case {
            name: "a corrected name",
            registry: yamada,
            today: TODAY,
            event: "2024-05-01",
            notified: "2024-05-01",
            action: || {
                correction(
                    p(2),
                    Changes {
                        name: Some(
                            draft(
                                "山田 華子",
                                "ヤマダ ハナコ",
                                "1982-05-05",
                                "female",
                                "spouse",
                            )
                            .parse("x")
                            .unwrap()
                            .name,
                        ),
                        ..Changes::default()
                    },
                )
            },
            expect: Accepted("resident_record_corrected"),
        },
        Case {
            name: "nothing to correct",
            registry: yamada,
            today: TODAY,
            event: "2024-05-01",
            notified: "2024-05-01",
            action: || correction(p(2), Changes::default()),
            expect: Rejected(Invalid, "no_changes", "changes"),
        },
        Case {
            name: "a birth date after the registration",
            registry: yamada,
            today: TODAY,
            event: "2024-05-01",
            notified: "2024-05-01",
            action: || {
                correction(
                    p(3),
                    Changes {
                        birth_date: Some(d("2021-01-01")),
                        ..Changes::default()
                    },
                )
            },
            expect: Rejected(Conflict, "breaks_later_movement", "changes.birth_date"),
        },
        Case {
            name: "a birth date of a newborn that no longer matches the birth",
            registry: yamada_later,
            today: TODAY,
            event: "2024-05-01",
            notified: "2024-05-01",
            action: || {
                correction(
                    p(4),
                    Changes {
                        birth_date: Some(d("2022-02-27")),
                        ..Changes::default()
                    },
                )
            },
            expect: Rejected(Conflict, "breaks_later_movement", "changes.birth_date"),
        },
        Case {
            name: "a birth date after the correction itself",
            registry: yamada,
            today: TODAY,
            event: "2024-05-01",
            notified: "2024-05-01",
            action: || {
                correction(
                    p(3),
                    Changes {
                        birth_date: Some(d("2024-06-01")),
                        ..Changes::default()
                    },
                )
            },
            expect: Rejected(Invalid, "born_after_event", "changes.birth_date"),
        },
        Case {
            name: "a correction of a person not resident on the day",
            registry: yamada_later,
            today: TODAY,
            event: "2024-05-01",
            notified: "2024-05-01",
            action: || {
                correction(
                    p(3),
                    Changes {
                        sex: Some(kiban_core::Sex::Female),
                        ..Changes::default()
                    },
                )
            },
            expect: Rejected(Conflict, "not_resident", "person_id"),
        },
    ]);
}

#[test]
fn back_dated_movements_keep_the_sequence_valid() {
    check(&[
        Case {
            name: "a back-dated death before a later move-out",
            registry: yamada_later,
            today: TODAY,
            event: "2022-06-01",
            notified: "2024-05-01",
            action: || death(p(3), None),
            expect: Rejected(Conflict, "breaks_later_movement", "event_date"),
        },
        Case {
            name: "a back-dated move-out of the whole household before a later birth",
            registry: yamada_later,
            today: TODAY,
            event: "2021-06-01",
            notified: "2021-06-01",
            action: || move_out(&[p(1), p(2), p(3)], None),
            expect: Rejected(Conflict, "breaks_later_movement", "event_date"),
        },
        Case {
            name: "a back-dated split before a later move-out of the head",
            registry: || {
                let mut registry = yamada();
                registry.ok("2023-01-01", "2023-01-01", move_out(&[p(1)], Some(p(2))));
                registry
            },
            today: TODAY,
            event: "2022-01-01",
            notified: "2022-01-01",
            action: || split(&[p(3)], p(3), None),
            expect: Accepted("household_changed"),
        },
        Case {
            name: "a back-dated address change between existing movements",
            registry: yamada_later,
            today: TODAY,
            event: "2022-06-01",
            notified: "2022-06-01",
            action: || address_change(h(1), "デモ市北町8番"),
            expect: Accepted("resident_address_changed"),
        },
        Case {
            name: "a back-dated head change that makes a later successor invalid",
            registry: || {
                let mut registry = yamada();
                registry.ok("2023-01-01", "2023-01-01", death(p(1), Some(p(2))));
                registry
            },
            today: TODAY,
            event: "2022-01-01",
            notified: "2022-01-01",
            action: || move_out(&[p(2)], None),
            expect: Rejected(Conflict, "breaks_later_movement", "event_date"),
        },
    ]);
}

#[test]
fn cancellation_rules() {
    check(&[
        Case {
            name: "cancelling a move-out",
            registry: yamada_later,
            today: TODAY,
            event: "2024-05-01",
            notified: "2024-05-01",
            action: || cancel(m(4)),
            expect: Accepted("movement_cancelled"),
        },
        Case {
            name: "cancelling a move-in others depend on",
            registry: yamada_later,
            today: TODAY,
            event: "2024-05-01",
            notified: "2024-05-01",
            action: || cancel(m(1)),
            expect: Rejected(Conflict, "breaks_later_movement", "movement_id"),
        },
        Case {
            name: "cancelling an unknown movement",
            registry: yamada,
            today: TODAY,
            event: "2024-05-01",
            notified: "2024-05-01",
            action: || cancel(m(77)),
            expect: Rejected(Conflict, "movement_not_found", "movement_id"),
        },
        Case {
            name: "cancelling twice",
            registry: yamada_cancelled,
            today: TODAY,
            event: "2024-05-01",
            notified: "2024-05-01",
            action: || cancel(m(2)),
            expect: Rejected(Conflict, "already_cancelled", "movement_id"),
        },
        Case {
            name: "cancelling a cancellation",
            registry: yamada_cancelled,
            today: TODAY,
            event: "2024-05-01",
            notified: "2024-05-01",
            action: || cancel(m(3)),
            expect: Rejected(Conflict, "cancel_cancellation", "movement_id"),
        },
        Case {
            name: "a cancellation dated before its movement",
            registry: yamada_later,
            today: TODAY,
            event: "2022-05-01",
            notified: "2022-05-01",
            action: || cancel(m(4)),
            expect: Rejected(Conflict, "cancellation_before_movement", "event_date"),
        },
        Case {
            name: "cancelling a birth",
            registry: yamada_later,
            today: TODAY,
            event: "2024-05-01",
            notified: "2024-05-01",
            action: || cancel(m(3)),
            expect: Accepted("movement_cancelled"),
        },
        Case {
            name: "cancelling a death that a succession depends on is fine, a later move-out of the dead is not",
            registry: || {
                let mut registry = yamada();
                registry.ok("2022-01-01", "2022-01-01", death(p(1), Some(p(2))));
                registry.ok("2022-06-01", "2022-06-01", death(p(2), Some(p(3))));
                registry
            },
            today: TODAY,
            event: "2024-05-01",
            notified: "2024-05-01",
            action: || cancel(m(2)),
            expect: Rejected(Conflict, "breaks_later_movement", "movement_id"),
        },
    ]);
}

#[test]
fn invalid_values_name_their_field() {
    type Spoil = fn(&mut kiban_registry::domain::PersonInputDraft);
    let cases: &[(&str, Spoil, &str)] = &[
        ("empty name", |x| x.name = "  ".into(), "persons[0].name"),
        (
            "kana in kanji",
            |x| x.name_kana = "山田".into(),
            "persons[0].name_kana",
        ),
        (
            "empty kana",
            |x| x.name_kana = String::new(),
            "persons[0].name_kana",
        ),
        (
            "impossible date",
            |x| x.birth_date = "2023-02-29".into(),
            "persons[0].birth_date",
        ),
        ("unknown sex", |x| x.sex = "x".into(), "persons[0].sex"),
        (
            "unknown relationship",
            |x| x.relationship = "wife".into(),
            "persons[0].relationship",
        ),
        (
            "nationality",
            |x| x.nationality = Some("JPN".into()),
            "persons[0].nationality",
        ),
        (
            "individual number check digit",
            |x| x.individual_number = Some("123456789012".into()),
            "persons[0].individual_number",
        ),
    ];
    let mut failures = Vec::new();
    for (name, spoil, field) in cases {
        let mut input = draft("山田 太郎", "ヤマダ タロウ", "1980-04-01", "male", "head");
        spoil(&mut input);
        match input.parse("persons[0]") {
            Err(rejection)
                if rejection.field == *field
                    && rejection.code() == "invalid_value"
                    && rejection.kind() == Invalid => {}
            other => failures.push(format!("{name}: {other:?}")),
        }
    }
    let mut good = draft("山田 太郎", "やまだ たろう", "1980-04-01", "male", "head");
    good.individual_number = Some("123456789018".into());
    match good.parse("persons[0]") {
        Ok(input) => {
            assert_eq!(
                input.name_kana.as_str(),
                person("山田 太郎", "ヤマダ タロウ", "1980-04-01", "male", "head")
                    .name_kana
                    .as_str()
            );
            assert!(input.individual_number.is_some());
        }
        Err(e) => failures.push(format!("good input: {e}")),
    }
    let address = kiban_registry::domain::AddressDraft {
        postal_code: "12345".into(),
        address_line: "デモ市".into(),
        katagaki: None,
    };
    match address.parse("address") {
        Err(rejection) if rejection.field == "address.postal_code" => {}
        other => failures.push(format!("postal code: {other:?}")),
    }
    let address = kiban_registry::domain::AddressDraft {
        postal_code: "123-4567".into(),
        address_line: " ".into(),
        katagaki: Some("".into()),
    };
    match address.parse("address") {
        Err(rejection) if rejection.field == "address.address_line" => {}
        other => failures.push(format!("address line: {other:?}")),
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
