//! The addressee master's storage adapter: its SQL, only through the
//! tenant-scoped [`TenantTx`]; the rules stay in [`crate::domain`].
//!
//! Tables (migration `0014_addressees.sql` of `kiban-store`):
//! - `addressees`, `addressee_versions`: non-residents and every version of
//!   their record, never updated; `addressee_individual_numbers`: their
//!   個人番号, sealed, with a keyed hash.
//! - `addressee_merges`: 名寄せ and its undo, in order.
//! - `mailing_addresses`: one row per setting.
//! - `addressee_index`, `addressee_keys`: the search index (derived): the
//!   current view of every addressee and the matching keys of every current
//!   and past value. Residents' rows are written by the consumer of the
//!   registry's events ([`REGISTRY_CONSUMER`]) and by the job
//!   [`crate::jobs::IndexAddressees`]; non-residents' in the transaction
//!   that changes them.
//!
//! Concurrency: a registration takes its number from the registry's person
//! counter first (on PostgreSQL that row stays locked until commit), so
//! registrations are checked for duplicates one at a time and never
//! between a movement's number and its commit; merges lock the merge
//! counter first. Counters are taken in the registry's order (person
//! number, outbox event, access-log entry last). Every change advances
//! [`INDEX_SEQUENCE`], the condition under which a search's access-log
//! entries are committed by the access log's group commit.

mod index;
mod mailing;
mod matching;
mod read;
mod write;

use std::collections::{BTreeMap, BTreeSet};

use kiban_audit::Actor;
use kiban_core::{Date, Message, PostalCode, Sex};
use kiban_store::{Arg, IN_LIST_CHUNK, Row, StoreError, TenantTx, in_list};

use crate::domain::{
    AddresseeId, AddresseeKind, MergeAction, MergeRecord, PostalAddress, Refusal, current_links,
};

pub use index::{REGISTRY_CONSUMER, index_all, index_between, refresh_residents};
pub use mailing::{
    MailingAnswer, MailingSource, letters_for, mailing_address_in_force, mailing_addresses,
    set_mailing_address,
};
pub use matching::{BasicKeys, addressees_matching, addressees_with_individual_numbers};
pub use read::{HistoryVersion, SearchHit, SearchQuery, addressee_history, read_addressee, search};
pub use write::{
    NewNonResident, Registered, change_non_resident, merge, register_non_resident,
    register_non_residents_bulk, unmerge,
};

/// The counter every change of the addressee master or its index advances.
pub const INDEX_SEQUENCE: &str = "addressee_index";
/// The counter of merge records.
const MERGE_SEQUENCE: &str = "addressee_merge";
/// The counter of mailing-address records.
const MAILING_SEQUENCE: &str = "mailing_address";
/// The search domain of the keyed hash of a 個人番号 (the registry's, so
/// one number finds a resident and a non-resident alike).
const NUMBER_HASH_DOMAIN: &str = "individual_number";

/// Why an addressee operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AddresseeError {
    /// The request is refused (the field and the catalogue's message).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// No such addressee in this municipality.
    #[error("no such addressee")]
    NotFound,
    /// A registration that looks like existing addressees (shown to the
    /// clerk, each logged as read).
    #[error("possible duplicate of {} addressees", .0.len())]
    PossibleDuplicate(Vec<SearchHit>),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AddresseeError {
    /// The catalogue's message.
    pub fn message(&self) -> Message {
        match self {
            AddresseeError::Refused(refusal) => refusal.message.clone(),
            AddresseeError::NotFound => Message::NotFound {},
            AddresseeError::PossibleDuplicate(_) => Message::PossibleDuplicate {},
            AddresseeError::Store(e) => e.message(),
        }
    }
}

/// An addressee as every read shows it (the contract's addressee view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddresseeView {
    /// 宛名番号.
    pub addressee_id: AddresseeId,
    /// Resident, former resident or non-resident.
    pub kind: AddresseeKind,
    /// 氏名.
    pub name: String,
    /// フリガナ.
    pub name_kana: String,
    /// 生年月日.
    pub birth_date: Date,
    /// 性別.
    pub sex: Sex,
    /// 住所 (`None` when withheld under a 支援措置).
    pub address: Option<PostalAddress>,
    /// The addressee this one is merged into, if it is.
    pub merged_into: Option<AddresseeId>,
}

