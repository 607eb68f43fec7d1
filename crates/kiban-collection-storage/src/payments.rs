//! Payments files (収納ファイル): imported once (by SHA-256), all or nothing,
//! in one transaction; each final record posted to its charge by the
//! ledger's rules, a record identical to one already received reported as
//! a duplicate and not posted, a record whose charge cannot be found put in
//! suspense (未消込) with its reason.

use std::collections::BTreeSet;

use kiban_audit::{Actor, AuditAction};
use kiban_collection::barcode::Business;
use kiban_collection::ledger::{
    ChargeKey, LedgerIssue, NoticeNumber, Payment, PaymentId, SuspenseId, Target,
};
use kiban_collection::payment_file::{
    self, PaymentFormat, PaymentRecord, RecordError, RecordTarget,
};
use kiban_collection::zengin::{self, ResultCode, TransferFile};
use kiban_core::{Date, FiscalYear, Message};
use kiban_store::{Arg, StoreError, TenantDb, TenantTx, now_text};
use sha2::{Digest, Sha256};

use crate::rows::{self, FILE_SEQUENCE, Origin, PAYMENT_SEQUENCE, SUSPENSE_SEQUENCE, int, yen};

/// One line of the report's `issues`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportIssue {
    /// The record.
    pub record: usize,
    /// A stable code: `preliminary`, `duplicate`, `unknown_charge`,
    /// `check_digit`, `barcode`, `customer_number`, `late_fee_not_computed`,
    /// and for a direct debit not made `transfer_failed_insufficient_funds`,
    /// `transfer_failed_no_account`, `transfer_failed_stopped_by_depositor`,
    /// `transfer_failed_no_authorisation`,
    /// `transfer_failed_stopped_by_municipality`, `transfer_failed_other`.
    pub code: String,
    /// What happened (Japanese).
    pub message: String,
    /// The suspense item the record went to.
    pub suspense_id: Option<i64>,
}

/// What an import did (the contract's report).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// The file's number.
    pub file_id: i64,
    /// Records in the file.
    pub records: usize,
    /// Records posted to a charge.
    pub posted: usize,
    /// Of those, records that left an overpayment.
    pub overpaid: usize,
    /// Records put in suspense.
    pub suspense: usize,
    /// Records identical to one already received: not posted.
    pub duplicates: usize,
    /// What the clerk should look at, by record.
    pub issues: Vec<ReportIssue>,
}

impl ImportReport {
    /// The contract's report: `{"records","posted","overpaid","suspense",
    /// "duplicates","issues":[{"record","code","message","suspense_id"?}]}`,
    /// with `file_id` added.
    pub fn to_json(&self) -> serde_json::Value {
        let issues: Vec<serde_json::Value> = self
            .issues
            .iter()
            .map(|i| {
                let mut issue = serde_json::json!({
                    "record": i.record,
                    "code": i.code,
                    "message": i.message,
                });
                if let (Some(id), Some(obj)) = (i.suspense_id, issue.as_object_mut()) {
                    obj.insert("suspense_id".into(), serde_json::json!(id));
                }
                issue
            })
            .collect();
        serde_json::json!({
            "file_id": self.file_id,
            "records": self.records,
            "posted": self.posted,
            "overpaid": self.overpaid,
            "suspense": self.suspense,
            "duplicates": self.duplicates,
            "issues": issues,
        })
    }
}

/// Why a file was not imported (nothing was stored).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Malformed records (or header), each named.
    #[error("malformed file: {}", .0.first().map(ToString::to_string).unwrap_or_default())]
    Malformed(Vec<RecordError>),
    /// The same file (same SHA-256) was imported before.
    #[error("file already imported as {0}")]
    AlreadyImported(i64),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    /// The catalogue's message (the API's error, the CLI's line).
    pub fn message(&self) -> Message {
        match self {
            ImportError::Malformed(errors) => Message::PaymentFileMalformed {
                count: errors.len().to_string(),
                first: errors.first().map(ToString::to_string).unwrap_or_default(),
            },
            ImportError::AlreadyImported(file_id) => Message::PaymentFileDuplicate {
                file_id: file_id.to_string(),
            },
            ImportError::Store(e) => e.message(),
        }
    }
}

