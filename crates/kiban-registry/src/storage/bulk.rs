//! Bulk initial registration (一括登録): many households at once, for the
//! demo population now and for migrations from legacy systems later.
//!
//! Each household becomes ordinary movements, validated by the domain and
//! folded by [`Timeline`] like any other, so a bulk-registered resident reads
//! exactly like one registered at the counter. The scheme, per household:
//!
//! 1. A founding 転入 (`move_in`) dated the head's `resident_from`, with the
//!    head and every member whose `resident_from` is on or before it (their
//!    residence is recorded from that day: a household cannot exist before
//!    its head, so an earlier date cannot be kept). Its 転入前住所 is the
//!    head's previous address, else the first such member's, else
//!    [`PREVIOUS_ADDRESS_UNKNOWN`].
//! 2. Every later member in order of `resident_from`: a 出生 (`birth`) for a
//!    member born here on that day (`born_here` and `resident_from` =
//!    `birth_date`), otherwise a joining 転入 into the household; members
//!    arriving on the same day from the same previous address share one.
//!
//! All movements are notified on their 異動日 and recorded by the caller at
//! one instant. No events go to the outbox: an initial load is not a change
//! that other businesses must react to (they load the same population
//! themselves, or read the registry as of any date); emitting hundreds of
//! thousands of `resident_moved_in` would make every consumer replay a
//! migration as if it had just happened.
//!
//! The work is split in two so that its overhead can be measured: the pure
//! [`build_rows`] validates and builds every row, and [`insert_rows`] writes
//! them with multi-row `INSERT`s. [`register_households`] does both with
//! numbers from the municipality's counters and one access-log entry.

use jiff::Timestamp;
use kiban_audit::{Actor, AuditAction};
use kiban_core::{Date, KanaName, PersonName, Relationship, Sex};
use kiban_store::{Arg, StoreError, TenantTx};

use crate::domain::{
    self, Action, Address, AddressText, BirthCommand, Details, HouseholdId, MoveInCommand,
    MoveInPerson, MovementCommand, MovementId, Nationality, PersonId, PersonInput, Reason,
    RecordedSequence, Recording, Rejection, SequentialIds, StatusOfResidence, Timeline,
};

use super::rows::{
    HOUSEHOLD_COLUMNS, MOVEMENT_COLUMNS, MOVEMENT_HOUSEHOLD_COLUMNS, MOVEMENT_PERSON_COLUMNS,
    PERSON_COLUMNS, household_row, index_rows, movement_row, person_row,
};
use super::{
    HOUSEHOLD_SEQUENCE, MOVEMENT_SEQUENCE, PERSON_SEQUENCE, RESIDENT_RECORD_SEQUENCE,
    RegistryError, japan_date, timestamp_text,
};

/// The 転入前住所 of a registering 転入 when no member has one (e.g. a head
/// born in the municipality).
pub const PREVIOUS_ADDRESS_UNKNOWN: &str = "不詳（一括登録）";

/// A household to register: its address and its members, exactly one of them
/// the head (世帯主).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHousehold {
    /// 住所.
    pub address: Address,
    /// The members, in the order to list them.
    pub members: Vec<NewResident>,
}

/// A resident to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResident {
    /// 氏名.
    pub name: PersonName,
    /// フリガナ.
    pub name_kana: KanaName,
    /// 生年月日.
    pub birth_date: Date,
    /// 性別.
    pub sex: Sex,
    /// 続柄.
    pub relationship: Relationship,
    /// 国籍.
    pub nationality: Nationality,
    /// 在留資格 (foreign residents).
    pub status_of_residence: Option<StatusOfResidence>,
    /// 在留期間の満了の日 (foreign residents without permanent status).
    pub period_of_stay_until: Option<Date>,
    /// 住民となった年月日.
    pub resident_from: Date,
    /// 転入前住所; `None` for a person born in the municipality.
    pub previous_address: Option<AddressText>,
    /// Whether the person was born in the municipality (registered by 出生
    /// when `resident_from` is the birth date).
    pub born_here: bool,
}

impl NewResident {
    fn input(&self) -> PersonInput {
        PersonInput {
            name: self.name.clone(),
            name_kana: self.name_kana.clone(),
            birth_date: self.birth_date,
            sex: self.sex,
            relationship: self.relationship,
            nationality: self.nationality,
            status_of_residence: self.status_of_residence.clone(),
            period_of_stay_until: self.period_of_stay_until,
            individual_number: None,
        }
    }
}

