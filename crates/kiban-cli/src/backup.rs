//! Backups (バックアップ), restores and restore drills (リストア訓練) of the
//! whole database, every municipality at once (contract `ops-v1`,
//! "Backups").
//!
//! SQLite: `VACUUM INTO` writes a transactionally consistent copy of the
//! live database (`DIR/kiban.db`); the manifest's counts and chain heads
//! are read from that copy, so they describe exactly what it holds.
//!
//! PostgreSQL: pgBackRest. The cluster archives its WAL continuously into
//! the standing repository of its stanza (set up by
//! `scripts/setup-backup.sh`); `backup create` takes a full base backup
//! there and copies the stanza's backup sets and WAL archive into
//! `DIR/repo`, so that `DIR` alone restores any moment from the oldest
//! base backup it holds to the end of the archive copied. The counts and
//! chain heads are read once the base backup is done, in the snapshot of
//! the statement that writes a restore point, to which the drill
//! restores.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use clap::{Args, Subcommand};
use kiban_core::MunicipalityCode;
use kiban_store::backup::{self as store, BackupOutcome, Census};
use kiban_store::{Backend, Database};
use sha2::{Digest, Sha256};

use crate::commands::{CliError, master_key};
use crate::output::{emit, say};

/// Where `scripts/setup-backup.sh` writes pgBackRest's configuration.
pub const DEFAULT_PGBACKREST_CONFIG: &str = "/etc/pgbackrest/pgbackrest.conf";
/// The stanza `scripts/setup-backup.sh` creates for the cluster.
pub const DEFAULT_STANZA: &str = "kiban";
/// The manifest's file name in a backup directory.
const MANIFEST: &str = "manifest.json";
/// The copy of a SQLite database in a backup directory.
const SQLITE_FILE: &str = "kiban.db";
/// What a PostgreSQL backup needs to be restored beyond the manifest
/// (stanza, database name, server version).
const POSTGRES_FILE: &str = "postgres.json";
/// The pgBackRest repository in a PostgreSQL backup directory.
const REPOSITORY: &str = "repo";

/// `kiban backup …`.
#[derive(Subcommand)]
pub enum BackupCommand {
    /// Backs up the whole database (every municipality) while the service
    /// runs, into an empty directory with its manifest.
    Create(CreateArgs),
    /// Restores a backup: SQLite into a new or empty file
    /// (--database-url sqlite://PATH), PostgreSQL into an empty data
    /// directory, then started on --pg-port.
    Restore(RestoreArgs),
    /// Stops a PostgreSQL server started by `kiban backup restore`.
    StopRestored {
        /// The data directory it was restored into.
        #[arg(long)]
        pg_data_dir: PathBuf,
    },
}

/// `kiban backup create`.
#[derive(Args)]
pub struct CreateArgs {
    /// The directory to write (new or empty).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    pgbackrest: PgBackRestArgs,
}

/// Which pgBackRest configuration and stanza a PostgreSQL backup uses.
#[derive(Args)]
pub struct PgBackRestArgs {
    /// PostgreSQL: pgBackRest's configuration file.
    #[arg(long, env = "KIBAN_PGBACKREST_CONFIG", default_value = DEFAULT_PGBACKREST_CONFIG)]
    pgbackrest_config: PathBuf,
    /// PostgreSQL: the pgBackRest stanza of the cluster.
    #[arg(long, env = "KIBAN_PGBACKREST_STANZA", default_value = DEFAULT_STANZA)]
    stanza: String,
}

/// `kiban backup restore`.
#[derive(Args)]
pub struct RestoreArgs {
    /// The backup directory.
    #[arg(long)]
    from: PathBuf,
    /// PostgreSQL: the empty directory to restore the cluster into.
    #[arg(long)]
    pg_data_dir: Option<PathBuf>,
    /// PostgreSQL: the port the restored server listens on (127.0.0.1).
    #[arg(long)]
    pg_port: Option<u16>,
    /// PostgreSQL: the moment to restore (RFC 3339 with a time zone,
    /// inclusive); without it, the end of the archive.
    #[arg(long)]
    until: Option<String>,
}

/// `kiban ops restore-drill`.
#[derive(Args)]
pub struct DrillArgs {
    /// The backup directory.
    #[arg(long)]
    from: PathBuf,
}

pub async fn run(database_url: &str, command: BackupCommand) -> Result<(), CliError> {
    match command {
        BackupCommand::Create(args) => create(database_url, args).await,
        BackupCommand::Restore(args) => restore(database_url, args).await,
        BackupCommand::StopRestored { pg_data_dir } => {
            stop_cluster(&pg_data_dir)?;
            say(&format!(
                "{} の PostgreSQL を停止しました。",
                pg_data_dir.display()
            ));
            Ok(())
        }
    }
}

// ---------------------------------------------------------------- create

