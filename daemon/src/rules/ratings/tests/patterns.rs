//! Suspicious patterns, each at and just past its threshold.

use chrono::{NaiveDateTime, NaiveTime, TimeDelta};

use super::{at, duty, press, shipped, window};
use crate::calendar::DayKind;
use crate::rules::ratings::{
    find_bursts, is_outside_working_hours, rate_month, Level, MonthInput, MonthRatings, Pattern,
    RatingFlag, RatingPress, RatingSettings,
};

/// A burst as (presses, first offset, last offset), offsets in seconds.
type Span = (u32, f64, f64);

/// A top-share flag as (window, window top, window valid, hall top, hall
/// valid).
type ShareFlag = (String, u32, u32, u32, u32);

/// Presses on `keypad` at W01, `offsets` seconds after 2026-11-02 10:00:00,
/// numbered from `first_seq`.
fn presses_at(first_seq: i64, keypad: &str, offsets: &[f64]) -> Vec<RatingPress> {
    offsets
        .iter()
        .zip(first_seq..)
        .map(|(offset, seq)| RatingPress {
            seq,
            keypad: keypad.to_string(),
            window_id: "W01".to_string(),
            local: offset_time(*offset),
            level: Level::VerySatisfied,
            button: 1,
        })
        .collect()
}

/// 2026-11-02 10:00:00 plus `seconds`, to the millisecond.
fn offset_time(seconds: f64) -> NaiveDateTime {
    let millis = (seconds * 1000.0).round() as i64;
    at("2026-11-02 10:00:00") + TimeDelta::milliseconds(millis)
}

#[test]
fn burst_thresholds() {
    // (offsets in seconds, expected bursts as (presses, first offset, last offset))
    let cases: Vec<(Vec<f64>, Vec<Span>)> = vec![
        // Five presses within 59 s: a burst.
        (vec![0.0, 10.0, 20.0, 30.0, 59.0], vec![(5, 0.0, 59.0)]),
        // Five presses within 59.999 s: still a burst.
        (vec![0.0, 10.0, 20.0, 30.0, 59.999], vec![(5, 0.0, 59.999)]),
        // Five presses spanning exactly 60 s: not within 60 s.
        (vec![0.0, 15.0, 30.0, 45.0, 60.0], vec![]),
        // Four presses in 3 s: one short of the count.
        (vec![0.0, 1.0, 2.0, 3.0], vec![]),
        // Seven presses 5 s apart: overlapping runs merge into one.
        (
            vec![0.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0],
            vec![(7, 0.0, 30.0)],
        ),
        // Two runs of five sharing no press stay apart.
        (
            vec![0.0, 1.0, 2.0, 3.0, 4.0, 62.0, 63.0, 64.0, 65.0, 66.0],
            vec![(5, 0.0, 4.0), (5, 62.0, 66.0)],
        ),
        // Presses 14 s apart: any five span 56 s, so all nine merge.
        (
            vec![0.0, 14.0, 28.0, 42.0, 56.0, 70.0, 84.0, 98.0, 112.0],
            vec![(9, 0.0, 112.0)],
        ),
    ];
    for (offsets, expected) in cases {
        let presses = presses_at(1, "kp1", &offsets);
        let bursts = find_bursts(&presses, 5, 60);
        let found: Vec<(u32, _, _)> = bursts.iter().map(|b| (b.presses, b.start, b.end)).collect();
        let expected_spans: Vec<(u32, _, _)> = expected
            .iter()
            .map(|(n, start, end)| (*n, offset_time(*start), offset_time(*end)))
            .collect();
        assert_eq!(found, expected_spans, "{offsets:?}");
    }
}

#[test]
fn burst_details() {
    let presses = presses_at(40, "kp1", &[0.0, 1.0, 2.0, 3.0, 4.0]);
    let bursts = find_bursts(&presses, 5, 60);
    assert_eq!(bursts.len(), 1);
    let burst = &bursts[0];
    assert_eq!(burst.keypad, "kp1");
    assert_eq!(burst.window_id, "W01");
    assert_eq!(burst.first_seq, 40);
    assert_eq!(burst.last_seq, 44);
    assert_eq!(burst.start, at("2026-11-02 10:00:00"));
    assert_eq!(burst.end, at("2026-11-02 10:00:04"));
}

#[test]
fn burst_keypads_apart() {
    // Three presses on kp1 and two on kp2 in 4 s make no burst of five.
    let mut presses = presses_at(1, "kp1", &[0.0, 1.0, 2.0]);
    presses.extend(presses_at(10, "kp2", &[3.0, 4.0]));
    assert!(find_bursts(&presses, 5, 60).is_empty());
    // With a count of 3, kp1 alone is a burst.
    let bursts = find_bursts(&presses, 3, 60);
    assert_eq!(bursts.len(), 1);
    assert_eq!(bursts[0].keypad, "kp1");
    assert_eq!(bursts[0].presses, 3);
}

