//! Reply bodies for clocks: the handshake option block, `OK` replies and
//! command lines.
//!
//! Every reply is plain text. Lines end with LF, as in the option block
//! template of ZKTeco's PUSH protocol document (`${LF}` between options) and
//! in most server code read. Some servers send CRLF instead.

use chrono::{Datelike, NaiveDateTime, NaiveTime, Timelike};

use super::query::SerialNumber;

/// Line terminator of every multi-line reply.
const LINE_END: &str = "\n";

/// Maximum length of a raw command or an option value, in bytes.
pub const MAX_COMMAND_TEXT_LEN: usize = 4 * 1024;

/// First year the ZK packed time can hold; it counts years from 2000.
const ZK_TIME_FIRST_YEAR: i32 = 2000;

/// Last year accepted for the ZK packed time. Some public encoders use the
/// year modulo 100, which agrees with this encoding only up to 2099, so later
/// years are rejected.
const ZK_TIME_LAST_YEAR: i32 = 2099;

/// Errors from building a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// A text value is empty, too long, or contains a line break or another
    /// control character, which would end the option or command line early.
    #[error("invalid {field} '{value}': expected 1 to {max} characters without line breaks or control characters")]
    InvalidText {
        field: &'static str,
        value: String,
        max: usize,
    },

    /// `trans_times` is empty.
    #[error("trans_times is empty (give at least one HH:MM upload time, such as 00:00)")]
    NoTransTimes,

    /// A time to set on a clock is outside the years the ZK packed time holds.
    #[error("cannot set a clock to {value}: the ZK time encoding holds years 2000 to 2099")]
    TimeOutOfRange { value: NaiveDateTime },
}

/// Upload stamps returned in the handshake, one per table.
///
/// A clock reports the stamp of each upload batch in the `Stamp` parameter.
/// The server stores the last stamp of each table after storing the batch
/// and returns it here, so a restarted clock or server resumes after the
/// last stored batch instead of sending its whole log again.
// NOTE: what a clock does with a stamp of 0 (before its first stored batch)
// is not documented in the sources read. It may upload every record it
// holds, so the journal must deduplicate punches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamps {
    /// `ATTLOGStamp`: last stored attendance batch.
    pub attlog: u64,
    /// `OPERLOGStamp`: last stored operation log batch.
    pub operlog: u64,
    /// `ATTPHOTOStamp`: last stored photo batch.
    pub attphoto: u64,
}

/// The options a server sends a clock in the handshake reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Per-table upload stamps.
    pub stamps: Stamps,
    /// `ErrorDelay`: seconds the clock waits before retrying after a failed
    /// request.
    pub error_delay_secs: u32,
    /// `Delay`: seconds between two `getrequest` polls.
    pub delay_secs: u32,
    /// `TransTimes`: local times of day at which the clock uploads whatever
    /// it has not uploaded yet.
    pub trans_times: Vec<NaiveTime>,
    /// `TransInterval`: minutes between checks for new data to upload.
    pub trans_interval_mins: u32,
    /// `TransFlag`: which data the clock uploads, as space-separated names
    /// (`TransData AttLog OpLog EnrollUser ChgUser`) or as the digit form
    /// some servers send (`1111000000`).
    pub trans_flag: String,
    /// `TimeZone`: the server's offset from UTC, in whole hours.
    pub time_zone_hours: i8,
    /// `Realtime`: upload each punch as it happens instead of waiting for
    /// the next `TransInterval`.
    pub realtime: bool,
    /// `Encrypt`: whether the clock encrypts bodies. hallbox reads plain
    /// bodies only, so leave this `false` (sent as `Encrypt=None`).
    pub encrypt: bool,
    /// `ServerVer`: a server version string, omitted when `None`.
    pub server_version: Option<String>,
}

