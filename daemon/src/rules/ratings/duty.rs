//! The duty roster: who serves at which window on which day.
//!
//! A rating belongs to the staff member on duty at the rated window on the
//! day of the press. Assignments run from a start date, and a change is a new
//! assignment with a later start date. When several assignments of a window
//! cover a day, the one with the latest start date wins, and among equal
//! start dates the one later in the roster. So a short cover from 03-10 to
//! 03-12 takes over an open assignment from 01-01 for those three days only.
//! The roster is by day: a change takes effect for the whole day.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Errors in a duty assignment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DutyError {
    #[error("duty assignment of {staff_id} at window {window_id} ends on {to}, before it starts on {from}: give an end date on or after the start")]
    EndsBeforeStart {
        window_id: String,
        staff_id: String,
        from: NaiveDate,
        to: NaiveDate,
    },
}

/// One staff member serving one window from a start date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyAssignment {
    pub window_id: String,
    pub staff_id: String,
    /// First day of duty, inclusive.
    pub from: NaiveDate,
    /// Last day of duty, inclusive, or `None` for no end.
    pub to: Option<NaiveDate>,
}

impl DutyAssignment {
    /// Whether the assignment covers `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        let ended = matches!(self.to, Some(to) if to < date);
        self.from <= date && !ended
    }

    /// Checks that the assignment does not end before it starts.
    pub fn validate(&self) -> Result<(), DutyError> {
        match self.to {
            Some(to) if to < self.from => Err(DutyError::EndsBeforeStart {
                window_id: self.window_id.clone(),
                staff_id: self.staff_id.clone(),
                from: self.from,
                to,
            }),
            _ => Ok(()),
        }
    }
}

/// Looks up the staff id on duty at `window_id` on `date`, or `None` if no
/// assignment covers that day.
pub fn staff_on_duty<'a>(
    roster: &'a [DutyAssignment],
    window_id: &str,
    date: NaiveDate,
) -> Option<&'a str> {
    let mut winner: Option<&DutyAssignment> = None;
    for assignment in roster {
        if assignment.window_id != window_id || !assignment.covers(date) {
            continue;
        }
        // `>=` lets a later entry with the same start date win.
        let newer = match winner {
            None => true,
            Some(current) => assignment.from >= current.from,
        };
        if newer {
            winner = Some(assignment);
        }
    }
    winner.map(|assignment| assignment.staff_id.as_str())
}
