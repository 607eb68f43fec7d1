//! The income rule set of one fiscal year (`rules/income/YYYY.toml`).
//!
//! Files are named by the fiscal year whose assessments use them (resident
//! tax and NHI of fiscal year N both use the income of calendar year N−1);
//! each file states that income year.

use kiban_rules::{RuleBook, Validate};
use serde::Deserialize;

use crate::values::{LinearTable, RuleRate, check_contiguous};

/// 所得の計算ルール for one fiscal year's assessments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomeRules {
    /// The calendar year whose income the rules compute (年分).
    pub income_year: i32,
    /// 給与所得.
    pub employment: EmploymentRules,
    /// 公的年金等に係る雑所得.
    pub pension: PensionRules,
    /// 所得金額調整控除.
    pub income_adjustment: IncomeAdjustmentRules,
}

/// 給与所得: the table giving employment income from employment revenue
/// (所得税法 別表第五 below 6,600,000円, the 給与所得控除 formulas above).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmploymentRules {
    /// The minimum 給与所得控除 (最低保障額), for the working.
    pub minimum_deduction: i64,
    /// Employment income by revenue.
    pub income_table: LinearTable,
}

/// 公的年金等控除: tables of pension income by age group and by the
/// taxpayer's other income.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PensionRules {
    /// The age on 31 December of the income year from which the older
    /// table applies (65).
    pub older_from_age: u32,
    /// Tables, each for one age group and one tier of other income.
    pub tables: Vec<PensionTable>,
}

/// The age group a pension table is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PensionAgeGroup {
    /// 65歳未満.
    Under65,
    /// 65歳以上.
    From65,
}

/// Pension income by pension revenue, for one age group and one tier of
/// 公的年金等に係る雑所得以外の合計所得金額.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PensionTable {
    /// The age group.
    pub age_group: PensionAgeGroup,
    /// The tier applies when other income is at most this amount; absent
    /// for the top tier.
    pub other_income_up_to: Option<i64>,
    /// Pension income by pension revenue.
    pub rows: LinearTable,
}

/// 所得金額調整控除 (租税特別措置法第41条の3の3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncomeAdjustmentRules {
    /// Salary revenue above which the child-care/disability adjustment applies.
    pub salary_over: i64,
    /// Salary revenue counted at most.
    pub salary_cap: i64,
    /// The rate applied to the excess (rounded up to whole yen).
    pub rate: RuleRate,
    /// Dependents younger than this age (on 31 December) qualify the taxpayer.
    pub dependent_age_below: u32,
    /// The salary-and-pension adjustment: each income counts up to this amount.
    pub combined_each_cap: i64,
    /// The salary-and-pension adjustment: the amount subtracted from the sum.
    pub combined_threshold: i64,
}

impl Validate for IncomeRules {
    fn validate(&self) -> Result<(), String> {
        check_contiguous("employment.income_table", &self.employment.income_table, 0)?;
        for group in [PensionAgeGroup::Under65, PensionAgeGroup::From65] {
            let tiers: Vec<&PensionTable> = self
                .pension
                .tables
                .iter()
                .filter(|t| t.age_group == group)
                .collect();
            if tiers.is_empty() {
                return Err(format!("pension.tables: {group:?} の表がありません"));
            }
            for (i, tier) in tiers.iter().enumerate() {
                check_contiguous(&format!("pension.tables[{group:?}][{i}]"), &tier.rows, 0)?;
                match (tier.other_income_up_to, tiers.get(i + 1)) {
                    (None, Some(_)) => {
                        return Err(format!(
                            "pension.tables[{group:?}]: 最上位以外の区分には other_income_up_to が必要です"
                        ));
                    }
                    (Some(_), None) => {
                        return Err(format!(
                            "pension.tables[{group:?}]: 最上位の区分には other_income_up_to を書きません"
                        ));
                    }
                    (Some(a), Some(next)) if next.other_income_up_to.is_some_and(|b| b <= a) => {
                        return Err(format!(
                            "pension.tables[{group:?}]: other_income_up_to が昇順ではありません"
                        ));
                    }
                    _ => {}
                }
            }
        }
        let adj = &self.income_adjustment;
        if adj.salary_cap <= adj.salary_over {
            return Err(
                "income_adjustment: salary_cap は salary_over より大きい必要があります".into(),
            );
        }
        Ok(())
    }
}

/// Every income rule file, by the fiscal year that uses it.
pub static INCOME_RULES: RuleBook<IncomeRules> = RuleBook::new(
    "income",
    &[
        (2021, include_str!("../../../rules/income/2021.toml")),
        (2022, include_str!("../../../rules/income/2022.toml")),
        (2023, include_str!("../../../rules/income/2023.toml")),
        (2024, include_str!("../../../rules/income/2024.toml")),
        (2025, include_str!("../../../rules/income/2025.toml")),
        (2026, include_str!("../../../rules/income/2026.toml")),
    ],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_validates_and_names_its_income_year() {
        assert_eq!(INCOME_RULES.check(), Ok(()));
        for year in INCOME_RULES.years() {
            let rules = INCOME_RULES.for_year(year);
            assert_eq!(rules.map(|r| r.income_year).ok(), Some(year - 1), "{year}");
        }
    }
}
