//! Validation of `[[button_keypad]]` entries: the window, one pin per
//! button, the active level, the debounce time and the button levels.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use hallbox_drivers::button::DEFAULT_SETTLE_TIME;

use super::{parse_level, ButtonKeypad, PinUse, RawButtonKeypad, MAX_DEBOUNCE};
use crate::config::error::Problems;
use crate::config::Unit;
use crate::rules::ratings::{ButtonMap, Level as RatingLevel};

pub(super) fn validate_keypad(
    raw: &RawButtonKeypad,
    prefix: &str,
    units: Option<&[Unit]>,
    pins: &mut PinUse,
    problems: &mut Problems,
) -> Option<ButtonKeypad> {
    let window = validate_window(raw.window.as_deref(), prefix, units, problems);
    let buttons = validate_buttons(&raw.pins, prefix, pins, problems);
    let active = parse_level(raw.active.as_deref(), &format!("{prefix}.active"), problems);
    let debounce = match raw.debounce_ms {
        None => Some(DEFAULT_SETTLE_TIME),
        Some(value) => {
            let debounce = u64::try_from(value)
                .ok()
                .map(Duration::from_millis)
                .filter(|debounce| *debounce <= MAX_DEBOUNCE);
            if debounce.is_none() {
                problems.add(
                    format!("{prefix}.debounce_ms"),
                    format!("invalid debounce time {value} ms: expected 0 to 1000, such as 30"),
                );
            }
            debounce
        }
    };
    let buttons = buttons?;
    let levels = validate_levels(raw.levels.as_ref(), &buttons, prefix, problems);
    Some(ButtonKeypad {
        id: raw.id.clone()?,
        window: window?,
        buttons,
        active: active?,
        debounce: debounce?,
        levels: levels?,
    })
}

fn validate_window(
    window: Option<&str>,
    prefix: &str,
    units: Option<&[Unit]>,
    problems: &mut Problems,
) -> Option<String> {
    let key = format!("{prefix}.window");
    let Some(window) = window else {
        problems.add(
            key,
            "missing key: add the id of the window the keypad rates, e.g. window = \"W01\"",
        );
        return None;
    };
    if let Some(units) = units {
        let known = units
            .iter()
            .flat_map(|unit| &unit.windows)
            .any(|declared| declared.id == window);
        if !known {
            problems.add(
                key,
                format!("unknown window '{window}': declare it in the windows of a [[unit]]"),
            );
            return None;
        }
    }
    Some(window.to_string())
}

fn validate_buttons(
    raw: &BTreeMap<String, i64>,
    prefix: &str,
    pins: &mut PinUse,
    problems: &mut Problems,
) -> Option<Vec<(u8, u8)>> {
    if raw.is_empty() {
        problems.add(
            format!("{prefix}.pins"),
            "missing key: map each button number to its BCM pin, e.g. pins = { 1 = 5, 2 = 6, 3 = 13, 4 = 19, 5 = 26 }",
        );
        return None;
    }
    let mut buttons = Vec::with_capacity(raw.len());
    let mut numbers = BTreeSet::new();
    let mut valid = true;
    for (button_text, pin) in raw {
        let key = format!("{prefix}.pins.\"{button_text}\"");
        let Some(button) = parse_button(button_text) else {
            problems.add(
                &key,
                format!(
                    "invalid button number '{button_text}': expected a whole number from 0 to 255"
                ),
            );
            valid = false;
            continue;
        };
        if !numbers.insert(button) {
            problems.add(
                &key,
                format!("button {button} is listed twice: list each button once"),
            );
            valid = false;
            continue;
        }
        match pins.claim(&key, *pin, problems) {
            Some(pin) => buttons.push((button, pin)),
            None => valid = false,
        }
    }
    buttons.sort_unstable();
    valid.then_some(buttons)
}

fn parse_button(text: &str) -> Option<u8> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn validate_levels(
    raw: Option<&BTreeMap<String, String>>,
    buttons: &[(u8, u8)],
    prefix: &str,
    problems: &mut Problems,
) -> Option<ButtonMap> {
    let key = format!("{prefix}.levels");
    let map = match raw {
        None => {
            let count = u8::try_from(buttons.len()).unwrap_or(u8::MAX);
            let numbered_from_one = buttons
                .iter()
                .enumerate()
                .all(|(index, (button, _))| usize::from(*button) == index + 1);
            if !numbered_from_one {
                problems.add(
                    key,
                    "missing key: the default levels need buttons numbered 1 to 4 or 1 to 5; \
                     map each button to a level, e.g. levels = { 1 = \"very_satisfied\" }",
                );
                return None;
            }
            ButtonMap::default_for(count)
        }
        Some(raw) => {
            let mut pairs = Vec::with_capacity(raw.len());
            for (button_text, level_text) in raw {
                let entry_key = format!("{key}.\"{button_text}\"");
                let button = parse_button(button_text);
                let level = level_text.parse::<RatingLevel>();
                match (button, level) {
                    (Some(button), Ok(level)) => pairs.push((button, level)),
                    (None, _) => problems.add(
                        entry_key,
                        format!("invalid button number '{button_text}': expected a whole number from 0 to 255"),
                    ),
                    (_, Err(error)) => problems.add(entry_key, error.to_string()),
                }
            }
            if pairs.len() != raw.len() {
                return None;
            }
            ButtonMap::new(pairs)
        }
    };
    let map = match map {
        Ok(map) => map,
        Err(error) => {
            problems.add(key, error.to_string());
            return None;
        }
    };

    // Every wired button needs a level, and every mapped button a wire.
    let wired: BTreeSet<u8> = buttons.iter().map(|(button, _)| *button).collect();
    let mapped: BTreeSet<u8> = map.iter().map(|(button, _)| button).collect();
    if wired != mapped {
        problems.add(
            key,
            format!(
                "levels map buttons {} but pins wire buttons {}: map exactly the wired buttons",
                list(&mapped),
                list(&wired)
            ),
        );
        return None;
    }
    Some(map)
}

fn list(buttons: &BTreeSet<u8>) -> String {
    let items: Vec<String> = buttons.iter().map(u8::to_string).collect();
    items.join(", ")
}
