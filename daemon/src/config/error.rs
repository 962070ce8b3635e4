//! Errors of the configuration file.
//!
//! Reading and TOML parsing stop at the first error, because nothing after
//! it can be trusted. Validation goes on and collects every problem, so one
//! load of the file lists everything to fix. Each message names
//! the file, the key as a dotted path (`attendance.noon_out.window`,
//! `staff[2].pins[0]`) and the values that are allowed.

use std::fmt;
use std::path::{Path, PathBuf};

/// Failure to turn a configuration file into a `Config`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file is missing, unreadable or not UTF-8.
    #[error("failed to read config file '{}': {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The text is not valid TOML, has an unknown key or a value of the
    /// wrong TOML type (a number where a string belongs).
    #[error("{}", describe_parse_error(.path, .line_column, .key.as_deref(), .message))]
    Parse {
        path: PathBuf,
        /// 1-based line and column (counted in characters), as toml reports
        /// them; `None` when toml gives no position.
        line_column: Option<(usize, usize)>,
        /// Dotted path of the key, `None` for a syntax error outside any key.
        key: Option<String>,
        /// toml's message without the position and the source excerpt.
        message: String,
        /// toml's error, whose `Display` adds an excerpt of the line.
        #[source]
        source: Box<toml::de::Error>,
    },

    /// Every value that parsed but is not allowed.
    #[error(transparent)]
    Invalid(#[from] ConfigErrors),
}

fn describe_parse_error(
    path: &Path,
    line_column: &Option<(usize, usize)>,
    key: Option<&str>,
    message: &str,
) -> String {
    let mut text = path.display().to_string();
    if let Some((line, column)) = line_column {
        text.push_str(&format!(":{line}:{column}"));
    }
    if let Some(key) = key {
        text.push_str(&format!(": {key}"));
    }
    text.push_str(&format!(": {message}"));
    text
}

/// One invalid value: the dotted key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    /// Dotted path of the key, e.g. `unit[1].windows[0].id`.
    pub key: String,
    /// The problem and the allowed values, e.g. "invalid time '8:3x':
    /// expected HH:MM such as 08:30".
    pub message: String,
}

/// Every validation problem of one file, section by section in the order
/// validation checks them. `Display` prints one problem per line as
/// `file: key: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    /// The file the problems are in, as given to `load` or `parse`.
    pub path: PathBuf,
    /// At least one problem.
    pub errors: Vec<KeyError>,
}

impl ConfigErrors {
    /// Returns whether some problem is reported under exactly this key.
    pub fn has_key(&self, key: &str) -> bool {
        self.errors.iter().any(|error| error.key == key)
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{}: {}: {}",
                self.path.display(),
                error.key,
                error.message
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// The problems found so far while validating; validation adds to it and
/// goes on, so that every problem is reported at once.
#[derive(Debug, Default)]
pub(super) struct Problems {
    errors: Vec<KeyError>,
}

impl Problems {
    /// Records a problem with a key.
    pub(super) fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.errors.push(KeyError {
            key: key.into(),
            message: message.into(),
        });
    }

    /// Returns the value of `result`, or records its error under `key` and
    /// returns `None`.
    pub(super) fn check<T>(&mut self, key: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(key, message);
                None
            }
        }
    }

    /// Returns whether no problem has been recorded.
    pub(super) fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Converts the recorded problems into the error of `path`.
    pub(super) fn into_errors(self, path: &Path) -> ConfigErrors {
        ConfigErrors {
            path: path.to_path_buf(),
            errors: self.errors,
        }
    }
}
