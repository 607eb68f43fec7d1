//! Storage and tenancy (テナント分離) for Kiban.
//!
//! One query layer over SQLite (embedded, the default) and PostgreSQL (for
//! production), so that business crates write each statement once. SQL uses
//! `$1, $2, …` placeholders, which both backends accept.
//!
//! Tenant data is reachable only through a [`TenantTx`], a transaction bound
//! to one [`MunicipalityCode`]: it binds that code as `$1` of every statement
//! and refuses statements that do not use `$1`, so a query cannot forget its
//! tenant. Platform tables (municipalities, operator accounts) are reached
//! only through the fixed functions of [`platform`].
//!
//! Architecture invariant: this crate knows nothing of HTTP or of any
//! business's rules; it stores what it is given, in one transaction per
//! business action.

pub mod backup;
mod direct;
mod hosts;
pub mod ops;
pub mod platform;
mod query;
pub mod raw;
mod sequences;
pub mod stream;
mod tenant;
#[cfg(feature = "testing")]
pub mod testing;
mod vault;

use std::str::FromStr;
use std::time::Duration;

use kiban_core::MunicipalityCode;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, PgPool, SqlitePool};

pub use query::{Arg, IN_LIST_CHUNK, Row, in_list};
pub use stream::{ColumnKind, Field};
pub use tenant::{TenantDb, TenantTx};
pub use vault::{MasterKey, MasterKeyError};

/// A storage failure. Database errors are kept as they are: never turned
/// into "not found".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not `sqlite://…` or `postgres://…`.
    #[error("invalid database URL: {0} (give sqlite://PATH or postgres://…)")]
    InvalidUrl(String),
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// SQLite reported an error on a connection driven directly (see
    /// `direct`).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The database has migrations that this binary does not know, or lacks
    /// ones it needs.
    #[error("the database schema is older or newer than this binary; run `kiban migrate`")]
    SchemaMismatch,
    /// A statement given to a tenant handle does not use the tenant parameter.
    #[error("statement without the tenant condition ($1 = municipality_code): {0}")]
    UnscopedStatement(String),
    /// The municipality does not exist.
    #[error("no municipality {0}")]
    UnknownMunicipality(MunicipalityCode),
    /// A value read from the database does not have the expected form.
    #[error("corrupt stored value ({column}): {reason}")]
    Corrupt {
        /// The column.
        column: String,
        /// What was wrong.
        reason: String,
    },
    /// A unique key is already taken (e.g. the municipality exists).
    #[error("already exists: {0}")]
    Conflict(String),
    /// A value must be sealed or opened (個人番号, second-factor secrets) but
    /// no master key was configured.
    #[error("no master key configured (--master-key-file or KIBAN_MASTER_KEY)")]
    NoMasterKey,
    /// The configured master key does not open the municipality's keys.
    #[error("wrong master key: the municipality's keys do not open")]
    WrongMasterKey,
    /// Sealing or opening a value failed (altered, or bound to another row).
    #[error("sealed value not usable: {0}")]
    Sealing(String),
}

impl StoreError {
    /// Whether this is a unique-key violation: another transaction stored
    /// the same key first (on PostgreSQL, it waited for that one to commit).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(e) if is_unique_violation(e))
    }

    /// The catalogue's message for people (the CLI's operators; the API
    /// answers most of these as an internal error and logs the `Display`).
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            StoreError::InvalidUrl(url) => M::StoreInvalidUrl { url: url.clone() },
            StoreError::Database(e) => M::StoreDatabase {
                detail: e.to_string(),
            },
            StoreError::Sqlite(e) => M::StoreDatabase {
                detail: e.to_string(),
            },
            StoreError::Migration(e) => M::StoreMigration {
                detail: e.to_string(),
            },
            StoreError::SchemaMismatch => M::StoreSchemaMismatch {},
            StoreError::UnscopedStatement(statement) => M::StoreUnscopedStatement {
                statement: statement.clone(),
            },
            StoreError::UnknownMunicipality(code) => M::StoreUnknownMunicipality {
                code: code.to_string(),
            },
            StoreError::Corrupt { column, reason } => M::StoreCorrupt {
                column: column.clone(),
                reason: reason.clone(),
            },
            StoreError::Conflict(detail) => M::StoreConflict {
                detail: detail.clone(),
            },
            StoreError::NoMasterKey => M::StoreNoMasterKey {},
            StoreError::WrongMasterKey => M::StoreWrongMasterKey {},
            StoreError::Sealing(detail) => M::StoreSealing {
                detail: detail.clone(),
            },
        }
    }
}

