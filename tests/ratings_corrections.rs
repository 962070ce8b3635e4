//! Misclick corrections end to end: presses stored in the keypad driver's
//! journal format, the real `hallbox serve` on 127.0.0.1, and requests,
//! approvals and rejections over HTTP.
//!
//! Requests are filed at the box's clock, so presses that must be in time
//! fall on the last Monday-to-Friday day before today, with a
//! Monday-to-Friday calendar: the deadline is then never before today. The
//! deadline tables at 23:59 and 00:00 on the official calendar run against
//! the same checks with fixed instants in the daemon's unit tests.

mod ratings_common;
mod support;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use ratings_common::*;
use serde_json::{json, Value};

const ROSTER: &str = r#"
[[duty]]
window = "W01"
staff = "S002"
from = 2020-01-01

[[duty]]
window = "W02"
staff = "S003"
from = 2020-01-01

[[duty]]
window = "W03"
staff = "S004"
from = 2020-01-01
"#;

fn request_body(level: &str, by: &str) -> Value {
    json!({"level": level, "reason": "申请人误按，已电话核实", "requested_by": by})
}

fn decision_body(by: &str) -> Value {
    json!({"reason": "已核实监控录像", "decided_by": by})
}

/// Midnight after the third Monday-to-Friday day after `day`.
fn weekday_deadline(day: NaiveDate) -> String {
    let mut last = day;
    let mut found = 0;
    while found < 3 {
        last = last + Days::new(1);
        if !matches!(last.weekday(), Weekday::Sat | Weekday::Sun) {
            found += 1;
        }
    }
    format!("{}T00:00:00", last + Days::new(1))
}

