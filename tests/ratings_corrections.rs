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

/// S004 of hrss covers W02 of tax, so the people rated at W02 and the unit
/// that owns W02 differ.
const CROSS_ROSTER: &str = r#"
[[duty]]
window = "W01"
staff = "S002"
from = 2020-01-01

[[duty]]
window = "W02"
staff = "S004"
from = 2020-01-01

[[duty]]
window = "W03"
staff = "S004"
from = 2020-01-01
"#;

const CHIEF_TAX: &str = "hbx_ratings_test_chief_tax_000000000000000000000000000000000000000001";
const CHIEF_HRSS: &str = "hbx_ratings_test_chief_hrss_00000000000000000000000000000000000000001";

/// Appends chief tokens for tax and hrss to the configuration at `path`.
fn add_chief_tokens(path: &std::path::Path) {
    let mut text = std::fs::read_to_string(path).expect("config read");
    for (id, unit, token) in [
        ("chief-tax", "tax", CHIEF_TAX),
        ("chief-hrss", "hrss", CHIEF_HRSS),
    ] {
        text.push_str(&format!(
            "\n[[token]]\nid = \"{id}\"\nrole = \"chief\"\nunit = \"{unit}\"\nsha256 = \"{}\"\n",
            hex::encode(hallbox::auth::hash_token(token))
        ));
    }
    std::fs::write(path, text).expect("config written");
}

/// Sends a GET with `token` and returns the status and the JSON response.
async fn get_with(url: &str, token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON response"))
}

/// Returns the values of `field` in the objects of array `list`.
fn strings(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|item| item[field].as_str().expect("string field").to_string())
        .collect()
}

#[tokio::test]
async fn corrections_repeats_and_who_decides() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), MONDAY_TO_FRIDAY, CROSS_ROSTER);
    let day = last_weekday_before_today();
    // The default repeat window is 3 s: the press 2 s after P1 repeats it,
    // the press 3 s after that one does not.
    let stored = store_presses(
        &dir.path().join("journal.sqlite"),
        &[
            press("W02", format!("{day} 10:00:00"), "unsatisfied"),
            press("W02", format!("{day} 10:00:02"), "very_unsatisfied"),
            press("W02", format!("{day} 10:00:05"), "unsatisfied"),
            press("W03", format!("{day} 10:00:01"), "unsatisfied"),
        ],
    );
    let [p1, repeat, p3, p4] = stored[..] else {
        panic!("four presses stored")
    };
    let server = support::Server::start(&config);
    let file_url = |rating: i64| server.url(&format!("/api/v1/ratings/{rating}/corrections"));
    let decide_url = |id: i64| server.url(&format!("/api/v1/corrections/{id}/approve"));

    let (status, body) = post(&file_url(repeat), &request_body("void", "S001")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code(&body), "repeat_press");
    assert_eq!(
        message(&body),
        format!(
            "rating {repeat} repeats rating {p1} on keypad keypads:2, pressed 2 s earlier, and \
             does not count (presses less than 3 s apart count once): request the correction \
             of rating {p1} instead"
        )
    );
    let (status, body) = post(&file_url(p3), &request_body("satisfied", "S001")).await;
    assert_eq!(status, 201, "3 s apart is no repeat: {body}");

    // S004 of hrss was on duty at W02: neither the requester, nor of the
    // unit, but the person rated. Case does not get round the checks.
    let (status, filed) = post(&file_url(p1), &request_body("satisfied", "S001")).await;
    assert_eq!(status, 201, "{filed}");
    let c1 = filed["id"].as_i64().expect("correction id");
    for (by, status_expected, expected) in [
        ("S004", 403, "rated_staff"),
        ("s004", 403, "rated_staff"),
        ("Ｓ００４", 403, "rated_staff"),
        ("s001", 403, "own_request"),
        ("s003", 403, "same_unit"),
        ("S003\u{200b}", 400, "invalid_decided_by"),
    ] {
        let (status, body) = post(&decide_url(c1), &decision_body(by)).await;
        assert_eq!(status, status_expected, "{by}: {body}");
        assert_eq!(code(&body), expected, "{by}");
    }
    let (status, body) = post(&decide_url(c1), &decision_body("S004")).await;
    assert_eq!(
        message(&body),
        format!(
            "'S004' was on duty at window W02 when rating {p1} was pressed, so the rating is \
             theirs and they may not decide on its correction request {c1}: the bureau decides"
        ),
        "{status}"
    );
    let (status, body) = post(&decide_url(c1), &decision_body("bureau-wang")).await;
    assert_eq!(status, 200, "{body}");
    let (status, filed) = post(&file_url(p4), &request_body("satisfied", "S004")).await;
    assert_eq!(status, 201, "{filed}");
    let c4 = filed["id"].as_i64().expect("correction id");
    let (status, body) = post(&decide_url(c4), &decision_body("S002")).await;
    assert_eq!(
        status, 200,
        "S002 of tax may decide on hrss's request: {body}"
    );

    // JSON sent as text/plain is refused, as on every write route.
    let response = reqwest::Client::new()
        .post(file_url(p3))
        .bearer_auth(BUREAU_TOKEN)
        .header("content-type", "text/plain")
        .body(request_body("void", "S001").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
}

