//! 個人住民税 (resident tax): 所得割 (income levy), 均等割 (per-capita levy)
//! and 森林環境税 (forest environment tax) of one taxpayer for one fiscal
//! year, from dated rule data (`rules/resident_tax/YYYY.toml`) and the
//! municipality's own rates.
//!
//! The order of operations follows the statute: income (kiban-income),
//! income deductions (所得控除), 課税標準 truncated below 1,000 yen, income
//! levy at the municipal and prefectural rates, 調整控除, the year's special
//! credit where there is one, the non-taxable limits, and each part's tax
//! truncated below 100 yen. Every step is recorded in the working.
//!
//! Architecture invariant: no IO, no serde on the domain types (only on rule
//! data), no knowledge of JSON or HTTP.

pub mod rules;

mod compute;

use kiban_core::working::Working;
use kiban_core::{FiscalYear, Rate, Yen};
use kiban_income::{BirthOrAge, Income, Revenues};
use kiban_rules::RuleError;

pub use compute::calculate;
pub use rules::{RESIDENT_TAX_RULES, ResidentTaxRules};

/// Why a resident-tax calculation could not be made. Each variant names the
/// input field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentTaxError {
    /// No rule data exists for the fiscal year.
    #[error("fiscal_year: {0}")]
    UnsupportedFiscalYear(RuleError),
    /// A rule file is broken (a defect of the repository, not of the input).
    #[error("invalid rule data: {0}")]
    InvalidRules(RuleError),
}

impl ResidentTaxError {
    /// The input field at fault, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ResidentTaxError::UnsupportedFiscalYear(_) => Some("fiscal_year"),
            ResidentTaxError::InvalidRules(_) => None,
        }
    }

    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            ResidentTaxError::UnsupportedFiscalYear(rule) => M::CalcNoRulesForYear {
                field: "fiscal_year".into(),
                detail: rule.message().text(),
            },
            ResidentTaxError::InvalidRules(rule) => M::CalcRulesBroken {
                detail: rule.message().text(),
            },
        }
    }
}

impl From<RuleError> for ResidentTaxError {
    fn from(error: RuleError) -> Self {
        match error {
            RuleError::UnsupportedYear { .. } => ResidentTaxError::UnsupportedFiscalYear(error),
            RuleError::Invalid { .. } => ResidentTaxError::InvalidRules(error),
        }
    }
}

/// Whether the municipality is a 指定都市 (designated city), which changes
/// the standard split of the income levy and of the 調整控除 (8%/2%, 4%/1%).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CityKind {
    /// 市町村 other than a designated city.
    Ordinary,
    /// 指定都市.
    Designated,
}

/// The municipality's own rates (条例で定める税率); absent values take the
/// standard rates of the year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalRates {
    /// 市町村民税所得割の税率.
    pub municipal_income_rate: Option<Rate>,
    /// 道府県民税所得割の税率 (including any prefectural surcharge).
    pub prefectural_income_rate: Option<Rate>,
    /// 市町村民税均等割 (the municipality's amount, before the statutory
    /// 復興 addition of FY2014–FY2023, which the engine adds).
    pub municipal_per_capita: Option<Yen>,
    /// 道府県民税均等割 (likewise before the 復興 addition).
    pub prefectural_per_capita: Option<Yen>,
    /// Whether the municipality is a designated city; when absent, it is
    /// taken to be one when the municipal income rate is more than twice the
    /// prefectural rate (as 8% against 2%).
    pub city_kind: Option<CityKind>,
}

/// 級地: the grade of the municipality for the per-capita non-taxable limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonTaxableGrade {
    /// 1級地.
    First,
    /// 2級地.
    Second,
    /// 3級地.
    Third,
}

impl NonTaxableGrade {
    /// The grade from its number (1–3).
    pub fn from_number(n: u8) -> Option<Self> {
        match n {
            1 => Some(Self::First),
            2 => Some(Self::Second),
            3 => Some(Self::Third),
            _ => None,
        }
    }

    fn index(self) -> usize {
        match self {
            Self::First => 0,
            Self::Second => 1,
            Self::Third => 2,
        }
    }
}

/// 障害者の区分.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Disability {
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

/// 寡婦・ひとり親の区分 of the taxpayer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WidowOrSingleParent {
    /// Neither.
    #[default]
    None,
    /// 寡婦.
    Widow,
    /// ひとり親 (mother, or any single parent whose sex is not stated).
    SingleParentMother,
    /// ひとり親 (father): the same deduction, a smaller 人的控除額の差.
    SingleParentFather,
}

/// Life insurance premiums paid (生命保険料), by category and contract era.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LifeInsurancePremiums {
    /// 一般生命保険料 (新契約).
    pub new_general: Yen,
    /// 個人年金保険料 (新契約).
    pub new_pension: Yen,
    /// 介護医療保険料.
    pub care_medical: Yen,
    /// 一般生命保険料 (旧契約).
    pub old_general: Yen,
    /// 個人年金保険料 (旧契約).
    pub old_pension: Yen,
}

