//! Stage three: validation of the merged values into the types of
//! [`Config`].
//!
//! Each section has one function that records every problem it finds and
//! returns `None` if it found any. [`validate`] runs all of them, so one run
//! reports every problem of the file. Attendance and the roster of units and
//! staff have modules of their own.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::attendance::validate_attendance;
use super::defaults::{CalendarInput, HttpInput, ImportInput, Input, SiteInput};
use super::devices::{validate_devices, RawDevice};
use super::error::{ConfigErrors, Problems};
use super::gpio::validate_gpio;
use super::ratings::{validate_duty, validate_ratings};
use super::raw::one_line;
use super::roster::validate_roster;
use super::tokens::validate_tokens;
use super::{
    Config, HealthSettings, HttpSettings, ImportSettings, JournalSettings, LogSettings,
    RosterSettings, Site,
};
use crate::calendar::{Calendar, CalendarError};

/// Calendar kind with holidays from the official files.
const KIND_OFFICIAL: &str = "official";
/// Calendar kind with every Monday to Friday a working day.
const KIND_MONDAY_TO_FRIDAY: &str = "monday-to-friday";

/// Validates every section; relative paths resolve against `base_dir`.
pub(super) fn validate(
    input: Input,
    source: &Path,
    base_dir: &Path,
) -> Result<Config, ConfigErrors> {
    let mut problems = Problems::default();

    let site = validate_site(&input.site, &mut problems);
    let http = validate_http(&input.http, &mut problems);
    let journal = validate_journal(&input.journal_path, base_dir, &mut problems);
    let calendar = validate_calendar(&input.calendar, source, base_dir, &mut problems);
    let attendance = validate_attendance(&input.attendance, &mut problems);
    let import = validate_import(&input.import, &mut problems);
    let roster = RosterSettings {
        unknown_pins_as_people: input.unknown_pins_as_people,
    };
    let people = validate_roster(&input.units, &input.staff, &mut problems);
    let ratings = validate_ratings(&input.ratings, &mut problems);
    let duty = validate_duty(&input.duty, &input.units, &input.staff, &mut problems);

    let adms = super::adms::validate_adms(&input.adms, &mut problems);
    let log = validate_log(&input.log_level, &mut problems);
    let health = validate_health(input.lost_device_seconds, &mut problems);
    let tokens = validate_tokens(&input.tokens, &input.units, &mut problems);

    // `None` comes only with a recorded problem, which returns below.
    let devices = validate_devices(&input.devices, &input.units, &input.staff, &mut problems);
    let validated_roster = people.as_ref().map(|(u, s)| (u.as_slice(), s.as_slice()));
    let gpio = validate_gpio(
        &input.wiegand,
        &input.button_keypads,
        validated_roster,
        &mut problems,
    );

    check_ids_across_kinds(&input, &mut problems);
    check_one_keypad_per_window(&input, &mut problems);

    if !problems.is_empty() {
        return Err(problems.into_errors(source));
    }
    // A section validator returns None only after recording a problem, so
    // with no problems every section is Some.
    const VALID: &str = "a section without problems is valid";
    let (units, staff) = people.expect(VALID);
    Ok(Config {
        source: source.to_path_buf(),
        site: site.expect(VALID),
        http: http.expect(VALID),
        journal: journal.expect(VALID),
        calendar: calendar.expect(VALID),
        attendance: attendance.expect(VALID),
        import: import.expect(VALID),
        roster,
        units,
        staff,
        ratings: ratings.expect(VALID),
        duty: duty.expect(VALID),
        adms: adms.expect(VALID),
        log: log.expect(VALID),
        health: health.expect(VALID),
        tokens: tokens.expect(VALID),
        devices: devices.expect(VALID),
        gpio,
    })
}

