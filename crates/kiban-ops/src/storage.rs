//! The report's figures read from the database: the operator's tables
//! (`kiban_store::ops`), the job runs and the rows of each municipality
//! (through its tenant handle: counts only, never a row's content).

use std::collections::BTreeMap;

use kiban_store::{Arg, Database, StoreError, backup, ops, platform};

use crate::histogram::Histogram;
use crate::month::Month;
use crate::report::{Drill, Incident, Inputs, SlaReport, Usage};

/// Why the report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored histogram that cannot be read.
    #[error("ops_request_stats: {0}")]
    Histogram(String),
    /// `--municipality` names none of the service's municipalities.
    #[error("municipality: {0} is not a municipality of this service")]
    UnknownMunicipality(String),
}

/// The monthly report of `month`, of the whole service or with incidents
/// and usage restricted to one municipality.
pub async fn sla_report(
    db: &Database,
    month: Month,
    municipality: Option<&str>,
) -> Result<SlaReport, ReportError> {
    let (from, to) = month.utc_bounds();
    let (from_minute, to_minute) = month.minute_bounds();
    let (from_hour, to_hour) = month.hour_bounds();

    let municipalities = platform::list_municipalities(db).await?;
    if let Some(code) = municipality
        && !municipalities.iter().any(|m| m.code.as_str() == code)
    {
        return Err(ReportError::UnknownMunicipality(code.to_owned()));
    }

    let (probed, down) = ops::probe_minutes(db, &from_minute, &to_minute).await?;

    let mut latency = Histogram::default();
    let mut requests = 0i64;
    let mut within_3s = 0i64;
    let mut per_municipality: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for row in ops::request_stats_between(db, &from_hour, &to_hour).await? {
        let h = Histogram::from_json(&row.histogram).map_err(ReportError::Histogram)?;
        latency.merge(&h);
        requests += row.requests;
        within_3s += row.within_3s;
        let entry = per_municipality.entry(row.municipality).or_default();
        entry.0 += row.requests;
        entry.1 += row.cpu_micros;
    }
    let job_cpu = ops::job_cpu_between(db, &from_hour, &to_hour).await?;

    let (backups_succeeded, backups_failed) = backup::backups_between(db, &from, &to).await?;
    let last_restore_drill = backup::last_drill_between(db, &from, &to)
        .await?
        .map(|(at, status)| Drill { at, status });
    let incidents = ops::incidents_between(db, &from, &to, municipality)
        .await?
        .into_iter()
        .map(|i| Incident {
            id: i.id,
            opened_at: i.opened_at,
            closed_at: i.closed_at,
            severity: i.severity,
            summary: i.summary,
        })
        .collect();

    // Job runs and rows stored, per municipality through its own handle.
    let tables = platform::tenant_tables(db).await?;
    let mut jobs_succeeded = 0i64;
    let mut jobs_failed = 0i64;
    let mut rows_of: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for m in &municipalities {
        let tenant = db.tenant(m.code).await?;
        let mut tx = tenant.begin_read().await?;
        let runs = tx
            .fetch_all(
                "SELECT status, COUNT(*) FROM jobs WHERE municipality_code = $1 \
                 AND finished_at >= $2 AND finished_at < $3 \
                 AND status IN ('succeeded', 'failed') GROUP BY status",
                &[Arg::from(from.as_str()), Arg::from(to.as_str())],
            )
            .await?;
        for run in runs {
            match run.text(0)?.as_str() {
                "succeeded" => jobs_succeeded += run.int(1)?,
                _ => jobs_failed += run.int(1)?,
            }
        }
        let mut counts = BTreeMap::new();
        for table in &tables {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE municipality_code = $1");
            let n = tx
                .fetch_all(&sql, &[])
                .await?
                .first()
                .map(|r| r.int(0))
                .transpose()?
                .unwrap_or(0);
            counts.insert(table.clone(), n);
        }
        tx.rollback().await?;
        rows_of.insert(m.code.as_str().to_owned(), counts);
    }
    let storage = storage_shares(db, &rows_of).await?;

    let usage = municipalities
        .iter()
        .map(|m| m.code.as_str())
        .filter(|code| municipality.is_none_or(|only| only == *code))
        .map(|code| {
            let (requests, request_cpu) = per_municipality.get(code).copied().unwrap_or((0, 0));
            let cpu = request_cpu + job_cpu.get(code).copied().unwrap_or(0);
            Usage {
                municipality_code: code.to_owned(),
                requests: requests.max(0) as u64,
                cpu_seconds: (cpu.max(0) as f64 / 1_000.0).round() / 1_000.0,
                storage_bytes: storage.get(code).copied().unwrap_or(0).max(0) as u64,
            }
        })
        .collect();

    Ok(SlaReport::compute(
        month,
        Inputs {
            probed_minutes: probed.max(0) as u64,
            down_minutes: down.max(0) as u64,
            latency,
            requests: requests.max(0) as u64,
            within_3s: within_3s.max(0) as u64,
            backups_succeeded: backups_succeeded.max(0) as u64,
            backups_failed: backups_failed.max(0) as u64,
            last_restore_drill,
            incidents,
            jobs_succeeded: jobs_succeeded.max(0) as u64,
            jobs_failed: jobs_failed.max(0) as u64,
            usage,
        },
    ))
}

/// Each municipality's share of the storage: every tenant table's bytes
/// shared by the municipalities' row counts in it. Where the engine cannot
/// tell the bytes per table, the whole database is shared by all rows.
async fn storage_shares(
    db: &Database,
    rows_of: &BTreeMap<String, BTreeMap<String, i64>>,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let mut table_rows: BTreeMap<&str, i64> = BTreeMap::new();
    for counts in rows_of.values() {
        for (table, n) in counts {
            *table_rows.entry(table).or_default() += n;
        }
    }
    let bytes = ops::table_bytes(db).await?;
    let mut shares = BTreeMap::new();
    if bytes.is_empty() {
        let whole = ops::database_bytes(db).await?;
        let all: i64 = table_rows.values().sum();
        for (code, counts) in rows_of {
            let mine: i64 = counts.values().sum();
            shares.insert(code.clone(), share(whole, mine, all));
        }
        return Ok(shares);
    }
    for (code, counts) in rows_of {
        let mine = counts
            .iter()
            .map(|(table, n)| {
                let table_bytes = bytes.get(table).copied().unwrap_or(0);
                share(
                    table_bytes,
                    *n,
                    table_rows.get(table.as_str()).copied().unwrap_or(0),
                )
            })
            .sum();
        shares.insert(code.clone(), mine);
    }
    Ok(shares)
}

fn share(bytes: i64, part: i64, whole: i64) -> i64 {
    if whole <= 0 {
        return 0;
    }
    (i128::from(bytes) * i128::from(part) / i128::from(whole)) as i64
}
