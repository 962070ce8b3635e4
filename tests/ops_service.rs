//! The daemon as a systemd service: the notify protocol over a real
//! datagram socket, and a SIGTERM in the middle of a stream of imports.

mod support;

use std::collections::BTreeSet;
use std::net::TcpStream;
use std::os::unix::net::UnixDatagram;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use hallbox::demo::export::attlog_line;
use hallbox::journal::JournalReader;

/// Receives one datagram as text, or `None` after the socket's timeout.
fn receive(socket: &UnixDatagram) -> Option<String> {
    let mut buffer = [0_u8; 4096];
    match socket.recv(&mut buffer) {
        Ok(n) => Some(String::from_utf8_lossy(&buffer[..n]).into_owned()),
        Err(_) => None,
    }
}

#[test]
fn notify_ready_watchdog_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::demo_site(dir.path());
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();

    // systemd sets WATCHDOG_PID to the service's own pid: the shell's pid
    // is the daemon's once it execs. 400 ms means a ping every 200 ms.
    let mut child = support::KillOnDrop(
        std::process::Command::new("sh")
            .arg("-c")
            .arg("WATCHDOG_PID=$$ exec \"$0\" serve --config \"$1\"")
            .arg(env!("CARGO_BIN_EXE_hallbox"))
            .arg(&config)
            .env("NOTIFY_SOCKET", &socket_path)
            .env("WATCHDOG_USEC", "400000")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );

    // The first message is READY with the STATUS line naming the address.
    let first = receive(&socket).expect("a notification within 10 s");
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(lines[0], "READY=1", "{first}");
    let status = lines[1]
        .strip_prefix("STATUS=serving on ")
        .expect("STATUS line after READY");
    let (address, rest) = status.split_once(';').expect("address then devices");
    assert_eq!(rest, " no devices configured");

    // READY comes only after the journal and the listener are up.
    assert!(dir.path().join("journal.sqlite").is_file());
    TcpStream::connect(address).expect("the listener accepts once READY is sent");

    // Watchdog pings arrive while the journal writer is healthy.
    let started = Instant::now();
    let mut pings = 0;
    while started.elapsed() < Duration::from_millis(1500) {
        let message = receive(&socket).expect("a ping within 10 s");
        if message == "WATCHDOG=1\n" {
            pings += 1;
        }
    }
    assert!(pings >= 4, "{pings} pings in 1.5 s at a 200 ms period");

    // SIGTERM: STOPPING, then a clean exit.
    support::terminate(&child.0);
    let mut stopping = false;
    while let Some(message) = receive(&socket) {
        if message.lines().any(|line| line == "STOPPING=1") {
            stopping = true;
            break;
        }
    }
    assert!(stopping, "no STOPPING=1 after SIGTERM");
    let status = support::wait_with_limit(&mut child.0, Duration::from_secs(10));
    assert!(status.success(), "exit status {status}");
}

/// Events per import request in the stream test.
const LINES_PER_REQUEST: u32 = 20;

