//! Prometheus metrics: request counts and latencies by route and status.

use std::sync::OnceLock;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
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

async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("kiban_http_requests_total", &labels).increment(1);
    metrics::histogram!("kiban_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

pub fn layer(router: Router) -> Router {
    router.layer(axum::middleware::from_fn(record))
}
