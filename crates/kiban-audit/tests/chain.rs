//! The access log on both engines: appending, reading back, and finding
//! every kind of tampering.
#![expect(
    clippy::expect_used,
    reason = "test helpers outside #[test] functions panic on broken fixtures"
)]

use kiban_audit::{
    Actor, AuditAction, BrokenEntry, Problem, Unchanged, append, append_if_unchanged, append_many,
    entries_by_actor, entries_for_person, verify,
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
        assert!(found.to_string().contains("12"));

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
