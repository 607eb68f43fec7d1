//! Loading movements through the domain's closure protocol, and the reads of
//! the registry, each with its access-log entries in the same transaction.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use kiban_audit::{Actor, AuditAction, AuditEntry};
use kiban_core::{Date, KanaName, PersonName, PostalCode, Relationship, ResidentRecordCode, Sex};
use kiban_store::{Arg, Row, StoreError, TenantDb, TenantTx};

use crate::domain::{
    Address, AddressText, Closure, HouseholdId, HouseholdRecord, Mentions, Movement, Nationality,
    PersonId, PersonListing, PersonRecord, PersonVersion, Reason, Rejection, ResidentStatus,
    STATUS_OF_RESIDENCE_UNKNOWN, StatusOfResidence, Timeline,
};

use super::RegistryError;
use super::individual_number::attach_numbers;
use super::payload;
use super::rows::int;

pub(crate) use kiban_store::{IN_LIST_CHUNK, in_list};

async fn fetch_movements(
    tx: &mut TenantTx,
    source: &str,
    column: &str,
    ids: &[u64],
    into: &mut Vec<Movement>,
) -> Result<(), StoreError> {
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT movement_id, kind, event_date, notified_on, payload FROM movements \
             WHERE municipality_code = $1 AND movement_id IN \
             (SELECT movement_id FROM {source} WHERE municipality_code = $1 AND {column} IN ({}))",
            in_list(2, chunk.len())
        );
        let args: Vec<Arg> = chunk.iter().map(|id| int(*id)).collect();
        for row in tx.fetch_all(&sql, &args).await? {
            into.push(payload::decode(
                row.int(0)?,
                &row.text(1)?,
                row.date(2)?,
                row.date(3)?,
                &row.text(4)?,
            )?);
        }
    }
    Ok(())
}

/// Every movement indexed by a person or household of `pending`, and those
/// numbered in it.
async fn load_batch(tx: &mut TenantTx, pending: &Mentions) -> Result<Vec<Movement>, StoreError> {
    let mut movements = Vec::new();
    let persons: Vec<u64> = pending.persons.iter().map(|p| p.get()).collect();
    let households: Vec<u64> = pending.households.iter().map(|h| h.get()).collect();
    let numbers: Vec<u64> = pending.movements.iter().map(|m| m.get()).collect();
    fetch_movements(
        tx,
        "movement_persons",
        "person_id",
        &persons,
        &mut movements,
    )
    .await?;
    fetch_movements(
        tx,
        "movement_households",
        "household_id",
        &households,
        &mut movements,
    )
    .await?;
    fetch_movements(tx, "movements", "movement_id", &numbers, &mut movements).await?;
    Ok(movements)
}

/// Loads what `start` needs, following [`Closure`] until no movement names
/// anyone new.
pub(crate) async fn load_closure(
    tx: &mut TenantTx,
    start: Mentions,
) -> Result<Vec<Movement>, StoreError> {
    let mut closure = Closure::new(start);
    while let Some(pending) = closure.pending() {
        let batch = load_batch(tx, &pending).await?;
        closure.add(&pending, batch);
    }
    Ok(closure.into_movements())
}

fn persons(ids: impl IntoIterator<Item = PersonId>) -> Mentions {
    let mut mentions = Mentions::default();
    mentions.persons.extend(ids);
    mentions
}

fn person_number(person: PersonId) -> Option<i64> {
    i64::try_from(person.get()).ok()
}

fn read_entries(
    actor: &Actor,
    persons: impl IntoIterator<Item = PersonId>,
    detail: &str,
) -> Vec<AuditEntry> {
    persons
        .into_iter()
        .map(|p| actor.entry(AuditAction::Read, person_number(p), detail))
        .collect()
}

/// The registry's version: the movement counter of the municipality.
/// Every change to what the registry's reads return (movements, their
/// index rows and projections, 個人番号) is made by a transaction that takes
/// movement numbers, so an unchanged counter means unchanged registry data.
pub(crate) async fn registry_version(tx: &mut TenantTx) -> Result<Option<i64>, StoreError> {
    tx.peek_next_number(super::MOVEMENT_SEQUENCE).await
}

