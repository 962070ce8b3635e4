//! Timing limits, accepted formats and lines of a Wiegand decoder.

use std::time::Duration;

use super::frame::{FrameFormat, Key8Order};
use super::Lines;

// NOTE: the margins of the default pulse and gap limits below are estimates.
// They were not measured against kernel timestamps on a Raspberry Pi under
// load.

/// Default minimum pulse width, 10 µs: half the 20 µs shortest pulse readers
/// send, leaving room for jitter in the kernel's interrupt timestamps.
pub const DEFAULT_MIN_PULSE: Duration = Duration::from_micros(10);

/// Default maximum pulse width, 200 µs: twice the 100 µs longest pulse
/// readers send.
pub const DEFAULT_MAX_PULSE: Duration = Duration::from_micros(200);

/// Default minimum idle time between pulses, 50 µs: half of the shortest
/// idle time readers leave, about 100 µs for a reader that sends a bit every
/// 200 µs with pulses up to 100 µs wide.
pub const DEFAULT_MIN_GAP: Duration = Duration::from_micros(50);

/// Default maximum idle time between pulses of a frame, 10 ms: almost four
/// times the 2.7 ms longest idle time between bits, so a pause no reader
/// makes inside a frame rejects it instead of joining two halves.
pub const DEFAULT_MAX_GAP: Duration = Duration::from_millis(10);

/// Default quiet gap that ends a frame, 25 ms: about nine times the 2.7 ms
/// longest idle time between bits, so a slow reader's frame is not split, and
/// well below the time between two key presses on a keypad.
pub const DEFAULT_FRAME_GAP: Duration = Duration::from_millis(25);

/// Errors in a decoder configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// D0 and D1 name the same line.
    #[error("d0 and d1 are both line {line} (give the reader two different GPIO lines)")]
    SameLine {
        /// The line given for both.
        line: u8,
    },

    /// The minimum pulse width exceeds the maximum.
    #[error(
        "min_pulse {min:?} is longer than max_pulse {max:?} (set min_pulse at most max_pulse)"
    )]
    PulseRange {
        /// Configured minimum.
        min: Duration,
        /// Configured maximum.
        max: Duration,
    },

    /// The minimum gap exceeds the maximum gap.
    #[error("min_gap {min:?} is longer than max_gap {max:?} (set min_gap at most max_gap)")]
    GapRange {
        /// Configured minimum.
        min: Duration,
        /// Configured maximum.
        max: Duration,
    },

    /// The frame gap would end frames inside a valid pulse or gap.
    #[error("frame_gap {frame_gap:?} is not longer than {limit:?}, the maximum valid pulse or gap (set frame_gap above it)")]
    FrameGapTooShort {
        /// Configured frame gap.
        frame_gap: Duration,
        /// Maximum of `max_pulse`, `min_gap` and `max_gap`.
        limit: Duration,
    },

    /// No frame format is accepted.
    #[error("no frame format is accepted (accept at least one of 4-bit keys, 8-bit keys, 26-bit or 34-bit cards)")]
    NoFormats,
}

/// Timing limits for pulses and gaps, all measured from edge timestamps.
///
/// A pulse is accepted when `min_pulse <= width <= max_pulse`, and a gap (the
/// idle time from one pulse's rising edge to the next pulse's falling edge)
/// when `min_gap <= gap` and, if `max_gap` is set, `gap <= max_gap`. A frame
/// ends once both lines have been idle for at least `frame_gap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Minimum accepted pulse width.
    pub min_pulse: Duration,
    /// Maximum accepted pulse width.
    pub max_pulse: Duration,
    /// Minimum accepted idle time between two pulses of a frame.
    pub min_gap: Duration,
    /// Maximum accepted idle time between two pulses of a frame, by default
    /// [`DEFAULT_MAX_GAP`]. `None` accepts any gap shorter than `frame_gap`.
    pub max_gap: Option<Duration>,
    /// Idle time after which a frame ends.
    pub frame_gap: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            min_pulse: DEFAULT_MIN_PULSE,
            max_pulse: DEFAULT_MAX_PULSE,
            min_gap: DEFAULT_MIN_GAP,
            max_gap: Some(DEFAULT_MAX_GAP),
            frame_gap: DEFAULT_FRAME_GAP,
        }
    }
}

/// Frame formats the decoder turns into frames. A frame of any other length
/// is rejected as [`super::Reject::UnexpectedBitCount`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptedFormats {
    /// Accept 4-bit key frames.
    pub key4: bool,
    /// Accept 8-bit key frames.
    pub key8: bool,
    /// Accept 26-bit card frames.
    pub card26: bool,
    /// Accept 34-bit card frames.
    pub card34: bool,
}

