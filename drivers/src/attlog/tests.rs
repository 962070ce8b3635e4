//! Byte-vector tests for the attendance line codec.

use chrono::{NaiveDate, NaiveDateTime};

use super::*;

/// Real export of an office clock, 2020 to 2022, kept in `shared/data`
/// beside the repository on development machines and in CI.
/// `HALLBOX_REAL_ATTLOG` overrides the path.
const REAL_EXPORT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/real/office-2020-attlog.dat"
);

fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|date| date.and_hms_opt(hour, minute, second))
        .expect("test time is a valid date")
}

/// Accepts 2015-01-01 00:00:00 to 2026-12-31 23:59:59, both inclusive.
fn limits() -> TimeLimits {
    TimeLimits {
        earliest: at(2015, 1, 1, 0, 0, 0),
        latest: at(2026, 12, 31, 23, 59, 59),
    }
}

fn usb(line: &[u8]) -> Result<AttlogRecord, LineError> {
    parse_line(line, Layout::UsbExport, &limits())
}

fn push(line: &[u8]) -> Result<AttlogRecord, LineError> {
    parse_line(line, Layout::Push, &limits())
}

/// Record of the first line of the real export:
/// `     1080\t2020-02-24 10:52:43\t1\t0\t0\t0`.
fn record_1080() -> AttlogRecord {
    AttlogRecord {
        pin: "1080".to_owned(),
        time: at(2020, 2, 24, 10, 52, 43),
        device_id: Some("1".to_owned()),
        status: Some(PunchStatus::CheckIn),
        verify: Some(0),
        work_code: Some("0".to_owned()),
    }
}

fn collect(buffer: &[u8], layout: Layout) -> Vec<(u64, Result<AttlogRecord, LineError>)> {
    records(buffer, layout, &limits()).collect()
}

/// Feeds `stream` to a splitter in chunks of `chunk_len` bytes and returns
/// every line, including the unterminated last one.
fn split_in_chunks(stream: &[u8], chunk_len: usize) -> Vec<StreamLine> {
    let mut splitter = LineSplitter::new();
    let mut lines = Vec::new();
    for chunk in stream.chunks(chunk_len) {
        lines.extend(splitter.feed(chunk));
    }
    lines.extend(splitter.finish());
    lines
}

// ---- accepted lines ----

#[test]
fn usb_six_columns_real_line() {
    // PIN padded to 9, time, device 1, check-in, password, work code 0.
    let line = b"     1080\t2020-02-24 10:52:43\t1\t0\t0\t0";
    assert_eq!(usb(line), Ok(record_1080()));
}

#[test]
fn usb_five_columns_no_work_code() {
    let line = b"     1080\t2020-02-24 10:52:43\t1\t0\t0";
    let expected = AttlogRecord {
        work_code: None,
        ..record_1080()
    };
    assert_eq!(usb(line), Ok(expected));
}

#[test]
fn usb_crlf_and_lf_stripped() {
    assert_eq!(
        usb(b"     1080\t2020-02-24 10:52:43\t1\t0\t0\t0\r\n"),
        Ok(record_1080())
    );
    assert_eq!(
        usb(b"     1080\t2020-02-24 10:52:43\t1\t0\t0\t0\r"),
        Ok(record_1080())
    );
    assert_eq!(
        usb(b"     1080\t2020-02-24 10:52:43\t1\t0\t0\t0\n"),
        Ok(record_1080())
    );
}

#[test]
fn usb_pin_alignment_and_zeros() {
    // Unpadded PIN, a PIN padded on both sides, and leading zeros kept.
    assert_eq!(
        usb(b"1080\t2020-02-24 10:52:43\t1\t0\t0\t0"),
        Ok(record_1080())
    );
    assert_eq!(
        usb(b"  1080  \t2020-02-24 10:52:43\t1\t0\t0\t0"),
        Ok(record_1080())
    );
    let zeros = usb(b"    00042\t2020-02-24 10:52:43\t1\t0\t0\t0").map(|record| record.pin);
    assert_eq!(zeros, Ok("00042".to_owned()));
}