/// An export of `LINES_PER_REQUEST` punches of PIN `pin`, one minute apart
/// from 2025-06-02 08:00 local time.
fn export_for(pin: u32) -> (String, Vec<(String, chrono::NaiveDateTime)>) {
    let start = NaiveDate::from_ymd_opt(2025, 6, 2)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    let mut text = String::new();
    let mut punches = Vec::new();
    for i in 0..LINES_PER_REQUEST {
        let at = start + chrono::Duration::minutes(i64::from(i));
        text.push_str(&attlog_line(&pin.to_string(), at, "1", 1, 1));
        punches.push((pin.to_string(), at));
    }
    (text, punches)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_keeps_acknowledged_imports() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::demo_site(dir.path());
    let mut child = support::KillOnDrop(
        support::hallbox()
            .args(["serve", "--config"])
            .arg(&config)
            .env("HALLBOX_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let base = support::wait_for_address(child.0.stdout.take().unwrap()).expect("address line");

    // Four clients post exports back to back; each records the punches of
    // every request with a 200 response, which is the acknowledgement.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let sent = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let client = reqwest::Client::new();
    let mut clients = Vec::new();
    for worker in 0..4_u32 {
        let acknowledged = Arc::clone(&acknowledged);
        let sent = Arc::clone(&sent);
        let client = client.clone();
        let url = format!("{base}/api/v1/imports/attlog?device=clock-stream&new_device=true");
        clients.push(tokio::spawn(async move {
            for n in 0..10_000_u32 {
                let pin = 10_000 + worker * 10_000 + n;
                let (body, punches) = export_for(pin);
                sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Ok(response) = client
                    .post(&url)
                    .bearer_auth(support::token("bureau-1"))
                    .body(body)
                    .send()
                    .await
                else {
                    return;
                };
                if response.status() != 200 {
                    return;
                }
                let Ok(summary) = response.json::<serde_json::Value>().await else {
                    return;
                };
                assert_eq!(summary["imported"], LINES_PER_REQUEST, "{summary}");
                acknowledged.lock().unwrap().extend(punches);
            }
        }));
    }

    // Let the stream run, then stop the daemon in the middle of it.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let acked_before = acknowledged.lock().unwrap().len();
    assert!(acked_before > 0, "no import acknowledged before SIGTERM");
    support::terminate(&child.0);
    let stopped_at = Instant::now();
    let status = tokio::task::spawn_blocking(move || {
        support::wait_with_limit(&mut child.0, Duration::from_secs(15))
    })
    .await
    .unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(stopped_at.elapsed() < Duration::from_secs(15));
    for client in clients {
        client.await.unwrap();
    }

    // Every acknowledged punch is in the journal.
    let reader = JournalReader::open(dir.path().join("journal.sqlite")).unwrap();
    let from = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2025, 6, 3, 0, 0, 0).unwrap();
    let zone: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
    let stored: BTreeSet<(String, chrono::NaiveDateTime)> = reader
        .punch_rows_between(from, to, false)
        .unwrap()
        .into_iter()
        .filter(|row| row.device_id == "clock-stream")
        .map(|row| {
            let local = row.device_time.with_timezone(&zone).naive_local();
            (row.pin.trim_start_matches('0').to_string(), local)
        })
        .collect();
    let acknowledged = acknowledged.lock().unwrap();
    let missing: Vec<_> = acknowledged
        .iter()
        .filter(|punch| !stored.contains(*punch))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged punches missing, first {:?}",
        missing.len(),
        acknowledged.len(),
        missing.first()
    );
    assert!(acknowledged.len() >= acked_before);
    eprintln!(
        "requests sent {}, punches acknowledged {}, stored {}",
        sent.load(std::sync::atomic::Ordering::Relaxed),
        acknowledged.len(),
        stored.len()
    );
}

/// The journal writer as the server stops it: device tasks aborted in the
/// middle of `submit`, the last handle dropped, the writer joined. Every
/// event whose `submit` returned Ok is in the journal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborted_submitters_keep_acknowledged_events() {
    use hallbox::journal::{EventKind, Journal, NewEvent};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let (ingest, writer) = hallbox::ingest::start(Journal::open(&path).unwrap()).unwrap();

    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let mut devices = tokio::task::JoinSet::new();
    for device in 0..8 {
        let ingest = ingest.clone();
        let acknowledged = Arc::clone(&acknowledged);
        devices.spawn(async move {
            for n in 0_u64.. {
                let key = format!("stream:{device}:{n}");
                let now = Utc::now();
                let event = NewEvent {
                    kind: EventKind::Rating,
                    device_id: format!("keypad-{device}"),
                    idempotency_key: key.clone(),
                    device_time: Some(now),
                    received_at: now,
                    subject: None,
                    raw: vec![1, 2, 3],
                    payload: serde_json::json!({ "n": n }),
                };
                if ingest.submit(event).await.is_ok() {
                    acknowledged.lock().unwrap().push(key);
                }
            }
        });
    }

    tokio::time::sleep(Duration::from_millis(300)).await;
    devices.abort_all();
    while devices.join_next().await.is_some() {}
    drop(ingest);
    let journal = tokio::task::spawn_blocking(move || writer.join())
        .await
        .unwrap();
    drop(journal);

    let reader = JournalReader::open(&path).unwrap();
    let stored: BTreeSet<String> = reader
        .events_after(0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|event| event.idempotency_key)
        .collect();
    let acknowledged = acknowledged.lock().unwrap();
    assert!(
        acknowledged.len() > 100,
        "only {} events acknowledged",
        acknowledged.len()
    );
    let missing = acknowledged
        .iter()
        .filter(|key| !stored.contains(*key))
        .count();
    assert_eq!(missing, 0, "of {} acknowledged", acknowledged.len());
    // Events committed after their submitter was aborted are stored but
    // were never acknowledged, so the journal may hold more.
    assert!(stored.len() >= acknowledged.len());
}

