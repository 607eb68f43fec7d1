//! The web adapter of Kiban: server-rendered screens for clerks and the JSON
//! API (`/api/v1`) for other systems, over the business crates.
//!
//! Architecture invariant: handlers parse requests into domain values, call
//! a business crate or the platform, and render the result. No business
//! rule lives here, and no SQL: storage is reached through the business
//! crates and `kiban-store`'s tenant handle. Nothing is loaded from outside
//! the server (no CDN): stylesheets and scripts are compiled into the binary.

mod api;
mod batch_pages;
mod certificate_api;
mod certificate_pages;
mod error;
mod individual_number_api;
pub mod jobs_api;
mod metrics_layer;
pub mod openapi;
mod pages;
mod protection_api;
mod protection_pages;
mod rate_limit;
mod registry_api;
mod registry_pages;
mod seal_api;
mod seal_pages;
mod security;
mod security_pages;
mod session;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use kiban_store::Database;
use metrics_exporter_prometheus::PrometheusHandle;

pub use error::ApiError;

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
    metrics: PrometheusHandle,
    /// The printing engine, loaded (fonts) at the first certificate.
    print: Arc<std::sync::OnceLock<Result<kiban_print::PrintEngine, String>>>,
    /// The job kinds of every business ([`job_kinds`]).
    pub kinds: kiban_jobs::Kinds,
    /// The outbox consumers of every business ([`consumers`]).
    pub consumers: Arc<Vec<&'static kiban_jobs::consumer::Consumer>>,
}

/// The outbox consumers every business declares, in the order the console
/// lists them.
pub fn consumers() -> Vec<&'static kiban_jobs::consumer::Consumer> {
    vec![&kiban_seal::storage::REGISTRY_CONSUMER]
}

/// The job kinds every business declares, in the order they are listed.
pub fn job_kinds() -> kiban_jobs::Kinds {
    kiban_jobs::Kinds::new(vec![Box::new(kiban_registry::jobs::PopulationStatistics)])
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

/// Lets a request that changes data wait for one of the turns of
/// [`WebConfig::max_concurrent_changes`]; reads pass.
async fn one_change_turn(
    axum::extract::State(turns): axum::extract::State<std::sync::Arc<tokio::sync::Semaphore>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    // GET, HEAD, OPTIONS and TRACE change nothing.
    if request.method().is_safe() {
        return next.run(request).await;
    }
    // The semaphore is never closed: a failed acquire cannot happen, and
    // would only let the request through.
    let _turn = turns.acquire().await.ok();
    next.run(request).await
}

/// The whole application: screens, API, health and metrics. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()`: the rate limit of
/// the public verification counts requests by the peer's address.
pub fn router(state: AppState) -> Router {
    let verify_limit = rate_limit::VerifyLimit::from_config(&state.config);
    let limited = |api: bool| {
        let limited = rate_limit::Limited {
            limit: verify_limit.clone(),
            api,
        };
        axum::middleware::from_fn_with_state(limited, rate_limit::limit)
    };
    let limit = state.config.max_concurrent_requests.max(1);
    let changes = std::sync::Arc::new(tokio::sync::Semaphore::new(
        state.config.max_concurrent_changes.max(1),
    ));
    let mut app = Router::new()
        .route("/", get(pages::root))
        .route("/login", get(pages::login_form).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/app", get(pages::shell))
        .route("/registry", get(registry_pages::search))
        .route(
            "/registry/follow-up/missing-residence-status",
            get(registry_pages::missing_residence_status),
        )
        .route("/registry/persons/{person_id}", get(registry_pages::person))
        .route(
            "/registry/households/{household_id}",
            get(registry_pages::household),
        )
        .route(
            "/registry/movements/{kind}",
            get(registry_pages::movement_form).post(registry_pages::movement_submit),
        )
        .route(
            "/enrol",
            get(security_pages::enrol_form).post(security_pages::enrol_submit),
        )
        .route(
            "/app/persons/{person_id}/individual-number",
            get(security_pages::individual_number),
        )
        .route(
            "/app/persons/{person_id}/individual-number/reveal",
            post(security_pages::reveal_individual_number),
        )
        .route(
            "/app/persons/{person_id}/support-measures",
            get(protection_pages::list).post(protection_pages::submit),
        )
        .route("/app/access-log", get(security_pages::access_log))
        .route("/app/access-log.csv", get(security_pages::access_log_csv))
        .route(
            "/app/staff",
            get(security_pages::staff_list).post(security_pages::staff_create),
        )
        .route(
            "/app/staff/{login}/{action}",
            post(security_pages::staff_action),
        )
        .route("/static/kiban.css", get(pages::stylesheet))
        // Certificate and seal-registration screens.
        .route(
            "/app/certificates/new",
            get(certificate_pages::form).post(certificate_pages::submit),
        )
        .route(
            "/app/certificates/verify",
            get(certificate_pages::verify_form).route_layer(limited(false)),
        )
        .route("/app/seal", get(seal_pages::index))
        .route("/app/seal/register", post(seal_pages::register))
        .route("/app/seal/reviews", get(seal_pages::reviews))
        .route("/app/seal/{id}", get(seal_pages::show))
        .route("/app/seal/{id}/change", post(seal_pages::change))
        .route("/app/seal/{id}/review", post(seal_pages::review))
        .route("/app/seal/certificate", post(seal_pages::certificate))
        .route("/app/batch", get(batch_pages::index))
        .route("/app/batch/confirm", post(batch_pages::confirm))
        .route("/app/batch/submit", post(batch_pages::submit))
        .route("/app/batch/progress", get(batch_pages::progress))
        .route("/app/batch/plan", post(batch_pages::save_plan))
        .route("/app/batch/jobs/{job_id}", get(batch_pages::job))
        .route(
            "/app/batch/jobs/{job_id}/outputs/{name}",
            get(batch_pages::output),
        )
        .route("/app/batch/jobs/{job_id}/cancel", post(batch_pages::cancel))
        .route("/app/batch/jobs/{job_id}/resume", post(batch_pages::resume))
        .route(
            "/app/batch/dead-letters/{action}",
            post(batch_pages::dead_letter),
        )
        .route("/static/batch.js", get(batch_pages::script))
        .fallback(pages::not_found);
    // The JSON API, health and metrics: folded from the one table of
    // operations (`openapi::routes`), which the OpenAPI document and the
    // route matrix test read too.
    for route in openapi::routes() {
        let handler = if route.operation.rate_limited {
            route.handler.route_layer(limited(true))
        } else {
            route.handler
        };
        app = app.route(route.operation.path, handler);
    }
    let app = app.with_state(state);
    let app = app
        .layer(axum::middleware::from_fn(pages::screen_errors))
        .layer(axum::middleware::from_fn_with_state(
            changes,
            one_change_turn,
        ))
        .layer(tower::limit::ConcurrencyLimitLayer::new(limit));
    security::layers(metrics_layer::layer(app))
}
