//! One day's checkpoints, windows, repeated punches and sessions.

use chrono::NaiveTime;

use super::*;
use crate::rules::settings::{Checkpoint, CheckpointSpec};

#[test]
fn checkpoint_boundary_minutes() {
    let fixture = Fixture::new();
    // (punch, checkpoint whose window contains it, expected outcome)
    let cases = [
        ("08:30:00", Checkpoint::MorningIn, on_time("08:30:00")),
        ("08:30:59", Checkpoint::MorningIn, on_time("08:30:59")),
        ("08:31:00", Checkpoint::MorningIn, late("08:31:00", 1)),
        ("11:59:59", Checkpoint::NoonOut, early("11:59:59", 1)),
        ("12:00:00", Checkpoint::NoonOut, on_time("12:00:00")),
        ("14:30:59", Checkpoint::AfternoonIn, on_time("14:30:59")),
        ("14:31:00", Checkpoint::AfternoonIn, late("14:31:00", 1)),
        ("17:59:59", Checkpoint::EveningOut, early("17:59:59", 1)),
        ("18:00:00", Checkpoint::EveningOut, on_time("18:00:00")),
        // 10:14 is 104 minutes after 08:30.
        ("10:14:59", Checkpoint::MorningIn, late("10:14:59", 104)),
        // 10:15 is 105 minutes before 12:00.
        ("10:15:00", Checkpoint::NoonOut, early("10:15:00", 105)),
        ("13:14:59", Checkpoint::NoonOut, on_time("13:14:59")),
        ("13:15:00", Checkpoint::AfternoonIn, on_time("13:15:00")),
        // 16:14 is 104 minutes after 14:30, 16:15 is 105 before 18:00.
        ("16:14:59", Checkpoint::AfternoonIn, late("16:14:59", 104)),
        ("16:15:00", Checkpoint::EveningOut, early("16:15:00", 105)),
        ("23:59:59", Checkpoint::EveningOut, on_time("23:59:59")),
        ("05:00:00", Checkpoint::MorningIn, on_time("05:00:00")),
    ];
    for (punch, checkpoint, expected) in cases {
        let day = fixture.judge_monday(&[punch]);
        for other in Checkpoint::ALL {
            let outcome = day.checkpoints[other.index()].outcome;
            if other == checkpoint {
                assert_eq!(outcome, expected, "{punch} at {checkpoint:?}");
            } else {
                assert_eq!(outcome, Outcome::Missing, "{punch} leaves {other:?}");
            }
        }
    }
}

#[test]
fn checkpoint_result_accessors() {
    let day = Fixture::new().judge_monday(&["08:31:00", "11:59:59"]);
    assert_eq!(day.checkpoints[0].time(), Some(time("08:31:00")));
    assert_eq!(day.checkpoints[0].minutes(), 1);
    assert_eq!(day.checkpoints[1].minutes(), 1);
    assert_eq!(day.checkpoints[2].time(), None);
    assert_eq!(day.checkpoints[2].minutes(), 0);
}

#[test]
fn outside_window_satisfies_nothing() {
    let fixture = Fixture::new();
    for punch in ["04:59:59", "03:00:00", "00:00:00"] {
        let day = fixture.judge_monday(&[punch]);
        assert_eq!(outcomes(&day), [Outcome::Missing; 4], "{punch}");
        assert!(day.sessions[0].absent, "{punch}");
        assert!(day.sessions[1].absent, "{punch}");
    }
}