/// What the taxpayer claims (所得控除の基礎となる支払額と区分).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeductionClaims {
    /// 社会保険料 paid.
    pub social_insurance: Yen,
    /// 小規模企業共済等掛金 paid.
    pub small_business_mutual_aid: Yen,
    /// 生命保険料 paid.
    pub life_insurance: LifeInsurancePremiums,
    /// 地震保険料 paid.
    pub earthquake_insurance: Yen,
    /// 医療費 paid (net of insurance reimbursements).
    pub medical_expenses: Yen,
    /// The taxpayer's own disability.
    pub disability: Disability,
    /// 寡婦・ひとり親.
    pub widow_or_single_parent: WidowOrSingleParent,
    /// 勤労学生.
    pub working_student: bool,
}

/// The taxpayer (納税義務者).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taxpayer {
    /// Birth date or age on 31 December of the income year.
    pub age: BirthOrAge,
    /// Revenues and incomes of the income year.
    pub revenues: Revenues,
    /// Deductions claimed.
    pub claims: DeductionClaims,
}

/// The taxpayer's spouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spouse {
    /// Birth date or age on 31 December of the income year.
    pub age: BirthOrAge,
    /// 合計所得金額 of the spouse.
    pub total_income: Yen,
    /// Disability of the spouse.
    pub disability: Disability,
}

/// 続柄 of a dependent, as far as the deductions care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependentRelation {
    /// 子.
    Child,
    /// 父母等の直系尊属.
    Parent,
    /// その他の親族.
    Other,
}

/// A relative in the taxpayer's livelihood (扶養親族 or candidate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dependent {
    /// Birth date or age on 31 December of the income year.
    pub age: BirthOrAge,
    /// 合計所得金額 of the relative.
    pub total_income: Yen,
    /// 続柄.
    pub relation: DependentRelation,
    /// Whether the relative lives with the taxpayer (同居).
    pub lives_with_taxpayer: bool,
    /// Disability of the relative.
    pub disability: Disability,
}

/// One resident-tax calculation's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentTaxInput {
    /// 課税年度.
    pub fiscal_year: FiscalYear,
    /// The municipality's rates.
    pub rates: LocalRates,
    /// 級地 for the per-capita non-taxable limit.
    pub grade: NonTaxableGrade,
    /// The taxpayer.
    pub taxpayer: Taxpayer,
    /// The spouse, if any.
    pub spouse: Option<Spouse>,
    /// Relatives in the same livelihood.
    pub dependents: Vec<Dependent>,
}

/// The income deductions allowed (所得控除額), 住民税の額.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deductions {
    /// 社会保険料控除.
    pub social_insurance: Yen,
    /// 小規模企業共済等掛金控除.
    pub small_business_mutual_aid: Yen,
    /// 生命保険料控除.
    pub life_insurance: Yen,
    /// 地震保険料控除.
    pub earthquake_insurance: Yen,
    /// 医療費控除.
    pub medical_expenses: Yen,
    /// 配偶者控除.
    pub spouse: Yen,
    /// 配偶者特別控除.
    pub spouse_special: Yen,
    /// 扶養控除.
    pub dependents: Yen,
    /// 特定親族特別控除 (from FY2026).
    pub specified_relative: Yen,
    /// 障害者控除.
    pub disability: Yen,
    /// 寡婦控除・ひとり親控除.
    pub widow_single_parent: Yen,
    /// 勤労学生控除.
    pub working_student: Yen,
    /// 基礎控除.
    pub basic: Yen,
    /// 所得控除の合計.
    pub total: Yen,
}

/// Which levies are not imposed (非課税).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonTaxable {
    /// Both levies are imposed.
    None,
    /// 所得割のみ非課税.
    IncomeLevy,
    /// 均等割・所得割とも非課税 (and no forest environment tax).
    All,
}

/// The municipal or prefectural part of the tax.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartTax {
    /// 所得割額 before credits: 課税標準 × 税率 (円未満切捨て).
    pub income_levy_before_credits: Yen,
    /// 調整控除額.
    pub adjustment_credit: Yen,
    /// 特別税額控除 (定額減税) of the year, where there is one.
    pub special_tax_credit: Yen,
    /// 所得割額 (100円未満切捨て).
    pub income_levy: Yen,
    /// 均等割額.
    pub per_capita_levy: Yen,
}

/// The result of one resident-tax calculation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentTax {
    /// 課税年度.
    pub fiscal_year: FiscalYear,
    /// The taxpayer's income.
    pub income: Income,
    /// 所得控除.
    pub deductions: Deductions,
    /// 課税標準 (課税総所得金額, 1,000円未満切捨て).
    pub tax_base: Yen,
    /// 非課税の判定.
    pub non_taxable: NonTaxable,
    /// 市町村民税.
    pub municipal: PartTax,
    /// 道府県民税.
    pub prefectural: PartTax,
    /// 森林環境税.
    pub forest_environment_tax: Yen,
    /// 年税額の合計.
    pub total: Yen,
    /// Whether the year has a special tax credit (定額減税).
    pub has_special_tax_credit: bool,
    /// The steps.
    pub working: Working,
}
