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
