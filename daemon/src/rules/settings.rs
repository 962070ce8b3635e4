//! Settings the attendance rules read: checkpoints, punch windows, repeated
//! punches and deductions. The configuration module builds them from the
//! site's file; the defaults are the hall's punch rules.

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

/// One of the four daily checkpoints, in the order they fall in the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Checkpoint {
    /// 上午签到, 08:30 by default: a later punch is late.
    MorningIn,
    /// 中午签退, 12:00 by default: an earlier punch is leaving early.
    NoonOut,
    /// 下午签到, 14:30 by default: a later punch is late.
    AfternoonIn,
    /// 下午签退, 18:00 by default: an earlier punch is leaving early.
    EveningOut,
}

impl Checkpoint {
    /// All four checkpoints in the order of the day.
    pub const ALL: [Checkpoint; 4] = [
        Checkpoint::MorningIn,
        Checkpoint::NoonOut,
        Checkpoint::AfternoonIn,
        Checkpoint::EveningOut,
    ];

    /// Whether a punch at this checkpoint signs in (earliest punch counts,
    /// a later one is late) rather than out (latest counts, earlier is early).
    pub fn is_sign_in(self) -> bool {
        matches!(self, Checkpoint::MorningIn | Checkpoint::AfternoonIn)
    }

    /// The half-day session the checkpoint belongs to.
    pub fn session(self) -> Session {
        match self {
            Checkpoint::MorningIn | Checkpoint::NoonOut => Session::Morning,
            Checkpoint::AfternoonIn | Checkpoint::EveningOut => Session::Afternoon,
        }
    }

    /// Position in [`Checkpoint::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Returns the name used in JSON and in the settings file.
    pub fn as_str(self) -> &'static str {
        match self {
            Checkpoint::MorningIn => "morning_in",
            Checkpoint::NoonOut => "noon_out",
            Checkpoint::AfternoonIn => "afternoon_in",
            Checkpoint::EveningOut => "evening_out",
        }
    }

    /// The Chinese name used in reports.
    pub fn label_zh(self) -> &'static str {
        match self {
            Checkpoint::MorningIn => "上午签到",
            Checkpoint::NoonOut => "中午签退",
            Checkpoint::AfternoonIn => "下午签到",
            Checkpoint::EveningOut => "下午签退",
        }
    }
}

/// A half-day session: morning (sign-in and noon sign-out) or afternoon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Session {
    Morning,
    Afternoon,
}

/// A checkpoint's time and the punch window that feeds it.
///
/// Window bounds are seconds after local midnight, start inclusive and end
/// exclusive; `window_end` may be 86 400 (24:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointSpec {
    pub checkpoint: Checkpoint,
    /// The checkpoint time, compared in whole minutes.
    pub at: NaiveTime,
    pub window_start: u32,
    pub window_end: u32,
}

/// Points of the monthly attendance item (出勤值勤) and its deductions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Points {
    /// Points the item starts from; the score never goes below 0. Default 20.
    pub item: f64,
    /// Deducted per late count. Default 2.
    pub per_late: f64,
    /// Deducted per early count. Default 2.
    pub per_early: f64,
    /// Deducted per whole day of absence; a half-day costs half. Default 3.
    pub per_absent_day: f64,
    /// Deducted per deemed absence (视为旷工). Default 3.
    pub per_deemed_absence: f64,
}

/// Everything the attendance rules need besides the calendar and the data.
#[derive(Debug, Clone, PartialEq)]
pub struct AttendanceSettings {
    /// The four checkpoints in the order of [`Checkpoint::ALL`].
    pub checkpoints: [CheckpointSpec; 4],
    /// Punches by one person less than this many seconds after the first
    /// punch of a group join that group. Default 60.
    pub repeat_window_secs: u32,
    /// Every this many late-or-early counts in a month make one deemed
    /// absence. Default 3.
    pub deemed_absence_every: u32,
    /// Absence occurrences in a calendar year at which the person is flagged
    /// for return to their department. Default 3.
    pub cumulative_absence_threshold: u32,
    pub points: Points,
}

impl AttendanceSettings {
    /// The spec of one checkpoint.
    pub fn spec(&self, checkpoint: Checkpoint) -> &CheckpointSpec {
        &self.checkpoints[checkpoint.index()]
    }
}

/// Seconds after midnight of a time of day.
pub fn seconds_of_day(time: NaiveTime) -> u32 {
    use chrono::Timelike;
    time.num_seconds_from_midnight()
}

impl Default for AttendanceSettings {
    /// The hall's rules: 08:30, 12:00, 14:30 and 18:00, each window boundary
    /// halfway between two checkpoints, mornings from 05:00, evenings to 24:00.
    fn default() -> Self {
        let hm = |h: u32, m: u32| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        let secs = |h: u32, m: u32| h * 3600 + m * 60;
        let spec = |checkpoint, at, window_start, window_end| CheckpointSpec {
            checkpoint,
            at,
            window_start,
            window_end,
        };
        AttendanceSettings {
            checkpoints: [
                spec(Checkpoint::MorningIn, hm(8, 30), secs(5, 0), secs(10, 15)),
                spec(Checkpoint::NoonOut, hm(12, 0), secs(10, 15), secs(13, 15)),
                spec(
                    Checkpoint::AfternoonIn,
                    hm(14, 30),
                    secs(13, 15),
                    secs(16, 15),
                ),
                spec(Checkpoint::EveningOut, hm(18, 0), secs(16, 15), secs(24, 0)),
            ],
            repeat_window_secs: 60,
            deemed_absence_every: 3,
            cumulative_absence_threshold: 3,
            points: Points {
                item: 20.0,
                per_late: 2.0,
                per_early: 2.0,
                per_absent_day: 3.0,
                per_deemed_absence: 3.0,
            },
        }
    }
}
