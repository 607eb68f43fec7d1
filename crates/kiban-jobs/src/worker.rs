//! The worker loop of `kiban worker` and `kiban serve`: claims work of
//! every municipality's runs until told to stop, and gives the other
//! recurring tasks (outbox consumers, plans) their turn.

use std::time::Duration;

use kiban_store::{Database, StoreError, platform};
use tokio::sync::watch;

use crate::engine::{self, EngineOptions};
use crate::kind::{BoxFuture, Kinds};

/// How the worker loop runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The engine's options (chunk size, retries, the worker's name).
    pub engine: EngineOptions,
    /// How long the loop waits when no municipality had work.
    pub idle: Duration,
    /// Where the CPU time of each job step is counted for the operations
    /// report (per municipality and hour); none in tests that do not care.
    pub usage: Option<std::sync::Arc<kiban_ops::usage::UsageBook>>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            engine: EngineOptions::default(),
            idle: Duration::from_secs(1),
            usage: None,
        }
    }
}

/// A recurring task run by the worker loop besides the jobs (an outbox
/// consumer, the plans that enqueue runs): called once per round of the
/// loop; returns whether it did work.
pub trait WorkerTask: Send + Sync {
    /// Its name, for the logs.
    fn name(&self) -> &'static str;

    /// Does what is due now.
    fn tick<'a>(&'a self, db: &'a Database) -> BoxFuture<'a, Result<bool, StoreError>>;
}

/// Tells a worker loop to stop after the step it is doing.
#[derive(Debug, Clone)]
pub struct StopHandle(watch::Sender<bool>);

impl StopHandle {
    /// Asks the loop to stop.
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

/// The loop's side of a [`StopHandle`].
#[derive(Debug, Clone)]
pub struct Stop(watch::Receiver<bool>);

impl Stop {
    /// A new pair.
    pub fn new() -> (StopHandle, Stop) {
        let (tx, rx) = watch::channel(false);
        (StopHandle(tx), Stop(rx))
    }

    /// Whether stopping was asked for.
    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits `duration`, or less when stopping is asked for.
    pub async fn sleep(&mut self, duration: Duration) {
        if self.requested() {
            return;
        }
        let mut rx = self.0.clone();
        tokio::select! {
            () = tokio::time::sleep(duration) => {}
            _ = rx.changed() => {}
        }
    }
}

/// Runs the worker until `stop` is asked: round after round, each
/// municipality's runs are stepped until none has work, then each task
/// ticks; when a round did nothing the loop waits `options.idle`.
/// Failures are logged (never personal data) and tried again later.
pub async fn run(
    db: Database,
    kinds: Kinds,
    options: WorkerOptions,
    tasks: Vec<Box<dyn WorkerTask>>,
    mut stop: Stop,
) {
    while !stop.requested() {
        let worked = round(&db, &kinds, &options, &tasks, &stop).await;
        if !worked {
            stop.sleep(options.idle).await;
        }
    }
}

/// One round of [`run`]; whether anything was done.
pub async fn round(
    db: &Database,
    kinds: &Kinds,
    options: &WorkerOptions,
    tasks: &[Box<dyn WorkerTask>],
    stop: &Stop,
) -> bool {
    let mut worked = false;
    match platform::list_municipalities(db).await {
        Ok(municipalities) => {
            for m in municipalities {
                let tenant = match db.tenant(m.code).await {
                    Ok(t) => t,
                    Err(e) => {
                        tracing::warn!(municipality = m.code.as_str(), error = %e, "worker: no tenant");
                        continue;
                    }
                };
                while !stop.requested() {
                    let (step, cpu) = kiban_ops::usage::cpu_timed(engine::work_once(
                        &tenant,
                        kinds,
                        &options.engine,
                    ))
                    .await;
                    if let (Ok(true), Some(usage)) = (&step, &options.usage) {
                        usage.record_job_step(jiff::Timestamp::now(), m.code.as_str(), cpu);
                    }
                    match step {
                        Ok(true) => worked = true,
                        Ok(false) => break,
                        Err(e) => {
                            tracing::warn!(
                                municipality = m.code.as_str(),
                                error = %e,
                                "worker: job step failed; retrying later"
                            );
                            break;
                        }
                    }
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "worker: cannot list municipalities"),
    }
    for task in tasks {
        if stop.requested() {
            break;
        }
        match task.tick(db).await {
            Ok(did) => worked |= did,
            Err(e) => tracing::warn!(task = task.name(), error = %e, "worker task failed"),
        }
    }
    worked
}

/// Writes the worker's counts of job steps ([`WorkerOptions::usage`]) for
/// the operations report, at most once per `every` (a minute in service).
pub struct UsageFlushTask {
    /// The counts, shared with the worker's options.
    pub usage: std::sync::Arc<kiban_ops::usage::UsageBook>,
    /// How often it writes.
    pub every: Duration,
    last: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl UsageFlushTask {
    /// A task writing `usage` every `every`.
    pub fn new(usage: std::sync::Arc<kiban_ops::usage::UsageBook>, every: Duration) -> Self {
        UsageFlushTask {
            usage,
            every,
            last: std::sync::Mutex::new(None),
        }
    }
}

impl WorkerTask for UsageFlushTask {
    fn name(&self) -> &'static str {
        "usage-flush"
    }

    fn tick<'a>(&'a self, db: &'a Database) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let now = tokio::time::Instant::now();
            {
                let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
                if last.is_some_and(|at| now.duration_since(at) < self.every) {
                    return Ok(false);
                }
                *last = Some(now);
            }
            self.usage.flush(db).await?;
            // Writing the counts is not work that keeps the loop awake.
            Ok(false)
        })
    }
}
