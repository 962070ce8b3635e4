//! Log output through tracing: to journald when the daemon runs as a
//! service, otherwise to stderr, with repeats of one message rate-limited.
//!
//! Records go to the systemd journal, with their span fields as journal
//! fields, when the journal socket `/run/systemd/journal/socket` exists and
//! stderr is not a terminal, which is the case under systemd. Run from a
//! terminal, or on a box without journald, they go to stderr as text.
//!
//! The level comes from `HALLBOX_LOG` (an `EnvFilter` directive such as
//! `info` or `hallbox=debug,tower=warn`) when it is set, otherwise from
//! `[log] level` in the configuration once that is loaded, and is `info`
//! before then.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::{LazyLock, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Registry};

/// Environment variable that sets the log filter.
pub const LOG_ENV: &str = "HALLBOX_LOG";

/// The socket journald reads native log records from.
pub const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";

/// Repeats of one message logged within [`REPEAT_WINDOW`] before the rest
/// are counted instead of logged.
pub const REPEAT_BURST: u32 = 3;

/// Length of the window over which [`REPEAT_BURST`] applies: one minute.
pub const REPEAT_WINDOW: Duration = Duration::from_secs(60);

/// Distinct message keys the shared limiter tracks before it forgets the
/// oldest ones.
const MAX_KEYS: usize = 1024;

static FILTER: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();

/// Installs the global subscriber; later calls do nothing.
pub fn init() {
    // An invalid HALLBOX_LOG is reported once the subscriber runs, and
    // `[log] level` applies in its place.
    let mut invalid_env = None;
    let filter = match std::env::var(LOG_ENV) {
        Ok(value) => EnvFilter::try_new(&value).unwrap_or_else(|error| {
            invalid_env = Some((value, error.to_string()));
            EnvFilter::new("info")
        }),
        Err(_) => EnvFilter::new("info"),
    };
    let (filter, handle) = reload::Layer::new(filter);
    let registry = tracing_subscriber::registry().with(filter);

    let to_journal = Path::new(JOURNAL_SOCKET).exists() && !std::io::stderr().is_terminal();
    let journald = if to_journal {
        tracing_journald::layer().ok()
    } else {
        None
    };
    let installed = match journald {
        Some(layer) => registry
            .with(layer.with_syslog_identifier("hallbox".to_string()))
            .try_init(),
        None => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    // Colour codes only for a person at a terminal, not in
                    // files or pipes.
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_target(false),
            )
            .try_init(),
    };
    if installed.is_ok() {
        let _ = FILTER.set(handle);
    }
    if let Some((value, error)) = invalid_env {
        tracing::warn!(
            value = %value,
            error = %error,
            "invalid {LOG_ENV}: using [log] level instead; set a level such as info or debug, or a directive such as hallbox=debug"
        );
    }
}

/// Returns whether `HALLBOX_LOG` is set to a filter that parses.
fn env_filter_valid() -> bool {
    std::env::var(LOG_ENV).is_ok_and(|value| EnvFilter::try_new(value).is_ok())
}

/// Errors from changing the log level.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error("invalid log level '{level}': {source} (use a level such as info or debug, or a directive such as hallbox=debug)")]
    InvalidLevel {
        level: String,
        #[source]
        source: tracing_subscriber::filter::ParseError,
    },
    #[error("failed to change the log level: {0}")]
    Reload(#[from] reload::Error),
}

/// Sets the level from `[log] level` of the configuration, unless
/// `HALLBOX_LOG` is set, which wins. Does nothing before [`init`].
pub fn apply_config_level(level: &str) -> Result<(), LoggingError> {
    if env_filter_valid() {
        return Ok(());
    }
    let filter = EnvFilter::try_new(level).map_err(|source| LoggingError::InvalidLevel {
        level: level.to_string(),
        source,
    })?;
    if let Some(handle) = FILTER.get() {
        handle.reload(filter)?;
    }
    Ok(())
}

/// Decides which repeats of a message to log: the first [`REPEAT_BURST`]
/// per key within a window, then one record when the window has passed,
/// carrying the count of the repeats left out.
#[derive(Debug)]
pub struct RepeatLimiter {
    burst: u32,
    window: Duration,
    keys: HashMap<String, Repeats>,
}