/// The problems of a malformed file as the API and the report write them:
/// `[{"record","field","message"}]`.
pub fn problems_json(errors: &[RecordError]) -> Vec<serde_json::Value> {
    errors
        .iter()
        .map(|e| serde_json::json!({"record": e.record, "field": e.field, "message": e.message}))
        .collect()
}

/// The file already imported with `digest`, if any.
async fn imported_as(tenant: &TenantDb, digest: &str) -> Result<Option<i64>, StoreError> {
    let mut tx = tenant.begin_read().await?;
    let row = tx
        .fetch_optional(
            "SELECT file_id FROM collection_payment_files WHERE municipality_code = $1 AND digest = $2",
            &[Arg::from(digest)],
        )
        .await?;
    tx.commit().await?;
    row.map(|r| r.int(0)).transpose()
}

/// The SHA-256 of a file, in lowercase hex.
fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Imports a payments file in one transaction, posting on `today`.
pub async fn import(
    tenant: &TenantDb,
    actor: &Actor,
    format: PaymentFormat,
    bytes: &[u8],
    today: Date,
) -> Result<ImportReport, ImportError> {
    let source = match format {
        PaymentFormat::ZenginTransferResult => Source::Transfer(Box::new(
            transfer_result(bytes).map_err(ImportError::Malformed)?,
        )),
        _ => Source::Records(payment_file::read(format, bytes).map_err(ImportError::Malformed)?),
    };
    let digest = digest(bytes);
    let mut tx = tenant.begin().await?;
    if let Some(row) = tx
        .fetch_optional(
            "SELECT file_id FROM collection_payment_files WHERE municipality_code = $1 AND digest = $2",
            &[Arg::from(digest.as_str())],
        )
        .await?
    {
        return Err(ImportError::AlreadyImported(row.int(0)?));
    }
    let records = match source {
        Source::Records(records) => records,
        Source::Transfer(file) => transfer_records(&mut tx, &file, bytes, today).await?,
    };
    let file_id = tx.next_numbers(FILE_SEQUENCE, 1).await?;
    let at = now_text();
    let stored = tx
        .insert_rows(
            "collection_payment_files",
            &[
                "file_id",
                "format",
                "digest",
                "record_count",
                "imported_at",
                "imported_by",
            ],
            &[vec![
                int(file_id),
                Arg::from(format.name()),
                Arg::from(digest.as_str()),
                int(i64::try_from(records.len()).unwrap_or(i64::MAX)),
                Arg::from(at.as_str()),
                Arg::from(actor.login.as_str()),
            ]],
        )
        .await;
    if let Err(e) = stored {
        // The same file imported at the same moment by another clerk: the
        // other import committed first and holds the digest.
        if e.is_unique_violation() {
            tx.rollback().await?;
            return Err(match imported_as(tenant, &digest).await? {
                Some(other) => ImportError::AlreadyImported(other),
                None => e.into(),
            });
        }
        return Err(e.into());
    }
    let mut report = ImportReport {
        file_id,
        records: records.len(),
        ..ImportReport::default()
    };
    let mut seen = BTreeSet::new();
    let mut entries = vec![actor.entry(
        AuditAction::Change,
        None,
        format!(
            "collection payment file {file_id} {} records {}",
            format.name(),
            records.len()
        ),
    )];
    for record in &records {
        if let Some(result) = record.failed_transfer {
            report.issues.push(ReportIssue {
                record: record.record,
                code: result.issue_code().to_owned(),
                message: format!(
                    "口座振替できませんでした（結果コード {}: {}）。調定は未納のままです（納付書を送付してください）",
                    result.digit(),
                    result.label_ja()
                ),
                suspense_id: None,
            });
            continue;
        }
        if record.preliminary {
            report.issues.push(ReportIssue {
                record: record.record,
                code: "preliminary".into(),
                message: "速報のため消し込みません（確報で消し込みます）".into(),
                suspense_id: None,
            });
            continue;
        }
        if !seen.insert(record.fingerprint.clone())
            || tx
                .fetch_optional(
                    "SELECT payment_id FROM collection_payments WHERE municipality_code = $1 \
                     AND fingerprint = $2 LIMIT 1",
                    &[Arg::from(record.fingerprint.as_str())],
                )
                .await?
                .is_some()
        {
            report.duplicates += 1;
            report.issues.push(ReportIssue {
                record: record.record,
                code: "duplicate".into(),
                message:
                    "同じ納付（同じ納付日・店舗または経路・金額）を受け付け済みのため消し込みません"
                        .into(),
                suspense_id: None,
            });
            continue;
        }
        let payment_id = insert_payment(&mut tx, actor, file_id, record, &at).await?;
        let payment = Payment {
            payment_id: PaymentId(payment_id),
            paid_on: record.paid_on,
            amount: record.amount,
        };
        let owed = match &record.target {
            RecordTarget::Charge(key) => charge_owner(&mut tx, key)
                .await?
                .map(|addressee_id| (addressee_id, key)),
            RecordTarget::Unreadable { .. } => None,
        };
        let Some((addressee_id, key)) = owed else {
            let (reason, message) = match &record.target {
                RecordTarget::Unreadable { reason, message } => (*reason, message.clone()),
                RecordTarget::Charge(key) => (
                    "unknown_charge",
                    format!(
                        "通知書番号 {} 期別 {} の調定がありません",
                        key.notice_number, key.period
                    ),
                ),
            };
            let suspense_id = suspend(&mut tx, actor, &payment, reason, &at).await?;
            report.suspense += 1;
            report.issues.push(ReportIssue {
                record: record.record,
                code: reason.to_owned(),
                message,
                suspense_id: Some(suspense_id),
            });
            continue;
        };
        let mut ledger = rows::load(&mut tx, addressee_id).await?;
        // The charge was found for this addressee: a ledger without it is
        // not one this store wrote (the whole import is refused, never a
        // payment stored without its allocation).
        let charge_id = ledger
            .charge_by_key(key)
            .map(|c| c.charge_id)
            .ok_or_else(|| StoreError::Corrupt {
                column: "collection_charges".into(),
                reason: format!(
                    "the charge {} {} is not in the ledger of its addressee",
                    key.notice_number, key.period
                ),
            })?;
        let changes = ledger
            .post(payment, charge_id, today)
            .map_err(|e| StoreError::Corrupt {
                column: "collection_payments".into(),
                reason: e.to_string(),
            })?;
        let changes = rows::save(
            &mut tx,
            changes,
            &Origin {
                event_id: None,
                effective_on: today,
                recorded_by: &actor.login,
            },
        )
        .await?;
        report.posted += 1;
        if changes.overpaid() {
            report.overpaid += 1;
        }
        for issue in &changes.issues {
            let LedgerIssue::LateFeeNotComputed { charge_id, error } = issue;
            report.issues.push(ReportIssue {
                record: record.record,
                code: "late_fee_not_computed".into(),
                message: format!(
                    "調定 {} の延滞金を計算できません（{}）",
                    charge_id.0,
                    error.message().text()
                ),
                suspense_id: None,
            });
        }
        entries.push(actor.entry(
            AuditAction::Change,
            Some(addressee_id),
            format!(
                "collection payment {payment_id} charge {} file {file_id}",
                charge_id.0
            ),
        ));
    }
    kiban_audit::append_many(&mut tx, &entries).await?;
    tx.commit().await?;
    Ok(report)
}

