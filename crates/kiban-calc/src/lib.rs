//! The calculation API, version 1 (`calc-v1.md`): one JSON object in, one JSON
//! object out, for each kind of calculation.
//!
//! This crate is an adapter. It owns the wire types (the JSON shapes that
//! other systems rely on), turns them into domain values, calls the pure
//! domain crates and turns their results (with their working) back into JSON.
//! The HTTP door (`POST /api/v1/calc/{kind}`) and the CLI door (`kiban calc`)
//! both call [`run`], so the two can never disagree.

mod child_allowance;
mod dates;
pub mod error;
mod fixed_asset_tax;
mod late_fee;
mod light_vehicle_tax;
mod nhi_tax;
mod numbers;
mod resident_tax;
mod wareki;
pub mod wire;

pub use error::CalcError;
pub use resident_tax::input_typed as resident_tax_input;
pub use resident_tax::run_typed as resident_tax_typed;

use serde_json::Value;

/// One kind of calculation.
struct Kind {
    name: &'static str,
    run: fn(&Value) -> Result<Value, CalcError>,
}

/// Every kind of calculation, by its name in the API.
const KINDS: &[Kind] = &[
    Kind {
        name: "wareki",
        run: wareki::wareki,
    },
    Kind {
        name: "age",
        run: dates::age,
    },
    Kind {
        name: "school-entry",
        run: dates::school_entry,
    },
    Kind {
        name: "check-digit",
        run: numbers::check_digit,
    },
    Kind {
        name: "light-vehicle-tax",
        run: light_vehicle_tax::run,
    },
    Kind {
        name: "fixed-asset-tax",
        run: fixed_asset_tax::run,
    },
    Kind {
        name: "late-fee",
        run: late_fee::run,
    },
    Kind {
        name: "child-allowance",
        run: child_allowance::run,
    },
    Kind {
        name: "resident-tax",
        run: resident_tax::run,
    },
    Kind {
        name: "nhi-tax",
        run: nhi_tax::run,
    },
];

/// The names of the supported kinds, in the order of the contract.
pub fn kinds() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name).collect()
}

/// Runs one calculation of `kind` on `input`.
pub fn run(kind: &str, input: &Value) -> Result<Value, CalcError> {
    let kind = KINDS
        .iter()
        .find(|k| k.name == kind)
        .ok_or_else(|| CalcError::unknown_kind(kind))?;
    (kind.run)(input)
}
