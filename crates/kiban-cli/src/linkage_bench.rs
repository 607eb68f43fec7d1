//! `kiban bench feed` and `kiban bench webhooks`: the event feed's events
//! per second next to a plain `SELECT` of the same rows, and webhook
//! delivery to a receiver in this process (events per second, order
//! checked). Both write synthetic events into the outbox of a municipality
//! of their own (created if missing): run them on a scratch database.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use kiban_audit::Actor;
use kiban_linkage::feed::{FeedRequest, bench_support, newest_seq};
use kiban_linkage::{DeliverySettings, EVENT_TYPES, WebhooksTask, webhooks};
use kiban_store::platform::{self, Municipality};
use kiban_store::{Database, MasterKey, TenantDb};

use crate::commands::{CliError, open_migrated, parse_code};
use crate::output::{emit, say};

/// `kiban bench feed`.
#[derive(Args)]
pub struct FeedArgs {
    /// The municipality the synthetic events are written to (created if
    /// missing).
    #[arg(long, default_value = "999997")]
    municipality: String,
    /// Events written and read.
    #[arg(long, default_value_t = 100_000)]
    events: i64,
    /// Events per page of the feed (at most 1000).
    #[arg(long, default_value_t = 1_000)]
    page: i64,
}

/// `kiban bench webhooks`.
#[derive(Args)]
pub struct WebhooksArgs {
    /// The municipality the synthetic events are written to (created if
    /// missing).
    #[arg(long, default_value = "999997")]
    municipality: String,
    /// Events delivered.
    #[arg(long, default_value_t = 20_000)]
    events: i64,
}

const PAYLOAD: &str = r#"{"movement_id":1,"event_date":"2026-04-01","notified_on":"2026-04-02","household_id":1,"person_ids":[1,2,3]}"#;

async fn bench_tenant(db: &Database, m: &str) -> Result<TenantDb, CliError> {
    let code = parse_code("--municipality", m)?;
    if platform::find_municipality(db, code).await?.is_none() {
        platform::create_municipality(
            db,
            &Municipality {
                code,
                name: "ベンチマーク用".into(),
                prefecture: "ベンチマーク".into(),
            },
        )
        .await?;
    }
    Ok(db.tenant(code).await?)
}

/// Appends `count` synthetic events in transactions of 10,000.
async fn append(tenant: &TenantDb, count: i64) -> Result<(), CliError> {
    let mut left = count;
    while left > 0 {
        let n = left.min(10_000);
        bench_support::append_events(tenant, "resident_moved_in", PAYLOAD, n).await?;
        left -= n;
    }
    Ok(())
}