/// The shipped unit passes `systemd-analyze verify` without a warning,
/// with its paths pointed at the binary cargo built. Where the tool is
/// missing the test prints that it was skipped.
#[test]
fn unit_file_verifies() {
    let unit = std::fs::read_to_string(support::repo_root().join("systemd/hallbox.service"))
        .expect("systemd/hallbox.service");
    let settings: Vec<&str> = unit
        .lines()
        .filter(|line| !line.starts_with('#') && line.contains('='))
        .collect();
    for required in [
        "Type=notify",
        "WatchdogSec=30",
        "StateDirectory=hallbox",
        "User=hallbox",
        "SupplementaryGroups=dialout gpio",
        "DeviceAllow=char-ttyUSB rw",
        "DeviceAllow=char-gpiochip rw",
    ] {
        assert!(settings.contains(&required), "{required} missing");
    }
    // PrivateDevices= would hide the serial and GPIO nodes.
    assert!(!settings
        .iter()
        .any(|line| line.starts_with("PrivateDevices=")));

    let Ok(version) = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
    else {
        eprintln!("skipped: systemd-analyze not found");
        return;
    };
    assert!(version.status.success());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hallbox.service");
    std::fs::write(
        &path,
        unit.replace("/usr/bin/hallbox", env!("CARGO_BIN_EXE_hallbox")),
    )
    .unwrap();
    let output = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let messages = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{messages}");
    // systemd-analyze exits 0 on unknown keys and bad values, and only
    // prints them.
    assert_eq!(
        messages.trim(),
        "",
        "systemd-analyze verify printed warnings"
    );
}

/// The package metadata names files that exist, ships the unit and the
/// configuration, and its postinst is valid shell that creates the
/// service user in the device groups.
#[test]
fn deb_metadata_and_postinst() {
    let root = support::repo_root();
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root.join("daemon/Cargo.toml")).unwrap()).unwrap();
    let deb = &manifest["package"]["metadata"]["deb"];
    let mut targets = Vec::new();
    for asset in deb["assets"].as_array().unwrap() {
        let source = asset[0].as_str().unwrap();
        let target = asset[1].as_str().unwrap();
        targets.push(target.to_string());
        if source == "target/release/hallbox" {
            continue;
        }
        assert!(
            root.join("daemon").join(source).is_file(),
            "asset {source} missing"
        );
    }
    assert!(targets.contains(&"usr/bin/".to_string()));
    assert!(targets.contains(&"etc/hallbox/hallbox.toml".to_string()));
    assert!(targets.contains(&"etc/hallbox/calendar/".to_string()));

    let units = &deb["systemd-units"];
    assert_eq!(units["unit-name"].as_str(), Some("hallbox"));
    let unit_dir = root
        .join("daemon")
        .join(units["unit-scripts"].as_str().unwrap());
    assert!(unit_dir.join("hallbox.service").is_file());

    let scripts = root
        .join("daemon")
        .join(deb["maintainer-scripts"].as_str().unwrap());
    let postinst = scripts.join("postinst");
    let syntax = std::process::Command::new("sh")
        .arg("-n")
        .arg(&postinst)
        .output()
        .unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    let text = std::fs::read_to_string(&postinst).unwrap();
    for line in [
        "adduser hallbox dialout",
        "adduser hallbox gpio",
        "chgrp hallbox /etc/hallbox/hallbox.toml",
        "#DEBHELPER#",
    ] {
        assert!(text.contains(line), "postinst lacks {line}");
    }
}

