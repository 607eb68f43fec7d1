//! 支援措置 (support measures) in the JSON API: record, list and end the
//! measures of a person. The rule itself (addresses withheld, certificates
//! refused) lives in `kiban-protection` and is applied by every business.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiban_audit::AuditAction;
use kiban_auth::Permission;
use kiban_core::Message;
use kiban_protection::{ProtectionError, Reason, SupportMeasure};
use kiban_registry::domain::parse_date;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::ApiError;
use crate::kit::door::Door;
use crate::openapi::{Access, Operation, Route};
use crate::platform::api::json_body;

/// The operations of 支援措置.
pub(crate) fn operations() -> Vec<Route> {
    let manage = Access::Tenant(Permission::ManageSupportMeasures);
    vec![
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/persons/{person_id}/support-measures",
            "listSupportMeasures",
            "住民の支援措置（DV・ストーカー等）の一覧",
            "protection",
            manage,
        )
        .json::<SupportMeasures>(200)
        .logged_as("support_measures")
        .to(list),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/persons/{person_id}/support-measures",
            "recordSupportMeasure",
            "支援措置を記録する（期間は原則1年）",
            "protection",
            manage,
        )
        .body::<SupportMeasureRequest>()
        .json::<SupportMeasureView>(201)
        .logged_as("record_support_measure")
        .to(record),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/support-measures/{measure_id}/end",
            "endSupportMeasure",
            "支援措置を期間の途中で終了する（記録は残る）",
            "protection",
            manage,
        )
        .body::<EndSupportMeasureRequest>()
        .json::<SupportMeasureView>(200)
        .errors(&[409])
        .logged_as("end_support_measure")
        .to(end),
    ]
}

/// The body of `POST …/persons/{person_id}/support-measures`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"reason": "domestic_violence", "starts_on": "2024-05-01"}))]
pub struct SupportMeasureRequest {
    /// 理由.
    #[schema(schema_with = crate::kit::wire::support_reason)]
    pub reason: String,
    /// 開始日.
    #[schema(format = Date, example = "2024-05-01")]
    pub starts_on: String,
    /// 終了日 (one year after the start when absent).
    #[schema(format = Date, example = "2025-04-30")]
    pub ends_on: Option<String>,
}

/// The body of `POST …/support-measures/{measure_id}/end`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"ended_on": "2024-06-01"}))]
pub struct EndSupportMeasureRequest {
    /// The day it ends early.
    #[schema(format = Date, example = "2024-06-01")]
    pub ended_on: String,
}

/// A 支援措置.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportMeasureView {
    /// 措置番号.
    pub measure_id: i64,
    /// 宛名番号.
    pub person_id: i64,
    /// 理由.
    #[schema(schema_with = crate::kit::wire::support_reason)]
    pub reason: String,
    /// 開始日.
    #[schema(format = Date)]
    pub starts_on: String,
    /// 終了日.
    #[schema(format = Date)]
    pub ends_on: String,
    /// The day it ended early.
    #[schema(format = Date, required = true)]
    pub ended_on: Option<String>,
    /// When it was recorded (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
}

/// A person's 支援措置.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupportMeasures {
    /// Every measure, ended ones included.
    pub measures: Vec<SupportMeasureView>,
}

fn measure_json(measure: &SupportMeasure) -> SupportMeasureView {
    SupportMeasureView {
        measure_id: measure.measure_id,
        person_id: measure.person_id,
        reason: measure.reason.code().to_owned(),
        starts_on: measure.starts_on.to_string(),
        ends_on: measure.ends_on.to_string(),
        ended_on: measure.ended_on.map(|d| d.to_string()),
        recorded_at: measure.recorded_at.clone(),
        recorded_by: measure.recorded_by.clone(),
    }
}

fn protection_error(error: ProtectionError) -> ApiError {
    let field = error.field();
    match (&error, field) {
        (ProtectionError::Store(_), _) | (_, None) => ApiError::internal(error),
        (ProtectionError::UnknownPerson(_) | ProtectionError::UnknownMeasure(_), _) => {
            ApiError::not_found()
        }
        (_, Some(field)) => match error.message() {
            Some(message) => ApiError::invalid(field, message),
            None => ApiError::internal(error),
        },
    }
}

