//! The monthly operations report on both engines, from what the servers
//! recorded: probes of two instances, request counts and job steps of two
//! municipalities, incidents and job runs; restricted to one municipality.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use std::time::Duration;

use jiff::{Timestamp, ToSpan};
use kiban_core::MunicipalityCode;
use kiban_ops::Month;
use kiban_ops::month::minute_key;
use kiban_ops::storage::{ReportError, sla_report};
use kiban_ops::usage::UsageBook;
use kiban_store::ops::{self, Closed};
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::{BACKENDS, TestDatabase};
use kiban_store::{Arg, Backend, Database};

const DEMO: &str = "990019";
const OTHER: &str = "131016";

async fn setup(backend: Backend) -> TestDatabase {
    let t = TestDatabase::new(backend).await.unwrap();
    for (code, name) in [(DEMO, "デモ市"), (OTHER, "千代田区")] {
        platform::create_municipality(
            &t.db,
            &Municipality {
                code: MunicipalityCode::parse(code).unwrap(),
                name: name.into(),
                prefecture: "東京都".into(),
            },
        )
        .await
        .unwrap();
    }
    t
}

async fn job_run(db: &Database, code: &str, job_id: i64, status: &str, finished_at: &str) {
    let tenant = db
        .tenant(MunicipalityCode::parse(code).unwrap())
        .await
        .unwrap();
    let mut tx = tenant.begin().await.unwrap();
    tx.execute(
        "INSERT INTO jobs (municipality_code, job_id, job, params, status, submitted_by, \
         submitted_at, started_at, finished_at) VALUES ($1, $2, 'population-statistics', '{}', $3, \
         'test', $4, $4, $4)",
        &[Arg::Int(job_id), Arg::from(status), Arg::from(finished_at)],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn month_of_records(backend: Backend) {
    let t = setup(backend).await;
    let db = &t.db;
    let month = Month::containing(Timestamp::now());
    let start = month.start();
    let at = |minutes: i64| start.checked_add(minutes.minutes()).unwrap();

    // Two instances probe 10 minutes. Minute 3: one of them is down (the
    // service answered). Minute 5: both are down. One minute of the month
    // before does not count.
    for m in 0..10 {
        let minute = minute_key(at(m));
        ops::record_probe(db, &minute, "a", m != 3 && m != 5, "HTTP/1.1 200 OK")
            .await
            .unwrap();
        ops::record_probe(db, &minute, "b", m != 5, "HTTP/1.1 200 OK")
            .await
            .unwrap();
    }
    ops::record_probe(db, &minute_key(at(-1)), "a", false, "connect: refused")
        .await
        .unwrap();
    // Recording a minute twice keeps the first record.
    ops::record_probe(db, &minute_key(at(5)), "a", true, "late")
        .await
        .unwrap();

    // Requests of two municipalities on two instances, and of nobody.
    let a = UsageBook::with_instance("a".into());
    let b = UsageBook::with_instance("b".into());
    let ms = Duration::from_millis;
    for i in 0..98 {
        a.record_request(at(60), DEMO, "GET /api/v1/x", ms(5 + i % 10), false, ms(1));
    }
    a.record_request(at(61), DEMO, "GET /api/v1/x", ms(4_000), true, ms(2));
    b.record_request(at(120), OTHER, "GET /api/v1/y", ms(20), false, ms(3));
    b.record_request(at(120), "", "GET /login", ms(2), false, ms(0));
    a.record_job_step(at(90), DEMO, Duration::from_millis(500));
    a.flush(db).await.unwrap();
    b.flush(db).await.unwrap();
    // A second flush with nothing new writes nothing twice.
    a.flush(db).await.unwrap();

    // Incidents: one of the service, one of each municipality, one closed.
    let whole = ops::create_incident(db, 1, "データベース停止", "")
        .await
        .unwrap();
    let demo = ops::create_incident(db, 3, "デモ市の問い合わせ", DEMO)
        .await
        .unwrap();
    let other = ops::create_incident(db, 4, "千代田区の問い合わせ", OTHER)
        .await
        .unwrap();
    assert_eq!((whole, demo, other), (1, 2, 3));
    assert_eq!(
        ops::close_incident(db, whole, "再起動").await.unwrap(),
        Closed::Closed
    );
    assert_eq!(
        ops::close_incident(db, whole, "again").await.unwrap(),
        Closed::AlreadyClosed
    );
    assert_eq!(
        ops::close_incident(db, 99, "none").await.unwrap(),
        Closed::Unknown
    );

    // Job runs finished in the month, and one before it.
    let in_month = at(30).to_string();
    job_run(db, DEMO, 1, "succeeded", &in_month).await;
    job_run(db, DEMO, 2, "failed", &in_month).await;
    job_run(db, OTHER, 1, "succeeded", &in_month).await;
    job_run(db, OTHER, 2, "succeeded", &at(-10).to_string()).await;

    // Backups: one succeeded, one failed, one still running (not counted);
    // a restore drill that passed.
    use kiban_store::backup::{self, BackupOutcome, RestoreDrillRecord};
    for (id, outcome) in [
        ("b1", Some(BackupOutcome::Succeeded)),
        ("b2", Some(BackupOutcome::Failed)),
        ("b3", None),
    ] {
        backup::record_backup_started(db, id, backend, "/backups/x")
            .await
            .unwrap();
        if let Some(outcome) = outcome {
            backup::record_backup_finished(db, id, outcome, "")
                .await
                .unwrap();
        }
    }
    let now = Timestamp::now().to_string();
    backup::record_restore_drill(
        db,
        &RestoreDrillRecord {
            drill_id: "d1".into(),
            restored_from: "/backups/x".into(),
            started_at: now.clone(),
            finished_at: now.clone(),
            passed: true,
            report: "{}".into(),
        },
    )
    .await
    .unwrap();

    let report = sla_report(db, month, None).await.unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["backups"]["succeeded"], 1, "{json}");
    assert_eq!(json["backups"]["failed"], 1);
    assert_eq!(json["backups"]["last_restore_drill"]["status"], "passed");
    assert_eq!(json["backups"]["last_restore_drill"]["at"], now.as_str());
    assert_eq!(json["month"], month.label());
    assert_eq!(json["availability"]["minutes_down"], 1, "{json}");
    assert_eq!(json["availability"]["measured"], "0.9000");
    assert_eq!(json["availability"]["target"], "0.9950");
    // 101 requests, one of them slower than 3 s.
    assert_eq!(json["online_within_3s"], "0.9900");
    let p50 = json["response_ms"]["p50"].as_f64().unwrap();
    assert!((4.0..=15.0).contains(&p50), "{p50}");
    let p99 = json["response_ms"]["p99"].as_f64().unwrap();
    assert!(p99 > 10.0, "{p99}");
    assert_eq!(json["jobs"]["succeeded"], 2);
    assert_eq!(json["jobs"]["failed"], 1);
    assert_eq!(json["incidents"].as_array().unwrap().len(), 3);
    assert!(json["incidents"][0]["closed_at"].is_string());
    assert!(json["incidents"][1]["closed_at"].is_null());
    let usage = json["usage"].as_array().unwrap();
    assert_eq!(usage.len(), 2);
    let demo_usage = usage
        .iter()
        .find(|u| u["municipality_code"] == DEMO)
        .unwrap();
    assert_eq!(demo_usage["requests"], 99);
    // 98 × 1 ms + 2 ms of requests, 500 ms of job steps.
    assert_eq!(demo_usage["cpu_seconds"], 0.6);
    assert!(
        demo_usage["storage_bytes"].as_u64().unwrap() > 0,
        "{demo_usage}"
    );
    let other_usage = usage
        .iter()
        .find(|u| u["municipality_code"] == OTHER)
        .unwrap();
    assert_eq!(other_usage["requests"], 1);

    // One municipality: its incidents and the service's, its usage only.
    let only = sla_report(db, month, Some(DEMO)).await.unwrap();
    let ids: Vec<_> = only.incidents.iter().map(|i| i.id).collect();
    assert_eq!(ids, [whole, demo]);
    assert_eq!(only.usage.len(), 1);
    assert_eq!(only.usage[0].municipality_code, DEMO);
    // Service-wide figures are the same.
    assert_eq!(only.availability, report.availability);

    // The month before has its one probe, down.
    let before = Month::containing(start.checked_sub(1.hour()).unwrap());
    let earlier = sla_report(db, before, None).await.unwrap();
    assert_eq!(earlier.availability.minutes_down, 1);
    assert_eq!(earlier.availability.measured.as_deref(), Some("0.0000"));
    assert_eq!(earlier.response_ms.p50, None);
    assert_eq!(earlier.jobs.succeeded, 1);

    assert!(matches!(
        sla_report(db, month, Some("011002")).await,
        Err(ReportError::UnknownMunicipality(_))
    ));
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn the_month_s_report_from_what_was_recorded() {
    for backend in BACKENDS {
        month_of_records(backend).await;
    }
}
