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
use axum::extract::{Path, State};

use crate::kit::query::Query;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kiban_audit::Actor;
use kiban_auth::{Permission, Principal};
use kiban_core::Message;
use kiban_jobs::consumer::{self, Consumer, DeadLetter, DeadLetterError, DeadLetterStatus};
use kiban_jobs::engine::{self, RunFilter, RunInfo, SubmitError};
use kiban_jobs::plan::{self, PlanEntry, PlanError, StoredEntry};
use kiban_jobs::{Kinds, Status};
use kiban_store::TenantDb;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::kit::door::{Door, refuse};
use crate::openapi::{Access, Operation, Reply, Route};
use crate::platform::api::json_body;
use crate::{ApiError, AppState};

/// The operations of jobs, batches and the outbox consumers.
pub(crate) fn operations() -> Vec<Route> {
    let jobs = Access::Tenant(ANY_JOBS);
    vec![
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/jobs/kinds",
            "listJobKinds",
            "実行できるジョブの種類とパラメータを読む",
            "jobs",
            jobs,
        )
        .json::<JobKinds>(200)
        .logged_as("job_kinds")
        .to(kinds),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/jobs",
            "submitJob",
            "ジョブの実行を依頼する（受付のみ。実行はワーカー）",
            "jobs",
            jobs,
        )
        .body::<SubmitJobRequest>()
        .json::<JobSubmitted>(202)
        .logged_as("job_submit")
        .to(submit),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/jobs",
            "listJobs",
            "ジョブの実行の一覧（新しい順、status・job で絞り込み）",
            "jobs",
            jobs,
        )
        .query::<ListQuery>()
        .json::<JobList>(200)
        .logged_as("job_list")
        .to(list),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/jobs/plan",
            "getJobPlan",
            "バッチ計画（年間・月間・日次）を読む",
            "jobs",
            jobs,
        )
        .json::<JobPlan>(200)
        .logged_as("job_plan_get")
        .to(get_plan),
        Operation::new(
            "put",
            "/api/v1/municipalities/{m}/jobs/plan",
            "putJobPlan",
            "バッチ計画を置き換える（全件を検査し、誤りがあれば変更しない）",
            "jobs",
            jobs,
        )
        .body::<JobPlanRequest>()
        .json::<JobPlan>(200)
        .logged_as("job_plan_put")
        .to(put_plan),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/jobs/{job_id}",
            "getJob",
            "ジョブの状態・進捗・出力・対象ごとのエラーを読む",
            "jobs",
            jobs,
        )
        .json::<JobView>(200)
        .logged_as("job_get")
        .to(get),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/jobs/{job_id}/outputs/{name}",
            "getJobOutput",
            "ジョブの出力ファイルを取得する（利用履歴に記録）",
            "jobs",
            jobs,
        )
        .reply(
            200,
            Reply::File(
                &["text/csv", "application/pdf", "application/octet-stream"],
                "出力ファイル（CSV・PDF など）",
            ),
        )
        .logged_as("job_output")
        .to(output),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/jobs/{job_id}/cancel",
            "cancelJob",
            "ジョブを取り消す（処理中の分割が終わった後）",
            "jobs",
            jobs,
        )
        .json::<JobCancelled>(200)
        .logged_as("job_cancel")
        .to(cancel),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/outbox/consumers",
            "listOutboxConsumers",
            "庁内連携の連携先ごとの処理位置を読む",
            "outbox",
            jobs,
        )
        .json::<OutboxConsumers>(200)
        .logged_as("outbox_consumers")
        .to(consumers),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/outbox/dead-letters",
            "listOutboxDeadLetters",
            "庁内連携で処理できなかったイベントの一覧",
            "outbox",
            jobs,
        )
        .query::<DeadLetterQuery>()
        .json::<DeadLetters>(200)
        .logged_as("outbox_dead_letters")
        .to(dead_letters),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/outbox/dead-letters/{consumer}/{event_id}/retry",
            "retryOutboxDeadLetter",
            "保留中のイベントを再処理する",
            "outbox",
            jobs,
        )
        .json::<DeadLetterResolved>(200)
        .errors(&[409])
        .logged_as("outbox_dead_letter_retry")
        .to(retry_dead_letter),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/outbox/dead-letters/{consumer}/{event_id}/dismiss",
            "dismissOutboxDeadLetter",
            "保留中のイベントを対応不要にする",
            "outbox",
            jobs,
        )
        .json::<DeadLetterResolved>(200)
        .errors(&[409])
        .logged_as("outbox_dead_letter_dismiss")
        .to(dismiss_dead_letter),
    ]
}

