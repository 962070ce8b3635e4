//! The `[[device]]` entries: serial devices the daemon reads live.
//!
//! Each entry names its `kind`, and the kind decides the other keys:
//!
//! - `fingerprint`: a UART fingerprint module of the R30x / R503 / AS608
//!   family. Its library pages map to staff members, and a matched page
//!   becomes a punch of that person.
//! - `keypad`: an RS-485 bus of satisfaction keypads speaking the protocol in
//!   `docs/protocols/keypad.md`. Keypad addresses map to service windows and
//!   buttons map to rating levels.
//! - `clock_line`: an attendance clock that prints each punch as a ZKTeco
//!   record line on RS232.
//!
//! Serde reads an entry into the raw struct of its kind, where every key is
//! optional and unknown keys are errors. [`validate_devices`] fills in the
//! defaults and checks every value, the ports and ids across entries, and
//! the staff and windows named against `[[staff]]` and `[[unit]]`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use hallbox_drivers::fingerprint::LedKind;
use hallbox_drivers::serial::PortSettings;
use serde::Deserialize;

use super::error::Problems;
use super::raw::{RawStaff, RawUnit};
use crate::rules::ratings::{ButtonMap, Level};

/// Line speed of a fingerprint module in bit/s: 57600 is the factory
/// setting of the R503 and AS608 modules.
pub const FINGERPRINT_BAUD: i64 = 57_600;
/// Line speed of a keypad bus in bit/s, the default of the keypad protocol.
pub const KEYPAD_BAUD: i64 = 9_600;
/// Default quiet time of a keypad bus before the box sends, in ms. The
/// keypad protocol requires at least 3.
pub const KEYPAD_TURNAROUND_MS: i64 = 3;
/// Longest allowed quiet time, in ms; a reply is due within 500 ms.
const MAX_KEYPAD_TURNAROUND_MS: i64 = 100;
/// Line speed of a clock's RS232 output in bit/s. 9600 is the most common
/// setting on the clocks' communication menu; sites change it to match.
pub const CLOCK_LINE_BAUD: i64 = 9_600;
/// LED kind of a fingerprint module: the R503's ring LED.
pub const FINGERPRINT_LED: &str = "aura";
/// Module address of a fingerprint module: the factory setting 0xFFFFFFFF.
pub const FINGERPRINT_MODULE_ADDRESS: i64 = 0xFFFF_FFFF;
/// Pause between two "is a finger on the sensor" polls, in ms.
pub const FINGERPRINT_POLL_INTERVAL_MS: i64 = 150;
/// Time to wait for a module's reply to any command but a search, in ms.
pub const FINGERPRINT_ACK_TIMEOUT_MS: i64 = 1_000;
/// Time to wait for a module's reply to a library search, in ms.
pub const FINGERPRINT_SEARCH_TIMEOUT_MS: i64 = 3_000;
/// Number of buttons of a keypad whose `button_map` is left out: the common
/// five-button keypad, one button per level.
pub const KEYPAD_BUTTONS: i64 = 5;

/// Line speeds a serial device may be set to, in bit/s.
const BAUD_RATES: [i64; 11] = [
    1_200, 2_400, 4_800, 9_600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 921_600,
];
/// Maximum length of a device id, in ASCII characters, as the import
/// command accepts.
const MAX_DEVICE_ID_LEN: usize = 64;
/// Highest keypad button number the keypad protocol carries.
const MAX_KEYPAD_BUTTON: i64 = hallbox_drivers::keypad::MAX_BUTTON as i64;

/// One `[[device]]` as written, by its `kind`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum RawDevice {
    Fingerprint(RawFingerprint),
    Keypad(RawKeypad),
    ClockLine(RawClockLine),
}

/// `kind = "fingerprint"`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawFingerprint {
    pub id: Option<String>,
    pub port: Option<PathBuf>,
    pub baud: Option<i64>,
    pub led: Option<String>,
    pub module_address: Option<i64>,
    pub password: Option<i64>,
    /// Library page id, as a TOML key, to staff id.
    pub pages: BTreeMap<String, String>,
    pub poll_interval_ms: Option<i64>,
    pub ack_timeout_ms: Option<i64>,
    pub search_timeout_ms: Option<i64>,
}

