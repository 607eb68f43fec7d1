//! The generic outbox consumer on both engines: ordered, idempotent,
//! retried, parked in the dead-letter list, retried or dismissed by a clerk.
#![expect(
    clippy::expect_used,
    reason = "test helpers outside #[test] functions panic on broken fixtures"
)]

use std::sync::atomic::{AtomicBool, Ordering};

use jiff::SignedDuration;
use kiban_audit::Actor;
use kiban_core::MunicipalityCode;
use kiban_jobs::consumer::{
    self, Consumer, DeadLetterError, DeadLetterStatus, EventHandler, HandlerError, HandlerFuture,
    OutboxEvent, RetryPolicy,
};
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::{BACKENDS, TestDatabase};
use kiban_store::{Arg, TenantDb, TenantTx};

fn code(s: &str) -> MunicipalityCode {
    MunicipalityCode::parse(s).expect("valid code")
}

async fn tenant(t: &TestDatabase, c: &str) -> TenantDb {
    platform::create_municipality(
        &t.db,
        &Municipality {
            code: code(c),
            name: format!("団体{c}"),
            prefecture: "東京都".into(),
        },
    )
    .await
    .expect("create municipality");
    t.db.tenant(code(c)).await.expect("tenant")
}

/// Writes outbox events `kinds` (payload `{"n": i}`), ids after the last.
async fn write_events(tenant: &TenantDb, kinds: &[&str]) {
    let mut tx = tenant.begin().await.expect("begin");
    let last = tx
        .fetch_optional(
            "SELECT COALESCE(MAX(event_id), 0) FROM outbox WHERE municipality_code = $1",
            &[],
        )
        .await
        .expect("max")
        .map(|r| r.int(0).expect("int"))
        .unwrap_or(0);
    for (i, kind) in kinds.iter().enumerate() {
        let id = last + 1 + i64::try_from(i).expect("small");
        tx.execute(
            "INSERT INTO outbox (municipality_code, event_id, event_kind, movement_id, payload, created_at) \
             VALUES ($1, $2, $3, NULL, $4, $5)",
            &[
                Arg::Int(id),
                Arg::from(*kind),
                Arg::from(format!("{{\"n\":{id}}}")),
                Arg::from(kiban_store::now_text()),
            ],
        )
        .await
        .expect("insert event");
    }
    tx.commit().await.expect("commit");
}

/// Records every handled event in a table of its own (the handler's
/// effect), and fails on events whose payload says so while `FAIL` is set.
struct Recorder;

static FAIL_ON_POISON: AtomicBool = AtomicBool::new(true);

impl EventHandler for Recorder {
    fn handle<'a>(&'a self, tx: &'a mut TenantTx, event: &'a OutboxEvent) -> HandlerFuture<'a> {
        Box::pin(async move {
            if event.event_kind == "poison" && FAIL_ON_POISON.load(Ordering::SeqCst) {
                return Err(HandlerError::Failed(format!(
                    "イベント {} は処理できません",
                    event.event_id
                )));
            }
            // The table `job_plan_slots` serves as the handler's own table:
            // its primary key makes a second handling of one event fail.
            tx.execute(
                "INSERT INTO job_plan_slots (municipality_code, entry_key, slot, job, job_id, enqueued_at) \
                 VALUES ($1, 'test-consumer', $2, $3, $4, $5)",
                &[
                    Arg::from(format!("{:08}", event.event_id)),
                    Arg::from(event.event_kind.as_str()),
                    Arg::Int(event.event_id),
                    Arg::from(kiban_store::now_text()),
                ],
            )
            .await?;
            Ok(())
        })
    }
}

static RECORDER: Recorder = Recorder;

static TEST_CONSUMER: Consumer = Consumer {
    name: "test_consumer",
    label: "試験用",
    business: "registry",
    event_kinds: &["wanted", "poison"],
    handler: &RECORDER,
};

fn no_wait(max_attempts: i64) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        backoff: SignedDuration::ZERO,
        max_backoff: SignedDuration::ZERO,
    }
}

/// The events handled, in the order of their handling (the handler's rows
/// are keyed by event id, and `job_id` is the event id).
async fn handled(tenant: &TenantDb) -> Vec<i64> {
    let mut tx = tenant.begin().await.expect("begin");
    let rows = tx
        .fetch_all(
            "SELECT job_id FROM job_plan_slots WHERE municipality_code = $1 \
             AND entry_key = 'test-consumer' ORDER BY slot",
            &[],
        )
        .await
        .expect("rows");
    tx.commit().await.expect("commit");
    rows.iter().map(|r| r.int(0).expect("int")).collect()
}

