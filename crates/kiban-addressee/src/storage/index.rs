//! The search index: the current view of every addressee
//! (`addressee_index`) and the matching keys of every current and past
//! value (`addressee_keys`).
//!
//! Residents' rows follow the registry: the consumer [`REGISTRY_CONSUMER`]
//! rebuilds the rows of the persons each registry event names from their
//! whole history (so past names and addresses stay searchable), in the
//! transaction that advances its position; [`index_residents_between`] fills
//! a range of persons from the registry's latest state, for populations
//! loaded in bulk (which write no events). Non-residents' rows are written
//! in the transaction that registers or changes them.

use std::collections::{BTreeMap, BTreeSet};

use kiban_core::Date;
use kiban_jobs::consumer::{Consumer, EventHandler, HandlerError, HandlerFuture, OutboxEvent};
use kiban_registry::domain::{Address, PersonId, PersonRecord, ResidentStatus};
use kiban_registry::port::RegistryReads;
use kiban_store::{Arg, IN_LIST_CHUNK, StoreError, TenantTx, in_list};

use crate::domain::keys::{Key, KeyField, KeyedValues, keys_of};
use crate::domain::{AddresseeId, AddresseeKind, PostalAddress, Version, version_as_of};

use super::{AddresseeView, INDEX_SEQUENCE, id_arg, id_of};

/// The keys of `ids`, by addressee.
pub(super) async fn keys_for(
    tx: &mut TenantTx,
    ids: &[AddresseeId],
) -> Result<BTreeMap<AddresseeId, Vec<Key>>, StoreError> {
    let mut out: BTreeMap<AddresseeId, Vec<Key>> = BTreeMap::new();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT addressee_id, field, key, current FROM addressee_keys \
             WHERE municipality_code = $1 AND addressee_id IN ({})",
            in_list(2, chunk.len())
        );
        let args: Vec<Arg> = chunk.iter().copied().map(id_arg).collect();
        for row in tx.fetch_all(&sql, &args).await? {
            let field = row.text(1)?;
            let Some(field) = KeyField::from_code(&field) else {
                continue;
            };
            out.entry(id_of(&row, 0)?).or_default().push(Key {
                field,
                key: row.text(2)?,
                current: row.int(3)? != 0,
            });
        }
    }
    Ok(out)
}

/// Replaces the index rows of the addressees given with these views and
/// keys; an addressee without a view is removed from the index.
async fn write_index(
    tx: &mut TenantTx,
    entries: &[(AddresseeId, Option<AddresseeView>, Vec<Key>)],
) -> Result<(), StoreError> {
    let ids: Vec<AddresseeId> = entries.iter().map(|(id, _, _)| *id).collect();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let list = in_list(2, chunk.len());
        let args: Vec<Arg> = chunk.iter().copied().map(id_arg).collect();
        tx.execute(
            &format!(
                "DELETE FROM addressee_keys WHERE municipality_code = $1 AND addressee_id IN ({list})"
            ),
            &args,
        )
        .await?;
        tx.execute(
            &format!(
                "DELETE FROM addressee_index WHERE municipality_code = $1 AND addressee_id IN ({list})"
            ),
            &args,
        )
        .await?;
    }
    let mut index_rows = Vec::new();
    let mut key_rows = Vec::new();
    for (id, view, keys) in entries {
        let Some(view) = view else { continue };
        let address = view.address.clone().unwrap_or(PostalAddress {
            postal_code: None,
            address_line: String::new(),
            katagaki: None,
        });
        index_rows.push(vec![
            id_arg(*id),
            Arg::from(view.kind.code()),
            Arg::from(view.name.as_str()),
            Arg::from(view.name_kana.as_str()),
            Arg::from(view.birth_date),
            Arg::from(view.sex.code()),
            Arg::from(address.postal_code.as_ref().map(|p| p.as_str())),
            Arg::Text(address.address_line),
            Arg::from(address.katagaki),
        ]);
        for key in keys {
            key_rows.push(vec![
                Arg::from(key.field.code()),
                Arg::from(key.key.as_str()),
                id_arg(*id),
                Arg::Int(i64::from(key.current)),
            ]);
        }
    }
    tx.insert_rows(
        "addressee_index",
        &[
            "addressee_id",
            "kind",
            "name",
            "name_kana",
            "birth_date",
            "sex",
            "postal_code",
            "address_line",
            "katagaki",
        ],
        &index_rows,
    )
    .await?;
    tx.insert_rows(
        "addressee_keys",
        &["field", "key", "addressee_id", "current"],
        &key_rows,
    )
    .await?;
    Ok(())
}

