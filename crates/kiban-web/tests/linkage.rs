//! Data linkage on both engines: the event feed (order, paging, type
//! filter, bad input, tenancy, roles, access log) and webhooks (the
//! allow-list, signatures checked by a local receiver, order over many
//! events, retries with backoff, parking, resuming, the allow-list checked
//! again at delivery, one municipality's events never sent to another's
//! webhook).

#![expect(clippy::unwrap_used, reason = "test helpers panic on broken setup")]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{TestApp, code};
use hmac::{Hmac, Mac};
use kiban_linkage::{DeliverySettings, WebhooksTask};
use kiban_store::testing::BACKENDS;
use serde_json::{Value, json};
use sha2::Sha256;

const DEMO: &str = "990019";
const CHIYODA: &str = "131016";
const SECRET: &str = "a-very-secret-signing-key-0123456789";

fn path(m: &str, rest: &str) -> String {
    format!("/api/v1/municipalities/{m}{rest}")
}

async fn get(app: &TestApp, url: &str, token: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn delete(app: &TestApp, url: &str, token: &str) -> (u16, Value) {
    let response = app
        .client
        .delete(app.url(url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A 転入 of one person founding a household; (household, person).
async fn move_in(app: &TestApp, m: &str, token: &str) -> (u64, u64) {
    let (status, body) = app
        .post_json(
            &path(m, "/movements"),
            Some(token),
            &json!({
                "kind": "move_in", "event_date": "2024-04-01", "notified_on": "2024-04-05",
                "address": {"postal_code": "1000001", "address_line": "連携町一丁目1番1号"},
                "previous_address": "東京都千代田区千代田1番1号",
                "persons": [{"name": "連携 太郎", "name_kana": "レンケイ タロウ", "birth_date": "1980-04-01",
                             "sex": "male", "relationship": "head"}],
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (
        body["household_id"].as_u64().unwrap(),
        body["persons"][0]["person_id"].as_u64().unwrap(),
    )
}

const CHILDREN: [(&str, &str); 6] = [
    ("連携 一郎", "レンケイ イチロウ"),
    ("連携 次郎", "レンケイ ジロウ"),
    ("連携 三郎", "レンケイ サブロウ"),
    ("連携 花子", "レンケイ ハナコ"),
    ("連携 桜", "レンケイ サクラ"),
    ("連携 梅", "レンケイ ウメ"),
];

/// A 出生 into `household`; the child's person id.
async fn birth(app: &TestApp, m: &str, token: &str, household: u64, n: usize) -> u64 {
    let (name, kana) = CHILDREN[n % CHILDREN.len()];
    let (status, body) = app
        .post_json(
            &path(m, "/movements"),
            Some(token),
            &json!({
                "kind": "birth", "event_date": "2024-06-01", "notified_on": "2024-06-03",
                "household_id": household,
                "person": {"name": name, "name_kana": kana, "birth_date": "2024-06-01",
                           "sex": "female", "relationship": "child"},
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["persons"][0]["person_id"].as_u64().unwrap()
}

async fn entries(app: &TestApp, m: &str, actor: &str) -> Vec<kiban_audit::StoredEntry> {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    let mut tx = tenant.begin().await.unwrap();
    let entries = kiban_audit::entries_by_actor(
        &mut tx,
        actor,
        "2000-01-01T00:00:00Z",
        "2100-01-01T00:00:00Z",
        1_000,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    entries
}

fn seqs(page: &Value) -> Vec<i64> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_feed_pages_in_order_filters_and_names_bad_input() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let (household, head) = move_in(&app, DEMO, &clerk).await;
        let mut children = Vec::new();
        for n in 0..3 {
            children.push(birth(&app, DEMO, &clerk, household, n).await);
        }
        // Another municipality's events never show.
        let other = app.token(Some(CHIYODA), "registry_clerk").await;
        move_in(&app, CHIYODA, &other).await;

        let (status, all) = get(&app, &path(DEMO, "/events"), &clerk).await;
        assert_eq!(status, 200, "{all}");
        let all_seqs = seqs(&all);
        assert_eq!(all_seqs.len(), 4, "{all}");
        assert!(all_seqs.windows(2).all(|w| w[0] < w[1]), "{all_seqs:?}");
        assert_eq!(all["next_after"], all_seqs[3]);
        let first = &all["events"][0];
        assert_eq!(first["type"], "resident_moved_in");
        assert_eq!(first["effective_date"], "2024-04-01");
        assert_eq!(first["addressee_ids"], json!([head]));
        assert_eq!(first["data"]["household_id"], household);
        assert!(first["occurred_at"].as_str().unwrap().ends_with('Z'));
        for (event, child) in all["events"].as_array().unwrap()[1..].iter().zip(&children) {
            assert_eq!(event["type"], "resident_born");
            assert_eq!(event["addressee_ids"], json!([child]));
            assert_eq!(event["effective_date"], "2024-06-01");
        }

        // Paging with after / next_after.
        let (_, page1) = get(&app, &path(DEMO, "/events?limit=2"), &clerk).await;
        assert_eq!(seqs(&page1), all_seqs[..2]);
        let after = page1["next_after"].as_i64().unwrap();
        let (_, page2) = get(
            &app,
            &path(DEMO, &format!("/events?after={after}&limit=2")),
            &clerk,
        )
        .await;
        assert_eq!(seqs(&page2), all_seqs[2..]);
        let after = page2["next_after"].as_i64().unwrap();
        let (_, page3) = get(&app, &path(DEMO, &format!("/events?after={after}")), &clerk).await;
        assert!(seqs(&page3).is_empty());
        assert_eq!(page3["next_after"], after, "no event: next_after is after");

        // The type filter.
        let (_, born) = get(&app, &path(DEMO, "/events?types=resident_born"), &clerk).await;
        assert_eq!(seqs(&born), all_seqs[1..]);
        let (_, both) = get(
            &app,
            &path(DEMO, "/events?types=resident_moved_in,addressee_merged"),
            &clerk,
        )
        .await;
        assert_eq!(seqs(&both), all_seqs[..1]);

        // Bad input names the parameter.
        for (query, field) in [
            ("after=-1", "after"),
            ("after=x", "after"),
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("limit=ten", "limit"),
            ("types=resident_flew_away", "types"),
            ("types=resident_born,nope", "types"),
        ] {
            let (status, body) = get(&app, &path(DEMO, &format!("/events?{query}")), &clerk).await;
            assert_eq!(status, 422, "{query}: {body}");
            assert_eq!(body["error"]["field"], field, "{query}");
        }
        let (status, _) = get(&app, &path(DEMO, "/events?limit=1000"), &clerk).await;
        assert_eq!(status, 200);

        // One `read` entry per page with events, naming the range; none
        // for an empty page.
        let reads: Vec<_> = entries(&app, DEMO, "registry_clerk")
            .await
            .into_iter()
            .filter(|e| e.detail.starts_with("events seq"))
            .collect();
        assert!(reads.iter().all(|e| e.action.code() == "read"));
        assert!(reads.iter().all(|e| e.person_id.is_none()));
        assert!(
            reads
                .iter()
                .any(|e| e.detail
                    == format!("events seq {}-{} (2 events)", all_seqs[0], all_seqs[1])),
            "{:?}",
            reads.iter().map(|e| &e.detail).collect::<Vec<_>>()
        );
        // all, page1, page2, born, both, limit=1000: six pages with events.
        assert_eq!(reads.len(), 6);

        // The other municipality's feed holds only its own event.
        let (_, theirs) = get(&app, &path(CHIYODA, "/events"), &other).await;
        assert_eq!(seqs(&theirs).len(), 1);

        // Another municipality's staff: 404, the refusal in their own log.
        let (status, _) = get(&app, &path(DEMO, "/events"), &other).await;
        assert_eq!(status, 404);
        assert!(
            entries(&app, CHIYODA, "registry_clerk")
                .await
                .iter()
                .any(|e| e.action.code() == "refused" && e.detail.starts_with("events_read"))
        );

        // Roles: those reading the registry or the addressee master read
        // the feed; the auditor and the administrator do not.
        for (login, expected) in [
            ("tax_clerk", 200),
            ("nhi_clerk", 200),
            ("supervisor", 200),
            ("auditor", 403),
            ("municipality_admin", 403),
        ] {
            let token = app.token(Some(DEMO), login).await;
            let (status, _) = get(&app, &path(DEMO, "/events"), &token).await;
            assert_eq!(status, expected, "{login}");
        }
        app.stop().await;
    }
}

/// What a local receiver got: (path, seq header, signature header, body).
type Got = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// A receiver on port 0 that records every POST and answers 204, or 503
/// while `down` is set.
async fn receiver(down: Arc<AtomicBool>) -> (String, Got) {
    let got: Got = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/{name}",
        axum::routing::post(
            move |axum::extract::Path(name): axum::extract::Path<String>,
                  headers: axum::http::HeaderMap,
                  body: String| {
                let seen = seen.clone();
                let down = down.clone();
                async move {
                    if down.load(Ordering::SeqCst) {
                        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                    }
                    if name == "slow" {
                        // Longer than the timeout of the test's settings.
                        tokio::time::sleep(Duration::from_secs(3)).await;
                    }
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    seen.lock().unwrap().push((
                        name,
                        header("x-kiban-event-seq"),
                        header("x-kiban-signature"),
                        body,
                    ));
                    axum::http::StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://127.0.0.1:{}", addr.port()), got)
}

fn sign(body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn allow(app: &TestApp, m: &str, host: &str) {
    let db = &app.database.as_ref().unwrap().db;
    let tenant = db.tenant(code(m)).await.unwrap();
    kiban_linkage::webhooks::allow_host(&tenant, host, "test")
        .await
        .unwrap();
}

async fn create_webhook(app: &TestApp, m: &str, admin: &str, url: &str, types: Value) -> i64 {
    let (status, body) = app
        .post_json(
            &path(m, "/webhooks"),
            Some(admin),
            &json!({"url": url, "types": types, "secret": SECRET}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["webhook_id"].as_i64().unwrap()
}

async fn tenant(app: &TestApp, m: &str) -> kiban_store::TenantDb {
    app.database
        .as_ref()
        .unwrap()
        .db
        .tenant(code(m))
        .await
        .unwrap()
}

#[tokio::test]
async fn webhooks_are_registered_for_allowed_hosts_only() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let admin = app.token(Some(DEMO), "municipality_admin").await;
        let url = "https://renkei.example.jp/hook";
        let (status, body) = app
            .post_json(
                &path(DEMO, "/webhooks"),
                Some(&admin),
                &json!({"url": url, "types": ["resident_died"], "secret": SECRET}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["code"], "host_not_allowed");
        assert_eq!(body["error"]["field"], "url");
        allow(&app, DEMO, "renkei.example.jp").await;
        // Allowed in one municipality is not allowed in another.
        let other = app.token(Some(CHIYODA), "municipality_admin").await;
        let (status, body) = app
            .post_json(
                &path(CHIYODA, "/webhooks"),
                Some(&other),
                &json!({"url": url, "types": ["resident_died"], "secret": SECRET}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (422, json!("host_not_allowed"))
        );

        for (body, field) in [
            (json!({"types": ["resident_died"], "secret": SECRET}), "url"),
            (json!({"url": url, "secret": SECRET}), "types"),
            (json!({"url": url, "types": ["resident_died"]}), "secret"),
            (
                json!({"url": "ftp://renkei.example.jp/", "types": ["resident_died"], "secret": SECRET}),
                "url",
            ),
            (
                json!({"url": "https://u:p@renkei.example.jp/", "types": ["resident_died"], "secret": SECRET}),
                "url",
            ),
            (
                json!({"url": url, "types": ["resident_died", "nope"], "secret": SECRET}),
                "types[1]",
            ),
            (json!({"url": url, "types": [], "secret": SECRET}), "types"),
            (
                json!({"url": url, "types": ["resident_died"], "secret": "short"}),
                "secret",
            ),
        ] {
            let (status, answer) = app
                .post_json(&path(DEMO, "/webhooks"), Some(&admin), &body)
                .await;
            assert_eq!(status, 422, "{body}: {answer}");
            assert_eq!(answer["error"]["field"], field, "{body}");
        }

        let id = create_webhook(
            &app,
            DEMO,
            &admin,
            "https://RENKEI.example.jp:8443/hook",
            json!(["resident_died", "resident_moved_out"]),
        )
        .await;
        let (status, list) = get(&app, &path(DEMO, "/webhooks"), &admin).await;
        assert_eq!(status, 200);
        let hook = &list["webhooks"][0];
        assert_eq!(hook["webhook_id"], id);
        assert_eq!(hook["status"], "active");
        assert_eq!(
            hook["types"],
            json!(["resident_died", "resident_moved_out"])
        );
        assert!(!list.to_string().contains(SECRET), "no secret in the list");
        // The secret is stored sealed, never plain.
        let mut tx = tenant(&app, DEMO).await.begin().await.unwrap();
        let sealed = tx
            .fetch_optional(
                "SELECT secret_sealed FROM webhooks WHERE municipality_code = $1 AND webhook_id = $2",
                &[kiban_store::Arg::Int(id)],
            )
            .await
            .unwrap()
            .unwrap()
            .bytes(0)
            .unwrap();
        tx.commit().await.unwrap();
        assert!(!sealed.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));

        // Only the municipality's administrators manage webhooks.
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let (status, _) = get(&app, &path(DEMO, "/webhooks"), &clerk).await;
        assert_eq!(status, 403);
        // Resuming an active webhook: 409; an unknown one: 404.
        let (status, body) = app
            .post_json(
                &path(DEMO, &format!("/webhooks/{id}/resume")),
                Some(&admin),
                &json!({}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].clone()),
            (409, json!("not_parked"))
        );
        let (status, _) = app
            .post_json(
                &path(DEMO, "/webhooks/999/resume"),
                Some(&admin),
                &json!({}),
            )
            .await;
        assert_eq!(status, 404);
        // Another municipality's webhook ids are unknown here.
        let (status, _) = get(
            &app,
            &path(CHIYODA, &format!("/webhooks/{id}/deliveries")),
            &other,
        )
        .await;
        assert_eq!(status, 404);
        let (status, disabled) =
            delete(&app, &path(DEMO, &format!("/webhooks/{id}")), &admin).await;
        assert_eq!(status, 200);
        assert_eq!(disabled["status"], "disabled");
        app.stop().await;
    }
}

fn fast() -> DeliverySettings {
    DeliverySettings {
        timeout: Duration::from_secs(5),
        first_retry: Duration::ZERO,
        max_backoff: Duration::ZERO,
        give_up_after: Duration::from_millis(300),
        ..DeliverySettings::default()
    }
}

#[tokio::test]
async fn webhooks_deliver_signed_events_in_order_to_their_own_municipality() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let (base, got) = receiver(Arc::default()).await;
        for m in [DEMO, CHIYODA] {
            allow(&app, m, "127.0.0.1").await;
        }
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let other = app.token(Some(CHIYODA), "registry_clerk").await;
        let (household, _) = move_in(&app, DEMO, &clerk).await;
        let admin = app.token(Some(DEMO), "municipality_admin").await;
        let other_admin = app.token(Some(CHIYODA), "municipality_admin").await;
        let demo_hook = create_webhook(
            &app,
            DEMO,
            &admin,
            &format!("{base}/demo"),
            json!(["resident_born", "resident_moved_in"]),
        )
        .await;
        create_webhook(
            &app,
            CHIYODA,
            &other_admin,
            &format!("{base}/chiyoda"),
            json!(["resident_moved_in", "resident_born"]),
        )
        .await;
        // After the webhooks: births in DEMO, a 転入 in CHIYODA, and many
        // events of DEMO written at once (one of another type between).
        let mut children = Vec::new();
        for n in 0..2 {
            children.push(birth(&app, DEMO, &clerk, household, n).await);
        }
        move_in(&app, CHIYODA, &other).await;
        let demo = tenant(&app, DEMO).await;
        kiban_linkage::feed::bench_support::append_events(&demo, "resident_died", "{}", 1)
            .await
            .unwrap();
        kiban_linkage::feed::bench_support::append_events(
            &demo,
            "resident_moved_in",
            r#"{"event_date":"2026-04-01","person_ids":[1]}"#,
            600,
        )
        .await
        .unwrap();

        // One round of the worker's task: every municipality's webhooks.
        let task = WebhooksTask::new(fast()).unwrap();
        let db = &app.database.as_ref().unwrap().db;
        let worked = kiban_jobs::worker::WorkerTask::tick(&task, db)
            .await
            .unwrap();
        assert!(worked);
        let got = got.lock().unwrap().clone();
        let demo_got: Vec<_> = got.iter().filter(|g| g.0 == "demo").collect();
        let chiyoda_got: Vec<_> = got.iter().filter(|g| g.0 == "chiyoda").collect();
        assert_eq!(
            demo_got.len(),
            602,
            "two births and 600 move-ins, not the death"
        );
        assert_eq!(chiyoda_got.len(), 1, "only CHIYODA's own event");
        let mut last = 0;
        for (n, (_, seq, signature, body)) in demo_got.iter().enumerate() {
            assert_eq!(*signature, sign(body), "signed with the secret");
            let event: Value = serde_json::from_str(body).unwrap();
            assert_eq!(event["seq"].to_string(), *seq);
            let seq = event["seq"].as_i64().unwrap();
            assert!(seq > last, "in seq order");
            last = seq;
            let keys: Vec<&String> = event.as_object().unwrap().keys().collect();
            assert_eq!(keys.len(), 6, "{body}");
            if n < 2 {
                assert_eq!(event["type"], "resident_born");
                assert_eq!(event["addressee_ids"], json!([children[n]]));
                assert_eq!(event["effective_date"], "2024-06-01");
            } else {
                assert_eq!(event["type"], "resident_moved_in");
            }
        }
        let chiyoda_event: Value = serde_json::from_str(&chiyoda_got[0].3).unwrap();
        assert_eq!(chiyoda_event["type"], "resident_moved_in");

        // Every attempt is listed, newest first, in pages.
        let (status, page) = get(
            &app,
            &path(DEMO, &format!("/webhooks/{demo_hook}/deliveries?limit=10")),
            &admin,
        )
        .await;
        assert_eq!(status, 200, "{page}");
        let deliveries = page["deliveries"].as_array().unwrap();
        assert_eq!(deliveries.len(), 10);
        assert_eq!(deliveries[0]["seq"].as_i64().unwrap(), last);
        assert_eq!(deliveries[0]["status"], "succeeded");
        assert_eq!(deliveries[0]["http_status"], 204);
        assert_eq!(deliveries[0]["attempt"], 1);
        assert_eq!(deliveries[0]["error"], Value::Null);
        assert_eq!(page["next_offset"], 10);
        let (_, rest) = get(
            &app,
            &path(
                DEMO,
                &format!("/webhooks/{demo_hook}/deliveries?limit=1000&offset=10"),
            ),
            &admin,
        )
        .await;
        assert_eq!(rest["deliveries"].as_array().unwrap().len(), 592);
        assert_eq!(rest["next_offset"], Value::Null);
        let (status, body) = get(
            &app,
            &path(DEMO, &format!("/webhooks/{demo_hook}/deliveries?offset=-1")),
            &admin,
        )
        .await;
        assert_eq!(
            (status, body["error"]["field"].clone()),
            (422, json!("offset"))
        );
        let (_, list) = get(&app, &path(DEMO, "/webhooks"), &admin).await;
        assert_eq!(list["webhooks"][0]["last_seq"].as_i64().unwrap(), last);

        // The deliveries are in the access log as exports, without
        // personal data in their detail.
        let exports = entries(&app, DEMO, &format!("webhook:{demo_hook}")).await;
        assert!(!exports.is_empty());
        assert!(exports.iter().all(|e| e.action.code() == "export"));
        app.stop().await;
    }
}

async fn deliveries(app: &TestApp, admin: &str, id: i64) -> Vec<Value> {
    let (status, page) = get(
        app,
        &path(DEMO, &format!("/webhooks/{id}/deliveries?limit=1000")),
        admin,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    page["deliveries"].as_array().unwrap().clone()
}

async fn webhook_view(app: &TestApp, admin: &str, id: i64) -> Value {
    let (_, list) = get(app, &path(DEMO, "/webhooks"), admin).await;
    list["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["webhook_id"] == id)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_failing_receiver_is_retried_then_parked_then_resumed_in_order() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let down = Arc::new(AtomicBool::new(true));
        let (base, got) = receiver(down.clone()).await;
        allow(&app, DEMO, "127.0.0.1").await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let admin = app.token(Some(DEMO), "municipality_admin").await;
        let (household, _) = move_in(&app, DEMO, &clerk).await;
        let id = create_webhook(
            &app,
            DEMO,
            &admin,
            &format!("{base}/demo"),
            json!(["resident_born"]),
        )
        .await;
        let demo = tenant(&app, DEMO).await;

        // The receiver is down: the registry records movements all the
        // same; the first event's delivery fails and waits for its retry.
        let first_child = birth(&app, DEMO, &clerk, household, 0).await;
        let slow = WebhooksTask::new(DeliverySettings {
            first_retry: Duration::from_secs(3_600),
            max_backoff: Duration::from_secs(3_600),
            ..fast()
        })
        .unwrap();
        let report = slow.deliver_municipality(&demo).await.unwrap();
        assert_eq!((report.delivered, report.failed), (0, 1));
        let hook = webhook_view(&app, &admin, id).await;
        assert_eq!(hook["status"], "retrying");
        assert_eq!(hook["last_error"], "連携先が HTTP 503 を返しました");
        let next: jiff::Timestamp = hook["next_attempt_at"].as_str().unwrap().parse().unwrap();
        assert!(next > jiff::Timestamp::now() + jiff::SignedDuration::from_mins(59));
        // Not due: no attempt before the backoff has passed.
        let report = slow.deliver_municipality(&demo).await.unwrap();
        assert_eq!(report, kiban_linkage::DeliveryReport::default());
        assert_eq!(deliveries(&app, &admin, id).await.len(), 1);

        // Time passes (the retry falls due); retried without backoff until
        // the retry period is over, then parked.
        let mut tx = demo.begin().await.unwrap();
        tx.execute(
            "UPDATE webhooks SET next_attempt_at = NULL WHERE municipality_code = $1 AND webhook_id = $2",
            &[kiban_store::Arg::Int(id)],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let task = WebhooksTask::new(fast()).unwrap();
        let mut rounds = 0;
        loop {
            let report = task.deliver_municipality(&demo).await.unwrap();
            rounds += 1;
            if report.parked {
                break;
            }
            assert!(rounds < 100_000, "parked within the retry period");
        }
        let hook = webhook_view(&app, &admin, id).await;
        assert_eq!(hook["status"], "parked");
        let failed = deliveries(&app, &admin, id).await;
        assert!(failed.len() >= 2);
        assert!(
            failed
                .iter()
                .all(|d| d["status"] == "failed" && d["http_status"] == 503)
        );
        let attempts: Vec<i64> = failed
            .iter()
            .map(|d| d["attempt"].as_i64().unwrap())
            .collect();
        let expected: Vec<i64> = (1..=i64::try_from(failed.len()).unwrap()).rev().collect();
        assert_eq!(attempts, expected, "numbered, newest first");

        // Parked: later events wait.
        let second_child = birth(&app, DEMO, &clerk, household, 1).await;
        let report = task.deliver_municipality(&demo).await.unwrap();
        assert_eq!(report, kiban_linkage::DeliveryReport::default());
        assert!(got.lock().unwrap().is_empty());

        // The receiver is back and an administrator resumes: both events
        // arrive, in order.
        down.store(false, Ordering::SeqCst);
        let (status, resumed) = app
            .post_json(
                &path(DEMO, &format!("/webhooks/{id}/resume")),
                Some(&admin),
                &json!({}),
            )
            .await;
        assert_eq!(status, 200, "{resumed}");
        assert_eq!(resumed["status"], "active");
        let report = task.deliver_municipality(&demo).await.unwrap();
        assert_eq!(report.delivered, 2);
        let bodies: Vec<Value> = got
            .lock()
            .unwrap()
            .iter()
            .map(|g| serde_json::from_str(&g.3).unwrap())
            .collect();
        assert_eq!(bodies.len(), 2);
        assert_eq!(bodies[0]["addressee_ids"], json!([first_child]));
        assert_eq!(bodies[1]["addressee_ids"], json!([second_child]));
        let all = deliveries(&app, &admin, id).await;
        assert_eq!(all[0]["status"], "succeeded");
        assert_eq!(all[0]["attempt"], 1);
        assert_eq!(all[1]["status"], "succeeded");
        assert_eq!(
            all[1]["attempt"].as_i64().unwrap(),
            i64::try_from(failed.len()).unwrap() + 1
        );
        assert_eq!(webhook_view(&app, &admin, id).await["status"], "active");

        // A host taken off the allow-list: the next delivery parks the
        // webhook at once, naming the host.
        let removed = kiban_linkage::webhooks::disallow_host(&demo, "127.0.0.1")
            .await
            .unwrap();
        assert!(removed);
        birth(&app, DEMO, &clerk, household, 2).await;
        let report = task.deliver_municipality(&demo).await.unwrap();
        assert!(report.parked);
        let hook = webhook_view(&app, &admin, id).await;
        assert_eq!(hook["status"], "parked");
        assert!(
            hook["last_error"].as_str().unwrap().contains("127.0.0.1"),
            "{hook}"
        );
        assert_eq!(got.lock().unwrap().len(), 2, "nothing sent");
        app.stop().await;
    }
}

#[tokio::test]
async fn a_receiver_that_does_not_answer_in_time_is_retried() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let (base, _) = receiver(Arc::default()).await;
        allow(&app, DEMO, "127.0.0.1").await;
        let clerk = app.token(Some(DEMO), "registry_clerk").await;
        let admin = app.token(Some(DEMO), "municipality_admin").await;
        let id = create_webhook(
            &app,
            DEMO,
            &admin,
            &format!("{base}/slow"),
            json!(["resident_moved_in"]),
        )
        .await;
        move_in(&app, DEMO, &clerk).await;
        let task = WebhooksTask::new(DeliverySettings {
            timeout: Duration::from_millis(300),
            first_retry: Duration::from_secs(3_600),
            ..DeliverySettings::default()
        })
        .unwrap();
        let report = task
            .deliver_municipality(&tenant(&app, DEMO).await)
            .await
            .unwrap();
        assert_eq!((report.delivered, report.failed), (0, 1));
        let attempts = deliveries(&app, &admin, id).await;
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0]["status"], "failed");
        assert_eq!(attempts[0]["http_status"], Value::Null);
        assert_eq!(
            attempts[0]["error"],
            "連携先が0.3秒以内に応答しませんでした"
        );
        assert_eq!(webhook_view(&app, &admin, id).await["status"], "retrying");
        app.stop().await;
    }
}