#[tokio::test]
async fn ordered_idempotent_and_other_kinds_only_advance() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let demo = tenant(&t, "990019").await;
        let other = tenant(&t, "131016").await;
        write_events(&demo, &["wanted", "ignored", "wanted", "wanted", "ignored"]).await;
        write_events(&other, &["wanted"]).await;

        // Small batches: several passes, each committing its position.
        let mut total = 0;
        loop {
            let report = consumer::run(&demo, &TEST_CONSUMER, &no_wait(3), 2)
                .await
                .expect("run");
            total += report.handled;
            if report.events_read == 0 {
                break;
            }
        }
        assert_eq!(total, 3, "{backend:?}");
        assert_eq!(handled(&demo).await, vec![1, 3, 4]);
        // Run again: nothing more (a second handling would fail on the key).
        let again = consumer::drain(&demo, &TEST_CONSUMER, &no_wait(3))
            .await
            .expect("drain");
        assert_eq!(again.handled, 0);
        let positions = consumer::positions(&demo, &[&TEST_CONSUMER])
            .await
            .expect("positions");
        assert_eq!(positions[0].last_event_id, 5);
        assert_eq!(positions[0].pending, 0);
        // The other municipality's consumer is untouched.
        let theirs = consumer::positions(&other, &[&TEST_CONSUMER])
            .await
            .expect("positions");
        assert_eq!(theirs[0].last_event_id, 0);
        assert_eq!(theirs[0].pending, 1);
        assert!(handled(&other).await.is_empty());
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn a_failing_event_is_retried_then_parked_and_later_events_go_through() {
    FAIL_ON_POISON.store(true, Ordering::SeqCst);
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let demo = tenant(&t, "990019").await;
        write_events(&demo, &["wanted", "poison", "wanted", "ignored", "wanted"]).await;

        // With a long backoff, the first failure makes the consumer wait,
        // with event 1 committed and events 3.. still behind event 2.
        let waiting = RetryPolicy {
            max_attempts: 3,
            backoff: SignedDuration::from_hours(1),
            max_backoff: SignedDuration::from_hours(1),
        };
        let report = consumer::drain(&demo, &TEST_CONSUMER, &waiting)
            .await
            .expect("drain");
        assert_eq!(report.failures, 1, "{backend:?}");
        assert!(report.waiting_until.is_some());
        assert_eq!(handled(&demo).await, vec![1]);
        let letters = consumer::dead_letters(&demo, None).await.expect("letters");
        assert_eq!(letters.len(), 1);
        assert_eq!(letters[0].status, DeadLetterStatus::Retrying);
        assert_eq!(letters[0].attempts, 1);
        // Still waiting: nothing happens.
        let report = consumer::drain(&demo, &TEST_CONSUMER, &waiting)
            .await
            .expect("drain");
        assert_eq!((report.events_read, report.failures), (0, 0));

        // The hour passes (the stored time of the next attempt is moved
        // back); without further waits, the remaining attempts fail and the
        // event is parked; the events after it go through.
        let mut tx = demo.begin().await.expect("begin");
        tx.execute(
            "UPDATE outbox_dead_letters SET next_attempt_at = $2 WHERE municipality_code = $1",
            &[Arg::from("2000-01-01T00:00:00Z")],
        )
        .await
        .expect("update");
        tx.commit().await.expect("commit");
        let report = consumer::drain(&demo, &TEST_CONSUMER, &no_wait(3))
            .await
            .expect("drain");
        assert_eq!(report.failures, 2);
        assert_eq!(report.parked, 1);
        assert_eq!(handled(&demo).await, vec![1, 3, 5]);
        let parked = consumer::dead_letters(&demo, Some(DeadLetterStatus::Parked))
            .await
            .expect("letters");
        assert_eq!(parked.len(), 1);
        assert_eq!(parked[0].event_id, 2);
        assert_eq!(parked[0].attempts, 3);
        assert!(
            parked[0].error.contains("イベント 2"),
            "{}",
            parked[0].error
        );
        let position = &consumer::positions(&demo, &[&TEST_CONSUMER])
            .await
            .expect("positions")[0];
        assert_eq!((position.last_event_id, position.parked), (5, 1));

        // A clerk retries: it fails again, stays parked, one more attempt.
        let clerk = Actor::new("tanaka", "registry_clerk");
        let err = consumer::retry_dead_letter(&demo, &TEST_CONSUMER, 2, &clerk)
            .await
            .expect_err("still failing");
        assert!(matches!(err, DeadLetterError::HandlerFailed(_)), "{err}");
        let letter = consumer::dead_letters(&demo, None).await.expect("letters")[0].clone();
        assert_eq!(
            (letter.status, letter.attempts),
            (DeadLetterStatus::Parked, 4)
        );

        // Fixed: the retry handles it (out of order) and resolves it.
        FAIL_ON_POISON.store(false, Ordering::SeqCst);
        consumer::retry_dead_letter(&demo, &TEST_CONSUMER, 2, &clerk)
            .await
            .expect("retry");
        FAIL_ON_POISON.store(true, Ordering::SeqCst);
        assert_eq!(handled(&demo).await, vec![1, 2, 3, 5]);
        let letter = consumer::dead_letters(&demo, None).await.expect("letters")[0].clone();
        assert_eq!(letter.status, DeadLetterStatus::Retried);
        assert_eq!(letter.resolved_by.as_deref(), Some("tanaka"));
        // Resolved letters cannot be retried or dismissed again.
        let err = consumer::dismiss_dead_letter(&demo, "test_consumer", 2, &clerk)
            .await
            .expect_err("resolved");
        assert!(
            matches!(err, DeadLetterError::NotParked(DeadLetterStatus::Retried)),
            "{err}"
        );
        let err = consumer::dismiss_dead_letter(&demo, "test_consumer", 99, &clerk)
            .await
            .expect_err("unknown");
        assert!(matches!(err, DeadLetterError::NotFound), "{err}");

        // Another poison event, parked, then dismissed.
        write_events(&demo, &["poison"]).await;
        let report = consumer::drain(&demo, &TEST_CONSUMER, &no_wait(1))
            .await
            .expect("drain");
        assert_eq!(report.parked, 1);
        consumer::dismiss_dead_letter(&demo, "test_consumer", 6, &clerk)
            .await
            .expect("dismiss");
        let dismissed = consumer::dead_letters(&demo, Some(DeadLetterStatus::Dismissed))
            .await
            .expect("letters");
        assert_eq!(dismissed.len(), 1);
        assert_eq!(dismissed[0].event_id, 6);
        // Both clerk actions are in the access log.
        let mut tx = demo.begin().await.expect("begin");
        let entries =
            kiban_audit::entries_by_actor(&mut tx, "tanaka", "2000-01-01", "2100-01-01", 100)
                .await
                .expect("entries");
        tx.commit().await.expect("commit");
        assert_eq!(entries.len(), 2, "{entries:?}");
        t.cleanup().await.expect("cleanup");
    }
}

