//! Platform tables that belong to no municipality: the municipalities
//! themselves and the service operators' accounts and tokens. Reached only
//! through the fixed functions here; there is no generic query for them.

use kiban_core::MunicipalityCode;
use sqlx::AssertSqlSafe;

use crate::query::{Arg, Row, bind_postgres, bind_sqlite};
use crate::{Database, Pool, StoreError, is_unique_violation, now_text};

/// A municipality (団体): the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Municipality {
    /// 全国地方公共団体コード.
    pub code: MunicipalityCode,
    /// Its name, e.g. デモ市.
    pub name: String,
    /// The prefecture's name, e.g. 東京都.
    pub prefecture: String,
}

pub(crate) async fn execute(
    db: &Database,
    sql: &'static str,
    args: &[Arg],
) -> Result<u64, StoreError> {
    Ok(match &db.pool {
        Pool::Sqlite(p) => bind_sqlite(
            sqlx::query(AssertSqlSafe(
                crate::tenant::sqlite_placeholders(sql).into_owned(),
            )),
            args,
        )
        .execute(p)
        .await?
        .rows_affected(),
        Pool::Postgres(p) => bind_postgres(sqlx::query(AssertSqlSafe(sql)), args)
            .execute(p)
            .await?
            .rows_affected(),
    })
}

pub(crate) async fn fetch_all(
    db: &Database,
    sql: &'static str,
    args: &[Arg],
) -> Result<Vec<Row>, StoreError> {
    Ok(match &db.pool {
        Pool::Sqlite(p) => bind_sqlite(
            sqlx::query(AssertSqlSafe(
                crate::tenant::sqlite_placeholders(sql).into_owned(),
            )),
            args,
        )
        .fetch_all(p)
        .await?
        .into_iter()
        .map(Row::Sqlite)
        .collect(),
        Pool::Postgres(p) => bind_postgres(sqlx::query(AssertSqlSafe(sql)), args)
            .fetch_all(p)
            .await?
            .into_iter()
            .map(Row::Postgres)
            .collect(),
    })
}

fn municipality_from(row: &Row) -> Result<Municipality, StoreError> {
    let code = row.text(0)?;
    Ok(Municipality {
        code: MunicipalityCode::parse(&code).map_err(|e| StoreError::Corrupt {
            column: "municipality_code".into(),
            reason: e.to_string(),
        })?,
        name: row.text(1)?,
        prefecture: row.text(2)?,
    })
}

/// Registers a municipality. Fails with [`StoreError::Conflict`] when the
/// code is taken.
pub async fn create_municipality(db: &Database, m: &Municipality) -> Result<(), StoreError> {
    let result = execute(
        db,
        "INSERT INTO municipalities (municipality_code, name, prefecture, created_at) \
         VALUES ($1, $2, $3, $4)",
        &[
            Arg::from(m.code.as_str()),
            Arg::from(m.name.as_str()),
            Arg::from(m.prefecture.as_str()),
            Arg::Text(now_text()),
        ],
    )
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(StoreError::Database(e)) if is_unique_violation(&e) => {
            Err(StoreError::Conflict(format!("団体コード {}", m.code)))
        }
        Err(e) => Err(e),
    }
}

/// Finds a municipality by code.
pub async fn find_municipality(
    db: &Database,
    code: MunicipalityCode,
) -> Result<Option<Municipality>, StoreError> {
    let rows = fetch_all(
        db,
        "SELECT municipality_code, name, prefecture FROM municipalities WHERE municipality_code = $1",
        &[Arg::from(code.as_str())],
    )
    .await?;
    rows.first().map(municipality_from).transpose()
}

/// The municipalities whose keys exist (that have sealed values), by code.
pub async fn municipalities_with_keys(db: &Database) -> Result<Vec<MunicipalityCode>, StoreError> {
    let rows = fetch_all(
        db,
        "SELECT DISTINCT municipality_code FROM tenant_keys ORDER BY municipality_code",
        &[],
    )
    .await?;
    rows.iter()
        .map(|r| {
            let text = r.text(0)?;
            MunicipalityCode::parse(&text).map_err(|e| StoreError::Corrupt {
                column: "tenant_keys.municipality_code".into(),
                reason: e.to_string(),
            })
        })
        .collect()
}

/// Every municipality, by code.
pub async fn list_municipalities(db: &Database) -> Result<Vec<Municipality>, StoreError> {
    let rows = fetch_all(
        db,
        "SELECT municipality_code, name, prefecture FROM municipalities ORDER BY municipality_code",
        &[],
    )
    .await?;
    rows.iter().map(municipality_from).collect()
}

/// A service operator's account (運用事業者): runs the service, never reads
/// resident data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorAccount {
    /// Login name.
    pub login: String,
    /// Display name.
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Whether the account is disabled.
    pub disabled: bool,
}

