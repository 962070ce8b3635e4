//! Write-offs and outages: covered checkpoints are neither late, early nor
//! missing, and the month totals count them by kind. Every day is in
//! November 2026 with the default checkpoints 08:30, 12:00, 14:30, 18:00.

use super::*;
use crate::rules::settings::Checkpoint::{self, AfternoonIn, EveningOut, MorningIn, NoonOut};

fn slot(day: &str, checkpoint: Checkpoint) -> Slot {
    Slot {
        date: date(day),
        checkpoint,
    }
}

fn write_off(id: i64, kind: WriteOffKind, first: Slot, last: Slot) -> WriteOffSpan {
    WriteOffSpan {
        id,
        person: "p1".to_string(),
        kind,
        first,
        last,
    }
}

fn outage(id: i64, start: &str, end: Option<&str>) -> OutageSpan {
    OutageSpan {
        id,
        start: datetime(start),
        end: end.map(datetime),
    }
}

fn written_off(id: i64, reason: WriteOffKind, at: Option<&str>) -> Outcome {
    Outcome::WrittenOff {
        write_off: id,
        reason,
        at: at.map(time),
    }
}

/// Judges one person, employed from 2026-11-01, with punches on Monday
/// 2026-11-02 at `times` and the given covers.
fn judge(fixture: Fixture, times: &[&str]) -> (DayResult, MonthTotals) {
    let people = [person("p1", "1", Some("2026-11-01"))];
    let mut punches = Punches::default();
    punches.add_day("1", date("2026-11-02"), times);
    let result = fixture.month(&people, &punches.list, 2026, 11);
    let day = *day_of(&result, 0, "2026-11-02");
    (day, result.people[0].totals)
}

fn with_covers(covers: Covers) -> Fixture {
    Fixture {
        covers,
        ..Fixture::new()
    }
}

#[test]
fn half_day_leave_with_afternoon_punches() {
    // Personal leave on the morning; on time in the afternoon.
    let fixture = with_covers(Covers {
        write_offs: vec![write_off(
            7,
            WriteOffKind::PersonalLeave,
            slot("2026-11-02", MorningIn),
            slot("2026-11-02", NoonOut),
        )],
        ..Covers::default()
    });
    let (day, totals) = judge(fixture, &["14:20:00", "18:05:00"]);

    assert_eq!(
        outcomes(&day),
        [
            written_off(7, WriteOffKind::PersonalLeave, None),
            written_off(7, WriteOffKind::PersonalLeave, None),
            on_time("14:20:00"),
            on_time("18:05:00"),
        ]
    );
    assert_eq!(flags(&day.sessions[0]), (false, false, false));
    assert_eq!(flags(&day.sessions[1]), (false, false, false));
    assert_eq!(day.state, DayState::Evaluated);
    // The other 20 working days of November have no punches: 40 absent
    // half-days. Monday counts nothing.
    assert_eq!(totals.absent_half_days, 40);
    assert_eq!(totals.missing_punches, 80);
    assert_eq!(
        totals.written_off.checkpoints(WriteOffKind::PersonalLeave),
        2
    );
    assert_eq!(totals.written_off.half_days(WriteOffKind::PersonalLeave), 1);
    assert_eq!(totals.written_off.total_checkpoints(), 2);
    assert_eq!(totals.outage_checkpoints, 0);
}

#[test]
fn write_off_beats_punches() {
    // (covered checkpoints, punches, expected outcomes, morning and
    // afternoon (late, early, absent))
    let meeting = WriteOffKind::MeetingBeforeWork;
    let out = WriteOffKind::OutAtSignOut;
    let cases = [
        // Straight to a meeting, then in at 08:45: not late.
        (
            (meeting, MorningIn, MorningIn),
            vec!["08:45:00", "12:05:00", "14:20:00", "18:05:00"],
            [
                written_off(1, meeting, Some("08:45:00")),
                on_time("12:05:00"),
                on_time("14:20:00"),
                on_time("18:05:00"),
            ],
            [(false, false, false), (false, false, false)],
        ),
        // Out on business at 18:00 and no evening punch: not early.
        (
            (out, EveningOut, EveningOut),
            vec!["08:20:00", "12:05:00", "14:20:00"],
            [
                on_time("08:20:00"),
                on_time("12:05:00"),
                on_time("14:20:00"),
                written_off(1, out, None),
            ],
            [(false, false, false), (false, false, false)],
        ),
        // The sign-in is written off but the noon punch is missing: the
        // sign-out still counts early.
        (
            (meeting, MorningIn, MorningIn),
            vec!["14:20:00", "18:05:00"],
            [
                written_off(1, meeting, None),
                Outcome::Missing,
                on_time("14:20:00"),
                on_time("18:05:00"),
            ],
            [(false, true, false), (false, false, false)],
        ),
    ];
    for ((kind, first, last), punches, expected, sessions) in cases {
        let fixture = with_covers(Covers {
            write_offs: vec![write_off(
                1,
                kind,
                slot("2026-11-02", first),
                slot("2026-11-02", last),
            )],
            ..Covers::default()
        });
        let (day, _) = judge(fixture, &punches);
        assert_eq!(outcomes(&day), expected, "{kind:?} with {punches:?}");
        assert_eq!(flags(&day.sessions[0]), sessions[0], "{kind:?} morning");
        assert_eq!(flags(&day.sessions[1]), sessions[1], "{kind:?} afternoon");
    }
}

