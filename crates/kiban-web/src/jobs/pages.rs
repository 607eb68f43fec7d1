//! The batch console (バッチ管理, `/app/batch`): the runs with a live
//! progress bar, a run's outputs and the subjects it could not process,
//! submission with a confirmation step (確認画面), cancel and resume, the
//! batch plan (view and edit), the outbox consumers' positions and their
//! dead letters (retry, dismiss).
//!
//! It goes through the same doors as the JSON API (`jobs_api`): the same
//! permission by business, the same storage calls, the same access-log
//! entries. The progress bars are refreshed by a small script
//! (`/static/batch.js`) reading `/app/batch/progress`; without it the page
//! still works (reload).

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kiban_auth::Principal;
use kiban_jobs::consumer::{self, DeadLetterStatus};
use kiban_jobs::engine::{self, RunFilter, RunInfo};
use kiban_jobs::plan::{self, PlanEntry};
use kiban_jobs::{Kinds, Status};
use kiban_store::TenantDb;
use serde_json::json;

use crate::jobs::api::{self, may_use};
use crate::kit::display;
use crate::kit::door::{Target, authorize, refuse};
use crate::kit::page::{Chrome, render, staff};
use crate::kit::session;
use crate::{ApiError, AppState};

/// Extra empty rows offered for new plan entries.
const NEW_PLAN_ROWS: usize = 3;

/// A slot name (`2026-12-07T09:00`) as clerks read it.
fn slot_text(slot: &str) -> String {
    slot.parse::<jiff::civil::DateTime>()
        .map_or_else(|_| slot.to_owned(), display::minutes_ja)
}

