//! The calculation, step by step in the order of the statute.

use kiban_core::working::Working;
use kiban_core::{Rate, Yen};
use kiban_income::display::{Thousands, YenJa};
use kiban_income::values::{find_row, find_step};
use kiban_income::{ChildCareAdjustment, Income};

use crate::rules::{LifeInsuranceRules, ResidentTaxRules};
use crate::{
    CityKind, DeductionClaims, Deductions, DependentRelation, Disability, LocalRates, NonTaxable,
    PartTax, RESIDENT_TAX_RULES, ResidentTax, ResidentTaxError, ResidentTaxInput,
    WidowOrSingleParent,
};

/// How a spouse or relative counts, decided once and used by the deductions,
/// the 人的控除額の差, the non-taxable limits and the special credit.
struct Household {
    /// Column of the spouse tables by the taxpayer's income (None above 10M).
    spouse_column: Option<usize>,
    /// Whether the spouse is a 同一生計配偶者 (income within the dependent limit).
    spouse_same_livelihood: bool,
    /// Number of 扶養親族 (including those under 16).
    dependents_in_limit: usize,
}

/// Calculates the resident tax of one taxpayer.
pub fn calculate(input: &ResidentTaxInput) -> Result<ResidentTax, ResidentTaxError> {
    let fiscal_year = input.fiscal_year;
    let rules = RESIDENT_TAX_RULES.for_year(fiscal_year.start_year())?;
    let income_rules = kiban_income::rules_for(fiscal_year)?;
    let year_end = kiban_income::income_year_end(fiscal_year);
    let limit = Yen::new(rules.deductions.dependents.income_limit);
    let mut working = Working::new();

    let taxpayer_age = input.taxpayer.age.age_on(year_end);
    let spouse_same_livelihood = input.spouse.filter(|s| s.total_income <= limit);
    let in_limit = |total: Yen| total <= limit;
    let child_care = {
        let adj = &income_rules.income_adjustment;
        let special =
            |d: Disability| matches!(d, Disability::Special | Disability::SpecialCohabiting);
        let applies = special(input.taxpayer.claims.disability)
            || spouse_same_livelihood.is_some_and(|s| special(s.disability))
            || input.dependents.iter().any(|d| {
                in_limit(d.total_income)
                    && (d.age.age_on(year_end) < adj.dependent_age_below || special(d.disability))
            });
        if applies {
            ChildCareAdjustment::Applies
        } else {
            ChildCareAdjustment::DoesNotApply
        }
    };
    let income = income_rules.compute(
        &input.taxpayer.revenues,
        taxpayer_age,
        child_care,
        &mut working,
    );
    let total_income = income.total_income;

    let tiers = &rules.deductions.spouse.taxpayer_income_tiers;
    let household = Household {
        spouse_column: tiers.iter().position(|t| total_income.get() <= *t),
        spouse_same_livelihood: spouse_same_livelihood.is_some(),
        dependents_in_limit: input
            .dependents
            .iter()
            .filter(|d| in_limit(d.total_income))
            .count(),
    };

    let (deductions, differences) = deductions(rules, input, &income, &household, &mut working);
    let unit = rules.rounding.tax_base_unit;
    let tax_base = working.record(
        "課税標準（課税総所得金額）",
        (total_income - deductions.total)
            .at_least_zero()
            .truncate_to(unit),
        format!(
            "合計所得金額 {} − 所得控除 {}（{}円未満切捨て）",
            total_income.ja(),
            deductions.total.ja(),
            Thousands(unit)
        ),
    );

    let non_taxable = non_taxable(rules, input, total_income, &household, &mut working);
    let city = city_kind(rules, &input.rates);
    let std = &rules.rates;
    let (std_m, std_p) = match city {
        CityKind::Ordinary => (std.municipal_income_rate, std.prefectural_income_rate),
        CityKind::Designated => (
            std.designated_municipal_income_rate,
            std.designated_prefectural_income_rate,
        ),
    };
    let m_rate = input.rates.municipal_income_rate.unwrap_or(std_m.rate());
    let p_rate = input.rates.prefectural_income_rate.unwrap_or(std_p.rate());

    let mut municipal = PartTax::default();
    let mut prefectural = PartTax::default();
    let has_special_tax_credit = rules.special_tax_credit.is_some();
    if non_taxable == NonTaxable::None {
        income_levies(
            rules,
            &Levy {
                city,
                m_rate,
                p_rate,
                tax_base,
                total_income,
                household: &household,
                differences,
            },
            (&mut municipal, &mut prefectural),
            &mut working,
        );
    } else {
        working.record("所得割額", Yen::ZERO, "所得割は非課税");
    }

    let mut forest = Yen::ZERO;
    if non_taxable != NonTaxable::All {
        let m_own = input
            .rates
            .municipal_per_capita
            .unwrap_or(Yen::new(std.municipal_per_capita));
        let p_own = input
            .rates
            .prefectural_per_capita
            .unwrap_or(Yen::new(std.prefectural_per_capita));
        let m_add = Yen::new(std.reconstruction_surcharge_municipal);
        let p_add = Yen::new(std.reconstruction_surcharge_prefectural);
        municipal.per_capita_levy = working.record(
            "市町村民税均等割額",
            m_own + m_add,
            per_capita_basis(m_own, m_add),
        );
        prefectural.per_capita_levy = working.record(
            "道府県民税均等割額",
            p_own + p_add,
            per_capita_basis(p_own, p_add),
        );
        forest = Yen::new(std.forest_environment_tax);
        if forest > Yen::ZERO {
            working.record("森林環境税", forest, "国税、均等割と併せて課税（年額）");
        }
    } else {
        working.record(
            "均等割額",
            Yen::ZERO,
            "均等割・所得割とも非課税（森林環境税も課税されません）",
        );
    }

    let total = municipal.income_levy
        + municipal.per_capita_levy
        + prefectural.income_levy
        + prefectural.per_capita_levy
        + forest;
    working.record(
        "年税額",
        total,
        format!(
            "市町村民税 {} + 道府県民税 {} + 森林環境税 {}",
            (municipal.income_levy + municipal.per_capita_levy).ja(),
            (prefectural.income_levy + prefectural.per_capita_levy).ja(),
            forest.ja()
        ),
    );

    Ok(ResidentTax {
        fiscal_year,
        income,
        deductions,
        tax_base,
        non_taxable,
        municipal,
        prefectural,
        forest_environment_tax: forest,
        total,
        has_special_tax_credit,
        working,
    })
}

