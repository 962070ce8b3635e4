//! Wiegand bit strings and the builders for frames with correct parity.
//!
//! Bits are numbered in transmission order. The first bit sent is bit 0 here
//! (bit 1 in reader datasheets) and is the most significant bit of
//! [`Bits::value`].

use std::fmt;

use super::frame::Key8Order;

/// Maximum number of bits in a [`Bits`] value, and so in a frame the decoder
/// can decode, because the bits are stored in a `u64`.
pub const MAX_BITS: usize = 64;

/// A string of up to [`MAX_BITS`] bits in transmission order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Bits {
    value: u64,
    len: u8,
}

impl Bits {
    /// Builds a bit string from the low `len` bits of `value`, the first bit
    /// sent being bit `len - 1` of `value`.
    ///
    /// Returns `None` when `len` exceeds [`MAX_BITS`] or `value` has a bit set
    /// at position `len` or above.
    pub fn new(value: u64, len: usize) -> Option<Bits> {
        if len > MAX_BITS {
            return None;
        }
        if len < MAX_BITS && value >> len != 0 {
            return None;
        }
        Some(Bits {
            value,
            len: len as u8,
        })
    }

    /// Builds a bit string from bits in transmission order, or returns `None`
    /// for more than [`MAX_BITS`] bits.
    pub fn from_bools(bits: &[bool]) -> Option<Bits> {
        let mut result = Bits::default();
        for &bit in bits {
            if !result.push(bit) {
                return None;
            }
        }
        Some(result)
    }

    /// Appends one bit, or returns `false` when the string is full.
    pub fn push(&mut self, bit: bool) -> bool {
        if self.len() == MAX_BITS {
            return false;
        }
        self.value = (self.value << 1) | u64::from(bit);
        self.len += 1;
        true
    }

    /// Returns the number of bits.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Returns `true` when the string is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns the bits as a number, the first bit sent being the most
    /// significant.
    pub fn value(&self) -> u64 {
        self.value
    }

    /// Returns bit `index` in transmission order, counting from 0.
    pub fn get(&self, index: usize) -> Option<bool> {
        if index >= self.len() {
            return None;
        }
        Some(self.value >> (self.len() - 1 - index) & 1 == 1)
    }

    /// Returns the bits in transmission order.
    pub fn iter(&self) -> impl Iterator<Item = bool> + '_ {
        (0..self.len()).map(|index| self.value >> (self.len() - 1 - index) & 1 == 1)
    }

    /// Returns `width` bits starting at bit `start` as a number. The range
    /// must lie inside the string.
    pub(crate) fn field(&self, start: usize, width: usize) -> u64 {
        debug_assert!(start + width <= self.len() && width < MAX_BITS);
        let shift = self.len() - start - width;
        (self.value >> shift) & ((1u64 << width) - 1)
    }

    /// Returns the number of 1 bits among `width` bits starting at `start`.
    pub(crate) fn ones(&self, start: usize, width: usize) -> u32 {
        self.field(start, width).count_ones()
    }

    /// Builds a 26-bit card frame: even parity bit, 8-bit facility code,
    /// 16-bit card number, odd parity bit.
    pub fn card26(facility: u8, card: u16) -> Bits {
        let payload = (u64::from(facility) << 16) | u64::from(card);
        with_parity(payload, 24)
    }

    /// Builds a 34-bit card frame: even parity bit, 16-bit facility code,
    /// 16-bit card number, odd parity bit.
    pub fn card34(facility: u16, card: u16) -> Bits {
        let payload = (u64::from(facility) << 16) | u64::from(card);
        with_parity(payload, 32)
    }

    /// Builds a 4-bit keypad frame for key code `key` (0-9, `*` = 10,
    /// `#` = 11), or returns `None` when `key` does not fit in 4 bits.
    ///
    /// Codes 12 to 15 fit, so that tests can send codes the decoder rejects.
    pub fn key4(key: u8) -> Option<Bits> {
        Bits::new(u64::from(key), 4)
    }

    /// Builds an 8-bit keypad frame for key code `key`: the key nibble and its
    /// ones' complement in `order`. Returns `None` when `key` does not fit in
    /// 4 bits.
    pub fn key8(key: u8, order: Key8Order) -> Option<Bits> {
        if key > 0x0F {
            return None;
        }
        let key = u64::from(key);
        let complement = !key & 0x0F;
        let value = match order {
            Key8Order::ComplementFirst => (complement << 4) | key,
            Key8Order::KeyFirst => (key << 4) | complement,
        };
        Bits::new(value, 8)
    }
}

