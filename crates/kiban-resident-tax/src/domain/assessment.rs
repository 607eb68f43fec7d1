//! One person's assessment (課税): their income records combined into the
//! calculation's input, the split of the tax between the employer
//! (特別徴収) and the person (普通徴収), and what is flagged for review.
//!
//! ## Combining (contract `resident-tax-v1`, "Income records")
//! Incomes and deductions of the same kind are summed over the person's
//! records (a corrected report has already replaced the one it corrects:
//! storage hands over only the effective records). The taxpayer's own
//! status is the strongest stated anywhere (特別障害者 over 障害者; 寡婦,
//! ひとり親, 勤労学生 when any record states it). The spouse and the
//! dependents are taken once: records are read in the order declaration
//! (申告), salary report, pension report, and within a source in record
//! order; the spouse is the first stated, and a dependent (identified by
//! name, compared without spaces or width, and birth date) is taken from
//! the first record naming them.
//!
//! Nothing inconsistent is resolved silently: the person is assessed as
//! above and flagged for review ([`ReviewFlag`]) when records state two
//! different spouses, when a dependent is also the spouse, when 寡婦 and
//! ひとり親 are both stated (ひとり親 is taken: calc-v1 refuses both), and
//! (found across persons by storage) when a dependent is claimed by two
//! taxpayers.
//!
//! ## Special and ordinary collection
//! Salary is collected by the employer when a salary report says
//! `special`; everything else is ordinary. For a person with both
//! (`mixed`) the tax is apportioned so:
//! - the per-capita levies (均等割, municipal and prefectural) and the
//!   森林環境税 go to the employer;
//! - of the income levies (所得割, after credits), the employer takes the
//!   share that employment income (給与所得) bears in the total income
//!   (合計所得金額), counting only the salary reported for special
//!   collection (給与所得 × special salary revenue ÷ all salary revenue),
//!   truncated below 100 yen;
//! - the rest is ordinary.
//!
//! The employer (`payer_number`) is the one whose special salary report
//! has the largest salary revenue (the first in record order on a tie).
//! Public pension is collected ordinarily (年金特別徴収 is not in v1).

use std::collections::BTreeMap;

use kiban_core::{Date, FiscalYear, Sex, Yen};
use kiban_income::{BirthOrAge, Revenues};
use kiban_tax_resident::{
    DeductionClaims, Dependent, DependentRelation, Disability, LifeInsurancePremiums,
    ResidentTaxInput, Spouse, Taxpayer, WidowOrSingleParent,
};

use super::installments::{self, Installment, MonthlyAmount};
use super::settings::Settings;

/// Where a record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// 住民税申告・確定申告.
    Declaration,
    /// 給与支払報告書.
    SalaryReport,
    /// 公的年金等支払報告書.
    PensionReport,
}

/// How a salary report asks the tax to be collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionMethod {
    /// 特別徴収 by the payer.
    Special,
    /// 普通徴収.
    Ordinary,
}

/// The spouse as a record states them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpouseClaim {
    /// 氏名.
    pub name: String,
    /// 生年月日.
    pub birth_date: Date,
    /// 合計所得金額.
    pub total_income: Yen,
    /// 障害者の区分.
    pub disability: Disability,
}

/// A dependent as a record states them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependentClaim {
    /// 氏名.
    pub name: String,
    /// 生年月日.
    pub birth_date: Date,
    /// 続柄.
    pub relation: DependentRelation,
    /// 合計所得金額.
    pub total_income: Yen,
    /// 障害者の区分.
    pub disability: Disability,
    /// 同居.
    pub lives_with_taxpayer: bool,
}

/// The figures of one effective income record that the assessment uses
/// (built from storage's `IncomeRecord`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFigures {
    /// Its source.
    pub source: Source,
    /// 特別徴収義務者指定番号 (salary and pension reports).
    pub payer_number: Option<String>,
    /// How the payer collects.
    pub collection: CollectionMethod,
    /// The person's birth date as the record states it.
    pub birth_date: Option<Date>,
    /// The person's sex as the record states it.
    pub sex: Option<Sex>,
    /// Revenues and incomes.
    pub revenues: Revenues,
    /// Deductions claimed (payments, statuses).
    pub claims: DeductionClaims,
    /// 寡婦.
    pub widow: bool,
    /// ひとり親.
    pub single_parent: bool,
    /// 配偶者.
    pub spouse: Option<SpouseClaim>,
    /// 扶養親族.
    pub dependents: Vec<DependentClaim>,
}