/// A read of the registry and its access-log entries, committed together:
/// a read whose entries cannot be written returns nothing.
///
/// Appending entries is a write, and writes queue: on SQLite for its one
/// writer, on PostgreSQL for the row lock of the access log's counter (held
/// from the append to the commit, so that the chain stays in order). Had
/// each read appended in its own transaction, every read would wait for
/// all the reads before it, commit by commit. So the reading is done first
/// in a read transaction, which runs beside the others, noting the
/// registry's version; the entries are then appended by a writing
/// transaction shared with the other reads of the moment
/// ([`kiban_audit::append_if_unchanged`]), provided the version is still the
/// one read. If a movement was recorded in between, the caller reads again
/// in its own writing transaction and commits the entries there.
///
/// An unchanged version also means that every statement of the reading saw
/// the same registry, even where each statement takes its own snapshot
/// (PostgreSQL's `READ COMMITTED`): a movement committed between two of
/// them would have changed the version.
struct LoggedRead {
    tx: TenantTx,
    /// The registry's version when reading began.
    seen: Option<i64>,
}

impl LoggedRead {
    async fn begin(tenant: &TenantDb) -> Result<Self, StoreError> {
        let mut tx = tenant.begin_read().await?;
        let seen = registry_version(&mut tx).await?;
        Ok(Self { tx, seen })
    }

    /// The transaction to read in.
    fn tx(&mut self) -> &mut TenantTx {
        &mut self.tx
    }

    /// Commits `entries` for what was read: `None` when done; otherwise
    /// the registry changed since it was read (or the shared transaction
    /// failed) and the caller must read again in the returned writing
    /// transaction and [`ReadAgain::commit`] the entries of that reading.
    async fn log(
        self,
        tenant: &TenantDb,
        entries: Vec<AuditEntry>,
    ) -> Result<Option<ReadAgain>, StoreError> {
        // The reading transaction ends first, so that no request holds two
        // connections.
        self.tx.commit().await?;
        let unless = kiban_audit::Unchanged {
            sequence: super::MOVEMENT_SEQUENCE,
            seen: self.seen,
        };
        if kiban_audit::append_if_unchanged(tenant, unless, entries).await {
            return Ok(None);
        }
        Ok(Some(ReadAgain {
            tx: tenant.begin().await?,
        }))
    }
}

/// The writing transaction in which a [`LoggedRead`] whose registry changed
/// reads again and appends its own entries.
struct ReadAgain {
    tx: TenantTx,
}

impl ReadAgain {
    /// The transaction to read in.
    fn tx(&mut self) -> &mut TenantTx {
        &mut self.tx
    }

    /// Appends the entries and commits.
    async fn commit(mut self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        kiban_audit::append_many(&mut self.tx, entries).await?;
        self.tx.commit().await
    }
}

/// A person's record (住民票, or 除票 once removed) as of `as_of`; `None` if
/// the person was not registered in this municipality by then (or is
/// another municipality's). Writes one `read` entry when a record is
/// returned.
pub async fn person_as_of(
    tenant: &TenantDb,
    actor: &Actor,
    person_id: PersonId,
    as_of: Date,
) -> Result<Option<PersonRecord>, RegistryError> {
    let detail = format!("person_as_of {as_of}");
    let entries = |record: &Option<PersonRecord>| {
        read_entries(actor, record.iter().map(|r| r.person_id), &detail)
    };
    let mut read = LoggedRead::begin(tenant).await?;
    let mut record = person_unlogged(read.tx(), person_id, as_of).await?;
    if let Some(mut again) = read.log(tenant, entries(&record)).await? {
        record = person_unlogged(again.tx(), person_id, as_of).await?;
        again.commit(&entries(&record)).await?;
    }
    Ok(record)
}

async fn person_unlogged(
    tx: &mut TenantTx,
    person_id: PersonId,
    as_of: Date,
) -> Result<Option<PersonRecord>, StoreError> {
    let movements = load_closure(tx, persons([person_id])).await?;
    let mut record = Timeline::new(&movements).person_as_of(person_id, as_of);
    attach_numbers(
        tx,
        record
            .iter_mut()
            .map(|r| (r.person_id, &mut r.individual_number)),
    )
    .await?;
    Ok(record)
}

/// One entry of a person's history as storage keeps it: the domain's
/// version and when and by whom its movement was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The movement and the record right after it.
    pub version: PersonVersion,
    /// When the movement was recorded (記録日時).
    pub recorded_at: Timestamp,
    /// The login of the staff member who recorded it.
    pub recorded_by: String,
}

