//! Tests of the `[[wiegand]]` and `[[button_keypad]]` sections: a full
//! example, the defaults, and every kind of error under its key.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use hallbox_drivers::edge::Level;
use hallbox_drivers::wiegand::{AcceptedFormats, Key8Order, Lines, Timing};

use super::*;
use crate::config::{parse, Config, ConfigError, ConfigErrors};
use crate::rules::ratings::Level as Rating;

/// A roster of one unit with windows W01 and W02, and two staff members,
/// S002 without a PIN.
const ROSTER: &str = r#"
[calendar]
kind = "monday-to-friday"

[[unit]]
id = "tax"
name = "县税务局"
windows = [{ id = "W01", name = "1号窗口" }, { id = "W02", name = "2号窗口" }]

[[staff]]
id = "S001"
name = "马建国"
unit = "tax"
pins = ["1001"]

[[staff]]
id = "S002"
name = "韩丽"
unit = "tax"
"#;

fn parse_gpio(devices: &str) -> Result<Config, ConfigError> {
    let text = format!("{ROSTER}\n{devices}");
    parse(Path::new("hallbox.toml"), &text, Path::new("/"))
}

fn gpio_ok(devices: &str) -> GpioDevices {
    match parse_gpio(devices) {
        Ok(config) => config.gpio,
        Err(error) => panic!("expected a valid config, got:\n{error}"),
    }
}

fn gpio_errors(devices: &str) -> ConfigErrors {
    match parse_gpio(devices) {
        Err(ConfigError::Invalid(errors)) => errors,
        Err(other) => panic!("expected validation errors, got: {other}"),
        Ok(_) => panic!("expected validation errors for:\n{devices}"),
    }
}

/// Returns the message under `key`, failing when there is none.
fn message(errors: &ConfigErrors, key: &str) -> String {
    match errors.errors.iter().find(|error| error.key == key) {
        Some(error) => error.message.clone(),
        None => panic!("no error under {key}; errors:\n{errors}"),
    }
}

#[test]
fn full_example_values() {
    let gpio = gpio_ok(
        r#"
[[wiegand]]
id = "door-reader"
d0 = 17
d1 = 27
formats = ["card26", "key8"]
key8_order = "key_first"
min_pulse_us = 15
max_pulse_us = 150
min_gap_us = 80
max_gap_us = 3000
frame_gap_ms = 40
cards = { "123/45678" = "S001", "0/7" = "S001" }
confirm_pin = 22
confirm_active = "high"
confirm_pulse_ms = 300

[[button_keypad]]
id = "kp-w02"
window = "W02"
pins = { 1 = 5, 2 = 6, 3 = 13 }
active = "high"
debounce_ms = 20
levels = { 1 = "satisfied", 2 = "basically_satisfied", 3 = "unsatisfied" }
"#,
    );

    let expected_reader = WiegandReader {
        id: "door-reader".to_string(),
        decoder: DecoderConfig {
            lines: Lines { d0: 17, d1: 27 },
            timing: Timing {
                min_pulse: Duration::from_micros(15),
                max_pulse: Duration::from_micros(150),
                min_gap: Duration::from_micros(80),
                max_gap: Some(Duration::from_micros(3000)),
                frame_gap: Duration::from_millis(40),
            },
            formats: AcceptedFormats {
                key4: false,
                key8: true,
                card26: true,
                card34: false,
            },
            key8_order: Key8Order::KeyFirst,
        },
        credentials: Credentials::Map(BTreeMap::from([
            ((0, 7), "S001".to_string()),
            ((123, 45678), "S001".to_string()),
        ])),
        confirm: Some(ConfirmOutput {
            pin: 22,
            active: Level::High,
            pulse: Duration::from_millis(300),
        }),
    };
    assert_eq!(gpio.wiegand, vec![expected_reader]);

    let expected_keypad = ButtonKeypad {
        id: "kp-w02".to_string(),
        window: "W02".to_string(),
        buttons: vec![(1, 5), (2, 6), (3, 13)],
        active: Level::High,
        debounce: Duration::from_millis(20),
        levels: ButtonMap::new([
            (1, Rating::Satisfied),
            (2, Rating::BasicallySatisfied),
            (3, Rating::Unsatisfied),
        ])
        .expect("three buttons"),
    };
    assert_eq!(gpio.button_keypads, vec![expected_keypad]);
    assert_eq!(gpio.len(), 2);
}

