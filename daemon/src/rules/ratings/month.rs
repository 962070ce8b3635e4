//! A month's ratings per window and per person, with every press listed.
//!
//! Each press of the month gets a [`RatingLine`]: its window, the staff
//! member on duty, the original and effective level, whether it is a repeat
//! or void, its approved correction and its flags. The lines are summed per
//! window, per person and for the hall.
//!
//! A window's rating item (15 points by default) loses 3 points per
//! unsatisfied rating, never going below 0. Both 不满意 and 非常不满意 count
//! as unsatisfied: the hall's rules deduct per 不满意 rating, and 非常不满意
//! is worse. Any unsatisfied rating in the month makes a window or a person
//! ineligible for an excellent grade.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::correction::approved_by_rating;
use super::patterns::check_top_share;
use super::{
    find_bursts, is_outside_working_hours, mark_repeats, staff_on_duty, Burst, Correction,
    CorrectionError, DutyAssignment, Level, Pattern, RatingPress, RatingSettings, Tally,
};
use crate::calendar::{Calendar, CalendarError};

/// Errors from computing a month's ratings.
#[derive(Debug, thiserror::Error)]
pub enum RatingsError {
    #[error("invalid month {year}-{month}: expected a month from 1 to 12 of a year chrono can represent")]
    InvalidMonth { year: i32, month: u32 },
    #[error(
        "journal sequence {seq} appears on two presses: each rating needs its own sequence number"
    )]
    DuplicateSeq { seq: i64 },
    #[error(transparent)]
    Correction(#[from] CorrectionError),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// A service window as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowInfo {
    pub id: String,
    pub name: String,
    /// Id of the window unit (窗口单位) the window belongs to.
    pub unit_id: String,
}

/// Everything [`rate_month`] reads besides the calendar and the settings.
#[derive(Debug, Clone, Copy)]
pub struct MonthInput<'a> {
    pub year: i32,
    /// Month of the year, 1 to 12.
    pub month: u32,
    /// Every window of the hall. Each appears in the result, pressed or not.
    pub windows: &'a [WindowInfo],
    /// Presses of the month. Presses outside it are ignored except as the
    /// previous press of a repeat, so the last press before the month on
    /// each keypad may be included.
    pub presses: &'a [RatingPress],
    /// Approved corrections, at most one per rating. Corrections of ratings
    /// not in `presses` are ignored.
    pub corrections: &'a [Correction],
    pub roster: &'a [DutyAssignment],
}

/// A flag on one press, for a person to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingFlag {
    /// Nobody was on duty at the window that day, so the press counts for
    /// the window only.
    NobodyOnDuty,
    /// Before `work_start` or after `work_end`.
    OutsideWorkingHours,
    /// On a weekend day or holiday that is no working day.
    NonWorkingDay,
    /// Part of a burst of presses on its keypad.
    InBurst,
}

/// One press of the month as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingLine {
    /// Journal sequence of the press, which is the rating's id.
    pub seq: i64,
    pub keypad: String,
    pub window_id: String,
    /// Staff member on duty at the window that day, or `None`.
    pub staff_id: Option<String>,
    pub local: NaiveDateTime,
    pub button: u8,
    /// The level the applicant pressed.
    pub original_level: Level,
    /// The level the rating counts as after an approved correction, or
    /// `None` when a correction voided it. A repeat keeps its level here but is not
    /// counted.
    pub effective_level: Option<Level>,
    pub repeat: bool,
    /// Voided by an approved correction.
    pub void: bool,
    /// Counted in totals and rates: neither a repeat nor void.
    pub counted: bool,
    /// The approved correction of this rating, with who requested and
    /// approved it and when.
    pub correction: Option<Correction>,
    pub flags: Vec<RatingFlag>,
}

/// A window's month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowMonth {
    pub window_id: String,
    /// `None` when the window is not in the input window list.
    pub name: Option<String>,
    /// `None` when the window is not in the input window list.
    pub unit_id: Option<String>,
    #[serde(flatten)]
    pub tally: Tally,
    /// Presses, of any class, with nobody on duty.
    pub nobody_on_duty: u32,
    /// Points of the window's rating item before deductions.
    pub item_points: f64,
    /// `unsatisfied` times the points per unsatisfied rating.
    pub deduction_raw: f64,
    /// The deduction applied: `deduction_raw`, at most `item_points`.
    pub deduction: f64,
    /// Points left: `item_points - deduction`, never below 0.
    pub score: f64,
    /// No unsatisfied rating in the month.
    pub excellent_eligible: bool,
}

/// A staff member's month: the ratings given while on duty, and every
/// window where the roster had them on duty in the month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonRatings {
    pub staff_id: String,
    /// Windows where the person was rated or on duty, sorted.
    pub window_ids: Vec<String>,
    #[serde(flatten)]
    pub tally: Tally,
    /// No unsatisfied rating in the month.
    pub excellent_eligible: bool,
}

