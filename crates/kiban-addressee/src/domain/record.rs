//! Addressees, the 基本4情報 of a non-resident and its versions.

use std::fmt;

use kiban_core::{Date, KanaName, Message, PersonName, PostalCode, Sex, ValueError};

/// 宛名番号: one number space per municipality, shared with the registry's
/// `person_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddresseeId(u64);

impl AddresseeId {
    /// The number (positive).
    pub fn new(id: u64) -> Self {
        Self(id)
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for AddresseeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Who an addressee is to the municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddresseeKind {
    /// 住民: registered in the registry and living here.
    Resident,
    /// 転出者・死亡者: the registry's removed person, who keeps the number.
    FormerResident,
    /// 住登外者: registered in the addressee master only.
    NonResident,
}

impl AddresseeKind {
    /// Every kind, in the order of the contract.
    pub const ALL: [AddresseeKind; 3] = [
        AddresseeKind::Resident,
        AddresseeKind::FormerResident,
        AddresseeKind::NonResident,
    ];

    /// The code on the wire.
    pub fn code(self) -> &'static str {
        match self {
            AddresseeKind::Resident => "resident",
            AddresseeKind::FormerResident => "former_resident",
            AddresseeKind::NonResident => "non_resident",
        }
    }

    /// The kind written `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The kind's name on screens.
    pub fn label_ja(self) -> &'static str {
        match self {
            AddresseeKind::Resident => "住民",
            AddresseeKind::FormerResident => "転出者・死亡者",
            AddresseeKind::NonResident => "住登外者",
        }
    }
}

/// Why a request about addressees is refused: the field at fault (a JSON
/// path of the contract), if one is, and the catalogue's message, whose
/// entry gives the code and the status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", field.as_deref().unwrap_or("-"), message.name())]
pub struct Refusal {
    /// The field at fault.
    pub field: Option<String>,
    /// The catalogue's message.
    pub message: Message,
}

impl Refusal {
    /// A refusal naming `field`.
    pub fn field(field: impl Into<String>, message: Message) -> Self {
        Self {
            field: Some(field.into()),
            message,
        }
    }

    /// A refusal of the request as a whole.
    pub fn of(message: Message) -> Self {
        Self {
            field: None,
            message,
        }
    }

    fn value(field: &str, error: ValueError) -> Self {
        Self::field(field, error.message())
    }
}

/// The longest address line or 方書 accepted, in characters.
pub const MAX_ADDRESS_CHARS: usize = 200;

/// An address as the addressee master holds it. A former resident's
/// destination (転出先) has no postal code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PostalAddress {
    /// 郵便番号.
    pub postal_code: Option<PostalCode>,
    /// 住所.
    pub address_line: String,
    /// 方書.
    pub katagaki: Option<String>,
}

/// An address as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressDraft {
    /// 郵便番号 (required when registering).
    pub postal_code: String,
    /// 住所.
    pub address_line: String,
    /// 方書.
    pub katagaki: Option<String>,
}

fn address_text(field: &str, input: &str) -> Result<String, Refusal> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(Refusal::value(field, ValueError::Empty));
    }
    if trimmed.chars().count() > MAX_ADDRESS_CHARS {
        return Err(Refusal::field(
            field,
            Message::TextTooLong {
                field: field.to_owned(),
                max: MAX_ADDRESS_CHARS.to_string(),
            },
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Refusal::value(field, ValueError::InvalidCharacter));
    }
    Ok(trimmed.to_owned())
}

impl AddressDraft {
    /// Parses the address at `path` (`address`, `address.postal_code`, …).
    pub fn parse(&self, path: &str) -> Result<PostalAddress, Refusal> {
        let at = |field: &str| format!("{path}.{field}");
        let postal_code = PostalCode::parse(&self.postal_code)
            .map_err(|e| Refusal::value(&at("postal_code"), e))?;
        let address_line = address_text(&at("address_line"), &self.address_line)?;
        let katagaki = match self.katagaki.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(address_text(&at("katagaki"), text)?),
        };
        Ok(PostalAddress {
            postal_code: Some(postal_code),
            address_line,
            katagaki,
        })
    }
}