#[test]
fn defaults_filled_in() {
    let gpio = gpio_ok(
        r#"
[[wiegand]]
id = "r1"
d0 = 2
d1 = 3

[[wiegand]]
id = "r2"
d0 = 4
d1 = 7
credential = "full_number"
confirm_pin = 8

[[button_keypad]]
id = "kp"
window = "W01"
pins = { 1 = 20, 2 = 21, 3 = 22, 4 = 23 }
"#,
    );
    let first = &gpio.wiegand[0];
    assert_eq!(first.decoder.timing, Timing::default());
    assert_eq!(first.decoder.formats, AcceptedFormats::ALL);
    assert_eq!(first.decoder.key8_order, Key8Order::ComplementFirst);
    assert_eq!(first.credentials, Credentials::Map(BTreeMap::new()));
    assert_eq!(first.confirm, None);

    let second = &gpio.wiegand[1];
    assert_eq!(second.credentials, Credentials::FullNumber);
    assert_eq!(
        second.confirm,
        Some(ConfirmOutput {
            pin: 8,
            active: Level::Low,
            pulse: DEFAULT_CONFIRM_PULSE,
        })
    );

    let keypad = &gpio.button_keypads[0];
    assert_eq!(keypad.active, Level::Low);
    assert_eq!(keypad.debounce, Duration::from_millis(30));
    // Four buttons: 非常满意, 满意, 基本满意, 不满意.
    assert_eq!(
        keypad.levels,
        ButtonMap::default_for(4).expect("4-button default")
    );
    assert_eq!(keypad.levels.level(4), Ok(Rating::Unsatisfied));
}

#[test]
fn no_gpio_devices() {
    assert!(gpio_ok("").is_empty());
}

#[test]
fn pin_errors() {
    let errors = gpio_errors(
        r#"
[[wiegand]]
id = "r1"
d0 = 1
d1 = 28

[[wiegand]]
id = "r2"
d0 = 17
d1 = 17
confirm_pin = 27

[[button_keypad]]
id = "kp"
window = "W01"
pins = { 1 = 27, 2 = 5, 3 = 6, 4 = 12 }
"#,
    );
    assert_eq!(
        message(&errors, "wiegand[0].d0"),
        "invalid pin 1: expected a BCM GPIO number from 2 to 27 (GPIO17 is 17; header positions are not pin numbers)"
    );
    assert!(message(&errors, "wiegand[0].d1").starts_with("invalid pin 28:"));
    assert_eq!(
        message(&errors, "wiegand[1].d1"),
        "pin 17 is already used by wiegand[1].d0: give each line its own pin"
    );
    assert_eq!(
        message(&errors, "button_keypad[0].pins.\"1\""),
        "pin 27 is already used by wiegand[1].confirm_pin: give each line its own pin"
    );
    assert_eq!(errors.errors.len(), 4, "{errors}");
}

#[test]
fn missing_keys() {
    let errors = gpio_errors(
        r#"
[[wiegand]]

[[button_keypad]]
"#,
    );
    assert_eq!(
        message(&errors, "wiegand[0].id"),
        "missing key: add it, e.g. id = \"door-reader\""
    );
    assert_eq!(
        message(&errors, "wiegand[0].d0"),
        "missing key: add the BCM pin, e.g. d0 = 17"
    );
    assert!(errors.has_key("wiegand[0].d1"));
    assert!(errors.has_key("button_keypad[0].id"));
    assert!(message(&errors, "button_keypad[0].window").starts_with("missing key"));
    assert!(message(&errors, "button_keypad[0].pins").starts_with("missing key"));
}

