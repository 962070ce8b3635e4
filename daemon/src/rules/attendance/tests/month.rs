//! Month totals, calendars, the as-of instant, the roster and the year's
//! absence occurrences.

use super::*;
use crate::calendar::CalendarError;
use crate::rules::settings::Checkpoint;

/// Days of November 2026 after the first working day, Monday 2026-11-02.
const NOVEMBER_WORKING_DAYS: usize = 21;

#[test]
fn full_day_absent_is_one_occurrence() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-11-01"))];
    let mut punches = Punches::default();
    punches.add_on_time_months("1", 11, 11, &["2026-11-04"]);
    let result = fixture.month(&people, &punches.list, 2026, 11);

    assert_eq!(
        outcomes(day_of(&result, 0, "2026-11-04")),
        [Outcome::Missing; 4]
    );
    let totals = result.people[0].totals;
    assert_eq!(totals.days_evaluated, 21);
    assert_eq!(totals.days_pending, 0);
    assert_eq!(totals.late, 0);
    assert_eq!(totals.early, 0);
    assert_eq!(totals.missing_punches, 4);
    assert_eq!(totals.absent_half_days, 2);
    assert_eq!(totals.absent_days, 1.0);
    assert_eq!(totals.deemed_absences, 0);
    // 3 points per day of absence.
    assert_eq!(totals.deduction_raw, 3.0);
    assert_eq!(totals.attendance_score, 17.0);
    assert_eq!(totals.absence_occurrences_month, 1);
    assert_eq!(totals.absence_occurrences_year, 1);
    assert!(!totals.return_to_department);
}

#[test]
fn deemed_absence_every_three() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-11-01"))];
    let days = [
        "2026-11-02",
        "2026-11-03",
        "2026-11-04",
        "2026-11-05",
        "2026-11-06",
        "2026-11-09",
    ];
    // (late days, deemed absences, raw deduction, score)
    let cases = [
        (2, 0, 4.0, 16.0),
        (3, 1, 9.0, 11.0),
        (5, 1, 13.0, 7.0),
        (6, 2, 18.0, 2.0),
    ];
    for (late_days, deemed, raw, score) in cases {
        let mut punches = Punches::default();
        punches.add_on_time_months("1", 11, 11, &days[..late_days]);
        for day in &days[..late_days] {
            // 08:45 is 15 minutes late; the rest of the day is on time.
            punches.add_day(
                "1",
                date(day),
                &["08:45:00", "12:05:00", "14:20:00", "18:05:00"],
            );
        }
        let result = fixture.month(&people, &punches.list, 2026, 11);

        let totals = result.people[0].totals;
        assert_eq!(totals.late as usize, late_days, "{late_days} late days");
        assert_eq!(totals.early, 0, "{late_days} late days");
        assert_eq!(totals.deemed_absences, deemed, "{late_days} late days");
        assert_eq!(totals.deduction_raw, raw, "{late_days} late days");
        assert_eq!(totals.attendance_score, score, "{late_days} late days");
        assert_eq!(
            totals.absence_occurrences_month, deemed,
            "{late_days} late days"
        );
    }
}

#[test]
fn mixed_month_deductions() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-11-01"))];
    let mut punches = Punches::default();
    let anomalies = ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"];
    punches.add_on_time_months("1", 11, 11, &anomalies);
    // One minute late.
    punches.add_day(
        "1",
        date("2026-11-02"),
        &["08:31:00", "12:05:00", "14:20:00", "18:05:00"],
    );
    // One minute early.
    punches.add_day(
        "1",
        date("2026-11-03"),
        &["08:20:00", "12:05:00", "14:20:00", "17:59:59"],
    );
    // No evening sign-out: early, one missing punch.
    punches.add_day(
        "1",
        date("2026-11-04"),
        &["08:20:00", "12:05:00", "14:00:00"],
    );
    // No morning: half a day of absence, two missing punches.
    punches.add_day("1", date("2026-11-05"), &["14:20:00", "18:05:00"]);
    let result = fixture.month(&people, &punches.list, 2026, 11);

    let totals = result.people[0].totals;
    assert_eq!(totals.late, 1);
    assert_eq!(totals.early, 2);
    assert_eq!(totals.missing_punches, 3);
    assert_eq!(totals.absent_half_days, 1);
    assert_eq!(totals.absent_days, 0.5);
    // (1 + 2) / 3 = 1 deemed absence.
    assert_eq!(totals.deemed_absences, 1);
    // 2 × 1 + 2 × 2 + 3 × 0.5 + 3 × 1 = 10.5.
    assert_eq!(totals.deduction_raw, 10.5);
    assert_eq!(totals.attendance_score, 9.5);
    // 2026-11-05 and the deemed absence.
    assert_eq!(totals.absence_occurrences_month, 2);
    assert_eq!(totals.absence_occurrences_year, 2);
    assert!(!totals.return_to_department);
}

