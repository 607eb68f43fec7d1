//! `kiban bench resident-tax`: the annual assessment job
//! (`resident-tax-assessment`) next to the raw limit of the same work on
//! the same engine, with the peak memory of each.
//!
//! The raw limit reads what the job reads (the settings of the year, the
//! residents on 1 January by the registry's own read as of a date, the
//! year's income records of matched addressees and the birth dates of the
//! non-residents among them) with plain statements, calculates nothing,
//! and writes one row per liable person into a scratch table of the shape
//! of `resident_tax_assessments` (its keys and indexes), in one
//! transaction; the scratch table is dropped after. Then the real job runs through the
//! job engine, as `kiban batch run` runs it. The job writes the year's
//! assessments, so the benchmark wants a municipality not yet assessed
//! that year (a freshly generated demo).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use clap::Args;
use kiban_core::FiscalYear;
use kiban_jobs::engine::{self, EngineOptions, Status};
use kiban_registry::domain::PersonId;
use kiban_resident_tax::storage::assessment::{ASSESSMENT_COLUMNS, in_literal};
use kiban_store::{Arg, ColumnKind, Field, StoreError, TenantDb};

use crate::commands::{CliError, open_migrated, parse_code};
use crate::output::{emit, say};

/// `kiban bench resident-tax`.
#[derive(Args)]
pub struct BenchArgs {
    /// The municipality (the demo's by default).
    #[arg(long, default_value = "990019")]
    municipality: String,
    /// The fiscal year assessed (the demo's income records are of the
    /// current one).
    #[arg(long)]
    fiscal_year: i32,
    /// Subjects per chunk when the job is planned (as `kiban batch run`).
    #[arg(long, default_value_t = 100_000)]
    chunk_size: u64,
    /// The day of the assessment (default: today in Japan).
    #[arg(long)]
    assessed_on: Option<String>,
}

/// The scratch table of the raw limit.
const SCRATCH: &str = "bench_resident_tax_assessments";

/// The rows of one multi-row write of the raw limit (about the job's
/// chunk).
const RAW_BATCH: usize = 25_000;

/// The peak resident memory of the process since the last reset
/// (`VmHWM`), in bytes; `None` where the system does not tell.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Starts a new peak at the present resident memory (Linux: `5` into
/// `clear_refs`); false where that is not possible (the next peak then
/// includes the earlier phases).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn megabytes(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "unknown".to_owned(),
        |b| format!("{:.0} MB", b as f64 / 1e6),
    )
}

/// What the raw limit did.
struct Raw {
    rows: u64,
    time: Duration,
    peak: Option<u64>,
    calc_input_bytes: u64,
}

/// Runs the benchmark and prints its figures.
pub async fn run(url: &str, args: BenchArgs) -> Result<(), CliError> {
    let code = parse_code("--municipality", &args.municipality)?;
    let year = FiscalYear::new(args.fiscal_year)
        .map_err(|e| CliError::invalid(format!("--fiscal-year: {}", e.message().text())))?;
    let assessed_on = match &args.assessed_on {
        Some(text) => kiban_core::date::parse_iso(text).map_err(|e| {
            CliError::invalid(format!("--assessed-on {text}: {}", e.message().text()))
        })?,
        None => kiban_core::today_in_japan(),
    };
    let db = open_migrated(url).await?;
    let tenant = db.tenant(code).await?;
    let engine_name = db.backend().name();
    let (already, _, _) = assessments(&tenant, year).await?;
    if already > 0 {
        return Err(CliError::invalid(format!(
            "{}年度はすでに {already} 件課税されています（ジョブはそれらを飛ばすため測定になりません）。課税前のデモで測ってください。",
            year.start_year()
        )));
    }

    // (a) The raw limit, into a scratch table dropped after.
    kiban_store::raw::drop_scratch_table(&db, SCRATCH).await?;
    kiban_store::raw::create_scratch_table(&db, "resident_tax_assessments", SCRATCH).await?;
    // On a handle of its own: what the registry remembers per pool (the
    // persons of later movements) is not handed to the job.
    let raw_tenant = open_migrated(url).await?.tenant(code).await?;
    let raw = raw_limit(&raw_tenant, year, assessed_on).await;
    kiban_store::raw::drop_scratch_table(&db, SCRATCH).await?;
    let raw = raw?;
    emit(&format!(
        "{engine_name}: raw limit (plain reads, {} rows written, no calculation): {:.3} s, peak RSS {}, calc_input {:.0} bytes/row",
        raw.rows,
        raw.time.as_secs_f64(),
        megabytes(raw.peak),
        raw.calc_input_bytes as f64 / raw.rows.max(1) as f64
    ));

    // (b) The job, as `kiban batch run` runs it.
    let (job_time, job_peak) = job(&tenant, year, assessed_on, args.chunk_size).await?;
    let (rows, total, calc_input_bytes) = assessments(&tenant, year).await?;
    emit(&format!(
        "{engine_name}: resident-tax-assessment ({rows} assessments, total {total} yen): {:.3} s, peak RSS {}, calc_input {:.0} bytes/row",
        job_time.as_secs_f64(),
        megabytes(job_peak),
        calc_input_bytes as f64 / rows.max(1) as f64
    ));
    emit(&format!(
        "{engine_name}: rows {rows} (raw {}), job {:.3} s, raw {:.3} s, raw/job {:.2}, peak RSS {}",
        raw.rows,
        job_time.as_secs_f64(),
        raw.time.as_secs_f64(),
        raw.time.as_secs_f64() / job_time.as_secs_f64().max(1e-9),
        megabytes(job_peak.max(raw.peak))
    ));
    if raw.rows != rows {
        say(&format!(
            "注意: 素の書き込みは {} 行、ジョブの課税は {rows} 件でした。",
            raw.rows
        ));
    }
    Ok(())
}

