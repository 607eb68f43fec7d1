//! The subcommands.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use kiban_auth::{AuthError, Role, TokenKind};
use kiban_core::MunicipalityCode;
use kiban_store::platform::{self, Municipality};
use kiban_store::{Database, MasterKey, StoreError};

use crate::output::{emit, say};
use crate::{Command, demo, demo_income, exchange, legacy};

/// A failed command: its exit code and the message for people.
#[derive(Debug)]
pub struct CliError {
    /// 1 for run-time failures, 2 for invalid arguments or input.
    pub exit_code: u8,
    /// The message (Japanese).
    pub message: String,
}

impl CliError {
    /// Invalid arguments or input data (exit 2).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self {
            exit_code: 2,
            message: message.into(),
        }
    }

    /// A failure at run time (exit 1).
    pub fn runtime(message: impl Into<String>) -> Self {
        Self {
            exit_code: 1,
            message: message.into(),
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        match e {
            // A missing master key is a missing setting: the message names
            // --master-key-file and KIBAN_MASTER_KEY.
            StoreError::InvalidUrl(_)
            | StoreError::UnknownMunicipality(_)
            | StoreError::Conflict(_)
            | StoreError::NoMasterKey => CliError::invalid(e.message().text()),
            other => CliError::runtime(other.message().text()),
        }
    }
}

impl From<AuthError> for CliError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Store(s) => s.into(),
            AuthError::InvalidCredentials => {
                CliError::invalid("アカウントが見つからないか、無効になっています")
            }
            // The option at fault first, as every other refusal names it.
            AuthError::InvalidInput { field, ref problem } => {
                CliError::invalid(format!("--{field}: {}", problem.message().text()))
            }
            other => match other.message() {
                Some(message) => CliError::invalid(message.text()),
                None => CliError::runtime(other.to_string()),
            },
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::runtime(format!("入出力エラー: {e}"))
    }
}

pub(crate) fn parse_code(field: &str, code: &str) -> Result<MunicipalityCode, CliError> {
    MunicipalityCode::parse(code)
        .map_err(|e| CliError::invalid(format!("{field} {code}: {}", e.message().text())))
}

/// The master key of this run, from `--master-key-file` or
/// `KIBAN_MASTER_KEY` (or made for the demo).
static MASTER_KEY: std::sync::OnceLock<MasterKey> = std::sync::OnceLock::new();

/// The master key of this run, if one was configured.
pub(crate) fn master_key() -> Option<MasterKey> {
    MASTER_KEY.get().cloned()
}

/// Reads the master key from the file given or from `KIBAN_MASTER_KEY`
/// (exit 2 when it is not 32 bytes).
pub(crate) fn configure_master_key(file: Option<&Path>) -> Result<(), CliError> {
    let (source, text) = match file {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path).map_err(|e| {
                CliError::invalid(format!("--master-key-file {}: {e}", path.display()))
            })?,
        ),
        None => match std::env::var("KIBAN_MASTER_KEY") {
            Ok(text) if !text.trim().is_empty() => ("KIBAN_MASTER_KEY".to_owned(), text),
            _ => return Ok(()),
        },
    };
    let key = MasterKey::parse(&text)
        .map_err(|e| CliError::invalid(format!("{source}: {}", e.message().text())))?;
    let _ = MASTER_KEY.set(key);
    Ok(())
}

/// The demo's master key: read from `path`, or made and written there
/// (readable by its owner only) when the file does not exist.
fn demo_master_key(path: &Path) -> Result<MasterKey, CliError> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return MasterKey::parse(&text)
            .map_err(|e| CliError::invalid(format!("{}: {}", path.display(), e.message().text())));
    }
    let key = MasterKey::generate();
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| CliError::runtime(format!("{}: {e}", path.display())))?;
    std::io::Write::write_all(&mut file, format!("{}\n", key.to_hex().as_str()).as_bytes())?;
    Ok(key)
}

/// Connects and applies pending migrations (every command that changes data
/// does this first), with the master key when one is configured.
pub(crate) async fn open_migrated(url: &str) -> Result<Database, CliError> {
    let mut db = Database::connect(url).await?;
    if let Some(key) = MASTER_KEY.get() {
        db = db.with_master_key(key.clone());
    }
    db.migrate().await?;
    Ok(db)
}