/// `kind = "keypad"`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawKeypad {
    pub id: Option<String>,
    pub port: Option<PathBuf>,
    pub baud: Option<i64>,
    /// Keypad address, as a TOML key, to window id.
    pub keypads: BTreeMap<String, String>,
    pub buttons: Option<i64>,
    /// Button number, as a TOML key, to level name.
    pub button_map: Option<BTreeMap<String, String>>,
    pub turnaround_ms: Option<i64>,
}

/// `kind = "clock_line"`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawClockLine {
    pub id: Option<String>,
    pub port: Option<PathBuf>,
    pub baud: Option<i64>,
}

/// A validated `[[device]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// ASCII id, unique among devices; stored as the events' `device_id`.
    pub id: String,
    /// Kind of the device, with its settings.
    pub kind: DeviceKind,
}

impl Device {
    /// Returns the serial port of the device, for the kinds that have one.
    pub fn port(&self) -> Option<&PortSettings> {
        match &self.kind {
            DeviceKind::Fingerprint(fingerprint) => Some(&fingerprint.port),
            DeviceKind::Keypad(keypad) => Some(&keypad.port),
            DeviceKind::ClockLine(clock) => Some(&clock.port),
        }
    }

    /// Returns the `kind` value of the entry.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            DeviceKind::Fingerprint(_) => "fingerprint",
            DeviceKind::Keypad(_) => "keypad",
            DeviceKind::ClockLine(_) => "clock_line",
        }
    }
}

/// The kind of a device with its settings. More kinds (GPIO card readers
/// and buttons) are expected: code outside this crate matches with a
/// wildcard arm, and `devices::spawn_all` gets an arm for each new kind.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceKind {
    Fingerprint(FingerprintDevice),
    Keypad(KeypadDevice),
    ClockLine(ClockLineDevice),
}

/// Settings of a fingerprint module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerprintDevice {
    pub port: PortSettings,
    /// LED the module has, which confirms a stored punch to the person.
    pub led: LedKind,
    /// Module address the packets carry.
    pub module_address: u32,
    /// Password verified before polling, if the module has one set.
    pub password: Option<u32>,
    /// Library page id to the staff id enrolled on it. Every staff member
    /// named has at least one PIN.
    pub pages: BTreeMap<u16, String>,
    pub poll_interval: Duration,
    pub ack_timeout: Duration,
    pub search_timeout: Duration,
}

/// Settings of a keypad bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeypadDevice {
    pub port: PortSettings,
    /// Keypad address (1 to 254) to the id of the window it rates.
    pub keypads: BTreeMap<u8, String>,
    /// Level of each button, the same for every keypad on the bus.
    pub buttons: ButtonMap,
    /// Quiet time after the last received byte before the box sends, so
    /// that a keypad has released an RS-485 bus; zero on a point-to-point
    /// link.
    pub turnaround: Duration,
}

/// Settings of a clock's RS232 record output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockLineDevice {
    pub port: PortSettings,
}

