//! Income records (所得情報): one row of an `income-csv-v1` file
//! (給与支払報告書, 公的年金等支払報告書 or 申告), typed, and the parser
//! of such a file.
//!
//! A record is what one report says about one person; combining the
//! records of a person into the calculation's input is the assessment's
//! work (`domain::assessment`), not this module's.

use kiban_core::{Date, IndividualNumber, Sex};
use serde::{Deserialize, Serialize};

mod parse;

pub use parse::{
    ALL_COLUMNS, IncomeFileError, MAX_AMOUNT, MAX_REPORTED_ISSUES, ParseIssue, ParseProblem,
    REQUIRED_COLUMNS, parse_income_csv,
};

/// The most dependents one record may claim (`dependent1_…` to
/// `dependent4_…`).
pub const MAX_DEPENDENTS: usize = 4;

/// Where an income record comes from (`source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncomeSource {
    /// 給与支払報告書 (from an employer).
    SalaryReport,
    /// 公的年金等支払報告書 (from a pension fund).
    PensionReport,
    /// 住民税申告・確定申告 (from the person).
    Declaration,
}

impl IncomeSource {
    /// Every source.
    pub const ALL: [IncomeSource; 3] = [
        IncomeSource::SalaryReport,
        IncomeSource::PensionReport,
        IncomeSource::Declaration,
    ];

    /// The code of `income-csv-v1` and of the tables.
    pub fn code(self) -> &'static str {
        match self {
            IncomeSource::SalaryReport => "salary_report",
            IncomeSource::PensionReport => "pension_report",
            IncomeSource::Declaration => "declaration",
        }
    }

    /// The source written `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The name shown to clerks.
    pub fn label_ja(self) -> &'static str {
        match self {
            IncomeSource::SalaryReport => "給与支払報告書",
            IncomeSource::PensionReport => "公的年金等支払報告書",
            IncomeSource::Declaration => "申告",
        }
    }
}

/// How the tax on this income is collected (`collection`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionMethod {
    /// 特別徴収: withheld by the employer named by `payer_number`.
    Special,
    /// 普通徴収: paid by the person in installments.
    Ordinary,
}

impl CollectionMethod {
    /// The code of `income-csv-v1`.
    pub fn code(self) -> &'static str {
        match self {
            CollectionMethod::Special => "special",
            CollectionMethod::Ordinary => "ordinary",
        }
    }

    /// The method written `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "special" => Some(CollectionMethod::Special),
            "ordinary" => Some(CollectionMethod::Ordinary),
            _ => None,
        }
    }

    /// The name shown to clerks.
    pub fn label_ja(self) -> &'static str {
        match self {
            CollectionMethod::Special => "特別徴収",
            CollectionMethod::Ordinary => "普通徴収",
        }
    }
}

/// 障害者の区分 as in calc-v1 (`none`, `general`, `special`,
/// `special_cohabiting`; the last only for a spouse or dependent).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DisabilityClass {
    /// Not disabled.
    #[default]
    None,
    /// 障害者.
    General,
    /// 特別障害者.
    Special,
    /// 同居特別障害者 (a spouse or dependent living with the taxpayer).
    SpecialCohabiting,
}

impl DisabilityClass {
    /// Every class.
    pub const ALL: [DisabilityClass; 4] = [
        DisabilityClass::None,
        DisabilityClass::General,
        DisabilityClass::Special,
        DisabilityClass::SpecialCohabiting,
    ];

    /// The code of calc-v1 and `income-csv-v1`.
    pub fn code(self) -> &'static str {
        match self {
            DisabilityClass::None => "none",
            DisabilityClass::General => "general",
            DisabilityClass::Special => "special",
            DisabilityClass::SpecialCohabiting => "special_cohabiting",
        }
    }

    /// The class written `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }
}

impl From<DisabilityClass> for kiban_tax_resident::Disability {
    fn from(d: DisabilityClass) -> Self {
        match d {
            DisabilityClass::None => kiban_tax_resident::Disability::None,
            DisabilityClass::General => kiban_tax_resident::Disability::General,
            DisabilityClass::Special => kiban_tax_resident::Disability::Special,
            DisabilityClass::SpecialCohabiting => kiban_tax_resident::Disability::SpecialCohabiting,
        }
    }
}

/// A dependent's relation to the taxpayer, as in calc-v1 (`child`,
/// `parent`, `other`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DependentRelation {
    /// 子.
    Child,
    /// 父母・祖父母 (直系尊属).
    Parent,
    /// その他の親族.
    Other,
}

impl DependentRelation {
    /// Every relation.
    pub const ALL: [DependentRelation; 3] = [
        DependentRelation::Child,
        DependentRelation::Parent,
        DependentRelation::Other,
    ];

    /// The code of calc-v1 and `income-csv-v1`.
    pub fn code(self) -> &'static str {
        match self {
            DependentRelation::Child => "child",
            DependentRelation::Parent => "parent",
            DependentRelation::Other => "other",
        }
    }

    /// The relation written `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

impl From<DependentRelation> for kiban_tax_resident::DependentRelation {
    fn from(r: DependentRelation) -> Self {
        match r {
            DependentRelation::Child => kiban_tax_resident::DependentRelation::Child,
            DependentRelation::Parent => kiban_tax_resident::DependentRelation::Parent,
            DependentRelation::Other => kiban_tax_resident::DependentRelation::Other,
        }
    }
}

