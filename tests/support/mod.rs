//! Helpers shared by the end-to-end tests: paths, the `hallbox` binary, and
//! a server process bound to an ephemeral port on 127.0.0.1.

#![allow(dead_code)]

pub mod hall;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The `hallbox` binary cargo built for these tests.
pub fn hallbox() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hallbox"))
}

/// Runs `hallbox ARGS` to completion.
pub fn run(args: &[&str]) -> Output {
    hallbox()
        .args(args)
        .output()
        .expect("failed to run hallbox")
}

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("daemon has a parent")
        .to_path_buf()
}

/// A file under `shared/data` beside the repository, where CI puts it.
///
/// Outside CI the folder may be absent: the caller skips its test with a
/// message. Under CI (`CI` set) a missing file fails the test.
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let path = repo_root().join("../shared/data").join(relative);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!("{} is missing, but CI must provide it", path.display());
    }
    eprintln!(
        "skipped: {} not found (it is provided beside the repository in CI)",
        path.display()
    );
    None
}

/// A `hallbox serve` process, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base_url: String,
}

impl Server {
    /// Starts `hallbox serve --config FILE` and waits for its address line.
    pub fn start(config: &Path) -> Server {
        Server::start_with(config, Stdio::inherit(), &[])
    }

    /// Starts `hallbox serve --config FILE` with its log (standard error)
    /// going to `stderr` and the environment variables `env` set.
    pub fn start_with(config: &Path, stderr: Stdio, env: &[(&str, &str)]) -> Server {
        let mut child = hallbox()
            .args(["serve", "--config"])
            .arg(config)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("failed to start hallbox serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("hallbox: serving on ") {
                    let _ = sender.send(url.to_string());
                }
            }
        });
        let base_url = match receiver.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("hallbox serve did not report its address within 30 s");
            }
        };
        Server { child, base_url }
    }

    /// The URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Prepares the demo hall in `dir` (configuration, calendars and a journal
/// with November 2026 imported) with the API on an ephemeral port of
/// 127.0.0.1, and returns the configuration's path.
pub fn demo_site(dir: &Path) -> PathBuf {
    let output = run(&[
        "demo",
        "--no-serve",
        "--dir",
        dir.to_str().expect("UTF-8 path"),
    ]);
    assert!(
        output.status.success(),
        "hallbox demo --no-serve failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let config = dir.join("hallbox.toml");
    let text = std::fs::read_to_string(&config).expect("demo configuration");
    let text = text.replace("listen = \"127.0.0.1:8080\"", "listen = \"127.0.0.1:0\"");
    // The test tokens, so tests can call the API with `get_as`.
    let text = format!("{}\n{}", without_devices(&text), token_section(&TOKENS));
    std::fs::write(&config, text).expect("write the configuration");
    config
}

/// Sends `GET url` with the bearer token of test token `id`.
pub async fn get_as(id: &str, url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(token(id))
        .send()
        .await
        .expect("request to the test server")
}

/// Removes the `[[device]]` entries from configuration text. The demo's
/// devices are pseudo-terminals that close when `hallbox demo` exits, so a
/// server started on its configuration afterwards has no devices.
pub fn without_devices(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut in_device = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            in_device = trimmed == "[[device]]";
        }
        if !in_device {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

/// Reads lines from `stdout` on a thread and returns the address of the
/// "hallbox: serving on" line, waiting at most 30 s.
pub fn wait_for_address(stdout: std::process::ChildStdout) -> Option<String> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.strip_prefix("hallbox: serving on ") {
                let _ = sender.send(url.to_string());
            }
        }
    });
    receiver.recv_timeout(Duration::from_secs(30)).ok()
}

/// Sends SIGTERM to `child`.
pub fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("failed to run kill");
    assert!(status.success(), "kill -TERM {} failed", child.id());
}

