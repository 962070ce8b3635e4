//! The monthly ratings report end to end: presses stored in the keypad
//! driver's journal format, the real `hallbox serve` on 127.0.0.1, roster
//! changes and corrections over HTTP, and the report as JSON and CSV,
//! checked against counts worked out by hand.

mod ratings_common;
mod support;

use chrono::Datelike;
use ratings_common::*;
use serde_json::{json, Value};

/// Returns the entry of `id` in an array of objects keyed by `key`.
fn entry<'a>(list: &'a Value, key: &str, id: &str) -> &'a Value {
    list.as_array()
        .expect("array")
        .iter()
        .find(|item| item[key] == id)
        .unwrap_or_else(|| panic!("{key} {id} in {list}"))
}

/// (presses, repeats, void, corrected, valid, [five level counts],
/// unsatisfied) of a window's or a person's JSON.
type Counts = (u64, u64, u64, u64, u64, [u64; 5], u64);

fn counts(value: &Value) -> Counts {
    let n = |key: &str| {
        value[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} in {value}"))
    };
    let c = &value["counts"];
    let level = |key: &str| c[key].as_u64().unwrap_or_else(|| panic!("{key} in {c}"));
    (
        n("presses"),
        n("repeats"),
        n("void"),
        n("corrected"),
        n("valid"),
        [
            level("very_satisfied"),
            level("satisfied"),
            level("basically_satisfied"),
            level("unsatisfied"),
            level("very_unsatisfied"),
        ],
        n("unsatisfied"),
    )
}

fn line(report: &Value, seq: i64) -> &Value {
    report["ratings"]
        .as_array()
        .expect("ratings array")
        .iter()
        .find(|line| line["seq"] == seq)
        .unwrap_or_else(|| panic!("rating {seq} in the report"))
}

fn row<'a>(rows: &'a [Vec<String>], first: &str) -> &'a [String] {
    rows.iter()
        .find(|row| row[0] == first)
        .unwrap_or_else(|| panic!("row {first} in {rows:?}"))
}

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

