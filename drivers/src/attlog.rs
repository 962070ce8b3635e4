//! Codec for ZKTeco attendance record lines (`ATTLOG`).
//!
//! ZKTeco clocks write one punch per line, tab-separated, PIN first and
//! local clock time second. Three places use these lines:
//!
//! - The USB export `<n>_attlog.dat`, laid out as [`Layout::UsbExport`]:
//!   PIN right-aligned with leading spaces, time, device id, status,
//!   verify mode, and on most firmware a work code, as in
//!   `     1080\t2020-02-24 10:52:43\t1\t0\t0\t0`.
//! - The live RS232 output of a clock, one line per punch, parsed with the
//!   same layout as the USB export.
//! - The body of an ADMS push (`POST /iclock/cdata?table=ATTLOG`), laid
//!   out as [`Layout::Push`]: PIN, time, then optional status, verify mode,
//!   work code and reserved columns, without a device id.
//!
//! Export files may start with a UTF-8 byte order mark, end lines in LF or
//! CRLF, lack a final newline, or end in blank lines, NUL padding or binary
//! garbage. Clocks also record impossible times (year 2000 after a clock
//! battery reset, year 2131, month 13), so every line is checked against
//! caller-supplied [`TimeLimits`].
//!
//! The codec is pure: it does no I/O and never reads the clock. Use
//! [`parse_line`] for one line, [`records`] for a whole buffer, and
//! [`LineSplitter`] for a byte stream that arrives in arbitrary chunks.
//! Each bad line becomes one [`LineError`] with its 1-based line number,
//! and parsing goes on at the next line.

mod encode;
mod parse;
mod split;
#[cfg(test)]
mod tests;

use std::fmt;

use chrono::NaiveDateTime;

pub use encode::encode_line;
pub use parse::parse_line;
pub use split::{lines, records, LineSplitter, Lines, Records, StreamLine};

/// Maximum length of one line in bytes, not counting its CR and LF.
///
/// A six-column export line with the longest accepted fields takes under
/// 100 bytes, and real export lines take about 40. The rest is room for
/// padded fields and reserved push columns. The cap keeps a file or
/// stream without newlines from growing one line without bound.
pub const MAX_LINE_LEN: usize = 512;

/// Maximum length of a PIN in ASCII digits.
///
/// The clock's 40-byte binary attendance record stores the user id in a
/// 24-byte field (`<H24sB4sB8s` as decoded by the pyzk library).
pub const MAX_PIN_LEN: usize = 24;

/// Maximum length of a device id in ASCII digits.
///
/// Clocks number themselves 1, 2, ... and the real exports show `1`. The
/// limit only guards against junk.
pub const MAX_DEVICE_ID_LEN: usize = 8;

/// Maximum length of a work code in ASCII letters and digits.
///
/// Clocks without work codes write `0`. The limit only guards against junk.
pub const MAX_WORK_CODE_LEN: usize = 24;

/// Maximum number of columns accepted in a push line.
///
/// ADMS push bodies seen so far have up to 10 columns (PIN, time, status,
/// verify mode, work code and five reserved). Six more are accepted so that firmware
/// adding reserved columns still parses, and the extra columns are ignored.
pub const MAX_PUSH_COLUMNS: usize = 16;

/// Column layout of an attendance line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// USB export file and RS232 output: PIN, time, device id, status,
    /// verify mode, then a work code unless the firmware writes 5 columns.
    ///
    /// NOTE: the RS232 lines are taken to match the USB export column for
    /// column. No clock's serial output has been checked against this.
    UsbExport,
    /// ADMS push body: PIN and time, then optional status, verify mode,
    /// work code and reserved columns, up to [`MAX_PUSH_COLUMNS`]. A missing
    /// or empty optional column is stored as `None`.
    Push,
}

impl Layout {
    /// Returns the minimum column count of a line in this layout.
    pub fn min_columns(self) -> usize {
        match self {
            Layout::UsbExport => 5,
            Layout::Push => 2,
        }
    }

    /// Returns the maximum column count of a line in this layout.
    pub fn max_columns(self) -> usize {
        match self {
            Layout::UsbExport => 6,
            Layout::Push => MAX_PUSH_COLUMNS,
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layout::UsbExport => f.write_str("USB export"),
            Layout::Push => f.write_str("ADMS push"),
        }
    }
}

/// Attendance state the user chose on the clock's keypad, with its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PunchStatus {
    /// Code 0.
    CheckIn,
    /// Code 1.
    CheckOut,
    /// Code 2.
    BreakOut,
    /// Code 3.
    BreakIn,
    /// Code 4.
    OvertimeIn,
    /// Code 5.
    OvertimeOut,
}

impl PunchStatus {
    /// Returns the status for a code in `0..=5`, or `None` for any other code.
    pub fn from_code(code: u8) -> Option<PunchStatus> {
        match code {
            0 => Some(PunchStatus::CheckIn),
            1 => Some(PunchStatus::CheckOut),
            2 => Some(PunchStatus::BreakOut),
            3 => Some(PunchStatus::BreakIn),
            4 => Some(PunchStatus::OvertimeIn),
            5 => Some(PunchStatus::OvertimeOut),
            _ => None,
        }
    }

    /// Returns the code the clock writes for this status.
    pub fn code(self) -> u8 {
        match self {
            PunchStatus::CheckIn => 0,
            PunchStatus::CheckOut => 1,
            PunchStatus::BreakOut => 2,
            PunchStatus::BreakIn => 3,
            PunchStatus::OvertimeIn => 4,
            PunchStatus::OvertimeOut => 5,
        }
    }
}