async fn create(database_url: &str, args: CreateArgs) -> Result<(), CliError> {
    require_empty_dir("--out", &args.out)?;
    let db = Database::connect(database_url).await?;
    db.require_migrated().await?;
    let engine = db.backend();
    // Checked before anything is recorded: a cluster not set up for
    // backups is a setting to fix, not a failed backup.
    let pg = match engine {
        Backend::Postgres => Some(check_postgres_ready(&db, &args.pgbackrest).await?),
        Backend::Sqlite => None,
    };
    std::fs::create_dir_all(&args.out)?;
    let out = std::fs::canonicalize(&args.out)?;
    let backup_id = new_id();
    store::record_backup_started(&db, &backup_id, engine, &out.display().to_string()).await?;
    let started = Instant::now();
    let result = match &pg {
        None => create_sqlite(&db, &out).await,
        Some(pg) => create_postgres(&db, &out, pg, &backup_id).await,
    };
    match result {
        Ok(summary) => {
            store::record_backup_finished(
                &db,
                &backup_id,
                BackupOutcome::Succeeded,
                &format!(
                    "files={} bytes={} municipalities={} seconds={:.1}",
                    summary.files,
                    summary.bytes,
                    summary.municipalities,
                    started.elapsed().as_secs_f64()
                ),
            )
            .await?;
            db.close().await;
            say(&format!(
                "バックアップを作成しました: {}（{} ファイル、{} バイト、{} 団体）",
                out.display(),
                summary.files,
                summary.bytes,
                summary.municipalities
            ));
            emit(
                &serde_json::json!({
                    "backup_id": backup_id,
                    "database": engine.name(),
                    "out": out.display().to_string(),
                    "files": summary.files,
                    "bytes": summary.bytes,
                    "municipalities": summary.municipalities,
                    "duration_s": round1(started.elapsed().as_secs_f64()),
                })
                .to_string(),
            );
            Ok(())
        }
        Err(e) => {
            let _ =
                store::record_backup_finished(&db, &backup_id, BackupOutcome::Failed, &e.message)
                    .await;
            db.close().await;
            Err(e)
        }
    }
}

struct Summary {
    files: usize,
    bytes: u64,
    municipalities: usize,
}

async fn create_sqlite(db: &Database, out: &Path) -> Result<Summary, CliError> {
    let copy = out.join(SQLITE_FILE);
    store::sqlite_copy_into(db, &copy).await?;
    // The copy holds every resident's data: readable by its owner only.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o600))?;
    }
    let snapshot = store::open_sqlite_copy(&copy).await?;
    let census = store::census(&snapshot).await;
    snapshot.close().await;
    write_manifest(out, Backend::Sqlite, &census?)
}

/// What `backup create` learnt about the cluster while checking it.
struct PostgresSetup {
    config: PathBuf,
    stanza: String,
    repository: PathBuf,
}

/// Checks that the cluster archives its WAL through pgBackRest's stanza,
/// naming exactly what is missing.
async fn check_postgres_ready(
    db: &Database,
    args: &PgBackRestArgs,
) -> Result<PostgresSetup, CliError> {
    const SETUP: &str = "scripts/setup-backup.sh を実行してください";
    if find_program("pgbackrest").is_none() {
        return Err(CliError::invalid(format!(
            "pgbackrest がインストールされていません: {SETUP}"
        )));
    }
    let config_text = std::fs::read_to_string(&args.pgbackrest_config).map_err(|e| {
        CliError::invalid(format!(
            "--pgbackrest-config {}: pgBackRest の設定を読めません（{e}）: {SETUP}",
            args.pgbackrest_config.display()
        ))
    })?;
    let wal_level = store::postgres_setting(db, "wal_level").await?;
    if wal_level == "minimal" {
        return Err(CliError::invalid(format!(
            "wal_level が minimal です（replica 以上が必要）: {SETUP}"
        )));
    }
    let archive_mode = store::postgres_setting(db, "archive_mode").await?;
    if archive_mode != "on" && archive_mode != "always" {
        return Err(CliError::invalid(format!(
            "archive_mode が {archive_mode} です（WAL アーカイブが無効）: {SETUP}"
        )));
    }
    let archive_command = store::postgres_setting(db, "archive_command").await?;
    let stanza_option = format!("--stanza={}", args.stanza);
    if !archive_command.contains("pgbackrest") || !archive_command.contains(&stanza_option) {
        return Err(CliError::invalid(format!(
            "archive_command が pgBackRest のスタンザ {} に WAL を送っていません（現在: '{archive_command}'）: {SETUP}",
            args.stanza
        )));
    }
    let check = pgbackrest(&args.pgbackrest_config, &args.stanza)?
        .arg("check")
        .output()?;
    if !check.status.success() {
        return Err(CliError::invalid(format!(
            "pgbackrest check（スタンザ {}）が失敗しました: {}: {SETUP}",
            args.stanza,
            command_output(&check)
        )));
    }
    Ok(PostgresSetup {
        config: args.pgbackrest_config.clone(),
        stanza: args.stanza.clone(),
        repository: repository_path(&config_text, &args.stanza),
    })
}

