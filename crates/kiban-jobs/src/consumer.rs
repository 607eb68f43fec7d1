//! The outbox consumers (庁内連携): how a business follows the events of
//! other businesses.
//!
//! A business declares a [`Consumer`]: its name, the event kinds it wants
//! and an [`EventHandler`] for one event. The platform does the rest:
//!
//! - the consumer's position is its row in `outbox_offsets` (the last event
//!   id it is done with, per municipality);
//! - events are handled in `event_id` order, and each handler runs in the
//!   transaction that advances the position, so an event's effects and the
//!   position commit together (idempotent: a run that stopped anywhere
//!   handles no event twice); events of other kinds only advance the
//!   position;
//! - two workers of one municipality take the position row's lock first and
//!   so run one after the other;
//! - a handler that fails on an event is retried with backoff
//!   ([`RetryPolicy`]): the consumer waits (later events stay behind it,
//!   in order) with the event in `outbox_dead_letters` as `retrying`; after
//!   the last attempt the event is `parked` there and the consumer moves
//!   on. A clerk may then retry a parked event ([`retry_dead_letter`]:
//!   handled at once, out of order) or dismiss it ([`dismiss_dead_letter`]).
//!
//! Events a handler fails on are rolled back whole: a batch that fails at
//! its k-th event first commits the k−1 before it.

use std::future::Future;
use std::pin::Pin;

use jiff::{SignedDuration, Timestamp};
use kiban_audit::{Actor, AuditAction};
use kiban_store::{Arg, Row, StoreError, TenantDb, TenantTx, now_text};

/// One event of the outbox, as a handler receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// Its number (per municipality, increasing).
    pub event_id: i64,
    /// Its kind (`resident_moved_out`, …).
    pub event_kind: String,
    /// The registry movement that wrote it, if any.
    pub movement_id: Option<i64>,
    /// Its payload (JSON text).
    pub payload: String,
    /// When it was written (RFC 3339, UTC).
    pub created_at: String,
}

/// Why a handler could not handle an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The event cannot be handled (its payload is not what the handler
    /// understands, a rule refuses it); the message is shown to clerks.
    #[error("{0}")]
    Failed(String),
}

impl HandlerError {
    /// The text shown to clerks (a storage failure in the catalogue's words).
    pub fn text(&self) -> String {
        match self {
            HandlerError::Store(e) => e.message().text(),
            HandlerError::Failed(message) => message.clone(),
        }
    }
}

/// The future a handler returns.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send + 'a>>;

/// What a consumer does with one event, inside the transaction that
/// advances its position (and writes its access-log entries there).
pub trait EventHandler: Send + Sync {
    /// Handles `event` in `tx`. An error rolls back everything the handler
    /// wrote.
    fn handle<'a>(&'a self, tx: &'a mut TenantTx, event: &'a OutboxEvent) -> HandlerFuture<'a>;
}

/// A consumer of the outbox, declared by its business.
pub struct Consumer {
    /// Its name (its row in `outbox_offsets`; stable, snake_case).
    pub name: &'static str,
    /// Its name for clerks (Japanese).
    pub label: &'static str,
    /// The business it belongs to (`seal`, …), for permissions.
    pub business: &'static str,
    /// The event kinds it handles; others only advance its position.
    pub event_kinds: &'static [&'static str],
    /// The handler of one event.
    pub handler: &'static dyn EventHandler,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("name", &self.name)
            .field("event_kinds", &self.event_kinds)
            .finish_non_exhaustive()
    }
}

/// How a failing event is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before the event is parked (at least 1).
    pub max_attempts: i64,
    /// The wait after the first failure; doubled after each further one.
    pub backoff: SignedDuration,
    /// The longest wait.
    pub max_backoff: SignedDuration,
}

impl Default for RetryPolicy {
    /// Five attempts, waiting 10 s, 20 s, 40 s, 80 s in between.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            backoff: SignedDuration::from_secs(10),
            max_backoff: SignedDuration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failure.
    pub fn wait_after(&self, attempts: i64) -> SignedDuration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let factor = 1i32.checked_shl(doublings).unwrap_or(i32::MAX);
        self.backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

/// What one call of [`run`] or [`drain`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Events read (of every kind).
    pub events_read: usize,
    /// Events of the consumer's kinds handled.
    pub handled: usize,
    /// Failed attempts recorded.
    pub failures: usize,
    /// Events parked as dead letters.
    pub parked: usize,
    /// Set when the consumer waits for an event's next attempt: until when.
    pub waiting_until: Option<Timestamp>,
}

