//! HTTP API: routes, handlers and error bodies.
//!
//! Handlers that read the journal or apply the rules run on tokio's
//! blocking threads, with a read connection of their own, so a long report
//! never stalls the device tasks.

pub mod attendance;
pub mod corrections;
pub mod error;
pub mod health;
pub mod imports;
pub mod observe;
pub mod ratings;
pub mod roster;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

use crate::config::Config;
use crate::ingest::IngestHandle;
use crate::journal::{Journal, JournalReader};
use crate::web;

pub use error::ApiError;

/// State shared by every handler.
pub struct AppState {
    pub config: Config,
    pub journal_path: PathBuf,
    /// The API's own write connection, for imports and records made
    /// through the API. SQLite lets one write transaction run at a time,
    /// so it and the device writer take turns.
    pub writer: Mutex<Journal>,
    /// The device-event writer, for records that must be committed before
    /// a device is acknowledged.
    pub ingest: IngestHandle,
}

impl AppState {
    /// Opens a read connection for one request.
    pub fn reader(&self) -> Result<JournalReader, ApiError> {
        JournalReader::open(&self.journal_path)
            .map_err(|error| ApiError::internal("failed to open the journal for reading", &error))
    }
}

/// Builds the router with every route.
pub fn router(state: Arc<AppState>) -> Router {
    let max_body = state.config.http.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::prometheus_metrics))
        .route("/api/v1/attendance/monthly", get(attendance::monthly))
        .route("/api/v1/imports/attlog", post(imports::attlog))
        .route("/api/v1/ratings/monthly", get(ratings::monthly))
        .route(
            "/api/v1/ratings/:id/corrections",
            post(corrections::request),
        )
        .route("/api/v1/corrections", get(corrections::list))
        .route(
            "/api/v1/corrections/:id/approve",
            post(corrections::approve),
        )
        .route("/api/v1/corrections/:id/reject", post(corrections::reject))
        .route(
            "/api/v1/roster/duty",
            get(roster::list).post(roster::assign),
        )
        .route("/", get(web::index))
        .route("/ui/", get(web::index))
        .route("/ui/attendance", get(web::attendance::page_handler))
        .route("/ui/devices", get(web::devices::page_handler))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(observe::observe))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Runs `work` on a blocking thread and turns a panic into a 500.
pub async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(error) => Err(ApiError::internal("request handler failed", &error)),
    }
}
