//! The storage layer on both engines: migrations, tenant scoping, sequences,
//! all-or-nothing transactions.
#![expect(
    clippy::expect_used,
    reason = "test helpers outside #[test] functions panic on broken fixtures"
)]

use kiban_core::MunicipalityCode;
use kiban_store::platform::{self, Municipality};
use kiban_store::testing::{BACKENDS, TestDatabase};
use kiban_store::{Arg, StoreError};

fn code(s: &str) -> MunicipalityCode {
    MunicipalityCode::parse(s).expect("valid code")
}

async fn two_municipalities(t: &TestDatabase) {
    for (c, name) in [("131016", "千代田区"), ("990019", "デモ市")] {
        platform::create_municipality(
            &t.db,
            &Municipality {
                code: code(c),
                name: name.into(),
                prefecture: "東京都".into(),
            },
        )
        .await
        .expect("create");
    }
}

#[tokio::test]
async fn municipalities_are_unique_and_listed() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        two_municipalities(&t).await;
        let again = platform::create_municipality(
            &t.db,
            &Municipality {
                code: code("131016"),
                name: "x".into(),
                prefecture: "y".into(),
            },
        )
        .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{backend:?}");
        let all = platform::list_municipalities(&t.db).await.expect("list");
        assert_eq!(all.len(), 2);
        assert!(t.db.is_migrated().await.expect("migrated"));
        assert!(matches!(
            t.db.tenant(code("012289")).await,
            Err(StoreError::UnknownMunicipality(_))
        ));
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn tenant_handles_see_only_their_own_rows() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        two_municipalities(&t).await;
        let chiyoda = t.db.tenant(code("131016")).await.expect("tenant");
        let demo = t.db.tenant(code("990019")).await.expect("tenant");

        for (tenant, login) in [(&chiyoda, "a"), (&demo, "b")] {
            let mut tx = tenant.begin().await.expect("begin");
            tx.insert_rows(
                "staff_accounts",
                &[
                    "login",
                    "display_name",
                    "role",
                    "password_hash",
                    "created_at",
                ],
                &[vec![
                    Arg::from(login),
                    Arg::from("職員"),
                    Arg::from("registry_clerk"),
                    Arg::from("x"),
                    Arg::from("2026-01-01T00:00:00Z"),
                ]],
            )
            .await
            .expect("insert");
            tx.commit().await.expect("commit");
        }
        let mut tx = chiyoda.begin().await.expect("begin");
        let rows = tx
            .fetch_all(
                "SELECT login FROM staff_accounts WHERE municipality_code = $1 ORDER BY login",
                &[],
            )
            .await
            .expect("select");
        let logins: Vec<String> = rows.iter().map(|r| r.text(0).expect("text")).collect();
        assert_eq!(logins, vec!["a".to_owned()], "{backend:?}");
        // A statement on its own is scoped the same way.
        for (tenant, other) in [(&chiyoda, "b"), (&demo, "a")] {
            let row = tenant
                .fetch_one_statement(
                    "SELECT login FROM staff_accounts WHERE municipality_code = $1 AND login = $2",
                    &[Arg::from(other)],
                )
                .await
                .expect("select");
            assert!(row.is_none(), "{backend:?}: another municipality's row");
        }
        let own = demo
            .fetch_one_statement(
                "SELECT login FROM staff_accounts WHERE municipality_code = $1 AND login = $2",
                &[Arg::from("b")],
            )
            .await
            .expect("select")
            .expect("own row");
        assert_eq!(own.text(0).expect("text"), "b");
        assert!(matches!(
            demo.fetch_one_statement("SELECT login FROM staff_accounts", &[])
                .await,
            Err(kiban_store::StoreError::UnscopedStatement(_))
        ));
        // A statement without the tenant parameter is refused before it runs.
        let unscoped = tx.fetch_all("SELECT login FROM staff_accounts", &[]).await;
        assert!(matches!(unscoped, Err(StoreError::UnscopedStatement(_))));
        tx.rollback().await.expect("rollback");
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn sequences_are_per_municipality_and_never_reused() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        two_municipalities(&t).await;
        let chiyoda = t.db.tenant(code("131016")).await.expect("tenant");
        let demo = t.db.tenant(code("990019")).await.expect("tenant");
        let mut tx = chiyoda.begin().await.expect("begin");
        assert_eq!(tx.next_numbers("person_id", 1).await.expect("seq"), 1);
        assert_eq!(tx.next_numbers("person_id", 10).await.expect("seq"), 2);
        assert_eq!(tx.next_numbers("person_id", 1).await.expect("seq"), 12);
        tx.commit().await.expect("commit");
        let mut tx = demo.begin().await.expect("begin");
        assert_eq!(tx.next_numbers("person_id", 1).await.expect("seq"), 1);
        tx.commit().await.expect("commit");
        // Numbers taken in a rolled-back transaction come back; committed ones never do.
        let mut tx = chiyoda.begin().await.expect("begin");
        assert_eq!(tx.next_numbers("person_id", 5).await.expect("seq"), 13);
        tx.rollback().await.expect("rollback");
        let mut tx = chiyoda.begin().await.expect("begin");
        assert_eq!(tx.next_numbers("person_id", 1).await.expect("seq"), 13);
        tx.commit().await.expect("commit");
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn concurrent_sequence_use_gives_distinct_numbers() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        two_municipalities(&t).await;
        let tenant = t.db.tenant(code("990019")).await.expect("tenant");
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let tenant = tenant.clone();
            tasks.push(tokio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..10 {
                    let mut tx = tenant.begin().await.expect("begin");
                    got.push(tx.next_numbers("household_id", 1).await.expect("seq"));
                    tx.commit().await.expect("commit");
                }
                got
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("join"));
        }
        all.sort_unstable();
        assert_eq!(all, (1..=80).collect::<Vec<i64>>(), "{backend:?}");
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn a_failed_transaction_leaves_nothing() {
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        two_municipalities(&t).await;
        let tenant = t.db.tenant(code("990019")).await.expect("tenant");
        {
            let mut tx = tenant.begin().await.expect("begin");
            tx.execute(
                "INSERT INTO job_progress (municipality_code, job_name, job_key, total_chunks, chunks_done, started_at, updated_at) \
                 VALUES ($1, 'x', 'y', 1, 0, 'a', 'b')",
                &[],
            )
            .await
            .expect("insert");
            // A second insert of the same key fails; the transaction is dropped.
            let dup = tx
                .execute(
                    "INSERT INTO job_progress (municipality_code, job_name, job_key, total_chunks, chunks_done, started_at, updated_at) \
                     VALUES ($1, 'x', 'y', 1, 0, 'a', 'b')",
                    &[],
                )
                .await;
            assert!(dup.is_err());
        }
        let mut tx = tenant.begin().await.expect("begin");
        let rows = tx
            .fetch_all(
                "SELECT job_name FROM job_progress WHERE municipality_code = $1",
                &[],
            )
            .await
            .expect("select");
        assert!(rows.is_empty(), "{backend:?}");
        tx.rollback().await.expect("rollback");
        t.cleanup().await.expect("cleanup");
    }
}

