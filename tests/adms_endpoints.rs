//! Byte-level tests of every ADMS endpoint against the real `hallbox serve`
//! on 127.0.0.1: requests as clock firmware sends them (10-column ATTLOG
//! lines, CRLF and LF, trailing blank lines), the exact reply bytes, and
//! what reached the journal.

mod adms_support;

use std::time::Duration;

use adms_support::{
    exchange, free_port, journal_events, send, write_config, Daemon, CLOCK_ID, SERIAL,
};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use hallbox::journal::EventKind;

/// Reply to a handshake on a fresh journal with the default options.
const FRESH_HANDSHAKE: &str = "GET OPTION FROM: CKJ4213600282\n\
                               ATTLOGStamp=0\n\
                               OPERLOGStamp=0\n\
                               ATTPHOTOStamp=0\n\
                               ErrorDelay=30\n\
                               Delay=10\n\
                               TransTimes=00:00;14:05\n\
                               TransInterval=1\n\
                               TransFlag=TransData AttLog OpLog EnrollUser ChgUser\n\
                               TimeZone=8\n\
                               Realtime=1\n\
                               Encrypt=None\n";

fn handshake_target() -> String {
    format!("/iclock/cdata?SN={SERIAL}&options=all&pushver=2.4.1&language=83")
}

fn upload_target(table: &str, stamp: u64) -> String {
    format!("/iclock/cdata?SN={SERIAL}&table={table}&Stamp={stamp}")
}

fn start(extra_adms: &str) -> (tempfile::TempDir, Daemon) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = write_config(dir.path(), free_port(), extra_adms, "");
    let daemon = Daemon::start(&config, "info");
    (dir, daemon)
}

#[test]
fn handshake_exact_bytes() {
    let (_dir, daemon) = start("");
    let response = send(daemon.adms, "GET", &handshake_target(), b"").expect("handshake");

    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("text/plain"));
    // Clocks set their time from the Date header.
    assert!(response.header("date").is_some(), "{:?}", response.headers);
    assert_eq!(response.text(), FRESH_HANDSHAKE);

    // Some firmware appends .aspx or doubles the prefix.
    let aspx = send(
        daemon.adms,
        "GET",
        &format!("/iclock/iclock/cdata.aspx?SN={SERIAL}&options=all"),
        b"",
    )
    .expect("handshake");
    assert_eq!(aspx.text(), FRESH_HANDSHAKE);
}