impl RunReport {
    fn add(&mut self, other: &RunReport) {
        self.events_read += other.events_read;
        self.handled += other.handled;
        self.failures += other.failures;
        self.parked += other.parked;
        self.waiting_until = other.waiting_until;
    }
}

fn int(v: i64) -> Arg {
    Arg::Int(v)
}

fn corrupt(column: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        column: column.to_owned(),
        reason: reason.into(),
    }
}

/// Takes the lock of the consumer's position row (creating it at 0) and
/// returns the position.
async fn lock_position(tx: &mut TenantTx, consumer: &str) -> Result<i64, StoreError> {
    tx.execute(
        "INSERT INTO outbox_offsets (municipality_code, consumer, last_event_id) \
         VALUES ($1, $2, 0) ON CONFLICT (municipality_code, consumer) DO NOTHING",
        &[Arg::from(consumer)],
    )
    .await?;
    tx.execute(
        "UPDATE outbox_offsets SET last_event_id = last_event_id \
         WHERE municipality_code = $1 AND consumer = $2",
        &[Arg::from(consumer)],
    )
    .await?;
    tx.fetch_optional(
        "SELECT last_event_id FROM outbox_offsets \
         WHERE municipality_code = $1 AND consumer = $2",
        &[Arg::from(consumer)],
    )
    .await?
    .map(|r| r.int(0))
    .transpose()
    .map(|v| v.unwrap_or(0))
}

async fn set_position(tx: &mut TenantTx, consumer: &str, event_id: i64) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE outbox_offsets SET last_event_id = $3 \
         WHERE municipality_code = $1 AND consumer = $2",
        &[Arg::from(consumer), int(event_id)],
    )
    .await?;
    Ok(())
}

const EVENT_COLUMNS: &str = "event_id, event_kind, movement_id, payload, created_at";

fn event_row(row: &Row) -> Result<OutboxEvent, StoreError> {
    Ok(OutboxEvent {
        event_id: row.int(0)?,
        event_kind: row.text(1)?,
        movement_id: row.opt_int(2)?,
        payload: row.text(3)?,
        created_at: row.text(4)?,
    })
}

/// The event being retried (the consumer waits for it), if any.
async fn retrying(
    tx: &mut TenantTx,
    consumer: &str,
) -> Result<Option<(i64, i64, Option<Timestamp>)>, StoreError> {
    let Some(row) = tx
        .fetch_optional(
            "SELECT event_id, attempts, next_attempt_at FROM outbox_dead_letters \
             WHERE municipality_code = $1 AND consumer = $2 AND status = 'retrying' \
             ORDER BY event_id LIMIT 1",
            &[Arg::from(consumer)],
        )
        .await?
    else {
        return Ok(None);
    };
    let next = row
        .opt_text(2)?
        .map(|t| {
            t.parse::<Timestamp>()
                .map_err(|e| corrupt("next_attempt_at", e.to_string()))
        })
        .transpose()?;
    Ok(Some((row.int(0)?, row.int(1)?, next)))
}