/// The spouse a record claims (控除対象配偶者・配偶者特別控除).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpouseRecord {
    /// 氏名 (`spouse_name`).
    pub name: String,
    /// 生年月日 (`spouse_birth_date`).
    #[serde(with = "iso_date")]
    pub birth_date: Date,
    /// 合計所得金額 in yen (`spouse_total_income`, ≥ 0).
    pub total_income: i64,
    /// 障害者の区分 (`spouse_disability`).
    pub disability: DisabilityClass,
}

/// A dependent a record claims (扶養親族), one of `dependent1_…` to
/// `dependent4_…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependentRecord {
    /// 氏名 (`dependentN_name`).
    pub name: String,
    /// 生年月日 (`dependentN_birth_date`).
    #[serde(with = "iso_date")]
    pub birth_date: Date,
    /// 続柄 (`dependentN_relation`).
    pub relation: DependentRelation,
    /// 合計所得金額 in yen (`dependentN_total_income`, ≥ 0).
    pub total_income: i64,
    /// 障害者の区分 (`dependentN_disability`).
    pub disability: DisabilityClass,
    /// 同居 (`dependentN_lives_with`, default `true`): calc-v1's
    /// `lives_with_taxpayer`.
    pub lives_with: bool,
}

/// One income record (所得情報): one row of `income-csv-v1`, every value
/// checked. Amounts are whole yen, never negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomeRecord {
    /// Where it comes from (`source`).
    pub source: IncomeSource,
    /// 特別徴収義務者指定番号 or the payer's number (`payer_number`);
    /// required for special collection.
    pub payer_number: Option<String>,
    /// 支払者名 (`payer_name`).
    pub payer_name: Option<String>,
    /// The payer's postal code (`payer_postal_code`, Kiban's addition),
    /// seven digits without a hyphen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_postal_code: Option<String>,
    /// The payer's address (`payer_address`, Kiban's addition): where the
    /// 特別徴収税額決定通知書 is mailed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_address: Option<String>,
    /// 特別徴収 or 普通徴収 (`collection`).
    pub collection: CollectionMethod,
    /// 氏名 (`name`), as written.
    pub name: String,
    /// フリガナ (`name_kana`), in full-width katakana.
    pub name_kana: String,
    /// 生年月日 (`birth_date`).
    #[serde(with = "iso_date")]
    pub birth_date: Date,
    /// 性別 (`sex`), when given.
    #[serde(with = "opt_sex", default)]
    pub sex: Option<Sex>,
    /// 1月1日現在の住所 (`address_on_jan1`).
    pub address_on_jan1: String,
    /// 個人番号 (`individual_number`), when given. Storage keeps it sealed,
    /// never in the record's JSON.
    #[serde(with = "opt_number", default)]
    pub individual_number: Option<IndividualNumber>,
    /// 給与収入 (`salary_revenue`).
    pub salary_revenue: i64,
    /// 公的年金等収入 (`public_pension_revenue`).
    pub public_pension_revenue: i64,
    /// 事業所得 (`business_income`).
    pub business_income: i64,
    /// 不動産所得 (`real_estate_income`).
    pub real_estate_income: i64,
    /// 雑所得 (other than public pensions, `misc_income`).
    pub misc_income: i64,
    /// 社会保険料 (`social_insurance`).
    pub social_insurance: i64,
    /// 小規模企業共済等掛金 (`small_business_mutual_aid`).
    pub small_business_mutual_aid: i64,
    /// 新生命保険料 (`life_insurance_new_general`).
    pub life_insurance_new_general: i64,
    /// 新個人年金保険料 (`life_insurance_new_pension`).
    pub life_insurance_new_pension: i64,
    /// 介護医療保険料 (`life_insurance_care_medical`).
    pub life_insurance_care_medical: i64,
    /// 旧生命保険料 (`life_insurance_old_general`).
    pub life_insurance_old_general: i64,
    /// 旧個人年金保険料 (`life_insurance_old_pension`).
    pub life_insurance_old_pension: i64,
    /// 地震保険料 (`earthquake_insurance`).
    pub earthquake_insurance: i64,
    /// 医療費 (`medical_expenses`).
    pub medical_expenses: i64,
    /// 本人の障害者の区分 (`disability`; never `special_cohabiting`).
    pub disability: DisabilityClass,
    /// 寡婦 (`widow`).
    pub widow: bool,
    /// ひとり親 (`single_parent`).
    pub single_parent: bool,
    /// 勤労学生 (`working_student`).
    pub working_student: bool,
    /// The spouse claimed, if any.
    pub spouse: Option<SpouseRecord>,
    /// The dependents claimed, in column order (at most [`MAX_DEPENDENTS`]).
    pub dependents: Vec<DependentRecord>,
}

impl IncomeRecord {
    /// The payer number as the replacement rule compares it (empty when
    /// none was given).
    pub fn payer_key(&self) -> &str {
        self.payer_number.as_deref().unwrap_or("")
    }
}

/// Dates as `YYYY-MM-DD` in JSON.
mod iso_date {
    use kiban_core::Date;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(date)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        kiban_core::date::parse_iso(&text).map_err(serde::de::Error::custom)
    }
}

/// An optional 性別 as its code in JSON.
mod opt_sex {
    use kiban_core::Sex;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(sex: &Option<Sex>, s: S) -> Result<S::Ok, S::Error> {
        match sex {
            Some(sex) => s.serialize_some(sex.code()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Sex>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|code| Sex::parse(&code).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// An optional 個人番号 as its digits in JSON.
mod opt_number {
    use kiban_core::IndividualNumber;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        number: &Option<IndividualNumber>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match number {
            Some(number) => s.serialize_some(number.as_str()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<IndividualNumber>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|digits| IndividualNumber::parse(&digits).map_err(serde::de::Error::custom))
            .transpose()
    }
}