/// The 基本4情報 (氏名, 生年月日, 性別, 住所) and フリガナ of an addressee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicInfo {
    /// 氏名, exactly as written (IVS kept).
    pub name: PersonName,
    /// フリガナ.
    pub name_kana: KanaName,
    /// 生年月日.
    pub birth_date: Date,
    /// 性別.
    pub sex: Sex,
    /// 住所.
    pub address: PostalAddress,
}

impl BasicInfo {
    /// The values its matching keys are made of.
    pub fn keyed_values(&self) -> super::keys::KeyedValues<'_> {
        super::keys::KeyedValues {
            name: self.name.as_str(),
            name_kana: self.name_kana.as_str(),
            address_line: &self.address.address_line,
            birth_date: self.birth_date,
        }
    }
}

/// The 基本4情報 as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BasicInfoDraft {
    /// 氏名.
    pub name: String,
    /// フリガナ.
    pub name_kana: String,
    /// 生年月日 (`YYYY-MM-DD`).
    pub birth_date: String,
    /// 性別 (`male`, `female`).
    pub sex: String,
    /// 住所.
    pub address: AddressDraft,
}

/// Parses a date of `field` (`YYYY-MM-DD`; 2月30日 and the like refused).
pub fn parse_date_field(field: &str, input: &str) -> Result<Date, Refusal> {
    kiban_core::date::parse_iso(input.trim()).map_err(|e| Refusal::value(field, e))
}

/// The longest reason (理由) of a merge or unmerge, in characters.
const MAX_REASON_CHARS: usize = 200;

/// Parses the reason of a merge or an unmerge: one line, not empty.
pub fn parse_reason(field: &str, input: &str) -> Result<String, Refusal> {
    let trimmed = input.trim();
    if trimmed.is_empty()
        || trimmed.chars().count() > MAX_REASON_CHARS
        || trimmed.chars().any(char::is_control)
    {
        return Err(Refusal::field(
            field,
            Message::MergeReasonRequired {
                field: field.to_owned(),
            },
        ));
    }
    Ok(trimmed.to_owned())
}

impl BasicInfoDraft {
    /// Parses every field, naming the first one at fault.
    pub fn parse(&self, today: Date) -> Result<BasicInfo, Refusal> {
        let name = PersonName::parse(&self.name).map_err(|e| Refusal::value("name", e))?;
        let name_kana =
            KanaName::parse(&self.name_kana).map_err(|e| Refusal::value("name_kana", e))?;
        let birth_date = parse_date_field("birth_date", &self.birth_date)?;
        if birth_date > today {
            return Err(Refusal::field(
                "birth_date",
                Message::DateInFuture {
                    field: "birth_date".into(),
                },
            ));
        }
        let sex = Sex::parse(self.sex.trim()).map_err(|e| Refusal::value("sex", e))?;
        let address = self.address.parse("address")?;
        Ok(BasicInfo {
            name,
            name_kana,
            birth_date,
            sex,
            address,
        })
    }
}

/// One version of a non-resident's record (宛名基本情報更新履歴).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Its number (1 for the registration, then increasing).
    pub version_no: u32,
    /// From when it holds.
    pub effective_date: Date,
    /// When it was recorded (RFC 3339).
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// The record.
    pub record: BasicInfo,
}

/// The version in force on `as_of`: the latest (by effective date, then
/// by number) that starts on or before it; before the first, the first
/// (nothing earlier is known).
pub fn version_as_of(versions: &[Version], as_of: Date) -> Option<&Version> {
    let order = |v: &&Version| (v.effective_date, v.version_no);
    versions
        .iter()
        .filter(|v| v.effective_date <= as_of)
        .max_by_key(order)
        .or_else(|| versions.iter().min_by_key(order))
}

/// A change of a non-resident's record: the fields given replace those of
/// the version in force on `effective_date`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// From when.
    pub effective_date: Date,
    /// New 氏名.
    pub name: Option<PersonName>,
    /// New フリガナ.
    pub name_kana: Option<KanaName>,
    /// New 住所.
    pub address: Option<PostalAddress>,
}

