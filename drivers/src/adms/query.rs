//! Query strings of `/iclock/...` requests.
//!
//! Every request a clock sends names the clock with `SN=<serial>`, and most
//! carry more parameters: `options=all`, `pushver` and `language` on the
//! handshake, `table` and `Stamp` on uploads, `INFO` on some command polls.
//! [`parse_query`] percent-decodes every parameter, keeps all of them in
//! order, and validates the serial number because it names the clock in
//! replies, logs and the journal.

use std::borrow::Cow;
use std::fmt;

/// Maximum length of a serial number, in bytes. The ZKTeco serials seen in
/// public server code have 13 characters, and 32 is an estimate that leaves
/// room for longer ones.
pub const MAX_SERIAL_NUMBER_LEN: usize = 32;

/// Maximum length of a query string, in bytes. Clock query strings are short
/// (the `INFO` list on a command poll is the largest part), and 8 KiB is an
/// estimate with a wide margin.
pub const MAX_QUERY_LEN: usize = 8 * 1024;

/// A clock's serial number: 1 to [`MAX_SERIAL_NUMBER_LEN`] printable ASCII
/// characters without spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SerialNumber(String);

impl SerialNumber {
    /// Validates a serial number.
    pub fn parse(value: &str) -> Result<Self, QueryError> {
        let valid = !value.is_empty()
            && value.len() <= MAX_SERIAL_NUMBER_LEN
            && value.bytes().all(|byte| byte.is_ascii_graphic());
        if !valid {
            return Err(QueryError::InvalidSerialNumber {
                value: value.chars().take(MAX_SERIAL_NUMBER_LEN + 8).collect(),
                max: MAX_SERIAL_NUMBER_LEN,
            });
        }
        Ok(Self(value.to_owned()))
    }

    /// Returns the serial number as the clock sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SerialNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Errors from parsing a query string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The query string is longer than [`MAX_QUERY_LEN`].
    #[error("query string is {len} bytes, longer than the {max}-byte limit (check the clock's server address)")]
    TooLong { len: usize, max: usize },

    /// No `SN` parameter.
    #[error("query has no SN parameter (every /iclock request names its clock with SN=<serial>)")]
    MissingSerialNumber,

    /// `SN` is empty, too long, or contains characters other than printable
    /// ASCII.
    #[error("invalid serial number '{value}': expected 1 to {max} printable ASCII characters without spaces")]
    InvalidSerialNumber { value: String, max: usize },

    /// Two `SN` parameters with different values.
    #[error("query names two serial numbers, '{first}' and '{second}'; a request must come from one clock")]
    ConflictingSerialNumbers { first: String, second: String },
}

/// The parameters of one `/iclock/...` request.
///
/// Known parameters are decoded into fields; `params` keeps every parameter,
/// known or not, in the order the clock sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// `SN`: the clock's serial number.
    pub sn: SerialNumber,
    /// `table`: the uploaded table on `POST /iclock/cdata`, such as `ATTLOG`.
    pub table: Option<String>,
    /// `Stamp`: the stamp of an upload batch. `None` when absent or not a
    /// whole number (some firmware sends `None`); the text stays in `params`.
    pub stamp: Option<u64>,
    /// `options`: `all` on the handshake.
    pub options: Option<String>,
    /// `pushver`: the firmware's push protocol version, such as `2.4.1`.
    pub push_version: Option<String>,
    /// `language`: the firmware's language code, such as `83`.
    pub language: Option<String>,
    /// Every parameter as decoded `(name, value)` pairs, in request order,
    /// including the ones above.
    pub params: Vec<(String, String)>,
}

impl Query {
    /// Returns the first value of parameter `name`, matching the name without
    /// regard to ASCII case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Parses the query string of a request, without the leading `?`.
///
/// Parameters are split on `&` and at the first `=`. Names and values are
/// percent-decoded and `+` becomes a space, as in HTML form encoding. A `%`
/// not followed by two hex digits stays as it is. Decoded bytes that are not
/// UTF-8 become U+FFFD in `params`, and such an `SN` is rejected. Known names
/// match without regard to ASCII case, because firmware revisions spell them
/// differently (`SN` and `sn`). The first occurrence of a name wins.
pub fn parse_query(raw: &str) -> Result<Query, QueryError> {
    if raw.len() > MAX_QUERY_LEN {
        return Err(QueryError::TooLong {
            len: raw.len(),
            max: MAX_QUERY_LEN,
        });
    }

    let params: Vec<(String, String)> = raw
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect();

    let sn = serial_number(&params)?;
    let first = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };

    Ok(Query {
        sn,
        table: first("table"),
        stamp: first("Stamp").and_then(|value| value.trim().parse().ok()),
        options: first("options"),
        push_version: first("pushver"),
        language: first("language"),
        params,
    })
}

/// Finds and validates the `SN` parameter.
fn serial_number(params: &[(String, String)]) -> Result<SerialNumber, QueryError> {
    let mut values = params
        .iter()
        .filter(|(key, _)| key.eq_ignore_ascii_case("SN"))
        .map(|(_, value)| value.as_str());

    let first = values.next().ok_or(QueryError::MissingSerialNumber)?;
    if let Some(second) = values.find(|value| *value != first) {
        return Err(QueryError::ConflictingSerialNumbers {
            first: first.chars().take(MAX_SERIAL_NUMBER_LEN).collect(),
            second: second.chars().take(MAX_SERIAL_NUMBER_LEN).collect(),
        });
    }
    SerialNumber::parse(first)
}

