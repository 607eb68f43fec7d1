//! Errors of the JSON API: `{"error": {"code", "message", "field"}}` with the
//! status of the contract.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiban_core::{ErrorCode, Message};
use serde_json::json;

/// An error answered by the API. Each has a stable snake_case code and a
/// Japanese message, both from the error catalogue
/// ([`kiban_core::catalogue`]); internal failures are logged, never shown in
/// detail.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: ErrorCode,
    /// Japanese message.
    pub message: String,
    /// The JSON path of the field at fault.
    pub field: Option<String>,
}

impl ApiError {
    /// The error of a message of the catalogue: its code, its status and
    /// its text, about no field in particular.
    pub fn of(message: Message) -> Self {
        Self {
            status: StatusCode::from_u16(message.status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: message.code(),
            message: message.text(),
            field: None,
        }
    }

    /// A message of the catalogue about one field (422 for a wrong value,
    /// or the entry's status).
    pub fn invalid(field: impl Into<String>, message: Message) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::of(message)
        }
    }

    /// A message of the catalogue about a field, if one is named.
    pub fn about(field: Option<&str>, message: Message) -> Self {
        Self {
            field: field.map(str::to_owned),
            ..Self::of(message)
        }
    }

    /// 400: the body is not JSON.
    pub fn malformed(detail: impl std::fmt::Display) -> Self {
        Self::of(Message::MalformedJson {
            detail: detail.to_string(),
        })
    }

    /// 401.
    pub fn unauthorized() -> Self {
        Self::of(Message::Unauthorized {})
    }

    /// 403.
    pub fn forbidden() -> Self {
        Self::of(Message::Forbidden {})
    }

    /// 403 `insufficient_scope`: a system client whose token holds none of
    /// the operation's scopes.
    pub fn insufficient_scope() -> Self {
        Self::of(Message::InsufficientScope {})
    }

    /// 404.
    pub fn not_found() -> Self {
        Self::of(Message::NotFound {})
    }

    /// 429.
    pub fn too_many_attempts() -> Self {
        Self::of(Message::TooManyAttempts {})
    }

    /// 503: a request would seal or open a value (個人番号, a second-factor
    /// secret) but the service was started without a master key.
    pub fn master_key_not_configured() -> Self {
        Self::of(Message::MasterKeyNotConfigured {})
    }

    /// 500: the detail goes to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::of(Message::Internal {})
    }

    /// An error of the calculation engine (`kiban-calc`), which answers with
    /// its own codes and Japanese messages: 404 for an unknown calculation,
    /// 422 otherwise. A code that is not in the catalogue is an internal
    /// error.
    pub fn calculation(error: kiban_calc::CalcError) -> Self {
        let Some(code) = ErrorCode::from_code(error.code) else {
            return Self::internal(format!("calculation error code {}", error.code));
        };
        let status = if error.is_unknown_kind() {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        Self {
            status,
            code,
            message: error.message,
            field: error.field,
        }
    }
}

impl From<kiban_store::StoreError> for ApiError {
    /// A missing master key is 503 `master_key_not_configured`; every
    /// other storage failure is 500.
    fn from(e: kiban_store::StoreError) -> Self {
        match e {
            kiban_store::StoreError::NoMasterKey => ApiError::master_key_not_configured(),
            e => ApiError::internal(e),
        }
    }
}

impl From<kiban_auth::AuthError> for ApiError {
    fn from(e: kiban_auth::AuthError) -> Self {
        use kiban_auth::AuthError as E;
        match e {
            E::InvalidCredentials => ApiError::unauthorized(),
            E::Locked => ApiError::too_many_attempts(),
            E::NoSuchAccount(_) | E::NoSuchClient(_) => ApiError::not_found(),
            E::ClientRefused(_) => ApiError::unauthorized(),
            E::Store(e) => e.into(),
            e @ E::InvalidInput { field, .. } => match e.message() {
                Some(message) => ApiError::invalid(field, message),
                None => ApiError::internal(e),
            },
            e @ E::Duplicate(_) => match e.message() {
                Some(message) => ApiError::invalid("login", message),
                None => ApiError::internal(e),
            },
            e @ E::WrongSecondFactor => match e.message() {
                Some(message) => ApiError::invalid("otp", message),
                None => ApiError::internal(e),
            },
            e @ E::AlreadyEnrolled => match e.message() {
                Some(message) => ApiError::of(message),
                None => ApiError::internal(e),
            },
        }
    }
}

/// The code of the [`ApiError`] a response was made from, kept in the
/// response's extensions so that the screens can answer some errors with a
/// page of their own (see `pages::screen_errors`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AnsweredCode(pub(crate) ErrorCode);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code.as_str(), "message": self.message});
        if let (Some(field), Some(obj)) = (self.field, error.as_object_mut()) {
            obj.insert("field".into(), serde_json::Value::String(field));
        }
        let mut response = (self.status, axum::Json(json!({ "error": error }))).into_response();
        response.extensions_mut().insert(AnsweredCode(self.code));
        response
    }
}
