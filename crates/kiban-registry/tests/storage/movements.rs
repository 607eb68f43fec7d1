//! Every movement kind through storage, rejections that change nothing,
//! concurrent movements, and the 個人番号 kept out of every table.

use kiban_audit::{AuditAction, entries_for_person, verify};
use kiban_core::{IndividualNumber, KanaName};
use kiban_registry::domain::{Changes, MovementId, MovementKind, RejectionKind, ResidentStatus};
use kiban_registry::storage::{
    RegistryError, SearchQuery, household_as_of, person_as_of, person_history, record_movement,
    search,
};
use kiban_store::TenantDb;
use kiban_store::testing::BACKENDS;

use crate::common::{
    address_change, birth, cancel, clerk, command, correction, count, d, death, h, move_in,
    move_out, p, person, setup, snapshot, split,
};

const TODAY: &str = "2026-03-01";

async fn outbox_kinds(tenant: &TenantDb) -> Vec<String> {
    let mut tx = tenant.begin().await.unwrap();
    let rows = tx
        .fetch_all(
            "SELECT event_kind, payload FROM outbox WHERE municipality_code = $1 ORDER BY event_id",
            &[],
        )
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    rows.iter()
        .map(|r| {
            let payload: serde_json::Value = serde_json::from_str(&r.text(1).unwrap()).unwrap();
            assert_eq!(payload["v"], 1);
            assert_eq!(payload["event"], r.text(0).unwrap());
            r.text(0).unwrap()
        })
        .collect()
}

/// `status`, `household_id` and `address_line` of a `persons` row.
async fn projection(tenant: &TenantDb, person: u64) -> (String, i64, String) {
    let mut tx = tenant.begin().await.unwrap();
    let row = tx
        .fetch_optional(
            "SELECT status, household_id, address_line FROM persons \
             WHERE municipality_code = $1 AND person_id = $2",
            &[kiban_store::Arg::Int(person as i64)],
        )
        .await
        .unwrap()
        .expect("projection row");
    tx.rollback().await.unwrap();
    (
        row.text(0).unwrap(),
        row.int(1).unwrap(),
        row.text(2).unwrap(),
    )
}

fn individual_number() -> IndividualNumber {
    let (_, full) = kiban_core::numbers::INDIVIDUAL_NUMBER
        .complete("73918264501")
        .unwrap();
    IndividualNumber::parse(&full).unwrap()
}

