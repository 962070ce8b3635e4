//! Typed keypad frames and the value types their fields use.
//!
//! Constructors of [`Address`] and [`Button`] reject out-of-range values, so
//! every [`Frame`] that can be built encodes to bytes that [`super::Decoder`]
//! accepts.

use std::fmt;

use super::{KeypadError, MAX_BUTTON};

/// Keypad address on the bus, 1 to 254. Keypad frames carry the sender's
/// address and box frames the addressee's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address(u8);

impl Address {
    /// Lowest assignable address.
    pub const MIN: u8 = 1;
    /// Highest assignable address; 255 is reserved for a later broadcast.
    pub const MAX: u8 = 254;

    /// Creates an address, or returns [`KeypadError::InvalidAddress`] when
    /// `value` is outside 1..=254.
    pub fn new(value: u8) -> Result<Self, KeypadError> {
        if (Self::MIN..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(KeypadError::InvalidAddress(value))
        }
    }

    /// Address as a number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Button number on a keypad, 1 to [`MAX_BUTTON`], counted as printed on the
/// keypad. Which rating a button gives is daemon configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Button(u8);

impl Button {
    /// Creates a button number, or returns [`KeypadError::InvalidButton`]
    /// when `value` is outside 1..=[`MAX_BUTTON`].
    pub fn new(value: u8) -> Result<Self, KeypadError> {
        if (1..=MAX_BUTTON).contains(&value) {
            Ok(Self(value))
        } else {
            Err(KeypadError::InvalidButton(value))
        }
    }

    /// Button number as a number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Button {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Keypad firmware version, shown as `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FirmwareVersion {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
    /// Patch version.
    pub patch: u8,
}

impl fmt::Display for FirmwareVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Frame type code, the second frame byte. The high bit is set on frames
/// that the box sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameType {
    /// Keypad boot announcement and heartbeat (`0x01`).
    Hello,
    /// Button press (`0x02`).
    Press,
    /// Box accepted a HELLO or committed a PRESS (`0x81`).
    Ack,
    /// Box did not accept a HELLO or could not commit a PRESS (`0x82`).
    Nak,
}

impl FrameType {
    /// Code of the type on the wire.
    pub fn code(self) -> u8 {
        match self {
            Self::Hello => 0x01,
            Self::Press => 0x02,
            Self::Ack => 0x81,
            Self::Nak => 0x82,
        }
    }

    /// Frame length of the type in bytes after unstuffing, CRC included.
    pub fn frame_len(self) -> usize {
        match self {
            Self::Hello => 20,
            Self::Press => 16,
            Self::Ack => 13,
            Self::Nak => 15,
        }
    }
}

impl TryFrom<u8> for FrameType {
    type Error = KeypadError;

    fn try_from(code: u8) -> Result<Self, KeypadError> {
        match code {
            0x01 => Ok(Self::Hello),
            0x02 => Ok(Self::Press),
            0x81 => Ok(Self::Ack),
            0x82 => Ok(Self::Nak),
            other => Err(KeypadError::UnknownFrameType(other)),
        }
    }
}

/// Type of the keypad frame that an ACK or NAK replies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestType {
    /// The reply is to a HELLO.
    Hello,
    /// The reply is to a PRESS.
    Press,
}

impl RequestType {
    /// Code on the wire, equal to the frame type code of the request.
    pub fn code(self) -> u8 {
        match self {
            Self::Hello => FrameType::Hello.code(),
            Self::Press => FrameType::Press.code(),
        }
    }
}

impl TryFrom<u8> for RequestType {
    type Error = KeypadError;

    fn try_from(code: u8) -> Result<Self, KeypadError> {
        match code {
            0x01 => Ok(Self::Hello),
            0x02 => Ok(Self::Press),
            other => Err(KeypadError::InvalidRequestType(other)),
        }
    }
}

