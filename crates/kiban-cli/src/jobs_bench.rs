//! `kiban bench jobs`: the `population-statistics` job next to the plain
//! SQL aggregate of the same rows on the same engine, and the engine's own
//! cost per chunk (a job whose chunks do nothing: claim, progress, commit).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clap::Args;
use kiban_jobs::engine::{self, EngineOptions, Status};
use kiban_jobs::kind::{
    BoxFuture, ChunkResult, JobError, JobKind, Kinds, ParamSpec, ParamType, Params, PlannedChunk,
};
use kiban_store::TenantTx;

use crate::commands::{CliError, open_migrated, parse_code};
use crate::output::emit;

/// `kiban bench jobs`.
#[derive(Args)]
pub struct BenchArgs {
    /// The municipality (the demo's by default).
    #[arg(long, default_value = "990019")]
    municipality: String,
    /// The date counted (default: today in Japan).
    #[arg(long)]
    as_of: Option<String>,
    /// Subjects per chunk of the real job (comma-separated for several runs).
    #[arg(long, default_value = "10000,100000")]
    chunk_sizes: String,
    /// Chunks of the no-op job.
    #[arg(long, default_value_t = 500)]
    noop_chunks: u64,
    /// Repetitions of each measurement (the fastest is reported).
    #[arg(long, default_value_t = 3)]
    repeat: u32,
}

/// A job whose chunks do nothing: what is left is the engine's cost.
struct NoOp;

const NOOP_PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "chunks",
    kind: ParamType::Int,
    required: true,
    description: "チャンク数",
}];

impl JobKind for NoOp {
    fn name(&self) -> &'static str {
        "bench-noop"
    }
    fn business(&self) -> &'static str {
        "platform"
    }
    fn description(&self) -> &'static str {
        "何もしないチャンク（エンジンの費用の測定用）"
    }
    fn params(&self) -> &'static [ParamSpec] {
        NOOP_PARAMS
    }
    fn personal_data(&self) -> bool {
        false
    }
    fn plan<'a>(
        &'a self,
        _tx: &'a mut TenantTx,
        params: &'a Params,
        _chunk_size: u64,
    ) -> BoxFuture<'a, Result<Vec<PlannedChunk>, JobError>> {
        Box::pin(async move {
            let n = params.int("chunks")?;
            Ok((0..n)
                .map(|i| PlannedChunk {
                    key: i.to_string(),
                    subjects: 1,
                })
                .collect())
        })
    }
    fn run_chunk<'a>(
        &'a self,
        _tx: &'a mut TenantTx,
        _params: &'a Params,
        _chunk: &'a str,
    ) -> BoxFuture<'a, Result<ChunkResult, JobError>> {
        Box::pin(async move {
            Ok(ChunkResult {
                done: 1,
                ..ChunkResult::default()
            })
        })
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Runs the benchmark and prints its figures.
pub async fn run(url: &str, args: BenchArgs) -> Result<(), CliError> {
    let code = parse_code("--municipality", &args.municipality)?;
    let db = open_migrated(url).await?;
    let tenant = db.tenant(code).await?;
    let as_of = match &args.as_of {
        Some(text) => kiban_core::date::parse_iso(text)
            .map_err(|e| CliError::invalid(format!("--as-of {text}: {}", e.message().text())))?,
        None => kiban_core::today_in_japan(),
    };
    let kinds = Kinds::new(vec![
        Box::new(kiban_registry::jobs::PopulationStatistics),
        Box::new(NoOp),
    ]);
    let engine_name = db.backend().name();
    let repeat = args.repeat.max(1);

    // The plain SQL aggregate of the same rows (the job's two statements
    // over the whole municipality, in one transaction).
    let mut plain = Duration::MAX;
    let mut persons = 0;
    for _ in 0..repeat {
        let started = Instant::now();
        let mut tx = tenant.begin_read().await?;
        let counts = kiban_registry::storage::statistics::count_plain(&mut tx, as_of).await?;
        tx.rollback().await?;
        plain = plain.min(started.elapsed());
        persons = counts.examined;
    }
    emit(&format!(
        "{engine_name}: plain SQL aggregate of {persons} persons: {:.3} s",
        secs(plain)
    ));

    let mut job_times = Vec::new();
    for size in args.chunk_sizes.split(',') {
        let chunk_size: u64 = size
            .trim()
            .parse()
            .map_err(|_| CliError::invalid(format!("--chunk-sizes {size}: 整数ではありません")))?;
        let mut best = Duration::MAX;
        let mut chunks = 0;
        for _ in 0..repeat {
            let params: BTreeMap<String, String> = [("as_of".to_owned(), as_of.to_string())].into();
            let options = EngineOptions {
                chunk_size,
                ..EngineOptions::default()
            };
            let started = Instant::now();
            let id = engine::submit(&tenant, &kinds, "population-statistics", &params, "bench")
                .await
                .map_err(|e| CliError::runtime(e.to_string()))?;
            let status =
                engine::run_to_end(&tenant, &kinds, id, &options, Duration::ZERO, |_| {}).await?;
            best = best.min(started.elapsed());
            if status != Status::Succeeded {
                return Err(CliError::runtime(format!(
                    "job {id} ended {}",
                    status.code()
                )));
            }
            chunks = engine::status(&tenant, id)
                .await?
                .map_or(0, |r| r.chunks_total);
        }
        emit(&format!(
            "{engine_name}: population-statistics, chunk size {chunk_size} ({chunks} chunks): {:.3} s, {:.2}× the plain aggregate",
            secs(best),
            secs(best) / secs(plain).max(1e-9)
        ));
        job_times.push((chunk_size, best));
    }

    // The engine's own cost per chunk.
    let mut noop = Duration::MAX;
    for _ in 0..repeat {
        let params: BTreeMap<String, String> =
            [("chunks".to_owned(), args.noop_chunks.to_string())].into();
        let started = Instant::now();
        let id = engine::submit(&tenant, &kinds, "bench-noop", &params, "bench")
            .await
            .map_err(|e| CliError::runtime(e.to_string()))?;
        engine::run_to_end(
            &tenant,
            &kinds,
            id,
            &EngineOptions::default(),
            Duration::ZERO,
            |_| {},
        )
        .await?;
        noop = noop.min(started.elapsed());
    }
    let per_chunk = secs(noop) / args.noop_chunks.max(1) as f64;
    emit(&format!(
        "{engine_name}: engine cost per chunk (no-op job, {} chunks): {:.2} ms",
        args.noop_chunks,
        per_chunk * 1e3
    ));
    if let Some((_, best)) = job_times.first()
        && persons > 0
    {
        // Chunks of n persons cost n × (job time per person); the engine's
        // share stays under 5 % when its cost per chunk is under 5 % of that.
        let per_person = secs(*best) / persons as f64;
        let minimum = (per_chunk / (0.05 * per_person)).ceil();
        emit(&format!(
            "{engine_name}: chunk size keeping the engine under 5 % of the job: ≥ {minimum:.0} persons"
        ));
    }
    Ok(())
}