/// The view of a non-resident from the version in force on `on`.
pub(super) fn non_resident_view(
    id: AddresseeId,
    versions: &[Version],
    on: Date,
) -> Option<AddresseeView> {
    let current = version_as_of(versions, on)?;
    let r = &current.record;
    Some(AddresseeView {
        addressee_id: id,
        kind: AddresseeKind::NonResident,
        name: r.name.as_str().to_owned(),
        name_kana: r.name_kana.as_str().to_owned(),
        birth_date: r.birth_date,
        sex: r.sex,
        address: Some(r.address.clone()),
        merged_into: None,
    })
}

/// Writes the index rows of non-residents registered just now (one version
/// each, nothing indexed before).
pub(super) async fn index_new_non_residents(
    tx: &mut TenantTx,
    new: &[(AddresseeId, Version)],
) -> Result<(), StoreError> {
    let today = kiban_core::today_in_japan();
    let entries: Vec<_> = new
        .iter()
        .map(|(id, version)| {
            let versions = std::slice::from_ref(version);
            (
                *id,
                non_resident_view(*id, versions, today),
                keys_of(version.record.keyed_values(), []),
            )
        })
        .collect();
    write_index(tx, &entries).await
}

/// Rewrites a non-resident's index rows from all its versions (the one in
/// force on `on` is current).
pub(super) async fn refresh_non_resident(
    tx: &mut TenantTx,
    id: AddresseeId,
    versions: &[Version],
    on: Date,
) -> Result<(), StoreError> {
    let view = non_resident_view(id, versions, on);
    let keys = match version_as_of(versions, on) {
        Some(current) => keys_of(
            current.record.keyed_values(),
            versions.iter().map(|v| v.record.keyed_values()),
        ),
        None => Vec::new(),
    };
    write_index(tx, &[(id, view, keys)]).await
}

fn address_of(address: &Address) -> PostalAddress {
    PostalAddress {
        postal_code: Some(address.postal_code.clone()),
        address_line: address.address_line.as_str().to_owned(),
        katagaki: address.katagaki.as_ref().map(|k| k.as_str().to_owned()),
    }
}

/// The addressee view of a registry record: a resident, or a former
/// resident with the destination given at 転出 (the last address, for the
/// deceased).
pub(super) fn resident_view(record: &PersonRecord) -> AddresseeView {
    let (kind, address) = match record.status {
        ResidentStatus::Resident => (AddresseeKind::Resident, address_of(&record.address)),
        ResidentStatus::MovedOut => (
            AddresseeKind::FormerResident,
            match &record.destination_address {
                Some(destination) => PostalAddress {
                    postal_code: None,
                    address_line: destination.as_str().to_owned(),
                    katagaki: None,
                },
                None => address_of(&record.address),
            },
        ),
        ResidentStatus::Deceased => (AddresseeKind::FormerResident, address_of(&record.address)),
    };
    AddresseeView {
        addressee_id: AddresseeId::new(record.person_id.get()),
        kind,
        name: record.name.as_str().to_owned(),
        name_kana: record.name_kana.as_str().to_owned(),
        birth_date: record.birth_date,
        sex: record.sex,
        address: Some(address),
        merged_into: None,
    }
}

