//! Reads: an addressee as of a date, its history, and the search.

use std::collections::{BTreeMap, BTreeSet};

use kiban_audit::{Actor, AuditAction, AuditEntry, Unchanged};
use kiban_core::{Date, KanaName, PersonName};
use kiban_protection::Exposure;
use kiban_registry::domain::PersonId;
use kiban_registry::port::RegistryReads;
use kiban_store::{Arg, StoreError, TenantDb, TenantTx};

use crate::domain::keys::{Criteria, KeyField};
use crate::domain::{AddresseeId, AddresseeKind, BasicInfo, MergeRecord, PostalAddress, Version};

use super::index::{keys_for, non_resident_view, resident_view};
use super::{
    AddresseeError, AddresseeView, INDEX_SEQUENCE, entry, holder_of, id_arg, id_of, index_views,
    links_of, merge_records_of, postal_of, sex_of,
};

/// One addressee found by a search, with what matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// The addressee (its surviving number, if merged).
    pub view: AddresseeView,
    /// `name`, `name_kana`, `birth_date`, `address`, `past_name`, …
    pub matched_on: Vec<&'static str>,
}

/// A search of the addressee master (宛名検索).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// What to match.
    pub criteria: Criteria,
    /// Only addressees of this kind.
    pub kind: Option<AddresseeKind>,
    /// At most this many results.
    pub limit: usize,
}

/// The versions of a non-resident's record, oldest first.
pub(super) async fn load_versions(
    tx: &mut TenantTx,
    id: AddresseeId,
) -> Result<Vec<Version>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT version_no, effective_date, recorded_at, recorded_by, name, name_kana, \
             birth_date, sex, postal_code, address_line, katagaki FROM addressee_versions \
             WHERE municipality_code = $1 AND addressee_id = $2 ORDER BY version_no",
            &[id_arg(id)],
        )
        .await?;
    rows.iter()
        .map(|row| {
            let name = row.text(4)?;
            let kana = row.text(5)?;
            Ok(Version {
                version_no: u32::try_from(row.int(0)?).unwrap_or(0),
                effective_date: row.date(1)?,
                recorded_at: row.text(2)?,
                recorded_by: row.text(3)?,
                record: BasicInfo {
                    name: PersonName::parse(&name)
                        .map_err(|e| super::corrupt("addressee_versions.name", e.to_string()))?,
                    name_kana: KanaName::parse(&kana).map_err(|e| {
                        super::corrupt("addressee_versions.name_kana", e.to_string())
                    })?,
                    birth_date: row.date(6)?,
                    sex: sex_of(&row.text(7)?)?,
                    address: PostalAddress {
                        postal_code: postal_of(row.opt_text(8)?)?,
                        address_line: row.text(9)?,
                        katagaki: row.opt_text(10)?,
                    },
                },
            })
        })
        .collect()
}

/// The view of `id` as of `as_of` (the registry's record for a resident or
/// former resident, the version in force for a non-resident), without
/// following merges and without logging.
pub(super) async fn view_as_of(
    tx: &mut TenantTx,
    id: AddresseeId,
    as_of: Date,
) -> Result<Option<AddresseeView>, StoreError> {
    match holder_of(tx, id).await? {
        None => Ok(None),
        Some(true) => {
            let record = RegistryReads::within(tx)
                .person_as_of(PersonId::new(id.get()), as_of)
                .await?;
            Ok(record.as_ref().map(resident_view))
        }
        Some(false) => {
            let versions = load_versions(tx, id).await?;
            Ok(non_resident_view(id, &versions, as_of))
        }
    }
}

/// Whether the address of each of `ids` must be withheld (支援措置), the
/// attempt logged by the protection rule itself.
pub(super) async fn withheld(
    tenant: &TenantDb,
    actor: &Actor,
    may_override: bool,
    confirmed: bool,
    ids: &[AddresseeId],
    on: Date,
) -> Result<BTreeSet<AddresseeId>, StoreError> {
    let numbers: Vec<i64> = ids
        .iter()
        .filter_map(|id| i64::try_from(id.get()).ok())
        .collect();
    let found = kiban_protection::storage::withheld(
        tenant,
        actor,
        may_override,
        confirmed,
        &numbers,
        on,
        Exposure::Address,
    )
    .await?;
    Ok(found
        .into_iter()
        .filter_map(|n| u64::try_from(n).ok().map(AddresseeId::new))
        .collect())
}

