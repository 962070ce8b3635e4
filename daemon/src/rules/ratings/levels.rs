//! The five levels of the national good-or-bad review (好差评) and the
//! mapping from a keypad's buttons to levels.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// Errors from parsing a level or mapping a button.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LevelError {
    #[error("unknown rating level '{text}': expected one of very_satisfied, satisfied, basically_satisfied, unsatisfied, very_unsatisfied")]
    UnknownLevel { text: String },
    #[error("button {button} is not mapped to a level: the keypad's buttons are {}; check the keypad's button map", list_buttons(.mapped))]
    UnmappedButton { button: u8, mapped: Vec<u8> },
    #[error("invalid button number '{text}': expected a whole number from 0 to 255")]
    InvalidButton { text: String },
    #[error("button {button} is mapped twice: give each button one level")]
    DuplicateButton { button: u8 },
    #[error("the button map is empty: map at least one button to a level")]
    EmptyMap,
    #[error("there is no default button map for a keypad with {buttons} buttons: defaults exist for 4 and 5 buttons, so map each button to a level")]
    NoDefaultMap { buttons: u8 },
}

fn list_buttons(buttons: &[u8]) -> String {
    let list: Vec<String> = buttons.iter().map(u8::to_string).collect();
    list.join(", ")
}

/// A rating level, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 非常满意.
    VerySatisfied,
    /// 满意.
    Satisfied,
    /// 基本满意.
    BasicallySatisfied,
    /// 不满意.
    Unsatisfied,
    /// 非常不满意.
    VeryUnsatisfied,
}

impl Level {
    /// All five levels, best first.
    pub const ALL: [Level; 5] = [
        Level::VerySatisfied,
        Level::Satisfied,
        Level::BasicallySatisfied,
        Level::Unsatisfied,
        Level::VeryUnsatisfied,
    ];

    /// Returns the Chinese name shown in reports.
    pub fn label_zh(self) -> &'static str {
        match self {
            Level::VerySatisfied => "非常满意",
            Level::Satisfied => "满意",
            Level::BasicallySatisfied => "基本满意",
            Level::Unsatisfied => "不满意",
            Level::VeryUnsatisfied => "非常不满意",
        }
    }

    /// Returns the snake_case name used in JSON and accepted by [`FromStr`].
    pub fn as_str(self) -> &'static str {
        match self {
            Level::VerySatisfied => "very_satisfied",
            Level::Satisfied => "satisfied",
            Level::BasicallySatisfied => "basically_satisfied",
            Level::Unsatisfied => "unsatisfied",
            Level::VeryUnsatisfied => "very_unsatisfied",
        }
    }

    /// Whether the level counts towards the satisfaction rate: 非常满意,
    /// 满意 and 基本满意.
    pub fn is_satisfied(self) -> bool {
        matches!(
            self,
            Level::VerySatisfied | Level::Satisfied | Level::BasicallySatisfied
        )
    }

    /// Whether the level is an unsatisfied rating for deductions and for
    /// excellence: 不满意, and also 非常不满意, which is worse.
    pub fn is_unsatisfied(self) -> bool {
        !self.is_satisfied()
    }

    /// Position in [`Level::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = LevelError;

    fn from_str(text: &str) -> Result<Level, LevelError> {
        Level::ALL
            .into_iter()
            .find(|level| level.as_str() == text)
            .ok_or_else(|| LevelError::UnknownLevel {
                text: text.to_string(),
            })
    }
}

/// Number of ratings at each level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LevelCounts {
    pub very_satisfied: u32,
    pub satisfied: u32,
    pub basically_satisfied: u32,
    pub unsatisfied: u32,
    pub very_unsatisfied: u32,
}

impl LevelCounts {
    /// Adds one rating at `level`.
    pub fn add(&mut self, level: Level) {
        *self.get_mut(level) += 1;
    }

