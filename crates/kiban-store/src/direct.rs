//! SQLite connections driven on the calling task's own thread.
//!
//! sqlx runs every SQLite connection on a thread of its own and hands each
//! statement to it, and each row back, through channels. Under load that
//! hand-off dominated: two or more thread wake-ups per statement, about a
//! quarter of the server's CPU in the scheduler, and a movement (about
//! fifteen statements) held SQLite's one write lock through all those
//! wake-ups (see docs/performance.md, "Registry over HTTP").
//!
//! The tenant transactions that clerks' requests use ([`TenantDb::begin`]
//! and [`TenantDb::begin_read`](crate::TenantDb::begin_read)) therefore run
//! on connections of this pool instead: each statement is executed by
//! rusqlite (over the same SQLite library that sqlx links) right where the
//! request's task runs, with no thread in between. Those statements are
//! short (index lookups and small inserts), so they block their thread no
//! longer than any other request's work does. Long reads of a whole
//! municipality (the standard export) keep sqlx's connections
//! ([`TenantDb::begin_snapshot`](crate::TenantDb::begin_snapshot)), whose
//! rows stream to the task without blocking it. Migrations, the platform
//! tables and the background checkpoint stay on sqlx too.
//!
//! [`TenantDb::begin`]: crate::TenantDb::begin

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::query::Arg;
use crate::stream::{ColumnKind, Field};
use crate::{SQLITE_BUSY_TIMEOUT, StoreError};

/// How many prepared statements each connection keeps (the hot paths use
/// a few dozen distinct statements).
const STATEMENT_CACHE: usize = 256;

/// A pool of connections to one SQLite file, handed out one at a time.
pub(crate) struct DirectPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl DirectPool {
    /// A pool of at most `size` connections to the SQLite file at `path`
    /// (which exists: sqlx created it and set its journal to WAL).
    pub(crate) fn new(path: PathBuf, size: usize) -> Arc<Self> {
        Arc::new(Self {
            path,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(size)),
        })
    }

    /// A connection, waiting for one to be free (at most the busy timeout).
    pub(crate) async fn acquire(self: &Arc<Self>) -> Result<Pooled, StoreError> {
        let permit =
            tokio::time::timeout(SQLITE_BUSY_TIMEOUT, self.permits.clone().acquire_owned())
                .await
                .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?
                .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.open()?,
        };
        Ok(Pooled {
            conn: Some(conn),
            pool: Arc::clone(self),
            _permit: permit,
        })
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
        // The same settings as sqlx's connections (see `Database::connect`).
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; \
             PRAGMA synchronous = NORMAL; \
             PRAGMA cache_size = -65536; \
             PRAGMA temp_store = memory; \
             PRAGMA wal_autocheckpoint = 0; \
             PRAGMA journal_size_limit = 67108864;",
        )?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    /// Closes the idle connections and refuses new acquisitions.
    pub(crate) fn close(&self) {
        self.permits.close();
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// A connection taken from a [`DirectPool`], given back when dropped, unless
/// it was left inside a transaction (then it is closed, which rolls back).
pub(crate) struct Pooled {
    conn: Option<Connection>,
    pool: Arc<DirectPool>,
    _permit: OwnedSemaphorePermit,
}

impl Pooled {
    fn conn(&self) -> Result<&Connection, StoreError> {
        self.conn
            .as_ref()
            .ok_or(StoreError::Database(sqlx::Error::PoolClosed))
    }

    /// Runs `BEGIN`, `COMMIT`, `ROLLBACK` and the like.
    pub(crate) fn batch(&self, sql: &str) -> Result<(), StoreError> {
        Ok(self.conn()?.execute_batch(sql)?)
    }

    /// Executes a statement; returns the number of rows changed.
    pub(crate) fn execute(&self, sql: &str, args: &[Arg]) -> Result<u64, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn.prepare_cached(sql)?;
        bind(&mut statement, args)?;
        let changed = statement.raw_execute()?;
        Ok(changed as u64)
    }

    /// Runs a query and returns its rows (at most `limit`).
    pub(crate) fn fetch(
        &self,
        sql: &str,
        args: &[Arg],
        limit: usize,
    ) -> Result<Vec<Vec<Value>>, StoreError> {
        let conn = self.conn()?;
        let mut statement = conn.prepare_cached(sql)?;
        bind(&mut statement, args)?;
        let columns = statement.column_count();
        let mut rows = statement.raw_query();
        let mut out = Vec::new();
        while out.len() < limit {
            let Some(row) = rows.next()? else {
                break;
            };
            let mut values = Vec::with_capacity(columns);
            for i in 0..columns {
                values.push(row.get::<_, Value>(i)?);
            }
            out.push(values);
        }
        Ok(out)
    }

    /// Runs a query and calls `each` with every row's fields, read as
    /// `kinds` says (see [`crate::TenantTx::for_each_row`]).
    pub(crate) fn for_each<E: From<StoreError>>(
        &self,
        sql: &str,
        args: &[Arg],
        kinds: &[ColumnKind],
        mut each: impl FnMut(&[Field<'_>]) -> Result<(), E>,
    ) -> Result<(), E> {
        let conn = self.conn()?;
        let mut statement = conn.prepare_cached(sql).map_err(StoreError::from)?;
        bind(&mut statement, args)?;
        let mut rows = statement.raw_query();
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            let mut fields = Vec::with_capacity(kinds.len());
            for (i, kind) in kinds.iter().enumerate() {
                let value = row.get_ref(i).map_err(StoreError::from)?;
                fields.push(field(i, *kind, value)?);
            }
            each(&fields)?;
        }
        Ok(())
    }

    /// Whether the connection is outside any transaction.
    pub(crate) fn is_autocommit(&self) -> bool {
        self.conn.as_ref().is_some_and(Connection::is_autocommit)
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A connection still in a transaction (a failed rollback) is
            // closed, not reused; closing it rolls the transaction back.
            if conn.is_autocommit() {
                self.pool
                    .idle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(conn);
            }
        }
    }
}