/// The job kinds the caller may start.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobKinds {
    /// Each kind.
    pub kinds: Vec<JobKindView>,
}

/// A job kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobKindView {
    /// Its name (`population-statistics`).
    #[schema(example = "population-statistics")]
    pub job: String,
    /// The business it belongs to (`registry`).
    pub business: String,
    /// What it does (Japanese).
    pub description: String,
    /// Whether its outputs carry personal data.
    pub personal_data: bool,
    /// Its parameters.
    pub params: Vec<JobParamView>,
}

/// A parameter of a job kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobParamView {
    /// Its name.
    #[schema(example = "as_of")]
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    #[schema(schema_with = job_param_type)]
    pub kind: String,
    /// Whether it must be given.
    pub required: bool,
    /// What it is (Japanese).
    pub description: String,
}

fn job_param_type() -> utoipa::openapi::Object {
    use kiban_jobs::ParamType as T;
    crate::kit::wire::codes([T::Date, T::FiscalYear, T::Text, T::Int].map(T::code))
}

/// The body of `POST …/jobs`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"job": "population-statistics", "params": {"as_of": "2026-12-01"}}))]
pub struct SubmitJobRequest {
    /// The job kind.
    #[schema(example = "population-statistics")]
    pub job: String,
    /// Its parameters (strings, numbers and booleans are read as text).
    pub params: Option<BTreeMap<String, String>>,
}

/// A queued run.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"job_id": 7, "status": "queued"}))]
pub struct JobSubmitted {
    /// The job id (per municipality).
    pub job_id: i64,
    /// Always `queued`.
    #[schema(schema_with = crate::kit::wire::job_status)]
    pub status: String,
}

/// The runs the caller may read, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    /// At most 500 runs.
    pub jobs: Vec<JobView>,
}

/// A run of a job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    /// The job id (per municipality).
    pub job_id: i64,
    /// The job kind.
    #[schema(example = "population-statistics")]
    pub job: String,
    /// The parameters.
    pub params: BTreeMap<String, String>,
    /// The state.
    #[schema(schema_with = crate::kit::wire::job_status)]
    pub status: String,
    /// How far it is.
    pub progress: JobProgress,
    /// Who submitted it.
    pub submitted_by: String,
    /// When (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub submitted_at: String,
    /// When it was planned.
    #[schema(format = DateTime, required = true)]
    pub started_at: Option<String>,
    /// When it ended.
    #[schema(format = DateTime, required = true)]
    pub finished_at: Option<String>,
    /// Why it failed (or the last failure being retried).
    #[schema(required = true)]
    pub error: Option<String>,
    /// Its outputs (when succeeded).
    pub outputs: Vec<JobOutputView>,
    /// The subjects that could not be processed.
    pub errors: Vec<JobSubjectError>,
}

/// The progress of a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobProgress {
    /// Subjects done.
    pub done: u64,
    /// Subjects planned.
    pub total: u64,
    /// Chunks done.
    pub chunks_done: u64,
    /// Chunks planned.
    pub chunks_total: u64,
}

/// An output of a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobOutputView {
    /// Its file name.
    #[schema(example = "population.csv")]
    pub name: String,
    /// Its media type.
    #[schema(example = "text/csv")]
    pub content_type: String,
    /// SHA-256 of its content (hex).
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// Its rows (CSV).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Its pages (PDF).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<u64>,
}

/// A subject a run could not process.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobSubjectError {
    /// The subject (a person id, …).
    pub subject: String,
    /// A stable code.
    pub code: String,
    /// What went wrong (Japanese).
    pub message: String,
}

/// The state of a run after a cancel.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "cancelled"}))]
pub struct JobCancelled {
    /// The state.
    #[schema(schema_with = crate::kit::wire::job_status)]
    pub status: String,
}

