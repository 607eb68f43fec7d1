//! `kiban batch list|run|status|output|cancel` and `kiban worker` (contract
//! jobs-v1): jobs run by the engine of `kiban-jobs`, with the job kinds
//! the businesses declare.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use kiban_audit::Actor;
use kiban_jobs::engine::{self, EngineOptions, Status, SubmitError};
use kiban_jobs::kind::{Kinds, kind_json};
use kiban_jobs::worker::{self, Stop, WorkerOptions};
use kiban_store::TenantDb;

use crate::commands::{CliError, open_migrated, parse_code};
use crate::output::{emit, say};

/// Every job kind of this binary, from the businesses' declarations.
pub fn job_kinds() -> Kinds {
    kiban_web::job_kinds()
}

/// `kiban batch …`.
#[derive(Subcommand)]
pub enum BatchCommand {
    /// Prints every job kind as one JSON object per line.
    List,
    /// Runs a job in the foreground (resuming an unfinished run of the
    /// same job and parameters) with a progress bar on stderr.
    Run(RunArgs),
    /// Prints the municipality's runs (one JSON object per line), or one.
    Status {
        /// The municipality.
        #[arg(long)]
        municipality: String,
        /// Only this run.
        #[arg(long)]
        job_id: Option<i64>,
    },
    /// Writes one stored output of a run to a file.
    Output {
        /// The municipality.
        #[arg(long)]
        municipality: String,
        /// The run.
        #[arg(long)]
        job_id: i64,
        /// The output's name (e.g. population.csv).
        #[arg(long)]
        name: String,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Cancels a queued or running run after its current chunk.
    Cancel {
        /// The municipality.
        #[arg(long)]
        municipality: String,
        /// The run.
        #[arg(long)]
        job_id: i64,
    },
}

/// `kiban batch run`.
#[derive(Args)]
pub struct RunArgs {
    /// The job (see `kiban batch list`).
    job: String,
    /// The municipality.
    #[arg(long)]
    municipality: String,
    /// A parameter NAME=VALUE (repeatable).
    #[arg(long = "param")]
    params: Vec<String>,
    /// Shorthand for --param fiscal_year=Y.
    #[arg(long)]
    fiscal_year: Option<String>,
    /// Subjects per chunk when the run is planned.
    #[arg(long, default_value_t = 100_000)]
    chunk_size: u64,
    /// Attempts of a failing chunk before the run fails.
    #[arg(long, default_value_t = 5)]
    max_attempts: u32,
    /// Milliseconds to wait after a chunk's first failure (doubled after
    /// each further one).
    #[arg(long, default_value_t = 2_000)]
    backoff_ms: u64,
}

/// `kiban worker`.
#[derive(Args)]
pub struct WorkerArgs {
    /// Subjects per chunk when a run is planned.
    #[arg(long, default_value_t = 100_000)]
    chunk_size: u64,
    /// Milliseconds to wait when there is no work.
    #[arg(long, default_value_t = 1_000)]
    idle_ms: u64,
    /// The worker's name, recorded on the chunks it commits.
    #[arg(long)]
    name: Option<String>,
    /// Attempts at an outbox event a consumer fails on before it is parked
    /// as a dead letter.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(i64).range(1..))]
    outbox_attempts: i64,
}

fn the_actor() -> Actor {
    Actor::new("kiban-batch", "system")
}

async fn tenant(url: &str, municipality: &str) -> Result<TenantDb, CliError> {
    let code = parse_code("--municipality", municipality)?;
    let db = open_migrated(url).await?;
    Ok(db.tenant(code).await?)
}

fn parse_params(args: &RunArgs) -> Result<BTreeMap<String, String>, CliError> {
    let mut params = BTreeMap::new();
    for p in &args.params {
        let Some((name, value)) = p.split_once('=') else {
            return Err(CliError::invalid(format!(
                "--param {p}: NAME=VALUE の形で指定してください"
            )));
        };
        params.insert(name.trim().to_owned(), value.to_owned());
    }
    if let Some(y) = &args.fiscal_year {
        params.insert("fiscal_year".to_owned(), y.clone());
    }
    Ok(params)
}

fn submit_error(e: SubmitError) -> CliError {
    match e {
        SubmitError::UnknownJob(job) => {
            CliError::invalid(kiban_core::Message::UnknownJob { job }.text())
        }
        SubmitError::Param(p) => {
            CliError::invalid(format!("パラメータ {}: {}", p.field, p.message.text()))
        }
        SubmitError::Store(s) => s.into(),
    }
}

/// Runs `kiban batch …`.
pub async fn run(url: &str, command: BatchCommand) -> Result<(), CliError> {
    let kinds = job_kinds();
    match command {
        BatchCommand::List => {
            for kind in kinds.iter() {
                emit(&kind_json(kind).to_string());
            }
            Ok(())
        }
        BatchCommand::Run(args) => run_job(url, &kinds, args).await,
        BatchCommand::Status {
            municipality,
            job_id,
        } => {
            let tenant = tenant(url, &municipality).await?;
            match job_id {
                Some(id) => {
                    let run = engine::status(&tenant, id)
                        .await?
                        .ok_or_else(|| CliError::invalid(format!("--job-id {id}: ありません")))?;
                    emit(&run.to_json().to_string());
                }
                None => {
                    for run in engine::list(&tenant, &Default::default()).await? {
                        emit(&run.to_json().to_string());
                    }
                }
            }
            Ok(())
        }
        BatchCommand::Output {
            municipality,
            job_id,
            name,
            out,
        } => {
            let tenant = tenant(url, &municipality).await?;
            let output = engine::read_output(&tenant, &kinds, &the_actor(), job_id, &name)
                .await?
                .ok_or_else(|| {
                    CliError::invalid(format!(
                        "--name {name}: ジョブ {job_id} にこの出力はありません"
                    ))
                })?;
            std::fs::write(&out, &output.content)
                .map_err(|e| CliError::runtime(format!("{}: {e}", out.display())))?;
            say(&format!(
                "{} を書き出しました（{} バイト、SHA-256 {}）。",
                out.display(),
                output.info.bytes,
                output.info.sha256
            ));
            Ok(())
        }
        BatchCommand::Cancel {
            municipality,
            job_id,
        } => {
            let tenant = tenant(url, &municipality).await?;
            let status = engine::cancel(&tenant, job_id)
                .await?
                .ok_or_else(|| CliError::invalid(format!("--job-id {job_id}: ありません")))?;
            emit(&serde_json::json!({ "job_id": job_id, "status": status.code() }).to_string());
            Ok(())
        }
    }
}

async fn run_job(url: &str, kinds: &Kinds, args: RunArgs) -> Result<(), CliError> {
    let raw = parse_params(&args)?;
    // Checked before touching the database: exit 2 naming the job or
    // parameter.
    engine::check_params(kinds, &args.job, &raw).map_err(submit_error)?;
    let tenant = tenant(url, &args.municipality).await?;
    let (job_id, resumed) =
        engine::submit_or_resume(&tenant, kinds, &args.job, &raw, "kiban-batch")
            .await
            .map_err(submit_error)?;
    if resumed {
        say(&format!("未完了のジョブ {job_id} を再開します。"));
    }
    let options = EngineOptions {
        chunk_size: args.chunk_size.max(1),
        max_attempts: args.max_attempts.max(1),
        backoff: Duration::from_millis(args.backoff_ms),
        worker: format!("batch-{}", std::process::id()),
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} 件 {per_sec} 残り {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let status = engine::run_to_end(
        &tenant,
        kinds,
        job_id,
        &options,
        Duration::from_millis(200),
        |run| {
            bar.set_length(run.total);
            bar.set_position(run.done);
        },
    )
    .await?;
    bar.finish_and_clear();
    let run = engine::status(&tenant, job_id)
        .await?
        .ok_or_else(|| CliError::runtime(format!("ジョブ {job_id} が見つかりません")))?;
    match status {
        Status::Succeeded => {
            emit(
                &serde_json::json!({
                    "job_id": job_id,
                    "status": "succeeded",
                    "outputs": run.outputs.iter().map(engine::output_json).collect::<Vec<_>>(),
                })
                .to_string(),
            );
            Ok(())
        }
        other => Err(CliError::runtime(format!(
            "ジョブ {job_id} は{}しました: {}",
            match other {
                Status::Cancelled => "取り消され終了",
                _ => "異常終了",
            },
            run.error.unwrap_or_default()
        ))),
    }
}

/// `kiban worker`: the job worker alone, until Ctrl-C (or SIGTERM).
pub async fn worker(url: &str, args: WorkerArgs) -> Result<(), CliError> {
    let db = open_migrated(url).await?;
    let (handle, stop) = Stop::new();
    tokio::spawn(async move {
        shutdown_signal().await;
        say("停止します（実行中のチャンクの後）。");
        handle.stop();
    });
    let usage = std::sync::Arc::new(kiban_ops::usage::UsageBook::new());
    let options = WorkerOptions {
        engine: EngineOptions {
            chunk_size: args.chunk_size.max(1),
            worker: args
                .name
                .unwrap_or_else(|| format!("worker-{}", std::process::id())),
            ..EngineOptions::default()
        },
        idle: Duration::from_millis(args.idle_ms),
        usage: Some(usage.clone()),
    };
    let mut tasks = crate::commands::worker_tasks(args.outbox_attempts);
    tasks.push(Box::new(worker::UsageFlushTask::new(
        usage,
        Duration::from_secs(60),
    )));
    worker::run(db, job_kinds(), options, tasks, stop).await;
    Ok(())
}

/// Spawns the job worker of `kiban serve` (with the outbox consumers and
/// the batch plans); stops when `stop` is asked. Its job steps are counted
/// in `usage`, which the server writes with its own counts.
pub fn spawn_job_worker(
    db: kiban_store::Database,
    stop: Stop,
    outbox_attempts: i64,
    usage: std::sync::Arc<kiban_ops::usage::UsageBook>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(worker::run(
        db,
        job_kinds(),
        WorkerOptions {
            usage: Some(usage),
            ..WorkerOptions::default()
        },
        crate::commands::worker_tasks(outbox_attempts),
        stop,
    ))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs the job `addressee-index` (宛名索引の作成) to its end after the
/// demo generator's bulk load, which writes no events for the index's
/// consumer: resumable like every job (a run interrupted here is resumed
/// by the next generation's call or by `kiban batch run --municipality
/// CODE addressee-index`). The imports build the index directly
/// (`kiban_addressee::storage::index_all`), leaving the imported counters
/// and runs as they were exported.
pub async fn index_addressees(tenant: &TenantDb, show_progress: bool) -> Result<(), CliError> {
    let kinds = job_kinds();
    let params = BTreeMap::new();
    let (job_id, _) = engine::submit_or_resume(
        tenant,
        &kinds,
        kiban_addressee::jobs::INDEX_RESIDENTS,
        &params,
        "kiban-batch",
    )
    .await
    .map_err(submit_error)?;
    let options = EngineOptions {
        chunk_size: 10_000,
        max_attempts: 5,
        backoff: Duration::from_millis(500),
        worker: format!("batch-{}", std::process::id()),
    };
    let bar = if show_progress {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("宛名索引 {bar:40} {pos}/{len} 件 {per_sec} 残り {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let status = engine::run_to_end(
        tenant,
        &kinds,
        job_id,
        &options,
        Duration::from_millis(200),
        |run| {
            bar.set_length(run.total);
            bar.set_position(run.done);
        },
    )
    .await?;
    bar.finish_and_clear();
    if status != Status::Succeeded {
        return Err(CliError::runtime(format!(
            "宛名索引の作成（ジョブ {job_id}）が完了しませんでした: {status:?}。kiban batch run --municipality 団体コード addressee-index で再実行できます"
        )));
    }
    Ok(())
}
