//! `kiban webhook …`: the hosts a municipality's webhooks may reach (the
//! operator's allow-list; the webhooks themselves are registered by the
//! municipality's administrators through the API).

use clap::Subcommand;
use kiban_linkage::webhooks;

use crate::commands::{CliError, open_migrated, parse_code};
use crate::output::{emit, say};

/// `kiban webhook …`.
#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Allows the municipality's webhooks to reach HOST (a host name or IP
    /// address, without scheme, port or path).
    AllowHost {
        /// The municipality.
        #[arg(long)]
        municipality: String,
        /// The host.
        host: String,
    },
    /// Lists the allowed hosts (host, added at, added by; tab-separated).
    ListHosts {
        /// The municipality.
        #[arg(long)]
        municipality: String,
    },
    /// Removes HOST from the allow-list; webhooks to it are parked at
    /// their next delivery.
    DisallowHost {
        /// The municipality.
        #[arg(long)]
        municipality: String,
        /// The host.
        host: String,
    },
}

fn webhook_error(error: webhooks::WebhookError) -> CliError {
    match error {
        webhooks::WebhookError::Target(e) => CliError::invalid(e.message().text()),
        webhooks::WebhookError::Store(e) => e.into(),
        e => CliError::runtime(e.to_string()),
    }
}

/// Runs a `kiban webhook` command.
pub async fn run(url: &str, command: WebhookCommand) -> Result<(), CliError> {
    match command {
        WebhookCommand::AllowHost { municipality, host } => {
            let code = parse_code("--municipality", &municipality)?;
            let db = open_migrated(url).await?;
            let tenant = db.tenant(code).await?;
            let host_name = kiban_linkage::target::parse_host(&host)
                .map_err(|e| CliError::invalid(e.message().text()))?;
            if webhooks::allow_host(&tenant, &host_name, "kiban-cli")
                .await
                .map_err(webhook_error)?
            {
                say(&format!(
                    "{code} の Webhook の送信先として {host_name} を許可しました。"
                ));
            } else {
                say(&format!("{host_name} は既に許可されています。"));
            }
            Ok(())
        }
        WebhookCommand::ListHosts { municipality } => {
            let code = parse_code("--municipality", &municipality)?;
            let db = open_migrated(url).await?;
            let tenant = db.tenant(code).await?;
            for host in webhooks::allowed_hosts(&tenant).await? {
                emit(&format!(
                    "{}\t{}\t{}",
                    host.host, host.added_at, host.added_by
                ));
            }
            Ok(())
        }
        WebhookCommand::DisallowHost { municipality, host } => {
            let code = parse_code("--municipality", &municipality)?;
            let db = open_migrated(url).await?;
            let tenant = db.tenant(code).await?;
            let host_name = kiban_linkage::target::parse_host(&host)
                .map_err(|e| CliError::invalid(e.message().text()))?;
            if webhooks::disallow_host(&tenant, &host_name)
                .await
                .map_err(webhook_error)?
            {
                say(&format!(
                    "{host_name} の許可を取り消しました（この送信先の Webhook は次の配信で保留になります）。"
                ));
                Ok(())
            } else {
                Err(CliError::invalid(format!(
                    "{host_name} は許可されていません。"
                )))
            }
        }
    }
}
