//! `kiban collection verify`: every charge adds up (`amount = paid +
//! written_off + balance`, none paid beyond its amount) and every payment
//! is fully allocated to charges, overpayments and suspense.

use kiban_audit::{Actor, AuditAction};
use kiban_collection::ledger::Discrepancy;
use kiban_store::{StoreError, TenantDb};

use crate::rows;

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Charges checked.
    pub charges: usize,
    /// Payments checked.
    pub payments: usize,
    /// The first thing that does not add up.
    pub first_discrepancy: Option<Discrepancy>,
}

/// Checks the municipality's whole ledger (in one transaction, with one
/// `read` access-log entry for the whole check: it reads every person's
/// ledger and tells only what does not add up).
pub async fn verify(tenant: &TenantDb, actor: &Actor) -> Result<VerifyReport, StoreError> {
    let mut tx = tenant.begin().await?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(AuditAction::Read, None, "collection verify"),
    )
    .await?;
    let count = |row: Option<kiban_store::Row>| -> Result<usize, StoreError> {
        Ok(row
            .map(|r| r.int(0))
            .transpose()?
            .map_or(0, |n| usize::try_from(n).unwrap_or(0)))
    };
    let charges = count(
        tx.fetch_optional(
            "SELECT COUNT(*) FROM collection_charges WHERE municipality_code = $1",
            &[],
        )
        .await?,
    )?;
    let payments = count(
        tx.fetch_optional(
            "SELECT COUNT(*) FROM collection_payments WHERE municipality_code = $1",
            &[],
        )
        .await?,
    )?;
    // Every payment: its allocations add up to it, and none leaves a target
    // below nothing.
    let unbalanced = tx
        .fetch_optional(
            "SELECT p.payment_id, p.amount, CAST(COALESCE(s.allocated, 0) AS BIGINT) \
             FROM collection_payments p LEFT JOIN \
             (SELECT a.payment_id, SUM(a.amount) AS allocated FROM collection_allocations a \
              WHERE a.municipality_code = $1 GROUP BY a.payment_id) s ON s.payment_id = p.payment_id \
             WHERE p.municipality_code = $1 AND (p.amount <> COALESCE(s.allocated, 0) \
             OR EXISTS (SELECT 1 FROM collection_allocations a \
              WHERE a.municipality_code = p.municipality_code AND a.payment_id = p.payment_id \
              GROUP BY a.target_kind, a.target_id HAVING SUM(a.amount) < 0)) \
             ORDER BY p.payment_id LIMIT 1",
            &[],
        )
        .await?;
    if let Some(row) = unbalanced {
        tx.commit().await?;
        return Ok(VerifyReport {
            charges,
            payments,
            first_discrepancy: Some(Discrepancy::Payment {
                payment_id: row.int(0)?,
                amount: row.int(1)?,
                allocated: row.int(2)?,
            }),
        });
    }
    let addressees: Vec<i64> = tx
        .fetch_all(
            "SELECT DISTINCT addressee_id FROM collection_charges WHERE municipality_code = $1 \
             UNION SELECT DISTINCT addressee_id FROM collection_overpayments WHERE municipality_code = $1 \
             ORDER BY 1",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.int(0))
        .collect::<Result<_, _>>()?;
    let mut first_discrepancy = None;
    for addressee_id in addressees {
        let ledger = rows::load(&mut tx, addressee_id).await?;
        if let Err(found) = ledger.check() {
            first_discrepancy = Some(found);
            break;
        }
    }
    tx.commit().await?;
    Ok(VerifyReport {
        charges,
        payments,
        first_discrepancy,
    })
}
