//! Why a movement was refused: a [`Rejection`] names the field at fault and a
//! [`Reason`] with a stable snake_case code and a message of the error
//! catalogue ([`kiban_core::catalogue`]). `Display`s are English, for logs.

use kiban_core::{Message, ValueError};

use super::ids::{HouseholdId, MovementId, PersonId};
use super::movement::MovementKind;

/// Whether a rejection is about the value itself or about the registry's
/// state. The API maps [`RejectionKind::Invalid`] to 422 and
/// [`RejectionKind::Conflict`] to 409.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectionKind {
    /// The request is wrong whatever the registry holds (422).
    Invalid,
    /// The request contradicts the registry's state on some date (409).
    Conflict,
}

/// A refused movement (受付不可): the field of the request at fault, written
/// as a JSON path of the API contract (`persons[0].name_kana`,
/// `new_head_person_id`, `event_date`), and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Rejection {
    /// The field at fault.
    pub field: String,
    /// Why.
    pub reason: Reason,
}

impl Rejection {
    /// A rejection of `field` for `reason`.
    pub fn new(field: impl Into<String>, reason: Reason) -> Self {
        Self {
            field: field.into(),
            reason,
        }
    }

    /// 422 or 409.
    pub fn kind(&self) -> RejectionKind {
        self.reason.kind()
    }

    /// The stable snake_case code of the reason.
    pub fn code(&self) -> &'static str {
        self.reason.code()
    }

    /// The catalogue's message for clerks (the reason's; the field is
    /// answered beside it).
    pub fn message(&self) -> Message {
        self.reason.message()
    }
}

/// Why a movement cannot be accepted. Each reason has a stable
/// [`code`](Reason::code), a [`kind`](Reason::kind), and a Japanese message
/// for clerks from the catalogue ([`message`](Reason::message)); its
/// `Display` is English, for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    /// A value that cannot be parsed (empty name, bad kana, bad check digit,
    /// impossible date).
    #[error("{0}")]
    InvalidValue(ValueError),
    /// 異動日 after today (only a planned 転出 may be dated in the future).
    #[error("event date after the processing date (only a planned move-out may be in the future)")]
    EventInFuture,
    /// 届出日 after today.
    #[error("notification date after the processing date")]
    NotifiedInFuture,
    /// 届出日 before 異動日 (allowed only for a planned 転出).
    #[error("notification date before the event date")]
    NotifiedBeforeEvent,
    /// A date of birth after the 異動日 or after today.
    #[error("date of birth after the event date")]
    BornAfterEvent,
    /// The 異動日 of a 出生 differs from the date of birth.
    #[error("the event date of a birth must be the date of birth")]
    BirthDateMismatch,
    /// A foreign resident without 在留資格.
    #[error("a foreign resident needs a status of residence")]
    MissingStatusOfResidence,
    /// A foreign resident without 在留期間の満了の日 (permanent residents excepted).
    #[error(
        "a foreign resident needs the end of the period of stay (permanent residents excepted)"
    )]
    MissingPeriodOfStay,
    /// 在留資格 or 在留期間 given for a Japanese national.
    #[error("no status of residence or period of stay for a Japanese resident")]
    ForeignFieldsForJapanese,
    /// 在留期間 already expired on the 異動日.
    #[error("the period of stay ends before the event date")]
    PeriodOfStayExpired,
    /// A permanent resident with a period of stay.
    #[error("no period of stay for a permanent resident")]
    PeriodOfStayForPermanent,
    /// A new household needs exactly one person with relationship `head`.
    #[error("a new household needs exactly one head ({found} given)")]
    HeadCount {
        /// How many `head` the request named.
        found: usize,
    },
    /// Persons joining an existing household cannot be its head.
    #[error("a person joining a household cannot be its head")]
    HeadWhenJoining,
    /// A list that must not be empty.
    #[error("name at least one person")]
    NoPersons,
    /// The same person named twice.
    #[error("the same person is named twice")]
    DuplicatePerson,
    /// An 職権修正 that changes nothing.
    #[error("a correction must change at least one item")]
    NoChanges,
    /// The new head of a split household must be one of the persons split off.
    #[error("the new head must be one of the persons split off")]
    NewHeadNotInGroup,
    /// The new head named in a 転出 is among those leaving.
    #[error("the new head cannot be one of the persons moving out")]
    NewHeadLeaving,
    /// The person is not a resident on the 異動日 (never registered, not yet
    /// registered, moved out or deceased).
    #[error("person {person_id} is not a resident on the event date")]
    NotResident {
        /// The person.
        person_id: PersonId,
    },
    /// The 個人番号 is already that of another person of this municipality
    /// (the message names the person, never the number).
    #[error("the individual number is already registered for person {person_id}")]
    IndividualNumberInUse {
        /// The person who has the number.
        person_id: PersonId,
    },
    /// A returning resident (再転入) who is still a resident on the 異動日.
    #[error("person {person_id} is already a resident on the event date")]
    AlreadyResident {
        /// The person.
        person_id: PersonId,
    },
    /// A returning resident who is recorded as deceased.
    #[error("person {person_id} was removed as deceased")]
    Deceased {
        /// The person.
        person_id: PersonId,
    },
    /// A movement dated before the person's (corrected) date of birth.
    #[error("movement before the date of birth of person {person_id}")]
    BeforeBirth {
        /// The person.
        person_id: PersonId,
    },
    /// The household has no resident member on the 異動日 (not yet founded,
    /// or dissolved).
    #[error("household {household_id} does not exist on the event date")]
    HouseholdNotActive {
        /// The household.
        household_id: HouseholdId,
    },
    /// A 転入 into an existing household at another address than the
    /// household's on the 異動日.
    #[error("a move-in into a household must be at the household's address")]
    AddressDiffersFromHousehold,
    /// The head leaves or dies while others stay: a new head must be named.
    #[error("the head moves and members stay: a new head must be named")]
    NewHeadRequired,
    /// The named new head is not a member who stays in the household.
    #[error("the new head must be a member who stays")]
    NewHeadNotRemaining,
    /// A new head was named although the head stays (or no one remains).
    #[error("the head does not change: no new head may be named")]
    NewHeadNotNeeded,
    /// A 世帯分離 of persons from different households.
    #[error("the persons split off must be members of one household")]
    DifferentHouseholds,
    /// A 世帯分離 of every member: nothing would remain.
    #[error("a whole household cannot be split off")]
    WholeHouseholdSplit,
    /// The head of the household splits off without heading the new household.
    #[error("a head who splits off must head the new household")]
    SplitHeadMustLead,
    /// The head splits off leaving two or more members: the remaining
    /// household's head cannot be decided by the split.
    #[error("the head splits off leaving two or more: the remaining head is undecided")]
    RemainingHeadUndecided,
    /// A cancellation of a movement that is not in the registry.
    #[error("no movement {movement_id}")]
    MovementNotFound {
        /// The movement named.
        movement_id: MovementId,
    },
    /// A cancellation of a movement already cancelled.
    #[error("movement {movement_id} is already cancelled")]
    AlreadyCancelled {
        /// The movement named.
        movement_id: MovementId,
    },
    /// A cancellation of a cancellation.
    #[error("a cancellation cannot be cancelled")]
    CancelCancellation,
    /// A cancellation dated before the movement it cancels.
    #[error("the cancellation is dated before the movement it cancels")]
    CancellationBeforeMovement,
    /// No 住民票コード can be assigned (the pool is exhausted).
    #[error("no resident record code can be assigned: {0}")]
    ResidentRecordCodeUnavailable(ValueError),
    /// Accepting the request would make a later (or, for a cancellation,
    /// dependent) movement invalid.
    #[error("this movement would invalidate movement {movement_id} ({kind:?}): {cause}")]
    BreaksLaterMovement {
        /// The movement that would become invalid.
        movement_id: MovementId,
        /// Its kind.
        kind: MovementKind,
        /// Why it would become invalid.
        cause: Box<Reason>,
    },
}