impl AcceptedFormats {
    /// Every format accepted.
    pub const ALL: AcceptedFormats = AcceptedFormats {
        key4: true,
        key8: true,
        card26: true,
        card34: true,
    };

    /// Returns `true` when `format` is accepted.
    pub fn accepts(&self, format: FrameFormat) -> bool {
        match format {
            FrameFormat::Key4 => self.key4,
            FrameFormat::Key8 => self.key8,
            FrameFormat::Card26 => self.card26,
            FrameFormat::Card34 => self.card34,
        }
    }

    fn is_empty(&self) -> bool {
        !(self.key4 || self.key8 || self.card26 || self.card34)
    }
}

impl Default for AcceptedFormats {
    fn default() -> AcceptedFormats {
        AcceptedFormats::ALL
    }
}

/// Configuration of one [`super::Decoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderConfig {
    /// The reader's D0 and D1 lines.
    pub lines: Lines,
    /// Timing limits.
    pub timing: Timing,
    /// Accepted frame formats.
    pub formats: AcceptedFormats,
    /// Nibble order of 8-bit key frames.
    pub key8_order: Key8Order,
}

impl DecoderConfig {
    /// Builds a configuration for `lines` with the default timing, every
    /// format accepted and HID's 8-bit key order.
    pub fn new(lines: Lines) -> DecoderConfig {
        DecoderConfig {
            lines,
            timing: Timing::default(),
            formats: AcceptedFormats::default(),
            key8_order: Key8Order::default(),
        }
    }

    /// Checks that the configuration can decode frames.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the first inconsistent setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.lines.d0 == self.lines.d1 {
            return Err(ConfigError::SameLine {
                line: self.lines.d0,
            });
        }

        let timing = &self.timing;
        if timing.min_pulse > timing.max_pulse {
            return Err(ConfigError::PulseRange {
                min: timing.min_pulse,
                max: timing.max_pulse,
            });
        }
        if let Some(max_gap) = timing.max_gap {
            if timing.min_gap > max_gap {
                return Err(ConfigError::GapRange {
                    min: timing.min_gap,
                    max: max_gap,
                });
            }
        }

        // A frame gap no longer than a valid pulse would close the frame while
        // that pulse is still low, and one no longer than a valid gap would
        // split the frame there.
        let limit = timing
            .max_pulse
            .max(timing.min_gap)
            .max(timing.max_gap.unwrap_or(Duration::ZERO));
        if timing.frame_gap <= limit {
            return Err(ConfigError::FrameGapTooShort {
                frame_gap: timing.frame_gap,
                limit,
            });
        }

        if self.formats.is_empty() {
            return Err(ConfigError::NoFormats);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: Lines = Lines { d0: 17, d1: 27 };

    #[test]
    fn default_config_valid() {
        assert_eq!(DecoderConfig::new(LINES).validate(), Ok(()));
    }

    #[test]
    fn validate_rejects_each_error() {
        let us = Duration::from_micros;

        let mut same_line = DecoderConfig::new(LINES);
        same_line.lines.d1 = 17;
        assert_eq!(
            same_line.validate(),
            Err(ConfigError::SameLine { line: 17 })
        );

        let mut pulses = DecoderConfig::new(LINES);
        pulses.timing.min_pulse = us(300);
        assert_eq!(
            pulses.validate(),
            Err(ConfigError::PulseRange {
                min: us(300),
                max: us(200)
            })
        );

        let mut gaps = DecoderConfig::new(LINES);
        gaps.timing.max_gap = Some(us(40));
        assert_eq!(
            gaps.validate(),
            Err(ConfigError::GapRange {
                min: us(50),
                max: us(40)
            })
        );

        let mut frame_gap = DecoderConfig::new(LINES);
        frame_gap.timing.max_gap = Some(us(3000));
        frame_gap.timing.frame_gap = us(3000);
        assert_eq!(
            frame_gap.validate(),
            Err(ConfigError::FrameGapTooShort {
                frame_gap: us(3000),
                limit: us(3000)
            })
        );

        let mut short_frame_gap = DecoderConfig::new(LINES);
        short_frame_gap.timing.max_gap = None;
        short_frame_gap.timing.frame_gap = us(150);
        assert_eq!(
            short_frame_gap.validate(),
            Err(ConfigError::FrameGapTooShort {
                frame_gap: us(150),
                limit: us(200)
            })
        );

        let mut formats = DecoderConfig::new(LINES);
        formats.formats = AcceptedFormats {
            key4: false,
            key8: false,
            card26: false,
            card34: false,
        };
        assert_eq!(formats.validate(), Err(ConfigError::NoFormats));
    }
}
