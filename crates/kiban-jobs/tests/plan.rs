//! Batch plans on both engines: a PUT checks every entry and changes
//! nothing when one is invalid; due slots are enqueued once, however many
//! workers look; a scheduler that was down catches up once.
#![expect(
    clippy::expect_used,
    reason = "test helpers outside #[test] functions panic on broken fixtures"
)]

use std::collections::BTreeMap;

use jiff::Timestamp;
use kiban_audit::Actor;
use kiban_core::MunicipalityCode;
use kiban_jobs::engine::{self, RunFilter};
use kiban_jobs::plan::{self, PlanEntry, PlanError};
use kiban_jobs::schedule::JAPAN;
use kiban_jobs::{
    BoxFuture, ChunkResult, JobError, JobKind, Kinds, ParamSpec, ParamType, Params, PlannedChunk,
};
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::{BACKENDS, TestDatabase};
use kiban_store::{TenantDb, TenantTx};

/// A job that does nothing, with one required date parameter.
struct Noop;

const NOOP_PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "as_of",
    kind: ParamType::Date,
    required: true,
    description: "基準日",
}];

impl JobKind for Noop {
    fn name(&self) -> &'static str {
        "noop"
    }
    fn business(&self) -> &'static str {
        "registry"
    }
    fn description(&self) -> &'static str {
        "何もしない"
    }
    fn params(&self) -> &'static [ParamSpec] {
        NOOP_PARAMS
    }
    fn personal_data(&self) -> bool {
        false
    }
    fn plan<'a>(
        &'a self,
        _tx: &'a mut TenantTx,
        _params: &'a Params,
        _chunk_size: u64,
    ) -> BoxFuture<'a, Result<Vec<PlannedChunk>, JobError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn run_chunk<'a>(
        &'a self,
        _tx: &'a mut TenantTx,
        _params: &'a Params,
        _chunk: &'a str,
    ) -> BoxFuture<'a, Result<ChunkResult, JobError>> {
        Box::pin(async { Ok(ChunkResult::default()) })
    }
}

fn kinds() -> Kinds {
    Kinds::new(vec![Box::new(Noop)])
}

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

fn entry(job: &str, as_of: &str, schedule: &str) -> PlanEntry {
    let mut params = BTreeMap::new();
    if !as_of.is_empty() {
        params.insert("as_of".to_owned(), as_of.to_owned());
    }
    PlanEntry {
        job: job.to_owned(),
        params,
        schedule: schedule.to_owned(),
    }
}

fn japan(text: &str) -> Timestamp {
    let civil: jiff::civil::DateTime = text.parse().expect("civil time");
    JAPAN.to_timestamp(civil).expect("instant")
}

fn admin() -> Actor {
    Actor::new("kanri", "municipality_admin")
}

async fn runs(tenant: &TenantDb) -> Vec<i64> {
    engine::list(tenant, &RunFilter::default())
        .await
        .expect("list")
        .iter()
        .map(|r| r.job_id)
        .collect()
}

async fn check(demo: &TenantDb, kinds: &Kinds, entries: Vec<PlanEntry>, field: &str) {
    match plan::put(demo, kinds, &entries, &admin()).await {
        Err(PlanError::Invalid {
            field: got,
            message,
        }) => assert_eq!(got, field, "{}", message.text()),
        other => panic!("{field}: {other:?}"),
    }
}

