//! The tenant-scoped handle: the only way to reach tenant data.

use kiban_core::MunicipalityCode;
use sqlx::{AssertSqlSafe, Postgres, Sqlite, Transaction};

use futures_util::TryStreamExt;
use sqlx::Row as _;

use crate::direct::Pooled;
use crate::query::{Arg, Row, bind_postgres, bind_sqlite};
use crate::stream::{BinaryCopyParser, ColumnKind, Field};
use crate::{Database, MAX_PARAMETERS_POSTGRES, MAX_PARAMETERS_SQLITE, Pool, StoreError};

/// A database handle bound to one municipality. It cannot be built without a
/// [`MunicipalityCode`] of an existing municipality (see [`Database::tenant`]).
#[derive(Clone)]
pub struct TenantDb {
    db: Database,
    municipality: MunicipalityCode,
}

impl TenantDb {
    pub(crate) fn new(db: Database, municipality: MunicipalityCode) -> Self {
        Self { db, municipality }
    }

    /// The municipality this handle is bound to.
    pub fn municipality(&self) -> MunicipalityCode {
        self.municipality
    }

    /// The engine behind the handle.
    pub fn backend(&self) -> crate::Backend {
        self.db.backend()
    }

    /// The state of type `T` kept once per pool (see
    /// [`Database::per_pool`]).
    pub fn per_pool<T: std::any::Any + Default + Send + Sync>(&self) -> std::sync::Arc<T> {
        self.db.per_pool()
    }

    /// Starts a transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), because nearly every business action writes (at
    /// least its access-log entry), and a deferred transaction could fail
    /// when upgrading from reading to writing.
    ///
    /// On SQLite, writers wait for their turn in arrival order (see
    /// `Database::writer`); a turn not given within the busy timeout fails
    /// like SQLite's own busy error would.
    pub async fn begin(&self) -> Result<TenantTx, StoreError> {
        let (inner, turn) = match &self.db.pool {
            Pool::Sqlite(_) => {
                let turn = tokio::time::timeout(
                    crate::SQLITE_BUSY_TIMEOUT,
                    self.db.writer.clone().lock_owned(),
                )
                .await
                .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?;
                let conn = self.db.direct()?.writer.acquire().await?;
                (
                    Inner::Direct(DirectTx::begin(conn, "BEGIN IMMEDIATE")?),
                    Some(turn),
                )
            }
            Pool::Postgres(p) => (Inner::Postgres(p.begin().await?), None),
        };
        Ok(TenantTx {
            inner,
            municipality: self.municipality,
            master_key: self.db.master_key.clone(),
            shared: self.db.shared.clone(),
            _turn: turn,
        })
    }
}

impl TenantDb {
    /// Starts a read-only transaction whose reads all see one snapshot, for
    /// work that reads a whole municipality across many statements (the
    /// standard export): `REPEATABLE READ, READ ONLY` on PostgreSQL (whose
    /// default gives each statement its own snapshot); on SQLite a deferred
    /// transaction, whose first read fixes the snapshot (WAL mode) without
    /// holding the write lock, so clerks keep working meanwhile.
    pub async fn begin_snapshot(&self) -> Result<TenantTx, StoreError> {
        let inner = match &self.db.pool {
            Pool::Sqlite(p) => Inner::Sqlite(p.begin().await?),
            Pool::Postgres(p) => Inner::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?,
            ),
        };
        Ok(TenantTx {
            inner,
            municipality: self.municipality,
            master_key: self.db.master_key.clone(),
            shared: self.db.shared.clone(),
            _turn: None,
        })
    }
}

impl TenantDb {
    /// Starts a transaction for reading only (deferred on SQLite, so readers
    /// do not queue behind writers). Use [`TenantDb::begin`] for anything
    /// that may write, including an access-log entry.
    pub async fn begin_read(&self) -> Result<TenantTx, StoreError> {
        let inner = match &self.db.pool {
            Pool::Sqlite(_) => {
                let conn = self.db.direct()?.readers.acquire().await?;
                Inner::Direct(DirectTx::begin(conn, "BEGIN")?)
            }
            Pool::Postgres(p) => Inner::Postgres(p.begin().await?),
        };
        Ok(TenantTx {
            inner,
            municipality: self.municipality,
            master_key: self.db.master_key.clone(),
            shared: self.db.shared.clone(),
            _turn: None,
        })
    }
}

