//! Accepting a movement: the rules of a request on its own, then the whole
//! sequence of movements re-folded with the new one in its place in event
//! time (or without the cancelled one), so that a back-dated movement or a
//! cancellation can never leave a later movement invalid.

use std::collections::BTreeSet;

use kiban_core::{Date, Relationship};

use super::event::DomainEvent;
use super::fold::{Fold, Violation, overlays};
use super::ids::{HouseholdId, IdAllocator, MovementId, PersonId, RecordedSequence};
use super::movement::{
    Action, BirthRecord, Details, HouseholdSplitRecord, Mentions, MoveInRecord, Movement,
    MovementCommand, MovementKind, RegisteredPerson,
};
use super::rejection::{Reason, Rejection};
use super::timeline::Timeline;
use super::values::PersonInput;

/// The numbers storage gives a movement before it is validated: its
/// [`MovementId`] and its [`RecordedSequence`] (both from per-municipality
/// counters in the same transaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recording {
    /// The movement's number.
    pub id: MovementId,
    /// Its place in the order of recording.
    pub sequence: RecordedSequence,
}

/// An accepted movement and what storage writes with it, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The movement to persist.
    pub movement: Movement,
    /// The event for the outbox.
    pub event: DomainEvent,
    /// The persons, households and movements to index the movement by: its
    /// own [`Movement::mentions`], the households of the persons it names, and
    /// for a cancellation everything the cancelled movement involved. Storage
    /// stores one index row per number and loads by them with
    /// [`Closure`](super::Closure).
    pub index: Mentions,
}

/// Validates `command` against `existing` (the movements of every person and
/// household it involves, as loaded with [`Closure`](super::Closure)) on
/// `today`, allocates the numbers it needs from `ids`, and returns the
/// accepted movement with its event, or a [`Rejection`] naming the field.
///
/// The new movement takes its place in event order (異動日, then recording
/// order) and every effective movement is checked again on the state before
/// it; the request is refused if it is invalid itself or if it would make any
/// other movement invalid that was valid before. A cancellation is checked
/// the same way, with the cancelled movement left out.
///
/// Nothing is changed on rejection, but `ids` may have handed out numbers:
/// storage rolls its transaction back.
pub fn record_movement(
    existing: &[Movement],
    command: MovementCommand,
    recording: Recording,
    today: Date,
    ids: &mut dyn IdAllocator,
) -> Result<Accepted, Rejection> {
    check_command(&command, today)?;
    let timeline = Timeline::new(existing);
    let cancelled = match &command.action {
        Action::Cancellation(cancellation) => Some(check_cancellation(
            &timeline,
            cancellation.movement_id,
            command.event_date,
        )?),
        _ => None,
    };
    let movement = resolve(command, recording, &timeline, ids)?;

    let before: Vec<&Movement> = timeline.effective().collect();
    let mut after: Vec<&Movement> = before.clone();
    match cancelled {
        Some(target) => after.retain(|m| m.id != target.id),
        None => {
            let at = after.partition_point(|m| m.order_key() <= movement.order_key());
            after.insert(at, &movement);
        }
    }
    let known = violations(&before);
    for (id, found) in violations(&after) {
        if known
            .iter()
            .any(|(k, v)| *k == id && v.reason == found.reason)
        {
            continue;
        }
        if id == movement.id {
            return Err(Rejection::new(found.field, found.reason));
        }
        let kind = after
            .iter()
            .find(|m| m.id == id)
            .map_or(MovementKind::Cancellation, |m| m.kind());
        return Err(Rejection::new(
            blamed_field(&movement, &found.reason),
            Reason::BreaksLaterMovement {
                movement_id: id,
                kind,
                cause: Box::new(found.reason),
            },
        ));
    }

    let (event, index) = effects(&movement, &after, &timeline)?;
    Ok(Accepted {
        movement,
        event,
        index,
    })
}

/// The rules broken in an effective sequence, each with its movement.
fn violations(sequence: &[&Movement]) -> Vec<(MovementId, Violation)> {
    let mut fold = Fold::with_overlays(overlays(sequence.iter().copied()));
    let mut found = Vec::new();
    for movement in sequence {
        if let Err(violation) = fold.check(movement) {
            found.push((movement.id, violation));
        }
        fold.apply(movement);
    }
    found
}