async fn create_postgres(
    db: &Database,
    out: &Path,
    pg: &PostgresSetup,
    backup_id: &str,
) -> Result<Summary, CliError> {
    let database = store::postgres_database_name(db).await?;
    let version = store::postgres_setting(db, "server_version_num").await?;
    let major = version.parse::<u32>().map(|v| v / 10_000).unwrap_or(0);
    let backup = pgbackrest(&pg.config, &pg.stanza)?
        .args(["--type=full", "--log-level-console=error", "backup"])
        .output()?;
    if !backup.status.success() {
        return Err(CliError::runtime(format!(
            "pgbackrest backup が失敗しました: {}",
            command_output(&backup)
        )));
    }
    // The manifest's moment: a restore point written once the base backup
    // is done, with the counts and chain heads of the same snapshot; the
    // drill restores exactly to it.
    let restore_point = format!("kiban-{backup_id}");
    let census = store::census_at_restore_point(db, &restore_point).await?;
    // `check` switches to a new WAL segment and waits until the one
    // holding the restore point is archived.
    let archived = pgbackrest(&pg.config, &pg.stanza)?
        .args(["--log-level-console=error", "check"])
        .output()?;
    if !archived.status.success() {
        return Err(CliError::runtime(format!(
            "WAL のアーカイブを確認できません（pgbackrest check）: {}",
            command_output(&archived)
        )));
    }
    // The stanza's backup sets and its WAL archive, as they are now.
    let target = out.join(REPOSITORY);
    for part in ["backup", "archive"] {
        copy_tree(
            &pg.repository.join(part).join(&pg.stanza),
            &target.join(part).join(&pg.stanza),
        )?;
    }
    // The copy keeps the repository's modes (readable by `postgres`
    // only); it is given to `postgres`, which restores from it.
    give_to_postgres_recursively(&target)?;
    let restore_info = serde_json::json!({
        "stanza": pg.stanza,
        "database": database,
        "server_major_version": major,
        "restore_point": restore_point,
    });
    std::fs::write(
        out.join(POSTGRES_FILE),
        serde_json::to_string_pretty(&restore_info).unwrap_or_default() + "\n",
    )?;
    write_manifest(out, Backend::Postgres, &census)
}

/// The repository of `stanza` named by a pgBackRest configuration
/// (`repo1-path` of the stanza's section, else of `[global]`), or
/// pgBackRest's default.
fn repository_path(config: &str, stanza: &str) -> PathBuf {
    let mut section = String::new();
    let mut global = None;
    let mut own = None;
    for line in config.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
        } else if let Some((key, value)) = line.split_once('=')
            && key.trim() == "repo1-path"
        {
            if section == "global" {
                global = Some(value.trim().to_owned());
            } else if section == stanza {
                own = Some(value.trim().to_owned());
            }
        }
    }
    PathBuf::from(
        own.or(global)
            .unwrap_or_else(|| "/var/lib/pgbackrest".to_owned()),
    )
}

/// Copies the regular files under `from` to `to` (symbolic links and
/// pgBackRest's unfinished temporary files left out).
fn copy_tree(from: &Path, to: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(to)?;
    let entries = std::fs::read_dir(from)
        .map_err(|e| CliError::runtime(format!("{}: {e}", from.display())))?;
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        let name = entry.file_name();
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(&name))?;
        } else if kind.is_file() && !name.to_string_lossy().ends_with(".tmp") {
            std::fs::copy(entry.path(), to.join(&name))
                .map_err(|e| CliError::runtime(format!("{}: {e}", entry.path().display())))?;
        }
    }
    Ok(())
}

/// Lists every file of `out` with its digest and size and writes the
/// manifest.
fn write_manifest(out: &Path, engine: Backend, census: &Census) -> Result<Summary, CliError> {
    let files = list_files(out)?;
    let mut listed = Vec::with_capacity(files.len());
    let mut bytes = 0u64;
    for path in &files {
        let (sha256, size) = digest_file(&out.join(path))?;
        bytes += size;
        listed.push(serde_json::json!({"path": path, "sha256": sha256, "bytes": size}));
    }
    let municipalities: Vec<serde_json::Value> = census
        .municipalities
        .iter()
        .map(|m| {
            serde_json::json!({
                "code": m.code,
                "tables": m.tables,
                "audit_head": m.audit_head.as_deref().unwrap_or(kiban_audit::GENESIS_HASH),
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "database": engine.name(),
        "created_at": kiban_store::now_text(),
        "kiban_version": env!("CARGO_PKG_VERSION"),
        "schema_version": census.schema_version,
        "files": listed,
        "municipalities": municipalities,
    });
    crate::output::write_report(&out.join(MANIFEST), &manifest)?;
    Ok(Summary {
        files: files.len(),
        bytes,
        municipalities: census.municipalities.len(),
    })
}

/// Every regular file under `dir` but the manifest, as paths relative to
/// it with `/` between parts, sorted.
fn list_files(dir: &Path) -> Result<Vec<String>, CliError> {
    fn walk(dir: &Path, prefix: &str, found: &mut Vec<String>) -> Result<(), CliError> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            let kind = entry.file_type()?;
            if kind.is_dir() {
                walk(&entry.path(), &path, found)?;
            } else if path != MANIFEST {
                found.push(path);
            }
        }
        Ok(())
    }
    let mut found = Vec::new();
    walk(dir, "", &mut found)?;
    found.sort();
    Ok(found)
}