#[test]
fn id_errors() {
    let errors = gpio_errors(
        r#"
[[wiegand]]
id = "door reader"
d0 = 2
d1 = 3

[[button_keypad]]
id = "door reader"
window = "W01"
pins = { 1 = 4, 2 = 5, 3 = 6, 4 = 7 }
"#,
    );
    assert!(message(&errors, "wiegand[0].id").starts_with("invalid id 'door reader'"));
    let keypad_messages: Vec<&str> = errors
        .errors
        .iter()
        .filter(|error| error.key == "button_keypad[0].id")
        .map(|error| error.message.as_str())
        .collect();
    assert!(
        keypad_messages.contains(&"duplicate device id 'door reader': wiegand[0] already uses it"),
        "{errors}"
    );
}

#[test]
fn ids_unique_across_kinds() {
    let errors = gpio_errors(
        r#"
[[device]]
id = "door"
kind = "clock_line"
port = "/dev/ttyS0"

[[wiegand]]
id = "door"
d0 = 2
d1 = 3

[[adms.clock]]
id = "door"
serial_number = "CKJ4213600282"
"#,
    );
    let keys: Vec<&str> = errors.errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["wiegand[0].id", "adms.clock[0].id"], "{errors}");
    assert_eq!(
        message(&errors, "wiegand[0].id"),
        "duplicate device id 'door': device[0] already uses it, and each device's events are \
         stored under its id: give this one another id"
    );
}

#[test]
fn one_keypad_per_window() {
    let errors = gpio_errors(
        r#"
[[device]]
id = "keypads"
kind = "keypad"
port = "/dev/ttyUSB1"
keypads = { 1 = "W01" }

[[button_keypad]]
id = "kp-a"
window = "W01"
pins = { 1 = 4, 2 = 5, 3 = 6, 4 = 7 }

[[button_keypad]]
id = "kp-b"
window = "W02"
pins = { 1 = 8, 2 = 9, 3 = 10, 4 = 11 }

[[button_keypad]]
id = "kp-c"
window = "W02"
pins = { 1 = 12, 2 = 13, 3 = 14, 4 = 15 }
"#,
    );
    let keys: Vec<&str> = errors.errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        ["button_keypad[0].window", "button_keypad[2].window"],
        "{errors}"
    );
    assert_eq!(
        message(&errors, "button_keypad[2].window"),
        "window 'W02' already has the keypad of button_keypad[1].window: give each window one \
         keypad, so that its ratings come from one place"
    );
}

#[test]
fn decoder_errors() {
    let errors = gpio_errors(
        r#"
[[wiegand]]
id = "r1"
d0 = 2
d1 = 3
formats = ["card26", "card37"]
key8_order = "swapped"
min_pulse_us = 0
frame_gap_ms = 2000

[[wiegand]]
id = "r2"
d0 = 4
d1 = 5
formats = ["key4", "key8"]

[[wiegand]]
id = "r3"
d0 = 6
d1 = 7
max_pulse_us = 300
frame_gap_ms = 1
"#,
    );
    assert_eq!(
        message(&errors, "wiegand[0].formats"),
        "unknown format 'card37': expected card26, card34, key4 or key8"
    );
    assert_eq!(
        message(&errors, "wiegand[0].key8_order"),
        "unknown order 'swapped': expected complement_first or key_first"
    );
    assert_eq!(
        message(&errors, "wiegand[0].min_pulse_us"),
        "invalid time 0 µs: expected a whole number of µs above 0, at most 1 s"
    );
    assert!(errors.has_key("wiegand[0].frame_gap_ms"));
    assert!(message(&errors, "wiegand[1].formats").starts_with("no card format"));
    // A 1 ms frame gap above a 300 µs maximum pulse is valid.
    assert!(!errors.has_key("wiegand[2]"), "{errors}");
    assert!(!errors.has_key("wiegand[2].frame_gap_ms"), "{errors}");

    // A frame gap no longer than the maximum gap would split frames.

    let errors = gpio_errors(
        r#"
[[wiegand]]
id = "r1"
d0 = 2
d1 = 3
max_gap_us = 5000
frame_gap_ms = 5
"#,
    );
    assert_eq!(
        message(&errors, "wiegand[0]"),
        "frame_gap 5ms is not longer than 5ms, the maximum valid pulse or gap (set frame_gap above it)"
    );
}

