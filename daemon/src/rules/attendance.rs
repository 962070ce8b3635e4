//! Monthly attendance of the hall's staff from raw punches.
//!
//! [`evaluate_month`] judges every working day of a month for every person.
//! Each of the four checkpoints gets an [`Outcome`], and each half-day
//! session adds at most one late and one early count or half a day of
//! absence. The month totals turn the counts into deductions from the
//! 20-point attendance item. The rules, in order:
//!
//! 1. A person's punches less than `repeat_window_secs` after the first
//!    punch of a group, on the same date, join that group. A group counts as
//!    one punch in the window of its first punch.
//! 2. Each checkpoint's window is a range of local times. A sign-in counts
//!    its earliest group at the group's first punch, and a sign-out counts
//!    its latest group at the group's last punch. Times compare in whole
//!    minutes, so 08:30:59 is on time for 08:30 and 11:59:59 is one minute
//!    early for 12:00.
//! 3. A session with neither punch is half a day of absence. A missing
//!    sign-in or a late one counts late, and a missing sign-out or an early
//!    one counts early.
//! 4. Every `deemed_absence_every` late-or-early counts in a month make one
//!    deemed absence. Each working day with an absent session and each
//!    deemed absence is one absence occurrence, and the occurrences of the
//!    calendar year flag the person for return to their department once
//!    they reach `cumulative_absence_threshold`.
//!
//! 5. A checkpoint covered by an approved write-off or a clock outage
//!    ([`cover`]) is neither late, early nor missing, whatever its punches,
//!    and the month totals count the written-off checkpoints by kind.
//!
//! The status key a person pressed on the clock is kept but never read, and
//! only calendar working days are judged. Nothing here reads the clock: the
//! as-of instant is an input, and checkpoints that can still change at that
//! instant are pending.

pub mod cover;
mod day;
mod grouping;
mod month;
#[cfg(test)]
mod tests;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

use super::settings::{AttendanceSettings, Checkpoint, Session};
use crate::calendar::{Calendar, CalendarError};

pub use cover::{
    Cover, Covers, DayCovers, OutageSpan, PatrolPunch, PatrolStamp, Slot, WriteOffKind,
    WriteOffSpan, WrittenOffTotals,
};
pub use month::evaluate_month;

/// Errors that stop a month's evaluation.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("invalid month {year}-{month}: expected a month from 1 to 12 of a supported year")]
    InvalidMonth { year: i32, month: u32 },
    #[error("invalid attendance settings: {reason}")]
    InvalidSettings { reason: String },
    #[error(
        "PIN '{pin}' belongs to both '{first}' and '{second}': give each person their own PINs"
    )]
    DuplicatePin {
        pin: String,
        first: String,
        second: String,
    },
    #[error("failed to look up working days from {year}-01-01 to the end of {year}-{month:02}: {source}")]
    Calendar {
        year: i32,
        month: u32,
        #[source]
        source: Box<CalendarError>,
    },
}

/// A member of staff and the credentials that identify their punches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Person {
    /// Stable staff id used in reports.
    pub id: String,
    pub name: String,
    /// Window or department the person serves at, if known.
    pub unit: Option<String>,
    /// Enrolment numbers (PINs) on the clocks; a punch maps to a person by PIN.
    pub pins: Vec<String>,
    /// First day of employment; earlier days are not judged.
    pub start: Option<NaiveDate>,
    /// Last day of employment; later days are not judged.
    pub end: Option<NaiveDate>,
}

/// One raw punch in the site's local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct Punch {
    /// Sequence number of the punch in the journal.
    pub seq: i64,
    pub pin: String,
    /// Local wall-clock time of the punch; the caller converts from UTC.
    pub local: NaiveDateTime,
    /// Status key pressed on the clock (check-in, check-out, ...). The rules
    /// ignore it because only the time decides.
    pub status: Option<u8>,
    pub device_id: String,
}

