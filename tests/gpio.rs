//! End to end for the GPIO devices: recorded edge timings replayed in place
//! of the pins, through the daemon's own device tasks, journal writer and
//! HTTP API, run in this process. Only the pins are replaced: a backend
//! hands out replayed edges and an output line that records each level
//! with the number of punches the journal held at that moment.
//!
//! The last test starts the real binary on this machine, which is not a
//! Raspberry Pi, and checks that a configured reader fails to start with a
//! clear message while the API keeps serving.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hallbox::api::{self, AppState};
use hallbox::config::{self, Config};
use hallbox::devices::gpio::{spawn_all, GpioBackend, PULSE_SPACING};
use hallbox::ingest::{self, IngestHandle, IngestWriter};
use hallbox::journal::{EventKind, Journal, JournalReader, StoredEvent};
use hallbox_drivers::edge::{parse_edge_list, Edge, Level, ReplayEdgeSource};
use hallbox_drivers::gpio::{Bias, GpioError, InputInfo, InputRequest, OutputLine};
use hallbox_drivers::wiegand::{edges_for, Bits, EncodeTiming, Lines};
use serde_json::Value;
use tokio::task::JoinSet;
use tokio::time::Instant;

const D0: u8 = 17;
const D1: u8 = 27;
const LINES: Lines = Lines { d0: D0, d1: D1 };

/// Writes a config with a reader and a keypad. The reader `door` is on BCM
/// 17 and 27, with an active-low LED line on BCM 22 pulsed for 50 ms, and
/// maps card 123/45678 to S001. The five-button keypad `kp-w01` is on BCM
/// 5, 6, 13, 19 and 26 for window W01.
fn write_config(dir: &Path) -> PathBuf {
    // The test tokens, so the report can be read with a bureau token.
    let text = format!(
        "{CONFIG}\n{}",
        support::token_section(&support::TOKENS[..3])
    );
    write_config_text(dir, &text)
}

fn write_config_text(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("hallbox.toml");
    std::fs::write(&path, text).expect("write the config");
    path
}

/// The configuration that [`write_config`] writes.
const CONFIG: &str = r#"
[http]
listen = "127.0.0.1:0"

[journal]
path = "journal.sqlite"

# Every Monday to Friday, so that the report covers any month the test
# runs in.
[calendar]
kind = "monday-to-friday"

[[unit]]
id = "tax"
name = "县税务局"
windows = [{ id = "W01", name = "1号窗口" }]

[[staff]]
id = "S001"
name = "马建国"
unit = "tax"
pins = ["1001"]

[[wiegand]]
id = "door"
d0 = 17
d1 = 27
cards = { "123/45678" = "S001" }
confirm_pin = 22
confirm_active = "low"
confirm_pulse_ms = 50

[[button_keypad]]
id = "kp-w01"
window = "W01"
pins = { 1 = 5, 2 = 6, 3 = 13, 4 = 19, 5 = 26 }
"#;

fn load_config(dir: &Path) -> Config {
    config::load(&write_config(dir)).expect("the test config is valid")
}

/// One level set on a recorded output line.
#[derive(Debug, Clone, Copy)]
struct OutputRecord {
    level: Level,
    at: Instant,
    /// Punches in the journal when the level was set.
    punches_stored: u64,
}

/// An output line that records every level with the journal's punch count.
struct RecordingOutput {
    journal: PathBuf,
    records: Arc<Mutex<Vec<OutputRecord>>>,
}

impl OutputLine for RecordingOutput {
    fn set_level(&mut self, level: Level) {
        let punches_stored = count_of(&self.journal, EventKind::Punch);
        self.records
            .lock()
            .expect("records lock")
            .push(OutputRecord {
                level,
                at: Instant::now(),
                punches_stored,
            });
    }
}

/// Replays recorded edges per device in place of the pins.
struct ReplayBackend {
    edges: Mutex<HashMap<String, Vec<Edge>>>,
    paced: bool,
    /// Devices whose inputs fail to open, as without permission.
    failing: Vec<String>,
    journal: PathBuf,
    outputs: Arc<Mutex<Vec<OutputRecord>>>,
}

impl ReplayBackend {
    fn new(journal: &Path, paced: bool) -> ReplayBackend {
        ReplayBackend {
            edges: Mutex::default(),
            paced,
            failing: Vec::new(),
            journal: journal.to_path_buf(),
            outputs: Arc::default(),
        }
    }

