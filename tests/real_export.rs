//! End to end on a real ZKTeco USB export: import it into a fresh journal,
//! serve the API on 127.0.0.1, and check the March 2020 report over HTTP
//! against days worked out by hand from the file.
//!
//! The office in the export punches four times a day, so the configuration
//! uses its checkpoints 08:00, 12:00, 13:00 and 17:00, whose default windows
//! are [05:00, 10:00), [10:00, 12:30), [12:30, 15:00) and [15:00, 24:00). It
//! has no roster, so every PIN is its own person, and a plain Monday to
//! Friday calendar: March 2020 has 22 working days.

mod support;

use serde_json::Value;

const OFFICE_CONFIG: &str = r#"
[site]
name = "Office with a four-punch day"

[http]
listen = "127.0.0.1:0"

[journal]
path = "journal.sqlite"

[calendar]
kind = "monday-to-friday"

[attendance]
morning_in = { at = "08:00" }
noon_out = { at = "12:00" }
afternoon_in = { at = "13:00" }
evening_out = { at = "17:00" }

[roster]
unknown_pins_as_people = true
"#;

fn person<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["people"]
        .as_array()
        .expect("people array")
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("person {id} in the report"))
}

fn day<'a>(person: &'a Value, date: &str) -> &'a Value {
    person["days"]
        .as_array()
        .expect("days array")
        .iter()
        .find(|d| d["date"] == date)
        .unwrap_or_else(|| panic!("day {date} of {}", person["id"]))
}

/// The outcome kinds of a day's four checkpoints, in order.
fn kinds(day: &Value) -> Vec<String> {
    day["checkpoints"]
        .as_array()
        .expect("checkpoints")
        .iter()
        .map(|c| c["outcome"]["kind"].as_str().expect("kind").to_string())
        .collect()
}

