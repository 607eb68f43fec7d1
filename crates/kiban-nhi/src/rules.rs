//! The NHI-tax rule set of one fiscal year (`rules/nhi/YYYY.toml`): only what
//! the law fixes; each municipality's rates come with the calculation.

use kiban_income::values::{RuleRate, StepRow, check_steps};
use kiban_rules::{RuleBook, Validate};
use serde::Deserialize;

/// 国民健康保険税 rules for one fiscal year.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NhiRules {
    /// The fiscal year of the file.
    pub fiscal_year: i32,
    /// 所得割の算定基礎 (旧ただし書所得).
    pub income_base: IncomeBaseRules,
    /// 低所得世帯の軽減 (7割・5割・2割).
    pub reduction: ReductionRules,
    /// 介護納付金課税被保険者.
    pub care_support: CareSupportRules,
    /// 課税限度額 (the statutory maxima, used when the municipality gives none).
    pub annual_caps: AnnualCaps,
    /// 未就学児の均等割軽減 (from FY2022).
    pub preschool: Option<PreschoolRules>,
    /// 子ども・子育て支援納付金分 (from FY2026).
    pub child_support: Option<ChildSupportRules>,
}

/// 旧ただし書所得: total income less the basic deduction of 住民税.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomeBaseRules {
    /// 基礎控除額 by total income.
    pub basic_deduction: Vec<StepRow<i64>>,
}

/// 軽減判定.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReductionRules {
    /// The base amount (43万円).
    pub base: i64,
    /// Added per 給与所得者等 beyond the first.
    pub per_earner: i64,
    /// 5割: added per insured person (and 特定同一世帯所属者).
    pub fifty_per_insured: i64,
    /// 2割: added per insured person.
    pub twenty_per_insured: i64,
    /// The 7割 reduction ratio.
    pub seventy_ratio: RuleRate,
    /// The 5割 reduction ratio.
    pub fifty_ratio: RuleRate,
    /// The 2割 reduction ratio.
    pub twenty_ratio: RuleRate,
    /// 公的年金等所得 special deduction in the judgement (15万円).
    pub pension_special_deduction: i64,
    /// The age (31 December) from which the special deduction applies.
    pub pension_special_from_age: u32,
    /// 給与所得者等: salary revenue above this.
    pub earner_salary_over: i64,
    /// 給与所得者等: pension revenue above this, under 65.
    pub earner_pension_over_under_65: i64,
    /// 給与所得者等: pension revenue above this, 65 or over.
    pub earner_pension_over_from_65: i64,
}

/// 介護納付金課税被保険者: the ages (inclusive) on 1 April.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CareSupportRules {
    /// First age.
    pub from_age: u32,
    /// Last age.
    pub to_age: u32,
}

/// Statutory maxima of each part.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnualCaps {
    /// 基礎課税額 (医療分).
    pub medical: i64,
    /// 後期高齢者支援金等課税額.
    pub elderly_support: i64,
    /// 介護納付金課税額.
    pub care_support: i64,
    /// 子ども・子育て支援納付金課税額 (from FY2026).
    pub child_support: Option<i64>,
}

/// 未就学児の均等割軽減.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreschoolRules {
    /// The share of the (statutorily reduced) per-capita levy taken off.
    pub ratio: RuleRate,
}

/// 子ども・子育て支援納付金分.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildSupportRules {
    /// Members until the 31 March after reaching this age pay no per-capita levy.
    pub exempt_until_age: u32,
}

impl Validate for NhiRules {
    fn validate(&self) -> Result<(), String> {
        check_steps(
            "income_base.basic_deduction",
            &self.income_base.basic_deduction,
        )?;
        let r = &self.reduction;
        if r.fifty_per_insured >= r.twenty_per_insured {
            return Err("reduction: 5割の加算額は2割の加算額より小さい必要があります".into());
        }
        if self.care_support.from_age > self.care_support.to_age {
            return Err("care_support: from_age ≤ to_age".into());
        }
        if self.child_support.is_some() != self.annual_caps.child_support.is_some() {
            return Err("child_support と annual_caps.child_support は併せて定めます".into());
        }
        Ok(())
    }
}

/// Every NHI rule file, by fiscal year.
pub static NHI_RULES: RuleBook<NhiRules> = RuleBook::new(
    "nhi",
    &[
        (2021, include_str!("../../../rules/nhi/2021.toml")),
        (2022, include_str!("../../../rules/nhi/2022.toml")),
        (2023, include_str!("../../../rules/nhi/2023.toml")),
        (2024, include_str!("../../../rules/nhi/2024.toml")),
        (2025, include_str!("../../../rules/nhi/2025.toml")),
        (2026, include_str!("../../../rules/nhi/2026.toml")),
    ],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_and_validates() {
        assert_eq!(NHI_RULES.check(), Ok(()));
        for year in NHI_RULES.years() {
            assert_eq!(
                NHI_RULES.for_year(year).map(|r| r.fiscal_year).ok(),
                Some(year)
            );
        }
    }
}
