//! The rows of the registry's tables, built from domain values: shared by
//! the recording of single movements and by bulk registration.

use kiban_store::{Arg, StoreError, TenantTx};

use crate::domain::search::{kana_key, name_key};
use crate::domain::{Details, HouseholdRecord, Mentions, Movement, PersonRecord};

use super::payload;

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

/// Inserts rows or, when the key (`municipality_code` and the first column)
/// exists, replaces every other column.
pub(crate) async fn upsert_rows(
    tx: &mut TenantTx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Arg>],
) -> Result<(), StoreError> {
    for row in rows {
        let mut sql = format!("INSERT INTO {table} (municipality_code");
        for column in columns {
            sql.push_str(", ");
            sql.push_str(column);
        }
        sql.push_str(") VALUES ($1");
        for n in 0..columns.len() {
            sql.push_str(&format!(", ${}", n + 2));
        }
        sql.push_str(&format!(
            ") ON CONFLICT (municipality_code, {}) DO UPDATE SET ",
            columns[0]
        ));
        for (i, column) in columns.iter().enumerate().skip(1) {
            if i > 1 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("{column} = excluded.{column}"));
        }
        tx.execute(&sql, row).await?;
    }
    Ok(())
}
