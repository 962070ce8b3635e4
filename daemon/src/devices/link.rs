//! Keeps one serial device connected: open, run its protocol, and on EOF,
//! an I/O error or a vanished device, close and reopen with backoff.
//!
//! Connecting and losing the port are journaled as device-status events,
//! which the outage rules and the device status page read.

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::Utc;
use hallbox_drivers::serial::{self, Backoff, PortSettings};
use tokio_serial::SerialStream;
use tracing::{info, warn, Instrument};

use crate::ingest::IngestHandle;
use crate::journal::{EventKind, NewEvent};
use crate::{logging, metrics, shutdown};

/// A connection that lasted this long counts as good, so the next reopen
/// starts again from the shortest delay.
const STABLE_CONNECTION: Duration = Duration::from_secs(10);

/// Why a protocol session ended.
#[derive(Debug)]
pub enum SessionEnd {
    /// The port returned end of file: the device or adapter went away.
    Eof,
    /// A read or write failed.
    Io(std::io::Error),
    /// The device stopped answering the protocol.
    Unresponsive(String),
    /// The daemon is stopping.
    Shutdown,
}

impl std::fmt::Display for SessionEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionEnd::Eof => write!(f, "end of file on the port"),
            SessionEnd::Io(error) => write!(f, "I/O error: {error}"),
            SessionEnd::Unresponsive(detail) => write!(f, "device unresponsive: {detail}"),
            SessionEnd::Shutdown => write!(f, "shutting down"),
        }
    }
}

/// Runs `session` on the port for as long as the daemon runs, reopening it
/// whenever a session ends, and journals each change of state.
///
/// On a stop request the supervisor stops reopening. A session ends its
/// exchange in hand and returns [`SessionEnd::Shutdown`] once
/// [`shutdown::requested`] resolves; one that does not is aborted by the
/// server after a grace time.
pub async fn supervise<F, Fut>(
    device_id: String,
    port: PortSettings,
    ingest: IngestHandle,
    mut backoff: Backoff,
    mut session: F,
) where
    F: FnMut(SerialStream) -> Fut,
    Fut: Future<Output = SessionEnd>,
{
    let span = tracing::info_span!("device", device = %device_id, port = %port.path.display());
    async move {
        metrics::device_configured(&device_id);
        let mut last_open_error: Option<String> = None;
        loop {
            let stream = match serial::open(&port) {
                Ok(stream) => stream,
                Err(error) => {
                    let message = error.to_string();
                    let delay = backoff.next_delay();
                    // The same failure every few seconds would flood the
                    // log: report it when it changes.
                    if last_open_error.as_deref() != Some(message.as_str()) {
                        warn!(error = %message, retry_in_ms = delay.as_millis() as u64, "failed to open device port; retrying");
                        last_open_error = Some(message);
                    }
                    if sleep_unless_stopping(delay).await {
                        return;
                    }
                    continue;
                }
            };
            last_open_error = None;

            info!("device connected");
            metrics::device_connected(&device_id, true);
            journal_status(&ingest, &device_id, &port, "connected", None).await;
            let started = Instant::now();
            let end = session(stream).await;
            if matches!(end, SessionEnd::Shutdown) {
                info!("device session stopped");
                return;
            }
            metrics::device_connected(&device_id, false);
            // A flapping device would log this every few seconds.
            if let Some(suppressed) = logging::admit(&format!("device lost:{device_id}")) {
                warn!(reason = %end, suppressed, "device lost");
            }
            journal_status(&ingest, &device_id, &port, "lost", Some(end.to_string())).await;

            if started.elapsed() >= STABLE_CONNECTION {
                backoff.reset();
            }
            if sleep_unless_stopping(backoff.next_delay()).await {
                return;
            }
        }
    }
    .instrument(span)
    .await
}

/// Sleeps for `delay`, and returns true at once if the daemon is asked to
/// stop meanwhile, so that no port is reopened during shutdown.
async fn sleep_unless_stopping(delay: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => shutdown::is_requested(),
        () = shutdown::requested() => true,
    }
}

async fn journal_status(
    ingest: &IngestHandle,
    device_id: &str,
    port: &PortSettings,
    state: &str,
    reason: Option<String>,
) {
    let now = Utc::now();
    let payload = serde_json::json!({
        "state": state,
        "port": port.path.display().to_string(),
        "reason": reason,
    });
    let event = NewEvent {
        kind: EventKind::DeviceStatus,
        device_id: device_id.to_string(),
        idempotency_key: format!(
            "status:{device_id}:{state}:{}",
            now.timestamp_nanos_opt().unwrap_or_default()
        ),
        // The box's clock dates the change, so queries by time find it.
        device_time: Some(now),
        received_at: now,
        subject: None,
        raw: Vec::new(),
        payload,
    };
    if let Err(error) = ingest.submit(event).await {
        warn!(error = %error, state, "failed to journal device status");
    }
}