/// Reports a device id used by two kinds of device: a serial `[[device]]`,
/// a GPIO device (`[[wiegand]]` or `[[button_keypad]]`) or an
/// `[[adms.clock]]`. Each id is the `device_id` of its events, so two
/// devices may not share one. Ids repeated within one kind are reported by
/// that kind's checks.
fn check_ids_across_kinds(input: &Input, problems: &mut Problems) {
    let serial = input.devices.iter().enumerate().map(|(index, device)| {
        let id = match device {
            RawDevice::Fingerprint(raw) => raw.id.as_deref(),
            RawDevice::Keypad(raw) => raw.id.as_deref(),
            RawDevice::ClockLine(raw) => raw.id.as_deref(),
        };
        (0, format!("device[{index}]"), id)
    });
    let wiegand = input
        .wiegand
        .iter()
        .enumerate()
        .map(|(index, raw)| (1, format!("wiegand[{index}]"), raw.id.as_deref()));
    let buttons = input
        .button_keypads
        .iter()
        .enumerate()
        .map(|(index, raw)| (1, format!("button_keypad[{index}]"), raw.id.as_deref()));
    let clocks = input
        .adms
        .clocks
        .iter()
        .enumerate()
        .map(|(index, raw)| (2, format!("adms.clock[{index}]"), raw.id.as_deref()));

    let mut first: BTreeMap<&str, (u8, String)> = BTreeMap::new();
    for (kind, prefix, id) in serial.chain(wiegand).chain(buttons).chain(clocks) {
        let Some(id) = id else { continue };
        match first.get(id) {
            Some((first_kind, first_prefix)) if *first_kind != kind => problems.add(
                format!("{prefix}.id"),
                format!(
                    "duplicate device id '{id}': {first_prefix} already uses it, and each \
                     device's events are stored under its id: give this one another id"
                ),
            ),
            Some(_) => {}
            None => {
                first.insert(id, (kind, prefix));
            }
        }
    }
}

/// Reports a window rated by two keypads when one of them is a GPIO
/// `[[button_keypad]]`: a window's ratings come from one keypad, whose
/// repeats are detected per keypad. Two serial keypads on one window are reported by
/// the `[[device]]` checks.
fn check_one_keypad_per_window(input: &Input, problems: &mut Problems) {
    let mut rated_by: BTreeMap<&str, (bool, String)> = BTreeMap::new();
    for (index, device) in input.devices.iter().enumerate() {
        if let RawDevice::Keypad(raw) = device {
            for (address, window) in &raw.keypads {
                rated_by
                    .entry(window.as_str())
                    .or_insert((true, format!("device[{index}].keypads.{address}")));
            }
        }
    }
    for (index, raw) in input.button_keypads.iter().enumerate() {
        let Some(window) = raw.window.as_deref() else {
            continue;
        };
        let key = format!("button_keypad[{index}].window");
        match rated_by.get(window) {
            Some((_, first)) => problems.add(
                &key,
                format!(
                    "window '{window}' already has the keypad of {first}: give each window one \
                     keypad, so that its ratings come from one place"
                ),
            ),
            None => {
                rated_by.insert(window, (false, key));
            }
        }
    }
}

/// Longest `health.lost_device_seconds`: one day.
const MAX_LOST_DEVICE_SECONDS: i64 = 86_400;

/// Level names a bare word in `log.level` may be.
const LOG_LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

fn validate_log(level: &str, problems: &mut Problems) -> Option<LogSettings> {
    let expected = "expected a level (error, warn, info, debug, trace) or directives \
                    such as \"info,hallbox=debug\"";
    // EnvFilter reads a bare word that is not a level as a target name, so
    // "verbose" would silence every other target: accept bare levels only.
    let bare_word = level.split(',').map(str::trim).find(|part| {
        !part.contains(['=', '[', ':']) && !LOG_LEVELS.contains(&part.to_ascii_lowercase().as_str())
    });
    let checked = match bare_word {
        Some(word) => Err(format!("invalid log level '{word}': {expected}")),
        None => tracing_subscriber::EnvFilter::try_new(level)
            .map(|_| ())
            .map_err(|error| format!("invalid log level '{level}': {error}: {expected}")),
    };
    problems.check("log.level", checked)?;
    Some(LogSettings {
        level: level.to_string(),
    })
}

fn validate_health(lost_device_seconds: i64, problems: &mut Problems) -> Option<HealthSettings> {
    let checked = u64::try_from(lost_device_seconds)
        .ok()
        .filter(|seconds| (1..=MAX_LOST_DEVICE_SECONDS as u64).contains(seconds))
        .ok_or_else(|| {
            format!(
                "invalid duration {lost_device_seconds}: expected whole seconds from 1 to \
                 {MAX_LOST_DEVICE_SECONDS}, such as 300"
            )
        });
    let seconds = problems.check("health.lost_device_seconds", checked)?;
    Some(HealthSettings {
        lost_device_after: std::time::Duration::from_secs(seconds),
    })
}

