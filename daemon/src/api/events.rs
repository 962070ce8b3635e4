//! `GET /api/v1/events?after=SEQ&limit=N`: the event feed for the central
//! system, and raw events for the bureau.
//!
//! Events come in sequence order, with `next`, the cursor to send as
//! `after` for the following page. A consumer that stores `next` after
//! processing a page and resumes from it receives every event exactly once.
//! This holds while events are being written: every writer appends inside
//! an immediate SQLite transaction that numbers its events after the row
//! that is last at that moment, so transactions commit in sequence order,
//! and a reader's snapshot always holds every event up to some sequence
//! and none after it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::request::{check_parameters, number_parameter};
use super::{blocking, ApiError, AppState};
use crate::auth::{Actor, Role};
use crate::journal::StoredEvent;

/// Events per page when `limit` is left out.
pub const DEFAULT_LIMIT: i64 = 100;
/// Maximum `limit`. A punch in the feed is a few hundred bytes of JSON (an
/// estimate), so a full page of punches stays under a megabyte.
pub const MAX_LIMIT: i64 = 1000;

/// One journaled event as the feed shows it.
#[derive(Debug, Serialize)]
pub struct FeedEvent {
    pub seq: i64,
    /// [`crate::journal::EventKind::as_str`]: punch, device_status, rating, write_off,
    /// correction, audit or patrol.
    pub kind: &'static str,
    pub device_id: String,
    pub idempotency_key: String,
    pub device_time: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub subject: Option<String>,
    /// The record bytes exactly as received, in lowercase hex.
    pub raw_hex: String,
    pub payload: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

impl From<StoredEvent> for FeedEvent {
    fn from(event: StoredEvent) -> FeedEvent {
        FeedEvent {
            seq: event.seq,
            kind: event.kind.as_str(),
            device_id: event.device_id,
            idempotency_key: event.idempotency_key,
            device_time: event.device_time,
            received_at: event.received_at,
            subject: event.subject,
            raw_hex: hex::encode(event.raw),
            payload: event.payload,
            prev_hash: event.prev_hash,
            hash: event.hash,
        }
    }
}

/// A page of the feed.
#[derive(Debug, Serialize)]
pub struct FeedPage {
    pub events: Vec<FeedEvent>,
    /// The `after` of the next page: the last event's sequence, or the
    /// request's `after` when the page is empty.
    pub next: i64,
    /// Whether more events were stored after this page when it was read.
    pub has_more: bool,
}

/// Returns events after the sequence `after` (default 0), at most `limit`
/// (default 100, at most 1000).
pub async fn feed(
    State(state): State<Arc<AppState>>,
    actor: Actor,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<FeedPage>, ApiError> {
    actor.require(&[Role::Central, Role::Bureau])?;
    check_parameters(&query, &["after", "limit"])?;
    let after = number_parameter(&query, "after", 0, 0..=i64::MAX)?;
    let limit = number_parameter(&query, "limit", DEFAULT_LIMIT, 1..=MAX_LIMIT)?;
    blocking(move || {
        let reader = state.reader()?;
        // One event more than asked tells whether another page follows.
        // The range check above keeps limit between 1 and MAX_LIMIT.
        let mut events = reader.events_after(after, limit as usize + 1)?;
        let has_more = events.len() > limit as usize;
        events.truncate(limit as usize);
        let next = events.last().map_or(after, |event| event.seq);
        Ok(Json(FeedPage {
            events: events.into_iter().map(FeedEvent::from).collect(),
            next,
            has_more,
        }))
    })
    .await
}
