//! Append-only SQLite journal of every event the box receives, chained by
//! SHA-256 hashes so that a later edit of the file is detectable.
//!
//! # Storage
//!
//! One table, `events`, contains one row per event:
//!
//! | column | type | content |
//! | --- | --- | --- |
//! | `seq` | INTEGER PRIMARY KEY | 1 for the first event, then consecutive; the event feed cursor |
//! | `kind` | TEXT | [`EventKind::as_str`] |
//! | `device_id` | TEXT | device, or API user for API records |
//! | `idempotency_key` | TEXT UNIQUE | identity of the event across resends |
//! | `device_time` | TEXT or NULL | the device's time, UTC |
//! | `received_at` | TEXT | the box's receive time, UTC |
//! | `subject` | TEXT or NULL | credential, PIN or keypad address |
//! | `raw` | BLOB | record bytes exactly as received |
//! | `payload` | TEXT | decoded fields as JSON |
//! | `prev_hash` | BLOB | `hash` of the previous row, 32 zero bytes for the first |
//! | `hash` | BLOB | SHA-256 chain hash of this row |
//!
//! Times are RFC 3339 UTC text of one fixed width,
//! `YYYY-MM-DDTHH:MM:SS.ffffffZ`, so that text comparison in SQLite orders
//! them; digits below the microsecond are truncated. Triggers abort every
//! `UPDATE` and `DELETE` on `events`.
//!
//! # Hash chain
//!
//! `hash = SHA-256(prev_hash || enc(seq) || enc(kind) || enc(device_id) ||
//! enc(idempotency_key) || enc(device_time) || enc(received_at) ||
//! enc(subject) || enc(raw) || enc(payload))`, where `enc` writes a one-byte
//! SQLite storage-class tag (NULL `0x00`, INTEGER `0x01`, REAL `0x02`, TEXT
//! `0x03`, BLOB `0x04`), then for INTEGER and REAL 8 big-endian bytes, for
//! TEXT and BLOB an 8-byte big-endian length and the bytes, and for NULL
//! nothing. The hash covers the values exactly as stored. [`Journal::verify`]
//! recomputes it row by row and also catches a gap in `seq`, so an edited,
//! deleted or re-hashed row is reported by its sequence number. An attacker
//! who recomputes every hash from the edit to the end is caught only by the
//! writer that holds the tip in memory, or by a tip hash copied elsewhere.
//!
//! # Connections
//!
//! [`Journal`] is the single writer. It runs SQLite in WAL mode with
//! `synchronous=FULL`, so a returned [`Journal::append_batch`] is on disk.
//! [`JournalReader`] is a read-only connection for reports and the event
//! feed. It reads a consistent snapshot per query while the writer goes on.

mod append;
mod chain;
mod error;
mod event;
mod query;
mod schema;
mod verify;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};

pub use chain::{GENESIS_HASH, HASH_LEN};
pub use error::JournalError;
pub use event::{Appended, EventKind, NewEvent, StoredEvent, UnknownEventKind};
pub use query::PunchRow;
pub use verify::{ChainProblem, VerifyReport};

use error::SqliteResultExt;

/// Last event of the chain: the writer appends after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tip {
    /// Sequence number of the last event, 0 when the journal is empty.
    seq: i64,
    /// Hash of the last event, [`GENESIS_HASH`] when the journal is empty.
    hash: [u8; HASH_LEN],
}

impl Tip {
    const EMPTY: Tip = Tip {
        seq: 0,
        hash: GENESIS_HASH,
    };
}

/// Buffers reused across appended rows, so that formatting a row does not
/// allocate once they have grown.
#[derive(Default)]
struct Scratch {
    device_time: String,
    received_at: String,
    payload: Vec<u8>,
}

/// The writing connection to a journal file.
///
/// Only one `Journal` may write to a file. A second writer is detected at
/// its next append ([`JournalError::ConcurrentWriter`]).
pub struct Journal {
    conn: Connection,
    path: PathBuf,
    tip: Tip,
    scratch: Scratch,
}

/// A read-only connection to a journal file, for queries that run while
/// the writer appends.
pub struct JournalReader {
    conn: Connection,
    path: PathBuf,
}

