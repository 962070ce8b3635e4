//! The daemon's configuration: one TOML file, `hallbox.toml`.
//!
//! Loading runs in three stages:
//!
//! 1. [`raw`]: serde reads the text into structs where every key is optional
//!    and unknown keys are errors. A TOML error stops here, with the line and
//!    column toml gives.
//! 2. [`defaults`]: every key left out takes its default.
//! 3. [`validate`]: the values are checked and turned into the types of
//!    [`Config`], which rule out bad values. Every problem is collected, so
//!    one run reports all of them, each with the file, the dotted key and
//!    what is allowed.
//!
//! Relative paths in the file (the journal, the calendar files) start at the
//! folder of the config file. The shipped example, `config/hallbox.toml`,
//! documents every key.
//!
//! Adding a section takes a raw struct and a field in `raw::RawConfig`, its
//! defaults and a field in `defaults::Input`, a validation function called
//! from `validate::validate`, and a field in [`Config`].

mod adms;
mod attendance;
mod defaults;
mod devices;
mod error;
mod gpio;
mod ratings;
mod raw;
mod roster;
mod tokens;
mod validate;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::calendar::Calendar;
use crate::rules::ratings::{DutyAssignment, RatingSettings};
use crate::rules::AttendanceSettings;

pub use adms::{AdmsClock, AdmsSettings};
pub use devices::{ClockLineDevice, Device, DeviceKind, FingerprintDevice, KeypadDevice};
pub use error::{ConfigError, ConfigErrors, KeyError};
pub use gpio::{ButtonKeypad, ConfirmOutput, Credentials, GpioDevices, WiegandReader};
pub use tokens::TokenEntry;

/// The validated configuration of one site.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file the configuration came from, as given to [`load`] or
    /// [`parse`].
    pub source: PathBuf,
    pub site: Site,
    pub http: HttpSettings,
    pub journal: JournalSettings,
    /// The working-day calendar, with the official files already loaded.
    pub calendar: Calendar,
    pub attendance: AttendanceSettings,
    pub import: ImportSettings,
    pub roster: RosterSettings,
    /// The `[[unit]]` entries in file order.
    pub units: Vec<Unit>,
    /// The `[[staff]]` entries in file order.
    pub staff: Vec<Staff>,
    /// The `[[wiegand]]` readers and `[[button_keypad]]` keypads.
    pub gpio: GpioDevices,
    /// `[ratings]`: settings of the satisfaction keypad rules.
    pub ratings: RatingSettings,
    /// The `[[duty]]` entries in file order: who serves which window from
    /// which day. The API adds assignments on top of these.
    pub duty: Vec<DutyAssignment>,
    /// `[adms]`: network clocks that push punches over HTTP.
    pub adms: AdmsSettings,
    pub log: LogSettings,
    pub health: HealthSettings,
    /// The `[[token]]` entries in file order: who may call the API.
    pub tokens: Vec<TokenEntry>,
    /// The `[[device]]` entries in file order: serial devices read live.
    pub devices: Vec<Device>,
}

/// `[log]`: what the daemon logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// `EnvFilter` directive such as "info" or "hallbox=debug"; the
    /// `HALLBOX_LOG` environment variable overrides it.
    pub level: String,
}

/// `[health]`: when the daemon reports itself not ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthSettings {
    /// How long a configured device may stay disconnected before
    /// `GET /readyz` fails.
    pub lost_device_after: std::time::Duration,
}

/// `[site]`: the hall this box serves.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// Name shown in reports, e.g. "某县政务服务中心 东大厅"; trimmed.
    pub name: String,
    /// Time zone of the clocks and of every rule time.
    pub time_zone: Tz,
}

/// `[http]`: the report and upload API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Address and port the API listens on.
    pub listen: SocketAddr,
    /// Largest request body in bytes, which bounds an uploaded export.
    pub max_body_bytes: usize,
    /// Time a client may take to send a request's headers; a connection
    /// that takes longer is closed.
    pub header_timeout: std::time::Duration,
    /// Most connections open at once; more wait to be accepted.
    pub max_connections: usize,
}

/// `[journal]`: the append-only SQLite journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalSettings {
    /// Path of the SQLite file, already resolved against the config file's
    /// folder when written as a relative path.
    pub path: PathBuf,
}

/// `[import]`: bounds that mark a punch's time as impossible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSettings {
    /// Punches dated before this day are rejected (a clock reset to its
    /// factory date writes such punches).
    pub earliest: NaiveDate,
    /// Punches later than the time of import plus this are rejected.
    pub max_future: chrono::Duration,
}

/// `[roster]`: how punches relate to the staff list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterSettings {
    /// Whether a punch whose PIN no staff member has is treated as a person
    /// of its own, identified by the PIN.
    pub unknown_pins_as_people: bool,
}

/// A `[[unit]]`: a department with service windows in the hall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// Short lowercase ASCII slug, unique among units, e.g. "tax".
    pub id: String,
    /// Full name, e.g. "县税务局"; trimmed.
    pub name: String,
    /// Staff id of the chief representative (首席代表), a member of this
    /// unit.
    pub chief: Option<String>,
    /// The unit's windows in file order.
    pub windows: Vec<Window>,
}

/// A service window of a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// ASCII id, unique across the hall, e.g. "W01".
    pub id: String,
    /// Name shown in reports, e.g. "1号窗口"; trimmed.
    pub name: String,
}

/// A `[[staff]]`: a person on the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// ASCII id, unique among staff, e.g. "S001".
    pub id: String,
    /// Full name, e.g. "张三"; trimmed.
    pub name: String,
    /// Id of the person's unit, one of the declared units.
    pub unit: String,
    /// Clock PINs as written, ASCII digits. No two staff members share a
    /// PIN, where PINs that differ only in leading zeros count as the same.
    pub pins: Vec<String>,
    /// First day on the roster, if limited.
    pub start: Option<NaiveDate>,
    /// Last day on the roster, if limited; not before `start`.
    pub end: Option<NaiveDate>,
}

/// Reads, parses and validates the config file at `path`.
///
/// Relative paths inside the file start at the file's folder, made absolute
/// from the current directory.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let base_dir = std::path::absolute(folder).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text, &base_dir)
}

/// Parses and validates config text.
///
/// `path_for_messages` names the file in errors and becomes
/// [`Config::source`]; relative paths inside the text start at `base_dir`.
/// The calendar files are read from disk.
pub fn parse(path_for_messages: &Path, text: &str, base_dir: &Path) -> Result<Config, ConfigError> {
    let raw = raw::parse_raw(path_for_messages, text)?;
    let input = defaults::merge(raw);
    let config = validate::validate(input, path_for_messages, base_dir)?;
    Ok(config)
}