/// Reads an addressee as of `as_of` (宛名照会), with one `read` entry. A
/// merged addressee answers the surviving one's view with `merged_into`.
/// The address of a person under a 支援措置 is withheld unless the caller
/// may override and confirmed.
pub async fn read_addressee(
    tenant: &TenantDb,
    actor: &Actor,
    id: AddresseeId,
    as_of: Date,
    may_override: bool,
    confirmed: bool,
) -> Result<AddresseeView, AddresseeError> {
    let mut tx = tenant.begin().await?;
    let links = links_of(&mut tx, &[id]).await?;
    let survivor = links.get(&id).copied();
    let target = survivor.unwrap_or(id);
    let Some(mut view) = view_as_of(&mut tx, target, as_of).await? else {
        return Err(AddresseeError::NotFound);
    };
    view.merged_into = survivor;
    let mut entries = vec![entry(actor, AuditAction::Read, target, "addressee read")];
    if survivor.is_some() {
        entries.push(entry(actor, AuditAction::Read, id, "addressee read merged"));
    }
    kiban_audit::append_many(&mut tx, &entries).await?;
    tx.commit().await?;
    if withheld(tenant, actor, may_override, confirmed, &[target], as_of)
        .await?
        .contains(&target)
    {
        view.address = None;
    }
    Ok(view)
}

/// One version of an addressee's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryVersion {
    /// From when it holds.
    pub effective_date: Date,
    /// When it was recorded (RFC 3339).
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// What recorded it (`registered`, `changed`, or the registry's movement kind).
    pub source: String,
    /// The record.
    pub view: AddresseeView,
}

/// An addressee's history (宛名基本情報更新履歴): every version, oldest
/// first, and the 名寄せ records about it; one `read` entry.
pub async fn addressee_history(
    tenant: &TenantDb,
    actor: &Actor,
    id: AddresseeId,
) -> Result<(Vec<HistoryVersion>, Vec<MergeRecord>), AddresseeError> {
    let mut tx = tenant.begin().await?;
    let mut versions = Vec::new();
    let holder = holder_of(&mut tx, id).await?;
    if holder == Some(false) {
        let all = load_versions(&mut tx, id).await?;
        for (i, version) in all.iter().enumerate() {
            if let Some(view) =
                non_resident_view(id, std::slice::from_ref(version), version.effective_date)
            {
                versions.push(HistoryVersion {
                    effective_date: version.effective_date,
                    recorded_at: version.recorded_at.clone(),
                    recorded_by: version.recorded_by.clone(),
                    source: if i == 0 { "registered" } else { "changed" }.to_owned(),
                    view,
                });
            }
        }
    }
    let merges: Vec<MergeRecord> = merge_records_of(&mut tx, &[id])
        .await?
        .into_iter()
        .filter(|r| r.addressee == id || r.into == id)
        .collect();
    match holder {
        None => return Err(AddresseeError::NotFound),
        Some(false) => {
            kiban_audit::append(
                &mut tx,
                &entry(actor, AuditAction::Read, id, "addressee history"),
            )
            .await?;
            tx.commit().await?;
        }
        Some(true) => {
            tx.commit().await?;
            // The registry's history, logged by the registry as its read.
            let history =
                kiban_registry::storage::person_history(tenant, actor, PersonId::new(id.get()))
                    .await
                    .map_err(|e| match e {
                        kiban_registry::storage::RegistryError::Store(e) => {
                            AddresseeError::Store(e)
                        }
                        kiban_registry::storage::RegistryError::Rejected(_) => {
                            AddresseeError::NotFound
                        }
                    })?
                    .unwrap_or_default();
            for item in history {
                let Some(record) = &item.version.record else {
                    continue;
                };
                versions.push(HistoryVersion {
                    effective_date: item.version.event_date,
                    recorded_at: item.recorded_at.to_string(),
                    recorded_by: item.recorded_by.clone(),
                    source: item.version.kind.code().to_owned(),
                    view: resident_view(record),
                });
            }
        }
    }
    Ok((versions, merges))
}