#[test]
fn score_floors_at_zero() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-11-01"))];
    let result = fixture.month(&people, &[], 2026, 11);

    let totals = result.people[0].totals;
    assert_eq!(result.people[0].days.len(), NOVEMBER_WORKING_DAYS);
    assert_eq!(totals.absent_half_days, 42);
    assert_eq!(totals.absent_days, 21.0);
    assert_eq!(totals.missing_punches, 84);
    assert_eq!(totals.late, 0);
    assert_eq!(totals.early, 0);
    assert_eq!(totals.deemed_absences, 0);
    assert_eq!(totals.deduction_raw, 63.0);
    assert_eq!(totals.attendance_score, 0.0);
    assert_eq!(totals.absence_occurrences_month, 21);
    assert!(totals.return_to_department);
}

#[test]
fn make_up_saturday_evaluated() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-02-28"))];
    let mut punches = Punches::default();
    punches.add_day("1", date("2026-02-28"), &ON_TIME);
    let result = fixture.month(&people, &punches.list, 2026, 2);

    assert!(result.working_days.contains(&date("2026-02-14")));
    assert_eq!(result.working_days.last(), Some(&date("2026-02-28")));
    let day = day_of(&result, 0, "2026-02-28");
    assert_eq!(day.state, DayState::Evaluated);
    assert_eq!(day.checkpoints[0].outcome, on_time("08:20:00"));
    assert_eq!(day.checkpoints[3].outcome, on_time("18:05:00"));
    let before = day_of(&result, 0, "2026-02-27");
    assert_eq!(before.state, DayState::NotEmployed);
    let totals = result.people[0].totals;
    assert_eq!(totals.days_evaluated, 1);
    assert_eq!(totals.absent_half_days, 0);
    assert_eq!(totals.attendance_score, 20.0);
}

#[test]
fn holiday_not_evaluated() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-10-01"))];
    let mut punches = Punches::default();
    punches.add_on_time_months("1", 10, 10, &[]);
    // A late morning on the National Day holiday is listed, not judged.
    punches.add_day("1", date("2026-10-05"), &["09:00:00", "12:05:00"]);
    let result = fixture.month(&people, &punches.list, 2026, 10);

    assert!(!result.working_days.contains(&date("2026-10-05")));
    let person = &result.people[0];
    assert!(person.days.iter().all(|d| d.date != date("2026-10-05")));
    let holiday: Vec<_> = person
        .punches
        .iter()
        .filter(|e| e.punch.local.date() == date("2026-10-05"))
        .collect();
    assert_eq!(holiday.len(), 2);
    assert!(holiday.iter().all(|e| e.counts_for.is_none()));
    assert_eq!(person.totals.late, 0);
    assert_eq!(person.totals.absent_half_days, 0);
    assert_eq!(person.totals.days_evaluated, 18);
}

#[test]
fn month_starting_with_holiday() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", None)];

    // October 2026: 1 to 7 are the National Day holiday, 10-10 a make-up
    // Saturday. 22 weekdays - 5 holidays + 1 = 18 working days.
    let october = fixture.month(&people, &[], 2026, 10);
    assert_eq!(october.working_days.first(), Some(&date("2026-10-08")));
    assert!(october.working_days.contains(&date("2026-10-10")));
    assert_eq!(october.working_days.len(), 18);
    assert_eq!(october.people[0].days.len(), 18);
    assert_eq!(october.people[0].days[0].date, date("2026-10-08"));

    // January 2026: 1 to 3 are New Year, Sunday 01-04 a make-up workday.
    // 22 weekdays - 2 holidays + 1 = 21 working days.
    let january = fixture.month(&people, &[], 2026, 1);
    assert_eq!(january.working_days.first(), Some(&date("2026-01-04")));
    assert_eq!(january.working_days.len(), 21);
    assert_eq!(january.people[0].totals.absent_half_days, 42);
}

