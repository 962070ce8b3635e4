//! End to end through the real binary: configuration checks, imports that
//! store each punch once, the journal's hash chain, report errors over
//! HTTP, and the demo.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// A hall configuration in `dir` with its own journal, the shipped
/// calendars and a roster of two people.
fn write_config(dir: &Path) -> std::path::PathBuf {
    let calendar = support::repo_root().join("config/calendar");
    let text = format!(
        r#"
[http]
listen = "127.0.0.1:0"

[journal]
path = "journal.sqlite"

[calendar]
files = ["{0}/cn-2025.toml", "{0}/cn-2026.toml"]

[[unit]]
id = "tax"
name = "县税务局"
windows = [{{ id = "W01", name = "1号窗口" }}]

[[staff]]
id = "S001"
name = "马建国"
unit = "tax"
pins = ["1001"]

[[staff]]
id = "S002"
name = "韩丽"
unit = "tax"
pins = ["1002"]
"#,
        calendar.display()
    );
    let text = text + &support::token_section(&[support::TOKENS[0]]);
    let path = dir.join("hallbox.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Two days of punches for both people, in the real export layout.
const EXPORT: &str = "     1001\t2026-11-02 08:29:59\t1\t0\t1\t0\n\
     1001\t2026-11-02 12:00:00\t1\t1\t1\t0\n\
     1001\t2026-11-02 14:31:00\t1\t0\t1\t0\n\
     1001\t2026-11-02 18:00:00\t1\t1\t1\t0\n\
     1002\t2026-11-02 08:31:00\t1\t0\t1\t0\n\
     1002\t2026-11-02 17:59:59\t1\t1\t1\t0\n\
     1003\t2026-11-02 09:00:00\t1\t0\t1\t0\n";

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn check_config_accepts_the_shipped_example() {
    let example = support::repo_root().join("config/hallbox.toml");
    let output = support::run(&["check-config", example.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("valid (2 units, 5 staff"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn check_config_names_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[attendance]\nmorning_in = { at = \"8:3x\" }\n[roster]\nunknown_pins_as_peple = true\n",
    )
    .unwrap();
    let output = support::run(&["check-config", path.to_str().unwrap()]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("bad.toml"), "{message}");
    assert!(message.contains("unknown_pins_as_peple"), "{message}");
}

#[test]
fn import_twice_and_through_the_api_stores_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let export = dir.path().join("1_attlog.dat");
    std::fs::write(&export, EXPORT).unwrap();
    let import_as = |device: &str, new_device: bool| {
        let mut args = vec!["import", "attlog", export.to_str().unwrap()];
        if new_device {
            args.push("--new-device");
        }
        args.extend(["--device", device, "--config", config.to_str().unwrap()]);
        support::run(&args)
    };
    let import = |device: &str| import_as(device, false);

    // clock-1 is not configured: the first import names it a new device,
    // and later imports find its punches in the journal.
    let rejected = import("clock-1");
    assert_eq!(rejected.status.code(), Some(1), "{}", stdout(&rejected));
    assert!(
        stderr(&rejected).contains(
            "device 'clock-1' is not a configured clock and has no punches in the journal yet: \
             check the spelling (configured clocks: none)"
        ),
        "{}",
        stderr(&rejected)
    );
    let first = import_as("clock-1", true);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stdout(&first).contains("imported 7 / duplicate 0 / rejected 0"),
        "{}",
        stdout(&first)
    );
    let second = import("clock-1");
    assert!(
        stdout(&second).contains("imported 0 / duplicate 7 / rejected 0"),
        "{}",
        stdout(&second)
    );
    assert!(second.status.success(), "{}", stderr(&second));
    // A misspelt id is rejected instead of storing the export again.
    let typo = import("clock-l");
    assert_eq!(typo.status.code(), Some(1), "{}", stdout(&typo));
    assert!(stderr(&typo).contains("device 'clock-l' is not a configured clock"));

    // A file of which no line is a punch fails, so a script notices.
    let garbage = dir.path().join("page.html");
    std::fs::write(&garbage, "<html>\n<body>not an export</body>\n</html>\n").unwrap();
    let wrong = support::run(&[
        "import",
        "attlog",
        garbage.to_str().unwrap(),
        "--new-device",
        "--device",
        "clock-1",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(wrong.status.code(), Some(1), "{}", stdout(&wrong));
    assert!(
        stdout(&wrong).contains("imported 0 / duplicate 0 / rejected 3"),
        "{}",
        stdout(&wrong)
    );
    assert!(
        stderr(&wrong).contains("no line is a punch record"),
        "{}",
        stderr(&wrong)
    );

    let server = support::Server::start(&config);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let url = server.url("/api/v1/imports/attlog?device=clock-1&new_device=true");
        let bureau = support::token("bureau-1");
        let response = client
            .post(&url)
            .bearer_auth(bureau)
            .body(EXPORT)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let summary: Value = response.json().await.unwrap();
        assert_eq!(summary["imported"], 0);
        assert_eq!(summary["duplicate"], 7);

        // One new line with the old ones: only it is stored.
        let more = format!("{EXPORT}     1002\t2026-11-03 08:20:00\t1\t0\t1\t0\n");
        let summary: Value = client
            .post(&url)
            .bearer_auth(bureau)
            .body(more)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(summary["imported"], 1);
        assert_eq!(summary["duplicate"], 7);

        // A request without a device is a 400 whose message names what to send.
        let response = client
            .post(server.url("/api/v1/imports/attlog"))
            .bearer_auth(bureau)
            .body(EXPORT)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "missing_device");
    });
    drop(server);

    let output = support::run(&["verify", "--config", config.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    // 7 punches of the CLI import, the new punch of the second API import,
    // and that import's audit entry; the first API import stored nothing
    // and is not audited.
    assert!(
        stdout(&output).contains("ok, 9 events"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn verify_finds_an_edit_made_with_the_sqlite3_shell() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let export = dir.path().join("1_attlog.dat");
    std::fs::write(&export, EXPORT).unwrap();
    let output = support::run(&[
        "import",
        "attlog",
        export.to_str().unwrap(),
        "--new-device",
        "--device",
        "clock-1",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));

    // Someone moves person 1002's late punch (event 5) to 08:29 by hand.
    let journal = dir.path().join("journal.sqlite");
    let edit = Command::new("sqlite3")
        .arg(&journal)
        .arg(
            "DROP TRIGGER IF EXISTS events_reject_update; \
              UPDATE events SET device_time = '2026-11-02T00:29:00.000000Z' WHERE seq = 5;",
        )
        .output()
        .expect("the sqlite3 shell runs (Debian package sqlite3)");
    assert!(edit.status.success(), "sqlite3: {}", stderr(&edit));

    let output = support::run(&["verify", "--journal", journal.to_str().unwrap()]);
    assert!(
        !output.status.success(),
        "verify must fail on an edited journal"
    );
    let message = stderr(&output);
    assert!(message.contains("broken at event 5"), "{message}");
    assert!(message.contains("edited"), "{message}");
}

#[tokio::test]
async fn report_errors_say_what_to_send() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let server = support::Server::start(&config);
    let cases = [
        ("", "missing_month", "month=YYYY-MM"),
        ("?month=2026-13", "invalid_month", "expected YYYY-MM"),
        ("?month=2026/11", "invalid_month", "expected YYYY-MM"),
        ("?month=2027-01", "month_not_in_calendar", "2025, 2026"),
        (
            "?month=2026-11&format=pdf",
            "invalid_format",
            "json, csv or xlsx",
        ),
        ("?month=2026-11&mnth=1", "unknown_parameter", "mnth"),
    ];
    for (query, code, hint) in cases {
        let url = server.url(&format!("/api/v1/attendance/monthly{query}"));
        let response = reqwest::Client::new()
            .get(&url)
            .bearer_auth(support::token("bureau-1"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{query}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(hint), "{query}: {message}");
    }
}

#[tokio::test]
async fn report_of_a_month_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let export = dir.path().join("1_attlog.dat");
    std::fs::write(&export, EXPORT).unwrap();
    let output = support::run(&[
        "import",
        "attlog",
        export.to_str().unwrap(),
        "--new-device",
        "--device",
        "clock-1",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));

    let server = support::Server::start(&config);
    let url = server.url("/api/v1/attendance/monthly?month=2026-11&as_of=2026-11-03T00:00:00");
    let report: Value = reqwest::Client::new()
        .get(&url)
        .bearer_auth(support::token("bureau-1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    // November 2026 has 21 working days; only 11-02 has passed as of
    // midnight after it.
    assert_eq!(report["working_days"].as_array().unwrap().len(), 21);
    let people = report["people"].as_array().unwrap();
    assert_eq!(people.len(), 2);

    // 1001: 08:29:59 on time, 12:00:00 on time, 14:31:00 one minute late,
    // 18:00:00 on time: one late count.
    let p1 = &people[0];
    assert_eq!(p1["id"], "S001");
    let day = &p1["days"][0];
    assert_eq!(day["date"], "2026-11-02");
    assert_eq!(day["checkpoints"][2]["outcome"]["kind"], "late");
    assert_eq!(day["checkpoints"][2]["outcome"]["minutes"], 1);
    assert_eq!(p1["totals"]["late"], 1);
    assert_eq!(p1["totals"]["early"], 0);
    assert_eq!(p1["totals"]["days_evaluated"], 1);
    assert_eq!(p1["totals"]["days_pending"], 20);
    // The journal starts on 11-02, so January to October are not counted
    // as absence: the year has no absence occurrence.
    assert_eq!(p1["totals"]["absence_occurrences_year"], 0);
    assert_eq!(p1["totals"]["return_to_department"], false);

    // 1002: in at 08:31:00 (late 1), out at 17:59:59 (early 1). The morning
    // has no sign-out (early) and the afternoon no sign-in (late): late 2,
    // early 2 and one deemed absence, so deduction 4 + 4 + 3 = 11 and
    // score 9.
    let p2 = &people[1];
    assert_eq!(p2["totals"]["late"], 2);
    assert_eq!(p2["totals"]["early"], 2);
    assert_eq!(p2["totals"]["deemed_absences"], 1);
    assert_eq!(p2["totals"]["deduction_raw"], 11.0);
    assert_eq!(p2["totals"]["attendance_score"], 9.0);

    // PIN 1003 is not on the roster: listed, not dropped.
    let unknown = report["unknown_credentials"].as_array().unwrap();
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0]["pin"], "1003");
    assert_eq!(unknown[0]["count"], 1);
}

#[test]
fn report_refuses_a_missing_journal() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let output = support::run(&[
        "report",
        "--month",
        "2026-11",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("does not exist"),
        "{}",
        stderr(&output)
    );
    assert!(
        !dir.path().join("journal.sqlite").exists(),
        "report must not create a journal"
    );
}

#[test]
fn demo_prepares_and_imports_a_month() {
    let dir = tempfile::tempdir().unwrap();
    let output = support::run(&["demo", "--no-serve", "--dir", dir.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    // The generated export carries three faulty lines on purpose: a PIN
    // not on the roster is imported, a clock reset and a garbled line are
    // rejected.
    assert!(text.contains("rejected 2"), "{text}");
    assert!(dir.path().join("1_attlog.dat").is_file());
    let verify = support::run(&[
        "verify",
        "--journal",
        dir.path().join("journal.sqlite").to_str().unwrap(),
    ]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}
