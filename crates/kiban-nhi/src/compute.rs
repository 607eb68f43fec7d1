//! The calculation: incomes, the reduction judgement, then each part.

use kiban_core::working::Working;
use kiban_core::{Date, Rate, Yen, age_on, school_entry_date};
use kiban_income::display::{Thousands, YenJa};
use kiban_income::values::find_step;
use kiban_income::{BirthOrAge, ChildCareAdjustment};

use crate::{
    LocalReduction, MemberStatus, NHI_RULES, NhiError, NhiInput, NhiRules, NhiTax, Part, PartRates,
    PartTax, Reduction,
};

/// What the parts need to know about one insured member.
struct Insured {
    /// 1-based position in the household, for the working.
    number: usize,
    /// Age on 1 April of the fiscal year (賦課期日).
    age_at_start: u32,
    /// 旧ただし書所得.
    income_base: Yen,
    /// Before school entry for the whole year (未就学児).
    preschool: bool,
    /// Within the child-support per-capita exemption for the whole year.
    child_support_exempt: bool,
}

/// Calculates the NHI tax of one household for one fiscal year.
pub fn calculate(input: &NhiInput) -> Result<NhiTax, NhiError> {
    let fiscal_year = input.fiscal_year;
    let rules = NHI_RULES.for_year(fiscal_year.start_year())?;
    let income_rules = kiban_income::rules_for(fiscal_year)?;
    for (part, _) in &input.rates {
        if *part == Part::ChildSupport && rules.child_support.is_none() {
            return Err(NhiError::PartNotInYear(part.key()));
        }
    }
    if !input
        .members
        .iter()
        .any(|m| m.status == MemberStatus::Insured)
    {
        return Err(NhiError::NoInsuredMember);
    }
    let year_end = kiban_income::income_year_end(fiscal_year);
    let start = fiscal_year.first_day();
    let mut w = Working::new();
    let red = &rules.reduction;

    let mut judgement_income = Yen::ZERO;
    let mut judgement_parts: Vec<String> = Vec::new();
    let mut earners = 0i64;
    let mut counted_insured = 0i64;
    let mut insured: Vec<Insured> = Vec::new();
    for (i, member) in input.members.iter().enumerate() {
        let number = i + 1;
        let who = if i == 0 {
            "世帯主".to_owned()
        } else {
            format!("世帯員{number}")
        };
        let counted = i == 0 || member.status != MemberStatus::NotInsured;
        if !counted {
            w.record(
                format!("{who}（被保険者以外）"),
                Yen::ZERO,
                "世帯主・被保険者・特定同一世帯所属者ではないため計算に含めません",
            );
            continue;
        }
        let age_ye = member.age.age_on(year_end);
        let mut scratch = Working::new();
        let income = income_rules.compute(
            &member.revenues,
            age_ye,
            ChildCareAdjustment::DoesNotApply,
            &mut scratch,
        );
        let status = match member.status {
            MemberStatus::Insured => "被保険者",
            MemberStatus::NotInsured => "被保険者でない世帯主",
            MemberStatus::TransferredToLateElderly => "特定同一世帯所属者",
        };
        let summary = scratch
            .steps()
            .iter()
            .map(|s| format!("{} {}", s.step, s.amount.ja()))
            .collect::<Vec<_>>()
            .join("、");
        w.record(
            format!("{who}の総所得金額等"),
            income.total_income,
            format!("{status}、{age_ye}歳（前年12月31日）: {summary}"),
        );

        // Reduction judgement: 65+ pension income less up to 150,000.
        let special = if age_ye >= red.pension_special_from_age {
            income
                .pension_income
                .min(Yen::new(red.pension_special_deduction))
        } else {
            Yen::ZERO
        };
        let judged = (income.total_income - special).at_least_zero();
        judgement_income += judged;
        if special > Yen::ZERO {
            judgement_parts.push(format!(
                "{who} {}（公的年金等所得から{}控除）",
                judged.ja(),
                special.ja()
            ));
        } else {
            judgement_parts.push(format!("{who} {}", judged.ja()));
        }
        let pension_threshold = if age_ye >= red.pension_special_from_age {
            red.earner_pension_over_from_65
        } else {
            red.earner_pension_over_under_65
        };
        if member.revenues.salary_revenue.get() > red.earner_salary_over
            || member.revenues.public_pension_revenue.get() > pension_threshold
        {
            earners += 1;
        }
        if member.status != MemberStatus::NotInsured {
            counted_insured += 1;
        }

        if member.status == MemberStatus::Insured {
            let basic = find_step(&rules.income_base.basic_deduction, income.total_income)
                .map_or(Yen::ZERO, |row| Yen::new(row.value));
            let income_base = w.record(
                format!("{who}の所得割の算定基礎（旧ただし書所得）"),
                (income.total_income - basic).at_least_zero(),
                format!(
                    "総所得金額等 {} − 基礎控除 {}",
                    income.total_income.ja(),
                    basic.ja()
                ),
            );
            insured.push(Insured {
                number,
                age_at_start: member.age.age_on(start),
                income_base,
                preschool: rules.preschool.is_some() && preschool_all_year(member.age, start),
                child_support_exempt: rules
                    .child_support
                    .as_ref()
                    .is_some_and(|c| child_support_exempt(member.age, start, c.exempt_until_age)),
            });
        }
    }

    let seventy_limit = Yen::new(red.base + red.per_earner * (earners - 1).max(0));
    let fifty_limit = seventy_limit + Yen::new(red.fifty_per_insured * counted_insured);
    let twenty_limit = seventy_limit + Yen::new(red.twenty_per_insured * counted_insured);
    let (reduction, ratio, label) = if judgement_income <= seventy_limit {
        (Reduction::Seventy, red.seventy_ratio.rate(), "7割軽減")
    } else if judgement_income <= fifty_limit {
        (Reduction::Fifty, red.fifty_ratio.rate(), "5割軽減")
    } else if judgement_income <= twenty_limit {
        (Reduction::Twenty, red.twenty_ratio.rate(), "2割軽減")
    } else {
        (Reduction::None, Rate::ZERO, "軽減なし")
    };
    w.record(
        "軽減判定所得",
        judgement_income,
        judgement_parts.join(" + "),
    );
    w.record(
        format!("法定軽減（{label}）"),
        judgement_income,
        format!(
            "7割 {}円以下（43万円 + 10万円 × (給与所得者等{}人 − 1)）、5割 {}円以下（+ {}円 × {}人）、2割 {}円以下（+ {}円 × {}人）",
            Thousands(seventy_limit.get()),
            earners,
            Thousands(fifty_limit.get()),
            Thousands(red.fifty_per_insured),
            counted_insured,
            Thousands(twenty_limit.get()),
            Thousands(red.twenty_per_insured),
            counted_insured
        ),
    );

    let keep = ratio.complement();
    let mut parts = Vec::new();
    let mut total = Yen::ZERO;
    for part in Part::ALL {
        if part == Part::ChildSupport && rules.child_support.is_none() {
            continue;
        }
        let rates = input
            .rates
            .iter()
            .find(|(p, _)| *p == part)
            .map(|(_, r)| *r);
        let tax = match rates {
            Some(rates) => part_tax(rules, input, part, &rates, &insured, keep, &mut w),
            None => PartTax::default(),
        };
        total += tax.total;
        parts.push((part, tax));
    }
    w.record(
        "国民健康保険税（年税額）",
        total,
        parts
            .iter()
            .map(|(p, t)| format!("{} {}", p.name_ja(), t.total.ja()))
            .collect::<Vec<_>>()
            .join(" + "),
    );
    Ok(NhiTax {
        fiscal_year,
        reduction,
        parts,
        total,
        working: w,
    })
}

