//! PUSH: the allow-list of hosts, the webhooks and their delivery
//! attempts, as stored (`webhook_allowed_hosts`, `webhooks`,
//! `webhook_deliveries`, migration 0016). Delivery itself is
//! [`crate::delivery`].

use kiban_store::{Arg, Row, StoreError, TenantDb, TenantTx, now_text};

use crate::events::{EventType, event_type};
use crate::feed::newest_seq;
use crate::target::{TargetError, WebhookUrl, check_secret};

/// The per-municipality sequence of webhook ids.
pub const WEBHOOK_SEQUENCE: &str = "webhook_id";

/// The state of a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStatus {
    /// Delivering events as they come.
    Active,
    /// The next event failed; retried with backoff, later events wait.
    Retrying,
    /// Given up on the next event (after the retry period, or its host
    /// left the allow-list); later events wait until it is resumed.
    Parked,
    /// Switched off by an administrator.
    Disabled,
}

impl WebhookStatus {
    /// The code stored and shown in the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Retrying => "retrying",
            Self::Parked => "parked",
            Self::Disabled => "disabled",
        }
    }

    /// The status of a code.
    pub fn parse(code: &str) -> Option<Self> {
        [Self::Active, Self::Retrying, Self::Parked, Self::Disabled]
            .into_iter()
            .find(|s| s.code() == code)
    }

    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "配信中",
            Self::Retrying => "再試行中",
            Self::Parked => "保留",
            Self::Disabled => "停止",
        }
    }
}

/// A webhook as stored (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id (per municipality).
    pub webhook_id: i64,
    /// Where events are POSTed.
    pub url: String,
    /// The types it receives.
    pub types: Vec<String>,
    /// Its state.
    pub status: WebhookStatus,
    /// The last event it is done with.
    pub last_seq: i64,
    /// Attempts at the next event so far.
    pub attempts: i64,
    /// Failures since the retry period began.
    pub failures: i64,
    /// When the retry period began (RFC 3339, UTC).
    pub retry_since: Option<String>,
    /// When the next attempt is due.
    pub next_attempt_at: Option<String>,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// Who created it.
    pub created_by: String,
}

/// Why an action on webhooks failed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The URL, host or secret is refused.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// A type that does not exist (its index in the list).
    #[error("unknown event type {name} at {index}")]
    UnknownType {
        /// Its index.
        index: usize,
        /// The type.
        name: String,
    },
    /// No type given.
    #[error("no event type")]
    NoTypes,
    /// No such webhook in this municipality.
    #[error("no such webhook")]
    NotFound,
    /// Resumed while not parked.
    #[error("the webhook is not parked ({0:?})")]
    NotParked(WebhookStatus),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The types of a webhook's request, checked (each known, at least one,
/// duplicates dropped).
pub fn parse_types(names: &[String]) -> Result<Vec<&'static EventType>, WebhookError> {
    let mut types: Vec<&'static EventType> = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let t = event_type(name.trim()).ok_or_else(|| WebhookError::UnknownType {
            index,
            name: name.chars().take(64).collect(),
        })?;
        if !types.contains(&t) {
            types.push(t);
        }
    }
    if types.is_empty() {
        return Err(WebhookError::NoTypes);
    }
    Ok(types)
}

/// The associated data of a webhook's sealed secret.
pub(crate) fn secret_aad(tx: &TenantTx, webhook_id: i64) -> String {
    format!("webhook_secret|{}|{webhook_id}", tx.municipality().as_str())
}

/// Whether `host` is on the municipality's allow-list.
pub(crate) async fn host_allowed(tx: &mut TenantTx, host: &str) -> Result<bool, StoreError> {
    Ok(tx
        .fetch_optional(
            "SELECT host FROM webhook_allowed_hosts WHERE municipality_code = $1 AND host = $2",
            &[Arg::from(host)],
        )
        .await?
        .is_some())
}

/// A host of the allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// The host.
    pub host: String,
    /// When it was added.
    pub added_at: String,
    /// By whom.
    pub added_by: String,
}

/// Adds `host` (as [`crate::target::parse_host`] reads it) to the
/// allow-list; `false` when it was there already.
pub async fn allow_host(tenant: &TenantDb, host: &str, by: &str) -> Result<bool, WebhookError> {
    let host = crate::target::parse_host(host)?;
    let mut tx = tenant.begin().await?;
    let added = tx
        .execute(
            "INSERT INTO webhook_allowed_hosts (municipality_code, host, added_at, added_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (municipality_code, host) DO NOTHING",
            &[Arg::from(host), Arg::from(now_text()), Arg::from(by)],
        )
        .await?;
    tx.commit().await?;
    Ok(added > 0)
}

/// Removes `host` from the allow-list; `false` when it was not there.
/// Webhooks to it are parked at their next delivery.
pub async fn disallow_host(tenant: &TenantDb, host: &str) -> Result<bool, WebhookError> {
    let host = crate::target::parse_host(host)?;
    let mut tx = tenant.begin().await?;
    let removed = tx
        .execute(
            "DELETE FROM webhook_allowed_hosts WHERE municipality_code = $1 AND host = $2",
            &[Arg::from(host)],
        )
        .await?;
    tx.commit().await?;
    Ok(removed > 0)
}