/// Which database engine a [`Database`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite in one file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The lower-case name (`sqlite` / `postgres`).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A connection pool to the database of the shared service.
#[derive(Clone)]
pub struct Database {
    pub(crate) pool: Pool,
    pub(crate) master_key: Option<MasterKey>,
    /// SQLite has one writer at a time. Writing transactions take their
    /// turn here, first come first served, instead of in SQLite's busy
    /// handler, which sleeps and retries and so lets late comers overtake
    /// (long tails under load). Unused on PostgreSQL.
    pub(crate) writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Municipalities known to exist. A municipality is never deleted, so
    /// once found it need not be looked up again for every request.
    pub(crate) known:
        std::sync::Arc<std::sync::RwLock<std::collections::BTreeSet<MunicipalityCode>>>,
    /// SQLite: the connections that tenant transactions run on, driven on
    /// the request's own thread (see [`direct`]). `None` on PostgreSQL.
    pub(crate) direct: Option<DirectPools>,
    /// State that higher layers keep once per pool (see [`Database::per_pool`]).
    shared: std::sync::Arc<std::sync::Mutex<SharedState>>,
}

/// The SQLite connections of tenant transactions (see [`direct`]).
#[derive(Clone)]
pub(crate) struct DirectPools {
    /// For reading transactions and single statements.
    pub(crate) readers: std::sync::Arc<direct::DirectPool>,
    /// The one connection that writing transactions use (taken in the
    /// writers' turn). SQLite drops a connection's page cache whenever
    /// another connection has written since its last transaction; with
    /// every writer on one connection, its cache (the access log's and the
    /// registry's index pages) stays warm.
    pub(crate) writer: std::sync::Arc<direct::DirectPool>,
}

/// The entry of type `T` of a pool's shared state, created on first use.
pub(crate) fn per_pool<T: std::any::Any + Default + Send + Sync>(
    shared: &std::sync::Mutex<SharedState>,
) -> std::sync::Arc<T> {
    let mut shared = shared
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let entry = shared
        .entry(std::any::TypeId::of::<T>())
        .or_insert_with(|| std::sync::Arc::new(T::default()));
    match std::sync::Arc::clone(entry).downcast::<T>() {
        Ok(state) => state,
        // Unreachable: the map is keyed by the type. Replace rather
        // than fail.
        Err(_) => {
            let state = std::sync::Arc::new(T::default());
            *entry = state.clone();
            state
        }
    }
}

pub(crate) type SharedState =
    std::collections::HashMap<std::any::TypeId, std::sync::Arc<dyn std::any::Any + Send + Sync>>;

