//! Read queries shared by the writer and the read-only connections.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::types::{FromSql, ValueRef};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::chain::HASH_LEN;
use super::error::{JournalError, SqliteResultExt};
use super::event::{parse_time, write_time, EventKind, StoredEvent};
use super::Tip;

/// Columns of [`StoredEvent`], in the order [`decode_row`] reads them.
const COLUMNS: &str = "seq, kind, device_id, idempotency_key, device_time, received_at, \
                       subject, raw, payload, prev_hash, hash";

/// Reads the sequence number and hash of the last row.
pub(crate) fn read_tip(conn: &Connection, path: &Path) -> Result<Tip, JournalError> {
    let operation = "read the last event";
    // The statement is cached because the writer reads the tip at the start
    // of every commit.
    let last = conn
        .prepare_cached("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        .and_then(|mut last| {
            last.query_row([], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
            })
            .optional()
        })
        .during(path, operation)?;

    let Some((seq, hash)) = last else {
        return Ok(Tip::EMPTY);
    };
    let hash: [u8; HASH_LEN] =
        hash.try_into()
            .map_err(|hash: Vec<u8>| JournalError::InvalidRow {
                path: path.to_path_buf(),
                seq,
                column: "hash",
                reason: format!("{} bytes instead of {HASH_LEN}", hash.len()),
            })?;
    Ok(Tip { seq, hash })
}

/// Returns the events of `kind`, about `subject` when given, whose device
/// time lies in `[from, to)`, ordered by device time, then by `seq`.
pub(crate) fn events_between(
    conn: &Connection,
    path: &Path,
    kind: EventKind,
    subject: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<StoredEvent>, JournalError> {
    let operation = "query events by device time";
    let from = time_bound(path, &from)?;
    let to = time_bound(path, &to)?;

    // The kind and device time indexes keep entries with equal device time
    // in rowid (seq) order, so SQLite returns this order without sorting.
    let sql = match subject {
        None => format!(
            "SELECT {COLUMNS} FROM events \
             WHERE kind = ?1 AND device_time >= ?2 AND device_time < ?3 \
             ORDER BY device_time, seq"
        ),
        Some(_) => format!(
            "SELECT {COLUMNS} FROM events \
             WHERE kind = ?1 AND subject = ?4 AND device_time >= ?2 AND device_time < ?3 \
             ORDER BY device_time, seq"
        ),
    };
    let mut stmt = conn.prepare_cached(&sql).during(path, operation)?;
    let rows = match subject {
        None => stmt.query(params![kind.as_str(), from, to]),
        Some(subject) => stmt.query(params![kind.as_str(), from, to, subject]),
    };
    let events = collect_rows(rows.during(path, operation)?, path, operation)?;
    Ok(events)
}

/// Returns at most `limit` events after `after_seq`, in `seq` order.
pub(crate) fn events_after(
    conn: &Connection,
    path: &Path,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<StoredEvent>, JournalError> {
    let operation = "query events after a sequence number";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))
        .during(path, operation)?;
    let rows = stmt
        .query(params![after_seq, limit])
        .during(path, operation)?;
    collect_rows(rows, path, operation)
}

/// Returns at most `limit` events of `kind` after `after_seq`, in `seq`
/// order, whether or not they carry a device time.
pub(crate) fn kind_events_after(
    conn: &Connection,
    path: &Path,
    kind: EventKind,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<StoredEvent>, JournalError> {
    let operation = "query events of one kind after a sequence number";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM events WHERE kind = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
        ))
        .during(path, operation)?;
    let rows = stmt
        .query(params![kind.as_str(), after_seq, limit])
        .during(path, operation)?;
    collect_rows(rows, path, operation)
}