#[tokio::test]
async fn an_invalid_entry_is_named_and_the_plan_is_unchanged() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let demo = tenant(&t, "990019").await;
        let kinds = kinds();
        let good = vec![entry("noop", "2026-12-01", "business-days:09:00")];
        let stored = plan::put(&demo, &kinds, &good, &admin())
            .await
            .expect("put");
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].entry.schedule, "business-days:09:00");
        check(
            &demo,
            &kinds,
            vec![
                entry("noop", "2026-12-01", "daily:09:00"),
                entry("noop", "2026-12-01", "yearly:02-30"),
            ],
            "plan[1].schedule",
        )
        .await;
        check(
            &demo,
            &kinds,
            vec![entry("unknown-job", "2026-12-01", "daily:09:00")],
            "plan[0].job",
        )
        .await;
        check(
            &demo,
            &kinds,
            vec![entry("noop", "", "daily:09:00")],
            "plan[0].params.as_of",
        )
        .await;
        check(
            &demo,
            &kinds,
            vec![entry("noop", "2026-13-01", "daily:09:00")],
            "plan[0].params.as_of",
        )
        .await;
        // Unchanged after every refusal.
        let now = plan::get(&demo).await.expect("get");
        assert_eq!(now.len(), 1);
        assert_eq!(now[0].entry, good[0]);
        // Another municipality sees its own (empty) plan.
        let other = tenant(&t, "131016").await;
        assert!(plan::get(&other).await.expect("get").is_empty());
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn due_slots_are_enqueued_once_and_a_pause_catches_up_once() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let demo = tenant(&t, "990019").await;
        let kinds = kinds();
        plan::put(
            &demo,
            &kinds,
            &[entry("noop", "2026-12-01", "daily:09:00")],
            &admin(),
        )
        .await
        .expect("put");
        // The entry was added now: slots before now are never enqueued.
        let added: Timestamp = plan::get(&demo).await.expect("get")[0]
            .added_at
            .parse()
            .expect("added_at");
        assert!(
            plan::enqueue_due(&demo, &kinds, added)
                .await
                .expect("enqueue")
                .is_empty()
        );
        // Three days later (the scheduler was down): one run, for the
        // latest slot.
        let later = added + jiff::SignedDuration::from_hours(72);
        let enqueued = plan::enqueue_due(&demo, &kinds, later)
            .await
            .expect("enqueue");
        assert_eq!(enqueued.len(), 1, "{enqueued:?}");
        let expected_slot = plan::get(&demo).await.expect("get")[0].last_slot.clone();
        assert_eq!(expected_slot.as_deref(), Some(enqueued[0].slot.as_str()));
        // Again (another worker, a restart): nothing more.
        assert!(
            plan::enqueue_due(&demo, &kinds, later)
                .await
                .expect("enqueue")
                .is_empty()
        );
        assert_eq!(runs(&demo).await, vec![enqueued[0].job_id]);
        let run = engine::status(&demo, enqueued[0].job_id)
            .await
            .expect("status")
            .expect("run");
        assert_eq!(run.submitted_by, plan::PLAN_LOGIN);
        assert_eq!(run.params.get("as_of"), Some("2026-12-01"));
        // The next day's slot is the next run.
        let next_day = later + jiff::SignedDuration::from_hours(24);
        let enqueued = plan::enqueue_due(&demo, &kinds, next_day)
            .await
            .expect("enqueue");
        assert_eq!(enqueued.len(), 1);
        assert_eq!(runs(&demo).await.len(), 2);
        // Re-putting the same plan keeps the entry's history: nothing new.
        plan::put(
            &demo,
            &kinds,
            &[entry("noop", "2026-12-01", "daily:09:00")],
            &admin(),
        )
        .await
        .expect("put");
        assert!(
            plan::enqueue_due(&demo, &kinds, next_day)
                .await
                .expect("enqueue")
                .is_empty()
        );
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn business_day_slots_skip_holidays() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let demo = tenant(&t, "990019").await;
        let kinds = kinds();
        plan::put(
            &demo,
            &kinds,
            &[entry("noop", "2026-12-01", "business-days:09:00")],
            &admin(),
        )
        .await
        .expect("put");
        // Pretend the entry was added on Friday 2026-09-18 at 10:00 (after
        // that day's slot), by rewriting its date of addition.
        let mut tx = demo.begin().await.expect("begin");
        tx.execute(
            "UPDATE job_plans SET added_at = $2 WHERE municipality_code = $1",
            &[kiban_store::Arg::from(
                japan("2026-09-18T10:00").to_string().as_str(),
            )],
        )
        .await
        .expect("update");
        tx.commit().await.expect("commit");
        // Over the silver week (19–23 September) nothing is due.
        assert!(
            plan::enqueue_due(&demo, &kinds, japan("2026-09-23T23:00"))
                .await
                .expect("enqueue")
                .is_empty()
        );
        let enqueued = plan::enqueue_due(&demo, &kinds, japan("2026-09-24T09:30"))
            .await
            .expect("enqueue");
        assert_eq!(enqueued.len(), 1);
        assert_eq!(enqueued[0].slot, "2026-09-24T09:00");
        t.cleanup().await.expect("cleanup");
    }
}
