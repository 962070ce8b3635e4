//! Validation of the hall's roster: the `[[unit]]` entries with their
//! service windows, and the `[[staff]]` entries with their clock PINs.
//!
//! Besides each entry's own values, the checks span entries. Unit ids,
//! window ids (across the whole hall), staff ids and PINs (across all staff)
//! must be unique. A staff member's unit must be declared, and a unit's
//! chief must be a staff member of that unit.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::error::Problems;
use super::raw::{RawStaff, RawUnit};
use super::validate::{non_empty_text, parse_date};
use super::{Staff, Unit, Window};

/// Maximum length of a unit, window or staff id, in ASCII characters.
const MAX_ID_LEN: usize = 32;

/// Maximum length of a clock PIN, in digits. The bound is generous so that
/// any clock's user number fits, and it only rejects pasted junk.
const MAX_PIN_DIGITS: usize = 24;

/// Validates units and staff; returns `None` after recording every problem.
pub(super) fn validate_roster(
    raw_units: &[RawUnit],
    raw_staff: &[RawStaff],
    problems: &mut Problems,
) -> Option<(Vec<Unit>, Vec<Staff>)> {
    let units = validate_units(raw_units, problems);
    let declared_units: Vec<&str> = raw_units
        .iter()
        .filter_map(|unit| unit.id.as_deref())
        .collect();
    let staff = validate_staff(raw_staff, &declared_units, problems);
    check_chiefs(raw_units, raw_staff, problems);

    let units = units.into_iter().collect::<Option<Vec<Unit>>>();
    let staff = staff.into_iter().collect::<Option<Vec<Staff>>>();
    Some((units?, staff?))
}

fn validate_units(raw_units: &[RawUnit], problems: &mut Problems) -> Vec<Option<Unit>> {
    let mut unit_ids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut window_ids: BTreeMap<&str, String> = BTreeMap::new();
    let mut units = Vec::new();

    for (index, raw) in raw_units.iter().enumerate() {
        let prefix = format!("unit[{index}]");
        let id_key = format!("{prefix}.id");
        let id = problems.check(&id_key, required(&raw.id, "id = \"tax\"").and_then(unit_id));
        if let Some(id) = raw.id.as_deref() {
            if let Some(first) = unit_ids.insert(id, index) {
                problems.add(
                    &id_key,
                    format!("duplicate unit id '{id}': unit[{first}] already uses it"),
                );
            }
        }
        let name = problems.check(
            &format!("{prefix}.name"),
            required(&raw.name, "name = \"县税务局\"")
                .and_then(|name| non_empty_text(&name, "\"县税务局\"")),
        );

        let mut windows = Vec::new();
        for (window_index, window) in raw.windows.iter().enumerate() {
            let window_prefix = format!("{prefix}.windows[{window_index}]");
            let window_id_key = format!("{window_prefix}.id");
            let window_id = problems.check(
                &window_id_key,
                required(&window.id, "id = \"W01\"").and_then(|id| ascii_id(id, "W01")),
            );
            if let Some(window_id) = window.id.as_deref() {
                if let Some(first) = window_ids.insert(window_id, window_prefix.clone()) {
                    problems.add(
                        &window_id_key,
                        format!(
                            "duplicate window id '{window_id}': {first} already uses it, \
                             and window ids must be unique across the hall"
                        ),
                    );
                }
            }
            let window_name = problems.check(
                &format!("{window_prefix}.name"),
                required(&window.name, "name = \"1号窗口\"")
                    .and_then(|name| non_empty_text(&name, "\"1号窗口\"")),
            );
            windows.push(
                window_id
                    .zip(window_name)
                    .map(|(id, name)| Window { id, name }),
            );
        }

        let windows = windows.into_iter().collect::<Option<Vec<Window>>>();
        units.push(match (id, name, windows) {
            (Some(id), Some(name), Some(windows)) => Some(Unit {
                id,
                name,
                chief: raw.chief.clone(),
                windows,
            }),
            _ => None,
        });
    }
    units
}

