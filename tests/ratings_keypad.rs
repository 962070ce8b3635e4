//! End to end from the keypad protocol to the monthly report: simulated
//! keypads on a pseudo-terminal talk to the keypad driver of the real
//! `hallbox serve`, which stores each press before its ACK. The report and a
//! correction then run over HTTP on 127.0.0.1.
//!
//! The box stamps presses with its own clock, so the test reads the report
//! of the current month and asserts only what the presses decide: levels,
//! repeats, duty and the correction.
//!
//! NOTE: the test needs the keypad driver and its `[[device]] kind =
//! "keypad"` configuration. Until they are on this branch it is not listed
//! as a `[[test]]` in daemon/Cargo.toml, so cargo does not build it.

mod ratings_common;
mod support;

use std::time::Duration;

use chrono::{Datelike, Utc};
use hallbox::time::{utc_to_local, DEFAULT_TIME_ZONE};
use hallbox_drivers::keypad::{
    encode, Address, Button, Decoder, Frame, NakReason, Reception, ResetCause, SimulatedKeypad,
};
use hallbox_drivers::pty::PtyDevice;
use ratings_common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Time to wait for a reply before a resend: the keypad protocol's ACK
/// timeout of 1000 ms.
const ACK_TIMEOUT: Duration = Duration::from_millis(1_000);
/// Transmissions of one frame before the keypad gives up, from the keypad
/// protocol.
const MAX_ATTEMPTS: u32 = 8;

/// Roster of the test: W01 S002, W03 S004, nobody at W02; and the keypad
/// bus `keypads` with keypads 1 to 3 on windows W01 to W03 and the default
/// five-button map.
fn sections(port: &std::path::Path) -> String {
    format!(
        r#"
[[duty]]
window = "W01"
staff = "S002"
from = 2020-01-01

[[duty]]
window = "W03"
staff = "S004"
from = 2020-01-01

[[device]]
id = "{BUS}"
kind = "keypad"
port = "{}"
keypads = {{ 1 = "W01", 2 = "W02", 3 = "W03" }}
"#,
        port.display()
    )
}

/// The device side of the keypad bus.
struct Bus {
    pty: PtyDevice,
    decoder: Decoder,
}

impl Bus {
    /// Sends `frame` and returns the box's reply to it, resending after
    /// each ACK timeout as a keypad does: the daemon may not have opened
    /// the port yet when the first frame goes out.
    async fn exchange(&mut self, frame: &Frame) -> Frame {
        for _ in 0..MAX_ATTEMPTS {
            self.pty
                .write_all(&encode(frame))
                .await
                .expect("write to the keypad pty");
            if let Some(reply) = self.reply_to(frame).await {
                return reply;
            }
        }
        panic!("no reply to {frame:?} after {MAX_ATTEMPTS} transmissions");
    }

    /// Returns the ACK or NAK to `request`, or `None` after the ACK timeout.
    async fn reply_to(&mut self, request: &Frame) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + ACK_TIMEOUT;
        let mut buffer = [0u8; 256];
        loop {
            while let Some(frame) = self.decoder.next_frame() {
                let reply = matches!(frame, Frame::Ack(_) | Frame::Nak(_))
                    && frame.address() == request.address()
                    && frame.session() == request.session()
                    && frame.sequence() == request.sequence();
                if reply {
                    return Some(frame);
                }
            }
            let read = tokio::time::timeout_at(deadline, self.pty.read(&mut buffer)).await;
            match read {
                Ok(Ok(read)) if read > 0 => self.decoder.push(&buffer[..read]),
                _ => return None,
            }
        }
    }

    /// Presses `button` on `keypad` and checks that the box acknowledges a
    /// new press.
    async fn press(&mut self, keypad: &mut SimulatedKeypad, button: u8, uptime_ms: u32) {
        let frame = keypad
            .press(Button::new(button).expect("button"), uptime_ms)
            .expect("keypad idle");
        let reply = self.exchange(&frame).await;
        let reception = keypad.receive(&reply, uptime_ms + 5);
        assert!(
            matches!(
                reception,
                Reception::Acknowledged {
                    duplicate: false,
                    ..
                }
            ),
            "press of button {button}: {reply:?}"
        );
    }
}

