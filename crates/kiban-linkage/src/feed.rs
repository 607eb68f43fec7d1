//! PULL: the event feed, read from the outbox.
//!
//! The outbox's event ids come from the municipality's counter
//! [`OUTBOX_SEQUENCE`], whose row every writer of an event locks (an
//! `UPDATE` of `number_sequences`) and holds until its transaction ends.
//! So a transaction that takes a larger id commits after the one that took
//! the smaller: events become visible in id order, and a reader that has
//! seen up to `seq` N never later sees an event with a smaller `seq`
//! appear. The feed, the webhooks and the consumers rely on that; every
//! business that writes to the outbox must take its ids from this counter
//! in the transaction that writes the event.

use kiban_audit::{Actor, AuditAction};
use kiban_audit::{Unchanged, append_if_unchanged};
use kiban_store::{Arg, Row, StoreError, TenantDb, TenantTx, in_list};

use crate::events::{EventType, LinkedEvent, event_type};

/// The name of the outbox's id counter (the registry's
/// `OUTBOX_SEQUENCE`; the addressee master takes its ids from it too).
pub const OUTBOX_SEQUENCE: &str = "outbox_event";

/// The page size when none is asked for.
pub const DEFAULT_LIMIT: i64 = 100;
/// The largest page.
pub const MAX_LIMIT: i64 = 1_000;

/// A read of the feed, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRequest {
    /// Events after this `seq`.
    pub after: i64,
    /// At most this many.
    pub limit: i64,
    /// Only these types (never empty).
    pub types: Vec<&'static EventType>,
}

/// Why a read of the feed is refused; each names its query parameter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// `after` is not an integer ≥ 0.
    #[error("after must be an integer >= 0")]
    After,
    /// `limit` is not an integer from 1 to [`MAX_LIMIT`].
    #[error("limit must be an integer from 1 to {MAX_LIMIT}")]
    Limit,
    /// A type that does not exist.
    #[error("unknown event type {0}")]
    UnknownType(String),
    /// A type the caller may not read (or none it may).
    #[error("event type {0} may not be read")]
    NotReadable(String),
}

impl FeedError {
    /// The query parameter at fault.
    pub fn field(&self) -> &'static str {
        match self {
            FeedError::After => "after",
            FeedError::Limit => "limit",
            FeedError::UnknownType(_) | FeedError::NotReadable(_) => "types",
        }
    }

    /// The catalogue's message.
    pub fn message(&self) -> kiban_core::Message {
        use kiban_core::Message as M;
        match self {
            FeedError::After => M::FeedAfterInvalid {},
            FeedError::Limit => M::FeedLimitInvalid {
                max: MAX_LIMIT.to_string(),
            },
            FeedError::UnknownType(name) => M::EventTypeUnknown {
                name: name.chars().take(64).collect(),
            },
            FeedError::NotReadable(_) => M::Forbidden {},
        }
    }
}

impl FeedRequest {
    /// Reads the query's `after`, `limit` and `types` (comma-separated)
    /// for a caller who may read `readable`: no `types` means every
    /// readable type; a type not readable is refused.
    pub fn parse(
        after: Option<&str>,
        limit: Option<&str>,
        types: Option<&str>,
        readable: &[&'static EventType],
    ) -> Result<Self, FeedError> {
        let after = match after.map(str::trim).filter(|s| !s.is_empty()) {
            None => 0,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or(FeedError::After)?,
        };
        let limit = match limit.map(str::trim).filter(|s| !s.is_empty()) {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or(FeedError::Limit)?,
        };
        let types = match types.map(str::trim).filter(|s| !s.is_empty()) {
            None => readable.to_vec(),
            Some(list) => {
                let mut wanted: Vec<&'static EventType> = Vec::new();
                for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let t =
                        event_type(name).ok_or_else(|| FeedError::UnknownType(name.to_owned()))?;
                    if !readable.contains(&t) {
                        return Err(FeedError::NotReadable(t.name.to_owned()));
                    }
                    if !wanted.contains(&t) {
                        wanted.push(t);
                    }
                }
                wanted
            }
        };
        if types.is_empty() {
            return Err(FeedError::NotReadable(String::new()));
        }
        Ok(Self {
            after,
            limit,
            types,
        })
    }
}

