//! `kiban client create|list|disable`: the system clients (システム連携
//! クライアント) of a municipality, which call the API with OAuth 2.0 client
//! credentials (contract `addressee-v1.md`, "System clients").

use clap::Subcommand;
use serde_json::json;

use crate::commands::{CliError, open_migrated, parse_code};
use crate::output::{emit, say};

/// `kiban client …`.
#[derive(Subcommand)]
pub enum ClientCommand {
    /// Creates a client and prints {"client_id","client_secret"} once (only
    /// a digest of the secret is kept).
    Create {
        /// The client's municipality.
        #[arg(long)]
        municipality: String,
        /// The calling system's name (e.g. 税務システム).
        #[arg(long)]
        name: String,
        /// A scope BUSINESS:RESOURCE:OPERATION (e.g. registry:persons:read);
        /// repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
    /// Lists the municipality's clients as JSON (never their secrets).
    List {
        /// The municipality.
        #[arg(long)]
        municipality: String,
    },
    /// Disables a client: it can no longer get tokens, and its tokens stop
    /// working at once.
    Disable {
        /// The client's municipality.
        #[arg(long)]
        municipality: String,
        /// The client id.
        client_id: String,
    },
}

/// The access-log actor of these commands.
fn actor() -> kiban_audit::Actor {
    kiban_audit::Actor::new("kiban-cli", "operator")
}

/// Runs a `kiban client` command.
pub async fn run(database_url: &str, command: ClientCommand) -> Result<(), CliError> {
    match command {
        ClientCommand::Create {
            municipality,
            name,
            scopes,
        } => {
            let code = parse_code("--municipality", &municipality)?;
            let db = open_migrated(database_url).await?;
            let tenant = db.tenant(code).await?;
            let created = kiban_auth::clients::create_client(&tenant, &actor(), &name, &scopes)
                .await
                .map_err(CliError::from)?;
            say(&format!(
                "システム連携クライアント {}（{}）を {code} に作成しました。クライアントシークレットは今回だけ表示します。",
                created.client_id,
                name.trim()
            ));
            emit(
                &json!({
                    "client_id": created.client_id,
                    "client_secret": created.client_secret.as_str(),
                })
                .to_string(),
            );
            Ok(())
        }
        ClientCommand::List { municipality } => {
            let code = parse_code("--municipality", &municipality)?;
            let db = open_migrated(database_url).await?;
            let tenant = db.tenant(code).await?;
            let clients = kiban_auth::clients::list_clients(&tenant).await?;
            let listed: Vec<serde_json::Value> = clients
                .into_iter()
                .map(|c| {
                    json!({
                        "client_id": c.client_id,
                        "name": c.name,
                        "scopes": c.scopes,
                        "created_at": c.created_at,
                        "created_by": c.created_by,
                        "disabled_at": c.disabled_at,
                    })
                })
                .collect();
            emit(&serde_json::Value::Array(listed).to_string());
            Ok(())
        }
        ClientCommand::Disable {
            municipality,
            client_id,
        } => {
            let code = parse_code("--municipality", &municipality)?;
            let db = open_migrated(database_url).await?;
            let tenant = db.tenant(code).await?;
            kiban_auth::clients::disable_client(&tenant, &actor(), &client_id).await?;
            say(&format!(
                "システム連携クライアント {client_id} を無効にしました（発行済みのアクセストークンも使えなくなります）。"
            ));
            emit(&client_id);
            Ok(())
        }
    }
}
