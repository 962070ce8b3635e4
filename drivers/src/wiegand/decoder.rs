//! The Wiegand decoder state machine: edges in, frames or rejections out.
//!
//! The decoder groups edges into bursts separated by the quiet frame gap. It
//! records each pulse (a falling edge and the rising edge after it on the
//! same line) and checks the burst as a whole when the frame gap has passed,
//! so each burst yields exactly one frame or one rejection. Checking at the
//! end lets edges of D0 and D1 arrive slightly out of order, as they do when
//! each pin's interrupts are delivered on their own thread: pulses are sorted
//! by timestamp before their timing and bits are read.

use std::time::Duration;

use super::bits::{Bits, MAX_BITS};
use super::config::{ConfigError, DecoderConfig, Timing};
use super::frame::{decode_bits, Frame};
use super::reject::{Reject, RejectCounts};
use crate::edge::{Edge, Level};

/// D0 or D1, as an index into per-line state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    D0 = 0,
    D1 = 1,
}

impl Wire {
    fn other(self) -> Wire {
        match self {
            Wire::D0 => Wire::D1,
            Wire::D1 => Wire::D0,
        }
    }
}

/// One low pulse: a falling edge and the rising edge after it.
#[derive(Debug, Clone, Copy)]
struct Pulse {
    wire: Wire,
    start: Duration,
    end: Duration,
}

#[derive(Debug, Clone, Copy, Default)]
struct LineState {
    /// Falling edge of the pulse in progress in the current burst.
    low_since: Option<Duration>,
    /// Falling edge of a line that was still low when its burst closed. Its
    /// rising edge ends no pulse and starts no burst.
    held_low_since: Option<Duration>,
    /// Latest edge timestamp seen on this line.
    last_edge: Option<Duration>,
}

/// Wiegand decoder for one reader: a pure state machine fed with edges.
///
/// Feed every edge of the reader's D0 and D1 lines to [`Decoder::push_edge`]
/// in the order each line produced them, and call [`Decoder::poll_timeout`]
/// once [`Decoder::next_deadline`] has passed. Both return the outcome of a
/// finished burst: a [`Frame`] whose bit count, parity and timing all
/// checked, or a [`Reject`] with the first problem found. The decoder never
/// turns a burst with a problem into a frame.
#[derive(Debug, Clone)]
pub struct Decoder {
    config: DecoderConfig,
    lines: [LineState; 2],
    /// Pulses of the current burst, at most [`MAX_BITS`].
    pulses: Vec<Pulse>,
    /// Number of pulses in the current burst, also those not stored.
    pulse_count: usize,
    /// Latest timestamp in the current burst, or `None` when no burst is open.
    last_activity: Option<Duration>,
    /// First problem found in the current burst.
    fault: Option<Reject>,
    /// Edges older than this belong to a burst that is already closed.
    late_before: Option<Duration>,
    rejects: RejectCounts,
    frames_decoded: u64,
}

impl Decoder {
    /// Creates a decoder after checking `config`.
    ///
    /// # Errors
    ///
    /// The [`ConfigError`] from [`DecoderConfig::validate`].
    pub fn new(config: DecoderConfig) -> Result<Decoder, ConfigError> {
        config.validate()?;
        Ok(Decoder {
            config,
            lines: [LineState::default(); 2],
            pulses: Vec::with_capacity(MAX_BITS),
            pulse_count: 0,
            last_activity: None,
            fault: None,
            late_before: None,
            rejects: RejectCounts::default(),
            frames_decoded: 0,
        })
    }

    /// Returns the configuration.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// Returns the number of rejections per reason so far.
    pub fn rejects(&self) -> &RejectCounts {
        &self.rejects
    }

    /// Returns the number of frames decoded so far.
    pub fn frames_decoded(&self) -> u64 {
        self.frames_decoded
    }

    /// Consumes one edge.
    ///
    /// When the edge comes at least a frame gap after the open burst, that
    /// burst is closed first and its outcome returned. The edge then starts
    /// the next burst.
    pub fn push_edge(&mut self, edge: Edge) -> Option<Result<Frame, Reject>> {
        let outcome = self.close_if_quiet(edge.timestamp);
        self.apply(edge);
        outcome
    }

