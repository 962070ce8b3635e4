//! `[adms]` and `[[adms.clock]]`: network clocks that push punches with
//! ZKTeco's ADMS ("iclock") HTTP protocol.
//!
//! The section holds the listener's address, the body limit, the options
//! sent to every clock in the handshake, and how long a silent clock may
//! stay silent before it counts as lost. Each `[[adms.clock]]` names one
//! clock by its serial number. Clocks send no credentials, so the listener
//! accepts requests only from the serial numbers listed here. With no
//! `[[adms.clock]]` entry the listener does not start.
//!
//! The three stages of the configuration live together in this file: the
//! raw TOML structs, [`merge`] over the defaults, and [`validate_adms`].

use std::collections::BTreeMap;
use std::net::SocketAddr;

use chrono::NaiveTime;
use hallbox_drivers::adms::{SerialNumber, RECOMMENDED_MAX_BODY_BYTES};
use serde::Deserialize;

use super::error::Problems;
use super::validate::non_empty_text;

/// Listen address of the ADMS listener: loopback only, so a site must set
/// its LAN address before a clock can reach the box.
pub const ADMS_LISTEN: &str = "127.0.0.1:8081";
/// Largest upload body in bytes (8 MiB, about 160,000 ATTLOG lines), the
/// limit the protocol core recommends.
pub const ADMS_MAX_BODY_BYTES: i64 = RECOMMENDED_MAX_BODY_BYTES as i64;
/// `Delay`: seconds between two command polls of a clock. 10 is what the
/// protocol core sends by default.
pub const ADMS_DELAY_SECONDS: i64 = 10;
/// `ErrorDelay`: seconds a clock waits before it retries a failed request.
pub const ADMS_ERROR_DELAY_SECONDS: i64 = 30;
/// `TransTimes`: times of day (HH:MM) at which a clock uploads whatever it
/// has not uploaded yet.
pub const ADMS_TRANS_TIMES: [&str; 2] = ["00:00", "14:05"];
/// `TransInterval`: minutes between a clock's checks for new records.
pub const ADMS_TRANS_INTERVAL_MINUTES: i64 = 1;
/// `TransFlag`: punches, the operation log and user records, but no photos
/// or biometric templates, which hallbox does not keep.
pub const ADMS_TRANS_FLAG: &str = "TransData AttLog OpLog EnrollUser ChgUser";
/// Multiple of `Delay` after which a silent clock counts as lost: six missed
/// polls, one minute with the default `Delay`.
pub const ADMS_LOST_AFTER_DELAYS: i64 = 6;
/// Seconds between a punch's clock time and the box's receive time above
/// which the punch is flagged (two minutes).
pub const ADMS_MAX_CLOCK_SKEW_SECONDS: i64 = 120;
/// Whether the box sets a clock's time when the clock's punches show it is
/// off. Off by default, because a box without a battery-backed clock or
/// network time would set every clock to its own wrong time.
pub const ADMS_SET_CLOCK_TIME: bool = false;

/// Maximum body limit accepted, in bytes (64 MiB): bodies are held in memory
/// on a small box.
const MAX_BODY_LIMIT: i64 = 64 * 1024 * 1024;
/// Minimum body limit accepted, in bytes: a few ATTLOG lines.
const MIN_BODY_LIMIT: i64 = 1024;
/// Maximum `Delay` and `ErrorDelay`, in seconds (one hour).
const MAX_DELAY_SECONDS: i64 = 3600;
/// Maximum `TransInterval`, in minutes (one day).
const MAX_TRANS_INTERVAL_MINUTES: i64 = 1440;
/// Maximum length of `TransFlag`, in bytes.
const MAX_TRANS_FLAG_LEN: usize = 256;
/// Maximum lost-after multiple. The minimum is 2, so one late poll never
/// counts as an outage.
const MAX_LOST_AFTER_DELAYS: i64 = 1000;
/// Maximum clock skew limit, in seconds (one day).
const MAX_CLOCK_SKEW_LIMIT: i64 = 86_400;
/// Maximum length of a clock id, in bytes, as for an imported device id.
const MAX_CLOCK_ID_LEN: usize = 64;

