//! Backups, restores and restore drills on the real engines: a SQLite file
//! copied while open, and a PostgreSQL cluster of the test's own (initdb
//! in a temporary directory, its own port, WAL archived by pgBackRest into
//! a repository of its own), restored to a moment in time.
#![expect(clippy::unwrap_used, reason = "test fixtures panic on broken setup")]
#![expect(clippy::expect_used, reason = "test fixtures name what is missing")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MASTER_KEY: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn kiban(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiban"))
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env("KIBAN_MASTER_KEY", MASTER_KEY)
        .env_remove("KIBAN_MASTER_KEY_FILE")
        .env_remove("KIBAN_PGBACKREST_CONFIG")
        .env_remove("KIBAN_PGBACKREST_STANZA")
        .output()
        .unwrap()
}

/// Runs `kiban`, failing the test with its messages unless it succeeds;
/// returns its standard output.
fn ok(url: &str, args: &[&str]) -> String {
    let output = kiban(url, args);
    assert!(
        output.status.success(),
        "kiban {args:?} failed: {}{}",
        text(&output.stderr),
        text(&output.stdout)
    );
    text(&output.stdout)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("kiban-backup-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The manifest's municipalities (counts and chain heads).
fn municipalities(dir: &Path) -> serde_json::Value {
    let manifest = json(&std::fs::read_to_string(dir.join("manifest.json")).unwrap());
    manifest["municipalities"].clone()
}

fn populate(url: &str) {
    ok(url, &["migrate"]);
    ok(
        url,
        &[
            "municipality",
            "create",
            "--code",
            "990019",
            "--name",
            "デモ市",
            "--prefecture",
            "東京都",
        ],
    );
    ok(
        url,
        &[
            "demo",
            "generate",
            "--municipality",
            "990019",
            "--residents",
            "40",
            "--no-income",
        ],
    );
}

async fn drills(url: &str) -> Vec<(String, String)> {
    let db = kiban_store::Database::connect(url).await.unwrap();
    let drills = kiban_store::backup::restore_drills(&db).await.unwrap();
    db.close().await;
    drills
}

#[tokio::test]
async fn a_sqlite_backup_restores_the_same_counts_and_chain() {
    let s = Scratch::new("sqlite");
    let live = format!("sqlite://{}", s.path("live.db").display());
    populate(&live);

    let backup = s.path("backup");
    let created = json(&ok(
        &live,
        &["backup", "create", "--out", backup.to_str().unwrap()],
    ));
    assert_eq!(created["database"], "sqlite");
    let manifest = json(&std::fs::read_to_string(backup.join("manifest.json")).unwrap());
    assert_eq!(manifest["database"], "sqlite");
    assert_eq!(manifest["files"][0]["path"], "kiban.db");
    assert!(manifest["schema_version"].as_i64().unwrap() >= 22);
    let counted = &manifest["municipalities"][0];
    assert_eq!(counted["code"], "990019");
    assert!(counted["tables"]["persons"].as_i64().unwrap() >= 40);
    assert_eq!(counted["audit_head"].as_str().unwrap().len(), 64);

    // A second backup into the same directory is refused.
    let again = kiban(
        &live,
        &["backup", "create", "--out", backup.to_str().unwrap()],
    );
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));

    // Restored into a new file: the same counts and chain head, and the
    // chain verifies.
    let restored = format!("sqlite://{}", s.path("restored.db").display());
    ok(
        &restored,
        &["backup", "restore", "--from", backup.to_str().unwrap()],
    );
    let again_dir = s.path("backup-of-restored");
    ok(
        &restored,
        &["backup", "create", "--out", again_dir.to_str().unwrap()],
    );
    assert_eq!(municipalities(&again_dir), municipalities(&backup));
    let verified = ok(&restored, &["audit", "verify", "--municipality", "990019"]);
    assert_eq!(verified.trim(), "intact");

    // A file that is not empty is refused.
    let refused = kiban(
        &restored,
        &["backup", "restore", "--from", backup.to_str().unwrap()],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("空ではありません"));

    // The drill passes, and the live database keeps its report.
    let report = json(&ok(
        &live,
        &["ops", "restore-drill", "--from", backup.to_str().unwrap()],
    ));
    assert_eq!(report["status"], "passed", "{report}");
    assert_eq!(report["municipalities"], 1);
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for name in [
        "sha256",
        "restore",
        "municipalities",
        "audit_chain 990019",
        "row_counts 990019",
        "person_reads 990019",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let recorded = drills(&live).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].1, "passed");
    let db = kiban_store::Database::connect(&live).await.unwrap();
    let backups = kiban_store::backup::backups(&db).await.unwrap();
    db.close().await;
    // The failed second attempt was refused before it started.
    assert_eq!(backups.len(), 1);
    assert_eq!(backups[0].1, "succeeded");
}

