//! Write-offs and leave end to end: the real binary on 127.0.0.1, punches
//! imported over HTTP, records posted by the bureau, and the November 2026
//! report checked against days worked out by hand.
//!
//! November 2026 has 21 working days, Monday 2026-11-02 to Monday
//! 2026-11-30, and no holiday. The default checkpoints are 08:30, 12:00,
//! 14:30 and 18:00; a late or early count costs 2 points, a day of absence
//! 3, from 20. Reports are made as of now, after November.

mod support;

use serde_json::{json, Value};
use support::hall::{day, kinds, on_time_month, person, sessions, two_step_chain, Hall};

/// Registers a write-off as the bureau and returns its id.
async fn register(hall: &Hall, body: Value) -> i64 {
    let answer = hall.post("/api/v1/writeoffs", "bureau-1", &body).await;
    assert_eq!(answer.status, 201, "register: {}", answer.body);
    answer.body["id"].as_i64().expect("write-off id")
}

#[tokio::test]
async fn half_day_leave_with_afternoon_punches() {
    let hall = Hall::start();
    // S002 is on time every day except Monday 2026-11-02, when only the
    // afternoon punches exist: the morning is personal leave.
    let mut lines = on_time_month("2", &["2026-11-02"]);
    lines.push_str(&support::attlog_line("2", "2026-11-02 14:20:00"));
    lines.push_str(&support::attlog_line("2", "2026-11-02 18:05:00"));
    hall.import(&lines).await;
    let id = register(
        &hall,
        json!({
            "person": "S002",
            "kind": "personal_leave",
            "from": "2026-11-02",
            "from_checkpoint": "morning_in",
            "to_checkpoint": "noon_out",
            "reason": "孩子生病，上午送医",
            "approved_by": "王监管",
            "approvals": two_step_chain(),
        }),
    )
    .await;

    let report = hall.november("").await;
    let s002 = person(&report, "S002");
    let monday = day(s002, "2026-11-02");
    assert_eq!(
        kinds(monday),
        ["written_off", "written_off", "on_time", "on_time"]
    );
    assert_eq!(monday["checkpoints"][0]["outcome"]["write_off"], id);
    assert_eq!(
        monday["checkpoints"][0]["outcome"]["reason"],
        "personal_leave"
    );
    assert_eq!(sessions(monday), [(false, false, false); 2]);

    let totals = &s002["totals"];
    assert_eq!(totals["late"], 0);
    assert_eq!(totals["early"], 0);
    assert_eq!(totals["missing_punches"], 0);
    assert_eq!(totals["absent_half_days"], 0);
    assert_eq!(totals["attendance_score"], 20.0);
    assert_eq!(
        totals["written_off"],
        json!({"personal_leave": {"checkpoints": 2, "half_days": 1}})
    );

    // The report lists the write-off with why and who approved it.
    let listed = &report["write_offs"][0];
    assert_eq!(listed["id"], id);
    assert_eq!(listed["reason"], "孩子生病，上午送医");
    assert_eq!(listed["approved_by"], "王监管");
    assert_eq!(listed["status"], "approved");
    assert_eq!(listed["days"], "0.5");
    assert_eq!(listed["approvals"][1]["step"], "bureau");
}

