//! Certificate screens: choose a household's persons, the kind and the
//! items, preview, and issue (the PDF downloads); the public verification
//! page.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use kiban_auth::Principal;
use kiban_certificate::domain::{CertificateKind, Item, relationship_ja};
use kiban_certificate::storage::{IssueRequest, Subject};
use kiban_registry::domain::{HouseholdId, HouseholdRecord, PersonId};
use kiban_store::TenantDb;
use serde::Deserialize;

use crate::certificates::api::{self, MAX_PURPOSE_CHARS};
use crate::kit::display::{date_ja, short_date_ja};
use crate::kit::page::{Chrome, render, staff};
use crate::kit::session;
use crate::{ApiError, AppState};

struct MemberRow {
    person_id: u64,
    name: String,
    kana: String,
    birth_date: String,
    relationship: &'static str,
    selected: bool,
}

struct HouseholdView {
    household_id: u64,
    address: String,
    members: Vec<MemberRow>,
}

struct ItemChoice {
    code: &'static str,
    label: &'static str,
    checked: bool,
}

struct PreviewRow {
    name: String,
    birth_date: String,
    sex: &'static str,
    relationship: String,
    code: String,
}

struct Preview {
    title: &'static str,
    address: String,
    head: String,
    rows: Vec<PreviewRow>,
}

struct RecentRow {
    number: String,
    kind: &'static str,
    issued_on: String,
    issued_by: String,
    persons: String,
    pages: i64,
}

#[derive(Template)]
#[template(path = "certificates/new.html")]
struct CertificatePage {
    chrome: Chrome,
    today: String,
    error: Option<String>,
    household_id: String,
    household: Option<HouseholdView>,
    kinds: Vec<(&'static str, &'static str)>,
    selected_kind: &'static str,
    items: Vec<ItemChoice>,
    purpose: String,
    preview: Option<Preview>,
    recent: Vec<RecentRow>,
}

const SCREEN_KINDS: [CertificateKind; 2] = [
    CertificateKind::ResidentRecordCopy,
    CertificateKind::RecordItemCertificate,
];
const SCREEN_ITEMS: [Item; 6] = [
    Item::Relationship,
    Item::ResidentRecordCode,
    Item::BirthDate,
    Item::Sex,
    Item::Address,
    Item::ResidentFrom,
];

fn household_view(
    record: &HouseholdRecord,
    selected: &(dyn Fn(PersonId) -> bool + Sync),
) -> HouseholdView {
    let address = record
        .members
        .first()
        .map(kiban_certificate::domain::address_line)
        .unwrap_or_else(|| record.address.address_line.as_str().to_owned());
    HouseholdView {
        household_id: record.household_id.get(),
        address,
        members: record
            .members
            .iter()
            .map(|m| MemberRow {
                person_id: m.person_id.get(),
                name: m.name.as_str().to_owned(),
                kana: m.name_kana.as_str().to_owned(),
                birth_date: short_date_ja(m.birth_date),
                relationship: relationship_ja(m.relationship),
                selected: selected(m.person_id),
            })
            .collect(),
    }
}

async fn recent_rows(tenant: &TenantDb) -> Result<Vec<RecentRow>, ApiError> {
    Ok(kiban_certificate::storage::recent(tenant, 10)
        .await?
        .into_iter()
        .map(|r| RecentRow {
            number: r.certificate_number,
            kind: r.kind.label_ja(),
            issued_on: short_date_ja(r.issued_on),
            issued_by: r.issued_by,
            persons: r
                .person_ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join("、"),
            pages: r.page_count,
        })
        .collect())
}

/// The query of the issuance screen.
#[derive(Deserialize)]
pub struct NewQuery {
    household_id: Option<String>,
}

fn parse_household(text: &str) -> Option<HouseholdId> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0 && i64::try_from(*n).is_ok())
        .map(HouseholdId::new)
}

struct FormState {
    household_id: String,
    kind: CertificateKind,
    items: Vec<Item>,
    purpose: String,
    error: Option<String>,
    preview: Option<Preview>,
}

