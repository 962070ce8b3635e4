//! Session of a clock that prints each punch as a ZKTeco record line on
//! RS232: PIN and local clock time first, tab-separated, then device id,
//! status, verify mode and work code, as in the USB export.
//!
//! The line has no acknowledgement and the clock never resends it, so a
//! failed commit is retried here, with backoff, until the punch is stored.
//! Meanwhile the port's receive buffer keeps the lines that follow. A punch
//! lost anyway (the buffer overflowed, or the daemon was killed between
//! reading and committing) is still in the clock's memory: a USB export of
//! the clock stores it later under the same idempotency key, so no punch is
//! stored twice.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use hallbox_drivers::attlog::{self, AttlogRecord, Layout, LineError, LineSplitter};
use hallbox_drivers::serial::Backoff;
use tokio::io::AsyncReadExt;
use tokio_serial::SerialStream;
use tracing::{debug, error, info, warn};

use super::link::SessionEnd;
use super::DeviceContext;
use crate::import::{punch_key, time_limits};
use crate::journal::{EventKind, NewEvent};
use crate::shutdown;
use crate::time::local_to_utc;

/// A clock time further than this from the box's time, either way, flags
/// the punch with `clock_skew_flag`: 2 minutes, in seconds.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 120;

/// Rejected lines logged one by one; after these, every 100th is logged,
/// so a clock sending noise does not flood the log.
const LOGGED_REJECTIONS: u64 = 20;

/// Session of one clock line device.
pub struct Session {
    context: DeviceContext,
}

impl Session {
    /// Creates a session for the device of `context`.
    pub fn new(context: DeviceContext) -> Session {
        Session { context }
    }

    /// Reads lines until the port fails or ends, or the daemon stops.
    pub async fn run(self: Arc<Self>, mut stream: SerialStream) -> SessionEnd {
        let mut splitter = LineSplitter::new();
        let mut buffer = [0u8; 1024];
        let mut rejected = 0u64;
        let mut skewed = false;
        loop {
            let read = tokio::select! {
                read = stream.read(&mut buffer) => read,
                () = shutdown::requested() => return SessionEnd::Shutdown,
            };
            let read = match read {
                Ok(0) => return SessionEnd::Eof,
                Ok(read) => read,
                Err(error) => return SessionEnd::Io(error),
            };
            let lines: Vec<_> = splitter.feed(&buffer[..read]).collect();
            for (number, line) in lines {
                let result = line.and_then(|raw| {
                    let now = self.context.clock.now();
                    let limits = time_limits(&self.context.import, self.context.zone, now);
                    let record = attlog::parse_line(&raw, Layout::UsbExport, &limits)?;
                    punch_event(&self.context, &record, raw, now)
                });
                match result {
                    Ok(event) => {
                        let skew = event.payload.get("clock_skew_seconds").cloned();
                        // Warn when the clock drifts off and when it is set
                        // right again, not on every punch.
                        if skew.is_some() != skewed {
                            skewed = skew.is_some();
                            match skew {
                                Some(seconds) => {
                                    warn!(%seconds, "clock time differs from box time by more than 2 minutes; punches are flagged (set the clock's time)")
                                }
                                None => info!("clock time agrees with box time again"),
                            }
                        }
                        self.store(event).await
                    }
                    Err(reason) => {
                        rejected += 1;
                        crate::metrics::event_rejected(&self.context.device_id, "punch", "line");
                        if rejected <= LOGGED_REJECTIONS || rejected.is_multiple_of(100) {
                            warn!(line = number, %reason, rejected, "rejected clock line");
                        }
                    }
                }
            }
        }
    }

    /// Commits one punch, retrying with backoff until it is stored or the
    /// daemon stops.
    async fn store(&self, event: NewEvent) {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        loop {
            match self.context.ingest.submit(event.clone()).await {
                Ok(appended) => {
                    debug!(key = %event.idempotency_key, duplicate = appended.is_duplicate(), "stored clock punch");
                    return;
                }
                Err(failure) => {
                    let delay = backoff.next_delay();
                    error!(
                        device = %self.context.device_id,
                        key = %event.idempotency_key,
                        error = %failure,
                        retry_in_ms = delay.as_millis() as u64,
                        "failed to store clock punch; retrying"
                    );
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown::requested() => {
                            warn!(key = %event.idempotency_key, "stopping: clock punch not stored (a USB export of the clock still has it)");
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// Builds the punch event of a clock line received at box time `now`.
pub fn punch_event(
    context: &DeviceContext,
    record: &AttlogRecord,
    raw: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<NewEvent, LineError> {
    let Some(instant) = local_to_utc(context.zone, record.time) else {
        return Err(LineError::InvalidCalendarTime {
            text: record.time.to_string(),
        });
    };
    // The box's time minus the clock's, positive when the clock is behind,
    // as for network clocks. The clock prints whole seconds, so the box's
    // time is cut to its second first.
    let skew_seconds = (now.trunc_subsecs(0) - instant).num_seconds();
    let mut payload = serde_json::json!({
        "pin": record.pin,
        "local_time": record.time.format("%Y-%m-%d %H:%M:%S").to_string(),
        "status": record.status.map(|s| s.code()),
        "verify": record.verify,
        "source": "clock_line",
    });
    if skew_seconds.abs() > MAX_CLOCK_SKEW_SECONDS {
        payload["clock_skew_flag"] = true.into();
        payload["clock_skew_seconds"] = skew_seconds.into();
    }
    Ok(NewEvent {
        kind: EventKind::Punch,
        device_id: context.device_id.clone(),
        idempotency_key: punch_key(&context.device_id, &record.pin, record.time),
        device_time: Some(instant),
        received_at: now,
        subject: Some(record.pin.clone()),
        raw,
        payload,
    })
}
