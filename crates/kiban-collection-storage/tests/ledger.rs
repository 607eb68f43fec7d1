//! The receivable ledger on both engines: charges from `resident_tax_assessed`
//! events through the consumer, payments files (posted, partial and late,
//! double, duplicate, unknown → suspense, assigned), a reassessment below
//! what was paid, the check, and another municipality that sees nothing.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use kiban_audit::Actor;
use kiban_collection::ledger::{ChargeStatus, OverpaymentStatus};
use kiban_collection::payment_file::PaymentFormat;
use kiban_collection_storage::charges::ASSESSED_CONSUMER;
use kiban_collection_storage::payments::{self, ImportError};
use kiban_collection_storage::read::{self, ReadError};
use kiban_collection_storage::{suspense, verify};
use kiban_core::{Date, FiscalYear, MunicipalityCode, Yen};
use kiban_jobs::consumer::{self, RetryPolicy};
use kiban_resident_tax::domain::settings::SettingsInput;
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::{BACKENDS, TestDatabase};
use kiban_store::{Arg, Backend, TenantDb};
use serde_json::json;

const DEMO: &str = "990019";
const OTHER: &str = "131016";
const NOTICE: &str = "202500000017";

fn d(text: &str) -> Date {
    kiban_core::date::parse_iso(text).unwrap()
}

fn clerk() -> Actor {
    Actor::new("tax", "tax_clerk")
}

async fn setup(backend: Backend) -> (TestDatabase, TenantDb, TenantDb) {
    let t = TestDatabase::new(backend).await.unwrap();
    for (code, name) in [(DEMO, "デモ市"), (OTHER, "千代田区")] {
        platform::create_municipality(
            &t.db,
            &Municipality {
                code: MunicipalityCode::parse(code).unwrap(),
                name: name.into(),
                prefecture: "新潟県".into(),
            },
        )
        .await
        .unwrap();
    }
    let demo =
        t.db.tenant(MunicipalityCode::parse(DEMO).unwrap())
            .await
            .unwrap();
    let other =
        t.db.tenant(MunicipalityCode::parse(OTHER).unwrap())
            .await
            .unwrap();
    (t, demo, other)
}