/// Validates every `[[device]]` entry; returns `None` after recording every
/// problem.
pub(super) fn validate_devices(
    raw: &[RawDevice],
    units: &[RawUnit],
    staff: &[RawStaff],
    problems: &mut Problems,
) -> Option<Vec<Device>> {
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut ports: BTreeMap<PathBuf, usize> = BTreeMap::new();
    let mut windows_taken: BTreeMap<String, String> = BTreeMap::new();
    let mut devices = Vec::new();

    for (index, entry) in raw.iter().enumerate() {
        let prefix = format!("device[{index}]");
        let (id, port, baud, default_baud) = match entry {
            RawDevice::Fingerprint(raw) => (&raw.id, &raw.port, raw.baud, FINGERPRINT_BAUD),
            RawDevice::Keypad(raw) => (&raw.id, &raw.port, raw.baud, KEYPAD_BAUD),
            RawDevice::ClockLine(raw) => (&raw.id, &raw.port, raw.baud, CLOCK_LINE_BAUD),
        };

        let id_key = format!("{prefix}.id");
        let id = problems.check(&id_key, device_id(id.as_deref()));
        if let Some(id) = &id {
            if let Some(first) = ids.insert(id.clone(), index) {
                problems.add(
                    &id_key,
                    format!("duplicate device id '{id}': device[{first}] already uses it"),
                );
            }
        }
        let port = validate_port(port.as_ref(), baud, default_baud, &prefix, problems);
        if let Some(port) = &port {
            if let Some(first) = ports.insert(port.path.clone(), index) {
                problems.add(
                    format!("{prefix}.port"),
                    format!(
                        "port '{}' is already used by device[{first}]: a port is opened by one \
                         device only",
                        port.path.display()
                    ),
                );
            }
        }

        let kind = match entry {
            RawDevice::Fingerprint(raw) => {
                validate_fingerprint(raw, port.clone(), staff, &prefix, problems)
                    .map(DeviceKind::Fingerprint)
            }
            RawDevice::Keypad(raw) => validate_keypad(
                raw,
                port.clone(),
                id.as_deref().unwrap_or(""),
                units,
                &mut windows_taken,
                &prefix,
                problems,
            )
            .map(DeviceKind::Keypad),
            RawDevice::ClockLine(_) => port
                .clone()
                .map(|port| DeviceKind::ClockLine(ClockLineDevice { port })),
        };
        devices.push(id.zip(kind).map(|(id, kind)| Device { id, kind }));
    }
    devices.into_iter().collect()
}

/// Checks a device id: 1 to 64 ASCII letters, digits, '-', '_' or '.', as
/// `hallbox import attlog --device` accepts.
fn device_id(id: Option<&str>) -> Result<String, String> {
    let id = id.ok_or_else(|| "missing key: add it, e.g. id = \"keypads-hall\"".to_string())?;
    let valid = (1..=MAX_DEVICE_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(id.to_string())
    } else {
        Err(format!(
            "invalid device id '{id}': expected 1 to {MAX_DEVICE_ID_LEN} ASCII letters, digits, \
             '-', '_' or '.' such as fingerprint-east"
        ))
    }
}

fn validate_port(
    path: Option<&PathBuf>,
    baud: Option<i64>,
    default_baud: i64,
    prefix: &str,
    problems: &mut Problems,
) -> Option<PortSettings> {
    let path = problems.check(
        &format!("{prefix}.port"),
        match path {
            None => Err(
                "missing key: add the serial port, e.g. port = \"/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0\""
                    .to_string(),
            ),
            Some(path) if path.as_os_str().is_empty() => {
                Err("empty path: expected a serial port such as /dev/ttyUSB0".to_string())
            }
            Some(path) => Ok(path.clone()),
        },
    );
    let baud = baud.unwrap_or(default_baud);
    let baud_rate = problems.check(
        &format!("{prefix}.baud"),
        if BAUD_RATES.contains(&baud) {
            Ok(baud as u32)
        } else {
            let rates: Vec<String> = BAUD_RATES.iter().map(i64::to_string).collect();
            Err(format!(
                "invalid baud rate {baud}: expected one of {}",
                rates.join(", ")
            ))
        },
    );
    Some(PortSettings {
        path: path?,
        baud_rate: baud_rate?,
    })
}

