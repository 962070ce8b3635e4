//! Tests of the record builders with hand-worked bodies, and properties
//! over random bodies: no panic, every line accounted for, and every event
//! accepted by a real journal.

use chrono::{DateTime, NaiveDateTime, Utc};
use hallbox_drivers::adms::{LineError, SerialNumber, Stamps};
use hallbox_drivers::attlog::TimeLimits;
use proptest::prelude::*;
use serde_json::json;

use super::clock::Link;
use super::records::{
    command_result_batch, operlog_batch, punch_batch, stamp_event, RejectReason, UploadContext,
};
use crate::config::AdmsClock;
use crate::journal::{EventKind, Journal};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("valid test time")
        .with_timezone(&Utc)
}

fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("valid test time")
}

fn clock() -> AdmsClock {
    AdmsClock {
        id: "face-1".to_string(),
        serial_number: SerialNumber::parse("CKJ4213600282").expect("valid serial"),
        name: None,
    }
}

/// Returns the context of a batch received at 2026-11-02 08:01:45 Shanghai
/// time (00:01:45 UTC),
/// with punches accepted from 2010-01-01 to one day after receipt and a
/// two-minute skew limit.
fn context(stamp: Option<u64>) -> UploadContext {
    UploadContext {
        clock: clock(),
        zone: chrono_tz::Asia::Shanghai,
        received_at: utc("2026-11-02T00:01:45Z"),
        limits: TimeLimits {
            earliest: local("2010-01-01 00:00:00"),
            latest: local("2026-11-03 08:01:45"),
        },
        max_skew_secs: 120,
        stamp,
    }
}

#[test]
fn punches_from_ten_column_crlf() {
    let body = b"1001\t2026-11-02 08:01:15\t0\t15\t0\t0\t0\t0\t36.5\t17\r\n\
                 1002\t2026-11-02 07:58:40\t1\t1\t\t0\t0\t0\t0\t18\r\n\r\n\r\n";
    let batch = punch_batch(body, &context(Some(9999)));

    assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
    assert_eq!(batch.events.len(), 2);

    // 08:01:45 - 08:01:15 = 30 s, within 120 s.
    let first = &batch.events[0];
    assert_eq!(first.kind, EventKind::Punch);
    assert_eq!(first.device_id, "face-1");
    assert_eq!(
        first.idempotency_key,
        "punch:face-1:1001:2026-11-02T08:01:15"
    );
    assert_eq!(first.device_time, Some(utc("2026-11-02T00:01:15Z")));
    assert_eq!(first.received_at, utc("2026-11-02T00:01:45Z"));
    assert_eq!(first.subject.as_deref(), Some("1001"));
    assert_eq!(
        first.raw,
        b"1001\t2026-11-02 08:01:15\t0\t15\t0\t0\t0\t0\t36.5\t17".to_vec()
    );
    assert_eq!(
        first.payload,
        json!({
            "pin": "1001",
            "local_time": "2026-11-02 08:01:15",
            "status": 0,
            "verify": 15,
            "work_code": "0",
            "source": "adms",
            "sn": "CKJ4213600282",
            "clock_skew_seconds": 30,
            "clock_skew_flag": false,
        })
    );

    // 08:01:45 - 07:58:40 = 3 min 5 s = 185 s, over 120 s.
    let second = &batch.events[1];
    assert_eq!(second.payload["clock_skew_seconds"], 185);
    assert_eq!(second.payload["clock_skew_flag"], true);
    assert_eq!(second.payload["work_code"], serde_json::Value::Null);

    // The newest punch, 08:01:15, gives the clock's skew.
    assert_eq!(batch.newest_skew_secs, Some(30));
}

#[test]
fn punches_skew_limit_exclusive() {
    // 120 s exactly is within the limit; 121 s is over it.
    let body = b"1\t2026-11-02 07:59:45\n2\t2026-11-02 07:59:44\n";
    let batch = punch_batch(body, &context(None));
    assert_eq!(batch.events[0].payload["clock_skew_seconds"], 120);
    assert_eq!(batch.events[0].payload["clock_skew_flag"], false);
    assert_eq!(batch.events[1].payload["clock_skew_seconds"], 121);
    assert_eq!(batch.events[1].payload["clock_skew_flag"], true);
}

