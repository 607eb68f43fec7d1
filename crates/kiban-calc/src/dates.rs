//! `age` and `school-entry`.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::{CalcError, wire};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgeInput {
    birth_date: String,
    on: String,
}

pub(crate) fn age(input: &Value) -> Result<Value, CalcError> {
    let input: AgeInput = wire::parse(input)?;
    let birth = wire::date("birth_date", &input.birth_date)?;
    let on = wire::date("on", &input.on)?;
    if on < birth {
        return Err(CalcError::invalid("on", "on: 生年月日より前の日付です"));
    }
    Ok(json!({"age": kiban_core::age_on(birth, on)}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchoolEntryInput {
    birth_date: String,
}

pub(crate) fn school_entry(input: &Value) -> Result<Value, CalcError> {
    let input: SchoolEntryInput = wire::parse(input)?;
    let birth = wire::date("birth_date", &input.birth_date)?;
    let entry = kiban_core::school_entry_date(birth)
        .map_err(|e| CalcError::invalid("birth_date", e.message().text()))?;
    Ok(json!({"school_entry_date": entry.to_string()}))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::run;

    #[test]
    fn age_and_school_entry() {
        assert_eq!(
            run(
                "age",
                &json!({"birth_date": "2000-04-02", "on": "2020-04-01"})
            ),
            Ok(json!({"age": 20}))
        );
        assert_eq!(
            run("school-entry", &json!({"birth_date": "2018-04-01"})),
            Ok(json!({"school_entry_date": "2024-04-01"}))
        );
        assert_eq!(
            run("school-entry", &json!({"birth_date": "2018-04-02"})),
            Ok(json!({"school_entry_date": "2025-04-01"}))
        );
    }

    #[test]
    fn bad_inputs_name_the_field() {
        let err = run(
            "age",
            &json!({"birth_date": "2023-02-29", "on": "2024-01-01"}),
        );
        assert_eq!(err.map_err(|e| e.field), Err(Some("birth_date".into())));
        let err = run(
            "age",
            &json!({"birth_date": "2000-01-01", "on": "2024-01-01", "x": 1}),
        );
        assert_eq!(
            err.map_err(|e| (e.code, e.field)),
            Err(("unknown_field", Some("x".into())))
        );
        let err = run("age", &json!({"birth_date": "2000-01-01"}));
        assert_eq!(
            err.map_err(|e| (e.code, e.field)),
            Err(("missing_field", Some("on".into())))
        );
        let err = run("age", &json!({"birth_date": 5, "on": "2024-01-01"}));
        assert_eq!(err.map_err(|e| e.field), Err(Some("birth_date".into())));
    }
}
