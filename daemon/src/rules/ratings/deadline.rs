//! The deadline for requesting a misclick correction.
//!
//! A correction may be requested "within 3 working days" of the press. As in
//! civil-law periods the day of the press does not count, so for a press on
//! day D the period ends at 24:00 local time on the third working day after
//! D, whatever the time of the press. Working days come from the calendar:
//! holidays are skipped and make-up Saturdays (调休上班) count.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::calendar::{Calendar, CalendarError};

/// Errors from checking when a correction was requested.
#[derive(Debug, thiserror::Error)]
pub enum DeadlineError {
    #[error("correction request filed at {} is late: the correction window for a rating pressed on {pressed_on} ended at {last_day} 24:00 ({working_days} working {} after the press)", .filed_at.format("%Y-%m-%d %H:%M:%S"), if *.working_days == 1 { "day" } else { "days" })]
    Late {
        pressed_on: NaiveDate,
        /// Last day on which a request is in time.
        last_day: NaiveDate,
        filed_at: NaiveDateTime,
        working_days: u32,
    },
    #[error("correction request filed at {} is earlier than the press at {press}: check the request time and the rating id", .filed_at.format("%Y-%m-%d %H:%M:%S"))]
    BeforePress {
        press: NaiveDateTime,
        filed_at: NaiveDateTime,
    },
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// Computes the exclusive end of the correction period of a press at
/// `press_local`: local midnight that starts the day after the
/// `working_days`th working day after the day of the press. With `working_days` 0 the period ends at the
/// end of the day of the press.
///
/// Fails if the calendar does not cover a day up to the last allowed day.
pub fn correction_deadline(
    calendar: &Calendar,
    press_local: NaiveDateTime,
    working_days: u32,
) -> Result<NaiveDateTime, CalendarError> {
    let last_day = calendar.nth_working_day_after(press_local.date(), working_days)?;
    Ok(end_of_day(last_day))
}

/// Checks that a correction request filed at `filed_at` (local time) falls
/// between the press and the end of its correction period. A request at
/// 23:59:59 on the last allowed day is in time, and one at 00:00:00 the day
/// after is late.
pub fn check_request_time(
    calendar: &Calendar,
    press: NaiveDateTime,
    filed_at: NaiveDateTime,
    working_days: u32,
) -> Result<(), DeadlineError> {
    if filed_at < press {
        return Err(DeadlineError::BeforePress { press, filed_at });
    }
    let last_day = calendar.nth_working_day_after(press.date(), working_days)?;
    if filed_at >= end_of_day(last_day) {
        return Err(DeadlineError::Late {
            pressed_on: press.date(),
            last_day,
            filed_at,
            working_days,
        });
    }
    Ok(())
}

/// Midnight at the end of `day`, i.e. 00:00 of the next day.
fn end_of_day(day: NaiveDate) -> NaiveDateTime {
    match day.succ_opt() {
        Some(next) => next.and_time(NaiveTime::MIN),
        // Only the last date chrono can represent has no next day.
        None => NaiveDateTime::MAX,
    }
}
