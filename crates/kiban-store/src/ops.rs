//! The service operator's records (migration `0022_operations`): the
//! servers' availability probes, request and job statistics, incidents,
//! and the reads of the monthly report (backups and restore drills are
//! [`crate::backup`]'s). Platform tables: no resident data,
//! no tenant handle; a row about one municipality names it in
//! `municipality` ('' for the service as a whole).

use std::collections::BTreeMap;

use crate::platform::{execute, fetch_all};
use crate::query::{Arg, Row};
use crate::{Backend, Database, StoreError, is_unique_violation, now_text};

/// One row of request statistics: an hour (`YYYY-MM-DDTHH`, UTC) of one
/// server instance, municipality and route, with its totals so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestStats {
    /// The hour.
    pub hour: String,
    /// The server instance that served the requests.
    pub instance: String,
    /// The caller's municipality ('' when none: logins, operators, public pages).
    pub municipality: String,
    /// The route template, e.g. `GET /api/v1/municipalities/{m}/persons/{person_id}`.
    pub route: String,
    /// Requests.
    pub requests: i64,
    /// Of those, answered with a 5xx status.
    pub errors: i64,
    /// Of those, answered within 3 seconds.
    pub within_3s: i64,
    /// CPU time of their handlers, in microseconds.
    pub cpu_micros: i64,
    /// The latency histogram (JSON array of counts).
    pub histogram: String,
}

/// One row of job usage: an hour of one instance and municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobUsage {
    /// The hour (`YYYY-MM-DDTHH`, UTC).
    pub hour: String,
    /// The worker's instance.
    pub instance: String,
    /// The municipality whose jobs ran.
    pub municipality: String,
    /// Job steps run.
    pub steps: i64,
    /// Their CPU time in microseconds.
    pub cpu_micros: i64,
}

/// Records one minute's probe of an instance (`minute`: `YYYY-MM-DDTHH:MM`,
/// UTC). A minute already recorded for the instance is kept as it was.
pub async fn record_probe(
    db: &Database,
    minute: &str,
    instance: &str,
    up: bool,
    detail: &str,
) -> Result<(), StoreError> {
    execute(
        db,
        "INSERT INTO ops_probes (minute, instance, up, detail) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (minute, instance) DO NOTHING",
        &[
            Arg::from(minute),
            Arg::from(instance),
            Arg::Int(i64::from(up)),
            Arg::from(detail),
        ],
    )
    .await?;
    Ok(())
}

