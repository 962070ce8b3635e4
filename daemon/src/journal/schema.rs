//! Connection settings and versioned schema migrations.
//!
//! `PRAGMA user_version` stores the number of migrations applied to the
//! file. Opening for writing applies the missing steps in order, each in its
//! own transaction together with the new version number, so a crash leaves
//! the file at the last completed step.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use super::error::{JournalError, SqliteResultExt};

/// How long a connection waits for another connection's lock before it
/// fails with `SQLITE_BUSY`. Five seconds covers a WAL checkpoint of a large
/// batch on an SD card with room to spare (an estimate, not a measurement).
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Page cache of the writing connection, in KiB (SQLite's default is
/// 2,000 KiB). Importing 1,000,000 punches in batches of 10,000 took about
/// half as long with 16 MiB as with the default (release build on a 2-core
/// x86-64 VM), because the three indexes stop missing the cache.
const WRITER_CACHE_KIB: i64 = 16 * 1024;

/// One schema step.
pub(crate) struct Migration {
    /// Version the file has after this step; steps count up from 1.
    pub(crate) version: i64,
    /// Summary of the change, for the log.
    pub(crate) summary: &'static str,
    /// SQL run inside the step's transaction.
    pub(crate) sql: &'static str,
}

/// Every schema step, oldest first. Append new steps at the end and never
/// change a step that has shipped, because files already carry its result.
pub(crate) const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    summary: "create the append-only events table",
    sql: "
        CREATE TABLE events (
            seq             INTEGER PRIMARY KEY,
            kind            TEXT NOT NULL,
            device_id       TEXT NOT NULL,
            idempotency_key TEXT NOT NULL UNIQUE,
            device_time     TEXT,
            received_at     TEXT NOT NULL,
            subject         TEXT,
            raw             BLOB NOT NULL,
            payload         TEXT NOT NULL,
            prev_hash       BLOB NOT NULL,
            hash            BLOB NOT NULL
        );

        CREATE INDEX events_kind_device_time ON events (kind, device_time);
        CREATE INDEX events_kind_subject_device_time
            ON events (kind, subject, device_time) WHERE subject IS NOT NULL;

        CREATE TRIGGER events_reject_update BEFORE UPDATE ON events
        BEGIN
            SELECT RAISE(ABORT, 'events is append-only: UPDATE is not allowed');
        END;

        CREATE TRIGGER events_reject_delete BEFORE DELETE ON events
        BEGIN
            SELECT RAISE(ABORT, 'events is append-only: DELETE is not allowed');
        END;
    ",
}];

/// Schema version this build writes and reads.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Sets the pragmas of the writing connection: write-ahead logging, a full
/// fsync on every commit, foreign keys and the busy timeout.
pub(crate) fn configure_writer(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .during(path, "set the busy timeout")?;

    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .during(path, "set journal_mode to WAL")?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(JournalError::WalUnavailable {
            path: path.to_path_buf(),
            mode,
        });
    }

    // FULL makes every commit fsync the WAL, so an acknowledged event
    // survives a power cut; NORMAL in WAL mode may lose the last commits.
    conn.pragma_update(None, "synchronous", "FULL")
        .during(path, "set synchronous to FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .during(path, "enable foreign keys")?;
    // A negative cache_size is a size in KiB rather than a page count.
    conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)
        .during(path, "set cache_size")?;
    Ok(())
}

/// Sets the pragmas of a read-only connection.
pub(crate) fn configure_reader(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .during(path, "set the busy timeout")?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .during(path, "enable foreign keys")?;
    Ok(())
}

/// Reads `PRAGMA user_version`.
pub(crate) fn schema_version(conn: &Connection, path: &Path) -> Result<i64, JournalError> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .during(path, "read the schema version")
}

/// Fails unless the file has exactly this build's schema version, for
/// connections that cannot migrate.
pub(crate) fn check_version(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    let found = schema_version(conn, path)?;
    if found > SCHEMA_VERSION {
        return Err(JournalError::SchemaTooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < SCHEMA_VERSION {
        return Err(JournalError::SchemaOutdated {
            path: path.to_path_buf(),
            found,
            expected: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Applies the missing steps of [`MIGRATIONS`] and returns the resulting
/// version.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<i64, JournalError> {
    apply_migrations(conn, path, MIGRATIONS)
}

/// Applies the steps of `migrations` above the file's version, each in its
/// own immediate transaction, and returns the resulting version.
pub(crate) fn apply_migrations(
    conn: &mut Connection,
    path: &Path,
    migrations: &[Migration],
) -> Result<i64, JournalError> {
    let supported = migrations.len() as i64;
    let found = schema_version(conn, path)?;
    if found > supported {
        return Err(JournalError::SchemaTooNew {
            path: path.to_path_buf(),
            found,
            supported,
        });
    }

    for migration in migrations {
        let operation = format!(
            "apply schema migration {} ({})",
            migration.version, migration.summary
        );
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .during(path, &operation)?;

        // Another process may have migrated between our version read and
        // the lock that the immediate transaction holds, so read it again.
        let current = schema_version(&tx, path)?;
        if current >= migration.version {
            continue;
        }

        tx.execute_batch(migration.sql).during(path, &operation)?;
        tx.pragma_update(None, "user_version", migration.version)
            .during(path, &operation)?;
        tx.commit().during(path, &operation)?;
        tracing::info!(
            path = %path.display(),
            version = migration.version,
            summary = migration.summary,
            "applied journal schema migration"
        );
    }

    Ok(supported)
}