#[test]
fn earliest_in_latest_out() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-11-01"))];
    let mut punches = Punches::default();
    let monday = date("2026-11-02");
    // Out of order on purpose: the rules sort.
    punches.add_day(
        "1",
        monday,
        &["08:40:00", "18:05:00", "08:20:15", "09:00:00"],
    );
    punches.add_day("1", monday, &["12:05:00", "11:50:00", "12:30:00"]);
    punches.add_day("1", monday, &["14:35:00", "14:10:00"]);
    punches.add_day("1", monday, &["17:30:00", "17:50:00"]);
    let result = fixture.month(&people, &punches.list, 2026, 11);

    let day = day_of(&result, 0, "2026-11-02");
    assert_eq!(
        outcomes(day),
        [
            on_time("08:20:15"),
            on_time("12:30:00"),
            on_time("14:10:00"),
            on_time("18:05:00"),
        ]
    );
    // Sequences follow the order added.
    let seqs = day.checkpoints.map(|c| c.seq);
    assert_eq!(seqs, [Some(3), Some(7), Some(9), Some(2)]);

    let counted: Vec<(i64, Checkpoint)> = result.people[0]
        .punches
        .iter()
        .filter_map(|e| e.counts_for.map(|c| (e.punch.seq, c)))
        .collect();
    assert_eq!(
        counted,
        [
            (3, Checkpoint::MorningIn),
            (7, Checkpoint::NoonOut),
            (9, Checkpoint::AfternoonIn),
            (2, Checkpoint::EveningOut),
        ]
    );
    assert_eq!(result.people[0].punches.len(), 11);
}

#[test]
fn latest_group_counts_last_punch() {
    // 17:00 is one group; 17:58:30 and 17:59:20 are the latest group, which
    // counts at its last punch: one minute early.
    let day = Fixture::new().judge_monday(&["17:00:00", "17:58:30", "17:59:20"]);
    assert_eq!(day.checkpoints[3].outcome, early("17:59:20", 1));
}

#[test]
fn repeat_sign_in_counts_first() {
    let day = Fixture::new().judge_monday(&["08:29:30", "08:30:20"]);
    assert_eq!(day.checkpoints[0].outcome, on_time("08:29:30"));
    // A repeat one minute late does not make the sign-in late.
    let day = Fixture::new().judge_monday(&["08:30:40", "08:31:30"]);
    assert_eq!(day.checkpoints[0].outcome, on_time("08:30:40"));
}

#[test]
fn repeat_sign_out_counts_last() {
    let day = Fixture::new().judge_monday(&["11:59:30", "12:00:10"]);
    assert_eq!(day.checkpoints[1].outcome, on_time("12:00:10"));
}

#[test]
fn repeat_marks_groups() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-11-01"))];
    let mut punches = Punches::default();
    let monday = date("2026-11-02");
    // 08:20:00 and 08:21:00 are 60 s apart: two groups. 08:40:00, 08:40:50
    // and 08:41:40 are a chain at 0, 50 and 100 s: two groups.
    punches.add_day("1", monday, &["08:20:00", "08:21:00"]);
    punches.add_day("1", monday, &["08:40:00", "08:40:50", "08:41:40"]);
    let result = fixture.month(&people, &punches.list, 2026, 11);

    let marks: Vec<(i64, i64, bool)> = result.people[0]
        .punches
        .iter()
        .map(|e| (e.punch.seq, e.group, e.repeat))
        .collect();
    assert_eq!(
        marks,
        [
            (1, 1, false),
            (2, 2, false),
            (3, 3, false),
            (4, 3, true),
            (5, 5, false),
        ]
    );
    let windows: Vec<Option<Checkpoint>> =
        result.people[0].punches.iter().map(|e| e.window).collect();
    assert_eq!(windows, [Some(Checkpoint::MorningIn); 5]);
}

#[test]
fn repeat_group_keeps_first_window() {
    let fixture = Fixture::new();
    // 13:14:50 opens a group in the noon window; 13:15:20 joins it, so the
    // noon sign-out counts 13:15:20 and the afternoon sign-in has nothing.
    let day = fixture.judge_monday(&["13:14:50", "13:15:20"]);
    assert_eq!(day.checkpoints[1].outcome, on_time("13:15:20"));
    assert_eq!(day.checkpoints[2].outcome, Outcome::Missing);
    // The morning has only a sign-out: late. The afternoon has neither.
    assert_eq!(flags(&day.sessions[0]), (true, false, false));
    assert_eq!(flags(&day.sessions[1]), (false, false, true));

    // 10:14:30 opens a group in the morning window and 10:15:10 joins it.
    let day = fixture.judge_monday(&["10:14:30", "10:15:10"]);
    assert_eq!(day.checkpoints[0].outcome, late("10:14:30", 104));
    assert_eq!(day.checkpoints[1].outcome, Outcome::Missing);

    // 04:59:30 is outside every window, and so is its group.
    let day = fixture.judge_monday(&["04:59:30", "05:00:10"]);
    assert_eq!(day.checkpoints[0].outcome, Outcome::Missing);
}