/// A person's history (異動履歴), oldest first, each version with the time
/// its movement was recorded; `None` if the person is not in this
/// municipality's registry. Writes one `read` entry when found.
pub async fn person_history(
    tenant: &TenantDb,
    actor: &Actor,
    person_id: PersonId,
) -> Result<Option<Vec<HistoryEntry>>, RegistryError> {
    let entries = |history: &Option<Vec<HistoryEntry>>| -> Vec<AuditEntry> {
        history
            .iter()
            .map(|_| {
                actor.entry(
                    AuditAction::Read,
                    person_number(person_id),
                    "person_history",
                )
            })
            .collect()
    };
    let mut read = LoggedRead::begin(tenant).await?;
    let mut history = history_unlogged(read.tx(), person_id).await?;
    if let Some(mut again) = read.log(tenant, entries(&history)).await? {
        history = history_unlogged(again.tx(), person_id).await?;
        again.commit(&entries(&history)).await?;
    }
    Ok(history)
}

async fn history_unlogged(
    tx: &mut TenantTx,
    person_id: PersonId,
) -> Result<Option<Vec<HistoryEntry>>, RegistryError> {
    let movements = load_closure(tx, persons([person_id])).await?;
    let mut versions = Timeline::new(&movements).person_history(person_id);
    attach_numbers(
        tx,
        versions
            .iter_mut()
            .filter_map(|v| v.record.as_mut())
            .map(|r| (r.person_id, &mut r.individual_number)),
    )
    .await?;
    if versions.is_empty() {
        return Ok(None);
    }
    let ids: Vec<u64> = versions.iter().map(|v| v.movement_id.get()).collect();
    let mut recorded: BTreeMap<u64, (Timestamp, String)> = BTreeMap::new();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT movement_id, recorded_at, recorded_by FROM movements \
             WHERE municipality_code = $1 AND movement_id IN ({})",
            in_list(2, chunk.len())
        );
        let args: Vec<Arg> = chunk.iter().map(|id| int(*id)).collect();
        for row in tx.fetch_all(&sql, &args).await? {
            let id = u64::try_from(row.int(0)?).unwrap_or(0);
            let text = row.text(1)?;
            let at = text.parse::<Timestamp>().map_err(|e| StoreError::Corrupt {
                column: "movements.recorded_at".into(),
                reason: format!("{text}: {e}"),
            })?;
            recorded.insert(id, (at, row.text(2)?));
        }
    }
    let mut entries = Vec::with_capacity(versions.len());
    for version in versions {
        let Some((recorded_at, recorded_by)) = recorded.get(&version.movement_id.get()).cloned()
        else {
            return Err(RegistryError::Store(StoreError::Corrupt {
                column: "movements.movement_id".into(),
                reason: format!("movement {} has no row", version.movement_id),
            }));
        };
        entries.push(HistoryEntry {
            version,
            recorded_at,
            recorded_by,
        });
    }
    Ok(Some(entries))
}

/// A household as of `as_of` with its members resident on that day; `None`
/// if it was not founded by then in this municipality. Writes one `read`
/// entry per member returned.
pub async fn household_as_of(
    tenant: &TenantDb,
    actor: &Actor,
    household_id: HouseholdId,
    as_of: Date,
) -> Result<Option<HouseholdRecord>, RegistryError> {
    let detail = format!("household_as_of {household_id} {as_of}");
    let entries = |record: &Option<HouseholdRecord>| {
        record
            .as_ref()
            .map(|r| read_entries(actor, r.members.iter().map(|m| m.person_id), &detail))
            .unwrap_or_default()
    };
    let mut read = LoggedRead::begin(tenant).await?;
    let mut record = household_unlogged(read.tx(), household_id, as_of).await?;
    if let Some(mut again) = read.log(tenant, entries(&record)).await? {
        record = household_unlogged(again.tx(), household_id, as_of).await?;
        again.commit(&entries(&record)).await?;
    }
    Ok(record)
}