/// One pass of `consumer` over at most `limit` events after its position
/// (see the module). Call again while `events_read == limit` or after a
/// failure that may be retried now; [`drain`] does.
pub async fn run(
    tenant: &TenantDb,
    consumer: &Consumer,
    policy: &RetryPolicy,
    limit: i64,
) -> Result<RunReport, StoreError> {
    let mut limit = limit.max(1);
    loop {
        let mut report = RunReport::default();
        let mut tx = tenant.begin().await?;
        let position = lock_position(&mut tx, consumer.name).await?;
        let waiting = retrying(&mut tx, consumer.name).await?;
        if let Some((_, _, Some(next))) = waiting
            && next > Timestamp::now()
        {
            tx.rollback().await?;
            report.waiting_until = Some(next);
            return Ok(report);
        }
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM outbox \
             WHERE municipality_code = $1 AND event_id > $2 ORDER BY event_id LIMIT $3"
        );
        let events = tx
            .fetch_all(&sql, &[int(position), int(limit)])
            .await?
            .iter()
            .map(event_row)
            .collect::<Result<Vec<_>, _>>()?;
        report.events_read = events.len();
        let mut last = position;
        let mut failed = None;
        for (index, event) in events.iter().enumerate() {
            if consumer.event_kinds.contains(&event.event_kind.as_str()) {
                if let Err(error) = consumer.handler.handle(&mut tx, event).await {
                    failed = Some((index, event, error));
                    break;
                }
                report.handled += 1;
            }
            last = event.event_id;
        }
        let Some((index, event, error)) = failed else {
            if last != position {
                set_position(&mut tx, consumer.name, last).await?;
            }
            if let Some((event_id, _, _)) = waiting
                && event_id <= last
            {
                // It went through on this attempt: no longer a dead letter.
                tx.execute(
                    "DELETE FROM outbox_dead_letters WHERE municipality_code = $1 \
                     AND consumer = $2 AND event_id = $3 AND status = 'retrying'",
                    &[Arg::from(consumer.name), int(event_id)],
                )
                .await?;
            }
            tx.commit().await?;
            return Ok(report);
        };
        tx.rollback().await?;
        if index > 0 {
            // Commit the events before the failing one first.
            limit = i64::try_from(index).unwrap_or(1);
            continue;
        }
        report.events_read = 1;
        report.handled = 0;
        record_failure(tenant, consumer, policy, event, &error.text(), &mut report).await?;
        return Ok(report);
    }
}