/// Which field of the new request to blame when it breaks another movement.
fn blamed_field(movement: &Movement, cause: &Reason) -> &'static str {
    match (&movement.details, cause) {
        (Details::Cancellation(_), _) => "movement_id",
        (
            Details::ExOfficioCorrection(c),
            Reason::BeforeBirth { .. } | Reason::BirthDateMismatch,
        ) if c.changes.birth_date.is_some() => "changes.birth_date",
        _ => "event_date",
    }
}

/// The rules of a request on its own: dates against today, the person input,
/// lists and heads.
fn check_command(command: &MovementCommand, today: Date) -> Result<(), Rejection> {
    let kind = command.action.kind();
    let planned_move_out = kind == MovementKind::MoveOut;
    if command.notified_on > today {
        return Err(Rejection::new("notified_on", Reason::NotifiedInFuture));
    }
    if command.event_date > today && !planned_move_out {
        return Err(Rejection::new("event_date", Reason::EventInFuture));
    }
    if command.notified_on < command.event_date && !planned_move_out {
        return Err(Rejection::new("notified_on", Reason::NotifiedBeforeEvent));
    }
    let date = command.event_date;
    match &command.action {
        Action::MoveIn(move_in) => {
            if move_in.persons.is_empty() {
                return Err(Rejection::new("persons", Reason::NoPersons));
            }
            let mut returning = BTreeSet::new();
            for (i, person) in move_in.persons.iter().enumerate() {
                let path = format!("persons[{i}]");
                if let Some(id) = person.returning_person_id
                    && !returning.insert(id)
                {
                    return Err(Rejection::new(
                        format!("{path}.person_id"),
                        Reason::DuplicatePerson,
                    ));
                }
                check_person_input(&person.input, date, &path)?;
            }
            let heads: Vec<usize> = move_in
                .persons
                .iter()
                .enumerate()
                .filter(|(_, p)| p.input.relationship == Relationship::Head)
                .map(|(i, _)| i)
                .collect();
            match (move_in.household_id, heads.as_slice()) {
                (None, [_]) => {}
                (None, _) => {
                    return Err(Rejection::new(
                        "persons",
                        Reason::HeadCount { found: heads.len() },
                    ));
                }
                (Some(_), []) => {}
                (Some(_), [first, ..]) => {
                    return Err(Rejection::new(
                        format!("persons[{first}].relationship"),
                        Reason::HeadWhenJoining,
                    ));
                }
            }
        }
        Action::Birth(birth) => {
            check_person_input(&birth.person, date, "person")?;
            if birth.person.birth_date != date {
                return Err(Rejection::new(
                    "person.birth_date",
                    Reason::BirthDateMismatch,
                ));
            }
            if birth.person.relationship == Relationship::Head {
                return Err(Rejection::new(
                    "person.relationship",
                    Reason::HeadWhenJoining,
                ));
            }
        }
        Action::AddressChange(_) => {}
        Action::MoveOut(move_out) => {
            check_person_list(&move_out.person_ids)?;
            if let Some(new_head) = move_out.new_head_person_id
                && move_out.person_ids.contains(&new_head)
            {
                return Err(Rejection::new("new_head_person_id", Reason::NewHeadLeaving));
            }
        }
        Action::Death(death) => {
            if death.new_head_person_id == Some(death.person_id) {
                return Err(Rejection::new("new_head_person_id", Reason::NewHeadLeaving));
            }
        }
        Action::HouseholdSplit(split) => {
            check_person_list(&split.person_ids)?;
            if !split.person_ids.contains(&split.new_head_person_id) {
                return Err(Rejection::new(
                    "new_head_person_id",
                    Reason::NewHeadNotInGroup,
                ));
            }
        }
        Action::ExOfficioCorrection(correction) => {
            if correction.changes.is_empty() {
                return Err(Rejection::new("changes", Reason::NoChanges));
            }
            if correction.changes.birth_date.is_some_and(|b| b > date) {
                return Err(Rejection::new("changes.birth_date", Reason::BornAfterEvent));
            }
        }
        Action::Cancellation(_) => {}
    }
    Ok(())
}

