//! `late-fee` (延滞金).

use kiban_collection::{LateFeeError, late_fee};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{CalcError, wire};

/// The input of `late-fee`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    tax_amount: i64,
    due_date: String,
    paid_on: String,
}

pub(crate) fn run(input: &Value) -> Result<Value, CalcError> {
    let input: Input = wire::parse(input)?;
    let tax_amount = wire::non_negative("tax_amount", input.tax_amount)?;
    let due_date = wire::date("due_date", &input.due_date)?;
    let paid_on = wire::date("paid_on", &input.paid_on)?;
    let fee = late_fee(tax_amount, due_date, paid_on).map_err(|e| match &e {
        LateFeeError::RatesMissing { field, source, .. } => {
            let mut error = wire::rule_error(field, source);
            error.message = e.message().text();
            error
        }
        LateFeeError::NegativeTax => CalcError::invalid("tax_amount", e.message().text()),
    })?;
    let segments: Vec<Value> = fee
        .segments
        .iter()
        .map(|s| {
            json!({
                "from": s.from.to_string(),
                "to": s.to.to_string(),
                "rate": s.rate.to_string(),
                "days": s.days,
                "amount": s.amount.get(),
            })
        })
        .collect();
    Ok(json!({
        "tax_amount": tax_amount.get(),
        "base": fee.base.get(),
        "late_fee": fee.late_fee.get(),
        "segments": segments,
        "working": wire::working(&fee.working),
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::run;

    /// 豊橋市「延滞金について」の計算例 (the example of the contract):
    /// 133円 + 2,883円 + 480円 = 3,496円 → 3,400円.
    #[test]
    fn contract_example_toyohashi() {
        let out = run(
            "late-fee",
            &json!({"tax_amount": 65000, "due_date": "2021-05-31", "paid_on": "2022-01-31"}),
        )
        .unwrap();
        assert_eq!(out["late_fee"], 3400);
        assert_eq!(
            out["segments"],
            json!([
                {"from": "2021-06-01", "to": "2021-06-30", "rate": "0.025", "days": 30, "amount": 133},
                {"from": "2021-07-01", "to": "2021-12-31", "rate": "0.088", "days": 184, "amount": 2883},
                {"from": "2022-01-01", "to": "2022-01-31", "rate": "0.087", "days": 31, "amount": 480}
            ])
        );
        assert_eq!(
            out["working"]
                .as_array()
                .and_then(|w| w.last())
                .map(|s| s["amount"].clone()),
            Some(json!(3400))
        );
    }

    #[test]
    fn invalid_inputs_name_the_field() {
        let field = |v| run("late-fee", &v).map_err(|e| (e.code, e.field));
        assert_eq!(
            field(json!({"tax_amount": -1, "due_date": "2021-05-31", "paid_on": "2022-01-31"})),
            Err(("invalid_value", Some("tax_amount".into())))
        );
        assert_eq!(
            field(json!({"tax_amount": 1000, "due_date": "2021-02-30", "paid_on": "2022-01-31"})),
            Err(("invalid_date", Some("due_date".into())))
        );
        assert_eq!(
            field(json!({"tax_amount": 100000, "due_date": "2026-05-31", "paid_on": "2027-01-31"})),
            Err(("unsupported_fiscal_year", Some("paid_on".into())))
        );
        assert_eq!(
            field(json!({"tax_amount": 100000, "due_date": "1999-05-31", "paid_on": "2001-01-31"})),
            Err(("unsupported_fiscal_year", Some("due_date".into())))
        );
        assert_eq!(
            field(json!({"tax_amount": 100000, "due_date": "2021-05-31", "paid": "2021-01-31"})),
            Err(("unknown_field", Some("paid".into())))
        );
    }
}
