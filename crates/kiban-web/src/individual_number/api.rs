//! `POST /api/v1/municipalities/{m}/persons/{person_id}/individual-number/reveal`:
//! the 個人番号 in full, for a role with the permission that states a purpose
//! (利用目的); logged as `reveal` with the purpose. Person views otherwise
//! carry only `individual_number_masked`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use kiban_auth::Permission;
use kiban_core::Message;
use kiban_registry::storage::{self, Revealed};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::individual_number::pages::parse_purpose;
use crate::kit::door::{Door, parse_person_id};
use crate::openapi::{Access, Operation, Route};
use crate::platform::api::json_body;
use crate::registry::api::registry_error;
use crate::{ApiError, AppState};

/// The operation of this module.
pub(crate) fn operations() -> Vec<Route> {
    vec![
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/persons/{person_id}/individual-number/reveal",
            "revealIndividualNumber",
            "個人番号を表示する（利用目的の入力が必須。表示は利用履歴に記録）",
            "registry",
            Access::Tenant(Permission::IndividualNumber),
        )
        .body::<RevealRequest>()
        .json::<RevealedNumber>(200)
        .errors(&[503])
        .logged_as("individual_number_reveal")
        .to(reveal),
    ]
}

/// The body of a reveal.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"purpose": "児童手当の認定事務"}))]
pub struct RevealRequest {
    /// 利用目的 (4 to 200 characters).
    #[schema(min_length = 4, max_length = 200, example = "児童手当の認定事務")]
    pub purpose: String,
}

/// A revealed 個人番号.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"person_id": 5, "individual_number": "123456789018"}))]
pub struct RevealedNumber {
    /// 宛名番号.
    pub person_id: u64,
    /// 個人番号 (null when the person has none).
    #[schema(required = true)]
    pub individual_number: Option<String>,
}

/// `POST …/persons/{person_id}/individual-number/reveal` body
/// `{"purpose": "…"}` → 200 `{"person_id", "individual_number"}`
/// (`null` when the person has none).
pub async fn reveal(
    State(state): State<AppState>,
    door: Door,
    Path((_, person_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Door {
        tenant, mut actor, ..
    } = door;
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
        Revealed::NoNumber => None,
        Revealed::Number(n) => Some(n.as_str().to_owned()),
    };
    Ok(Json(RevealedNumber {
        person_id: person.get(),
        individual_number: number,
    })
    .into_response())
}