#[test]
fn credential_errors() {
    let errors = gpio_errors(
        r#"
[[wiegand]]
id = "r1"
d0 = 2
d1 = 3
cards = { "123-45678" = "S001", "1/70000" = "S001", "5/6" = "S404", "7/8" = "S002", "07/8" = "S001" }

[[wiegand]]
id = "r2"
d0 = 4
d1 = 5
credential = "card_number"
cards = { "1/2" = "S001" }

[[wiegand]]
id = "r3"
d0 = 6
d1 = 7
credential = "badge"
"#,
    );
    let card_error = |card: &str| message(&errors, &format!("wiegand[0].cards.\"{card}\""));
    assert_eq!(
        card_error("123-45678"),
        "invalid card '123-45678': expected \"facility/card\" with two decimal numbers from 0 to 65535, such as \"123/45678\""
    );
    assert!(card_error("1/70000").starts_with("invalid card '1/70000'"));
    assert_eq!(
        card_error("5/6"),
        "unknown staff id 'S404': add a [[staff]] with this id"
    );
    // "07/8" and "7/8" are the same card. The keys are visited in text
    // order, so "07/8" is taken first and "7/8" is the duplicate.
    assert_eq!(
        card_error("7/8"),
        "staff member 'S002' has no PIN: give them one in pins, because the report finds a person's punches by PIN"
    );
    assert!(errors
        .errors
        .iter()
        .any(|error| error.message == "card 7/8 is listed twice: list each card once"));
    assert!(message(&errors, "wiegand[1].cards").starts_with("cards are read only with"));
    assert_eq!(
        message(&errors, "wiegand[2].credential"),
        "unknown credential 'badge': expected map, card_number or full_number"
    );
}

#[test]
fn confirm_errors() {
    let errors = gpio_errors(
        r#"
[[wiegand]]
id = "r1"
d0 = 2
d1 = 3
confirm_active = "low"
confirm_pulse_ms = 100

[[wiegand]]
id = "r2"
d0 = 4
d1 = 5
confirm_pin = 6
confirm_active = "on"
confirm_pulse_ms = 6000
"#,
    );
    assert_eq!(
        message(&errors, "wiegand[0].confirm_active"),
        "set without confirm_pin: add confirm_pin, the BCM pin of the LED or beeper line"
    );
    assert!(errors.has_key("wiegand[0].confirm_pulse_ms"));
    assert_eq!(
        message(&errors, "wiegand[1].confirm_active"),
        "unknown level 'on': expected low or high"
    );
    assert_eq!(
        message(&errors, "wiegand[1].confirm_pulse_ms"),
        "invalid pulse length 6000 ms: expected 1 to 5000, such as 200"
    );
}