#[test]
fn usb_pin_of_max_length() {
    let line = format!("{}\t2020-02-24 10:52:43\t1\t0\t0\t0", "9".repeat(24));
    let pin = usb(line.as_bytes()).map(|record| record.pin);
    assert_eq!(pin, Ok("9".repeat(24)));
}

#[test]
fn usb_other_codes() {
    // Device 2, overtime-out (5), face (15), work code A7.
    let line = b"     7\t2021-06-30 23:59:59\t2\t5\t15\tA7";
    let expected = AttlogRecord {
        pin: "7".to_owned(),
        time: at(2021, 6, 30, 23, 59, 59),
        device_id: Some("2".to_owned()),
        status: Some(PunchStatus::OvertimeOut),
        verify: Some(15),
        work_code: Some("A7".to_owned()),
    };
    assert_eq!(usb(line), Ok(expected));
}

#[test]
fn usb_empty_work_code_is_none() {
    let line = b"     1080\t2020-02-24 10:52:43\t1\t0\t0\t";
    let work_code = usb(line).map(|record| record.work_code);
    assert_eq!(work_code, Ok(None));
}

#[test]
fn usb_verify_255_accepted() {
    let line = b"1080\t2020-02-24 10:52:43\t1\t0\t255\t0";
    assert_eq!(usb(line).map(|record| record.verify), Ok(Some(255)));
}

#[test]
fn limits_are_inclusive() {
    let earliest = b"1\t2015-01-01 00:00:00\t1\t0\t0";
    let latest = b"1\t2026-12-31 23:59:59\t1\t0\t0";
    assert_eq!(
        usb(earliest).map(|record| record.time),
        Ok(at(2015, 1, 1, 0, 0, 0))
    );
    assert_eq!(
        usb(latest).map(|record| record.time),
        Ok(at(2026, 12, 31, 23, 59, 59))
    );
}

#[test]
fn leap_day_accepted() {
    let line = b"1\t2024-02-29 08:00:00\t1\t0\t0";
    assert_eq!(
        usb(line).map(|record| record.time),
        Ok(at(2024, 2, 29, 8, 0, 0))
    );
}

#[test]
fn push_two_columns() {
    let expected = AttlogRecord {
        pin: "1080".to_owned(),
        time: at(2020, 2, 24, 10, 52, 43),
        device_id: None,
        status: None,
        verify: None,
        work_code: None,
    };
    assert_eq!(push(b"1080\t2020-02-24 10:52:43"), Ok(expected));
}

#[test]
fn push_ten_columns() {
    // PIN 2, check-out, face, empty work code, five reserved columns.
    let line = b"2\t2022-07-12 16:00:20\t1\t15\t\t0\t0\t\t\t43";
    let expected = AttlogRecord {
        pin: "2".to_owned(),
        time: at(2022, 7, 12, 16, 0, 20),
        device_id: None,
        status: Some(PunchStatus::CheckOut),
        verify: Some(15),
        work_code: None,
    };
    assert_eq!(push(line), Ok(expected));
}

#[test]
fn push_optional_columns() {
    // Three columns: status only.
    let three = push(b"5\t2022-07-12 16:00:20\t3\r\n").map(|record| (record.status, record.verify));
    assert_eq!(three, Ok((Some(PunchStatus::BreakIn), None)));

    // Empty status before a verify mode.
    let four = push(b"5\t2022-07-12 16:00:20\t\t1").map(|record| (record.status, record.verify));
    assert_eq!(four, Ok((None, Some(1))));

    // Five columns with a work code.
    let five = push(b"5\t2022-07-12 16:00:20\t2\t0\t12").map(|record| record.work_code);
    assert_eq!(five, Ok(Some("12".to_owned())));
}

#[test]
fn push_sixteen_columns_accepted() {
    let line = format!("5\t2022-07-12 16:00:20{}", "\tx".repeat(14));
    // Columns 3 to 5 hold `x`, so the status column is checked first.
    assert_eq!(
        push(line.as_bytes()),
        Err(LineError::UnknownStatus {
            text: "x".to_owned()
        })
    );
    let reserved = format!("5\t2022-07-12 16:00:20\t0\t1\t0{}", "\tx".repeat(11));
    assert!(push(reserved.as_bytes()).is_ok());
}

