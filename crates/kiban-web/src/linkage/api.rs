//! Data linkage (庁内データ連携) JSON API, under
//! `/api/v1/municipalities/{m}`: the event feed `GET /events` (PULL) and
//! the webhooks (PUSH) `POST/GET /webhooks`, `DELETE /webhooks/{webhook_id}`,
//! `GET /webhooks/{webhook_id}/deliveries`, `POST /webhooks/{webhook_id}/resume`.
//!
//! The feed's door lets in staff whose role reads the registry (every role
//! that reads the addressee master does too); the handler then gives each
//! caller the types of the businesses it may read
//! ([`kiban_linkage::readable_types`], the one table of type, business,
//! permission and scope). Webhooks are managed by the municipality's
//! administrators (`ManageLinkage`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kiban_auth::Permission;
use kiban_core::Message;
use kiban_linkage::webhooks::{self, Webhook};
use kiban_linkage::{FeedError, FeedRequest, WebhookError, WebhookUrl, readable_types};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::ApiError;
use crate::kit::door::{Door, refuse};
use crate::kit::query::Query;
use crate::openapi::{Access, Operation, Route};
use crate::platform::api::json_body;

/// The operations of the event feed and the webhooks.
pub(crate) fn operations() -> Vec<Route> {
    let manage = Access::Tenant(Permission::ManageLinkage);
    vec![
        // System clients read the feed with the scopes of
        // `kiban_linkage::events::event_scopes()` (`registry:events:read`,
        // `addressee:events:read`), declared below; `readable_types` gives
        // a client the types of the scopes it holds.
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/events",
            "listEvents",
            "庁内連携のイベントを seq の順に読む（after より後、種類で絞り込み。利用履歴に記録）",
            "linkage",
            Access::Tenant(Permission::RegistryRead),
        )
        .query::<FeedQuery>()
        .json::<EventFeed>(200)
        .scope("registry:events:read")
        .scope("addressee:events:read")
        .logged_as("events_read")
        .to(feed),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/webhooks",
            "createWebhook",
            "Webhook（イベントの送信先）を登録する（許可されたホストのみ）",
            "linkage",
            manage,
        )
        .body::<CreateWebhookRequest>()
        .json::<WebhookCreated>(201)
        .logged_as("webhook_create")
        .to(create),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/webhooks",
            "listWebhooks",
            "Webhook の一覧（秘密鍵は含まない）",
            "linkage",
            manage,
        )
        .json::<WebhookList>(200)
        .logged_as("webhook_list")
        .to(list),
        Operation::new(
            "delete",
            "/api/v1/municipalities/{m}/webhooks/{webhook_id}",
            "disableWebhook",
            "Webhook を停止する（配信の記録は残る）",
            "linkage",
            manage,
        )
        .json::<WebhookView>(200)
        .logged_as("webhook_disable")
        .to(disable),
        Operation::new(
            "get",
            "/api/v1/municipalities/{m}/webhooks/{webhook_id}/deliveries",
            "listWebhookDeliveries",
            "Webhook の配信の試行の一覧（新しい順）",
            "linkage",
            manage,
        )
        .query::<DeliveriesQuery>()
        .json::<DeliveryList>(200)
        .logged_as("webhook_deliveries")
        .to(deliveries),
        Operation::new(
            "post",
            "/api/v1/municipalities/{m}/webhooks/{webhook_id}/resume",
            "resumeWebhook",
            "保留中の Webhook の配信を再開する（保留したイベントから順に）",
            "linkage",
            manage,
        )
        .json::<WebhookView>(200)
        .errors(&[409])
        .logged_as("webhook_resume")
        .to(resume),
    ]
}

/// The query of `GET …/events`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// Events after this `seq` (default 0: from the first).
    #[param(value_type = Option<i64>, minimum = 0, example = 0)]
    after: Option<String>,
    /// At most this many events (1–1000, default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000, example = 100)]
    limit: Option<String>,
    /// Only these types, comma-separated (default: every type the caller
    /// may read).
    #[param(example = "resident_moved_in,resident_moved_out")]
    types: Option<String>,
}

/// A page of the event feed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"events": [{"seq": 12, "type": "resident_moved_out", "occurred_at": "2026-04-02T01:02:03.000004Z",
    "effective_date": "2026-04-01", "addressee_ids": [3, 4], "data": {"event_date": "2026-04-01", "person_ids": [3, 4]}}],
    "next_after": 12}))]
pub struct EventFeed {
    /// The events, in `seq` order.
    pub events: Vec<EventView>,
    /// The `after` of the next page: the last `seq` returned, or this
    /// page's `after` when none was.
    pub next_after: i64,
}

/// An event, as the feed and the webhooks carry it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Its number (per municipality, increasing; a smaller one never
    /// appears later).
    pub seq: i64,
    /// Its type.
    #[serde(rename = "type")]
    #[schema(schema_with = event_type_schema)]
    pub event_type: String,
    /// When it was recorded (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub occurred_at: String,
    /// The date it takes effect.
    #[schema(format = Date, required = true)]
    pub effective_date: Option<String>,
    /// Whom it concerns (宛名番号).
    pub addressee_ids: Vec<i64>,
    /// The business's payload.
    #[schema(value_type = Object)]
    pub data: Value,
}