/// A page of the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPage {
    /// The events, in `seq` order.
    pub events: Vec<LinkedEvent>,
    /// The last `seq` returned, or the request's `after` when none was.
    pub next_after: i64,
}

fn event_of(row: &Row) -> Result<LinkedEvent, StoreError> {
    Ok(LinkedEvent::from_outbox(
        row.int(0)?,
        row.text(1)?,
        &row.text(2)?,
        row.text(3)?,
    ))
}

/// The events after `after` of the given types (all when `types` is
/// `None`), at most `limit`, in `seq` order: one range query on the
/// outbox's key.
pub async fn events_after(
    tx: &mut TenantTx,
    after: i64,
    limit: i64,
    types: Option<&[&'static str]>,
) -> Result<Vec<LinkedEvent>, StoreError> {
    let mut args = vec![Arg::Int(after), Arg::Int(limit)];
    let filter = match types {
        Some(types) => {
            args.extend(types.iter().map(|t| Arg::from(*t)));
            format!(" AND event_kind IN ({})", in_list(4, types.len()))
        }
        None => String::new(),
    };
    let sql = format!(
        "SELECT event_id, event_kind, payload, created_at FROM outbox \
         WHERE municipality_code = $1 AND event_id > $2{filter} \
         ORDER BY event_id LIMIT $3"
    );
    tx.fetch_all(&sql, &args)
        .await?
        .iter()
        .map(event_of)
        .collect()
}

/// The newest event's `seq` (0 when there is none).
pub async fn newest_seq(tx: &mut TenantTx) -> Result<i64, StoreError> {
    Ok(tx
        .fetch_optional(
            "SELECT MAX(event_id) FROM outbox WHERE municipality_code = $1",
            &[],
        )
        .await?
        .map(|r| r.opt_int(0))
        .transpose()?
        .flatten()
        .unwrap_or(0))
}

fn page_of(request: &FeedRequest, events: Vec<LinkedEvent>) -> FeedPage {
    let next_after = events.last().map_or(request.after, |e| e.seq);
    FeedPage { events, next_after }
}

fn read_entry(actor: &Actor, page: &FeedPage) -> kiban_audit::AuditEntry {
    let first = page.events.first().map_or(0, |e| e.seq);
    actor.entry(
        AuditAction::Read,
        None,
        format!(
            "events seq {first}-{} ({} events)",
            page.next_after,
            page.events.len()
        ),
    )
}

/// Reads a page of the feed for `actor`. A page with events writes one
/// `read` access-log entry naming its `seq` range (no personal data),
/// committed before the page is returned: through the access log's group
/// commit when no event was written meanwhile, else in a writing
/// transaction that reads the page again. An empty page is not logged.
pub async fn read_feed(
    tenant: &TenantDb,
    actor: &Actor,
    request: &FeedRequest,
) -> Result<FeedPage, StoreError> {
    let names: Vec<&'static str> = request.types.iter().map(|t| t.name).collect();
    let mut tx = tenant.begin_read().await?;
    let seen = tx.peek_next_number(OUTBOX_SEQUENCE).await?;
    let events = events_after(&mut tx, request.after, request.limit, Some(&names)).await?;
    tx.commit().await?;
    let page = page_of(request, events);
    if page.events.is_empty() {
        return Ok(page);
    }
    let unless = Unchanged {
        sequence: OUTBOX_SEQUENCE,
        seen,
    };
    if append_if_unchanged(tenant, unless, vec![read_entry(actor, &page)]).await {
        return Ok(page);
    }
    let mut tx = tenant.begin().await?;
    let events = events_after(&mut tx, request.after, request.limit, Some(&names)).await?;
    let page = page_of(request, events);
    if !page.events.is_empty() {
        kiban_audit::append(&mut tx, &read_entry(actor, &page)).await?;
    }
    tx.commit().await?;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EVENT_TYPES;

    fn all() -> Vec<&'static EventType> {
        EVENT_TYPES.iter().collect()
    }

    #[test]
    fn the_query_is_checked_field_by_field() {
        let ok = FeedRequest::parse(None, None, None, &all()).unwrap();
        assert_eq!((ok.after, ok.limit, ok.types.len()), (0, 100, 13));
        let ok = FeedRequest::parse(
            Some("7"),
            Some("1000"),
            Some("resident_born, resident_died,resident_born"),
            &all(),
        )
        .unwrap();
        assert_eq!((ok.after, ok.limit, ok.types.len()), (7, 1000, 2));
        for (after, limit, types, field) in [
            (Some("-1"), None, None, "after"),
            (Some("x"), None, None, "after"),
            (None, Some("0"), None, "limit"),
            (None, Some("1001"), None, "limit"),
            (None, None, Some("resident_flew"), "types"),
        ] {
            let e = FeedRequest::parse(after, limit, types, &all()).unwrap_err();
            assert_eq!(e.field(), field);
        }
        let registry: Vec<&'static EventType> = all()
            .into_iter()
            .filter(|t| t.business == "registry")
            .collect();
        assert!(matches!(
            FeedRequest::parse(None, None, Some("addressee_merged"), &registry),
            Err(FeedError::NotReadable(_))
        ));
        assert!(matches!(
            FeedRequest::parse(None, None, None, &[]),
            Err(FeedError::NotReadable(_))
        ));
    }
}

