//! Movements (異動): what a clerk asks for ([`MovementCommand`]) and what the
//! registry keeps once accepted ([`Movement`], the source of truth).

use std::collections::BTreeSet;

use kiban_core::KanaName;
use kiban_core::PersonName;
use kiban_core::{Date, ResidentRecordCode, Sex};

use super::ids::{HouseholdId, MovementId, PersonId, RecordedSequence};
use super::values::{Address, AddressText, PersonInput, ReasonText, StatusOfResidence};

/// The kind of a movement (異動事由), with the codes of the API contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MovementKind {
    /// 転入.
    MoveIn,
    /// 出生.
    Birth,
    /// 転居.
    AddressChange,
    /// 転出.
    MoveOut,
    /// 死亡.
    Death,
    /// 世帯分離.
    HouseholdSplit,
    /// 職権修正.
    ExOfficioCorrection,
    /// 異動の取消し.
    Cancellation,
}

impl MovementKind {
    /// Every kind, in the order of the contract.
    pub const ALL: [MovementKind; 8] = [
        MovementKind::MoveIn,
        MovementKind::Birth,
        MovementKind::AddressChange,
        MovementKind::MoveOut,
        MovementKind::Death,
        MovementKind::HouseholdSplit,
        MovementKind::ExOfficioCorrection,
        MovementKind::Cancellation,
    ];

    /// The code of the API contract (`move_in`, `birth`, …).
    pub fn code(self) -> &'static str {
        match self {
            MovementKind::MoveIn => "move_in",
            MovementKind::Birth => "birth",
            MovementKind::AddressChange => "address_change",
            MovementKind::MoveOut => "move_out",
            MovementKind::Death => "death",
            MovementKind::HouseholdSplit => "household_split",
            MovementKind::ExOfficioCorrection => "ex_officio_correction",
            MovementKind::Cancellation => "cancellation",
        }
    }

    /// The kind of a code, if it is one.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// The Japanese name shown to clerks (転入, 出生, …).
    pub fn label_ja(self) -> &'static str {
        match self {
            MovementKind::MoveIn => "転入",
            MovementKind::Birth => "出生",
            MovementKind::AddressChange => "転居",
            MovementKind::MoveOut => "転出",
            MovementKind::Death => "死亡",
            MovementKind::HouseholdSplit => "世帯分離",
            MovementKind::ExOfficioCorrection => "職権修正",
            MovementKind::Cancellation => "異動の取消し",
        }
    }
}

/// A request for a movement, as a clerk makes it: the 異動日, the 届出日 and
/// what happens. Numbers for new persons and households are not known yet;
/// they are allocated while the movement is accepted
/// ([`record_movement`](super::record_movement)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementCommand {
    /// 異動日: the day the movement takes effect.
    pub event_date: Date,
    /// 届出日: the day it was notified.
    pub notified_on: Date,
    /// What happens.
    pub action: Action,
}

/// What a [`MovementCommand`] asks for, per kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// 転入.
    MoveIn(MoveInCommand),
    /// 出生.
    Birth(BirthCommand),
    /// 転居.
    AddressChange(AddressChange),
    /// 転出.
    MoveOut(MoveOut),
    /// 死亡.
    Death(Death),
    /// 世帯分離.
    HouseholdSplit(HouseholdSplitCommand),
    /// 職権修正.
    ExOfficioCorrection(ExOfficioCorrection),
    /// 異動の取消し.
    Cancellation(Cancellation),
}

impl Action {
    /// The kind of movement asked for.
    pub fn kind(&self) -> MovementKind {
        match self {
            Action::MoveIn(_) => MovementKind::MoveIn,
            Action::Birth(_) => MovementKind::Birth,
            Action::AddressChange(_) => MovementKind::AddressChange,
            Action::MoveOut(_) => MovementKind::MoveOut,
            Action::Death(_) => MovementKind::Death,
            Action::HouseholdSplit(_) => MovementKind::HouseholdSplit,
            Action::ExOfficioCorrection(_) => MovementKind::ExOfficioCorrection,
            Action::Cancellation(_) => MovementKind::Cancellation,
        }
    }
}

