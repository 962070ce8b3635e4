//! End to end over pseudo-terminal pairs: the daemon opens each pty's slave
//! by path with the same tokio-serial code as a USB adapter, and a simulated
//! keypad bus, fingerprint module and clock drive the device side.
//!
//! Every acknowledgement is checked against the SQLite file through a
//! connection of its own the moment it arrives: the row must already be
//! there. The box's clock is pinned, so repeat windows and skew are exact.

#[path = "support/serial.rs"]
mod serial;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hallbox::devices::BoxClock;
use hallbox_drivers::fingerprint::{Command, Finger, PollerConfig, SimulatedModule};
use hallbox_drivers::keypad::{
    Address, Button, Frame, NakReason, RequestType, ResetCause, SimulatedKeypad,
};
use rusqlite::Connection;
use serde_json::Value;
use tokio::io::AsyncWriteExt;

use serial::*;

/// Local time 2026-11-02 (a Monday) `h:m:s` in Asia/Shanghai, as UTC.
fn local(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    let naive = NaiveDate::from_ymd_opt(2026, 11, 2)
        .and_then(|d| d.and_hms_opt(h, m, s))
        .unwrap();
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&naive)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn address(value: u8) -> Address {
    Address::new(value).unwrap()
}

fn button(value: u8) -> Button {
    Button::new(value).unwrap()
}

/// (idempotency key, subject, payload) of the rating of keypad `address`
/// with `session` and `sequence`.
fn rating(conn: &Connection, address: u8, session: u32, sequence: u16) -> (String, String, Value) {
    conn.query_row(
        "SELECT idempotency_key, subject, payload FROM events WHERE kind = 'rating' \
         AND json_extract(payload, '$.keypad_address') = ?1 \
         AND json_extract(payload, '$.session') = ?2 \
         AND json_extract(payload, '$.sequence') = ?3",
        rusqlite::params![address, session, sequence],
        |row| {
            let payload: String = row.get(2)?;
            Ok((
                row.get(0)?,
                row.get(1)?,
                serde_json::from_str(&payload).unwrap(),
            ))
        },
    )
    .expect("rating row")
}

/// Sends `frame` and returns the reply to its keypad.
async fn exchange(bus: &mut KeypadBus, frame: &Frame) -> Frame {
    bus.send(frame).await;
    bus.reply_to(frame, DEADLINE)
        .await
        .unwrap_or_else(|| panic!("no reply to {frame:?}"))
}

/// Presses `button` on `keypad` and checks that the ACK arrives with the
/// row already stored.
async fn press_acked(
    bus: &mut KeypadBus,
    journal: &std::path::Path,
    keypad: &mut SimulatedKeypad,
    button_number: u8,
    uptime_ms: u32,
) -> Frame {
    let frame = keypad.press(button(button_number), uptime_ms).unwrap();
    let reply = exchange(bus, &frame).await;
    let Frame::Ack(ack) = reply else {
        panic!("expected ACK, got {reply:?}");
    };
    assert!(
        !ack.duplicate,
        "first transmission acknowledged as duplicate"
    );
    assert_eq!(ack.sequence, frame.sequence());
    // The ACK is out, so the row must be in the file already.
    let rows = rating_rows(
        &reader(journal),
        keypad.address().get(),
        keypad.session(),
        frame.sequence(),
    );
    assert_eq!(rows, 1, "ACK of {frame:?} before its row was stored");
    keypad.receive(&reply, uptime_ms + 5);
    frame
}