/// Returns the event of `kind` from `device_id`, about `subject` when given,
/// with the highest `seq`, or `None` when there is none.
pub(crate) fn last_event(
    conn: &Connection,
    path: &Path,
    kind: EventKind,
    device_id: &str,
    subject: Option<&str>,
) -> Result<Option<StoredEvent>, JournalError> {
    let operation = "query the last event of a device";
    let sql = match subject {
        None => format!(
            "SELECT {COLUMNS} FROM events WHERE kind = ?1 AND device_id = ?2 \
             ORDER BY seq DESC LIMIT 1"
        ),
        Some(_) => format!(
            "SELECT {COLUMNS} FROM events WHERE kind = ?1 AND device_id = ?2 AND subject = ?3 \
             ORDER BY seq DESC LIMIT 1"
        ),
    };
    let mut stmt = conn.prepare_cached(&sql).during(path, operation)?;
    let rows = match subject {
        None => stmt.query(params![kind.as_str(), device_id]),
        Some(subject) => stmt.query(params![kind.as_str(), device_id, subject]),
    };
    let events = collect_rows(rows.during(path, operation)?, path, operation)?;
    Ok(events.into_iter().next())
}

/// Counts the events of each kind.
pub(crate) fn count_by_kind(
    conn: &Connection,
    path: &Path,
) -> Result<BTreeMap<EventKind, u64>, JournalError> {
    let operation = "count events by kind";
    let mut stmt = conn
        .prepare_cached("SELECT kind, count(*), min(seq) FROM events GROUP BY kind")
        .during(path, operation)?;
    let mut rows = stmt.query([]).during(path, operation)?;

    let mut counts = BTreeMap::new();
    while let Some(row) = rows.next().during(path, operation)? {
        let first_seq: i64 = row.get(2).during(path, operation)?;
        let kind = decode_kind(row, 0, first_seq, path)?;
        let count: i64 = row.get(1).during(path, operation)?;
        // count(*) is never negative.
        counts.insert(kind, count.unsigned_abs());
    }
    Ok(counts)
}

/// Formats a query bound, rejecting years the stored text cannot hold.
fn time_bound(path: &Path, time: &DateTime<Utc>) -> Result<String, JournalError> {
    let mut text = String::new();
    if write_time(&mut text, time) {
        Ok(text)
    } else {
        Err(JournalError::TimeOutOfRange {
            path: path.to_path_buf(),
            time: *time,
        })
    }
}

fn collect_rows(
    mut rows: rusqlite::Rows<'_>,
    path: &Path,
    operation: &str,
) -> Result<Vec<StoredEvent>, JournalError> {
    let mut events = Vec::new();
    while let Some(row) = rows.next().during(path, operation)? {
        events.push(decode_row(row, path)?);
    }
    Ok(events)
}

/// Decodes a row selected with [`COLUMNS`].
fn decode_row(row: &Row<'_>, path: &Path) -> Result<StoredEvent, JournalError> {
    let seq: i64 = row.get(0).during(path, "read an event")?;
    let column = |index: usize, name: &'static str| ColumnReader {
        row,
        index,
        name,
        seq,
        path,
    };

    let device_time = column(4, "device_time")
        .get::<Option<String>>()?
        .map(|text| column(4, "device_time").time(&text))
        .transpose()?;
    let received_at = column(5, "received_at").get::<String>()?;
    let payload = column(8, "payload").get::<String>()?;
    let payload = serde_json::from_str(&payload)
        .map_err(|error| column(8, "payload").invalid(format!("invalid JSON: {error}")))?;

    Ok(StoredEvent {
        seq,
        kind: decode_kind(row, 1, seq, path)?,
        device_id: column(2, "device_id").get()?,
        idempotency_key: column(3, "idempotency_key").get()?,
        device_time,
        received_at: column(5, "received_at").time(&received_at)?,
        subject: column(6, "subject").get()?,
        raw: column(7, "raw").get()?,
        payload,
        prev_hash: hex::encode(column(9, "prev_hash").get::<Vec<u8>>()?),
        hash: hex::encode(column(10, "hash").get::<Vec<u8>>()?),
    })
}

fn decode_kind(
    row: &Row<'_>,
    index: usize,
    seq: i64,
    path: &Path,
) -> Result<EventKind, JournalError> {
    let column = ColumnReader {
        row,
        index,
        name: "kind",
        seq,
        path,
    };
    let text: String = column.get()?;
    text.parse()
        .map_err(|error: super::event::UnknownEventKind| column.invalid(error.to_string()))
}

/// One column of one row, for error messages that name both.
struct ColumnReader<'a, 'row> {
    row: &'a Row<'row>,
    index: usize,
    name: &'static str,
    seq: i64,
    path: &'a Path,
}

