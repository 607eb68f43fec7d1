//! `kiban demo income-file`: the demo income records (`income-csv-v1`) of a
//! fiscal year for the population `kiban demo generate` made.
//!
//! The population is regenerated from its seed rather than read back from
//! the registry:
//! - It is what the file must describe. The generator is deterministic, and
//!   the registry holds exactly what it drew (`demo generate` records the
//!   seed, the number of residents and the chunk size of each run in
//!   `job_progress`, and the day of the run is its base date), so the
//!   persons, their households and their relationships come back as they
//!   were registered, with the household structure (who is whose spouse,
//!   child or parent) the file needs and no 続柄 guessing.
//! - Reading a million persons as of 1 January through the registry's read
//!   paths means a million logged reads of personal data (one access-log
//!   entry each) for a file of invented people, and folds every person's
//!   movements one by one; regenerating is a few seconds.
//! - The registry as of 1 January is honoured: persons who became
//!   residents after that day are left out, as the registry would.
//!
//! What this does not see: changes a clerk made after the generation (a
//! move, a marriage). Their rows keep the generated values and go to the
//! matching queue of the import, as a real file's stale rows do.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use kiban_core::FiscalYear;
use kiban_demo::income::{DemoPopulation, IndividualNumbers, write_income_file};
use kiban_store::platform;
use kiban_store::{Arg, TenantDb};

use crate::commands::{CliError, open_migrated, parse_code};
use crate::demo::{JOB_NAME, profile_on};
use crate::output::{emit, say};

/// `kiban demo income-file`.
#[derive(Args)]
pub struct IncomeFileArgs {
    /// The municipality filled by `kiban demo generate`.
    #[arg(long)]
    municipality: String,
    /// 課税年度: the records are the income of the year before, and names
    /// and addresses those of 1 January of this year.
    #[arg(long)]
    fiscal_year: String,
    /// The file to write (income-csv-v1).
    #[arg(long)]
    out: PathBuf,
}

/// One finished run of `demo generate` as `job_progress` records it.
struct Run {
    key: String,
    started_at: jiff::Timestamp,
}

/// What a run's key says: residents (seed, count, chunk size) or
/// non-residents (seed, count).
enum RunKind {
    Residents { seed: u64, count: u64, chunk: u32 },
    NonResidents { seed: u64, count: u64 },
}

fn parse_key(key: &str) -> Option<RunKind> {
    let fields = |text: &str| -> Option<Vec<(String, u64)>> {
        text.split(';')
            .map(|part| {
                let (name, value) = part.split_once('=')?;
                Some((name.to_owned(), value.parse().ok()?))
            })
            .collect()
    };
    let get = |fields: &[(String, u64)], name: &str| {
        fields.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    };
    if let Some(rest) = key.strip_prefix("non_residents ") {
        let f = fields(rest)?;
        return Some(RunKind::NonResidents {
            seed: get(&f, "seed")?,
            count: get(&f, "count")?,
        });
    }
    let f = fields(key)?;
    Some(RunKind::Residents {
        seed: get(&f, "seed")?,
        count: get(&f, "residents")?,
        chunk: u32::try_from(get(&f, "chunk")?).ok()?,
    })
}

/// The finished runs of `demo generate` in the municipality, oldest first.
async fn finished_runs(tenant: &TenantDb) -> Result<Vec<Run>, CliError> {
    let mut tx = tenant.begin_read().await?;
    let rows = tx
        .fetch_all(
            "SELECT job_key, started_at FROM job_progress \
             WHERE municipality_code = $1 AND job_name = $2 AND chunks_done >= total_chunks \
             ORDER BY started_at, job_key",
            &[Arg::from(JOB_NAME)],
        )
        .await?;
    let unfinished = tx
        .fetch_optional(
            "SELECT job_key FROM job_progress \
             WHERE municipality_code = $1 AND job_name = $2 AND chunks_done < total_chunks",
            &[Arg::from(JOB_NAME)],
        )
        .await?;
    tx.commit().await?;
    if let Some(row) = unfinished {
        return Err(CliError::invalid(format!(
            "--municipality: デモデータの生成（{}）が完了していません。kiban demo generate を同じ引数で再実行して完了させてください",
            row.text(0)?
        )));
    }
    rows.iter()
        .map(|row| {
            let key = row.text(0)?;
            let text = row.text(1)?;
            let started_at = text.parse::<jiff::Timestamp>().map_err(|e| {
                CliError::runtime(format!(
                    "job_progress.started_at が読めません（{text}）: {e}"
                ))
            })?;
            Ok(Run { key, started_at })
        })
        .collect()
}