#[test]
fn repeat_group_ends_at_midnight() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-11-01"))];
    let mut punches = Punches::default();
    punches.add("1", "2026-11-02 23:59:50");
    punches.add("1", "2026-11-03 00:00:10");
    let result = fixture.month(&people, &punches.list, 2026, 11);

    assert_eq!(
        day_of(&result, 0, "2026-11-02").checkpoints[3].outcome,
        on_time("23:59:50")
    );
    let entries = &result.people[0].punches;
    assert_eq!(entries[1].group, 2);
    assert!(!entries[1].repeat);
    assert_eq!(entries[1].window, None);
    let outside: Vec<i64> = result.outside_windows.iter().map(|o| o.punch.seq).collect();
    assert_eq!(outside, [2]);
}

#[test]
fn status_key_ignored() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-11-01"))];
    let mut punches = Punches::default();
    // Status 1 is check-out and 0 check-in on ZKTeco clocks: pressed wrong.
    punches.add_with_status("1", "2026-11-02 08:20:00", Some(1));
    punches.add_with_status("1", "2026-11-02 18:10:00", Some(0));
    let result = fixture.month(&people, &punches.list, 2026, 11);

    let day = day_of(&result, 0, "2026-11-02");
    assert_eq!(day.checkpoints[0].outcome, on_time("08:20:00"));
    assert_eq!(day.checkpoints[3].outcome, on_time("18:10:00"));
    let statuses: Vec<Option<u8>> = result.people[0]
        .punches
        .iter()
        .map(|e| e.punch.status)
        .collect();
    assert_eq!(statuses, [Some(1), Some(0)]);
}

#[test]
fn session_missing_punch_cases() {
    let fixture = Fixture::new();
    // (punches, morning (late, early, absent), afternoon (late, early, absent))
    let cases: [(&[&str], _, _); 10] = [
        (&ON_TIME, (false, false, false), (false, false, false)),
        // Sign-in only: leaving early.
        (&["08:20:00"], (false, true, false), (false, false, true)),
        // Sign-out only: late.
        (&["12:05:00"], (true, false, false), (false, false, true)),
        // Neither: half a day of absence.
        (&[], (false, false, true), (false, false, true)),
        // A late sign-in and no sign-out: late and early.
        (&["08:40:00"], (true, true, false), (false, false, true)),
        // An early sign-out and no sign-in: late and early.
        (&["11:30:00"], (true, true, false), (false, false, true)),
        // Both there, late in and early out.
        (
            &["08:40:00", "11:30:00", "14:20:00", "18:05:00"],
            (true, true, false),
            (false, false, false),
        ),
        (
            &["08:20:00", "12:05:00", "14:40:00", "17:50:00"],
            (false, false, false),
            (true, true, false),
        ),
        (
            &["14:20:00", "18:05:00"],
            (false, false, true),
            (false, false, false),
        ),
        (
            &["08:20:00", "18:05:00"],
            (false, true, false),
            (true, false, false),
        ),
    ];
    for (times, morning, afternoon) in cases {
        let day = fixture.judge_monday(times);
        assert_eq!(day.state, DayState::Evaluated, "{times:?}");
        assert_eq!(flags(&day.sessions[0]), morning, "morning of {times:?}");
        assert_eq!(flags(&day.sessions[1]), afternoon, "afternoon of {times:?}");
        assert!(!day.sessions[0].pending, "{times:?}");
        assert!(!day.sessions[1].pending, "{times:?}");
    }
}

