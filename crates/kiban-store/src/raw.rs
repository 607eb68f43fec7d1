//! The raw limits of each engine, for benchmarks only (`kiban bench
//! exchange`): what moving the same rows costs with nothing of Kiban in
//! between (no checks, no access log, no tenant handle). PostgreSQL: `COPY
//! … TO STDOUT` / `COPY … FROM STDIN` in CSV; SQLite: a plain `SELECT`
//! streamed to CSV, and prepared multi-row `INSERT`s in one transaction.
//!
//! Never used by the product: these functions take the municipality code as
//! a plain argument and bypass [`crate::TenantTx`].

use std::io::Write;

use futures_util::TryStreamExt;
use kiban_core::MunicipalityCode;
use sqlx::postgres::PgPoolCopyExt;
use sqlx::{AssertSqlSafe, Row as _};

use crate::query::{Arg, bind_sqlite};
use crate::{Database, Pool, StoreError};

fn csv_field(out: &mut Vec<u8>, text: &str) {
    if text.contains([',', '"', '\r', '\n']) {
        out.push(b'"');
        out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

/// Writes the municipality's rows of `table` (the given columns, integer or
/// not, in key order) as CSV with a header to `out`; returns the rows.
pub async fn export_csv(
    db: &Database,
    municipality: MunicipalityCode,
    table: &str,
    columns: &[(&str, bool)],
    key: &[&str],
    out: &mut impl Write,
) -> Result<u64, StoreError> {
    let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
    let io = |e: std::io::Error| StoreError::Corrupt {
        column: table.to_owned(),
        reason: e.to_string(),
    };
    match &db.pool {
        Pool::Postgres(pool) => {
            let sql = format!(
                "COPY (SELECT {} FROM {table} WHERE municipality_code = '{}' ORDER BY {}) \
                 TO STDOUT WITH (FORMAT csv, HEADER)",
                names.join(", "),
                municipality.as_str(),
                key.join(", ")
            );
            let mut stream = pool.copy_out_raw(&sql).await?;
            let mut newlines = 0u64;
            while let Some(chunk) = stream.try_next().await? {
                newlines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
                out.write_all(&chunk).map_err(io)?;
            }
            Ok(newlines.saturating_sub(1))
        }
        Pool::Sqlite(pool) => {
            let sql = format!(
                "SELECT {} FROM {table} WHERE municipality_code = ?1 ORDER BY {}",
                names.join(", "),
                key.join(", ")
            );
            let mut line = Vec::with_capacity(4096);
            line.extend_from_slice(names.join(",").as_bytes());
            line.extend_from_slice(b"\r\n");
            out.write_all(&line).map_err(io)?;
            let mut rows = sqlx::query(AssertSqlSafe(sql))
                .bind(municipality.as_str())
                .fetch(pool);
            let mut count = 0u64;
            while let Some(row) = rows.try_next().await? {
                line.clear();
                for (i, (_, integer)) in columns.iter().enumerate() {
                    if i > 0 {
                        line.push(b',');
                    }
                    if *integer {
                        if let Some(v) = row.try_get::<Option<i64>, _>(i)? {
                            line.extend_from_slice(v.to_string().as_bytes());
                        }
                    } else if let Ok(text) = row.try_get::<Option<String>, _>(i) {
                        if let Some(t) = text {
                            csv_field(&mut line, &t);
                        }
                    } else if let Some(bytes) = row.try_get::<Option<Vec<u8>>, _>(i)? {
                        line.extend_from_slice(b"\\x");
                        for b in bytes {
                            line.extend_from_slice(format!("{b:02x}").as_bytes());
                        }
                    }
                }
                line.extend_from_slice(b"\r\n");
                out.write_all(&line).map_err(io)?;
                count += 1;
            }
            Ok(count)
        }
    }
}

/// Inserts rows into `table` for the municipality: on PostgreSQL with
/// `COPY … FROM STDIN` of `csv` (CSV without header, the municipality code
/// as its first column, built by the caller); on SQLite prepared multi-row
/// `INSERT`s of `rows` (without the municipality code) in one transaction. Returns the rows inserted.
pub async fn import_rows(
    db: &Database,
    municipality: MunicipalityCode,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Arg>],
    csv: &[u8],
) -> Result<u64, StoreError> {
    match &db.pool {
        Pool::Postgres(pool) => {
            let sql = format!(
                "COPY {table} (municipality_code, {}) FROM STDIN WITH (FORMAT csv)",
                columns.join(", ")
            );
            let mut copy = pool.copy_in_raw(&sql).await?;
            for chunk in csv.chunks(1 << 20) {
                copy.send(chunk).await?;
            }
            Ok(copy.finish().await?)
        }
        Pool::Sqlite(pool) => {
            // Multi-row INSERTs of the same size as Kiban's own (at most
            // MAX_PARAMETERS_SQLITE parameters), each text prepared once and
            // reused from the statement cache.
            let per_row = columns.len() + 1;
            let rows_per_statement = (crate::MAX_PARAMETERS_SQLITE / per_row).max(1);
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            let code = Arg::from(municipality.as_str());
            let mut args = Vec::with_capacity(rows_per_statement * per_row);
            for chunk in rows.chunks(rows_per_statement) {
                let sql = crate::tenant::sqlite_placeholders(&crate::tenant::multi_row_insert(
                    table,
                    columns,
                    chunk.len(),
                ))
                .into_owned();
                args.clear();
                args.push(code.clone());
                for row in chunk {
                    args.extend_from_slice(row);
                }
                bind_sqlite(sqlx::query(AssertSqlSafe(sql)), &args)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(rows.len() as u64)
        }
    }
}

/// Creates `scratch`, an empty table of the shape of `table` (its columns,
/// keys, checks and indexes), for a benchmark that writes rows like the
/// product's without touching the product's tables. `scratch` must not
/// exist yet; drop it with [`drop_scratch_table`]. Both names are the
/// caller's constants, never input.
pub async fn create_scratch_table(
    db: &Database,
    table: &str,
    scratch: &str,
) -> Result<(), StoreError> {
    check_name(table)?;
    check_name(scratch)?;
    match &db.pool {
        Pool::Postgres(pool) => {
            let sql = format!("CREATE TABLE {scratch} (LIKE {table} INCLUDING ALL)");
            sqlx::query(AssertSqlSafe(sql)).execute(pool).await?;
        }
        Pool::Sqlite(pool) => {
            // The table's own statement and its indexes', with every
            // mention of the table's name (index names included) renamed.
            let statements: Vec<String> = sqlx::query_scalar(
                "SELECT sql FROM sqlite_master WHERE tbl_name = ?1 AND sql IS NOT NULL \
                 ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, name",
            )
            .bind(table)
            .fetch_all(pool)
            .await?;
            if statements.is_empty() {
                return Err(StoreError::Corrupt {
                    column: table.to_owned(),
                    reason: "no such table".into(),
                });
            }
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            for statement in statements {
                sqlx::query(AssertSqlSafe(statement.replace(table, scratch)))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
    }
    Ok(())
}

/// Drops a table made by [`create_scratch_table`] (nothing when it does
/// not exist).
pub async fn drop_scratch_table(db: &Database, scratch: &str) -> Result<(), StoreError> {
    check_name(scratch)?;
    let sql = format!("DROP TABLE IF EXISTS {scratch}");
    match &db.pool {
        Pool::Postgres(pool) => {
            sqlx::query(AssertSqlSafe(sql)).execute(pool).await?;
        }
        Pool::Sqlite(pool) => {
            sqlx::query(AssertSqlSafe(sql)).execute(pool).await?;
        }
    }
    Ok(())
}

/// A table name is lower-case ASCII letters, digits and `_`.
fn check_name(name: &str) -> Result<(), StoreError> {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        Ok(())
    } else {
        Err(StoreError::Corrupt {
            column: "table".into(),
            reason: name.chars().take(60).collect(),
        })
    }
}
