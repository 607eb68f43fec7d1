//! The engine: runs as rows, their plan, the claiming of chunks, retries
//! with backoff, cancellation, progress and outputs.
//!
//! Invariants:
//! - A run's plan (its chunks) is stored in the transaction that starts it,
//!   so a resumed run keeps the same split.
//! - A chunk is claimed by locking its row inside the chunk's own
//!   transaction (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite has one
//!   writer, so the transaction itself is the claim). The kind's work, the
//!   chunk's parts, its subject errors and its progress (the chunk's state
//!   and count) commit together. A worker killed mid-chunk loses its
//!   connection and with it the transaction and the lock: the chunk is
//!   still pending and is simply done again by the next worker, so no
//!   lease has to expire.
//! - A chunk moves from `pending` to `done` once: the update is
//!   conditional, and a transaction that finds it done rolls back.
//! - The outputs are built only when every chunk is done, from the parts in
//!   chunk order, in the transaction that marks the run succeeded.

use std::collections::BTreeMap;
use std::time::Duration;

use kiban_audit::{Actor, AuditAction};
use kiban_store::{Arg, Row};
use kiban_store::{StoreError, TenantDb, TenantTx, now_text};
use sha2::{Digest, Sha256};

use crate::kind::{JobError, JobKind, Kinds, ParamError, Params, Parts, SubjectError};

/// The per-municipality sequence job ids come from.
pub const JOB_SEQUENCE: &str = "job_id";

/// The state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Submitted, not yet planned.
    Queued,
    /// Planned; chunks are being done.
    Running,
    /// Every chunk done and the outputs stored.
    Succeeded,
    /// A chunk (or the plan, or the finish) failed after its retries.
    Failed,
    /// Cancelled; the chunks committed before are kept.
    Cancelled,
}

impl Status {
    /// The code stored and shown (`queued`, `running`, …).
    pub fn code(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Running => "running",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    /// The status of a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "queued" => Status::Queued,
            "running" => Status::Running,
            "succeeded" => Status::Succeeded,
            "failed" => Status::Failed,
            "cancelled" => Status::Cancelled,
            _ => return None,
        })
    }

    /// Whether the run is over.
    pub fn is_finished(self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed | Status::Cancelled)
    }

    /// The label shown on screens (Japanese).
    pub fn label_ja(self) -> &'static str {
        match self {
            Status::Queued => "待機中",
            Status::Running => "実行中",
            Status::Succeeded => "正常終了",
            Status::Failed => "異常終了",
            Status::Cancelled => "取消",
        }
    }
}

/// How the engine works: chunk size, retries, the worker's name.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Subjects per chunk suggested to [`JobKind::plan`].
    pub chunk_size: u64,
    /// Attempts of a chunk (or plan, or finish) before the run fails.
    pub max_attempts: u32,
    /// The wait after the first failure; doubled after each further one
    /// (at most 64 times this).
    pub backoff: Duration,
    /// The worker's name, recorded on the chunks it commits.
    pub worker: String,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            chunk_size: 100_000,
            max_attempts: 5,
            backoff: Duration::from_secs(2),
            worker: format!("pid-{}", std::process::id()),
        }
    }
}

/// A stored output's description (its content is read by [`read_output`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputInfo {
    /// Its name.
    pub name: String,
    /// Its media type.
    pub content_type: String,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
    /// Data rows, for tables.
    pub rows: Option<u64>,
    /// Pages, for print files.
    pub pages: Option<u64>,
}

/// A run as `kiban batch status` and `GET …/jobs/{id}` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// The job id (per municipality).
    pub job_id: i64,
    /// The job kind's name.
    pub job: String,
    /// The parameters.
    pub params: Params,
    /// The state.
    pub status: Status,
    /// Subjects done (the committed chunks' counts).
    pub done: u64,
    /// Subjects planned.
    pub total: u64,
    /// Chunks done.
    pub chunks_done: u64,
    /// Chunks planned.
    pub chunks_total: u64,
    /// Who submitted it.
    pub submitted_by: String,
    /// When (RFC 3339 UTC).
    pub submitted_at: String,
    /// When it was planned.
    pub started_at: Option<String>,
    /// When it ended.
    pub finished_at: Option<String>,
    /// Why it failed (or the last failure being retried).
    pub error: Option<String>,
    /// Its outputs (when succeeded).
    pub outputs: Vec<OutputInfo>,
    /// The subjects that could not be processed.
    pub errors: Vec<SubjectError>,
}

