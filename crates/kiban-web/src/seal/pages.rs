//! Seal-registration screens (印鑑登録): a person's registrations, the
//! application (with the impression uploaded as PNG), reply, card reissue,
//! abolition, the 印鑑登録証明書 by card number, and the review list
//! (転出取消により復活確認待ち) with its two decisions.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kiban_auth::{Permission, Principal};
use kiban_certificate::domain::CertificateKind;
use kiban_certificate::storage::{IssueRequest, Subject};
use kiban_core::Message;
use kiban_registry::domain::PersonId;
use kiban_seal::domain::{
    Impression, MAX_IMPRESSION_BYTES, MAX_REASON_CHARS, Procedure, REPLY_DEADLINE_DAYS,
    ReviewReason, SealStatus,
};
use kiban_seal::storage::{self, ClerkChange, Registration, ReviewDecision};
use serde::Deserialize;

use crate::certificates::api::{self, MAX_PURPOSE_CHARS};
use crate::kit::display::short_date_ja;
use crate::kit::door::{Target, authorize};
use crate::kit::page::{Chrome, render, staff};
use crate::kit::session;
use crate::seal::api::{refusal_error, seal_error};
use crate::{ApiError, AppState};

struct RegistrationRow {
    id: i64,
    procedure: &'static str,
    applied_on: String,
    status: &'static str,
    card: String,
}

#[derive(Template)]
#[template(path = "seal/index.html")]
struct SealIndex {
    chrome: Chrome,
    error: Option<String>,
    person_id: String,
    searched: bool,
    registrations: Vec<RegistrationRow>,
    deadline_days: i32,
    max_kib: usize,
}

struct HistoryRow {
    version: i64,
    change: &'static str,
    status: &'static str,
    card: String,
    effective_on: String,
    recorded_by: String,
    reason: String,
}

struct ReviewRow {
    id: i64,
    person_id: i64,
    since: String,
    abolition: &'static str,
    card_before: String,
}

#[derive(Template)]
#[template(path = "seal/reviews.html")]
struct SealReviews {
    chrome: Chrome,
    reviews: Vec<ReviewRow>,
}

#[derive(Template)]
#[template(path = "seal/show.html")]
struct SealShow {
    chrome: Chrome,
    error: Option<String>,
    notice: Option<String>,
    id: i64,
    person_id: i64,
    procedure: &'static str,
    applied_on: String,
    status: &'static str,
    card: String,
    reply_due: Option<String>,
    under_review: bool,
    max_reason: usize,
    history: Vec<HistoryRow>,
}

async fn tenant_for(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    chrome: &Chrome,
    permission: Permission,
    operation: &'static str,
) -> Result<(kiban_store::TenantDb, kiban_audit::Actor), ApiError> {
    authorize(
        state,
        principal,
        headers,
        &chrome.municipality_code,
        permission,
        Target {
            operation,
            person: None,
        },
    )
    .await
}

fn parse_person(text: &str) -> Option<PersonId> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0 && i64::try_from(*n).is_ok())
        .map(PersonId::new)
}

#[expect(clippy::too_many_arguments, reason = "one screen's parts")]
async fn index_page(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    chrome: Chrome,
    person_text: String,
    error: Option<String>,
    status: StatusCode,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let mut registrations = Vec::new();
    let mut searched = false;
    if let Some(person) = parse_person(&person_text) {
        let (tenant, actor) = tenant_for(
            state,
            principal,
            headers,
            &chrome,
            Permission::RegistryRead,
            "seal_list",
        )
        .await?;
        searched = true;
        let today = kiban_core::today_in_japan();
        registrations = storage::list_for_person(&tenant, &actor, person, today)
            .await?
            .iter()
            .map(|r| RegistrationRow {
                id: r.registration_id,
                procedure: r.procedure.label_ja(),
                applied_on: short_date_ja(r.applied_on),
                status: r.status.label_ja(),
                card: r
                    .seal_card_number
                    .as_ref()
                    .map_or_else(|| "－".to_owned(), |c| c.as_str().to_owned()),
            })
            .collect();
    }
    let page = SealIndex {
        chrome,
        error,
        person_id: person_text,
        searched,
        registrations,
        deadline_days: REPLY_DEADLINE_DAYS,
        max_kib: MAX_IMPRESSION_BYTES / 1024,
    };
    Ok((status, jar, render(&page)?).into_response())
}

