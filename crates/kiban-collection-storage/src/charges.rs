//! Charges from the businesses' assessed events (調定): the consumer
//! [`ASSESSED_CONSUMER`] of the outbox turns each version of an assessment
//! into the addressee's charges of that business and year
//! ([`kiban_collection::ledger::Ledger::assess`]): a charge per new
//! period, a new amount per changed one, a reduction below what was paid
//! an overpayment. The path is the same for every business: an event of
//! [`ASSESSED_EVENTS`] with `fiscal_year`, `addressee_id`, `version` and
//! `installments` (`period`, `due_date`, `amount`, `notice_number`).
//!
//! A version is applied once (`collection_assessments`): an event handled
//! again, or a version older than one applied, changes nothing. The
//! barcode's agency code (収納機関コード) is the resident-tax settings' of the
//! fiscal year, the one every business's barcode of that year carries.

use kiban_audit::{Actor, AuditAction};
use kiban_collection::barcode::Business;
use kiban_collection::ledger::{Assessment, Installment, NoticeNumber};
use kiban_core::{Date, FiscalYear, Yen};
use kiban_jobs::consumer::{Consumer, EventHandler, HandlerError, HandlerFuture, OutboxEvent};
use kiban_resident_tax::storage::assessment::ASSESSED_EVENT;
use kiban_store::{Arg, TenantTx, now_text};
use serde_json::Value;

use crate::rows::{self, Origin, int};

/// The consumer's name (its row in `outbox_offsets`).
pub const CONSUMER: &str = "collection_charges";

/// The login the consumer's changes are recorded under.
pub const WORKER_LOGIN: &str = "system:collection";

/// The assessed events whose installments become charges, with their business.
pub const ASSESSED_EVENTS: &[(&str, Business)] = &[(ASSESSED_EVENT, Business::ResidentTax)];

/// What one event did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventEffect {
    /// Charges made.
    pub charges: usize,
    /// Amounts changed.
    pub amounts: usize,
    /// Overpayments made by reductions.
    pub overpayments: usize,
    /// Whether the version had been applied already.
    pub already_applied: bool,
}

fn bad(event: &OutboxEvent, what: &str) -> HandlerError {
    HandlerError::Failed(format!(
        "イベント {}（{}）の内容が読めません: {what}",
        event.event_id, event.event_kind
    ))
}

fn number(value: &Value, key: &str) -> Option<i64> {
    value.get(key).and_then(Value::as_i64)
}

/// The version of an assessment an event carries.
struct Version {
    addressee_id: i64,
    fiscal_year: FiscalYear,
    version: i64,
    notice_number: Option<NoticeNumber>,
    installments: Vec<Installment>,
}

fn version_of(event: &OutboxEvent) -> Result<Version, HandlerError> {
    let value: Value =
        serde_json::from_str(&event.payload).map_err(|e| bad(event, &e.to_string()))?;
    let addressee_id = number(&value, "addressee_id").ok_or_else(|| bad(event, "addressee_id"))?;
    let fiscal_year = number(&value, "fiscal_year")
        .and_then(|y| i32::try_from(y).ok())
        .and_then(|y| FiscalYear::new(y).ok())
        .ok_or_else(|| bad(event, "fiscal_year"))?;
    let version = number(&value, "version").ok_or_else(|| bad(event, "version"))?;
    let mut notice_number = None;
    let mut installments = Vec::new();
    let items = match value.get("installments") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(items)) => items.as_slice(),
        Some(_) => return Err(bad(event, "installments")),
    };
    for (i, item) in items.iter().enumerate() {
        let field = |name: &str| format!("installments[{i}].{name}");
        let period = number(item, "period")
            .and_then(|p| u8::try_from(p).ok())
            .ok_or_else(|| bad(event, &field("period")))?;
        let due_date = item
            .get("due_date")
            .and_then(Value::as_str)
            .and_then(|d| kiban_core::date::parse_iso(d).ok())
            .ok_or_else(|| bad(event, &field("due_date")))?;
        let amount = number(item, "amount").ok_or_else(|| bad(event, &field("amount")))?;
        if let Some(text) = item.get("notice_number").and_then(Value::as_str) {
            notice_number =
                Some(NoticeNumber::parse(text).map_err(|_| bad(event, &field("notice_number")))?);
        }
        installments.push(Installment {
            period,
            due_date,
            amount: Yen::new(amount),
        });
    }
    if !installments.is_empty() && notice_number.is_none() {
        return Err(bad(event, "installments[0].notice_number"));
    }
    Ok(Version {
        addressee_id,
        fiscal_year,
        version,
        notice_number,
        installments,
    })
}