/// An inconsistency for a clerk to look at (the person is assessed anyway).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReviewFlag {
    /// Records state different spouses.
    SpouseDiffers,
    /// A dependent is also the spouse.
    DependentIsSpouse,
    /// 寡婦 and ひとり親 both stated.
    WidowAndSingleParent,
    /// A dependent is claimed by another taxpayer too.
    DependentClaimedTwice,
    /// The records' birth date differs from the addressee's.
    BirthDateDiffers,
}

impl ReviewFlag {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ReviewFlag::SpouseDiffers => "spouse_differs",
            ReviewFlag::DependentIsSpouse => "dependent_is_spouse",
            ReviewFlag::WidowAndSingleParent => "widow_and_single_parent",
            ReviewFlag::DependentClaimedTwice => "dependent_claimed_twice",
            ReviewFlag::BirthDateDiffers => "birth_date_differs",
        }
    }

    /// The flag of a code.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            ReviewFlag::SpouseDiffers,
            ReviewFlag::DependentIsSpouse,
            ReviewFlag::WidowAndSingleParent,
            ReviewFlag::DependentClaimedTwice,
            ReviewFlag::BirthDateDiffers,
        ]
        .into_iter()
        .find(|f| f.code() == code)
    }

    /// What to check (Japanese).
    pub fn text(self) -> &'static str {
        match self {
            ReviewFlag::SpouseDiffers => {
                "所得情報により配偶者が異なります（最初の記載で課税しました）"
            }
            ReviewFlag::DependentIsSpouse => {
                "配偶者が扶養親族にも記載されています（配偶者として課税しました）"
            }
            ReviewFlag::WidowAndSingleParent => {
                "寡婦とひとり親の両方が記載されています（ひとり親で課税しました）"
            }
            ReviewFlag::DependentClaimedTwice => "同じ扶養親族が他の納税義務者にも記載されています",
            ReviewFlag::BirthDateDiffers => {
                "所得情報の生年月日が宛名と異なります（宛名の生年月日で課税しました）"
            }
        }
    }
}

/// The key a dependent is recognised by (name without spaces or width,
/// and birth date), within a person's records and across taxpayers.
pub fn dependent_key(name: &str, birth_date: Date) -> String {
    format!("{}|{birth_date}", kiban_core::name::match_key(name))
}

/// A person's combined records: the calculation's input and what goes
/// with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combined {
    /// The input of calc-v1 `resident-tax` (through `kiban-calc`).
    pub input: ResidentTaxInput,
    /// The keys of the dependents taken (for the check across taxpayers).
    pub dependent_keys: Vec<String>,
    /// Salary revenue reported for special collection.
    pub special_salary_revenue: Yen,
    /// The employer collecting specially, if any.
    pub payer_number: Option<String>,
    /// Inconsistencies found (sorted, each once).
    pub flags: Vec<ReviewFlag>,
}

/// Why a person cannot be assessed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CombineError {
    /// Neither the addressee master nor any record gives a birth date.
    #[error("no birth date")]
    NoBirthDate,
}

impl CombineError {
    /// A stable code for the job's errors.
    pub fn code(&self) -> &'static str {
        match self {
            CombineError::NoBirthDate => "no_birth_date",
        }
    }

    /// What went wrong (Japanese, without personal data).
    pub fn text(&self) -> &'static str {
        match self {
            CombineError::NoBirthDate => "生年月日が宛名にも所得情報にもないため課税できません",
        }
    }
}

