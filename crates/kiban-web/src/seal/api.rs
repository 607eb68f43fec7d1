//! The seal-registration JSON API (印鑑登録):
//! `POST …/seal-registrations`, `…/{id}/reply`, `…/{id}/abolish`,
//! `…/{id}/card-reissue`, `GET …/{id}`, `POST …/seal-adult-wards`
//! (成年被後見人 records), and the review of registrations whose abolishing
//! 転出 or 死亡 was cancelled: `GET …/seal-restoration-reviews`,
//! `POST …/{id}/restore`, `…/{id}/confirm-abolition`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use kiban_auth::Permission;
use kiban_core::Message;
use kiban_registry::domain::PersonId;
use kiban_seal::domain::{Impression, Procedure, Refusal, ReviewReason};
use kiban_seal::storage::{self, ClerkChange, Registration, ReviewDecision, ReviewItem, SealError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::ApiError;
use crate::kit::door::Door;
use crate::openapi::{Access, Operation, Route};
use crate::platform::api::json_body;

/// The operations of seal registration.
pub(crate) fn operations() -> Vec<Route> {
    let read = Access::Tenant(Permission::RegistryRead);
    let write = Access::Tenant(Permission::RegistryWrite);
    vec![
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/seal-registrations",
            "registerSeal",
            "印鑑登録を申請する（即日登録・照会書）",
            "seal",
            write,
        )
        .body::<SealRegistrationRequest>()
        .json::<SealRegistered>(201)
        .errors(&[409])
        .logged_as("seal_register")
        .to(create),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/seal-registrations/{id}",
            "getSealRegistration",
            "印鑑登録の状態と履歴を読む",
            "seal",
            read,
        )
        .json::<SealRegistrationView>(200)
        .logged_as("seal_get")
        .to(get),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/seal-registrations/{id}/reply",
            "replySealInquiry",
            "照会書の回答書を受理して登録する",
            "seal",
            write,
        )
        .json::<SealCardState>(200)
        .errors(&[409, 422])
        .logged_as("seal_reply")
        .to(reply),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/seal-registrations/{id}/card-reissue",
            "reissueSealCard",
            "印鑑登録証を再交付する（亡失）。旧番号は無効になる",
            "seal",
            write,
        )
        .json::<SealCardState>(200)
        .errors(&[409, 422])
        .logged_as("seal_card_reissue")
        .to(card_reissue),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/seal-registrations/{id}/abolish",
            "abolishSealRegistration",
            "印鑑登録を廃止する（申請）",
            "seal",
            write,
        )
        .json::<SealState>(200)
        .errors(&[409, 422])
        .logged_as("seal_abolish")
        .to(abolish),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/seal-restoration-reviews",
            "listSealRestorationReviews",
            "転出・死亡の取消しにより復活確認待ちとなった印鑑登録の一覧",
            "seal",
            read,
        )
        .json::<SealReviewList>(200)
        .logged_as("seal_review_list")
        .to(review_list),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/seal-registrations/{id}/restore",
            "restoreSealRegistration",
            "復活確認待ちの印鑑登録を復活する（理由が必須。廃止前の登録証が有効に戻る）",
            "seal",
            write,
        )
        .body::<SealReviewRequest>()
        .json::<SealCardState>(200)
        .errors(&[409])
        .logged_as("seal_restore")
        .to(restore),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/seal-registrations/{id}/confirm-abolition",
            "confirmSealAbolition",
            "復活確認待ちの印鑑登録の廃止を確定する（理由が必須）",
            "seal",
            write,
        )
        .body::<SealReviewRequest>()
        .json::<SealCardState>(200)
        .errors(&[409])
        .logged_as("seal_confirm_abolition")
        .to(confirm_abolition),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/seal-adult-wards",
            "recordSealAdultWard",
            "成年被後見人の届出を記録する（登録中の印鑑は職権廃止）",
            "seal",
            write,
        )
        .body::<AdultWardRequest>()
        .json::<AdultWardRecorded>(201)
        .errors(&[409])
        .logged_as("seal_adult_ward")
        .to(adult_ward),
    ]
}

/// The body of `POST …/seal-registrations`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"person_id": 5, "procedure": "identity_verified",
                          "impression_png_base64": "iVBORw0KGgo…"}))]
pub struct SealRegistrationRequest {
    /// 宛名番号 of the applicant (15 or older, resident).
    #[schema(minimum = 1)]
    pub person_id: u64,
    /// 即日登録 (`identity_verified`) or 照会書 (`inquiry`).
    #[schema(schema_with = crate::kit::wire::seal_procedure)]
    pub procedure: String,
    /// 印影: a PNG image in base64.
    #[schema(format = Byte)]
    pub impression_png_base64: String,
}

/// A new registration.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"registration_id": 1, "status": "registered",
                          "seal_card_number": "990019-000001", "reply_due_on": null}))]