#[expect(clippy::too_many_arguments, reason = "one screen's parts")]
async fn page(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    chrome: Chrome,
    form: FormState,
    selected: &(dyn Fn(PersonId) -> bool + Sync),
    status: StatusCode,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let m = chrome.municipality_code.clone();
    let (tenant, actor) =
        api::authorize_issue(state, principal, headers, &m, "certificate_screen").await?;
    let today = kiban_core::today_in_japan();
    let mut household = None;
    let mut error = form.error;
    if let Some(id) = parse_household(&form.household_id) {
        match kiban_registry::storage::household_as_of(&tenant, &actor, id, today).await {
            Ok(Some(record)) if !record.members.is_empty() => {
                let mut view = household_view(&record, selected);
                // 支援措置: the address of a protected household is not shown.
                let ids: Vec<i64> = record
                    .members
                    .iter()
                    .filter_map(|m| i64::try_from(m.person_id.get()).ok())
                    .collect();
                let withheld = kiban_protection::withheld(
                    &tenant,
                    &actor,
                    false,
                    false,
                    &ids,
                    today,
                    kiban_protection::Exposure::Address,
                )
                .await?;
                if !withheld.is_empty() {
                    view.address = "（支援措置のため表示しません）".into();
                }
                household = Some(view);
            }
            Ok(_) => error = Some("この世帯番号の世帯は、本日時点で見つかりません。".into()),
            Err(e) => return Err(ApiError::internal(e)),
        }
    } else if !form.household_id.trim().is_empty() {
        error = Some("世帯番号は数字で入力してください。".into());
    }
    let page = CertificatePage {
        chrome,
        today: date_ja(today),
        error,
        household_id: form.household_id,
        household,
        kinds: SCREEN_KINDS
            .iter()
            .map(|k| (k.code(), k.label_ja()))
            .collect(),
        selected_kind: form.kind.code(),
        items: SCREEN_ITEMS
            .iter()
            .map(|i| ItemChoice {
                code: i.code(),
                label: i.label_ja(),
                checked: form.items.contains(i),
            })
            .collect(),
        purpose: form.purpose,
        preview: form.preview,
        recent: recent_rows(&tenant).await?,
    };
    Ok((status, jar, render(&page)?).into_response())
}

/// `GET /app/certificates/new?household_id=`: the issuance screen.
pub async fn form(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(query): Query<NewQuery>,
) -> Result<Response, ApiError> {
    let (principal, chrome, jar) = match staff(&state, jar).await {
        Ok(found) => found.into_parts(),
        Err(response) => return Ok(response),
    };
    let form = FormState {
        household_id: query.household_id.unwrap_or_default(),
        kind: CertificateKind::ResidentRecordCopy,
        items: vec![Item::Relationship],
        purpose: String::new(),
        error: None,
        preview: None,
    };
    page(
        &state,
        &principal,
        &headers,
        chrome,
        form,
        &|_| true,
        StatusCode::OK,
        jar,
    )
    .await
}

/// `POST /app/certificates/new`: `action=preview` shows what will be
/// printed; `action=issue` issues and answers with the PDF.
pub async fn submit(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Form(fields): Form<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let csrf = fields.get("csrf").map(String::as_str).unwrap_or("");
    if !session::csrf_ok(&jar, csrf) {
        return Err(ApiError::forbidden());
    }
    let (principal, chrome, jar) = match staff(&state, jar).await {
        Ok(found) => found.into_parts(),
        Err(response) => return Ok(response),
    };
    let household_id = fields.get("household_id").cloned().unwrap_or_default();
    let kind = fields
        .get("kind")
        .and_then(|k| CertificateKind::from_code(k))
        .filter(|k| SCREEN_KINDS.contains(k))
        .unwrap_or(CertificateKind::ResidentRecordCopy);
    let items: Vec<Item> = SCREEN_ITEMS
        .into_iter()
        .filter(|i| fields.contains_key(&format!("item_{}", i.code())))
        .collect();
    let mut persons: Vec<PersonId> = fields
        .keys()
        .filter_map(|k| k.strip_prefix("person_"))
        .filter_map(|n| n.parse::<u64>().ok())
        .filter(|n| *n > 0)
        .map(PersonId::new)
        .collect();
    persons.sort_by_key(|p| p.get());
    let purpose: String = fields
        .get("purpose")
        .map(|p| p.trim().chars().take(MAX_PURPOSE_CHARS).collect())
        .unwrap_or_default();
    let chosen = persons.clone();
    let selected = move |p: PersonId| chosen.contains(&p);
    let mut form = FormState {
        household_id,
        kind,
        items: items.clone(),
        purpose: purpose.clone(),
        error: None,
        preview: None,
    };
    if persons.is_empty() {
        form.error = Some("記載する方を1人以上選んでください。".into());
        return page(
            &state,
            &principal,
            &headers,
            chrome,
            form,
            &selected,
            StatusCode::UNPROCESSABLE_ENTITY,
            jar,
        )
        .await;
    }
    // Print the persons in the household's order (head first).
    let m = chrome.municipality_code.clone();
    let (tenant, mut actor) =
        api::authorize_issue(&state, &principal, &headers, &m, "issue_certificate").await?;
    let today = kiban_core::today_in_japan();
    if let Some(id) = parse_household(&form.household_id)
        && let Ok(Some(record)) =
            kiban_registry::storage::household_as_of(&tenant, &actor, id, today).await
    {
        let order: Vec<PersonId> = record.members.iter().map(|m| m.person_id).collect();
        persons.sort_by_key(|p| order.iter().position(|o| o == p).unwrap_or(usize::MAX));
        if fields.get("action").map(String::as_str) == Some("preview") {
            let mut shown = preview(kind, &record, &persons, &items);
            let ids: Vec<i64> = record
                .members
                .iter()
                .filter_map(|m| i64::try_from(m.person_id.get()).ok())
                .collect();
            let withheld = kiban_protection::withheld(
                &tenant,
                &actor,
                false,
                false,
                &ids,
                today,
                kiban_protection::Exposure::Address,
            )
            .await?;
            if !withheld.is_empty() {
                shown.address = "（支援措置のため表示しません）".into();
            }
            form.preview = Some(shown);
            return page(
                &state,
                &principal,
                &headers,
                chrome,
                form,
                &selected,
                StatusCode::OK,
                jar,
            )
            .await;
        }
    }
    let mut request_items = items.clone();
    if kind == CertificateKind::RecordItemCertificate && request_items.is_empty() {
        request_items.push(Item::BirthDate);
    }
    if kind == CertificateKind::ResidentRecordCopy {
        request_items.retain(|i| matches!(i, Item::Relationship | Item::ResidentRecordCode));
    }
    let request = IssueRequest {
        kind,
        subject: Subject::Persons(persons),
        items: request_items,
        purpose: (!purpose.is_empty()).then_some(purpose),
        support_measure: kiban_certificate::storage::SupportMeasureOverride::default(),
    };
    actor.purpose = request.purpose.clone();
    match api::issue(&state, &tenant, &actor, &request).await {
        Ok(issued) => Ok(api::pdf_response(StatusCode::OK, issued)),
        Err(error) if error.status.is_client_error() => {
            form.error = Some(error.message);
            page(
                &state,
                &principal,
                &headers,
                chrome,
                form,
                &selected,
                error.status,
                jar,
            )
            .await
        }
        Err(error) => Err(error),
    }
}

