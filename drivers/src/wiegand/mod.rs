//! Wiegand card readers and keypads wired to GPIO inputs.
//!
//! A Wiegand reader drives two open-collector lines, D0 and D1, which idle
//! high. It sends each bit as a short low pulse: on D0 for a 0, on D1 for a 1.
//! Pulses are 20 to 100 µs wide, and the idle time between pulses is about
//! 0.1 to 2.7 ms depending on the reader. A frame ends when both lines stay
//! idle for a quiet gap (25 ms by default). Frame formats:
//!
//! | bits | content | checks |
//! | --- | --- | --- |
//! | 4 | one key: 0-9, `*` = 10, `#` = 11 | key code at most 11 |
//! | 8 | one key as two nibbles, one the ones' complement of the other | nibbles match, key code at most 11 |
//! | 26 | 8-bit facility code, 16-bit card number | bits 1-13 even parity, bits 14-26 odd parity |
//! | 34 | 16-bit facility code, 16-bit card number | bits 1-17 even parity, bits 18-34 odd parity |
//!
//! [`Decoder`] is a pure state machine: it reads no pin and no clock. Time
//! comes only from edge timestamps and from the `now` passed to
//! [`Decoder::poll_timeout`]. A tokio task drives it like this:
//!
//! ```text
//! loop {
//!     let deadline = decoder.next_deadline();
//!     tokio::select! {
//!         edge = source.next_edge() => match edge {
//!             Ok(edge) => handle(decoder.push_edge(edge)),
//!             Err(EdgeError::EdgesLost { last_at, .. }) => handle(decoder.note_lost_edges(last_at)),
//!             Err(error) => break,
//!         },
//!         // `sleep_until_monotonic` stands for a sleep until the kernel
//!         // monotonic clock, which the edge timestamps use, reaches `deadline`.
//!         _ = sleep_until_monotonic(deadline) => handle(decoder.poll_timeout(monotonic_now())),
//!     }
//! }
//! ```
//!
//! Never debounce the lines, in the kernel or in software, because a
//! debounce period longer than the pulse width swallows the bits.
//!
//! [`edges_for`] turns bits back into edges for tests, fixtures and the
//! simulator, and [`Bits::card26`], [`Bits::card34`], [`Bits::key4`] and
//! [`Bits::key8`] build frames with correct parity.

mod bits;
mod config;
mod decoder;
mod encoder;
mod frame;
mod reject;

#[cfg(test)]
mod tests;

pub use bits::{Bits, MAX_BITS};
pub use config::{
    AcceptedFormats, ConfigError, DecoderConfig, Timing, DEFAULT_FRAME_GAP, DEFAULT_MAX_GAP,
    DEFAULT_MAX_PULSE, DEFAULT_MIN_GAP, DEFAULT_MIN_PULSE,
};
pub use decoder::Decoder;
pub use encoder::{edges_for, EncodeTiming, DEFAULT_ENCODE_GAP, DEFAULT_ENCODE_PULSE};
pub use frame::{decode_bits, Frame, FrameFormat, Key8Order, KEY_HASH, KEY_STAR};
pub use reject::{Reject, RejectCounts, RejectKind};

/// GPIO lines of one reader, as [`crate::edge::Edge::line`] numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lines {
    /// Line that pulses for a 0 bit.
    pub d0: u8,
    /// Line that pulses for a 1 bit.
    pub d1: u8,
}