impl RunInfo {
    /// The run as the contract's JSON (`GET …/jobs/{job_id}`).
    pub fn to_json(&self) -> serde_json::Value {
        let params: serde_json::Map<String, serde_json::Value> = self
            .params
            .iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v.to_owned())))
            .collect();
        serde_json::json!({
            "job_id": self.job_id,
            "job": self.job,
            "params": params,
            "status": self.status.code(),
            "progress": {
                "done": self.done,
                "total": self.total,
                "chunks_done": self.chunks_done,
                "chunks_total": self.chunks_total,
            },
            "submitted_by": self.submitted_by,
            "submitted_at": self.submitted_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "error": self.error,
            "outputs": self.outputs.iter().map(output_json).collect::<Vec<_>>(),
            "errors": self.errors.iter().map(|e| serde_json::json!({
                "subject": e.subject,
                "code": e.code,
                "message": e.message,
            })).collect::<Vec<_>>(),
        })
    }
}

/// An output's description as JSON: `{"name","sha256","bytes","rows"?,"pages"?}`
/// (with its `content_type`).
pub fn output_json(o: &OutputInfo) -> serde_json::Value {
    let mut v = serde_json::json!({
        "name": o.name,
        "content_type": o.content_type,
        "sha256": o.sha256,
        "bytes": o.bytes,
    });
    if let serde_json::Value::Object(map) = &mut v {
        if let Some(rows) = o.rows {
            map.insert("rows".into(), rows.into());
        }
        if let Some(pages) = o.pages {
            map.insert("pages".into(), pages.into());
        }
    }
    v
}

/// Why a run could not be submitted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// No such job kind.
    #[error("no job kind {0:?}")]
    UnknownJob(String),
    /// A parameter is unknown, missing or invalid.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks `raw` against the kind's parameters.
pub fn check_params(
    kinds: &Kinds,
    job: &str,
    raw: &BTreeMap<String, String>,
) -> Result<Params, SubmitError> {
    let kind = kinds
        .get(job)
        .ok_or_else(|| SubmitError::UnknownJob(job.to_owned()))?;
    let params = Params::parse(kind.params(), raw)?;
    kind.validate(&params)?;
    Ok(params)
}

/// Queues a new run of `job` and returns its id.
pub async fn submit(
    tenant: &TenantDb,
    kinds: &Kinds,
    job: &str,
    raw: &BTreeMap<String, String>,
    submitted_by: &str,
) -> Result<i64, SubmitError> {
    let params = check_params(kinds, job, raw)?;
    let mut tx = tenant.begin().await?;
    let id = insert_run(&mut tx, job, &params, submitted_by).await?;
    tx.commit().await?;
    Ok(id)
}

/// The unfinished run (queued or running) of `job` with these parameters
/// if there is one (`true`: resumed), otherwise a new queued run.
pub async fn submit_or_resume(
    tenant: &TenantDb,
    kinds: &Kinds,
    job: &str,
    raw: &BTreeMap<String, String>,
    submitted_by: &str,
) -> Result<(i64, bool), SubmitError> {
    let params = check_params(kinds, job, raw)?;
    let mut tx = tenant.begin().await?;
    let existing = tx
        .fetch_optional(
            "SELECT job_id FROM jobs WHERE municipality_code = $1 AND job = $2 AND params = $3 \
             AND status IN ('queued', 'running') ORDER BY job_id LIMIT 1",
            &[Arg::from(job), Arg::Text(params.to_json_text())],
        )
        .await?;
    if let Some(row) = existing {
        let id = row.int(0)?;
        tx.rollback().await?;
        return Ok((id, true));
    }
    let id = insert_run(&mut tx, job, &params, submitted_by).await?;
    tx.commit().await?;
    Ok((id, false))
}

/// Queues a run of `job` with checked `params` inside `tx` (the plan
/// records its slot in the same transaction).
pub async fn insert_run(
    tx: &mut TenantTx,
    job: &str,
    params: &Params,
    submitted_by: &str,
) -> Result<i64, StoreError> {
    let id = tx.next_numbers(JOB_SEQUENCE, 1).await?;
    tx.execute(
        "INSERT INTO jobs (municipality_code, job_id, job, params, status, submitted_by, submitted_at) \
         VALUES ($1, $2, $3, $4, 'queued', $5, $6)",
        &[
            Arg::Int(id),
            Arg::from(job),
            Arg::Text(params.to_json_text()),
            Arg::from(submitted_by),
            Arg::Text(now_text()),
        ],
    )
    .await?;
    Ok(id)
}

