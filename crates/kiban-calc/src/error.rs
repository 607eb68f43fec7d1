//! Errors of the calculation API, in the shape of every JSON interface:
//! `{"error": {"code", "message", "field"}}`.

use serde_json::{Value, json};

/// A rejected calculation: a stable snake_case code, a Japanese message and,
/// where one field is at fault, its JSON path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CalcError {
    /// Stable machine-readable code, e.g. `unsupported_fiscal_year`.
    pub code: &'static str,
    /// Human-readable message in Japanese.
    pub message: String,
    /// JSON path of the field at fault, e.g. `taxpayer.income.salary_revenue`.
    pub field: Option<String>,
}

impl CalcError {
    /// An error about one field.
    pub fn field(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// A value that is not valid for its field (422).
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::field("invalid_value", field, message)
    }

    /// A fiscal year outside the rule data (422).
    pub fn unsupported_fiscal_year(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::field("unsupported_fiscal_year", field, message)
    }

    /// A kind of calculation that does not exist (404).
    pub fn unknown_kind(kind: &str) -> Self {
        Self {
            code: "unknown_calculation",
            message: format!("計算の種類「{kind}」はありません"),
            field: None,
        }
    }

    /// Whether the error means "no such calculation" (404) rather than an
    /// invalid input (422).
    pub fn is_unknown_kind(&self) -> bool {
        self.code == "unknown_calculation"
    }

    /// The error as the JSON body of every interface.
    pub fn to_json(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let (Some(field), Some(obj)) = (&self.field, error.as_object_mut()) {
            obj.insert("field".into(), Value::String(field.clone()));
        }
        json!({ "error": error })
    }
}
