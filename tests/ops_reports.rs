//! What monitoring and HR read: `/metrics` through a Prometheus text
//! parser, `/readyz` with a lost device, and the Excel workbook read back
//! with a spreadsheet reader against the JSON report.

mod support;

use std::io::Cursor;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use chrono::{TimeZone, Utc};
use hallbox::api::{self, AppState};
use hallbox::journal::{EventKind, Journal, NewEvent};
use hallbox::report::attendance::SUMMARY_HEADERS;
use prometheus_parse::{Scrape, Value};
use serde_json::Value as Json;
use tower::ServiceExt;

fn scrape(text: &str) -> Scrape {
    let lines = text.lines().map(|line| Ok(line.to_string()));
    Scrape::parse(lines).expect("the metrics parse as Prometheus text")
}

/// The value of the sample of `metric` whose labels include `labels`.
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|sample| {
            sample.metric == metric
                && labels
                    .iter()
                    .all(|(key, want)| sample.labels.get(key) == Some(*want))
        })
        .map(|sample| match &sample.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(_) | Value::Summary(_) => f64::NAN,
        })
}

#[tokio::test]
async fn metrics_parse_and_count_requests() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::demo_site(dir.path());
    let server = support::Server::start(&config);
    let client = reqwest::Client::new();

    let ok = client
        .get(server.url("/api/v1/attendance/monthly?month=2026-11"))
        .bearer_auth(support::token("hr-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let bad = client
        .get(server.url("/api/v1/attendance/monthly?month=2026-13"))
        .bearer_auth(support::token("hr-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    for _ in 0..2 {
        let missing = client
            .get(server.url("/no/such/page"))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
    }

    let response = client.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let scrape = scrape(&text);

    let route = "/api/v1/attendance/monthly";
    let requests = "hallbox_http_requests_total";
    let get = ("method", "GET");
    assert_eq!(
        value(
            &scrape,
            requests,
            &[("route", route), get, ("status", "200")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &scrape,
            requests,
            &[("route", route), get, ("status", "400")]
        ),
        Some(1.0)
    );
    // Unknown paths share one series, whatever the path.
    assert_eq!(
        value(
            &scrape,
            requests,
            &[("route", "unmatched"), get, ("status", "404")]
        ),
        Some(2.0)
    );
    assert_eq!(
        value(
            &scrape,
            "hallbox_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );
    // No device events yet: the commit histogram is there and empty.
    let histogram = scrape
        .samples
        .iter()
        .find(|s| s.metric == "hallbox_journal_commit_duration_seconds")
        .expect("commit latency histogram");
    let Value::Histogram(buckets) = &histogram.value else {
        panic!("commit latency is not a histogram: {:?}", histogram.value);
    };
    assert_eq!(buckets.len(), 14, "13 bounds and +Inf");
    assert!(buckets.iter().all(|bucket| bucket.count == 0.0));
    assert!(scrape
        .docs
        .contains_key("hallbox_journal_commit_duration_seconds"));

    let ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Json = ready.json().await.unwrap();
    assert_eq!(body["ready"], true);
}

/// An `AppState` over the demo site in `dir`, with `[health]` set to
/// `lost_seconds`.
fn app_state(dir: &std::path::Path, lost_seconds: u32) -> Arc<AppState> {
    let config_path = support::demo_site(dir);
    let mut text = std::fs::read_to_string(&config_path).unwrap();
    text = text.replace(
        "lost_device_seconds = 300",
        &format!("lost_device_seconds = {lost_seconds}"),
    );
    std::fs::write(&config_path, text).unwrap();
    let config = hallbox::config::load(&config_path).unwrap();
    let journal_path = config.journal.path.clone();
    let (ingest, _writer) = hallbox::ingest::start(Journal::open(&journal_path).unwrap()).unwrap();
    Arc::new(AppState {
        config,
        writer: Mutex::new(Journal::open(&journal_path).unwrap()),
        journal_path,
        ingest,
    })
}

async fn get(state: &Arc<AppState>, path: &str) -> (StatusCode, String) {
    let router = api::router(Arc::clone(state));
    let response = router
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn readyz_fails_for_lost_device() {
    let dir = tempfile::tempdir().unwrap();
    let state = app_state(dir.path(), 1);

    // Device events through the writer show up per device and kind.
    let now = Utc::now();
    for n in 0..3 {
        let event = NewEvent {
            kind: EventKind::Rating,
            device_id: "keypad-ready".to_string(),
            idempotency_key: format!("ready:{n}"),
            device_time: Some(now),
            received_at: now,
            subject: None,
            raw: Vec::new(),
            payload: serde_json::json!({ "key": 1 }),
        };
        state.ingest.submit(event).await.unwrap();
    }

    hallbox::metrics::device_configured("keypad-ready");
    let (status, body) = get(&state, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Lost longer than the 1 s threshold: not ready, and the reason names it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = get(&state, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let body: Json = serde_json::from_str(&body).unwrap();
    assert_eq!(body["ready"], false);
    let problem = body["problems"][0].as_str().unwrap();
    // At least 1 s: a loaded machine may take longer to get here.
    assert!(
        problem.starts_with("device 'keypad-ready' lost for "),
        "{problem}"
    );
    assert!(problem.ends_with(" s, longer than 1 s"), "{problem}");
    assert_eq!(body["devices"][0]["connected"], false);

    hallbox::metrics::device_connected("keypad-ready", true);
    let (status, body) = get(&state, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (_, text) = get(&state, "/metrics").await;
    let scrape = scrape(&text);
    let device = ("device", "keypad-ready");
    assert_eq!(
        value(
            &scrape,
            "hallbox_events_ingested_total",
            &[device, ("kind", "rating")]
        ),
        Some(3.0)
    );
    assert_eq!(
        value(&scrape, "hallbox_device_connected", &[device]),
        Some(1.0)
    );
    let last = value(
        &scrape,
        "hallbox_device_last_event_timestamp_seconds",
        &[device],
    )
    .expect("last event time");
    assert!((last - now.timestamp() as f64).abs() <= 5.0, "{last}");
}

fn cell_text(data: &Data) -> String {
    match data {
        Data::String(text) => text.clone(),
        Data::Float(value) => format!("{value}"),
        Data::Int(value) => format!("{value}"),
        Data::Empty => String::new(),
        other => format!("{other:?}"),
    }
}

fn cell_number(data: &Data) -> f64 {
    match data {
        Data::Float(value) => *value,
        Data::Int(value) => *value as f64,
        Data::String(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {text}")),
        other => panic!("not a number: {other:?}"),
    }
}

/// The text of `name` inside the .xlsx archive `bytes`.
fn archive_file(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("an .xlsx is a zip archive");
    let mut file = archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the workbook"));
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

/// Checks what the spreadsheet reader does not show: the frozen header
/// rows, the header rows printed on every page, and the two highlight
/// fills.
fn check_layout(bytes: &[u8]) {
    for sheet in ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"] {
        let xml = archive_file(bytes, sheet);
        assert!(xml.contains("ySplit=\"1\""), "{sheet} splits below row 1");
        assert!(
            xml.contains("state=\"frozen\""),
            "{sheet} freezes the split"
        );
    }
    let workbook = archive_file(bytes, "xl/workbook.xml");
    assert!(
        workbook.contains("_xlnm.Print_Titles"),
        "header rows repeat when printed"
    );
    let styles = archive_file(bytes, "xl/styles.xml");
    assert!(
        styles.contains("FFFFC7CE"),
        "the red fill of missing punches"
    );
    assert!(
        styles.contains("FFFFEB9C"),
        "the orange fill of late and early"
    );
}

#[tokio::test]
async fn xlsx_matches_json_report() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::demo_site(dir.path());

    // The clock clock-east-1 was lost on 2026-11-05 from 10:30 to 11:15
    // local time (02:30 to 03:15 UTC).
    let mut journal = Journal::open(dir.path().join("journal.sqlite")).unwrap();
    let status = |state: &str, hour: u32, minute: u32| {
        let at = Utc.with_ymd_and_hms(2026, 11, 5, hour, minute, 0).unwrap();
        NewEvent {
            kind: EventKind::DeviceStatus,
            device_id: "clock-east-1".to_string(),
            idempotency_key: format!("status:clock-east-1:{state}:{hour}{minute}"),
            device_time: Some(at),
            received_at: at,
            subject: None,
            raw: Vec::new(),
            payload: serde_json::json!({ "state": state, "reason": "end of file on the port" }),
        }
    };
    journal
        .append_batch(&[status("lost", 2, 30), status("connected", 3, 15)])
        .unwrap();
    drop(journal);

    let server = support::Server::start(&config);
    let query = "/api/v1/attendance/monthly?month=2026-11&as_of=2026-11-30T23:00:00";

    let report: Json = support::get_as("hr-1", &server.url(query))
        .await
        .json()
        .await
        .unwrap();
    let response = support::get_as("hr-1", &server.url(&format!("{query}&format=xlsx"))).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"attendance-2026-11.xlsx\""
    );
    let bytes = response.bytes().await.unwrap().to_vec();
    check_layout(&bytes);
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(workbook.sheet_names(), ["考勤汇总", "每日明细", "说明"]);

    // Summary: the headers, one row per person, then the totals row.
    let summary = workbook.worksheet_range("考勤汇总").unwrap();
    let people = report["people"].as_array().unwrap();
    assert_eq!(summary.height(), 1 + people.len() + 1);
    let headers: Vec<String> = (0..SUMMARY_HEADERS.len())
        .map(|col| cell_text(summary.get((0, col)).unwrap()))
        .collect();
    assert_eq!(headers, SUMMARY_HEADERS);

    // Columns 5 to 11 hold late, early, missing, absent half-days, absent
    // days, deemed absences and the deduction.
    let keys = [
        "late",
        "early",
        "missing_punches",
        "absent_half_days",
        "absent_days",
        "deemed_absences",
        "deduction_raw",
    ];
    let mut sums = [0.0; 7];
    for (index, person) in people.iter().enumerate() {
        let row = index + 1;
        assert_eq!(
            cell_text(summary.get((row, 0)).unwrap()),
            person["id"].as_str().unwrap()
        );
        assert_eq!(
            cell_text(summary.get((row, 1)).unwrap()),
            person["name"].as_str().unwrap()
        );
        for (offset, key) in keys.iter().enumerate() {
            let expected = person["totals"][key].as_f64().unwrap();
            let got = cell_number(summary.get((row, 5 + offset)).unwrap());
            assert_eq!(got, expected, "{} {key}", person["id"]);
            sums[offset] += expected;
        }
        let score = cell_number(summary.get((row, 12)).unwrap());
        assert_eq!(
            score,
            person["totals"]["attendance_score"].as_f64().unwrap()
        );
    }
    let total_row = 1 + people.len();
    assert_eq!(cell_text(summary.get((total_row, 0)).unwrap()), "合计");
    assert_eq!(
        cell_text(summary.get((total_row, 1)).unwrap()),
        format!("{} 人", people.len())
    );
    for (offset, key) in keys.iter().enumerate() {
        let got = cell_number(summary.get((total_row, 5 + offset)).unwrap());
        assert_eq!(got, sums[offset], "total of {key}");
    }
    // The demo month has late arrivals, so the totals are not all zero.
    assert!(sums[0] > 0.0);

    // Days: one row per person and working day, and the late column sums
    // to the people's late counts.
    let days = workbook.worksheet_range("每日明细").unwrap();
    let working_days = report["working_days"].as_array().unwrap().len();
    assert_eq!(days.height(), 1 + people.len() * working_days + 1);
    let last = days.height() - 1;
    assert_eq!(cell_text(days.get((last, 0)).unwrap()), "合计");
    assert_eq!(cell_number(days.get((last, 9)).unwrap()), sums[0]);
    assert_eq!(cell_number(days.get((last, 10)).unwrap()), sums[1]);
    assert_eq!(cell_number(days.get((last, 11)).unwrap()), sums[3]);
    let late_cells = (1..last)
        .filter(|row| cell_text(days.get((*row, 5)).unwrap()).contains("迟到"))
        .count();
    assert!(late_cells > 0, "a morning sign-in cell says 迟到");

    // Notes: the site, the month, and the outage section.
    let notes = workbook.worksheet_range("说明").unwrap();
    let texts: Vec<String> = notes.cells().map(|(_, _, data)| cell_text(data)).collect();
    assert!(texts.contains(&"某县政务服务中心 东大厅 2026年11月 考勤月报".to_string()));
    assert!(texts.contains(&"考勤机故障说明".to_string()));
    // The outage row after its id: clock, start, end, source, text.
    let outage_row: Vec<String> = texts
        .iter()
        .skip_while(|text| *text != "clock-east-1")
        .take(5)
        .cloned()
        .collect();
    assert_eq!(
        outage_row,
        [
            "clock-east-1",
            "2026-11-05 10:30:00",
            "2026-11-05 11:15:00",
            "设备自动记录",
            "设备断开：end of file on the port"
        ]
    );
    assert_eq!(report["outages"].as_array().unwrap().len(), 1);
    assert!(
        texts.contains(&"99999".to_string()),
        "the demo's unknown PIN"
    );
}

mod ops_support;
mod ratings_common;

#[tokio::test]
async fn ratings_xlsx_matches_json_report() {
    use hallbox::report::ratings::WINDOW_HEADERS;
    use hallbox::report::ratings_xlsx::RATINGS_SHEETS;

    let dir = tempfile::tempdir().unwrap();
    let config = ops_support::ratings_hall(dir.path());
    let server = support::Server::start(&config);
    let query = "/api/v1/ratings/monthly?month=2026-11";
    let client = reqwest::Client::new();
    let get = |path: String| {
        client
            .get(server.url(&path))
            .bearer_auth(ratings_common::BUREAU_TOKEN)
            .send()
    };
    let report: Json = get(query.to_string()).await.unwrap().json().await.unwrap();
    let response = get(format!("{query}&format=xlsx")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"ratings-2026-11.xlsx\""
    );
    let bytes = response.bytes().await.unwrap().to_vec();
    check_layout(&bytes);
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    assert_eq!(workbook.sheet_names(), RATINGS_SHEETS);

    // 窗口评价: headers, one row per window against the JSON, then 合计.
    let sheet = workbook.worksheet_range("窗口评价").unwrap();
    let windows = report["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 3);
    assert_eq!(sheet.height(), 1 + windows.len() + 1);
    let headers: Vec<String> = (0..WINDOW_HEADERS.len())
        .map(|col| cell_text(sheet.get((0, col)).unwrap()))
        .collect();
    assert_eq!(headers, WINDOW_HEADERS);
    let levels = [
        "very_satisfied",
        "satisfied",
        "basically_satisfied",
        "unsatisfied",
        "very_unsatisfied",
    ];
    for (index, window) in windows.iter().enumerate() {
        let row = index + 1;
        let id = window["window_id"].as_str().unwrap();
        assert_eq!(cell_text(sheet.get((row, 0)).unwrap()), id);
        assert_eq!(
            cell_number(sheet.get((row, 3)).unwrap()),
            window["presses"].as_f64().unwrap(),
            "{id} presses"
        );
        assert_eq!(
            cell_number(sheet.get((row, 7)).unwrap()),
            window["valid"].as_f64().unwrap(),
            "{id} valid"
        );
        for (offset, level) in levels.iter().enumerate() {
            let expected = window["counts"][level].as_f64().unwrap();
            assert_eq!(
                cell_number(sheet.get((row, 8 + offset)).unwrap()),
                expected,
                "{id} {level}"
            );
        }
        let rate = cell_number(sheet.get((row, 13)).unwrap());
        let expected = window["satisfaction_rate"].as_f64().unwrap();
        assert!(
            (rate - expected).abs() < 0.00005,
            "{id} rate {rate} vs {expected}"
        );
        assert_eq!(
            cell_number(sheet.get((row, 17)).unwrap()),
            window["deduction"].as_f64().unwrap()
        );
        assert_eq!(
            cell_number(sheet.get((row, 18)).unwrap()),
            window["score"].as_f64().unwrap()
        );
        let eligible = if window["excellent_eligible"] == true {
            "是"
        } else {
            "否"
        };
        assert_eq!(cell_text(sheet.get((row, 19)).unwrap()), eligible);
    }
    // The hand-worked values: W01 scores 9, W03 12, W02 15.
    let scores: Vec<f64> = (1..=3)
        .map(|row| cell_number(sheet.get((row, 18)).unwrap()))
        .collect();
    assert_eq!(
        scores,
        [9.0, 15.0, 12.0],
        "W01, W02, W03 in configuration order"
    );

    let total = 1 + windows.len();
    assert_eq!(cell_text(sheet.get((total, 0)).unwrap()), "合计");
    assert_eq!(
        cell_number(sheet.get((total, 7)).unwrap()),
        8.0,
        "valid ratings of the hall"
    );
    assert_eq!(cell_number(sheet.get((total, 11)).unwrap()), 2.0, "不满意");
    assert_eq!(
        cell_number(sheet.get((total, 12)).unwrap()),
        1.0,
        "非常不满意"
    );
    assert_eq!(
        cell_number(sheet.get((total, 14)).unwrap()),
        3.0,
        "unsatisfied ratings"
    );
    assert_eq!(
        cell_number(sheet.get((total, 13)).unwrap()),
        0.625,
        "hall satisfaction"
    );
    assert_eq!(report["hall"]["satisfaction_rate"], 0.625);

    // 评价明细: every press, the repeat not counted.
    let presses = workbook.worksheet_range("评价明细").unwrap();
    let lines = report["ratings"].as_array().unwrap();
    assert_eq!(lines.len(), 9);
    assert_eq!(presses.height(), 1 + lines.len());
    let uncounted: Vec<String> = (1..presses.height())
        .filter(|row| cell_text(presses.get((*row, 10)).unwrap()) == "否")
        .map(|row| cell_text(presses.get((row, 1)).unwrap()))
        .collect();
    assert_eq!(uncounted, ["2026-11-02 10:00:02"]);

    // 异常情况: the Saturday press and the early press.
    let patterns = workbook.worksheet_range("异常情况").unwrap();
    let listed = report["patterns"].as_array().unwrap().len();
    assert_eq!(listed, 2);
    assert_eq!(patterns.height(), 1 + listed);
    let kinds: Vec<String> = (1..patterns.height())
        .map(|row| cell_text(patterns.get((row, 0)).unwrap()))
        .collect();
    assert!(kinds.contains(&"非工作日按键".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"非工作时间按键".to_string()), "{kinds:?}");

    // 说明: the hall's rate and the empty sections.
    let notes = workbook.worksheet_range("说明").unwrap();
    let texts: Vec<String> = notes.cells().map(|(_, _, data)| cell_text(data)).collect();
    assert!(
        texts.contains(&"测试县政务服务中心 2026年11月 评价月报".to_string()),
        "{texts:?}"
    );
    assert!(texts.contains(&"62.50%".to_string()));
    assert!(texts.contains(&"没有待审批的更正申请。".to_string()));
    assert!(texts.contains(&"本月没有设备中断。".to_string()));
}