/// Whether a child is before school entry throughout the fiscal year that
/// starts on `start` (6歳に達する日以後の最初の3月31日以前). With only an age
/// (on 31 December of the income year), children aged 5 or under count.
fn preschool_all_year(age: BirthOrAge, start: Date) -> bool {
    match age {
        BirthOrAge::BirthDate(birth) => school_entry_date(birth).is_ok_and(|entry| entry > start),
        BirthOrAge::Age(a) => a <= 5,
    }
}

/// Whether a member is within the child-support per-capita exemption
/// (18歳に達する日以後の最初の3月31日以前) throughout the fiscal year: not yet
/// 18 on the 31 March before it. With only an age (on 31 December of the
/// income year), members aged 17 or under count.
fn child_support_exempt(age: BirthOrAge, start: Date, until: u32) -> bool {
    match age {
        BirthOrAge::BirthDate(birth) => start
            .yesterday()
            .is_ok_and(|march_31| age_on(birth, march_31) < until),
        BirthOrAge::Age(a) => a < until,
    }
}

/// `⌊amount × a × b / divisor⌋`, exact for rates of up to six decimals.
fn apply_two(amount: Yen, a: Rate, b: Rate, divisor: i64) -> Yen {
    const SCALE: i64 = 1_000_000;
    let scaled = a.apply_truncating(Yen::new(amount.get().saturating_mul(SCALE)));
    let scaled = b.apply_truncating(scaled);
    Yen::new(scaled.get() / (SCALE * divisor))
}