impl TenantDb {
    /// Runs one reading statement on its own, outside any explicit
    /// transaction, and returns at most one row. A single statement reads
    /// one snapshot on both engines; this saves the round trips of
    /// `BEGIN` and `COMMIT` on a hot path (the check of a bearer token on
    /// every request). Anything that reads more than once, or writes, uses
    /// a transaction.
    pub async fn fetch_one_statement(
        &self,
        sql: &str,
        args: &[Arg],
    ) -> Result<Option<Row>, StoreError> {
        check_scoped(sql)?;
        let all = scoped_args(self.municipality, args);
        Ok(match &self.db.pool {
            Pool::Sqlite(_) => self
                .db
                .direct()?
                .readers
                .acquire()
                .await?
                .fetch(&sqlite_placeholders(sql), &all, 1)?
                .pop()
                .map(Row::Direct),
            Pool::Postgres(p) => bind_postgres(sqlx::query(AssertSqlSafe(sql)), &all)
                .fetch_optional(p)
                .await?
                .map(Row::Postgres),
        })
    }
}

enum Inner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
    /// SQLite driven on the caller's thread (see [`crate::direct`]).
    Direct(DirectTx),
}

/// A transaction on a directly driven SQLite connection: rolled back when
/// dropped unless committed.
struct DirectTx {
    conn: Pooled,
    open: bool,
}

impl DirectTx {
    fn begin(conn: Pooled, statement: &str) -> Result<Self, StoreError> {
        conn.batch(statement)?;
        Ok(Self { conn, open: true })
    }

    fn end(&mut self, statement: &str) -> Result<(), StoreError> {
        self.conn.batch(statement)?;
        self.open = false;
        Ok(())
    }
}

impl Drop for DirectTx {
    fn drop(&mut self) {
        if self.open && !self.conn.is_autocommit() {
            // A failure leaves the connection in its transaction; it is
            // then closed instead of reused (see `Pooled`), which rolls
            // back all the same.
            let _ = self.conn.batch("ROLLBACK");
        }
    }
}

