//! Line splitting shared by the upload body parsers, and the reasons a line
//! is rejected.
//!
//! Clocks end lines with LF or CRLF and often add blank lines at the end of a
//! body. Some firmware also puts a UTF-8 byte order mark before the first
//! line. [`body_lines`] hides all three and yields one record per line,
//! numbered from 1 as the lines appear in the body.

/// UTF-8 byte order mark, which some firmware writes before the first line.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Maximum characters of a rejected value that a [`LineError`] keeps, so a
/// garbage line cannot make an error message as long as the line.
const MAX_EXCERPT_CHARS: usize = 40;

/// A batch of records parsed from one upload body, with the lines that did
/// not parse.
///
/// Every non-blank line of the body ends up in exactly one of the two lists,
/// except device command result detail lines, which join the result before
/// them (see [`parse_devicecmd`](super::parse_devicecmd)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchParse<T> {
    /// Records that parsed, in body order.
    pub records: Vec<T>,
    /// Lines that did not parse, in body order.
    pub rejected: Vec<Rejection>,
}

impl<T> Default for BatchParse<T> {
    fn default() -> Self {
        Self {
            records: Vec::new(),
            rejected: Vec::new(),
        }
    }
}

/// One rejected line: where it was and why it did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Line number in the body, counting from 1 and including blank lines.
    pub line: usize,
    /// Reason the line was rejected.
    pub reason: LineError,
}

/// Reason a line of an upload body was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The line is longer than the parser's cap.
    #[error("line is {len} bytes, longer than the {max}-byte limit for this table (check that the clock posts this table to this path)")]
    TooLong { len: usize, max: usize },

    /// The line is not valid UTF-8.
    #[error("line is not valid UTF-8 (set the clock to UTF-8 text; GBK firmware sends Chinese names that cannot be read without guessing)")]
    NotUtf8,

    /// An ATTLOG line has fewer tab-separated columns than PIN and time.
    #[error("line has {found} tab-separated column(s), expected at least {min} (PIN and time)")]
    TooFewColumns { found: usize, min: usize },

    /// The PIN column or `PIN=` field is empty.
    #[error("PIN is empty (the clock sent a record without a user number)")]
    EmptyPin,

    /// The PIN is too long or contains characters other than printable ASCII.
    #[error("invalid PIN '{value}': expected 1 to {max} printable ASCII characters")]
    InvalidPin { value: String, max: usize },

    /// The time column is not `YYYY-MM-DD HH:MM:SS` or names no real date.
    #[error("invalid time '{value}': expected a real date and time as YYYY-MM-DD HH:MM:SS")]
    InvalidTime { value: String },

    /// The status column is not a number from 0 to 255.
    #[error("invalid status '{value}': expected a number from 0 to 255")]
    InvalidStatus { value: String },

    /// The verify column is not a number from 0 to 65535.
    #[error("invalid verify mode '{value}': expected a number from 0 to 65535")]
    InvalidVerify { value: String },

    /// The work code is too long or contains control characters.
    #[error(
        "invalid work code '{value}': expected at most {max} characters without control characters"
    )]
    InvalidWorkCode { value: String, max: usize },

    /// A name contains control characters or is too long.
    #[error(
        "invalid name '{value}': expected at most {max} characters without control characters"
    )]
    InvalidName { value: String, max: usize },

    /// An OPERLOG line does not start with a record tag such as `OPLOG` or
    /// `USER` followed by a space.
    #[error("line does not start with a record tag such as OPLOG or USER followed by a space: '{value}'")]
    MissingTag { value: String },

    /// A required `key=value` field is missing.
    #[error("field '{key}' is missing")]
    MissingField { key: &'static str },

    /// A numeric field contains something other than a number in range.
    #[error("field '{key}' is '{value}', expected a whole number in range")]
    InvalidNumber { key: &'static str, value: String },

    /// A device command detail line came before any `ID=...&Return=...` line.
    #[error("detail line '{value}' comes before any ID=...&Return=... result line")]
    DetailWithoutResult { value: String },
}

/// Yields `(line number, line bytes)` for every non-blank line of `body`.
///
/// The line terminator (LF, and a CR before it) is removed, and a UTF-8 byte
/// order mark at the very start of the body is skipped. A line is blank when
/// it contains only ASCII whitespace. Blank lines are skipped but still
/// counted, so line numbers match the lines of a captured body.
pub(crate) fn body_lines(body: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);

    body.split(|&byte| byte == b'\n')
        .enumerate()
        .map(|(index, line)| (index + 1, line.strip_suffix(b"\r").unwrap_or(line)))
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
}

