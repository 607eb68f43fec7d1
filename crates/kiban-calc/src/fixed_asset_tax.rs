//! `fixed-asset-tax` (固定資産税・都市計画税, one taxpayer in one municipality).

use kiban_core::{FiscalYear, Yen};
use kiban_tax_fixed_asset::{
    Area, FixedAssetTaxError, Holding, House, Land, LandUse, NewBuild, NewBuildKind, TaxRates,
    assess,
};
use serde::Deserialize;
use serde_json::{Number, Value, json};

use crate::{CalcError, wire};

/// The input of `fixed-asset-tax`. `rates` may be omitted (the standard
/// fixed asset rate of the year, no city planning tax), as may its parts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    fiscal_year: i32,
    rates: Option<RatesInput>,
    #[serde(default)]
    land: Vec<LandInput>,
    #[serde(default)]
    houses: Vec<HouseInput>,
    #[serde(default)]
    depreciable_assets_tax_base: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RatesInput {
    fixed_asset: Option<String>,
    city_planning: Option<String>,
}

/// One parcel. `dwellings` (default 1) and `previous_city_planning_tax_base`
/// are additions to the contract.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LandInput {
    valuation: i64,
    area_m2: Number,
    #[serde(rename = "use")]
    land_use: String,
    previous_tax_base: Option<i64>,
    previous_city_planning_tax_base: Option<i64>,
    in_urbanization_area: bool,
    dwellings: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HouseInput {
    valuation: i64,
    floor_area_m2: Number,
    in_urbanization_area: bool,
    new_build: Option<NewBuildInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewBuildInput {
    completed_on: String,
    kind: String,
}

fn area(field: &str, value: &Number) -> Result<Area, CalcError> {
    Area::parse(&value.to_string()).ok_or_else(|| {
        CalcError::invalid(
            field,
            format!("{field}: 面積は0以上、小数点以下2桁までの数で指定してください"),
        )
    })
}

fn optional_yen(field: &str, amount: Option<i64>) -> Result<Option<Yen>, CalcError> {
    amount.map(|a| wire::non_negative(field, a)).transpose()
}

fn land(index: usize, input: &LandInput) -> Result<Land, CalcError> {
    let at = |name: &str| format!("land[{index}].{name}");
    let land_use = match input.land_use.as_str() {
        "small_residential" => LandUse::SmallResidential,
        "general_residential" => LandUse::GeneralResidential,
        "non_residential" => LandUse::NonResidential,
        other => {
            return Err(CalcError::invalid(
                at("use"),
                format!(
                    "{}: 「{other}」は small_residential, general_residential, non_residential のいずれかです",
                    at("use")
                ),
            ));
        }
    };
    if input.dwellings == Some(0) {
        return Err(CalcError::invalid(
            at("dwellings"),
            format!("{}: 住宅の戸数は1以上です", at("dwellings")),
        ));
    }
    Ok(Land {
        valuation: wire::non_negative(&at("valuation"), input.valuation)?,
        area: area(&at("area_m2"), &input.area_m2)?,
        land_use,
        dwellings: input.dwellings.unwrap_or(1),
        previous_tax_base: optional_yen(&at("previous_tax_base"), input.previous_tax_base)?,
        previous_city_planning_tax_base: optional_yen(
            &at("previous_city_planning_tax_base"),
            input.previous_city_planning_tax_base,
        )?,
        in_urbanization_area: input.in_urbanization_area,
    })
}

fn house(index: usize, input: &HouseInput) -> Result<House, CalcError> {
    let at = |name: &str| format!("houses[{index}].{name}");
    let new_build = match &input.new_build {
        None => None,
        Some(n) => {
            let kind = match n.kind.as_str() {
                "ordinary" => NewBuildKind::Ordinary,
                "long_life" => NewBuildKind::LongLife,
                "fireproof_mid_high_rise" => NewBuildKind::FireproofMidHighRise,
                "long_life_fireproof_mid_high_rise" => NewBuildKind::LongLifeFireproofMidHighRise,
                other => {
                    return Err(CalcError::invalid(
                        at("new_build.kind"),
                        format!(
                            "{}: 「{other}」は ordinary, long_life, fireproof_mid_high_rise, long_life_fireproof_mid_high_rise のいずれかです",
                            at("new_build.kind")
                        ),
                    ));
                }
            };
            Some(NewBuild {
                completed_on: wire::date(&at("new_build.completed_on"), &n.completed_on)?,
                kind,
            })
        }
    };
    Ok(House {
        valuation: wire::non_negative(&at("valuation"), input.valuation)?,
        floor_area: area(&at("floor_area_m2"), &input.floor_area_m2)?,
        in_urbanization_area: input.in_urbanization_area,
        new_build,
    })
}

pub(crate) fn run(input: &Value) -> Result<Value, CalcError> {
    let input: Input = wire::parse(input)?;
    let fiscal_year = FiscalYear::new(input.fiscal_year).map_err(|e| {
        CalcError::unsupported_fiscal_year(
            "fiscal_year",
            format!("fiscal_year: {}", e.message().text()),
        )
    })?;
    let rates = match &input.rates {
        None => TaxRates {
            fixed_asset: None,
            city_planning: None,
        },
        Some(r) => TaxRates {
            fixed_asset: r
                .fixed_asset
                .as_deref()
                .map(|s| wire::rate("rates.fixed_asset", s))
                .transpose()?,
            city_planning: r
                .city_planning
                .as_deref()
                .map(|s| wire::rate("rates.city_planning", s))
                .transpose()?,
        },
    };
    let holding = Holding {
        land: input
            .land
            .iter()
            .enumerate()
            .map(|(i, l)| land(i, l))
            .collect::<Result<_, _>>()?,
        houses: input
            .houses
            .iter()
            .enumerate()
            .map(|(i, h)| house(i, h))
            .collect::<Result<_, _>>()?,
        depreciable_assets_tax_base: wire::non_negative(
            "depreciable_assets_tax_base",
            input.depreciable_assets_tax_base,
        )?,
    };
    let a = assess(fiscal_year, rates, &holding).map_err(|e| match &e {
        FixedAssetTaxError::Rules(rule) => wire::rule_error("fiscal_year", rule),
        _ => CalcError::invalid(e.field().unwrap_or_default(), e.message().text()),
    })?;
    let land: Vec<Value> = a
        .land
        .iter()
        .map(|l| {
            json!({
                "standard_tax_base": l.standard_tax_base.get(),
                "tax_base": l.tax_base.get(),
                "city_planning_tax_base": l.city_planning_tax_base.get(),
            })
        })
        .collect();
    let houses: Vec<Value> = a
        .houses
        .iter()
        .map(|h| {
            json!({
                "tax_base": h.tax_base.get(),
                "city_planning_tax_base": h.city_planning_tax_base.get(),
                "new_build_reduction": h.new_build_reduction.get(),
            })
        })
        .collect();
    Ok(json!({
        "fiscal_year": a.fiscal_year.start_year(),
        "rates": {
            "fixed_asset": a.fixed_asset_rate.to_string(),
            "city_planning": a.city_planning_rate.to_string(),
        },
        "land": land,
        "houses": houses,
        "depreciable_assets_tax_base": holding.depreciable_assets_tax_base.get(),
        "tax_base_totals": {
            "land": a.tax_base_totals.land.get(),
            "houses": a.tax_base_totals.houses.get(),
            "depreciable_assets": a.tax_base_totals.depreciable_assets.get(),
        },
        "city_planning_tax_base_totals": {
            "land": a.city_planning_tax_base_totals.land.get(),
            "houses": a.city_planning_tax_base_totals.houses.get(),
        },
        "exemption": a.exemption.iter().map(|c| c.code()).collect::<Vec<_>>(),
        "new_build_reduction": a.new_build_reduction.get(),
        "fixed_asset_tax_calculated": a.fixed_asset_tax_calculated.get(),
        "city_planning_tax_calculated": a.city_planning_tax_calculated.get(),
        "fixed_asset_tax": a.fixed_asset_tax.get(),
        "city_planning_tax": a.city_planning_tax.get(),
        "total": a.total.get(),
        "working": wire::working(&a.working),
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::run;

    /// The example of the contract (its land is 岡崎市's 令和7年度 example).
    #[test]
    fn contract_example() {
        let out = run(
            "fixed-asset-tax",
            &json!({
                "fiscal_year": 2025,
                "rates": {"fixed_asset": "0.014", "city_planning": "0.003"},
                "land": [{"valuation": 17000000, "area_m2": 200, "use": "small_residential",
                          "previous_tax_base": 2500000, "in_urbanization_area": true}],
                "houses": [{"valuation": 11000000, "floor_area_m2": 125, "in_urbanization_area": true,
                            "new_build": {"completed_on": "2022-09-01", "kind": "ordinary"}}],
                "depreciable_assets_tax_base": 0
            }),
        )
        .unwrap();
        assert_eq!(out["land"][0]["tax_base"], 2641666);
        assert_eq!(out["land"][0]["city_planning_tax_base"], 5283333);
        assert_eq!(out["houses"][0]["new_build_reduction"], 73920);
        assert_eq!(out["exemption"], json!([]));
        assert_eq!(out["fixed_asset_tax_calculated"], 117054);
        assert_eq!(out["city_planning_tax_calculated"], 48849);
        assert_eq!(out["fixed_asset_tax"], 117000);
        assert_eq!(out["city_planning_tax"], 48800);
        assert_eq!(out["total"], 165800);
        assert_eq!(
            out["working"]
                .as_array()
                .and_then(|w| w.last())
                .map(|s| s["amount"].clone()),
            Some(json!(165800))
        );
    }

    /// 鈴鹿市's new-house example with a decimal floor area accepted and the
    /// small-residential split of a 400 m² parcel.
    #[test]
    fn houses_and_areas() {
        let out = run(
            "fixed-asset-tax",
            &json!({
                "fiscal_year": 2024,
                "rates": {"fixed_asset": "0.014", "city_planning": "0.002"},
                "houses": [{"valuation": 10000000, "floor_area_m2": 125.0, "in_urbanization_area": true,
                            "new_build": {"completed_on": "2023-05-01", "kind": "ordinary"}}]
            }),
        )
        .unwrap();
        assert_eq!(out["total"], 92800);
        let out = run(
            "fixed-asset-tax",
            &json!({
                "fiscal_year": 2025,
                "land": [{"valuation": 34000000, "area_m2": 400, "use": "small_residential", "in_urbanization_area": false}],
                "depreciable_assets_tax_base": 1000000
            }),
        )
        .unwrap();
        assert_eq!(out["land"][0]["tax_base"], 8499999);
        assert_eq!(out["exemption"], json!(["depreciable_assets"]));
        assert_eq!(out["fixed_asset_tax"], 118900);
        assert_eq!(
            out["rates"],
            json!({"fixed_asset": "0.014", "city_planning": "0"})
        );
    }

    #[test]
    fn invalid_inputs_name_the_field() {
        let field = |v| run("fixed-asset-tax", &v).map_err(|e| (e.code, e.field));
        let land = |l| json!({"fiscal_year": 2025, "land": [l]});
        assert_eq!(
            field(land(
                json!({"valuation": -1, "area_m2": 100, "use": "non_residential", "in_urbanization_area": true})
            )),
            Err(("invalid_value", Some("land[0].valuation".into())))
        );
        assert_eq!(
            field(land(
                json!({"valuation": 1, "area_m2": -5, "use": "non_residential", "in_urbanization_area": true})
            )),
            Err(("invalid_value", Some("land[0].area_m2".into())))
        );
        assert_eq!(
            field(land(
                json!({"valuation": 1, "area_m2": 5, "use": "farm", "in_urbanization_area": true})
            )),
            Err(("invalid_value", Some("land[0].use".into())))
        );
        assert_eq!(
            field(land(json!({"valuation": 1, "area_m2": 5, "use": "farm"}))),
            Err(("missing_field", Some("land[0].in_urbanization_area".into())))
        );
        assert_eq!(
            field(json!({"fiscal_year": 2020})),
            Err(("unsupported_fiscal_year", Some("fiscal_year".into())))
        );
        assert_eq!(
            field(json!({"fiscal_year": 2025, "rates": {"city_planning": "0.005"}})),
            Err(("invalid_value", Some("rates.city_planning".into())))
        );
        assert_eq!(
            field(
                json!({"fiscal_year": 2025, "houses": [{"valuation": 1, "floor_area_m2": 100, "in_urbanization_area": true,
                "new_build": {"completed_on": "2025-01-02", "kind": "ordinary"}}]})
            ),
            Err((
                "invalid_value",
                Some("houses[0].new_build.completed_on".into())
            ))
        );
        assert_eq!(
            field(
                json!({"fiscal_year": 2025, "houses": [{"valuation": 1, "floor_area_m2": 100, "in_urbanization_area": true,
                "new_build": {"completed_on": "2024-02-30", "kind": "ordinary"}}]})
            ),
            Err((
                "invalid_date",
                Some("houses[0].new_build.completed_on".into())
            ))
        );
        assert_eq!(
            field(json!({"fiscal_year": 2025, "depreciable_assets_tax_base": -3})),
            Err(("invalid_value", Some("depreciable_assets_tax_base".into())))
        );
        assert_eq!(
            field(json!({"fiscal_year": 2025, "vehicles": []})),
            Err(("unknown_field", Some("vehicles".into())))
        );
    }
}
