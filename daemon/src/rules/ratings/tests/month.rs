//! A month's results per window and per person.

use super::{correction, duty, press, shipped, window};
use crate::rules::ratings::{
    rate_month, CorrectedLevel, CorrectionError, DutyAssignment, Level, MonthInput, MonthRatings,
    Pattern, RatingFlag, RatingPress, RatingSettings, RatingsError, WindowInfo, WindowMonth,
};

fn windows() -> Vec<WindowInfo> {
    vec![
        window("W01", "tax"),
        window("W02", "tax"),
        window("W03", "hrss"),
        window("W04", "hrss"),
    ]
}

/// W01: S001, replaced by S002 from 11-16. W02: S003 until 11-20.
/// W03 and W04: nobody.
fn roster() -> Vec<DutyAssignment> {
    vec![
        duty("W01", "S001", "2026-01-01", None),
        duty("W01", "S002", "2026-11-16", None),
        duty("W02", "S003", "2026-11-01", Some("2026-11-20")),
    ]
}

/// November 2026, every press on a working day between 08:00 and 18:30.
fn presses() -> Vec<RatingPress> {
    use Level::*;
    vec![
        press(1, "kp1", "W01", "2026-11-02 09:00:00", VerySatisfied),
        press(2, "kp1", "W01", "2026-11-02 09:00:02", Unsatisfied),
        press(3, "kp1", "W01", "2026-11-03 10:00:00", Unsatisfied),
        press(4, "kp1", "W01", "2026-11-16 10:00:00", Satisfied),
        press(5, "kp1", "W01", "2026-11-17 11:00:00", VeryUnsatisfied),
        press(6, "kp2", "W02", "2026-11-05 09:30:00", BasicallySatisfied),
        press(7, "kp2", "W02", "2026-11-23 09:30:00", Satisfied),
        press(8, "kp3", "W03", "2026-11-04 15:00:00", VerySatisfied),
        // Outside November: ignored.
        press(9, "kp1", "W01", "2026-10-30 10:00:00", Unsatisfied),
        press(10, "kp1", "W01", "2026-12-01 09:00:00", Unsatisfied),
    ]
}

fn rate(
    presses: &[RatingPress],
    corrections: &[crate::rules::ratings::Correction],
) -> Result<MonthRatings, RatingsError> {
    let windows = windows();
    let roster = roster();
    let input = MonthInput {
        year: 2026,
        month: 11,
        windows: &windows,
        presses,
        corrections,
        roster: &roster,
    };
    rate_month(&shipped(), &RatingSettings::default(), &input)
}

fn window_of<'a>(result: &'a MonthRatings, id: &str) -> &'a WindowMonth {
    result
        .windows
        .iter()
        .find(|w| w.window_id == id)
        .unwrap_or_else(|| panic!("window {id} missing"))
}

#[test]
fn month_without_corrections() {
    let result = rate(&presses(), &[]).unwrap();

    let seqs: Vec<i64> = result.ratings.iter().map(|line| line.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3, 8, 6, 4, 5, 7]);

    // W01: 5 presses, seq 2 repeats seq 1; VS, U, S, VU are valid.
    let w01 = window_of(&result, "W01");
    assert_eq!(w01.tally.presses, 5);
    assert_eq!(w01.tally.repeats, 1);
    assert_eq!(w01.tally.valid, 4);
    assert_eq!(w01.tally.counts.very_satisfied, 1);
    assert_eq!(w01.tally.counts.satisfied, 1);
    assert_eq!(w01.tally.counts.unsatisfied, 1);
    assert_eq!(w01.tally.counts.very_unsatisfied, 1);
    assert_eq!(w01.tally.satisfaction_rate, Some(0.5));
    assert_eq!(w01.tally.top_share, Some(0.25));
    assert_eq!(w01.tally.unsatisfied, 2);
    assert_eq!(w01.deduction_raw, 6.0);
    assert_eq!(w01.deduction, 6.0);
    assert_eq!(w01.score, 9.0);
    assert!(!w01.excellent_eligible);
    assert_eq!(w01.nobody_on_duty, 0);
    assert_eq!(w01.name.as_deref(), Some("W01 window"));
    assert_eq!(w01.unit_id.as_deref(), Some("tax"));

    // W02: BS and S; seq 7 on 11-23 is after S003's last day.
    let w02 = window_of(&result, "W02");
    assert_eq!(w02.tally.valid, 2);
    assert_eq!(w02.tally.satisfaction_rate, Some(1.0));
    assert_eq!(w02.nobody_on_duty, 1);
    assert!(w02.excellent_eligible);
    assert_eq!(w02.score, 15.0);

    // W04 has no press but is listed.
    let w04 = window_of(&result, "W04");
    assert_eq!(w04.tally.presses, 0);
    assert_eq!(w04.tally.satisfaction_rate, None);
    assert_eq!(w04.tally.top_share, None);
    assert!(w04.excellent_eligible);
    assert_eq!(w04.score, 15.0);

    // Hall: 8 presses, 1 repeat; VS 2, S 2, BS 1, U 1, VU 1.
    assert_eq!(result.hall.presses, 8);
    assert_eq!(result.hall.valid, 7);
    assert_eq!(result.hall.satisfaction_rate, Some(5.0 / 7.0));
    assert_eq!(result.hall.unsatisfied, 2);
}

