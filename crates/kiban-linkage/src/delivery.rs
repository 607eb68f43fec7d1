//! Delivery of webhooks: the worker's task that POSTs each event, signed,
//! in `seq` order, to every active webhook of every municipality.
//!
//! A webhook is delivered by one worker at a time: the worker takes a
//! lease on its row (`lease_until`, `leased_by`), renewed at each
//! bookkeeping. It reads a batch of events after the webhook's position
//! (one range query, in a read transaction closed before any HTTP call),
//! POSTs those of the webhook's types one after the other over a kept-alive
//! connection, and then, in one writing transaction, advances the position,
//! records every attempt and writes one `export` access-log entry for the
//! events delivered. No transaction is open during an HTTP call.
//!
//! An event that is not answered 2xx within the timeout stops the batch:
//! its failed attempt is recorded, the webhook is `retrying` and waits
//! (later events wait behind it, in order) for the next attempt, after a
//! backoff that doubles from [`DeliverySettings::first_retry`]. Once the
//! retry period ([`DeliverySettings::give_up_after`], 24 hours) is over
//! the webhook is `parked` until an administrator resumes it. A webhook
//! whose host left the allow-list is parked at once. A crash between an
//! HTTP call and its bookkeeping sends the event again: delivery is at
//! least once, in order.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use kiban_audit::{Actor, AuditAction};
use kiban_core::Message;
use kiban_jobs::BoxFuture;
use kiban_jobs::worker::WorkerTask;
use kiban_store::{Arg, Database, StoreError, TenantDb, now_text};
use zeroize::Zeroizing;

use crate::events::LinkedEvent;
use crate::feed::{events_after, newest_seq};
use crate::target::{WebhookUrl, signature};
use crate::webhooks::{
    Attempt, AttemptStatus, WEBHOOK_COLUMNS, WebhookStatus, host_allowed, insert_attempts,
    secret_aad, webhook_row,
};

/// How webhooks are delivered and retried.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// How long a receiver has to answer.
    pub timeout: Duration,
    /// The wait after the first failure of an event; doubled after each
    /// further one.
    pub first_retry: Duration,
    /// The longest wait between two attempts.
    pub max_backoff: Duration,
    /// How long an event is retried before the webhook is parked.
    pub give_up_after: Duration,
    /// Events read, and bookkept, at a time.
    pub batch: i64,
    /// How long one webhook is worked on per round of the worker, so that
    /// the others (and the worker's other tasks) get their turn.
    pub budget: Duration,
    /// How long a worker's lease on a webhook lasts without renewal.
    pub lease: Duration,
}

impl Default for DeliverySettings {
    /// 10 s timeout; retries after 5 s, 10 s, 20 s, … up to an hour apart,
    /// for 24 hours; batches of 256 events; 5 s per webhook and round.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            first_retry: Duration::from_secs(5),
            max_backoff: Duration::from_secs(3_600),
            give_up_after: Duration::from_secs(24 * 3_600),
            batch: 256,
            budget: Duration::from_secs(5),
            lease: Duration::from_secs(120),
        }
    }
}

impl DeliverySettings {
    /// The wait after the `failures`-th failure of an event.
    pub fn wait_after(&self, failures: i64) -> Duration {
        let doublings = u32::try_from(failures.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        self.first_retry
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

fn signed(d: Duration) -> SignedDuration {
    SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX)
}

fn parse_time(text: Option<&str>) -> Option<Timestamp> {
    text.and_then(|t| t.parse::<Timestamp>().ok())
}

/// What one round did for one webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Events delivered (answered 2xx).
    pub delivered: usize,
    /// Events passed over (not of the webhook's types).
    pub skipped: usize,
    /// Failed attempts.
    pub failed: usize,
    /// Whether the webhook was parked.
    pub parked: bool,
}

/// The worker's task that delivers every webhook of every municipality.
pub struct WebhooksTask {
    settings: DeliverySettings,
    client: reqwest::Client,
    worker: String,
}

impl WebhooksTask {
    /// A task with its own HTTP client (connections kept alive between
    /// events and rounds).
    pub fn new(settings: DeliverySettings) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .build()?;
        let worker = format!("worker-{:016x}", rand::random::<u64>());
        Ok(Self {
            settings,
            client,
            worker,
        })
    }

    /// Delivers what is due of every webhook of one municipality.
    pub async fn deliver_municipality(
        &self,
        tenant: &TenantDb,
    ) -> Result<DeliveryReport, StoreError> {
        let mut total = DeliveryReport::default();
        for webhook_id in due(tenant).await? {
            let report = self.deliver(tenant, webhook_id).await?;
            total.delivered += report.delivered;
            total.skipped += report.skipped;
            total.failed += report.failed;
            total.parked |= report.parked;
        }
        Ok(total)
    }

