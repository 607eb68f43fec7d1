//! The job `collection-transfer-request` (口座振替依頼データ): for a due
//! date, one 全銀協 data record per open charge due that day whose
//! addressee has a bank account in force on it registered for the
//! charge's business, the amount its balance; the output
//! `transfer-request.txt` with the header of the municipality's settings
//! (debit date = the due date) and the trailer's count and total.
//!
//! The plan fixes the addressees (those with a charge of the day and a
//! registered account) in number order, in chunks; a chunk writes its
//! records as a part (JSON) and logs each addressee put in the file as an
//! `export`; `finish` writes the file from the parts in chunk order, so a
//! resumed run gives the same bytes.

use kiban_audit::{Actor, AuditAction};
use kiban_collection::direct_debit::{BankAccount, in_force};
use kiban_collection::ledger::ChargeStatus;
use kiban_collection::zengin::{self, DataRecord, Header, ResultCode, TransferFile};
use kiban_core::{Date, Message, Yen};
use kiban_jobs::kind::{
    BoxFuture, ChunkResult, JobError, JobKind, Output, ParamError, ParamSpec, ParamType, Params,
    Parts, PlannedChunk,
};
use kiban_store::{Arg, TenantTx};
use serde_json::{Value, json};

use crate::direct_debit::{registrations, settings_in_force};
use crate::rows;

/// The job `collection-transfer-request`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TransferRequest;

/// Its name.
pub const TRANSFER_REQUEST_JOB: &str = "collection-transfer-request";

/// Its output.
pub const TRANSFER_REQUEST_FILE: &str = "transfer-request.txt";

const PART: &str = "records.json";

/// Addressees per chunk.
const ADDRESSEES_PER_CHUNK: usize = 500;

const PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "due_date",
    kind: ParamType::Date,
    required: true,
    description: "納期限（この日が納期限の未納の調定を、この日を引落日として口座振替に出す）",
}];

fn due_date(params: &Params) -> Result<Date, ParamError> {
    params.date("due_date")
}

fn record_json(r: &DataRecord) -> Value {
    json!({
        "bank_code": r.bank_code, "bank_name": r.bank_name,
        "branch_code": r.branch_code, "branch_name": r.branch_name,
        "account_type": r.account_type, "account_number": r.account_number,
        "holder": r.holder, "amount": r.amount.get(), "customer_number": r.customer_number,
    })
}

fn record_from_json(v: &Value) -> Option<DataRecord> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    Some(DataRecord {
        bank_code: s("bank_code")?,
        bank_name: s("bank_name")?,
        branch_code: s("branch_code")?,
        branch_name: s("branch_name")?,
        clearing_house: String::new(),
        account_type: s("account_type")?,
        account_number: s("account_number")?,
        holder: s("holder")?,
        amount: Yen::new(v.get("amount").and_then(Value::as_i64)?),
        new_code: '0',
        customer_number: s("customer_number")?,
        result: ResultCode::Debited,
    })
}

/// The debits of one addressee on `due`: its open charges due that day of
/// the businesses its account in force debits, in charge order.
fn debits(
    ledger: &kiban_collection::ledger::Ledger,
    account: &BankAccount,
    due: Date,
) -> Vec<DataRecord> {
    ledger
        .charges()
        .iter()
        .filter(|c| c.due_date == due && account.debits(c.key.business))
        .filter_map(|c| {
            let state = ledger.state(c);
            (state.status == ChargeStatus::Open && state.balance > Yen::ZERO).then(|| DataRecord {
                bank_code: account.bank_code.clone(),
                bank_name: account.bank_name_kana.clone(),
                branch_code: account.branch_code.clone(),
                branch_name: account.branch_name_kana.clone(),
                clearing_house: String::new(),
                account_type: account.account_type.clone(),
                account_number: account.account_number.clone(),
                holder: account.holder_kana.clone(),
                amount: state.balance,
                new_code: '0',
                customer_number: zengin::customer_number(&c.key.notice_number, c.key.period),
                result: ResultCode::Debited,
            })
        })
        .collect()
}

