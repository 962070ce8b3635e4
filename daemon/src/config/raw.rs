//! Stage one: the configuration file as written.
//!
//! Serde reads the TOML text into these structs and checks only TOML types.
//! Every key is optional here, so an empty file is valid, and every struct
//! has `deny_unknown_fields`, so a misspelt key is an error instead of a
//! setting that silently does nothing. Values stay as written (times and
//! addresses as strings, integers as `i64`) so that validation can report
//! each bad value with its key and the allowed range.
//!
//! A new section is one struct here and one field in [`RawConfig`].

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::ConfigError;

/// The whole file. Sections are TOML tables; `[[unit]]`, `[[staff]]` and
/// `[[token]]` are arrays of tables.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawConfig {
    pub site: RawSite,
    pub http: RawHttp,
    pub journal: RawJournal,
    pub calendar: RawCalendar,
    pub attendance: RawAttendance,
    pub import: RawImport,
    pub roster: RawRoster,
    pub adms: super::adms::RawAdms,
    pub unit: Vec<RawUnit>,
    pub staff: Vec<RawStaff>,
    pub ratings: super::ratings::RawRatings,
    pub duty: Vec<super::ratings::RawDuty>,
    pub log: RawLog,
    pub health: RawHealth,
    pub token: Vec<super::tokens::RawToken>,
    pub device: Vec<super::devices::RawDevice>,
    pub wiegand: Vec<super::gpio::RawWiegand>,
    pub button_keypad: Vec<super::gpio::RawButtonKeypad>,
}

/// `[site]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawSite {
    pub name: Option<String>,
    pub time_zone: Option<String>,
}

/// `[http]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawHttp {
    pub listen: Option<String>,
    pub max_body_bytes: Option<i64>,
    pub header_timeout_seconds: Option<i64>,
    pub max_connections: Option<i64>,
}

/// `[journal]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawJournal {
    pub path: Option<PathBuf>,
}

/// `[calendar]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawCalendar {
    pub kind: Option<String>,
    pub files: Option<Vec<PathBuf>>,
}

/// `[attendance]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawAttendance {
    pub morning_in: RawCheckpoint,
    pub noon_out: RawCheckpoint,
    pub afternoon_in: RawCheckpoint,
    pub evening_out: RawCheckpoint,
    pub first_window_start: Option<String>,
    pub repeat_window_seconds: Option<i64>,
    pub deemed_absence_every: Option<i64>,
    pub cumulative_absence_threshold: Option<i64>,
    pub points: RawPoints,
}

/// `[attendance.morning_in]` and the other three checkpoints.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawCheckpoint {
    pub at: Option<String>,
    /// `[start, end]`; a list so that a wrong length is a validation error
    /// with its key rather than a serde message about tuples.
    pub window: Option<Vec<String>>,
}

/// `[attendance.points]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawPoints {
    pub item: Option<f64>,
    pub per_late: Option<f64>,
    pub per_early: Option<f64>,
    pub per_absent_day: Option<f64>,
    pub per_deemed_absence: Option<f64>,
}

/// `[import]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawImport {
    /// A TOML date (`2010-01-01`) or a string (`"2010-01-01"`).
    pub earliest: Option<toml::Value>,
    pub max_future_minutes: Option<i64>,
}

/// `[roster]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawRoster {
    pub unknown_pins_as_people: Option<bool>,
}

/// `[log]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawLog {
    pub level: Option<String>,
}

/// `[health]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawHealth {
    pub lost_device_seconds: Option<i64>,
}

/// One `[[unit]]`: a department with windows in the hall.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawUnit {
    pub id: Option<String>,
    pub name: Option<String>,
    pub chief: Option<String>,
    pub windows: Vec<RawWindow>,
}

/// One entry of a unit's `windows`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawWindow {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// One `[[staff]]`: a person on the roster.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawStaff {
    pub id: Option<String>,
    pub name: Option<String>,
    pub unit: Option<String>,
    /// Strings (`"1001"`) or non-negative integers (`1001`).
    pub pins: Vec<toml::Value>,
    /// TOML dates or strings, as `import.earliest`.
    pub start: Option<toml::Value>,
    pub end: Option<toml::Value>,
}

/// Parses the text of the file; `path` only names the file in errors.
pub(super) fn parse_raw(path: &Path, text: &str) -> Result<RawConfig, ConfigError> {
    let deserializer = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        // An empty path means the error is outside any key (a syntax error).
        let path_is_empty = error.path().iter().next().is_none();
        let key = (!path_is_empty).then(|| error.path().to_string());
        let source = error.into_inner();
        ConfigError::Parse {
            path: path.to_path_buf(),
            line_column: source.span().map(|span| line_column(text, span.start)),
            key,
            message: one_line(source.message()),
            source: Box::new(source),
        }
    })
}

/// Joins the lines of a toml message ("invalid table header\nexpected `.`,
/// `]`") with ": ", so that each error stays on one line.
pub(super) fn one_line(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    lines.join(": ")
}

/// Converts a byte offset to a 1-based line and character column, counted
/// as toml counts them in its own messages.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters() {
        let text = "a = 1\n名称 = x\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // "名称 = " is 2 characters of 3 bytes each, then " = ": byte 15 is
        // the 'x', the 6th character of line 2.
        assert_eq!(line_column(text, 15), (2, 6));
        assert_eq!(line_column(text, 1000), (3, 1));
    }

    #[test]
    fn parse_raw_accepts_empty_text() {
        let raw = parse_raw(Path::new("hallbox.toml"), "").unwrap();
        assert!(raw.site.name.is_none());
        assert!(raw.unit.is_empty());
        assert!(raw.attendance.morning_in.at.is_none());
    }
}