    fn with_edges(self, device: &str, edges: Vec<Edge>) -> ReplayBackend {
        self.edges
            .lock()
            .expect("edges lock")
            .insert(device.to_string(), edges);
        self
    }
}

impl GpioBackend for ReplayBackend {
    type Inputs = ReplayEdgeSource;
    type Output = RecordingOutput;

    fn open_inputs(
        &self,
        device: &str,
        requests: &[InputRequest],
    ) -> Result<(ReplayEdgeSource, Vec<InputInfo>), GpioError> {
        if self.failing.iter().any(|failing| failing == device) {
            return Err(GpioError::PermissionDenied {
                pin: requests[0].pin,
                path: "/dev/gpiochip0".to_string(),
            });
        }
        let edges = self
            .edges
            .lock()
            .expect("edges lock")
            .remove(device)
            .unwrap_or_default();
        let info = requests
            .iter()
            .map(|request| InputInfo {
                pin: request.pin,
                level: match request.bias {
                    Bias::PullDown => Level::Low,
                    Bias::PullUp | Bias::Off => Level::High,
                },
                kernel_debounce: false,
            })
            .collect();
        let source = if self.paced {
            ReplayEdgeSource::paced(edges)
        } else {
            ReplayEdgeSource::new(edges)
        };
        Ok((source, info))
    }

    fn open_output(
        &self,
        _device: &str,
        _pin: u8,
        _idle: Level,
    ) -> Result<RecordingOutput, GpioError> {
        Ok(RecordingOutput {
            journal: self.journal.clone(),
            records: Arc::clone(&self.outputs),
        })
    }
}

fn count_of(journal: &Path, kind: EventKind) -> u64 {
    let reader = JournalReader::open(journal).expect("open the journal for reading");
    let counts = reader.count_by_kind().expect("count events");
    counts.get(&kind).copied().unwrap_or(0)
}

fn all_events(journal: &Path) -> Vec<StoredEvent> {
    let reader = JournalReader::open(journal).expect("open the journal for reading");
    reader.events_after(0, 1000).expect("read events")
}

fn us(micros: u64) -> Duration {
    Duration::from_micros(micros)
}

/// Edges of `bits` with the default encoder timing from `start`.
fn frame_edges(bits: &Bits, start: Duration) -> Vec<Edge> {
    edges_for(bits, LINES, &EncodeTiming::default(), start)
}

/// Returns the door's edges. The recorded card 123/45678 runs from
/// 1 234 567 µs to about 1.29 s. Card 7/1, which no one has, follows at
/// 1.4 s, then card 123/45678 with its last bit flipped (odd parity broken)
/// at 1.6 s, and key 5 at 1.8 s.
fn door_edges() -> Vec<Edge> {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../drivers/tests/fixtures/wiegand/card26.edges");
    let text = std::fs::read_to_string(fixture).expect("read the card26 fixture");
    let mut edges = parse_edge_list(&text).expect("the fixture parses");

    let good = Bits::card26(123, 45678);
    let broken = Bits::new(good.value() ^ 1, 26).expect("26 bits");
    edges.extend(frame_edges(&Bits::card26(7, 1), us(1_400_000)));
    edges.extend(frame_edges(&broken, us(1_600_000)));
    edges.extend(frame_edges(&Bits::key4(5).expect("key 5"), us(1_800_000)));
    edges
}

/// The journal writer and the device tasks of one test.
struct Daemon {
    ingest: IngestHandle,
    writer: IngestWriter,
    devices: JoinSet<()>,
}

fn start_daemon(config: &Config, journal: Journal, backend: ReplayBackend) -> Daemon {
    let (ingest, writer) = ingest::start(journal).expect("start the journal writer");
    let mut devices = JoinSet::new();
    spawn_all(config, &ingest, Arc::new(backend), &mut devices);
    Daemon {
        ingest,
        writer,
        devices,
    }
}

impl Daemon {
    /// Waits until every device task ended, as they do when their replay is
    /// finished.
    async fn wait_for_devices(&mut self) {
        let all_done = async {
            while let Some(result) = self.devices.join_next().await {
                result.expect("a device task panicked");
            }
        };
        tokio::time::timeout(Duration::from_secs(20), all_done)
            .await
            .expect("the device tasks end within 20 s");
    }
}