/// Records a failed attempt on the event at the consumer's head: retrying
/// with backoff, or parked (and the position moved past it) after the last
/// attempt.
async fn record_failure(
    tenant: &TenantDb,
    consumer: &Consumer,
    policy: &RetryPolicy,
    event: &OutboxEvent,
    error: &str,
    report: &mut RunReport,
) -> Result<(), StoreError> {
    let mut tx = tenant.begin().await?;
    let position = lock_position(&mut tx, consumer.name).await?;
    if position >= event.event_id {
        // Another worker got past it meanwhile.
        tx.rollback().await?;
        return Ok(());
    }
    let previous = retrying(&mut tx, consumer.name)
        .await?
        .filter(|(id, _, _)| *id == event.event_id)
        .map_or(0, |(_, attempts, _)| attempts);
    let attempts = previous + 1;
    let now = Timestamp::now();
    let now_text = now_text();
    report.failures += 1;
    let (status, next, parked_at) = if attempts >= policy.max_attempts.max(1) {
        set_position(&mut tx, consumer.name, event.event_id).await?;
        report.parked += 1;
        ("parked", None, Some(now_text.clone()))
    } else {
        let next = now + policy.wait_after(attempts);
        report.waiting_until = Some(next);
        ("retrying", Some(next.to_string()), None)
    };
    if previous == 0 {
        tx.insert_rows(
            "outbox_dead_letters",
            &[
                "consumer",
                "event_id",
                "event_kind",
                "status",
                "attempts",
                "error",
                "first_failed_at",
                "last_failed_at",
                "next_attempt_at",
                "parked_at",
            ],
            &[vec![
                Arg::from(consumer.name),
                int(event.event_id),
                Arg::from(event.event_kind.as_str()),
                Arg::from(status),
                int(attempts),
                Arg::from(error),
                Arg::from(now_text.as_str()),
                Arg::from(now_text.as_str()),
                Arg::from(next),
                Arg::from(parked_at),
            ]],
        )
        .await?;
    } else {
        tx.execute(
            "UPDATE outbox_dead_letters SET status = $4, attempts = $5, error = $6, \
             last_failed_at = $7, next_attempt_at = $8, parked_at = $9 \
             WHERE municipality_code = $1 AND consumer = $2 AND event_id = $3",
            &[
                Arg::from(consumer.name),
                int(event.event_id),
                Arg::from(status),
                int(attempts),
                Arg::from(error),
                Arg::from(now_text.as_str()),
                Arg::from(next),
                Arg::from(parked_at),
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Runs `consumer` until it has read every event, or waits for a failing
/// event's next attempt.
pub async fn drain(
    tenant: &TenantDb,
    consumer: &Consumer,
    policy: &RetryPolicy,
) -> Result<RunReport, StoreError> {
    const BATCH: i64 = 500;
    let mut total = RunReport::default();
    loop {
        let report = run(tenant, consumer, policy, BATCH).await?;
        total.add(&report);
        // Every pass that read an event made progress (handled events, or
        // recorded an attempt, bounded by the policy's attempts).
        let waiting = report
            .waiting_until
            .is_some_and(|until| until > Timestamp::now());
        if report.events_read == 0 || waiting {
            return Ok(total);
        }
    }
}

/// A consumer's position, for the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The consumer's name.
    pub consumer: String,
    /// The last event it is done with (0 before any).
    pub last_event_id: i64,
    /// The newest event of the outbox (0 when empty).
    pub latest_event_id: i64,
    /// Events after its position.
    pub pending: i64,
    /// Events it is retrying (0 or 1).
    pub retrying: i64,
    /// Events parked and not resolved.
    pub parked: i64,
}

/// The positions of `consumers` (in their order).
pub async fn positions(
    tenant: &TenantDb,
    consumers: &[&Consumer],
) -> Result<Vec<Position>, StoreError> {
    let mut tx = tenant.begin_read().await?;
    let latest = tx
        .fetch_optional(
            "SELECT COALESCE(MAX(event_id), 0) FROM outbox WHERE municipality_code = $1",
            &[],
        )
        .await?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0);
    let mut out = Vec::with_capacity(consumers.len());
    for consumer in consumers {
        let last = tx
            .fetch_optional(
                "SELECT last_event_id FROM outbox_offsets \
                 WHERE municipality_code = $1 AND consumer = $2",
                &[Arg::from(consumer.name)],
            )
            .await?
            .map(|r| r.int(0))
            .transpose()?
            .unwrap_or(0);
        let pending = tx
            .fetch_optional(
                "SELECT COUNT(*) FROM outbox WHERE municipality_code = $1 AND event_id > $2",
                &[int(last)],
            )
            .await?
            .map(|r| r.int(0))
            .transpose()?
            .unwrap_or(0);
        let count = |status: &'static str| {
            (
                "SELECT COUNT(*) FROM outbox_dead_letters \
                 WHERE municipality_code = $1 AND consumer = $2 AND status = $3",
                [Arg::from(consumer.name), Arg::from(status)],
            )
        };
        let mut counts = [0i64; 2];
        for (slot, status) in counts.iter_mut().zip(["retrying", "parked"]) {
            let (sql, args) = count(status);
            *slot = tx
                .fetch_optional(sql, &args)
                .await?
                .map(|r| r.int(0))
                .transpose()?
                .unwrap_or(0);
        }
        out.push(Position {
            consumer: consumer.name.to_owned(),
            last_event_id: last,
            latest_event_id: latest,
            pending,
            retrying: counts[0],
            parked: counts[1],
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// The state of a dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadLetterStatus {
    /// Being retried; the consumer waits for it.
    Retrying,
    /// Given up on; the consumer moved on. Waits for a clerk.
    Parked,
    /// Handled later on a clerk's request.
    Retried,
    /// Dismissed by a clerk.
    Dismissed,
}

impl DeadLetterStatus {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Retrying => "retrying",
            Self::Parked => "parked",
            Self::Retried => "retried",
            Self::Dismissed => "dismissed",
        }
    }

    /// Parses a stored code.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "retrying" => Some(Self::Retrying),
            "parked" => Some(Self::Parked),
            "retried" => Some(Self::Retried),
            "dismissed" => Some(Self::Dismissed),
            _ => None,
        }
    }

    /// Its name for clerks.
    pub fn label(self) -> &'static str {
        match self {
            Self::Retrying => "再試行中",
            Self::Parked => "保留",
            Self::Retried => "再処理済み",
            Self::Dismissed => "対応不要",
        }
    }
}

