//! Serial protocol of the satisfaction keypads (评价器) at the service windows.
//!
//! No public standard exists for these keypads, so hallbox defines the
//! protocol; `docs/protocols/keypad.md` is the specification for keypad
//! firmware. In short:
//!
//! - Frames travel on an RS-485 bus, 9600 baud 8N1 by default, between one box
//!   and up to 254 keypads, each with its own address.
//! - A frame is `0x7E`, the byte-stuffed frame bytes, `0x7E`. Inside a frame
//!   `0x7E` and `0x7D` are sent as `0x7D` followed by the byte XOR `0x20`, so a
//!   receiver finds the next frame at the next `0x7E` whatever came before.
//! - The frame bytes are version, type, address, session id, sequence number,
//!   a payload fixed by the type, and a CRC-16/MODBUS over all of them, low
//!   byte first. Every multi-byte integer is little-endian.
//! - A keypad sends HELLO at boot and as a heartbeat, and PRESS when a button
//!   is pressed. The box replies to each with ACK once the press is committed,
//!   or NAK with a reason code when it could not commit it.
//! - A keypad keeps at most one frame outstanding and resends it unchanged
//!   until the box replies or the attempt cap is reached. The box stores a
//!   press once per address, session id and sequence number, and
//!   acknowledges a resend again without storing it twice.
//!
//! The module is pure: [`encode`] turns a [`Frame`] into bytes, [`Decoder`]
//! turns any byte stream into frames and counts what it rejects, and
//! [`SimulatedKeypad`] plays the keypad side for tests and demos. The meaning
//! of each button (which rating it gives) is daemon configuration and is not
//! known here.

mod codec;
mod crc;
mod frame;
mod simulator;
#[cfg(test)]
mod tests;

pub use codec::{encode, Decoder, Rejection};
pub use crc::{crc16_modbus, crc16_modbus_update, CRC16_MODBUS_INIT};
pub use frame::{
    Ack, Address, Button, FirmwareVersion, Frame, FrameType, Hello, Nak, NakReason, Press,
    RequestType, ResetCause,
};
pub use simulator::{Poll, Reception, SimulatedKeypad};

/// Protocol version carried in the first frame byte; this module implements
/// version 1 only.
pub const PROTOCOL_VERSION: u8 = 1;

/// Byte that opens and closes every frame on the wire.
pub const FLAG: u8 = 0x7E;

/// Byte that announces an escaped byte inside a frame.
pub const ESCAPE: u8 = 0x7D;

/// Value XORed into a byte that follows [`ESCAPE`] (`0x7E` is sent as
/// `0x7D 0x5E`, `0x7D` as `0x7D 0x5D`).
pub const ESCAPE_XOR: u8 = 0x20;

/// Maximum frame length in bytes after unstuffing, CRC included. The longest
/// version 1 frame (HELLO) has 20 bytes; the rest is room for later versions.
/// A receiver drops a frame that grows past this without a closing flag.
pub const MAX_FRAME_LEN: usize = 64;

/// Capacity of the [`Decoder`] input buffer in bytes. Pushing more bytes
/// than this between two drains drops the oldest ones.
pub const INPUT_CAPACITY: usize = 4096;

/// Default bus speed in baud (8 data bits, no parity, 1 stop bit).
pub const DEFAULT_BAUD_RATE: u32 = 9600;

/// Time in ms that a keypad waits for ACK or NAK after the closing flag of
/// its frame before it resends the frame.
pub const ACK_TIMEOUT_MS: u32 = 1000;

/// Maximum number of transmissions of one frame, the first one included.
/// A keypad whose last transmission also times out gives up on the frame.
pub const MAX_ATTEMPTS: u8 = 8;

/// Time in ms within which the box replies to a keypad frame, measured from
/// its closing flag. It is half of [`ACK_TIMEOUT_MS`], so that a late reply
/// still arrives before the keypad resends.
pub const REPLY_DEADLINE_MS: u32 = 500;

/// Interval in ms between two HELLO heartbeats of an idle keypad.
pub const HEARTBEAT_INTERVAL_MS: u32 = 60_000;

/// Highest button number that the protocol carries; buttons are numbered
/// from 1. The common keypad has 5.
pub const MAX_BUTTON: u8 = 16;

/// Errors from building keypad protocol values and from driving a
/// [`SimulatedKeypad`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeypadError {
    /// A keypad address outside 1..=254.
    #[error("invalid keypad address {0}: use 1 to 254 (0 and 255 are reserved)")]
    InvalidAddress(u8),

    /// A button number outside 1..=[`MAX_BUTTON`].
    #[error("invalid button number {0}: use 1 to {MAX_BUTTON}")]
    InvalidButton(u8),

    /// A frame type code that version 1 does not define.
    #[error("unknown frame type 0x{0:02X}: expected 0x01, 0x02, 0x81 or 0x82")]
    UnknownFrameType(u8),

    /// A reply-to code in ACK or NAK that names no keypad frame type.
    #[error("invalid reply-to frame type 0x{0:02X}: expected 0x01 (HELLO) or 0x02 (PRESS)")]
    InvalidRequestType(u8),

    /// A NAK reason code that version 1 does not define.
    #[error("unknown NAK reason code {0}: expected 1 to 4")]
    UnknownNakReason(u8),

    /// A reset cause code that version 1 does not define.
    #[error("unknown reset cause code {0}: expected 0 to 5")]
    UnknownResetCause(u8),

    /// A new frame was requested while an earlier one still waits for a reply.
    #[error(
        "keypad {address} still waits for a reply to sequence number {sequence}: \
         wait for ACK, NAK or give-up before sending a new frame"
    )]
    FrameOutstanding {
        /// Address of the keypad.
        address: Address,
        /// Sequence number of the outstanding frame.
        sequence: u16,
    },
}