/// A network clock shows up everywhere an operator looks: lost in the
/// STATUS line, in `/readyz` once the threshold passes and on the device
/// page, then connected everywhere after its first request.
#[test]
fn clock_status_reaches_systemd_readyz_and_page() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::demo_site(dir.path());
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text
        .replace("listen = \"127.0.0.1:8081\"", "listen = \"127.0.0.1:0\"")
        .replace("# [[adms.clock]]\n", "[[adms.clock]]\n")
        .replace("# id = \"face-east-1\"", "id = \"face-east-1\"")
        .replace(
            "# serial_number = \"CKJ4213600282\"",
            "serial_number = \"CKJ4213600282\"",
        )
        .replace("lost_device_seconds = 300", "lost_device_seconds = 1");
    std::fs::write(&config, text).unwrap();

    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut child = support::KillOnDrop(
        support::hallbox()
            .args(["serve", "--config"])
            .arg(&config)
            .env("NOTIFY_SOCKET", &socket_path)
            .env("HALLBOX_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );

    // stdout names the ADMS listener, then the API.
    let stdout = child.0.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut adms = String::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(address) = line.strip_prefix("hallbox: adms listening on ") {
                adms = address.to_string();
            }
            if let Some(api) = line.strip_prefix("hallbox: serving on ") {
                let _ = sender.send((adms.clone(), api.to_string()));
            }
        }
    });
    let (adms, api) = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("address lines");
    assert!(adms.starts_with("http://127.0.0.1:"), "{adms}");
    let address = api.trim_start_matches("http://").to_string();

    // READY names the configured clock as lost until it calls.
    let first = receive(&socket).expect("READY within 10 s");
    assert_eq!(
        first,
        format!(
            "READY=1\nSTATUS=serving on {address}; devices: 0 of 1 connected; lost: face-east-1\n"
        )
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        // Past the 1 s threshold: not ready, and the device page says so.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let ready = reqwest::get(format!("{api}/readyz")).await.unwrap();
        assert_eq!(ready.status(), 503);
        let body: serde_json::Value = ready.json().await.unwrap();
        let problem = body["problems"][0].as_str().unwrap();
        // At least 1 s: a loaded machine may take longer to get here.
        assert!(
            problem.starts_with("device 'face-east-1' lost for "),
            "{problem}"
        );
        assert!(problem.ends_with(" s, longer than 1 s"), "{problem}");
        let page = support::get_as("hr-1", &format!("{api}/ui/devices"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains("1 台设备离线（共 1 台）：face-east-1"),
            "{page}"
        );

        // The clock's handshake connects it.
        let handshake = reqwest::get(format!("{adms}/iclock/cdata?SN=CKJ4213600282&options=all"))
            .await
            .unwrap();
        assert_eq!(handshake.status(), 200);
    });

    // The next STATUS line is the first since READY: the supervisor does
    // not repeat a line it already sent.
    let status = loop {
        let message = receive(&socket).expect("a STATUS update within 10 s");
        if message.starts_with("STATUS=") {
            break message;
        }
    };
    assert_eq!(
        status,
        format!("STATUS=serving on {address}; devices: 1 of 1 connected\n")
    );

    runtime.block_on(async {
        let ready = reqwest::get(format!("{api}/readyz")).await.unwrap();
        assert_eq!(ready.status(), 200);
        let metrics = reqwest::get(format!("{api}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains("hallbox_device_connected{device=\"face-east-1\"} 1"),
            "{metrics}"
        );
        let page = support::get_as("hr-1", &format!("{api}/ui/devices"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("全部 1 台设备在线"), "{page}");
    });

    support::terminate(&child.0);
    let status = support::wait_with_limit(&mut child.0, Duration::from_secs(15));
    assert!(status.success(), "exit status {status}");
}

/// A client that sends its request headers too slowly is cut off after
/// `header_timeout_seconds`, and the connection slots it held then serve
/// the next client.
#[test]
fn slow_headers_are_cut_off() {
    use std::io::{Read, Write};

    let dir = tempfile::tempdir().unwrap();
    let config = support::demo_site(dir.path());
    let text = std::fs::read_to_string(&config).unwrap();
    let text = support::without_devices(&text)
        .replace("header_timeout_seconds = 30", "header_timeout_seconds = 1")
        .replace("max_connections = 64", "max_connections = 2");
    std::fs::write(&config, text).unwrap();
    let server = support::Server::start(&config);
    let address = server.base_url.trim_start_matches("http://").to_string();

    // Two clients take both slots with half a request each.
    let mut stalled: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = TcpStream::connect(&address).unwrap();
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: hall\r\n")
                .unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));

    // A third client waits for a slot, then gets its response.
    let started = Instant::now();
    let mut third = TcpStream::connect(&address).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: hall\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    third.read_to_string(&mut answer).unwrap();
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(
        waited >= Duration::from_millis(500),
        "the third client was served after {waited:?}, before a slot was free"
    );

    // The stalled clients were closed without a response.
    for stream in &mut stalled {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buffer = [0u8; 256];
        match stream.read(&mut buffer) {
            Ok(0) => {}
            Ok(read) => {
                let text = String::from_utf8_lossy(&buffer[..read]).to_string();
                assert!(!text.contains("200 OK"), "a stalled client got {text}");
            }
            Err(error) => assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset),
        }
    }
}

