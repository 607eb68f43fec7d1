//! What every handler can reach ([`AppState`]) and the settings of the
//! web server ([`WebConfig`]), with the job kinds and outbox consumers
//! every business declares.

use std::sync::Arc;

use kiban_store::Database;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::ApiError;
use crate::kit::metrics as metrics_layer;

/// Settings of the web server.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (behind HTTPS). Off for the local demo on http.
    pub secure_cookies: bool,
    /// Lifetime of a browser session, in hours (absolute timeout).
    pub session_hours: i64,
    /// A browser session unused for this many minutes ends (idle timeout).
    pub session_idle_minutes: i64,
    /// Lifetime of an API token made by `POST /api/v1/sessions`, in hours.
    pub api_token_hours: i64,
    /// The public origin of the service (e.g. `https://kiban.example.jp`),
    /// printed in the verification QR code of certificates; empty prints
    /// the path only.
    pub public_origin: String,
    /// The URL the service is reached at (`kiban serve --public-url`, e.g.
    /// `https://kiban.example.jp`, without a trailing slash): client
    /// assertions must name `PUBLIC_URL/oauth/token` as their `aud`.
    pub public_url: String,
    /// How many requests are worked on at once; later ones wait their turn
    /// (first come, first served).
    pub max_concurrent_requests: usize,
    /// How many of them may change data (any method but GET, HEAD, OPTIONS
    /// and TRACE) at once; later ones wait their turn. Changes queue for the
    /// database's writer (one at a time on SQLite): a few per core keep
    /// the one holding it from waiting for the processor behind dozens of
    /// half-done changes. Reads are not held back by this: they run beside
    /// each other and share the commits of their access-log entries.
    pub max_concurrent_changes: usize,
    /// The public certificate verification (API and screen): requests per
    /// minute from one client address once its burst is spent; 0 turns
    /// the limit off.
    pub verify_rate_per_minute: u32,
    /// How many verification requests one client address may make at once
    /// before the rate applies.
    pub verify_burst: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client address of
    /// the verification's rate limit; from any other peer the header is
    /// ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// The default of [`WebConfig::verify_rate_per_minute`].
pub const DEFAULT_VERIFY_RATE_PER_MINUTE: u32 = 30;
/// The default of [`WebConfig::verify_burst`].
pub const DEFAULT_VERIFY_BURST: u32 = 10;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// The default of [`WebConfig::max_concurrent_requests`]: 32 per core.
pub fn default_max_concurrent_requests() -> usize {
    cores().saturating_mul(32)
}

/// The default of [`WebConfig::max_concurrent_changes`]: four per core.
pub fn default_max_concurrent_changes() -> usize {
    cores().saturating_mul(4)
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_hours: 8,
            session_idle_minutes: 30,
            api_token_hours: 8,
            public_origin: String::new(),
            public_url: String::new(),
            max_concurrent_requests: default_max_concurrent_requests(),
            max_concurrent_changes: default_max_concurrent_changes(),
            verify_rate_per_minute: DEFAULT_VERIFY_RATE_PER_MINUTE,
            verify_burst: DEFAULT_VERIFY_BURST,
            trusted_proxies: Vec::new(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database of the shared service.
    pub db: Database,
    /// Web settings.
    pub config: Arc<WebConfig>,
    pub(crate) metrics: PrometheusHandle,
    /// The printing engine, loaded (fonts) at the first certificate.
    print: Arc<std::sync::OnceLock<Result<kiban_print::PrintEngine, String>>>,
    /// The job kinds of every business ([`job_kinds`]).
    pub kinds: kiban_jobs::Kinds,
    /// This server's counts of its requests for the operations report;
    /// the server writes them once a minute ([`crate::ops::probe_loop`]).
    pub usage: Arc<kiban_ops::usage::UsageBook>,
    /// The outbox consumers of every business ([`consumers`]).
    pub consumers: Arc<Vec<&'static kiban_jobs::consumer::Consumer>>,
}

/// The outbox consumers every business declares, in the order the console
/// lists them.
pub fn consumers() -> Vec<&'static kiban_jobs::consumer::Consumer> {
    vec![
        &kiban_seal::storage::REGISTRY_CONSUMER,
        &kiban_addressee::storage::REGISTRY_CONSUMER,
        &kiban_collection_storage::charges::ASSESSED_CONSUMER,
    ]
}

/// The job kinds every business declares, in the order they are listed.
pub fn job_kinds() -> kiban_jobs::Kinds {
    kiban_jobs::Kinds::new(vec![
        Box::new(kiban_registry::jobs::PopulationStatistics),
        Box::new(kiban_addressee::jobs::IndexAddressees),
        Box::new(kiban_resident_tax::jobs::ResidentTaxAssessment),
        Box::new(kiban_resident_tax::jobs::ResidentTaxNotices),
        Box::new(kiban_resident_tax::jobs::ResidentTaxSpecialNotices),
        Box::new(kiban_collection_storage::transfer::TransferRequest),
        Box::new(kiban_collection_storage::demands::Demands),
        Box::new(kiban_collection_storage::reports::CollectionReport::Daily),
        Box::new(kiban_collection_storage::reports::CollectionReport::Monthly),
    ])
}

impl AppState {
    /// Builds the state; installs the Prometheus recorder once per process.
    pub fn new(db: Database, config: WebConfig) -> Self {
        Self {
            db,
            config: Arc::new(config),
            metrics: metrics_layer::handle(),
            print: Arc::new(std::sync::OnceLock::new()),
            kinds: job_kinds(),
            consumers: Arc::new(consumers()),
            usage: Arc::new(kiban_ops::usage::UsageBook::new()),
        }
    }

    /// The printing engine (fonts loaded once, on a blocking thread).
    pub async fn print_engine(&self) -> Result<kiban_print::PrintEngine, ApiError> {
        if let Some(loaded) = self.print.get() {
            return loaded.clone().map_err(ApiError::internal);
        }
        let cell = self.print.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            cell.get_or_init(|| {
                kiban_print::PrintEngine::new(&kiban_print::PrintConfig::default())
                    .map_err(|e| e.to_string())
            })
            .clone()
        })
        .await
        .map_err(ApiError::internal)?;
        loaded.map_err(ApiError::internal)
    }

    /// What issuing a certificate of municipality `m` needs to print.
    pub(crate) async fn printing(
        &self,
        m: kiban_core::MunicipalityCode,
    ) -> Result<kiban_certificate::storage::Printing, ApiError> {
        let municipality = kiban_store::platform::find_municipality(&self.db, m)
            .await?
            .ok_or_else(ApiError::not_found)?;
        Ok(kiban_certificate::storage::Printing {
            engine: self.print_engine().await?,
            origin: self.config.public_origin.clone(),
            municipality_name: municipality.name,
        })
    }
}