/// A transaction bound to one municipality. Every statement gets the
/// municipality code as `$1`; the caller's arguments are `$2`, `$3`, …. A
/// statement that does not mention `$1` is refused, so no query can forget
/// its tenant. Dropping the transaction without [`TenantTx::commit`] rolls it
/// back: nothing is half-written.
pub struct TenantTx {
    inner: Inner,
    municipality: MunicipalityCode,
    master_key: Option<crate::MasterKey>,
    /// The pool's state of higher layers (see [`TenantTx::per_pool`]).
    shared: std::sync::Arc<std::sync::Mutex<crate::SharedState>>,
    /// The SQLite writer's turn, held until commit or rollback (declared
    /// last: dropped after the transaction).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// SQLite reads `$N` as a *named* parameter and resolves each name by a
/// linear search, which makes a multi-row statement with thousands of
/// parameters quadratic; `?N` is its numbered form, resolved directly.
/// Statements here never contain `$` inside string literals.
pub(crate) fn sqlite_placeholders(sql: &str) -> std::borrow::Cow<'_, str> {
    if !sql.contains('$') {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The arguments of a tenant statement: the municipality code as `$1`,
/// then the caller's.
fn scoped_args(municipality: MunicipalityCode, args: &[Arg]) -> Vec<Arg> {
    let mut all = Vec::with_capacity(args.len() + 1);
    all.push(Arg::Text(municipality.as_str().to_owned()));
    all.extend_from_slice(args);
    all
}

fn check_scoped(sql: &str) -> Result<(), StoreError> {
    if sql.contains("$1") && sql.contains("municipality_code") {
        Ok(())
    } else {
        Err(StoreError::UnscopedStatement(
            sql.chars().take(120).collect(),
        ))
    }
}

impl TenantTx {
    /// The municipality this transaction is bound to.
    pub fn municipality(&self) -> MunicipalityCode {
        self.municipality
    }

    /// The state of type `T` kept once per pool (as
    /// [`TenantDb::per_pool`]), for what a business remembers between
    /// transactions on the same database. It is shared by every
    /// municipality of the pool: whatever is kept there must be keyed by
    /// [`TenantTx::municipality`].
    pub fn per_pool<T: std::any::Any + Default + Send + Sync>(&self) -> std::sync::Arc<T> {
        crate::per_pool(&self.shared)
    }

    /// The master key of the pool, for sealing values (see `vault`).
    pub(crate) fn master_key(&self) -> Option<&crate::MasterKey> {
        self.master_key.as_ref()
    }

    /// The engine behind the transaction.
    pub fn backend(&self) -> crate::Backend {
        match self.inner {
            Inner::Sqlite(_) | Inner::Direct(_) => crate::Backend::Sqlite,
            Inner::Postgres(_) => crate::Backend::Postgres,
        }
    }

    /// The clause that locks the rows a `SELECT` reads until the
    /// transaction ends, so that two transactions checking then changing
    /// the same row take turns: `FOR UPDATE` on PostgreSQL; nothing on
    /// SQLite, whose one writer already makes every writing transaction
    /// exclusive. Append it to the statement.
    pub fn for_update(&self) -> &'static str {
        match self.backend() {
            crate::Backend::Postgres => " FOR UPDATE",
            crate::Backend::Sqlite => "",
        }
    }

    /// As [`TenantTx::for_update`], skipping the rows another transaction
    /// holds (`FOR UPDATE SKIP LOCKED`): for workers claiming work.
    pub fn for_update_skip_locked(&self) -> &'static str {
        match self.backend() {
            crate::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            crate::Backend::Sqlite => "",
        }
    }

    fn full_args(&self, args: &[Arg]) -> Vec<Arg> {
        scoped_args(self.municipality, args)
    }

    /// Executes a statement; returns the number of rows affected.
    pub async fn execute(&mut self, sql: &str, args: &[Arg]) -> Result<u64, StoreError> {
        check_scoped(sql)?;
        let all = self.full_args(args);
        let affected = match &mut self.inner {
            Inner::Sqlite(tx) => bind_sqlite(
                sqlx::query(AssertSqlSafe(sqlite_placeholders(sql).into_owned())),
                &all,
            )
            .execute(&mut **tx)
            .await?
            .rows_affected(),
            Inner::Postgres(tx) => bind_postgres(sqlx::query(AssertSqlSafe(sql)), &all)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            Inner::Direct(tx) => tx.conn.execute(&sqlite_placeholders(sql), &all)?,
        };
        Ok(affected)
    }

    /// Runs a query and returns every row.
    pub async fn fetch_all(&mut self, sql: &str, args: &[Arg]) -> Result<Vec<Row>, StoreError> {
        check_scoped(sql)?;
        let all = self.full_args(args);
        let rows = match &mut self.inner {
            Inner::Sqlite(tx) => bind_sqlite(
                sqlx::query(AssertSqlSafe(sqlite_placeholders(sql).into_owned())),
                &all,
            )
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .map(Row::Sqlite)
            .collect(),
            Inner::Postgres(tx) => bind_postgres(sqlx::query(AssertSqlSafe(sql)), &all)
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
            Inner::Direct(tx) => tx
                .conn
                .fetch(&sqlite_placeholders(sql), &all, usize::MAX)?
                .into_iter()
                .map(Row::Direct)
                .collect(),
        };
        Ok(rows)
    }