fn per_capita_basis(own: Yen, surcharge: Yen) -> String {
    if surcharge > Yen::ZERO {
        format!(
            "{} + 復興のための加算 {}（令和5年度まで）",
            own.ja(),
            surcharge.ja()
        )
    } else {
        format!("{}（年額）", own.ja())
    }
}

/// The designated-city status: as given, or inferred from the rates.
fn city_kind(rules: &ResidentTaxRules, rates: &LocalRates) -> CityKind {
    if let Some(kind) = rates.city_kind {
        return kind;
    }
    let probe = Yen::new(1_000_000_000_000);
    let m = rates
        .municipal_income_rate
        .unwrap_or(rules.rates.municipal_income_rate.rate())
        .apply_truncating(probe);
    let p = rates
        .prefectural_income_rate
        .unwrap_or(rules.rates.prefectural_income_rate.rate())
        .apply_truncating(probe);
    if m.get() > 2 * p.get() {
        CityKind::Designated
    } else {
        CityKind::Ordinary
    }
}

fn disability_name(d: Disability) -> &'static str {
    match d {
        Disability::None => "",
        Disability::General => "障害者",
        Disability::Special => "特別障害者",
        Disability::SpecialCohabiting => "同居特別障害者",
    }
}

/// The income deductions and the sum of 人的控除額の差.
fn deductions(
    rules: &ResidentTaxRules,
    input: &ResidentTaxInput,
    income: &Income,
    household: &Household,
    w: &mut Working,
) -> (Deductions, Yen) {
    let d = &rules.deductions;
    let diffs = &rules.adjustment_credit.differences;
    let year_end = kiban_income::income_year_end(input.fiscal_year);
    let total_income = income.total_income;
    let claims: &DeductionClaims = &input.taxpayer.claims;
    let mut out = Deductions::default();
    let mut diff = Yen::ZERO;
    let mut diff_parts: Vec<String> = Vec::new();
    let mut add_diff = |amount: i64, what: &str| {
        if amount > 0 {
            diff += Yen::new(amount);
            diff_parts.push(format!("{what} {}円", Thousands(amount)));
        }
    };

    out.social_insurance = claims.social_insurance;
    if out.social_insurance > Yen::ZERO {
        w.record(
            "社会保険料控除",
            out.social_insurance,
            "支払った社会保険料の全額",
        );
    }
    out.small_business_mutual_aid = claims.small_business_mutual_aid;
    if out.small_business_mutual_aid > Yen::ZERO {
        w.record(
            "小規模企業共済等掛金控除",
            out.small_business_mutual_aid,
            "支払った掛金の全額",
        );
    }

    let (life, life_basis) = life_insurance(&d.life_insurance, claims);
    out.life_insurance = life;
    if life > Yen::ZERO {
        w.record("生命保険料控除", life, life_basis);
    }

    if claims.earthquake_insurance > Yen::ZERO {
        let premium = claims.earthquake_insurance;
        out.earthquake_insurance = find_row(&d.earthquake_insurance.table, premium)
            .map_or(Yen::ZERO, |row| row.apply(premium));
        w.record(
            "地震保険料控除",
            out.earthquake_insurance,
            format!("地震保険料 {} × 1/2（上限25,000円）", premium.ja()),
        );
    }

    if claims.medical_expenses > Yen::ZERO {
        let m = &d.medical_expenses;
        let threshold = m
            .income_rate
            .rate()
            .apply_truncating(total_income)
            .min(Yen::new(m.threshold_cap));
        out.medical_expenses = (claims.medical_expenses - threshold)
            .at_least_zero()
            .min(Yen::new(m.deduction_cap));
        w.record(
            "医療費控除",
            out.medical_expenses,
            format!(
                "医療費 {} − min(10万円, 総所得金額等 × 5%) {}（上限200万円）",
                claims.medical_expenses.ja(),
                threshold.ja()
            ),
        );
    }

    let mut disability_total = Yen::ZERO;
    let mut disability_parts: Vec<String> = Vec::new();
    let mut add_disability = |who: &str, grade: Disability, add_diff: &mut dyn FnMut(i64, &str)| {
        let (amount, difference) = match grade {
            Disability::None => return,
            Disability::General => (d.disability.general, diffs.disability.general),
            Disability::Special => (d.disability.special, diffs.disability.special),
            Disability::SpecialCohabiting => (
                d.disability.special_cohabiting,
                diffs.disability.special_cohabiting,
            ),
        };
        disability_total += Yen::new(amount);
        disability_parts.push(format!(
            "{who}（{}）{}円",
            disability_name(grade),
            Thousands(amount)
        ));
        add_diff(difference, &format!("障害者控除（{who}）"));
    };

    // The taxpayer's own disability: 同居特別障害者 applies only to others.
    let own = match claims.disability {
        Disability::SpecialCohabiting => Disability::Special,
        other => other,
    };
    add_disability("本人", own, &mut add_diff);

    if let Some(spouse) = input.spouse {
        let spouse_age = spouse.age.age_on(year_end);
        let s = &d.spouse;
        if household.spouse_same_livelihood {
            if let Some(col) = household.spouse_column {
                let elderly = spouse_age >= s.elderly_from_age;
                let (amount, difference, kind) = if elderly {
                    (
                        s.elderly[col],
                        diffs.spouse_elderly[col],
                        "老人控除対象配偶者",
                    )
                } else {
                    (s.general[col], diffs.spouse_general[col], "控除対象配偶者")
                };
                out.spouse = w.record(
                    "配偶者控除",
                    Yen::new(amount),
                    format!(
                        "{kind}（配偶者の合計所得金額 {}、本人の合計所得金額 {}）",
                        spouse.total_income.ja(),
                        total_income.ja()
                    ),
                );
                add_diff(difference, "配偶者控除");
            }
            add_disability("配偶者", spouse.disability, &mut add_diff);
        } else if let Some(col) = household.spouse_column
            && let Some(row) = find_step(&s.special, spouse.total_income)
        {
            let amount = row.value[col];
            out.spouse_special = w.record(
                "配偶者特別控除",
                Yen::new(amount),
                format!(
                    "配偶者の合計所得金額 {}、本人の合計所得金額 {}",
                    spouse.total_income.ja(),
                    total_income.ja()
                ),
            );
            if let Some(diff_row) = find_step(&diffs.spouse_special, spouse.total_income) {
                add_diff(diff_row.value[col], "配偶者特別控除");
            }
        }
    }

    let dep = &d.dependents;
    let mut dependent_parts: Vec<String> = Vec::new();
    let mut relative_parts: Vec<String> = Vec::new();
    for (i, relative) in input.dependents.iter().enumerate() {
        let age = relative.age.age_on(year_end);
        let who = format!("扶養親族{}（{}歳）", i + 1, age);
        if relative.total_income.get() <= dep.income_limit {
            let (amount, difference, kind) = if age < dep.deductible_from_age {
                (0, 0, "年少扶養親族（控除なし）")
            } else if (dep.specific_ages[0]..=dep.specific_ages[1]).contains(&age) {
                (dep.specific, diffs.dependent_specific, "特定扶養親族")
            } else if age >= dep.elderly_from_age {
                if relative.relation == DependentRelation::Parent && relative.lives_with_taxpayer {
                    (
                        dep.elderly_parent_cohabiting,
                        diffs.dependent_elderly_parent_cohabiting,
                        "同居老親等",
                    )
                } else {
                    (dep.elderly, diffs.dependent_elderly, "老人扶養親族")
                }
            } else {
                (dep.general, diffs.dependent_general, "一般の扶養親族")
            };
            out.dependents += Yen::new(amount);
            dependent_parts.push(format!("{who} {kind} {}円", Thousands(amount)));
            add_diff(difference, &format!("扶養控除（{kind}）"));
            add_disability(&who, relative.disability, &mut add_diff);
        } else if let Some(relative_rules) = &d.specified_relative
            && (relative_rules.ages[0]..=relative_rules.ages[1]).contains(&age)
            && let Some(row) = find_step(&relative_rules.table, relative.total_income)
        {
            out.specified_relative += Yen::new(row.value);
            relative_parts.push(format!(
                "{who} 合計所得金額 {} → {}円",
                relative.total_income.ja(),
                Thousands(row.value)
            ));
            add_diff(diffs.specified_relative, "特定親族特別控除");
        }
    }
    if !dependent_parts.is_empty() {
        w.record("扶養控除", out.dependents, dependent_parts.join("、"));
    }
    if !relative_parts.is_empty() {
        w.record(
            "特定親族特別控除",
            out.specified_relative,
            relative_parts.join("、"),
        );
    }
    out.disability = disability_total;
    if disability_total > Yen::ZERO {
        w.record("障害者控除", disability_total, disability_parts.join("、"));
    }

    let ws = &d.widow_single_parent;
    if total_income.get() <= ws.income_limit {
        let (amount, difference, kind) = match claims.widow_or_single_parent {
            WidowOrSingleParent::None => (0, 0, ""),
            WidowOrSingleParent::Widow => (ws.widow, diffs.widow, "寡婦控除"),
            WidowOrSingleParent::SingleParentMother => {
                (ws.single_parent, diffs.single_parent_mother, "ひとり親控除")
            }
            WidowOrSingleParent::SingleParentFather => {
                (ws.single_parent, diffs.single_parent_father, "ひとり親控除")
            }
        };
        if amount > 0 {
            out.widow_single_parent = w.record(
                kind,
                Yen::new(amount),
                format!("合計所得金額 {}（500万円以下）", total_income.ja()),
            );
            add_diff(difference, kind);
        }
    }

    let student = &d.working_student;
    let other_than_employment = total_income - income.employment_income;
    if claims.working_student
        && total_income.get() <= student.income_limit
        && other_than_employment.get() <= student.other_income_limit
    {
        out.working_student = w.record(
            "勤労学生控除",
            Yen::new(student.amount),
            format!(
                "合計所得金額 {}（{}円以下）",
                total_income.ja(),
                Thousands(student.income_limit)
            ),
        );
        add_diff(diffs.working_student, "勤労学生控除");
    }

    out.basic = find_step(&d.basic, total_income).map_or(Yen::ZERO, |row| Yen::new(row.value));
    w.record(
        "基礎控除",
        out.basic,
        format!("合計所得金額 {}", total_income.ja()),
    );
    if total_income.get() <= rules.adjustment_credit.taxpayer_income_limit {
        add_diff(diffs.basic, "基礎控除");
    }

    out.total = out.social_insurance
        + out.small_business_mutual_aid
        + out.life_insurance
        + out.earthquake_insurance
        + out.medical_expenses
        + out.spouse
        + out.spouse_special
        + out.dependents
        + out.specified_relative
        + out.disability
        + out.widow_single_parent
        + out.working_student
        + out.basic;
    w.record("所得控除の合計", out.total, "上記の所得控除の合計");
    if !diff_parts.is_empty() {
        w.record("人的控除額の差の合計", diff, diff_parts.join(" + "));
    }
    (out, diff)
}

