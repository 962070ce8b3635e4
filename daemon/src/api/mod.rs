//! HTTP API: routes, handlers and error bodies.

pub mod error;

pub use error::ApiError;
