//! Errors of the JSON API: `{"error": {"code", "message", "field"}}` with the
//! status of the contract.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answered by the API. Each has a stable snake_case code and a
/// Japanese message; internal failures are logged, never shown in detail.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: &'static str,
    /// Japanese message.
    pub message: String,
    /// The JSON path of the field at fault.
    pub field: Option<String>,
}

impl ApiError {
    /// 400: the body is not JSON.
    pub fn malformed(detail: impl std::fmt::Display) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "malformed_json",
            message: format!("リクエストの本文がJSONとして読めません（{detail}）"),
            field: None,
        }
    }

    /// 401.
    pub fn unauthorized() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "認証が必要です。ログインIDとパスワード、またはトークンを確認してください"
                .into(),
            field: None,
        }
    }

    /// 403.
    pub fn forbidden() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code: "forbidden",
            message: "この操作を行う権限がありません".into(),
            field: None,
        }
    }

    /// 404.
    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: "見つかりません".into(),
            field: None,
        }
    }

    /// 422 for one field.
    pub fn invalid(
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// 429.
    pub fn too_many_attempts() -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "too_many_attempts",
            message: "ログインの失敗が続いたため、しばらくログインできません".into(),
            field: None,
        }
    }

    /// 503: a request would seal or open a value (個人番号, a second-factor
    /// secret) but the service was started without a master key.
    pub fn master_key_not_configured() -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "master_key_not_configured",
            message: "マスター鍵が設定されていないため、個人番号や二要素認証の秘密鍵を扱えません。\
                      運用者が --master-key-file または環境変数 KIBAN_MASTER_KEY でマスター鍵を指定して\
                      起動し直す必要があります"
                .into(),
            field: None,
        }
    }

    /// 500: the detail goes to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal_error",
            message: "システムエラーが発生しました。時間をおいて再度お試しください".into(),
            field: None,
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
            E::InvalidInput { field, message } => {
                ApiError::invalid("invalid_value", field, message)
            }
            E::Duplicate(login) => Self {
                status: StatusCode::CONFLICT,
                code: "duplicate",
                message: format!("ログインID「{login}」は既に使われています"),
                field: Some("login".into()),
            },
            E::WrongSecondFactor => Self {
                status: StatusCode::UNAUTHORIZED,
                code: "invalid_otp",
                message: "確認コード（6桁）が正しくないか、既に使われています".into(),
                field: Some("otp".into()),
            },
            E::AlreadyEnrolled => Self {
                status: StatusCode::CONFLICT,
                code: "already_enrolled",
                message: "二要素認証は既に登録されています".into(),
                field: None,
            },
            E::NoSuchAccount(_) => ApiError::not_found(),
            E::Store(e) => e.into(),
        }
    }
}

/// The code of the [`ApiError`] a response was made from, kept in the
/// response's extensions so that the screens can answer some errors with a
/// page of their own (see `pages::screen_errors`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorCode(pub(crate) &'static str);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let (Some(field), Some(obj)) = (self.field, error.as_object_mut()) {
            obj.insert("field".into(), serde_json::Value::String(field));
        }
        let mut response = (self.status, axum::Json(json!({ "error": error }))).into_response();
        response.extensions_mut().insert(ErrorCode(self.code));
        response
    }
}
