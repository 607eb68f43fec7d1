//! What a read of the registry returns: a person's record (住民票) and a
//! household (世帯) as of a date, and a version of the person's history.

use kiban_core::KanaName;
use kiban_core::PersonName;
use kiban_core::{Date, IndividualNumber, Relationship, ResidentRecordCode, Sex};

use super::ids::{HouseholdId, MovementId, PersonId, RecordedSequence};
use super::movement::MovementKind;
use super::values::{Address, AddressText, Nationality, StatusOfResidence};

/// 住民状態: whether a person is a resident on the date asked about, or has
/// been removed (除票) and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResidentStatus {
    /// 住民.
    Resident,
    /// 転出により消除.
    MovedOut,
    /// 死亡により消除.
    Deceased,
}

impl ResidentStatus {
    /// The code of the API contract: `resident`, `moved_out`, `deceased`.
    pub fn code(self) -> &'static str {
        match self {
            ResidentStatus::Resident => "resident",
            ResidentStatus::MovedOut => "moved_out",
            ResidentStatus::Deceased => "deceased",
        }
    }
}

/// A person's record (住民票, or 除票 once removed) as of a date. Corrections
/// (職権修正) are applied from the record's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    /// 宛名番号.
    pub person_id: PersonId,
    /// 世帯番号 (the last household, for a removed person).
    pub household_id: HouseholdId,
    /// 氏名, exactly as written.
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
    /// 在留資格.
    pub status_of_residence: Option<StatusOfResidence>,
    /// 在留期間の満了の日.
    pub period_of_stay_until: Option<Date>,
    /// 住所 (the last one, for a removed person).
    pub address: Address,
    /// 転入前住所 (none for a person registered by birth).
    pub previous_address: Option<AddressText>,
    /// Resident, moved out or deceased on the date asked about.
    pub status: ResidentStatus,
    /// 住民となった年月日: the start of the current (or last) residence.
    pub resident_from: Date,
    /// 消除日: set once moved out or deceased.
    pub removed_on: Option<Date>,
    /// 転出先住所 (予定), for a person who moved out.
    pub destination_address: Option<AddressText>,
    /// 住民票コード.
    pub resident_record_code: ResidentRecordCode,
    /// 個人番号; show it with [`PersonRecord::individual_number_masked`].
    pub individual_number: Option<IndividualNumber>,
}

impl PersonRecord {
    /// The 個人番号 masked for display (`********9018`).
    pub fn individual_number_masked(&self) -> Option<String> {
        self.individual_number
            .as_ref()
            .map(IndividualNumber::masked)
    }
}

/// A person as a search lists them (検索結果): every field of the person
/// view, which is [`PersonRecord`] without the 転入前住所 and 転出先住所.
/// Storage can list these from its projection of the latest state when no
/// movement after the date concerns the person, without folding history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonListing {
    /// 宛名番号.
    pub person_id: PersonId,
    /// 世帯番号 (the last household, for a removed person).
    pub household_id: HouseholdId,
    /// 氏名, exactly as written.
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
    /// 在留資格.
    pub status_of_residence: Option<StatusOfResidence>,
    /// 在留期間の満了の日.
    pub period_of_stay_until: Option<Date>,
    /// 住所 (the last one, for a removed person).
    pub address: Address,
    /// Resident, moved out or deceased on the date asked about.
    pub status: ResidentStatus,
    /// 住民となった年月日.
    pub resident_from: Date,
    /// 消除日.
    pub removed_on: Option<Date>,
    /// 住民票コード.
    pub resident_record_code: ResidentRecordCode,
    /// 個人番号; show it with [`PersonListing::individual_number_masked`].
    pub individual_number: Option<IndividualNumber>,
}

impl PersonListing {
    /// The 個人番号 masked for display (`********9018`).
    pub fn individual_number_masked(&self) -> Option<String> {
        self.individual_number
            .as_ref()
            .map(IndividualNumber::masked)
    }
}

impl From<PersonRecord> for PersonListing {
    fn from(record: PersonRecord) -> Self {
        Self {
            person_id: record.person_id,
            household_id: record.household_id,
            name: record.name,
            name_kana: record.name_kana,
            birth_date: record.birth_date,
            sex: record.sex,
            relationship: record.relationship,
            nationality: record.nationality,
            status_of_residence: record.status_of_residence,
            period_of_stay_until: record.period_of_stay_until,
            address: record.address,
            status: record.status,
            resident_from: record.resident_from,
            removed_on: record.removed_on,
            resident_record_code: record.resident_record_code,
            individual_number: record.individual_number,
        }
    }
}

/// A household (世帯) as of a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdRecord {
    /// 世帯番号.
    pub household_id: HouseholdId,
    /// 世帯主; `None` once the household has no members.
    pub head_person_id: Option<PersonId>,
    /// The household's address (the last one, once dissolved).
    pub address: Address,
    /// The members resident on the date, the head first, then in the order
    /// they joined.
    pub members: Vec<PersonRecord>,
    /// The day the household was founded.
    pub founded_on: Date,
    /// The day its last member left, if it has no members on the date.
    pub dissolved_on: Option<Date>,
}

/// One version of a person's history (異動履歴): a movement that touched the
/// person and the record as it stood right after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonVersion {
    /// The movement.
    pub movement_id: MovementId,
    /// Its kind.
    pub kind: MovementKind,
    /// 異動日.
    pub event_date: Date,
    /// 届出日.
    pub notified_on: Date,
    /// When it was recorded.
    pub sequence: RecordedSequence,
    /// Whether a later cancellation (異動の取消し) undid this movement.
    pub cancelled: bool,
    /// The record right after the movement, as the registry stood then (later
    /// corrections and cancellations are not applied to it); `None` after the
    /// cancellation of the movement that registered the person.
    pub record: Option<PersonRecord>,
}