const RUN_COLUMNS: &str = "j.job_id, j.job, j.params, j.status, j.progress_total, j.submitted_by, \
     j.submitted_at, j.started_at, j.finished_at, j.error, \
     (SELECT CAST(COALESCE(SUM(c.done), 0) AS BIGINT) FROM job_chunks c WHERE c.municipality_code = j.municipality_code AND c.job_id = j.job_id AND c.state = 'done'), \
     (SELECT COUNT(*) FROM job_chunks c WHERE c.municipality_code = j.municipality_code AND c.job_id = j.job_id AND c.state = 'done'), \
     (SELECT COUNT(*) FROM job_chunks c WHERE c.municipality_code = j.municipality_code AND c.job_id = j.job_id)";

fn unsigned(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn run_of(row: &Row) -> Result<RunInfo, StoreError> {
    let status_code = row.text(3)?;
    let status = Status::from_code(&status_code).ok_or_else(|| StoreError::Corrupt {
        column: "jobs.status".into(),
        reason: status_code.clone(),
    })?;
    Ok(RunInfo {
        job_id: row.int(0)?,
        job: row.text(1)?,
        params: Params::from_json_text(&row.text(2)?)?,
        status,
        total: unsigned(row.int(4)?),
        submitted_by: row.text(5)?,
        submitted_at: row.text(6)?,
        started_at: row.opt_text(7)?,
        finished_at: row.opt_text(8)?,
        error: row.opt_text(9)?,
        done: unsigned(row.int(10)?),
        chunks_done: unsigned(row.int(11)?),
        chunks_total: unsigned(row.int(12)?),
        outputs: Vec::new(),
        errors: Vec::new(),
    })
}

/// One run with its outputs and subject errors; `None` if there is no such
/// run in this municipality.
pub async fn status(tenant: &TenantDb, job_id: i64) -> Result<Option<RunInfo>, StoreError> {
    let mut tx = tenant.begin_read().await?;
    let row = tx
        .fetch_optional(
            &format!(
                "SELECT {RUN_COLUMNS} FROM jobs j WHERE j.municipality_code = $1 AND j.job_id = $2"
            ),
            &[Arg::Int(job_id)],
        )
        .await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Ok(None);
    };
    let mut run = run_of(&row)?;
    run.outputs = outputs_of(&mut tx, job_id).await?;
    run.errors = errors_of(&mut tx, job_id).await?;
    tx.rollback().await?;
    Ok(Some(run))
}

/// Which runs [`list`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunFilter {
    /// Only runs in this state.
    pub status: Option<Status>,
    /// Only runs of this job kind.
    pub job: Option<String>,
    /// At most this many (newest first); all when `None`.
    pub limit: Option<u32>,
}

/// The runs of the municipality, newest first, with their outputs and
/// subject errors.
pub async fn list(tenant: &TenantDb, filter: &RunFilter) -> Result<Vec<RunInfo>, StoreError> {
    let mut sql = format!("SELECT {RUN_COLUMNS} FROM jobs j WHERE j.municipality_code = $1");
    let mut args = Vec::new();
    if let Some(status) = filter.status {
        args.push(Arg::from(status.code()));
        sql.push_str(&format!(" AND j.status = ${}", args.len() + 1));
    }
    if let Some(job) = &filter.job {
        args.push(Arg::from(job.as_str()));
        sql.push_str(&format!(" AND j.job = ${}", args.len() + 1));
    }
    sql.push_str(" ORDER BY j.job_id DESC");
    if let Some(limit) = filter.limit {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    let mut tx = tenant.begin_read().await?;
    let rows = tx.fetch_all(&sql, &args).await?;
    let mut runs = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut run = run_of(row)?;
        run.outputs = outputs_of(&mut tx, run.job_id).await?;
        run.errors = errors_of(&mut tx, run.job_id).await?;
        runs.push(run);
    }
    tx.rollback().await?;
    Ok(runs)
}