/// 転入: persons arrive from another municipality (or from abroad).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveInCommand {
    /// The persons, in the order of the request (at least one).
    pub persons: Vec<MoveInPerson>,
    /// The address in this municipality.
    pub address: Address,
    /// 転入前住所.
    pub previous_address: AddressText,
    /// The household to join; `None` founds a new household whose head is the
    /// person with relationship `head`.
    pub household_id: Option<HouseholdId>,
}

/// One person of a 転入.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveInPerson {
    /// The 宛名番号 of a former resident who returns (再転入: the number is
    /// kept, 標準仕様書 4.1.1.2); `None` for a person new to the
    /// municipality.
    pub returning_person_id: Option<PersonId>,
    /// What is recorded about the person.
    pub input: PersonInput,
}

/// 出生: a child born into a household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BirthCommand {
    /// The household the child joins.
    pub household_id: HouseholdId,
    /// The child (its birth date is the 異動日).
    pub person: PersonInput,
}

/// 転居: the whole household moves within the municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressChange {
    /// The household.
    pub household_id: HouseholdId,
    /// The new address.
    pub address: Address,
}

/// 転出: persons leave the municipality and are removed on the 異動日.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveOut {
    /// Those leaving.
    pub person_ids: Vec<PersonId>,
    /// 転出先住所 (予定).
    pub destination_address: AddressText,
    /// The new head, when the head leaves while others stay.
    pub new_head_person_id: Option<PersonId>,
}

/// 死亡: the person is removed on the 異動日.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Death {
    /// The deceased.
    pub person_id: PersonId,
    /// The new head, when the head dies while others stay.
    pub new_head_person_id: Option<PersonId>,
}

/// 世帯分離: some members of a household form a new household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdSplitCommand {
    /// Those forming the new household (all from one household).
    pub person_ids: Vec<PersonId>,
    /// The head of the new household, one of `person_ids`.
    pub new_head_person_id: PersonId,
    /// The new household's address; `None` keeps the current one.
    pub address: Option<Address>,
}

/// 職権修正: corrects a person's record from its start; the old value stays in
/// the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExOfficioCorrection {
    /// The person.
    pub person_id: PersonId,
    /// The corrected values.
    pub changes: Changes,
    /// Why (記録の理由).
    pub reason: ReasonText,
}

/// The values an 職権修正 corrects; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// 氏名.
    pub name: Option<PersonName>,
    /// フリガナ.
    pub name_kana: Option<KanaName>,
    /// 生年月日.
    pub birth_date: Option<Date>,
    /// 性別.
    pub sex: Option<Sex>,
    /// 在留資格 of a foreign resident (e.g. completing one migrated without
    /// it). Setting it also sets the period of stay to
    /// [`Changes::period_of_stay_until`] (none for a permanent status).
    pub status_of_residence: Option<StatusOfResidence>,
    /// 在留期間の満了日 of a foreign resident.
    pub period_of_stay_until: Option<Date>,
}

impl Changes {
    /// Whether nothing is corrected.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.name_kana.is_none()
            && self.birth_date.is_none()
            && self.sex.is_none()
            && self.status_of_residence.is_none()
            && self.period_of_stay_until.is_none()
    }

    /// The fields corrected, by their API names.
    pub fn fields(&self) -> Vec<CorrectedField> {
        let mut fields = Vec::new();
        if self.name.is_some() {
            fields.push(CorrectedField::Name);
        }
        if self.name_kana.is_some() {
            fields.push(CorrectedField::NameKana);
        }
        if self.birth_date.is_some() {
            fields.push(CorrectedField::BirthDate);
        }
        if self.sex.is_some() {
            fields.push(CorrectedField::Sex);
        }
        if self.status_of_residence.is_some() {
            fields.push(CorrectedField::StatusOfResidence);
        }
        if self.period_of_stay_until.is_some() {
            fields.push(CorrectedField::PeriodOfStayUntil);
        }
        fields
    }
}

/// A field an 職権修正 can correct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CorrectedField {
    /// `name`.
    Name,
    /// `name_kana`.
    NameKana,
    /// `birth_date`.
    BirthDate,
    /// `sex`.
    Sex,
    /// `status_of_residence`.
    StatusOfResidence,
    /// `period_of_stay_until`.
    PeriodOfStayUntil,
}

