//! Reasons the decoder rejects a frame, and counts of rejections per reason.

use std::time::Duration;

/// Reason a burst of edges was not turned into a frame.
///
/// The decoder rejects the whole burst (every edge up to the next quiet gap)
/// and starts over with the next one, so one bad frame yields one rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Reject {
    /// The first half of a card frame, leading parity bit included, contains
    /// an odd number of ones.
    #[error("{bit_count}-bit frame failed its leading even parity check (a bit was lost or flipped on the wire; check the cable shield and ground)")]
    LeadingParity {
        /// Number of bits in the frame.
        bit_count: usize,
    },

    /// The second half of a card frame, trailing parity bit included,
    /// contains an even number of ones.
    #[error("{bit_count}-bit frame failed its trailing odd parity check (a bit was lost or flipped on the wire; check the cable shield and ground)")]
    TrailingParity {
        /// Number of bits in the frame.
        bit_count: usize,
    },

    /// The frame length is not an accepted format.
    #[error("frame of {bit_count} bits is not an accepted format (set the reader to 26 or 34 bits, or accept its format in the decoder configuration)")]
    UnexpectedBitCount {
        /// Number of pulses in the frame, also those beyond the 64 stored.
        bit_count: usize,
    },

    /// A pulse was shorter than the configured minimum.
    #[error("pulse of {width:?} on line {line} is shorter than the minimum {min:?} (noise on the line, or lower min_pulse for this reader)")]
    PulseTooShort {
        /// Line of the pulse.
        line: u8,
        /// Measured width.
        width: Duration,
        /// Configured minimum width.
        min: Duration,
    },

    /// A pulse was longer than the configured maximum.
    #[error("pulse of {width:?} on line {line} is longer than the maximum {max:?} (raise max_pulse for this reader)")]
    PulseTooLong {
        /// Line of the pulse.
        line: u8,
        /// Measured width.
        width: Duration,
        /// Configured maximum width.
        max: Duration,
    },

    /// Two pulses followed each other closer than the configured minimum gap.
    #[error("gap of {gap:?} between pulses is shorter than the minimum {min:?} (noise on the line, or lower min_gap for this reader)")]
    GapTooShort {
        /// Idle time from the end of one pulse to the start of the next.
        gap: Duration,
        /// Configured minimum gap.
        min: Duration,
    },

    /// Two pulses of one frame were further apart than the configured
    /// maximum gap.
    #[error("gap of {gap:?} between pulses is longer than the maximum {max:?} (raise max_gap for this reader)")]
    GapTooLong {
        /// Idle time from the end of one pulse to the start of the next.
        gap: Duration,
        /// Configured maximum gap.
        max: Duration,
    },

    /// D0 and D1 were low at the same time, which a working reader does not
    /// do: its pulses never overlap.
    #[error(
        "both lines were low at {at:?} (a glitch, crossed wiring, or a line shorted to ground)"
    )]
    BothLinesLow {
        /// Timestamp of the falling edge that started the overlap.
        at: Duration,
    },

    /// The two nibbles of an 8-bit key frame are not ones' complements.
    #[error("8-bit key frame has key nibble {key:#06b} but check nibble {check:#06b}, expected its complement (a bit was lost, or set the key nibble order to match the keypad)")]
    KeyNibbleMismatch {
        /// Nibble read as the key.
        key: u8,
        /// Nibble read as the complement.
        check: u8,
    },

    /// A key frame carried a code above 11 (`#`).
    #[error("key code {code} is not a keypad key (0-9, 10 for *, 11 for #)")]
    UnknownKey {
        /// Received 4-bit code.
        code: u8,
    },

    /// A line went high without going low first, so its falling edge was lost.
    #[error("rising edge on line {line} without a falling edge before it (an edge was lost)")]
    MissingFallingEdge {
        /// Line of the rising edge.
        line: u8,
    },

    /// A line went low twice without going high between, so its rising edge
    /// was lost.
    #[error("falling edge on line {line} while it was already low (an edge was lost)")]
    MissingRisingEdge {
        /// Line of the falling edge.
        line: u8,
    },

    /// A line was still low when the frame gap ended.
    #[error("line {line} stayed low for {held_for:?} (its rising edge was lost, or the line is shorted to ground; check the wiring)")]
    LineHeldLow {
        /// Line that stayed low.
        line: u8,
        /// Time from its falling edge to the close of the frame.
        held_for: Duration,
    },

    /// An edge arrived with a timestamp older than an earlier edge of its
    /// line, or older than the end of a frame already closed.
    #[error("edge on line {line} arrived out of timestamp order (the edge source reorders or delays events)")]
    EdgeOutOfOrder {
        /// Line of the edge.
        line: u8,
    },

    /// An edge came from a line that is neither D0 nor D1 of this reader.
    #[error("edge on line {line}, which is neither D0 nor D1 of this reader (route only this reader's lines to its decoder)")]
    UnknownLine {
        /// Line of the edge.
        line: u8,
    },

    /// The edge source lost edges during the frame.
    #[error(
        "edges were lost during the frame (the edge channel was full or the kernel dropped events)"
    )]
    EdgesLost,
}