/// The SHA-256 (hex) and size of a file, read as a stream.
fn digest_file(path: &Path) -> Result<(String, u64), CliError> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| CliError::runtime(format!("{}: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

// ---------------------------------------------------------------- manifest

/// A backup directory's manifest, as far as restores and drills read it.
struct Manifest {
    engine: Backend,
    files: Vec<(String, String, u64)>,
    municipalities: Vec<(String, std::collections::BTreeMap<String, i64>, String)>,
}

fn read_manifest(dir: &Path) -> Result<Manifest, CliError> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| CliError::invalid(format!("--from {}: {e}", path.display())))?;
    let bad = |what: &str| CliError::invalid(format!("{}: {what}", path.display()));
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(&format!("JSONとして読めません（{e}）")))?;
    let engine = match value["database"].as_str() {
        Some("sqlite") => Backend::Sqlite,
        Some("postgres") => Backend::Postgres,
        _ => return Err(bad("database が sqlite でも postgres でもありません")),
    };
    let mut files = Vec::new();
    for file in value["files"]
        .as_array()
        .ok_or_else(|| bad("files がありません"))?
    {
        let (Some(p), Some(s), Some(b)) = (
            file["path"].as_str(),
            file["sha256"].as_str(),
            file["bytes"].as_u64(),
        ) else {
            return Err(bad("files の項目に path・sha256・bytes がありません"));
        };
        if p.split('/').any(|part| part == ".." || part.is_empty()) || p.starts_with('/') {
            return Err(bad(&format!(
                "files の path {p} がディレクトリの外を指しています"
            )));
        }
        files.push((p.to_owned(), s.to_owned(), b));
    }
    let mut municipalities = Vec::new();
    for m in value["municipalities"]
        .as_array()
        .ok_or_else(|| bad("municipalities がありません"))?
    {
        let code = m["code"].as_str().ok_or_else(|| bad("code がありません"))?;
        let tables = m["tables"]
            .as_object()
            .ok_or_else(|| bad("tables がありません"))?
            .iter()
            .map(|(t, n)| (t.clone(), n.as_i64().unwrap_or(-1)))
            .collect();
        let head = m["audit_head"].as_str().unwrap_or_default();
        municipalities.push((code.to_owned(), tables, head.to_owned()));
    }
    Ok(Manifest {
        engine,
        files,
        municipalities,
    })
}

// ---------------------------------------------------------------- restore

async fn restore(database_url: &str, args: RestoreArgs) -> Result<(), CliError> {
    let manifest = read_manifest(&args.from)?;
    match manifest.engine {
        Backend::Sqlite => {
            if args.pg_data_dir.is_some() || args.pg_port.is_some() || args.until.is_some() {
                return Err(CliError::invalid(
                    "--pg-data-dir・--pg-port・--until は PostgreSQL のバックアップにだけ指定できます",
                ));
            }
            let Some(path) = database_url.strip_prefix("sqlite://") else {
                return Err(CliError::invalid(
                    "--database-url: SQLite のバックアップは sqlite://PATH に復元します",
                ));
            };
            let target = PathBuf::from(path);
            restore_sqlite(&args.from, &target)?;
            say(&format!("{} に復元しました。", target.display()));
            emit(&serde_json::json!({"database_url": database_url}).to_string());
            Ok(())
        }
        Backend::Postgres => {
            let data_dir = args.pg_data_dir.ok_or_else(|| {
                CliError::invalid("--pg-data-dir: 復元先の空のディレクトリを指定してください")
            })?;
            let port = args.pg_port.ok_or_else(|| {
                CliError::invalid("--pg-port: 復元したサーバーのポートを指定してください")
            })?;
            let until = args.until.as_deref().map(parse_until).transpose()?;
            let target = match until {
                Some(t) => RecoveryTarget::Time(t),
                None => RecoveryTarget::EndOfArchive,
            };
            let url = restore_postgres(&args.from, &data_dir, port, target).await?;
            say(&format!(
                "{} に復元し、127.0.0.1:{port} で起動しました（停止: kiban backup stop-restored --pg-data-dir {}）。",
                data_dir.display(),
                data_dir.display()
            ));
            emit(
                &serde_json::json!({
                    "database_url": url,
                    "until": until.map(|t| t.to_string()),
                })
                .to_string(),
            );
            Ok(())
        }
    }
}

/// `--until`: RFC 3339 with a time zone (`Z` or an offset).
fn parse_until(text: &str) -> Result<jiff::Timestamp, CliError> {
    text.trim().parse::<jiff::Timestamp>().map_err(|_| {
        CliError::invalid(format!(
            "--until {text}: タイムゾーン付きの RFC 3339 の日時を指定してください（例: 2026-12-07T10:00:00+09:00）"
        ))
    })
}

/// Copies the backup's SQLite file to `target`, which must not exist or be
/// empty.
fn restore_sqlite(from: &Path, target: &Path) -> Result<(), CliError> {
    if std::fs::metadata(target).is_ok_and(|m| m.len() > 0) {
        return Err(CliError::invalid(format!(
            "--database-url: {} は空ではありません（新しいファイルか空のファイルに復元します）",
            target.display()
        )));
    }
    for suffix in ["-wal", "-shm"] {
        let mut side = target.as_os_str().to_owned();
        side.push(suffix);
        if Path::new(&side).exists() {
            return Err(CliError::invalid(format!(
                "--database-url: {} が残っています",
                Path::new(&side).display()
            )));
        }
    }
    if let Some(parent) = target.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::copy(from.join(SQLITE_FILE), target)
        .map_err(|e| CliError::runtime(format!("{}: {e}", from.join(SQLITE_FILE).display())))?;
    Ok(())
}

/// Where the recovery of a restored cluster stops.
#[derive(Debug, Clone, Copy)]
enum RecoveryTarget {
    /// At this moment, inclusive.
    Time(jiff::Timestamp),
    /// At the end of the archive.
    EndOfArchive,
    /// At the manifest's moment: the restore point `backup create` wrote
    /// with its census (the drill).
    ManifestMoment,
}

