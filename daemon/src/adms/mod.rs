//! The ADMS listener: network clocks that push punches with ZKTeco's ADMS
//! ("iclock") HTTP protocol.
//!
//! A clock opens every request itself: a handshake (`GET /iclock/cdata`),
//! uploads (`POST /iclock/cdata?table=...`), command polls
//! (`GET /iclock/getrequest`) and command results
//! (`POST /iclock/devicecmd`). The protocol itself (query parsing, body
//! parsers, reply texts) is `hallbox_drivers::adms`. This module runs it on
//! a listener of its own, separate from the API, because clocks cannot send
//! bearer tokens. Only the serial numbers of `[[adms.clock]]` are served.
//!
//! The listener replies `OK` to an upload only after its records are
//! committed to the journal, and the batch's upload stamp with them (with
//! the last part of a large upload). A batch that fails to commit gets an
//! error status and no `OK`, so the clock sends it again. A resent punch
//! has the same idempotency key as before and is stored once. The stamps go
//! back to the clock in every handshake, so a restarted clock or box
//! resumes after the last stored batch.
//!
//! A task watches every clock's last contact: a clock silent for longer
//! than `lost_after_delays` × `Delay` is journaled as lost, and as
//! connected again at its next request.

/// Per-clock state: link, stamps, skew, counters and the command queue.
mod clock;
/// The command queue and setting a clock's time.
mod commands;
/// HTTP: request routing, serial number check, bodies and replies.
mod handlers;
/// Last contact, lost clocks and device-status events.
mod health;
/// The accept loop: connection cap and header time limit.
/// Upload bodies turned into journal events.
pub mod records;
/// Committing upload batches before replying `OK`.
mod uploads;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::DefaultBodyLimit;
use axum::Router;
use chrono::{Offset, TimeZone, Utc};
use chrono_tz::Tz;
use hallbox_drivers::adms::{Options, Stamps};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{AdmsSettings, Config, ImportSettings};
use crate::ingest::IngestHandle;
use crate::journal::{EventKind, JournalError, JournalReader};

pub use clock::{ClockCounters, ClockStatus, Link, QueuedAction, SkewReading};

use crate::listener::{self, ConnectionLimits};
use clock::Clock;

/// Time given to requests in flight to finish when the daemon stops.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Errors of the ADMS listener.
#[derive(Debug, thiserror::Error)]
pub enum AdmsError {
    /// The listen address could not be bound.
    #[error("failed to listen for ADMS clocks on {address} (is another program using the port, or is the address not one of this box's?)")]
    Bind {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },

    /// The clocks' stamps and states could not be read from the journal.
    #[error("failed to read the ADMS clocks' stamps and states from the journal '{}'", .path.display())]
    Restore {
        path: PathBuf,
        #[source]
        source: Box<JournalError>,
    },

    /// The blocking task that reads the journal panicked.
    #[error("the task reading the ADMS clocks' state from the journal failed: {0}")]
    RestoreTask(String),

    /// No `[[adms.clock]]` has this id.
    #[error("unknown clock id '{0}': expected the id of an [[adms.clock]] entry")]
    UnknownClock(String),

    /// The clock's command queue is full because it has not polled.
    #[error("clock '{id}' already has {max} commands waiting; wait until it polls again")]
    QueueFull { id: String, max: usize },
}

/// State shared by the handlers and the health task.
pub struct AdmsState {
    settings: AdmsSettings,
    zone: Tz,
    import: ImportSettings,
    ingest: IngestHandle,
    /// Configured clocks by serial number.
    clocks: BTreeMap<String, Arc<Clock>>,
    next_command_id: AtomicU32,
}

impl AdmsState {
    /// Builds the state from the configuration and what the journal held
    /// for each clock (in `settings.clocks` order).
    fn new(config: &Config, ingest: IngestHandle, restored: Vec<(Stamps, Link)>) -> AdmsState {
        let started = Instant::now();
        let clocks = config
            .adms
            .clocks
            .iter()
            .zip(restored)
            .map(|(clock, (stamps, link))| {
                let key = clock.serial_number.to_string();
                (
                    key,
                    Arc::new(Clock::new(clock.clone(), stamps, link, started)),
                )
            })
            .collect();
        AdmsState {
            settings: config.adms.clone(),
            zone: config.site.time_zone,
            import: config.import.clone(),
            ingest,
            clocks,
            next_command_id: AtomicU32::new(commands::first_command_id(Utc::now())),
        }
    }

    /// Returns the clock with serial number `serial`.
    fn clock(&self, serial: &str) -> Option<&Arc<Clock>> {
        self.clocks.get(serial)
    }

    /// Returns the clock with device id `id`.
    fn clock_by_id(&self, id: &str) -> Option<&Arc<Clock>> {
        self.clocks.values().find(|clock| clock.config.id == id)
    }

    /// Returns a snapshot of every clock, in serial number order.
    pub fn clock_statuses(&self) -> Vec<ClockStatus> {
        let now = Instant::now();
        self.clocks
            .values()
            .map(|clock| clock.status(now))
            .collect()
    }

    /// Returns the handshake options for a clock with `stamps`.
    fn options(&self, stamps: Stamps) -> Options {
        Options {
            stamps,
            error_delay_secs: self.settings.error_delay_secs,
            delay_secs: self.settings.delay_secs,
            trans_times: self.settings.trans_times.clone(),
            trans_interval_mins: self.settings.trans_interval_mins,
            trans_flag: self.settings.trans_flag.clone(),
            time_zone_hours: self.time_zone_hours(),
            realtime: true,
            encrypt: false,
            server_version: None,
        }
    }