/// Applies one assessed event of `business` in `tx` (the consumer's
/// transaction), on `today`. Idempotent.
pub async fn apply_assessed_event(
    tx: &mut TenantTx,
    business: Business,
    event: &OutboxEvent,
    today: Date,
) -> Result<EventEffect, HandlerError> {
    let version = version_of(event)?;
    let year = i64::from(version.fiscal_year.start_year());
    let applied = tx
        .fetch_optional(
            "SELECT MAX(version_no) FROM collection_assessments WHERE municipality_code = $1 \
             AND business = $2 AND fiscal_year = $3 AND addressee_id = $4",
            &[
                Arg::from(business.wire_name()),
                int(year),
                int(version.addressee_id),
            ],
        )
        .await?
        .map(|r| r.opt_int(0))
        .transpose()?
        .flatten();
    if applied.is_some_and(|v| v >= version.version) {
        return Ok(EventEffect {
            already_applied: true,
            ..EventEffect::default()
        });
    }
    tx.insert_rows(
        "collection_assessments",
        &[
            "business",
            "fiscal_year",
            "addressee_id",
            "version_no",
            "event_id",
            "applied_at",
        ],
        &[vec![
            Arg::from(business.wire_name()),
            int(year),
            int(version.addressee_id),
            int(version.version),
            int(event.event_id),
            Arg::from(now_text()),
        ]],
    )
    .await?;
    let mut ledger = rows::load(tx, version.addressee_id).await?;
    // A version without slips keeps the notice number its charges have.
    let notice_number = match version.notice_number {
        Some(n) => n,
        None => match ledger
            .charges()
            .iter()
            .find(|c| c.key.business == business && c.key.fiscal_year == version.fiscal_year)
        {
            Some(c) => c.key.notice_number.clone(),
            None => return Ok(EventEffect::default()),
        },
    };
    let settings = kiban_resident_tax::storage::settings::in_force(tx, version.fiscal_year)
        .await
        .map_err(|e| match e {
            kiban_resident_tax::storage::settings::SettingsStoreError::Store(s) => {
                HandlerError::Store(s)
            }
            other => HandlerError::Failed(other.to_string()),
        })?;
    let assessment = Assessment {
        business,
        fiscal_year: version.fiscal_year,
        notice_number,
        agency_code: settings.collection_agency_code.clone(),
        installments: version.installments,
    };
    let changes = ledger
        .assess(&assessment, today)
        .map_err(|e| bad(event, &e.to_string()))?;
    let effect = EventEffect {
        charges: changes.new_charges.len(),
        amounts: changes.amounts.len(),
        overpayments: changes.new_overpayments.len(),
        already_applied: false,
    };
    rows::save(
        tx,
        changes,
        &Origin {
            event_id: Some(event.event_id),
            effective_on: today,
            recorded_by: WORKER_LOGIN,
        },
    )
    .await?;
    let actor = Actor::new(WORKER_LOGIN, "system");
    kiban_audit::append(
        tx,
        &actor.entry(
            AuditAction::Change,
            Some(version.addressee_id),
            format!(
                "collection charges {} {year} version {} event {}",
                business.wire_name(),
                version.version,
                event.event_id
            ),
        ),
    )
    .await?;
    Ok(effect)
}

/// The handler of the consumer.
struct AssessedEvents;

impl EventHandler for AssessedEvents {
    fn handle<'a>(&'a self, tx: &'a mut TenantTx, event: &'a OutboxEvent) -> HandlerFuture<'a> {
        Box::pin(async move {
            let Some((_, business)) = ASSESSED_EVENTS
                .iter()
                .find(|(kind, _)| *kind == event.event_kind)
            else {
                return Ok(());
            };
            apply_assessed_event(tx, *business, event, kiban_core::date::today_in_japan()).await?;
            Ok(())
        })
    }
}

static ASSESSED_EVENTS_HANDLER: AssessedEvents = AssessedEvents;

/// The collection business as a consumer of the businesses' assessed
/// events: the platform (`kiban_jobs::consumer`) keeps its position, runs
/// it in order, retries a failing event and parks it; the worker runs it.
pub static ASSESSED_CONSUMER: Consumer = Consumer {
    name: CONSUMER,
    label: "収納（課税から調定）",
    business: "collection",
    event_kinds: &[ASSESSED_EVENT],
    handler: &ASSESSED_EVENTS_HANDLER,
};
