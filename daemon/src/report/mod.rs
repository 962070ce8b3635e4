//! Monthly reports built from rule results: JSON, CSV and Excel.

pub mod attendance;
pub mod csv;
pub mod outages;
pub mod ratings;
pub mod xlsx;