async fn outputs_of(tx: &mut TenantTx, job_id: i64) -> Result<Vec<OutputInfo>, StoreError> {
    tx.fetch_all(
        "SELECT name, content_type, sha256, bytes, rows, pages FROM job_outputs \
         WHERE municipality_code = $1 AND job_id = $2 ORDER BY name",
        &[Arg::Int(job_id)],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(OutputInfo {
            name: row.text(0)?,
            content_type: row.text(1)?,
            sha256: row.text(2)?,
            bytes: unsigned(row.int(3)?),
            rows: row.opt_int(4)?.map(unsigned),
            pages: row.opt_int(5)?.map(unsigned),
        })
    })
    .collect()
}

async fn errors_of(tx: &mut TenantTx, job_id: i64) -> Result<Vec<SubjectError>, StoreError> {
    tx.fetch_all(
        "SELECT subject, code, message FROM job_errors \
         WHERE municipality_code = $1 AND job_id = $2 ORDER BY chunk_no, error_no",
        &[Arg::Int(job_id)],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(SubjectError {
            subject: row.text(0)?,
            code: row.text(1)?,
            message: row.text(2)?,
        })
    })
    .collect()
}

/// Cancels a queued or running run (a chunk being done commits, the next
/// is not started). Returns the run's status afterwards, `None` if there is
/// no such run.
pub async fn cancel(tenant: &TenantDb, job_id: i64) -> Result<Option<Status>, StoreError> {
    let mut tx = tenant.begin().await?;
    tx.execute(
        "UPDATE jobs SET status = 'cancelled', finished_at = $3 \
         WHERE municipality_code = $1 AND job_id = $2 AND status IN ('queued', 'running')",
        &[Arg::Int(job_id), Arg::Text(now_text())],
    )
    .await?;
    let status = run_status(&mut tx, job_id).await?;
    tx.commit().await?;
    Ok(status)
}

async fn run_status(tx: &mut TenantTx, job_id: i64) -> Result<Option<Status>, StoreError> {
    tx.fetch_optional(
        "SELECT status FROM jobs WHERE municipality_code = $1 AND job_id = $2",
        &[Arg::Int(job_id)],
    )
    .await?
    .map(|row| {
        let code = row.text(0)?;
        Status::from_code(&code).ok_or(StoreError::Corrupt {
            column: "jobs.status".into(),
            reason: code,
        })
    })
    .transpose()
}

/// A stored output with its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOutput {
    /// Its description.
    pub info: OutputInfo,
    /// Its bytes.
    pub content: Vec<u8>,
}

/// Reads one output of a run. When the job kind declares that its outputs
/// hold personal data, the reading is written to the access log (`export`)
/// in the same transaction; the caller has checked the permission.
/// `None` if there is no such run or output.
pub async fn read_output(
    tenant: &TenantDb,
    kinds: &Kinds,
    actor: &Actor,
    job_id: i64,
    name: &str,
) -> Result<Option<StoredOutput>, StoreError> {
    let mut tx = tenant.begin().await?;
    let row = tx
        .fetch_optional(
            "SELECT o.name, o.content_type, o.sha256, o.bytes, o.rows, o.pages, o.content, j.job \
             FROM job_outputs o JOIN jobs j \
               ON j.municipality_code = o.municipality_code AND j.job_id = o.job_id \
             WHERE o.municipality_code = $1 AND o.job_id = $2 AND o.name = $3",
            &[Arg::Int(job_id), Arg::from(name)],
        )
        .await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Ok(None);
    };
    let output = StoredOutput {
        info: OutputInfo {
            name: row.text(0)?,
            content_type: row.text(1)?,
            sha256: row.text(2)?,
            bytes: unsigned(row.int(3)?),
            rows: row.opt_int(4)?.map(unsigned),
            pages: row.opt_int(5)?.map(unsigned),
        },
        content: row.bytes(6)?,
    };
    let job = row.text(7)?;
    // An unknown kind (a run of an older binary) is treated as holding
    // personal data.
    let personal = kinds.get(&job).is_none_or(|k| k.personal_data());
    if personal {
        let entry = actor.entry(
            AuditAction::Export,
            None,
            format!("job {job_id} {job} output {name}"),
        );
        kiban_audit::append(&mut tx, &entry).await?;
    }
    tx.commit().await?;
    Ok(Some(output))
}

/// What one [`step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The run was planned.
    Planned,
    /// One chunk was done and committed.
    Chunk,
    /// A chunk, the plan or the finish failed and will be tried again
    /// after its backoff.
    Retry,
    /// Nothing to do now (chunks being done by other workers, or waiting
    /// for their backoff).
    Idle,
    /// The run is over with this status (now or before).
    Finished(Status),
}

