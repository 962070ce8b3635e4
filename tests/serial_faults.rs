//! Faults around the serial sessions: a device unplugged and plugged back
//! in, and a journal that runs out of space.
//!
//! Unplugging closes the pty's device side, so the daemon's reads fail as
//! when a USB adapter is pulled. Plugging in makes a new pty and moves the
//! by-id style link to it, and the daemon reopens the link. A full disk is
//! simulated with SQLite's `max_page_count` on the writer's connection.

#[path = "support/serial.rs"]
mod serial;

use std::sync::atomic::Ordering;
use std::time::Duration;

use hallbox::devices::BoxClock;
use hallbox::journal::JournalReader;
use hallbox_drivers::keypad::{Address, Button, Frame, NakReason, SimulatedKeypad};

use serial::*;

fn button(value: u8) -> Button {
    Button::new(value).unwrap()
}

/// Sends `frame` until a reply comes, at most 40 times 250 ms apart, as a
/// keypad resends on its timer.
async fn send_until_reply(bus: &mut KeypadBus, frame: &Frame) -> Frame {
    for _ in 0..40 {
        bus.send(frame).await;
        if let Some(reply) = bus.reply_to(frame, Duration::from_millis(250)).await {
            return reply;
        }
    }
    panic!("no reply to {frame:?} in 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unplug_loses_no_resent_press() {
    let dir = tempfile::tempdir().unwrap();
    let (pty, link) = plug(dir.path(), "keypads");
    let text = format!("{ROSTER}{}", keypad_device("keypads", &link));
    let (_, config) = write_config(dir.path(), &text);
    let daemon = Daemon::start(&config, BoxClock::system());
    let conn = reader(&daemon.journal);
    let mut bus = KeypadBus::new(pty);
    let mut keypad = SimulatedKeypad::new(Address::new(1).unwrap(), 0x0BAD_CAB1);

    // One press through the first connection.
    let first = keypad.press(button(1), 0).unwrap();
    let reply = send_until_reply(&mut bus, &first).await;
    assert!(
        matches!(reply, Frame::Ack(ack) if !ack.duplicate),
        "{reply:?}"
    );
    keypad.receive(&reply, 10);

    // A second press goes out, and the adapter is pulled before any reply
    // is read: the press may or may not be stored by now.
    let second = keypad.press(button(2), 5_000).unwrap();
    bus.send(&second).await;
    drop(bus);
    wait_for("the daemon to journal the lost port", || {
        count_status(&conn, "lost") == 1
    })
    .await;

    // Plugged back in on a new pty behind the same link; the keypad
    // resends until the daemon has reopened the port and replies.
    let (pty, _) = plug(dir.path(), "keypads");
    let mut bus = KeypadBus::new(pty);
    let reply = send_until_reply(&mut bus, &second).await;
    assert!(matches!(reply, Frame::Ack(_)), "{reply:?}");
    keypad.receive(&reply, 6_000);
    assert_eq!(rating_rows(&conn, 1, 0x0BAD_CAB1, first.sequence()), 1);
    assert_eq!(rating_rows(&conn, 1, 0x0BAD_CAB1, second.sequence()), 1);

    // A third press on the new connection is stored as usual.
    let third = keypad.press(button(3), 9_000).unwrap();
    let reply = send_until_reply(&mut bus, &third).await;
    assert!(
        matches!(reply, Frame::Ack(ack) if !ack.duplicate),
        "{reply:?}"
    );
    assert_eq!(count_kind(&conn, "rating"), 3);
    assert_eq!(count_status(&conn, "connected"), 2);
    assert_eq!(count_status(&conn, "lost"), 1);

    daemon.stop().await;
}

/// Number of device-status rows in `state`.
fn count_status(conn: &rusqlite::Connection, state: &str) -> i64 {
    conn.query_row(
        "SELECT count(*) FROM events WHERE kind = 'device_status' \
         AND json_extract(payload, '$.state') = ?1",
        [state],
        |row| row.get(0),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_journal_stops_acks_until_space() {
    let dir = tempfile::tempdir().unwrap();
    let (pty, link) = plug(dir.path(), "keypads");
    let text = format!("{ROSTER}{}", keypad_device("keypads", &link));
    let (_, config) = write_config(dir.path(), &text);
    let daemon = Daemon::start(&config, BoxClock::system());
    let conn = reader(&daemon.journal);
    let mut bus = KeypadBus::new(pty);
    wait_for("the port to open", || count_status(&conn, "connected") == 1).await;

    // The journal may not grow past its current pages. Presses fill the
    // free space of those pages, then one commit fails.
    daemon.ingest.set_max_page_count(1);
    let mut keypad = SimulatedKeypad::new(Address::new(2).unwrap(), 0x00F0_11ED);
    let mut acked = Vec::new();
    let refused = loop {
        assert!(
            acked.len() < 500,
            "500 presses fit in a journal that may not grow"
        );
        let frame = keypad.press(button(1), 1_000 * acked.len() as u32).unwrap();
        let reply = send_until_reply(&mut bus, &frame).await;
        match reply {
            Frame::Ack(ack) => {
                assert!(!ack.duplicate);
                assert_eq!(rating_rows(&conn, 2, 0x00F0_11ED, frame.sequence()), 1);
                acked.push(frame.sequence());
                keypad.receive(&reply, 0);
            }
            Frame::Nak(nak) => {
                assert_eq!(nak.reason, NakReason::StorageFailure);
                assert_eq!(nak.retry_after_ms, 2_000);
                break frame;
            }
            other => panic!("unexpected reply {other:?}"),
        }
    };
    assert_eq!(rating_rows(&conn, 2, 0x00F0_11ED, refused.sequence()), 0);
    assert!(daemon.ingest.stats().failed_commits.load(Ordering::Relaxed) >= 1);

    // Still full: the resend is refused again, and HELLO still works.
    let reply = send_until_reply(&mut bus, &refused).await;
    assert!(
        matches!(reply, Frame::Nak(nak) if nak.reason == NakReason::StorageFailure),
        "{reply:?}"
    );
    let mut other = SimulatedKeypad::new(Address::new(3).unwrap(), 7);
    let hello = other
        .hello(hallbox_drivers::keypad::ResetCause::PowerOn, 0)
        .unwrap();
    let reply = send_until_reply(&mut bus, &hello).await;
    assert!(matches!(reply, Frame::Ack(_)), "{reply:?}");

    // Space again: the next resend is stored once and acknowledged.
    daemon.ingest.set_max_page_count(1 << 30);
    let reply = send_until_reply(&mut bus, &refused).await;
    assert!(
        matches!(reply, Frame::Ack(ack) if !ack.duplicate),
        "{reply:?}"
    );
    assert_eq!(rating_rows(&conn, 2, 0x00F0_11ED, refused.sequence()), 1);
    assert_eq!(count_kind(&conn, "rating"), acked.len() as i64 + 1);

    // Nothing half-written: the hash chain is whole.
    let journal = daemon.journal.clone();
    daemon.stop().await;
    let report = JournalReader::open(&journal).unwrap().verify().unwrap();
    assert!(
        matches!(report, hallbox::journal::VerifyReport::Ok { .. }),
        "{report:?}"
    );
}