/// `[adms]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawAdms {
    pub listen: Option<String>,
    pub max_body_bytes: Option<i64>,
    pub delay_seconds: Option<i64>,
    pub error_delay_seconds: Option<i64>,
    pub trans_times: Option<Vec<String>>,
    pub trans_interval_minutes: Option<i64>,
    pub trans_flag: Option<String>,
    pub lost_after_delays: Option<i64>,
    pub max_clock_skew_seconds: Option<i64>,
    pub set_clock_time: Option<bool>,
    pub clock: Vec<RawAdmsClock>,
}

/// One `[[adms.clock]]` as written.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawAdmsClock {
    pub id: Option<String>,
    pub serial_number: Option<String>,
    pub name: Option<String>,
}

/// `[adms]` with every default filled in, not yet validated.
#[derive(Debug)]
pub(super) struct AdmsInput {
    pub listen: String,
    pub max_body_bytes: i64,
    pub delay_seconds: i64,
    pub error_delay_seconds: i64,
    pub trans_times: Vec<String>,
    pub trans_interval_minutes: i64,
    pub trans_flag: String,
    pub lost_after_delays: i64,
    pub max_clock_skew_seconds: i64,
    pub set_clock_time: bool,
    pub clocks: Vec<RawAdmsClock>,
}

/// The validated `[adms]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmsSettings {
    /// Address and port of the ADMS listener.
    pub listen: SocketAddr,
    /// Largest upload body, in bytes.
    pub max_body_bytes: usize,
    /// `Delay` sent to clocks: seconds between command polls.
    pub delay_secs: u32,
    /// `ErrorDelay` sent to clocks: seconds before a retry.
    pub error_delay_secs: u32,
    /// `TransTimes` sent to clocks, in file order.
    pub trans_times: Vec<NaiveTime>,
    /// `TransInterval` sent to clocks, in minutes.
    pub trans_interval_mins: u32,
    /// `TransFlag` sent to clocks.
    pub trans_flag: String,
    /// A clock silent for longer than this many `Delay`s counts as lost.
    pub lost_after_delays: u32,
    /// A punch whose clock time and receive time differ by more than this
    /// many seconds is flagged.
    pub max_clock_skew_secs: u32,
    /// Whether the box sends a clock whose time is off a command that sets
    /// the clock to the box's time.
    pub set_clock_time: bool,
    /// The `[[adms.clock]]` entries in file order.
    pub clocks: Vec<AdmsClock>,
}

impl AdmsSettings {
    /// Returns the silence after which a clock counts as lost:
    /// `lost_after_delays` × `Delay`.
    pub fn lost_after(&self) -> std::time::Duration {
        std::time::Duration::from_secs(
            u64::from(self.delay_secs) * u64::from(self.lost_after_delays),
        )
    }
}

/// A `[[adms.clock]]`: one network clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmsClock {
    /// Device id of the clock's events in the journal, unique among clocks,
    /// e.g. "face-east-1".
    pub id: String,
    /// Serial number the clock sends as `SN`, unique among clocks.
    pub serial_number: SerialNumber,
    /// Name for people, e.g. "东大厅人脸考勤机"; trimmed.
    pub name: Option<String>,
}

