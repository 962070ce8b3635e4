//! Misclick corrections (误按更正) as the rules receive them.
//!
//! A window unit's chief representative requests a correction, and the
//! bureau approves or rejects it. Only approved corrections reach the rules,
//! and a rating has at most one. A correction replaces the level a rating
//! counts as, or voids the rating. The original press stays in the journal
//! and in reports.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Level;

/// Errors in approved corrections.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorrectionError {
    #[error("rating {rating_seq} has two approved corrections, approved at {first_approved_at} and {second_approved_at}: a rating may have only one, so revoke one of them")]
    DuplicateApproved {
        rating_seq: i64,
        first_approved_at: NaiveDateTime,
        second_approved_at: NaiveDateTime,
    },
    #[error("unknown corrected level '{text}': expected void or one of very_satisfied, satisfied, basically_satisfied, unsatisfied, very_unsatisfied")]
    UnknownCorrectedLevel { text: String },
}

/// The value a correction gives a rating: another level, or nothing at all.
///
/// Serialized as a string: a level's snake_case name, or `"void"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CorrectedLevel {
    /// The rating counts as this level.
    Level(Level),
    /// The rating counts for nothing: it is left out of counts and rates.
    Void,
}

impl CorrectedLevel {
    /// Returns the name used in JSON and accepted by [`FromStr`].
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectedLevel::Level(level) => level.as_str(),
            CorrectedLevel::Void => "void",
        }
    }

    /// Returns the level the rating counts as, or `None` when void.
    pub fn level(self) -> Option<Level> {
        match self {
            CorrectedLevel::Level(level) => Some(level),
            CorrectedLevel::Void => None,
        }
    }
}

impl fmt::Display for CorrectedLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CorrectedLevel {
    type Err = CorrectionError;

    fn from_str(text: &str) -> Result<CorrectedLevel, CorrectionError> {
        if text == "void" {
            return Ok(CorrectedLevel::Void);
        }
        text.parse::<Level>()
            .map(CorrectedLevel::Level)
            .map_err(|_| CorrectionError::UnknownCorrectedLevel {
                text: text.to_string(),
            })
    }
}

impl Serialize for CorrectedLevel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CorrectedLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An approved correction of one rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// Journal sequence number of the corrected press.
    pub rating_seq: i64,
    /// The level the rating counts as from the approval on, or void.
    pub new: CorrectedLevel,
    /// Staff id of the chief representative who requested the correction.
    pub requested_by: String,
    /// Name or id of the bureau officer who approved it.
    pub approved_by: String,
    /// Local time of the approval.
    pub approved_at: NaiveDateTime,
    /// The reason given in the request.
    pub reason: String,
}

/// Indexes approved corrections by rating, rejecting a rating with two.
pub fn approved_by_rating(
    corrections: &[Correction],
) -> Result<BTreeMap<i64, &Correction>, CorrectionError> {
    let mut by_rating: BTreeMap<i64, &Correction> = BTreeMap::new();
    for correction in corrections {
        if let Some(first) = by_rating.insert(correction.rating_seq, correction) {
            return Err(CorrectionError::DuplicateApproved {
                rating_seq: correction.rating_seq,
                first_approved_at: first.approved_at,
                second_approved_at: correction.approved_at,
            });
        }
    }
    Ok(by_rating)
}