/// `kiban serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Create the demo municipality 990019 (デモ市) with residents and staff if absent.
    #[arg(long)]
    demo: bool,
    /// Residents generated for the demo municipality when it is first created.
    #[arg(long, default_value_t = 10_000)]
    demo_residents: u64,
    /// Do not run the job worker in this process.
    #[arg(long)]
    no_worker: bool,
    /// Attempts at an outbox event a consumer fails on before it is parked
    /// as a dead letter (waiting 10 s, 20 s, 40 s, … in between).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(i64).range(1..))]
    outbox_attempts: i64,
    /// Mark cookies Secure (serve behind HTTPS).
    #[arg(long)]
    secure_cookies: bool,
    /// Minutes after which an unused browser session ends (idle timeout).
    #[arg(long, default_value_t = 30)]
    session_idle_minutes: i64,
    /// Hours after which a browser session ends however it is used.
    #[arg(long, default_value_t = 8)]
    session_hours: i64,
    /// Requests worked on at once; more wait their turn (default: 32 per
    /// core).
    #[arg(long)]
    max_concurrent_requests: Option<usize>,
    /// Of those, requests that change data (POST, PUT, DELETE, …) worked on
    /// at once; more wait their turn (default: four per core).
    #[arg(long)]
    max_concurrent_changes: Option<usize>,
    /// The public certificate verification: requests per minute from one
    /// client address once its burst is spent (0: no limit).
    #[arg(long, default_value_t = kiban_web::DEFAULT_VERIFY_RATE_PER_MINUTE)]
    verify_rate_per_minute: u32,
    /// Verification requests one client address may make at once.
    #[arg(long, default_value_t = kiban_web::DEFAULT_VERIFY_BURST)]
    verify_burst: u32,
    /// A reverse proxy whose X-Forwarded-For names the client address (for
    /// the verification's rate limit); repeat for several.
    #[arg(long = "trusted-proxy", value_name = "IP")]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// The URL clients reach the service at (e.g. https://kiban.example.jp):
    /// client assertions name PUBLIC_URL/oauth/token as their audience, and
    /// certificates print it in their verification QR code. Default:
    /// http:// and the listen address.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
}

/// `kiban municipality …`.
#[derive(Subcommand)]
pub enum MunicipalityCommand {
    /// Creates a municipality (tenant).
    Create {
        /// 6-digit 全国地方公共団体コード with its check digit.
        #[arg(long)]
        code: String,
        /// Name, e.g. 千代田区.
        #[arg(long)]
        name: String,
        /// Prefecture, e.g. 東京都.
        #[arg(long, default_value = "")]
        prefecture: String,
    },
    /// Lists municipalities.
    List,
}

/// `kiban demo …`.
#[derive(Subcommand)]
pub enum DemoCommand {
    /// Fills a municipality with generated residents in realistic households.
    Generate(demo::GenerateArgs),
    /// Writes the demo income records (income-csv-v1) of a fiscal year for
    /// the population `demo generate` made.
    IncomeFile(demo_income::IncomeFileArgs),
}

/// `kiban user …`.
#[derive(Subcommand)]
pub enum UserCommand {
    /// Creates a staff account (or, with --operator, a service-operator account).
    Create {
        /// The municipality of the staff member.
        #[arg(long, required_unless_present = "operator")]
        municipality: Option<String>,
        /// Login name.
        #[arg(long)]
        login: String,
        /// Role: municipality_admin, registry_clerk, tax_clerk, nhi_clerk, supervisor, auditor.
        #[arg(long, required_unless_present = "operator")]
        role: Option<String>,
        /// Display name (defaults to the login).
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// Create a service-operator account (no municipality).
        #[arg(long, conflicts_with_all = ["municipality", "role"])]
        operator: bool,
    },
    /// Removes a staff account's second factor (lost phone) when no
    /// administrator of the municipality can: the account enrols again at
    /// its next login. Logged in the municipality's access log.
    ResetSecondFactor {
        /// The account's municipality.
        #[arg(long)]
        municipality: String,
        /// Login name.
        #[arg(long)]
        login: String,
    },
}

