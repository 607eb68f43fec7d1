//! `kiban collection …` (contract `collection-v1`): payments files into
//! the receivable ledger, and the ledger's check.
//!
//! `import-payments`: all records or none; a malformed file imports
//! nothing and exits 2 naming the record and field (every problem in the
//! report), the same file twice exits 2. `verify`: exit 0 when every charge
//! and payment adds up, 1 naming the first that does not.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use kiban_audit::Actor;
use kiban_collection::payment_file::PaymentFormat;
use kiban_collection_storage::payments::{self, ImportError};
use kiban_collection_storage::verify;

use crate::commands::{CliError, open_migrated, parse_code};
use crate::output::{emit, say, say_problems, write_report};

/// `kiban collection …`.
#[derive(Subcommand)]
pub enum CollectionCommand {
    /// Imports a payments file (convenience-store-v1, payments-csv-v1 or zengin-transfer-result) and writes the report.
    ImportPayments(ImportPaymentsArgs),
    /// Checks that every charge and payment of the municipality adds up.
    Verify {
        /// The municipality (団体コード).
        #[arg(long)]
        municipality: String,
    },
}

/// `kiban collection import-payments`.
#[derive(Args)]
pub struct ImportPaymentsArgs {
    /// The municipality (団体コード).
    #[arg(long)]
    municipality: String,
    /// `convenience-store-v1`, `payments-csv-v1` or `zengin-transfer-result`.
    #[arg(long)]
    format: String,
    /// The payments file (UTF-8 CSV).
    #[arg(long = "in")]
    input: PathBuf,
    /// Where to write the report (JSON).
    #[arg(long)]
    report: PathBuf,
}

/// Runs `kiban collection …`.
pub async fn run(database_url: &str, command: CollectionCommand) -> Result<(), CliError> {
    match command {
        CollectionCommand::ImportPayments(args) => import(database_url, args).await,
        CollectionCommand::Verify { municipality } => check(database_url, &municipality).await,
    }
}

async fn import(database_url: &str, args: ImportPaymentsArgs) -> Result<(), CliError> {
    let code = parse_code("--municipality", &args.municipality)?;
    let format = PaymentFormat::parse(&args.format).ok_or_else(|| {
        CliError::invalid(format!(
            "--format {}: convenience-store-v1・payments-csv-v1・zengin-transfer-result のいずれかを指定してください",
            args.format
        ))
    })?;
    let bytes = std::fs::read(&args.input)
        .map_err(|e| CliError::invalid(format!("--in {}: {e}", args.input.display())))?;
    let db = open_migrated(database_url).await?;
    let tenant = db.tenant(code).await?;
    let actor = Actor::new("kiban-cli", "operator");
    let result = payments::import(
        &tenant,
        &actor,
        format,
        &bytes,
        kiban_core::today_in_japan(),
    )
    .await;
    db.close().await;
    match result {
        Ok(report) => {
            write_report(&args.report, &report.to_json())?;
            say(&format!(
                "{} 件を取り込みました: 消込 {}（うち過誤納 {}）、未消込 {}、重複 {}（報告書 {}）。",
                report.records,
                report.posted,
                report.overpaid,
                report.suspense,
                report.duplicates,
                args.report.display()
            ));
            emit(&report.posted.to_string());
            Ok(())
        }
        Err(ImportError::Malformed(errors)) => {
            say_problems(&args.input, &args.report, &errors, errors.len());
            write_report(
                &args.report,
                &serde_json::json!({"imported": false, "problems": payments::problems_json(&errors)}),
            )?;
            Err(CliError::invalid(
                ImportError::Malformed(errors).message().text(),
            ))
        }
        Err(e @ ImportError::AlreadyImported(_)) => Err(CliError::invalid(e.message().text())),
        Err(ImportError::Store(e)) => Err(CliError::from(e)),
    }
}

async fn check(database_url: &str, municipality: &str) -> Result<(), CliError> {
    let code = parse_code("--municipality", municipality)?;
    let db = open_migrated(database_url).await?;
    let tenant = db.tenant(code).await?;
    let report = verify::verify(&tenant, &Actor::new("kiban-cli", "operator")).await;
    db.close().await;
    let report = report?;
    match &report.first_discrepancy {
        None => {
            say(&format!(
                "収納台帳は一致しています（調定 {} 件、収納 {} 件）。",
                report.charges, report.payments
            ));
            emit("ok");
            Ok(())
        }
        Some(found) => {
            emit(&found.to_string());
            Err(CliError::runtime(format!(
                "収納台帳が一致しません: {found}"
            )))
        }
    }
}
