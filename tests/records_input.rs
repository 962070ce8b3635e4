//! Bad input on every write route. Bodies that are not JSON get 400, bad
//! fields 422 with the field and the reason, bodies over the configured
//! size 413 and other media types 415. Missing records get 404 and records
//! in the wrong state 409. No rejected request writes anything.

mod support;

use serde_json::{json, Value};
use support::hall::{two_step_chain, Hall};

/// A valid personal leave of S002 on Monday 2026-11-02, with `change`
/// applied to its fields (`null` removes one).
fn leave(change: Value) -> Value {
    let mut body = json!({
        "person": "S002",
        "kind": "personal_leave",
        "from": "2026-11-02",
        "reason": "家中有事",
        "approved_by": "王监管",
        "approvals": two_step_chain(),
    });
    for (key, value) in change.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}

#[tokio::test]
async fn write_off_fields_rejected() {
    let hall = Hall::start();
    let before = hall.event_count().await;
    // (change to a valid leave, status, code, field, words of the message)
    let cases = [
        (
            json!({"colour": "red"}),
            422,
            "unknown_field",
            "colour",
            "unknown field",
        ),
        (
            json!({"reason": null}),
            422,
            "missing_field",
            "reason",
            "missing field",
        ),
        (
            json!({"kind": "holiday"}),
            422,
            "invalid_field",
            "kind",
            "unknown variant",
        ),
        (
            json!({"from": "2026-11-31"}),
            422,
            "invalid_field",
            "from",
            "invalid date",
        ),
        (
            json!({"from": 20261102}),
            422,
            "invalid_field",
            "from",
            "invalid type",
        ),
        (
            json!({"to": "2026-11-01"}),
            422,
            "invalid_field",
            "to",
            "before the first day",
        ),
        (
            json!({"person": "S999"}),
            422,
            "invalid_field",
            "person",
            "unknown staff id",
        ),
        (
            json!({"reason": "   "}),
            422,
            "invalid_field",
            "reason",
            "empty text",
        ),
        (
            json!({"from": "2026-11-07", "to": "2026-11-08"}),
            422,
            "invalid_field",
            "from",
            "no working day",
        ),
        (
            json!({"from_checkpoint": "evening_out", "to_checkpoint": "morning_in"}),
            422,
            "invalid_field",
            "to_checkpoint",
            "comes before",
        ),
        (
            json!({"approvals": [{"step": "bureau", "name": "王"}, {"step": "chief_representative", "name": "马"}]}),
            422,
            "invalid_field",
            "approvals[1].step",
            "comes after",
        ),
        (
            json!({"approvals": [{"step": "chief_representative", "name": "马", "when": "x"}]}),
            422,
            "unknown_field",
            "approvals[0].when",
            "unknown field",
        ),
        (
            json!({"sick_certificate": true}),
            422,
            "invalid_field",
            "sick_certificate",
            "belongs to sick_leave",
        ),
        (
            json!({"emergency": {"notified_at": "2026-11-02T08:31:00"}, "approvals": []}),
            422,
            "invalid_field",
            "emergency.notified_at",
            "by 08:30",
        ),
        (
            json!({"from": "2030-01-02"}),
            422,
            "invalid_field",
            "from",
            "outside the working-day calendar",
        ),
    ];
    for (change, status, code, field, words) in cases {
        let answer = hall
            .post("/api/v1/writeoffs", "bureau-1", &leave(change.clone()))
            .await;
        let error = &answer.body["error"];
        assert_eq!(answer.status, status, "{change}: {}", answer.body);
        assert_eq!(error["code"], code, "{change}: {}", answer.body);
        assert_eq!(error["field"], field, "{change}: {}", answer.body);
        let message = error["message"].as_str().unwrap_or("");
        assert!(message.contains(words), "{change}: {message}");
    }
    // An emergency leave reported at 08:30:59 is in time, as a punch is.
    let answer = hall
        .post(
            "/api/v1/writeoffs",
            "bureau-1",
            &leave(json!({"emergency": {"notified_at": "2026-11-02T08:30:59"}, "approvals": []})),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    // That leave and its audit entry are the only events written.
    assert_eq!(hall.event_count().await, before + 2);
}

#[tokio::test]
async fn bodies_rejected_whole() {
    let hall = Hall::start();
    let before = hall.event_count().await;
    let url = hall.server.url("/api/v1/writeoffs");
    let bureau = support::token("bureau-1");
    // (content type, body, status, code)
    let big = format!("{{\"reason\": \"{}\"}}", "x".repeat(70_000));
    let cases: [(&str, String, u16, &str); 5] = [
        (
            "application/json",
            "{\"person\": ".to_string(),
            400,
            "invalid_json",
        ),
        (
            "application/json",
            "{} trailing".to_string(),
            400,
            "invalid_json",
        ),
        ("application/json", String::new(), 400, "invalid_json"),
        (
            "text/plain",
            leave(json!({})).to_string(),
            415,
            "unsupported_media_type",
        ),
        // Over the configured 65,536 bytes.
        ("application/json", big, 413, "payload_too_large"),
    ];
    for (content_type, body, status, code) in cases {
        let response = hall
            .client
            .post(&url)
            .bearer_auth(bureau)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{content_type}");
        let json: Value = response.json().await.expect("JSON error body");
        assert_eq!(json["error"]["code"], code, "{content_type}: {json}");
    }

    // The import route reads raw bytes, and over the limit it returns the
    // same JSON 413.
    let response = hall
        .client
        .post(
            hall.server
                .url("/api/v1/imports/attlog?device=clock-1&new_device=true"),
        )
        .bearer_auth(bureau)
        .body(vec![b'1'; 70_000])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let json: Value = response.json().await.expect("JSON error body");
    assert_eq!(json["error"]["code"], "payload_too_large");
    assert!(json["error"]["message"]
        .as_str()
        .unwrap()
        .contains("65536 bytes"));

    assert_eq!(hall.event_count().await, before);
}

#[tokio::test]
async fn records_missing_or_in_wrong_state() {
    let hall = Hall::start();
    let ordinary = hall
        .post("/api/v1/writeoffs", "bureau-1", &leave(json!({})))
        .await;
    assert_eq!(ordinary.status, 201, "{}", ordinary.body);
    let id = ordinary.body["id"].as_i64().unwrap();
    let before = hall.event_count().await;
    let paperwork = json!({ "completed_on": "2026-11-03", "approvals": two_step_chain() });

    // (path, body, status)
    let cases = [
        (
            "/api/v1/writeoffs/99999/revoke".to_string(),
            json!({"reason": "x"}),
            404,
        ),
        (
            "/api/v1/writeoffs/abc/revoke".to_string(),
            json!({"reason": "x"}),
            404,
        ),
        (
            format!("/api/v1/writeoffs/{id}/paperwork"),
            paperwork.clone(),
            409,
        ),
        (
            "/api/v1/outages/99999/close".to_string(),
            json!({"end": "2026-11-02T09:00:00"}),
            404,
        ),
        (
            "/api/v1/outages/99999/notes".to_string(),
            json!({"note": "x"}),
            404,
        ),
    ];
    for (path, body, status) in cases {
        let answer = hall.post(&path, "bureau-1", &body).await;
        assert_eq!(answer.status, status, "{path}: {}", answer.body);
        assert!(answer.body["error"]["message"].is_string(), "{path}");
    }

    // Outage and patrol fields.
    let cases = [
        (
            "/api/v1/outages",
            json!({"start": "2026-11-02T09:00:00", "end": "2026-11-02T08:00:00", "note": "停电"}),
            "end",
        ),
        (
            "/api/v1/outages",
            json!({"start": "2099-01-01T09:00:00", "note": "停电"}),
            "start",
        ),
        (
            "/api/v1/outages",
            json!({"start": "2026-11-02 09:00", "note": "停电"}),
            "start",
        ),
        (
            "/api/v1/outages",
            json!({"start": "2026-11-02T09:00:00"}),
            "note",
        ),
        (
            "/api/v1/outages",
            json!({"device": "bad id!", "start": "2026-11-02T09:00:00", "note": "x"}),
            "device",
        ),
        (
            "/api/v1/patrols",
            json!({"person": "S002", "at": "2026-11-02T08:25:00"}),
            "patrolled_by",
        ),
        (
            "/api/v1/patrols",
            json!({"person": "S9", "at": "2026-11-02T08:25:00", "patrolled_by": "王"}),
            "person",
        ),
        (
            "/api/v1/patrols",
            json!({"person": "S002", "at": "2099-11-02T08:25:00", "patrolled_by": "王"}),
            "at",
        ),
    ];
    for (path, body, field) in cases {
        let answer = hall.post(path, "bureau-1", &body).await;
        assert_eq!(answer.status, 422, "{body}: {}", answer.body);
        assert_eq!(
            answer.body["error"]["field"], field,
            "{body}: {}",
            answer.body
        );
    }
    assert_eq!(hall.event_count().await, before);
}

#[tokio::test]
async fn idempotency_key_stores_once() {
    let hall = Hall::start();
    let before = hall.event_count().await;
    let send = || {
        hall.client
            .post(hall.server.url("/api/v1/writeoffs"))
            .bearer_auth(support::token("bureau-1"))
            .header("idempotency-key", "form-2026-118")
            .json(&leave(json!({})))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.unwrap();
    let second = send().await.unwrap();
    assert_eq!(second.status().as_u16(), 200);
    let second: Value = second.json().await.unwrap();
    assert_eq!(first["id"], second["id"]);
    assert_eq!(hall.event_count().await, before + 2);
}