fn check_person_list(persons: &[PersonId]) -> Result<(), Rejection> {
    if persons.is_empty() {
        return Err(Rejection::new("person_ids", Reason::NoPersons));
    }
    for (i, person) in persons.iter().enumerate() {
        if persons[..i].contains(person) {
            return Err(Rejection::new(
                format!("person_ids[{i}]"),
                Reason::DuplicatePerson,
            ));
        }
    }
    Ok(())
}

/// The rules of one person input: born by the 異動日, and a foreign
/// resident's status of residence and period of stay.
fn check_person_input(input: &PersonInput, date: Date, path: &str) -> Result<(), Rejection> {
    let at = |field: &str| format!("{path}.{field}");
    if input.birth_date > date {
        return Err(Rejection::new(at("birth_date"), Reason::BornAfterEvent));
    }
    if input.nationality.is_japanese() {
        if input.status_of_residence.is_some() {
            return Err(Rejection::new(
                at("status_of_residence"),
                Reason::ForeignFieldsForJapanese,
            ));
        }
        if input.period_of_stay_until.is_some() {
            return Err(Rejection::new(
                at("period_of_stay_until"),
                Reason::ForeignFieldsForJapanese,
            ));
        }
        return Ok(());
    }
    let Some(status) = &input.status_of_residence else {
        return Err(Rejection::new(
            at("status_of_residence"),
            Reason::MissingStatusOfResidence,
        ));
    };
    if status.is_unknown() {
        // Migrated without 在留資格・在留期間: both unknown until corrected.
        return match input.period_of_stay_until {
            None => Ok(()),
            Some(_) => Err(Rejection::new(
                at("status_of_residence"),
                Reason::MissingStatusOfResidence,
            )),
        };
    }
    match (status.is_permanent(), input.period_of_stay_until) {
        (true, None) => Ok(()),
        (true, Some(_)) => Err(Rejection::new(
            at("period_of_stay_until"),
            Reason::PeriodOfStayForPermanent,
        )),
        (false, None) => Err(Rejection::new(
            at("period_of_stay_until"),
            Reason::MissingPeriodOfStay,
        )),
        (false, Some(until)) if until < date => Err(Rejection::new(
            at("period_of_stay_until"),
            Reason::PeriodOfStayExpired,
        )),
        (false, Some(_)) => Ok(()),
    }
}

/// The movement a cancellation may cancel.
fn check_cancellation<'a>(
    timeline: &Timeline<'a>,
    target: MovementId,
    date: Date,
) -> Result<&'a Movement, Rejection> {
    const FIELD: &str = "movement_id";
    let Some(movement) = timeline.movement(target) else {
        return Err(Rejection::new(
            FIELD,
            Reason::MovementNotFound {
                movement_id: target,
            },
        ));
    };
    if movement.kind() == MovementKind::Cancellation {
        return Err(Rejection::new(FIELD, Reason::CancelCancellation));
    }
    if timeline.is_cancelled(target) {
        return Err(Rejection::new(
            FIELD,
            Reason::AlreadyCancelled {
                movement_id: target,
            },
        ));
    }
    if date < movement.event_date {
        return Err(Rejection::new(
            "event_date",
            Reason::CancellationBeforeMovement,
        ));
    }
    Ok(movement)
}

