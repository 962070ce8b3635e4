//! A hall with keypad presses in November 2026, shared by the ratings
//! workbook and ratings page tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crate::ratings_common::{official_calendar, press, store_presses, write_config};

/// Windows W01, W02 and W03 staffed by S002, S003 and S004 all month.
const ROSTER: &str = r#"
[[duty]]
window = "W01"
staff = "S002"
from = 2020-01-01

[[duty]]
window = "W02"
staff = "S003"
from = 2020-01-01

[[duty]]
window = "W03"
staff = "S004"
from = 2020-01-01
"#;

/// Writes the hall into `dir` and stores nine presses, and returns the
/// configuration's path. Worked out by hand, with the default `[ratings]`:
///
/// - W01 on Monday 2026-11-02: 非常满意 10:00:00, 不满意 10:00:02 (a
///   repeat, 2 s after the previous press), 不满意 10:30, 非常不满意
///   11:00, 满意 11:30. Valid 4, two unsatisfied, satisfaction 2/4 = 50%,
///   score 15 - 2 × 3 = 9, not eligible for excellent.
/// - W03 on 2026-11-02: 基本满意 10:15, 不满意 10:45. Valid 2, 50%,
///   score 12.
/// - W02: 满意 on Saturday 2026-11-07 at 10:00 (a non-working day) and 满意
///   on 2026-11-03 at 07:30 (before 08:00). Both count and both are
///   flagged: valid 2, 100%, score 15.
/// - The hall: valid 8, satisfied 5 of 8 = 62.50%, 3 unsatisfied ratings.
pub fn ratings_hall(dir: &Path) -> PathBuf {
    let config = write_config(dir, &official_calendar(), ROSTER);
    store_presses(
        &dir.join("journal.sqlite"),
        &[
            press("W01", "2026-11-02 10:00:00", "very_satisfied"),
            press("W01", "2026-11-02 10:00:02", "unsatisfied"),
            press("W01", "2026-11-02 10:30:00", "unsatisfied"),
            press("W01", "2026-11-02 11:00:00", "very_unsatisfied"),
            press("W01", "2026-11-02 11:30:00", "satisfied"),
            press("W03", "2026-11-02 10:15:00", "basically_satisfied"),
            press("W03", "2026-11-02 10:45:00", "unsatisfied"),
            press("W02", "2026-11-07 10:00:00", "satisfied"),
            press("W02", "2026-11-03 07:30:00", "satisfied"),
        ],
    );
    config
}
