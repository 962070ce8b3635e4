//! Levels, their names and button maps.

use crate::rules::ratings::{ButtonMap, Level, LevelCounts, LevelError};

#[test]
fn level_names_and_labels() {
    let cases = [
        (Level::VerySatisfied, "very_satisfied", "非常满意", true),
        (Level::Satisfied, "satisfied", "满意", true),
        (
            Level::BasicallySatisfied,
            "basically_satisfied",
            "基本满意",
            true,
        ),
        (Level::Unsatisfied, "unsatisfied", "不满意", false),
        (
            Level::VeryUnsatisfied,
            "very_unsatisfied",
            "非常不满意",
            false,
        ),
    ];
    for (level, name, label, satisfied) in cases {
        assert_eq!(level.as_str(), name);
        assert_eq!(level.label_zh(), label);
        assert_eq!(level.is_satisfied(), satisfied, "{name}");
        assert_eq!(level.is_unsatisfied(), !satisfied, "{name}");
        assert_eq!(name.parse::<Level>(), Ok(level));
        let json = serde_json::to_string(&level).unwrap();
        assert_eq!(json, format!("\"{name}\""));
        let back: Level = serde_json::from_str(&json).unwrap();
        assert_eq!(back, level);
    }
}

#[test]
fn level_unknown_name() {
    let err = "Satisfied".parse::<Level>().unwrap_err();
    assert_eq!(
        err,
        LevelError::UnknownLevel {
            text: "Satisfied".to_string()
        }
    );
    assert!(err.to_string().contains("'Satisfied'"), "{err}");
    assert!(err.to_string().contains("basically_satisfied"), "{err}");
}

#[test]
fn button_map_four_buttons() {
    let map = ButtonMap::default_for(4).unwrap();
    let cases = [
        (1, Level::VerySatisfied),
        (2, Level::Satisfied),
        (3, Level::BasicallySatisfied),
        (4, Level::Unsatisfied),
    ];
    for (button, level) in cases {
        assert_eq!(map.level(button), Ok(level), "button {button}");
    }
    let err = map.level(5).unwrap_err();
    assert_eq!(
        err,
        LevelError::UnmappedButton {
            button: 5,
            mapped: vec![1, 2, 3, 4]
        }
    );
    assert_eq!(
        err.to_string(),
        "button 5 is not mapped to a level: the keypad's buttons are 1, 2, 3, 4; check the keypad's button map"
    );
}

#[test]
fn button_map_five_buttons() {
    let map = ButtonMap::default_for(5).unwrap();
    let cases = [
        (1, Level::VerySatisfied),
        (2, Level::Satisfied),
        (3, Level::BasicallySatisfied),
        (4, Level::Unsatisfied),
        (5, Level::VeryUnsatisfied),
    ];
    for (button, level) in cases {
        assert_eq!(map.level(button), Ok(level), "button {button}");
    }
    for button in [0, 6, 255] {
        assert!(
            matches!(map.level(button), Err(LevelError::UnmappedButton { .. })),
            "button {button}"
        );
    }
    assert_eq!(map.iter().count(), 5);
}

#[test]
fn button_map_no_default() {
    for buttons in [0, 1, 3, 6] {
        assert_eq!(
            ButtonMap::default_for(buttons),
            Err(LevelError::NoDefaultMap { buttons })
        );
    }
}

#[test]
fn button_map_custom() {
    // A keypad wired the other way round: button 1 is the worst.
    let map = ButtonMap::new([
        (1, Level::Unsatisfied),
        (2, Level::BasicallySatisfied),
        (3, Level::VerySatisfied),
    ])
    .unwrap();
    assert_eq!(map.level(1), Ok(Level::Unsatisfied));
    assert_eq!(map.level(3), Ok(Level::VerySatisfied));
    assert!(map.level(4).is_err());
    let json = serde_json::to_string(&map).unwrap();
    assert_eq!(
        json,
        r#"{"1":"unsatisfied","2":"basically_satisfied","3":"very_satisfied"}"#
    );
}

#[test]
fn button_map_invalid() {
    assert_eq!(
        ButtonMap::new([(1, Level::Satisfied), (1, Level::Unsatisfied)]),
        Err(LevelError::DuplicateButton { button: 1 })
    );
    assert_eq!(ButtonMap::new([]), Err(LevelError::EmptyMap));
}

#[test]
fn level_counts_totals() {
    let mut counts = LevelCounts::default();
    let pressed = [
        Level::VerySatisfied,
        Level::VerySatisfied,
        Level::Satisfied,
        Level::BasicallySatisfied,
        Level::Unsatisfied,
        Level::VeryUnsatisfied,
        Level::VeryUnsatisfied,
    ];
    for level in pressed {
        counts.add(level);
    }
    assert_eq!(counts.very_satisfied, 2);
    assert_eq!(counts.get(Level::VeryUnsatisfied), 2);
    assert_eq!(counts.total(), 7);
    assert_eq!(counts.satisfied_total(), 4);
    assert_eq!(counts.unsatisfied_total(), 3);
}

#[test]
fn button_map_from_toml_and_json() {
    #[derive(serde::Deserialize)]
    struct Keypad {
        buttons: ButtonMap,
    }
    let expected = ButtonMap::new([
        (1, Level::VerySatisfied),
        (2, Level::Satisfied),
        (3, Level::Unsatisfied),
    ])
    .unwrap();

    let text = r#"buttons = { 1 = "very_satisfied", 2 = "satisfied", 3 = "unsatisfied" }"#;
    let keypad: Keypad = toml::from_str(text).unwrap();
    assert_eq!(keypad.buttons, expected);

    let json = r#"{"1":"very_satisfied","2":"satisfied","3":"unsatisfied"}"#;
    let map: ButtonMap = serde_json::from_str(json).unwrap();
    assert_eq!(map, expected);
    assert_eq!(serde_json::to_string(&map).unwrap(), json);
}

#[test]
fn button_map_invalid_input() {
    let cases = [
        (r#"{"one":"satisfied"}"#, "invalid button number 'one'"),
        (r#"{"256":"satisfied"}"#, "invalid button number '256'"),
        (r#"{"1":"good"}"#, "good"),
        (r#"{}"#, "the button map is empty"),
        // "01" and "1" are one button.
        (
            r#"{"1":"satisfied","01":"unsatisfied"}"#,
            "button 1 is mapped twice",
        ),
    ];
    for (json, expected) in cases {
        let err = serde_json::from_str::<ButtonMap>(json)
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{json} gave {err}");
    }
}