/// Reason code of a NAK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NakReason {
    /// The box failed to write the press to its journal (`1`). Transient.
    StorageFailure,
    /// The box cannot take the frame now, for example while its clock is not
    /// yet set (`2`). Transient.
    Busy,
    /// The box has no rating configured for this button (`3`). Permanent.
    UnknownButton,
    /// The box has no keypad configured at this address (`4`). Permanent.
    UnknownKeypad,
}

impl NakReason {
    /// Code on the wire.
    pub fn code(self) -> u8 {
        match self {
            Self::StorageFailure => 1,
            Self::Busy => 2,
            Self::UnknownButton => 3,
            Self::UnknownKeypad => 4,
        }
    }

    /// Returns whether the keypad resends the frame after this NAK. A
    /// permanent reason would make the box send the same NAK to every resend.
    pub fn is_transient(self) -> bool {
        matches!(self, Self::StorageFailure | Self::Busy)
    }
}

impl TryFrom<u8> for NakReason {
    type Error = KeypadError;

    fn try_from(code: u8) -> Result<Self, KeypadError> {
        match code {
            1 => Ok(Self::StorageFailure),
            2 => Ok(Self::Busy),
            3 => Ok(Self::UnknownButton),
            4 => Ok(Self::UnknownKeypad),
            other => Err(KeypadError::UnknownNakReason(other)),
        }
    }
}

/// Cause of the keypad's last reset, as its microcontroller reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResetCause {
    /// The firmware cannot tell (`0`).
    Unknown,
    /// Power was switched on (`1`).
    PowerOn,
    /// The watchdog expired (`2`).
    Watchdog,
    /// The supply voltage dropped below the brown-out level (`3`).
    BrownOut,
    /// The firmware reset itself (`4`).
    Software,
    /// The reset pin was pulled (`5`).
    ExternalPin,
}

impl ResetCause {
    /// Code on the wire.
    pub fn code(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::PowerOn => 1,
            Self::Watchdog => 2,
            Self::BrownOut => 3,
            Self::Software => 4,
            Self::ExternalPin => 5,
        }
    }
}

impl TryFrom<u8> for ResetCause {
    type Error = KeypadError;

    fn try_from(code: u8) -> Result<Self, KeypadError> {
        match code {
            0 => Ok(Self::Unknown),
            1 => Ok(Self::PowerOn),
            2 => Ok(Self::Watchdog),
            3 => Ok(Self::BrownOut),
            4 => Ok(Self::Software),
            5 => Ok(Self::ExternalPin),
            other => Err(KeypadError::UnknownResetCause(other)),
        }
    }
}

/// HELLO: boot announcement and heartbeat of a keypad. It does not take a
/// sequence number of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hello {
    /// Sender.
    pub address: Address,
    /// Random id that the keypad draws at boot.
    pub session: u32,
    /// Sequence number that the keypad's next PRESS will carry.
    pub next_sequence: u16,
    /// Firmware version.
    pub firmware: FirmwareVersion,
    /// Number of buttons fitted, or 0 when the firmware does not report it.
    pub button_count: u8,
    /// Keypad uptime in ms, wrapping after about 49.7 days.
    pub uptime_ms: u32,
    /// Cause of the last reset.
    pub reset_cause: ResetCause,
}

impl Hello {
    /// Builds the ACK that accepts this HELLO.
    pub fn ack(&self) -> Ack {
        Ack {
            address: self.address,
            session: self.session,
            sequence: self.next_sequence,
            reply_to: RequestType::Hello,
            duplicate: false,
        }
    }

    /// Builds a NAK for this HELLO.
    pub fn nak(&self, reason: NakReason, retry_after_ms: u16) -> Nak {
        Nak {
            address: self.address,
            session: self.session,
            sequence: self.next_sequence,
            reply_to: RequestType::Hello,
            reason,
            retry_after_ms,
        }
    }
}