async fn household_unlogged(
    tx: &mut TenantTx,
    household_id: HouseholdId,
    as_of: Date,
) -> Result<Option<HouseholdRecord>, StoreError> {
    let mut start = Mentions::default();
    start.households.insert(household_id);
    let movements = load_closure(tx, start).await?;
    let mut record = Timeline::new(&movements).household_as_of(household_id, as_of);
    if let Some(record) = &mut record {
        attach_numbers(
            tx,
            record
                .members
                .iter_mut()
                .map(|r| (r.person_id, &mut r.individual_number)),
        )
        .await?;
    }
    Ok(record)
}

/// A search of the registry (住民検索). Every criterion given must match;
/// with none, persons are listed in kana order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// フリガナ as typed: matches the start of the reading, ignoring
    /// hiragana/katakana, full/half width and spaces.
    pub name_kana: Option<String>,
    /// 氏名 as typed: matches the start of the name, ignoring spaces'
    /// width and variation selectors (IVS).
    pub name: Option<String>,
    /// 生年月日.
    pub birth_date: Option<Date>,
    /// The start of the current address line (住所): as typed when it names
    /// the municipality, otherwise following the municipality's name
    /// (`中央一丁目` finds `デモ市中央一丁目…`).
    pub address: Option<String>,
    /// 宛名番号.
    pub person_id: Option<PersonId>,
    /// The date the records are read as of (基準日).
    pub as_of: Date,
    /// Whether removed persons (除票) are returned too.
    pub include_removed: bool,
    /// The most results to return.
    pub limit: u32,
}

/// Adds an argument and returns its placeholder (the tenant is `$1`).
fn next(args: &mut Vec<Arg>, value: Arg) -> String {
    args.push(value);
    format!("${}", args.len() + 1)
}

/// The upper end of a prefix range: every key that starts with `prefix`
/// sorts below it (U+10FFFF never occurs in a name).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Searches the registry and returns the persons' records as of
/// `query.as_of`, in the order of the first criterion given (kana, name,
/// address; kana when none), at most `query.limit`, residents only
/// unless `include_removed`. Writes one `read` entry per person returned.
///
/// The projections find the candidates (prefix ranges on the kana and name
/// keys use the `persons` indexes; PostgreSQL databases are created with a
/// code-point collation, `C` or `C.UTF-8`, so that these ranges are
/// prefixes); each candidate is then read as of the date by folding its
/// movements, so a past date gives the state of that date. The address
/// matches the start of the latest address.
pub async fn search(
    tenant: &TenantDb,
    actor: &Actor,
    query: &SearchQuery,
) -> Result<Vec<PersonListing>, RegistryError> {
    let mut sql = format!("SELECT {LISTING_COLUMNS} FROM persons WHERE municipality_code = $1");
    let mut args: Vec<Arg> = Vec::new();
    let kana_prefix = match query.name_kana.as_deref().map(str::trim) {
        Some(kana) if !kana.is_empty() => {
            let key = kiban_core::kana::search_key(kana);
            let low = next(&mut args, Arg::from(key.as_str()));
            let high = next(&mut args, Arg::Text(prefix_end(&key)));
            sql.push_str(&format!(" AND kana_key >= {low} AND kana_key < {high}"));
            Some(key)
        }
        _ => None,
    };
    let by_name = query.name.as_deref().is_some_and(|n| !n.trim().is_empty());
    let by_address = query
        .address
        .as_deref()
        .is_some_and(|a| !a.trim().is_empty());
    if let Some(name) = query.name.as_deref().filter(|n| !n.trim().is_empty()) {
        let key = PersonName::parse(name)
            .map_err(|e| Rejection::new("name", Reason::InvalidValue(e)))?
            .base_characters();
        let low = next(&mut args, Arg::from(key.as_str()));
        let high = next(&mut args, Arg::Text(prefix_end(&key)));
        sql.push_str(&format!(
            " AND name_search >= {low} AND name_search < {high}"
        ));
    }
    if let Some(birth_date) = query.birth_date {
        let p = next(&mut args, Arg::from(birth_date));
        sql.push_str(&format!(" AND birth_date = {p}"));
    }
    let criteria = Criteria {
        sql,
        args,
        kana_prefix,
        by_name,
        by_address,
    };
    let detail = format!("search {}", query.as_of);
    let entries = |results: &[PersonListing]| {
        read_entries(actor, results.iter().map(|r| r.person_id), &detail)
    };
    let mut read = LoggedRead::begin(tenant).await?;
    let mut results = search_unlogged(read.tx(), query, &criteria).await?;
    if let Some(mut again) = read.log(tenant, entries(&results)).await? {
        results = search_unlogged(again.tx(), query, &criteria).await?;
        again.commit(&entries(&results)).await?;
    }
    Ok(results)
}