#[test]
fn as_of_inside_month() {
    let people = [person("p1", "1", Some("2026-11-01"))];
    let mut punches = Punches::default();
    punches.add_day("1", date("2026-11-02"), &ON_TIME);
    punches.add_day("1", date("2026-11-03"), &["08:40:00", "12:05:00"]);

    // 12:30: the sign-in is final (late), the noon window is open.
    let fixture = Fixture::new().with_as_of("2026-11-03 12:30:00");
    let result = fixture.month(&people, &punches.list, 2026, 11);
    let day = day_of(&result, 0, "2026-11-03");
    assert_eq!(day.state, DayState::Pending);
    assert_eq!(
        outcomes(day),
        [
            late("08:40:00", 10),
            Outcome::Pending {
                at: Some(time("12:05:00"))
            },
            Outcome::Pending { at: None },
            Outcome::Pending { at: None },
        ]
    );
    assert!(day.sessions[0].pending);
    assert!(!day.sessions[0].late);
    assert!(day.sessions[1].pending);
    assert_eq!(day_of(&result, 0, "2026-11-02").state, DayState::Evaluated);
    assert_eq!(day_of(&result, 0, "2026-11-04").state, DayState::Pending);
    assert_eq!(
        outcomes(day_of(&result, 0, "2026-11-30")),
        [Outcome::Pending { at: None }; 4]
    );
    let totals = result.people[0].totals;
    assert_eq!(totals.days_evaluated, 1);
    assert_eq!(totals.days_pending, 20);
    assert_eq!(totals.late, 0);
    assert_eq!(totals.absent_half_days, 0);
    assert_eq!(totals.missing_punches, 0);
    assert_eq!(totals.attendance_score, 20.0);

    // 13:15: the noon window closed, so the morning counts late. The
    // afternoon sign-in window is open with no punch yet.
    let fixture = Fixture::new().with_as_of("2026-11-03 13:15:00");
    let result = fixture.month(&people, &punches.list, 2026, 11);
    let day = day_of(&result, 0, "2026-11-03");
    assert_eq!(day.checkpoints[1].outcome, on_time("12:05:00"));
    assert_eq!(flags(&day.sessions[0]), (true, false, false));
    assert!(!day.sessions[0].pending);
    assert_eq!(day.checkpoints[2].outcome, Outcome::Pending { at: None });
    let totals = result.people[0].totals;
    assert_eq!(totals.late, 1);
    assert_eq!(totals.days_evaluated, 1);
    assert_eq!(totals.days_pending, 20);
}

#[test]
fn as_of_window_edges() {
    let people = [person("p1", "1", Some("2026-11-03"))];
    let mut punches = Punches::default();
    punches.add_day("1", date("2026-11-03"), &["14:20:00", "18:05:00"]);

    // No morning punch: pending while the window is open, missing at 10:15.
    let open = Fixture::new().with_as_of("2026-11-03 10:14:59");
    let result = open.month(&people, &punches.list, 2026, 11);
    let day = day_of(&result, 0, "2026-11-03");
    assert_eq!(day.checkpoints[0].outcome, Outcome::Pending { at: None });
    let closed = Fixture::new().with_as_of("2026-11-03 10:15:00");
    let result = closed.month(&people, &punches.list, 2026, 11);
    let day = day_of(&result, 0, "2026-11-03");
    assert_eq!(day.checkpoints[0].outcome, Outcome::Missing);
    assert!(day.sessions[0].pending);

    // The evening window ends at 24:00, so a sign-out stays pending all day
    // even with a punch in it.
    let late_evening = Fixture::new().with_as_of("2026-11-03 23:59:59");
    let result = late_evening.month(&people, &punches.list, 2026, 11);
    let day = day_of(&result, 0, "2026-11-03");
    assert_eq!(day.checkpoints[2].outcome, on_time("14:20:00"));
    assert_eq!(
        day.checkpoints[3].outcome,
        Outcome::Pending {
            at: Some(time("18:05:00"))
        }
    );
    // The morning is final: neither punch, half a day of absence.
    assert_eq!(flags(&day.sessions[0]), (false, false, true));
    assert!(day.sessions[1].pending);
    let totals = result.people[0].totals;
    assert_eq!(totals.absent_half_days, 1);
    assert_eq!(totals.absence_occurrences_month, 1);
    assert_eq!(totals.missing_punches, 2);

    // The next day the afternoon counts.
    let next_day = Fixture::new().with_as_of("2026-11-04 00:00:00");
    let result = next_day.month(&people, &punches.list, 2026, 11);
    let day = day_of(&result, 0, "2026-11-03");
    assert_eq!(day.checkpoints[3].outcome, on_time("18:05:00"));
    assert_eq!(day.state, DayState::Evaluated);
}

