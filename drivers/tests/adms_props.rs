//! Property tests for the ADMS push protocol core: the parsers survive any
//! input, account for every line, and keep every good record that arrives
//! between garbage lines.

use chrono::{NaiveDate, NaiveDateTime};
use hallbox_drivers::adms::{
    classify, command_lines, handshake_reply, parse_attlog, parse_devicecmd, parse_operlog,
    parse_query, zk_packed_time, Command, CommandKind, OperLogEntry, Options, SerialNumber, Stamps,
    MAX_SERIAL_NUMBER_LEN,
};
use proptest::prelude::*;

/// A good ATTLOG line and the values it should parse to.
#[derive(Debug, Clone)]
struct GoodPunch {
    pin: String,
    time: NaiveDateTime,
    status: u8,
    verify: u16,
    work_code: Option<String>,
    extra_columns: usize,
}

impl GoodPunch {
    fn line(&self) -> String {
        let mut columns = vec![
            self.pin.clone(),
            self.time.format("%Y-%m-%d %H:%M:%S").to_string(),
            self.status.to_string(),
            self.verify.to_string(),
            self.work_code.clone().unwrap_or_default(),
        ];
        columns.extend(std::iter::repeat_n("0".to_owned(), self.extra_columns));
        columns.join("\t")
    }
}

/// One line of a generated body: a good record or garbage.
#[derive(Debug, Clone)]
enum BodyLine<T> {
    Good(T),
    Garbage(Vec<u8>),
}

fn local_time() -> impl Strategy<Value = NaiveDateTime> {
    (
        2000i32..=2099,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
    )
        .prop_map(|(year, month, day, hour, minute, second)| {
            NaiveDate::from_ymd_opt(year, month, day)
                .and_then(|date| date.and_hms_opt(hour, minute, second))
                .expect("generated fields form a real date and time")
        })
}

fn good_punch() -> impl Strategy<Value = GoodPunch> {
    (
        "[0-9]{1,9}",
        local_time(),
        prop::sample::select(vec![0u8, 1, 2, 3, 4, 5, 255]),
        prop::sample::select(vec![0u16, 1, 2, 3, 4, 15, 25]),
        prop::option::of("[0-9]{1,8}"),
        0usize..=5,
    )
        .prop_map(
            |(pin, time, status, verify, work_code, extra_columns)| GoodPunch {
                pin,
                time,
                status,
                verify,
                work_code,
                extra_columns,
            },
        )
}

/// Garbage bytes that contain none of `forbidden` and no line feed.
fn garbage_without(forbidden: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..120).prop_map(move |mut bytes| {
        bytes.retain(|byte| *byte != b'\n' && !forbidden.contains(byte));
        bytes
    })
}

fn body_of<T>(
    good: impl Strategy<Value = T>,
    garbage: impl Strategy<Value = Vec<u8>>,
) -> impl Strategy<Value = Vec<BodyLine<T>>>
where
    T: std::fmt::Debug + Clone,
{
    let line = prop_oneof![
        good.prop_map(BodyLine::Good),
        garbage.prop_map(BodyLine::Garbage),
    ];
    prop::collection::vec(line, 0..40)
}

/// Joins lines with LF or CRLF, and returns the body with the 1-based line
/// numbers of the good lines and of the non-blank garbage lines.
fn join<T>(
    lines: &[BodyLine<T>],
    crlf: bool,
    render: impl Fn(&T) -> String,
) -> (Vec<u8>, Vec<usize>, Vec<usize>) {
    let terminator: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut body = Vec::new();
    let mut good_lines = Vec::new();
    let mut garbage_lines = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        match line {
            BodyLine::Good(record) => {
                body.extend_from_slice(render(record).as_bytes());
                good_lines.push(index + 1);
            }
            BodyLine::Garbage(bytes) => {
                body.extend_from_slice(bytes);
                if !is_blank(bytes) {
                    garbage_lines.push(index + 1);
                }
            }
        }
        body.extend_from_slice(terminator);
    }
    (body, good_lines, garbage_lines)
}

/// Tells whether the parsers skip a line: only ASCII whitespace once a
/// trailing CR is cut.
fn is_blank(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.iter().all(u8::is_ascii_whitespace)
}

/// Counts the lines of `body` that are not blank, the way a reader of a
/// capture would: split on LF, skip a leading byte order mark.
fn non_blank_lines(body: &[u8]) -> usize {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    body.split(|&byte| byte == b'\n')
        .filter(|line| !is_blank(line))
        .count()
}

fn percent_encode(text: &str) -> String {
    text.bytes().map(|byte| format!("%{byte:02X}")).collect()
}

