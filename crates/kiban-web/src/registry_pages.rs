//! Clerk screens of the resident registry (住民記録): search, the person and
//! household views, and the movement forms (異動入力) with their
//! confirmation step.
//!
//! The screens use the same doors as the JSON API: the same authorization
//! ([`registry_api::authorize`], so refusals are logged identically), the
//! same storage reads (each person read writes its access-log entry), and the
//! same parsing of a movement ([`registry_api::movement_command`]). A form's
//! field names are the JSON paths of the API (`persons[1].name_kana`,
//! `address.postal_code`), so an error the API would name by its path is
//! shown next to the field of that name. Dates are typed in 和暦 or 西暦
//! (`kiban_core::wareki::parse_date_input`) and converted before parsing.
//!
//! Every screen works without script: a movement is posted once to be
//! checked (確認画面), then posted again from the confirmation page to be
//! recorded; both posts carry the CSRF token.

#![expect(
    clippy::result_large_err,
    reason = "the error of a screen step is the response to send (a refusal page), built at most once per request"
)]

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use jiff::Timestamp;
use kiban_audit::Actor;
use kiban_auth::{Permission, Principal, Role};
use kiban_core::wareki::{format_ja, format_ja_with_western, parse_date_input};
use kiban_core::{Date, Relationship, Sex};
use kiban_protection::Exposure;
use kiban_registry::domain::{
    HouseholdId, HouseholdRecord, MovementKind, PersonListing, PersonRecord, RejectionKind,
    ResidentStatus,
};
use kiban_registry::storage::{self, HistoryEntry, RegistryError, SearchQuery};
use kiban_store::TenantDb;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::pages::{NAVIGATION, NavItem, csrf_from};
use crate::registry_api::{self, Target, parse_person_id, today};
use crate::session::{self, CSRF_COOKIE};
use crate::{ApiError, AppState};

/// The most persons a search screen lists.
const SEARCH_LIMIT: u32 = 100;
/// Person rows of a 転入 form unless the clerk asks for more.
const DEFAULT_ROWS: usize = 4;
/// The most person rows of a 転入 form.
const MAX_ROWS: usize = 10;

// ---------------------------------------------------------------------------
// Page chrome and access.
// ---------------------------------------------------------------------------

/// The frame of every registry screen: who is logged in where, the
/// navigation and the CSRF token of the page's forms.
pub struct Chrome {
    municipality_name: String,
    municipality_code: String,
    user_name: String,
    role_label: &'static str,
    csrf: String,
    navigation: &'static [NavItem],
}

/// A screen request that passed the permission check.
struct Screen {
    tenant: TenantDb,
    actor: Actor,
    role: Role,
    chrome: Chrome,
    jar: CookieJar,
}

#[derive(Template)]
#[template(path = "registry/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

fn render(template: &impl Template) -> Result<Html<String>, Response> {
    template
        .render()
        .map(Html)
        .map_err(|e| ApiError::internal(e).into_response())
}

/// A page for a refusal or a missing record, with its status.
fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    match render(&ErrorPage { title, message }) {
        Ok(html) => (status, html).into_response(),
        Err(response) => response,
    }
}

fn forbidden_page() -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        "権限がありません",
        "この画面を利用する権限がありません。必要な場合は団体管理者に権限の付与を依頼してください。",
    )
}

fn not_found_page(message: &str) -> Response {
    error_page(StatusCode::NOT_FOUND, "見つかりません", message)
}

/// An [`ApiError`] as a page: refusals and missing records get their own
/// page, everything else the JSON error (a failure, logged).
fn api_error_page(error: ApiError) -> Response {
    match error.status {
        StatusCode::FORBIDDEN => forbidden_page(),
        StatusCode::NOT_FOUND => not_found_page("指定された記録は見つかりません。"),
        _ => error.into_response(),
    }
}

/// Checks the session and the permission, the way the API does (a refusal
/// is written to the access log), and builds the page's chrome.
async fn screen(
    state: &AppState,
    jar: CookieJar,
    headers: &HeaderMap,
    permission: Permission,
    target: Target<'_>,
) -> Result<Screen, Response> {
    let principal = match session::screen_principal(state, &jar).await {
        Ok(Some(principal)) => principal,
        Ok(None) => return Err(Redirect::to("/login").into_response()),
        Err(e) => return Err(e.into_response()),
    };
    let Principal::Staff {
        municipality,
        display_name,
        role,
        ..
    } = &principal
    else {
        // Operators have no staff screens: they never see resident data.
        return Err(forbidden_page());
    };
    let (tenant, actor) = registry_api::authorize(
        state,
        &principal,
        headers,
        municipality.as_str(),
        permission,
        target,
    )
    .await
    .map_err(api_error_page)?;
    let found = kiban_store::platform::find_municipality(&state.db, *municipality)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    let Some(found) = found else {
        return Err(not_found_page("団体が見つかりません。"));
    };
    let (jar, csrf) = csrf_from(jar, state.config.secure_cookies);
    Ok(Screen {
        tenant,
        actor,
        role: *role,
        chrome: Chrome {
            municipality_name: found.name,
            municipality_code: found.code.as_str().to_owned(),
            user_name: display_name.clone(),
            role_label: Role::label_ja(*role),
            csrf,
            navigation: NAVIGATION,
        },
        jar,
    })
}

/// A failure of a registry read or write that is not a rejection.
fn storage_failure(error: RegistryError) -> Response {
    match error {
        RegistryError::Rejected(rejection) => error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "入力内容を確認してください",
            &rejection.message().text(),
        ),
        RegistryError::Store(e) => ApiError::from(e).into_response(),
    }
}

/// What a screen shows instead of an address withheld under 支援措置.
const WITHHELD: &str = "（支援措置により表示しません）";

/// The 宛名番号 among `persons` whose addresses (現住所, 前住所, 転出先) this
/// screen withholds under 支援措置 (`kiban-protection`): every protected
/// person today. The screens offer no override (the API does, for the
/// roles permitted); each attempt on a protected person is logged.
async fn withheld(
    tenant: &TenantDb,
    actor: &Actor,
    persons: impl IntoIterator<Item = u64>,
) -> Result<BTreeSet<u64>, Response> {
    let numbers: Vec<i64> = persons
        .into_iter()
        .filter_map(|id| i64::try_from(id).ok())
        .collect();
    let set = kiban_protection::withheld(
        tenant,
        actor,
        false,
        false,
        &numbers,
        today(),
        Exposure::Address,
    )
    .await
    .map_err(|e| ApiError::from(e).into_response())?;
    Ok(set
        .into_iter()
        .filter_map(|n| u64::try_from(n).ok())
        .collect())
}

// ---------------------------------------------------------------------------
// Display helpers.
// ---------------------------------------------------------------------------

/// A date as clerks read it: `令和7年（2025年）4月1日`.
fn date_ja(date: Date) -> String {
    format_ja_with_western(date)
}

/// A timestamp in Japan time: `令和8年11月23日 10:05`.
fn timestamp_ja(at: Timestamp) -> String {
    let local = jiff::tz::offset(9).to_datetime(at);
    format!(
        "{} {:02}:{:02}",
        format_ja(local.date()),
        local.hour(),
        local.minute()
    )
}

