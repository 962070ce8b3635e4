//! Helpers of the serial device tests. They write a hall configuration with
//! devices on pseudo-terminals, and run the daemon's ingest writer and device
//! tasks in the test's runtime. Simulated devices drive the pty's device
//! side, and the journal file is read through a separate SQLite connection.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hallbox::config::{self, Config};
use hallbox::devices::{self, BoxClock};
use hallbox::ingest::{self, IngestHandle, IngestWriter};
use hallbox::journal::Journal;
use hallbox_drivers::fingerprint::{Command, SimulatedModule};
use hallbox_drivers::keypad::{self, Address, Frame};
use hallbox_drivers::pty::PtyDevice;
use rusqlite::{Connection, OpenFlags};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;

/// Maximum wait for a condition in these tests.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Units, windows and staff of the test hall: windows W01 to W03, staff
/// S001 (PIN 1) and S002 (PIN 2, enrolled on page 5).
pub const ROSTER: &str = r#"
[site]
name = "测试大厅"

[http]
listen = "127.0.0.1:0"

[journal]
path = "journal.sqlite"

[calendar]
kind = "monday-to-friday"

[[unit]]
id = "tax"
name = "县税务局"
windows = [
    { id = "W01", name = "1号窗口" },
    { id = "W02", name = "2号窗口" },
    { id = "W03", name = "3号窗口" },
]

[[staff]]
id = "S001"
name = "马建国"
unit = "tax"
pins = ["1"]

[[staff]]
id = "S002"
name = "韩丽"
unit = "tax"
pins = ["2", "1002"]
"#;

/// Returns the `[[device]]` entry of a keypad bus `id` at `port` with keypads 1, 2 and 3 on windows W01 to
/// W03 and the default five-button map.
pub fn keypad_device(id: &str, port: &Path) -> String {
    format!(
        "\n[[device]]\nid = \"{id}\"\nkind = \"keypad\"\nport = \"{}\"\n\
         keypads = {{ 1 = \"W01\", 2 = \"W02\", 3 = \"W03\" }}\n",
        port.display()
    )
}

/// Returns the `[[device]]` entry of a fingerprint module `id` at `port` with S001 on page 0 and S002 on 5,
/// polled every 10 ms.
pub fn fingerprint_device(id: &str, port: &Path) -> String {
    format!(
        "\n[[device]]\nid = \"{id}\"\nkind = \"fingerprint\"\nport = \"{}\"\n\
         pages = {{ 0 = \"S001\", 5 = \"S002\" }}\npoll_interval_ms = 10\nack_timeout_ms = 500\n",
        port.display()
    )
}

/// Returns the `[[device]]` entry of a clock line `id` at `port`.
pub fn clock_line_device(id: &str, port: &Path) -> String {
    format!(
        "\n[[device]]\nid = \"{id}\"\nkind = \"clock_line\"\nport = \"{}\"\n",
        port.display()
    )
}

/// Writes `text` as `hallbox.toml` in `dir` and loads it.
pub fn write_config(dir: &Path, text: &str) -> (PathBuf, Config) {
    let path = dir.join("hallbox.toml");
    std::fs::write(&path, text).expect("write config");
    let config = config::load(&path).unwrap_or_else(|error| panic!("config:\n{error}"));
    (path, config)
}

/// Creates a simulated device's pty with a stable by-id style link in `dir`.
pub fn plug(dir: &Path, name: &str) -> (PtyDevice, PathBuf) {
    let device = PtyDevice::open().expect("open a pty pair");
    let link = dir.join(name);
    device.link_at(&link).expect("link the pty");
    (device, link)
}

/// The daemon's journal writer and device tasks, in the test's runtime.
pub struct Daemon {
    pub ingest: IngestHandle,
    writer: Option<IngestWriter>,
    tasks: JoinSet<()>,
    pub journal: PathBuf,
}

impl Daemon {
    /// Opens the journal and starts every configured device with `clock`.
    pub fn start(config: &Config, clock: BoxClock) -> Daemon {
        let journal = Journal::open(&config.journal.path).expect("open journal");
        let (ingest, writer) = ingest::start(journal).expect("start writer");
        let tasks = devices::spawn_all_with_clock(config, &ingest, clock);
        Daemon {
            ingest,
            writer: Some(writer),
            tasks,
            journal: config.journal.path.clone(),
        }
    }

    /// Stops the devices and waits for the writer to commit what it has.
    pub async fn stop(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        let writer = self.writer.take().expect("writer");
        drop(self.ingest);
        tokio::task::spawn_blocking(move || writer.join())
            .await
            .expect("join writer");
    }
}

