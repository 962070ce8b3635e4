//! One tracing span and one metric sample per HTTP request.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::metrics;

/// Route label of requests that match no route, so that scanned paths do
/// not each make a series.
const UNMATCHED: &str = "unmatched";

/// Runs the request inside an `http` span with its method and route,
/// counts it by route and status, and logs it at debug level (at warn for a
/// 5xx answer).
pub async fn observe(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_string();
    let method = request.method().clone();
    let span = tracing::info_span!("http", method = %method, route = %route);
    let started = Instant::now();

    let response = next.run(request).instrument(span.clone()).await;

    let status = response.status();
    metrics::http_request(&route, method.as_str(), status.as_u16());
    let took_ms = started.elapsed().as_millis() as u64;
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), took_ms, "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), took_ms, "request answered");
        }
    });
    response
}
