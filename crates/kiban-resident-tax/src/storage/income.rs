//! Income records (所得情報) in `income_files` and `income_records`
//! (migration `0017_resident_tax_income.sql` of `kiban-store`).
//!
//! Rows are never updated. An assignment of an unmatched row is a row of its
//! own (`status = 'assigned'`) whose `origin_id` is the assigned row; a
//! later assignment of the same row replaces an earlier one. Among the
//! effective rows of one addressee, source and payer number, the report
//! read last (the greatest `origin_id`) wins: a corrected report replaces
//! the earlier one.

mod import;
mod queue;

pub use import::{
    Entered, ImportError, ImportIssue, ImportReport, check_rules, enter_record, import_income_file,
};
pub use queue::{
    AssignError, Assigned, MAX_QUEUE_PAGE, QueueItem, QueuePage, assign_record, matching_queue,
};

use kiban_addressee::domain::AddresseeId;
use kiban_core::{FiscalYear, IndividualNumber};
use kiban_store::{Arg, Row, StoreError, TenantTx};

use crate::domain::income::IncomeRecord;

/// The counter of income record numbers.
pub(crate) const RECORD_SEQUENCE: &str = "income_record";
/// The counter of income file numbers.
pub(crate) const FILE_SEQUENCE: &str = "income_file";

/// How a stored row stands towards the addressee master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchStatus {
    /// Matched to one addressee on import.
    Matched,
    /// Matched nobody (in the 突合 queue).
    Unmatched,
    /// Matched several addressees, listed (in the 突合 queue).
    Ambiguous(Vec<AddresseeId>),
    /// A clerk's assignment of an unmatched or ambiguous row.
    Assigned,
}

