//! Write-off routes, for the bureau:
//!
//! - `POST /api/v1/writeoffs` registers a write-off or leave (201);
//! - `POST /api/v1/writeoffs/{id}/paperwork` completes the paperwork of
//!   emergency leave;
//! - `POST /api/v1/writeoffs/{id}/revoke` withdraws a write-off;
//! - `GET /api/v1/writeoffs?month=YYYY-MM` lists the write-offs that cover
//!   a day of the month.
//!
//! Each change is checked and appended with its audit entry while the API's
//! journal writer is locked, so the check reads the state that the change
//! is appended to.

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
use super::{blocking, ApiError, AppState};
use crate::auth::{Actor, Role};
use crate::journal::Journal;
use crate::records::leave;
use crate::records::writeoff::{joined_leave, overlapping, Registration};
use crate::records::writeoff::{PaperworkRequest, RegisterRequest, RevokeRequest, WriteOffAction};
use crate::records::{load_write_offs, WriteOff, WriteOffView};
use crate::time::utc_to_local;

/// Registers a write-off and returns it with 201, or the stored one with
/// 200 when the `Idempotency-Key` was used before.
pub async fn register(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    request: Request,
) -> Result<(StatusCode, Json<WriteOffView>), ApiError> {
    actor.require(&[Role::Bureau])?;
    let key = record_key("write_off", &actor, request.headers())?;
    let body: JsonBody<RegisterRequest> = JsonBody::read(request, &state).await?;
    blocking(move || {
        let now = Utc::now();
        let local_now = utc_to_local(state.config.site.time_zone, now);
        let registration = body.value.validate(&state.config, local_now, &actor)?;
        let summary = format!(
            "{} for {} from {} {} to {} {}",
            registration.kind.as_str(),
            registration.person,
            registration.from,
            registration.from_checkpoint.as_str(),
            registration.to,
            registration.to_checkpoint.as_str()
        );
        let mut journal = lock_writer(&state);
        // A resend of a stored change skips the checks, because it overlaps
        // itself; storing it finds the earlier record.
        if journal.seq_of_key(&key)?.is_none() {
            let stored = load_write_offs(&*journal)?;
            check_overlap(&stored, &state, &registration, local_now)?;
            check_joined_leave(&stored, &state, &registration, local_now)?;
        }
        let action = WriteOffAction::Register(registration);
        let (status, id) = append(
            &mut journal,
            &actor,
            &action,
            key,
            &body.bytes,
            "write_off.register",
            summary,
        )?;
        let write_off = find(&journal, id)?;
        Ok((
            status,
            Json(write_off.view(&state.config.calendar, local_now)),
        ))
    })
    .await
}

/// Completes the paperwork of emergency leave.
pub async fn paperwork(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Path(id): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<WriteOffView>), ApiError> {
    actor.require(&[Role::Bureau])?;
    let id = record_id(&id, "write-off")?;
    let key = record_key(
        &format!("write_off_paperwork:{id}"),
        &actor,
        request.headers(),
    )?;
    let body: JsonBody<PaperworkRequest> = JsonBody::read(request, &state).await?;
    blocking(move || {
        let now = Utc::now();
        let local_now = utc_to_local(state.config.site.time_zone, now);
        let mut journal = lock_writer(&state);
        let write_off = find(&journal, id)?;
        let paperwork = body.value.validate(&write_off, local_now, &actor)?;
        let summary = format!(
            "paperwork of write-off {id} completed on {}",
            paperwork.completed_on
        );
        let action = WriteOffAction::Paperwork(paperwork);
        let (status, _) = append(
            &mut journal,
            &actor,
            &action,
            key,
            &body.bytes,
            "write_off.paperwork",
            summary,
        )?;
        let write_off = find(&journal, id)?;
        Ok((
            status,
            Json(write_off.view(&state.config.calendar, local_now)),
        ))
    })
    .await
}

/// Withdraws a write-off registered by mistake.
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Path(id): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<WriteOffView>), ApiError> {
    actor.require(&[Role::Bureau])?;
    let id = record_id(&id, "write-off")?;
    let key = record_key(&format!("write_off_revoke:{id}"), &actor, request.headers())?;
    let body: JsonBody<RevokeRequest> = JsonBody::read(request, &state).await?;
    blocking(move || {
        let now = Utc::now();
        let local_now = utc_to_local(state.config.site.time_zone, now);
        let mut journal = lock_writer(&state);
        let write_off = find(&journal, id)?;
        let revocation = body.value.validate(&write_off, &actor)?;
        let summary = format!("write-off {id} revoked: {}", revocation.reason);
        let action = WriteOffAction::Revoke(revocation);
        let (status, _) = append(
            &mut journal,
            &actor,
            &action,
            key,
            &body.bytes,
            "write_off.revoke",
            summary,
        )?;
        let write_off = find(&journal, id)?;
        Ok((
            status,
            Json(write_off.view(&state.config.calendar, local_now)),
        ))
    })
    .await
}

