//! What a running server counts of its own work, for the monthly report:
//! requests per hour, municipality and route (latency histogram, errors,
//! CPU time) and job steps per hour and municipality (CPU time). Kept in
//! memory and written once a minute ([`UsageBook::flush`]); each row holds
//! the instance's totals of its hour, so a write that failed is simply
//! made again at the next flush.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use jiff::Timestamp;
use kiban_store::{Database, StoreError, ops};

use crate::histogram::Histogram;
use crate::month::hour_key;

/// A request slower than this is not "answered within 3 s".
pub const ONLINE_LIMIT: Duration = Duration::from_secs(3);

#[derive(Debug, Default, Clone)]
struct RequestEntry {
    requests: i64,
    errors: i64,
    within_3s: i64,
    cpu_micros: i64,
    histogram: Histogram,
    /// Changed since it was last written.
    dirty: bool,
    /// Counts changes, so that a flush marks clean only what it wrote.
    generation: u64,
}

#[derive(Debug, Default, Clone)]
struct JobEntry {
    steps: i64,
    cpu_micros: i64,
    dirty: bool,
    generation: u64,
}

type RequestKey = (String, String, String);
type JobKey = (String, String);

#[derive(Debug, Default)]
struct Book {
    requests: HashMap<RequestKey, RequestEntry>,
    jobs: HashMap<JobKey, JobEntry>,
}

/// One process's counts (see the module).
#[derive(Debug)]
pub struct UsageBook {
    instance: String,
    book: Mutex<Book>,
}

impl Default for UsageBook {
    fn default() -> Self {
        Self::new()
    }
}

impl UsageBook {
    /// A book for this process: its instance name is the host's name, the
    /// process id and the start time, unique to this process.
    pub fn new() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "kiban".to_owned());
        Self::with_instance(format!(
            "{host}-{}-{}",
            std::process::id(),
            Timestamp::now().as_second()
        ))
    }

    /// A book with a given instance name.
    pub fn with_instance(instance: String) -> Self {
        UsageBook {
            instance,
            book: Mutex::new(Book::default()),
        }
    }

    /// This process's instance name.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Book> {
        // A panic while counting leaves counts, never a broken invariant.
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one answered request.
    pub fn record_request(
        &self,
        at: Timestamp,
        municipality: &str,
        route: &str,
        took: Duration,
        server_error: bool,
        cpu: Duration,
    ) {
        let key = (hour_key(at), municipality.to_owned(), route.to_owned());
        let mut book = self.lock();
        let e = book.requests.entry(key).or_default();
        e.requests += 1;
        e.errors += i64::from(server_error);
        e.within_3s += i64::from(took <= ONLINE_LIMIT);
        e.cpu_micros += cpu.as_micros().min(i64::MAX as u128) as i64;
        e.histogram.record(took.as_secs_f64() * 1_000.0);
        e.dirty = true;
        e.generation += 1;
    }

    /// Counts one job step of a municipality.
    pub fn record_job_step(&self, at: Timestamp, municipality: &str, cpu: Duration) {
        let key = (hour_key(at), municipality.to_owned());
        let mut book = self.lock();
        let e = book.jobs.entry(key).or_default();
        e.steps += 1;
        e.cpu_micros += cpu.as_micros().min(i64::MAX as u128) as i64;
        e.dirty = true;
        e.generation += 1;
    }

    /// Writes what changed since the last flush, then forgets the hours
    /// before the current one that are written.
    pub async fn flush(&self, db: &Database) -> Result<(), StoreError> {
        let (requests, jobs) = {
            let book = self.lock();
            let requests: Vec<(RequestKey, u64, ops::RequestStats)> = book
                .requests
                .iter()
                .filter(|(_, e)| e.dirty)
                .map(|(k, e)| {
                    (
                        k.clone(),
                        e.generation,
                        ops::RequestStats {
                            hour: k.0.clone(),
                            instance: self.instance.clone(),
                            municipality: k.1.clone(),
                            route: k.2.clone(),
                            requests: e.requests,
                            errors: e.errors,
                            within_3s: e.within_3s,
                            cpu_micros: e.cpu_micros,
                            histogram: e.histogram.to_json(),
                        },
                    )
                })
                .collect();
            let jobs: Vec<(JobKey, u64, ops::JobUsage)> = book
                .jobs
                .iter()
                .filter(|(_, e)| e.dirty)
                .map(|(k, e)| {
                    (
                        k.clone(),
                        e.generation,
                        ops::JobUsage {
                            hour: k.0.clone(),
                            instance: self.instance.clone(),
                            municipality: k.1.clone(),
                            steps: e.steps,
                            cpu_micros: e.cpu_micros,
                        },
                    )
                })
                .collect();
            (requests, jobs)
        };
        let rows: Vec<_> = requests.iter().map(|(_, _, r)| r.clone()).collect();
        ops::save_request_stats(db, &rows).await?;
        let rows: Vec<_> = jobs.iter().map(|(_, _, r)| r.clone()).collect();
        ops::save_job_usage(db, &rows).await?;

        let current = hour_key(Timestamp::now());
        let mut book = self.lock();
        for (key, generation, _) in &requests {
            if let Some(e) = book.requests.get_mut(key)
                && e.generation == *generation
            {
                e.dirty = false;
            }
        }
        for (key, generation, _) in &jobs {
            if let Some(e) = book.jobs.get_mut(key)
                && e.generation == *generation
            {
                e.dirty = false;
            }
        }
        book.requests.retain(|k, e| e.dirty || k.0 >= current);
        book.jobs.retain(|k, e| e.dirty || k.0 >= current);
        Ok(())
    }
}

/// A future that adds up the CPU time of the thread it is polled on, over
/// all its polls: the CPU time of a request's or a job step's own work.
/// Work it hands to other threads (blocking pools, the print engine's
/// threads) is not counted.
pub struct CpuTimed<F> {
    inner: Pin<Box<F>>,
    spent: Duration,
}

/// Wraps `future` so that it returns its output with its CPU time.
pub fn cpu_timed<F: Future>(future: F) -> CpuTimed<F> {
    CpuTimed {
        inner: Box::pin(future),
        spent: Duration::ZERO,
    }
}

impl<F: Future> Future for CpuTimed<F> {
    type Output = (F::Output, Duration);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let started = cpu_time::ThreadTime::try_now().ok();
        let polled = self.inner.as_mut().poll(cx);
        if let Some(started) = started
            && let Ok(spent) = started.try_elapsed()
        {
            self.spent += spent;
        }
        match polled {
            Poll::Ready(output) => Poll::Ready((output, self.spent)),
            Poll::Pending => Poll::Pending,
        }
    }
}