/// How many parameters one multi-row statement may carry on PostgreSQL
/// (its limit is 65,535).
pub const MAX_PARAMETERS_POSTGRES: usize = 30_000;
/// How long a SQLite writer waits for its turn before failing.
pub(crate) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How many SQLite connections tenant transactions may read on at once.
const SQLITE_READERS: usize = 8;
/// How many parameters one multi-row statement may carry on SQLite. Binding
/// looks each parameter's name up in a list, so the cost of a statement grows
/// with the square of its parameters: many small statements are faster than
/// one large one (measured with `kiban bench demo-insert`).
pub const MAX_PARAMETERS_SQLITE: usize = 250;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Database {
    /// Connects to `sqlite://PATH` (the file is created if missing) or
    /// `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StoreError::InvalidUrl(url.to_owned()));
            }
            if let Some(parent) = std::path::Path::new(path).parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)
                    .map_err(|e| StoreError::InvalidUrl(format!("{url}: {e}")))?;
            }
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory")
                // Checkpoints run in the background (see `checkpoints`),
                // not in the committing transaction.
                .pragma("wal_autocheckpoint", "0")
                .pragma("journal_size_limit", "67108864")
                .log_statements(log::LevelFilter::Off)
                .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(3600));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .min_connections(1)
                .connect_with(options)
                .await?;
            let file = std::path::PathBuf::from(path);
            let database = Self {
                pool: Pool::Sqlite(pool.clone()),
                master_key: None,
                writer: std::sync::Arc::default(),
                known: std::sync::Arc::default(),
                direct: Some(DirectPools {
                    readers: direct::DirectPool::new(file.clone(), SQLITE_READERS),
                    writer: direct::DirectPool::new(file.clone(), 1),
                }),
                shared: std::sync::Arc::default(),
            };
            tokio::spawn(checkpoints(
                pool,
                file,
                std::sync::Arc::downgrade(&database.writer),
            ));
            Ok(database)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let adjust = |options: PgConnectOptions| {
                options
                    .application_name("kiban")
                    .log_statements(log::LevelFilter::Off)
                    .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(3600))
            };
            let pool_options = || {
                PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
            };
            let hosts = hosts::parse(url).map_err(StoreError::InvalidUrl)?;
            let Some(list) = hosts else {
                let options = PgConnectOptions::from_str(url)
                    .map_err(|e| StoreError::InvalidUrl(format!("{url}: {e}")))?;
                let pool = pool_options().connect_with(adjust(options)).await?;
                return Ok(Self::postgres(pool));
            };
            // Several hosts (see `hosts`): the pool goes to the first
            // acceptable one, and a watcher follows the primary.
            let options = hosts::options(&list, adjust).map_err(StoreError::InvalidUrl)?;
            let require_primary = list.require_primary;
            let switches = std::sync::Arc::new(hosts::Switches::new());
            let before = switches.clone();
            let (current, conn) =
                hosts::find(&options, require_primary)
                    .await
                    .ok_or_else(|| {
                        StoreError::Database(sqlx::Error::Configuration(
                            format!(
                                "no host of the list accepts {}",
                                if require_primary {
                                    "writes"
                                } else {
                                    "connections"
                                }
                            )
                            .into(),
                        ))
                    })?;
            let pool = pool_options()
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        // A host that became a standby takes no new
                        // connection of the pool.
                        if hosts::acceptable(conn, require_primary).await? {
                            Ok(())
                        } else {
                            Err(sqlx::Error::Configuration(
                                "the host is not the primary (target_session_attrs)".into(),
                            ))
                        }
                    })
                })
                // A connection opened before the pool moved to another
                // host is closed instead of used.
                .before_acquire(move |_, meta| {
                    let fresh = !before.stale(meta.age);
                    Box::pin(async move { Ok(fresh) })
                })
                .connect_with(options[current].clone())
                .await?;
            let database = Self::postgres(pool.clone());
            tokio::spawn(hosts::watch(
                pool,
                options,
                require_primary,
                current,
                Some(conn),
                switches,
                std::sync::Arc::downgrade(&database.writer),
            ));
            Ok(database)
        } else {
            Err(StoreError::InvalidUrl(url.to_owned()))
        }
    }

    fn postgres(pool: PgPool) -> Self {
        Self {
            pool: Pool::Postgres(pool),
            master_key: None,
            writer: std::sync::Arc::default(),
            known: std::sync::Arc::default(),
            direct: None,
            shared: std::sync::Arc::default(),
        }
    }

    /// The directly driven SQLite connections (see [`direct`]); every
    /// SQLite pool has them, a PostgreSQL pool none.
    pub(crate) fn direct(&self) -> Result<&DirectPools, StoreError> {
        self.direct
            .as_ref()
            .ok_or(StoreError::Database(sqlx::Error::PoolClosed))
    }

    /// This pool with the master key that wraps the municipalities' keys
    /// (see [`MasterKey`]); without one, sealed values can be neither
    /// written nor read.
    pub fn with_master_key(mut self, key: MasterKey) -> Self {
        self.master_key = Some(key);
        self
    }

    /// The state of type `T` that a higher layer keeps once per pool,
    /// shared by every clone of this `Database` (e.g. the access log's
    /// queue of entries waiting for a writing transaction); created with
    /// `T::default()` on first use.
    pub fn per_pool<T: std::any::Any + Default + Send + Sync>(&self) -> std::sync::Arc<T> {
        per_pool(&self.shared)
    }

    /// Whether a master key is configured.
    pub fn has_master_key(&self) -> bool {
        self.master_key.is_some()
    }

    /// Checks the master key against the stored municipality keys: fails
    /// with [`StoreError::NoMasterKey`] when sealed values exist and no key
    /// is configured, and with [`StoreError::WrongMasterKey`] when the key
    /// does not open them. Run at start-up, so that a server never runs
    /// unable to read what it stored.
    pub async fn check_master_key(&self) -> Result<(), StoreError> {
        let codes = platform::municipalities_with_keys(self).await?;
        if codes.is_empty() {
            return Ok(());
        }
        if self.master_key.is_none() {
            return Err(StoreError::NoMasterKey);
        }
        for code in codes {
            let mut tx = self.tenant(code).await?.begin_read().await?;
            let check = tx.keyed_hash("master_key_check", b"").await;
            tx.rollback().await?;
            check?;
        }
        Ok(())
    }

    /// The engine behind this pool.
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations (embedded in the binary).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => SQLITE_MIGRATIONS.run(p).await?,
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// Applies the migrations up to and including `version` only: for tests
    /// of a later migration on data written before it.
    pub async fn migrate_to(&self, version: i64) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => SQLITE_MIGRATIONS.run_to(version, p).await?,
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run_to(version, p).await?,
        }
        Ok(())
    }

    /// Whether every migration this binary knows has been applied.
    pub async fn is_migrated(&self) -> Result<bool, StoreError> {
        let expected = match &self.pool {
            Pool::Sqlite(_) => SQLITE_MIGRATIONS.iter().count(),
            Pool::Postgres(_) => POSTGRES_MIGRATIONS.iter().count(),
        } as i64;
        let sql = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
        let applied: Result<i64, sqlx::Error> = match &self.pool {
            Pool::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
            Pool::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        };
        match applied {
            Ok(n) => Ok(n == expected),
            // No migration table yet: nothing has been applied.
            Err(sqlx::Error::Database(_)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Fails with [`StoreError::SchemaMismatch`] unless the schema is current.
    pub async fn require_migrated(&self) -> Result<(), StoreError> {
        if self.is_migrated().await? {
            Ok(())
        } else {
            Err(StoreError::SchemaMismatch)
        }
    }

    /// Checks that the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query("SELECT 1").execute(p).await?;
            }
            Pool::Postgres(p) => {
                sqlx::query("SELECT 1").execute(p).await?;
            }
        }
        Ok(())
    }

    /// A handle bound to one municipality: the only way to reach tenant data.
    /// Fails when the municipality does not exist.
    pub async fn tenant(&self, municipality: MunicipalityCode) -> Result<TenantDb, StoreError> {
        let known = self
            .known
            .read()
            .is_ok_and(|known| known.contains(&municipality));
        if !known {
            if platform::find_municipality(self, municipality)
                .await?
                .is_none()
            {
                return Err(StoreError::UnknownMunicipality(municipality));
            }
            if let Ok(mut known) = self.known.write() {
                known.insert(municipality);
            }
        }
        Ok(TenantDb::new(self.clone(), municipality))
    }

    /// Refreshes the planner's statistics of every table, after a bulk load
    /// (demo generation, import): without them PostgreSQL plans a large
    /// municipality's queries as if its tables were nearly empty. On
    /// PostgreSQL `ANALYZE`; on SQLite `PRAGMA optimize`, which analyses
    /// only the tables whose statistics are missing or out of date, each
    /// with a bounded sample (`analysis_limit`), taking its turn as a
    /// writer.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Postgres(p) => {
                sqlx::query("ANALYZE").execute(p).await?;
            }
            Pool::Sqlite(p) => {
                let _turn =
                    tokio::time::timeout(SQLITE_BUSY_TIMEOUT, self.writer.clone().lock_owned())
                        .await
                        .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?;
                let mut connection = p.acquire().await?;
                sqlx::query("PRAGMA analysis_limit = 1000")
                    .execute(&mut *connection)
                    .await?;
                // 0x10000: every table of the schema, not only those this
                // connection has used; 0x02: analyse where needed.
                sqlx::query("PRAGMA optimize = 0x10002")
                    .execute(&mut *connection)
                    .await?;
            }
        }
        Ok(())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        if let Some(direct) = &self.direct {
            direct.readers.close();
            direct.writer.close();
        }
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// How often the background checkpoint of a SQLite database runs.
const SQLITE_CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);

