//! Packet framing: encoder and incremental decoder.
//!
//! Every packet on the wire, in both directions, is
//!
//! ```text
//! EF 01 | AA AA AA AA | PID | LL LL | payload ... | SS SS
//! header  address       id    length                checksum
//! ```
//!
//! All multi-byte fields are big-endian. The length field counts the
//! payload plus the two checksum bytes. The checksum is the low 16 bits of
//! the sum of the PID byte, both length bytes and every payload byte. The
//! header and the address are not summed. (Grow R503 user manual V1.2.2,
//! section "Data package format".)

use thiserror::Error;

/// Start code that opens every packet.
pub const HEADER: [u8; 2] = [0xEF, 0x01];

/// Factory default module address. A module responds only to packets that
/// carry its own address.
pub const DEFAULT_ADDRESS: u32 = 0xFFFF_FFFF;

/// Largest payload, in bytes, that the decoder accepts and
/// [`Packet::new`] builds. The largest data packet size a module can be
/// configured for is 256 bytes (system parameter 6, value 3).
pub const MAX_PAYLOAD_LEN: usize = 256;

/// Bytes before the payload: header (2), address (4), PID (1), length (2).
pub const PREFIX_LEN: usize = 9;

/// Bytes of the checksum after the payload.
pub const CHECKSUM_LEN: usize = 2;

/// Largest whole packet on the wire, in bytes.
pub const MAX_FRAME_LEN: usize = PREFIX_LEN + MAX_PAYLOAD_LEN + CHECKSUM_LEN;

/// Default bound on bytes the decoder buffers between drains: enough for
/// fifteen maximum-size frames.
pub const DEFAULT_BUFFER_CAPACITY: usize = 4096;

/// Package identifier: what kind of packet this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pid {
    /// 0x01: command packet, host to module.
    Command,
    /// 0x02: data packet; more data packets follow.
    Data,
    /// 0x07: acknowledge packet, module to host.
    Ack,
    /// 0x08: last data packet of a transfer.
    EndOfData,
}

impl Pid {
    /// Converts a PID byte; returns `None` for bytes the protocol does not define.
    pub fn from_u8(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(Pid::Command),
            0x02 => Some(Pid::Data),
            0x07 => Some(Pid::Ack),
            0x08 => Some(Pid::EndOfData),
            _ => None,
        }
    }

    /// Returns the byte sent on the wire.
    pub fn to_u8(self) -> u8 {
        match self {
            Pid::Command => 0x01,
            Pid::Data => 0x02,
            Pid::Ack => 0x07,
            Pid::EndOfData => 0x08,
        }
    }
}

/// One packet: address, PID and payload. The header, length and checksum
/// are derived when encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    address: u32,
    pid: Pid,
    payload: Vec<u8>,
}

impl Packet {
    /// Builds a packet, rejecting a payload longer than [`MAX_PAYLOAD_LEN`].
    pub fn new(address: u32, pid: Pid, payload: Vec<u8>) -> Result<Self, FrameError> {
        if payload.len() > MAX_PAYLOAD_LEN {
            return Err(FrameError::PayloadTooLong {
                len: payload.len(),
                max: MAX_PAYLOAD_LEN,
            });
        }
        Ok(Self {
            address,
            pid,
            payload,
        })
    }

    /// Builds a packet whose payload the caller knows to be short, such as
    /// a command or an acknowledge built in this crate.
    pub(crate) fn new_short(address: u32, pid: Pid, payload: Vec<u8>) -> Self {
        debug_assert!(payload.len() <= MAX_PAYLOAD_LEN);
        Self {
            address,
            pid,
            payload,
        }
    }

    /// Module address the packet is sent to or comes from.
    pub fn address(&self) -> u32 {
        self.address
    }

    /// Package identifier.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Payload bytes: instruction and parameters for a command, confirmation
    /// code and return values for an acknowledge.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Value of the length field: payload length plus the checksum bytes.
    pub fn length_field(&self) -> u16 {
        // The constructor caps the payload at MAX_PAYLOAD_LEN, so this fits.
        (self.payload.len() + CHECKSUM_LEN) as u16
    }
}