/// Writes the totals of request statistics rows (each row holds the
/// instance's totals of its hour so far, so writing it again is harmless).
pub async fn save_request_stats(db: &Database, rows: &[RequestStats]) -> Result<(), StoreError> {
    for r in rows {
        execute(
            db,
            "INSERT INTO ops_request_stats \
             (hour, instance, municipality, route, requests, errors, within_3s, cpu_micros, histogram) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (hour, instance, municipality, route) DO UPDATE SET \
             requests = excluded.requests, errors = excluded.errors, \
             within_3s = excluded.within_3s, cpu_micros = excluded.cpu_micros, \
             histogram = excluded.histogram",
            &[
                Arg::from(r.hour.as_str()),
                Arg::from(r.instance.as_str()),
                Arg::from(r.municipality.as_str()),
                Arg::from(r.route.as_str()),
                Arg::Int(r.requests),
                Arg::Int(r.errors),
                Arg::Int(r.within_3s),
                Arg::Int(r.cpu_micros),
                Arg::from(r.histogram.as_str()),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Writes the totals of job usage rows (as [`save_request_stats`]).
pub async fn save_job_usage(db: &Database, rows: &[JobUsage]) -> Result<(), StoreError> {
    for r in rows {
        execute(
            db,
            "INSERT INTO ops_job_usage (hour, instance, municipality, steps, cpu_micros) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (hour, instance, municipality) DO UPDATE SET \
             steps = excluded.steps, cpu_micros = excluded.cpu_micros",
            &[
                Arg::from(r.hour.as_str()),
                Arg::from(r.instance.as_str()),
                Arg::from(r.municipality.as_str()),
                Arg::Int(r.steps),
                Arg::Int(r.cpu_micros),
            ],
        )
        .await?;
    }
    Ok(())
}

/// An incident (障害・問い合わせ記録) as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRecord {
    /// Its number.
    pub id: i64,
    /// 1 (most severe) to 4.
    pub severity: i64,
    /// What happened.
    pub summary: String,
    /// The municipality concerned ('' for the service as a whole).
    pub municipality: String,
    /// When it was opened.
    pub opened_at: String,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// How it was resolved.
    pub resolution: Option<String>,
}

fn incident_from(row: &Row) -> Result<IncidentRecord, StoreError> {
    Ok(IncidentRecord {
        id: row.int(0)?,
        severity: row.int(1)?,
        summary: row.text(2)?,
        municipality: row.text(3)?,
        opened_at: row.text(4)?,
        closed_at: row.opt_text(5)?,
        resolution: row.opt_text(6)?,
    })
}

/// Opens an incident and returns its number (the next after the highest).
pub async fn create_incident(
    db: &Database,
    severity: i64,
    summary: &str,
    municipality: &str,
) -> Result<i64, StoreError> {
    // Two operators opening incidents at once may pick the same number:
    // the primary key refuses the second, which takes the next one.
    for _ in 0..5 {
        let result = fetch_all(
            db,
            "INSERT INTO ops_incidents (incident_id, severity, summary, municipality, opened_at) \
             SELECT COALESCE(MAX(incident_id), 0) + 1, $1, $2, $3, $4 FROM ops_incidents \
             RETURNING incident_id",
            &[
                Arg::Int(severity),
                Arg::from(summary),
                Arg::from(municipality),
                Arg::Text(now_text()),
            ],
        )
        .await;
        match result {
            Ok(rows) => {
                let row = rows.first().ok_or_else(|| StoreError::Corrupt {
                    column: "ops_incidents.incident_id".into(),
                    reason: "no number returned".into(),
                })?;
                return row.int(0);
            }
            Err(StoreError::Database(e)) if is_unique_violation(&e) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict(
        "incident: no free number after 5 attempts".into(),
    ))
}

/// What closing an incident found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// Closed now.
    Closed,
    /// It was closed already (its record is kept as it was).
    AlreadyClosed,
    /// There is no incident of that number.
    Unknown,
}

/// Closes an open incident with its resolution.
pub async fn close_incident(
    db: &Database,
    id: i64,
    resolution: &str,
) -> Result<Closed, StoreError> {
    let changed = execute(
        db,
        "UPDATE ops_incidents SET closed_at = $2, resolution = $3 \
         WHERE incident_id = $1 AND closed_at IS NULL",
        &[Arg::Int(id), Arg::Text(now_text()), Arg::from(resolution)],
    )
    .await?;
    if changed > 0 {
        return Ok(Closed::Closed);
    }
    let found = fetch_all(
        db,
        "SELECT incident_id FROM ops_incidents WHERE incident_id = $1",
        &[Arg::Int(id)],
    )
    .await?;
    Ok(if found.is_empty() {
        Closed::Unknown
    } else {
        Closed::AlreadyClosed
    })
}

/// Every incident, newest first.
pub async fn list_incidents(db: &Database) -> Result<Vec<IncidentRecord>, StoreError> {
    fetch_all(
        db,
        "SELECT incident_id, severity, summary, municipality, opened_at, closed_at, resolution \
         FROM ops_incidents ORDER BY incident_id DESC",
        &[],
    )
    .await?
    .iter()
    .map(incident_from)
    .collect()
}

/// The incidents that were open at some moment of `[from, to)`: opened
/// before `to` and not closed before `from`; of one municipality (and the
/// service-wide ones) when given.
pub async fn incidents_between(
    db: &Database,
    from: &str,
    to: &str,
    municipality: Option<&str>,
) -> Result<Vec<IncidentRecord>, StoreError> {
    let rows = fetch_all(
        db,
        "SELECT incident_id, severity, summary, municipality, opened_at, closed_at, resolution \
         FROM ops_incidents \
         WHERE opened_at < $2 AND (closed_at IS NULL OR closed_at >= $1) \
         AND ($3 = '' OR municipality = $3 OR municipality = '') \
         ORDER BY incident_id",
        &[
            Arg::from(from),
            Arg::from(to),
            Arg::from(municipality.unwrap_or("")),
        ],
    )
    .await?;
    rows.iter().map(incident_from).collect()
}

/// Minutes of `[from, to)` (minute keys) probed by at least one instance,
/// and of those the minutes in which none was up.
pub async fn probe_minutes(db: &Database, from: &str, to: &str) -> Result<(i64, i64), StoreError> {
    let rows = fetch_all(
        db,
        "SELECT COUNT(*), CAST(COALESCE(SUM(1 - up), 0) AS BIGINT) FROM \
         (SELECT minute, MAX(up) AS up FROM ops_probes \
          WHERE minute >= $1 AND minute < $2 GROUP BY minute) probed",
        &[Arg::from(from), Arg::from(to)],
    )
    .await?;
    match rows.first() {
        Some(row) => Ok((row.int(0)?, row.int(1)?)),
        None => Ok((0, 0)),
    }
}

/// The request statistics of the hours `[from, to)` (hour keys), every
/// instance and route.
pub async fn request_stats_between(
    db: &Database,
    from: &str,
    to: &str,
) -> Result<Vec<RequestStats>, StoreError> {
    let rows = fetch_all(
        db,
        "SELECT hour, instance, municipality, route, requests, errors, within_3s, cpu_micros, \
         histogram FROM ops_request_stats WHERE hour >= $1 AND hour < $2",
        &[Arg::from(from), Arg::from(to)],
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(RequestStats {
                hour: row.text(0)?,
                instance: row.text(1)?,
                municipality: row.text(2)?,
                route: row.text(3)?,
                requests: row.int(4)?,
                errors: row.int(5)?,
                within_3s: row.int(6)?,
                cpu_micros: row.int(7)?,
                histogram: row.text(8)?,
            })
        })
        .collect()
}

/// CPU time of jobs per municipality over the hours `[from, to)`.
pub async fn job_cpu_between(
    db: &Database,
    from: &str,
    to: &str,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let rows = fetch_all(
        db,
        "SELECT municipality, CAST(SUM(cpu_micros) AS BIGINT) FROM ops_job_usage \
         WHERE hour >= $1 AND hour < $2 GROUP BY municipality",
        &[Arg::from(from), Arg::from(to)],
    )
    .await?;
    rows.iter()
        .map(|row| Ok((row.text(0)?, row.int(1)?)))
        .collect()
}

/// The bytes each table takes, its indexes included: PostgreSQL's
/// `pg_total_relation_size`; on SQLite the pages counted by `dbstat`. An
/// empty map where this SQLite lacks `dbstat` (then [`database_bytes`] is
/// what there is).
pub async fn table_bytes(db: &Database) -> Result<BTreeMap<String, i64>, StoreError> {
    let rows = match db.backend() {
        Backend::Postgres => {
            fetch_all(
                db,
                "SELECT c.relname::text, pg_total_relation_size(c.oid) FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND c.relkind = 'r'",
                &[],
            )
            .await?
        }
        Backend::Sqlite => {
            match fetch_all(
                db,
                "SELECT m.tbl_name, CAST(SUM(s.pgsize) AS BIGINT) FROM dbstat s \
                 JOIN sqlite_master m ON m.name = s.name GROUP BY m.tbl_name",
                &[],
            )
            .await
            {
                Ok(rows) => rows,
                // No dbstat in this build of SQLite.
                Err(_) => return Ok(BTreeMap::new()),
            }
        }
    };
    rows.iter()
        .map(|row| Ok((row.text(0)?, row.int(1)?)))
        .collect()
}

/// The size of the whole database file in bytes (SQLite: pages × page
/// size; PostgreSQL: the database's size).
pub async fn database_bytes(db: &Database) -> Result<i64, StoreError> {
    let rows = match db.backend() {
        Backend::Sqlite => fetch_all(
            db,
            "SELECT p.page_count * s.page_size FROM pragma_page_count() p, pragma_page_size() s",
            &[],
        )
        .await?,
        Backend::Postgres => {
            fetch_all(db, "SELECT pg_database_size(current_database())", &[]).await?
        }
    };
    match rows.first() {
        Some(row) => row.int(0),
        None => Ok(0),
    }
}
