//! Reading wire types from JSON with errors that name the field.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::CalcError;

/// Deserializes `input` into a wire type (which should use
/// `#[serde(deny_unknown_fields)]`), reporting the JSON path of the field at
/// fault: `taxpayer.income.salary_revenue`, or the unknown field's own path.
pub fn parse<T: DeserializeOwned>(input: &Value) -> Result<T, CalcError> {
    serde_path_to_error::deserialize(input).map_err(|err| {
        let parent = err.path().to_string();
        let inner = err.inner().to_string();
        let join = |name: &str| {
            if parent == "." || parent.is_empty() {
                name.to_owned()
            } else {
                format!("{parent}.{name}")
            }
        };
        // For an unknown field the path already ends with the field itself.
        if inner.starts_with("unknown field `") {
            return CalcError::field(
                "unknown_field",
                parent.clone(),
                format!("項目「{parent}」は使えません"),
            );
        }
        if let Some(name) = backquoted_after(&inner, "missing field `") {
            return CalcError::field(
                "missing_field",
                join(&name),
                format!("項目「{}」がありません", join(&name)),
            );
        }
        let field = if parent == "." { String::new() } else { parent };
        CalcError::field(
            "invalid_value",
            field.clone(),
            format!("項目「{field}」の値が正しくありません（{inner}）"),
        )
    })
}

fn backquoted_after(message: &str, prefix: &str) -> Option<String> {
    let start = message.find(prefix)? + prefix.len();
    let rest = &message[start..];
    let end = rest.find('`')?;
    Some(rest[..end].to_owned())
}

/// Parses an ISO date field, naming it on error.
pub fn date(field: &str, value: &str) -> Result<kiban_core::Date, CalcError> {
    kiban_core::date::parse_iso(value).map_err(|e| {
        CalcError::field(
            "invalid_date",
            field,
            format!("{field}: {}", e.message().text()),
        )
    })
}

/// Parses a decimal rate string field, naming it on error.
pub fn rate(field: &str, value: &str) -> Result<kiban_core::Rate, CalcError> {
    kiban_core::Rate::parse(value).map_err(|e| {
        CalcError::invalid(
            field,
            format!(
                "{field}: 率は \"0.0961\" のような小数の文字列で指定してください（{}）",
                e.message().text()
            ),
        )
    })
}

/// Checks that an amount of yen is not negative, naming the field.
pub fn non_negative(field: &str, amount: i64) -> Result<kiban_core::Yen, CalcError> {
    if amount < 0 {
        return Err(CalcError::invalid(
            field,
            format!("{field}: 金額に負の値は使えません"),
        ));
    }
    Ok(kiban_core::Yen::new(amount))
}

/// The working of a calculation as JSON: `[{"step","amount","basis"}]`.
pub fn working(working: &kiban_core::working::Working) -> Value {
    Value::Array(
        working
            .steps()
            .iter()
            .map(
                |s| serde_json::json!({"step": s.step, "amount": s.amount.get(), "basis": s.basis}),
            )
            .collect(),
    )
}

/// Parses a month field `YYYY-MM`, naming it on error.
pub fn month(field: &str, value: &str) -> Result<kiban_core::YearMonth, CalcError> {
    kiban_core::YearMonth::parse(value).map_err(|e| {
        CalcError::field(
            "invalid_date",
            field,
            format!("{field}: {}", e.message().text()),
        )
    })
}

/// The error for a rule book that has no data for the year asked for (422
/// `unsupported_fiscal_year`, naming `field`) or whose data is broken.
pub fn rule_error(field: &str, error: &kiban_rules::RuleError) -> CalcError {
    match error {
        kiban_rules::RuleError::UnsupportedYear { .. } => CalcError::unsupported_fiscal_year(
            field,
            kiban_core::Message::CalcNoRulesForYear {
                field: field.to_owned(),
                detail: error.message().text(),
            }
            .text(),
        ),
        kiban_rules::RuleError::Invalid { .. } => CalcError {
            code: "rule_data_invalid",
            message: error.message().text(),
            field: None,
        },
    }
}