impl Default for Options {
    /// Options for a hall clock: real-time punches, polls every 10 seconds,
    /// retries after 30 seconds, catch-up uploads at 00:00 and 14:05,
    /// attendance and user records but no photos or fingerprint templates,
    /// China Standard Time (UTC+8), and stamps of 0.
    fn default() -> Self {
        Self {
            stamps: Stamps::default(),
            error_delay_secs: 30,
            delay_secs: 10,
            trans_times: vec![NaiveTime::MIN, hour_minute(14, 5)],
            trans_interval_mins: 1,
            trans_flag: "TransData AttLog OpLog EnrollUser ChgUser".to_owned(),
            time_zone_hours: 8,
            realtime: true,
            encrypt: false,
            server_version: None,
        }
    }
}

fn hour_minute(hour: u32, minute: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN)
}

/// Builds the handshake reply: `GET OPTION FROM: <SN>` and one option per
/// line, every line ending with LF.
pub fn handshake_reply(sn: &SerialNumber, options: &Options) -> Result<String, ReplyError> {
    check_text("trans_flag", &options.trans_flag)?;
    if let Some(version) = &options.server_version {
        check_text("server_version", version)?;
    }
    if options.trans_times.is_empty() {
        return Err(ReplyError::NoTransTimes);
    }

    let trans_times = options
        .trans_times
        .iter()
        .map(|time| time.format("%H:%M").to_string())
        .collect::<Vec<_>>()
        .join(";");

    let mut lines = vec![
        format!("GET OPTION FROM: {sn}"),
        format!("ATTLOGStamp={}", options.stamps.attlog),
        format!("OPERLOGStamp={}", options.stamps.operlog),
        format!("ATTPHOTOStamp={}", options.stamps.attphoto),
        format!("ErrorDelay={}", options.error_delay_secs),
        format!("Delay={}", options.delay_secs),
        format!("TransTimes={trans_times}"),
        format!("TransInterval={}", options.trans_interval_mins),
        format!("TransFlag={}", options.trans_flag),
        format!("TimeZone={}", options.time_zone_hours),
        format!("Realtime={}", u8::from(options.realtime)),
        format!("Encrypt={}", if options.encrypt { "1" } else { "None" }),
    ];
    if let Some(version) = &options.server_version {
        lines.push(format!("ServerVer={version}"));
    }

    Ok(lines.into_iter().map(|line| line + LINE_END).collect())
}

/// Returns `OK`, the reply to an upload other than ATTLOG, a command result
/// report, a ping, and a command poll with nothing queued.
pub fn ok() -> String {
    "OK".to_owned()
}

/// Returns `OK: <count>`, the reply to an ATTLOG upload after `count`
/// records are stored.
pub fn ok_count(count: usize) -> String {
    format!("OK: {count}")
}

/// A command for a clock, sent in reply to `GET /iclock/getrequest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Command id, echoed back by the clock in `POST /iclock/devicecmd`.
    pub id: u32,
    /// Action the clock performs.
    pub kind: CommandKind,
}

/// Action of a [`Command`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandKind {
    /// Set the clock's wall-clock time:
    /// `SET OPTION DateTime=<ZK packed time>` (see [`zk_packed_time`]).
    // NOTE: the command spelling is not confirmed on the hall's clocks.
    // ZKTeco's access-control PUSH document gives
    // `SET OPTIONS DateTime=583080894` (plural) with the packed time.
    // Attendance servers send the singular `SET OPTION` with the packed time,
    // and some send `YYYY-MM-DD HH:MM:SS`. When commissioning, check for
    // `Return=0` in the devicecmd result and the clock's display, and send
    // `Raw` with another spelling if the clock rejects this one.
    SetDateTime(NaiveDateTime),
    /// Restart the clock: `REBOOT`.
    Reboot,
    /// Any other command text, such as `INFO` or `CHECK`, sent as given.
    /// Tabs are allowed because `DATA UPDATE USERINFO` uses them. Line breaks
    /// and other control characters are rejected.
    Raw(String),
}

