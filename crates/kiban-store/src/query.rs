//! Values bound to statements and rows read back, the same for both engines.

use sqlx::Row as _;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use crate::StoreError;

/// A value bound to a statement parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// An integer (`INTEGER` / `BIGINT`).
    Int(i64),
    /// Text (`TEXT`).
    Text(String),
    /// Bytes (`BLOB` / `BYTEA`).
    Bytes(Vec<u8>),
    /// A NULL integer.
    NullInt,
    /// A NULL text.
    NullText,
    /// A NULL blob.
    NullBytes,
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<i32> for Arg {
    fn from(v: i32) -> Self {
        Arg::Int(i64::from(v))
    }
}
impl From<u32> for Arg {
    fn from(v: u32) -> Self {
        Arg::Int(i64::from(v))
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Int(i64::from(v))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_owned())
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        v.map_or(Arg::NullText, Arg::Text)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        v.map_or(Arg::NullText, |s| Arg::Text(s.to_owned()))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Arg::NullInt, Arg::Int)
    }
}
impl From<Option<Vec<u8>>> for Arg {
    fn from(v: Option<Vec<u8>>) -> Self {
        v.map_or(Arg::NullBytes, Arg::Bytes)
    }
}
impl From<kiban_core::Date> for Arg {
    fn from(v: kiban_core::Date) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<Option<kiban_core::Date>> for Arg {
    fn from(v: Option<kiban_core::Date>) -> Self {
        v.map_or(Arg::NullText, |d| Arg::Text(d.to_string()))
    }
}

pub(crate) fn bind_sqlite<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    args: &'q [Arg],
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.as_str()),
            Arg::Bytes(v) => q.bind(v.as_slice()),
            Arg::NullInt => q.bind(None::<i64>),
            Arg::NullText => q.bind(None::<String>),
            Arg::NullBytes => q.bind(None::<Vec<u8>>),
        };
    }
    q
}

pub(crate) fn bind_postgres<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    args: &'q [Arg],
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.as_str()),
            Arg::Bytes(v) => q.bind(v.as_slice()),
            Arg::NullInt => q.bind(None::<i64>),
            Arg::NullText => q.bind(None::<String>),
            Arg::NullBytes => q.bind(None::<Vec<u8>>),
        };
    }
    q
}

/// A row read back from either engine, with typed getters by column index.
pub enum Row {
    /// A SQLite row.
    Sqlite(SqliteRow),
    /// A PostgreSQL row.
    Postgres(PgRow),
    /// A SQLite row read on the caller's thread (see [`crate::direct`]).
    Direct(Vec<rusqlite::types::Value>),
}

fn corrupt(idx: usize, e: sqlx::Error) -> StoreError {
    StoreError::Corrupt {
        column: format!("#{idx}"),
        reason: e.to_string(),
    }
}

fn direct(
    values: &[rusqlite::types::Value],
    idx: usize,
) -> Result<&rusqlite::types::Value, StoreError> {
    values.get(idx).ok_or_else(|| StoreError::Corrupt {
        column: format!("#{idx}"),
        reason: "no such column".into(),
    })
}

fn mismatch(idx: usize, expected: &str, found: &rusqlite::types::Value) -> StoreError {
    StoreError::Corrupt {
        column: format!("#{idx}"),
        reason: format!("expected {expected}, found {:?}", found.data_type()),
    }
}

fn direct_int(values: &[rusqlite::types::Value], idx: usize) -> Result<Option<i64>, StoreError> {
    use rusqlite::types::Value;
    match direct(values, idx)? {
        Value::Null => Ok(None),
        Value::Integer(v) => Ok(Some(*v)),
        other => Err(mismatch(idx, "an integer", other)),
    }
}

fn direct_text(
    values: &[rusqlite::types::Value],
    idx: usize,
) -> Result<Option<String>, StoreError> {
    use rusqlite::types::Value;
    match direct(values, idx)? {
        Value::Null => Ok(None),
        Value::Text(v) => Ok(Some(v.clone())),
        other => Err(mismatch(idx, "text", other)),
    }
}

fn direct_bytes(
    values: &[rusqlite::types::Value],
    idx: usize,
) -> Result<Option<Vec<u8>>, StoreError> {
    use rusqlite::types::Value;
    match direct(values, idx)? {
        Value::Null => Ok(None),
        Value::Blob(v) => Ok(Some(v.clone())),
        other => Err(mismatch(idx, "bytes", other)),
    }
}

