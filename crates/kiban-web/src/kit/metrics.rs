//! Prometheus metrics: request counts and latencies by route and status;
//! and the same requests counted for the monthly operations report
//! (`kiban_ops::usage`): per hour, caller's municipality and route, with
//! the handlers' CPU time.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kiban_ops::usage::{UsageBook, cpu_timed};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::AppState;
use crate::openapi::{Access, Operation, Reply, Route};

/// The operation of this module: `GET /metrics`.
pub(crate) fn operations() -> Vec<Route> {
    vec![
        Operation::new(
            "get",
            "/metrics",
            "metrics",
            "Prometheus 形式のメトリクス",
            "platform",
            Access::Public,
        )
        .reply(200, Reply::Text("text/plain"))
        .to(render),
    ]
}

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus handle, installing the recorder at first use.
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (tests in one
            // process); the handle still renders what this one records.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(),
    )
        .into_response()
}

tokio::task_local! {
    /// The municipality the current request is counted for: set once the
    /// caller is known (see [`attribute`]).
    static CALLER: Arc<OnceLock<String>>;
}

/// Counts the current request for the caller's municipality (staff and
/// system clients; operators and anonymous callers count for the service
/// as a whole). Called where a principal is authenticated.
pub(crate) fn attribute(principal: &kiban_auth::Principal) {
    if let Some(m) = principal.municipality() {
        let _ = CALLER.try_with(|caller| caller.set(m.as_str().to_owned()));
    }
}

async fn record(State(usage): State<Arc<UsageBook>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let caller = Arc::new(OnceLock::new());
    let (response, cpu) = CALLER
        .scope(caller.clone(), cpu_timed(next.run(request)))
        .await;
    let took = started.elapsed();
    let status = response.status();
    usage.record_request(
        jiff::Timestamp::now(),
        caller.get().map_or("", String::as_str),
        &format!("{method} {route}"),
        took,
        status.is_server_error(),
        cpu,
    );
    let labels = [
        ("method", method),
        ("route", route),
        ("status", status.as_u16().to_string()),
    ];
    metrics::counter!("kiban_http_requests_total", &labels).increment(1);
    metrics::histogram!("kiban_http_request_duration_seconds", &labels).record(took.as_secs_f64());
    response
}

pub fn layer(router: Router, usage: Arc<UsageBook>) -> Router {
    router.layer(axum::middleware::from_fn_with_state(usage, record))
}
