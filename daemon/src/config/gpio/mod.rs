//! The GPIO devices of a Raspberry Pi box: `[[wiegand]]` card readers and
//! `[[button_keypad]]` satisfaction keypads with one input per button.
//!
//! Pins are BCM GPIO numbers of the 40-pin header, 2 to 27 (0 and 1 belong
//! to the HAT EEPROM). No pin may serve two devices or two roles. Ids are
//! unique among the GPIO devices, because they become the journal's
//! `device_id`.
//!
//! A reader's frame names a card by facility code and card number. How a
//! card becomes a staff member is the reader's `credential` key:
//!
//! - `"map"` (default): the `cards` table maps `"facility/card"` to a staff
//!   id, e.g. `cards = { "123/45678" = "S001" }`. The punch is stored under
//!   that person's first PIN, so the attendance report finds them.
//! - `"card_number"`: the 16-bit card number (45678), written in decimal, is
//!   the person's clock PIN, for halls that enrol the printed card number as
//!   the PIN.
//! - `"full_number"`: facility code and card number read as one number
//!   (123 × 65536 + 45678 = 8106606) is the PIN, as some readers print it.
//!
//! A card that matches no one is stored all the same and listed under the
//! report's unknown credentials.

mod keypad;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

use hallbox_drivers::edge::Level;
use hallbox_drivers::wiegand::{
    AcceptedFormats, DecoderConfig, Key8Order, Lines, Timing, DEFAULT_FRAME_GAP, DEFAULT_MAX_GAP,
    DEFAULT_MAX_PULSE, DEFAULT_MIN_GAP, DEFAULT_MIN_PULSE,
};
use serde::Deserialize;

use super::error::Problems;
use crate::config::{Staff, Unit};
use crate::rules::ratings::ButtonMap;
use keypad::validate_keypad;

/// Lowest BCM GPIO number a device may use: 0 and 1 are the HAT EEPROM's
/// I²C bus on every 40-pin Raspberry Pi.
pub const MIN_PIN: i64 = 2;
/// Highest BCM GPIO number on the 40-pin header.
pub const MAX_PIN: i64 = 27;
/// Default length of the confirmation pulse, 200 ms: a short beep or flash
/// that a person at the reader notices.
pub const DEFAULT_CONFIRM_PULSE: Duration = Duration::from_millis(200);
/// Maximum confirmation pulse, 5 s: a longer one would still be on when the
/// next person swipes.
pub const MAX_CONFIRM_PULSE: Duration = Duration::from_secs(5);
/// Maximum button debounce time, 1 s: a longer one would swallow real
/// presses.
pub const MAX_DEBOUNCE: Duration = Duration::from_secs(1);
/// Maximum Wiegand timing limit, 1 s: far above any reader's frame.
const MAX_TIMING: Duration = Duration::from_secs(1);
/// Maximum length of a GPIO device id, in ASCII characters.
const MAX_ID_LEN: usize = 32;

/// `[[wiegand]]` as written.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawWiegand {
    pub id: Option<String>,
    pub d0: Option<i64>,
    pub d1: Option<i64>,
    pub formats: Option<Vec<String>>,
    pub key8_order: Option<String>,
    pub min_pulse_us: Option<i64>,
    pub max_pulse_us: Option<i64>,
    pub min_gap_us: Option<i64>,
    pub max_gap_us: Option<i64>,
    pub frame_gap_ms: Option<i64>,
    pub credential: Option<String>,
    pub cards: BTreeMap<String, String>,
    pub confirm_pin: Option<i64>,
    pub confirm_active: Option<String>,
    pub confirm_pulse_ms: Option<i64>,
}

/// `[[button_keypad]]` as written.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct RawButtonKeypad {
    pub id: Option<String>,
    pub window: Option<String>,
    /// Button number → BCM pin.
    pub pins: BTreeMap<String, i64>,
    pub active: Option<String>,
    pub debounce_ms: Option<i64>,
    /// Button number → level name.
    pub levels: Option<BTreeMap<String, String>>,
}