#[tokio::test]
async fn a_corrupted_backup_fails_the_drill() {
    let s = Scratch::new("corrupt");
    let live = format!("sqlite://{}", s.path("live.db").display());
    populate(&live);
    let backup = s.path("backup");
    ok(
        &live,
        &["backup", "create", "--out", backup.to_str().unwrap()],
    );
    // One byte of the copy changed.
    let file = backup.join("kiban.db");
    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&file, bytes).unwrap();

    let drill = kiban(
        &live,
        &["ops", "restore-drill", "--from", backup.to_str().unwrap()],
    );
    assert_eq!(drill.status.code(), Some(1), "{}", text(&drill.stderr));
    let report = json(&text(&drill.stdout));
    assert_eq!(report["status"], "failed");
    assert_eq!(report["checks"][0]["name"], "sha256");
    assert_eq!(report["checks"][0]["status"], "failed");
    assert!(
        report["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("kiban.db")
    );
    let recorded = drills(&live).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].1, "failed");
}

// ------------------------------------------------------------ PostgreSQL

/// The PostgreSQL binaries of the installed server.
fn postgres_bin() -> PathBuf {
    let versions = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed (/usr/lib/postgresql): run scripts/setup.sh");
    let mut found: Vec<PathBuf> = versions
        .map(|e| e.unwrap().path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    found.sort();
    found
        .pop()
        .expect("no initdb under /usr/lib/postgresql/*/bin: run scripts/setup.sh")
}

fn require_pgbackrest() {
    let found = Command::new("pgbackrest").arg("version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "pgbackrest is not installed: run scripts/setup.sh (it installs Debian's pgbackrest)"
    );
}

fn as_postgres(program: &Path) -> Command {
    let mut command = Command::new("runuser");
    command.args(["-u", "postgres", "--"]).arg(program);
    command
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        text(&output.stderr),
        text(&output.stdout)
    );
    text(&output.stdout)
}

/// A PostgreSQL cluster of the test's own, archiving its WAL through
/// pgBackRest into a repository under the same directory; stopped and
/// removed when dropped, also when the test fails.
struct TestCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl TestCluster {
    fn start() -> Self {
        let bin = postgres_bin();
        require_pgbackrest();
        let dir = std::env::temp_dir().join(format!("kiban-backup-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let cluster = Self {
            dir,
            bin,
            port: free_port(),
        };
        let dir = &cluster.dir;
        run(Command::new("chown")
            .arg("-R")
            .arg("postgres:postgres")
            .arg(dir));
        let config = cluster.config();
        std::fs::write(
            &config,
            format!(
                "[global]\nrepo1-path={repo}\nrepo1-retention-full=9\nstart-fast=y\n\
                 log-level-console=warn\nlog-level-file=off\n\n\
                 [kiban]\npg1-path={data}\npg1-port={port}\n\
                 pg1-socket-path={dir}\n",
                repo = dir.join("repo").display(),
                data = cluster.data().display(),
                port = cluster.port,
                dir = dir.display(),
            ),
        )
        .unwrap();
        run(as_postgres(&cluster.bin.join("initdb"))
            .arg("-D")
            .arg(cluster.data())
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]));
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(cluster.data().join("postgresql.conf"))
            .unwrap();
        std::io::Write::write_all(
            &mut conf,
            format!(
                "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{dir}'\n\
                 wal_level = replica\narchive_mode = on\n\
                 archive_command = 'pgbackrest --config={config} --stanza=kiban archive-push %p'\n\
                 fsync = off\n",
                port = cluster.port,
                dir = dir.display(),
                config = config.display(),
            )
            .as_bytes(),
        )
        .unwrap();
        run(as_postgres(&cluster.bin.join("pg_ctl"))
            .arg("-D")
            .arg(cluster.data())
            .arg("-l")
            .arg(dir.join("server.log"))
            .args(["-w", "start"]));
        run(Command::new("runuser")
            .args(["-u", "postgres", "--", "pgbackrest"])
            .arg(format!("--config={}", config.display()))
            .args(["--stanza=kiban", "stanza-create"]));
        cluster.sql("postgres", "CREATE DATABASE kiban");
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn config(&self) -> PathBuf {
        self.dir.join("pgbackrest.conf")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/kiban", self.port)
    }

    /// One statement through psql on this cluster's `database`; its
    /// output.
    fn sql(&self, database: &str, statement: &str) -> String {
        sql_on(self.port, database, statement)
    }
}

fn sql_on(port: u16, database: &str, statement: &str) -> String {
    run(Command::new(postgres_bin().join("psql"))
        .args(["-h", "127.0.0.1", "-U", "postgres", "-Atq", "-p"])
        .arg(port.to_string())
        .args(["-d", database, "-c", statement]))
    .trim()
    .to_owned()
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A cluster started by `kiban backup restore`: stopped when dropped.
struct Restored {
    data: PathBuf,
}

impl Drop for Restored {
    fn drop(&mut self) {
        if self.data.join("postmaster.pid").exists() {
            let _ = kiban(
                "sqlite://unused",
                &[
                    "backup",
                    "stop-restored",
                    "--pg-data-dir",
                    self.data.to_str().unwrap(),
                ],
            );
        }
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

#[tokio::test]
async fn a_postgres_backup_restores_to_a_moment_in_time() {
    let cluster = TestCluster::start();
    let url = cluster.url();
    populate(&url);
    let config = cluster.config();
    let pgbackrest = [
        "--pgbackrest-config",
        config.to_str().unwrap(),
        "--stanza",
        "kiban",
    ];
    let first = cluster.dir.join("backup-1");
    let mut create = vec!["backup", "create", "--out", first.to_str().unwrap()];
    create.extend(pgbackrest);
    let created = json(&ok(&url, &create));
    assert_eq!(created["database"], "postgres");
    let manifest = json(&std::fs::read_to_string(first.join("manifest.json")).unwrap());
    assert_eq!(manifest["database"], "postgres");
    // The manifest's moment is a restore point written with its census.
    let postgres = json(&std::fs::read_to_string(first.join("postgres.json")).unwrap());
    assert!(
        postgres["restore_point"]
            .as_str()
            .unwrap()
            .starts_with("kiban-")
    );
    let persons = manifest["municipalities"][0]["tables"]["persons"]
        .as_i64()
        .unwrap();
    assert!(persons >= 40);

    // pgBackRest picks the base backup for a moment by whole seconds: the
    // moment must fall in a later second than the one the backup ended in.
    let ended = cluster.sql(
        "kiban",
        "SELECT floor(extract(epoch FROM clock_timestamp()))",
    );
    while cluster.sql(
        "kiban",
        "SELECT floor(extract(epoch FROM clock_timestamp()))",
    ) == ended
    {
        std::thread::yield_now();
    }
    // Before the moment: a second municipality; after it: its residents.
    ok(
        &url,
        &[
            "municipality",
            "create",
            "--code",
            "131016",
            "--name",
            "千代田区",
            "--prefecture",
            "東京都",
        ],
    );
    let moment = cluster.sql(
        "kiban",
        "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
    );
    ok(
        &url,
        &[
            "demo",
            "generate",
            "--municipality",
            "131016",
            "--residents",
            "5",
            "--no-income",
        ],
    );
    // The second backup is taken while a third municipality's residents
    // are being registered: the drill below must still find the counts of
    // the manifest's moment.
    ok(
        &url,
        &[
            "municipality",
            "create",
            "--code",
            "011002",
            "--name",
            "札幌市",
            "--prefecture",
            "北海道",
        ],
    );
    let mut writer = Command::new(env!("CARGO_BIN_EXE_kiban"))
        .arg("--database-url")
        .arg(&url)
        .args([
            "demo",
            "generate",
            "--municipality",
            "011002",
            "--residents",
            "400",
            "--no-income",
        ])
        .env("KIBAN_MASTER_KEY", MASTER_KEY)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let second = cluster.dir.join("backup-2");
    let mut create = vec!["backup", "create", "--out", second.to_str().unwrap()];
    create.extend(pgbackrest);
    ok(&url, &create);
    assert!(writer.wait().unwrap().success());

    // A local time without a zone is refused.
    let restored = Restored {
        data: cluster.dir.join("restored"),
    };
    let zoneless = kiban(
        &url,
        &[
            "backup",
            "restore",
            "--from",
            second.to_str().unwrap(),
            "--pg-data-dir",
            restored.data.to_str().unwrap(),
            "--pg-port",
            "1",
            "--until",
            "2026-12-07T10:00:00",
        ],
    );
    assert_eq!(zoneless.status.code(), Some(2));
    assert!(text(&zoneless.stderr).contains("--until"));

    // Restored to the moment: the municipality is there, its residents
    // written after the moment are not.
    let port = free_port();
    let answer = json(&ok(
        &url,
        &[
            "backup",
            "restore",
            "--from",
            second.to_str().unwrap(),
            "--pg-data-dir",
            restored.data.to_str().unwrap(),
            "--pg-port",
            &port.to_string(),
            "--until",
            &moment,
        ],
    ));
    assert_eq!(
        answer["database_url"],
        format!("postgres://postgres@127.0.0.1:{port}/kiban")
    );
    let count = |code: &str| {
        sql_on(
            port,
            "kiban",
            &format!("SELECT COUNT(*) FROM persons WHERE municipality_code = '{code}'"),
        )
    };
    assert_eq!(
        sql_on(
            port,
            "kiban",
            "SELECT COUNT(*) FROM municipalities WHERE municipality_code = '131016'"
        ),
        "1"
    );
    assert_eq!(count("131016"), "0");
    // The restored copy does not archive into its source's stanza.
    assert_eq!(sql_on(port, "kiban", "SHOW archive_mode"), "off");
    assert_eq!(count("990019"), persons.to_string());
    // A directory that is not empty is refused.
    let busy = kiban(
        &url,
        &[
            "backup",
            "restore",
            "--from",
            second.to_str().unwrap(),
            "--pg-data-dir",
            restored.data.to_str().unwrap(),
            "--pg-port",
            &free_port().to_string(),
        ],
    );
    assert_eq!(busy.status.code(), Some(2));
    ok(
        &url,
        &[
            "backup",
            "stop-restored",
            "--pg-data-dir",
            restored.data.to_str().unwrap(),
        ],
    );

    // The drill restores the latest base backup into a cluster of its own
    // and checks it; the report is kept in the live database.
    let report = json(&ok(
        &url,
        &["ops", "restore-drill", "--from", second.to_str().unwrap()],
    ));
    assert_eq!(report["status"], "passed", "{report}");
    assert_eq!(report["municipalities"], 3);
    let recorded = drills(&url).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].1, "passed");
}

/// A cluster not set up for backups is named as such, before anything is
/// recorded or written.
#[tokio::test]
async fn a_postgres_backup_says_what_is_missing() {
    let t = kiban_store::testing::TestDatabase::new(kiban_store::Backend::Postgres)
        .await
        .unwrap();
    let s = Scratch::new("missing");
    let out = s.path("backup");
    let missing = s.path("no-such.conf");
    let refused = kiban(
        &t.url,
        &[
            "backup",
            "create",
            "--out",
            out.to_str().unwrap(),
            "--pgbackrest-config",
            missing.to_str().unwrap(),
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    let message = text(&refused.stderr);
    assert!(
        message.contains("--pgbackrest-config") && message.contains("scripts/setup-backup.sh"),
        "{message}"
    );
    assert!(!out.exists());
    assert!(
        kiban_store::backup::backups(&t.db)
            .await
            .unwrap()
            .is_empty()
    );
    t.cleanup().await.unwrap();
}
