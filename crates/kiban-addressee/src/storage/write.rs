//! Registering and changing non-residents, 名寄せ and its undo.

use std::collections::BTreeMap;

use kiban_audit::{Actor, AuditAction};
use kiban_core::{Date, IndividualNumber};
use kiban_store::{Arg, StoreError, TenantDb, TenantTx, now_text};
use serde_json::json;

use crate::domain::keys::{KeyField, duplicate_of};
use crate::domain::{
    AddresseeId, BasicInfo, Change, MergeAction, Refusal, Version, apply_change, check_merge,
    check_unmerge,
};

use super::index::{keys_for, refresh_non_resident};
use super::read::{SearchHit, load_versions};
use super::{
    AddresseeError, INDEX_SEQUENCE, MERGE_SEQUENCE, NUMBER_HASH_DOMAIN, entry, holder_of, id_arg,
    index_views, links_of,
};

/// A non-resident to register.
#[derive(Debug, Clone)]
pub struct NewNonResident {
    /// The 基本4情報 and フリガナ.
    pub info: BasicInfo,
    /// 個人番号, when known.
    pub individual_number: Option<IndividualNumber>,
    /// From when the record holds.
    pub effective_date: Date,
    /// Register even though the 基本4情報 match existing addressees.
    pub confirm_new: bool,
}

/// A registered non-resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// The new 宛名番号.
    pub addressee_id: AddresseeId,
}

/// Writes an outbox event of the addressee master.
pub(super) async fn outbox(
    tx: &mut TenantTx,
    kind: &str,
    payload: serde_json::Value,
    recorded_at: &str,
) -> Result<(), StoreError> {
    let event_id = tx
        .next_numbers(kiban_registry::storage::OUTBOX_SEQUENCE, 1)
        .await?;
    tx.insert_rows(
        "outbox",
        &[
            "event_id",
            "event_kind",
            "movement_id",
            "payload",
            "created_at",
        ],
        &[vec![
            Arg::Int(event_id),
            Arg::from(kind),
            Arg::NullInt,
            Arg::Text(payload.to_string()),
            Arg::from(recorded_at),
        ]],
    )
    .await?;
    Ok(())
}