fn validate_staff(
    raw_staff: &[RawStaff],
    declared_units: &[&str],
    problems: &mut Problems,
) -> Vec<Option<Staff>> {
    let mut staff_ids: BTreeMap<&str, usize> = BTreeMap::new();
    let mut pins_in_use = PinsInUse::new();
    let mut staff = Vec::new();

    for (index, raw) in raw_staff.iter().enumerate() {
        let prefix = format!("staff[{index}]");
        let id_key = format!("{prefix}.id");
        let id = problems.check(
            &id_key,
            required(&raw.id, "id = \"S001\"").and_then(|id| ascii_id(id, "S001")),
        );
        if let Some(id) = raw.id.as_deref() {
            if let Some(first) = staff_ids.insert(id, index) {
                problems.add(
                    &id_key,
                    format!("duplicate staff id '{id}': staff[{first}] already uses it"),
                );
            }
        }
        let name = problems.check(
            &format!("{prefix}.name"),
            required(&raw.name, "name = \"张三\"")
                .and_then(|name| non_empty_text(&name, "\"张三\"")),
        );
        let unit = problems.check(
            &format!("{prefix}.unit"),
            required(&raw.unit, "unit = \"tax\"")
                .and_then(|unit| declared_unit(unit, declared_units)),
        );

        let pins = validate_pins(raw, index, &mut pins_in_use, problems);
        let dates = validate_dates(raw, index, problems);

        staff.push(match (id, name, unit, pins, dates) {
            (Some(id), Some(name), Some(unit), Some(pins), Some((start, end))) => Some(Staff {
                id,
                name,
                unit,
                pins,
                start,
                end,
            }),
            _ => None,
        });
    }
    staff
}

/// PINs taken so far: the PIN without leading zeros, mapped to the index of
/// the staff entry and the PIN as written there.
type PinsInUse = BTreeMap<String, (usize, String)>;

/// Validates the PINs of `staff[index]` and records them in `pins_in_use`.
///
/// A PIN typed as "0012" in one place may be exported as "12" by another
/// program, so PINs that differ only in leading zeros count as the same.
fn validate_pins(
    raw: &RawStaff,
    index: usize,
    pins_in_use: &mut PinsInUse,
    problems: &mut Problems,
) -> Option<Vec<String>> {
    let mut pins = Vec::new();
    for (pin_index, value) in raw.pins.iter().enumerate() {
        let key = format!("staff[{index}].pins[{pin_index}]");
        let Some(pin) = problems.check(&key, pin_text(value)) else {
            pins.push(None);
            continue;
        };

        let without_zeros = pin.trim_start_matches('0');
        let normalised = if without_zeros.is_empty() {
            "0"
        } else {
            without_zeros
        };
        if let Some((owner, written)) = pins_in_use.get(normalised) {
            let owner = if *owner == index {
                "this staff member".to_string()
            } else {
                format!("staff[{owner}]")
            };
            problems.add(
                &key,
                format!(
                    "duplicate PIN '{pin}': {owner} already uses PIN '{written}', \
                     and each PIN must belong to one person \
                     (leading zeros do not make PINs different)"
                ),
            );
            pins.push(None);
            continue;
        }
        pins_in_use.insert(normalised.to_string(), (index, pin.clone()));
        pins.push(Some(pin));
    }
    pins.into_iter().collect()
}

/// Validates the optional start and end dates of `staff[index]`.
fn validate_dates(
    raw: &RawStaff,
    index: usize,
    problems: &mut Problems,
) -> Option<(Option<NaiveDate>, Option<NaiveDate>)> {
    let start = optional_date(
        raw.start.as_ref(),
        &format!("staff[{index}].start"),
        problems,
    );
    let end = optional_date(raw.end.as_ref(), &format!("staff[{index}].end"), problems);
    match (start?, end?) {
        (Some(start), Some(end)) if end < start => {
            problems.add(
                format!("staff[{index}].end"),
                format!(
                    "end date {end} is before start date {start}: \
                     expected an end on or after the start"
                ),
            );
            None
        }
        dates => Some(dates),
    }
}