/// A part of an uploaded form that cannot be read.
fn upload_error(field: &str, error: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::invalid(
        field,
        Message::UploadNotRead {
            detail: error.to_string(),
        },
    )
}

/// The query of the seal screen.
#[derive(Deserialize)]
pub struct IndexQuery {
    person_id: Option<String>,
}

/// `GET /app/seal?person_id=`.
pub async fn index(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(query): Query<IndexQuery>,
) -> Result<Response, ApiError> {
    let (principal, chrome, jar) = match staff(&state, jar).await {
        Ok(found) => found.into_parts(),
        Err(response) => return Ok(response),
    };
    index_page(
        &state,
        &principal,
        &headers,
        chrome,
        query.person_id.unwrap_or_default(),
        None,
        StatusCode::OK,
        jar,
    )
    .await
}

/// `POST /app/seal/register` (multipart: csrf, person_id, procedure, impression).
pub async fn register(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut png: Option<Vec<u8>> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| upload_error("impression", e))?
    {
        let name = field.name().unwrap_or("").to_owned();
        if name == "impression" {
            let bytes = field
                .bytes()
                .await
                .map_err(|e| upload_error("impression", e))?;
            png = Some(bytes.to_vec());
        } else {
            let text = field.text().await.map_err(|e| upload_error(&name, e))?;
            fields.insert(name, text);
        }
    }
    if !session::csrf_ok(&jar, fields.get("csrf").map_or("", String::as_str)) {
        return Err(ApiError::forbidden());
    }
    let (principal, chrome, jar) = match staff(&state, jar).await {
        Ok(found) => found.into_parts(),
        Err(response) => return Ok(response),
    };
    let person_text = fields.get("person_id").cloned().unwrap_or_default();
    let fail = |message: String| (person_text.clone(), Some(message));
    let outcome: Result<Registration, (String, Option<String>)> = async {
        let person = parse_person(&person_text)
            .ok_or_else(|| fail("宛名番号を数字で入力してください。".into()))?;
        let procedure = fields
            .get("procedure")
            .and_then(|p| Procedure::from_code(p))
            .ok_or_else(|| fail("登録の方法を選んでください。".into()))?;
        let impression = Impression::parse(png.clone().unwrap_or_default())
            .map_err(|r| fail(refusal_error(&r).message))?;
        let (tenant, actor) = tenant_for(
            &state,
            &principal,
            &headers,
            &chrome,
            Permission::RegistryWrite,
            "seal_register",
        )
        .await
        .map_err(|e| fail(e.message))?;
        storage::register(
            &tenant,
            &actor,
            person,
            procedure,
            &impression,
            kiban_core::today_in_japan(),
        )
        .await
        .map_err(|e| fail(seal_error(e).message))
    }
    .await;
    match outcome {
        Ok(registration) => Ok((
            jar,
            Redirect::to(&format!("/app/seal/{}", registration.registration_id)),
        )
            .into_response()),
        Err((person_text, message)) => {
            index_page(
                &state,
                &principal,
                &headers,
                chrome,
                person_text,
                message,
                StatusCode::UNPROCESSABLE_ENTITY,
                jar,
            )
            .await
        }
    }
}