/// `kiban token …`.
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Prints an API bearer token for an account.
    Create {
        /// The account's municipality.
        #[arg(long, required_unless_present = "operator")]
        municipality: Option<String>,
        /// Login name.
        #[arg(long)]
        login: String,
        /// Lifetime in hours.
        #[arg(long, default_value_t = 24)]
        ttl_hours: i64,
        /// The account is a service operator's.
        #[arg(long, conflicts_with = "municipality")]
        operator: bool,
    },
}

/// `kiban calc`.
#[derive(Args)]
pub struct CalcArgs {
    /// resident-tax, nhi-tax, light-vehicle-tax, fixed-asset-tax, late-fee,
    /// child-allowance, wareki, age, school-entry, check-digit.
    kind: String,
    /// Input JSON file, or - for standard input.
    #[arg(long)]
    input: String,
}

/// `kiban audit …`.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verifies the municipality's hash chain: exit 0 if intact, 1 naming
    /// the first broken entry.
    Verify {
        /// The municipality.
        #[arg(long)]
        municipality: String,
    },
}

/// `kiban bench …`.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// Demo generation rows/second next to a raw multi-row INSERT of the same rows.
    DemoInsert(demo::BenchArgs),
    /// Standard export and import rows/second next to the engine's raw limit.
    Exchange(crate::exchange_bench::BenchArgs),
    /// Certificates/second through the HTTP API (p50/p90/p99) and batch pages/second.
    Certificates(crate::certificates::BenchArgs),
    /// The population-statistics job next to the plain SQL aggregate, and
    /// the job engine's own cost per chunk.
    Jobs(crate::jobs_bench::BenchArgs),
    /// The event feed's events/second next to a plain SELECT of the same rows.
    Feed(crate::linkage_bench::FeedArgs),
    /// Webhook delivery to a local receiver: events/second, order checked.
    Webhooks(crate::linkage_bench::WebhooksArgs),
    /// The annual resident-tax assessment job next to the raw limit of the
    /// same reads and writes (plain SQL, no calculation), with peak memory.
    ResidentTax(crate::resident_tax_bench::BenchArgs),
}