// ---- rejected lines ----

#[test]
fn reject_line_too_long() {
    // A PIN right-aligned to make the line 512 bytes passes; 513 do not.
    let fields = "1080\t2020-02-24 10:52:43\t1\t0\t0\t0";
    let line = format!("{fields:>512}");
    assert_eq!(line.len(), MAX_LINE_LEN);
    assert_eq!(usb(line.as_bytes()), Ok(record_1080()));
    let line = format!(" {line}");
    assert_eq!(usb(line.as_bytes()), Err(LineError::TooLong { max: 512 }));
}

#[test]
fn reject_not_utf8() {
    // 0xFF at byte 4 can never occur in UTF-8.
    let line = b"1080\xFF\t2020-02-24 10:52:43\t1\t0\t0\t0";
    assert_eq!(usb(line), Err(LineError::NotUtf8 { valid_up_to: 4 }));
}

#[test]
fn reject_column_count() {
    let four = b"1080\t2020-02-24 10:52:43\t1\t0";
    let seven = b"1080\t2020-02-24 10:52:43\t1\t0\t0\t0\t0";
    let expected = |found| LineError::ColumnCount {
        found,
        min: 5,
        max: 6,
        layout: Layout::UsbExport,
    };
    assert_eq!(usb(four), Err(expected(4)));
    assert_eq!(usb(seven), Err(expected(7)));
    assert_eq!(usb(b"\0\0\0\0"), Err(expected(1)));
}

#[test]
fn reject_push_column_count() {
    let expected = |found| LineError::ColumnCount {
        found,
        min: 2,
        max: 16,
        layout: Layout::Push,
    };
    assert_eq!(push(b"1080"), Err(expected(1)));
    let seventeen = format!("1080\t2022-07-12 16:00:20{}", "\t0".repeat(15));
    assert_eq!(push(seventeen.as_bytes()), Err(expected(17)));
}

#[test]
fn reject_empty_pin() {
    assert_eq!(
        usb(b"         \t2020-02-24 10:52:43\t1\t0\t0\t0"),
        Err(LineError::EmptyPin)
    );
    assert_eq!(push(b"\t2020-02-24 10:52:43"), Err(LineError::EmptyPin));
}

#[test]
fn reject_bad_pin() {
    let bad = |pin: &str| LineError::BadPin {
        pin: pin.to_owned(),
        max: 24,
    };
    assert_eq!(
        usb(b"  10a8\t2020-02-24 10:52:43\t1\t0\t0\t0"),
        Err(bad("10a8"))
    );
    assert_eq!(
        usb(b"+1080\t2020-02-24 10:52:43\t1\t0\t0\t0"),
        Err(bad("+1080"))
    );
    let long = format!("{}\t2020-02-24 10:52:43\t1\t0\t0\t0", "1".repeat(25));
    assert_eq!(usb(long.as_bytes()), Err(bad(&"1".repeat(25))));
    // Full-width digits are not ASCII digits.
    assert_eq!(
        usb("１０\t2020-02-24 10:52:43\t1\t0\t0\t0".as_bytes()),
        Err(bad("１０"))
    );
}

#[test]
fn reject_unparsable_time() {
    let cases = [
        "2020-2-24 10:52:43",
        "2020/02/24 10:52:43",
        "2020-02-24T10:52:43",
        "2020-02-24 10:52",
        "20-02-24 10:52:43",
        "2020-02-24 10:52:4x",
        "+020-02-24 10:52:43",
        "",
    ];
    for time in cases {
        let line = format!("1080\t{time}\t1\t0\t0\t0");
        assert_eq!(
            usb(line.as_bytes()),
            Err(LineError::UnparsableTime {
                text: time.to_owned()
            }),
            "time {time:?}"
        );
    }
}