    /// Delivers one webhook for at most the settings' budget, if it is due
    /// and no other worker holds it.
    pub async fn deliver(
        &self,
        tenant: &TenantDb,
        webhook_id: i64,
    ) -> Result<DeliveryReport, StoreError> {
        let mut report = DeliveryReport::default();
        let Some(claim) = self.claim(tenant, webhook_id).await? else {
            return Ok(report);
        };
        let started = std::time::Instant::now();
        let mut position = claim.last_seq;
        let mut attempts = claim.attempts;
        let mut failures = claim.failures;
        let mut retry_since = claim.retry_since.clone();
        loop {
            let mut tx = tenant.begin_read().await?;
            let allowed = host_allowed(&mut tx, claim.url.host()).await?;
            let events = events_after(&mut tx, position, self.settings.batch, None).await?;
            tx.commit().await?;
            if events.is_empty() {
                break;
            }
            let mut done: Vec<Attempt> = Vec::new();
            let mut delivered: Vec<i64> = Vec::new();
            let mut failure: Option<(Attempt, bool)> = None;
            let mut new_position = position;
            for event in &events {
                if !claim.types.contains(&event.event_type) {
                    new_position = event.seq;
                    report.skipped += 1;
                    continue;
                }
                attempts += 1;
                if !allowed {
                    let error = Message::WebhookHostRemoved {
                        host: claim.url.host().to_owned(),
                    };
                    failure = Some((failed(event.seq, attempts, None, error), true));
                    break;
                }
                match self.post(&claim, event).await {
                    Ok(status) => {
                        done.push(Attempt {
                            seq: event.seq,
                            attempt: attempts,
                            at: now_text(),
                            status: AttemptStatus::Succeeded,
                            http_status: Some(status),
                            error: None,
                        });
                        delivered.push(event.seq);
                        new_position = event.seq;
                        attempts = 0;
                        failures = 0;
                        retry_since = None;
                    }
                    Err((http_status, error)) => {
                        failure = Some((failed(event.seq, attempts, http_status, error), false));
                        break;
                    }
                }
            }
            report.delivered += delivered.len();
            let book = Bookkeeping {
                webhook_id,
                old_position: position,
                new_position,
                attempts,
                delivered: &delivered,
                done,
            };
            let kept = match failure {
                None => {
                    self.record(tenant, &book, None, &mut failures, &mut retry_since)
                        .await?
                }
                Some((attempt, park_now)) => {
                    report.failed += 1;
                    let parked = self
                        .record(
                            tenant,
                            &book,
                            Some((attempt, park_now)),
                            &mut failures,
                            &mut retry_since,
                        )
                        .await?;
                    report.parked = parked == Some(true);
                    break;
                }
            };
            if kept.is_none() {
                // Disabled or taken over meanwhile: stop here.
                break;
            }
            position = new_position;
            if started.elapsed() >= self.settings.budget {
                break;
            }
        }
        self.release(tenant, webhook_id).await?;
        Ok(report)
    }