/// The field a search starts from: the most selective one given.
fn driver(criteria: &Criteria) -> Option<(KeyField, String, bool)> {
    if let Some(date) = criteria.birth_date {
        return Some((KeyField::BirthDate, date.to_string(), false));
    }
    for (field, value) in [
        (KeyField::NameKana, &criteria.name_kana),
        (KeyField::Name, &criteria.name),
        (KeyField::Address, &criteria.address),
    ] {
        if let Some(value) = value {
            return Some((field, value.clone(), true));
        }
    }
    None
}

/// The end of the range of keys that start with `prefix`.
fn prefix_end(prefix: &str) -> String {
    let mut end = prefix.to_owned();
    end.push(char::MAX);
    end
}

/// Whether the criteria name only the field the search starts from: then
/// the index range alone decides, and what matched is read from it.
fn single_criterion(criteria: &Criteria) -> bool {
    [
        criteria.name.is_some(),
        criteria.name_kana.is_some(),
        criteria.birth_date.is_some(),
        criteria.address.is_some(),
    ]
    .iter()
    .filter(|given| **given)
    .count()
        == 1
}

async fn search_unlogged(
    tx: &mut TenantTx,
    query: &SearchQuery,
) -> Result<Vec<SearchHit>, StoreError> {
    let Some((field, value, prefix)) = driver(&query.criteria) else {
        return Ok(Vec::new());
    };
    let single = single_criterion(&query.criteria);
    // Candidates in key order from one index range (joined to the index's
    // kind when a kind is asked); with other criteria, each candidate's
    // keys are checked, until enough are found. A few more than asked are
    // kept for merged addressees, which collapse into their survivors.
    let wanted = query.limit + 10;
    let batch = if single {
        wanted * 2
    } else {
        (query.limit * 4).max(200)
    };
    let mut hits: BTreeMap<AddresseeId, Vec<&'static str>> = BTreeMap::new();
    let mut order: Vec<AddresseeId> = Vec::new();
    let mut after: Option<(String, i64)> = None;
    loop {
        let mut sql = "SELECT k.key, k.addressee_id, k.current FROM addressee_keys k".to_owned();
        let mut args = vec![Arg::from(field.code()), Arg::Text(value.clone())];
        if query.kind.is_some() {
            sql.push_str(
                " JOIN addressee_index i ON i.municipality_code = k.municipality_code \
                 AND i.addressee_id = k.addressee_id AND i.kind = $4",
            );
        }
        sql.push_str(" WHERE k.municipality_code = $1 AND k.field = $2");
        if let Some(kind) = query.kind {
            args.push(Arg::from(kind.code()));
        }
        if prefix {
            args.push(Arg::Text(prefix_end(&value)));
            let n = args.len() + 1;
            sql.push_str(&format!(" AND k.key >= $3 AND k.key < ${n}"));
        } else {
            sql.push_str(" AND k.key = $3");
        }
        if let Some((key, id)) = &after {
            let n = args.len();
            sql.push_str(&format!(
                " AND (k.key > ${} OR (k.key = ${} AND k.addressee_id > ${}))",
                n + 2,
                n + 2,
                n + 3
            ));
            args.push(Arg::Text(key.clone()));
            args.push(Arg::Int(*id));
        }
        let n = args.len();
        sql.push_str(&format!(" ORDER BY k.key, k.addressee_id LIMIT ${}", n + 2));
        args.push(Arg::Int(i64::try_from(batch).unwrap_or(i64::MAX)));
        let rows = tx.fetch_all(&sql, &args).await?;
        let done = rows.len() < batch;
        let mut candidates = Vec::new();
        for row in &rows {
            let id = id_of(row, 1)?;
            after = Some((row.text(0)?, row.int(1)?));
            if single {
                let matched = if row.int(2)? != 0 {
                    field.matched_current()
                } else {
                    field.matched_past()
                };
                let on = hits.entry(id).or_insert_with(|| {
                    order.push(id);
                    Vec::new()
                });
                // A current value that matched wins over a past one.
                if on.is_empty() || matched == field.matched_current() {
                    *on = vec![matched];
                }
            } else if !hits.contains_key(&id) && !candidates.contains(&id) {
                candidates.push(id);
            }
        }
        if !single {
            let keys = keys_for(tx, &candidates).await?;
            for id in candidates {
                let own = keys.get(&id).map(Vec::as_slice).unwrap_or_default();
                if let Some(on) = query.criteria.matched_on(own) {
                    hits.insert(id, on);
                    order.push(id);
                }
            }
        }
        if done || hits.len() >= wanted {
            break;
        }
    }
    order.truncate(wanted);
    // Merged addressees answer as the surviving one, once (nothing to look
    // up while the municipality has no 名寄せ record at all).
    let links = if any_merge(tx).await? {
        links_of(tx, &order).await?
    } else {
        BTreeMap::new()
    };
    let mut seen = BTreeSet::new();
    let mut survivors = Vec::new();
    for id in order {
        let survivor = links.get(&id).copied().unwrap_or(id);
        if seen.insert(survivor) {
            let on = hits.get(&id).cloned().unwrap_or_default();
            survivors.push((survivor, on));
        }
    }
    survivors.truncate(query.limit);
    let ids: Vec<AddresseeId> = survivors.iter().map(|(id, _)| *id).collect();
    let views = index_views(tx, &ids).await?;
    Ok(survivors
        .into_iter()
        .filter_map(|(id, matched_on)| {
            let view = views.get(&id)?.clone();
            Some(SearchHit { view, matched_on })
        })
        .collect())
}

