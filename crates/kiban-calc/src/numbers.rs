//! `check-digit`.

use kiban_core::numbers::{
    CORPORATE_NUMBER, INDIVIDUAL_NUMBER, INSURER_NUMBER, MUNICIPALITY_CODE, Scheme,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{CalcError, wire};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckDigitInput {
    scheme: String,
    number: Option<String>,
    base: Option<String>,
}

fn scheme(name: &str) -> Result<Scheme, CalcError> {
    match name {
        "individual_number" => Ok(INDIVIDUAL_NUMBER),
        "corporate_number" => Ok(CORPORATE_NUMBER),
        "municipality_code" => Ok(MUNICIPALITY_CODE),
        "insurer_number" => Ok(INSURER_NUMBER),
        other => Err(CalcError::invalid(
            "scheme",
            format!(
                "scheme: 「{other}」は individual_number, corporate_number, municipality_code, insurer_number のいずれかです"
            ),
        )),
    }
}

pub(crate) fn check_digit(input: &Value) -> Result<Value, CalcError> {
    let input: CheckDigitInput = wire::parse(input)?;
    let scheme = scheme(&input.scheme)?;
    match (input.number, input.base) {
        (Some(number), None) => {
            // Spaces and hyphens are ignored; any other character makes the
            // number invalid rather than the request.
            let cleaned: String = number.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
            let ascii_digits = cleaned.bytes().all(|b| b.is_ascii_digit());
            match scheme.parse(&cleaned) {
                Ok(_) if ascii_digits => Ok(json!({"valid": true, "normalized": cleaned})),
                _ => Ok(json!({"valid": false, "normalized": cleaned})),
            }
        }
        (None, Some(base)) => {
            let cleaned: String = base.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
            if !cleaned.bytes().all(|b| b.is_ascii_digit()) || cleaned.len() != scheme.len - 1 {
                return Err(CalcError::invalid(
                    "base",
                    format!(
                        "base: 検査数字を除いた{}桁の数字で指定してください",
                        scheme.len - 1
                    ),
                ));
            }
            let (check, full) = scheme
                .complete(&cleaned)
                .map_err(|e| CalcError::invalid("base", format!("base: {}", e.message().text())))?;
            Ok(json!({"check_digit": check, "full": full}))
        }
        (Some(_), Some(_)) => Err(CalcError::invalid(
            "base",
            "number と base はどちらか一方だけを指定してください",
        )),
        (None, None) => Err(CalcError::field(
            "missing_field",
            "number",
            "number または base を指定してください",
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::run;

    #[test]
    fn schemes() {
        let check = |v| run("check-digit", &v);
        assert_eq!(
            check(json!({"scheme": "municipality_code", "number": "131016"})),
            Ok(json!({"valid": true, "normalized": "131016"}))
        );
        assert_eq!(
            check(json!({"scheme": "municipality_code", "number": "131017"})),
            Ok(json!({"valid": false, "normalized": "131017"}))
        );
        assert_eq!(
            check(json!({"scheme": "individual_number", "number": "1234-5678-9018"})),
            Ok(json!({"valid": true, "normalized": "123456789018"}))
        );
        assert_eq!(
            check(json!({"scheme": "individual_number", "number": "12345678901a"})),
            Ok(json!({"valid": false, "normalized": "12345678901a"}))
        );
        assert_eq!(
            check(json!({"scheme": "corporate_number", "base": "000012050002"})),
            Ok(json!({"check_digit": 7, "full": "7000012050002"}))
        );
        assert_eq!(
            check(json!({"scheme": "municipality_code", "base": "13101"})),
            Ok(json!({"check_digit": 6, "full": "131016"}))
        );
        let err = check(json!({"scheme": "isbn", "number": "1"}));
        assert_eq!(err.map_err(|e| e.field), Err(Some("scheme".into())));
    }
}
