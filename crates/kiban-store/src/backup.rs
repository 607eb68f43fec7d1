//! What a backup needs from the database (運用: バックアップ), outside any
//! tenant handle: the online copy of a SQLite database, the census of the
//! manifest (row counts of every tenant table per municipality and the
//! head of each access-log chain, read in one snapshot), and the
//! operator's records of backups and restore drills (`ops_backups`,
//! `ops_restore_drills`, migration 0022).
//!
//! The census is the one place besides the standard export's check of the
//! schema that reads tenant tables without a [`crate::TenantTx`]: it reads
//! only `COUNT(*)` per municipality and the last entry's chain hash, never
//! a row's content, and it must see every municipality in one snapshot.

use std::collections::BTreeMap;
use std::path::Path;

use sqlx::AssertSqlSafe;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use crate::platform::{execute, fetch_all};
use crate::query::{Arg, Row};
use crate::{Backend, Database, Pool, StoreError, now_text};

/// One municipality as the census saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MunicipalityCensus {
    /// The municipality's code.
    pub code: String,
    /// Every tenant table's rows of this municipality (0 included), by
    /// table name.
    pub tables: BTreeMap<String, i64>,
    /// The chain hash of its last access-log entry; `None` before the
    /// first entry.
    pub audit_head: Option<String>,
}

/// The state of the whole database at one moment, for a backup's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Census {
    /// The number of the last migration applied.
    pub schema_version: i64,
    /// Every municipality, by code.
    pub municipalities: Vec<MunicipalityCensus>,
}

/// Reads the census in one snapshot: on PostgreSQL one `REPEATABLE READ,
/// READ ONLY` transaction; on SQLite one read transaction (use it on a
/// copy opened with [`open_sqlite_copy`], which nothing else writes).
pub async fn census(db: &Database) -> Result<Census, StoreError> {
    census_with(db, None).await
}

/// PostgreSQL: writes the named restore point into the WAL and reads the
/// census in the snapshot taken by that same statement, so that a
/// recovery to the restore point (`recovery_target_name`) gives the
/// database the census describes. Only a transaction committing in the
/// microseconds between the snapshot and the restore point's record can
/// fall between the two.
pub async fn census_at_restore_point(db: &Database, name: &str) -> Result<Census, StoreError> {
    if db.backend() != Backend::Postgres {
        return Err(StoreError::InvalidUrl(
            "a restore point needs a PostgreSQL database".into(),
        ));
    }
    census_with(db, Some(name)).await
}

async fn census_with(db: &Database, restore_point: Option<&str>) -> Result<Census, StoreError> {
    let tables = crate::platform::tenant_tables(db).await?;
    let mut statements: Vec<String> = vec![
        "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success".to_owned(),
        "SELECT municipality_code FROM municipalities ORDER BY municipality_code".to_owned(),
        "SELECT a.municipality_code, a.entry_hash FROM audit_log a \
         WHERE a.entry_id = (SELECT MAX(b.entry_id) FROM audit_log b \
         WHERE b.municipality_code = a.municipality_code)"
            .to_owned(),
    ];
    for table in &tables {
        // Table names come from the schema (see `tenant_tables`); quoted
        // all the same.
        statements.push(format!(
            "SELECT municipality_code, COUNT(*) FROM \"{}\" GROUP BY municipality_code",
            table.replace('"', "\"\"")
        ));
    }
    let mut results: Vec<Vec<Row>> = Vec::with_capacity(statements.len());
    match &db.pool {
        Pool::Postgres(p) => {
            let mut tx = p
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?;
            if let Some(name) = restore_point {
                // The transaction's first statement: its snapshot is the
                // census's.
                sqlx::query("SELECT pg_create_restore_point($1)::text")
                    .bind(name)
                    .fetch_one(&mut *tx)
                    .await?;
            }
            for sql in statements {
                let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut *tx).await?;
                results.push(rows.into_iter().map(Row::Postgres).collect());
            }
            tx.rollback().await?;
        }
        Pool::Sqlite(p) => {
            let mut tx = p.begin().await?;
            for sql in statements {
                let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut *tx).await?;
                results.push(rows.into_iter().map(Row::Sqlite).collect());
            }
            tx.rollback().await?;
        }
    }
    let mut results = results.into_iter();
    let mut next = || results.next().unwrap_or_default();
    let schema_version = next().first().map(|r| r.int(0)).transpose()?.unwrap_or(0);
    let mut by_code: BTreeMap<String, MunicipalityCensus> = BTreeMap::new();
    for row in next() {
        let code = row.text(0)?;
        let counts = tables.iter().map(|t| (t.clone(), 0)).collect();
        by_code.insert(
            code.clone(),
            MunicipalityCensus {
                code,
                tables: counts,
                audit_head: None,
            },
        );
    }
    for row in next() {
        if let Some(m) = by_code.get_mut(&row.text(0)?) {
            m.audit_head = Some(row.text(1)?);
        }
    }
    for table in &tables {
        for row in next() {
            if let Some(m) = by_code.get_mut(&row.text(0)?) {
                m.tables.insert(table.clone(), row.int(1)?);
            }
        }
    }
    Ok(Census {
        schema_version,
        municipalities: by_code.into_values().collect(),
    })
}