/// The addressees that look like `info` (same birth date and the same
/// name or フリガナ, current or past), as their surviving numbers.
async fn duplicates(tx: &mut TenantTx, info: &BasicInfo) -> Result<Vec<SearchHit>, StoreError> {
    let rows = tx
        .fetch_all(
            "SELECT addressee_id FROM addressee_keys WHERE municipality_code = $1 \
             AND field = $2 AND key = $3 ORDER BY addressee_id",
            &[
                Arg::from(KeyField::BirthDate.code()),
                Arg::Text(info.birth_date.to_string()),
            ],
        )
        .await?;
    let ids = rows
        .iter()
        .map(|r| super::id_of(r, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let keys = keys_for(tx, &ids).await?;
    let mut matched: BTreeMap<AddresseeId, Vec<&'static str>> = BTreeMap::new();
    for id in &ids {
        let Some(own) = keys.get(id) else { continue };
        if let Some(on) = duplicate_of(info.keyed_values(), own) {
            matched.insert(*id, on);
        }
    }
    if matched.is_empty() {
        return Ok(Vec::new());
    }
    let candidates: Vec<AddresseeId> = matched.keys().copied().collect();
    let links = links_of(tx, &candidates).await?;
    let mut survivors: BTreeMap<AddresseeId, Vec<&'static str>> = BTreeMap::new();
    for (id, on) in matched {
        let survivor = links.get(&id).copied().unwrap_or(id);
        survivors.entry(survivor).or_insert(on);
    }
    let ids: Vec<AddresseeId> = survivors.keys().copied().collect();
    let views = index_views(tx, &ids).await?;
    Ok(survivors
        .into_iter()
        .filter_map(|(id, on)| {
            views.get(&id).map(|view| SearchHit {
                view: view.clone(),
                matched_on: on,
            })
        })
        .collect())
}

/// Registers a non-resident (住登外者登録): a number from the registry's
/// person counter, the first version, the index, an `addressee_registered`
/// event and a `change` access-log entry, in one transaction. When the
/// 基本4情報 match existing addressees and `confirm_new` is not set,
/// nothing is registered and the candidates are answered (each logged as
/// read).
pub async fn register_non_resident(
    tenant: &TenantDb,
    actor: &Actor,
    new: &NewNonResident,
) -> Result<Registered, AddresseeError> {
    let recorded_at = now_text();
    let mut tx = tenant.begin().await?;
    // The person counter first: its lock (PostgreSQL) makes the duplicate
    // check and the registration one step for every other registration.
    let number = tx
        .next_numbers(kiban_registry::storage::PERSON_SEQUENCE, 1)
        .await?;
    let candidates = duplicates(&mut tx, &new.info).await?;
    if !candidates.is_empty() && !new.confirm_new {
        tx.rollback().await?;
        let mut log = tenant.begin().await?;
        let entries: Vec<_> = candidates
            .iter()
            .map(|c| {
                entry(
                    actor,
                    AuditAction::Read,
                    c.view.addressee_id,
                    "addressee duplicate_candidate",
                )
            })
            .collect();
        kiban_audit::append_many(&mut log, &entries).await?;
        log.commit().await?;
        return Err(AddresseeError::PossibleDuplicate(candidates));
    }
    let id = AddresseeId::new(u64::try_from(number).unwrap_or(0));
    tx.insert_rows(
        "addressees",
        &["addressee_id", "kind", "registered_at", "registered_by"],
        &[vec![
            id_arg(id),
            Arg::from("non_resident"),
            Arg::from(recorded_at.as_str()),
            Arg::from(actor.login.as_str()),
        ]],
    )
    .await?;
    let version = Version {
        version_no: 1,
        effective_date: new.effective_date,
        recorded_at: recorded_at.clone(),
        recorded_by: actor.login.clone(),
        record: new.info.clone(),
    };
    insert_version(&mut tx, id, &version).await?;
    if let Some(number) = &new.individual_number {
        insert_number(&mut tx, id, 1, number, &recorded_at).await?;
    }
    refresh_non_resident(&mut tx, id, &[version], kiban_core::today_in_japan()).await?;
    tx.next_numbers(INDEX_SEQUENCE, 1).await?;
    outbox(
        &mut tx,
        "addressee_registered",
        json!({
            "v": 1,
            "addressee_ids": [id.get()],
            "addressee_id": id.get(),
            "kind": "non_resident",
            "effective_date": new.effective_date.to_string(),
            "confirmed_new": new.confirm_new && !candidates.is_empty(),
        }),
        &recorded_at,
    )
    .await?;
    kiban_audit::append(
        &mut tx,
        &entry(
            actor,
            AuditAction::Change,
            id,
            "addressee register non_resident",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Registered { addressee_id: id })
}

const VERSION_COLUMNS: [&str; 12] = [
    "addressee_id",
    "version_no",
    "effective_date",
    "recorded_at",
    "recorded_by",
    "name",
    "name_kana",
    "birth_date",
    "sex",
    "postal_code",
    "address_line",
    "katagaki",
];

fn version_row(id: AddresseeId, version: &Version) -> Vec<Arg> {
    let r = &version.record;
    vec![
        id_arg(id),
        Arg::from(version.version_no),
        Arg::from(version.effective_date),
        Arg::from(version.recorded_at.as_str()),
        Arg::from(version.recorded_by.as_str()),
        Arg::from(r.name.as_str()),
        Arg::from(r.name_kana.as_str()),
        Arg::from(r.birth_date),
        Arg::from(r.sex.code()),
        Arg::from(r.address.postal_code.as_ref().map(|p| p.as_str())),
        Arg::from(r.address.address_line.as_str()),
        Arg::from(r.address.katagaki.as_deref()),
    ]
}

async fn insert_version(
    tx: &mut TenantTx,
    id: AddresseeId,
    version: &Version,
) -> Result<(), StoreError> {
    tx.insert_rows(
        "addressee_versions",
        &VERSION_COLUMNS,
        &[version_row(id, version)],
    )
    .await?;
    Ok(())
}

async fn insert_number(
    tx: &mut TenantTx,
    id: AddresseeId,
    version_no: u32,
    number: &IndividualNumber,
    recorded_at: &str,
) -> Result<(), StoreError> {
    let hash = tx
        .keyed_hash(NUMBER_HASH_DOMAIN, number.as_str().as_bytes())
        .await?;
    let aad = format!(
        "addressee_individual_number:{}:{}:{version_no}",
        tx.municipality().as_str(),
        id.get()
    );
    let sealed = tx.seal(&aad, number.as_str().as_bytes()).await?;
    tx.insert_rows(
        "addressee_individual_numbers",
        &[
            "addressee_id",
            "version_no",
            "number_hash",
            "sealed",
            "recorded_at",
        ],
        &[vec![
            id_arg(id),
            Arg::from(version_no),
            Arg::Text(hash),
            Arg::Bytes(sealed),
            Arg::from(recorded_at),
        ]],
    )
    .await?;
    Ok(())
}

/// Records a change of a non-resident's record (住登外者宛名情報管理) as a
/// new version, with the index, an `addressee_changed` event and a
/// `change` entry. A resident's or former resident's record is changed
/// through the registry (refused `changed_through_registry`).
pub async fn change_non_resident(
    tenant: &TenantDb,
    actor: &Actor,
    id: AddresseeId,
    change: &Change,
) -> Result<u32, AddresseeError> {
    let recorded_at = now_text();
    let mut tx = tenant.begin().await?;
    match holder_of(&mut tx, id).await? {
        None => return Err(AddresseeError::NotFound),
        Some(true) => {
            return Err(
                Refusal::of(kiban_core::Message::AddresseeChangedThroughRegistry {}).into(),
            );
        }
        Some(false) => {}
    }
    let lock = format!(
        "SELECT addressee_id FROM addressees WHERE municipality_code = $1 AND addressee_id = $2{}",
        tx.for_update()
    );
    tx.fetch_optional(&lock, &[id_arg(id)]).await?;
    let mut versions = load_versions(&mut tx, id).await?;
    let record = apply_change(&versions, change)?;
    let version_no = versions.iter().map(|v| v.version_no).max().unwrap_or(0) + 1;
    let version = Version {
        version_no,
        effective_date: change.effective_date,
        recorded_at: recorded_at.clone(),
        recorded_by: actor.login.clone(),
        record,
    };
    insert_version(&mut tx, id, &version).await?;
    versions.push(version);
    refresh_non_resident(&mut tx, id, &versions, kiban_core::today_in_japan()).await?;
    tx.next_numbers(INDEX_SEQUENCE, 1).await?;
    let mut fields = Vec::new();
    if change.name.is_some() {
        fields.push("name");
    }
    if change.name_kana.is_some() {
        fields.push("name_kana");
    }
    if change.address.is_some() {
        fields.push("address");
    }
    outbox(
        &mut tx,
        "addressee_changed",
        json!({
            "v": 1,
            "addressee_ids": [id.get()],
            "addressee_id": id.get(),
            "version_no": version_no,
            "effective_date": change.effective_date.to_string(),
            "fields": fields,
        }),
        &recorded_at,
    )
    .await?;
    kiban_audit::append(
        &mut tx,
        &entry(
            actor,
            AuditAction::Change,
            id,
            &format!("addressee change version {version_no}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(version_no)
}

/// 名寄せ: records that `from` is the same person as `into` (both of this
/// municipality), with an `addressee_merged` event and a `change` entry
/// for each. Refused: into itself, twice, chains, an `into` that is not an
/// addressee here.
pub async fn merge(
    tenant: &TenantDb,
    actor: &Actor,
    from: AddresseeId,
    into: AddresseeId,
    reason: &str,
) -> Result<(), AddresseeError> {
    merge_or_unmerge(tenant, actor, from, Some(into), reason).await
}

/// 名寄せ解除: undoes the merge of `from`, with an `addressee_unmerged`
/// event; the merge stays in the history.
pub async fn unmerge(
    tenant: &TenantDb,
    actor: &Actor,
    from: AddresseeId,
    reason: &str,
) -> Result<(), AddresseeError> {
    merge_or_unmerge(tenant, actor, from, None, reason).await
}

async fn merge_or_unmerge(
    tenant: &TenantDb,
    actor: &Actor,
    from: AddresseeId,
    into: Option<AddresseeId>,
    reason: &str,
) -> Result<(), AddresseeError> {
    let recorded_at = now_text();
    let mut tx = tenant.begin().await?;
    // The merge counter first: merges and unmerges of a municipality are
    // checked and recorded one at a time.
    let record_no = tx.next_numbers(MERGE_SEQUENCE, 1).await?;
    if holder_of(&mut tx, from).await?.is_none() {
        return Err(AddresseeError::NotFound);
    }
    let (action, target) = match into {
        Some(into) => {
            if into != from && holder_of(&mut tx, into).await?.is_none() {
                return Err(
                    Refusal::field("into", kiban_core::Message::MergeTargetNotFound {}).into(),
                );
            }
            let links = links_of(&mut tx, &[from, into]).await?;
            check_merge(from, into, &links)?;
            (MergeAction::Merge, into)
        }
        None => {
            let links = links_of(&mut tx, &[from]).await?;
            (MergeAction::Unmerge, check_unmerge(from, &links)?)
        }
    };
    tx.insert_rows(
        "addressee_merges",
        &[
            "record_no",
            "addressee_id",
            "into_id",
            "action",
            "reason",
            "recorded_at",
            "recorded_by",
        ],
        &[vec![
            Arg::Int(record_no),
            id_arg(from),
            id_arg(target),
            Arg::from(action.code()),
            Arg::from(reason),
            Arg::from(recorded_at.as_str()),
            Arg::from(actor.login.as_str()),
        ]],
    )
    .await?;
    tx.next_numbers(INDEX_SEQUENCE, 1).await?;
    let kind = match action {
        MergeAction::Merge => "addressee_merged",
        MergeAction::Unmerge => "addressee_unmerged",
    };
    outbox(
        &mut tx,
        kind,
        json!({
            "v": 1,
            "addressee_ids": [from.get(), target.get()],
            "addressee_id": from.get(),
            "into": target.get(),
            "effective_date": kiban_core::today_in_japan().to_string(),
        }),
        &recorded_at,
    )
    .await?;
    let detail = format!("addressee {} {} {}", action.code(), from, target);
    kiban_audit::append_many(
        &mut tx,
        &[
            entry(actor, AuditAction::Change, from, &detail),
            entry(actor, AuditAction::Change, target, &detail),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Registers non-residents in bulk in the caller's transaction (an initial
/// load: the demo generator, a migration): numbers from the person counter,
/// the first version and the index of each, and one `bulk_register`
/// access-log entry with the count. No duplicate check and no events: a
/// load is not a change (as the registry's bulk registration). Returns the
/// first number (the others follow it).
pub async fn register_non_residents_bulk(
    tx: &mut TenantTx,
    actor: &Actor,
    infos: &[BasicInfo],
    effective_date: Date,
) -> Result<u64, StoreError> {
    if infos.is_empty() {
        return Ok(0);
    }
    let count = i64::try_from(infos.len()).unwrap_or(i64::MAX);
    let first = tx
        .next_numbers(kiban_registry::storage::PERSON_SEQUENCE, count)
        .await?;
    let recorded_at = now_text();
    let first_id = u64::try_from(first).unwrap_or(0);
    let mut addressees = Vec::with_capacity(infos.len());
    let mut versions = Vec::with_capacity(infos.len());
    let mut index = Vec::with_capacity(infos.len());
    for (i, info) in infos.iter().enumerate() {
        let id = AddresseeId::new(first_id + i as u64);
        addressees.push(vec![
            id_arg(id),
            Arg::from("non_resident"),
            Arg::from(recorded_at.as_str()),
            Arg::from(actor.login.as_str()),
        ]);
        let version = Version {
            version_no: 1,
            effective_date,
            recorded_at: recorded_at.clone(),
            recorded_by: actor.login.clone(),
            record: info.clone(),
        };
        versions.push(version_row(id, &version));
        index.push((id, version));
    }
    tx.insert_rows(
        "addressees",
        &["addressee_id", "kind", "registered_at", "registered_by"],
        &addressees,
    )
    .await?;
    tx.insert_rows("addressee_versions", &VERSION_COLUMNS, &versions)
        .await?;
    super::index::index_new_non_residents(tx, &index).await?;
    kiban_audit::append(
        tx,
        &actor.entry(
            AuditAction::BulkRegister,
            None,
            format!("addressee bulk_register non_resident count={}", infos.len()),
        ),
    )
    .await?;
    Ok(first_id)
}
