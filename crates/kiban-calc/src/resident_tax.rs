//! `resident-tax` (個人住民税, one taxpayer): the wire types of calc-v1 and
//! their conversion to and from the domain crate `kiban-tax-resident`.
//!
//! Additions to the contract's output: `deductions.small_business_mutual_aid`
//! and `deductions.specified_relative` (特定親族特別控除, from FY2026) are
//! always present; `municipal.special_tax_credit` and
//! `prefectural.special_tax_credit` (定額減税) are present in the fiscal years
//! that have one (FY2024, FY2025). Input additions: `rates.designated_city`
//! and `taxpayer.deductions.single_parent_father`.

use kiban_core::{FiscalYear, Yen};
use kiban_income::{BirthOrAge, Revenues};
use kiban_tax_resident::{
    CityKind, DeductionClaims, Dependent, DependentRelation, Disability, LifeInsurancePremiums,
    LocalRates, NonTaxable, NonTaxableGrade, PartTax, ResidentTax, ResidentTaxError,
    ResidentTaxInput, Spouse, Taxpayer, WidowOrSingleParent,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{CalcError, wire};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    fiscal_year: i32,
    #[serde(default)]
    rates: Option<RatesWire>,
    #[serde(default)]
    non_taxable_grade: Option<u8>,
    taxpayer: TaxpayerWire,
    #[serde(default)]
    spouse: Option<SpouseWire>,
    #[serde(default)]
    dependents: Vec<DependentWire>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RatesWire {
    municipal_income_rate: Option<String>,
    prefectural_income_rate: Option<String>,
    municipal_per_capita: Option<i64>,
    prefectural_per_capita: Option<i64>,
    designated_city: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct IncomeWire {
    #[serde(default)]
    pub(crate) salary_revenue: i64,
    #[serde(default)]
    pub(crate) public_pension_revenue: i64,
    #[serde(default)]
    pub(crate) business_income: i64,
    #[serde(default)]
    pub(crate) real_estate_income: i64,
    #[serde(default)]
    pub(crate) misc_income: i64,
}

impl IncomeWire {
    /// The revenues, each checked to be non-negative under `path`.
    pub(crate) fn revenues(&self, path: &str) -> Result<Revenues, CalcError> {
        let f = |name: &str, v: i64| wire::non_negative(&format!("{path}.{name}"), v);
        Ok(Revenues {
            salary_revenue: f("salary_revenue", self.salary_revenue)?,
            public_pension_revenue: f("public_pension_revenue", self.public_pension_revenue)?,
            business_income: f("business_income", self.business_income)?,
            real_estate_income: f("real_estate_income", self.real_estate_income)?,
            misc_income: f("misc_income", self.misc_income)?,
        })
    }
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum DisabilityWire {
    #[default]
    None,
    General,
    Special,
    SpecialCohabiting,
}

impl From<DisabilityWire> for Disability {
    fn from(d: DisabilityWire) -> Self {
        match d {
            DisabilityWire::None => Disability::None,
            DisabilityWire::General => Disability::General,
            DisabilityWire::Special => Disability::Special,
            DisabilityWire::SpecialCohabiting => Disability::SpecialCohabiting,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LifeInsuranceWire {
    #[serde(default)]
    new_general: i64,
    #[serde(default)]
    new_pension: i64,
    #[serde(default)]
    care_medical: i64,
    #[serde(default)]
    old_general: i64,
    #[serde(default)]
    old_pension: i64,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DeductionsWire {
    #[serde(default)]
    social_insurance: i64,
    #[serde(default)]
    small_business_mutual_aid: i64,
    #[serde(default)]
    life_insurance: LifeInsuranceWire,
    #[serde(default)]
    earthquake_insurance: i64,
    #[serde(default)]
    medical_expenses: i64,
    #[serde(default)]
    disability: DisabilityWire,
    #[serde(default)]
    widow: bool,
    #[serde(default)]
    single_parent: bool,
    #[serde(default)]
    single_parent_father: bool,
    #[serde(default)]
    working_student: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxpayerWire {
    birth_date: Option<String>,
    age: Option<u32>,
    #[serde(default)]
    income: IncomeWire,
    #[serde(default)]
    deductions: DeductionsWire,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpouseWire {
    birth_date: Option<String>,
    age: Option<u32>,
    #[serde(default)]
    total_income: i64,
    #[serde(default)]
    disability: DisabilityWire,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum RelationWire {
    Child,
    Parent,
    Other,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DependentWire {
    birth_date: Option<String>,
    age: Option<u32>,
    #[serde(default)]
    total_income: i64,
    relation: RelationWire,
    #[serde(default)]
    lives_with_taxpayer: bool,
    #[serde(default)]
    disability: DisabilityWire,
}

/// Reads `birth_date` or `age` (exactly one) under `path`; a birth date must
/// not be after `latest` (31 December of the income year for taxes).
pub(crate) fn birth_or_age(
    path: &str,
    birth_date: Option<&str>,
    age: Option<u32>,
    latest: kiban_core::Date,
) -> Result<BirthOrAge, CalcError> {
    let join = |name: &str| {
        if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    match (birth_date, age) {
        (Some(_), Some(_)) => Err(CalcError::invalid(
            join("age"),
            format!(
                "{}: birth_date と age はどちらか一方だけを指定してください",
                join("age")
            ),
        )),
        (Some(text), None) => {
            let field = join("birth_date");
            let birth = wire::date(&field, text)?;
            if birth > latest {
                return Err(CalcError::invalid(
                    &field,
                    format!("{field}: 生年月日が基準日（{latest}）より後です"),
                ));
            }
            Ok(BirthOrAge::BirthDate(birth))
        }
        (None, Some(age)) if age <= 150 => Ok(BirthOrAge::Age(age)),
        (None, Some(_)) => Err(CalcError::invalid(
            join("age"),
            format!("{}: 年齢は0から150までです", join("age")),
        )),
        (None, None) => Err(CalcError::field(
            "missing_field",
            join("birth_date"),
            format!("{}（又は age）がありません", join("birth_date")),
        )),
    }
}

fn to_domain(input: &Input) -> Result<ResidentTaxInput, CalcError> {
    let fiscal_year = FiscalYear::new(input.fiscal_year).map_err(|e| {
        CalcError::unsupported_fiscal_year(
            "fiscal_year",
            format!("fiscal_year: {}", e.message().text()),
        )
    })?;
    let year_end = kiban_income::income_year_end(fiscal_year);

    let rates = match &input.rates {
        None => LocalRates::default(),
        Some(r) => LocalRates {
            municipal_income_rate: r
                .municipal_income_rate
                .as_deref()
                .map(|s| wire::rate("rates.municipal_income_rate", s))
                .transpose()?,
            prefectural_income_rate: r
                .prefectural_income_rate
                .as_deref()
                .map(|s| wire::rate("rates.prefectural_income_rate", s))
                .transpose()?,
            municipal_per_capita: r
                .municipal_per_capita
                .map(|v| wire::non_negative("rates.municipal_per_capita", v))
                .transpose()?,
            prefectural_per_capita: r
                .prefectural_per_capita
                .map(|v| wire::non_negative("rates.prefectural_per_capita", v))
                .transpose()?,
            city_kind: r.designated_city.map(|d| {
                if d {
                    CityKind::Designated
                } else {
                    CityKind::Ordinary
                }
            }),
        },
    };
    let grade_number = input.non_taxable_grade.unwrap_or(1);
    let grade = NonTaxableGrade::from_number(grade_number).ok_or_else(|| {
        CalcError::invalid(
            "non_taxable_grade",
            format!("non_taxable_grade: 級地は 1, 2, 3 のいずれかです（{grade_number}）"),
        )
    })?;

    let t = &input.taxpayer;
    let age = birth_or_age("taxpayer", t.birth_date.as_deref(), t.age, year_end)?;
    let revenues = t.income.revenues("taxpayer.income")?;
    let d = &t.deductions;
    let money = |name: &str, v: i64| wire::non_negative(&format!("taxpayer.deductions.{name}"), v);
    let li = &d.life_insurance;
    let life = LifeInsurancePremiums {
        new_general: money("life_insurance.new_general", li.new_general)?,
        new_pension: money("life_insurance.new_pension", li.new_pension)?,
        care_medical: money("life_insurance.care_medical", li.care_medical)?,
        old_general: money("life_insurance.old_general", li.old_general)?,
        old_pension: money("life_insurance.old_pension", li.old_pension)?,
    };
    if d.disability == DisabilityWire::SpecialCohabiting {
        return Err(CalcError::invalid(
            "taxpayer.deductions.disability",
            "taxpayer.deductions.disability: 本人には none, general, special のいずれかを指定してください（同居特別障害者は配偶者・扶養親族の区分です）",
        ));
    }
    let widow_or_single_parent = match (d.widow, d.single_parent, d.single_parent_father) {
        (true, true, _) => {
            return Err(CalcError::invalid(
                "taxpayer.deductions.widow",
                "taxpayer.deductions.widow: 寡婦とひとり親は同時に指定できません",
            ));
        }
        (false, false, true) => {
            return Err(CalcError::invalid(
                "taxpayer.deductions.single_parent_father",
                "taxpayer.deductions.single_parent_father: single_parent と併せて指定してください",
            ));
        }
        (true, false, _) => WidowOrSingleParent::Widow,
        (false, true, false) => WidowOrSingleParent::SingleParentMother,
        (false, true, true) => WidowOrSingleParent::SingleParentFather,
        (false, false, false) => WidowOrSingleParent::None,
    };
    let claims = DeductionClaims {
        social_insurance: money("social_insurance", d.social_insurance)?,
        small_business_mutual_aid: money("small_business_mutual_aid", d.small_business_mutual_aid)?,
        life_insurance: life,
        earthquake_insurance: money("earthquake_insurance", d.earthquake_insurance)?,
        medical_expenses: money("medical_expenses", d.medical_expenses)?,
        disability: d.disability.into(),
        widow_or_single_parent,
        working_student: d.working_student,
    };

    let spouse = match &input.spouse {
        None => None,
        Some(s) => Some(Spouse {
            age: birth_or_age("spouse", s.birth_date.as_deref(), s.age, year_end)?,
            total_income: wire::non_negative("spouse.total_income", s.total_income)?,
            disability: s.disability.into(),
        }),
    };
    let mut dependents = Vec::with_capacity(input.dependents.len());
    for (i, dep) in input.dependents.iter().enumerate() {
        let path = format!("dependents[{i}]");
        dependents.push(Dependent {
            age: birth_or_age(&path, dep.birth_date.as_deref(), dep.age, year_end)?,
            total_income: wire::non_negative(&format!("{path}.total_income"), dep.total_income)?,
            relation: match dep.relation {
                RelationWire::Child => DependentRelation::Child,
                RelationWire::Parent => DependentRelation::Parent,
                RelationWire::Other => DependentRelation::Other,
            },
            lives_with_taxpayer: dep.lives_with_taxpayer,
            disability: dep.disability.into(),
        });
    }

    Ok(ResidentTaxInput {
        fiscal_year,
        rates,
        grade,
        taxpayer: Taxpayer {
            age,
            revenues,
            claims,
        },
        spouse,
        dependents,
    })
}

fn domain_error(error: ResidentTaxError) -> CalcError {
    match &error {
        ResidentTaxError::UnsupportedFiscalYear(_) => {
            CalcError::unsupported_fiscal_year("fiscal_year", error.message().text())
        }
        ResidentTaxError::InvalidRules(_) => CalcError {
            code: "rule_data_invalid",
            message: error.message().text(),
            field: None,
        },
    }
}

fn part(p: &PartTax, with_special_credit: bool) -> Value {
    let mut v = json!({
        "income_levy_before_credits": p.income_levy_before_credits.get(),
        "adjustment_credit": p.adjustment_credit.get(),
        "income_levy": p.income_levy.get(),
        "per_capita_levy": p.per_capita_levy.get(),
    });
    if with_special_credit && let Some(obj) = v.as_object_mut() {
        obj.insert(
            "special_tax_credit".into(),
            json!(p.special_tax_credit.get()),
        );
    }
    v
}

fn output(r: &ResidentTax) -> Value {
    let d = &r.deductions;
    let y = |v: Yen| v.get();
    json!({
        "fiscal_year": r.fiscal_year.start_year(),
        "employment_income": y(r.income.employment_income),
        "pension_income": y(r.income.pension_income),
        "total_income": y(r.income.total_income),
        "deductions": {
            "social_insurance": y(d.social_insurance),
            "small_business_mutual_aid": y(d.small_business_mutual_aid),
            "life_insurance": y(d.life_insurance),
            "earthquake_insurance": y(d.earthquake_insurance),
            "medical_expenses": y(d.medical_expenses),
            "spouse": y(d.spouse),
            "spouse_special": y(d.spouse_special),
            "dependents": y(d.dependents),
            "specified_relative": y(d.specified_relative),
            "disability": y(d.disability),
            "widow_single_parent": y(d.widow_single_parent),
            "working_student": y(d.working_student),
            "basic": y(d.basic),
            "total": y(d.total),
        },
        "tax_base": y(r.tax_base),
        "non_taxable": match r.non_taxable {
            NonTaxable::None => "none",
            NonTaxable::IncomeLevy => "income_levy",
            NonTaxable::All => "all",
        },
        "municipal": part(&r.municipal, r.has_special_tax_credit),
        "prefectural": part(&r.prefectural, r.has_special_tax_credit),
        "forest_environment_tax": y(r.forest_environment_tax),
        "total": y(r.total),
        "working": wire::working(&r.working),
    })
}

pub(crate) fn run(input: &Value) -> Result<Value, CalcError> {
    let input: Input = wire::parse(input)?;
    let domain = to_domain(&input)?;
    run_typed(&domain).map(|(_, output)| output)
}

/// calc-v1's `resident-tax` input object in the domain's types (a business
/// that stored the input it calculated from reads it back, e.g. to print
/// the working of an assessment).
pub fn input_typed(input: &Value) -> Result<ResidentTaxInput, CalcError> {
    let input: Input = wire::parse(input)?;
    to_domain(&input)
}

/// `resident-tax` on an input already in the domain's types (a business
/// that built it from its own records): the result and calc-v1's output
/// object for it, the very object [`crate::run`] answers for the same
/// input in JSON.
pub fn run_typed(input: &ResidentTaxInput) -> Result<(ResidentTax, Value), CalcError> {
    let result = kiban_tax_resident::calculate(input).map_err(domain_error)?;
    let out = output(&result);
    Ok((result, out))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::run;

    /// The input of the calc-v1 example (新潟市, 令和8年度).
    fn niigata() -> Value {
        json!({
          "fiscal_year": 2026,
          "rates": {"municipal_income_rate": "0.08", "prefectural_income_rate": "0.02",
                    "municipal_per_capita": 3000, "prefectural_per_capita": 1000},
          "non_taxable_grade": 1,
          "taxpayer": {
            "birth_date": "1983-06-10",
            "income": {"salary_revenue": 5000000, "public_pension_revenue": 0, "business_income": 0,
                       "real_estate_income": 0, "misc_income": 0},
            "deductions": {"social_insurance": 500000, "small_business_mutual_aid": 0,
              "life_insurance": {"new_general": 0, "new_pension": 0, "care_medical": 0,
                                 "old_general": 0, "old_pension": 0},
              "earthquake_insurance": 0, "medical_expenses": 0,
              "disability": "none", "widow": false, "single_parent": false, "working_student": false}
          },
          "spouse": {"birth_date": "1985-04-01", "total_income": 0, "disability": "none"},
          "dependents": [
            {"birth_date": "2007-05-01", "total_income": 0, "relation": "child",
             "lives_with_taxpayer": true, "disability": "none"},
            {"birth_date": "2011-05-01", "total_income": 0, "relation": "child",
             "lives_with_taxpayer": true, "disability": "none"}
          ]
        })
    }

    /// Every number of the contract's output object, plus the keys this
    /// implementation adds (documented in the module).
    #[test]
    fn niigata_fy2026_reproduces_the_contract_example() {
        let mut out = run("resident-tax", &niigata()).unwrap_or(Value::Null);
        let working = out.as_object_mut().and_then(|o| o.remove("working"));
        assert_eq!(
            out,
            json!({
              "fiscal_year": 2026,
              "employment_income": 3560000, "pension_income": 0, "total_income": 3560000,
              "deductions": {"social_insurance": 500000, "small_business_mutual_aid": 0,
                             "life_insurance": 0, "earthquake_insurance": 0,
                             "medical_expenses": 0, "spouse": 330000, "spouse_special": 0,
                             "dependents": 330000, "specified_relative": 0, "disability": 0,
                             "widow_single_parent": 0, "working_student": 0, "basic": 430000,
                             "total": 1590000},
              "tax_base": 1970000,
              "non_taxable": "none",
              "municipal":   {"income_levy_before_credits": 157600, "adjustment_credit": 6000, "income_levy": 151600, "per_capita_levy": 3000},
              "prefectural": {"income_levy_before_credits": 39400,  "adjustment_credit": 1500, "income_levy": 37900,  "per_capita_levy": 1000},
              "forest_environment_tax": 1000,
              "total": 194500
            })
        );
        let steps = working
            .and_then(|w| w.as_array().cloned())
            .unwrap_or_default();
        assert!(steps.len() > 10);
        assert!(
            steps
                .iter()
                .all(|s| s["step"].is_string() && s["amount"].is_i64() && s["basis"].is_string())
        );
        assert_eq!(
            steps.last().map(|s| s["amount"].clone()),
            Some(json!(194500))
        );
    }

    fn error_of(input: &Value) -> (&'static str, Option<String>) {
        match run("resident-tax", input) {
            Ok(v) => panic!("expected an error, got {v}"),
            Err(e) => (e.code, e.field),
        }
    }

    fn with(mut base: Value, path: &[&str], value: Value) -> Value {
        let mut cur = &mut base;
        for (i, key) in path.iter().enumerate() {
            if i + 1 == path.len() {
                cur[*key] = value;
                break;
            }
            cur = &mut cur[*key];
        }
        base
    }

    #[test]
    fn invalid_inputs_name_the_field() {
        let cases: Vec<(Value, &str, &str)> = vec![
            (
                with(niigata(), &["fiscal_year"], json!(2020)),
                "unsupported_fiscal_year",
                "fiscal_year",
            ),
            (
                with(niigata(), &["fiscal_year"], json!(2027)),
                "unsupported_fiscal_year",
                "fiscal_year",
            ),
            (
                with(
                    niigata(),
                    &["taxpayer", "income", "salary_revenue"],
                    json!(-1),
                ),
                "invalid_value",
                "taxpayer.income.salary_revenue",
            ),
            (
                with(niigata(), &["taxpayer", "birth_date"], json!("1983-02-30")),
                "invalid_date",
                "taxpayer.birth_date",
            ),
            (
                with(
                    niigata(),
                    &["taxpayer", "deductions", "disability"],
                    json!("severe"),
                ),
                "invalid_value",
                "taxpayer.deductions.disability",
            ),
            (
                with(niigata(), &["taxpayer", "deductions", "bonus"], json!(1)),
                "unknown_field",
                "taxpayer.deductions.bonus",
            ),
            (
                with(niigata(), &["rates", "municipal_income_rate"], json!("8%")),
                "invalid_value",
                "rates.municipal_income_rate",
            ),
            (
                with(niigata(), &["non_taxable_grade"], json!(4)),
                "invalid_value",
                "non_taxable_grade",
            ),
            (
                with(niigata(), &["spouse", "total_income"], json!(-5)),
                "invalid_value",
                "spouse.total_income",
            ),
        ];
        for (input, code, field) in cases {
            assert_eq!(error_of(&input), (code, Some(field.to_owned())), "{field}");
        }
        let mut bad_relation = niigata();
        bad_relation["dependents"][1]["relation"] = json!("cousin");
        assert_eq!(
            error_of(&bad_relation),
            ("invalid_value", Some("dependents[1].relation".to_owned()))
        );
        let mut future_child = niigata();
        future_child["dependents"][0]["birth_date"] = json!("2026-02-01");
        assert_eq!(
            error_of(&future_child),
            ("invalid_value", Some("dependents[0].birth_date".to_owned()))
        );
        let mut no_age = niigata();
        if let Some(t) = no_age["taxpayer"].as_object_mut() {
            t.remove("birth_date");
        }
        assert_eq!(
            error_of(&no_age),
            ("missing_field", Some("taxpayer.birth_date".to_owned()))
        );
    }

    #[test]
    fn every_supported_year_runs_with_standard_rates() {
        for year in 2021..=2026 {
            let mut input = niigata();
            input["fiscal_year"] = json!(year);
            if let Some(o) = input.as_object_mut() {
                o.remove("rates");
            }
            let out = run("resident-tax", &input).unwrap_or(Value::Null);
            assert_eq!(out["fiscal_year"], json!(year));
            let special = out["municipal"].get("special_tax_credit").is_some();
            assert_eq!(special, year == 2024 || year == 2025, "{year}");
            let per_capita = if year <= 2023 { 3500 } else { 3000 };
            assert_eq!(
                out["municipal"]["per_capita_levy"],
                json!(per_capita),
                "{year}"
            );
        }
    }
}