/// Fills every key the file leaves out with its default.
pub(super) fn merge(raw: RawAdms) -> AdmsInput {
    AdmsInput {
        listen: raw.listen.unwrap_or_else(|| ADMS_LISTEN.to_string()),
        max_body_bytes: raw.max_body_bytes.unwrap_or(ADMS_MAX_BODY_BYTES),
        delay_seconds: raw.delay_seconds.unwrap_or(ADMS_DELAY_SECONDS),
        error_delay_seconds: raw.error_delay_seconds.unwrap_or(ADMS_ERROR_DELAY_SECONDS),
        trans_times: raw
            .trans_times
            .unwrap_or_else(|| ADMS_TRANS_TIMES.iter().map(|t| t.to_string()).collect()),
        trans_interval_minutes: raw
            .trans_interval_minutes
            .unwrap_or(ADMS_TRANS_INTERVAL_MINUTES),
        trans_flag: raw
            .trans_flag
            .unwrap_or_else(|| ADMS_TRANS_FLAG.to_string()),
        lost_after_delays: raw.lost_after_delays.unwrap_or(ADMS_LOST_AFTER_DELAYS),
        max_clock_skew_seconds: raw
            .max_clock_skew_seconds
            .unwrap_or(ADMS_MAX_CLOCK_SKEW_SECONDS),
        set_clock_time: raw.set_clock_time.unwrap_or(ADMS_SET_CLOCK_TIME),
        clocks: raw.clock,
    }
}

/// Validates `[adms]`; returns `None` after recording every problem.
pub(super) fn validate_adms(input: &AdmsInput, problems: &mut Problems) -> Option<AdmsSettings> {
    let listen = problems.check(
        "adms.listen",
        input.listen.parse::<SocketAddr>().map_err(|_| {
            format!(
                "invalid socket address '{}': expected IP:PORT such as 127.0.0.1:8081, \
                 or the box's LAN address such as 192.168.1.10:8081 so that clocks reach it",
                input.listen
            )
        }),
    );
    let max_body_bytes = problems.check(
        "adms.max_body_bytes",
        number_in(
            input.max_body_bytes,
            MIN_BODY_LIMIT,
            MAX_BODY_LIMIT,
            "bytes",
        )
        .map(|bytes| bytes as usize),
    );
    let delay_secs = problems.check(
        "adms.delay_seconds",
        number_in(input.delay_seconds, 1, MAX_DELAY_SECONDS, "seconds"),
    );
    let error_delay_secs = problems.check(
        "adms.error_delay_seconds",
        number_in(input.error_delay_seconds, 1, MAX_DELAY_SECONDS, "seconds"),
    );
    let trans_times = validate_trans_times(&input.trans_times, problems);
    let trans_interval_mins = problems.check(
        "adms.trans_interval_minutes",
        number_in(
            input.trans_interval_minutes,
            1,
            MAX_TRANS_INTERVAL_MINUTES,
            "minutes",
        ),
    );
    let trans_flag = problems.check("adms.trans_flag", trans_flag(&input.trans_flag));
    let lost_after_delays = problems.check(
        "adms.lost_after_delays",
        number_in(input.lost_after_delays, 2, MAX_LOST_AFTER_DELAYS, "polls"),
    );
    let max_clock_skew_secs = problems.check(
        "adms.max_clock_skew_seconds",
        number_in(
            input.max_clock_skew_seconds,
            1,
            MAX_CLOCK_SKEW_LIMIT,
            "seconds",
        ),
    );
    let clocks = validate_clocks(&input.clocks, problems);

    Some(AdmsSettings {
        listen: listen?,
        max_body_bytes: max_body_bytes?,
        delay_secs: delay_secs?,
        error_delay_secs: error_delay_secs?,
        trans_times: trans_times?,
        trans_interval_mins: trans_interval_mins?,
        trans_flag: trans_flag?,
        lost_after_delays: lost_after_delays?,
        max_clock_skew_secs: max_clock_skew_secs?,
        set_clock_time: input.set_clock_time,
        clocks: clocks?,
    })
}

/// Checks that `value` lies in `[min, max]`; `unit` names it in the message.
fn number_in(value: i64, min: i64, max: i64, unit: &str) -> Result<u32, String> {
    if value < min || value > max {
        return Err(format!(
            "invalid value {value}: expected a whole number of {unit} from {min} to {max}"
        ));
    }
    u32::try_from(value).map_err(|_| format!("invalid value {value}: too large"))
}