/// Lists the write-offs covering a day of `month`, optionally of one
/// `person`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    actor.require(&[Role::Bureau])?;
    check_parameters(&query, &["month", "person"])?;
    let month = parse_month(query.get("month"))?;
    let person = query.get("person").cloned();
    blocking(move || {
        let local_now = utc_to_local(state.config.site.time_zone, Utc::now());
        let reader = state.reader()?;
        let last_day = month
            .next_first_day()
            .pred_opt()
            .unwrap_or(month.first_day());
        let views: Vec<WriteOffView> = load_write_offs(&reader)?
            .iter()
            .filter(|write_off| write_off.overlaps(month.first_day(), last_day))
            .filter(|write_off| {
                person
                    .as_deref()
                    .is_none_or(|person| write_off.registration.person == person)
            })
            .map(|write_off| write_off.view(&state.config.calendar, local_now))
            .collect();
        Ok(Json(
            json!({ "month": month.to_string(), "write_offs": views }),
        ))
    })
    .await
}

/// Takes the API's journal writer.
pub(super) fn lock_writer(state: &AppState) -> std::sync::MutexGuard<'_, Journal> {
    state
        .writer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Appends a write-off action with its audit entry and returns 201 and the
/// new sequence, or 200 and the earlier sequence for a resent key.
fn append(
    journal: &mut Journal,
    actor: &Actor,
    action: &WriteOffAction,
    key: String,
    body: &[u8],
    audit_action: &str,
    summary: String,
) -> Result<(StatusCode, i64), ApiError> {
    let event = action
        .to_event(actor, key, body, Utc::now())
        .map_err(|error| ApiError::internal("failed to encode the write-off", &error))?;
    store_change(journal, actor, audit_action, event, summary)
}

/// Returns a 409 when a write-off in force already covers a checkpoint of
/// the same person that `registration` covers, because one of the two would
/// hide behind the other.
fn check_overlap(
    stored: &[WriteOff],
    state: &AppState,
    registration: &Registration,
    as_of: chrono::NaiveDateTime,
) -> Result<(), ApiError> {
    let Some(other) = overlapping(stored, registration, &state.config.calendar, as_of) else {
        return Ok(());
    };
    let (first, last) = other.registration.span();
    Err(ApiError::conflict(format!(
        "write-off {} ({} from {} {} to {} {}) already covers checkpoints of {} in this \
         span: revoke it first with POST /api/v1/writeoffs/{}/revoke, or register only the \
         checkpoints it does not cover",
        other.id,
        other.registration.kind.as_str(),
        first.date,
        first.checkpoint.as_str(),
        last.date,
        last.checkpoint.as_str(),
        registration.person,
        other.id
    )))
}

/// Checks that leave joined to adjoining leave of the same person has the
/// approval chain of the whole run. Emergency leave is signed later, so it
/// is checked with its paperwork.
fn check_joined_leave(
    stored: &[WriteOff],
    state: &AppState,
    registration: &Registration,
    as_of: chrono::NaiveDateTime,
) -> Result<(), ApiError> {
    if !registration.kind.is_leave() || registration.emergency.is_some() {
        return Ok(());
    }
    let calendar = &state.config.calendar;
    let (half_days, joined) = joined_leave(stored, registration, calendar, as_of)
        .map_err(|error| ApiError::invalid_field("invalid_field", "to", error.to_string()))?;
    if joined.is_empty() {
        return Ok(());
    }
    leave::check_leave_chain(registration.kind, half_days, &registration.approvals).map_err(
        |error| {
            let ids: Vec<String> = joined.iter().map(i64::to_string).collect();
            ApiError::invalid_field(
                "invalid_field",
                error.field("approvals"),
                format!(
                    "this leave adjoins leave {} of {} with no working half-day between, so \
                     together they are {} days: {error}",
                    ids.join(", "),
                    registration.person,
                    leave::days_text(half_days)
                ),
            )
        },
    )
}

/// Reads the write-off `id` through the writer, or returns a 404.
fn find(journal: &Journal, id: i64) -> Result<WriteOff, ApiError> {
    load_write_offs(journal)?
        .into_iter()
        .find(|write_off| write_off.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no write-off has the id {id}")))
}
