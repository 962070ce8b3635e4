//! The box's time as the device sessions read it.
//!
//! Keypads and fingerprint modules have no clock, so their events carry the
//! box's receive time. The daemon reads the system clock. `hallbox demo`
//! replays a past month through the real serial sessions, so it pins the
//! clock to each generated event's time before the simulated device sends
//! it, and releases it to the system clock afterwards.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};

/// Source of "now" for device events; clones share one setting.
#[derive(Debug, Clone, Default)]
pub struct BoxClock {
    /// `None` reads the system clock; `Some` is a time pinned by hand.
    pinned: Arc<Mutex<Option<DateTime<Utc>>>>,
}

impl BoxClock {
    /// Returns the system clock, until [`BoxClock::pin`] is called.
    pub fn system() -> BoxClock {
        BoxClock::default()
    }

    /// Returns the current time of this clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.lock().unwrap_or_else(Utc::now)
    }

    /// Pins the clock at `time` until the next `pin` or [`BoxClock::release`].
    pub fn pin(&self, time: DateTime<Utc>) {
        *self.lock() = Some(time);
    }

    /// Returns the clock to the system clock.
    pub fn release(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> MutexGuard<'_, Option<DateTime<Utc>>> {
        // The value is a plain time, valid even if a holder panicked.
        self.pinned
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn clock_pins_and_releases() {
        let clock = BoxClock::system();
        let shared = clock.clone();
        let pinned = Utc.with_ymd_and_hms(2001, 1, 2, 0, 25, 0).unwrap();

        shared.pin(pinned);
        assert_eq!(clock.now(), pinned);

        shared.release();
        assert!(clock.now() > pinned, "the system clock is past 2001");
    }
}
