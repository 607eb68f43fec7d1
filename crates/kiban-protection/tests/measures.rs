//! Support measures on SQLite and PostgreSQL: recording, ending, the guard
//! and its access-log entries, and tenant isolation.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on broken fixtures"
)]

use kiban_audit::{Actor, AuditAction};
use kiban_core::{Date, MunicipalityCode};
use kiban_protection::{Decision, Exposure, ProtectionError, Reason};
use kiban_registry::domain::{
    Action, AddressDraft, AddressText, MoveInCommand, MoveInPerson, MovementCommand,
    PersonInputDraft,
};
use kiban_registry::storage::record_movement;
use kiban_store::TenantDb;
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::{BACKENDS, TestDatabase};

fn d(text: &str) -> Date {
    kiban_core::date::parse_iso(text).unwrap()
}

fn clerk() -> Actor {
    Actor::new("clerk", "registry_clerk")
}

async fn tenant(t: &TestDatabase, code: &str) -> TenantDb {
    platform::create_municipality(
        &t.db,
        &Municipality {
            code: MunicipalityCode::parse(code).unwrap(),
            name: "テスト市".into(),
            prefecture: "東京都".into(),
        },
    )
    .await
    .unwrap();
    t.db.tenant(MunicipalityCode::parse(code).unwrap())
        .await
        .unwrap()
}

/// A resident registered by a 転入; returns the 宛名番号.
async fn resident(tenant: &TenantDb) -> i64 {
    let input = PersonInputDraft {
        name: "保護 花子".into(),
        name_kana: "ホゴ ハナコ".into(),
        birth_date: "1990-01-01".into(),
        sex: "female".into(),
        relationship: "head".into(),
        ..PersonInputDraft::default()
    }
    .parse("person")
    .unwrap();
    let recorded = record_movement(
        tenant,
        &clerk(),
        MovementCommand {
            event_date: d("2025-04-01"),
            notified_on: d("2025-04-01"),
            action: Action::MoveIn(MoveInCommand {
                persons: vec![MoveInPerson {
                    returning_person_id: None,
                    input,
                }],
                address: AddressDraft {
                    postal_code: "9990001".into(),
                    address_line: "デモ市中央一丁目1番1号".into(),
                    katagaki: None,
                }
                .parse("address")
                .unwrap(),
                previous_address: AddressText::parse("東京都千代田区千代田1番1号").unwrap(),
                household_id: None,
            }),
        },
        d("2026-01-10"),
    )
    .await
    .unwrap();
    i64::try_from(recorded.persons[0].person_id.get()).unwrap()
}

async fn guard(
    tenant: &TenantDb,
    person: i64,
    on: &str,
    may_override: bool,
    confirmed: bool,
) -> Decision {
    let mut tx = tenant.begin().await.unwrap();
    let guarded = kiban_protection::check(
        &mut tx,
        &Actor::new("someone", "registry_clerk"),
        may_override,
        confirmed,
        person,
        d(on),
        Exposure::Certificate,
    )
    .await
    .unwrap();
    if let Some(entry) = &guarded.entry {
        kiban_audit::append(&mut tx, entry).await.unwrap();
    }
    tx.commit().await.unwrap();
    guarded.decision
}

async fn log_details(tenant: &TenantDb, person: i64) -> Vec<(AuditAction, String)> {
    let mut tx = tenant.begin_read().await.unwrap();
    let entries = kiban_audit::entries_for_person(&mut tx, person, 1_000)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    entries.into_iter().map(|e| (e.action, e.detail)).collect()
}