#[derive(Debug, Clone, Copy)]
struct Repeats {
    window_start: Instant,
    logged: u32,
    suppressed: u64,
}

impl RepeatLimiter {
    /// A limiter that logs `burst` repeats of a key per `window`.
    pub fn new(burst: u32, window: Duration) -> RepeatLimiter {
        RepeatLimiter {
            burst,
            window,
            keys: HashMap::new(),
        }
    }

    /// Returns `Some(n)` if the message with `key` seen at `now` is to be
    /// logged, where `n` is how many repeats were left out since the last
    /// one logged, or `None` if it is to be left out and counted.
    pub fn admit(&mut self, key: &str, now: Instant) -> Option<u64> {
        if self.keys.len() >= MAX_KEYS && !self.keys.contains_key(key) {
            self.forget_oldest();
        }
        let entry = self.keys.entry(key.to_string()).or_insert(Repeats {
            window_start: now,
            logged: 0,
            suppressed: 0,
        });
        if now.saturating_duration_since(entry.window_start) >= self.window {
            entry.window_start = now;
            entry.logged = 0;
        }
        if entry.logged < self.burst {
            entry.logged += 1;
            let suppressed = entry.suppressed;
            entry.suppressed = 0;
            Some(suppressed)
        } else {
            entry.suppressed += 1;
            None
        }
    }

    fn forget_oldest(&mut self) {
        let oldest = self
            .keys
            .iter()
            .min_by_key(|(_, repeats)| repeats.window_start)
            .map(|(key, _)| key.clone());
        if let Some(key) = oldest {
            self.keys.remove(&key);
        }
    }
}

static SHARED: LazyLock<Mutex<RepeatLimiter>> =
    LazyLock::new(|| Mutex::new(RepeatLimiter::new(REPEAT_BURST, REPEAT_WINDOW)));

/// [`RepeatLimiter::admit`] on the process-wide limiter, at the current
/// time. Build `key` from the message and the ids involved, such as
/// `"device lost:keypad-w01"`, and log the returned count as a field:
///
/// ```
/// if let Some(suppressed) = hallbox::logging::admit("device lost:keypad-w01") {
///     tracing::warn!(device = "keypad-w01", suppressed, "device lost");
/// }
/// ```
///
/// A repeat left out is reported only through the count on the next record
/// of its key that is logged.
pub fn admit(key: &str) -> Option<u64> {
    SHARED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .admit(key, Instant::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_logs_burst_then_counts() {
        let mut limiter = RepeatLimiter::new(2, Duration::from_secs(60));
        let start = Instant::now();
        assert_eq!(limiter.admit("lost:a", start), Some(0));
        assert_eq!(
            limiter.admit("lost:a", start + Duration::from_secs(1)),
            Some(0)
        );
        assert_eq!(
            limiter.admit("lost:a", start + Duration::from_secs(2)),
            None
        );
        assert_eq!(
            limiter.admit("lost:a", start + Duration::from_secs(3)),
            None
        );
        assert_eq!(
            limiter.admit("lost:a", start + Duration::from_secs(4)),
            None
        );
        // Another key has its own budget.
        assert_eq!(
            limiter.admit("lost:b", start + Duration::from_secs(5)),
            Some(0)
        );
        // After the window, the next record carries the 3 left out.
        assert_eq!(
            limiter.admit("lost:a", start + Duration::from_secs(60)),
            Some(3)
        );
        assert_eq!(
            limiter.admit("lost:a", start + Duration::from_secs(61)),
            Some(0)
        );
    }

    #[test]
    fn limiter_forgets_oldest_key_when_full() {
        let mut limiter = RepeatLimiter::new(1, Duration::from_secs(60));
        let start = Instant::now();
        for i in 0..MAX_KEYS {
            let at = start + Duration::from_millis(i as u64);
            assert_eq!(limiter.admit(&format!("k{i}"), at), Some(0));
        }
        assert_eq!(limiter.admit("k0", start + Duration::from_secs(1)), None);
        // A new key evicts the key with the oldest window start: k0, whose
        // window still starts at `start` although it was just seen again.
        let late = start + Duration::from_secs(2);
        assert_eq!(limiter.admit("new", late), Some(0));
        assert_eq!(limiter.keys.len(), MAX_KEYS);
        assert!(!limiter.keys.contains_key("k0"));
    }
}
