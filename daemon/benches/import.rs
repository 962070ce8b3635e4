//! Import throughput of a generated 1,000,000-line ZKTeco export, next to a
//! bare rusqlite loop that inserts the same rows in one transaction.
//!
//! Run with `cargo bench --bench import`. The export holds the first
//! 1,000,000 lines of a year in which 1,010 people punch all four
//! checkpoints on every working day of 2025 (248 days), in the real
//! `attlog.dat` layout. The bare loop inserts the rows the import
//! stored, read back from its journal, into a fresh journal file with the
//! same schema and settings (WAL, synchronous=FULL), with one prepared
//! statement and one transaction: the floor for writing those rows.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use hallbox::calendar::Calendar;
use hallbox::demo::export::{generate_month, Irregularities};
use hallbox::import::{import_attlog, time_limits};
use hallbox::journal::Journal;
use hallbox::rules::AttendanceSettings;
use hallbox::time::{Month, DEFAULT_TIME_ZONE};

const PEOPLE: u32 = 1_010;
const LINES: usize = 1_000_000;
const RUNS: usize = 3;

fn calendar() -> Calendar {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/calendar");
    Calendar::load_official(&[dir.join("cn-2025.toml"), dir.join("cn-2026.toml")])
        .expect("shipped calendars")
}

fn export() -> String {
    let calendar = calendar();
    let settings = AttendanceSettings::default();
    let pins: Vec<String> = (1..=PEOPLE).map(|p| (1000 + p).to_string()).collect();
    let mut text = String::new();
    for month in 1..=12 {
        let month = Month { year: 2025, month };
        text.push_str(
            &generate_month(&pins, month, &calendar, &settings, Irregularities::NONE, 7)
                .expect("2025 is in the calendar"),
        );
    }
    let end = text
        .match_indices('\n')
        .nth(LINES - 1)
        .map(|(index, _)| index + 1)
        .expect("the year has more lines than the bench imports");
    text.truncate(end);
    text
}

/// Inserts every row of `source` into a fresh journal at `target` in one
/// transaction, and returns the time the inserts and the commit took.
fn bare_loop(source: &Path, target: &Path) -> Duration {
    drop(Journal::open(target).expect("create the target journal with the same schema"));
    let read = rusqlite::Connection::open(source).unwrap();
    let mut select = read
        .prepare(
            "SELECT seq, kind, device_id, idempotency_key, device_time, received_at, subject, \
             raw, payload, prev_hash, hash FROM events ORDER BY seq",
        )
        .unwrap();
    type Row = (
        i64,
        String,
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        Vec<u8>,
        String,
        Vec<u8>,
        Vec<u8>,
    );
    let rows: Vec<Row> = select
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                r.get(10)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();

    let mut write = rusqlite::Connection::open(target).unwrap();
    write.pragma_update(None, "journal_mode", "wal").unwrap();
    write.pragma_update(None, "synchronous", "full").unwrap();
    write.pragma_update(None, "cache_size", -16 * 1024).unwrap();
    let started = Instant::now();
    let tx = write.transaction().unwrap();
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO events (seq, kind, device_id, idempotency_key, device_time, \
                 received_at, subject, raw, payload, prev_hash, hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .unwrap();
        for row in &rows {
            insert
                .execute(rusqlite::params![
                    row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10
                ])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    started.elapsed()
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn main() {
    let text = export();
    let lines = text.lines().count();
    println!("export: {lines} lines, {} bytes", text.len());

    let mut import_times = Vec::new();
    let mut bare_times = Vec::new();
    for run in 0..RUNS {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        let mut journal = Journal::open(&path).unwrap();
        let now = Utc::now();
        let limits = time_limits(
            &hallbox::config::ImportSettings {
                earliest: chrono::NaiveDate::from_ymd_opt(2010, 1, 1).unwrap(),
                max_future: chrono::Duration::days(1),
            },
            DEFAULT_TIME_ZONE,
            now,
        );
        let started = Instant::now();
        let summary = import_attlog(
            &mut journal,
            text.as_bytes(),
            "bench-clock",
            &limits,
            DEFAULT_TIME_ZONE,
            now,
        )
        .unwrap();
        let import_time = started.elapsed();
        assert_eq!(summary.imported as usize, lines);
        drop(journal);

        let bare_time = bare_loop(&path, &dir.path().join("bare.sqlite"));
        println!(
            "run {}: import {:.2} s ({:.0} lines/s), bare loop {:.2} s, ratio {:.2}",
            run + 1,
            import_time.as_secs_f64(),
            lines as f64 / import_time.as_secs_f64(),
            bare_time.as_secs_f64(),
            import_time.as_secs_f64() / bare_time.as_secs_f64()
        );
        import_times.push(import_time);
        bare_times.push(bare_time);
    }
    let import = median(import_times);
    let bare = median(bare_times);
    println!(
        "median: import {:.2} s ({:.0} lines/s), bare loop {:.2} s, ratio {:.2} (goal: at most 1.5)",
        import.as_secs_f64(),
        lines as f64 / import.as_secs_f64(),
        bare.as_secs_f64(),
        import.as_secs_f64() / bare.as_secs_f64()
    );
}
