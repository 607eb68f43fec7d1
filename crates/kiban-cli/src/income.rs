//! `kiban income import`: an `income-csv-v1` file (所得情報: 給与支払報告書,
//! 公的年金等支払報告書, 申告) into a fiscal year of the resident tax
//! (contract `resident-tax-v1`, "Income records").
//!
//! All rows or none: a malformed file imports nothing and exits 2 with
//! every problem (row and column) on stderr and in the report; the same
//! file imported twice is refused (exit 2). Otherwise the report of the
//! contract (`rows`, `matched`, `unmatched`, `ambiguous`, `issues`) is
//! written to `--report`.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, Subcommand};
use kiban_audit::Actor;
use kiban_core::FiscalYear;
use kiban_resident_tax::storage::income::{self, ImportError};

use crate::commands::{CliError, open_migrated, parse_code};
use crate::output::{emit, say, say_problems, write_report};

/// `kiban income …`.
#[derive(Subcommand)]
pub enum IncomeCommand {
    /// Imports an income-csv-v1 file (all rows or none) and writes the report.
    Import(ImportIncomeArgs),
}

/// `kiban income import`.
#[derive(Args)]
pub struct ImportIncomeArgs {
    /// The municipality (団体コード).
    #[arg(long)]
    municipality: String,
    /// The fiscal year of the resident tax (e.g. 2026).
    #[arg(long)]
    fiscal_year: i32,
    /// The income-csv-v1 file (UTF-8).
    #[arg(long = "in")]
    input: PathBuf,
    /// Where to write the report (JSON).
    #[arg(long)]
    report: PathBuf,
}

/// Runs `kiban income …`.
pub async fn run(database_url: &str, command: IncomeCommand) -> Result<(), CliError> {
    match command {
        IncomeCommand::Import(args) => import(database_url, args).await,
    }
}

async fn import(database_url: &str, args: ImportIncomeArgs) -> Result<(), CliError> {
    let code = parse_code("--municipality", &args.municipality)?;
    let year = FiscalYear::new(args.fiscal_year).map_err(|e| {
        CliError::invalid(format!(
            "--fiscal-year {}: {}",
            args.fiscal_year,
            e.message().text()
        ))
    })?;
    let bytes = std::fs::read(&args.input)
        .map_err(|e| CliError::invalid(format!("--in {}: {e}", args.input.display())))?;
    let db = open_migrated(database_url).await?;
    let tenant = db.tenant(code).await?;
    let actor = Actor::new("kiban-cli", "operator");
    say(&format!(
        "{} を {code} の {} 年度に取り込みます（{} バイト）…",
        args.input.display(),
        year.start_year(),
        bytes.len()
    ));
    let started = Instant::now();
    let result = income::import_income_file(&tenant, &actor, year, &bytes).await;
    db.close().await;
    match result {
        Ok(report) => {
            write_report(&args.report, &report.to_json())?;
            say(&format!(
                "{} 行を取り込みました（{:.1} 秒）: 一致 {}、不一致 {}、複数一致 {}（突合待ち {} 件。報告書 {}）。",
                report.rows,
                started.elapsed().as_secs_f64(),
                report.matched,
                report.unmatched,
                report.ambiguous,
                report.unmatched + report.ambiguous,
                args.report.display()
            ));
            emit(&report.rows.to_string());
            Ok(())
        }
        Err(ImportError::Malformed(error)) => {
            say_problems(&args.input, &args.report, &error.issues, error.total);
            let problems: Vec<serde_json::Value> = error
                .issues
                .iter()
                .map(|i| {
                    serde_json::json!({
                        "row": i.row,
                        "column": i.column,
                        "code": i.problem.code(),
                        "message": i.problem.message_ja(),
                    })
                })
                .collect();
            write_report(
                &args.report,
                &serde_json::json!({"imported": false, "total": error.total, "problems": problems}),
            )?;
            Err(CliError::invalid(
                ImportError::Malformed(error).message().text(),
            ))
        }
        Err(e @ (ImportError::Duplicate { .. } | ImportError::NoRules(_))) => {
            Err(CliError::invalid(e.message().text()))
        }
        Err(ImportError::Store(e)) => Err(CliError::from(e)),
    }
}
