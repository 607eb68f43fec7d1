//! The jobs and batches JSON API (contract `jobs-v1`), under
//! `/api/v1/municipalities/{m}`: `GET /jobs/kinds`, `POST /jobs`,
//! `GET /jobs`, `GET /jobs/{job_id}`, `GET /jobs/{job_id}/outputs/{name}`,
//! `POST /jobs/{job_id}/cancel`, `GET/PUT /jobs/plan`; and the outbox
//! consumers: `GET /outbox/consumers` (positions), `GET
//! /outbox/dead-letters`, `POST /outbox/dead-letters/{consumer}/{event_id}/retry`
//! and `…/dismiss`.
//!
//! Who may start or read a job is decided by the job's business
//! ([`permission_of`]): a run of a business the caller's role may not use is
//! refused (403, logged). Every path first goes through [`authorize`]: another
//! municipality's path or job id is a 404, an operator a 403.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kiban_audit::Actor;
use kiban_auth::{Permission, Principal};
use kiban_core::Message;
use kiban_jobs::consumer::{self, Consumer, DeadLetter, DeadLetterError, DeadLetterStatus};
use kiban_jobs::engine::{self, RunFilter, RunInfo, SubmitError};
use kiban_jobs::plan::{self, PlanEntry, PlanError, StoredEntry};
use kiban_jobs::{Kinds, Status};
use kiban_store::TenantDb;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::kit::door::{Target, authorize, refuse};
use crate::kit::session::ApiPrincipal;
use crate::platform::api::json_body;
use crate::{ApiError, AppState};

/// The permission that lets a role start and read the jobs, and follow the
/// consumers, of a business. Registry jobs (and the seal registration's
/// consumer, run by the registry's clerks): `registry_clerk`, `supervisor`,
/// `municipality_admin`.
pub fn permission_of(business: &str) -> Option<Permission> {
    match business {
        "registry" | "seal" => Some(Permission::RegistryJobs),
        _ => None,
    }
}

/// The permission every jobs path needs before the business is known (the
/// one job permission there is so far).
const ANY_JOBS: Permission = Permission::RegistryJobs;

/// Whether `principal` may use the jobs of `business` (in its own
/// municipality, already checked).
pub(crate) fn may_use(principal: &Principal, business: &str) -> bool {
    match (principal.municipality(), permission_of(business)) {
        (Some(own), Some(permission)) => principal.may(own, permission),
        _ => false,
    }
}

async fn tenant_for(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    m: &str,
    operation: &'static str,
) -> Result<(TenantDb, Actor), ApiError> {
    authorize(
        state,
        principal,
        headers,
        m,
        ANY_JOBS,
        Target {
            operation,
            person: None,
        },
    )
    .await
}

/// The JSON of a run (`GET …/jobs/{job_id}`).
pub(crate) fn run_json(run: &RunInfo) -> Value {
    run.to_json()
}

/// A job id of a path; anything else is answered like an unknown id.
fn job_number(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(ApiError::not_found)
}

/// The business of a run's job kind (an unknown kind: none, so refused).
fn business_of<'a>(kinds: &'a Kinds, job: &str) -> &'a str {
    kinds.get(job).map_or("", |k| k.business())
}

/// Loads a run of the caller's municipality and checks its business.
async fn run_for(
    state: &AppState,
    principal: &Principal,
    tenant: &TenantDb,
    actor: &Actor,
    id: &str,
    operation: &'static str,
) -> Result<RunInfo, ApiError> {
    let id = job_number(id)?;
    let run = engine::status(tenant, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !may_use(principal, business_of(&state.kinds, &run.job)) {
        refuse(tenant, actor, None, &format!("{operation} job {id}")).await?;
        return Err(ApiError::forbidden());
    }
    Ok(run)
}

pub(crate) fn submit_error(error: SubmitError) -> ApiError {
    match error {
        SubmitError::UnknownJob(job) => ApiError::invalid("job", Message::UnknownJob { job }),
        SubmitError::Param(e) => ApiError::invalid(
            format!("params.{}", e.field),
            Message::InvalidParam {
                field: e.field.clone(),
                detail: e.message,
            },
        ),
        SubmitError::Store(e) => ApiError::internal(e),
    }
}

/// Reads `{"name": value}` parameters: strings, numbers and booleans are
/// taken as text; anything else names the parameter.
fn params_of(value: Option<&Value>, prefix: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let mut params = BTreeMap::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (name, v) in map {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => {
                        return Err(ApiError::invalid(
                            format!("{prefix}params.{name}"),
                            Message::ParamMustBeString { name: name.clone() },
                        ));
                    }
                };
                params.insert(name.clone(), text);
            }
        }
        Some(_) => {
            return Err(ApiError::invalid(
                format!("{prefix}params"),
                Message::MustBeObject {
                    field: "params".into(),
                },
            ));
        }
    }
    Ok(params)
}

