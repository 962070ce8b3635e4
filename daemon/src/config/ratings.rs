//! The `[ratings]` section and the `[[duty]]` roster: the settings of the
//! satisfaction keypad rules and which staff member serves which window.
//!
//! `[ratings]` becomes the [`RatingSettings`] the rules read, with the same
//! defaults as `RatingSettings::default()`; a test checks that the two agree.
//! Each `[[duty]]` entry becomes a [`DutyAssignment`]: a staff member serving
//! a window from a start date, optionally to an end date. Assignments made
//! through the API are merged with these by start date when a report is made.

use std::collections::BTreeSet;

use chrono::NaiveTime;
use serde::Deserialize;

use super::error::Problems;
use super::raw::{RawStaff, RawUnit};
use super::validate::parse_date;
use crate::rules::ratings::{DutyAssignment, RatingSettings};

/// Seconds after a press on a keypad in which another press on the same
/// keypad is a repeat, from the hall's rating rules.
pub const REPEAT_WINDOW_SECONDS: i64 = 3;
/// Points deducted from a window's rating item per unsatisfied rating, from
/// the hall's assessment rules.
pub const UNSATISFIED_POINTS: f64 = 3.0;
/// Points of a window's monthly rating item, from the hall's assessment
/// rules.
pub const WINDOW_ITEM_POINTS: f64 = 15.0;
/// Presses on one keypad within `burst_window_seconds` that make a burst.
pub const BURST_COUNT: i64 = 5;
/// Span of a burst in seconds.
pub const BURST_WINDOW_SECONDS: i64 = 60;
/// Presses before this local time (HH:MM) are flagged.
pub const WORK_START: &str = "08:00";
/// Presses after this local time (HH:MM) are flagged.
pub const WORK_END: &str = "18:30";
/// Margin, as a fraction, by which a window's share of 非常满意 must exceed
/// the hall's to be flagged (0.25 is 25 percentage points).
pub const TOP_SHARE_MARGIN: f64 = 0.25;
/// Valid ratings a window needs in a month before its share of 非常满意 is
/// compared with the hall's.
pub const MIN_RATINGS_FOR_SHARE: i64 = 20;
/// Working days after the day of a press in which a misclick correction may
/// be requested, from the hall's rating rules.
pub const CORRECTION_WORKING_DAYS: i64 = 3;

/// Largest `repeat_window_seconds` (10 minutes). A longer window would
/// swallow the rating of the next applicant at the same window.
const MAX_REPEAT_WINDOW_SECONDS: i64 = 600;
/// Largest `burst_count`, a bound that only rejects typing mistakes.
const MAX_BURST_COUNT: i64 = 10_000;
/// Largest `burst_window_seconds`: one day.
const MAX_BURST_WINDOW_SECONDS: i64 = 86_400;
/// Largest `correction_working_days`: about six weeks of working days, a
/// bound that only rejects typing mistakes.
const MAX_CORRECTION_WORKING_DAYS: i64 = 30;

/// `[ratings]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawRatings {
    pub repeat_window_seconds: Option<i64>,
    pub unsatisfied_points: Option<f64>,
    pub window_item_points: Option<f64>,
    pub burst_count: Option<i64>,
    pub burst_window_seconds: Option<i64>,
    pub work_start: Option<String>,
    pub work_end: Option<String>,
    pub top_share_margin: Option<f64>,
    pub min_ratings_for_share: Option<i64>,
    pub correction_working_days: Option<i64>,
}

/// One `[[duty]]` as written.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawDuty {
    pub window: Option<String>,
    pub staff: Option<String>,
    /// TOML dates or strings, as `import.earliest`.
    pub from: Option<toml::Value>,
    pub to: Option<toml::Value>,
}

/// `[ratings]` with every default filled in, not yet validated.
#[derive(Debug)]
pub(super) struct RatingsInput {
    pub repeat_window_seconds: i64,
    pub unsatisfied_points: f64,
    pub window_item_points: f64,
    pub burst_count: i64,
    pub burst_window_seconds: i64,
    pub work_start: String,
    pub work_end: String,
    pub top_share_margin: f64,
    pub min_ratings_for_share: i64,
    pub correction_working_days: i64,
}