/// Decodes `%XX` escapes and `+`, leaving malformed escapes as they are.
fn percent_decode(text: &str) -> String {
    if !text.contains(['%', '+']) {
        return text.to_owned();
    }

    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let escaped = match (byte, bytes.get(index + 1), bytes.get(index + 2)) {
            (b'%', Some(&high), Some(&low)) => hex_value(high).zip(hex_value(low)),
            _ => None,
        };
        match (byte, escaped) {
            (_, Some((high, low))) => {
                decoded.push(high << 4 | low);
                index += 3;
            }
            (b'+', None) => {
                decoded.push(b' ');
                index += 1;
            }
            (_, None) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }

    match String::from_utf8_lossy(&decoded) {
        Cow::Borrowed(text) => text.to_owned(),
        Cow::Owned(text) => text,
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_handshake_fields() {
        let query = parse_query("SN=CKJ4213600282&options=all&pushver=2.4.1&language=83").unwrap();
        assert_eq!(query.sn.as_str(), "CKJ4213600282");
        assert_eq!(query.options.as_deref(), Some("all"));
        assert_eq!(query.push_version.as_deref(), Some("2.4.1"));
        assert_eq!(query.language.as_deref(), Some("83"));
        assert_eq!(query.table, None);
        assert_eq!(query.stamp, None);
        assert_eq!(query.params.len(), 4);
    }

    #[test]
    fn query_upload_fields() {
        let query = parse_query("SN=CKJ4213600282&table=ATTLOG&Stamp=9999").unwrap();
        assert_eq!(query.table.as_deref(), Some("ATTLOG"));
        assert_eq!(query.stamp, Some(9999));
    }

    #[test]
    fn query_stamp_not_a_number() {
        let query = parse_query("SN=A1&table=ATTPHOTO&Stamp=None").unwrap();
        assert_eq!(query.stamp, None);
        assert_eq!(query.get("stamp"), Some("None"));
    }

    #[test]
    fn query_names_ignore_case() {
        let query = parse_query("sn=A1&TABLE=OPERLOG&stamp=12").unwrap();
        assert_eq!(query.sn.as_str(), "A1");
        assert_eq!(query.table.as_deref(), Some("OPERLOG"));
        assert_eq!(query.stamp, Some(12));
    }

    #[test]
    fn query_unknown_params_kept() {
        let query = parse_query("SN=A1&INFO=Ver%202.4.1%2C3%2C0%2C12%2C192.168.1.201&x").unwrap();
        assert_eq!(
            query.params,
            vec![
                ("SN".to_owned(), "A1".to_owned()),
                (
                    "INFO".to_owned(),
                    "Ver 2.4.1,3,0,12,192.168.1.201".to_owned()
                ),
                ("x".to_owned(), String::new()),
            ]
        );
        assert_eq!(query.get("info"), Some("Ver 2.4.1,3,0,12,192.168.1.201"));
    }

    #[test]
    fn query_percent_decoding() {
        assert_eq!(percent_decode("a%2Bb+c"), "a+b c");
        assert_eq!(percent_decode("%E5%BC%A0"), "张");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%ff"), "\u{FFFD}");
    }

    #[test]
    fn query_serial_number_rules() {
        assert_eq!(
            parse_query("options=all"),
            Err(QueryError::MissingSerialNumber)
        );
        assert!(matches!(
            parse_query("SN="),
            Err(QueryError::InvalidSerialNumber { .. })
        ));
        assert!(matches!(
            parse_query("SN=AB+12"),
            Err(QueryError::InvalidSerialNumber { .. })
        ));
        assert!(matches!(
            parse_query("SN=%E5%BC%A0"),
            Err(QueryError::InvalidSerialNumber { .. })
        ));
        assert!(matches!(
            parse_query("SN=A%0D%0AB"),
            Err(QueryError::InvalidSerialNumber { .. })
        ));
        let long = format!("SN={}", "A".repeat(MAX_SERIAL_NUMBER_LEN + 1));
        assert!(matches!(
            parse_query(&long),
            Err(QueryError::InvalidSerialNumber { .. })
        ));
        let longest = format!("SN={}", "A".repeat(MAX_SERIAL_NUMBER_LEN));
        assert!(parse_query(&longest).is_ok());
    }

    #[test]
    fn query_duplicate_serial_numbers() {
        assert!(parse_query("SN=A1&sn=A1").is_ok());
        assert_eq!(
            parse_query("SN=A1&sn=B2"),
            Err(QueryError::ConflictingSerialNumbers {
                first: "A1".to_owned(),
                second: "B2".to_owned()
            })
        );
    }

    #[test]
    fn query_too_long() {
        let raw = format!("SN=A1&pad={}", "x".repeat(MAX_QUERY_LEN));
        assert_eq!(
            parse_query(&raw),
            Err(QueryError::TooLong {
                len: raw.len(),
                max: MAX_QUERY_LEN
            })
        );
    }
}
