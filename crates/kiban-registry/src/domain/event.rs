//! Domain events (ドメインイベント): one per accepted movement, written to the
//! outbox in the same transaction so that other businesses (seal
//! registration, taxes, insurance, elections) can follow the registry.
//!
//! They carry numbers and dates only, never names or addresses: a consumer
//! that needs more reads the registry as of the event's date.

use kiban_core::Date;

use super::ids::{HouseholdId, MovementId, PersonId};
use super::movement::{CorrectedField, MovementKind};

/// An event of the resident registry. Storage serializes it into the outbox;
/// [`DomainEvent::name`] is its stable type name there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainEvent {
    /// `resident_moved_in` (転入): persons became residents.
    ResidentMovedIn {
        /// The movement.
        movement_id: MovementId,
        /// 異動日: residents from this day.
        event_date: Date,
        /// 届出日.
        notified_on: Date,
        /// The household joined or founded.
        household_id: HouseholdId,
        /// Whether the movement founded the household.
        founded_household: bool,
        /// The new residents, in the order of the request.
        person_ids: Vec<PersonId>,
    },
    /// `resident_born` (出生).
    ResidentBorn {
        /// The movement.
        movement_id: MovementId,
        /// 異動日 (the date of birth).
        event_date: Date,
        /// 届出日.
        notified_on: Date,
        /// The household.
        household_id: HouseholdId,
        /// The child.
        person_id: PersonId,
    },
    /// `resident_address_changed` (転居): a household moved within the
    /// municipality.
    ResidentAddressChanged {
        /// The movement.
        movement_id: MovementId,
        /// 異動日.
        event_date: Date,
        /// 届出日.
        notified_on: Date,
        /// The household.
        household_id: HouseholdId,
        /// Its members on the 異動日.
        person_ids: Vec<PersonId>,
    },
    /// `resident_moved_out` (転出): persons removed on the 異動日 (a planned
    /// move-out may be dated after the 届出日). Consumers end what depends on
    /// residence (e.g. seal registration abolishes the seal).
    ResidentMovedOut {
        /// The movement.
        movement_id: MovementId,
        /// 異動日: no longer residents from this day.
        event_date: Date,
        /// 届出日.
        notified_on: Date,
        /// Those removed.
        person_ids: Vec<PersonId>,
        /// The households they left.
        household_ids: Vec<HouseholdId>,
        /// The head appointed in place of a head who left, if any.
        new_head_person_id: Option<PersonId>,
    },
    /// `resident_died` (死亡).
    ResidentDied {
        /// The movement.
        movement_id: MovementId,
        /// 異動日 (the date of death).
        event_date: Date,
        /// 届出日.
        notified_on: Date,
        /// The deceased.
        person_id: PersonId,
        /// Their household.
        household_id: HouseholdId,
        /// The head appointed in place of a deceased head, if any.
        new_head_person_id: Option<PersonId>,
    },
    /// `household_changed` (世帯変更: here a 世帯分離).
    HouseholdChanged {
        /// The movement.
        movement_id: MovementId,
        /// 異動日.
        event_date: Date,
        /// 届出日.
        notified_on: Date,
        /// The household the persons left.
        from_household_id: HouseholdId,
        /// The household they formed.
        new_household_id: HouseholdId,
        /// Those who moved to the new household.
        person_ids: Vec<PersonId>,
        /// The new household's head.
        new_head_person_id: PersonId,
        /// The head appointed in the old household when its head split off
        /// and one member remained.
        remaining_head_person_id: Option<PersonId>,
    },
    /// `resident_record_corrected` (職権修正): the record is corrected from its
    /// start.
    ResidentRecordCorrected {
        /// The movement.
        movement_id: MovementId,
        /// 異動日.
        event_date: Date,
        /// 届出日.
        notified_on: Date,
        /// The person.
        person_id: PersonId,
        /// Which fields were corrected.
        fields: Vec<CorrectedField>,
    },
    /// `movement_cancelled` (異動の取消し): the registry reads as if the
    /// cancelled movement had never happened. Consumers undo what they did
    /// for it.
    MovementCancelled {
        /// The cancellation.
        movement_id: MovementId,
        /// 異動日 of the cancellation.
        event_date: Date,
        /// 届出日 of the cancellation.
        notified_on: Date,
        /// The movement cancelled.
        cancelled_movement_id: MovementId,
        /// Its kind.
        cancelled_kind: MovementKind,
        /// Its 異動日.
        cancelled_event_date: Date,
        /// The persons it involved.
        person_ids: Vec<PersonId>,
        /// The households it involved.
        household_ids: Vec<HouseholdId>,
    },
}

impl DomainEvent {
    /// The stable type name in the outbox (`resident_moved_in`, …).
    pub fn name(&self) -> &'static str {
        match self {
            DomainEvent::ResidentMovedIn { .. } => "resident_moved_in",
            DomainEvent::ResidentBorn { .. } => "resident_born",
            DomainEvent::ResidentAddressChanged { .. } => "resident_address_changed",
            DomainEvent::ResidentMovedOut { .. } => "resident_moved_out",
            DomainEvent::ResidentDied { .. } => "resident_died",
            DomainEvent::HouseholdChanged { .. } => "household_changed",
            DomainEvent::ResidentRecordCorrected { .. } => "resident_record_corrected",
            DomainEvent::MovementCancelled { .. } => "movement_cancelled",
        }
    }

    /// The movement the event comes from.
    pub fn movement_id(&self) -> MovementId {
        match self {
            DomainEvent::ResidentMovedIn { movement_id, .. }
            | DomainEvent::ResidentBorn { movement_id, .. }
            | DomainEvent::ResidentAddressChanged { movement_id, .. }
            | DomainEvent::ResidentMovedOut { movement_id, .. }
            | DomainEvent::ResidentDied { movement_id, .. }
            | DomainEvent::HouseholdChanged { movement_id, .. }
            | DomainEvent::ResidentRecordCorrected { movement_id, .. }
            | DomainEvent::MovementCancelled { movement_id, .. } => *movement_id,
        }
    }
}