/// Computes the checksum: low 16 bits of the sum of the PID byte, both
/// bytes of `length_field` and every payload byte.
pub fn checksum(pid: u8, length_field: u16, payload: &[u8]) -> u16 {
    let [length_high, length_low] = length_field.to_be_bytes();
    let mut sum = u16::from(pid)
        .wrapping_add(u16::from(length_high))
        .wrapping_add(u16::from(length_low));
    for &byte in payload {
        sum = sum.wrapping_add(u16::from(byte));
    }
    sum
}

/// Encodes a packet to the bytes sent on the wire.
pub fn encode(packet: &Packet) -> Vec<u8> {
    let length_field = packet.length_field();
    let pid = packet.pid.to_u8();
    let mut frame = Vec::with_capacity(PREFIX_LEN + packet.payload.len() + CHECKSUM_LEN);
    frame.extend_from_slice(&HEADER);
    frame.extend_from_slice(&packet.address.to_be_bytes());
    frame.push(pid);
    frame.extend_from_slice(&length_field.to_be_bytes());
    frame.extend_from_slice(&packet.payload);
    frame.extend_from_slice(&checksum(pid, length_field, &packet.payload).to_be_bytes());
    frame
}

/// Reason a frame was rejected, or a packet could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    /// The checksum field does not match the sum of the received bytes.
    #[error("invalid checksum 0x{received:04X}, computed 0x{computed:04X} (line noise or a wrong baud rate)")]
    BadChecksum {
        /// Checksum field as received.
        received: u16,
        /// Checksum computed over the received PID, length and payload.
        computed: u16,
    },
    /// The length field is below 2 (no room for the checksum) or above the cap.
    #[error("invalid length field {length}, expected 2 to {max} (a false header in noise, or the module's data packet size is larger than this decoder accepts)")]
    BadLength {
        /// Length field as received.
        length: u16,
        /// Largest accepted length field.
        max: u16,
    },
    /// The PID byte is not one of 0x01, 0x02, 0x07, 0x08.
    #[error("invalid package identifier 0x{pid:02X}, expected 0x01, 0x02, 0x07 or 0x08")]
    UnknownPid {
        /// PID byte as received.
        pid: u8,
    },
    /// The address differs from the one the decoder was built for.
    #[error("packet address 0x{received:08X} is not the configured module address 0x{expected:08X} (check the configured address, or another device on the line)")]
    WrongAddress {
        /// Address the decoder accepts.
        expected: u32,
        /// Address as received.
        received: u32,
    },
    /// A frame stopped short: a complete, valid frame starts inside the
    /// bytes its length field claimed.
    #[error("frame truncated after {received} of {expected} bytes, a new frame started inside it")]
    Truncated {
        /// Whole frame length claimed by the length field.
        expected: usize,
        /// Bytes of it received before the next frame started.
        received: usize,
    },
    /// The receive buffer was full, so the oldest bytes were dropped.
    #[error(
        "receive buffer overflowed, dropped {dropped} bytes (drain the decoder after every read)"
    )]
    Overflow {
        /// Bytes dropped.
        dropped: usize,
    },
    /// A packet to encode has a payload over the limit.
    #[error("payload of {len} bytes is longer than the maximum {max}")]
    PayloadTooLong {
        /// Payload length requested.
        len: usize,
        /// Largest payload allowed.
        max: usize,
    },
}

/// Counters of what the decoder has seen since it was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecoderStats {
    /// Frames decoded and returned as packets.
    pub frames: u64,
    /// Bytes skipped while scanning for a header. The 0x55 byte a module
    /// sends once after power-on is counted here.
    pub skipped_bytes: u64,
    /// Frames rejected for a checksum mismatch.
    pub bad_checksum: u64,
    /// Frames rejected for a length field out of range.
    pub bad_length: u64,
    /// Frames rejected for an undefined PID.
    pub unknown_pid: u64,
    /// Frames rejected for another module's address.
    pub wrong_address: u64,
    /// Partial frames abandoned because a valid frame started inside them.
    pub truncated: u64,
    /// Bytes dropped because the buffer was full.
    pub overflow_bytes: u64,
}

