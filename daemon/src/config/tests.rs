//! Tests of the configuration file: the shipped example, the defaults, the
//! computed punch windows and every kind of error.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::*;
use crate::rules::{AttendanceSettings, Checkpoint};

/// The repository's `config/` folder, which contains the calendar files.
fn repo_config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../config")
}

fn parse_text(text: &str) -> Result<Config, ConfigError> {
    parse(Path::new("hallbox.toml"), text, &repo_config_dir())
}

fn parse_ok(text: &str) -> Config {
    match parse_text(text) {
        Ok(config) => config,
        Err(error) => panic!("expected a valid config, got:\n{error}"),
    }
}

fn validation_errors(text: &str) -> ConfigErrors {
    match parse_text(text) {
        Err(ConfigError::Invalid(errors)) => errors,
        Err(other) => panic!("expected validation errors, got: {other}"),
        Ok(_) => panic!("expected validation errors for:\n{text}"),
    }
}

/// Key, 1-based line and column, and the whole message of a parse error.
fn parse_failure(text: &str) -> (Option<String>, Option<(usize, usize)>, String) {
    match parse_text(text) {
        Err(error @ ConfigError::Parse { .. }) => {
            let display = error.to_string();
            let ConfigError::Parse {
                key, line_column, ..
            } = error
            else {
                unreachable!("matched above");
            };
            (key, line_column, display)
        }
        Err(other) => panic!("expected a parse error, got: {other}"),
        Ok(_) => panic!("expected a parse error for:\n{text}"),
    }
}