fn record_values(record: &PersonRecord) -> KeyedValues<'_> {
    KeyedValues {
        name: record.name.as_str(),
        name_kana: record.name_kana.as_str(),
        address_line: record.address.address_line.as_str(),
        birth_date: record.birth_date,
    }
}

/// Rebuilds the index rows of registry persons from their whole history:
/// the latest record is current, every earlier one past (a person whose
/// registration was cancelled leaves the index). Advances the index
/// counter.
pub async fn refresh_residents(tx: &mut TenantTx, persons: &[PersonId]) -> Result<(), StoreError> {
    let unique: BTreeSet<PersonId> = persons.iter().copied().collect();
    let mut entries = Vec::new();
    for person in unique {
        let versions = RegistryReads::within(tx).person_versions(person).await?;
        let records: Vec<&PersonRecord> =
            versions.iter().filter_map(|v| v.record.as_ref()).collect();
        let id = AddresseeId::new(person.get());
        let latest = versions.last().and_then(|v| v.record.as_ref());
        match latest {
            Some(current) => {
                let mut keys = keys_of(
                    record_values(current),
                    records.iter().map(|r| record_values(r)),
                );
                // A destination is where letters go now: searchable as an address.
                if let Some(destination) = &current.destination_address {
                    let extra = keys_of(
                        KeyedValues {
                            address_line: destination.as_str(),
                            ..record_values(current)
                        },
                        [],
                    );
                    for key in extra {
                        if !keys
                            .iter()
                            .any(|k| k.field == key.field && k.key == key.key)
                        {
                            keys.push(key);
                        }
                    }
                }
                entries.push((id, Some(resident_view(current)), keys));
            }
            None => entries.push((id, None, Vec::new())),
        }
    }
    write_index(tx, &entries).await?;
    tx.next_numbers(INDEX_SEQUENCE, 1).await?;
    Ok(())
}

/// Indexes the addressees numbered in `from..to`: registry persons from
/// the registry's latest state (their current view and current keys,
/// keeping past keys already indexed) and non-residents from all their
/// versions. Returns how many were indexed. Idempotent, so a chunk done
/// twice (a resumed job) gives the same rows.
pub async fn index_between(
    tx: &mut TenantTx,
    from: PersonId,
    to: PersonId,
) -> Result<usize, StoreError> {
    let residents = index_residents_between(tx, from, to).await?;
    let rows = tx
        .fetch_all(
            "SELECT addressee_id FROM addressees WHERE municipality_code = $1 \
             AND addressee_id >= $2 AND addressee_id < $3 ORDER BY addressee_id",
            &[
                Arg::Int(i64::try_from(from.get()).unwrap_or(i64::MAX)),
                Arg::Int(i64::try_from(to.get()).unwrap_or(i64::MAX)),
            ],
        )
        .await?;
    let today = kiban_core::today_in_japan();
    for row in &rows {
        let id = id_of(row, 0)?;
        let versions = super::read::load_versions(tx, id).await?;
        refresh_non_resident(tx, id, &versions, today).await?;
    }
    Ok(residents + rows.len())
}