/// The batch plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobPlan {
    /// Its entries.
    pub plan: Vec<JobPlanEntryView>,
}

/// An entry of the batch plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobPlanEntryView {
    /// The job kind.
    pub job: String,
    /// Its parameters.
    pub params: BTreeMap<String, String>,
    /// When it runs (`yearly:MM-DD`, `monthly:DD`, `daily`).
    #[schema(example = "monthly:01")]
    pub schedule: String,
    /// When it was added (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub added_at: String,
    /// The last slot it ran for.
    #[schema(required = true)]
    pub last_slot: Option<String>,
    /// The run of that slot.
    #[schema(required = true)]
    pub last_job_id: Option<i64>,
    /// The next slot.
    #[schema(required = true)]
    pub next_slot: Option<String>,
}

/// The body of `PUT …/jobs/plan`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"plan": [{"job": "population-statistics", "params": {"as_of": "2026-12-01"},
                                    "schedule": "monthly:01"}]}))]
pub struct JobPlanRequest {
    /// The whole plan.
    pub plan: Vec<JobPlanEntryInput>,
}

/// An entry of a plan given.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
pub struct JobPlanEntryInput {
    /// The job kind.
    pub job: String,
    /// Its parameters.
    pub params: Option<BTreeMap<String, String>>,
    /// When it runs (`yearly:MM-DD`, `monthly:DD`, `daily`).
    #[schema(example = "monthly:01")]
    pub schedule: String,
}

/// The outbox consumers the caller may follow.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxConsumers {
    /// Each consumer with its position.
    pub consumers: Vec<OutboxConsumerView>,
}

/// A consumer's position in the outbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxConsumerView {
    /// Its name.
    #[schema(example = "seal_registration")]
    pub consumer: String,
    /// What it is (Japanese).
    pub label: String,
    /// Its business.
    pub business: String,
    /// The event kinds it handles.
    pub event_kinds: Vec<String>,
    /// The last event handled.
    pub last_event_id: i64,
    /// The latest event in the outbox.
    pub latest_event_id: i64,
    /// Events still to handle.
    pub pending: i64,
    /// Failed events being retried.
    pub retrying: i64,
    /// Failed events parked for a clerk.
    pub parked: i64,
}

/// The consumers' failed events.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetters {
    /// Each failed event.
    pub dead_letters: Vec<DeadLetterView>,
}

/// An event a consumer could not handle.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetterView {
    /// The consumer.
    pub consumer: String,
    /// The event.
    pub event_id: i64,
    /// Its kind.
    pub event_kind: String,
    /// The state.
    #[schema(schema_with = crate::kit::wire::dead_letter_status)]
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The last error.
    pub error: String,
    /// First failure (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub first_failed_at: String,
    /// Last failure.
    #[schema(format = DateTime)]
    pub last_failed_at: String,
    /// When it was parked.
    #[schema(format = DateTime, required = true)]
    pub parked_at: Option<String>,
    /// When a clerk resolved it.
    #[schema(format = DateTime, required = true)]
    pub resolved_at: Option<String>,
    /// Who resolved it.
    #[schema(required = true)]
    pub resolved_by: Option<String>,
}

/// A dead letter's state after a clerk's action.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "retried"}))]
pub struct DeadLetterResolved {
    /// `retried` or `dismissed`.
    #[schema(schema_with = crate::kit::wire::dead_letter_status)]
    pub status: String,
}

/// The permission that lets a role start and read the jobs, and follow the
/// consumers, of a business. Registry jobs (and the seal registration's
/// consumer, run by the registry's clerks): `registry_clerk`, `supervisor`,
/// `municipality_admin`.
pub fn permission_of(business: &str) -> Option<Permission> {
    match business {
        "registry" | "seal" | "addressee" => Some(Permission::RegistryJobs),
        "resident_tax" | "collection" => Some(Permission::Tax),
        _ => None,
    }
}

/// The permission every jobs path needs before the business is known;
/// [`may_use`] then decides per business.
const ANY_JOBS: Permission = Permission::Jobs;

/// Whether `principal` may use the jobs of `business` (in its own
/// municipality, already checked).
pub(crate) fn may_use(principal: &Principal, business: &str) -> bool {
    match (principal.municipality(), permission_of(business)) {
        (Some(own), Some(permission)) => principal.may(own, permission),
        _ => false,
    }
}