fn stronger(a: Disability, b: Disability) -> Disability {
    let rank = |d: Disability| match d {
        Disability::None => 0,
        Disability::General => 1,
        Disability::Special => 2,
        Disability::SpecialCohabiting => 3,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// Combines the person's effective records (in record order) into the
/// calculation's input with the settings (see the module). `birth_date`
/// is the addressee's (registry or addressee master); a person without
/// records is assessed with zero income.
pub fn combine(
    fiscal_year: FiscalYear,
    settings: &Settings,
    birth_date: Option<Date>,
    records: &[RecordFigures],
) -> Result<Combined, CombineError> {
    let mut flags = Vec::new();
    let record_birth = records.iter().find_map(|r| r.birth_date);
    let birth = match (birth_date, record_birth) {
        (Some(b), Some(_)) => {
            if records.iter().any(|x| x.birth_date.is_some_and(|d| d != b)) {
                flags.push(ReviewFlag::BirthDateDiffers);
            }
            b
        }
        (Some(b), None) => b,
        (None, Some(r)) => r,
        (None, None) => return Err(CombineError::NoBirthDate),
    };
    let year_end = kiban_income::income_year_end(fiscal_year);
    // A person born after the income year (on 1 January) is 0 then.
    let age_of = |d: Date| {
        if d > year_end {
            BirthOrAge::Age(0)
        } else {
            BirthOrAge::BirthDate(d)
        }
    };

    let mut revenues = Revenues::default();
    let mut claims = DeductionClaims::default();
    let (mut widow, mut single_parent) = (false, false);
    let mut special_salary_revenue = Yen::ZERO;
    let mut payer: Option<(Yen, String)> = None;
    let mut sex = None;
    for r in records {
        let v = &r.revenues;
        revenues.salary_revenue += v.salary_revenue;
        revenues.public_pension_revenue += v.public_pension_revenue;
        revenues.business_income += v.business_income;
        revenues.real_estate_income += v.real_estate_income;
        revenues.misc_income += v.misc_income;
        let c = &r.claims;
        claims.social_insurance += c.social_insurance;
        claims.small_business_mutual_aid += c.small_business_mutual_aid;
        let (l, m) = (&mut claims.life_insurance, &c.life_insurance);
        *l = LifeInsurancePremiums {
            new_general: l.new_general + m.new_general,
            new_pension: l.new_pension + m.new_pension,
            care_medical: l.care_medical + m.care_medical,
            old_general: l.old_general + m.old_general,
            old_pension: l.old_pension + m.old_pension,
        };
        claims.earthquake_insurance += c.earthquake_insurance;
        claims.medical_expenses += c.medical_expenses;
        // 同居特別障害者 is a relative's status, not the taxpayer's.
        let own = if c.disability == Disability::SpecialCohabiting {
            Disability::Special
        } else {
            c.disability
        };
        claims.disability = stronger(claims.disability, own);
        claims.working_student |= c.working_student;
        widow |= r.widow;
        single_parent |= r.single_parent;
        sex = sex.or(r.sex);
        if r.source == Source::SalaryReport && r.collection == CollectionMethod::Special {
            special_salary_revenue += v.salary_revenue;
            if let Some(number) = &r.payer_number
                && payer
                    .as_ref()
                    .is_none_or(|(best, _)| v.salary_revenue > *best)
            {
                payer = Some((v.salary_revenue, number.clone()));
            }
        }
    }
    if widow && single_parent {
        flags.push(ReviewFlag::WidowAndSingleParent);
    }
    claims.widow_or_single_parent = match (widow, single_parent) {
        (_, true) if sex == Some(Sex::Male) => WidowOrSingleParent::SingleParentFather,
        (_, true) => WidowOrSingleParent::SingleParentMother,
        (true, false) => WidowOrSingleParent::Widow,
        (false, false) => WidowOrSingleParent::None,
    };

    // Relatives: declarations first, then salary, then pension reports.
    let mut ordered: Vec<&RecordFigures> = records.iter().collect();
    ordered.sort_by_key(|r| r.source);
    let mut spouse: Option<&SpouseClaim> = None;
    for r in &ordered {
        if let Some(s) = &r.spouse {
            match spouse {
                None => spouse = Some(s),
                Some(first)
                    if dependent_key(&first.name, first.birth_date)
                        != dependent_key(&s.name, s.birth_date) =>
                {
                    if !flags.contains(&ReviewFlag::SpouseDiffers) {
                        flags.push(ReviewFlag::SpouseDiffers);
                    }
                }
                Some(_) => {}
            }
        }
    }
    let spouse_key = spouse.map(|s| dependent_key(&s.name, s.birth_date));
    let mut dependents: BTreeMap<String, (usize, &DependentClaim)> = BTreeMap::new();
    let mut order = 0;
    for r in &ordered {
        for d in &r.dependents {
            let key = dependent_key(&d.name, d.birth_date);
            if spouse_key.as_deref() == Some(key.as_str()) {
                if !flags.contains(&ReviewFlag::DependentIsSpouse) {
                    flags.push(ReviewFlag::DependentIsSpouse);
                }
                continue;
            }
            dependents.entry(key).or_insert_with(|| {
                order += 1;
                (order, d)
            });
        }
    }
    let mut taken: Vec<(usize, String, &DependentClaim)> = dependents
        .into_iter()
        .map(|(k, (i, d))| (i, k, d))
        .collect();
    taken.sort_by_key(|(i, _, _)| *i);
    flags.sort();

    let input = ResidentTaxInput {
        fiscal_year,
        rates: settings.local_rates(),
        grade: settings.grade(),
        taxpayer: Taxpayer {
            age: age_of(birth),
            revenues,
            claims,
        },
        spouse: spouse.map(|s| Spouse {
            age: age_of(s.birth_date),
            total_income: s.total_income,
            disability: s.disability,
        }),
        dependents: taken
            .iter()
            .map(|(_, _, d)| Dependent {
                age: age_of(d.birth_date),
                total_income: d.total_income,
                relation: d.relation,
                lives_with_taxpayer: d.lives_with_taxpayer,
                disability: d.disability,
            })
            .collect(),
    };
    Ok(Combined {
        input,
        dependent_keys: taken.into_iter().map(|(_, k, _)| k).collect(),
        special_salary_revenue,
        payer_number: payer.map(|(_, n)| n),
        flags,
    })
}

/// The figures of an effective income record (income-csv-v1's row).
pub fn figures(record: &super::income::IncomeRecord) -> RecordFigures {
    use super::income::{CollectionMethod as Method, IncomeSource};
    let y = Yen::new;
    RecordFigures {
        source: match record.source {
            IncomeSource::Declaration => Source::Declaration,
            IncomeSource::SalaryReport => Source::SalaryReport,
            IncomeSource::PensionReport => Source::PensionReport,
        },
        payer_number: record.payer_number.clone(),
        collection: match record.collection {
            Method::Special => CollectionMethod::Special,
            Method::Ordinary => CollectionMethod::Ordinary,
        },
        birth_date: Some(record.birth_date),
        sex: record.sex,
        revenues: Revenues {
            salary_revenue: y(record.salary_revenue),
            public_pension_revenue: y(record.public_pension_revenue),
            business_income: y(record.business_income),
            real_estate_income: y(record.real_estate_income),
            misc_income: y(record.misc_income),
        },
        claims: DeductionClaims {
            social_insurance: y(record.social_insurance),
            small_business_mutual_aid: y(record.small_business_mutual_aid),
            life_insurance: LifeInsurancePremiums {
                new_general: y(record.life_insurance_new_general),
                new_pension: y(record.life_insurance_new_pension),
                care_medical: y(record.life_insurance_care_medical),
                old_general: y(record.life_insurance_old_general),
                old_pension: y(record.life_insurance_old_pension),
            },
            earthquake_insurance: y(record.earthquake_insurance),
            medical_expenses: y(record.medical_expenses),
            disability: record.disability.into(),
            widow_or_single_parent: WidowOrSingleParent::None,
            working_student: record.working_student,
        },
        widow: record.widow,
        single_parent: record.single_parent,
        spouse: record.spouse.as_ref().map(|s| SpouseClaim {
            name: s.name.clone(),
            birth_date: s.birth_date,
            total_income: y(s.total_income),
            disability: s.disability.into(),
        }),
        dependents: record
            .dependents
            .iter()
            .map(|d| DependentClaim {
                name: d.name.clone(),
                birth_date: d.birth_date,
                relation: d.relation.into(),
                total_income: y(d.total_income),
                disability: d.disability.into(),
                lives_with_taxpayer: d.lives_with,
            })
            .collect(),
    }
}

/// The figures of a calculated tax that the split needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxFigures {
    /// 年税額.
    pub total: Yen,
    /// 所得割 (municipal and prefectural, after credits).
    pub income_levy: Yen,
    /// 給与所得.
    pub employment_income: Yen,
    /// 合計所得金額.
    pub total_income: Yen,
    /// All salary revenue.
    pub salary_revenue: Yen,
}

/// 徴収区分.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    /// All by the employer.
    Special,
    /// All by the person.
    Ordinary,
    /// Salary by the employer, the rest by the person.
    Mixed,
}