/// The allow-list, by host.
pub async fn allowed_hosts(tenant: &TenantDb) -> Result<Vec<AllowedHost>, StoreError> {
    let mut tx = tenant.begin_read().await?;
    let rows = tx
        .fetch_all(
            "SELECT host, added_at, added_by FROM webhook_allowed_hosts \
             WHERE municipality_code = $1 ORDER BY host",
            &[],
        )
        .await?;
    tx.commit().await?;
    rows.iter()
        .map(|r| {
            Ok(AllowedHost {
                host: r.text(0)?,
                added_at: r.text(1)?,
                added_by: r.text(2)?,
            })
        })
        .collect()
}

pub(crate) const WEBHOOK_COLUMNS: &str = "webhook_id, url, types, status, last_seq, attempts, \
     failures, retry_since, next_attempt_at, last_error, created_at, created_by";

pub(crate) fn webhook_row(row: &Row) -> Result<Webhook, StoreError> {
    let status = row.text(3)?;
    Ok(Webhook {
        webhook_id: row.int(0)?,
        url: row.text(1)?,
        types: row
            .text(2)?
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        status: WebhookStatus::parse(&status).ok_or_else(|| StoreError::Corrupt {
            column: "webhooks.status".into(),
            reason: status,
        })?,
        last_seq: row.int(4)?,
        attempts: row.int(5)?,
        failures: row.int(6)?,
        retry_since: row.opt_text(7)?,
        next_attempt_at: row.opt_text(8)?,
        last_error: row.opt_text(9)?,
        created_at: row.text(10)?,
        created_by: row.text(11)?,
    })
}

/// Registers a webhook to `url` for `types`, signing with `secret`
/// (sealed under the municipality's data key, never stored plain). The
/// URL's host must be on the allow-list. It receives the events recorded
/// after the newest one at its creation.
pub async fn create_webhook(
    tenant: &TenantDb,
    created_by: &str,
    url: &WebhookUrl,
    types: &[&'static EventType],
    secret: &str,
) -> Result<i64, WebhookError> {
    check_secret(secret)?;
    if types.is_empty() {
        return Err(WebhookError::NoTypes);
    }
    let mut tx = tenant.begin().await?;
    if !host_allowed(&mut tx, url.host()).await? {
        tx.rollback().await?;
        return Err(TargetError::HostNotAllowed(url.host().to_owned()).into());
    }
    let webhook_id = tx.next_numbers(WEBHOOK_SEQUENCE, 1).await?;
    let newest = newest_seq(&mut tx).await?;
    let aad = secret_aad(&tx, webhook_id);
    let sealed = tx.seal(&aad, secret.as_bytes()).await?;
    let names: Vec<&str> = types.iter().map(|t| t.name).collect();
    let now = now_text();
    tx.insert_rows(
        "webhooks",
        &[
            "webhook_id",
            "url",
            "types",
            "secret_sealed",
            "status",
            "last_seq",
            "attempts",
            "failures",
            "created_at",
            "created_by",
            "updated_at",
        ],
        &[vec![
            Arg::Int(webhook_id),
            Arg::from(url.as_str()),
            Arg::from(names.join(",")),
            Arg::Bytes(sealed),
            Arg::from(WebhookStatus::Active.code()),
            Arg::Int(newest),
            Arg::Int(0),
            Arg::Int(0),
            Arg::from(now.as_str()),
            Arg::from(created_by),
            Arg::from(now.as_str()),
        ]],
    )
    .await?;
    tx.commit().await?;
    Ok(webhook_id)
}

/// The municipality's webhooks, by id.
pub async fn list_webhooks(tenant: &TenantDb) -> Result<Vec<Webhook>, StoreError> {
    let mut tx = tenant.begin_read().await?;
    let sql = format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE municipality_code = $1 ORDER BY webhook_id"
    );
    let rows = tx.fetch_all(&sql, &[]).await?;
    tx.commit().await?;
    rows.iter().map(webhook_row).collect()
}

/// One webhook, locked until `tx` ends.
async fn locked(tx: &mut TenantTx, webhook_id: i64) -> Result<Webhook, WebhookError> {
    let sql = format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks \
         WHERE municipality_code = $1 AND webhook_id = $2{}",
        tx.for_update()
    );
    tx.fetch_optional(&sql, &[Arg::Int(webhook_id)])
        .await?
        .map(|r| webhook_row(&r))
        .transpose()?
        .ok_or(WebhookError::NotFound)
}