fn params_text(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn kind_label(kinds: &Kinds, job: &str) -> String {
    kinds
        .get(job)
        .map_or_else(|| job.to_owned(), |k| k.description().to_owned())
}

struct RunRow {
    job_id: i64,
    job: String,
    label: String,
    params: String,
    status: &'static str,
    status_label: &'static str,
    done: u64,
    total: u64,
    percent: u64,
    submitted_by: String,
    submitted_at: String,
    active: bool,
    resumable: bool,
}

fn run_row(kinds: &Kinds, run: &RunInfo) -> RunRow {
    let params: BTreeMap<String, String> = run
        .params
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    RunRow {
        job_id: run.job_id,
        job: run.job.clone(),
        label: kind_label(kinds, &run.job),
        params: params_text(&params),
        status: run.status.code(),
        status_label: run.status.label_ja(),
        done: run.done,
        total: run.total,
        percent: (run.done * 100).checked_div(run.total).unwrap_or(0),
        submitted_by: run.submitted_by.clone(),
        submitted_at: display::stored_timestamp_ja(&run.submitted_at),
        active: matches!(run.status, Status::Queued | Status::Running),
        resumable: matches!(run.status, Status::Failed | Status::Cancelled),
    }
}

struct ParamField {
    name: &'static str,
    kind: &'static str,
    required: bool,
    description: &'static str,
    value: String,
}

struct KindForm {
    job: &'static str,
    description: &'static str,
    params: Vec<ParamField>,
}

struct PlanRow {
    index: usize,
    job: String,
    params: String,
    schedule: String,
    last: String,
    next: String,
}

struct ConsumerRow {
    label: &'static str,
    name: &'static str,
    last_event_id: i64,
    latest_event_id: i64,
    pending: i64,
    retrying: i64,
    parked: i64,
}

struct LetterRow {
    consumer: String,
    event_id: i64,
    event_kind: String,
    status: &'static str,
    status_label: &'static str,
    attempts: i64,
    error: String,
    last_failed_at: String,
    parked: bool,
}

#[derive(Template)]
#[template(path = "jobs/index.html")]
struct BatchIndex {
    chrome: Chrome,
    error: Option<String>,
    error_field: String,
    notice: Option<String>,
    runs: Vec<RunRow>,
    kinds: Vec<KindForm>,
    plan: Vec<PlanRow>,
    job_names: Vec<&'static str>,
    consumers: Vec<ConsumerRow>,
    letters: Vec<LetterRow>,
}

#[derive(Template)]
#[template(path = "jobs/confirm.html")]
struct BatchConfirm {
    chrome: Chrome,
    job: String,
    label: String,
    params: Vec<(String, String)>,
}

struct OutputRow {
    name: String,
    content_type: String,
    bytes: u64,
    rows: String,
    sha256: String,
}

struct ErrorRow {
    subject: String,
    code: String,
    message: String,
}

#[derive(Template)]
#[template(path = "jobs/job.html")]
struct BatchJob {
    chrome: Chrome,
    notice: Option<String>,
    run: RunRow,
    started_at: String,
    finished_at: String,
    failure: Option<String>,
    outputs: Vec<OutputRow>,
    errors: Vec<ErrorRow>,
}

async fn tenant_for(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    chrome: &Chrome,
    operation: &'static str,
) -> Result<(TenantDb, kiban_audit::Actor), ApiError> {
    authorize(
        state,
        principal,
        headers,
        &chrome.municipality_code,
        kiban_auth::Permission::Jobs,
        Target {
            operation,
            person: None,
        },
    )
    .await
}

/// What an index page shows besides its data: a message, the field it is
/// about, the plan rows as typed (after a refused edit).
#[derive(Default)]
struct IndexState {
    error: Option<String>,
    error_field: String,
    notice: Option<String>,
    typed_plan: Option<Vec<PlanRow>>,
    typed_params: BTreeMap<String, String>,
}

#[expect(clippy::too_many_arguments, reason = "one screen's parts")]
async fn index_page(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    chrome: Chrome,
    page_state: IndexState,
    status: StatusCode,
    jar: CookieJar,
    operation: &'static str,
) -> Result<Response, ApiError> {
    let (tenant, _) = tenant_for(state, principal, headers, &chrome, operation).await?;
    let runs: Vec<RunRow> = engine::list(
        &tenant,
        &RunFilter {
            limit: Some(50),
            ..RunFilter::default()
        },
    )
    .await?
    .iter()
    .filter(|r| {
        may_use(
            principal,
            state.kinds.get(&r.job).map_or("", |k| k.business()),
        )
    })
    .map(|r| run_row(&state.kinds, r))
    .collect();
    let kinds: Vec<KindForm> = state
        .kinds
        .iter()
        .filter(|k| may_use(principal, k.business()))
        .map(|k| KindForm {
            job: k.name(),
            description: k.description(),
            params: k
                .params()
                .iter()
                .map(|p| ParamField {
                    name: p.name,
                    kind: p.kind.code(),
                    required: p.required,
                    description: p.description,
                    value: page_state
                        .typed_params
                        .get(&format!("{}.{}", k.name(), p.name))
                        .cloned()
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let job_names = kinds.iter().map(|k| k.job).collect();
    let plan = match page_state.typed_plan {
        Some(rows) => rows,
        None => {
            let mut rows: Vec<PlanRow> = plan::get(&tenant)
                .await
                .map_err(api::plan_error)?
                .iter()
                .enumerate()
                .map(|(index, e)| PlanRow {
                    index,
                    job: e.entry.job.clone(),
                    params: params_text(&e.entry.params),
                    schedule: e.entry.schedule.clone(),
                    last: e.last_slot.as_deref().map_or_else(String::new, |s| {
                        let run = e
                            .last_job_id
                            .map_or_else(String::new, |id| format!("（{id}）"));
                        format!("{}{run}", slot_text(s))
                    }),
                    next: e.next_slot.as_deref().map_or_else(String::new, slot_text),
                })
                .collect();
            let start = rows.len();
            rows.extend((start..start + NEW_PLAN_ROWS).map(|index| PlanRow {
                index,
                job: String::new(),
                params: String::new(),
                schedule: String::new(),
                last: String::new(),
                next: String::new(),
            }));
            rows
        }
    };
    let visible: Vec<&'static kiban_jobs::consumer::Consumer> = state
        .consumers
        .iter()
        .copied()
        .filter(|c| may_use(principal, c.business))
        .collect();
    let positions = consumer::positions(&tenant, &visible).await?;
    let consumers = visible
        .iter()
        .zip(&positions)
        .map(|(c, p)| ConsumerRow {
            label: c.label,
            name: c.name,
            last_event_id: p.last_event_id,
            latest_event_id: p.latest_event_id,
            pending: p.pending,
            retrying: p.retrying,
            parked: p.parked,
        })
        .collect();
    let letters = consumer::dead_letters(&tenant, None)
        .await?
        .into_iter()
        .filter(|l| visible.iter().any(|c| c.name == l.consumer))
        .take(100)
        .map(|l| LetterRow {
            parked: l.status == DeadLetterStatus::Parked,
            consumer: l.consumer,
            event_id: l.event_id,
            event_kind: l.event_kind,
            status: l.status.code(),
            status_label: l.status.label(),
            attempts: l.attempts,
            error: l.error,
            last_failed_at: display::stored_timestamp_ja(&l.last_failed_at),
        })
        .collect();
    let page = BatchIndex {
        chrome,
        error: page_state.error,
        error_field: page_state.error_field,
        notice: page_state.notice,
        runs,
        kinds,
        plan,
        job_names,
        consumers,
        letters,
    };
    Ok((status, jar, render(&page)?).into_response())
}

macro_rules! staff_or_return {
    ($state:expr, $jar:expr) => {
        match staff(&$state, $jar).await {
            Ok(found) => found.into_parts(),
            Err(response) => return Ok(response),
        }
    };
}

/// `GET /app/batch`.
pub async fn index(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (principal, chrome, jar) = staff_or_return!(state, jar);
    index_page(
        &state,
        &principal,
        &headers,
        chrome,
        IndexState::default(),
        StatusCode::OK,
        jar,
        "batch_console",
    )
    .await
}

/// The fields of a posted form, in order.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a Fields, name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn check_csrf(jar: &CookieJar, fields: &Fields) -> Result<(), ApiError> {
    if session::csrf_ok(jar, field(fields, "csrf")) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// The parameters of a submission form (`param.NAME` fields, empty ones
/// left out).
fn submitted_params(fields: &Fields) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix("param.")?;
            let value = v.trim();
            (!value.is_empty()).then(|| (name.to_owned(), value.to_owned()))
        })
        .collect()
}

/// Shows the index again with an error about a submission.
#[expect(clippy::too_many_arguments, reason = "one screen's parts")]
async fn refused_submission(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    chrome: Chrome,
    jar: CookieJar,
    job: &str,
    params: &BTreeMap<String, String>,
    error: ApiError,
) -> Result<Response, ApiError> {
    if error.status != StatusCode::UNPROCESSABLE_ENTITY {
        return Err(error);
    }
    let typed_params = params
        .iter()
        .map(|(k, v)| (format!("{job}.{k}"), v.clone()))
        .collect();
    let field = error.field.as_deref().map_or_else(String::new, |f| {
        format!("{job}.{}", f.trim_start_matches("params."))
    });
    index_page(
        state,
        principal,
        headers,
        chrome,
        IndexState {
            error: Some(error.message),
            error_field: field,
            typed_params,
            ..IndexState::default()
        },
        StatusCode::UNPROCESSABLE_ENTITY,
        jar,
        "batch_submit",
    )
    .await
}

/// `POST /app/batch/confirm`: the confirmation step (確認画面) of a
/// submission; the parameters are checked first.
pub async fn confirm(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, ApiError> {
    check_csrf(&jar, &fields)?;
    let (principal, chrome, jar) = staff_or_return!(state, jar);
    let (tenant, actor) = tenant_for(&state, &principal, &headers, &chrome, "batch_submit").await?;
    let job = field(&fields, "job").to_owned();
    let params = submitted_params(&fields);
    let Some(kind) = state.kinds.get(&job) else {
        let error = api::submit_error(kiban_jobs::SubmitError::UnknownJob(job.clone()));
        return refused_submission(
            &state, &principal, &headers, chrome, jar, &job, &params, error,
        )
        .await;
    };
    if !may_use(&principal, kind.business()) {
        refuse(&tenant, &actor, None, &format!("batch_submit {job}")).await?;
        return Err(ApiError::forbidden());
    }
    let checked = match engine::check_params(&state.kinds, &job, &params) {
        Ok(checked) => checked,
        Err(e) => {
            let error = api::submit_error(e);
            return refused_submission(
                &state, &principal, &headers, chrome, jar, &job, &params, error,
            )
            .await;
        }
    };
    let page = BatchConfirm {
        chrome,
        label: kind.description().to_owned(),
        job,
        params: checked
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    };
    Ok((jar, render(&page)?).into_response())
}

/// `POST /app/batch/submit`: queues the confirmed run and shows it.
pub async fn submit(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, ApiError> {
    check_csrf(&jar, &fields)?;
    let (principal, chrome, jar) = staff_or_return!(state, jar);
    let (tenant, actor) = tenant_for(&state, &principal, &headers, &chrome, "batch_submit").await?;
    let job = field(&fields, "job").to_owned();
    let params = submitted_params(&fields);
    let business = state.kinds.get(&job).map_or("", |k| k.business());
    if !business.is_empty() && !may_use(&principal, business) {
        refuse(&tenant, &actor, None, &format!("batch_submit {job}")).await?;
        return Err(ApiError::forbidden());
    }
    match engine::submit(&tenant, &state.kinds, &job, &params, &actor.login).await {
        Ok(job_id) => Ok((jar, Redirect::to(&format!("/app/batch/jobs/{job_id}"))).into_response()),
        Err(e) => {
            let error = api::submit_error(e);
            refused_submission(
                &state, &principal, &headers, chrome, jar, &job, &params, error,
            )
            .await
        }
    }
}

fn job_number(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(ApiError::not_found)
}

async fn run_for(
    state: &AppState,
    principal: &Principal,
    tenant: &TenantDb,
    actor: &kiban_audit::Actor,
    id: &str,
    operation: &'static str,
) -> Result<RunInfo, ApiError> {
    let id = job_number(id)?;
    let run = engine::status(tenant, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let business = state.kinds.get(&run.job).map_or("", |k| k.business());
    if !may_use(principal, business) {
        refuse(tenant, actor, None, &format!("{operation} job {id}")).await?;
        return Err(ApiError::forbidden());
    }
    Ok(run)
}

async fn job_page(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    chrome: Chrome,
    id: &str,
    notice: Option<String>,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(state, principal, headers, &chrome, "batch_job").await?;
    let run = run_for(state, principal, &tenant, &actor, id, "batch_job").await?;
    let page = BatchJob {
        chrome,
        notice,
        started_at: run
            .started_at
            .as_deref()
            .map_or_else(String::new, display::stored_timestamp_ja),
        finished_at: run
            .finished_at
            .as_deref()
            .map_or_else(String::new, display::stored_timestamp_ja),
        failure: run.error.clone().filter(|_| run.status == Status::Failed),
        outputs: run
            .outputs
            .iter()
            .map(|o| OutputRow {
                name: o.name.clone(),
                content_type: o.content_type.clone(),
                bytes: o.bytes,
                rows: o.rows.map_or_else(String::new, |r| r.to_string()),
                sha256: o.sha256.clone(),
            })
            .collect(),
        errors: run
            .errors
            .iter()
            .map(|e| ErrorRow {
                subject: e.subject.clone(),
                code: e.code.clone(),
                message: e.message.clone(),
            })
            .collect(),
        run: run_row(&state.kinds, &run),
    };
    Ok((jar, render(&page)?).into_response())
}

/// `GET /app/batch/jobs/{job_id}`: one run, its outputs and errors.
pub async fn job(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (principal, chrome, jar) = staff_or_return!(state, jar);
    job_page(&state, &principal, &headers, chrome, &id, None, jar).await
}

/// `GET /app/batch/jobs/{job_id}/outputs/{name}`: downloads an output
/// (access-logged by the engine).
pub async fn output(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (principal, chrome, _jar) = staff_or_return!(state, jar);
    let (tenant, actor) = tenant_for(&state, &principal, &headers, &chrome, "batch_output").await?;
    let run = run_for(&state, &principal, &tenant, &actor, &id, "batch_output").await?;
    let output = engine::read_output(&tenant, &state.kinds, &actor, run.job_id, &name)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(api::download(run.job_id, output))
}

/// `POST /app/batch/jobs/{job_id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, ApiError> {
    check_csrf(&jar, &fields)?;
    let (principal, chrome, jar) = staff_or_return!(state, jar);
    let (tenant, actor) = tenant_for(&state, &principal, &headers, &chrome, "batch_cancel").await?;
    let run = run_for(&state, &principal, &tenant, &actor, &id, "batch_cancel").await?;
    let status = engine::cancel(&tenant, run.job_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let notice = format!("ジョブ {} は「{}」です。", run.job_id, status.label_ja());
    job_page(&state, &principal, &headers, chrome, &id, Some(notice), jar).await
}

/// `POST /app/batch/jobs/{job_id}/resume`: runs the job again with the same
/// parameters (an unfinished run of them is resumed instead of starting
/// another).
pub async fn resume(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, ApiError> {
    check_csrf(&jar, &fields)?;
    let (principal, chrome, jar) = staff_or_return!(state, jar);
    let (tenant, actor) = tenant_for(&state, &principal, &headers, &chrome, "batch_resume").await?;
    let run = run_for(&state, &principal, &tenant, &actor, &id, "batch_resume").await?;
    let params: BTreeMap<String, String> = run
        .params
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let (job_id, _) =
        engine::submit_or_resume(&tenant, &state.kinds, &run.job, &params, &actor.login)
            .await
            .map_err(api::submit_error)?;
    Ok((jar, Redirect::to(&format!("/app/batch/jobs/{job_id}"))).into_response())
}

/// `GET /app/batch/progress`: the progress of the recent runs, for the
/// page's script.
pub async fn progress(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (principal, chrome, _jar) = staff_or_return!(state, jar);
    let (tenant, _) = tenant_for(&state, &principal, &headers, &chrome, "batch_progress").await?;
    let runs = engine::list(
        &tenant,
        &RunFilter {
            limit: Some(50),
            ..RunFilter::default()
        },
    )
    .await?;
    let jobs: Vec<serde_json::Value> = runs
        .iter()
        .filter(|r| {
            may_use(
                &principal,
                state.kinds.get(&r.job).map_or("", |k| k.business()),
            )
        })
        .map(|r| {
            json!({
                "job_id": r.job_id,
                "status": r.status.code(),
                "status_label": r.status.label_ja(),
                "done": r.done,
                "total": r.total,
            })
        })
        .collect();
    Ok(Json(json!({ "jobs": jobs })).into_response())
}

/// Reads `name=value name=value` (spaces or commas between pairs).
fn parse_params_text(
    text: &str,
    index: usize,
) -> Result<BTreeMap<String, String>, (String, String)> {
    let mut params = BTreeMap::new();
    for pair in text
        .split([' ', ',', '　'])
        .filter(|p| !p.trim().is_empty())
    {
        let Some((name, value)) = pair.split_once('=') else {
            return Err((
                format!("plan[{index}].params"),
                format!("パラメータ「{pair}」は 名前=値 の形で入力してください"),
            ));
        };
        params.insert(name.trim().to_owned(), value.trim().to_owned());
    }
    Ok(params)
}

/// `POST /app/batch/plan`: replaces the plan with the rows typed (a row
/// without a job is left out); a refused plan is shown again as typed.
pub async fn save_plan(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, ApiError> {
    check_csrf(&jar, &fields)?;
    let (principal, chrome, jar) = staff_or_return!(state, jar);
    let (tenant, actor) = tenant_for(&state, &principal, &headers, &chrome, "batch_plan").await?;
    let mut typed = Vec::new();
    let mut index = 0;
    while fields
        .iter()
        .any(|(k, _)| k == &format!("plan_job_{index}"))
    {
        typed.push(PlanRow {
            index,
            job: field(&fields, &format!("plan_job_{index}"))
                .trim()
                .to_owned(),
            params: field(&fields, &format!("plan_params_{index}"))
                .trim()
                .to_owned(),
            schedule: field(&fields, &format!("plan_schedule_{index}"))
                .trim()
                .to_owned(),
            last: String::new(),
            next: String::new(),
        });
        index += 1;
    }
    let kept: Vec<&PlanRow> = typed.iter().filter(|r| !r.job.is_empty()).collect();
    let mut entries = Vec::with_capacity(kept.len());
    let mut problem = None;
    for (position, row) in kept.iter().enumerate() {
        match parse_params_text(&row.params, position) {
            Ok(params) => entries.push(PlanEntry {
                job: row.job.clone(),
                params,
                schedule: row.schedule.clone(),
            }),
            Err(p) => {
                problem = Some(p);
                break;
            }
        }
    }
    for (position, entry) in entries.iter().enumerate() {
        if let Some(kind) = state.kinds.get(&entry.job)
            && !may_use(&principal, kind.business())
        {
            refuse(
                &tenant,
                &actor,
                None,
                &format!("batch_plan plan[{position}]"),
            )
            .await?;
            return Err(ApiError::forbidden());
        }
    }
    if problem.is_none() {
        match plan::put(&tenant, &state.kinds, &entries, &actor).await {
            Ok(_) => {
                return index_page(
                    &state,
                    &principal,
                    &headers,
                    chrome,
                    IndexState {
                        notice: Some(format!("計画を保存しました（{}件）。", entries.len())),
                        ..IndexState::default()
                    },
                    StatusCode::OK,
                    jar,
                    "batch_plan",
                )
                .await;
            }
            Err(e) => {
                let error = api::plan_error(e);
                if error.status != StatusCode::UNPROCESSABLE_ENTITY {
                    return Err(error);
                }
                problem = Some((error.field.unwrap_or_default(), error.message));
            }
        }
    }
    let (field_name, message) = problem.unwrap_or_default();
    // Entries are numbered without the empty rows; the typed rows keep
    // their own numbers: point the field at the typed row.
    let typed_field = field_name
        .strip_prefix("plan[")
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(n, rest)| {
            let n: usize = n.parse().ok()?;
            let row = kept.get(n)?;
            Some(format!(
                "plan_{}_{}",
                rest.trim_start_matches('.').split('.').next()?,
                row.index
            ))
        })
        .unwrap_or_default();
    index_page(
        &state,
        &principal,
        &headers,
        chrome,
        IndexState {
            error: Some(message),
            error_field: typed_field,
            typed_plan: Some(typed),
            ..IndexState::default()
        },
        StatusCode::UNPROCESSABLE_ENTITY,
        jar,
        "batch_plan",
    )
    .await
}

/// `POST /app/batch/dead-letters/{action}` (`retry` or `dismiss`), with the
/// consumer and event id in the form.
pub async fn dead_letter(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(action): Path<String>,
    Form(fields): Form<Fields>,
) -> Result<Response, ApiError> {
    check_csrf(&jar, &fields)?;
    let (principal, chrome, jar) = staff_or_return!(state, jar);
    let (tenant, actor) =
        tenant_for(&state, &principal, &headers, &chrome, "batch_dead_letter").await?;
    let name = field(&fields, "consumer");
    let consumer = state
        .consumers
        .iter()
        .copied()
        .find(|c| c.name == name)
        .ok_or_else(ApiError::not_found)?;
    if !may_use(&principal, consumer.business) {
        refuse(&tenant, &actor, None, &format!("batch_dead_letter {name}")).await?;
        return Err(ApiError::forbidden());
    }
    let event_id = job_number(field(&fields, "event_id"))?;
    let outcome = match action.as_str() {
        "retry" => consumer::retry_dead_letter(&tenant, consumer, event_id, &actor)
            .await
            .map(|()| format!("イベント {event_id} を再処理しました。")),
        "dismiss" => consumer::dismiss_dead_letter(&tenant, consumer.name, event_id, &actor)
            .await
            .map(|()| format!("イベント {event_id} を対応不要にしました。")),
        _ => return Err(ApiError::not_found()),
    };
    let (page_state, status) = match outcome {
        Ok(notice) => (
            IndexState {
                notice: Some(notice),
                ..IndexState::default()
            },
            StatusCode::OK,
        ),
        Err(e) => {
            let error = api::dead_letter_error(e);
            if error.status != StatusCode::CONFLICT {
                return Err(error);
            }
            (
                IndexState {
                    error: Some(error.message),
                    ..IndexState::default()
                },
                StatusCode::CONFLICT,
            )
        }
    };
    index_page(
        &state,
        &principal,
        &headers,
        chrome,
        page_state,
        status,
        jar,
        "batch_dead_letter",
    )
    .await
}

/// `GET /static/batch.js`: the progress bars' refresh.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/batch.js"),
    )
        .into_response()
}
