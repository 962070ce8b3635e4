//! The hall's rules as pure functions: attendance and satisfaction ratings.
//!
//! Nothing in this module does I/O or reads the system clock: the instant the
//! rules are evaluated "as of" is an input, so every case is a table test.

pub mod attendance;
pub mod ratings;
pub mod settings;

pub use attendance::{
    evaluate_month, CheckpointResult, Cover, Covers, DayCovers, DayResult, DayState,
    MonthAttendance, MonthInput, MonthTotals, OutageSpan, Outcome, OutsidePunch, PatrolPunch,
    Person, PersonMonth, Punch, PunchEntry, RulesError, SessionResult, Slot, UnknownCredential,
    WriteOffKind, WriteOffSpan, WrittenOffTotals,
};
pub use settings::{AttendanceSettings, Checkpoint, CheckpointSpec, Points, Session};
