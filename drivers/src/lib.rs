//! Device protocols and transports of hallbox.
//!
//! Each protocol is a pure codec or state machine over bytes or edge
//! timings, tested with byte vectors; each transport only moves bytes and
//! reconnects. Nothing here knows staff, rules or the journal.

pub mod adms;
pub mod attlog;
pub mod button;
pub mod edge;
pub mod fingerprint;
pub mod gpio;
pub mod keypad;
pub mod pty;
pub mod serial;
pub mod wiegand;