fn event_type_schema() -> utoipa::openapi::Object {
    crate::kit::wire::codes(kiban_linkage::EVENT_TYPES.iter().map(|t| t.name))
}

fn webhook_status_schema() -> utoipa::openapi::Object {
    use kiban_linkage::WebhookStatus as S;
    crate::kit::wire::codes([S::Active, S::Retrying, S::Parked, S::Disabled].map(S::code))
}

fn attempt_status_schema() -> utoipa::openapi::Object {
    use kiban_linkage::AttemptStatus as S;
    crate::kit::wire::codes([S::Succeeded, S::Failed].map(S::code))
}

fn feed_error(error: &FeedError) -> ApiError {
    ApiError::invalid(error.field(), error.message())
}

/// `GET …/events?after=&limit=&types=`.
pub async fn feed(door: Door, Query(query): Query<FeedQuery>) -> Result<Response, ApiError> {
    let Door {
        tenant,
        actor,
        principal,
    } = door;
    let readable = readable_types(&principal);
    let request = match FeedRequest::parse(
        query.after.as_deref(),
        query.limit.as_deref(),
        query.types.as_deref(),
        &readable,
    ) {
        Ok(request) => request,
        Err(FeedError::NotReadable(name)) => {
            let detail: String = format!("events_read {name}").chars().take(80).collect();
            refuse(&tenant, &actor, None, detail.trim_end()).await?;
            return Err(ApiError::forbidden());
        }
        Err(e) => return Err(feed_error(&e)),
    };
    let page = kiban_linkage::read_feed(&tenant, &actor, &request).await?;
    let events = page
        .events
        .into_iter()
        .map(|e| EventView {
            seq: e.seq,
            event_type: e.event_type,
            occurred_at: e.occurred_at,
            effective_date: e.effective_date,
            addressee_ids: e.addressee_ids,
            data: e.data,
        })
        .collect();
    Ok(Json(EventFeed {
        events,
        next_after: page.next_after,
    })
    .into_response())
}

/// The body of `POST …/webhooks`.
#[expect(
    dead_code,
    reason = "documents the body that the handler's own parser reads"
)]
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"url": "https://renkei.example.lg.jp/kiban/events",
    "types": ["resident_moved_out", "resident_died"], "secret": "0123456789abcdef0123456789abcdef"}))]
pub struct CreateWebhookRequest {
    /// Where events are POSTed: `http(s)`, its host on the allow-list.
    pub url: String,
    /// The event types it receives.
    pub types: Vec<String>,
    /// The key of the HMAC-SHA256 signature (16–256 bytes); kept sealed,
    /// never shown again.
    #[schema(format = Password)]
    pub secret: String,
}

/// A registered webhook.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"webhook_id": 1}))]
pub struct WebhookCreated {
    /// Its id (per municipality).
    pub webhook_id: i64,
}

/// The webhooks of the municipality.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    /// Each webhook, by id.
    pub webhooks: Vec<WebhookView>,
}

/// A webhook (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// Its id.
    pub webhook_id: i64,
    /// Where events are POSTed.
    pub url: String,
    /// The types it receives.
    pub types: Vec<String>,
    /// Its state.
    #[schema(schema_with = webhook_status_schema)]
    pub status: String,
    /// The last event it is done with (delivered, or not of its types).
    pub last_seq: i64,
    /// Attempts at the next event so far.
    pub attempts: i64,
    /// When the next attempt is due (retrying).
    #[schema(format = DateTime, required = true)]
    pub next_attempt_at: Option<String>,
    /// The last failure (Japanese).
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// When it was registered.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// By whom.
    pub created_by: String,
}

fn webhook_json(hook: Webhook) -> WebhookView {
    WebhookView {
        webhook_id: hook.webhook_id,
        url: hook.url,
        types: hook.types,
        status: hook.status.code().to_owned(),
        last_seq: hook.last_seq,
        attempts: hook.attempts,
        next_attempt_at: hook.next_attempt_at,
        last_error: hook.last_error,
        created_at: hook.created_at,
        created_by: hook.created_by,
    }
}

fn webhook_error(error: WebhookError) -> ApiError {
    match error {
        WebhookError::Target(e) => {
            let field = match e {
                kiban_linkage::TargetError::SecretLength => "secret",
                _ => "url",
            };
            ApiError::invalid(field, e.message())
        }
        WebhookError::UnknownType { index, name } => ApiError::invalid(
            format!("types[{index}]"),
            Message::EventTypeUnknown { name },
        ),
        WebhookError::NoTypes => ApiError::invalid("types", Message::WebhookTypesRequired {}),
        WebhookError::NotFound => ApiError::not_found(),
        WebhookError::NotParked(status) => ApiError::of(Message::WebhookNotParked {
            status: status.label().to_owned(),
        }),
        WebhookError::Store(e) => e.into(),
    }
}

fn required(field: &str) -> ApiError {
    ApiError::invalid(
        field,
        Message::Required {
            field: field.to_owned(),
        },
    )
}