#[test]
fn reject_invalid_calendar_time() {
    let cases = [
        "2020-13-01 08:00:00",
        "2026-02-30 08:00:00",
        "2023-02-29 08:00:00",
        "2020-00-10 08:00:00",
        "2020-04-00 08:00:00",
        "2020-04-31 08:00:00",
        "2020-04-10 24:00:00",
        "2020-04-10 08:60:00",
        "2020-04-10 08:00:60",
    ];
    for time in cases {
        let line = format!("1080\t{time}\t1\t0\t0\t0");
        assert_eq!(
            usb(line.as_bytes()),
            Err(LineError::InvalidCalendarTime {
                text: time.to_owned()
            }),
            "time {time:?}"
        );
    }
}

#[test]
fn reject_time_too_early() {
    // Year 2000 after a clock battery reset, and one second before the bound.
    let reset = usb(b"1080\t2000-01-01 00:03:12\t1\t0\t0\t0");
    assert_eq!(
        reset,
        Err(LineError::TimeTooEarly {
            time: at(2000, 1, 1, 0, 3, 12),
            earliest: at(2015, 1, 1, 0, 0, 0),
        })
    );
    let second_before = push(b"1080\t2014-12-31 23:59:59");
    assert_eq!(
        second_before,
        Err(LineError::TimeTooEarly {
            time: at(2014, 12, 31, 23, 59, 59),
            earliest: at(2015, 1, 1, 0, 0, 0),
        })
    );
}

#[test]
fn reject_time_too_late() {
    let far = usb(b"1080\t2131-05-06 07:08:09\t1\t0\t0\t0");
    assert_eq!(
        far,
        Err(LineError::TimeTooLate {
            time: at(2131, 5, 6, 7, 8, 9),
            latest: at(2026, 12, 31, 23, 59, 59),
        })
    );
    let second_after = push(b"1080\t2027-01-01 00:00:00");
    assert_eq!(
        second_after,
        Err(LineError::TimeTooLate {
            time: at(2027, 1, 1, 0, 0, 0),
            latest: at(2026, 12, 31, 23, 59, 59),
        })
    );
}

#[test]
fn reject_bad_device_id() {
    for device in ["", "x", "-1", "123456789"] {
        let line = format!("1080\t2020-02-24 10:52:43\t{device}\t0\t0\t0");
        assert_eq!(
            usb(line.as_bytes()),
            Err(LineError::BadDeviceId {
                text: device.to_owned(),
                max: 8
            }),
            "device id {device:?}"
        );
    }
}

#[test]
fn reject_unknown_status() {
    for status in ["6", "9", "255", "256", "-1", "+1", "a", "1.0", ""] {
        let line = format!("1080\t2020-02-24 10:52:43\t1\t{status}\t0\t0");
        assert_eq!(
            usb(line.as_bytes()),
            Err(LineError::UnknownStatus {
                text: status.to_owned()
            }),
            "status {status:?}"
        );
    }
    assert_eq!(
        push(b"1080\t2020-02-24 10:52:43\t7"),
        Err(LineError::UnknownStatus {
            text: "7".to_owned()
        })
    );
}

#[test]
fn reject_bad_verify() {
    for verify in ["256", "1000", "-1", "+1", "x", ""] {
        let line = format!("1080\t2020-02-24 10:52:43\t1\t0\t{verify}\t0");
        assert_eq!(
            usb(line.as_bytes()),
            Err(LineError::BadVerify {
                text: verify.to_owned()
            }),
            "verify {verify:?}"
        );
    }
    assert_eq!(
        push(b"1080\t2020-02-24 10:52:43\t0\tface"),
        Err(LineError::BadVerify {
            text: "face".to_owned()
        })
    );
}

#[test]
fn reject_bad_work_code() {
    let long = "7".repeat(25);
    for work_code in ["0-1", "a b", "\u{0}", long.as_str()] {
        let line = format!("1080\t2020-02-24 10:52:43\t1\t0\t0\t{work_code}");
        assert_eq!(
            usb(line.as_bytes()),
            Err(LineError::BadWorkCode {
                text: work_code.to_owned(),
                max: 24
            }),
            "work code {work_code:?}"
        );
    }
}