/// Writes a `resident_tax_assessed` event of addressee 17, FY2025.
async fn assessed(tenant: &TenantDb, version: i64, amounts: &[i64]) {
    let due = ["2025-06-30", "2025-09-01", "2025-10-31", "2026-02-02"];
    let installments: Vec<_> = amounts
        .iter()
        .enumerate()
        .map(|(i, amount)| {
            json!({"period": i + 1, "due_date": due[i], "amount": amount, "notice_number": NOTICE})
        })
        .collect();
    let payload = json!({
        "fiscal_year": 2025, "addressee_id": 17, "addressee_ids": [17], "version": version,
        "collection": "ordinary", "total": amounts.iter().sum::<i64>(),
        "installments": installments, "special_collection": null,
    });
    let mut tx = tenant.begin().await.unwrap();
    let id = tx.next_numbers("outbox_event", 1).await.unwrap();
    tx.execute(
        "INSERT INTO outbox (municipality_code, event_id, event_kind, movement_id, payload, created_at) \
         VALUES ($1, $2, 'resident_tax_assessed', NULL, $3, $4)",
        &[
            Arg::Int(id),
            Arg::from(payload.to_string()),
            Arg::from(kiban_store::now_text()),
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn drain(tenant: &TenantDb) {
    let report = consumer::drain(tenant, &ASSESSED_CONSUMER, &RetryPolicy::default())
        .await
        .unwrap();
    assert_eq!(report.failures, 0, "{report:?}");
}

fn csv(rows: &[&str]) -> Vec<u8> {
    let mut text = "notice_number,period,business,fiscal_year,paid_on,amount,channel\n".to_owned();
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text.into_bytes()
}

async fn import(tenant: &TenantDb, bytes: &[u8]) -> Result<payments::ImportReport, ImportError> {
    payments::import(
        tenant,
        &clerk(),
        PaymentFormat::PaymentsCsv,
        bytes,
        d("2026-03-02"),
    )
    .await
}

#[tokio::test]
async fn the_ledger_on_both_engines() {
    for backend in BACKENDS {
        let (t, demo, other) = setup(backend).await;
        kiban_resident_tax::storage::settings::put(
            &demo,
            &Actor::new("admin", "municipality_admin"),
            FiscalYear::new(2025).unwrap(),
            &SettingsInput {
                collection_agency_code: Some("54321".into()),
                ..SettingsInput::default()
            },
        )
        .await
        .unwrap();

        // Charges from the assessment, within the consumer's run.
        assessed(&demo, 1, &[100_000, 48_000, 48_000, 48_000]).await;
        drain(&demo).await;
        // The same version again (an event delivered twice): applied once.
        assessed(&demo, 1, &[100_000, 48_000, 48_000, 48_000]).await;
        drain(&demo).await;
        let ledger = read::charges_of(&demo, &clerk(), 17, d("2025-06-01"))
            .await
            .unwrap();
        assert_eq!(ledger.charges.len(), 4, "{backend:?}");
        assert_eq!(ledger.balance, Yen::new(244_000));
        let first = &ledger.charges[0];
        assert_eq!(first.charge.key.notice_number.as_str(), NOTICE);
        let barcode = first.barcode.as_deref().unwrap();
        assert_eq!(&barcode[3..8], "54321", "the year's agency code");
        assert_eq!(&barcode[12..14], "01");

        // A file: period 1 half paid late, period 2 on time, an unknown
        // notice, a malformed one nothing.
        let malformed = csv(&[&format!(
            "{NOTICE},1,resident_tax,2025,2025-07-15,x,counter"
        )]);
        match import(&demo, &malformed).await {
            Err(ImportError::Malformed(errors)) => {
                assert_eq!((errors[0].record, errors[0].field.as_str()), (1, "amount"));
            }
            other => panic!("{other:?}"),
        }
        let file = csv(&[
            &format!("{NOTICE},1,resident_tax,2025,2025-07-15,50000,counter"),
            &format!("{NOTICE},2,resident_tax,2025,2025-09-01,48000,bank"),
            "999999999999,1,resident_tax,2025,2025-09-01,7000,bank",
        ]);
        let report = import(&demo, &file).await.unwrap();
        assert_eq!(
            (
                report.records,
                report.posted,
                report.suspense,
                report.duplicates
            ),
            (3, 2, 1, 0)
        );
        let suspense_id = report.issues[0].suspense_id.unwrap();
        assert_eq!(report.issues[0].code, "unknown_charge");
        assert!(matches!(
            import(&demo, &file).await,
            Err(ImportError::AlreadyImported(_))
        ));

        // The rest of period 1, late; the same period 2 payment again (a
        // duplicate), and a second payment of period 2 (an overpayment,
        // applied to nothing due before it: refundable).
        let later = csv(&[
            &format!("{NOTICE},1,resident_tax,2025,2025-12-01,50000,counter"),
            &format!("{NOTICE},2,resident_tax,2025,2025-09-01,48000,bank"),
            &format!("{NOTICE},2,resident_tax,2025,2025-09-02,1000,eltax"),
        ]);
        let report = import(&demo, &later).await.unwrap();
        assert_eq!(
            (report.posted, report.overpaid, report.duplicates),
            (2, 1, 1),
            "{report:?}"
        );
        let ledger = read::charges_of(&demo, &clerk(), 17, d("2026-03-02"))
            .await
            .unwrap();
        let fee = ledger
            .charges
            .iter()
            .find(|c| c.charge.key.business.wire_name() == "late_fee")
            .unwrap();
        assert_eq!(fee.charge.amount, Yen::new(1_600));
        assert_eq!(fee.charge.due_date, d("2026-03-02"));
        assert_eq!(ledger.charges[0].state.status, ChargeStatus::Paid);
        assert_eq!(ledger.overpayments.len(), 1);
        assert_eq!(ledger.overpayments[0].state.refundable, Yen::new(1_000));

        // The suspense item, assigned to period 3 by a clerk.
        let items = suspense::list(&demo, &clerk()).await.unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].reason, "unknown_charge");
        let period3 = ledger.charges[2].charge.charge_id.0;
        suspense::assign(&demo, &clerk(), suspense_id, period3, d("2026-03-03"))
            .await
            .unwrap();
        assert!(suspense::list(&demo, &clerk()).await.unwrap().is_empty());
        assert!(matches!(
            suspense::assign(&demo, &clerk(), suspense_id, period3, d("2026-03-03")).await,
            Err(suspense::AssignError::AlreadyAssigned)
        ));

        // A reassessment below what was paid on period 2: an overpayment.
        assessed(&demo, 2, &[100_000, 40_000, 48_000, 48_000]).await;
        drain(&demo).await;
        let ledger = read::charges_of(&demo, &clerk(), 17, d("2026-03-02"))
            .await
            .unwrap();
        assert_eq!(ledger.charges[1].charge.amount, Yen::new(40_000));
        assert_eq!(ledger.charges[1].state.paid, Yen::new(40_000));
        let refundable: Yen = ledger.overpayments.iter().map(|o| o.state.refundable).sum();
        assert_eq!(refundable, Yen::new(9_000));
        assert!(
            ledger
                .overpayments
                .iter()
                .all(|o| o.state.status == OverpaymentStatus::Refundable)
        );

        let report = verify::verify(&demo, &clerk()).await.unwrap();
        assert_eq!(report.first_discrepancy, None, "{backend:?}");

        // Another municipality sees none of it.
        assert!(matches!(
            read::charges_of(&other, &clerk(), 17, d("2026-03-02")).await,
            Err(ReadError::NotFound)
        ));
        assert!(suspense::list(&other, &clerk()).await.unwrap().is_empty());
        assert!(matches!(
            suspense::assign(&other, &clerk(), suspense_id, period3, d("2026-03-03")).await,
            Err(suspense::AssignError::NotFound)
        ));

        // An amount lowered behind the ledger's back below what was paid
        // is found by the ledger's own check.
        let period2 = ledger.charges[1].charge.charge_id.0;
        let mut tx = demo.begin().await.unwrap();
        tx.execute(
            "INSERT INTO collection_charge_amounts (municipality_code, charge_id, version_no, \
             amount, effective_on, source_event_id, recorded_at) \
             VALUES ($1, $2, 99, 1, '2026-03-02', NULL, 'x')",
            &[Arg::Int(period2)],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let report = verify::verify(&demo, &clerk()).await.unwrap();
        assert!(
            matches!(
                report.first_discrepancy,
                Some(kiban_collection::ledger::Discrepancy::Charge { charge_id, amount: 1, .. })
                    if charge_id == period2
            ),
            "{report:?}"
        );

        // An allocation written behind the ledger's back is found.
        let mut tx = demo.begin().await.unwrap();
        tx.execute(
            "INSERT INTO collection_allocations (municipality_code, payment_id, line_no, target_kind, \
             target_id, amount, recorded_at, recorded_by) VALUES ($1, 1, 99, 'charge', $2, 5, 'x', 'x')",
            &[Arg::Int(period3)],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let report = verify::verify(&demo, &clerk()).await.unwrap();
        assert!(
            matches!(
                report.first_discrepancy,
                Some(kiban_collection::ledger::Discrepancy::Payment { payment_id: 1, .. })
            ),
            "{report:?}"
        );
        t.cleanup().await.unwrap();
    }
}

/// The same file sent twice at the same moment (two clerks, or a retry):
/// one import posts it, the other is refused as already imported (409 /
/// exit 2), never a database error, and nothing is posted twice.
#[tokio::test]
async fn the_same_file_imported_at_once_twice_is_posted_once() {
    for backend in BACKENDS {
        let (t, demo, _other) = setup(backend).await;
        kiban_resident_tax::storage::settings::put(
            &demo,
            &Actor::new("admin", "municipality_admin"),
            FiscalYear::new(2025).unwrap(),
            &SettingsInput {
                collection_agency_code: Some("54321".into()),
                ..SettingsInput::default()
            },
        )
        .await
        .unwrap();
        assessed(&demo, 1, &[100_000, 48_000, 48_000, 48_000]).await;
        drain(&demo).await;
        let file = csv(&[&format!(
            "{NOTICE},1,resident_tax,2025,2025-06-30,100000,counter"
        )]);
        let (a, b) = tokio::join!(import(&demo, &file), import(&demo, &file));
        let outcomes = [&a, &b];
        let posted = outcomes.iter().filter(|r| r.is_ok()).count();
        let refused = outcomes
            .iter()
            .filter(|r| matches!(r, Err(ImportError::AlreadyImported(_))))
            .count();
        assert_eq!((posted, refused), (1, 1), "{backend:?}: {a:?} {b:?}");
        let mut tx = demo.begin().await.unwrap();
        let payments = tx
            .fetch_optional(
                "SELECT COUNT(*) FROM collection_payments WHERE municipality_code = $1",
                &[],
            )
            .await
            .unwrap()
            .unwrap()
            .int(0)
            .unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(payments, 1, "{backend:?}");
        t.cleanup().await.unwrap();
    }
}