    /// Returns the count at `level`.
    pub fn get(&self, level: Level) -> u32 {
        match level {
            Level::VerySatisfied => self.very_satisfied,
            Level::Satisfied => self.satisfied,
            Level::BasicallySatisfied => self.basically_satisfied,
            Level::Unsatisfied => self.unsatisfied,
            Level::VeryUnsatisfied => self.very_unsatisfied,
        }
    }

    fn get_mut(&mut self, level: Level) -> &mut u32 {
        match level {
            Level::VerySatisfied => &mut self.very_satisfied,
            Level::Satisfied => &mut self.satisfied,
            Level::BasicallySatisfied => &mut self.basically_satisfied,
            Level::Unsatisfied => &mut self.unsatisfied,
            Level::VeryUnsatisfied => &mut self.very_unsatisfied,
        }
    }

    /// Returns the number of ratings at all levels.
    pub fn total(&self) -> u32 {
        Level::ALL.into_iter().map(|level| self.get(level)).sum()
    }

    /// Returns the number of ratings that count towards the satisfaction rate.
    pub fn satisfied_total(&self) -> u32 {
        Level::ALL
            .into_iter()
            .filter(|level| level.is_satisfied())
            .map(|level| self.get(level))
            .sum()
    }

    /// Returns the number of unsatisfied ratings: 不满意 plus 非常不满意.
    pub fn unsatisfied_total(&self) -> u32 {
        self.total() - self.satisfied_total()
    }
}

/// The mapping from a keypad's button numbers to levels.
///
/// Serialized as a map from the button number, written as a string key, to
/// the level's name: `{"1": "very_satisfied", "2": "satisfied"}`, or in
/// TOML `{ 1 = "very_satisfied", 2 = "satisfied" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ButtonMap {
    levels: BTreeMap<u8, Level>,
}

impl ButtonMap {
    /// Builds a map from (button, level) pairs. Two buttons may share a
    /// level, but one button may not appear twice.
    pub fn new(pairs: impl IntoIterator<Item = (u8, Level)>) -> Result<ButtonMap, LevelError> {
        let mut levels = BTreeMap::new();
        for (button, level) in pairs {
            if levels.insert(button, level).is_some() {
                return Err(LevelError::DuplicateButton { button });
            }
        }
        if levels.is_empty() {
            return Err(LevelError::EmptyMap);
        }
        Ok(ButtonMap { levels })
    }

    /// Builds the default map of a keypad with `buttons` buttons numbered
    /// from 1: the first `buttons` levels in order, best first. A four-button keypad
    /// has no 非常不满意 button. Only 4 and 5 buttons have a default.
    pub fn default_for(buttons: u8) -> Result<ButtonMap, LevelError> {
        if !(4..=5).contains(&buttons) {
            return Err(LevelError::NoDefaultMap { buttons });
        }
        let pairs = (1..=buttons).zip(Level::ALL);
        ButtonMap::new(pairs)
    }

    /// Looks up the level of `button`, or fails naming the mapped buttons.
    pub fn level(&self, button: u8) -> Result<Level, LevelError> {
        self.levels
            .get(&button)
            .copied()
            .ok_or_else(|| LevelError::UnmappedButton {
                button,
                mapped: self.levels.keys().copied().collect(),
            })
    }

    /// Iterates over the (button, level) pairs in button order.
    pub fn iter(&self) -> impl Iterator<Item = (u8, Level)> + '_ {
        self.levels.iter().map(|(button, level)| (*button, *level))
    }
}

impl<'de> Deserialize<'de> for ButtonMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = BTreeMap::<String, Level>::deserialize(deserializer)?;
        let mut pairs = Vec::with_capacity(raw.len());
        for (key, level) in raw {
            let button = key.trim().parse::<u8>().map_err(|_| {
                serde::de::Error::custom(LevelError::InvalidButton { text: key.clone() })
            })?;
            pairs.push((button, level));
        }
        ButtonMap::new(pairs).map_err(serde::de::Error::custom)
    }
}
