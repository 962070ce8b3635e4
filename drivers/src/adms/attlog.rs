//! Attendance records from `POST /iclock/cdata?table=ATTLOG`.
//!
//! Each line is one punch, with tab-separated columns:
//!
//! ```text
//! PIN <TAB> YYYY-MM-DD HH:MM:SS <TAB> status <TAB> verify <TAB> workcode <TAB> reserved <TAB> reserved ...
//! ```
//!
//! The time is the clock's local wall-clock time. Firmware sends 7 to 10
//! columns and leaves columns empty when it has no value; only the PIN and
//! the time are required here. Columns after the work code are not decoded
//! but stay in the record's raw bytes.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::lines::{
    body_lines, check_pin, checked_text, excerpt, BatchParse, LineError, Rejection,
};

/// Maximum length of one ATTLOG line, in bytes. A 10-column line with the
/// longest PIN and work code accepted here is under 150 bytes, so a longer
/// line is not a punch.
pub const MAX_ATTLOG_LINE_BYTES: usize = 512;

/// Maximum PIN length, in characters. Firmware reports its PIN width in the
/// `~PIN2Width` option. 24 is an estimate, the same cap two public ADMS
/// servers apply to user ids.
pub const MAX_PIN_LEN: usize = 24;

/// Maximum work code length, in characters. Work codes are short numbers
/// typed on the keypad, and 32 is an estimate with room to spare.
pub const MAX_WORK_CODE_LEN: usize = 32;

/// Minimum number of columns in an ATTLOG line: PIN and time.
const MIN_COLUMNS: usize = 2;

/// One punch pushed by a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushPunch {
    /// User number on the clock.
    pub pin: String,
    /// Clock-local wall-clock time of the punch.
    pub local_time: NaiveDateTime,
    /// Punch state chosen on the clock: 0 check-in, 1 check-out, 2 break-out,
    /// 3 break-in, 4 overtime-in, 5 overtime-out, 255 none chosen. `None` when
    /// the column is missing or empty.
    pub status: Option<u8>,
    /// Verification method as the firmware numbers it, for example
    /// 1 fingerprint or 15 face. `None` when the column is missing or empty.
    pub verify: Option<u16>,
    /// Work code typed on the clock. `None` when the column is missing or
    /// empty.
    pub work_code: Option<String>,
    /// The line as received, without its line terminator.
    pub raw: Vec<u8>,
    /// Line number in the body, counting from 1.
    pub line: usize,
}

/// Parses an ATTLOG upload body.
///
/// A malformed line is rejected with its line number and reason, and parsing
/// goes on with the next line. Blank lines, CRLF line ends and a leading
/// UTF-8 byte order mark are accepted. Columns are trimmed of spaces before
/// they are read.
pub fn parse_attlog(body: &[u8]) -> BatchParse<PushPunch> {
    let mut batch = BatchParse::default();
    for (line, bytes) in body_lines(body) {
        match parse_line(bytes) {
            Ok(fields) => batch.records.push(PushPunch {
                pin: fields.pin,
                local_time: fields.local_time,
                status: fields.status,
                verify: fields.verify,
                work_code: fields.work_code,
                raw: bytes.to_vec(),
                line,
            }),
            Err(reason) => batch.rejected.push(Rejection { line, reason }),
        }
    }
    batch
}

/// The decoded columns of one line.
struct Fields {
    pin: String,
    local_time: NaiveDateTime,
    status: Option<u8>,
    verify: Option<u16>,
    work_code: Option<String>,
}

fn parse_line(bytes: &[u8]) -> Result<Fields, LineError> {
    let text = checked_text(bytes, MAX_ATTLOG_LINE_BYTES)?;
    let columns: Vec<&str> = text
        .split('\t')
        .map(|column| column.trim_matches(' '))
        .collect();
    if columns.len() < MIN_COLUMNS {
        return Err(LineError::TooFewColumns {
            found: columns.len(),
            min: MIN_COLUMNS,
        });
    }
    let column = |index: usize| {
        columns
            .get(index)
            .copied()
            .filter(|value| !value.is_empty())
    };

    let pin = columns[0];
    check_pin(pin, MAX_PIN_LEN)?;

    let local_time = parse_local_time(columns[1]).ok_or_else(|| LineError::InvalidTime {
        value: excerpt(columns[1]),
    })?;

    let status = column(2)
        .map(|value| {
            parse_decimal(value).ok_or_else(|| LineError::InvalidStatus {
                value: excerpt(value),
            })
        })
        .transpose()?;

    let verify = column(3)
        .map(|value| {
            parse_decimal(value).ok_or_else(|| LineError::InvalidVerify {
                value: excerpt(value),
            })
        })
        .transpose()?;

    let work_code = column(4).map(check_work_code).transpose()?;

    Ok(Fields {
        pin: pin.to_owned(),
        local_time,
        status,
        verify,
        work_code,
    })
}

