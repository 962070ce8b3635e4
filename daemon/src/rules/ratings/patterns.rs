//! Suspicious patterns in a month's presses.
//!
//! Patterns are reported for a person to check and never change counts:
//! bursts of presses on one keypad, presses outside working hours or on
//! non-working days, presses with nobody on duty, and a window whose share
//! of 非常满意 stands far above the hall's. Each pattern carries the window,
//! times and counts needed to check it.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, NaiveTime, TimeDelta};
use serde::Serialize;

use super::{LevelCounts, RatingPress, RatingSettings};
use crate::calendar::DayKind;

/// Tolerance when comparing a share difference with the margin, so that a
/// difference exactly at the margin in decimal (0.75 − 0.5 against 0.25)
/// counts even where binary floating point rounds it slightly below.
const SHARE_TOLERANCE: f64 = 1e-9;

/// A run of presses on one keypad, at least `burst_count` of them within
/// `burst_window_secs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Burst {
    pub keypad: String,
    /// Window of the first press of the burst.
    pub window_id: String,
    /// Local time of the first press.
    pub start: NaiveDateTime,
    /// Local time of the last press.
    pub end: NaiveDateTime,
    /// Presses in the burst, repeats included.
    pub presses: u32,
    /// Journal sequence of the first press.
    pub first_seq: i64,
    /// Journal sequence of the last press.
    pub last_seq: i64,
}

/// A finding for a person to check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Pattern {
    /// Many presses on one keypad in a short time.
    Burst(Burst),
    /// A press before `work_start` or after `work_end`.
    OutsideWorkingHours {
        seq: i64,
        keypad: String,
        window_id: String,
        local: NaiveDateTime,
        work_start: NaiveTime,
        work_end: NaiveTime,
    },
    /// A press on a weekend day or holiday that is no working day.
    NonWorkingDay {
        seq: i64,
        keypad: String,
        window_id: String,
        local: NaiveDateTime,
        day_kind: DayKind,
    },
    /// A press at a window with nobody on duty that day.
    NobodyOnDuty {
        seq: i64,
        keypad: String,
        window_id: String,
        local: NaiveDateTime,
    },
    /// A window whose share of 非常满意 among its valid ratings exceeds the
    /// hall's share by at least `margin`.
    TopShare {
        window_id: String,
        window_top: u32,
        window_valid: u32,
        window_share: f64,
        hall_top: u32,
        hall_valid: u32,
        hall_share: f64,
        margin: f64,
    },
}

impl Pattern {
    /// Returns the window the finding is about.
    pub fn window_id(&self) -> &str {
        match self {
            Pattern::Burst(burst) => &burst.window_id,
            Pattern::OutsideWorkingHours { window_id, .. }
            | Pattern::NonWorkingDay { window_id, .. }
            | Pattern::NobodyOnDuty { window_id, .. }
            | Pattern::TopShare { window_id, .. } => window_id,
        }
    }
}

/// Whether a local time of day lies before `work_start` or after `work_end`.
/// Both bounds themselves are inside working hours.
pub fn is_outside_working_hours(time: NaiveTime, settings: &RatingSettings) -> bool {
    time < settings.work_start || time > settings.work_end
}

/// Finds the bursts among `presses`: on one keypad, every run of
/// `burst_count` consecutive presses whose first and last are less than
/// `burst_window_secs` apart. Runs that share a press merge into one burst,
/// so each press belongs to at most one burst. A `burst_count` below 2 finds
/// none.
///
/// Bursts are ordered by start time, then keypad.
pub fn find_bursts(
    presses: &[RatingPress],
    burst_count: u32,
    burst_window_secs: u32,
) -> Vec<Burst> {
    if burst_count < 2 {
        return Vec::new();
    }
    let span = usize::try_from(burst_count).unwrap_or(usize::MAX);
    let window = TimeDelta::seconds(i64::from(burst_window_secs));

    let mut by_keypad: BTreeMap<&str, Vec<&RatingPress>> = BTreeMap::new();
    for press in presses {
        by_keypad.entry(&press.keypad).or_default().push(press);
    }

    let mut bursts = Vec::new();
    for keypad_presses in by_keypad.values_mut() {
        keypad_presses.sort_by_key(|press| (press.local, press.seq));

        // Index ranges [first, last] of qualifying runs, merged when they
        // share a press.
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for first in 0..keypad_presses.len().saturating_sub(span - 1) {
            let last = first + span - 1;
            if keypad_presses[last].local - keypad_presses[first].local >= window {
                continue;
            }
            match runs.last_mut() {
                Some(run) if run.1 >= first => run.1 = last,
                _ => runs.push((first, last)),
            }
        }

        for (first, last) in runs {
            let start = keypad_presses[first];
            let end = keypad_presses[last];
            bursts.push(Burst {
                keypad: start.keypad.clone(),
                window_id: start.window_id.clone(),
                start: start.local,
                end: end.local,
                presses: u32::try_from(last - first + 1).unwrap_or(u32::MAX),
                first_seq: start.seq,
                last_seq: end.seq,
            });
        }
    }
    bursts.sort_by(|a, b| (a.start, &a.keypad).cmp(&(b.start, &b.keypad)));
    bursts
}

/// Computes the share of 非常满意 among valid ratings, or `None` with no
/// valid rating.
pub fn top_share(counts: &LevelCounts) -> Option<f64> {
    match counts.total() {
        0 => None,
        total => Some(f64::from(counts.very_satisfied) / f64::from(total)),
    }
}

/// Reports a [`Pattern::TopShare`] when the window has at least
/// `min_ratings_for_share` valid ratings and its top share minus the hall's
/// is at least `top_share_margin`. The hall's counts include the window's.
pub fn check_top_share(
    window_id: &str,
    window: &LevelCounts,
    hall: &LevelCounts,
    settings: &RatingSettings,
) -> Option<Pattern> {
    if window.total() < settings.min_ratings_for_share {
        return None;
    }
    let window_share = top_share(window)?;
    let hall_share = top_share(hall)?;
    if window_share - hall_share + SHARE_TOLERANCE < settings.top_share_margin {
        return None;
    }
    Some(Pattern::TopShare {
        window_id: window_id.to_string(),
        window_top: window.very_satisfied,
        window_valid: window.total(),
        window_share,
        hall_top: hall.very_satisfied,
        hall_valid: hall.total(),
        hall_share,
        margin: settings.top_share_margin,
    })
}