/// The validated GPIO devices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GpioDevices {
    /// The `[[wiegand]]` readers in file order.
    pub wiegand: Vec<WiegandReader>,
    /// The `[[button_keypad]]` keypads in file order.
    pub button_keypads: Vec<ButtonKeypad>,
}

impl GpioDevices {
    /// Returns the number of GPIO devices.
    pub fn len(&self) -> usize {
        self.wiegand.len() + self.button_keypads.len()
    }

    /// Returns `true` when no GPIO device is configured.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A `[[wiegand]]` card reader on two GPIO inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct WiegandReader {
    /// Device id, the journal's `device_id` of its punches.
    pub id: String,
    /// D0 and D1 pins, timing limits, formats and 8-bit key order.
    pub decoder: DecoderConfig,
    /// Rule that maps a card to a staff member.
    pub credentials: Credentials,
    /// The LED or beeper line pulsed after each stored punch.
    pub confirm: Option<ConfirmOutput>,
}

/// Rule that maps a reader's card to a staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// `(facility, card)` → staff id.
    Map(BTreeMap<(u16, u16), String>),
    /// The 16-bit card number in decimal is the PIN.
    CardNumber,
    /// Facility code and card number as one number, in decimal, is the PIN.
    FullNumber,
}

/// A confirmation output: a GPIO output pulsed to its active level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmOutput {
    /// BCM pin.
    pub pin: u8,
    /// Level that lights the LED or sounds the beeper.
    pub active: Level,
    /// Time the line stays active.
    pub pulse: Duration,
}

/// A `[[button_keypad]]`: one GPIO input per button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonKeypad {
    /// Device id, the journal's `device_id` of its presses.
    pub id: String,
    /// Id of the service window the keypad rates.
    pub window: String,
    /// `(button number, BCM pin)` in button order.
    pub buttons: Vec<(u8, u8)>,
    /// Level of a pressed button's line. Low enables the internal pull-up,
    /// high the pull-down.
    pub active: Level,
    /// Time a line must hold its level before a press or release counts.
    pub debounce: Duration,
    /// Button number → rating level.
    pub levels: ButtonMap,
}

/// Validates the GPIO sections. Problems are recorded under their keys; the
/// result is meaningful only when no problem was recorded.
///
/// `roster` is the validated units and staff, or `None` when the roster is
/// invalid, in which case staff ids and window ids are not checked.
pub(super) fn validate_gpio(
    wiegand: &[RawWiegand],
    keypads: &[RawButtonKeypad],
    roster: Option<(&[Unit], &[Staff])>,
    problems: &mut Problems,
) -> GpioDevices {
    let mut pins = PinUse::default();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut devices = GpioDevices::default();

    // Ids shared with serial devices or network clocks are reported by
    // the check across kinds in validate.rs.
    for (index, raw) in wiegand.iter().enumerate() {
        let prefix = format!("wiegand[{index}]");
        check_id(&raw.id, &prefix, &mut ids, problems);
        let staff = roster.map(|(_, staff)| staff);
        if let Some(reader) = validate_reader(raw, &prefix, staff, &mut pins, problems) {
            devices.wiegand.push(reader);
        }
    }
    for (index, raw) in keypads.iter().enumerate() {
        let prefix = format!("button_keypad[{index}]");
        check_id(&raw.id, &prefix, &mut ids, problems);
        let units = roster.map(|(units, _)| units);
        if let Some(keypad) = validate_keypad(raw, &prefix, units, &mut pins, problems) {
            devices.button_keypads.push(keypad);
        }
    }
    devices
}