    /// Records that the edge source lost edges, the last at `last_at`, so
    /// that the burst around that time is rejected as [`Reject::EdgesLost`].
    ///
    /// Like [`Decoder::push_edge`], returns the outcome of an earlier burst
    /// that `last_at` closes.
    pub fn note_lost_edges(&mut self, last_at: Duration) -> Option<Result<Frame, Reject>> {
        let outcome = self.close_if_quiet(last_at);
        self.mark_activity(last_at);
        self.set_fault(Reject::EdgesLost);
        outcome
    }

    /// Closes the open burst when both lines have been idle for the frame gap
    /// at `now`, and returns its outcome.
    ///
    /// `now` must come from the clock of the edge timestamps (the kernel
    /// monotonic clock for GPIO edges). Deliver every edge already received
    /// before calling this, or a frame may be closed early.
    pub fn poll_timeout(&mut self, now: Duration) -> Option<Result<Frame, Reject>> {
        self.close_if_quiet(now)
    }

    /// Returns the time at which [`Decoder::poll_timeout`] closes the open
    /// burst, or `None` when no burst is open.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.last_activity
            .map(|last| last.saturating_add(self.config.timing.frame_gap))
    }

    fn close_if_quiet(&mut self, now: Duration) -> Option<Result<Frame, Reject>> {
        let deadline = self.next_deadline()?;
        if now < deadline {
            return None;
        }
        self.close(now)
    }

    fn wire_of(&self, line: u8) -> Option<Wire> {
        if line == self.config.lines.d0 {
            Some(Wire::D0)
        } else if line == self.config.lines.d1 {
            Some(Wire::D1)
        } else {
            None
        }
    }

    fn line_of(&self, wire: Wire) -> u8 {
        match wire {
            Wire::D0 => self.config.lines.d0,
            Wire::D1 => self.config.lines.d1,
        }
    }

    fn mark_activity(&mut self, at: Duration) {
        self.last_activity = Some(self.last_activity.map_or(at, |last| last.max(at)));
    }

    /// Keeps the first problem of the burst; later ones are consequences.
    fn set_fault(&mut self, reject: Reject) {
        self.fault.get_or_insert(reject);
    }

    fn apply(&mut self, edge: Edge) {
        let at = edge.timestamp;
        if self.late_before.is_some_and(|before| at < before) {
            self.mark_activity(at);
            self.set_fault(Reject::EdgeOutOfOrder { line: edge.line });
        }

        let Some(wire) = self.wire_of(edge.line) else {
            self.mark_activity(at);
            self.set_fault(Reject::UnknownLine { line: edge.line });
            return;
        };

        let state = &mut self.lines[wire as usize];
        let in_order = state.last_edge.is_none_or(|previous| at >= previous);
        state.last_edge = Some(state.last_edge.map_or(at, |previous| previous.max(at)));
        if !in_order {
            self.mark_activity(at);
            self.set_fault(Reject::EdgeOutOfOrder { line: edge.line });
        }

        match edge.level {
            Level::Low => self.apply_falling(wire, at),
            Level::High => self.apply_rising(wire, at),
        }
    }

    fn apply_falling(&mut self, wire: Wire, at: Duration) {
        let line = self.line_of(wire);
        let other_held = self.lines[wire.other() as usize].held_low_since.is_some();
        let state = &mut self.lines[wire as usize];

        // A falling edge on a line held low means its rising edge was lost
        // before the last burst closed. That burst was rejected already, so
        // the line starts over here.
        state.held_low_since = None;
        let already_low = state.low_since.replace(at).is_some();

        self.mark_activity(at);
        if already_low {
            self.set_fault(Reject::MissingRisingEdge { line });
        }
        if other_held {
            self.set_fault(Reject::BothLinesLow { at });
        }
    }

    fn apply_rising(&mut self, wire: Wire, at: Duration) {
        let line = self.line_of(wire);
        let state = &mut self.lines[wire as usize];
        if state.held_low_since.take().is_some() {
            return;
        }

        let start = state.low_since.take();
        self.mark_activity(at);
        match start {
            Some(start) => self.record_pulse(Pulse {
                wire,
                start,
                end: at,
            }),
            None => self.set_fault(Reject::MissingFallingEdge { line }),
        }
    }

    fn record_pulse(&mut self, pulse: Pulse) {
        self.pulse_count = self.pulse_count.saturating_add(1);
        // Pulses beyond MAX_BITS are only counted: the burst is rejected for
        // its length, so their timing does not matter.
        if self.pulses.len() < MAX_BITS {
            self.pulses.push(pulse);
        }
    }

    /// Closes the open burst at `now`, resets the burst state and counts the
    /// outcome.
    fn close(&mut self, now: Duration) -> Option<Result<Frame, Reject>> {
        let outcome = self.evaluate(now);

        self.late_before = self
            .last_activity
            .map(|last| last.saturating_add(self.config.timing.frame_gap));
        self.last_activity = None;
        self.fault = None;
        self.pulses.clear();
        self.pulse_count = 0;
        for state in &mut self.lines {
            if let Some(since) = state.low_since.take() {
                state.held_low_since = Some(since);
            }
        }

        match &outcome {
            Some(Ok(_)) => self.frames_decoded = self.frames_decoded.saturating_add(1),
            Some(Err(reject)) => self.rejects.record(reject.kind()),
            None => {}
        }
        outcome
    }

    /// Returns the outcome of the open burst: its first fault, a line still
    /// low, a timing problem, or the decoded bits. An empty burst yields
    /// `None`.
    fn evaluate(&mut self, now: Duration) -> Option<Result<Frame, Reject>> {
        if let Some(fault) = self.fault {
            return Some(Err(fault));
        }
        for wire in [Wire::D0, Wire::D1] {
            if let Some(since) = self.lines[wire as usize].low_since {
                return Some(Err(Reject::LineHeldLow {
                    line: self.line_of(wire),
                    held_for: now.saturating_sub(since),
                }));
            }
        }
        if self.pulse_count == 0 {
            return None;
        }
        if self.pulse_count > MAX_BITS {
            return Some(Err(Reject::UnexpectedBitCount {
                bit_count: self.pulse_count,
            }));
        }

        self.pulses.sort_by_key(|pulse| pulse.start);
        if let Err(reject) = self.check_timing() {
            return Some(Err(reject));
        }

        let mut bits = Bits::default();
        for pulse in &self.pulses {
            bits.push(pulse.wire == Wire::D1);
        }
        Some(decode_bits(
            &bits,
            &self.config.formats,
            self.config.key8_order,
        ))
    }

    /// Checks the sorted pulses in time order and returns the first problem:
    /// an overlap of D0 and D1, then the pulse width, then the gap before it.
    fn check_timing(&self) -> Result<(), Reject> {
        let Timing {
            min_pulse,
            max_pulse,
            min_gap,
            max_gap,
            ..
        } = self.config.timing;

        let mut previous: Option<&Pulse> = None;
        for pulse in &self.pulses {
            if let Some(previous) = previous {
                if pulse.start < previous.end {
                    return Err(Reject::BothLinesLow { at: pulse.start });
                }
            }

            let line = self.line_of(pulse.wire);
            let width = pulse.end.saturating_sub(pulse.start);
            if width < min_pulse {
                return Err(Reject::PulseTooShort {
                    line,
                    width,
                    min: min_pulse,
                });
            }
            if width > max_pulse {
                return Err(Reject::PulseTooLong {
                    line,
                    width,
                    max: max_pulse,
                });
            }

            if let Some(previous) = previous {
                let gap = pulse.start.saturating_sub(previous.end);
                if gap < min_gap {
                    return Err(Reject::GapTooShort { gap, min: min_gap });
                }
                if let Some(max) = max_gap.filter(|max| gap > *max) {
                    return Err(Reject::GapTooLong { gap, max });
                }
            }
            previous = Some(pulse);
        }
        Ok(())
    }
}
