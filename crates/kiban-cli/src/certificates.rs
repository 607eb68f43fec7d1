//! Certificates and seal registration in the CLI: the certifier setting
//! (`kiban certificate certifier`), the seal-registration worker of
//! `kiban serve`, and `kiban bench certificates`.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use kiban_audit::Actor;
use kiban_certificate::domain::{CertificateNumber, IssuanceFacts, VerificationCode};
use kiban_certificate::storage::Certifier;
use kiban_registry::domain::{HouseholdId, HouseholdRecord, PersonRecord};
use rand::RngCore;

use crate::commands::{CliError, open_migrated, parse_code};
use crate::output::say;

/// `kiban certificate …`.
#[derive(Subcommand)]
pub enum CertificateCommand {
    /// Sets who certifies the municipality's certificates (市区町村長の職名・氏名、公印).
    Certifier(CertifierArgs),
}

/// `kiban certificate certifier`.
#[derive(Args)]
pub struct CertifierArgs {
    /// The municipality.
    #[arg(long)]
    municipality: String,
    /// 職名, e.g. 札幌市長.
    #[arg(long)]
    mayor_title: String,
    /// 氏名.
    #[arg(long)]
    mayor_name: String,
    /// A PNG image of the official seal (公印).
    #[arg(long)]
    official_seal: Option<std::path::PathBuf>,
}

/// Runs `kiban certificate …`.
pub async fn run(database_url: &str, command: CertificateCommand) -> Result<(), CliError> {
    match command {
        CertificateCommand::Certifier(args) => {
            let code = parse_code("--municipality", &args.municipality)?;
            for (field, value) in [
                ("--mayor-title", &args.mayor_title),
                ("--mayor-name", &args.mayor_name),
            ] {
                let count = value.trim().chars().count();
                if count == 0 || count > 40 || value.chars().any(char::is_control) {
                    return Err(CliError::invalid(format!(
                        "{field} は1〜40文字で指定してください"
                    )));
                }
            }
            let official_seal = match &args.official_seal {
                Some(path) => Some(kiban_print::PngImage::parse(std::fs::read(path)?).map_err(
                    |e| CliError::invalid(format!("--official-seal: {}", e.message().text())),
                )?),
                None => None,
            };
            let db = open_migrated(database_url).await?;
            let tenant = db.tenant(code).await?;
            kiban_certificate::storage::set_certifier(
                &tenant,
                "cli",
                &Certifier {
                    mayor_title: args.mayor_title.trim().to_owned(),
                    mayor_name: args.mayor_name.trim().to_owned(),
                    official_seal,
                },
            )
            .await?;
            say("証明書の認証者を設定しました。");
            Ok(())
        }
    }
}

/// `kiban bench certificates`.
#[derive(Args)]
pub struct BenchArgs {
    /// Single-certificate requests through the HTTP API.
    #[arg(long, default_value_t = 1_000)]
    requests: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// One-page documents in the batch (0 skips the batch).
    #[arg(long, default_value_t = 10_000)]
    batch_documents: usize,
    /// Pages per PDF file of the batch.
    #[arg(long, default_value_t = 250)]
    pages_per_file: usize,
    /// Residents generated in the demo municipality if it is new.
    #[arg(long, default_value_t = 2_000)]
    residents: u64,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1_000.0)
}