#[expect(clippy::too_many_arguments, reason = "one screen's parts")]
async fn show_page(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    chrome: Chrome,
    id: i64,
    error: Option<String>,
    notice: Option<String>,
    status: StatusCode,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(
        state,
        principal,
        headers,
        &chrome,
        Permission::RegistryRead,
        "seal_get",
    )
    .await?;
    let today = kiban_core::today_in_japan();
    let Some(r) = storage::get(&tenant, &actor, id, today).await? else {
        return Err(ApiError::not_found());
    };
    let page = SealShow {
        chrome,
        error,
        notice,
        id: r.registration_id,
        person_id: r.person_id,
        procedure: r.procedure.label_ja(),
        applied_on: short_date_ja(r.applied_on),
        status: r.status.label_ja(),
        card: r
            .seal_card_number
            .as_ref()
            .map_or_else(|| "－".to_owned(), |c| c.as_str().to_owned()),
        reply_due: r.reply_due_on.map(short_date_ja),
        under_review: r.status == SealStatus::RestorationReview,
        max_reason: MAX_REASON_CHARS,
        history: r
            .history
            .iter()
            .map(|h| HistoryRow {
                version: h.version,
                change: h.change.label_ja(),
                status: h.status.label_ja(),
                card: h.seal_card_number.clone().unwrap_or_else(|| "－".into()),
                effective_on: short_date_ja(h.effective_on),
                recorded_by: h.recorded_by.clone(),
                reason: h.reason.clone().unwrap_or_default(),
            })
            .collect(),
    };
    Ok((status, jar, render(&page)?).into_response())
}

fn registration_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(ApiError::not_found)
}

/// `GET /app/seal/{id}`.
pub async fn show(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (principal, chrome, jar) = match staff(&state, jar).await {
        Ok(found) => found.into_parts(),
        Err(response) => return Ok(response),
    };
    let id = registration_id(&id)?;
    show_page(
        &state,
        &principal,
        &headers,
        chrome,
        id,
        None,
        None,
        StatusCode::OK,
        jar,
    )
    .await
}

/// `POST /app/seal/{id}/change` with `action` = `reply`, `card_reissue` or `abolish`.
pub async fn change(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    if !session::csrf_ok(&jar, fields.get("csrf").map_or("", String::as_str)) {
        return Err(ApiError::forbidden());
    }
    let (principal, chrome, jar) = match staff(&state, jar).await {
        Ok(found) => found.into_parts(),
        Err(response) => return Ok(response),
    };
    let id = registration_id(&id)?;
    let change = match fields.get("action").map(String::as_str) {
        Some("reply") => ClerkChange::Reply,
        Some("card_reissue") => ClerkChange::ReissueCard,
        Some("abolish") => ClerkChange::Abolish,
        _ => {
            return Err(ApiError::invalid("action", Message::ChooseAction {}));
        }
    };
    let (tenant, actor) = tenant_for(
        &state,
        &principal,
        &headers,
        &chrome,
        Permission::RegistryWrite,
        "seal_change",
    )
    .await?;
    let today = kiban_core::today_in_japan();
    let (error, notice, status) = match storage::change(&tenant, &actor, id, change, today).await {
        Ok(_) => {
            let notice = match change {
                ClerkChange::Reply => "回答書を受理し、登録しました。",
                ClerkChange::ReissueCard => "登録証を再交付しました。旧番号は無効です。",
                ClerkChange::Abolish => "印鑑登録を廃止しました。",
            };
            (None, Some(notice.to_owned()), StatusCode::OK)
        }
        Err(e) => {
            let e = seal_error(e);
            if !e.status.is_client_error() || e.status == StatusCode::NOT_FOUND {
                return Err(e);
            }
            (Some(e.message), None, e.status)
        }
    };
    show_page(
        &state, &principal, &headers, chrome, id, error, notice, status, jar,
    )
    .await
}

/// `GET /app/seal/reviews`: the registrations awaiting a clerk's review
/// (転出取消により復活確認待ち), each listed holder logged as `read`.
pub async fn reviews(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (principal, chrome, jar) = match staff(&state, jar).await {
        Ok(found) => found.into_parts(),
        Err(response) => return Ok(response),
    };
    let (tenant, actor) = tenant_for(
        &state,
        &principal,
        &headers,
        &chrome,
        Permission::RegistryRead,
        "seal_review_list",
    )
    .await?;
    let reviews = storage::review_list(&tenant, &actor)
        .await?
        .into_iter()
        .map(|item| ReviewRow {
            id: item.registration_id,
            person_id: item.person_id,
            since: short_date_ja(item.under_review_since),
            abolition: item.cancelled_abolition.map_or("－", |c| c.label_ja()),
            card_before: item.card_before.unwrap_or_else(|| "－".into()),
        })
        .collect();
    let page = SealReviews { chrome, reviews };
    Ok((jar, render(&page)?).into_response())
}

