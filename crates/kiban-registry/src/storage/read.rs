//! Loading movements through the domain's closure protocol, and the reads of
//! the registry, each with its access-log entries in the same transaction.

use kiban_audit::{Actor, AuditAction, AuditEntry};
use kiban_core::{Date, PersonName};
use kiban_store::{Arg, StoreError, TenantDb, TenantTx};

use crate::domain::{
    Closure, HouseholdId, HouseholdRecord, Mentions, Movement, PersonId, PersonRecord,
    PersonVersion, Reason, Rejection, ResidentStatus, Timeline,
};

use super::RegistryError;
use super::individual_number::attach_numbers;
use super::payload;
use super::rows::int;

/// At most this many numbers in one `IN (…)` list.
const IN_LIST_CHUNK: usize = 2_000;

fn in_list(first_param: usize, count: usize) -> String {
    let mut list = String::with_capacity(count * 6);
    for n in 0..count {
        if n > 0 {
            list.push_str(", ");
        }
        list.push('$');
        list.push_str(&(first_param + n).to_string());
    }
    list
}

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

fn read_entries<'a>(
    actor: &Actor,
    records: impl IntoIterator<Item = &'a PersonRecord>,
    detail: &str,
) -> Vec<AuditEntry> {
    records
        .into_iter()
        .map(|r| actor.entry(AuditAction::Read, person_number(r.person_id), detail))
        .collect()
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
    let mut tx = tenant.begin().await?;
    let movements = load_closure(&mut tx, persons([person_id])).await?;
    let mut record = Timeline::new(&movements).person_as_of(person_id, as_of);
    attach_numbers(&mut tx, record.iter_mut()).await?;
    if let Some(record) = &record {
        let detail = format!("person_as_of {as_of}");
        kiban_audit::append_many(&mut tx, &read_entries(actor, [record], &detail)).await?;
    }
    tx.commit().await?;
    Ok(record)
}

/// A person's history (異動履歴), oldest first; `None` if the person is not
/// in this municipality's registry. Writes one `read` entry when found.
pub async fn person_history(
    tenant: &TenantDb,
    actor: &Actor,
    person_id: PersonId,
) -> Result<Option<Vec<PersonVersion>>, RegistryError> {
    let mut tx = tenant.begin().await?;
    let movements = load_closure(&mut tx, persons([person_id])).await?;
    let mut versions = Timeline::new(&movements).person_history(person_id);
    attach_numbers(
        &mut tx,
        versions.iter_mut().filter_map(|v| v.record.as_mut()),
    )
    .await?;
    if versions.is_empty() {
        tx.commit().await?;
        return Ok(None);
    }
    let entry = actor.entry(
        AuditAction::Read,
        person_number(person_id),
        "person_history",
    );
    kiban_audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(Some(versions))
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
    let mut tx = tenant.begin().await?;
    let mut start = Mentions::default();
    start.households.insert(household_id);
    let movements = load_closure(&mut tx, start).await?;
    let mut record = Timeline::new(&movements).household_as_of(household_id, as_of);
    if let Some(record) = &mut record {
        attach_numbers(&mut tx, record.members.iter_mut()).await?;
    }
    if let Some(record) = &record {
        let detail = format!("household_as_of {household_id} {as_of}");
        kiban_audit::append_many(&mut tx, &read_entries(actor, &record.members, &detail)).await?;
    }
    tx.commit().await?;
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
    /// Part of the current address line (住所), anywhere in it.
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

/// Escapes `%`, `_` and `\` for `LIKE … ESCAPE '\'`.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The upper end of a prefix range: every key that starts with `prefix`
/// sorts below it (U+10FFFF never occurs in a name).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Searches the registry and returns the persons' records as of
/// `query.as_of`, in kana order, at most `query.limit`, residents only
/// unless `include_removed`. Writes one `read` entry per person returned.
///
/// The projections find the candidates (prefix ranges on the kana and name
/// keys use the `persons` indexes; PostgreSQL databases are created with a
/// code-point collation, `C` or `C.UTF-8`, so that these ranges are
/// prefixes); each candidate is then read as of the date by folding its
/// movements, so a past date gives the state of that date. The address
/// matches the latest address.
pub async fn search(
    tenant: &TenantDb,
    actor: &Actor,
    query: &SearchQuery,
) -> Result<Vec<PersonRecord>, RegistryError> {
    let mut sql = String::from("SELECT person_id FROM persons WHERE municipality_code = $1");
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
    if let Some(address) = query.address.as_deref().map(str::trim)
        && !address.is_empty()
    {
        let p = next(&mut args, Arg::Text(format!("%{}%", like_escaped(address))));
        sql.push_str(&format!(" AND address_line LIKE {p} ESCAPE '\\'"));
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
    let p = next(&mut args, Arg::from(limit.saturating_add(10)));
    sql.push_str(&format!(" ORDER BY kana_key, person_id LIMIT {p}"));

    let mut tx = tenant.begin().await?;
    let candidates: Vec<PersonId> = tx
        .fetch_all(&sql, &args)
        .await?
        .iter()
        .map(|row| {
            row.int(0)
                .map(|id| PersonId::new(u64::try_from(id).unwrap_or(0)))
        })
        .collect::<Result<_, _>>()?;
    let mut results = Vec::with_capacity(candidates.len());
    if !candidates.is_empty() {
        let movements = load_closure(&mut tx, persons(candidates.iter().copied())).await?;
        let timeline = Timeline::new(&movements);
        for person in &candidates {
            let Some(record) = timeline.person_as_of(*person, query.as_of) else {
                continue;
            };
            if !query.include_removed && record.status != ResidentStatus::Resident {
                continue;
            }
            if let Some(prefix) = &kana_prefix
                && !record.name_kana.search_key().starts_with(prefix.as_str())
            {
                continue;
            }
            results.push(record);
            if results.len() >= limit as usize {
                break;
            }
        }
    }
    attach_numbers(&mut tx, results.iter_mut()).await?;
    let detail = format!("search {}", query.as_of);
    kiban_audit::append_many(&mut tx, &read_entries(actor, &results, &detail)).await?;
    tx.commit().await?;
    Ok(results)
}

/// Persons' records as of `as_of` (in the order asked; `None` for a person
/// not registered here by then), read in the caller's transaction **without
/// an access-log entry**: for another business's action (e.g. issuing a
/// certificate, registering a seal) that writes its own entry for these
/// persons in the same transaction.
pub async fn persons_as_of_unlogged(
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
pub async fn household_as_of_unlogged(
    tx: &mut TenantTx,
    household_id: HouseholdId,
    as_of: Date,
) -> Result<Option<HouseholdRecord>, StoreError> {
    let mut start = Mentions::default();
    start.households.insert(household_id);
    let movements = load_closure(tx, start).await?;
    Ok(Timeline::new(&movements).household_as_of(household_id, as_of))
}
