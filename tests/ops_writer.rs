//! The journal writer's health as the watchdog, `/readyz` and the device
//! page read it: a writer whose commits all fail stores nothing and is not
//! healthy, and a writer that was idle is not stalled when work arrives.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use hallbox::ingest;
use hallbox::journal::{EventKind, Journal, NewEvent};

fn punch(key: &str) -> NewEvent {
    NewEvent {
        kind: EventKind::Punch,
        device_id: "clock-1".to_string(),
        idempotency_key: key.to_string(),
        device_time: Some(Utc.with_ymd_and_hms(2026, 11, 2, 0, 30, 0).unwrap()),
        received_at: Utc.with_ymd_and_hms(2026, 11, 2, 0, 30, 1).unwrap(),
        subject: Some("1001".to_string()),
        // Large enough that a journal held at its current size cannot take it.
        raw: vec![b'x'; 8192],
        payload: serde_json::json!({}),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_journal_writer_not_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(dir.path().join("journal.sqlite")).unwrap();
    let (handle, writer) = ingest::start(journal).unwrap();
    handle
        .submit(punch("first"))
        .await
        .expect("first punch fits");
    assert_eq!(handle.stats().failing_for(), None);

    // As a full disk: the file may not grow past its current size.
    handle.set_max_page_count(1);
    for n in 0..5 {
        let stored = handle.submit(punch(&format!("full-{n}"))).await;
        assert!(stored.is_err(), "punch {n} stored on a full journal");
    }
    assert!(handle.stats().failing_for().is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !handle.is_healthy(Duration::from_millis(200)),
        "a writer whose commits have failed for 300 ms counts as healthy with a 200 ms limit"
    );
    assert!(handle.is_healthy(Duration::from_secs(30)));

    // Room again: the next commit succeeds and the writer is healthy.
    handle.set_max_page_count(1_000_000);
    handle.submit(punch("room-again")).await.expect("stored");
    assert_eq!(handle.stats().failing_for(), None);
    assert!(handle.is_healthy(Duration::from_millis(200)));

    drop(handle);
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_writer_not_stalled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = Journal::open(&path).unwrap();
    let (handle, writer) = ingest::start(journal).unwrap();
    handle.submit(punch("warm-up")).await.unwrap();

    // Idle for longer than the stall limit used below.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(handle.stats().commit_running_for(), None);

    // Another connection holds the write lock, so the writer waits in the
    // commit of the first submission while the second queues behind it.
    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let first = tokio::spawn({
        let handle = handle.clone();
        async move { handle.submit(punch("first")).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = tokio::spawn({
        let handle = handle.clone();
        async move { handle.submit(punch("second")).await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let queued = handle.queued();
    let healthy_soon = handle.is_healthy(Duration::from_millis(200));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let healthy_later = handle.is_healthy(Duration::from_millis(200));
    blocker.execute_batch("COMMIT").unwrap();
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();

    assert_eq!(queued, 1, "the second submission waits in the queue");
    assert!(healthy_soon, "a commit running for 40 ms counts as a stall");
    assert!(
        !healthy_later,
        "a commit running for 340 ms is within a 200 ms limit"
    );
    assert!(handle.is_healthy(Duration::from_millis(200)));

    drop(handle);
    tokio::task::spawn_blocking(move || writer.join())
        .await
        .unwrap();
}
