//! 個人番号 at rest: table `individual_numbers` (migration
//! `0005_security.sql` of `kiban-store`).
//!
//! A number given with a person (転入, 出生) is sealed in the movement's
//! transaction under the municipality's data key
//! ([`TenantTx::seal`](kiban_store::TenantTx::seal)), bound to its row by
//! the associated data `individual_number|{municipality}|{person_id}|{version}`,
//! and stored with its keyed hash for exact search. A later number for the
//! same person is a new version; rows are never updated. The number never
//! goes into a movement's payload, the outbox, the projections or the
//! access log.
//!
//! Reads open the latest version so that views can show it masked
//! (`********9018`); the whole number leaves the registry only through
//! [`reveal_individual_number`], which writes a `reveal` entry with the
//! stated purpose.

use kiban_audit::{Actor, AuditAction};
use kiban_core::IndividualNumber;
use kiban_store::{Arg, StoreError, TenantDb, TenantTx, now_text};

use crate::domain::{Details, Movement, MovementId, PersonId, Reason, Rejection};

use super::RegistryError;
use super::rows::int;

/// The search domain of the keyed hash of a 個人番号.
const HASH_DOMAIN: &str = "individual_number";

/// The associated data that binds a sealed number to its row.
fn aad(municipality: &str, person_id: u64, version: i64) -> String {
    format!("individual_number|{municipality}|{person_id}|{version}")
}

fn corrupt(reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        column: "individual_numbers.sealed_number".into(),
        reason: reason.into(),
    }
}

