//! The JSON shapes of the contract (`resident-tax-v1`) that this crate's
//! doors share (the API, the CLI, storage's stored settings): the settings
//! body, and the calc-v1 `resident-tax` input an assessment is calculated
//! from. Errors name the JSON path of the member at fault.

use kiban_core::{Date, Message};
use kiban_income::BirthOrAge;
use kiban_tax_resident::{
    CityKind, DependentRelation, Disability, ResidentTaxInput, WidowOrSingleParent,
};
use serde_json::{Map, Value, json};

use crate::domain::settings::{Settings, SettingsError, SettingsInput};

fn invalid(field: &str, detail: &str) -> SettingsError {
    SettingsError {
        field: field.to_owned(),
        message: Message::ResidentTaxSettingInvalid {
            field: field.to_owned(),
            detail: detail.to_owned(),
        },
    }
}

/// Reads the settings body (`PUT …/settings`, `kiban tax settings`): every
/// member optional, unknown members refused by name.
pub fn settings_input(body: &Value) -> Result<SettingsInput, SettingsError> {
    let Value::Object(obj) = body else {
        return Err(invalid(
            "(body)",
            "設定はJSONオブジェクトで指定してください",
        ));
    };
    let mut input = SettingsInput::default();
    for (key, value) in obj {
        match key.as_str() {
            "rates" => {
                if value.is_null() {
                    continue;
                }
                let Value::Object(rates) = value else {
                    return Err(invalid("rates", "オブジェクトで指定してください"));
                };
                for (k, v) in rates {
                    let field = format!("rates.{k}");
                    match k.as_str() {
                        "municipal_income_rate" => {
                            input.municipal_income_rate = opt_rate(&field, v)?
                        }
                        "prefectural_income_rate" => {
                            input.prefectural_income_rate = opt_rate(&field, v)?
                        }
                        "municipal_per_capita" => input.municipal_per_capita = opt_int(&field, v)?,
                        "prefectural_per_capita" => {
                            input.prefectural_per_capita = opt_int(&field, v)?
                        }
                        "designated_city" => {
                            input.designated_city = match v {
                                Value::Null => None,
                                Value::Bool(b) => Some(*b),
                                _ => {
                                    return Err(invalid(
                                        &field,
                                        "true または false で指定してください",
                                    ));
                                }
                            }
                        }
                        _ => return Err(invalid(&field, "この項目はありません")),
                    }
                }
            }
            "non_taxable_grade" => input.non_taxable_grade = opt_int(key, value)?,
            "installment_unit" => input.installment_unit = opt_int(key, value)?,
            "collection_agency_code" => {
                input.collection_agency_code = match value {
                    Value::Null => None,
                    Value::String(s) => Some(s.clone()),
                    _ => return Err(invalid(key, "文字列（半角数字5桁）で指定してください")),
                }
            }
            "ordinary_due_dates" => {
                input.ordinary_due_dates = match value {
                    Value::Null => None,
                    Value::Array(items) => {
                        let mut dates = Vec::with_capacity(items.len());
                        for (i, item) in items.iter().enumerate() {
                            let Value::String(s) = item else {
                                return Err(invalid(
                                    &format!("ordinary_due_dates[{i}]"),
                                    "日付（YYYY-MM-DD）の文字列で指定してください",
                                ));
                            };
                            dates.push(s.clone());
                        }
                        Some(dates)
                    }
                    _ => return Err(invalid(key, "日付の配列で指定してください")),
                }
            }
            _ => return Err(invalid(key, "この項目はありません")),
        }
    }
    Ok(input)
}

fn opt_rate(field: &str, v: &Value) -> Result<Option<String>, SettingsError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(invalid(
            field,
            "税率は文字列（例: \"0.06\"）で指定してください",
        )),
    }
}

fn opt_int(field: &str, v: &Value) -> Result<Option<i64>, SettingsError> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| invalid(field, "整数で指定してください")),
        _ => Err(invalid(field, "整数で指定してください")),
    }
}

/// The settings in the shape of the `PUT` body, every default filled in
/// (`GET …/settings`).
pub fn settings_json(s: &Settings) -> Value {
    let mut rates = json!({
        "municipal_income_rate": s.rates.municipal_income_rate.to_string(),
        "prefectural_income_rate": s.rates.prefectural_income_rate.to_string(),
        "municipal_per_capita": s.rates.municipal_per_capita.get(),
        "prefectural_per_capita": s.rates.prefectural_per_capita.get(),
    });
    if let (Some(d), Some(obj)) = (s.designated_city, rates.as_object_mut()) {
        obj.insert("designated_city".into(), Value::Bool(d));
    }
    json!({
        "rates": rates,
        "non_taxable_grade": s.non_taxable_grade,
        "ordinary_due_dates": s.ordinary_due_dates.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "installment_unit": s.installment_unit,
        "collection_agency_code": s.collection_agency_code,
    })
}

fn disability(d: Disability) -> &'static str {
    match d {
        Disability::None => "none",
        Disability::General => "general",
        Disability::Special => "special",
        Disability::SpecialCohabiting => "special_cohabiting",
    }
}

fn age(obj: &mut Map<String, Value>, a: BirthOrAge) {
    match a {
        BirthOrAge::BirthDate(d) => obj.insert("birth_date".into(), Value::String(d.to_string())),
        BirthOrAge::Age(n) => obj.insert("age".into(), json!(n)),
    };
}