/// The record of a change applied to the versions so far (the new
/// version's record). A change of nothing is refused.
pub fn apply_change(versions: &[Version], change: &Change) -> Result<BasicInfo, Refusal> {
    if change.name.is_none() && change.name_kana.is_none() && change.address.is_none() {
        return Err(Refusal::of(Message::NothingToChange {}));
    }
    let base = version_as_of(versions, change.effective_date)
        .ok_or_else(|| Refusal::of(Message::NothingToChange {}))?;
    let mut record = base.record.clone();
    if let Some(name) = &change.name {
        record.name = name.clone();
    }
    if let Some(kana) = &change.name_kana {
        record.name_kana = kana.clone();
    }
    if let Some(address) = &change.address {
        record.address = address.clone();
    }
    if record == base.record {
        return Err(Refusal::of(Message::NothingToChange {}));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn draft() -> BasicInfoDraft {
        BasicInfoDraft {
            name: "山田　太郎".into(),
            name_kana: "ヤマダ　タロウ".into(),
            birth_date: "1970-04-01".into(),
            sex: "male".into(),
            address: AddressDraft {
                postal_code: "100-0001".into(),
                address_line: "東京都千代田区千代田1-1".into(),
                katagaki: None,
            },
        }
    }

    fn version(no: u32, from: &str, line: &str) -> Version {
        let mut record = draft().parse(date("2026-12-01")).unwrap();
        record.address.address_line = line.into();
        Version {
            version_no: no,
            effective_date: date(from),
            recorded_at: "2026-01-01T00:00:00Z".into(),
            recorded_by: "tax".into(),
            record,
        }
    }

    #[test]
    fn bad_fields_are_named() {
        let today = date("2026-12-01");
        for (edit, field) in [
            (
                (|d: &mut BasicInfoDraft| d.name = " ".into()) as fn(&mut BasicInfoDraft),
                "name",
            ),
            (|d| d.name_kana = "山田".into(), "name_kana"),
            (|d| d.birth_date = "2026-02-30".into(), "birth_date"),
            (|d| d.birth_date = "2027-01-01".into(), "birth_date"),
            (|d| d.sex = "x".into(), "sex"),
            (
                |d| d.address.postal_code = "12".into(),
                "address.postal_code",
            ),
            (
                |d| d.address.address_line = "".into(),
                "address.address_line",
            ),
            (
                |d| d.address.address_line = "あ".repeat(201),
                "address.address_line",
            ),
        ] {
            let mut d = draft();
            edit(&mut d);
            let refusal = d.parse(today).unwrap_err();
            assert_eq!(refusal.field.as_deref(), Some(field), "{refusal:?}");
        }
    }

    #[test]
    fn the_version_in_force_is_the_latest_started() {
        let versions = vec![
            version(1, "2020-01-01", "A"),
            version(2, "2024-04-01", "B"),
            version(3, "2022-01-01", "C"),
        ];
        let at = |d: &str| {
            version_as_of(&versions, date(d))
                .unwrap()
                .record
                .address
                .address_line
                .clone()
        };
        assert_eq!(at("2019-01-01"), "A", "before the first: the first");
        assert_eq!(at("2021-01-01"), "A");
        assert_eq!(
            at("2023-01-01"),
            "C",
            "a back-dated change holds from its date"
        );
        assert_eq!(at("2025-01-01"), "B");
    }

    #[test]
    fn a_change_of_nothing_is_refused() {
        let versions = vec![version(1, "2020-01-01", "A")];
        let change = Change {
            effective_date: date("2024-01-01"),
            name: None,
            name_kana: None,
            address: None,
        };
        assert_eq!(
            apply_change(&versions, &change).unwrap_err().message,
            Message::NothingToChange {}
        );
        let same = Change {
            name: Some(PersonName::parse("山田　太郎").unwrap()),
            ..change
        };
        assert!(apply_change(&versions, &same).is_err());
    }
}