/// Opens a read-only connection to the journal file, apart from the writer's.
pub fn reader(journal: &Path) -> Connection {
    Connection::open_with_flags(journal, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open reader")
}

/// Number of rating rows of keypad `address` with `session` and `sequence`.
pub fn rating_rows(conn: &Connection, address: u8, session: u32, sequence: u16) -> i64 {
    conn.query_row(
        "SELECT count(*) FROM events WHERE kind = 'rating' \
         AND json_extract(payload, '$.keypad_address') = ?1 \
         AND json_extract(payload, '$.session') = ?2 \
         AND json_extract(payload, '$.sequence') = ?3",
        rusqlite::params![address, session, sequence],
        |row| row.get(0),
    )
    .expect("count ratings")
}

/// Number of rows of `kind`.
pub fn count_kind(conn: &Connection, kind: &str) -> i64 {
    conn.query_row(
        "SELECT count(*) FROM events WHERE kind = ?1",
        [kind],
        |row| row.get(0),
    )
    .expect("count kind")
}

/// Polls `condition` every 5 ms until it is true or [`DEADLINE`] passes.
pub async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        if started.elapsed() > DEADLINE {
            panic!("timed out after {DEADLINE:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The device side of a keypad bus: writes frames and decodes replies.
pub struct KeypadBus {
    pub pty: PtyDevice,
    decoder: keypad::Decoder,
}

impl KeypadBus {
    pub fn new(pty: PtyDevice) -> KeypadBus {
        KeypadBus {
            pty,
            decoder: keypad::Decoder::new(),
        }
    }

    /// Sends one frame.
    pub async fn send(&mut self, frame: &Frame) {
        self.pty
            .write_all(&keypad::encode(frame))
            .await
            .expect("write to the keypad pty");
    }

    /// Sends frames back to back in one write.
    pub async fn send_all(&mut self, frames: &[Frame]) {
        let bytes: Vec<u8> = frames.iter().flat_map(keypad::encode).collect();
        if !bytes.is_empty() {
            self.pty
                .write_all(&bytes)
                .await
                .expect("write to the keypad pty");
        }
    }

    /// Returns the next reply to `request`: same address, session and
    /// sequence number, as a keypad matches replies. Other frames, such as
    /// late replies to earlier resends, are skipped. `None` after `timeout`.
    pub async fn reply_to(&mut self, request: &Frame, timeout: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.reply(request.address(), left).await?;
            let matches = matches!(frame, Frame::Ack(_) | Frame::Nak(_))
                && frame.session() == request.session()
                && frame.sequence() == request.sequence();
            if matches {
                return Some(frame);
            }
        }
    }

    /// Returns the next frame addressed to `address`, skipping frames for
    /// other addresses, or `None` after `timeout`.
    pub async fn reply(&mut self, address: Address, timeout: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.next_frame(left).await?;
            if frame.address() == address {
                return Some(frame);
            }
        }
    }

    /// Returns the next frame on the bus, or `None` after `timeout`.
    pub async fn next_frame(&mut self, timeout: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut buffer = [0u8; 256];
        loop {
            if let Some(frame) = self.decoder.next_frame() {
                return Some(frame);
            }
            let read = tokio::time::timeout_at(deadline, self.pty.read(&mut buffer)).await;
            match read {
                Err(_) => return None,
                Ok(Ok(0)) | Ok(Err(_)) => return None,
                Ok(Ok(read)) => self.decoder.push(&buffer[..read]),
            }
        }
    }
}

/// LED commands a simulated fingerprint module received, each with the
/// number of punch rows in the journal at the moment it arrived.
pub type LedLog = Arc<Mutex<Vec<(Command, i64)>>>;

/// Serves `module` on `pty` until the pty fails. Before it answers an LED
/// command it counts the punch rows in `journal`, so a test can check that
/// the confirmation followed the commit.
pub async fn serve_module(
    mut pty: PtyDevice,
    module: Arc<Mutex<SimulatedModule>>,
    journal: PathBuf,
    leds: LedLog,
) {
    let mut buffer = [0u8; 512];
    loop {
        let read = match pty.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        let (reply, new_leds) = {
            let mut module = module.lock().unwrap();
            let before = module.led_commands().len();
            let reply = module.feed(&buffer[..read]);
            (reply, module.led_commands()[before..].to_vec())
        };
        for command in new_leds {
            let punches = count_kind(&reader(&journal), "punch");
            leds.lock().unwrap().push((command, punches));
        }
        if pty.write_all(&reply).await.is_err() {
            return;
        }
    }
}
