//! The web adapter of Kiban: server-rendered screens for clerks and the JSON
//! API (`/api/v1`) for other systems, over the business crates.
//!
//! Architecture invariant: handlers parse requests into domain values, call
//! a business crate or the platform, and render the result. No business
//! rule lives here, and no SQL: storage is reached through the business
//! crates and `kiban-store`'s tenant handle. Nothing is loaded from outside
//! the server (no CDN): stylesheets and scripts are compiled into the binary.

mod api;
mod error;
mod metrics_layer;
pub mod openapi;
mod pages;
mod protection_api;
mod registry_api;
mod security;
mod session;

use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, post};
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
    /// Lifetime of an API token made by `POST /api/v1/sessions`, in hours.
    pub api_token_hours: i64,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_hours: 8,
            api_token_hours: 8,
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
}

impl AppState {
    /// Builds the state; installs the Prometheus recorder once per process.
    pub fn new(db: Database, config: WebConfig) -> Self {
        Self {
            db,
            config: Arc::new(config),
            metrics: metrics_layer::handle(),
        }
    }
}

/// The whole application: screens, API, health and metrics.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/sessions", post(api::create_session))
        .route("/sessions/current", delete(api::delete_current_session))
        .route("/calc/{kind}", post(api::calculate))
        .route(
            "/municipalities/{m}/movements",
            post(registry_api::record_movement),
        )
        .route("/municipalities/{m}/persons", get(registry_api::search))
        .route(
            "/municipalities/{m}/persons/{person_id}",
            get(registry_api::person),
        )
        .route(
            "/municipalities/{m}/persons/{person_id}/history",
            get(registry_api::person_history),
        )
        .route(
            "/municipalities/{m}/persons/{person_id}/access-log",
            get(registry_api::access_log),
        )
        .route(
            "/municipalities/{m}/households/{household_id}",
            get(registry_api::household),
        )
        .route(
            "/municipalities/{m}/persons/{person_id}/support-measures",
            get(protection_api::list).post(protection_api::record),
        )
        .route(
            "/municipalities/{m}/support-measures/{measure_id}/end",
            post(protection_api::end),
        );
    let app = Router::new()
        .route("/", get(pages::root))
        .route("/login", get(pages::login_form).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/app", get(pages::shell))
        .route("/static/kiban.css", get(pages::stylesheet))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics_layer::render))
        .route("/api/openapi.json", get(openapi::serve))
        .nest("/api/v1", api)
        .fallback(pages::not_found)
        .with_state(state);
    security::layers(metrics_layer::layer(app))
}
