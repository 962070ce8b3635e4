//! Validation of `[attendance]`: checkpoint times, punch windows, counts and
//! points, producing the `AttendanceSettings` the rules read.
//!
//! Times are written "HH:MM" in the site's local time. A punch window is
//! `[start, end)`: start inclusive, end exclusive, and "24:00" is allowed
//! only as an end.
//!
//! A checkpoint whose `window` is left out gets one that reaches to the
//! neighbouring windows. A boundary between two computed windows lies halfway
//! between the two checkpoint times, rounded down to the minute. A boundary
//! next to a written window is that window's edge. The first window starts
//! at `first_window_start` and the last ends at 24:00.

use chrono::NaiveTime;

use super::defaults::{AttendanceInput, PointsInput};
use super::error::Problems;
use crate::rules::{AttendanceSettings, Checkpoint, CheckpointSpec, Points};

/// Minutes in a day: "24:00" as minutes after midnight.
const MINUTES_PER_DAY: u32 = 24 * 60;

/// Largest allowed `repeat_window_seconds` (10 minutes). A longer window
/// would swallow a genuine second punch, such as a noon sign-out followed by
/// an afternoon sign-in.
const MAX_REPEAT_WINDOW_SECONDS: i64 = 600;

/// A punch window in minutes after midnight, start inclusive, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    start: u32,
    end: u32,
}

/// Validates `[attendance]`; returns `None` after recording every problem.
pub(super) fn validate_attendance(
    input: &AttendanceInput,
    problems: &mut Problems,
) -> Option<AttendanceSettings> {
    let times = checkpoint_times(input, problems);
    let written = written_windows(input, problems);
    let first_window_start = problems.check(
        "attendance.first_window_start",
        parse_time(&input.first_window_start, TimeUse::Start),
    );
    let windows = match (times, written, first_window_start) {
        (Some(times), Some(written), Some(first_start)) => {
            place_windows(input, times, written, first_start, problems)
        }
        _ => None,
    };

    let repeat_window_secs = problems.check(
        "attendance.repeat_window_seconds",
        whole_number_in(input.repeat_window_seconds, 1, MAX_REPEAT_WINDOW_SECONDS),
    );
    let deemed_absence_every = problems.check(
        "attendance.deemed_absence_every",
        whole_number_in(input.deemed_absence_every, 1, i64::from(u32::MAX)),
    );
    let cumulative_absence_threshold = problems.check(
        "attendance.cumulative_absence_threshold",
        whole_number_in(input.cumulative_absence_threshold, 1, i64::from(u32::MAX)),
    );
    let points = validate_points(&input.points, problems);

    let times = times?;
    let windows = windows?;
    let checkpoints = std::array::from_fn(|index| CheckpointSpec {
        checkpoint: Checkpoint::ALL[index],
        at: time_of_minutes(times[index]),
        window_start: windows[index].start * 60,
        window_end: windows[index].end * 60,
    });
    Some(AttendanceSettings {
        checkpoints,
        repeat_window_secs: repeat_window_secs?,
        deemed_absence_every: deemed_absence_every?,
        cumulative_absence_threshold: cumulative_absence_threshold?,
        points: points?,
    })
}

/// Parses the four checkpoint times and checks that they increase strictly.
fn checkpoint_times(input: &AttendanceInput, problems: &mut Problems) -> Option<[u32; 4]> {
    let parsed = input.checkpoints.each_ref().map(|checkpoint| {
        let key = format!("attendance.{}.at", checkpoint.name);
        problems.check(&key, parse_time(&checkpoint.at, TimeUse::Checkpoint))
    });
    let [Some(a), Some(b), Some(c), Some(d)] = parsed else {
        return None;
    };
    let times = [a, b, c, d];

    let mut increasing = true;
    for index in 1..times.len() {
        if times[index] <= times[index - 1] {
            let name = input.checkpoints[index].name;
            let previous = input.checkpoints[index - 1].name;
            problems.add(
                format!("attendance.{name}.at"),
                format!(
                    "checkpoint time {} is not after attendance.{previous}.at {}: \
                     the times must increase in the order morning_in, noon_out, \
                     afternoon_in, evening_out",
                    format_minutes(times[index]),
                    format_minutes(times[index - 1]),
                ),
            );
            increasing = false;
        }
    }
    increasing.then_some(times)
}