/// One webhook.
pub async fn webhook(tenant: &TenantDb, webhook_id: i64) -> Result<Webhook, WebhookError> {
    let mut tx = tenant.begin_read().await?;
    let sql = format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE municipality_code = $1 AND webhook_id = $2"
    );
    let found = tx.fetch_optional(&sql, &[Arg::Int(webhook_id)]).await?;
    tx.commit().await?;
    found
        .map(|r| webhook_row(&r))
        .transpose()?
        .ok_or(WebhookError::NotFound)
}

/// Switches a webhook off for good (it keeps its attempts); disabling a
/// disabled one changes nothing.
pub async fn disable_webhook(tenant: &TenantDb, webhook_id: i64) -> Result<Webhook, WebhookError> {
    let mut tx = tenant.begin().await?;
    locked(&mut tx, webhook_id).await?;
    tx.execute(
        "UPDATE webhooks SET status = 'disabled', next_attempt_at = NULL, updated_at = $3 \
         WHERE municipality_code = $1 AND webhook_id = $2",
        &[Arg::Int(webhook_id), Arg::from(now_text())],
    )
    .await?;
    let hook = locked(&mut tx, webhook_id).await?;
    tx.commit().await?;
    Ok(hook)
}

/// Resumes a parked webhook: the event it gave up on is tried again at the
/// next delivery, with a new retry period.
pub async fn resume_webhook(tenant: &TenantDb, webhook_id: i64) -> Result<Webhook, WebhookError> {
    let mut tx = tenant.begin().await?;
    let hook = locked(&mut tx, webhook_id).await?;
    if hook.status != WebhookStatus::Parked {
        tx.rollback().await?;
        return Err(WebhookError::NotParked(hook.status));
    }
    tx.execute(
        "UPDATE webhooks SET status = 'active', failures = 0, retry_since = NULL, \
         next_attempt_at = NULL, updated_at = $3 \
         WHERE municipality_code = $1 AND webhook_id = $2",
        &[Arg::Int(webhook_id), Arg::from(now_text())],
    )
    .await?;
    let hook = locked(&mut tx, webhook_id).await?;
    tx.commit().await?;
    Ok(hook)
}

/// Whether a delivery attempt succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptStatus {
    /// Answered 2xx.
    Succeeded,
    /// Not answered 2xx, not answered in time, or not sent.
    Failed,
}

impl AttemptStatus {
    /// The code stored and shown.
    pub fn code(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The event.
    pub seq: i64,
    /// The attempt's number for that event (from 1).
    pub attempt: i64,
    /// When it was made (RFC 3339, UTC).
    pub at: String,
    /// How it ended.
    pub status: AttemptStatus,
    /// The receiver's HTTP status, if it answered.
    pub http_status: Option<i64>,
    /// What went wrong (Japanese), if it failed.
    pub error: Option<String>,
}

/// Inserts attempts of one webhook (the delivery's bookkeeping).
pub(crate) async fn insert_attempts(
    tx: &mut TenantTx,
    webhook_id: i64,
    attempts: &[Attempt],
) -> Result<(), StoreError> {
    let rows: Vec<Vec<Arg>> = attempts
        .iter()
        .map(|a| {
            vec![
                Arg::Int(webhook_id),
                Arg::Int(a.seq),
                Arg::Int(a.attempt),
                Arg::from(a.at.as_str()),
                Arg::from(a.status.code()),
                Arg::from(a.http_status),
                Arg::from(a.error.clone()),
            ]
        })
        .collect();
    tx.insert_rows(
        "webhook_deliveries",
        &[
            "webhook_id",
            "seq",
            "attempt",
            "at",
            "status",
            "http_status",
            "error",
        ],
        &rows,
    )
    .await?;
    Ok(())
}

/// A webhook's attempts, newest first: at most `limit`, after skipping
/// `offset`.
pub async fn deliveries(
    tenant: &TenantDb,
    webhook_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<Attempt>, WebhookError> {
    let mut tx = tenant.begin_read().await?;
    let exists = tx
        .fetch_optional(
            "SELECT webhook_id FROM webhooks WHERE municipality_code = $1 AND webhook_id = $2",
            &[Arg::Int(webhook_id)],
        )
        .await?
        .is_some();
    if !exists {
        tx.rollback().await?;
        return Err(WebhookError::NotFound);
    }
    let rows = tx
        .fetch_all(
            "SELECT seq, attempt, at, status, http_status, error FROM webhook_deliveries \
             WHERE municipality_code = $1 AND webhook_id = $2 \
             ORDER BY seq DESC, attempt DESC LIMIT $3 OFFSET $4",
            &[Arg::Int(webhook_id), Arg::Int(limit), Arg::Int(offset)],
        )
        .await?;
    tx.commit().await?;
    rows.iter()
        .map(|r| {
            let status = r.text(3)?;
            Ok(Attempt {
                seq: r.int(0)?,
                attempt: r.int(1)?,
                at: r.text(2)?,
                status: if status == "succeeded" {
                    AttemptStatus::Succeeded
                } else {
                    AttemptStatus::Failed
                },
                http_status: r.opt_int(4)?,
                error: r.opt_text(5)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()
        .map_err(WebhookError::from)
}