/// Rejects a line longer than `max` bytes, then decodes it as UTF-8.
pub(crate) fn checked_text(line: &[u8], max: usize) -> Result<&str, LineError> {
    if line.len() > max {
        return Err(LineError::TooLong {
            len: line.len(),
            max,
        });
    }
    std::str::from_utf8(line).map_err(|_| LineError::NotUtf8)
}

/// Returns at most [`MAX_EXCERPT_CHARS`] characters of `value` for an error
/// message, marking a cut with `...`.
pub(crate) fn excerpt(value: &str) -> String {
    let mut chars = value.chars();
    let head: String = chars.by_ref().take(MAX_EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}...")
    } else {
        head
    }
}

/// Checks a PIN: 1 to `max` printable ASCII characters, no spaces.
pub(crate) fn check_pin(pin: &str, max: usize) -> Result<(), LineError> {
    if pin.is_empty() {
        return Err(LineError::EmptyPin);
    }
    if pin.len() > max || !pin.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(LineError::InvalidPin {
            value: excerpt(pin),
            max,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(body: &[u8]) -> Vec<(usize, &[u8])> {
        body_lines(body).collect()
    }

    #[test]
    fn lines_lf_and_crlf() {
        let got = lines(b"a\r\nb\nc");
        assert_eq!(got, vec![(1, &b"a"[..]), (2, &b"b"[..]), (3, &b"c"[..])]);
    }

    #[test]
    fn lines_blank_skipped_but_counted() {
        let got = lines(b"a\n\n \t\r\nb\r\n\r\n\n");
        assert_eq!(got, vec![(1, &b"a"[..]), (4, &b"b"[..])]);
    }

    #[test]
    fn lines_bom_only_at_start() {
        let got = lines(b"\xEF\xBB\xBFa\n\xEF\xBB\xBFb");
        assert_eq!(got, vec![(1, &b"a"[..]), (2, &b"\xEF\xBB\xBFb"[..])]);
    }

    #[test]
    fn lines_empty_body() {
        assert!(lines(b"").is_empty());
        assert!(lines(b"\xEF\xBB\xBF").is_empty());
    }

    #[test]
    fn checked_text_cap_and_utf8() {
        assert_eq!(checked_text(b"abc", 3), Ok("abc"));
        assert_eq!(
            checked_text(b"abcd", 3),
            Err(LineError::TooLong { len: 4, max: 3 })
        );
        assert_eq!(checked_text(b"\xC4\xE3", 8), Err(LineError::NotUtf8));
    }

    #[test]
    fn excerpt_cuts_long_values() {
        assert_eq!(excerpt("short"), "short");
        let long = "x".repeat(41);
        assert_eq!(excerpt(&long), format!("{}...", "x".repeat(40)));
        assert_eq!(excerpt(&"y".repeat(40)), "y".repeat(40));
    }

    #[test]
    fn pin_rules() {
        assert_eq!(check_pin("1001", 24), Ok(()));
        assert_eq!(check_pin("", 24), Err(LineError::EmptyPin));
        assert!(matches!(
            check_pin("10 01", 24),
            Err(LineError::InvalidPin { .. })
        ));
        assert!(matches!(
            check_pin(&"9".repeat(25), 24),
            Err(LineError::InvalidPin { .. })
        ));
        assert!(matches!(
            check_pin("张三", 24),
            Err(LineError::InvalidPin { .. })
        ));
    }
}