#[test]
fn error_excerpt_cut_at_32_chars() {
    let pin = "x".repeat(40);
    let line = format!("{pin}\t2020-02-24 10:52:43\t1\t0\t0\t0");
    let expected = format!("{}...", "x".repeat(32));
    assert_eq!(
        usb(line.as_bytes()),
        Err(LineError::BadPin {
            pin: expected,
            max: 24
        })
    );
}

#[test]
fn error_messages_name_value() {
    let too_early = LineError::TimeTooEarly {
        time: at(2000, 1, 1, 0, 3, 12),
        earliest: at(2015, 1, 1, 0, 0, 0),
    };
    assert_eq!(
        too_early.to_string(),
        "impossible time 2000-01-01 00:03:12: before the earliest accepted time \
         2015-01-01 00:00:00 (the clock was probably reset, set its date)"
    );
    let columns = LineError::ColumnCount {
        found: 4,
        min: 5,
        max: 6,
        layout: Layout::UsbExport,
    };
    assert_eq!(
        columns.to_string(),
        "line has 4 tab-separated columns, expected 5 to 6 for the USB export layout"
    );
    let status = LineError::UnknownStatus {
        text: "\u{1}9".to_owned(),
    };
    assert_eq!(
        status.to_string(),
        "unknown punch status \"\\u{1}9\": expected a code from 0 to 5"
    );
}

// ---- punch status codes ----

#[test]
fn status_codes_round_trip() {
    let expected = [
        (0, PunchStatus::CheckIn),
        (1, PunchStatus::CheckOut),
        (2, PunchStatus::BreakOut),
        (3, PunchStatus::BreakIn),
        (4, PunchStatus::OvertimeIn),
        (5, PunchStatus::OvertimeOut),
    ];
    for (code, status) in expected {
        assert_eq!(PunchStatus::from_code(code), Some(status));
        assert_eq!(status.code(), code);
    }
    for code in 6..=u8::MAX {
        assert_eq!(PunchStatus::from_code(code), None, "code {code}");
    }
}

// ---- whole buffers ----

#[test]
fn buffer_bom_crlf_blank_lines() {
    // Line 1 has a BOM and CRLF, lines 2 and 4 are blank, line 3 has
    // 5 columns, line 5 has no final newline.
    let buffer = b"\xEF\xBB\xBF     1080\t2020-02-24 10:52:43\t1\t0\t0\t0\r\n\
                   \r\n\
                   \x20    1058\t2020-02-24 10:54:18\t1\t1\t1\n\
                   \x20 \t \n\
                   \x20    1077\t2020-02-24 10:55:51\t1\t0\t0\t0";
    let lines = collect(buffer, Layout::UsbExport);
    let numbers: Vec<u64> = lines.iter().map(|(number, _)| *number).collect();
    assert_eq!(numbers, vec![1, 3, 5]);
    assert_eq!(lines[0].1, Ok(record_1080()));
    assert_eq!(
        lines[1].1,
        Ok(AttlogRecord {
            pin: "1058".to_owned(),
            time: at(2020, 2, 24, 10, 54, 18),
            device_id: Some("1".to_owned()),
            status: Some(PunchStatus::CheckOut),
            verify: Some(1),
            work_code: None,
        })
    );
    assert_eq!(
        lines[2].1.as_ref().map(|record| record.pin.as_str()),
        Ok("1077")
    );
}

#[test]
fn buffer_final_newline_and_blank_tail() {
    let buffer = b"1080\t2020-02-24 10:52:43\t1\t0\t0\t0\n\n\n   \n";
    let lines = collect(buffer, Layout::UsbExport);
    assert_eq!(lines, vec![(1, Ok(record_1080()))]);
    assert!(collect(b"", Layout::UsbExport).is_empty());
    assert!(collect(b"\xEF\xBB\xBF", Layout::UsbExport).is_empty());
    assert!(collect(b"\n\r\n\x0C\n", Layout::UsbExport).is_empty());
}

