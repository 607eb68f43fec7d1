//! The standard exchange format through the binary, on SQLite and
//! PostgreSQL: every tenant table listed, export → import → export round
//! trips (and across engines), refusals that name file, line and field, and
//! nothing written by a refused import; 個人番号 only encrypted to a
//! recipient (`--recipient` / `--identity`).
#![expect(clippy::unwrap_used, reason = "test fixtures panic on broken setup")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use age::secrecy::ExposeSecret;
use kiban_audit::Actor;
use kiban_core::MunicipalityCode;
use kiban_exchange::standard::{
    CODE_TABLES_FILE, ENTITIES, EXCLUDED, INDIVIDUAL_NUMBERS_FILE, IndividualNumbers,
    MANIFEST_FILE, Manifest,
};
use kiban_registry::domain::{
    Action, AddressText, Death, MoveOut, MovementCommand, MovementId, PersonId,
};
use kiban_registry::storage::{
    Revealed, masked_individual_number, persons_with_individual_number, record_movement,
    reveal_individual_number, store_individual_number,
};
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

/// The binary against `test`'s database with its master key.
fn kiban_keyed(test: &TestDatabase, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiban"))
        .arg("--database-url")
        .arg(&test.url)
        .args(args)
        .env("KIBAN_MASTER_KEY", test.master_key.to_hex().as_str())
        .output()
        .unwrap()
}