/// Returns the ids of the corrections in a list response.
fn ids(list: &Value) -> Vec<i64> {
    list["corrections"]
        .as_array()
        .expect("corrections array")
        .iter()
        .map(|view| view["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn corrections_approve_reject() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), MONDAY_TO_FRIDAY, ROSTER);
    let day = last_weekday_before_today();
    let ids_stored = store_presses(
        &dir.path().join("journal.sqlite"),
        &[
            press("W01", format!("{day} 10:00:00"), "unsatisfied"),
            press("W01", format!("{day} 10:30:00"), "very_unsatisfied"),
            press("W03", format!("{day} 10:15:00"), "unsatisfied"),
        ],
    );
    let [p1, p2, p3] = ids_stored[..] else {
        panic!("three presses stored")
    };
    let server = support::Server::start(&config);
    let file_url = |rating: i64| server.url(&format!("/api/v1/ratings/{rating}/corrections"));
    let decide_url = |id: i64, verb: &str| server.url(&format!("/api/v1/corrections/{id}/{verb}"));

    // The chief of tax requests that P1 count as 满意.
    let (status, filed) = post(&file_url(p1), &request_body("satisfied", "S001")).await;
    assert_eq!(status, 201, "{filed}");
    let c1 = filed["id"].as_i64().expect("correction id");
    assert!(c1 > p3, "the request is a new journal event");
    assert_eq!(filed["status"], "pending");
    assert_eq!(filed["rating_id"], p1);
    assert_eq!(filed["window_id"], "W01");
    assert_eq!(filed["unit_id"], "tax");
    assert_eq!(filed["original_level"], "unsatisfied");
    assert_eq!(filed["level"], "satisfied");
    assert_eq!(filed["requested_by"], "S001");
    assert_eq!(filed["pressed_at"], format!("{day}T10:00:00"));
    assert_eq!(filed["deadline"], weekday_deadline(day));
    assert_eq!(filed["decision"], Value::Null);

    let (status, pending) = get(&server.url("/api/v1/corrections?status=pending")).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&pending), vec![c1]);

    // The bureau approves it; a second decision and a second request fail.
    let (status, approved) = post(&decide_url(c1, "approve"), &decision_body("bureau-wang")).await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decision"]["decided_by"], "bureau-wang");
    assert_eq!(approved["decision"]["reason"], "已核实监控录像");

    let (status, again) = post(&decide_url(c1, "reject"), &decision_body("bureau-li")).await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(code(&again), "already_decided");

    let (status, second) = post(&file_url(p1), &request_body("void", "S001")).await;
    assert_eq!(status, 409, "{second}");
    assert_eq!(code(&second), "already_corrected");
    assert_eq!(
        message(&second),
        format!(
            "rating {p1} already has an approved correction (request {c1}): \
             a rating may have only one"
        )
    );

    // P2: filed, a second request while pending fails, rejected, filed
    // again after the rejection.
    let (status, filed) = post(&file_url(p2), &request_body("void", "S001")).await;
    assert_eq!(status, 201, "{filed}");
    let c2 = filed["id"].as_i64().expect("correction id");
    let (status, pending) = post(&file_url(p2), &request_body("satisfied", "S001")).await;
    assert_eq!(status, 409, "{pending}");
    assert_eq!(code(&pending), "correction_pending");

    let (status, rejected) = post(&decide_url(c2, "reject"), &decision_body("bureau-wang")).await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    let (status, refiled) = post(&file_url(p2), &request_body("satisfied", "S001")).await;
    assert_eq!(status, 201, "{refiled}");
    let c3 = refiled["id"].as_i64().expect("correction id");

    // P3 is at W03 of hrss: the chief of tax may not ask, hrss's may.
    let (status, foreign) = post(&file_url(p3), &request_body("satisfied", "S001")).await;
    assert_eq!(status, 403, "{foreign}");
    assert_eq!(code(&foreign), "not_chief");
    assert_eq!(
        message(&foreign),
        "staff 'S001' is not the chief representative of unit 'hrss', which window W03 \
         belongs to: only its chief representative may request a correction"
    );
    let (status, own) = post(&file_url(p3), &request_body("basically_satisfied", "S004")).await;
    assert_eq!(status, 201, "{own}");
    let c4 = own["id"].as_i64().expect("correction id");

    let list = |query: &'static str| {
        let url = server.url(&format!("/api/v1/corrections{query}"));
        async move {
            let (status, body) = get(&url).await;
            assert_eq!(status, 200, "{query}: {body}");
            ids(&body)
        }
    };
    assert_eq!(list("").await, vec![c1, c2, c3, c4]);
    assert_eq!(list("?status=approved").await, vec![c1]);
    assert_eq!(list("?status=rejected").await, vec![c2]);
    assert_eq!(list("?status=pending").await, vec![c3, c4]);
    assert_eq!(list("?status=pending&unit=hrss").await, vec![c4]);
    assert_eq!(list("?unit=tax").await, vec![c1, c2, c3]);

    let (status, bad) = get(&server.url("/api/v1/corrections?status=done")).await;
    assert_eq!(status, 400);
    assert_eq!(code(&bad), "invalid_status");
}

