//! Report and feed queries.

use super::*;
use crate::journal::JournalError;

/// Builds an event of `kind` with key `key`, device time 2024-05-06 `h:mi`, about
/// `subject`.
fn at(kind: EventKind, key: &str, h: u32, mi: u32, subject: &str) -> NewEvent {
    NewEvent {
        kind,
        idempotency_key: key.to_string(),
        device_time: Some(utc(2024, 5, 6, h, mi, 0)),
        subject: Some(subject.to_string()),
        ..punch(0)
    }
}

/// Keys of `events`, in order.
fn keys(events: &[crate::journal::StoredEvent]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event.idempotency_key.as_str())
        .collect()
}

/// Opens a journal with punches, a rating and a device status around 08:00 to
/// 09:00 on 2024-05-06, appended out of device-time order.
fn mixed_journal(temp: &TempJournal) -> Journal {
    let mut journal = temp.open();
    let mut status = at(EventKind::DeviceStatus, "status", 8, 30, "-");
    status.device_time = None;
    status.subject = None;
    journal
        .append_batch(&[
            at(EventKind::Punch, "p-0830-a", 8, 30, "1001"), // seq 1
            at(EventKind::Punch, "p-0800", 8, 0, "1002"),    // seq 2
            at(EventKind::Rating, "r-0815", 8, 15, "k1"),    // seq 3
            at(EventKind::Punch, "p-0830-b", 8, 30, "1002"), // seq 4
            at(EventKind::Punch, "p-0900", 9, 0, "1001"),    // seq 5
            at(EventKind::Punch, "p-0759", 7, 59, "1001"),   // seq 6
            status,                                          // seq 7
        ])
        .expect("append");
    journal
}

#[test]
fn punches_between_orders_by_device_time() {
    let temp = TempJournal::new();
    let journal = mixed_journal(&temp);

    let punches = journal
        .punches_between(utc(2024, 5, 6, 8, 0, 0), utc(2024, 5, 6, 9, 0, 0))
        .expect("query");
    // 08:00 is inside [from, to) while 09:00 and 07:59 are outside. The two
    // 08:30 punches keep seq order.
    assert_eq!(keys(&punches), ["p-0800", "p-0830-a", "p-0830-b"]);
    let seqs: Vec<i64> = punches.iter().map(|event| event.seq).collect();
    assert_eq!(seqs, [2, 1, 4]);

    let reader = journal.reader().expect("reader");
    let from_reader = reader
        .punches_between(utc(2024, 5, 6, 8, 0, 0), utc(2024, 5, 6, 9, 0, 0))
        .expect("query");
    assert_eq!(from_reader, punches);
}

#[test]
fn events_between_filters_kind() {
    let temp = TempJournal::new();
    let journal = mixed_journal(&temp);

    let ratings = journal
        .events_between(
            EventKind::Rating,
            utc(2024, 5, 6, 0, 0, 0),
            utc(2024, 5, 7, 0, 0, 0),
        )
        .expect("query");
    assert_eq!(keys(&ratings), ["r-0815"]);

    // The status event has no device time, so no range contains it.
    let statuses = journal
        .events_between(
            EventKind::DeviceStatus,
            utc(2000, 1, 1, 0, 0, 0),
            utc(2100, 1, 1, 0, 0, 0),
        )
        .expect("query");
    assert_eq!(keys(&statuses), Vec::<&str>::new());
}

#[test]
fn subject_events_between_filters_subject() {
    let temp = TempJournal::new();
    let journal = mixed_journal(&temp);

    let punches = journal
        .subject_events_between(
            EventKind::Punch,
            "1001",
            utc(2024, 5, 6, 0, 0, 0),
            utc(2024, 5, 7, 0, 0, 0),
        )
        .expect("query");
    assert_eq!(keys(&punches), ["p-0759", "p-0830-a", "p-0900"]);
}

