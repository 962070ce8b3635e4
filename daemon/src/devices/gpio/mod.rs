//! GPIO devices of a Raspberry Pi box: Wiegand card readers that punch, and
//! keypads with one input per button that rate a window.
//!
//! Each device runs as one task. It opens its pins through a
//! [`GpioBackend`], journals a `device_status` event `connected`, and then
//! turns edges into journal events. An event counts only once
//! [`IngestHandle::submit`] returns after the commit. Only then does a
//! reader's confirmation line pulse.
//!
//! A device whose pins cannot be opened (not a Raspberry Pi, no permission
//! for the GPIO device files, a pin held elsewhere) logs the error with the
//! pin and the fix and journals a `device_status` event `lost` with the
//! reason. Its task then ends, and the rest of the daemon keeps running.
//! Such a device is not retried, because none of these causes goes away
//! without a change on the box and a restart.
//!
//! On a stop request a device finishes the frame or press in hand (commit,
//! then confirm) and returns.
//!
//! [`RppalBackend`] opens real pins. Tests pass a backend that replays
//! recorded edges and records the output pulses, through the same code.

mod buttons;
mod output;
mod wiegand;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hallbox_drivers::edge::{EdgeError, EdgeSource, Level};
use hallbox_drivers::gpio::{
    GpioEdgeSource, GpioError, GpioOutput, InputInfo, InputRequest, OutputLine,
    DEFAULT_EDGE_CAPACITY,
};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{info, warn};

use crate::config::Config;
use crate::ingest::IngestHandle;
use crate::journal::{EventKind, NewEvent};
use crate::metrics;

pub use buttons::{press_event, ButtonPress};
pub use output::{spawn_confirmation, Confirmation, PULSE_SPACING};
pub use wiegand::{punch_event, StaffIndex};

/// Opens GPIO input groups and output lines: real pins, or stand-ins in
/// tests.
pub trait GpioBackend: Send + Sync + 'static {
    /// Edge source of an input group.
    type Inputs: EdgeSource + 'static;
    /// An output line.
    type Output: OutputLine;

    /// Opens and watches the inputs of `device`, and returns their edges
    /// with each pin's state after opening.
    ///
    /// # Errors
    ///
    /// The first pin that failed, with the reason.
    fn open_inputs(
        &self,
        device: &str,
        requests: &[InputRequest],
    ) -> Result<(Self::Inputs, Vec<InputInfo>), GpioError>;

    /// Opens `pin` of `device` as an output at level `idle`.
    ///
    /// # Errors
    ///
    /// The reason the pin could not be opened.
    fn open_output(&self, device: &str, pin: u8, idle: Level) -> Result<Self::Output, GpioError>;
}

/// The Raspberry Pi's pins through rppal.
#[derive(Debug, Clone, Copy, Default)]
pub struct RppalBackend;

impl GpioBackend for RppalBackend {
    type Inputs = GpioEdgeSource;
    type Output = GpioOutput;

    fn open_inputs(
        &self,
        _device: &str,
        requests: &[InputRequest],
    ) -> Result<(GpioEdgeSource, Vec<InputInfo>), GpioError> {
        let source = GpioEdgeSource::open(requests, DEFAULT_EDGE_CAPACITY)?;
        let info = source.inputs().to_vec();
        Ok((source, info))
    }

    fn open_output(&self, _device: &str, pin: u8, idle: Level) -> Result<GpioOutput, GpioError> {
        GpioOutput::open(pin, idle)
    }
}

/// Error that keeps a GPIO device from starting.
#[derive(Debug, thiserror::Error)]
#[error("failed to start GPIO device '{device}', line {role}: {source}")]
pub struct StartError {
    /// Device id.
    pub device: String,
    /// The line's role: `d0`, `d1`, `confirm` or `button N`.
    pub role: String,
    /// The pin's error, which names the pin and the fix.
    #[source]
    pub source: GpioError,
}

/// Starts one task per configured GPIO device in `tasks`, with pins opened
/// through `backend`. Must run inside a tokio runtime.
pub fn spawn_all<B: GpioBackend>(
    config: &Config,
    ingest: &IngestHandle,
    backend: Arc<B>,
    tasks: &mut JoinSet<()>,
) {
    let site = Arc::new(Site {
        zone: config.site.time_zone,
        staff: StaffIndex::new(&config.staff),
        repeat_window_secs: config.ratings.repeat_window_secs,
    });
    for reader in &config.gpio.wiegand {
        tasks.spawn(wiegand::run(
            reader.clone(),
            Arc::clone(&site),
            ingest.clone(),
            Arc::clone(&backend),
        ));
    }
    for keypad in &config.gpio.button_keypads {
        tasks.spawn(buttons::run(
            keypad.clone(),
            Arc::clone(&site),
            ingest.clone(),
            Arc::clone(&backend),
        ));
    }
}

/// Site settings that every GPIO device task reads.
#[derive(Debug)]
struct Site {
    zone: chrono_tz::Tz,
    staff: StaffIndex,
    /// `[ratings] repeat_window_seconds`: a press less than this after the
    /// previous one on the same keypad is a repeat.
    repeat_window_secs: u32,
}

/// Finds the role of `pin` among `(pin, role)` pairs, for error messages.
fn role_of(pin: u8, roles: &[(u8, String)]) -> String {
    roles
        .iter()
        .find(|(candidate, _)| *candidate == pin)
        .map_or_else(|| format!("on pin {pin}"), |(_, role)| role.clone())
}

/// Reason a device task's loop ended.
#[derive(Debug)]
enum TaskEnd {
    /// The daemon is stopping and the device finished what it had in hand.
    Stopped,
    /// The edge source ended with this error.
    Source(EdgeError),
}