fn preview(
    kind: CertificateKind,
    record: &HouseholdRecord,
    persons: &[PersonId],
    items: &[Item],
) -> Preview {
    let head = record
        .head_person_id
        .and_then(|h| record.members.iter().find(|m| m.person_id == h))
        .map(|m| m.name.as_str().to_owned())
        .unwrap_or_default();
    let rows = persons
        .iter()
        .filter_map(|p| record.members.iter().find(|m| m.person_id == *p))
        .map(|m| PreviewRow {
            name: m.name.as_str().to_owned(),
            birth_date: short_date_ja(m.birth_date),
            sex: match m.sex {
                kiban_core::Sex::Male => "男",
                kiban_core::Sex::Female => "女",
            },
            relationship: if items.contains(&Item::Relationship) {
                relationship_ja(m.relationship).to_owned()
            } else {
                "省略".to_owned()
            },
            code: if items.contains(&Item::ResidentRecordCode) {
                m.resident_record_code.as_str().to_owned()
            } else {
                "省略".to_owned()
            },
        })
        .collect();
    Preview {
        title: kind.label_ja(),
        address: record
            .members
            .first()
            .map(kiban_certificate::domain::address_line)
            .unwrap_or_default(),
        head,
        rows,
    }
}

struct VerifiedView {
    kind: &'static str,
    municipality: String,
    issued_on: String,
    sha256: String,
}

#[derive(Template)]
#[template(path = "certificates/verify.html")]
struct VerifyPage {
    code: String,
    searched: bool,
    result: Option<VerifiedView>,
}

/// The query of the verification page.
#[derive(Deserialize)]
pub struct VerifyQuery {
    code: Option<String>,
}

/// `GET /app/certificates/verify?code=`: the public page that confirms a
/// certificate by its verification code (no login; no personal data).
pub async fn verify_form(
    State(state): State<AppState>,
    Query(query): Query<VerifyQuery>,
) -> Result<Response, ApiError> {
    let code = query.code.unwrap_or_default();
    let mut result = None;
    if !code.trim().is_empty()
        && let Some(v) = kiban_certificate::storage::verify(&state.db, &code).await?
    {
        let municipality = kiban_store::platform::find_municipality(&state.db, v.municipality)
            .await?
            .map_or_else(
                || v.municipality.as_str().to_owned(),
                |m| format!("{}（{}）", m.name, m.code.as_str()),
            );
        result = Some(VerifiedView {
            kind: v.kind.label_ja(),
            municipality,
            issued_on: date_ja(v.issued_on),
            sha256: v.sha256,
        });
    }
    let status = if code.trim().is_empty() || result.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let page = VerifyPage {
        searched: !code.trim().is_empty(),
        code,
        result,
    };
    Ok((status, render(&page)?).into_response())
}
