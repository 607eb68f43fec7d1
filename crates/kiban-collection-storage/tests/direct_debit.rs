//! 口座振替 (direct debit) on both engines: settings and bank accounts
//! stored as versions, the job `collection-transfer-request` whose output
//! is parsed back byte for byte, and the bank's result file imported
//! (code 0 posted on the debit date, code 1 listed and left open, the same
//! file refused twice, a malformed one importing nothing), with another
//! municipality unable to register an account for an addressee it does
//! not have.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use std::collections::BTreeMap;
use std::time::Duration;

use kiban_audit::Actor;
use kiban_collection::direct_debit::{
    BankAccount, BankAccountInput, CollectionSettings, SettingsInput,
};
use kiban_collection::ledger::ChargeStatus;
use kiban_collection::payment_file::PaymentFormat;
use kiban_collection::zengin::{self, ResultCode, TransferFile};
use kiban_collection_storage::charges::ASSESSED_CONSUMER;
use kiban_collection_storage::direct_debit::{self, AccountError};
use kiban_collection_storage::payments::{self, ImportError};
use kiban_collection_storage::read;
use kiban_collection_storage::transfer::{
    TRANSFER_REQUEST_FILE, TRANSFER_REQUEST_JOB, TransferRequest,
};
use kiban_core::{Date, FiscalYear, MunicipalityCode, Yen};
use kiban_jobs::consumer::{self, RetryPolicy};
use kiban_jobs::engine::{self, EngineOptions, Status};
use kiban_jobs::kind::Kinds;
use kiban_resident_tax::domain::settings::SettingsInput as TaxSettings;
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::{BACKENDS, TestDatabase};
use kiban_store::{Arg, Backend, TenantDb};
use serde_json::json;

const DEMO: &str = "990019";
const OTHER: &str = "131016";

fn d(text: &str) -> Date {
    kiban_core::date::parse_iso(text).unwrap()
}

fn clerk() -> Actor {
    Actor::new("tax", "tax_clerk")
}

