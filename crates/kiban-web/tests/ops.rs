//! The server's own records for the monthly operations report, on both
//! engines: requests counted per caller's municipality and route (staff by
//! token and by screen session, anonymous callers for the service as a
//! whole), the probe of its health check over HTTP, and the counts written
//! by a flush (and written again, not doubled, by the next).

mod common;

use common::TestApp;
use kiban_ops::Month;
use kiban_store::testing::BACKENDS;

#[tokio::test]
async fn requests_and_probes_are_recorded_for_the_report() {
    for backend in BACKENDS {
        let app = TestApp::spawn(backend).await;
        let db = app.database.as_ref().unwrap().db.clone();

        let token = app.token(Some("990019"), "supervisor").await;
        for _ in 0..3 {
            let status = app
                .client
                .get(app.url("/api/v1/municipalities/990019/jobs"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status();
            assert!(status.is_success(), "{status}");
        }
        let other = app.token(Some("131016"), "supervisor").await;
        app.client
            .get(app.url("/api/v1/municipalities/131016/jobs"))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        let browser = app.screen_session("990019", "registry_clerk").await;
        let page = browser.get(app.url("/app/registry")).send().await.unwrap();
        assert_eq!(page.status(), 200);

        // The probe asks the server over HTTP, as `kiban serve` does.
        let addr: std::net::SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
        let probe = kiban_web::ops::check(addr).await;
        assert!(probe.up, "{probe:?}");
        let mut pending = vec![probe.clone()];
        kiban_web::ops::record(&db, &app.usage, &mut pending).await;
        assert!(pending.is_empty());
        // A closed port is a minute down.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let down = closed.local_addr().unwrap();
        drop(closed);
        assert!(!kiban_web::ops::check(down).await.up);

        let month = Month::containing(jiff::Timestamp::now());
        let (from, to) = month.hour_bounds();
        let stats = kiban_store::ops::request_stats_between(&db, &from, &to)
            .await
            .unwrap();
        let count = |m: &str, route: &str| -> i64 {
            stats
                .iter()
                .filter(|r| r.municipality == m && r.route == route)
                .map(|r| r.requests)
                .sum()
        };
        let jobs = "GET /api/v1/municipalities/{m}/jobs";
        assert_eq!(count("990019", jobs), 3, "{stats:#?}");
        assert_eq!(count("131016", jobs), 1);
        assert_eq!(count("990019", "GET /app/registry"), 1);
        // The probe's own request counts for the service as a whole.
        assert!(count("", "GET /healthz") >= 1);
        assert!(stats.iter().all(|r| r.instance == app.usage.instance()));

        // Another flush rewrites the same totals: nothing doubles.
        kiban_web::ops::record(&db, &app.usage, &mut Vec::new()).await;
        let again = kiban_store::ops::request_stats_between(&db, &from, &to)
            .await
            .unwrap();
        let total = |rows: &[kiban_store::ops::RequestStats]| -> i64 {
            rows.iter()
                .filter(|r| r.route == jobs)
                .map(|r| r.requests)
                .sum()
        };
        assert_eq!(total(&again), 4);

        let report = kiban_ops::storage::sla_report(&db, month, None)
            .await
            .unwrap();
        assert_eq!(report.availability.minutes_down, 0);
        assert_eq!(report.availability.measured.as_deref(), Some("1.0000"));
        assert!(report.response_ms.p50.is_some());
        let demo = report
            .usage
            .iter()
            .find(|u| u.municipality_code == "990019")
            .unwrap();
        assert!(demo.requests >= 4, "{demo:?}");
        app.stop().await;
    }
}