impl Collection {
    /// The contract's code.
    pub fn code(self) -> &'static str {
        match self {
            Collection::Special => "special",
            Collection::Ordinary => "ordinary",
            Collection::Mixed => "mixed",
        }
    }

    /// The collection of a code.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "special" => Some(Collection::Special),
            "ordinary" => Some(Collection::Ordinary),
            "mixed" => Some(Collection::Mixed),
            _ => None,
        }
    }

    /// From the two parts.
    pub fn of(special: Yen, ordinary: Yen) -> Self {
        match (special.get() > 0, ordinary.get() > 0) {
            (true, true) => Collection::Mixed,
            (true, false) => Collection::Special,
            _ => Collection::Ordinary,
        }
    }
}

/// The tax split between the employer and the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// The employer's part.
    pub special: Yen,
    /// The person's part.
    pub ordinary: Yen,
}

/// Splits the tax (see the module). `special_salary_revenue` is zero when
/// no salary report asks for special collection.
pub fn split(tax: TaxFigures, special_salary_revenue: Yen) -> Split {
    let total = tax.total.get().max(0);
    if special_salary_revenue.get() <= 0 || total == 0 {
        return Split {
            special: Yen::ZERO,
            ordinary: Yen::new(total),
        };
    }
    let fixed = (tax.total - tax.income_levy).get().max(0);
    let share = if tax.total_income.get() > 0 && tax.salary_revenue.get() > 0 {
        let numerator = i128::from(tax.income_levy.get())
            * i128::from(tax.employment_income.get())
            * i128::from(special_salary_revenue.get().min(tax.salary_revenue.get()));
        let denominator = i128::from(tax.total_income.get()) * i128::from(tax.salary_revenue.get());
        i64::try_from(numerator / denominator).unwrap_or(0)
    } else {
        0
    };
    let share = if share >= tax.income_levy.get() {
        tax.income_levy.get()
    } else {
        Yen::new(share).truncate_to(100).get()
    };
    let special = (fixed + share).min(total);
    Split {
        special: Yen::new(special),
        ordinary: Yen::new(total - special),
    }
}

