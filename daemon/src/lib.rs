//! hallbox: the site-box daemon of a government service hall.
//!
//! Device events enter through `drivers` codecs, are stored in the
//! append-only [`journal`], and are judged by the pure [`rules`] on the
//! working-day [`calendar`]. The [`api`] serves the [`report`]s over HTTP.

/// Network clocks that push punches over HTTP (ZKTeco ADMS).
pub mod adms;
/// HTTP API: routes, handlers and error bodies.
pub mod api;
/// Who may call the API: roles, bearer tokens and the actor of a request.
pub mod auth;
/// Working-day calendar: official holiday files or plain Monday to Friday.
pub mod calendar;
/// Command-line interface of the `hallbox` binary.
pub mod cli;
/// The commands of the binary, one function each.
pub mod commands;
/// Configuration file: parse, merge over defaults, validate.
pub mod config;
/// `hallbox demo`: the example hall with a generated month of punches.
pub mod demo;
/// Serial devices: keeping links up and running their protocols.
pub mod devices;
/// Import of ZKTeco USB attendance exports into the journal.
pub mod import;
/// The single writer of device events, with group commit.
pub mod ingest;
/// Append-only SQLite journal of raw events with a hash chain.
pub mod journal;
/// HTTP/1.1 accept loop with a connection cap and a header time limit.
pub mod listener;
/// Log output through tracing.
pub mod logging;
/// Prometheus metrics and the table of device states.
pub mod metrics;
/// Ratings records in the journal: presses, corrections, duty roster.
pub mod ratings;
/// Write-offs, leave, clock outages, patrol punches and the audit trail.
pub mod records;
/// Monthly reports built from rule results: JSON and CSV.
pub mod report;
/// Pure attendance rules: checkpoints, sessions, month totals.
pub mod rules;
/// The running daemon: journal writer, devices and HTTP API.
pub mod server;
/// The daemon-wide stop request raised by SIGTERM or Ctrl-C.
pub mod shutdown;
/// The systemd notify protocol: READY, STATUS, WATCHDOG, STOPPING.
pub mod systemd;
/// Local time in the site's time zone and conversions to stored UTC.
pub mod time;
/// HTML pages in Chinese: attendance, ratings and device status.
pub mod web;