fn status_ja(status: ResidentStatus, removed_on: Option<Date>) -> String {
    match (status, removed_on) {
        (ResidentStatus::Resident, _) => "住民".to_owned(),
        (ResidentStatus::MovedOut, Some(on)) => format!("転出（{}消除）", format_ja(on)),
        (ResidentStatus::Deceased, Some(on)) => format!("死亡（{}消除）", format_ja(on)),
        (ResidentStatus::MovedOut, None) => "転出".to_owned(),
        (ResidentStatus::Deceased, None) => "死亡".to_owned(),
    }
}

fn postal_ja(code: &str) -> String {
    if code.len() == 7 && code.is_ascii() {
        format!("〒{}-{}", &code[..3], &code[3..])
    } else {
        format!("〒{code}")
    }
}

fn address_ja(record: &kiban_registry::domain::Address) -> String {
    let mut text = format!(
        "{} {}",
        postal_ja(record.postal_code.as_str()),
        record.address_line.as_str()
    );
    if let Some(katagaki) = &record.katagaki {
        text.push('　');
        text.push_str(katagaki.as_str());
    }
    text
}

/// One person as a row of a list.
pub struct PersonRow {
    person_id: u64,
    name: String,
    name_kana: String,
    birth_date: String,
    sex: &'static str,
    relationship: &'static str,
    address: String,
    status: String,
    resident: bool,
    head: bool,
}

impl PersonRow {
    fn of(record: &PersonListing) -> Self {
        Self {
            person_id: record.person_id.get(),
            name: record.name.as_str().to_owned(),
            name_kana: record.name_kana.as_str().to_owned(),
            birth_date: format_ja(record.birth_date),
            sex: record.sex.label_ja(),
            relationship: record.relationship.label_ja(record.sex),
            address: address_ja(&record.address),
            status: status_ja(record.status, record.removed_on),
            resident: record.status == ResidentStatus::Resident,
            head: false,
        }
    }

    /// The same row with its address withheld when its person is in
    /// `withheld`.
    fn guarded(self, withheld: &BTreeSet<u64>) -> Self {
        if withheld.contains(&self.person_id) {
            Self {
                address: WITHHELD.to_owned(),
                ..self
            }
        } else {
            self
        }
    }

