//! Exactly once under SIGKILL: a simulated clock sends ATTLOG batches over
//! real HTTP on 127.0.0.1 while the test kills `hallbox serve` with SIGKILL
//! at random moments and starts it again on the same port. The clock sends
//! a batch again until it gets `OK: <n>` for it, as firmware does. In the
//! end every punch is in the journal exactly once and the hash chain holds.
//!
//! `ADMS_TEST_SEED=<n>` repeats the batch sizes and kill delays of a run;
//! the seed is printed on stderr.

mod adms_support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use adms_support::{free_port, journal_events, send, write_config, Daemon, Rng, SERIAL};
use chrono::NaiveDateTime;
use hallbox::journal::{EventKind, JournalReader, VerifyReport};

/// Punches the clock holds.
const PUNCHES: usize = 2000;
/// Largest batch, in punches. With 2000 punches there are at least 67
/// batches, and a kill comes at the latest every third upload attempt.
const MAX_BATCH: u64 = 30;
/// Minimum number of kills a run makes while the clock still sends.
const MIN_KILLS: u64 = 15;
/// Maximum time the whole exchange may take.
const DEADLINE: Duration = Duration::from_secs(240);

/// Returns the clock's punches as (idempotency key, 10-column line): 20
/// PINs taking turns, 37 s apart from 2025-06-02 07:00:00.
fn punch_lines() -> Vec<(String, String)> {
    let start = NaiveDateTime::parse_from_str("2025-06-02 07:00:00", "%Y-%m-%d %H:%M:%S")
        .expect("valid time");
    (0..PUNCHES)
        .map(|index| {
            let pin = format!("{}", 1001 + index % 20);
            let time = start + chrono::Duration::seconds(37 * index as i64);
            let time = time.format("%Y-%m-%d %H:%M:%S").to_string();
            let key = format!("punch:face-1:{pin}:{}", time.replace(' ', "T"));
            let line = format!("{pin}\t{time}\t0\t15\t0\t0\t0\t0\t0\t{index}\r\n");
            (key, line)
        })
        .collect()
}

/// Counters of the simulated clock.
#[derive(Default)]
struct ClockStats {
    /// Set while an upload request is on its way or awaiting the reply.
    in_flight: AtomicBool,
    batches: AtomicU64,
    attempts: AtomicU64,
    failed_attempts: AtomicU64,
}

/// Sends `batches` in order, each until it gets `OK: <n>`. After a failed
/// attempt it waits 20 ms and does the handshake again, as a clock does
/// after a network error. The handshake must resume from a stamp the box
/// may hold, which is the last acknowledged one or the one in flight.
fn run_clock(
    address: Arc<Mutex<std::net::SocketAddr>>,
    batches: Vec<String>,
    stats: Arc<ClockStats>,
    done: Arc<AtomicBool>,
) {
    let mut acknowledged_stamp = 0u64;
    for (index, body) in batches.iter().enumerate() {
        let stamp = index as u64 + 1;
        let lines = body.matches("\r\n").count();
        let expected = format!("OK: {lines}");
        let target = format!("/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp={stamp}");
        loop {
            let address = *address.lock().expect("address lock");
            stats.in_flight.store(true, Ordering::SeqCst);
            stats.attempts.fetch_add(1, Ordering::SeqCst);
            let sent = send(address, "POST", &target, body.as_bytes());
            stats.in_flight.store(false, Ordering::SeqCst);
            match sent {
                Ok(response) if response.status == 200 => {
                    assert_eq!(response.text(), expected, "batch {stamp}");
                    break;
                }
                _ => {
                    stats.failed_attempts.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                    let handshake = format!("/iclock/cdata?SN={SERIAL}&options=all");
                    if let Ok(reply) = send(address, "GET", &handshake, b"") {
                        if reply.status == 200 {
                            let text = reply.text();
                            let resumed_stamp = text
                                .lines()
                                .find_map(|line| line.strip_prefix("ATTLOGStamp="))
                                .and_then(|value| value.parse::<u64>().ok());
                            assert!(
                                resumed_stamp == Some(acknowledged_stamp) || resumed_stamp == Some(stamp),
                                "handshake stamp {resumed_stamp:?}, expected {acknowledged_stamp} or {stamp}"
                            );
                        }
                    }
                }
            }
        }
        acknowledged_stamp = stamp;
        stats.batches.fetch_add(1, Ordering::Relaxed);
    }
    done.store(true, Ordering::Relaxed);
}