/// How a version's tax is collected: the employer's months and the
/// person's installments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// 徴収区分 (from the two parts as scheduled).
    pub collection: Collection,
    /// 普通徴収の期別.
    pub installments: Vec<Installment>,
    /// 特別徴収の月割額.
    pub monthly: Vec<MonthlyAmount>,
    /// What was paid (or withheld) in excess and could not be placed: an
    /// overpayment for collection.
    pub overpayment: Yen,
}

impl Schedule {
    /// The employer's part.
    pub fn special_total(&self) -> Yen {
        self.monthly.iter().map(|m| m.amount).sum()
    }

    /// The person's part.
    pub fn ordinary_total(&self) -> Yen {
        self.installments.iter().map(|i| i.amount).sum()
    }
}

/// The schedule of a first assessment (version 1).
pub fn first_schedule(fiscal_year: FiscalYear, settings: &Settings, split: Split) -> Schedule {
    let monthly = installments::monthly(split.special, fiscal_year);
    let installments = installments::installments(
        split.ordinary,
        &settings.ordinary_due_dates,
        settings.installment_unit,
    );
    Schedule {
        collection: Collection::of(split.special, split.ordinary),
        installments,
        monthly,
        overpayment: Yen::ZERO,
    }
}

/// The schedule of a reassessment on `day` from the previous version's:
/// the employer's months first (months up to `day`'s month kept, see
/// [`installments::reassess_monthly`]); what the employer collects is
/// then the months' sum, and the person owes the rest of the total,
/// spread over their periods not yet due
/// ([`installments::reassess_installments`]).
pub fn reassessed_schedule(
    fiscal_year: FiscalYear,
    settings: &Settings,
    total: Yen,
    split: Split,
    previous: &Schedule,
    day: Date,
) -> Schedule {
    let (monthly, _, _) =
        installments::reassess_monthly(&previous.monthly, fiscal_year, split.special, day);
    let special: Yen = monthly.iter().map(|m| m.amount).sum();
    let ordinary = (total - special).at_least_zero();
    let (installments, _) = installments::reassess_installments(
        &previous.installments,
        &settings.ordinary_due_dates,
        settings.installment_unit,
        ordinary,
        day,
    );
    let ordinary_total: Yen = installments.iter().map(|i| i.amount).sum();
    Schedule {
        collection: Collection::of(special, ordinary_total),
        installments,
        monthly,
        // What the employer withheld beyond the special part counts
        // towards the total; only what both parts keep beyond the total
        // is paid in excess.
        overpayment: (special + ordinary_total - total).at_least_zero(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn fy() -> FiscalYear {
        FiscalYear::new(2026).unwrap_or_else(|_| panic!("2026"))
    }

    fn settings() -> Settings {
        Settings::defaults(fy()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn salary(amount: i64, collection: CollectionMethod, payer: &str) -> RecordFigures {
        RecordFigures {
            source: Source::SalaryReport,
            payer_number: Some(payer.into()),
            collection,
            birth_date: Some(date(1983, 6, 10)),
            sex: Some(Sex::Male),
            revenues: Revenues {
                salary_revenue: Yen::new(amount),
                ..Revenues::default()
            },
            claims: DeductionClaims::default(),
            widow: false,
            single_parent: false,
            spouse: None,
            dependents: Vec::new(),
        }
    }

    fn child(name: &str, birth: Date) -> DependentClaim {
        DependentClaim {
            name: name.into(),
            birth_date: birth,
            relation: DependentRelation::Child,
            total_income: Yen::ZERO,
            disability: Disability::None,
            lives_with_taxpayer: true,
        }
    }

    #[test]
    fn sums_incomes_and_takes_relatives_once() {
        let mut a = salary(3_000_000, CollectionMethod::Special, "A1");
        a.claims.social_insurance = Yen::new(300_000);
        a.spouse = Some(SpouseClaim {
            name: "山田 花子".into(),
            birth_date: date(1985, 4, 1),
            total_income: Yen::ZERO,
            disability: Disability::None,
        });
        a.dependents = vec![child("山田 一郎", date(2007, 5, 1))];
        let mut b = salary(2_000_000, CollectionMethod::Special, "B2");
        b.claims.social_insurance = Yen::new(200_000);
        b.spouse = a.spouse.clone().map(|mut s| {
            s.name = "山田　花子".into();
            s
        });
        b.dependents = vec![
            child("山田一郎", date(2007, 5, 1)),
            child("山田 二郎", date(2011, 5, 1)),
        ];
        let c = combine(fy(), &settings(), Some(date(1983, 6, 10)), &[a, b]).unwrap();
        assert_eq!(
            c.input.taxpayer.revenues.salary_revenue,
            Yen::new(5_000_000)
        );
        assert_eq!(c.input.taxpayer.claims.social_insurance, Yen::new(500_000));
        assert!(c.input.spouse.is_some());
        assert_eq!(c.input.dependents.len(), 2);
        assert_eq!(c.dependent_keys.len(), 2);
        assert_eq!(c.payer_number.as_deref(), Some("A1"));
        assert_eq!(c.special_salary_revenue, Yen::new(5_000_000));
        assert!(c.flags.is_empty(), "{:?}", c.flags);
    }

    #[test]
    fn inconsistencies_are_flagged_not_resolved_silently() {
        let mut a = salary(3_000_000, CollectionMethod::Ordinary, "A1");
        a.spouse = Some(SpouseClaim {
            name: "甲".into(),
            birth_date: date(1985, 4, 1),
            total_income: Yen::ZERO,
            disability: Disability::None,
        });
        a.widow = true;
        let mut b = a.clone();
        b.source = Source::Declaration;
        b.spouse = Some(SpouseClaim {
            name: "乙".into(),
            birth_date: date(1986, 4, 1),
            total_income: Yen::ZERO,
            disability: Disability::None,
        });
        b.widow = false;
        b.single_parent = true;
        b.dependents = vec![child("甲", date(1985, 4, 1)), child("乙", date(1986, 4, 1))];
        let c = combine(fy(), &settings(), Some(date(1980, 1, 1)), &[a, b]).unwrap();
        assert_eq!(
            c.flags,
            vec![
                ReviewFlag::SpouseDiffers,
                ReviewFlag::DependentIsSpouse,
                ReviewFlag::WidowAndSingleParent,
                ReviewFlag::BirthDateDiffers
            ]
        );
        // The declaration's spouse (乙) is taken; 甲 stays a dependent.
        assert_eq!(c.input.dependents.len(), 1);
        assert_eq!(
            c.input.taxpayer.claims.widow_or_single_parent,
            WidowOrSingleParent::SingleParentFather
        );
        assert!(c.payer_number.is_none());
    }

    #[test]
    fn no_records_means_zero_income_and_no_birth_date_is_an_error() {
        let c = combine(fy(), &settings(), Some(date(1990, 1, 1)), &[]).unwrap();
        assert_eq!(c.input.taxpayer.revenues, Revenues::default());
        assert_eq!(
            combine(fy(), &settings(), None, &[]).unwrap_err(),
            CombineError::NoBirthDate
        );
        // Born on 1 January of the fiscal year: aged 0 in the income year.
        let c = combine(fy(), &settings(), Some(date(2026, 1, 1)), &[]).unwrap();
        assert_eq!(c.input.taxpayer.age, BirthOrAge::Age(0));
    }

    #[test]
    fn split_special_ordinary_and_mixed() {
        let tax = TaxFigures {
            total: Yen::new(194_500),
            income_levy: Yen::new(189_500),
            employment_income: Yen::new(3_560_000),
            total_income: Yen::new(3_560_000),
            salary_revenue: Yen::new(5_000_000),
        };
        let all = split(tax, Yen::new(5_000_000));
        assert_eq!((all.special, all.ordinary), (Yen::new(194_500), Yen::ZERO));
        assert_eq!(
            Collection::of(all.special, all.ordinary),
            Collection::Special
        );
        let none = split(tax, Yen::ZERO);
        assert_eq!(
            (none.special, none.ordinary),
            (Yen::ZERO, Yen::new(194_500))
        );
        assert_eq!(
            Collection::of(none.special, none.ordinary),
            Collection::Ordinary
        );
        // Business income of 1,000,000 besides: the employer takes the
        // per-capita levies and forest tax (5,000) and 3,560/4,560 of the
        // income levy, truncated below 100 yen.
        let mixed = TaxFigures {
            total: Yen::new(294_500),
            income_levy: Yen::new(289_500),
            total_income: Yen::new(4_560_000),
            ..tax
        };
        let m = split(mixed, Yen::new(5_000_000));
        let share = 289_500i64 * 3_560_000 / 4_560_000 / 100 * 100;
        assert_eq!(m.special, Yen::new(5_000 + share));
        assert_eq!(m.special + m.ordinary, Yen::new(294_500));
        assert_eq!(Collection::of(m.special, m.ordinary), Collection::Mixed);
    }

    #[test]
    fn reassessment_moves_what_the_employer_no_longer_collects() {
        let s = settings();
        let first = first_schedule(
            fy(),
            &s,
            Split {
                special: Yen::new(194_500),
                ordinary: Yen::ZERO,
            },
        );
        assert_eq!(first.collection, Collection::Special);
        assert!(first.installments.is_empty());
        // Left the employer in August: June–August withheld, the rest ordinary.
        let again = reassessed_schedule(
            fy(),
            &s,
            Yen::new(194_500),
            Split {
                special: Yen::ZERO,
                ordinary: Yen::new(194_500),
            },
            &first,
            date(2026, 8, 20),
        );
        let withheld = 16_300 + 16_200 * 2;
        assert_eq!(again.special_total(), Yen::new(withheld));
        assert_eq!(again.ordinary_total(), Yen::new(194_500 - withheld));
        assert_eq!(again.collection, Collection::Mixed);
        // Period 1 was due (30 June); periods 2–4 share it.
        assert_eq!(
            again
                .installments
                .iter()
                .map(|i| i.period)
                .collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert_eq!(again.overpayment, Yen::ZERO);
    }
}