/// Turns the request into the movement to keep, allocating numbers for new
/// persons and households. A returning resident keeps their 住民票コード.
fn resolve(
    command: MovementCommand,
    recording: Recording,
    timeline: &Timeline<'_>,
    ids: &mut dyn IdAllocator,
) -> Result<Movement, Rejection> {
    let details = match command.action {
        Action::MoveIn(move_in) => {
            let (household_id, founded_household) = match move_in.household_id {
                Some(id) => (id, false),
                None => (ids.next_household_id(), true),
            };
            let mut persons = Vec::with_capacity(move_in.persons.len());
            for (i, person) in move_in.persons.into_iter().enumerate() {
                let registered = match person.returning_person_id {
                    Some(id) => {
                        let Some(code) = last_resident_record_code(timeline, id) else {
                            return Err(Rejection::new(
                                format!("persons[{i}].person_id"),
                                Reason::NotResident { person_id: id },
                            ));
                        };
                        RegisteredPerson {
                            person_id: id,
                            resident_record_code: code,
                            returning: true,
                            input: person.input,
                        }
                    }
                    None => new_person(ids, person.input, &format!("persons[{i}]"))?,
                };
                persons.push(registered);
            }
            Details::MoveIn(MoveInRecord {
                household_id,
                founded_household,
                persons,
                address: move_in.address,
                previous_address: move_in.previous_address,
            })
        }
        Action::Birth(birth) => Details::Birth(BirthRecord {
            household_id: birth.household_id,
            person: new_person(ids, birth.person, "person")?,
        }),
        Action::AddressChange(change) => Details::AddressChange(change),
        Action::MoveOut(move_out) => Details::MoveOut(move_out),
        Action::Death(death) => Details::Death(death),
        Action::HouseholdSplit(split) => Details::HouseholdSplit(HouseholdSplitRecord {
            new_household_id: ids.next_household_id(),
            person_ids: split.person_ids,
            new_head_person_id: split.new_head_person_id,
            address: split.address,
        }),
        Action::ExOfficioCorrection(correction) => Details::ExOfficioCorrection(correction),
        Action::Cancellation(cancellation) => Details::Cancellation(cancellation),
    };
    Ok(Movement {
        id: recording.id,
        sequence: recording.sequence,
        event_date: command.event_date,
        notified_on: command.notified_on,
        details,
    })
}

fn new_person(
    ids: &mut dyn IdAllocator,
    input: PersonInput,
    path: &str,
) -> Result<RegisteredPerson, Rejection> {
    let person_id = ids.next_person_id();
    let resident_record_code = ids
        .next_resident_record_code()
        .map_err(|e| Rejection::new(path, Reason::ResidentRecordCodeUnavailable(e)))?;
    Ok(RegisteredPerson {
        person_id,
        resident_record_code,
        returning: false,
        input,
    })
}

/// The 住民票コード of the person's latest registration among the loaded
/// movements, if any.
fn last_resident_record_code(
    timeline: &Timeline<'_>,
    person: PersonId,
) -> Option<kiban_core::ResidentRecordCode> {
    timeline
        .effective()
        .filter_map(|m| match &m.details {
            Details::MoveIn(record) => record
                .persons
                .iter()
                .find(|p| p.person_id == person)
                .map(|p| p.resident_record_code.clone()),
            Details::Birth(birth) if birth.person.person_id == person => {
                Some(birth.person.resident_record_code.clone())
            }
            _ => None,
        })
        .last()
}

/// The state right before `movement` in the sequence `after`.
fn fold_before<'a>(movement: &Movement, sequence: &[&'a Movement]) -> Fold<'a> {
    let mut fold = Fold::with_overlays(overlays(sequence.iter().copied()));
    for earlier in sequence {
        if earlier.id == movement.id {
            break;
        }
        fold.apply(earlier);
    }
    fold
}

fn household_of(fold: &Fold<'_>, person: PersonId) -> Option<HouseholdId> {
    fold.persons.get(&person).map(|p| p.household)
}