/// `kiban bench certificates`: certificates per second end to end through
/// the HTTP API (a server in this process on a loopback port, concurrent
/// clients, one 住民票の写し of a whole household per request), with
/// latency percentiles; then pages per second of a batch of one-page
/// documents. Uses the demo municipality 990019 (created if absent).
pub async fn bench(database_url: &str, args: BenchArgs) -> Result<(), CliError> {
    if args.concurrency == 0 || args.requests == 0 {
        return Err(CliError::invalid(
            "--requests と --concurrency は1以上で指定してください",
        ));
    }
    let pages_per_file = NonZeroUsize::new(args.pages_per_file)
        .ok_or_else(|| CliError::invalid("--pages-per-file は1以上で指定してください"))?;
    let db = open_migrated(database_url).await?;
    crate::demo::ensure_demo_municipality(&db, args.residents).await?;
    let code = parse_code("demo", crate::demo::DEMO_CODE)?;
    let tenant = db.tenant(code).await?;
    let today = kiban_core::today_in_japan();

    // The households to print (up to 200), read as a clerk would.
    let actor = Actor::new("bench", "registry_clerk");
    let query = kiban_registry::storage::SearchQuery {
        name_kana: None,
        name: None,
        birth_date: None,
        address: None,
        person_id: None,
        as_of: today,
        include_removed: false,
        limit: 200,
    };
    let found = kiban_registry::storage::search(&tenant, &actor, &query)
        .await
        .map_err(|e| CliError::runtime(e.message().text()))?;
    let mut household_ids: Vec<HouseholdId> = found.iter().map(|p| p.household_id).collect();
    household_ids.sort_by_key(|h| h.get());
    household_ids.dedup();
    if household_ids.is_empty() {
        return Err(CliError::runtime("デモ市に世帯がありません"));
    }

    // The server, in this process, on a loopback port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let local = listener.local_addr()?;
    let state = kiban_web::AppState::new(db.clone(), kiban_web::WebConfig::default());
    state
        .print_engine()
        .await
        .map_err(|e| CliError::runtime(e.message))?;
    let server = tokio::spawn(async move {
        let app =
            kiban_web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
        let _ = axum::serve(listener, app).await;
    });
    let token = kiban_auth::issue_staff_token(
        &tenant,
        "registry",
        kiban_auth::TokenKind::Api,
        jiff::SignedDuration::from_hours(1),
    )
    .await?
    .token;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()
        .map_err(|e| CliError::runtime(e.to_string()))?;
    let url = format!("http://{local}/api/v1/municipalities/990019/certificates");
    let households = Arc::new(household_ids.clone());
    let next = Arc::new(AtomicUsize::new(0));
    say(&format!(
        "証明書 {} 件を {} 並列で交付します（{} 世帯を順に）…",
        args.requests,
        args.concurrency,
        households.len()
    ));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let client = client.clone();
        let url = url.clone();
        let token = token.clone();
        let households = households.clone();
        let next = next.clone();
        let total = args.requests;
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    return (latencies, failures);
                }
                let household = households[i % households.len()].get();
                let body = serde_json::json!({
                    "kind": "resident_record_copy",
                    "household_id": household,
                    "items": ["relationship"],
                    "purpose": "bench",
                });
                let t = Instant::now();
                let ok = match client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let bytes = response.bytes().await.map(|b| b.len()).unwrap_or(0);
                        status == 201 && bytes > 0
                    }
                    Err(_) => false,
                };
                if ok {
                    latencies.push(t.elapsed());
                } else {
                    failures += 1;
                }
            }
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    for worker in workers {
        let (l, f) = worker.await.map_err(|e| CliError::runtime(e.to_string()))?;
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    server.abort();
    latencies.sort();
    say(&format!(
        "単票（HTTP API, {} 並列）: {} 件成功・{} 件失敗, {:.2} 秒, {:.1} 件/秒, p50 {}, p90 {}, p99 {}, 最大 {}",
        args.concurrency,
        latencies.len(),
        failures,
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 90.0)),
        ms(percentile(&latencies, 99.0)),
        ms(latencies.last().copied().unwrap_or_default()),
    ));

    if args.batch_documents == 0 {
        return Ok(());
    }
    // The batch: one-page documents (one resident each), every one
    // different (its number and code), from the registry's records.
    let mut records: Vec<(HouseholdRecord, PersonRecord)> = Vec::new();
    for id in household_ids.iter().take(100) {
        if let Some(h) = kiban_registry::storage::household_as_of(&tenant, &actor, *id, today)
            .await
            .map_err(|e| CliError::runtime(e.message().text()))?
            && let Some(first) = h.members.first().cloned()
        {
            records.push((h, first));
        }
    }
    let engine = kiban_print::PrintEngine::new(&kiban_print::PrintConfig::default())
        .map_err(|e| CliError::runtime(e.message().text()))?;
    let mut documents = Vec::with_capacity(args.batch_documents);
    for i in 0..args.batch_documents {
        let (household, person) = &records[i % records.len()];
        let mut random = [0u8; 13];
        rand::rng().fill_bytes(&mut random);
        let code = VerificationCode::from_random(code, random);
        let facts = IssuanceFacts {
            municipality_name: "デモ市".into(),
            number: CertificateNumber {
                year: today.year(),
                serial: i64::try_from(i + 1).unwrap_or(i64::MAX),
            },
            issued_on: today,
            mayor_title: "デモ市長".into(),
            mayor_name: "基盤 一郎".into(),
            official_seal: None,
            verification: kiban_print::Verification::new(code.as_str(), "")
                .map_err(|e| CliError::runtime(e.message().text()))?,
        };
        documents.push(kiban_print::Document::ResidentRecordCopy(
            kiban_certificate::domain::resident_record_copy(
                &facts,
                household,
                &[person],
                &[kiban_certificate::domain::Item::Relationship],
            ),
        ));
    }
    say(&format!(
        "一括印刷: {} 件（1ファイル {} 頁まで）…",
        documents.len(),
        pages_per_file
    ));
    let started = Instant::now();
    let files =
        tokio::task::spawn_blocking(move || engine.render_batch(&documents, pages_per_file))
            .await
            .map_err(|e| CliError::runtime(e.to_string()))?
            .map_err(|e| CliError::runtime(e.message().text()))?;
    let elapsed = started.elapsed();
    let pages: usize = files.iter().map(|f| f.page_count).sum();
    let bytes: usize = files.iter().map(|f| f.pdf.len()).sum();
    say(&format!(
        "一括印刷: {pages} 頁, {} ファイル, {:.2} 秒, {:.1} 頁/秒, 合計 {:.1} MB, 先頭ファイル SHA-256 {}",
        files.len(),
        elapsed.as_secs_f64(),
        pages as f64 / elapsed.as_secs_f64(),
        bytes as f64 / 1_048_576.0,
        files.first().map_or("", |f| f.sha256.as_str()),
    ));
    Ok(())
}