/// Writes a transactionally consistent copy of a live SQLite database to
/// `target` (which must not exist) with `VACUUM INTO`: the copy is the
/// database as one read transaction sees it, while writers carry on.
pub async fn sqlite_copy_into(db: &Database, target: &Path) -> Result<(), StoreError> {
    let Pool::Sqlite(p) = &db.pool else {
        return Err(StoreError::InvalidUrl(
            "VACUUM INTO needs a SQLite database".into(),
        ));
    };
    let path = target.to_string_lossy().replace('\'', "''");
    sqlx::query(AssertSqlSafe(format!("VACUUM INTO '{path}'")))
        .execute(p)
        .await?;
    Ok(())
}

/// Opens a copy made by [`sqlite_copy_into`] read-only and immutable
/// (nothing is written to it, not even a lock), for its [`census`].
pub async fn open_sqlite_copy(path: &Path) -> Result<Database, StoreError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    Ok(Database {
        pool: Pool::Sqlite(pool),
        master_key: None,
        writer: std::sync::Arc::default(),
        known: std::sync::Arc::default(),
        direct: None,
        shared: std::sync::Arc::default(),
    })
}

/// The name of the database a PostgreSQL pool is connected to.
pub async fn postgres_database_name(db: &Database) -> Result<String, StoreError> {
    let rows = fetch_all(db, "SELECT current_database()::text", &[]).await?;
    rows.first()
        .map(|r| r.text(0))
        .transpose()?
        .ok_or_else(|| StoreError::Corrupt {
            column: "current_database".into(),
            reason: "no answer".into(),
        })
}

/// A PostgreSQL server setting (`SHOW`), e.g. `archive_mode`.
pub async fn postgres_setting(db: &Database, name: &str) -> Result<String, StoreError> {
    let rows = fetch_all(
        db,
        "SELECT COALESCE(current_setting($1, true), '')",
        &[Arg::from(name)],
    )
    .await?;
    rows.first()
        .map(|r| r.text(0))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// Whether a PostgreSQL server is still replaying WAL (a restored
/// cluster before its promotion).
pub async fn postgres_in_recovery(db: &Database) -> Result<bool, StoreError> {
    let rows = fetch_all(
        db,
        "SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END::bigint",
        &[],
    )
    .await?;
    Ok(rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(1) != 0)
}

/// Records the start of a backup (`running`) in `ops_backups`.
pub async fn record_backup_started(
    db: &Database,
    backup_id: &str,
    engine: Backend,
    location: &str,
) -> Result<(), StoreError> {
    execute(
        db,
        "INSERT INTO ops_backups (backup_id, engine, location, started_at, finished_at, status, detail) \
         VALUES ($1, $2, $3, $4, NULL, 'running', '')",
        &[
            Arg::from(backup_id),
            Arg::from(engine.name()),
            Arg::from(location),
            Arg::Text(now_text()),
        ],
    )
    .await?;
    Ok(())
}

/// How a backup ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupOutcome {
    /// Every file written and listed in the manifest.
    Succeeded,
    /// Stopped by an error (named in the detail).
    Failed,
}

