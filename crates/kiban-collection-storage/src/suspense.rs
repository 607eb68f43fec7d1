//! Suspense (未消込): payments whose charge could not be found, listed for a
//! clerk, who assigns each to a charge; the payment keeps its own day.

use kiban_audit::{Actor, AuditAction};
use kiban_collection::ledger::{ChargeId, Payment, PaymentId, SuspenseId};
use kiban_core::{Date, Yen};
use kiban_store::{StoreError, TenantDb};

use crate::rows::{self, Origin, int};

/// One payment waiting in suspense.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuspenseItem {
    /// Its number.
    pub suspense_id: i64,
    /// The payment.
    pub payment_id: i64,
    /// The day of payment.
    pub paid_on: Date,
    /// The amount.
    pub amount: Yen,
    /// Why its charge could not be found (`unknown_charge`, `check_digit`, …).
    pub reason: String,
    /// The record as received.
    pub raw: String,
}

const HELD: &str = "(SELECT CAST(COALESCE(SUM(a.amount), 0) AS BIGINT) FROM collection_allocations a \
     WHERE a.municipality_code = s.municipality_code AND a.payment_id = s.payment_id \
     AND a.target_kind = 'suspense' AND a.target_id = s.suspense_id)";

/// The payments still in suspense, oldest first; the list is logged as a
/// read (without a person: a payment in suspense names nobody yet).
pub async fn list(tenant: &TenantDb, actor: &Actor) -> Result<Vec<SuspenseItem>, StoreError> {
    let mut tx = tenant.begin().await?;
    let items = tx
        .fetch_all(
            &format!(
                "SELECT s.suspense_id, s.payment_id, p.paid_on, p.amount, s.reason, p.raw \
                 FROM collection_suspense s JOIN collection_payments p \
                 ON p.municipality_code = s.municipality_code AND p.payment_id = s.payment_id \
                 WHERE s.municipality_code = $1 AND {HELD} > 0 ORDER BY s.suspense_id"
            ),
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(SuspenseItem {
                suspense_id: r.int(0)?,
                payment_id: r.int(1)?,
                paid_on: r.date(2)?,
                amount: Yen::new(r.int(3)?),
                reason: r.text(4)?,
                raw: r.text(5)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Read,
            None,
            format!("collection suspense list {}", items.len()),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(items)
}

/// Why a suspense item could not be assigned.
#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    /// No such item in this municipality.
    #[error("suspense item not found")]
    NotFound,
    /// No such charge in this municipality.
    #[error("charge not found")]
    UnknownCharge,
    /// The item was assigned already.
    #[error("suspense item already assigned")]
    AlreadyAssigned,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an assignment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    /// The item.
    pub suspense_id: i64,
    /// Its payment.
    pub payment_id: i64,
    /// The charge it was posted to.
    pub charge_id: i64,
    /// The addressee who owes the charge.
    pub addressee_id: i64,
    /// Whether it left an overpayment.
    pub overpaid: bool,
}

/// Posts the payment of a suspense item to a charge (one transaction; the
/// change is logged for the charge's addressee), on `today`.
pub async fn assign(
    tenant: &TenantDb,
    actor: &Actor,
    suspense_id: i64,
    charge_id: i64,
    today: Date,
) -> Result<Assigned, AssignError> {
    let mut tx = tenant.begin().await?;
    let item = tx
        .fetch_optional(
            &format!(
                "SELECT s.payment_id, p.paid_on, p.amount, {HELD} FROM collection_suspense s \
                 JOIN collection_payments p ON p.municipality_code = s.municipality_code \
                 AND p.payment_id = s.payment_id \
                 WHERE s.municipality_code = $1 AND s.suspense_id = $2{}",
                tx.for_update()
            ),
            &[int(suspense_id)],
        )
        .await?
        .ok_or(AssignError::NotFound)?;
    let payment = Payment {
        payment_id: PaymentId(item.int(0)?),
        paid_on: item.date(1)?,
        amount: Yen::new(item.int(2)?),
    };
    if item.int(3)? <= 0 {
        return Err(AssignError::AlreadyAssigned);
    }
    let addressee_id = tx
        .fetch_optional(
            "SELECT addressee_id FROM collection_charges WHERE municipality_code = $1 AND charge_id = $2",
            &[int(charge_id)],
        )
        .await?
        .ok_or(AssignError::UnknownCharge)?
        .int(0)?;
    let mut ledger = rows::load(&mut tx, addressee_id).await?;
    let changes = ledger
        .assign_from_suspense(
            payment.clone(),
            SuspenseId(suspense_id),
            ChargeId(charge_id),
            today,
        )
        .map_err(|e| match e {
            kiban_collection::ledger::LedgerError::NotInSuspense(_) => AssignError::AlreadyAssigned,
            other => AssignError::Store(StoreError::Corrupt {
                column: "collection_suspense".into(),
                reason: other.to_string(),
            }),
        })?;
    let overpaid = changes.overpaid();
    rows::save(
        &mut tx,
        changes,
        &Origin {
            event_id: None,
            effective_on: today,
            recorded_by: &actor.login,
        },
    )
    .await?;
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Change,
            Some(addressee_id),
            format!(
                "collection suspense {suspense_id} payment {} assigned to charge {charge_id}",
                payment.payment_id.0
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Assigned {
        suspense_id,
        payment_id: payment.payment_id.0,
        charge_id,
        addressee_id,
        overpaid,
    })
}
