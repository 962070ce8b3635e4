//! Errors of the journal: every variant names the journal file and the
//! operation that failed, and storage failures (disk full, I/O) get their own
//! variants so that callers can tell the operator what to do.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::ErrorCode;

/// Errors returned by [`Journal`](super::Journal) and
/// [`JournalReader`](super::JournalReader).
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file system holding the journal has no space left (`SQLITE_FULL`),
    /// or the connection reached its `max_page_count`. The failed write was
    /// rolled back.
    #[error(
        "journal '{}' is full, failed to {operation}: free disk space on its file system; \
         nothing of this write was stored",
        .path.display()
    )]
    Full {
        /// Journal file.
        path: PathBuf,
        /// Operation that failed, such as "append a batch of 10 events".
        operation: String,
        /// SQLite error with code `SQLITE_FULL`.
        #[source]
        source: rusqlite::Error,
    },

    /// The operating system reported an I/O error (`SQLITE_IOERR`) on the
    /// journal file, its WAL or its shared-memory file.
    #[error(
        "i/o error on journal '{}', failed to {operation}: check the storage device and the kernel log",
        .path.display()
    )]
    Io {
        /// Journal file.
        path: PathBuf,
        /// Operation that failed.
        operation: String,
        /// SQLite error with code `SQLITE_IOERR`.
        #[source]
        source: rusqlite::Error,
    },

    /// Another connection held a lock for longer than the busy timeout.
    #[error(
        "journal '{}' is locked by another connection, failed to {operation}: \
         make sure only one hallbox daemon writes to it",
        .path.display()
    )]
    Busy {
        /// Journal file.
        path: PathBuf,
        /// Operation that failed.
        operation: String,
        /// SQLite error with code `SQLITE_BUSY` or `SQLITE_LOCKED`.
        #[source]
        source: rusqlite::Error,
    },

    /// The file is not a SQLite database or its pages are damaged.
    #[error(
        "journal '{}' is corrupt or not a SQLite database, failed to {operation}: \
         restore it from a backup",
        .path.display()
    )]
    Corrupt {
        /// Journal file.
        path: PathBuf,
        /// Operation that failed.
        operation: String,
        /// SQLite error with code `SQLITE_CORRUPT` or `SQLITE_NOTADB`.
        #[source]
        source: rusqlite::Error,
    },

    /// Any other SQLite failure.
    #[error("journal '{}': failed to {operation}", .path.display())]
    Sqlite {
        /// Journal file.
        path: PathBuf,
        /// Operation that failed.
        operation: String,
        /// Underlying SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// SQLite refused write-ahead logging, for example on a file system
    /// without shared-memory support.
    #[error(
        "journal '{}' runs in journal mode '{mode}' instead of 'wal': \
         put it on a local file system",
        .path.display()
    )]
    WalUnavailable {
        /// Journal file.
        path: PathBuf,
        /// Journal mode that SQLite reported.
        mode: String,
    },

    /// The file was written by a newer hallbox whose schema this build does
    /// not know.
    #[error(
        "journal '{}' has schema version {found}, but this build knows versions up to {supported}: \
         upgrade hallbox",
        .path.display()
    )]
    SchemaTooNew {
        /// Journal file.
        path: PathBuf,
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// Latest schema version this build can apply.
        supported: i64,
    },

    /// A read-only connection found a schema older than this build's, which
    /// only a writer can migrate.
    #[error(
        "journal '{}' has schema version {found}, expected {expected}: \
         open it once for writing so that it is migrated",
        .path.display()
    )]
    SchemaOutdated {
        /// Journal file.
        path: PathBuf,
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// Schema version of this build.
        expected: i64,
    },

    /// Another connection appended to the journal, so this writer's chain tip
    /// is stale. Nothing of the batch was stored.
    #[error(
        "journal '{}' was appended to by another writer (sequence number {seq} is taken): \
         make sure only one hallbox daemon writes to it, then reopen the journal",
        .path.display()
    )]
    ConcurrentWriter {
        /// Journal file.
        path: PathBuf,
        /// Sequence number this writer expected to be free.
        seq: i64,
        /// SQLite primary-key constraint error.
        #[source]
        source: rusqlite::Error,
    },

    /// An event of a batch cannot be stored. Nothing of the batch was stored.
    #[error(
        "invalid event {index} (idempotency key '{idempotency_key}') for journal '{}': {reason}",
        .path.display()
    )]
    InvalidEvent {
        /// Journal file.
        path: PathBuf,
        /// Position of the event in its batch, from 0.
        index: usize,
        /// Idempotency key of the event.
        idempotency_key: String,
        /// Reason the event cannot be stored.
        reason: String,
    },

    /// A query bound lies outside the years 0000 to 9999 that the stored
    /// RFC 3339 text can represent.
    #[error(
        "time {time} is outside the years 0000 to 9999 that journal '{}' stores: \
         use a bound within that range",
        .path.display()
    )]
    TimeOutOfRange {
        /// Journal file.
        path: PathBuf,
        /// Rejected bound.
        time: DateTime<Utc>,
    },

    /// A stored row cannot be decoded, which happens only when the file was
    /// edited outside hallbox or written by a newer build.
    #[error(
        "journal '{}' has an invalid {column} in event {seq}: {reason}; run verify on the journal",
        .path.display()
    )]
    InvalidRow {
        /// Journal file.
        path: PathBuf,
        /// Sequence number of the row.
        seq: i64,
        /// Column that failed to decode.
        column: &'static str,
        /// Reason the value cannot be decoded.
        reason: String,
    },
}

impl JournalError {
    /// Wraps a SQLite error, sorting disk full, I/O, lock and corruption
    /// errors into their own variants.
    pub(crate) fn from_sqlite(path: &Path, operation: &str, source: rusqlite::Error) -> Self {
        let path = path.to_path_buf();
        let operation = operation.to_string();
        match source.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => Self::Full {
                path,
                operation,
                source,
            },
            Some(ErrorCode::SystemIoFailure) => Self::Io {
                path,
                operation,
                source,
            },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Self::Busy {
                path,
                operation,
                source,
            },
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => Self::Corrupt {
                path,
                operation,
                source,
            },
            _ => Self::Sqlite {
                path,
                operation,
                source,
            },
        }
    }

    /// Returns true for the disk-full variant.
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full { .. })
    }
}

/// Attaches the journal path and an operation to SQLite results.
pub(crate) trait SqliteResultExt<T> {
    /// Converts the error with [`JournalError::from_sqlite`].
    fn during(self, path: &Path, operation: &str) -> Result<T, JournalError>;
}

impl<T> SqliteResultExt<T> for Result<T, rusqlite::Error> {
    fn during(self, path: &Path, operation: &str) -> Result<T, JournalError> {
        self.map_err(|source| JournalError::from_sqlite(path, operation, source))
    }
}