/// The numbers a movement brings: (request field, person, number) for each
/// person of a 転入 or 出生 given with one.
fn numbers_of(movement: &Movement) -> Vec<(String, PersonId, &IndividualNumber)> {
    match &movement.details {
        Details::MoveIn(record) => record
            .persons
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                p.input
                    .individual_number
                    .as_ref()
                    .map(|n| (format!("persons[{i}].individual_number"), p.person_id, n))
            })
            .collect(),
        Details::Birth(birth) => birth
            .person
            .input
            .individual_number
            .as_ref()
            .map(|n| {
                vec![(
                    "person.individual_number".to_owned(),
                    birth.person.person_id,
                    n,
                )]
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Seals and stores the numbers a movement brings, in its transaction (after
/// the `persons` projection rows exist). A number equal to the person's
/// current one writes nothing; a number that is another person's current
/// one is refused (409, naming the field), and the caller rolls back.
pub(crate) async fn store_numbers(
    tx: &mut TenantTx,
    movement: &Movement,
) -> Result<(), RegistryError> {
    for (field, person, number) in numbers_of(movement) {
        store_individual_number(tx, &field, person, movement.id, number).await?;
    }
    Ok(())
}

/// Seals and stores one person's 個人番号, recorded by movement `movement`,
/// in the caller's transaction (for the movements of this crate, and for
/// bulk registration and imports, which must never store it otherwise).
/// The person's `persons` row must exist. A number equal to the person's
/// current one writes nothing; a number that is another person's current
/// one is refused with [`Reason::IndividualNumberInUse`] on `field`, and the
/// caller must roll back.
pub async fn store_individual_number(
    tx: &mut TenantTx,
    field: &str,
    person: PersonId,
    movement: MovementId,
    number: &IndividualNumber,
) -> Result<(), RegistryError> {
    let municipality = tx.municipality();
    let hash = tx
        .keyed_hash(HASH_DOMAIN, number.as_str().as_bytes())
        .await?;
    let holder = tx
        .fetch_optional(
            "SELECT n.person_id FROM individual_numbers n \
             WHERE n.municipality_code = $1 AND n.number_hash = $2 AND n.person_id <> $3 AND n.version = \
               (SELECT MAX(l.version) FROM individual_numbers l \
                WHERE l.municipality_code = $1 AND l.person_id = n.person_id) \
             LIMIT 1",
            &[Arg::Text(hash.clone()), int(person.get())],
        )
        .await?;
    if let Some(row) = holder {
        let holder = u64::try_from(row.int(0)?).map_err(|_| corrupt("negative person_id"))?;
        return Err(RegistryError::Rejected(Rejection::new(
            field,
            Reason::IndividualNumberInUse {
                person_id: PersonId::new(holder),
            },
        )));
    }
    let latest = tx
        .fetch_optional(
            "SELECT version, number_hash FROM individual_numbers \
             WHERE municipality_code = $1 AND person_id = $2 ORDER BY version DESC LIMIT 1",
            &[int(person.get())],
        )
        .await?;
    let version = match latest {
        Some(row) if row.text(1)? == hash => return Ok(()),
        Some(row) => row.int(0)? + 1,
        None => 1,
    };
    let sealed = tx
        .seal(
            &aad(municipality.as_str(), person.get(), version),
            number.as_str().as_bytes(),
        )
        .await?;
    tx.execute(
        "INSERT INTO individual_numbers \
         (municipality_code, person_id, version, movement_id, sealed_number, number_hash, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            int(person.get()),
            Arg::Int(version),
            int(movement.get()),
            Arg::Bytes(sealed),
            Arg::Text(hash),
            Arg::Text(now_text()),
        ],
    )
    .await?;
    Ok(())
}

/// The current 個人番号 of a person, opened; `None` when none is stored.
async fn current_number(
    tx: &mut TenantTx,
    person: PersonId,
) -> Result<Option<IndividualNumber>, StoreError> {
    let row = tx
        .fetch_optional(
            "SELECT version, sealed_number FROM individual_numbers \
             WHERE municipality_code = $1 AND person_id = $2 ORDER BY version DESC LIMIT 1",
            &[int(person.get())],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let municipality = tx.municipality();
    let version = row.int(0)?;
    let plain = tx
        .open(
            &aad(municipality.as_str(), person.get(), version),
            &row.bytes(1)?,
        )
        .await?;
    let text = std::str::from_utf8(&plain).map_err(|_| corrupt("not UTF-8"))?;
    IndividualNumber::parse(text)
        .map(Some)
        .map_err(|_| corrupt("not a valid number"))
}

/// A person's current 個人番号, opened in the caller's transaction **without
/// an access-log entry**: for a business action (a certificate that prints
/// it) that writes its own `reveal` entry in that transaction. The caller
/// has checked the permission.
pub(crate) async fn individual_number_unlogged(
    tx: &mut TenantTx,
    person: PersonId,
) -> Result<Option<IndividualNumber>, StoreError> {
    current_number(tx, person).await
}

/// Fills each person's `individual_number` (given with their 宛名番号)
/// with their current number, so that views can show it masked. One query per 200 persons and
/// one key lookup in all.
pub(crate) async fn attach_numbers<'a>(
    tx: &mut TenantTx,
    records: impl IntoIterator<Item = (PersonId, &'a mut Option<IndividualNumber>)>,
) -> Result<(), StoreError> {
    let mut records: Vec<(PersonId, &mut Option<IndividualNumber>)> = records.into_iter().collect();
    let ids: Vec<u64> = records.iter().map(|(person, _)| person.get()).collect();
    let mut latest: std::collections::BTreeMap<u64, (i64, Vec<u8>)> = Default::default();
    for chunk in ids.chunks(200) {
        let sql = format!(
            "SELECT person_id, version, sealed_number FROM individual_numbers \
             WHERE municipality_code = $1 AND person_id IN ({})",
            kiban_store::in_list(2, chunk.len())
        );
        let args: Vec<Arg> = chunk.iter().map(|id| int(*id)).collect();
        for row in tx.fetch_all(&sql, &args).await? {
            let person = u64::try_from(row.int(0)?).map_err(|_| corrupt("negative person_id"))?;
            let version = row.int(1)?;
            if latest.get(&person).is_none_or(|(v, _)| *v < version) {
                latest.insert(person, (version, row.bytes(2)?));
            }
        }
    }
    if latest.is_empty() {
        return Ok(());
    }
    let municipality = tx.municipality();
    let items: Vec<(String, Vec<u8>)> = latest
        .iter()
        .map(|(person, (version, sealed))| {
            (
                aad(municipality.as_str(), *person, *version),
                sealed.clone(),
            )
        })
        .collect();
    let opened = tx.open_many(&items).await?;
    let mut numbers = std::collections::BTreeMap::new();
    for (person, plain) in latest.keys().zip(opened) {
        let text = std::str::from_utf8(&plain).map_err(|_| corrupt("not UTF-8"))?;
        let number = IndividualNumber::parse(text).map_err(|_| corrupt("not a valid number"))?;
        numbers.insert(*person, number);
    }
    for (person, number) in &mut records {
        **number = numbers.get(&person.get()).cloned();
    }
    Ok(())
}

/// The persons whose current 個人番号 is `number` (at most a few; normally
/// one). Used to turn a search by number into a search by 宛名番号; it
/// returns no personal data and writes no entry itself.
pub async fn persons_with_individual_number(
    tenant: &TenantDb,
    number: &IndividualNumber,
) -> Result<Vec<PersonId>, RegistryError> {
    let mut tx = tenant.begin_read().await?;
    let hash = tx
        .keyed_hash(HASH_DOMAIN, number.as_str().as_bytes())
        .await?;
    let rows = tx
        .fetch_all(
            "SELECT n.person_id FROM individual_numbers n \
             WHERE n.municipality_code = $1 AND n.number_hash = $2 AND n.version = \
               (SELECT MAX(l.version) FROM individual_numbers l \
                WHERE l.municipality_code = $1 AND l.person_id = n.person_id) \
             ORDER BY n.person_id LIMIT 10",
            &[Arg::Text(hash)],
        )
        .await?;
    tx.rollback().await?;
    rows.iter()
        .map(|r| {
            let id = r.int(0)?;
            u64::try_from(id)
                .map(PersonId::new)
                .map_err(|_| corrupt("negative person_id"))
        })
        .collect::<Result<_, _>>()
        .map_err(RegistryError::from)
}

/// The persons whose current 個人番号 is each of `numbers`, in the order
/// asked (normally one or none each), read in the caller's transaction by
/// keyed hash; no entry is written (numbers only: the caller logs what it
/// then reads of the persons).
pub(crate) async fn persons_with_individual_numbers_unlogged(
    tx: &mut TenantTx,
    numbers: &[IndividualNumber],
) -> Result<Vec<Vec<PersonId>>, StoreError> {
    let values: Vec<&[u8]> = numbers.iter().map(|n| n.as_str().as_bytes()).collect();
    let hashes = tx.keyed_hashes(HASH_DOMAIN, &values).await?;
    let mut by_hash: std::collections::BTreeMap<String, Vec<PersonId>> =
        std::collections::BTreeMap::new();
    let mut distinct: Vec<&String> = hashes.iter().collect();
    distinct.sort();
    distinct.dedup();
    for chunk in distinct.chunks(kiban_store::IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT n.number_hash, n.person_id FROM individual_numbers n \
             WHERE n.municipality_code = $1 AND n.number_hash IN ({}) AND n.version = \
               (SELECT MAX(l.version) FROM individual_numbers l \
                WHERE l.municipality_code = $1 AND l.person_id = n.person_id) \
             ORDER BY n.person_id",
            kiban_store::in_list(2, chunk.len())
        );
        let args: Vec<Arg> = chunk.iter().map(|h| Arg::Text((*h).clone())).collect();
        for row in tx.fetch_all(&sql, &args).await? {
            let id = row.int(1)?;
            let person = u64::try_from(id)
                .map(PersonId::new)
                .map_err(|_| corrupt("negative person_id"))?;
            by_hash.entry(row.text(0)?).or_default().push(person);
        }
    }
    Ok(hashes
        .iter()
        .map(|h| by_hash.get(h).cloned().unwrap_or_default())
        .collect())
}

/// What a reveal found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revealed {
    /// The person is not in this municipality's registry.
    NoSuchPerson,
    /// The person is registered without a 個人番号.
    NoNumber,
    /// The number in full.
    Number(IndividualNumber),
}

/// Reveals a person's 個人番号 in full (個人番号の表示) and writes a `reveal`
/// entry with the actor's purpose in the same transaction. The caller has
/// checked the permission and that `actor.purpose` is stated.
pub async fn reveal_individual_number(
    tenant: &TenantDb,
    actor: &Actor,
    person: PersonId,
) -> Result<Revealed, RegistryError> {
    let mut tx = tenant.begin().await?;
    let exists = tx
        .fetch_optional(
            "SELECT person_id FROM persons WHERE municipality_code = $1 AND person_id = $2",
            &[int(person.get())],
        )
        .await?
        .is_some();
    if !exists {
        tx.rollback().await?;
        return Ok(Revealed::NoSuchPerson);
    }
    let number = current_number(&mut tx, person).await?;
    let detail = if number.is_some() {
        "individual_number_reveal"
    } else {
        "individual_number_reveal none"
    };
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Reveal,
            i64::try_from(person.get()).ok(),
            detail,
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(number.map_or(Revealed::NoNumber, Revealed::Number))
}

/// A person's 個人番号 masked (`********9018`) for a screen that shows only
/// that: `None` when the person is not in this municipality's registry,
/// `Some(None)` when registered without a number. Writes a `read` entry.
pub async fn masked_individual_number(
    tenant: &TenantDb,
    actor: &Actor,
    person: PersonId,
) -> Result<Option<Option<String>>, RegistryError> {
    let mut tx = tenant.begin().await?;
    let exists = tx
        .fetch_optional(
            "SELECT person_id FROM persons WHERE municipality_code = $1 AND person_id = $2",
            &[int(person.get())],
        )
        .await?
        .is_some();
    if !exists {
        tx.rollback().await?;
        return Ok(None);
    }
    let masked = current_number(&mut tx, person).await?.map(|n| n.masked());
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Read,
            i64::try_from(person.get()).ok(),
            "individual_number_masked",
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(masked))
}