/// The JSON of a run (`GET …/jobs/{job_id}`).
pub(crate) fn run_json(run: &RunInfo) -> JobView {
    JobView {
        job_id: run.job_id,
        job: run.job.clone(),
        params: run
            .params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        status: run.status.code().to_owned(),
        progress: JobProgress {
            done: run.done,
            total: run.total,
            chunks_done: run.chunks_done,
            chunks_total: run.chunks_total,
        },
        submitted_by: run.submitted_by.clone(),
        submitted_at: run.submitted_at.clone(),
        started_at: run.started_at.clone(),
        finished_at: run.finished_at.clone(),
        error: run.error.clone(),
        outputs: run
            .outputs
            .iter()
            .map(|o| JobOutputView {
                name: o.name.clone(),
                content_type: o.content_type.clone(),
                sha256: o.sha256.clone(),
                bytes: o.bytes,
                rows: o.rows,
                pages: o.pages,
            })
            .collect(),
        errors: run
            .errors
            .iter()
            .map(|e| JobSubjectError {
                subject: e.subject.clone(),
                code: e.code.clone(),
                message: e.message.clone(),
            })
            .collect(),
    }
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
                detail: e.message.text(),
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
pub async fn kinds(State(state): State<AppState>, door: Door) -> Result<Response, ApiError> {
    let Door { principal, .. } = door;
    let kinds = state
        .kinds
        .iter()
        .filter(|k| may_use(&principal, k.business()))
        .map(|k| JobKindView {
            job: k.name().to_owned(),
            business: k.business().to_owned(),
            description: k.description().to_owned(),
            personal_data: k.personal_data(),
            params: k
                .params()
                .iter()
                .map(|p| JobParamView {
                    name: p.name.to_owned(),
                    kind: p.kind.code().to_owned(),
                    required: p.required,
                    description: p.description.to_owned(),
                })
                .collect(),
        })
        .collect();
    Ok(Json(JobKinds { kinds }).into_response())
}

/// `POST …/jobs`: queues a run (202).
pub async fn submit(
    State(state): State<AppState>,
    door: Door,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
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
        Json(JobSubmitted {
            job_id,
            status: Status::Queued.code().to_owned(),
        }),
    )
        .into_response())
}

/// The query of `GET …/jobs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only runs in this state (`queued`, `running`, `succeeded`, `failed`,
    /// `cancelled`).
    #[param(example = "succeeded")]
    status: Option<String>,
    /// Only runs of this job kind.
    #[param(example = "population-statistics")]
    job: Option<String>,
}

/// `GET …/jobs?status=&job=`: the runs the caller may read, newest first.
pub async fn list(
    State(state): State<AppState>,
    door: Door,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let Door {
        tenant, principal, ..
    } = door;
    let filter = run_filter(&query)?;
    let runs = engine::list(&tenant, &filter).await?;
    let jobs = runs
        .iter()
        .filter(|r| may_use(&principal, business_of(&state.kinds, &r.job)))
        .map(run_json)
        .collect();
    Ok(Json(JobList { jobs }).into_response())
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
    door: Door,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
    let run = run_for(&state, &principal, &tenant, &actor, &id, "job_get").await?;
    Ok(Json(run_json(&run)).into_response())
}

