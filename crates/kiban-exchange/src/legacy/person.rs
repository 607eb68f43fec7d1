//! What a clean extract yields: persons as domain values, grouped by
//! household.

use std::fmt;

use kiban_core::{Date, IndividualNumber, KanaName, PersonName, PostalCode, Relationship, Sex};

/// 国籍 as the extract writes it: Japan (spaces or `JP`) or another country's
/// ISO 3166-1 alpha-2 code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nationality([u8; 2]);

impl Nationality {
    /// Japan: a 日本人住民.
    pub const JAPAN: Nationality = Nationality(*b"JP");

    /// Reads the two bytes of the field: two spaces for Japan, otherwise two
    /// upper-case ASCII letters. `None` for anything else.
    pub fn from_field(bytes: [u8; 2]) -> Option<Self> {
        match bytes {
            [b' ', b' '] => Some(Self::JAPAN),
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Some(Self([a, b])),
            _ => None,
        }
    }

    /// The code, such as `JP` or `VN`.
    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Whether this is a Japanese national (日本人住民) rather than a foreign
    /// resident (外国人住民).
    pub fn is_japanese(self) -> bool {
        self == Self::JAPAN
    }
}

impl fmt::Debug for Nationality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nationality({})", self.as_str())
    }
}

impl fmt::Display for Nationality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 住民状態 with its 消除日: a resident, or a removed record (除票) and
/// since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegacyStatus {
    /// `1`: 住民.
    Resident,
    /// `2`: 転出, removed on the given day.
    MovedOut {
        /// 消除日.
        removed_on: Date,
    },
    /// `3`: 死亡, removed on the given day.
    Deceased {
        /// 消除日.
        removed_on: Date,
    },
}

impl LegacyStatus {
    /// The code used in interfaces: `resident`, `moved_out`, `deceased`.
    pub const fn code(self) -> &'static str {
        match self {
            LegacyStatus::Resident => "resident",
            LegacyStatus::MovedOut { .. } => "moved_out",
            LegacyStatus::Deceased { .. } => "deceased",
        }
    }

    /// 消除日, for a removed record.
    pub const fn removal_date(self) -> Option<Date> {
        match self {
            LegacyStatus::Resident => None,
            LegacyStatus::MovedOut { removed_on } | LegacyStatus::Deceased { removed_on } => {
                Some(removed_on)
            }
        }
    }

    /// Whether the person is a resident (not a 除票).
    pub const fn is_resident(self) -> bool {
        matches!(self, LegacyStatus::Resident)
    }
}

/// One person of a clean extract (移行対象者), every field as a domain value.
///
/// Its `Debug` output leaves out the address and 方書 (and, through their
/// own types, shows only the length of the names and a masked 個人番号), so
/// that personal data cannot leak into logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct LegacyPerson {
    /// The 1-based record number in the file, for messages.
    pub record: usize,
    /// 宛名番号.
    pub person_id: u64,
    /// 世帯番号 (the last household, for a removed record).
    pub household_id: u64,
    /// 氏名, with 外字 replaced through the map and spaces normalized.
    pub name: PersonName,
    /// フリガナ, converted from half-width katakana.
    pub name_kana: KanaName,
    /// 生年月日.
    pub birth_date: Date,
    /// 性別.
    pub sex: Sex,
    /// 続柄 (an unknown code becomes その他の親族, and is reported).
    pub relationship: Relationship,
    /// 郵便番号, if given.
    pub postal_code: Option<PostalCode>,
    /// 住所, padding removed, 外字 replaced.
    pub address: String,
    /// 方書, if given.
    pub katagaki: Option<String>,
    /// 住定日: the day residence at the address began; the person's history
    /// starts here.
    pub residence_start_date: Date,
    /// 住民状態 and 消除日.
    pub status: LegacyStatus,
    /// 個人番号, if given.
    pub individual_number: Option<IndividualNumber>,
    /// 国籍.
    pub nationality: Nationality,
}

impl fmt::Debug for LegacyPerson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegacyPerson")
            .field("record", &self.record)
            .field("person_id", &self.person_id)
            .field("household_id", &self.household_id)
            .field("name", &self.name)
            .field("name_kana", &self.name_kana)
            .field("birth_date", &self.birth_date)
            .field("sex", &self.sex)
            .field("relationship", &self.relationship)
            .field("postal_code", &self.postal_code)
            .field("address_chars", &self.address.chars().count())
            .field("has_katagaki", &self.katagaki.is_some())
            .field("residence_start_date", &self.residence_start_date)
            .field("status", &self.status)
            .field("individual_number", &self.individual_number)
            .field("nationality", &self.nationality)
            .finish()
    }
}

/// A household (世帯) of a clean extract: its members in file order,
/// residents and removed records alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyHousehold {
    /// 世帯番号.
    pub household_id: u64,
    /// The members, in the order of their records.
    pub members: Vec<LegacyPerson>,
}

impl LegacyHousehold {
    /// The resident head of household (世帯主), if the household has
    /// residents: a clean extract has exactly one.
    pub fn head(&self) -> Option<&LegacyPerson> {
        self.members
            .iter()
            .find(|p| p.status.is_resident() && p.relationship == Relationship::Head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_leaves_out_personal_data() {
        let person = LegacyPerson {
            record: 1,
            person_id: 1,
            household_id: 1,
            name: PersonName::parse("山田　太郎").unwrap(),
            name_kana: KanaName::parse("ヤマダ　タロウ").unwrap(),
            birth_date: Date::constant(1980, 4, 1),
            sex: Sex::Male,
            relationship: Relationship::Head,
            postal_code: None,
            address: "大月市大月町".to_owned(),
            katagaki: Some("ハイツ大月".to_owned()),
            residence_start_date: Date::constant(1998, 5, 1),
            status: LegacyStatus::Resident,
            individual_number: None,
            nationality: Nationality::JAPAN,
        };
        let debug = format!("{person:?}");
        for secret in ["山田", "ヤマダ", "大月", "ハイツ"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("address_chars: 6"), "{debug}");
    }

    #[test]
    fn nationality_from_the_field() {
        assert_eq!(Nationality::from_field(*b"  "), Some(Nationality::JAPAN));
        assert_eq!(Nationality::from_field(*b"JP"), Some(Nationality::JAPAN));
        assert_eq!(
            Nationality::from_field(*b"VN").map(|n| n.to_string()),
            Some("VN".to_owned())
        );
        assert_eq!(Nationality::from_field(*b"vn"), None);
        assert_eq!(Nationality::from_field(*b"V "), None);
    }
}
