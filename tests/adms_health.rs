//! Access and health of ADMS clocks against the real `hallbox serve`: an
//! unknown serial number is rejected and logged, a silent clock is
//! journaled as lost and as connected again at its next request.

mod adms_support;

use std::time::Duration;

use adms_support::{free_port, journal_events, send, wait_for, write_config, Daemon, SERIAL};
use hallbox::journal::EventKind;

/// `(device, state)` of every device-status event in the journal.
fn statuses(journal: &std::path::Path) -> Vec<(String, String)> {
    journal_events(journal, EventKind::DeviceStatus)
        .into_iter()
        .map(|event| {
            let state = event.payload["state"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (event.device_id, state)
        })
        .collect()
}

#[test]
fn unknown_serial_rejected() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = write_config(dir.path(), free_port(), "", "");
    let daemon = Daemon::start(&config, "info");
    let journal = dir.path().join("journal.sqlite");

    for _ in 0..3 {
        let rejected = send(
            daemon.adms,
            "POST",
            "/iclock/cdata?SN=UNKNOWN0001&table=ATTLOG&Stamp=1",
            b"1001\t2025-06-02 08:01:15\t0\t15\t0\t0\t0\n",
        )
        .expect("request");
        assert_eq!(rejected.status, 403);
        assert_eq!(rejected.header("content-type"), Some("text/plain"));
        assert_eq!(rejected.text(), "ERROR: unknown serial number");
    }
    let handshake = send(
        daemon.adms,
        "GET",
        "/iclock/cdata?SN=UNKNOWN0001&options=all",
        b"",
    )
    .expect("request");
    assert_eq!(handshake.status, 403);

    // Nothing was stored, and the clock never counted as connected.
    assert!(journal_events(&journal, EventKind::Punch).is_empty());
    assert!(statuses(&journal).is_empty());

    // Logged, but not once per request: the daemon's repeat limit logs the
    // first few of a minute.
    for _ in 0..6 {
        send(daemon.adms, "GET", "/iclock/getrequest?SN=UNKNOWN0001", b"").expect("request");
    }
    assert!(
        wait_for(Duration::from_secs(5), || !daemon
            .log_lines("unknown serial number")
            .is_empty()),
        "no warning about the unknown serial number"
    );
    let warnings = daemon.log_lines("unknown serial number");
    assert!(
        warnings.len() <= hallbox::logging::REPEAT_BURST as usize,
        "{warnings:?}"
    );
    assert!(warnings[0].contains("UNKNOWN0001"), "{}", warnings[0]);
    assert!(warnings[0].contains("127.0.0.1"), "{}", warnings[0]);

    // The known clock is still served.
    let known = send(
        daemon.adms,
        "GET",
        &format!("/iclock/cdata?SN={SERIAL}&options=all"),
        b"",
    )
    .expect("request");
    assert_eq!(known.status, 200);
}

#[test]
fn silent_clock_marked_lost() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // Delay of 1 s and lost after 2 of them: lost after 2 s of silence. The
    // second clock never sends anything.
    let config = write_config(
        dir.path(),
        free_port(),
        "delay_seconds = 1\nlost_after_delays = 2",
        "[[adms.clock]]\nid = \"face-2\"\nserial_number = \"B2\"\n",
    );
    let daemon = Daemon::start(&config, "info");
    let journal = dir.path().join("journal.sqlite");
    let poll = format!("/iclock/getrequest?SN={SERIAL}");

    let connected = r#"hallbox_device_connected{device="face-1"}"#;
    let never_seen = r#"hallbox_device_connected{device="face-2"}"#;
    assert_eq!(daemon.metric(connected), Some(0.0));

    let first = send(daemon.adms, "GET", &poll, b"").expect("poll");
    assert_eq!(first.text(), "OK");
    assert_eq!(daemon.metric(connected), Some(1.0));
    assert_eq!(
        statuses(&journal),
        [("face-1".to_string(), "connected".to_string())]
    );

    // Silence: both clocks are lost after 2 s.
    assert!(
        wait_for(Duration::from_secs(10), || statuses(&journal).len() == 3),
        "clocks not marked lost: {:?}",
        statuses(&journal)
    );
    let mut lost = statuses(&journal)[1..].to_vec();
    lost.sort();
    assert_eq!(
        lost,
        [
            ("face-1".to_string(), "lost".to_string()),
            ("face-2".to_string(), "lost".to_string()),
        ]
    );

    let events = journal_events(&journal, EventKind::DeviceStatus);
    let face_1_lost = events
        .iter()
        .find(|event| event.device_id == "face-1" && event.payload["state"] == "lost")
        .expect("face-1 lost");
    assert_eq!(face_1_lost.payload["address"], "127.0.0.1");
    assert_eq!(face_1_lost.payload["sn"], SERIAL);
    let reason = face_1_lost.payload["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("no request for "), "{reason}");
    assert!(
        reason.contains("after 2 s, 2 times its Delay of 1 s"),
        "{reason}"
    );
    let face_2_lost = events
        .iter()
        .find(|event| event.device_id == "face-2")
        .expect("face-2 lost");
    assert_eq!(face_2_lost.payload["address"], serde_json::Value::Null);
    let reason = face_2_lost.payload["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("since the daemon started"), "{reason}");

    assert_eq!(daemon.metric(connected), Some(0.0));
    assert_eq!(daemon.metric(never_seen), Some(0.0));

    // Lost is journaled once, not every second.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(statuses(&journal).len(), 3);

    // The next request finds the clock again.
    send(daemon.adms, "GET", &poll, b"").expect("poll");
    let after = statuses(&journal);
    assert_eq!(
        after.last(),
        Some(&("face-1".to_string(), "connected".to_string()))
    );
    assert_eq!(after.len(), 4);
    assert_eq!(daemon.metric(connected), Some(1.0));
}

#[test]
fn lost_state_survives_restart() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = write_config(
        dir.path(),
        free_port(),
        "delay_seconds = 1\nlost_after_delays = 2",
        "",
    );
    let journal = dir.path().join("journal.sqlite");

    let mut daemon = Daemon::start(&config, "info");
    send(
        daemon.adms,
        "GET",
        &format!("/iclock/getrequest?SN={SERIAL}"),
        b"",
    )
    .expect("poll");
    assert!(
        wait_for(Duration::from_secs(10), || statuses(&journal).len() == 2),
        "{:?}",
        statuses(&journal)
    );
    daemon.kill();

    // Restarted, the silent clock is already lost: no second lost event.
    let daemon = Daemon::start(&config, "info");
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(
        statuses(&journal),
        [
            ("face-1".to_string(), "connected".to_string()),
            ("face-1".to_string(), "lost".to_string()),
        ]
    );
    drop(daemon);
}
