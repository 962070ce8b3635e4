//! Stage two: the defaults, and the file merged over them.
//!
//! [`merge`] fills every key the file leaves out with its default and
//! returns plain values that are not checked yet. Two things stay open
//! because they depend on other values: a checkpoint's `window` (computed
//! from the validated checkpoint times) and the required keys of `[[unit]]`
//! and `[[staff]]` entries (no default exists, so validation reports them).
//!
//! The attendance defaults are the hall's punch rules, the same values as
//! `AttendanceSettings::default()`; a test checks that the two agree.

use std::path::PathBuf;

use super::raw::{RawCalendar, RawCheckpoint, RawConfig, RawStaff, RawUnit};

/// Site name used in reports when `[site] name` is left out: "government
/// service hall".
pub const SITE_NAME: &str = "政务服务大厅";
/// IANA time zone of the site: China Standard Time, UTC+8, no daylight saving.
pub const TIME_ZONE: &str = "Asia/Shanghai";
/// HTTP listen address: loopback only, so a site must opt in to the network.
pub const HTTP_LISTEN: &str = "127.0.0.1:8080";
/// Largest HTTP request body in bytes (16 MiB), which bounds an uploaded
/// attendance export.
pub const HTTP_MAX_BODY_BYTES: i64 = 16 * 1024 * 1024;
/// Seconds a client may take to send a request's headers, including the
/// wait for the next request on a kept-alive connection.
pub const HTTP_HEADER_TIMEOUT_SECONDS: i64 = 30;
/// Most API connections open at once: a few people and the central
/// system read reports, so 64 is a wide margin (an estimate).
pub const HTTP_MAX_CONNECTIONS: i64 = 64;
/// SQLite journal file.
pub const JOURNAL_PATH: &str = "/var/lib/hallbox/journal.sqlite";
/// Working-day calendar kind: the official holiday files.
pub const CALENDAR_KIND: &str = "official";
/// Official calendar files, relative to the config file's folder.
pub const CALENDAR_FILES: [&str; 2] = ["calendar/cn-2025.toml", "calendar/cn-2026.toml"];
/// Checkpoint times (HH:MM local time) from the punch rules: 上午签到 08:30,
/// 中午签退 12:00, 下午签到 14:30, 下午签退 18:00.
pub const CHECKPOINT_TIMES: [&str; 4] = ["08:30", "12:00", "14:30", "18:00"];
/// Start of the morning sign-in window (HH:MM): punches before it count for
/// no checkpoint.
pub const FIRST_WINDOW_START: &str = "05:00";
/// Seconds after a person's first punch in which further punches join it.
pub const REPEAT_WINDOW_SECONDS: i64 = 60;
/// Late-or-early counts in a month that make one deemed absence (视为旷工).
pub const DEEMED_ABSENCE_EVERY: i64 = 3;
/// Absences in a calendar year at which a person is flagged for return to
/// their department.
pub const CUMULATIVE_ABSENCE_THRESHOLD: i64 = 3;
/// Points of the monthly attendance item (出勤值勤).
pub const POINTS_ITEM: f64 = 20.0;
/// Points deducted per late count.
pub const POINTS_PER_LATE: f64 = 2.0;
/// Points deducted per early count.
pub const POINTS_PER_EARLY: f64 = 2.0;
/// Points deducted per whole day of absence.
pub const POINTS_PER_ABSENT_DAY: f64 = 3.0;
/// Points deducted per deemed absence.
pub const POINTS_PER_DEEMED_ABSENCE: f64 = 3.0;
/// Earliest possible punch date (YYYY-MM-DD): a clock whose battery died
/// restarts at a date such as 2000-01-01, and such punches are rejected.
pub const IMPORT_EARLIEST: &str = "2010-01-01";
/// Minutes after now beyond which a punch is impossible (one day).
pub const IMPORT_MAX_FUTURE_MINUTES: i64 = 1440;
/// Whether punches with an unknown PIN create a person of their own.
pub const UNKNOWN_PINS_AS_PEOPLE: bool = false;

