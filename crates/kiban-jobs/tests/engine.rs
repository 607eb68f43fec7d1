//! The job engine on both engines: a run end to end, subject errors,
//! retries then failure, cancellation, resuming, tenancy, a run stopped at
//! random points, and two workers sharing one run.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test on any error"
)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use kiban_audit::Actor;
use kiban_core::MunicipalityCode;
use kiban_jobs::engine::{self, EngineOptions, Status, Step};
use kiban_jobs::kind::{
    BoxFuture, ChunkResult, JobError, JobKind, Kinds, ParamSpec, ParamType, Params, PlannedChunk,
    SubjectError,
};
use kiban_store::Arg;
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::{BACKENDS, TestDatabase};
use kiban_store::{Backend, Database, TenantDb, TenantTx};

/// Numbers 1..=count, `chunk_size` per chunk; each chunk writes one line
/// per number into `numbers.csv` (after a header in chunk 0); numbers
/// divisible by 7 are subject errors. With `fail_times` set, every chunk
/// fails that many times first.
struct Numbers {
    fail_times: u32,
    failures: AtomicU32,
    always_fail: bool,
}

impl Numbers {
    fn new() -> Self {
        Self {
            fail_times: 0,
            failures: AtomicU32::new(0),
            always_fail: false,
        }
    }
}

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "count",
        kind: ParamType::Int,
        required: true,
        description: "件数",
    },
    ParamSpec {
        name: "as_of",
        kind: ParamType::Date,
        required: false,
        description: "基準日",
    },
];

impl JobKind for Numbers {
    fn name(&self) -> &'static str {
        "numbers"
    }
    fn business(&self) -> &'static str {
        "test"
    }
    fn description(&self) -> &'static str {
        "番号を数える"
    }
    fn params(&self) -> &'static [ParamSpec] {
        PARAMS
    }
    fn personal_data(&self) -> bool {
        true
    }
    fn plan<'a>(
        &'a self,
        _tx: &'a mut TenantTx,
        params: &'a Params,
        chunk_size: u64,
    ) -> BoxFuture<'a, Result<Vec<PlannedChunk>, JobError>> {
        Box::pin(async move {
            let count = u64::try_from(params.int("count")?).unwrap_or(0);
            let mut chunks = Vec::new();
            let mut start = 1;
            while start <= count {
                let end = (start + chunk_size - 1).min(count);
                chunks.push(PlannedChunk {
                    key: format!("{start}-{end}"),
                    subjects: end - start + 1,
                });
                start = end + 1;
            }
            Ok(chunks)
        })
    }
    fn run_chunk<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        _params: &'a Params,
        chunk: &'a str,
    ) -> BoxFuture<'a, Result<ChunkResult, JobError>> {
        Box::pin(async move {
            if self.always_fail || self.failures.fetch_add(1, Ordering::SeqCst) < self.fail_times {
                return Err(JobError::Failed("わざと失敗".into()));
            }
            // A read in the chunk's transaction, as real kinds do.
            tx.fetch_optional(
                "SELECT name FROM municipalities WHERE municipality_code = $1",
                &[],
            )
            .await?;
            let (start, end) = chunk
                .split_once('-')
                .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
                .ok_or_else(|| JobError::Failed(format!("bad chunk {chunk}")))?;
            let mut text = String::new();
            if start == 1 {
                text.push_str("number\n");
            }
            let mut errors = Vec::new();
            for n in start..=end {
                if n % 7 == 0 {
                    errors.push(SubjectError {
                        subject: n.to_string(),
                        code: "divisible_by_seven".into(),
                        message: "7の倍数".into(),
                    });
                } else {
                    text.push_str(&format!("{n}\n"));
                }
            }
            Ok(ChunkResult {
                parts: vec![("numbers.csv".into(), text.into_bytes())],
                errors,
                done: end - start + 1,
            })
        })
    }
}

fn kinds(kind: Numbers) -> Kinds {
    Kinds::new(vec![Box::new(kind)])
}

