//! Rate limit for warnings that any client can trigger at will, such as a
//! request with an unknown serial number every few seconds: one line per
//! key per minute, with the number of repeats suppressed in between.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Shortest time between two warnings under the same key.
const LOG_INTERVAL: Duration = Duration::from_secs(60);

/// Most keys tracked. Keys beyond this share one entry, so a client that
/// sends a new serial number with every request cannot grow the map.
const MAX_KEYS: usize = 64;

/// Key shared by every key beyond [`MAX_KEYS`].
const OVERFLOW_KEY: &str = "(other)";

#[derive(Debug)]
struct Entry {
    last_logged: Instant,
    suppressed: u64,
}

/// Per-key rate limit of warnings.
#[derive(Debug, Default)]
pub struct LogThrottle {
    entries: BTreeMap<String, Entry>,
}

impl LogThrottle {
    /// Returns `Some(suppressed)` when a warning under `key` may be logged
    /// at `now`, with the number of warnings suppressed since the last one,
    /// and `None` when it is to be suppressed.
    pub fn check(&mut self, key: &str, now: Instant) -> Option<u64> {
        let key = if self.entries.contains_key(key) || self.entries.len() < MAX_KEYS {
            key
        } else {
            OVERFLOW_KEY
        };
        match self.entries.get_mut(key) {
            None => {
                self.entries.insert(
                    key.to_string(),
                    Entry {
                        last_logged: now,
                        suppressed: 0,
                    },
                );
                Some(0)
            }
            Some(entry) if now.saturating_duration_since(entry.last_logged) >= LOG_INTERVAL => {
                let suppressed = entry.suppressed;
                entry.last_logged = now;
                entry.suppressed = 0;
                Some(suppressed)
            }
            Some(entry) => {
                entry.suppressed += 1;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_once_per_interval() {
        let mut throttle = LogThrottle::default();
        let start = Instant::now();
        assert_eq!(throttle.check("SN1", start), Some(0));
        assert_eq!(throttle.check("SN1", start + Duration::from_secs(1)), None);
        assert_eq!(throttle.check("SN1", start + Duration::from_secs(59)), None);
        assert_eq!(
            throttle.check("SN2", start + Duration::from_secs(59)),
            Some(0)
        );
        assert_eq!(
            throttle.check("SN1", start + Duration::from_secs(60)),
            Some(2)
        );
        assert_eq!(throttle.check("SN1", start + Duration::from_secs(61)), None);
    }

    #[test]
    fn throttle_bounded_keys() {
        let mut throttle = LogThrottle::default();
        let now = Instant::now();
        for index in 0..MAX_KEYS {
            assert_eq!(throttle.check(&format!("SN{index}"), now), Some(0));
        }
        // Keys beyond the limit share one entry.
        assert_eq!(throttle.check("new-1", now), Some(0));
        assert_eq!(throttle.check("new-2", now), None);
        assert_eq!(throttle.entries.len(), MAX_KEYS + 1);
    }
}
