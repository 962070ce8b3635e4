//! `GET /api/v1/audit?after=SEQ&limit=N`: who changed what through the
//! API, for the bureau. Entries come in journal order; page with `after`
//! set to the `next` of the previous page.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Json;
use serde::Serialize;

use super::events::{DEFAULT_LIMIT, MAX_LIMIT};
use super::request::{check_parameters, number_parameter};
use super::{blocking, ApiError, AppState};
use crate::auth::{Actor, Role};
use crate::journal::EventKind;
use crate::records::audit::{entries, AuditEntry};

/// A page of audit entries.
#[derive(Debug, Serialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The `after` of the next page: the last entry's sequence, or the
    /// request's `after` when the page is empty.
    pub next: i64,
    /// Whether more entries follow `next`.
    pub has_more: bool,
}

/// Lists audit entries after the sequence `after` (default 0), at most
/// `limit` (default 100, at most 1000).
pub async fn list(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<AuditPage>, ApiError> {
    actor.require(&[Role::Bureau])?;
    check_parameters(&query, &["after", "limit"])?;
    let after = number_parameter(&query, "after", 0, 0..=i64::MAX)?;
    let limit = number_parameter(&query, "limit", DEFAULT_LIMIT, 1..=MAX_LIMIT)?;
    blocking(move || {
        let reader = state.reader()?;
        // The range check above keeps limit between 1 and MAX_LIMIT.
        // Reading one event more than the page shows whether more follow.
        let mut events = reader.kind_events_after(EventKind::Audit, after, limit as usize + 1)?;
        let has_more = events.len() > limit as usize;
        events.truncate(limit as usize);
        let entries = entries(&events)?;
        // The page may end in records that are no entries: go past them.
        let next = events.last().map_or(after, |event| event.seq);
        Ok(Json(AuditPage {
            entries,
            next,
            has_more,
        }))
    })
    .await
}
