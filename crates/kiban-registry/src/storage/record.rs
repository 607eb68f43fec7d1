//! Recording one movement: load, validate through the domain, and write the
//! movement, its index, the projections, its outbox event and its
//! access-log entries in one transaction.

use std::collections::BTreeSet;

use jiff::Timestamp;
use kiban_audit::{Actor, AuditAction};
use kiban_core::Date;
use kiban_store::{Arg, Backend, StoreError, TenantDb, TenantTx};
use serde_json::{Value, json};

use crate::domain::{
    self, Action, Details, DomainEvent, HouseholdId, Mentions, Movement, MovementCommand,
    MovementId, PersonId, RecordedSequence, Recording, SequentialIds, Timeline,
};

use super::read::{IN_LIST_CHUNK, in_list, load_closure, registry_version};
use super::rows::{
    HOUSEHOLD_COLUMNS, MOVEMENT_COLUMNS, MOVEMENT_HOUSEHOLD_COLUMNS, MOVEMENT_PERSON_COLUMNS,
    PERSON_COLUMNS, household_row, index_rows, int, movement_row, person_row, upsert_rows,
};
use super::{
    HOUSEHOLD_SEQUENCE, MOVEMENT_SEQUENCE, OUTBOX_SEQUENCE, PERSON_SEQUENCE,
    RESIDENT_RECORD_SEQUENCE, RegistryError, timestamp_text,
};

/// A person a movement involved and the household they are in right after
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonPlacement {
    /// 宛名番号.
    pub person_id: PersonId,
    /// 世帯番号 right after the movement (the last one, for a removed
    /// person).
    pub household_id: HouseholdId,
}

/// A movement recorded: what the API answers with, and the movement and
/// event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedMovement {
    /// The movement as stored.
    pub movement: Movement,
    /// The event written to the outbox.
    pub event: DomainEvent,
    /// The household the movement is about (founded, joined, moved, left,
    /// or formed by a split).
    pub household_id: Option<HouseholdId>,
    /// The persons of the request, in its order (for a 転居 the household's
    /// members, for a cancellation those the cancelled movement involved).
    pub persons: Vec<PersonPlacement>,
}

/// How many new numbers a request takes: (persons, households).
fn needs(command: &MovementCommand) -> (u64, u64) {
    match &command.action {
        Action::MoveIn(move_in) => (
            move_in
                .persons
                .iter()
                .filter(|p| p.returning_person_id.is_none())
                .count() as u64,
            u64::from(move_in.household_id.is_none()),
        ),
        Action::Birth(_) => (1, 0),
        Action::HouseholdSplit(_) => (0, 1),
        _ => (0, 0),
    }
}

