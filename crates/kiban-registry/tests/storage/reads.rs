//! Search and reads through storage: kana folding, other criteria, as-of
//! dates, removed persons, the access log of every result, and tenants.

use kiban_registry::domain::{PersonId, PersonListing, ResidentStatus};
use kiban_registry::storage::{
    SearchQuery, household_as_of, person_as_of, person_history, record_movement, search,
};
use kiban_store::TenantDb;
use kiban_store::testing::BACKENDS;

use crate::common::{clerk, command, count, d, h, move_in, move_out, p, person, setup};

const TODAY: &str = "2026-03-01";

fn query(as_of: &str) -> SearchQuery {
    SearchQuery {
        name_kana: None,
        name: None,
        birth_date: None,
        address: None,
        person_id: None,
        as_of: d(as_of),
        include_removed: false,
        limit: 50,
    }
}

async fn ids(tenant: &TenantDb, q: SearchQuery) -> Vec<u64> {
    search(tenant, &clerk(), &q)
        .await
        .unwrap()
        .iter()
        .map(|r| r.person_id.get())
        .collect()
}

async fn town(demo: &TenantDb) {
    let today = d(TODAY);
    for (persons, line, date) in [
        (
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
            "2020-04-01",
        ),
        (
            vec![person(
                "辻\u{E0102} 花子",
                "ツジ ハナコ",
                "1990-02-02",
                "female",
                "head",
            )],
            "デモ市桜台二丁目5番6号",
            "2021-06-01",
        ),
        (
            vec![person(
                "佐藤 一",
                "サトウ ハジメ",
                "1975-07-07",
                "male",
                "head",
            )],
            "デモ市本町一丁目1番1号",
            "2019-01-10",
        ),
    ] {
        record_movement(
            demo,
            &clerk(),
            command(date, date, move_in(persons, line, None)),
            today,
        )
        .await
        .unwrap();
    }
    record_movement(
        demo,
        &clerk(),
        command("2024-01-01", "2024-01-01", move_out(&[p(4)], None)),
        today,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn kana_search_ignores_script_width_and_spaces() {
    for backend in BACKENDS {
        let (t, demo, other) = setup(backend).await;
        town(&demo).await;
        for typed in [
            "ﾔﾏﾀﾞ ﾀﾛｳ",
            "やまだたろう",
            "ヤマダ　タロウ",
            " やまだ  タロウ ",
            "ヤマダタ",
        ] {
            let q = SearchQuery {
                name_kana: Some(typed.into()),
                ..query(TODAY)
            };
            assert_eq!(ids(&demo, q).await, vec![1], "{backend:?} {typed}");
        }
        let q = SearchQuery {
            name_kana: Some("やまだ".into()),
            ..query(TODAY)
        };
        assert_eq!(ids(&demo, q.clone()).await, vec![1, 2]);
        assert_eq!(
            ids(
                &demo,
                SearchQuery {
                    limit: 1,
                    ..q.clone()
                }
            )
            .await
            .len(),
            1
        );
        // Before they moved in, nobody by that name lived here.
        assert!(
            ids(
                &demo,
                SearchQuery {
                    as_of: d("2019-12-31"),
                    ..q.clone()
                }
            )
            .await
            .is_empty()
        );
        // Another municipality finds none of them.
        assert!(ids(&other, q).await.is_empty());
        t.cleanup().await.unwrap();
    }
}

#[tokio::test]
async fn search_by_name_birth_date_address_and_number() {
    for backend in BACKENDS {
        let (t, demo, _) = setup(backend).await;
        town(&demo).await;
        // The name typed without its variation selector finds the name
        // registered with it.
        let by_name = SearchQuery {
            name: Some("辻 花子".into()),
            ..query(TODAY)
        };
        let found = search(&demo, &clerk(), &by_name).await.unwrap();
        assert_eq!(found.len(), 1, "{backend:?}");
        assert_eq!(found[0].name.as_str(), "辻\u{E0102}　花子");
        let by_surname = SearchQuery {
            name: Some("山田".into()),
            ..query(TODAY)
        };
        assert_eq!(ids(&demo, by_surname).await, vec![1, 2]);
        let by_birth = SearchQuery {
            birth_date: Some(d("1990-02-02")),
            ..query(TODAY)
        };
        assert_eq!(ids(&demo, by_birth).await, vec![3]);
        let by_address = SearchQuery {
            address: Some("桜台".into()),
            ..query(TODAY)
        };
        assert_eq!(ids(&demo, by_address).await, vec![3]);
        let no_wildcards = SearchQuery {
            address: Some("%".into()),
            ..query(TODAY)
        };
        assert!(ids(&demo, no_wildcards).await.is_empty());
        let by_number = SearchQuery {
            person_id: Some(p(2)),
            ..query(TODAY)
        };
        assert_eq!(ids(&demo, by_number).await, vec![2]);
        let combined = SearchQuery {
            name_kana: Some("やまだ".into()),
            birth_date: Some(d("1982-05-05")),
            ..query(TODAY)
        };
        assert_eq!(ids(&demo, combined).await, vec![2]);
        t.cleanup().await.unwrap();
    }
}

#[tokio::test]
async fn removed_persons_only_on_request_and_as_of_dates() {
    for backend in BACKENDS {
        let (t, demo, _) = setup(backend).await;
        town(&demo).await;
        let sato = SearchQuery {
            name_kana: Some("さとう".into()),
            ..query(TODAY)
        };
        assert!(ids(&demo, sato.clone()).await.is_empty(), "{backend:?}");
        let removed = search(
            &demo,
            &clerk(),
            &SearchQuery {
                include_removed: true,
                ..sato.clone()
            },
        )
        .await
        .unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].status, ResidentStatus::MovedOut);
        assert_eq!(removed[0].removed_on, Some(d("2024-01-01")));
        let back_then = search(
            &demo,
            &clerk(),
            &SearchQuery {
                as_of: d("2023-12-31"),
                ..sato
            },
        )
        .await
        .unwrap();
        assert_eq!(back_then.len(), 1);
        assert_eq!(back_then[0].status, ResidentStatus::Resident);
        t.cleanup().await.unwrap();
    }
}