#[test]
fn month_people_follow_roster() {
    let result = rate(&presses(), &[]).unwrap();
    let ids: Vec<&str> = result.people.iter().map(|p| p.staff_id.as_str()).collect();
    assert_eq!(ids, vec!["S001", "S002", "S003"]);

    // S001: seqs 1, 2 (repeat), 3.
    let s001 = &result.people[0];
    assert_eq!(s001.window_ids, vec!["W01"]);
    assert_eq!(s001.tally.presses, 3);
    assert_eq!(s001.tally.repeats, 1);
    assert_eq!(s001.tally.valid, 2);
    assert_eq!(s001.tally.counts.very_satisfied, 1);
    assert_eq!(s001.tally.counts.unsatisfied, 1);
    assert_eq!(s001.tally.satisfaction_rate, Some(0.5));
    assert!(!s001.excellent_eligible);

    // S002 from 11-16: seqs 4 and 5.
    let s002 = &result.people[1];
    assert_eq!(s002.tally.valid, 2);
    assert_eq!(s002.tally.counts.satisfied, 1);
    assert_eq!(s002.tally.counts.very_unsatisfied, 1);
    assert_eq!(s002.tally.unsatisfied, 1);
    assert!(!s002.excellent_eligible);

    // S003: seq 6 only; seq 7 had nobody on duty.
    let s003 = &result.people[2];
    assert_eq!(s003.tally.valid, 1);
    assert_eq!(s003.tally.satisfaction_rate, Some(1.0));
    assert!(s003.excellent_eligible);

    let line7 = result.ratings.iter().find(|l| l.seq == 7).unwrap();
    assert_eq!(line7.staff_id, None);
    assert_eq!(line7.flags, vec![RatingFlag::NobodyOnDuty]);
    let line4 = result.ratings.iter().find(|l| l.seq == 4).unwrap();
    assert_eq!(line4.staff_id.as_deref(), Some("S002"));
    assert!(line4.flags.is_empty());
}

#[test]
fn month_person_on_duty_unrated() {
    let windows = windows();
    let roster = vec![duty("W04", "S009", "2026-11-20", Some("2026-12-31"))];
    let input = MonthInput {
        year: 2026,
        month: 11,
        windows: &windows,
        presses: &[],
        corrections: &[],
        roster: &roster,
    };
    let result = rate_month(&shipped(), &RatingSettings::default(), &input).unwrap();
    assert_eq!(result.people.len(), 1);
    let person = &result.people[0];
    assert_eq!(person.staff_id, "S009");
    assert_eq!(person.window_ids, vec!["W04"]);
    assert_eq!(person.tally.presses, 0);
    assert_eq!(person.tally.satisfaction_rate, None);
    assert!(person.excellent_eligible);
    assert_eq!(result.windows.len(), 4);
    assert!(result.ratings.is_empty());
    assert!(result.patterns.is_empty());
    assert_eq!(result.hall.satisfaction_rate, None);
}