impl CorrectedField {
    /// The field's name in the API.
    pub fn code(self) -> &'static str {
        match self {
            CorrectedField::Name => "name",
            CorrectedField::NameKana => "name_kana",
            CorrectedField::BirthDate => "birth_date",
            CorrectedField::Sex => "sex",
            CorrectedField::StatusOfResidence => "status_of_residence",
            CorrectedField::PeriodOfStayUntil => "period_of_stay_until",
        }
    }
}

/// 異動の取消し: an erroneous movement is cancelled. The registry reads as if
/// it had never happened; both stay in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    /// The movement cancelled.
    pub movement_id: MovementId,
    /// Why.
    pub reason: ReasonText,
}

/// An accepted movement (異動), the source of truth of the registry. Storage
/// persists it as is and gives it back to the domain to read the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    /// Its number.
    pub id: MovementId,
    /// When it was recorded, relative to other movements.
    pub sequence: RecordedSequence,
    /// 異動日.
    pub event_date: Date,
    /// 届出日.
    pub notified_on: Date,
    /// What happened, with every number resolved.
    pub details: Details,
}

impl Movement {
    /// Its kind.
    pub fn kind(&self) -> MovementKind {
        self.details.kind()
    }

    /// The persons, households and movements it names (see [`Mentions`]).
    pub fn mentions(&self) -> Mentions {
        let mut mentions = Mentions::default();
        self.details.add_mentions(&mut mentions);
        mentions
    }

    /// Whether it names the person.
    pub fn mentions_person(&self, person: PersonId) -> bool {
        match &self.details {
            Details::MoveIn(m) => m.persons.iter().any(|p| p.person_id == person),
            Details::Birth(b) => b.person.person_id == person,
            Details::AddressChange(_) | Details::Cancellation(_) => false,
            Details::MoveOut(m) => {
                m.person_ids.contains(&person) || m.new_head_person_id == Some(person)
            }
            Details::Death(d) => d.person_id == person || d.new_head_person_id == Some(person),
            Details::HouseholdSplit(s) => s.person_ids.contains(&person),
            Details::ExOfficioCorrection(c) => c.person_id == person,
        }
    }

    /// The key that orders movements in event time: (異動日, recorded sequence).
    pub fn order_key(&self) -> (Date, RecordedSequence) {
        (self.event_date, self.sequence)
    }
}

/// What an accepted movement did, per kind, with the numbers allocated for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Details {
    /// 転入.
    MoveIn(MoveInRecord),
    /// 出生.
    Birth(BirthRecord),
    /// 転居.
    AddressChange(AddressChange),
    /// 転出.
    MoveOut(MoveOut),
    /// 死亡.
    Death(Death),
    /// 世帯分離.
    HouseholdSplit(HouseholdSplitRecord),
    /// 職権修正.
    ExOfficioCorrection(ExOfficioCorrection),
    /// 異動の取消し.
    Cancellation(Cancellation),
}

impl Details {
    /// The kind.
    pub fn kind(&self) -> MovementKind {
        match self {
            Details::MoveIn(_) => MovementKind::MoveIn,
            Details::Birth(_) => MovementKind::Birth,
            Details::AddressChange(_) => MovementKind::AddressChange,
            Details::MoveOut(_) => MovementKind::MoveOut,
            Details::Death(_) => MovementKind::Death,
            Details::HouseholdSplit(_) => MovementKind::HouseholdSplit,
            Details::ExOfficioCorrection(_) => MovementKind::ExOfficioCorrection,
            Details::Cancellation(_) => MovementKind::Cancellation,
        }
    }

    fn add_mentions(&self, mentions: &mut Mentions) {
        match self {
            Details::MoveIn(m) => {
                mentions.households.insert(m.household_id);
                mentions
                    .persons
                    .extend(m.persons.iter().map(|p| p.person_id));
            }
            Details::Birth(b) => {
                mentions.households.insert(b.household_id);
                mentions.persons.insert(b.person.person_id);
            }
            Details::AddressChange(a) => {
                mentions.households.insert(a.household_id);
            }
            Details::MoveOut(m) => {
                mentions.persons.extend(m.person_ids.iter().copied());
                mentions.persons.extend(m.new_head_person_id);
            }
            Details::Death(d) => {
                mentions.persons.insert(d.person_id);
                mentions.persons.extend(d.new_head_person_id);
            }
            Details::HouseholdSplit(s) => {
                mentions.households.insert(s.new_household_id);
                mentions.persons.extend(s.person_ids.iter().copied());
            }
            Details::ExOfficioCorrection(c) => {
                mentions.persons.insert(c.person_id);
            }
            Details::Cancellation(c) => {
                mentions.movements.insert(c.movement_id);
            }
        }
    }
}