/// Reject reason without its values, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectKind {
    /// [`Reject::LeadingParity`].
    LeadingParity,
    /// [`Reject::TrailingParity`].
    TrailingParity,
    /// [`Reject::UnexpectedBitCount`].
    UnexpectedBitCount,
    /// [`Reject::PulseTooShort`].
    PulseTooShort,
    /// [`Reject::PulseTooLong`].
    PulseTooLong,
    /// [`Reject::GapTooShort`].
    GapTooShort,
    /// [`Reject::GapTooLong`].
    GapTooLong,
    /// [`Reject::BothLinesLow`].
    BothLinesLow,
    /// [`Reject::KeyNibbleMismatch`].
    KeyNibbleMismatch,
    /// [`Reject::UnknownKey`].
    UnknownKey,
    /// [`Reject::MissingFallingEdge`].
    MissingFallingEdge,
    /// [`Reject::MissingRisingEdge`].
    MissingRisingEdge,
    /// [`Reject::LineHeldLow`].
    LineHeldLow,
    /// [`Reject::EdgeOutOfOrder`].
    EdgeOutOfOrder,
    /// [`Reject::UnknownLine`].
    UnknownLine,
    /// [`Reject::EdgesLost`].
    EdgesLost,
}

impl RejectKind {
    /// Every kind, in declaration order.
    pub const ALL: [RejectKind; 16] = [
        RejectKind::LeadingParity,
        RejectKind::TrailingParity,
        RejectKind::UnexpectedBitCount,
        RejectKind::PulseTooShort,
        RejectKind::PulseTooLong,
        RejectKind::GapTooShort,
        RejectKind::GapTooLong,
        RejectKind::BothLinesLow,
        RejectKind::KeyNibbleMismatch,
        RejectKind::UnknownKey,
        RejectKind::MissingFallingEdge,
        RejectKind::MissingRisingEdge,
        RejectKind::LineHeldLow,
        RejectKind::EdgeOutOfOrder,
        RejectKind::UnknownLine,
        RejectKind::EdgesLost,
    ];

    /// Returns the snake_case name, for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            RejectKind::LeadingParity => "leading_parity",
            RejectKind::TrailingParity => "trailing_parity",
            RejectKind::UnexpectedBitCount => "unexpected_bit_count",
            RejectKind::PulseTooShort => "pulse_too_short",
            RejectKind::PulseTooLong => "pulse_too_long",
            RejectKind::GapTooShort => "gap_too_short",
            RejectKind::GapTooLong => "gap_too_long",
            RejectKind::BothLinesLow => "both_lines_low",
            RejectKind::KeyNibbleMismatch => "key_nibble_mismatch",
            RejectKind::UnknownKey => "unknown_key",
            RejectKind::MissingFallingEdge => "missing_falling_edge",
            RejectKind::MissingRisingEdge => "missing_rising_edge",
            RejectKind::LineHeldLow => "line_held_low",
            RejectKind::EdgeOutOfOrder => "edge_out_of_order",
            RejectKind::UnknownLine => "unknown_line",
            RejectKind::EdgesLost => "edges_lost",
        }
    }
}

