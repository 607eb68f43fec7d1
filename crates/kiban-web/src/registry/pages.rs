//! Clerk screens of the resident registry (住民記録): search, the person and
//! household views, and the movement forms (異動入力) with their
//! confirmation step.
//!
//! The screens use the same doors as the JSON API: the same authorization
//! ([`door::authorize`], so refusals are logged identically), the
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

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use kiban_audit::Actor;
use kiban_auth::Permission;
use kiban_core::Date;
use kiban_core::wareki::{format_ja, parse_date_input};
use kiban_protection::Exposure;
use kiban_registry::domain::{
    HouseholdId, HouseholdRecord, MovementKind, PersonListing, PersonRecord, ResidentStatus,
};
use kiban_registry::storage::{self, HistoryEntry, RegistryError, SearchQuery};
use kiban_store::TenantDb;
use serde::Deserialize;

pub(crate) use crate::kit::display::{date_ja, postal_ja, timestamp_ja};
use crate::kit::door::{self, Target, parse_person_id};
pub(crate) use crate::kit::page::{self, Chrome, Screen, Tabs, error_page, not_found_page, render};
use crate::{ApiError, AppState};
use kiban_core::today_in_japan as today;

/// The most persons a search screen lists.
const SEARCH_LIMIT: u32 = 100;

// ---------------------------------------------------------------------------
// Page chrome and access.
// ---------------------------------------------------------------------------

/// The tabs above every registry screen.
const TABS: Tabs = Tabs {
    label: "住民記録",
    class: "registry",
    links: &[
        ("/app/registry", "住民検索"),
        ("/app/registry/movements/move_in", "転入届"),
    ],
};

/// The kit's door ([`page::screen`]) with the registry's tabs: the session,
/// the permission (a refusal is written to the access log with the
/// operation and the person of the path) and the page's chrome.
pub(crate) async fn screen(
    state: &AppState,
    jar: CookieJar,
    headers: &HeaderMap,
    permission: Permission,
    target: Target<'_>,
) -> Result<Screen, Response> {
    let person = door::person_number(target.person);
    let mut screen =
        page::screen(state, jar, headers, permission, target.operation, person).await?;
    screen.chrome.tabs = Some(&TABS);
    Ok(screen)
}

/// A failure of a registry read or write that is not a rejection.
pub(crate) fn storage_failure(error: RegistryError) -> Response {
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
pub(crate) const WITHHELD: &str = "（支援措置により表示しません）";

/// The 宛名番号 among `persons` whose addresses (現住所, 前住所, 転出先) this
/// screen withholds under 支援措置 (`kiban-protection`): every protected
/// person today. The screens offer no override (the API does, for the
/// roles permitted); each attempt on a protected person is logged.
pub(crate) async fn withheld(
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

pub(crate) fn status_ja(status: ResidentStatus, removed_on: Option<Date>) -> String {
    match (status, removed_on) {
        (ResidentStatus::Resident, _) => "住民".to_owned(),
        (ResidentStatus::MovedOut, Some(on)) => format!("転出（{}消除）", format_ja(on)),
        (ResidentStatus::Deceased, Some(on)) => format!("死亡（{}消除）", format_ja(on)),
        (ResidentStatus::MovedOut, None) => "転出".to_owned(),
        (ResidentStatus::Deceased, None) => "死亡".to_owned(),
    }
}

pub(crate) fn address_ja(record: &kiban_registry::domain::Address) -> String {
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
pub(crate) struct PersonRow {
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
pub(crate) struct SearchForm {
    name_kana: Option<String>,
    name: Option<String>,
    birth_date: Option<String>,
    address: Option<String>,
    person_id: Option<String>,
    include_removed: Option<String>,
}

#[derive(Template)]
#[template(path = "registry/search.html")]
pub(crate) struct SearchPage {
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

pub(crate) fn trimmed(value: &Option<String>) -> String {
    value.as_deref().unwrap_or("").trim().to_owned()
}

/// `GET /app/registry`: the search form and, once searched, the results.
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
        Err(e) => e.into_response(),
    }
}

#[derive(Template)]
#[template(path = "registry/follow_up.html")]
pub(crate) struct FollowUpPage {
    chrome: Chrome,
    results: Vec<PersonRow>,
    truncated: bool,
}

/// `GET /app/registry/follow-up/missing-residence-status`: 移行後要確認（在留資格
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
        Err(e) => e.into_response(),
    }
}

// ---------------------------------------------------------------------------
// Person and household views.
// ---------------------------------------------------------------------------

/// One entry of the history timeline.
pub(crate) struct HistoryRow {
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
pub(crate) struct RecordView {
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
pub(crate) struct PersonPage {
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
    /// 個人状況照会 (the addressee master's overview of the person).
    may_read_addressees: bool,
}

/// The query of a view: the movement just recorded, to confirm it.
#[derive(Deserialize)]
pub(crate) struct ViewQuery {
    recorded: Option<u64>,
}

/// `GET /app/registry/persons/{person_id}`: the current record, the household
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
        may_issue_certificates: screen
            .role
            .allows(crate::certificates::api::ISSUE_PERMISSION),
        may_manage_measures: crate::protection::may_manage_on_screen(screen.role),
        may_read_addressees: screen.role.allows(Permission::AddresseeRead),
    };
    match render(&page) {
        Ok(html) => (screen.jar, html).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Template)]
#[template(path = "registry/household.html")]
pub(crate) struct HouseholdPage {
    chrome: Chrome,
    today: String,
    recorded: Option<u64>,
    household_id: u64,
    address: String,
    members: Vec<PersonRow>,
}

/// `GET /app/registry/households/{household_id}`: a household today, with its
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
        Err(e) => e.into_response(),
    }
}
