//! `kiban tax …`: the resident tax's settings of a fiscal year (個人住民税
//! の課税設定, contract `resident-tax-v1`).

use clap::Subcommand;
use kiban_audit::Actor;
use kiban_core::FiscalYear;
use kiban_resident_tax::storage::settings::{self, SettingsStoreError};
use kiban_resident_tax::wire;

use crate::commands::{CliError, open_migrated, parse_code};
use crate::output::emit;

/// `kiban tax …`.
#[derive(Subcommand)]
pub enum TaxCommand {
    /// Records the settings of a fiscal year from a JSON file (the body of
    /// `PUT …/resident-tax/{fiscal_year}/settings`; members left out take
    /// their defaults) and prints the settings in force. Without
    /// `--input`, prints the settings in force.
    Settings {
        /// The municipality.
        #[arg(long)]
        municipality: String,
        /// The fiscal year (e.g. 2026).
        #[arg(long)]
        fiscal_year: i32,
        /// The settings file (JSON).
        #[arg(long)]
        input: Option<std::path::PathBuf>,
    },
}

fn settings_error(e: SettingsStoreError) -> CliError {
    match e {
        SettingsStoreError::Invalid(e) => CliError::invalid(e.message.text()),
        SettingsStoreError::Store(e) => e.into(),
    }
}

/// Runs a `kiban tax` command.
pub async fn run(url: &str, command: TaxCommand) -> Result<(), CliError> {
    match command {
        TaxCommand::Settings {
            municipality,
            fiscal_year,
            input,
        } => {
            let code = parse_code("--municipality", &municipality)?;
            let year = FiscalYear::new(fiscal_year)
                .map_err(|e| CliError::invalid(format!("--fiscal-year: {}", e.message().text())))?;
            kiban_resident_tax::domain::settings::check_rules(year)
                .map_err(|e| CliError::invalid(format!("--fiscal-year: {}", e.message.text())))?;
            let parsed = match &input {
                None => None,
                Some(path) => {
                    let text = std::fs::read_to_string(path).map_err(|e| {
                        CliError::invalid(format!("--input {}: {e}", path.display()))
                    })?;
                    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                        CliError::invalid(format!("--input: JSONとして読めません: {e}"))
                    })?;
                    Some(
                        wire::settings_input(&value)
                            .map_err(|e| CliError::invalid(e.message.text()))?,
                    )
                }
            };
            let db = open_migrated(url).await?;
            let tenant = db.tenant(code).await?;
            let in_force = match parsed {
                Some(parsed) => {
                    settings::put(&tenant, &Actor::new("kiban-cli", "operator"), year, &parsed)
                        .await
                        .map_err(settings_error)?
                }
                None => settings::get(&tenant, year).await.map_err(settings_error)?,
            };
            emit(&wire::settings_json(&in_force).to_string());
            Ok(())
        }
    }
}
