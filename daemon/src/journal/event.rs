//! Event types that go into and come out of the journal, and the fixed-width
//! RFC 3339 text that stores their times.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use chrono::{DateTime, Datelike, Timelike, Utc};

/// Kind of a journaled event, stored in the `kind` column as [`as_str`].
///
/// [`as_str`]: EventKind::as_str
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    /// A punch read from an attendance clock or a card reader (`punch`).
    Punch,
    /// A device came online, went offline or reported a fault (`device_status`).
    DeviceStatus,
    /// A press on a satisfaction keypad (`rating`).
    Rating,
    /// A write-off of a missing or late punch, recorded by the bureau (`write_off`).
    WriteOff,
    /// A correction of a rating or a punch, recorded through the API (`correction`).
    Correction,
    /// Any other change made through the API, with who made it (`audit`).
    Audit,
    /// A record a device sent that is neither a punch nor a press, such as a
    /// clock's upload stamp, a user record or a command result
    /// (`device_record`). The payload's `record` field names which.
    DeviceRecord,
}

impl EventKind {
    /// Every kind, in the order of the enum.
    pub const ALL: [EventKind; 7] = [
        EventKind::Punch,
        EventKind::DeviceStatus,
        EventKind::Rating,
        EventKind::WriteOff,
        EventKind::Correction,
        EventKind::Audit,
        EventKind::DeviceRecord,
    ];

    /// Returns the name stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Punch => "punch",
            EventKind::DeviceStatus => "device_status",
            EventKind::Rating => "rating",
            EventKind::WriteOff => "write_off",
            EventKind::Correction => "correction",
            EventKind::Audit => "audit",
            EventKind::DeviceRecord => "device_record",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error of [`EventKind::from_str`]: the text names no known kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event kind '{0}': expected one of punch, device_status, rating, write_off, correction, audit, device_record")]
pub struct UnknownEventKind(pub String);

impl FromStr for EventKind {
    type Err = UnknownEventKind;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| UnknownEventKind(text.to_string()))
    }
}

/// An event to append.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    /// Kind of the event.
    pub kind: EventKind,
    /// Device that produced the event, or the API user for API records.
    pub device_id: String,
    /// Key that identifies the event across resends: the same key is stored
    /// once. Must not be empty.
    pub idempotency_key: String,
    /// The device's own time of the event, if it sent one. Stored with
    /// microsecond precision; finer digits are truncated.
    pub device_time: Option<DateTime<Utc>>,
    /// Time the box received the event. Stored with microsecond precision.
    pub received_at: DateTime<Utc>,
    /// Credential, PIN or keypad address the event is about, for queries.
    pub subject: Option<String>,
    /// Record bytes exactly as received from the device.
    pub raw: Vec<u8>,
    /// Decoded fields of the record.
    pub payload: serde_json::Value,
}

/// Outcome of appending one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Appended {
    /// The event was stored under this sequence number.
    Stored {
        /// Sequence number of the new row.
        seq: i64,
    },
    /// An event with the same idempotency key was already stored, in the file
    /// or earlier in the same batch, and nothing was written.
    Duplicate {
        /// Sequence number of the event stored earlier.
        seq: i64,
    },
}

impl Appended {
    /// Returns the sequence number of the stored or earlier event.
    pub fn seq(self) -> i64 {
        match self {
            Appended::Stored { seq } | Appended::Duplicate { seq } => seq,
        }
    }

    /// Returns true when the event was already stored.
    pub fn is_duplicate(self) -> bool {
        matches!(self, Appended::Duplicate { .. })
    }
}

/// An event read back from the journal, with every column.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// Sequence number: 1 for the first event, then consecutive.
    pub seq: i64,
    /// Kind of the event.
    pub kind: EventKind,
    /// Device that produced the event.
    pub device_id: String,
    /// Key that identifies the event across resends.
    pub idempotency_key: String,
    /// The device's own time, if it sent one.
    pub device_time: Option<DateTime<Utc>>,
    /// Time the box received the event.
    pub received_at: DateTime<Utc>,
    /// Credential, PIN or keypad address the event is about.
    pub subject: Option<String>,
    /// Record bytes exactly as received.
    pub raw: Vec<u8>,
    /// Decoded fields of the record.
    pub payload: serde_json::Value,
    /// Hash of the previous event, lowercase hex (64 zeros for the first).
    pub prev_hash: String,
    /// Hash of this event, lowercase hex.
    pub hash: String,
}

/// Earliest and latest years that the fixed-width time text can hold.
const STORED_YEARS: std::ops::RangeInclusive<i32> = 0..=9999;

/// Writes `time` as `YYYY-MM-DDTHH:MM:SS.ffffffZ` into `out`, replacing its
/// contents, or returns false when the year has more than four digits or is
/// negative.
///
/// Every stored time has this one width, so that SQLite's text comparison
/// orders times correctly in range queries. A leap second is written as
/// second 60, as chrono's RFC 3339 output does.
pub(crate) fn write_time(out: &mut String, time: &DateTime<Utc>) -> bool {
    out.clear();
    if !STORED_YEARS.contains(&time.year()) {
        return false;
    }

    let mut second = time.second();
    let mut nanos = time.nanosecond();
    if nanos >= 1_000_000_000 {
        second += 1;
        nanos -= 1_000_000_000;
    }
    let written = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        second,
        nanos / 1_000,
    );
    written.is_ok()
}

