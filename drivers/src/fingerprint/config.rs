//! Settings of the polling state machine and the module's LED kind.

use std::time::Duration;

use super::led::{AuraColour, AuraControl, AuraSignal};
use super::packet::DEFAULT_ADDRESS;

/// Kind of LED the module model has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LedKind {
    /// Ring LED driven by AuraLedConfig (0x35), as on the R503.
    Aura,
    /// Single-colour LED switched by LED on (0x50) and LED off (0x51).
    OnOff,
    /// No LED the host can drive; no LED commands are sent.
    None,
}

/// Settings of the poller. [`PollerConfig::default`] suits an R503 with
/// factory settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollerConfig {
    /// Module address (factory default 0xFFFFFFFF).
    pub address: u32,
    /// Password to verify with VfyPwd before polling; `None` skips it,
    /// which works while the module keeps the factory password.
    pub password: Option<u32>,
    /// First library page to search.
    pub search_start: u16,
    /// Pages to search; `None` searches from `search_start` to the end of
    /// the library size reported by ReadSysPara.
    pub search_count: Option<u16>,
    /// Send HighSpeedSearch (0x1B) in place of Search (0x04).
    pub high_speed_search: bool,
    /// Pause between GenImg polls while no finger is present.
    pub poll_interval: Duration,
    /// Pause between GenImg polls while waiting for the finger to lift.
    pub lift_poll_interval: Duration,
    /// Consecutive "no finger" replies that count as a lifted finger.
    /// Two guard against a finger that slides off and back.
    pub lift_checks: u32,
    /// Pause before resending after a timeout or a damaged reply.
    pub retry_delay: Duration,
    /// Resends allowed after consecutive failed exchanges; one more failure
    /// reports [`Action::Unresponsive`](super::poller::Action::Unresponsive)
    /// and stops the poller.
    pub max_retries: u32,
    /// Time to wait for an acknowledge to any command except a search.
    pub ack_timeout: Duration,
    /// Time to wait for the acknowledge to Search or HighSpeedSearch.
    pub search_timeout: Duration,
    /// LED the module has.
    pub led: LedKind,
    /// Aura signal after a committed punch.
    pub aura_success: AuraSignal,
    /// Aura signal after a failed commit or a rejected touch.
    pub aura_failure: AuraSignal,
    /// On and off time of one blink on an on/off LED.
    pub blink: Duration,
}

impl Default for PollerConfig {
    fn default() -> Self {
        Self {
            address: DEFAULT_ADDRESS,
            password: None,
            search_start: 0,
            search_count: None,
            high_speed_search: false,
            poll_interval: Duration::from_millis(150),
            lift_poll_interval: Duration::from_millis(150),
            lift_checks: 2,
            retry_delay: Duration::from_millis(500),
            max_retries: 3,
            // The R503 manual V1.2.2 gives image capture < 0.2 s and feature
            // extraction < 0.5 s; 1 s leaves margin for both.
            ack_timeout: Duration::from_secs(1),
            // The same manual gives matching < 10 ms per template, so a full
            // 200-template library searches in under 2 s.
            search_timeout: Duration::from_secs(3),
            led: LedKind::Aura,
            // NOTE: the manual gives no unit per speed step, so these
            // speeds and counts are a first choice, untested on a module.
            aura_success: AuraSignal {
                control: AuraControl::Breathing,
                speed: 0x40,
                // Blue rather than green: every R503 source lists red, blue
                // and purple, but not all list green.
                colour: AuraColour::Blue,
                count: 1,
            },
            aura_failure: AuraSignal {
                control: AuraControl::Flashing,
                speed: 0x20,
                colour: AuraColour::Red,
                count: 3,
            },
            blink: Duration::from_millis(200),
        }
    }
}
