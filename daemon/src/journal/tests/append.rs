//! Appending: sequence numbers, duplicates, rollback, triggers, disk full.

use super::*;
use crate::journal::{Appended, JournalError, StoredEvent, VerifyReport, GENESIS_HASH};

#[test]
fn append_numbers_from_one() {
    let temp = TempJournal::new();
    let mut journal = temp.open();

    let outcomes = journal.append_batch(&punches(0, 3)).expect("append");
    assert_eq!(
        outcomes,
        [
            Appended::Stored { seq: 1 },
            Appended::Stored { seq: 2 },
            Appended::Stored { seq: 3 },
        ]
    );
    assert_eq!(
        journal.append(&punch(3)).expect("append"),
        Appended::Stored { seq: 4 }
    );
    assert_eq!(journal.last_seq(), 4);
    assert_eq!(row_count(&temp.raw()), 4);
}

#[test]
fn append_empty_batch() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    assert_eq!(journal.append_batch(&[]).expect("append"), []);
    assert_eq!(journal.last_seq(), 0);
}

#[test]
fn duplicate_within_batch() {
    let temp = TempJournal::new();
    let mut journal = temp.open();

    let outcomes = journal
        .append_batch(&[punch(0), punch(1), punch(0)])
        .expect("append");
    assert_eq!(
        outcomes,
        [
            Appended::Stored { seq: 1 },
            Appended::Stored { seq: 2 },
            Appended::Duplicate { seq: 1 },
        ]
    );
    assert_eq!(journal.last_seq(), 2);
    assert_eq!(row_count(&temp.raw()), 2);
}

#[test]
fn duplicate_across_batches() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    journal.append_batch(&punches(0, 2)).expect("append");

    let outcomes = journal.append_batch(&[punch(1), punch(2)]).expect("append");
    assert_eq!(
        outcomes,
        [Appended::Duplicate { seq: 2 }, Appended::Stored { seq: 3 }]
    );
    assert!(outcomes[0].is_duplicate());
    assert_eq!(outcomes[1].seq(), 3);
}

#[test]
fn duplicate_across_reopen() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    journal.append_batch(&punches(0, 2)).expect("append");
    drop(journal);

    let mut journal = temp.open();
    assert_eq!(
        journal.append(&punch(0)).expect("append"),
        Appended::Duplicate { seq: 1 }
    );
    assert_eq!(
        journal.append(&punch(5)).expect("append"),
        Appended::Stored { seq: 3 }
    );
    assert_eq!(row_count(&temp.raw()), 3);
}

#[test]
fn duplicate_keeps_first_content() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    journal.append(&punch(0)).expect("append");

    let mut resent = punch(0);
    resent.payload = serde_json::json!({ "changed": true });
    assert_eq!(
        journal.append(&resent).expect("append"),
        Appended::Duplicate { seq: 1 }
    );

    let stored = journal.events_after(0, 10).expect("read");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].payload, punch(0).payload);
}

#[test]
fn stored_event_round_trip() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    let mut event = punch(7);
    // 08:07:00.123456789 is stored as 08:07:00.123456.
    event.device_time = event
        .device_time
        .map(|time| time + chrono::Duration::nanoseconds(123_456_789));
    event.raw = vec![0x00, 0xFF, b'\t', b'\n'];
    journal.append(&event).expect("append");

    let stored = journal.events_after(0, 1).expect("read");
    let expected = StoredEvent {
        seq: 1,
        kind: EventKind::Punch,
        device_id: "clock-1".to_string(),
        idempotency_key: "clock-1/7".to_string(),
        device_time: Some(utc(2024, 5, 6, 8, 7, 0) + chrono::Duration::microseconds(123_456)),
        received_at: utc(2024, 5, 6, 8, 7, 1),
        subject: Some("1007".to_string()),
        raw: vec![0x00, 0xFF, b'\t', b'\n'],
        payload: serde_json::json!({ "pin": "1007", "status": 0, "verify": 1 }),
        prev_hash: hex::encode(GENESIS_HASH),
        hash: journal.tip_hash(),
    };
    assert_eq!(stored, [expected]);
}