/// Checks a device id and records it, so that a second device with the same
/// id is reported.
fn check_id(
    id: &Option<String>,
    prefix: &str,
    ids: &mut BTreeMap<String, String>,
    problems: &mut Problems,
) {
    let key = format!("{prefix}.id");
    let Some(id) = id else {
        problems.add(key, "missing key: add it, e.g. id = \"door-reader\"");
        return;
    };
    let valid = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        problems.add(
            &key,
            format!(
                "invalid id '{id}': expected 1 to {MAX_ID_LEN} ASCII letters, digits, '-' or '_' \
                 such as door-reader"
            ),
        );
    }
    if let Some(first) = ids.insert(id.clone(), prefix.to_string()) {
        problems.add(
            key,
            format!("duplicate device id '{id}': {first} already uses it"),
        );
    }
}

/// The pins claimed so far, each with the key that claimed it.
#[derive(Debug, Default)]
struct PinUse {
    claimed: BTreeMap<u8, String>,
}

impl PinUse {
    /// Validates a pin number under `key` and claims it.
    fn claim(&mut self, key: &str, value: i64, problems: &mut Problems) -> Option<u8> {
        if !(MIN_PIN..=MAX_PIN).contains(&value) {
            problems.add(
                key,
                format!(
                    "invalid pin {value}: expected a BCM GPIO number from {MIN_PIN} to {MAX_PIN} \
                     (GPIO17 is 17; header positions are not pin numbers)"
                ),
            );
            return None;
        }
        let pin = value as u8;
        if let Some(first) = self.claimed.insert(pin, key.to_string()) {
            problems.add(
                key,
                format!("pin {pin} is already used by {first}: give each line its own pin"),
            );
            return None;
        }
        Some(pin)
    }
}

fn validate_reader(
    raw: &RawWiegand,
    prefix: &str,
    staff: Option<&[Staff]>,
    pins: &mut PinUse,
    problems: &mut Problems,
) -> Option<WiegandReader> {
    let d0 = required_pin(raw.d0, &format!("{prefix}.d0"), "d0 = 17", pins, problems);
    let d1 = required_pin(raw.d1, &format!("{prefix}.d1"), "d1 = 27", pins, problems);
    let formats = validate_formats(raw.formats.as_deref(), prefix, problems);
    let key8_order = validate_key8_order(raw.key8_order.as_deref(), prefix, problems);
    let timing = validate_timing(raw, prefix, problems);
    let credentials = validate_credentials(raw, prefix, staff, problems);
    let confirm = validate_confirm(raw, prefix, pins, problems);

    let decoder = DecoderConfig {
        lines: Lines { d0: d0?, d1: d1? },
        timing: timing?,
        formats: formats?,
        key8_order: key8_order?,
    };
    if let Err(error) = decoder.validate() {
        problems.add(prefix, error.to_string());
        return None;
    }
    Some(WiegandReader {
        id: raw.id.clone()?,
        decoder,
        credentials: credentials?,
        confirm: confirm?,
    })
}

fn required_pin(
    value: Option<i64>,
    key: &str,
    example: &str,
    pins: &mut PinUse,
    problems: &mut Problems,
) -> Option<u8> {
    let Some(value) = value else {
        problems.add(key, format!("missing key: add the BCM pin, e.g. {example}"));
        return None;
    };
    pins.claim(key, value, problems)
}

fn validate_formats(
    names: Option<&[String]>,
    prefix: &str,
    problems: &mut Problems,
) -> Option<AcceptedFormats> {
    let Some(names) = names else {
        return Some(AcceptedFormats::ALL);
    };
    let key = format!("{prefix}.formats");
    let mut formats = AcceptedFormats {
        key4: false,
        key8: false,
        card26: false,
        card34: false,
    };
    let mut valid = true;
    for name in names {
        match name.as_str() {
            "card26" => formats.card26 = true,
            "card34" => formats.card34 = true,
            "key4" => formats.key4 = true,
            "key8" => formats.key8 = true,
            other => {
                problems.add(
                    &key,
                    format!("unknown format '{other}': expected card26, card34, key4 or key8"),
                );
                valid = false;
            }
        }
    }
    if valid && !(formats.card26 || formats.card34) {
        problems.add(
            key,
            "no card format: accept card26, card34 or both, because only cards become punches",
        );
        valid = false;
    }
    valid.then_some(formats)
}