fn validate_trans_times(times: &[String], problems: &mut Problems) -> Option<Vec<NaiveTime>> {
    if times.is_empty() {
        problems.add(
            "adms.trans_times",
            "empty list: give at least one upload time such as [\"00:00\"]",
        );
        return None;
    }
    let mut parsed = Vec::new();
    let mut valid = true;
    for (index, text) in times.iter().enumerate() {
        match hour_minute(text) {
            Some(time) => parsed.push(time),
            None => {
                problems.add(
                    format!("adms.trans_times[{index}]"),
                    format!(
                        "invalid time '{text}': expected HH:MM from 00:00 to 23:59 such as 14:05"
                    ),
                );
                valid = false;
            }
        }
    }
    valid.then_some(parsed)
}

/// Parses exactly "HH:MM", zero-padded.
fn hour_minute(text: &str) -> Option<NaiveTime> {
    let well_formed = text.len() == 5
        && text.as_bytes()[2] == b':'
        && text
            .bytes()
            .enumerate()
            .all(|(index, byte)| index == 2 || byte.is_ascii_digit());
    if !well_formed {
        return None;
    }
    NaiveTime::parse_from_str(text, "%H:%M").ok()
}

fn trans_flag(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    let valid = !trimmed.is_empty()
        && trimmed.len() <= MAX_TRANS_FLAG_LEN
        && !trimmed.chars().any(char::is_control);
    if valid {
        Ok(trimmed.to_string())
    } else {
        Err(format!(
            "invalid TransFlag '{}': expected 1 to {MAX_TRANS_FLAG_LEN} characters without \
             line breaks, such as \"{ADMS_TRANS_FLAG}\"",
            text.escape_default()
        ))
    }
}

fn validate_clocks(raw_clocks: &[RawAdmsClock], problems: &mut Problems) -> Option<Vec<AdmsClock>> {
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut serials: BTreeMap<&str, usize> = BTreeMap::new();
    let mut clocks = Vec::new();

    for (index, raw) in raw_clocks.iter().enumerate() {
        let prefix = format!("adms.clock[{index}]");

        let id_key = format!("{prefix}.id");
        let id = problems.check(&id_key, clock_id(raw.id.as_deref()));
        if let Some(id) = raw.id.as_deref() {
            if let Some(first) = ids.insert(id, index) {
                problems.add(
                    &id_key,
                    format!("duplicate clock id '{id}': adms.clock[{first}] already uses it"),
                );
            }
        }

        let serial_key = format!("{prefix}.serial_number");
        let serial_number =
            problems.check(&serial_key, serial_number(raw.serial_number.as_deref()));
        if let Some(serial) = raw.serial_number.as_deref() {
            if let Some(first) = serials.insert(serial, index) {
                problems.add(
                    &serial_key,
                    format!(
                        "duplicate serial number '{serial}': adms.clock[{first}] already uses it"
                    ),
                );
            }
        }

        let name = match raw.name.as_deref() {
            Some(name) => problems
                .check(
                    &format!("{prefix}.name"),
                    non_empty_text(name, "\"东大厅人脸考勤机\""),
                )
                .map(Some),
            None => Some(None),
        };

        clocks.push(match (id, serial_number, name) {
            (Some(id), Some(serial_number), Some(name)) => Some(AdmsClock {
                id,
                serial_number,
                name,
            }),
            _ => None,
        });
    }
    clocks.into_iter().collect()
}

/// Checks a clock id: 1 to 64 ASCII letters, digits, '-', '_' or '.', the
/// same rule as a device id given to an import.
fn clock_id(id: Option<&str>) -> Result<String, String> {
    let id = id.ok_or_else(|| "missing key: add it, e.g. id = \"face-east-1\"".to_string())?;
    let valid = !id.is_empty()
        && id.len() <= MAX_CLOCK_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(id.to_string())
    } else {
        Err(format!(
            "invalid clock id '{id}': expected 1 to {MAX_CLOCK_ID_LEN} ASCII letters, digits, \
             '-', '_' or '.' such as face-east-1"
        ))
    }
}