/// What a file holds once read, before anything is stored.
enum Source {
    /// The records of a CSV file.
    Records(Vec<PaymentRecord>),
    /// A 全銀協 result file.
    Transfer(Box<TransferFile>),
}

/// Reads a `zengin-transfer-result` file: a result file (its trailer's
/// debited and failed counts filled: a request file sent back unchanged
/// is refused), every debited record with an amount.
fn transfer_result(bytes: &[u8]) -> Result<TransferFile, Vec<RecordError>> {
    let file = zengin::parse(bytes)?;
    let trailer_record = file.records.len() + 2;
    if !file.records.is_empty() && !file.is_result() {
        return Err(vec![RecordError {
            record: trailer_record,
            field: "debited_count".into(),
            message: "振替結果（振替済件数・振替不能件数）のない依頼データです".into(),
        }]);
    }
    let zero: Vec<RecordError> = file
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.amount <= kiban_core::Yen::ZERO)
        .map(|(i, _)| RecordError {
            record: i + 2,
            field: "amount".into(),
            message: "引落金額が0円です".into(),
        })
        .collect();
    if zero.is_empty() { Ok(file) } else { Err(zero) }
}

/// The payments of a result file: each data record's charge found by its
/// 顧客番号 (notice number and period; the principal, not a late fee),
/// debited on the header's MMDD in the year that puts it nearest to the
/// charge's due date (for a charge not found: the latest such day not
/// after `today`). A record of another consignor's file refuses the file.
async fn transfer_records(
    tx: &mut TenantTx,
    file: &TransferFile,
    bytes: &[u8],
    today: Date,
) -> Result<Vec<PaymentRecord>, ImportError> {
    if let Some(settings) = crate::direct_debit::settings_in_force(tx).await?
        && settings.settings.consignor_code != file.header.consignor_code
    {
        return Err(ImportError::Malformed(vec![RecordError {
            record: 1,
            field: "consignor_code".into(),
            message: format!(
                "委託者コードがこの団体の設定（{}）と違います（{}）",
                settings.settings.consignor_code, file.header.consignor_code
            ),
        }]));
    }
    let (month, day) = (file.header.debit_month, file.header.debit_day);
    let bad_date = || {
        ImportError::Malformed(vec![RecordError {
            record: 1,
            field: "debit_date".into(),
            message: format!("引落日 {month:02}{day:02} は実在しません"),
        }])
    };
    let mut records = Vec::with_capacity(file.records.len());
    for (i, data) in file.records.iter().enumerate() {
        let record = i + 2;
        let start = (record - 1) * (zengin::RECORD_LEN + 2);
        let raw = bytes
            .get(start..start + zengin::RECORD_LEN)
            .map(|b| {
                encoding_rs::SHIFT_JIS
                    .decode_without_bom_handling(b)
                    .0
                    .into_owned()
            })
            .unwrap_or_default();
        let (target, paid_on) = match zengin::parse_customer_number(&data.customer_number) {
            None => (
                RecordTarget::Unreadable {
                    reason: "customer_number",
                    message: format!(
                        "顧客番号が通知書番号・期別の形ではありません（{}）",
                        data.customer_number
                    ),
                },
                zengin::latest_on_or_before(month, day, today).ok_or_else(bad_date)?,
            ),
            Some((notice_number, period)) => {
                match principal_charge(tx, &notice_number, period).await? {
                    Some((key, due)) => (
                        RecordTarget::Charge(key),
                        zengin::debit_date(month, day, due).ok_or_else(bad_date)?,
                    ),
                    None => (
                        RecordTarget::Unreadable {
                            reason: "unknown_charge",
                            message: format!(
                                "通知書番号 {notice_number} 期別 {period} の調定がありません"
                            ),
                        },
                        zengin::latest_on_or_before(month, day, today).ok_or_else(bad_date)?,
                    ),
                }
            }
        };
        let failed_transfer = (data.result != ResultCode::Debited).then_some(data.result);
        records.push(PaymentRecord {
            record,
            fingerprint: format!(
                "notice|{}|{paid_on}|channel|bank|{}",
                match &target {
                    RecordTarget::Charge(key) => format!("{}|{}", key.notice_number, key.period),
                    RecordTarget::Unreadable { .. } => format!("customer|{}", data.customer_number),
                },
                data.amount.get()
            ),
            target,
            paid_on,
            amount: data.amount,
            channel: "bank".to_owned(),
            store_code: None,
            preliminary: false,
            raw,
            failed_transfer,
        });
    }
    Ok(records)
}

