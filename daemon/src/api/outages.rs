//! Clock outage routes, for the bureau:
//!
//! - `POST /api/v1/outages` adds an outage with its start, optional end and
//!   note (201);
//! - `POST /api/v1/outages/{id}/close` sets or corrects the end of any
//!   outage, also one a device opened;
//! - `POST /api/v1/outages/{id}/notes` adds a note;
//! - `GET /api/v1/outages?month=YYYY-MM` lists the outages overlapping the
//!   month.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::Request;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde_json::json;

use super::attendance::parse_month;
use super::request::{check_parameters, record_id, record_key, store_change, JsonBody};
use super::writeoffs::lock_writer;
use super::{blocking, ApiError, AppState};
use crate::auth::{Actor, Role};
use crate::journal::Journal;
use crate::records::outage::{
    CloseOutageRequest, NoteOutageRequest, OpenOutageRequest, OutageAction,
};
use crate::records::{load_outages, Outage, RecordSource};
use crate::time::utc_to_local;

/// Adds an outage and returns it with 201, or the stored one with 200 when
/// the `Idempotency-Key` was used before.
pub async fn open(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    request: Request,
) -> Result<(StatusCode, Json<Outage>), ApiError> {
    actor.require(&[Role::Bureau])?;
    let key = record_key("outage", &actor, request.headers())?;
    let body: JsonBody<OpenOutageRequest> = JsonBody::read(request, &state).await?;
    blocking(move || {
        let local_now = utc_to_local(state.config.site.time_zone, Utc::now());
        let opening = body.value.validate(local_now, &actor)?;
        let summary = format!(
            "outage of {} from {}: {}",
            opening.device.as_deref().unwrap_or("the clocks"),
            opening.start.format("%Y-%m-%dT%H:%M:%S"),
            opening.note
        );
        let action = OutageAction::Open(opening);
        let mut journal = lock_writer(&state);
        let (status, id) = append(
            &mut journal,
            &actor,
            &action,
            key,
            &body.bytes,
            "outage.open",
            summary,
        )?;
        let outage = find(&state, &journal, id)?;
        Ok((status, Json(outage)))
    })
    .await
}

/// Sets the end of an outage.
pub async fn close(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Path(id): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<Outage>), ApiError> {
    actor.require(&[Role::Bureau])?;
    let id = record_id(&id, "outage")?;
    let key = record_key(&format!("outage_close:{id}"), &actor, request.headers())?;
    let body: JsonBody<CloseOutageRequest> = JsonBody::read(request, &state).await?;
    blocking(move || {
        let local_now = utc_to_local(state.config.site.time_zone, Utc::now());
        let mut journal = lock_writer(&state);
        let outage = find(&state, &journal, id)?;
        let closing = body.value.validate(&outage, local_now, &actor)?;
        let summary = format!(
            "outage {id} closed at {}",
            closing.end.format("%Y-%m-%dT%H:%M:%S")
        );
        let action = OutageAction::Close(closing);
        let (status, _) = append(
            &mut journal,
            &actor,
            &action,
            key,
            &body.bytes,
            "outage.close",
            summary,
        )?;
        let outage = find(&state, &journal, id)?;
        Ok((status, Json(outage)))
    })
    .await
}

/// Adds a note to an outage.
pub async fn note(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Path(id): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<Outage>), ApiError> {
    actor.require(&[Role::Bureau])?;
    let id = record_id(&id, "outage")?;
    let key = record_key(&format!("outage_note:{id}"), &actor, request.headers())?;
    let body: JsonBody<NoteOutageRequest> = JsonBody::read(request, &state).await?;
    blocking(move || {
        let mut journal = lock_writer(&state);
        let outage = find(&state, &journal, id)?;
        let note = body.value.validate(&outage, &actor)?;
        let summary = format!("note on outage {id}: {}", note.note);
        let action = OutageAction::Note(note);
        let (status, _) = append(
            &mut journal,
            &actor,
            &action,
            key,
            &body.bytes,
            "outage.note",
            summary,
        )?;
        let outage = find(&state, &journal, id)?;
        Ok((status, Json(outage)))
    })
    .await
}

/// Lists the outages overlapping `month`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    actor.require(&[Role::Bureau])?;
    check_parameters(&query, &["month"])?;
    let month = parse_month(query.get("month"))?;
    blocking(move || {
        let reader = state.reader()?;
        let from = month.first_day().and_hms_opt(0, 0, 0).unwrap_or_default();
        let to = month
            .next_first_day()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default();
        let outages: Vec<Outage> = all(&state, &reader)?
            .into_iter()
            .filter(|outage| outage.overlaps(from, to))
            .collect();
        Ok(Json(
            json!({ "month": month.to_string(), "outages": outages }),
        ))
    })
    .await
}

fn all(state: &AppState, source: &impl RecordSource) -> Result<Vec<Outage>, ApiError> {
    let zone = state.config.site.time_zone;
    Ok(load_outages(source, zone, &|device| {
        crate::report::attendance::is_clock(&state.config, device)
    })?)
}

fn find(state: &AppState, journal: &Journal, id: i64) -> Result<Outage, ApiError> {
    all(state, journal)?
        .into_iter()
        .find(|outage| outage.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no outage has the id {id}")))
}

/// Appends an outage action with its audit entry; see [`store_change`].
fn append(
    journal: &mut Journal,
    actor: &Actor,
    action: &OutageAction,
    key: String,
    body: &[u8],
    audit_action: &str,
    summary: String,
) -> Result<(StatusCode, i64), ApiError> {
    let event = action
        .to_event(actor, key, body, Utc::now())
        .map_err(|error| ApiError::internal("failed to encode the outage", &error))?;
    store_change(journal, actor, audit_action, event, summary)
}