/// Builds the reply to a command poll: one `C:<id>:<command>` line per
/// command, each ending with LF, or `OK` when there are no commands.
pub fn command_lines(commands: &[Command]) -> Result<String, ReplyError> {
    if commands.is_empty() {
        return Ok(ok());
    }

    let mut reply = String::new();
    for command in commands {
        let text = match &command.kind {
            CommandKind::SetDateTime(time) => {
                format!("SET OPTION DateTime={}", zk_packed_time(*time)?)
            }
            CommandKind::Reboot => "REBOOT".to_owned(),
            CommandKind::Raw(text) => {
                check_text("command", text)?;
                text.clone()
            }
        };
        reply.push_str(&format!("C:{}:{}{}", command.id, text, LINE_END));
    }
    Ok(reply)
}

/// Packs a wall-clock time the way ZKTeco firmware stores it: seconds in a
/// calendar of 12 months of 31 days each, counted from 2000-01-01 00:00:00.
///
/// ```text
/// ((year - 2000) * 12 * 31 + (month - 1) * 31 + day - 1) * 86400
///     + hour * 3600 + minute * 60 + second
/// ```
///
/// It is not a Unix time: the packing leaves gaps after short months.
/// ZKTeco's access-control PUSH document gives 583080894 for
/// 2018-02-22 14:54:54.
pub fn zk_packed_time(time: NaiveDateTime) -> Result<u32, ReplyError> {
    let year = time.year();
    if !(ZK_TIME_FIRST_YEAR..=ZK_TIME_LAST_YEAR).contains(&year) {
        return Err(ReplyError::TimeOutOfRange { value: time });
    }

    // Years 2000 to 2099 keep the result below 100 * 372 * 86400, which is
    // less than u32::MAX, so the arithmetic cannot overflow.
    let years = year.unsigned_abs() - ZK_TIME_FIRST_YEAR.unsigned_abs();
    let days = (years * 12 + time.month0()) * 31 + time.day0();
    Ok(days * 86_400 + time.num_seconds_from_midnight())
}

