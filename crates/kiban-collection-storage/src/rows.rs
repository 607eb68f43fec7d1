//! The ledger's rows (migration 0020): an addressee's [`Ledger`] loaded
//! from them, and the rows an operation added appended to them. Nothing is
//! updated or deleted.

use std::collections::BTreeMap;

use kiban_collection::barcode::Business;
use kiban_collection::ledger::{
    Allocation, Appropriation, Changes, Charge, ChargeId, ChargeKey, Ledger, NoticeNumber,
    Overpayment, OverpaymentId, Payment, PaymentId, SuspenseId, Target,
};
use kiban_core::{Date, FiscalYear, Yen};
use kiban_store::{Arg, Row, StoreError, TenantTx, now_text};

/// The municipality's sequence of charge numbers.
pub const CHARGE_SEQUENCE: &str = "collection_charge";
/// The municipality's sequence of overpayment numbers.
pub const OVERPAYMENT_SEQUENCE: &str = "collection_overpayment";
/// The municipality's sequence of payment numbers.
pub const PAYMENT_SEQUENCE: &str = "collection_payment";
/// The municipality's sequence of suspense numbers.
pub const SUSPENSE_SEQUENCE: &str = "collection_suspense";
/// The municipality's sequence of payments-file numbers.
pub const FILE_SEQUENCE: &str = "collection_payment_file";

pub(crate) fn corrupt(column: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        column: column.to_owned(),
        reason: reason.into(),
    }
}

pub(crate) fn int(v: i64) -> Arg {
    Arg::Int(v)
}

pub(crate) fn yen(v: Yen) -> Arg {
    Arg::Int(v.get())
}

/// The columns [`charge_row`] reads, from `collection_charges c`.
pub(crate) const CHARGE_COLUMNS: &str = "c.charge_id, c.addressee_id, c.business, c.fiscal_year, \
     c.notice_number, c.period, c.due_date, c.agency_code, c.origin_charge_id, \
     (SELECT a.amount FROM collection_charge_amounts a WHERE a.municipality_code = c.municipality_code \
      AND a.charge_id = c.charge_id ORDER BY a.version_no DESC LIMIT 1), \
     (SELECT d.demanded_on FROM collection_demands d WHERE d.municipality_code = c.municipality_code \
      AND d.charge_id = c.charge_id)";

pub(crate) fn charge_row(row: &Row) -> Result<Charge, StoreError> {
    let business = row.text(2)?;
    let business =
        Business::from_wire_name(&business).ok_or_else(|| corrupt("business", business))?;
    let fiscal_year = FiscalYear::new(i32::try_from(row.int(3)?).unwrap_or(0))
        .map_err(|e| corrupt("fiscal_year", e.to_string()))?;
    let notice_number =
        NoticeNumber::parse(&row.text(4)?).map_err(|e| corrupt("notice_number", e.to_string()))?;
    let period = u8::try_from(row.int(5)?).map_err(|e| corrupt("period", e.to_string()))?;
    Ok(Charge {
        charge_id: ChargeId(row.int(0)?),
        addressee_id: row.int(1)?,
        key: ChargeKey {
            business,
            fiscal_year,
            notice_number,
            period,
        },
        due_date: row.date(6)?,
        // Every charge is written with its first amount: one without is
        // not one this store wrote.
        amount: Yen::new(
            row.opt_int(9)?.ok_or_else(|| {
                corrupt("collection_charge_amounts", "a charge without its amount")
            })?,
        ),
        // No write-off is recorded yet (issue 19's later parts).
        written_off: Yen::ZERO,
        agency_code: row.text(7)?,
        origin: row.opt_int(8)?.map(ChargeId),
        demanded_on: row.opt_date(10)?,
    })
}

fn target_kind(target: Target) -> (&'static str, i64) {
    match target {
        Target::Charge(id) => ("charge", id.0),
        Target::Overpayment(id) => ("overpayment", id.0),
        Target::Suspense(id) => ("suspense", id.0),
    }
}

pub(crate) fn target_of(kind: &str, id: i64) -> Result<Target, StoreError> {
    Ok(match kind {
        "charge" => Target::Charge(ChargeId(id)),
        "overpayment" => Target::Overpayment(OverpaymentId(id)),
        "suspense" => Target::Suspense(SuspenseId(id)),
        other => return Err(corrupt("target_kind", other)),
    })
}

/// The payments that reached the addressee's charges or overpayments.
const PAYMENTS_OF_ADDRESSEE: &str = "SELECT a.payment_id FROM collection_allocations a \
     JOIN collection_charges c ON c.municipality_code = a.municipality_code AND c.charge_id = a.target_id \
     WHERE a.municipality_code = $1 AND a.target_kind = 'charge' AND c.addressee_id = $2 \
     UNION SELECT o.payment_id FROM collection_overpayments o \
     WHERE o.municipality_code = $1 AND o.addressee_id = $2";