    /// Runs a query expected to return at most one row.
    pub async fn fetch_optional(
        &mut self,
        sql: &str,
        args: &[Arg],
    ) -> Result<Option<Row>, StoreError> {
        check_scoped(sql)?;
        let all = self.full_args(args);
        let row = match &mut self.inner {
            Inner::Sqlite(tx) => bind_sqlite(
                sqlx::query(AssertSqlSafe(sqlite_placeholders(sql).into_owned())),
                &all,
            )
            .fetch_optional(&mut **tx)
            .await?
            .map(Row::Sqlite),
            Inner::Postgres(tx) => bind_postgres(sqlx::query(AssertSqlSafe(sql)), &all)
                .fetch_optional(&mut **tx)
                .await?
                .map(Row::Postgres),
            Inner::Direct(tx) => tx
                .conn
                .fetch(&sqlite_placeholders(sql), &all, 1)?
                .pop()
                .map(Row::Direct),
        };
        Ok(row)
    }

    /// Runs a query and calls `row` with each row's fields, streamed in the
    /// query's order without holding the result in memory (see
    /// [`crate::stream`]): `kinds` gives what each selected column holds.
    /// The query takes no arguments but the municipality (`$1`). On
    /// PostgreSQL it runs as `COPY (…) TO STDOUT (FORMAT binary)`, so its
    /// plan is the one of a single statement, whatever the statistics.
    pub async fn for_each_row<E: From<StoreError>>(
        &mut self,
        sql: &str,
        kinds: &[ColumnKind],
        mut row: impl FnMut(&[Field<'_>]) -> Result<(), E>,
    ) -> Result<(), E> {
        check_scoped(sql)?;
        let code = self.municipality;
        match &mut self.inner {
            Inner::Direct(tx) => tx.conn.for_each(
                &sqlite_placeholders(sql),
                &[Arg::Text(code.as_str().to_owned())],
                kinds,
                row,
            ),
            Inner::Sqlite(tx) => {
                let sql = sqlite_placeholders(sql).into_owned();
                let mut rows = sqlx::query(AssertSqlSafe(sql))
                    .bind(code.as_str())
                    .fetch(&mut **tx);
                while let Some(r) = rows.try_next().await.map_err(StoreError::from)? {
                    let mut values = Vec::with_capacity(kinds.len());
                    for (i, kind) in kinds.iter().enumerate() {
                        let corrupt = |e: sqlx::Error| StoreError::Corrupt {
                            column: format!("#{i}"),
                            reason: e.to_string(),
                        };
                        values.push(match kind {
                            ColumnKind::Int => r
                                .try_get::<Option<i64>, _>(i)
                                .map_err(corrupt)?
                                .map_or(Field::Null, Field::Int),
                            ColumnKind::Text => r
                                .try_get::<Option<&str>, _>(i)
                                .map_err(corrupt)?
                                .map_or(Field::Null, Field::Text),
                            ColumnKind::Bytes => r
                                .try_get::<Option<&[u8]>, _>(i)
                                .map_err(corrupt)?
                                .map_or(Field::Null, Field::Bytes),
                        });
                    }
                    row(&values)?;
                }
                Ok(())
            }
            Inner::Postgres(tx) => {
                // COPY takes no parameters: the municipality code (six
                // digits, checked when it was parsed) is written in as a
                // literal, and no other parameter may remain.
                let select = sql.replace("$1", &format!("'{}'", code.as_str()));
                if select.contains('$') {
                    return Err(
                        StoreError::UnscopedStatement(sql.chars().take(120).collect()).into(),
                    );
                }
                let statement = format!("COPY ({select}) TO STDOUT (FORMAT binary)");
                let mut chunks = tx
                    .copy_out_raw(&statement)
                    .await
                    .map_err(StoreError::from)?;
                let mut parser = BinaryCopyParser::new();
                let mut fields = Vec::with_capacity(kinds.len());
                // After a failure the rest is read and dropped: a COPY left
                // unread would leave the connection unusable, even for the
                // rollback.
                let mut failure = None;
                while let Some(chunk) = chunks.try_next().await.map_err(StoreError::from)? {
                    if failure.is_none()
                        && let Err(e) = parser.feed(&chunk, kinds, &mut fields, &mut row)
                    {
                        failure = Some(e);
                    }
                }
                if let Some(e) = failure {
                    return Err(e);
                }
                parser.finish()?;
                Ok(())
            }
        }
    }

    /// Inserts many rows into `table` with multi-row `INSERT` statements. The
    /// municipality code is written as the first column automatically:
    /// `columns` and each row list the other columns only.
    pub async fn insert_rows(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Arg>],
    ) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let per_row = columns.len();
        let max_parameters = match self.inner {
            Inner::Sqlite(_) | Inner::Direct(_) => MAX_PARAMETERS_SQLITE,
            Inner::Postgres(_) => MAX_PARAMETERS_POSTGRES,
        };
        let rows_per_statement = (max_parameters / per_row.max(1)).max(1);
        let mut inserted = 0;
        for chunk in rows.chunks(rows_per_statement) {
            let sql = multi_row_insert(table, columns, chunk.len());
            let mut args = Vec::with_capacity(chunk.len() * per_row);
            for row in chunk {
                if row.len() != per_row {
                    return Err(StoreError::Corrupt {
                        column: table.to_owned(),
                        reason: format!("{} values for {} columns", row.len(), per_row),
                    });
                }
                args.extend(row.iter().cloned());
            }
            inserted += self.execute(&sql, &args).await?;
        }
        Ok(inserted)
    }