/// What `kiban bench feed` and `kiban bench webhooks` need beyond the
/// feed itself: synthetic events, and the plain query the feed is
/// measured against. Not used by the service.
pub mod bench_support {
    use kiban_store::{Arg, StoreError, TenantDb, now_text};

    use super::OUTBOX_SEQUENCE;

    /// Appends `count` events of type `event_type` with `payload` to the
    /// municipality's outbox, numbered from the outbox's counter, in one
    /// transaction; returns the first and last `seq`.
    pub async fn append_events(
        tenant: &TenantDb,
        event_type: &str,
        payload: &str,
        count: i64,
    ) -> Result<(i64, i64), StoreError> {
        let mut tx = tenant.begin().await?;
        let first = tx.next_numbers(OUTBOX_SEQUENCE, count.max(1)).await?;
        let now = now_text();
        let rows: Vec<Vec<Arg>> = (0..count.max(1))
            .map(|i| {
                vec![
                    Arg::Int(first + i),
                    Arg::from(event_type),
                    Arg::NullInt,
                    Arg::from(payload),
                    Arg::from(now.as_str()),
                ]
            })
            .collect();
        tx.insert_rows(
            "outbox",
            &[
                "event_id",
                "event_kind",
                "movement_id",
                "payload",
                "created_at",
            ],
            &rows,
        )
        .await?;
        tx.commit().await?;
        Ok((first, first + count.max(1) - 1))
    }

    /// The rows the feed reads after `after` (at most `limit`), by a plain
    /// `SELECT` of the same columns: how many there were and the last id.
    pub async fn plain_select(
        tenant: &TenantDb,
        after: i64,
        limit: i64,
    ) -> Result<(usize, i64), StoreError> {
        let mut tx = tenant.begin_read().await?;
        let rows = tx
            .fetch_all(
                "SELECT event_id, event_kind, payload, created_at FROM outbox \
                 WHERE municipality_code = $1 AND event_id > $2 ORDER BY event_id LIMIT $3",
                &[Arg::Int(after), Arg::Int(limit)],
            )
            .await?;
        tx.commit().await?;
        let last = match rows.last() {
            Some(row) => row.int(0)?,
            None => after,
        };
        Ok((rows.len(), last))
    }
}