/// Waits until `records` contains `count` active levels, at most 5 s, and
/// then for one more pulse's time so that an extra pulse would show.
async fn wait_for_pulses(records: &Mutex<Vec<OutputRecord>>, count: usize, pulse: Duration) {
    let active = || {
        records
            .lock()
            .expect("records lock")
            .iter()
            .filter(|record| record.level == Level::Low)
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while active() < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(pulse + PULSE_SPACING + Duration::from_millis(50)).await;
}

#[tokio::test]
async fn wiegand_frame_punches_and_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = load_config(dir.path());
    let journal_path = config.journal.path.clone();
    let journal = Journal::open(&journal_path).expect("open the journal");
    let backend = ReplayBackend::new(&journal_path, true).with_edges("door", door_edges());
    let outputs = Arc::clone(&backend.outputs);

    let mut daemon = start_daemon(&config, journal, backend);
    daemon.wait_for_devices().await;
    wait_for_pulses(&outputs, 2, Duration::from_millis(50)).await;

    // Two punches: S001 under their PIN, and the unknown card as itself.
    let events = all_events(&journal_path);
    let punches: Vec<&StoredEvent> = events
        .iter()
        .filter(|event| event.kind == EventKind::Punch)
        .collect();
    assert_eq!(punches.len(), 2, "{events:#?}");
    assert_eq!(punches[0].device_id, "door");
    assert_eq!(punches[0].subject.as_deref(), Some("1001"));
    assert_eq!(punches[0].payload["staff_id"], "S001");
    assert_eq!(punches[0].payload["source"], "wiegand");
    assert_eq!(punches[0].payload["format"], "card26");
    assert_eq!(punches[0].device_time, Some(punches[0].received_at));
    assert_eq!(punches[1].subject.as_deref(), Some("7/1"));
    assert_eq!(punches[1].payload["staff_id"], Value::Null);

    // The reader was journaled as connected before its first punch, and
    // never as lost: the end of a replay is not a lost device.
    let statuses: Vec<&StoredEvent> = events
        .iter()
        .filter(|event| event.kind == EventKind::DeviceStatus && event.device_id == "door")
        .collect();
    assert_eq!(statuses.len(), 1, "{statuses:#?}");
    assert_eq!(statuses[0].payload["state"], "connected");
    assert_eq!(statuses[0].payload["pins"]["d1"], 27);
    assert!(statuses[0].seq < punches[0].seq);

    // The line was set idle (high) at start, then pulsed low once per
    // stored punch, each pulse only after its punch was in the journal. The
    // rejected frame and the key got no pulse.
    let records = outputs.lock().expect("records lock").clone();
    let levels: Vec<Level> = records.iter().map(|record| record.level).collect();
    use Level::{High, Low};
    assert_eq!(levels, vec![High, Low, High, Low, High]);
    assert_eq!(records[1].punches_stored, 1);
    assert_eq!(records[3].punches_stored, 2);
    let width = records[2].at - records[1].at;
    assert!(
        width >= Duration::from_millis(50) && width < Duration::from_millis(500),
        "pulse of {width:?}, expected 50 ms"
    );

    // The punch appears in the monthly report over HTTP.
    let month = punches[0].payload["local_time"]
        .as_str()
        .expect("local_time is text")[..7]
        .to_string();
    let path = format!("/api/v1/attendance/monthly?month={month}&punches=true");
    let report = get_json(&config, &journal_path, &daemon.ingest, &path).await;
    let person = &report["people"][0];
    assert_eq!(person["id"], "S001");
    let person_punches = person["punches"].as_array().expect("punch list");
    assert_eq!(person_punches.len(), 1, "{person}");
    assert_eq!(person_punches[0]["pin"], "1001");
    assert_eq!(person_punches[0]["device_id"], "door");
    let unknown = report["unknown_credentials"]
        .as_array()
        .expect("unknown credentials");
    assert_eq!(unknown.len(), 1, "{report}");
    assert_eq!(unknown[0]["pin"], "7/1");
    assert_eq!(unknown[0]["count"], 1);

    drop(daemon.ingest);
    tokio::task::spawn_blocking(move || daemon.writer.join())
        .await
        .expect("the writer stops");
}

