//! Helpers shared by the end-to-end tests: paths, the `hallbox` binary, and
//! a server process bound to an ephemeral port on 127.0.0.1.

#![allow(dead_code)]

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
        let mut child = hallbox()
            .args(["serve", "--config"])
            .arg(config)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
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
    std::fs::write(&config, text).expect("write the configuration");
    config
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
