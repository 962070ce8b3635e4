//! Command results from `POST /iclock/devicecmd`.
//!
//! After running commands from a `getrequest` reply, a clock posts one line
//! per command:
//!
//! ```text
//! ID=12&Return=0&CMD=SET OPTION
//! ```
//!
//! `ID` is the id the server put in `C:<id>:...`, and `CMD` names the
//! command. `Return` is the result: 0 is success for `SET OPTION`, `REBOOT`
//! and `DATA UPDATE`, and some commands return a count instead. Some
//! commands, such as `INFO`, are followed by `key=value` detail lines, which
//! are attached to the result before them.

use super::lines::{body_lines, checked_text, excerpt, BatchParse, LineError, Rejection};

/// Maximum length of one devicecmd line, in bytes. Result lines are under
/// 100 bytes; detail lines of an `INFO` reply are short `key=value` pairs.
pub const MAX_DEVICECMD_LINE_BYTES: usize = 4 * 1024;

/// The result of one server command, as reported by the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCmdResult {
    /// The command id from `C:<id>:...`.
    pub id: u32,
    /// The `Return` value: 0 for success on most commands, negative for
    /// errors, a record count on data queries.
    pub return_code: i32,
    /// The `CMD` value, such as `SET OPTION`; empty when the clock sent none.
    pub cmd: String,
    /// Lines after the result line that are not results themselves, such as
    /// the `key=value` lines of an `INFO` reply.
    pub details: Vec<String>,
    /// Line number of the result line, counting from 1.
    pub line: usize,
}

/// Parses a devicecmd body.
///
/// A line whose first `&`-separated field is `ID=` is a result line; it needs
/// a numeric `ID` and `Return`. Other lines are details of the result line
/// before them. A detail line is rejected when no result line came before it
/// or when that result line was rejected.
pub fn parse_devicecmd(body: &[u8]) -> BatchParse<DeviceCmdResult> {
    let mut batch: BatchParse<DeviceCmdResult> = BatchParse::default();
    let mut last_result_kept = false;

    for (line, bytes) in body_lines(body) {
        let is_result = is_result_line(bytes);
        let parsed = checked_text(bytes, MAX_DEVICECMD_LINE_BYTES).and_then(|text| {
            if is_result {
                parse_result(text, line).map(Line::Result)
            } else {
                Ok(Line::Detail(text.trim().to_owned()))
            }
        });

        match parsed {
            Ok(Line::Result(result)) => {
                batch.records.push(result);
                last_result_kept = true;
            }
            Ok(Line::Detail(detail)) => {
                match batch.records.last_mut().filter(|_| last_result_kept) {
                    Some(previous) => previous.details.push(detail),
                    None => batch.rejected.push(Rejection {
                        line,
                        reason: LineError::DetailWithoutResult {
                            value: excerpt(&detail),
                        },
                    }),
                }
            }
            Err(reason) => {
                if is_result {
                    last_result_kept = false;
                }
                batch.rejected.push(Rejection { line, reason });
            }
        }
    }
    batch
}

enum Line {
    Result(DeviceCmdResult),
    Detail(String),
}

/// Tells whether the first `&`-separated field of a line is `ID=...`.
fn is_result_line(bytes: &[u8]) -> bool {
    let first = bytes.split(|&byte| byte == b'&').next().unwrap_or_default();
    let key = first.split(|&byte| byte == b'=').next().unwrap_or_default();
    first.contains(&b'=') && key.trim_ascii().eq_ignore_ascii_case(b"ID")
}