/// Fills every key of `[ratings]` the file leaves out with its default.
pub(super) fn merge_ratings(raw: RawRatings) -> RatingsInput {
    RatingsInput {
        repeat_window_seconds: raw.repeat_window_seconds.unwrap_or(REPEAT_WINDOW_SECONDS),
        unsatisfied_points: raw.unsatisfied_points.unwrap_or(UNSATISFIED_POINTS),
        window_item_points: raw.window_item_points.unwrap_or(WINDOW_ITEM_POINTS),
        burst_count: raw.burst_count.unwrap_or(BURST_COUNT),
        burst_window_seconds: raw.burst_window_seconds.unwrap_or(BURST_WINDOW_SECONDS),
        work_start: raw.work_start.unwrap_or_else(|| WORK_START.to_string()),
        work_end: raw.work_end.unwrap_or_else(|| WORK_END.to_string()),
        top_share_margin: raw.top_share_margin.unwrap_or(TOP_SHARE_MARGIN),
        min_ratings_for_share: raw.min_ratings_for_share.unwrap_or(MIN_RATINGS_FOR_SHARE),
        correction_working_days: raw
            .correction_working_days
            .unwrap_or(CORRECTION_WORKING_DAYS),
    }
}

/// Validates `[ratings]`; returns `None` after recording every problem.
pub(super) fn validate_ratings(
    input: &RatingsInput,
    problems: &mut Problems,
) -> Option<RatingSettings> {
    let mut whole = |key: &str, value: i64, min: i64, max: i64| {
        problems.check(&format!("ratings.{key}"), whole_number_in(value, min, max))
    };
    let repeat_window_secs = whole(
        "repeat_window_seconds",
        input.repeat_window_seconds,
        0,
        MAX_REPEAT_WINDOW_SECONDS,
    );
    let burst_count = whole("burst_count", input.burst_count, 2, MAX_BURST_COUNT);
    let burst_window_secs = whole(
        "burst_window_seconds",
        input.burst_window_seconds,
        1,
        MAX_BURST_WINDOW_SECONDS,
    );
    let min_ratings_for_share = whole(
        "min_ratings_for_share",
        input.min_ratings_for_share,
        0,
        i64::from(u32::MAX),
    );
    let correction_working_days = whole(
        "correction_working_days",
        input.correction_working_days,
        1,
        MAX_CORRECTION_WORKING_DAYS,
    );

    let unsatisfied_points = problems.check(
        "ratings.unsatisfied_points",
        non_negative_points(input.unsatisfied_points),
    );
    let window_item_points = problems.check(
        "ratings.window_item_points",
        non_negative_points(input.window_item_points),
    );
    let top_share_margin = problems.check(
        "ratings.top_share_margin",
        share_margin(input.top_share_margin),
    );

    let work_start = problems.check("ratings.work_start", parse_hhmm(&input.work_start));
    let work_end = problems.check("ratings.work_end", parse_hhmm(&input.work_end));
    if let (Some(start), Some(end)) = (work_start, work_end) {
        if end <= start {
            problems.add(
                "ratings.work_end",
                format!(
                    "work_end {} is not after work_start {}: expected the end of the \
                     working hours later than their start, such as 18:30 after 08:00",
                    input.work_end, input.work_start
                ),
            );
            return None;
        }
    }

    Some(RatingSettings {
        repeat_window_secs: repeat_window_secs?,
        unsatisfied_points: unsatisfied_points?,
        window_item_points: window_item_points?,
        burst_count: burst_count?,
        burst_window_secs: burst_window_secs?,
        work_start: work_start?,
        work_end: work_end?,
        top_share_margin: top_share_margin?,
        min_ratings_for_share: min_ratings_for_share?,
        correction_working_days: correction_working_days?,
    })
}

