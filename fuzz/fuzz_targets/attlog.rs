//! Fuzz target for the ZKTeco attendance line codec.
//!
//! The first input byte picks a chunk length for the stream splitter, and
//! the rest is the file or stream. For both layouts the target checks that
//! nothing panics, that the splitter fed in chunks returns the same lines
//! as the whole-buffer iterator, and that every accepted line encodes to a
//! line that parses back to the same record.

#![no_main]

use chrono::NaiveDate;
use hallbox_drivers::attlog::{encode_line, parse_line, records, Layout, LineSplitter, TimeLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk_byte, bytes)) = data.split_first() else {
        return;
    };
    let chunk_len = usize::from(chunk_byte) + 1;

    // 2000-01-01 to 2099-12-31 both inclusive, wide enough to reach every
    // column parser, and narrow enough that both bounds are reachable.
    let (Some(earliest), Some(latest)) = (
        NaiveDate::from_ymd_opt(2000, 1, 1).and_then(|date| date.and_hms_opt(0, 0, 0)),
        NaiveDate::from_ymd_opt(2099, 12, 31).and_then(|date| date.and_hms_opt(23, 59, 59)),
    ) else {
        return;
    };
    let limits = TimeLimits { earliest, latest };

    for layout in [Layout::UsbExport, Layout::Push] {
        let expected: Vec<_> = records(bytes, layout, &limits).collect();

        let mut splitter = LineSplitter::new();
        let mut lines = Vec::new();
        for chunk in bytes.chunks(chunk_len) {
            lines.extend(splitter.feed(chunk));
        }
        lines.extend(splitter.finish());
        let split: Vec<_> = lines
            .into_iter()
            .map(|(number, line)| {
                (
                    number,
                    line.and_then(|line| parse_line(&line, layout, &limits)),
                )
            })
            .collect();
        assert_eq!(split, expected, "splitter and buffer iterator disagree");

        for (_, record) in expected {
            if let Ok(record) = record {
                let line = encode_line(&record, layout);
                assert_eq!(parse_line(line.as_bytes(), layout, &limits), Ok(record));
            }
        }
    }
});