    /// The members of a household, its head marked.
    fn members(household: &HouseholdRecord) -> Vec<Self> {
        household
            .members
            .iter()
            .map(|m| Self {
                head: Some(m.person_id) == household.head_person_id,
                ..Self::of(&PersonListing::from(m.clone()))
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Search (住民検索).
// ---------------------------------------------------------------------------

/// The query of the search screen; every field as typed.
#[derive(Deserialize, Default)]
pub struct SearchForm {
    name_kana: Option<String>,
    name: Option<String>,
    birth_date: Option<String>,
    address: Option<String>,
    person_id: Option<String>,
    include_removed: Option<String>,
}

#[derive(Template)]
#[template(path = "registry/search.html")]
struct SearchPage {
    chrome: Chrome,
    name_kana: String,
    name: String,
    birth_date: String,
    address: String,
    person_id: String,
    include_removed: bool,
    searched: bool,
    errors: BTreeMap<&'static str, String>,
    general_error: Option<String>,
    results: Vec<PersonRow>,
    truncated: bool,
}

impl SearchPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

fn trimmed(value: &Option<String>) -> String {
    value.as_deref().unwrap_or("").trim().to_owned()
}

/// `GET /registry`: the search form and, once searched, the results.
pub async fn search(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(form): Query<SearchForm>,
) -> Response {
    let target = Target {
        operation: "search",
        person: None,
    };
    let screen = match screen(&state, jar, &headers, Permission::RegistryRead, target).await {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    let mut page = SearchPage {
        name_kana: trimmed(&form.name_kana),
        name: trimmed(&form.name),
        birth_date: trimmed(&form.birth_date),
        address: trimmed(&form.address),
        person_id: trimmed(&form.person_id),
        include_removed: form.include_removed.is_some(),
        searched: form.name_kana.is_some()
            || form.name.is_some()
            || form.birth_date.is_some()
            || form.address.is_some()
            || form.person_id.is_some(),
        errors: BTreeMap::new(),
        general_error: None,
        results: Vec::new(),
        truncated: false,
        chrome: screen.chrome,
    };
    let mut status = StatusCode::OK;
    if page.searched {
        let birth_date = if page.birth_date.is_empty() {
            None
        } else {
            match parse_date_input(&page.birth_date) {
                Ok(date) => Some(date),
                Err(e) => {
                    page.errors
                        .insert("birth_date", format!("生年月日: {}", e.message().text()));
                    None
                }
            }
        };
        let person_id = if page.person_id.is_empty() {
            None
        } else {
            let ascii: String = page
                .person_id
                .chars()
                .map(|c| match c {
                    '０'..='９' => {
                        char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c)
                    }
                    other => other,
                })
                .collect();
            match parse_person_id(&ascii) {
                Some(id) => Some(id),
                None => {
                    page.errors
                        .insert("person_id", "宛名番号: 数字で入力してください".to_owned());
                    None
                }
            }
        };
        let nothing = page.name_kana.is_empty()
            && page.name.is_empty()
            && page.birth_date.is_empty()
            && page.address.is_empty()
            && page.person_id.is_empty();
        if nothing {
            page.general_error = Some("検索条件を1つ以上入力してください。".to_owned());
            status = StatusCode::UNPROCESSABLE_ENTITY;
        } else if !page.errors.is_empty() {
            status = StatusCode::UNPROCESSABLE_ENTITY;
        } else {
            let query = SearchQuery {
                name_kana: Some(page.name_kana.clone()).filter(|s| !s.is_empty()),
                name: Some(page.name.clone()).filter(|s| !s.is_empty()),
                birth_date,
                address: Some(page.address.clone()).filter(|s| !s.is_empty()),
                person_id,
                as_of: today(),
                include_removed: page.include_removed,
                limit: SEARCH_LIMIT,
            };
            match storage::search(&screen.tenant, &screen.actor, &query).await {
                Ok(results) => {
                    let hidden = match withheld(
                        &screen.tenant,
                        &screen.actor,
                        results.iter().map(|r| r.person_id.get()),
                    )
                    .await
                    {
                        Ok(hidden) => hidden,
                        Err(response) => return response,
                    };
                    page.truncated = results.len() >= SEARCH_LIMIT as usize;
                    page.results = results
                        .iter()
                        .map(|r| PersonRow::of(r).guarded(&hidden))
                        .collect();
                }
                Err(RegistryError::Rejected(rejection)) => {
                    page.errors
                        .insert("name", format!("氏名: {}", rejection.message().text()));
                    status = StatusCode::UNPROCESSABLE_ENTITY;
                }
                Err(e) => return storage_failure(e),
            }
        }
    }
    match render(&page) {
        Ok(html) => (status, screen.jar, html).into_response(),
        Err(response) => response,
    }
}

#[derive(Template)]
#[template(path = "registry/follow_up.html")]
struct FollowUpPage {
    chrome: Chrome,
    results: Vec<PersonRow>,
    truncated: bool,
}

/// `GET /registry/follow-up/missing-residence-status`: 移行後要確認（在留資格
/// 未設定）, the residents migrated without 在留資格・在留期間, each linking to
/// the person page where a 職権修正 completes the record.
pub async fn missing_residence_status(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Response {
    let target = Target {
        operation: "follow_up_missing_residence_status",
        person: None,
    };
    let screen = match screen(&state, jar, &headers, Permission::RegistryRead, target).await {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    let results = match storage::missing_residence_status(
        &screen.tenant,
        &screen.actor,
        today(),
        SEARCH_LIMIT,
    )
    .await
    {
        Ok(results) => results,
        Err(e) => return storage_failure(e),
    };
    let hidden = match withheld(
        &screen.tenant,
        &screen.actor,
        results.iter().map(|r| r.person_id.get()),
    )
    .await
    {
        Ok(hidden) => hidden,
        Err(response) => return response,
    };
    let page = FollowUpPage {
        truncated: results.len() >= SEARCH_LIMIT as usize,
        results: results
            .iter()
            .map(|r| PersonRow::of(r).guarded(&hidden))
            .collect(),
        chrome: screen.chrome,
    };
    match render(&page) {
        Ok(html) => (screen.jar, html).into_response(),
        Err(response) => response,
    }
}

// ---------------------------------------------------------------------------
// Person and household views.
// ---------------------------------------------------------------------------

/// One entry of the history timeline.
pub struct HistoryRow {
    movement_id: u64,
    kind: &'static str,
    cancelled: bool,
    cancellable: bool,
    event_date: String,
    notified_on: String,
    recorded_at: String,
    recorded_by: String,
    summary: String,
}

impl HistoryRow {
    fn of(entry: &HistoryEntry, hide_address: bool) -> Self {
        let version = &entry.version;
        let summary = match &version.record {
            Some(record) => format!(
                "{}（{}）世帯番号 {}・{}・{}",
                record.name.as_str(),
                record.name_kana.as_str(),
                record.household_id,
                record.relationship.label_ja(record.sex),
                if hide_address {
                    WITHHELD.to_owned()
                } else {
                    address_ja(&record.address)
                }
            ),
            None => "（記録なし）".to_owned(),
        };
        Self {
            movement_id: version.movement_id.get(),
            kind: version.kind.label_ja(),
            cancelled: version.cancelled,
            cancellable: !version.cancelled && version.kind != MovementKind::Cancellation,
            event_date: date_ja(version.event_date),
            notified_on: date_ja(version.notified_on),
            recorded_at: timestamp_ja(entry.recorded_at),
            recorded_by: entry.recorded_by.clone(),
            summary,
        }
    }
}

/// The fields of a person's record, labelled.
pub struct RecordView {
    person_id: u64,
    household_id: u64,
    name: String,
    name_kana: String,
    birth_date: String,
    sex: &'static str,
    relationship: &'static str,
    nationality: String,
    status_of_residence: Option<String>,
    period_of_stay_until: Option<String>,
    address: String,
    previous_address: Option<String>,
    destination_address: Option<String>,
    status: String,
    resident: bool,
    resident_from: String,
    resident_record_code: String,
    individual_number: Option<String>,
}

impl RecordView {
    fn of(record: &PersonRecord, hide_address: bool) -> Self {
        let hidden = |text: String| {
            if hide_address {
                WITHHELD.to_owned()
            } else {
                text
            }
        };
        Self {
            person_id: record.person_id.get(),
            household_id: record.household_id.get(),
            name: record.name.as_str().to_owned(),
            name_kana: record.name_kana.as_str().to_owned(),
            birth_date: date_ja(record.birth_date),
            sex: record.sex.label_ja(),
            relationship: record.relationship.label_ja(record.sex),
            nationality: record.nationality.as_str().to_owned(),
            status_of_residence: record
                .status_of_residence
                .as_ref()
                .map(|s| s.as_str().to_owned()),
            period_of_stay_until: record.period_of_stay_until.map(date_ja),
            address: hidden(address_ja(&record.address)),
            previous_address: record
                .previous_address
                .as_ref()
                .map(|a| hidden(a.as_str().to_owned())),
            destination_address: record
                .destination_address
                .as_ref()
                .map(|a| hidden(a.as_str().to_owned())),
            status: status_ja(record.status, record.removed_on),
            resident: record.status == ResidentStatus::Resident,
            resident_from: date_ja(record.resident_from),
            resident_record_code: record.resident_record_code.as_str().to_owned(),
            individual_number: record.individual_number_masked(),
        }
    }
}

#[derive(Template)]
#[template(path = "registry/person.html")]
struct PersonPage {
    chrome: Chrome,
    today: String,
    recorded: Option<u64>,
    record: RecordView,
    members: Vec<PersonRow>,
    history: Vec<HistoryRow>,
    /// The links to other screens about the person, each shown only to
    /// the roles that may use it: 証明書交付, and 支援措置.
    may_issue_certificates: bool,
    may_manage_measures: bool,
}

/// The query of a view: the movement just recorded, to confirm it.
#[derive(Deserialize)]
pub struct ViewQuery {
    recorded: Option<u64>,
}

/// `GET /registry/persons/{person_id}`: the current record, the household
/// and the history of one person (three reads, each in the access log).
pub async fn person(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(person_id): Path<String>,
    Query(query): Query<ViewQuery>,
) -> Response {
    let target = Target {
        operation: "person_as_of",
        person: Some(&person_id),
    };
    let screen = match screen(&state, jar, &headers, Permission::RegistryRead, target).await {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    let missing = || not_found_page("指定された宛名番号の人は登録されていません。");
    let Some(id) = parse_person_id(&person_id) else {
        return missing();
    };
    let today = today();
    let record = match storage::person_as_of(&screen.tenant, &screen.actor, id, today).await {
        Ok(Some(record)) => record,
        Ok(None) => return missing(),
        Err(e) => return storage_failure(e),
    };
    let household =
        match storage::household_as_of(&screen.tenant, &screen.actor, record.household_id, today)
            .await
        {
            Ok(household) => household,
            Err(e) => return storage_failure(e),
        };
    let history = match storage::person_history(&screen.tenant, &screen.actor, id).await {
        Ok(history) => history.unwrap_or_default(),
        Err(e) => return storage_failure(e),
    };
    let hide = match withheld(&screen.tenant, &screen.actor, [id.get()]).await {
        Ok(hidden) => !hidden.is_empty(),
        Err(response) => return response,
    };
    let page = PersonPage {
        chrome: screen.chrome,
        today: date_ja(today),
        recorded: query.recorded,
        record: RecordView::of(&record, hide),
        members: household
            .as_ref()
            .map(PersonRow::members)
            .unwrap_or_default(),
        history: history
            .iter()
            .rev()
            .map(|entry| HistoryRow::of(entry, hide))
            .collect(),
        may_issue_certificates: screen.role.allows(crate::certificate_api::ISSUE_PERMISSION),
        may_manage_measures: crate::protection_pages::may_manage_on_screen(screen.role),
    };
    match render(&page) {
        Ok(html) => (screen.jar, html).into_response(),
        Err(response) => response,
    }
}

#[derive(Template)]
#[template(path = "registry/household.html")]
struct HouseholdPage {
    chrome: Chrome,
    today: String,
    recorded: Option<u64>,
    household_id: u64,
    address: String,
    members: Vec<PersonRow>,
}

/// `GET /registry/households/{household_id}`: a household today, with its
/// members (one access-log entry per member).
pub async fn household(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(household_id): Path<String>,
    Query(query): Query<ViewQuery>,
) -> Response {
    let target = Target {
        operation: "household_as_of",
        person: None,
    };
    let screen = match screen(&state, jar, &headers, Permission::RegistryRead, target).await {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    let missing = || not_found_page("指定された世帯番号の世帯は登録されていません。");
    let Some(id) = parse_person_id(&household_id).map(|p| HouseholdId::new(p.get())) else {
        return missing();
    };
    let today = today();
    let record = match storage::household_as_of(&screen.tenant, &screen.actor, id, today).await {
        Ok(Some(record)) => record,
        Ok(None) => return missing(),
        Err(e) => return storage_failure(e),
    };
    let hidden = match withheld(
        &screen.tenant,
        &screen.actor,
        record.members.iter().map(|m| m.person_id.get()),
    )
    .await
    {
        Ok(hidden) => hidden,
        Err(response) => return response,
    };
    // The household's address is every member's: withheld when any
    // member's is.
    let page = HouseholdPage {
        chrome: screen.chrome,
        today: date_ja(today),
        recorded: query.recorded,
        household_id: record.household_id.get(),
        address: if hidden.is_empty() {
            address_ja(&record.address)
        } else {
            WITHHELD.to_owned()
        },
        members: PersonRow::members(&record),
    };
    match render(&page) {
        Ok(html) => (screen.jar, html).into_response(),
        Err(response) => response,
    }
}

// ---------------------------------------------------------------------------
// Movement forms (異動入力).
// ---------------------------------------------------------------------------

/// The values of a form as posted: a name can repeat (check boxes).
type Values = BTreeMap<String, Vec<String>>;

fn value<'a>(values: &'a Values, name: &str) -> &'a str {
    values
        .get(name)
        .and_then(|v| v.first())
        .map_or("", |v| v.trim())
}

/// How a field goes into the movement's JSON (the API's request body).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Json {
    /// A string.
    Text,
    /// A date typed in 和暦 or 西暦, sent as `YYYY-MM-DD`.
    Date,
    /// A number (sent as its digits).
    Number,
    /// Every checked value, as a list of numbers.
    NumberList,
    /// Not sent: it only says which household or person the form is about.
    Context,
}

/// How a field is typed.
enum Input {
    Text,
    Date,
    Select(Vec<(String, String)>),
    Checkboxes(Vec<(String, String)>),
    /// Shown, not editable (carried as a hidden field).
    Fixed(String),
}

/// A field of a movement form; its name is the JSON path of the API.
struct Field {
    name: String,
    label: String,
    input: Input,
    json: Json,
    required: bool,
    hint: Option<&'static str>,
}

const DATE_HINT: &str = "和暦（令和7年4月1日、R7.4.1）または西暦（2025-04-01）";

impl Field {
    fn new(name: impl Into<String>, label: impl Into<String>, input: Input, json: Json) -> Self {
        Self {
            name: name.into(),
            label: label.into(),
            input,
            json,
            required: false,
            hint: None,
        }
    }

    fn text(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self::new(name, label, Input::Text, Json::Text)
    }

    fn date(name: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            hint: Some(DATE_HINT),
            ..Self::new(name, label, Input::Date, Json::Date)
        }
    }

    fn required(self) -> Self {
        Self {
            required: true,
            ..self
        }
    }

    fn hint(self, hint: &'static str) -> Self {
        Self {
            hint: Some(hint),
            ..self
        }
    }
}

/// A group of fields (a `<fieldset>`); `row` numbers the person rows of a
/// 転入, whose blank rows are left out.
struct Section {
    title: String,
    row: Option<usize>,
    fields: Vec<Field>,
}

/// What a form is about, loaded from the registry (each read logged).
#[derive(Default)]
struct FormContext {
    household: Option<HouseholdRecord>,
    person: Option<PersonRecord>,
    history: Vec<HistoryEntry>,
    /// Whether the address of the household or person is withheld under
    /// 支援措置.
    address_withheld: bool,
}

/// Which record a movement form starts from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    Nothing,
    Household,
    Person,
}

fn needs(kind: MovementKind) -> Needs {
    match kind {
        MovementKind::MoveIn => Needs::Nothing,
        MovementKind::Birth
        | MovementKind::AddressChange
        | MovementKind::MoveOut
        | MovementKind::Death
        | MovementKind::HouseholdSplit => Needs::Household,
        MovementKind::ExOfficioCorrection | MovementKind::Cancellation => Needs::Person,
    }
}

fn title(kind: MovementKind) -> &'static str {
    match kind {
        MovementKind::MoveIn => "転入届",
        MovementKind::Birth => "出生届",
        MovementKind::AddressChange => "転居届",
        MovementKind::MoveOut => "転出届",
        MovementKind::Death => "死亡届",
        MovementKind::HouseholdSplit => "世帯分離届",
        MovementKind::ExOfficioCorrection => "職権修正",
        MovementKind::Cancellation => "異動の取消し",
    }
}

fn relationship_label(relationship: Relationship) -> &'static str {
    match relationship {
        Relationship::Head => "世帯主",
        Relationship::Spouse => "妻・夫",
        Relationship::Child => "子",
        Relationship::Parent => "父・母",
        Relationship::OtherRelative => "その他の親族",
        Relationship::Cohabitant => "同居人",
    }
}

fn sex_options(blank: &str) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), blank.to_owned())];
    for sex in [Sex::Male, Sex::Female] {
        options.push((sex.code().to_owned(), sex.label_ja().to_owned()));
    }
    options
}