fn secs(hours: u32, minutes: u32) -> u32 {
    hours * 3600 + minutes * 60
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// (start, end) of each checkpoint's window, in seconds after midnight.
fn window_seconds(settings: &AttendanceSettings) -> Vec<(u32, u32)> {
    Checkpoint::ALL
        .iter()
        .map(|checkpoint| {
            let spec = settings.spec(*checkpoint);
            (spec.window_start, spec.window_end)
        })
        .collect()
}

fn staff(id: &str, name: &str, unit: &str, pins: &[&str]) -> Staff {
    Staff {
        id: id.to_string(),
        name: name.to_string(),
        unit: unit.to_string(),
        pins: pins.iter().map(|pin| pin.to_string()).collect(),
        start: None,
        end: None,
    }
}

fn window(id: &str, name: &str) -> Window {
    Window {
        id: id.to_string(),
        name: name.to_string(),
    }
}

#[test]
fn shipped_example_values() {
    let path = repo_config_dir().join("hallbox.toml");
    let config = match load(&path) {
        Ok(config) => config,
        Err(error) => panic!("shipped example failed to load:\n{error}"),
    };

    assert_eq!(config.source, path);
    assert_eq!(config.site.name, "某县政务服务中心 东大厅");
    assert_eq!(config.site.time_zone, chrono_tz::Asia::Shanghai);
    assert_eq!(
        config.http.listen,
        "127.0.0.1:8080".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(config.http.max_body_bytes, 16 * 1024 * 1024);
    assert_eq!(
        config.journal.path,
        PathBuf::from("/var/lib/hallbox/journal.sqlite")
    );

    assert_eq!(config.calendar.covered_years(), Some(vec![2025, 2026]));
    // 2026-10-05 is a National Day rest day, 2026-10-10 a make-up Saturday.
    assert!(!config.calendar.is_working_day(date("2026-10-05")).unwrap());
    assert!(config.calendar.is_working_day(date("2026-10-10")).unwrap());

    let attendance = &config.attendance;
    let ats: Vec<u32> = attendance
        .checkpoints
        .iter()
        .map(|spec| crate::rules::settings::seconds_of_day(spec.at))
        .collect();
    assert_eq!(
        ats,
        vec![secs(8, 30), secs(12, 0), secs(14, 30), secs(18, 0)]
    );
    assert_eq!(
        window_seconds(attendance),
        vec![
            (secs(5, 0), secs(10, 15)),
            (secs(10, 15), secs(13, 15)),
            (secs(13, 15), secs(16, 15)),
            (secs(16, 15), secs(24, 0)),
        ]
    );
    assert_eq!(attendance.repeat_window_secs, 60);
    assert_eq!(attendance.deemed_absence_every, 3);
    assert_eq!(attendance.cumulative_absence_threshold, 3);
    assert_eq!(attendance.points.item, 20.0);
    assert_eq!(attendance.points.per_late, 2.0);
    assert_eq!(attendance.points.per_early, 2.0);
    assert_eq!(attendance.points.per_absent_day, 3.0);
    assert_eq!(attendance.points.per_deemed_absence, 3.0);
    assert_eq!(*attendance, AttendanceSettings::default());

    assert_eq!(config.import.earliest, date("2010-01-01"));
    assert_eq!(config.import.max_future, chrono::Duration::minutes(1440));
    assert!(!config.roster.unknown_pins_as_people);

    let expected_units = vec![
        Unit {
            id: "tax".to_string(),
            name: "县税务局".to_string(),
            chief: Some("S001".to_string()),
            windows: vec![window("W01", "1号窗口"), window("W02", "2号窗口")],
        },
        Unit {
            id: "hrss".to_string(),
            name: "县人社局".to_string(),
            chief: Some("S004".to_string()),
            windows: vec![window("W03", "3号窗口")],
        },
    ];
    assert_eq!(config.units, expected_units);

    let mut first = staff("S001", "马建国", "tax", &["1"]);
    first.start = Some(date("2024-03-01"));
    let mut last = staff("S005", "马秀兰", "hrss", &["5"]);
    last.start = Some(date("2025-01-01"));
    last.end = Some(date("2025-12-31"));
    let expected_staff = vec![
        first,
        staff("S002", "韩丽", "tax", &["2"]),
        staff("S003", "才让卓玛", "tax", &["3", "1003"]),
        staff("S004", "李振华", "hrss", &["4"]),
        last,
    ];
    assert_eq!(config.staff, expected_staff);
}

#[test]
fn empty_file_gives_defaults() {
    let config = parse_ok("");

    assert_eq!(config.source, PathBuf::from("hallbox.toml"));
    assert_eq!(config.site.name, "政务服务大厅");
    assert_eq!(config.site.time_zone, chrono_tz::Asia::Shanghai);
    assert_eq!(
        config.http.listen,
        "127.0.0.1:8080".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(config.http.max_body_bytes, 16_777_216);
    assert_eq!(
        config.journal.path,
        PathBuf::from("/var/lib/hallbox/journal.sqlite")
    );
    assert_eq!(config.calendar.covered_years(), Some(vec![2025, 2026]));

    // The hall's rules: 08:30, 12:00, 14:30, 18:00; boundaries halfway:
    // (08:30 + 12:00) / 2 = 10:15, (12:00 + 14:30) / 2 = 13:15,
    // (14:30 + 18:00) / 2 = 16:15.
    assert_eq!(
        window_seconds(&config.attendance),
        vec![
            (18_000, 36_900),
            (36_900, 47_700),
            (47_700, 58_500),
            (58_500, 86_400),
        ]
    );
    assert_eq!(config.attendance, AttendanceSettings::default());

    assert_eq!(config.import.earliest, date("2010-01-01"));
    assert_eq!(config.import.max_future, chrono::Duration::minutes(1440));
    assert!(!config.roster.unknown_pins_as_people);
    assert!(config.units.is_empty());
    assert!(config.staff.is_empty());
}

#[test]
fn windows_default_halfway() {
    let config = parse_ok(
        r#"
        [attendance]
        morning_in = { at = "08:00" }
        noon_out = { at = "12:00" }
        afternoon_in = { at = "13:00" }
        evening_out = { at = "17:00" }
        "#,
    );
    // [05:00, 10:00) [10:00, 12:30) [12:30, 15:00) [15:00, 24:00)
    assert_eq!(
        window_seconds(&config.attendance),
        vec![
            (secs(5, 0), secs(10, 0)),
            (secs(10, 0), secs(12, 30)),
            (secs(12, 30), secs(15, 0)),
            (secs(15, 0), secs(24, 0)),
        ]
    );
    let at = config.attendance.spec(Checkpoint::AfternoonIn).at;
    assert_eq!(at, chrono::NaiveTime::from_hms_opt(13, 0, 0).unwrap());
}

#[test]
fn windows_halfway_rounds_down() {
    // 08:31 and 12:00 are 211 minutes apart: the boundary is 10:15:30,
    // rounded down to 10:15. 12:00 and 12:45 give 12:22:30, so 12:22, and
    // 12:45 and 18:00 give 15:22:30, so 15:22.
    let config = parse_ok(
        r#"
        [attendance]
        morning_in.at = "08:31"
        afternoon_in.at = "12:45"
        "#,
    );
    assert_eq!(
        window_seconds(&config.attendance),
        vec![
            (secs(5, 0), secs(10, 15)),
            (secs(10, 15), secs(12, 22)),
            (secs(12, 22), secs(15, 22)),
            (secs(15, 22), secs(24, 0)),
        ]
    );
}

#[test]
fn windows_reach_written_neighbour() {
    // Only noon_out's window is written; its neighbours end and start at its
    // edges instead of halfway, and afternoon_in ends halfway 14:30-18:00.
    let config = parse_ok(
        r#"
        [attendance]
        first_window_start = "06:00"
        noon_out = { at = "12:00", window = ["11:00", "13:00"] }
        "#,
    );
    assert_eq!(
        window_seconds(&config.attendance),
        vec![
            (secs(6, 0), secs(11, 0)),
            (secs(11, 0), secs(13, 0)),
            (secs(13, 0), secs(16, 15)),
            (secs(16, 15), secs(24, 0)),
        ]
    );
}

#[test]
fn windows_may_leave_gaps() {
    let config = parse_ok(
        r#"
        [attendance]
        morning_in.window = ["07:00", "09:00"]
        noon_out.window = ["11:30", "12:30"]
        afternoon_in.window = ["14:00", "15:00"]
        evening_out.window = ["17:30", "20:00"]
        "#,
    );
    assert_eq!(
        window_seconds(&config.attendance),
        vec![
            (secs(7, 0), secs(9, 0)),
            (secs(11, 30), secs(12, 30)),
            (secs(14, 0), secs(15, 0)),
            (secs(17, 30), secs(20, 0)),
        ]
    );
}

#[test]
fn bad_time_message_exact() {
    let errors = validation_errors(
        r#"
        [attendance]
        morning_in = { at = "8:3x" }
        "#,
    );
    assert_eq!(
        errors.to_string(),
        "hallbox.toml: attendance.morning_in.at: invalid time '8:3x': expected HH:MM such as 08:30"
    );
}

/// Each case: file text, the key that must be reported, and a fragment of
/// its message.
const INVALID_CASES: &[(&str, &str, &str)] = &[
    (
        "[attendance]\nmorning_in = { at = \"08:30\", window = [\"09:00\", \"10:15\"] }",
        "attendance.morning_in.window",
        "window [09:00, 10:15) does not contain the checkpoint time 08:30",
    ),
    (
        "[attendance]\nnoon_out.window = [\"10:15\", \"12:00\"]",
        "attendance.noon_out.window",
        "does not contain the checkpoint time 12:00",
    ),
    (
        "[attendance]\nfirst_window_start = \"09:00\"",
        "attendance.morning_in.window",
        "window computed from the neighbouring checkpoints, [09:00, 10:15) does not contain",
    ),
    (
        "[attendance]\nmorning_in.window = [\"05:00\", \"11:00\"]\nnoon_out.window = [\"10:30\", \"13:00\"]",
        "attendance.noon_out.window",
        "window [10:30, 13:00) overlaps attendance.morning_in.window [05:00, 11:00)",
    ),
    (
        "[attendance]\nnoon_out.at = \"08:30\"",
        "attendance.noon_out.at",
        "checkpoint time 08:30 is not after attendance.morning_in.at 08:30",
    ),
    (
        "[attendance]\nevening_out.at = \"24:00\"",
        "attendance.evening_out.at",
        "24:00 is allowed only as the end of a window",
    ),
    (
        "[attendance]\nmorning_in.window = [\"24:00\", \"24:00\"]",
        "attendance.morning_in.window",
        "24:00 is allowed only as the end of a window",
    ),
    (
        "[attendance]\nevening_out.window = [\"16:15\", \"24:30\"]",
        "attendance.evening_out.window",
        "invalid time '24:30': expected HH:MM such as 18:00, or 24:00",
    ),
    (
        "[attendance]\nmorning_in.window = [\"10:00\", \"05:00\"]",
        "attendance.morning_in.window",
        "the start must be before the end",
    ),
    (
        "[attendance]\nmorning_in.window = [\"05:00\"]",
        "attendance.morning_in.window",
        "invalid window of 1 values: expected two times [start, end]",
    ),
    (
        "[attendance]\nrepeat_window_seconds = 0",
        "attendance.repeat_window_seconds",
        "invalid value 0: expected a whole number from 1 to 600",
    ),
    (
        "[attendance]\nrepeat_window_seconds = 601",
        "attendance.repeat_window_seconds",
        "from 1 to 600",
    ),
    (
        "[attendance]\ndeemed_absence_every = 0",
        "attendance.deemed_absence_every",
        "invalid value 0",
    ),
    (
        "[attendance]\ncumulative_absence_threshold = -1",
        "attendance.cumulative_absence_threshold",
        "invalid value -1",
    ),
    (
        "[attendance.points]\nper_late = -2",
        "attendance.points.per_late",
        "invalid points value -2: expected a number of 0 or more",
    ),
    (
        "[attendance.points]\nitem = nan",
        "attendance.points.item",
        "invalid points value NaN",
    ),
    (
        "[attendance.points]\nper_absent_day = inf",
        "attendance.points.per_absent_day",
        "invalid points value inf",
    ),
    (
        "[site]\ntime_zone = \"Asia/Shangai\"",
        "site.time_zone",
        "unknown time zone 'Asia/Shangai': expected an IANA time zone name such as Asia/Shanghai",
    ),
    ("[site]\nname = \"  \"", "site.name", "empty text"),
    (
        "[http]\nlisten = \"localhost:8080\"",
        "http.listen",
        "invalid socket address 'localhost:8080': expected IP:PORT",
    ),
    (
        "[http]\nlisten = \"127.0.0.1\"",
        "http.listen",
        "invalid socket address '127.0.0.1'",
    ),
    (
        "[http]\nmax_body_bytes = 0",
        "http.max_body_bytes",
        "invalid size 0",
    ),
    (
        "[http]\nheader_timeout_seconds = 0",
        "http.header_timeout_seconds",
        "invalid time 0 s: expected 1 to 3600 seconds",
    ),
    (
        "[http]\nmax_connections = -1",
        "http.max_connections",
        "invalid count -1: expected 1 to 10000 connections",
    ),
    ("[journal]\npath = \"\"", "journal.path", "empty path"),
    (
        "[calendar]\nfiles = [\"calendar/cn-2025.toml\", \"calendar/cn-1999.toml\"]",
        "calendar.files[1]",
        "cn-1999.toml' not found: a relative path starts at the folder of hallbox.toml",
    ),
    (
        "[calendar]\nfiles = [\"calendar/cn-2026.toml\", \"calendar/cn-2026.toml\"]",
        "calendar.files[1]",
        "year 2026 is already loaded from calendar.files[0]",
    ),
    ("[calendar]\nfiles = []", "calendar.files", "empty list"),
    (
        "[calendar]\nkind = \"weekdays\"",
        "calendar.kind",
        "unknown calendar kind 'weekdays': expected \"official\" or \"monday-to-friday\"",
    ),
    (
        "[calendar]\nkind = \"monday-to-friday\"\nfiles = [\"calendar/cn-2026.toml\"]",
        "calendar.files",
        "files are read only with kind = \"official\"",
    ),
    (
        "[import]\nearliest = \"2010-13-01\"",
        "import.earliest",
        "invalid date '2010-13-01': expected a date YYYY-MM-DD",
    ),
    (
        "[import]\nearliest = 2010-01-01T08:00:00",
        "import.earliest",
        "without a time of day",
    ),
    (
        "[import]\nearliest = 20100101",
        "import.earliest",
        "invalid date 20100101 (a integer)",
    ),
    (
        "[import]\nmax_future_minutes = -1",
        "import.max_future_minutes",
        "invalid number of minutes -1",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n[[unit]]\nid = \"tax\"\nname = \"县人社局\"",
        "unit[1].id",
        "duplicate unit id 'tax': unit[0] already uses it",
    ),
    (
        "[[unit]]\nid = \"Tax\"\nname = \"县税务局\"",
        "unit[0].id",
        "invalid unit id 'Tax': expected 1 to 32 lowercase ASCII letters",
    ),
    (
        "[[unit]]\nid = \"税务\"\nname = \"县税务局\"",
        "unit[0].id",
        "invalid unit id '税务'",
    ),
    (
        "[[unit]]\nname = \"县税务局\"",
        "unit[0].id",
        "missing key: add it, e.g. id = \"tax\"",
    ),
    ("[[unit]]\nid = \"tax\"", "unit[0].name", "missing key"),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\nwindows = [{ id = \"W01\", name = \"1号窗口\" }]\n\
         [[unit]]\nid = \"hrss\"\nname = \"县人社局\"\nwindows = [{ id = \"W01\", name = \"3号窗口\" }]",
        "unit[1].windows[0].id",
        "duplicate window id 'W01': unit[0].windows[0] already uses it",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\nwindows = [{ id = \"W 1\", name = \"1号窗口\" }]",
        "unit[0].windows[0].id",
        "invalid id 'W 1'",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\nwindows = [{ id = \"W01\" }]",
        "unit[0].windows[0].name",
        "missing key",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\nchief = \"S009\"",
        "unit[0].chief",
        "unknown staff id 'S009': expected the id of a [[staff]] entry of unit 'tax'",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\nchief = \"S002\"\n\
         [[unit]]\nid = \"hrss\"\nname = \"县人社局\"\n\
         [[staff]]\nid = \"S002\"\nname = \"韩丽\"\nunit = \"hrss\"",
        "unit[0].chief",
        "staff 'S002' (staff[0]) belongs to unit 'hrss', not 'tax'",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nid = \"S001\"\nname = \"马建国\"\nunit = \"hr\"",
        "staff[0].unit",
        "unknown unit 'hr': expected the id of a [[unit]] entry: tax",
    ),
    (
        "[[staff]]\nid = \"S001\"\nname = \"马建国\"\nunit = \"hr\"",
        "staff[0].unit",
        "unknown unit 'hr': no [[unit]] is declared",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nid = \"S001\"\nname = \"马建国\"\nunit = \"tax\"\npins = [\"1\"]\n\
         [[staff]]\nid = \"S002\"\nname = \"韩丽\"\nunit = \"tax\"\npins = [\"2\", \"1\"]",
        "staff[1].pins[1]",
        "duplicate PIN '1': staff[0] already uses PIN '1'",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nid = \"S001\"\nname = \"马建国\"\nunit = \"tax\"\npins = [\"12\"]\n\
         [[staff]]\nid = \"S002\"\nname = \"韩丽\"\nunit = \"tax\"\npins = [\"0012\"]",
        "staff[1].pins[0]",
        "duplicate PIN '0012': staff[0] already uses PIN '12'",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nid = \"S001\"\nname = \"马建国\"\nunit = \"tax\"\npins = [\"7\", 7]",
        "staff[0].pins[1]",
        "duplicate PIN '7': this staff member already uses PIN '7'",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nid = \"S001\"\nname = \"马建国\"\nunit = \"tax\"\npins = [\"12a\"]",
        "staff[0].pins[0]",
        "invalid PIN '12a': expected 1 to 24 ASCII digits such as \"1001\"",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nid = \"S001\"\nname = \"马建国\"\nunit = \"tax\"\npins = [\"１２\"]",
        "staff[0].pins[0]",
        "invalid PIN '１２'",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nid = \"S001\"\nname = \"马建国\"\nunit = \"tax\"\npins = [-5]",
        "staff[0].pins[0]",
        "invalid PIN -5",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nid = \"S001\"\nname = \"马建国\"\nunit = \"tax\"\npins = [\"\"]",
        "staff[0].pins[0]",
        "invalid PIN ''",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nid = \"S001\"\nname = \"马建国\"\nunit = \"tax\"\n\
         start = 2025-03-01\nend = 2025-02-28",
        "staff[0].end",
        "end date 2025-02-28 is before start date 2025-03-01",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nid = \"S001\"\nname = \"马建国\"\nunit = \"tax\"\nstart = \"2025-02-30\"",
        "staff[0].start",
        "invalid date '2025-02-30'",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nid = \"S001\"\nname = \"马建国\"\nunit = \"tax\"\n\
         [[staff]]\nid = \"S001\"\nname = \"韩丽\"\nunit = \"tax\"",
        "staff[1].id",
        "duplicate staff id 'S001': staff[0] already uses it",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nname = \"马建国\"\nunit = \"tax\"",
        "staff[0].id",
        "missing key: add it, e.g. id = \"S001\"",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nid = \"S001\"\nunit = \"tax\"",
        "staff[0].name",
        "missing key",
    ),
    (
        "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
         [[staff]]\nid = \"S001\"\nname = \"马建国\"",
        "staff[0].unit",
        "missing key: add it, e.g. unit = \"tax\"",
    ),
];

#[test]
fn invalid_values_name_key() {
    for (text, key, fragment) in INVALID_CASES {
        let errors = validation_errors(text);
        assert!(
            errors.has_key(key),
            "expected key {key} for:\n{text}\ngot:\n{errors}"
        );
        let line = format!("hallbox.toml: {key}: ");
        let message = errors.to_string();
        let matching = message
            .lines()
            .find(|reported| reported.starts_with(&line) && reported.contains(fragment));
        assert!(
            matching.is_some(),
            "expected '{line}...{fragment}' for:\n{text}\ngot:\n{message}"
        );
    }
}

#[test]
fn several_errors_reported_together() {
    let errors = validation_errors(
        r#"
        [site]
        time_zone = "Mars/Olympus"

        [http]
        listen = "127.0.0.1:80800"

        [attendance]
        morning_in.at = "8:30"

        [[unit]]
        id = "tax"
        name = "县税务局"

        [[staff]]
        id = "S001"
        name = "马建国"
        unit = "hr"
        pins = ["1x"]
        "#,
    );
    let keys: Vec<&str> = errors
        .errors
        .iter()
        .map(|error| error.key.as_str())
        .collect();
    assert_eq!(
        keys,
        vec![
            "site.time_zone",
            "http.listen",
            "attendance.morning_in.at",
            "staff[0].unit",
            "staff[0].pins[0]",
        ]
    );
    let message = errors.to_string();
    assert_eq!(message.lines().count(), 5, "{message}");
    for line in message.lines() {
        assert!(line.starts_with("hallbox.toml: "), "{line}");
    }
}

#[test]
fn unknown_key_top_level() {
    let (key, line_column, message) = parse_failure("colour = \"red\"\n[site]\n");
    assert_eq!(key.as_deref(), Some("colour"));
    assert_eq!(line_column, Some((1, 1)));
    assert!(
        message.starts_with("hallbox.toml:1:1: colour: unknown field `colour`, expected one of"),
        "{message}"
    );

    // `[[units]]` for `[[unit]]` is an unknown top-level key too.
    let (key, line_column, _) = parse_failure("[[units]]\nid = \"tax\"\n");
    assert_eq!(key.as_deref(), Some("units"));
    assert_eq!(line_column.map(|(line, _)| line), Some(1));
}

#[test]
fn unknown_key_nested() {
    let (key, line_column, message) = parse_failure("[site]\nname = \"x\"\n\nbogus = 1\n");
    assert_eq!(key.as_deref(), Some("site.bogus"));
    assert_eq!(line_column, Some((4, 1)));
    assert_eq!(
        message,
        "hallbox.toml:4:1: site.bogus: unknown field `bogus`, expected `name` or `time_zone`"
    );

    let text = "[attendance.morning_in]\nat = \"08:30\"\nwidow = [\"05:00\", \"10:15\"]\n";
    let (key, line_column, message) = parse_failure(text);
    assert_eq!(key.as_deref(), Some("attendance.morning_in.widow"));
    assert_eq!(line_column, Some((3, 1)));
    assert!(message.contains("unknown field `widow`"), "{message}");

    let text = "[[unit]]\nid = \"tax\"\nname = \"县税务局\"\n\
                windows = [{ id = \"W01\", name = \"1号窗口\", floor = 2 }]\n";
    let (key, _, message) = parse_failure(text);
    assert_eq!(key.as_deref(), Some("unit[0].windows[0].floor"));
    assert!(message.contains("unknown field `floor`"), "{message}");

    let text = "[[staff]]\nid = \"S001\"\n[[staff]]\nid = \"S002\"\n  pinz = [\"2\"]\n";
    let (key, line_column, _) = parse_failure(text);
    assert_eq!(key.as_deref(), Some("staff[1].pinz"));
    assert_eq!(line_column, Some((5, 3)));
}

#[test]
fn parse_position_matches_toml() {
    let text = "[site]\nname = \"东大厅\"\n[http]\nlisten = 8080\n";
    let error = match parse_text(text) {
        Err(error) => error,
        Ok(_) => panic!("a number for http.listen must fail"),
    };
    let ConfigError::Parse {
        key,
        line_column,
        source,
        ..
    } = &error
    else {
        panic!("expected a parse error, got {error}");
    };
    assert_eq!(key.as_deref(), Some("http.listen"));
    assert_eq!(*line_column, Some((4, 10)));
    assert!(source.to_string().contains("line 4, column 10"), "{source}");
    assert!(error.to_string().contains("invalid type"), "{error}");
}

#[test]
fn syntax_error_has_position() {
    let (key, line_column, message) = parse_failure("[site]\nname = \"unterminated\n");
    assert_eq!(key, None);
    assert_eq!(line_column.map(|(line, _)| line), Some(2));
    assert!(message.starts_with("hallbox.toml:2:"), "{message}");

    // toml writes this message on two lines; the error keeps it on one.
    let (key, line_column, message) = parse_failure("[site\nname = \"x\"\n");
    assert_eq!(key, None);
    assert_eq!(line_column, Some((1, 6)));
    assert_eq!(
        message,
        "hallbox.toml:1:6: invalid table header: expected `.`, `]`"
    );
}

#[test]
fn pins_and_dates_in_both_forms() {
    let config = parse_ok(
        r#"
        [import]
        earliest = "2015-06-01"
        max_future_minutes = 0

        [[unit]]
        id = "tax"
        name = " 县税务局 "

        [[staff]]
        id = "S001"
        name = "马建国"
        unit = "tax"
        pins = [1001, "0007"]
        start = "2024-03-01"
        end = 2024-03-01
        "#,
    );
    assert_eq!(config.import.earliest, date("2015-06-01"));
    assert_eq!(config.import.max_future, chrono::Duration::zero());
    assert_eq!(config.units[0].name, "县税务局");
    assert_eq!(config.units[0].chief, None);
    assert!(config.units[0].windows.is_empty());
    let person = &config.staff[0];
    assert_eq!(person.pins, vec!["1001".to_string(), "0007".to_string()]);
    assert_eq!(person.start, Some(date("2024-03-01")));
    assert_eq!(person.end, Some(date("2024-03-01")));
}

#[test]
fn monday_to_friday_calendar() {
    let config = parse_ok("[calendar]\nkind = \"monday-to-friday\"\n");
    assert_eq!(config.calendar, crate::calendar::Calendar::MondayToFriday);
    // A National Day Monday is a working day in the plain week.
    assert!(config.calendar.is_working_day(date("2026-10-05")).unwrap());
}

#[test]
fn official_calendar_from_one_file() {
    let config = parse_ok("[calendar]\nfiles = [\"calendar/cn-2026.toml\"]\n");
    assert_eq!(config.calendar.covered_years(), Some(vec![2026]));
    assert!(config.calendar.is_working_day(date("2025-06-02")).is_err());
}

#[test]
fn journal_path_resolves() {
    let base = repo_config_dir();
    let config = parse_ok("[journal]\npath = \"data/journal.sqlite\"\n");
    assert_eq!(config.journal.path, base.join("data/journal.sqlite"));

    let config = parse_ok("[journal]\npath = \"/srv/hallbox/j.sqlite\"\n");
    assert_eq!(config.journal.path, PathBuf::from("/srv/hallbox/j.sqlite"));
}

#[test]
fn listen_accepts_ipv6_and_any() {
    let config = parse_ok("[http]\nlisten = \"[::1]:9000\"\nmax_body_bytes = 1\n");
    assert_eq!(
        config.http.listen,
        "[::1]:9000".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(config.http.max_body_bytes, 1);
    let config = parse_ok("[http]\nlisten = \"0.0.0.0:8080\"\n");
    assert_eq!(config.http.listen.port(), 8080);
    assert!(config.http.listen.ip().is_unspecified());
}

#[test]
fn load_resolves_from_config_folder() {
    let folder = tempfile::tempdir().unwrap();
    let calendar_dir = folder.path().join("cal");
    std::fs::create_dir(&calendar_dir).unwrap();
    std::fs::copy(
        repo_config_dir().join("calendar/cn-2026.toml"),
        calendar_dir.join("year-2026.toml"),
    )
    .unwrap();
    let path = folder.path().join("site.toml");
    std::fs::write(
        &path,
        "[journal]\npath = \"data/j.sqlite\"\n[calendar]\nfiles = [\"cal/year-2026.toml\"]\n",
    )
    .unwrap();

    let config = match load(&path) {
        Ok(config) => config,
        Err(error) => panic!("load failed:\n{error}"),
    };
    assert_eq!(config.source, path);
    assert_eq!(config.journal.path, folder.path().join("data/j.sqlite"));
    assert_eq!(config.calendar.covered_years(), Some(vec![2026]));
}

#[test]
fn load_reports_missing_calendar_with_path() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("hallbox.toml");
    std::fs::write(&path, "").unwrap();

    // The default calendar files are not beside this file.
    let error = match load(&path) {
        Err(ConfigError::Invalid(errors)) => errors,
        Err(other) => panic!("expected validation errors, got {other}"),
        Ok(_) => panic!("the default calendar files are missing here"),
    };
    assert_eq!(error.errors.len(), 2, "{error}");
    assert!(error.has_key("calendar.files[0]"), "{error}");
    assert!(error.has_key("calendar.files[1]"), "{error}");
    let expected = folder.path().join("calendar/cn-2025.toml");
    assert!(
        error.to_string().contains(&expected.display().to_string()),
        "{error}"
    );
}

#[test]
fn invalid_calendar_file_on_one_line() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("cn-2026.toml"),
        "year = 2026\nbogus = 1\n",
    )
    .unwrap();
    let text = "[calendar]\nfiles = [\"cn-2026.toml\"]\n";
    let errors = match parse(Path::new("hallbox.toml"), text, folder.path()) {
        Err(ConfigError::Invalid(errors)) => errors,
        Err(other) => panic!("expected validation errors, got {other}"),
        Ok(_) => panic!("the calendar file has an unknown key"),
    };
    let message = errors.to_string();
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with("hallbox.toml: calendar.files[0]: invalid calendar file '"),
        "{message}"
    );
    assert!(
        message.contains("line 2, column 1: unknown field `bogus`"),
        "{message}"
    );
}

#[test]
fn load_missing_file() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("absent.toml");
    let error = match load(&path) {
        Err(error) => error,
        Ok(_) => panic!("a missing file must fail"),
    };
    assert!(matches!(error, ConfigError::Read { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.starts_with("failed to read config file '"),
        "{message}"
    );
    assert!(message.contains("absent.toml"), "{message}");
}

#[test]
fn log_and_health_defaults() {
    let config = parse_ok("");
    assert_eq!(config.log.level, "info");
    assert_eq!(
        config.health.lost_device_after,
        std::time::Duration::from_secs(300)
    );

    let config =
        parse_ok("[log]\nlevel = \"warn,hallbox=debug\"\n[health]\nlost_device_seconds = 45\n");
    assert_eq!(config.log.level, "warn,hallbox=debug");
    assert_eq!(
        config.health.lost_device_after,
        std::time::Duration::from_secs(45)
    );
}

#[test]
fn log_level_bare_word_rejected() {
    let errors = validation_errors("[log]\nlevel = \"verbose\"\n");
    let text = errors.to_string();
    assert!(
        text.contains("log.level: invalid log level 'verbose'"),
        "{text}"
    );
    let errors = validation_errors("[log]\nlevel = \"hallbox=loud\"\n");
    assert!(errors.to_string().contains("log.level"), "{errors}");
}

#[test]
fn lost_device_seconds_range() {
    for bad in [0, -5, 86_401] {
        let errors = validation_errors(&format!("[health]\nlost_device_seconds = {bad}\n"));
        let text = errors.to_string();
        assert!(
            text.contains(&format!(
                "health.lost_device_seconds: invalid duration {bad}: expected whole seconds from 1 to 86400"
            )),
            "{text}"
        );
    }
    let config = parse_ok("[health]\nlost_device_seconds = 86400\n");
    assert_eq!(config.health.lost_device_after.as_secs(), 86_400);
}
