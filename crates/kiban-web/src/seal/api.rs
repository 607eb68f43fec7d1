//! The seal-registration JSON API (印鑑登録):
//! `POST …/seal-registrations`, `…/{id}/reply`, `…/{id}/abolish`,
//! `…/{id}/card-reissue`, `GET …/{id}`, `POST …/seal-adult-wards`
//! (成年被後見人 records), and the review of registrations whose abolishing
//! 転出 or 死亡 was cancelled: `GET …/seal-restoration-reviews`,
//! `POST …/{id}/restore`, `…/{id}/confirm-abolition`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use kiban_auth::Permission;
use kiban_core::Message;
use kiban_registry::domain::PersonId;
use kiban_seal::domain::{Impression, Procedure, Refusal, ReviewReason};
use kiban_seal::storage::{self, ClerkChange, Registration, ReviewDecision, ReviewItem, SealError};
use serde_json::{Value, json};

use crate::kit::door::{Target, authorize};
use crate::kit::session::ApiPrincipal;
use crate::platform::api::json_body;
use crate::{ApiError, AppState};

pub(crate) fn refusal_error(refusal: &Refusal) -> ApiError {
    ApiError::about(refusal.field(), refusal.message())
}

pub(crate) fn seal_error(error: SealError) -> ApiError {
    match error {
        SealError::Refused(refusal) => refusal_error(&refusal),
        SealError::NotFound => ApiError::not_found(),
        SealError::Store(e) => ApiError::from(e),
    }
}

/// The JSON of a registration.
pub(crate) fn registration_json(r: &Registration) -> Value {
    let history: Vec<Value> = r
        .history
        .iter()
        .map(|h| {
            json!({
                "version": h.version,
                "status": h.status.code(),
                "change": h.change.code(),
                "seal_card_number": h.seal_card_number,
                "effective_on": h.effective_on.to_string(),
                "recorded_at": h.recorded_at,
                "recorded_by": h.recorded_by,
                "reason": h.reason,
            })
        })
        .collect();
    json!({
        "registration_id": r.registration_id,
        "person_id": r.person_id,
        "procedure": r.procedure.code(),
        "applied_on": r.applied_on.to_string(),
        "status": r.status.code(),
        "seal_card_number": r.seal_card_number.as_ref().map(|c| c.as_str()),
        "reply_due_on": r.reply_due_on.map(|d| d.to_string()),
        "history": history,
    })
}

fn person_id(value: Option<&Value>) -> Result<PersonId, ApiError> {
    let n = match value {
        None | Some(Value::Null) => {
            return Err(ApiError::invalid(
                "person_id",
                Message::Required {
                    field: "person_id".into(),
                },
            ));
        }
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        Some(_) => None,
    };
    n.filter(|n| *n > 0 && i64::try_from(*n).is_ok())
        .map(PersonId::new)
        .ok_or_else(|| {
            ApiError::invalid(
                "person_id",
                Message::MustBePositive {
                    field: "person_id".into(),
                },
            )
        })
}

/// Decodes a base64 PNG (standard alphabet, padding optional) into an
/// impression.
pub(crate) fn impression(text: &str) -> Result<Impression, ApiError> {
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cleaned.trim_end_matches('='))
        .or_else(|_| {
            base64::engine::general_purpose::STANDARD_NO_PAD.decode(cleaned.trim_end_matches('='))
        })
        .or_else(|_| base64::engine::general_purpose::STANDARD.decode(&cleaned))
        .map_err(|_| {
            ApiError::invalid(
                "impression_png_base64",
                Message::ImpressionNotBase64Png {
                    field: "impression_png_base64".into(),
                },
            )
        })?;
    Impression::parse(bytes).map_err(|r| refusal_error(&r))
}

async fn tenant_for(
    state: &AppState,
    principal: &kiban_auth::Principal,
    headers: &HeaderMap,
    m: &str,
    permission: Permission,
    operation: &'static str,
) -> Result<(kiban_store::TenantDb, kiban_audit::Actor), ApiError> {
    authorize(
        state,
        principal,
        headers,
        m,
        permission,
        Target {
            operation,
            person: None,
        },
    )
    .await
}

