//! Tests of the `[[device]]` entries: each kind with its defaults, and the
//! errors with their keys.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hallbox_drivers::fingerprint::LedKind;
use hallbox_drivers::serial::PortSettings;

use super::super::{parse, Config, ConfigError, ConfigErrors};
use super::*;

/// Units, windows and staff the device entries below refer to.
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
pins = ["1", "1001"]

[[staff]]
id = "S002"
name = "韩丽"
unit = "tax"
pins = []
"#;

fn parse_devices(devices: &str) -> Result<Config, ConfigError> {
    let text = format!("{ROSTER}\n{devices}");
    parse(Path::new("hallbox.toml"), &text, Path::new("/etc/hallbox"))
}

fn devices_ok(devices: &str) -> Vec<Device> {
    match parse_devices(devices) {
        Ok(config) => config.devices,
        Err(error) => panic!("expected valid devices, got:\n{error}"),
    }
}

fn errors(devices: &str) -> ConfigErrors {
    match parse_devices(devices) {
        Err(ConfigError::Invalid(errors)) => errors,
        Err(other) => panic!("expected validation errors, got: {other}"),
        Ok(_) => panic!("expected validation errors for:\n{devices}"),
    }
}

fn port(path: &str, baud_rate: u32) -> PortSettings {
    PortSettings {
        path: PathBuf::from(path),
        baud_rate,
    }
}

#[test]
fn every_kind_with_defaults() {
    let devices = devices_ok(
        r#"
[[device]]
id = "fingerprint-east"
kind = "fingerprint"
port = "/dev/serial/by-id/usb-fp"
pages = { 0 = "S001", 7 = "S001" }

[[device]]
id = "keypads"
kind = "keypad"
port = "/dev/ttyUSB1"
keypads = { 1 = "W01", 2 = "W02" }

[[device]]
id = "clock-east-1"
kind = "clock_line"
port = "/dev/ttyS0"
"#,
    );

    let expected = vec![
        Device {
            id: "fingerprint-east".to_string(),
            kind: DeviceKind::Fingerprint(FingerprintDevice {
                port: port("/dev/serial/by-id/usb-fp", 57_600),
                led: LedKind::Aura,
                module_address: 0xFFFF_FFFF,
                password: None,
                pages: BTreeMap::from([(0, "S001".to_string()), (7, "S001".to_string())]),
                poll_interval: Duration::from_millis(150),
                ack_timeout: Duration::from_millis(1000),
                search_timeout: Duration::from_millis(3000),
            }),
        },
        Device {
            id: "keypads".to_string(),
            kind: DeviceKind::Keypad(KeypadDevice {
                port: port("/dev/ttyUSB1", 9_600),
                keypads: BTreeMap::from([(1, "W01".to_string()), (2, "W02".to_string())]),
                buttons: ButtonMap::default_for(5).unwrap(),
                turnaround: Duration::from_millis(3),
            }),
        },
        Device {
            id: "clock-east-1".to_string(),
            kind: DeviceKind::ClockLine(ClockLineDevice {
                port: port("/dev/ttyS0", 9_600),
            }),
        },
    ];
    assert_eq!(devices, expected);
    assert_eq!(devices[2].kind_name(), "clock_line");
    assert_eq!(devices[1].port(), Some(&port("/dev/ttyUSB1", 9_600)));
}

#[test]
fn fingerprint_every_key() {
    let devices = devices_ok(
        r#"
[[device]]
id = "fp"
kind = "fingerprint"
port = "/dev/ttyAMA0"
baud = 115200
led = "on_off"
module_address = 0x12345678
password = 42
pages = { 3 = "S001" }
poll_interval_ms = 200
ack_timeout_ms = 800
search_timeout_ms = 5000
"#,
    );
    let DeviceKind::Fingerprint(fingerprint) = &devices[0].kind else {
        panic!("a fingerprint device");
    };
    assert_eq!(fingerprint.port, port("/dev/ttyAMA0", 115_200));
    assert_eq!(fingerprint.led, LedKind::OnOff);
    assert_eq!(fingerprint.module_address, 0x1234_5678);
    assert_eq!(fingerprint.password, Some(42));
    assert_eq!(fingerprint.poll_interval, Duration::from_millis(200));
    assert_eq!(fingerprint.ack_timeout, Duration::from_millis(800));
    assert_eq!(fingerprint.search_timeout, Duration::from_millis(5000));
}

#[test]
fn keypad_buttons_and_map() {
    let devices = devices_ok(
        r#"
[[device]]
id = "four"
kind = "keypad"
port = "/dev/ttyUSB1"
keypads = { 1 = "W01" }
buttons = 4

[[device]]
id = "mapped"
kind = "keypad"
port = "/dev/ttyUSB2"
keypads = { 9 = "W02" }
button_map = { 1 = "satisfied", 3 = "unsatisfied" }
"#,
    );
    let DeviceKind::Keypad(four) = &devices[0].kind else {
        panic!("a keypad device");
    };
    assert_eq!(four.buttons, ButtonMap::default_for(4).unwrap());
    let DeviceKind::Keypad(mapped) = &devices[1].kind else {
        panic!("a keypad device");
    };
    let pairs: Vec<(u8, Level)> = mapped.buttons.iter().collect();
    assert_eq!(pairs, [(1, Level::Satisfied), (3, Level::Unsatisfied)]);
}