/// One stored version of a person's 個人番号, opened: what the standard
/// exchange format carries (encrypted) when a municipality leaves.
pub struct NumberVersion {
    /// The person (宛名番号).
    pub person_id: PersonId,
    /// The version (1, 2, … for the same person).
    pub version: i64,
    /// The movement that recorded it.
    pub movement_id: MovementId,
    /// The number.
    pub number: IndividualNumber,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
}

impl std::fmt::Debug for NumberVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NumberVersion")
            .field("person_id", &self.person_id)
            .field("version", &self.version)
            .field("number", &self.number)
            .finish_non_exhaustive()
    }
}

/// The next `limit` stored 個人番号 versions after `after` (person, version)
/// in key order, opened, for the standard export with a recipient. Writes
/// no access-log entry: the export writes one for all of them.
pub async fn individual_number_versions(
    tx: &mut TenantTx,
    after: Option<(PersonId, i64)>,
    limit: usize,
) -> Result<Vec<NumberVersion>, StoreError> {
    let (person, version) = after.map_or((0, 0), |(p, v)| (p.get(), v));
    let rows = tx
        .fetch_all(
            "SELECT person_id, version, movement_id, sealed_number, recorded_at \
             FROM individual_numbers WHERE municipality_code = $1 \
             AND (person_id > $2 OR (person_id = $2 AND version > $3)) \
             ORDER BY municipality_code, person_id, version LIMIT $4",
            &[
                int(person),
                Arg::Int(version),
                Arg::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
            ],
        )
        .await?;
    let municipality = tx.municipality();
    let mut keys = Vec::with_capacity(rows.len());
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let person = u64::try_from(row.int(0)?).map_err(|_| corrupt("negative person_id"))?;
        let version = row.int(1)?;
        let movement = u64::try_from(row.int(2)?).map_err(|_| corrupt("negative movement_id"))?;
        items.push((aad(municipality.as_str(), person, version), row.bytes(3)?));
        keys.push((person, version, movement, row.text(4)?));
    }
    let opened = tx.open_many(&items).await?;
    keys.into_iter()
        .zip(opened)
        .map(|((person, version, movement, recorded_at), plain)| {
            let text = std::str::from_utf8(&plain).map_err(|_| corrupt("not UTF-8"))?;
            let number =
                IndividualNumber::parse(text).map_err(|_| corrupt("not a valid number"))?;
            Ok(NumberVersion {
                person_id: PersonId::new(person),
                version,
                movement_id: MovementId::new(movement),
                number,
                recorded_at,
            })
        })
        .collect()
}