#[test]
fn buffer_bom_only_at_start() {
    // A BOM on line 2 is part of the PIN, so the PIN is not digits.
    let buffer =
        b"1080\t2020-02-24 10:52:43\t1\t0\t0\t0\n\xEF\xBB\xBF1080\t2020-02-24 10:52:43\t1\t0\t0\t0";
    let lines = collect(buffer, Layout::UsbExport);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], (1, Ok(record_1080())));
    assert_eq!(
        lines[1],
        (
            2,
            Err(LineError::BadPin {
                pin: "\u{FEFF}1080".to_owned(),
                max: 24
            })
        )
    );
}

#[test]
fn buffer_trailing_junk_rejected() {
    // Two good lines, then NUL padding, then binary garbage split by an LF.
    let mut buffer = b"1080\t2020-02-24 10:52:43\t1\t0\t0\t0\r\n".to_vec();
    buffer.extend_from_slice(b"1080\t2020-02-24 10:52:43\t1\t0\t0\t0\r\n");
    buffer.extend_from_slice(&[0u8; 64]);
    buffer.extend_from_slice(b"\n\x89PNG\r\x1A\xFF\xFE\n");
    let lines = collect(&buffer, Layout::UsbExport);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], (1, Ok(record_1080())));
    assert_eq!(lines[1], (2, Ok(record_1080())));
    assert_eq!(
        lines[2],
        (
            3,
            Err(LineError::ColumnCount {
                found: 1,
                min: 5,
                max: 6,
                layout: Layout::UsbExport
            })
        )
    );
    assert_eq!(lines[3], (4, Err(LineError::NotUtf8 { valid_up_to: 0 })));
}

#[test]
fn buffer_resyncs_after_bad_line() {
    // Line 2 has month 13, line 3 is garbage without tabs, line 4 is good.
    let buffer = b"1080\t2020-02-24 10:52:43\t1\t0\t0\t0\n\
                   1080\t2020-13-24 10:52:43\t1\t0\t0\t0\n\
                   %%%garbage%%%\n\
                   1080\t2020-02-24 10:52:43\t1\t0\t0\t0\n";
    let lines = collect(buffer, Layout::UsbExport);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], (1, Ok(record_1080())));
    assert_eq!(
        lines[1],
        (
            2,
            Err(LineError::InvalidCalendarTime {
                text: "2020-13-24 10:52:43".to_owned()
            })
        )
    );
    assert!(matches!(
        lines[2],
        (3, Err(LineError::ColumnCount { found: 1, .. }))
    ));
    assert_eq!(lines[3], (4, Ok(record_1080())));
}

#[test]
fn buffer_resyncs_after_long_line() {
    // Line 1 is 10,000 bytes of garbage without an LF until its end.
    let mut buffer = vec![b'Z'; 10_000];
    buffer.push(b'\n');
    buffer.extend_from_slice(b"1080\t2020-02-24 10:52:43\t1\t0\t0\t0");
    let lines = collect(&buffer, Layout::UsbExport);
    assert_eq!(
        lines,
        vec![
            (1, Err(LineError::TooLong { max: 512 })),
            (2, Ok(record_1080())),
        ]
    );
}

#[test]
fn buffer_long_blank_line_rejected() {
    // The length cap applies before the blank check.
    let mut buffer = vec![b' '; 600];
    buffer.push(b'\n');
    let lines = collect(&buffer, Layout::UsbExport);
    assert_eq!(lines, vec![(1, Err(LineError::TooLong { max: 512 }))]);
}

#[test]
fn buffer_push_layout() {
    let buffer =
        b"1080\t2020-02-24 10:52:43\t0\t1\n\n2\t2022-07-12 16:00:20\t1\t15\t\t0\t0\t\t\t43\n";
    let lines = collect(buffer, Layout::Push);
    let summary: Vec<_> = lines
        .iter()
        .map(|(number, record)| {
            let record = record.as_ref().expect("push line parses");
            (*number, record.pin.as_str(), record.status, record.verify)
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, "1080", Some(PunchStatus::CheckIn), Some(1)),
            (3, "2", Some(PunchStatus::CheckOut), Some(15)),
        ]
    );
}

// ---- stream splitter ----

