//! Table tests of the rating rules, with shared builders. Cases are worked
//! out by hand on the shipped 2025 and 2026 calendar files.

mod deadline;
mod duty;
mod levels;
mod month;
mod patterns;
mod repeats;

use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};

use super::{CorrectedLevel, Correction, DutyAssignment, Level, RatingPress, WindowInfo};
use crate::calendar::Calendar;

/// The official calendar from `config/calendar/`.
fn shipped() -> Calendar {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/calendar");
    Calendar::load_official(&[dir.join("cn-2025.toml"), dir.join("cn-2026.toml")])
        .expect("shipped calendar files load")
}

/// A date written "YYYY-MM-DD".
fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

/// A local time written "YYYY-MM-DD HH:MM:SS", with optional fraction.
fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").expect("test time")
}

/// A press whose button is the level's position on a five-button keypad.
fn press(seq: i64, keypad: &str, window_id: &str, local: &str, level: Level) -> RatingPress {
    RatingPress {
        seq,
        keypad: keypad.to_string(),
        window_id: window_id.to_string(),
        local: at(local),
        level,
        button: u8::try_from(level.index() + 1).expect("five levels"),
    }
}

fn window(id: &str, unit_id: &str) -> WindowInfo {
    WindowInfo {
        id: id.to_string(),
        name: format!("{id} window"),
        unit_id: unit_id.to_string(),
    }
}

fn duty(window_id: &str, staff_id: &str, from: &str, to: Option<&str>) -> DutyAssignment {
    DutyAssignment {
        window_id: window_id.to_string(),
        staff_id: staff_id.to_string(),
        from: day(from),
        to: to.map(day),
    }
}

fn correction(rating_seq: i64, new: CorrectedLevel, approved_at: &str) -> Correction {
    Correction {
        rating_seq,
        new,
        requested_by: "S001".to_string(),
        approved_by: "bureau-wang".to_string(),
        approved_at: at(approved_at),
        reason: "applicant pressed the wrong button".to_string(),
    }
}