/// Records the end of a backup started with [`record_backup_started`].
pub async fn record_backup_finished(
    db: &Database,
    backup_id: &str,
    outcome: BackupOutcome,
    detail: &str,
) -> Result<(), StoreError> {
    let status = match outcome {
        BackupOutcome::Succeeded => "succeeded",
        BackupOutcome::Failed => "failed",
    };
    execute(
        db,
        "UPDATE ops_backups SET finished_at = $2, status = $3, detail = $4 WHERE backup_id = $1",
        &[
            Arg::from(backup_id),
            Arg::Text(now_text()),
            Arg::from(status),
            Arg::from(detail),
        ],
    )
    .await?;
    Ok(())
}

/// One restore drill as `ops_restore_drills` keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreDrillRecord {
    /// Its id.
    pub drill_id: String,
    /// The backup directory it restored.
    pub restored_from: String,
    /// When it started (RFC 3339 UTC).
    pub started_at: String,
    /// When it finished (RFC 3339 UTC).
    pub finished_at: String,
    /// Whether every check passed.
    pub passed: bool,
    /// The report it printed (JSON).
    pub report: String,
}

/// Records a finished restore drill.
pub async fn record_restore_drill(
    db: &Database,
    drill: &RestoreDrillRecord,
) -> Result<(), StoreError> {
    execute(
        db,
        "INSERT INTO ops_restore_drills (drill_id, restored_from, started_at, finished_at, status, report) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            Arg::from(drill.drill_id.as_str()),
            Arg::from(drill.restored_from.as_str()),
            Arg::from(drill.started_at.as_str()),
            Arg::from(drill.finished_at.as_str()),
            Arg::from(if drill.passed { "passed" } else { "failed" }),
            Arg::from(drill.report.as_str()),
        ],
    )
    .await?;
    Ok(())
}

/// Backups finished in `[from, to)`: (succeeded, failed).
pub async fn backups_between(
    db: &Database,
    from: &str,
    to: &str,
) -> Result<(i64, i64), StoreError> {
    let rows = fetch_all(
        db,
        "SELECT CAST(COALESCE(SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM ops_backups WHERE finished_at >= $1 AND finished_at < $2",
        &[Arg::from(from), Arg::from(to)],
    )
    .await?;
    match rows.first() {
        Some(row) => Ok((row.int(0)?, row.int(1)?)),
        None => Ok((0, 0)),
    }
}

/// The last restore drill finished in `[from, to)`: (finished_at, status).
pub async fn last_drill_between(
    db: &Database,
    from: &str,
    to: &str,
) -> Result<Option<(String, String)>, StoreError> {
    let rows = fetch_all(
        db,
        "SELECT finished_at, status FROM ops_restore_drills \
         WHERE finished_at >= $1 AND finished_at < $2 ORDER BY finished_at DESC LIMIT 1",
        &[Arg::from(from), Arg::from(to)],
    )
    .await?;
    rows.first()
        .map(|row| Ok((row.text(0)?, row.text(1)?)))
        .transpose()
}

/// The restore drills recorded, newest first: (drill id, status).
pub async fn restore_drills(db: &Database) -> Result<Vec<(String, String)>, StoreError> {
    let rows = fetch_all(
        db,
        "SELECT drill_id, status FROM ops_restore_drills ORDER BY finished_at DESC, drill_id",
        &[],
    )
    .await?;
    rows.iter().map(|r| Ok((r.text(0)?, r.text(1)?))).collect()
}

/// The backups recorded, newest first: (backup id, status).
pub async fn backups(db: &Database) -> Result<Vec<(String, String)>, StoreError> {
    let rows = fetch_all(
        db,
        "SELECT backup_id, status FROM ops_backups ORDER BY started_at DESC, backup_id",
        &[],
    )
    .await?;
    rows.iter().map(|r| Ok((r.text(0)?, r.text(1)?))).collect()
}