pub async fn run(database_url: String, command: Command) -> Result<(), CliError> {
    match command {
        Command::Serve(args) => serve(&database_url, args).await,
        Command::Migrate => {
            let db = Database::connect(&database_url).await?;
            db.migrate().await?;
            say("マイグレーションを適用しました。");
            Ok(())
        }
        Command::Municipality(MunicipalityCommand::Create {
            code,
            name,
            prefecture,
        }) => {
            let code = parse_code("--code", &code)?;
            if name.trim().is_empty() {
                return Err(CliError::invalid("--name: 団体名を指定してください"));
            }
            let db = open_migrated(&database_url).await?;
            platform::create_municipality(
                &db,
                &Municipality {
                    code,
                    name: name.trim().to_owned(),
                    prefecture: prefecture.trim().to_owned(),
                },
            )
            .await?;
            say(&format!("団体 {code}（{}）を作成しました。", name.trim()));
            emit(code.as_str());
            Ok(())
        }
        Command::Municipality(MunicipalityCommand::List) => {
            let db = Database::connect(&database_url).await?;
            db.require_migrated().await?;
            for m in platform::list_municipalities(&db).await? {
                emit(&format!("{}\t{}\t{}", m.code, m.prefecture, m.name));
            }
            Ok(())
        }
        Command::Demo(DemoCommand::Generate(args)) => demo::generate(&database_url, args).await,
        Command::Demo(DemoCommand::IncomeFile(args)) => {
            demo_income::income_file(&database_url, args).await
        }
        Command::Batch(command) => crate::batch::run(&database_url, command).await,
        Command::Worker(args) => crate::batch::worker(&database_url, args).await,
        Command::User(UserCommand::Create {
            municipality,
            login,
            role,
            display_name,
            password_stdin,
            operator,
        }) => {
            let password = if password_stdin {
                let mut buf = String::new();
                std::io::stdin().read_to_string(&mut buf)?;
                buf.trim_end_matches(['\n', '\r']).to_owned()
            } else {
                generate_password()
            };
            let db = open_migrated(&database_url).await?;
            if operator {
                kiban_auth::create_operator(&db, &login, &password).await?;
                say(&format!("運用者アカウント {login} を作成しました。"));
            } else {
                let code = parse_code(
                    "--municipality",
                    municipality.as_deref().unwrap_or_default(),
                )?;
                let role =
                    Role::parse(role.as_deref().unwrap_or_default()).map_err(CliError::invalid)?;
                let tenant = db.tenant(code).await?;
                let name = display_name.unwrap_or_else(|| login.clone());
                kiban_auth::create_staff(&tenant, &login, &name, role, &password).await?;
                say(&format!(
                    "職員アカウント {login}（{}）を {code} に作成しました。",
                    role.label_ja()
                ));
            }
            if !password_stdin {
                say("生成したパスワード（標準出力）:");
                emit(&password);
            }
            Ok(())
        }
        Command::User(UserCommand::ResetSecondFactor {
            municipality,
            login,
        }) => {
            let code = parse_code("--municipality", &municipality)?;
            let db = open_migrated(&database_url).await?;
            let tenant = db.tenant(code).await?;
            let actor = kiban_audit::Actor::new("kiban-cli", "operator");
            kiban_auth::reset_second_factor(&tenant, &actor, &login).await?;
            say(&format!(
                "{code} の職員 {login} の二要素認証をリセットしました（次回ログイン時に再登録します）。"
            ));
            Ok(())
        }
        Command::Token(TokenCommand::Create {
            municipality,
            login,
            ttl_hours,
            operator,
        }) => {
            if !(1..=24 * 366).contains(&ttl_hours) {
                return Err(CliError::invalid(
                    "--ttl-hours: 1 から 8784 の範囲で指定してください",
                ));
            }
            let ttl = jiff::SignedDuration::from_hours(ttl_hours);
            let db = open_migrated(&database_url).await?;
            let issued = if operator {
                kiban_auth::issue_operator_token(&db, &login, TokenKind::Api, ttl).await?
            } else {
                let code = parse_code(
                    "--municipality",
                    municipality.as_deref().unwrap_or_default(),
                )?;
                let tenant = db.tenant(code).await?;
                kiban_auth::issue_staff_token(&tenant, &login, TokenKind::Api, ttl).await?
            };
            say(&format!(
                "トークンを発行しました（有効期限 {}）。",
                issued.expires_at
            ));
            emit(&issued.token);
            Ok(())
        }
        Command::Calc(args) => calc(args),
        Command::Export(args) => exchange::export(&database_url, args).await,
        Command::Import(args) => exchange::import(&database_url, args).await,
        Command::ImportLegacy(args) => legacy::import_legacy(&database_url, args).await,
        Command::Bench(BenchCommand::DemoInsert(args)) => demo::bench(&database_url, args).await,
        Command::Bench(BenchCommand::Exchange(args)) => {
            crate::exchange_bench::bench(&database_url, args).await
        }
        Command::Bench(BenchCommand::Certificates(args)) => {
            crate::certificates::bench(&database_url, args).await
        }
        Command::Bench(BenchCommand::Jobs(args)) => {
            crate::jobs_bench::run(&database_url, args).await
        }
        Command::Certificate(command) => crate::certificates::run(&database_url, command).await,
        Command::Client(command) => crate::clients::run(&database_url, command).await,
        Command::Webhook(command) => crate::webhooks::run(&database_url, command).await,
        Command::Income(command) => crate::income::run(&database_url, command).await,
        Command::Tax(command) => crate::tax::run(&database_url, command).await,
        Command::Collection(command) => crate::collection::run(&database_url, command).await,
        Command::Backup(command) => crate::backup::run(&database_url, command).await,
        Command::Ops(command) => crate::ops::run(&database_url, command).await,
        Command::Bench(BenchCommand::Feed(args)) => {
            crate::linkage_bench::feed(&database_url, args).await
        }
        Command::Bench(BenchCommand::ResidentTax(args)) => {
            crate::resident_tax_bench::run(&database_url, args).await
        }
        Command::Bench(BenchCommand::Webhooks(args)) => {
            crate::linkage_bench::webhooks(&database_url, args).await
        }
        Command::Audit(AuditCommand::Verify { municipality }) => {
            let code = parse_code("--municipality", &municipality)?;
            let db = Database::connect(&database_url).await?;
            db.require_migrated().await?;
            let tenant = db.tenant(code).await?;
            let report = kiban_audit::verify(&tenant).await?;
            match &report.broken {
                None => {
                    say(&format!(
                        "利用履歴の改ざんは見つかりませんでした（{} 件を検証）。",
                        report.entries_checked
                    ));
                    emit("intact");
                    Ok(())
                }
                Some(broken) => {
                    emit(&format!("broken entry_id={}", broken.entry_id));
                    Err(CliError::runtime(format!(
                        "利用履歴の連鎖が壊れています: {}",
                        broken.message().text()
                    )))
                }
            }
        }
    }
}

