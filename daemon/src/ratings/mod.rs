//! The ratings as the box keeps them: keypad presses, misclick corrections
//! and the duty roster, stored in the journal and read back for reports.
//!
//! The pure rules live in [`crate::rules::ratings`]. This module stores what
//! the API receives as journal records and derives the current state from
//! them: a correction is pending until a decision record follows its
//! request. Each new request is checked against the configuration, the
//! journal and the rules before it is stored. Nothing is updated in place.

pub mod corrections;
pub mod records;
pub mod roster;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

use crate::config::{Config, Unit};
use crate::records::audit::AuditBy;

/// How a request reached the box: its body, kept in the record, the API
/// caller whose audit entry is stored with it (`None` outside the API), and
/// the box's time.
#[derive(Debug, Clone, Copy)]
pub struct Submitted<'a> {
    pub raw: &'a [u8],
    pub audit: Option<AuditBy<'a>>,
    pub now: DateTime<Utc>,
}

/// Maximum length of a free-text reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Maximum length of a staff or officer id in a request, in characters.
pub const MAX_ACTOR_CHARS: usize = 64;

/// Returns the configured unit that `window_id` belongs to.
pub fn unit_of_window<'a>(config: &'a Config, window_id: &str) -> Option<&'a Unit> {
    config
        .units
        .iter()
        .find(|unit| unit.windows.iter().any(|window| window.id == window_id))
}

/// Checks a required free-text field: trimmed, not empty, at most
/// `max_chars` characters, and without control characters. Returns the
/// trimmed text or a message for the client.
pub fn required_text(text: &str, max_chars: usize, example: &str) -> Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("empty text: expected {example}"));
    }
    let chars = trimmed.chars().count();
    if chars > max_chars {
        return Err(format!(
            "text of {chars} characters is too long: expected at most {max_chars}"
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(
            "text contains control characters such as line breaks: send one line".to_string(),
        );
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn required_text_cases() {
        assert_eq!(
            required_text("  按错了  ", 10, "a reason"),
            Ok("按错了".to_string())
        );
        assert_eq!(
            required_text(" \t ", 10, "a reason"),
            Err("empty text: expected a reason".to_string())
        );
        assert_eq!(
            required_text("一二三四五六", 5, "a reason"),
            Err("text of 6 characters is too long: expected at most 5".to_string())
        );
        assert!(required_text("a\nb", 10, "a reason").is_err());
        assert_eq!(
            required_text("一二三四五", 5, "a reason"),
            Ok("一二三四五".to_string())
        );
    }
}