/// Serves the API on an ephemeral loopback port in this process, requests
/// `path` and returns the JSON body of the 200 response.
async fn get_json(
    config: &Config,
    journal_path: &Path,
    ingest: &IngestHandle,
    path: &str,
) -> Value {
    let state = Arc::new(AppState {
        config: config.clone(),
        journal_path: journal_path.to_path_buf(),
        writer: Mutex::new(Journal::open(journal_path).expect("open the API's connection")),
        ingest: ingest.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let address = listener.local_addr().expect("bound address");
    let server = tokio::spawn(async move {
        axum::serve(listener, api::router(state))
            .await
            .expect("serve the API");
    });

    let response = support::get_as("bureau-1", &format!("http://{address}{path}")).await;
    assert_eq!(response.status(), 200, "GET {path}");
    let body: Value = response.json().await.expect("a JSON body");
    server.abort();
    body
}

#[tokio::test]
async fn failed_commit_gets_no_pulse() {
    // The reader alone, so that every commit counted below is the reader's.
    let dir = tempfile::tempdir().expect("temp dir");
    let reader_only = &CONFIG[..CONFIG.find("[[button_keypad]]").expect("a keypad section")];
    let path = write_config_text(dir.path(), reader_only);
    let config = config::load(&path).expect("the test config is valid");
    assert!(config.gpio.button_keypads.is_empty());
    let journal_path = config.journal.path.clone();
    let mut journal = Journal::open(&journal_path).expect("open the journal");

    // Fill the journal's last page and forbid new ones: small events go in
    // until SQLite reports the file full, and a punch, larger, cannot fit.
    journal.set_max_page_count(1).expect("set max_page_count");
    let mut filler = 0;
    loop {
        let event = hallbox::journal::NewEvent {
            kind: EventKind::Audit,
            device_id: "t".to_string(),
            idempotency_key: format!("f{filler}"),
            device_time: None,
            received_at: chrono::Utc::now(),
            subject: None,
            raw: Vec::new(),
            payload: Value::Null,
        };
        match journal.append(&event) {
            Ok(_) => filler += 1,
            Err(error) if error.is_full() => break,
            Err(error) => panic!("unexpected journal error: {error}"),
        }
        assert!(filler < 10_000, "the journal never filled");
    }

    let edges = frame_edges(&Bits::card26(123, 45678), us(1_000_000));
    let backend = ReplayBackend::new(&journal_path, false).with_edges("door", edges);
    let outputs = Arc::clone(&backend.outputs);
    let mut daemon = start_daemon(&config, journal, backend);
    daemon.wait_for_devices().await;
    // The task ended after the failed commit, so a wrong pulse would be
    // queued already: give it time to play.
    wait_for_pulses(&outputs, 0, Duration::from_millis(50)).await;

    // Two commits failed, one after the other: the reader's "connected"
    // status and the punch.
    let failed = daemon.ingest.stats().failed_commits.load(Ordering::Relaxed);
    assert_eq!(failed, 2);
    assert_eq!(count_of(&journal_path, EventKind::Punch), 0);
    let levels: Vec<Level> = outputs
        .lock()
        .expect("records lock")
        .iter()
        .map(|record| record.level)
        .collect();
    // Set idle at start, and never pulsed.
    assert_eq!(levels, vec![Level::High]);
}

/// Edges of one push of the button on `pin` at `start`: the contact
/// bounces for 1.5 ms, is held 150 ms and bounces again when let go.
fn push(pin: u8, start: Duration) -> Vec<Edge> {
    let at = |micros: u64| start + us(micros);
    vec![
        Edge::falling(pin, at(0)),
        Edge::rising(pin, at(400)),
        Edge::falling(pin, at(900)),
        Edge::rising(pin, at(1_200)),
        Edge::falling(pin, at(1_500)),
        Edge::rising(pin, at(151_500)),
        Edge::falling(pin, at(151_800)),
        Edge::rising(pin, at(152_000)),
    ]
}

#[tokio::test]
async fn reader_fails_keypad_still_rates() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = load_config(dir.path());
    let journal_path = config.journal.path.clone();
    let journal = Journal::open(&journal_path).expect("open the journal");

    // Button 1 (BCM 5), then button 4 (BCM 19) one second later, and a 5 ms
    // glitch on button 2 (BCM 6) that the debouncer drops.
    let mut edges = push(5, Duration::from_secs(10));
    edges.extend(push(19, Duration::from_secs(11)));
    edges.push(Edge::falling(6, Duration::from_secs(12)));
    edges.push(Edge::rising(6, Duration::from_secs(12) + us(5_000)));
    let mut backend = ReplayBackend::new(&journal_path, false).with_edges("kp-w01", edges);
    backend.failing.push("door".to_string());

    let mut daemon = start_daemon(&config, journal, backend);
    daemon.wait_for_devices().await;

    let events = all_events(&journal_path);
    let lost: Vec<&StoredEvent> = events
        .iter()
        .filter(|event| event.device_id == "door")
        .collect();
    assert_eq!(lost.len(), 1, "{events:#?}");
    assert_eq!(lost[0].kind, EventKind::DeviceStatus);
    assert_eq!(lost[0].payload["state"], "lost");
    assert_eq!(
        lost[0].payload["reason"],
        "failed to start GPIO device 'door', line d0: failed to open GPIO pin 17: permission denied on /dev/gpiochip0 (add the service user to the gpio group, e.g. `sudo usermod -aG gpio hallbox`, and restart the service)"
    );
    assert_eq!(lost[0].payload["pins"]["confirm"], 22);

    let ratings: Vec<&StoredEvent> = events
        .iter()
        .filter(|event| event.kind == EventKind::Rating)
        .collect();
    assert_eq!(ratings.len(), 2, "{events:#?}");
    for rating in &ratings {
        assert_eq!(rating.device_id, "kp-w01");
        assert_eq!(rating.subject.as_deref(), Some("W01"));
        assert_eq!(rating.payload["window_id"], "W01");
        assert_eq!(rating.payload["source"], "gpio_buttons");
    }
    assert_eq!(ratings[0].payload["button"], 1);
    assert_eq!(ratings[0].payload["level"], "very_satisfied");
    assert_eq!(ratings[0].payload["repeat"], false);
    // The replay delivers both pushes at once, well within the 3 s repeat
    // window of box time.
    assert_eq!(ratings[1].payload["button"], 4);
    assert_eq!(ratings[1].payload["level"], "unsatisfied");
    assert_eq!(ratings[1].payload["repeat"], true);
    // The press of button 1 settled at the edge 1.5 ms after the push began.
    assert!(
        ratings[0].idempotency_key.ends_with(":10001500000"),
        "{}",
        ratings[0].idempotency_key
    );

    // The ratings report reads both presses; the second is a repeat.
    let month = ratings[0].payload["local_time"]
        .as_str()
        .expect("local_time is text")[..7]
        .to_string();
    let path = format!("/api/v1/ratings/monthly?month={month}");
    let report = get_json(&config, &journal_path, &daemon.ingest, &path).await;
    assert_eq!(
        report["unreadable_events"],
        serde_json::json!([]),
        "{report}"
    );
    let window = &report["windows"][0];
    assert_eq!(window["window_id"], "W01");
    assert_eq!(window["presses"], 2, "{window}");
    assert_eq!(window["repeats"], 1, "{window}");
    assert_eq!(window["valid"], 1, "{window}");
    assert_eq!(window["counts"]["very_satisfied"], 1, "{window}");

    drop(daemon.ingest);
    tokio::task::spawn_blocking(move || daemon.writer.join())
        .await
        .expect("the writer stops");
}

/// On a machine that is not a Raspberry Pi the real binary reports the
/// reader as lost with the reason, and keeps serving. On a Pi with wired
/// pins the reader would start, so the test is left out with the
/// `hardware-tests` feature.
#[cfg(not(feature = "hardware-tests"))]
#[test]
fn not_a_pi_keeps_serving() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config_path = write_config(dir.path());
    let journal_path = dir.path().join("journal.sqlite");
    let server = support::Server::start(&config_path);

    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async {
        let response = reqwest::get(server.url("/healthz"))
            .await
            .expect("GET /healthz");
        assert_eq!(response.status(), 200);

        // Both GPIO devices journal their failure shortly after start.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut lost: Vec<StoredEvent> = Vec::new();
        while lost.len() < 2 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if journal_path.exists() {
                lost = all_events(&journal_path)
                    .into_iter()
                    .filter(|event| event.payload["state"] == "lost")
                    .collect();
            }
        }
        assert_eq!(lost.len(), 2, "{lost:#?}");
        let reasons: Vec<&str> = lost
            .iter()
            .map(|event| event.payload["reason"].as_str().unwrap_or_default())
            .collect();
        assert!(
            reasons.contains(
                &"failed to start GPIO device 'door', line d0: failed to open GPIO pin 17: this machine is not a Raspberry Pi, or rppal cannot identify its model (run hallbox on a Raspberry Pi, or remove the GPIO devices from the configuration)"
            ),
            "{reasons:#?}"
        );
        assert!(
            reasons
                .iter()
                .any(|reason| reason.starts_with("failed to start GPIO device 'kp-w01', line button 1: failed to open GPIO pin 5:")),
            "{reasons:#?}"
        );

        // The API still responds after the failures.
        let response = reqwest::get(server.url("/healthz"))
            .await
            .expect("GET /healthz");
        assert_eq!(response.status(), 200);
    });
}

