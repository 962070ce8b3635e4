//! Chain verification on good journals and on files edited behind the
//! journal's back.

use std::process::Command;

use sha2::{Digest, Sha256};

use super::*;
use crate::journal::chain::RowHasher;
use crate::journal::{ChainProblem, VerifyReport, GENESIS_HASH};

/// Appends `count` events of mixed kinds, with and without device time and
/// subject, in batches of 100.
fn filled_journal(temp: &TempJournal, count: u32) -> Journal {
    let mut journal = temp.open();
    let events: Vec<NewEvent> = (0..count)
        .map(|n| {
            let mut event = punch(n);
            if n % 7 == 3 {
                event.kind = EventKind::DeviceStatus;
                event.device_time = None;
                event.subject = None;
            }
            if n % 11 == 5 {
                event.kind = EventKind::Rating;
            }
            event
        })
        .collect();
    for batch in events.chunks(100) {
        journal.append_batch(batch).expect("append");
    }
    journal
}

/// Recomputes the hash of row `seq` from its stored columns and writes it,
/// as an attacker who can compute the hash would. The triggers must be
/// dropped first.
fn rehash_row(conn: &rusqlite::Connection, seq: i64) {
    let hash = conn
        .query_row(
            "SELECT seq, kind, device_id, idempotency_key, device_time, received_at, \
             subject, raw, payload, prev_hash FROM events WHERE seq = ?1",
            [seq],
            |row| {
                let prev_hash = row.get_ref(9)?.as_blob()?;
                let mut hasher = RowHasher::new(prev_hash);
                for index in 0..9 {
                    hasher.value(row.get_ref(index)?);
                }
                Ok(hasher.finish())
            },
        )
        .expect("rehash row");
    conn.execute(
        "UPDATE events SET hash = ?1 WHERE seq = ?2",
        rusqlite::params![&hash[..], seq],
    )
    .expect("write hash");
}

fn broken(seq: i64, problem: ChainProblem) -> VerifyReport {
    VerifyReport::Broken { seq, problem }
}

#[test]
fn verify_empty_journal() {
    let temp = TempJournal::new();
    let journal = temp.open();
    let expected = VerifyReport::Ok {
        events: 0,
        tip: "0".repeat(64),
    };
    assert_eq!(journal.verify().expect("verify"), expected);
    assert_eq!(
        journal.reader().expect("reader").verify().expect("verify"),
        expected
    );
}

#[test]
fn verify_passes_thousand_events() {
    let temp = TempJournal::new();
    let journal = filled_journal(&temp, 1000);
    let expected = VerifyReport::Ok {
        events: 1000,
        tip: journal.tip_hash(),
    };
    assert_eq!(journal.verify().expect("verify"), expected);
    assert_eq!(
        journal.reader().expect("reader").verify().expect("verify"),
        expected
    );
}

#[test]
fn first_hash_matches_encoding() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    journal.append(&punch(0)).expect("append");

    // The documented encoding, spelled out: prev_hash, then per column a
    // tag byte (INTEGER 1, TEXT 3, BLOB 4) and a big-endian length.
    fn text(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
        out.push(tag);
        out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        out.extend_from_slice(bytes);
    }
    let mut message = vec![0u8; 32];
    message.push(1);
    message.extend_from_slice(&1i64.to_be_bytes());
    text(&mut message, 3, b"punch");
    text(&mut message, 3, b"clock-1");
    text(&mut message, 3, b"clock-1/0");
    text(&mut message, 3, b"2024-05-06T08:00:00.000000Z");
    text(&mut message, 3, b"2024-05-06T08:00:01.000000Z");
    text(&mut message, 3, b"1000");
    text(&mut message, 4, b"1000\t2024-05-06 08:00:00\t0\t1\t0");
    text(&mut message, 3, br#"{"pin":"1000","status":0,"verify":1}"#);
    let expected = hex::encode(Sha256::digest(&message));

    assert_eq!(journal.tip_hash(), expected);
    let stored = journal.events_after(0, 1).expect("read");
    assert_eq!(stored[0].hash, expected);
    assert_eq!(stored[0].prev_hash, hex::encode(GENESIS_HASH));
}

#[test]
fn verify_finds_edited_row() {
    let temp = TempJournal::new();
    let journal = filled_journal(&temp, 20);
    let raw = temp.raw();
    drop_triggers(&raw);
    raw.execute("UPDATE events SET subject = 'x' WHERE seq = 5", [])
        .expect("edit row");

    let expected = broken(5, ChainProblem::HashMismatch);
    assert_eq!(journal.verify().expect("verify"), expected);
    assert_eq!(
        journal.reader().expect("reader").verify().expect("verify"),
        expected
    );
}