fn raw(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn options(chunk_size: u64) -> EngineOptions {
    EngineOptions {
        chunk_size,
        max_attempts: 3,
        backoff: Duration::ZERO,
        worker: "test".into(),
    }
}

async fn tenant(db: &Database, code: &str) -> TenantDb {
    let code = MunicipalityCode::parse(code).unwrap();
    platform::create_municipality(
        db,
        &Municipality {
            code,
            name: "テスト市".into(),
            prefecture: "東京都".into(),
        },
    )
    .await
    .unwrap();
    db.tenant(code).await.unwrap()
}

fn expected_numbers(count: u64) -> String {
    let mut text = String::from("number\n");
    for n in 1..=count {
        if n % 7 != 0 {
            text.push_str(&format!("{n}\n"));
        }
    }
    text
}

async fn run(tenant: &TenantDb, kinds: &Kinds, id: i64, options: &EngineOptions) -> Status {
    engine::run_to_end(tenant, kinds, id, options, Duration::ZERO, |_| {})
        .await
        .unwrap()
}

#[tokio::test]
async fn a_run_end_to_end() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.unwrap();
        let m = tenant(&t.db, "131016").await;
        let kinds = kinds(Numbers::new());
        let params = raw(&[("count", "95")]);
        let id = engine::submit(&m, &kinds, "numbers", &params, "clerk")
            .await
            .unwrap();
        let queued = engine::status(&m, id).await.unwrap().unwrap();
        assert_eq!(queued.status, Status::Queued);
        assert_eq!(run(&m, &kinds, id, &options(10)).await, Status::Succeeded);
        let done = engine::status(&m, id).await.unwrap().unwrap();
        assert_eq!((done.done, done.total), (95, 95), "{backend:?}");
        assert_eq!((done.chunks_done, done.chunks_total), (10, 10));
        assert_eq!(done.errors.len(), 13);
        assert_eq!(done.errors[0].subject, "7");
        assert_eq!(done.outputs.len(), 1);
        let expected = expected_numbers(95);
        assert_eq!(done.outputs[0].bytes, expected.len() as u64);
        let json = done.to_json();
        assert_eq!(json["status"], "succeeded");
        assert_eq!(json["progress"]["done"], 95);
        assert_eq!(json["params"]["count"], "95");

        // The output is read back and its reading logged (personal data).
        let actor = Actor::new("clerk", "registry_clerk");
        let output = engine::read_output(&m, &kinds, &actor, id, "numbers.csv")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(String::from_utf8(output.content).unwrap(), expected);
        let mut tx = m.begin().await.unwrap();
        let logged = tx
            .fetch_all(
                "SELECT action, detail FROM audit_log WHERE municipality_code = $1 AND actor = 'clerk'",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(logged.len(), 1);
        assert_eq!(logged[0].text(0).unwrap(), "export");
        tx.rollback().await.unwrap();
        assert!(
            engine::read_output(&m, &kinds, &actor, id, "nothing.csv")
                .await
                .unwrap()
                .is_none()
        );

        // Another municipality sees none of it.
        let other = tenant(&t.db, "271004").await;
        assert!(engine::status(&other, id).await.unwrap().is_none());
        assert!(
            engine::list(&other, &Default::default())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            engine::read_output(&other, &kinds, &actor, id, "numbers.csv")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(engine::cancel(&other, id).await.unwrap(), None);
        t.cleanup().await.unwrap();
    }
}

#[tokio::test]
async fn unknown_jobs_and_parameters_are_named() {
    let kinds = kinds(Numbers::new());
    let e = engine::check_params(&kinds, "nope", &raw(&[])).unwrap_err();
    assert!(matches!(e, engine::SubmitError::UnknownJob(ref j) if j == "nope"));
    let e = engine::check_params(&kinds, "numbers", &raw(&[("count", "x")])).unwrap_err();
    assert!(matches!(e, engine::SubmitError::Param(ref p) if p.field == "count"));
    let e = engine::check_params(
        &kinds,
        "numbers",
        &raw(&[("count", "1"), ("colour", "red")]),
    )
    .unwrap_err();
    assert!(matches!(e, engine::SubmitError::Param(ref p) if p.field == "colour"));
}

#[tokio::test]
async fn failed_chunks_are_retried_then_the_run_fails() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.unwrap();
        let m = tenant(&t.db, "131016").await;
        // Two failures, then success: the run succeeds.
        let flaky = kinds(Numbers {
            fail_times: 2,
            failures: AtomicU32::new(0),
            always_fail: false,
        });
        let id = engine::submit(&m, &flaky, "numbers", &raw(&[("count", "20")]), "clerk")
            .await
            .unwrap();
        assert_eq!(run(&m, &flaky, id, &options(10)).await, Status::Succeeded);
        let run_info = engine::status(&m, id).await.unwrap().unwrap();
        assert_eq!(run_info.done, 20);
        assert_eq!(run_info.error, None);

        // Always failing: three attempts, then the run fails with the error.
        let broken = kinds(Numbers {
            fail_times: 0,
            failures: AtomicU32::new(0),
            always_fail: true,
        });
        let id = engine::submit(&m, &broken, "numbers", &raw(&[("count", "20")]), "clerk")
            .await
            .unwrap();
        assert_eq!(run(&m, &broken, id, &options(10)).await, Status::Failed);
        let failed = engine::status(&m, id).await.unwrap().unwrap();
        assert_eq!(failed.status, Status::Failed, "{backend:?}");
        assert!(
            failed.error.as_deref().unwrap_or("").contains("わざと失敗"),
            "{:?}",
            failed.error
        );
        assert!(failed.finished_at.is_some());
        assert_eq!(failed.done, 0);
        t.cleanup().await.unwrap();
    }
}