#[test]
fn attlog_stored_once_and_stamped() {
    let (dir, daemon) = start("");
    let journal = dir.path().join("journal.sqlite");

    // Two 10-column punches with CRLF and two trailing blank lines.
    let crlf = b"1001\t2025-06-02 08:01:15\t0\t15\t0\t0\t0\t0\t36.5\t17\r\n\
                 1002\t2025-06-02 08:03:40\t1\t1\t\t0\t0\t0\t0\t18\r\n\r\n\r\n";
    let first = send(daemon.adms, "POST", &upload_target("ATTLOG", 9999), crlf).expect("upload");
    assert_eq!(first.status, 200);
    assert_eq!(first.header("content-type"), Some("text/plain"));
    assert_eq!(first.text(), "OK: 2");

    // The same batch again, as a clock resends a batch without OK.
    let again = send(daemon.adms, "POST", &upload_target("ATTLOG", 9999), crlf).expect("upload");
    assert_eq!(again.text(), "OK: 2");
    assert_eq!(journal_events(&journal, EventKind::Punch).len(), 2);

    // LF lines, one malformed (spaces instead of tabs): it is rejected and
    // the other two are kept.
    let lf = b"1003\t2025-06-02 08:05:00\t0\t15\t0\t0\t0\t0\t0\t19\n\
               1004 2025-06-02 08:05:30 0 15 0 0 0\n\
               1001\t2025-06-02 12:00:02\t1\t15\t0\t0\t0\t0\t0\t20\n\n";
    let third = send(daemon.adms, "POST", &upload_target("ATTLOG", 10000), lf).expect("upload");
    assert_eq!(third.text(), "OK: 2");

    let punches = journal_events(&journal, EventKind::Punch);
    let keys: Vec<&str> = punches.iter().map(|p| p.idempotency_key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "punch:face-1:1001:2025-06-02T08:01:15",
            "punch:face-1:1002:2025-06-02T08:03:40",
            "punch:face-1:1003:2025-06-02T08:05:00",
            "punch:face-1:1001:2025-06-02T12:00:02",
        ]
    );

    let punch = &punches[0];
    assert_eq!(punch.device_id, CLOCK_ID);
    assert_eq!(punch.subject.as_deref(), Some("1001"));
    // 08:01:15 in Asia/Shanghai is 00:01:15 UTC.
    assert_eq!(
        punch.device_time.map(|time| time.to_rfc3339()),
        Some("2025-06-02T00:01:15+00:00".to_string())
    );
    assert_eq!(
        punch.raw,
        b"1001\t2025-06-02 08:01:15\t0\t15\t0\t0\t0\t0\t36.5\t17".to_vec()
    );
    let payload = &punch.payload;
    assert_eq!(payload["pin"], "1001");
    assert_eq!(payload["local_time"], "2025-06-02 08:01:15");
    assert_eq!(payload["status"], 0);
    assert_eq!(payload["verify"], 15);
    assert_eq!(payload["work_code"], "0");
    assert_eq!(payload["source"], "adms");
    assert_eq!(payload["sn"], SERIAL);
    // The skew is the box's receive time minus the clock's time, both local.
    let received_local = punch.received_at.naive_utc() + chrono::Duration::hours(8);
    let clock_local = NaiveDateTime::parse_from_str("2025-06-02 08:01:15", "%Y-%m-%d %H:%M:%S")
        .expect("valid time");
    let skew = (received_local - clock_local).num_seconds();
    assert_eq!(payload["clock_skew_seconds"], skew);
    assert_eq!(payload["clock_skew_flag"], true);

    // The handshake now resumes from the last committed stamp.
    let handshake = send(daemon.adms, "GET", &handshake_target(), b"").expect("handshake");
    assert!(
        handshake.text().contains("\nATTLOGStamp=10000\n"),
        "{}",
        handshake.text()
    );

    // The rejected line was counted and logged with its reason.
    assert!(
        adms_support::wait_for(Duration::from_secs(5), || !daemon
            .log_lines("rejected lines of an upload")
            .is_empty()),
        "no rejection warning in the log"
    );
    let warning = daemon.log_lines("rejected lines of an upload").join("\n");
    assert!(warning.contains("first_line=2"), "{warning}");
    assert!(warning.contains("tab-separated column"), "{warning}");
    let rejected =
        r#"hallbox_events_rejected_total{device="face-1",kind="punch",reason="too_few_columns"}"#;
    assert_eq!(daemon.metric(rejected), Some(1.0));
}

#[test]
fn operlog_photo_and_other_tables() {
    let (dir, daemon) = start("");
    let journal = dir.path().join("journal.sqlite");

    let operlog = "OPLOG 4\t0\t2025-06-02 08:00:00\t0\t0\t0\t0\r\n\
                   USER PIN=1001\tName=张三\tPri=0\tPasswd=1234\tCard=[0A1B2C3D]\tGrp=1\tTZ=0000000100000000\r\n\
                   FP PIN=1001\tFID=6\tSize=8\tValid=1\tTMP=QUJDRA==\r\n\r\n";
    let response = send(
        daemon.adms,
        "POST",
        &upload_target("OPERLOG", 55),
        operlog.as_bytes(),
    )
    .expect("upload");
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "OK");

    let photo = send(
        daemon.adms,
        "POST",
        &upload_target("ATTPHOTO", 66),
        b"PIN=1001\nSN=CKJ4213600282\nsize=4\nCMD=uploadphoto\n\xFF\xD8\xFF\xE0",
    )
    .expect("upload");
    assert_eq!(photo.text(), "OK");

    let other = send(
        daemon.adms,
        "POST",
        &format!("/iclock/cdata?SN={SERIAL}&table=options"),
        b"~DeviceName=F22\n",
    )
    .expect("upload");
    assert_eq!(other.text(), "OK");

    let records = journal_events(&journal, EventKind::DeviceRecord);
    let kinds: Vec<(&str, Option<&str>)> = records
        .iter()
        .map(|event| {
            (
                event.payload["record"].as_str().unwrap_or_default(),
                event.subject.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("operation_log", None),
            ("clock_user", Some("1001")),
            ("upload_stamp", Some("stamp:OPERLOG")),
            ("upload_stamp", Some("stamp:ATTPHOTO")),
        ]
    );
    assert_eq!(records[1].payload["name"], "张三");
    let stored = format!("{records:?}");
    assert!(!stored.contains("1234"), "the password reached the journal");

    let handshake = send(daemon.adms, "GET", &handshake_target(), b"").expect("handshake");
    let text = handshake.text();
    assert!(text.contains("\nATTLOGStamp=0\n"), "{text}");
    assert!(text.contains("\nOPERLOGStamp=55\n"), "{text}");
    assert!(text.contains("\nATTPHOTOStamp=66\n"), "{text}");
}