/// (late, early, absent) of the morning and afternoon sessions.
fn sessions(day: &Value) -> Vec<(bool, bool, bool)> {
    day["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| {
            (
                s["late"].as_bool().unwrap(),
                s["early"].as_bool().unwrap(),
                s["absent"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn march_2020_report_matches_hand_worked_days() {
    let Some(export) = support::shared_data("real/office-2020-attlog.dat") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("office.toml");
    let hr = support::TOKENS[1];
    let text = format!("{OFFICE_CONFIG}{}", support::token_section(&[hr]));
    std::fs::write(&config, text).unwrap();
    let client = reqwest::Client::new();

    // The export has 11,902 lines, all well formed.
    let output = support::run(&[
        "import",
        "attlog",
        export.to_str().unwrap(),
        "--new-device",
        "--device",
        "office-1",
        "--config",
        config.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("imported 11902 / duplicate 0 / rejected 0"),
        "{stdout}"
    );

    let server = support::Server::start(&config);
    let url = server.url("/api/v1/attendance/monthly?month=2020-03");
    let response = client.get(&url).bearer_auth(hr.token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["working_days"].as_array().unwrap().len(), 22);

    // PIN 1080 punched all four checkpoints on time on 03-05:
    // 07:43:59, 12:01:01, 12:38:52, 17:00:07 (17:00 counts as on time).
    let p1080 = person(&report, "1080");
    let d = day(p1080, "2020-03-05");
    assert_eq!(kinds(d), ["on_time", "on_time", "on_time", "on_time"]);
    assert_eq!(d["checkpoints"][3]["outcome"]["at"], "17:00:07");

    // 03-06: in at 08:58:35 is 58 minutes late; 12:06:39 and 12:41:28 are on
    // time; no evening punch, so the afternoon counts early.
    let d = day(p1080, "2020-03-06");
    assert_eq!(kinds(d), ["late", "on_time", "on_time", "missing"]);
    assert_eq!(d["checkpoints"][0]["outcome"]["minutes"], 58);
    assert_eq!(sessions(d), [(true, false, false), (false, true, false)]);

    // 03-09: only 07:49:05 and 17:00:02. The morning has no sign-out
    // (early), the afternoon no sign-in (late).
    let d = day(p1080, "2020-03-09");
    assert_eq!(kinds(d), ["on_time", "missing", "missing", "on_time"]);
    assert_eq!(sessions(d), [(false, true, false), (true, false, false)]);

    // 03-02: only 07:41:29: the morning is early, the afternoon absent.
    let d = day(p1080, "2020-03-02");
    assert_eq!(sessions(d), [(false, true, false), (false, false, true)]);

    // Month of 1080, day by day from the file:
    //   late: 03-06 morning, 03-09 and 03-10 afternoons = 3;
    //   early: mornings of 03-02, 03-03, 03-04, 03-09, 03-10, 03-11, 03-19
    //   and the afternoon of 03-06 = 8;
    //   absent half-days: afternoons of 03-02, 03-03, 03-04, 03-11, 03-18,
    //   03-19, plus the 8 days 03-20 to 03-31 without punches = 6 + 16 = 22;
    //   missing checkpoints: 3+3+3+0+1+2+2+3+0+0+0+0+2+3 + 8*4 = 54;
    //   deemed absences: floor((3 + 8) / 3) = 3;
    //   deduction: 2*3 + 2*8 + 3*11 + 3*3 = 64, so the score is 0;
    //   absence occurrences: 14 days with an absent half-day + 3 deemed = 17.
    let t = &p1080["totals"];
    assert_eq!(t["late"], 3);
    assert_eq!(t["early"], 8);
    assert_eq!(t["absent_half_days"], 22);
    assert_eq!(t["absent_days"], 11.0);
    assert_eq!(t["missing_punches"], 54);
    assert_eq!(t["deemed_absences"], 3);
    assert_eq!(t["deduction_raw"], 64.0);
    assert_eq!(t["attendance_score"], 0.0);
    assert_eq!(t["absence_occurrences_month"], 17);
    assert_eq!(t["return_to_department"], true);

    // PIN 1064 punched ten times in March. 03-10 15:54:11 alone: the
    // evening sign-out is 66 minutes early, and with no afternoon sign-in
    // the afternoon is also late; the morning is absent.
    let p1064 = person(&report, "1064");
    let d = day(p1064, "2020-03-10");
    assert_eq!(kinds(d), ["missing", "missing", "missing", "early"]);
    assert_eq!(d["checkpoints"][3]["outcome"]["minutes"], 66);
    assert_eq!(sessions(d), [(false, false, true), (true, true, false)]);

    // 03-12 08:15:57 and 08:16:05 form one group: the sign-in counts at
    // 08:15:57, 15 minutes late.
    let d = day(p1064, "2020-03-12");
    assert_eq!(d["checkpoints"][0]["outcome"]["at"], "08:15:57");
    assert_eq!(d["checkpoints"][0]["outcome"]["minutes"], 15);

    // Month of 1064:
    //   late: afternoons with only an evening punch (03-02, 03-03, 03-09,
    //   03-10, 03-16, 03-17) = 6, plus the late sign-ins of 03-12 and 03-19
    //   (08:01:08, one minute) = 8;
    //   early: the same six afternoons, whose evening punches are all before
    //   17:00, plus the mornings without a sign-out (03-05, 03-12, 03-19) = 9;
    //   absent half-days: 6 mornings, 3 afternoons, 5 empty days (03-04,
    //   03-06, 03-11, 03-13, 03-18) and 8 empty days at the end = 6+3+10+16
    //   = 35, so 17.5 days;
    //   missing checkpoints: 88 - 9 punches that served one = 79;
    //   deemed: floor(17 / 3) = 5;
    //   deduction: 2*8 + 2*9 + 3*17.5 + 3*5 = 101.5, score 0.
    let t = &p1064["totals"];
    assert_eq!(t["late"], 8);
    assert_eq!(t["early"], 9);
    assert_eq!(t["absent_half_days"], 35);
    assert_eq!(t["absent_days"], 17.5);
    assert_eq!(t["missing_punches"], 79);
    assert_eq!(t["deemed_absences"], 5);
    assert_eq!(t["deduction_raw"], 101.5);
    assert_eq!(t["attendance_score"], 0.0);

    // Every PIN that punched in March is a person, so no credential is unknown.
    assert_eq!(report["unknown_credentials"].as_array().unwrap().len(), 0);
    let people = report["people"].as_array().unwrap().len();
    assert_eq!(people, 53, "PINs with punches in March 2020");

    // The CSV of the same month has a BOM, Chinese headers and one row per
    // person.
    let csv_url = server.url("/api/v1/attendance/monthly?month=2020-03&format=csv");
    let response = client
        .get(&csv_url)
        .bearer_auth(hr.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(
        text.starts_with("人员编号,姓名,窗口单位,"),
        "{}",
        &text[..60]
    );
    assert_eq!(text.lines().count(), 1 + people);
    let row_1064 = text
        .lines()
        .find(|l| l.starts_with("1064,"))
        .expect("row of 1064");
    let cells: Vec<&str> = row_1064.split(',').collect();
    assert_eq!(cells[5], "8", "late count column");
    assert_eq!(cells[6], "9", "early count column");
    assert_eq!(cells[9], "17.5", "absent days column");
}
