//! Fresh databases for tests: a temporary SQLite file, or a new PostgreSQL
//! database on the test server, dropped afterwards.

use std::path::PathBuf;

use rand::Rng;

use crate::{Backend, Database, MasterKey, StoreError};

/// The PostgreSQL server used by tests: `KIBAN_TEST_POSTGRES_URL`, or the
/// local server with trust authentication.
pub fn postgres_server_url() -> String {
    std::env::var("KIBAN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Both engines, for tests that must pass on each.
pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// A fresh, migrated database that disappears when dropped (best effort for
/// PostgreSQL: the database is dropped by [`TestDatabase::cleanup`] or left
/// for the next run's sweep of databases older than a day).
pub struct TestDatabase {
    /// The pool.
    pub db: Database,
    /// The URL, for starting the binary against the same database.
    pub url: String,
    /// The master key `db` was given (a new random one per database).
    pub master_key: MasterKey,
    sqlite_dir: Option<PathBuf>,
    postgres_name: Option<String>,
}

fn random_suffix() -> String {
    let mut rng = rand::rng();
    (0..12)
        .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
        .collect()
}

impl TestDatabase {
    /// Creates and migrates a fresh database on `backend`.
    pub async fn new(backend: Backend) -> Result<Self, StoreError> {
        Self::create(backend, None).await
    }

    /// Creates a fresh database on `backend` with the migrations up to and
    /// including `version` only (apply the rest with [`Database::migrate`]).
    pub async fn migrated_to(backend: Backend, version: i64) -> Result<Self, StoreError> {
        Self::create(backend, Some(version)).await
    }

    async fn create(backend: Backend, version: Option<i64>) -> Result<Self, StoreError> {
        let migrate = |db: Database| async move {
            match version {
                Some(version) => db.migrate_to(version).await?,
                None => db.migrate().await?,
            }
            Ok::<_, StoreError>(db)
        };
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("kiban-test-{}", random_suffix()));
                let url = format!("sqlite://{}", dir.join("kiban.db").display());
                let master_key = MasterKey::generate();
                let db = migrate(
                    Database::connect(&url)
                        .await?
                        .with_master_key(master_key.clone()),
                )
                .await?;
                Ok(Self {
                    db,
                    url,
                    master_key,
                    sqlite_dir: Some(dir),
                    postgres_name: None,
                })
            }
            Backend::Postgres => {
                let server = postgres_server_url();
                let admin = Database::connect(&server).await?;
                let name = format!("kiban_test_{}", random_suffix());
                if let crate::Pool::Postgres(p) = &admin.pool {
                    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                        .execute(p)
                        .await?;
                }
                admin.close().await;
                let url = match server.rsplit_once('/') {
                    Some((base, _)) => format!("{base}/{name}"),
                    None => return Err(StoreError::InvalidUrl(server)),
                };
                let master_key = MasterKey::generate();
                let db = migrate(
                    Database::connect(&url)
                        .await?
                        .with_master_key(master_key.clone()),
                )
                .await?;
                Ok(Self {
                    db,
                    url,
                    master_key,
                    sqlite_dir: None,
                    postgres_name: Some(name),
                })
            }
        }
    }

    /// The same pool without a master key, as a server started without
    /// one runs: sealing or opening a value fails with
    /// [`StoreError::NoMasterKey`].
    pub fn db_without_master_key(&self) -> Database {
        let mut db = self.db.clone();
        db.master_key = None;
        db
    }

    /// Closes the pool and removes the database.
    pub async fn cleanup(self) -> Result<(), StoreError> {
        self.db.close().await;
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = &self.postgres_name {
            let admin = Database::connect(&postgres_server_url()).await?;
            if let crate::Pool::Postgres(p) = &admin.pool {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(p)
                .await?;
            }
            admin.close().await;
        }
        Ok(())
    }
}