/// The first number of each block allocated for a bulk registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdBlock {
    /// The first 宛名番号.
    pub first_person_id: u64,
    /// The first 世帯番号.
    pub first_household_id: u64,
    /// The first movement number (also its recorded sequence).
    pub first_movement_id: u64,
    /// The first 住民票コード serial (the check digit is appended).
    pub first_resident_record_serial: u64,
}

/// How many numbers a bulk registration takes from each counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdCounts {
    /// Persons (and 住民票コード).
    pub persons: u64,
    /// Households.
    pub households: u64,
    /// Movements.
    pub movements: u64,
}

/// Every row of a bulk registration, ready for [`insert_rows`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BulkRows {
    /// How many numbers were used.
    pub counts: IdCounts,
    households: Vec<Vec<Arg>>,
    persons: Vec<Vec<Arg>>,
    movements: Vec<Vec<Arg>>,
    movement_persons: Vec<Vec<Arg>>,
    movement_households: Vec<Vec<Arg>>,
}

/// What [`register_households`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkStats {
    /// Numbers used.
    pub counts: IdCounts,
    /// The first 宛名番号 given (persons got consecutive numbers).
    pub first_person_id: u64,
    /// The first 世帯番号 given.
    pub first_household_id: u64,
}

/// One registering movement of a household.
enum Step {
    /// The founding 転入 of these members (the head among them).
    Found(Vec<usize>),
    /// A joining 転入 of these members.
    Join(Vec<usize>),
    /// The 出生 of this member.
    Birth(usize),
}

struct Group {
    date: Date,
    step: Step,
}

impl Group {
    fn members(&self) -> &[usize] {
        match &self.step {
            Step::Found(m) | Step::Join(m) => m,
            Step::Birth(m) => std::slice::from_ref(m),
        }
    }
}

/// The movements that register a household (see the module documentation).
/// Rejections name fields relative to the household (`members[2].…`).
fn plan(household: &NewHousehold) -> Result<Vec<Group>, Rejection> {
    let members = &household.members;
    if members.is_empty() {
        return Err(Rejection::new("members", Reason::NoPersons));
    }
    let heads: Vec<usize> = (0..members.len())
        .filter(|&j| members[j].relationship == Relationship::Head)
        .collect();
    let [head] = heads.as_slice() else {
        return Err(Rejection::new(
            "members",
            Reason::HeadCount { found: heads.len() },
        ));
    };
    for (j, member) in members.iter().enumerate() {
        if member.resident_from < member.birth_date {
            return Err(Rejection::new(
                format!("members[{j}].resident_from"),
                Reason::BornAfterEvent,
            ));
        }
    }
    let founded_on = members[*head].resident_from;
    let founders: Vec<usize> = (0..members.len())
        .filter(|&j| j == *head || members[j].resident_from <= founded_on)
        .collect();
    let mut later: Vec<usize> = (0..members.len())
        .filter(|&j| j != *head && members[j].resident_from > founded_on)
        .collect();
    later.sort_by_key(|&j| (members[j].resident_from, j));
    let mut groups = Vec::with_capacity(1 + later.len());
    groups.push(Group {
        date: founded_on,
        step: Step::Found(founders),
    });
    for j in later {
        let member = &members[j];
        if member.born_here && member.resident_from == member.birth_date {
            groups.push(Group {
                date: member.resident_from,
                step: Step::Birth(j),
            });
            continue;
        }
        if let Some(Group {
            date,
            step: Step::Join(joined),
        }) = groups.last_mut()
            && *date == member.resident_from
            && joined
                .first()
                .is_some_and(|&k| members[k].previous_address == member.previous_address)
        {
            joined.push(j);
            continue;
        }
        groups.push(Group {
            date: member.resident_from,
            step: Step::Join(vec![j]),
        });
    }
    Ok(groups)
}

/// How many numbers registering `households` takes; fails like
/// [`build_rows`] on a household that cannot be registered.
pub fn id_counts(households: &[NewHousehold]) -> Result<IdCounts, RegistryError> {
    let mut counts = IdCounts::default();
    for (i, household) in households.iter().enumerate() {
        let groups = plan(household).map_err(|r| at_household(i, r))?;
        counts.households += 1;
        counts.persons += household.members.len() as u64;
        counts.movements += groups.len() as u64;
    }
    Ok(counts)
}

fn at_household(i: usize, rejection: Rejection) -> RegistryError {
    RegistryError::Rejected(Rejection::new(
        format!("households[{i}].{}", rejection.field),
        rejection.reason,
    ))
}