/// Decodes ZKTeco's packed time: 12 months of 31 days a year from 2000.
fn unpack_time(packed: u32) -> NaiveDateTime {
    let days = packed / 86_400;
    let seconds = packed % 86_400;
    let year = 2000 + (days / 372) as i32;
    let month = (days % 372) / 31 + 1;
    let day = days % 31 + 1;
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|date| date.and_hms_opt(seconds / 3600, seconds % 3600 / 60, seconds % 60))
        .expect("packed time names a real date")
}

#[test]
fn command_poll_sets_clock_time() {
    let (dir, daemon) = start("set_clock_time = true");
    let journal = dir.path().join("journal.sqlite");
    let poll = format!("/iclock/getrequest?SN={SERIAL}");

    let idle = send(daemon.adms, "GET", &poll, b"").expect("poll");
    assert_eq!(idle.status, 200);
    assert_eq!(idle.header("content-type"), Some("text/plain"));
    assert_eq!(idle.text(), "OK");

    // A punch a year old: the clock's time looks off, so the box queues a
    // command that sets it.
    let upload = send(
        daemon.adms,
        "POST",
        &upload_target("ATTLOG", 1),
        b"1001\t2025-06-02 08:01:15\t0\t15\t0\t0\t0\r\n",
    )
    .expect("upload");
    assert_eq!(upload.text(), "OK: 1");

    let before = Utc::now().naive_utc() + chrono::Duration::hours(8);
    let command = send(daemon.adms, "GET", &poll, b"").expect("poll");
    let after = Utc::now().naive_utc() + chrono::Duration::hours(8);
    let text = command.text();
    let line = text.strip_suffix('\n').expect("command line ends with LF");
    let (id, packed) = line
        .strip_prefix("C:")
        .and_then(|rest| rest.split_once(":SET OPTION DateTime="))
        .unwrap_or_else(|| panic!("unexpected command reply {text:?}"));
    let id: u32 = id.parse().expect("numeric command id");
    let set_to = unpack_time(packed.parse().expect("numeric packed time"));
    // The packed time has whole seconds.
    assert!(
        set_to >= before - chrono::Duration::seconds(1) && set_to <= after,
        "{set_to} not between {before} and {after}"
    );

    // The command goes out once.
    assert_eq!(
        send(daemon.adms, "GET", &poll, b"").expect("poll").text(),
        "OK"
    );

    let result = format!("ID={id}&Return=0&CMD=SET OPTION\r\n");
    let reported = send(
        daemon.adms,
        "POST",
        &format!("/iclock/devicecmd?SN={SERIAL}"),
        result.as_bytes(),
    )
    .expect("devicecmd");
    assert_eq!(reported.status, 200);
    assert_eq!(reported.text(), "OK");

    let results: Vec<_> = journal_events(&journal, EventKind::DeviceRecord)
        .into_iter()
        .filter(|event| event.payload["record"] == "command_result")
        .collect();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].payload["id"], id);
    assert_eq!(results[0].payload["return"], 0);
    assert_eq!(results[0].payload["cmd"], "SET OPTION");

    let ping = send(
        daemon.adms,
        "GET",
        &format!("/iclock/ping?SN={SERIAL}"),
        b"",
    )
    .expect("ping");
    assert_eq!(ping.text(), "OK");
}

