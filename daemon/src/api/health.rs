//! `GET /metrics` and `GET /readyz`: what monitoring reads.
//!
//! `/healthz` (in the router) answers while the process serves HTTP at
//! all; `/readyz` also checks the journal writer and the devices.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::AppState;
use crate::metrics;

/// Serves every metric in the Prometheus text exposition format.
pub async fn prometheus_metrics() -> Response {
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        metrics::render(),
    )
        .into_response()
}

/// The body of `GET /readyz`.
#[derive(Debug, Serialize)]
pub struct Readiness {
    pub ready: bool,
    /// Why the daemon is not ready, one sentence each; empty when ready.
    pub problems: Vec<String>,
    pub devices: Vec<DeviceReadiness>,
}

/// One device as `/readyz` reports it.
#[derive(Debug, Serialize)]
pub struct DeviceReadiness {
    pub id: String,
    pub connected: bool,
    /// Whole seconds since the device was lost; 0 while connected.
    pub lost_seconds: u64,
}

/// Answers 200 when the journal writer runs and keeps up and no device has
/// been lost longer than `[health] lost_device_seconds`, and 503 with the
/// reasons otherwise.
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let threshold = state.config.health.lost_device_after;
    let readiness = readiness(&state, threshold, Instant::now());
    let status = if readiness.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness)).into_response()
}

fn readiness(state: &AppState, threshold: Duration, now: Instant) -> Readiness {
    let mut problems = Vec::new();
    // A writer stuck in a commit for as long as a device may be lost is
    // stuck, whatever the device states are. A writer whose last commit
    // failed stores nothing now.
    if !state.ingest.is_healthy(threshold) {
        problems.push(format!(
            "the journal writer has stopped or stalled, with {} submissions waiting",
            state.ingest.queued()
        ));
    } else if state.ingest.stats().failing_for().is_some() {
        problems.push(
            "the journal's last commit failed, so events are not being stored: check free \
             disk space (df) and the log (journalctl -u hallbox)"
                .to_string(),
        );
    }

    let mut devices = Vec::new();
    for device in metrics::devices() {
        let lost = device.lost_for(now);
        if lost > threshold {
            problems.push(format!(
                "device '{}' lost for {} s, longer than {} s",
                device.id,
                lost.as_secs(),
                threshold.as_secs()
            ));
        }
        devices.push(DeviceReadiness {
            id: device.id,
            connected: device.connected,
            lost_seconds: lost.as_secs(),
        });
    }

    Readiness {
        ready: problems.is_empty(),
        problems,
        devices,
    }
}