fn parse_result(text: &str, line: usize) -> Result<DeviceCmdResult, LineError> {
    let field = |name: &str| {
        text.split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim())
    };

    let id_text = field("ID").ok_or(LineError::MissingField { key: "ID" })?;
    let id = id_text.parse().map_err(|_| LineError::InvalidNumber {
        key: "ID",
        value: excerpt(id_text),
    })?;

    let return_text = field("Return").ok_or(LineError::MissingField { key: "Return" })?;
    let return_code = return_text.parse().map_err(|_| LineError::InvalidNumber {
        key: "Return",
        value: excerpt(return_text),
    })?;

    Ok(DeviceCmdResult {
        id,
        return_code,
        cmd: field("CMD").unwrap_or_default().to_owned(),
        details: Vec::new(),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: u32, return_code: i32, cmd: &str, line: usize) -> DeviceCmdResult {
        DeviceCmdResult {
            id,
            return_code,
            cmd: cmd.to_owned(),
            details: Vec::new(),
            line,
        }
    }

    #[test]
    fn devicecmd_single_result() {
        let batch = parse_devicecmd(b"ID=12&Return=0&CMD=SET OPTION\n");
        assert!(batch.rejected.is_empty());
        assert_eq!(batch.records, vec![result(12, 0, "SET OPTION", 1)]);
    }

    #[test]
    fn devicecmd_several_results_crlf() {
        let body = b"ID=12&Return=0&CMD=SET OPTION\r\nID=13&Return=-1002&CMD=DATA\r\n\r\n";
        let batch = parse_devicecmd(body);
        assert!(batch.rejected.is_empty());
        assert_eq!(
            batch.records,
            vec![result(12, 0, "SET OPTION", 1), result(13, -1002, "DATA", 2)]
        );
    }

    #[test]
    fn devicecmd_info_details() {
        let body = b"ID=14&Return=0&CMD=INFO\n~DeviceName=iFace702\nMAC=00:17:61:10:00:01\n";
        let batch = parse_devicecmd(body);
        assert!(batch.rejected.is_empty());
        assert_eq!(batch.records.len(), 1);
        assert_eq!(
            batch.records[0].details,
            vec![
                "~DeviceName=iFace702".to_owned(),
                "MAC=00:17:61:10:00:01".to_owned()
            ]
        );
    }

    #[test]
    fn devicecmd_missing_cmd() {
        let batch = parse_devicecmd(b"ID=15&Return=0");
        assert_eq!(batch.records, vec![result(15, 0, "", 1)]);
    }

    #[test]
    fn devicecmd_bad_lines_rejected() {
        let body = b"Return=0&CMD=REBOOT\n\
                     ID=abc&Return=0&CMD=REBOOT\n\
                     ID=16&CMD=REBOOT\n\
                     ID=17&Return=ok&CMD=REBOOT\n\
                     ID=4294967296&Return=0\n\
                     ID=18&Return=0&CMD=REBOOT\n";
        let batch = parse_devicecmd(body);

        let reasons: Vec<(usize, LineError)> = batch
            .rejected
            .iter()
            .map(|rejection| (rejection.line, rejection.reason.clone()))
            .collect();
        assert_eq!(
            reasons,
            vec![
                (
                    1,
                    LineError::DetailWithoutResult {
                        value: "Return=0&CMD=REBOOT".to_owned()
                    }
                ),
                (
                    2,
                    LineError::InvalidNumber {
                        key: "ID",
                        value: "abc".to_owned()
                    }
                ),
                (3, LineError::MissingField { key: "Return" }),
                (
                    4,
                    LineError::InvalidNumber {
                        key: "Return",
                        value: "ok".to_owned()
                    }
                ),
                (
                    5,
                    LineError::InvalidNumber {
                        key: "ID",
                        value: "4294967296".to_owned()
                    }
                ),
            ]
        );
        assert_eq!(batch.records, vec![result(18, 0, "REBOOT", 6)]);
    }

    #[test]
    fn devicecmd_details_of_rejected_result() {
        let body = b"ID=20&Return=0&CMD=INFO\nFirmVer=Ver 6.60\n\
                     ID=x&Return=0&CMD=INFO\nMAC=00:17:61:10:00:02\n";
        let batch = parse_devicecmd(body);

        assert_eq!(batch.records.len(), 1);
        assert_eq!(
            batch.records[0].details,
            vec!["FirmVer=Ver 6.60".to_owned()]
        );
        let lines: Vec<usize> = batch.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4]);
        assert_eq!(
            batch.rejected[1].reason,
            LineError::DetailWithoutResult {
                value: "MAC=00:17:61:10:00:02".to_owned()
            }
        );
    }
}