#[tokio::test]
async fn ratings_report_chief_sees_own_unit() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), MONDAY_TO_FRIDAY, CROSS_ROSTER);
    add_chief_tokens(&config);
    let day = last_weekday_before_today();
    let stored = store_presses(
        &dir.path().join("journal.sqlite"),
        &[
            press("W01", format!("{day} 09:00:00"), "satisfied"),
            press("W02", format!("{day} 10:00:00"), "unsatisfied"),
            press("W03", format!("{day} 11:00:00"), "very_satisfied"),
        ],
    );
    let [p_w01, p_w02, p_w03] = stored[..] else {
        panic!("three presses stored")
    };
    let server = support::Server::start(&config);
    // One pending request per unit.
    let file_url = |rating: i64| server.url(&format!("/api/v1/ratings/{rating}/corrections"));
    assert_eq!(
        post(&file_url(p_w02), &request_body("satisfied", "S001"))
            .await
            .0,
        201
    );
    assert_eq!(
        post(&file_url(p_w03), &request_body("satisfied", "S004"))
            .await
            .0,
        201
    );
    let month = &day.to_string()[..7];
    let url = server.url(&format!("/api/v1/ratings/monthly?month={month}"));

    // tax: its two windows and three staff; the W02 press counts for the
    // window, while S004, who was rated there, belongs to hrss.
    let (status, tax) = get_with(&url, CHIEF_TAX).await;
    assert_eq!(status, 200, "{tax}");
    assert_eq!(strings(&tax["windows"], "window_id"), ["W01", "W02"]);
    assert_eq!(strings(&tax["units"], "id"), ["tax"]);
    assert_eq!(strings(&tax["staff"], "id"), ["S001", "S002", "S003"]);
    let people = strings(&tax["people"], "staff_id");
    assert_eq!(people, ["S002"], "only S002 of tax was rated");
    let seqs: Vec<i64> = tax["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [p_w01, p_w02]);
    assert_eq!(
        strings(&tax["pending_corrections"], "unit_id"),
        ["tax"],
        "{tax}"
    );
    // The hall's totals stay as the yardstick: three valid presses.
    assert_eq!(tax["hall"]["valid"], 3, "{}", tax["hall"]);

    // hrss: window W03, and S004's ratings at W02 as well as at W03.
    let (status, hrss) = get_with(&url, CHIEF_HRSS).await;
    assert_eq!(status, 200, "{hrss}");
    assert_eq!(strings(&hrss["windows"], "window_id"), ["W03"]);
    assert_eq!(strings(&hrss["people"], "staff_id"), ["S004"]);
    assert_eq!(hrss["people"][0]["valid"], 2, "{}", hrss["people"][0]);
    let seqs: Vec<i64> = hrss["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [p_w02, p_w03]);
    assert_eq!(strings(&hrss["pending_corrections"], "unit_id"), ["hrss"]);

    // Another unit is refused; the bureau may narrow to any unit.
    let (status, body) = get_with(&format!("{url}&unit=hrss"), CHIEF_TAX).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = get_with(&format!("{url}&unit=hrss"), BUREAU_TOKEN).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(strings(&body["windows"], "window_id"), ["W03"]);
    let (status, body) = get_with(&format!("{url}&unit=nope"), BUREAU_TOKEN).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "unknown_unit");

    // A chief filing for another unit's rating learns only that it is not
    // one of its own unit's, as for a rating that does not exist.
    for rating in [p_w03, 9999] {
        let response = reqwest::Client::new()
            .post(file_url(rating))
            .bearer_auth(CHIEF_TAX)
            .json(&request_body("satisfied", "S001"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404, "rating {rating}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(code(&body), "rating_not_found");
        assert_eq!(
            message(&body),
            format!(
                "rating {rating} not found among the ratings at the windows of unit 'tax': \
                 expected the id of a press at your unit's windows, as listed in the monthly \
                 ratings report"
            )
        );
    }
}

#[tokio::test]
async fn corrections_and_duty_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), MONDAY_TO_FRIDAY, ROSTER);
    let day = last_weekday_before_today();
    let stored = store_presses(
        &dir.path().join("journal.sqlite"),
        &[press("W01", format!("{day} 10:00:00"), "unsatisfied")],
    );
    let server = support::Server::start(&config);

    let duty = json!({"window_id": "W02", "staff_id": "S001", "from": "2026-12-07",
                      "changed_by": "bureau-wang"});
    let (status, assigned) = post(&server.url("/api/v1/roster/duty"), &duty).await;
    assert_eq!(status, 201, "{assigned}");
    let duty_seq = assigned["seq"].as_i64().expect("assignment seq");
    let url = server.url(&format!("/api/v1/ratings/{}/corrections", stored[0]));
    let (status, filed) = post(&url, &request_body("void", "S001")).await;
    assert_eq!(status, 201, "{filed}");
    let request = filed["id"].as_i64().unwrap();
    let url = server.url(&format!("/api/v1/corrections/{request}/reject"));
    let (status, decided) = post(&url, &decision_body("bureau-wang")).await;
    assert_eq!(status, 200, "{decided}");
    let decision = decided["decision"]["id"].as_i64().unwrap();

    // Each change is followed by its audit entry, stored in its transaction.
    let (status, page) = get(&server.url("/api/v1/audit")).await;
    assert_eq!(status, 200, "{page}");
    let entries = page["entries"].as_array().expect("entries");
    let seen: Vec<(String, i64, i64)> = entries
        .iter()
        .map(|entry| {
            (
                entry["action"].as_str().unwrap().to_string(),
                entry["record_seq"].as_i64().unwrap(),
                entry["seq"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("roster.assign".to_string(), duty_seq, duty_seq + 1),
            ("correction.request".to_string(), request, request + 1),
            ("correction.decide".to_string(), decision, decision + 1),
        ]
    );
    assert_eq!(entries[0]["actor"]["token_id"], "bureau-test");
    assert_eq!(
        entries[0]["summary"],
        "duty of S001 at window W02 from 2026-12-07"
    );
    assert_eq!(page["next"], decision + 1);
    assert_eq!(page["has_more"], false);
    let (_, first) = get(&server.url("/api/v1/audit?limit=1")).await;
    assert_eq!(first["has_more"], true);
}

/// Appends a correction record as the ratings module stores it.
fn append_correction(journal: &mut hallbox::journal::Journal, key: &str, payload: Value) {
    let now = chrono::Utc::now();
    let event = hallbox::journal::NewEvent {
        kind: hallbox::journal::EventKind::Correction,
        device_id: "bureau-wang".to_string(),
        idempotency_key: key.to_string(),
        device_time: Some(now),
        received_at: now,
        subject: Some(format!("rating:{}", payload["rating_id"])),
        raw: Vec::new(),
        payload,
    };
    journal.append(&event).expect("correction stored");
}

/// Two approvals of one rating, as two daemons on one journal could store
/// them: the first counts, the second is listed as unreadable, and the
/// report is still served.
#[tokio::test]
async fn second_approval_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &official_calendar(), ROSTER);
    let path = dir.path().join("journal.sqlite");
    let rating = store_presses(&path, &[press("W01", "2026-11-02 10:00:00", "unsatisfied")])[0];
    let mut journal = hallbox::journal::Journal::open(&path).unwrap();
    let mut decisions = Vec::new();
    for (index, level) in ["satisfied", "void"].into_iter().enumerate() {
        let request_id = rating + 1 + 2 * index as i64;
        append_correction(
            &mut journal,
            &format!("rating_correction_request:{rating}:{index}"),
            json!({
                "type": "rating_correction_request", "rating_id": rating, "window_id": "W01",
                "unit_id": "tax", "pressed_at": "2026-11-02T10:00:00",
                "original_level": "unsatisfied", "level": level, "reason": "误按",
                "requested_by": "S001", "requested_at": "2026-11-03T10:00:00",
                "deadline": "2026-11-06T00:00:00"
            }),
        );
        append_correction(
            &mut journal,
            &format!("rating_correction_decision:{request_id}"),
            json!({
                "type": "rating_correction_decision", "request_id": request_id,
                "rating_id": rating, "decision": "approved", "reason": "已核实",
                "decided_by": "bureau-wang", "decided_at": "2026-11-03T11:00:00"
            }),
        );
        decisions.push(request_id + 1);
    }
    drop(journal);

    let server = support::Server::start(&config);
    let (status, report) = get(&server.url("/api/v1/ratings/monthly?month=2026-11")).await;
    assert_eq!(status, 200, "{report}");
    let line = &report["ratings"][0];
    assert_eq!(line["effective_level"], "satisfied", "{line}");
    assert_eq!(line["correction"]["new"], "satisfied", "{line}");
    let unreadable = report["unreadable_events"].as_array().unwrap();
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    assert_eq!(unreadable[0]["seq"], decisions[1]);
    assert!(
        unreadable[0]["reason"]
            .as_str()
            .unwrap()
            .contains("already has an approved correction (request"),
        "{unreadable:?}"
    );
}
