//! Operation log uploads from `POST /iclock/cdata?table=OPERLOG`.
//!
//! Each line starts with a record tag and a space:
//!
//! ```text
//! OPLOG 4<TAB>0<TAB>2026-11-02 08:00:00<TAB>0<TAB>0<TAB>0<TAB>0
//! USER PIN=1001<TAB>Name=张三<TAB>Pri=0<TAB>Passwd=<TAB>Card=<TAB>Grp=1<TAB>TZ=0000000100000000
//! FP PIN=1001<TAB>FID=6<TAB>Size=1024<TAB>Valid=1<TAB>TMP=<base64 template>
//! ```
//!
//! `OPLOG` lines (operation code, administrator, time, three values) are kept
//! as text. `USER` lines give the PIN and the name shown on the clock. Other
//! tags, such as `FP`, `FACE` and `USERPIC`, carry biometric templates or
//! photos, which hallbox does not keep: only their tag and line number are
//! returned.

use super::lines::{
    body_lines, check_pin, checked_text, excerpt, BatchParse, LineError, Rejection,
};

/// Maximum length of one OPERLOG line, in bytes. Fingerprint and face
/// template lines run to a few kilobytes of base64; user photo lines can be
/// tens of kilobytes and a longer one is rejected (the clock still gets `OK`).
pub const MAX_OPERLOG_LINE_BYTES: usize = 64 * 1024;

/// Maximum name length, in characters. The name field on ZKTeco clocks holds
/// 24 bytes on older firmware; the cap leaves room for UTF-8 text.
pub const MAX_NAME_LEN: usize = 64;

/// Maximum length of a record tag such as `OPLOG` or `USERPIC`, in bytes.
const MAX_TAG_LEN: usize = 16;

/// One line of an OPERLOG upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperLogEntry {
    /// An `OPLOG` line: an operation done on the clock, kept as received
    /// (without the line terminator).
    OpLog {
        /// The whole line, starting with `OPLOG `.
        text: String,
        /// Line number in the body, counting from 1.
        line: usize,
    },
    /// A `USER` line: a user enrolled or changed on the clock.
    User(UserRecord),
    /// A line with another tag. Its payload (templates, photos) is dropped.
    Other {
        /// The record tag, such as `FP`.
        tag: String,
        /// Line number in the body, counting from 1.
        line: usize,
    },
}

/// The parts of a `USER` line that hallbox keeps.
///
/// The password (`Passwd`) and card number (`Card`) fields are dropped so a
/// clock's secrets never reach the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// User number on the clock.
    pub pin: String,
    /// Name shown on the clock; empty when the clock has none.
    pub name: String,
    /// Line number in the body, counting from 1.
    pub line: usize,
}

/// Parses an OPERLOG upload body.
///
/// A line that is not valid UTF-8 is rejected rather than decoded by
/// guessing: firmware set to a Chinese language may send names in GBK, and
/// those lines are reported so the clock can be switched to UTF-8.
pub fn parse_operlog(body: &[u8]) -> BatchParse<OperLogEntry> {
    let mut batch = BatchParse::default();
    for (line, bytes) in body_lines(body) {
        match parse_line(bytes, line) {
            Ok(entry) => batch.records.push(entry),
            Err(reason) => batch.rejected.push(Rejection { line, reason }),
        }
    }
    batch
}

fn parse_line(bytes: &[u8], line: usize) -> Result<OperLogEntry, LineError> {
    let text = checked_text(bytes, MAX_OPERLOG_LINE_BYTES)?;

    let (tag, rest) = text
        .split_once(' ')
        .filter(|(tag, _)| is_tag(tag))
        .ok_or_else(|| LineError::MissingTag {
            value: excerpt(text),
        })?;

    match tag {
        "OPLOG" => Ok(OperLogEntry::OpLog {
            text: text.to_owned(),
            line,
        }),
        "USER" => parse_user(rest, line).map(OperLogEntry::User),
        _ => Ok(OperLogEntry::Other {
            tag: tag.to_owned(),
            line,
        }),
    }
}

fn is_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= MAX_TAG_LEN
        && tag
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