fn part_tax(
    rules: &NhiRules,
    input: &NhiInput,
    part: Part,
    rates: &PartRates,
    insured: &[Insured],
    keep: Rate,
    w: &mut Working,
) -> PartTax {
    let name = part.name_ja();
    let care = &rules.care_support;
    let subjects: Vec<&Insured> = insured
        .iter()
        .filter(|m| {
            part != Part::CareSupport || (care.from_age..=care.to_age).contains(&m.age_at_start)
        })
        .collect();
    if subjects.is_empty() {
        w.record(
            name,
            Yen::ZERO,
            "対象となる被保険者がいません（介護納付金分は40歳以上65歳未満）",
        );
        return PartTax::default();
    }
    let mut tax = PartTax::default();

    let base: Yen = subjects.iter().map(|m| m.income_base).sum();
    tax.income_based = rates.income_rate.apply_truncating(base);
    w.record(
        format!("{name} 所得割額"),
        tax.income_based,
        format!("算定基礎 {} × {}", base.ja(), rates.income_rate.percent()),
    );
    if !rates.asset_rate.is_zero() {
        tax.asset_based = rates.asset_rate.apply_truncating(input.fixed_asset_tax);
        w.record(
            format!("{name} 資産割額"),
            tax.asset_based,
            format!(
                "固定資産税額 {} × {}",
                input.fixed_asset_tax.ja(),
                rates.asset_rate.percent()
            ),
        );
    }

    // Per-capita units: 2 per member, 1 for a preschool child (half), 0 when exempt.
    let units = |m: &Insured| -> i64 {
        if part == Part::ChildSupport && m.child_support_exempt {
            0
        } else if m.preschool {
            1
        } else {
            2
        }
    };
    let total_units: i64 = subjects.iter().map(|m| units(m)).sum();
    let full = Yen::new(rates.per_capita.get() * total_units);
    tax.per_capita = Yen::new(keep.apply_truncating(full).get() / 2);
    let preschool = subjects.iter().filter(|m| units(m) == 1).count();
    let exempt = subjects.iter().filter(|m| units(m) == 0).count();
    let mut notes = Vec::new();
    if preschool > 0 {
        notes.push(format!("未就学児{preschool}人は5割"));
    }
    if exempt > 0 {
        notes.push(format!("18歳以下{exempt}人は全額軽減"));
    }
    w.record(
        format!("{name} 均等割額"),
        tax.per_capita,
        format!(
            "{} × {}人 × {}（法定軽減後）{}",
            rates.per_capita.ja(),
            subjects.len(),
            keep.percent(),
            if notes.is_empty() {
                String::new()
            } else {
                format!("、{}", notes.join("、"))
            }
        ),
    );
    tax.per_household = w.record(
        format!("{name} 平等割額"),
        keep.apply_truncating(rates.per_household),
        format!(
            "{} × {}（法定軽減後）",
            rates.per_household.ja(),
            keep.percent()
        ),
    );

    for reduction in &input.local_reductions {
        match reduction {
            LocalReduction::PerCapitaForChildren {
                parts,
                max_age,
                ratio,
            } if parts.contains(&part) => {
                let children: Vec<&&Insured> = subjects
                    .iter()
                    .filter(|m| m.age_at_start <= *max_age)
                    .collect();
                let child_units: i64 = children.iter().map(|m| units(m)).sum();
                if child_units == 0 {
                    continue;
                }
                let amount = apply_two(
                    Yen::new(rates.per_capita.get() * child_units),
                    keep,
                    *ratio,
                    2,
                );
                tax.local_reduction = (tax.local_reduction + amount).min(tax.per_capita);
                w.record(
                    format!("{name} 減免額（子どもの均等割）"),
                    amount,
                    format!(
                        "{}歳以下の被保険者（{}）の均等割額（法定軽減後）× {}",
                        max_age,
                        children
                            .iter()
                            .map(|m| format!("世帯員{}", m.number))
                            .collect::<Vec<_>>()
                            .join("・"),
                        ratio.percent()
                    ),
                );
            }
            LocalReduction::PerCapitaForChildren { .. } => {}
        }
    }

    let statutory_cap = match part {
        Part::Medical => rules.annual_caps.medical,
        Part::ElderlySupport => rules.annual_caps.elderly_support,
        Part::CareSupport => rules.annual_caps.care_support,
        Part::ChildSupport => rules.annual_caps.child_support.unwrap_or(0),
    };
    let cap = rates.annual_cap.unwrap_or(Yen::new(statutory_cap));
    let sum = tax.income_based + tax.asset_based + tax.per_capita + tax.per_household
        - tax.local_reduction;
    let truncated = sum.at_least_zero().truncate_to(100);
    tax.total = w.record(
        format!("{name} 合計"),
        truncated.min(cap),
        format!(
            "{}（100円未満切捨て）{}、課税限度額 {}",
            sum.ja(),
            if truncated > cap {
                " → 限度額を適用"
            } else {
                ""
            },
            cap.ja()
        ),
    );
    tax
}