/// A random 20-character password from an alphabet without look-alikes.
pub(crate) fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn calc(args: CalcArgs) -> Result<(), CliError> {
    let text = if args.input == "-" {
        let mut buf = String::new();
        std::io::stdin().read_to_string(&mut buf)?;
        buf
    } else {
        std::fs::read_to_string(&args.input)
            .map_err(|e| CliError::runtime(format!("{}: {e}", args.input)))?
    };
    let input: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            let body = serde_json::json!({"error": {"code": "malformed_json", "message": format!("JSONとして読めません（{e}）")}});
            emit(&body.to_string());
            return Err(CliError::invalid(format!(
                "{}: JSONとして読めません",
                args.input
            )));
        }
    };
    match kiban_calc::run(&args.kind, &input) {
        Ok(result) => {
            emit(&serde_json::to_string_pretty(&result).unwrap_or_else(|_| result.to_string()));
            Ok(())
        }
        Err(e) => {
            emit(&e.to_json().to_string());
            Err(CliError::invalid(e.message))
        }
    }
}

async fn serve(database_url: &str, args: ServeArgs) -> Result<(), CliError> {
    if !(1..=24 * 60).contains(&args.session_idle_minutes) {
        return Err(CliError::invalid(
            "--session-idle-minutes: 1 から 1440 の範囲で指定してください",
        ));
    }
    if args.max_concurrent_requests == Some(0) {
        return Err(CliError::invalid(
            "--max-concurrent-requests: 1 以上で指定してください",
        ));
    }
    if args.max_concurrent_changes == Some(0) {
        return Err(CliError::invalid(
            "--max-concurrent-changes: 1 以上で指定してください",
        ));
    }
    if args.verify_rate_per_minute > 0 && args.verify_burst == 0 {
        return Err(CliError::invalid(
            "--verify-burst: 1 以上で指定してください（制限をなくすには --verify-rate-per-minute 0）",
        ));
    }
    if !(1..=24 * 7).contains(&args.session_hours) {
        return Err(CliError::invalid(
            "--session-hours: 1 から 168 の範囲で指定してください",
        ));
    }
    let given_public_url = args
        .public_url
        .as_deref()
        .map(|url| {
            let url = url.trim().trim_end_matches('/');
            let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
            if !scheme_ok || url.contains(char::is_whitespace) || url.contains(['?', '#']) {
                return Err(CliError::invalid(
                    "--public-url: http:// または https:// で始まるURL（クエリ・フラグメントなし）を指定してください",
                ));
            }
            Ok(url.to_owned())
        })
        .transpose()?;
    let mut demo_key_file = None;
    if args.demo && MASTER_KEY.get().is_none() {
        // The demo makes its own master key, kept next to its database.
        let path = match database_url.strip_prefix("sqlite://") {
            Some(db_path) => PathBuf::from(format!("{db_path}.master-key")),
            None => PathBuf::from("./data/kiban-demo.master-key"),
        };
        let _ = MASTER_KEY.set(demo_master_key(&path)?);
        demo_key_file = Some(path);
    }
    let db = open_migrated(database_url).await?;
    match db.check_master_key().await {
        Ok(()) => {}
        Err(e @ (StoreError::NoMasterKey | StoreError::WrongMasterKey)) => {
            return Err(CliError::invalid(format!(
                "起動できません。個人番号などの暗号化された値が保存されています: {}",
                e.message().text()
            )));
        }
        Err(e) => return Err(e.into()),
    }
    if !db.has_master_key() {
        say(
            "注意: マスター鍵が設定されていません。個人番号の保存と二要素認証の登録はできません（--master-key-file または KIBAN_MASTER_KEY）。",
        );
    }
    let mut logins = Vec::new();
    if args.demo {
        logins = demo::ensure_demo_municipality(&db, args.demo_residents).await?;
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::runtime(format!("{} で待ち受けできません: {e}", args.listen)))?;
    let local = listener.local_addr()?;
    let public_url = given_public_url.unwrap_or_else(|| format!("http://{local}"));
    // The job worker: runs the jobs, the outbox consumers (seal
    // registration follows the registry's events) and the batch plans;
    // stopped after its current step.
    // One count of requests and job steps for the operations report,
    // written once a minute by the server's probe.
    let usage = std::sync::Arc::new(kiban_ops::usage::UsageBook::new());
    let (stop_worker, stop) = kiban_jobs::worker::Stop::new();
    let worker = (!args.no_worker).then(|| {
        crate::batch::spawn_job_worker(db.clone(), stop, args.outbox_attempts, usage.clone())
    });
    let mut state = kiban_web::AppState::new(
        db.clone(),
        kiban_web::WebConfig {
            secure_cookies: args.secure_cookies,
            session_idle_minutes: args.session_idle_minutes,
            session_hours: args.session_hours,
            max_concurrent_requests: args
                .max_concurrent_requests
                .unwrap_or_else(kiban_web::default_max_concurrent_requests),
            max_concurrent_changes: args
                .max_concurrent_changes
                .unwrap_or_else(kiban_web::default_max_concurrent_changes),
            verify_rate_per_minute: args.verify_rate_per_minute,
            verify_burst: args.verify_burst,
            trusted_proxies: args.trusted_proxies,
            public_origin: if args.public_url.is_some() {
                public_url.clone()
            } else {
                String::new()
            },
            public_url,
            ..kiban_web::WebConfig::default()
        },
    );
    state.usage = usage;
    // The server's own probe: once a minute, its health check over HTTP
    // and the database, written with its counts (ops-v1, SLA report).
    let (stop_probe, probe_stop) = kiban_jobs::worker::Stop::new();
    let probe = tokio::spawn(kiban_web::ops::probe_loop(state.clone(), local, probe_stop));
    say(&format!("Kiban を起動しました: http://{local}/"));
    if args.demo {
        say(&format!(
            "デモ市（990019）のログイン画面: http://{local}/login?m={}",
            demo::DEMO_CODE
        ));
        say("デモ用アカウント（団体コード 990019）:");
        for (login, role, password) in &logins {
            say(&format!("  {login:<22} {password:<28} {role}"));
        }
        say(
            "二要素認証: admin・registry・supervisor は初回ログイン時に確認コードの認証アプリを登録します（画面にQRコードとキーを表示）。以後は確認コードも入力します。",
        );
        if let Some(path) = &demo_key_file {
            say(&format!(
                "デモ用のマスター鍵: {}（個人番号と二要素認証の秘密を暗号化する鍵。本番では --master-key-file で指定）",
                path.display()
            ));
        }
    }
    say("終了するには Ctrl+C を押してください。");
    let app = kiban_web::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| CliError::runtime(format!("サーバーエラー: {e}")))?;
    if let Some(worker) = worker {
        stop_worker.stop();
        let _ = worker.await;
    }
    stop_probe.stop();
    let _ = probe.await;
    db.close().await;
    Ok(())
}

/// The recurring tasks of the worker besides the jobs: every business's
/// outbox consumers, the batch plans and the webhooks' delivery.
pub(crate) fn worker_tasks(outbox_attempts: i64) -> Vec<Box<dyn kiban_jobs::worker::WorkerTask>> {
    let mut tasks: Vec<Box<dyn kiban_jobs::worker::WorkerTask>> = vec![
        Box::new(kiban_jobs::consumer::ConsumersTask {
            consumers: kiban_web::consumers(),
            policy: kiban_jobs::consumer::RetryPolicy {
                max_attempts: outbox_attempts,
                ..kiban_jobs::consumer::RetryPolicy::default()
            },
        }),
        Box::new(kiban_jobs::plan::PlanTask {
            kinds: kiban_web::job_kinds(),
        }),
    ];
    match kiban_linkage::WebhooksTask::new(kiban_linkage::DeliverySettings::default()) {
        Ok(task) => tasks.push(Box::new(task)),
        Err(e) => tracing::error!(error = %e, "webhook delivery cannot start: no HTTP client"),
    }
    tasks
}