/// The ledger of one addressee, as stored.
pub async fn load(tx: &mut TenantTx, addressee_id: i64) -> Result<Ledger, StoreError> {
    let charges = tx
        .fetch_all(
            &format!(
                "SELECT {CHARGE_COLUMNS} FROM collection_charges c \
                 WHERE c.municipality_code = $1 AND c.addressee_id = $2 ORDER BY c.charge_id"
            ),
            &[int(addressee_id)],
        )
        .await?
        .iter()
        .map(charge_row)
        .collect::<Result<Vec<_>, _>>()?;
    let payments = tx
        .fetch_all(
            &format!(
                "SELECT payment_id, paid_on, amount FROM collection_payments \
                 WHERE municipality_code = $1 AND payment_id IN ({PAYMENTS_OF_ADDRESSEE}) \
                 ORDER BY payment_id"
            ),
            &[int(addressee_id)],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(Payment {
                payment_id: PaymentId(r.int(0)?),
                paid_on: r.date(1)?,
                amount: Yen::new(r.int(2)?),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let allocations = tx
        .fetch_all(
            &format!(
                "SELECT payment_id, target_kind, target_id, amount FROM collection_allocations \
                 WHERE municipality_code = $1 AND payment_id IN ({PAYMENTS_OF_ADDRESSEE}) \
                 ORDER BY payment_id, line_no"
            ),
            &[int(addressee_id)],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(Allocation {
                payment_id: PaymentId(r.int(0)?),
                target: target_of(&r.text(1)?, r.int(2)?)?,
                amount: Yen::new(r.int(3)?),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let overpayments = tx
        .fetch_all(
            "SELECT overpayment_id, payment_id FROM collection_overpayments \
             WHERE municipality_code = $1 AND addressee_id = $2 ORDER BY overpayment_id",
            &[int(addressee_id)],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(Overpayment {
                overpayment_id: OverpaymentId(r.int(0)?),
                payment_id: PaymentId(r.int(1)?),
                addressee_id,
                refunded: Yen::ZERO,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let appropriations = tx
        .fetch_all(
            "SELECT p.overpayment_id, p.charge_id, p.amount FROM collection_appropriations p \
             JOIN collection_overpayments o ON o.municipality_code = p.municipality_code \
             AND o.overpayment_id = p.overpayment_id \
             WHERE p.municipality_code = $1 AND o.addressee_id = $2 \
             ORDER BY p.overpayment_id, p.line_no",
            &[int(addressee_id)],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(Appropriation {
                overpayment_id: OverpaymentId(r.int(0)?),
                charge_id: ChargeId(r.int(1)?),
                amount: Yen::new(r.int(2)?),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Ledger::from_parts(
        addressee_id,
        charges,
        payments,
        allocations,
        overpayments,
        appropriations,
    ))
}

/// Where the rows of an operation came from, for the rows themselves.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    /// The outbox event (charges from an assessment).
    pub event_id: Option<i64>,
    /// The day the change takes effect (a new amount).
    pub effective_on: Date,
    /// Who (the login, or the consumer's system name).
    pub recorded_by: &'a str,
}

/// Appends the rows of `changes` (made on a ledger [`load`]ed in `tx`):
/// the provisional ids get numbers from the municipality's sequences.
/// Returns the changes with their final ids.
pub async fn save(
    tx: &mut TenantTx,
    mut changes: Changes,
    origin: &Origin<'_>,
) -> Result<Changes, StoreError> {
    let at = now_text();
    let charge_ids = numbers(
        tx,
        CHARGE_SEQUENCE,
        changes.new_charges.iter().map(|c| c.charge_id.0),
    )
    .await?;
    let overpayment_ids = numbers(
        tx,
        OVERPAYMENT_SEQUENCE,
        changes.new_overpayments.iter().map(|o| o.overpayment_id.0),
    )
    .await?;
    changes.renumber(
        |id| ChargeId(charge_ids.get(&id.0).copied().unwrap_or(id.0)),
        |id| OverpaymentId(overpayment_ids.get(&id.0).copied().unwrap_or(id.0)),
    );
    let event = Arg::from(origin.event_id);
    let mut charges = Vec::new();
    let mut amounts = Vec::new();
    for c in &changes.new_charges {
        charges.push(vec![
            int(c.charge_id.0),
            int(c.addressee_id),
            Arg::from(c.key.business.wire_name()),
            int(i64::from(c.key.fiscal_year.start_year())),
            Arg::from(c.key.notice_number.as_str()),
            int(i64::from(c.key.period)),
            Arg::from(c.due_date),
            Arg::from(c.agency_code.as_str()),
            Arg::from(c.origin.map(|o| o.0)),
            event.clone(),
            Arg::from(at.as_str()),
            Arg::from(origin.recorded_by),
        ]);
        amounts.push(vec![
            int(c.charge_id.0),
            int(1),
            yen(c.amount),
            Arg::from(origin.effective_on),
            event.clone(),
            Arg::from(at.as_str()),
        ]);
    }
    tx.insert_rows(
        "collection_charges",
        &[
            "charge_id",
            "addressee_id",
            "business",
            "fiscal_year",
            "notice_number",
            "period",
            "due_date",
            "agency_code",
            "origin_charge_id",
            "source_event_id",
            "created_at",
            "created_by",
        ],
        &charges,
    )
    .await?;
    let mut versions: BTreeMap<i64, i64> = BTreeMap::new();
    for (charge_id, amount) in &changes.amounts {
        let version = match versions.get(&charge_id.0) {
            Some(last) => last + 1,
            None => {
                next_line(
                    tx,
                    "SELECT COALESCE(MAX(version_no), 0) FROM collection_charge_amounts \
                     WHERE municipality_code = $1 AND charge_id = $2",
                    charge_id.0,
                )
                .await?
            }
        };
        versions.insert(charge_id.0, version);
        amounts.push(vec![
            int(charge_id.0),
            int(version),
            yen(*amount),
            Arg::from(origin.effective_on),
            event.clone(),
            Arg::from(at.as_str()),
        ]);
    }
    tx.insert_rows(
        "collection_charge_amounts",
        &[
            "charge_id",
            "version_no",
            "amount",
            "effective_on",
            "source_event_id",
            "recorded_at",
        ],
        &amounts,
    )
    .await?;
    let overpayments: Vec<Vec<Arg>> = changes
        .new_overpayments
        .iter()
        .map(|o| {
            vec![
                int(o.overpayment_id.0),
                int(o.payment_id.0),
                int(o.addressee_id),
                Arg::from(at.as_str()),
            ]
        })
        .collect();
    tx.insert_rows(
        "collection_overpayments",
        &["overpayment_id", "payment_id", "addressee_id", "created_at"],
        &overpayments,
    )
    .await?;
    let mut lines: BTreeMap<i64, i64> = BTreeMap::new();
    let mut allocations = Vec::new();
    for a in &changes.allocations {
        let line = match lines.get(&a.payment_id.0) {
            Some(last) => last + 1,
            None => {
                next_line(
                    tx,
                    "SELECT COALESCE(MAX(line_no), 0) FROM collection_allocations \
                     WHERE municipality_code = $1 AND payment_id = $2",
                    a.payment_id.0,
                )
                .await?
            }
        };
        lines.insert(a.payment_id.0, line);
        let (kind, id) = target_kind(a.target);
        allocations.push(vec![
            int(a.payment_id.0),
            int(line),
            Arg::from(kind),
            int(id),
            yen(a.amount),
            Arg::from(at.as_str()),
            Arg::from(origin.recorded_by),
        ]);
    }
    tx.insert_rows(
        "collection_allocations",
        &[
            "payment_id",
            "line_no",
            "target_kind",
            "target_id",
            "amount",
            "recorded_at",
            "recorded_by",
        ],
        &allocations,
    )
    .await?;
    let mut lines: BTreeMap<i64, i64> = BTreeMap::new();
    let mut appropriations = Vec::new();
    for a in &changes.appropriations {
        let line = match lines.get(&a.overpayment_id.0) {
            Some(last) => last + 1,
            None => {
                next_line(
                    tx,
                    "SELECT COALESCE(MAX(line_no), 0) FROM collection_appropriations \
                     WHERE municipality_code = $1 AND overpayment_id = $2",
                    a.overpayment_id.0,
                )
                .await?
            }
        };
        lines.insert(a.overpayment_id.0, line);
        appropriations.push(vec![
            int(a.overpayment_id.0),
            int(line),
            int(a.charge_id.0),
            yen(a.amount),
            Arg::from(at.as_str()),
        ]);
    }
    tx.insert_rows(
        "collection_appropriations",
        &[
            "overpayment_id",
            "line_no",
            "charge_id",
            "amount",
            "recorded_at",
        ],
        &appropriations,
    )
    .await?;
    Ok(changes)
}

/// Numbers for provisional ids, in order of appearance.
async fn numbers(
    tx: &mut TenantTx,
    sequence: &str,
    provisional: impl Iterator<Item = i64>,
) -> Result<BTreeMap<i64, i64>, StoreError> {
    let ids: Vec<i64> = provisional.filter(|id| *id < 0).collect();
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let count = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let first = tx.next_numbers(sequence, count).await?;
    Ok(ids.into_iter().zip(first..).collect::<BTreeMap<i64, i64>>())
}

/// One more than the value `sql` (a `MAX`) reads for `key`.
async fn next_line(tx: &mut TenantTx, sql: &str, key: i64) -> Result<i64, StoreError> {
    Ok(tx
        .fetch_optional(sql, &[int(key)])
        .await?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0)
        + 1)
}