/// A button keypad that cannot open its pins is journaled as lost, and the
/// ratings report's outage list, which reads the device time, shows it.
#[tokio::test]
async fn lost_keypad_in_ratings_outages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = load_config(dir.path());
    let journal_path = config.journal.path.clone();
    let journal = Journal::open(&journal_path).expect("open the journal");
    let mut backend = ReplayBackend::new(&journal_path, false);
    backend.failing.push("kp-w01".to_string());

    let mut daemon = start_daemon(&config, journal, backend);
    daemon.wait_for_devices().await;
    drop(daemon.ingest);
    tokio::task::spawn_blocking(move || daemon.writer.join())
        .await
        .expect("the writer stops");

    let events = all_events(&journal_path);
    let lost: Vec<&StoredEvent> = events
        .iter()
        .filter(|event| event.kind == EventKind::DeviceStatus && event.payload["state"] == "lost")
        .collect();
    assert_eq!(lost.len(), 1, "{events:#?}");
    assert_eq!(lost[0].device_id, "kp-w01");
    let local = hallbox::time::utc_to_local(config.site.time_zone, lost[0].received_at);
    let month = hallbox::time::Month::parse(&local.format("%Y-%m").to_string()).expect("a month");
    let reader = JournalReader::open(&journal_path).expect("open the journal");
    let outages = hallbox::report::outages::month_outages(&reader, config.site.time_zone, month)
        .expect("outages");
    assert_eq!(outages.len(), 1, "{outages:?}");
}