/// The keypad session marks repeats with `[ratings] repeat_window_seconds`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keypad_repeat_window_from_config() {
    let dir = tempfile::tempdir().unwrap();
    let (pty, link) = plug(dir.path(), "keypads");
    let text = format!(
        "{ROSTER}\n[ratings]\nrepeat_window_seconds = 10\n{}",
        keypad_device("keypads", &link)
    );
    let (_, config) = write_config(dir.path(), &text);
    let clock = BoxClock::system();
    let daemon = Daemon::start(&config, clock.clone());
    let journal = daemon.journal.clone();
    let mut bus = KeypadBus::new(pty);
    let mut keypad = SimulatedKeypad::new(address(1), 0x5EED_0101);

    // 10:00:00, then 5 s later (a repeat within 10 s), then 10 s after
    // that (not less than 10 s apart, so counted).
    let mut frames = Vec::new();
    for (index, second) in [0u32, 5, 15].into_iter().enumerate() {
        clock.pin(local(10, 0, second));
        let uptime = 1_000 * index as u32;
        frames.push(press_acked(&mut bus, &journal, &mut keypad, 1, uptime).await);
    }
    let conn = reader(&journal);
    let repeats: Vec<bool> = frames
        .iter()
        .map(|frame| {
            let (_, _, payload) = rating(&conn, 1, 0x5EED_0101, frame.sequence());
            payload["repeat"].as_bool().expect("repeat flag")
        })
        .collect();
    assert_eq!(repeats, [false, true, false]);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keypad_ack_follows_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (pty, link) = plug(dir.path(), "keypads");
    let text = format!("{ROSTER}{}", keypad_device("keypads", &link));
    let (_, config) = write_config(dir.path(), &text);
    let clock = BoxClock::system();
    clock.pin(local(10, 0, 0));
    let daemon = Daemon::start(&config, clock.clone());
    let journal = daemon.journal.clone();
    let mut bus = KeypadBus::new(pty);

    // Every keypad sends HELLO and gets an ACK at once.
    let mut keypads: Vec<SimulatedKeypad> = (1..=3)
        .map(|n| SimulatedKeypad::new(address(n), 0x5EED_0000 + u32::from(n)))
        .collect();
    for keypad in &mut keypads {
        let hello = keypad.hello(ResetCause::PowerOn, 100).unwrap();
        let reply = exchange(&mut bus, &hello).await;
        assert!(matches!(reply, Frame::Ack(ack) if ack.reply_to == RequestType::Hello));
        keypad.receive(&reply, 105);
    }

    // Nine presses 10 s apart over the three keypads, all five buttons.
    for index in 0..9u32 {
        clock.pin(local(10, 0, 0) + chrono::Duration::seconds(i64::from(10 * index)));
        let keypad = &mut keypads[(index % 3) as usize];
        press_acked(
            &mut bus,
            &journal,
            keypad,
            (index % 5 + 1) as u8,
            1_000 * index,
        )
        .await;
    }

    // The first press, field by field.
    let conn = reader(&journal);
    let (key, subject, payload) = rating(&conn, 1, 0x5EED_0001, 0);
    assert_eq!(key, "rating:keypads:1:5eed0001:0:0");
    assert_eq!(subject, "W01");
    assert_eq!(
        payload,
        serde_json::json!({
            "window_id": "W01",
            "keypad_address": 1,
            "session": 0x5EED_0001u32,
            "sequence": 0,
            "button": 1,
            "level": "very_satisfied",
            "repeat": false,
            "local_time": "2026-11-02 10:00:00",
        })
    );
    // Press 4 was button 5 on keypad 2 at 10:00:40.
    let (_, subject, payload) = rating(&conn, 2, 0x5EED_0002, 1);
    assert_eq!(subject, "W02");
    assert_eq!(payload["level"], "very_unsatisfied");
    assert_eq!(payload["local_time"], "2026-11-02 10:00:40");
    let (device_time, received_at): (String, String) = conn
        .query_row(
            "SELECT device_time, received_at FROM events WHERE idempotency_key = ?1",
            ["rating:keypads:1:5eed0001:0:0"],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(device_time, "2026-11-02T02:00:00.000000Z");
    assert_eq!(received_at, device_time);

    // A resend of keypad 3's last press: ACK with the duplicate flag, one row.
    let last = keypads[2].resend(9_000);
    assert!(
        last.is_none(),
        "keypad 3 has nothing outstanding after its ACK"
    );
    let resent = Frame::Press(hallbox_drivers::keypad::Press {
        address: address(3),
        session: 0x5EED_0003,
        sequence: 2,
        button: button(4),
        pressed_at_ms: 8_000,
    });
    let reply = exchange(&mut bus, &resent).await;
    assert!(
        matches!(reply, Frame::Ack(ack) if ack.duplicate),
        "{reply:?}"
    );
    assert_eq!(rating_rows(&conn, 3, 0x5EED_0003, 2), 1);

    // Keypad 1 pressed at 10:01:00; a press 2 s later is stored as a repeat.
    clock.pin(local(10, 1, 2));
    let frame = press_acked(&mut bus, &journal, &mut keypads[0], 2, 20_000).await;
    let (_, _, payload) = rating(&conn, 1, 0x5EED_0001, frame.sequence());
    assert_eq!(payload["repeat"], true);

    // Button 6 has no level, address 9 no keypad.
    let frame = keypads[1].press(button(6), 30_000).unwrap();
    let reply = exchange(&mut bus, &frame).await;
    assert!(
        matches!(reply, Frame::Nak(nak) if nak.reason == NakReason::UnknownButton),
        "{reply:?}"
    );
    keypads[1].receive(&reply, 30_005);
    let mut stranger = SimulatedKeypad::new(address(9), 1);
    let frame = stranger.press(button(1), 0).unwrap();
    let reply = exchange(&mut bus, &frame).await;
    assert!(
        matches!(reply, Frame::Nak(nak) if nak.reason == NakReason::UnknownKeypad),
        "{reply:?}"
    );

    // While the box clock reads 2000, presses wait: NAK busy, no row.
    clock.pin(Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap());
    let frame = keypads[1].press(button(1), 40_000).unwrap();
    let reply = exchange(&mut bus, &frame).await;
    assert!(
        matches!(reply, Frame::Nak(nak) if nak.reason == NakReason::Busy),
        "{reply:?}"
    );
    assert_eq!(rating_rows(&conn, 2, 0x5EED_0002, frame.sequence()), 0);
    // Once the clock is right, the resend is stored.
    clock.pin(local(10, 5, 0));
    let reply = exchange(&mut bus, &frame).await;
    assert!(
        matches!(reply, Frame::Ack(ack) if !ack.duplicate),
        "{reply:?}"
    );
    assert_eq!(rating_rows(&conn, 2, 0x5EED_0002, frame.sequence()), 1);
    keypads[1].receive(&reply, 40_010);

    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keypad_wrap_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (pty, link) = plug(dir.path(), "keypads");
    let text = format!("{ROSTER}{}", keypad_device("keypads", &link));
    let (_, config) = write_config(dir.path(), &text);
    let clock = BoxClock::system();
    clock.pin(local(11, 0, 0));
    let daemon = Daemon::start(&config, clock.clone());
    let journal = daemon.journal.clone();
    let mut bus = KeypadBus::new(pty);

    // Sequence 65535, then 0: the second press is new, in epoch 1.
    let mut keypad = SimulatedKeypad::new(address(2), 0xABCD_0001).with_next_sequence(65_535);
    press_acked(&mut bus, &journal, &mut keypad, 1, 1_000).await;
    clock.pin(local(11, 0, 30));
    press_acked(&mut bus, &journal, &mut keypad, 2, 31_000).await;
    let conn = reader(&journal);
    assert_eq!(
        rating(&conn, 2, 0xABCD_0001, 65_535).0,
        "rating:keypads:2:abcd0001:0:65535"
    );
    assert_eq!(
        rating(&conn, 2, 0xABCD_0001, 0).0,
        "rating:keypads:2:abcd0001:1:0"
    );

    // The box restarts; the keypad resends its last press, whose ACK it
    // never saw. The restored memory recognises it.
    daemon.stop().await;
    let daemon = Daemon::start(&config, clock.clone());
    let last = Frame::Press(hallbox_drivers::keypad::Press {
        address: address(2),
        session: 0xABCD_0001,
        sequence: 0,
        button: button(2),
        pressed_at_ms: 31_000,
    });
    let reply = exchange(&mut bus, &last).await;
    assert!(
        matches!(reply, Frame::Ack(ack) if ack.duplicate),
        "{reply:?}"
    );
    assert_eq!(rating_rows(&conn, 2, 0xABCD_0001, 0), 1);

    // The next press continues epoch 1, and 1 s after the restored last
    // press it is a repeat.
    clock.pin(local(11, 0, 31));
    let frame = press_acked(&mut bus, &journal, &mut keypad, 3, 32_000).await;
    let (key, _, payload) = rating(&conn, 2, 0xABCD_0001, frame.sequence());
    assert_eq!(key, "rating:keypads:2:abcd0001:1:1");
    assert_eq!(payload["repeat"], true);
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fingerprint_led_follows_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (pty, link) = plug(dir.path(), "fingerprint");
    let text = format!("{ROSTER}{}", fingerprint_device("fp-east", &link));
    let (_, config) = write_config(dir.path(), &text);
    let clock = BoxClock::system();
    clock.pin(local(8, 21, 7));
    let daemon = Daemon::start(&config, clock.clone());
    let journal = daemon.journal.clone();

    let module = Arc::new(Mutex::new(SimulatedModule::new()));
    let leds: LedLog = Arc::default();
    let server = tokio::spawn(serve_module(
        pty,
        Arc::clone(&module),
        journal.clone(),
        Arc::clone(&leds),
    ));
    let success = Command::AuraLedConfig(PollerConfig::default().aura_success);
    let failure = Command::AuraLedConfig(PollerConfig::default().aura_failure);

    // S002 is enrolled on page 5: one punch under PIN 2, then the success
    // signal, sent when the row was already in the file.
    module.lock().unwrap().set_finger(Finger::Enrolled {
        page_id: 5,
        score: 88,
    });
    wait_for("the first LED signal", || !leds.lock().unwrap().is_empty()).await;
    assert_eq!(leds.lock().unwrap()[0], (success, 1));
    let conn = reader(&journal);
    let (key, subject, payload): (String, String, String) = conn
        .query_row(
            "SELECT idempotency_key, subject, payload FROM events WHERE kind = 'punch'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!(key, "punch:fp-east:2:2026-11-02T08:21:07");
    assert_eq!(subject, "2");
    let payload: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(
        payload,
        serde_json::json!({
            "pin": "2",
            "local_time": "2026-11-02 08:21:07",
            "status": null,
            "verify": 1,
            "source": "fingerprint",
            "page_id": 5,
            "staff_id": "S002",
        })
    );

    // A finger that is not enrolled, then one on a page no staff member
    // has: the failure signal each time, and no new punch.
    for finger in [
        Finger::Unknown,
        Finger::Enrolled {
            page_id: 7,
            score: 60,
        },
    ] {
        lift(&module).await;
        let before = leds.lock().unwrap().len();
        module.lock().unwrap().set_finger(finger);
        wait_for("a failure signal", || leds.lock().unwrap().len() > before).await;
        assert_eq!(leds.lock().unwrap()[before], (failure, 1), "{finger:?}");
    }
    assert_eq!(count_kind(&conn, "punch"), 1);

    daemon.stop().await;
    server.abort();
}

/// Lifts the finger and waits until the poller has seen several empty
/// sensor reads, so the next finger counts as a new touch.
async fn lift(module: &Arc<Mutex<SimulatedModule>>) {
    module.lock().unwrap().set_finger(Finger::Absent);
    let start = module.lock().unwrap().received().len();
    wait_for("the finger to be lifted", || {
        module.lock().unwrap().received().len() >= start + 4
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_line_stores_punches() {
    let dir = tempfile::tempdir().unwrap();
    let (mut pty, link) = plug(dir.path(), "clock");
    let text = format!("{ROSTER}{}", clock_line_device("clock-east-1", &link));
    let (_, config) = write_config(dir.path(), &text);
    let clock = BoxClock::system();
    clock.pin(local(8, 25, 30));
    let daemon = Daemon::start(&config, clock.clone());
    let journal = daemon.journal.clone();

    // A good line split over three writes, garbage, a line from a clock
    // 10 minutes behind, and the first line again.
    let first = b"        1\t2026-11-02 08:25:13\t1\t0\t1\t0\r\n";
    for part in [&first[..5], &first[5..20], &first[20..]] {
        pty.write_all(part).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    pty.write_all(b"\xff\xfe\x00garbage\n2\t2026-13-02 08:00:00\t1\t0\t1\n")
        .await
        .unwrap();
    pty.write_all(b"        2\t2026-11-02 08:15:30\t1\t0\t1\t0\n")
        .await
        .unwrap();
    pty.write_all(first).await.unwrap();

    let conn = reader(&journal);
    wait_for("two clock punches", || count_kind(&conn, "punch") == 2).await;
    // The repeated line arrived last; give it time to be handled too.
    wait_for("the writer to see three punches", || {
        daemon
            .ingest
            .stats()
            .events
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 3
    })
    .await;
    assert_eq!(
        count_kind(&conn, "punch"),
        2,
        "the repeated line was stored twice"
    );

    let punch = |pin: &str| -> (String, String, Value) {
        conn.query_row(
            "SELECT idempotency_key, device_time, payload FROM events \
             WHERE kind = 'punch' AND subject = ?1",
            [pin],
            |row| {
                let payload: String = row.get(2)?;
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    serde_json::from_str(&payload).unwrap(),
                ))
            },
        )
        .unwrap()
    };
    let (key, device_time, payload) = punch("1");
    assert_eq!(key, "punch:clock-east-1:1:2026-11-02T08:25:13");
    assert_eq!(device_time, "2026-11-02T00:25:13.000000Z");
    assert_eq!(
        payload,
        serde_json::json!({
            "pin": "1",
            "local_time": "2026-11-02 08:25:13",
            "status": 0,
            "verify": 1,
            "source": "clock_line",
        })
    );
    // 08:15:30 against box time 08:25:30: 600 s behind, and the box's
    // time minus the clock's is positive.
    let (_, _, payload) = punch("2");
    assert_eq!(payload["clock_skew_flag"], true);
    assert_eq!(payload["clock_skew_seconds"], 600);

    // The garbage and the line with month 13 are counted for monitoring.
    let metrics = hallbox::metrics::render();
    assert!(
        metrics.contains(
            "hallbox_events_rejected_total{device=\"clock-east-1\",kind=\"punch\",reason=\"line\"} 2"
        ),
        "{metrics}"
    );

    daemon.stop().await;
}