fn serial_number(serial: Option<&str>) -> Result<SerialNumber, String> {
    let serial = serial.ok_or_else(|| {
        "missing key: add the serial number shown in the clock's system information menu, \
         e.g. serial_number = \"CKJ4213600282\""
            .to_string()
    })?;
    SerialNumber::parse(serial).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{parse, ConfigError, ConfigErrors};

    fn parse_text(text: &str) -> Result<crate::config::Config, ConfigError> {
        let config_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
        parse(Path::new("hallbox.toml"), text, &config_dir)
    }

    fn errors(text: &str) -> ConfigErrors {
        match parse_text(text) {
            Err(ConfigError::Invalid(errors)) => errors,
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    fn time(text: &str) -> NaiveTime {
        NaiveTime::parse_from_str(text, "%H:%M").unwrap()
    }

    #[test]
    fn adms_defaults_without_section() {
        let config = parse_text("").unwrap();
        let adms = &config.adms;
        assert_eq!(adms.listen, "127.0.0.1:8081".parse::<SocketAddr>().unwrap());
        assert_eq!(adms.max_body_bytes, 8 * 1024 * 1024);
        assert_eq!(adms.delay_secs, 10);
        assert_eq!(adms.error_delay_secs, 30);
        assert_eq!(adms.trans_times, vec![time("00:00"), time("14:05")]);
        assert_eq!(adms.trans_interval_mins, 1);
        assert_eq!(adms.trans_flag, "TransData AttLog OpLog EnrollUser ChgUser");
        assert_eq!(adms.lost_after_delays, 6);
        assert_eq!(adms.lost_after(), std::time::Duration::from_secs(60));
        assert_eq!(adms.max_clock_skew_secs, 120);
        assert!(!adms.set_clock_time);
        assert!(adms.clocks.is_empty());
    }

    #[test]
    fn adms_section_values() {
        let config = parse_text(
            r#"
            [adms]
            listen = "0.0.0.0:8090"
            max_body_bytes = 2048
            delay_seconds = 5
            error_delay_seconds = 60
            trans_times = ["09:00", "18:30"]
            trans_interval_minutes = 2
            trans_flag = "1111000000"
            lost_after_delays = 3
            max_clock_skew_seconds = 30
            set_clock_time = true

            [[adms.clock]]
            id = "face-east-1"
            serial_number = "CKJ4213600282"
            name = " 东大厅人脸考勤机 "

            [[adms.clock]]
            id = "face.west_2"
            serial_number = "A1"
            "#,
        )
        .unwrap();
        let adms = config.adms;
        assert_eq!(adms.listen, "0.0.0.0:8090".parse::<SocketAddr>().unwrap());
        assert_eq!(adms.max_body_bytes, 2048);
        assert_eq!(adms.delay_secs, 5);
        assert_eq!(adms.error_delay_secs, 60);
        assert_eq!(adms.trans_times, vec![time("09:00"), time("18:30")]);
        assert_eq!(adms.trans_interval_mins, 2);
        assert_eq!(adms.trans_flag, "1111000000");
        assert_eq!(adms.lost_after(), std::time::Duration::from_secs(15));
        assert_eq!(adms.max_clock_skew_secs, 30);
        assert!(adms.set_clock_time);
        assert_eq!(
            adms.clocks,
            vec![
                AdmsClock {
                    id: "face-east-1".to_string(),
                    serial_number: SerialNumber::parse("CKJ4213600282").unwrap(),
                    name: Some("东大厅人脸考勤机".to_string()),
                },
                AdmsClock {
                    id: "face.west_2".to_string(),
                    serial_number: SerialNumber::parse("A1").unwrap(),
                    name: None,
                },
            ]
        );
    }

    #[test]
    fn adms_invalid_values_named() {
        let errors = errors(
            r#"
            [adms]
            listen = "localhost"
            max_body_bytes = 10
            delay_seconds = 0
            error_delay_seconds = 3601
            trans_times = ["9:00", "24:00", "12:00"]
            trans_interval_minutes = 0
            trans_flag = "AttLog\nDelay=1"
            lost_after_delays = 1
            max_clock_skew_seconds = 0
            "#,
        );
        let keys: Vec<&str> = errors.errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "adms.listen",
                "adms.max_body_bytes",
                "adms.delay_seconds",
                "adms.error_delay_seconds",
                "adms.trans_times[0]",
                "adms.trans_times[1]",
                "adms.trans_interval_minutes",
                "adms.trans_flag",
                "adms.lost_after_delays",
                "adms.max_clock_skew_seconds",
            ]
        );
        assert_eq!(
            errors.errors[2].message,
            "invalid value 0: expected a whole number of seconds from 1 to 3600"
        );
    }

    #[test]
    fn adms_empty_trans_times() {
        let errors = errors("[adms]\ntrans_times = []\n");
        assert!(errors.has_key("adms.trans_times"), "{errors}");
    }

    #[test]
    fn adms_clock_problems() {
        let errors = errors(
            r#"
            [[adms.clock]]
            id = "face 1"
            serial_number = "AB 12"

            [[adms.clock]]
            serial_number = "A1"
            name = "  "

            [[adms.clock]]
            id = "face-2"

            [[adms.clock]]
            id = "face-2"
            serial_number = "A1"
            "#,
        );
        let keys: Vec<&str> = errors.errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "adms.clock[0].id",
                "adms.clock[0].serial_number",
                "adms.clock[1].id",
                "adms.clock[1].name",
                "adms.clock[2].serial_number",
                "adms.clock[3].id",
                "adms.clock[3].serial_number",
            ]
        );
        assert_eq!(
            errors.errors[5].message,
            "duplicate clock id 'face-2': adms.clock[2] already uses it"
        );
        assert_eq!(
            errors.errors[6].message,
            "duplicate serial number 'A1': adms.clock[1] already uses it"
        );
    }

    #[test]
    fn adms_unknown_key_rejected() {
        let error = parse_text("[[adms.clock]]\nid = \"a\"\nserial = \"A1\"\n").unwrap_err();
        assert!(
            error.to_string().contains("adms.clock[0].serial"),
            "{error}"
        );
    }

    #[test]
    fn shipped_example_adms() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/hallbox.toml");
        let text = std::fs::read_to_string(&path).expect("read the shipped example");

        // As shipped, the clock entry is commented out and the listener off.
        let config = parse_text(&text).expect("shipped example parses");
        assert_eq!(
            config.adms.listen,
            "127.0.0.1:8081".parse::<SocketAddr>().unwrap()
        );
        assert_eq!(config.adms.delay_secs, 10);
        assert_eq!(config.adms.lost_after_delays, 6);
        assert!(!config.adms.set_clock_time);
        assert!(config.adms.clocks.is_empty());

        // With the "# " removed as its comment instructs, the clock is accepted.
        let enabled = text
            .replace("# [[adms.clock]]", "[[adms.clock]]")
            .replace("# id = \"face-east-1\"", "id = \"face-east-1\"")
            .replace("# serial_number = ", "serial_number = ")
            .replace("# name = \"东大厅", "name = \"东大厅");
        let config = parse_text(&enabled).expect("example with the clock parses");
        assert_eq!(
            config.adms.clocks,
            vec![AdmsClock {
                id: "face-east-1".to_string(),
                serial_number: SerialNumber::parse("CKJ4213600282").unwrap(),
                name: Some("东大厅人脸考勤机".to_string()),
            }]
        );
    }

    #[test]
    fn hour_minute_strict() {
        assert_eq!(hour_minute("00:00"), Some(time("00:00")));
        assert_eq!(hour_minute("23:59"), Some(time("23:59")));
        for bad in ["24:00", "9:00", "09:60", "09-00", "09:00 ", "０9:00", ""] {
            assert_eq!(hour_minute(bad), None, "{bad}");
        }
    }
}
