//! Misclick corrections over HTTP: the chief representative's request, the
//! bureau's approval or rejection, and the list of requests.
//!
//! - `POST /api/v1/ratings/{id}/corrections` with
//!   `{"level", "reason", "requested_by"}` files a request (201).
//! - `POST /api/v1/corrections/{id}/approve` and `.../reject` with
//!   `{"reason", "decided_by"}` decide on it (200).
//! - `GET /api/v1/corrections?status=pending&unit=tax` lists requests.
//!
//! Errors are 400 for a malformed body or field and 403 when the caller may
//! not act (the requester, the unit's staff and the person rated never
//! decide). An unknown rating or request is a 404. A rating that already
//! has an approved or pending correction, or a request already decided, is
//! a 409. A late request, one that changes nothing, or one for a repeated
//! press that does not count, is a 422, and a deadline in a year without a
//! calendar file is a 503.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::Serialize;

use super::ratings::{error, json_body, path_id};
use super::request::read_json_bytes;
use super::{blocking, ApiError, AppState};
use crate::auth::{Actor, Role};
use crate::ratings::corrections::{
    self, read_ledger, CorrectionCheckError, CorrectionStatus, CorrectionView, DecisionInput,
    RequestInput,
};
use crate::ratings::records::{Decision, Unreadable};
use crate::ratings::Submitted;
use crate::records::audit::AuditBy;
use crate::rules::ratings::DeadlineError;

/// Files a correction request for rating `id`.
pub async fn request(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Path(id): Path<String>,
    request: Request,
) -> Result<(StatusCode, Json<CorrectionView>), ApiError> {
    actor.require(&[Role::Chief, Role::Bureau])?;
    let body = read_json_bytes(request, &state).await?;
    let rating_id = path_id(&id, "rating")?;
    let input: RequestInput = json_body(&body)?;
    // The request names the chief representative filing it, and the rules
    // check that this is the chief of the rating's unit; a chief token
    // files only in the name of its own unit's staff.
    if let Some(staff) = state
        .config
        .staff
        .iter()
        .find(|s| s.id == input.requested_by.trim())
    {
        actor.require_unit(&staff.unit)?;
    } else if actor.unit_scope().is_some() {
        return Err(ApiError::forbidden(format!(
            "staff '{}' is not on the roster, so a chief token cannot file for it",
            input.requested_by
        )));
    }
    blocking(move || {
        let mut journal = state
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let audit = AuditBy {
            actor: &actor,
            action: "correction.request",
        };
        let view = corrections::file_request(
            &mut journal,
            &state.config,
            rating_id,
            &input,
            Submitted {
                raw: &body,
                audit: Some(audit),
                now: Utc::now(),
            },
        )
        .map_err(|failure| match actor.unit_scope() {
            Some(own) if outside_unit(&failure, own) => error(
                StatusCode::NOT_FOUND,
                "rating_not_found",
                format!(
                "rating {rating_id} not found among the ratings at the windows of unit '{own}': \
                 expected the id of a press at your unit's windows, as listed in the monthly \
                 ratings report"
                ),
            ),
            _ => check_error(failure),
        })?;
        Ok((StatusCode::CREATED, Json(view)))
    })
    .await
}

/// Approves correction request `id`.
pub async fn approve(
    state: State<Arc<AppState>>,
    actor: Actor,
    id: Path<String>,
    request: Request,
) -> Result<Json<CorrectionView>, ApiError> {
    actor.require(&[Role::Bureau])?;
    let body = read_json_bytes(request, &state).await?;
    decide(state, actor, id, body, Decision::Approved).await
}

/// Rejects correction request `id`.
pub async fn reject(
    state: State<Arc<AppState>>,
    actor: Actor,
    id: Path<String>,
    request: Request,
) -> Result<Json<CorrectionView>, ApiError> {
    actor.require(&[Role::Bureau])?;
    let body = read_json_bytes(request, &state).await?;
    decide(state, actor, id, body, Decision::Rejected).await
}

async fn decide(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Path(id): Path<String>,
    body: Bytes,
    decision: Decision,
) -> Result<Json<CorrectionView>, ApiError> {
    let request_id = path_id(&id, "correction")?;
    let input: DecisionInput = json_body(&body)?;
    blocking(move || {
        let mut journal = state
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let audit = AuditBy {
            actor: &actor,
            action: "correction.decide",
        };
        let view = corrections::decide(
            &mut journal,
            &state.config,
            request_id,
            decision,
            &input,
            Submitted {
                raw: &body,
                audit: Some(audit),
                now: Utc::now(),
            },
        )
        .map_err(check_error)?;
        Ok(Json(view))
    })
    .await
}

/// The response of the list.
#[derive(Debug, Serialize)]
pub struct CorrectionList {
    pub corrections: Vec<CorrectionView>,
    /// Correction records that could not be read.
    pub unreadable_events: Vec<Unreadable>,
}

