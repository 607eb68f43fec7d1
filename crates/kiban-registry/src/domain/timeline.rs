//! Reading the registry: the movements of some persons and households in
//! event order, and the records they make as of any date.

use std::collections::{BTreeMap, BTreeSet};

use kiban_core::Date;

use super::fold::{Fold, Overlay, overlays};
use super::ids::{HouseholdId, MovementId, PersonId};
use super::movement::{Details, Movement};
use super::record::{HouseholdRecord, PersonRecord, PersonVersion, ResidentStatus};

/// Loaded movements in event order (異動日, then recorded sequence), ready to
/// be read as of any date.
///
/// Build it from the movements storage loaded with
/// [`Closure`](super::Closure) (in any order; duplicates are ignored). It
/// borrows them, and every read folds them again: a person with a few dozen
/// movements folds in a few microseconds.
#[derive(Debug, Clone)]
pub struct Timeline<'a> {
    /// Every movement, cancelled ones and cancellations included.
    entries: Vec<&'a Movement>,
    /// The movements that a cancellation among `entries` cancels.
    cancelled: BTreeSet<MovementId>,
    /// Corrections of the movements that count, for reads as of any date.
    overlays: BTreeMap<PersonId, Overlay<'a>>,
}

impl<'a> Timeline<'a> {
    /// Orders `movements` in event time.
    pub fn new(movements: &'a [Movement]) -> Self {
        Self::from_refs(movements.iter().collect())
    }

    pub(crate) fn from_refs(mut entries: Vec<&'a Movement>) -> Self {
        entries.sort_by_key(|m| (m.order_key(), m.id));
        entries.dedup_by_key(|m| m.id);
        let cancelled: BTreeSet<MovementId> = entries
            .iter()
            .filter_map(|m| match &m.details {
                Details::Cancellation(c) => Some(c.movement_id),
                _ => None,
            })
            .collect();
        let overlays = overlays(
            entries
                .iter()
                .copied()
                .filter(|m| !cancelled.contains(&m.id)),
        );
        Self {
            entries,
            cancelled,
            overlays,
        }
    }

    /// Every movement, cancelled ones and cancellations included, in event
    /// order.
    pub fn movements(&self) -> impl Iterator<Item = &'a Movement> + '_ {
        self.entries.iter().copied()
    }

    /// The movement with this number, if loaded.
    pub fn movement(&self, id: MovementId) -> Option<&'a Movement> {
        self.entries.iter().copied().find(|m| m.id == id)
    }

    /// Whether a loaded cancellation cancels the movement.
    pub fn is_cancelled(&self, id: MovementId) -> bool {
        self.cancelled.contains(&id)
    }

    /// The movements that make the registry's state, in event order: every
    /// movement neither cancelled nor itself a cancellation.
    pub(crate) fn effective(&self) -> impl Iterator<Item = &'a Movement> + '_ {
        self.entries.iter().copied().filter(|m| {
            !self.cancelled.contains(&m.id) && !matches!(m.details, Details::Cancellation(_))
        })
    }

    /// The state as of the end of `as_of`, with every correction applied from
    /// the record's start.
    pub(crate) fn fold_as_of(&self, as_of: Date) -> Fold<'a> {
        let mut fold = Fold::with_overlays(self.overlays.clone());
        for movement in self.effective() {
            if movement.event_date > as_of {
                break;
            }
            fold.apply(movement);
        }
        fold
    }

    /// The person's record (住民票, or 除票 once removed) as of `as_of`;
    /// `None` if the person was not registered by then.
    pub fn person_as_of(&self, person: PersonId, as_of: Date) -> Option<PersonRecord> {
        self.fold_as_of(as_of).person_record(person)
    }

    /// The household as of `as_of` with its members resident on that day;
    /// `None` if it was not founded by then.
    pub fn household_as_of(&self, household: HouseholdId, as_of: Date) -> Option<HouseholdRecord> {
        self.fold_as_of(as_of).household_record(household)
    }

    /// Every person registered by `as_of` among the loaded movements, ordered
    /// by 宛名番号, removed persons included (filter on
    /// [`PersonRecord::status`] for residents only).
    pub fn persons_as_of(&self, as_of: Date) -> Vec<PersonRecord> {
        let fold = self.fold_as_of(as_of);
        fold.persons
            .keys()
            .filter_map(|p| fold.person_record(*p))
            .collect()
    }

    /// Every household founded by `as_of` among the loaded movements, with
    /// its members resident on that day, ordered by 世帯番号 (one fold for
    /// all of them).
    pub fn households_as_of(&self, as_of: Date) -> Vec<HouseholdRecord> {
        let fold = self.fold_as_of(as_of);
        fold.households
            .keys()
            .filter_map(|h| fold.household_record(*h))
            .collect()
    }

    /// Whether the person is a resident on `as_of`.
    pub fn is_resident_on(&self, person: PersonId, as_of: Date) -> bool {
        self.person_as_of(person, as_of)
            .is_some_and(|r| r.status == ResidentStatus::Resident)
    }

    /// The person's history (異動履歴), oldest first: one version per
    /// movement that touched the person (named them, changed their record,
    /// or cancelled a movement that did), each with the record as it stood
    /// right after it. A cancelled movement keeps its version; the
    /// cancellation adds its own, showing the record without it (no record at
    /// all when the cancelled movement registered the person).
    pub fn person_history(&self, person: PersonId) -> Vec<PersonVersion> {
        let mut versions = Vec::new();
        let mut fold = Fold::replaying();
        let mut cancelled_so_far: BTreeSet<MovementId> = BTreeSet::new();
        for (position, movement) in self.entries.iter().copied().enumerate() {
            let before = fold
                .person_state(person)
                .map(|(s, o)| (s.clone(), o.copied()));
            let mut named = movement.mentions_person(person);
            if let Details::Cancellation(cancellation) = &movement.details {
                cancelled_so_far.insert(cancellation.movement_id);
                named |= self
                    .movement(cancellation.movement_id)
                    .is_some_and(|m| m.mentions_person(person));
                fold = Fold::replaying();
                for earlier in &self.entries[..=position] {
                    if !cancelled_so_far.contains(&earlier.id) {
                        fold.apply(earlier);
                    }
                }
            } else {
                fold.apply(movement);
            }
            let after = fold
                .person_state(person)
                .map(|(s, o)| (s.clone(), o.copied()));
            if (before.is_some() || after.is_some()) && (named || before != after) {
                versions.push(PersonVersion {
                    movement_id: movement.id,
                    kind: movement.kind(),
                    event_date: movement.event_date,
                    notified_on: movement.notified_on,
                    sequence: movement.sequence,
                    cancelled: self.cancelled.contains(&movement.id),
                    record: fold.person_record(person),
                });
            }
        }
        versions
    }
}
