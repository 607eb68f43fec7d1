//! Per-municipality number sequences (宛名番号, 世帯番号, 異動番号, …).

use crate::query::Arg;
use crate::{StoreError, TenantTx};

pub(crate) async fn next_numbers(
    tx: &mut TenantTx,
    name: &str,
    count: i64,
) -> Result<i64, StoreError> {
    if count < 1 {
        return Err(StoreError::Corrupt {
            column: "number_sequences".into(),
            reason: format!("count {count} < 1"),
        });
    }
    // One atomic statement on both engines: the row is created at the first
    // use, and the update holds the row lock until the transaction ends.
    let row = tx
        .fetch_optional(
            "INSERT INTO number_sequences (municipality_code, sequence_name, next_value) \
             VALUES ($1, $2, 1 + $3) \
             ON CONFLICT (municipality_code, sequence_name) \
             DO UPDATE SET next_value = number_sequences.next_value + $3 \
             RETURNING next_value",
            &[Arg::from(name), Arg::Int(count)],
        )
        .await?;
    let next = match row {
        Some(r) => r.int(0)?,
        None => {
            return Err(StoreError::Corrupt {
                column: "number_sequences".into(),
                reason: "no row returned".into(),
            });
        }
    };
    Ok(next - count)
}

pub(crate) async fn current_number(
    tx: &mut TenantTx,
    name: &str,
) -> Result<Option<i64>, StoreError> {
    tx.fetch_optional(
        "SELECT next_value FROM number_sequences \
         WHERE municipality_code = $1 AND sequence_name = $2",
        &[Arg::from(name)],
    )
    .await?
    .map(|row| row.int(0))
    .transpose()
}
