//! `kiban`: the one binary of Kiban (see the contract `cli.md`).
//!
//! Exit codes: 0 success; 1 failure at run time (I/O, database); 2 invalid
//! arguments or input. Messages for people go to stderr, machine output
//! (JSON, tokens, passwords) to stdout.

mod backup;
mod batch;
mod certificates;
mod clients;
mod collection;
mod commands;
mod demo;
mod demo_income;
mod exchange;
mod exchange_bench;
mod exchange_numbers;
mod income;
mod jobs_bench;
mod legacy;
mod linkage_bench;
mod ops;
mod output;
mod resident_tax_bench;
mod tax;
mod webhooks;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The process's allocator. Under load the server allocates on its runtime
/// threads and on SQLite's connection threads and frees across them; the
/// system allocator spent about a sixth of a search's CPU there (see
/// docs/performance.md, "Registry over HTTP").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Kiban: 自治体基幹業務システム.
#[derive(Parser)]
#[command(
    name = "kiban",
    version,
    about = "Kiban 基盤: 自治体の基幹業務システム"
)]
struct Cli {
    /// Database: sqlite://PATH (created if missing) or postgres://…
    #[arg(
        long,
        global = true,
        env = "KIBAN_DATABASE_URL",
        default_value = "sqlite://./data/kiban.db"
    )]
    database_url: String,

    /// File holding the master key that wraps each municipality's keys for
    /// 個人番号 and second-factor secrets: 32 bytes as 64 hex digits or
    /// Base64. The key itself may instead be given in the environment
    /// variable KIBAN_MASTER_KEY.
    #[arg(long, global = true, env = "KIBAN_MASTER_KEY_FILE")]
    master_key_file: Option<std::path::PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the web screens and the API.
    Serve(commands::ServeArgs),
    /// Applies schema migrations.
    Migrate,
    /// Municipalities (tenants).
    #[command(subcommand)]
    Municipality(commands::MunicipalityCommand),
    /// Demo data.
    #[command(subcommand)]
    Demo(commands::DemoCommand),
    /// Staff and operator accounts.
    #[command(subcommand)]
    User(commands::UserCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(commands::TokenCommand),
    /// Runs one calculation of the calculation API (no database).
    Calc(commands::CalcArgs),
    /// The access log (利用履歴).
    #[command(subcommand)]
    Audit(commands::AuditCommand),
    /// Writes the municipality's whole data in the standard exchange format.
    Export(exchange::ExportArgs),
    /// Loads a standard-format export into an empty municipality (all or nothing).
    Import(exchange::ImportArgs),
    /// Migrates a legacy extract and writes the cleansing report.
    ImportLegacy(legacy::ImportLegacyArgs),
    /// Benchmarks that print their figures.
    #[command(subcommand)]
    Bench(commands::BenchCommand),
    /// Jobs and batches (バッチ): list, run, status, output, cancel.
    #[command(subcommand)]
    Batch(batch::BatchCommand),
    /// Runs only the job worker (no web server) until Ctrl-C.
    Worker(batch::WorkerArgs),
    /// Certificates (証明書): settings.
    #[command(subcommand)]
    Certificate(certificates::CertificateCommand),
    /// System clients (OAuth 2.0 client credentials): create, list, disable.
    #[command(subcommand)]
    Client(clients::ClientCommand),
    /// Webhooks (庁内データ連携): the hosts they may reach.
    #[command(subcommand)]
    Webhook(webhooks::WebhookCommand),
    /// Income records of the resident tax (所得情報): import.
    #[command(subcommand)]
    Income(income::IncomeCommand),
    /// The resident tax (個人住民税): settings of a fiscal year.
    #[command(subcommand)]
    Tax(tax::TaxCommand),
    /// Collection (収納): payments files and the ledger's check.
    #[command(subcommand)]
    Collection(collection::CollectionCommand),
    /// Backups of the whole database (バックアップ): create, restore.
    #[command(subcommand)]
    Backup(backup::BackupCommand),
    /// Operations (運用): restore drills, the monthly report and incidents.
    #[command(subcommand)]
    Ops(ops::OpsCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::error(&format!("実行環境を起動できません: {e}"));
            return ExitCode::from(1);
        }
    };
    if let Err(e) = commands::configure_master_key(cli.master_key_file.as_deref()) {
        output::error(&e.message);
        return ExitCode::from(e.exit_code);
    }
    let result = runtime.block_on(commands::run(cli.database_url, cli.command));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(&e.message);
            ExitCode::from(e.exit_code)
        }
    }
}