fn validate_fingerprint(
    raw: &RawFingerprint,
    port: Option<PortSettings>,
    staff: &[RawStaff],
    prefix: &str,
    problems: &mut Problems,
) -> Option<FingerprintDevice> {
    let led = problems.check(
        &format!("{prefix}.led"),
        match raw.led.as_deref().unwrap_or(FINGERPRINT_LED) {
            "aura" => Ok(LedKind::Aura),
            "on_off" => Ok(LedKind::OnOff),
            "none" => Ok(LedKind::None),
            other => Err(format!(
                "unknown LED kind '{other}': expected \"aura\" (R503 ring LED), \"on_off\" \
                 (LED on and off commands) or \"none\""
            )),
        },
    );
    let module_address = problems.check(
        &format!("{prefix}.module_address"),
        u32_value(
            raw.module_address.unwrap_or(FINGERPRINT_MODULE_ADDRESS),
            "module address",
            "0xFFFFFFFF",
        ),
    );
    let password = match raw.password {
        None => Some(None),
        Some(value) => problems
            .check(
                &format!("{prefix}.password"),
                u32_value(value, "password", "0"),
            )
            .map(Some),
    };
    let pages = validate_pages(&raw.pages, staff, prefix, problems);
    let millis =
        |key: &str, value: Option<i64>, default: i64, max: i64, problems: &mut Problems| {
            problems.check(
                &format!("{prefix}.{key}"),
                duration_ms(value.unwrap_or(default), 10, max),
            )
        };
    let poll_interval = millis(
        "poll_interval_ms",
        raw.poll_interval_ms,
        FINGERPRINT_POLL_INTERVAL_MS,
        10_000,
        problems,
    );
    let ack_timeout = millis(
        "ack_timeout_ms",
        raw.ack_timeout_ms,
        FINGERPRINT_ACK_TIMEOUT_MS,
        10_000,
        problems,
    );
    let search_timeout = millis(
        "search_timeout_ms",
        raw.search_timeout_ms,
        FINGERPRINT_SEARCH_TIMEOUT_MS,
        30_000,
        problems,
    );
    Some(FingerprintDevice {
        port: port?,
        led: led?,
        module_address: module_address?,
        password: password?,
        pages: pages?,
        poll_interval: poll_interval?,
        ack_timeout: ack_timeout?,
        search_timeout: search_timeout?,
    })
}

/// Checks the page to staff map: page ids 0 to 65535, staff members that
/// exist and have a PIN, since a punch is stored under the first PIN.
fn validate_pages(
    raw: &BTreeMap<String, String>,
    staff: &[RawStaff],
    prefix: &str,
    problems: &mut Problems,
) -> Option<BTreeMap<u16, String>> {
    if raw.is_empty() {
        problems.add(
            format!("{prefix}.pages"),
            "missing or empty map: map each enrolled library page to a staff id, \
             e.g. pages = { 0 = \"S001\", 1 = \"S002\" }",
        );
        return None;
    }
    let mut pages = BTreeMap::new();
    let mut valid = true;
    for (page_text, staff_id) in raw {
        let key = format!("{prefix}.pages.{page_text}");
        let Ok(page) = page_text.trim().parse::<u16>() else {
            problems.add(
                &key,
                format!("invalid page id '{page_text}': expected a number from 0 to 65535"),
            );
            valid = false;
            continue;
        };
        match staff.iter().find(|s| s.id.as_deref() == Some(staff_id)) {
            None => {
                problems.add(
                    &key,
                    format!("unknown staff id '{staff_id}': expected the id of a [[staff]] entry"),
                );
                valid = false;
            }
            Some(person) if person.pins.is_empty() => {
                problems.add(
                    &key,
                    format!(
                        "staff '{staff_id}' has no PIN: add one to its pins, because a \
                         fingerprint punch is stored under the person's first PIN"
                    ),
                );
                valid = false;
            }
            Some(_) => {
                if pages.insert(page, staff_id.clone()).is_some() {
                    problems.add(
                        &key,
                        format!("page {page} is listed twice: give each page one staff id"),
                    );
                    valid = false;
                }
            }
        }
    }
    valid.then_some(pages)
}

fn validate_keypad(
    raw: &RawKeypad,
    port: Option<PortSettings>,
    device_id: &str,
    units: &[RawUnit],
    windows_taken: &mut BTreeMap<String, String>,
    prefix: &str,
    problems: &mut Problems,
) -> Option<KeypadDevice> {
    let keypads = validate_keypad_addresses(raw, device_id, units, windows_taken, prefix, problems);
    let buttons = match &raw.button_map {
        Some(map) => validate_button_map(map, prefix, problems),
        None => {
            let count = raw.buttons.unwrap_or(KEYPAD_BUTTONS);
            problems.check(
                &format!("{prefix}.buttons"),
                u8::try_from(count)
                    .ok()
                    .and_then(|count| ButtonMap::default_for(count).ok())
                    .ok_or_else(|| {
                        format!(
                            "no default button map for {count} buttons: defaults exist for 4 and \
                             5 buttons, so map each button with button_map = {{ 1 = \
                             \"very_satisfied\", ... }}"
                        )
                    }),
            )
        }
    };
    if raw.button_map.is_some() && raw.buttons.is_some() {
        problems.add(
            format!("{prefix}.buttons"),
            "buttons only picks a default map and button_map replaces it: remove one of the two",
        );
        return None;
    }
    let turnaround = problems.check(
        &format!("{prefix}.turnaround_ms"),
        duration_ms(
            raw.turnaround_ms.unwrap_or(KEYPAD_TURNAROUND_MS),
            0,
            MAX_KEYPAD_TURNAROUND_MS,
        ),
    );
    Some(KeypadDevice {
        port: port?,
        keypads: keypads?,
        buttons: buttons?,
        turnaround: turnaround?,
    })
}