#[test]
fn splitter_byte_by_byte() {
    let stream = b"\xEF\xBB\xBF1080\t2020\r\n\r\n  \nA\tB\nlast";
    let lines = split_in_chunks(stream, 1);
    assert_eq!(
        lines,
        vec![
            (1, Ok(b"1080\t2020".to_vec())),
            (4, Ok(b"A\tB".to_vec())),
            (5, Ok(b"last".to_vec())),
        ]
    );
}

#[test]
fn splitter_returns_lines_per_chunk() {
    let mut splitter = LineSplitter::new();
    let first: Vec<_> = splitter.feed(b"one\ntw").collect();
    assert_eq!(first, vec![(1, Ok(b"one".to_vec()))]);
    assert_eq!(splitter.pending_len(), 2);
    let second: Vec<_> = splitter.feed(b"o\r").collect();
    assert!(second.is_empty());
    let third: Vec<_> = splitter.feed(b"\nthree\n").collect();
    assert_eq!(
        third,
        vec![(2, Ok(b"two".to_vec())), (3, Ok(b"three".to_vec()))]
    );
    assert_eq!(splitter.pending_len(), 0);
    assert_eq!(splitter.finish(), None);
}

#[test]
fn splitter_long_line_reported_at_cap() {
    let mut splitter = LineSplitter::new();

    // 512 bytes fit, so nothing is reported yet.
    assert_eq!(splitter.feed(&[b'x'; 512]).count(), 0);
    assert_eq!(splitter.pending_len(), 512);

    // Byte 513 crosses the cap: one report, and the buffer is emptied.
    let crossed: Vec<_> = splitter.feed(b"x").collect();
    assert_eq!(crossed, vec![(1, Err(LineError::TooLong { max: 512 }))]);
    assert_eq!(splitter.pending_len(), 0);

    // More bytes of the same line are dropped without another report.
    assert_eq!(splitter.feed(&[b'y'; 5_000]).count(), 0);
    assert_eq!(splitter.pending_len(), 0);

    // The next LF ends line 1, and line 2 parses normally.
    let after: Vec<_> = splitter.feed(b"\ngood\n").collect();
    assert_eq!(after, vec![(2, Ok(b"good".to_vec()))]);
}

#[test]
fn splitter_cr_at_cap() {
    // 512 bytes, then CRLF: the CR does not count towards the cap.
    let mut stream = vec![b'x'; 512];
    stream.extend_from_slice(b"\r\n");
    assert_eq!(split_in_chunks(&stream, 7), vec![(1, Ok(vec![b'x'; 512]))]);

    // 512 bytes, then CR and another byte: the line is 514 bytes.
    let mut stream = vec![b'x'; 512];
    stream.extend_from_slice(b"\rz\nok");
    assert_eq!(
        split_in_chunks(&stream, 7),
        vec![
            (1, Err(LineError::TooLong { max: 512 })),
            (2, Ok(b"ok".to_vec()))
        ]
    );
}

#[test]
fn splitter_unterminated_long_line() {
    // A stream that never sends an LF is reported once and keeps no bytes.
    let mut splitter = LineSplitter::new();
    let reports: usize = (0..100).map(|_| splitter.feed(&[0xAA; 100]).count()).sum();
    assert_eq!(reports, 1);
    assert_eq!(splitter.pending_len(), 0);
    assert_eq!(splitter.finish(), None);
}

#[test]
fn splitter_partial_bom_is_content() {
    // EF BB without BF is not a BOM, so both bytes stay in line 1.
    assert_eq!(
        split_in_chunks(b"\xEF\xBBx\n", 1),
        vec![(1, Ok(b"\xEF\xBBx".to_vec()))]
    );
    assert_eq!(split_in_chunks(b"\xEF", 1), vec![(1, Ok(b"\xEF".to_vec()))]);
    // A BOM after the start of the stream is content.
    assert_eq!(
        split_in_chunks(b"\n\xEF\xBB\xBF", 2),
        vec![(2, Ok(b"\xEF\xBB\xBF".to_vec()))]
    );
}