#[tokio::test]
async fn report_before_and_after_corrections() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), MONDAY_TO_FRIDAY, ROSTER);
    let day = last_weekday_before_today();
    let month = format!("{:04}-{:02}", day.year(), day.month());
    let at = |time: &str| format!("{day} {time}");
    let ids = store_presses(
        &dir.path().join("journal.sqlite"),
        &[
            press("W01", at("10:00:00"), "very_satisfied"),
            // 2 s after the previous press on keypads:1: a repeat.
            press("W01", at("10:00:02"), "unsatisfied"),
            press("W01", at("10:30:00"), "unsatisfied"),
            press("W01", at("11:00:00"), "very_unsatisfied"),
            press("W01", at("11:30:00"), "satisfied"),
            press("W03", at("10:15:00"), "basically_satisfied"),
            press("W03", at("10:45:00"), "unsatisfied"),
        ],
    );
    let [a, b, c, d, e, _f, g] = ids[..] else {
        panic!("seven presses stored")
    };
    let server = support::Server::start(&config);
    let report_url = server.url(&format!("/api/v1/ratings/monthly?month={month}"));

    // Before: W01 counts VS (a), U (c), VU (d) and S (e); b repeats a.
    let (status, before) = get(&report_url).await;
    assert_eq!(status, 200, "{before}");
    let w01 = entry(&before["windows"], "window_id", "W01");
    assert_eq!(counts(w01), (5, 1, 0, 0, 4, [1, 1, 0, 1, 1], 2));
    assert_eq!(w01["satisfaction_rate"], 0.5);
    assert_eq!(w01["deduction"], 6.0);
    assert_eq!(w01["score"], 9.0);
    assert_eq!(w01["excellent_eligible"], false);
    let w03 = entry(&before["windows"], "window_id", "W03");
    assert_eq!(counts(w03), (2, 0, 0, 0, 2, [0, 0, 1, 1, 0], 1));
    assert_eq!(w03["score"], 12.0);
    let w02 = entry(&before["windows"], "window_id", "W02");
    assert_eq!(counts(w02), (0, 0, 0, 0, 0, [0; 5], 0));
    assert_eq!(w02["satisfaction_rate"], Value::Null);
    assert_eq!(w02["score"], 15.0);
    assert_eq!(w02["excellent_eligible"], true);
    assert_eq!(before["hall"]["satisfaction_rate"], 0.5);
    assert_eq!(line(&before, b)["repeat"], true);
    assert_eq!(before["patterns"], json!([]));

    // c becomes 满意 and d void, both approved; g's request is rejected;
    // e's request stays pending.
    let file = |rating: i64, level: &str, by: &str| {
        let url = server.url(&format!("/api/v1/ratings/{rating}/corrections"));
        let body = json!({"level": level, "reason": "申请人误按，已电话核实", "requested_by": by});
        async move {
            let (status, answer) = post(&url, &body).await;
            assert_eq!(status, 201, "{answer}");
            answer["id"].as_i64().expect("correction id")
        }
    };
    let decide = |id: i64, verb: &str| {
        let url = server.url(&format!("/api/v1/corrections/{id}/{verb}"));
        async move {
            let body = json!({"reason": "已核实监控录像", "decided_by": "bureau-wang"});
            let (status, answer) = post(&url, &body).await;
            assert_eq!(status, 200, "{answer}");
            answer
        }
    };
    let approved_c = decide(file(c, "satisfied", "S001").await, "approve").await;
    decide(file(d, "void", "S001").await, "approve").await;
    decide(file(g, "satisfied", "S004").await, "reject").await;
    let pending_e = file(e, "very_satisfied", "S001").await;

    // After: W01 counts VS (a), S (c corrected) and S (e); d is void.
    let (status, after) = get(&report_url).await;
    assert_eq!(status, 200, "{after}");
    let w01 = entry(&after["windows"], "window_id", "W01");
    assert_eq!(counts(w01), (5, 1, 1, 2, 3, [1, 2, 0, 0, 0], 0));
    assert_eq!(w01["satisfaction_rate"], 1.0);
    assert_eq!(w01["deduction"], 0.0);
    assert_eq!(w01["score"], 15.0);
    assert_eq!(w01["excellent_eligible"], true);
    let w03 = entry(&after["windows"], "window_id", "W03");
    assert_eq!(counts(w03), (2, 0, 0, 0, 2, [0, 0, 1, 1, 0], 1));
    assert_eq!(w03["score"], 12.0);
    // Hall: VS 1, S 2 + 1 (W01), BS 1 and U 1 (W03): 4 of 5 satisfied.
    assert_eq!(counts(&after["hall"]), (7, 1, 1, 2, 5, [1, 2, 1, 1, 0], 1));
    assert_eq!(after["hall"]["satisfaction_rate"], 0.8);

    let s002 = entry(&after["people"], "staff_id", "S002");
    assert_eq!(counts(s002), counts(w01));
    assert_eq!(s002["window_ids"], json!(["W01"]));
    let s003 = entry(&after["people"], "staff_id", "S003");
    assert_eq!(counts(s003), (0, 0, 0, 0, 0, [0; 5], 0));
    assert_eq!(s003["window_ids"], json!(["W02"]));
    let s004 = entry(&after["people"], "staff_id", "S004");
    assert_eq!(s004["excellent_eligible"], false);

    // The original press stays, and the line names who corrected it and when.
    let corrected = line(&after, c);
    assert_eq!(corrected["original_level"], "unsatisfied");
    assert_eq!(corrected["effective_level"], "satisfied");
    assert_eq!(corrected["counted"], true);
    assert_eq!(corrected["correction"]["requested_by"], "S001");
    assert_eq!(corrected["correction"]["approved_by"], "bureau-wang");
    assert_eq!(
        corrected["correction"]["approved_at"],
        approved_c["decision"]["decided_at"]
    );
    let voided = line(&after, d);
    assert_eq!(voided["original_level"], "very_unsatisfied");
    assert_eq!(voided["effective_level"], Value::Null);
    assert_eq!(voided["void"], true);
    assert_eq!(voided["counted"], false);
    let rejected = line(&after, g);
    assert_eq!(rejected["effective_level"], "unsatisfied");
    assert_eq!(rejected["correction"], Value::Null);
    let pending: Vec<i64> = after["pending_corrections"]
        .as_array()
        .expect("pending list")
        .iter()
        .map(|view| view["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(pending, vec![pending_e]);
    assert_eq!(line(&after, e)["effective_level"], "satisfied");
    assert_eq!(line(&after, a)["counted"], true);

    // The same in the CSV tables.
    let csv = |table: &str| {
        server.url(&format!(
            "/api/v1/ratings/monthly?month={month}&format=csv&table={table}"
        ))
    };
    let (status, bytes) = get_bytes(&csv("windows")).await;
    assert_eq!(status, 200);
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 4, "header and three windows");
    assert_eq!(
        row(&rows, "W01").join(","),
        "W01,1号窗口,县税务局,5,1,1,2,3,1,2,0,0,0,100.00%,0,0,15,0,15,是"
    );
    assert_eq!(
        row(&rows, "W03").join(","),
        "W03,3号窗口,县人社局,2,0,0,0,2,0,0,1,1,0,50.00%,1,0,15,3,12,否"
    );
    let (_, bytes) = get_bytes(&csv("ratings")).await;
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 8, "header and seven presses");
    let cells = row(&rows, &c.to_string());
    assert_eq!(cells[1], format!("{day} 10:30:00"));
    assert_eq!(cells[5..13].join(","), "S002,韩丽,4,不满意,满意,是,否,是");
    assert_eq!(cells[13..15].join(","), "S001,bureau-wang");
    assert_eq!(cells[16], "申请人误按，已电话核实");
    let cells = row(&rows, &d.to_string());
    assert_eq!(cells[8..13].join(","), "非常不满意,作废,否,否,是");
    let cells = row(&rows, &b.to_string());
    assert_eq!(cells[8..13].join(","), "不满意,不满意,否,是,否");
}

