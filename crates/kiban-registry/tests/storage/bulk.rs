//! Bulk initial registration: thousands of residents, read back through
//! every read, with the projections equal to the folded state.

use kiban_audit::verify;
use kiban_core::Date;
use kiban_registry::domain::{HouseholdId, Movement, PersonId, ResidentStatus, Timeline};
use kiban_registry::storage::bulk::{
    IdBlock, NewHousehold, build_rows, id_counts, register_households,
};
use kiban_registry::storage::payload::decode;
use kiban_registry::storage::{
    RegistryError, SearchQuery, household_as_of, person_as_of, person_history, search,
};
use kiban_store::TenantDb;
use kiban_store::testing::BACKENDS;

use crate::common::{clerk, count, d, population, setup, snapshot};

async fn all_movements(tenant: &TenantDb) -> Vec<Movement> {
    let mut tx = tenant.begin().await.unwrap();
    let rows = tx
        .fetch_all(
            "SELECT movement_id, kind, event_date, notified_on, payload FROM movements \
             WHERE municipality_code = $1 ORDER BY movement_id",
            &[],
        )
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    rows.iter()
        .map(|r| {
            decode(
                r.int(0).unwrap(),
                &r.text(1).unwrap(),
                r.date(2).unwrap(),
                r.date(3).unwrap(),
                &r.text(4).unwrap(),
            )
            .unwrap()
        })
        .collect()
}

/// Every `persons` row as text, in 宛名番号 order.
async fn person_rows(tenant: &TenantDb) -> Vec<Vec<Option<String>>> {
    let mut tx = tenant.begin().await.unwrap();
    let rows = tx
        .fetch_all(
            "SELECT person_id, household_id, resident_record_code, name, name_search, name_kana, \
             kana_key, birth_date, sex, relationship, nationality, status_of_residence, \
             period_of_stay_until, postal_code, address_line, katagaki, status, resident_from, \
             removed_on FROM persons WHERE municipality_code = $1 ORDER BY person_id",
            &[],
        )
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    rows.iter()
        .map(|r| {
            let mut out = vec![
                Some(r.int(0).unwrap().to_string()),
                Some(r.int(1).unwrap().to_string()),
            ];
            out.extend((2..19).map(|i| r.opt_text(i).unwrap()));
            out
        })
        .collect()
}

/// The folded state as the same text.
fn folded_rows(movements: &[Movement]) -> Vec<Vec<Option<String>>> {
    let timeline = Timeline::new(movements);
    timeline
        .persons_as_of(Date::MAX)
        .iter()
        .map(|r| {
            vec![
                Some(r.person_id.to_string()),
                Some(r.household_id.to_string()),
                Some(r.resident_record_code.as_str().to_owned()),
                Some(r.name.as_str().to_owned()),
                Some(r.name.base_characters()),
                Some(r.name_kana.as_str().to_owned()),
                Some(r.name_kana.search_key()),
                Some(r.birth_date.to_string()),
                Some(r.sex.code().to_owned()),
                Some(r.relationship.code().to_owned()),
                Some(r.nationality.as_str().to_owned()),
                r.status_of_residence
                    .as_ref()
                    .map(|s| s.as_str().to_owned()),
                r.period_of_stay_until.map(|p| p.to_string()),
                Some(r.address.postal_code.as_str().to_owned()),
                Some(r.address.address_line.as_str().to_owned()),
                r.address.katagaki.as_ref().map(|k| k.as_str().to_owned()),
                Some(r.status.code().to_owned()),
                Some(r.resident_from.to_string()),
                r.removed_on.map(|p| p.to_string()),
            ]
        })
        .collect()
}

