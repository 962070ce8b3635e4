//! Helpers shared by the ratings end-to-end tests: a hall configuration,
//! keypad presses stored in the keypad driver's journal format, and JSON
//! requests to the server.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, Utc, Weekday};
use hallbox::journal::{EventKind, Journal, NewEvent};
use hallbox::time::{local_to_utc, utc_to_local, DEFAULT_TIME_ZONE};
use serde_json::{json, Value};

/// Two units with windows and chiefs, four staff members and a roster.
/// `{calendar}` and `{ratings}` are replaced by each test.
pub const HALL: &str = r#"
[site]
name = "测试县政务服务中心"

[http]
listen = "127.0.0.1:0"

[journal]
path = "journal.sqlite"

{calendar}

{ratings}

[[unit]]
id = "tax"
name = "县税务局"
chief = "S001"
windows = [{ id = "W01", name = "1号窗口" }, { id = "W02", name = "2号窗口" }]

[[unit]]
id = "hrss"
name = "县人社局"
chief = "S004"
windows = [{ id = "W03", name = "3号窗口" }]

[[staff]]
id = "S001"
name = "马建国"
unit = "tax"

[[staff]]
id = "S002"
name = "韩丽"
unit = "tax"

[[staff]]
id = "S003"
name = "才让卓玛"
unit = "tax"

[[staff]]
id = "S004"
name = "李振华"
unit = "hrss"
"#;

/// `[calendar]` with every Monday to Friday a working day, which covers any
/// year, for tests whose dates follow the clock.
pub const MONDAY_TO_FRIDAY: &str = "[calendar]\nkind = \"monday-to-friday\"";

/// `[calendar]` with the shipped official files of 2025 and 2026.
pub fn official_calendar() -> String {
    let dir = crate::support::repo_root().join("config/calendar");
    format!(
        "[calendar]\nkind = \"official\"\nfiles = [\"{}\", \"{}\"]",
        dir.join("cn-2025.toml").display(),
        dir.join("cn-2026.toml").display()
    )
}

/// Writes the hall's configuration with `calendar`, `ratings` (extra
/// sections such as `[ratings]` and `[[duty]]`) into `dir`.
pub fn write_config(dir: &Path, calendar: &str, ratings: &str) -> PathBuf {
    let text = HALL
        .replace("{calendar}", calendar)
        .replace("{ratings}", ratings);
    let path = dir.join("hallbox.toml");
    std::fs::write(&path, text).expect("config written");
    path
}

/// One keypad press to store.
pub struct Press<'a> {
    pub window: &'a str,
    /// Local time "YYYY-MM-DD HH:MM:SS" in Asia/Shanghai.
    pub at: String,
    /// Level name as the driver stores it; any text, to test bad records.
    pub level: &'a str,
    pub button: u8,
}

/// Builds a press whose button is the level's position on a five-button
/// keypad.
pub fn press<'a>(window: &'a str, at: impl Into<String>, level: &'a str) -> Press<'a> {
    let button = match level {
        "very_satisfied" => 1,
        "satisfied" => 2,
        "basically_satisfied" => 3,
        "unsatisfied" => 4,
        _ => 5,
    };
    Press {
        window,
        at: at.into(),
        level,
        button,
    }
}

/// Parses a local time "YYYY-MM-DD HH:MM:SS".
pub fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("test time")
}

/// Device id of the keypad bus the test presses come from.
pub const BUS: &str = "keypads";

/// Address on the bus of the keypad at `window`: 1 for W01, 2 for W02, ...
pub fn address_of(window: &str) -> u8 {
    window
        .trim_start_matches('W')
        .parse()
        .expect("window ids W01 to W99")
}

/// Stores presses in the journal at `journal_path` as the keypad driver
/// does, and returns their ids (journal sequence numbers) in order. The
/// server must not run yet, because the journal takes one writer.
pub fn store_presses(journal_path: &Path, presses: &[Press<'_>]) -> Vec<i64> {
    let mut journal = Journal::open(journal_path).expect("journal opens");
    let mut ids = Vec::new();
    for (index, press) in presses.iter().enumerate() {
        let time = local_to_utc(DEFAULT_TIME_ZONE, local(&press.at)).expect("local time exists");
        let event = NewEvent {
            kind: EventKind::Rating,
            device_id: BUS.to_string(),
            idempotency_key: format!("test-press:{index}:{}", press.at),
            device_time: Some(time),
            received_at: time,
            subject: Some(press.window.to_string()),
            raw: Vec::new(),
            payload: json!({
                "window_id": press.window,
                "keypad_address": address_of(press.window),
                "session": 1234,
                "sequence": index,
                "button": press.button,
                "level": press.level,
                "repeat": false,
                "local_time": press.at,
            }),
        };
        ids.push(journal.append(&event).expect("press stored").seq());
    }
    ids
}

/// Returns the last Monday-to-Friday day before today in Asia/Shanghai. A
/// press on that day is always within 3 working days of a Monday-to-Friday
/// calendar when the request is filed today.
pub fn last_weekday_before_today() -> NaiveDate {
    let today = utc_to_local(DEFAULT_TIME_ZONE, Utc::now()).date();
    let mut day = today - Days::new(1);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day - Days::new(1);
    }
    day
}

/// Sends a JSON POST and returns the status and the JSON response.
pub async fn post(url: &str, body: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .json(body)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let value = response.json().await.expect("JSON response");
    (status, value)
}

/// Sends a POST with a raw body and returns the status and the JSON response.
pub async fn post_raw(url: &str, body: &'static str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let value = response.json().await.expect("JSON response");
    (status, value)
}

/// Sends a GET and returns the status and the JSON response.
pub async fn get(url: &str) -> (u16, Value) {
    let response = reqwest::get(url).await.expect("request sent");
    let status = response.status().as_u16();
    let value = response.json().await.expect("JSON response");
    (status, value)
}

/// Sends a GET and returns the status and the body bytes.
pub async fn get_bytes(url: &str) -> (u16, Vec<u8>) {
    let response = reqwest::get(url).await.expect("request sent");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body").to_vec();
    (status, bytes)
}

/// Returns the error code of an error response.
pub fn code(answer: &Value) -> &str {
    answer["error"]["code"].as_str().unwrap_or("")
}

/// Returns the error message of an error response.
pub fn message(answer: &Value) -> &str {
    answer["error"]["message"].as_str().unwrap_or("")
}

/// Splits a CSV response after its BOM into rows of cells. Cells in these
/// tests contain no commas or quotes.
pub fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "CSV starts with a BOM");
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8 CSV");
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    text.split("\r\n")
        .filter(|line| !line.is_empty())
        .map(|line| line.split(',').map(str::to_string).collect())
        .collect()
}