#[test]
fn burst_count_below_two() {
    let presses = presses_at(1, "kp1", &[0.0, 1.0]);
    assert!(find_bursts(&presses, 0, 60).is_empty());
    assert!(find_bursts(&presses, 1, 60).is_empty());
    assert_eq!(find_bursts(&presses, 2, 60).len(), 1);
}

fn rate_november(presses: &[RatingPress]) -> MonthRatings {
    let windows = [window("W01", "tax"), window("W02", "tax")];
    let roster = [
        duty("W01", "S001", "2026-01-01", None),
        duty("W02", "S002", "2026-01-01", None),
    ];
    let input = MonthInput {
        year: 2026,
        month: 11,
        windows: &windows,
        presses,
        corrections: &[],
        roster: &roster,
    };
    rate_month(&shipped(), &RatingSettings::default(), &input).unwrap()
}

#[test]
fn burst_in_month_report() {
    // Five presses 1 s apart: all but the first are repeats, and all five
    // belong to the burst. A sixth press 10 minutes later does not.
    let mut presses = presses_at(1, "kp1", &[0.0, 1.0, 2.0, 3.0, 4.0]);
    presses.extend(presses_at(6, "kp1", &[600.0]));
    let result = rate_november(&presses);

    let bursts: Vec<_> = result
        .patterns
        .iter()
        .filter_map(|p| match p {
            Pattern::Burst(burst) => Some(burst),
            _ => None,
        })
        .collect();
    assert_eq!(bursts.len(), 1);
    assert_eq!(bursts[0].presses, 5);
    assert_eq!(result.patterns.len(), 1);

    for line in &result.ratings {
        let in_burst = line.flags.contains(&RatingFlag::InBurst);
        assert_eq!(in_burst, line.seq <= 5, "seq {}", line.seq);
    }
    assert_eq!(result.hall.repeats, 4);
    assert_eq!(result.hall.valid, 2);
}

#[test]
fn working_hours_limits() {
    let settings = RatingSettings::default();
    let cases = [
        ("07:59:59", true),
        ("08:00:00", false),
        ("12:00:00", false),
        ("18:30:00", false),
        ("18:30:01", true),
        ("00:00:00", true),
        ("23:59:59", true),
    ];
    for (time, outside) in cases {
        let time = NaiveTime::parse_from_str(time, "%H:%M:%S").unwrap();
        assert_eq!(is_outside_working_hours(time, &settings), outside, "{time}");
    }

    let custom = RatingSettings {
        work_start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        work_end: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        ..RatingSettings::default()
    };
    let at_time = |h, m, s| NaiveTime::from_hms_opt(h, m, s).unwrap();
    assert!(is_outside_working_hours(at_time(8, 59, 59), &custom));
    assert!(!is_outside_working_hours(at_time(9, 0, 0), &custom));
    assert!(!is_outside_working_hours(at_time(17, 0, 0), &custom));
    assert!(is_outside_working_hours(at_time(17, 0, 1), &custom));
}

#[test]
fn working_hours_in_month_report() {
    // Monday 2026-11-02, one press per keypad so none repeats another.
    let presses = vec![
        press(1, "kp1", "W01", "2026-11-02 07:59:59", Level::Satisfied),
        press(2, "kp2", "W02", "2026-11-02 08:00:00", Level::Satisfied),
        press(3, "kp3", "W01", "2026-11-02 18:30:00", Level::Satisfied),
        press(4, "kp4", "W02", "2026-11-02 18:30:01", Level::Satisfied),
    ];
    let result = rate_november(&presses);
    let expected = vec![
        Pattern::OutsideWorkingHours {
            seq: 1,
            keypad: "kp1".to_string(),
            window_id: "W01".to_string(),
            local: at("2026-11-02 07:59:59"),
            work_start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            work_end: NaiveTime::from_hms_opt(18, 30, 0).unwrap(),
        },
        Pattern::OutsideWorkingHours {
            seq: 4,
            keypad: "kp4".to_string(),
            window_id: "W02".to_string(),
            local: at("2026-11-02 18:30:01"),
            work_start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            work_end: NaiveTime::from_hms_opt(18, 30, 0).unwrap(),
        },
    ];
    assert_eq!(result.patterns, expected);
    // Flagged presses still count.
    assert_eq!(result.hall.valid, 4);
}