/// `POST /api/v1/municipalities/{m}/seal-registrations`.
pub async fn create(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(m): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(
        &state,
        &principal,
        &headers,
        &m,
        Permission::RegistryWrite,
        "seal_register",
    )
    .await?;
    let value = json_body(&body)?;
    let obj = value
        .as_object()
        .ok_or_else(|| ApiError::invalid("", Message::BodyNotObject {}))?;
    let person = person_id(obj.get("person_id"))?;
    let procedure = match obj.get("procedure").and_then(Value::as_str) {
        Some(code) => {
            Procedure::from_code(code).ok_or_else(|| refusal_error(&Refusal::UnknownProcedure))?
        }
        None => {
            return Err(ApiError::invalid(
                "procedure",
                Message::Required {
                    field: "procedure".into(),
                },
            ));
        }
    };
    let png = match obj.get("impression_png_base64").and_then(Value::as_str) {
        Some(text) => impression(text)?,
        None => {
            return Err(ApiError::invalid(
                "impression_png_base64",
                Message::Required {
                    field: "impression_png_base64".into(),
                },
            ));
        }
    };
    let registration = storage::register(
        &tenant,
        &actor,
        person,
        procedure,
        &png,
        kiban_core::today_in_japan(),
    )
    .await
    .map_err(seal_error)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "registration_id": registration.registration_id,
            "status": registration.status.code(),
            "seal_card_number": registration.seal_card_number.as_ref().map(|c| c.as_str()),
            "reply_due_on": registration.reply_due_on.map(|d| d.to_string()),
        })),
    )
        .into_response())
}

fn registration_number(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(ApiError::not_found)
}

async fn clerk_change(
    state: AppState,
    principal: kiban_auth::Principal,
    headers: HeaderMap,
    m: String,
    id: String,
    change: ClerkChange,
    operation: &'static str,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(
        &state,
        &principal,
        &headers,
        &m,
        Permission::RegistryWrite,
        operation,
    )
    .await?;
    let id = registration_number(&id)?;
    let registration = storage::change(&tenant, &actor, id, change, kiban_core::today_in_japan())
        .await
        .map_err(seal_error)?;
    let body = match change {
        ClerkChange::Abolish => json!({"status": registration.status.code()}),
        ClerkChange::Reply | ClerkChange::ReissueCard => json!({
            "status": registration.status.code(),
            "seal_card_number": registration.seal_card_number.as_ref().map(|c| c.as_str()),
        }),
    };
    Ok(Json(body).into_response())
}

/// `POST …/seal-registrations/{id}/reply`: the reply to the inquiry letter.
pub async fn reply(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    clerk_change(
        state,
        principal,
        headers,
        m,
        id,
        ClerkChange::Reply,
        "seal_reply",
    )
    .await
}

/// `POST …/seal-registrations/{id}/abolish`: 廃止申請.
pub async fn abolish(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    clerk_change(
        state,
        principal,
        headers,
        m,
        id,
        ClerkChange::Abolish,
        "seal_abolish",
    )
    .await
}

/// `POST …/seal-registrations/{id}/card-reissue`: 登録証の亡失・再交付.
pub async fn card_reissue(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    clerk_change(
        state,
        principal,
        headers,
        m,
        id,
        ClerkChange::ReissueCard,
        "seal_card_reissue",
    )
    .await
}

/// `GET …/seal-registrations/{id}`.
pub async fn get(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(
        &state,
        &principal,
        &headers,
        &m,
        Permission::RegistryRead,
        "seal_get",
    )
    .await?;
    let id = registration_number(&id)?;
    let registration = storage::get(&tenant, &actor, id, kiban_core::today_in_japan())
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(registration_json(&registration)).into_response())
}