/// The follow-up list of foreign residents migrated without 在留資格・在留期間
/// (移行後要確認): the residents as of `as_of` whose status is "not yet
/// known" ([`crate::domain::StatusOfResidence::is_unknown`]), in フリガナ
/// order, at most `limit`. A 職権修正 that sets the status takes a person
/// off the list. Writes one `read` entry per person returned.
pub async fn missing_residence_status(
    tenant: &TenantDb,
    actor: &Actor,
    as_of: Date,
    limit: u32,
) -> Result<Vec<PersonListing>, RegistryError> {
    let query = SearchQuery {
        name_kana: None,
        name: None,
        birth_date: None,
        address: None,
        person_id: None,
        as_of,
        include_removed: false,
        limit,
    };
    let criteria = Criteria {
        sql: format!(
            "SELECT {LISTING_COLUMNS} FROM persons WHERE municipality_code = $1 \
             AND status_of_residence = $2"
        ),
        args: vec![Arg::from(STATUS_OF_RESIDENCE_UNKNOWN)],
        kana_prefix: None,
        by_name: false,
        by_address: false,
    };
    let unknown = |results: Vec<PersonListing>| -> Vec<PersonListing> {
        results
            .into_iter()
            .filter(|r| {
                r.status_of_residence
                    .as_ref()
                    .is_some_and(|s| s.is_unknown())
            })
            .collect()
    };
    let detail = format!("follow-up missing_residence_status {as_of}");
    let entries = |results: &[PersonListing]| {
        read_entries(actor, results.iter().map(|r| r.person_id), &detail)
    };
    let mut read = LoggedRead::begin(tenant).await?;
    let mut results = unknown(search_unlogged(read.tx(), &query, &criteria).await?);
    if let Some(mut again) = read.log(tenant, entries(&results)).await? {
        results = unknown(search_unlogged(again.tx(), &query, &criteria).await?);
        again.commit(&entries(&results)).await?;
    }
    Ok(results)
}

/// The part of a search's statement built from the query alone.
struct Criteria {
    sql: String,
    args: Vec<Arg>,
    kana_prefix: Option<String>,
    by_name: bool,
    by_address: bool,
}

