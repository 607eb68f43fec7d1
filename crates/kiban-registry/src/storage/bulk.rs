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
    self, Action, Address, AddressText, BirthCommand, Death, Details, HouseholdId, IdAllocator,
    MoveInCommand, MoveInPerson, MoveOut, MovementCommand, MovementId, Nationality, PersonId,
    PersonInput, Reason, RecordedSequence, Recording, Rejection, SequentialIds, StatusOfResidence,
    Timeline,
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
    let mut ids = BulkIds::Sequential(SequentialIds::starting_at(
        first_ids.first_person_id,
        first_ids.first_household_id,
        first_ids.first_resident_record_serial,
    ));
    let mut rows = build(
        households,
        None,
        &mut ids,
        first_ids.first_movement_id,
        recorded_by,
        recorded_at,
    )?;
    if let BulkIds::Sequential(ids) = &ids {
        rows.counts.persons = ids.next_person - first_ids.first_person_id;
        rows.counts.households = ids.next_household - first_ids.first_household_id;
    }
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

/// How a registered person leaves the register again (除票), for a
/// migration of removed records: a 転出 or a 死亡 on a given day, recorded
/// after the registering movements of the household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemovalKind {
    /// 転出, to the given address (転出先住所).
    MoveOut {
        /// 転出先住所.
        destination: AddressText,
    },
    /// 死亡.
    Death,
}

/// A removal of one member of a [`NewHousehold`] (see [`RemovalKind`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// The index of the member in [`NewHousehold::members`].
    pub member: usize,
    /// 異動日 of the removal (消除日).
    pub on: Date,
    /// 転出 or 死亡.
    pub kind: RemovalKind,
}

/// A household to register with numbers chosen by the caller, as a
/// migration does to keep the legacy system's 宛名番号 and 世帯番号, and
/// with the removals of members who are no longer residents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetHousehold {
    /// The household and its members.
    pub household: NewHousehold,
    /// Its 世帯番号.
    pub household_id: u64,
    /// The 宛名番号 of each member, in the order of the members.
    pub person_ids: Vec<u64>,
    /// Members leaving again, in any order (recorded by date).
    pub removals: Vec<Removal>,
}

/// Like [`build_rows`], but with the 宛名番号 and 世帯番号 of each
/// [`PresetHousehold`] and its removals recorded after its registration.
/// Movement numbers and 住民票コード serials count up from `first_ids` (its
/// person and household numbers are not used). The caller makes sure the
/// preset numbers are unused.
pub fn build_rows_preset(
    households: &[PresetHousehold],
    first_ids: IdBlock,
    recorded_by: &str,
    recorded_at: Timestamp,
) -> Result<BulkRows, RegistryError> {
    for (i, preset) in households.iter().enumerate() {
        if preset.person_ids.len() != preset.household.members.len() {
            return Err(at_household(
                i,
                Rejection::new("members", Reason::NoPersons),
            ));
        }
    }
    let plain: Vec<NewHousehold> = households.iter().map(|p| p.household.clone()).collect();
    let mut ids = BulkIds::Preset {
        persons: std::collections::VecDeque::new(),
        household: None,
        next_resident_record_serial: first_ids.first_resident_record_serial,
    };
    let mut rows = build(
        &plain,
        Some(households),
        &mut ids,
        first_ids.first_movement_id,
        recorded_by,
        recorded_at,
    )?;
    rows.counts.persons = households.iter().map(|h| h.person_ids.len() as u64).sum();
    rows.counts.households = households.len() as u64;
    Ok(rows)
}

/// The numbers handed to the domain: counted up, or preset per group.
enum BulkIds {
    Sequential(SequentialIds),
    Preset {
        persons: std::collections::VecDeque<u64>,
        household: Option<u64>,
        next_resident_record_serial: u64,
    },
}

impl IdAllocator for BulkIds {
    fn next_person_id(&mut self) -> PersonId {
        match self {
            BulkIds::Sequential(ids) => ids.next_person_id(),
            BulkIds::Preset { persons, .. } => PersonId::new(persons.pop_front().unwrap_or(0)),
        }
    }

