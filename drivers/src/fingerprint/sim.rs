//! Simulated module: responds to command packets the way an R503-class module
//! does, from a scripted finger state. It does no I/O, so a test or demo
//! harness moves bytes between it and a pseudo-terminal.
//!
//! It implements the commands this crate builds (GenImg, Img2Tz, Search,
//! HighSpeedSearch, ReadSysPara, VfyPwd, HandShake and the LED commands),
//! keeps the image buffer and six character buffers, and can inject
//! faults: silence, a damaged checksum, or a chosen confirmation code.

use std::collections::VecDeque;

use super::code::ConfirmationCode;
use super::command::{ack_packet, Command, MessageError, SystemParameters, DEFAULT_PASSWORD};
use super::config::LedKind;
use super::packet::{encode, Decoder, FrameError, Packet, DEFAULT_ADDRESS};

/// Number of character buffers (R503: CharBuffer 1 to 6).
pub const CHAR_BUFFERS: usize = 6;

/// Default library size of the simulated module, in template pages
/// (the R503 stores 200).
pub const DEFAULT_LIBRARY_SIZE: u16 = 200;

/// Finger state on the sensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finger {
    /// No finger: GenImg returns "no finger".
    Absent,
    /// An enrolled finger: Search finds `page_id` with `score` when the
    /// page is inside the searched range.
    Enrolled {
        /// Library page of the template.
        page_id: u16,
        /// Match score to report.
        score: u16,
    },
    /// A finger that is not enrolled: Search returns "not found".
    Unknown,
    /// A finger whose image cannot be used. With
    /// [`ConfirmationCode::ImageFail`] GenImg fails; with any other code
    /// GenImg succeeds and Img2Tz returns that code.
    PoorImage(ConfirmationCode),
}

/// A fault to apply to the next command the module receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimFault {
    /// Ignore the command and send nothing, as if it was lost.
    Silent,
    /// Send the normal acknowledge with its last checksum byte inverted.
    CorruptChecksum,
    /// Reply with this confirmation code. A search acknowledge carries
    /// page and score 0.
    Code(ConfirmationCode),
}

/// Scripted module. Build it, set the finger, and pass it each command.
#[derive(Debug, Clone)]
pub struct SimulatedModule {
    address: u32,
    password: u32,
    verified: bool,
    library_size: u16,
    led: LedKind,
    finger: Finger,
    image: Option<Finger>,
    char_buffers: [Option<Finger>; CHAR_BUFFERS],
    faults: VecDeque<SimFault>,
    decoder: Decoder,
    received: Vec<Command>,
    led_commands: Vec<Command>,
}

impl Default for SimulatedModule {
    fn default() -> Self {
        Self::new()
    }
}

impl SimulatedModule {
    /// Builds a module with factory settings: address 0xFFFFFFFF, password
    /// 0, a 200-page library, an Aura LED and no finger.
    pub fn new() -> Self {
        Self {
            address: DEFAULT_ADDRESS,
            password: DEFAULT_PASSWORD,
            verified: true,
            library_size: DEFAULT_LIBRARY_SIZE,
            led: LedKind::Aura,
            finger: Finger::Absent,
            image: None,
            char_buffers: [None; CHAR_BUFFERS],
            faults: VecDeque::new(),
            decoder: Decoder::new(DEFAULT_ADDRESS),
            received: Vec::new(),
            led_commands: Vec::new(),
        }
    }

    /// Sets the module address. Packets for other addresses get no reply.
    pub fn with_address(mut self, address: u32) -> Self {
        self.address = address;
        self.decoder = Decoder::new(address);
        self
    }

    /// Sets a password. Unless it is the factory password 0, every command
    /// except VfyPwd and HandShake returns "must verify password" until
    /// VfyPwd succeeds.
    pub fn with_password(mut self, password: u32) -> Self {
        self.password = password;
        self.verified = password == DEFAULT_PASSWORD;
        self
    }

