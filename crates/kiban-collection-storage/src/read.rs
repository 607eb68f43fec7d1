//! What an addressee owes (`GET …/collection/addressees/{id}/charges`):
//! the charges with what they stand at, the late fees running up to a day,
//! and the overpayments. Logged as a read of the addressee, in the
//! transaction that reads.

use kiban_audit::{Actor, AuditAction};
use kiban_collection::LateFeeError;
use kiban_collection::ledger::{Charge, ChargeState, Overpayment, OverpaymentState};
use kiban_core::{Date, Yen};
use kiban_store::{StoreError, TenantDb};

use crate::rows;

/// One charge as the clerk sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeView {
    /// The charge.
    pub charge: Charge,
    /// Paid, balance, status.
    pub state: ChargeState,
    /// The late fee running on it up to the day asked (not yet charged).
    pub late_fee_accrued: Yen,
    /// The 44 digits of its slip's barcode (its amount; none above 300,000 yen).
    pub barcode: Option<String>,
}

/// One overpayment as the clerk sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverpaymentView {
    /// The overpayment.
    pub overpayment: Overpayment,
    /// Amount, applications, refundable, status.
    pub state: OverpaymentState,
}

/// An addressee's ledger on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddresseeCharges {
    /// The charges, in the order they were made.
    pub charges: Vec<ChargeView>,
    /// What remains to pay (the balances).
    pub balance: Yen,
    /// The late fees running (the sum of the charges').
    pub late_fee_accrued: Yen,
    /// The overpayments.
    pub overpayments: Vec<OverpaymentView>,
}

/// Why the charges could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The addressee has no charge in this municipality.
    #[error("no charges")]
    NotFound,
    /// A late fee cannot be computed up to the day asked (no rate data).
    #[error(transparent)]
    LateFee(#[from] LateFeeError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The charges of an addressee on `as_of`, logged as a read of them.
pub async fn charges_of(
    tenant: &TenantDb,
    actor: &Actor,
    addressee_id: i64,
    as_of: Date,
) -> Result<AddresseeCharges, ReadError> {
    let mut tx = tenant.begin().await?;
    let ledger = rows::load(&mut tx, addressee_id).await?;
    if ledger.charges().is_empty() && ledger.overpayments().is_empty() {
        return Err(ReadError::NotFound);
    }
    let mut charges = Vec::new();
    for charge in ledger.charges() {
        let state = ledger.state(charge);
        let late_fee_accrued = ledger.late_fee_accrued(charge, as_of)?;
        let barcode = charge.barcode(charge.amount).map(|b| b.as_str().to_owned());
        charges.push(ChargeView {
            charge: charge.clone(),
            state,
            late_fee_accrued,
            barcode,
        });
    }
    let overpayments = ledger
        .overpayments()
        .iter()
        .map(|o| OverpaymentView {
            overpayment: o.clone(),
            state: ledger.overpayment_state(o),
        })
        .collect();
    kiban_audit::append(
        &mut tx,
        &actor.entry(
            AuditAction::Read,
            Some(addressee_id),
            format!("collection charges as_of {as_of}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(AddresseeCharges {
        balance: charges.iter().map(|c| c.state.balance).sum(),
        late_fee_accrued: charges.iter().map(|c| c.late_fee_accrued).sum(),
        charges,
        overpayments,
    })
}