async fn take(
    tx: &mut kiban_store::TenantTx,
    sequence: &str,
    count: u64,
) -> Result<u64, StoreError> {
    if count == 0 {
        return Ok(0);
    }
    let n = tx
        .next_numbers(sequence, i64::try_from(count).unwrap_or(i64::MAX))
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn ids_json(ids: &[PersonId]) -> Vec<u64> {
    ids.iter().map(|p| p.get()).collect()
}

fn households_json(ids: &[HouseholdId]) -> Vec<u64> {
    ids.iter().map(|h| h.get()).collect()
}

/// The outbox payload of an event: numbers and dates only, never names or
/// addresses, with a version field.
pub(crate) fn event_json(event: &DomainEvent) -> Value {
    let mut value = match event {
        DomainEvent::ResidentMovedIn {
            movement_id,
            event_date,
            notified_on,
            household_id,
            founded_household,
            person_ids,
        } => json!({
            "movement_id": movement_id.get(),
            "event_date": event_date.to_string(),
            "notified_on": notified_on.to_string(),
            "household_id": household_id.get(),
            "founded_household": founded_household,
            "person_ids": ids_json(person_ids),
        }),
        DomainEvent::ResidentBorn {
            movement_id,
            event_date,
            notified_on,
            household_id,
            person_id,
        } => json!({
            "movement_id": movement_id.get(),
            "event_date": event_date.to_string(),
            "notified_on": notified_on.to_string(),
            "household_id": household_id.get(),
            "person_id": person_id.get(),
        }),
        DomainEvent::ResidentAddressChanged {
            movement_id,
            event_date,
            notified_on,
            household_id,
            person_ids,
        } => json!({
            "movement_id": movement_id.get(),
            "event_date": event_date.to_string(),
            "notified_on": notified_on.to_string(),
            "household_id": household_id.get(),
            "person_ids": ids_json(person_ids),
        }),
        DomainEvent::ResidentMovedOut {
            movement_id,
            event_date,
            notified_on,
            person_ids,
            household_ids,
            new_head_person_id,
        } => json!({
            "movement_id": movement_id.get(),
            "event_date": event_date.to_string(),
            "notified_on": notified_on.to_string(),
            "person_ids": ids_json(person_ids),
            "household_ids": households_json(household_ids),
            "new_head_person_id": new_head_person_id.map(PersonId::get),
        }),
        DomainEvent::ResidentDied {
            movement_id,
            event_date,
            notified_on,
            person_id,
            household_id,
            new_head_person_id,
        } => json!({
            "movement_id": movement_id.get(),
            "event_date": event_date.to_string(),
            "notified_on": notified_on.to_string(),
            "person_id": person_id.get(),
            "household_id": household_id.get(),
            "new_head_person_id": new_head_person_id.map(PersonId::get),
        }),
        DomainEvent::HouseholdChanged {
            movement_id,
            event_date,
            notified_on,
            from_household_id,
            new_household_id,
            person_ids,
            new_head_person_id,
            remaining_head_person_id,
        } => json!({
            "movement_id": movement_id.get(),
            "event_date": event_date.to_string(),
            "notified_on": notified_on.to_string(),
            "from_household_id": from_household_id.get(),
            "new_household_id": new_household_id.get(),
            "person_ids": ids_json(person_ids),
            "new_head_person_id": new_head_person_id.get(),
            "remaining_head_person_id": remaining_head_person_id.map(PersonId::get),
        }),
        DomainEvent::ResidentRecordCorrected {
            movement_id,
            event_date,
            notified_on,
            person_id,
            fields,
        } => json!({
            "movement_id": movement_id.get(),
            "event_date": event_date.to_string(),
            "notified_on": notified_on.to_string(),
            "person_id": person_id.get(),
            "fields": fields.iter().map(|f| f.code()).collect::<Vec<_>>(),
        }),
        DomainEvent::MovementCancelled {
            movement_id,
            event_date,
            notified_on,
            cancelled_movement_id,
            cancelled_kind,
            cancelled_event_date,
            person_ids,
            household_ids,
        } => json!({
            "movement_id": movement_id.get(),
            "event_date": event_date.to_string(),
            "notified_on": notified_on.to_string(),
            "cancelled_movement_id": cancelled_movement_id.get(),
            "cancelled_kind": cancelled_kind.code(),
            "cancelled_event_date": cancelled_event_date.to_string(),
            "person_ids": ids_json(person_ids),
            "household_ids": households_json(household_ids),
        }),
    };
    if let Value::Object(map) = &mut value {
        map.insert("v".into(), json!(1));
        map.insert("event".into(), json!(event.name()));
    }
    value
}

/// The persons of the request and the household of the answer.
fn answer(movement: &Movement, event: &DomainEvent) -> (Option<HouseholdId>, Vec<PersonId>) {
    match (&movement.details, event) {
        (Details::MoveIn(record), _) => (
            Some(record.household_id),
            record.persons.iter().map(|p| p.person_id).collect(),
        ),
        (Details::Birth(birth), _) => (Some(birth.household_id), vec![birth.person.person_id]),
        (
            Details::AddressChange(change),
            DomainEvent::ResidentAddressChanged { person_ids, .. },
        ) => (Some(change.household_id), person_ids.clone()),
        (Details::MoveOut(move_out), DomainEvent::ResidentMovedOut { household_ids, .. }) => {
            (household_ids.first().copied(), move_out.person_ids.clone())
        }
        (Details::Death(death), DomainEvent::ResidentDied { household_id, .. }) => {
            (Some(*household_id), vec![death.person_id])
        }
        (Details::HouseholdSplit(split), _) => {
            (Some(split.new_household_id), split.person_ids.clone())
        }
        (Details::ExOfficioCorrection(correction), _) => (None, vec![correction.person_id]),
        (
            Details::Cancellation(_),
            DomainEvent::MovementCancelled {
                person_ids,
                household_ids,
                ..
            },
        ) => (household_ids.first().copied(), person_ids.clone()),
        _ => (None, Vec::new()),
    }
}

/// The movements a command involves (its closure), read before its
/// writing transaction, with the registry's version at that time.
struct Preloaded {
    /// The movement counter when read (`None`: no movement yet).
    seen: Option<i64>,
    /// What the command names, where the closure started.
    start: Mentions,
    movements: Vec<Movement>,
}

async fn preload(tenant: &TenantDb, command: &MovementCommand) -> Result<Preloaded, StoreError> {
    let mut read = tenant.begin_read().await?;
    let seen = registry_version(&mut read).await?;
    let start = command.mentions();
    let movements = load_closure(&mut read, start.clone()).await?;
    read.commit().await?;
    Ok(Preloaded {
        seen,
        start,
        movements,
    })
}

impl Preloaded {
    /// Whether the closure read before is still the whole closure, in the
    /// writing transaction that took movement number `number`: true when no
    /// movement was recorded in between, or when none of those recorded in
    /// between names a person or household of the closure (a movement that
    /// names none of them, nor anyone the command names, is by the
    /// closure's definition not part of it).
    /// Movements are never changed, only added, and on SQLite every number
    /// below `number` is committed by now.
    async fn still_valid(&self, tx: &mut TenantTx, number: u64) -> Result<bool, StoreError> {
        let first_new = self.seen.unwrap_or(1);
        let number = i64::try_from(number).unwrap_or(i64::MAX);
        if first_new >= number {
            return Ok(true);
        }
        let mut named = self.start.clone();
        for movement in &self.movements {
            named.extend(&movement.mentions());
        }
        let persons: Vec<u64> = named.persons.iter().map(|p| p.get()).collect();
        let households: Vec<u64> = named.households.iter().map(|h| h.get()).collect();
        for (table, column, ids) in [
            ("movement_persons", "person_id", &persons),
            ("movement_households", "household_id", &households),
        ] {
            for chunk in ids.chunks(IN_LIST_CHUNK) {
                let sql = format!(
                    "SELECT 1 FROM {table} WHERE municipality_code = $1 AND movement_id >= $2 \
                     AND {column} IN ({}) LIMIT 1",
                    in_list(3, chunk.len())
                );
                let mut args = vec![Arg::Int(first_new)];
                args.extend(chunk.iter().map(|id| int(*id)));
                if tx.fetch_optional(&sql, &args).await?.is_some() {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }
}

/// Records a movement (異動) requested on `today`, in one transaction:
/// validates it through the domain against everything it involves (loaded
/// with the closure protocol), then writes the movement, its index rows,
/// the refreshed `persons` and `households` projections, its event in the
/// outbox and one `change` access-log entry per person involved.
///
/// A [`RegistryError::Rejected`] leaves every table as it was (the
/// transaction is rolled back, numbers included).
pub async fn record_movement(
    tenant: &TenantDb,
    actor: &Actor,
    command: MovementCommand,
    today: Date,
) -> Result<RecordedMovement, RegistryError> {
    // On SQLite (one writer at a time) what the movement involves is read
    // first, beside the other transactions, and only checked under the
    // write lock (see `preload`).
    let preloaded = match tenant.backend() {
        Backend::Sqlite => Some(preload(tenant, &command).await?),
        Backend::Postgres => None,
    };
    let mut tx = tenant.begin().await?;
    // First: the movement counter's row lock serializes the municipality's
    // movements (see the module documentation).
    let number = take(&mut tx, MOVEMENT_SEQUENCE, 1).await?;
    let mut existing = match preloaded {
        Some(preloaded) if preloaded.still_valid(&mut tx, number).await? => preloaded.movements,
        _ => load_closure(&mut tx, command.mentions()).await?,
    };
    let (new_persons, new_households) = needs(&command);
    let first_person = take(&mut tx, PERSON_SEQUENCE, new_persons).await?;
    let first_household = take(&mut tx, HOUSEHOLD_SEQUENCE, new_households).await?;
    let first_serial = take(&mut tx, RESIDENT_RECORD_SEQUENCE, new_persons).await?;
    let mut ids = SequentialIds::starting_at(first_person, first_household, first_serial);
    let recording = Recording {
        id: MovementId::new(number),
        sequence: RecordedSequence::new(number),
    };
    let accepted = match domain::record_movement(&existing, command, recording, today, &mut ids) {
        Ok(accepted) => accepted,
        Err(rejection) => {
            tx.rollback().await?;
            return Err(RegistryError::Rejected(rejection));
        }
    };
    if ids.next_person - first_person != new_persons
        || ids.next_household - first_household != new_households
    {
        return Err(RegistryError::Store(StoreError::Corrupt {
            column: "number_sequences".into(),
            reason: "the movement used other numbers than it reserved".into(),
        }));
    }

    let recorded_at = timestamp_text(Timestamp::now());
    let movement = accepted.movement.clone();
    tx.insert_rows(
        "movements",
        &MOVEMENT_COLUMNS,
        &[movement_row(&movement, &recorded_at, &actor.login)?],
    )
    .await?;
    let (mut person_index, mut household_index) = (Vec::new(), Vec::new());
    index_rows(
        &movement,
        &accepted.index,
        &mut person_index,
        &mut household_index,
    );
    tx.insert_rows("movement_persons", &MOVEMENT_PERSON_COLUMNS, &person_index)
        .await?;
    tx.insert_rows(
        "movement_households",
        &MOVEMENT_HOUSEHOLD_COLUMNS,
        &household_index,
    )
    .await?;

    // Refresh the projections of everyone the loaded movements hold: a
    // back-dated movement or a cancellation can change more than the
    // persons it names.
    existing.push(movement.clone());
    let timeline = Timeline::new(&existing);
    let records = timeline.persons_as_of(Date::MAX);
    let mut households: BTreeSet<HouseholdId> = records.iter().map(|r| r.household_id).collect();
    households.extend(accepted.index.households.iter().copied());
    let household_rows: Vec<Vec<Arg>> = households
        .iter()
        .filter_map(|h| timeline.household_as_of(*h, Date::MAX))
        .map(|record| household_row(&record))
        .collect();
    upsert_rows(&mut tx, "households", &HOUSEHOLD_COLUMNS, &household_rows).await?;
    let person_rows: Vec<Vec<Arg>> = records
        .iter()
        .map(|record| {
            let last = timeline
                .person_history(record.person_id)
                .last()
                .map_or(movement.id.get(), |v| v.movement_id.get());
            person_row(record, last)
        })
        .collect();
    upsert_rows(&mut tx, "persons", &PERSON_COLUMNS, &person_rows).await?;
    // 個人番号 given with the persons: sealed in their own table, never in
    // the payload, the projections or the outbox.
    if let Err(error) = super::individual_number::store_numbers(&mut tx, &movement).await {
        tx.rollback().await?;
        return Err(error);
    }

    let event_id = take(&mut tx, OUTBOX_SEQUENCE, 1).await?;
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
            int(event_id),
            Arg::from(accepted.event.name()),
            int(movement.id.get()),
            Arg::Text(event_json(&accepted.event).to_string()),
            Arg::from(recorded_at.as_str()),
        ]],
    )
    .await?;

    let (household_id, person_ids) = answer(&movement, &accepted.event);
    let persons: Vec<PersonPlacement> = person_ids
        .iter()
        .filter_map(|p| {
            timeline
                .person_as_of(*p, movement.event_date)
                .map(|r| PersonPlacement {
                    person_id: *p,
                    household_id: r.household_id,
                })
        })
        .collect();
    let household_id = household_id.or_else(|| persons.first().map(|p| p.household_id));
    let detail = format!("movement {} {}", movement.id, movement.kind().code());
    let entries: Vec<_> = accepted
        .index
        .persons
        .iter()
        .map(|p| actor.entry(AuditAction::Change, i64::try_from(p.get()).ok(), &detail))
        .collect();
    kiban_audit::append_many(&mut tx, &entries).await?;
    tx.commit().await?;
    Ok(RecordedMovement {
        movement,
        event: accepted.event,
        household_id,
        persons,
    })
}
