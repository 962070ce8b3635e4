//! Working-day calendar.
//!
//! A working day is a statutory workday in mainland China: Monday to Friday
//! unless it is a public holiday, plus any weekend day declared a make-up
//! workday (调休上班). The holidays come from the State Council's yearly
//! notice, so they are data: one TOML file per year under
//! `config/calendar/`. A date in a year with no file is an error, never a
//! weekday guess. Sites that want a plain week can choose
//! [`Calendar::MondayToFriday`] instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// Errors from loading calendar files or asking about an uncovered date.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("date {date} is outside the working-day calendar, which covers {covered}: add a calendar file for {year} to [calendar] files", covered = covered_years(.covered), year = .date.year())]
    NotCovered { date: NaiveDate, covered: Vec<i32> },
    #[error("failed to read calendar file '{}': {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid calendar file '{}': {source}", .path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("invalid calendar file '{}': {reason}", .path.display())]
    Invalid { path: PathBuf, reason: String },
}

fn covered_years(years: &[i32]) -> String {
    if years.is_empty() {
        return "no year".to_string();
    }
    let list: Vec<String> = years.iter().map(i32::to_string).collect();
    list.join(", ")
}

/// Kind of a date, with the holiday's name where there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayKind {
    /// Monday to Friday with no holiday.
    Workday,
    /// A weekend day that is a working day (调休上班) for the named holiday.
    MakeUpWorkday { holiday: String },
    /// Saturday or Sunday.
    Weekend,
    /// A rest day of the named public holiday.
    Holiday { holiday: String },
}

impl DayKind {
    /// Whether the rules run on this day.
    pub fn is_working_day(&self) -> bool {
        matches!(self, DayKind::Workday | DayKind::MakeUpWorkday { .. })
    }
}

/// The days of one year that differ from the plain week.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearExceptions {
    rest: BTreeMap<NaiveDate, String>,
    work: BTreeMap<NaiveDate, String>,
}

/// Source of working days: official holiday files or a plain week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Calendar {
    /// Official holidays and make-up workdays, one entry per loaded year.
    Official {
        years: BTreeMap<i32, YearExceptions>,
    },
    /// Every Monday to Friday, every year, with no holidays.
    MondayToFriday,
}

/// A calendar file as written on disk.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    #[serde(default)]
    holiday: Vec<HolidayEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayEntry {
    name: String,
    #[serde(default)]
    rest: Vec<String>,
    #[serde(default)]
    work: Vec<String>,
}

impl Calendar {
    /// Loads official calendar files, one per year.
    pub fn load_official(paths: &[PathBuf]) -> Result<Calendar, CalendarError> {
        let mut years = BTreeMap::new();
        for path in paths {
            let text = std::fs::read_to_string(path).map_err(|source| CalendarError::Read {
                path: path.clone(),
                source,
            })?;
            let (year, exceptions) = parse_year_file(path, &text)?;
            if years.insert(year, exceptions).is_some() {
                return Err(CalendarError::Invalid {
                    path: path.clone(),
                    reason: format!("year {year} is loaded twice: list each year's file once"),
                });
            }
        }
        Ok(Calendar::Official { years })
    }

    /// Builds an official calendar from file contents; `path` only names the
    /// source in errors.
    pub fn parse_official(files: &[(&Path, &str)]) -> Result<Calendar, CalendarError> {
        let mut years = BTreeMap::new();
        for (path, text) in files {
            let (year, exceptions) = parse_year_file(path, text)?;
            years.insert(year, exceptions);
        }
        Ok(Calendar::Official { years })
    }

    /// The years the calendar covers; `None` for Monday to Friday, which
    /// covers every year.
    pub fn covered_years(&self) -> Option<Vec<i32>> {
        match self {
            Calendar::Official { years } => Some(years.keys().copied().collect()),
            Calendar::MondayToFriday => None,
        }
    }

    /// Classifies a date, or fails if its year has no calendar file.
    pub fn day_kind(&self, date: NaiveDate) -> Result<DayKind, CalendarError> {
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let plain = if weekend {
            DayKind::Weekend
        } else {
            DayKind::Workday
        };
        let years = match self {
            Calendar::MondayToFriday => return Ok(plain),
            Calendar::Official { years } => years,
        };
        let Some(exceptions) = years.get(&date.year()) else {
            return Err(CalendarError::NotCovered {
                date,
                covered: years.keys().copied().collect(),
            });
        };
        if let Some(name) = exceptions.rest.get(&date) {
            return Ok(DayKind::Holiday {
                holiday: name.clone(),
            });
        }
        if let Some(name) = exceptions.work.get(&date) {
            return Ok(DayKind::MakeUpWorkday {
                holiday: name.clone(),
            });
        }
        Ok(plain)
    }