/// Frames `payload` (an even number `payload_len` of bits) with a leading
/// even parity bit over its first half and a trailing odd parity bit over its
/// second half.
fn with_parity(payload: u64, payload_len: usize) -> Bits {
    let half = payload_len / 2;
    let low_half_mask = (1u64 << half) - 1;
    let leading = u64::from((payload >> half).count_ones() % 2 == 1);
    let trailing = u64::from((payload & low_half_mask).count_ones().is_multiple_of(2));
    Bits {
        value: (leading << (payload_len + 1)) | (payload << 1) | trailing,
        len: (payload_len + 2) as u8,
    }
}

impl fmt::Display for Bits {
    /// Writes the bits as `0` and `1` characters in transmission order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for bit in self.iter() {
            f.write_str(if bit { "1" } else { "0" })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_rejects_bits_above_len() {
        assert_eq!(Bits::new(0b1000, 3), None);
        assert_eq!(Bits::new(0, 65), None);
        assert_eq!(
            Bits::new(0b101, 3).map(|b| b.to_string()),
            Some("101".into())
        );
        assert_eq!(Bits::new(u64::MAX, 64).map(|b| b.len()), Some(64));
    }

    #[test]
    fn push_stops_at_max() {
        let mut bits = Bits::default();
        for _ in 0..MAX_BITS {
            assert!(bits.push(true));
        }
        assert!(!bits.push(false));
        assert_eq!(bits.value(), u64::MAX);
        assert_eq!(Bits::from_bools(&[false; 65]), None);
    }

    #[test]
    fn get_in_transmission_order() {
        let bits = Bits::from_bools(&[true, false, false]).expect("3 bits");
        assert_eq!(bits.value(), 0b100);
        assert_eq!(bits.get(0), Some(true));
        assert_eq!(bits.get(2), Some(false));
        assert_eq!(bits.get(3), None);
        assert_eq!(bits.field(0, 2), 0b10);
    }

    #[test]
    fn card26_by_hand() {
        // Facility 7 = 00000111, card 1 = 0000000000000001.
        // Bits 2-13 are 00000111 0000: three ones, so the leading bit is 1
        // to make bits 1-13 even. Bits 14-25 are 000000000001: one 1, so the
        // trailing bit is 0 to keep bits 14-26 odd.
        let bits = Bits::card26(7, 1);
        assert_eq!(bits.to_string(), "10000011100000000000000010");
    }

    #[test]
    fn card34_by_hand() {
        // Facility 0x0001, card 0x0003: bits 2-17 contain one 1, so the
        // leading bit is 1. Bits 18-33 contain two ones, so the trailing bit
        // is 1.
        let bits = Bits::card34(1, 3);
        assert_eq!(bits.to_string(), "1000000000000000100000000000000111");
    }

    #[test]
    fn key8_orders() {
        // Key 1: nibble 0001, complement 1110.
        let complement_first = Bits::key8(1, Key8Order::ComplementFirst).expect("key");
        let key_first = Bits::key8(1, Key8Order::KeyFirst).expect("key");
        assert_eq!(complement_first.to_string(), "11100001");
        assert_eq!(key_first.to_string(), "00011110");
        assert_eq!(Bits::key8(16, Key8Order::KeyFirst), None);
        assert_eq!(Bits::key4(11).map(|b| b.to_string()), Some("1011".into()));
        assert_eq!(Bits::key4(16), None);
    }
}
