//! Checks shared by the record requests: dates, local times, text fields
//! and staff ids, each failing with the field's path and the reason.

use chrono::{NaiveDate, NaiveDateTime};

use crate::config::Config;

/// Maximum length of free text (reasons, notes), in characters.
pub const MAX_TEXT_CHARS: usize = 500;
/// Maximum length of the name of a person who approved or patrolled, in
/// characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Maximum length of a device id, in ASCII characters.
pub const MAX_DEVICE_ID_LEN: usize = 64;

/// A request field that is missing or invalid, returned as a 422.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// Path of the field in the request body, such as `approvals[1].step`.
    pub field: String,
    /// The problem and what to send instead.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Parses a date `YYYY-MM-DD`.
pub fn date(field: &str, text: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        FieldError::new(
            field,
            format!("invalid date '{text}': expected YYYY-MM-DD such as 2026-11-02"),
        )
    })
}

/// Parses a local time of the site `YYYY-MM-DDTHH:MM:SS`.
pub fn local_time(field: &str, text: &str) -> Result<NaiveDateTime, FieldError> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").map_err(|_| {
        FieldError::new(
            field,
            format!(
                "invalid time '{text}': expected the site's local time YYYY-MM-DDTHH:MM:SS \
                 such as 2026-11-02T08:20:00"
            ),
        )
    })
}

/// Checks a required free text and returns it trimmed.
pub fn text(field: &str, value: &str, max_chars: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        // Names of signatures and of people get their own hint.
        let hint = if field.ends_with("name") || field.ends_with("_by") {
            "empty text: write the person's name, such as 王监管"
        } else {
            "empty text: write what happened, such as 家中有事"
        };
        return Err(FieldError::new(field, hint));
    }
    let chars = trimmed.chars().count();
    if chars > max_chars {
        return Err(FieldError::new(
            field,
            format!("text of {chars} characters: write at most {max_chars}"),
        ));
    }
    Ok(trimmed.to_string())
}

/// Checks an optional free text; blank text counts as absent.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, FieldError> {
    match value {
        Some(value) if !value.trim().is_empty() => text(field, value, max_chars).map(Some),
        _ => Ok(None),
    }
}

/// Checks that `id` is a staff member of the configuration.
pub fn staff_id(config: &Config, field: &str, id: &str) -> Result<String, FieldError> {
    if config.staff.iter().any(|staff| staff.id == id) {
        return Ok(id.to_string());
    }
    Err(FieldError::new(
        field,
        format!("unknown staff id '{id}': expected the id of a [[staff]] entry such as S001"),
    ))
}

/// Checks a device id: 1 to 64 ASCII letters, digits, '-', '_', '.' or ':'.
pub fn device_id(field: &str, id: &str) -> Result<String, FieldError> {
    let valid = !id.is_empty()
        && id.len() <= MAX_DEVICE_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if valid {
        Ok(id.to_string())
    } else {
        Err(FieldError::new(
            field,
            format!(
                "invalid device id '{id}': expected 1 to {MAX_DEVICE_ID_LEN} ASCII letters, \
                 digits, '-', '_', '.' or ':' such as clock-east-1"
            ),
        ))
    }
}

/// Checks that a local time is not later than now.
pub fn not_in_future(
    field: &str,
    time: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<NaiveDateTime, FieldError> {
    if time > now {
        return Err(FieldError::new(
            field,
            format!(
                "time {} is in the future (now {}): record what has happened",
                time.format("%Y-%m-%dT%H:%M:%S"),
                now.format("%Y-%m-%dT%H:%M:%S")
            ),
        ));
    }
    Ok(time)
}
