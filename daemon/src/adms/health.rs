//! Clock health: every request marks its clock's last contact, and a task
//! marks a clock lost when it has been silent for longer than
//! `lost_after_delays` × `Delay`. Each change between connected and lost is
//! journaled as a device-status event, with the payload
//! `{"state": "connected" | "lost", "address", "reason", "sn"}`, where
//! `address` is the clock's IP address.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::time::MissedTickBehavior;
use tracing::{info, warn, Instrument};

use super::clock::{Clock, ClockState, Link};
use super::AdmsState;
use crate::journal::{EventKind, NewEvent};
use crate::metrics;

/// How often the health task looks at every clock's last contact.
const HEALTH_TICK: Duration = Duration::from_secs(1);

/// Watches every clock's last contact until the task is aborted.
pub(super) async fn watch(state: Arc<AdmsState>) {
    let mut ticker = tokio::time::interval(HEALTH_TICK);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        for clock in state.clocks.values() {
            let span = tracing::info_span!("adms", clock = %clock.config.id);
            check_silence(&state, clock).instrument(span).await;
        }
    }
}

/// Records a request from `clock`, and journals it as connected again when
/// it was not.
pub(super) async fn note_contact(state: &AdmsState, clock: &Clock, address: IpAddr) {
    let (first_contact, changed) = {
        let mut clock_state = clock.state();
        let first_contact = !clock_state.contacted;
        clock_state.last_contact = Instant::now();
        clock_state.contacted = true;
        clock_state.address = Some(address);
        clock_state.counters.requests += 1;
        (first_contact, clock_state.link != Link::Connected)
    };
    // The journal may already hold "connected" from the run before, but the
    // metrics start at "not connected" in every run.
    if first_contact || changed {
        metrics::device_connected(&clock.config.id, true);
    }
    if !changed {
        return;
    }

    // Decide again under the turn, so a lost event being journaled right
    // now is followed by this connected event, never overtaken by it.
    let _turn = clock.link_turn.lock().await;
    let previous = {
        let mut clock_state = clock.state();
        if clock_state.link == Link::Connected {
            return;
        }
        std::mem::replace(&mut clock_state.link, Link::Connected)
    };
    info!(address = %address, previous = previous.as_str(), "clock connected");
    journal_status(state, clock, Link::Connected, Some(address), None).await;
}

/// Journals `clock` as lost when it has been silent for too long.
async fn check_silence(state: &AdmsState, clock: &Clock) {
    let lost_after = state.settings.lost_after();
    let is_silent = |clock_state: &ClockState| {
        clock_state.link != Link::Lost && clock_state.last_contact.elapsed() > lost_after
    };
    if !is_silent(&clock.state()) {
        return;
    }

    let _turn = clock.link_turn.lock().await;
    let (silence, address, contacted) = {
        let mut clock_state = clock.state();
        if !is_silent(&clock_state) {
            return;
        }
        clock_state.link = Link::Lost;
        (
            clock_state.last_contact.elapsed(),
            clock_state.address,
            clock_state.contacted,
        )
    };

    let limit = format!(
        "a clock counts as lost after {} s, {} times its Delay of {} s",
        lost_after.as_secs(),
        state.settings.lost_after_delays,
        state.settings.delay_secs
    );
    let reason = if contacted {
        format!("no request for {} s; {limit}", silence.as_secs())
    } else {
        format!(
            "no request in the {} s since the daemon started; {limit}",
            silence.as_secs()
        )
    };
    metrics::device_connected(&clock.config.id, false);
    warn!(reason = %reason, "clock lost (check its power, network cable and server address)");
    journal_status(state, clock, Link::Lost, address, Some(reason)).await;
}

/// Journals a change of link state as a device-status event.
async fn journal_status(
    state: &AdmsState,
    clock: &Clock,
    link: Link,
    address: Option<IpAddr>,
    reason: Option<String>,
) {
    let now = Utc::now();
    let device_id = &clock.config.id;
    let event = NewEvent {
        kind: EventKind::DeviceStatus,
        device_id: device_id.clone(),
        idempotency_key: format!(
            "status:{device_id}:{}:{}",
            link.as_str(),
            now.timestamp_nanos_opt().unwrap_or_default()
        ),
        // The box's clock dates the change, so queries by time (the
        // outage notes of the ratings report) find it.
        device_time: Some(now),
        received_at: now,
        subject: None,
        raw: Vec::new(),
        payload: serde_json::json!({
            "state": link.as_str(),
            "address": address.map(|address| address.to_string()),
            "reason": reason,
            "sn": clock.config.serial_number.as_str(),
        }),
    };
    if let Err(error) = state.ingest.submit(event).await {
        warn!(error = %error, state = link.as_str(), "failed to journal the clock's status");
    }
}