/// An accepted 転入.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveInRecord {
    /// The household joined or founded.
    pub household_id: HouseholdId,
    /// Whether the movement founded the household.
    pub founded_household: bool,
    /// The persons, in the order of the request.
    pub persons: Vec<RegisteredPerson>,
    /// The address.
    pub address: Address,
    /// 転入前住所.
    pub previous_address: AddressText,
}

/// A person registered by a 転入 or 出生, with the numbers given to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredPerson {
    /// 宛名番号 (kept for a returning resident).
    pub person_id: PersonId,
    /// 住民票コード (kept for a returning resident).
    pub resident_record_code: ResidentRecordCode,
    /// Whether the person had been a resident before (再転入).
    pub returning: bool,
    /// What was recorded.
    pub input: PersonInput,
}

/// An accepted 出生.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BirthRecord {
    /// The household.
    pub household_id: HouseholdId,
    /// The child.
    pub person: RegisteredPerson,
}

/// An accepted 世帯分離.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdSplitRecord {
    /// The new household's number.
    pub new_household_id: HouseholdId,
    /// Those forming it.
    pub person_ids: Vec<PersonId>,
    /// Its head.
    pub new_head_person_id: PersonId,
    /// Its address; `None` keeps the address the persons had.
    pub address: Option<Address>,
}

/// The numbers a movement or a request names: which persons, households and
/// movements it involves.
///
/// Storage indexes each accepted movement by the mentions returned in
/// [`Accepted::index`](super::Accepted::index) and loads what a request or a
/// read needs with [`Closure`](super::Closure).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mentions {
    /// 宛名番号.
    pub persons: BTreeSet<PersonId>,
    /// 世帯番号.
    pub households: BTreeSet<HouseholdId>,
    /// Movements (a cancellation names the movement it cancels).
    pub movements: BTreeSet<MovementId>,
}

impl Mentions {
    /// Whether nothing is named.
    pub fn is_empty(&self) -> bool {
        self.persons.is_empty() && self.households.is_empty() && self.movements.is_empty()
    }

    /// Adds everything `other` names.
    pub fn extend(&mut self, other: &Mentions) {
        self.persons.extend(other.persons.iter().copied());
        self.households.extend(other.households.iter().copied());
        self.movements.extend(other.movements.iter().copied());
    }

    /// What this names that `other` does not.
    pub fn difference(&self, other: &Mentions) -> Mentions {
        Mentions {
            persons: self.persons.difference(&other.persons).copied().collect(),
            households: self
                .households
                .difference(&other.households)
                .copied()
                .collect(),
            movements: self
                .movements
                .difference(&other.movements)
                .copied()
                .collect(),
        }
    }
}

impl MovementCommand {
    /// The existing persons, households and movements the request names. New
    /// persons have no number yet and are not included.
    pub fn mentions(&self) -> Mentions {
        let mut mentions = Mentions::default();
        match &self.action {
            Action::MoveIn(m) => {
                mentions.households.extend(m.household_id);
                mentions
                    .persons
                    .extend(m.persons.iter().filter_map(|p| p.returning_person_id));
            }
            Action::Birth(b) => {
                mentions.households.insert(b.household_id);
            }
            Action::AddressChange(a) => {
                mentions.households.insert(a.household_id);
            }
            Action::MoveOut(m) => {
                mentions.persons.extend(m.person_ids.iter().copied());
                mentions.persons.extend(m.new_head_person_id);
            }
            Action::Death(d) => {
                mentions.persons.insert(d.person_id);
                mentions.persons.extend(d.new_head_person_id);
            }
            Action::HouseholdSplit(s) => {
                mentions.persons.extend(s.person_ids.iter().copied());
                mentions.persons.insert(s.new_head_person_id);
            }
            Action::ExOfficioCorrection(c) => {
                mentions.persons.insert(c.person_id);
            }
            Action::Cancellation(c) => {
                mentions.movements.insert(c.movement_id);
            }
        }
        mentions
    }
}
