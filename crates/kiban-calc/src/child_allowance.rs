//! `child-allowance` (児童手当, one recipient, one month).

use kiban_child_allowance::{Child, ChildAllowanceError, monthly_allowance};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{CalcError, wire};

/// The input of `child-allowance`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    month: String,
    children: Vec<ChildInput>,
}

/// One child; `supported` defaults to true.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChildInput {
    birth_date: String,
    #[serde(default = "supported_by_default")]
    supported: bool,
}

fn supported_by_default() -> bool {
    true
}

pub(crate) fn run(input: &Value) -> Result<Value, CalcError> {
    let input: Input = wire::parse(input)?;
    let month = wire::month("month", &input.month)?;
    let mut children = Vec::with_capacity(input.children.len());
    for (i, c) in input.children.iter().enumerate() {
        children.push(Child {
            birth_date: wire::date(&format!("children[{i}].birth_date"), &c.birth_date)?,
            supported: c.supported,
        });
    }
    let allowance = monthly_allowance(month, &children).map_err(|e| match &e {
        ChildAllowanceError::UnsupportedMonth { source, .. } => {
            let mut error = wire::rule_error("month", source);
            error.message = e.message().text();
            error
        }
        ChildAllowanceError::BornAfterMonth { .. } => {
            CalcError::invalid(e.field(), e.message().text())
        }
    })?;
    let children: Vec<Value> = allowance
        .children
        .iter()
        .map(|c| {
            json!({
                "birth_date": c.birth_date.to_string(),
                "rank": c.rank,
                "eligible": c.eligible,
                "monthly_amount": c.monthly_amount.get(),
            })
        })
        .collect();
    Ok(json!({
        "month": allowance.month.to_string(),
        "children": children,
        "monthly_total": allowance.monthly_total.get(),
        "working": wire::working(&allowance.working),
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::run;

    #[test]
    fn contract_example_and_the_change_of_october_2024() {
        // The contract's example: a child born 2011-05-01 is 13 in 2024-10.
        let out = run(
            "child-allowance",
            &json!({"month": "2024-10", "children": [{"birth_date": "2011-05-01", "supported": true}]}),
        )
        .unwrap();
        assert_eq!(
            out["children"],
            json!([{"birth_date": "2011-05-01", "rank": 1, "eligible": true, "monthly_amount": 10000}])
        );
        assert_eq!(out["monthly_total"], 10000);
        assert_eq!(out["month"], "2024-10");
        // A supported 21-year-old counts from 2024-10 and makes the youngest
        // the third child (30,000); in 2024-09 the youngest was second.
        let family = |month: &str| {
            json!({"month": month, "children": [
                {"birth_date": "2003-06-01", "supported": true},
                {"birth_date": "2008-06-01"},
                {"birth_date": "2020-06-01", "supported": true}
            ]})
        };
        let sept = run("child-allowance", &family("2024-09")).unwrap();
        assert_eq!(sept["monthly_total"], 10000);
        assert_eq!(sept["children"][0]["rank"], json!(null));
        let oct = run("child-allowance", &family("2024-10")).unwrap();
        assert_eq!(oct["monthly_total"], 40000);
        assert_eq!(oct["children"][2]["rank"], 3);
        assert_eq!(oct["children"][2]["monthly_amount"], 30000);
    }

    #[test]
    fn invalid_inputs_name_the_field() {
        let field = |v| run("child-allowance", &v).map_err(|e| (e.code, e.field));
        assert_eq!(
            field(json!({"month": "2024-13", "children": []})),
            Err(("invalid_date", Some("month".into())))
        );
        assert_eq!(
            field(json!({"month": "2024-10", "children": [{"birth_date": "2020-02-30"}]})),
            Err(("invalid_date", Some("children[0].birth_date".into())))
        );
        assert_eq!(
            field(json!({"month": "2024-10", "children": [{"birth_date": "2024-11-01"}]})),
            Err(("invalid_value", Some("children[0].birth_date".into())))
        );
        assert_eq!(
            field(json!({"month": "2012-03", "children": []})),
            Err(("unsupported_fiscal_year", Some("month".into())))
        );
        assert_eq!(
            field(
                json!({"month": "2024-10", "children": [{"birth_date": "2020-01-01", "income": 1}]})
            ),
            Err(("unknown_field", Some("children[0].income".into())))
        );
    }
}
