//! Monthly reports built from rule results: JSON and CSV.

pub mod attendance;
pub mod csv;
pub mod ratings;
