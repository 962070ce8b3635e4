//! hallbox: the site-box daemon of a government service hall.
//!
//! Device events enter through `drivers` codecs, are stored in the
//! append-only [`journal`], and are judged by the pure [`rules`] on the
//! working-day [`calendar`]. The [`api`] serves the [`report`]s over HTTP.

/// HTTP API: routes, handlers and error bodies.
pub mod api;
/// Working-day calendar: official holiday files or plain Monday to Friday.
pub mod calendar;
/// Command-line interface of the `hallbox` binary.
pub mod cli;
/// Configuration file: parse, merge over defaults, validate.
pub mod config;
/// Import of ZKTeco USB attendance exports into the journal.
pub mod import;
/// Append-only SQLite journal of raw events with a hash chain.
pub mod journal;
/// Monthly reports built from rule results: JSON and CSV.
pub mod report;
/// Pure attendance rules: checkpoints, sessions, month totals.
pub mod rules;
/// Local time in the site's time zone and conversions to stored UTC.
pub mod time;