/// `GET …/jobs/{job_id}/outputs/{name}`: the file, access-logged.
pub async fn output(
    State(state): State<AppState>,
    door: Door,
    Path((_, id, name)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
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
    door: Door,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
    let run = run_for(&state, &principal, &tenant, &actor, &id, "job_cancel").await?;
    let status = engine::cancel(&tenant, run.job_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(JobCancelled {
        status: status.code().to_owned(),
    })
    .into_response())
}

/// The JSON of a stored plan entry.
pub(crate) fn plan_entry_json(entry: &StoredEntry) -> JobPlanEntryView {
    JobPlanEntryView {
        job: entry.entry.job.clone(),
        params: entry.entry.params.clone(),
        schedule: entry.entry.schedule.clone(),
        added_at: entry.added_at.clone(),
        last_slot: entry.last_slot.clone(),
        last_job_id: entry.last_job_id,
        next_slot: entry.next_slot.clone(),
    }
}

pub(crate) fn plan_error(error: PlanError) -> ApiError {
    match error {
        PlanError::Invalid { field, message } => ApiError::invalid(
            field.clone(),
            Message::InvalidPlan {
                field,
                detail: message.text(),
            },
        ),
        PlanError::Calendar(e) => ApiError::invalid("plan", e.message()),
        PlanError::Store(e) => ApiError::internal(e),
    }
}

/// `GET …/jobs/plan`.
pub async fn get_plan(door: Door) -> Result<Response, ApiError> {
    let Door { tenant, .. } = door;
    let entries = plan::get(&tenant).await.map_err(plan_error)?;
    let plan = entries.iter().map(plan_entry_json).collect();
    Ok(Json(JobPlan { plan }).into_response())
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
    door: Door,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
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
    let plan = stored.iter().map(plan_entry_json).collect();
    Ok(Json(JobPlan { plan }).into_response())
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
pub async fn consumers(State(state): State<AppState>, door: Door) -> Result<Response, ApiError> {
    let Door {
        tenant, principal, ..
    } = door;
    let visible = visible_consumers(&state, &principal);
    let positions = consumer::positions(&tenant, &visible).await?;
    let consumers = visible
        .iter()
        .zip(&positions)
        .map(|(c, p)| OutboxConsumerView {
            consumer: c.name.to_owned(),
            label: c.label.to_owned(),
            business: c.business.to_owned(),
            event_kinds: c.event_kinds.iter().map(|k| (*k).to_owned()).collect(),
            last_event_id: p.last_event_id,
            latest_event_id: p.latest_event_id,
            pending: p.pending,
            retrying: p.retrying,
            parked: p.parked,
        })
        .collect();
    Ok(Json(OutboxConsumers { consumers }).into_response())
}

/// The JSON of a dead letter.
pub(crate) fn dead_letter_json(letter: &DeadLetter) -> DeadLetterView {
    DeadLetterView {
        consumer: letter.consumer.clone(),
        event_id: letter.event_id,
        event_kind: letter.event_kind.clone(),
        status: letter.status.code().to_owned(),
        attempts: letter.attempts,
        error: letter.error.clone(),
        first_failed_at: letter.first_failed_at.clone(),
        last_failed_at: letter.last_failed_at.clone(),
        parked_at: letter.parked_at.clone(),
        resolved_at: letter.resolved_at.clone(),
        resolved_by: letter.resolved_by.clone(),
    }
}

/// The query of `GET …/outbox/dead-letters`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterQuery {
    /// Only events in this state (`retrying`, `parked`, `retried`,
    /// `dismissed`).
    #[param(example = "parked")]
    status: Option<String>,
}

/// `GET …/outbox/dead-letters?status=`: the consumers' failed events.
pub async fn dead_letters(
    State(state): State<AppState>,
    door: Door,
    Query(query): Query<DeadLetterQuery>,
) -> Result<Response, ApiError> {
    let Door {
        tenant, principal, ..
    } = door;
    let status = match query.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(
            DeadLetterStatus::parse(code)
                .ok_or_else(|| ApiError::invalid("status", Message::DeadLetterStatusUnknown {}))?,
        ),
    };
    let visible = visible_consumers(&state, &principal);
    let dead_letters = consumer::dead_letters(&tenant, status)
        .await?
        .iter()
        .filter(|l| visible.iter().any(|c| c.name == l.consumer))
        .map(dead_letter_json)
        .collect();
    Ok(Json(DeadLetters { dead_letters }).into_response())
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
    door: Door,
    Path((_, name, event)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
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
    Ok(Json(DeadLetterResolved {
        status: DeadLetterStatus::Retried.code().to_owned(),
    })
    .into_response())
}

/// `POST …/outbox/dead-letters/{consumer}/{event_id}/dismiss`.
pub async fn dismiss_dead_letter(
    State(state): State<AppState>,
    door: Door,
    Path((_, name, event)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
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
    Ok(Json(DeadLetterResolved {
        status: DeadLetterStatus::Dismissed.code().to_owned(),
    })
    .into_response())
}