pub struct SealRegistered {
    /// 登録番号.
    pub registration_id: i64,
    /// The state.
    #[schema(schema_with = crate::kit::wire::seal_status)]
    pub status: String,
    /// 印鑑登録証の番号, once registered.
    #[schema(required = true)]
    pub seal_card_number: Option<String>,
    /// The day the inquiry's reply is due (`inquiry`).
    #[schema(format = Date, required = true)]
    pub reply_due_on: Option<String>,
}

/// A registration's state after a change.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "abolished"}))]
pub struct SealState {
    /// The state.
    #[schema(schema_with = crate::kit::wire::seal_status)]
    pub status: String,
}

/// A registration's state and card after a change.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "registered", "seal_card_number": "990019-000001"}))]
pub struct SealCardState {
    /// The state.
    #[schema(schema_with = crate::kit::wire::seal_status)]
    pub status: String,
    /// 印鑑登録証の番号 (null when none is valid).
    #[schema(required = true)]
    pub seal_card_number: Option<String>,
}

/// A registration with its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct SealRegistrationView {
    /// 登録番号.
    pub registration_id: i64,
    /// 宛名番号.
    pub person_id: i64,
    /// The procedure.
    #[schema(schema_with = crate::kit::wire::seal_procedure)]
    pub procedure: String,
    /// 申請日.
    #[schema(format = Date)]
    pub applied_on: String,
    /// The state.
    #[schema(schema_with = crate::kit::wire::seal_status)]
    pub status: String,
    /// 印鑑登録証の番号.
    #[schema(required = true)]
    pub seal_card_number: Option<String>,
    /// The day the inquiry's reply is due.
    #[schema(format = Date, required = true)]
    pub reply_due_on: Option<String>,
    /// Every change, oldest first.
    pub history: Vec<SealHistoryEntry>,
}

/// One change of a registration.
#[derive(Debug, Serialize, ToSchema)]
pub struct SealHistoryEntry {
    /// The version (from 1).
    pub version: i64,
    /// The state after the change.
    #[schema(schema_with = crate::kit::wire::seal_status)]
    pub status: String,
    /// The change.
    #[schema(schema_with = crate::kit::wire::seal_change)]
    pub change: String,
    /// 印鑑登録証の番号 after the change.
    #[schema(required = true)]
    pub seal_card_number: Option<String>,
    /// 効力発生日.
    #[schema(format = Date)]
    pub effective_on: String,
    /// When it was recorded (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// 理由 (restorations and confirmed abolitions).
    #[schema(required = true)]
    pub reason: Option<String>,
}

/// The body of `POST /seal-adult-wards`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"person_id": 5, "adult_ward": true, "effective_on": "2024-06-01"}))]
pub struct AdultWardRequest {
    /// 宛名番号.
    #[schema(minimum = 1)]
    pub person_id: u64,
    /// true: became an adult ward (成年被後見人); false: no longer one.
    pub adult_ward: bool,
    /// 効力発生日 (today when absent).
    #[schema(format = Date)]
    pub effective_on: Option<String>,
}

/// A recorded adult-ward notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdultWardRecorded {
    /// 宛名番号.
    pub person_id: u64,
    /// Whether the person is an adult ward.
    pub adult_ward: bool,
    /// 効力発生日.
    #[schema(format = Date)]
    pub effective_on: String,
}

/// The registrations awaiting review.
#[derive(Debug, Serialize, ToSchema)]
pub struct SealReviewList {
    /// Each registration under review.
    pub registrations: Vec<SealReviewItem>,
}

/// A registration under review after its abolishing 転出 or 死亡 was
/// cancelled.
#[derive(Debug, Serialize, ToSchema)]
pub struct SealReviewItem {
    /// 登録番号.
    pub registration_id: i64,
    /// 宛名番号.
    pub person_id: i64,
    /// Always `restoration_review`.
    #[schema(schema_with = crate::kit::wire::seal_status)]
    pub status: String,
    /// Since when.
    #[schema(format = Date)]
    pub under_review_since: String,
    /// The abolition that was cancelled.
    #[schema(schema_with = crate::kit::wire::nullable_seal_change, required = true)]
    pub cancelled_abolition: Option<String>,
    /// The card number before the abolition.
    #[schema(required = true)]
    pub seal_card_number_before: Option<String>,
}