#[tokio::test]
async fn report_fixed_month_patterns() {
    let dir = tempfile::tempdir().unwrap();
    let ratings = r#"
[ratings]
min_ratings_for_share = 3

[[duty]]
window = "W01"
staff = "S001"
from = 2026-01-01

[[duty]]
window = "W02"
staff = "S002"
from = 2026-01-01
"#;
    let config = write_config(dir.path(), &official_calendar(), ratings);
    let burst = |second: &str| {
        press(
            "W02",
            format!("2026-11-04 14:00:{second}"),
            "very_satisfied",
        )
    };
    // Ids 1 to 17 in this order.
    let ids = store_presses(
        &dir.path().join("journal.sqlite"),
        &[
            press("W01", "2026-11-02 09:00:00", "very_satisfied"),
            press("W01", "2026-11-03 07:30:00", "satisfied"),
            // Saturday, no make-up workday.
            press("W01", "2026-11-07 10:00:00", "unsatisfied"),
            press("W01", "2026-11-16 10:00:00", "very_satisfied"),
            press("W01", "2026-11-17 19:00:00", "basically_satisfied"),
            // Five presses within 40 s on keypads:2: a burst.
            burst("00"),
            burst("10"),
            burst("20"),
            burst("30"),
            burst("40"),
            press("W02", "2026-11-05 09:00:00", "very_satisfied"),
            // W03 has nobody on the roster; 13 repeats 12.
            press("W03", "2026-11-06 10:00:00", "satisfied"),
            press("W03", "2026-11-06 10:00:01", "unsatisfied"),
            press("W03", "2026-11-09 15:00:00", "unsatisfied"),
            // Unreadable: no such level.
            press("W01", "2026-11-10 10:00:00", "great"),
            // The last press of October, and a repeat of it 2 s later on
            // Sunday 11-01.
            press("W01", "2026-10-31 23:59:59", "unsatisfied"),
            press("W01", "2026-11-01 00:00:01", "satisfied"),
        ],
    );
    assert_eq!(ids, (1..=17).collect::<Vec<i64>>());
    let server = support::Server::start(&config);
    let report_url = server.url("/api/v1/ratings/monthly?month=2026-11");

    // With the configured roster, S001 is rated at W01 all month: 17, 1,
    // 2, 3, 4 and 5, with 17 a repeat.
    let (status, before) = get(&report_url).await;
    assert_eq!(status, 200, "{before}");
    let s001 = entry(&before["people"], "staff_id", "S001");
    assert_eq!(counts(s001), (6, 1, 0, 0, 5, [2, 1, 1, 1, 0], 1));

    // S003 takes W01 over from 11-16.
    let duty_url = server.url("/api/v1/roster/duty");
    let change = json!({
        "window_id": "W01", "staff_id": "S003", "from": "2026-11-16",
        "changed_by": "bureau-wang", "reason": "马建国外出学习"
    });
    let (status, stored) = post(&duty_url, &change).await;
    assert_eq!(status, 201, "{stored}");
    assert_eq!(stored["source"], "api");
    assert_eq!(stored["seq"], 18);
    assert_eq!(stored["to"], Value::Null);
    assert_eq!(stored["changed_by"], "bureau-wang");
    let bad = [
        (
            json!({"window_id": "W09", "staff_id": "S003", "from": "2026-11-16", "changed_by": "x"}),
            422,
            "unknown_window",
        ),
        (
            json!({"window_id": "W01", "staff_id": "S009", "from": "2026-11-16", "changed_by": "x"}),
            422,
            "unknown_staff",
        ),
        (
            json!({"window_id": "W01", "staff_id": "S003", "from": "16.11.2026", "changed_by": "x"}),
            400,
            "invalid_from",
        ),
        (
            json!({"window_id": "W01", "staff_id": "S003", "from": "2026-11-16"}),
            400,
            "invalid_body",
        ),
    ];
    for (body, expected_status, expected_code) in bad {
        let (status, answer) = post(&duty_url, &body).await;
        assert_eq!(status, expected_status, "{body}: {answer}");
        assert_eq!(code(&answer), expected_code, "{body}");
    }
    let (status, roster) = get(&server.url("/api/v1/roster/duty?date=2026-11-16")).await;
    assert_eq!(status, 200, "{roster}");
    assert_eq!(roster["entries"].as_array().map(Vec::len), Some(3));
    let on_duty = &roster["on_duty"];
    assert_eq!(entry(on_duty, "window_id", "W01")["staff_name"], "才让卓玛");
    assert_eq!(entry(on_duty, "window_id", "W02")["staff_id"], "S002");
    assert_eq!(entry(on_duty, "window_id", "W03")["staff_id"], Value::Null);

    let (status, report) = get(&report_url).await;
    assert_eq!(status, 200, "{report}");

    // W01: 17 (repeat), 1 VS, 2 S, 3 U, 4 VS, 5 BS.
    let w01 = entry(&report["windows"], "window_id", "W01");
    assert_eq!(counts(w01), (6, 1, 0, 0, 5, [2, 1, 1, 1, 0], 1));
    assert_eq!(w01["satisfaction_rate"], 0.8);
    assert_eq!(w01["score"], 12.0);
    // W02: six times 非常满意.
    let w02 = entry(&report["windows"], "window_id", "W02");
    assert_eq!(counts(w02), (6, 0, 0, 0, 6, [6, 0, 0, 0, 0], 0));
    // W03: 12 S, 13 repeat, 14 U; nobody on duty for any of them.
    let w03 = entry(&report["windows"], "window_id", "W03");
    assert_eq!(counts(w03), (3, 1, 0, 0, 2, [0, 1, 0, 1, 0], 1));
    assert_eq!(w03["nobody_on_duty"], 3);
    assert_eq!(w03["score"], 12.0);
    assert_eq!(
        counts(&report["hall"]),
        (15, 2, 0, 0, 13, [8, 2, 1, 2, 0], 2)
    );

    // People after the change: S001 keeps 17, 1, 2, 3; S003 gets 4 and 5.
    let people: Vec<&str> = report["people"]
        .as_array()
        .expect("people")
        .iter()
        .map(|person| person["staff_id"].as_str().expect("id"))
        .collect();
    assert_eq!(people, ["S001", "S002", "S003"]);
    let s001 = entry(&report["people"], "staff_id", "S001");
    assert_eq!(counts(s001), (4, 1, 0, 0, 3, [1, 1, 0, 1, 0], 1));
    let s003 = entry(&report["people"], "staff_id", "S003");
    assert_eq!(counts(s003), (2, 0, 0, 0, 2, [1, 0, 1, 0, 0], 0));
    assert_eq!(s003["window_ids"], json!(["W01"]));
    assert_eq!(line(&report, 4)["staff_id"], "S003");
    assert_eq!(line(&report, 13)["staff_id"], Value::Null);

    // The October press only makes 17 a repeat.
    assert_eq!(report["ratings"].as_array().map(Vec::len), Some(15));
    assert_eq!(line(&report, 17)["repeat"], true);
    assert_eq!(
        line(&report, 17)["flags"],
        json!(["outside_working_hours", "non_working_day"])
    );
    assert_eq!(line(&report, 8)["flags"], json!(["in_burst"]));

    // Patterns: the burst, then per press in time order, then the window
    // whose share of 非常满意 (6/6) exceeds the hall's (8/13) by 0.38.
    let patterns: Vec<(String, Value)> = report["patterns"]
        .as_array()
        .expect("patterns")
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().expect("kind").to_string(),
                p["seq"].clone(),
            )
        })
        .collect();
    let expected: Vec<(String, Value)> = [
        ("burst", Value::Null),
        ("outside_working_hours", json!(17)),
        ("non_working_day", json!(17)),
        ("outside_working_hours", json!(2)),
        ("nobody_on_duty", json!(12)),
        ("nobody_on_duty", json!(13)),
        ("non_working_day", json!(3)),
        ("nobody_on_duty", json!(14)),
        ("outside_working_hours", json!(5)),
        ("top_share", Value::Null),
    ]
    .into_iter()
    .map(|(kind, seq)| (kind.to_string(), seq))
    .collect();
    assert_eq!(patterns, expected);
    let burst = &report["patterns"][0];
    assert_eq!(burst["keypad"], "keypads:2");
    assert_eq!(burst["presses"], 5);
    assert_eq!(
        (burst["first_seq"].clone(), burst["last_seq"].clone()),
        (json!(6), json!(10))
    );
    assert_eq!(report["patterns"][9]["window_id"], "W02");

    let unreadable = &report["unreadable_events"];
    assert_eq!(unreadable.as_array().map(Vec::len), Some(1), "{unreadable}");
    assert_eq!(unreadable[0]["seq"], 15);
    assert!(
        unreadable[0]["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("unknown variant `great`")),
        "{unreadable}"
    );

    // CSV tables with Chinese headers.
    let csv = |table: &str| {
        server.url(&format!(
            "/api/v1/ratings/monthly?month=2026-11&format=csv&table={table}"
        ))
    };
    let (status, bytes) = get_bytes(&csv("windows")).await;
    assert_eq!(status, 200);
    let rows = csv_rows(&bytes);
    assert_eq!(
        rows[0].join(","),
        "窗口编号,窗口名称,窗口单位,按键次数,重复按键,作废评价,已更正评价,有效评价,\
         非常满意,满意,基本满意,不满意,非常不满意,满意率,不满意评价数,无人在岗评价,\
         评价项满分,扣分,评价得分,可评优秀窗口"
    );
    assert_eq!(
        rows[1..].iter().map(|r| r.join(",")).collect::<Vec<_>>(),
        [
            "W01,1号窗口,县税务局,6,1,0,0,5,2,1,1,1,0,80.00%,1,0,15,3,12,否",
            "W02,2号窗口,县税务局,6,0,0,0,6,6,0,0,0,0,100.00%,0,0,15,0,15,是",
            "W03,3号窗口,县人社局,3,1,0,0,2,0,1,0,1,0,50.00%,1,3,15,3,12,否",
        ]
    );

    let (_, bytes) = get_bytes(&csv("people")).await;
    let rows = csv_rows(&bytes);
    assert_eq!(
        rows[0].join(","),
        "人员编号,姓名,窗口单位,服务窗口,按键次数,重复按键,作废评价,已更正评价,有效评价,\
         非常满意,满意,基本满意,不满意,非常不满意,满意率,不满意评价数,可评优秀"
    );
    assert_eq!(
        rows[1..].iter().map(|r| r.join(",")).collect::<Vec<_>>(),
        [
            "S001,马建国,县税务局,1号窗口,4,1,0,0,3,1,1,0,1,0,66.67%,1,否",
            "S002,韩丽,县税务局,2号窗口,6,0,0,0,6,6,0,0,0,0,100.00%,0,是",
            "S003,才让卓玛,县税务局,1号窗口,2,0,0,0,2,1,0,1,0,0,100.00%,0,是",
        ]
    );

    let (_, bytes) = get_bytes(&csv("ratings")).await;
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 16, "header and 15 presses");
    assert_eq!(
        row(&rows, "17").join(","),
        "17,2026-11-01 00:00:01,W01,1号窗口,keypads:1,S001,马建国,2,满意,满意,否,是,否,,,,,\
         非工作时间；非工作日"
    );
    assert_eq!(
        row(&rows, "13").join(","),
        "13,2026-11-06 10:00:01,W03,3号窗口,keypads:3,,,4,不满意,不满意,否,是,否,,,,,无人在岗"
    );

    let (_, bytes) = get_bytes(&csv("patterns")).await;
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 11, "header and 10 patterns");
    assert_eq!(
        rows[0].join(","),
        "异常类型,窗口编号,评价器,开始时间,结束时间,评价编号,说明"
    );
    assert_eq!(
        rows[1].join(","),
        "短时连续按键,W02,keypads:2,2026-11-04 14:00:00,2026-11-04 14:00:40,6-10,5次按键"
    );
    assert_eq!(
        rows[3].join(","),
        "非工作日按键,W01,keypads:1,2026-11-01 00:00:01,,17,周末休息日"
    );
    assert_eq!(
        rows[10].join(","),
        "非常满意占比偏高,W02,,,,,窗口6/6（100.00%），全厅8/13（61.54%），高出25.00%以上"
    );
}

