//! Repeated presses on one keypad.

use super::{at, press};
use crate::rules::ratings::{is_repeat, mark_repeats, Level};

const WINDOW_SECS: u32 = 3;

#[test]
fn repeats_against_previous_press() {
    // 0 s counts; 2 s is 2 s after it; 4.5 s is 2.5 s after the repeat at
    // 2 s, so it repeats too; 8 s is 3.5 s after 4.5 s and counts.
    let presses = [
        press(1, "kp1", "W01", "2026-11-02 10:00:00", Level::Satisfied),
        press(2, "kp1", "W01", "2026-11-02 10:00:02", Level::Satisfied),
        press(3, "kp1", "W01", "2026-11-02 10:00:04.5", Level::Unsatisfied),
        press(4, "kp1", "W01", "2026-11-02 10:00:08", Level::VerySatisfied),
    ];
    assert_eq!(
        mark_repeats(&presses, WINDOW_SECS),
        vec![false, true, true, false]
    );
}

#[test]
fn repeats_chain_one_second_apart() {
    let presses: Vec<_> = (0..6)
        .map(|i| {
            let local = format!("2026-11-02 10:00:0{i}");
            press(i, "kp1", "W01", &local, Level::VerySatisfied)
        })
        .collect();
    assert_eq!(
        mark_repeats(&presses, WINDOW_SECS),
        vec![false, true, true, true, true, true]
    );
}

#[test]
fn repeats_boundary_three_seconds() {
    let presses = [
        press(1, "kp1", "W01", "2026-11-02 10:00:00", Level::Satisfied),
        press(2, "kp1", "W01", "2026-11-02 10:00:03", Level::Satisfied),
        press(3, "kp1", "W01", "2026-11-02 10:00:05.999", Level::Satisfied),
    ];
    // Exactly 3 s after the previous press is not a repeat; 2.999 s is.
    assert_eq!(
        mark_repeats(&presses, WINDOW_SECS),
        vec![false, false, true]
    );
}

#[test]
fn repeats_other_keypads() {
    let presses = [
        press(1, "kp1", "W01", "2026-11-02 10:00:00", Level::Satisfied),
        press(2, "kp2", "W02", "2026-11-02 10:00:01", Level::Satisfied),
        press(3, "kp3", "W01", "2026-11-02 10:00:01", Level::Satisfied),
        press(4, "kp1", "W01", "2026-11-02 10:00:02", Level::Satisfied),
    ];
    // kp3 sits at the same window as kp1 but is another keypad.
    assert_eq!(
        mark_repeats(&presses, WINDOW_SECS),
        vec![false, false, false, true]
    );
}

#[test]
fn repeats_unsorted_input() {
    // Given out of order, marked in time order; equal times by sequence.
    let presses = [
        press(4, "kp1", "W01", "2026-11-02 10:00:08", Level::Satisfied),
        press(2, "kp1", "W01", "2026-11-02 10:00:00", Level::Satisfied),
        press(1, "kp1", "W01", "2026-11-02 10:00:00", Level::Satisfied),
        press(3, "kp1", "W01", "2026-11-02 10:00:02", Level::Satisfied),
    ];
    assert_eq!(
        mark_repeats(&presses, WINDOW_SECS),
        vec![false, true, false, true]
    );
}

#[test]
fn repeats_empty_input() {
    assert!(mark_repeats(&[], WINDOW_SECS).is_empty());
}

#[test]
fn is_repeat_table() {
    let previous = at("2026-11-02 10:00:00");
    let cases = [
        ("2026-11-02 10:00:00", true),
        ("2026-11-02 10:00:02.999", true),
        ("2026-11-02 10:00:03", false),
        ("2026-11-02 10:05:00", false),
        // A keypad clock that stepped back by 1 s.
        ("2026-11-02 09:59:59", true),
        ("2026-11-02 09:59:57", false),
    ];
    for (current, expected) in cases {
        assert_eq!(
            is_repeat(previous, at(current), WINDOW_SECS),
            expected,
            "{current}"
        );
    }
}
