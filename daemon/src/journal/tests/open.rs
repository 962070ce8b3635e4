//! Opening, pragmas, schema migrations and read-only connections.

use super::*;
use crate::journal::schema::{apply_migrations, Migration, MIGRATIONS, SCHEMA_VERSION};
use crate::journal::{Appended, JournalError, JournalReader, GENESIS_HASH};

#[test]
fn open_creates_wal_file() {
    let temp = TempJournal::new();
    assert!(!temp.path.exists());

    let journal = temp.open();
    assert!(temp.path.exists());

    let mode: String = journal
        .conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .expect("read journal_mode");
    assert_eq!(mode, "wal");
    let synchronous: i64 = journal
        .conn
        .pragma_query_value(None, "synchronous", |row| row.get(0))
        .expect("read synchronous");
    assert_eq!(synchronous, 2, "synchronous=FULL is 2");
    let foreign_keys: i64 = journal
        .conn
        .pragma_query_value(None, "foreign_keys", |row| row.get(0))
        .expect("read foreign_keys");
    assert_eq!(foreign_keys, 1);
    let busy_timeout: i64 = journal
        .conn
        .pragma_query_value(None, "busy_timeout", |row| row.get(0))
        .expect("read busy_timeout");
    assert_eq!(busy_timeout, 5000);
    let cache_size: i64 = journal
        .conn
        .pragma_query_value(None, "cache_size", |row| row.get(0))
        .expect("read cache_size");
    assert_eq!(cache_size, -16384, "16 MiB, given in KiB");
}

#[test]
fn open_sets_schema_version() {
    let temp = TempJournal::new();
    let journal = temp.open();
    assert_eq!(journal.last_seq(), 0);
    assert_eq!(journal.tip_hash(), hex::encode(GENESIS_HASH));
    drop(journal);

    let version: i64 = temp
        .raw()
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .expect("read user_version");
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn migrations_count_up_from_one() {
    for (index, migration) in MIGRATIONS.iter().enumerate() {
        assert_eq!(migration.version, index as i64 + 1, "{}", migration.summary);
    }
}

#[test]
fn open_migrates_empty_file() {
    let temp = TempJournal::new();
    std::fs::File::create(&temp.path).expect("create empty file");

    let mut journal = temp.open();
    assert_eq!(
        journal.append(&punch(1)).expect("append"),
        Appended::Stored { seq: 1 }
    );
}

#[test]
fn reopen_keeps_events() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    journal.append_batch(&punches(0, 3)).expect("append");
    let tip = journal.tip_hash();
    let before = journal.events_after(0, 10).expect("read events");
    drop(journal);

    let journal = temp.open();
    assert_eq!(journal.last_seq(), 3);
    assert_eq!(journal.tip_hash(), tip);
    assert_eq!(journal.events_after(0, 10).expect("read events"), before);
    assert_eq!(before.len(), 3);
}

#[test]
fn open_rejects_newer_schema() {
    let temp = TempJournal::new();
    drop(temp.open());
    temp.raw()
        .pragma_update(None, "user_version", 99)
        .expect("set user_version");

    match Journal::open(&temp.path) {
        Err(JournalError::SchemaTooNew {
            found, supported, ..
        }) => {
            assert_eq!(found, 99);
            assert_eq!(supported, SCHEMA_VERSION);
        }
        Err(other) => panic!("expected SchemaTooNew, got {other}"),
        Ok(_) => panic!("expected SchemaTooNew, got an open journal"),
    }
    assert!(matches!(
        JournalReader::open(&temp.path),
        Err(JournalError::SchemaTooNew { found: 99, .. })
    ));
}

#[test]
fn schema_error_names_path() {
    let temp = TempJournal::new();
    drop(temp.open());
    temp.raw()
        .pragma_update(None, "user_version", 7)
        .expect("set user_version");

    let message = match Journal::open(&temp.path) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("expected an error"),
    };
    assert!(
        message.contains(&temp.path.display().to_string()),
        "{message}"
    );
    assert!(message.contains("schema version 7"), "{message}");
    assert!(message.contains("upgrade hallbox"), "{message}");
}