/// Names the member a domain rejection of `group` is about.
fn locate(i: usize, group: &Group, rejection: Rejection) -> RegistryError {
    let members = group.members();
    let member = |k: usize| members.get(k).copied().unwrap_or(0);
    let field = rejection.field.as_str();
    let located = if let Some(rest) = field.strip_prefix("persons[") {
        match rest.split_once(']') {
            Some((k, tail)) => {
                let k = k.parse().unwrap_or(0);
                format!("members[{}]{tail}", member(k))
            }
            None => format!("members[{}]", member(0)),
        }
    } else if let Some(tail) = field.strip_prefix("person") {
        format!("members[{}]{tail}", member(0))
    } else if field == "event_date" || field == "notified_on" {
        format!("members[{}].resident_from", member(0))
    } else {
        field.to_owned()
    };
    at_household(i, Rejection::new(located, rejection.reason))
}

fn previous_address(household: &NewHousehold, members: &[usize]) -> AddressText {
    members
        .iter()
        .find_map(|&j| household.members[j].previous_address.clone())
        .or_else(|| AddressText::parse(PREVIOUS_ADDRESS_UNKNOWN).ok())
        .unwrap_or_else(|| household.address.address_line.clone())
}

fn move_in_persons(household: &NewHousehold, members: &[usize]) -> Vec<MoveInPerson> {
    members
        .iter()
        .map(|&j| MoveInPerson {
            returning_person_id: None,
            input: household.members[j].input(),
        })
        .collect()
}

/// Validates every household through the domain and builds the rows of
/// every table, numbering from `first_ids` in order: pure and cheap (one
/// validation per movement, one fold per household for its projection
/// rows). `recorded_at` is stored with each movement; its date in Japan is
/// "today" for the rule that no date lies in the future.
///
/// Fails with a [`Rejection`] naming the household and member at fault
/// (`households[3].members[1].resident_from`).
pub fn build_rows(
    households: &[NewHousehold],
    first_ids: IdBlock,
    recorded_by: &str,
    recorded_at: Timestamp,
) -> Result<BulkRows, RegistryError> {
    let today = japan_date(recorded_at);
    let recorded_at = timestamp_text(recorded_at);
    let mut ids = SequentialIds::starting_at(
        first_ids.first_person_id,
        first_ids.first_household_id,
        first_ids.first_resident_record_serial,
    );
    let mut next_movement = first_ids.first_movement_id;
    let persons_hint: usize = households.iter().map(|h| h.members.len()).sum();
    let mut rows = BulkRows {
        households: Vec::with_capacity(households.len()),
        persons: Vec::with_capacity(persons_hint),
        movements: Vec::with_capacity(households.len() * 5 / 4),
        movement_persons: Vec::with_capacity(persons_hint * 5 / 4),
        movement_households: Vec::with_capacity(households.len() * 5 / 4),
        ..BulkRows::default()
    };
    for (i, household) in households.iter().enumerate() {
        let groups = plan(household).map_err(|r| at_household(i, r))?;
        let mut movements = Vec::with_capacity(groups.len());
        let mut household_id = HouseholdId::new(0);
        let mut registered_by: Vec<(PersonId, MovementId)> =
            Vec::with_capacity(household.members.len());
        for group in &groups {
            let action = match &group.step {
                Step::Found(members) => Action::MoveIn(MoveInCommand {
                    persons: move_in_persons(household, members),
                    address: household.address.clone(),
                    previous_address: previous_address(household, members),
                    household_id: None,
                }),
                Step::Join(members) => Action::MoveIn(MoveInCommand {
                    persons: move_in_persons(household, members),
                    address: household.address.clone(),
                    previous_address: previous_address(household, members),
                    household_id: Some(household_id),
                }),
                Step::Birth(j) => Action::Birth(BirthCommand {
                    household_id,
                    person: household.members[*j].input(),
                }),
            };
            let command = MovementCommand {
                event_date: group.date,
                // Notified on the day it happened; a date after today is
                // then reported as the 異動日 in the future it is.
                notified_on: group.date.min(today),
                action,
            };
            let recording = Recording {
                id: MovementId::new(next_movement),
                sequence: RecordedSequence::new(next_movement),
            };
            let accepted = domain::record_movement(&movements, command, recording, today, &mut ids)
                .map_err(|r| locate(i, group, r))?;
            next_movement += 1;
            let movement = accepted.movement;
            match &movement.details {
                Details::MoveIn(record) => {
                    household_id = record.household_id;
                    registered_by.extend(record.persons.iter().map(|p| (p.person_id, movement.id)));
                }
                Details::Birth(birth) => registered_by.push((birth.person.person_id, movement.id)),
                _ => {}
            }
            rows.movements
                .push(movement_row(&movement, &recorded_at, recorded_by)?);
            index_rows(
                &movement,
                &accepted.index,
                &mut rows.movement_persons,
                &mut rows.movement_households,
            );
            movements.push(movement);
        }
        let timeline = Timeline::new(&movements);
        if let Some(record) = timeline.household_as_of(household_id, Date::MAX) {
            rows.households.push(household_row(&record));
        }
        for record in timeline.persons_as_of(Date::MAX) {
            let last = registered_by
                .iter()
                .find(|(p, _)| *p == record.person_id)
                .map_or(0, |(_, m)| m.get());
            rows.persons.push(person_row(&record, last));
        }
    }
    rows.counts = IdCounts {
        persons: ids.next_person - first_ids.first_person_id,
        households: ids.next_household - first_ids.first_household_id,
        movements: next_movement - first_ids.first_movement_id,
    };
    if rows.persons.len() as u64 != rows.counts.persons
        || rows.households.len() as u64 != rows.counts.households
    {
        return Err(RegistryError::Store(StoreError::Corrupt {
            column: "persons".into(),
            reason: "bulk registration built fewer rows than it numbered".into(),
        }));
    }
    Ok(rows)
}

