//! The fold: the registry's state built by applying movements in event order.
//!
//! The state borrows from the movements (names, addresses), so a fold
//! allocates only its two small maps; records are copied out at the end.
//! [`Fold::check`] tells whether a movement is valid on the state before it;
//! [`Fold::apply`] applies it leniently (what cannot apply is skipped), so a
//! fold never fails and can also replay histories that a cancellation made
//! inconsistent.

use std::collections::BTreeMap;

use kiban_core::KanaName;
use kiban_core::PersonName;
use kiban_core::{Date, Relationship, ResidentRecordCode, Sex};

use super::ids::{HouseholdId, PersonId};
use super::movement::{Changes, Details, Movement, RegisteredPerson};
use super::record::{HouseholdRecord, PersonRecord, ResidentStatus};
use super::rejection::Reason;
use super::values::{Address, AddressText, PersonInput, StatusOfResidence};

/// The values corrected by 職権修正, applied over what was registered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Overlay<'a> {
    name: Option<&'a PersonName>,
    name_kana: Option<&'a KanaName>,
    birth_date: Option<Date>,
    sex: Option<Sex>,
    status_of_residence: Option<&'a StatusOfResidence>,
    period_of_stay_until: Option<Option<Date>>,
}

impl<'a> Overlay<'a> {
    fn apply(&mut self, changes: &'a Changes) {
        if let Some(name) = &changes.name {
            self.name = Some(name);
        }
        if let Some(kana) = &changes.name_kana {
            self.name_kana = Some(kana);
        }
        if let Some(birth_date) = changes.birth_date {
            self.birth_date = Some(birth_date);
        }
        if let Some(sex) = changes.sex {
            self.sex = Some(sex);
        }
        if let Some(status) = &changes.status_of_residence {
            self.status_of_residence = Some(status);
            self.period_of_stay_until = Some(changes.period_of_stay_until);
        } else if let Some(until) = changes.period_of_stay_until {
            self.period_of_stay_until = Some(Some(until));
        }
    }
}

/// The overlays of every correction among `movements` (already in event
/// order, cancelled ones left out).
pub(crate) fn overlays<'a>(
    movements: impl IntoIterator<Item = &'a Movement>,
) -> BTreeMap<PersonId, Overlay<'a>> {
    let mut overlays: BTreeMap<PersonId, Overlay<'a>> = BTreeMap::new();
    for movement in movements {
        if let Details::ExOfficioCorrection(correction) = &movement.details {
            overlays
                .entry(correction.person_id)
                .or_default()
                .apply(&correction.changes);
        }
    }
    overlays
}

/// A person in the fold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PersonState<'a> {
    input: &'a PersonInput,
    code: &'a ResidentRecordCode,
    pub(crate) household: HouseholdId,
    relationship: Relationship,
    address: &'a Address,
    previous_address: Option<&'a AddressText>,
    resident_from: Date,
    pub(crate) status: ResidentStatus,
    removed_on: Option<Date>,
    destination_address: Option<&'a AddressText>,
}

/// A household in the fold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HouseholdState<'a> {
    pub(crate) head: Option<PersonId>,
    address: &'a Address,
    /// Resident members, in the order they joined.
    pub(crate) members: Vec<PersonId>,
    founded_on: Date,
    dissolved_on: Option<Date>,
}

/// A rule broken by a movement: the field of the movement and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    pub(crate) field: String,
    pub(crate) reason: Reason,
}

fn violation(field: impl Into<String>, reason: Reason) -> Violation {
    Violation {
        field: field.into(),
        reason,
    }
}

/// Whether corrections are known in advance (and apply from the record's
/// start) or applied as the fold meets them (to replay history).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CorrectionMode {
    /// Corrections were given up front; corrections met are ignored.
    UpFront,
    /// Corrections apply when the fold meets them.
    AsMet,
}

/// The registry's state after some movements.
#[derive(Debug, Clone)]
pub(crate) struct Fold<'a> {
    pub(crate) persons: BTreeMap<PersonId, PersonState<'a>>,
    pub(crate) households: BTreeMap<HouseholdId, HouseholdState<'a>>,
    overlays: BTreeMap<PersonId, Overlay<'a>>,
    mode: CorrectionMode,
}

