//! The rows of the registry's tables, built from domain values: shared by
//! the recording of single movements and by bulk registration.

use std::collections::BTreeMap;

use kiban_store::{Arg, Row, StoreError, TenantTx};

use crate::domain::search::{kana_key, name_key};
use crate::domain::{Details, HouseholdRecord, Mentions, Movement, PersonRecord};

use super::payload;
use super::read::{IN_LIST_CHUNK, in_list};

/// Columns of `movements` after `municipality_code`.
pub(crate) const MOVEMENT_COLUMNS: [&str; 8] = [
    "movement_id",
    "kind",
    "event_date",
    "notified_on",
    "recorded_at",
    "recorded_by",
    "cancels_movement_id",
    "payload",
];

/// Columns of `movement_persons` after `municipality_code`.
pub(crate) const MOVEMENT_PERSON_COLUMNS: [&str; 2] = ["person_id", "movement_id"];

/// Columns of `movement_households` after `municipality_code`.
pub(crate) const MOVEMENT_HOUSEHOLD_COLUMNS: [&str; 2] = ["household_id", "movement_id"];

/// Columns of `persons` after `municipality_code`; the first is the key.
pub(crate) const PERSON_COLUMNS: [&str; 20] = [
    "person_id",
    "household_id",
    "resident_record_code",
    "name",
    "name_search",
    "name_kana",
    "kana_key",
    "birth_date",
    "sex",
    "relationship",
    "nationality",
    "status_of_residence",
    "period_of_stay_until",
    "postal_code",
    "address_line",
    "katagaki",
    "status",
    "resident_from",
    "removed_on",
    "last_movement_id",
];

/// Columns of `households` after `municipality_code`; the first is the key.
pub(crate) const HOUSEHOLD_COLUMNS: [&str; 5] = [
    "household_id",
    "head_person_id",
    "postal_code",
    "address_line",
    "katagaki",
];

/// A number as stored (`BIGINT`). Numbers are allocated from counters that
/// start at 1, so they always fit.
pub(crate) fn int(number: u64) -> Arg {
    Arg::Int(i64::try_from(number).unwrap_or(i64::MAX))
}

/// The `movements` row of a movement.
pub(crate) fn movement_row(
    movement: &Movement,
    recorded_at: &str,
    recorded_by: &str,
) -> Result<Vec<Arg>, StoreError> {
    let cancels = match &movement.details {
        Details::Cancellation(c) => int(c.movement_id.get()),
        _ => Arg::NullInt,
    };
    Ok(vec![
        int(movement.id.get()),
        Arg::from(movement.kind().code()),
        Arg::from(movement.event_date),
        Arg::from(movement.notified_on),
        Arg::from(recorded_at),
        Arg::from(recorded_by),
        cancels,
        Arg::Text(payload::encode(&movement.details)?),
    ])
}

/// The index rows of a movement: one per person and one per household it
/// is indexed by.
pub(crate) fn index_rows(
    movement: &Movement,
    index: &Mentions,
    persons: &mut Vec<Vec<Arg>>,
    households: &mut Vec<Vec<Arg>>,
) {
    let id = int(movement.id.get());
    persons.extend(index.persons.iter().map(|p| vec![int(p.get()), id.clone()]));
    households.extend(
        index
            .households
            .iter()
            .map(|h| vec![int(h.get()), id.clone()]),
    );
}

/// The `persons` row (the projection used for search and lists) of a
/// person's latest record.
pub(crate) fn person_row(record: &PersonRecord, last_movement_id: u64) -> Vec<Arg> {
    vec![
        int(record.person_id.get()),
        int(record.household_id.get()),
        Arg::from(record.resident_record_code.as_str()),
        Arg::from(record.name.as_str()),
        Arg::Text(name_key(&record.name)),
        Arg::from(record.name_kana.as_str()),
        Arg::Text(kana_key(&record.name_kana)),
        Arg::from(record.birth_date),
        Arg::from(record.sex.code()),
        Arg::from(record.relationship.code()),
        Arg::from(record.nationality.as_str()),
        Arg::from(record.status_of_residence.as_ref().map(|s| s.as_str())),
        Arg::from(record.period_of_stay_until),
        Arg::from(record.address.postal_code.as_str()),
        Arg::from(record.address.address_line.as_str()),
        Arg::from(record.address.katagaki.as_ref().map(|k| k.as_str())),
        Arg::from(record.status.code()),
        Arg::from(record.resident_from),
        Arg::from(record.removed_on),
        int(last_movement_id),
    ]
}