fn relationship_options() -> Vec<(String, String)> {
    let mut options = vec![(String::new(), "選択してください".to_owned())];
    for relationship in Relationship::ALL {
        options.push((
            relationship.code().to_owned(),
            relationship_label(relationship).to_owned(),
        ));
    }
    options
}

fn member_label(record: &PersonRecord) -> String {
    format!(
        "{}（{}・宛名番号 {}）",
        record.name.as_str(),
        record.relationship.label_ja(record.sex),
        record.person_id
    )
}

fn member_options(context: &FormContext, blank: Option<&str>) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = blank
        .map(|b| (String::new(), b.to_owned()))
        .into_iter()
        .collect();
    if let Some(household) = &context.household {
        for member in &household.members {
            options.push((member.person_id.to_string(), member_label(member)));
        }
    }
    options
}

fn household_fixed(context: &FormContext, json: Json) -> Field {
    let display = context
        .household
        .as_ref()
        .map(|h| h.household_id.to_string())
        .unwrap_or_default();
    Field::new("household_id", "世帯番号", Input::Fixed(display), json)
}

fn person_fixed(context: &FormContext, json: Json) -> Field {
    let display = context
        .person
        .as_ref()
        .map(|p| format!("{}（{}）", p.person_id, p.name.as_str()))
        .unwrap_or_default();
    Field::new("person_id", "宛名番号", Input::Fixed(display), json)
}

fn dates(event_label: &str) -> Vec<Field> {
    vec![
        Field::date("event_date", event_label).required(),
        Field::date("notified_on", "届出日").required(),
    ]
}

fn address_fields(title: &str, required: bool) -> Section {
    let mut postal = Field::text("address.postal_code", "郵便番号").hint("7桁（例: 1000001）");
    let mut line = Field::text("address.address_line", "住所").hint("例: デモ市中央一丁目2番3号");
    postal.required = required;
    line.required = required;
    Section {
        title: title.to_owned(),
        row: None,
        fields: vec![
            postal,
            line,
            Field::text("address.katagaki", "方書").hint("建物名・部屋番号（なければ空欄）"),
        ],
    }
}