#[tokio::test]
async fn corrections_rejected_requests() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), MONDAY_TO_FRIDAY, ROSTER);
    let day = last_weekday_before_today();
    let stored = store_presses(
        &dir.path().join("journal.sqlite"),
        &[
            press("W01", format!("{day} 10:00:00"), "unsatisfied"),
            // Friday 2026-02-13 on a Monday-to-Friday calendar: Mon 02-16,
            // Tue 02-17 and Wed 02-18 are the three working days.
            press("W01", "2026-02-13 15:00:00", "unsatisfied"),
        ],
    );
    let [p1, late] = stored[..] else {
        panic!("two presses stored")
    };
    let server = support::Server::start(&config);
    let file_url = |rating: &str| server.url(&format!("/api/v1/ratings/{rating}/corrections"));

    let (status, body) = post(&file_url("9999"), &request_body("satisfied", "S001")).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(code(&body), "rating_not_found");
    assert!(
        message(&body).starts_with("rating 9999 not found"),
        "{body}"
    );

    let (status, body) = post(&file_url("abc"), &request_body("satisfied", "S001")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "invalid_id");

    let url = file_url(&p1.to_string());
    let cases: [(&'static str, &str, &str); 6] = [
        ("not json", "invalid_body", "invalid JSON body"),
        (
            r#"{"level": "void", "reason": "x"}"#,
            "invalid_body",
            "missing field `requested_by`",
        ),
        (
            r#"{"level": "void", "reason": "x", "requsted_by": "S001"}"#,
            "invalid_body",
            "unknown field `requsted_by`",
        ),
        (
            r#"{"level": 3, "reason": "x", "requested_by": "S001"}"#,
            "invalid_body",
            "field 'level': invalid type: integer `3`",
        ),
        (
            r#"{"level": "great", "reason": "x", "requested_by": "S001"}"#,
            "invalid_level",
            "invalid field 'level': unknown corrected level 'great': expected void or one of",
        ),
        (
            r#"{"level": "void", "reason": " ", "requested_by": "S001"}"#,
            "invalid_reason",
            "invalid field 'reason': empty text",
        ),
    ];
    for (body, expected_code, expected_message) in cases {
        let (status, answer) = post_raw(&url, body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(code(&answer), expected_code, "{body}");
        assert!(
            message(&answer).contains(expected_message),
            "{body}: {answer}"
        );
    }

    let (status, body) = post(&url, &request_body("unsatisfied", "S001")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code(&body), "same_level");

    let (status, body) = post(
        &file_url(&late.to_string()),
        &request_body("satisfied", "S001"),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code(&body), "deadline_passed");
    assert!(
        message(&body).contains(
            "is late: the correction window for a rating pressed on 2026-02-13 ended at \
             2026-02-18 24:00 (3 working days after the press)"
        ),
        "{body}"
    );

    // Decisions: unknown ids, a rating's id, the requester and the unit's
    // own staff are rejected.
    let (status, filed) = post(&url, &request_body("satisfied", "S001")).await;
    assert_eq!(status, 201, "{filed}");
    let c1 = filed["id"].as_i64().expect("correction id");
    let decide_url = |id: i64| server.url(&format!("/api/v1/corrections/{id}/approve"));
    for id in [9999, p1] {
        let (status, body) = post(&decide_url(id), &decision_body("bureau-wang")).await;
        assert_eq!(status, 404, "{id}: {body}");
        assert_eq!(code(&body), "correction_not_found");
    }
    for (by, expected) in [("S001", "own_request"), ("S003", "same_unit")] {
        let (status, body) = post(&decide_url(c1), &decision_body(by)).await;
        assert_eq!(status, 403, "{by}: {body}");
        assert_eq!(code(&body), expected);
    }
    let (status, body) = post_raw(&decide_url(c1), r#"{"decided_by": "bureau-wang"}"#).await;
    assert_eq!(status, 400, "{body}");
    assert!(message(&body).contains("missing field `reason`"), "{body}");

    // Only the one valid request was stored, and it is still pending.
    let (status, list) = get(&server.url("/api/v1/corrections")).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&list), vec![c1]);
    assert_eq!(list["corrections"][0]["status"], "pending");
}

#[tokio::test]
async fn corrections_deadline_official_calendar() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &official_calendar(), ROSTER);
    let stored = store_presses(
        &dir.path().join("journal.sqlite"),
        &[
            // Friday before make-up Saturday 2026-02-14 and the Spring
            // Festival week 02-15..02-23: Sat 02-14, Tue 02-24, Wed 02-25.
            press("W01", "2026-02-13 15:00:00", "unsatisfied"),
            // Friday before the 2025 Spring Festival week: make-up Sun
            // 01-26, Mon 01-27, then rest 01-28..02-04, Wed 02-05.
            press("W01", "2025-01-24 10:00:00", "unsatisfied"),
        ],
    );
    let server = support::Server::start(&config);

    let cases = [
        (stored[0], "pressed on 2026-02-13 ended at 2026-02-25 24:00"),
        (stored[1], "pressed on 2025-01-24 ended at 2025-02-05 24:00"),
    ];
    for (rating, expected) in cases {
        let url = server.url(&format!("/api/v1/ratings/{rating}/corrections"));
        let (status, body) = post(&url, &request_body("satisfied", "S001")).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(code(&body), "deadline_passed");
        assert!(message(&body).contains(expected), "{body}");
    }
}