#[test]
fn punches_outside_limits_rejected() {
    let body = b"1001\t2026-11-02 08:00:00\n\
                 1002\t2000-01-01 00:00:05\n\
                 1003\t2026-11-04 09:00:00\n\
                 1004 2026-11-02 08:00:00\n\
                 1005\t2026-11-02 08:01:00\n";
    let batch = punch_batch(body, &context(None));

    // The punches first, then the records of the punches with a rejected
    // time, which the clock will not send again.
    let pins: Vec<&str> = batch
        .events
        .iter()
        .map(|event| event.subject.as_deref().unwrap_or_default())
        .collect();
    assert_eq!(pins, ["1001", "1005", "1002", "1003"]);
    assert_eq!(batch.punches, 2);
    let kept = &batch.events[2];
    assert_eq!(kept.kind, EventKind::DeviceRecord);
    assert_eq!(kept.payload["record"], "rejected_punch");
    assert_eq!(kept.payload["local_time"], "2000-01-01 00:00:05");
    assert_eq!(kept.payload["reason"], "time_too_early");
    assert_eq!(batch.events[3].payload["reason"], "time_too_late");

    let rejected: Vec<(usize, &str)> = batch
        .rejected
        .iter()
        .map(|rejection| (rejection.line, rejection.reason.code()))
        .collect();
    assert_eq!(
        rejected,
        [
            (2, "time_too_early"),
            (3, "time_too_late"),
            (4, "too_few_columns")
        ]
    );
    assert_eq!(
        batch.rejected[0].reason,
        RejectReason::TimeTooEarly {
            time: local("2000-01-01 00:00:05"),
            earliest: local("2010-01-01 00:00:00"),
        }
    );
    assert_eq!(
        batch.rejected[2].reason,
        RejectReason::Line(LineError::TooFewColumns { found: 1, min: 2 })
    );

    // The rejected 2026-11-04 09:00:00 punch is the newest: the clock runs
    // ahead of 08:01:45 by 2 days, 58 min and 15 s = 172,800 + 3,495 s.
    assert_eq!(batch.newest_skew_secs, Some(-176_295));
}

#[test]
fn punch_resent_same_key() {
    let body = b"1001\t2026-11-02 08:01:15\t0\t15\n";
    let first = punch_batch(body, &context(Some(1)));
    let mut later = context(Some(1));
    later.received_at = utc("2026-11-02T00:05:00Z");
    let resent = punch_batch(body, &later);
    assert_eq!(
        first.events[0].idempotency_key,
        resent.events[0].idempotency_key
    );
    assert_ne!(first.events[0].received_at, resent.events[0].received_at);
}

#[test]
fn operlog_users_and_oplog() {
    let body = "OPLOG 4\t0\t2026-11-02 08:00:00\t0\t0\t0\t0\r\n\
                USER PIN=1001\tName=张三\tPri=0\tPasswd=1234\tCard=[0A1B2C3D]\tGrp=1\r\n\
                FP PIN=1001\tFID=6\tSize=8\tValid=1\tTMP=QUJDRA==\r\n\
                garbage\r\n";
    let batch = operlog_batch(body.as_bytes(), &context(Some(77)));

    assert_eq!(batch.events.len(), 2);
    let oplog = &batch.events[0];
    assert_eq!(oplog.kind, EventKind::DeviceRecord);
    // Stamp, line and a digest of the content, so a batch that reuses an
    // old stamp with other lines is not taken for a resend.
    assert!(
        oplog
            .idempotency_key
            .starts_with("adms:face-1:OPERLOG:s77:1:"),
        "{}",
        oplog.idempotency_key
    );
    let again = operlog_batch(body.as_bytes(), &context(Some(77)));
    assert_eq!(again.events[0].idempotency_key, oplog.idempotency_key);
    let other = operlog_batch(
        b"OPLOG 5\t0\t2026-11-02 09:00:00\t0\t0\t0\t0\n",
        &context(Some(77)),
    );
    assert_ne!(other.events[0].idempotency_key, oplog.idempotency_key);
    assert_eq!(oplog.subject, None);
    assert_eq!(
        oplog.raw,
        b"OPLOG 4\t0\t2026-11-02 08:00:00\t0\t0\t0\t0".to_vec()
    );
    assert_eq!(oplog.payload["record"], "operation_log");

    let user = &batch.events[1];
    assert!(user
        .idempotency_key
        .starts_with("adms:face-1:OPERLOG:s77:2:"));
    assert_eq!(user.subject.as_deref(), Some("1001"));
    assert!(user.raw.is_empty(), "the USER line carries the password");
    assert_eq!(
        user.payload,
        json!({"record": "clock_user", "sn": "CKJ4213600282", "pin": "1001", "name": "张三"})
    );
    let stored = format!("{:?}", batch.events);
    assert!(
        !stored.contains("1234") && !stored.contains("0A1B2C3D"),
        "{stored}"
    );

    assert_eq!(batch.rejected.len(), 1);
    assert_eq!(batch.rejected[0].line, 4);
    assert_eq!(batch.rejected[0].reason.code(), "missing_tag");
}