fn person_fields(path: &str) -> Vec<Field> {
    let at = |field: &str| format!("{path}.{field}");
    vec![
        Field::text(at("name"), "氏名").required(),
        Field::text(at("name_kana"), "フリガナ")
            .required()
            .hint("カタカナ（ひらがな・半角も可）"),
        Field::date(at("birth_date"), "生年月日").required(),
        Field::new(
            at("sex"),
            "性別",
            Input::Select(sex_options("選択してください")),
            Json::Text,
        )
        .required(),
        Field::new(
            at("relationship"),
            "続柄",
            Input::Select(relationship_options()),
            Json::Text,
        )
        .required(),
        Field::text(at("nationality"), "国籍").hint("日本は JP。外国人住民は国・地域の2文字コード"),
        Field::text(at("status_of_residence"), "在留資格").hint("外国人住民のみ"),
        Field::date(at("period_of_stay_until"), "在留期間の満了の日")
            .hint("外国人住民のみ（永住者・特別永住者は空欄）"),
        Field::text(at("individual_number"), "個人番号").hint("12桁（不明なら空欄）"),
    ]
}

/// The sections of a movement's form.
fn form_sections(kind: MovementKind, context: &FormContext, rows: usize) -> Vec<Section> {
    let section = |title: &str, fields: Vec<Field>| Section {
        title: title.to_owned(),
        row: None,
        fields,
    };
    match kind {
        MovementKind::MoveIn => {
            let mut fields = dates("転入日");
            fields.push(Field::text("previous_address", "転入前住所").required());
            fields.push(
                Field::new("household_id", "世帯番号", Input::Text, Json::Number)
                    .hint("既存の世帯に加わる場合のみ（新しい世帯なら空欄）"),
            );
            let mut sections = vec![
                section("転入の内容", fields),
                address_fields("転入先の住所", true),
            ];
            for row in 0..rows {
                sections.push(Section {
                    title: format!("{}人目", row + 1),
                    row: Some(row),
                    fields: person_fields(&format!("persons[{row}]")),
                });
            }
            sections
        }
        MovementKind::Birth => {
            let mut fields = vec![household_fixed(context, Json::Number)];
            fields.extend(dates("出生日"));
            let child: Vec<Field> = person_fields("person")
                .into_iter()
                .filter(|f| f.name != "person.birth_date")
                .collect();
            vec![section("出生の内容", fields), section("生まれた子", child)]
        }
        MovementKind::AddressChange => {
            let mut fields = vec![household_fixed(context, Json::Number)];
            fields.extend(dates("転居日"));
            vec![
                section("転居の内容", fields),
                address_fields("新しい住所", true),
            ]
        }
        MovementKind::MoveOut => {
            let mut fields = vec![
                household_fixed(context, Json::Context),
                Field::new(
                    "person_ids",
                    "転出する人",
                    Input::Checkboxes(member_options(context, None)),
                    Json::NumberList,
                )
                .required(),
            ];
            fields.extend(dates("転出日（予定日）"));
            fields.push(Field::text("destination_address", "転出先住所").required());
            fields.push(
                Field::new(
                    "new_head_person_id",
                    "新しい世帯主",
                    Input::Select(member_options(context, Some("（変更なし）"))),
                    Json::Number,
                )
                .hint("世帯主が転出し、残る人がいる場合のみ"),
            );
            vec![section("転出の内容", fields)]
        }
        MovementKind::Death => {
            let mut fields = vec![
                household_fixed(context, Json::Context),
                Field::new(
                    "person_id",
                    "死亡した人",
                    Input::Select(member_options(context, Some("選択してください"))),
                    Json::Number,
                )
                .required(),
            ];
            fields.extend(dates("死亡日"));
            fields.push(
                Field::new(
                    "new_head_person_id",
                    "新しい世帯主",
                    Input::Select(member_options(context, Some("（変更なし）"))),
                    Json::Number,
                )
                .hint("世帯主が死亡し、残る人がいる場合のみ"),
            );
            vec![section("死亡の内容", fields)]
        }
        MovementKind::HouseholdSplit => {
            let mut fields = vec![
                household_fixed(context, Json::Context),
                Field::new(
                    "person_ids",
                    "新しい世帯に移る人",
                    Input::Checkboxes(member_options(context, None)),
                    Json::NumberList,
                )
                .required(),
                Field::new(
                    "new_head_person_id",
                    "新しい世帯の世帯主",
                    Input::Select(member_options(context, Some("選択してください"))),
                    Json::Number,
                )
                .required(),
            ];
            fields.extend(dates("異動日"));
            vec![
                section("世帯分離の内容", fields),
                address_fields("新しい世帯の住所（同じ住所なら空欄）", false),
            ]
        }
        MovementKind::ExOfficioCorrection => {
            let mut fields = vec![person_fixed(context, Json::Number)];
            fields.extend(dates("異動日"));
            fields.push(Field::text("reason", "修正の理由").required());
            vec![
                section("職権修正の内容", fields),
                section(
                    "訂正後の値（訂正しない項目は空欄）",
                    vec![
                        Field::text("changes.name", "氏名"),
                        Field::text("changes.name_kana", "フリガナ"),
                        Field::date("changes.birth_date", "生年月日"),
                        Field::new(
                            "changes.sex",
                            "性別",
                            Input::Select(sex_options("（訂正しない）")),
                            Json::Text,
                        ),
                        Field::text("changes.status_of_residence", "在留資格（外国人住民）"),
                        Field::date(
                            "changes.period_of_stay_until",
                            "在留期間の満了日（外国人住民）",
                        ),
                    ],
                ),
            ]
        }
        MovementKind::Cancellation => {
            let mut options = vec![(String::new(), "選択してください".to_owned())];
            for entry in &context.history {
                let version = &entry.version;
                if version.cancelled || version.kind == MovementKind::Cancellation {
                    continue;
                }
                options.push((
                    version.movement_id.to_string(),
                    format!(
                        "異動番号 {}　{}　異動日 {}",
                        version.movement_id,
                        version.kind.label_ja(),
                        format_ja(version.event_date)
                    ),
                ));
            }
            let mut fields = vec![
                person_fixed(context, Json::Context),
                Field::new(
                    "movement_id",
                    "取り消す異動",
                    Input::Select(options),
                    Json::Number,
                )
                .required(),
            ];
            fields.extend(dates("異動日"));
            fields.push(Field::text("reason", "取消しの理由").required());
            vec![section("取消しの内容", fields)]
        }
    }
}

/// Whether a person row of a 転入 was left blank.
fn row_blank(values: &Values, row: usize) -> bool {
    ["name", "name_kana", "birth_date", "individual_number"]
        .iter()
        .all(|field| value(values, &format!("persons[{row}].{field}")).is_empty())
}

/// One step of a JSON path: a member or an index.
enum Segment {
    Key(String),
    Index(usize),
}

fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut pieces = part.split('[');
        if let Some(name) = pieces.next() {
            out.push(Segment::Key(name.to_owned()));
        }
        for index in pieces {
            if let Ok(i) = index.trim_end_matches(']').parse::<usize>() {
                out.push(Segment::Index(i));
            }
        }
    }
    out
}