/// Inserts `value` under `key` unless it is zero (the input stays short;
/// calc-v1 reads a missing amount as 0).
fn amount(obj: &mut Map<String, Value>, key: &str, value: kiban_core::Yen) {
    if value.get() != 0 {
        obj.insert(key.into(), json!(value.get()));
    }
}

/// The calc-v1 `resident-tax` input of a domain input: `kiban_calc::run`
/// on it gives the same result as `kiban_tax_resident::calculate` on the
/// domain input (amounts of zero and flags that are false are left out).
pub fn calc_input(input: &ResidentTaxInput) -> Value {
    let r = &input.rates;
    let mut rates = Map::new();
    if let Some(v) = r.municipal_income_rate {
        rates.insert("municipal_income_rate".into(), Value::String(v.to_string()));
    }
    if let Some(v) = r.prefectural_income_rate {
        rates.insert(
            "prefectural_income_rate".into(),
            Value::String(v.to_string()),
        );
    }
    if let Some(v) = r.municipal_per_capita {
        rates.insert("municipal_per_capita".into(), json!(v.get()));
    }
    if let Some(v) = r.prefectural_per_capita {
        rates.insert("prefectural_per_capita".into(), json!(v.get()));
    }
    if let Some(k) = r.city_kind {
        rates.insert(
            "designated_city".into(),
            Value::Bool(k == CityKind::Designated),
        );
    }
    let t = &input.taxpayer;
    let mut taxpayer = Map::new();
    age(&mut taxpayer, t.age);
    let mut income = Map::new();
    let v = &t.revenues;
    amount(&mut income, "salary_revenue", v.salary_revenue);
    amount(
        &mut income,
        "public_pension_revenue",
        v.public_pension_revenue,
    );
    amount(&mut income, "business_income", v.business_income);
    amount(&mut income, "real_estate_income", v.real_estate_income);
    amount(&mut income, "misc_income", v.misc_income);
    if !income.is_empty() {
        taxpayer.insert("income".into(), Value::Object(income));
    }
    let c = &t.claims;
    let mut deductions = Map::new();
    amount(&mut deductions, "social_insurance", c.social_insurance);
    amount(
        &mut deductions,
        "small_business_mutual_aid",
        c.small_business_mutual_aid,
    );
    let mut life = Map::new();
    let l = &c.life_insurance;
    amount(&mut life, "new_general", l.new_general);
    amount(&mut life, "new_pension", l.new_pension);
    amount(&mut life, "care_medical", l.care_medical);
    amount(&mut life, "old_general", l.old_general);
    amount(&mut life, "old_pension", l.old_pension);
    if !life.is_empty() {
        deductions.insert("life_insurance".into(), Value::Object(life));
    }
    amount(
        &mut deductions,
        "earthquake_insurance",
        c.earthquake_insurance,
    );
    amount(&mut deductions, "medical_expenses", c.medical_expenses);
    if c.disability != Disability::None {
        deductions.insert(
            "disability".into(),
            Value::String(disability(c.disability).into()),
        );
    }
    match c.widow_or_single_parent {
        WidowOrSingleParent::None => {}
        WidowOrSingleParent::Widow => {
            deductions.insert("widow".into(), Value::Bool(true));
        }
        WidowOrSingleParent::SingleParentMother => {
            deductions.insert("single_parent".into(), Value::Bool(true));
        }
        WidowOrSingleParent::SingleParentFather => {
            deductions.insert("single_parent".into(), Value::Bool(true));
            deductions.insert("single_parent_father".into(), Value::Bool(true));
        }
    }
    if c.working_student {
        deductions.insert("working_student".into(), Value::Bool(true));
    }
    if !deductions.is_empty() {
        taxpayer.insert("deductions".into(), Value::Object(deductions));
    }
    let mut out = Map::new();
    out.insert("fiscal_year".into(), json!(input.fiscal_year.start_year()));
    if !rates.is_empty() {
        out.insert("rates".into(), Value::Object(rates));
    }
    let grade = match input.grade {
        kiban_tax_resident::NonTaxableGrade::First => 1,
        kiban_tax_resident::NonTaxableGrade::Second => 2,
        kiban_tax_resident::NonTaxableGrade::Third => 3,
    };
    out.insert("non_taxable_grade".into(), json!(grade));
    out.insert("taxpayer".into(), Value::Object(taxpayer));
    if let Some(s) = &input.spouse {
        let mut spouse = Map::new();
        age(&mut spouse, s.age);
        spouse.insert("total_income".into(), json!(s.total_income.get()));
        spouse.insert(
            "disability".into(),
            Value::String(disability(s.disability).into()),
        );
        out.insert("spouse".into(), Value::Object(spouse));
    }
    if !input.dependents.is_empty() {
        let deps = input
            .dependents
            .iter()
            .map(|d| {
                let mut dep = Map::new();
                age(&mut dep, d.age);
                dep.insert("total_income".into(), json!(d.total_income.get()));
                dep.insert(
                    "relation".into(),
                    Value::String(
                        match d.relation {
                            DependentRelation::Child => "child",
                            DependentRelation::Parent => "parent",
                            DependentRelation::Other => "other",
                        }
                        .into(),
                    ),
                );
                dep.insert(
                    "lives_with_taxpayer".into(),
                    Value::Bool(d.lives_with_taxpayer),
                );
                dep.insert(
                    "disability".into(),
                    Value::String(disability(d.disability).into()),
                );
                Value::Object(dep)
            })
            .collect();
        out.insert("dependents".into(), Value::Array(deps));
    }
    Value::Object(out)
}

/// A date as the wire writes it.
pub fn date(d: Date) -> Value {
    Value::String(d.to_string())
}
