//! Reading JSON request bodies member by member, each error naming the
//! JSON path of the member at fault in the catalogue's words (which serde's
//! errors cannot): shared by every business's API parser.

use kiban_core::Message;
use serde_json::{Map, Value};

use crate::ApiError;

pub(crate) fn missing(field: &str) -> ApiError {
    ApiError::invalid(
        field,
        Message::Required {
            field: field.into(),
        },
    )
}

/// A member of the wrong JSON type: `expected` says which message.
pub(crate) fn wrong_type(field: &str, expected: fn(String) -> Message) -> ApiError {
    ApiError::invalid(field, expected(field.into()))
}

pub(crate) fn array(field: String) -> Message {
    Message::MustBeArray { field }
}

/// `{path}.{name}`, or `name` at the top level.
pub(crate) fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// The fields of a JSON object at `path`.
pub(crate) fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ApiError> {
    value.as_object().ok_or_else(|| {
        if path.is_empty() {
            ApiError::of(Message::BodyNotObject {})
        } else {
            wrong_type(path, |field| Message::MustBeObject { field })
        }
    })
}

/// An optional string member; `null` counts as absent.
pub(crate) fn opt_text(
    obj: &Map<String, Value>,
    path: &str,
    name: &str,
) -> Result<Option<String>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(wrong_type(&join(path, name), |field| {
            Message::MustBeString { field }
        })),
    }
}

/// A required string member.
pub(crate) fn text(obj: &Map<String, Value>, path: &str, name: &str) -> Result<String, ApiError> {
    opt_text(obj, path, name)?.ok_or_else(|| missing(&join(path, name)))
}

/// A positive number given as a JSON number or a string of digits.
pub(crate) fn number(value: &Value, field: &str) -> Result<u64, ApiError> {
    let n = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.filter(|n| *n > 0 && i64::try_from(*n).is_ok())
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                Message::MustBePositive {
                    field: field.into(),
                },
            )
        })
}

pub(crate) fn opt_number(
    obj: &Map<String, Value>,
    path: &str,
    name: &str,
) -> Result<Option<u64>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => number(v, &join(path, name)).map(Some),
    }
}

pub(crate) fn required_number(
    obj: &Map<String, Value>,
    path: &str,
    name: &str,
) -> Result<u64, ApiError> {
    opt_number(obj, path, name)?.ok_or_else(|| missing(&join(path, name)))
}
