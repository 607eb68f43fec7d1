//! `kiban bench exchange`: the standard export and import in rows/second,
//! each next to the raw limit of the same engine on the same rows
//! (`kiban_store::raw`: PostgreSQL `COPY`; SQLite a streamed `SELECT` to CSV
//! and one prepared `INSERT` per row in one transaction), as ratios.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use clap::Args;
use kiban_core::MunicipalityCode;
use kiban_exchange::standard::{ENTITIES, EntitySpec, Load, TableReader};
use kiban_store::platform::{self, Municipality};
use kiban_store::{Arg, Database, raw};

use crate::commands::{CliError, open_migrated};
use crate::exchange::{export_to, import_from, insert_columns, to_args};
use crate::output::{emit, say};

/// `kiban bench exchange`.
#[derive(Args)]
pub struct BenchArgs {
    /// Residents of the generated municipality.
    #[arg(long, default_value_t = 100_000)]
    residents: u64,
    /// Where to write the files (kept); a temporary directory by default
    /// (removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
}

fn code(five: &str) -> Result<MunicipalityCode, CliError> {
    MunicipalityCode::from_five_digits(five).map_err(|e| CliError::runtime(e.message().text()))
}

fn io(e: &std::io::Error) -> CliError {
    CliError::runtime(format!("入出力エラー: {e}"))
}

/// The columns a raw insert writes: the exported ones, the omitted ones the
/// import fills, and the access log's hashes (filled with zeros).
fn raw_columns(spec: &EntitySpec) -> Vec<&'static str> {
    let mut columns = insert_columns(spec);
    if spec.load == Load::AuditChain {
        columns.extend(["prev_hash", "entry_hash"]);
    }
    columns
}

fn csv_field(out: &mut Vec<u8>, text: &str) {
    if text.contains([',', '"', '\r', '\n']) {
        out.push(b'"');
        out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(text.as_bytes());
    }
}

/// The rows of one exported file, as raw-insert arguments and as COPY CSV
/// (with the municipality code first).
fn prepare(
    spec: &'static EntitySpec,
    path: &std::path::Path,
    municipality: MunicipalityCode,
) -> Result<(Vec<Vec<Arg>>, Vec<u8>), CliError> {
    let file = File::open(path).map_err(|e| io(&e))?;
    let mut reader = TableReader::new(spec, BufReader::new(file))
        .map_err(|e| CliError::runtime(e.message().text()))?;
    let zeros = "0".repeat(64);
    let mut rows = Vec::new();
    let mut csv = Vec::new();
    while let Some(next) = reader.next_row() {
        let (_, row) = next.map_err(|e| CliError::runtime(e.message().text()))?;
        let mut args = to_args(spec, row);
        if spec.load == Load::AuditChain {
            args.push(Arg::from(zeros.as_str()));
            args.push(Arg::from(zeros.as_str()));
        }
        csv.extend_from_slice(municipality.as_str().as_bytes());
        for arg in &args {
            csv.push(b',');
            match arg {
                Arg::Int(v) => csv.extend_from_slice(v.to_string().as_bytes()),
                Arg::Text(t) => csv_field(&mut csv, t),
                Arg::Bytes(b) => {
                    csv.extend_from_slice(b"\\x");
                    for byte in b {
                        csv.extend_from_slice(format!("{byte:02x}").as_bytes());
                    }
                }
                _ => {}
            }
        }
        csv.push(b'\n');
        rows.push(args);
    }
    Ok((rows, csv))
}

fn rate(rows: u64, seconds: f64) -> f64 {
    rows as f64 / seconds.max(1e-9)
}

/// Runs the benchmark on an empty database and prints one line of figures.
pub async fn bench(database_url: &str, args: BenchArgs) -> Result<(), CliError> {
    let db: Database = open_migrated(database_url).await?;
    let backend = db.backend().name();
    if !platform::list_municipalities(&db).await?.is_empty() {
        return Err(CliError::invalid(
            "bench exchange は空のデータベースで実行してください（--database-url に新しいファイルまたはデータベースを指定）",
        ));
    }
    let (source, target, raw_target) = (code("98002")?, code("98003")?, code("98004")?);
    for c in [source, target, raw_target] {
        platform::create_municipality(
            &db,
            &Municipality {
                code: c,
                name: format!("ベンチ市{c}"),
                prefecture: "デモ県".into(),
            },
        )
        .await?;
    }
    say(&format!(
        "bench exchange: {} residents on {backend} (generating…)",
        args.residents
    ));
    let stop = AtomicBool::new(false);
    crate::demo::fill(&db, source, args.residents, 11, 10_000, &stop, true).await?;

    let keep = args.dir.is_some();
    let dir = args.dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("kiban-bench-exchange-{}", std::process::id()))
    });
    let (kiban_dir, raw_dir) = (dir.join("kiban"), dir.join("raw"));
    std::fs::create_dir_all(&raw_dir).map_err(|e| io(&e))?;

    // Export: Kiban's, then the raw limit.
    let started = Instant::now();
    let exported = export_to(&db, source, &kiban_dir, false, None).await?;
    let export_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut raw_rows = 0;
    for spec in ENTITIES {
        let columns: Vec<(&str, bool)> = spec
            .fields
            .iter()
            .map(|f| (f.column, f.ty.is_integer_column()))
            .collect();
        let file = File::create(raw_dir.join(spec.file)).map_err(|e| io(&e))?;
        let mut out = BufWriter::new(file);
        raw_rows += raw::export_csv(&db, source, spec.table, &columns, spec.key, &mut out).await?;
        out.flush().map_err(|e| io(&e))?;
    }
    let raw_export_seconds = started.elapsed().as_secs_f64();

    // Import: Kiban's (checks, one transaction, re-chained access log), then
    // the raw limit on the same rows prepared beforehand.
    let tenant = db.tenant(target).await?;
    let started = Instant::now();
    let imported = import_from(&db, &tenant, &kiban_dir, false, None).await?;
    let import_seconds = started.elapsed().as_secs_f64();
    let mut prepared = Vec::new();
    for spec in ENTITIES {
        prepared.push((spec, prepare(spec, &kiban_dir.join(spec.file), raw_target)?));
    }
    let started = Instant::now();
    let mut raw_imported = 0;
    for (spec, (rows, csv)) in &prepared {
        raw_imported +=
            raw::import_rows(&db, raw_target, spec.table, &raw_columns(spec), rows, csv).await?;
    }
    let raw_import_seconds = started.elapsed().as_secs_f64();
    if !keep {
        let _ = std::fs::remove_dir_all(&dir);
    }

    let export_rate = rate(exported.rows, export_seconds);
    let raw_export_rate = rate(raw_rows, raw_export_seconds);
    let import_rate = rate(imported.rows, import_seconds);
    let raw_import_rate = rate(raw_imported, raw_import_seconds);
    emit(&format!(
        "backend={backend} residents={} rows={} export_seconds={export_seconds:.2} export_rows_per_s={export_rate:.0} \
         raw_export_seconds={raw_export_seconds:.2} raw_export_rows_per_s={raw_export_rate:.0} export_ratio={:.2} \
         import_seconds={import_seconds:.2} import_rows_per_s={import_rate:.0} \
         raw_import_seconds={raw_import_seconds:.2} raw_import_rows_per_s={raw_import_rate:.0} import_ratio={:.2}",
        args.residents,
        imported.rows,
        export_rate / raw_export_rate,
        import_rate / raw_import_rate,
    ));
    db.close().await;
    Ok(())
}