#[test]
fn verify_finds_changed_storage_class() {
    let temp = TempJournal::new();
    let journal = filled_journal(&temp, 20);
    let raw = temp.raw();
    drop_triggers(&raw);
    // The same bytes as TEXT instead of BLOB.
    raw.execute(
        "UPDATE events SET raw = CAST(raw AS TEXT) WHERE seq = 8",
        [],
    )
    .expect("edit row");

    assert_eq!(
        journal.verify().expect("verify"),
        broken(8, ChainProblem::HashMismatch)
    );
}

#[test]
fn verify_finds_deleted_row() {
    let temp = TempJournal::new();
    let journal = filled_journal(&temp, 20);
    let raw = temp.raw();
    drop_triggers(&raw);
    raw.execute("DELETE FROM events WHERE seq = 5", [])
        .expect("delete row");

    let expected = broken(6, ChainProblem::Gap { expected: 5 });
    assert_eq!(journal.verify().expect("verify"), expected);
    assert_eq!(
        journal.reader().expect("reader").verify().expect("verify"),
        expected
    );
}

#[test]
fn verify_finds_deleted_first_row() {
    let temp = TempJournal::new();
    let journal = filled_journal(&temp, 5);
    let raw = temp.raw();
    drop_triggers(&raw);
    raw.execute("DELETE FROM events WHERE seq = 1", [])
        .expect("delete row");

    assert_eq!(
        journal.verify().expect("verify"),
        broken(2, ChainProblem::Gap { expected: 1 })
    );
}

#[test]
fn verify_finds_rehashed_row() {
    let temp = TempJournal::new();
    let journal = filled_journal(&temp, 20);
    let raw = temp.raw();
    drop_triggers(&raw);
    raw.execute("UPDATE events SET subject = 'x' WHERE seq = 5", [])
        .expect("edit row");
    rehash_row(&raw, 5);

    let expected = broken(6, ChainProblem::PrevHashMismatch);
    assert_eq!(journal.verify().expect("verify"), expected);
    assert_eq!(
        journal.reader().expect("reader").verify().expect("verify"),
        expected
    );
}

#[test]
fn verify_finds_deleted_last_row() {
    let temp = TempJournal::new();
    let journal = filled_journal(&temp, 10);
    let tip = journal.tip_hash();
    let raw = temp.raw();
    drop_triggers(&raw);
    raw.execute("DELETE FROM events WHERE seq = 10", [])
        .expect("delete row");

    let problem = ChainProblem::TipMismatch {
        expected_seq: 10,
        expected_hash: tip,
    };
    assert_eq!(journal.verify().expect("verify"), broken(10, problem));

    // A reader keeps no tip, so the shorter chain looks complete to it.
    let reader_report = journal.reader().expect("reader").verify().expect("verify");
    assert!(matches!(reader_report, VerifyReport::Ok { events: 9, .. }));
}

#[test]
fn verify_finds_rehashed_tail_in_writer() {
    let temp = TempJournal::new();
    let journal = filled_journal(&temp, 10);
    let tip = journal.tip_hash();
    let raw = temp.raw();
    drop_triggers(&raw);

    // Edit row 8 and recompute the chain from there to the end.
    raw.execute("UPDATE events SET subject = 'x' WHERE seq = 8", [])
        .expect("edit row");
    rehash_row(&raw, 8);
    for seq in 9..=10 {
        raw.execute(
            "UPDATE events SET prev_hash = (SELECT hash FROM events WHERE seq = ?1 - 1) \
             WHERE seq = ?1",
            [seq],
        )
        .expect("chain row");
        rehash_row(&raw, seq);
    }

    let problem = ChainProblem::TipMismatch {
        expected_seq: 10,
        expected_hash: tip,
    };
    assert_eq!(journal.verify().expect("verify"), broken(10, problem));
    let reader_report = journal.reader().expect("reader").verify().expect("verify");
    assert!(matches!(reader_report, VerifyReport::Ok { events: 10, .. }));
}

#[test]
fn verify_finds_sqlite3_shell_edit() {
    let temp = TempJournal::new();
    let journal = filled_journal(&temp, 30);

    let output = Command::new("sqlite3")
        .arg(&temp.path)
        .arg("DROP TRIGGER events_reject_update; UPDATE events SET payload = '{}' WHERE seq = 17;")
        .output()
        .expect("run the sqlite3 command-line shell (install the sqlite3 package)");
    assert!(
        output.status.success(),
        "sqlite3 failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let expected = broken(17, ChainProblem::HashMismatch);
    assert_eq!(journal.verify().expect("verify"), expected);
    let reader = crate::journal::JournalReader::open(&temp.path).expect("reader");
    assert_eq!(reader.verify().expect("verify"), expected);
}
