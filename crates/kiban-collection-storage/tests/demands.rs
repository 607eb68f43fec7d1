//! The job `collection-demands` (督促) on both engines: the charges overdue
//! on `as_of` with a balance get `demanded_on` and one 督促状 per addressee
//! (PDF and index), the paid ones and those not yet due none; a second run
//! demands nothing again.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use std::collections::BTreeMap;
use std::time::Duration;

use kiban_addressee::domain::{AddressDraft, BasicInfoDraft};
use kiban_addressee::storage::NewNonResident;
use kiban_audit::Actor;
use kiban_collection::direct_debit::{CollectionSettings, SettingsInput};
use kiban_collection::payment_file::PaymentFormat;
use kiban_collection_storage::charges::ASSESSED_CONSUMER;
use kiban_collection_storage::demands::{DEMANDS_JOB, Demands, INDEX};
use kiban_collection_storage::reports::{
    CollectionReport, DAILY_FILE, DAILY_REPORT_JOB, MONTHLY_FILE, MONTHLY_REPORT_JOB,
};
use kiban_collection_storage::{direct_debit, payments, read};
use kiban_core::{Date, FiscalYear, MunicipalityCode, Yen};
use kiban_jobs::consumer::{self, RetryPolicy};
use kiban_jobs::engine::{self, EngineOptions, Status};
use kiban_jobs::kind::Kinds;
use kiban_resident_tax::domain::settings::SettingsInput as TaxSettings;
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::{BACKENDS, TestDatabase};
use kiban_store::{Arg, TenantDb};
use serde_json::json;

const DEMO: &str = "990019";

fn d(text: &str) -> Date {
    kiban_core::date::parse_iso(text).unwrap()
}

fn clerk() -> Actor {
    Actor::new("tax", "tax_clerk")
}

async fn non_resident(tenant: &TenantDb, name: &str, kana: &str) -> i64 {
    let info = BasicInfoDraft {
        name: name.into(),
        name_kana: kana.into(),
        birth_date: "1960-05-05".into(),
        sex: "male".into(),
        address: AddressDraft {
            postal_code: "5300001".into(),
            address_line: "大阪府大阪市北区梅田1-2-3".into(),
            katagaki: None,
        },
    }
    .parse(d("2026-01-01"))
    .unwrap();
    let registered = kiban_addressee::storage::register_non_resident(
        tenant,
        &clerk(),
        &NewNonResident {
            info,
            individual_number: None,
            effective_date: d("2020-01-01"),
            confirm_new: true,
        },
    )
    .await
    .unwrap();
    i64::try_from(registered.addressee_id.get()).unwrap()
}