/// Logs how a started device ended and journals it as lost unless the
/// daemon is stopping or a replay simply ran out.
async fn report_end(ingest: &IngestHandle, device: &str, pins: serde_json::Value, end: TaskEnd) {
    match end {
        TaskEnd::Stopped => info!("GPIO device stopped"),
        TaskEnd::Source(EdgeError::ReplayFinished) => info!("edge replay finished; device stopped"),
        TaskEnd::Source(error) => {
            let reason = error.to_string();
            metrics::device_connected(device, false);
            warn!(error = %reason, "GPIO device lost");
            journal_status(ingest, device, pins, "lost", Some(reason)).await;
        }
    }
}

/// Logs a device that failed to start and journals it as lost.
async fn report_start_failure(ingest: &IngestHandle, error: StartError, pins: serde_json::Value) {
    metrics::device_connected(&error.device, false);
    let reason = error.to_string();
    tracing::error!(
        device = %error.device,
        pin = error.source.pin(),
        error = %reason,
        "GPIO device not started; the other devices keep running"
    );
    journal_status(ingest, &error.device, pins, "lost", Some(reason)).await;
}

/// Journals a `device_status` event of a GPIO device.
async fn journal_status(
    ingest: &IngestHandle,
    device: &str,
    pins: serde_json::Value,
    state: &str,
    reason: Option<String>,
) {
    let now = Utc::now();
    let event = NewEvent {
        kind: EventKind::DeviceStatus,
        device_id: device.to_string(),
        idempotency_key: format!(
            "status:{device}:{state}:{}",
            now.timestamp_nanos_opt().unwrap_or_default()
        ),
        // Outages are read by device time, as for the serial devices.
        device_time: Some(now),
        received_at: now,
        subject: None,
        raw: Vec::new(),
        payload: serde_json::json!({
            "state": state,
            "pins": pins,
            "reason": reason,
        }),
    };
    if let Err(error) = ingest.submit(event).await {
        warn!(device, error = %error, state, "failed to journal device status");
    }
}

/// Estimates the kernel clock of the edge timestamps on the tokio clock.
///
/// The daemon cannot read the clock of replayed edges, so it keeps the
/// latest edge as an anchor. The edge clock reads the anchor's timestamp
/// when that edge arrived, and runs with the tokio clock from there. An edge arrives after it happened, so the
/// estimate lags the true time by the delivery delay. Deadlines therefore
/// fire late, never early, and a frame is never closed while its edges are
/// still on the way.
#[derive(Debug, Default)]
struct EdgeClock {
    anchor: Option<(Duration, Instant)>,
}

impl EdgeClock {
    /// Records that an edge stamped `timestamp` arrived now.
    fn observe(&mut self, timestamp: Duration) {
        let arrived = Instant::now();
        let estimate = self.estimate_at(arrived);
        // Keep whichever anchor puts the clock later: both lag the truth.
        if estimate.is_none_or(|estimate| timestamp > estimate) {
            self.anchor = Some((timestamp, arrived));
        }
    }

    fn estimate_at(&self, instant: Instant) -> Option<Duration> {
        self.anchor
            .map(|(timestamp, at)| timestamp.saturating_add(instant.saturating_duration_since(at)))
    }

    /// Returns the estimated edge-clock time now, or `None` before the
    /// first edge.
    fn now(&self) -> Option<Duration> {
        self.estimate_at(Instant::now())
    }

    /// Returns the tokio instant at which the edge clock reaches
    /// `timestamp`; a time already passed is now or earlier.
    fn instant_of(&self, timestamp: Duration) -> Instant {
        match self.anchor {
            Some((anchor, at)) => at + timestamp.saturating_sub(anchor),
            None => Instant::now(),
        }
    }
}

/// Returns the wall-clock time at which the edge clock read `at`: now, less
/// how long ago that was on the edge clock. Events stay dated when they
/// happened even if they wait behind a slow journal commit.
fn wall_time(clock: &EdgeClock, at: Duration) -> DateTime<Utc> {
    let now = Utc::now();
    let age = clock
        .now()
        .map_or(Duration::ZERO, |edge_now| edge_now.saturating_sub(at));
    now - chrono::TimeDelta::from_std(age).unwrap_or(chrono::TimeDelta::zero())
}

/// Sleeps until `at`, or forever when there is nothing to wait for.
async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn edge_clock_runs_from_anchor() {
        let mut clock = EdgeClock::default();
        assert_eq!(clock.now(), None);

        clock.observe(Duration::from_millis(500));
        let anchored = Instant::now();
        tokio::time::advance(Duration::from_millis(30)).await;
        assert_eq!(clock.now(), Some(Duration::from_millis(530)));
        assert_eq!(
            clock.instant_of(Duration::from_millis(525)),
            anchored + Duration::from_millis(25)
        );

        // An edge older than the estimate, delivered late, keeps the anchor.
        clock.observe(Duration::from_millis(510));
        assert_eq!(clock.now(), Some(Duration::from_millis(530)));

        // A newer one moves it.
        clock.observe(Duration::from_millis(600));
        assert_eq!(clock.now(), Some(Duration::from_millis(600)));
        assert_eq!(clock.instant_of(Duration::from_millis(100)), Instant::now());
    }

    #[test]
    fn role_of_names_line() {
        let roles = vec![(17, "d0".to_string()), (27, "d1".to_string())];
        assert_eq!(role_of(27, &roles), "d1");
        assert_eq!(role_of(5, &roles), "on pin 5");
    }
}