/// The body of a review's decision.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"reason": "登録証を本人が所持していることを確認"}))]
pub struct SealReviewRequest {
    /// 確認の結果と理由.
    pub reason: String,
}

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
pub(crate) fn registration_json(r: &Registration) -> SealRegistrationView {
    let history = r
        .history
        .iter()
        .map(|h| SealHistoryEntry {
            version: h.version,
            status: h.status.code().to_owned(),
            change: h.change.code().to_owned(),
            seal_card_number: h.seal_card_number.clone(),
            effective_on: h.effective_on.to_string(),
            recorded_at: h.recorded_at.clone(),
            recorded_by: h.recorded_by.clone(),
            reason: h.reason.clone(),
        })
        .collect();
    SealRegistrationView {
        registration_id: r.registration_id,
        person_id: r.person_id,
        procedure: r.procedure.code().to_owned(),
        applied_on: r.applied_on.to_string(),
        status: r.status.code().to_owned(),
        seal_card_number: r.seal_card_number.as_ref().map(|c| c.as_str().to_owned()),
        reply_due_on: r.reply_due_on.map(|d| d.to_string()),
        history,
    }
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

/// `POST /api/v1/municipalities/{m}/seal-registrations`.
pub async fn create(door: Door, body: Bytes) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
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
        Json(SealRegistered {
            registration_id: registration.registration_id,
            status: registration.status.code().to_owned(),
            seal_card_number: registration
                .seal_card_number
                .as_ref()
                .map(|c| c.as_str().to_owned()),
            reply_due_on: registration.reply_due_on.map(|d| d.to_string()),
        }),
    )
        .into_response())
}

fn registration_number(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(ApiError::not_found)
}

async fn clerk_change(door: Door, id: String, change: ClerkChange) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let id = registration_number(&id)?;
    let registration = storage::change(&tenant, &actor, id, change, kiban_core::today_in_japan())
        .await
        .map_err(seal_error)?;
    let status = registration.status.code().to_owned();
    Ok(match change {
        ClerkChange::Abolish => Json(SealState { status }).into_response(),
        ClerkChange::Reply | ClerkChange::ReissueCard => Json(SealCardState {
            status,
            seal_card_number: registration
                .seal_card_number
                .as_ref()
                .map(|c| c.as_str().to_owned()),
        })
        .into_response(),
    })
}

/// `POST …/seal-registrations/{id}/reply`: the reply to the inquiry letter.
pub async fn reply(
    door: Door,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    clerk_change(door, id, ClerkChange::Reply).await
}

/// `POST …/seal-registrations/{id}/abolish`: 廃止申請.
pub async fn abolish(
    door: Door,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    clerk_change(door, id, ClerkChange::Abolish).await
}

/// `POST …/seal-registrations/{id}/card-reissue`: 登録証の亡失・再交付.
pub async fn card_reissue(
    door: Door,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    clerk_change(door, id, ClerkChange::ReissueCard).await
}

/// `GET …/seal-registrations/{id}`.
pub async fn get(door: Door, Path((_, id)): Path<(String, String)>) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let id = registration_number(&id)?;
    let registration = storage::get(&tenant, &actor, id, kiban_core::today_in_japan())
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(registration_json(&registration)).into_response())
}

/// `POST /api/v1/municipalities/{m}/seal-adult-wards` body
/// `{"person_id","adult_ward":true|false,"effective_on"}`: records a
/// notice that a person is (or is no longer) an adult ward (成年被後見人).
pub async fn adult_ward(door: Door, body: Bytes) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
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
        Json(AdultWardRecorded {
            person_id: person.get(),
            adult_ward,
            effective_on: effective_on.to_string(),
        }),
    )
        .into_response())
}

/// The JSON of an item of the review list.
pub(crate) fn review_item_json(item: &ReviewItem) -> SealReviewItem {
    SealReviewItem {
        registration_id: item.registration_id,
        person_id: item.person_id,
        status: kiban_seal::domain::SealStatus::RestorationReview
            .code()
            .to_owned(),
        under_review_since: item.under_review_since.to_string(),
        cancelled_abolition: item.cancelled_abolition.map(|c| c.code().to_owned()),
        seal_card_number_before: item.card_before.clone(),
    }
}

/// `GET /api/v1/municipalities/{m}/seal-restoration-reviews`: the
/// registrations awaiting a clerk's review after their abolishing 転出 or
/// 死亡 was cancelled, each listed holder logged as `read`.
pub async fn review_list(door: Door) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let items = storage::review_list(&tenant, &actor).await?;
    let registrations = items.iter().map(review_item_json).collect();
    Ok(Json(SealReviewList { registrations }).into_response())
}

async fn review(
    door: Door,
    id: String,
    body: Bytes,
    decision: ReviewDecision,
) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
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
    Ok(Json(SealCardState {
        status: registration.status.code().to_owned(),
        seal_card_number: registration
            .seal_card_number
            .as_ref()
            .map(|c| c.as_str().to_owned()),
    })
    .into_response())
}

/// `POST …/seal-registrations/{id}/restore` body `{"reason"}`: restores a
/// registration under review (復活).
pub async fn restore(
    door: Door,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    review(door, id, body, ReviewDecision::Restore).await
}

/// `POST …/seal-registrations/{id}/confirm-abolition` body `{"reason"}`:
/// confirms the abolition of a registration under review (廃止確定).
pub async fn confirm_abolition(
    door: Door,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    review(door, id, body, ReviewDecision::ConfirmAbolition).await
}