async fn index_residents_between(
    tx: &mut TenantTx,
    from: PersonId,
    to: PersonId,
) -> Result<usize, StoreError> {
    let span = usize::try_from(to.get().saturating_sub(from.get())).unwrap_or(usize::MAX);
    if span == 0 {
        return Ok(0);
    }
    let listings: Vec<_> = RegistryReads::within(tx)
        .listings_from(from, span)
        .await?
        .into_iter()
        .filter(|l| l.person_id < to)
        .collect();
    let ids: Vec<AddresseeId> = listings
        .iter()
        .map(|l| AddresseeId::new(l.person_id.get()))
        .collect();
    let existing = keys_for(tx, &ids).await?;
    let mut entries = Vec::with_capacity(listings.len());
    for listing in &listings {
        let id = AddresseeId::new(listing.person_id.get());
        let current = KeyedValues {
            name: listing.name.as_str(),
            name_kana: listing.name_kana.as_str(),
            address_line: listing.address.address_line.as_str(),
            birth_date: listing.birth_date,
        };
        let mut keys = keys_of(current, []);
        for old in existing.get(&id).into_iter().flatten() {
            if !keys
                .iter()
                .any(|k| k.field == old.field && k.key == old.key)
            {
                keys.push(Key {
                    current: false,
                    ..old.clone()
                });
            }
        }
        let kind = match listing.status {
            ResidentStatus::Resident => AddresseeKind::Resident,
            ResidentStatus::MovedOut | ResidentStatus::Deceased => AddresseeKind::FormerResident,
        };
        let view = AddresseeView {
            addressee_id: id,
            kind,
            name: listing.name.as_str().to_owned(),
            name_kana: listing.name_kana.as_str().to_owned(),
            birth_date: listing.birth_date,
            sex: listing.sex,
            address: Some(address_of(&listing.address)),
            merged_into: None,
        };
        entries.push((id, Some(view), keys));
    }
    // No advance of the index counter: a range indexed again gives the same
    // rows, and a bulk load's index must leave the exported counters as
    // they were (a standard import exports what it imported).
    write_index(tx, &entries).await?;
    Ok(listings.len())
}

/// The persons a registry event names (`person_ids`, `person_id`, and the
/// heads it names).
fn persons_of(payload: &serde_json::Value) -> Vec<PersonId> {
    let mut out = Vec::new();
    if let Some(ids) = payload["person_ids"].as_array() {
        out.extend(ids.iter().filter_map(serde_json::Value::as_u64));
    }
    for key in [
        "person_id",
        "new_head_person_id",
        "remaining_head_person_id",
    ] {
        if let Some(id) = payload[key].as_u64() {
            out.push(id);
        }
    }
    out.into_iter().map(PersonId::new).collect()
}

struct RegistryEvents;

impl EventHandler for RegistryEvents {
    fn handle<'a>(&'a self, tx: &'a mut TenantTx, event: &'a OutboxEvent) -> HandlerFuture<'a> {
        Box::pin(async move {
            let payload: serde_json::Value = serde_json::from_str(&event.payload)
                .map_err(|e| HandlerError::Failed(format!("payload: {e}")))?;
            let persons = persons_of(&payload);
            if persons.is_empty() {
                return Ok(());
            }
            refresh_residents(tx, &persons).await?;
            Ok(())
        })
    }
}

static REGISTRY_EVENTS: RegistryEvents = RegistryEvents;

/// The consumer of the registry's events that keeps residents' entries of
/// the addressee index (run by the job worker, like every consumer).
pub static REGISTRY_CONSUMER: Consumer = Consumer {
    name: "addressee_index",
    label: "宛名索引（住民記録の異動の反映）",
    business: "addressee",
    event_kinds: &[
        "resident_moved_in",
        "resident_born",
        "resident_address_changed",
        "resident_moved_out",
        "resident_died",
        "household_changed",
        "resident_record_corrected",
        "movement_cancelled",
    ],
    handler: &REGISTRY_EVENTS,
};

/// Indexes every addressee of the municipality, [`index_between`] a range
/// of 10,000 numbers per transaction: after a bulk load (a standard or
/// legacy import), whose rows carry no events. Idempotent; an interrupted
/// run is simply run again. Returns how many were indexed.
pub async fn index_all(tenant: &kiban_store::TenantDb) -> Result<usize, StoreError> {
    const RANGE: u64 = 10_000;
    let mut tx = tenant.begin_read().await?;
    let next = tx
        .peek_next_number(kiban_registry::storage::PERSON_SEQUENCE)
        .await?
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(1);
    tx.commit().await?;
    let mut done = 0;
    let mut from = 1;
    while from < next {
        let to = from.saturating_add(RANGE).min(next);
        let mut tx = tenant.begin().await?;
        done += index_between(&mut tx, PersonId::new(from), PersonId::new(to)).await?;
        tx.commit().await?;
        from = to;
    }
    Ok(done)
}