/// Everything [`evaluate_month`] reads. The results borrow from the roster
/// and the punches (`'a`), not from the covers (`'c`).
#[derive(Debug, Clone, Copy)]
pub struct MonthInput<'a, 'c> {
    pub settings: &'a AttendanceSettings,
    pub calendar: &'a Calendar,
    /// The roster. A PIN may belong to one person only.
    pub people: &'a [Person],
    /// Whether every PIN missing from the roster is judged as a person of
    /// its own, with the PIN as id and name, employed from the PIN's first
    /// punch of the year. Only PINs that punched in the month become people.
    /// Meant for sites that have no roster yet.
    pub unknown_pins_as_people: bool,
    /// Punches in any order. The punches from January 1 of `year` to the end
    /// of the month are read, and other punches are skipped. The earlier
    /// months only feed the year's absence occurrences, so without their
    /// punches every earlier working day counts as absent.
    pub punches: &'a [Punch],
    pub year: i32,
    /// Month of the year, 1 to 12.
    pub month: u32,
    /// Local instant the report is made at. Later days are pending, and on
    /// its date the checkpoints whose windows are still open may be pending.
    pub as_of: NaiveDateTime,
    /// Write-offs in force, clock outages and patrol punches.
    pub covers: &'c Covers,
}

/// The month's attendance of every person.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct MonthAttendance<'a> {
    pub year: i32,
    pub month: u32,
    pub as_of: NaiveDateTime,
    /// The month's working days in order.
    pub working_days: Vec<NaiveDate>,
    /// Roster people in roster order, then people made from unknown PINs in
    /// PIN order.
    pub people: Vec<PersonMonth<'a>>,
    /// PINs not on the roster that punched in the month, in PIN order.
    /// Empty when `unknown_pins_as_people` is set.
    pub unknown_credentials: Vec<UnknownCredential<'a>>,
    /// Punches on the month's working days that fall outside every punch
    /// window, person by person in time order.
    pub outside_windows: Vec<OutsidePunch<'a>>,
}

/// One person's month.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct PersonMonth<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub unit: Option<&'a str>,
    /// One entry per working day of the month, in order.
    pub days: Vec<DayResult>,
    /// Every raw punch of the month, working day or not, in time order.
    pub punches: Vec<PunchEntry<'a>>,
    pub totals: MonthTotals,
}

/// A raw punch with the group it joined and the checkpoint it served.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct PunchEntry<'a> {
    #[serde(flatten)]
    pub punch: &'a Punch,
    /// Journal sequence of the first punch of the punch's group.
    pub group: i64,
    /// Whether the punch repeats an earlier punch of its group.
    pub repeat: bool,
    /// The window the group's first punch falls in by time of day, also on
    /// days the rules skip; `None` is outside every window.
    pub window: Option<Checkpoint>,
    /// The checkpoint whose outcome uses this punch's time, if any.
    pub counts_for: Option<Checkpoint>,
}

/// A PIN that is not on the roster, with its punches of the month.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct UnknownCredential<'a> {
    pub pin: &'a str,
    pub count: usize,
    /// The PIN's punches in time order.
    pub punches: Vec<&'a Punch>,
}

/// A punch on a working day that falls outside every punch window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct OutsidePunch<'a> {
    pub person_id: &'a str,
    #[serde(flatten)]
    pub punch: &'a Punch,
}

/// One working day of one person.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct DayResult {
    pub date: NaiveDate,
    pub state: DayState,
    /// The four checkpoints in the order of [`Checkpoint::ALL`].
    pub checkpoints: [CheckpointResult; 4],
    /// Morning, then afternoon.
    pub sessions: [SessionResult; 2],
}

/// Whether a day is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayState {
    /// Both sessions are final and counted.
    Evaluated,
    /// The day is after the as-of date, or on it with a session still open.
    Pending,
    /// The day is before the person's start or after their end.
    NotEmployed,
}

/// The outcome of one checkpoint on one day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct CheckpointResult {
    pub checkpoint: Checkpoint,
    pub outcome: Outcome,
    /// Journal sequence of the punch whose time the outcome uses.
    pub seq: Option<i64>,
}

impl CheckpointResult {
    /// The punch time the outcome uses, if any.
    pub fn time(&self) -> Option<NaiveTime> {
        self.outcome.time()
    }