async fn assessed(tenant: &TenantDb, addressee: i64, amounts: [i64; 2]) {
    let due = ["2026-06-30", "2026-08-31"];
    let notice = format!("2601{addressee:08}");
    let installments: Vec<_> = amounts
        .iter()
        .enumerate()
        .map(|(i, amount)| {
            json!({"period": i + 1, "due_date": due[i], "amount": amount, "notice_number": notice})
        })
        .collect();
    let payload = json!({
        "fiscal_year": 2026, "addressee_id": addressee, "addressee_ids": [addressee], "version": 1,
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

fn kinds() -> Kinds {
    Kinds::new(vec![Box::new(Demands)])
}

/// Runs the demands as of `as_of`; answers the outputs by name.
async fn run(tenant: &TenantDb, as_of: &str) -> BTreeMap<String, Vec<u8>> {
    let params: BTreeMap<String, String> = [("as_of".to_owned(), as_of.to_owned())].into();
    let id = engine::submit(tenant, &kinds(), DEMANDS_JOB, &params, "tax")
        .await
        .unwrap();
    let options = EngineOptions {
        chunk_size: 100,
        backoff: Duration::ZERO,
        max_attempts: 1,
        ..EngineOptions::default()
    };
    let status = engine::run_to_end(tenant, &kinds(), id, &options, Duration::ZERO, |_| {})
        .await
        .unwrap();
    let info = engine::status(tenant, id).await.unwrap().unwrap();
    assert_eq!(status, Status::Succeeded, "{:?}", info.error);
    let mut out = BTreeMap::new();
    for o in &info.outputs {
        let stored = engine::read_output(tenant, &kinds(), &clerk(), id, &o.name)
            .await
            .unwrap()
            .unwrap();
        out.insert(o.name.clone(), stored.content);
    }
    out
}

/// Runs the daily collection report of `date`; answers `daily.csv`.
async fn daily_report(tenant: &TenantDb, date: &str) -> String {
    run_report(tenant, DAILY_REPORT_JOB, ("date", date), DAILY_FILE).await
}

/// Runs a collection report; answers its file.
async fn run_report(tenant: &TenantDb, job: &str, param: (&str, &str), file: &str) -> String {
    let kinds = Kinds::new(vec![
        Box::new(CollectionReport::Daily),
        Box::new(CollectionReport::Monthly),
    ]);
    let params: BTreeMap<String, String> = [(param.0.to_owned(), param.1.to_owned())].into();
    let id = engine::submit(tenant, &kinds, job, &params, "tax")
        .await
        .unwrap();
    let options = EngineOptions {
        backoff: Duration::ZERO,
        max_attempts: 1,
        ..EngineOptions::default()
    };
    let status = engine::run_to_end(tenant, &kinds, id, &options, Duration::ZERO, |_| {})
        .await
        .unwrap();
    assert_eq!(status, Status::Succeeded);
    let stored = engine::read_output(tenant, &kinds, &clerk(), id, file)
        .await
        .unwrap()
        .unwrap();
    String::from_utf8(stored.content).unwrap()
}

#[tokio::test]
async fn demands_on_both_engines() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.unwrap();
        platform::create_municipality(
            &t.db,
            &Municipality {
                code: MunicipalityCode::parse(DEMO).unwrap(),
                name: "デモ市".into(),
                prefecture: "新潟県".into(),
            },
        )
        .await
        .unwrap();
        let demo =
            t.db.tenant(MunicipalityCode::parse(DEMO).unwrap())
                .await
                .unwrap();
        kiban_resident_tax::storage::settings::put(
            &demo,
            &Actor::new("admin", "municipality_admin"),
            FiscalYear::new(2026).unwrap(),
            &TaxSettings {
                collection_agency_code: Some("54321".into()),
                ..TaxSettings::default()
            },
        )
        .await
        .unwrap();
        let mut tx = demo.begin().await.unwrap();
        tx.execute(
            "INSERT INTO certifier_settings (municipality_code, version, mayor_title, mayor_name, \
             official_seal_png, recorded_at, recorded_by) VALUES ($1, 1, 'デモ市長', '見本　太郎', NULL, $2, 'test')",
            &[Arg::from(kiban_store::now_text())],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut input = SettingsInput {
            consignor_code: Some("1234567890".into()),
            consignor_name_kana: Some("ﾃﾞﾓｼ".into()),
            bank_code: Some("0001".into()),
            branch_code: Some("001".into()),
            account_type: Some("1".into()),
            account_number: Some("7654321".into()),
            ..SettingsInput::default()
        };
        input.demand_fee = Some(100);
        direct_debit::put_settings(&demo, &clerk(), &CollectionSettings::parse(&input).unwrap())
            .await
            .unwrap();
        let unpaid = non_resident(&demo, "督促　一郎", "トクソク　イチロウ").await;
        let paid = non_resident(&demo, "完納　花子", "カンノウ　ハナコ").await;
        assessed(&demo, unpaid, [30_000, 20_000]).await;
        assessed(&demo, paid, [10_000, 10_000]).await;
        consumer::drain(&demo, &ASSESSED_CONSUMER, &RetryPolicy::default())
            .await
            .unwrap();
        let file = format!(
            "notice_number,period,business,fiscal_year,paid_on,amount,channel\n\
             2601{paid:08},1,resident_tax,2026,2026-06-30,10000,counter\n\
             2601{unpaid:08},1,resident_tax,2026,2026-06-30,5000,counter\n"
        );
        payments::import(
            &demo,
            &clerk(),
            PaymentFormat::PaymentsCsv,
            file.as_bytes(),
            d("2026-06-30"),
        )
        .await
        .unwrap();

        // The day's collection: two payments of the 2026 resident tax (現年).
        assert_eq!(
            daily_report(&demo, "2026-06-30").await,
            "business,fiscal_year,year_kind,count,amount\nresident_tax,2026,current,2,15000\n",
            "{backend:?}"
        );
        // The same charges paid a year later are 滞繰 (arrears).
        let late = format!(
            "notice_number,period,business,fiscal_year,paid_on,amount,channel\n\
             2601{unpaid:08},2,resident_tax,2026,2027-07-01,20000,bank\n"
        );
        payments::import(
            &demo,
            &clerk(),
            PaymentFormat::PaymentsCsv,
            late.as_bytes(),
            d("2027-07-01"),
        )
        .await
        .unwrap();
        let report = daily_report(&demo, "2027-07-01").await;
        assert!(
            report.contains("resident_tax,2026,arrears,1,20000\n"),
            "{backend:?}: {report}"
        );
        assert_eq!(
            daily_report(&demo, "2026-07-01").await,
            "business,fiscal_year,year_kind,count,amount\n"
        );
        // The month of June 2026 holds the day's two payments; a month
        // that is not one is refused, naming the parameter.
        assert_eq!(
            run_report(
                &demo,
                MONTHLY_REPORT_JOB,
                ("month", "2026-06"),
                MONTHLY_FILE
            )
            .await,
            "business,fiscal_year,year_kind,count,amount\nresident_tax,2026,current,2,15000\n",
            "{backend:?}"
        );
        let kinds = Kinds::new(vec![Box::new(CollectionReport::Monthly)]);
        let bad: BTreeMap<String, String> = [("month".to_owned(), "2026-13".to_owned())].into();
        let refused = engine::submit(&demo, &kinds, MONTHLY_REPORT_JOB, &bad, "tax").await;
        assert!(format!("{refused:?}").contains("month"), "{refused:?}");

        let outputs = run(&demo, "2026-07-20").await;
        let index = String::from_utf8(outputs[INDEX].clone()).unwrap();
        let lines: Vec<&str> = index.lines().collect();
        assert_eq!(
            lines[0], "addressee_id,file,first_page,pages",
            "{backend:?}"
        );
        assert_eq!(lines.len(), 2, "{index}");
        assert!(lines[1].starts_with(&format!("{unpaid},demands-000001-01.pdf,1,")));
        let pdf = &outputs["demands-000001-01.pdf"];
        assert!(pdf.starts_with(b"%PDF"));

        let ledger = read::charges_of(&demo, &clerk(), unpaid, d("2026-07-20"))
            .await
            .unwrap();
        assert_eq!(ledger.charges[0].charge.demanded_on, Some(d("2026-07-20")));
        assert_eq!(ledger.charges[0].state.balance, Yen::new(25_000));
        assert_eq!(ledger.charges[1].charge.demanded_on, None, "not due yet");
        let other = read::charges_of(&demo, &clerk(), paid, d("2026-07-20"))
            .await
            .unwrap();
        assert_eq!(other.charges[0].charge.demanded_on, None, "paid");

        // Again: nothing more to demand.
        let again = run(&demo, "2026-07-21").await;
        assert_eq!(
            String::from_utf8(again[INDEX].clone()).unwrap(),
            "addressee_id,file,first_page,pages\n"
        );
        let mut tx = demo.begin().await.unwrap();
        let row = tx
            .fetch_optional(
                "SELECT COUNT(*), MAX(demand_fee) FROM collection_demands WHERE municipality_code = $1",
                &[],
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!((row.int(0).unwrap(), row.int(1).unwrap()), (1, 100));
        tx.rollback().await.unwrap();
        t.cleanup().await.unwrap();
    }
}