impl Step {
    /// Whether the step did work (so another may follow at once).
    pub fn did_work(self) -> bool {
        matches!(self, Step::Planned | Step::Chunk | Step::Retry)
    }
}

fn later_text(delay: Duration) -> String {
    let now = jiff::Timestamp::now();
    let span = jiff::SignedDuration::try_from(delay).unwrap_or(jiff::SignedDuration::ZERO);
    now.checked_add(span)
        .unwrap_or(now)
        .round(jiff::Unit::Microsecond)
        .unwrap_or(now)
        .to_string()
}

fn backoff(options: &EngineOptions, attempts: i64) -> Duration {
    let exponent = u32::try_from(attempts.clamp(1, 7) - 1).unwrap_or(0);
    options.backoff.saturating_mul(1u32 << exponent)
}

/// Does the next piece of work of run `job_id`: plans it when queued,
/// otherwise claims and does one pending chunk, or assembles the outputs
/// when every chunk is done.
pub async fn step(
    tenant: &TenantDb,
    kinds: &Kinds,
    job_id: i64,
    options: &EngineOptions,
) -> Result<Step, StoreError> {
    let row = {
        let mut tx = tenant.begin_read().await?;
        let row = tx
            .fetch_optional(
                "SELECT job, params, status, attempts, next_attempt_at FROM jobs \
                 WHERE municipality_code = $1 AND job_id = $2",
                &[Arg::Int(job_id)],
            )
            .await?;
        tx.rollback().await?;
        row
    };
    let Some(row) = row else {
        return Err(StoreError::Corrupt {
            column: "jobs.job_id".into(),
            reason: format!("no run {job_id}"),
        });
    };
    let job = row.text(0)?;
    let params = Params::from_json_text(&row.text(1)?)?;
    let code = row.text(2)?;
    let status = Status::from_code(&code).ok_or(StoreError::Corrupt {
        column: "jobs.status".into(),
        reason: code,
    })?;
    if status.is_finished() {
        return Ok(Step::Finished(status));
    }
    let Some(kind) = kinds.get(&job) else {
        fail_run(
            tenant,
            job_id,
            &format!("ジョブ「{job}」はこのプログラムにありません"),
        )
        .await?;
        return Ok(Step::Finished(Status::Failed));
    };
    if let Some(next) = row.opt_text(4)?
        && next > now_text()
    {
        return Ok(Step::Idle);
    }
    let attempts = row.int(3)?;
    match status {
        Status::Queued => plan(tenant, kind, job_id, &params, attempts, options).await,
        _ => match run_one_chunk(tenant, kind, job_id, &params, options).await? {
            Some(step) => Ok(step),
            None => finish(tenant, kind, job_id, &params, attempts, options).await,
        },
    }
}

async fn plan(
    tenant: &TenantDb,
    kind: &dyn JobKind,
    job_id: i64,
    params: &Params,
    attempts: i64,
    options: &EngineOptions,
) -> Result<Step, StoreError> {
    let mut tx = tenant.begin().await?;
    let locked = tx
        .fetch_optional(
            &format!(
                "SELECT status FROM jobs WHERE municipality_code = $1 AND job_id = $2{}",
                tx.for_update_skip_locked()
            ),
            &[Arg::Int(job_id)],
        )
        .await?;
    match locked {
        None => {
            tx.rollback().await?;
            return Ok(Step::Idle);
        }
        Some(row) if row.text(0)? != Status::Queued.code() => {
            tx.rollback().await?;
            return Ok(Step::Idle);
        }
        Some(_) => {}
    }
    let chunks = match kind.plan(&mut tx, params, options.chunk_size.max(1)).await {
        Ok(chunks) => chunks,
        Err(e) => {
            drop(tx);
            return run_attempt_failed(tenant, job_id, attempts, &e, "計画", options).await;
        }
    };
    let total: u64 = chunks.iter().map(|c| c.subjects).sum();
    let rows: Vec<Vec<Arg>> = chunks
        .iter()
        .enumerate()
        .map(|(no, c)| {
            vec![
                Arg::Int(job_id),
                Arg::Int(i64::try_from(no).unwrap_or(i64::MAX)),
                Arg::Text(c.key.clone()),
                Arg::Int(i64::try_from(c.subjects).unwrap_or(i64::MAX)),
                Arg::from("pending"),
            ]
        })
        .collect();
    tx.insert_rows(
        "job_chunks",
        &["job_id", "chunk_no", "chunk_key", "subjects", "state"],
        &rows,
    )
    .await?;
    tx.execute(
        "UPDATE jobs SET status = 'running', started_at = $3, progress_total = $4, \
         attempts = 0, next_attempt_at = NULL, error = NULL \
         WHERE municipality_code = $1 AND job_id = $2",
        &[
            Arg::Int(job_id),
            Arg::Text(now_text()),
            Arg::Int(i64::try_from(total).unwrap_or(i64::MAX)),
        ],
    )
    .await?;
    tx.commit().await?;
    Ok(Step::Planned)
}