impl DecoderStats {
    /// Total frames rejected, over all reasons. Skipped and dropped bytes
    /// are not frames and are not included.
    pub fn rejected(&self) -> u64 {
        self.bad_checksum + self.bad_length + self.unknown_pid + self.wrong_address + self.truncated
    }
}

/// Outcome of trying to read one frame at a buffer position.
enum Attempt {
    /// A valid frame of this many bytes.
    Complete(Packet, usize),
    /// A valid prefix that needs more bytes; the value is the whole frame
    /// length once the length field has arrived.
    Incomplete(Option<usize>),
    /// Not a valid frame.
    Invalid(FrameError),
}

/// Incremental decoder: push bytes as they arrive, then call
/// [`Decoder::next_packet`] until it returns `None`.
///
/// The decoder is meant never to panic on input, and the property tests
/// in `drivers/tests/fingerprint_props.rs` feed it random bytes. It skips
/// bytes until it finds the `EF 01` header. When a candidate frame is
/// invalid it drops only the first header byte and scans again, so a real
/// frame that begins inside a false or damaged one is still found.
#[derive(Debug, Clone)]
pub struct Decoder {
    buffer: Vec<u8>,
    capacity: usize,
    address: Option<u32>,
    pending_overflow: usize,
    stats: DecoderStats,
}

impl Decoder {
    /// Builds a decoder that accepts only frames carrying `address`.
    pub fn new(address: u32) -> Self {
        Self::build(Some(address), DEFAULT_BUFFER_CAPACITY)
    }

    /// Builds a decoder that accepts frames with any address.
    pub fn any_address() -> Self {
        Self::build(None, DEFAULT_BUFFER_CAPACITY)
    }