fn bind(statement: &mut rusqlite::Statement<'_>, args: &[Arg]) -> Result<(), StoreError> {
    let expected = statement.parameter_count();
    if expected != args.len() {
        return Err(StoreError::Sqlite(rusqlite::Error::InvalidParameterCount(
            args.len(),
            expected,
        )));
    }
    for (n, arg) in args.iter().enumerate() {
        let index = n + 1;
        match arg {
            Arg::Int(v) => statement.raw_bind_parameter(index, v)?,
            Arg::Text(v) => statement.raw_bind_parameter(index, v.as_str())?,
            Arg::Bytes(v) => statement.raw_bind_parameter(index, v.as_slice())?,
            Arg::NullInt | Arg::NullText | Arg::NullBytes => {
                statement.raw_bind_parameter(index, rusqlite::types::Null)?
            }
        }
    }
    Ok(())
}

fn field(i: usize, kind: ColumnKind, value: ValueRef<'_>) -> Result<Field<'_>, StoreError> {
    let wrong = |what: &str| StoreError::Corrupt {
        column: format!("#{i}"),
        reason: format!("expected {what}, found {:?}", value.data_type()),
    };
    Ok(match (kind, value) {
        (_, ValueRef::Null) => Field::Null,
        (ColumnKind::Int, ValueRef::Integer(v)) => Field::Int(v),
        (ColumnKind::Int, _) => return Err(wrong("an integer")),
        (ColumnKind::Text, ValueRef::Text(t)) => {
            Field::Text(std::str::from_utf8(t).map_err(|e| StoreError::Corrupt {
                column: format!("#{i}"),
                reason: e.to_string(),
            })?)
        }
        (ColumnKind::Text, _) => return Err(wrong("text")),
        (ColumnKind::Bytes, ValueRef::Blob(b)) => Field::Bytes(b),
        (ColumnKind::Bytes, _) => return Err(wrong("bytes")),
    })
}
