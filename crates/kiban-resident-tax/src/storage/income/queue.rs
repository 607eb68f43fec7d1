//! The 突合 (matching) queue: the income rows of a fiscal year that matched
//! nobody or several addressees and were not assigned yet, and a clerk's
//! assignment of one to an addressee (a row of its own, never an update).

use kiban_addressee::domain::AddresseeId;
use kiban_audit::{Actor, AuditAction};
use kiban_core::{FiscalYear, Message};
use kiban_store::{Arg, StoreError, TenantDb};

use crate::domain::income::IncomeRecord;

use super::{MatchStatus, NewRow, insert_rows, open_numbers, record_of, status_of};

/// The most rows one page of the queue holds.
pub const MAX_QUEUE_PAGE: usize = 500;

/// One row waiting in the 突合 queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    /// The record's number (to assign it).
    pub record_id: i64,
    /// The file it came from, if any.
    pub file_id: Option<i64>,
    /// Its row in that file.
    pub row_no: Option<i64>,
    /// `Unmatched`, or `Ambiguous` with the candidates.
    pub status: MatchStatus,
    /// The record as read.
    pub record: IncomeRecord,
}

/// A page of the queue, oldest first, and where the next page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuePage {
    /// The rows.
    pub items: Vec<QueueItem>,
    /// The `after` of the next page, when there is one.
    pub next_after: Option<i64>,
}

/// The rows of `fiscal_year` waiting for a clerk (unmatched or ambiguous,
/// not assigned yet), by record number after `after`, at most `limit`
/// ([`MAX_QUEUE_PAGE`] at most). The rows' personal data is shown, so the
/// listing writes a `read` entry (with the record numbers; an unmatched row
/// is nobody's addressee yet).
pub async fn matching_queue(
    tenant: &TenantDb,
    actor: &Actor,
    fiscal_year: FiscalYear,
    after: Option<i64>,
    limit: usize,
) -> Result<QueuePage, StoreError> {
    let limit = limit.clamp(1, MAX_QUEUE_PAGE);
    let mut tx = tenant.begin().await?;
    let rows = tx
        .fetch_all(
            "SELECT e.record_id, e.file_id, e.row_no, e.status, e.candidates, e.record, \
             e.number_sealed FROM income_records e \
             WHERE e.municipality_code = $1 AND e.fiscal_year = $2 \
             AND e.status IN ('unmatched', 'ambiguous') AND e.record_id > $3 \
             AND NOT EXISTS (SELECT 1 FROM income_records a WHERE a.municipality_code = $1 \
                 AND a.origin_id = e.record_id AND a.record_id > e.record_id) \
             ORDER BY e.record_id LIMIT $4",
            &[
                Arg::Int(i64::from(fiscal_year.start_year())),
                Arg::Int(after.unwrap_or(0)),
                Arg::Int(i64::try_from(limit + 1).unwrap_or(i64::MAX)),
            ],
        )
        .await?;
    let mut items = Vec::with_capacity(rows.len().min(limit));
    let mut sealed = Vec::new();
    for (i, row) in rows.iter().take(limit).enumerate() {
        let record_id = row.int(0)?;
        if let Some(bytes) = row.opt_bytes(6)? {
            sealed.push((i, record_id, bytes));
        }
        items.push(QueueItem {
            record_id,
            file_id: row.opt_int(1)?,
            row_no: row.opt_int(2)?,
            status: status_of(row, 3, 4)?,
            record: record_of(&row.text(5)?)?,
        });
    }
    open_numbers(&mut tx, &mut items, sealed, |item| &mut item.record).await?;
    let next_after = (rows.len() > limit)
        .then(|| items.last().map(|i| i.record_id))
        .flatten();
    if !items.is_empty() {
        let first = items.first().map_or(0, |i| i.record_id);
        let last = items.last().map_or(0, |i| i.record_id);
        kiban_audit::append(
            &mut tx,
            &actor.entry(
                AuditAction::Read,
                None,
                format!(
                    "resident_tax income_matching fiscal_year {} records {first}..={last} ({} rows)",
                    fiscal_year.start_year(),
                    items.len()
                ),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(QueuePage { items, next_after })
}

/// Why an assignment was not made.
#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    /// No such income record of this fiscal year in this municipality (or
    /// one that is an assignment itself, or that was matched on import).
    #[error("no such income record waiting for matching")]
    RecordNotFound,
    /// The addressee is not one of this municipality.
    #[error("no such addressee")]
    AddresseeNotFound,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AssignError {
    /// The catalogue's message.
    pub fn message(&self) -> Message {
        match self {
            AssignError::RecordNotFound => Message::IncomeRecordNotFound {},
            AssignError::AddresseeNotFound => Message::IncomeAssigneeNotFound {},
            AssignError::Store(e) => e.message(),
        }
    }
}

/// What an assignment recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    /// The new row's number.
    pub record_id: i64,
    /// The row assigned.
    pub assigned: i64,
    /// The addressee (its surviving number, if merged).
    pub addressee_id: AddresseeId,
}

/// Assigns an unmatched or ambiguous row of `fiscal_year` to an addressee
/// (突合): a new row carrying the record, for the addressee's surviving
/// number of 名寄せ, with a `change` entry about that addressee. A row may
/// be assigned again (a correction); the latest assignment counts.
pub async fn assign_record(
    tenant: &TenantDb,
    actor: &Actor,
    fiscal_year: FiscalYear,
    record_id: i64,
    addressee: AddresseeId,
) -> Result<Assigned, AssignError> {
    let mut tx = tenant.begin().await?;
    let row = tx
        .fetch_optional(
            "SELECT record, number_sealed, source FROM income_records \
             WHERE municipality_code = $1 AND fiscal_year = $2 AND record_id = $3 \
             AND origin_id = record_id AND status IN ('unmatched', 'ambiguous')",
            &[
                Arg::Int(i64::from(fiscal_year.start_year())),
                Arg::Int(record_id),
            ],
        )
        .await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Err(AssignError::RecordNotFound);
    };
    let mut records = vec![record_of(&row.text(0)?)?];
    if let Some(bytes) = row.opt_bytes(1)? {
        open_numbers(&mut tx, &mut records, vec![(0, record_id, bytes)], |r| r).await?;
    }
    if !kiban_addressee::storage::addressee_exists(&mut tx, addressee).await? {
        tx.rollback().await?;
        return Err(AssignError::AddresseeNotFound);
    }
    let survivor = kiban_addressee::storage::linked_ids(&mut tx, addressee)
        .await?
        .first()
        .copied()
        .unwrap_or(addressee);
    let Some(record) = records.first() else {
        tx.rollback().await?;
        return Err(AssignError::RecordNotFound);
    };
    let ids = insert_rows(
        &mut tx,
        fiscal_year,
        None,
        &[NewRow {
            row_no: None,
            addressee: Some(survivor),
            status: MatchStatus::Assigned,
            origin: Some(record_id),
            record,
        }],
        Some(&actor.login),
    )
    .await?;
    let new_id = ids.first().copied().unwrap_or(0);
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Change,
            i64::try_from(survivor.get()).ok(),
            format!("resident_tax income_record {new_id} assigned from {record_id}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Assigned {
        record_id: new_id,
        assigned: record_id,
        addressee_id: survivor,
    })
}