/// The ratings of one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthRatings {
    pub year: i32,
    pub month: u32,
    /// Totals of every press in the month.
    pub hall: Tally,
    /// Listed windows in input order, then pressed windows missing from the
    /// list, by id.
    pub windows: Vec<WindowMonth>,
    /// By staff id.
    pub people: Vec<PersonRatings>,
    /// Every press of the month, by local time and then sequence.
    pub ratings: Vec<RatingLine>,
    /// Bursts by start time, then per-press patterns in press order, then
    /// top-share windows in window order.
    pub patterns: Vec<Pattern>,
}

/// Computes a month's ratings.
///
/// Fails on an invalid month, two presses with one sequence number, two
/// approved corrections of one rating, or a press date the calendar does
/// not cover.
pub fn rate_month(
    calendar: &Calendar,
    settings: &RatingSettings,
    input: &MonthInput<'_>,
) -> Result<MonthRatings, RatingsError> {
    let (first_day, next_first_day) = month_bounds(input.year, input.month)?;
    check_unique_seqs(input.presses)?;
    let corrections = approved_by_rating(input.corrections)?;
    let repeats = mark_repeats(input.presses, settings.repeat_window_secs);

    // The month's presses in time order, each with its repeat mark.
    let mut month: Vec<(&RatingPress, bool)> = input
        .presses
        .iter()
        .zip(repeats)
        .filter(|(press, _)| (first_day..next_first_day).contains(&press.local.date()))
        .collect();
    month.sort_by_key(|(press, _)| (press.local, press.seq));

    let month_presses: Vec<RatingPress> = month.iter().map(|(press, _)| (*press).clone()).collect();
    let bursts = find_bursts(
        &month_presses,
        settings.burst_count,
        settings.burst_window_secs,
    );

    let mut lines = Vec::with_capacity(month.len());
    let mut press_patterns = Vec::new();
    for (press, repeat) in month {
        let correction = corrections.get(&press.seq).map(|c| (*c).clone());
        let line = rating_line(
            calendar,
            settings,
            input.roster,
            &bursts,
            press,
            repeat,
            correction,
        )?;
        press_patterns.extend(line_patterns(calendar, settings, &line)?);
        lines.push(line);
    }

    let hall = sum_hall(&lines);
    let windows = sum_windows(settings, input.windows, &lines);
    let people = sum_people(input, first_day, next_first_day, &lines);

    let mut patterns: Vec<Pattern> = bursts.into_iter().map(Pattern::Burst).collect();
    patterns.extend(press_patterns);
    for window in &windows {
        let found = check_top_share(
            &window.window_id,
            &window.tally.counts,
            &hall.counts,
            settings,
        );
        patterns.extend(found);
    }

    Ok(MonthRatings {
        year: input.year,
        month: input.month,
        hall,
        windows,
        people,
        ratings: lines,
        patterns,
    })
}

/// Returns the first day of the month and of the next month.
fn month_bounds(year: i32, month: u32) -> Result<(NaiveDate, NaiveDate), RatingsError> {
    let invalid = || RatingsError::InvalidMonth { year, month };
    let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(invalid)?;
    let next = match month {
        12 => NaiveDate::from_ymd_opt(year + 1, 1, 1),
        _ => NaiveDate::from_ymd_opt(year, month + 1, 1),
    };
    Ok((first, next.ok_or_else(invalid)?))
}

fn check_unique_seqs(presses: &[RatingPress]) -> Result<(), RatingsError> {
    let mut seen = HashSet::with_capacity(presses.len());
    for press in presses {
        if !seen.insert(press.seq) {
            return Err(RatingsError::DuplicateSeq { seq: press.seq });
        }
    }
    Ok(())
}

/// Builds the line of one press of the month.
fn rating_line(
    calendar: &Calendar,
    settings: &RatingSettings,
    roster: &[DutyAssignment],
    bursts: &[Burst],
    press: &RatingPress,
    repeat: bool,
    correction: Option<Correction>,
) -> Result<RatingLine, RatingsError> {
    let date = press.local.date();
    let staff_id = staff_on_duty(roster, &press.window_id, date).map(str::to_string);

    let mut flags = Vec::new();
    if staff_id.is_none() {
        flags.push(RatingFlag::NobodyOnDuty);
    }
    if is_outside_working_hours(press.local.time(), settings) {
        flags.push(RatingFlag::OutsideWorkingHours);
    }
    if !calendar.is_working_day(date)? {
        flags.push(RatingFlag::NonWorkingDay);
    }
    if bursts.iter().any(|burst| in_burst(burst, press)) {
        flags.push(RatingFlag::InBurst);
    }

    let effective_level = match &correction {
        Some(correction) => correction.new.level(),
        None => Some(press.level),
    };
    let void = effective_level.is_none() && !repeat;
    Ok(RatingLine {
        seq: press.seq,
        keypad: press.keypad.clone(),
        window_id: press.window_id.clone(),
        staff_id,
        local: press.local,
        button: press.button,
        original_level: press.level,
        effective_level,
        repeat,
        void,
        counted: !repeat && !void,
        correction,
        flags,
    })
}