impl Journal {
    /// Opens the journal at `path` for writing, creating the file on first
    /// use, and applies missing schema migrations.
    ///
    /// Sets `journal_mode=WAL`, `synchronous=FULL`, `foreign_keys=ON` and a
    /// busy timeout of five seconds. Fails with
    /// [`JournalError::SchemaTooNew`] when a newer build wrote the file.
    pub fn open(path: impl AsRef<Path>) -> Result<Journal, JournalError> {
        let path = path.as_ref().to_path_buf();
        let mut conn = Connection::open(&path).during(&path, "open")?;
        schema::configure_writer(&conn, &path)?;
        let version = schema::migrate(&mut conn, &path)?;
        let tip = query::read_tip(&conn, &path)?;

        tracing::info!(
            path = %path.display(),
            schema_version = version,
            last_seq = tip.seq,
            "opened journal"
        );
        Ok(Journal {
            conn,
            path,
            tip,
            scratch: Scratch::default(),
        })
    }

    /// Opens a read-only connection to the journal at `path`, which a
    /// writer must have created and migrated.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<JournalReader, JournalError> {
        JournalReader::open(path)
    }

    /// Opens a second, read-only connection to this journal's file.
    pub fn reader(&self) -> Result<JournalReader, JournalError> {
        JournalReader::open(&self.path)
    }

    /// Returns the path of the journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns whether an event of `kind` from `device_id` is stored.
    pub fn has_events_from(&self, kind: EventKind, device_id: &str) -> Result<bool, JournalError> {
        self.conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM events WHERE kind = ?1 AND device_id = ?2)",
            )
            .and_then(|mut find| find.query_row([kind.as_str(), device_id], |row| row.get(0)))
            .during(&self.path, "look for a device's events")
    }

    /// Returns the sequence number of the event stored with
    /// `idempotency_key`, if there is one.
    pub fn seq_of_key(&self, idempotency_key: &str) -> Result<Option<i64>, JournalError> {
        use rusqlite::OptionalExtension;
        self.conn
            .prepare_cached("SELECT seq FROM events WHERE idempotency_key = ?1")
            .and_then(|mut find| {
                find.query_row([idempotency_key], |row| row.get(0))
                    .optional()
            })
            .during(&self.path, "find an idempotency key")
    }

    /// Returns the sequence number of the last stored event, 0 when the
    /// journal is empty. Read from memory: the writer keeps the chain tip.
    pub fn last_seq(&self) -> i64 {
        self.tip.seq
    }

    /// Returns the hash of the last stored event as lowercase hex, 64 zeros
    /// when the journal is empty.
    pub fn tip_hash(&self) -> String {
        hex::encode(self.tip.hash)
    }

    /// Sets SQLite's `max_page_count` on this connection and returns the
    /// limit in force afterwards. SQLite never sets it below the current
    /// page count. Appends that need more pages fail with
    /// [`JournalError::Full`], which tests use to simulate a full disk.
    pub fn set_max_page_count(&mut self, pages: u64) -> Result<u64, JournalError> {
        self.conn
            .pragma_update_and_check(None, "max_page_count", pages, |row| row.get(0))
            .during(&self.path, "set max_page_count")
    }

    /// Returns the events of `kind` whose device time lies in `[from, to)`,
    /// ordered by device time, then by sequence number. Events without a
    /// device time are never returned.
    pub fn events_between(
        &self,
        kind: EventKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        query::events_between(&self.conn, &self.path, kind, None, from, to)
    }

    /// Returns the punches whose device time lies in `[from, to)`, ordered
    /// by device time, then by sequence number.
    pub fn punches_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        self.events_between(EventKind::Punch, from, to)
    }

    /// Returns the events of `kind` about `subject` whose device time lies
    /// in `[from, to)`, ordered by device time, then by sequence number.
    pub fn subject_events_between(
        &self,
        kind: EventKind,
        subject: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        query::events_between(&self.conn, &self.path, kind, Some(subject), from, to)
    }

    /// Returns at most `limit` events with a sequence number above
    /// `after_seq`, in sequence order.
    pub fn events_after(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        query::events_after(&self.conn, &self.path, after_seq, limit)
    }

    /// Returns at most `limit` events of `kind` with a sequence number
    /// above `after_seq`, in sequence order, with or without a device time.
    /// Records made through the API (write-offs, outages, audit entries)
    /// are read this way.
    pub fn kind_events_after(
        &self,
        kind: EventKind,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        query::kind_events_after(&self.conn, &self.path, kind, after_seq, limit)
    }

    /// Returns the number of stored events of each kind; kinds without
    /// events are absent.
    pub fn count_by_kind(&self) -> Result<BTreeMap<EventKind, u64>, JournalError> {
        query::count_by_kind(&self.conn, &self.path)
    }

    /// Recomputes the hash chain over the whole file in sequence order and
    /// reports the first row that does not match.
    ///
    /// Besides the checks of [`JournalReader::verify`], compares the file
    /// with the tip this writer keeps in memory, which catches deleted rows
    /// at the end and a chain recomputed from an edit to the end.
    pub fn verify(&self) -> Result<VerifyReport, JournalError> {
        verify::walk(&self.conn, &self.path, Some(self.tip))
    }
}

