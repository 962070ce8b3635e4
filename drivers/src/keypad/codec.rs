//! Frame encoder and incremental decoder of the keypad protocol.
//!
//! On the wire a frame is [`FLAG`], the stuffed frame bytes, [`FLAG`]. The
//! decoder treats every flag as the end of one frame and the start of the
//! next, so two frames may share a flag and an empty frame between two flags
//! is skipped silently. Frames carry no length field, so a frame ends only at
//! a flag. A damaged frame is counted under a [`Rejection`] and dropped, and
//! decoding goes on at the next flag.

use std::collections::VecDeque;

use super::crc::crc16_modbus;
use super::frame::{
    Ack, Address, Button, FirmwareVersion, Frame, FrameType, Hello, Nak, NakReason, Press,
    RequestType, ResetCause,
};
use super::{ESCAPE, ESCAPE_XOR, FLAG, INPUT_CAPACITY, MAX_FRAME_LEN, PROTOCOL_VERSION};

/// Bit of the ACK flags byte that marks a duplicate; the other bits are
/// reserved, sent as 0 and ignored on receipt.
const ACK_FLAG_DUPLICATE: u8 = 0x01;

/// Smallest frame that can carry a version, a type and a CRC, in bytes.
const MIN_FRAME_LEN: usize = 4;

/// Encodes `frame` for the wire: flag, stuffed frame bytes with their
/// CRC-16/MODBUS, flag.
pub fn encode(frame: &Frame) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(frame.frame_type().frame_len());
    write_header(&mut bytes, frame);
    write_payload(&mut bytes, frame);
    let crc = crc16_modbus(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());

    let mut wire = Vec::with_capacity(bytes.len() * 2 + 2);
    wire.push(FLAG);
    for byte in bytes {
        if byte == FLAG || byte == ESCAPE {
            wire.push(ESCAPE);
            wire.push(byte ^ ESCAPE_XOR);
        } else {
            wire.push(byte);
        }
    }
    wire.push(FLAG);
    wire
}

fn write_header(bytes: &mut Vec<u8>, frame: &Frame) {
    bytes.push(PROTOCOL_VERSION);
    bytes.push(frame.frame_type().code());
    bytes.push(frame.address().get());
    bytes.extend_from_slice(&frame.session().to_le_bytes());
    bytes.extend_from_slice(&frame.sequence().to_le_bytes());
}

fn write_payload(bytes: &mut Vec<u8>, frame: &Frame) {
    match frame {
        Frame::Hello(hello) => {
            bytes.push(hello.firmware.major);
            bytes.push(hello.firmware.minor);
            bytes.push(hello.firmware.patch);
            bytes.push(hello.button_count);
            bytes.extend_from_slice(&hello.uptime_ms.to_le_bytes());
            bytes.push(hello.reset_cause.code());
        }
        Frame::Press(press) => {
            bytes.push(press.button.get());
            bytes.extend_from_slice(&press.pressed_at_ms.to_le_bytes());
        }
        Frame::Ack(ack) => {
            bytes.push(ack.reply_to.code());
            bytes.push(if ack.duplicate { ACK_FLAG_DUPLICATE } else { 0 });
        }
        Frame::Nak(nak) => {
            bytes.push(nak.reply_to.code());
            bytes.push(nak.reason.code());
            bytes.extend_from_slice(&nak.retry_after_ms.to_le_bytes());
        }
    }
}

/// Reason the [`Decoder`] dropped bytes or a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// Bytes outside any frame were skipped up to the next flag; one count
    /// per skipped run.
    Resync,
    /// [`ESCAPE`] was followed by a byte other than `0x5E` or `0x5D`.
    BadEscape,
    /// A frame grew past [`MAX_FRAME_LEN`] bytes without a closing flag.
    TooLong,
    /// A frame was shorter than 4 bytes, or its length does not match its
    /// type.
    BadLength,
    /// The CRC-16/MODBUS does not match the frame bytes.
    BadCrc,
    /// The version byte is not [`PROTOCOL_VERSION`].
    UnknownVersion,
    /// The type byte names no frame type.
    UnknownType,
    /// A field is out of range: address 0 or 255, button number, reply-to
    /// type, NAK reason or reset cause code.
    BadField,
    /// Bytes were pushed while the input buffer was full and the oldest
    /// unread ones were dropped; one count per push.
    Overflow,
}

impl Rejection {
    /// Every reason, in the order of the counters.
    pub const ALL: [Rejection; 9] = [
        Self::Resync,
        Self::BadEscape,
        Self::TooLong,
        Self::BadLength,
        Self::BadCrc,
        Self::UnknownVersion,
        Self::UnknownType,
        Self::BadField,
        Self::Overflow,
    ];