/// 生命保険料控除 with the 住民税 formulas and limits.
fn life_insurance(rules: &LifeInsuranceRules, claims: &DeductionClaims) -> (Yen, String) {
    let p = &claims.life_insurance;
    let new = |x: Yen| find_row(&rules.new_contract, x).map_or(Yen::ZERO, |r| r.apply(x));
    let old = |x: Yen| find_row(&rules.old_contract, x).map_or(Yen::ZERO, |r| r.apply(x));
    let cap = Yen::new(rules.combined_category_cap);
    let category = |n: Yen, o: Yen| -> Yen {
        match (n > Yen::ZERO, o > Yen::ZERO) {
            (_, false) => new(n),
            (false, true) => old(o),
            (true, true) => old(o).max((new(n) + old(o)).min(cap)),
        }
    };
    let general = category(p.new_general, p.old_general);
    let pension = category(p.new_pension, p.old_pension);
    let care = new(p.care_medical);
    let total = (general + pension + care).min(Yen::new(rules.total_cap));
    let basis = format!(
        "一般 {} + 個人年金 {} + 介護医療 {}（住民税の計算式、合計の上限{}円）",
        general.ja(),
        pension.ja(),
        care.ja(),
        Thousands(rules.total_cap)
    );
    (total, basis)
}

