//! GPIO device events in the journal: a keypad that cannot open its pins
//! shows as an outage, and presses keep the time they were made while the
//! journal is busy. The daemon's own device tasks and journal writer run
//! with replayed edges in place of pins.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hallbox::config::{self, Config};
use hallbox::devices::gpio::{spawn_all, GpioBackend};
use hallbox::ingest;
use hallbox::journal::{EventKind, Journal, JournalReader, StoredEvent};
use hallbox::report::outages::month_outages;
use hallbox::time::Month;
use hallbox_drivers::edge::{Edge, Level, ReplayEdgeSource};
use hallbox_drivers::gpio::{Bias, GpioError, InputInfo, InputRequest, OutputLine};
use tokio::task::JoinSet;

const CONFIG: &str = r#"
[http]
listen = "127.0.0.1:0"

[journal]
path = "journal.sqlite"

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

[[button_keypad]]
id = "kp-w01"
window = "W01"
pins = { 1 = 5, 2 = 6, 3 = 13, 4 = 19, 5 = 26 }
"#;

fn load_config(dir: &Path) -> Config {
    let path = dir.join("hallbox.toml");
    std::fs::write(&path, CONFIG).expect("write the config");
    config::load(&path).expect("the test config is valid")
}

struct NullOutput;

impl OutputLine for NullOutput {
    fn set_level(&mut self, _level: Level) {}
}

/// Replays edges per device; devices in `failing` cannot open their pins.
struct ReplayBackend {
    edges: Mutex<HashMap<String, Vec<Edge>>>,
    failing: Vec<String>,
}

impl GpioBackend for ReplayBackend {
    type Inputs = ReplayEdgeSource;
    type Output = NullOutput;

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
        Ok((ReplayEdgeSource::paced(edges), info))
    }

    fn open_output(&self, _device: &str, _pin: u8, _idle: Level) -> Result<NullOutput, GpioError> {
        Ok(NullOutput)
    }
}

fn all_events(journal: &Path) -> Vec<StoredEvent> {
    let reader = JournalReader::open(journal).expect("open the journal for reading");
    reader.events_after(0, 1000).expect("read events")
}

/// Returns the edges of a clean 200 ms push of the button on `pin` from `start`.
fn push(pin: u8, start: Duration) -> Vec<Edge> {
    vec![
        Edge::falling(pin, start),
        Edge::rising(pin, start + Duration::from_millis(200)),
    ]
}

async fn run_devices(config: &Config, backend: ReplayBackend) {
    let journal = Journal::open(&config.journal.path).expect("open the journal");
    let (ingest, writer) = ingest::start(journal).expect("start the journal writer");
    let mut devices = JoinSet::new();
    spawn_all(config, &ingest, Arc::new(backend), &mut devices);
    let all_done = async { while devices.join_next().await.is_some() {} };
    tokio::time::timeout(Duration::from_secs(30), all_done)
        .await
        .expect("the device tasks end within 30 s");
    drop(ingest);
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .expect("the writer stops");
}

/// A button keypad that cannot open its pins is journaled as lost, and the
/// ratings report's outage list, which reads the device time, shows it.
#[tokio::test]
async fn lost_button_keypad_in_ratings_outages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = load_config(dir.path());
    let backend = ReplayBackend {
        edges: Mutex::default(),
        failing: vec!["kp-w01".to_string()],
    };
    run_devices(&config, backend).await;

    let events = all_events(&config.journal.path);
    let lost: Vec<&StoredEvent> = events
        .iter()
        .filter(|event| event.kind == EventKind::DeviceStatus && event.payload["state"] == "lost")
        .collect();
    assert_eq!(lost.len(), 1, "{events:#?}");

    let local = hallbox::time::utc_to_local(config.site.time_zone, lost[0].received_at);
    let month = Month::parse(&local.format("%Y-%m").to_string()).expect("a month");
    let reader = JournalReader::open(&config.journal.path).expect("open the journal");
    let outages = month_outages(&reader, config.site.time_zone, month).expect("outages");
    assert_eq!(
        outages.len(),
        1,
        "the lost keypad is missing from {outages:?}"
    );
}

/// Three presses 3.1 s and 3.8 s apart (no repeats) while the journal's
/// write lock is held for 4.6 s, as by `hallbox import` or a slow SD card.
/// Each press keeps the time it was made, so none becomes a repeat of the
/// one before by waiting.
#[tokio::test]
async fn stall_keeps_press_times() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = load_config(dir.path());
    let base = Duration::from_secs(10);
    // An edge on a line of no button starts the paced replay's clock.
    let mut edges = vec![Edge::rising(7, base)];
    edges.extend(push(5, base + Duration::from_millis(1_000)));
    edges.extend(push(6, base + Duration::from_millis(4_100)));
    edges.extend(push(13, base + Duration::from_millis(7_900)));
    let backend = ReplayBackend {
        edges: Mutex::new(HashMap::from([("kp-w01".to_string(), edges)])),
        failing: Vec::new(),
    };

    let journal = Journal::open(&config.journal.path).expect("open the journal");
    let (ingest, writer) = ingest::start(journal).expect("start the journal writer");
    let mut devices = JoinSet::new();
    spawn_all(&config, &ingest, Arc::new(backend), &mut devices);

    // From 0.5 s to 5.1 s another connection holds the write lock, less than
    // the journal's 5 s busy timeout.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let path = config.journal.path.clone();
    let locker = std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(&path).expect("open a second connection");
        conn.execute_batch("BEGIN IMMEDIATE")
            .expect("take the write lock");
        std::thread::sleep(Duration::from_millis(4_600));
        conn.execute_batch("COMMIT")
            .expect("release the write lock");
    });

    let all_done = async { while devices.join_next().await.is_some() {} };
    tokio::time::timeout(Duration::from_secs(30), all_done)
        .await
        .expect("the device tasks end within 30 s");
    drop(ingest);
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .expect("the writer stops");
    locker.join().expect("locker thread");

    let events = all_events(&config.journal.path);
    let ratings: Vec<&StoredEvent> = events
        .iter()
        .filter(|event| event.kind == EventKind::Rating)
        .collect();
    assert_eq!(ratings.len(), 3, "{events:#?}");
    let times: Vec<_> = ratings
        .iter()
        .map(|r| r.device_time.expect("time"))
        .collect();
    let gap_1_2 = (times[1] - times[0]).num_milliseconds();
    let gap_2_3 = (times[2] - times[1]).num_milliseconds();
    assert!(
        (3_000..3_300).contains(&gap_1_2),
        "presses 3.1 s apart were stored {gap_1_2} ms apart"
    );
    assert!(
        (3_700..4_000).contains(&gap_2_3),
        "presses 3.8 s apart were stored {gap_2_3} ms apart: {:?}",
        ratings
            .iter()
            .map(|r| (&r.payload["button"], &r.payload["repeat"], r.device_time))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        ratings[2].payload["repeat"], false,
        "third press 3.8 s after the second"
    );
}