async fn search_unlogged(
    tx: &mut TenantTx,
    query: &SearchQuery,
    criteria: &Criteria,
) -> Result<Vec<PersonListing>, RegistryError> {
    let kana_prefix = &criteria.kana_prefix;
    // Each attempt builds its statement afresh.
    let mut sql = criteria.sql.clone();
    let mut args = criteria.args.clone();
    if let Some(address) = query.address.as_deref().map(str::trim)
        && !address.is_empty()
    {
        // Addresses are written from the municipality's name (デモ市中央一丁目…):
        // typed without it (中央一丁目), the prefix follows it. One range,
        // so that the address index answers it.
        let locality = tx
            .fetch_optional(
                "SELECT name FROM municipalities WHERE municipality_code = $1",
                &[],
            )
            .await?
            .map(|row| row.text(0))
            .transpose()?;
        let prefix = match locality {
            Some(locality) if !address.contains(locality.as_str()) => {
                format!("{locality}{address}")
            }
            _ => address.to_owned(),
        };
        let low = next(&mut args, Arg::from(prefix.as_str()));
        let high = next(&mut args, Arg::Text(prefix_end(&prefix)));
        sql.push_str(&format!(
            " AND address_line >= {low} AND address_line < {high}"
        ));
    }
    if let Some(person_id) = query.person_id {
        let p = next(&mut args, int(person_id.get()));
        sql.push_str(&format!(" AND person_id = {p}"));
    }
    if !query.include_removed {
        // The projection holds the latest state: a person removed on or
        // before the date cannot be a resident on it.
        let p = next(&mut args, Arg::from(query.as_of));
        sql.push_str(&format!(" AND (status = 'resident' OR removed_on > {p})"));
    }
    let limit = query.limit.min(1_000);
    // The limit is written into the statement, not bound: SQLite plans
    // with a bound LIMIT's value and so prepares such a statement again at
    // every execution.
    let fetch = limit.saturating_add(10);
    // In the order of the first prefix criterion, so that its index gives
    // the rows in order and the scan stops at the limit.
    let order = if kana_prefix.is_some() {
        "kana_key, person_id"
    } else if criteria.by_name {
        "name_search, person_id"
    } else if criteria.by_address {
        "address_line, person_id"
    } else {
        "kana_key, person_id"
    };
    sql.push_str(&format!(" ORDER BY {order} LIMIT {fetch}"));

    let rows = tx.fetch_all(&sql, &args).await?;
    // Each candidate with its household (the first two listing columns).
    let candidates: Vec<(PersonId, HouseholdId)> = rows
        .iter()
        .map(|row| {
            Ok::<_, StoreError>((
                PersonId::new(u64::try_from(row.int(0)?).unwrap_or(0)),
                HouseholdId::new(u64::try_from(row.int(1)?).unwrap_or(0)),
            ))
        })
        .collect::<Result<_, _>>()?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    // A candidate's projection row is its state as of the date unless a
    // movement dated after it concerns them: those are folded.
    let later = concerned_after(tx, &candidates, query.as_of).await?;
    let mut folded: BTreeMap<PersonId, PersonRecord> = BTreeMap::new();
    if !later.is_empty() {
        let movements = load_closure(tx, persons(later.iter().copied())).await?;
        // One fold for every such candidate (not one per candidate).
        folded = Timeline::new(&movements)
            .persons_as_of(query.as_of)
            .into_iter()
            .filter(|record| later.contains(&record.person_id))
            .map(|record| (record.person_id, record))
            .collect();
    }
    let mut results = Vec::with_capacity(candidates.len());
    for ((person, _), row) in candidates.iter().zip(&rows) {
        let listing = if later.contains(person) {
            let Some(record) = folded.remove(person) else {
                continue;
            };
            PersonListing::from(record)
        } else {
            listing_of(row)?
        };
        if !query.include_removed && listing.status != ResidentStatus::Resident {
            continue;
        }
        if let Some(prefix) = kana_prefix
            && !listing.name_kana.search_key().starts_with(prefix.as_str())
        {
            continue;
        }
        results.push(listing);
        if results.len() >= limit as usize {
            break;
        }
    }
    attach_numbers(
        tx,
        results
            .iter_mut()
            .map(|r| (r.person_id, &mut r.individual_number)),
    )
    .await?;
    Ok(results)
}

/// The columns of `persons` a listing is read from, in [`listing_of`]'s
/// order.
const LISTING_COLUMNS: &str = "person_id, household_id, resident_record_code, name, name_kana, \
     birth_date, sex, relationship, nationality, status_of_residence, period_of_stay_until, \
     postal_code, address_line, katagaki, status, resident_from, removed_on";