impl Reason {
    /// 422 for a wrong request, 409 for a conflict with the registry's state.
    pub fn kind(&self) -> RejectionKind {
        use Reason::*;
        match self {
            InvalidValue(_)
            | EventInFuture
            | NotifiedInFuture
            | NotifiedBeforeEvent
            | BornAfterEvent
            | BirthDateMismatch
            | MissingStatusOfResidence
            | MissingPeriodOfStay
            | ForeignFieldsForJapanese
            | PeriodOfStayExpired
            | PeriodOfStayForPermanent
            | HeadCount { .. }
            | HeadWhenJoining
            | NoPersons
            | DuplicatePerson
            | NoChanges
            | NewHeadNotInGroup
            | NewHeadLeaving => RejectionKind::Invalid,
            NotResident { .. }
            | IndividualNumberInUse { .. }
            | AlreadyResident { .. }
            | Deceased { .. }
            | BeforeBirth { .. }
            | HouseholdNotActive { .. }
            | AddressDiffersFromHousehold
            | NewHeadRequired
            | NewHeadNotRemaining
            | NewHeadNotNeeded
            | DifferentHouseholds
            | WholeHouseholdSplit
            | SplitHeadMustLead
            | RemainingHeadUndecided
            | MovementNotFound { .. }
            | AlreadyCancelled { .. }
            | CancelCancellation
            | CancellationBeforeMovement
            | ResidentRecordCodeUnavailable(_)
            | BreaksLaterMovement { .. } => RejectionKind::Conflict,
        }
    }