/// Checks that each unit's chief is a declared staff member of that unit.
fn check_chiefs(raw_units: &[RawUnit], raw_staff: &[RawStaff], problems: &mut Problems) {
    for (index, unit) in raw_units.iter().enumerate() {
        let Some(chief) = unit.chief.as_deref() else {
            continue;
        };
        let key = format!("unit[{index}].chief");
        let unit_id = unit.id.as_deref().unwrap_or("");
        match raw_staff
            .iter()
            .position(|person| person.id.as_deref() == Some(chief))
        {
            None => problems.add(
                key,
                format!(
                    "unknown staff id '{chief}': expected the id of a [[staff]] entry \
                     of unit '{unit_id}'"
                ),
            ),
            Some(staff_index) => {
                let chief_unit = raw_staff[staff_index].unit.as_deref().unwrap_or("");
                if chief_unit != unit_id {
                    problems.add(
                        key,
                        format!(
                            "staff '{chief}' (staff[{staff_index}]) belongs to unit \
                             '{chief_unit}', not '{unit_id}': the chief must be a staff \
                             member of the unit"
                        ),
                    );
                }
            }
        }
    }
}

/// Returns the value of a key without a default, or a message that it is
/// missing.
fn required(value: &Option<String>, example: &str) -> Result<String, String> {
    value
        .clone()
        .ok_or_else(|| format!("missing key: add it, e.g. {example}"))
}

/// Checks a unit id: a short slug of lowercase ASCII letters, digits, '-'
/// and '_'.
fn unit_id(id: String) -> Result<String, String> {
    let valid = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if valid {
        Ok(id)
    } else {
        Err(format!(
            "invalid unit id '{id}': expected 1 to {MAX_ID_LEN} lowercase ASCII letters, \
             digits, '-' or '_' such as tax"
        ))
    }
}

/// Checks a window or staff id: short, of ASCII letters, digits, '-' and
/// '_'.
fn ascii_id(id: String, example: &str) -> Result<String, String> {
    let valid = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(id)
    } else {
        Err(format!(
            "invalid id '{id}': expected 1 to {MAX_ID_LEN} ASCII letters, digits, '-' or '_' \
             such as {example}"
        ))
    }
}

fn declared_unit(unit: String, declared: &[&str]) -> Result<String, String> {
    if declared.contains(&unit.as_str()) {
        return Ok(unit);
    }
    if declared.is_empty() {
        return Err(format!(
            "unknown unit '{unit}': no [[unit]] is declared, add one with id = \"{unit}\""
        ));
    }
    let known: BTreeSet<&str> = declared.iter().copied().collect();
    let known: Vec<&str> = known.into_iter().collect();
    Err(format!(
        "unknown unit '{unit}': expected the id of a [[unit]] entry: {}",
        known.join(", ")
    ))
}

/// Converts a PIN written as a string or a non-negative integer to ASCII
/// digits.
fn pin_text(value: &toml::Value) -> Result<String, String> {
    let expected = format!("expected 1 to {MAX_PIN_DIGITS} ASCII digits such as \"1001\"");
    match value {
        toml::Value::String(text) => {
            let valid = !text.is_empty()
                && text.len() <= MAX_PIN_DIGITS
                && text.bytes().all(|b| b.is_ascii_digit());
            if valid {
                Ok(text.clone())
            } else {
                Err(format!("invalid PIN '{text}': {expected}"))
            }
        }
        toml::Value::Integer(number) if *number >= 0 => Ok(number.to_string()),
        other => Err(format!("invalid PIN {other}: {expected}")),
    }
}

/// Parses an optional date: `Some(None)` when absent, `None` after a
/// problem.
fn optional_date(
    value: Option<&toml::Value>,
    key: &str,
    problems: &mut Problems,
) -> Option<Option<NaiveDate>> {
    match value {
        None => Some(None),
        Some(value) => problems.check(key, parse_date(value)).map(Some),
    }
}