impl MatchStatus {
    /// The code stored and shown (`matched`, `unmatched`, `ambiguous`,
    /// `assigned`).
    pub fn code(&self) -> &'static str {
        match self {
            MatchStatus::Matched => "matched",
            MatchStatus::Unmatched => "unmatched",
            MatchStatus::Ambiguous(_) => "ambiguous",
            MatchStatus::Assigned => "assigned",
        }
    }

    fn candidates_text(&self) -> String {
        match self {
            MatchStatus::Ambiguous(ids) => ids
                .iter()
                .map(|id| id.get().to_string())
                .collect::<Vec<_>>()
                .join(" "),
            _ => String::new(),
        }
    }

    fn from_row(code: &str, candidates: &str) -> Result<Self, StoreError> {
        Ok(match code {
            "matched" => MatchStatus::Matched,
            "unmatched" => MatchStatus::Unmatched,
            "assigned" => MatchStatus::Assigned,
            "ambiguous" => MatchStatus::Ambiguous(
                candidates
                    .split_whitespace()
                    .map(|n| {
                        n.parse::<u64>()
                            .map(AddresseeId::new)
                            .map_err(|_| corrupt("income_records.candidates", candidates))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            other => return Err(corrupt("income_records.status", other)),
        })
    }
}

/// One row to store (what the importer and an assignment write).
#[derive(Debug, Clone)]
pub(crate) struct NewRow<'a> {
    /// Its row in the file (from 1), if it comes from a file.
    pub row_no: Option<usize>,
    /// The addressee (None while unmatched).
    pub addressee: Option<AddresseeId>,
    /// How it was matched.
    pub status: MatchStatus,
    /// The report row it assigns (for an assignment).
    pub origin: Option<i64>,
    /// The record.
    pub record: &'a IncomeRecord,
}

/// Stores income records of `fiscal_year` as they are (low level: no
/// matching and no access-log entry; the importer and the tests of the
/// assessment use it). A row with an addressee is `matched`, one without
/// `unmatched`. `file_id` is the `income_files` row they come from, if any.
pub async fn store_records(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    file_id: Option<i64>,
    rows: &[(Option<AddresseeId>, IncomeRecord)],
) -> Result<(), StoreError> {
    let rows: Vec<NewRow<'_>> = rows
        .iter()
        .map(|(addressee, record)| NewRow {
            row_no: None,
            addressee: *addressee,
            status: if addressee.is_some() {
                MatchStatus::Matched
            } else {
                MatchStatus::Unmatched
            },
            origin: None,
            record,
        })
        .collect();
    insert_rows(tx, fiscal_year, file_id, &rows, None).await?;
    Ok(())
}

/// The columns of `income_records` written by [`insert_rows`].
const RECORD_COLUMNS: [&str; 15] = [
    "record_id",
    "fiscal_year",
    "origin_id",
    "file_id",
    "row_no",
    "addressee_id",
    "status",
    "candidates",
    "source",
    "payer_number",
    "number_hash",
    "number_sealed",
    "record",
    "recorded_at",
    "recorded_by",
];

/// The rows of one multi-row `INSERT` (bounded so that sealing and JSON of
/// a huge file stay in small batches).
const INSERT_BATCH: usize = 2_000;

/// Writes `rows` with new record numbers (in order) and returns them.
pub(crate) async fn insert_rows(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    file_id: Option<i64>,
    rows: &[NewRow<'_>],
    recorded_by: Option<&str>,
) -> Result<Vec<i64>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let count = i64::try_from(rows.len()).map_err(|_| corrupt("income_records", "too many"))?;
    let first = tx.next_numbers(RECORD_SEQUENCE, count).await?;
    let recorded_at = kiban_store::now_text();
    let municipality = tx.municipality();
    let mut ids = Vec::with_capacity(rows.len());
    for (chunk_no, chunk) in rows.chunks(INSERT_BATCH).enumerate() {
        let base = first + i64::try_from(chunk_no * INSERT_BATCH).unwrap_or(i64::MAX);
        let numbers: Vec<(i64, &IndividualNumber)> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, row)| {
                row.record
                    .individual_number
                    .as_ref()
                    .map(|n| (base + i64::try_from(i).unwrap_or(0), n))
            })
            .collect();
        let hashes = tx
            .keyed_hashes(
                NUMBER_HASH_DOMAIN,
                &numbers
                    .iter()
                    .map(|(_, n)| n.as_str().as_bytes())
                    .collect::<Vec<_>>(),
            )
            .await?;
        let plain: Vec<(String, &[u8])> = numbers
            .iter()
            .map(|(id, n)| {
                (
                    number_aad(municipality.as_str(), *id),
                    n.as_str().as_bytes(),
                )
            })
            .collect();
        let sealed = tx.seal_many(&plain).await?;
        let mut sealed_by_id = numbers
            .iter()
            .map(|(id, _)| *id)
            .zip(hashes.into_iter().zip(sealed))
            .collect::<std::collections::BTreeMap<_, _>>();
        let mut args = Vec::with_capacity(chunk.len());
        for (i, row) in chunk.iter().enumerate() {
            let id = base + i64::try_from(i).unwrap_or(0);
            ids.push(id);
            let (hash, sealed) = match sealed_by_id.remove(&id) {
                Some((hash, sealed)) => (Arg::Text(hash), Arg::Bytes(sealed)),
                None => (Arg::NullText, Arg::NullBytes),
            };
            let mut without_number = row.record.clone();
            without_number.individual_number = None;
            let json = serde_json::to_string(&without_number)
                .map_err(|e| corrupt("income_records.record", e.to_string()))?;
            args.push(vec![
                Arg::Int(id),
                Arg::Int(i64::from(fiscal_year.start_year())),
                Arg::Int(row.origin.unwrap_or(id)),
                file_id.map_or(Arg::NullInt, Arg::Int),
                row.row_no
                    .and_then(|n| i64::try_from(n).ok())
                    .map_or(Arg::NullInt, Arg::Int),
                row.addressee.map_or(Arg::NullInt, id_arg),
                Arg::from(row.status.code()),
                Arg::Text(row.status.candidates_text()),
                Arg::from(row.record.source.code()),
                Arg::from(row.record.payer_key()),
                hash,
                sealed,
                Arg::Text(json),
                Arg::Text(recorded_at.clone()),
                recorded_by.map_or(Arg::NullText, |by| Arg::Text(by.to_owned())),
            ]);
        }
        tx.insert_rows("income_records", &RECORD_COLUMNS, &args)
            .await?;
    }
    Ok(ids)
}