    /// Short snake_case name for logs and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resync => "resync",
            Self::BadEscape => "bad_escape",
            Self::TooLong => "too_long",
            Self::BadLength => "bad_length",
            Self::BadCrc => "bad_crc",
            Self::UnknownVersion => "unknown_version",
            Self::UnknownType => "unknown_type",
            Self::BadField => "bad_field",
            Self::Overflow => "overflow",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Resync => 0,
            Self::BadEscape => 1,
            Self::TooLong => 2,
            Self::BadLength => 3,
            Self::BadCrc => 4,
            Self::UnknownVersion => 5,
            Self::UnknownType => 6,
            Self::BadField => 7,
            Self::Overflow => 8,
        }
    }
}

/// Receiver position within the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for a flag. `counted` is true once the current run of skipped
    /// bytes has been counted, or when the reason for skipping was counted.
    Hunting { counted: bool },
    /// Inside a frame, after its opening flag.
    InFrame,
    /// Inside a frame, right after [`ESCAPE`].
    Escaped,
}

/// Incremental decoder: push bytes as they arrive in any split, then pull
/// frames until it returns `None`.
///
/// Memory is bounded by [`INPUT_CAPACITY`] unread bytes plus one frame of
/// [`MAX_FRAME_LEN`] bytes. The decoder starts by hunting for a flag, so bytes
/// before the first flag count as one [`Rejection::Resync`].
#[derive(Debug, Clone)]
pub struct Decoder {
    input: VecDeque<u8>,
    frame: Vec<u8>,
    state: State,
    rejections: [u64; Rejection::ALL.len()],
    decoded: u64,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    /// Creates a decoder that waits for the first flag.
    pub fn new() -> Self {
        Self {
            input: VecDeque::with_capacity(INPUT_CAPACITY),
            frame: Vec::with_capacity(MAX_FRAME_LEN),
            state: State::Hunting { counted: false },
            rejections: [0; Rejection::ALL.len()],
            decoded: 0,
        }
    }

    /// Appends received bytes. When they do not fit into the
    /// [`INPUT_CAPACITY`] bytes of buffer, the oldest unread bytes are
    /// dropped, the frame in progress is abandoned and one
    /// [`Rejection::Overflow`] is counted.
    pub fn push(&mut self, bytes: &[u8]) {
        let free = INPUT_CAPACITY - self.input.len();
        let mut bytes = bytes;
        if bytes.len() > free {
            let excess = bytes.len() - free;
            if excess >= self.input.len() {
                let skip = excess - self.input.len();
                self.input.clear();
                bytes = &bytes[skip..];
            } else {
                self.input.drain(..excess);
            }
            self.count(Rejection::Overflow);
            self.frame.clear();
            self.state = State::Hunting { counted: true };
        }
        self.input.extend(bytes);
    }

    /// Decodes buffered bytes until the next good frame and returns it, or
    /// returns `None` once the buffer is used up.
    pub fn next_frame(&mut self) -> Option<Frame> {
        while let Some(byte) = self.input.pop_front() {
            if let Some(frame) = self.step(byte) {
                self.decoded += 1;
                return Some(frame);
            }
        }
        None
    }

    /// Number of rejections counted for `reason` since the decoder was made.
    pub fn rejected(&self, reason: Rejection) -> u64 {
        self.rejections[reason.index()]
    }

    /// Number of rejections counted for all reasons together.
    pub fn total_rejected(&self) -> u64 {
        self.rejections.iter().sum()
    }

    /// Number of good frames returned since the decoder was made.
    pub fn frames_decoded(&self) -> u64 {
        self.decoded
    }

    /// Number of pushed bytes not yet read by [`Decoder::next_frame`].
    pub fn buffered_len(&self) -> usize {
        self.input.len()
    }

    fn count(&mut self, reason: Rejection) {
        self.rejections[reason.index()] += 1;
    }

    fn open_frame(&mut self) {
        self.frame.clear();
        self.state = State::InFrame;
    }

    /// Abandons the frame in progress after a counted error and skips to the
    /// next flag without counting the skipped bytes again.
    fn abandon_frame(&mut self, reason: Rejection) {
        self.count(reason);
        self.frame.clear();
        self.state = State::Hunting { counted: true };
    }

