//! The web adapter of Kiban: server-rendered screens for clerks and the JSON
//! API (`/api/v1`) for other systems, over the business crates.
//!
//! Architecture invariant: handlers parse requests into domain values, call
//! a business crate or the platform, and render the result. No business
//! rule lives here, and no SQL: storage is reached through the business
//! crates and `kiban-store`'s tenant handle. Nothing is loaded from outside
//! the server (no CDN): stylesheets and scripts are compiled into the binary.

mod audit;
mod certificates;
mod individual_number;
mod jobs;
mod kit;
mod platform;
mod protection;
mod registry;
mod seal;
mod staff;

// The short names the router below uses.
use audit::pages as audit_pages;
use certificates::{api as certificate_api, pages as certificate_pages};
use individual_number::api as individual_number_api;
use individual_number::pages as individual_number_pages;
use jobs::{api as jobs_api, pages as batch_pages};
use kit::{error, layers as security, metrics as metrics_layer, rate_limit};
use platform::{api, pages};
use protection::{api as protection_api, pages as protection_pages};
use registry::{api as registry_api, movements as registry_movements, pages as registry_pages};
use seal::{api as seal_api, pages as seal_pages};
use staff::{enrol as staff_enrol, pages as staff_pages};

pub use kit::moved::{MOVED, Moved};
pub use kit::openapi;

use axum::Router;
use axum::routing::{delete, get, post};

pub use error::ApiError;
pub use kit::state::{
    AppState, DEFAULT_VERIFY_BURST, DEFAULT_VERIFY_RATE_PER_MINUTE, WebConfig, consumers,
    default_max_concurrent_changes, default_max_concurrent_requests, job_kinds,
};

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
            "/municipalities/{m}/follow-up/missing-residence-status",
            get(registry_api::missing_residence_status),
        )
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
        )
        .route(
            "/municipalities/{m}/persons/{person_id}/individual-number/reveal",
            post(individual_number_api::reveal),
        )
        // Certificates (証明書) and seal registration (印鑑登録).
        .route(
            "/municipalities/{m}/certificates",
            post(certificate_api::create),
        )
        .route(
            "/certificates/verify/{code}",
            get(certificate_api::verify).route_layer(limited(true)),
        )
        .route(
            "/municipalities/{m}/seal-registrations",
            post(seal_api::create),
        )
        .route(
            "/municipalities/{m}/seal-registrations/{id}",
            get(seal_api::get),
        )
        .route(
            "/municipalities/{m}/seal-registrations/{id}/reply",
            post(seal_api::reply),
        )
        .route(
            "/municipalities/{m}/seal-registrations/{id}/abolish",
            post(seal_api::abolish),
        )
        .route(
            "/municipalities/{m}/seal-registrations/{id}/card-reissue",
            post(seal_api::card_reissue),
        )
        .route(
            "/municipalities/{m}/seal-registrations/{id}/restore",
            post(seal_api::restore),
        )
        .route(
            "/municipalities/{m}/seal-registrations/{id}/confirm-abolition",
            post(seal_api::confirm_abolition),
        )
        .route(
            "/municipalities/{m}/seal-restoration-reviews",
            get(seal_api::review_list),
        )
        .route(
            "/municipalities/{m}/seal-adult-wards",
            post(seal_api::adult_ward),
        )
        // Jobs and batches (バッチ処理) and the outbox consumers.
        .route("/municipalities/{m}/jobs/kinds", get(jobs_api::kinds))
        .route(
            "/municipalities/{m}/jobs",
            get(jobs_api::list).post(jobs_api::submit),
        )
        .route(
            "/municipalities/{m}/jobs/plan",
            get(jobs_api::get_plan).put(jobs_api::put_plan),
        )
        .route("/municipalities/{m}/jobs/{job_id}", get(jobs_api::get))
        .route(
            "/municipalities/{m}/jobs/{job_id}/outputs/{name}",
            get(jobs_api::output),
        )
        .route(
            "/municipalities/{m}/jobs/{job_id}/cancel",
            post(jobs_api::cancel),
        )
        .route(
            "/municipalities/{m}/outbox/consumers",
            get(jobs_api::consumers),
        )
        .route(
            "/municipalities/{m}/outbox/dead-letters",
            get(jobs_api::dead_letters),
        )
        .route(
            "/municipalities/{m}/outbox/dead-letters/{consumer}/{event_id}/retry",
            post(jobs_api::retry_dead_letter),
        )
        .route(
            "/municipalities/{m}/outbox/dead-letters/{consumer}/{event_id}/dismiss",
            post(jobs_api::dismiss_dead_letter),
        );
    let app = Router::new()
        .route("/", get(pages::root))
        .route("/login", get(pages::login_form).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/app", get(pages::shell))
        .route("/app/registry", get(registry_pages::search))
        .route(
            "/app/registry/follow-up/missing-residence-status",
            get(registry_pages::missing_residence_status),
        )
        .route(
            "/app/registry/persons/{person_id}",
            get(registry_pages::person),
        )
        .route(
            "/app/registry/households/{household_id}",
            get(registry_pages::household),
        )
        .route(
            "/app/registry/movements/{kind}",
            get(registry_movements::movement_form).post(registry_movements::movement_submit),
        )
        .route(
            "/app/staff/enrol",
            get(staff_enrol::enrol_form).post(staff_enrol::enrol_submit),
        )
        .route(
            "/app/registry/persons/{person_id}/individual-number",
            get(individual_number_pages::individual_number),
        )
        .route(
            "/app/registry/persons/{person_id}/individual-number/reveal",
            post(individual_number_pages::reveal_individual_number),
        )
        .route(
            "/app/protection/persons/{person_id}/support-measures",
            get(protection_pages::list).post(protection_pages::submit),
        )
        .route("/app/audit/access-log", get(audit_pages::access_log))
        .route(
            "/app/audit/access-log.csv",
            get(audit_pages::access_log_csv),
        )
        .route(
            "/app/staff",
            get(staff_pages::staff_list).post(staff_pages::staff_create),
        )
        .route(
            "/app/staff/{login}/{action}",
            post(staff_pages::staff_action),
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
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(metrics_layer::render))
        .route("/api/openapi.json", get(openapi::serve))
        .nest("/api/v1", api)
        // The screens' addresses before `/app/<business>/…`.
        .merge(kit::moved::routes())
        .fallback(pages::not_found)
        .with_state(state);
    let app = app
        .layer(axum::middleware::from_fn(pages::screen_errors))
        .layer(axum::middleware::from_fn_with_state(
            changes,
            one_change_turn,
        ))
        .layer(tower::limit::ConcurrencyLimitLayer::new(limit));
    security::layers(metrics_layer::layer(app))
}