fn notice(addressee: i64) -> String {
    format!("2601{addressee:08}")
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

/// Registers non-residents (住登外者) with these numbers.
async fn addressees(tenant: &TenantDb, ids: &[i64]) {
    let mut tx = tenant.begin().await.unwrap();
    for id in ids {
        tx.execute(
            "INSERT INTO addressees (municipality_code, addressee_id, kind, registered_at, registered_by) \
             VALUES ($1, $2, 'non_resident', $3, 'test')",
            &[Arg::Int(*id), Arg::from(kiban_store::now_text())],
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// A `resident_tax_assessed` event of FY2026 for `addressee`: periods due
/// 2026-06-30 and 2026-08-31.
async fn assessed(tenant: &TenantDb, addressee: i64, amounts: [i64; 2]) {
    let due = ["2026-06-30", "2026-08-31"];
    let installments: Vec<_> = amounts
        .iter()
        .enumerate()
        .map(|(i, amount)| {
            json!({"period": i + 1, "due_date": due[i], "amount": amount, "notice_number": notice(addressee)})
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

fn account(valid_from: &str, businesses: &[&str], holder: &str) -> BankAccount {
    BankAccount::parse(&BankAccountInput {
        bank_code: Some("0005".into()),
        bank_name_kana: Some("ﾐﾂﾋﾞｼ".into()),
        branch_code: Some("123".into()),
        branch_name_kana: Some("ﾎﾝﾃﾝ".into()),
        account_type: Some("1".into()),
        account_number: Some("1234567".into()),
        holder_kana: Some(holder.into()),
        businesses: Some(businesses.iter().map(|b| (*b).to_owned()).collect()),
        valid_from: Some(valid_from.into()),
    })
    .unwrap()
}

fn settings() -> CollectionSettings {
    CollectionSettings::parse(&SettingsInput {
        consignor_code: Some("1234567890".into()),
        consignor_name_kana: Some("ﾃﾞﾓｼ".into()),
        bank_code: Some("0001".into()),
        bank_name_kana: Some("ﾐｽﾞﾎ".into()),
        branch_code: Some("001".into()),
        branch_name_kana: Some("ｼﾔｸｼﾖ".into()),
        account_type: Some("1".into()),
        account_number: Some("7654321".into()),
        demand_fee: None,
    })
    .unwrap()
}

fn kinds() -> Kinds {
    Kinds::new(vec![Box::new(TransferRequest)])
}

/// Runs the transfer request for `due` to its end; answers the file.
async fn transfer_request(tenant: &TenantDb, due: &str) -> Vec<u8> {
    let params: BTreeMap<String, String> = [("due_date".to_owned(), due.to_owned())].into();
    let id = engine::submit(tenant, &kinds(), TRANSFER_REQUEST_JOB, &params, "tax")
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
    let run = engine::status(tenant, id).await.unwrap().unwrap();
    assert_eq!(status, Status::Succeeded, "{:?}", run.error);
    engine::read_output(tenant, &kinds(), &clerk(), id, TRANSFER_REQUEST_FILE)
        .await
        .unwrap()
        .unwrap()
        .content
}

async fn count(tenant: &TenantDb, sql: &str) -> i64 {
    let mut tx = tenant.begin().await.unwrap();
    let n = tx
        .fetch_optional(sql, &[])
        .await
        .unwrap()
        .unwrap()
        .int(0)
        .unwrap();
    tx.rollback().await.unwrap();
    n
}

async fn import(tenant: &TenantDb, bytes: &[u8]) -> Result<payments::ImportReport, ImportError> {
    payments::import(
        tenant,
        &clerk(),
        PaymentFormat::ZenginTransferResult,
        bytes,
        d("2026-07-05"),
    )
    .await
}

#[tokio::test]
async fn direct_debit_on_both_engines() {
    for backend in BACKENDS {
        let (t, demo, other) = setup(backend).await;
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
        addressees(&demo, &[17, 18, 19, 20]).await;
        for (addressee, amounts) in [
            (17, [30_000, 20_000]),
            (18, [12_300, 12_300]),
            (19, [5_000, 5_000]),
            (20, [8_000, 8_000]),
        ] {
            assessed(&demo, addressee, amounts).await;
        }
        consumer::drain(&demo, &ASSESSED_CONSUMER, &RetryPolicy::default())
            .await
            .unwrap();

        // Settings and accounts, each a version; 17 pays part of period 1
        // at the counter first (the request debits the balance); 19's
        // account starts after the due date, 20 has none.
        let stored = direct_debit::put_settings(&demo, &clerk(), &settings())
            .await
            .unwrap();
        assert_eq!(stored.version, 1);
        direct_debit::put_account(
            &demo,
            &clerk(),
            17,
            &account("2026-01-01", &["nhi_tax"], "ﾔﾏﾀﾞ ﾀﾛｳ"),
        )
        .await
        .unwrap();
        let second = direct_debit::put_account(
            &demo,
            &clerk(),
            17,
            &account("2026-04-01", &["resident_tax"], "ﾔﾏﾀﾞ ﾀﾛｳ"),
        )
        .await
        .unwrap();
        assert_eq!(second.version, 2);
        direct_debit::put_account(
            &demo,
            &clerk(),
            18,
            &account("2026-04-01", &["resident_tax"], "ｽｽﾞｷ ﾊﾅｺ"),
        )
        .await
        .unwrap();
        direct_debit::put_account(
            &demo,
            &clerk(),
            19,
            &account("2026-07-01", &["resident_tax"], "ｻﾄｳ ｼﾞﾛｳ"),
        )
        .await
        .unwrap();
        let read_back = direct_debit::account(&demo, &clerk(), 17, d("2026-06-30"))
            .await
            .unwrap();
        assert_eq!(read_back.version, 2);
        assert!(matches!(
            direct_debit::account(&demo, &clerk(), 19, d("2026-06-30")).await,
            Err(AccountError::NotFound)
        ));
        // Another municipality has no addressee 17: nothing registered or read.
        assert!(matches!(
            direct_debit::put_account(
                &other,
                &clerk(),
                17,
                &account("2026-04-01", &["resident_tax"], "ﾀﾆﾝ")
            )
            .await,
            Err(AccountError::NotFound)
        ));
        assert!(matches!(
            direct_debit::account(&other, &clerk(), 17, d("2026-06-30")).await,
            Err(AccountError::NotFound)
        ));
        let counter = format!(
            "notice_number,period,business,fiscal_year,paid_on,amount,channel\n{},1,resident_tax,2026,2026-06-01,10000,counter\n",
            notice(17)
        );
        payments::import(
            &demo,
            &clerk(),
            PaymentFormat::PaymentsCsv,
            counter.as_bytes(),
            d("2026-06-01"),
        )
        .await
        .unwrap();

        // The request: the job's bytes parsed back, written again the same.
        let bytes = transfer_request(&demo, "2026-06-30").await;
        let file = zengin::parse(&bytes).unwrap();
        assert_eq!(zengin::write(&file).unwrap(), bytes, "{backend:?}");
        assert_eq!(bytes.len(), 5 * 122);
        assert_eq!(file.header.consignor_code, "1234567890");
        assert_eq!(file.header.consignor_name, "ﾃﾞﾓｼ");
        assert_eq!((file.header.debit_month, file.header.debit_day), (6, 30));
        let customers: Vec<&str> = file
            .records
            .iter()
            .map(|r| r.customer_number.as_str())
            .collect();
        assert_eq!(customers, ["26010000001701000000", "26010000001801000000"]);
        assert_eq!(file.records[0].amount, Yen::new(20_000), "the balance");
        assert_eq!(file.records[0].holder, "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(file.records[1].amount, Yen::new(12_300));
        assert_eq!((file.trailer.count, file.trailer.total), (2, 32_300));
        assert_eq!(
            (file.trailer.debited_count, file.trailer.failed_count),
            (0, 0)
        );
        // The same run again: the same bytes (the engine resumes nothing,
        // a new run reads the same data).
        assert_eq!(transfer_request(&demo, "2026-06-30").await, bytes);
        // Each addressee put in the file is in the access log.
        assert_eq!(
            count(
                &demo,
                "SELECT COUNT(*) FROM audit_log WHERE municipality_code = $1 \
                 AND action = 'export' AND detail LIKE 'collection transfer request%'"
            )
            .await,
            4
        );

        // The request sent back unchanged is not a result.
        assert!(
            matches!(import(&demo, &bytes).await, Err(ImportError::Malformed(e)) if e[0].field == "debited_count")
        );

        // The bank's result: 17 debited, 18 insufficient funds.
        let mut result = file.clone();
        result.records[1].result = ResultCode::InsufficientFunds;
        result.trailer = TransferFile::result_trailer(&result.records);
        let result_bytes = zengin::write(&result).unwrap();

        // A malformed copy (a result code that does not exist) imports nothing.
        let mut malformed = result_bytes.clone();
        malformed[2 * 122 + 111] = b'7';
        match import(&demo, &malformed).await {
            Err(ImportError::Malformed(errors)) => {
                assert_eq!(
                    (errors[0].record, errors[0].field.as_str()),
                    (3, "result_code")
                );
            }
            other => panic!("{other:?}"),
        }
        let before = count(
            &demo,
            "SELECT COUNT(*) FROM collection_payments WHERE municipality_code = $1",
        )
        .await;
        assert_eq!(before, 1, "only the counter payment");

        let report = import(&demo, &result_bytes).await.unwrap();
        assert_eq!((report.records, report.posted, report.suspense), (2, 1, 0));
        assert_eq!(report.issues.len(), 1, "{report:?}");
        assert_eq!(report.issues[0].record, 3);
        assert_eq!(report.issues[0].code, "transfer_failed_insufficient_funds");
        assert!(matches!(
            import(&demo, &result_bytes).await,
            Err(ImportError::AlreadyImported(_))
        ));

        let seventeen = read::charges_of(&demo, &clerk(), 17, d("2026-07-05"))
            .await
            .unwrap();
        let first = &seventeen.charges[0];
        assert_eq!(first.state.status, ChargeStatus::Paid);
        let eighteen = read::charges_of(&demo, &clerk(), 18, d("2026-07-05"))
            .await
            .unwrap();
        assert_eq!(eighteen.charges[0].state.status, ChargeStatus::Open);
        assert_eq!(eighteen.charges[0].state.balance, Yen::new(12_300));
        let mut tx = demo.begin().await.unwrap();
        let row = tx
            .fetch_optional(
                "SELECT paid_on, channel, amount FROM collection_payments \
                 WHERE municipality_code = $1 ORDER BY payment_id DESC LIMIT 1",
                &[],
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.text(0).unwrap(), "2026-06-30", "the debit date");
        assert_eq!(row.text(1).unwrap(), "bank");
        assert_eq!(row.int(2).unwrap(), 20_000);
        tx.rollback().await.unwrap();
        let check = kiban_collection_storage::verify::verify(&demo, &clerk())
            .await
            .unwrap();
        assert!(check.first_discrepancy.is_none(), "{check:?}");

        // A result of another consignor is refused.
        let mut foreign = result.clone();
        foreign.header.consignor_code = "9999999999".into();
        match import(&demo, &zengin::write(&foreign).unwrap()).await {
            Err(ImportError::Malformed(errors)) => {
                assert_eq!(
                    (errors[0].record, errors[0].field.as_str()),
                    (1, "consignor_code")
                );
            }
            other => panic!("{other:?}"),
        }
        t.cleanup().await.unwrap();
    }
}