#[test]
fn bad_requests_get_plain_text() {
    let (dir, daemon) = start("max_body_bytes = 4096");
    let journal = dir.path().join("journal.sqlite");

    let no_serial = send(daemon.adms, "GET", "/iclock/cdata?options=all", b"").expect("request");
    assert_eq!(no_serial.status, 400);
    assert_eq!(no_serial.header("content-type"), Some("text/plain"));
    assert_eq!(no_serial.text(), "ERROR: invalid query");

    let unknown = send(
        daemon.adms,
        "GET",
        &format!("/iclock/rtdata?SN={SERIAL}&type=time"),
        b"",
    )
    .expect("request");
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.header("content-type"), Some("text/plain"));
    assert_eq!(unknown.text(), "ERROR: unknown request");

    // Headers only: the listener rejects from Content-Length alone, before
    // any body byte is sent.
    let oversized = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 4097\r\n\r\n",
        upload_target("ATTLOG", 5)
    );
    let rejected = exchange(daemon.adms, oversized.as_bytes()).expect("request");
    assert_eq!(rejected.status, 413);
    assert_eq!(rejected.header("content-type"), Some("text/plain"));
    assert_eq!(rejected.text(), "ERROR: body too large");

    // A body of exactly the limit is accepted: 4096 bytes of one good line
    // padded with blank lines.
    let mut body = b"1001\t2025-06-02 08:01:15\t0\t15\n".to_vec();
    body.resize(4096, b'\n');
    let accepted = send(daemon.adms, "POST", &upload_target("ATTLOG", 6), &body).expect("upload");
    assert_eq!(accepted.text(), "OK: 1");

    // Binary garbage is rejected line by line; the reply is still OK.
    let garbage = send(
        daemon.adms,
        "POST",
        &upload_target("ATTLOG", 7),
        b"\x00\xFF\xFE<html>\r\n\t\t\t\r\n%%%\n",
    )
    .expect("upload");
    assert_eq!(garbage.text(), "OK: 0");
    assert_eq!(journal_events(&journal, EventKind::Punch).len(), 1);

    // The daemon still serves after all of it.
    let handshake = send(daemon.adms, "GET", &handshake_target(), b"").expect("handshake");
    assert_eq!(handshake.status, 200);
}

#[test]
fn large_backlog_committed_in_parts() {
    let (dir, daemon) = start("");
    let journal = dir.path().join("journal.sqlite");

    // The first request commits the clock's "connected" status; after it
    // only the upload commits.
    send(daemon.adms, "GET", &handshake_target(), b"").expect("handshake");
    let commits = "hallbox_journal_commit_duration_seconds_count";
    let commits_before = daemon.metric(commits).expect("commit count");

    // 25,000 punches take three commits of at most 10,000; the clock gets
    // one OK for all of them.
    let start = NaiveDateTime::parse_from_str("2025-01-02 07:00:00", "%Y-%m-%d %H:%M:%S")
        .expect("valid time");
    let body: String = (0..25_000)
        .map(|index| {
            let time = start + chrono::Duration::seconds(11 * index);
            format!(
                "{}\t{}\t0\t15\t0\t0\t0\t0\t0\t{index}\r\n",
                1000 + index % 50,
                time.format("%Y-%m-%d %H:%M:%S")
            )
        })
        .collect();
    let response = send(
        daemon.adms,
        "POST",
        &upload_target("ATTLOG", 777),
        body.as_bytes(),
    )
    .expect("upload");
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "OK: 25000");

    let punches = journal_events(&journal, EventKind::Punch);
    assert_eq!(punches.len(), 25_000);

    // One stamp record, committed with the last part, after every punch.
    let stamps: Vec<_> = journal_events(&journal, EventKind::DeviceRecord)
        .into_iter()
        .filter(|event| event.payload["record"] == "upload_stamp")
        .collect();
    assert_eq!(stamps.len(), 1);
    assert_eq!(stamps[0].payload["stamp"], 777);
    let last_punch = punches.iter().map(|punch| punch.seq).max().unwrap_or(0);
    assert!(
        stamps[0].seq > last_punch,
        "stamp stored before the last punch"
    );

    // Two commits of 10,000 punches, then 5,000 punches with the stamp.
    let commits_after = daemon.metric(commits).expect("commit count");
    assert_eq!(commits_after - commits_before, 3.0);

    let handshake = send(daemon.adms, "GET", &handshake_target(), b"").expect("handshake");
    assert!(
        handshake.text().contains("\nATTLOGStamp=777\n"),
        "{}",
        handshake.text()
    );
}

