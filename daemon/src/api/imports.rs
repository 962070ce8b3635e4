//! `POST /api/v1/imports/attlog?device=ID`: import a USB export sent as the
//! request body. Bureau only; each import that stores punches is audited.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::Json;
use chrono::Utc;

use super::request::read_bytes;
use super::{blocking, ApiError, AppState};
use crate::auth::{Actor, Role};
use crate::import::{self, ImportError, ImportSummary};
use crate::records::audit::append_standalone;

/// Imports the body as punches of the `device` query parameter and returns
/// the `imported / duplicate / rejected` counts.
pub async fn attlog(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Result<Json<ImportSummary>, ApiError> {
    actor.require(&[Role::Bureau])?;
    if let Some(unknown) = query
        .keys()
        .find(|k| !matches!(k.as_str(), "device" | "new_device"))
    {
        return Err(ApiError::bad_request(
            "unknown_parameter",
            format!("unknown query parameter '{unknown}': expected device, new_device"),
        ));
    }
    let new_device = match query.get("new_device").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_new_device",
                format!("invalid new_device '{other}': expected true or false"),
            ))
        }
    };
    let Some(device) = query.get("device").cloned() else {
        return Err(ApiError::bad_request(
            "missing_device",
            "missing query parameter 'device': send device=ID, the clock the export came from, such as device=clock-east-1",
        ));
    };
    import::validate_device_id(&device)
        .map_err(|error| ApiError::bad_request("invalid_device", error.to_string()))?;
    let body = read_bytes(request, &state).await?;

    blocking(move || {
        let config = &state.config;
        let now = Utc::now();
        let limits = import::time_limits(&config.import, config.site.time_zone, now);
        let mut journal = state
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // An import that waited for the writer while the daemon began to
        // stop would hold the stop up for as long as it runs.
        if crate::shutdown::is_requested() {
            return Err(ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "stopping",
                "the daemon is stopping, so nothing of this export was stored: send it again \
                 once the service runs",
            ));
        }
        import::check_known_device(config, &journal, &device, new_device).map_err(
            |error| match error {
                ImportError::UnknownDevice { .. } => ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_device",
                    format!("{error} (new_device=true)"),
                ),
                ImportError::InvalidDevice(_) => {
                    ApiError::bad_request("invalid_device", error.to_string())
                }
                ImportError::Journal { .. } => {
                    ApiError::internal("failed to look for the device's punches", &error)
                }
            },
        )?;
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
                    field: None,
                }
            }
            ImportError::Journal { ref source, .. }
                if matches!(**source, crate::journal::JournalError::Full { .. }) =>
            {
                tracing::error!(device = %device, "import rejected: the journal's disk is full");
                ApiError::new(
                    axum::http::StatusCode::INSUFFICIENT_STORAGE,
                    "disk_full",
                    "the journal's disk is full, so nothing of this export was stored: free disk \
                     space on the box (df -h /var/lib/hallbox), then send it again",
                )
            }
            other => ApiError::internal("failed to import the export", &other),
        })?;
        if summary.imported > 0 {
            let summary_line = format!(
                "imported {} punches of {device} ({} duplicate, {} rejected)",
                summary.imported, summary.duplicate, summary.rejected
            );
            append_standalone(&mut journal, &actor, "import.attlog", summary_line, now)?;
        }
        Ok(Json(summary))
    })
    .await
}
