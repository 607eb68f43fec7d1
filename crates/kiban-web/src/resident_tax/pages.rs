//! Clerk screens of the resident tax (個人住民税): 課税台帳照会 (a person's
//! assessment of a fiscal year with its calculation explained step by
//! step, and its versions of 更正), the 突合 queue of income records with
//! the assignment of a row to an addressee, and the settings of a fiscal
//! year (課税設定), and the entry of one declaration (住民税申告).
//!
//! They go through the same doors as the JSON API
//! (`resident_tax::{assessment_api, income_api}`): the same permissions
//! (`Tax`, and `ResidentTaxSettings` for the settings), the same storage
//! calls, so the access-log entries and the refusals are the API's. A
//! refused value is shown next to the field the storage names
//! (`ordinary_due_dates[1]`).

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kiban_addressee::domain::AddresseeId;
use kiban_auth::Permission;
use kiban_core::wareki::format_fiscal_year_ja;
use kiban_core::{FiscalYear, Message, YearMonth, Yen};
use kiban_resident_tax::domain::assessment::Collection;
use kiban_resident_tax::domain::income::parse_income_csv;
use kiban_resident_tax::domain::matching::MatchOutcome;
use kiban_resident_tax::domain::settings::{Settings, SettingsInput};
use kiban_resident_tax::storage::assessment::{self as assessments, AssessmentVersion};
use kiban_resident_tax::storage::income::{self as income, AssignError, MatchStatus};
use kiban_resident_tax::storage::settings::{self as settings_store, SettingsStoreError};
use serde::Deserialize;
use serde_json::Value;

use crate::kit::display::{short_date_ja, stored_timestamp_ja};
use crate::kit::form::parse_day;
use crate::kit::page::{self, Chrome, Screen, error_page, expired, not_found_page, respond};
use crate::kit::session;
use crate::resident_tax::assessment_api::fiscal_year;
use crate::{ApiError, AppState};

/// The rows of the 突合 queue one page shows.
const QUEUE_PAGE: usize = 100;

/// Extra empty rows offered for more ordinary due dates.
const EXTRA_DUE_DATES: usize = 2;

fn posted<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

/// The page refusing the fiscal year of a screen's path.
fn bad_year(error: &ApiError) -> Response {
    error_page(
        StatusCode::UNPROCESSABLE_ENTITY,
        "年度を確認してください",
        &error.message,
    )
}

/// The fiscal year a clerk works in by default: the one of today.
/// The screen of a page of one fiscal year: the session's staff member
/// with `permission` (a refusal logged and answered by [`page::screen`]),
/// for a form posted (`csrf_valid` given) its token checked, and the year
/// of the path.
#[expect(
    clippy::too_many_arguments,
    reason = "the extractors of a handler, passed on as they are"
)]
async fn year_screen(
    state: &AppState,
    jar: CookieJar,
    headers: &HeaderMap,
    permission: Permission,
    operation: &str,
    person: Option<i64>,
    csrf_valid: Option<bool>,
    year: &str,
) -> Result<(Screen, FiscalYear), Response> {
    let screen = page::screen(state, jar, headers, permission, operation, person).await?;
    if csrf_valid == Some(false) {
        return Err(expired(screen.jar));
    }
    let year = fiscal_year(year).map_err(|e| bad_year(&e))?;
    Ok((screen, year))
}

fn current_year() -> FiscalYear {
    FiscalYear::containing(kiban_core::today_in_japan())
}

fn yen(amount: i64) -> String {
    Yen::new(amount).display_ja()
}

/// A month in 和暦: `令和8年6月`.
fn month_ja(month: YearMonth) -> String {
    let day = short_date_ja(month.first_day());
    day.strip_suffix("1日").map_or(day.clone(), str::to_owned)
}

fn collection_ja(collection: Collection) -> &'static str {
    match collection {
        Collection::Special => "特別徴収",
        Collection::Ordinary => "普通徴収",
        Collection::Mixed => "併用（特別徴収と普通徴収）",
    }
}

fn non_taxable_ja(code: &str) -> &'static str {
    match code {
        "none" => "課税",
        "income_levy" => "所得割非課税（均等割のみ課税）",
        "all" => "非課税（所得割・均等割とも）",
        _ => "不明",
    }
}

/// The links between the resident-tax screens of a fiscal year.
struct YearLinks {
    year: i32,
    label: String,
}