/// How many rows of `table` the municipality holds.
async fn count(tenant: &TenantDb, table: &str) -> Result<i64, CliError> {
    let mut tx = tenant.begin_read().await?;
    let row = tx
        .fetch_optional(
            &format!("SELECT COUNT(*) FROM {table} WHERE municipality_code = $1"),
            &[],
        )
        .await?;
    tx.commit().await?;
    Ok(match row {
        Some(row) => row.int(0)?,
        None => 0,
    })
}

/// The population `kiban demo generate` made in municipality `code`, as the
/// income generator needs it, and which 個人番号 the payers may write.
async fn population_of(
    db: &kiban_store::Database,
    code: kiban_core::MunicipalityCode,
) -> Result<(DemoPopulation, IndividualNumbers), CliError> {
    let m = platform::find_municipality(db, code)
        .await?
        .ok_or_else(|| {
            CliError::invalid(format!("団体コード {code} の団体は登録されていません"))
        })?;
    let tenant = db.tenant(code).await?;
    let runs = finished_runs(&tenant).await?;
    let mut residents = None;
    let mut non_residents = None;
    for run in &runs {
        match parse_key(&run.key) {
            Some(RunKind::Residents { seed, count, chunk }) => {
                if residents.is_some() {
                    return Err(CliError::invalid(format!(
                        "--municipality: 団体 {code} には kiban demo generate の住民の生成が複数あります。所得情報のデモデータは一度の生成で作られた団体についてだけ作れます"
                    )));
                }
                residents = Some((seed, count, chunk, run.started_at));
            }
            Some(RunKind::NonResidents { seed, count }) => {
                non_residents = Some((seed, count, run.started_at));
            }
            None => {
                return Err(CliError::runtime(format!(
                    "job_progress.job_key が読めません: {}",
                    run.key
                )));
            }
        }
    }
    let Some((seed, resident_count, chunk, started_at)) = residents else {
        return Err(CliError::invalid(format!(
            "--municipality: 団体 {code} は kiban demo generate で生成されていません"
        )));
    };
    let profile = profile_on(&m, kiban_core::japan_date(started_at))?;
    let (non_resident_count, non_resident_profile) = match non_residents {
        Some((non_seed, count, at)) if non_seed == seed => {
            (count, profile_on(&m, kiban_core::japan_date(at))?)
        }
        Some(_) => {
            say(
                "住登外者の生成は住民と別の seed で行われているため、住登外者の所得情報は作りません。",
            );
            (0, profile.clone())
        }
        None => (0, profile.clone()),
    };
    // The registry should hold at least the generated residents; fewer means
    // the population is not the one the key describes.
    let persons = count(&tenant, "persons").await?;
    if u64::try_from(persons).unwrap_or(0) < resident_count {
        return Err(CliError::invalid(format!(
            "--municipality: 住民記録が {persons} 人しかありません（生成した住民は {resident_count} 人）。生成後に削除されたデータからは作れません"
        )));
    }
    // Payers write the 個人番号 the addressee master can match; a bulk
    // generation stores none, and a number unknown to the master would
    // send every row to the matching queue.
    let numbers = IndividualNumbers {
        residents: count(&tenant, "individual_numbers").await? > 0,
        non_residents: count(&tenant, "addressee_individual_numbers").await? > 0,
    };
    if !numbers.residents {
        say(
            "住民記録に個人番号がないため、個人番号の欄は空で出力します（基本4情報で突合されます）。",
        );
    }

    let population = DemoPopulation {
        seed,
        profile,
        residents: resident_count,
        chunk_residents: chunk,
        non_resident_profile,
        non_residents: non_resident_count,
    };
    Ok((population, numbers))
}