#[test]
fn as_of_before_month() {
    let fixture = Fixture::new().with_as_of("2026-10-15 09:00:00");
    let people = [person("p1", "1", Some("2026-11-01"))];
    let result = fixture.month(&people, &[], 2026, 11);
    let totals = result.people[0].totals;
    assert_eq!(totals.days_pending as usize, NOVEMBER_WORKING_DAYS);
    assert_eq!(totals.days_evaluated, 0);
    assert_eq!(totals.absent_half_days, 0);
    assert_eq!(totals.attendance_score, 20.0);
}

#[test]
fn start_and_end_dates() {
    let fixture = Fixture::new();
    let mut employee = person("p1", "1", Some("2026-11-10"));
    employee.end = Some(date("2026-11-20"));
    let people = [employee];
    let mut punches = Punches::default();
    punches.add("1", "2026-11-05 08:20:00");
    let result = fixture.month(&people, &punches.list, 2026, 11);

    let person = &result.people[0];
    let state = |day| day_of(&result, 0, day).state;
    assert_eq!(state("2026-11-09"), DayState::NotEmployed);
    assert_eq!(state("2026-11-10"), DayState::Evaluated);
    assert_eq!(state("2026-11-20"), DayState::Evaluated);
    assert_eq!(state("2026-11-23"), DayState::NotEmployed);
    assert_eq!(
        outcomes(day_of(&result, 0, "2026-11-05")),
        [Outcome::NotEmployed; 4]
    );
    // The punch before the start is listed but serves nothing.
    assert_eq!(person.punches.len(), 1);
    assert_eq!(person.punches[0].window, Some(Checkpoint::MorningIn));
    assert_eq!(person.punches[0].counts_for, None);
    // 10 to 13 and 16 to 20 November: 9 days absent.
    assert_eq!(person.totals.days_evaluated, 9);
    assert_eq!(person.totals.days_pending, 0);
    assert_eq!(person.totals.absent_half_days, 18);
    assert_eq!(person.totals.absent_days, 9.0);
    assert_eq!(person.totals.absence_occurrences_month, 9);
}

#[test]
fn people_outside_month_left_out() {
    let fixture = Fixture::new();
    // p1 left before November, p2 starts after it, p3 left too but still
    // punched in November, p4 works all month.
    let mut left = person("p1", "1", Some("2025-01-01"));
    left.end = Some(date("2026-10-31"));
    let later = person("p2", "2", Some("2026-12-01"));
    let mut punching = person("p3", "3", Some("2025-01-01"));
    punching.end = Some(date("2026-10-31"));
    let staying = person("p4", "4", Some("2025-01-01"));
    let people = [left, later, punching, staying];
    let mut punches = Punches::default();
    punches.add("1", "2026-10-30 08:20:00");
    punches.add("3", "2026-11-03 08:20:00");
    let result = fixture.month(&people, &punches.list, 2026, 11);

    let ids: Vec<&str> = result.people.iter().map(|person| person.id).collect();
    assert_eq!(ids, ["p3", "p4"]);
    assert_eq!(result.people[0].totals.days_evaluated, 0);
}

#[test]
fn unknown_pin_listed() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-11-01"))];
    let mut punches = Punches::default();
    punches.add("999", "2026-11-02 08:20:00");
    punches.add("999", "2026-10-20 08:20:00");
    punches.add("999", "2026-11-02 07:50:00");
    punches.add("555", "2026-10-20 08:20:00");
    punches.add("1000", "2026-11-09 18:05:00");
    let result = fixture.month(&people, &punches.list, 2026, 11);

    assert_eq!(result.people.len(), 1);
    let pins: Vec<&str> = result.unknown_credentials.iter().map(|u| u.pin).collect();
    assert_eq!(pins, ["1000", "999"]);
    let pin_999 = &result.unknown_credentials[1];
    assert_eq!(pin_999.count, 2);
    let seqs: Vec<i64> = pin_999.punches.iter().map(|p| p.seq).collect();
    assert_eq!(seqs, [3, 1]);
    assert_eq!(result.unknown_credentials[0].count, 1);
}