/// The condition that a row `e` is the latest row of its report (not
/// replaced by a later assignment of the same report row). Written as a
/// scalar subquery, which every engine runs as one lookup in
/// `income_records_origin` per row: as an anti-join (`NOT EXISTS`),
/// PostgreSQL's planner, misled by statistics taken before a large import,
/// chose nested loops over the whole year's rows (13 minutes for 20,000
/// persons instead of a fraction of a second).
const NOT_REASSIGNED: &str = "e.record_id = (SELECT MAX(s.record_id) FROM income_records s \
     WHERE s.municipality_code = $1 AND s.origin_id = e.origin_id)";

/// Every effective income record of `fiscal_year` of the addressees with
/// `from <= id < until`: matched or assigned, and for each addressee,
/// source and payer number only the latest report. Ordered by addressee
/// number, then in the order the reports were read. One range statement
/// (plus the opening of the sealed 個人番号); the latest report of each
/// addressee, source and payer is kept here rather than by a correlated
/// anti-join, so that the cost stays linear whatever plan the engine
/// picks. No access-log entry (the caller logs what it uses).
pub async fn effective_records(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    from: AddresseeId,
    until: AddresseeId,
) -> Result<Vec<(AddresseeId, IncomeRecord)>, StoreError> {
    let EffectiveRows {
        mut records,
        sealed,
    } = effective_rows(tx, fiscal_year, from, until).await?;
    open_numbers(tx, &mut records, sealed, |item| &mut item.1).await?;
    Ok(records)
}

/// [`effective_records`] with their 個人番号 left sealed (`None`): what
/// the assessment reads, which calculates without them (a number opened
/// for each of a million records is work and exposure for nothing).
pub async fn effective_records_without_numbers(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    from: AddresseeId,
    until: AddresseeId,
) -> Result<Vec<(AddresseeId, IncomeRecord)>, StoreError> {
    Ok(effective_rows(tx, fiscal_year, from, until).await?.records)
}

/// Effective records with their 個人番号 still sealed.
struct EffectiveRows {
    /// The records (numbers not opened), by addressee.
    records: Vec<(AddresseeId, IncomeRecord)>,
    /// The sealed numbers: (index in `records`, record number, sealed).
    sealed: Vec<(usize, i64, Vec<u8>)>,
}

/// The effective records and their sealed numbers (see
/// [`effective_records`]).
async fn effective_rows(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
    from: AddresseeId,
    until: AddresseeId,
) -> Result<EffectiveRows, StoreError> {
    let sql = format!(
        "SELECT e.addressee_id, e.record_id, e.record, e.number_sealed, e.source, e.payer_number \
         FROM income_records e \
         WHERE e.municipality_code = $1 AND e.fiscal_year = $2 \
         AND e.addressee_id >= $3 AND e.addressee_id < $4 \
         AND {NOT_REASSIGNED} \
         ORDER BY e.addressee_id, e.origin_id"
    );
    let all = tx
        .fetch_all(
            &sql,
            &[
                Arg::Int(i64::from(fiscal_year.start_year())),
                id_arg(from),
                id_arg(until),
            ],
        )
        .await?;
    // Rows come by addressee, then report order: the last row of each
    // (addressee, source, payer) is the report in force.
    let mut latest: std::collections::HashMap<(i64, String, String), usize> =
        std::collections::HashMap::with_capacity(all.len());
    for (i, row) in all.iter().enumerate() {
        latest.insert((row.int(0)?, row.text(4)?, row.text(5)?), i);
    }
    let mut keep: Vec<usize> = latest.into_values().collect();
    keep.sort_unstable();
    let rows: Vec<&Row> = keep.iter().map(|&i| &all[i]).collect();
    let mut out = Vec::with_capacity(rows.len());
    let mut sealed = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let addressee = id_of(row, 0)?;
        let record_id = row.int(1)?;
        let record = record_of(&row.text(2)?)?;
        if let Some(bytes) = row.opt_bytes(3)? {
            sealed.push((i, record_id, bytes));
        }
        out.push((addressee, record));
    }
    Ok(EffectiveRows {
        records: out,
        sealed,
    })
}