#[tokio::test]
async fn report_rejects_bad_queries() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &official_calendar(), "");
    let server = support::Server::start(&config);
    let cases = [
        ("", "missing_month"),
        ("?month=2026-13", "invalid_month"),
        ("?month=2027-01", "month_not_in_calendar"),
        ("?month=2026-11&format=xml", "invalid_format"),
        ("?month=2026-11&table=people", "invalid_table"),
        ("?month=2026-11&format=csv&table=days", "invalid_table"),
        ("?month=2026-11&colour=red", "unknown_parameter"),
    ];
    for (query, expected) in cases {
        let (status, answer) = get(&server.url(&format!("/api/v1/ratings/monthly{query}"))).await;
        assert_eq!(status, 400, "{query}: {answer}");
        assert_eq!(code(&answer), expected, "{query}");
    }

    // An empty month lists every configured window at full points.
    let (status, report) = get(&server.url("/api/v1/ratings/monthly?month=2026-11")).await;
    assert_eq!(status, 200);
    assert_eq!(
        (report["year"].clone(), report["month"].clone()),
        (json!(2026), json!(11))
    );
    assert_eq!(report["site"], "测试县政务服务中心");
    assert_eq!(report["settings"]["correction_working_days"], 3);
    let scores: Vec<f64> = report["windows"]
        .as_array()
        .expect("windows")
        .iter()
        .map(|w| w["score"].as_f64().expect("score"))
        .collect();
    assert_eq!(scores, [15.0, 15.0, 15.0]);
    assert_eq!(report["people"], json!([]));
}
