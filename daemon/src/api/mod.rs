//! HTTP API: routes, handlers and error bodies.
//!
//! Handlers that read the journal or apply the rules run on tokio's
//! blocking threads, with a read connection of their own, so a long report
//! never stalls the device tasks.
//!
//! Every route but the health check takes a [`crate::auth::Actor`] and states the
//! roles it serves; `docs/api.md` has the table of routes and roles.

pub mod attendance;
pub mod audit;
pub mod corrections;
pub mod error;
pub mod events;
pub mod health;
pub mod imports;
pub mod observe;
pub mod outages;
pub mod patrols;
pub mod ratings;
pub mod request;
pub mod roster;
pub mod writeoffs;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::DefaultBodyLimit;
use axum::middleware;
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
        .route("/", get(web::index))
        .route("/ui/", get(web::index))
        .route("/ui/attendance", get(web::attendance::page_handler))
        .route("/ui/ratings", get(web::ratings::page_handler))
        .route("/ui/devices", get(web::devices::page_handler))
        .route("/ui/login", get(web::login::form).post(web::login::submit))
        .route("/ui/logout", get(web::login::logout))
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
        .route(
            "/api/v1/writeoffs",
            get(writeoffs::list).post(writeoffs::register),
        )
        .route(
            "/api/v1/writeoffs/:id/paperwork",
            post(writeoffs::paperwork),
        )
        .route("/api/v1/writeoffs/:id/revoke", post(writeoffs::revoke))
        .route("/api/v1/outages", get(outages::list).post(outages::open))
        .route("/api/v1/outages/:id/close", post(outages::close))
        .route("/api/v1/outages/:id/notes", post(outages::note))
        .route(
            "/api/v1/patrols",
            get(patrols::list).post(patrols::register),
        )
        .route("/api/v1/audit", get(audit::list))
        .route("/api/v1/events", get(events::feed))
        .fallback(request::not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            request::body_deadline,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            request::json_errors,
        ))
        .layer(axum::middleware::from_fn(observe::observe))
        .with_state(state)
}

/// Returns `ok` while the daemon runs; the only route without a token.
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