/// Validates the `[[duty]]` entries against the declared windows and staff;
/// returns `None` after recording every problem.
pub(super) fn validate_duty(
    raw_duty: &[RawDuty],
    raw_units: &[RawUnit],
    raw_staff: &[RawStaff],
    problems: &mut Problems,
) -> Option<Vec<DutyAssignment>> {
    let windows: BTreeSet<&str> = raw_units
        .iter()
        .flat_map(|unit| unit.windows.iter())
        .filter_map(|window| window.id.as_deref())
        .collect();
    let staff: BTreeSet<&str> = raw_staff
        .iter()
        .filter_map(|person| person.id.as_deref())
        .collect();

    let mut assignments = Vec::with_capacity(raw_duty.len());
    for (index, raw) in raw_duty.iter().enumerate() {
        let prefix = format!("duty[{index}]");
        let window_id = problems.check(
            &format!("{prefix}.window"),
            required(&raw.window, "window = \"W01\"")
                .and_then(|id| declared(id, &windows, "window", "a window id of a [[unit]] entry")),
        );
        let staff_id = problems.check(
            &format!("{prefix}.staff"),
            required(&raw.staff, "staff = \"S001\"")
                .and_then(|id| declared(id, &staff, "staff id", "the id of a [[staff]] entry")),
        );
        let from = problems.check(
            &format!("{prefix}.from"),
            raw.from
                .as_ref()
                .ok_or_else(|| "missing key: add it, e.g. from = 2026-01-01".to_string())
                .and_then(parse_date),
        );
        let to = match &raw.to {
            None => Some(None),
            Some(value) => problems.check(&format!("{prefix}.to"), parse_date(value).map(Some)),
        };

        let (Some(window_id), Some(staff_id), Some(from), Some(to)) =
            (window_id, staff_id, from, to)
        else {
            assignments.push(None);
            continue;
        };
        let assignment = DutyAssignment {
            window_id,
            staff_id,
            from,
            to,
        };
        if let Err(error) = assignment.validate() {
            problems.add(format!("{prefix}.to"), error.to_string());
            assignments.push(None);
            continue;
        }
        assignments.push(Some(assignment));
    }
    assignments.into_iter().collect()
}

fn required(value: &Option<String>, example: &str) -> Result<String, String> {
    value
        .clone()
        .ok_or_else(|| format!("missing key: add it, e.g. {example}"))
}

fn declared(
    id: String,
    known: &BTreeSet<&str>,
    label: &str,
    expected: &str,
) -> Result<String, String> {
    if known.contains(id.as_str()) {
        return Ok(id);
    }
    if known.is_empty() {
        return Err(format!(
            "unknown {label} '{id}': expected {expected}, but none is declared"
        ));
    }
    let list: Vec<&str> = known.iter().copied().collect();
    Err(format!(
        "unknown {label} '{id}': expected {expected}: {}",
        list.join(", ")
    ))
}

fn whole_number_in(value: i64, min: i64, max: i64) -> Result<u32, String> {
    if value < min || value > max {
        return Err(format!(
            "invalid value {value}: expected a whole number from {min} to {max}"
        ));
    }
    u32::try_from(value).map_err(|_| format!("invalid value {value}: too large"))
}

fn non_negative_points(value: f64) -> Result<f64, String> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(format!(
            "invalid points value {value}: expected a number of 0 or more such as 3 or 0.5"
        ))
    }
}

fn share_margin(value: f64) -> Result<f64, String> {
    if value.is_finite() && value > 0.0 && value <= 1.0 {
        Ok(value)
    } else {
        Err(format!(
            "invalid margin {value}: expected a fraction above 0 and at most 1, \
             such as 0.25 for 25 percentage points"
        ))
    }
}

/// Parses "HH:MM", 00:00 to 23:59.
fn parse_hhmm(text: &str) -> Result<NaiveTime, String> {
    let invalid =
        || format!("invalid time '{text}': expected HH:MM from 00:00 to 23:59 such as 08:00");
    if text.len() != 5 {
        return Err(invalid());
    }
    NaiveTime::parse_from_str(text, "%H:%M").map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use chrono::NaiveDate;

    use super::*;
    use crate::config::{load, parse, Config, ConfigError, ConfigErrors};

    fn repo_config_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../config")
    }

    fn parse_text(text: &str) -> Result<Config, ConfigError> {
        parse(Path::new("hallbox.toml"), text, &repo_config_dir())
    }

    fn errors_of(text: &str) -> ConfigErrors {
        match parse_text(text) {
            Err(ConfigError::Invalid(errors)) => errors,
            Err(other) => panic!("expected validation errors, got: {other}"),
            Ok(_) => panic!("expected validation errors for:\n{text}"),
        }
    }

    fn message_of(errors: &ConfigErrors, key: &str) -> String {
        errors
            .errors
            .iter()
            .find(|error| error.key == key)
            .map(|error| error.message.clone())
            .unwrap_or_else(|| panic!("no error under {key}: {errors}"))
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
    }

    const HALL: &str = r#"
