//! 所得の計算 (income computation): employment income (給与所得), public
//! pension income (公的年金等に係る雑所得) and total income (合計所得金額),
//! from dated rule data.
//!
//! Resident tax and NHI tax of fiscal year N are both assessed on the income
//! of calendar year N−1; the rule files under `rules/income/` are named by
//! that fiscal year and each states its income year. Nothing in this crate
//! does IO.

pub mod display;
pub mod record_format;
pub mod rules;
pub mod values;

use kiban_core::working::Working;

use crate::display::{Thousands, YenJa};
use kiban_core::{Date, FiscalYear, Yen, age_on};
use kiban_rules::RuleError;

pub use rules::{INCOME_RULES, IncomeRules, PensionAgeGroup};

/// The income rules used by the assessments of `fiscal_year`.
pub fn rules_for(fiscal_year: FiscalYear) -> Result<&'static IncomeRules, RuleError> {
    INCOME_RULES.for_year(fiscal_year.start_year())
}

/// 31 December of the income year used by the assessments of `fiscal_year`
/// (the date on which ages are taken for deductions).
pub fn income_year_end(fiscal_year: FiscalYear) -> Date {
    Date::new((fiscal_year.start_year() - 1) as i16, 12, 31).unwrap_or(Date::MIN)
}

/// A person's age as given: a birth date (exact on any date) or an age on
/// the reference date of the calculation (31 December of the income year for
/// taxes), which is used as is for any other date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BirthOrAge {
    /// 生年月日.
    BirthDate(Date),
    /// 年齢 on the reference date.
    Age(u32),
}

impl BirthOrAge {
    /// The age on `day` (年齢計算ニ関スル法律), or the given age.
    pub fn age_on(self, day: Date) -> u32 {
        match self {
            BirthOrAge::BirthDate(birth) => age_on(birth, day),
            BirthOrAge::Age(age) => age,
        }
    }

    /// The birth date, when known.
    pub fn birth_date(self) -> Option<Date> {
        match self {
            BirthOrAge::BirthDate(birth) => Some(birth),
            BirthOrAge::Age(_) => None,
        }
    }
}

/// A person's revenues and incomes of one year, as declared (収入・所得).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Revenues {
    /// 給与収入 (employment revenue).
    pub salary_revenue: Yen,
    /// 公的年金等の収入金額 (public pension revenue).
    pub public_pension_revenue: Yen,
    /// 事業所得 (business income, after expenses).
    pub business_income: Yen,
    /// 不動産所得 (real-estate income).
    pub real_estate_income: Yen,
    /// 公的年金等以外の雑所得 (other miscellaneous income).
    pub misc_income: Yen,
}

/// Whether the child-care/disability form of the 所得金額調整控除 applies:
/// the taxpayer is a special disabled person, or has a dependent younger
/// than 23 or a special disabled spouse or dependent in the same livelihood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildCareAdjustment {
    /// The conditions are met.
    Applies,
    /// They are not (or are not known).
    DoesNotApply,
}

/// The income of one person for one year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Income {
    /// 給与所得 before the 所得金額調整控除.
    pub employment_income_before_adjustment: Yen,
    /// 所得金額調整控除.
    pub income_adjustment_deduction: Yen,
    /// 給与所得 (after the 所得金額調整控除).
    pub employment_income: Yen,
    /// 公的年金等に係る雑所得.
    pub pension_income: Yen,
    /// 事業所得.
    pub business_income: Yen,
    /// 不動産所得.
    pub real_estate_income: Yen,
    /// 公的年金等以外の雑所得.
    pub misc_income: Yen,
    /// 合計所得金額 (also 総所得金額等 here: no separately taxed income and
    /// no carried-forward losses are handled).
    pub total_income: Yen,
}

impl IncomeRules {
    /// 給与所得 for a salary revenue, with the formula used.
    pub fn employment_income(&self, revenue: Yen) -> (Yen, String) {
        match values::find_row(&self.employment.income_table, revenue) {
            Some(row) => (row.apply(revenue), row.describe(revenue)),
            None => (Yen::ZERO, String::new()),
        }
    }

    /// The pension age group of a person aged `age` on 31 December.
    pub fn pension_age_group(&self, age_at_year_end: u32) -> PensionAgeGroup {
        if age_at_year_end >= self.pension.older_from_age {
            PensionAgeGroup::From65
        } else {
            PensionAgeGroup::Under65
        }
    }