#[test]
fn non_working_days_in_report() {
    // October 2026: 10-03 is a National Day holiday (a Saturday), 10-10 a
    // make-up Saturday, 10-08 a plain Thursday, 10-17 a plain Saturday.
    let presses = vec![
        press(1, "kp1", "W01", "2026-10-03 10:00:00", Level::Satisfied),
        press(2, "kp1", "W01", "2026-10-08 10:00:00", Level::Satisfied),
        press(3, "kp1", "W01", "2026-10-10 10:00:00", Level::Satisfied),
        press(4, "kp1", "W01", "2026-10-17 10:00:00", Level::Satisfied),
    ];
    let windows = [window("W01", "tax")];
    let roster = [duty("W01", "S001", "2026-01-01", None)];
    let input = MonthInput {
        year: 2026,
        month: 10,
        windows: &windows,
        presses: &presses,
        corrections: &[],
        roster: &roster,
    };
    let result = rate_month(&shipped(), &RatingSettings::default(), &input).unwrap();
    let expected = vec![
        Pattern::NonWorkingDay {
            seq: 1,
            keypad: "kp1".to_string(),
            window_id: "W01".to_string(),
            local: at("2026-10-03 10:00:00"),
            day_kind: DayKind::Holiday {
                holiday: "国庆节".to_string(),
            },
        },
        Pattern::NonWorkingDay {
            seq: 4,
            keypad: "kp1".to_string(),
            window_id: "W01".to_string(),
            local: at("2026-10-17 10:00:00"),
            day_kind: DayKind::Weekend,
        },
    ];
    assert_eq!(result.patterns, expected);
    let flagged: Vec<bool> = result
        .ratings
        .iter()
        .map(|line| line.flags.contains(&RatingFlag::NonWorkingDay))
        .collect();
    assert_eq!(flagged, vec![true, false, false, true]);
}

/// `top` presses of 非常满意 then `rest` of 满意 at `window_id`, 10 minutes
/// apart from 08:00 on one working day per window.
fn share_presses(
    first_seq: i64,
    window_id: &str,
    date: &str,
    top: usize,
    rest: usize,
) -> Vec<RatingPress> {
    (0..top + rest)
        .map(|i| {
            let minutes = 10 * i;
            let local = format!("{date} {:02}:{:02}:00", 8 + minutes / 60, minutes % 60);
            let level = if i < top {
                Level::VerySatisfied
            } else {
                Level::Satisfied
            };
            let seq = first_seq + i64::try_from(i).unwrap();
            press(seq, &format!("kp-{window_id}"), window_id, &local, level)
        })
        .collect()
}

fn top_share_windows(result: &MonthRatings) -> Vec<ShareFlag> {
    result
        .patterns
        .iter()
        .filter_map(|p| match p {
            Pattern::TopShare {
                window_id,
                window_top,
                window_valid,
                hall_top,
                hall_valid,
                ..
            } => Some((
                window_id.clone(),
                *window_top,
                *window_valid,
                *hall_top,
                *hall_valid,
            )),
            _ => None,
        })
        .collect()
}

fn flag(window_id: &str, top: u32, valid: u32, hall_top: u32, hall_valid: u32) -> ShareFlag {
    (window_id.to_string(), top, valid, hall_top, hall_valid)
}

#[test]
fn top_share_thresholds() {
    // (W01 top, W01 rest, W02 top, W02 rest, flagged windows)
    let cases: Vec<(usize, usize, usize, usize, Vec<ShareFlag>)> = vec![
        // 15/20 = 0.75 against 20/40 = 0.5: exactly 0.25 above.
        (15, 5, 5, 15, vec![flag("W01", 15, 20, 20, 40)]),
        // 15/20 = 0.75 against 21/40 = 0.525: 0.225 above.
        (15, 5, 6, 14, vec![]),
        // 14/20 = 0.7 against 18/40 = 0.45: 0.25 in decimal, just below in
        // binary floating point, and flagged.
        (14, 6, 4, 16, vec![flag("W01", 14, 20, 18, 40)]),
        // 19 valid ratings, all top, against 20/39: too few ratings.
        (19, 0, 1, 19, vec![]),
        // 20 valid ratings, all top, against 21/40 = 0.525: flagged.
        (20, 0, 1, 19, vec![flag("W01", 20, 20, 21, 40)]),
        // Equal shares.
        (10, 10, 10, 10, vec![]),
    ];
    for (top1, rest1, top2, rest2, expected) in cases {
        let mut presses = share_presses(1, "W01", "2026-11-02", top1, rest1);
        presses.extend(share_presses(100, "W02", "2026-11-03", top2, rest2));
        let result = rate_november(&presses);
        assert_eq!(
            top_share_windows(&result),
            expected,
            "W01 {top1}+{rest1}, W02 {top2}+{rest2}"
        );
    }
}

#[test]
fn top_share_fields() {
    let mut presses = share_presses(1, "W01", "2026-11-02", 15, 5);
    presses.extend(share_presses(100, "W02", "2026-11-03", 5, 15));
    let result = rate_november(&presses);
    let found: Vec<&Pattern> = result
        .patterns
        .iter()
        .filter(|p| matches!(p, Pattern::TopShare { .. }))
        .collect();
    assert_eq!(
        found,
        vec![&Pattern::TopShare {
            window_id: "W01".to_string(),
            window_top: 15,
            window_valid: 20,
            window_share: 0.75,
            hall_top: 20,
            hall_valid: 40,
            hall_share: 0.5,
            margin: 0.25,
        }]
    );
    // Flags are reported, never acted on: the counts are unchanged.
    assert_eq!(result.windows[0].tally.counts.very_satisfied, 15);
}