/// Reads the `PIN` and `Name` fields of a `USER` line. Field names match
/// without regard to ASCII case (`PIN` and `Pin` both occur), and the first
/// occurrence wins.
fn parse_user(fields: &str, line: usize) -> Result<UserRecord, LineError> {
    let field = |name: &str| {
        fields
            .split('\t')
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    };

    let pin = field("PIN")
        .ok_or(LineError::MissingField { key: "PIN" })?
        .trim();
    check_pin(pin, super::attlog::MAX_PIN_LEN)?;

    let name = field("Name").unwrap_or_default().trim();
    if name.chars().count() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(LineError::InvalidName {
            value: excerpt(name),
            max: MAX_NAME_LEN,
        });
    }

    Ok(UserRecord {
        pin: pin.to_owned(),
        name: name.to_owned(),
        line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operlog_user_and_oplog_lines() {
        let body = "OPLOG 4\t0\t2026-11-02 08:00:00\t0\t0\t0\t0\r\n\
                    USER PIN=1001\tName=张三\tPri=0\tPasswd=1234\tCard=[0A1B2C3D]\tGrp=1\tTZ=0000000100000000\tVerify=0\r\n\
                    USER PIN=1002\tName=\tPri=14\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\r\n\
                    FP PIN=1001\tFID=6\tSize=8\tValid=1\tTMP=QUJDRA==\r\n\r\n";
        let batch = parse_operlog(body.as_bytes());

        assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
        assert_eq!(
            batch.records,
            vec![
                OperLogEntry::OpLog {
                    text: "OPLOG 4\t0\t2026-11-02 08:00:00\t0\t0\t0\t0".to_owned(),
                    line: 1
                },
                OperLogEntry::User(UserRecord {
                    pin: "1001".to_owned(),
                    name: "张三".to_owned(),
                    line: 2
                }),
                OperLogEntry::User(UserRecord {
                    pin: "1002".to_owned(),
                    name: String::new(),
                    line: 3
                }),
                OperLogEntry::Other {
                    tag: "FP".to_owned(),
                    line: 4
                },
            ]
        );
    }

    #[test]
    fn operlog_user_secrets_not_kept() {
        let body = b"USER PIN=1001\tName=Li Wei\tPasswd=9876\tCard=13579\n";
        let batch = parse_operlog(body);
        let debug = format!("{:?}", batch);
        assert!(!debug.contains("9876"), "{debug}");
        assert!(!debug.contains("13579"), "{debug}");
    }

    #[test]
    fn operlog_gbk_name_rejected() {
        // "张三" in GBK is C5 C5 C8 FD, which is not valid UTF-8.
        let mut body = b"USER PIN=1001\tName=".to_vec();
        body.extend_from_slice(b"\xD5\xC5\xC8\xFD\tPri=0\n");
        body.extend_from_slice(b"USER PIN=1002\tName=Ma\n");
        let batch = parse_operlog(&body);

        assert_eq!(
            batch.rejected,
            vec![Rejection {
                line: 1,
                reason: LineError::NotUtf8
            }]
        );
        assert_eq!(
            batch.records,
            vec![OperLogEntry::User(UserRecord {
                pin: "1002".to_owned(),
                name: "Ma".to_owned(),
                line: 2
            })]
        );
    }

    #[test]
    fn operlog_bad_lines_rejected() {
        let body = "garbage-without-space\n\
                    USER Name=NoPin\tPri=0\n\
                    USER PIN=\tName=Empty\n\
                    <html> page\n\
                    USER PIN=1003\tName=Tab\u{7}Bell\n\
                    USER pin=1004\tname=Lower\n";
        let batch = parse_operlog(body.as_bytes());

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
                    LineError::MissingTag {
                        value: "garbage-without-space".to_owned()
                    }
                ),
                (2, LineError::MissingField { key: "PIN" }),
                (3, LineError::EmptyPin),
                (
                    4,
                    LineError::MissingTag {
                        value: "<html> page".to_owned()
                    }
                ),
                (
                    5,
                    LineError::InvalidName {
                        value: "Tab\u{7}Bell".to_owned(),
                        max: MAX_NAME_LEN
                    }
                ),
            ]
        );
        assert_eq!(
            batch.records,
            vec![OperLogEntry::User(UserRecord {
                pin: "1004".to_owned(),
                name: "Lower".to_owned(),
                line: 6
            })]
        );
    }

    #[test]
    fn operlog_long_photo_line_rejected() {
        let mut body = b"USERPIC PIN=1001\tFileName=1001.jpg\tSize=99999\tContent=".to_vec();
        body.extend_from_slice(&vec![b'A'; MAX_OPERLOG_LINE_BYTES]);
        body.extend_from_slice(b"\nOPLOG 0\t0\t2026-11-02 08:00:00\t0\t0\t0\t0\n");
        let batch = parse_operlog(&body);

        assert_eq!(batch.rejected.len(), 1);
        assert_eq!(batch.rejected[0].line, 1);
        assert!(matches!(
            batch.rejected[0].reason,
            LineError::TooLong {
                max: MAX_OPERLOG_LINE_BYTES,
                ..
            }
        ));
        assert_eq!(batch.records.len(), 1);
    }
}
