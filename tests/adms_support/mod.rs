//! Helpers of the ADMS end-to-end tests: a `hallbox serve` process whose
//! ADMS port stays the same across restarts, a plain HTTP/1.1 client that
//! sends exactly the bytes it is given, and a seeded random generator.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hallbox::journal::{EventKind, JournalReader, StoredEvent};

/// Serial number of the clock every test configures.
pub const SERIAL: &str = "CKJ4213600282";
/// Device id of that clock.
pub const CLOCK_ID: &str = "face-1";

/// Returns a port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// Writes `hallbox.toml` into `dir` with the journal in `dir`, the API on an
/// ephemeral port, the ADMS listener on `adms_port`, one clock
/// ([`SERIAL`], [`CLOCK_ID`]), `extra_adms` added to the `[adms]` section
/// and `extra_clocks` (more `[[adms.clock]]` entries) after the clock.
/// Returns the file's path.
pub fn write_config(dir: &Path, adms_port: u16, extra_adms: &str, extra_clocks: &str) -> PathBuf {
    let text = format!(
        r#"
[http]
listen = "127.0.0.1:0"

[journal]
path = "journal.sqlite"

[calendar]
kind = "monday-to-friday"

[adms]
listen = "127.0.0.1:{adms_port}"
{extra_adms}

[[adms.clock]]
id = "{CLOCK_ID}"
serial_number = "{SERIAL}"
name = "东大厅人脸考勤机"
{extra_clocks}
"#
    );
    let path = dir.join("hallbox.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// A `hallbox serve` process, killed with SIGKILL when dropped.
pub struct Daemon {
    child: Child,
    /// Address of the ADMS listener.
    pub adms: SocketAddr,
    /// Address of the API.
    pub api: SocketAddr,
    /// Lines the daemon wrote to stderr (its log), shared with a reader
    /// thread.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    /// Starts `hallbox serve --config FILE` with `HALLBOX_LOG=log_filter`
    /// and without colours, and waits until both listeners are bound.
    pub fn start(config: &Path, log_filter: &str) -> Daemon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hallbox"))
            .args(["serve", "--config"])
            .arg(config)
            .env("HALLBOX_LOG", log_filter)
            // Plain log lines, so tests can search them.
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("failed to start hallbox serve");

        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let log_lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                log_lines.lock().expect("log lock").push(line);
            }
        });

        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut adms = None;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(address) = line.strip_prefix("hallbox: adms listening on http://") {
                    adms = address.parse::<SocketAddr>().ok();
                }
                if let Some(api) = line.strip_prefix("hallbox: serving on http://") {
                    let _ = sender.send(adms.zip(api.parse::<SocketAddr>().ok()));
                }
            }
        });

        let (adms, api) = match receiver.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(addresses)) => addresses,
            Ok(None) => {
                let _ = child.kill();
                panic!("hallbox serve started without the ADMS listener line");
            }
            Err(_) => {
                let _ = child.kill();
                let log = log.lock().expect("log lock").join("\n");
                panic!("hallbox serve did not report its addresses within 30 s; log:\n{log}");
            }
        };
        Daemon {
            child,
            adms,
            api,
            log,
        }
    }

    /// Returns the API's `/metrics` text.
    pub fn metrics(&self) -> String {
        let response = send(self.api, "GET", "/metrics", b"").expect("GET /metrics");
        assert_eq!(response.status, 200, "{}", response.text());
        response.text()
    }

    /// Returns the value of the metric line that starts with `series`
    /// (name and labels), or `None` when there is no such line.
    pub fn metric(&self, series: &str) -> Option<f64> {
        self.metrics().lines().find_map(|line| {
            line.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
                .and_then(|value| value.trim().parse().ok())
        })
    }

    /// Kills the process with SIGKILL and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Returns the log lines that contain `needle`.
    pub fn log_lines(&self, needle: &str) -> Vec<String> {
        self.log
            .lock()
            .expect("log lock")
            .iter()
            .filter(|line| line.contains(needle))
            .cloned()
            .collect()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP response as received.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code from the status line.
    pub status: u16,
    /// Header names in lowercase, with their values, in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes, exactly `Content-Length` of them.
    pub body: Vec<u8>,
}

impl Response {
    /// Returns the first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Returns the body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `raw` to `address` on a new connection and reads the response up
/// to the end of the connection. The request should contain
/// `Connection: close`.
pub fn exchange(address: SocketAddr, raw: &[u8]) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(15)))?;
    stream.set_write_timeout(Some(Duration::from_secs(15)))?;
    stream.write_all(raw)?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes)?;
    parse_response(&bytes)
}

/// Builds a request the way a clock sends it: HTTP/1.1 with `Host`,
/// `User-Agent`, `Connection: close`, and `Content-Length` when there is a
/// body.
pub fn clock_request(method: &str, target: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: iClock Proxy/1.09\r\nConnection: close\r\n"
    );
    if method == "POST" {
        raw.push_str(&format!(
            "Content-Type: text/plain\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    raw.push_str("\r\n");
    let mut raw = raw.into_bytes();
    raw.extend_from_slice(body);
    raw
}

/// Sends a clock request and returns the response.
pub fn send(
    address: SocketAddr,
    method: &str,
    target: &str,
    body: &[u8],
) -> std::io::Result<Response> {
    exchange(address, &clock_request(method, target, body))
}

fn parse_response(bytes: &[u8]) -> std::io::Result<Response> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let split = bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| invalid("no end of headers"))?;
    let head = std::str::from_utf8(&bytes[..split]).map_err(|_| invalid("headers not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();

    let body = &bytes[split + 4..];
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .ok_or_else(|| invalid("no content-length"))?;
    if body.len() < length {
        return Err(invalid("body shorter than content-length"));
    }
    Ok(Response {
        status,
        headers,
        body: body[..length].to_vec(),
    })
}

/// Returns every event of `kind` in the journal at `path`, in sequence
/// order.
pub fn journal_events(path: &Path, kind: EventKind) -> Vec<StoredEvent> {
    let reader = JournalReader::open(path).expect("open the journal read-only");
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = reader.events_after(after, 10_000).expect("read events");
        let Some(last) = page.last() else { break };
        after = last.seq;
        events.extend(page.into_iter().filter(|event| event.kind == kind));
    }
    events
}

/// Polls `condition` every 50 ms until it is true or `timeout` passes, and
/// returns whether it became true.
pub fn wait_for(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// xorshift64*: a small seeded generator, so a failing run can be repeated
/// with the seed it prints.
pub struct Rng(u64);

impl Rng {
    /// Seeds from `ADMS_TEST_SEED` when set, else from the clock, and
    /// prints the seed.
    pub fn from_env() -> Rng {
        let seed = std::env::var("ADMS_TEST_SEED")
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|elapsed| elapsed.as_nanos() as u64)
                    .unwrap_or(1)
            });
        eprintln!("random seed: ADMS_TEST_SEED={seed}");
        Rng(seed.max(1))
    }

    /// Returns the next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Returns a number in `[low, high)`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low)
    }
}