/// `POST /api/v1/municipalities/{m}/seal-adult-wards` body
/// `{"person_id","adult_ward":true|false,"effective_on"}`: records a
/// notice that a person is (or is no longer) an adult ward (成年被後見人).
pub async fn adult_ward(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(m): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(
        &state,
        &principal,
        &headers,
        &m,
        Permission::RegistryWrite,
        "seal_adult_ward",
    )
    .await?;
    let value = json_body(&body)?;
    let person = person_id(value.get("person_id"))?;
    let adult_ward = value
        .get("adult_ward")
        .and_then(Value::as_bool)
        .ok_or_else(|| {
            ApiError::invalid(
                "adult_ward",
                Message::MustBeBoolean {
                    field: "adult_ward".into(),
                },
            )
        })?;
    let today = kiban_core::today_in_japan();
    let effective_on = match value.get("effective_on").and_then(Value::as_str) {
        None => today,
        Some(text) => kiban_core::date::parse_iso(text).map_err(|_| {
            ApiError::invalid(
                "effective_on",
                Message::MustBeIsoDate {
                    field: "effective_on".into(),
                },
            )
        })?,
    };
    storage::record_adult_ward(&tenant, &actor, person, adult_ward, effective_on)
        .await
        .map_err(seal_error)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"person_id": person.get(), "adult_ward": adult_ward, "effective_on": effective_on.to_string()})),
    )
        .into_response())
}

/// The JSON of an item of the review list.
pub(crate) fn review_item_json(item: &ReviewItem) -> Value {
    json!({
        "registration_id": item.registration_id,
        "person_id": item.person_id,
        "status": kiban_seal::domain::SealStatus::RestorationReview.code(),
        "under_review_since": item.under_review_since.to_string(),
        "cancelled_abolition": item.cancelled_abolition.map(|c| c.code()),
        "seal_card_number_before": item.card_before,
    })
}

/// `GET /api/v1/municipalities/{m}/seal-restoration-reviews`: the
/// registrations awaiting a clerk's review after their abolishing 転出 or
/// 死亡 was cancelled, each listed holder logged as `read`.
pub async fn review_list(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(m): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(
        &state,
        &principal,
        &headers,
        &m,
        Permission::RegistryRead,
        "seal_review_list",
    )
    .await?;
    let items = storage::review_list(&tenant, &actor).await?;
    let list: Vec<Value> = items.iter().map(review_item_json).collect();
    Ok(Json(json!({"registrations": list})).into_response())
}

async fn review(
    state: AppState,
    principal: kiban_auth::Principal,
    headers: HeaderMap,
    (m, id): (String, String),
    body: Bytes,
    decision: ReviewDecision,
    operation: &'static str,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(
        &state,
        &principal,
        &headers,
        &m,
        Permission::RegistryWrite,
        operation,
    )
    .await?;
    let id = registration_number(&id)?;
    let value = json_body(&body)?;
    let reason = match value.get("reason") {
        None | Some(Value::Null) => {
            return Err(ApiError::invalid(
                "reason",
                Message::ReviewReasonRequired {
                    field: "reason".into(),
                },
            ));
        }
        Some(Value::String(text)) => ReviewReason::parse(text).map_err(|r| refusal_error(&r))?,
        Some(_) => {
            return Err(ApiError::invalid(
                "reason",
                Message::MustBeString {
                    field: "reason".into(),
                },
            ));
        }
    };
    let registration = storage::decide_review(
        &tenant,
        &actor,
        id,
        decision,
        &reason,
        kiban_core::today_in_japan(),
    )
    .await
    .map_err(seal_error)?;
    Ok(Json(json!({
        "status": registration.status.code(),
        "seal_card_number": registration.seal_card_number.as_ref().map(|c| c.as_str()),
    }))
    .into_response())
}

/// `POST …/seal-registrations/{id}/restore` body `{"reason"}`: restores a
/// registration under review (復活).
pub async fn restore(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(path): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    review(
        state,
        principal,
        headers,
        path,
        body,
        ReviewDecision::Restore,
        "seal_restore",
    )
    .await
}

/// `POST …/seal-registrations/{id}/confirm-abolition` body `{"reason"}`:
/// confirms the abolition of a registration under review (廃止確定).
pub async fn confirm_abolition(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(path): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    review(
        state,
        principal,
        headers,
        path,
        body,
        ReviewDecision::ConfirmAbolition,
        "seal_confirm_abolition",
    )
    .await
}