#[test]
fn optional_columns_stored_as_null() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    let mut event = punch(0);
    event.kind = EventKind::DeviceStatus;
    event.device_time = None;
    event.subject = None;
    journal.append(&event).expect("append");

    let types: (String, String, String) = temp
        .raw()
        .query_row(
            "SELECT typeof(device_time), typeof(subject), received_at FROM events",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .expect("read types");
    assert_eq!(types.0, "null");
    assert_eq!(types.1, "null");
    assert_eq!(types.2, "2024-05-06T08:00:01.000000Z");

    let stored = journal.events_after(0, 1).expect("read");
    assert_eq!(stored[0].device_time, None);
    assert_eq!(stored[0].subject, None);
    assert_eq!(stored[0].kind, EventKind::DeviceStatus);
}

#[test]
fn invalid_event_rolls_back_batch() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    journal.append(&punch(0)).expect("append");
    let tip = journal.tip_hash();

    let mut batch = punches(1, 4);
    batch[2].idempotency_key = String::new();
    match journal.append_batch(&batch) {
        Err(JournalError::InvalidEvent { index, reason, .. }) => {
            assert_eq!(index, 2);
            assert_eq!(reason, "idempotency key is empty");
        }
        other => panic!("expected InvalidEvent, got {other:?}"),
    }

    assert_eq!(
        row_count(&temp.raw()),
        1,
        "events 0 and 1 of the batch rolled back"
    );
    assert_eq!(journal.last_seq(), 1);
    assert_eq!(journal.tip_hash(), tip);

    batch[2].idempotency_key = "clock-1/3".to_string();
    let outcomes = journal.append_batch(&batch).expect("append");
    assert_eq!(outcomes.last(), Some(&Appended::Stored { seq: 5 }));
    assert!(matches!(
        journal.verify(),
        Ok(VerifyReport::Ok { events: 5, .. })
    ));
}

#[test]
fn time_out_of_range_rolls_back() {
    let temp = TempJournal::new();
    let mut journal = temp.open();

    let mut batch = punches(0, 2);
    batch[1].device_time = Some(utc(10000, 1, 1, 0, 0, 0));
    let error = journal
        .append_batch(&batch)
        .expect_err("year 10000 is rejected");
    let message = error.to_string();
    assert!(
        message.contains("invalid event 1 (idempotency key 'clock-1/1')"),
        "{message}"
    );
    assert!(message.contains("+10000-01-01"), "{message}");
    assert_eq!(row_count(&temp.raw()), 0);
    assert_eq!(journal.last_seq(), 0);
}

#[test]
fn second_writer_chains_after_the_first() {
    let temp = TempJournal::new();
    let mut first = temp.open();
    let mut second = temp.open();
    first.append(&punch(0)).expect("append by the first writer");

    // The second writer appends after the first one did, and the first then
    // appends again: each chains to the row that is last at its commit.
    second
        .append_batch(&punches(1, 2))
        .expect("append by the second writer");
    first
        .append_batch(&punches(3, 2))
        .expect("append again by the first writer");

    let seqs: Vec<i64> = temp
        .raw()
        .prepare("SELECT seq FROM events ORDER BY seq")
        .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect())
        .expect("list seqs");
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert_eq!(first.last_seq(), 5);
    let reader = crate::journal::JournalReader::open(&temp.path).expect("reader");
    match reader.verify().expect("verify") {
        crate::journal::VerifyReport::Ok { events, .. } => assert_eq!(events, 5),
        broken => panic!("chain broken after two writers: {broken:?}"),
    }
}

