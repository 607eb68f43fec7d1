//! 国民健康保険税 (NHI tax) of one household for one whole fiscal year, from
//! dated rule data (`rules/nhi/YYYY.toml`) and the municipality's own rates
//! and local reductions (減免), which come with the calculation as data.
//!
//! Each part (医療分, 後期高齢者支援金等分, 介護納付金分, and from FY2026 the
//! 子ども・子育て支援納付金分) is the sum of its 所得割 (on 旧ただし書所得),
//! 資産割, 均等割 and 平等割, the last two after the statutory 7割・5割・2割
//! reduction and the 未就学児 reduction, less local reductions, truncated
//! below 100 yen and capped by the annual cap.
//!
//! Whole-year assumptions: membership and ages are taken on 1 April (賦課期日);
//! there is no month-by-month proration for members who join, leave or reach
//! 40 or 65 during the year.
//!
//! Architecture invariant: no IO, no serde on the domain types.

pub mod rules;

mod compute;

use kiban_core::working::Working;
use kiban_core::{FiscalYear, Rate, Yen};
use kiban_income::{BirthOrAge, Revenues};
use kiban_rules::RuleError;

pub use compute::calculate;
pub use rules::{NHI_RULES, NhiRules};

/// Why an NHI-tax calculation could not be made, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NhiError {
    /// No rule data exists for the fiscal year.
    #[error("fiscal_year: {0}")]
    UnsupportedFiscalYear(RuleError),
    /// A rule file is broken (a defect of the repository).
    #[error("invalid rule data: {0}")]
    InvalidRules(RuleError),
    /// The household has no insured member.
    #[error("household.members: no insured member")]
    NoInsuredMember,
    /// Rates were given for a part the fiscal year does not have.
    #[error("rates.{0}: a part the fiscal year does not have")]
    PartNotInYear(&'static str),
}

impl NhiError {
    /// The input field at fault, if any.
    pub fn field(&self) -> Option<String> {
        match self {
            NhiError::UnsupportedFiscalYear(_) => Some("fiscal_year".into()),
            NhiError::InvalidRules(_) => None,
            NhiError::NoInsuredMember => Some("household.members".into()),
            NhiError::PartNotInYear(part) => Some(format!("rates.{part}")),
        }
    }

    /// The catalogue's message for clerks.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            NhiError::UnsupportedFiscalYear(rule) => M::CalcNoRulesForYear {
                field: "fiscal_year".into(),
                detail: rule.message().text(),
            },
            NhiError::InvalidRules(rule) => M::CalcRulesBroken {
                detail: rule.message().text(),
            },
            NhiError::NoInsuredMember => M::NhiNoInsuredMember {},
            NhiError::PartNotInYear(part) => M::NhiPartNotInYear {
                part: (*part).to_owned(),
            },
        }
    }
}

impl From<RuleError> for NhiError {
    fn from(error: RuleError) -> Self {
        match error {
            RuleError::UnsupportedYear { .. } => NhiError::UnsupportedFiscalYear(error),
            RuleError::Invalid { .. } => NhiError::InvalidRules(error),
        }
    }
}

/// A part (区分) of the NHI tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// 基礎課税額 (医療分).
    Medical,
    /// 後期高齢者支援金等課税額.
    ElderlySupport,
    /// 介護納付金課税額 (members aged 40–64).
    CareSupport,
    /// 子ども・子育て支援納付金課税額 (from FY2026).
    ChildSupport,
}

impl Part {
    /// Every part, in the order of the notice.
    pub const ALL: [Part; 4] = [
        Part::Medical,
        Part::ElderlySupport,
        Part::CareSupport,
        Part::ChildSupport,
    ];

    /// The part's name in the API (`medical`, …).
    pub fn key(self) -> &'static str {
        match self {
            Part::Medical => "medical",
            Part::ElderlySupport => "elderly_support",
            Part::CareSupport => "care_support",
            Part::ChildSupport => "child_support",
        }
    }

    /// The part's name on a notice.
    pub fn name_ja(self) -> &'static str {
        match self {
            Part::Medical => "医療分",
            Part::ElderlySupport => "後期高齢者支援金等分",
            Part::CareSupport => "介護納付金分",
            Part::ChildSupport => "子ども・子育て支援納付金分",
        }
    }
}

/// The municipality's rates of one part (条例で定める税率・税額).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartRates {
    /// 所得割の税率.
    pub income_rate: Rate,
    /// 資産割の税率 (on the fixed asset tax).
    pub asset_rate: Rate,
    /// 均等割額 per insured person.
    pub per_capita: Yen,
    /// 平等割額 per household.
    pub per_household: Yen,
    /// 課税限度額; the statutory maximum of the year when absent.
    pub annual_cap: Option<Yen>,
}

/// How a member of the household stands towards the NHI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    /// 被保険者.
    Insured,
    /// Not insured (a head of household who is not insured: 擬制世帯主,
    /// or another member insured elsewhere).
    NotInsured,
    /// 特定同一世帯所属者: moved from NHI to 後期高齢者医療 and still in
    /// the household; counted in the reduction judgement.
    TransferredToLateElderly,
}

/// One member of the household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// Birth date or age on 31 December of the income year.
    pub age: BirthOrAge,
    /// Status.
    pub status: MemberStatus,
    /// Revenues and incomes of the previous year.
    pub revenues: Revenues,
}

/// A municipality's own reduction (減免), as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalReduction {
    /// Reduces the per-capita levy of insured members aged `max_age` or
    /// under on 1 April by `ratio`, after the statutory reductions.
    PerCapitaForChildren {
        /// The parts it applies to.
        parts: Vec<Part>,
        /// The oldest age that qualifies.
        max_age: u32,
        /// The share taken off.
        ratio: Rate,
    },
}

/// One NHI-tax calculation's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NhiInput {
    /// 課税年度.
    pub fiscal_year: FiscalYear,
    /// Rates by part; a part without rates is 0.
    pub rates: Vec<(Part, PartRates)>,
    /// 固定資産税額 of the insured members (for 資産割).
    pub fixed_asset_tax: Yen,
    /// Members; the first is the head of household (世帯主).
    pub members: Vec<Member>,
    /// Local reductions.
    pub local_reductions: Vec<LocalReduction>,
}

/// The statutory reduction applied (法定軽減).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    /// 7割軽減.
    Seventy,
    /// 5割軽減.
    Fifty,
    /// 2割軽減.
    Twenty,
    /// 軽減なし.
    None,
}

/// One part of the tax.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartTax {
    /// 所得割額.
    pub income_based: Yen,
    /// 資産割額.
    pub asset_based: Yen,
    /// 均等割額 after statutory (and 未就学児) reductions.
    pub per_capita: Yen,
    /// 平等割額 after statutory reductions.
    pub per_household: Yen,
    /// 減免額 (local reductions).
    pub local_reduction: Yen,
    /// The part's tax: truncated below 100 yen, then capped.
    pub total: Yen,
}

/// The result of one NHI-tax calculation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NhiTax {
    /// 課税年度.
    pub fiscal_year: FiscalYear,
    /// 法定軽減.
    pub reduction: Reduction,
    /// Each part of the year, in notice order.
    pub parts: Vec<(Part, PartTax)>,
    /// 年税額.
    pub total: Yen,
    /// The steps.
    pub working: Working,
}