/// Claims and does one pending chunk; `None` when no chunk is pending at
/// all (time to finish).
async fn run_one_chunk(
    tenant: &TenantDb,
    kind: &dyn JobKind,
    job_id: i64,
    params: &Params,
    options: &EngineOptions,
) -> Result<Option<Step>, StoreError> {
    let mut tx = tenant.begin().await?;
    let now = now_text();
    let claimed = tx
        .fetch_optional(
            &format!(
                "SELECT chunk_no, chunk_key, attempts FROM job_chunks \
                 WHERE municipality_code = $1 AND job_id = $2 AND state = 'pending' \
                 AND (next_attempt_at IS NULL OR next_attempt_at <= $3) \
                 ORDER BY chunk_no LIMIT 1{}",
                tx.for_update_skip_locked()
            ),
            &[Arg::Int(job_id), Arg::Text(now)],
        )
        .await?;
    let Some(claimed) = claimed else {
        let pending = tx
            .fetch_optional(
                "SELECT COUNT(*) FROM job_chunks \
                 WHERE municipality_code = $1 AND job_id = $2 AND state = 'pending'",
                &[Arg::Int(job_id)],
            )
            .await?
            .map(|row| row.int(0))
            .transpose()?
            .unwrap_or(0);
        tx.rollback().await?;
        return Ok((pending > 0).then_some(Step::Idle));
    };
    let chunk_no = claimed.int(0)?;
    let key = claimed.text(1)?;
    let chunk_attempts = claimed.int(2)?;
    // Cancelled meanwhile: no further chunk is started.
    match run_status(&mut tx, job_id).await? {
        Some(Status::Running) => {}
        Some(other) => {
            tx.rollback().await?;
            return Ok(Some(Step::Finished(other)));
        }
        None => {
            tx.rollback().await?;
            return Ok(Some(Step::Idle));
        }
    }
    let result = match kind.run_chunk(&mut tx, params, &key).await {
        Ok(result) => result,
        Err(e) => {
            drop(tx);
            return chunk_failed(tenant, job_id, chunk_no, chunk_attempts, &e, options)
                .await
                .map(Some);
        }
    };
    let committed = commit_chunk(&mut tx, job_id, chunk_no, &result, options).await;
    match committed {
        Ok(true) => {
            tx.commit().await?;
            Ok(Some(Step::Chunk))
        }
        Ok(false) => {
            tx.rollback().await?;
            Ok(Some(Step::Idle))
        }
        Err(e) => {
            drop(tx);
            chunk_failed(
                tenant,
                job_id,
                chunk_no,
                chunk_attempts,
                &JobError::Store(e),
                options,
            )
            .await
            .map(Some)
        }
    }
}

/// Writes a chunk's parts, errors and state; `false` if the chunk was
/// already done (by another worker: nothing may be written twice).
async fn commit_chunk(
    tx: &mut TenantTx,
    job_id: i64,
    chunk_no: i64,
    result: &crate::kind::ChunkResult,
    options: &EngineOptions,
) -> Result<bool, StoreError> {
    let updated = tx
        .execute(
            "UPDATE job_chunks SET state = 'done', done = $4, worker = $5, finished_at = $6, error = NULL \
             WHERE municipality_code = $1 AND job_id = $2 AND chunk_no = $3 AND state = 'pending'",
            &[
                Arg::Int(job_id),
                Arg::Int(chunk_no),
                Arg::Int(i64::try_from(result.done).unwrap_or(i64::MAX)),
                Arg::from(options.worker.as_str()),
                Arg::Text(now_text()),
            ],
        )
        .await?;
    if updated != 1 {
        return Ok(false);
    }
    let parts: Vec<Vec<Arg>> = result
        .parts
        .iter()
        .map(|(name, content)| {
            vec![
                Arg::Int(job_id),
                Arg::Int(chunk_no),
                Arg::from(name.as_str()),
                Arg::Bytes(content.clone()),
            ]
        })
        .collect();
    tx.insert_rows(
        "job_output_parts",
        &["job_id", "chunk_no", "name", "content"],
        &parts,
    )
    .await?;
    let errors: Vec<Vec<Arg>> = result
        .errors
        .iter()
        .enumerate()
        .map(|(no, e)| {
            vec![
                Arg::Int(job_id),
                Arg::Int(chunk_no),
                Arg::Int(i64::try_from(no).unwrap_or(i64::MAX)),
                Arg::from(e.subject.as_str()),
                Arg::from(e.code.as_str()),
                Arg::from(e.message.as_str()),
            ]
        })
        .collect();
    tx.insert_rows(
        "job_errors",
        &[
            "job_id", "chunk_no", "error_no", "subject", "code", "message",
        ],
        &errors,
    )
    .await?;
    Ok(true)
}