/// Creates an operator account.
pub async fn create_operator(db: &Database, account: &OperatorAccount) -> Result<(), StoreError> {
    let result = execute(
        db,
        "INSERT INTO operator_accounts (login, display_name, password_hash, disabled, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            Arg::from(account.login.as_str()),
            Arg::from(account.display_name.as_str()),
            Arg::from(account.password_hash.as_str()),
            Arg::from(account.disabled),
            Arg::Text(now_text()),
        ],
    )
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(StoreError::Database(e)) if is_unique_violation(&e) => {
            Err(StoreError::Conflict(format!("運用者 {}", account.login)))
        }
        Err(e) => Err(e),
    }
}

/// Finds an operator account.
pub async fn find_operator(
    db: &Database,
    login: &str,
) -> Result<Option<OperatorAccount>, StoreError> {
    let rows = fetch_all(
        db,
        "SELECT login, display_name, password_hash, disabled FROM operator_accounts WHERE login = $1",
        &[Arg::from(login)],
    )
    .await?;
    rows.first()
        .map(|r| {
            Ok(OperatorAccount {
                login: r.text(0)?,
                display_name: r.text(1)?,
                password_hash: r.text(2)?,
                disabled: r.int(3)? != 0,
            })
        })
        .transpose()
}

/// A stored token of an operator (the secret itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The public id of the token.
    pub token_id: String,
    /// The account's login.
    pub login: String,
    /// `api` or `session`.
    pub kind: String,
    /// SHA-256 of the secret, hex.
    pub secret_sha256: String,
    /// When it expires (RFC 3339).
    pub expires_at: String,
    /// When it was last used (RFC 3339).
    pub last_used_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// Stores an operator token.
pub async fn insert_operator_token(db: &Database, token: &StoredToken) -> Result<(), StoreError> {
    let now = now_text();
    execute(
        db,
        "INSERT INTO operator_tokens (token_id, login, kind, secret_sha256, created_at, expires_at, last_used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            Arg::from(token.token_id.as_str()),
            Arg::from(token.login.as_str()),
            Arg::from(token.kind.as_str()),
            Arg::from(token.secret_sha256.as_str()),
            Arg::Text(now.clone()),
            Arg::from(token.expires_at.as_str()),
            Arg::Text(now),
        ],
    )
    .await?;
    Ok(())
}

/// Finds an operator token by its public id.
pub async fn find_operator_token(
    db: &Database,
    token_id: &str,
) -> Result<Option<StoredToken>, StoreError> {
    let rows = fetch_all(
        db,
        "SELECT token_id, login, kind, secret_sha256, expires_at, last_used_at, revoked_at \
         FROM operator_tokens WHERE token_id = $1",
        &[Arg::from(token_id)],
    )
    .await?;
    rows.first()
        .map(|r| {
            Ok(StoredToken {
                token_id: r.text(0)?,
                login: r.text(1)?,
                kind: r.text(2)?,
                secret_sha256: r.text(3)?,
                expires_at: r.text(4)?,
                last_used_at: r.text(5)?,
                revoked_at: r.opt_text(6)?,
            })
        })
        .transpose()
}

/// Marks an operator token as used now.
pub async fn touch_operator_token(db: &Database, token_id: &str) -> Result<(), StoreError> {
    execute(
        db,
        "UPDATE operator_tokens SET last_used_at = $2 WHERE token_id = $1",
        &[Arg::from(token_id), Arg::Text(now_text())],
    )
    .await?;
    Ok(())
}

/// Revokes an operator token.
pub async fn revoke_operator_token(db: &Database, token_id: &str) -> Result<(), StoreError> {
    execute(
        db,
        "UPDATE operator_tokens SET revoked_at = $2 WHERE token_id = $1 AND revoked_at IS NULL",
        &[Arg::from(token_id), Arg::Text(now_text())],
    )
    .await?;
    Ok(())
}

/// The tables that hold tenant data: every table with a
/// `municipality_code` column, except `municipalities` itself, by name. Read
/// from the schema (`sqlite_master` / `information_schema`), so a table added
/// by a later migration appears here without any other change (the standard
/// export checks that it knows every one).
pub async fn tenant_tables(db: &Database) -> Result<Vec<String>, StoreError> {
    let sql = match db.backend() {
        crate::Backend::Sqlite => {
            "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND c.name = 'municipality_code' \
             AND m.name <> 'municipalities' ORDER BY m.name"
        }
        crate::Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND column_name = 'municipality_code' \
             AND table_name <> 'municipalities' ORDER BY table_name"
        }
    };
    let rows = fetch_all(db, sql, &[]).await?;
    rows.iter().map(|r| r.text(0)).collect()
}