#[tokio::test]
async fn a_measure_blocks_in_its_period_and_every_attempt_is_logged() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.unwrap();
        let demo = tenant(&t, "990019").await;
        let person = resident(&demo).await;

        assert_eq!(
            guard(&demo, person, "2026-05-01", false, false).await,
            Decision::NotProtected
        );

        let mut tx = demo.begin().await.unwrap();
        let measure = kiban_protection::record_measure(
            &mut tx,
            &clerk(),
            person,
            Reason::DomesticViolence,
            d("2026-04-01"),
            None,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(measure.ends_on, d("2027-03-31"), "{backend:?}");

        assert_eq!(
            guard(&demo, person, "2026-03-31", false, false).await,
            Decision::NotProtected
        );
        assert_eq!(
            guard(&demo, person, "2026-05-01", false, true).await,
            Decision::Refused,
            "a role without the permission cannot confirm its way through"
        );
        assert_eq!(
            guard(&demo, person, "2026-05-01", true, false).await,
            Decision::Refused,
            "a permitted role must confirm explicitly"
        );
        assert_eq!(
            guard(&demo, person, "2026-05-01", true, true).await,
            Decision::Overridden
        );
        let log = log_details(&demo, person).await;
        assert!(log.contains(&(
            AuditAction::Refused,
            "support_measure refused certificate".into()
        )));
        assert!(log.contains(&(
            AuditAction::Read,
            "support_measure override certificate".into()
        )));
        assert_eq!(
            log.iter()
                .filter(|(_, detail)| detail.starts_with("support_measure refused"))
                .count(),
            2
        );

        // Ending early is a second record; the measure stays as recorded.
        let mut tx = demo.begin().await.unwrap();
        let ended =
            kiban_protection::end_measure(&mut tx, &clerk(), measure.measure_id, d("2026-09-30"))
                .await
                .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(ended.ends_on, d("2027-03-31"));
        assert_eq!(
            guard(&demo, person, "2026-09-30", false, false).await,
            Decision::Refused
        );
        assert_eq!(
            guard(&demo, person, "2026-10-01", false, false).await,
            Decision::NotProtected
        );
        let mut tx = demo.begin_read().await.unwrap();
        let all = kiban_protection::measures_of(&mut tx, person)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].ended_on, Some(d("2026-09-30")));
        assert!(kiban_audit::verify(&demo).await.unwrap().is_intact());

        let mut tx = demo.begin().await.unwrap();
        let again =
            kiban_protection::end_measure(&mut tx, &clerk(), measure.measure_id, d("2026-09-01"))
                .await;
        assert!(matches!(again, Err(ProtectionError::AlreadyEnded(_))));
        tx.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn bad_requests_name_their_field_and_another_municipality_is_untouched() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.unwrap();
        let demo = tenant(&t, "990019").await;
        let other = tenant(&t, "131016").await;
        let person = resident(&demo).await;

        let mut tx = other.begin().await.unwrap();
        let err = kiban_protection::record_measure(
            &mut tx,
            &clerk(),
            person,
            Reason::Stalking,
            d("2026-04-01"),
            None,
        )
        .await
        .unwrap_err();
        tx.rollback().await.unwrap();
        assert!(matches!(err, ProtectionError::UnknownPerson(_)), "{err}");
        assert_eq!(err.field(), Some("person_id"));

        let mut tx = demo.begin().await.unwrap();
        let err = kiban_protection::record_measure(
            &mut tx,
            &clerk(),
            person,
            Reason::Stalking,
            d("2026-04-01"),
            Some(d("2027-04-01")),
        )
        .await
        .unwrap_err();
        tx.rollback().await.unwrap();
        assert_eq!(err.field(), Some("ends_on"), "{err}");

        // A measure in the demo city does not protect an id in another.
        let mut tx = demo.begin().await.unwrap();
        let measure = kiban_protection::record_measure(
            &mut tx,
            &clerk(),
            person,
            Reason::Other,
            d("2026-04-01"),
            None,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut tx = other.begin_read().await.unwrap();
        assert!(
            kiban_protection::protected_among(&mut tx, &[person], d("2026-05-01"))
                .await
                .unwrap()
                .is_empty()
        );
        let ended =
            kiban_protection::end_measure(&mut tx, &clerk(), measure.measure_id, d("2026-05-01"))
                .await;
        assert!(matches!(ended, Err(ProtectionError::UnknownMeasure(_))));
        tx.rollback().await.unwrap();
    }
}