impl JobKind for TransferRequest {
    fn name(&self) -> &'static str {
        TRANSFER_REQUEST_JOB
    }

    fn business(&self) -> &'static str {
        "collection"
    }

    fn description(&self) -> &'static str {
        "口座振替依頼データ（全銀協形式 transfer-request.txt）を作る: 納期限の日に未納の調定のうち、その日に有効な口座がその業務で登録されているものを、未納額で1件ずつ"
    }

    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }

    fn personal_data(&self) -> bool {
        true
    }

    fn validate(&self, params: &Params) -> Result<(), ParamError> {
        due_date(params).map(|_| ())
    }

    fn plan<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        params: &'a Params,
        _chunk_size: u64,
    ) -> BoxFuture<'a, Result<Vec<PlannedChunk>, JobError>> {
        Box::pin(async move {
            let due = due_date(params)?;
            if settings_in_force(tx).await?.is_none() {
                return Err(JobError::Failed(
                    Message::CollectionSettingsNotSet {}.text(),
                ));
            }
            let rows = tx
                .fetch_all(
                    "SELECT DISTINCT c.addressee_id FROM collection_charges c \
                     WHERE c.municipality_code = $1 AND c.due_date = $2 AND c.business <> 'late_fee' \
                     AND EXISTS (SELECT 1 FROM collection_bank_accounts b \
                       WHERE b.municipality_code = c.municipality_code AND b.addressee_id = c.addressee_id \
                       AND b.valid_from <= $2) \
                     ORDER BY c.addressee_id",
                    &[Arg::from(due)],
                )
                .await?;
            let ids = rows
                .iter()
                .map(|r| r.int(0))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(PlannedChunk::numbered(&ids, ADDRESSEES_PER_CHUNK))
        })
    }

    fn run_chunk<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        params: &'a Params,
        chunk: &'a str,
    ) -> BoxFuture<'a, Result<ChunkResult, JobError>> {
        Box::pin(async move {
            let due = due_date(params)?;
            let (_, ids) = PlannedChunk::parse_numbered(chunk)
                .ok_or_else(|| JobError::unknown_chunk(chunk))?;
            let all = registrations(tx, &ids).await?;
            let actor = Actor::new(format!("batch:{TRANSFER_REQUEST_JOB}"), "batch");
            let mut records = Vec::new();
            let mut entries = Vec::new();
            for id in &ids {
                let mine: Vec<(i64, BankAccount)> = all
                    .iter()
                    .filter(|a| a.addressee_id == *id)
                    .map(|a| (a.version, a.account.clone()))
                    .collect();
                let Some((version, account)) = in_force(&mine, due) else {
                    continue;
                };
                let ledger = rows::load(tx, *id).await?;
                let made = debits(&ledger, account, due);
                if made.is_empty() {
                    continue;
                }
                entries.push(actor.entry(
                    AuditAction::Export,
                    Some(*id),
                    format!(
                        "collection transfer request {due} records {} account version {version}",
                        made.len()
                    ),
                ));
                records.extend(made.iter().map(record_json));
            }
            kiban_audit::append_many(tx, &entries).await?;
            Ok(ChunkResult {
                parts: vec![(
                    PART.to_owned(),
                    Value::Array(records).to_string().into_bytes(),
                )],
                errors: Vec::new(),
                done: ids.len() as u64,
            })
        })
    }

    fn finish<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        params: &'a Params,
        parts: Parts,
    ) -> BoxFuture<'a, Result<Vec<Output>, JobError>> {
        Box::pin(async move {
            let due = due_date(params)?;
            let settings = settings_in_force(tx)
                .await?
                .ok_or_else(|| JobError::Failed(Message::CollectionSettingsNotSet {}.text()))?
                .settings;
            let mut records = Vec::new();
            for part in parts.of(PART) {
                let value: Value = serde_json::from_slice(part)
                    .map_err(|e| JobError::Failed(format!("部分出力が読めません（{e}）")))?;
                for item in value.as_array().map(Vec::as_slice).unwrap_or(&[]) {
                    records.push(record_from_json(item).ok_or_else(|| {
                        JobError::Failed("部分出力のレコードが読めません".into())
                    })?);
                }
            }
            let header = Header {
                consignor_code: settings.consignor_code,
                consignor_name: settings.consignor_name_kana,
                debit_month: u8::try_from(due.month()).unwrap_or(0),
                debit_day: u8::try_from(due.day()).unwrap_or(0),
                bank_code: settings.bank_code,
                bank_name: settings.bank_name_kana,
                branch_code: settings.branch_code,
                branch_name: settings.branch_name_kana,
                account_type: settings.account_type,
                account_number: settings.account_number,
            };
            let file = TransferFile::request(header, records);
            let content = zengin::write(&file).map_err(|e| {
                JobError::Failed(format!(
                    "口座振替依頼データを書けません（レコード {}、{}: {}）",
                    e.record, e.field, e.message
                ))
            })?;
            Ok(vec![Output {
                name: TRANSFER_REQUEST_FILE.to_owned(),
                content_type: "text/plain; charset=Shift_JIS".to_owned(),
                content,
                rows: Some(file.records.len() as u64),
                pages: None,
            }])
        })
    }
}
