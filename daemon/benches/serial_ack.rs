//! Benchmark of commit-then-acknowledge over the real serial path.
//!
//! Run with `cargo bench -p hallbox --bench serial_ack`. It measures, in one
//! run and on one disk (a temporary folder in `HALLBOX_BENCH_DIR`, by
//! default the current folder):
//!
//! 1. a bare fsync: 4 KiB written into a preallocated file and
//!    `fdatasync`ed, as SQLite appends a commit to its write-ahead log;
//!    and the same for 4 KiB appended to a growing file;
//! 2. the journal commit of one event at a time through the ingest writer,
//!    without serial I/O. Its floor is measured next to it: the same row
//!    committed by a bare rusqlite loop on the journal's schema, with no
//!    writer thread, payload encoding or hash chain;
//! 3. acknowledgement latency of single keypad presses: a simulated keypad
//!    on a pseudo-terminal sends one PRESS, waits for its ACK, and sends
//!    the next, once with no bus turnaround (a point-to-point link) and
//!    once with the RS-485 default of 3 ms;
//! 4. throughput with 32 keypad buses sending at once, each bus a pty with
//!    16 keypads that each press again as soon as their ACK arrives, so
//!    presses share group commits.
//!
//! The daemon side is the library's ingest writer and device sessions in
//! this process, on a tokio runtime with two worker threads.

#[path = "../../tests/support/serial.rs"]
mod serial;

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hallbox::devices::BoxClock;
use hallbox_drivers::keypad::{Address, Button, Frame, Reception, SimulatedKeypad};

use serial::*;

/// Samples of the fsync and single-press latency measurements.
const SAMPLES: usize = 1_000;
/// Keypad buses of the throughput run.
const BUSES: usize = 32;
/// Keypads on each bus, unless `HALLBOX_BENCH_KEYPADS` sets another number
/// from 1 to 254.
const KEYPADS_PER_BUS: u8 = 16;
/// Presses each keypad makes in the throughput run.
const PRESSES_PER_KEYPAD: usize = 40;

fn main() {
    let base = std::env::var_os("HALLBOX_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");

    let fsync = {
        let dir = tempfile::tempdir_in(&base).expect("bench folder");
        fsync_latencies(dir.path())
    };
    let append_fsync = {
        let dir = tempfile::tempdir_in(&base).expect("bench folder");
        append_fsync_latencies(dir.path())
    };
    let bare_commits = {
        let dir = tempfile::tempdir_in(&base).expect("bench folder");
        bare_commit_latencies(dir.path())
    };
    let commits_alone = runtime.block_on(async {
        let dir = tempfile::tempdir_in(&base).expect("bench folder");
        single_commit_latencies(dir.path()).await
    });
    let single = runtime.block_on(async {
        let dir = tempfile::tempdir_in(&base).expect("bench folder");
        single_press_latencies(dir.path(), 0).await
    });
    let single_bus = runtime.block_on(async {
        let dir = tempfile::tempdir_in(&base).expect("bench folder");
        single_press_latencies(dir.path(), 3).await
    });
    let (events, elapsed, commits) = runtime.block_on(async {
        let dir = tempfile::tempdir_in(&base).expect("bench folder");
        throughput(dir.path()).await
    });

    let (direct_events, direct_elapsed) = runtime.block_on(async {
        let dir = tempfile::tempdir_in(&base).expect("bench folder");
        ingest_only(dir.path()).await
    });
    println!(
        "folder: {}",
        std::fs::canonicalize(&base).unwrap_or(base).display()
    );
    println!("| measurement | p50 | p99 | samples |");
    println!("| --- | --- | --- | --- |");
    print_row("bare fsync (4 KiB pwrite + fdatasync)", &fsync);
    print_row(
        "fsync of a growing file (4 KiB append + fdatasync)",
        &append_fsync,
    );
    print_row("one row through a bare rusqlite loop", &bare_commits);
    print_row("one event through the ingest writer", &commits_alone);
    print_row("keypad press to ACK over a pty, turnaround 0 ms", &single);
    print_row(
        "keypad press to ACK over a pty, turnaround 3 ms",
        &single_bus,
    );
    println!();
    println!(
        "throughput: {events} presses from {BUSES} buses x {} keypads in {:.2} s \
         = {:.0} presses/s, {commits} commits ({:.1} presses per commit)",
        keypads_per_bus(),
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64(),
        events as f64 / commits.max(1) as f64
    );
    print_rate(
        "the same load submitted straight to the ingest writer",
        direct_events,
        direct_elapsed,
    );
}