/// Parses `YYYY-MM-DD HH:MM:SS` exactly: 19 characters, zero-padded, and a
/// date and time that exist (no 2026-02-30, no 24:00:00, no leap second).
pub(crate) fn parse_local_time(text: &str) -> Option<NaiveDateTime> {
    let bytes = text.as_bytes();
    if bytes.len() != 19 {
        return None;
    }
    for (index, &byte) in bytes.iter().enumerate() {
        let expected_ok = match index {
            4 | 7 => byte == b'-',
            10 => byte == b' ',
            13 | 16 => byte == b':',
            _ => byte.is_ascii_digit(),
        };
        if !expected_ok {
            return None;
        }
    }

    let number = |range: std::ops::Range<usize>| -> u32 {
        bytes[range]
            .iter()
            .fold(0, |value, digit| value * 10 + u32::from(digit - b'0'))
    };
    let year = i32::try_from(number(0..4)).ok()?;
    let date = NaiveDate::from_ymd_opt(year, number(5..7), number(8..10))?;
    let time = NaiveTime::from_hms_opt(number(11..13), number(14..16), number(17..19))?;
    Some(NaiveDateTime::new(date, time))
}

/// Parses a plain decimal number: ASCII digits only, no sign, in range.
fn parse_decimal<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.bytes().all(|byte| byte.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

fn check_work_code(value: &str) -> Result<String, LineError> {
    if value.chars().count() > MAX_WORK_CODE_LEN || value.chars().any(char::is_control) {
        return Err(LineError::InvalidWorkCode {
            value: excerpt(value),
            max: MAX_WORK_CODE_LEN,
        });
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn attlog_ten_column_crlf_batch() {
        // Two punches as a 10-column firmware posts them: PIN, time, status,
        // verify, work code, two reserved, then mask flag, temperature and an
        // index column. CRLF line ends and two trailing blank lines.
        let body = b"1001\t2026-11-02 08:01:15\t0\t15\t0\t0\t0\t0\t36.5\t17\r\n\
                     1002\t2026-11-02 08:03:40\t1\t1\t\t0\t0\t0\t0\t18\r\n\r\n\r\n";
        let batch = parse_attlog(body);

        assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
        assert_eq!(batch.records.len(), 2);

        let first = &batch.records[0];
        assert_eq!(first.pin, "1001");
        assert_eq!(first.local_time, time("2026-11-02 08:01:15"));
        assert_eq!(first.status, Some(0));
        assert_eq!(first.verify, Some(15));
        assert_eq!(first.work_code.as_deref(), Some("0"));
        assert_eq!(first.line, 1);
        assert_eq!(
            first.raw,
            b"1001\t2026-11-02 08:01:15\t0\t15\t0\t0\t0\t0\t36.5\t17".to_vec()
        );

        let second = &batch.records[1];
        assert_eq!(second.pin, "1002");
        assert_eq!(second.status, Some(1));
        assert_eq!(second.verify, Some(1));
        assert_eq!(second.work_code, None);
        assert_eq!(second.line, 2);
    }

    #[test]
    fn attlog_seven_column_lf_batch() {
        let body = b"20156107\t2020-02-22 23:10:05\t255\t1\t\t0\t0\n";
        let batch = parse_attlog(body);
        assert!(batch.rejected.is_empty());
        assert_eq!(batch.records.len(), 1);
        assert_eq!(batch.records[0].status, Some(255));
        assert_eq!(batch.records[0].verify, Some(1));
        assert_eq!(batch.records[0].work_code, None);
    }

    #[test]
    fn attlog_two_columns_only() {
        let batch = parse_attlog(b"7\t2026-01-31 23:59:59");
        assert!(batch.rejected.is_empty());
        let punch = &batch.records[0];
        assert_eq!(punch.local_time, time("2026-01-31 23:59:59"));
        assert_eq!(punch.status, None);
        assert_eq!(punch.verify, None);
        assert_eq!(punch.work_code, None);
    }

    #[test]
    fn attlog_bad_lines_rejected_rest_kept() {
        let body = b"1001\t2026-11-02 08:00:00\t0\t1\t0\t0\t0\n\
                     1002 2026-11-02 08:00:01 0 1 0 0 0\n\
                     1003\t2026-02-30 08:00:02\t0\t1\t0\t0\t0\n\
                     \t2026-11-02 08:00:03\t0\t1\t0\t0\t0\n\
                     1005\t2026-11-02 8:00:04\t0\t1\t0\t0\t0\n\
                     1006\t2026-11-02 08:00:05\tin\t1\t0\t0\t0\n\
                     1007\t2026-11-02 08:00:06\t256\t1\t0\t0\t0\n\
                     1008\t2026-11-02 08:00:07\t0\t-1\t0\t0\t0\n\
                     1009\t2026-11-02 24:00:00\t0\t1\t0\t0\t0\n\
                     1010\t2026-11-02 08:00:09\t0\t1\t0\t0\t0\n";
        let batch = parse_attlog(body);

        let parsed_pins: Vec<(&str, usize)> = batch
            .records
            .iter()
            .map(|punch| (punch.pin.as_str(), punch.line))
            .collect();
        assert_eq!(parsed_pins, vec![("1001", 1), ("1010", 10)]);

        let rejected: Vec<(usize, &LineError)> = batch
            .rejected
            .iter()
            .map(|rejection| (rejection.line, &rejection.reason))
            .collect();
        assert_eq!(
            rejected,
            vec![
                (2, &LineError::TooFewColumns { found: 1, min: 2 }),
                (
                    3,
                    &LineError::InvalidTime {
                        value: "2026-02-30 08:00:02".to_owned()
                    }
                ),
                (4, &LineError::EmptyPin),
                (
                    5,
                    &LineError::InvalidTime {
                        value: "2026-11-02 8:00:04".to_owned()
                    }
                ),
                (
                    6,
                    &LineError::InvalidStatus {
                        value: "in".to_owned()
                    }
                ),
                (
                    7,
                    &LineError::InvalidStatus {
                        value: "256".to_owned()
                    }
                ),
                (
                    8,
                    &LineError::InvalidVerify {
                        value: "-1".to_owned()
                    }
                ),
                (
                    9,
                    &LineError::InvalidTime {
                        value: "2026-11-02 24:00:00".to_owned()
                    }
                ),
            ]
        );
    }

    #[test]
    fn attlog_bom_before_first_line() {
        let body = b"\xEF\xBB\xBF1001\t2026-11-02 08:00:00\t0\t1\n";
        let batch = parse_attlog(body);
        assert!(batch.rejected.is_empty());
        assert_eq!(batch.records[0].pin, "1001");
        assert_eq!(
            batch.records[0].raw,
            b"1001\t2026-11-02 08:00:00\t0\t1".to_vec()
        );
    }

    #[test]
    fn attlog_long_and_binary_lines() {
        let long = format!("1001\t2026-11-02 08:00:00\t{}", "0\t".repeat(300));
        let mut body = long.into_bytes();
        body.extend_from_slice(b"\n\xC4\xE3\t2026-11-02 08:00:00\n1002\t2026-11-02 08:00:01\n");
        let batch = parse_attlog(&body);

        assert_eq!(batch.records.len(), 1);
        assert_eq!(batch.records[0].pin, "1002");
        assert_eq!(batch.records[0].line, 3);
        assert_eq!(
            batch.rejected[0],
            Rejection {
                line: 1,
                reason: LineError::TooLong { len: 625, max: 512 }
            }
        );
        assert_eq!(
            batch.rejected[1],
            Rejection {
                line: 2,
                reason: LineError::NotUtf8
            }
        );
    }

    #[test]
    fn attlog_columns_trimmed() {
        let batch = parse_attlog(b" 1001 \t 2026-11-02 08:00:00 \t 1 \t 15 \n");
        assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
        assert_eq!(batch.records[0].pin, "1001");
        assert_eq!(batch.records[0].status, Some(1));
        assert_eq!(batch.records[0].verify, Some(15));
    }

    #[test]
    fn attlog_empty_and_blank_bodies() {
        assert_eq!(parse_attlog(b""), BatchParse::default());
        assert_eq!(parse_attlog(b"\r\n\n  \n"), BatchParse::default());
    }

    #[test]
    fn local_time_strict_shape() {
        assert_eq!(
            parse_local_time("2024-02-29 00:00:00"),
            Some(time("2024-02-29 00:00:00"))
        );
        for bad in [
            "2026-02-29 00:00:00",
            "2026-13-01 00:00:00",
            "2026-00-01 00:00:00",
            "2026-01-00 00:00:00",
            "2026-01-01 00:60:00",
            "2026-01-01 00:00:60",
            "2026-01-01T00:00:00",
            "2026/01/01 00:00:00",
            "2026-01-01 00:00:00 ",
            "２026-01-01 00:00:0",
            "",
        ] {
            assert_eq!(parse_local_time(bad), None, "{bad}");
        }
    }
}