impl JournalReader {
    /// Opens a read-only connection to the journal at `path`. Fails when
    /// the file is missing or its schema version differs from this build's.
    pub fn open(path: impl AsRef<Path>) -> Result<JournalReader, JournalError> {
        let path = path.as_ref().to_path_buf();
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&path, flags).during(&path, "open read-only")?;
        schema::configure_reader(&conn, &path)?;
        schema::check_version(&conn, &path)?;
        Ok(JournalReader { conn, path })
    }

    /// Returns the path of the journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns the sequence number of the last stored event, 0 when the
    /// journal is empty.
    pub fn last_seq(&self) -> Result<i64, JournalError> {
        query::read_tip(&self.conn, &self.path).map(|tip| tip.seq)
    }

    /// Returns the events of `kind` whose device time lies in `[from, to)`,
    /// ordered by device time, then by sequence number. Events without a
    /// device time are never returned.
    pub fn events_between(
        &self,
        kind: EventKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        query::events_between(&self.conn, &self.path, kind, None, from, to)
    }

    /// Returns the punches whose device time lies in `[from, to)`, ordered
    /// by device time, then by sequence number.
    pub fn punches_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        self.events_between(EventKind::Punch, from, to)
    }

    /// Returns the device time of the earliest punch in the journal, or
    /// `None` when it holds no punch.
    pub fn first_punch_time(&self) -> Result<Option<DateTime<Utc>>, JournalError> {
        query::first_punch_time(&self.conn, &self.path)
    }

    /// Returns the punches whose device time lies in `[from, to)` with only
    /// the columns the attendance rules read, ordered by device time, then
    /// by sequence number; the status key only `with_status`.
    pub fn punch_rows_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        with_status: bool,
    ) -> Result<Vec<PunchRow>, JournalError> {
        query::punch_rows_between(&self.conn, &self.path, from, to, with_status)
    }

    /// Returns the events of `kind` about `subject` whose device time lies
    /// in `[from, to)`, ordered by device time, then by sequence number.
    pub fn subject_events_between(
        &self,
        kind: EventKind,
        subject: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        query::events_between(&self.conn, &self.path, kind, Some(subject), from, to)
    }

    /// Returns at most `limit` events with a sequence number above
    /// `after_seq`, in sequence order.
    pub fn events_after(
        &self,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        query::events_after(&self.conn, &self.path, after_seq, limit)
    }

    /// Returns at most `limit` events of `kind` with a sequence number
    /// above `after_seq`, in sequence order, with or without a device time.
    /// Records made through the API (write-offs, outages, audit entries)
    /// are read this way.
    pub fn kind_events_after(
        &self,
        kind: EventKind,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        query::kind_events_after(&self.conn, &self.path, kind, after_seq, limit)
    }

    /// Returns the latest event of `kind` from `device_id`, about `subject`
    /// when given, or `None` when there is none. "Latest" is the highest
    /// sequence number, the order of commits.
    pub fn last_event(
        &self,
        kind: EventKind,
        device_id: &str,
        subject: Option<&str>,
    ) -> Result<Option<StoredEvent>, JournalError> {
        query::last_event(&self.conn, &self.path, kind, device_id, subject)
    }

    /// Returns the number of stored events of each kind; kinds without
    /// events are absent.
    pub fn count_by_kind(&self) -> Result<BTreeMap<EventKind, u64>, JournalError> {
        query::count_by_kind(&self.conn, &self.path)
    }

    /// Recomputes the hash chain over the whole file in sequence order,
    /// with constant memory, and reports the first row whose `seq` skips a
    /// number, whose `prev_hash` differs from the previous row's hash, or
    /// whose `hash` differs from its contents.
    pub fn verify(&self) -> Result<VerifyReport, JournalError> {
        verify::walk(&self.conn, &self.path, None)
    }
}