/// The event and the index of an accepted movement, from the state right
/// before it in `sequence` (for a cancellation, from the cancelled movement
/// as it stood when it happened).
fn effects(
    movement: &Movement,
    sequence: &[&Movement],
    timeline: &Timeline<'_>,
) -> Result<(DomainEvent, Mentions), Rejection> {
    let state = fold_before(movement, sequence);
    let household_of = |person: PersonId, field: &str| {
        household_of(&state, person)
            .ok_or_else(|| Rejection::new(field, Reason::NotResident { person_id: person }))
    };
    let mut index = movement.mentions();
    let movement_id = movement.id;
    let event_date = movement.event_date;
    let notified_on = movement.notified_on;
    let event = match &movement.details {
        Details::MoveIn(record) => DomainEvent::ResidentMovedIn {
            movement_id,
            event_date,
            notified_on,
            household_id: record.household_id,
            founded_household: record.founded_household,
            person_ids: record.persons.iter().map(|p| p.person_id).collect(),
        },
        Details::Birth(birth) => DomainEvent::ResidentBorn {
            movement_id,
            event_date,
            notified_on,
            household_id: birth.household_id,
            person_id: birth.person.person_id,
        },
        Details::AddressChange(change) => {
            let person_ids = state
                .households
                .get(&change.household_id)
                .map(|h| h.members.clone())
                .unwrap_or_default();
            index.persons.extend(person_ids.iter().copied());
            DomainEvent::ResidentAddressChanged {
                movement_id,
                event_date,
                notified_on,
                household_id: change.household_id,
                person_ids,
            }
        }
        Details::MoveOut(move_out) => {
            let mut household_ids: Vec<HouseholdId> = Vec::new();
            for (i, person) in move_out.person_ids.iter().enumerate() {
                let h = household_of(*person, &format!("person_ids[{i}]"))?;
                if !household_ids.contains(&h) {
                    household_ids.push(h);
                }
            }
            index.households.extend(household_ids.iter().copied());
            DomainEvent::ResidentMovedOut {
                movement_id,
                event_date,
                notified_on,
                person_ids: move_out.person_ids.clone(),
                household_ids,
                new_head_person_id: move_out.new_head_person_id,
            }
        }
        Details::Death(death) => {
            let household_id = household_of(death.person_id, "person_id")?;
            index.households.insert(household_id);
            DomainEvent::ResidentDied {
                movement_id,
                event_date,
                notified_on,
                person_id: death.person_id,
                household_id,
                new_head_person_id: death.new_head_person_id,
            }
        }
        Details::HouseholdSplit(split) => {
            let from = match split.person_ids.first() {
                Some(first) => household_of(*first, "person_ids[0]")?,
                None => return Err(Rejection::new("person_ids", Reason::NoPersons)),
            };
            index.households.insert(from);
            let remaining_head_person_id = state.households.get(&from).and_then(|household| {
                let head_leaves = household
                    .head
                    .is_some_and(|head| split.person_ids.contains(&head));
                let remaining: Vec<PersonId> = household
                    .members
                    .iter()
                    .copied()
                    .filter(|m| !split.person_ids.contains(m))
                    .collect();
                match remaining.as_slice() {
                    [only] if head_leaves => Some(*only),
                    _ => None,
                }
            });
            index.persons.extend(remaining_head_person_id);
            DomainEvent::HouseholdChanged {
                movement_id,
                event_date,
                notified_on,
                from_household_id: from,
                new_household_id: split.new_household_id,
                person_ids: split.person_ids.clone(),
                new_head_person_id: split.new_head_person_id,
                remaining_head_person_id,
            }
        }
        Details::ExOfficioCorrection(correction) => {
            index
                .households
                .insert(household_of(correction.person_id, "person_id")?);
            DomainEvent::ResidentRecordCorrected {
                movement_id,
                event_date,
                notified_on,
                person_id: correction.person_id,
                fields: correction.changes.fields(),
            }
        }
        Details::Cancellation(cancellation) => {
            let target = timeline.movement(cancellation.movement_id).ok_or_else(|| {
                Rejection::new(
                    "movement_id",
                    Reason::MovementNotFound {
                        movement_id: cancellation.movement_id,
                    },
                )
            })?;
            let effective: Vec<&Movement> = timeline.effective().collect();
            let (_, involved) = effects(target, &effective, timeline)?;
            index.extend(&involved);
            DomainEvent::MovementCancelled {
                movement_id,
                event_date,
                notified_on,
                cancelled_movement_id: target.id,
                cancelled_kind: target.kind(),
                cancelled_event_date: target.event_date,
                person_ids: involved.persons.iter().copied().collect(),
                household_ids: involved.households.iter().copied().collect(),
            }
        }
    };
    Ok((event, index))
}
