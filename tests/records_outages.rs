//! Clock outages and patrol punches end to end: outages the bureau adds,
//! outages opened by a device's lost and connected events, and the outage
//! list the attendance sheet carries. Days are in November 2026 with the
//! default checkpoints (08:30, 12:00, 14:30, 18:00).

mod support;

use chrono::{NaiveDateTime, TimeZone, Utc};
use hallbox::journal::{EventKind, Journal, NewEvent};
use serde_json::json;
use support::hall::{day, kinds, on_time_month, person, sessions, Hall};

#[tokio::test]
async fn outage_with_patrol_punch() {
    let hall = Hall::start();
    // The clock is out from 08:00 to 09:30 on Monday 2026-11-02. The
    // patrol sees S002 at 08:25. S001 is not seen; both punch on time from
    // noon on.
    for pin in ["1", "2"] {
        let mut lines = on_time_month(pin, &["2026-11-02"]);
        for time in ["12:05:00", "14:20:00", "18:05:00"] {
            lines.push_str(&support::attlog_line(pin, &format!("2026-11-02 {time}")));
        }
        hall.import(&lines).await;
    }
    let outage = hall
        .post(
            "/api/v1/outages",
            "bureau-1",
            &json!({
                "device": "clock-1",
                "start": "2026-11-02T08:00:00",
                "end": "2026-11-02T09:30:00",
                "note": "大厅停电，考勤机无法打卡",
            }),
        )
        .await;
    assert_eq!(outage.status, 201, "{}", outage.body);
    let outage_id = outage.body["id"].as_i64().unwrap();
    assert_eq!(outage.body["opened_by"], "bureau");
    let patrol = hall
        .post(
            "/api/v1/patrols",
            "bureau-1",
            &json!({ "person": "S002", "at": "2026-11-02T08:25:00", "patrolled_by": "王监管" }),
        )
        .await;
    assert_eq!(patrol.status, 201, "{}", patrol.body);
    let patrol_id = patrol.body["id"].as_i64().unwrap();

    let report = hall.november("").await;
    let s002 = person(&report, "S002");
    let monday = day(s002, "2026-11-02");
    let morning_in = &monday["checkpoints"][0];
    assert_eq!(
        morning_in["outcome"],
        json!({ "kind": "outage", "outage": outage_id, "at": "08:25:00", "patrol": true })
    );
    assert_eq!(morning_in["seq"], patrol_id);
    assert_eq!(kinds(monday), ["outage", "on_time", "on_time", "on_time"]);
    assert_eq!(sessions(monday), [(false, false, false); 2]);

    // Without a patrol punch the 08:30 checkpoint is not charged either.
    let s001 = person(&report, "S001");
    let monday = day(s001, "2026-11-02");
    assert_eq!(
        monday["checkpoints"][0]["outcome"]["at"],
        serde_json::Value::Null
    );
    assert_eq!(sessions(monday), [(false, false, false); 2]);
    for totals in [&s001["totals"], &s002["totals"]] {
        assert_eq!(totals["outage_checkpoints"], 1);
        assert_eq!(totals["late"], 0);
        assert_eq!(totals["missing_punches"], 0);
        assert_eq!(totals["attendance_score"], 20.0);
    }

    // The report lists the outage with its times and note, and the patrol.
    let listed = &report["outages"][0];
    assert_eq!(listed["start"], "2026-11-02T08:00:00");
    assert_eq!(listed["end"], "2026-11-02T09:30:00");
    assert_eq!(listed["notes"][0]["text"], "大厅停电，考勤机无法打卡");
    assert_eq!(report["patrols"][0]["person"], "S002");

    // The CSV outage list, as attached to the attendance sheet.
    let csv = hall
        .client
        .get(
            hall.server
                .url("/api/v1/attendance/monthly?month=2026-11&format=csv&table=outages"),
        )
        .bearer_auth(support::token("hr-1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert_eq!(
        rows[1],
        format!(
            "{outage_id},clock-1,2026-11-02 08:00:00,2026-11-02 09:30:00,监管局登记,\
             大厅停电，考勤机无法打卡"
        )
    );
}

/// A device-status event of `device` received at the local time `local`
/// (Asia/Shanghai, UTC+8).
fn status(device: &str, state: &str, local: &str) -> NewEvent {
    let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S").unwrap();
    let received_at = Utc.from_utc_datetime(&(local - chrono::Duration::hours(8)));
    NewEvent {
        kind: EventKind::DeviceStatus,
        device_id: device.to_string(),
        idempotency_key: format!("status:{device}:{state}:{local}"),
        device_time: None,
        received_at,
        subject: None,
        raw: Vec::new(),
        payload: json!({ "state": state, "port": "/dev/ttyUSB0", "reason": "end of file on the port" }),
    }
}

#[tokio::test]
async fn device_status_opens_and_closes_outages() {
    // The clock's link is lost at 08:00 and back at 09:00 on Tuesday
    // 2026-11-03, and lost again at 17:00 on Thursday 2026-11-05 without
    // coming back. The events are written as the daemon's device link
    // writes them, before the server starts.
    // A keypad bus lost on Wednesday opens no outage: keypads take no
    // punches.
    let dir = tempfile::tempdir().unwrap();
    let config = support::hall_config(dir.path());
    let keypad_bus = format!(
        "\n[[device]]\nid = \"keypads-hall\"\nkind = \"keypad\"\nport = \"{}\"\n\
         keypads = {{ 1 = \"W01\" }}\n",
        dir.path().join("no-such-port").display()
    );
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&keypad_bus);
    std::fs::write(&config, text).unwrap();
    {
        let mut journal = Journal::open(dir.path().join("journal.sqlite")).unwrap();
        journal
            .append_batch(&[
                status("clock-1", "connected", "2026-11-03 07:00:00"),
                status("clock-1", "lost", "2026-11-03 08:00:00"),
                status("clock-1", "connected", "2026-11-03 09:00:00"),
                status("keypads-hall", "lost", "2026-11-04 08:00:00"),
                status("keypads-hall", "connected", "2026-11-04 11:00:00"),
                status("clock-1", "lost", "2026-11-05 17:00:00"),
            ])
            .unwrap();
    }
    let hall = Hall {
        server: support::Server::start(&config),
        client: reqwest::Client::new(),
        dir,
    };
    // S002 has no punches on Tuesday morning nor from Thursday evening on.
    let mut lines = String::new();
    for (date, times) in [
        (
            "2026-11-02",
            &["08:20:00", "12:05:00", "14:20:00", "18:05:00"][..],
        ),
        ("2026-11-03", &["14:20:00", "18:05:00"][..]),
        (
            "2026-11-04",
            &["08:20:00", "12:05:00", "14:20:00", "18:05:00"][..],
        ),
        ("2026-11-05", &["08:20:00", "12:05:00", "14:20:00"][..]),
    ] {
        for time in times {
            lines.push_str(&support::attlog_line("2", &format!("{date} {time}")));
        }
    }
    hall.import(&lines).await;

    let report = hall.november("").await;
    let outages = report["outages"].as_array().unwrap();
    assert_eq!(outages.len(), 2, "{outages:?}");
    assert_eq!(outages[0]["opened_by"], "device");
    assert_eq!(outages[0]["start"], "2026-11-03T08:00:00");
    assert_eq!(outages[0]["end"], "2026-11-03T09:00:00");
    assert_eq!(outages[0]["closed_by"], "device");
    assert_eq!(outages[0]["device_reason"], "end of file on the port");
    assert_eq!(outages[1]["end"], serde_json::Value::Null);

    let s002 = person(&report, "S002");
    // 08:30 on Tuesday is in the first outage; 12:00 is not, so the noon
    // punch is missing: the morning counts early.
    assert_eq!(
        kinds(day(s002, "2026-11-03")),
        ["outage", "missing", "on_time", "on_time"]
    );
    assert_eq!(sessions(day(s002, "2026-11-03"))[0], (false, true, false));
    // The open outage covers 18:00 on Thursday and everything after it.
    assert_eq!(
        kinds(day(s002, "2026-11-05")),
        ["on_time", "on_time", "on_time", "outage"]
    );
    assert_eq!(kinds(day(s002, "2026-11-30")), ["outage"; 4]);

    // The bureau closes the open outage at 18:30 on Thursday and notes why.
    let id = outages[1]["id"].as_i64().unwrap();
    let closed = hall
        .post(
            &format!("/api/v1/outages/{id}/close"),
            "bureau-1",
            &json!({ "end": "2026-11-05T18:30:00" }),
        )
        .await;
    assert_eq!(closed.status, 201, "{}", closed.body);
    assert_eq!(closed.body["closed_by"], "bureau");
    let noted = hall
        .post(
            &format!("/api/v1/outages/{id}/notes"),
            "bureau-1",
            &json!({ "note": "考勤机电源适配器损坏，已更换" }),
        )
        .await;
    assert_eq!(noted.status, 201, "{}", noted.body);

    let report = hall.november("").await;
    let s002 = person(&report, "S002");
    assert_eq!(kinds(day(s002, "2026-11-05")).last().unwrap(), "outage");
    assert_eq!(kinds(day(s002, "2026-11-06")), ["missing"; 4]);
    assert_eq!(
        report["outages"][1]["notes"][0]["text"],
        "考勤机电源适配器损坏，已更换"
    );
    assert_eq!(report["outages"][1]["end"], "2026-11-05T18:30:00");
}
