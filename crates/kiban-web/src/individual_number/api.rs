//! `POST /api/v1/municipalities/{m}/persons/{person_id}/individual-number/reveal`:
//! the 個人番号 in full, for a role with the permission that states a purpose
//! (利用目的); logged as `reveal` with the purpose. Person views otherwise
//! carry only `individual_number_masked`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use kiban_auth::Permission;
use kiban_core::Message;
use kiban_registry::storage::{self, Revealed};
use serde_json::{Value, json};

use crate::individual_number::pages::parse_purpose;
use crate::kit::door::{Target, authorize, parse_person_id};
use crate::kit::session::ApiPrincipal;
use crate::platform::api::json_body;
use crate::registry::api::registry_error;
use crate::{ApiError, AppState};

/// `POST …/persons/{person_id}/individual-number/reveal` body
/// `{"purpose": "…"}` → 200 `{"person_id", "individual_number"}`
/// (`null` when the person has none).
pub async fn reveal(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, person_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let target = Target {
        operation: "individual_number_reveal",
        person: Some(&person_id),
    };
    let (tenant, mut actor) = authorize(
        &state,
        &principal,
        &headers,
        &m,
        Permission::IndividualNumber,
        target,
    )
    .await?;
    let value = json_body(&body)?;
    if let Some(unknown) = value
        .as_object()
        .and_then(|obj| obj.keys().find(|k| k.as_str() != "purpose"))
    {
        return Err(ApiError::invalid(
            unknown.clone(),
            Message::UnknownField {
                field: unknown.clone(),
            },
        ));
    }
    let purpose = match value.get("purpose") {
        None | Some(Value::Null) => {
            return Err(ApiError::invalid("purpose", Message::PurposeRequired {}));
        }
        Some(Value::String(text)) => parse_purpose(text)?,
        Some(_) => {
            return Err(ApiError::invalid(
                "purpose",
                Message::MustBeString {
                    field: "purpose".into(),
                },
            ));
        }
    };
    let person = parse_person_id(&person_id).ok_or_else(ApiError::not_found)?;
    if !state.db.has_master_key() {
        // Nothing could be opened: answer so before writing anything.
        return Err(ApiError::master_key_not_configured());
    }
    actor.purpose = Some(purpose);
    let revealed = storage::reveal_individual_number(&tenant, &actor, person)
        .await
        .map_err(registry_error)?;
    let number = match revealed {
        Revealed::NoSuchPerson => return Err(ApiError::not_found()),
        Revealed::NoNumber => Value::Null,
        Revealed::Number(n) => Value::String(n.as_str().to_owned()),
    };
    Ok(Json(json!({"person_id": person.get(), "individual_number": number})).into_response())
}