#[tokio::test]
async fn cancelling_keeps_committed_chunks_and_resuming_finds_the_run() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.unwrap();
        let m = tenant(&t.db, "131016").await;
        let kinds = kinds(Numbers::new());
        let params = raw(&[("count", "50"), ("as_of", "2026-12-01")]);
        let (id, resumed) = engine::submit_or_resume(&m, &kinds, "numbers", &params, "clerk")
            .await
            .unwrap();
        assert!(!resumed);
        let opts = options(10);
        assert_eq!(
            engine::step(&m, &kinds, id, &opts).await.unwrap(),
            Step::Planned
        );
        assert_eq!(
            engine::step(&m, &kinds, id, &opts).await.unwrap(),
            Step::Chunk
        );
        // The same job and parameters (written differently) resume it.
        let again = raw(&[("as_of", " 2026-12-01"), ("count", "50")]);
        assert_eq!(
            engine::submit_or_resume(&m, &kinds, "numbers", &again, "clerk")
                .await
                .unwrap(),
            (id, true)
        );
        assert_eq!(
            engine::cancel(&m, id).await.unwrap(),
            Some(Status::Cancelled)
        );
        assert_eq!(
            engine::step(&m, &kinds, id, &opts).await.unwrap(),
            Step::Finished(Status::Cancelled)
        );
        let cancelled = engine::status(&m, id).await.unwrap().unwrap();
        assert_eq!(
            (cancelled.done, cancelled.chunks_done),
            (10, 1),
            "{backend:?}"
        );
        // Cancelling again answers the status it has.
        assert_eq!(
            engine::cancel(&m, id).await.unwrap(),
            Some(Status::Cancelled)
        );
        // A cancelled run is not resumed: a new one starts.
        let (new_id, resumed) = engine::submit_or_resume(&m, &kinds, "numbers", &params, "clerk")
            .await
            .unwrap();
        assert!(!resumed);
        assert_ne!(new_id, id);
        let listed = engine::list(&m, &Default::default()).await.unwrap();
        assert_eq!(
            listed.iter().map(|r| r.job_id).collect::<Vec<_>>(),
            vec![new_id, id]
        );
        t.cleanup().await.unwrap();
    }
}

