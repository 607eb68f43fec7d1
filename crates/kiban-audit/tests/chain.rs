//! The access log on both engines: appending, reading back, and finding
//! every kind of tampering.
#![expect(
    clippy::expect_used,
    reason = "test helpers outside #[test] functions panic on broken fixtures"
)]

use kiban_audit::{
    Actor, AuditAction, BrokenEntry, INDEX_CHUNK, Problem, Unchanged, append, append_if_unchanged,
    append_many, entries_by_actor, entries_for_person, verify,
};
use kiban_core::MunicipalityCode;
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::{BACKENDS, TestDatabase};
use kiban_store::{Arg, TenantDb};

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

fn clerk() -> Actor {
    Actor {
        purpose: Some("窓口での本人確認".into()),
        request_id: Some("req-1".into()),
        ..Actor::new("tanaka", "registry_clerk")
    }
}

/// Appends `n` entries, one transaction each, about persons 1..=5 in turn.
async fn append_entries(tenant: &TenantDb, n: i64) {
    for i in 0..n {
        let mut tx = tenant.begin().await.expect("begin");
        let entry = clerk().entry(AuditAction::Read, Some(i % 5 + 1), format!("test {i}"));
        append(&mut tx, &entry).await.expect("append");
        tx.commit().await.expect("commit");
    }
}

async fn tamper(tenant: &TenantDb, sql: &str, args: &[Arg]) {
    let mut tx = tenant.begin().await.expect("begin");
    let changed = tx.execute(sql, args).await.expect("tamper");
    assert!(changed > 0, "{sql}");
    tx.commit().await.expect("commit");
}

async fn broken(tenant: &TenantDb) -> BrokenEntry {
    let report = verify(tenant).await.expect("verify");
    report.broken.expect("the chain should be broken")
}

#[tokio::test]
async fn an_untouched_chain_verifies_and_reads_back() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let demo = tenant(&t, "990019").await;
        let other = tenant(&t, "131016").await;
        append_entries(&demo, 30).await;
        // Several entries in one transaction, and another municipality's
        // chain alongside.
        let mut tx = demo.begin().await.expect("begin");
        let entries: Vec<_> = (0..7)
            .map(|i| clerk().entry(AuditAction::Change, Some(9), format!("batch {i}")))
            .collect();
        assert_eq!(append_many(&mut tx, &entries).await.expect("append"), 31);
        tx.commit().await.expect("commit");
        append_entries(&other, 3).await;

        let report = verify(&demo).await.expect("verify");
        assert!(report.is_intact(), "{backend:?}: {:?}", report.broken);
        assert_eq!(report.entries_checked, 37);
        assert_eq!(report.last_entry_id, Some(37));
        let report = verify(&other).await.expect("verify");
        assert!(report.is_intact());
        assert_eq!(report.entries_checked, 3);

        let mut tx = demo.begin().await.expect("begin");
        let about_nine = entries_for_person(&mut tx, 9, 100).await.expect("read");
        assert_eq!(about_nine.len(), 7);
        assert_eq!(about_nine[0].entry_id, 37, "newest first");
        assert_eq!(about_nine[0].action, AuditAction::Change);
        assert_eq!(about_nine[0].purpose.as_deref(), Some("窓口での本人確認"));
        assert_eq!(about_nine[0].request_id.as_deref(), Some("req-1"));
        assert_eq!(
            entries_for_person(&mut tx, 1, 3).await.expect("read").len(),
            3
        );
        let by_tanaka = entries_by_actor(
            &mut tx,
            "tanaka",
            "2000-01-01T00:00:00Z",
            "9999-01-01T00:00:00Z",
            1000,
        )
        .await
        .expect("read");
        assert_eq!(by_tanaka.len(), 37);
        assert_eq!(by_tanaka[0].entry_id, 1, "oldest first");
        tx.rollback().await.expect("rollback");
        t.cleanup().await.expect("cleanup");
    }
}

/// The entry numbers about `person`, newest first, as read back.
async fn numbers_about(tenant: &TenantDb, person: i64, limit: u32) -> Vec<i64> {
    let mut tx = tenant.begin_read().await.expect("begin");
    let entries = entries_for_person(&mut tx, person, limit)
        .await
        .expect("entries");
    tx.rollback().await.expect("rollback");
    assert!(entries.iter().all(|e| e.person_id == Some(person)));
    entries.iter().map(|e| e.entry_id).collect()
}