/// Three presses 3.1 s and 3.8 s apart while another connection holds the
/// journal's write lock for 4.6 s, as `hallbox import` or a slow SD card
/// would. Each press keeps the time it was made, so none becomes a repeat
/// of the one before by waiting for the commit.
#[tokio::test]
async fn stall_keeps_press_times() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = load_config(dir.path());
    let journal_path = config.journal.path.clone();
    let journal = Journal::open(&journal_path).expect("open the journal");
    let base = Duration::from_secs(10);
    // An edge on a line of no button starts the paced replay's clock.
    let mut edges = vec![Edge::rising(7, base)];
    edges.extend(push(5, base + Duration::from_millis(1_000)));
    edges.extend(push(6, base + Duration::from_millis(4_100)));
    edges.extend(push(13, base + Duration::from_millis(7_900)));
    let backend = ReplayBackend::new(&journal_path, true).with_edges("kp-w01", edges);

    let mut daemon = start_daemon(&config, journal, backend);
    // From 0.5 s to 5.1 s another connection holds the write lock, less
    // than the journal's 5 s busy timeout.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let path = journal_path.clone();
    let locker = std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(&path).expect("open a second connection");
        conn.execute_batch("BEGIN IMMEDIATE")
            .expect("take the write lock");
        std::thread::sleep(Duration::from_millis(4_600));
        conn.execute_batch("COMMIT")
            .expect("release the write lock");
    });
    daemon.wait_for_devices().await;
    drop(daemon.ingest);
    tokio::task::spawn_blocking(move || daemon.writer.join())
        .await
        .expect("the writer stops");
    locker.join().expect("locker thread");

    let events = all_events(&journal_path);
    let ratings: Vec<&StoredEvent> = events
        .iter()
        .filter(|event| event.kind == EventKind::Rating)
        .collect();
    assert_eq!(ratings.len(), 3, "{events:#?}");
    let times: Vec<_> = ratings
        .iter()
        .map(|rating| rating.device_time.expect("device time"))
        .collect();
    let gap_1_2 = (times[1] - times[0]).num_milliseconds();
    let gap_2_3 = (times[2] - times[1]).num_milliseconds();
    assert!((3_000..3_300).contains(&gap_1_2), "first gap {gap_1_2} ms");
    assert!((3_700..4_000).contains(&gap_2_3), "second gap {gap_2_3} ms");
    let repeats: Vec<&Value> = ratings
        .iter()
        .map(|rating| &rating.payload["repeat"])
        .collect();
    assert_eq!(repeats, [false, false, false]);
}