#[test]
fn keypad_errors() {
    let errors = gpio_errors(
        r#"
[[button_keypad]]
id = "k1"
window = "W09"
pins = { 1 = 2, x = 3 }
debounce_ms = 1500

[[button_keypad]]
id = "k2"
window = "W01"
pins = { 2 = 4, 3 = 5, 4 = 6, 5 = 7 }

[[button_keypad]]
id = "k3"
window = "W01"
pins = { 1 = 8, 2 = 9 }
levels = { 1 = "very_satisfied", 3 = "satisfied" }

[[button_keypad]]
id = "k4"
window = "W01"
pins = { 1 = 10 }
levels = { 1 = "great" }
active = "both"
"#,
    );
    assert_eq!(
        message(&errors, "button_keypad[0].window"),
        "unknown window 'W09': declare it in the windows of a [[unit]]"
    );
    assert_eq!(
        message(&errors, "button_keypad[0].pins.\"x\""),
        "invalid button number 'x': expected a whole number from 0 to 255"
    );
    assert_eq!(
        message(&errors, "button_keypad[0].debounce_ms"),
        "invalid debounce time 1500 ms: expected 0 to 1000, such as 30"
    );
    assert!(message(&errors, "button_keypad[1].levels")
        .starts_with("missing key: the default levels need buttons numbered 1 to 4 or 1 to 5"));
    assert_eq!(
        message(&errors, "button_keypad[2].levels"),
        "levels map buttons 1, 3 but pins wire buttons 1, 2: map exactly the wired buttons"
    );
    assert!(message(&errors, "button_keypad[3].levels.\"1\"")
        .starts_with("unknown rating level 'great'"));
    assert_eq!(
        message(&errors, "button_keypad[3].active"),
        "unknown level 'both': expected low or high"
    );
}

#[test]
fn unknown_key_rejected() {
    let text = format!("{ROSTER}\n[[wiegand]]\nid = \"r1\"\nd0 = 2\nd1 = 3\nbeeper = 4\n");
    match parse(Path::new("hallbox.toml"), &text, Path::new("/")) {
        Err(error @ ConfigError::Parse { .. }) => {
            let display = error.to_string();
            assert!(display.contains("wiegand[0]"), "{display}");
            assert!(display.contains("beeper"), "{display}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn shipped_examples_valid() {
    // The shipped file carries the GPIO sections commented out. Taking
    // every commented line that is a table header or a key, uncommented,
    // and appending them gives the file a reader and a keypad.
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let shipped =
        std::fs::read_to_string(folder.join("hallbox.toml")).expect("read the shipped file");
    let is_setting = |line: &str| {
        let Some(rest) = line.strip_prefix("# ") else {
            return false;
        };
        let key_end = rest.find(" = ").unwrap_or(0);
        rest.starts_with("[[")
            || (key_end > 0
                && rest[..key_end]
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
    };
    // Only the GPIO part: other sections carry commented examples too.
    let gpio_part = &shipped[shipped
        .find("# [[wiegand]]")
        .expect("the [[wiegand]] example")..];
    let examples: Vec<&str> = gpio_part
        .lines()
        .filter(|line| is_setting(line))
        .map(|line| &line[2..])
        .collect();
    // The button keypad example rates W01 in place of the bus keypad there.
    let shipped = shipped.replace(
        "keypads = { 1 = \"W01\", 2 = \"W02\", 3 = \"W03\" }",
        "keypads = { 2 = \"W02\", 3 = \"W03\" }",
    );
    let text = format!("{shipped}\n{}\n", examples.join("\n"));

    let config = match parse(Path::new("hallbox.toml"), &text, &folder) {
        Ok(config) => config,
        Err(error) => panic!("the shipped GPIO examples are invalid:\n{error}\n{text}"),
    };
    let reader = &config.gpio.wiegand[0];
    assert_eq!(reader.id, "door-reader");
    assert_eq!(reader.decoder.lines, Lines { d0: 17, d1: 27 });
    assert_eq!(reader.decoder.timing, Timing::default());
    assert_eq!(
        reader.credentials,
        Credentials::Map(BTreeMap::from([
            ((123, 45678), "S001".to_string()),
            ((123, 45679), "S002".to_string()),
        ]))
    );
    assert_eq!(
        reader.confirm,
        Some(ConfirmOutput {
            pin: 22,
            active: Level::Low,
            pulse: Duration::from_millis(200),
        })
    );
    let keypad = &config.gpio.button_keypads[0];
    assert_eq!(
        keypad.buttons,
        vec![(1, 5), (2, 6), (3, 13), (4, 19), (5, 26)]
    );
    assert_eq!(
        keypad.levels,
        ButtonMap::default_for(5).expect("5-button default")
    );
}