/// Fetches the device status page with a bearer token.
fn devices_page(daemon: &Daemon, token: &str) -> String {
    let raw = format!(
        "GET /ui/devices HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    let response = exchange(daemon.api, raw.as_bytes()).expect("GET /ui/devices");
    assert_eq!(response.status, 200, "{}", response.text());
    response.text()
}

/// Returns an ATTLOG line for PIN 1001 at the box's local time (UTC+8) minus
/// `behind_seconds`.
fn punch_behind(behind_seconds: i64) -> String {
    let local = Utc::now().naive_utc() + chrono::Duration::hours(8)
        - chrono::Duration::seconds(behind_seconds);
    format!("1001\t{}\t0\t15\t0\t0\n", local.format("%Y-%m-%d %H:%M:%S"))
}

#[test]
fn device_page_shows_clock_time_off() {
    let token = "hbx_test_hr_skew_00000000000000000000000000000000000000000000000001";
    let token_entry = format!(
        "\n[[token]]\nid = \"hr-1\"\nrole = \"hr\"\nsha256 = \"{}\"\n",
        hex::encode(hallbox::auth::hash_token(token))
    );
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = write_config(dir.path(), free_port(), "", &token_entry);
    let mut daemon = Daemon::start(&config, "info");

    // A punch ten minutes old: the clock is behind by more than the
    // default limit of two minutes.
    let late = punch_behind(600);
    let reply = send(
        daemon.adms,
        "POST",
        &upload_target("ATTLOG", 1),
        late.as_bytes(),
    )
    .expect("upload");
    assert_eq!(reply.text(), "OK: 1");

    // The difference is exact to the second: 600 s, or 601 s when a second
    // began between writing the punch and sending it.
    let page = devices_page(&daemon, token);
    assert!(
        page.contains("考勤机时间与主机相差超过上限：face-1（慢 10 分"),
        "{page}"
    );
    assert!(page.contains("<td class=\"missing\">慢 10 分"), "{page}");
    assert!(page.contains("（上限 2 分钟，"), "{page}");
    let skew = daemon
        .metric("hallbox_device_clock_skew_seconds{device=\"face-1\"}")
        .expect("clock skew metric");
    assert!((600.0..660.0).contains(&skew), "{skew}");

    // The reading is kept in memory only: after a restart the page shows
    // none until the clock's next upload, rather than an old one.
    daemon.kill();
    let daemon = Daemon::start(&config, "info");
    let page = devices_page(&daemon, token);
    assert!(!page.contains("id=\"clock-time\""), "{page}");
    assert!(page.contains("<td>—</td></tr>"), "{page}");
    assert_eq!(
        daemon.metric("hallbox_device_clock_skew_seconds{device=\"face-1\"}"),
        None
    );

    // A punch taken now clears the banner.
    let now = punch_behind(0);
    let reply = send(
        daemon.adms,
        "POST",
        &upload_target("ATTLOG", 2),
        now.as_bytes(),
    )
    .expect("upload");
    assert_eq!(reply.text(), "OK: 1");

    let page = devices_page(&daemon, token);
    assert!(!page.contains("id=\"clock-time\""), "{page}");
    assert!(!page.contains("（上限 2 分钟，"), "{page}");
    let skew = daemon
        .metric("hallbox_device_clock_skew_seconds{device=\"face-1\"}")
        .expect("clock skew metric");
    assert!((0.0..60.0).contains(&skew), "{skew}");
}
