//! Prometheus metrics of the daemon and the table of device states.
//!
//! Every part of the daemon reports through the free functions here
//! ([`event_ingested`], [`event_rejected`], [`device_connected`], ...), which
//! write to one process-wide registry. `GET /metrics` serves [`render`] in
//! the Prometheus text exposition format 0.0.4. The device table behind
//! [`devices`] also feeds `GET /readyz`, the device status page and the
//! systemd STATUS line.
//!
//! Label values are device ids, event kinds, rejection reasons and route
//! templates. Callers pass short fixed words as reasons ("crc", "length",
//! "unknown_pin"), never free text, so the number of series stays bounded.

use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use tokio::sync::watch;

/// Content type of [`render`]'s output, as Prometheus expects it.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds in seconds of the commit latency buckets: from 0.5 ms (a
/// commit on an SSD) to 5 s (an SD card that stalls on fsync).
const COMMIT_BUCKETS: [f64; 13] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The state of one device as the daemon last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceState {
    /// Device id from the configuration, e.g. "keypad-w01".
    pub id: String,
    /// Whether the link to the device is up.
    pub connected: bool,
    /// Wall-clock time of the last change of `connected`, or of the
    /// registration when it never changed.
    pub since: DateTime<Utc>,
    /// Monotonic time of the same change, for durations.
    pub since_instant: Instant,
    /// Wall-clock time of the device's last committed event.
    pub last_event: Option<DateTime<Utc>>,
    /// Events of the device committed since the daemon started.
    pub events: u64,
    /// Frames or events of the device rejected since the daemon started.
    pub rejected: u64,
    /// The device's time against the box's, for network clocks that upload
    /// punches. `None` for other devices and before the first batch.
    pub clock_skew: Option<ClockSkew>,
}

/// A clock's time against the box's, from its last batch of punches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSkew {
    /// The box's time minus the clock's time of the newest punch, in
    /// seconds: positive when the clock is behind, or when the batch is a
    /// backlog uploaded late; negative when the clock is ahead.
    pub seconds: i64,
    /// The configured limit, in seconds.
    pub limit_seconds: u32,
    /// When the batch arrived.
    pub at: DateTime<Utc>,
}

impl ClockSkew {
    /// Returns whether the difference is larger than the limit.
    pub fn flagged(&self) -> bool {
        self.seconds.unsigned_abs() > u64::from(self.limit_seconds)
    }
}

impl DeviceState {
    /// How long the device has been disconnected at `now`; zero while it
    /// is connected.
    pub fn lost_for(&self, now: Instant) -> Duration {
        if self.connected {
            Duration::ZERO
        } else {
            now.saturating_duration_since(self.since_instant)
        }
    }
}