    /// Takes `count` consecutive numbers from the municipality's sequence
    /// `name` (宛名番号, 世帯番号, 異動番号, …) and returns the first. Numbers
    /// start at 1 and are never reused; there are no global sequences.
    pub async fn next_numbers(&mut self, name: &str, count: i64) -> Result<i64, StoreError> {
        crate::sequences::next_numbers(self, name, count).await
    }

    /// The number the municipality's sequence `name` will hand out next,
    /// without taking it; `None` before its first use. Two equal answers
    /// mean no transaction that took numbers committed in between.
    pub async fn peek_next_number(&mut self, name: &str) -> Result<Option<i64>, StoreError> {
        crate::sequences::current_number(self, name).await
    }

    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.inner {
            Inner::Sqlite(tx) => tx.commit().await?,
            Inner::Postgres(tx) => tx.commit().await?,
            Inner::Direct(mut tx) => tx.end("COMMIT")?,
        }
        Ok(())
    }

    /// Rolls the transaction back explicitly.
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.inner {
            Inner::Sqlite(tx) => tx.rollback().await?,
            Inner::Postgres(tx) => tx.rollback().await?,
            Inner::Direct(mut tx) => tx.end("ROLLBACK")?,
        }
        Ok(())
    }
}

/// `INSERT INTO table (municipality_code, a, b) VALUES ($1, $2, $3), ($1, $4, $5)`.
pub(crate) fn multi_row_insert(table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = String::with_capacity(64 + rows * columns.len() * 7);
    sql.push_str("INSERT INTO ");
    sql.push_str(table);
    sql.push_str(" (municipality_code");
    for c in columns {
        sql.push_str(", ");
        sql.push_str(c);
    }
    sql.push_str(") VALUES ");
    let mut n = 2;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push_str("($1");
        for _ in columns {
            sql.push_str(", $");
            sql.push_str(&n.to_string());
            n += 1;
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unscoped_statements_are_refused() {
        assert!(check_scoped("SELECT * FROM persons").is_err());
        assert!(check_scoped("SELECT * FROM persons WHERE person_id = $1").is_err());
        assert!(check_scoped("SELECT * FROM persons WHERE municipality_code = $1").is_ok());
    }

    #[test]
    fn sqlite_numbered_parameters() {
        assert_eq!(
            sqlite_placeholders("SELECT a FROM t WHERE m = $1 AND b = $12"),
            "SELECT a FROM t WHERE m = ?1 AND b = ?12"
        );
        assert_eq!(sqlite_placeholders("SELECT 1"), "SELECT 1");
    }

    #[test]
    fn multi_row_insert_sql() {
        assert_eq!(
            multi_row_insert("t", &["a", "b"], 2),
            "INSERT INTO t (municipality_code, a, b) VALUES ($1, $2, $3), ($1, $4, $5)"
        );
    }
}