    /// POSTs one event; the receiver's status, or why it failed.
    async fn post(
        &self,
        claim: &Claim,
        event: &LinkedEvent,
    ) -> Result<i64, (Option<i64>, Message)> {
        let body = event.to_json().to_string();
        let signature = signature(&claim.secret, body.as_bytes());
        let sent = self
            .client
            .post(claim.url.url().clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Kiban-Event-Seq", event.seq.to_string())
            .header("X-Kiban-Signature", signature)
            .body(body)
            .send()
            .await;
        let timeout_message = || Message::WebhookTimeout {
            seconds: seconds_text(self.settings.timeout),
        };
        match sent {
            Ok(response) => {
                let status = i64::from(response.status().as_u16());
                let ok = response.status().is_success();
                // Read the answer to its end, so that the connection is
                // kept for the next event.
                let read = response.bytes().await;
                match (ok, read) {
                    (true, Ok(_)) => Ok(status),
                    (true, Err(e)) if e.is_timeout() => Err((Some(status), timeout_message())),
                    (true, Err(_)) | (false, _) => Err((
                        Some(status),
                        Message::WebhookHttpStatus {
                            status: status.to_string(),
                        },
                    )),
                }
            }
            Err(e) if e.is_timeout() => Err((None, timeout_message())),
            Err(e) if e.is_connect() => Err((None, Message::WebhookConnectFailed {})),
            Err(e) => Err((
                None,
                Message::WebhookRequestFailed {
                    detail: e.without_url().to_string().chars().take(200).collect(),
                },
            )),
        }
    }

    /// Takes the lease of a webhook that is due; its state and secret.
    async fn claim(&self, tenant: &TenantDb, webhook_id: i64) -> Result<Option<Claim>, StoreError> {
        let mut tx = tenant.begin().await?;
        let sql = format!(
            "SELECT {WEBHOOK_COLUMNS}, lease_until, leased_by, secret_sealed FROM webhooks \
             WHERE municipality_code = $1 AND webhook_id = $2{}",
            tx.for_update()
        );
        let Some(row) = tx.fetch_optional(&sql, &[Arg::Int(webhook_id)]).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        let hook = webhook_row(&row)?;
        let now = Timestamp::now();
        let lease_free = match parse_time(row.opt_text(12)?.as_deref()) {
            None => true,
            Some(until) => {
                until <= now || row.opt_text(13)?.as_deref() == Some(self.worker.as_str())
            }
        };
        let due = match hook.status {
            WebhookStatus::Active => true,
            WebhookStatus::Retrying => {
                parse_time(hook.next_attempt_at.as_deref()).is_none_or(|t| t <= now)
            }
            WebhookStatus::Parked | WebhookStatus::Disabled => false,
        };
        let Ok(url) = WebhookUrl::parse(&hook.url) else {
            tx.rollback().await?;
            return Ok(None);
        };
        if !lease_free || !due {
            tx.rollback().await?;
            return Ok(None);
        }
        let aad = secret_aad(&tx, webhook_id);
        let secret = tx.open(&aad, &row.bytes(14)?).await?;
        tx.execute(
            "UPDATE webhooks SET lease_until = $3, leased_by = $4 \
             WHERE municipality_code = $1 AND webhook_id = $2",
            &[
                Arg::Int(webhook_id),
                Arg::from((now + signed(self.settings.lease)).to_string()),
                Arg::from(self.worker.as_str()),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(Some(Claim {
            url,
            types: hook.types,
            secret,
            last_seq: hook.last_seq,
            attempts: hook.attempts,
            failures: hook.failures,
            retry_since: hook.retry_since,
        }))
    }

    /// Advances the position, records the attempts and the access-log
    /// entry, and, after a failure, the retry or the parking. `None` when
    /// the webhook changed meanwhile (nothing recorded); else whether it
    /// was parked.
    async fn record(
        &self,
        tenant: &TenantDb,
        book: &Bookkeeping<'_>,
        failure: Option<(Attempt, bool)>,
        failures: &mut i64,
        retry_since: &mut Option<String>,
    ) -> Result<Option<bool>, StoreError> {
        let now = Timestamp::now();
        let mut attempts = book.done.clone();
        let (status, next_attempt_at, last_error, parked) = match &failure {
            // Only events of other types were passed over: a retry still
            // pending stays so, due at once.
            None if *failures > 0 => (WebhookStatus::Retrying, None, None, false),
            None => (WebhookStatus::Active, None, None, false),
            Some((attempt, park_now)) => {
                *failures += 1;
                let since = retry_since
                    .get_or_insert_with(|| attempt.at.clone())
                    .clone();
                let since = parse_time(Some(&since)).unwrap_or(now);
                let over = now.duration_since(since) >= signed(self.settings.give_up_after);
                attempts.push(attempt.clone());
                if *park_now || over {
                    (WebhookStatus::Parked, None, attempt.error.clone(), true)
                } else {
                    let next = now + signed(self.settings.wait_after(*failures));
                    (
                        WebhookStatus::Retrying,
                        Some(next.to_string()),
                        attempt.error.clone(),
                        false,
                    )
                }
            }
        };
        let mut tx = tenant.begin().await?;
        let changed = tx
            .execute(
                "UPDATE webhooks SET last_seq = $4, attempts = $5, failures = $6, \
                 retry_since = $7, status = $8, next_attempt_at = $9, last_error = $10, \
                 lease_until = $11, updated_at = $12 \
                 WHERE municipality_code = $1 AND webhook_id = $2 AND last_seq = $3 \
                 AND leased_by = $13 AND status IN ('active', 'retrying')",
                &[
                    Arg::Int(book.webhook_id),
                    Arg::Int(book.old_position),
                    Arg::Int(book.new_position),
                    Arg::Int(book.attempts),
                    Arg::Int(*failures),
                    Arg::from(retry_since.clone()),
                    Arg::from(status.code()),
                    Arg::from(next_attempt_at),
                    Arg::from(last_error),
                    Arg::from((now + signed(self.settings.lease)).to_string()),
                    Arg::from(now.to_string()),
                    Arg::from(self.worker.as_str()),
                ],
            )
            .await?;
        if changed == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        insert_attempts(&mut tx, book.webhook_id, &attempts).await?;
        if let (Some(first), Some(last)) = (book.delivered.first(), book.delivered.last()) {
            let actor = Actor::new(format!("webhook:{}", book.webhook_id), "webhook");
            let entry = actor.entry(
                AuditAction::Export,
                None,
                format!(
                    "webhook {} seq {first}-{last} ({} events)",
                    book.webhook_id,
                    book.delivered.len()
                ),
            );
            kiban_audit::append(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        if parked {
            tracing::warn!(
                municipality = tenant.municipality().as_str(),
                webhook_id = book.webhook_id,
                "webhook parked"
            );
        }
        Ok(Some(parked))
    }

    /// Gives the lease back.
    async fn release(&self, tenant: &TenantDb, webhook_id: i64) -> Result<(), StoreError> {
        let mut tx = tenant.begin().await?;
        tx.execute(
            "UPDATE webhooks SET lease_until = NULL, leased_by = NULL \
             WHERE municipality_code = $1 AND webhook_id = $2 AND leased_by = $3",
            &[Arg::Int(webhook_id), Arg::from(self.worker.as_str())],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// What a worker holds of a webhook while delivering it.
struct Claim {
    url: WebhookUrl,
    types: Vec<String>,
    secret: Zeroizing<Vec<u8>>,
    last_seq: i64,
    attempts: i64,
    failures: i64,
    retry_since: Option<String>,
}

/// The outcome of a batch, to record.
struct Bookkeeping<'a> {
    webhook_id: i64,
    old_position: i64,
    new_position: i64,
    attempts: i64,
    delivered: &'a [i64],
    done: Vec<Attempt>,
}

/// Whole seconds as an integer (`10`), others with one decimal (`0.3`).
fn seconds_text(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{:.1}", d.as_secs_f64())
    }
}

fn failed(seq: i64, attempt: i64, http_status: Option<i64>, error: Message) -> Attempt {
    Attempt {
        seq,
        attempt,
        at: now_text(),
        status: AttemptStatus::Failed,
        http_status,
        error: Some(error.text()),
    }
}

/// The webhooks of a municipality that may have something to deliver now
/// (active or due for a retry, behind the newest event): one read.
async fn due(tenant: &TenantDb) -> Result<Vec<i64>, StoreError> {
    let mut tx = tenant.begin_read().await?;
    let rows = tx
        .fetch_all(
            "SELECT webhook_id, status, last_seq, next_attempt_at FROM webhooks \
             WHERE municipality_code = $1 AND status IN ('active', 'retrying') \
             ORDER BY webhook_id",
            &[],
        )
        .await?;
    let newest = if rows.is_empty() {
        0
    } else {
        newest_seq(&mut tx).await?
    };
    tx.commit().await?;
    let now = Timestamp::now();
    let mut due = Vec::new();
    for row in &rows {
        let waiting = row.text(1)? == WebhookStatus::Retrying.code()
            && parse_time(row.opt_text(3)?.as_deref()).is_some_and(|t| t > now);
        if row.int(2)? < newest && !waiting {
            due.push(row.int(0)?);
        }
    }
    Ok(due)
}

impl WorkerTask for WebhooksTask {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn tick<'a>(&'a self, db: &'a Database) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut worked = false;
            for municipality in kiban_store::platform::list_municipalities(db).await? {
                let tenant = db.tenant(municipality.code).await?;
                match self.deliver_municipality(&tenant).await {
                    Ok(report) => {
                        worked |= report.delivered > 0 || report.skipped > 0;
                    }
                    Err(e) => tracing::warn!(
                        municipality = municipality.code.as_str(),
                        error = %e,
                        "webhook delivery failed; retrying later"
                    ),
                }
            }
            Ok(worked)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_ceiling() {
        let s = DeliverySettings::default();
        assert_eq!(s.wait_after(1), Duration::from_secs(5));
        assert_eq!(s.wait_after(2), Duration::from_secs(10));
        assert_eq!(s.wait_after(4), Duration::from_secs(40));
        assert_eq!(s.wait_after(40), Duration::from_secs(3_600));
        assert!(s.timeout <= Duration::from_secs(10));
        assert!(s.give_up_after >= Duration::from_secs(24 * 3_600));
    }
}
