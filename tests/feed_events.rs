//! The event feed under load: a consumer pages with small limits while two
//! writers append, one through the API and one as a separate `hallbox
//! import` process on its own connection, and must see every event exactly
//! once, in sequence order.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::json;
use support::hall::Hall;
use support::{attlog_line, token};

/// Batches each writer appends.
const BATCHES: usize = 12;
/// Punches per import batch.
const PUNCHES_PER_BATCH: usize = 25;

/// Export lines of batch `batch` of writer `writer`: distinct PINs and
/// times, so that no punch is a duplicate of another.
fn batch_lines(writer: usize, batch: usize) -> String {
    let mut text = String::new();
    for i in 0..PUNCHES_PER_BATCH {
        let minute = batch * PUNCHES_PER_BATCH + i;
        let time = format!(
            "2026-11-{:02} {:02}:{:02}:00",
            2 + writer,
            8 + minute / 60,
            minute % 60
        );
        text.push_str(&attlog_line(&format!("{}", 100 + writer), &time));
    }
    text
}

#[tokio::test]
async fn feed_pages_exactly_once_while_writing() {
    let hall = Hall::start();
    let config = hall.dir.path().join("hallbox.toml");

    // Writer 1: imports and patrol punches through the API.
    let client = hall.client.clone();
    let import_url = hall
        .server
        .url("/api/v1/imports/attlog?device=clock-api&new_device=true");
    let patrol_url = hall.server.url("/api/v1/patrols");
    let api_writer = tokio::spawn(async move {
        for batch in 0..BATCHES {
            let response = client
                .post(&import_url)
                .bearer_auth(token("bureau-1"))
                .body(batch_lines(0, batch))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 200);
            let response = client
                .post(&patrol_url)
                .bearer_auth(token("bureau-1"))
                .json(&json!({
                    "person": "S002",
                    "at": format!("2026-11-20T08:{batch:02}:00"),
                    "patrolled_by": "王监管",
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 201);
        }
    });

    // Writer 2: `hallbox import attlog` processes on their own connection.
    let cli_writer = tokio::task::spawn_blocking(move || {
        for batch in 0..BATCHES {
            let file = config.with_file_name(format!("batch-{batch}.dat"));
            std::fs::write(&file, batch_lines(1, batch)).unwrap();
            let output = support::run(&[
                "import",
                "attlog",
                file.to_str().unwrap(),
                "--new-device",
                "--device",
                "clock-cli",
                "--config",
                config.to_str().unwrap(),
            ]);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    });

    // The consumer pages with limits of 1 to 7 until the writers are done
    // and a page reports that nothing more is stored.
    let mut seen: Vec<i64> = Vec::new();
    let mut after = 0;
    let mut limit = 1;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let page = hall
            .get(
                &format!("/api/v1/events?after={after}&limit={limit}"),
                "central-1",
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        let events = page.body["events"].as_array().unwrap();
        assert!(events.len() <= limit, "page larger than its limit");
        for event in events {
            seen.push(event["seq"].as_i64().unwrap());
        }
        let next = page.body["next"].as_i64().unwrap();
        assert_eq!(
            next,
            seen.last().copied().unwrap_or(0),
            "next is the last seq"
        );
        after = next;
        limit = limit % 7 + 1;

        let writers_done = api_writer.is_finished() && cli_writer.is_finished();
        if writers_done && !page.body["has_more"].as_bool().unwrap() {
            break;
        }
        assert!(Instant::now() < deadline, "the feed did not catch up");
        if events.is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    api_writer.await.unwrap();
    cli_writer.await.unwrap();

    // Each writer's punches, each patrol punch with its audit entry, and the
    // audit entry of each API import.
    let expected = 2 * BATCHES * PUNCHES_PER_BATCH + 2 * BATCHES + BATCHES;
    assert_eq!(seen.len(), expected);
    let expected_seqs: Vec<i64> = (1..=expected as i64).collect();
    assert_eq!(seen, expected_seqs, "every event once, in order");
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len());

    // A consumer resuming from a stored cursor gets the rest exactly.
    let page = hall
        .get("/api/v1/events?after=100&limit=3", "central-1")
        .await;
    let seqs: Vec<i64> = page.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [101, 102, 103]);
    assert_eq!(page.body["next"], 103);
    assert_eq!(page.body["has_more"], true);
}

#[tokio::test]
async fn feed_rejects_bad_cursors() {
    let hall = Hall::start();
    for query in ["after=-1", "after=x", "limit=0", "limit=1001", "since=3"] {
        let answer = hall
            .get(&format!("/api/v1/events?{query}"), "central-1")
            .await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.body);
        let code = answer.body["error"]["code"].as_str().unwrap_or("");
        assert!(
            code == "invalid_parameter" || code == "unknown_parameter",
            "{query}: {code}"
        );
    }
    // An empty journal: an empty page whose cursor stays.
    let answer = hall.get("/api/v1/events?after=0", "central-1").await;
    assert_eq!(
        answer.body,
        json!({"events": [], "next": 0, "has_more": false})
    );
}