fn set_path(target: &mut Value, path: &[Segment], new: Value) {
    match path.split_first() {
        None => *target = new,
        Some((Segment::Key(key), rest)) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(map) = target {
                set_path(map.entry(key.clone()).or_insert(Value::Null), rest, new);
            }
        }
        Some((Segment::Index(index), rest)) => {
            if !target.is_array() {
                *target = Value::Array(Vec::new());
            }
            if let Value::Array(items) = target {
                while items.len() <= *index {
                    items.push(Value::Null);
                }
                if let Some(item) = items.get_mut(*index) {
                    set_path(item, rest, new);
                }
            }
        }
    }
}

/// The request body of the API built from a form, the person rows actually
/// sent (JSON index → form row), and the fields that could not be read.
struct Built {
    body: Value,
    rows: Vec<usize>,
    errors: BTreeMap<String, String>,
}

fn build_body(kind: MovementKind, sections: &[Section], values: &Values) -> Built {
    let mut body = Value::Object(Map::new());
    let mut rows = Vec::new();
    let mut errors = BTreeMap::new();
    set_path(
        &mut body,
        &segments("kind"),
        Value::String(kind.code().to_owned()),
    );
    for section in sections {
        let prefix = match section.row {
            Some(row) if row_blank(values, row) => continue,
            Some(row) => {
                let index = rows.len();
                rows.push(row);
                Some((format!("persons[{row}]."), format!("persons[{index}].")))
            }
            None => None,
        };
        for field in &section.fields {
            if field.json == Json::Context {
                continue;
            }
            let path = match &prefix {
                Some((form, json)) => field.name.replacen(form.as_str(), json.as_str(), 1),
                None => field.name.clone(),
            };
            if field.json == Json::NumberList {
                let items: Vec<Value> = values
                    .get(&field.name)
                    .into_iter()
                    .flatten()
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
                    .map(|v| Value::String(v.to_owned()))
                    .collect();
                if items.is_empty() {
                    if field.required {
                        errors.insert(field.name.clone(), "1人以上選択してください".to_owned());
                    }
                } else {
                    set_path(&mut body, &segments(&path), Value::Array(items));
                }
                continue;
            }
            let raw = value(values, &field.name);
            if raw.is_empty() {
                if field.required {
                    errors.insert(field.name.clone(), "入力してください".to_owned());
                }
                continue;
            }
            let json = match field.json {
                Json::Date => match parse_date_input(raw) {
                    Ok(date) => Value::String(date.to_string()),
                    Err(e) => {
                        errors.insert(field.name.clone(), e.message().text());
                        continue;
                    }
                },
                _ => Value::String(raw.to_owned()),
            };
            set_path(&mut body, &segments(&path), json);
        }
    }
    if kind == MovementKind::MoveIn && rows.is_empty() {
        errors.insert(
            "persons[0].name".to_owned(),
            "転入する人を1人以上入力してください".to_owned(),
        );
    }
    if kind == MovementKind::Birth
        && let Some(date) = body.get("event_date").cloned()
    {
        set_path(&mut body, &segments("person.birth_date"), date);
    }
    Built { body, rows, errors }
}

/// The form field an error of the API names: its path with the person rows
/// of a 転入 mapped back to the form's rows, then the field itself, the list
/// it is an item of, or the first field inside it.
fn form_field(
    kind: MovementKind,
    sections: &[Section],
    rows: &[usize],
    path: &str,
) -> Option<String> {
    let mut path = path.to_owned();
    if kind == MovementKind::Birth && path == "person.birth_date" {
        path = "event_date".to_owned();
    }
    if let Some(rest) = path.strip_prefix("persons[")
        && let Some((index, tail)) = rest.split_once(']')
        && let Ok(index) = index.parse::<usize>()
        && let Some(row) = rows.get(index)
    {
        path = format!("persons[{row}]{tail}");
    }
    let names = || {
        sections
            .iter()
            .flat_map(|s| s.fields.iter())
            .map(|f| &f.name)
    };
    if names().any(|n| *n == path) {
        return Some(path);
    }
    if let Some((list, _)) = path.split_once('[')
        && names().any(|n| n == list)
    {
        return Some(list.to_owned());
    }
    names()
        .find(|n| n.starts_with(&format!("{path}.")) || n.starts_with(&format!("{path}[")))
        .cloned()
}

fn field_label(sections: &[Section], name: &str) -> String {
    for section in sections {
        for field in &section.fields {
            if field.name == name {
                return match section.row {
                    Some(_) => format!("{}の{}", section.title, field.label),
                    None => field.label.clone(),
                };
            }
        }
    }
    name.to_owned()
}

/// An error placed on a form: next to its field, or above the form.
#[derive(Default)]
struct Placed {
    fields: BTreeMap<String, String>,
    general: Vec<String>,
}

impl Placed {
    fn add(
        &mut self,
        kind: MovementKind,
        sections: &[Section],
        rows: &[usize],
        path: Option<&str>,
        message: String,
    ) {
        match path.and_then(|p| form_field(kind, sections, rows, p)) {
            Some(field) => {
                self.fields.entry(field).or_insert(message);
            }
            None => self.general.push(message),
        }
    }
}

// -- Views of a form --------------------------------------------------------

/// An option of a select or a check box.
pub struct OptionView {
    value: String,
    label: String,
    selected: bool,
}

/// A field as the template draws it.
pub struct FieldView {
    id: String,
    name: String,
    label: String,
    kind: &'static str,
    value: String,
    display: String,
    options: Vec<OptionView>,
    required: bool,
    hint: Option<&'static str>,
    error: Option<String>,
    autofocus: bool,
}

/// A section as the template draws it.
pub struct SectionView {
    title: String,
    fields: Vec<FieldView>,
}

/// A field's message in the summary above the form.
pub struct SummaryItem {
    id: String,
    text: String,
}

fn field_id(name: &str) -> String {
    let mut id = String::from("f-");
    for c in name.chars() {
        id.push(if c.is_ascii_alphanumeric() { c } else { '_' });
    }
    id
}

fn section_views(sections: &[Section], values: &Values, placed: &Placed) -> Vec<SectionView> {
    let first_error = sections
        .iter()
        .flat_map(|s| s.fields.iter())
        .find(|f| placed.fields.contains_key(&f.name))
        .map(|f| f.name.clone());
    let first_input = sections
        .iter()
        .flat_map(|s| s.fields.iter())
        .find(|f| !matches!(f.input, Input::Fixed(_)))
        .map(|f| f.name.clone());
    let focus = first_error.or(first_input);
    sections
        .iter()
        .map(|section| SectionView {
            title: section.title.clone(),
            fields: section
                .fields
                .iter()
                .map(|field| {
                    let current = value(values, &field.name).to_owned();
                    let checked: Vec<&str> = values
                        .get(&field.name)
                        .into_iter()
                        .flatten()
                        .map(|v| v.trim())
                        .collect();
                    let (kind, options, display) = match &field.input {
                        Input::Text => ("text", Vec::new(), String::new()),
                        Input::Date => ("date", Vec::new(), String::new()),
                        Input::Fixed(display) => ("fixed", Vec::new(), display.clone()),
                        Input::Select(options) => (
                            "select",
                            options
                                .iter()
                                .map(|(v, l)| OptionView {
                                    value: v.clone(),
                                    label: l.clone(),
                                    selected: *v == current,
                                })
                                .collect(),
                            String::new(),
                        ),
                        Input::Checkboxes(options) => (
                            "checkboxes",
                            options
                                .iter()
                                .map(|(v, l)| OptionView {
                                    value: v.clone(),
                                    label: l.clone(),
                                    selected: checked.contains(&v.as_str()),
                                })
                                .collect(),
                            String::new(),
                        ),
                    };
                    let error = placed
                        .fields
                        .get(&field.name)
                        .map(|m| format!("{}: {m}", field.label));
                    FieldView {
                        id: field_id(&field.name),
                        name: field.name.clone(),
                        label: field.label.clone(),
                        kind,
                        value: current,
                        display,
                        options,
                        required: field.required,
                        hint: field.hint,
                        error,
                        autofocus: focus.as_deref() == Some(field.name.as_str()),
                    }
                })
                .collect(),
        })
        .collect()
}