#[test]
fn punches_exactly_once_across_sigkill() {
    let mut rng = Rng::from_env();
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = write_config(dir.path(), free_port(), "", "");
    let journal = dir.path().join("journal.sqlite");

    // Random batch sizes from 1 to MAX_BATCH.
    let punches = punch_lines();
    let mut batches = Vec::new();
    let mut next = 0;
    while next < punches.len() {
        let size = rng.range(1, MAX_BATCH + 1) as usize;
        let end = (next + size).min(punches.len());
        batches.push(
            punches[next..end]
                .iter()
                .map(|(_, line)| line.as_str())
                .collect::<String>(),
        );
        next = end;
    }
    let batch_count = batches.len();

    // Debug logs carry each commit's duplicate count.
    let log_filter = "hallbox=debug";
    let mut daemon = Daemon::start(&config, log_filter);
    let address = Arc::new(Mutex::new(daemon.adms));
    let stats = Arc::new(ClockStats::default());
    let done = Arc::new(AtomicBool::new(false));
    let clock = {
        let address = Arc::clone(&address);
        let stats = Arc::clone(&stats);
        let done = Arc::clone(&done);
        std::thread::spawn(move || run_clock(address, batches, stats, done))
    };

    // Let 0 to 2 upload attempts pass and wait for the next one to start.
    // Then kill the daemon a random 0 to 8 ms into it, which lands before,
    // during or after its commit, and start it again on the same port.
    let started = Instant::now();
    let mut kills = 0u64;
    let mut resent_committed = 0u64;
    loop {
        assert!(
            started.elapsed() < DEADLINE,
            "the clock did not finish in time"
        );
        let target = stats.attempts.load(Ordering::SeqCst) + rng.range(1, 4);
        let in_flight = wait_until(&done, || {
            stats.attempts.load(Ordering::SeqCst) >= target
                && stats.in_flight.load(Ordering::SeqCst)
        });
        if !in_flight {
            break;
        }
        std::thread::sleep(Duration::from_micros(rng.range(0, 8000)));
        resent_committed += count_resent(&daemon);
        daemon.kill();
        kills += 1;
        daemon = Daemon::start(&config, log_filter);
        *address.lock().expect("address lock") = daemon.adms;
    }
    clock.join().expect("the clock thread panicked");
    resent_committed += count_resent(&daemon);
    daemon.kill();

    eprintln!(
        "batches {batch_count}, attempts {}, failed attempts {}, kills {kills}, \
         batches resent after their commit {resent_committed}, {:.1} s",
        stats.attempts.load(Ordering::Relaxed),
        stats.failed_attempts.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(stats.batches.load(Ordering::Relaxed), batch_count as u64);
    assert!(
        kills >= MIN_KILLS,
        "only {kills} kills before the clock finished"
    );
    assert!(
        stats.failed_attempts.load(Ordering::Relaxed) > 0,
        "no upload attempt failed, so no kill hit the clock's traffic"
    );

    // Every punch exactly once: as many rows as punches, and the same keys.
    let stored = journal_events(&journal, EventKind::Punch);
    assert_eq!(stored.len(), PUNCHES);
    let stored_keys: BTreeSet<&str> = stored.iter().map(|p| p.idempotency_key.as_str()).collect();
    let expected_keys: BTreeSet<&str> = punches.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(stored_keys, expected_keys);

    // The raw line of each punch is the one the clock sent.
    for punch in &stored {
        let index: usize = std::str::from_utf8(&punch.raw)
            .ok()
            .and_then(|line| line.rsplit('\t').next())
            .and_then(|index| index.parse().ok())
            .expect("raw line ends with the punch index");
        assert_eq!(punch.idempotency_key, punches[index].0);
    }

    let reader = JournalReader::open(&journal).expect("open the journal");
    match reader.verify().expect("verify") {
        VerifyReport::Ok { .. } => {}
        broken => panic!("hash chain broken after the kills: {broken:?}"),
    }
}

/// Polls `condition` every 200 µs and returns true once it is true, or
/// returns false once `done` is set.
fn wait_until(done: &AtomicBool, mut condition: impl FnMut() -> bool) -> bool {
    loop {
        if condition() {
            return true;
        }
        if done.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Counts the commits in the daemon's log that found every punch of the
/// batch already stored: batches committed before a kill cut off their `OK`.
fn count_resent(daemon: &Daemon) -> u64 {
    daemon
        .log_lines("committed an upload")
        .iter()
        .filter(|line| line.contains(" stored=0 ") && !line.contains(" duplicate=0 "))
        .count() as u64
}
