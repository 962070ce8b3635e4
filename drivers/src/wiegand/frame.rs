//! Decoded Wiegand frames and the check of a bit string against the frame
//! formats.

use super::bits::Bits;
use super::config::AcceptedFormats;
use super::reject::Reject;

/// Key code a keypad sends for `*`.
pub const KEY_STAR: u8 = 10;

/// Key code a keypad sends for `#`.
pub const KEY_HASH: u8 = 11;

/// Maximum key code a keypad sends (`#`).
const MAX_KEY: u8 = KEY_HASH;

/// A frame whose bit count, parity and timing all checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frame {
    /// 26-bit card.
    Card26 {
        /// 8-bit facility code.
        facility: u8,
        /// 16-bit card number.
        card: u16,
    },
    /// 34-bit card.
    Card34 {
        /// 16-bit facility code.
        facility: u16,
        /// 16-bit card number.
        card: u16,
    },
    /// One keypad key from a 4- or 8-bit frame: 0-9, [`KEY_STAR`] or
    /// [`KEY_HASH`].
    Key(u8),
}

impl Frame {
    /// Returns the facility code and card number of a card as one number,
    /// the facility code in the high bits: 24 bits for a 26-bit card, 32 bits
    /// for a 34-bit card. Returns `None` for a key.
    pub fn number(&self) -> Option<u32> {
        match *self {
            Frame::Card26 { facility, card } => Some(u32::from(facility) << 16 | u32::from(card)),
            Frame::Card34 { facility, card } => Some(u32::from(facility) << 16 | u32::from(card)),
            Frame::Key(_) => None,
        }
    }
}

/// A frame format the decoder can accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameFormat {
    /// One key in 4 bits.
    Key4,
    /// One key in 8 bits: the key nibble and its ones' complement.
    Key8,
    /// 26-bit card.
    Card26,
    /// 34-bit card.
    Card34,
}

impl FrameFormat {
    /// Every format, shortest first.
    pub const ALL: [FrameFormat; 4] = [
        FrameFormat::Key4,
        FrameFormat::Key8,
        FrameFormat::Card26,
        FrameFormat::Card34,
    ];

    /// Returns the number of bits in a frame of this format.
    pub fn bit_count(self) -> usize {
        match self {
            FrameFormat::Key4 => 4,
            FrameFormat::Key8 => 8,
            FrameFormat::Card26 => 26,
            FrameFormat::Card34 => 34,
        }
    }

    /// Returns the format with `bit_count` bits, if any.
    pub fn from_bit_count(bit_count: usize) -> Option<FrameFormat> {
        FrameFormat::ALL
            .into_iter()
            .find(|format| format.bit_count() == bit_count)
    }
}

/// Order of the two nibbles in an 8-bit keypad frame.
///
/// HID's 8-bit PINpad and Rosslare's "8-bit nibbles complemented" keypads put
/// the ones' complement in the four most significant bits, which are sent
/// first: key 1 is sent as `1110 0001`. Other readers can swap the nibbles.
/// The bits alone do not show which order a keypad uses (key 8 in one order
/// is key 7 in the other), so the order is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Key8Order {
    /// Complement nibble first, key nibble second (HID and Rosslare).
    #[default]
    ComplementFirst,
    /// Key nibble first, complement nibble second.
    KeyFirst,
}

/// Checks `bits` against the accepted formats and returns the frame.
///
/// # Errors
///
/// [`Reject::UnexpectedBitCount`] for a length that is not an accepted
/// format, [`Reject::LeadingParity`] or [`Reject::TrailingParity`] for a card
/// whose parity fails, [`Reject::KeyNibbleMismatch`] for an 8-bit key whose
/// nibbles are not complements, and [`Reject::UnknownKey`] for a key code
/// above 11.
pub fn decode_bits(
    bits: &Bits,
    formats: &AcceptedFormats,
    key8_order: Key8Order,
) -> Result<Frame, Reject> {
    let bit_count = bits.len();
    let format = FrameFormat::from_bit_count(bit_count)
        .filter(|format| formats.accepts(*format))
        .ok_or(Reject::UnexpectedBitCount { bit_count })?;

    match format {
        FrameFormat::Key4 => key_frame(bits.field(0, 4) as u8),
        FrameFormat::Key8 => {
            let first = bits.field(0, 4) as u8;
            let second = bits.field(4, 4) as u8;
            let (check, key) = match key8_order {
                Key8Order::ComplementFirst => (first, second),
                Key8Order::KeyFirst => (second, first),
            };
            if check != !key & 0x0F {
                return Err(Reject::KeyNibbleMismatch { key, check });
            }
            key_frame(key)
        }
        FrameFormat::Card26 => {
            check_parity(bits)?;
            Ok(Frame::Card26 {
                facility: bits.field(1, 8) as u8,
                card: bits.field(9, 16) as u16,
            })
        }
        FrameFormat::Card34 => {
            check_parity(bits)?;
            Ok(Frame::Card34 {
                facility: bits.field(1, 16) as u16,
                card: bits.field(17, 16) as u16,
            })
        }
    }
}

fn key_frame(code: u8) -> Result<Frame, Reject> {
    if code > MAX_KEY {
        return Err(Reject::UnknownKey { code });
    }
    Ok(Frame::Key(code))
}

/// Checks the card parity. The first half of the bits, leading parity bit
/// included, must contain an even number of ones. The second half, trailing
/// parity bit included, must contain an odd number.
fn check_parity(bits: &Bits) -> Result<(), Reject> {
    let bit_count = bits.len();
    let half = bit_count / 2;
    if !bits.ones(0, half).is_multiple_of(2) {
        return Err(Reject::LeadingParity { bit_count });
    }
    if bits.ones(half, half) % 2 != 1 {
        return Err(Reject::TrailingParity { bit_count });
    }
    Ok(())
}