fn id_arg(id: AddresseeId) -> Arg {
    Arg::Int(i64::try_from(id.get()).unwrap_or(i64::MAX))
}

fn id_of(row: &Row, idx: usize) -> Result<AddresseeId, StoreError> {
    let n = row.int(idx)?;
    u64::try_from(n)
        .map(AddresseeId::new)
        .map_err(|_| corrupt("addressee_id", n.to_string()))
}

fn corrupt(column: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        column: column.to_owned(),
        reason: reason.into(),
    }
}

fn person_number(id: AddresseeId) -> Option<i64> {
    i64::try_from(id.get()).ok()
}

fn sex_of(text: &str) -> Result<Sex, StoreError> {
    Sex::parse(text).map_err(|e| corrupt("sex", format!("{text}: {e}")))
}

fn postal_of(text: Option<String>) -> Result<Option<PostalCode>, StoreError> {
    text.filter(|t| !t.is_empty())
        .map(|t| PostalCode::parse(&t).map_err(|e| corrupt("postal_code", format!("{t}: {e}"))))
        .transpose()
}

/// The columns of `addressee_index` a view is read from, in
/// [`view_of_index`]'s order.
const INDEX_COLUMNS: &str =
    "addressee_id, kind, name, name_kana, birth_date, sex, postal_code, address_line, katagaki";

fn view_of_index(row: &Row) -> Result<AddresseeView, StoreError> {
    let kind_text = row.text(1)?;
    Ok(AddresseeView {
        addressee_id: id_of(row, 0)?,
        kind: AddresseeKind::from_code(&kind_text)
            .ok_or_else(|| corrupt("addressee_index.kind", kind_text))?,
        name: row.text(2)?,
        name_kana: row.text(3)?,
        birth_date: row.date(4)?,
        sex: sex_of(&row.text(5)?)?,
        address: Some(PostalAddress {
            postal_code: postal_of(row.opt_text(6)?)?,
            address_line: row.text(7)?,
            katagaki: row.opt_text(8)?,
        }),
        merged_into: None,
    })
}

/// The current name and address of each of `ids` (those indexed), by
/// number, from the search index: for printing in bulk (the taxpayer's
/// block of a notice). No access-log entry: the caller logs what it prints.
pub async fn views_of(
    tx: &mut TenantTx,
    ids: &[AddresseeId],
) -> Result<BTreeMap<AddresseeId, AddresseeView>, StoreError> {
    index_views(tx, ids).await
}

/// The index rows of `ids` (those indexed), by number.
async fn index_views(
    tx: &mut TenantTx,
    ids: &[AddresseeId],
) -> Result<BTreeMap<AddresseeId, AddresseeView>, StoreError> {
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT {INDEX_COLUMNS} FROM addressee_index WHERE municipality_code = $1 \
             AND addressee_id IN ({})",
            in_list(2, chunk.len())
        );
        let args: Vec<Arg> = chunk.iter().copied().map(id_arg).collect();
        for row in tx.fetch_all(&sql, &args).await? {
            let view = view_of_index(&row)?;
            out.insert(view.addressee_id, view);
        }
    }
    Ok(out)
}

/// The columns of `addressee_merges` a record is read from, in
/// [`merge_record_of`]'s order.
const MERGE_COLUMNS: &str =
    "record_no, addressee_id, into_id, action, reason, recorded_at, recorded_by";

/// The merge records that decide the state of `ids` and of what is merged
/// into them.
async fn merge_records_of(
    tx: &mut TenantTx,
    ids: &[AddresseeId],
) -> Result<Vec<MergeRecord>, StoreError> {
    let mut records = BTreeMap::new();
    for chunk in ids.chunks(IN_LIST_CHUNK / 2) {
        let list = in_list(2, chunk.len());
        let sql = format!(
            "SELECT {MERGE_COLUMNS} FROM addressee_merges \
             WHERE municipality_code = $1 AND addressee_id IN ({list}) \
             UNION SELECT {MERGE_COLUMNS} FROM addressee_merges \
             WHERE municipality_code = $1 AND into_id IN ({list})"
        );
        let args: Vec<Arg> = chunk.iter().copied().map(id_arg).collect();
        for row in tx.fetch_all(&sql, &args).await? {
            let record = merge_record_of(&row)?;
            records.insert(record.record_no, record);
        }
    }
    // The records of whoever is merged into these, so that their state
    // (merged now, or unmerged since) is known.
    let others: BTreeSet<AddresseeId> = records
        .values()
        .map(|r| r.addressee)
        .filter(|a| !ids.contains(a))
        .collect();
    if !others.is_empty() {
        let others: Vec<AddresseeId> = others.into_iter().collect();
        for chunk in others.chunks(IN_LIST_CHUNK) {
            let sql = format!(
                "SELECT {MERGE_COLUMNS} FROM addressee_merges \
                 WHERE municipality_code = $1 AND addressee_id IN ({})",
                in_list(2, chunk.len())
            );
            let args: Vec<Arg> = chunk.iter().copied().map(id_arg).collect();
            for row in tx.fetch_all(&sql, &args).await? {
                let record = merge_record_of(&row)?;
                records.insert(record.record_no, record);
            }
        }
    }
    Ok(records.into_values().collect())
}

