//! Tests of the journal against real SQLite files in temporary directories,
//! and helpers shared by them.

mod append;
mod open;
mod query;
mod verify;

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::{EventKind, Journal, NewEvent};

/// A temporary directory with a journal file path inside it.
struct TempJournal {
    // Held so that the directory lives as long as the test.
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl TempJournal {
    fn new() -> TempJournal {
        let dir = tempfile::tempdir().expect("create temporary directory");
        let path = dir.path().join("journal.sqlite");
        TempJournal { _dir: dir, path }
    }

    fn open(&self) -> Journal {
        Journal::open(&self.path).expect("open journal")
    }

    /// Opens a second connection without any of the journal's checks, like
    /// an operator's sqlite3 shell.
    fn raw(&self) -> Connection {
        raw_connection(&self.path)
    }
}

fn raw_connection(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("open raw connection");
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .expect("set busy timeout");
    conn
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    let naive = NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|date| date.and_hms_opt(h, mi, s))
        .expect("valid test time");
    Utc.from_utc_datetime(&naive)
}

/// Builds a punch of PIN `1000 + n` at 08:00 plus `n` minutes on 2024-05-06,
/// received one second later, with key `clock-1/<n>`.
fn punch(n: u32) -> NewEvent {
    let device_time = utc(2024, 5, 6, 8, 0, 0) + chrono::Duration::minutes(i64::from(n));
    let pin = 1000 + n;
    NewEvent {
        kind: EventKind::Punch,
        device_id: "clock-1".to_string(),
        idempotency_key: format!("clock-1/{n}"),
        device_time: Some(device_time),
        received_at: device_time + chrono::Duration::seconds(1),
        subject: Some(pin.to_string()),
        raw: format!(
            "{pin}\t{}\t0\t1\t0",
            device_time.format("%Y-%m-%d %H:%M:%S")
        )
        .into_bytes(),
        payload: json!({ "pin": pin.to_string(), "status": 0, "verify": 1 }),
    }
}

/// Punches `first..first + count`.
fn punches(first: u32, count: u32) -> Vec<NewEvent> {
    (first..first + count).map(punch).collect()
}

/// Drops both append-only triggers through `conn`, as an attacker would
/// before editing rows.
fn drop_triggers(conn: &Connection) {
    conn.execute_batch("DROP TRIGGER events_reject_update; DROP TRIGGER events_reject_delete;")
        .expect("drop triggers");
}

/// Counts the rows of `events` through `conn`.
fn row_count(conn: &Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM events", [], |row| row.get(0))
        .expect("count rows")
}