    fn next_household_id(&mut self) -> HouseholdId {
        match self {
            BulkIds::Sequential(ids) => ids.next_household_id(),
            BulkIds::Preset { household, .. } => HouseholdId::new(household.take().unwrap_or(0)),
        }
    }

    fn next_resident_record_code(
        &mut self,
    ) -> Result<kiban_core::ResidentRecordCode, kiban_core::ValueError> {
        match self {
            BulkIds::Sequential(ids) => ids.next_resident_record_code(),
            BulkIds::Preset {
                next_resident_record_serial,
                ..
            } => {
                let code =
                    kiban_core::ResidentRecordCode::from_serial(*next_resident_record_serial)?;
                *next_resident_record_serial += 1;
                Ok(code)
            }
        }
    }
}

fn build(
    households: &[NewHousehold],
    presets: Option<&[PresetHousehold]>,
    ids: &mut BulkIds,
    first_movement_id: u64,
    recorded_by: &str,
    recorded_at: Timestamp,
) -> Result<BulkRows, RegistryError> {
    let today = japan_date(recorded_at);
    let recorded_at = timestamp_text(recorded_at);
    let mut next_movement = first_movement_id;
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
        let preset = presets.and_then(|p| p.get(i));
        let groups = plan(household).map_err(|r| at_household(i, r))?;
        let mut movements = Vec::with_capacity(groups.len());
        let mut household_id = HouseholdId::new(0);
        let mut registered_by: Vec<(PersonId, MovementId)> =
            Vec::with_capacity(household.members.len());
        let mut member_ids: Vec<Option<PersonId>> = vec![None; household.members.len()];
        let mut steps: Vec<(Date, Option<&Group>, Option<&Removal>)> =
            groups.iter().map(|g| (g.date, Some(g), None)).collect();
        if let Some(preset) = preset {
            let mut removals: Vec<&Removal> = preset.removals.iter().collect();
            removals.sort_by_key(|r| (r.on, r.member));
            steps.extend(removals.into_iter().map(|r| (r.on, None, Some(r))));
        }
        for (date, group, removal) in steps {
            if let (Some(preset), Some(group)) = (preset, group)
                && let BulkIds::Preset {
                    persons, household, ..
                } = &mut *ids
            {
                *persons = group
                    .members()
                    .iter()
                    .map(|&j| preset.person_ids.get(j).copied().unwrap_or(0))
                    .collect();
                *household = Some(preset.household_id);
            }
            let action = match (group.map(|g| &g.step), removal) {
                (Some(Step::Found(members)), _) => Action::MoveIn(MoveInCommand {
                    persons: move_in_persons(household, members),
                    address: household.address.clone(),
                    previous_address: previous_address(household, members),
                    household_id: None,
                }),
                (Some(Step::Join(members)), _) => Action::MoveIn(MoveInCommand {
                    persons: move_in_persons(household, members),
                    address: household.address.clone(),
                    previous_address: previous_address(household, members),
                    household_id: Some(household_id),
                }),
                (Some(Step::Birth(j)), _) => Action::Birth(BirthCommand {
                    household_id,
                    person: household.members[*j].input(),
                }),
                (None, Some(removal)) => {
                    let Some(person_id) = member_ids.get(removal.member).copied().flatten() else {
                        return Err(at_household(
                            i,
                            Rejection::new(
                                format!("members[{}]", removal.member),
                                Reason::NoPersons,
                            ),
                        ));
                    };
                    match &removal.kind {
                        RemovalKind::MoveOut { destination } => Action::MoveOut(MoveOut {
                            person_ids: vec![person_id],
                            destination_address: destination.clone(),
                            new_head_person_id: None,
                        }),
                        RemovalKind::Death => Action::Death(Death {
                            person_id,
                            new_head_person_id: None,
                        }),
                    }
                }
                (None, None) => continue,
            };
            let command = MovementCommand {
                event_date: date,
                // Notified on the day it happened; a date after today is
                // then reported as the 異動日 in the future it is.
                notified_on: date.min(today),
                action,
            };
            let recording = Recording {
                id: MovementId::new(next_movement),
                sequence: RecordedSequence::new(next_movement),
            };
            let accepted = domain::record_movement(&movements, command, recording, today, ids)
                .map_err(|r| match (group, removal) {
                    (Some(group), _) => locate(i, group, r),
                    (None, Some(removal)) => at_household(
                        i,
                        Rejection::new(format!("members[{}].removal", removal.member), r.reason),
                    ),
                    (None, None) => at_household(i, r),
                })?;
            next_movement += 1;
            let movement = accepted.movement;
            match &movement.details {
                Details::MoveIn(record) => {
                    household_id = record.household_id;
                    registered_by.extend(record.persons.iter().map(|p| (p.person_id, movement.id)));
                    if let Some(group) = group {
                        for (&j, p) in group.members().iter().zip(&record.persons) {
                            member_ids[j] = Some(p.person_id);
                        }
                    }
                }
                Details::Birth(birth) => {
                    registered_by.push((birth.person.person_id, movement.id));
                    if let Some(&j) = group.and_then(|g| g.members().first()) {
                        member_ids[j] = Some(birth.person.person_id);
                    }
                }
                _ => {
                    for (p, m) in registered_by.iter_mut() {
                        if removal.is_some_and(|r| member_ids[r.member] == Some(*p)) {
                            *m = movement.id;
                        }
                    }
                }
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
    rows.counts.movements = next_movement - first_movement_id;
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

/// Makes sure the counter `name` hands out numbers above `max` from now on
/// (after a registration with preset numbers).
async fn advance_past(tx: &mut TenantTx, name: &str, max: u64) -> Result<(), StoreError> {
    let next = first(tx.next_numbers(name, 1).await?) + 1;
    if max >= next {
        tx.next_numbers(name, count(max - next + 1)?).await?;
    }
    Ok(())
}

/// Registers households whose 宛名番号 and 世帯番号 the caller chose (a
/// migration keeping the legacy numbers), with their removals, in the
/// caller's transaction, like [`register_households`]: movement numbers and
/// 住民票コード come from the counters, the person and household counters
/// are moved past the highest preset number, and one access-log entry
/// (`bulk_register`) is appended. The caller makes sure that the preset
/// numbers are not in use (e.g. by registering into an empty municipality).
pub async fn register_preset_households(
    tx: &mut TenantTx,
    actor: &Actor,
    households: &[PresetHousehold],
) -> Result<BulkStats, RegistryError> {
    let plain: Vec<NewHousehold> = households.iter().map(|p| p.household.clone()).collect();
    let mut counts = id_counts(&plain)?;
    counts.movements += households
        .iter()
        .map(|h| h.removals.len() as u64)
        .sum::<u64>();
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
    let max_person = households
        .iter()
        .flat_map(|h| h.person_ids.iter().copied())
        .max()
        .unwrap_or(0);
    let max_household = households.iter().map(|h| h.household_id).max().unwrap_or(0);
    advance_past(tx, PERSON_SEQUENCE, max_person).await?;
    advance_past(tx, HOUSEHOLD_SEQUENCE, max_household).await?;
    let first_serial = tx
        .next_numbers(RESIDENT_RECORD_SEQUENCE, count(counts.persons)?)
        .await?;
    let block = IdBlock {
        first_person_id: 0,
        first_household_id: 0,
        first_movement_id: first(first_movement),
        first_resident_record_serial: first(first_serial),
    };
    let rows = build_rows_preset(households, block, &actor.login, Timestamp::now())?;
    insert_rows(tx, &rows).await?;
    let min_person = households
        .iter()
        .flat_map(|h| h.person_ids.iter().copied())
        .min()
        .unwrap_or(0);
    let detail = format!(
        "bulk_register households={} persons={} movements={} person_ids={}..={}",
        counts.households, counts.persons, counts.movements, min_person, max_person,
    );
    kiban_audit::append(tx, &actor.entry(AuditAction::BulkRegister, None, detail)).await?;
    Ok(BulkStats {
        counts: rows.counts,
        first_person_id: min_person,
        first_household_id: households.first().map_or(0, |h| h.household_id),
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