#[tokio::test]
async fn streamed_rows_are_the_tenants_own_in_order() {
    use kiban_store::{ColumnKind, Field};
    for backend in BACKENDS {
        let t = TestDatabase::new(backend).await.expect("test database");
        two_municipalities(&t).await;
        let chiyoda = t.db.tenant(code("131016")).await.expect("tenant");
        let demo = t.db.tenant(code("990019")).await.expect("tenant");
        for (tenant, rows) in [
            (&chiyoda, vec![("b", 5), ("a", 10)]),
            (&demo, vec![("c", 1)]),
        ] {
            let mut tx = tenant.begin().await.expect("begin");
            let rows: Vec<Vec<Arg>> = rows
                .into_iter()
                .map(|(name, next)| vec![Arg::from(name), Arg::Int(next)])
                .collect();
            tx.insert_rows("number_sequences", &["sequence_name", "next_value"], &rows)
                .await
                .expect("insert");
            tx.commit().await.expect("commit");
        }
        t.db.refresh_statistics().await.expect("statistics");
        let mut tx = chiyoda.begin_snapshot().await.expect("begin");
        let mut seen = Vec::new();
        tx.for_each_row(
            "SELECT sequence_name, next_value FROM number_sequences \
             WHERE municipality_code = $1 ORDER BY municipality_code, sequence_name",
            &[ColumnKind::Text, ColumnKind::Int],
            |row| {
                if let [Field::Text(name), Field::Int(next)] = row {
                    seen.push(((*name).to_owned(), *next));
                }
                Ok::<(), StoreError>(())
            },
        )
        .await
        .expect("stream");
        assert_eq!(
            seen,
            vec![("a".to_owned(), 10), ("b".to_owned(), 5)],
            "{backend:?}"
        );
        // An integer expected where the column holds text is an error.
        let wrong = tx
            .for_each_row(
                "SELECT sequence_name FROM number_sequences WHERE municipality_code = $1",
                &[ColumnKind::Int],
                |_| Ok::<(), StoreError>(()),
            )
            .await;
        assert!(
            matches!(wrong, Err(StoreError::Corrupt { .. })),
            "{backend:?}"
        );
        let unscoped = tx
            .for_each_row(
                "SELECT sequence_name FROM number_sequences",
                &[ColumnKind::Text],
                |_| Ok::<(), StoreError>(()),
            )
            .await;
        assert!(matches!(unscoped, Err(StoreError::UnscopedStatement(_))));
        tx.rollback().await.expect("rollback");
        t.cleanup().await.expect("cleanup");
    }
}