/// A required `YYYY-MM-DD` (or 和暦) member of a JSON object.
fn date_member(body: &Value, name: &'static str) -> Result<Option<kiban_core::Date>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => parse_date(name, text).map(Some).map_err(|r| {
            ApiError::invalid(
                name,
                Message::DateNotRead {
                    detail: r.message().text(),
                },
            )
        }),
        Some(_) => Err(ApiError::invalid(
            name,
            Message::MustBeDateString { field: name.into() },
        )),
    }
}

fn person_number(text: &str) -> Result<i64, ApiError> {
    crate::kit::door::person_number(Some(text)).ok_or_else(ApiError::not_found)
}

/// `GET /api/v1/municipalities/{m}/persons/{person_id}/support-measures`.
pub async fn list(
    door: Door,
    Path((_, person_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let number = person_number(&person_id)?;
    let mut tx = tenant.begin().await?;
    let exists = kiban_protection::person_known(&mut tx, number).await?;
    if !exists {
        tx.rollback().await?;
        return Err(ApiError::not_found());
    }
    let measures = kiban_protection::measures_of(&mut tx, number).await?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(AuditAction::Read, Some(number), "support_measures"),
    )
    .await?;
    tx.commit().await?;
    let measures = measures.iter().map(measure_json).collect();
    Ok(Json(SupportMeasures { measures }).into_response())
}

/// `POST /api/v1/municipalities/{m}/persons/{person_id}/support-measures`
/// body `{"reason","starts_on","ends_on"?}` → 201 the measure.
pub async fn record(
    door: Door,
    Path((_, person_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let number = person_number(&person_id)?;
    let body = json_body(&body)?;
    if !body.is_object() {
        return Err(ApiError::invalid("body", Message::BodyNotObject {}));
    }
    let reason = match body.get("reason") {
        Some(Value::String(code)) => Reason::from_code(code.trim()).ok_or_else(|| {
            ApiError::invalid(
                "reason",
                Message::ProtectionReasonUnknown {
                    field: "reason".into(),
                    codes: Reason::ALL.map(Reason::code).join(", "),
                },
            )
        })?,
        None | Some(Value::Null) => {
            return Err(ApiError::invalid(
                "reason",
                Message::Required {
                    field: "reason".into(),
                },
            ));
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "reason",
                Message::MustBeString {
                    field: "reason".into(),
                },
            ));
        }
    };
    let starts_on = date_member(&body, "starts_on")?.ok_or_else(|| {
        ApiError::invalid(
            "starts_on",
            Message::Required {
                field: "starts_on".into(),
            },
        )
    })?;
    let ends_on = date_member(&body, "ends_on")?;
    let mut tx = tenant.begin().await?;
    match kiban_protection::record_measure(&mut tx, &actor, number, reason, starts_on, ends_on)
        .await
    {
        Ok(measure) => {
            tx.commit().await?;
            Ok((StatusCode::CREATED, Json(measure_json(&measure))).into_response())
        }
        Err(error) => {
            tx.rollback().await?;
            Err(protection_error(error))
        }
    }
}

/// `POST /api/v1/municipalities/{m}/support-measures/{measure_id}/end`
/// body `{"ended_on"}` → 200 the measure with its early end.
pub async fn end(
    door: Door,
    Path((_, measure_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let measure_id = person_number(&measure_id)?;
    let body = json_body(&body)?;
    let ended_on = date_member(&body, "ended_on")?.ok_or_else(|| {
        ApiError::invalid(
            "ended_on",
            Message::Required {
                field: "ended_on".into(),
            },
        )
    })?;
    let mut tx = tenant.begin().await?;
    match kiban_protection::end_measure(&mut tx, &actor, measure_id, ended_on).await {
        Ok(measure) => {
            tx.commit().await?;
            Ok(Json(measure_json(&measure)).into_response())
        }
        Err(error) => {
            tx.rollback().await?;
            Err(protection_error(error))
        }
    }
}