impl<'a> Fold<'a> {
    /// An empty registry whose corrections are all given up front.
    pub(crate) fn with_overlays(overlays: BTreeMap<PersonId, Overlay<'a>>) -> Self {
        Self {
            persons: BTreeMap::new(),
            households: BTreeMap::new(),
            overlays,
            mode: CorrectionMode::UpFront,
        }
    }

    /// An empty registry that applies corrections as it meets them.
    pub(crate) fn replaying() -> Self {
        Self {
            persons: BTreeMap::new(),
            households: BTreeMap::new(),
            overlays: BTreeMap::new(),
            mode: CorrectionMode::AsMet,
        }
    }

    fn birth_date_of(&self, person: PersonId, input: &PersonInput) -> Date {
        self.overlays
            .get(&person)
            .and_then(|o| o.birth_date)
            .unwrap_or(input.birth_date)
    }

    pub(crate) fn is_resident(&self, person: PersonId) -> bool {
        self.persons
            .get(&person)
            .is_some_and(|p| p.status == ResidentStatus::Resident)
    }

    fn require_resident(
        &self,
        person: PersonId,
        field: impl Into<String>,
    ) -> Result<(), Violation> {
        if self.is_resident(person) {
            Ok(())
        } else {
            Err(violation(field, Reason::NotResident { person_id: person }))
        }
    }

