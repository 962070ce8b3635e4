//! Software debouncing of push buttons wired to GPIO inputs.
//!
//! Each button has its own GPIO input and its own [`Debouncer`]. A button
//! counts as pressed once its line has stayed at the active level for the
//! press time. It counts as released once the line has stayed at the other
//! level for the release time. So the contact bounce of one push yields one
//! press. The
//! kernel's GPIO debounce is the first choice where the driver supports it;
//! this type is the fallback where it does not.
//!
//! Like the Wiegand decoder, the debouncer reads no pin and no clock: levels
//! come with their edge timestamps, and [`Debouncer::poll`] takes `now` from
//! the same clock. Never use it on Wiegand lines, whose 20-100 µs pulses are
//! shorter than any debounce time.

use std::time::Duration;

use crate::edge::Level;

/// Default press and release time, 30 ms: longer than the few milliseconds a
/// typical push-button contact bounces, shorter than a deliberate push.
pub const DEFAULT_SETTLE_TIME: Duration = Duration::from_millis(30);

/// Active level and settle times of one button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebounceConfig {
    /// Level of the line while the button is pushed: [`Level::Low`] for a
    /// button that shorts a pulled-up input to ground.
    pub active: Level,
    /// Time the line must stay at the active level before a press counts.
    pub press_time: Duration,
    /// Time the line must stay at the inactive level before a release
    /// counts.
    pub release_time: Duration,
}

impl Default for DebounceConfig {
    fn default() -> DebounceConfig {
        DebounceConfig {
            active: Level::Low,
            press_time: DEFAULT_SETTLE_TIME,
            release_time: DEFAULT_SETTLE_TIME,
        }
    }
}

/// A debounced change of a button's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ButtonEvent {
    /// The button was pushed.
    Pressed {
        /// Timestamp of the last edge to the active level, after which the
        /// line stayed there for the press time.
        at: Duration,
    },
    /// The button was let go.
    Released {
        /// Timestamp of the last edge to the inactive level, after which the
        /// line stayed there for the release time.
        at: Duration,
    },
}

/// Debouncer for one button: a pure state machine fed with levels.
#[derive(Debug, Clone)]
pub struct Debouncer {
    config: DebounceConfig,
    /// Debounced level.
    stable: Level,
    /// Level after the latest edge.
    raw: Level,
    /// Timestamp of the latest edge.
    raw_since: Duration,
    presses: u64,
}

impl Debouncer {
    /// Creates a debouncer for a line read at `level` at time `now`. A line
    /// that is already active counts as pressed without a
    /// [`ButtonEvent::Pressed`].
    pub fn new(config: DebounceConfig, level: Level, now: Duration) -> Debouncer {
        Debouncer {
            config,
            stable: level,
            raw: level,
            raw_since: now,
            presses: 0,
        }
    }

    /// Consumes one edge: the line's `level` after it, at `timestamp`.
    ///
    /// Returns the change that became final before this edge, if the previous
    /// level had settled by `timestamp`. An edge to the level the line
    /// already had means the edge between them was lost, so the settle time
    /// starts over.
    pub fn push_level(&mut self, level: Level, timestamp: Duration) -> Option<ButtonEvent> {
        let event = self.poll(timestamp);
        // An edge older than the previous one restarts the settle time from
        // the previous one, so time never runs backwards.
        self.raw_since = self.raw_since.max(timestamp);
        self.raw = level;
        event
    }

    /// Returns the change that became final by `now`, if any.
    pub fn poll(&mut self, now: Duration) -> Option<ButtonEvent> {
        let deadline = self.next_deadline()?;
        if now < deadline {
            return None;
        }

        self.stable = self.raw;
        if self.raw == self.config.active {
            self.presses = self.presses.saturating_add(1);
            Some(ButtonEvent::Pressed { at: self.raw_since })
        } else {
            Some(ButtonEvent::Released { at: self.raw_since })
        }
    }

    /// Returns the time at which [`Debouncer::poll`] makes the pending change
    /// final, or `None` when the line is at its debounced level.
    pub fn next_deadline(&self) -> Option<Duration> {
        if self.raw == self.stable {
            return None;
        }
        let settle = if self.raw == self.config.active {
            self.config.press_time
        } else {
            self.config.release_time
        };
        Some(self.raw_since.saturating_add(settle))
    }

    /// Returns `true` while the debounced state is pressed.
    pub fn is_pressed(&self) -> bool {
        self.stable == self.config.active
    }