/// Stores 個人番号 versions brought by the standard import as they were
/// (same version, movement and time), each sealed under this
/// municipality's keys and bound to its row, with its keyed hash. Their
/// `persons` and `movements` rows must exist; the caller has checked the
/// numbers and keys. For the import into an empty municipality only.
pub async fn load_individual_number_versions(
    tx: &mut TenantTx,
    versions: &[NumberVersion],
) -> Result<(), StoreError> {
    if versions.is_empty() {
        return Ok(());
    }
    let municipality = tx.municipality();
    let plain: Vec<&[u8]> = versions
        .iter()
        .map(|v| v.number.as_str().as_bytes())
        .collect();
    let hashes = tx.keyed_hashes(HASH_DOMAIN, &plain).await?;
    let items: Vec<(String, &[u8])> = versions
        .iter()
        .zip(&plain)
        .map(|(v, p)| (aad(municipality.as_str(), v.person_id.get(), v.version), *p))
        .collect();
    let sealed = tx.seal_many(&items).await?;
    let rows: Vec<Vec<Arg>> = versions
        .iter()
        .zip(sealed)
        .zip(hashes)
        .map(|((v, sealed), hash)| {
            vec![
                int(v.person_id.get()),
                Arg::Int(v.version),
                int(v.movement_id.get()),
                Arg::Bytes(sealed),
                Arg::Text(hash),
                Arg::Text(v.recorded_at.clone()),
            ]
        })
        .collect();
    tx.insert_rows(
        "individual_numbers",
        &[
            "person_id",
            "version",
            "movement_id",
            "sealed_number",
            "number_hash",
            "recorded_at",
        ],
        &rows,
    )
    .await?;
    Ok(())
}