fn rate(events: i64, elapsed: Duration) -> f64 {
    events as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// Runs `kiban bench feed`.
pub async fn feed(url: &str, args: FeedArgs) -> Result<(), CliError> {
    if !(1..=kiban_linkage::feed::MAX_LIMIT).contains(&args.page) || args.events < 1 {
        return Err(CliError::invalid(
            "--page は1〜1000、--events は1以上で指定してください",
        ));
    }
    let db = open_migrated(url).await?;
    let engine = db.backend().name();
    let tenant = bench_tenant(&db, &args.municipality).await?;
    let mut tx = tenant.begin_read().await?;
    let start = newest_seq(&mut tx).await?;
    tx.commit().await?;
    append(&tenant, args.events).await?;
    say(&format!("{} 件のイベントを書き込みました。", args.events));

    let actor = Actor::new("kiban-bench", "registry_clerk");
    let types: Vec<_> = EVENT_TYPES.iter().collect();
    let started = Instant::now();
    let mut after = start;
    let mut read = 0i64;
    loop {
        let request = FeedRequest {
            after,
            limit: args.page,
            types: types.clone(),
        };
        let page = kiban_linkage::read_feed(&tenant, &actor, &request).await?;
        if page.events.is_empty() {
            break;
        }
        read += i64::try_from(page.events.len()).unwrap_or(0);
        after = page.next_after;
    }
    let feed_time = started.elapsed();

    let started = Instant::now();
    let mut after = start;
    let mut plain = 0i64;
    loop {
        let (n, last) = bench_support::plain_select(&tenant, after, args.page).await?;
        if n == 0 {
            break;
        }
        plain += i64::try_from(n).unwrap_or(0);
        after = last;
    }
    let plain_time = started.elapsed();
    emit(&format!(
        "{engine}: feed, {read} events in pages of {}: {:.3} s, {:.0} events/s (one access-log entry per page)",
        args.page,
        feed_time.as_secs_f64(),
        rate(read, feed_time)
    ));
    emit(&format!(
        "{engine}: plain SELECT of the same rows, same pages: {:.3} s, {:.0} rows/s; the feed takes {:.2}× as long",
        plain_time.as_secs_f64(),
        rate(plain, plain_time),
        feed_time.as_secs_f64() / plain_time.as_secs_f64().max(1e-9)
    ));
    Ok(())
}

/// What the in-process receiver saw.
#[derive(Default)]
struct Received {
    count: AtomicU64,
    last: AtomicI64,
    out_of_order: AtomicU64,
}

/// Runs `kiban bench webhooks`.
pub async fn webhooks(url: &str, args: WebhooksArgs) -> Result<(), CliError> {
    if args.events < 1 {
        return Err(CliError::invalid("--events は1以上で指定してください"));
    }
    let mut db = open_migrated(url).await?;
    if !db.has_master_key() {
        // The webhook's secret is sealed; a scratch database gets a key of
        // this run.
        db = db.with_master_key(MasterKey::generate());
    }
    let engine = db.backend().name();
    let tenant = bench_tenant(&db, &args.municipality).await?;

    let received = Arc::new(Received::default());
    let seen = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let seen = seen.clone();
            async move {
                let seq = headers
                    .get("x-kiban-event-seq")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(0);
                if seen.last.swap(seq, Ordering::SeqCst) >= seq {
                    seen.out_of_order.fetch_add(1, Ordering::SeqCst);
                }
                seen.count.fetch_add(1, Ordering::SeqCst);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let host = "127.0.0.1";
    webhooks::allow_host(&tenant, host, "kiban-bench")
        .await
        .map_err(|e| CliError::runtime(e.to_string()))?;
    let target = kiban_linkage::WebhookUrl::parse(&format!("http://{host}:{port}/hook"))
        .map_err(|e| CliError::runtime(e.to_string()))?;
    let secret = hex::encode(rand::random::<[u8; 32]>());
    let types = webhooks::parse_types(&["resident_moved_in".to_owned()])
        .map_err(|e| CliError::runtime(e.to_string()))?;
    let webhook_id = webhooks::create_webhook(&tenant, "kiban-bench", &target, &types, &secret)
        .await
        .map_err(|e| CliError::runtime(e.to_string()))?;
    append(&tenant, args.events).await?;
    say(&format!("{} 件のイベントを書き込みました。", args.events));

    let task = WebhooksTask::new(DeliverySettings {
        budget: Duration::from_secs(3_600),
        ..DeliverySettings::default()
    })
    .map_err(|e| CliError::runtime(e.to_string()))?;
    let started = Instant::now();
    let wanted = u64::try_from(args.events).unwrap_or(0);
    while received.count.load(Ordering::SeqCst) < wanted {
        let report = task.deliver_municipality(&tenant).await?;
        if report.failed > 0 {
            break;
        }
    }
    let elapsed = started.elapsed();
    webhooks::disable_webhook(&tenant, webhook_id)
        .await
        .map_err(|e| CliError::runtime(e.to_string()))?;
    server.abort();
    let count = received.count.load(Ordering::SeqCst);
    let out_of_order = received.out_of_order.load(Ordering::SeqCst);
    emit(&format!(
        "{engine}: webhooks, {count} of {} events delivered to a local receiver: {:.3} s, {:.0} events/s, {}",
        args.events,
        elapsed.as_secs_f64(),
        rate(i64::try_from(count).unwrap_or(0), elapsed),
        if out_of_order == 0 {
            "in seq order".to_owned()
        } else {
            format!("{out_of_order} out of order")
        }
    ));
    if count < wanted || out_of_order > 0 {
        return Err(CliError::runtime(
            "配信が完了しなかったか、順序が崩れました",
        ));
    }
    Ok(())
}
