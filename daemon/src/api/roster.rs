//! The duty roster over HTTP.
//!
//! - `POST /api/v1/roster/duty` with `{"window_id", "staff_id", "from",
//!   "to", "changed_by", "reason"}` stores an assignment (201); `to` and
//!   `reason` are optional.
//! - `GET /api/v1/roster/duty?date=YYYY-MM-DD` lists the merged roster and,
//!   with `date`, who is on duty at each window that day.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{NaiveDate, Utc};
use serde::Serialize;

use super::ratings::{error, json_body};
use super::request::read_json_bytes;
use super::{blocking, ApiError, AppState};
use crate::auth::{Actor, Role};
use crate::ratings::records::Unreadable;
use crate::ratings::roster::{
    self, on_duty, DutyCheckError, DutyEntry, DutyInput, Roster, WindowDuty,
};
use crate::records::audit::AuditBy;

/// Stores a duty assignment.
pub async fn assign(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    request: Request,
) -> Result<(StatusCode, Json<DutyEntry>), ApiError> {
    actor.require(&[Role::Bureau])?;
    let body = read_json_bytes(request, &state).await?;
    let input: DutyInput = json_body(&body)?;
    blocking(move || {
        let mut journal = state
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let audit = AuditBy {
            actor: &actor,
            action: "roster.assign",
        };
        let entry = roster::assign(
            &mut journal,
            &state.config,
            &input,
            &body,
            Some(audit),
            Utc::now(),
        )
        .map_err(check_error)?;
        Ok((StatusCode::CREATED, Json(entry)))
    })
    .await
}

/// The response of the roster list.
#[derive(Debug, Serialize)]
pub struct RosterList {
    pub entries: Vec<DutyEntry>,
    /// The day of `on_duty`, when asked for.
    pub date: Option<NaiveDate>,
    /// Each configured window with the staff member on duty on `date`.
    pub on_duty: Option<Vec<WindowDuty>>,
    /// Assignment records that could not be read.
    pub unreadable_events: Vec<Unreadable>,
}

/// Lists the merged roster.
pub async fn list(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<RosterList>, ApiError> {
    actor.require(&[Role::Hr, Role::Bureau, Role::Central])?;
    if let Some(unknown) = query.keys().find(|k| k.as_str() != "date") {
        return Err(ApiError::bad_request(
            "unknown_parameter",
            format!("unknown query parameter '{unknown}': expected date"),
        ));
    }
    let date = match query.get("date") {
        None => None,
        Some(text) => Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            ApiError::bad_request(
                "invalid_date",
                format!("invalid date '{text}': expected YYYY-MM-DD such as 2026-11-16"),
            )
        })?),
    };

    blocking(move || {
        let reader = state.reader()?;
        let roster = Roster::read(&state.config, &reader)
            .map_err(|error| ApiError::internal("failed to read the roster", &error))?;
        let on_duty = date.map(|date| on_duty(&state.config, &roster.assignments(), date));
        Ok(Json(RosterList {
            entries: roster.entries,
            date,
            on_duty,
            unreadable_events: roster.unreadable,
        }))
    })
    .await
}

fn check_error(failure: DutyCheckError) -> ApiError {
    let message = failure.to_string();
    let (status, code) = match &failure {
        DutyCheckError::InvalidField { field, .. } => (
            StatusCode::BAD_REQUEST,
            match *field {
                "from" => "invalid_from",
                "to" => "invalid_to",
                "changed_by" => "invalid_changed_by",
                "reason" => "invalid_reason",
                _ => "invalid_field",
            },
        ),
        DutyCheckError::UnknownWindow { .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, "unknown_window")
        }
        DutyCheckError::UnknownStaff { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_staff"),
        DutyCheckError::Serialize(_) | DutyCheckError::Journal(_) | DutyCheckError::Store(_) => {
            return ApiError::internal("failed to store the duty assignment", &failure)
        }
    };
    error(status, code, message)
}