fn not_null<T>(idx: usize, value: Option<T>) -> Result<T, StoreError> {
    value.ok_or_else(|| StoreError::Corrupt {
        column: format!("#{idx}"),
        reason: "unexpected NULL".into(),
    })
}

impl Row {
    /// An integer column.
    pub fn int(&self, idx: usize) -> Result<i64, StoreError> {
        match self {
            Row::Sqlite(r) => r.try_get::<i64, _>(idx),
            Row::Postgres(r) => r.try_get::<i64, _>(idx),
            Row::Direct(values) => return not_null(idx, direct_int(values, idx)?),
        }
        .map_err(|e| corrupt(idx, e))
    }

    /// A nullable integer column.
    pub fn opt_int(&self, idx: usize) -> Result<Option<i64>, StoreError> {
        match self {
            Row::Sqlite(r) => r.try_get::<Option<i64>, _>(idx),
            Row::Postgres(r) => r.try_get::<Option<i64>, _>(idx),
            Row::Direct(values) => return direct_int(values, idx),
        }
        .map_err(|e| corrupt(idx, e))
    }

    /// A text column.
    pub fn text(&self, idx: usize) -> Result<String, StoreError> {
        match self {
            Row::Sqlite(r) => r.try_get::<String, _>(idx),
            Row::Postgres(r) => r.try_get::<String, _>(idx),
            Row::Direct(values) => return not_null(idx, direct_text(values, idx)?),
        }
        .map_err(|e| corrupt(idx, e))
    }

    /// A nullable text column.
    pub fn opt_text(&self, idx: usize) -> Result<Option<String>, StoreError> {
        match self {
            Row::Sqlite(r) => r.try_get::<Option<String>, _>(idx),
            Row::Postgres(r) => r.try_get::<Option<String>, _>(idx),
            Row::Direct(values) => return direct_text(values, idx),
        }
        .map_err(|e| corrupt(idx, e))
    }

    /// A blob column.
    pub fn bytes(&self, idx: usize) -> Result<Vec<u8>, StoreError> {
        match self {
            Row::Sqlite(r) => r.try_get::<Vec<u8>, _>(idx),
            Row::Postgres(r) => r.try_get::<Vec<u8>, _>(idx),
            Row::Direct(values) => return not_null(idx, direct_bytes(values, idx)?),
        }
        .map_err(|e| corrupt(idx, e))
    }

    /// A nullable blob column.
    pub fn opt_bytes(&self, idx: usize) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Row::Sqlite(r) => r.try_get::<Option<Vec<u8>>, _>(idx),
            Row::Postgres(r) => r.try_get::<Option<Vec<u8>>, _>(idx),
            Row::Direct(values) => return direct_bytes(values, idx),
        }
        .map_err(|e| corrupt(idx, e))
    }

    /// A date column stored as `YYYY-MM-DD`.
    pub fn date(&self, idx: usize) -> Result<kiban_core::Date, StoreError> {
        let text = self.text(idx)?;
        kiban_core::date::parse_iso(&text).map_err(|e| StoreError::Corrupt {
            column: format!("#{idx}"),
            reason: e.to_string(),
        })
    }

    /// A nullable date column.
    pub fn opt_date(&self, idx: usize) -> Result<Option<kiban_core::Date>, StoreError> {
        match self.opt_text(idx)? {
            None => Ok(None),
            Some(text) => {
                kiban_core::date::parse_iso(&text)
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt {
                        column: format!("#{idx}"),
                        reason: e.to_string(),
                    })
            }
        }
    }
}

/// At most this many values in one `IN (…)` list: far below both engines'
/// limits on bound parameters (SQLite 32,766, PostgreSQL 65,535), so that
/// a query keeps room for its other parameters.
pub const IN_LIST_CHUNK: usize = 2_000;

/// The placeholders of an `IN (…)` list of `count` values whose first is
/// bound as parameter `first_param`: `in_list(2, 3)` is `$2, $3, $4`.
/// Split longer lists with [`IN_LIST_CHUNK`].
pub fn in_list(first_param: usize, count: usize) -> String {
    let mut list = String::with_capacity(count * 6);
    for n in 0..count {
        if n > 0 {
            list.push_str(", ");
        }
        list.push('$');
        list.push_str(&(first_param + n).to_string());
    }
    list
}

#[cfg(test)]
mod in_list_tests {
    use super::in_list;

    #[test]
    fn numbers_the_placeholders_from_the_first() {
        assert_eq!(in_list(2, 3), "$2, $3, $4");
        assert_eq!(in_list(1, 1), "$1");
        assert_eq!(in_list(5, 0), "");
    }
}