/// Builds a rating event as a keypad session stores it, with a unique key.
fn rating_event(writer: usize, press: usize) -> hallbox::journal::NewEvent {
    let now = chrono::Utc::now();
    hallbox::journal::NewEvent {
        kind: hallbox::journal::EventKind::Rating,
        device_id: format!("bus-{:02}", writer / 16),
        idempotency_key: format!("rating:bench:{writer}:{press}"),
        device_time: Some(now),
        received_at: now,
        subject: Some(format!("W{writer:03}")),
        raw: vec![0x7E; 18],
        payload: serde_json::json!({
            "window_id": format!("W{writer:03}"),
            "keypad_address": writer % 254 + 1,
            "session": writer,
            "sequence": press,
            "button": 1,
            "level": "very_satisfied",
            "repeat": false,
            "local_time": "2026-11-02 10:00:00",
        }),
    }
}

/// Times `SAMPLES` submissions of one event each to the ingest writer, each
/// awaited before the next: the commit alone, without serial I/O.
async fn single_commit_latencies(dir: &Path) -> Vec<Duration> {
    let (_, config) = write_config(dir, ROSTER);
    let daemon = Daemon::start(&config, BoxClock::system());
    let mut samples = Vec::with_capacity(SAMPLES);
    for index in 0..SAMPLES + 20 {
        let event = rating_event(0, index);
        let started = Instant::now();
        daemon.ingest.submit(event).await.expect("commit");
        if index >= 20 {
            samples.push(started.elapsed());
        }
    }
    daemon.stop().await;
    samples
}

/// Times `SAMPLES` commits of one row each by a bare rusqlite loop into a
/// journal file with the real schema and pragmas. Each transaction runs one
/// prepared `INSERT` of the row a rating event stores. There is no writer
/// thread and no payload encoding, and the hash is fixed: this is the floor
/// of a journal commit on this disk.
fn bare_commit_latencies(dir: &Path) -> Vec<Duration> {
    let path = dir.join("bare.sqlite");
    let tip = hallbox::journal::Journal::open(&path)
        .expect("create the journal schema")
        .last_seq();
    let conn = rusqlite::Connection::open(&path).expect("open the journal file");
    conn.pragma_update(None, "journal_mode", "wal")
        .expect("WAL");
    conn.pragma_update(None, "synchronous", "full")
        .expect("synchronous=FULL");
    let payload = serde_json::to_string(&rating_event(0, 0).payload).expect("payload");
    let mut insert = conn
        .prepare(
            "INSERT INTO events (
                seq, kind, device_id, idempotency_key, device_time, received_at,
                subject, raw, payload, prev_hash, hash
            ) VALUES (?1, 'rating', 'bus-00', ?2, ?3, ?3, 'W000', ?4, ?5, ?6, ?6)",
        )
        .expect("prepare the insert");

    let raw = [0x7Eu8; 18];
    let hash = [0xA5u8; 32];

    let mut samples = Vec::with_capacity(SAMPLES);
    for index in 0..SAMPLES + 20 {
        let key = format!("rating:bare:{index}");
        let time = chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        let started = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        insert
            .execute(rusqlite::params![
                tip + 1 + index as i64,
                key,
                time,
                &raw[..],
                payload,
                &hash[..]
            ])
            .expect("insert");
        conn.execute_batch("COMMIT").expect("commit");
        if index >= 20 {
            samples.push(started.elapsed());
        }
    }
    samples
}