#[tokio::test]
async fn two_thousand_residents_register_and_read_back() {
    for backend in BACKENDS {
        let (t, demo, other) = setup(backend).await;
        let households = population(2_000, 7);
        let residents: usize = households.iter().map(|h| h.members.len()).sum();
        let (first, second) = households.split_at(households.len() / 2);
        let mut total_movements = 0;
        for chunk in [first, second] {
            let mut tx = demo.begin().await.unwrap();
            let stats = register_households(&mut tx, &clerk(), chunk).await.unwrap();
            tx.commit().await.unwrap();
            assert_eq!(stats.counts.households, chunk.len() as u64);
            total_movements += stats.counts.movements;
        }
        assert_eq!(
            count(&demo, "persons").await,
            residents as i64,
            "{backend:?}"
        );
        assert_eq!(count(&demo, "households").await, households.len() as i64);
        assert_eq!(count(&demo, "movements").await, total_movements as i64);
        assert_eq!(
            count(&demo, "outbox").await,
            0,
            "no events for an initial load"
        );
        assert_eq!(count(&demo, "audit_log").await, 2);
        assert!(verify(&demo).await.unwrap().is_intact());

        // The projection rows are exactly the folded state.
        let movements = all_movements(&demo).await;
        assert_eq!(folded_rows(&movements), person_rows(&demo).await);

        // Read a few back through every read.
        let today = d("2026-03-01");
        let record = person_as_of(&demo, &clerk(), PersonId::new(1), today)
            .await
            .unwrap()
            .expect("person 1");
        assert_eq!(record.status, ResidentStatus::Resident);
        let household = household_as_of(&demo, &clerk(), record.household_id, today)
            .await
            .unwrap()
            .expect("household");
        assert_eq!(
            household.head_person_id,
            Some(household.members[0].person_id)
        );
        assert!(
            household
                .members
                .iter()
                .any(|m| m.person_id == PersonId::new(1))
        );
        let history = person_history(&demo, &clerk(), PersonId::new(1))
            .await
            .unwrap()
            .expect("history");
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].version.record.as_ref(), Some(&record));
        assert_eq!(history[0].recorded_by, "clerk");

        // Households with children born here read with their births.
        let with_births = households
            .iter()
            .position(|h| {
                h.members.iter().any(|m| {
                    m.born_here
                        && m.relationship != kiban_core::Relationship::Head
                        && m.resident_from > h.members[0].resident_from
                })
            })
            .expect("a household with a birth");
        let expected = &households[with_births];
        let found = search(
            &demo,
            &clerk(),
            &SearchQuery {
                name_kana: None,
                name: Some(expected.members[0].name.as_str().to_owned()),
                birth_date: Some(expected.members[0].birth_date),
                address: Some(expected.address.address_line.as_str().to_owned()),
                person_id: None,
                as_of: today,
                include_removed: false,
                limit: 10,
            },
        )
        .await
        .unwrap();
        assert_eq!(found.len(), 1, "{backend:?}");
        let hh = household_as_of(&demo, &clerk(), found[0].household_id, today)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hh.members.len(), expected.members.len());
        for member in &expected.members {
            let got = hh
                .members
                .iter()
                .find(|m| m.name == member.name && m.birth_date == member.birth_date)
                .expect("member");
            assert_eq!(got.relationship, member.relationship);
            if member.resident_from >= expected.members[0].resident_from {
                assert_eq!(got.resident_from, member.resident_from);
            }
            assert_eq!(
                got.previous_address.is_none(),
                member.born_here && member.resident_from > expected.members[0].resident_from
            );
        }
        // Before the household was founded it did not exist.
        let before = expected.members[0]
            .resident_from
            .checked_sub(jiff::Span::new().days(1))
            .unwrap();
        assert!(
            household_as_of(&demo, &clerk(), hh.household_id, before)
                .await
                .unwrap()
                .is_none()
        );

        // Kana search across the whole population, typed in hiragana.
        let yamada = search(
            &demo,
            &clerk(),
            &SearchQuery {
                name_kana: Some("やまだ".into()),
                name: None,
                birth_date: None,
                address: None,
                person_id: None,
                as_of: today,
                include_removed: false,
                limit: 1_000,
            },
        )
        .await
        .unwrap();
        assert!(!yamada.is_empty());
        assert!(
            yamada
                .iter()
                .all(|r| r.name_kana.as_str().starts_with("ヤマダ"))
        );

        // Another municipality sees none of it.
        assert!(
            person_as_of(&other, &clerk(), PersonId::new(1), today)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            household_as_of(&other, &clerk(), HouseholdId::new(1), today)
                .await
                .unwrap()
                .is_none()
        );
        t.cleanup().await.unwrap();
    }
}

#[tokio::test]
async fn a_bad_household_is_named_and_nothing_is_written() {
    for backend in BACKENDS {
        let (t, demo, _) = setup(backend).await;
        let mut households: Vec<NewHousehold> = population(30, 3);
        let before = snapshot(&demo).await;

        // Two heads.
        let mut two_heads = households.clone();
        let extra = {
            let mut m = two_heads[4].members[0].clone();
            m.birth_date = d("1970-01-01");
            m
        };
        two_heads[4].members.push(extra);
        let mut tx = demo.begin().await.unwrap();
        let err = register_households(&mut tx, &clerk(), &two_heads)
            .await
            .unwrap_err();
        drop(tx);
        let RegistryError::Rejected(rejection) = err else {
            panic!("{err}")
        };
        assert_eq!(rejection.field, "households[4].members");
        assert_eq!(rejection.code(), "head_count");

        // A resident from before their birth, and a date in the future.
        let n = households[2].members.len() - 1;
        households[2].members[n].resident_from = d("1900-01-01");
        let err = build_rows(&households, block(), "clerk", jiff::Timestamp::now()).unwrap_err();
        let RegistryError::Rejected(rejection) = err else {
            panic!("{err}")
        };
        assert_eq!(
            rejection.field,
            format!("households[2].members[{n}].resident_from")
        );

        let mut future = population(30, 3);
        future[1].members[0].resident_from = d("2999-01-01");
        let err = build_rows(&future, block(), "clerk", jiff::Timestamp::now()).unwrap_err();
        let RegistryError::Rejected(rejection) = err else {
            panic!("{err}")
        };
        assert_eq!(rejection.field, "households[1].members[0].resident_from");
        assert_eq!(rejection.code(), "event_in_future");

        assert_eq!(snapshot(&demo).await, before, "{backend:?}");
        t.cleanup().await.unwrap();
    }
}

fn block() -> IdBlock {
    IdBlock {
        first_person_id: 1,
        first_household_id: 1,
        first_movement_id: 1,
        first_resident_record_serial: 1,
    }
}

#[test]
fn build_rows_numbers_exactly_what_id_counts_says() {
    let households = population(500, 11);
    let counts = id_counts(&households).unwrap();
    let rows = build_rows(&households, block(), "clerk", jiff::Timestamp::now()).unwrap();
    assert_eq!(rows.counts, counts);
    assert_eq!(
        counts.persons as usize,
        households.iter().map(|h| h.members.len()).sum::<usize>()
    );
    assert!(
        counts.movements > counts.households,
        "births and later arrivals"
    );
}