fn validate_site(input: &SiteInput, problems: &mut Problems) -> Option<Site> {
    let name = problems.check(
        "site.name",
        non_empty_text(&input.name, "\"县政务服务中心\""),
    );
    let time_zone = problems.check(
        "site.time_zone",
        input.time_zone.parse::<Tz>().map_err(|_| {
            format!(
                "unknown time zone '{}': expected an IANA time zone name such as Asia/Shanghai",
                input.time_zone
            )
        }),
    );
    Some(Site {
        name: name?,
        time_zone: time_zone?,
    })
}

fn validate_http(input: &HttpInput, problems: &mut Problems) -> Option<HttpSettings> {
    let listen = problems.check(
        "http.listen",
        input.listen.parse::<SocketAddr>().map_err(|_| {
            format!(
                "invalid socket address '{}': expected IP:PORT such as 127.0.0.1:8080, \
                 0.0.0.0:8080 or [::1]:8080",
                input.listen
            )
        }),
    );
    let max_body_bytes = problems.check(
        "http.max_body_bytes",
        usize::try_from(input.max_body_bytes)
            .ok()
            .filter(|bytes| *bytes > 0)
            .ok_or_else(|| {
                format!(
                    "invalid size {}: expected a number of bytes of 1 or more \
                     such as 16777216 (16 MiB)",
                    input.max_body_bytes
                )
            }),
    );
    let header_timeout = problems.check(
        "http.header_timeout_seconds",
        u64::try_from(input.header_timeout_seconds)
            .ok()
            .filter(|seconds| (1..=3600).contains(seconds))
            .map(std::time::Duration::from_secs)
            .ok_or_else(|| {
                format!(
                    "invalid time {} s: expected 1 to 3600 seconds such as 30",
                    input.header_timeout_seconds
                )
            }),
    );
    let max_connections = problems.check(
        "http.max_connections",
        usize::try_from(input.max_connections)
            .ok()
            .filter(|count| (1..=10_000).contains(count))
            .ok_or_else(|| {
                format!(
                    "invalid count {}: expected 1 to 10000 connections such as 64",
                    input.max_connections
                )
            }),
    );
    Some(HttpSettings {
        listen: listen?,
        max_body_bytes: max_body_bytes?,
        header_timeout: header_timeout?,
        max_connections: max_connections?,
    })
}

fn validate_journal(
    path: &Path,
    base_dir: &Path,
    problems: &mut Problems,
) -> Option<JournalSettings> {
    if path.as_os_str().is_empty() {
        problems.add(
            "journal.path",
            "empty path: expected a file path such as /var/lib/hallbox/journal.sqlite",
        );
        return None;
    }
    Some(JournalSettings {
        path: resolve(base_dir, path),
    })
}

fn validate_calendar(
    input: &CalendarInput,
    source: &Path,
    base_dir: &Path,
    problems: &mut Problems,
) -> Option<Calendar> {
    match input.kind.as_str() {
        KIND_OFFICIAL => load_official_calendar(&input.files, source, base_dir, problems),
        KIND_MONDAY_TO_FRIDAY => {
            if input.files_set {
                problems.add(
                    "calendar.files",
                    format!(
                        "files are read only with kind = \"{KIND_OFFICIAL}\": \
                         remove calendar.files or set calendar.kind = \"{KIND_OFFICIAL}\""
                    ),
                );
                return None;
            }
            Some(Calendar::MondayToFriday)
        }
        other => {
            problems.add(
                "calendar.kind",
                format!(
                    "unknown calendar kind '{other}': expected \"{KIND_OFFICIAL}\" \
                     or \"{KIND_MONDAY_TO_FRIDAY}\""
                ),
            );
            None
        }
    }
}