/// Waits for `child` to exit, at most `limit`; kills it and panics after.
pub fn wait_with_limit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("failed to poll the child") {
            return status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hallbox did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A child process killed when dropped, so a failed assertion does not
/// leave a daemon running.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A test token: its `[[token]]` id, role, unit and the token text.
#[derive(Debug, Clone, Copy)]
pub struct TestToken {
    pub id: &'static str,
    pub role: &'static str,
    pub unit: Option<&'static str>,
    pub token: &'static str,
}

/// One token per role, and a chief token for each of two units.
pub const TOKENS: [TestToken; 5] = [
    TestToken {
        id: "bureau-1",
        role: "bureau",
        unit: None,
        token: "hbx_test_bureau_0000000000000000000000000000000000000000000000000001",
    },
    TestToken {
        id: "hr-1",
        role: "hr",
        unit: None,
        token: "hbx_test_hr_00000000000000000000000000000000000000000000000000000002",
    },
    TestToken {
        id: "central-1",
        role: "central",
        unit: None,
        token: "hbx_test_central_000000000000000000000000000000000000000000000000003",
    },
    TestToken {
        id: "chief-tax",
        role: "chief",
        unit: Some("tax"),
        token: "hbx_test_chief_tax_0000000000000000000000000000000000000000000000004",
    },
    TestToken {
        id: "chief-hrss",
        role: "chief",
        unit: Some("hrss"),
        token: "hbx_test_chief_hrss_000000000000000000000000000000000000000000000005",
    },
];

/// The token of `id` in [`TOKENS`].
pub fn token(id: &str) -> &'static str {
    TOKENS
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("no test token {id}"))
        .token
}

/// The `[[token]]` entries of `tokens`, with the SHA-256 of each token.
pub fn token_section(tokens: &[TestToken]) -> String {
    let mut text = String::new();
    for t in tokens {
        text.push_str(&format!(
            "\n[[token]]\nid = \"{}\"\nrole = \"{}\"\n",
            t.id, t.role
        ));
        if let Some(unit) = t.unit {
            text.push_str(&format!("unit = \"{unit}\"\n"));
        }
        text.push_str(&format!(
            "sha256 = \"{}\"\n",
            hex::encode(hallbox::auth::hash_token(t.token))
        ));
    }
    text
}

/// The shipped calendar files, as absolute paths for a config's
/// `[calendar] files`.
pub fn calendar_files() -> String {
    let dir = repo_root().join("config/calendar");
    format!(
        "[\"{}\", \"{}\"]",
        dir.join("cn-2025.toml").display(),
        dir.join("cn-2026.toml").display()
    )
}

/// A hall of two units on the official calendar, with the journal in
/// `dir`, a body limit of 64 KiB and every test token:
///
/// | staff | name | unit | PIN |
/// | --- | --- | --- | --- |
/// | S001 | 马建国 | tax (chief) | 1 |
/// | S002 | 韩丽 | tax | 2 |
/// | S004 | 李振华 | hrss (chief) | 4 |
pub fn hall_config(dir: &Path) -> PathBuf {
    let text = format!(
        r#"
[site]
name = "测试大厅"

[http]
listen = "127.0.0.1:0"
max_body_bytes = 65536

[journal]
path = "journal.sqlite"

[calendar]
kind = "official"
files = {files}

[[unit]]
id = "tax"
name = "县税务局"
chief = "S001"
windows = [{{ id = "W01", name = "1号窗口" }}]

[[unit]]
id = "hrss"
name = "县人社局"
chief = "S004"
windows = [{{ id = "W03", name = "3号窗口" }}]

[[staff]]
id = "S001"
name = "马建国"
unit = "tax"
pins = ["1"]

[[staff]]
id = "S002"
name = "韩丽"
unit = "tax"
pins = ["2"]

[[staff]]
id = "S004"
name = "李振华"
unit = "hrss"
pins = ["4"]
{tokens}"#,
        files = calendar_files(),
        tokens = token_section(&TOKENS),
    );
    let path = dir.join("hallbox.toml");
    std::fs::write(&path, text).expect("write the test config");
    path
}

/// An attendance export line of PIN `pin` at local `time`
/// ("YYYY-MM-DD HH:MM:SS"), in the ZKTeco USB layout.
pub fn attlog_line(pin: &str, time: &str) -> String {
    format!("{pin:>9}\t{time}\t1\t0\t1\t0\n")
}
