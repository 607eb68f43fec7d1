//! `kiban ops …`: the service operator's work (運用).

use clap::Subcommand;

use crate::commands::CliError;

/// `kiban ops …` (運用).
#[derive(Subcommand)]
pub enum OpsCommand {
    /// Checks a backup by restoring it into a scratch database; records the
    /// result in the database of --database-url.
    RestoreDrill(crate::backup::DrillArgs),
}

pub async fn run(database_url: &str, command: OpsCommand) -> Result<(), CliError> {
    match command {
        OpsCommand::RestoreDrill(args) => crate::backup::restore_drill(database_url, args).await,
    }
}