/// Log level or `EnvFilter` directive when `HALLBOX_LOG` is not set.
pub const LOG_LEVEL: &str = "info";
/// Seconds a configured device may stay disconnected before `GET /readyz`
/// fails: five minutes, longer than a keypad's or clock's reboot.
pub const LOST_DEVICE_SECONDS: i64 = 300;

/// The file with every default filled in, not yet validated.
#[derive(Debug)]
pub(super) struct Input {
    pub site: SiteInput,
    pub http: HttpInput,
    pub journal_path: PathBuf,
    pub calendar: CalendarInput,
    pub attendance: AttendanceInput,
    pub import: ImportInput,
    pub unknown_pins_as_people: bool,
    pub adms: super::adms::AdmsInput,
    pub units: Vec<RawUnit>,
    pub staff: Vec<RawStaff>,
    pub ratings: super::ratings::RatingsInput,
    pub duty: Vec<super::ratings::RawDuty>,
    pub log_level: String,
    pub lost_device_seconds: i64,
    /// The `[[token]]` entries; a token has no defaults.
    pub tokens: Vec<super::tokens::RawToken>,
    pub devices: Vec<super::devices::RawDevice>,
    /// GPIO devices: their defaults are filled in by their validation.
    pub wiegand: Vec<super::gpio::RawWiegand>,
    pub button_keypads: Vec<super::gpio::RawButtonKeypad>,
}

#[derive(Debug)]
pub(super) struct SiteInput {
    pub name: String,
    pub time_zone: String,
}

#[derive(Debug)]
pub(super) struct HttpInput {
    pub listen: String,
    pub max_body_bytes: i64,
    pub header_timeout_seconds: i64,
    pub max_connections: i64,
}

#[derive(Debug)]
pub(super) struct CalendarInput {
    pub kind: String,
    pub files: Vec<PathBuf>,
    /// Whether `files` came from the file rather than the defaults.
    pub files_set: bool,
}

#[derive(Debug)]
pub(super) struct AttendanceInput {
    /// In the order of `Checkpoint::ALL`.
    pub checkpoints: [CheckpointInput; 4],
    pub first_window_start: String,
    pub repeat_window_seconds: i64,
    pub deemed_absence_every: i64,
    pub cumulative_absence_threshold: i64,
    pub points: PointsInput,
}

#[derive(Debug)]
pub(super) struct CheckpointInput {
    /// The checkpoint's table name under `[attendance]`, for error keys.
    pub name: &'static str,
    pub at: String,
    /// `None` when the file leaves it out: validation computes it.
    pub window: Option<Vec<String>>,
}

#[derive(Debug)]
pub(super) struct PointsInput {
    pub item: f64,
    pub per_late: f64,
    pub per_early: f64,
    pub per_absent_day: f64,
    pub per_deemed_absence: f64,
}

#[derive(Debug)]
pub(super) struct ImportInput {
    pub earliest: toml::Value,
    pub max_future_minutes: i64,
}

/// Table names of the four checkpoints under `[attendance]`, in the order of
/// `Checkpoint::ALL`.
pub(super) const CHECKPOINT_NAMES: [&str; 4] =
    ["morning_in", "noon_out", "afternoon_in", "evening_out"];