    /// Whether the rules run on `date`.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        Ok(self.day_kind(date)?.is_working_day())
    }

    /// Every working day of a month, in order.
    pub fn working_days_in_month(
        &self,
        year: i32,
        month: u32,
    ) -> Result<Vec<NaiveDate>, CalendarError> {
        let mut days = Vec::new();
        let Some(mut date) = NaiveDate::from_ymd_opt(year, month, 1) else {
            return Ok(days);
        };
        while date.month() == month {
            if self.is_working_day(date)? {
                days.push(date);
            }
            date = date + Days::new(1);
        }
        Ok(days)
    }

    /// Checks that every day of a month is covered, so a report fails up
    /// front instead of part way.
    pub fn check_month_covered(&self, year: i32, month: u32) -> Result<(), CalendarError> {
        self.working_days_in_month(year, month).map(|_| ())
    }

    /// The `n`th working day after `date`, not counting `date` itself.
    ///
    /// A deadline "within 3 working days" of an event on day D ends at the
    /// end of `nth_working_day_after(D, 3)`, as civil-law periods exclude
    /// the starting day.
    pub fn nth_working_day_after(
        &self,
        date: NaiveDate,
        n: u32,
    ) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        let mut found = 0;
        while found < n {
            day = day + Days::new(1);
            if self.is_working_day(day)? {
                found += 1;
            }
        }
        Ok(day)
    }
}

/// Parses one year's file into its rest and work exceptions.
fn parse_year_file(path: &Path, text: &str) -> Result<(i32, YearExceptions), CalendarError> {
    let invalid = |reason: String| CalendarError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let file: YearFile = toml::from_str(text).map_err(|source| CalendarError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    if !(2000..=2200).contains(&file.year) {
        return Err(invalid(format!(
            "year {} is out of range: expected a year between 2000 and 2200",
            file.year
        )));
    }

    let mut exceptions = YearExceptions::default();
    for holiday in &file.holiday {
        for entry in &holiday.rest {
            for date in expand_dates(entry).map_err(&invalid)? {
                check_year(date, file.year, &holiday.name).map_err(&invalid)?;
                exceptions.rest.insert(date, holiday.name.clone());
            }
        }
        for entry in &holiday.work {
            for date in expand_dates(entry).map_err(&invalid)? {
                check_year(date, file.year, &holiday.name).map_err(&invalid)?;
                if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                    return Err(invalid(format!(
                        "make-up workday {date} of {} is a {:?}: only a Saturday or Sunday can be a make-up workday",
                        holiday.name,
                        date.weekday()
                    )));
                }
                exceptions.work.insert(date, holiday.name.clone());
            }
        }
    }
    if let Some(date) = exceptions
        .rest
        .keys()
        .find(|d| exceptions.work.contains_key(d))
    {
        return Err(invalid(format!(
            "{date} is listed both as a rest day and as a make-up workday: keep one"
        )));
    }
    Ok((file.year, exceptions))
}

fn check_year(date: NaiveDate, year: i32, holiday: &str) -> Result<(), String> {
    if date.year() == year {
        Ok(())
    } else {
        Err(format!(
            "date {date} of {holiday} is not in the file's year {year}: move it to the file for {}",
            date.year()
        ))
    }
}

