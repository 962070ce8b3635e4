//! Who was on duty at a window on a day.

use super::{day, duty};
use crate::rules::ratings::{staff_on_duty, DutyError};

#[test]
fn duty_change_mid_month() {
    // S001 serves W01 from January; S002 takes over on 2026-11-16, and
    // S003 covers 11-20 to 11-22. W02 belongs to S004 only until 11-10.
    let roster = [
        duty("W01", "S001", "2026-01-01", None),
        duty("W01", "S002", "2026-11-16", None),
        duty("W01", "S003", "2026-11-20", Some("2026-11-22")),
        duty("W02", "S004", "2026-01-01", Some("2026-11-10")),
    ];
    let cases = [
        ("W01", "2025-12-31", None),
        ("W01", "2026-01-01", Some("S001")),
        ("W01", "2026-11-15", Some("S001")),
        ("W01", "2026-11-16", Some("S002")),
        ("W01", "2026-11-19", Some("S002")),
        ("W01", "2026-11-20", Some("S003")),
        ("W01", "2026-11-22", Some("S003")),
        ("W01", "2026-11-23", Some("S002")),
        ("W02", "2026-11-10", Some("S004")),
        ("W02", "2026-11-11", None),
        ("W03", "2026-11-11", None),
    ];
    for (window_id, date, expected) in cases {
        assert_eq!(
            staff_on_duty(&roster, window_id, day(date)),
            expected,
            "{window_id} on {date}"
        );
    }
}

#[test]
fn duty_same_start_later_entry_wins() {
    let roster = [
        duty("W01", "S001", "2026-11-02", None),
        duty("W01", "S002", "2026-11-02", None),
    ];
    assert_eq!(
        staff_on_duty(&roster, "W01", day("2026-11-02")),
        Some("S002")
    );
    assert_eq!(staff_on_duty(&roster, "W01", day("2026-11-01")), None);
}

#[test]
fn duty_empty_roster() {
    assert_eq!(staff_on_duty(&[], "W01", day("2026-11-02")), None);
}

#[test]
fn duty_validate_end_before_start() {
    let good = duty("W01", "S001", "2026-11-02", Some("2026-11-02"));
    assert_eq!(good.validate(), Ok(()));

    let bad = duty("W01", "S001", "2026-11-02", Some("2026-11-01"));
    let err = bad.validate().unwrap_err();
    assert_eq!(
        err,
        DutyError::EndsBeforeStart {
            window_id: "W01".to_string(),
            staff_id: "S001".to_string(),
            from: day("2026-11-02"),
            to: day("2026-11-01"),
        }
    );
    assert!(err.to_string().contains("2026-11-01"), "{err}");
    // Such an assignment covers no day.
    assert_eq!(staff_on_duty(&[bad], "W01", day("2026-11-02")), None);
}