fn string_member<'a>(body: &'a Value, field: &str) -> Result<&'a str, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(required(field)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::invalid(
            field,
            Message::MustBeString {
                field: field.to_owned(),
            },
        )),
    }
}

/// `POST …/webhooks`: 201 `{"webhook_id"}`.
pub async fn create(door: Door, body: Bytes) -> Result<Response, ApiError> {
    let Door { tenant, actor, .. } = door;
    let value = json_body(&body)?;
    if !value.is_object() {
        return Err(ApiError::of(Message::BodyNotObject {}));
    }
    let url = string_member(&value, "url")?;
    let names: Vec<String> = match value.get("types") {
        None | Some(Value::Null) => return Err(required("types")),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                item.as_str().map(str::to_owned).ok_or_else(|| {
                    let field = format!("types[{index}]");
                    ApiError::invalid(field.clone(), Message::MustBeString { field })
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(ApiError::invalid(
                "types",
                Message::MustBeArray {
                    field: "types".into(),
                },
            ));
        }
    };
    let secret = string_member(&value, "secret")?;
    let url = WebhookUrl::parse(url).map_err(|e| webhook_error(e.into()))?;
    let types = webhooks::parse_types(&names).map_err(webhook_error)?;
    let webhook_id = webhooks::create_webhook(&tenant, &actor.login, &url, &types, secret)
        .await
        .map_err(webhook_error)?;
    Ok((StatusCode::CREATED, Json(WebhookCreated { webhook_id })).into_response())
}

/// `GET …/webhooks`.
pub async fn list(door: Door) -> Result<Response, ApiError> {
    let webhooks = webhooks::list_webhooks(&door.tenant)
        .await?
        .into_iter()
        .map(webhook_json)
        .collect();
    Ok(Json(WebhookList { webhooks }).into_response())
}

/// A webhook id of a path; anything else is answered like an unknown id.
fn webhook_number(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(ApiError::not_found)
}

/// `DELETE …/webhooks/{webhook_id}`: the webhook, disabled.
pub async fn disable(
    door: Door,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let hook = webhooks::disable_webhook(&door.tenant, webhook_number(&id)?)
        .await
        .map_err(webhook_error)?;
    Ok(Json(webhook_json(hook)).into_response())
}

/// `POST …/webhooks/{webhook_id}/resume`: 409 unless parked.
pub async fn resume(
    door: Door,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let hook = webhooks::resume_webhook(&door.tenant, webhook_number(&id)?)
        .await
        .map_err(webhook_error)?;
    Ok(Json(webhook_json(hook)).into_response())
}

/// The query of `GET …/webhooks/{webhook_id}/deliveries`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// At most this many attempts (1–1000, default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000, example = 100)]
    limit: Option<String>,
    /// Skip this many of the newest first (default 0).
    #[param(value_type = Option<i64>, minimum = 0, example = 0)]
    offset: Option<String>,
}

/// A page of a webhook's delivery attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// The attempts, newest first.
    pub deliveries: Vec<DeliveryView>,
    /// The `offset` of the next page, if there may be one.
    #[schema(required = true)]
    pub next_offset: Option<i64>,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"seq": 12, "attempt": 2, "at": "2026-04-02T01:02:13.000004Z", "status": "failed",
    "http_status": 503, "error": "連携先が HTTP 503 を返しました"}))]
pub struct DeliveryView {
    /// The event.
    pub seq: i64,
    /// The attempt's number for that event (from 1).
    pub attempt: i64,
    /// When (RFC 3339, UTC).
    #[schema(format = DateTime)]
    pub at: String,
    /// How it ended.
    #[schema(schema_with = attempt_status_schema)]
    pub status: String,
    /// The receiver's HTTP status, if it answered.
    #[schema(required = true)]
    pub http_status: Option<i64>,
    /// What went wrong (Japanese).
    #[schema(required = true)]
    pub error: Option<String>,
}

/// `GET …/webhooks/{webhook_id}/deliveries?limit=&offset=`.
pub async fn deliveries(
    door: Door,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<DeliveriesQuery>,
) -> Result<Response, ApiError> {
    let webhook_id = webhook_number(&id)?;
    let limit = match query
        .limit
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => kiban_linkage::feed::DEFAULT_LIMIT,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=kiban_linkage::feed::MAX_LIMIT).contains(n))
            .ok_or_else(|| feed_error(&FeedError::Limit))?,
    };
    let offset = match query
        .offset
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::invalid("offset", Message::OffsetInvalid {}))?,
    };
    let attempts = webhooks::deliveries(&door.tenant, webhook_id, limit, offset)
        .await
        .map_err(webhook_error)?;
    let full = i64::try_from(attempts.len()).unwrap_or(i64::MAX) == limit;
    let deliveries = attempts
        .into_iter()
        .map(|a| DeliveryView {
            seq: a.seq,
            attempt: a.attempt,
            at: a.at,
            status: a.status.code().to_owned(),
            http_status: a.http_status,
            error: a.error,
        })
        .collect();
    Ok(Json(DeliveryList {
        deliveries,
        next_offset: full.then_some(offset.saturating_add(limit)),
    })
    .into_response())
}