#[test]
fn operlog_without_stamp_keyed_by_receipt() {
    let batch = operlog_batch(b"USER PIN=7\tName=Ma\n", &context(None));
    // 2026-11-02T00:01:45Z is 1_793_577_600 + 105 s after the Unix epoch.
    assert!(
        batch.events[0]
            .idempotency_key
            .starts_with("adms:face-1:OPERLOG:r1793577705000000000:1:"),
        "{}",
        batch.events[0].idempotency_key
    );
}

#[test]
fn command_results_recorded() {
    let body = b"ID=12&Return=0&CMD=SET OPTION\r\nID=13&Return=-1&CMD=REBOOT\nID=x&Return=0\n";
    let (batch, results) = command_result_batch(body, &context(None));

    assert_eq!(results.len(), 2);
    assert_eq!(batch.events.len(), 2);
    assert_eq!(batch.events[0].idempotency_key, "adms:face-1:devicecmd:12");
    assert_eq!(
        batch.events[0].raw,
        b"ID=12&Return=0&CMD=SET OPTION".to_vec()
    );
    assert_eq!(
        batch.events[1].payload,
        json!({
            "record": "command_result",
            "sn": "CKJ4213600282",
            "id": 13,
            "return": -1,
            "cmd": "REBOOT",
            "details": [],
        })
    );
    assert_eq!(batch.rejected.len(), 1);
    assert_eq!(batch.rejected[0].line, 3);
    assert_eq!(batch.rejected[0].reason.code(), "invalid_number");
}

#[test]
fn stamp_event_fields() {
    let event = stamp_event(&context(Some(5)), "ATTLOG", 583_080_894);
    assert_eq!(event.kind, EventKind::DeviceRecord);
    assert_eq!(event.subject.as_deref(), Some("stamp:ATTLOG"));
    assert_eq!(
        event.idempotency_key,
        "adms:face-1:stamp:ATTLOG:583080894:1793577705000000000"
    );
    assert_eq!(
        event.payload,
        json!({"record": "upload_stamp", "sn": "CKJ4213600282", "table": "ATTLOG", "stamp": 583_080_894u64})
    );
}

#[test]
fn restore_reads_last_stamp_and_status() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("journal.sqlite");
    let mut journal = Journal::open(&path).expect("open journal");

    let mut second = context(Some(2));
    second.received_at = utc("2026-11-02T00:02:00Z");
    let mut status = stamp_event(&context(None), "ATTLOG", 1);
    status.kind = EventKind::DeviceStatus;
    status.idempotency_key = "status:face-1:lost:1".to_string();
    status.subject = None;
    status.payload = json!({"state": "lost", "address": "10.0.0.9", "reason": "silent"});
    journal
        .append_batch(&[
            stamp_event(&context(None), "ATTLOG", 900),
            stamp_event(&second, "ATTLOG", 40),
            stamp_event(&context(None), "OPERLOG", 7),
            status,
        ])
        .expect("append");

    let mut other = clock();
    other.id = "face-2".to_string();
    other.serial_number = SerialNumber::parse("B2").expect("valid serial");
    let restored = super::restore(&path, &[clock(), other]).expect("restore");

    // The stamp stored last wins, even when it is smaller.
    assert_eq!(
        restored[0],
        (
            Stamps {
                attlog: 40,
                operlog: 7,
                attphoto: 0
            },
            Link::Lost
        )
    );
    assert_eq!(restored[1], (Stamps::default(), Link::Unknown));
}