fn listing_of(row: &Row) -> Result<PersonListing, StoreError> {
    fn parse<T, E: std::fmt::Display>(
        column: &str,
        text: &str,
        parser: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, StoreError> {
        parser(text).map_err(|e| StoreError::Corrupt {
            column: format!("persons.{column}"),
            reason: format!("{text}: {e}"),
        })
    }
    let id = |i: usize| -> Result<u64, StoreError> {
        u64::try_from(row.int(i)?).map_err(|_| StoreError::Corrupt {
            column: "persons".into(),
            reason: "negative number".into(),
        })
    };
    let status = match row.text(14)?.as_str() {
        "resident" => ResidentStatus::Resident,
        "moved_out" => ResidentStatus::MovedOut,
        "deceased" => ResidentStatus::Deceased,
        other => {
            return Err(StoreError::Corrupt {
                column: "persons.status".into(),
                reason: other.to_owned(),
            });
        }
    };
    Ok(PersonListing {
        person_id: PersonId::new(id(0)?),
        household_id: HouseholdId::new(id(1)?),
        resident_record_code: parse(
            "resident_record_code",
            &row.text(2)?,
            ResidentRecordCode::parse,
        )?,
        name: parse("name", &row.text(3)?, PersonName::parse)?,
        name_kana: parse("name_kana", &row.text(4)?, KanaName::parse)?,
        birth_date: row.date(5)?,
        sex: parse("sex", &row.text(6)?, Sex::parse)?,
        relationship: parse("relationship", &row.text(7)?, Relationship::parse)?,
        nationality: parse("nationality", &row.text(8)?, Nationality::parse)?,
        status_of_residence: row
            .opt_text(9)?
            .map(|s| parse("status_of_residence", &s, StatusOfResidence::from_stored))
            .transpose()?,
        period_of_stay_until: row.opt_date(10)?,
        address: Address {
            postal_code: parse(
                "postal_code",
                &row.opt_text(11)?.unwrap_or_default(),
                PostalCode::parse,
            )?,
            address_line: parse("address_line", &row.text(12)?, AddressText::parse)?,
            katagaki: row
                .opt_text(13)?
                .map(|k| parse("katagaki", &k, AddressText::parse))
                .transpose()?,
        },
        status,
        resident_from: row.date(15)?,
        removed_on: row.opt_date(16)?,
        individual_number: None,
    })
}

/// At most this many movements dated after a search's date are checked
/// from the movements' side; beyond, each candidate is looked up.
const LATER_MOVEMENTS_CHECKED: usize = 200;

/// Which candidates a movement dated after `as_of` concerns (named in its
/// index rows, or through their household). `households` gives each
/// candidate's household in the `persons` projection.
///
/// Such movements are few when `as_of` is today (only a planned 転出 is
/// dated in the future): they are read first, and their persons and
/// households compared with the candidates, which reads a few pages
/// instead of every candidate's index entries. For a date in the past
/// (many later movements) each candidate is looked up instead.
async fn concerned_after(
    tx: &mut TenantTx,
    candidates: &[(PersonId, HouseholdId)],
    as_of: Date,
) -> Result<BTreeSet<PersonId>, StoreError> {
    let later: Vec<i64> = tx
        .fetch_all(
            // One more than checked, to know when there are more. (A
            // literal LIMIT: see `search_unlogged`.)
            &format!(
                "SELECT movement_id FROM movements WHERE municipality_code = $1 \
                 AND event_date > $2 ORDER BY event_date, movement_id LIMIT {}",
                LATER_MOVEMENTS_CHECKED + 1
            ),
            &[Arg::from(as_of)],
        )
        .await?
        .iter()
        .map(|row| row.int(0))
        .collect::<Result<_, _>>()?;
    if later.is_empty() {
        return Ok(BTreeSet::new());
    }
    if later.len() <= LATER_MOVEMENTS_CHECKED {
        let persons = named_by(tx, "movement_persons", "person_id", &later).await?;
        let households = named_by(tx, "movement_households", "household_id", &later).await?;
        let found: BTreeSet<PersonId> = candidates
            .iter()
            .filter(|(person, household)| {
                i64::try_from(person.get()).is_ok_and(|p| persons.contains(&p))
                    || i64::try_from(household.get()).is_ok_and(|h| households.contains(&h))
            })
            .map(|(person, _)| *person)
            .collect();
        // Debug builds (the tests) check the answer against the other way.
        if cfg!(debug_assertions) {
            let each = concerned_after_each(tx, candidates, as_of).await?;
            debug_assert_eq!(found, each, "concerned_after: both ways agree");
        }
        return Ok(found);
    }
    concerned_after_each(tx, candidates, as_of).await
}

/// The `column` values (persons or households) that the index table
/// `table` holds for the movements `movements` (at most
/// [`LATER_MOVEMENTS_CHECKED`]).
async fn named_by(
    tx: &mut TenantTx,
    table: &str,
    column: &str,
    movements: &[i64],
) -> Result<BTreeSet<i64>, StoreError> {
    let sql = format!(
        "SELECT {column} FROM {table} WHERE municipality_code = $1 AND movement_id IN ({})",
        in_list(2, movements.len())
    );
    let args: Vec<Arg> = movements.iter().map(|id| Arg::Int(*id)).collect();
    tx.fetch_all(&sql, &args)
        .await?
        .iter()
        .map(|row| row.int(0))
        .collect()
}

/// [`concerned_after`] by looking up each candidate.
async fn concerned_after_each(
    tx: &mut TenantTx,
    candidates: &[(PersonId, HouseholdId)],
    as_of: Date,
) -> Result<BTreeSet<PersonId>, StoreError> {
    let mut found = BTreeSet::new();
    let ids: Vec<PersonId> = candidates.iter().map(|(person, _)| *person).collect();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let list = in_list(3, chunk.len());
        let sql = format!(
            "SELECT person_id FROM movement_persons \
             WHERE municipality_code = $1 AND person_id IN ({list}) AND movement_id IN \
               (SELECT movement_id FROM movements WHERE municipality_code = $1 AND event_date > $2) \
             UNION \
             SELECT p.person_id FROM persons p JOIN movement_households h \
               ON h.municipality_code = p.municipality_code AND h.household_id = p.household_id \
             WHERE p.municipality_code = $1 AND p.person_id IN ({list}) AND h.movement_id IN \
               (SELECT movement_id FROM movements WHERE municipality_code = $1 AND event_date > $2)"
        );
        let mut args = vec![Arg::from(as_of)];
        args.extend(chunk.iter().map(|p| int(p.get())));
        for row in tx.fetch_all(&sql, &args).await? {
            found.insert(PersonId::new(u64::try_from(row.int(0)?).unwrap_or(0)));
        }
    }
    Ok(found)
}