/// One dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The consumer that failed.
    pub consumer: String,
    /// The event.
    pub event_id: i64,
    /// The event's kind.
    pub event_kind: String,
    /// Its state.
    pub status: DeadLetterStatus,
    /// Failed attempts.
    pub attempts: i64,
    /// The last error.
    pub error: String,
    /// The first failure (RFC 3339, UTC).
    pub first_failed_at: String,
    /// The last failure.
    pub last_failed_at: String,
    /// When it was parked.
    pub parked_at: Option<String>,
    /// When a clerk resolved it.
    pub resolved_at: Option<String>,
    /// Who resolved it.
    pub resolved_by: Option<String>,
}

const DEAD_LETTER_COLUMNS: &str = "consumer, event_id, event_kind, status, attempts, error, \
     first_failed_at, last_failed_at, parked_at, resolved_at, resolved_by";

fn dead_letter_row(row: &Row) -> Result<DeadLetter, StoreError> {
    let status = row.text(3)?;
    Ok(DeadLetter {
        consumer: row.text(0)?,
        event_id: row.int(1)?,
        event_kind: row.text(2)?,
        status: DeadLetterStatus::parse(&status).ok_or_else(|| corrupt("status", status))?,
        attempts: row.int(4)?,
        error: row.text(5)?,
        first_failed_at: row.text(6)?,
        last_failed_at: row.text(7)?,
        parked_at: row.opt_text(8)?,
        resolved_at: row.opt_text(9)?,
        resolved_by: row.opt_text(10)?,
    })
}

/// The dead letters, newest failure first; only those in `status` if given.
pub async fn dead_letters(
    tenant: &TenantDb,
    status: Option<DeadLetterStatus>,
) -> Result<Vec<DeadLetter>, StoreError> {
    let mut tx = tenant.begin_read().await?;
    let rows = match status {
        Some(status) => {
            let sql = format!(
                "SELECT {DEAD_LETTER_COLUMNS} FROM outbox_dead_letters \
                 WHERE municipality_code = $1 AND status = $2 \
                 ORDER BY last_failed_at DESC, consumer, event_id DESC LIMIT 1000"
            );
            tx.fetch_all(&sql, &[Arg::from(status.code())]).await?
        }
        None => {
            let sql = format!(
                "SELECT {DEAD_LETTER_COLUMNS} FROM outbox_dead_letters \
                 WHERE municipality_code = $1 \
                 ORDER BY last_failed_at DESC, consumer, event_id DESC LIMIT 1000"
            );
            tx.fetch_all(&sql, &[]).await?
        }
    };
    tx.commit().await?;
    rows.iter().map(dead_letter_row).collect()
}