#[test]
fn outage_with_patrol_punch() {
    // The clock is out from 08:00 to 09:30; the patrol sees the person at
    // 08:25 and the clock takes the noon and afternoon punches.
    let fixture = with_covers(Covers {
        outages: vec![outage(
            40,
            "2026-11-02 08:00:00",
            Some("2026-11-02 09:30:00"),
        )],
        patrols: vec![PatrolPunch {
            seq: 41,
            person: "p1".to_string(),
            local: datetime("2026-11-02 08:25:00"),
        }],
        ..Covers::default()
    });
    let (day, totals) = judge(fixture, &["12:05:00", "14:20:00", "18:05:00"]);

    assert_eq!(
        day.checkpoints[0].outcome,
        Outcome::Outage {
            outage: 40,
            at: Some(time("08:25:00")),
            patrol: true
        }
    );
    assert_eq!(day.checkpoints[0].seq, Some(41));
    assert_eq!(day.checkpoints[1].outcome, on_time("12:05:00"));
    assert_eq!(flags(&day.sessions[0]), (false, false, false));
    assert_eq!(totals.outage_checkpoints, 1);
    assert_eq!(totals.written_off.total_checkpoints(), 0);
}

#[test]
fn outage_covers_checkpoint_times() {
    // (outage start, end, covered checkpoints of Monday, outage
    // checkpoints in November)
    let cases = [
        // Back before 08:30: nothing covered, the morning is missing.
        (
            "2026-11-02 07:00:00",
            Some("2026-11-02 08:30:00"),
            [false; 4],
            0,
        ),
        (
            "2026-11-02 08:30:00",
            Some("2026-11-02 08:31:00"),
            [true, false, false, false],
            1,
        ),
        (
            "2026-11-02 11:00:00",
            Some("2026-11-02 15:00:00"),
            [false, true, true, false],
            2,
        ),
        // Open since 17:00 on Monday: 18:00 and the 4 checkpoints of each of
        // the 20 later working days, 1 + 80.
        ("2026-11-02 17:00:00", None, [false, false, false, true], 81),
        // Open since the Friday before: all 21 working days.
        ("2026-10-30 17:00:00", None, [true; 4], 84),
    ];
    for (start, end, covered, count) in cases {
        let fixture = with_covers(Covers {
            outages: vec![outage(5, start, end)],
            ..Covers::default()
        });
        let (day, totals) = judge(fixture, &[]);
        for (index, covered) in covered.into_iter().enumerate() {
            let expected = if covered {
                Outcome::Outage {
                    outage: 5,
                    at: None,
                    patrol: false,
                }
            } else {
                Outcome::Missing
            };
            assert_eq!(
                day.checkpoints[index].outcome, expected,
                "outage {start} to {end:?}, checkpoint {index}"
            );
        }
        assert_eq!(
            totals.outage_checkpoints, count,
            "outage {start} to {end:?}"
        );
    }
}

#[test]
fn patrol_earliest_in_latest_out() {
    // The clocks are out all Monday; the patrol sees the person twice in
    // the morning sign-in window and twice in the noon sign-out window.
    let patrol = |seq, at: &str| PatrolPunch {
        seq,
        person: "p1".to_string(),
        local: datetime(&format!("2026-11-02 {at}")),
    };
    let fixture = with_covers(Covers {
        outages: vec![outage(
            5,
            "2026-11-02 00:00:00",
            Some("2026-11-03 00:00:00"),
        )],
        patrols: vec![
            patrol(13, "11:50:00"),
            patrol(11, "09:10:00"),
            patrol(10, "08:15:00"),
            patrol(12, "10:40:00"),
        ],
        ..Covers::default()
    });
    let (day, _) = judge(fixture, &[]);
    let seen = |at: &str| Outcome::Outage {
        outage: 5,
        at: Some(time(at)),
        patrol: true,
    };
    assert_eq!(day.checkpoints[0].outcome, seen("08:15:00"));
    assert_eq!(day.checkpoints[0].seq, Some(10));
    assert_eq!(day.checkpoints[1].outcome, seen("11:50:00"));
    assert_eq!(day.checkpoints[1].seq, Some(13));
    // Nobody was seen in the afternoon.
    assert_eq!(
        day.checkpoints[2].outcome,
        Outcome::Outage {
            outage: 5,
            at: None,
            patrol: false
        }
    );
}