/// 非課税の判定.
fn non_taxable(
    rules: &ResidentTaxRules,
    input: &ResidentTaxInput,
    total_income: Yen,
    household: &Household,
    w: &mut Working,
) -> NonTaxable {
    let nt = &rules.non_taxable;
    let people = 1 + usize::from(household.spouse_same_livelihood) + household.dependents_in_limit;
    let people_i = people as i64;
    let has_dependents = people > 1;
    let grade = &nt.per_capita_by_grade[input.grade.index()];
    let per_capita_limit = grade.per_person * people_i
        + nt.fixed_addition
        + if has_dependents {
            grade.dependent_addition
        } else {
            0
        };
    let income_levy_limit = nt.income_levy_per_person * people_i
        + nt.fixed_addition
        + if has_dependents {
            nt.income_levy_dependent_addition
        } else {
            0
        };

    let claims = &input.taxpayer.claims;
    let age_on_assessment_date = input
        .taxpayer
        .age
        .age_on(input.fiscal_year.assessment_date());
    let minor = age_on_assessment_date < nt.minor_age_below;
    let widow_or_single = claims.widow_or_single_parent != WidowOrSingleParent::None
        && total_income.get() <= rules.deductions.widow_single_parent.income_limit;
    let special_status = claims.disability != Disability::None || minor || widow_or_single;

    if special_status && total_income.get() <= nt.special_income_limit {
        w.record(
            "非課税の判定",
            Yen::new(nt.special_income_limit),
            format!(
                "障害者・未成年者・寡婦・ひとり親で合計所得金額 {} が{}円以下のため均等割・所得割とも非課税",
                total_income.ja(),
                Thousands(nt.special_income_limit)
            ),
        );
        return NonTaxable::All;
    }
    let grade_number = input.grade.index() + 1;
    if total_income.get() <= per_capita_limit {
        w.record(
            "非課税の判定",
            Yen::new(per_capita_limit),
            format!(
                "合計所得金額 {} ≤ 均等割の非課税限度額（{}級地、{}人）{}円のため均等割・所得割とも非課税",
                total_income.ja(),
                grade_number,
                people,
                Thousands(per_capita_limit)
            ),
        );
        return NonTaxable::All;
    }
    if total_income.get() <= income_levy_limit {
        w.record(
            "非課税の判定",
            Yen::new(income_levy_limit),
            format!(
                "総所得金額等 {} ≤ 所得割の非課税限度額（{}人）{}円のため所得割は非課税",
                total_income.ja(),
                people,
                Thousands(income_levy_limit)
            ),
        );
        return NonTaxable::IncomeLevy;
    }
    w.record(
        "非課税の判定",
        Yen::new(income_levy_limit),
        format!(
            "総所得金額等 {} > 所得割の非課税限度額（{}人）{}円のため課税",
            total_income.ja(),
            people,
            Thousands(income_levy_limit)
        ),
    );
    NonTaxable::None
}