/// The `households` row of a household's latest state.
pub(crate) fn household_row(record: &HouseholdRecord) -> Vec<Arg> {
    vec![
        int(record.household_id.get()),
        record.head_person_id.map_or(Arg::NullInt, |p| int(p.get())),
        Arg::from(record.address.postal_code.as_str()),
        Arg::from(record.address.address_line.as_str()),
        Arg::from(record.address.katagaki.as_ref().map(|k| k.as_str())),
    ]
}

/// Inserts rows or, when the key (`municipality_code` and the first
/// column, an integer) exists, replaces the other columns, writing only
/// those whose value changed: the current rows are read first, a row that
/// is the same is left alone, and an update sets only the changed columns,
/// so that the database rewrites only the indexes of those (a 転居 changes
/// the address of a person's row, not the name, kana or birth date that
/// three other indexes hold). Callers hold the registry's write lock (see
/// the module documentation), so nothing changes between the read and the
/// write.
pub(crate) async fn upsert_rows(
    tx: &mut TenantTx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Arg>],
) -> Result<(), StoreError> {
    let Some(key) = columns.first() else {
        return Ok(());
    };
    let mut current: BTreeMap<i64, Row> = BTreeMap::new();
    for chunk in rows.chunks(IN_LIST_CHUNK) {
        let sql = format!(
            "SELECT {} FROM {table} WHERE municipality_code = $1 AND {key} IN ({})",
            columns.join(", "),
            in_list(2, chunk.len())
        );
        let keys: Vec<Arg> = chunk.iter().map(|row| row[0].clone()).collect();
        for row in tx.fetch_all(&sql, &keys).await? {
            current.insert(row.int(0)?, row);
        }
    }
    for row in rows {
        if row.len() != columns.len() {
            return Err(StoreError::Corrupt {
                column: table.to_owned(),
                reason: format!("{} values for {} columns", row.len(), columns.len()),
            });
        }
        let Arg::Int(key_value) = row[0] else {
            return Err(StoreError::Corrupt {
                column: format!("{table}.{key}"),
                reason: "the key is not an integer".into(),
            });
        };
        let Some(old) = current.get(&key_value) else {
            tx.insert_rows(table, columns, std::slice::from_ref(row))
                .await?;
            continue;
        };
        let changed: Vec<usize> = (1..columns.len())
            .filter(|&i| !same_value(&row[i], old, i))
            .collect();
        if changed.is_empty() {
            continue;
        }
        let mut sql = format!("UPDATE {table} SET ");
        let mut args = Vec::with_capacity(changed.len() + 1);
        for (n, &i) in changed.iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("{} = ${}", columns[i], n + 2));
            args.push(row[i].clone());
        }
        sql.push_str(&format!(
            " WHERE municipality_code = $1 AND {key} = ${}",
            changed.len() + 2
        ));
        args.push(row[0].clone());
        tx.execute(&sql, &args).await?;
    }
    Ok(())
}

/// Whether column `i` of `row` holds `value` (a value read back in another
/// form counts as different, so it is written again).
fn same_value(value: &Arg, row: &Row, i: usize) -> bool {
    match value {
        Arg::Int(v) => row.opt_int(i).is_ok_and(|old| old == Some(*v)),
        Arg::Text(v) => row
            .opt_text(i)
            .is_ok_and(|old| old.as_deref() == Some(v.as_str())),
        Arg::Bytes(v) => row
            .opt_bytes(i)
            .is_ok_and(|old| old.as_deref() == Some(v.as_slice())),
        Arg::NullInt => row.opt_int(i).is_ok_and(|old| old.is_none()),
        Arg::NullText => row.opt_text(i).is_ok_and(|old| old.is_none()),
        Arg::NullBytes => row.opt_bytes(i).is_ok_and(|old| old.is_none()),
    }
}