#[test]
fn splitter_matches_buffer() {
    // Every chunk size gives the lines that the buffer iterator gives.
    let mut buffer = b"\xEF\xBB\xBF     1080\t2020-02-24 10:52:43\t1\t0\t0\t0\r\n\n".to_vec();
    buffer.extend_from_slice(&[b'q'; 700]);
    buffer.extend_from_slice(b"\n1080\t2020-13-24 10:52:43\t1\t0\t0\t0\n\0\0\0");
    let expected: Vec<_> = collect(&buffer, Layout::UsbExport);
    assert_eq!(expected.len(), 4);
    for chunk_len in [1, 2, 3, 5, 64, 511, 512, 513, 4096] {
        let parsed: Vec<_> = split_in_chunks(&buffer, chunk_len)
            .into_iter()
            .map(|(number, line)| {
                let record = line.and_then(|line| usb(&line));
                (number, record)
            })
            .collect();
        assert_eq!(parsed, expected, "chunk length {chunk_len}");
    }
}

// ---- encoding ----

#[test]
fn encode_usb_export() {
    assert_eq!(
        encode_line(&record_1080(), Layout::UsbExport),
        "     1080\t2020-02-24 10:52:43\t1\t0\t0\t0"
    );
    let five = AttlogRecord {
        work_code: None,
        ..record_1080()
    };
    assert_eq!(
        encode_line(&five, Layout::UsbExport),
        "     1080\t2020-02-24 10:52:43\t1\t0\t0"
    );
    let long_pin = AttlogRecord {
        pin: "12345678901".to_owned(),
        ..record_1080()
    };
    assert_eq!(
        encode_line(&long_pin, Layout::UsbExport),
        "12345678901\t2020-02-24 10:52:43\t1\t0\t0\t0"
    );
}

#[test]
fn encode_push() {
    let mut record = AttlogRecord {
        device_id: None,
        ..record_1080()
    };
    assert_eq!(
        encode_line(&record, Layout::Push),
        "1080\t2020-02-24 10:52:43\t0\t0\t0"
    );
    record.work_code = None;
    record.status = None;
    assert_eq!(
        encode_line(&record, Layout::Push),
        "1080\t2020-02-24 10:52:43\t\t0"
    );
    record.verify = None;
    assert_eq!(
        encode_line(&record, Layout::Push),
        "1080\t2020-02-24 10:52:43"
    );
}

#[test]
fn encode_then_parse_equal() {
    let usb_record = record_1080();
    let line = encode_line(&usb_record, Layout::UsbExport);
    assert_eq!(usb(line.as_bytes()), Ok(usb_record));

    let push_record = AttlogRecord {
        pin: "42".to_owned(),
        time: at(2022, 7, 12, 16, 0, 20),
        device_id: None,
        status: None,
        verify: Some(15),
        work_code: None,
    };
    let line = encode_line(&push_record, Layout::Push);
    assert_eq!(push(line.as_bytes()), Ok(push_record));
}

// ---- real export ----

#[test]
fn real_export_parses() {
    let path = std::env::var("HALLBOX_REAL_ATTLOG").unwrap_or_else(|_| REAL_EXPORT.to_owned());
    let Ok(bytes) = std::fs::read(&path) else {
        // In CI the export must be there, as for the end-to-end test.
        assert!(
            std::env::var_os("CI").is_none(),
            "real export {path} not found, but CI must provide it (set HALLBOX_REAL_ATTLOG to its path)"
        );
        println!("skipped: real export {path} not found");
        return;
    };

    // The export covers 2020 to 2022, so these limits reject nothing real.
    let limits = TimeLimits {
        earliest: at(2020, 1, 1, 0, 0, 0),
        latest: at(2023, 1, 1, 0, 0, 0),
    };
    let mut count = 0;
    for (number, record) in records(&bytes, Layout::UsbExport, &limits).take(2_000) {
        count += 1;
        assert_eq!(number, count, "no blank lines in the export");
        if let Err(error) = &record {
            panic!("{path} line {number}: {error}");
        }
        if number == 1 {
            assert_eq!(record, Ok(record_1080()));
        }
    }
    assert_eq!(count, 2_000);
}