/// What the income levies are computed from.
struct Levy<'a> {
    city: CityKind,
    m_rate: Rate,
    p_rate: Rate,
    tax_base: Yen,
    total_income: Yen,
    household: &'a Household,
    differences: Yen,
}

/// 所得割: before credits, 調整控除, special credit, 100円未満切捨て.
fn income_levies(
    rules: &ResidentTaxRules,
    levy: &Levy<'_>,
    (municipal, prefectural): (&mut PartTax, &mut PartTax),
    w: &mut Working,
) {
    let ac = &rules.adjustment_credit;
    let designated = levy.city == CityKind::Designated;
    let tax_base = levy.tax_base;

    municipal.income_levy_before_credits = w.record(
        "市町村民税所得割額（調整控除前）",
        levy.m_rate.apply_truncating(tax_base),
        format!("課税標準 {} × {}", tax_base.ja(), levy.m_rate.percent()),
    );
    prefectural.income_levy_before_credits = w.record(
        "道府県民税所得割額（調整控除前）",
        levy.p_rate.apply_truncating(tax_base),
        format!("課税標準 {} × {}", tax_base.ja(), levy.p_rate.percent()),
    );

    let (m_adj_rate, p_adj_rate) = if designated {
        (
            ac.designated_municipal_rate.rate(),
            ac.designated_prefectural_rate.rate(),
        )
    } else {
        (ac.municipal_rate.rate(), ac.prefectural_rate.rate())
    };
    if levy.total_income.get() <= ac.taxpayer_income_limit {
        let threshold = Yen::new(ac.tax_base_threshold);
        let (base, how) = if tax_base <= threshold {
            (
                levy.differences.min(tax_base),
                format!(
                    "min(人的控除額の差 {}, 課税標準 {})",
                    levy.differences.ja(),
                    tax_base.ja()
                ),
            )
        } else {
            let reduced = levy.differences - (tax_base - threshold);
            (
                reduced.max(Yen::new(ac.minimum_base)),
                format!(
                    "(人的控除額の差 {} − (課税標準 {} − {}))、{}円未満は{}円",
                    levy.differences.ja(),
                    tax_base.ja(),
                    threshold.ja(),
                    Thousands(ac.minimum_base),
                    Thousands(ac.minimum_base)
                ),
            )
        };
        municipal.adjustment_credit = w.record(
            "調整控除額（市町村民税）",
            m_adj_rate
                .apply_truncating(base)
                .min(municipal.income_levy_before_credits),
            format!("{how} × {}", m_adj_rate.percent()),
        );
        prefectural.adjustment_credit = w.record(
            "調整控除額（道府県民税）",
            p_adj_rate
                .apply_truncating(base)
                .min(prefectural.income_levy_before_credits),
            format!("{how} × {}", p_adj_rate.percent()),
        );
    } else {
        w.record(
            "調整控除額",
            Yen::ZERO,
            format!(
                "合計所得金額が{}円を超えるため適用なし",
                Thousands(ac.taxpayer_income_limit)
            ),
        );
    }
    let m_after = municipal.income_levy_before_credits - municipal.adjustment_credit;
    let p_after = prefectural.income_levy_before_credits - prefectural.adjustment_credit;

    if let Some(special) = &rules.special_tax_credit
        && levy.total_income.get() <= special.taxpayer_income_limit
    {
        let h = levy.household;
        let deductible_spouse = h.spouse_same_livelihood && h.spouse_column.is_some();
        let non_deductible_spouse = h.spouse_same_livelihood && h.spouse_column.is_none();
        let count = usize::from(special.count_taxpayer)
            + usize::from(special.count_deductible_spouse && deductible_spouse)
            + if special.count_dependents {
                h.dependents_in_limit
            } else {
                0
            }
            + usize::from(special.count_non_deductible_spouse && non_deductible_spouse);
        let amount = special.per_person * count as i64;
        let levies = m_after + p_after;
        if amount > 0 && levies > Yen::ZERO {
            let p_share =
                (i128::from(amount) * i128::from(p_after.get()) + i128::from(levies.get()) - 1)
                    / i128::from(levies.get());
            let p_share = Yen::new(p_share as i64);
            let m_share = Yen::new(amount) - p_share;
            municipal.special_tax_credit = m_share.min(m_after);
            prefectural.special_tax_credit = p_share.min(p_after);
            w.record(
                "特別税額控除（定額減税）",
                municipal.special_tax_credit + prefectural.special_tax_credit,
                format!(
                    "{}円 × {}人 = {}円（道府県民税分 {}、市町村民税分 {}、各所得割額が限度）",
                    Thousands(special.per_person),
                    count,
                    Thousands(amount),
                    prefectural.special_tax_credit.ja(),
                    municipal.special_tax_credit.ja()
                ),
            );
        }
    }

    let unit = rules.rounding.tax_amount_unit;
    let m_final = m_after - municipal.special_tax_credit;
    let p_final = p_after - prefectural.special_tax_credit;
    municipal.income_levy = w.record(
        "市町村民税所得割額",
        m_final.truncate_to(unit),
        format!("{}（{}円未満切捨て）", m_final.ja(), Thousands(unit)),
    );
    prefectural.income_levy = w.record(
        "道府県民税所得割額",
        p_final.truncate_to(unit),
        format!("{}（{}円未満切捨て）", p_final.ja(), Thousands(unit)),
    );
}