/// Why a clerk's action on a dead letter failed.
#[derive(Debug, thiserror::Error)]
pub enum DeadLetterError {
    /// No such dead letter (or no such consumer) in this municipality.
    #[error("no such dead letter")]
    NotFound,
    /// It is not parked (being retried, or already resolved).
    #[error("the dead letter is not parked ({0:?})")]
    NotParked(DeadLetterStatus),
    /// The handler failed again; the dead letter stays parked with the new
    /// error.
    #[error("the retry failed: {0}")]
    HandlerFailed(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn parked_letter(
    tx: &mut TenantTx,
    consumer: &str,
    event_id: i64,
) -> Result<DeadLetter, DeadLetterError> {
    // Locked until the transaction ends: a retry and a dismissal of the
    // same letter (two clerks, or a double click) take turns, and the
    // second finds it resolved.
    let sql = format!(
        "SELECT {DEAD_LETTER_COLUMNS} FROM outbox_dead_letters \
         WHERE municipality_code = $1 AND consumer = $2 AND event_id = $3{}",
        tx.for_update()
    );
    let letter = tx
        .fetch_optional(&sql, &[Arg::from(consumer), int(event_id)])
        .await?
        .map(|r| dead_letter_row(&r))
        .transpose()?
        .ok_or(DeadLetterError::NotFound)?;
    if letter.status != DeadLetterStatus::Parked {
        return Err(DeadLetterError::NotParked(letter.status));
    }
    Ok(letter)
}

async fn resolve(
    tx: &mut TenantTx,
    consumer: &str,
    event_id: i64,
    status: DeadLetterStatus,
    actor: &Actor,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE outbox_dead_letters SET status = $4, resolved_at = $5, resolved_by = $6 \
         WHERE municipality_code = $1 AND consumer = $2 AND event_id = $3",
        &[
            Arg::from(consumer),
            int(event_id),
            Arg::from(status.code()),
            Arg::from(now_text()),
            Arg::from(actor.login.as_str()),
        ],
    )
    .await?;
    let entry = actor.entry(
        AuditAction::Change,
        None,
        format!(
            "outbox_dead_letter {consumer} event {event_id} {}",
            status.code()
        ),
    );
    kiban_audit::append(tx, &entry).await?;
    Ok(())
}

/// Handles a parked event again now (out of order), in one transaction
/// with its resolution (`retried`) and the clerk's access-log entry. If the
/// handler fails, nothing it wrote is kept, the dead letter stays parked
/// with the new error and one more attempt, and the error is returned.
pub async fn retry_dead_letter(
    tenant: &TenantDb,
    consumer: &Consumer,
    event_id: i64,
    actor: &Actor,
) -> Result<(), DeadLetterError> {
    let mut tx = tenant.begin().await?;
    parked_letter(&mut tx, consumer.name, event_id).await?;
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM outbox WHERE municipality_code = $1 AND event_id = $2"
    );
    let event = tx
        .fetch_optional(&sql, &[int(event_id)])
        .await?
        .map(|r| event_row(&r))
        .transpose()?
        .ok_or(DeadLetterError::NotFound)?;
    match consumer.handler.handle(&mut tx, &event).await {
        Ok(()) => {
            resolve(
                &mut tx,
                consumer.name,
                event_id,
                DeadLetterStatus::Retried,
                actor,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        Err(error) => {
            tx.rollback().await?;
            let message = error.text();
            let mut tx = tenant.begin().await?;
            tx.execute(
                "UPDATE outbox_dead_letters SET attempts = attempts + 1, error = $4, \
                 last_failed_at = $5 \
                 WHERE municipality_code = $1 AND consumer = $2 AND event_id = $3",
                &[
                    Arg::from(consumer.name),
                    int(event_id),
                    Arg::from(message.as_str()),
                    Arg::from(now_text()),
                ],
            )
            .await?;
            tx.commit().await?;
            Err(DeadLetterError::HandlerFailed(message))
        }
    }
}

/// Marks a parked event as needing no handling, with the clerk's
/// access-log entry.
pub async fn dismiss_dead_letter(
    tenant: &TenantDb,
    consumer: &str,
    event_id: i64,
    actor: &Actor,
) -> Result<(), DeadLetterError> {
    let mut tx = tenant.begin().await?;
    parked_letter(&mut tx, consumer, event_id).await?;
    resolve(
        &mut tx,
        consumer,
        event_id,
        DeadLetterStatus::Dismissed,
        actor,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The worker's task that runs every consumer of every municipality until
/// each has read every event (or waits for a failing event's next
/// attempt).
pub struct ConsumersTask {
    /// The consumers, in order.
    pub consumers: Vec<&'static Consumer>,
    /// How failing events are retried.
    pub policy: RetryPolicy,
}

impl crate::worker::WorkerTask for ConsumersTask {
    fn name(&self) -> &'static str {
        "outbox consumers"
    }

    fn tick<'a>(
        &'a self,
        db: &'a kiban_store::Database,
    ) -> crate::kind::BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut worked = false;
            for municipality in kiban_store::platform::list_municipalities(db).await? {
                let tenant = db.tenant(municipality.code).await?;
                for consumer in &self.consumers {
                    match drain(&tenant, consumer, &self.policy).await {
                        Ok(report) => {
                            if report.parked > 0 {
                                tracing::warn!(
                                    municipality = municipality.code.as_str(),
                                    consumer = consumer.name,
                                    parked = report.parked,
                                    "outbox consumer parked events as dead letters"
                                );
                            }
                            worked |= report.handled > 0 || report.parked > 0;
                        }
                        Err(e) => tracing::warn!(
                            municipality = municipality.code.as_str(),
                            consumer = consumer.name,
                            error = %e,
                            "outbox consumer failed; retrying later"
                        ),
                    }
                }
            }
            Ok(worked)
        })
    }
}