/// Counts the lines of `body` the protocol parsers read: split at LF, a
/// byte order mark skipped at the start, lines of only ASCII whitespace
/// left out.
fn non_blank_lines(body: &[u8]) -> usize {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    body.split(|&byte| byte == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .count()
}

/// Lines shaped like ATTLOG lines, with random columns, some valid and some
/// not, joined with LF or CRLF.
fn attlog_like_body() -> impl Strategy<Value = Vec<u8>> {
    let pin = prop_oneof!["[0-9]{1,8}", "[ -~]{0,30}", Just(String::new()),];
    let time = prop_oneof![
        (
            1995u32..2030,
            0u32..14,
            0u32..33,
            0u32..25,
            0u32..61,
            0u32..61
        )
            .prop_map(|(y, mo, d, h, mi, s)| format!(
                "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"
            )),
        "[ -~]{0,25}",
    ];
    let column = prop_oneof!["[0-9]{0,4}", "[ -~]{0,6}", Just(String::new())];
    let line = (
        pin,
        time,
        proptest::collection::vec(column, 0..9),
        any::<bool>(),
    )
        .prop_map(|(pin, time, rest, crlf)| {
            let mut text = format!("{pin}\t{time}");
            for column in rest {
                text.push('\t');
                text.push_str(&column);
            }
            text.push_str(if crlf { "\r\n" } else { "\n" });
            text.into_bytes()
        });
    proptest::collection::vec(line, 0..40).prop_map(|lines| lines.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let context = context(Some(1));
        let punches = punch_batch(&body, &context);
        prop_assert_eq!(
            punches.punches + punches.rejected.len(),
            non_blank_lines(&body)
        );
        let _ = operlog_batch(&body, &context);
        let _ = command_result_batch(&body, &context);
    }

    #[test]
    fn attlog_like_lines_accounted(body in attlog_like_body()) {
        let batch = punch_batch(&body, &context(None));
        prop_assert_eq!(batch.punches + batch.rejected.len(), non_blank_lines(&body));
        for event in &batch.events[..batch.punches] {
            let skew = event.payload["clock_skew_seconds"].as_i64().unwrap_or(i64::MAX);
            prop_assert_eq!(event.payload["clock_skew_flag"].as_bool(), Some(skew.abs() > 120));
        }
    }
}

proptest! {
    // Each case opens a journal file, so fewer cases.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_events_commit(body in attlog_like_body(), raw in proptest::collection::vec(any::<u8>(), 0..512)) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut journal = Journal::open(dir.path().join("journal.sqlite")).expect("open journal");
        let context = context(Some(3));

        let mut events = punch_batch(&body, &context).events;
        events.extend(operlog_batch(&raw, &context).events);
        events.extend(command_result_batch(&raw, &context).0.events);
        events.push(stamp_event(&context, "ATTLOG", 3));

        // A batch that cannot commit would be sent again forever, so every
        // event built from any body must be one the journal accepts.
        let outcomes = journal.append_batch(&events);
        prop_assert!(outcomes.is_ok(), "{:?}", outcomes.err());
    }
}

#[test]
fn non_blank_lines_counts() {
    assert_eq!(non_blank_lines(b""), 0);
    assert_eq!(non_blank_lines(b"a\r\n\r\n \nb"), 2);
    assert_eq!(non_blank_lines(b"\xEF\xBB\xBF\n"), 0);
}