    /// Returns the number of presses so far.
    pub fn presses(&self) -> u64 {
        self.presses
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    fn us(micros: u64) -> Duration {
        Duration::from_micros(micros)
    }

    fn button() -> Debouncer {
        Debouncer::new(DebounceConfig::default(), Level::High, Duration::ZERO)
    }

    /// Feeds `(level, timestamp)` edges, then polls at `end`, and returns
    /// every event in order.
    fn run(
        debouncer: &mut Debouncer,
        edges: &[(Level, Duration)],
        end: Duration,
    ) -> Vec<ButtonEvent> {
        let mut events = Vec::new();
        for &(level, at) in edges {
            events.extend(debouncer.push_level(level, at));
        }
        events.extend(debouncer.poll(end));
        events
    }

    #[test]
    fn bouncing_press_and_release() {
        use Level::{High, Low};
        let mut debouncer = button();
        // Push at 100 ms with four bounces over 3 ms, after which the contact
        // settles low at 103 ms. Release at 400 ms with bounces, after which it
        // settles high at 402.5 ms.
        let edges = [
            (Low, ms(100)),
            (High, us(100_400)),
            (Low, us(100_900)),
            (High, us(101_700)),
            (Low, ms(103)),
            (High, ms(400)),
            (Low, us(400_300)),
            (High, us(401_000)),
            (Low, us(401_200)),
            (High, us(402_500)),
        ];
        let events = run(&mut debouncer, &edges, ms(1000));
        assert_eq!(
            events,
            vec![
                ButtonEvent::Pressed { at: ms(103) },
                ButtonEvent::Released { at: us(402_500) },
            ]
        );
        assert_eq!(debouncer.presses(), 1);
        assert!(!debouncer.is_pressed());
    }

    #[test]
    fn press_found_by_poll() {
        let mut debouncer = button();
        assert_eq!(debouncer.push_level(Level::Low, ms(10)), None);
        assert_eq!(debouncer.next_deadline(), Some(ms(40)));
        assert_eq!(debouncer.poll(ms(39)), None);
        assert_eq!(
            debouncer.poll(ms(40)),
            Some(ButtonEvent::Pressed { at: ms(10) })
        );
        assert!(debouncer.is_pressed());
        assert_eq!(debouncer.next_deadline(), None);
        assert_eq!(debouncer.poll(ms(500)), None);
    }

    #[test]
    fn press_time_boundary() {
        // Held exactly 30 ms before the release edge: one press.
        let mut exact = button();
        let edges = [(Level::Low, ms(10)), (Level::High, ms(40))];
        assert_eq!(
            run(&mut exact, &edges, ms(40)),
            vec![ButtonEvent::Pressed { at: ms(10) }]
        );

        // Held 1 ns less: no press, and the line is back at its idle level.
        let mut short = button();
        let edges = [
            (Level::Low, ms(10)),
            (Level::High, ms(40) - Duration::from_nanos(1)),
        ];
        assert_eq!(run(&mut short, &edges, ms(1000)), vec![]);
        assert_eq!(short.presses(), 0);
    }

    #[test]
    fn glitches_make_no_press() {
        use Level::{High, Low};
        let mut debouncer = button();
        // Three 5 ms spikes to the active level, 20 ms apart.
        let edges = [
            (Low, ms(0)),
            (High, ms(5)),
            (Low, ms(20)),
            (High, ms(25)),
            (Low, ms(40)),
            (High, ms(45)),
        ];
        assert_eq!(run(&mut debouncer, &edges, ms(1000)), vec![]);
        assert_eq!(debouncer.presses(), 0);
    }

    #[test]
    fn two_pushes_two_presses() {
        use Level::{High, Low};
        let mut debouncer = button();
        let edges = [
            (Low, ms(100)),
            (High, ms(101)),
            (Low, ms(102)),
            (High, ms(300)),
            (Low, ms(600)),
            (High, ms(800)),
        ];
        let events = run(&mut debouncer, &edges, ms(2000));
        assert_eq!(
            events,
            vec![
                ButtonEvent::Pressed { at: ms(102) },
                ButtonEvent::Released { at: ms(300) },
                ButtonEvent::Pressed { at: ms(600) },
                ButtonEvent::Released { at: ms(800) },
            ]
        );
        assert_eq!(debouncer.presses(), 2);
    }

    #[test]
    fn repeated_level_restarts_settle() {
        let mut debouncer = button();
        debouncer.push_level(Level::Low, ms(0));
        // A second falling edge means a rising edge between them was lost.
        debouncer.push_level(Level::Low, ms(20));
        assert_eq!(debouncer.next_deadline(), Some(ms(50)));
        assert_eq!(debouncer.poll(ms(49)), None);
        assert_eq!(
            debouncer.poll(ms(50)),
            Some(ButtonEvent::Pressed { at: ms(20) })
        );
    }

    #[test]
    fn starts_pressed_without_event() {
        let mut debouncer = Debouncer::new(DebounceConfig::default(), Level::Low, ms(5));
        assert!(debouncer.is_pressed());
        assert_eq!(debouncer.poll(ms(1000)), None);
        assert_eq!(
            run(&mut debouncer, &[(Level::High, ms(1000))], ms(1030)),
            vec![ButtonEvent::Released { at: ms(1000) }]
        );
        assert_eq!(debouncer.presses(), 0);
    }

    #[test]
    fn active_high_button() {
        let config = DebounceConfig {
            active: Level::High,
            press_time: ms(10),
            release_time: ms(50),
        };
        let mut debouncer = Debouncer::new(config, Level::Low, Duration::ZERO);
        let edges = [(Level::High, ms(100)), (Level::Low, ms(110))];
        // The press is final at 110 ms. The release needs 50 ms, until 160 ms.
        assert_eq!(
            run(&mut debouncer, &edges, ms(159)),
            vec![ButtonEvent::Pressed { at: ms(100) }]
        );
        assert_eq!(
            debouncer.poll(ms(160)),
            Some(ButtonEvent::Released { at: ms(110) })
        );
    }

    #[test]
    fn backwards_timestamp_keeps_time() {
        let mut debouncer = button();
        debouncer.push_level(Level::Low, ms(100));
        debouncer.push_level(Level::High, ms(50));
        debouncer.push_level(Level::Low, ms(60));
        assert_eq!(debouncer.next_deadline(), Some(ms(130)));
    }
}