#[test]
fn unknown_pins_as_people() {
    let mut fixture = Fixture::new();
    fixture.unknown_pins_as_people = true;
    let people = [person("p1", "1", Some("2026-11-01"))];
    let mut punches = Punches::default();
    punches.add_day("999", date("2026-11-02"), &ON_TIME);
    punches.add("555", "2026-10-20 08:20:00");
    punches.add("1000", "2026-11-10 08:20:00");
    let result = fixture.month(&people, &punches.list, 2026, 11);

    assert!(result.unknown_credentials.is_empty());
    let ids: Vec<&str> = result.people.iter().map(|p| p.id).collect();
    assert_eq!(ids, ["p1", "1000", "999"]);
    let from_pin = &result.people[2];
    assert_eq!(from_pin.name, "999");
    assert_eq!(from_pin.unit, None);
    assert_eq!(from_pin.days.len(), NOVEMBER_WORKING_DAYS);
    assert_eq!(
        outcomes(day_of(&result, 2, "2026-11-02")),
        ON_TIME.map(on_time)
    );
    // A PIN with no roster entry is employed from its first punch.
    assert_eq!(
        day_of(&result, 1, "2026-11-09").state,
        DayState::NotEmployed
    );
    assert_eq!(day_of(&result, 1, "2026-11-10").state, DayState::Evaluated);
    // Sign-in only on 11-10, so an early count and an absent afternoon,
    // then 14 days absent from 11-11 to 11-30: 29 half-days.
    assert_eq!(result.people[1].totals.early, 1);
    assert_eq!(result.people[1].totals.absent_half_days, 29);
}

#[test]
fn outside_windows_on_working_days() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-11-01"))];
    let mut punches = Punches::default();
    punches.add("1", "2026-11-02 03:00:00");
    punches.add("1", "2026-11-02 08:20:00");
    // Saturday: listed with the punches, not as outside a window.
    punches.add("1", "2026-11-07 03:00:00");
    let result = fixture.month(&people, &punches.list, 2026, 11);

    assert_eq!(result.outside_windows.len(), 1);
    assert_eq!(result.outside_windows[0].person_id, "p1");
    assert_eq!(result.outside_windows[0].punch.seq, 1);
    let windows: Vec<Option<Checkpoint>> =
        result.people[0].punches.iter().map(|e| e.window).collect();
    assert_eq!(windows, [None, Some(Checkpoint::MorningIn), None]);
    let day = day_of(&result, 0, "2026-11-02");
    assert_eq!(day.checkpoints[0].outcome, on_time("08:20:00"));
}

#[test]
fn other_months_skipped() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-11-01"))];
    let mut punches = Punches::default();
    punches.add("1", "2025-11-02 08:20:00");
    punches.add("1", "2026-10-30 08:20:00");
    punches.add("1", "2026-11-02 08:20:00");
    punches.add("1", "2026-12-01 08:20:00");
    let result = fixture.month(&people, &punches.list, 2026, 11);

    let seqs: Vec<i64> = result.people[0]
        .punches
        .iter()
        .map(|e| e.punch.seq)
        .collect();
    assert_eq!(seqs, [3]);
}

#[test]
fn cumulative_absence_reaches_threshold() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", None)];
    let mut punches = Punches::default();
    let skip = [
        "2026-01-12",
        "2026-02-10",
        "2026-03-02",
        "2026-03-03",
        "2026-03-04",
    ];
    punches.add_on_time_months("1", 1, 3, &skip);
    // 2026-01-12: no punch, a whole day absent.
    // 2026-02-10: afternoon only, the morning absent.
    punches.add_day("1", date("2026-02-10"), &["14:20:00", "18:05:00"]);
    // 2026-03-02 to 03-04: three late mornings, one deemed absence.
    for day in &skip[2..] {
        punches.add_day(
            "1",
            date(day),
            &["08:45:00", "12:05:00", "14:20:00", "18:05:00"],
        );
    }

    // (month, occurrences in the month, in the year, flagged)
    let cases = [(1, 1, 1, false), (2, 1, 2, false), (3, 1, 3, true)];
    for (month, in_month, in_year, flagged) in cases {
        let result = fixture.month(&people, &punches.list, 2026, month);
        let totals = result.people[0].totals;
        assert_eq!(totals.absence_occurrences_month, in_month, "month {month}");
        assert_eq!(totals.absence_occurrences_year, in_year, "month {month}");
        assert_eq!(totals.return_to_department, flagged, "month {month}");
    }
    let march = fixture.month(&people, &punches.list, 2026, 3);
    assert_eq!(march.people[0].totals.late, 3);
    assert_eq!(march.people[0].totals.deemed_absences, 1);
    assert_eq!(march.people[0].totals.absent_half_days, 0);
}