/// Fills every key the file leaves out with its default.
pub(super) fn merge(raw: RawConfig) -> Input {
    let attendance = raw.attendance;
    let points = attendance.points;
    let raw_checkpoints = [
        attendance.morning_in,
        attendance.noon_out,
        attendance.afternoon_in,
        attendance.evening_out,
    ];

    Input {
        site: SiteInput {
            name: raw.site.name.unwrap_or_else(|| SITE_NAME.to_string()),
            time_zone: raw.site.time_zone.unwrap_or_else(|| TIME_ZONE.to_string()),
        },
        http: HttpInput {
            listen: raw.http.listen.unwrap_or_else(|| HTTP_LISTEN.to_string()),
            max_body_bytes: raw.http.max_body_bytes.unwrap_or(HTTP_MAX_BODY_BYTES),
            header_timeout_seconds: raw
                .http
                .header_timeout_seconds
                .unwrap_or(HTTP_HEADER_TIMEOUT_SECONDS),
            max_connections: raw.http.max_connections.unwrap_or(HTTP_MAX_CONNECTIONS),
        },
        journal_path: raw.journal.path.unwrap_or_else(|| JOURNAL_PATH.into()),
        calendar: merge_calendar(raw.calendar),
        attendance: AttendanceInput {
            checkpoints: merge_checkpoints(raw_checkpoints),
            first_window_start: attendance
                .first_window_start
                .unwrap_or_else(|| FIRST_WINDOW_START.to_string()),
            repeat_window_seconds: attendance
                .repeat_window_seconds
                .unwrap_or(REPEAT_WINDOW_SECONDS),
            deemed_absence_every: attendance
                .deemed_absence_every
                .unwrap_or(DEEMED_ABSENCE_EVERY),
            cumulative_absence_threshold: attendance
                .cumulative_absence_threshold
                .unwrap_or(CUMULATIVE_ABSENCE_THRESHOLD),
            points: PointsInput {
                item: points.item.unwrap_or(POINTS_ITEM),
                per_late: points.per_late.unwrap_or(POINTS_PER_LATE),
                per_early: points.per_early.unwrap_or(POINTS_PER_EARLY),
                per_absent_day: points.per_absent_day.unwrap_or(POINTS_PER_ABSENT_DAY),
                per_deemed_absence: points
                    .per_deemed_absence
                    .unwrap_or(POINTS_PER_DEEMED_ABSENCE),
            },
        },
        import: ImportInput {
            earliest: raw
                .import
                .earliest
                .unwrap_or_else(|| toml::Value::String(IMPORT_EARLIEST.to_string())),
            max_future_minutes: raw
                .import
                .max_future_minutes
                .unwrap_or(IMPORT_MAX_FUTURE_MINUTES),
        },
        unknown_pins_as_people: raw
            .roster
            .unknown_pins_as_people
            .unwrap_or(UNKNOWN_PINS_AS_PEOPLE),
        adms: super::adms::merge(raw.adms),
        units: raw.unit,
        staff: raw.staff,
        ratings: super::ratings::merge_ratings(raw.ratings),
        duty: raw.duty,
        log_level: raw.log.level.unwrap_or_else(|| LOG_LEVEL.to_string()),
        lost_device_seconds: raw
            .health
            .lost_device_seconds
            .unwrap_or(LOST_DEVICE_SECONDS),
        tokens: raw.token,
        devices: raw.device,
        wiegand: raw.wiegand,
        button_keypads: raw.button_keypad,
    }
}

fn merge_calendar(raw: RawCalendar) -> CalendarInput {
    let files_set = raw.files.is_some();
    let files = raw
        .files
        .unwrap_or_else(|| CALENDAR_FILES.iter().map(PathBuf::from).collect());
    CalendarInput {
        kind: raw.kind.unwrap_or_else(|| CALENDAR_KIND.to_string()),
        files,
        files_set,
    }
}

fn merge_checkpoints(raw: [RawCheckpoint; 4]) -> [CheckpointInput; 4] {
    let [morning_in, noon_out, afternoon_in, evening_out] = raw;
    [
        merge_checkpoint(0, morning_in),
        merge_checkpoint(1, noon_out),
        merge_checkpoint(2, afternoon_in),
        merge_checkpoint(3, evening_out),
    ]
}

fn merge_checkpoint(index: usize, raw: RawCheckpoint) -> CheckpointInput {
    CheckpointInput {
        name: CHECKPOINT_NAMES[index],
        at: raw
            .at
            .unwrap_or_else(|| CHECKPOINT_TIMES[index].to_string()),
        window: raw.window,
    }
}
