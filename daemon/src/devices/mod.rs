//! Device drivers of the daemon: serial links and the protocols on them.
//!
//! Each configured `[[device]]` gets one task. [`link::supervise`] keeps its
//! port open and journals connected and lost. The kind's session runs the
//! protocol on the open port and hands every event to the ingest writer. A
//! session acknowledges a device only after [`IngestHandle::submit`] has
//! returned, that is after the event is committed.

pub mod clock;
pub mod clock_line;
pub mod fingerprint;
pub mod gpio;
pub mod keypad;
pub mod link;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use hallbox_drivers::serial::Backoff;
use tokio::task::JoinSet;

use crate::config::{Config, DeviceKind, ImportSettings};
use crate::ingest::IngestHandle;

pub use clock::BoxClock;

/// Handles and settings that every session shares, besides its own.
#[derive(Clone)]
pub struct DeviceContext {
    /// Id of the device, stored as the events' `device_id`.
    pub device_id: String,
    /// The journal writer.
    pub ingest: IngestHandle,
    /// The box's time.
    pub clock: BoxClock,
    /// Time zone of the site: local times in payloads are in this zone.
    pub zone: Tz,
    /// Bounds of possible punch times, shared with imports.
    pub import: ImportSettings,
    /// The journal file, read to restore a keypad's last press on restart.
    pub journal_path: PathBuf,
}

impl DeviceContext {
    /// Returns the box's time now, in UTC and in the site's local time.
    pub fn now(&self) -> (DateTime<Utc>, NaiveDateTime) {
        let now = self.clock.now();
        (now, crate::time::utc_to_local(self.zone, now))
    }

    /// Returns whether the box's clock reads a time before
    /// `import.earliest`, as a board without a battery-backed clock does
    /// before it has synchronised. Events stamped with such a time would
    /// land on the wrong day.
    pub fn clock_unset(&self, local: NaiveDateTime) -> bool {
        local.date() < self.import.earliest
    }
}

/// Starts one task per configured device, reading the system clock; each
/// hands its events to `ingest`. Aborting the set stops them.
pub fn spawn_all(config: &Config, ingest: &IngestHandle) -> JoinSet<()> {
    spawn_all_with_clock(config, ingest, BoxClock::system())
}

/// Starts one task per configured device, as [`spawn_all`], with the box's
/// time read from `clock`.
pub fn spawn_all_with_clock(
    config: &Config,
    ingest: &IngestHandle,
    clock: BoxClock,
) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    for device in &config.devices {
        let context = DeviceContext {
            device_id: device.id.clone(),
            ingest: ingest.clone(),
            clock: clock.clone(),
            zone: config.site.time_zone,
            import: config.import.clone(),
            journal_path: config.journal.path.clone(),
        };
        match &device.kind {
            DeviceKind::Fingerprint(settings) => {
                let session = Arc::new(fingerprint::Session::new(context, settings, &config.staff));
                tasks.spawn(link::supervise(
                    device.id.clone(),
                    settings.port.clone(),
                    ingest.clone(),
                    Backoff::default(),
                    move |stream| Arc::clone(&session).run(stream),
                ));
            }
            DeviceKind::Keypad(settings) => {
                let session = Arc::new(keypad::Session::new(
                    context,
                    settings.clone(),
                    config.ratings.repeat_window_secs,
                ));
                tasks.spawn(link::supervise(
                    device.id.clone(),
                    settings.port.clone(),
                    ingest.clone(),
                    Backoff::default(),
                    move |stream| Arc::clone(&session).run(stream),
                ));
            }
            DeviceKind::ClockLine(settings) => {
                let session = Arc::new(clock_line::Session::new(context));
                tasks.spawn(link::supervise(
                    device.id.clone(),
                    settings.port.clone(),
                    ingest.clone(),
                    Backoff::default(),
                    move |stream| Arc::clone(&session).run(stream),
                ));
            }
        }
    }
    if !config.devices.is_empty() {
        tracing::info!(devices = config.devices.len(), "started device sessions");
    }
    // GPIO devices of a Raspberry Pi; one that cannot open its pins is
    // journaled as lost and the rest keep running.
    gpio::spawn_all(config, ingest, Arc::new(gpio::RppalBackend), &mut tasks);
    tasks
}
