//! Why a movement was refused: a [`Rejection`] names the field at fault and a
//! [`Reason`] with a stable snake_case code and a Japanese message.

use kiban_core::ValueError;

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
}

/// Why a movement cannot be accepted. Each reason has a stable
/// [`code`](Reason::code), a [`kind`](Reason::kind), and a Japanese message
/// (its `Display`) for clerks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    /// A value that cannot be parsed (empty name, bad kana, bad check digit,
    /// impossible date).
    #[error("{0}")]
    InvalidValue(ValueError),
    /// 異動日 after today (only a planned 転出 may be dated in the future).
    #[error("異動日が処理日より後です（転出予定以外は指定できません）")]
    EventInFuture,
    /// 届出日 after today.
    #[error("届出日が処理日より後です")]
    NotifiedInFuture,
    /// 届出日 before 異動日 (allowed only for a planned 転出).
    #[error("届出日が異動日より前です")]
    NotifiedBeforeEvent,
    /// A date of birth after the 異動日 or after today.
    #[error("生年月日が異動日より後です")]
    BornAfterEvent,
    /// The 異動日 of a 出生 differs from the date of birth.
    #[error("出生の異動日は生年月日と同じ日でなければなりません")]
    BirthDateMismatch,
    /// A foreign resident without 在留資格.
    #[error("外国人住民は在留資格が必須です")]
    MissingStatusOfResidence,
    /// A foreign resident without 在留期間の満了の日 (permanent residents excepted).
    #[error("外国人住民は在留期間の満了の日が必須です（永住者・特別永住者を除く）")]
    MissingPeriodOfStay,
    /// 在留資格 or 在留期間 given for a Japanese national.
    #[error("日本人住民には在留資格・在留期間を記載しません")]
    ForeignFieldsForJapanese,
    /// 在留期間 already expired on the 異動日.
    #[error("在留期間の満了の日が異動日より前です")]
    PeriodOfStayExpired,
    /// A permanent resident with a period of stay.
    #[error("永住者・特別永住者には在留期間を記載しません")]
    PeriodOfStayForPermanent,
    /// A new household needs exactly one person with relationship `head`.
    #[error("新しい世帯には世帯主がちょうど1人必要です（{found}人指定されています）")]
    HeadCount {
        /// How many `head` the request named.
        found: usize,
    },
    /// Persons joining an existing household cannot be its head.
    #[error("既存の世帯に加わる人を世帯主にはできません")]
    HeadWhenJoining,
    /// A list that must not be empty.
    #[error("1人以上指定してください")]
    NoPersons,
    /// The same person named twice.
    #[error("同じ人が重複して指定されています")]
    DuplicatePerson,
    /// An 職権修正 that changes nothing.
    #[error("修正する項目を1つ以上指定してください")]
    NoChanges,
    /// The new head of a split household must be one of the persons split off.
    #[error("新しい世帯の世帯主は分離する人の中から指定してください")]
    NewHeadNotInGroup,
    /// The new head named in a 転出 is among those leaving.
    #[error("新しい世帯主に転出する人は指定できません")]
    NewHeadLeaving,
    /// The person is not a resident on the 異動日 (never registered, not yet
    /// registered, moved out or deceased).
    #[error("宛名番号 {person_id} の人は異動日に住民ではありません")]
    NotResident {
        /// The person.
        person_id: PersonId,
    },
    /// The 個人番号 is already that of another person of this municipality
    /// (the message names the person, never the number).
    #[error("この個人番号は宛名番号 {person_id} の人に既に登録されています")]
    IndividualNumberInUse {
        /// The person who has the number.
        person_id: PersonId,
    },
    /// A returning resident (再転入) who is still a resident on the 異動日.
    #[error("宛名番号 {person_id} の人は異動日に既に住民です")]
    AlreadyResident {
        /// The person.
        person_id: PersonId,
    },
    /// A returning resident who is recorded as deceased.
    #[error("宛名番号 {person_id} の人は死亡により消除されています")]
    Deceased {
        /// The person.
        person_id: PersonId,
    },
    /// A movement dated before the person's (corrected) date of birth.
    #[error("宛名番号 {person_id} の人の生年月日より前の異動です")]
    BeforeBirth {
        /// The person.
        person_id: PersonId,
    },
    /// The household has no resident member on the 異動日 (not yet founded,
    /// or dissolved).
    #[error("世帯番号 {household_id} の世帯は異動日に存在しません")]
    HouseholdNotActive {
        /// The household.
        household_id: HouseholdId,
    },
    /// A 転入 into an existing household at another address than the
    /// household's on the 異動日.
    #[error("既存の世帯に加わる転入の住所は世帯の住所と同じでなければなりません")]
    AddressDiffersFromHousehold,
    /// The head leaves or dies while others stay: a new head must be named.
    #[error("世帯主が異動し世帯員が残るため、新しい世帯主の指定が必要です")]
    NewHeadRequired,
    /// The named new head is not a member who stays in the household.
    #[error("新しい世帯主は残る世帯員の中から指定してください")]
    NewHeadNotRemaining,
    /// A new head was named although the head stays (or no one remains).
    #[error("世帯主は変わらないため、新しい世帯主は指定できません")]
    NewHeadNotNeeded,
    /// A 世帯分離 of persons from different households.
    #[error("分離する人は同じ世帯の世帯員でなければなりません")]
    DifferentHouseholds,
    /// A 世帯分離 of every member: nothing would remain.
    #[error("世帯全員を分離することはできません")]
    WholeHouseholdSplit,
    /// The head of the household splits off without heading the new household.
    #[error("世帯主が分離する場合は新しい世帯の世帯主としてください")]
    SplitHeadMustLead,
    /// The head splits off leaving two or more members: the remaining
    /// household's head cannot be decided by the split.
    #[error("世帯主が分離し2人以上が残るため、残る世帯の世帯主を決められません")]
    RemainingHeadUndecided,
    /// A cancellation of a movement that is not in the registry.
    #[error("異動 {movement_id} はありません")]
    MovementNotFound {
        /// The movement named.
        movement_id: MovementId,
    },
    /// A cancellation of a movement already cancelled.
    #[error("異動 {movement_id} は既に取り消されています")]
    AlreadyCancelled {
        /// The movement named.
        movement_id: MovementId,
    },
    /// A cancellation of a cancellation.
    #[error("取消しを取り消すことはできません")]
    CancelCancellation,
    /// A cancellation dated before the movement it cancels.
    #[error("取消しの異動日が取り消す異動の異動日より前です")]
    CancellationBeforeMovement,
    /// No 住民票コード can be assigned (the pool is exhausted).
    #[error("住民票コードを割り当てられません: {0}")]
    ResidentRecordCodeUnavailable(ValueError),
    /// Accepting the request would make a later (or, for a cancellation,
    /// dependent) movement invalid.
    #[error("この異動により異動 {movement_id}（{}）が成り立たなくなります: {cause}", kind.label_ja())]
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
