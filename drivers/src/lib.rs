//! Device protocols and transports for hallbox.
//!
//! Each module is one device protocol (a pure codec that does no I/O) or
//! one transport. The crate contains no business rules, staff data or storage.

pub mod attlog;