    /// Minutes late or early; 0 for every other outcome.
    pub fn minutes(&self) -> u32 {
        self.outcome.minutes()
    }
}

/// How a checkpoint ended.
///
/// A written-off checkpoint and one under a clock outage are neither late,
/// early nor missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// A punch at or before a sign-in minute, or at or after a sign-out
    /// minute.
    OnTime { at: NaiveTime },
    /// A sign-in punch `minutes` whole minutes after the checkpoint.
    Late { at: NaiveTime, minutes: u32 },
    /// A sign-out punch `minutes` whole minutes before the checkpoint.
    Early { at: NaiveTime, minutes: u32 },
    /// The window closed with no punch in it.
    Missing,
    /// The outcome may still change at the as-of instant; `at` is the punch
    /// that counts so far.
    Pending { at: Option<NaiveTime> },
    /// The person is not employed on this day.
    NotEmployed,
    /// Covered by the approved write-off `write_off` of kind `reason`; `at`
    /// is the person's punch there, if any, shown but not judged.
    WrittenOff {
        write_off: i64,
        reason: WriteOffKind,
        at: Option<NaiveTime>,
    },
    /// Covered by the clock outage `outage`. `at` is the clock punch there,
    /// or else the patrol punch that replaces it (`patrol` is true).
    Outage {
        outage: i64,
        at: Option<NaiveTime>,
        patrol: bool,
    },
}

impl Outcome {
    /// The punch time the outcome uses, if any.
    pub fn time(&self) -> Option<NaiveTime> {
        match *self {
            Outcome::OnTime { at } | Outcome::Late { at, .. } | Outcome::Early { at, .. } => {
                Some(at)
            }
            Outcome::Pending { at }
            | Outcome::WrittenOff { at, .. }
            | Outcome::Outage { at, .. } => at,
            Outcome::Missing | Outcome::NotEmployed => None,
        }
    }

    /// Minutes late or early; 0 for every other outcome.
    pub fn minutes(&self) -> u32 {
        match *self {
            Outcome::Late { minutes, .. } | Outcome::Early { minutes, .. } => minutes,
            _ => 0,
        }
    }
}

/// The result of one half-day session.
///
/// A session is counted only when both its checkpoints are final. All flags
/// are false on a day the person is not employed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct SessionResult {
    pub session: Session,
    /// Whether a checkpoint of the session is still pending, so the session
    /// is not counted yet.
    pub pending: bool,
    /// One late count: the sign-in is late, or it is missing while the
    /// sign-out is there.
    pub late: bool,
    /// One early count: the sign-out is early, or it is missing while the
    /// sign-in is there.
    pub early: bool,
    /// Half a day of absence (旷工): neither punch is there.
    pub absent: bool,
}

/// One person's counts, deductions and absence occurrences for the month.
///
/// Only counted sessions contribute: pending sessions and days outside
/// employment do not.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub struct MonthTotals {
    /// Working days with both sessions counted.
    pub days_evaluated: u32,
    /// Working days with a pending session.
    pub days_pending: u32,
    pub late: u32,
    pub early: u32,
    /// Missing checkpoints in counted sessions, those of absent sessions
    /// included.
    pub missing_punches: u32,
    pub absent_half_days: u32,
    /// `absent_half_days / 2`.
    pub absent_days: f64,
    /// `floor((late + early) / deemed_absence_every)` (视为旷工).
    pub deemed_absences: u32,
    /// Sum of all deductions before the floor at 0.
    pub deduction_raw: f64,
    /// `max(0, item - deduction_raw)`.
    pub attendance_score: f64,
    /// Working days with an absent session plus deemed absences, this month.
    pub absence_occurrences_month: u32,
    /// Absence occurrences from January to this month of the same year.
    pub absence_occurrences_year: u32,
    /// Whether the year's occurrences reached `cumulative_absence_threshold`.
    pub return_to_department: bool,
    /// Written-off checkpoints and whole half-days in counted sessions, by
    /// the kind reported.
    pub written_off: WrittenOffTotals,
    /// Checkpoints in counted sessions covered by a clock outage.
    pub outage_checkpoints: u32,
}