/// `kiban demo income-file`.
pub async fn income_file(database_url: &str, args: IncomeFileArgs) -> Result<(), CliError> {
    let code = parse_code("--municipality", &args.municipality)?;
    let fiscal_year = args
        .fiscal_year
        .trim()
        .parse::<i32>()
        .ok()
        .and_then(|y| FiscalYear::new(y).ok())
        .ok_or_else(|| {
            CliError::invalid(format!(
                "--fiscal-year: 年度を西暦の数字で指定してください（{}）",
                args.fiscal_year
            ))
        })?;
    let db = open_migrated(database_url).await?;
    let (population, numbers) = population_of(&db, code).await?;
    db.close().await;
    let total = population.residents + population.non_residents;
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("所得情報 {bar:40} {pos}/{len} 人 {per_sec} 残り {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let partial = args.out.with_extension("partial");
    let started = Instant::now();
    let file = std::fs::File::create(&partial).map_err(|e| {
        CliError::runtime(format!(
            "--out: {} を作成できません: {e}",
            partial.display()
        ))
    })?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let counts = write_income_file(&population, fiscal_year, numbers, &mut out, &mut |done| {
        bar.set_position(done)
    })
    .map_err(|e| match e {
        kiban_demo::income::IncomeFileError::NoRules { .. } => {
            CliError::invalid(format!("--fiscal-year: {e}"))
        }
        kiban_demo::income::IncomeFileError::Io(_) => CliError::runtime(format!("--out: {e}")),
    })?;
    out.flush()?;
    drop(out);
    std::fs::rename(&partial, &args.out)?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    say(&format!(
        "{}年度の所得情報 {} 行を {} に書きました（{seconds:.1} 秒）: 給与支払報告書 {}、公的年金等支払報告書 {}、申告 {}、訂正 {}、住登外者 {}、表記ゆれ {}、個人番号なし {}。",
        fiscal_year.start_year(),
        counts.rows,
        args.out.display(),
        counts.salary_reports,
        counts.pension_reports,
        counts.declarations,
        counts.corrections,
        counts.non_resident_rows,
        counts.variants,
        counts.without_number,
    ));
    emit(&format!(
        "rows={} salary_reports={} pension_reports={} declarations={} corrections={} non_resident_rows={} variants={} without_number={}",
        counts.rows,
        counts.salary_reports,
        counts.pension_reports,
        counts.declarations,
        counts.corrections,
        counts.non_resident_rows,
        counts.variants,
        counts.without_number
    ));
    Ok(())
}

/// Generates the demo income records of `fiscal_year` for the population
/// of `code` and imports them (as `kiban income import` does: matched
/// through the addressee master, unmatched rows in the 突合 queue), so that
/// the demo municipality can run its tax year. A file already imported
/// (the same bytes: nothing changed since) is left as it is.
pub async fn import_demo_income(
    db: &kiban_store::Database,
    code: kiban_core::MunicipalityCode,
    fiscal_year: FiscalYear,
) -> Result<(), CliError> {
    let (population, numbers) = population_of(db, code).await?;
    let started = Instant::now();
    let bar = ProgressBar::new(population.residents + population.non_residents);
    bar.set_style(
        ProgressStyle::with_template("所得情報 {bar:40} {pos}/{len} 人 {per_sec} 残り {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut bytes = Vec::new();
    write_income_file(&population, fiscal_year, numbers, &mut bytes, &mut |done| {
        bar.set_position(done)
    })
    .map_err(|e| CliError::runtime(format!("所得情報のデモデータ: {e}")))?;
    bar.finish_and_clear();
    let tenant = db.tenant(code).await?;
    let actor = kiban_audit::Actor::new("demo", "batch");
    match kiban_resident_tax::storage::income::import_income_file(
        &tenant,
        &actor,
        fiscal_year,
        &bytes,
    )
    .await
    {
        Ok(report) => say(&format!(
            "{}年度の所得情報のデモデータ {} 行を取り込みました（{:.1} 秒）: 一致 {}、不一致 {}、複数一致 {}（突合待ち）。",
            fiscal_year.start_year(),
            report.rows,
            started.elapsed().as_secs_f64(),
            report.matched,
            report.unmatched,
            report.ambiguous
        )),
        Err(kiban_resident_tax::storage::income::ImportError::Duplicate { file_id, .. }) => {
            say(&format!(
                "{}年度の所得情報のデモデータは取込済みです（ファイル {file_id}）。",
                fiscal_year.start_year()
            ))
        }
        Err(e) => {
            return Err(CliError::runtime(format!(
                "所得情報のデモデータを取り込めません: {e}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_keys_are_read_back() {
        assert!(matches!(
            parse_key("seed=7;residents=2500;chunk=1000"),
            Some(RunKind::Residents {
                seed: 7,
                count: 2500,
                chunk: 1000
            })
        ));
        assert!(matches!(
            parse_key("non_residents seed=1;count=300"),
            Some(RunKind::NonResidents {
                seed: 1,
                count: 300
            })
        ));
        assert!(parse_key("seed=x;residents=1;chunk=1").is_none());
        assert!(parse_key("something else").is_none());
    }
}