/// Restores the backup's cluster into `data_dir` (empty), starts it on
/// 127.0.0.1:`port` and returns the URL of Kiban's database there once
/// the recovery is over.
async fn restore_postgres(
    from: &Path,
    data_dir: &Path,
    port: u16,
    target: RecoveryTarget,
) -> Result<String, CliError> {
    require_empty_dir("--pg-data-dir", data_dir)?;
    let from = std::fs::canonicalize(from)?;
    let info_path = from.join(POSTGRES_FILE);
    let info: serde_json::Value = std::fs::read_to_string(&info_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .ok_or_else(|| CliError::invalid(format!("{}: 読めません", info_path.display())))?;
    let stanza = info["stanza"].as_str().unwrap_or(DEFAULT_STANZA).to_owned();
    let database = info["database"].as_str().unwrap_or("postgres").to_owned();
    let major = info["server_major_version"].as_u64().unwrap_or(0);
    let bin = postgres_bin_dir(major)?;
    if find_program("pgbackrest").is_none() {
        return Err(CliError::invalid(
            "pgbackrest がインストールされていません: scripts/setup-backup.sh を実行してください",
        ));
    }
    make_postgres_dir(data_dir)?;
    let data_dir = std::fs::canonicalize(data_dir)?;
    let mut command = as_postgres("pgbackrest")?;
    command
        .arg("--config=/dev/null")
        .arg(format!("--repo1-path={}", from.join(REPOSITORY).display()))
        .arg(format!("--stanza={stanza}"))
        .arg(format!("--pg1-path={}", data_dir.display()))
        .args(["--log-level-console=error", "--log-level-file=off"]);
    match target {
        RecoveryTarget::Time(t) => {
            command
                .arg("--type=time")
                // pgBackRest's own form of a time (UTC offset written +00).
                .arg(format!(
                    "--target={}",
                    t.strftime("%Y-%m-%d %H:%M:%S%.f+00")
                ))
                .arg("--target-action=promote");
        }
        RecoveryTarget::ManifestMoment => match info["restore_point"].as_str() {
            Some(name) => {
                command
                    .arg("--type=name")
                    .arg(format!("--target={name}"))
                    .arg("--target-action=promote");
            }
            None => {
                command.args(["--type=immediate", "--target-action=promote"]);
            }
        },
        RecoveryTarget::EndOfArchive => {}
    }
    let restored = command.arg("restore").output()?;
    if !restored.status.success() {
        return Err(CliError::runtime(format!(
            "pgbackrest restore が失敗しました: {}",
            command_output(&restored)
        )));
    }
    // A cluster whose configuration lives outside its data directory
    // (Debian's) is restored without it: the restored server gets the
    // least it needs. Its WAL archiving is switched off below, so that it
    // never pushes into the stanza of the cluster it came from.
    for (file, text) in [
        ("postgresql.conf", "# Written by kiban backup restore.\n"),
        (
            "pg_hba.conf",
            "# Written by kiban backup restore: the postgres role from this machine only.\nlocal all postgres peer\nhost all postgres 127.0.0.1/32 trust\n",
        ),
        ("pg_ident.conf", ""),
    ] {
        let path = data_dir.join(file);
        if !path.exists() {
            std::fs::write(&path, text)?;
            give_to_postgres(&path)?;
        }
    }
    // Archiving off for good (`ALTER SYSTEM` settings of the source, such
    // as its archive_command, are in this file too; the last line wins),
    // also when the server is later started by other means.
    {
        use std::io::Write;
        let path = data_dir.join("postgresql.auto.conf");
        let mut auto = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)?;
        give_to_postgres(&path)?;
        auto.write_all(
            b"# kiban backup restore: a restored copy does not archive into its source's stanza.\narchive_mode = 'off'\n",
        )?;
    }
    let log = data_dir.join("kiban-restore.log");
    let started = as_postgres(&bin.join("pg_ctl").display().to_string())?
        .arg("-D")
        .arg(&data_dir)
        .arg("-l")
        .arg(&log)
        .args(["-w", "-t", "86400", "-o"])
        .arg(format!(
            "-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c archive_mode=off"
        ))
        .arg("start")
        .output()?;
    if !started.status.success() {
        let tail = std::fs::read_to_string(&log)
            .map(|t| t.lines().rev().take(5).collect::<Vec<_>>().join(" / "))
            .unwrap_or_default();
        return Err(CliError::runtime(format!(
            "復元したサーバーを起動できません: {} {tail}",
            command_output(&started)
        )));
    }
    let url = format!("postgres://postgres@127.0.0.1:{port}/{database}");
    wait_until_promoted(&url, &log).await?;
    Ok(url)
}