/// Unpacks a ZK packed time, written independently of the encoder.
fn zk_unpack(value: u32) -> Option<NaiveDateTime> {
    let second = value % 60;
    let minute = value / 60 % 60;
    let hour = value / 3_600 % 24;
    let days = value / 86_400;
    let day = days % 31 + 1;
    let month = days / 31 % 12 + 1;
    let year = i32::try_from(days / 31 / 12).ok()? + 2000;
    NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, minute, second)
}

proptest! {
    #[test]
    fn query_any_text_never_panics(raw in ".{0,300}") {
        if let Ok(query) = parse_query(&raw) {
            let sn = query.sn.as_str();
            prop_assert!(!sn.is_empty() && sn.len() <= MAX_SERIAL_NUMBER_LEN);
            prop_assert!(sn.bytes().all(|byte| byte.is_ascii_graphic()));
        }
    }

    #[test]
    fn query_delimiters_never_panic(raw in "[A-Za-z0-9%&=+?#. ]{0,300}") {
        let _ = parse_query(&raw);
    }

    #[test]
    fn query_serial_number_round_trip(
        sn in "[!-~]{1,32}",
        table in "[A-Za-z]{1,12}",
        stamp in any::<u64>(),
    ) {
        let raw = format!("SN={}&table={}&Stamp={}", percent_encode(&sn), table, stamp);
        let query = parse_query(&raw).expect("encoded serial number parses");
        prop_assert_eq!(query.sn.as_str(), sn.as_str());
        prop_assert_eq!(query.table.as_deref(), Some(table.as_str()));
        prop_assert_eq!(query.stamp, Some(stamp));
    }

    #[test]
    fn classify_never_panics(
        method in "[A-Z]{0,8}",
        path in "[a-z/.?]{0,60}",
        raw in "SN=[A-Z0-9]{1,16}(&table=[A-Z]{1,8})?",
    ) {
        let query = parse_query(&raw).expect("generated query has a serial number");
        let _ = classify(&method, &path, &query);
    }

    #[test]
    fn parsers_any_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..4096)) {
        let lines = non_blank_lines(&body);

        let attlog = parse_attlog(&body);
        prop_assert_eq!(attlog.records.len() + attlog.rejected.len(), lines);

        let operlog = parse_operlog(&body);
        prop_assert_eq!(operlog.records.len() + operlog.rejected.len(), lines);

        let devicecmd = parse_devicecmd(&body);
        let details: usize = devicecmd.records.iter().map(|result| result.details.len()).sum();
        prop_assert_eq!(
            devicecmd.records.len() + details + devicecmd.rejected.len(),
            lines
        );
    }

    #[test]
    fn parsers_line_shaped_bytes_never_panic(
        body in prop::collection::vec(
            prop::sample::select(b"0123456789-: \t\r\nID=&ReturnCMDUSERPINName\xEF\xBB\xBF\xC4".to_vec()),
            0..2048,
        ),
    ) {
        let lines = non_blank_lines(&body);
        let attlog = parse_attlog(&body);
        prop_assert_eq!(attlog.records.len() + attlog.rejected.len(), lines);
        let operlog = parse_operlog(&body);
        prop_assert_eq!(operlog.records.len() + operlog.rejected.len(), lines);
        let _ = parse_devicecmd(&body);
    }

    #[test]
    fn attlog_good_lines_survive_garbage(
        lines in body_of(good_punch(), garbage_without(b"\t")),
        crlf in any::<bool>(),
    ) {
        let (body, good_lines, garbage_lines) = join(&lines, crlf, GoodPunch::line);
        let batch = parse_attlog(&body);

        let expected: Vec<&GoodPunch> = lines
            .iter()
            .filter_map(|line| match line {
                BodyLine::Good(punch) => Some(punch),
                BodyLine::Garbage(_) => None,
            })
            .collect();
        prop_assert_eq!(batch.records.len(), expected.len());
        for ((record, punch), line_number) in batch.records.iter().zip(&expected).zip(&good_lines) {
            prop_assert_eq!(&record.pin, &punch.pin);
            prop_assert_eq!(record.local_time, punch.time);
            prop_assert_eq!(record.status, Some(punch.status));
            prop_assert_eq!(record.verify, Some(punch.verify));
            prop_assert_eq!(&record.work_code, &punch.work_code);
            let line_text = punch.line();
            prop_assert_eq!(record.raw.as_slice(), line_text.as_bytes());
            prop_assert_eq!(record.line, *line_number);
        }

        let rejected: Vec<usize> = batch.rejected.iter().map(|rejection| rejection.line).collect();
        prop_assert_eq!(rejected, garbage_lines);
    }

    #[test]
    fn operlog_good_lines_survive_garbage(
        lines in body_of(("[0-9]{1,9}", "([A-Za-z]{1,12}( [A-Za-z]{1,12})?)?|[\u{4e00}-\u{9fa5}]{1,4}"), garbage_without(b" ")),
        crlf in any::<bool>(),
    ) {
        let render = |(pin, name): &(String, String)| {
            format!("USER PIN={pin}\tName={name}\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000")
        };
        let (body, good_lines, garbage_lines) = join(&lines, crlf, render);
        let batch = parse_operlog(&body);

        let expected: Vec<(usize, &String, &String)> = lines
            .iter()
            .filter_map(|line| match line {
                BodyLine::Good((pin, name)) => Some((pin, name)),
                BodyLine::Garbage(_) => None,
            })
            .zip(&good_lines)
            .map(|((pin, name), line)| (*line, pin, name))
            .collect();
        let parsed_users: Vec<(usize, &String, &String)> = batch
            .records
            .iter()
            .filter_map(|entry| match entry {
                OperLogEntry::User(user) => Some((user.line, &user.pin, &user.name)),
                _ => None,
            })
            .collect();
        prop_assert_eq!(parsed_users, expected);
        prop_assert_eq!(batch.records.len(), good_lines.len());

        let rejected: Vec<usize> = batch.rejected.iter().map(|rejection| rejection.line).collect();
        prop_assert_eq!(rejected, garbage_lines);
    }

    #[test]
    fn devicecmd_good_lines_survive_garbage(
        lines in body_of((any::<u32>(), any::<i32>(), "[A-Z]{1,6}( [A-Z]{1,6})?"), garbage_without(b"=")),
        crlf in any::<bool>(),
    ) {
        let render = |(id, code, cmd): &(u32, i32, String)| format!("ID={id}&Return={code}&CMD={cmd}");
        let (body, good_lines, _) = join(&lines, crlf, render);
        let batch = parse_devicecmd(&body);

        let expected: Vec<(usize, u32, i32, &String)> = lines
            .iter()
            .filter_map(|line| match line {
                BodyLine::Good((id, code, cmd)) => Some((*id, *code, cmd)),
                BodyLine::Garbage(_) => None,
            })
            .zip(&good_lines)
            .map(|((id, code, cmd), line)| (*line, id, code, cmd))
            .collect();
        let parsed_results: Vec<(usize, u32, i32, &String)> = batch
            .records
            .iter()
            .map(|result| (result.line, result.id, result.return_code, &result.cmd))
            .collect();
        prop_assert_eq!(parsed_results, expected);
    }

    #[test]
    fn handshake_reply_shape(
        sn in "[!-~]{1,32}",
        attlog in any::<u64>(),
        operlog in any::<u64>(),
        attphoto in any::<u64>(),
    ) {
        let sn = SerialNumber::parse(&sn).expect("generated serial number is valid");
        let options = Options {
            stamps: Stamps { attlog, operlog, attphoto },
            ..Options::default()
        };
        let reply = handshake_reply(&sn, &options).expect("default options are valid");

        prop_assert!(reply.ends_with('\n'));
        let lines: Vec<&str> = reply.lines().collect();
        prop_assert_eq!(lines.len(), 12);
        let first_line = format!("GET OPTION FROM: {sn}");
        let attlog_line = format!("ATTLOGStamp={attlog}");
        let operlog_line = format!("OPERLOGStamp={operlog}");
        let attphoto_line = format!("ATTPHOTOStamp={attphoto}");
        prop_assert_eq!(lines[0], first_line.as_str());
        prop_assert_eq!(lines[1], attlog_line.as_str());
        prop_assert_eq!(lines[2], operlog_line.as_str());
        prop_assert_eq!(lines[3], attphoto_line.as_str());
    }

    #[test]
    fn command_lines_one_line_each(
        commands in prop::collection::vec((any::<u32>(), "[ -~\t]{1,60}"), 1..10),
    ) {
        let commands: Vec<Command> = commands
            .into_iter()
            .map(|(id, text)| Command { id, kind: CommandKind::Raw(text) })
            .collect();
        let reply = command_lines(&commands).expect("printable commands are valid");

        let lines: Vec<&str> = reply.split_terminator('\n').collect();
        prop_assert_eq!(lines.len(), commands.len());
        for (line, command) in lines.iter().zip(&commands) {
            let CommandKind::Raw(text) = &command.kind else {
                unreachable!("only raw commands are generated");
            };
            prop_assert_eq!(*line, format!("C:{}:{}", command.id, text));
        }
    }

    #[test]
    fn zk_packed_time_round_trip(time in local_time()) {
        let packed = zk_packed_time(time).expect("years 2000 to 2099 pack");
        prop_assert_eq!(zk_unpack(packed), Some(time));
    }

    #[test]
    fn zk_packed_time_keeps_order(first in local_time(), second in local_time()) {
        let packed_first = zk_packed_time(first).expect("in range");
        let packed_second = zk_packed_time(second).expect("in range");
        prop_assert_eq!(first.cmp(&second), packed_first.cmp(&packed_second));
    }
}