/// `GET …/jobs/kinds`: the job kinds the caller may start.
pub async fn kinds(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(m): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    tenant_for(&state, &principal, &headers, &m, "job_kinds").await?;
    let kinds: Vec<Value> = state
        .kinds
        .iter()
        .filter(|k| may_use(&principal, k.business()))
        .map(kiban_jobs::kind::kind_json)
        .collect();
    Ok(Json(json!({ "kinds": kinds })).into_response())
}

/// `POST …/jobs`: queues a run (202).
pub async fn submit(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(m): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(&state, &principal, &headers, &m, "job_submit").await?;
    let value = json_body(&body)?;
    let job = value
        .get("job")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|j| !j.is_empty())
        .ok_or_else(|| {
            ApiError::invalid(
                "job",
                Message::Required {
                    field: "job".into(),
                },
            )
        })?;
    let params = params_of(value.get("params"), "")?;
    let Some(kind) = state.kinds.get(job) else {
        return Err(submit_error(SubmitError::UnknownJob(job.to_owned())));
    };
    if !may_use(&principal, kind.business()) {
        refuse(&tenant, &actor, None, &format!("job_submit {job}")).await?;
        return Err(ApiError::forbidden());
    }
    let job_id = engine::submit(&tenant, &state.kinds, job, &params, &actor.login)
        .await
        .map_err(submit_error)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"job_id": job_id, "status": Status::Queued.code()})),
    )
        .into_response())
}

/// The query of `GET …/jobs`.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    job: Option<String>,
}

/// `GET …/jobs?status=&job=`: the runs the caller may read, newest first.
pub async fn list(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(m): Path<String>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (tenant, _) = tenant_for(&state, &principal, &headers, &m, "job_list").await?;
    let filter = run_filter(&query)?;
    let runs = engine::list(&tenant, &filter).await?;
    let jobs: Vec<Value> = runs
        .iter()
        .filter(|r| may_use(&principal, business_of(&state.kinds, &r.job)))
        .map(run_json)
        .collect();
    Ok(Json(json!({ "jobs": jobs })).into_response())
}

fn run_filter(query: &ListQuery) -> Result<RunFilter, ApiError> {
    let status = match query.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(
            Status::from_code(code)
                .ok_or_else(|| ApiError::invalid("status", Message::JobStatusUnknown {}))?,
        ),
    };
    Ok(RunFilter {
        status,
        job: query
            .job
            .as_deref()
            .map(str::trim)
            .filter(|j| !j.is_empty())
            .map(str::to_owned),
        limit: Some(500),
    })
}

/// `GET …/jobs/{job_id}`.
pub async fn get(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(&state, &principal, &headers, &m, "job_get").await?;
    let run = run_for(&state, &principal, &tenant, &actor, &id, "job_get").await?;
    Ok(Json(run_json(&run)).into_response())
}

/// `GET …/jobs/{job_id}/outputs/{name}`: the file, access-logged.
pub async fn output(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, id, name)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(&state, &principal, &headers, &m, "job_output").await?;
    let run = run_for(&state, &principal, &tenant, &actor, &id, "job_output").await?;
    let output = engine::read_output(&tenant, &state.kinds, &actor, run.job_id, &name)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(download(run.job_id, output))
}

/// A stored output as a download (`{job_id}-{name}`, the name reduced to
/// safe characters), for the API and the batch console alike.
pub(crate) fn download(job_id: i64, output: engine::StoredOutput) -> Response {
    let filename: String = output
        .info
        .name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    (
        [
            (header::CONTENT_TYPE, output.info.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{job_id}-{filename}\""),
            ),
        ],
        output.content,
    )
        .into_response()
}