fn ok_keyed(test: &TestDatabase, args: &[&str]) -> String {
    let out = kiban_keyed(test, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused_keyed(test: &TestDatabase, args: &[&str]) -> String {
    let out = kiban_keyed(test, args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The 個人番号 stored at the source: every version's number, and each
/// person's current one.
struct Numbers {
    all: Vec<String>,
    current: BTreeMap<u64, String>,
}

/// Stores 個人番号 for 40 persons of the source, the first of them with a
/// second version (a new number).
async fn add_numbers(db: &Database) -> Numbers {
    let code = MunicipalityCode::parse(SOURCE).unwrap();
    let tenant = db.tenant(code).await.unwrap();
    let mut tx = tenant.begin().await.unwrap();
    let rows = tx
        .fetch_all(
            "SELECT person_id, last_movement_id FROM persons WHERE municipality_code = $1 \
             ORDER BY person_id LIMIT 40",
            &[],
        )
        .await
        .unwrap();
    let mut numbers = Numbers {
        all: Vec::new(),
        current: BTreeMap::new(),
    };
    for (i, row) in rows.iter().enumerate() {
        let person = u64::try_from(row.int(0).unwrap()).unwrap();
        let movement = MovementId::new(u64::try_from(row.int(1).unwrap()).unwrap());
        let serials: &[u64] = if i == 0 { &[7_000, 7_001] } else { &[i as u64] };
        for serial in serials {
            let number = kiban_demo::individual_number_for(424_242, *serial).unwrap();
            store_individual_number(&mut tx, "test", PersonId::new(person), movement, &number)
                .await
                .unwrap();
            numbers.all.push(number.as_str().to_owned());
            numbers.current.insert(person, number.as_str().to_owned());
        }
    }
    tx.commit().await.unwrap();
    numbers
}

/// Fails if any file of `dir` holds one of `numbers` in plain text.
fn assert_no_plain_numbers(dir: &Path, numbers: &Numbers) {
    for (name, bytes) in read_dir(dir) {
        for number in &numbers.all {
            assert!(
                !bytes.windows(12).any(|w| w == number.as_bytes()),
                "{name} holds a 個人番号 in plain text"
            );
        }
    }
}

/// The access-log details of `action` in `code`, oldest first.
async fn details(db: &Database, code: &str, action: &str) -> Vec<String> {
    let tenant = db
        .tenant(MunicipalityCode::parse(code).unwrap())
        .await
        .unwrap();
    let mut tx = tenant.begin_read().await.unwrap();
    let rows = tx
        .fetch_all(
            "SELECT detail FROM audit_log WHERE municipality_code = $1 AND action = $2 \
             ORDER BY entry_id",
            &[kiban_store::Arg::from(action)],
        )
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    rows.iter().map(|r| r.text(0).unwrap()).collect()
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
    let today = kiban_core::today_in_japan();
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

/// The source with 個人番号 stored for some of its persons.
async fn source_with_numbers(backend: Backend) -> (TestDatabase, Numbers) {
    let test = source(backend).await;
    let numbers = add_numbers(&test.db).await;
    (test, numbers)
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
        // 個人番号 travel only encrypted, on request.
        let numbers = EXCLUDED
            .iter()
            .find(|e| e.table == "individual_numbers")
            .unwrap();
        assert!(numbers.reason.contains("--recipient"), "{}", numbers.reason);
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
        let (test, numbers) = source_with_numbers(backend).await;
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
        // Without --recipient no 個人番号 leaves, and the manifest says so.
        assert_eq!(manifest.individual_numbers, IndividualNumbers::default());
        let manifest_text = String::from_utf8_lossy(&files[MANIFEST_FILE]).into_owned();
        assert!(
            manifest_text.contains("\"individual_numbers\": \"not_exported\""),
            "{manifest_text}"
        );
        assert!(!files.contains_key(INDIVIDUAL_NUMBERS_FILE));
        assert_no_plain_numbers(&first, &numbers);
        let exports = details(&test.db, SOURCE, "export").await;
        assert!(
            exports
                .last()
                .unwrap()
                .ends_with(" individual_numbers=not_exported"),
            "{exports:?}"
        );
        import_and_reexport(&test, &first, &second);
        assert_same_except_import(&first, &second);
        let imports = details(&test.db, TARGET, "bulk_register").await;
        assert!(
            imports
                .last()
                .unwrap()
                .ends_with(" individual_numbers=not_exported"),
            "{imports:?}"
        );
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

/// Decrypts an `individual_numbers.csv.age` with `identity`.
fn decrypt(path: &Path, identity: &age::x25519::Identity) -> Vec<u8> {
    age::decrypt(identity, &std::fs::read(path).unwrap()).unwrap()
}

/// A new age key pair: the identity, its file in `dir`, and the recipient.
fn key_pair(dir: &Path, name: &str) -> (age::x25519::Identity, PathBuf, String) {
    let identity = age::x25519::Identity::generate();
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join(name);
    std::fs::write(
        &file,
        format!(
            "# created: test\n{}\n",
            identity.to_string().expose_secret()
        ),
    )
    .unwrap();
    let recipient = identity.to_public().to_string();
    (identity, file, recipient)
}

/// The 個人番号 leave only encrypted to the recipient, and arrive whole in
/// another municipality on the other engine (SQLite → PostgreSQL and
/// PostgreSQL → SQLite): masked on read, the original on reveal, every
/// version kept; no file of the export holds a number in plain text; both
/// access logs say what happened.
#[tokio::test]
async fn individual_numbers_travel_encrypted_to_the_recipient_across_engines() {
    let keys = scratch("keys");
    let (identity, identity_file, recipient) = key_pair(&keys, "receiver.key");
    for (from, to) in [
        (Backend::Sqlite, Backend::Postgres),
        (Backend::Postgres, Backend::Sqlite),
    ] {
        let (test, numbers) = source_with_numbers(from).await;
        let dir = scratch(&format!("numbers-{}", from.name()));
        ok_keyed(
            &test,
            &[
                "export",
                "--municipality",
                SOURCE,
                "--out",
                dir.to_str().unwrap(),
                "--recipient",
                &recipient,
            ],
        );
        let manifest = Manifest::parse(&std::fs::read(dir.join(MANIFEST_FILE)).unwrap()).unwrap();
        match &manifest.individual_numbers {
            IndividualNumbers::Encrypted(n) => {
                assert_eq!(n.file, INDIVIDUAL_NUMBERS_FILE);
                assert_eq!(n.encryption, "age-x25519");
                assert_eq!(n.recipient, recipient);
            }
            other => panic!("{other:?}"),
        }
        let listed = manifest.file(INDIVIDUAL_NUMBERS_FILE).unwrap();
        assert_eq!(listed.rows, numbers.all.len() as u64);
        let encrypted = std::fs::read(dir.join(INDIVIDUAL_NUMBERS_FILE)).unwrap();
        assert_eq!(listed.sha256, hex::encode(Sha256::digest(&encrypted)));
        assert_no_plain_numbers(&dir, &numbers);
        // Only the recipient reads them: person, version, movement, number, time.
        let plain =
            String::from_utf8(decrypt(&dir.join(INDIVIDUAL_NUMBERS_FILE), &identity)).unwrap();
        let mut lines = plain.split("\r\n");
        assert_eq!(
            lines.next(),
            Some("person_id,version,movement_id,individual_number,recorded_at")
        );
        assert_eq!(plain.matches("\r\n").count(), numbers.all.len() + 1);
        for number in &numbers.all {
            assert!(plain.contains(&format!(",{number},")));
        }
        let exports = details(&test.db, SOURCE, "export").await;
        let fingerprint = hex::encode(Sha256::digest(recipient.as_bytes()));
        assert!(
            exports.last().unwrap().ends_with(&format!(
                " individual_numbers={} recipient_fingerprint=sha256:{fingerprint}",
                numbers.all.len()
            )),
            "{exports:?}"
        );
        for detail in &exports {
            assert!(!detail.contains(&recipient), "{detail}");
        }

        let target = TestDatabase::new(to).await.unwrap();
        ok(
            &target.url,
            &[
                "municipality",
                "create",
                "--code",
                TARGET,
                "--name",
                "複製市",
            ],
        );
        ok_keyed(
            &target,
            &[
                "import",
                "--municipality",
                TARGET,
                "--in",
                dir.to_str().unwrap(),
                "--identity",
                identity_file.to_str().unwrap(),
            ],
        );
        assert_eq!(
            ok(&target.url, &["audit", "verify", "--municipality", TARGET]).trim(),
            "intact"
        );
        let imports = details(&target.db, TARGET, "bulk_register").await;
        assert!(
            imports
                .last()
                .unwrap()
                .ends_with(&format!(" individual_numbers={}", numbers.all.len())),
            "{imports:?}"
        );
        let tenant = target
            .db
            .tenant(MunicipalityCode::parse(TARGET).unwrap())
            .await
            .unwrap();
        let clerk = Actor {
            purpose: Some("移行確認".to_owned()),
            ..Actor::new("clerk", "registry_clerk")
        };
        for (person, number) in &numbers.current {
            let masked = masked_individual_number(&tenant, &clerk, PersonId::new(*person))
                .await
                .unwrap();
            assert_eq!(masked, Some(Some(format!("********{}", &number[8..]))));
            let revealed = reveal_individual_number(&tenant, &clerk, PersonId::new(*person))
                .await
                .unwrap();
            match revealed {
                Revealed::Number(n) => assert_eq!(n.as_str(), number),
                other => panic!("{person}: {other:?}"),
            }
            // Searchable by its keyed hash under the target's keys.
            let found = persons_with_individual_number(
                &tenant,
                &kiban_core::IndividualNumber::parse(number).unwrap(),
            )
            .await
            .unwrap();
            assert_eq!(found, vec![PersonId::new(*person)]);
        }
        // A re-export from the target, to the same recipient, carries the
        // same numbers, every version.
        let again = scratch(&format!("numbers-again-{}", to.name()));
        ok_keyed(
            &target,
            &[
                "export",
                "--municipality",
                TARGET,
                "--out",
                again.to_str().unwrap(),
                "--recipient",
                &recipient,
            ],
        );
        assert_no_plain_numbers(&again, &numbers);
        assert_eq!(
            String::from_utf8(decrypt(&again.join(INDIVIDUAL_NUMBERS_FILE), &identity)).unwrap(),
            plain
        );
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&again);
        target.cleanup().await.unwrap();
        test.cleanup().await.unwrap();
    }
    let _ = std::fs::remove_dir_all(&keys);
}

/// Counts the target's rows in every exported table and in
/// `individual_numbers`: all zero after a refused import.
async fn assert_target_empty(db: &Database, what: &str) {
    let tenant = db
        .tenant(MunicipalityCode::parse(TARGET).unwrap())
        .await
        .unwrap();
    let mut tx = tenant.begin_read().await.unwrap();
    for table in ENTITIES
        .iter()
        .map(|e| e.table)
        .chain(["individual_numbers", "tenant_keys"])
    {
        let row = tx
            .fetch_optional(
                &format!("SELECT COUNT(*) FROM {table} WHERE municipality_code = $1"),
                &[],
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.int(0).unwrap(), 0, "{what}: {table} not empty");
    }
    tx.rollback().await.unwrap();
}

/// Re-encrypts the numbers file of `dir` to `recipient` after `edit` of its
/// CSV, and updates the manifest's digest (so that only the content is
/// wrong).
fn edit_numbers(dir: &Path, identity: &age::x25519::Identity, edit: impl Fn(&str) -> String) {
    let path = dir.join(INDIVIDUAL_NUMBERS_FILE);
    let plain = String::from_utf8(decrypt(&path, identity)).unwrap();
    let edited = edit(&plain);
    assert_ne!(edited, plain);
    let encrypted = age::encrypt(&identity.to_public(), edited.as_bytes()).unwrap();
    std::fs::write(&path, &encrypted).unwrap();
    update_digest(dir, &encrypted);
}

fn update_digest(dir: &Path, encrypted: &[u8]) {
    let manifest_path = dir.join(MANIFEST_FILE);
    let mut manifest = Manifest::parse(&std::fs::read(&manifest_path).unwrap()).unwrap();
    for f in &mut manifest.files {
        if f.file == INDIVIDUAL_NUMBERS_FILE {
            f.sha256 = hex::encode(Sha256::digest(encrypted));
        }
    }
    std::fs::write(&manifest_path, manifest.to_json().unwrap()).unwrap();
}

/// The second field of the CSV's line `line` (1 = header) replaced.
fn replace_field(plain: &str, line: usize, field: usize, value: impl Fn(&str) -> String) -> String {
    plain
        .split("\r\n")
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == line {
                l.split(',')
                    .enumerate()
                    .map(|(j, f)| if j == field { value(f) } else { f.to_owned() })
                    .collect::<Vec<_>>()
                    .join(",")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Refusals, each exit 2 naming what is wrong, never a number, and nothing
/// imported: an export holding 個人番号 without `--identity`, with the wrong
/// identity, a missing identity file, an altered file, a number with a bad
/// check digit, a number for a person not in the export; `--identity` for
/// an export without numbers; a bad `--recipient`; no master key.
#[tokio::test]
async fn individual_number_refusals_name_the_problem_and_import_nothing() {
    let (test, numbers) = source_with_numbers(Backend::Sqlite).await;
    let keys = scratch("refusal-keys");
    let (identity, identity_file, recipient) = key_pair(&keys, "receiver.key");
    let (_, other_identity_file, _) = key_pair(&keys, "other.key");
    let good = scratch("numbers-good");
    ok_keyed(
        &test,
        &[
            "export",
            "--municipality",
            SOURCE,
            "--out",
            good.to_str().unwrap(),
            "--recipient",
            &recipient,
        ],
    );
    let plain_export = scratch("numbers-plain");
    ok(
        &test.url,
        &[
            "export",
            "--municipality",
            SOURCE,
            "--out",
            plain_export.to_str().unwrap(),
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
    let identity_arg = identity_file.to_str().unwrap().to_owned();
    let missing_file = keys.join("missing.key").to_str().unwrap().to_owned();
    let other_arg = other_identity_file.to_str().unwrap().to_owned();
    type Case = (&'static str, Spoil, Option<String>, Vec<&'static str>);
    let cases: Vec<Case> = vec![
        (
            "no --identity",
            Box::new(|_: &Path| {}),
            None,
            vec!["--identity", INDIVIDUAL_NUMBERS_FILE, "individual_numbers"],
        ),
        (
            "a missing identity file",
            Box::new(|_: &Path| {}),
            Some(missing_file),
            vec!["--identity", "missing.key"],
        ),
        (
            "another party's identity",
            Box::new(|_: &Path| {}),
            Some(other_arg),
            vec![INDIVIDUAL_NUMBERS_FILE, "--identity", "復号できません"],
        ),
        (
            "an altered file (digest updated too)",
            Box::new(|d: &Path| {
                let path = d.join(INDIVIDUAL_NUMBERS_FILE);
                let mut bytes = std::fs::read(&path).unwrap();
                let last = bytes.len() - 1;
                bytes[last] ^= 1;
                std::fs::write(&path, &bytes).unwrap();
                update_digest(d, &bytes);
            }),
            Some(identity_arg.clone()),
            vec![INDIVIDUAL_NUMBERS_FILE, "改変"],
        ),
        (
            "an altered file (digest not updated)",
            Box::new(|d: &Path| {
                let path = d.join(INDIVIDUAL_NUMBERS_FILE);
                let mut bytes = std::fs::read(&path).unwrap();
                bytes[200] ^= 1;
                std::fs::write(&path, &bytes).unwrap();
            }),
            Some(identity_arg.clone()),
            vec![INDIVIDUAL_NUMBERS_FILE, "SHA-256"],
        ),
    ];
    let mut cases = cases;
    let receiver = identity.clone();
    cases.push((
        "a number whose check digit is wrong",
        Box::new(move |d: &Path| {
            edit_numbers(d, &receiver, |t| {
                replace_field(t, 3, 3, |n| {
                    let last = n.as_bytes()[11] - b'0';
                    format!("{}{}", &n[..11], (last + 1) % 10)
                })
            });
        }),
        Some(identity_arg.clone()),
        vec![
            INDIVIDUAL_NUMBERS_FILE,
            "3行目",
            "individual_number",
            "検査数字",
        ],
    ));
    let receiver = identity.clone();
    cases.push((
        "a number for a person not in the export",
        Box::new(move |d: &Path| {
            edit_numbers(d, &receiver, |t| {
                replace_field(t, 2, 0, |_| "99999999".to_owned())
            });
        }),
        Some(identity_arg.clone()),
        vec![
            INDIVIDUAL_NUMBERS_FILE,
            "2行目",
            "person_id",
            "persons.csv",
            "99999999",
        ],
    ));
    for (what, spoil, identity_arg, expected) in cases {
        let dir = scratch("numbers-bad");
        copy_dir(&good, &dir);
        spoil(&dir);
        let mut args = vec![
            "import",
            "--municipality",
            TARGET,
            "--in",
            dir.to_str().unwrap(),
        ];
        if let Some(file) = &identity_arg {
            args.extend(["--identity", file.as_str()]);
        }
        let message = refused_keyed(&test, &args);
        for part in expected {
            assert!(message.contains(part), "{what}: {part} not in {message}");
        }
        for number in &numbers.all {
            assert!(
                !message.contains(&number[..11]),
                "{what}: a number in {message}"
            );
        }
        assert_target_empty(&test.db, what).await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    // --identity for an export that holds no 個人番号.
    let message = refused_keyed(
        &test,
        &[
            "import",
            "--municipality",
            TARGET,
            "--in",
            plain_export.to_str().unwrap(),
            "--identity",
            &identity_arg,
        ],
    );
    assert!(message.contains("--identity"), "{message}");
    assert!(message.contains("not_exported"), "{message}");
    // No master key: nothing can be sealed (import) or opened (export).
    let message = refused(
        &test.url,
        &[
            "import",
            "--municipality",
            TARGET,
            "--in",
            good.to_str().unwrap(),
            "--identity",
            &identity_arg,
        ],
    );
    assert!(message.contains("マスター鍵"), "{message}");
    assert!(message.contains("KIBAN_MASTER_KEY"), "{message}");
    assert_target_empty(&test.db, "no master key").await;
    let out = scratch("numbers-no-key");
    let message = refused(
        &test.url,
        &[
            "export",
            "--municipality",
            SOURCE,
            "--out",
            out.to_str().unwrap(),
            "--recipient",
            &recipient,
        ],
    );
    assert!(message.contains("マスター鍵"), "{message}");
    assert!(!out.join(MANIFEST_FILE).exists());
    // A recipient that is no age X25519 key (here, a secret key given by
    // mistake: it is not repeated).
    let secret = identity.to_string().expose_secret().to_owned();
    for bad in ["age1notakey", "", secret.as_str()] {
        let message = refused_keyed(
            &test,
            &[
                "export",
                "--municipality",
                SOURCE,
                "--out",
                out.to_str().unwrap(),
                "--recipient",
                bad,
            ],
        );
        assert!(message.contains("--recipient"), "{message}");
        assert!(!message.contains("AGE-SECRET-KEY"), "{message}");
        assert!(!out.exists());
    }
    let _ = std::fs::remove_dir_all(&good);
    let _ = std::fs::remove_dir_all(&plain_export);
    let _ = std::fs::remove_dir_all(&keys);
    test.cleanup().await.unwrap();
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
