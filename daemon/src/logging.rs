//! Log output: tracing to stderr, which systemd puts in the journal.
//!
//! The level comes from `HALLBOX_LOG` (an `EnvFilter` directive such as
//! `info` or `hallbox=debug,tower_http=warn`), and defaults to `info`.

use tracing_subscriber::EnvFilter;

/// Environment variable that sets the log filter.
pub const LOG_ENV: &str = "HALLBOX_LOG";

/// Installs the global subscriber; later calls do nothing.
pub fn init() {
    let filter = EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