#[test]
fn range_queries_use_index_order() {
    let temp = TempJournal::new();
    let journal = mixed_journal(&temp);

    let plans = [
        (
            "EXPLAIN QUERY PLAN SELECT * FROM events \
             WHERE kind = 'punch' AND device_time >= 'a' AND device_time < 'b' \
             ORDER BY device_time, seq",
            "USING INDEX events_kind_device_time ",
        ),
        (
            "EXPLAIN QUERY PLAN SELECT * FROM events \
             WHERE kind = 'punch' AND subject = '1' AND device_time >= 'a' AND device_time < 'b' \
             ORDER BY device_time, seq",
            "USING INDEX events_kind_subject_device_time ",
        ),
    ];
    for (sql, index) in plans {
        let details: Vec<String> = journal
            .conn
            .prepare(sql)
            .and_then(|mut stmt| stmt.query_map([], |row| row.get(3))?.collect())
            .expect("explain query");
        let plan = details.join("; ");
        assert!(plan.contains(index), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}

#[test]
fn events_after_pages_in_seq_order() {
    let temp = TempJournal::new();
    let journal = mixed_journal(&temp);

    let first = journal.events_after(0, 3).expect("query");
    assert_eq!(keys(&first), ["p-0830-a", "p-0800", "r-0815"]);
    let rest = journal.events_after(3, 100).expect("query");
    let seqs: Vec<i64> = rest.iter().map(|event| event.seq).collect();
    assert_eq!(seqs, [4, 5, 6, 7]);
    assert_eq!(journal.events_after(7, 100).expect("query"), []);
    assert_eq!(journal.events_after(0, 0).expect("query"), []);
    assert_eq!(
        journal.events_after(-5, usize::MAX).expect("query").len(),
        7
    );
}

#[test]
fn count_by_kind_counts() {
    let temp = TempJournal::new();
    let journal = mixed_journal(&temp);

    let counts = journal.count_by_kind().expect("count");
    let expected = [
        (EventKind::Punch, 5),
        (EventKind::DeviceStatus, 1),
        (EventKind::Rating, 1),
    ];
    assert_eq!(counts, expected.into_iter().collect());
    assert_eq!(
        journal
            .reader()
            .expect("reader")
            .count_by_kind()
            .expect("count"),
        counts
    );
}

#[test]
fn query_rejects_five_digit_year() {
    let temp = TempJournal::new();
    let journal = temp.open();

    let result = journal.punches_between(utc(2024, 1, 1, 0, 0, 0), utc(10000, 1, 1, 0, 0, 0));
    match result {
        Err(JournalError::TimeOutOfRange { time, .. }) => {
            assert_eq!(time, utc(10000, 1, 1, 0, 0, 0));
        }
        other => panic!("expected TimeOutOfRange, got {other:?}"),
    }
}

#[test]
fn query_reports_edited_payload() {
    let temp = TempJournal::new();
    let journal = mixed_journal(&temp);
    let raw = temp.raw();
    drop_triggers(&raw);
    raw.execute("UPDATE events SET payload = '{broken' WHERE seq = 4", [])
        .expect("edit row");
    raw.execute("UPDATE events SET kind = 'lunch' WHERE seq = 6", [])
        .expect("edit row");

    match journal.events_after(3, 1) {
        Err(JournalError::InvalidRow { seq, column, .. }) => {
            assert_eq!(seq, 4);
            assert_eq!(column, "payload");
        }
        other => panic!("expected InvalidRow, got {other:?}"),
    }
    match journal.count_by_kind() {
        Err(JournalError::InvalidRow {
            seq,
            column,
            reason,
            ..
        }) => {
            assert_eq!(seq, 6);
            assert_eq!(column, "kind");
            assert!(reason.contains("unknown event kind 'lunch'"), "{reason}");
        }
        other => panic!("expected InvalidRow, got {other:?}"),
    }
}

#[test]
fn last_event_by_device_and_subject() {
    let temp = TempJournal::new();
    let mut journal = temp.open();
    let mut other_device = at(EventKind::DeviceRecord, "r-other", 8, 0, "stamp:ATTLOG");
    other_device.device_id = "clock-2".to_string();
    journal
        .append_batch(&[
            at(EventKind::DeviceRecord, "r-1", 8, 0, "stamp:ATTLOG"), // seq 1
            at(EventKind::DeviceRecord, "r-2", 7, 0, "stamp:ATTLOG"), // seq 2
            at(EventKind::DeviceRecord, "r-3", 9, 0, "stamp:OPERLOG"), // seq 3
            other_device,                                             // seq 4
            at(EventKind::Punch, "p-1", 9, 30, "stamp:ATTLOG"),       // seq 5
        ])
        .expect("append");
    let reader = journal.reader().expect("reader");

    // The highest seq wins, not the latest device time.
    let last = reader
        .last_event(EventKind::DeviceRecord, "clock-1", Some("stamp:ATTLOG"))
        .expect("query");
    assert_eq!(last.map(|event| event.seq), Some(2));

    let any_subject = reader
        .last_event(EventKind::DeviceRecord, "clock-1", None)
        .expect("query");
    assert_eq!(any_subject.map(|event| event.seq), Some(3));

    let other = reader
        .last_event(EventKind::DeviceRecord, "clock-2", None)
        .expect("query");
    assert_eq!(
        other.map(|event| event.idempotency_key),
        Some("r-other".to_string())
    );

    let none = reader
        .last_event(EventKind::DeviceStatus, "clock-1", None)
        .expect("query");
    assert_eq!(none, None);
}