impl ColumnReader<'_, '_> {
    fn get<T: FromSql>(&self) -> Result<T, JournalError> {
        self.row.get(self.index).map_err(|error| {
            let stored = match self.row.get_ref(self.index) {
                Ok(ValueRef::Null) => "NULL",
                Ok(ValueRef::Integer(_)) => "INTEGER",
                Ok(ValueRef::Real(_)) => "REAL",
                Ok(ValueRef::Text(_)) => "TEXT",
                Ok(ValueRef::Blob(_)) => "BLOB",
                Err(_) => "unreadable",
            };
            self.invalid(format!("unexpected {stored} value ({error})"))
        })
    }

    fn time(&self, text: &str) -> Result<DateTime<Utc>, JournalError> {
        parse_time(text)
            .map_err(|error| self.invalid(format!("'{text}' is not an RFC 3339 time ({error})")))
    }

    fn invalid(&self, reason: String) -> JournalError {
        JournalError::InvalidRow {
            path: self.path.to_path_buf(),
            seq: self.seq,
            column: self.name,
            reason,
        }
    }
}

/// The columns of a punch that the attendance rules read, without the raw
/// record or the full payload, so a year of punches loads quickly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PunchRow {
    pub seq: i64,
    pub device_id: String,
    /// The credential (PIN) the punch is about.
    pub pin: String,
    /// The clock's own time of the punch.
    pub device_time: DateTime<Utc>,
    /// The status key pressed on the clock, if the payload carries one.
    pub status: Option<u8>,
}

/// Returns the punches whose device time lies in `[from, to)` as
/// [`PunchRow`]s, ordered by device time, then by `seq`. The status key is
/// read from the JSON payload only `with_status`, which costs a JSON parse
/// per row.
pub(crate) fn punch_rows_between(
    conn: &Connection,
    path: &Path,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    with_status: bool,
) -> Result<Vec<PunchRow>, JournalError> {
    let operation = "query punches by device time";
    let from = time_bound(path, &from)?;
    let to = time_bound(path, &to)?;
    let status = if with_status {
        "json_extract(payload, '$.status')"
    } else {
        "NULL"
    };
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT seq, device_id, subject, device_time, {status} \
             FROM events WHERE kind = 'punch' AND device_time >= ?1 AND device_time < ?2 \
             ORDER BY device_time, seq"
        ))
        .during(path, operation)?;
    let mut rows = stmt.query(params![from, to]).during(path, operation)?;

    let mut punches = Vec::new();
    while let Some(row) = rows.next().during(path, operation)? {
        let seq: i64 = row.get(0).during(path, operation)?;
        let column = |index: usize, name: &'static str| ColumnReader {
            row,
            index,
            name,
            seq,
            path,
        };
        let time_text: String = column(3, "device_time").get()?;
        let pin: Option<String> = column(2, "subject").get()?;
        let status: Option<i64> = column(4, "payload").get()?;
        punches.push(PunchRow {
            seq,
            device_id: column(1, "device_id").get()?,
            pin: pin
                .ok_or_else(|| column(2, "subject").invalid("a punch without a PIN".to_string()))?,
            device_time: column(3, "device_time").time(&time_text)?,
            status: status.and_then(|s| u8::try_from(s).ok()),
        });
    }
    Ok(punches)
}

/// Returns the device time of the earliest punch, or `None` without punches.
pub(crate) fn first_punch_time(
    conn: &Connection,
    path: &Path,
) -> Result<Option<DateTime<Utc>>, JournalError> {
    let operation = "find the first punch";
    let text: Option<String> = conn
        .query_row(
            "SELECT min(device_time) FROM events WHERE kind = 'punch'",
            [],
            |row| row.get(0),
        )
        .during(path, operation)?;
    match text {
        None => Ok(None),
        Some(text) => parse_time(&text)
            .map(Some)
            .map_err(|error| JournalError::InvalidRow {
                path: path.to_path_buf(),
                seq: 0,
                column: "device_time",
                reason: format!("'{text}' is not an RFC 3339 time ({error})"),
            }),
    }
}
