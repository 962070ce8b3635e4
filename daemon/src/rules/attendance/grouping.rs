//! Groups of repeated punches and the punch window each group falls in.
//!
//! People often press twice when the clock seems slow to respond. Punches by
//! one person less than `repeat_window_secs` after the first punch of a
//! group join it; the next punch starts a new group, so a chain at 0 s, 50 s
//! and 100 s makes two groups. A group never spans two dates, because a
//! punch after midnight belongs to the next day's windows.

use chrono::{Datelike, NaiveTime, Timelike};

use super::Punch;
use crate::rules::settings::{AttendanceSettings, Checkpoint};

/// Seconds in a day.
pub(super) const SECONDS_PER_DAY: u32 = 86_400;

/// A punch's place in the evaluated year, with what the rules read of it.
///
/// The rules work on stamps instead of the punches so that judging a
/// person's days reads one small contiguous slice. Times are whole seconds:
/// the clocks record no fractions, and the rules compare seconds and
/// minutes only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stamp {
    /// Seconds since 00:00 on January 1 of the evaluated year.
    pub at: u32,
    /// Journal sequence of the punch.
    pub seq: i64,
    /// Index of the punch in the input.
    pub index: usize,
}

impl Stamp {
    /// Places a punch of the evaluated year.
    pub fn new(punch: &Punch, index: usize) -> Stamp {
        let day = punch.local.date().ordinal0();
        Stamp {
            at: day * SECONDS_PER_DAY + punch.local.time().num_seconds_from_midnight(),
            seq: punch.seq,
            index,
        }
    }

    /// Returns the local time of day, in whole seconds.
    pub fn time(self) -> NaiveTime {
        NaiveTime::from_num_seconds_from_midnight_opt(self.second_of_day(), 0)
            .unwrap_or(NaiveTime::MIN)
    }

    /// Days since January 1.
    pub fn day(self) -> u32 {
        self.at / SECONDS_PER_DAY
    }

    /// Seconds after local midnight.
    pub fn second_of_day(self) -> u32 {
        self.at % SECONDS_PER_DAY
    }
}

/// A run of one person's punches that counts as one punch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Group {
    /// Days since January 1.
    pub day: u32,
    /// Index of the first punch in the person's sorted stamps.
    pub first: usize,
    /// Index of the last punch; the group is `first..=last`.
    pub last: usize,
    /// The window the first punch falls in; `None` is outside every window.
    pub window: Option<Checkpoint>,
}

/// Groups one person's stamps, which must be sorted by time.
pub(super) fn group_punches(stamps: &[Stamp], settings: &AttendanceSettings) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (index, stamp) in stamps.iter().enumerate() {
        if let Some(group) = groups.last_mut() {
            let first = stamps[group.first];
            let after_first = stamp.at - first.at;
            if first.day() == stamp.day() && after_first < settings.repeat_window_secs {
                group.last = index;
                continue;
            }
        }
        groups.push(Group {
            day: stamp.day(),
            first: index,
            last: index,
            window: window_at(settings, stamp.second_of_day()),
        });
    }
    groups
}

/// Finds the checkpoint whose window contains `seconds` after local
/// midnight.
///
/// Windows are start-inclusive and end-exclusive and do not overlap, which
/// the month evaluation checks before it calls this.
fn window_at(settings: &AttendanceSettings, seconds: u32) -> Option<Checkpoint> {
    settings
        .checkpoints
        .iter()
        .find(|spec| spec.window_start <= seconds && seconds < spec.window_end)
        .map(|spec| spec.checkpoint)
}
