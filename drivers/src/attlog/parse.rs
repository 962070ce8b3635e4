//! Parsing of one attendance line into an [`AttlogRecord`].

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::{
    AttlogRecord, Layout, LineError, PunchStatus, TimeLimits, MAX_DEVICE_ID_LEN, MAX_LINE_LEN,
    MAX_PIN_LEN, MAX_WORK_CODE_LEN,
};

/// Maximum number of characters of a field copied into a [`LineError`].
const EXCERPT_CHARS: usize = 32;

/// Parses one attendance line laid out as `layout`.
///
/// `line` is the line without its LF, and one trailing CR or CRLF is
/// stripped if present. Each column is trimmed of spaces, so the
/// right-aligned PIN of the USB export parses. A time outside `limits` is
/// rejected as impossible. Columns are checked left to right, and the
/// first bad column decides the error.
///
/// A byte order mark is not stripped here: [`records`](super::records) and
/// [`LineSplitter`](super::LineSplitter) strip it from the first line of a
/// file or stream.
pub fn parse_line(
    line: &[u8],
    layout: Layout,
    limits: &TimeLimits,
) -> Result<AttlogRecord, LineError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > MAX_LINE_LEN {
        return Err(LineError::TooLong { max: MAX_LINE_LEN });
    }
    let text = std::str::from_utf8(line).map_err(|error| LineError::NotUtf8 {
        valid_up_to: error.valid_up_to(),
    })?;

    let columns: Vec<&str> = text
        .split('\t')
        .map(|column| column.trim_matches(' '))
        .collect();
    if !(layout.min_columns()..=layout.max_columns()).contains(&columns.len()) {
        return Err(LineError::ColumnCount {
            found: columns.len(),
            min: layout.min_columns(),
            max: layout.max_columns(),
            layout,
        });
    }

    let pin = parse_pin(columns[0])?;
    let time = parse_time(columns[1], limits)?;
    match layout {
        Layout::UsbExport => Ok(AttlogRecord {
            pin,
            time,
            device_id: Some(parse_device_id(columns[2])?),
            status: Some(parse_status(columns[3])?),
            verify: Some(parse_verify(columns[4])?),
            work_code: optional(columns.get(5), parse_work_code)?,
        }),
        Layout::Push => Ok(AttlogRecord {
            pin,
            time,
            device_id: None,
            status: optional(columns.get(2), parse_status)?,
            verify: optional(columns.get(3), parse_verify)?,
            work_code: optional(columns.get(4), parse_work_code)?,
        }),
    }
}

/// Parses an optional column, where a missing or empty column is `None`.
fn optional<T>(
    column: Option<&&str>,
    parse: fn(&str) -> Result<T, LineError>,
) -> Result<Option<T>, LineError> {
    match column {
        Some(text) if !text.is_empty() => parse(text).map(Some),
        _ => Ok(None),
    }
}

fn parse_pin(text: &str) -> Result<String, LineError> {
    if text.is_empty() {
        return Err(LineError::EmptyPin);
    }
    if text.len() > MAX_PIN_LEN || !is_ascii_digits(text) {
        return Err(LineError::BadPin {
            pin: excerpt(text),
            max: MAX_PIN_LEN,
        });
    }
    Ok(text.to_owned())
}

/// Parses `YYYY-MM-DD HH:MM:SS` exactly (two-digit fields zero-padded) and
/// checks it against `limits`.
fn parse_time(text: &str, limits: &TimeLimits) -> Result<NaiveDateTime, LineError> {
    let unparsable = || LineError::UnparsableTime {
        text: excerpt(text),
    };

    let bytes = text.as_bytes();
    if bytes.len() != 19 {
        return Err(unparsable());
    }
    for (index, separator) in [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')] {
        if bytes[index] != separator {
            return Err(unparsable());
        }
    }
    let number = |range: std::ops::Range<usize>| -> Result<u32, LineError> {
        let digits = &bytes[range];
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(unparsable());
        }
        Ok(digits
            .iter()
            .fold(0, |value, digit| value * 10 + u32::from(digit - b'0')))
    };
    let year = number(0..4)?;
    let month = number(5..7)?;
    let day = number(8..10)?;
    let hour = number(11..13)?;
    let minute = number(14..16)?;
    let second = number(17..19)?;

    // A four-digit year always fits in i32, so the cast cannot wrap.
    let date = NaiveDate::from_ymd_opt(year as i32, month, day);
    let clock = NaiveTime::from_hms_opt(hour, minute, second);
    let (Some(date), Some(clock)) = (date, clock) else {
        return Err(LineError::InvalidCalendarTime {
            text: text.to_owned(),
        });
    };
    let time = date.and_time(clock);

    if time < limits.earliest {
        return Err(LineError::TimeTooEarly {
            time,
            earliest: limits.earliest,
        });
    }
    if time > limits.latest {
        return Err(LineError::TimeTooLate {
            time,
            latest: limits.latest,
        });
    }
    Ok(time)
}

fn parse_device_id(text: &str) -> Result<String, LineError> {
    if text.is_empty() || text.len() > MAX_DEVICE_ID_LEN || !is_ascii_digits(text) {
        return Err(LineError::BadDeviceId {
            text: excerpt(text),
            max: MAX_DEVICE_ID_LEN,
        });
    }
    Ok(text.to_owned())
}

fn parse_status(text: &str) -> Result<PunchStatus, LineError> {
    let unknown = || LineError::UnknownStatus {
        text: excerpt(text),
    };
    let code = parse_small_number(text).ok_or_else(unknown)?;
    PunchStatus::from_code(code).ok_or_else(unknown)
}

fn parse_verify(text: &str) -> Result<u8, LineError> {
    parse_small_number(text).ok_or_else(|| LineError::BadVerify {
        text: excerpt(text),
    })
}

fn parse_work_code(text: &str) -> Result<String, LineError> {
    if text.len() > MAX_WORK_CODE_LEN || !text.bytes().all(|byte| byte.is_ascii_alphanumeric()) {
        return Err(LineError::BadWorkCode {
            text: excerpt(text),
            max: MAX_WORK_CODE_LEN,
        });
    }
    Ok(text.to_owned())
}

/// Parses 1 to 3 ASCII digits with a value up to 255. Signs and other
/// characters that `u8::from_str` would accept are rejected.
fn parse_small_number(text: &str) -> Option<u8> {
    if text.is_empty() || text.len() > 3 || !is_ascii_digits(text) {
        return None;
    }
    text.parse().ok()
}

fn is_ascii_digits(text: &str) -> bool {
    text.bytes().all(|byte| byte.is_ascii_digit())
}

/// Returns the first [`EXCERPT_CHARS`] characters of `text`, with `...`
/// appended when it was cut.
fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}
