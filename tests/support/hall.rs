//! A running test hall: the server on [`super::hall_config`], an HTTP
//! client, and helpers to import punches, post records and read reports.

use chrono::{Datelike, NaiveDate, Weekday};
use serde_json::Value;

use super::{attlog_line, hall_config, token, Server};

/// The working days of November 2026: Monday to Friday, no holiday in the
/// shipped calendar, 21 days from Monday 2026-11-02 to Monday 2026-11-30.
pub fn november_working_days() -> Vec<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date");
    first
        .iter_days()
        .take_while(|day| day.month() == 11)
        .filter(|day| !matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
        .collect()
}

/// Export lines of the four on-time punches (08:20, 12:05, 14:20, 18:05)
/// of PIN `pin` on every November working day except `skip`.
pub fn on_time_month(pin: &str, skip: &[&str]) -> String {
    let mut text = String::new();
    for day in november_working_days() {
        if skip.contains(&day.to_string().as_str()) {
            continue;
        }
        for time in ["08:20:00", "12:05:00", "14:20:00", "18:05:00"] {
            text.push_str(&attlog_line(pin, &format!("{day} {time}")));
        }
    }
    text
}

/// A server with its folder and a client.
pub struct Hall {
    pub server: Server,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
}

/// Status and JSON body of a response; the body is `Null` when it is not
/// JSON.
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Hall {
    /// Starts a server on a fresh journal.
    pub fn start() -> Hall {
        let dir = tempfile::tempdir().expect("temporary folder");
        let config = hall_config(dir.path());
        let server = Server::start(&config);
        Hall {
            server,
            client: reqwest::Client::new(),
            dir,
        }
    }

    /// Sends `POST path` with a JSON body as the token `token_id`.
    pub async fn post(&self, path: &str, token_id: &str, body: &Value) -> Answer {
        let response = self
            .client
            .post(self.server.url(path))
            .bearer_auth(token(token_id))
            .json(body)
            .send()
            .await
            .expect("POST request");
        answer(response).await
    }

    /// Sends `GET path` as the token `token_id`.
    pub async fn get(&self, path: &str, token_id: &str) -> Answer {
        let response = self
            .client
            .get(self.server.url(path))
            .bearer_auth(token(token_id))
            .send()
            .await
            .expect("GET request");
        answer(response).await
    }

    /// Imports export lines as the bureau and checks that all are stored.
    pub async fn import(&self, lines: &str) {
        let response = self
            .client
            .post(
                self.server
                    .url("/api/v1/imports/attlog?device=clock-1&new_device=true"),
            )
            .bearer_auth(token("bureau-1"))
            .body(lines.to_string())
            .send()
            .await
            .expect("import request");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("import summary");
        assert_eq!(status, 200, "import: {body}");
        assert_eq!(body["rejected"], 0, "import: {body}");
    }

    /// Reads the JSON report of November 2026 as the bureau, with `extra`
    /// query parameters such as `&as_of=...`.
    pub async fn november(&self, extra: &str) -> Value {
        let answer = self
            .get(
                &format!("/api/v1/attendance/monthly?month=2026-11{extra}"),
                "bureau-1",
            )
            .await;
        assert_eq!(answer.status, 200, "report: {}", answer.body);
        answer.body
    }

    /// Returns the number of events in the journal, read from the feed.
    pub async fn event_count(&self) -> usize {
        let mut after = 0;
        let mut count = 0;
        loop {
            let page = self
                .get(
                    &format!("/api/v1/events?after={after}&limit=1000"),
                    "central-1",
                )
                .await;
            assert_eq!(page.status, 200, "feed: {}", page.body);
            count += page.body["events"].as_array().expect("events").len();
            after = page.body["next"].as_i64().expect("next");
            if !page.body["has_more"].as_bool().expect("has_more") {
                return count;
            }
        }
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let text = response.text().await.expect("response body");
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// The person `id` of a report.
pub fn person<'r>(report: &'r Value, id: &str) -> &'r Value {
    report["people"]
        .as_array()
        .expect("people")
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("person {id} in the report"))
}

/// The day `date` of a person of a report.
pub fn day<'r>(person: &'r Value, date: &str) -> &'r Value {
    person["days"]
        .as_array()
        .expect("days")
        .iter()
        .find(|d| d["date"] == date)
        .unwrap_or_else(|| panic!("day {date} of {}", person["id"]))
}

/// The outcome kinds of a day's four checkpoints.
pub fn kinds(day: &Value) -> Vec<String> {
    day["checkpoints"]
        .as_array()
        .expect("checkpoints")
        .iter()
        .map(|c| c["outcome"]["kind"].as_str().expect("kind").to_string())
        .collect()
}

/// (late, early, absent) of the morning and the afternoon session.
pub fn sessions(day: &Value) -> Vec<(bool, bool, bool)> {
    day["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| {
            (
                s["late"].as_bool().expect("late"),
                s["early"].as_bool().expect("early"),
                s["absent"].as_bool().expect("absent"),
            )
        })
        .collect()
}

/// The signatures of a leave of up to 2 days.
pub fn two_step_chain() -> Value {
    serde_json::json!([
        { "step": "chief_representative", "name": "马建国", "date": "2026-10-30" },
        { "step": "bureau", "name": "王监管", "date": "2026-10-30" }
    ])
}