/// Parses the windows the file writes out; `None` in the array where a
/// window is left out, `None` overall when one of them is invalid.
fn written_windows(
    input: &AttendanceInput,
    problems: &mut Problems,
) -> Option<[Option<Window>; 4]> {
    let mut all_valid = true;
    let windows = input.checkpoints.each_ref().map(|checkpoint| {
        let key = format!("attendance.{}.window", checkpoint.name);
        let bounds = checkpoint.window.as_ref()?;
        let window = problems.check(&key, parse_window(bounds));
        all_valid &= window.is_some();
        window
    });
    all_valid.then_some(windows)
}

fn parse_window(bounds: &[String]) -> Result<Window, String> {
    let [start, end] = bounds else {
        return Err(format!(
            "invalid window of {} values: expected two times [start, end] such as \
             [\"05:00\", \"10:15\"]",
            bounds.len()
        ));
    };
    let start = parse_time(start, TimeUse::Start)?;
    let end = parse_time(end, TimeUse::End)?;
    if start >= end {
        return Err(format!(
            "invalid window [{}, {}): the start must be before the end",
            format_minutes(start),
            format_minutes(end)
        ));
    }
    Ok(Window { start, end })
}

/// Fills in the windows the file leaves out, then checks that each window
/// contains its checkpoint and that the windows do not overlap.
fn place_windows(
    input: &AttendanceInput,
    times: [u32; 4],
    written: [Option<Window>; 4],
    first_window_start: u32,
    problems: &mut Problems,
) -> Option<[Window; 4]> {
    let last = times.len() - 1;
    let windows: [Window; 4] = std::array::from_fn(|index| {
        if let Some(window) = written[index] {
            return window;
        }
        let start = match index {
            0 => first_window_start,
            _ => written[index - 1].map_or(halfway(times[index - 1], times[index]), |w| w.end),
        };
        let end = if index == last {
            MINUTES_PER_DAY
        } else {
            written[index + 1].map_or(halfway(times[index], times[index + 1]), |w| w.start)
        };
        Window { start, end }
    });

    let mut valid = true;
    for (index, window) in windows.iter().enumerate() {
        let name = input.checkpoints[index].name;
        let at = times[index];
        if at < window.start || at >= window.end {
            let how = if written[index].is_some() {
                "window"
            } else {
                "window computed from the neighbouring checkpoints,"
            };
            problems.add(
                format!("attendance.{name}.window"),
                format!(
                    "{how} {} does not contain the checkpoint time {}: \
                     set attendance.{name}.window to a window that contains it",
                    format_window(*window),
                    format_minutes(at)
                ),
            );
            valid = false;
        }
    }
    if !valid {
        return None;
    }

    for index in 1..windows.len() {
        let (previous, window) = (windows[index - 1], windows[index]);
        if window.start < previous.end {
            let name = input.checkpoints[index].name;
            let previous_name = input.checkpoints[index - 1].name;
            problems.add(
                format!("attendance.{name}.window"),
                format!(
                    "window {} overlaps attendance.{previous_name}.window {}: \
                     windows must be in order and must not overlap",
                    format_window(window),
                    format_window(previous)
                ),
            );
            valid = false;
        }
    }
    valid.then_some(windows)
}

fn validate_points(input: &PointsInput, problems: &mut Problems) -> Option<Points> {
    let mut point = |name: &str, value: f64| {
        let key = format!("attendance.points.{name}");
        problems.check(&key, non_negative_points(value))
    };
    let item = point("item", input.item);
    let per_late = point("per_late", input.per_late);
    let per_early = point("per_early", input.per_early);
    let per_absent_day = point("per_absent_day", input.per_absent_day);
    let per_deemed_absence = point("per_deemed_absence", input.per_deemed_absence);
    Some(Points {
        item: item?,
        per_late: per_late?,
        per_early: per_early?,
        per_absent_day: per_absent_day?,
        per_deemed_absence: per_deemed_absence?,
    })
}

