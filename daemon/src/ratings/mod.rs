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

/// The arrival of a request: its body, kept in the record, the API caller
/// whose audit entry is stored with it (`None` outside the API), and the
/// box's time.
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
    if let Some(invisible) = trimmed.chars().find(|c| is_invisible(*c)) {
        return Err(format!(
            "text contains the invisible character U+{:04X}: retype it without it",
            u32::from(invisible)
        ));
    }
    Ok(trimmed.to_string())
}

/// Returns whether `c` is a format or filler character that shows as
/// nothing, such as a zero-width space or a direction mark. With one, two
/// ids that look the same would differ.
fn is_invisible(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x034F
            | 0x061C
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFF8
            | 0xE0000..=0xE0FFF
    )
}

/// Returns whether two ids name the same person as people read them.
/// Full-width letters and digits (Ｓ００１) count as their ASCII forms, and
/// ASCII case does not matter.
pub fn same_id(a: &str, b: &str) -> bool {
    let fold = |c: char| -> char {
        let code = u32::from(c);
        let ascii = match code {
            0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        };
        ascii.to_ascii_lowercase()
    };
    a.chars().map(fold).eq(b.chars().map(fold))
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
        assert_eq!(
            required_text("S003\u{200b}", 10, "an id"),
            Err("text contains the invisible character U+200B: retype it without it".to_string())
        );
        assert!(required_text("S\u{202e}300", 10, "an id").is_err());
    }

    #[test]
    fn same_id_cases() {
        assert!(same_id("S002", "s002"));
        assert!(same_id("S002", "Ｓ００２"));
        assert!(same_id("王监管", "王监管"));
        assert!(!same_id("S002", "S0002"));
        assert!(!same_id("S002", "S003"));
    }
}