#[tokio::test]
async fn entries_by_person_are_found_before_and_after_they_are_indexed() {
    let chunk = usize::try_from(INDEX_CHUNK).expect("chunk");
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let demo = tenant(&t, "990019").await;
        let other = tenant(&t, "131016").await;
        // Entry n is about person n % 7 (0: about no one), in appends of
        // varying size, so that the index is filled at some of them, in
        // several chunks at the largest, and a tail is left unindexed.
        let about = |n: i64| (n % 7 != 0).then_some(n % 7);
        let mut next = 1i64;
        for size in [1, chunk - 1, 3, chunk * 2 + 5, 1, 10] {
            let mut tx = demo.begin().await.expect("begin");
            let entries: Vec<_> = (next..next + size as i64)
                .map(|n| clerk().entry(AuditAction::Read, about(n), format!("read {n}")))
                .collect();
            assert_eq!(append_many(&mut tx, &entries).await.expect("append"), next);
            tx.commit().await.expect("commit");
            next += size as i64;
            // Every entry is found by person at once, newest first, and no
            // entry twice, whether it is indexed yet or not.
            let expected: Vec<i64> = (1..next).rev().filter(|n| about(*n) == Some(3)).collect();
            assert_eq!(
                numbers_about(&demo, 3, u32::MAX).await,
                expected,
                "{backend:?}: after {} entries",
                next - 1
            );
            // A limit that ends in the tail, and one that ends in the index.
            let two = expected.len().min(2);
            assert_eq!(numbers_about(&demo, 3, 2).await, expected[..two].to_vec());
            let deep = expected.len().min(chunk / 7 + 3);
            assert_eq!(
                numbers_about(&demo, 3, u32::try_from(deep).expect("limit")).await,
                expected[..deep].to_vec(),
                "{backend:?}"
            );
        }
        let mut tx = demo.begin_read().await.expect("begin");
        let row = tx
            .fetch_optional(
                "SELECT COUNT(*), MIN(through_entry_id) FROM audit_log_persons \
                 JOIN audit_log_indexed USING (municipality_code) WHERE municipality_code = $1",
                &[],
            )
            .await
            .expect("count")
            .expect("row");
        tx.rollback().await.expect("rollback");
        let (indexed, through) = (row.int(0).expect("count"), row.int(1).expect("through"));
        assert!(indexed > 0, "{backend:?}: the index was filled");
        // Every append that left a whole chunk waiting indexed it, and the
        // index holds exactly the entries about a person up to there.
        assert!(
            through > 0 && next - 1 - through < INDEX_CHUNK,
            "{backend:?}: {through}"
        );
        let about_someone = (1..=through).filter(|n| about(*n).is_some()).count();
        assert_eq!(indexed, i64::try_from(about_someone).expect("count"));
        assert!(numbers_about(&demo, 0, 10).await.is_empty());
        // Another municipality's log, indexed or not, holds nothing of them.
        assert!(numbers_about(&other, 3, 10).await.is_empty());
        append_entries(&other, 2).await;
        assert_eq!(numbers_about(&other, 1, 10).await, vec![1]);
        let report = verify(&demo).await.expect("verify");
        assert!(report.is_intact(), "{backend:?}: {report:?}");

        // The index is not part of the chain, so verify checks it: an
        // entry deleted from the index alone is named, and a link added to
        // the index shows no entry about another person.
        let hidden = 7 * 100 + 3;
        tamper(
            &demo,
            "DELETE FROM audit_log_persons WHERE municipality_code = $1 AND entry_id = $2",
            &[Arg::Int(hidden)],
        )
        .await;
        let found = broken(&demo).await;
        assert_eq!(found.entry_id, hidden, "{backend:?}");
        assert_eq!(found.problem, Problem::NotIndexed);
        assert!(found.message().text().contains("索引"));
        tamper(
            &demo,
            "INSERT INTO audit_log_persons (municipality_code, person_id, entry_id) VALUES ($1, 3, 1)",
            &[],
        )
        .await;
        assert!(!numbers_about(&demo, 3, u32::MAX).await.contains(&1));
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn the_index_by_person_is_built_from_a_log_written_before_it() {
    for backend in BACKENDS {
        // Migration 0009 added the index: a log written before it is
        // indexed by the migration, every entry about a person.
        let t = TestDatabase::migrated_to(backend, 8)
            .await
            .expect("test database");
        let demo = tenant(&t, "990019").await;
        let other = tenant(&t, "131016").await;
        for (tenant, entries) in [(&demo, 40i64), (&other, 5)] {
            let mut tx = tenant.begin().await.expect("begin");
            for n in 1..=entries {
                tx.execute(
                    "INSERT INTO audit_log (municipality_code, entry_id, at, actor, role, action, \
                     person_id, detail, prev_hash, entry_hash) \
                     VALUES ($1, $2, '2026-01-01T00:00:00Z', 'tanaka', 'registry_clerk', 'read', \
                     $3, 'before', 'p', 'h')",
                    &[Arg::Int(n), Arg::from((n % 4 != 0).then_some(n % 4))],
                )
                .await
                .expect("insert");
            }
            tx.commit().await.expect("commit");
        }
        t.db.migrate().await.expect("migrate");
        let expected: Vec<i64> = (1..=40).rev().filter(|n| n % 4 == 2).collect();
        assert_eq!(numbers_about(&demo, 2, 100).await, expected, "{backend:?}");
        assert_eq!(numbers_about(&other, 2, 100).await, vec![2], "{backend:?}");
        let mut tx = demo.begin_read().await.expect("begin");
        let links = tx
            .fetch_optional(
                "SELECT COUNT(*), MIN(through_entry_id) FROM audit_log_persons \
                 JOIN audit_log_indexed USING (municipality_code) WHERE municipality_code = $1",
                &[],
            )
            .await
            .expect("count")
            .expect("row");
        tx.rollback().await.expect("rollback");
        assert_eq!(links.int(0).expect("count"), 30, "{backend:?}: indexed");
        assert_eq!(links.int(1).expect("through"), 40, "{backend:?}");
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn an_empty_chain_is_intact() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let demo = tenant(&t, "990019").await;
        let report = verify(&demo).await.expect("verify");
        assert!(report.is_intact());
        assert_eq!(report.entries_checked, 0);
        assert_eq!(report.last_entry_id, None);
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn an_edited_entry_is_named() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let demo = tenant(&t, "990019").await;
        append_entries(&demo, 20).await;
        tamper(
            &demo,
            "UPDATE audit_log SET actor = $2 WHERE municipality_code = $1 AND entry_id = $3",
            &[Arg::from("someone_else"), Arg::Int(12)],
        )
        .await;
        let found = broken(&demo).await;
        assert_eq!(found.entry_id, 12, "{backend:?}");
        assert_eq!(found.problem, Problem::HashMismatch);
        assert!(found.message().text().contains("12"));

        // Editing the hash too does not help: the next entry's prev_hash
        // no longer matches.
        let t2 = TestDatabase::new(backend).await.expect("test database");
        let demo2 = tenant(&t2, "990019").await;
        append_entries(&demo2, 5).await;
        tamper(
            &demo2,
            "UPDATE audit_log SET person_id = NULL, entry_hash = $2 \
             WHERE municipality_code = $1 AND entry_id = $3",
            &[Arg::from("f".repeat(64)), Arg::Int(3)],
        )
        .await;
        assert_eq!(broken(&demo2).await.entry_id, 3);
        t.cleanup().await.expect("cleanup");
        t2.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn a_deleted_entry_is_named() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let demo = tenant(&t, "990019").await;
        append_entries(&demo, 20).await;
        tamper(
            &demo,
            "DELETE FROM audit_log WHERE municipality_code = $1 AND entry_id = $2",
            &[Arg::Int(8)],
        )
        .await;
        let found = broken(&demo).await;
        assert_eq!(found.entry_id, 8, "{backend:?}");
        assert_eq!(found.problem, Problem::Missing { next_found: 9 });

        // Renumbering the rest to close the gap breaks the hashes instead.
        for id in 9..=20 {
            tamper(
                &demo,
                "UPDATE audit_log SET entry_id = $2 WHERE municipality_code = $1 AND entry_id = $3",
                &[Arg::Int(id - 1), Arg::Int(id)],
            )
            .await;
        }
        let found = broken(&demo).await;
        assert_eq!(found.entry_id, 8);
        assert_eq!(found.problem, Problem::PrevHashMismatch);
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn deleted_entries_at_the_end_are_found() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let demo = tenant(&t, "990019").await;
        append_entries(&demo, 10).await;
        tamper(
            &demo,
            "DELETE FROM audit_log WHERE municipality_code = $1 AND entry_id >= $2",
            &[Arg::Int(9)],
        )
        .await;
        let found = broken(&demo).await;
        assert_eq!(found.entry_id, 9, "{backend:?}");
        assert_eq!(found.problem, Problem::TailMissing { last_allocated: 10 });
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn swapped_entries_are_named() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let demo = tenant(&t, "990019").await;
        append_entries(&demo, 20).await;
        let swap =
            "UPDATE audit_log SET entry_id = $2 WHERE municipality_code = $1 AND entry_id = $3";
        tamper(&demo, swap, &[Arg::Int(-1), Arg::Int(5)]).await;
        tamper(&demo, swap, &[Arg::Int(5), Arg::Int(6)]).await;
        tamper(&demo, swap, &[Arg::Int(6), Arg::Int(-1)]).await;
        let found = broken(&demo).await;
        assert_eq!(found.entry_id, 5, "{backend:?}");
        assert_eq!(found.problem, Problem::PrevHashMismatch);
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn concurrent_appends_do_not_fork_the_chain() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let demo = tenant(&t, "990019").await;
        let mut tasks = Vec::new();
        for worker in 0..8 {
            let demo = demo.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10 {
                    let mut tx = demo.begin().await.expect("begin");
                    let entry = clerk().entry(
                        AuditAction::Read,
                        Some(worker),
                        format!("worker {worker} entry {i}"),
                    );
                    append(&mut tx, &entry).await.expect("append");
                    // Some transactions roll back: their numbers are reused.
                    if i % 4 == 3 {
                        tx.rollback().await.expect("rollback");
                    } else {
                        tx.commit().await.expect("commit");
                    }
                }
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
        let report = verify(&demo).await.expect("verify");
        assert!(report.is_intact(), "{backend:?}: {:?}", report.broken);
        assert_eq!(report.entries_checked, 8 * 8);
        t.cleanup().await.expect("cleanup");
    }
}

/// Reads logged at the same time share writing transactions: every entry
/// whose condition holds is appended once, in one intact chain, with the
/// entries of other municipalities kept apart; an entry whose condition no
/// longer holds is not appended (its caller logs it itself).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_logged_at_once_share_commits_and_keep_the_chain() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        let a = tenant(&t, "131016").await;
        let b = tenant(&t, "011002").await;
        // The condition: the `movement` counter, never used here.
        let mut tx = a.begin_read().await.expect("begin");
        let seen = tx.peek_next_number("movement").await.expect("peek");
        tx.rollback().await.expect("rollback");
        assert_eq!(seen, None);
        let unless = Unchanged {
            sequence: "movement",
            seen,
        };
        let mut tasks = Vec::new();
        for i in 0..40i64 {
            let tenant = if i % 4 == 0 { b.clone() } else { a.clone() };
            tasks.push(tokio::spawn(async move {
                let entries: Vec<_> = (0..3)
                    .map(|k| {
                        clerk().entry(AuditAction::Read, Some(i * 10 + k), format!("search {i}"))
                    })
                    .collect();
                append_if_unchanged(&tenant, unless, entries).await
            }));
        }
        for task in tasks {
            assert!(task.await.expect("task"), "{backend:?}: appended");
        }
        for (tenant, requests) in [(&a, 30), (&b, 10)] {
            let report = verify(tenant).await.expect("verify");
            assert!(report.is_intact(), "{backend:?}: {report:?}");
            assert_eq!(report.entries_checked, requests * 3, "{backend:?}");
        }
        let mut tx = a.begin_read().await.expect("begin");
        let entries = entries_for_person(&mut tx, 11, 10).await.expect("entries");
        tx.rollback().await.expect("rollback");
        assert_eq!(entries.len(), 1, "{backend:?}");
        assert_eq!(entries[0].detail, "search 1");

        // The counter moves on: a read made before is not logged here.
        let mut tx = a.begin().await.expect("begin");
        tx.next_numbers("movement", 1).await.expect("take");
        tx.commit().await.expect("commit");
        let entry = clerk().entry(AuditAction::Read, Some(7), "stale read");
        assert!(!append_if_unchanged(&a, unless, vec![entry]).await);
        let report = verify(&a).await.expect("verify");
        assert_eq!(report.entries_checked, 90, "{backend:?}: nothing appended");
        t.cleanup().await.expect("cleanup");
    }
}
