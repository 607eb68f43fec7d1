//! The values a movement carries: the person input of a 転入 or 出生,
//! addresses, nationality and status of residence.
//!
//! Each value has one fallible constructor; the drafts at the end turn the
//! raw strings of an interface into these values, naming the field at fault.

use std::fmt;

use kiban_core::KanaName;
use kiban_core::PersonName;
use kiban_core::date::parse_iso;
use kiban_core::{Date, IndividualNumber, PostalCode, Relationship, Sex, ValueError};

use super::rejection::{Reason, Rejection};

/// 国籍: an ISO 3166-1 alpha-2 code such as `JP`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nationality([u8; 2]);

impl Nationality {
    /// Japan: a 日本人住民.
    pub const JAPAN: Nationality = Nationality(*b"JP");

    /// Parses a two-letter code; lower case is accepted and stored upper case.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let trimmed = input.trim();
        match trimmed.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            [] => Err(ValueError::Empty),
            _ => Err(ValueError::InvalidCharacter),
        }
    }

    /// The code, e.g. `JP`.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
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

/// How the 在留資格 of a resident migrated without one (the legacy layout
/// carries none) is written: shown on screens and stored as such.
pub const STATUS_OF_RESIDENCE_UNKNOWN: &str = "未設定（移行後要確認）";

/// 在留資格 of a foreign resident, as written on the residence card
/// (e.g. `永住者`, `技術・人文知識・国際業務`), or "not yet known" for a
/// foreign resident migrated from a legacy system without it
/// ([`StatusOfResidence::unknown_after_migration`]), until a clerk completes
/// the record by 職権修正.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusOfResidence(String);

impl StatusOfResidence {
    /// Parses a non-empty status; surrounding white space is dropped. The
    /// "not yet known" state cannot be entered: input naming it is refused.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(ValueError::Empty);
        }
        if trimmed == STATUS_OF_RESIDENCE_UNKNOWN {
            return Err(ValueError::out_of_range(kiban_core::Message::ValueText {
                text: trimmed.to_owned(),
            }));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// "Not yet known": for the migration path only (a legacy extract
    /// without 在留資格・在留期間). Such a person stays on the follow-up
    /// list until a 職権修正 sets the status.
    pub fn unknown_after_migration() -> Self {
        Self(STATUS_OF_RESIDENCE_UNKNOWN.to_owned())
    }

    /// Reads a stored status, the "not yet known" state included.
    pub fn from_stored(input: &str) -> Result<Self, ValueError> {
        if input.trim() == STATUS_OF_RESIDENCE_UNKNOWN {
            return Ok(Self::unknown_after_migration());
        }
        Self::parse(input)
    }

    /// Whether the status is "not yet known" (migrated without one).
    pub fn is_unknown(&self) -> bool {
        self.0 == STATUS_OF_RESIDENCE_UNKNOWN
    }

    /// The status as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the status has no period of stay: 永住者 (permanent resident)
    /// or 特別永住者 (special permanent resident).
    pub fn is_permanent(&self) -> bool {
        matches!(self.0.as_str(), "永住者" | "特別永住者")
    }
}

/// Free address text: an address line (住所), a 方書, or a previous or
/// destination address (転入前住所, 転出先住所). Never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AddressText(String);

impl AddressText {
    /// Parses non-empty text; surrounding white space is dropped.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(ValueError::Empty);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AddressText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 住所: an address in the municipality, with its 郵便番号 and optional 方書
/// (katagaki: building and room).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    /// 郵便番号.
    pub postal_code: PostalCode,
    /// The address line (町名・番地).
    pub address_line: AddressText,
    /// 方書: building name and room, if any.
    pub katagaki: Option<AddressText>,
}

/// 異動の理由 of an 職権修正 or a 取消し, as the clerk wrote it. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReasonText(String);

impl ReasonText {
    /// Parses non-empty text; surrounding white space is dropped.
    pub fn parse(input: &str) -> Result<Self, ValueError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(ValueError::Empty);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The person input of a 転入 or 出生: everything the registry records about a
/// new resident. The rules that tie fields together (a foreign resident's
/// status of residence, the birth date against the 異動日) are checked when
/// the movement is validated, so that they are reported with the movement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonInput {
    /// 氏名, exactly as written (IVS sequences kept).
    pub name: PersonName,
    /// 氏名のフリガナ, full-width katakana.
    pub name_kana: KanaName,
    /// 生年月日.
    pub birth_date: Date,
    /// 性別.
    pub sex: Sex,
    /// 続柄 to the head of household.
    pub relationship: Relationship,
    /// 国籍.
    pub nationality: Nationality,
    /// 在留資格 (foreign residents only).
    pub status_of_residence: Option<StatusOfResidence>,
    /// 在留期間の満了の日 (foreign residents without permanent status only).
    pub period_of_stay_until: Option<Date>,
    /// 個人番号, if known.
    pub individual_number: Option<IndividualNumber>,
}