    /// Sets the library size reported by ReadSysPara and checked by Search.
    pub fn with_library_size(mut self, pages: u16) -> Self {
        self.library_size = pages;
        self
    }

    /// Sets which LED commands the module supports; the others return
    /// "unsupported command".
    pub fn with_led(mut self, led: LedKind) -> Self {
        self.led = led;
        self
    }

    /// Places or removes a finger.
    pub fn set_finger(&mut self, finger: Finger) {
        self.finger = finger;
    }

    /// Current finger state.
    pub fn finger(&self) -> Finger {
        self.finger
    }

    /// Queues a fault for the next command; faults apply in queue order,
    /// one per command.
    pub fn inject(&mut self, fault: SimFault) {
        self.faults.push_back(fault);
    }

    /// Commands received and parsed, in order.
    pub fn received(&self) -> &[Command] {
        &self.received
    }

    /// LED commands received and accepted, in order.
    pub fn led_commands(&self) -> &[Command] {
        &self.led_commands
    }

    /// Feeds bytes as they arrive on the module's receive line and returns
    /// the bytes it sends back. A frame with a damaged checksum gets the reply
    /// "packet receive error", and other damaged bytes get no reply.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.decoder.push(bytes);
        let mut output = Vec::new();
        while let Some(result) = self.decoder.next_packet() {
            match result {
                Ok(packet) => {
                    if let Some(reply) = self.respond(&packet) {
                        output.extend_from_slice(&reply);
                    }
                }
                Err(FrameError::BadChecksum { .. }) => {
                    let reply = ack_packet(self.address, ConfirmationCode::PacketReceiveError, &[]);
                    output.extend_from_slice(&encode(&reply));
                }
                Err(_) => {}
            }
        }
        output
    }

    /// Replies to one command packet with the encoded acknowledge, or `None`
    /// when the module would stay silent (another address, or an injected
    /// [`SimFault::Silent`]).
    pub fn respond(&mut self, packet: &Packet) -> Option<Vec<u8>> {
        if packet.address() != self.address {
            return None;
        }
        let fault = self.faults.pop_front();
        if fault == Some(SimFault::Silent) {
            return None;
        }

        let reply = match fault {
            Some(SimFault::Code(code)) => self.forced_reply(packet, code),
            _ => self.reply(packet),
        };
        let mut bytes = encode(&reply);
        if fault == Some(SimFault::CorruptChecksum) {
            if let Some(last) = bytes.last_mut() {
                *last = !*last;
            }
        }
        Some(bytes)
    }

    /// Builds the reply carrying an injected code, shaped for the command.
    fn forced_reply(&self, packet: &Packet, code: ConfirmationCode) -> Packet {
        let values: &[u8] = match Command::from_packet(packet) {
            Ok(Command::Search { .. } | Command::HighSpeedSearch { .. }) => &[0, 0, 0, 0],
            _ => &[],
        };
        ack_packet(self.address, code, values)
    }

    fn reply(&mut self, packet: &Packet) -> Packet {
        let command = match Command::from_packet(packet) {
            Ok(command) => command,
            Err(MessageError::UnknownInstruction { .. }) => {
                return self.ack(ConfirmationCode::UnsupportedCommand, &[]);
            }
            Err(_) => return self.ack(ConfirmationCode::PacketReceiveError, &[]),
        };
        self.received.push(command);

        let needs_password = !matches!(command, Command::VfyPwd { .. } | Command::Handshake);
        if needs_password && !self.verified {
            return self.ack(
                ConfirmationCode::MustVerifyPassword,
                search_padding(&command),
            );
        }

        match command {
            Command::GenImg => self.gen_img(),
            Command::Img2Tz { buffer } => self.img2tz(buffer),
            Command::Search {
                buffer,
                start_page,
                page_count,
            }
            | Command::HighSpeedSearch {
                buffer,
                start_page,
                page_count,
            } => self.search(buffer, start_page, page_count),
            Command::ReadSysPara => {
                let parameters = self.parameters();
                self.ack(ConfirmationCode::Ok, &parameters.to_bytes())
            }
            Command::VfyPwd { password } => {
                if password == self.password {
                    self.verified = true;
                    self.ack(ConfirmationCode::Ok, &[])
                } else {
                    self.ack(ConfirmationCode::WrongPassword, &[])
                }
            }
            Command::Handshake => self.ack(ConfirmationCode::Ok, &[]),
            Command::AuraLedConfig(_) => self.led_command(command, LedKind::Aura),
            Command::LedOn | Command::LedOff => self.led_command(command, LedKind::OnOff),
        }
    }

    fn gen_img(&mut self) -> Packet {
        match self.finger {
            Finger::Absent => self.ack(ConfirmationCode::NoFinger, &[]),
            Finger::PoorImage(ConfirmationCode::ImageFail) => {
                self.ack(ConfirmationCode::ImageFail, &[])
            }
            finger => {
                self.image = Some(finger);
                self.ack(ConfirmationCode::Ok, &[])
            }
        }
    }

    fn img2tz(&mut self, buffer: u8) -> Packet {
        let Some(slot) = buffer_index(buffer) else {
            return self.ack(ConfirmationCode::PacketReceiveError, &[]);
        };
        match self.image {
            None => self.ack(ConfirmationCode::InvalidImage, &[]),
            Some(Finger::PoorImage(code)) => self.ack(code, &[]),
            Some(finger) => {
                self.char_buffers[slot] = Some(finger);
                self.ack(ConfirmationCode::Ok, &[])
            }
        }
    }

    fn search(&mut self, buffer: u8, start_page: u16, page_count: u16) -> Packet {
        let Some(slot) = buffer_index(buffer) else {
            return self.ack(ConfirmationCode::PacketReceiveError, &[0, 0, 0, 0]);
        };
        if start_page >= self.library_size {
            return self.ack(ConfirmationCode::BadLocation, &[0, 0, 0, 0]);
        }

        let end = u32::from(start_page) + u32::from(page_count);
        match self.char_buffers[slot] {
            Some(Finger::Enrolled { page_id, score })
                if page_id >= start_page
                    && u32::from(page_id) < end
                    && page_id < self.library_size =>
            {
                let mut values = [0u8; 4];
                values[..2].copy_from_slice(&page_id.to_be_bytes());
                values[2..].copy_from_slice(&score.to_be_bytes());
                self.ack(ConfirmationCode::Ok, &values)
            }
            _ => self.ack(ConfirmationCode::NotFound, &[0, 0, 0, 0]),
        }
    }

    fn led_command(&mut self, command: Command, kind: LedKind) -> Packet {
        if self.led != kind {
            return self.ack(ConfirmationCode::UnsupportedCommand, &[]);
        }
        self.led_commands.push(command);
        self.ack(ConfirmationCode::Ok, &[])
    }

    fn parameters(&self) -> SystemParameters {
        SystemParameters {
            // Bit 2: password verified.
            status_register: if self.verified { 0x0004 } else { 0x0000 },
            system_id: 0x0009,
            library_size: self.library_size,
            security_level: 3,
            device_address: self.address,
            // 2: 128-byte data packets, the factory setting.
            packet_size_code: 2,
            // 6: 57600 bit/s, the factory setting.
            baud_multiplier: 6,
        }
    }

    fn ack(&self, code: ConfirmationCode, values: &[u8]) -> Packet {
        ack_packet(self.address, code, values)
    }
}

/// Converts a character buffer id (1 to 6) to an array index.
fn buffer_index(buffer: u8) -> Option<usize> {
    let index = usize::from(buffer).checked_sub(1)?;
    (index < CHAR_BUFFERS).then_some(index)
}

/// Page id and score fields (zero) that a search acknowledge carries even on
/// failure.
fn search_padding(command: &Command) -> &'static [u8] {
    match command {
        Command::Search { .. } | Command::HighSpeedSearch { .. } => &[0, 0, 0, 0],
        _ => &[],
    }
}
