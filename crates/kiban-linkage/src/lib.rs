//! Data linkage (庁内データ連携, 共通機能標準仕様書 §2.2) with the other
//! systems of a municipality, over the outbox that every business writes
//! in its own transactions (contract `addressee-v1`, "Linkage").
//!
//! - PULL ([`feed`]): `GET …/events?after=SEQ`, pages of events in `seq`
//!   order, read by one range query on the outbox's key, each page with
//!   events logged as one `read` entry.
//! - PUSH ([`webhooks`], [`delivery`]): webhooks to hosts on the
//!   municipality's allow-list, each event POSTed signed with the
//!   webhook's secret (sealed in the vault), at least once and in order,
//!   retried with backoff, then parked; every attempt recorded.
//! - [`events`]: the one table of event types, their business, the
//!   permission that lets staff read them and the scope that lets system
//!   clients read them, and the event as other systems receive it.
//!
//! Architecture invariant: this crate knows no business's rules and no
//! HTTP server; it reads the outbox and its own tables only through
//! `kiban-store`'s tenant handle, and its only IO beyond the database is
//! the webhooks' HTTP client.

pub mod delivery;
pub mod events;
pub mod feed;
pub mod target;
pub mod webhooks;

pub use delivery::{DeliveryReport, DeliverySettings, WebhooksTask};
pub use events::{EVENT_TYPES, EventType, LinkedEvent, readable_types};
pub use feed::{FeedError, FeedPage, FeedRequest, read_feed};
pub use target::{TargetError, WebhookUrl};
pub use webhooks::{Attempt, AttemptStatus, Webhook, WebhookError, WebhookStatus};