#[test]
fn uncovered_year_is_error() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", None)];
    let err = fixture.evaluate(&people, &[], 2027, 1).unwrap_err();
    let RulesError::Calendar {
        year: 2027,
        month: 1,
        source,
    } = &err
    else {
        panic!("expected a calendar error for 2027-01, got {err:?}");
    };
    match source.as_ref() {
        CalendarError::NotCovered { date: day, .. } => assert_eq!(*day, date("2027-01-01")),
        other => panic!("expected an uncovered date, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("2027-01-01"), "{message}");
}

#[test]
fn monday_to_friday_calendar() {
    let mut fixture = Fixture::new();
    fixture.calendar = Calendar::MondayToFriday;
    let people = [person("p1", "1", None)];
    let result = fixture.month(&people, &[], 2027, 10);
    // October 2027 starts on a Friday: 21 weekdays, holidays ignored.
    assert_eq!(result.working_days.len(), 21);
    assert_eq!(result.working_days[0], date("2027-10-01"));
}

#[test]
fn invalid_input_rejected() {
    let people = [person("p1", "1", None)];

    let mut overlapping = Fixture::new();
    overlapping.settings.checkpoints[1].window_start = 10 * 3600;
    let err = overlapping.evaluate(&people, &[], 2026, 11).unwrap_err();
    assert!(
        err.to_string().contains("morning_in (05:00..10:15)"),
        "{err}"
    );
    assert!(err.to_string().contains("noon_out (10:00..13:15)"), "{err}");

    let mut past_midnight = Fixture::new();
    past_midnight.settings.checkpoints[3].window_end = 86_401;
    let err = past_midnight.evaluate(&people, &[], 2026, 11).unwrap_err();
    assert!(err.to_string().contains("16:15..24:00:01"), "{err}");

    let mut reordered = Fixture::new();
    reordered.settings.checkpoints.swap(0, 1);
    let err = reordered.evaluate(&people, &[], 2026, 11).unwrap_err();
    assert!(err.to_string().contains("noon_out is listed"), "{err}");

    let mut no_deemed = Fixture::new();
    no_deemed.settings.deemed_absence_every = 0;
    let err = no_deemed.evaluate(&people, &[], 2026, 11).unwrap_err();
    assert!(err.to_string().contains("deemed_absence_every"), "{err}");

    let mut no_threshold = Fixture::new();
    no_threshold.settings.cumulative_absence_threshold = 0;
    let err = no_threshold.evaluate(&people, &[], 2026, 11).unwrap_err();
    assert!(
        err.to_string().contains("cumulative_absence_threshold"),
        "{err}"
    );

    let fixture = Fixture::new();
    let err = fixture.evaluate(&people, &[], 2026, 13).unwrap_err();
    assert!(
        matches!(err, RulesError::InvalidMonth { month: 13, .. }),
        "{err}"
    );

    let shared = [person("p1", "7", None), person("p2", "7", None)];
    let err = fixture.evaluate(&shared, &[], 2026, 11).unwrap_err();
    assert_eq!(
        err.to_string(),
        "PIN '7' belongs to both 'p1' and 'p2': give each person their own PINs"
    );
}

#[test]
fn person_with_two_pins() {
    let fixture = Fixture::new();
    let mut employee = person("p1", "1", Some("2026-11-01"));
    employee.pins.push("card-42".to_string());
    let people = [employee];
    let mut punches = Punches::default();
    // The card repeats the fingerprint 30 s later: one group across PINs.
    punches.add("1", "2026-11-02 08:20:00");
    punches.add("card-42", "2026-11-02 08:20:30");
    punches.add("card-42", "2026-11-02 18:05:00");
    let result = fixture.month(&people, &punches.list, 2026, 11);

    let entries = &result.people[0].punches;
    assert_eq!(entries.len(), 3);
    assert!(entries[1].repeat);
    assert_eq!(entries[1].group, 1);
    let day = day_of(&result, 0, "2026-11-02");
    assert_eq!(day.checkpoints[0].outcome, on_time("08:20:00"));
    assert_eq!(day.checkpoints[3].outcome, on_time("18:05:00"));
    assert!(result.unknown_credentials.is_empty());
}