fn merge_record_of(row: &Row) -> Result<MergeRecord, StoreError> {
    let action = row.text(3)?;
    Ok(MergeRecord {
        record_no: u64::try_from(row.int(0)?).unwrap_or(0),
        addressee: id_of(row, 1)?,
        into: id_of(row, 2)?,
        action: MergeAction::from_code(&action)
            .ok_or_else(|| corrupt("addressee_merges.action", action))?,
        reason: row.text(4)?,
        recorded_at: row.text(5)?,
        recorded_by: row.text(6)?,
    })
}

/// The current merge links (merged number → surviving number) among `ids`
/// and those merged into them. Read in the caller's transaction without an
/// access-log entry (numbers only).
pub async fn links_of(
    tx: &mut TenantTx,
    ids: &[AddresseeId],
) -> Result<BTreeMap<AddresseeId, AddresseeId>, StoreError> {
    Ok(current_links(&merge_records_of(tx, ids).await?))
}

/// The numbers under which every business finds the records of `id`: the
/// surviving number of its 名寄せ first, then every number merged into it
/// (just `id` when it was never merged). Read in the caller's transaction,
/// without an access-log entry (the caller logs what it reads).
pub async fn linked_ids(
    tx: &mut TenantTx,
    id: AddresseeId,
) -> Result<Vec<AddresseeId>, StoreError> {
    let links = links_of(tx, &[id]).await?;
    let survivor = links.get(&id).copied().unwrap_or(id);
    let links = if survivor == id {
        links
    } else {
        links_of(tx, &[survivor]).await?
    };
    let mut out = vec![survivor];
    out.extend(
        links
            .iter()
            .filter(|(_, into)| **into == survivor)
            .map(|(from, _)| *from),
    );
    Ok(out)
}

/// Whether `id` is an addressee here, and which kind of record holds it:
/// the registry (`true`) or the addressee master (`false`).
async fn holder_of(tx: &mut TenantTx, id: AddresseeId) -> Result<Option<bool>, StoreError> {
    let person = kiban_registry::domain::PersonId::new(id.get());
    let known = kiban_registry::port::RegistryReads::within(tx)
        .known_persons(&[person])
        .await?;
    if known.contains(&person) {
        return Ok(Some(true));
    }
    let row = tx
        .fetch_optional(
            "SELECT 1 FROM addressees WHERE municipality_code = $1 AND addressee_id = $2",
            &[id_arg(id)],
        )
        .await?;
    Ok(row.map(|_| false))
}

/// Whether `id` is an addressee of this municipality (a registry person or
/// a non-resident), read in the caller's transaction without an entry
/// (numbers only).
pub async fn addressee_exists(tx: &mut TenantTx, id: AddresseeId) -> Result<bool, StoreError> {
    Ok(holder_of(tx, id).await?.is_some())
}

/// An access-log actor's entry about an addressee.
fn entry(
    actor: &Actor,
    action: kiban_audit::AuditAction,
    id: AddresseeId,
    detail: &str,
) -> kiban_audit::AuditEntry {
    actor.entry(action, person_number(id), detail)
}

/// [`linked_ids`] in a read transaction of its own (numbers only: nothing
/// personal is read, so nothing is logged).
pub async fn linked_numbers(
    tenant: &kiban_store::TenantDb,
    id: AddresseeId,
) -> Result<Vec<AddresseeId>, StoreError> {
    let mut tx = tenant.begin_read().await?;
    let ids = linked_ids(&mut tx, id).await?;
    tx.commit().await?;
    Ok(ids)
}