#[test]
fn trigger_rejects_update() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    journal.append_batch(&punches(0, 3)).expect("append");

    let error = temp
        .raw()
        .execute("UPDATE events SET subject = 'x' WHERE seq = 2", [])
        .expect_err("update is rejected");
    assert!(
        error
            .to_string()
            .contains("events is append-only: UPDATE is not allowed"),
        "{error}"
    );
    let subject: String = temp
        .raw()
        .query_row("SELECT subject FROM events WHERE seq = 2", [], |row| {
            row.get(0)
        })
        .expect("read subject");
    assert_eq!(subject, "1001");
}

#[test]
fn trigger_rejects_delete() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    journal.append_batch(&punches(0, 3)).expect("append");

    let error = temp
        .raw()
        .execute("DELETE FROM events WHERE seq = 3", [])
        .expect_err("delete is rejected");
    assert!(
        error
            .to_string()
            .contains("events is append-only: DELETE is not allowed"),
        "{error}"
    );
    assert_eq!(row_count(&temp.raw()), 3);
}

#[test]
fn disk_full_rolls_back_then_recovers() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    journal.append_batch(&punches(0, 10)).expect("append");
    let tip = journal.tip_hash();

    let pages: u64 = journal
        .conn
        .pragma_query_value(None, "page_count", |row| row.get(0))
        .expect("read page_count");
    assert_eq!(
        journal.set_max_page_count(pages + 1).expect("limit pages"),
        pages + 1
    );

    // 500 events of 1,000 raw bytes need far more than one 4 KiB page.
    let big: Vec<NewEvent> = (100..600)
        .map(|n| NewEvent {
            raw: vec![b'x'; 1000],
            ..punch(n)
        })
        .collect();
    let error = journal.append_batch(&big).expect_err("journal is full");
    assert!(error.is_full(), "expected Full, got {error:?}");
    let message = error.to_string();
    assert!(
        message.contains(&temp.path.display().to_string()),
        "{message}"
    );
    assert!(message.contains("is full"), "{message}");
    assert!(message.contains("free disk space"), "{message}");
    assert!(std::error::Error::source(&error).is_some());

    assert_eq!(
        row_count(&temp.raw()),
        10,
        "nothing of the batch was written"
    );
    assert_eq!(journal.last_seq(), 10);
    assert_eq!(journal.tip_hash(), tip);
    assert_eq!(
        journal.verify().expect("verify"),
        VerifyReport::Ok { events: 10, tip }
    );

    journal.set_max_page_count(1 << 30).expect("raise limit");
    let outcomes = journal
        .append_batch(&big)
        .expect("append after raising the limit");
    assert_eq!(outcomes.first(), Some(&Appended::Stored { seq: 11 }));
    assert_eq!(outcomes.last(), Some(&Appended::Stored { seq: 510 }));
    assert!(matches!(
        journal.verify(),
        Ok(VerifyReport::Ok { events: 510, .. })
    ));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

    /// Random batches of keys drawn from a small set, so that duplicates
    /// occur within and across batches, match a map from key to first seq.
    #[test]
    fn batches_match_key_model(
        batches in proptest::collection::vec(proptest::collection::vec(0u32..12, 0..8), 1..6)
    ) {
        let temp = TempJournal::new();
        let mut journal = temp.open();
        let mut first_seq = std::collections::HashMap::new();

        for keys in &batches {
            let events: Vec<NewEvent> = keys.iter().map(|&key| punch(key)).collect();
            let outcomes = journal.append_batch(&events).expect("append");

            let mut expected = Vec::new();
            for &key in keys {
                let next_seq = first_seq.len() as i64 + 1;
                match first_seq.get(&key) {
                    Some(&seq) => expected.push(Appended::Duplicate { seq }),
                    None => {
                        first_seq.insert(key, next_seq);
                        expected.push(Appended::Stored { seq: next_seq });
                    }
                }
            }
            proptest::prop_assert_eq!(outcomes, expected);
        }

        let stored = first_seq.len() as u64;
        proptest::prop_assert_eq!(journal.last_seq(), stored as i64);
        let report = journal.verify().expect("verify");
        proptest::prop_assert_eq!(
            report,
            VerifyReport::Ok { events: stored, tip: journal.tip_hash() }
        );
    }
}