async fn chunk_failed(
    tenant: &TenantDb,
    job_id: i64,
    chunk_no: i64,
    attempts_before: i64,
    error: &JobError,
    options: &EngineOptions,
) -> Result<Step, StoreError> {
    let attempts = attempts_before + 1;
    let message = format!("チャンク {chunk_no}: {}", error.text());
    tracing::warn!(job_id, chunk_no, attempts, error = %error, "job chunk failed");
    let mut tx = tenant.begin().await?;
    tx.execute(
        "UPDATE job_chunks SET attempts = $4, next_attempt_at = $5, error = $6 \
         WHERE municipality_code = $1 AND job_id = $2 AND chunk_no = $3 AND state = 'pending'",
        &[
            Arg::Int(job_id),
            Arg::Int(chunk_no),
            Arg::Int(attempts),
            Arg::Text(later_text(backoff(options, attempts))),
            Arg::Text(message.clone()),
        ],
    )
    .await?;
    let step = if attempts >= i64::from(options.max_attempts) {
        mark_failed(&mut tx, job_id, &message).await?;
        Step::Finished(Status::Failed)
    } else {
        tx.execute(
            "UPDATE jobs SET error = $3 WHERE municipality_code = $1 AND job_id = $2",
            &[Arg::Int(job_id), Arg::Text(message)],
        )
        .await?;
        Step::Retry
    };
    tx.commit().await?;
    Ok(step)
}

async fn run_attempt_failed(
    tenant: &TenantDb,
    job_id: i64,
    attempts_before: i64,
    error: &JobError,
    what: &str,
    options: &EngineOptions,
) -> Result<Step, StoreError> {
    let attempts = attempts_before + 1;
    let message = format!("{what}: {}", error.text());
    tracing::warn!(job_id, attempts, error = %error, "job {what} failed");
    let mut tx = tenant.begin().await?;
    let step = if attempts >= i64::from(options.max_attempts) {
        mark_failed(&mut tx, job_id, &message).await?;
        Step::Finished(Status::Failed)
    } else {
        tx.execute(
            "UPDATE jobs SET attempts = $3, next_attempt_at = $4, error = $5 \
             WHERE municipality_code = $1 AND job_id = $2",
            &[
                Arg::Int(job_id),
                Arg::Int(attempts),
                Arg::Text(later_text(backoff(options, attempts))),
                Arg::Text(message),
            ],
        )
        .await?;
        Step::Retry
    };
    tx.commit().await?;
    Ok(step)
}

async fn mark_failed(tx: &mut TenantTx, job_id: i64, message: &str) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE jobs SET status = 'failed', finished_at = $3, error = $4 \
         WHERE municipality_code = $1 AND job_id = $2 AND status IN ('queued', 'running')",
        &[Arg::Int(job_id), Arg::Text(now_text()), Arg::from(message)],
    )
    .await?;
    Ok(())
}

async fn fail_run(tenant: &TenantDb, job_id: i64, message: &str) -> Result<(), StoreError> {
    let mut tx = tenant.begin().await?;
    mark_failed(&mut tx, job_id, message).await?;
    tx.commit().await
}