/// Submits as many events as the throughput run from as many tasks straight
/// to the ingest writer, without serial I/O: the writer's own rate.
async fn ingest_only(dir: &Path) -> (usize, Duration) {
    let (_, config) = write_config(dir, ROSTER);
    let daemon = Daemon::start(&config, BoxClock::system());
    let writers = BUSES * usize::from(keypads_per_bus());
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let ingest = daemon.ingest.clone();
            tokio::spawn(async move {
                for press in 0..PRESSES_PER_KEYPAD {
                    let event = rating_event(writer, press);
                    ingest.submit(event).await.expect("commit");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("submitter");
    }
    let elapsed = started.elapsed();
    daemon.stop().await;
    (writers * PRESSES_PER_KEYPAD, elapsed)
}

fn keypads_per_bus() -> u8 {
    std::env::var("HALLBOX_BENCH_KEYPADS")
        .ok()
        .and_then(|text| text.parse().ok())
        .filter(|count| (1..=254).contains(count))
        .unwrap_or(KEYPADS_PER_BUS)
}

fn print_rate(name: &str, events: usize, elapsed: Duration) {
    println!(
        "{name}: {events} events in {:.2} s = {:.0} events/s",
        elapsed.as_secs_f64(),
        events as f64 / elapsed.as_secs_f64()
    );
}

fn print_row(name: &str, samples: &[Duration]) {
    println!(
        "| {name} | {:.2} ms | {:.2} ms | {} |",
        percentile(samples, 50.0).as_secs_f64() * 1e3,
        percentile(samples, 99.0).as_secs_f64() * 1e3,
        samples.len()
    );
}

fn percentile(samples: &[Duration], percent: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = ((percent / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank]
}

/// Times `SAMPLES` fdatasyncs of 4 KiB written at successive offsets of a
/// preallocated 4 MiB file.
fn fsync_latencies(dir: &Path) -> Vec<Duration> {
    let path = dir.join("fsync.bin");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)
        .expect("fsync file");
    let page = [0x5Au8; 4096];
    for _ in 0..1024 {
        file.write_all(&page).expect("preallocate");
    }
    file.sync_all().expect("sync preallocated file");
    file.seek(SeekFrom::Start(0)).expect("seek");

    (0..SAMPLES)
        .map(|index| {
            let offset = (index % 1024) as u64 * 4096;
            file.write_all_at(&page, offset).expect("write page");
            let started = Instant::now();
            file.sync_data().expect("fdatasync");
            started.elapsed()
        })
        .collect()
}

/// Times `SAMPLES` fdatasyncs of 4 KiB appended to a growing file, as a
/// write-ahead log grows between checkpoints: each also makes the file
/// system record the new size.
fn append_fsync_latencies(dir: &Path) -> Vec<Duration> {
    let path = dir.join("append.bin");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .expect("append file");
    let page = [0x5Au8; 4096];
    (0..SAMPLES)
        .map(|_| {
            file.write_all(&page).expect("append page");
            let started = Instant::now();
            file.sync_data().expect("fdatasync");
            started.elapsed()
        })
        .collect()
}

/// Times `SAMPLES` presses of one keypad from PRESS to ACK, with the box
/// waiting `turnaround_ms` of bus quiet before it replies.
async fn single_press_latencies(dir: &Path, turnaround_ms: u32) -> Vec<Duration> {
    let (pty, link) = plug(dir, "keypads");
    let text = format!(
        "{ROSTER}{}turnaround_ms = {turnaround_ms}\n",
        keypad_device("keypads", &link)
    );
    let (_, config) = write_config(dir, &text);
    let daemon = Daemon::start(&config, BoxClock::system());
    let mut bus = KeypadBus::new(pty);
    let mut keypad = SimulatedKeypad::new(Address::new(1).unwrap(), 0xBE0C_0001);

    let mut samples = Vec::with_capacity(SAMPLES);
    for index in 0..SAMPLES + 20 {
        let uptime = 10_000 * index as u32;
        let frame = keypad.press(Button::new(1).unwrap(), uptime).unwrap();
        let started = Instant::now();
        bus.send(&frame).await;
        let reply = bus
            .reply_to(&frame, DEADLINE)
            .await
            .expect("ACK within the deadline");
        let took = started.elapsed();
        assert!(
            matches!(reply, Frame::Ack(ack) if !ack.duplicate),
            "{reply:?}"
        );
        keypad.receive(&reply, uptime + 1);
        // The first presses warm up the page cache and the WAL file.
        if index >= 20 {
            samples.push(took);
        }
    }
    daemon.stop().await;
    samples
}

/// Runs `BUSES` buses of `keypads_per_bus()` keypads at once; returns the
/// presses stored, the time taken and the commits made.
async fn throughput(dir: &Path) -> (usize, Duration, u64) {
    let mut text = String::from(
        "[site]\nname = \"bench\"\n[journal]\npath = \"journal.sqlite\"\n\
         [calendar]\nkind = \"monday-to-friday\"\n\
         [[unit]]\nid = \"bench\"\nname = \"bench\"\nwindows = [\n",
    );
    for bus in 0..BUSES {
        for keypad in 1..=keypads_per_bus() {
            text.push_str(&format!(
                "    {{ id = \"W{bus:02}-{keypad:02}\", name = \"{bus}-{keypad}\" }},\n"
            ));
        }
    }
    text.push_str("]\n");
    let mut ptys = Vec::new();
    for bus in 0..BUSES {
        let (pty, link) = plug(dir, &format!("bus-{bus:02}"));
        let keypads: Vec<String> = (1..=keypads_per_bus())
            .map(|keypad| format!("{keypad} = \"W{bus:02}-{keypad:02}\""))
            .collect();
        text.push_str(&format!(
            "\n[[device]]\nid = \"bus-{bus:02}\"\nkind = \"keypad\"\nport = \"{}\"\nkeypads = {{ {} }}\n",
            link.display(),
            keypads.join(", ")
        ));
        ptys.push(pty);
    }
    let (_, config) = write_config(dir, &text);
    let daemon = Daemon::start(&config, BoxClock::system());
    let conn = reader(&daemon.journal);
    wait_for("every bus to connect", || {
        count_kind(&conn, "device_status") == BUSES as i64
    })
    .await;

    let commits_before = daemon.ingest.stats().commits.load(Ordering::Relaxed);
    let micros_before = daemon.ingest.stats().commit_micros.load(Ordering::Relaxed);
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let drivers: Vec<_> = ptys
        .into_iter()
        .enumerate()
        .map(|(index, pty)| tokio::spawn(drive_bus(pty, index as u32)))
        .collect();
    let mut events = 0;
    for driver in drivers {
        events += driver.await.expect("bus driver");
    }
    let elapsed = started.elapsed();
    let cpu = cpu_seconds() - cpu_before;
    let commits = daemon.ingest.stats().commits.load(Ordering::Relaxed) - commits_before;
    let micros = daemon.ingest.stats().commit_micros.load(Ordering::Relaxed) - micros_before;
    println!(
        "throughput run: writer busy committing {:.0} % of the time, {:.2} ms per commit; \
         process CPU {:.2} s of {:.2} s on 2 cores",
        micros as f64 / 1e4 / elapsed.as_secs_f64(),
        micros as f64 / 1e3 / commits.max(1) as f64,
        cpu,
        elapsed.as_secs_f64()
    );
    assert_eq!(
        count_kind(&conn, "rating") as usize,
        events,
        "every acknowledged press is stored"
    );
    daemon.stop().await;
    (events, elapsed, commits)
}

/// Presses every keypad of one bus `PRESSES_PER_KEYPAD` times, each press
/// as soon as the keypad's previous one is acknowledged.
async fn drive_bus(pty: hallbox_drivers::pty::PtyDevice, bus_index: u32) -> usize {
    let mut bus = KeypadBus::new(pty);
    let mut keypads: Vec<SimulatedKeypad> = (1..=keypads_per_bus())
        .map(|n| SimulatedKeypad::new(Address::new(n).unwrap(), (bus_index << 8) | u32::from(n)))
        .collect();
    let mut done = vec![0usize; keypads.len()];
    let mut uptime = 0u32;
    let mut acked = 0;
    loop {
        uptime += 1;
        // Keypads that are free press at once; their frames go out back
        // to back, as they would on a busy bus.
        let mut frames = Vec::new();
        for (index, keypad) in keypads.iter_mut().enumerate() {
            if keypad.outstanding().is_none() && done[index] < PRESSES_PER_KEYPAD {
                frames.push(keypad.press(Button::new(1).unwrap(), uptime).unwrap());
            }
        }
        bus.send_all(&frames).await;
        if done.iter().all(|count| *count >= PRESSES_PER_KEYPAD) {
            return acked;
        }
        let Some(reply) = bus.next_frame(DEADLINE).await else {
            panic!("bus {bus_index}: no reply within {DEADLINE:?}");
        };
        let index = usize::from(reply.address().get()) - 1;
        if let Reception::Acknowledged { .. } = keypads[index].receive(&reply, uptime) {
            done[index] += 1;
            acked += 1;
        }
    }
}

/// User plus system CPU time of this process, from `/proc/self/stat`
/// (fields 14 and 15, in clock ticks of 1/100 s on Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("read /proc/self/stat");
    // Fields after the command name, which ends with the last ')'.
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let field = |index: usize| fields.get(index).and_then(|f| f.parse::<f64>().ok());
    let ticks = field(11).unwrap_or(0.0) + field(12).unwrap_or(0.0);
    ticks / 100.0
}