[[unit]]
id = "tax"
name = "县税务局"
chief = "S001"
windows = [{ id = "W01", name = "1号窗口" }, { id = "W02", name = "2号窗口" }]

[[staff]]
id = "S001"
name = "马建国"
unit = "tax"

[[staff]]
id = "S002"
name = "韩丽"
unit = "tax"
"#;

    #[test]
    fn ratings_defaults_match_rules() {
        let config = parse_text("").expect("empty file is valid");
        assert_eq!(config.ratings, RatingSettings::default());
        assert!(config.duty.is_empty());
    }

    #[test]
    fn ratings_shipped_example() {
        let config = match load(&repo_config_dir().join("hallbox.toml")) {
            Ok(config) => config,
            Err(error) => panic!("shipped example failed to load:\n{error}"),
        };
        assert_eq!(config.ratings, RatingSettings::default());
        let expected = vec![
            DutyAssignment {
                window_id: "W01".to_string(),
                staff_id: "S001".to_string(),
                from: day("2026-01-01"),
                to: None,
            },
            DutyAssignment {
                window_id: "W02".to_string(),
                staff_id: "S002".to_string(),
                from: day("2026-01-01"),
                to: None,
            },
            DutyAssignment {
                window_id: "W02".to_string(),
                staff_id: "S003".to_string(),
                from: day("2026-11-16"),
                to: Some(day("2026-11-20")),
            },
            DutyAssignment {
                window_id: "W03".to_string(),
                staff_id: "S004".to_string(),
                from: day("2026-01-01"),
                to: None,
            },
        ];
        assert_eq!(config.duty, expected);
    }

    #[test]
    fn ratings_written_values() {
        let text = r#"
[ratings]
repeat_window_seconds = 5
unsatisfied_points = 2.5
window_item_points = 10
burst_count = 8
burst_window_seconds = 120
work_start = "07:30"
work_end = "19:00"
top_share_margin = 0.3
min_ratings_for_share = 10
correction_working_days = 5
"#;
        let config = parse_text(text).expect("valid");
        let expected = RatingSettings {
            repeat_window_secs: 5,
            unsatisfied_points: 2.5,
            window_item_points: 10.0,
            burst_count: 8,
            burst_window_secs: 120,
            work_start: NaiveTime::from_hms_opt(7, 30, 0).expect("time"),
            work_end: NaiveTime::from_hms_opt(19, 0, 0).expect("time"),
            top_share_margin: 0.3,
            min_ratings_for_share: 10,
            correction_working_days: 5,
        };
        assert_eq!(config.ratings, expected);
    }

    #[test]
    fn ratings_invalid_values() {
        let text = r#"
[ratings]
repeat_window_seconds = 601
unsatisfied_points = -1
window_item_points = nan
burst_count = 1
burst_window_seconds = 0
work_start = "8:00"
work_end = "24:00"
top_share_margin = 0
min_ratings_for_share = -1
correction_working_days = 0
"#;
        let errors = errors_of(text);
        let cases = [
            (
                "ratings.repeat_window_seconds",
                "invalid value 601: expected a whole number from 0 to 600",
            ),
            (
                "ratings.unsatisfied_points",
                "invalid points value -1: expected a number of 0 or more such as 3 or 0.5",
            ),
            (
                "ratings.window_item_points",
                "invalid points value NaN: expected a number of 0 or more such as 3 or 0.5",
            ),
            (
                "ratings.burst_count",
                "invalid value 1: expected a whole number from 2 to 10000",
            ),
            (
                "ratings.burst_window_seconds",
                "invalid value 0: expected a whole number from 1 to 86400",
            ),
            (
                "ratings.work_start",
                "invalid time '8:00': expected HH:MM from 00:00 to 23:59 such as 08:00",
            ),
            (
                "ratings.work_end",
                "invalid time '24:00': expected HH:MM from 00:00 to 23:59 such as 08:00",
            ),
            (
                "ratings.top_share_margin",
                "invalid margin 0: expected a fraction above 0 and at most 1, \
                 such as 0.25 for 25 percentage points",
            ),
            (
                "ratings.min_ratings_for_share",
                "invalid value -1: expected a whole number from 0 to 4294967295",
            ),
            (
                "ratings.correction_working_days",
                "invalid value 0: expected a whole number from 1 to 30",
            ),
        ];
        for (key, message) in cases {
            assert_eq!(message_of(&errors, key), message, "{key}");
        }
        assert_eq!(errors.errors.len(), cases.len(), "{errors}");
    }

    #[test]
    fn ratings_work_end_before_start() {
        let errors = errors_of("[ratings]\nwork_start = \"18:30\"\nwork_end = \"08:00\"\n");
        assert_eq!(
            message_of(&errors, "ratings.work_end"),
            "work_end 08:00 is not after work_start 18:30: expected the end of the working \
             hours later than their start, such as 18:30 after 08:00"
        );
        assert_eq!(errors.errors.len(), 1, "{errors}");
    }

    #[test]
    fn ratings_unknown_key() {
        match parse_text("[ratings]\nburst_size = 5\n") {
            Err(error @ ConfigError::Parse { .. }) => {
                let message = error.to_string();
                assert!(
                    message.starts_with("hallbox.toml:2:1: ratings.burst_size: unknown field"),
                    "{message}"
                );
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn duty_entries_parsed() {
        let text = format!(
            "{HALL}\n[[duty]]\nwindow = \"W01\"\nstaff = \"S001\"\nfrom = 2026-01-01\n\n\
             [[duty]]\nwindow = \"W02\"\nstaff = \"S002\"\nfrom = \"2026-11-02\"\nto = 2026-11-30\n"
        );
        let config = parse_text(&text).expect("valid");
        assert_eq!(
            config.duty,
            vec![
                DutyAssignment {
                    window_id: "W01".to_string(),
                    staff_id: "S001".to_string(),
                    from: day("2026-01-01"),
                    to: None,
                },
                DutyAssignment {
                    window_id: "W02".to_string(),
                    staff_id: "S002".to_string(),
                    from: day("2026-11-02"),
                    to: Some(day("2026-11-30")),
                },
            ]
        );
    }

    #[test]
    fn duty_invalid_entries() {
        let text = format!(
            "{HALL}\n\
             [[duty]]\nwindow = \"W09\"\nstaff = \"S009\"\nfrom = \"2026-13-01\"\n\n\
             [[duty]]\nstaff = \"S001\"\n\n\
             [[duty]]\nwindow = \"W01\"\nstaff = \"S001\"\nfrom = 2026-11-10\nto = 2026-11-09\n"
        );
        let errors = errors_of(&text);
        let cases = [
            (
                "duty[0].window",
                "unknown window 'W09': expected a window id of a [[unit]] entry: W01, W02",
            ),
            (
                "duty[0].staff",
                "unknown staff id 'S009': expected the id of a [[staff]] entry: S001, S002",
            ),
            (
                "duty[0].from",
                "invalid date '2026-13-01': expected a date YYYY-MM-DD such as 2025-03-01",
            ),
            (
                "duty[1].window",
                "missing key: add it, e.g. window = \"W01\"",
            ),
            (
                "duty[1].from",
                "missing key: add it, e.g. from = 2026-01-01",
            ),
            (
                "duty[2].to",
                "duty assignment of S001 at window W01 ends on 2026-11-09, before it starts \
                 on 2026-11-10: give an end date on or after the start",
            ),
        ];
        for (key, message) in cases {
            assert_eq!(message_of(&errors, key), message, "{key}");
        }
        assert_eq!(errors.errors.len(), cases.len(), "{errors}");
    }
}