fn in_burst(burst: &Burst, press: &RatingPress) -> bool {
    let key = (press.local, press.seq);
    burst.keypad == press.keypad
        && (burst.start, burst.first_seq) <= key
        && key <= (burst.end, burst.last_seq)
}

/// Builds the per-press patterns of a line in the order of its flags.
fn line_patterns(
    calendar: &Calendar,
    settings: &RatingSettings,
    line: &RatingLine,
) -> Result<Vec<Pattern>, RatingsError> {
    let mut patterns = Vec::new();
    for flag in &line.flags {
        let pattern = match flag {
            RatingFlag::OutsideWorkingHours => Pattern::OutsideWorkingHours {
                seq: line.seq,
                keypad: line.keypad.clone(),
                window_id: line.window_id.clone(),
                local: line.local,
                work_start: settings.work_start,
                work_end: settings.work_end,
            },
            RatingFlag::NonWorkingDay => Pattern::NonWorkingDay {
                seq: line.seq,
                keypad: line.keypad.clone(),
                window_id: line.window_id.clone(),
                local: line.local,
                day_kind: calendar.day_kind(line.local.date())?,
            },
            RatingFlag::NobodyOnDuty => Pattern::NobodyOnDuty {
                seq: line.seq,
                keypad: line.keypad.clone(),
                window_id: line.window_id.clone(),
                local: line.local,
            },
            // Bursts are reported once each, not per press.
            RatingFlag::InBurst => continue,
        };
        patterns.push(pattern);
    }
    Ok(patterns)
}

fn sum_hall(lines: &[RatingLine]) -> Tally {
    let mut hall = Tally::default();
    for line in lines {
        hall.add(line);
    }
    hall
}

fn sum_windows(
    settings: &RatingSettings,
    listed: &[WindowInfo],
    lines: &[RatingLine],
) -> Vec<WindowMonth> {
    let mut totals: BTreeMap<&str, (Tally, u32)> = BTreeMap::new();
    for line in lines {
        let (tally, nobody) = totals.entry(&line.window_id).or_default();
        tally.add(line);
        if line.staff_id.is_none() {
            *nobody += 1;
        }
    }

    let mut order: Vec<(&str, Option<&WindowInfo>)> = Vec::new();
    for window in listed {
        if !order.iter().any(|(id, _)| *id == window.id) {
            order.push((&window.id, Some(window)));
        }
    }
    for id in totals.keys() {
        if !listed.iter().any(|window| window.id == *id) {
            order.push((id, None));
        }
    }

    order
        .into_iter()
        .map(|(id, info)| {
            let (tally, nobody_on_duty) = totals.remove(id).unwrap_or_default();
            window_month(settings, id, info, tally, nobody_on_duty)
        })
        .collect()
}

fn window_month(
    settings: &RatingSettings,
    id: &str,
    info: Option<&WindowInfo>,
    tally: Tally,
    nobody_on_duty: u32,
) -> WindowMonth {
    let item_points = settings.window_item_points.max(0.0);
    let deduction_raw = f64::from(tally.unsatisfied) * settings.unsatisfied_points;
    let deduction = deduction_raw.min(item_points);
    WindowMonth {
        window_id: id.to_string(),
        name: info.map(|window| window.name.clone()),
        unit_id: info.map(|window| window.unit_id.clone()),
        excellent_eligible: tally.excellent_eligible(),
        tally,
        nobody_on_duty,
        item_points,
        deduction_raw,
        deduction,
        score: item_points - deduction,
    }
}

/// Sums the lines per staff member, and adds everyone the roster had on
/// duty on some day of the month, rated or not.
fn sum_people(
    input: &MonthInput<'_>,
    first_day: NaiveDate,
    next_first_day: NaiveDate,
    lines: &[RatingLine],
) -> Vec<PersonRatings> {
    let mut people: BTreeMap<String, (Tally, BTreeSet<String>)> = BTreeMap::new();
    for line in lines {
        if let Some(staff_id) = &line.staff_id {
            let (tally, windows) = people.entry(staff_id.clone()).or_default();
            tally.add(line);
            windows.insert(line.window_id.clone());
        }
    }

    let window_ids: BTreeSet<&str> = input
        .windows
        .iter()
        .map(|window| window.id.as_str())
        .chain(input.roster.iter().map(|a| a.window_id.as_str()))
        .collect();
    let days = first_day
        .iter_days()
        .take_while(|day| *day < next_first_day);
    for day in days {
        for window_id in &window_ids {
            if let Some(staff_id) = staff_on_duty(input.roster, window_id, day) {
                let (_, windows) = people.entry(staff_id.to_string()).or_default();
                windows.insert(window_id.to_string());
            }
        }
    }

    people
        .into_iter()
        .map(|(staff_id, (tally, windows))| PersonRatings {
            staff_id,
            window_ids: windows.into_iter().collect(),
            excellent_eligible: tally.excellent_eligible(),
            tally,
        })
        .collect()
}
