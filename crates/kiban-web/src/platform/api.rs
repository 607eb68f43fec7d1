//! JSON API handlers: health, sessions, calculations.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiban_auth::{Permission, TokenKind};
use kiban_core::{Message, MunicipalityCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::kit::door::StaffMember;
use crate::kit::session::ApiPrincipal;
use crate::openapi::{Access, Operation, Reply, Route, any_object};
use crate::{ApiError, AppState};

/// The operations of this module: health, sessions, calculations.
pub(crate) fn operations() -> Vec<Route> {
    vec![
        Operation::new(
            "get",
            "/healthz",
            "healthz",
            "稼働確認（データベースの応答）",
            "platform",
            Access::Public,
        )
        .json::<Health>(200)
        .errors(&[503])
        .to(healthz),
        Operation::new(
            "post",
            "/api/v1/sessions",
            "createSession",
            "ログインしてAPIトークンを得る",
            "sessions",
            Access::Public,
        )
        .body::<SessionRequest>()
        .json::<SessionCreated>(201)
        .errors(&[401, 403, 429, 503])
        .to(create_session),
        Operation::new(
            "delete",
            "/api/v1/sessions/current",
            "deleteCurrentSession",
            "使用中のトークンを失効させる（ログアウト）",
            "sessions",
            Access::Authenticated,
        )
        .reply(204, Reply::Empty)
        .to(delete_current_session),
        Operation::new(
            "post",
            "/api/v1/calc/{kind}",
            "calculate",
            "計算（税額・保険税・日付・検査数字）",
            "calc",
            Access::Staff(Permission::Calculate),
        )
        .body_schema(any_object)
        .reply(200, Reply::Json(any_object))
        .errors(&[404])
        .to(calculate),
    ]
}

/// The answer of the health check.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// `ok` when the database answers, `unavailable` otherwise (503).
    pub status: HealthStatus,
}

/// The state of the service.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// The database answers.
    Ok,
    /// The database does not answer.
    Unavailable,
}

/// A new API token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"token": "kbn_…", "expires_at": "2026-04-01T09:00:00Z"}))]
pub struct SessionCreated {
    /// The bearer token.
    pub token: String,
    /// When it ends (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// `GET /healthz`: 200 when the database answers, 503 otherwise.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(Health {
            status: HealthStatus::Ok,
        })
        .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: HealthStatus::Unavailable,
                }),
            )
                .into_response()
        }
    }
}

/// Parses a JSON body ourselves, so that malformed JSON gets the API's own
/// 400 error body.
pub(crate) fn json_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(ApiError::malformed)
}

/// The body of `POST /api/v1/sessions`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"municipality_code": "990019", "login": "clerk1", "password": "correct-horse-42"}))]
pub struct SessionRequest {
    /// 団体コード (6 digits); absent for a service operator's login.
    #[schema(example = "990019")]
    municipality_code: Option<String>,
    /// ログインID.
    login: String,
    /// パスワード.
    #[schema(format = Password)]
    password: String,
    /// The second factor's 6-digit code, when the account has one.
    #[serde(default)]
    #[schema(example = "123456")]
    otp: Option<String>,
}

/// `POST /api/v1/sessions`: exchanges a login and password (and the
/// second-factor code `otp` when the account has one) for a bearer token.
/// Without `municipality_code`, the login is an operator's. An account
/// whose role needs a second factor that it has not enrolled gets 403
/// `second_factor_enrolment_required` (enrolment is on the screens).
pub async fn create_session(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let value = json_body(&body)?;
    let request: SessionRequest = kiban_calc::wire::parse(&value).map_err(|e| ApiError {
        field: Some(e.field.clone().unwrap_or_default()),
        ..ApiError::calculation(e)
    })?;
    let ttl = jiff::SignedDuration::from_hours(state.config.api_token_hours);
    let issued = match request.municipality_code.as_deref() {
        Some(code) => {
            // A malformed or unknown municipality answers like a wrong password.
            let code = MunicipalityCode::parse(code).map_err(|_| ApiError::unauthorized())?;
            let tenant = match state.db.tenant(code).await {
                Ok(t) => t,
                Err(kiban_store::StoreError::UnknownMunicipality(_)) => {
                    kiban_auth::spend_verification_time(&request.password);
                    return Err(ApiError::unauthorized());
                }
                Err(e) => return Err(e.into()),
            };
            match kiban_auth::login_staff(
                &tenant,
                &request.login,
                &request.password,
                request.otp.as_deref(),
            )
            .await?
            {
                kiban_auth::LoginOutcome::Complete(_) => {}
                kiban_auth::LoginOutcome::EnrolmentRequired(_) => {
                    return Err(ApiError::invalid(
                        "otp",
                        Message::SecondFactorEnrolmentRequired {},
                    ));
                }
            }
            kiban_auth::issue_staff_token(&tenant, &request.login, TokenKind::Api, ttl).await?
        }
        None => {
            kiban_auth::verify_operator_password(&state.db, &request.login, &request.password)
                .await?;
            kiban_auth::issue_operator_token(&state.db, &request.login, TokenKind::Api, ttl).await?
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(SessionCreated {
            token: issued.token,
            expires_at: issued.expires_at.to_string(),
        }),
    )
        .into_response())
}

/// `DELETE /api/v1/sessions/current`: revokes the token in use.
pub async fn delete_current_session(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
) -> Result<StatusCode, ApiError> {
    kiban_auth::revoke(&state.db, &principal).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/calc/{kind}`: a stateless calculation for any staff member
/// (operators are refused: inputs are a person's income).
pub async fn calculate(
    _: StaffMember,
    Path(kind): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input = json_body(&body)?;
    match kiban_calc::run(&kind, &input) {
        Ok(result) => Ok(Json(result).into_response()),
        Err(e) if e.is_unknown_kind() => Err(ApiError {
            field: None,
            ..ApiError::calculation(e)
        }),
        Err(e) => Err(ApiError::calculation(e)),
    }
}
