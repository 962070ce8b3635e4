//! Local time of the site and the UTC instants the journal stores.
//!
//! Rule times are local wall-clock times in the site's time zone
//! (Asia/Shanghai by default: UTC+8, no daylight saving). Stored instants are
//! UTC, and reports show local time.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The default site time zone.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Shanghai;

/// Converts a device's local wall-clock time to a UTC instant.
///
/// Asia/Shanghai has no daylight saving, so every local time maps to one
/// instant; in a zone with a gap or overlap the earlier instant is taken and
/// a time inside a gap is `None`.
pub fn local_to_utc(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _) => Some(earlier.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// Converts a stored UTC instant to the site's local wall-clock time.
pub fn utc_to_local(zone: Tz, instant: DateTime<Utc>) -> NaiveDateTime {
    instant.with_timezone(&zone).naive_local()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanghai_is_eight_hours_ahead() {
        let local =
            NaiveDateTime::parse_from_str("2026-11-02 08:30:59", "%Y-%m-%d %H:%M:%S").unwrap();
        let utc = local_to_utc(DEFAULT_TIME_ZONE, local).unwrap();
        assert_eq!(utc.to_rfc3339(), "2026-11-02T00:30:59+00:00");
        assert_eq!(utc_to_local(DEFAULT_TIME_ZONE, utc), local);
    }
}

/// A calendar month, parsed from `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

/// Errors from parsing a month.
#[derive(Debug, thiserror::Error)]
#[error("invalid month '{value}': expected YYYY-MM, such as 2026-11")]
pub struct InvalidMonth {
    pub value: String,
}

impl Month {
    /// Parses `YYYY-MM` with a four-digit year and a month from 01 to 12.
    pub fn parse(value: &str) -> Result<Month, InvalidMonth> {
        let invalid = || InvalidMonth {
            value: value.to_string(),
        };
        let (year, month) = value.split_once('-').ok_or_else(invalid)?;
        let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let month: u32 = month.parse().map_err(|_| invalid())?;
        if !(1..=12).contains(&month) {
            return Err(invalid());
        }
        Ok(Month { year, month })
    }

    /// The first day of the month.
    pub fn first_day(self) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("validated month")
    }

    /// The first day of the following month.
    pub fn next_first_day(self) -> chrono::NaiveDate {
        let (year, month) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        chrono::NaiveDate::from_ymd_opt(year, month, 1).expect("valid month")
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod month_tests {
    use super::Month;

    #[test]
    fn month_parses_valid_values() {
        assert_eq!(
            Month::parse("2026-11").unwrap(),
            Month {
                year: 2026,
                month: 11
            }
        );
        assert_eq!(Month::parse("2020-03").unwrap().to_string(), "2020-03");
        assert_eq!(
            Month::parse("2026-12")
                .unwrap()
                .next_first_day()
                .to_string(),
            "2027-01-01"
        );
    }

    #[test]
    fn month_rejects_malformed_values() {
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-11",
            "2026/11",
            "",
            "2026-11-01",
            "abcd-ef",
            "+202-11",
        ] {
            let err = Month::parse(bad).unwrap_err();
            assert!(err.to_string().contains("expected YYYY-MM"), "{bad}");
        }
    }
}
