//! Table tests of the attendance rules, worked out by hand against the
//! shipped 2025 and 2026 calendars and the default settings (08:30, 12:00,
//! 14:30, 18:00; windows from 05:00, 10:15, 13:15 and 16:15 to 24:00).
//!
//! The reference month is November 2026: no holiday, 21 working days from
//! Monday 2026-11-02 to Monday 2026-11-30.

mod covers;
mod day;
mod month;
mod props;

use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::*;
use crate::calendar::Calendar;
use crate::rules::settings::AttendanceSettings;

/// The on-time punches of a full day: 08:20, 12:05, 14:20 and 18:05.
const ON_TIME: [&str; 4] = ["08:20:00", "12:05:00", "14:20:00", "18:05:00"];

fn shipped_calendar() -> Calendar {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/calendar");
    Calendar::load_official(&[dir.join("cn-2025.toml"), dir.join("cn-2026.toml")])
        .expect("shipped calendar files load")
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn datetime(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("test date and time")
}

fn time(text: &str) -> NaiveTime {
    NaiveTime::parse_from_str(text, "%H:%M:%S").expect("test time")
}

fn on_time(at: &str) -> Outcome {
    Outcome::OnTime { at: time(at) }
}

fn late(at: &str, minutes: u32) -> Outcome {
    Outcome::Late {
        at: time(at),
        minutes,
    }
}

fn early(at: &str, minutes: u32) -> Outcome {
    Outcome::Early {
        at: time(at),
        minutes,
    }
}

/// Builds a roster entry with one PIN, employed from `start`.
fn person(id: &str, pin: &str, start: Option<&str>) -> Person {
    Person {
        id: id.to_string(),
        name: format!("Name {id}"),
        unit: Some("window 3".to_string()),
        pins: vec![pin.to_string()],
        start: start.map(date),
        end: None,
    }
}

/// Punches with journal sequence numbers from 1 up, in the order added.
#[derive(Default)]
struct Punches {
    list: Vec<Punch>,
}

impl Punches {
    /// Adds a punch at "YYYY-MM-DD HH:MM:SS" and returns its sequence.
    fn add(&mut self, pin: &str, local: &str) -> i64 {
        self.add_with_status(pin, local, None)
    }

    fn add_with_status(&mut self, pin: &str, local: &str, status: Option<u8>) -> i64 {
        let seq = self.list.len() as i64 + 1;
        self.list.push(Punch {
            seq,
            pin: pin.to_string(),
            local: datetime(local),
            status,
            device_id: "clock-1".to_string(),
        });
        seq
    }

    /// Adds punches at the times "HH:MM:SS" on `day`.
    fn add_day(&mut self, pin: &str, day: NaiveDate, times: &[&str]) {
        for t in times {
            self.add(pin, &format!("{day} {t}"));
        }
    }

    /// Adds the four on-time punches on every working day of the months
    /// `first..=last` of 2026, except the days in `skip`.
    fn add_on_time_months(&mut self, pin: &str, first: u32, last: u32, skip: &[&str]) {
        let calendar = shipped_calendar();
        for month in first..=last {
            let days = calendar
                .working_days_in_month(2026, month)
                .expect("2026 is covered");
            for day in days {
                if !skip.iter().any(|s| date(s) == day) {
                    self.add_day(pin, day, &ON_TIME);
                }
            }
        }
    }
}

/// Settings, calendar and options of one evaluation.
struct Fixture {
    settings: AttendanceSettings,
    calendar: Calendar,
    as_of: NaiveDateTime,
    unknown_pins_as_people: bool,
    covers: Covers,
}

impl Fixture {
    /// Default settings, the shipped calendar, as of 2027-01-01 so every
    /// month of 2026 is in the past.
    fn new() -> Fixture {
        Fixture {
            settings: AttendanceSettings::default(),
            calendar: shipped_calendar(),
            as_of: datetime("2027-01-01 00:00:00"),
            unknown_pins_as_people: false,
            covers: Covers::default(),
        }
    }

    fn with_as_of(mut self, text: &str) -> Fixture {
        self.as_of = datetime(text);
        self
    }

    fn evaluate<'a>(
        &'a self,
        people: &'a [Person],
        punches: &'a [Punch],
        year: i32,
        month: u32,
    ) -> Result<MonthAttendance<'a>, RulesError> {
        evaluate_month(&MonthInput {
            settings: &self.settings,
            calendar: &self.calendar,
            people,
            unknown_pins_as_people: self.unknown_pins_as_people,
            punches,
            year,
            month,
            as_of: self.as_of,
            covers: &self.covers,
        })
    }

    fn month<'a>(
        &'a self,
        people: &'a [Person],
        punches: &'a [Punch],
        year: i32,
        month: u32,
    ) -> MonthAttendance<'a> {
        self.evaluate(people, punches, year, month)
            .expect("month evaluates")
    }

    /// Judges punches at `times` on Monday 2026-11-02 by a person employed
    /// from 2026-11-01.
    fn judge_monday(&self, times: &[&str]) -> DayResult {
        let people = [person("p1", "1", Some("2026-11-01"))];
        let mut punches = Punches::default();
        punches.add_day("1", date("2026-11-02"), times);
        let result = self.month(&people, &punches.list, 2026, 11);
        *day_of(&result, 0, "2026-11-02")
    }
}

/// Finds the result of one person on one date.
fn day_of<'m>(month: &'m MonthAttendance, person: usize, day: &str) -> &'m DayResult {
    let day = date(day);
    month.people[person]
        .days
        .iter()
        .find(|d| d.date == day)
        .expect("date is a working day of the month")
}

/// Returns the four outcomes of a day.
fn outcomes(day: &DayResult) -> [Outcome; 4] {
    day.checkpoints.map(|c| c.outcome)
}

/// Returns a session's (late, early, absent) flags.
fn flags(session: &SessionResult) -> (bool, bool, bool) {
    (session.late, session.early, session.absent)
}