impl Reject {
    /// Returns the reason without its values.
    pub fn kind(&self) -> RejectKind {
        match self {
            Reject::LeadingParity { .. } => RejectKind::LeadingParity,
            Reject::TrailingParity { .. } => RejectKind::TrailingParity,
            Reject::UnexpectedBitCount { .. } => RejectKind::UnexpectedBitCount,
            Reject::PulseTooShort { .. } => RejectKind::PulseTooShort,
            Reject::PulseTooLong { .. } => RejectKind::PulseTooLong,
            Reject::GapTooShort { .. } => RejectKind::GapTooShort,
            Reject::GapTooLong { .. } => RejectKind::GapTooLong,
            Reject::BothLinesLow { .. } => RejectKind::BothLinesLow,
            Reject::KeyNibbleMismatch { .. } => RejectKind::KeyNibbleMismatch,
            Reject::UnknownKey { .. } => RejectKind::UnknownKey,
            Reject::MissingFallingEdge { .. } => RejectKind::MissingFallingEdge,
            Reject::MissingRisingEdge { .. } => RejectKind::MissingRisingEdge,
            Reject::LineHeldLow { .. } => RejectKind::LineHeldLow,
            Reject::EdgeOutOfOrder { .. } => RejectKind::EdgeOutOfOrder,
            Reject::UnknownLine { .. } => RejectKind::UnknownLine,
            Reject::EdgesLost => RejectKind::EdgesLost,
        }
    }
}

/// Number of rejections per reason since the decoder was created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RejectCounts {
    counts: [u64; RejectKind::ALL.len()],
}

impl RejectCounts {
    /// Returns the number of rejections of `kind`.
    pub fn get(&self, kind: RejectKind) -> u64 {
        self.counts[kind as usize]
    }

    /// Returns the number of rejections of every kind together.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Returns each kind with its count, in [`RejectKind::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (RejectKind, u64)> + '_ {
        RejectKind::ALL
            .into_iter()
            .map(|kind| (kind, self.get(kind)))
    }

    /// Adds one rejection of `kind`.
    pub(crate) fn record(&mut self, kind: RejectKind) {
        let count = &mut self.counts[kind as usize];
        *count = count.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_order_matches_all() {
        for (index, kind) in RejectKind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, index, "{kind:?}");
        }
    }

    #[test]
    fn counts_per_kind() {
        let mut counts = RejectCounts::default();
        counts.record(RejectKind::GapTooShort);
        counts.record(RejectKind::GapTooShort);
        counts.record(RejectKind::EdgesLost);
        assert_eq!(counts.get(RejectKind::GapTooShort), 2);
        assert_eq!(counts.get(RejectKind::EdgesLost), 1);
        assert_eq!(counts.get(RejectKind::LeadingParity), 0);
        assert_eq!(counts.total(), 3);
        assert_eq!(counts.iter().filter(|(_, count)| *count > 0).count(), 2);
    }

    #[test]
    fn message_names_value() {
        let reject = Reject::PulseTooShort {
            line: 17,
            width: Duration::from_micros(5),
            min: Duration::from_micros(10),
        };
        assert_eq!(
            reject.to_string(),
            "pulse of 5µs on line 17 is shorter than the minimum 10µs (noise on the line, or lower min_pulse for this reader)"
        );
        assert_eq!(reject.kind().name(), "pulse_too_short");
    }
}
