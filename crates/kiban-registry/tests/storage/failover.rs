//! Failover on PostgreSQL (ops-v1, "Availability"): a primary and a
//! synchronous standby, two clusters made by the test in a temporary
//! directory on their own ports. Kiban, connected with the multi-host URL
//! (`target_session_attrs=read-write`), records movements; the primary is
//! stopped (immediate: a crash), the standby promoted; the same `Database`
//! carries on without a restart, and every movement acknowledged before
//! the crash is on the new primary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kiban_core::MunicipalityCode;
use kiban_registry::storage::record_movement;
use kiban_store::Database;
use kiban_store::platform::{self, Municipality};

use crate::common::{DEMO, clerk, command, count, d, move_in, person};

/// The binaries of the newest installed PostgreSQL.
fn bin(name: &str) -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<u32> = std::fs::read_dir(root)
        .expect("PostgreSQL's server binaries (scripts/setup.sh installs them)")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    versions.sort_unstable();
    let version = versions.last().expect("an installed PostgreSQL version");
    root.join(version.to_string()).join("bin").join(name)
}

/// Runs a PostgreSQL tool as the `postgres` OS user when the test runs as
/// root (the server refuses to run as root).
fn as_postgres(program: &Path, args: &[&str]) -> std::process::Output {
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let mut cmd = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let out = cmd.args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The two clusters; stopped and removed when dropped, whatever happened.
struct Pair {
    dir: PathBuf,
    primary: PathBuf,
    standby: PathBuf,
    primary_port: u16,
    standby_port: u16,
}

impl Drop for Pair {
    fn drop(&mut self) {
        for data in [&self.primary, &self.standby] {
            if data.join("postmaster.pid").exists() {
                let _ = Command::new("runuser")
                    .args(["-u", "postgres", "--"])
                    .arg(bin("pg_ctl"))
                    .args([
                        "-D",
                        data.to_str().unwrap(),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    ])
                    .output();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(data: &Path, port: u16, socket_dir: &Path) {
    let options = format!("-p {port} -k {}", socket_dir.display());
    as_postgres(
        &bin("pg_ctl"),
        &[
            "-D",
            data.to_str().unwrap(),
            "-l",
            data.with_extension("log").to_str().unwrap(),
            "-o",
            &options,
            "-w",
            "start",
        ],
    );
}

fn make_pair() -> Pair {
    let dir = std::env::temp_dir().join(format!("kiban-failover-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let _ = Command::new("chown")
        .args(["postgres:postgres"])
        .arg(&dir)
        .status();
    let pair = Pair {
        primary: dir.join("primary"),
        standby: dir.join("standby"),
        primary_port: free_port(),
        standby_port: free_port(),
        dir,
    };
    as_postgres(
        &bin("initdb"),
        &[
            "-D",
            pair.primary.to_str().unwrap(),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        ],
    );
    // Synchronous replication: a commit returns once the standby has it.
    let conf = "\nlisten_addresses = '127.0.0.1'\nwal_level = replica\nmax_wal_senders = 4\n\
                synchronous_standby_names = 'standby1'\nsynchronous_commit = on\nfsync = off\n";
    append(&pair.primary.join("postgresql.conf"), conf);
    start(&pair.primary, pair.primary_port, &pair.dir);
    let port = pair.primary_port.to_string();
    as_postgres(
        &bin("pg_basebackup"),
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "-D",
            pair.standby.to_str().unwrap(),
            "-R",
            "-X",
            "stream",
        ],
    );
    append(
        &pair.standby.join("postgresql.auto.conf"),
        &format!(
            "\nprimary_conninfo = 'host=127.0.0.1 port={port} user=postgres application_name=standby1'\n"
        ),
    );
    start(&pair.standby, pair.standby_port, &pair.dir);
    pair
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

async fn wait_for_sync(port: u16) {
    let started = Instant::now();
    loop {
        let out = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "-Atc",
            ])
            .arg("SELECT sync_state FROM pg_stat_replication")
            .output()
            .unwrap();
        if String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|s| s == "sync")
        {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "standby never in sync"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_to_the_synchronous_standby_loses_no_acknowledged_movement() {
    let pair = make_pair();
    let url = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/postgres?target_session_attrs=read-write",
        pair.primary_port, pair.standby_port
    );
    let db = Database::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    wait_for_sync(pair.primary_port).await;
    let code = MunicipalityCode::parse(DEMO).unwrap();
    platform::create_municipality(
        &db,
        &Municipality {
            code,
            name: "デモ市".into(),
            prefecture: "東京都".into(),
        },
    )
    .await
    .unwrap();
    let tenant = db.tenant(code).await.unwrap();
    let actor = clerk();
    let today = d("2026-03-01");

    let mut acknowledged = 0i64;
    let mut failed = 0i64;
    let movement = |i: i64| {
        command(
            "2026-02-01",
            "2026-02-02",
            move_in(
                vec![person(
                    "山田 太郎",
                    "ヤマダ タロウ",
                    "1980-04-01",
                    "male",
                    "head",
                )],
                &format!("デモ市中央一丁目{i}番"),
                None,
            ),
        )
    };
    for i in 0..20 {
        record_movement(&tenant, &actor, movement(i), today)
            .await
            .unwrap();
        acknowledged += 1;
    }

    // The primary crashes while movements go on; the standby is promoted.
    let promoted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let tenant = tenant.clone();
        let actor = actor.clone();
        let promoted = promoted.clone();
        tokio::spawn(async move {
            let (mut ok, mut ok_after, mut errors) = (0i64, 0i64, 0i64);
            let mut first_after = None;
            let started = Instant::now();
            let mut i = 1_000;
            // Until 20 movements went through after the promotion.
            while ok_after < 20 && started.elapsed() < Duration::from_secs(90) {
                i += 1;
                let after = promoted.load(std::sync::atomic::Ordering::SeqCst);
                let recorded = tokio::time::timeout(
                    Duration::from_secs(20),
                    record_movement(&tenant, &actor, movement(i), today),
                )
                .await;
                match recorded {
                    Ok(Ok(_)) => {
                        ok += 1;
                        ok_after += i64::from(after);
                        if after && first_after.is_none() {
                            first_after = Some(Instant::now());
                        }
                    }
                    Ok(Err(_)) | Err(_) => {
                        errors += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            (ok, ok_after, errors, first_after)
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let crashed = Instant::now();
    as_postgres(
        &bin("pg_ctl"),
        &[
            "-D",
            pair.primary.to_str().unwrap(),
            "-m",
            "immediate",
            "-w",
            "stop",
        ],
    );
    as_postgres(
        &bin("pg_ctl"),
        &["-D", pair.standby.to_str().unwrap(), "-w", "promote"],
    );
    // The new primary has no standby yet: it stops waiting for one (as the
    // runbook says; until a new standby is attached, a commit is on one
    // server only).
    let out = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &pair.standby_port.to_string(),
            "-U",
            "postgres",
        ])
        .args(["-c", "ALTER SYSTEM SET synchronous_standby_names = ''"])
        .args(["-c", "SELECT pg_reload_conf()"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    promoted.store(true, std::sync::atomic::Ordering::SeqCst);
    let (ok, ok_after, errors, first_after) = writer.await.unwrap();
    acknowledged += ok;
    failed += errors;
    assert_eq!(
        ok_after, 20,
        "Kiban did not carry on after the failover ({errors} errors)"
    );

    // Every acknowledged movement is on the new primary. One more may be
    // there: the movement in flight when the primary crashed, committed on
    // the standby before its answer was lost (its clerk saw an error).
    let on_new_primary = count(&tenant, "movements").await;
    assert!(
        (acknowledged..=acknowledged + 1).contains(&on_new_primary),
        "{acknowledged} acknowledged, {failed} failed, {on_new_primary} stored"
    );
    eprintln!(
        "failover: {acknowledged} movements acknowledged, {failed} refused while no primary, \
         {on_new_primary} on the new primary; first movement on the new primary {:?} after the crash \
         (promotion included)",
        first_after.map(|t| t.duration_since(crashed))
    );
    db.close().await;
    drop(pair);
}