/// Inclusive range of punch times accepted as possible.
///
/// The caller derives `latest` from its own current time plus the clock
/// skew it tolerates, because the codec never reads a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLimits {
    /// Earliest accepted punch time, in the clock's local time.
    pub earliest: NaiveDateTime,
    /// Latest accepted punch time, in the clock's local time.
    pub latest: NaiveDateTime,
}

/// One punch decoded from an attendance line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttlogRecord {
    /// User PIN as 1 to [`MAX_PIN_LEN`] ASCII digits, without the padding
    /// spaces and with any leading zeros kept.
    pub pin: String,
    /// Punch time in the clock's local time, to the second.
    pub time: NaiveDateTime,
    /// Device id as ASCII digits. Always `Some` for [`Layout::UsbExport`],
    /// always `None` for [`Layout::Push`], which has no such column.
    pub device_id: Option<String>,
    /// Attendance state. Always `Some` for [`Layout::UsbExport`].
    pub status: Option<PunchStatus>,
    /// Verify mode: 0 password, 1 fingerprint, 15 face, and other codes
    /// that vary by model. The clock stores it in one byte. Always `Some`
    /// for [`Layout::UsbExport`].
    pub verify: Option<u8>,
    /// Work code, or `None` when the column is missing or empty.
    pub work_code: Option<String>,
}

/// Reason one attendance line was rejected.
///
/// Field values in the variants are excerpts of at most 32 characters,
/// so a garbage line cannot flood a log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The line exceeds [`MAX_LINE_LEN`], so the whole line up to the next
    /// LF was skipped. Lines over the cap are rejected even when blank.
    #[error("line is longer than {max} bytes and was skipped up to the next newline (the file or stream is probably corrupt)")]
    TooLong {
        /// Cap that was exceeded, in bytes.
        max: usize,
    },

    /// The line contains bytes that are not UTF-8, such as binary garbage.
    #[error("line is not valid UTF-8 at byte {valid_up_to} (binary garbage or a corrupt export)")]
    NotUtf8 {
        /// Number of valid bytes before the first invalid one.
        valid_up_to: usize,
    },

    /// The line has the wrong number of tab-separated columns for its layout.
    #[error(
        "line has {found} tab-separated columns, expected {min} to {max} for the {layout} layout"
    )]
    ColumnCount {
        /// Number of columns found.
        found: usize,
        /// Minimum column count of the layout.
        min: usize,
        /// Maximum column count of the layout.
        max: usize,
        /// Layout the line was parsed as.
        layout: Layout,
    },

    /// The PIN column is empty or contains only spaces.
    #[error("PIN is empty (the line is corrupt or the user record on the clock has no PIN)")]
    EmptyPin,

    /// The PIN is not 1 to [`MAX_PIN_LEN`] ASCII digits.
    #[error("invalid PIN {pin:?}: expected 1 to {max} ASCII digits")]
    BadPin {
        /// Excerpt of the PIN column, without padding spaces.
        pin: String,
        /// Maximum PIN length, in digits.
        max: usize,
    },

    /// The time column is not in the form `YYYY-MM-DD HH:MM:SS`.
    #[error("invalid time {text:?}: expected YYYY-MM-DD HH:MM:SS")]
    UnparsableTime {
        /// Excerpt of the time column.
        text: String,
    },

    /// The time has the right form but names no calendar date or clock
    /// time, such as month 13, February 30 or hour 24.
    #[error(
        "impossible time {text:?}: no such date or time of day (check the clock's date setting)"
    )]
    InvalidCalendarTime {
        /// The time column.
        text: String,
    },

    /// The time is before [`TimeLimits::earliest`].
    #[error("impossible time {time}: before the earliest accepted time {earliest} (the clock was probably reset, set its date)")]
    TimeTooEarly {
        /// Time on the line.
        time: NaiveDateTime,
        /// Bound that was crossed.
        earliest: NaiveDateTime,
    },

    /// The time is after [`TimeLimits::latest`].
    #[error("impossible time {time}: after the latest accepted time {latest} (the clock runs ahead, set its date)")]
    TimeTooLate {
        /// Time on the line.
        time: NaiveDateTime,
        /// Bound that was crossed.
        latest: NaiveDateTime,
    },

    /// The device id is not 1 to [`MAX_DEVICE_ID_LEN`] ASCII digits.
    #[error("invalid device id {text:?}: expected 1 to {max} ASCII digits")]
    BadDeviceId {
        /// Excerpt of the device id column.
        text: String,
        /// Maximum device id length, in digits.
        max: usize,
    },

    /// The status is not one of the codes 0 to 5.
    #[error("unknown punch status {text:?}: expected a code from 0 to 5")]
    UnknownStatus {
        /// Excerpt of the status column.
        text: String,
    },

    /// The verify mode is not a decimal number from 0 to 255.
    #[error("invalid verify mode {text:?}: expected a number from 0 to 255")]
    BadVerify {
        /// Excerpt of the verify column.
        text: String,
    },

    /// The work code is not 1 to [`MAX_WORK_CODE_LEN`] ASCII letters or digits.
    #[error("invalid work code {text:?}: expected 1 to {max} ASCII letters or digits")]
    BadWorkCode {
        /// Excerpt of the work code column.
        text: String,
        /// Maximum work code length, in characters.
        max: usize,
    },
}