#[test]
fn outage_keeps_clock_punch() {
    let fixture = with_covers(Covers {
        outages: vec![outage(
            5,
            "2026-11-02 08:00:00",
            Some("2026-11-02 09:00:00"),
        )],
        patrols: vec![PatrolPunch {
            seq: 9,
            person: "p1".to_string(),
            local: datetime("2026-11-02 08:40:00"),
        }],
        ..Covers::default()
    });
    // A late clock punch at 08:45 is shown but not judged; it wins over
    // the patrol punch.
    let (day, _) = judge(fixture, &["08:45:00", "12:05:00", "14:20:00", "18:05:00"]);
    assert_eq!(
        day.checkpoints[0].outcome,
        Outcome::Outage {
            outage: 5,
            at: Some(time("08:45:00")),
            patrol: false
        }
    );
    assert_eq!(day.checkpoints[0].seq, Some(1));
    assert_eq!(flags(&day.sessions[0]), (false, false, false));
}

#[test]
fn write_off_shown_over_outage() {
    let fixture = with_covers(Covers {
        write_offs: vec![
            write_off(
                12,
                WriteOffKind::BusinessTrip,
                slot("2026-11-02", MorningIn),
                slot("2026-11-02", EveningOut),
            ),
            write_off(
                3,
                WriteOffKind::SickLeave,
                slot("2026-11-02", AfternoonIn),
                slot("2026-11-03", EveningOut),
            ),
        ],
        outages: vec![outage(1, "2026-11-02 00:00:00", None)],
        ..Covers::default()
    });
    let (day, totals) = judge(fixture, &[]);
    let trip = WriteOffKind::BusinessTrip;
    let sick = WriteOffKind::SickLeave;
    // The lower id wins where two write-offs overlap.
    assert_eq!(
        outcomes(&day),
        [
            written_off(12, trip, None),
            written_off(12, trip, None),
            written_off(3, sick, None),
            written_off(3, sick, None),
        ]
    );
    assert_eq!(totals.written_off.checkpoints(trip), 2);
    assert_eq!(totals.written_off.checkpoints(sick), 6);
    assert_eq!(totals.written_off.half_days(sick), 3);
    // The outage covers the other 19 working days: 76 checkpoints.
    assert_eq!(totals.outage_checkpoints, 76);
    assert_eq!(totals.late + totals.early + totals.absent_half_days, 0);
    assert_eq!(totals.attendance_score, 20.0);
}

#[test]
fn covers_wait_for_pending() {
    // As of 10:30 on Monday with annual leave from Monday to Tuesday: the
    // morning sign-in window closed at 10:15 and is written off, while the
    // noon sign-out window is open until 13:15, so the day is pending.
    let mut fixture = with_covers(Covers {
        write_offs: vec![write_off(
            2,
            WriteOffKind::AnnualLeave,
            slot("2026-11-02", MorningIn),
            slot("2026-11-03", EveningOut),
        )],
        ..Covers::default()
    });
    fixture.as_of = datetime("2026-11-02 10:30:00");
    let (day, totals) = judge(fixture, &[]);
    assert_eq!(
        outcomes(&day),
        [
            written_off(2, WriteOffKind::AnnualLeave, None),
            Outcome::Pending { at: None },
            Outcome::Pending { at: None },
            Outcome::Pending { at: None },
        ]
    );
    assert_eq!(day.state, DayState::Pending);
    // Nothing is counted yet: both sessions of Monday are pending.
    assert_eq!(totals.written_off.total_checkpoints(), 0);
}

#[test]
fn totals_serialize_by_kind() {
    let fixture = with_covers(Covers {
        write_offs: vec![write_off(
            7,
            WriteOffKind::PersonalLeave,
            slot("2026-11-02", MorningIn),
            slot("2026-11-02", NoonOut),
        )],
        ..Covers::default()
    });
    let (_, totals) = judge(fixture, &["14:20:00", "18:05:00"]);
    let json = serde_json::to_value(totals).unwrap();
    assert_eq!(
        json["written_off"],
        serde_json::json!({"personal_leave": {"checkpoints": 2, "half_days": 1}})
    );
    assert_eq!(json["outage_checkpoints"], 0);
}