fn validate_key8_order(
    name: Option<&str>,
    prefix: &str,
    problems: &mut Problems,
) -> Option<Key8Order> {
    match name {
        None | Some("complement_first") => Some(Key8Order::ComplementFirst),
        Some("key_first") => Some(Key8Order::KeyFirst),
        Some(other) => {
            problems.add(
                format!("{prefix}.key8_order"),
                format!("unknown order '{other}': expected complement_first or key_first"),
            );
            None
        }
    }
}

fn validate_timing(raw: &RawWiegand, prefix: &str, problems: &mut Problems) -> Option<Timing> {
    let micros = |value: Option<i64>, name: &str, default: Duration, problems: &mut Problems| {
        let Some(value) = value else {
            return Some(default);
        };
        duration_in_range(value, Duration::from_micros, name, "µs", prefix, problems)
    };
    let min_pulse = micros(
        raw.min_pulse_us,
        "min_pulse_us",
        DEFAULT_MIN_PULSE,
        problems,
    );
    let max_pulse = micros(
        raw.max_pulse_us,
        "max_pulse_us",
        DEFAULT_MAX_PULSE,
        problems,
    );
    let min_gap = micros(raw.min_gap_us, "min_gap_us", DEFAULT_MIN_GAP, problems);
    let max_gap = match raw.max_gap_us {
        // Set below once the frame gap is known.
        None => Some(None),
        Some(value) => duration_in_range(
            value,
            Duration::from_micros,
            "max_gap_us",
            "µs",
            prefix,
            problems,
        )
        .map(Some),
    };
    let frame_gap = match raw.frame_gap_ms {
        None => Some(DEFAULT_FRAME_GAP),
        Some(value) => duration_in_range(
            value,
            Duration::from_millis,
            "frame_gap_ms",
            "ms",
            prefix,
            problems,
        ),
    };
    let frame_gap = frame_gap?;
    // The default maximum gap applies where it is shorter than the frame
    // gap; a shorter frame gap ends the frame before a long pause anyway.
    let max_gap = match (raw.max_gap_us, max_gap?) {
        (None, _) if frame_gap > DEFAULT_MAX_GAP => Some(DEFAULT_MAX_GAP),
        (_, max_gap) => max_gap,
    };
    Some(Timing {
        min_pulse: min_pulse?,
        max_pulse: max_pulse?,
        min_gap: min_gap?,
        max_gap,
        frame_gap,
    })
}

/// Converts a positive whole number of `unit` into a duration of at most
/// one second, or records a problem under `prefix.name`.
fn duration_in_range(
    value: i64,
    convert: fn(u64) -> Duration,
    name: &str,
    unit: &str,
    prefix: &str,
    problems: &mut Problems,
) -> Option<Duration> {
    let duration = u64::try_from(value)
        .ok()
        .filter(|value| *value > 0)
        .map(convert)
        .filter(|duration| *duration <= MAX_TIMING);
    if duration.is_none() {
        problems.add(
            format!("{prefix}.{name}"),
            format!("invalid time {value} {unit}: expected a whole number of {unit} above 0, at most 1 s"),
        );
    }
    duration
}

fn validate_credentials(
    raw: &RawWiegand,
    prefix: &str,
    staff: Option<&[Staff]>,
    problems: &mut Problems,
) -> Option<Credentials> {
    let mode = raw.credential.as_deref().unwrap_or("map");
    match mode {
        "map" => validate_card_map(&raw.cards, prefix, staff, problems).map(Credentials::Map),
        "card_number" | "full_number" => {
            if !raw.cards.is_empty() {
                problems.add(
                    format!("{prefix}.cards"),
                    format!(
                        "cards are read only with credential = \"map\": remove cards or set \
                         credential = \"map\" (credential is \"{mode}\")"
                    ),
                );
                return None;
            }
            Some(if mode == "card_number" {
                Credentials::CardNumber
            } else {
                Credentials::FullNumber
            })
        }
        other => {
            problems.add(
                format!("{prefix}.credential"),
                format!("unknown credential '{other}': expected map, card_number or full_number"),
            );
            None
        }
    }
}