/// `POST …/jobs/{job_id}/cancel`: 200 with the status after the request.
pub async fn cancel(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(&state, &principal, &headers, &m, "job_cancel").await?;
    let run = run_for(&state, &principal, &tenant, &actor, &id, "job_cancel").await?;
    let status = engine::cancel(&tenant, run.job_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(json!({"status": status.code()})).into_response())
}

/// The JSON of a stored plan entry.
pub(crate) fn plan_entry_json(entry: &StoredEntry) -> Value {
    json!({
        "job": entry.entry.job,
        "params": entry.entry.params,
        "schedule": entry.entry.schedule,
        "added_at": entry.added_at,
        "last_slot": entry.last_slot,
        "last_job_id": entry.last_job_id,
        "next_slot": entry.next_slot,
    })
}

pub(crate) fn plan_error(error: PlanError) -> ApiError {
    match error {
        PlanError::Invalid { field, message } => ApiError::invalid(
            field.clone(),
            Message::InvalidPlan {
                field,
                detail: message,
            },
        ),
        PlanError::Calendar(e) => ApiError::invalid("plan", e.message()),
        PlanError::Store(e) => ApiError::internal(e),
    }
}

/// `GET …/jobs/plan`.
pub async fn get_plan(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(m): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (tenant, _) = tenant_for(&state, &principal, &headers, &m, "job_plan_get").await?;
    let entries = plan::get(&tenant).await.map_err(plan_error)?;
    let plan: Vec<Value> = entries.iter().map(plan_entry_json).collect();
    Ok(Json(json!({ "plan": plan })).into_response())
}

/// Reads the entries of a plan's JSON body (`{"plan":[…]}`).
pub(crate) fn plan_entries(value: &Value) -> Result<Vec<PlanEntry>, ApiError> {
    let items = value
        .get("plan")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::invalid("plan", Message::PlanMustBeArray {}))?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let prefix = format!("plan[{index}].");
            let text = |field: &str| {
                item.get(field)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        ApiError::invalid(
                            format!("{prefix}{field}"),
                            Message::Required {
                                field: format!("{prefix}{field}"),
                            },
                        )
                    })
            };
            Ok(PlanEntry {
                job: text("job")?,
                params: params_of(item.get("params"), &prefix)?,
                schedule: text("schedule")?,
            })
        })
        .collect()
}

/// `PUT …/jobs/plan`: replaces the plan after checking every entry (422
/// naming the entry and field, plan unchanged).
pub async fn put_plan(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(m): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(&state, &principal, &headers, &m, "job_plan_put").await?;
    let value = json_body(&body)?;
    let entries = plan_entries(&value)?;
    for (index, entry) in entries.iter().enumerate() {
        if let Some(kind) = state.kinds.get(&entry.job)
            && !may_use(&principal, kind.business())
        {
            refuse(
                &tenant,
                &actor,
                None,
                &format!("job_plan_put plan[{index}]"),
            )
            .await?;
            return Err(ApiError::forbidden());
        }
    }
    let stored = plan::put(&tenant, &state.kinds, &entries, &actor)
        .await
        .map_err(plan_error)?;
    let plan: Vec<Value> = stored.iter().map(plan_entry_json).collect();
    Ok(Json(json!({ "plan": plan })).into_response())
}

/// The consumers the caller may follow.
fn visible_consumers(state: &AppState, principal: &Principal) -> Vec<&'static Consumer> {
    state
        .consumers
        .iter()
        .copied()
        .filter(|c| may_use(principal, c.business))
        .collect()
}

/// `GET …/outbox/consumers`: each consumer's position.
pub async fn consumers(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(m): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (tenant, _) = tenant_for(&state, &principal, &headers, &m, "outbox_consumers").await?;
    let visible = visible_consumers(&state, &principal);
    let positions = consumer::positions(&tenant, &visible).await?;
    let list: Vec<Value> = visible
        .iter()
        .zip(&positions)
        .map(|(c, p)| {
            json!({
                "consumer": c.name,
                "label": c.label,
                "business": c.business,
                "event_kinds": c.event_kinds,
                "last_event_id": p.last_event_id,
                "latest_event_id": p.latest_event_id,
                "pending": p.pending,
                "retrying": p.retrying,
                "parked": p.parked,
            })
        })
        .collect();
    Ok(Json(json!({ "consumers": list })).into_response())
}