/// `POST /app/seal/{id}/review` with `decision` = `restore` or
/// `confirm_abolition` and `reason`.
pub async fn review(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    if !session::csrf_ok(&jar, fields.get("csrf").map_or("", String::as_str)) {
        return Err(ApiError::forbidden());
    }
    let (principal, chrome, jar) = match staff(&state, jar).await {
        Ok(found) => found.into_parts(),
        Err(response) => return Ok(response),
    };
    let id = registration_id(&id)?;
    let decision = match fields.get("decision").map(String::as_str) {
        Some("restore") => ReviewDecision::Restore,
        Some("confirm_abolition") => ReviewDecision::ConfirmAbolition,
        _ => {
            return Err(ApiError::invalid("decision", Message::ChooseDecision {}));
        }
    };
    let (tenant, actor) = tenant_for(
        &state,
        &principal,
        &headers,
        &chrome,
        Permission::RegistryWrite,
        "seal_review",
    )
    .await?;
    let today = kiban_core::today_in_japan();
    let outcome = match ReviewReason::parse(fields.get("reason").map_or("", String::as_str)) {
        Ok(reason) => storage::decide_review(&tenant, &actor, id, decision, &reason, today)
            .await
            .map_err(seal_error),
        Err(refusal) => Err(refusal_error(&refusal)),
    };
    let (error, notice, status) = match outcome {
        Ok(_) => {
            let notice = match decision {
                ReviewDecision::Restore => "印鑑登録を復活しました。廃止前の登録証が有効です。",
                ReviewDecision::ConfirmAbolition => "印鑑登録の廃止を確定しました。",
            };
            (None, Some(notice.to_owned()), StatusCode::OK)
        }
        Err(e) => {
            if !e.status.is_client_error() || e.status == StatusCode::NOT_FOUND {
                return Err(e);
            }
            (Some(e.message), None, e.status)
        }
    };
    show_page(
        &state, &principal, &headers, chrome, id, error, notice, status, jar,
    )
    .await
}

/// `POST /app/seal/certificate`: issues a 印鑑登録証明書 by card number.
pub async fn certificate(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    if !session::csrf_ok(&jar, fields.get("csrf").map_or("", String::as_str)) {
        return Err(ApiError::forbidden());
    }
    let (principal, chrome, jar) = match staff(&state, jar).await {
        Ok(found) => found.into_parts(),
        Err(response) => return Ok(response),
    };
    let (tenant, mut actor) = api::authorize_issue(
        &state,
        &principal,
        &headers,
        &chrome.municipality_code,
        "issue_certificate",
    )
    .await?;
    let purpose: String = fields
        .get("purpose")
        .map(|p| p.trim().chars().take(MAX_PURPOSE_CHARS).collect())
        .unwrap_or_default();
    let request = IssueRequest {
        kind: CertificateKind::SealCertificate,
        subject: Subject::SealCard(fields.get("seal_card_number").cloned().unwrap_or_default()),
        items: Vec::new(),
        purpose: (!purpose.is_empty()).then_some(purpose),
        support_measure: kiban_certificate::storage::SupportMeasureOverride::default(),
    };
    actor.purpose = request.purpose.clone();
    match api::issue(&state, &tenant, &actor, &request).await {
        Ok(issued) => Ok(api::pdf_response(StatusCode::OK, issued)),
        Err(error) if error.status.is_client_error() => {
            index_page(
                &state,
                &principal,
                &headers,
                chrome,
                String::new(),
                Some(error.message),
                error.status,
                jar,
            )
            .await
        }
        Err(error) => Err(error),
    }
}