#[tokio::test]
async fn every_movement_kind_through_storage() {
    for backend in BACKENDS {
        let (t, demo, _) = setup(backend).await;
        let today = d(TODAY);
        let actor = clerk();
        let mut hanako = person(
            "山田 花子",
            "ヤマダ ハナコ",
            "1982-05-05",
            "female",
            "spouse",
        );
        hanako.individual_number = Some(individual_number());

        // 転入 of a family.
        let moved_in = record_movement(
            &demo,
            &actor,
            command(
                "2020-04-01",
                "2020-04-03",
                move_in(
                    vec![
                        person("山田 太郎", "ヤマダ タロウ", "1980-04-01", "male", "head"),
                        hanako,
                        person(
                            "山田 一郎",
                            "ヤマダ イチロウ",
                            "2010-06-06",
                            "male",
                            "child",
                        ),
                    ],
                    "デモ市中央一丁目2番3号",
                    None,
                ),
            ),
            today,
        )
        .await
        .unwrap();
        assert_eq!(moved_in.household_id, Some(h(1)), "{backend:?}");
        let placed: Vec<(u64, u64)> = moved_in
            .persons
            .iter()
            .map(|x| (x.person_id.get(), x.household_id.get()))
            .collect();
        assert_eq!(placed, vec![(1, 1), (2, 1), (3, 1)]);
        assert_eq!(moved_in.movement.kind(), MovementKind::MoveIn);
        assert_eq!(moved_in.event.name(), "resident_moved_in");

        // 出生.
        let born = record_movement(
            &demo,
            &actor,
            command(
                "2021-05-05",
                "2021-05-10",
                birth(
                    h(1),
                    person("山田 次郎", "ヤマダ ジロウ", "2021-05-05", "male", "child"),
                ),
            ),
            today,
        )
        .await
        .unwrap();
        assert_eq!(born.persons[0].person_id, p(4));

        // 転居 of the household.
        let moved = record_movement(
            &demo,
            &actor,
            command(
                "2022-01-10",
                "2022-01-12",
                address_change(h(1), "デモ市桜台三丁目4番5号"),
            ),
            today,
        )
        .await
        .unwrap();
        assert_eq!(moved.persons.len(), 4);
        for person in 1..=4 {
            assert_eq!(projection(&demo, person).await.2, "デモ市桜台三丁目4番5号");
        }

        // 世帯分離: the eldest son forms his own household elsewhere.
        let split_off = record_movement(
            &demo,
            &actor,
            command(
                "2023-02-01",
                "2023-02-01",
                split(&[p(3)], p(3), Some("デモ市本町一丁目1番1号")),
            ),
            today,
        )
        .await
        .unwrap();
        assert_eq!(split_off.household_id, Some(h(2)));
        assert_eq!(
            projection(&demo, 3).await,
            ("resident".into(), 2, "デモ市本町一丁目1番1号".into())
        );

        // 職権修正 of the spouse's reading.
        record_movement(
            &demo,
            &actor,
            command(
                "2023-03-01",
                "2023-03-01",
                correction(
                    p(2),
                    Changes {
                        name_kana: Some(KanaName::parse("ヤマダ ハナ").unwrap()),
                        ..Changes::default()
                    },
                ),
            ),
            today,
        )
        .await
        .unwrap();

        // 転出 of the head; the spouse becomes head.
        record_movement(
            &demo,
            &actor,
            command("2024-04-01", "2024-03-25", move_out(&[p(1)], Some(p(2)))),
            today,
        )
        .await
        .unwrap();
        assert_eq!(projection(&demo, 1).await.0, "moved_out");

        // 死亡 of the younger son, then its cancellation.
        let died = record_movement(
            &demo,
            &actor,
            command("2025-01-01", "2025-01-02", death(p(4), None)),
            today,
        )
        .await
        .unwrap();
        assert_eq!(projection(&demo, 4).await.0, "deceased");
        let cancelled = record_movement(
            &demo,
            &actor,
            command("2025-02-01", "2025-02-01", cancel(died.movement.id)),
            today,
        )
        .await
        .unwrap();
        assert_eq!(cancelled.event.name(), "movement_cancelled");
        assert_eq!(projection(&demo, 4).await.0, "resident");

        assert_eq!(
            outbox_kinds(&demo).await,
            [
                "resident_moved_in",
                "resident_born",
                "resident_address_changed",
                "household_changed",
                "resident_record_corrected",
                "resident_moved_out",
                "resident_died",
                "movement_cancelled",
            ]
        );
        assert_eq!(count(&demo, "movements").await, 8);

        // As-of reads return exactly the state on each date.
        let taro = |date: &str| person_as_of(&demo, &actor, p(1), d(date));
        assert!(taro("2020-03-31").await.unwrap().is_none());
        let first = taro("2021-01-01").await.unwrap().unwrap();
        assert_eq!(
            first.address.address_line.as_str(),
            "デモ市中央一丁目2番3号"
        );
        assert_eq!(first.status, ResidentStatus::Resident);
        let later = taro("2023-01-01").await.unwrap().unwrap();
        assert_eq!(
            later.address.address_line.as_str(),
            "デモ市桜台三丁目4番5号"
        );
        let gone = taro("2024-04-01").await.unwrap().unwrap();
        assert_eq!(gone.status, ResidentStatus::MovedOut);
        assert_eq!(gone.removed_on, Some(d("2024-04-01")));
        let hanako = person_as_of(&demo, &actor, p(2), d("2020-05-01"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            hanako.name_kana.as_str(),
            "ヤマダ　ハナ",
            "corrected from the start"
        );
        assert_eq!(
            hanako.individual_number,
            Some(individual_number()),
            "opened from its sealed row (never from the payload)"
        );
        let jiro = person_as_of(&demo, &actor, p(4), d("2025-01-15"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            jiro.status,
            ResidentStatus::Resident,
            "the death was cancelled"
        );

        let family = household_as_of(&demo, &actor, h(1), d("2021-06-01"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(family.members.len(), 4);
        let later = household_as_of(&demo, &actor, h(1), d("2024-05-01"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(later.head_person_id, Some(p(2)));
        let members: Vec<u64> = later.members.iter().map(|m| m.person_id.get()).collect();
        assert_eq!(members, vec![2, 4]);

        // History, oldest first, with the cancelled death kept.
        let kinds = |entries: Vec<kiban_registry::storage::HistoryEntry>| {
            entries
                .iter()
                .map(|e| (e.version.kind, e.version.cancelled))
                .collect::<Vec<_>>()
        };
        let taro_history = person_history(&demo, &actor, p(1)).await.unwrap().unwrap();
        assert_eq!(
            kinds(taro_history),
            [
                (MovementKind::MoveIn, false),
                (MovementKind::AddressChange, false),
                (MovementKind::MoveOut, false),
            ]
        );
        let jiro_history = person_history(&demo, &actor, p(4)).await.unwrap().unwrap();
        assert_eq!(
            kinds(jiro_history),
            [
                (MovementKind::Birth, false),
                (MovementKind::AddressChange, false),
                (MovementKind::Death, true),
                (MovementKind::Cancellation, false),
            ]
        );

        // Every change and read is in the access log, and the chain holds.
        let mut tx = demo.begin().await.unwrap();
        let about_jiro = entries_for_person(&mut tx, 4, 100).await.unwrap();
        tx.rollback().await.unwrap();
        assert!(about_jiro.iter().any(|e| e.action == AuditAction::Change));
        assert!(about_jiro.iter().any(|e| e.action == AuditAction::Read));
        assert!(
            about_jiro
                .iter()
                .all(|e| e.actor == "clerk" && e.purpose.as_deref() == Some("テスト"))
        );
        assert!(verify(&demo).await.unwrap().is_intact());

        // The 個人番号 is in no table in plain text (only sealed in
        // individual_numbers), and (SQLite) nowhere in the files.
        let digits = individual_number().as_str().to_owned();
        let mut tx = demo.begin().await.unwrap();
        for (table, column) in [
            ("movements", "payload"),
            ("outbox", "payload"),
            ("audit_log", "detail"),
            ("persons", "name"),
            ("persons", "resident_record_code"),
        ] {
            let row = tx
                .fetch_optional(
                    &format!(
                        "SELECT COUNT(*) FROM {table} WHERE municipality_code = $1 AND {column} LIKE $2"
                    ),
                    &[kiban_store::Arg::Text(format!("%{digits}%"))],
                )
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.int(0).unwrap(), 0, "{table}.{column}");
        }
        tx.rollback().await.unwrap();
        if let Some(path) = t.url.strip_prefix("sqlite://") {
            let dir = std::path::Path::new(path).parent().unwrap();
            for file in std::fs::read_dir(dir).unwrap() {
                let bytes = std::fs::read(file.unwrap().path()).unwrap();
                assert!(
                    !bytes.windows(digits.len()).any(|w| w == digits.as_bytes()),
                    "個人番号 found in a database file"
                );
            }
        }
        t.cleanup().await.unwrap();
    }
}

async fn expect_rejected(
    tenant: &TenantDb,
    cmd: kiban_registry::domain::MovementCommand,
    kind: RejectionKind,
    code: &str,
    field: &str,
) {
    let before = snapshot(tenant).await;
    let result = record_movement(tenant, &clerk(), cmd, d(TODAY)).await;
    let Err(RegistryError::Rejected(rejection)) = result else {
        panic!("expected a rejection ({code}), got {result:?}");
    };
    assert_eq!(rejection.kind(), kind, "{rejection}");
    assert_eq!(rejection.code(), code, "{rejection}");
    assert_eq!(rejection.field, field, "{rejection}");
    assert_eq!(
        snapshot(tenant).await,
        before,
        "{code}: a rejection changes nothing"
    );
}

#[tokio::test]
async fn a_rejected_request_changes_nothing() {
    for backend in BACKENDS {
        let (t, demo, other) = setup(backend).await;
        record_movement(
            &demo,
            &clerk(),
            command(
                "2020-04-01",
                "2020-04-03",
                move_in(
                    vec![
                        person("山田 太郎", "ヤマダ タロウ", "1980-04-01", "male", "head"),
                        person(
                            "山田 花子",
                            "ヤマダ ハナコ",
                            "1982-05-05",
                            "female",
                            "spouse",
                        ),
                    ],
                    "デモ市中央一丁目2番3号",
                    None,
                ),
            ),
            d(TODAY),
        )
        .await
        .unwrap();
        record_movement(
            &demo,
            &clerk(),
            command("2024-01-01", "2024-01-01", move_out(&[p(2)], None)),
            d(TODAY),
        )
        .await
        .unwrap();

        expect_rejected(
            &demo,
            command(
                "2026-04-01",
                "2026-02-01",
                move_in(
                    vec![person(
                        "佐藤 一",
                        "サトウ ハジメ",
                        "1990-01-01",
                        "male",
                        "head",
                    )],
                    "デモ市中央一丁目1番1号",
                    None,
                ),
            ),
            RejectionKind::Invalid,
            "event_in_future",
            "event_date",
        )
        .await;
        expect_rejected(
            &demo,
            command("2025-01-01", "2025-01-01", move_out(&[p(2)], None)),
            RejectionKind::Conflict,
            "not_resident",
            "person_ids[0]",
        )
        .await;
        expect_rejected(
            &demo,
            command(
                "2025-01-01",
                "2025-01-01",
                birth(
                    h(99),
                    person(
                        "山田 三郎",
                        "ヤマダ サブロウ",
                        "2025-01-01",
                        "male",
                        "child",
                    ),
                ),
            ),
            RejectionKind::Conflict,
            "household_not_active",
            "household_id",
        )
        .await;
        expect_rejected(
            &demo,
            command(
                "2025-01-01",
                "2025-01-01",
                correction(p(1), Changes::default()),
            ),
            RejectionKind::Invalid,
            "no_changes",
            "changes",
        )
        .await;
        // A back-dated death of the head while the spouse still lived with
        // him needs a new head.
        expect_rejected(
            &demo,
            command("2023-01-01", "2023-01-01", death(p(1), None)),
            RejectionKind::Conflict,
            "new_head_required",
            "new_head_person_id",
        )
        .await;
        expect_rejected(
            &demo,
            command("2025-01-01", "2025-01-01", cancel(MovementId::new(42))),
            RejectionKind::Conflict,
            "movement_not_found",
            "movement_id",
        )
        .await;

        // Another municipality's person is not a resident here.
        expect_rejected(
            &other,
            command("2025-01-01", "2025-01-01", death(p(1), None)),
            RejectionKind::Conflict,
            "not_resident",
            "person_id",
        )
        .await;
        t.cleanup().await.unwrap();
    }
}

#[tokio::test]
async fn concurrent_movements_on_one_household_see_each_other() {
    for backend in BACKENDS {
        let (t, demo, _) = setup(backend).await;
        record_movement(
            &demo,
            &clerk(),
            command(
                "2020-04-01",
                "2020-04-03",
                move_in(
                    vec![
                        person("山田 太郎", "ヤマダ タロウ", "1980-04-01", "male", "head"),
                        person(
                            "山田 花子",
                            "ヤマダ ハナコ",
                            "1982-05-05",
                            "female",
                            "spouse",
                        ),
                        person(
                            "山田 一郎",
                            "ヤマダ イチロウ",
                            "2010-06-06",
                            "male",
                            "child",
                        ),
                    ],
                    "デモ市中央一丁目2番3号",
                    None,
                ),
            ),
            d(TODAY),
        )
        .await
        .unwrap();
        // Four clerks record the same move-out at once: one wins, the
        // others find the person already gone.
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let demo = demo.clone();
            tasks.push(tokio::spawn(async move {
                record_movement(
                    &demo,
                    &clerk(),
                    command("2025-01-01", "2025-01-01", move_out(&[p(3)], None)),
                    d(TODAY),
                )
                .await
            }));
        }
        let mut accepted = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => accepted += 1,
                Err(RegistryError::Rejected(r)) => assert_eq!(r.code(), "not_resident"),
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(accepted, 1, "{backend:?}");
        assert_eq!(count(&demo, "movements").await, 2);
        assert!(verify(&demo).await.unwrap().is_intact());
        t.cleanup().await.unwrap();
    }
}

/// A movement's closure is read before its write lock on SQLite and checked
/// under it. A birth into a household and a 転居 of that household recorded
/// at the same time, each many times over on households of their own:
/// whichever commits first, the other sees it, so every member ends at the
/// new address (on the date and in the projection), and unrelated
/// households' movements do not disturb each other.
#[tokio::test]
async fn a_movement_sees_what_was_recorded_while_it_was_read() {
    for backend in BACKENDS {
        let (t, demo, _) = setup(backend).await;
        let households = 6;
        for n in 0..households {
            record_movement(
                &demo,
                &clerk(),
                command(
                    "2020-04-01",
                    "2020-04-01",
                    move_in(
                        vec![person(
                            "山田 太郎",
                            "ヤマダ タロウ",
                            "1980-04-01",
                            "male",
                            "head",
                        )],
                        &format!("デモ市中央一丁目{}番3号", n + 1),
                        None,
                    ),
                ),
                d(TODAY),
            )
            .await
            .unwrap();
        }
        let mut tasks = Vec::new();
        for n in 1..=households {
            let (a, b) = (demo.clone(), demo.clone());
            tasks.push(tokio::spawn(async move {
                record_movement(
                    &a,
                    &clerk(),
                    command(
                        "2026-02-01",
                        "2026-02-02",
                        birth(
                            h(n),
                            person(
                                "山田 一郎",
                                "ヤマダ イチロウ",
                                "2026-02-01",
                                "male",
                                "child",
                            ),
                        ),
                    ),
                    d(TODAY),
                )
                .await
            }));
            tasks.push(tokio::spawn(async move {
                record_movement(
                    &b,
                    &clerk(),
                    command(TODAY, TODAY, address_change(h(n), "デモ市桜台二丁目5番6号")),
                    d(TODAY),
                )
                .await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        for n in 1..=households {
            let household = household_as_of(&demo, &clerk(), h(n), d(TODAY))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(household.members.len(), 2, "{backend:?} household {n}");
            for member in &household.members {
                assert_eq!(
                    member.address.address_line.as_str(),
                    "デモ市桜台二丁目5番6号",
                    "{backend:?} household {n}"
                );
            }
        }
        let moved = search(
            &demo,
            &clerk(),
            &SearchQuery {
                name_kana: None,
                name: None,
                birth_date: None,
                address: Some("デモ市桜台二丁目5番6号".into()),
                person_id: None,
                as_of: d(TODAY),
                include_removed: false,
                limit: 100,
            },
        )
        .await
        .unwrap();
        assert_eq!(moved.len(), 2 * households as usize, "{backend:?}");
        assert!(verify(&demo).await.unwrap().is_intact());
        t.cleanup().await.unwrap();
    }
}
