//! `kiban export` and `kiban import`: a municipality's whole data in the
//! standard exchange format (`docs/exchange-format.md`), the entities of
//! `kiban_exchange::standard::ENTITIES`.
//!
//! Export reads every entity in one read-only transaction that sees one
//! snapshot, writes one CSV file per entity, checks the source's access-log
//! chain as it goes, then appends its own access-log entry (`export`) and
//! only after that writes `manifest.json`: a directory without a manifest is
//! an interrupted export, and import refuses it.
//!
//! Import loads into an empty municipality in one transaction: each file is
//! streamed, every field, key and reference checked, rows inserted in
//! batches, and each file's row count and SHA-256 compared with the
//! manifest; any problem rolls everything back. The municipality code is
//! the target's (the files do not carry it). The access log is re-chained
//! under the target's code after checking that the rows give the source's
//! chain head recorded in the manifest, and the import appends its own
//! entry (`bulk_register`) naming the source and that head, so the new chain
//! verifies with `kiban audit verify` and ties back to the old one.
//!
//! 個人番号 travel only encrypted, and only on request: with `--recipient`
//! the export adds `individual_numbers.csv.age`, and such an export is
//! imported only with `--identity` (see [`crate::exchange_numbers`]).

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use kiban_audit::{Actor, AuditAction, ChainHasher, StoredEntry};
use kiban_core::MunicipalityCode;
use kiban_exchange::standard::{
    AuditChain, CODE_TABLES_FILE, ENTITIES, EXCLUDED, EncryptedNumbers, EntitySpec, ExchangeError,
    FORMAT_NAME, FORMAT_VERSION, INDIVIDUAL_NUMBERS, INDIVIDUAL_NUMBERS_ENCRYPTION,
    INDIVIDUAL_NUMBERS_FILE, IndividualNumbers, Load, MANIFEST_FILE, Manifest, ManifestFile,
    References, TableReader, TableWriter, Value, ValueRef, check_against_manifest, decode_binary,
    encode_binary, read_code_tables, write_code_tables,
};
use kiban_store::platform;
use kiban_store::{Arg, ColumnKind, Database, Field, TenantDb, TenantTx, now_text};

use crate::commands::{CliError, open_migrated, parse_code};
use crate::exchange_numbers::{self, Identity, Recipient};
use crate::output::say;

/// Rows inserted per batch on import.
const PAGE: usize = 5_000;

/// `kiban export`.
#[derive(Args)]
pub struct ExportArgs {
    /// The municipality to export.
    #[arg(long)]
    municipality: String,
    /// The directory to write (created; must be empty).
    #[arg(long)]
    out: PathBuf,
    /// The receiving party's age X25519 public key (`age1…`): the export
    /// then also carries the 個人番号, encrypted to that key only
    /// (`individual_numbers.csv.age`). Without it no 個人番号 leaves.
    #[arg(long, value_name = "AGE_RECIPIENT")]
    recipient: Option<String>,
}

/// `kiban import`.
#[derive(Args)]
pub struct ImportArgs {
    /// The municipality to load into (created beforehand, with no data).
    #[arg(long)]
    municipality: String,
    /// The directory of a standard export.
    #[arg(long = "in")]
    input: PathBuf,
    /// The age identity file (`AGE-SECRET-KEY-1…`) matching the export's
    /// recipient: required when the export carries 個人番号.
    #[arg(long, value_name = "FILE")]
    identity: Option<PathBuf>,
}

fn invalid(e: &ExchangeError) -> CliError {
    CliError::invalid(format!("取り込めません: {}", e.message().text()))
}

fn io_at(path: &Path, e: &std::io::Error) -> CliError {
    CliError::runtime(format!("{}: {e}", path.display()))
}