/// Whether the municipality has any 名寄せ record (one index probe).
async fn any_merge(tx: &mut TenantTx) -> Result<bool, StoreError> {
    Ok(tx
        .fetch_optional(
            "SELECT record_no FROM addressee_merges WHERE municipality_code = $1 LIMIT 1",
            &[],
        )
        .await?
        .is_some())
}

fn search_entries(actor: &Actor, hits: &[SearchHit]) -> Vec<AuditEntry> {
    hits.iter()
        .map(|h| {
            entry(
                actor,
                AuditAction::Read,
                h.view.addressee_id,
                "addressee search",
            )
        })
        .collect()
}

/// Searches the addressee master (宛名検索) by current and past names,
/// フリガナ, birth date and address; each addressee listed is logged as
/// read. The reading is done outside the write lock and its entries are
/// committed with the access log's group commit, provided the index did
/// not change meanwhile (else it is read again in a writing transaction).
pub async fn search(
    tenant: &TenantDb,
    actor: &Actor,
    query: &SearchQuery,
    may_override: bool,
) -> Result<Vec<SearchHit>, AddresseeError> {
    let mut read = tenant.begin_read().await?;
    let seen = read.peek_next_number(INDEX_SEQUENCE).await?;
    let mut hits = search_unlogged(&mut read, query).await?;
    read.commit().await?;
    let logged = kiban_audit::append_if_unchanged(
        tenant,
        Unchanged {
            sequence: INDEX_SEQUENCE,
            seen,
        },
        search_entries(actor, &hits),
    )
    .await;
    if !logged {
        let mut tx = tenant.begin().await?;
        hits = search_unlogged(&mut tx, query).await?;
        kiban_audit::append_many(&mut tx, &search_entries(actor, &hits)).await?;
        tx.commit().await?;
    }
    let ids: Vec<AddresseeId> = hits.iter().map(|h| h.view.addressee_id).collect();
    let hidden = withheld(
        tenant,
        actor,
        may_override,
        false,
        &ids,
        kiban_core::today_in_japan(),
    )
    .await?;
    for hit in &mut hits {
        if hidden.contains(&hit.view.addressee_id) {
            hit.view.address = None;
        }
    }
    Ok(hits)
}
