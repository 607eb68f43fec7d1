//! The resident-tax rule set of one fiscal year (`rules/resident_tax/YYYY.toml`).

use kiban_income::values::{LinearTable, RuleRate, StepRow, check_contiguous, check_steps};
use kiban_rules::{RuleBook, Validate};
use serde::Deserialize;

/// 個人住民税 rules for one fiscal year.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidentTaxRules {
    /// The fiscal year (年度) of the file.
    pub fiscal_year: i32,
    /// Standard rates (標準税率) and the statutory additions to the per-capita levy.
    pub rates: StandardRates,
    /// Rounding units.
    pub rounding: RoundingRules,
    /// 所得控除.
    pub deductions: DeductionRules,
    /// 調整控除.
    pub adjustment_credit: AdjustmentCreditRules,
    /// 非課税の範囲.
    pub non_taxable: NonTaxableRules,
    /// 特別税額控除 (定額減税) where a year has one.
    pub special_tax_credit: Option<SpecialTaxCreditRules>,
}

/// 標準税率 and statutory additions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardRates {
    /// 市町村民税所得割 standard rate.
    pub municipal_income_rate: RuleRate,
    /// 道府県民税所得割 standard rate.
    pub prefectural_income_rate: RuleRate,
    /// 指定都市 municipal rate.
    pub designated_municipal_income_rate: RuleRate,
    /// 指定都市 prefectural rate.
    pub designated_prefectural_income_rate: RuleRate,
    /// 市町村民税均等割 standard amount.
    pub municipal_per_capita: i64,
    /// 道府県民税均等割 standard amount.
    pub prefectural_per_capita: i64,
    /// 復興特別税: added to the municipal per-capita levy (FY2014–FY2023).
    pub reconstruction_surcharge_municipal: i64,
    /// 復興特別税: added to the prefectural per-capita levy (FY2014–FY2023).
    pub reconstruction_surcharge_prefectural: i64,
    /// 森林環境税 (national, from FY2024).
    pub forest_environment_tax: i64,
}

/// Named rounding units.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundingRules {
    /// 課税標準: truncated below this unit (1,000円).
    pub tax_base_unit: i64,
    /// 所得割額: truncated below this unit (100円).
    pub tax_amount_unit: i64,
}

/// Amounts and formulas of the income deductions (所得控除, 住民税の額).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeductionRules {
    /// 生命保険料控除.
    pub life_insurance: LifeInsuranceRules,
    /// 地震保険料控除.
    pub earthquake_insurance: EarthquakeRules,
    /// 医療費控除.
    pub medical_expenses: MedicalRules,
    /// 配偶者控除・配偶者特別控除.
    pub spouse: SpouseRules,
    /// 扶養控除.
    pub dependents: DependentRules,
    /// 特定親族特別控除 (from FY2026).
    pub specified_relative: Option<SpecifiedRelativeRules>,
    /// 障害者控除.
    pub disability: DisabilityAmounts,
    /// 寡婦控除・ひとり親控除.
    pub widow_single_parent: WidowSingleParentRules,
    /// 勤労学生控除.
    pub working_student: WorkingStudentRules,
    /// 基礎控除 by the taxpayer's total income.
    pub basic: Vec<StepRow<i64>>,
}

/// 生命保険料控除 (地方税法第314条の2第1項第5号の2).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifeInsuranceRules {
    /// Deduction by premiums for contracts from 2012 (新契約), per category.
    pub new_contract: LinearTable,
    /// Deduction by premiums for contracts until 2011 (旧契約), per category.
    pub old_contract: LinearTable,
    /// Cap per category when new and old premiums are combined.
    pub combined_category_cap: i64,
    /// Cap of the whole deduction.
    pub total_cap: i64,
}

/// 地震保険料控除.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarthquakeRules {
    /// Deduction by earthquake premiums.
    pub table: LinearTable,
}

/// 医療費控除.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MedicalRules {
    /// The threshold as a rate of total income.
    pub income_rate: RuleRate,
    /// The threshold at most.
    pub threshold_cap: i64,
    /// The deduction at most.
    pub deduction_cap: i64,
}

/// 配偶者控除・配偶者特別控除.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpouseRules {
    /// The taxpayer's total income tiers (up to each, inclusive), selecting the column.
    pub taxpayer_income_tiers: Vec<i64>,
    /// 配偶者控除 (general) by column.
    pub general: Vec<i64>,
    /// 配偶者控除 (老人控除対象配偶者) by column.
    pub elderly: Vec<i64>,
    /// The age (on 31 December) from which a spouse is elderly.
    pub elderly_from_age: u32,
    /// 配偶者特別控除 by the spouse's total income, by column.
    pub special: Vec<StepRow<Vec<i64>>>,
}