/// Fails unless every tenant table of the schema is exported or excluded
/// with a reason: a new table must be added to the list first.
pub async fn check_every_table_listed(db: &Database) -> Result<(), CliError> {
    let unknown: Vec<String> = platform::tenant_tables(db)
        .await?
        .into_iter()
        .filter(|t| {
            !ENTITIES.iter().any(|e| e.table == t) && !EXCLUDED.iter().any(|e| e.table == t)
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(CliError::runtime(format!(
            "標準形式に登録されていないテーブルがあります（kiban_exchange::standard::ENTITIES か EXCLUDED に追加してください）: {}",
            unknown.join(", ")
        )))
    }
}

/// The query of one entity: its fields (and, for the access log, the
/// stored hash to check) in key order. One statement per entity, streamed:
/// its plan does not depend on the planner's statistics, unlike pages,
/// each of which the planner may choose to answer by sorting the whole
/// municipality.
fn select_sql(spec: &EntitySpec) -> String {
    let mut columns: Vec<&str> = spec.fields.iter().map(|f| f.column).collect();
    if spec.load == Load::AuditChain {
        columns.push("entry_hash");
    }
    // The order starts with municipality_code, as every primary key does,
    // so that the key's index gives the order.
    format!(
        "SELECT {} FROM {} WHERE municipality_code = $1 ORDER BY municipality_code, {}",
        columns.join(", "),
        spec.table,
        spec.key.join(", ")
    )
}

/// What each selected column holds, as [`select_sql`] selects them.
fn column_kinds(spec: &EntitySpec) -> Vec<ColumnKind> {
    let mut kinds: Vec<ColumnKind> = spec
        .fields
        .iter()
        .map(|f| {
            if f.ty.is_integer_column() {
                ColumnKind::Int
            } else if f.ty.is_binary_column() {
                ColumnKind::Bytes
            } else {
                ColumnKind::Text
            }
        })
        .collect();
    if spec.load == Load::AuditChain {
        kinds.push(ColumnKind::Text);
    }
    kinds
}

/// The value of a field as exported: bytes in Base64, the rest as read.
fn to_value(field: &Field<'_>) -> Value {
    match *field {
        Field::Null => Value::Null,
        Field::Int(v) => Value::Int(v),
        Field::Text(t) => Value::Text(t.to_owned()),
        Field::Bytes(b) => Value::Text(encode_binary(b)),
    }
}

fn stored_entry(row: &[Value]) -> Option<StoredEntry> {
    let text = |i: usize| match row.get(i) {
        Some(Value::Text(t)) => Some(t.clone()),
        _ => None,
    };
    let int = |i: usize| match row.get(i) {
        Some(Value::Int(v)) => Some(*v),
        _ => None,
    };
    Some(StoredEntry {
        entry_id: int(0)?,
        at: text(1)?,
        actor: text(2)?,
        role: text(3)?,
        action: AuditAction::from_code(&text(4)?)?,
        person_id: int(5),
        purpose: text(6),
        request_id: text(7),
        detail: text(8)?,
    })
}

/// The access-log entry of a streamed row (its fields as selected).
fn stored_entry_of(row: &[Field<'_>]) -> Option<StoredEntry> {
    let text = |i: usize| match row.get(i) {
        Some(Field::Text(t)) => Some((*t).to_owned()),
        _ => None,
    };
    let int = |i: usize| match row.get(i) {
        Some(Field::Int(v)) => Some(*v),
        _ => None,
    };
    Some(StoredEntry {
        entry_id: int(0)?,
        at: text(1)?,
        actor: text(2)?,
        role: text(3)?,
        action: match row.get(4) {
            Some(Field::Text(code)) => AuditAction::from_code(code)?,
            _ => return None,
        },
        person_id: int(5),
        purpose: text(6),
        request_id: text(7),
        detail: text(8)?,
    })
}

/// Checks one access-log row against the chain: the hash computed from the
/// previous one and the row's fields must be the stored one.
fn check_chain(chain: &mut ChainHasher, row: &[Field<'_>], stored: usize) -> Result<(), CliError> {
    let entry = stored_entry_of(row)
        .ok_or_else(|| CliError::runtime("利用履歴に読めない行があります".to_owned()))?;
    let (_, hash) = chain.push(&entry);
    match row.get(stored) {
        Some(Field::Text(stored)) if *stored == hash => Ok(()),
        _ => Err(CliError::runtime(format!(
            "利用履歴 {} のハッシュが一致しません。`kiban audit verify` で確認してください（出力を中止しました）",
            entry.entry_id
        ))),
    }
}

/// Rows between two updates of the progress bar.
const PROGRESS_STEP: u64 = 4_096;

/// Writes one entity's file from the transaction; returns its manifest
/// entry. Tables keyed by integers are streamed in key order, each row
/// written as it arrives; the few keyed by text are read whole and sorted
/// by bytes, so the order is the same on every engine.
async fn export_entity(
    tx: &mut TenantTx,
    spec: &'static EntitySpec,
    dir: &Path,
    chain: &mut ChainHasher,
    bar: &ProgressBar,
) -> Result<ManifestFile, CliError> {
    let path = dir.join(spec.file);
    let file = File::create(&path).map_err(|e| io_at(&path, &e))?;
    let mut writer = TableWriter::new(spec, BufWriter::with_capacity(1 << 20, file))
        .map_err(|e| io_at(&path, &e))?;
    let integer_key = spec.key.iter().all(|k| {
        spec.fields
            .iter()
            .any(|f| f.column == *k && f.ty.is_integer_column())
    });
    let sql = select_sql(spec);
    let kinds = column_kinds(spec);
    let fields = spec.fields.len();
    if integer_key {
        let mut base64 = String::new();
        let mut count = 0u64;
        tx.for_each_row(&sql, &kinds, |row| {
            if spec.load == Load::AuditChain {
                check_chain(chain, row, fields)?;
            }
            for field in &row[..fields.min(row.len())] {
                let value = match *field {
                    Field::Null => ValueRef::Null,
                    Field::Int(v) => ValueRef::Int(v),
                    Field::Text(t) => ValueRef::Text(t),
                    Field::Bytes(b) => {
                        base64 = encode_binary(b);
                        ValueRef::Text(&base64)
                    }
                };
                writer.write_value(value).map_err(|e| io_at(&path, &e))?;
            }
            writer.end_row().map_err(|e| io_at(&path, &e))?;
            count += 1;
            if count.is_multiple_of(PROGRESS_STEP) {
                bar.inc(PROGRESS_STEP);
            }
            Ok::<(), CliError>(())
        })
        .await?;
        bar.inc(count % PROGRESS_STEP);
    } else {
        let mut rows: Vec<Vec<Value>> = Vec::new();
        tx.for_each_row(&sql, &kinds, |row| {
            if spec.load == Load::AuditChain {
                check_chain(chain, row, fields)?;
            }
            rows.push(row[..fields.min(row.len())].iter().map(to_value).collect());
            Ok::<(), CliError>(())
        })
        .await?;
        let key_positions = spec.key_positions();
        let key = |r: &Vec<Value>| {
            key_positions
                .iter()
                .map(|&i| r[i].to_field().into_owned())
                .collect::<Vec<_>>()
        };
        rows.sort_by_cached_key(key);
        for row in &rows {
            writer.write_row(row).map_err(|e| io_at(&path, &e))?;
        }
        bar.inc(rows.len() as u64);
    }
    let written = writer.finish().map_err(|e| io_at(&path, &e))?;
    Ok(ManifestFile {
        file: spec.file.to_owned(),
        rows: written.rows,
        sha256: written.sha256,
    })
}

async fn count_rows(tx: &mut TenantTx, table: &str) -> Result<u64, CliError> {
    let row = tx
        .fetch_optional(
            &format!("SELECT COUNT(*) FROM {table} WHERE municipality_code = $1"),
            &[],
        )
        .await?;
    Ok(match row {
        Some(r) => u64::try_from(r.int(0)?).unwrap_or(0),
        None => 0,
    })
}

fn progress_bar(total: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{msg:24}} {{bar:32}} {{pos}}/{{len}} {unit} {{per_sec}} 残り {{eta}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// What an export wrote.
pub struct ExportSummary {
    /// Data rows over every file.
    pub rows: u64,
}

/// Exports `code` into `dir` (see the module documentation), with the
/// 個人番号 encrypted to `recipient` when one is given.
pub async fn export_to(
    db: &Database,
    code: MunicipalityCode,
    dir: &Path,
    show_progress: bool,
    recipient: Option<&Recipient>,
) -> Result<ExportSummary, CliError> {
    let municipality = platform::find_municipality(db, code)
        .await?
        .ok_or_else(|| {
            CliError::invalid(format!("団体コード {code} の団体は登録されていません"))
        })?;
    check_every_table_listed(db).await?;
    if recipient.is_some() {
        exchange_numbers::require_master_key(db).await?;
    }
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|e| io_at(dir, &e))?;
        if entries.next().is_some() {
            return Err(CliError::invalid(format!(
                "--out {}: 出力先のディレクトリが空ではありません",
                dir.display()
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| io_at(dir, &e))?;
    let tenant = db.tenant(code).await?;
    let mut tx = tenant.begin_snapshot().await?;
    let mut total = 0;
    for spec in ENTITIES {
        total += count_rows(&mut tx, spec.table).await?;
    }
    if recipient.is_some() {
        total += count_rows(&mut tx, INDIVIDUAL_NUMBERS.table).await?;
    }
    let bar = if show_progress {
        progress_bar(total, "行")
    } else {
        ProgressBar::hidden()
    };
    let exported_at = now_text();
    let mut chain = ChainHasher::new(code);
    let mut files = Vec::with_capacity(ENTITIES.len() + 1);
    for spec in ENTITIES {
        bar.set_message(spec.file);
        files.push(export_entity(&mut tx, spec, dir, &mut chain, &bar).await?);
    }
    let individual_numbers = match recipient {
        Some(recipient) => {
            bar.set_message(INDIVIDUAL_NUMBERS_FILE);
            files.push(exchange_numbers::export_numbers(&mut tx, dir, recipient, &bar).await?);
            IndividualNumbers::Encrypted(EncryptedNumbers {
                file: INDIVIDUAL_NUMBERS_FILE.to_owned(),
                encryption: INDIVIDUAL_NUMBERS_ENCRYPTION.to_owned(),
                recipient: recipient.as_str().to_owned(),
            })
        }
        None => IndividualNumbers::default(),
    };
    let path = dir.join(CODE_TABLES_FILE);
    let file = File::create(&path).map_err(|e| io_at(&path, &e))?;
    let written = write_code_tables(BufWriter::new(file)).map_err(|e| io_at(&path, &e))?;
    files.push(ManifestFile {
        file: CODE_TABLES_FILE.to_owned(),
        rows: written.rows,
        sha256: written.sha256,
    });
    let rows: u64 = files
        .iter()
        .filter(|f| f.file != CODE_TABLES_FILE)
        .map(|f| f.rows)
        .sum();
    let manifest = Manifest {
        format: FORMAT_NAME.to_owned(),
        format_version: FORMAT_VERSION,
        municipality_code: code.as_str().to_owned(),
        municipality_name: municipality.name.clone(),
        prefecture: municipality.prefecture.clone(),
        exported_at,
        audit_chain: AuditChain {
            entries: chain.entries(),
            head_hash: chain.head().to_owned(),
        },
        individual_numbers,
        files,
    };
    // The rows are read; the export's own entry follows in a short writing
    // transaction (a long snapshot must not hold the write lock), and the
    // manifest, which makes the files usable, only once that entry is
    // committed. So the export does not contain its own entry (the next
    // one will).
    tx.rollback().await?;
    // Whether 個人番号 left, and to whom (the key's fingerprint).
    let numbers = match recipient {
        Some(recipient) => format!(
            "individual_numbers={} recipient_fingerprint={}",
            manifest.file(INDIVIDUAL_NUMBERS_FILE).map_or(0, |f| f.rows),
            recipient.fingerprint()
        ),
        None => "individual_numbers=not_exported".to_owned(),
    };
    let mut tx = tenant.begin().await?;
    kiban_audit::append(
        &mut tx,
        &Actor::new("kiban-export", "system").entry(
            AuditAction::Export,
            None,
            format!(
                "standard_export format_version={FORMAT_VERSION} rows={rows} audit_entries={} {numbers}",
                manifest.audit_chain.entries
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    let json = manifest
        .to_json()
        .map_err(|e| CliError::runtime(format!("マニフェストを作れません: {e}")))?;
    let tmp = dir.join(format!("{MANIFEST_FILE}.partial"));
    let mut file = File::create(&tmp).map_err(|e| io_at(&tmp, &e))?;
    file.write_all(json.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io_at(&tmp, &e))?;
    let path = dir.join(MANIFEST_FILE);
    std::fs::rename(&tmp, &path).map_err(|e| io_at(&path, &e))?;
    bar.finish_and_clear();
    Ok(ExportSummary { rows })
}

/// `kiban export`.
pub async fn export(database_url: &str, args: ExportArgs) -> Result<(), CliError> {
    let code = parse_code("--municipality", &args.municipality)?;
    let recipient = args
        .recipient
        .as_deref()
        .map(Recipient::parse)
        .transpose()?;
    let db = open_migrated(database_url).await?;
    let started = Instant::now();
    let summary = export_to(&db, code, &args.out, true, recipient.as_ref()).await?;
    let seconds = started.elapsed().as_secs_f64();
    say(&format!(
        "団体 {code} を標準形式で {} に出力しました（{} 行、{seconds:.1} 秒）。{}",
        args.out.display(),
        summary.rows,
        if recipient.is_some() {
            "個人番号は --recipient の鍵で暗号化して含めました。"
        } else {
            "個人番号は含めていません（含めるには --recipient）。"
        }
    ));
    db.close().await;
    Ok(())
}

/// The arguments inserting a row: its values, then the values the import
/// writes for omitted columns.
pub(crate) fn to_args(spec: &EntitySpec, row: Vec<Value>) -> Vec<Arg> {
    let mut args: Vec<Arg> = spec
        .fields
        .iter()
        .zip(row)
        .map(|(f, v)| match v {
            Value::Int(i) => Arg::Int(i),
            // Checked as Base64 when read.
            Value::Text(t) if f.ty.is_binary_column() => {
                Arg::Bytes(decode_binary(&t).unwrap_or_default())
            }
            Value::Text(t) => Arg::Text(t),
            Value::Null if f.ty.is_integer_column() => Arg::NullInt,
            Value::Null if f.ty.is_binary_column() => Arg::NullBytes,
            Value::Null => Arg::NullText,
        })
        .collect();
    for omitted in spec.omitted {
        if let Some(value) = omitted.import_value {
            args.push(Arg::from(value));
        }
    }
    args
}

pub(crate) fn insert_columns(spec: &EntitySpec) -> Vec<&'static str> {
    spec.fields
        .iter()
        .map(|f| f.column)
        .chain(
            spec.omitted
                .iter()
                .filter(|o| o.import_value.is_some())
                .map(|o| o.column),
        )
        .collect()
}

async fn flush(
    tx: &mut TenantTx,
    spec: &EntitySpec,
    batch: &mut Vec<Vec<Value>>,
    target_chain: &mut ChainHasher,
) -> Result<(), CliError> {
    if batch.is_empty() {
        return Ok(());
    }
    match spec.load {
        Load::Rows => {
            let columns = insert_columns(spec);
            let rows: Vec<Vec<Arg>> = batch.drain(..).map(|r| to_args(spec, r)).collect();
            tx.insert_rows(spec.table, &columns, &rows).await?;
        }
        Load::AuditChain => {
            let entries: Vec<StoredEntry> = batch.iter().filter_map(|r| stored_entry(r)).collect();
            kiban_audit::insert_imported(tx, target_chain, &entries).await?;
        }
    }
    batch.clear();
    Ok(())
}

/// A movement's payload must be one the registry reads back (its version,
/// its kind matching the `kind` column, every value valid), not only JSON.
fn check_payload(spec: &EntitySpec, line: u64, row: &[Value]) -> Result<(), CliError> {
    if spec.table != "movements" {
        return Ok(());
    }
    let text = |i: usize| match row.get(i) {
        Some(Value::Text(t)) => t.as_str(),
        _ => "",
    };
    let date = |i: usize| kiban_core::date::parse_iso(text(i)).ok();
    let id = match row.first() {
        Some(Value::Int(id)) => *id,
        _ => 0,
    };
    let (Some(event_date), Some(notified_on)) = (date(2), date(3)) else {
        return Ok(());
    };
    match kiban_registry::storage::payload::decode(id, text(1), event_date, notified_on, text(7)) {
        Ok(movement) if movement.kind().code() == text(1) => Ok(()),
        Ok(movement) => Err(CliError::invalid(format!(
            "取り込めません: {} {line}行目 項目 payload: 異動内容の種別 {} が kind {} と一致しません",
            spec.file,
            movement.kind().code(),
            text(1)
        ))),
        Err(e) => Err(CliError::invalid(format!(
            "取り込めません: {} {line}行目 項目 payload: 異動内容として読めません（{e}）",
            spec.file
        ))),
    }
}

/// The counters (採番) whose numbers appear as keys: sequence name, and
/// the file and key column numbered by it.
const NUMBERED: [(&str, &str, &str); 6] = [
    ("movement_id", "movements", "movement_id"),
    ("person_id", "persons", "person_id"),
    ("household_id", "households", "household_id"),
    ("outbox_event", "outbox", "event_id"),
    ("audit_entry", "audit_log", "entry_id"),
    ("support_measure", "support_measures", "measure_id"),
];

/// The highest number of each counted key, and each counter's next value,
/// so that an import cannot leave a counter that would hand out a number
/// already in use.
#[derive(Default)]
struct Counters {
    next: std::collections::HashMap<String, (i64, u64)>,
    max: std::collections::HashMap<&'static str, i64>,
}

impl Counters {
    fn see(&mut self, spec: &EntitySpec, line: u64, row: &[Value]) {
        if spec.table == "number_sequences" {
            if let (Some(Value::Text(name)), Some(Value::Int(next))) = (row.first(), row.get(1)) {
                self.next.insert(name.clone(), (*next, line));
            }
            return;
        }
        for (_, table, column) in NUMBERED {
            if spec.table == table
                && let Some(Value::Int(v)) = spec.position(column).and_then(|i| row.get(i))
            {
                let max = self.max.entry(table).or_insert(0);
                *max = (*max).max(*v);
            }
        }
    }

    fn check(&self) -> Result<(), CliError> {
        for (sequence, table, column) in NUMBERED {
            let max = self.max.get(table).copied().unwrap_or(0);
            if max == 0 {
                continue;
            }
            let (next, line) = self.next.get(sequence).copied().unwrap_or((0, 0));
            if next <= max {
                let at = if line > 0 {
                    format!(" {line}行目")
                } else {
                    String::new()
                };
                return Err(CliError::invalid(format!(
                    "取り込めません: number_sequences.csv{at} 項目 next_value: 採番 {sequence} の次の値 {next} が {table}.csv の {column} の最大値 {max} 以下です"
                )));
            }
        }
        Ok(())
    }
}

/// Fails unless the municipality has no data at all.
async fn require_empty(db: &Database, tx: &mut TenantTx) -> Result<(), CliError> {
    for table in platform::tenant_tables(db).await? {
        let row = tx
            .fetch_optional(
                &format!("SELECT 1 FROM {table} WHERE municipality_code = $1 LIMIT 1"),
                &[],
            )
            .await?;
        if row.is_some() {
            return Err(CliError::invalid(format!(
                "取り込み先の団体 {} には既にデータがあります（{table}）。標準形式の取り込みは空の団体にだけ行えます",
                tx.municipality()
            )));
        }
    }
    Ok(())
}

/// What an import loaded.
pub struct ImportSummary {
    /// Data rows over every entity file.
    pub rows: u64,
    /// The source municipality.
    pub source: String,
}

/// Imports the export in `dir` into `tenant` (see the module documentation),
/// its 個人番号 opened with `identity` when it carries them.
pub async fn import_from(
    db: &Database,
    tenant: &TenantDb,
    dir: &Path,
    show_progress: bool,
    identity: Option<&Identity>,
) -> Result<ImportSummary, CliError> {
    check_every_table_listed(db).await?;
    let manifest_path = dir.join(MANIFEST_FILE);
    let manifest_bytes = std::fs::read(&manifest_path).map_err(|e| {
        CliError::invalid(format!(
            "{}: マニフェストを読めません（出力が完了していない可能性があります）: {e}",
            manifest_path.display()
        ))
    })?;
    let manifest = Manifest::parse(&manifest_bytes).map_err(|e| invalid(&e))?;
    let source = MunicipalityCode::parse(&manifest.municipality_code).map_err(|e| {
        CliError::invalid(format!(
            "{MANIFEST_FILE}: municipality_code: {}",
            e.message().text()
        ))
    })?;
    let code_tables_path = dir.join(CODE_TABLES_FILE);
    let code_tables = std::fs::read(&code_tables_path)
        .map_err(|e| CliError::invalid(format!("{CODE_TABLES_FILE}: {e}")))?;
    check_against_manifest(
        &manifest,
        CODE_TABLES_FILE,
        &read_code_tables(&code_tables).map_err(|e| invalid(&e))?,
    )
    .map_err(|e| invalid(&e))?;
    // 個人番号: all or nothing, checked before anything is written.
    let identity = match (manifest.individual_numbers.exported(), identity) {
        (true, None) => {
            return Err(CliError::invalid(format!(
                "取り込めません: {MANIFEST_FILE} 項目 individual_numbers: この出力には暗号化した個人番号（{INDIVIDUAL_NUMBERS_FILE}）が含まれています。受け取り側の age の秘密鍵ファイルを --identity で指定してください（個人番号を除いて取り込むことはできません）"
            )));
        }
        (false, Some(_)) => {
            return Err(CliError::invalid(format!(
                "--identity: この出力には個人番号が含まれていません（{MANIFEST_FILE} の individual_numbers が not_exported）"
            )));
        }
        (true, Some(identity)) => {
            exchange_numbers::require_master_key(db).await?;
            exchange_numbers::check_numbers_file(dir, &manifest, identity)?;
            Some(identity)
        }
        (false, None) => None,
    };

    let mut tx = tenant.begin().await?;
    require_empty(db, &mut tx).await?;
    let total: u64 = ENTITIES
        .iter()
        .map(|e| e.file)
        .chain(identity.map(|_| INDIVIDUAL_NUMBERS_FILE))
        .filter_map(|file| manifest.file(file))
        .map(|f| f.rows)
        .sum();
    let bar = if show_progress {
        progress_bar(total, "行")
    } else {
        ProgressBar::hidden()
    };
    let mut references = References::new();
    let mut counters = Counters::default();
    let mut source_chain = ChainHasher::new(source);
    let mut target_chain = ChainHasher::new(tenant.municipality());
    for spec in ENTITIES {
        bar.set_message(spec.file);
        let path = dir.join(spec.file);
        let file = File::open(&path)
            .map_err(|e| CliError::invalid(format!("{}: ファイルを開けません: {e}", spec.file)))?;
        let mut reader = TableReader::new(spec, BufReader::with_capacity(1 << 20, file))
            .map_err(|e| invalid(&e))?;
        let mut batch = Vec::with_capacity(PAGE);
        while let Some(next) = reader.next_row() {
            let (line, row) = next.map_err(|e| invalid(&e))?;
            references
                .check_row(spec, line, &row)
                .map_err(|e| invalid(&e))?;
            if spec.load == Load::AuditChain {
                let entry = stored_entry(&row).ok_or_else(|| {
                    CliError::invalid(format!(
                        "{} {line}行目: 利用履歴として読めません",
                        spec.file
                    ))
                })?;
                source_chain.push(&entry);
            }
            check_payload(spec, line, &row)?;
            counters.see(spec, line, &row);
            batch.push(row);
            if batch.len() >= PAGE {
                flush(&mut tx, spec, &mut batch, &mut target_chain).await?;
                bar.inc(PAGE as u64);
            }
        }
        let rest = batch.len() as u64;
        flush(&mut tx, spec, &mut batch, &mut target_chain).await?;
        bar.inc(rest);
        references.end_entity(spec);
        let read = reader.finish().map_err(|e| invalid(&e))?;
        check_against_manifest(&manifest, spec.file, &read).map_err(|e| invalid(&e))?;
    }
    let numbers = match identity {
        Some(identity) => {
            bar.set_message(INDIVIDUAL_NUMBERS_FILE);
            let loaded = exchange_numbers::import_numbers(
                &mut tx,
                dir,
                &manifest,
                identity,
                &mut references,
                &bar,
            )
            .await?;
            format!("individual_numbers={loaded}")
        }
        None => "individual_numbers=not_exported".to_owned(),
    };
    references.finish().map_err(|e| invalid(&e))?;
    counters.check()?;
    if source_chain.head() != manifest.audit_chain.head_hash
        || source_chain.entries() != manifest.audit_chain.entries
    {
        return Err(invalid(&ExchangeError {
            file: "audit_log.csv".to_owned(),
            line: None,
            field: None,
            problem: kiban_exchange::standard::Problem::AuditChain,
        }));
    }
    let rows = total;
    kiban_audit::append(
        &mut tx,
        &Actor::new("kiban-import", "system").entry(
            AuditAction::BulkRegister,
            None,
            format!(
                "standard_import source={} exported_at={} rows={rows} source_audit_entries={} source_chain_head={} {numbers}",
                manifest.municipality_code,
                manifest.exported_at,
                manifest.audit_chain.entries,
                manifest.audit_chain.head_hash
            ),
        ),
    )
    .await?;
    tx.commit().await?;
    // A bulk load: without fresh statistics the planner takes the new
    // municipality for an empty one.
    db.refresh_statistics().await?;
    bar.finish_and_clear();
    // The addressee index is derived, not exported: built again here.
    kiban_addressee::storage::index_all(tenant).await?;
    Ok(ImportSummary {
        rows,
        source: manifest.municipality_code,
    })
}

/// `kiban import`.
pub async fn import(database_url: &str, args: ImportArgs) -> Result<(), CliError> {
    let code = parse_code("--municipality", &args.municipality)?;
    let identity = args.identity.as_deref().map(Identity::read).transpose()?;
    let db = open_migrated(database_url).await?;
    let tenant = db.tenant(code).await?;
    let started = Instant::now();
    let summary = import_from(&db, &tenant, &args.input, true, identity.as_ref()).await?;
    let seconds = started.elapsed().as_secs_f64();
    say(&format!(
        "団体 {} の標準形式データを団体 {code} に取り込みました（{} 行、{seconds:.1} 秒）。",
        summary.source, summary.rows
    ));
    db.close().await;
    Ok(())
}