    /// The catalogue's message for clerks, its parameters filled in.
    pub fn message(&self) -> Message {
        use Reason::*;
        let person = |id: &PersonId| id.to_string();
        match self {
            InvalidValue(e) => Message::RejectedValue {
                detail: e.message().text(),
            },
            EventInFuture => Message::EventInFuture {},
            NotifiedInFuture => Message::NotifiedInFuture {},
            NotifiedBeforeEvent => Message::NotifiedBeforeEvent {},
            BornAfterEvent => Message::BornAfterEvent {},
            BirthDateMismatch => Message::BirthDateMismatch {},
            MissingStatusOfResidence => Message::MissingStatusOfResidence {},
            MissingPeriodOfStay => Message::MissingPeriodOfStay {},
            ForeignFieldsForJapanese => Message::ForeignFieldsForJapanese {},
            PeriodOfStayExpired => Message::PeriodOfStayExpired {},
            PeriodOfStayForPermanent => Message::PeriodOfStayForPermanent {},
            HeadCount { found } => Message::HeadCount {
                found: found.to_string(),
            },
            HeadWhenJoining => Message::HeadWhenJoining {},
            NoPersons => Message::NoPersons {},
            DuplicatePerson => Message::DuplicatePerson {},
            NoChanges => Message::NoChanges {},
            NewHeadNotInGroup => Message::NewHeadNotInGroup {},
            NewHeadLeaving => Message::NewHeadLeaving {},
            NotResident { person_id } => Message::NotResident {
                person_id: person(person_id),
            },
            IndividualNumberInUse { person_id } => Message::IndividualNumberInUse {
                person_id: person(person_id),
            },
            AlreadyResident { person_id } => Message::AlreadyResident {
                person_id: person(person_id),
            },
            Deceased { person_id } => Message::Deceased {
                person_id: person(person_id),
            },
            BeforeBirth { person_id } => Message::BeforeBirth {
                person_id: person(person_id),
            },
            HouseholdNotActive { household_id } => Message::HouseholdNotActive {
                household_id: household_id.to_string(),
            },
            AddressDiffersFromHousehold => Message::AddressDiffersFromHousehold {},
            NewHeadRequired => Message::NewHeadRequired {},
            NewHeadNotRemaining => Message::NewHeadNotRemaining {},
            NewHeadNotNeeded => Message::NewHeadNotNeeded {},
            DifferentHouseholds => Message::SplitDifferentHouseholds {},
            WholeHouseholdSplit => Message::WholeHouseholdSplit {},
            SplitHeadMustLead => Message::SplitHeadMustLead {},
            RemainingHeadUndecided => Message::RemainingHeadUndecided {},
            MovementNotFound { movement_id } => Message::MovementNotFound {
                movement_id: movement_id.to_string(),
            },
            AlreadyCancelled { movement_id } => Message::AlreadyCancelled {
                movement_id: movement_id.to_string(),
            },
            CancelCancellation => Message::CancelCancellation {},
            CancellationBeforeMovement => Message::CancellationBeforeMovement {},
            ResidentRecordCodeUnavailable(e) => Message::ResidentRecordCodeUnavailable {
                detail: e.message().text(),
            },
            BreaksLaterMovement {
                movement_id,
                kind,
                cause,
            } => Message::BreaksLaterMovement {
                movement_id: movement_id.to_string(),
                kind: kind.label_ja().to_owned(),
                cause: cause.message().text(),
            },
        }
    }

    /// The stable snake_case code of the reason, for the API and the message
    /// catalog.
    pub fn code(&self) -> &'static str {
        use Reason::*;
        match self {
            InvalidValue(_) => "invalid_value",
            EventInFuture => "event_in_future",
            NotifiedInFuture => "notified_in_future",
            NotifiedBeforeEvent => "notified_before_event",
            BornAfterEvent => "born_after_event",
            BirthDateMismatch => "birth_date_mismatch",
            MissingStatusOfResidence => "missing_status_of_residence",
            MissingPeriodOfStay => "missing_period_of_stay",
            ForeignFieldsForJapanese => "foreign_fields_for_japanese",
            PeriodOfStayExpired => "period_of_stay_expired",
            PeriodOfStayForPermanent => "period_of_stay_for_permanent",
            HeadCount { .. } => "head_count",
            HeadWhenJoining => "head_when_joining",
            NoPersons => "no_persons",
            DuplicatePerson => "duplicate_person",
            NoChanges => "no_changes",
            NewHeadNotInGroup => "new_head_not_in_group",
            NewHeadLeaving => "new_head_leaving",
            NotResident { .. } => "not_resident",
            AlreadyResident { .. } => "already_resident",
            IndividualNumberInUse { .. } => "individual_number_in_use",
            Deceased { .. } => "deceased",
            BeforeBirth { .. } => "before_birth",
            HouseholdNotActive { .. } => "household_not_active",
            AddressDiffersFromHousehold => "address_differs_from_household",
            NewHeadRequired => "new_head_required",
            NewHeadNotRemaining => "new_head_not_remaining",
            NewHeadNotNeeded => "new_head_not_needed",
            DifferentHouseholds => "different_households",
            WholeHouseholdSplit => "whole_household_split",
            SplitHeadMustLead => "split_head_must_lead",
            RemainingHeadUndecided => "remaining_head_undecided",
            MovementNotFound { .. } => "movement_not_found",
            AlreadyCancelled { .. } => "already_cancelled",
            CancelCancellation => "cancel_cancellation",
            CancellationBeforeMovement => "cancellation_before_movement",
            ResidentRecordCodeUnavailable(_) => "resident_record_code_unavailable",
            BreaksLaterMovement { .. } => "breaks_later_movement",
        }
    }
}