fn non_negative_points(value: f64) -> Result<f64, String> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(format!(
            "invalid points value {value}: expected a number of 0 or more such as 2 or 0.5"
        ))
    }
}

fn whole_number_in(value: i64, min: i64, max: i64) -> Result<u32, String> {
    if value < min || value > max {
        return Err(format!(
            "invalid value {value}: expected a whole number from {min} to {max}"
        ));
    }
    u32::try_from(value).map_err(|_| format!("invalid value {value}: too large"))
}

/// Where a time is used, which decides whether "24:00" is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimeUse {
    Checkpoint,
    Start,
    End,
}

/// Parses "HH:MM" into minutes after midnight; "24:00" only as a window end.
fn parse_time(text: &str, used_as: TimeUse) -> Result<u32, String> {
    let example = if used_as == TimeUse::End {
        "expected HH:MM such as 18:00, or 24:00 for the end of the day"
    } else {
        "expected HH:MM such as 08:30"
    };
    let invalid = || format!("invalid time '{text}': {example}");

    let bytes = text.as_bytes();
    let well_formed = bytes.len() == 5
        && bytes[2] == b':'
        && [0, 1, 3, 4].iter().all(|&i| bytes[i].is_ascii_digit());
    if !well_formed {
        return Err(invalid());
    }
    let digit = |i: usize| u32::from(bytes[i] - b'0');
    let hours = digit(0) * 10 + digit(1);
    let minutes = digit(3) * 10 + digit(4);
    if minutes >= 60 || hours > 24 || (hours == 24 && minutes > 0) {
        return Err(invalid());
    }

    let total = hours * 60 + minutes;
    if total == MINUTES_PER_DAY && used_as != TimeUse::End {
        return Err(
            "invalid time '24:00': 24:00 is allowed only as the end of a window, \
             expected 00:00 to 23:59"
                .to_string(),
        );
    }
    Ok(total)
}

/// Returns the minute halfway between two times, rounded down.
fn halfway(earlier: u32, later: u32) -> u32 {
    (earlier + later) / 2
}

fn time_of_minutes(minutes: u32) -> NaiveTime {
    // Checkpoint times are below 24:00 after parse_time, so this is in range;
    // midnight is an unreachable fallback.
    NaiveTime::from_num_seconds_from_midnight_opt(minutes * 60, 0).unwrap_or(NaiveTime::MIN)
}

fn format_minutes(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn format_window(window: Window) -> String {
    format!(
        "[{}, {})",
        format_minutes(window.start),
        format_minutes(window.end)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_time_cases() {
        let cases: [(&str, TimeUse, Option<u32>); 12] = [
            ("08:30", TimeUse::Checkpoint, Some(510)),
            ("00:00", TimeUse::Start, Some(0)),
            ("23:59", TimeUse::Checkpoint, Some(1439)),
            ("24:00", TimeUse::End, Some(1440)),
            ("24:00", TimeUse::Start, None),
            ("24:00", TimeUse::Checkpoint, None),
            ("24:01", TimeUse::End, None),
            ("8:30", TimeUse::Checkpoint, None),
            ("08:3x", TimeUse::Checkpoint, None),
            ("08:60", TimeUse::Checkpoint, None),
            ("25:00", TimeUse::End, None),
            ("08:30:00", TimeUse::Checkpoint, None),
        ];
        for (text, used_as, expected) in cases {
            assert_eq!(
                parse_time(text, used_as).ok(),
                expected,
                "{text} {used_as:?}"
            );
        }
    }

    #[test]
    fn halfway_rounds_down() {
        // 08:30 (510) and 12:00 (720): 615 = 10:15.
        assert_eq!(halfway(510, 720), 615);
        // 08:31 (511) and 12:00 (720): 615.5, rounded down to 615.
        assert_eq!(halfway(511, 720), 615);
    }

    #[test]
    fn format_minutes_pads() {
        assert_eq!(format_minutes(65), "01:05");
        assert_eq!(format_minutes(1440), "24:00");
    }
}