#[test]
fn month_with_corrections() {
    let corrections = [
        correction(
            3,
            CorrectedLevel::Level(Level::Satisfied),
            "2026-11-05 16:00:00",
        ),
        correction(5, CorrectedLevel::Void, "2026-11-19 09:00:00"),
        // Seq 9 is in October: ignored here.
        correction(9, CorrectedLevel::Void, "2026-11-02 09:00:00"),
        // No press has seq 99: ignored.
        correction(99, CorrectedLevel::Void, "2026-11-02 09:00:00"),
    ];
    let result = rate(&presses(), &corrections).unwrap();

    // W01: VS (1), S (3 corrected), S (4); 5 void; 2 repeat.
    let w01 = window_of(&result, "W01");
    assert_eq!(w01.tally.presses, 5);
    assert_eq!(w01.tally.repeats, 1);
    assert_eq!(w01.tally.void, 1);
    assert_eq!(w01.tally.corrected, 2);
    assert_eq!(w01.tally.valid, 3);
    assert_eq!(w01.tally.counts.satisfied, 2);
    assert_eq!(w01.tally.counts.unsatisfied, 0);
    assert_eq!(w01.tally.counts.very_unsatisfied, 0);
    assert_eq!(w01.tally.satisfaction_rate, Some(1.0));
    assert_eq!(w01.tally.unsatisfied, 0);
    assert_eq!(w01.deduction_raw, 0.0);
    assert_eq!(w01.score, 15.0);
    assert!(w01.excellent_eligible);

    let line3 = result.ratings.iter().find(|l| l.seq == 3).unwrap();
    assert_eq!(line3.original_level, Level::Unsatisfied);
    assert_eq!(line3.effective_level, Some(Level::Satisfied));
    assert!(line3.counted);
    assert!(!line3.void);
    let note = line3.correction.as_ref().unwrap();
    assert_eq!(note.approved_by, "bureau-wang");
    assert_eq!(note.requested_by, "S001");
    assert_eq!(note.approved_at, super::at("2026-11-05 16:00:00"));

    let line5 = result.ratings.iter().find(|l| l.seq == 5).unwrap();
    assert_eq!(line5.original_level, Level::VeryUnsatisfied);
    assert_eq!(line5.effective_level, None);
    assert!(line5.void);
    assert!(!line5.counted);
    assert!(!line5.repeat);

    // S002: seq 4 satisfied, seq 5 void.
    let s002 = result.people.iter().find(|p| p.staff_id == "S002").unwrap();
    assert_eq!(s002.tally.valid, 1);
    assert_eq!(s002.tally.void, 1);
    assert_eq!(s002.tally.corrected, 1);
    assert_eq!(s002.tally.satisfaction_rate, Some(1.0));
    assert!(s002.excellent_eligible);

    // Hall: VS 2, S 3, BS 1 valid out of 8 presses.
    assert_eq!(result.hall.valid, 6);
    assert_eq!(result.hall.void, 1);
    assert_eq!(result.hall.satisfaction_rate, Some(1.0));
}

#[test]
fn month_void_only_rating_has_no_rate() {
    let presses = vec![press(
        1,
        "kp4",
        "W04",
        "2026-11-02 10:00:00",
        Level::Unsatisfied,
    )];
    let corrections = [correction(1, CorrectedLevel::Void, "2026-11-03 10:00:00")];
    let result = rate(&presses, &corrections).unwrap();
    let w04 = window_of(&result, "W04");
    assert_eq!(w04.tally.presses, 1);
    assert_eq!(w04.tally.void, 1);
    assert_eq!(w04.tally.valid, 0);
    assert_eq!(w04.tally.satisfaction_rate, None);
    assert!(w04.excellent_eligible);
}

#[test]
fn month_correcting_a_repeat() {
    // Seq 2 repeats seq 1: voiding it changes no count, and it stays a
    // repeat rather than a void.
    let corrections = [correction(2, CorrectedLevel::Void, "2026-11-03 10:00:00")];
    let result = rate(&presses(), &corrections).unwrap();
    let w01 = window_of(&result, "W01");
    assert_eq!(w01.tally.repeats, 1);
    assert_eq!(w01.tally.void, 0);
    assert_eq!(w01.tally.corrected, 1);
    assert_eq!(w01.tally.valid, 4);
    let line2 = result.ratings.iter().find(|l| l.seq == 2).unwrap();
    assert!(line2.repeat);
    assert!(!line2.void);
    assert!(!line2.counted);
    assert_eq!(line2.effective_level, None);
}