#[tokio::test]
async fn every_person_returned_is_in_the_access_log() {
    for backend in BACKENDS {
        let (t, demo, _) = setup(backend).await;
        town(&demo).await;
        let before = count(&demo, "audit_log").await;
        let q = SearchQuery {
            name_kana: Some("やまだ".into()),
            ..query(TODAY)
        };
        assert_eq!(ids(&demo, q).await.len(), 2);
        assert_eq!(count(&demo, "audit_log").await, before + 2, "{backend:?}");
        household_as_of(&demo, &clerk(), h(1), d(TODAY))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(count(&demo, "audit_log").await, before + 4);
        person_history(&demo, &clerk(), p(1))
            .await
            .unwrap()
            .unwrap();
        person_as_of(&demo, &clerk(), p(1), d(TODAY))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(count(&demo, "audit_log").await, before + 6);
        // Nothing found, nothing logged here (the adapter logs refusals).
        assert!(
            person_as_of(&demo, &clerk(), p(99), d(TODAY))
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(count(&demo, "audit_log").await, before + 6);
        t.cleanup().await.unwrap();
    }
}

#[tokio::test]
async fn another_municipalitys_ids_are_not_found() {
    for backend in BACKENDS {
        let (t, demo, other) = setup(backend).await;
        town(&demo).await;
        let today = d(TODAY);
        assert!(
            person_as_of(&demo, &clerk(), p(1), today)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            person_as_of(&other, &clerk(), p(1), today)
                .await
                .unwrap()
                .is_none(),
            "{backend:?}"
        );
        assert!(
            person_history(&other, &clerk(), p(1))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            household_as_of(&other, &clerk(), h(1), today)
                .await
                .unwrap()
                .is_none()
        );
        let by_number = SearchQuery {
            person_id: Some(PersonId::new(1)),
            ..query(TODAY)
        };
        assert!(ids(&other, by_number).await.is_empty());
        assert_eq!(count(&other, "audit_log").await, 0);
        t.cleanup().await.unwrap();
    }
}

/// A search lists a person from the projection of the latest state unless
/// a movement dated after the date concerns them: whatever the date, and
/// with a planned 転出 of a head pending (which changes the spouse's 続柄
/// only from its date), every listing is exactly the person's record as of
/// the date, and the persons listed are exactly those the records give.
#[tokio::test]
async fn search_listings_agree_with_reads_as_of_every_date() {
    for backend in BACKENDS {
        let (t, demo, _) = setup(backend).await;
        town(&demo).await;
        // 山田 太郎 (1), head, notifies today a 転出 on 3月15日; 花子 (2)
        // becomes head then.
        record_movement(
            &demo,
            &clerk(),
            command("2026-03-15", TODAY, move_out(&[p(1)], Some(p(2)))),
            d(TODAY),
        )
        .await
        .unwrap();
        for as_of in [
            "2019-06-01",
            "2020-04-01",
            "2023-12-31",
            "2024-01-01",
            TODAY,
            "2026-03-14",
            "2026-03-15",
            "2027-01-01",
        ] {
            for include_removed in [false, true] {
                let q = SearchQuery {
                    include_removed,
                    ..query(as_of)
                };
                let listed = search(&demo, &clerk(), &q).await.unwrap();
                let mut expected = Vec::new();
                for n in 1..=4 {
                    let record = person_as_of(&demo, &clerk(), p(n), d(as_of)).await.unwrap();
                    if let Some(record) = record
                        && (include_removed || record.status == ResidentStatus::Resident)
                    {
                        expected.push(PersonListing::from(record));
                    }
                }
                let mut got = listed.clone();
                got.sort_by_key(|l| l.person_id.get());
                assert_eq!(
                    got, expected,
                    "{backend:?} as of {as_of}, removed {include_removed}"
                );
            }
        }
        // The case the projection alone would get wrong: today 花子 is
        // still the spouse and 太郎 still resident.
        let today = search(&demo, &clerk(), &query(TODAY)).await.unwrap();
        let hanako = today.iter().find(|l| l.person_id == p(2)).unwrap();
        assert_eq!(hanako.relationship.code(), "spouse", "{backend:?}");
        assert!(today.iter().any(|l| l.person_id == p(1)), "{backend:?}");
        t.cleanup().await.unwrap();
    }
}