fn validate_keypad_addresses(
    raw: &RawKeypad,
    device_id: &str,
    units: &[RawUnit],
    windows_taken: &mut BTreeMap<String, String>,
    prefix: &str,
    problems: &mut Problems,
) -> Option<BTreeMap<u8, String>> {
    if raw.keypads.is_empty() {
        problems.add(
            format!("{prefix}.keypads"),
            "missing or empty map: map each keypad address on the bus to a window id, \
             e.g. keypads = { 1 = \"W01\", 2 = \"W02\" }",
        );
        return None;
    }
    let windows: BTreeSet<&str> = units
        .iter()
        .flat_map(|unit| unit.windows.iter())
        .filter_map(|window| window.id.as_deref())
        .collect();
    let mut keypads = BTreeMap::new();
    let mut valid = true;
    for (address_text, window_id) in &raw.keypads {
        let key = format!("{prefix}.keypads.{address_text}");
        let address = address_text
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|address| (1..=254).contains(address));
        let Some(address) = address else {
            problems.add(
                &key,
                format!(
                    "invalid keypad address '{address_text}': expected 1 to 254, as set on the \
                     keypad"
                ),
            );
            valid = false;
            continue;
        };
        if !windows.contains(window_id.as_str()) {
            problems.add(
                &key,
                format!(
                    "unknown window id '{window_id}': expected the id of a window of a [[unit]]"
                ),
            );
            valid = false;
            continue;
        }
        let owner = format!("keypad {address} of device '{device_id}'");
        if let Some(first) = windows_taken.insert(window_id.clone(), owner) {
            problems.add(
                &key,
                format!(
                    "window '{window_id}' already has {first}: give each window one keypad, so \
                     its ratings come from one place"
                ),
            );
            valid = false;
            continue;
        }
        keypads.insert(address, window_id.clone());
    }
    valid.then_some(keypads)
}

fn validate_button_map(
    raw: &BTreeMap<String, String>,
    prefix: &str,
    problems: &mut Problems,
) -> Option<ButtonMap> {
    let mut pairs = Vec::new();
    let mut valid = true;
    for (button_text, level_text) in raw {
        let key = format!("{prefix}.button_map.{button_text}");
        let button = button_text
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|button| (1..=MAX_KEYPAD_BUTTON).contains(button));
        let level = Level::from_str(level_text);
        match (button, level) {
            (Some(button), Ok(level)) => pairs.push((button as u8, level)),
            (None, _) => {
                problems.add(
                    &key,
                    format!(
                        "invalid button number '{button_text}': expected 1 to \
                         {MAX_KEYPAD_BUTTON}, numbered as printed on the keypad"
                    ),
                );
                valid = false;
            }
            (_, Err(error)) => {
                problems.add(&key, error.to_string());
                valid = false;
            }
        }
    }
    if !valid {
        return None;
    }
    // Keys of a TOML table are unique, so only an empty map can fail here.
    problems.check(
        &format!("{prefix}.button_map"),
        ButtonMap::new(pairs).map_err(|error| error.to_string()),
    )
}

fn u32_value(value: i64, what: &str, example: &str) -> Result<u32, String> {
    u32::try_from(value).map_err(|_| {
        format!("invalid {what} {value}: expected 0 to 4294967295 (0xFFFFFFFF) such as {example}")
    })
}

fn duration_ms(value: i64, min: i64, max: i64) -> Result<Duration, String> {
    if (min..=max).contains(&value) {
        Ok(Duration::from_millis(value as u64))
    } else {
        Err(format!(
            "invalid time {value} ms: expected {min} to {max} milliseconds"
        ))
    }
}

#[cfg(test)]
#[path = "devices_tests.rs"]
mod tests;