/// Parses a stored time text back into UTC.
pub(crate) fn parse_time(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    if let Some(time) = parse_stored_width(text) {
        return Ok(time);
    }
    DateTime::parse_from_rfc3339(text).map(|time| time.with_timezone(&Utc))
}

/// Parses the one width [`write_time`] writes, `YYYY-MM-DDTHH:MM:SS.ffffffZ`,
/// without the general RFC 3339 parser: reports read a year of punches, and
/// this is several times faster. Returns `None` for any other text.
fn parse_stored_width(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    if bytes.len() != 27
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || bytes[10] != b'T'
        || bytes[13] != b':'
        || bytes[16] != b':'
        || bytes[19] != b'.'
        || bytes[26] != b'Z'
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range].iter().try_fold(0u32, |value, &byte| {
            byte.is_ascii_digit()
                .then(|| value * 10 + u32::from(byte - b'0'))
        })
    };
    let date =
        chrono::NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?;
    // Second 60 is a leap second, which chrono holds as 59 plus a second of nanoseconds.
    let (second, leap) = match number(17..19)? {
        60 => (59, 1_000_000_000),
        second => (second, 0),
    };
    let time = chrono::NaiveTime::from_hms_nano_opt(
        number(11..13)?,
        number(14..16)?,
        second,
        number(20..26)? * 1_000 + leap,
    )?;
    Some(date.and_time(time).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    #[test]
    fn stored_width_parses_like_rfc3339() {
        for text in [
            "2026-11-02T00:30:59.000000Z",
            "2020-03-05T23:43:59.123456Z",
            "0000-01-01T00:00:00.000000Z",
            "9999-12-31T23:59:59.999999Z",
        ] {
            let fast = parse_stored_width(text).expect(text);
            let general = DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(fast, general, "{text}");
        }
        for other in [
            "2026-11-02T00:30:59Z",
            "2026-11-02T00:30:59.000000+00:00",
            "2026-13-02T00:30:59.000000Z",
            "2026-11-02T00:3x:59.000000Z",
        ] {
            assert_eq!(parse_stored_width(other), None, "{other}");
        }
        assert_eq!(
            parse_time("2026-11-02T00:30:59Z").unwrap().to_rfc3339(),
            "2026-11-02T00:30:59+00:00"
        );
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, micros: u32) -> DateTime<Utc> {
        let naive = NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|date| date.and_hms_micro_opt(h, mi, s, micros))
            .expect("valid test date");
        Utc.from_utc_datetime(&naive)
    }

    #[test]
    fn kind_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
        }
        assert_eq!(
            "Punch".parse::<EventKind>(),
            Err(UnknownEventKind("Punch".to_string()))
        );
    }

    #[test]
    fn time_text_fixed_width() {
        let mut text = String::new();

        assert!(write_time(&mut text, &utc(2024, 5, 1, 8, 30, 0, 0)));
        assert_eq!(text, "2024-05-01T08:30:00.000000Z");

        assert!(write_time(&mut text, &utc(999, 12, 31, 23, 59, 59, 120)));
        assert_eq!(text, "0999-12-31T23:59:59.000120Z");
    }

    #[test]
    fn time_text_truncates_nanos() {
        let time = utc(2024, 5, 1, 8, 30, 0, 0) + chrono::Duration::nanoseconds(123_456_789);
        let mut text = String::new();
        assert!(write_time(&mut text, &time));
        assert_eq!(text, "2024-05-01T08:30:00.123456Z");
        assert_eq!(parse_time(&text), Ok(utc(2024, 5, 1, 8, 30, 0, 123_456)));
    }

    #[test]
    fn time_text_leap_second() {
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|date| date.and_hms_milli_opt(23, 59, 59, 1_500))
            .expect("valid leap second");
        let time = Utc.from_utc_datetime(&leap);
        let mut text = String::new();
        assert!(write_time(&mut text, &time));
        assert_eq!(text, "2016-12-31T23:59:60.500000Z");
        assert_eq!(parse_time(&text), Ok(time));
    }

    #[test]
    fn time_text_rejects_five_digit_year() {
        let mut text = String::from("old");
        assert!(!write_time(&mut text, &utc(10000, 1, 1, 0, 0, 0, 0)));
        assert_eq!(text, "");
        assert!(!write_time(&mut text, &utc(-1, 1, 1, 0, 0, 0, 0)));
    }

    #[test]
    fn time_text_sorts_like_time() {
        let times = [
            utc(2024, 5, 1, 8, 30, 0, 0),
            utc(2024, 5, 1, 8, 30, 0, 1),
            utc(2024, 5, 1, 8, 30, 1, 0),
            utc(2024, 10, 1, 0, 0, 0, 0),
        ];
        let texts: Vec<String> = times
            .iter()
            .map(|time| {
                let mut text = String::new();
                assert!(write_time(&mut text, time));
                text
            })
            .collect();
        for pair in texts.windows(2) {
            assert!(pair[0] < pair[1], "{} sorts after {}", pair[0], pair[1]);
        }
    }
}
