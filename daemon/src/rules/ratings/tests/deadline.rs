//! The deadline for requesting a correction, on the shipped calendar.

use super::{at, shipped};
use crate::calendar::CalendarError;
use crate::rules::ratings::{check_request_time, correction_deadline, DeadlineError};

#[test]
fn deadline_real_calendar() {
    let calendar = shipped();
    // (press, exclusive end of the period)
    let cases = [
        // Wednesday before National Day: 10-01..10-07 are holidays, so
        // Thu 10-08, Fri 10-09 and make-up Sat 10-10; ends at 10-10 24:00.
        ("2026-09-30 10:00:00", "2026-10-11 00:00:00"),
        // Friday before the make-up Saturday 02-14 and the Spring Festival
        // (02-15..02-23): Sat 02-14, Tue 02-24, Wed 02-25.
        ("2026-02-13 15:00:00", "2026-02-26 00:00:00"),
        // Plain Friday: Mon 11-09, Tue 11-10, Wed 11-11.
        ("2026-11-06 09:00:00", "2026-11-12 00:00:00"),
        // Late at night the day of the press still does not count.
        ("2026-11-06 23:59:00", "2026-11-12 00:00:00"),
        // Just after midnight the press falls on Saturday 11-07, which is
        // no working day: Mon 11-09, Tue 11-10, Wed 11-11 again.
        ("2026-11-07 00:00:30", "2026-11-12 00:00:00"),
        // On a holiday (Saturday 10-03): 10-08, 10-09, 10-10.
        ("2026-10-03 11:00:00", "2026-10-11 00:00:00"),
        // On the make-up Saturday itself: Mon 10-12, Tue 10-13, Wed 10-14.
        ("2026-10-10 11:00:00", "2026-10-15 00:00:00"),
        // Across the year: Wed 2025-12-31, then 2026-01-01..01-03 are
        // holidays and Sunday 01-04 is a make-up day: 12-31, 01-04, 01-05.
        ("2025-12-30 16:00:00", "2026-01-06 00:00:00"),
    ];
    for (pressed, expected) in cases {
        assert_eq!(
            correction_deadline(&calendar, at(pressed), 3).unwrap(),
            at(expected),
            "press at {pressed}"
        );
    }
}

#[test]
fn deadline_other_day_counts() {
    let calendar = shipped();
    let pressed = at("2026-09-30 10:00:00");
    let cases = [
        (0, "2026-10-01 00:00:00"),
        (1, "2026-10-09 00:00:00"),
        (2, "2026-10-10 00:00:00"),
        (4, "2026-10-13 00:00:00"),
    ];
    for (working_days, expected) in cases {
        assert_eq!(
            correction_deadline(&calendar, pressed, working_days).unwrap(),
            at(expected),
            "{working_days} working days"
        );
    }
}

#[test]
fn deadline_uncovered_year() {
    let calendar = shipped();
    // Wednesday 2026-12-30: Thursday 12-31 is the first working day, and
    // 2027 has no calendar file.
    let err = correction_deadline(&calendar, at("2026-12-30 10:00:00"), 3).unwrap_err();
    assert!(matches!(err, CalendarError::NotCovered { .. }), "{err}");

    let err = check_request_time(
        &calendar,
        at("2026-12-30 10:00:00"),
        at("2026-12-30 11:00:00"),
        3,
    )
    .unwrap_err();
    assert!(matches!(err, DeadlineError::Calendar(_)), "{err}");
    assert!(err.to_string().contains("2027"), "{err}");
}

#[test]
fn request_time_at_the_limits() {
    let calendar = shipped();
    let pressed = at("2026-09-30 10:00:00");
    let cases = [
        ("2026-09-30 10:00:00", true),
        ("2026-10-05 12:00:00", true),
        ("2026-10-10 23:59:59", true),
        ("2026-10-10 23:59:59.999", true),
        ("2026-10-11 00:00:00", false),
        ("2026-10-12 09:00:00", false),
    ];
    for (filed, in_time) in cases {
        let result = check_request_time(&calendar, pressed, at(filed), 3);
        assert_eq!(result.is_ok(), in_time, "filed at {filed}: {result:?}");
    }
}

#[test]
fn request_late_message() {
    let calendar = shipped();
    let err = check_request_time(
        &calendar,
        at("2026-09-30 10:00:00"),
        at("2026-10-11 00:00:00"),
        3,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "correction request filed at 2026-10-11 00:00:00 is late: the correction window \
         for a rating pressed on 2026-09-30 ended at 2026-10-10 24:00 \
         (3 working days after the press)"
    );

    let err = check_request_time(
        &calendar,
        at("2026-11-06 23:59:00"),
        at("2026-11-10 00:00:00"),
        1,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "correction request filed at 2026-11-10 00:00:00 is late: the correction window \
         for a rating pressed on 2026-11-06 ended at 2026-11-09 24:00 \
         (1 working day after the press)"
    );
}

#[test]
fn request_before_press() {
    let calendar = shipped();
    let err = check_request_time(
        &calendar,
        at("2026-11-06 10:00:00"),
        at("2026-11-06 09:59:59"),
        3,
    )
    .unwrap_err();
    assert!(matches!(err, DeadlineError::BeforePress { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "correction request filed at 2026-11-06 09:59:59 is earlier than the press at \
         2026-11-06 10:00:00: check the request time and the rating id"
    );
}