/// The year's assessments: (rows, the sum of their totals, the bytes of
/// their calc-v1 inputs).
async fn assessments(tenant: &TenantDb, year: FiscalYear) -> Result<(u64, i64, u64), StoreError> {
    let mut tx = tenant.begin_read().await?;
    let row = tx
        .fetch_optional(
            "SELECT COUNT(*), CAST(COALESCE(SUM(total), 0) AS BIGINT), \
             CAST(COALESCE(SUM(LENGTH(calc_input)), 0) AS BIGINT) \
             FROM resident_tax_assessments WHERE municipality_code = $1 AND fiscal_year = $2",
            &[Arg::Int(i64::from(year.start_year()))],
        )
        .await?;
    tx.rollback().await?;
    Ok(match row {
        Some(row) => (
            u64::try_from(row.int(0)?).unwrap_or(0),
            row.int(1)?,
            u64::try_from(row.int(2)?).unwrap_or(0),
        ),
        None => (0, 0, 0),
    })
}

fn field_int(fields: &[Field<'_>], i: usize) -> Option<i64> {
    match fields.get(i) {
        Some(Field::Int(n)) => Some(*n),
        _ => None,
    }
}

/// The raw limit: the job's inputs read by plain statements, one row per
/// liable person written into the scratch table, one transaction.
async fn raw_limit(
    tenant: &TenantDb,
    year: FiscalYear,
    assessed_on: kiban_core::Date,
) -> Result<Raw, CliError> {
    reset_peak_rss();
    let started = Instant::now();
    let start_year = i64::from(year.start_year());
    let jan1 = year.assessment_date();
    let mut tx = tenant.begin().await?;
    // The settings of the year.
    tx.fetch_all(
        "SELECT settings FROM resident_tax_settings WHERE municipality_code = $1 \
         AND fiscal_year = $2 ORDER BY version_no",
        &[Arg::Int(start_year)],
    )
    .await?;
    // The residents on 1 January with their birth dates (the registry's
    // own read as of a date: one range statement over the projection and
    // the persons of movements dated after it).
    let mut liable: BTreeMap<i64, String> = kiban_registry::storage::statistics::residents_between(
        &mut tx,
        jan1,
        PersonId::new(0),
        PersonId::new(u64::try_from(i64::MAX).unwrap_or(u64::MAX)),
    )
    .await?
    .into_iter()
    .map(|(p, birth)| {
        (
            i64::try_from(p.get()).unwrap_or(i64::MAX),
            birth.to_string(),
        )
    })
    .collect();
    // The year's income records of matched addressees (what the job's
    // records statement returns, its sealed numbers included).
    let mut records: HashMap<i64, u32> = HashMap::new();
    tx.for_each_row::<StoreError>(
        &format!(
            "SELECT addressee_id, record_id, record, number_sealed, source, payer_number \
             FROM income_records WHERE municipality_code = $1 AND fiscal_year = {start_year} \
             AND addressee_id IS NOT NULL"
        ),
        &[
            ColumnKind::Int,
            ColumnKind::Int,
            ColumnKind::Text,
            ColumnKind::Bytes,
            ColumnKind::Text,
            ColumnKind::Text,
        ],
        |f| {
            if let Some(id) = field_int(f, 0) {
                *records.entry(id).or_default() += 1;
            }
            Ok(())
        },
    )
    .await?;
    // The birth dates of the non-residents with records.
    let others: Vec<i64> = records
        .keys()
        .filter(|id| !liable.contains_key(id))
        .copied()
        .collect();
    for chunk in others.chunks(kiban_store::IN_LIST_CHUNK) {
        let list = in_literal(chunk);
        for row in tx
            .fetch_all(
                &format!(
                    "SELECT addressee_id, birth_date FROM addressee_versions \
                     WHERE municipality_code = $1 AND addressee_id IN ({list})"
                ),
                &[],
            )
            .await?
        {
            liable.insert(row.int(0)?, row.text(1)?);
        }
    }
    // One row per liable person, whose calc_input names only the birth
    // date and the number of records: fewer bytes than the job's inputs,
    // so that the limit is not flattered.
    let recorded_at = kiban_store::now_text();
    let mut rows = 0u64;
    let mut calc_input_bytes = 0u64;
    let mut batch: Vec<Vec<Arg>> = Vec::with_capacity(RAW_BATCH);
    let liable_count = liable.len();
    for (n, (id, birth)) in liable.into_iter().enumerate() {
        let calc_input = format!(
            "{{\"birth_date\":\"{birth}\",\"records\":{}}}",
            records.remove(&id).unwrap_or(0)
        );
        calc_input_bytes += calc_input.len() as u64;
        batch.push(vec![
            Arg::Int(start_year),
            Arg::Int(id),
            Arg::Int(1),
            Arg::from(assessed_on),
            Arg::Text(recorded_at.clone()),
            Arg::from("bench"),
            Arg::NullInt,
            Arg::from("ordinary"),
            Arg::Int(0),
            Arg::Int(0),
            Arg::Int(0),
            Arg::from("all"),
            Arg::NullText,
            Arg::NullText,
            Arg::Text(String::new()),
            Arg::Text(String::new()),
            Arg::Text(String::new()),
            Arg::Text(calc_input),
        ]);
        if batch.len() == RAW_BATCH || n + 1 == liable_count {
            rows += tx.insert_rows(SCRATCH, &ASSESSMENT_COLUMNS, &batch).await?;
            batch.clear();
        }
    }
    tx.commit().await?;
    let time = started.elapsed();
    Ok(Raw {
        rows,
        time,
        peak: peak_rss(),
        calc_input_bytes,
    })
}

/// The job through the job engine, as `kiban batch run` runs it.
async fn job(
    tenant: &TenantDb,
    year: FiscalYear,
    assessed_on: kiban_core::Date,
    chunk_size: u64,
) -> Result<(Duration, Option<u64>), CliError> {
    let kinds = crate::batch::job_kinds();
    let params: BTreeMap<String, String> = [
        ("fiscal_year".to_owned(), year.start_year().to_string()),
        ("assessed_on".to_owned(), assessed_on.to_string()),
    ]
    .into();
    let options = EngineOptions {
        chunk_size: chunk_size.max(1),
        ..EngineOptions::default()
    };
    reset_peak_rss();
    let started = Instant::now();
    let id = engine::submit(
        tenant,
        &kinds,
        kiban_resident_tax::jobs::ASSESSMENT_JOB,
        &params,
        "bench",
    )
    .await
    .map_err(|e| CliError::runtime(e.to_string()))?;
    let status = engine::run_to_end(tenant, &kinds, id, &options, Duration::ZERO, |_| {}).await?;
    let time = started.elapsed();
    if status != Status::Succeeded {
        return Err(CliError::runtime(format!(
            "job {id} ended {}",
            status.code()
        )));
    }
    Ok((time, peak_rss()))
}
