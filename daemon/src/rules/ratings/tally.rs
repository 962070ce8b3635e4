//! Running totals of a window's, a person's or the hall's ratings.

use serde::Serialize;

use super::patterns::top_share;
use super::{LevelCounts, RatingLine};

/// Totals of a set of presses in one month.
///
/// Every press falls in exactly one of three classes, so
/// `presses == repeats + void + valid`: a repeat (whatever its correction
/// sets), a press voided by a correction, or a valid rating counted at its
/// effective level.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    /// All presses, repeats and voided ones included.
    pub presses: u32,
    /// Valid ratings at each effective level.
    pub counts: LevelCounts,
    /// Valid ratings: neither repeats nor void.
    pub valid: u32,
    /// Presses less than the repeat window after the previous press on the
    /// same keypad.
    pub repeats: u32,
    /// Presses that are not repeats and that an approved correction voided.
    pub void: u32,
    /// Presses with an approved correction, of any class.
    pub corrected: u32,
    /// Valid ratings at 不满意 or 非常不满意.
    pub unsatisfied: u32,
    /// (非常满意 + 满意 + 基本满意) / valid, a fraction from 0 to 1, or
    /// `None` with no valid rating.
    pub satisfaction_rate: Option<f64>,
    /// 非常满意 / valid, a fraction from 0 to 1, or `None` with no valid
    /// rating.
    pub top_share: Option<f64>,
}

impl Tally {
    /// Adds one press as the month's rating line describes it.
    pub(super) fn add(&mut self, line: &RatingLine) {
        self.presses += 1;
        if line.correction.is_some() {
            self.corrected += 1;
        }
        if line.repeat {
            self.repeats += 1;
        } else {
            match line.effective_level {
                Some(level) => self.counts.add(level),
                None => self.void += 1,
            }
        }

        self.valid = self.counts.total();
        self.unsatisfied = self.counts.unsatisfied_total();
        self.satisfaction_rate = match self.valid {
            0 => None,
            valid => Some(f64::from(self.counts.satisfied_total()) / f64::from(valid)),
        };
        self.top_share = top_share(&self.counts);
    }

    /// Whether the ratings allow an excellent grade: no unsatisfied rating.
    /// A month with no valid rating is eligible.
    pub fn excellent_eligible(&self) -> bool {
        self.unsatisfied == 0
    }
}