fn validate_card_map(
    cards: &BTreeMap<String, String>,
    prefix: &str,
    staff: Option<&[Staff]>,
    problems: &mut Problems,
) -> Option<BTreeMap<(u16, u16), String>> {
    let mut map = BTreeMap::new();
    let mut valid = true;
    for (card_text, staff_id) in cards {
        let key = format!("{prefix}.cards.\"{card_text}\"");
        let Some(card) = parse_card(card_text) else {
            problems.add(
                &key,
                format!(
                    "invalid card '{card_text}': expected \"facility/card\" with two decimal \
                     numbers from 0 to 65535, such as \"123/45678\""
                ),
            );
            valid = false;
            continue;
        };
        if let Some(staff) = staff {
            match staff.iter().find(|person| person.id == *staff_id) {
                None => {
                    problems.add(
                        &key,
                        format!("unknown staff id '{staff_id}': add a [[staff]] with this id"),
                    );
                    valid = false;
                }
                Some(person) if person.pins.is_empty() => {
                    problems.add(
                        &key,
                        format!(
                            "staff member '{staff_id}' has no PIN: give them one in pins, \
                             because the report finds a person's punches by PIN"
                        ),
                    );
                    valid = false;
                }
                Some(_) => {}
            }
        }
        // Leading zeros make "0123/45678" and "123/45678" the same card.
        if map.insert(card, staff_id.clone()).is_some() {
            problems.add(
                &key,
                format!(
                    "card {}/{} is listed twice: list each card once",
                    card.0, card.1
                ),
            );
            valid = false;
        }
    }
    valid.then_some(map)
}

/// Parses `"facility/card"`.
fn parse_card(text: &str) -> Option<(u16, u16)> {
    let (facility, card) = text.split_once('/')?;
    let number = |part: &str| {
        let part = part.trim();
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        part.parse::<u16>().ok()
    };
    Some((number(facility)?, number(card)?))
}

fn validate_confirm(
    raw: &RawWiegand,
    prefix: &str,
    pins: &mut PinUse,
    problems: &mut Problems,
) -> Option<Option<ConfirmOutput>> {
    let Some(pin) = raw.confirm_pin else {
        for (name, set) in [
            ("confirm_active", raw.confirm_active.is_some()),
            ("confirm_pulse_ms", raw.confirm_pulse_ms.is_some()),
        ] {
            if set {
                problems.add(
                    format!("{prefix}.{name}"),
                    "set without confirm_pin: add confirm_pin, the BCM pin of the LED or beeper line",
                );
            }
        }
        return Some(None);
    };
    let pin = pins.claim(&format!("{prefix}.confirm_pin"), pin, problems);
    let active = parse_level(
        raw.confirm_active.as_deref(),
        &format!("{prefix}.confirm_active"),
        problems,
    );
    let pulse = match raw.confirm_pulse_ms {
        None => Some(DEFAULT_CONFIRM_PULSE),
        Some(value) => {
            let pulse = u64::try_from(value)
                .ok()
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis)
                .filter(|pulse| *pulse <= MAX_CONFIRM_PULSE);
            if pulse.is_none() {
                problems.add(
                    format!("{prefix}.confirm_pulse_ms"),
                    format!("invalid pulse length {value} ms: expected 1 to 5000, such as 200"),
                );
            }
            pulse
        }
    };
    Some(Some(ConfirmOutput {
        pin: pin?,
        active: active?,
        pulse: pulse?,
    }))
}

/// Parses an active level; left out, it is low (a line pulled to ground).
fn parse_level(text: Option<&str>, key: &str, problems: &mut Problems) -> Option<Level> {
    match text {
        None | Some("low") => Some(Level::Low),
        Some("high") => Some(Level::High),
        Some(other) => {
            problems.add(
                key,
                format!("unknown level '{other}': expected low or high"),
            );
            None
        }
    }
}
