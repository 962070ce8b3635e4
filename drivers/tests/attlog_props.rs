//! Property tests for the attendance line codec: arbitrary bytes never
//! panic the parsers, the stream splitter agrees with the buffer iterator,
//! a good line after garbage always parses, and encoding round-trips.

use chrono::{NaiveDate, NaiveDateTime};
use hallbox_drivers::attlog::{
    encode_line, parse_line, records, AttlogRecord, Layout, LineSplitter, PunchStatus, StreamLine,
    TimeLimits, MAX_LINE_LEN,
};
use proptest::prelude::*;

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

fn layout() -> impl Strategy<Value = Layout> {
    prop_oneof![Just(Layout::UsbExport), Just(Layout::Push)]
}

/// Alphabet of [`line_like_bytes`]: digits weighted up, line syntax, the
/// byte order mark, NUL, a byte never valid in UTF-8, and a letter.
const LINE_ALPHABET: &[u8] = b"01234567890123456789\t\t\t  -:\r\n\xEF\xBB\xBF\x00\xFFx";

/// Bytes drawn from [`LINE_ALPHABET`], so that random input reaches the
/// column parsers and not only the UTF-8 check.
fn line_like_bytes(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0..LINE_ALPHABET.len(), 0..max_len).prop_map(|indexes| {
        indexes
            .into_iter()
            .map(|index| LINE_ALPHABET[index])
            .collect()
    })
}

/// Arbitrary bytes, or bytes that look like attendance lines.
fn garbage(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..max_len),
        line_like_bytes(max_len),
    ]
}

fn time_within_limits() -> impl Strategy<Value = NaiveDateTime> {
    (
        2015..=2026i32,
        1..=12u32,
        1..=28u32,
        0..24u32,
        0..60u32,
        0..60u32,
    )
        .prop_map(|(year, month, day, hour, minute, second)| {
            at(year, month, day, hour, minute, second)
        })
}

fn status() -> impl Strategy<Value = PunchStatus> {
    (0..=5u8).prop_map(|code| PunchStatus::from_code(code).expect("code 0 to 5 is known"))
}

/// Records that `parse_line` can return for `layout`.
fn record(layout: Layout) -> BoxedStrategy<AttlogRecord> {
    let pin = "[0-9]{1,24}";
    let work_code = prop::option::of("[A-Za-z0-9]{1,24}");
    match layout {
        Layout::UsbExport => (
            pin,
            time_within_limits(),
            "[0-9]{1,8}",
            status(),
            any::<u8>(),
            work_code,
        )
            .prop_map(
                |(pin, time, device_id, status, verify, work_code)| AttlogRecord {
                    pin,
                    time,
                    device_id: Some(device_id),
                    status: Some(status),
                    verify: Some(verify),
                    work_code,
                },
            )
            .boxed(),
        Layout::Push => (
            pin,
            time_within_limits(),
            prop::option::of(status()),
            prop::option::of(any::<u8>()),
            work_code,
        )
            .prop_map(|(pin, time, status, verify, work_code)| AttlogRecord {
                pin,
                time,
                device_id: None,
                status,
                verify,
                work_code,
            })
            .boxed(),
    }
}

fn layout_and_record() -> impl Strategy<Value = (Layout, AttlogRecord)> {
    layout().prop_flat_map(|layout| (Just(layout), record(layout)))
}

/// Feeds `bytes` to a splitter in chunks of the given lengths (cycled),
/// checking the buffer bound after each chunk, and returns every line.
fn split_in_chunks(bytes: &[u8], chunk_lens: &[usize]) -> Vec<StreamLine> {
    let mut splitter = LineSplitter::new();
    let mut lines = Vec::new();
    let mut rest = bytes;
    for &len in chunk_lens.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(len.min(rest.len()));
        lines.extend(splitter.feed(chunk));
        assert!(splitter.pending_len() <= MAX_LINE_LEN + 1);
        rest = tail;
    }
    lines.extend(splitter.finish());
    lines
}

fn count_lf(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&byte| byte == b'\n').count() as u64
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn records_survive_garbage(bytes in garbage(4_096), layout in layout()) {
        let numbers: Vec<u64> = records(&bytes, layout, &limits())
            .map(|(number, _)| number)
            .collect();
        let last_possible = count_lf(&bytes) + 1;
        for pair in numbers.windows(2) {
            prop_assert!(pair[0] < pair[1], "line numbers rise: {numbers:?}");
        }
        for &number in &numbers {
            prop_assert!((1..=last_possible).contains(&number));
        }
    }

    #[test]
    fn parse_line_survives_garbage(bytes in garbage(700), layout in layout()) {
        // Any outcome is allowed, as long as it is returned.
        let _ = parse_line(&bytes, layout, &limits());
    }

    #[test]
    fn splitter_matches_records(
        bytes in garbage(3_000),
        chunk_lens in prop::collection::vec(1..700usize, 1..8),
    ) {
        let expected: Vec<_> = records(&bytes, Layout::UsbExport, &limits()).collect();
        let parsed: Vec<_> = split_in_chunks(&bytes, &chunk_lens)
            .into_iter()
            .map(|(number, line)| {
                let record = line.and_then(|line| parse_line(&line, Layout::UsbExport, &limits()));
                (number, record)
            })
            .collect();
        prop_assert_eq!(parsed, expected);
    }

    #[test]
    fn good_line_after_garbage(
        garbage in garbage(2_048),
        (layout, record) in layout_and_record(),
        ending in prop::sample::select(vec!["", "\n", "\r\n", "\n\n \n"]),
        chunk_lens in prop::collection::vec(1..600usize, 1..8),
    ) {
        let mut bytes = garbage.clone();
        bytes.push(b'\n');
        bytes.extend_from_slice(encode_line(&record, layout).as_bytes());
        bytes.extend_from_slice(ending.as_bytes());
        let good_number = count_lf(&garbage) + 2;

        let last = records(&bytes, layout, &limits()).last();
        prop_assert_eq!(last, Some((good_number, Ok(record.clone()))));

        let last_line = split_in_chunks(&bytes, &chunk_lens).pop();
        let last = last_line.map(|(number, line)| {
            (number, line.and_then(|line| parse_line(&line, layout, &limits())))
        });
        prop_assert_eq!(last, Some((good_number, Ok(record))));
    }

    #[test]
    fn encode_parse_round_trip((layout, record) in layout_and_record()) {
        let line = encode_line(&record, layout);
        prop_assert!(line.len() <= MAX_LINE_LEN);
        prop_assert_eq!(parse_line(line.as_bytes(), layout, &limits()), Ok(record));
    }
}