/// Every addressee with an effective income record of `fiscal_year`, by
/// number (the non-residents among them are liable when their address on
/// 1 January was here).
pub async fn addressees_with_records(
    tx: &mut TenantTx,
    fiscal_year: FiscalYear,
) -> Result<Vec<AddresseeId>, StoreError> {
    let sql = format!(
        "SELECT DISTINCT e.addressee_id FROM income_records e \
         WHERE e.municipality_code = $1 AND e.fiscal_year = $2 \
         AND e.addressee_id IS NOT NULL AND {NOT_REASSIGNED} \
         ORDER BY e.addressee_id"
    );
    tx.fetch_all(&sql, &[Arg::Int(i64::from(fiscal_year.start_year()))])
        .await?
        .iter()
        .map(|row| id_of(row, 0))
        .collect()
}

/// Opens the sealed numbers `(index, record_id, sealed)` of `items` into
/// their records.
pub(crate) async fn open_numbers<T>(
    tx: &mut TenantTx,
    items: &mut [T],
    sealed: Vec<(usize, i64, Vec<u8>)>,
    record: impl Fn(&mut T) -> &mut IncomeRecord,
) -> Result<(), StoreError> {
    if sealed.is_empty() {
        return Ok(());
    }
    let municipality = tx.municipality();
    let requests: Vec<(String, Vec<u8>)> = sealed
        .iter()
        .map(|(_, id, bytes)| (number_aad(municipality.as_str(), *id), bytes.clone()))
        .collect();
    let opened = tx.open_many(&requests).await?;
    for ((index, _, _), plain) in sealed.iter().zip(opened) {
        let text = std::str::from_utf8(&plain)
            .map_err(|_| corrupt("income_records.number_sealed", "not UTF-8"))?;
        let number = IndividualNumber::parse(text)
            .map_err(|e| corrupt("income_records.number_sealed", e.to_string()))?;
        if let Some(item) = items.get_mut(*index) {
            record(item).individual_number = Some(number);
        }
    }
    Ok(())
}

/// The search domain of the keyed hash of a 個人番号 (the addressee
/// master's, so that a hash here equals a hash there).
pub(crate) const NUMBER_HASH_DOMAIN: &str = "individual_number";

fn number_aad(municipality: &str, record_id: i64) -> String {
    format!("income_record_number:{municipality}:{record_id}")
}

pub(crate) fn record_of(json: &str) -> Result<IncomeRecord, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt("income_records.record", e.to_string()))
}

pub(crate) fn id_arg(id: AddresseeId) -> Arg {
    Arg::Int(i64::try_from(id.get()).unwrap_or(i64::MAX))
}

pub(crate) fn id_of(row: &Row, idx: usize) -> Result<AddresseeId, StoreError> {
    let n = row.int(idx)?;
    u64::try_from(n)
        .map(AddresseeId::new)
        .map_err(|_| corrupt("addressee_id", n.to_string()))
}

pub(crate) fn status_of(
    row: &Row,
    status: usize,
    candidates: usize,
) -> Result<MatchStatus, StoreError> {
    MatchStatus::from_row(&row.text(status)?, &row.text(candidates)?)
}

pub(crate) fn corrupt(column: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        column: column.to_owned(),
        reason: reason.into(),
    }
}
