//! Rules of the satisfaction keypads (评价器): levels, repeats, who was rated,
//! misclick corrections, monthly results and suspicious patterns.
//!
//! An applicant rates a window on its keypad with one of the five levels of
//! the national good-or-bad review (好差评). Every press is kept. A press is
//! counted unless it repeats an earlier press on the same keypad or an
//! approved correction voided it. It is credited to the press's window and to
//! the staff member on duty there that day.
//!
//! Like the attendance rules, nothing here does I/O or reads the system
//! clock: the presses, the approved corrections, the duty roster and the
//! calendar are inputs, so every case is a table test.
//!
//! "Within N seconds" means less than N seconds throughout this module: a
//! press exactly 3 s after the previous one is not a repeat, and five presses
//! spanning exactly 60 s are not a burst.

mod correction;
mod deadline;
mod duty;
mod levels;
mod month;
mod patterns;
mod repeats;
mod tally;

#[cfg(test)]
mod tests;

use chrono::{NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};

pub use correction::{approved_by_rating, CorrectedLevel, Correction, CorrectionError};
pub use deadline::{check_request_time, correction_deadline, DeadlineError};
pub use duty::{staff_on_duty, DutyAssignment, DutyError};
pub use levels::{ButtonMap, Level, LevelCounts, LevelError};
pub use month::{
    rate_month, MonthInput, MonthRatings, PersonRatings, RatingFlag, RatingLine, RatingsError,
    WindowInfo, WindowMonth,
};
pub use patterns::{find_bursts, is_outside_working_hours, Burst, Pattern};
pub use repeats::{is_repeat, mark_repeats};
pub use tally::Tally;

/// One press on a keypad, as the journal stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingPress {
    /// Journal sequence number of the press, which is also the rating's id.
    pub seq: i64,
    /// Id of the keypad device that was pressed.
    pub keypad: String,
    /// Id of the service window the keypad belongs to.
    pub window_id: String,
    /// Local wall-clock time of the press in the site's time zone.
    pub local: NaiveDateTime,
    /// The level the button maps to at the time of the press.
    pub level: Level,
    /// The button number the keypad reported, kept for checking the mapping.
    pub button: u8,
}

/// Settings of the rating rules; [`Default`] gives the hall's rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingSettings {
    /// A press less than this many seconds after the previous press on the
    /// same keypad is a repeat. Default 3.
    pub repeat_window_secs: u32,
    /// Points deducted from the window's item per unsatisfied rating (不满意
    /// or 非常不满意). Default 3, from the hall's assessment rules.
    pub unsatisfied_points: f64,
    /// Points of a window's monthly rating item. Deductions never take the
    /// score below 0. Default 15, from the hall's assessment rules.
    pub window_item_points: f64,
    /// Presses on one keypad that make a burst when they fall within
    /// `burst_window_secs`. Default 5.
    pub burst_count: u32,
    /// Span of a burst in seconds. Default 60.
    pub burst_window_secs: u32,
    /// Presses before this local time are flagged. Default 08:00.
    pub work_start: NaiveTime,
    /// Presses after this local time are flagged. Default 18:30.
    pub work_end: NaiveTime,
    /// A window whose share of 非常满意 exceeds the hall's share in the same
    /// month by at least this fraction (0.25 is 25 percentage points) is
    /// flagged. Default 0.25.
    pub top_share_margin: f64,
    /// Valid ratings a window needs in the month before its top share is
    /// compared with the hall's. Default 20.
    pub min_ratings_for_share: u32,
    /// Working days after the day of a press in which a correction may be
    /// requested. Default 3.
    pub correction_working_days: u32,
}

impl Default for RatingSettings {
    fn default() -> Self {
        let hm = |h: u32, m: u32| NaiveTime::from_hms_opt(h, m, 0).expect("valid time");
        RatingSettings {
            repeat_window_secs: 3,
            unsatisfied_points: 3.0,
            window_item_points: 15.0,
            burst_count: 5,
            burst_window_secs: 60,
            work_start: hm(8, 0),
            work_end: hm(18, 30),
            top_share_margin: 0.25,
            min_ratings_for_share: 20,
            correction_working_days: 3,
        }
    }
}