/// Beyond this many pages in the write-ahead log, the background
/// checkpoint also starts the log over (32 MB with 4 KB pages).
const SQLITE_RESTART_FRAMES: i64 = 8_192;

/// Beyond this many pages in the log, it is started over by a `RESTART`
/// checkpoint, which waits for every reader of an older snapshot (128 MB
/// with 4 KB pages).
const SQLITE_FORCE_RESTART_FRAMES: i64 = 32_768;

/// The log is started over once at most this many of its pages were
/// written during the last checkpoint (and are left to copy and sync), so
/// that the writers wait for little copying.
const SQLITE_RESTART_REMAINDER: i64 = 1_024;

/// How many `PASSIVE` checkpoints in a row may try to bring what is left
/// to copy under [`SQLITE_RESTART_REMAINDER`] before the log is started
/// over all the same.
const SQLITE_CATCH_UP_ROUNDS: usize = 8;

/// Copies a SQLite database's write-ahead log back into the database file
/// every [`SQLITE_CHECKPOINT_INTERVAL`], until the last handle of the pool
/// is gone (`writer` no longer upgrades) or the pool is closed.
///
/// SQLite's own automatic checkpoint runs inside the `COMMIT` that crosses
/// its threshold, so one writer in a few hundred waited tens of
/// milliseconds for it, and every writer queued behind that one (the tail
/// of the latencies). A `PASSIVE` checkpoint waits for no reader or
/// writer: it copies what no reader still needs. But the log starts over
/// only when a writer begins while all of it has been copied, which under
/// a steady stream of writes never happens by itself: the log would grow
/// without end (and every page read looks through all of it). So once it
/// holds more than [`SQLITE_RESTART_FRAMES`] pages, the checkpoint copies
/// its last pages in the writers' turn (they queue as usual meanwhile), and
/// the next writer starts the log from its beginning (`journal_size_limit`
/// then trims the file).
///
/// Whatever is copied and synced in the turn, the writers wait for. Under a
/// load of movements, a `RESTART` checkpoint there held them for about
/// 100 ms at a time, mostly syncing every page copied since the database
/// file's last sync (one `fsync` of 47 ms). So before the turn is taken, `PASSIVE`
/// checkpoints are repeated back to back (writers keep going), each with
/// less to copy than the one before, until little was written during the
/// last one, and both files are flushed; in the turn, one more `PASSIVE`
/// checkpoint copies and syncs only what came since. A `RESTART`, which
/// waits for readers, is kept for a log that still grew beyond
/// [`SQLITE_FORCE_RESTART_FRAMES`] (see [`restart_log`]).
async fn checkpoints(
    pool: SqlitePool,
    file: std::path::PathBuf,
    writer: std::sync::Weak<tokio::sync::Mutex<()>>,
) {
    let mut ticks = tokio::time::interval(SQLITE_CHECKPOINT_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if writer.strong_count() == 0 || pool.is_closed() {
            return;
        }
        let Some((mut frames, mut copied)) = passive_checkpoint(&pool).await else {
            if pool.is_closed() {
                return;
            }
            continue;
        };
        if frames <= SQLITE_RESTART_FRAMES {
            continue;
        }
        // Back to back, each checkpoint has less to copy and sync than the
        // one before, until what was written during one is little.
        for _ in 0..SQLITE_CATCH_UP_ROUNDS {
            let Some((now, done)) = passive_checkpoint(&pool).await else {
                break;
            };
            let fresh = now - copied;
            (frames, copied) = (now, done);
            if fresh <= SQLITE_RESTART_REMAINDER && frames - copied <= SQLITE_RESTART_REMAINDER {
                break;
            }
        }
        // The pages copied so far, and the log, are flushed to disk before
        // the turn is taken (each file's own data, through another
        // descriptor): the `RESTART` syncs both files too, and the sync of
        // the database file, of every page the checkpoints had copied since
        // its last sync, held the writers for about 50 ms.
        let flush = file.clone();
        let flushed = tokio::task::spawn_blocking(move || {
            std::fs::File::open(&flush)?.sync_data()?;
            let mut log = flush.into_os_string();
            log.push("-wal");
            std::fs::File::open(log)?.sync_data()
        })
        .await;
        if let Err(e) = flushed.map_err(std::io::Error::from).and_then(|done| done) {
            tracing::warn!(error = %e, "flushing the SQLite database file failed");
        }
        let Some(turn) = writer.upgrade() else {
            return;
        };
        let _turn = turn.lock().await;
        if frames > SQLITE_FORCE_RESTART_FRAMES {
            if let Err(e) = restart_log(&pool).await {
                tracing::warn!(error = %e, "restarting the SQLite log failed");
            }
        } else {
            // With the writers paused, this copies the last pages of the
            // log; the next writer then starts the log over by itself
            // (unless a reader of an older snapshot is still about: then
            // the next tick tries again).
            let _ = passive_checkpoint(&pool).await;
        }
    }
}