#[test]
fn errors_name_their_keys() {
    let errors = errors(
        r#"
[[device]]
id = "bad id!"
kind = "fingerprint"
port = ""
baud = 12345
led = "rgb"
module_address = -1
pages = { x = "S001", 2 = "S999", 3 = "S002" }
poll_interval_ms = 0

[[device]]
id = "keypads"
kind = "keypad"
port = "/dev/ttyUSB1"
keypads = { 0 = "W01", 2 = "W09", 3 = "W01", 4 = "W01" }
button_map = { 17 = "satisfied", 2 = "great" }
turnaround_ms = 500
"#,
    );
    let keys: Vec<&str> = errors.errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "device[0].id",
            "device[0].port",
            "device[0].baud",
            "device[0].led",
            "device[0].module_address",
            "device[0].pages.2",
            "device[0].pages.3",
            "device[0].pages.x",
            "device[0].poll_interval_ms",
            "device[1].keypads.0",
            "device[1].keypads.2",
            "device[1].keypads.4",
            "device[1].button_map.17",
            "device[1].button_map.2",
            "device[1].turnaround_ms",
        ]
    );
    let message = |key: &str| {
        errors
            .errors
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.message.clone())
            .unwrap_or_default()
    };
    assert!(message("device[0].pages.3").contains("has no PIN"));
    assert!(message("device[0].pages.2").contains("unknown staff id 'S999'"));
    assert!(message("device[1].keypads.4").contains("already has keypad 3"));
    assert!(message("device[1].keypads.2").contains("unknown window id 'W09'"));
    assert!(message("device[1].button_map.2").contains("unknown rating level 'great'"));
    assert!(message("device[0].baud").contains("expected one of 1200"));
    assert_eq!(
        message("device[1].turnaround_ms"),
        "invalid time 500 ms: expected 0 to 100 milliseconds"
    );
}

#[test]
fn ids_and_ports_unique() {
    let errors = errors(
        r#"
[[device]]
id = "clock"
kind = "clock_line"
port = "/dev/ttyS0"

[[device]]
id = "clock"
kind = "clock_line"
port = "/dev/ttyS0"
"#,
    );
    let keys: Vec<&str> = errors.errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["device[1].id", "device[1].port"]);
}

#[test]
fn missing_required_keys() {
    let errors = errors(
        r#"
[[device]]
kind = "keypad"
"#,
    );
    let keys: Vec<&str> = errors.errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        ["device[0].id", "device[0].port", "device[0].keypads"]
    );
}

#[test]
fn buttons_with_map_rejected() {
    let errors = errors(
        r#"
[[device]]
id = "keypads"
kind = "keypad"
port = "/dev/ttyUSB1"
keypads = { 1 = "W01" }
buttons = 5
button_map = { 1 = "satisfied" }
"#,
    );
    assert!(errors.has_key("device[0].buttons"), "{errors}");
}

#[test]
fn unknown_kind_and_key_fail_parsing() {
    for (text, expected) in [
        (
            "[[device]]\nid = \"g\"\nkind = \"gpio\"\n",
            "unknown variant `gpio`",
        ),
        (
            "[[device]]\nid = \"c\"\nkind = \"clock_line\"\nport = \"/dev/ttyS0\"\nspeed = 9600\n",
            "unknown field `speed`",
        ),
        ("[[device]]\nid = \"c\"\n", "missing field `kind`"),
    ] {
        match parse_devices(text) {
            Err(error @ ConfigError::Parse { .. }) => {
                let message = error.to_string();
                assert!(message.contains(expected), "{message}");
                assert!(message.contains("device"), "{message}");
            }
            Err(other) => panic!("expected a parse error, got: {other}"),
            Ok(_) => panic!("expected a parse error for:\n{text}"),
        }
    }
}

#[test]
fn shipped_example_devices() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/hallbox.toml");
    let config = match super::super::load(&path) {
        Ok(config) => config,
        Err(error) => panic!("shipped example failed to load:\n{error}"),
    };
    let kinds: Vec<(&str, &str)> = config
        .devices
        .iter()
        .map(|device| (device.id.as_str(), device.kind_name()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("fingerprint-east", "fingerprint"),
            ("clock-east-1", "clock_line"),
            ("keypads-hall", "keypad"),
        ]
    );
    let DeviceKind::Fingerprint(fingerprint) = &config.devices[0].kind else {
        panic!("a fingerprint device");
    };
    assert_eq!(fingerprint.pages.len(), 5);
    assert_eq!(fingerprint.port.baud_rate, 57_600);
    let DeviceKind::Keypad(keypads) = &config.devices[2].kind else {
        panic!("a keypad device");
    };
    assert_eq!(keypads.keypads[&3], "W03");
    assert_eq!(keypads.buttons, ButtonMap::default_for(5).unwrap());
}