/// Sends `raw` to `address` and returns the status code and body of the
/// reply. The request must contain `Connection: close`.
async fn exchange(address: std::net::SocketAddr, raw: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(raw).await.expect("send request");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.expect("read reply");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("end of headers");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status code");
    (status, body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_commit_gets_no_ok() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = listener_config(dir.path());

    // A journal that cannot grow: SQLite raises the limit to the current
    // page count, and a batch of 300 punches needs more pages.
    let mut journal = Journal::open(&config.journal.path).expect("open journal");
    journal.set_max_page_count(1).expect("limit pages");
    let (ingest, writer) = crate::ingest::start(journal).expect("start writer");
    let server = super::start(&config, ingest.clone())
        .await
        .expect("start listener")
        .expect("a clock is configured");
    let address = server.address();

    let body: String = (0..300)
        .map(|n| {
            format!(
                "{}\t2025-06-02 08:{:02}:{:02}\t0\t15\t0\t0\t0\t0\t0\t{n}\r\n",
                1000 + n,
                n / 60,
                n % 60
            )
        })
        .collect();
    let request = format!(
        "POST /iclock/cdata?SN=CKJ4213600282&table=ATTLOG&Stamp=42 HTTP/1.1\r\n\
         Host: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let (status, reply) = exchange(address, request.as_bytes()).await;
    assert_eq!(status, 503);
    assert_eq!(reply, "ERROR: failed to store the records");

    // The stamp did not move, so a restarted clock sends the batch again.
    let handshake = "GET /iclock/cdata?SN=CKJ4213600282&options=all HTTP/1.1\r\n\
                     Host: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let (status, reply) = exchange(address, handshake.as_bytes()).await;
    assert_eq!(status, 200);
    assert!(reply.contains("\nATTLOGStamp=0\n"), "{reply}");

    let statuses = server.state().clock_statuses();
    assert_eq!(statuses[0].counters.failed_commits, 1);
    assert_eq!(statuses[0].counters.punches_stored, 0);
    assert_eq!(statuses[0].stamps, Stamps::default());

    server.stop().await;
    drop(ingest);
    let journal = tokio::task::spawn_blocking(move || writer.join())
        .await
        .expect("join writer");
    let punches = journal.count_by_kind().expect("count");
    assert_eq!(punches.get(&EventKind::Punch), None);
}

/// Returns a configuration with one clock, the ADMS listener on an
/// ephemeral port and the journal in `dir`.
fn listener_config(dir: &std::path::Path) -> crate::config::Config {
    let text = r#"
        [journal]
        path = "journal.sqlite"
        [calendar]
        kind = "monday-to-friday"
        [adms]
        listen = "127.0.0.1:0"
        [[adms.clock]]
        id = "face-1"
        serial_number = "CKJ4213600282"
    "#;
    crate::config::parse(std::path::Path::new("hallbox.toml"), text, dir).expect("valid config")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_capped_and_closed() {
    use std::time::{Duration, Instant};
    use tokio::io::AsyncReadExt;

    let dir = tempfile::tempdir().expect("temporary directory");
    let config = listener_config(dir.path());
    let journal = Journal::open(&config.journal.path).expect("open journal");
    let (ingest, _writer) = crate::ingest::start(journal).expect("start writer");
    let limits = crate::listener::ConnectionLimits {
        max_connections: 2,
        header_read_timeout: Duration::from_millis(300),
    };
    let server = super::start_with_limits(&config, ingest, limits)
        .await
        .expect("start listener")
        .expect("a clock is configured");
    let address = server.address();

    // Two connections that send nothing take both slots.
    let started = Instant::now();
    let mut idle_1 = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let mut idle_2 = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");

    // A third request waits for a slot, which frees when the header time
    // limit closes an idle connection.
    let handshake = "GET /iclock/cdata?SN=CKJ4213600282&options=all HTTP/1.1\r\n\
                     Host: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let (status, _) = tokio::time::timeout(
        Duration::from_secs(10),
        exchange(address, handshake.as_bytes()),
    )
    .await
    .expect("the third request is served once a slot frees");
    assert_eq!(status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "served after {:?}, before an idle connection timed out",
        started.elapsed()
    );

    // Both idle connections were closed by the server: reads end.
    let mut buffer = [0u8; 64];
    for idle in [&mut idle_1, &mut idle_2] {
        let read = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buffer))
            .await
            .expect("the server closes an idle connection");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }

    server.stop().await;
}

#[test]
fn skew_exact_for_clocks_ahead_and_behind() {
    // Received at 08:01:45.300 box time. Clocks write whole seconds, so a
    // punch stamped 08:03:46 is from a clock 121 s ahead, and one stamped
    // 07:59:44 from a clock 121 s behind.
    let mut context = context(None);
    context.received_at = utc("2026-11-02T00:01:45.300Z");
    let body = b"1\t2026-11-02 08:03:46\n2\t2026-11-02 08:01:46\n3\t2026-11-02 07:59:44\n";
    let batch = punch_batch(body, &context);

    assert_eq!(batch.events[0].payload["clock_skew_seconds"], -121);
    assert_eq!(batch.events[0].payload["clock_skew_flag"], true);
    assert_eq!(batch.events[1].payload["clock_skew_seconds"], -1);
    assert_eq!(batch.events[2].payload["clock_skew_seconds"], 121);
    assert_eq!(batch.events[2].payload["clock_skew_flag"], true);
    // The newest punch of the batch decides the clock's reading.
    assert_eq!(batch.newest_skew_secs, Some(-121));
}