    /// Replaces the buffer bound. Values below [`MAX_FRAME_LEN`] are raised
    /// to it, so one maximum-size frame always fits.
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(MAX_FRAME_LEN);
        self
    }

    fn build(address: Option<u32>, capacity: usize) -> Self {
        Self {
            buffer: Vec::new(),
            capacity,
            address,
            pending_overflow: 0,
            stats: DecoderStats::default(),
        }
    }

    /// Appends received bytes. When the buffer would exceed its bound the
    /// oldest bytes are dropped, and the next call to
    /// [`Decoder::next_packet`] reports [`FrameError::Overflow`].
    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() > self.capacity {
            let dropped = self.buffer.len() - self.capacity;
            self.buffer.drain(..dropped);
            self.pending_overflow += dropped;
            self.stats.overflow_bytes += dropped as u64;
        }
    }

    /// Returns the next packet, a rejected frame, or `None` when the
    /// buffered bytes contain no complete frame yet.
    pub fn next_packet(&mut self) -> Option<Result<Packet, FrameError>> {
        if self.pending_overflow > 0 {
            let dropped = std::mem::take(&mut self.pending_overflow);
            return Some(Err(FrameError::Overflow { dropped }));
        }

        self.skip_to_header();
        if self.buffer.len() < HEADER.len() {
            return None;
        }

        match self.attempt_at(0) {
            Attempt::Complete(packet, len) => {
                self.buffer.drain(..len);
                self.stats.frames += 1;
                Some(Ok(packet))
            }
            Attempt::Invalid(error) => {
                // Drop only the first header byte: a real frame may start
                // inside the rejected one.
                self.buffer.drain(..1);
                self.count(&error);
                Some(Err(error))
            }
            // Fewer than 9 bytes, too few to contain a complete frame.
            Attempt::Incomplete(None) => None,
            Attempt::Incomplete(Some(expected)) => {
                let start = self.complete_frame_inside(expected)?;
                let error = FrameError::Truncated {
                    expected,
                    received: start,
                };
                self.buffer.drain(..start);
                self.count(&error);
                Some(Err(error))
            }
        }
    }

    /// Drops every buffered byte, counting them as skipped. A driver calls
    /// it before resending a command, so a late reply to the abandoned
    /// command is not taken for the reply to the new one.
    pub fn discard_buffered(&mut self) {
        self.stats.skipped_bytes += self.buffer.len() as u64;
        self.buffer.clear();
    }

    /// Bytes currently buffered.
    pub fn buffered_len(&self) -> usize {
        self.buffer.len()
    }

    /// Counters since the decoder was built.
    pub fn stats(&self) -> DecoderStats {
        self.stats
    }

    /// Drops bytes before the first `EF 01`. A trailing lone `EF` is kept,
    /// because the `01` may arrive in the next read.
    fn skip_to_header(&mut self) {
        let found = self.buffer.windows(2).position(|pair| pair == HEADER);
        let skip = match found {
            Some(position) => position,
            None if self.buffer.last() == Some(&HEADER[0]) => self.buffer.len() - 1,
            None => self.buffer.len(),
        };
        if skip > 0 {
            self.buffer.drain(..skip);
            self.stats.skipped_bytes += skip as u64;
        }
    }

    /// Looks for a header after position 0, inside the span the incomplete
    /// frame at position 0 claims, that starts a complete valid frame.
    /// Without this, a false header in noise whose length field claims
    /// more bytes than follow would hold back the real frame behind it.
    ///
    /// NOTE: a data packet whose payload itself contains a whole valid
    /// frame would be cut at that inner frame. Polling uses no data
    /// packets, and such a payload needs a matching 16-bit checksum.
    fn complete_frame_inside(&self, expected: usize) -> Option<usize> {
        let end = expected.min(self.buffer.len());
        (1..end)
            .filter(|&start| self.buffer[start..].starts_with(&HEADER))
            .find(|&start| matches!(self.attempt_at(start), Attempt::Complete(..)))
    }

    /// Validates the frame starting at `start`, field by field, as far as
    /// the buffered bytes allow.
    fn attempt_at(&self, start: usize) -> Attempt {
        let bytes = &self.buffer[start..];

        if bytes.len() < 6 {
            return Attempt::Incomplete(None);
        }
        let received = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]);
        if let Some(expected) = self.address {
            if received != expected {
                return Attempt::Invalid(FrameError::WrongAddress { expected, received });
            }
        }

        if bytes.len() < 7 {
            return Attempt::Incomplete(None);
        }
        let Some(pid) = Pid::from_u8(bytes[6]) else {
            return Attempt::Invalid(FrameError::UnknownPid { pid: bytes[6] });
        };

        if bytes.len() < PREFIX_LEN {
            return Attempt::Incomplete(None);
        }
        let length = u16::from_be_bytes([bytes[7], bytes[8]]);
        let max = (MAX_PAYLOAD_LEN + CHECKSUM_LEN) as u16;
        if !(CHECKSUM_LEN as u16..=max).contains(&length) {
            return Attempt::Invalid(FrameError::BadLength { length, max });
        }

        let total = PREFIX_LEN + usize::from(length);
        if bytes.len() < total {
            return Attempt::Incomplete(Some(total));
        }
        let payload = &bytes[PREFIX_LEN..total - CHECKSUM_LEN];
        let received_sum = u16::from_be_bytes([bytes[total - 2], bytes[total - 1]]);
        let computed = checksum(bytes[6], length, payload);
        if received_sum != computed {
            return Attempt::Invalid(FrameError::BadChecksum {
                received: received_sum,
                computed,
            });
        }

        let packet = Packet::new_short(received, pid, payload.to_vec());
        Attempt::Complete(packet, total)
    }

    fn count(&mut self, error: &FrameError) {
        match error {
            FrameError::BadChecksum { .. } => self.stats.bad_checksum += 1,
            FrameError::BadLength { .. } => self.stats.bad_length += 1,
            FrameError::UnknownPid { .. } => self.stats.unknown_pid += 1,
            FrameError::WrongAddress { .. } => self.stats.wrong_address += 1,
            FrameError::Truncated { .. } => self.stats.truncated += 1,
            FrameError::Overflow { .. } | FrameError::PayloadTooLong { .. } => {}
        }
    }
}
