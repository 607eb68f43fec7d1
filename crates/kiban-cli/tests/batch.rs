//! `kiban batch` and `kiban worker` as processes: a run killed (kill -9) at
//! random points and resumed gives the outputs of an uninterrupted run,
//! with every subject counted once; two worker processes share one run on
//! PostgreSQL; unknown jobs and parameters exit 2 naming them.
#![expect(clippy::unwrap_used, reason = "test fixtures panic on broken setup")]

use std::collections::BTreeMap;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use kiban_core::MunicipalityCode;
use kiban_store::testing::{BACKENDS, TestDatabase};
use kiban_store::{Arg, Backend, TenantDb};
use rand::Rng;

const DEMO: &str = "990019";
const AS_OF: &str = "2026-12-01";

fn kiban(t: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiban"))
        .args(args)
        .env("KIBAN_DATABASE_URL", &t.url)
        .env("KIBAN_MASTER_KEY", t.master_key.to_hex().as_str())
        .output()
        .unwrap()
}

fn spawn(t: &TestDatabase, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_kiban"))
        .args(args)
        .env("KIBAN_DATABASE_URL", &t.url)
        .env("KIBAN_MASTER_KEY", t.master_key.to_hex().as_str())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn demo(backend: Backend, residents: &str) -> (TestDatabase, TenantDb) {
    let t = TestDatabase::new(backend).await.unwrap();
    let out = kiban(
        &t,
        &["municipality", "create", "--code", DEMO, "--name", "デモ市"],
    );
    assert!(out.status.success(), "{out:?}");
    let out = kiban(
        &t,
        &[
            "demo",
            "generate",
            "--municipality",
            DEMO,
            "--residents",
            residents,
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let tenant =
        t.db.tenant(MunicipalityCode::parse(DEMO).unwrap())
            .await
            .unwrap();
    (t, tenant)
}

fn outputs(stdout: &[u8]) -> BTreeMap<String, String> {
    let json: serde_json::Value =
        serde_json::from_slice(stdout).unwrap_or_else(|e| panic!("{e}: {stdout:?}"));
    assert_eq!(json["status"], "succeeded");
    json["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_owned(),
                o["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn persons(tenant: &TenantDb) -> i64 {
    let mut tx = tenant.begin().await.unwrap();
    let n = tx
        .fetch_optional(
            "SELECT COUNT(*) FROM persons WHERE municipality_code = $1",
            &[],
        )
        .await
        .unwrap()
        .unwrap()
        .int(0)
        .unwrap();
    tx.rollback().await.unwrap();
    n
}

/// (chunks, chunks done, subjects done, progress total) of a run.
async fn chunk_counts(tenant: &TenantDb, job_id: i64) -> (i64, i64, i64, i64) {
    let mut tx = tenant.begin().await.unwrap();
    let row = tx
        .fetch_optional(
            "SELECT COUNT(*), SUM(CASE WHEN c.state = 'done' THEN 1 ELSE 0 END), \
             CAST(SUM(c.done) AS BIGINT), MAX(j.progress_total) \
             FROM job_chunks c JOIN jobs j ON j.municipality_code = c.municipality_code AND j.job_id = c.job_id \
             WHERE c.municipality_code = $1 AND c.job_id = $2",
            &[Arg::Int(job_id)],
        )
        .await
        .unwrap()
        .unwrap();
    let counts = (
        row.int(0).unwrap(),
        row.int(1).unwrap(),
        row.int(2).unwrap(),
        row.int(3).unwrap(),
    );
    tx.rollback().await.unwrap();
    counts
}

/// The runs of the municipality that are not finished.
async fn unfinished_runs(tenant: &TenantDb) -> i64 {
    let mut tx = tenant.begin().await.unwrap();
    let row = tx
        .fetch_optional(
            "SELECT COUNT(*) FROM jobs WHERE municipality_code = $1 \
             AND status NOT IN ('succeeded', 'failed', 'cancelled')",
            &[],
        )
        .await
        .unwrap()
        .unwrap();
    let n = row.int(0).unwrap();
    tx.rollback().await.unwrap();
    n
}

#[tokio::test]
async fn a_run_killed_anywhere_resumes_to_the_same_outputs() {
    for backend in BACKENDS {
        let (t, tenant) = demo(backend, "3000").await;
        let run_args = [
            "batch",
            "run",
            "population-statistics",
            "--municipality",
            DEMO,
            "--param",
            &format!("as_of={AS_OF}"),
            "--chunk-size",
            "40",
        ];
        let reference = kiban(&t, &run_args);
        assert!(reference.status.success(), "{reference:?}");
        let expected = outputs(&reference.stdout);
        assert_eq!(expected.len(), 3);

        let kills = if backend == Backend::Sqlite { 20 } else { 10 };
        let mut rng = rand::rng();
        for _ in 0..kills {
            let mut child = spawn(&t, &run_args);
            // A random moment: while starting, planning, in a chunk, or
            // committing.
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..250))).await;
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            if out.status.success() {
                break;
            }
        }
        let last = kiban(&t, &run_args);
        assert!(last.status.success(), "{last:?}");
        let resumed = outputs(&last.stdout);
        assert_eq!(
            resumed, expected,
            "{backend:?}: identical outputs after kills"
        );
        let json: serde_json::Value = serde_json::from_slice(&last.stdout).unwrap();
        let job_id = json["job_id"].as_i64().unwrap();
        // The killed runs were resumed, not started again: no run is left
        // unfinished. (A process killed after its run's last commit but
        // before it exited leaves a finished run, and the next one starts
        // a new run; so the number of runs is not fixed.)
        assert_eq!(unfinished_runs(&tenant).await, 0, "{backend:?}");
        let (chunks, chunks_done, done, total) = chunk_counts(&tenant, job_id).await;
        assert_eq!(chunks, chunks_done);
        let persons = persons(&tenant).await;
        assert_eq!(
            (done, total),
            (persons, persons),
            "{backend:?}: each subject once"
        );
        t.cleanup().await.unwrap();
    }
}

#[tokio::test]
async fn two_worker_processes_share_one_run_on_postgres() {
    let (t, tenant) = demo(Backend::Postgres, "3000").await;
    let reference = kiban(
        &t,
        &[
            "batch",
            "run",
            "population-statistics",
            "--municipality",
            DEMO,
            "--param",
            &format!("as_of={AS_OF}"),
            "--chunk-size",
            "20",
        ],
    );
    assert!(reference.status.success(), "{reference:?}");
    let expected = outputs(&reference.stdout);

    let mut workers: Vec<_> = ["wA", "wB"]
        .iter()
        .map(|name| {
            spawn(
                &t,
                &[
                    "worker",
                    "--chunk-size",
                    "20",
                    "--idle-ms",
                    "20",
                    "--name",
                    name,
                ],
            )
        })
        .collect();
    let kinds =
        kiban_jobs::kind::Kinds::new(vec![Box::new(kiban_registry::jobs::PopulationStatistics)]);
    let params: BTreeMap<String, String> = [("as_of".to_owned(), AS_OF.to_owned())].into();
    let id = kiban_jobs::engine::submit(&tenant, &kinds, "population-statistics", &params, "test")
        .await
        .unwrap();
    let mut run = None;
    for _ in 0..3000 {
        let status = kiban_jobs::engine::status(&tenant, id)
            .await
            .unwrap()
            .unwrap();
        if status.status.is_finished() {
            run = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for w in &mut workers {
        w.kill().unwrap();
        w.wait().unwrap();
    }
    let run = run.expect("the workers finished the run");
    assert_eq!(
        run.status,
        kiban_jobs::engine::Status::Succeeded,
        "{:?}",
        run.error
    );
    let got: BTreeMap<String, String> = run
        .outputs
        .iter()
        .map(|o| (o.name.clone(), o.sha256.clone()))
        .collect();
    assert_eq!(got, expected);
    let (chunks, chunks_done, done, total) = chunk_counts(&tenant, id).await;
    assert_eq!(chunks, chunks_done);
    assert_eq!(done, total);
    let mut tx = tenant.begin().await.unwrap();
    let per_worker: Vec<(String, i64)> = tx
        .fetch_all(
            "SELECT worker, COUNT(*) FROM job_chunks WHERE municipality_code = $1 AND job_id = $2 \
             GROUP BY worker ORDER BY worker",
            &[Arg::Int(id)],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.text(0).unwrap(), r.int(1).unwrap()))
        .collect();
    tx.rollback().await.unwrap();
    assert_eq!(
        per_worker.len(),
        2,
        "both workers did chunks: {per_worker:?}"
    );
    assert_eq!(per_worker.iter().map(|(_, n)| n).sum::<i64>(), chunks);
    t.cleanup().await.unwrap();
}

#[tokio::test]
async fn unknown_jobs_and_parameters_exit_2_naming_them() {
    let (t, _) = demo(Backend::Sqlite, "10").await;
    let out = kiban(&t, &["batch", "run", "nope", "--municipality", DEMO]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
    for (param, named) in [
        ("asof=2026-12-01", "asof"),
        ("as_of=2026-02-30", "as_of"),
        ("as_of", "as_of"),
    ] {
        let out = kiban(
            &t,
            &[
                "batch",
                "run",
                "population-statistics",
                "--municipality",
                DEMO,
                "--param",
                param,
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{param}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(named),
            "{param}: {out:?}"
        );
    }
    // A missing required parameter is named too.
    let out = kiban(
        &t,
        &[
            "batch",
            "run",
            "population-statistics",
            "--municipality",
            DEMO,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("as_of"));
    let list = kiban(&t, &["batch", "list"]);
    let first: serde_json::Value = serde_json::from_slice(
        String::from_utf8_lossy(&list.stdout)
            .lines()
            .next()
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(first["job"], "population-statistics");
    assert_eq!(first["params"][0]["name"], "as_of");
    assert_eq!(first["params"][0]["required"], true);
    t.cleanup().await.unwrap();
}

async fn count(tenant: &TenantDb, sql: &str) -> i64 {
    let mut tx = tenant.begin_read().await.unwrap();
    let n = tx
        .fetch_optional(sql, &[])
        .await
        .unwrap()
        .unwrap()
        .int(0)
        .unwrap();
    tx.commit().await.unwrap();
    n
}

/// A generated population writes no events: `demo generate` runs the job
/// `addressee-index` so that every resident is in the addressee search,
/// and running it again changes nothing.
#[tokio::test]
async fn demo_generation_indexes_every_resident_for_the_addressee_search() {
    for backend in BACKENDS {
        let (t, tenant) = demo(backend, "300").await;
        let persons = count(
            &tenant,
            "SELECT COUNT(*) FROM persons WHERE municipality_code = $1",
        )
        .await;
        let indexed = count(
            &tenant,
            "SELECT COUNT(*) FROM addressee_index WHERE municipality_code = $1",
        )
        .await;
        assert_eq!(indexed, persons, "{backend:?}");
        let keys = count(
            &tenant,
            "SELECT COUNT(*) FROM addressee_keys WHERE municipality_code = $1",
        )
        .await;
        assert_eq!(keys, 4 * persons, "name, kana, address and birth date each");
        let out = kiban(
            &t,
            &["batch", "run", "--municipality", DEMO, "addressee-index"],
        );
        assert!(out.status.success(), "{out:?}");
        let again = count(
            &tenant,
            "SELECT COUNT(*) FROM addressee_keys WHERE municipality_code = $1",
        )
        .await;
        assert_eq!(again, keys, "{backend:?}");
        t.cleanup().await.unwrap();
    }
}

/// `kiban bench resident-tax` on a small demo: it prints the job next to
/// the raw limit with the same number of rows, leaves the job's
/// assessments and no scratch table, and refuses a year already assessed.
#[tokio::test]
async fn bench_resident_tax_prints_the_job_next_to_the_raw_limit() {
    let t = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let out = kiban(
        &t,
        &["municipality", "create", "--code", DEMO, "--name", "デモ市"],
    );
    assert!(out.status.success(), "{out:?}");
    let out = kiban(
        &t,
        &[
            "demo",
            "generate",
            "--municipality",
            DEMO,
            "--residents",
            "300",
            "--non-residents",
            "20",
            "--income-year",
            "2026",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let tenant =
        t.db.tenant(MunicipalityCode::parse(DEMO).unwrap())
            .await
            .unwrap();
    let bench = [
        "bench",
        "resident-tax",
        "--municipality",
        DEMO,
        "--fiscal-year",
        "2026",
        "--assessed-on",
        "2026-06-01",
    ];
    let out = kiban(&t, &bench);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let assessed = count(
        &tenant,
        "SELECT COUNT(*) FROM resident_tax_assessments WHERE municipality_code = $1",
    )
    .await;
    assert!(assessed > 0);
    assert!(
        stdout.contains(&format!("rows {assessed} (raw {assessed})")),
        "{stdout}"
    );
    for figure in ["raw/job", "peak RSS", "raw limit"] {
        assert!(stdout.contains(figure), "{figure}: {stdout}");
    }
    let mut tx = tenant.begin_read().await.unwrap();
    let scratch = tx
        .fetch_optional(
            "SELECT COUNT(*) FROM bench_resident_tax_assessments WHERE municipality_code = $1",
            &[],
        )
        .await;
    assert!(scratch.is_err(), "the scratch table is dropped");
    tx.rollback().await.unwrap();
    let again = kiban(&t, &bench);
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    t.cleanup().await.unwrap();
}