/// Persons' records as of `as_of` (in the order asked; `None` for a person
/// not registered here by then), read in the caller's transaction **without
/// an access-log entry**: for another business's action (e.g. issuing a
/// certificate, registering a seal) that writes its own entry for these
/// persons in the same transaction.
pub(crate) async fn persons_as_of_unlogged(
    tx: &mut TenantTx,
    person_ids: &[PersonId],
    as_of: Date,
) -> Result<Vec<Option<PersonRecord>>, StoreError> {
    let movements = load_closure(tx, persons(person_ids.iter().copied())).await?;
    let timeline = Timeline::new(&movements);
    Ok(person_ids
        .iter()
        .map(|person| timeline.person_as_of(*person, as_of))
        .collect())
}

/// A household as of `as_of`, read in the caller's transaction **without an
/// access-log entry** (see [`persons_as_of_unlogged`]).
pub(crate) async fn household_as_of_unlogged(
    tx: &mut TenantTx,
    household_id: HouseholdId,
    as_of: Date,
) -> Result<Option<HouseholdRecord>, StoreError> {
    let mut start = Mentions::default();
    start.households.insert(household_id);
    let movements = load_closure(tx, start).await?;
    Ok(Timeline::new(&movements).household_as_of(household_id, as_of))
}

/// Persons of the projection (the latest state) numbered from `from` on,
/// in number order, at most `limit` (for the addressee master's index).
pub(crate) async fn listings_from_unlogged(
    tx: &mut TenantTx,
    from: PersonId,
    limit: usize,
) -> Result<Vec<PersonListing>, StoreError> {
    let sql = format!(
        "SELECT {LISTING_COLUMNS} FROM persons WHERE municipality_code = $1 \
         AND person_id >= $2 ORDER BY person_id LIMIT $3"
    );
    let from = i64::try_from(from.get()).unwrap_or(i64::MAX);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    tx.fetch_all(&sql, &[Arg::Int(from), Arg::Int(limit)])
        .await?
        .iter()
        .map(listing_of)
        .collect()
}

/// A person's versions (the record after each movement), oldest first;
/// empty when the person is not in the registry.
pub(crate) async fn person_versions_unlogged(
    tx: &mut TenantTx,
    person_id: PersonId,
) -> Result<Vec<PersonVersion>, StoreError> {
    let movements = load_closure(tx, persons([person_id])).await?;
    Ok(Timeline::new(&movements).person_history(person_id))
}

/// Which of `ids` are persons of the registry.
pub(crate) async fn known_persons_unlogged(
    tx: &mut TenantTx,
    ids: &[PersonId],
) -> Result<BTreeSet<PersonId>, StoreError> {
    let mut known = BTreeSet::new();
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT person_id FROM persons WHERE municipality_code = $1 AND person_id IN ({})",
            in_list(2, chunk.len())
        );
        let args: Vec<Arg> = chunk
            .iter()
            .map(|p| Arg::Int(i64::try_from(p.get()).unwrap_or(i64::MAX)))
            .collect();
        for row in tx.fetch_all(&sql, &args).await? {
            known.insert(PersonId::new(u64::try_from(row.int(0)?).unwrap_or(0)));
        }
    }
    Ok(known)
}