#[test]
fn migration_steps_commit_separately() {
    let temp = TempJournal::new();
    let mut conn = temp.raw();
    let steps = [
        Migration {
            version: 1,
            summary: "create a",
            sql: "CREATE TABLE a (x INTEGER);",
        },
        Migration {
            version: 2,
            summary: "create b, then fail",
            sql: "CREATE TABLE b (x INTEGER); INSERT INTO missing VALUES (1);",
        },
    ];

    let error = apply_migrations(&mut conn, &temp.path, &steps).expect_err("step 2 fails");
    assert!(
        error.to_string().contains("apply schema migration 2"),
        "{error}"
    );

    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .expect("read user_version");
    assert_eq!(version, 1, "step 1 stays committed");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect())
        .expect("list tables");
    assert_eq!(tables, ["a"], "step 2 rolled back");

    let fixed = [
        Migration {
            version: 1,
            summary: "create a",
            sql: "CREATE TABLE a (x INTEGER);",
        },
        Migration {
            version: 2,
            summary: "create b",
            sql: "CREATE TABLE b (x INTEGER);",
        },
    ];
    assert_eq!(
        apply_migrations(&mut conn, &temp.path, &fixed).expect("migrate"),
        2
    );
}

#[test]
fn reader_sees_writer_commits() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    let reader = journal.reader().expect("open reader");
    assert_eq!(reader.last_seq().expect("last seq"), 0);

    journal.append_batch(&punches(0, 4)).expect("append");
    assert_eq!(reader.last_seq().expect("last seq"), 4);
    assert_eq!(reader.events_after(2, 10).expect("read").len(), 2);

    let second = Journal::open_read_only(&temp.path).expect("open reader");
    assert_eq!(second.count_by_kind().expect("count")[&EventKind::Punch], 4);
}

#[test]
fn reader_cannot_write() {
    let temp = TempJournal::new();
    drop(temp.open());
    let reader = JournalReader::open(&temp.path).expect("open reader");

    let result = reader.conn.execute(
        "INSERT INTO events (kind, device_id, idempotency_key, received_at, raw, payload, \
         prev_hash, hash) VALUES ('punch', 'd', 'k', 't', x'', '{}', x'', x'')",
        [],
    );
    let code = result
        .expect_err("read-only insert fails")
        .sqlite_error_code();
    assert_eq!(code, Some(rusqlite::ErrorCode::ReadOnly));
}

#[test]
fn journal_types_are_send() {
    // The daemon moves the writer into its ingest task and readers into
    // blocking HTTP handlers.
    fn assert_send<T: Send>() {}
    assert_send::<Journal>();
    assert_send::<JournalReader>();
    assert_send::<JournalError>();
}

#[test]
fn open_reports_missing_directory() {
    let temp = TempJournal::new();
    let path = temp.path.with_file_name("missing").join("journal.sqlite");

    let message = match Journal::open(&path) {
        Err(error) => error.to_string(),
        Ok(_) => panic!("expected an error for a missing directory"),
    };
    assert_eq!(
        message,
        format!("journal '{}': failed to open", path.display())
    );
}

#[test]
fn reader_rejects_missing_file() {
    let temp = TempJournal::new();
    match JournalReader::open(&temp.path) {
        Err(JournalError::Sqlite { operation, .. }) => assert_eq!(operation, "open read-only"),
        Err(other) => panic!("expected a SQLite open error, got {other}"),
        Ok(_) => panic!("expected an error for a missing file"),
    }
    assert!(!temp.path.exists(), "a reader must not create the file");
}

#[test]
fn reader_rejects_unmigrated_file() {
    let temp = TempJournal::new();
    temp.raw()
        .execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE other (x INTEGER);")
        .expect("create a foreign database");

    assert!(matches!(
        JournalReader::open(&temp.path),
        Err(JournalError::SchemaOutdated {
            found: 0,
            expected: 1,
            ..
        })
    ));
}

#[test]
fn open_rejects_non_database() {
    let temp = TempJournal::new();
    std::fs::write(&temp.path, vec![b'x'; 8192]).expect("write junk file");

    match Journal::open(&temp.path) {
        Err(JournalError::Corrupt { path, .. }) => assert_eq!(path, temp.path),
        Err(other) => panic!("expected Corrupt, got {other}"),
        Ok(_) => panic!("expected Corrupt, got an open journal"),
    }
}
