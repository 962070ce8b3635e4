//! Patrol punch routes (巡查考勤登记), for the bureau:
//!
//! - `POST /api/v1/patrols` records a person seen at the post (201);
//! - `GET /api/v1/patrols?month=YYYY-MM` lists the month's patrol punches.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::Request;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde_json::json;

use super::attendance::parse_month;
use super::request::{check_parameters, record_key, store_change, JsonBody};
use super::writeoffs::lock_writer;
use super::{blocking, ApiError, AppState};
use crate::auth::{Actor, Role};
use crate::journal::EventKind;
use crate::records::patrol::{self, PatrolRequest};
use crate::records::{Patrol, RecordSource};
use crate::time::utc_to_local;

/// Records a patrol punch and returns it with 201, or the stored one with
/// 200 when the `Idempotency-Key` was used before.
pub async fn register(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    request: Request,
) -> Result<(StatusCode, Json<Patrol>), ApiError> {
    actor.require(&[Role::Bureau])?;
    let key = record_key("patrol", &actor, request.headers())?;
    let body: JsonBody<PatrolRequest> = JsonBody::read(request, &state).await?;
    blocking(move || {
        let zone = state.config.site.time_zone;
        let now = Utc::now();
        let record = body
            .value
            .validate(&state.config, utc_to_local(zone, now), &actor)?;
        let summary = format!(
            "patrol saw {} at {} ({})",
            record.person,
            record.at.format("%Y-%m-%dT%H:%M:%S"),
            record.patrolled_by
        );
        let event = record.to_event(zone, key, &body.bytes, now)?;
        let mut journal = lock_writer(&state);
        let (status, seq) = store_change(&mut journal, &actor, "patrol.register", event, summary)?;
        let stored = patrol::assemble(&journal.all_of_kind(EventKind::Patrol)?)?
            .into_iter()
            .find(|patrol| patrol.id == seq)
            .ok_or_else(|| ApiError::not_found(format!("no patrol punch has the id {seq}")))?;
        Ok((status, Json(stored)))
    })
    .await
}

/// Lists the patrol punches of `month`.
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
        let last_day = month
            .next_first_day()
            .pred_opt()
            .unwrap_or(month.first_day());
        let patrols: Vec<Patrol> = patrol::assemble(&reader.all_of_kind(EventKind::Patrol)?)?
            .into_iter()
            .filter(|patrol| patrol.within(month.first_day(), last_day))
            .collect();
        Ok(Json(
            json!({ "month": month.to_string(), "patrols": patrols }),
        ))
    })
    .await
}