/// Loads each official calendar file on its own, so that a problem is
/// reported under the key of the file that has it.
fn load_official_calendar(
    files: &[PathBuf],
    source: &Path,
    base_dir: &Path,
    problems: &mut Problems,
) -> Option<Calendar> {
    if files.is_empty() {
        problems.add(
            "calendar.files",
            "empty list: name at least one year's file such as \"calendar/cn-2026.toml\", \
             or set calendar.kind = \"monday-to-friday\"",
        );
        return None;
    }

    let mut years = std::collections::BTreeMap::new();
    let mut loaded_from = std::collections::BTreeMap::new();
    let mut valid = true;
    for (index, file) in files.iter().enumerate() {
        let key = format!("calendar.files[{index}]");
        if file.as_os_str().is_empty() {
            problems.add(
                key,
                "empty path: expected a file such as \"calendar/cn-2026.toml\"",
            );
            valid = false;
            continue;
        }
        let path = resolve(base_dir, file);
        match Calendar::load_official(std::slice::from_ref(&path)) {
            Ok(Calendar::Official { years: loaded }) => {
                for (year, exceptions) in loaded {
                    if let Some(first) = loaded_from.insert(year, index) {
                        problems.add(
                            key.clone(),
                            format!(
                                "year {year} is already loaded from calendar.files[{first}]: \
                                 list each year's file once"
                            ),
                        );
                        valid = false;
                    }
                    years.insert(year, exceptions);
                }
            }
            Ok(Calendar::MondayToFriday) => {}
            Err(error) => {
                problems.add(key, describe_calendar_error(&error, source, base_dir));
                valid = false;
            }
        }
    }
    valid.then_some(Calendar::Official { years })
}

fn describe_calendar_error(error: &CalendarError, source: &Path, base_dir: &Path) -> String {
    match error {
        CalendarError::Read { path, source: io } if io.kind() == std::io::ErrorKind::NotFound => {
            format!(
                "calendar file '{}' not found: a relative path starts at the folder of {} ({})",
                path.display(),
                source.display(),
                base_dir.display()
            )
        }
        CalendarError::Parse { path, source } => {
            // toml's own display spans several lines with an excerpt; keep
            // its position line and its message so the error stays on one.
            let display = source.to_string();
            let position = display.lines().next().unwrap_or_default();
            format!(
                "invalid calendar file '{}': {position}: {}",
                path.display(),
                one_line(source.message())
            )
        }
        other => one_line(&other.to_string()),
    }
}

/// Longest accepted clock lead in `import.max_future_minutes`: one year. A
/// clock further ahead is broken, and larger values would overflow times.
const MAX_FUTURE_MINUTES: i64 = 366 * 24 * 60;

fn validate_import(input: &ImportInput, problems: &mut Problems) -> Option<ImportSettings> {
    let earliest = problems.check("import.earliest", parse_date(&input.earliest));
    let max_future = problems.check(
        "import.max_future_minutes",
        (0..=MAX_FUTURE_MINUTES)
            .contains(&input.max_future_minutes)
            .then(|| chrono::Duration::try_minutes(input.max_future_minutes))
            .flatten()
            .ok_or_else(|| {
                format!(
                    "invalid number of minutes {}: expected 0 to {MAX_FUTURE_MINUTES} (one year), such as 1440 (one day)",
                    input.max_future_minutes
                )
            }),
    );
    Some(ImportSettings {
        earliest: earliest?,
        max_future: max_future?,
    })
}

/// Parses a date written as a TOML date (`2025-03-01`) or a string
/// (`"2025-03-01"`).
pub(super) fn parse_date(value: &toml::Value) -> Result<NaiveDate, String> {
    let expected = "expected a date YYYY-MM-DD such as 2025-03-01";
    match value {
        toml::Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| format!("invalid date '{text}': {expected}")),
        toml::Value::Datetime(datetime) => match (datetime.date, datetime.time, datetime.offset) {
            (Some(date), None, None) => {
                NaiveDate::from_ymd_opt(i32::from(date.year), date.month.into(), date.day.into())
                    .ok_or_else(|| format!("invalid date {datetime}: {expected}"))
            }
            _ => Err(format!(
                "invalid date {datetime}: {expected}, without a time of day"
            )),
        },
        other => Err(format!(
            "invalid date {other} (a {}): {expected}",
            other.type_str()
        )),
    }
}

/// Checks that a name is not empty or blank, and returns it trimmed.
pub(super) fn non_empty_text(text: &str, example: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        Err(format!("empty text: expected a name such as {example}"))
    } else {
        Ok(trimmed.to_string())
    }
}

/// Resolves a path from the file: absolute as written, relative from
/// `base_dir`.
fn resolve(base_dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base_dir.join(path)
    }
}