/// The principal charge (not a late fee) of a notice number and period,
/// with its due date.
async fn principal_charge(
    tx: &mut TenantTx,
    notice_number: &NoticeNumber,
    period: u8,
) -> Result<Option<(ChargeKey, Date)>, StoreError> {
    let Some(row) = tx
        .fetch_optional(
            "SELECT business, fiscal_year, due_date FROM collection_charges \
             WHERE municipality_code = $1 AND notice_number = $2 AND period = $3 \
             AND business <> 'late_fee' ORDER BY charge_id LIMIT 1",
            &[Arg::from(notice_number.as_str()), int(i64::from(period))],
        )
        .await?
    else {
        return Ok(None);
    };
    let business = row.text(0)?;
    let business = Business::from_wire_name(&business)
        .ok_or_else(|| crate::rows::corrupt("business", business))?;
    let fiscal_year = FiscalYear::new(i32::try_from(row.int(1)?).unwrap_or(0))
        .map_err(|e| crate::rows::corrupt("fiscal_year", e.to_string()))?;
    Ok(Some((
        ChargeKey {
            business,
            fiscal_year,
            notice_number: notice_number.clone(),
            period,
        },
        row.date(2)?,
    )))
}

/// The addressee who owes the charge of `key`, if there is one.
async fn charge_owner(tx: &mut TenantTx, key: &ChargeKey) -> Result<Option<i64>, StoreError> {
    tx.fetch_optional(
        "SELECT addressee_id FROM collection_charges WHERE municipality_code = $1 \
         AND business = $2 AND fiscal_year = $3 AND notice_number = $4 AND period = $5 \
         ORDER BY charge_id LIMIT 1",
        &[
            Arg::from(key.business.wire_name()),
            int(i64::from(key.fiscal_year.start_year())),
            Arg::from(key.notice_number.as_str()),
            int(i64::from(key.period)),
        ],
    )
    .await?
    .map(|r| r.int(0))
    .transpose()
}