/// Writes the rows built by [`build_rows`] with multi-row `INSERT`s, in the
/// order the foreign keys need.
pub async fn insert_rows(tx: &mut TenantTx, rows: &BulkRows) -> Result<(), StoreError> {
    tx.insert_rows("households", &HOUSEHOLD_COLUMNS, &rows.households)
        .await?;
    tx.insert_rows("persons", &PERSON_COLUMNS, &rows.persons)
        .await?;
    tx.insert_rows("movements", &MOVEMENT_COLUMNS, &rows.movements)
        .await?;
    tx.insert_rows(
        "movement_persons",
        &MOVEMENT_PERSON_COLUMNS,
        &rows.movement_persons,
    )
    .await?;
    tx.insert_rows(
        "movement_households",
        &MOVEMENT_HOUSEHOLD_COLUMNS,
        &rows.movement_households,
    )
    .await?;
    Ok(())
}

fn count(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Corrupt {
        column: "number_sequences".into(),
        reason: format!("count {n} out of range"),
    })
}

fn first(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Registers `households` in the caller's transaction: takes the numbers
/// from the municipality's counters (movement numbers first, as every
/// movement does, so bulk registration and counter work never interleave),
/// builds and inserts every row, and appends one access-log entry
/// (`bulk_register`, with the counts). The caller commits, typically with
/// its own progress row, so that an interrupted load resumes at the next
/// chunk. Nothing is written when a household is rejected.
pub async fn register_households(
    tx: &mut TenantTx,
    actor: &Actor,
    households: &[NewHousehold],
) -> Result<BulkStats, RegistryError> {
    let counts = id_counts(households)?;
    if counts.households == 0 {
        return Ok(BulkStats {
            counts,
            first_person_id: 0,
            first_household_id: 0,
        });
    }
    let first_movement = tx
        .next_numbers(MOVEMENT_SEQUENCE, count(counts.movements)?)
        .await?;
    let first_person = tx
        .next_numbers(PERSON_SEQUENCE, count(counts.persons)?)
        .await?;
    let first_household = tx
        .next_numbers(HOUSEHOLD_SEQUENCE, count(counts.households)?)
        .await?;
    let first_serial = tx
        .next_numbers(RESIDENT_RECORD_SEQUENCE, count(counts.persons)?)
        .await?;
    let block = IdBlock {
        first_person_id: first(first_person),
        first_household_id: first(first_household),
        first_movement_id: first(first_movement),
        first_resident_record_serial: first(first_serial),
    };
    let rows = build_rows(households, block, &actor.login, Timestamp::now())?;
    insert_rows(tx, &rows).await?;
    let detail = format!(
        "bulk_register households={} persons={} movements={} person_ids={}..={}",
        counts.households,
        counts.persons,
        counts.movements,
        block.first_person_id,
        block.first_person_id + counts.persons - 1,
    );
    kiban_audit::append(tx, &actor.entry(AuditAction::BulkRegister, None, detail)).await?;
    Ok(BulkStats {
        counts: rows.counts,
        first_person_id: block.first_person_id,
        first_household_id: block.first_household_id,
    })
}

impl BulkRows {
    /// How many rows [`insert_rows`] writes, over every table.
    pub fn row_count(&self) -> u64 {
        [
            &self.households,
            &self.persons,
            &self.movements,
            &self.movement_persons,
            &self.movement_households,
        ]
        .iter()
        .map(|rows| rows.len() as u64)
        .sum()
    }
}