/// 扶養控除.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependentRules {
    /// The total income up to which a relative is a dependent (and a spouse
    /// is in the same livelihood, 同一生計配偶者).
    pub income_limit: i64,
    /// The age from which a dependent gives a deduction (16).
    pub deductible_from_age: u32,
    /// 一般の扶養親族.
    pub general: i64,
    /// 特定扶養親族 (ages in `specific_ages`).
    pub specific: i64,
    /// The ages (inclusive) of 特定扶養親族 (19–22).
    pub specific_ages: [u32; 2],
    /// 老人扶養親族.
    pub elderly: i64,
    /// The age from which a dependent is elderly (70).
    pub elderly_from_age: u32,
    /// 同居老親等 (a parent living with the taxpayer).
    pub elderly_parent_cohabiting: i64,
}

/// 特定親族特別控除.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecifiedRelativeRules {
    /// The ages (inclusive) of qualifying relatives.
    pub ages: [u32; 2],
    /// The deduction by the relative's total income.
    pub table: Vec<StepRow<i64>>,
}

/// Amounts by disability grade.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisabilityAmounts {
    /// 障害者.
    pub general: i64,
    /// 特別障害者.
    pub special: i64,
    /// 同居特別障害者.
    pub special_cohabiting: i64,
}

/// 寡婦控除・ひとり親控除.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WidowSingleParentRules {
    /// 寡婦控除.
    pub widow: i64,
    /// ひとり親控除.
    pub single_parent: i64,
    /// The taxpayer's total income up to which either applies.
    pub income_limit: i64,
}

/// 勤労学生控除.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingStudentRules {
    /// The deduction.
    pub amount: i64,
    /// The total income up to which it applies.
    pub income_limit: i64,
    /// Income other than employment income up to which it applies.
    pub other_income_limit: i64,
}

/// 調整控除 (地方税法第37条・第314条の6).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentCreditRules {
    /// Municipal rate applied to the base.
    pub municipal_rate: RuleRate,
    /// Prefectural rate applied to the base.
    pub prefectural_rate: RuleRate,
    /// 指定都市 municipal rate.
    pub designated_municipal_rate: RuleRate,
    /// 指定都市 prefectural rate.
    pub designated_prefectural_rate: RuleRate,
    /// The tax base up to which the first form applies (2,000,000円).
    pub tax_base_threshold: i64,
    /// The least base in the second form (50,000円).
    pub minimum_base: i64,
    /// The taxpayer's total income above which there is no credit.
    pub taxpayer_income_limit: i64,
    /// 人的控除額の差.
    pub differences: PersonalDifferences,
}

/// 人的控除額の差: what the income tax deduction exceeds the resident tax one by.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalDifferences {
    /// 基礎控除.
    pub basic: i64,
    /// 配偶者控除 (general) by column.
    pub spouse_general: Vec<i64>,
    /// 配偶者控除 (elderly) by column.
    pub spouse_elderly: Vec<i64>,
    /// 配偶者特別控除 by the spouse's total income, by column.
    pub spouse_special: Vec<StepRow<Vec<i64>>>,
    /// 一般の扶養親族.
    pub dependent_general: i64,
    /// 特定扶養親族.
    pub dependent_specific: i64,
    /// 老人扶養親族.
    pub dependent_elderly: i64,
    /// 同居老親等.
    pub dependent_elderly_parent_cohabiting: i64,
    /// 特定親族特別控除.
    pub specified_relative: i64,
    /// 障害者控除.
    pub disability: DisabilityAmounts,
    /// 寡婦控除.
    pub widow: i64,
    /// ひとり親控除 (mother).
    pub single_parent_mother: i64,
    /// ひとり親控除 (father).
    pub single_parent_father: i64,
    /// 勤労学生控除.
    pub working_student: i64,
}

/// 非課税の範囲 (地方税法第24条の5・第295条、附則第3条の3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NonTaxableRules {
    /// 均等割 non-taxable limit by 級地 (index 0 = 1級地).
    pub per_capita_by_grade: Vec<PerCapitaLimit>,
    /// The fixed amount added to both limits (10万円).
    pub fixed_addition: i64,
    /// 所得割: amount per person (本人・同一生計配偶者・扶養親族).
    pub income_levy_per_person: i64,
    /// 所得割: addition when there is a spouse or dependent.
    pub income_levy_dependent_addition: i64,
    /// 障害者・未成年者・寡婦・ひとり親: total income up to which nothing is levied.
    pub special_income_limit: i64,
    /// A taxpayer younger than this on 1 January (賦課期日) is a minor.
    pub minor_age_below: u32,
}