struct Metrics {
    registry: Registry,
    events_ingested: IntCounterVec,
    events_rejected: IntCounterVec,
    commit_seconds: Histogram,
    commit_failures: IntCounter,
    device_connected: IntGaugeVec,
    device_last_event: IntGaugeVec,
    device_clock_skew: IntGaugeVec,
    http_requests: IntCounterVec,
    devices: Mutex<BTreeMap<String, DeviceState>>,
    /// Incremented on every registration, connection and loss.
    device_version: watch::Sender<u64>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Metrics {
    fn new() -> Metrics {
        let registry = Registry::new();
        let events_ingested = IntCounterVec::new(
            Opts::new(
                "hallbox_events_ingested_total",
                "Device events committed to the journal.",
            ),
            &["device", "kind"],
        )
        .expect("valid metric options");
        let events_rejected = IntCounterVec::new(
            Opts::new(
                "hallbox_events_rejected_total",
                "Device frames or events rejected before the journal, by reason.",
            ),
            &["device", "kind", "reason"],
        )
        .expect("valid metric options");
        let commit_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "hallbox_journal_commit_duration_seconds",
                "Duration of one journal commit of a batch of device events.",
            )
            .buckets(COMMIT_BUCKETS.to_vec()),
        )
        .expect("valid metric options");
        let commit_failures = IntCounter::new(
            "hallbox_journal_commit_failures_total",
            "Journal commits that failed, so their events were not acknowledged.",
        )
        .expect("valid metric options");
        let device_connected = IntGaugeVec::new(
            Opts::new(
                "hallbox_device_connected",
                "1 while the link to the device is up, 0 while it is lost.",
            ),
            &["device"],
        )
        .expect("valid metric options");
        let device_last_event = IntGaugeVec::new(
            Opts::new(
                "hallbox_device_last_event_timestamp_seconds",
                "Unix time of the device's last committed event.",
            ),
            &["device"],
        )
        .expect("valid metric options");
        let device_clock_skew = IntGaugeVec::new(
            Opts::new(
                "hallbox_device_clock_skew_seconds",
                "The box's time minus the clock's time of its newest uploaded punch.",
            ),
            &["device"],
        )
        .expect("valid metric options");
        let http_requests = IntCounterVec::new(
            Opts::new(
                "hallbox_http_requests_total",
                "HTTP requests answered, by route template, method and status.",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric options");
        let build_info = IntGauge::with_opts(
            Opts::new("hallbox_build_info", "Always 1; the version is a label.")
                .const_label("version", env!("CARGO_PKG_VERSION")),
        )
        .expect("valid metric options");
        build_info.set(1);

        let collectors: [Box<dyn prometheus::core::Collector>; 9] = [
            Box::new(events_ingested.clone()),
            Box::new(events_rejected.clone()),
            Box::new(commit_seconds.clone()),
            Box::new(commit_failures.clone()),
            Box::new(device_connected.clone()),
            Box::new(device_last_event.clone()),
            Box::new(device_clock_skew.clone()),
            Box::new(http_requests.clone()),
            Box::new(build_info),
        ];
        for collector in collectors {
            // The names above are distinct, so registration cannot collide.
            registry
                .register(collector)
                .expect("metric names are distinct");
        }

        Metrics {
            registry,
            events_ingested,
            events_rejected,
            commit_seconds,
            commit_failures,
            device_connected,
            device_last_event,
            device_clock_skew,
            http_requests,
            devices: Mutex::new(BTreeMap::new()),
            device_version: watch::channel(0).0,
        }
    }

    fn devices(&self) -> MutexGuard<'_, BTreeMap<String, DeviceState>> {
        // The table stays consistent even if a holder panicked: every
        // update is a single insert or field write.
        self.devices
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn new_device(id: &str, connected: bool) -> DeviceState {
    DeviceState {
        id: id.to_string(),
        connected,
        since: Utc::now(),
        since_instant: Instant::now(),
        last_event: None,
        events: 0,
        rejected: 0,
        clock_skew: None,
    }
}

/// Registers a configured device as not yet connected, so that `/readyz`
/// counts it as lost from now until it connects. Registering a device
/// that is already known does nothing.
pub fn device_configured(device: &str) {
    let metrics = &*METRICS;
    let mut devices = metrics.devices();
    if devices.contains_key(device) {
        return;
    }
    devices.insert(device.to_string(), new_device(device, false));
    metrics.device_connected.with_label_values(&[device]).set(0);
    drop(devices);
    metrics.device_version.send_modify(|version| *version += 1);
}

/// Records that the link to `device` came up (`true`) or was lost
/// (`false`). A device not registered yet is registered.
pub fn device_connected(device: &str, connected: bool) {
    let metrics = &*METRICS;
    let mut devices = metrics.devices();
    let changed = match devices.get_mut(device) {
        Some(state) if state.connected == connected => false,
        Some(state) => {
            state.connected = connected;
            state.since = Utc::now();
            state.since_instant = Instant::now();
            true
        }
        None => {
            devices.insert(device.to_string(), new_device(device, connected));
            true
        }
    };
    metrics
        .device_connected
        .with_label_values(&[device])
        .set(i64::from(connected));
    drop(devices);
    if changed {
        metrics.device_version.send_modify(|version| *version += 1);
    }
}

/// Counts one event of `kind` ("punch", "rating", "device_status", ...)
/// from `device` committed to the journal. A punch or a rating also sets
/// the device's last event time to now and counts on the device page.
pub fn event_ingested(device: &str, kind: &str) {
    let metrics = &*METRICS;
    let now = Utc::now();
    metrics
        .events_ingested
        .with_label_values(&[device, kind])
        .inc();
    // The last event time and the stored count cover punches and presses
    // only, not lost and connected records or a clock's other records.
    if kind != "punch" && kind != "rating" {
        return;
    }
    metrics
        .device_last_event
        .with_label_values(&[device])
        .set(now.timestamp());
    if let Some(state) = metrics.devices().get_mut(device) {
        state.last_event = Some(now);
        state.events += 1;
    }
}

/// Counts one frame or event of `kind` from `device` that was rejected
/// before the journal. `reason` is a short fixed word such as "crc".
pub fn event_rejected(device: &str, kind: &str, reason: &str) {
    events_rejected(device, kind, reason, 1);
}

/// Counts `count` frames or events rejected at once, as
/// [`event_rejected`] counts one.
pub fn events_rejected(device: &str, kind: &str, reason: &str, count: u64) {
    if count == 0 {
        return;
    }
    let metrics = &*METRICS;
    metrics
        .events_rejected
        .with_label_values(&[device, kind, reason])
        .inc_by(count);
    if let Some(state) = metrics.devices().get_mut(device) {
        state.rejected += count;
    }
}

/// Records the time of network clock `device` against the box's, from the
/// batch of punches that arrived at `skew.at`.
pub fn clock_skew(device: &str, skew: ClockSkew) {
    let metrics = &*METRICS;
    metrics
        .device_clock_skew
        .with_label_values(&[device])
        .set(skew.seconds);
    if let Some(state) = metrics.devices().get_mut(device) {
        state.clock_skew = Some(skew);
    }
}

/// Records one journal commit of device events that took `took`.
pub fn commit_finished(took: Duration, ok: bool) {
    let metrics = &*METRICS;
    metrics.commit_seconds.observe(took.as_secs_f64());
    if !ok {
        metrics.commit_failures.inc();
    }
}

/// Counts one answered HTTP request. `route` is the route template such
/// as "/api/v1/attendance/monthly", never the raw path.
pub fn http_request(route: &str, method: &str, status: u16) {
    // Any client may send any method name: only the standard ones get a
    // series of their own, so the set of series stays bounded.
    const METHODS: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ];
    let method = if METHODS.contains(&method) {
        method
    } else {
        "other"
    };
    METRICS
        .http_requests
        .with_label_values(&[route, method, &status.to_string()])
        .inc();
}

/// Every known device in id order.
pub fn devices() -> Vec<DeviceState> {
    METRICS.devices().values().cloned().collect()
}

/// A receiver whose `changed()` resolves after a device registers,
/// connects or is lost, counting from the moment of this call.
pub fn device_changes() -> watch::Receiver<u64> {
    METRICS.device_version.subscribe()
}

/// Encodes every metric in the Prometheus text exposition format.
pub fn render() -> String {
    let families = METRICS.registry.gather();
    let mut out = Vec::new();
    // Encoding to a Vec fails only on a metric with an invalid name, and
    // every name here is a constant.
    if let Err(error) = TextEncoder::new().encode(&families, &mut out) {
        tracing::error!(error = %error, "failed to encode the metrics");
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of `name` with `labels` in the rendered text, e.g.
    /// `hallbox_device_connected{device="x"} 1`.
    fn sample(text: &str, name_and_labels: &str) -> Option<String> {
        text.lines()
            .find(|line| line.starts_with(name_and_labels))
            .map(|line| line[name_and_labels.len()..].trim().to_string())
    }

    #[test]
    fn device_connected_sets_gauge_and_table() {
        device_configured("unit-test-a");
        let before = devices();
        let state = before.iter().find(|d| d.id == "unit-test-a").unwrap();
        assert!(!state.connected);

        device_connected("unit-test-a", true);
        let text = render();
        assert_eq!(
            sample(&text, "hallbox_device_connected{device=\"unit-test-a\"}").as_deref(),
            Some("1")
        );
        let state = devices()
            .into_iter()
            .find(|d| d.id == "unit-test-a")
            .unwrap();
        assert!(state.connected);
        assert_eq!(state.lost_for(Instant::now()), Duration::ZERO);

        device_connected("unit-test-a", false);
        let text = render();
        assert_eq!(
            sample(&text, "hallbox_device_connected{device=\"unit-test-a\"}").as_deref(),
            Some("0")
        );
    }

    #[test]
    fn events_counted_per_device_and_kind() {
        device_configured("unit-test-b");
        event_ingested("unit-test-b", "rating");
        event_ingested("unit-test-b", "rating");
        event_ingested("unit-test-b", "device_status");
        event_ingested("unit-test-b", "device_record");
        event_rejected("unit-test-b", "rating", "crc");

        let text = render();
        assert_eq!(
            sample(
                &text,
                "hallbox_events_ingested_total{device=\"unit-test-b\",kind=\"rating\"}"
            )
            .as_deref(),
            Some("2")
        );
        assert_eq!(
            sample(
                &text,
                "hallbox_events_rejected_total{device=\"unit-test-b\",kind=\"rating\",reason=\"crc\"}"
            )
            .as_deref(),
            Some("1")
        );
        assert_eq!(
            sample(
                &text,
                "hallbox_events_ingested_total{device=\"unit-test-b\",kind=\"device_status\"}"
            )
            .as_deref(),
            Some("1")
        );
        assert_eq!(
            sample(
                &text,
                "hallbox_events_ingested_total{device=\"unit-test-b\",kind=\"device_record\"}"
            )
            .as_deref(),
            Some("1")
        );
        // The status and upload records are counted above, but the page
        // counts only the two ratings.
        let state = devices()
            .into_iter()
            .find(|d| d.id == "unit-test-b")
            .unwrap();
        assert_eq!(state.events, 2);
        assert_eq!(state.rejected, 1);
        assert!(state.last_event.is_some());
    }

    #[test]
    fn lost_for_counts_from_change() {
        let state = DeviceState {
            id: "x".into(),
            connected: false,
            since: Utc::now(),
            since_instant: Instant::now(),
            last_event: None,
            events: 0,
            rejected: 0,
            clock_skew: None,
        };
        let later = state.since_instant + Duration::from_secs(90);
        assert_eq!(state.lost_for(later), Duration::from_secs(90));
    }
}
