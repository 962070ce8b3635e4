//! The systemd notify protocol: READY, STATUS, WATCHDOG and STOPPING.
//!
//! Under `Type=notify` systemd passes a datagram socket in `NOTIFY_SOCKET`
//! and, with `WatchdogSec=`, the interval in `WATCHDOG_USEC` for the
//! process in `WATCHDOG_PID`. Without those variables every function here
//! does nothing, so the daemon runs the same from a terminal.

use std::time::Duration;

use sd_notify::NotifyState;

use crate::ingest::IngestHandle;
use crate::{logging, metrics};

/// Sends one notification; a failure is logged, rate-limited, and
/// otherwise ignored, because the daemon keeps serving without systemd.
fn send(states: &[NotifyState<'_>]) {
    if let Err(error) = sd_notify::notify(false, states) {
        if let Some(suppressed) = logging::admit("sd_notify failed") {
            tracing::warn!(error = %error, suppressed, "failed to notify systemd");
        }
    }
}

/// Tells systemd the daemon is ready, with a first STATUS line.
pub fn notify_ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// Sets the STATUS line that `systemctl status hallbox` shows.
pub fn notify_status(status: &str) {
    send(&[NotifyState::Status(status)]);
}

/// Tells systemd the daemon is stopping.
pub fn notify_stopping() {
    send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
}

/// The watchdog interval systemd expects pings within, if it set one for
/// this process.
pub fn watchdog_interval() -> Option<Duration> {
    let mut usec = 0;
    if sd_notify::watchdog_enabled(false, &mut usec) && usec > 0 {
        Some(Duration::from_micros(usec))
    } else {
        None
    }
}

/// The STATUS line for the current device table: "serving on ADDR;
/// devices: 2 of 3 connected; lost: keypad-w03".
pub fn device_status_line(address: &str) -> String {
    let devices = metrics::devices();
    if devices.is_empty() {
        return format!("serving on {address}; no devices configured");
    }
    let connected = devices.iter().filter(|d| d.connected).count();
    let mut line = format!(
        "serving on {address}; devices: {connected} of {} connected",
        devices.len()
    );
    let lost: Vec<&str> = devices
        .iter()
        .filter(|d| !d.connected)
        .map(|d| d.id.as_str())
        .collect();
    if !lost.is_empty() {
        line.push_str("; lost: ");
        line.push_str(&lost.join(", "));
    }
    line
}

/// Runs until the daemon stops: pings the watchdog at half its interval
/// while the journal writer is healthy, and updates STATUS whenever a
/// device connects or is lost. `sent_status` is the STATUS line already
/// sent with READY, so it is not sent twice.
pub async fn supervise(ingest: IngestHandle, address: String, sent_status: String) {
    let watchdog = watchdog_interval();
    // Without a watchdog, wake only for device changes and to refresh the
    // STATUS line once a minute.
    let tick = watchdog.map_or(Duration::from_secs(60), |interval| interval / 2);
    let mut timer = tokio::time::interval(tick);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut changes = metrics::device_changes();
    let mut last_status = sent_status;
    let mut was_healthy = true;

    loop {
        tokio::select! {
            _ = timer.tick() => {}
            // The sender lives in a static, so this never fails.
            _ = changes.changed() => {}
        }

        let status = device_status_line(&address);
        if status != last_status {
            notify_status(&status);
            last_status = status;
        }

        let Some(interval) = watchdog else { continue };
        let healthy = ingest.is_healthy(interval);
        if healthy {
            send(&[NotifyState::Watchdog]);
        } else if was_healthy {
            let stats = ingest.stats();
            let millis = |took: Option<Duration>| took.map(|took| took.as_millis() as u64);
            tracing::error!(
                queued = ingest.queued(),
                commit_running_ms = ?millis(stats.commit_running_for()),
                failing_ms = ?millis(stats.failing_for()),
                "the journal writer has stopped, stalled or fails every commit (is the disk full?); no more watchdog pings, so systemd restarts the service"
            );
        }
        was_healthy = healthy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_lists_lost_devices() {
        // The device table is process-wide, so this test uses its own ids
        // and checks only the part of the line they make.
        metrics::device_configured("systemd-test-keypad");
        metrics::device_connected("systemd-test-clock", true);
        let line = device_status_line("127.0.0.1:8080");
        assert!(
            line.starts_with("serving on 127.0.0.1:8080; devices: "),
            "{line}"
        );
        let lost = line.split("; lost: ").nth(1).unwrap_or_default();
        assert!(
            lost.split(", ").any(|id| id == "systemd-test-keypad"),
            "{line}"
        );
        assert!(
            !lost.split(", ").any(|id| id == "systemd-test-clock"),
            "{line}"
        );
    }
}