/// 均等割 non-taxable limit of one 級地.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerCapitaLimit {
    /// Amount per person.
    pub per_person: i64,
    /// Addition when there is a spouse or dependent.
    pub dependent_addition: i64,
}

/// 特別税額控除 (定額減税) of one fiscal year.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialTaxCreditRules {
    /// Amount per person counted.
    pub per_person: i64,
    /// The taxpayer's total income up to which it applies.
    pub taxpayer_income_limit: i64,
    /// Whether the taxpayer counts.
    pub count_taxpayer: bool,
    /// Whether a 控除対象配偶者 counts.
    pub count_deductible_spouse: bool,
    /// Whether each 扶養親族 (including those under 16) counts.
    pub count_dependents: bool,
    /// Whether a 同一生計配偶者 who is not a 控除対象配偶者 counts.
    pub count_non_deductible_spouse: bool,
}

impl Validate for ResidentTaxRules {
    fn validate(&self) -> Result<(), String> {
        let d = &self.deductions;
        check_contiguous(
            "deductions.life_insurance.new_contract",
            &d.life_insurance.new_contract,
            0,
        )?;
        check_contiguous(
            "deductions.life_insurance.old_contract",
            &d.life_insurance.old_contract,
            0,
        )?;
        check_contiguous(
            "deductions.earthquake_insurance.table",
            &d.earthquake_insurance.table,
            0,
        )?;
        check_steps("deductions.basic", &d.basic)?;
        check_steps("deductions.spouse.special", &d.spouse.special)?;
        let columns = d.spouse.taxpayer_income_tiers.len();
        if columns == 0 || !d.spouse.taxpayer_income_tiers.is_sorted() {
            return Err(
                "deductions.spouse.taxpayer_income_tiers: 昇順の1つ以上の値が必要です".into(),
            );
        }
        let same_width = |name: &str, v: &[i64]| {
            if v.len() == columns {
                Ok(())
            } else {
                Err(format!(
                    "{name}: 列の数が taxpayer_income_tiers と一致しません"
                ))
            }
        };
        same_width("deductions.spouse.general", &d.spouse.general)?;
        same_width("deductions.spouse.elderly", &d.spouse.elderly)?;
        for row in &d.spouse.special {
            same_width("deductions.spouse.special", &row.value)?;
        }
        if d.spouse.special.first().and_then(|r| r.over) != Some(d.dependents.income_limit) {
            return Err("deductions.spouse.special: 最初の行は扶養の所得要件（income_limit）を超える額から始まる必要があります".into());
        }
        if let Some(relative) = &d.specified_relative {
            check_steps("deductions.specified_relative.table", &relative.table)?;
            if relative.table.first().and_then(|r| r.over) != Some(d.dependents.income_limit) {
                return Err("deductions.specified_relative.table: 最初の行は income_limit を超える額から始まる必要があります".into());
            }
        }
        let diffs = &self.adjustment_credit.differences;
        check_steps(
            "adjustment_credit.differences.spouse_special",
            &diffs.spouse_special,
        )?;
        same_width(
            "adjustment_credit.differences.spouse_general",
            &diffs.spouse_general,
        )?;
        same_width(
            "adjustment_credit.differences.spouse_elderly",
            &diffs.spouse_elderly,
        )?;
        for row in &diffs.spouse_special {
            same_width("adjustment_credit.differences.spouse_special", &row.value)?;
        }
        if self.non_taxable.per_capita_by_grade.len() != 3 {
            return Err(
                "non_taxable.per_capita_by_grade: 1級地から3級地までの3つが必要です".into(),
            );
        }
        if self.rounding.tax_base_unit < 1 || self.rounding.tax_amount_unit < 1 {
            return Err("rounding: 単位は1以上です".into());
        }
        Ok(())
    }
}

/// Every resident-tax rule file, by fiscal year.
pub static RESIDENT_TAX_RULES: RuleBook<ResidentTaxRules> = RuleBook::new(
    "resident_tax",
    &[
        (2021, include_str!("../../../rules/resident_tax/2021.toml")),
        (2022, include_str!("../../../rules/resident_tax/2022.toml")),
        (2023, include_str!("../../../rules/resident_tax/2023.toml")),
        (2024, include_str!("../../../rules/resident_tax/2024.toml")),
        (2025, include_str!("../../../rules/resident_tax/2025.toml")),
        (2026, include_str!("../../../rules/resident_tax/2026.toml")),
    ],
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_and_validates() {
        assert_eq!(RESIDENT_TAX_RULES.check(), Ok(()));
        for year in RESIDENT_TAX_RULES.years() {
            let rules = RESIDENT_TAX_RULES.for_year(year);
            assert_eq!(rules.map(|r| r.fiscal_year).ok(), Some(year));
        }
    }
}