/// A second daemon on the same journal fails to start and names the
/// reason. The first keeps serving.
#[test]
fn second_daemon_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::demo_site(dir.path());
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, support::without_devices(&text)).unwrap();
    let server = support::Server::start(&config);

    let mut second = support::KillOnDrop(
        support::hallbox()
            .args(["serve", "--config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let status = support::wait_with_limit(&mut second.0, Duration::from_secs(20));
    assert!(!status.success(), "the second daemon started");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut second.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("another hallbox daemon is serving the journal"),
        "{stderr}"
    );
    assert!(stderr.contains("journal.sqlite.serve.lock"), "{stderr}");

    let address = server.base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    std::io::Write::write_all(
        &mut stream,
        b"GET /healthz HTTP/1.1\r\nHost: hall\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
}

/// Sends `request` to `address` and returns the whole reply.
fn raw_exchange(address: &str, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    String::from_utf8_lossy(&reply).into_owned()
}

/// A sign-in whose `next` contains a line break goes to the device page, the
/// default, instead of failing.
#[test]
fn login_next_with_line_break() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::demo_site(dir.path());
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, support::without_devices(&text)).unwrap();
    let server = support::Server::start(&config);
    let address = server.base_url.trim_start_matches("http://").to_string();

    let body = format!(
        "token={}&next=%2Fui%2Fattendance%0D%0AX-Injected%3A%201",
        support::token("bureau-1")
    );
    let request = format!(
        "POST /ui/login HTTP/1.1\r\nHost: hall\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let reply = raw_exchange(&address, request.as_bytes());
    assert!(reply.starts_with("HTTP/1.1 303"), "{reply:?}");
    assert!(reply.contains("location: /ui/devices\r\n"), "{reply}");
    assert!(!reply.contains("X-Injected"), "{reply}");
}

/// A body sent a byte at a time is cut off after `header_timeout_seconds`
/// with a 408, so its connection slot serves the next client.
#[test]
fn slow_body_is_cut_off() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let config = support::demo_site(dir.path());
    let text = std::fs::read_to_string(&config).unwrap();
    let text = support::without_devices(&text)
        .replace("header_timeout_seconds = 30", "header_timeout_seconds = 2")
        .replace("max_connections = 64", "max_connections = 2");
    std::fs::write(&config, text).unwrap();
    let server = support::Server::start(&config);
    let address = server.base_url.trim_start_matches("http://").to_string();

    let mut slow: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = TcpStream::connect(&address).unwrap();
            stream
                .write_all(
                    b"POST /ui/login HTTP/1.1\r\nHost: hall\r\n\
                      Content-Type: application/x-www-form-urlencoded\r\n\
                      Content-Length: 100000\r\n\r\ntoken=",
                )
                .unwrap();
            stream
        })
        .collect();
    // Three times the limit, one byte a second.
    for _ in 0..6 {
        std::thread::sleep(Duration::from_secs(1));
        for stream in &mut slow {
            let _ = stream.write_all(b"a");
        }
    }
    let reply = raw_exchange(
        &address,
        b"GET /healthz HTTP/1.1\r\nHost: hall\r\nConnection: close\r\n\r\n",
    );
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply:?}");

    let mut answer = String::new();
    slow[0]
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = std::io::Read::read_to_string(&mut slow[0], &mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
}

/// An invalid `HALLBOX_LOG` is reported in the log instead of being
/// ignored without a word.
#[test]
fn invalid_log_env_reported() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let config = support::demo_site(dir.path());
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, support::without_devices(&text)).unwrap();
    let mut server =
        support::Server::start_with(&config, Stdio::piped(), &[("HALLBOX_LOG", "hallbox=[[bad")]);
    let stderr = server.child.stderr.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("invalid HALLBOX_LOG") {
                let _ = sender.send(line);
            }
        }
    });
    let line = receiver
        .recv_timeout(Duration::from_secs(10))
        .expect("a warning about HALLBOX_LOG within 10 s");
    assert!(line.contains("using [log] level instead"), "{line}");
    assert!(line.contains("hallbox=[[bad"), "{line}");
}