/// PRESS: one button press. A resend of the same press is the same frame,
/// byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Press {
    /// Sender.
    pub address: Address,
    /// Random id that the keypad drew at boot.
    pub session: u32,
    /// Number of the press within the session, wrapping from 65535 to 0.
    pub sequence: u16,
    /// Button pressed.
    pub button: Button,
    /// Keypad uptime in ms when the button was pressed, wrapping after about
    /// 49.7 days.
    pub pressed_at_ms: u32,
}

impl Press {
    /// Builds the ACK for this press. Set `duplicate` when the box had
    /// already stored the press and did not store it again.
    pub fn ack(&self, duplicate: bool) -> Ack {
        Ack {
            address: self.address,
            session: self.session,
            sequence: self.sequence,
            reply_to: RequestType::Press,
            duplicate,
        }
    }

    /// Builds a NAK for this press.
    pub fn nak(&self, reason: NakReason, retry_after_ms: u16) -> Nak {
        Nak {
            address: self.address,
            session: self.session,
            sequence: self.sequence,
            reply_to: RequestType::Press,
            reason,
            retry_after_ms,
        }
    }
}

/// ACK: the box accepted a HELLO or committed a PRESS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ack {
    /// Addressee.
    pub address: Address,
    /// Session id copied from the request.
    pub session: u32,
    /// Sequence number copied from the request.
    pub sequence: u16,
    /// Type of the request.
    pub reply_to: RequestType,
    /// Whether the box had stored this press before (flags bit 0).
    pub duplicate: bool,
}

/// NAK: the box did not accept a HELLO or could not commit a PRESS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nak {
    /// Addressee.
    pub address: Address,
    /// Session id copied from the request.
    pub session: u32,
    /// Sequence number copied from the request.
    pub sequence: u16,
    /// Type of the request.
    pub reply_to: RequestType,
    /// Reason the box did not accept the frame.
    pub reason: NakReason,
    /// Time in ms the keypad waits before it resends after a transient
    /// reason; 0 means [`super::ACK_TIMEOUT_MS`].
    pub retry_after_ms: u16,
}

/// One keypad protocol frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frame {
    /// Keypad boot announcement and heartbeat.
    Hello(Hello),
    /// Button press.
    Press(Press),
    /// Positive reply of the box.
    Ack(Ack),
    /// Negative reply of the box.
    Nak(Nak),
}

impl Frame {
    /// Type of the frame.
    pub fn frame_type(&self) -> FrameType {
        match self {
            Self::Hello(_) => FrameType::Hello,
            Self::Press(_) => FrameType::Press,
            Self::Ack(_) => FrameType::Ack,
            Self::Nak(_) => FrameType::Nak,
        }
    }

    /// Keypad address: the sender of HELLO and PRESS, the addressee of ACK
    /// and NAK.
    pub fn address(&self) -> Address {
        match self {
            Self::Hello(hello) => hello.address,
            Self::Press(press) => press.address,
            Self::Ack(ack) => ack.address,
            Self::Nak(nak) => nak.address,
        }
    }

    /// Session id of the keypad.
    pub fn session(&self) -> u32 {
        match self {
            Self::Hello(hello) => hello.session,
            Self::Press(press) => press.session,
            Self::Ack(ack) => ack.session,
            Self::Nak(nak) => nak.session,
        }
    }

    /// Value of the sequence number field; for HELLO it is the next PRESS
    /// sequence number.
    pub fn sequence(&self) -> u16 {
        match self {
            Self::Hello(hello) => hello.next_sequence,
            Self::Press(press) => press.sequence,
            Self::Ack(ack) => ack.sequence,
            Self::Nak(nak) => nak.sequence,
        }
    }
}

impl From<Hello> for Frame {
    fn from(hello: Hello) -> Self {
        Self::Hello(hello)
    }
}

impl From<Press> for Frame {
    fn from(press: Press) -> Self {
        Self::Press(press)
    }
}

impl From<Ack> for Frame {
    fn from(ack: Ack) -> Self {
        Self::Ack(ack)
    }
}

impl From<Nak> for Frame {
    fn from(nak: Nak) -> Self {
        Self::Nak(nak)
    }
}
