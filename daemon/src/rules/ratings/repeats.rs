//! Repeated presses: one applicant gives one rating.
//!
//! A press less than `repeat_window_secs` after the previous press on the
//! same keypad is a repeat. "Previous" means the previous press of any kind,
//! repeat or not, so a burst of presses 1 s apart are all repeats after the
//! first. Repeats are kept and listed but left out of counts and rates.
//! Presses on different keypads never repeat each other.

use std::collections::HashMap;

use chrono::{NaiveDateTime, TimeDelta};

use super::RatingPress;

/// Whether a press at `current` repeats the previous press on the same
/// keypad at `previous`: the two are less than `window_secs` apart.
///
/// The gap is taken without sign, so a keypad clock that stepped back by
/// less than the window still yields a repeat.
pub fn is_repeat(previous: NaiveDateTime, current: NaiveDateTime, window_secs: u32) -> bool {
    let gap = (current - previous).abs();
    gap < TimeDelta::seconds(i64::from(window_secs))
}

/// Marks each press that repeats the previous press on its keypad, in the
/// order of `presses`.
///
/// Presses are compared in time order on each keypad, with equal times
/// ordered by journal sequence, whatever their order in the slice. To mark
/// the first presses of a period correctly, include the last press before
/// it on each keypad.
pub fn mark_repeats(presses: &[RatingPress], window_secs: u32) -> Vec<bool> {
    let mut by_keypad: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, press) in presses.iter().enumerate() {
        by_keypad.entry(&press.keypad).or_default().push(index);
    }

    let mut repeats = vec![false; presses.len()];
    for indexes in by_keypad.values_mut() {
        indexes.sort_by_key(|&i| (presses[i].local, presses[i].seq));
        for pair in indexes.windows(2) {
            let previous = &presses[pair[0]];
            let current = &presses[pair[1]];
            repeats[pair[1]] = is_repeat(previous.local, current.local, window_secs);
        }
    }
    repeats
}