async fn insert_payment(
    tx: &mut TenantTx,
    actor: &Actor,
    file_id: i64,
    record: &PaymentRecord,
    at: &str,
) -> Result<i64, StoreError> {
    let payment_id = tx.next_numbers(PAYMENT_SEQUENCE, 1).await?;
    tx.insert_rows(
        "collection_payments",
        &[
            "payment_id",
            "file_id",
            "record_no",
            "paid_on",
            "amount",
            "channel",
            "store_code",
            "fingerprint",
            "raw",
            "recorded_at",
            "recorded_by",
        ],
        &[vec![
            int(payment_id),
            int(file_id),
            int(i64::try_from(record.record).unwrap_or(i64::MAX)),
            Arg::from(record.paid_on),
            yen(record.amount),
            Arg::from(record.channel.as_str()),
            Arg::from(record.store_code.clone()),
            Arg::from(record.fingerprint.as_str()),
            Arg::from(record.raw.as_str()),
            Arg::from(at),
            Arg::from(actor.login.as_str()),
        ]],
    )
    .await?;
    Ok(payment_id)
}

/// Puts a stored payment in suspense with `reason`; returns the item's number.
async fn suspend(
    tx: &mut TenantTx,
    actor: &Actor,
    payment: &Payment,
    reason: &str,
    at: &str,
) -> Result<i64, StoreError> {
    let suspense_id = tx.next_numbers(SUSPENSE_SEQUENCE, 1).await?;
    tx.insert_rows(
        "collection_suspense",
        &["suspense_id", "payment_id", "reason", "created_at"],
        &[vec![
            int(suspense_id),
            int(payment.payment_id.0),
            Arg::from(reason),
            Arg::from(at),
        ]],
    )
    .await?;
    let changes = kiban_collection::ledger::Changes {
        allocations: vec![kiban_collection::ledger::Allocation {
            payment_id: payment.payment_id,
            target: Target::Suspense(SuspenseId(suspense_id)),
            amount: payment.amount,
        }],
        ..Default::default()
    };
    rows::save(
        tx,
        changes,
        &Origin {
            event_id: None,
            effective_on: payment.paid_on,
            recorded_by: &actor.login,
        },
    )
    .await?;
    Ok(suspense_id)
}
