//! Prometheus metrics: HTTP requests by route template, method and status with their latency, and
//! credit movements by kind, channel and outcome (counted by the adapters, see
//! `app::movements`). Served on their own listener (`METRICS_ADDR`), never on the app's port.

use std::sync::OnceLock;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

pub const HTTP_REQUESTS: &str = "creditdesk_http_requests_total";
pub const HTTP_DURATION: &str = "creditdesk_http_request_duration_seconds";

/// Latency buckets, in seconds: from a cached read to a slow page.
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

static REGISTRY: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("could not set up the metrics: {0}")]
    Setup(String),
}

/// The process's metrics registry, installed as the recorder on first use (a process has one
/// recorder; before it is installed, counting costs nothing and records nothing).
///
/// Errors: `Setup` when the buckets are refused or another recorder is already installed.
pub fn registry() -> Result<PrometheusHandle, MetricsError> {
    REGISTRY
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), &DURATION_BUCKETS)
                .map_err(|error: BuildError| error.to_string())?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).map_err(|error| error.to_string())?;
            Ok(handle)
        })
        .clone()
        .map_err(MetricsError::Setup)
}

/// Counts and times every request; wraps every route of the router, so the route is the matched
/// template (`/v1/subaccounts/{id}`), or `unmatched` for the fallback: never the raw path, whose
/// ids and typos would make a series each.
pub async fn track_http(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(
        HTTP_REQUESTS,
        "route" => route.clone(),
        "method" => method,
        "status" => status,
    )
    .increment(1);
    // Until the head of the answer: a streamed page's body is not waited for.
    metrics::histogram!(HTTP_DURATION, "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The standard methods by name; anything a client invents is `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Serves `GET /metrics` (the Prometheus text format) on the metrics listener until the process
/// ends; a failure is logged, and the app goes on serving.
pub async fn serve(listener: TcpListener, registry: PrometheusHandle) {
    let router = Router::new()
        .route("/metrics", get(scrape))
        .with_state(registry);
    if let Err(error) = axum::serve(listener, router).await {
        tracing::error!(%error, "the metrics listener stopped");
    }
}

async fn scrape(State(registry): State<PrometheusHandle>) -> Response {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        registry.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let invented = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&invented), "other");
    }
}