/// The person input as raw text, the way an interface receives it. Field names
/// follow the JSON of the API contract.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonInputDraft {
    /// `name`.
    pub name: String,
    /// `name_kana` (hiragana and half-width are accepted).
    pub name_kana: String,
    /// `birth_date`, `YYYY-MM-DD`.
    pub birth_date: String,
    /// `sex`: `male` or `female`.
    pub sex: String,
    /// `relationship`: `head`, `spouse`, …
    pub relationship: String,
    /// `nationality`; `JP` when absent.
    pub nationality: Option<String>,
    /// `status_of_residence`.
    pub status_of_residence: Option<String>,
    /// `period_of_stay_until`, `YYYY-MM-DD`.
    pub period_of_stay_until: Option<String>,
    /// `individual_number`, 12 digits.
    pub individual_number: Option<String>,
}

impl PersonInputDraft {
    /// Parses every field; the first bad one is reported as `{path}.{field}`
    /// (e.g. `persons[1].name_kana`).
    pub fn parse(&self, path: &str) -> Result<PersonInput, Rejection> {
        let at = |field: &str| format!("{path}.{field}");
        Ok(PersonInput {
            name: PersonName::parse(&self.name).map_err(|e| invalid(at("name"), e))?,
            name_kana: KanaName::parse(&self.name_kana).map_err(|e| invalid(at("name_kana"), e))?,
            birth_date: parse_date(&at("birth_date"), &self.birth_date)?,
            sex: Sex::parse(self.sex.trim()).map_err(|e| invalid(at("sex"), e))?,
            relationship: Relationship::parse(self.relationship.trim())
                .map_err(|e| invalid(at("relationship"), e))?,
            nationality: match optional(&self.nationality) {
                Some(text) => {
                    Nationality::parse(text).map_err(|e| invalid(at("nationality"), e))?
                }
                None => Nationality::JAPAN,
            },
            status_of_residence: optional(&self.status_of_residence)
                .map(StatusOfResidence::parse)
                .transpose()
                .map_err(|e| invalid(at("status_of_residence"), e))?,
            period_of_stay_until: optional(&self.period_of_stay_until)
                .map(|text| parse_date(&at("period_of_stay_until"), text))
                .transpose()?,
            individual_number: optional(&self.individual_number)
                .map(IndividualNumber::parse)
                .transpose()
                .map_err(|e| invalid(at("individual_number"), e))?,
        })
    }
}

/// An address as raw text, the way an interface receives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressDraft {
    /// `postal_code`, 7 digits (a hyphen and full-width digits are accepted).
    pub postal_code: String,
    /// `address_line`.
    pub address_line: String,
    /// `katagaki` (方書), optional.
    pub katagaki: Option<String>,
}

impl AddressDraft {
    /// Parses the address; a bad field is reported as `{path}.{field}`
    /// (e.g. `address.postal_code`).
    pub fn parse(&self, path: &str) -> Result<Address, Rejection> {
        let at = |field: &str| format!("{path}.{field}");
        Ok(Address {
            postal_code: PostalCode::parse(&self.postal_code)
                .map_err(|e| invalid(at("postal_code"), e))?,
            address_line: AddressText::parse(&self.address_line)
                .map_err(|e| invalid(at("address_line"), e))?,
            katagaki: self
                .katagaki
                .as_deref()
                .filter(|text| !text.trim().is_empty())
                .map(AddressText::parse)
                .transpose()
                .map_err(|e| invalid(at("katagaki"), e))?,
        })
    }
}

/// Parses an ISO date (`YYYY-MM-DD`) of the field `path`.
pub fn parse_date(path: &str, input: &str) -> Result<Date, Rejection> {
    parse_iso(input.trim()).map_err(|e| invalid(path.to_owned(), e))
}

/// Parses a non-empty text of the field `path` with `parse`, naming the field
/// when it fails. Useful for `previous_address`, `destination_address` and
/// `reason`.
pub fn parse_field<T>(
    path: &str,
    input: &str,
    parse: impl FnOnce(&str) -> Result<T, ValueError>,
) -> Result<T, Rejection> {
    parse(input).map_err(|e| invalid(path.to_owned(), e))
}

/// The trimmed text of an optional field, `None` when absent or blank.
fn optional(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

fn invalid(field: String, error: ValueError) -> Rejection {
    Rejection::new(field, Reason::InvalidValue(error))
}