    /// Returns the site's current offset from UTC in whole hours: 8 for
    /// Asia/Shanghai.
    // NOTE: `TimeZone` takes whole hours, so a zone with a half-hour offset
    // is sent truncated towards zero.
    fn time_zone_hours(&self) -> i8 {
        let offset = self
            .zone
            .offset_from_utc_datetime(&Utc::now().naive_utc())
            .fix()
            .local_minus_utc();
        i8::try_from(offset / 3600).unwrap_or(0)
    }

    /// Returns `Some(suppressed)` when a warning under `key` may be logged
    /// now, with the number of repeats left out since the last one. Any
    /// client can trigger these warnings at will, so they go through the
    /// daemon's shared repeat limit.
    fn throttle(&self, key: &str) -> Option<u64> {
        crate::logging::admit(&format!("adms:{key}"))
    }
}

/// The running listener and its health task.
pub struct AdmsServer {
    address: SocketAddr,
    state: Arc<AdmsState>,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    health: JoinHandle<()>,
}

impl AdmsServer {
    /// Returns the address the listener is bound to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Returns the state the handlers share: clock statuses and the command
    /// queues.
    pub fn state(&self) -> &Arc<AdmsState> {
        &self.state
    }

    /// Stops accepting requests, gives requests in flight up to five seconds
    /// to finish, and stops the health task. A request cut off gets no `OK`,
    /// so its clock sends it again.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        self.health.abort();
        let server = &mut self.server;
        if tokio::time::timeout(STOP_GRACE, &mut *server)
            .await
            .is_err()
        {
            tracing::warn!("ADMS requests still running after the grace period; cutting them off");
            server.abort();
        }
        tracing::info!("stopped the ADMS listener");
    }
}

impl Drop for AdmsServer {
    /// Stops the tasks of a listener dropped without [`AdmsServer::stop`].
    fn drop(&mut self) {
        self.health.abort();
        self.server.abort();
    }
}

/// Starts the ADMS listener when at least one `[[adms.clock]]` is
/// configured, and returns `None` otherwise.
///
/// Reads each clock's stamps and last link state from the journal, which
/// the journal writer must already have created, then binds
/// `[adms] listen` and spawns the listener and the health task.
pub async fn start(config: &Config, ingest: IngestHandle) -> Result<Option<AdmsServer>, AdmsError> {
    start_with_limits(config, ingest, ConnectionLimits::default()).await
}

/// [`start`] with connection limits other than the defaults, for tests.
async fn start_with_limits(
    config: &Config,
    ingest: IngestHandle,
    limits: ConnectionLimits,
) -> Result<Option<AdmsServer>, AdmsError> {
    let settings = &config.adms;
    if settings.clocks.is_empty() {
        tracing::debug!("no [[adms.clock]] configured; the ADMS listener stays off");
        return Ok(None);
    }

    // Each clock resumes from what the journal holds.
    let path = config.journal.path.clone();
    let clocks = settings.clocks.clone();
    let restored = tokio::task::spawn_blocking(move || restore(&path, &clocks))
        .await
        .map_err(|error| AdmsError::RestoreTask(error.to_string()))??;

    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|source| AdmsError::Bind {
            address: settings.listen,
            source,
        })?;
    let address = listener.local_addr().map_err(|source| AdmsError::Bind {
        address: settings.listen,
        source,
    })?;

    let state = Arc::new(AdmsState::new(config, ingest, restored));
    // Until a clock's first request, readiness counts it as lost.
    for clock in &settings.clocks {
        crate::metrics::device_configured(&clock.id);
    }
    let router = Router::new()
        .fallback(handlers::handle)
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .with_state(Arc::clone(&state));

    let (stop, stop_signal) = watch::channel(false);
    let server = tokio::spawn(listener::serve(listener, router, limits, stop_signal));
    let health = tokio::spawn(health::watch(Arc::clone(&state)));

    tracing::info!(
        address = %address,
        clocks = settings.clocks.len(),
        lost_after_secs = settings.lost_after().as_secs(),
        "serving ADMS clocks"
    );
    Ok(Some(AdmsServer {
        address,
        state,
        stop,
        server,
        health,
    }))
}

/// Reads each clock's last stamps and link state from the journal.
fn restore(
    path: &Path,
    clocks: &[crate::config::AdmsClock],
) -> Result<Vec<(Stamps, Link)>, AdmsError> {
    let failed = |source| AdmsError::Restore {
        path: path.to_path_buf(),
        source: Box::new(source),
    };
    let reader = JournalReader::open(path).map_err(failed)?;

    let mut restored = Vec::with_capacity(clocks.len());
    for clock in clocks {
        let stamp = |table: &str| -> Result<u64, AdmsError> {
            let subject = records::stamp_subject(table);
            let last = reader
                .last_event(EventKind::DeviceRecord, &clock.id, Some(&subject))
                .map_err(failed)?;
            Ok(last
                .and_then(|event| event.payload["stamp"].as_u64())
                .unwrap_or(0))
        };
        let stamps = Stamps {
            attlog: stamp("ATTLOG")?,
            operlog: stamp("OPERLOG")?,
            attphoto: stamp("ATTPHOTO")?,
        };

        let last_status = reader
            .last_event(EventKind::DeviceStatus, &clock.id, None)
            .map_err(failed)?;
        let link = match last_status
            .as_ref()
            .and_then(|event| event.payload["state"].as_str())
        {
            Some("connected") => Link::Connected,
            Some("lost") => Link::Lost,
            _ => Link::Unknown,
        };

        tracing::debug!(
            clock = %clock.id,
            attlog_stamp = stamps.attlog,
            operlog_stamp = stamps.operlog,
            link = link.as_str(),
            "restored ADMS clock state"
        );
        restored.push((stamps, link));
    }
    Ok(restored)
}
