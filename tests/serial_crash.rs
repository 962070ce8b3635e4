//! Crash safety of commit-then-acknowledge with the real `hallbox` binary.
//!
//! Two keypad buses of three keypads each stream presses over pseudo-
//! terminals while the test kills `hallbox serve` with SIGKILL at random
//! moments and starts it again. A keypad resends its outstanding press every
//! 200 ms until it is acknowledged, as the firmware does on its ACK timeout.
//! At the end every acknowledged press must be in the journal exactly once,
//! no press may be stored twice, and the hash chain must verify.

#[path = "support/serial.rs"]
mod serial;
mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hallbox_drivers::keypad::{Address, Button, Frame, Reception, SimulatedKeypad};
use hallbox_drivers::pty::PtyDevice;

use serial::*;

/// Presses each keypad makes.
const PRESSES_PER_KEYPAD: u16 = 200;
/// Times the daemon is killed.
const KILLS: usize = 5;
/// Resend interval of the simulated keypads, shorter than the 1000 ms of
/// the protocol so the test stays short.
const RESEND: Duration = Duration::from_millis(200);

/// (bus id, address, session, sequence) of an acknowledged press.
type Acked = Arc<Mutex<BTreeSet<(String, u8, u32, u16)>>>;

/// Small deterministic generator (SplitMix64) for the kill times.
struct SplitMix(u64);

impl SplitMix {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % bound
    }
}

/// Drives three keypads on one bus until each has `PRESSES_PER_KEYPAD`
/// presses acknowledged.
async fn drive_bus(bus_id: String, pty: PtyDevice, session_base: u32, acked: Acked) {
    let mut bus = KeypadBus::new(pty);
    let mut keypads: Vec<SimulatedKeypad> = (1..=3)
        .map(|n| SimulatedKeypad::new(Address::new(n).unwrap(), session_base + u32::from(n)))
        .collect();
    let mut done = [0u16; 3];
    let started = Instant::now();
    let uptime = || started.elapsed().as_millis() as u32;
    let mut last_send = Instant::now();

    while done.iter().any(|count| *count < PRESSES_PER_KEYPAD) {
        // Idle keypads press the next button; outstanding ones resend.
        let resend_due = last_send.elapsed() >= RESEND;
        for (index, keypad) in keypads.iter_mut().enumerate() {
            if done[index] >= PRESSES_PER_KEYPAD {
                continue;
            }
            let frame = match keypad.outstanding().copied() {
                None => {
                    let button = Button::new((done[index] % 5 + 1) as u8).unwrap();
                    keypad.press(button, uptime()).unwrap()
                }
                Some(frame) if resend_due => frame,
                Some(_) => continue,
            };
            bus.send(&frame).await;
        }
        if resend_due {
            last_send = Instant::now();
        }

        // Replies that came in, each to the keypad it names; a keypad
        // ignores replies that do not match its outstanding frame.
        while let Some(reply) = bus.next_frame(Duration::from_millis(5)).await {
            let Some(index) = keypads.iter().position(|k| k.address() == reply.address()) else {
                continue;
            };
            let keypad = &mut keypads[index];
            let outstanding = keypad.outstanding().copied();
            if let Reception::Acknowledged { sequence, .. } = keypad.receive(&reply, uptime()) {
                assert!(matches!(outstanding, Some(Frame::Press(_))));
                acked.lock().unwrap().insert((
                    bus_id.clone(),
                    reply.address().get(),
                    keypad.session(),
                    sequence,
                ));
                done[index] += 1;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acked_press() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill times from seed {seed}");
    let mut random = SplitMix(seed);

    let dir = tempfile::tempdir().unwrap();
    let (bus_a, link_a) = plug(dir.path(), "bus-a");
    let (bus_b, link_b) = plug(dir.path(), "bus-b");
    let text = format!(
        "{ROSTER}{}{}",
        keypad_device("bus-a", &link_a),
        // The second bus rates the same windows from other addresses.
        keypad_device("bus-b", &link_b).replace(
            "1 = \"W01\", 2 = \"W02\", 3 = \"W03\"",
            "1 = \"W04\", 2 = \"W05\", 3 = \"W06\""
        )
    )
    .replace(
        "{ id = \"W03\", name = \"3号窗口\" },",
        "{ id = \"W03\", name = \"3号窗口\" },\n    { id = \"W04\", name = \"4号窗口\" },\n    \
         { id = \"W05\", name = \"5号窗口\" },\n    { id = \"W06\", name = \"6号窗口\" },",
    );
    let (config_path, config) = write_config(dir.path(), &text);

    let acked: Acked = Arc::default();
    let drivers = [
        tokio::spawn(drive_bus(
            "bus-a".into(),
            bus_a,
            0xA000_0000,
            Arc::clone(&acked),
        )),
        tokio::spawn(drive_bus(
            "bus-b".into(),
            bus_b,
            0xB000_0000,
            Arc::clone(&acked),
        )),
    ];

    // Kill the daemon at random moments while the keypads stream presses.
    let total = 6 * usize::from(PRESSES_PER_KEYPAD);
    for kill in 0..KILLS {
        let server = support::Server::start(&config_path);
        tokio::time::sleep(Duration::from_millis(20 + random.below(200))).await;
        drop(server);
        let acked_so_far = acked.lock().unwrap().len();
        assert!(
            acked_so_far < total,
            "the keypads finished before kill {kill}: raise PRESSES_PER_KEYPAD"
        );
    }
    let server = support::Server::start(&config_path);
    for driver in drivers {
        tokio::time::timeout(Duration::from_secs(60), driver)
            .await
            .expect("keypads finished within 60 s")
            .expect("keypad driver");
    }
    drop(server);

    // Every acknowledged press is stored exactly once.
    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), total);
    let conn = reader(&config.journal.path);
    for (bus, address, session, sequence) in &acked {
        let rows: i64 = conn
            .query_row(
                "SELECT count(*) FROM events WHERE kind = 'rating' AND device_id = ?1 \
                 AND json_extract(payload, '$.keypad_address') = ?2 \
                 AND json_extract(payload, '$.session') = ?3 \
                 AND json_extract(payload, '$.sequence') = ?4",
                rusqlite::params![bus, address, session, sequence],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(rows, 1, "press {bus} {address} {session:08x} {sequence}");
    }
    // And nothing else: no press was stored twice or out of thin air.
    assert_eq!(count_kind(&conn, "rating"), acked.len() as i64);
    let lost: i64 = conn
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'device_status' \
             AND json_extract(payload, '$.state') = 'connected'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert!(
        lost >= 2,
        "each daemon start journals its ports as connected"
    );

    let verify = support::run(&[
        "verify",
        "--journal",
        &config.journal.path.display().to_string(),
    ]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}