/// Waits until the restored server has replayed its WAL and accepts
/// writes (`pg_is_in_recovery()` false).
async fn wait_until_promoted(url: &str, log: &Path) -> Result<(), CliError> {
    let deadline = Instant::now() + std::time::Duration::from_secs(24 * 3600);
    loop {
        if let Ok(db) = Database::connect(url).await {
            let in_recovery = store::postgres_in_recovery(&db).await;
            db.close().await;
            if matches!(in_recovery, Ok(false)) {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(CliError::runtime(format!(
                "復元したサーバーのリカバリが終わりません（ログ: {}）",
                log.display()
            )));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Stops the server of a restored data directory (fast shutdown).
fn stop_cluster(data_dir: &Path) -> Result<(), CliError> {
    let version = std::fs::read_to_string(data_dir.join("PG_VERSION")).map_err(|e| {
        CliError::invalid(format!(
            "--pg-data-dir {}: PostgreSQL のデータディレクトリではありません（{e}）",
            data_dir.display()
        ))
    })?;
    let major = version.trim().parse::<u64>().unwrap_or(0);
    let bin = postgres_bin_dir(major)?;
    let stopped = as_postgres(&bin.join("pg_ctl").display().to_string())?
        .arg("-D")
        .arg(data_dir)
        .args(["-m", "fast", "-w", "stop"])
        .output()?;
    if !stopped.status.success() {
        return Err(CliError::runtime(format!(
            "停止できません: {}",
            command_output(&stopped)
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------- drill

/// One check of a drill.
struct Check {
    name: String,
    passed: bool,
    detail: String,
}

impl Check {
    fn new(name: impl Into<String>, passed: bool, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            passed,
            detail: detail.into(),
        }
    }
}

/// A restored PostgreSQL cluster of a drill: stopped and removed when
/// dropped, whatever happened.
struct ScratchCluster {
    dir: PathBuf,
}

impl Drop for ScratchCluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        if data.join("postmaster.pid").exists() {
            let _ = stop_cluster(&data);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A scratch directory removed when dropped.
struct ScratchDir(PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub async fn restore_drill(database_url: &str, args: DrillArgs) -> Result<(), CliError> {
    let started_at = kiban_store::now_text();
    let started = Instant::now();
    let from = std::fs::canonicalize(&args.from)
        .map_err(|e| CliError::invalid(format!("--from {}: {e}", args.from.display())))?;
    let manifest = read_manifest(&from)?;
    let mut checks = drill_checks(&from, &manifest).await;
    if checks.is_empty() {
        checks.push(Check::new("restore", false, "検査が行われませんでした"));
    }
    let passed = checks.iter().all(|c| c.passed);
    let report = serde_json::json!({
        "status": if passed { "passed" } else { "failed" },
        "restored_from": from.display().to_string(),
        "duration_s": round1(started.elapsed().as_secs_f64()),
        "municipalities": manifest.municipalities.len(),
        "checks": checks.iter().map(|c| serde_json::json!({
            "name": c.name,
            "status": if c.passed { "passed" } else { "failed" },
            "detail": c.detail,
        })).collect::<Vec<_>>(),
    });
    emit(&serde_json::to_string_pretty(&report).unwrap_or_default());
    let live = Database::connect(database_url).await?;
    live.require_migrated().await?;
    store::record_restore_drill(
        &live,
        &store::RestoreDrillRecord {
            drill_id: new_id(),
            restored_from: from.display().to_string(),
            started_at,
            finished_at: kiban_store::now_text(),
            passed,
            report: report.to_string(),
        },
    )
    .await?;
    live.close().await;
    if passed {
        say("リストア訓練: すべての検査に合格しました。");
        Ok(())
    } else {
        let failed: Vec<&str> = checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name.as_str())
            .collect();
        Err(CliError::runtime(format!(
            "リストア訓練: 不合格の検査があります: {}",
            failed.join(", ")
        )))
    }
}

/// Runs the drill's checks in order; a failure that makes the later ones
/// meaningless (a damaged file, a restore that fails) ends it.
async fn drill_checks(from: &Path, manifest: &Manifest) -> Vec<Check> {
    let mut checks = Vec::new();
    // 1. Every file as the manifest lists it.
    let mut damaged = Vec::new();
    for (path, sha256, bytes) in &manifest.files {
        match digest_file(&from.join(path)) {
            Ok((found, size)) if &found == sha256 && size == *bytes => {}
            Ok((found, size)) => damaged.push(format!(
                "{path}: SHA-256 {found}（{size} バイト）、マニフェストでは {sha256}（{bytes} バイト）"
            )),
            Err(e) => damaged.push(format!("{path}: {}", e.message)),
        }
    }
    let files_ok = damaged.is_empty();
    checks.push(Check::new(
        "sha256",
        files_ok,
        if files_ok {
            format!("{} ファイルがマニフェストと一致", manifest.files.len())
        } else {
            damaged.join("; ")
        },
    ));
    if !files_ok {
        return checks;
    }
    // 2. Restore into a scratch database.
    let scratch = std::env::temp_dir().join(format!("kiban-restore-drill-{}", new_id()));
    let restored = match manifest.engine {
        Backend::Sqlite => {
            let guard = ScratchDir(scratch.clone());
            let file = scratch.join(SQLITE_FILE);
            let url = format!("sqlite://{}", file.display());
            restore_sqlite(from, &file).map(|()| (url, Box::new(guard) as Box<dyn Send>))
        }
        Backend::Postgres => {
            let guard = ScratchCluster {
                dir: scratch.clone(),
            };
            let restored = async {
                std::fs::create_dir_all(&scratch)?;
                let port = free_port()?;
                restore_postgres(
                    from,
                    &scratch.join("data"),
                    port,
                    RecoveryTarget::ManifestMoment,
                )
                .await
            }
            .await;
            restored.map(|url| (url, Box::new(guard) as Box<dyn Send>))
        }
    };
    let (url, _guard) = match restored {
        Ok(restored) => restored,
        Err(e) => {
            checks.push(Check::new("restore", false, e.message));
            return checks;
        }
    };
    let db = match Database::connect(&url).await {
        Ok(db) => db,
        Err(e) => {
            checks.push(Check::new("restore", false, e.to_string()));
            return checks;
        }
    };
    let db = match master_key() {
        Some(key) => db.with_master_key(key),
        None => db,
    };
    checks.push(Check::new(
        "restore",
        true,
        format!("{} に復元", manifest.engine.name()),
    ));
    after_restore(&db, manifest, &mut checks).await;
    db.close().await;
    checks
}

/// The checks on the restored database: the municipalities, each one's
/// access-log chain and head, its row counts, and a sample of person
/// reads (each logged in the scratch database as any read is).
async fn after_restore(db: &Database, manifest: &Manifest, checks: &mut Vec<Check>) {
    let census = match store::census(db).await {
        Ok(census) => census,
        Err(e) => {
            checks.push(Check::new("row_counts", false, e.to_string()));
            return;
        }
    };
    let restored: Vec<&str> = census
        .municipalities
        .iter()
        .map(|m| m.code.as_str())
        .collect();
    let expected: Vec<&str> = manifest
        .municipalities
        .iter()
        .map(|(c, _, _)| c.as_str())
        .collect();
    checks.push(Check::new(
        "municipalities",
        restored == expected,
        format!(
            "復元 {} 団体、マニフェスト {} 団体",
            restored.len(),
            expected.len()
        ),
    ));
    for (code, tables, head) in &manifest.municipalities {
        let Ok(municipality) = MunicipalityCode::parse(code) else {
            checks.push(Check::new(
                format!("audit_chain {code}"),
                false,
                "団体コードが不正です",
            ));
            continue;
        };
        let tenant = match db.tenant(municipality).await {
            Ok(tenant) => tenant,
            Err(e) => {
                checks.push(Check::new(
                    format!("audit_chain {code}"),
                    false,
                    e.to_string(),
                ));
                continue;
            }
        };
        // The chain, and its head against the manifest's.
        let found = census.municipalities.iter().find(|m| &m.code == code);
        let restored_head = found
            .and_then(|m| m.audit_head.clone())
            .unwrap_or_else(|| kiban_audit::GENESIS_HASH.to_owned());
        checks.push(match kiban_audit::verify(&tenant).await {
            Ok(report) if report.broken.is_none() && &restored_head == head => Check::new(
                format!("audit_chain {code}"),
                true,
                format!("{} 件を検証、先頭ハッシュ一致", report.entries_checked),
            ),
            Ok(report) => match &report.broken {
                Some(broken) => Check::new(
                    format!("audit_chain {code}"),
                    false,
                    format!("entry_id={}: {}", broken.entry_id, broken.message().text()),
                ),
                None => Check::new(
                    format!("audit_chain {code}"),
                    false,
                    format!("先頭ハッシュ {restored_head} がマニフェストの {head} と異なります"),
                ),
            },
            Err(e) => Check::new(format!("audit_chain {code}"), false, e.to_string()),
        });
        // Row counts.
        let mut differences = Vec::new();
        for (table, rows) in tables {
            let now = found.and_then(|m| m.tables.get(table)).copied();
            if now != Some(*rows) {
                differences.push(format!(
                    "{table}: 復元 {}、マニフェスト {rows}",
                    now.map_or("なし".to_owned(), |n| n.to_string())
                ));
            }
        }
        checks.push(Check::new(
            format!("row_counts {code}"),
            differences.is_empty(),
            if differences.is_empty() {
                format!("{} 表の件数が一致", tables.len())
            } else {
                differences.join("; ")
            },
        ));
        checks.push(sample_reads(&tenant, code).await);
    }
}

/// How many persons of each municipality a drill reads.
const SAMPLE_READS: i64 = 5;

/// Reads a few persons (the first, the last and some between) through the
/// registry, as a clerk's screen would.
async fn sample_reads(tenant: &kiban_store::TenantDb, code: &str) -> Check {
    let name = format!("person_reads {code}");
    let ids = async {
        let mut tx = tenant.begin_read().await?;
        let rows = tx
            .fetch_all(
                "SELECT person_id FROM persons WHERE municipality_code = $1 \
                 ORDER BY person_id LIMIT $2",
                &[kiban_store::Arg::Int(SAMPLE_READS)],
            )
            .await?;
        tx.rollback().await?;
        rows.iter()
            .map(|r| r.int(0))
            .collect::<Result<Vec<i64>, _>>()
    }
    .await;
    let ids = match ids {
        Ok(ids) => ids,
        Err(e) => return Check::new(name, false, e.to_string()),
    };
    let actor = kiban_audit::Actor::new("kiban-restore-drill", "operator");
    let today = kiban_core::today_in_japan();
    for id in &ids {
        let person = kiban_registry::domain::PersonId::new(u64::try_from(*id).unwrap_or(0));
        match kiban_registry::storage::person_as_of(tenant, &actor, person, today).await {
            Ok(_) => {}
            Err(e) => {
                return Check::new(name, false, format!("person_id={id}: {e}"));
            }
        }
    }
    Check::new(name, true, format!("{} 人を読み出し", ids.len()))
}

// ---------------------------------------------------------------- helpers

/// Refuses a directory that exists and is not empty (or is a file).
fn require_empty_dir(option: &str, dir: &Path) -> Result<(), CliError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(CliError::invalid(format!(
                    "{option} {}: 空ではありません（新しいディレクトリか空のディレクトリを指定してください）",
                    dir.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(CliError::invalid(format!(
            "{option} {}: {e}",
            dir.display()
        ))),
    }
}

/// A new id for a backup or a drill: the time (UTC) and a random suffix.
fn new_id() -> String {
    use rand::Rng;
    let now = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ");
    let suffix: String = (0..6)
        .map(|_| char::from(b'a' + rand::rng().random_range(0..26u8)))
        .collect();
    format!("{now}-{suffix}")
}

fn round1(seconds: f64) -> f64 {
    (seconds * 10.0).round() / 10.0
}

/// A program's path on `PATH`, if any.
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The binaries of the installed PostgreSQL of `major` (Debian's layout),
/// else those on `PATH`.
fn postgres_bin_dir(major: u64) -> Result<PathBuf, CliError> {
    let debian = PathBuf::from(format!("/usr/lib/postgresql/{major}/bin"));
    if debian.join("pg_ctl").is_file() {
        return Ok(debian);
    }
    find_program("pg_ctl")
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .ok_or_else(|| {
            CliError::invalid(format!(
                "PostgreSQL {major} のサーバー（pg_ctl）が見つかりません: scripts/setup.sh を実行してください"
            ))
        })
}

/// Who this process runs as: root (uid 0), the `postgres` user, or
/// someone else.
fn running_as() -> (bool, bool) {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).ok();
    let name = Command::new("id")
        .arg("-un")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    (uid == Some(0), name == "postgres")
}

/// A command run as the cluster's OS user, `postgres` (pgBackRest and the
/// server read and own the data directory): through `runuser` as root,
/// directly as `postgres`, otherwise through `sudo -n`.
fn as_postgres(program: &str) -> Result<Command, CliError> {
    let (root, postgres) = running_as();
    Ok(if postgres {
        Command::new(program)
    } else if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--", program]);
        command
    } else {
        let mut command = Command::new("sudo");
        command.args(["-n", "-u", "postgres", "--", program]);
        command
    })
}

/// pgBackRest with a configuration and stanza, run as `postgres`.
fn pgbackrest(config: &Path, stanza: &str) -> Result<Command, CliError> {
    let mut command = as_postgres("pgbackrest")?;
    command
        .arg(format!("--config={}", config.display()))
        .arg(format!("--stanza={stanza}"));
    Ok(command)
}

/// Makes `dir` an empty directory owned by `postgres`, readable by it only.
fn make_postgres_dir(dir: &Path) -> Result<(), CliError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    give_to_postgres(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .or_else(|_| {
            as_postgres("chmod")
                .and_then(|mut c| Ok(c.arg("0700").arg(dir).status()?))
                .map(|_| ())
                .map_err(|e| std::io::Error::other(e.message))
        })
        .map_err(|e| CliError::runtime(format!("{}: {e}", dir.display())))?;
    Ok(())
}

/// Gives a file or directory to `postgres` when running as root.
fn give_to_postgres(path: &Path) -> Result<(), CliError> {
    let (root, postgres) = running_as();
    if postgres {
        return Ok(());
    }
    if !root {
        return Err(CliError::invalid(
            "PostgreSQL の復元は root か postgres ユーザーで実行してください",
        ));
    }
    let status = Command::new("chown")
        .arg("postgres:postgres")
        .arg(path)
        .status()?;
    if !status.success() {
        return Err(CliError::runtime(format!(
            "{} を postgres に渡せません",
            path.display()
        )));
    }
    Ok(())
}

/// Gives a tree to `postgres` when running as root (as `postgres`, it is
/// its own already).
fn give_to_postgres_recursively(path: &Path) -> Result<(), CliError> {
    let (root, _) = running_as();
    if !root {
        return Ok(());
    }
    let status = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(path)
        .status()?;
    if !status.success() {
        return Err(CliError::runtime(format!(
            "{} を postgres に渡せません",
            path.display()
        )));
    }
    Ok(())
}

/// A free TCP port on 127.0.0.1 (for the drill's scratch server).
fn free_port() -> Result<u16, CliError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// What a failed command printed, on one line.
fn command_output(output: &std::process::Output) -> String {
    let text = format!(
        "{} {}",
        String::from_utf8_lossy(&output.stderr).trim(),
        String::from_utf8_lossy(&output.stdout).trim()
    );
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_is_the_stanzas_own_else_the_global_one() {
        let config = "[global]\nrepo1-path=/srv/backup\n\n[kiban]\npg1-path=/data\n";
        assert_eq!(
            repository_path(config, "kiban"),
            PathBuf::from("/srv/backup")
        );
        let own = "[global]\nrepo1-path=/srv/backup\n[other]\nrepo1-path = /srv/other\n";
        assert_eq!(repository_path(own, "other"), PathBuf::from("/srv/other"));
        assert_eq!(
            repository_path("", "kiban"),
            PathBuf::from("/var/lib/pgbackrest")
        );
    }

    #[test]
    fn until_needs_a_time_zone() {
        assert!(parse_until("2026-12-07T10:00:00+09:00").is_ok());
        assert!(parse_until("2026-12-07T01:00:00Z").is_ok());
        let refused = parse_until("2026-12-07T10:00:00");
        assert!(refused.is_err_and(|e| e.exit_code == 2 && e.message.contains("タイムゾーン")));
    }
}
