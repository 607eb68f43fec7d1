//! `wareki`: a date in 西暦 (ISO) and in 和暦, either way round.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::{CalcError, wire};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WarekiInput {
    date: Option<String>,
    wareki: Option<String>,
}

/// `{"date": "1989-01-08"}` or `{"wareki": "平成元年1月8日"}` (or any form that
/// `parse_wareki` reads) → `{"date", "wareki", "era", "era_year"}`.
pub(crate) fn wareki(input: &Value) -> Result<Value, CalcError> {
    let input: WarekiInput = wire::parse(input)?;
    let (field, day) = match (input.date, input.wareki) {
        (Some(date), None) => ("date", wire::date("date", &date)?),
        (None, Some(text)) => (
            "wareki",
            kiban_core::parse_wareki(&text).map_err(|e| invalid_date("wareki", &e))?,
        ),
        (Some(_), Some(_)) => {
            return Err(CalcError::invalid(
                "wareki",
                "date と wareki はどちらか一方だけを指定してください",
            ));
        }
        (None, None) => {
            return Err(CalcError::field(
                "missing_field",
                "date",
                "date または wareki を指定してください",
            ));
        }
    };
    let wareki = kiban_core::to_wareki(day).map_err(|e| invalid_date(field, &e))?;
    Ok(json!({
        "date": day.to_string(),
        "wareki": wareki.to_string(),
        "era": wareki.era().name_ja(),
        "era_year": wareki.year(),
    }))
}

fn invalid_date(field: &str, error: &kiban_core::ValueError) -> CalcError {
    CalcError::field(
        "invalid_date",
        field,
        format!("{field}: {}", error.message().text()),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::run;

    fn check(input: Value, expected: Value) {
        assert_eq!(run("wareki", &input), Ok(expected), "{input}");
    }

    fn check_error(input: Value, code: &str, field: &str, message: &str) {
        let err = run("wareki", &input);
        let got = err
            .as_ref()
            .map_err(|e| (e.code, e.field.as_deref(), e.message.contains(message)));
        assert_eq!(got, Err((code, Some(field), true)), "{input}: {err:?}");
    }

    #[test]
    fn both_directions_give_the_same_object() {
        let heisei =
            json!({"date": "1989-01-08", "wareki": "平成元年1月8日", "era": "平成", "era_year": 1});
        check(json!({"date": "1989-01-08"}), heisei.clone());
        for text in [
            "平成元年1月8日",
            "平成1年1月8日",
            "平成１年１月８日",
            "平成元年一月八日",
            "H1.1.8",
            "h1.1.8",
            "Ｈ１．１．８",
            "H01.01.08",
            "平成 1 年 1 月 8 日",
        ] {
            check(json!({"wareki": text}), heisei.clone());
        }
        check(
            json!({"date": "2025-04-01"}),
            json!({"date": "2025-04-01", "wareki": "令和7年4月1日", "era": "令和", "era_year": 7}),
        );
        check(
            json!({"wareki": "R7.4.1"}),
            json!({"date": "2025-04-01", "wareki": "令和7年4月1日", "era": "令和", "era_year": 7}),
        );
        check(
            json!({"wareki": "昭和六十四年一月七日"}),
            json!({"date": "1989-01-07", "wareki": "昭和64年1月7日", "era": "昭和", "era_year": 64}),
        );
        check(
            json!({"date": "2019-05-01"}),
            json!({"date": "2019-05-01", "wareki": "令和元年5月1日", "era": "令和", "era_year": 1}),
        );
        check(
            json!({"date": "2019-04-30", "wareki": null}),
            json!({"date": "2019-04-30", "wareki": "平成31年4月30日", "era": "平成", "era_year": 31}),
        );
    }

    #[test]
    fn rejections_name_the_field() {
        check_error(
            json!({"date": "2023-02-29"}),
            "invalid_date",
            "date",
            "date:",
        );
        check_error(
            json!({"date": "1989/01/08"}),
            "invalid_date",
            "date",
            "YYYY-MM-DD",
        );
        check_error(
            json!({"date": "1868-01-24"}),
            "invalid_date",
            "date",
            "明治より前",
        );
        check_error(
            json!({"wareki": "平成31年5月1日"}),
            "invalid_date",
            "wareki",
            "平成の期間外",
        );
        check_error(
            json!({"wareki": "令和0年1月1日"}),
            "invalid_date",
            "wareki",
            "令和0年はありません",
        );
        check_error(
            json!({"wareki": "令和5年2月29日"}),
            "invalid_date",
            "wareki",
            "存在しない日付",
        );
        check_error(
            json!({"wareki": "慶応3年1月1日"}),
            "invalid_date",
            "wareki",
            "元号ではありません",
        );
        check_error(
            json!({"wareki": "2025-04-01"}),
            "invalid_date",
            "wareki",
            "元号がありません",
        );
        check_error(
            json!({"wareki": ""}),
            "invalid_date",
            "wareki",
            "入力されていません",
        );
        check_error(
            json!({"date": "1989-01-08", "era": "平成"}),
            "unknown_field",
            "era",
            "era",
        );
        check_error(
            json!({"date": "1989-01-08", "wareki": "平成元年1月8日"}),
            "invalid_value",
            "wareki",
            "どちらか一方",
        );
        check_error(json!({}), "missing_field", "date", "date または wareki");
        check_error(json!({"date": 19890108}), "invalid_value", "date", "date");
    }
}
