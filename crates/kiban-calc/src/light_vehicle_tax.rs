//! `light-vehicle-tax` (軽自動車税 種別割, one vehicle).

use kiban_core::FiscalYear;
use kiban_tax_light_vehicle::{
    Fuel, GreenCriteria, LightVehicleTaxError, Vehicle, VehicleClass, assess,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{CalcError, wire};

/// The input of `light-vehicle-tax`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    fiscal_year: i32,
    vehicle: VehicleInput,
}

/// One vehicle. `green_criteria` (`fuel_efficiency_50` or
/// `fuel_efficiency_25`) is an addition to the contract: the fuel-efficiency
/// criteria of the green reduction that a gasoline or hybrid vehicle meets.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VehicleInput {
    class: String,
    first_inspection: Option<String>,
    fuel: Option<String>,
    green_criteria: Option<String>,
}

pub(crate) fn run(input: &Value) -> Result<Value, CalcError> {
    let input: Input = wire::parse(input)?;
    let fiscal_year = FiscalYear::new(input.fiscal_year).map_err(|e| {
        CalcError::unsupported_fiscal_year(
            "fiscal_year",
            format!("fiscal_year: {}", e.message().text()),
        )
    })?;
    let v = input.vehicle;
    let class = VehicleClass::from_code(&v.class).ok_or_else(|| {
        CalcError::invalid(
            "vehicle.class",
            format!(
                "vehicle.class: 「{}」は車種区分ではありません（unknown vehicle class）",
                v.class
            ),
        )
    })?;
    let first_inspection = v
        .first_inspection
        .as_deref()
        .map(|m| wire::month("vehicle.first_inspection", m))
        .transpose()?;
    let fuel = v
        .fuel
        .as_deref()
        .map(|f| {
            Fuel::from_code(f).ok_or_else(|| {
                CalcError::invalid(
                    "vehicle.fuel",
                    format!("vehicle.fuel: 「{f}」は燃料の種類ではありません"),
                )
            })
        })
        .transpose()?;
    let green_criteria = v
        .green_criteria
        .as_deref()
        .map(|g| {
            GreenCriteria::from_code(g).ok_or_else(|| {
                CalcError::invalid(
                    "vehicle.green_criteria",
                    format!(
                        "vehicle.green_criteria: 「{g}」は fuel_efficiency_50 または fuel_efficiency_25 です"
                    ),
                )
            })
        })
        .transpose()?;
    let vehicle = Vehicle {
        class,
        first_inspection,
        fuel,
        green_criteria,
    };
    let assessment = assess(fiscal_year, &vehicle).map_err(|e| match &e {
        LightVehicleTaxError::Rules(rule) => wire::rule_error("fiscal_year", rule),
        LightVehicleTaxError::FirstInspectionMissing | LightVehicleTaxError::FuelMissing => {
            CalcError::field(
                "missing_field",
                e.field().unwrap_or_default(),
                e.message().text(),
            )
        }
        _ => CalcError::invalid(e.field().unwrap_or_default(), e.message().text()),
    })?;
    Ok(json!({
        "fiscal_year": assessment.fiscal_year.start_year(),
        "annual_tax": assessment.annual_tax.get(),
        "rate_basis": assessment.rate_basis.code(),
        "working": wire::working(&assessment.working),
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::run;

    /// Runs the kind and returns (annual_tax, rate_basis), or (code, field).
    fn check(input: Value) -> Result<(i64, String), (String, Option<String>)> {
        run("light-vehicle-tax", &input)
            .map(|out| {
                (
                    out["annual_tax"].as_i64().unwrap_or(-1),
                    out["rate_basis"].as_str().unwrap_or("").to_owned(),
                )
            })
            .map_err(|e| (e.code.to_owned(), e.field))
    }

    fn ok(tax: i64, basis: &str) -> Result<(i64, String), (String, Option<String>)> {
        Ok((tax, basis.to_owned()))
    }

    fn err(code: &str, field: &str) -> Result<(i64, String), (String, Option<String>)> {
        Err((code.to_owned(), Some(field.to_owned())))
    }

    #[test]
    fn contract_example_and_rates() {
        // The contract's example: first inspected April 2015, so the new rate.
        let out = run(
            "light-vehicle-tax",
            &json!({"fiscal_year": 2025, "vehicle": {"class": "four_wheel_passenger_private", "first_inspection": "2015-04", "fuel": "gasoline"}}),
        )
        .unwrap();
        assert_eq!(out["fiscal_year"], 2025);
        assert_eq!(out["annual_tax"], 10800);
        assert_eq!(out["rate_basis"], "standard");
        assert!(out["working"].as_array().is_some_and(|w| !w.is_empty()));
        let v = |class: &str, first: &str, fuel: &str| json!({"fiscal_year": 2025, "vehicle": {"class": class, "first_inspection": first, "fuel": fuel}});
        assert_eq!(
            check(v("four_wheel_passenger_private", "2015-03", "gasoline")),
            ok(7200, "before_2015_04")
        );
        assert_eq!(
            check(v("four_wheel_passenger_private", "2012-03", "gasoline")),
            ok(12900, "age_surcharge")
        );
        assert_eq!(
            check(v("four_wheel_passenger_private", "2012-04", "gasoline")),
            ok(7200, "before_2015_04")
        );
        assert_eq!(
            check(v("four_wheel_cargo_private", "2024-04", "electric")),
            ok(1300, "green_75")
        );
        assert_eq!(
            check(
                json!({"fiscal_year": 2025, "vehicle": {"class": "four_wheel_passenger_commercial", "first_inspection": "2024-05", "fuel": "hybrid", "green_criteria": "fuel_efficiency_25"}})
            ),
            ok(5200, "green_25")
        );
        assert_eq!(
            check(
                json!({"fiscal_year": 2026, "vehicle": {"class": "four_wheel_passenger_commercial", "first_inspection": "2025-05", "fuel": "gasoline", "green_criteria": "fuel_efficiency_50"}})
            ),
            ok(3500, "green_50")
        );
        assert_eq!(
            check(json!({"fiscal_year": 2021, "vehicle": {"class": "moped_50"}})),
            ok(2000, "standard")
        );
        assert_eq!(
            check(json!({"fiscal_year": 2026, "vehicle": {"class": "new_standard_moped"}})),
            ok(2000, "standard")
        );
    }

    #[test]
    fn invalid_inputs_name_the_field() {
        assert_eq!(
            check(json!({"fiscal_year": 2025, "vehicle": {"class": "bicycle"}})),
            err("invalid_value", "vehicle.class")
        );
        assert_eq!(
            check(json!({"fiscal_year": 2024, "vehicle": {"class": "new_standard_moped"}})),
            err("invalid_value", "vehicle.class")
        );
        assert_eq!(
            check(json!({"fiscal_year": 2020, "vehicle": {"class": "moped_50"}})),
            err("unsupported_fiscal_year", "fiscal_year")
        );
        assert_eq!(
            check(json!({"fiscal_year": 2027, "vehicle": {"class": "moped_50"}})),
            err("unsupported_fiscal_year", "fiscal_year")
        );
        assert_eq!(
            check(
                json!({"fiscal_year": 2025, "vehicle": {"class": "three_wheel", "fuel": "gasoline"}})
            ),
            err("missing_field", "vehicle.first_inspection")
        );
        assert_eq!(
            check(
                json!({"fiscal_year": 2025, "vehicle": {"class": "three_wheel", "first_inspection": "2020-13", "fuel": "gasoline"}})
            ),
            err("invalid_date", "vehicle.first_inspection")
        );
        assert_eq!(
            check(
                json!({"fiscal_year": 2025, "vehicle": {"class": "three_wheel", "first_inspection": "2025-06", "fuel": "gasoline"}})
            ),
            err("invalid_value", "vehicle.first_inspection")
        );
        assert_eq!(
            check(
                json!({"fiscal_year": 2025, "vehicle": {"class": "three_wheel", "first_inspection": "2020-01", "fuel": "coal"}})
            ),
            err("invalid_value", "vehicle.fuel")
        );
        assert_eq!(
            check(json!({"fiscal_year": 2025, "vehicle": {"class": "moped_50", "colour": "red"}})),
            err("unknown_field", "vehicle.colour")
        );
        assert_eq!(
            check(json!({"fiscal_year": "2025", "vehicle": {"class": "moped_50"}})),
            err("invalid_value", "fiscal_year")
        );
    }
}
