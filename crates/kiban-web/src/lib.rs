//! The web adapter of Kiban: server-rendered screens for clerks and the JSON
//! API (`/api/v1`) for other systems, over the business crates.
//!
//! Architecture invariant: handlers parse requests into domain values, call
//! a business crate or the platform, and render the result. No business
//! rule lives here, and no SQL: storage is reached through the business
//! crates and `kiban-store`'s tenant handle. Nothing is loaded from outside
//! the server (no CDN): stylesheets and scripts are compiled into the binary.

mod addressee;
mod audit;
mod certificates;
mod collection;
mod individual_number;
mod jobs;
mod kit;
mod linkage;
mod oauth;
pub mod ops;
mod platform;
mod protection;
mod registry;
mod resident_tax;
mod seal;
mod staff;

// The short names the router below uses.
use addressee::pages as addressee_pages;
use audit::pages as audit_pages;
use certificates::{api as certificate_api, pages as certificate_pages};
use individual_number::api as individual_number_api;
use individual_number::pages as individual_number_pages;
use jobs::{api as jobs_api, pages as batch_pages};
use kit::{error, layers as security, metrics as metrics_layer, rate_limit};
use linkage::api as linkage_api;
use oauth::api as oauth_api;
use platform::{api, pages};
use protection::{api as protection_api, pages as protection_pages};
use registry::{api as registry_api, movements as registry_movements, pages as registry_pages};
use resident_tax::pages as resident_tax_pages;
use seal::{api as seal_api, pages as seal_pages};
use staff::{enrol as staff_enrol, pages as staff_pages};

pub use kit::moved::{MOVED, Moved};
pub use kit::openapi;

use axum::Router;
use axum::routing::{get, post};

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
    let mut app = Router::new()
        .route("/", get(pages::root))
        .route("/login", get(pages::login_form).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/app", get(pages::shell))
        .route("/app/registry", get(registry_pages::search))
        .route("/app/addressee", get(addressee_pages::search))
        .route(
            "/app/addressee/new",
            get(addressee_pages::new_form_page).post(addressee_pages::new_submit),
        )
        .route("/app/addressee/{id}", get(addressee_pages::show))
        .route(
            "/app/addressee/{id}/overview",
            get(addressee_pages::overview),
        )
        .route("/app/addressee/{id}/{action}", post(addressee_pages::act))
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
        .route("/app/resident-tax", get(resident_tax_pages::index))
        .route(
            "/app/resident-tax/{fiscal_year}/assessments/{addressee_id}",
            get(resident_tax_pages::assessment),
        )
        .route(
            "/app/resident-tax/{fiscal_year}/income-matching",
            get(resident_tax_pages::matching),
        )
        .route(
            "/app/resident-tax/{fiscal_year}/income-matching/{record_id}/assign",
            post(resident_tax_pages::assign),
        )
        .route(
            "/app/resident-tax/{fiscal_year}/settings",
            get(resident_tax_pages::settings).post(resident_tax_pages::save_settings),
        )
        .route(
            "/app/resident-tax/{fiscal_year}/declarations/new",
            get(resident_tax_pages::declaration_form).post(resident_tax_pages::enter_declaration),
        )
        // The screens' addresses before `/app/<business>/…`.
        .merge(kit::moved::routes())
        .fallback(pages::not_found);
    // The JSON API, health and metrics: folded from the one table of
    // operations (`openapi::routes`), which the OpenAPI document and the
    // route matrix test read too.
    // A tenant or staff operation's handler runs behind the door of its
    // table entry: the permission is declared there and nowhere else.
    for route in openapi::routes() {
        let mut handler = route.handler;
        if let openapi::Access::Tenant(_) | openapi::Access::Staff(_) = route.operation.access {
            let guard = kit::door::Guard {
                state: state.clone(),
                access: route.operation.access,
                operation: route.operation.logged_as,
                scopes: route.operation.scopes.clone(),
            };
            handler = handler.route_layer(axum::middleware::from_fn_with_state(
                guard,
                kit::door::guard,
            ));
        }
        if route.operation.rate_limited {
            handler = handler.route_layer(limited(true));
        }
        app = app.route(route.operation.path, handler);
    }
    let usage = state.usage.clone();
    let app = app.with_state(state);
    let app = app
        .layer(axum::middleware::from_fn(pages::screen_errors))
        .layer(axum::middleware::from_fn_with_state(
            changes,
            one_change_turn,
        ))
        .layer(tower::limit::ConcurrencyLimitLayer::new(limit));
    security::layers(metrics_layer::layer(app, usage))
}
