//! The standard exchange format through the binary, on SQLite and
//! PostgreSQL: every tenant table listed, export → import → export round
//! trips (and across engines), refusals that name file, line and field, and
//! nothing written by a refused import.
#![expect(clippy::unwrap_used, reason = "test fixtures panic on broken setup")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kiban_audit::Actor;
use kiban_core::MunicipalityCode;
use kiban_exchange::standard::{CODE_TABLES_FILE, ENTITIES, EXCLUDED, MANIFEST_FILE, Manifest};
use kiban_registry::domain::{Action, AddressText, Death, MoveOut, MovementCommand, PersonId};
use kiban_registry::storage::{japan_date, record_movement};
use kiban_store::testing::{BACKENDS, TestDatabase};
use kiban_store::{Backend, Database, platform};
use sha2::{Digest, Sha256};

const SOURCE: &str = "990019";
const TARGET: &str = "990027";

fn kiban(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiban"))
        .arg("--database-url")
        .arg(url)
        .args(args)
        .output()
        .unwrap()
}

fn ok(url: &str, args: &[&str]) -> String {
    let out = kiban(url, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(url: &str, args: &[&str]) -> String {
    let out = kiban(url, args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "kiban-exchange-{name}-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()))
}

fn read_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Adds movements beyond the registering ones: deaths and move-outs of
/// members (not heads), and a few 転居.
async fn extra_movements(db: &Database) {
    let code = MunicipalityCode::parse(SOURCE).unwrap();
    let tenant = db.tenant(code).await.unwrap();
    let mut tx = tenant.begin().await.unwrap();
    let rows = tx
        .fetch_all(
            "SELECT person_id, household_id FROM persons WHERE municipality_code = $1 \
             AND relationship <> 'head' ORDER BY person_id LIMIT 30",
            &[],
        )
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let today = japan_date(jiff::Timestamp::now());
    let clerk = Actor::new("clerk", "registry_clerk");
    for (i, row) in rows.iter().enumerate() {
        let person = PersonId::new(u64::try_from(row.int(0).unwrap()).unwrap());
        let action = if i % 2 == 0 {
            Action::Death(Death {
                person_id: person,
                new_head_person_id: None,
            })
        } else {
            Action::MoveOut(MoveOut {
                person_ids: vec![person],
                destination_address: AddressText::parse("東京都千代田区千代田１番１号").unwrap(),
                new_head_person_id: None,
            })
        };
        record_movement(
            &tenant,
            &clerk,
            MovementCommand {
                event_date: today,
                notified_on: today,
                action,
            },
            today,
        )
        .await
        .unwrap();
    }
    // Two support measures (支援措置), one of them ended early.
    let mut tx = tenant.begin().await.unwrap();
    for (i, row) in rows.iter().rev().take(2).enumerate() {
        let measure = kiban_protection::storage::record_measure(
            &mut tx,
            &clerk,
            row.int(0).unwrap() + 1000,
            kiban_protection::Reason::DomesticViolence,
            today,
            None,
        )
        .await;
        if let (0, Ok(m)) = (i, &measure) {
            kiban_protection::storage::end_measure(&mut tx, &clerk, m.measure_id, today)
                .await
                .unwrap();
        }
        measure.unwrap();
    }
    // The certifier with the image of the official seal (a binary field),
    // and a name with an IVS.
    tx.execute(
        "INSERT INTO certifier_settings (municipality_code, version, mayor_title, mayor_name, \
         official_seal_png, recorded_at, recorded_by) VALUES ($1, 1, '市長', $2, $3, \
         '2026-04-01T00:00:00.000000Z', 'admin')",
        &[
            kiban_store::Arg::from("辻\u{E0102}　一郎"),
            kiban_store::Arg::Bytes(vec![0x89, b'P', b'N', b'G', 0, 255, 10, 13]),
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

/// Creates the source municipality with 2,000 generated residents and
/// extra movements.
async fn source(backend: Backend) -> TestDatabase {
    let test = TestDatabase::new(backend).await.unwrap();
    ok(
        &test.url,
        &[
            "municipality",
            "create",
            "--code",
            SOURCE,
            "--name",
            "デモ市",
        ],
    );
    ok(
        &test.url,
        &[
            "demo",
            "generate",
            "--municipality",
            SOURCE,
            "--residents",
            "2000",
            "--chunk-size",
            "500",
        ],
    );
    extra_movements(&test.db).await;
    test
}

/// Compares a re-export with the first export: every file identical, but
/// for what the import itself recorded: one more access-log entry (the
/// import's own) and the access-log counter one further.
fn assert_same_except_import(first: &Path, second: &Path) {
    let a = read_dir(first);
    let b = read_dir(second);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        let other = &b[name];
        match name.as_str() {
            "audit_log.csv" => {
                assert!(
                    other.starts_with(bytes),
                    "{name}: the first export is a prefix"
                );
                let extra = String::from_utf8_lossy(&other[bytes.len()..]).into_owned();
                assert_eq!(extra.matches("\r\n").count(), 1, "{extra}");
                assert!(extra.contains("standard_import source=990019"), "{extra}");
            }
            "number_sequences.csv" => {
                let (x, y) = (
                    String::from_utf8_lossy(bytes),
                    String::from_utf8_lossy(other),
                );
                for (l1, l2) in x.lines().zip(y.lines()) {
                    if let Some(n) = l1.strip_prefix("audit_entry,") {
                        let n: u64 = n.parse().unwrap();
                        assert_eq!(l2, format!("audit_entry,{}", n + 1));
                    } else {
                        assert_eq!(l1, l2);
                    }
                }
            }
            MANIFEST_FILE => {
                let m1 = Manifest::parse(bytes).unwrap();
                let m2 = Manifest::parse(other).unwrap();
                assert_eq!(m1.municipality_code, SOURCE);
                assert_eq!(m2.municipality_code, TARGET);
                for (f1, f2) in m1.files.iter().zip(&m2.files) {
                    if f1.file != "audit_log.csv" && f1.file != "number_sequences.csv" {
                        assert_eq!(f1, f2);
                    }
                }
            }
            _ => assert_eq!(bytes, other, "{name} differs"),
        }
    }
}

/// Imports `dir` into a new municipality of `test` and exports it again.
fn import_and_reexport(test: &TestDatabase, dir: &Path, again: &Path) {
    ok(
        &test.url,
        &[
            "municipality",
            "create",
            "--code",
            TARGET,
            "--name",
            "複製市",
        ],
    );
    ok(
        &test.url,
        &[
            "import",
            "--municipality",
            TARGET,
            "--in",
            dir.to_str().unwrap(),
        ],
    );
    assert_eq!(
        ok(&test.url, &["audit", "verify", "--municipality", TARGET]).trim(),
        "intact"
    );
    ok(
        &test.url,
        &[
            "export",
            "--municipality",
            TARGET,
            "--out",
            again.to_str().unwrap(),
        ],
    );
    // A second import into the now non-empty municipality is refused.
    let message = refused(
        &test.url,
        &[
            "import",
            "--municipality",
            TARGET,
            "--in",
            dir.to_str().unwrap(),
        ],
    );
    assert!(message.contains("既にデータがあります"), "{message}");
}

/// The code tables of the format list exactly the codes of the domain.
#[test]
fn code_tables_match_the_domain() {
    use kiban_exchange::standard::spec::code_table;
    let codes = |name: &str| -> Vec<&str> {
        code_table(name)
            .unwrap()
            .codes
            .iter()
            .map(|(c, _)| *c)
            .collect()
    };
    assert_eq!(
        codes("relationship"),
        kiban_core::Relationship::ALL.map(|r| r.code()).to_vec()
    );
    assert_eq!(
        codes("sex"),
        [kiban_core::Sex::Male, kiban_core::Sex::Female]
            .map(|s| s.code())
            .to_vec()
    );
    assert_eq!(
        codes("movement_kind"),
        kiban_registry::domain::MovementKind::ALL
            .map(|k| k.code())
            .to_vec()
    );
    assert_eq!(
        codes("audit_action"),
        kiban_audit::AuditAction::ALL.map(|a| a.code()).to_vec()
    );
    assert_eq!(
        codes("staff_role"),
        kiban_auth::Role::ALL.map(|r| r.code()).to_vec()
    );
    assert_eq!(
        codes("support_measure_reason"),
        kiban_protection::Reason::ALL.map(|r| r.code()).to_vec()
    );
}

#[tokio::test]
async fn every_tenant_table_is_exported_or_excluded() {
    for backend in BACKENDS {
        let test = TestDatabase::new(backend).await.unwrap();
        let tables = platform::tenant_tables(&test.db).await.unwrap();
        for table in &tables {
            assert!(
                ENTITIES.iter().any(|e| e.table == table)
                    || EXCLUDED.iter().any(|e| e.table == table),
                "{backend:?}: tenant table {table} is neither exported nor excluded in kiban_exchange::standard::spec"
            );
        }
        for listed in ENTITIES
            .iter()
            .map(|e| e.table)
            .chain(EXCLUDED.iter().map(|e| e.table))
        {
            assert!(
                tables.iter().any(|t| t == listed),
                "{listed} is not a tenant table"
            );
        }
        test.cleanup().await.unwrap();
    }
}

#[tokio::test]
async fn round_trip_on_each_engine_and_across_engines() {
    let sqlite_export = scratch("sqlite-1");
    for backend in BACKENDS {
        let test = source(backend).await;
        let first = scratch(&format!("{}-1", backend.name()));
        let second = scratch(&format!("{}-2", backend.name()));
        ok(
            &test.url,
            &[
                "export",
                "--municipality",
                SOURCE,
                "--out",
                first.to_str().unwrap(),
            ],
        );
        let files = read_dir(&first);
        let manifest = Manifest::parse(&files[MANIFEST_FILE]).unwrap();
        let persons = manifest.file("persons.csv").unwrap().rows;
        assert!(persons >= 2_000, "{persons}");
        assert!(manifest.file("outbox.csv").unwrap().rows >= 30);
        assert_eq!(manifest.file("support_measures.csv").unwrap().rows, 2);
        assert_eq!(manifest.file("support_measure_ends.csv").unwrap().rows, 1);
        let certifier = String::from_utf8(files["certifier_settings.csv"].clone()).unwrap();
        assert!(certifier.contains(",iVBORwD/Cg0=,"), "{certifier}");
        assert!(files.contains_key(CODE_TABLES_FILE));
        import_and_reexport(&test, &first, &second);
        assert_same_except_import(&first, &second);
        if backend == Backend::Sqlite {
            std::fs::rename(&first, &sqlite_export).unwrap();
        } else {
            let _ = std::fs::remove_dir_all(&first);
        }
        let _ = std::fs::remove_dir_all(&second);
        test.cleanup().await.unwrap();
    }
    // SQLite → PostgreSQL → export: the same files.
    let test = TestDatabase::new(Backend::Postgres).await.unwrap();
    let again = scratch("cross");
    import_and_reexport(&test, &sqlite_export, &again);
    assert_same_except_import(&sqlite_export, &again);
    test.cleanup().await.unwrap();
    let _ = std::fs::remove_dir_all(&sqlite_export);
    let _ = std::fs::remove_dir_all(&again);
}

fn rewrite(dir: &Path, file: &str, edit: impl Fn(&str) -> String, update_manifest: bool) {
    let path = dir.join(file);
    let text = edit(&std::fs::read_to_string(&path).unwrap());
    std::fs::write(&path, &text).unwrap();
    if update_manifest {
        let manifest_path = dir.join(MANIFEST_FILE);
        let mut manifest = Manifest::parse(&std::fs::read(&manifest_path).unwrap()).unwrap();
        for f in &mut manifest.files {
            if f.file == file {
                f.sha256 = hex::encode(Sha256::digest(text.as_bytes()));
                f.rows = text.matches("\r\n").count() as u64 - 1;
            }
        }
        std::fs::write(&manifest_path, manifest.to_json().unwrap()).unwrap();
    }
}

/// A change that spoils a copy of a good export.
type Spoil = Box<dyn Fn(&Path)>;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for (name, bytes) in read_dir(from) {
        std::fs::write(to.join(name), bytes).unwrap();
    }
}

#[tokio::test]
async fn bad_exports_are_refused_naming_file_line_and_field() {
    let test = source(Backend::Sqlite).await;
    let good = scratch("good");
    ok(
        &test.url,
        &[
            "export",
            "--municipality",
            SOURCE,
            "--out",
            good.to_str().unwrap(),
        ],
    );
    ok(
        &test.url,
        &[
            "municipality",
            "create",
            "--code",
            TARGET,
            "--name",
            "複製市",
        ],
    );
    let cases: Vec<(&str, Spoil, Vec<&str>)> = vec![
        (
            "a version pointing to an unknown person",
            Box::new(|d: &Path| {
                rewrite(
                    d,
                    "movement_persons.csv",
                    |t| t.replacen("\r\n1,", "\r\n99999999,", 1),
                    true,
                );
            }),
            vec![
                "movement_persons.csv",
                "2行目",
                "person_id",
                "persons.csv",
                "99999999",
            ],
        ),
        (
            "a date that does not exist",
            Box::new(|d: &Path| {
                rewrite(
                    d,
                    "movements.csv",
                    |t| {
                        let mut lines: Vec<String> = t.split("\r\n").map(str::to_owned).collect();
                        let cells: Vec<&str> = lines[1].splitn(4, ',').collect();
                        lines[1] = format!("{},{},2023-02-30,{}", cells[0], cells[1], cells[3]);
                        lines.join("\r\n")
                    },
                    true,
                );
            }),
            vec!["movements.csv", "2行目", "event_date", "日付"],
        ),
        (
            "a payload that is JSON but no movement",
            Box::new(|d: &Path| {
                rewrite(
                    d,
                    "movements.csv",
                    |t| t.replacen("\"\"v\"\":1", "\"\"v\"\":9", 1),
                    true,
                );
            }),
            vec!["movements.csv", "2行目", "payload"],
        ),
        (
            "a counter behind the numbers in use",
            Box::new(|d: &Path| {
                rewrite(
                    d,
                    "number_sequences.csv",
                    |t| {
                        t.split("\r\n")
                            .map(|l| {
                                if l.starts_with("person_id,") {
                                    "person_id,2".to_owned()
                                } else {
                                    l.to_owned()
                                }
                            })
                            .collect::<Vec<_>>()
                            .join("\r\n")
                    },
                    true,
                );
            }),
            vec!["number_sequences.csv", "行目", "next_value", "person_id"],
        ),
        (
            "a code outside its table",
            Box::new(|d: &Path| {
                rewrite(
                    d,
                    "persons.csv",
                    |t| t.replacen(",male,", ",otoko,", 1),
                    true,
                );
            }),
            vec!["persons.csv", "行目", "sex", "otoko"],
        ),
        (
            "an edited file whose digest no longer matches",
            Box::new(|d: &Path| {
                rewrite(
                    d,
                    "persons.csv",
                    |t| t.replacen(",male,", ",female,", 1),
                    false,
                );
            }),
            vec!["persons.csv", "SHA-256"],
        ),
        (
            "an edited access log (digest updated too)",
            Box::new(|d: &Path| {
                rewrite(
                    d,
                    "audit_log.csv",
                    |t| t.replacen("demo-generator", "someone-else", 1),
                    true,
                );
            }),
            vec!["audit_log.csv", "head_hash"],
        ),
        (
            "a missing manifest (an interrupted export)",
            Box::new(|d: &Path| std::fs::remove_file(d.join(MANIFEST_FILE)).unwrap()),
            vec!["manifest.json"],
        ),
    ];
    for (what, spoil, expected) in cases {
        let dir = scratch("bad");
        copy_dir(&good, &dir);
        spoil(&dir);
        let message = refused(
            &test.url,
            &[
                "import",
                "--municipality",
                TARGET,
                "--in",
                dir.to_str().unwrap(),
            ],
        );
        for part in expected {
            assert!(message.contains(part), "{what}: {part} not in {message}");
        }
        // Nothing was written: the target is still empty.
        let tenant = test
            .db
            .tenant(MunicipalityCode::parse(TARGET).unwrap())
            .await
            .unwrap();
        let mut tx = tenant.begin_read().await.unwrap();
        for spec in ENTITIES {
            let row = tx
                .fetch_optional(
                    &format!(
                        "SELECT COUNT(*) FROM {} WHERE municipality_code = $1",
                        spec.table
                    ),
                    &[],
                )
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.int(0).unwrap(), 0, "{what}: {} not empty", spec.table);
        }
        tx.rollback().await.unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
    let _ = std::fs::remove_dir_all(&good);
    test.cleanup().await.unwrap();
}