fn shown_address(context: &FormContext, address: &kiban_registry::domain::Address) -> String {
    if context.address_withheld {
        WITHHELD.to_owned()
    } else {
        address_ja(address)
    }
}

fn context_lines(context: &FormContext) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(household) = &context.household {
        let head = household
            .members
            .iter()
            .find(|m| Some(m.person_id) == household.head_person_id)
            .map_or("（なし）".to_owned(), |m| m.name.as_str().to_owned());
        lines.push(format!(
            "世帯番号 {}　世帯主 {}　住所 {}",
            household.household_id,
            head,
            shown_address(context, &household.address)
        ));
    }
    if let Some(person) = &context.person {
        lines.push(format!(
            "宛名番号 {}　{}（{}）　生年月日 {}　{}　{}",
            person.person_id,
            person.name.as_str(),
            person.name_kana.as_str(),
            date_ja(person.birth_date),
            shown_address(context, &person.address),
            status_ja(person.status, person.removed_on)
        ));
    }
    lines
}

#[derive(Template)]
#[template(path = "registry/movement_form.html")]
struct MovementFormPage {
    chrome: Chrome,
    kind: &'static str,
    title: &'static str,
    context: Vec<String>,
    sections: Vec<SectionView>,
    summary: Vec<SummaryItem>,
    general: Vec<String>,
    rows: usize,
    more_rows: bool,
}

/// One line of the confirmation page.
pub struct ConfirmLine {
    label: String,
    value: String,
}

/// A section of the confirmation page.
pub struct ConfirmSection {
    title: String,
    lines: Vec<ConfirmLine>,
}

#[derive(Template)]
#[template(path = "registry/movement_confirm.html")]
struct MovementConfirmPage {
    chrome: Chrome,
    kind: &'static str,
    title: &'static str,
    context: Vec<String>,
    sections: Vec<ConfirmSection>,
    hidden: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "registry/movement_pick.html")]
struct MovementPickPage {
    chrome: Chrome,
    kind: &'static str,
    title: &'static str,
    field: &'static str,
    label: &'static str,
    value: String,
    error: Option<String>,
}

fn confirm_sections(sections: &[Section], values: &Values) -> Vec<ConfirmSection> {
    sections
        .iter()
        .filter(|s| s.row.is_none_or(|row| !row_blank(values, row)))
        .map(|section| ConfirmSection {
            title: section.title.clone(),
            lines: section
                .fields
                .iter()
                .map(|field| {
                    let raw = value(values, &field.name);
                    let shown = match &field.input {
                        Input::Fixed(display) => display.clone(),
                        Input::Date => parse_date_input(raw).map(date_ja).unwrap_or_default(),
                        Input::Text => raw.to_owned(),
                        Input::Select(options) => options
                            .iter()
                            .find(|(v, _)| v == raw && !v.is_empty())
                            .map(|(_, l)| l.clone())
                            .unwrap_or_default(),
                        Input::Checkboxes(options) => {
                            let checked: Vec<&str> = values
                                .get(&field.name)
                                .into_iter()
                                .flatten()
                                .map(|v| v.trim())
                                .collect();
                            options
                                .iter()
                                .filter(|(v, _)| checked.contains(&v.as_str()))
                                .map(|(_, l)| l.as_str())
                                .collect::<Vec<_>>()
                                .join("、")
                        }
                    };
                    ConfirmLine {
                        label: field.label.clone(),
                        value: if shown.is_empty() {
                            "（なし）".to_owned()
                        } else {
                            shown
                        },
                    }
                })
                .collect(),
        })
        .collect()
}

fn rows_of(values: &Values) -> usize {
    value(values, "rows")
        .parse::<usize>()
        .unwrap_or(DEFAULT_ROWS)
        .clamp(1, MAX_ROWS)
}

/// Loads what the form is about. `Err` carries the message of the picker
/// page (`None`: nothing chosen yet).
async fn load_context(
    screen: &Screen,
    kind: MovementKind,
    values: &Values,
) -> Result<Result<FormContext, Option<String>>, Response> {
    let mut context = FormContext::default();
    let today = today();
    match needs(kind) {
        Needs::Nothing => {}
        Needs::Household => {
            let raw = value(values, "household_id");
            if raw.is_empty() {
                return Ok(Err(None));
            }
            let Some(id) = parse_person_id(raw).map(|p| HouseholdId::new(p.get())) else {
                return Ok(Err(Some("世帯番号は数字で入力してください".to_owned())));
            };
            match storage::household_as_of(&screen.tenant, &screen.actor, id, today).await {
                Ok(Some(household)) => context.household = Some(household),
                Ok(None) => {
                    return Ok(Err(Some(format!("世帯番号 {id} の世帯は見つかりません"))));
                }
                Err(e) => return Err(storage_failure(e)),
            }
        }
        Needs::Person => {
            let raw = value(values, "person_id");
            if raw.is_empty() {
                return Ok(Err(None));
            }
            let Some(id) = parse_person_id(raw) else {
                return Ok(Err(Some("宛名番号は数字で入力してください".to_owned())));
            };
            match storage::person_as_of(&screen.tenant, &screen.actor, id, today).await {
                Ok(Some(person)) => context.person = Some(person),
                Ok(None) => {
                    return Ok(Err(Some(format!("宛名番号 {id} の人は見つかりません"))));
                }
                Err(e) => return Err(storage_failure(e)),
            }
            if kind == MovementKind::Cancellation {
                match storage::person_history(&screen.tenant, &screen.actor, id).await {
                    Ok(history) => context.history = history.unwrap_or_default(),
                    Err(e) => return Err(storage_failure(e)),
                }
            }
        }
    }
    let persons: Vec<u64> = context
        .household
        .iter()
        .flat_map(|h| h.members.iter())
        .chain(context.person.iter())
        .map(|p| p.person_id.get())
        .collect();
    context.address_withheld = !withheld(&screen.tenant, &screen.actor, persons)
        .await?
        .is_empty();
    Ok(Ok(context))
}

fn pick_page(screen: Screen, kind: MovementKind, error: Option<String>, typed: &str) -> Response {
    let (field, label) = match needs(kind) {
        Needs::Person => ("person_id", "宛名番号"),
        _ => ("household_id", "世帯番号"),
    };
    let status = if error.is_some() {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::OK
    };
    let page = MovementPickPage {
        chrome: screen.chrome,
        kind: kind.code(),
        title: title(kind),
        field,
        label,
        value: typed.to_owned(),
        error,
    };
    match render(&page) {
        Ok(html) => (status, screen.jar, html).into_response(),
        Err(response) => response,
    }
}