/// Expands "YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD" (inclusive).
fn expand_dates(entry: &str) -> Result<Vec<NaiveDate>, String> {
    let parse = |s: &str| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
            format!("invalid date '{s}': expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD")
        })
    };
    let (first, last) = match entry.split_once("..") {
        Some((a, b)) => (parse(a)?, parse(b)?),
        None => {
            let day = parse(entry)?;
            (day, day)
        }
    };
    if last < first {
        return Err(format!("range '{entry}' ends before it starts"));
    }
    if (last - first).num_days() > 31 {
        return Err(format!(
            "range '{entry}' is longer than 31 days: no public holiday is that long"
        ));
    }
    Ok(first.iter_days().take_while(|d| *d <= last).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Calendar {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/calendar");
        Calendar::load_official(&[dir.join("cn-2025.toml"), dir.join("cn-2026.toml")])
            .expect("shipped calendar files load")
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn shipped_files_mark_holidays_and_makeup_days() {
        let calendar = shipped();
        let cases = [
            ("2026-02-28", true),  // Saturday, make-up workday of the Spring Festival
            ("2026-10-05", false), // Monday, National Day
            ("2026-10-10", true),  // Saturday, make-up workday
            ("2026-10-08", true),  // Thursday after the holiday
            ("2026-01-04", true),  // Sunday, make-up workday
            ("2026-01-02", false), // Friday, New Year
            ("2026-02-23", false), // Monday, last day of the Spring Festival
            ("2026-11-07", false), // plain Saturday
            ("2026-11-09", true),  // plain Monday
            ("2025-10-08", false), // Wednesday, National Day 2025
            ("2025-10-11", true),  // Saturday, make-up workday 2025
            ("2025-01-26", true),  // Sunday, make-up workday 2025
            ("2025-05-31", false), // Saturday, Dragon Boat Festival
        ];
        for (day, expected) in cases {
            assert_eq!(
                calendar.is_working_day(date(day)).unwrap(),
                expected,
                "{day}"
            );
        }
    }

    #[test]
    fn shipped_counts_per_month() {
        let calendar = shipped();
        // October 2026: 22 weekdays, 5 of them holidays (1, 2, 5, 6, 7), plus
        // the make-up Saturday 10-10: 18 working days.
        assert_eq!(calendar.working_days_in_month(2026, 10).unwrap().len(), 18);
        // February 2026: 20 weekdays, 6 of them holidays (16-20, 23), plus
        // the make-up Saturdays 02-14 and 02-28: 16 working days.
        assert_eq!(calendar.working_days_in_month(2026, 2).unwrap().len(), 16);
        // November 2026 has no holiday: 21 weekdays.
        assert_eq!(calendar.working_days_in_month(2026, 11).unwrap().len(), 21);
    }

    #[test]
    fn uncovered_year_is_an_error() {
        let calendar = shipped();
        let err = calendar.is_working_day(date("2027-01-04")).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("2027-01-04"), "{message}");
        assert!(message.contains("2025, 2026"), "{message}");
        assert!(calendar.working_days_in_month(2024, 12).is_err());
    }

    #[test]
    fn monday_to_friday_ignores_holidays() {
        let calendar = Calendar::MondayToFriday;
        assert!(calendar.is_working_day(date("2026-10-05")).unwrap());
        assert!(!calendar.is_working_day(date("2026-02-28")).unwrap());
        assert!(calendar.is_working_day(date("1999-03-01")).unwrap());
    }

    #[test]
    fn nth_working_day_skips_holidays() {
        let calendar = shipped();
        // Wednesday 2026-09-30: the next working days are
        // 10-08 (Thu), 10-09 (Fri), 10-10 (make-up Sat).
        assert_eq!(
            calendar
                .nth_working_day_after(date("2026-09-30"), 3)
                .unwrap(),
            date("2026-10-10")
        );
        // Friday 2026-11-06: Monday 9, Tuesday 10, Wednesday 11.
        assert_eq!(
            calendar
                .nth_working_day_after(date("2026-11-06"), 3)
                .unwrap(),
            date("2026-11-11")
        );
    }

    #[test]
    fn invalid_files_name_the_problem() {
        let path = Path::new("cal.toml");
        let cases = [
            ("year = 2026\nbogus = 1\n", "bogus"),
            ("year = 2026\n[[holiday]]\nname = \"x\"\nrest = [\"2026-13-01\"]\n", "2026-13-01"),
            ("year = 2026\n[[holiday]]\nname = \"x\"\nwork = [\"2026-11-09\"]\n", "only a Saturday or Sunday"),
            ("year = 2026\n[[holiday]]\nname = \"x\"\nrest = [\"2025-12-31\"]\n", "not in the file's year"),
            ("year = 2026\n[[holiday]]\nname = \"x\"\nrest = [\"2026-10-07..2026-10-01\"]\n", "ends before it starts"),
            ("year = 2026\n[[holiday]]\nname = \"x\"\nrest = [\"2026-10-10\"]\nwork = [\"2026-10-10\"]\n", "both as a rest day"),
        ];
        for (text, expected) in cases {
            let err = Calendar::parse_official(&[(path, text)])
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{text:?} gave {err}");
            assert!(err.contains("cal.toml"), "{err}");
        }
    }
}