    fn active_household(
        &self,
        household: HouseholdId,
        field: &str,
    ) -> Result<&HouseholdState<'a>, Violation> {
        match self.households.get(&household) {
            Some(h) if !h.members.is_empty() => Ok(h),
            _ => Err(violation(
                field,
                Reason::HouseholdNotActive {
                    household_id: household,
                },
            )),
        }
    }

    /// Checks `movement` against the state before it (the state on its
    /// 異動日, since movements are applied in event order).
    pub(crate) fn check(&self, movement: &Movement) -> Result<(), Violation> {
        let date = movement.event_date;
        match &movement.details {
            Details::MoveIn(record) => {
                if !record.founded_household {
                    let household = self.active_household(record.household_id, "household_id")?;
                    if household.address != &record.address {
                        return Err(violation("address", Reason::AddressDiffersFromHousehold));
                    }
                }
                for (i, person) in record.persons.iter().enumerate() {
                    self.check_registration(person, date, &format!("persons[{i}]"))?;
                }
                Ok(())
            }
            Details::Birth(birth) => {
                self.active_household(birth.household_id, "household_id")?;
                self.check_registration(&birth.person, date, "person")?;
                if self.birth_date_of(birth.person.person_id, &birth.person.input) != date {
                    return Err(violation("person.birth_date", Reason::BirthDateMismatch));
                }
                Ok(())
            }
            Details::AddressChange(change) => {
                self.active_household(change.household_id, "household_id")?;
                Ok(())
            }
            Details::MoveOut(move_out) => {
                for (i, &person) in move_out.person_ids.iter().enumerate() {
                    self.require_resident(person, format!("person_ids[{i}]"))?;
                }
                self.check_succession(&move_out.person_ids, move_out.new_head_person_id)
            }
            Details::Death(death) => {
                self.require_resident(death.person_id, "person_id")?;
                self.check_succession(&[death.person_id], death.new_head_person_id)
            }
            Details::HouseholdSplit(split) => {
                let mut household_id = None;
                for (i, &person) in split.person_ids.iter().enumerate() {
                    let field = format!("person_ids[{i}]");
                    self.require_resident(person, field.as_str())?;
                    let of = self.persons.get(&person).map(|p| p.household);
                    match household_id {
                        None => household_id = of,
                        Some(h) if Some(h) != of => {
                            return Err(violation(field, Reason::DifferentHouseholds));
                        }
                        Some(_) => {}
                    }
                }
                let Some(household_id) = household_id else {
                    return Ok(());
                };
                let household = self.active_household(household_id, "person_ids")?;
                let remaining = household
                    .members
                    .iter()
                    .filter(|m| !split.person_ids.contains(m))
                    .count();
                if remaining == 0 {
                    return Err(violation("person_ids", Reason::WholeHouseholdSplit));
                }
                if let Some(head) = household.head.filter(|h| split.person_ids.contains(h)) {
                    if head != split.new_head_person_id {
                        return Err(violation("new_head_person_id", Reason::SplitHeadMustLead));
                    }
                    if remaining >= 2 {
                        return Err(violation("person_ids", Reason::RemainingHeadUndecided));
                    }
                }
                Ok(())
            }
            Details::ExOfficioCorrection(correction) => {
                self.require_resident(correction.person_id, "person_id")?;
                self.check_residence_correction(correction.person_id, &correction.changes, date)
            }
            Details::Cancellation(_) => Ok(()),
        }
    }

    /// A 職権修正 of 在留資格・在留期間: only for a foreign resident, and the
    /// result must hold as for a 転入 (a status that is known; a period of
    /// stay not yet over unless the status is permanent, none if it is).
    fn check_residence_correction(
        &self,
        person: PersonId,
        changes: &Changes,
        date: Date,
    ) -> Result<(), Violation> {
        if changes.status_of_residence.is_none() && changes.period_of_stay_until.is_none() {
            return Ok(());
        }
        let status_field = "changes.status_of_residence";
        let period_field = "changes.period_of_stay_until";
        let Some(record) = self.person_record(person) else {
            return Err(violation(
                "person_id",
                Reason::NotResident { person_id: person },
            ));
        };
        if record.nationality.is_japanese() {
            let field = if changes.status_of_residence.is_some() {
                status_field
            } else {
                period_field
            };
            return Err(violation(field, Reason::ForeignFieldsForJapanese));
        }
        let (status, until) = match &changes.status_of_residence {
            Some(status) => (Some(status), changes.period_of_stay_until),
            None => (
                record.status_of_residence.as_ref(),
                changes.period_of_stay_until.or(record.period_of_stay_until),
            ),
        };
        let Some(status) = status.filter(|s| !s.is_unknown()) else {
            return Err(violation(status_field, Reason::MissingStatusOfResidence));
        };
        match (status.is_permanent(), until) {
            (true, None) => Ok(()),
            (true, Some(_)) => Err(violation(period_field, Reason::PeriodOfStayForPermanent)),
            (false, None) => Err(violation(period_field, Reason::MissingPeriodOfStay)),
            (false, Some(until)) if until < date => {
                Err(violation(period_field, Reason::PeriodOfStayExpired))
            }
            (false, Some(_)) => Ok(()),
        }
    }

    fn check_registration(
        &self,
        person: &RegisteredPerson,
        date: Date,
        path: &str,
    ) -> Result<(), Violation> {
        let id = person.person_id;
        match self.persons.get(&id) {
            None if person.returning => {
                return Err(violation(
                    format!("{path}.person_id"),
                    Reason::NotResident { person_id: id },
                ));
            }
            None => {}
            Some(state) => match state.status {
                ResidentStatus::Resident => {
                    return Err(violation(
                        format!("{path}.person_id"),
                        Reason::AlreadyResident { person_id: id },
                    ));
                }
                ResidentStatus::Deceased => {
                    return Err(violation(
                        format!("{path}.person_id"),
                        Reason::Deceased { person_id: id },
                    ));
                }
                ResidentStatus::MovedOut => {}
            },
        }
        if self.birth_date_of(id, &person.input) > date {
            return Err(violation(
                format!("{path}.birth_date"),
                Reason::BeforeBirth { person_id: id },
            ));
        }
        Ok(())
    }

    /// The head rule when `leaving` leave their households: a head who leaves
    /// others behind needs a successor who stays.
    fn check_succession(
        &self,
        leaving: &[PersonId],
        new_head: Option<PersonId>,
    ) -> Result<(), Violation> {
        let mut orphaned: Vec<HouseholdId> = Vec::new();
        for person in leaving {
            let Some(household_id) = self.persons.get(person).map(|p| p.household) else {
                continue;
            };
            let Some(household) = self.households.get(&household_id) else {
                continue;
            };
            let head_leaves = household.head == Some(*person);
            let someone_stays = household.members.iter().any(|m| !leaving.contains(m));
            if head_leaves && someone_stays && !orphaned.contains(&household_id) {
                orphaned.push(household_id);
            }
        }
        const FIELD: &str = "new_head_person_id";
        match (orphaned.as_slice(), new_head) {
            ([], None) => Ok(()),
            ([], Some(_)) => Err(violation(FIELD, Reason::NewHeadNotNeeded)),
            ([household_id], Some(new_head)) => {
                let stays = self
                    .households
                    .get(household_id)
                    .is_some_and(|h| h.members.contains(&new_head))
                    && !leaving.contains(&new_head);
                if stays {
                    Ok(())
                } else {
                    Err(violation(FIELD, Reason::NewHeadNotRemaining))
                }
            }
            _ => Err(violation(FIELD, Reason::NewHeadRequired)),
        }
    }

    /// Applies `movement`, skipping whatever cannot apply.
    pub(crate) fn apply(&mut self, movement: &'a Movement) {
        let date = movement.event_date;
        match &movement.details {
            Details::MoveIn(record) => {
                let household = self
                    .households
                    .entry(record.household_id)
                    .or_insert_with(|| HouseholdState {
                        head: None,
                        address: &record.address,
                        members: Vec::new(),
                        founded_on: date,
                        dissolved_on: None,
                    });
                for person in &record.persons {
                    if self
                        .persons
                        .get(&person.person_id)
                        .is_some_and(|p| p.status != ResidentStatus::MovedOut)
                    {
                        continue;
                    }
                    household.members.push(person.person_id);
                    household.dissolved_on = None;
                    if person.input.relationship == Relationship::Head && household.head.is_none() {
                        household.head = Some(person.person_id);
                    }
                    self.persons.insert(
                        person.person_id,
                        PersonState {
                            input: &person.input,
                            code: &person.resident_record_code,
                            household: record.household_id,
                            relationship: person.input.relationship,
                            address: household.address,
                            previous_address: Some(&record.previous_address),
                            resident_from: date,
                            status: ResidentStatus::Resident,
                            removed_on: None,
                            destination_address: None,
                        },
                    );
                }
            }
            Details::Birth(birth) => {
                let person = &birth.person;
                if self.persons.contains_key(&person.person_id) {
                    return;
                }
                let Some(household) = self.households.get_mut(&birth.household_id) else {
                    return;
                };
                household.members.push(person.person_id);
                household.dissolved_on = None;
                self.persons.insert(
                    person.person_id,
                    PersonState {
                        input: &person.input,
                        code: &person.resident_record_code,
                        household: birth.household_id,
                        relationship: person.input.relationship,
                        address: household.address,
                        previous_address: None,
                        resident_from: date,
                        status: ResidentStatus::Resident,
                        removed_on: None,
                        destination_address: None,
                    },
                );
            }
            Details::AddressChange(change) => {
                let Some(household) = self.households.get_mut(&change.household_id) else {
                    return;
                };
                household.address = &change.address;
                for member in &household.members {
                    if let Some(person) = self.persons.get_mut(member) {
                        person.address = &change.address;
                    }
                }
            }
            Details::MoveOut(move_out) => self.remove(
                &move_out.person_ids,
                date,
                ResidentStatus::MovedOut,
                Some(&move_out.destination_address),
                move_out.new_head_person_id,
            ),
            Details::Death(death) => self.remove(
                &[death.person_id],
                date,
                ResidentStatus::Deceased,
                None,
                death.new_head_person_id,
            ),
            Details::HouseholdSplit(split) => {
                let moving: Vec<PersonId> = split
                    .person_ids
                    .iter()
                    .copied()
                    .filter(|p| self.is_resident(*p))
                    .collect();
                let Some(old_id) = moving
                    .first()
                    .and_then(|p| self.persons.get(p))
                    .map(|p| p.household)
                else {
                    return;
                };
                if self.households.contains_key(&split.new_household_id) {
                    return;
                }
                let Some(old) = self.households.get_mut(&old_id) else {
                    return;
                };
                let address = split.address.as_ref().unwrap_or(old.address);
                old.members.retain(|m| !moving.contains(m));
                if old.head.is_some_and(|h| moving.contains(&h)) {
                    old.head = None;
                }
                let successor = settle_head(old, None, date);
                if let Some(successor) = successor
                    && let Some(person) = self.persons.get_mut(&successor)
                {
                    person.relationship = Relationship::Head;
                }
                let head = if moving.contains(&split.new_head_person_id) {
                    split.new_head_person_id
                } else {
                    moving[0]
                };
                for member in &moving {
                    if let Some(person) = self.persons.get_mut(member) {
                        person.household = split.new_household_id;
                        person.address = address;
                        if *member == head {
                            person.relationship = Relationship::Head;
                        }
                    }
                }
                self.households.insert(
                    split.new_household_id,
                    HouseholdState {
                        head: Some(head),
                        address,
                        members: moving,
                        founded_on: date,
                        dissolved_on: None,
                    },
                );
            }
            Details::ExOfficioCorrection(correction) => {
                if self.mode == CorrectionMode::AsMet
                    && self.persons.contains_key(&correction.person_id)
                {
                    self.overlays
                        .entry(correction.person_id)
                        .or_default()
                        .apply(&correction.changes);
                }
            }
            Details::Cancellation(_) => {}
        }
    }

    fn remove(
        &mut self,
        leaving: &[PersonId],
        date: Date,
        status: ResidentStatus,
        destination: Option<&'a AddressText>,
        new_head: Option<PersonId>,
    ) {
        let mut households: Vec<HouseholdId> = Vec::new();
        for id in leaving {
            let Some(person) = self.persons.get_mut(id) else {
                continue;
            };
            if person.status != ResidentStatus::Resident {
                continue;
            }
            person.status = status;
            person.removed_on = Some(date);
            person.destination_address = destination;
            if let Some(household) = self.households.get_mut(&person.household) {
                household.members.retain(|m| m != id);
                if household.head == Some(*id) {
                    household.head = None;
                }
            }
            if !households.contains(&person.household) {
                households.push(person.household);
            }
        }
        for household_id in households {
            let Some(household) = self.households.get_mut(&household_id) else {
                continue;
            };
            if let Some(successor) = settle_head(household, new_head, date)
                && let Some(person) = self.persons.get_mut(&successor)
            {
                person.relationship = Relationship::Head;
            }
        }
    }

    /// The record of `person` in this state, if registered.
    pub(crate) fn person_record(&self, person: PersonId) -> Option<PersonRecord> {
        let state = self.persons.get(&person)?;
        let input = state.input;
        let overlay = self.overlays.get(&person).copied().unwrap_or_default();
        Some(PersonRecord {
            person_id: person,
            household_id: state.household,
            name: overlay.name.unwrap_or(&input.name).clone(),
            name_kana: overlay.name_kana.unwrap_or(&input.name_kana).clone(),
            birth_date: overlay.birth_date.unwrap_or(input.birth_date),
            sex: overlay.sex.unwrap_or(input.sex),
            relationship: state.relationship,
            nationality: input.nationality,
            status_of_residence: overlay
                .status_of_residence
                .or(input.status_of_residence.as_ref())
                .cloned(),
            period_of_stay_until: overlay
                .period_of_stay_until
                .unwrap_or(input.period_of_stay_until),
            address: state.address.clone(),
            previous_address: state.previous_address.cloned(),
            status: state.status,
            resident_from: state.resident_from,
            removed_on: state.removed_on,
            destination_address: state.destination_address.cloned(),
            resident_record_code: state.code.clone(),
            individual_number: input.individual_number.clone(),
        })
    }

    /// The record of `household` in this state, if founded.
    pub(crate) fn household_record(&self, household: HouseholdId) -> Option<HouseholdRecord> {
        let state = self.households.get(&household)?;
        let mut members = Vec::with_capacity(state.members.len());
        members.extend(state.head.and_then(|h| self.person_record(h)));
        members.extend(
            state
                .members
                .iter()
                .filter(|m| Some(**m) != state.head)
                .filter_map(|m| self.person_record(*m)),
        );
        Some(HouseholdRecord {
            household_id: household,
            head_person_id: state.head,
            address: state.address.clone(),
            members,
            founded_on: state.founded_on,
            dissolved_on: state.dissolved_on,
        })
    }

    /// The person's state, to compare before and after a movement.
    pub(crate) fn person_state(
        &self,
        person: PersonId,
    ) -> Option<(&PersonState<'a>, Option<&Overlay<'a>>)> {
        self.persons
            .get(&person)
            .map(|state| (state, self.overlays.get(&person)))
    }
}

/// After members left `household`: dissolves it when empty, otherwise finds
/// a head if it has none (the named successor if a member, else the only
/// member). Returns the new head, if one was appointed.
fn settle_head(
    household: &mut HouseholdState<'_>,
    named: Option<PersonId>,
    date: Date,
) -> Option<PersonId> {
    if household.members.is_empty() {
        household.head = None;
        household.dissolved_on = Some(date);
        return None;
    }
    if household.head.is_some() {
        return None;
    }
    let successor =
        named
            .filter(|n| household.members.contains(n))
            .or(match household.members.as_slice() {
                [only] => Some(*only),
                _ => None,
            });
    household.head = successor;
    successor
}