#[test]
fn month_two_approved_corrections() {
    let corrections = [
        correction(3, CorrectedLevel::Void, "2026-11-04 10:00:00"),
        correction(
            3,
            CorrectedLevel::Level(Level::Satisfied),
            "2026-11-05 10:00:00",
        ),
    ];
    let err = rate(&presses(), &corrections).unwrap_err();
    assert!(
        matches!(
            err,
            RatingsError::Correction(CorrectionError::DuplicateApproved { rating_seq: 3, .. })
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "rating 3 has two approved corrections, approved at 2026-11-04 10:00:00 and \
         2026-11-05 10:00:00: a rating may have only one, so revoke one of them"
    );
}

#[test]
fn month_duplicate_sequence() {
    let mut presses = presses();
    presses.push(press(
        4,
        "kp2",
        "W02",
        "2026-11-24 10:00:00",
        Level::Satisfied,
    ));
    let err = rate(&presses, &[]).unwrap_err();
    assert!(
        matches!(err, RatingsError::DuplicateSeq { seq: 4 }),
        "{err}"
    );
}

#[test]
fn month_invalid_month() {
    for month in [0, 13] {
        let input = MonthInput {
            year: 2026,
            month,
            windows: &[],
            presses: &[],
            corrections: &[],
            roster: &[],
        };
        let err = rate_month(&shipped(), &RatingSettings::default(), &input).unwrap_err();
        assert!(matches!(err, RatingsError::InvalidMonth { .. }), "{err}");
    }
}

#[test]
fn month_uncovered_year() {
    let presses = vec![press(
        1,
        "kp1",
        "W01",
        "2027-01-04 10:00:00",
        Level::Satisfied,
    )];
    let input = MonthInput {
        year: 2027,
        month: 1,
        windows: &[],
        presses: &presses,
        corrections: &[],
        roster: &[],
    };
    let err = rate_month(&shipped(), &RatingSettings::default(), &input).unwrap_err();
    assert!(matches!(err, RatingsError::Calendar(_)), "{err}");
}

/// Presses at W03 ten minutes apart from 09:00 on 2026-11-02.
fn w03_presses(levels: &[Level]) -> Vec<RatingPress> {
    levels
        .iter()
        .enumerate()
        .map(|(i, level)| {
            let minutes = 10 * i;
            let local = format!("2026-11-02 {:02}:{:02}:00", 9 + minutes / 60, minutes % 60);
            press(i64::try_from(i).unwrap() + 1, "kp3", "W03", &local, *level)
        })
        .collect()
}

#[test]
fn month_deduction_floor() {
    use Level::*;
    // (levels, unsatisfied, raw deduction, deduction, score)
    let cases: [(Vec<Level>, u32, f64, f64, f64); 5] = [
        (vec![Satisfied], 0, 0.0, 0.0, 15.0),
        (vec![Unsatisfied, Satisfied], 1, 3.0, 3.0, 12.0),
        (
            vec![Unsatisfied, VeryUnsatisfied, Unsatisfied, VeryUnsatisfied],
            4,
            12.0,
            12.0,
            3.0,
        ),
        (vec![Unsatisfied; 5], 5, 15.0, 15.0, 0.0),
        (
            vec![
                Unsatisfied,
                VeryUnsatisfied,
                Unsatisfied,
                VeryUnsatisfied,
                Unsatisfied,
                VeryUnsatisfied,
            ],
            6,
            18.0,
            15.0,
            0.0,
        ),
    ];
    for (levels, unsatisfied, raw, deduction, score) in cases {
        let result = rate(&w03_presses(&levels), &[]).unwrap();
        let w03 = window_of(&result, "W03");
        assert_eq!(w03.tally.unsatisfied, unsatisfied, "{levels:?}");
        assert_eq!(w03.item_points, 15.0);
        assert_eq!(w03.deduction_raw, raw, "{levels:?}");
        assert_eq!(w03.deduction, deduction, "{levels:?}");
        assert_eq!(w03.score, score, "{levels:?}");
        assert_eq!(w03.excellent_eligible, unsatisfied == 0, "{levels:?}");
    }
}

#[test]
fn month_excellent_eligibility() {
    use Level::*;
    let cases: [(Vec<Level>, bool, Option<f64>); 5] = [
        (vec![], true, None),
        (vec![BasicallySatisfied], true, Some(1.0)),
        (
            vec![VerySatisfied, Satisfied, BasicallySatisfied],
            true,
            Some(1.0),
        ),
        (vec![VerySatisfied, VeryUnsatisfied], false, Some(0.5)),
        (
            vec![Satisfied, Satisfied, Satisfied, Unsatisfied],
            false,
            Some(0.75),
        ),
    ];
    for (levels, eligible, rate_expected) in cases {
        let result = rate(&w03_presses(&levels), &[]).unwrap();
        let w03 = window_of(&result, "W03");
        assert_eq!(w03.excellent_eligible, eligible, "{levels:?}");
        assert_eq!(w03.tally.satisfaction_rate, rate_expected, "{levels:?}");
    }
}

#[test]
fn month_repeat_across_month_start() {
    // Saturday 10-31 23:59:59 is outside November but is the previous press
    // of the one 2 s later on Sunday 11-01.
    let presses = vec![
        press(1, "kp1", "W01", "2026-10-31 23:59:59", Level::Satisfied),
        press(2, "kp1", "W01", "2026-11-01 00:00:01", Level::Unsatisfied),
    ];
    let result = rate(&presses, &[]).unwrap();
    assert_eq!(result.ratings.len(), 1);
    let line = &result.ratings[0];
    assert_eq!(line.seq, 2);
    assert!(line.repeat);
    assert_eq!(
        line.flags,
        vec![RatingFlag::OutsideWorkingHours, RatingFlag::NonWorkingDay]
    );
    assert_eq!(window_of(&result, "W01").tally.valid, 0);
}

#[test]
fn month_unlisted_window_last() {
    let presses = vec![
        press(1, "kp9", "W09", "2026-11-02 10:00:00", Level::Satisfied),
        press(2, "kp8", "W08", "2026-11-02 10:00:00", Level::Satisfied),
    ];
    let result = rate(&presses, &[]).unwrap();
    let ids: Vec<&str> = result
        .windows
        .iter()
        .map(|w| w.window_id.as_str())
        .collect();
    assert_eq!(ids, vec!["W01", "W02", "W03", "W04", "W08", "W09"]);
    let w09 = window_of(&result, "W09");
    assert_eq!(w09.name, None);
    assert_eq!(w09.unit_id, None);
    assert_eq!(w09.tally.valid, 1);
    assert_eq!(w09.nobody_on_duty, 1);
}

#[test]
fn month_classes_add_up() {
    let corrections = [
        correction(5, CorrectedLevel::Void, "2026-11-19 09:00:00"),
        correction(2, CorrectedLevel::Void, "2026-11-03 09:00:00"),
    ];
    let result = rate(&presses(), &corrections).unwrap();
    let tallies = result
        .windows
        .iter()
        .map(|w| &w.tally)
        .chain(result.people.iter().map(|p| &p.tally))
        .chain([&result.hall]);
    for tally in tallies {
        assert_eq!(
            tally.presses,
            tally.repeats + tally.void + tally.valid,
            "{tally:?}"
        );
        assert_eq!(tally.valid, tally.counts.total(), "{tally:?}");
    }
    let counted = result.ratings.iter().filter(|l| l.counted).count();
    assert_eq!(counted, 6);
}

#[test]
fn month_nobody_on_duty_patterns() {
    let result = rate(&presses(), &[]).unwrap();
    // Seq 8 (11-04) at W03, then seq 7 (11-23) at W02, in press order.
    let expected = vec![
        Pattern::NobodyOnDuty {
            seq: 8,
            keypad: "kp3".to_string(),
            window_id: "W03".to_string(),
            local: super::at("2026-11-04 15:00:00"),
        },
        Pattern::NobodyOnDuty {
            seq: 7,
            keypad: "kp2".to_string(),
            window_id: "W02".to_string(),
            local: super::at("2026-11-23 09:30:00"),
        },
    ];
    assert_eq!(result.patterns, expected);
}

#[test]
fn month_json_names() {
    let corrections = [correction(5, CorrectedLevel::Void, "2026-11-19 09:00:00")];
    let result = rate(&presses(), &corrections).unwrap();
    let json = serde_json::to_value(&result).unwrap();

    assert_eq!(json["year"], 2026);
    assert_eq!(json["month"], 11);
    let w01 = &json["windows"][0];
    assert_eq!(w01["window_id"], "W01");
    assert_eq!(w01["counts"]["very_satisfied"], 1);
    assert_eq!(w01["counts"]["unsatisfied"], 1);
    assert_eq!(w01["repeats"], 1);
    assert_eq!(w01["void"], 1);
    assert_eq!(w01["excellent_eligible"], false);
    assert_eq!(w01["deduction_raw"], 3.0);
    assert_eq!(
        json["windows"][3]["satisfaction_rate"],
        serde_json::Value::Null
    );

    let line5 = json["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["seq"] == 5)
        .unwrap();
    assert_eq!(line5["original_level"], "very_unsatisfied");
    assert_eq!(line5["effective_level"], serde_json::Value::Null);
    assert_eq!(line5["correction"]["new"], "void");
    assert_eq!(line5["correction"]["approved_by"], "bureau-wang");
    assert_eq!(line5["local"], "2026-11-17T11:00:00");

    assert_eq!(json["patterns"][0]["kind"], "nobody_on_duty");
    assert_eq!(json["people"][0]["staff_id"], "S001");
}