async fn finish(
    tenant: &TenantDb,
    kind: &dyn JobKind,
    job_id: i64,
    params: &Params,
    attempts: i64,
    options: &EngineOptions,
) -> Result<Step, StoreError> {
    let mut tx = tenant.begin().await?;
    // Waits for another worker finishing the same run, then finds it done.
    let locked = tx
        .fetch_optional(
            &format!(
                "SELECT status FROM jobs WHERE municipality_code = $1 AND job_id = $2{}",
                tx.for_update()
            ),
            &[Arg::Int(job_id)],
        )
        .await?;
    let status = locked
        .map(|row| row.text(0))
        .transpose()?
        .and_then(|code| Status::from_code(&code));
    if status != Some(Status::Running) {
        tx.rollback().await?;
        return Ok(status.map_or(Step::Idle, Step::Finished));
    }
    let rows = tx
        .fetch_all(
            "SELECT name, content FROM job_output_parts \
             WHERE municipality_code = $1 AND job_id = $2 ORDER BY chunk_no, name",
            &[Arg::Int(job_id)],
        )
        .await?;
    let mut parts = Parts::default();
    for row in &rows {
        parts.0.entry(row.text(0)?).or_default().push(row.bytes(1)?);
    }
    drop(rows);
    let outputs = match kind.finish(&mut tx, params, parts).await {
        Ok(outputs) => outputs,
        Err(e) => {
            drop(tx);
            return run_attempt_failed(tenant, job_id, attempts, &e, "出力の作成", options).await;
        }
    };
    for output in &outputs {
        let sha256 = hex::encode(Sha256::digest(&output.content));
        tx.execute(
            "INSERT INTO job_outputs (municipality_code, job_id, name, content_type, sha256, bytes, rows, pages, content) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                Arg::Int(job_id),
                Arg::from(output.name.as_str()),
                Arg::from(output.content_type.as_str()),
                Arg::Text(sha256),
                Arg::Int(i64::try_from(output.content.len()).unwrap_or(i64::MAX)),
                Arg::from(output.rows.map(|r| i64::try_from(r).unwrap_or(i64::MAX))),
                Arg::from(output.pages.map(|p| i64::try_from(p).unwrap_or(i64::MAX))),
                Arg::Bytes(output.content.clone()),
            ],
        )
        .await?;
    }
    // The parts served their purpose; the outputs are what is kept.
    tx.execute(
        "DELETE FROM job_output_parts WHERE municipality_code = $1 AND job_id = $2",
        &[Arg::Int(job_id)],
    )
    .await?;
    tx.execute(
        "UPDATE jobs SET status = 'succeeded', finished_at = $3, error = NULL, next_attempt_at = NULL \
         WHERE municipality_code = $1 AND job_id = $2",
        &[Arg::Int(job_id), Arg::Text(now_text())],
    )
    .await?;
    tx.commit().await?;
    Ok(Step::Finished(Status::Succeeded))
}

/// Steps run `job_id` until it is over, calling `progress` after each step
/// with the run's state; waits for backoffs and for chunks other workers
/// hold (polling every `poll`). Returns the final status.
pub async fn run_to_end(
    tenant: &TenantDb,
    kinds: &Kinds,
    job_id: i64,
    options: &EngineOptions,
    poll: Duration,
    mut progress: impl FnMut(&RunInfo) + Send,
) -> Result<Status, StoreError> {
    loop {
        let step = step(tenant, kinds, job_id, options).await?;
        if let Some(run) = status(tenant, job_id).await? {
            progress(&run);
        }
        match step {
            Step::Finished(status) => return Ok(status),
            Step::Idle | Step::Retry => tokio::time::sleep(poll).await,
            Step::Planned | Step::Chunk => {}
        }
    }
}

/// The unfinished runs (queued or running) of the municipality, oldest
/// first.
pub async fn active_runs(tenant: &TenantDb) -> Result<Vec<i64>, StoreError> {
    let mut tx = tenant.begin_read().await?;
    let ids = tx
        .fetch_all(
            "SELECT job_id FROM jobs WHERE municipality_code = $1 \
             AND status IN ('queued', 'running') ORDER BY job_id",
            &[],
        )
        .await?
        .iter()
        .map(|row| row.int(0))
        .collect::<Result<Vec<_>, _>>()?;
    tx.rollback().await?;
    Ok(ids)
}

/// Does one step of the oldest run of the municipality that has work to
/// do now; `false` when none had.
pub async fn work_once(
    tenant: &TenantDb,
    kinds: &Kinds,
    options: &EngineOptions,
) -> Result<bool, StoreError> {
    for job_id in active_runs(tenant).await? {
        if step(tenant, kinds, job_id, options).await?.did_work() {
            return Ok(true);
        }
    }
    Ok(false)
}