impl YearLinks {
    fn of(year: FiscalYear) -> Self {
        Self {
            year: year.start_year(),
            label: format_fiscal_year_ja(year),
        }
    }
}

// ---------------------------------------------------------------------------
// 課税台帳照会: the form.
// ---------------------------------------------------------------------------

/// The query of the lookup form; every field as typed.
#[derive(Deserialize, Default)]
pub struct LookupForm {
    addressee_id: Option<String>,
    fiscal_year: Option<String>,
}

#[derive(Template)]
#[template(path = "resident_tax/index.html")]
struct LookupPage {
    chrome: Chrome,
    links: YearLinks,
    addressee_id: String,
    fiscal_year: String,
    errors: BTreeMap<String, String>,
}

impl LookupPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

/// `GET /app/resident-tax`: the lookup form (宛名番号 and 年度); once
/// filled in correctly, the assessment's page.
pub async fn index(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(form): Query<LookupForm>,
) -> Response {
    let screen = match page::screen(
        &state,
        jar,
        &headers,
        Permission::Tax,
        "resident_tax_assessment_read",
        None,
    )
    .await
    {
        Ok(screen) => screen,
        Err(response) => return response,
    };
    let typed_year = form
        .fiscal_year
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    let typed_id = form
        .addressee_id
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    let mut errors = BTreeMap::new();
    let year = if typed_year.is_empty() {
        current_year()
    } else {
        match fiscal_year(&typed_year) {
            Ok(year) => year,
            Err(e) => {
                errors.insert("fiscal_year".to_owned(), e.message);
                current_year()
            }
        }
    };
    if form.addressee_id.is_some() {
        match crate::addressee::api::addressee_id(&typed_id) {
            Ok(id) if errors.is_empty() => {
                return Redirect::to(&format!(
                    "/app/resident-tax/{}/assessments/{}",
                    year.start_year(),
                    id.get()
                ))
                .into_response();
            }
            Ok(_) => {}
            Err(_) => {
                errors.insert(
                    "addressee_id".to_owned(),
                    "宛名番号を数字で入力してください。".to_owned(),
                );
            }
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = LookupPage {
        chrome: screen.chrome,
        links: YearLinks::of(year),
        addressee_id: typed_id,
        fiscal_year: if typed_year.is_empty() {
            year.start_year().to_string()
        } else {
            typed_year
        },
        errors,
    };
    respond(status, screen.jar, &page)
}

// ---------------------------------------------------------------------------
// 課税台帳照会: a person's assessment.
// ---------------------------------------------------------------------------

/// One step of the calculation as the calculation wrote it.
struct StepRow {
    step: String,
    basis: String,
    amount: String,
}

/// 市町村民税 or 道府県民税.
struct PartRow {
    label: &'static str,
    before_credits: String,
    adjustment_credit: String,
    special_tax_credit: Option<String>,
    income_levy: String,
    per_capita_levy: String,
}

struct InstallmentRow {
    period: u32,
    due_date: String,
    amount: String,
}

struct MonthRow {
    month: String,
    amount: String,
}

struct VersionRow {
    version: i64,
    assessed_on: String,
    total: String,
    recorded_at: String,
    recorded_by: String,
    shown: bool,
}

#[derive(Template)]
#[template(path = "resident_tax/assessment.html")]
struct AssessmentPage {
    chrome: Chrome,
    links: YearLinks,
    addressee_id: u64,
    version: i64,
    in_force: bool,
    assessed_on: String,
    total: String,
    collection: &'static str,
    non_taxable: &'static str,
    total_income: String,
    deductions: String,
    tax_base: String,
    parts: Vec<PartRow>,
    forest_environment_tax: String,
    installments: Vec<InstallmentRow>,
    notice_number: String,
    payer_number: String,
    monthly: Vec<MonthRow>,
    review: Vec<&'static str>,
    steps: Vec<StepRow>,
    versions: Vec<VersionRow>,
}

#[derive(Template)]
#[template(path = "resident_tax/not_assessed.html")]
struct NotAssessedPage {
    chrome: Chrome,
    links: YearLinks,
    addressee_id: u64,
}

/// The query of the assessment page.
#[derive(Deserialize, Default)]
pub struct VersionQuery {
    version: Option<String>,
}

fn amount_at(value: &Value, path: &[&str]) -> Option<i64> {
    path.iter()
        .try_fold(value, |v, key| v.get(*key))
        .and_then(Value::as_i64)
}

fn shown_amount(value: &Value, path: &[&str]) -> String {
    amount_at(value, path).map_or_else(|| "－".to_owned(), yen)
}

fn part_row(calculation: &Value, key: &str, label: &'static str) -> PartRow {
    PartRow {
        label,
        before_credits: shown_amount(calculation, &[key, "income_levy_before_credits"]),
        adjustment_credit: shown_amount(calculation, &[key, "adjustment_credit"]),
        special_tax_credit: amount_at(calculation, &[key, "special_tax_credit"]).map(yen),
        income_levy: shown_amount(calculation, &[key, "income_levy"]),
        per_capita_levy: shown_amount(calculation, &[key, "per_capita_levy"]),
    }
}

fn steps_of(calculation: &Value) -> Vec<StepRow> {
    calculation
        .get("working")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|s| StepRow {
            step: s
                .get("step")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            basis: s
                .get("basis")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            amount: s
                .get("amount")
                .and_then(Value::as_i64)
                .map_or_else(String::new, yen),
        })
        .collect()
}

fn assessment_page(
    chrome: Chrome,
    year: FiscalYear,
    id: AddresseeId,
    shown: &AssessmentVersion,
    all: &[AssessmentVersion],
) -> Result<AssessmentPage, ApiError> {
    let full = shown.to_json().map_err(ApiError::from)?;
    let calculation = full.get("calculation").cloned().unwrap_or(Value::Null);
    let latest = all.last().map_or(shown.version, |v| v.version);
    Ok(AssessmentPage {
        chrome,
        links: YearLinks::of(year),
        addressee_id: id.get(),
        version: shown.version,
        in_force: shown.version == latest,
        assessed_on: short_date_ja(shown.assessed_on),
        total: yen(shown.total.get()),
        collection: collection_ja(shown.schedule.collection),
        non_taxable: non_taxable_ja(&shown.non_taxable),
        total_income: shown_amount(&calculation, &["total_income"]),
        deductions: shown_amount(&calculation, &["deductions", "total"]),
        tax_base: shown_amount(&calculation, &["tax_base"]),
        parts: vec![
            part_row(&calculation, "municipal", "市町村民税"),
            part_row(&calculation, "prefectural", "道府県民税"),
        ],
        forest_environment_tax: shown_amount(&calculation, &["forest_environment_tax"]),
        installments: shown
            .schedule
            .installments
            .iter()
            .map(|i| InstallmentRow {
                period: i.period,
                due_date: short_date_ja(i.due_date),
                amount: yen(i.amount.get()),
            })
            .collect(),
        notice_number: shown.notice_number.clone().unwrap_or_default(),
        payer_number: shown.payer_number.clone().unwrap_or_default(),
        monthly: shown
            .schedule
            .monthly
            .iter()
            .map(|m| MonthRow {
                month: month_ja(m.month),
                amount: yen(m.amount.get()),
            })
            .collect(),
        review: shown.flags.iter().map(|f| f.text()).collect(),
        steps: steps_of(&calculation),
        versions: all
            .iter()
            .rev()
            .map(|v| VersionRow {
                version: v.version,
                assessed_on: short_date_ja(v.assessed_on),
                total: yen(v.total.get()),
                recorded_at: stored_timestamp_ja(&v.recorded_at),
                recorded_by: v.job_id.map_or_else(
                    || "職員".to_owned(),
                    |job| format!("一括課税（ジョブ {job}）"),
                ),
                shown: v.version == shown.version,
            })
            .collect(),
    })
}

/// `GET /app/resident-tax/{fy}/assessments/{addressee_id}`: the assessment
/// in force (or `?version=N`), its calculation explained, and its versions.
pub async fn assessment(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path((year, id)): Path<(String, String)>,
    Query(query): Query<VersionQuery>,
) -> Response {
    let (screen, year) = match year_screen(
        &state,
        jar,
        &headers,
        Permission::Tax,
        "resident_tax_assessment_read",
        crate::kit::door::person_number(Some(&id)),
        None,
        &year,
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Ok(id) = crate::addressee::api::addressee_id(id.trim()) else {
        return not_found_page("宛名番号を確認してください。");
    };
    let Screen {
        tenant,
        actor,
        chrome,
        jar,
        ..
    } = screen;
    let all = match assessments::versions(&tenant, &actor, year, id).await {
        Ok(all) => all,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if all.is_empty() {
        let page = NotAssessedPage {
            chrome,
            links: YearLinks::of(year),
            addressee_id: id.get(),
        };
        return respond(StatusCode::NOT_FOUND, jar, &page);
    }
    let wanted = query
        .version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let shown = match wanted {
        None => all.last(),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .and_then(|n| all.iter().find(|v| v.version == n)),
    };
    let Some(shown) = shown else {
        return not_found_page("指定された版の課税はありません。");
    };
    match assessment_page(chrome, year, id, shown, &all) {
        Ok(page) => respond(StatusCode::OK, jar, &page),
        Err(e) => e.into_response(),
    }
}

// ---------------------------------------------------------------------------
// 突合 queue.
// ---------------------------------------------------------------------------

struct QueueRow {
    record_id: i64,
    file: String,
    row: String,
    status: &'static str,
    name: String,
    name_kana: String,
    birth_date: String,
    address: String,
    candidates: Vec<u64>,
    typed: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "resident_tax/matching.html")]
struct MatchingPage {
    chrome: Chrome,
    links: YearLinks,
    rows: Vec<QueueRow>,
    next_after: Option<i64>,
}

/// The query of the queue: the page, and the assignment just made.
#[derive(Deserialize, Default)]
pub struct QueueQuery {
    after: Option<String>,
    assigned: Option<String>,
    to: Option<String>,
}

/// A refused assignment, shown on its row.
struct RowError {
    record_id: i64,
    typed: String,
    message: String,
}

async fn matching_page(
    screen: Screen,
    year: FiscalYear,
    after: Option<i64>,
    refused: Option<RowError>,
) -> Response {
    let Screen {
        tenant,
        actor,
        chrome,
        jar,
        ..
    } = screen;
    let queue = match income::matching_queue(&tenant, &actor, year, after, QUEUE_PAGE).await {
        Ok(queue) => queue,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let rows = queue
        .items
        .iter()
        .map(|item| {
            let mine = refused.as_ref().filter(|r| r.record_id == item.record_id);
            QueueRow {
                record_id: item.record_id,
                file: item
                    .file_id
                    .map_or_else(|| "窓口入力".to_owned(), |f| f.to_string()),
                row: item.row_no.map_or_else(String::new, |r| r.to_string()),
                status: match &item.status {
                    MatchStatus::Ambiguous(_) => "複数の宛名に一致",
                    _ => "一致する宛名なし",
                },
                name: item.record.name.clone(),
                name_kana: item.record.name_kana.clone(),
                birth_date: short_date_ja(item.record.birth_date),
                address: item.record.address_on_jan1.clone(),
                candidates: match &item.status {
                    MatchStatus::Ambiguous(ids) => ids.iter().map(|i| i.get()).collect(),
                    _ => Vec::new(),
                },
                typed: mine.map(|r| r.typed.clone()).unwrap_or_default(),
                error: mine.map(|r| r.message.clone()),
            }
        })
        .collect();
    let page = MatchingPage {
        chrome,
        links: YearLinks::of(year),
        rows,
        next_after: queue.next_after,
    };
    respond(status, jar, &page)
}

/// `GET /app/resident-tax/{fy}/income-matching`: the rows waiting for a
/// clerk, each with a form to assign it.
pub async fn matching(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(year): Path<String>,
    Query(query): Query<QueueQuery>,
) -> Response {
    let (mut screen, year) = match year_screen(
        &state,
        jar,
        &headers,
        Permission::Tax,
        "resident_tax_income_matching",
        None,
        None,
        &year,
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let after = query
        .after
        .as_deref()
        .and_then(|a| a.trim().parse::<i64>().ok());
    if let (Some(record), Some(to)) = (query.assigned.as_deref(), query.to.as_deref())
        && let (Ok(record), Ok(to)) = (record.parse::<i64>(), to.parse::<u64>())
    {
        screen.chrome.notice = Some(format!(
            "所得情報（番号 {record}）を宛名番号 {to} に割り当てました。"
        ));
    }
    matching_page(screen, year, after, None).await
}

/// `POST /app/resident-tax/{fy}/income-matching/{record_id}/assign`: the
/// row assigned to the 宛名番号 typed, then back to the queue with a
/// notice; a refusal is shown on the row's field.
pub async fn assign(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path((year, record)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let csrf_valid = session::csrf_ok(&jar, posted(&pairs, "csrf"));
    let typed = posted(&pairs, "addressee_id").to_owned();
    let (screen, year) = match year_screen(
        &state,
        jar,
        &headers,
        Permission::Tax,
        "resident_tax_income_assign",
        crate::kit::door::person_number(Some(&typed)),
        Some(csrf_valid),
        &year,
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Ok(record_id) = record.trim().parse::<i64>() else {
        return not_found_page("指定された所得情報は突合待ちではありません。");
    };
    let refused = |message: String| RowError {
        record_id,
        typed: typed.clone(),
        message,
    };
    let Ok(addressee) = crate::addressee::api::addressee_id(&typed) else {
        let message = if typed.is_empty() {
            "宛名番号を入力してください。"
        } else {
            "宛名番号を数字で入力してください。"
        };
        return matching_page(screen, year, None, Some(refused(message.to_owned()))).await;
    };
    match income::assign_record(&screen.tenant, &screen.actor, year, record_id, addressee).await {
        Ok(done) => Redirect::to(&format!(
            "/app/resident-tax/{}/income-matching?assigned={record_id}&to={}",
            year.start_year(),
            done.addressee_id.get()
        ))
        .into_response(),
        Err(AssignError::RecordNotFound) => {
            not_found_page("指定された所得情報は突合待ちではありません。")
        }
        Err(e @ AssignError::AddresseeNotFound) => {
            matching_page(screen, year, None, Some(refused(e.message().text()))).await
        }
        Err(AssignError::Store(e)) => ApiError::from(e).into_response(),
    }
}

// ---------------------------------------------------------------------------
// 課税設定.
// ---------------------------------------------------------------------------

/// A field of the settings or declaration form, as typed, with its error.
struct TypedField {
    name: String,
    label: String,
    value: String,
    hint: &'static str,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "resident_tax/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    links: YearLinks,
    fields: Vec<TypedField>,
    designated_city: String,
    designated_city_error: Option<String>,
    error: Option<String>,
}

/// The values of the form, by field name.
type Typed = BTreeMap<String, String>;

fn typed_of(s: &Settings) -> Typed {
    let mut typed = Typed::new();
    typed.insert(
        "rates.municipal_income_rate".into(),
        s.rates.municipal_income_rate.to_string(),
    );
    typed.insert(
        "rates.prefectural_income_rate".into(),
        s.rates.prefectural_income_rate.to_string(),
    );
    typed.insert(
        "rates.municipal_per_capita".into(),
        s.rates.municipal_per_capita.get().to_string(),
    );
    typed.insert(
        "rates.prefectural_per_capita".into(),
        s.rates.prefectural_per_capita.get().to_string(),
    );
    typed.insert(
        "rates.designated_city".into(),
        s.designated_city
            .map_or_else(String::new, |d| d.to_string()),
    );
    typed.insert("non_taxable_grade".into(), s.non_taxable_grade.to_string());
    for (i, day) in s.ordinary_due_dates.iter().enumerate() {
        typed.insert(format!("ordinary_due_dates[{i}]"), short_date_ja(*day));
    }
    typed.insert("installment_unit".into(), s.installment_unit.to_string());
    typed.insert(
        "collection_agency_code".into(),
        s.collection_agency_code.clone(),
    );
    typed
}

/// The number of due-date rows typed or stored.
fn due_date_rows(typed: &Typed) -> usize {
    (0..)
        .take_while(|i| typed.contains_key(&format!("ordinary_due_dates[{i}]")))
        .count()
}

fn settings_page(
    chrome: Chrome,
    year: FiscalYear,
    typed: &Typed,
    mut errors: BTreeMap<String, String>,
) -> SettingsPage {
    let value = |name: &str| typed.get(name).cloned().unwrap_or_default();
    let mut fields = Vec::new();
    let mut add = |name: String, label: String, hint: &'static str| {
        fields.push(TypedField {
            value: value(&name),
            error: errors.remove(&name),
            name,
            label,
            hint,
        });
    };
    add(
        "rates.municipal_income_rate".into(),
        "市町村民税所得割の税率".into(),
        "小数（例: 0.06）",
    );
    add(
        "rates.prefectural_income_rate".into(),
        "道府県民税所得割の税率".into(),
        "小数（例: 0.04）",
    );
    add(
        "rates.municipal_per_capita".into(),
        "市町村民税均等割（円）".into(),
        "",
    );
    add(
        "rates.prefectural_per_capita".into(),
        "道府県民税均等割（円）".into(),
        "",
    );
    add(
        "non_taxable_grade".into(),
        "級地（非課税限度額）".into(),
        "1・2・3のいずれか",
    );
    let rows = due_date_rows(typed).max(4) + EXTRA_DUE_DATES;
    for i in 0..rows {
        add(
            format!("ordinary_due_dates[{i}]"),
            format!("普通徴収 第{}期の納期限", i + 1),
            "和暦（令和8年6月30日）または西暦（2026-06-30）。空欄の期はありません",
        );
    }
    add(
        "installment_unit".into(),
        "第2期以降の端数単位（円）".into(),
        "1・10・100・1000・10000のいずれか",
    );
    add(
        "collection_agency_code".into(),
        "収納機関番号（コンビニ収納）".into(),
        "半角数字5桁",
    );
    let designated_city_error = errors.remove("rates.designated_city");
    let error = (!errors.is_empty()).then(|| errors.into_values().collect::<Vec<_>>().join(" "));
    SettingsPage {
        chrome,
        links: YearLinks::of(year),
        fields,
        designated_city: value("rates.designated_city"),
        designated_city_error,
        error,
    }
}

/// The query of the settings page after a save.
#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// `GET /app/resident-tax/{fy}/settings`: the settings in force.
pub async fn settings(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(year): Path<String>,
    Query(query): Query<SavedQuery>,
) -> Response {
    let (mut screen, year) = match year_screen(
        &state,
        jar,
        &headers,
        Permission::ResidentTaxSettings,
        "resident_tax_settings_read",
        None,
        None,
        &year,
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let settings = match settings_store::get(&screen.tenant, year).await {
        Ok(settings) => settings,
        Err(e) => return store_settings_error(e).into_response(),
    };
    if query.saved.is_some() {
        screen.chrome.notice = Some("課税設定を記録しました。".to_owned());
    }
    let page = settings_page(screen.chrome, year, &typed_of(&settings), BTreeMap::new());
    respond(StatusCode::OK, screen.jar, &page)
}

fn store_settings_error(e: SettingsStoreError) -> ApiError {
    match e {
        SettingsStoreError::Invalid(e) => ApiError::invalid(e.field, e.message),
        SettingsStoreError::Store(e) => ApiError::from(e),
    }
}

fn setting_invalid(field: &str, detail: &str) -> (String, String) {
    (
        field.to_owned(),
        Message::ResidentTaxSettingInvalid {
            field: field.to_owned(),
            detail: detail.to_owned(),
        }
        .text(),
    )
}

fn integer(typed: &Typed, field: &str, errors: &mut BTreeMap<String, String>) -> Option<i64> {
    let text = typed.get(field).map_or("", |v| v.trim());
    if text.is_empty() {
        return None;
    }
    match text.replace([',', '，'], "").parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            let (field, message) = setting_invalid(field, "整数で入力してください");
            errors.insert(field, message);
            None
        }
    }
}

fn text_of(typed: &Typed, field: &str) -> Option<String> {
    typed
        .get(field)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The settings as typed, with the form index of each due date given
/// (the storage names a due date by its place among those given).
fn input_of(typed: &Typed, errors: &mut BTreeMap<String, String>) -> (SettingsInput, Vec<usize>) {
    let mut input = SettingsInput {
        municipal_income_rate: text_of(typed, "rates.municipal_income_rate"),
        prefectural_income_rate: text_of(typed, "rates.prefectural_income_rate"),
        municipal_per_capita: integer(typed, "rates.municipal_per_capita", errors),
        prefectural_per_capita: integer(typed, "rates.prefectural_per_capita", errors),
        non_taxable_grade: integer(typed, "non_taxable_grade", errors),
        installment_unit: integer(typed, "installment_unit", errors),
        collection_agency_code: text_of(typed, "collection_agency_code"),
        ..SettingsInput::default()
    };
    input.designated_city = match typed.get("rates.designated_city").map(String::as_str) {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    let mut dates = Vec::new();
    let mut places = Vec::new();
    for i in 0..due_date_rows(typed) {
        let field = format!("ordinary_due_dates[{i}]");
        let raw = typed.get(&field).map_or("", String::as_str);
        match parse_day(&field, "納期限", raw) {
            Ok(Some(day)) => {
                dates.push(day.to_string());
                places.push(i);
            }
            Ok(None) => {}
            Err(e) => {
                errors.insert(field, e.message);
            }
        }
    }
    if !dates.is_empty() {
        input.ordinary_due_dates = Some(dates);
    }
    (input, places)
}

/// The form field of a field the storage names: a due date by its place
/// among those given, the others as named.
fn form_field(field: &str, places: &[usize]) -> String {
    field
        .strip_prefix("ordinary_due_dates[")
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| places.get(n))
        .map_or_else(|| field.to_owned(), |i| format!("ordinary_due_dates[{i}]"))
}

/// `POST /app/resident-tax/{fy}/settings`: the settings typed recorded as
/// the year's new version (the `PUT` of the API), or the form again with
/// each refused value's message next to its field.
pub async fn save_settings(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(year): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let csrf_valid = session::csrf_ok(&jar, posted(&pairs, "csrf"));
    let (screen, year) = match year_screen(
        &state,
        jar,
        &headers,
        Permission::ResidentTaxSettings,
        "resident_tax_settings_put",
        None,
        Some(csrf_valid),
        &year,
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let typed: Typed = pairs.into_iter().filter(|(k, _)| k != "csrf").collect();
    let mut errors = BTreeMap::new();
    let (input, places) = input_of(&typed, &mut errors);
    if errors.is_empty() {
        match settings_store::put(&screen.tenant, &screen.actor, year, &input).await {
            Ok(_) => {
                return Redirect::to(&format!(
                    "/app/resident-tax/{}/settings?saved=1",
                    year.start_year()
                ))
                .into_response();
            }
            Err(SettingsStoreError::Invalid(e)) => {
                errors.insert(form_field(&e.field, &places), e.message.text());
            }
            Err(SettingsStoreError::Store(e)) => return ApiError::from(e).into_response(),
        }
    }
    let page = settings_page(screen.chrome, year, &typed, errors);
    respond(StatusCode::UNPROCESSABLE_ENTITY, screen.jar, &page)
}

// ---------------------------------------------------------------------------
// 住民税申告の入力.
// ---------------------------------------------------------------------------

/// The columns of `income-csv-v1` the declaration form offers, with their
/// labels and whether a date is typed (和暦 or 西暦).
const DECLARATION_FIELDS: &[(&str, &str, bool)] = &[
    ("name", "氏名", false),
    ("name_kana", "フリガナ", false),
    ("birth_date", "生年月日", true),
    ("address_on_jan1", "1月1日現在の住所", false),
    ("individual_number", "個人番号（任意）", false),
    ("salary_revenue", "給与収入（円）", false),
    ("public_pension_revenue", "公的年金等収入（円）", false),
    ("business_income", "事業所得（円）", false),
    ("real_estate_income", "不動産所得（円）", false),
    ("misc_income", "雑所得（公的年金等以外、円）", false),
    ("social_insurance", "社会保険料（円）", false),
    (
        "small_business_mutual_aid",
        "小規模企業共済等掛金（円）",
        false,
    ),
    ("life_insurance_new_general", "新生命保険料（円）", false),
    ("earthquake_insurance", "地震保険料（円）", false),
    ("medical_expenses", "医療費控除の額（円）", false),
];

#[derive(Template)]
#[template(path = "resident_tax/declaration.html")]
struct DeclarationPage {
    chrome: Chrome,
    links: YearLinks,
    fields: Vec<TypedField>,
    sex: String,
    error: Option<String>,
    /// After an entry: the addressee it matched, or `None` when it waits
    /// in the 突合 queue.
    entered: Option<Option<u64>>,
}

fn declaration_page(
    chrome: Chrome,
    year: FiscalYear,
    typed: &Typed,
    mut errors: BTreeMap<String, String>,
) -> DeclarationPage {
    let fields = DECLARATION_FIELDS
        .iter()
        .map(|(name, label, date)| TypedField {
            name: (*name).to_owned(),
            label: (*label).to_owned(),
            value: typed.get(*name).cloned().unwrap_or_default(),
            hint: if *date {
                crate::kit::form::DATE_HINT
            } else {
                ""
            },
            error: errors.remove(*name),
        })
        .collect();
    let error = errors.remove("sex");
    let rest = (!errors.is_empty()).then(|| errors.into_values().collect::<Vec<_>>().join(" "));
    DeclarationPage {
        chrome,
        links: YearLinks::of(year),
        fields,
        sex: typed.get("sex").cloned().unwrap_or_default(),
        error: error.or(rest),
        entered: None,
    }
}

/// `GET /app/resident-tax/{fy}/declarations/new`: the form of one
/// declaration (住民税申告).
pub async fn declaration_form(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(year): Path<String>,
) -> Response {
    let (screen, year) = match year_screen(
        &state,
        jar,
        &headers,
        Permission::Tax,
        "resident_tax_declaration_enter",
        None,
        None,
        &year,
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let page = declaration_page(screen.chrome, year, &Typed::new(), BTreeMap::new());
    respond(StatusCode::OK, screen.jar, &page)
}

/// A value written into one CSV field.
fn csv_field(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// The declaration typed as a one-row `income-csv-v1` file (source
/// `declaration`, collection `ordinary`), dates typed in 和暦 converted;
/// a date that cannot be read is put in `errors`.
fn declaration_csv(typed: &Typed, errors: &mut BTreeMap<String, String>) -> String {
    let mut header = vec!["source", "collection", "sex"];
    let mut values = vec![
        "declaration".to_owned(),
        "ordinary".to_owned(),
        typed.get("sex").cloned().unwrap_or_default(),
    ];
    for (name, label, date) in DECLARATION_FIELDS {
        let raw = typed.get(*name).map_or("", |v| v.trim());
        let value = if *date {
            match parse_day(name, label, raw) {
                Ok(day) => day.map_or_else(String::new, |d| d.to_string()),
                Err(e) => {
                    errors.insert((*name).to_owned(), e.message);
                    String::new()
                }
            }
        } else {
            raw.replace([',', '，'], "")
        };
        header.push(name);
        values.push(value);
    }
    format!(
        "{}\n{}\n",
        header.join(","),
        values
            .iter()
            .map(|v| csv_field(v))
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// `POST /app/resident-tax/{fy}/declarations/new`: the declaration read as
/// a row of `income-csv-v1` (each problem next to its column's field) and
/// entered through the storage (matched like a row of a file); the page
/// then says whom it matched, or that it waits in the 突合 queue.
pub async fn enter_declaration(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(year): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let csrf_valid = session::csrf_ok(&jar, posted(&pairs, "csrf"));
    let (mut screen, year) = match year_screen(
        &state,
        jar,
        &headers,
        Permission::Tax,
        "resident_tax_declaration_enter",
        None,
        Some(csrf_valid),
        &year,
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let typed: Typed = pairs.into_iter().filter(|(k, _)| k != "csrf").collect();
    let mut errors = BTreeMap::new();
    let csv = declaration_csv(&typed, &mut errors);
    let record = match parse_income_csv(csv.as_bytes()) {
        Ok(records) if errors.is_empty() => records.into_iter().next(),
        Ok(_) => None,
        Err(problems) => {
            for issue in problems.issues {
                let field = issue.column.unwrap_or_else(|| "form".to_owned());
                errors
                    .entry(field)
                    .or_insert_with(|| issue.problem.message_ja());
            }
            None
        }
    };
    let Some(record) = record else {
        let page = declaration_page(screen.chrome, year, &typed, errors);
        return respond(StatusCode::UNPROCESSABLE_ENTITY, screen.jar, &page);
    };
    match income::enter_record(&screen.tenant, &screen.actor, year, &record).await {
        Ok(entered) => {
            screen.chrome.notice = Some(format!(
                "申告を記録しました（所得情報の番号 {}）。",
                entered.record_id
            ));
            let mut page = declaration_page(screen.chrome, year, &Typed::new(), BTreeMap::new());
            page.entered = Some(match entered.outcome {
                MatchOutcome::Matched(id) => Some(id.get()),
                _ => None,
            });
            respond(StatusCode::OK, screen.jar, &page)
        }
        Err(e) => {
            let message = e.message().text();
            let mut errors = BTreeMap::new();
            errors.insert("form".to_owned(), message);
            let page = declaration_page(screen.chrome, year, &typed, errors);
            respond(StatusCode::UNPROCESSABLE_ENTITY, screen.jar, &page)
        }
    }
}