/// Checks a text value sent inside one reply line.
fn check_text(field: &'static str, value: &str) -> Result<(), ReplyError> {
    let valid = !value.is_empty()
        && value.len() <= MAX_COMMAND_TEXT_LEN
        && !value.chars().any(|c| c.is_control() && c != '\t');
    if valid {
        Ok(())
    } else {
        Err(ReplyError::InvalidText {
            field,
            value: value.chars().take(40).collect(),
            max: MAX_COMMAND_TEXT_LEN,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn serial(text: &str) -> SerialNumber {
        SerialNumber::parse(text).unwrap()
    }

    #[test]
    fn handshake_default_options_exact() {
        let options = Options {
            stamps: Stamps {
                attlog: 583080894,
                operlog: 9999,
                attphoto: 0,
            },
            ..Options::default()
        };
        let reply = handshake_reply(&serial("CKJ4213600282"), &options).unwrap();
        assert_eq!(
            reply,
            "GET OPTION FROM: CKJ4213600282\n\
             ATTLOGStamp=583080894\n\
             OPERLOGStamp=9999\n\
             ATTPHOTOStamp=0\n\
             ErrorDelay=30\n\
             Delay=10\n\
             TransTimes=00:00;14:05\n\
             TransInterval=1\n\
             TransFlag=TransData AttLog OpLog EnrollUser ChgUser\n\
             TimeZone=8\n\
             Realtime=1\n\
             Encrypt=None\n"
        );
    }

    #[test]
    fn handshake_other_values_exact() {
        let options = Options {
            stamps: Stamps::default(),
            error_delay_secs: 60,
            delay_secs: 30,
            trans_times: vec![hour_minute(9, 0), hour_minute(12, 30), hour_minute(18, 0)],
            trans_interval_mins: 5,
            trans_flag: "1111000000".to_owned(),
            time_zone_hours: -5,
            realtime: false,
            encrypt: false,
            server_version: Some("2.4.1".to_owned()),
        };
        let reply = handshake_reply(&serial("A1"), &options).unwrap();
        assert_eq!(
            reply,
            "GET OPTION FROM: A1\nATTLOGStamp=0\nOPERLOGStamp=0\nATTPHOTOStamp=0\n\
             ErrorDelay=60\nDelay=30\nTransTimes=09:00;12:30;18:00\nTransInterval=5\n\
             TransFlag=1111000000\nTimeZone=-5\nRealtime=0\nEncrypt=None\nServerVer=2.4.1\n"
        );
    }

    #[test]
    fn handshake_rejects_line_breaks() {
        let options = Options {
            trans_flag: "AttLog\nDelay=1".to_owned(),
            ..Options::default()
        };
        assert!(matches!(
            handshake_reply(&serial("A1"), &options),
            Err(ReplyError::InvalidText {
                field: "trans_flag",
                ..
            })
        ));

        let options = Options {
            server_version: Some("1\r".to_owned()),
            ..Options::default()
        };
        assert!(matches!(
            handshake_reply(&serial("A1"), &options),
            Err(ReplyError::InvalidText {
                field: "server_version",
                ..
            })
        ));

        let options = Options {
            trans_times: Vec::new(),
            ..Options::default()
        };
        assert_eq!(
            handshake_reply(&serial("A1"), &options),
            Err(ReplyError::NoTransTimes)
        );
    }

    #[test]
    fn ok_replies() {
        assert_eq!(ok(), "OK");
        assert_eq!(ok_count(0), "OK: 0");
        assert_eq!(ok_count(37), "OK: 37");
    }

    #[test]
    fn packed_time_values() {
        // The worked value in ZKTeco's PUSH document.
        assert_eq!(zk_packed_time(time("2018-02-22 14:54:54")), Ok(583_080_894));
        assert_eq!(zk_packed_time(time("2000-01-01 00:00:00")), Ok(0));
        // ((26 * 12 + 10) * 31 + 1) * 86400 + 8 * 3600 = 862_531_200 + 28_800.
        assert_eq!(zk_packed_time(time("2026-11-02 08:00:00")), Ok(862_560_000));
        // ((99 * 12 + 11) * 31 + 30) * 86400 + 86399.
        assert_eq!(
            zk_packed_time(time("2099-12-31 23:59:59")),
            Ok(3_214_079_999)
        );
        assert_eq!(
            zk_packed_time(time("1999-12-31 23:59:59")),
            Err(ReplyError::TimeOutOfRange {
                value: time("1999-12-31 23:59:59")
            })
        );
        assert!(zk_packed_time(time("2100-01-01 00:00:00")).is_err());
    }

    #[test]
    fn command_lines_exact() {
        let commands = [
            Command {
                id: 12,
                kind: CommandKind::SetDateTime(time("2026-11-02 08:00:00")),
            },
            Command {
                id: 13,
                kind: CommandKind::Reboot,
            },
            Command {
                id: 14,
                kind: CommandKind::Raw("DATA UPDATE USERINFO PIN=1001\tName=Ma".to_owned()),
            },
        ];
        assert_eq!(
            command_lines(&commands).unwrap(),
            "C:12:SET OPTION DateTime=862560000\n\
             C:13:REBOOT\n\
             C:14:DATA UPDATE USERINFO PIN=1001\tName=Ma\n"
        );
    }

    #[test]
    fn command_lines_empty_is_ok() {
        assert_eq!(command_lines(&[]).unwrap(), "OK");
    }

    #[test]
    fn command_lines_rejects_bad_text() {
        for text in ["", "REBOOT\nC:99:CLEAR DATA", "INFO\r", "A\u{0}B"] {
            let commands = [Command {
                id: 1,
                kind: CommandKind::Raw(text.to_owned()),
            }];
            assert!(
                matches!(
                    command_lines(&commands),
                    Err(ReplyError::InvalidText {
                        field: "command",
                        ..
                    })
                ),
                "{text:?}"
            );
        }

        let commands = [Command {
            id: 1,
            kind: CommandKind::SetDateTime(time("2101-01-01 00:00:00")),
        }];
        assert!(matches!(
            command_lines(&commands),
            Err(ReplyError::TimeOutOfRange { .. })
        ));
    }
}