#[test]
fn windows_follow_settings() {
    // An office on 08:00, 12:00, 13:00 and 17:00, each window boundary
    // halfway between two checkpoints.
    let hm = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
    let secs = |h: u32, m: u32| h * 3600 + m * 60;
    let spec = |checkpoint, at, window_start, window_end| CheckpointSpec {
        checkpoint,
        at,
        window_start,
        window_end,
    };
    let mut office = Fixture::new();
    office.settings.checkpoints = [
        spec(Checkpoint::MorningIn, hm(8, 0), secs(5, 0), secs(10, 0)),
        spec(Checkpoint::NoonOut, hm(12, 0), secs(10, 0), secs(12, 30)),
        spec(
            Checkpoint::AfternoonIn,
            hm(13, 0),
            secs(12, 30),
            secs(15, 0),
        ),
        spec(Checkpoint::EveningOut, hm(17, 0), secs(15, 0), secs(24, 0)),
    ];
    let times = ["08:15:00", "11:45:00", "12:40:00", "14:00:00", "17:10:00"];

    // Default: 11:45 and 12:40 are both in the noon window [10:15, 13:15),
    // 14:00 alone in the afternoon one, 17:10 is 50 minutes before 18:00.
    let day = Fixture::new().judge_monday(&times);
    assert_eq!(
        outcomes(&day),
        [
            on_time("08:15:00"),
            on_time("12:40:00"),
            on_time("14:00:00"),
            early("17:10:00", 50),
        ]
    );

    // Office: 08:15 is 15 minutes late, 11:45 alone in the noon window
    // [10:00, 12:30) is 15 minutes early, 12:40 is the earliest in the
    // afternoon window [12:30, 15:00), 17:10 is after 17:00.
    let day = office.judge_monday(&times);
    assert_eq!(
        outcomes(&day),
        [
            late("08:15:00", 15),
            early("11:45:00", 15),
            on_time("12:40:00"),
            on_time("17:10:00"),
        ]
    );
    assert_eq!(flags(&day.sessions[0]), (true, true, false));
    assert_eq!(flags(&day.sessions[1]), (false, false, false));
}

#[test]
fn results_serialize_snake_case() {
    let fixture = Fixture::new();
    let people = [person("p1", "1", Some("2026-11-01"))];
    let mut punches = Punches::default();
    punches.add("1", "2026-11-02 08:31:00");
    let result = fixture.month(&people, &punches.list, 2026, 11);

    let day = day_of(&result, 0, "2026-11-02");
    let checkpoint = serde_json::to_value(day.checkpoints[0]).expect("serializes");
    assert_eq!(
        checkpoint,
        serde_json::json!({
            "checkpoint": "morning_in",
            "outcome": {"kind": "late", "at": "08:31:00", "minutes": 1},
            "seq": 1,
        })
    );
    let missing = serde_json::to_value(day.checkpoints[1]).expect("serializes");
    assert_eq!(
        missing,
        serde_json::json!({"checkpoint": "noon_out", "outcome": {"kind": "missing"}, "seq": null})
    );
    let session = serde_json::to_value(day.sessions[0]).expect("serializes");
    assert_eq!(
        session,
        serde_json::json!({
            "session": "morning",
            "pending": false,
            "late": true,
            "early": true,
            "absent": false,
        })
    );
    let entry = serde_json::to_value(&result.people[0].punches[0]).expect("serializes");
    assert_eq!(
        entry,
        serde_json::json!({
            "seq": 1,
            "pin": "1",
            "local": "2026-11-02T08:31:00",
            "status": null,
            "device_id": "clock-1",
            "group": 1,
            "repeat": false,
            "window": "morning_in",
            "counts_for": "morning_in",
        })
    );
    let state = serde_json::to_value(day.state).expect("serializes");
    assert_eq!(state, serde_json::json!("evaluated"));
}