fn form_page(
    screen: Screen,
    status: StatusCode,
    kind: MovementKind,
    context: &FormContext,
    values: &Values,
    placed: &Placed,
) -> Response {
    let rows = rows_of(values);
    let sections = form_sections(kind, context, rows);
    let summary = sections
        .iter()
        .flat_map(|s| s.fields.iter())
        .filter_map(|f| {
            placed.fields.get(&f.name).map(|m| SummaryItem {
                id: field_id(&f.name),
                text: format!("{}: {m}", field_label(&sections, &f.name)),
            })
        })
        .collect();
    let page = MovementFormPage {
        kind: kind.code(),
        title: title(kind),
        context: context_lines(context),
        sections: section_views(&sections, values, placed),
        summary,
        general: placed.general.clone(),
        rows,
        more_rows: kind == MovementKind::MoveIn && rows < MAX_ROWS,
        chrome: screen.chrome,
    };
    match render(&page) {
        Ok(html) => (status, screen.jar, html).into_response(),
        Err(response) => response,
    }
}

fn movement_kind(code: &str) -> Option<MovementKind> {
    MovementKind::from_code(code)
}

/// `GET /registry/movements/{kind}`: the empty form of a movement, for the
/// household (`?household_id=`) or person (`?person_id=`) it is about.
pub async fn movement_form(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let target = Target {
        operation: "movement_form",
        person: query.get("person_id").map(String::as_str),
    };
    let screen = match screen(&state, jar, &headers, Permission::RegistryWrite, target).await {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    let Some(kind) = movement_kind(&kind) else {
        return not_found_page("その異動の種類はありません。");
    };
    let mut values: Values = BTreeMap::new();
    for key in ["household_id", "person_id", "movement_id", "rows"] {
        if let Some(v) = query.get(key).filter(|v| !v.trim().is_empty()) {
            values.insert(key.to_owned(), vec![v.trim().to_owned()]);
        }
    }
    let today_text = format_ja(today());
    values.insert("notified_on".to_owned(), vec![today_text.clone()]);
    match kind {
        MovementKind::ExOfficioCorrection | MovementKind::Cancellation => {
            values.insert("event_date".to_owned(), vec![today_text]);
        }
        MovementKind::MoveIn => {
            values.insert(
                "persons[0].relationship".to_owned(),
                vec!["head".to_owned()],
            );
            for row in 0..rows_of(&values) {
                values.insert(format!("persons[{row}].nationality"), vec!["JP".to_owned()]);
            }
        }
        MovementKind::Birth => {
            values.insert("person.relationship".to_owned(), vec!["child".to_owned()]);
            values.insert("person.nationality".to_owned(), vec!["JP".to_owned()]);
        }
        _ => {}
    }
    let context = match load_context(&screen, kind, &values).await {
        Ok(Ok(context)) => context,
        Ok(Err(error)) => {
            let typed = match needs(kind) {
                Needs::Person => value(&values, "person_id"),
                _ => value(&values, "household_id"),
            }
            .to_owned();
            return pick_page(screen, kind, error, &typed);
        }
        Err(response) => return response,
    };
    form_page(
        screen,
        StatusCode::OK,
        kind,
        &context,
        &values,
        &Placed::default(),
    )
}

/// `POST /registry/movements/{kind}`: `step=confirm` checks the form and
/// shows the confirmation page, `step=edit` goes back to the form with the
/// values kept, `step=more` adds person rows (転入), `step=commit` records
/// the movement and shows the person (or household) it is about.
pub async fn movement_submit(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let target = Target {
        operation: "record_movement",
        person: None,
    };
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let csrf_valid = session::csrf_ok(&jar, &csrf);
    let screen = match screen(&state, jar, &headers, Permission::RegistryWrite, target).await {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    if !csrf_valid {
        let jar = screen.jar.remove(CSRF_COOKIE);
        return (
            jar,
            error_page(
                StatusCode::FORBIDDEN,
                "画面の有効期限が切れました",
                "画面の有効期限が切れたため、入力を受け付けられませんでした。もう一度画面を開いて入力してください。",
            ),
        )
            .into_response();
    }
    let Some(kind) = movement_kind(&kind) else {
        return not_found_page("その異動の種類はありません。");
    };
    let mut step = String::new();
    let mut values: Values = BTreeMap::new();
    for (key, v) in pairs {
        match key.as_str() {
            "csrf" => {}
            "step" => step = v,
            _ => values.entry(key).or_default().push(v),
        }
    }
    let context = match load_context(&screen, kind, &values).await {
        Ok(Ok(context)) => context,
        Ok(Err(error)) => return pick_page(screen, kind, error, ""),
        Err(response) => return response,
    };
    if step == "more" {
        let rows = (rows_of(&values) + 2).min(MAX_ROWS);
        values.insert("rows".to_owned(), vec![rows.to_string()]);
        for row in 0..rows {
            values
                .entry(format!("persons[{row}].nationality"))
                .or_insert_with(|| vec!["JP".to_owned()]);
        }
        return form_page(
            screen,
            StatusCode::OK,
            kind,
            &context,
            &values,
            &Placed::default(),
        );
    }
    if step != "confirm" && step != "commit" {
        return form_page(
            screen,
            StatusCode::OK,
            kind,
            &context,
            &values,
            &Placed::default(),
        );
    }
    let sections = form_sections(kind, &context, rows_of(&values));
    let built = build_body(kind, &sections, &values);
    if !built.errors.is_empty() {
        let placed = Placed {
            fields: built.errors,
            general: Vec::new(),
        };
        return form_page(
            screen,
            StatusCode::UNPROCESSABLE_ENTITY,
            kind,
            &context,
            &values,
            &placed,
        );
    }
    let command = match registry_api::movement_command(&built.body) {
        Ok(command) => command,
        Err(error) => {
            let message = if error.code == kiban_core::ErrorCode::MissingField {
                "入力してください".to_owned()
            } else {
                error.message
            };
            let mut placed = Placed::default();
            placed.add(
                kind,
                &sections,
                &built.rows,
                error.field.as_deref(),
                message,
            );
            return form_page(screen, error.status, kind, &context, &values, &placed);
        }
    };
    if step == "confirm" {
        let hidden: Vec<(String, String)> = values
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.clone(), v.clone())))
            .collect();
        let page = MovementConfirmPage {
            kind: kind.code(),
            title: title(kind),
            context: context_lines(&context),
            sections: confirm_sections(&sections, &values),
            hidden,
            chrome: screen.chrome,
        };
        return match render(&page) {
            Ok(html) => (screen.jar, html).into_response(),
            Err(response) => response,
        };
    }
    match storage::record_movement(&screen.tenant, &screen.actor, command, today()).await {
        Ok(recorded) => {
            let movement = recorded.movement.id.get();
            let to = match (recorded.persons.first(), recorded.household_id) {
                (Some(person), _) => {
                    format!("/registry/persons/{}?recorded={movement}", person.person_id)
                }
                (None, Some(household)) => {
                    format!("/registry/households/{household}?recorded={movement}")
                }
                (None, None) => "/registry".to_owned(),
            };
            (screen.jar, Redirect::to(&to)).into_response()
        }
        Err(RegistryError::Rejected(rejection)) => {
            let status = match rejection.kind() {
                RejectionKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                RejectionKind::Conflict => StatusCode::CONFLICT,
            };
            let mut placed = Placed::default();
            placed.add(
                kind,
                &sections,
                &built.rows,
                Some(&rejection.field),
                rejection.message().text(),
            );
            form_page(screen, status, kind, &context, &values, &placed)
        }
        Err(e) => storage_failure(e),
    }
}