/// A run whose worker is aborted at random points (the future dropped
/// mid-chunk, as a killed process drops its connection) and resumed: no
/// number missed or repeated, each chunk done once, the output identical.
#[tokio::test]
async fn a_run_interrupted_anywhere_resumes_to_the_same_output() {
    use rand::Rng;
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.unwrap();
        let m = tenant(&t.db, "131016").await;
        let kinds = kinds(Numbers::new());
        let opts = options(3);
        let reference = engine::submit(&m, &kinds, "numbers", &raw(&[("count", "100")]), "a")
            .await
            .unwrap();
        assert_eq!(run(&m, &kinds, reference, &opts).await, Status::Succeeded);
        let expected = engine::status(&m, reference)
            .await
            .unwrap()
            .unwrap()
            .outputs;

        let id = engine::submit(&m, &kinds, "numbers", &raw(&[("count", "101")]), "a")
            .await
            .unwrap();
        let mut rng = rand::rng();
        let interruptions = if backend == Backend::Sqlite { 20 } else { 10 };
        for _ in 0..interruptions {
            let (m2, k2, o2) = (m.clone(), kinds.clone(), opts.clone());
            let task = tokio::spawn(async move {
                engine::run_to_end(&m2, &k2, id, &o2, Duration::ZERO, |_| {}).await
            });
            // Let it run a random number of scheduler turns, then abort.
            for _ in 0..rng.random_range(0..40) {
                tokio::task::yield_now().await;
            }
            task.abort();
            let _ = task.await;
        }
        assert_eq!(run(&m, &kinds, id, &opts).await, Status::Succeeded);
        let done = engine::status(&m, id).await.unwrap().unwrap();
        assert_eq!((done.done, done.total), (101, 101), "{backend:?}");
        assert_eq!(done.errors.len(), 14);
        let expected_text = expected_numbers(101);
        let actor = Actor::new("a", "registry_clerk");
        let output = engine::read_output(&m, &kinds, &actor, id, "numbers.csv")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(String::from_utf8(output.content).unwrap(), expected_text);
        assert_ne!(expected[0].sha256, output.info.sha256);
        t.cleanup().await.unwrap();
    }
}

/// Two workers with pools of their own share one run on PostgreSQL: every
/// chunk is done exactly once, by one of them.
#[tokio::test]
async fn two_workers_share_one_run_on_postgres() {
    let t = TestDatabase::new(Backend::Postgres).await.unwrap();
    let m = tenant(&t.db, "131016").await;
    let kinds = kinds(Numbers::new());
    let id = engine::submit(&m, &kinds, "numbers", &raw(&[("count", "400")]), "a")
        .await
        .unwrap();
    let mut first = options(5);
    first.worker = "w1".into();
    engine::step(&m, &kinds, id, &first).await.unwrap();
    let mut handles = Vec::new();
    for name in ["w1", "w2"] {
        let db = Database::connect(&t.url)
            .await
            .unwrap()
            .with_master_key(t.master_key.clone());
        let tenant = db.tenant(m.municipality()).await.unwrap();
        let kinds = kinds.clone();
        let mut opts = options(5);
        opts.worker = name.into();
        handles.push(tokio::spawn(async move {
            let status =
                engine::run_to_end(&tenant, &kinds, id, &opts, Duration::from_millis(5), |_| {})
                    .await
                    .unwrap();
            db.close().await;
            status
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), Status::Succeeded);
    }
    let done = engine::status(&m, id).await.unwrap().unwrap();
    assert_eq!((done.done, done.chunks_done), (400, 80));
    let mut tx = m.begin().await.unwrap();
    let rows = tx
        .fetch_all(
            "SELECT worker, COUNT(*) FROM job_chunks WHERE municipality_code = $1 AND job_id = $2 \
             AND state = 'done' GROUP BY worker ORDER BY worker",
            &[Arg::Int(id)],
        )
        .await
        .unwrap();
    let per_worker: Vec<(String, i64)> = rows
        .iter()
        .map(|r| (r.text(0).unwrap(), r.int(1).unwrap()))
        .collect();
    tx.rollback().await.unwrap();
    assert_eq!(per_worker.iter().map(|(_, n)| n).sum::<i64>(), 80);
    let actor = Actor::new("a", "registry_clerk");
    let output = engine::read_output(&m, &kinds, &actor, id, "numbers.csv")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        String::from_utf8(output.content).unwrap(),
        expected_numbers(400)
    );
    let shared = Arc::new(per_worker);
    assert_eq!(shared.len(), 2, "both workers did chunks: {shared:?}");
    t.cleanup().await.unwrap();
}
