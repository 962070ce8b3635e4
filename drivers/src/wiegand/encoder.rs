//! Turns Wiegand bits into the edges a reader would produce, for tests,
//! fixtures and the simulator.

use std::time::Duration;

use super::bits::Bits;
use super::Lines;
use crate::edge::Edge;

/// Default encoded pulse width, 50 µs: the middle of the 20-100 µs range
/// readers send.
pub const DEFAULT_ENCODE_PULSE: Duration = Duration::from_micros(50);

/// Default encoded idle time between pulses, 2 ms: inside the 1-2.7 ms range
/// most readers leave.
pub const DEFAULT_ENCODE_GAP: Duration = Duration::from_millis(2);

/// Pulse width and gap of encoded frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeTiming {
    /// Time each line is held low for one bit.
    pub pulse_width: Duration,
    /// Idle time from one pulse's rising edge to the next pulse's falling
    /// edge.
    pub gap: Duration,
}

impl Default for EncodeTiming {
    fn default() -> EncodeTiming {
        EncodeTiming {
            pulse_width: DEFAULT_ENCODE_PULSE,
            gap: DEFAULT_ENCODE_GAP,
        }
    }
}

/// Returns the edges of one frame: for each bit a falling and a rising edge
/// on D0 (bit 0) or D1 (bit 1), the first falling edge at `start`.
///
/// Timestamps saturate at `Duration::MAX` instead of overflowing.
pub fn edges_for(bits: &Bits, lines: Lines, timing: &EncodeTiming, start: Duration) -> Vec<Edge> {
    let period = timing.pulse_width.saturating_add(timing.gap);
    let mut edges = Vec::with_capacity(bits.len() * 2);
    let mut fall = start;
    for bit in bits.iter() {
        let line = if bit { lines.d1 } else { lines.d0 };
        edges.push(Edge::falling(line, fall));
        edges.push(Edge::rising(line, fall.saturating_add(timing.pulse_width)));
        fall = fall.saturating_add(period);
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_for_three_bits() {
        let lines = Lines { d0: 5, d1: 6 };
        let bits = Bits::from_bools(&[true, false, true]).expect("3 bits");
        let timing = EncodeTiming {
            pulse_width: Duration::from_micros(40),
            gap: Duration::from_micros(960),
        };
        let us = Duration::from_micros;
        let edges = edges_for(&bits, lines, &timing, us(100));
        assert_eq!(
            edges,
            vec![
                Edge::falling(6, us(100)),
                Edge::rising(6, us(140)),
                Edge::falling(5, us(1100)),
                Edge::rising(5, us(1140)),
                Edge::falling(6, us(2100)),
                Edge::rising(6, us(2140)),
            ]
        );
    }
}