#[tokio::test]
async fn leave_approved_after_first_report() {
    let hall = Hall::start();
    // S002 has no punches on Tuesday 2026-11-03.
    hall.import(&on_time_month("2", &["2026-11-03"])).await;

    let before = hall.november("").await;
    let s002 = person(&before, "S002");
    assert_eq!(kinds(day(s002, "2026-11-03")), ["missing"; 4]);
    assert_eq!(s002["totals"]["absent_half_days"], 2);
    // One day of absence: 20 - 3.
    assert_eq!(s002["totals"]["attendance_score"], 17.0);

    // The leave form reaches the bureau after the month was reported.
    register(
        &hall,
        json!({
            "person": "S002",
            "kind": "personal_leave",
            "from": "2026-11-03",
            "reason": "家中有事",
            "approved_by": "王监管",
            "approvals": two_step_chain(),
        }),
    )
    .await;

    let after = hall.november("").await;
    let s002 = person(&after, "S002");
    assert_eq!(kinds(day(s002, "2026-11-03")), ["written_off"; 4]);
    assert_eq!(s002["totals"]["absent_half_days"], 0);
    assert_eq!(s002["totals"]["absence_occurrences_month"], 0);
    assert_eq!(s002["totals"]["attendance_score"], 20.0);
    assert_eq!(
        s002["totals"]["written_off"],
        json!({"personal_leave": {"checkpoints": 4, "half_days": 2}})
    );

    // The CSV sheet counts it too: 4 written-off checkpoints, 2 half-days.
    let csv = hall
        .client
        .get(
            hall.server
                .url("/api/v1/attendance/monthly?month=2026-11&format=csv"),
        )
        .bearer_auth(support::token("hr-1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = csv
        .lines()
        .find(|line| line.starts_with("S002,"))
        .expect("S002 row");
    assert!(row.ends_with(",4,事假 4个打卡点（2个半天）,0"), "{row}");
}

#[tokio::test]
async fn sick_leave_without_certificate() {
    let hall = Hall::start();
    // S001 and S002 are both off sick on Wednesday 2026-11-04; only S001
    // hands in a doctor's certificate.
    hall.import(&on_time_month("1", &["2026-11-04"])).await;
    hall.import(&on_time_month("2", &["2026-11-04"])).await;
    for (person, certificate) in [("S001", true), ("S002", false)] {
        register(
            &hall,
            json!({
                "person": person,
                "kind": "sick_leave",
                "from": "2026-11-04",
                "reason": "发烧",
                "approved_by": "王监管",
                "approvals": two_step_chain(),
                "sick_certificate": certificate,
            }),
        )
        .await;
    }

    let report = hall.november("").await;
    let s001 = person(&report, "S001");
    let s002 = person(&report, "S002");
    assert_eq!(
        s001["totals"]["written_off"],
        json!({"sick_leave": {"checkpoints": 4, "half_days": 2}})
    );
    assert_eq!(
        s002["totals"]["written_off"],
        json!({"personal_leave": {"checkpoints": 4, "half_days": 2}})
    );
    assert_eq!(
        day(s002, "2026-11-04")["checkpoints"][0]["outcome"]["reason"],
        "personal_leave"
    );
    // Both are written off, so neither is absent.
    assert_eq!(s002["totals"]["absent_half_days"], 0);

    let listed: Vec<&Value> = report["write_offs"].as_array().unwrap().iter().collect();
    assert_eq!(listed[0]["reported_as"], "sick_leave");
    assert_eq!(listed[1]["kind"], "sick_leave");
    assert_eq!(listed[1]["reported_as"], "personal_leave");
    assert_eq!(listed[1]["reported_as_label"], "事假");
}

/// Registers emergency personal leave of `person` on Monday 2026-11-02,
/// reported at 08:10 that day, and returns its id.
async fn emergency_leave(hall: &Hall, person: &str) -> i64 {
    register(
        hall,
        json!({
            "person": person,
            "kind": "personal_leave",
            "from": "2026-11-02",
            "reason": "家人急病",
            "approved_by": "王监管",
            "emergency": { "notified_at": "2026-11-02T08:10:00" },
        }),
    )
    .await
}

#[tokio::test]
async fn emergency_leave_paperwork_deadline() {
    let hall = Hall::start();
    // Nobody punches on Monday 2026-11-02. The paperwork is due within 3
    // working days after it, not counting Monday: Tuesday 11-03,
    // Wednesday 11-04 and Thursday 11-05, until 24:00.
    for pin in ["1", "2", "4"] {
        hall.import(&on_time_month(pin, &["2026-11-02"])).await;
    }
    let in_time = emergency_leave(&hall, "S002").await;
    let late = emergency_leave(&hall, "S001").await;
    let never = emergency_leave(&hall, "S004").await;

    // (write-off, paperwork day)
    for (id, completed_on) in [(in_time, "2026-11-05"), (late, "2026-11-06")] {
        let answer = hall
            .post(
                &format!("/api/v1/writeoffs/{id}/paperwork"),
                "bureau-1",
                &json!({ "completed_on": completed_on, "approvals": two_step_chain() }),
            )
            .await;
        assert_eq!(answer.status, 201, "paperwork of {id}: {}", answer.body);
        assert_eq!(answer.body["emergency"]["paperwork_due"], "2026-11-05");
    }

    let report = hall.november("").await;
    // Paperwork on the third working day: the leave is in force.
    let s002 = person(&report, "S002");
    assert_eq!(kinds(day(s002, "2026-11-02")), ["written_off"; 4]);
    assert_eq!(s002["totals"]["absent_half_days"], 0);
    // Paperwork on the fourth working day: the day counts as absence.
    let s001 = person(&report, "S001");
    assert_eq!(kinds(day(s001, "2026-11-02")), ["missing"; 4]);
    assert_eq!(s001["totals"]["absent_half_days"], 2);
    assert_eq!(s001["totals"]["attendance_score"], 17.0);
    // No paperwork at all: absence as well.
    let s004 = person(&report, "S004");
    assert_eq!(s004["totals"]["absent_half_days"], 2);

    let status = |id: i64| {
        report["write_offs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["id"] == id)
            .map(|w| w["status"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(status(in_time), "paperwork_completed");
    assert_eq!(status(late), "lapsed");
    assert_eq!(status(never), "lapsed");

    // As of Wednesday noon, within the period, the leave without
    // paperwork still covers the day.
    let early = hall.november("&as_of=2026-11-04T12:00:00").await;
    let s004 = person(&early, "S004");
    assert_eq!(kinds(day(s004, "2026-11-02")), ["written_off"; 4]);
    let pending = early["write_offs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == never)
        .unwrap();
    assert_eq!(pending["status"], "awaiting_paperwork");
}

#[tokio::test]
async fn leave_chain_by_length() {
    let hall = Hall::start();
    let leave = |from: &str, to: &str, approvals: Value| {
        json!({
            "person": "S002",
            "kind": "personal_leave",
            "from": from,
            "to": to,
            "reason": "回老家办事",
            "approved_by": "王监管",
            "approvals": approvals,
        })
    };
    let head = json!({ "step": "bureau_head", "name": "张局长" });
    let leader = json!({ "step": "department_leader", "name": "李主任" });
    let chain = |extra: &[&Value]| {
        let mut steps = two_step_chain().as_array().unwrap().clone();
        for step in extra {
            steps.push((*step).clone());
        }
        // The department leader signs before the bureau's head.
        steps.sort_by_key(|s| s["step"] == "bureau_head");
        Value::Array(steps)
    };
    let events_before = hall.event_count().await;

    // Monday to Wednesday is 3 days: the 2-day chain is rejected, and
    // nothing is written.
    let answer = hall
        .post(
            "/api/v1/writeoffs",
            "bureau-1",
            &leave("2026-11-02", "2026-11-04", chain(&[])),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(answer.body["error"]["field"], "approvals");
    let message = answer.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("a leave of 3 days"), "{message}");
    assert!(message.contains("bureau_head is missing"), "{message}");
    assert_eq!(hall.event_count().await, events_before);

    // Monday to Friday of the next week is 5 days: the 3-day chain lacks
    // the department's leader.
    let answer = hall
        .post(
            "/api/v1/writeoffs",
            "bureau-1",
            &leave("2026-11-09", "2026-11-13", chain(&[&head])),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("department_leader is missing"));
    assert_eq!(hall.event_count().await, events_before);

    // The chains those lengths need are accepted: the leave and its audit
    // entry are two events each.
    let answer = hall
        .post(
            "/api/v1/writeoffs",
            "bureau-1",
            &leave("2026-11-02", "2026-11-04", chain(&[&head])),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.body["days"], "3");
    let answer = hall
        .post(
            "/api/v1/writeoffs",
            "bureau-1",
            &leave("2026-11-09", "2026-11-13", chain(&[&leader, &head])),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(hall.event_count().await, events_before + 4);

    // A business trip on a day of the first leave would hide behind it.
    let first = answer.body["id"].as_i64().unwrap() - 2;
    let trip = json!({"person": "S002", "kind": "business_trip", "from": "2026-11-04",
                      "reason": "出差", "approved_by": "王监管"});
    let answer = hall.post("/api/v1/writeoffs", "bureau-1", &trip).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert_eq!(
        answer.body["error"]["message"],
        format!(
            "write-off {first} (personal_leave from 2026-11-02 morning_in to 2026-11-04 \
             evening_out) already covers checkpoints of S002 in this span: revoke it first \
             with POST /api/v1/writeoffs/{first}/revoke, or register only the checkpoints it \
             does not cover"
        )
    );
    assert_eq!(hall.event_count().await, events_before + 4);
}

#[tokio::test]
async fn revoked_write_off_stops_covering() {
    let hall = Hall::start();
    hall.import(&on_time_month("2", &["2026-11-03"])).await;
    let id = register(
        &hall,
        json!({
            "person": "S002",
            "kind": "business_trip",
            "from": "2026-11-03",
            "reason": "赴州政务中心培训",
            "approved_by": "王监管",
        }),
    )
    .await;
    let report = hall.november("").await;
    assert_eq!(
        person(&report, "S002")["totals"]["written_off"]["business_trip"]["checkpoints"],
        4
    );

    let answer = hall
        .post(
            &format!("/api/v1/writeoffs/{id}/revoke"),
            "bureau-1",
            &json!({ "reason": "登记错误，出差已取消" }),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.body["status"], "revoked");

    let report = hall.november("").await;
    let s002 = person(&report, "S002");
    assert_eq!(kinds(day(s002, "2026-11-03")), ["missing"; 4]);
    assert_eq!(s002["totals"]["absent_half_days"], 2);
    assert_eq!(s002["totals"]["written_off"], json!({}));
    // The revoked write-off is still listed, with why.
    assert_eq!(
        report["write_offs"][0]["revoked"]["reason"],
        "登记错误，出差已取消"
    );

    // A second revocation conflicts with the first.
    let again = hall
        .post(
            &format!("/api/v1/writeoffs/{id}/revoke"),
            "bureau-1",
            &json!({ "reason": "again" }),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
}

/// Sends `POST path` as bureau-1 with an `Idempotency-Key`.
async fn post_keyed(hall: &Hall, path: &str, key: &str, body: &Value) -> (u16, Value) {
    let response = hall
        .client
        .post(hall.server.url(path))
        .bearer_auth(support::token("bureau-1"))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("POST request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

/// A resend with the same key and body returns the stored record, and the
/// same key with another body is rejected. A key names one change of one
/// record, so revoking another write-off with it is a new change.
#[tokio::test]
async fn idempotency_key_resend_and_reuse() {
    let hall = Hall::start();
    let trip = |person: &str, date: &str| {
        json!({"person": person, "kind": "business_trip", "from": date,
               "reason": "出差", "approved_by": "王监管"})
    };
    let (status, first) = post_keyed(
        &hall,
        "/api/v1/writeoffs",
        "k1",
        &trip("S001", "2026-11-02"),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = post_keyed(
        &hall,
        "/api/v1/writeoffs",
        "k1",
        &trip("S001", "2026-11-02"),
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["id"], first["id"]);
    let (status, other) = post_keyed(
        &hall,
        "/api/v1/writeoffs",
        "k1",
        &trip("S002", "2026-11-18"),
    )
    .await;
    assert_eq!(status, 422, "{other}");
    assert_eq!(other["error"]["code"], "idempotency_key_reused");
    let listed = hall
        .get("/api/v1/writeoffs?month=2026-11", "bureau-1")
        .await;
    assert_eq!(
        listed.body["write_offs"].as_array().unwrap().len(),
        1,
        "{}",
        listed.body
    );

    let (status, second) = post_keyed(
        &hall,
        "/api/v1/writeoffs",
        "k2",
        &trip("S002", "2026-11-03"),
    )
    .await;
    assert_eq!(status, 201, "{second}");
    let reason = json!({"reason": "登记错误"});
    for record in [&first, &second] {
        let path = format!("/api/v1/writeoffs/{}/revoke", record["id"]);
        let (status, revoked) = post_keyed(&hall, &path, "revoke-1", &reason).await;
        assert_eq!(status, 201, "{revoked}");
        assert_eq!(revoked["status"], "revoked", "{revoked}");
    }
}

/// Leave split into pieces needs the chain of the whole run: pieces that
/// adjoin with no working half-day between (a weekend does not separate
/// them) count together.
#[tokio::test]
async fn split_leave_needs_chain_of_run() {
    let hall = Hall::start();
    let leave = |from: &str, to: &str, approvals: Value| {
        json!({"person": "S002", "kind": "personal_leave", "from": from, "to": to,
               "reason": "回老家办事", "approved_by": "王监管", "approvals": approvals})
    };
    let full = || {
        let mut steps = two_step_chain().as_array().unwrap().clone();
        steps.push(json!({"step": "department_leader", "name": "李主任"}));
        steps.push(json!({"step": "bureau_head", "name": "张局长"}));
        Value::Array(steps)
    };
    // Thursday and Friday 2026-11-05 and 06: 2 days, two signatures.
    let first = hall
        .post(
            "/api/v1/writeoffs",
            "bureau-1",
            &leave("2026-11-05", "2026-11-06", two_step_chain()),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let first_id = first.body["id"].as_i64().unwrap();

    // Monday and Tuesday after the weekend: 4 days in a row.
    let events_before = hall.event_count().await;
    let second = hall
        .post(
            "/api/v1/writeoffs",
            "bureau-1",
            &leave("2026-11-09", "2026-11-10", two_step_chain()),
        )
        .await;
    assert_eq!(second.status, 422, "{}", second.body);
    assert_eq!(second.body["error"]["field"], "approvals");
    assert_eq!(
        second.body["error"]["message"],
        format!(
            "this leave adjoins leave {first_id} of S002 with no working half-day between, so \
             together they are 4 days: a leave of 4 days needs the signatures of \
             chief_representative, bureau, department_leader, bureau_head, and \
             department_leader, bureau_head is missing"
        )
    );
    assert_eq!(hall.event_count().await, events_before);
    let second = hall
        .post(
            "/api/v1/writeoffs",
            "bureau-1",
            &leave("2026-11-09", "2026-11-10", full()),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.body);

    // Leave with a working day between is checked on its own.
    let apart = hall
        .post(
            "/api/v1/writeoffs",
            "bureau-1",
            &leave("2026-11-12", "2026-11-12", two_step_chain()),
        )
        .await;
    assert_eq!(apart.status, 201, "{}", apart.body);
}
