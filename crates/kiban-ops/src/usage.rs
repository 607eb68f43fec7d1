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
struct RequestTotals {
    requests: i64,
    errors: i64,
    within_3s: i64,
    cpu_micros: i64,
    histogram: Histogram,
}

#[derive(Debug, Default, Clone)]
struct JobTotals {
    steps: i64,
    cpu_micros: i64,
}

/// An hour's totals with their changes counted: `generation` goes up with
/// every change, `written` is the generation last written, so a flush
/// marks written only what it wrote.
#[derive(Debug, Default, Clone)]
struct Counted<T> {
    totals: T,
    generation: u64,
    written: u64,
}

impl<T> Counted<T> {
    fn change(&mut self, f: impl FnOnce(&mut T)) {
        f(&mut self.totals);
        self.generation += 1;
    }
}

/// Keys whose first part is the hour (`YYYY-MM-DDTHH`).
trait HourKey {
    fn hour(&self) -> &str;
}

type RequestKey = (String, String, String);
type JobKey = (String, String);

impl HourKey for RequestKey {
    fn hour(&self) -> &str {
        &self.0
    }
}

impl HourKey for JobKey {
    fn hour(&self) -> &str {
        &self.0
    }
}

/// The entries changed since written: key, generation and the row to write.
fn unwritten<K: Clone, T, R>(
    entries: &HashMap<K, Counted<T>>,
    row: impl Fn(&K, &T) -> R,
) -> Vec<(K, u64, R)> {
    entries
        .iter()
        .filter(|(_, e)| e.generation != e.written)
        .map(|(k, e)| (k.clone(), e.generation, row(k, &e.totals)))
        .collect()
}

/// Marks what was written, and forgets written hours before `current`.
fn mark_written<K: Eq + std::hash::Hash + HourKey, T, R>(
    entries: &mut HashMap<K, Counted<T>>,
    written: &[(K, u64, R)],
    current: &str,
) {
    for (key, generation, _) in written {
        if let Some(e) = entries.get_mut(key) {
            e.written = e.written.max(*generation);
        }
    }
    entries.retain(|k, e| e.generation != e.written || k.hour() >= current);
}

#[derive(Debug, Default)]
struct Book {
    requests: HashMap<RequestKey, Counted<RequestTotals>>,
    jobs: HashMap<JobKey, Counted<JobTotals>>,
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
        book.requests.entry(key).or_default().change(|t| {
            t.requests += 1;
            t.errors += i64::from(server_error);
            t.within_3s += i64::from(took <= ONLINE_LIMIT);
            t.cpu_micros += micros(cpu);
            t.histogram.record(took.as_secs_f64() * 1_000.0);
        });
    }

    /// Counts one job step of a municipality.
    pub fn record_job_step(&self, at: Timestamp, municipality: &str, cpu: Duration) {
        let key = (hour_key(at), municipality.to_owned());
        let mut book = self.lock();
        book.jobs.entry(key).or_default().change(|t| {
            t.steps += 1;
            t.cpu_micros += micros(cpu);
        });
    }

    /// Writes what changed since the last flush, then forgets the hours
    /// before the current one that are written.
    pub async fn flush(&self, db: &Database) -> Result<(), StoreError> {
        let instance = &self.instance;
        let (requests, jobs) = {
            let book = self.lock();
            let requests = unwritten(&book.requests, |k, t| ops::RequestStats {
                hour: k.0.clone(),
                instance: instance.clone(),
                municipality: k.1.clone(),
                route: k.2.clone(),
                requests: t.requests,
                errors: t.errors,
                within_3s: t.within_3s,
                cpu_micros: t.cpu_micros,
                histogram: t.histogram.to_json(),
            });
            let jobs = unwritten(&book.jobs, |k, t| ops::JobUsage {
                hour: k.0.clone(),
                instance: instance.clone(),
                municipality: k.1.clone(),
                steps: t.steps,
                cpu_micros: t.cpu_micros,
            });
            (requests, jobs)
        };
        let rows: Vec<_> = requests.iter().map(|(_, _, r)| r.clone()).collect();
        ops::save_request_stats(db, &rows).await?;
        let rows: Vec<_> = jobs.iter().map(|(_, _, r)| r.clone()).collect();
        ops::save_job_usage(db, &rows).await?;

        let current = hour_key(Timestamp::now());
        let mut book = self.lock();
        mark_written(&mut book.requests, &requests, &current);
        mark_written(&mut book.jobs, &jobs, &current);
        Ok(())
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
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