    /// 公的年金等に係る雑所得 for a pension revenue, by age group and other
    /// income (公的年金等に係る雑所得以外の合計所得金額), with the formula used.
    pub fn pension_income(
        &self,
        revenue: Yen,
        age_group: PensionAgeGroup,
        other_income: Yen,
    ) -> (Yen, String) {
        let table = self
            .pension
            .tables
            .iter()
            .filter(|t| t.age_group == age_group)
            .find(|t| {
                t.other_income_up_to
                    .is_none_or(|cap| other_income.get() <= cap)
            });
        match table.and_then(|t| values::find_row(&t.rows, revenue)) {
            Some(row) => (row.apply(revenue), row.describe(revenue)),
            None => (Yen::ZERO, String::new()),
        }
    }

    /// Computes a person's income, recording each step in `working`.
    pub fn compute(
        &self,
        revenues: &Revenues,
        age_at_year_end: u32,
        child_care: ChildCareAdjustment,
        working: &mut Working,
    ) -> Income {
        let salary = revenues.salary_revenue;
        let (employment_before, formula) = self.employment_income(salary);
        if salary > Yen::ZERO {
            working.record(
                "給与所得（所得金額調整控除前）",
                employment_before,
                format!(
                    "給与収入 {} → {}（給与所得控除の最低保障額 {}円、所得税法別表第五）",
                    salary.ja(),
                    formula,
                    Thousands(self.employment.minimum_deduction)
                ),
            );
        }

        let others = revenues.business_income + revenues.real_estate_income + revenues.misc_income;
        let age_group = self.pension_age_group(age_at_year_end);
        let pension_revenue = revenues.public_pension_revenue;
        let (pension_income, pension_formula) =
            self.pension_income(pension_revenue, age_group, employment_before + others);
        if pension_revenue > Yen::ZERO {
            let group = match age_group {
                PensionAgeGroup::From65 => "65歳以上",
                PensionAgeGroup::Under65 => "65歳未満",
            };
            working.record(
                "公的年金等に係る雑所得",
                pension_income,
                format!(
                    "公的年金等収入 {} → {}（{}、12月31日現在{}歳）",
                    pension_revenue.ja(),
                    pension_formula,
                    group,
                    age_at_year_end
                ),
            );
        }

        let adjustment =
            self.income_adjustment(salary, employment_before, pension_income, child_care);
        if adjustment > Yen::ZERO {
            working.record(
                "所得金額調整控除",
                adjustment,
                "租税特別措置法第41条の3の3（子ども・特別障害者等を有する者等、又は給与所得と年金所得の双方を有する者）",
            );
        }
        let employment_income = (employment_before - adjustment).at_least_zero();
        if salary > Yen::ZERO {
            working.record(
                "給与所得",
                employment_income,
                format!(
                    "{} − 所得金額調整控除 {}",
                    employment_before.ja(),
                    adjustment.ja()
                ),
            );
        }

        let total = employment_income + pension_income + others;
        working.record(
            "合計所得金額",
            total,
            format!(
                "給与所得 {} + 公的年金等に係る雑所得 {} + 事業所得 {} + 不動産所得 {} + その他の雑所得 {}",
                employment_income.ja(),
                pension_income.ja(),
                revenues.business_income.ja(),
                revenues.real_estate_income.ja(),
                revenues.misc_income.ja()
            ),
        );
        Income {
            employment_income_before_adjustment: employment_before,
            income_adjustment_deduction: adjustment,
            employment_income,
            pension_income,
            business_income: revenues.business_income,
            real_estate_income: revenues.real_estate_income,
            misc_income: revenues.misc_income,
            total_income: total,
        }
    }

    /// 所得金額調整控除: the child-care/disability form on salary revenue
    /// over 8,500,000円, plus the form for people with both employment and
    /// pension income.
    fn income_adjustment(
        &self,
        salary: Yen,
        employment_income: Yen,
        pension_income: Yen,
        child_care: ChildCareAdjustment,
    ) -> Yen {
        let rules = &self.income_adjustment;
        let mut adjustment = Yen::ZERO;
        if child_care == ChildCareAdjustment::Applies && salary.get() > rules.salary_over {
            let excess = salary.min(Yen::new(rules.salary_cap)) - Yen::new(rules.salary_over);
            adjustment += rules.rate.rate().apply_rounding_up(excess);
        }
        let employment_left = (employment_income - adjustment).at_least_zero();
        if employment_left > Yen::ZERO && pension_income > Yen::ZERO {
            let cap = Yen::new(rules.combined_each_cap);
            let combined = employment_left.min(cap) + pension_income.min(cap)
                - Yen::new(rules.combined_threshold);
            adjustment += combined.at_least_zero();
        }
        adjustment.min(employment_income)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn income_year_end_is_the_last_day_of_the_previous_year() {
        let fy = FiscalYear::new(2026).map(income_year_end).ok();
        assert_eq!(fy.map(|d| d.to_string()), Some("2025-12-31".to_owned()));
    }
}