/// The JSON of a dead letter.
pub(crate) fn dead_letter_json(letter: &DeadLetter) -> Value {
    json!({
        "consumer": letter.consumer,
        "event_id": letter.event_id,
        "event_kind": letter.event_kind,
        "status": letter.status.code(),
        "attempts": letter.attempts,
        "error": letter.error,
        "first_failed_at": letter.first_failed_at,
        "last_failed_at": letter.last_failed_at,
        "parked_at": letter.parked_at,
        "resolved_at": letter.resolved_at,
        "resolved_by": letter.resolved_by,
    })
}

/// The query of `GET …/outbox/dead-letters`.
#[derive(Debug, Default, Deserialize)]
pub struct DeadLetterQuery {
    status: Option<String>,
}

/// `GET …/outbox/dead-letters?status=`: the consumers' failed events.
pub async fn dead_letters(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path(m): Path<String>,
    Query(query): Query<DeadLetterQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (tenant, _) = tenant_for(&state, &principal, &headers, &m, "outbox_dead_letters").await?;
    let status = match query.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(
            DeadLetterStatus::parse(code)
                .ok_or_else(|| ApiError::invalid("status", Message::DeadLetterStatusUnknown {}))?,
        ),
    };
    let visible = visible_consumers(&state, &principal);
    let letters: Vec<Value> = consumer::dead_letters(&tenant, status)
        .await?
        .iter()
        .filter(|l| visible.iter().any(|c| c.name == l.consumer))
        .map(dead_letter_json)
        .collect();
    Ok(Json(json!({ "dead_letters": letters })).into_response())
}

pub(crate) fn dead_letter_error(error: DeadLetterError) -> ApiError {
    match error {
        DeadLetterError::NotFound => ApiError::not_found(),
        DeadLetterError::NotParked(status) => ApiError::of(Message::NotParked {
            status: status.label().to_owned(),
        }),
        DeadLetterError::HandlerFailed(detail) => ApiError::of(Message::RetryFailed { detail }),
        DeadLetterError::Store(e) => ApiError::internal(e),
    }
}

/// Finds a consumer the caller may act for, by the path's name.
async fn consumer_for(
    state: &AppState,
    principal: &Principal,
    tenant: &TenantDb,
    actor: &Actor,
    name: &str,
    operation: &str,
) -> Result<&'static Consumer, ApiError> {
    let consumer = state
        .consumers
        .iter()
        .copied()
        .find(|c| c.name == name)
        .ok_or_else(ApiError::not_found)?;
    if !may_use(principal, consumer.business) {
        refuse(
            tenant,
            actor,
            None,
            &format!("{operation} {}", consumer.name),
        )
        .await?;
        return Err(ApiError::forbidden());
    }
    Ok(consumer)
}

/// `POST …/outbox/dead-letters/{consumer}/{event_id}/retry`: handles a
/// parked event now; 409 with the error when it fails again.
pub async fn retry_dead_letter(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, name, event)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (tenant, actor) =
        tenant_for(&state, &principal, &headers, &m, "outbox_dead_letter_retry").await?;
    let consumer = consumer_for(
        &state,
        &principal,
        &tenant,
        &actor,
        &name,
        "outbox_dead_letter_retry",
    )
    .await?;
    let event_id = job_number(&event)?;
    consumer::retry_dead_letter(&tenant, consumer, event_id, &actor)
        .await
        .map_err(dead_letter_error)?;
    Ok(Json(json!({"status": DeadLetterStatus::Retried.code()})).into_response())
}

/// `POST …/outbox/dead-letters/{consumer}/{event_id}/dismiss`.
pub async fn dismiss_dead_letter(
    State(state): State<AppState>,
    ApiPrincipal(principal): ApiPrincipal,
    Path((m, name, event)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (tenant, actor) = tenant_for(
        &state,
        &principal,
        &headers,
        &m,
        "outbox_dead_letter_dismiss",
    )
    .await?;
    let consumer = consumer_for(
        &state,
        &principal,
        &tenant,
        &actor,
        &name,
        "outbox_dead_letter_dismiss",
    )
    .await?;
    let event_id = job_number(&event)?;
    consumer::dismiss_dead_letter(&tenant, consumer.name, event_id, &actor)
        .await
        .map_err(dead_letter_error)?;
    Ok(Json(json!({"status": DeadLetterStatus::Dismissed.code()})).into_response())
}
