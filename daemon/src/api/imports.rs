//! `POST /api/v1/imports/attlog?device=ID`: import a USB export sent as the
//! request body.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::Json;
use chrono::Utc;

use super::{blocking, ApiError, AppState};
use crate::import::{self, ImportError, ImportSummary};

/// Imports the body as punches of the `device` query parameter and returns
/// the `imported / duplicate / rejected` counts.
pub async fn attlog(
    State(state): State<Arc<AppState>>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<ImportSummary>, ApiError> {
    if let Some(unknown) = query.keys().find(|k| k.as_str() != "device") {
        return Err(ApiError::bad_request(
            "unknown_parameter",
            format!("unknown query parameter '{unknown}': expected device"),
        ));
    }
    let Some(device) = query.get("device").cloned() else {
        return Err(ApiError::bad_request(
            "missing_device",
            "missing query parameter 'device': send device=ID, the clock the export came from, such as device=clock-east-1",
        ));
    };
    import::validate_device_id(&device)
        .map_err(|error| ApiError::bad_request("invalid_device", error.to_string()))?;

    blocking(move || {
        let config = &state.config;
        let now = Utc::now();
        let limits = import::time_limits(&config.import, config.site.time_zone, now);
        let mut journal = state
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let summary = import::import_attlog(
            &mut journal,
            &body,
            &device,
            &limits,
            config.site.time_zone,
            now,
        )
        .map_err(|error| match error {
            ImportError::InvalidDevice(_) => {
                ApiError::bad_request("invalid_device", error.to_string())
            }
            ImportError::Journal { ref source, .. }
                if matches!(**source, crate::journal::JournalError::Busy { .. }) =>
            {
                tracing::warn!(device = %device, "import rejected: the journal is busy with another write");
                ApiError {
                    status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    code: "journal_busy",
                    message: "the journal is busy with another import, so nothing of this export was stored: send it again in a minute".to_string(),
                }
            }
            other => ApiError::internal("failed to import the export", &other),
        })?;
        Ok(Json(summary))
    })
    .await
}