/// How long a `RESTART` checkpoint, in the writers' turn, waits for the
/// readers of older snapshots to finish before it gives up until the next
/// tick.
const SQLITE_RESTART_PATIENCE: Duration = Duration::from_millis(20);

/// Runs `RESTART` checkpoints, in the caller's writers' turn, until one
/// starts the log over or [`SQLITE_RESTART_PATIENCE`] has passed. The
/// checkpoint does not wait for readers in SQLite's busy handler, whose
/// sleeps grow (1, 2, 5, 10, 15, 20, 25 ms, …) and could hold the writers
/// for up to the busy timeout; it is tried again every millisecond
/// (`busy_timeout` 0 on its connection): readers' transactions last well
/// under that.
async fn restart_log(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    sqlx::query("PRAGMA busy_timeout = 0")
        .execute(&mut *conn)
        .await?;
    let deadline = tokio::time::Instant::now() + SQLITE_RESTART_PATIENCE;
    let outcome = loop {
        match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(RESTART)")
            .fetch_one(&mut *conn)
            .await
        {
            Ok((0, _, _)) => break Ok(()),
            Ok(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Ok(_) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    let timeout = format!("PRAGMA busy_timeout = {}", SQLITE_BUSY_TIMEOUT.as_millis());
    sqlx::query(sqlx::AssertSqlSafe(timeout))
        .execute(&mut *conn)
        .await?;
    outcome
}

/// One `PASSIVE` checkpoint: the pages in the log and how many of them are
/// copied to the database file by now; `None` if it failed (logged).
async fn passive_checkpoint(pool: &SqlitePool) -> Option<(i64, i64)> {
    match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await
    {
        Ok((_, log, copied)) => Some((log, copied)),
        Err(e) => {
            if !pool.is_closed() {
                tracing::warn!(error = %e, "background checkpoint of the SQLite log failed");
            }
            None
        }
    }
}

/// The current time as stored: RFC 3339 in UTC with microseconds.
pub fn now_text() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Microsecond)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .to_string()
}

/// Whether an error is a unique-key violation (on either engine).
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}