    /// Feeds one byte through the receiver and returns a frame when `byte`
    /// closes a good one.
    fn step(&mut self, byte: u8) -> Option<Frame> {
        match self.state {
            State::Hunting { counted } => {
                if byte == FLAG {
                    self.open_frame();
                } else if !counted {
                    self.count(Rejection::Resync);
                    self.state = State::Hunting { counted: true };
                }
                None
            }
            State::InFrame => match byte {
                FLAG => {
                    let result = self.close_frame();
                    self.open_frame();
                    result
                }
                ESCAPE => {
                    self.state = State::Escaped;
                    None
                }
                other => {
                    self.append(other);
                    None
                }
            },
            State::Escaped => {
                if byte == FLAG {
                    // The flag still opens the next frame, so an escape at
                    // the end of noise cannot hide the frame after it.
                    self.count(Rejection::BadEscape);
                    self.open_frame();
                } else if byte ^ ESCAPE_XOR == FLAG || byte ^ ESCAPE_XOR == ESCAPE {
                    self.state = State::InFrame;
                    self.append(byte ^ ESCAPE_XOR);
                } else {
                    self.abandon_frame(Rejection::BadEscape);
                }
                None
            }
        }
    }

    fn append(&mut self, byte: u8) {
        if self.frame.len() == MAX_FRAME_LEN {
            self.abandon_frame(Rejection::TooLong);
        } else {
            self.frame.push(byte);
        }
    }

    /// Checks the bytes between two flags and returns the frame they carry.
    fn close_frame(&mut self) -> Option<Frame> {
        if self.frame.is_empty() {
            return None;
        }
        match parse_frame(&self.frame) {
            Ok(frame) => Some(frame),
            Err(reason) => {
                self.count(reason);
                None
            }
        }
    }
}

/// Checks length, CRC, version, type and fields of unstuffed frame bytes, in
/// that order, and builds the frame.
fn parse_frame(bytes: &[u8]) -> Result<Frame, Rejection> {
    if bytes.len() < MIN_FRAME_LEN {
        return Err(Rejection::BadLength);
    }
    let (content, crc_bytes) = bytes.split_at(bytes.len() - 2);
    let received_crc = u16::from_le_bytes([crc_bytes[0], crc_bytes[1]]);
    if crc16_modbus(content) != received_crc {
        return Err(Rejection::BadCrc);
    }

    let mut reader = Reader { bytes: content };
    if reader.u8()? != PROTOCOL_VERSION {
        return Err(Rejection::UnknownVersion);
    }
    let frame_type = FrameType::try_from(reader.u8()?).map_err(|_| Rejection::UnknownType)?;
    if bytes.len() != frame_type.frame_len() {
        return Err(Rejection::BadLength);
    }

    let address = Address::new(reader.u8()?).map_err(|_| Rejection::BadField)?;
    let session = reader.u32()?;
    let sequence = reader.u16()?;
    match frame_type {
        FrameType::Hello => Ok(Frame::Hello(Hello {
            address,
            session,
            next_sequence: sequence,
            firmware: FirmwareVersion {
                major: reader.u8()?,
                minor: reader.u8()?,
                patch: reader.u8()?,
            },
            button_count: reader.u8()?,
            uptime_ms: reader.u32()?,
            reset_cause: ResetCause::try_from(reader.u8()?).map_err(|_| Rejection::BadField)?,
        })),
        FrameType::Press => Ok(Frame::Press(Press {
            address,
            session,
            sequence,
            button: Button::new(reader.u8()?).map_err(|_| Rejection::BadField)?,
            pressed_at_ms: reader.u32()?,
        })),
        FrameType::Ack => Ok(Frame::Ack(Ack {
            address,
            session,
            sequence,
            reply_to: RequestType::try_from(reader.u8()?).map_err(|_| Rejection::BadField)?,
            duplicate: reader.u8()? & ACK_FLAG_DUPLICATE != 0,
        })),
        FrameType::Nak => Ok(Frame::Nak(Nak {
            address,
            session,
            sequence,
            reply_to: RequestType::try_from(reader.u8()?).map_err(|_| Rejection::BadField)?,
            reason: NakReason::try_from(reader.u8()?).map_err(|_| Rejection::BadField)?,
            retry_after_ms: reader.u16()?,
        })),
    }
}

/// Little-endian field reader over the frame bytes; running out of bytes is
/// a [`Rejection::BadLength`].
struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], Rejection> {
        let (head, rest) = self
            .bytes
            .split_first_chunk::<N>()
            .ok_or(Rejection::BadLength)?;
        self.bytes = rest;
        Ok(*head)
    }

    fn u8(&mut self) -> Result<u8, Rejection> {
        self.take::<1>().map(|[byte]| byte)
    }

    fn u16(&mut self) -> Result<u16, Rejection> {
        self.take().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Result<u32, Rejection> {
        self.take().map(u32::from_le_bytes)
    }
}
