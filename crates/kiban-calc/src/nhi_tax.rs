//! `nhi-tax` (国民健康保険税, one household, whole fiscal year): the wire
//! types of calc-v1 and their conversion to and from `kiban-nhi`.
//!
//! The first member is the head of household (世帯主); `head_insured` must
//! agree with its `insured`. Input additions: a member's
//! `transferred_to_late_elderly` (特定同一世帯所属者, counted in the reduction
//! judgement). `child_support` appears in the output from FY2026.

use kiban_core::{FiscalYear, Yen};
use kiban_nhi::{
    LocalReduction, Member, MemberStatus, NhiError, NhiInput, NhiTax, Part, PartRates, Reduction,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::resident_tax::{IncomeWire, birth_or_age};
use crate::{CalcError, wire};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    fiscal_year: i32,
    #[serde(default)]
    rates: RatesWire,
    household: HouseholdWire,
    #[serde(default)]
    local_reductions: Vec<LocalReductionWire>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RatesWire {
    medical: Option<PartRatesWire>,
    elderly_support: Option<PartRatesWire>,
    care_support: Option<PartRatesWire>,
    child_support: Option<PartRatesWire>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartRatesWire {
    income_rate: Option<String>,
    asset_rate: Option<String>,
    #[serde(default)]
    per_capita: i64,
    #[serde(default)]
    per_household: i64,
    annual_cap: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HouseholdWire {
    head_insured: bool,
    #[serde(default)]
    fixed_asset_tax: i64,
    members: Vec<MemberWire>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberWire {
    birth_date: Option<String>,
    age: Option<u32>,
    insured: bool,
    #[serde(default)]
    transferred_to_late_elderly: bool,
    #[serde(default)]
    income: IncomeWire,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum LocalKindWire {
    PerCapitaForChildren,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum PartWire {
    Medical,
    ElderlySupport,
    CareSupport,
    ChildSupport,
}

impl From<PartWire> for Part {
    fn from(p: PartWire) -> Self {
        match p {
            PartWire::Medical => Part::Medical,
            PartWire::ElderlySupport => Part::ElderlySupport,
            PartWire::CareSupport => Part::CareSupport,
            PartWire::ChildSupport => Part::ChildSupport,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocalReductionWire {
    kind: LocalKindWire,
    parts: Vec<PartWire>,
    max_age: u32,
    ratio: String,
}

fn part_rates(path: &str, r: &PartRatesWire) -> Result<PartRates, CalcError> {
    let rate = |name: &str, v: &Option<String>| match v {
        Some(s) => wire::rate(&format!("{path}.{name}"), s),
        None => Ok(kiban_core::Rate::ZERO),
    };
    Ok(PartRates {
        income_rate: rate("income_rate", &r.income_rate)?,
        asset_rate: rate("asset_rate", &r.asset_rate)?,
        per_capita: wire::non_negative(&format!("{path}.per_capita"), r.per_capita)?,
        per_household: wire::non_negative(&format!("{path}.per_household"), r.per_household)?,
        annual_cap: r
            .annual_cap
            .map(|v| wire::non_negative(&format!("{path}.annual_cap"), v))
            .transpose()?,
    })
}

fn to_domain(input: &Input) -> Result<NhiInput, CalcError> {
    let fiscal_year = FiscalYear::new(input.fiscal_year).map_err(|e| {
        CalcError::unsupported_fiscal_year(
            "fiscal_year",
            format!("fiscal_year: {}", e.message().text()),
        )
    })?;
    let mut rates = Vec::new();
    for (part, wire_rates) in [
        (Part::Medical, &input.rates.medical),
        (Part::ElderlySupport, &input.rates.elderly_support),
        (Part::CareSupport, &input.rates.care_support),
        (Part::ChildSupport, &input.rates.child_support),
    ] {
        if let Some(r) = wire_rates {
            rates.push((part, part_rates(&format!("rates.{}", part.key()), r)?));
        }
    }

    let h = &input.household;
    if h.members.is_empty() {
        return Err(CalcError::invalid(
            "household.members",
            "household.members: 世帯主を先頭に1人以上を指定してください",
        ));
    }
    let latest = fiscal_year.first_day();
    let mut members = Vec::with_capacity(h.members.len());
    for (i, m) in h.members.iter().enumerate() {
        let path = format!("household.members[{i}]");
        if m.insured && m.transferred_to_late_elderly {
            return Err(CalcError::invalid(
                format!("{path}.transferred_to_late_elderly"),
                format!(
                    "{path}.transferred_to_late_elderly: 被保険者は特定同一世帯所属者ではありません"
                ),
            ));
        }
        members.push(Member {
            age: birth_or_age(&path, m.birth_date.as_deref(), m.age, latest)?,
            status: if m.insured {
                MemberStatus::Insured
            } else if m.transferred_to_late_elderly {
                MemberStatus::TransferredToLateElderly
            } else {
                MemberStatus::NotInsured
            },
            revenues: m.income.revenues(&format!("{path}.income"))?,
        });
    }
    if h.members[0].insured != h.head_insured {
        return Err(CalcError::invalid(
            "household.head_insured",
            "household.head_insured: 先頭の世帯員（世帯主）の insured と一致しません",
        ));
    }

    let mut local_reductions = Vec::with_capacity(input.local_reductions.len());
    for (i, r) in input.local_reductions.iter().enumerate() {
        let path = format!("local_reductions[{i}]");
        let ratio = wire::rate(&format!("{path}.ratio"), &r.ratio)?;
        if ratio.complement().is_zero() && ratio.to_string() != "1" {
            return Err(CalcError::invalid(
                format!("{path}.ratio"),
                format!("{path}.ratio: 0から1までの割合です"),
            ));
        }
        match r.kind {
            LocalKindWire::PerCapitaForChildren => {
                local_reductions.push(LocalReduction::PerCapitaForChildren {
                    parts: r.parts.iter().map(|p| Part::from(*p)).collect(),
                    max_age: r.max_age,
                    ratio,
                })
            }
        }
    }

    Ok(NhiInput {
        fiscal_year,
        rates,
        fixed_asset_tax: wire::non_negative("household.fixed_asset_tax", h.fixed_asset_tax)?,
        members,
        local_reductions,
    })
}

fn domain_error(error: NhiError) -> CalcError {
    match &error {
        NhiError::UnsupportedFiscalYear(_) => {
            CalcError::unsupported_fiscal_year("fiscal_year", error.message().text())
        }
        NhiError::InvalidRules(_) => CalcError {
            code: "rule_data_invalid",
            message: error.message().text(),
            field: None,
        },
        NhiError::NoInsuredMember | NhiError::PartNotInYear(_) => CalcError {
            code: "invalid_value",
            message: error.message().text(),
            field: error.field(),
        },
    }
}

fn output(r: &NhiTax) -> Value {
    let y = |v: Yen| v.get();
    let mut parts = Map::new();
    for (part, t) in &r.parts {
        parts.insert(
            part.key().to_owned(),
            json!({
                "income_based": y(t.income_based),
                "asset_based": y(t.asset_based),
                "per_capita": y(t.per_capita),
                "per_household": y(t.per_household),
                "local_reduction": y(t.local_reduction),
                "total": y(t.total),
            }),
        );
    }
    json!({
        "fiscal_year": r.fiscal_year.start_year(),
        "reduction": match r.reduction {
            Reduction::Seventy => "70",
            Reduction::Fifty => "50",
            Reduction::Twenty => "20",
            Reduction::None => "none",
        },
        "parts": parts,
        "total": y(r.total),
        "working": wire::working(&r.working),
    })
}

pub(crate) fn run(input: &Value) -> Result<Value, CalcError> {
    let input: Input = wire::parse(input)?;
    let domain = to_domain(&input)?;
    let result = kiban_nhi::calculate(&domain).map_err(domain_error)?;
    Ok(output(&result))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::run;

    /// The input of the calc-v1 example (瀬戸内市, 令和7年度).
    fn setouchi() -> Value {
        json!({
          "fiscal_year": 2025,
          "rates": {
            "medical":         {"income_rate": "0.0961", "asset_rate": "0", "per_capita": 26663, "per_household": 22825, "annual_cap": 660000},
            "elderly_support": {"income_rate": "0.0314", "per_capita": 9539, "per_household": 7355, "annual_cap": 260000},
            "care_support":    {"income_rate": "0.0250", "per_capita": 10000, "per_household": 7000, "annual_cap": 170000}
          },
          "household": {
            "head_insured": true,
            "fixed_asset_tax": 0,
            "members": [{"birth_date": "1952-06-01", "insured": true,
                         "income": {"salary_revenue": 0, "public_pension_revenue": 1600000,
                                    "business_income": 0, "real_estate_income": 0, "misc_income": 0}}]
          },
          "local_reductions": [
            {"kind": "per_capita_for_children", "parts": ["medical", "elderly_support"], "max_age": 18, "ratio": "0.8"}
          ]
        })
    }

    #[test]
    fn setouchi_fy2025_reproduces_the_contract_example() {
        let mut out = run("nhi-tax", &setouchi()).unwrap_or(Value::Null);
        let working = out.as_object_mut().and_then(|o| o.remove("working"));
        assert_eq!(
            out,
            json!({
              "fiscal_year": 2025,
              "reduction": "70",
              "parts": {
                "medical": {"income_based": 6727, "asset_based": 0, "per_capita": 7998, "per_household": 6847,
                            "local_reduction": 0, "total": 21500},
                "elderly_support": {"income_based": 2198, "asset_based": 0, "per_capita": 2861, "per_household": 2206,
                            "local_reduction": 0, "total": 7200},
                "care_support": {"income_based": 0, "asset_based": 0, "per_capita": 0, "per_household": 0,
                            "local_reduction": 0, "total": 0}
              },
              "total": 28700
            })
        );
        let steps = working
            .and_then(|w| w.as_array().cloned())
            .unwrap_or_default();
        assert!(
            steps
                .iter()
                .any(|s| s["step"] == json!("軽減判定所得") && s["amount"] == json!(350000))
        );
        assert_eq!(
            steps.last().map(|s| s["amount"].clone()),
            Some(json!(28700))
        );
    }

    fn error_of(input: &Value) -> (&'static str, Option<String>) {
        match run("nhi-tax", input) {
            Ok(v) => panic!("expected an error, got {v}"),
            Err(e) => (e.code, e.field),
        }
    }

    #[test]
    fn invalid_inputs_name_the_field() {
        let mut v = setouchi();
        v["fiscal_year"] = json!(2020);
        assert_eq!(
            error_of(&v),
            ("unsupported_fiscal_year", Some("fiscal_year".into()))
        );
        let mut v = setouchi();
        v["household"]["members"][0]["income"]["public_pension_revenue"] = json!(-1);
        assert_eq!(
            error_of(&v),
            (
                "invalid_value",
                Some("household.members[0].income.public_pension_revenue".into())
            )
        );
        let mut v = setouchi();
        v["household"]["members"][0]["birth_date"] = json!("1952-13-01");
        assert_eq!(
            error_of(&v),
            (
                "invalid_date",
                Some("household.members[0].birth_date".into())
            )
        );
        let mut v = setouchi();
        v["local_reductions"][0]["kind"] = json!("per_household_for_all");
        assert_eq!(
            error_of(&v),
            ("invalid_value", Some("local_reductions[0].kind".into()))
        );
        let mut v = setouchi();
        v["local_reductions"][0]["parts"][0] = json!("dental");
        assert_eq!(
            error_of(&v),
            ("invalid_value", Some("local_reductions[0].parts[0]".into()))
        );
        let mut v = setouchi();
        v["rates"]["medical"]["per_capita"] = json!(-26663);
        assert_eq!(
            error_of(&v),
            ("invalid_value", Some("rates.medical.per_capita".into()))
        );
        let mut v = setouchi();
        v["rates"]["child_support"] = json!({"income_rate": "0.003", "per_capita": 1800});
        assert_eq!(
            error_of(&v),
            ("invalid_value", Some("rates.child_support".into()))
        );
        let mut v = setouchi();
        v["household"]["head_insured"] = json!(false);
        assert_eq!(
            error_of(&v),
            ("invalid_value", Some("household.head_insured".into()))
        );
        let mut v = setouchi();
        v["household"]["members"][0]["shoe_size"] = json!(26);
        assert_eq!(
            error_of(&v),
            (
                "unknown_field",
                Some("household.members[0].shoe_size".into())
            )
        );
    }
}