const LIST_PARAMETERS: &str = "status, unit";

/// Lists correction requests in journal order, optionally only those with
/// `status` (pending, approved or rejected) or of `unit`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Query(mut query): Query<HashMap<String, String>>,
) -> Result<Json<CorrectionList>, ApiError> {
    actor.require(&[Role::Bureau, Role::Chief])?;
    // A chief token lists its own unit only.
    if let Some(own) = actor.unit_scope() {
        match query.get("unit") {
            Some(unit) => actor.require_unit(unit)?,
            None => {
                query.insert("unit".to_string(), own.to_string());
            }
        }
    }
    if let Some(unknown) = query
        .keys()
        .find(|k| !LIST_PARAMETERS.split(", ").any(|p| p == *k))
    {
        return Err(ApiError::bad_request(
            "unknown_parameter",
            format!("unknown query parameter '{unknown}': expected {LIST_PARAMETERS}"),
        ));
    }
    let status = match query.get("status") {
        None => None,
        Some(text) => Some(CorrectionStatus::parse(text).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_status",
                format!("invalid status '{text}': expected pending, approved or rejected"),
            )
        })?),
    };
    let unit = query.get("unit").cloned();
    if let Some(unit) = &unit {
        if !state.config.units.iter().any(|u| u.id == *unit) {
            return Err(ApiError::bad_request(
                "invalid_unit",
                format!("unknown unit '{unit}': expected the id of a configured [[unit]]"),
            ));
        }
    }

    blocking(move || {
        let reader = state.reader()?;
        let ledger = read_ledger(&reader)
            .map_err(|error| ApiError::internal("failed to read corrections", &error))?;
        let corrections = ledger
            .corrections
            .into_iter()
            .filter(|view| status.is_none_or(|status| view.status == status))
            .filter(|view| {
                unit.as_ref()
                    .is_none_or(|unit| view.request.unit_id == *unit)
            })
            .collect();
        Ok(Json(CorrectionList {
            corrections,
            unreadable_events: ledger.unreadable,
        }))
    })
    .await
}

/// Returns whether a request failed because the rating is not one of unit
/// `own`'s: unknown, or at a window of another unit or of none. A chief
/// token gets only that message, so it learns nothing of other units'
/// ratings.
fn outside_unit(failure: &CorrectionCheckError, own: &str) -> bool {
    use CorrectionCheckError as E;
    match failure {
        E::RatingNotFound { .. } | E::WindowWithoutUnit { .. } => true,
        E::NotChief { unit_id, .. } | E::NoChief { unit_id } => unit_id != own,
        _ => false,
    }
}

/// Maps a rejected request to its HTTP status and error code.
fn check_error(failure: CorrectionCheckError) -> ApiError {
    use CorrectionCheckError as E;
    let message = failure.to_string();
    let (status, code) = match &failure {
        E::InvalidField { field, .. } => (StatusCode::BAD_REQUEST, invalid_field_code(field)),
        E::RatingNotFound { .. } => (StatusCode::NOT_FOUND, "rating_not_found"),
        E::RequestNotFound { .. } => (StatusCode::NOT_FOUND, "correction_not_found"),
        E::WindowWithoutUnit { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "window_without_unit"),
        E::NoChief { .. } => (StatusCode::FORBIDDEN, "no_chief"),
        E::NotChief { .. } => (StatusCode::FORBIDDEN, "not_chief"),
        E::OwnRequest { .. } => (StatusCode::FORBIDDEN, "own_request"),
        E::SameUnit { .. } => (StatusCode::FORBIDDEN, "same_unit"),
        E::AlreadyApproved { .. } => (StatusCode::CONFLICT, "already_corrected"),
        E::AlreadyPending { .. } => (StatusCode::CONFLICT, "correction_pending"),
        E::AlreadyDecided { .. } | E::StoredMeanwhile { .. } => {
            (StatusCode::CONFLICT, "already_decided")
        }
        E::SameLevel { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "same_level"),
        E::RepeatPress { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "repeat_press"),
        E::RatedStaff { .. } => (StatusCode::FORBIDDEN, "rated_staff"),
        E::Deadline(DeadlineError::Late { .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "deadline_passed")
        }
        E::Deadline(DeadlineError::BeforePress { .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "filed_before_press")
        }
        E::Deadline(DeadlineError::Calendar(_)) => {
            tracing::warn!(error = %message, "correction deadline needs a missing calendar year");
            (StatusCode::SERVICE_UNAVAILABLE, "calendar_not_covered")
        }
        E::Record(_) | E::Journal(_) | E::Store(_) => {
            return ApiError::internal("failed to store the correction", &failure)
        }
    };
    error(status, code, message)
}

fn invalid_field_code(field: &str) -> &'static str {
    match field {
        "level" => "invalid_level",
        "reason" => "invalid_reason",
        "requested_by" => "invalid_requested_by",
        "decided_by" => "invalid_decided_by",
        _ => "invalid_field",
    }
}