/// Two clerks resolving the same parked letter at once (two dismissals, a
/// dismissal and a retry): one wins, the other is told it is no longer
/// parked, and the access log holds one resolution per letter.
#[tokio::test]
async fn concurrent_resolutions_of_one_letter_take_turns() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("db");
        let demo = tenant(&t, "990019").await;
        let letters = 12;
        write_events(&demo, &vec!["poison"; letters]).await;
        let report = consumer::drain(&demo, &TEST_CONSUMER, &no_wait(1))
            .await
            .expect("drain");
        assert_eq!(report.parked, letters, "{backend:?}");
        let first = Actor::new("tanaka", "registry_clerk");
        let second = Actor::new("suzuki", "registry_clerk");
        let mut tasks = Vec::new();
        for event in 1..=i64::try_from(letters).expect("small") {
            for actor in [first.clone(), second.clone()] {
                let demo = demo.clone();
                tasks.push(tokio::spawn(async move {
                    consumer::dismiss_dead_letter(&demo, "test_consumer", event, &actor).await
                }));
            }
        }
        let mut won = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(()) => won += 1,
                Err(DeadLetterError::NotParked(DeadLetterStatus::Dismissed)) => {}
                Err(e) => panic!("{backend:?}: {e}"),
            }
        }
        assert_eq!(won, letters, "{backend:?}");
        let mut tx = demo.begin().await.expect("begin");
        let mut entries = 0;
        for login in ["tanaka", "suzuki"] {
            entries +=
                kiban_audit::entries_by_actor(&mut tx, login, "2000-01-01", "2100-01-01", 100)
                    .await
                    .expect("entries")
                    .len();
        }
        tx.commit().await.expect("commit");
        assert_eq!(entries, letters, "{backend:?}");
        t.cleanup().await.expect("cleanup");
    }
}

#[test]
fn backoff_doubles_up_to_its_limit() {
    let policy = RetryPolicy::default();
    assert_eq!(policy.wait_after(1), SignedDuration::from_secs(10));
    assert_eq!(policy.wait_after(2), SignedDuration::from_secs(20));
    assert_eq!(policy.wait_after(4), SignedDuration::from_secs(80));
    assert_eq!(policy.wait_after(40), SignedDuration::from_secs(3600));
}
