//! The layout of a 256-byte record of `fixed-cp932-v1`: one place that says
//! where each field lies.

use std::fmt;

/// The length of every record, without the optional CR LF.
pub const RECORD_LEN: usize = 256;

/// A field of the person record (個人レコードの項目), with its place in the
/// layout. The order of the variants is the order of the fields in a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LegacyField {
    /// レコード種別: `1` for a person, `9` for the trailer.
    RecordKind,
    /// 宛名番号.
    PersonId,
    /// 世帯番号.
    HouseholdId,
    /// 氏名.
    Name,
    /// カナ氏名.
    NameKana,
    /// 生年月日 (元号 and `YYMMDD`).
    BirthDate,
    /// 性別.
    Sex,
    /// 続柄.
    Relationship,
    /// 郵便番号.
    PostalCode,
    /// 住所.
    Address,
    /// 方書.
    Katagaki,
    /// 住定日: the date residence at the address began.
    ResidenceStartDate,
    /// 住民状態.
    Status,
    /// 消除日.
    RemovalDate,
    /// 個人番号.
    IndividualNumber,
    /// 国籍.
    Nationality,
    /// 予備: reserved, spaces.
    Reserved,
}

impl LegacyField {
    /// Every field, in the order of the record.
    pub const ALL: [LegacyField; 17] = [
        LegacyField::RecordKind,
        LegacyField::PersonId,
        LegacyField::HouseholdId,
        LegacyField::Name,
        LegacyField::NameKana,
        LegacyField::BirthDate,
        LegacyField::Sex,
        LegacyField::Relationship,
        LegacyField::PostalCode,
        LegacyField::Address,
        LegacyField::Katagaki,
        LegacyField::ResidenceStartDate,
        LegacyField::Status,
        LegacyField::RemovalDate,
        LegacyField::IndividualNumber,
        LegacyField::Nationality,
        LegacyField::Reserved,
    ];

    /// The 1-based byte position of the field's first byte in the record.
    pub const fn start(self) -> usize {
        match self {
            LegacyField::RecordKind => 1,
            LegacyField::PersonId => 2,
            LegacyField::HouseholdId => 12,
            LegacyField::Name => 22,
            LegacyField::NameKana => 62,
            LegacyField::BirthDate => 102,
            LegacyField::Sex => 109,
            LegacyField::Relationship => 110,
            LegacyField::PostalCode => 112,
            LegacyField::Address => 119,
            LegacyField::Katagaki => 179,
            LegacyField::ResidenceStartDate => 209,
            LegacyField::Status => 216,
            LegacyField::RemovalDate => 217,
            LegacyField::IndividualNumber => 224,
            LegacyField::Nationality => 236,
            LegacyField::Reserved => 238,
        }
    }

    /// The field's width in bytes.
    pub const fn width(self) -> usize {
        match self {
            LegacyField::RecordKind | LegacyField::Sex | LegacyField::Status => 1,
            LegacyField::PersonId | LegacyField::HouseholdId => 10,
            LegacyField::Name | LegacyField::NameKana => 40,
            LegacyField::BirthDate
            | LegacyField::PostalCode
            | LegacyField::ResidenceStartDate
            | LegacyField::RemovalDate => 7,
            LegacyField::Relationship | LegacyField::Nationality => 2,
            LegacyField::Address => 60,
            LegacyField::Katagaki => 30,
            LegacyField::IndividualNumber => 12,
            LegacyField::Reserved => 19,
        }
    }

    /// The field's bytes within a record of [`RECORD_LEN`] bytes.
    pub(crate) fn slice(self, record: &[u8]) -> &[u8] {
        let from = self.start() - 1;
        record.get(from..from + self.width()).unwrap_or_default()
    }

    /// The field's name in the cleansing report: `person_id`, `name`,
    /// `birth_date`, ….
    pub const fn code(self) -> &'static str {
        match self {
            LegacyField::RecordKind => "record_kind",
            LegacyField::PersonId => "person_id",
            LegacyField::HouseholdId => "household_id",
            LegacyField::Name => "name",
            LegacyField::NameKana => "name_kana",
            LegacyField::BirthDate => "birth_date",
            LegacyField::Sex => "sex",
            LegacyField::Relationship => "relationship",
            LegacyField::PostalCode => "postal_code",
            LegacyField::Address => "address",
            LegacyField::Katagaki => "katagaki",
            LegacyField::ResidenceStartDate => "residence_start_date",
            LegacyField::Status => "status",
            LegacyField::RemovalDate => "removal_date",
            LegacyField::IndividualNumber => "individual_number",
            LegacyField::Nationality => "nationality",
            LegacyField::Reserved => "reserved",
        }
    }

    /// The field's name in Japanese, as in the layout: `氏名`, `住定日`.
    pub const fn label_ja(self) -> &'static str {
        match self {
            LegacyField::RecordKind => "レコード種別",
            LegacyField::PersonId => "宛名番号",
            LegacyField::HouseholdId => "世帯番号",
            LegacyField::Name => "氏名",
            LegacyField::NameKana => "カナ氏名",
            LegacyField::BirthDate => "生年月日",
            LegacyField::Sex => "性別",
            LegacyField::Relationship => "続柄",
            LegacyField::PostalCode => "郵便番号",
            LegacyField::Address => "住所",
            LegacyField::Katagaki => "方書",
            LegacyField::ResidenceStartDate => "住定日",
            LegacyField::Status => "住民状態",
            LegacyField::RemovalDate => "消除日",
            LegacyField::IndividualNumber => "個人番号",
            LegacyField::Nationality => "国籍",
            LegacyField::Reserved => "予備",
        }
    }
}

impl fmt::Display for LegacyField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_ja())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_tile_the_record() {
        let mut next = 1;
        for field in LegacyField::ALL {
            assert_eq!(field.start(), next, "{field:?}");
            next += field.width();
        }
        assert_eq!(next, RECORD_LEN + 1);
    }
}