fn counts(window: &Value) -> (u64, u64, u64, Value) {
    let n = |key: &str| {
        window[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {window}"))
    };
    (
        n("presses"),
        n("repeats"),
        n("valid"),
        window["counts"].clone(),
    )
}

fn level_counts(levels: [u64; 5]) -> Value {
    json!({
        "very_satisfied": levels[0],
        "satisfied": levels[1],
        "basically_satisfied": levels[2],
        "unsatisfied": levels[3],
        "very_unsatisfied": levels[4],
    })
}

fn window<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["windows"]
        .as_array()
        .expect("windows")
        .iter()
        .find(|w| w["window_id"] == id)
        .unwrap_or_else(|| panic!("window {id} in {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keypad_presses_to_report() {
    let dir = tempfile::tempdir().unwrap();
    let pty = PtyDevice::open().expect("open a pty pair");
    let link = dir.path().join("keypads");
    pty.link_at(&link).expect("link the pty");
    let config = write_config(dir.path(), MONDAY_TO_FRIDAY, &sections(&link));
    let server = support::Server::start(&config);
    let mut bus = Bus {
        pty,
        decoder: Decoder::new(),
    };

    // Three keypads boot and send HELLO.
    let mut keypads: Vec<SimulatedKeypad> = (1..=3u8)
        .map(|n| {
            SimulatedKeypad::new(
                Address::new(n).expect("address"),
                0x5EED_0000 + u32::from(n),
            )
        })
        .collect();
    for keypad in &mut keypads {
        let hello = keypad.hello(ResetCause::PowerOn, 100).expect("hello");
        let reply = bus.exchange(&hello).await;
        assert!(
            matches!(keypad.receive(&reply, 105), Reception::Acknowledged { .. }),
            "{reply:?}"
        );
    }

    // Keypad 1 (W01): 非常满意, then 不满意 well within 3 s, a repeat.
    // Keypad 2 (W02, nobody on duty): 非常不满意. Keypad 3 (W03): 不满意.
    bus.press(&mut keypads[0], 1, 1_000).await;
    bus.press(&mut keypads[0], 4, 1_500).await;
    bus.press(&mut keypads[1], 5, 1_000).await;
    bus.press(&mut keypads[2], 4, 1_000).await;
    let month_now = utc_to_local(DEFAULT_TIME_ZONE, Utc::now()).date();

    // A resend of keypad 3's press is acknowledged as a duplicate and not
    // stored again; button 6 has no level.
    let resent = Frame::Press(hallbox_drivers::keypad::Press {
        address: Address::new(3).expect("address"),
        session: 0x5EED_0003,
        sequence: 0,
        button: Button::new(4).expect("button"),
        pressed_at_ms: 1_000,
    });
    let reply = bus.exchange(&resent).await;
    assert!(
        matches!(reply, Frame::Ack(ack) if ack.duplicate),
        "{reply:?}"
    );
    let unknown = keypads[1]
        .press(Button::new(6).expect("button"), 2_000)
        .expect("keypad idle");
    let reply = bus.exchange(&unknown).await;
    assert!(
        matches!(reply, Frame::Nak(nak) if nak.reason == NakReason::UnknownButton),
        "{reply:?}"
    );

    let month = format!("{:04}-{:02}", month_now.year(), month_now.month());
    let report_url = server.url(&format!("/api/v1/ratings/monthly?month={month}"));
    let (status, report) = get(&report_url).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["hall"]["presses"], 4, "{report}");
    assert_eq!(
        counts(window(&report, "W01")),
        (2, 1, 1, level_counts([1, 0, 0, 0, 0]))
    );
    let w02 = window(&report, "W02");
    assert_eq!(counts(w02), (1, 0, 1, level_counts([0, 0, 0, 0, 1])));
    assert_eq!(w02["nobody_on_duty"], 1);
    assert_eq!(w02["score"], 12.0);
    let w03 = window(&report, "W03");
    assert_eq!(counts(w03), (1, 0, 1, level_counts([0, 0, 0, 1, 0])));
    assert_eq!(w03["excellent_eligible"], false);

    let lines = report["ratings"].as_array().expect("ratings");
    let mut keypads_seen: Vec<&str> = lines
        .iter()
        .map(|line| line["keypad"].as_str().expect("keypad"))
        .collect();
    keypads_seen.sort_unstable();
    assert_eq!(
        keypads_seen,
        ["keypads:1", "keypads:1", "keypads:2", "keypads:3"]
    );
    let w03_line = lines
        .iter()
        .find(|line| line["window_id"] == "W03")
        .expect("W03 press");
    assert_eq!(w03_line["staff_id"], "S004");
    assert_eq!(w03_line["button"], 4);
    let rating = w03_line["seq"].as_i64().expect("rating id");

    // The chief of hrss has the press corrected to 满意, and the bureau
    // approves.
    let url = server.url(&format!("/api/v1/ratings/{rating}/corrections"));
    let body = json!({"level": "satisfied", "reason": "申请人误按", "requested_by": "S004"});
    let (status, filed) = post(&url, &body).await;
    assert_eq!(status, 201, "{filed}");
    let id = filed["id"].as_i64().expect("correction id");
    let url = server.url(&format!("/api/v1/corrections/{id}/approve"));
    let body = json!({"reason": "已核实", "decided_by": "bureau-wang"});
    let (status, approved) = post(&url, &body).await;
    assert_eq!(status, 200, "{approved}");

    let (status, report) = get(&report_url).await;
    assert_eq!(status, 200, "{report}");
    let w03 = window(&report, "W03");
    assert_eq!(counts(w03), (1, 0, 1, level_counts([0, 1, 0, 0, 0])));
    assert_eq!(w03["score"], 15.0);
    assert_eq!(w03["excellent_eligible"], true);
    let line = report["ratings"]
        .as_array()
        .expect("ratings")
        .iter()
        .find(|line| line["seq"] == rating)
        .expect("corrected press");
    assert_eq!(line["original_level"], "unsatisfied");
    assert_eq!(line["effective_level"], "satisfied");
    assert_eq!(line["correction"]["approved_by"], "bureau-wang");

    let csv_url = format!("{report_url}&format=csv&table=ratings");
    let (status, bytes) = get_bytes(&csv_url).await;
    assert_eq!(status, 200);
    assert_eq!(csv_rows(&bytes).len(), 1 + 4, "header and four presses");
}
