//! Commands the host sends and the typed acknowledges the module returns.
//!
//! Instruction codes and parameter layouts are from the Grow R503 user
//! manual V1.2.2 (section "Module Instruction System"). The 0x50/0x51 LED
//! on/off instructions are not in that manual: they come from Adafruit's
//! Fingerprint Sensor Library (`FINGERPRINT_LEDON`, `FINGERPRINT_LEDOFF`),
//! which sends them to modules with a single-colour LED.
//!
//! An acknowledge does not name the command it replies to, so parsing needs
//! the command that was sent: [`Ack::parse`].

use thiserror::Error;

use super::code::ConfirmationCode;
use super::led::{AuraColour, AuraControl, AuraSignal};
use super::packet::{Packet, Pid};

/// Instruction code bytes, the first payload byte of a command packet.
pub mod instruction {
    /// Capture a finger image into the image buffer.
    pub const GEN_IMG: u8 = 0x01;
    /// Extract features from the image buffer into a character buffer.
    pub const IMG2TZ: u8 = 0x02;
    /// Search a page range of the library for the character buffer.
    pub const SEARCH: u8 = 0x04;
    /// Read the status register and the basic system parameters.
    pub const READ_SYS_PARA: u8 = 0x0F;
    /// Verify the handshake password.
    pub const VFY_PWD: u8 = 0x13;
    /// Search like [`SEARCH`] with the vendor's faster algorithm.
    pub const HIGH_SPEED_SEARCH: u8 = 0x1B;
    /// Configure the ring LED of R503-class modules.
    pub const AURA_LED_CONFIG: u8 = 0x35;
    /// Check that the module is alive (R503 class).
    pub const HANDSHAKE: u8 = 0x40;
    /// Turn the single-colour LED on.
    pub const LED_ON: u8 = 0x50;
    /// Turn the single-colour LED off.
    pub const LED_OFF: u8 = 0x51;
}

/// Character buffer that receives the features extracted for a search.
pub const SEARCH_BUFFER: u8 = 1;

/// Default module password (R503 manual: "The default password of the
/// module is 0x00000000").
pub const DEFAULT_PASSWORD: u32 = 0;

/// A command the host sends, with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// GenImg (0x01): capture a finger image.
    GenImg,
    /// Img2Tz, also named GenChar (0x02): extract features into `buffer`
    /// (1 or 2 on R30x and AS608, 1 to 6 on R503).
    Img2Tz {
        /// Character buffer id.
        buffer: u8,
    },
    /// Search (0x04): search `page_count` library pages from `start_page`.
    Search {
        /// Character buffer id holding the features to search for.
        buffer: u8,
        /// First library page (template slot) to search.
        start_page: u16,
        /// Number of pages to search.
        page_count: u16,
    },
    /// HighSpeedSearch (0x1B): same parameters and acknowledge as Search.
    HighSpeedSearch {
        /// Character buffer id holding the features to search for.
        buffer: u8,
        /// First library page to search.
        start_page: u16,
        /// Number of pages to search.
        page_count: u16,
    },
    /// ReadSysPara (0x0F): read the status register and system parameters.
    ReadSysPara,
    /// VfyPwd (0x13): verify the handshake password.
    VfyPwd {
        /// Password, 4 bytes big-endian on the wire.
        password: u32,
    },
    /// HandShake (0x40): check that the module is alive.
    Handshake,
    /// AuraLedConfig (0x35): drive the ring LED.
    AuraLedConfig(AuraSignal),
    /// LED on (0x50) for modules with a single-colour LED.
    LedOn,
    /// LED off (0x51) for modules with a single-colour LED.
    LedOff,
}

impl Command {
    /// Instruction code byte.
    pub fn instruction(&self) -> u8 {
        match self {
            Command::GenImg => instruction::GEN_IMG,
            Command::Img2Tz { .. } => instruction::IMG2TZ,
            Command::Search { .. } => instruction::SEARCH,
            Command::HighSpeedSearch { .. } => instruction::HIGH_SPEED_SEARCH,
            Command::ReadSysPara => instruction::READ_SYS_PARA,
            Command::VfyPwd { .. } => instruction::VFY_PWD,
            Command::Handshake => instruction::HANDSHAKE,
            Command::AuraLedConfig(_) => instruction::AURA_LED_CONFIG,
            Command::LedOn => instruction::LED_ON,
            Command::LedOff => instruction::LED_OFF,
        }
    }

    /// Datasheet name of the command, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Command::GenImg => "GenImg",
            Command::Img2Tz { .. } => "Img2Tz",
            Command::Search { .. } => "Search",
            Command::HighSpeedSearch { .. } => "HighSpeedSearch",
            Command::ReadSysPara => "ReadSysPara",
            Command::VfyPwd { .. } => "VfyPwd",
            Command::Handshake => "HandShake",
            Command::AuraLedConfig(_) => "AuraLedConfig",
            Command::LedOn => "LedOn",
            Command::LedOff => "LedOff",
        }
    }

    /// Payload of the command packet: instruction code, then parameters.
    pub fn payload(&self) -> Vec<u8> {
        let mut payload = vec![self.instruction()];
        match *self {
            Command::Img2Tz { buffer } => payload.push(buffer),
            Command::Search {
                buffer,
                start_page,
                page_count,
            }
            | Command::HighSpeedSearch {
                buffer,
                start_page,
                page_count,
            } => {
                payload.push(buffer);
                payload.extend_from_slice(&start_page.to_be_bytes());
                payload.extend_from_slice(&page_count.to_be_bytes());
            }
            Command::VfyPwd { password } => payload.extend_from_slice(&password.to_be_bytes()),
            Command::AuraLedConfig(signal) => {
                payload.extend_from_slice(&[
                    signal.control.to_u8(),
                    signal.speed,
                    signal.colour.to_u8(),
                    signal.count,
                ]);
            }
            Command::GenImg
            | Command::ReadSysPara
            | Command::Handshake
            | Command::LedOn
            | Command::LedOff => {}
        }
        payload
    }

    /// Builds the command packet for the module at `address`.
    pub fn to_packet(&self, address: u32) -> Packet {
        Packet::new_short(address, Pid::Command, self.payload())
    }

    /// Encodes the command packet for the module at `address`.
    pub fn encode(&self, address: u32) -> Vec<u8> {
        super::packet::encode(&self.to_packet(address))
    }

    /// Parses a command packet, as a module does. Used by the simulated
    /// module.
    pub fn from_packet(packet: &Packet) -> Result<Command, MessageError> {
        if packet.pid() != Pid::Command {
            return Err(MessageError::NotACommand {
                pid: packet.pid().to_u8(),
            });
        }
        let Some((&code, parameters)) = packet.payload().split_first() else {
            return Err(MessageError::EmptyPayload);
        };

        let expect = |len: usize| -> Result<(), MessageError> {
            if parameters.len() == len {
                Ok(())
            } else {
                Err(MessageError::BadParameterLength {
                    instruction: code,
                    expected: len,
                    actual: parameters.len(),
                })
            }
        };
        let be16 = |at: usize| u16::from_be_bytes([parameters[at], parameters[at + 1]]);

        let command = match code {
            instruction::GEN_IMG => {
                expect(0)?;
                Command::GenImg
            }
            instruction::IMG2TZ => {
                expect(1)?;
                Command::Img2Tz {
                    buffer: parameters[0],
                }
            }
            instruction::SEARCH | instruction::HIGH_SPEED_SEARCH => {
                expect(5)?;
                let (buffer, start_page, page_count) = (parameters[0], be16(1), be16(3));
                if code == instruction::SEARCH {
                    Command::Search {
                        buffer,
                        start_page,
                        page_count,
                    }
                } else {
                    Command::HighSpeedSearch {
                        buffer,
                        start_page,
                        page_count,
                    }
                }
            }
            instruction::READ_SYS_PARA => {
                expect(0)?;
                Command::ReadSysPara
            }
            instruction::VFY_PWD => {
                expect(4)?;
                let password = u32::from_be_bytes([
                    parameters[0],
                    parameters[1],
                    parameters[2],
                    parameters[3],
                ]);
                Command::VfyPwd { password }
            }
            instruction::HANDSHAKE => {
                expect(0)?;
                Command::Handshake
            }
            instruction::AURA_LED_CONFIG => {
                expect(4)?;
                let control =
                    AuraControl::from_u8(parameters[0]).ok_or(MessageError::BadParameter {
                        instruction: code,
                        value: parameters[0],
                    })?;
                let colour =
                    AuraColour::from_u8(parameters[2]).ok_or(MessageError::BadParameter {
                        instruction: code,
                        value: parameters[2],
                    })?;
                Command::AuraLedConfig(AuraSignal {
                    control,
                    speed: parameters[1],
                    colour,
                    count: parameters[3],
                })
            }
            instruction::LED_ON => {
                expect(0)?;
                Command::LedOn
            }
            instruction::LED_OFF => {
                expect(0)?;
                Command::LedOff
            }
            other => return Err(MessageError::UnknownInstruction { instruction: other }),
        };
        Ok(command)
    }
}

/// Basic system parameters returned by ReadSysPara: 16 bytes, all
/// big-endian, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemParameters {
    /// Status register: bit 0 busy, bit 1 finger matched, bit 2 password
    /// verified, bit 3 image buffer contains a valid image.
    pub status_register: u16,
    /// System identifier code (the manuals give 0x0009).
    pub system_id: u16,
    /// Finger library size: number of template pages.
    pub library_size: u16,
    /// Security level, 1 (most permissive) to 5 (strictest).
    pub security_level: u16,
    /// Module address.
    pub device_address: u32,
    /// Data packet size code: 0, 1, 2, 3 for 32, 64, 128, 256 bytes.
    pub packet_size_code: u16,
    /// Baud rate multiplier N: the baud rate is 9600 × N.
    pub baud_multiplier: u16,
}

/// Length of the ReadSysPara parameter block in bytes.
pub const SYSTEM_PARAMETERS_LEN: usize = 16;

impl SystemParameters {
    /// Parses the 16-byte parameter block that follows the confirmation code.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < SYSTEM_PARAMETERS_LEN {
            return None;
        }
        let be16 = |at: usize| u16::from_be_bytes([bytes[at], bytes[at + 1]]);
        Some(Self {
            status_register: be16(0),
            system_id: be16(2),
            library_size: be16(4),
            security_level: be16(6),
            device_address: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
            packet_size_code: be16(12),
            baud_multiplier: be16(14),
        })
    }

    /// Encodes the 16-byte parameter block, as a module sends it.
    pub fn to_bytes(&self) -> [u8; SYSTEM_PARAMETERS_LEN] {
        let mut bytes = [0u8; SYSTEM_PARAMETERS_LEN];
        bytes[0..2].copy_from_slice(&self.status_register.to_be_bytes());
        bytes[2..4].copy_from_slice(&self.system_id.to_be_bytes());
        bytes[4..6].copy_from_slice(&self.library_size.to_be_bytes());
        bytes[6..8].copy_from_slice(&self.security_level.to_be_bytes());
        bytes[8..12].copy_from_slice(&self.device_address.to_be_bytes());
        bytes[12..14].copy_from_slice(&self.packet_size_code.to_be_bytes());
        bytes[14..16].copy_from_slice(&self.baud_multiplier.to_be_bytes());
        bytes
    }

    /// Data packet size in bytes, or `None` for a code outside 0 to 3.
    pub fn packet_size(&self) -> Option<u16> {
        (self.packet_size_code <= 3).then(|| 32 << self.packet_size_code)
    }

    /// Baud rate in bit/s.
    pub fn baud_rate(&self) -> u32 {
        9600 * u32::from(self.baud_multiplier)
    }
}

/// A parsed acknowledge, typed by the command it replies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    /// Acknowledge of GenImg.
    GenImg(ConfirmationCode),
    /// Acknowledge of Img2Tz.
    Img2Tz(ConfirmationCode),
    /// Acknowledge of Search or HighSpeedSearch. On "not found" the module
    /// sends page id and score 0.
    Search {
        /// Confirmation code.
        code: ConfirmationCode,
        /// Library page of the matching template.
        page_id: u16,
        /// Match score; higher is a closer match.
        score: u16,
    },
    /// Acknowledge of ReadSysPara. The parameters are present when the code is Ok.
    ReadSysPara {
        /// Confirmation code.
        code: ConfirmationCode,
        /// Parameter block.
        parameters: Option<SystemParameters>,
    },
    /// Acknowledge of VfyPwd.
    VfyPwd(ConfirmationCode),
    /// Acknowledge of HandShake.
    Handshake(ConfirmationCode),
    /// Acknowledge of AuraLedConfig, LedOn or LedOff.
    Led(ConfirmationCode),
}

impl Ack {
    /// Parses `packet` as the acknowledge to `command`.
    ///
    /// Bytes after the fields the command defines are ignored, because
    /// some firmware pads acknowledges. A payload too short for the fields
    /// is an error, except that a failed Search may omit page and score.
    pub fn parse(command: &Command, packet: &Packet) -> Result<Ack, MessageError> {
        if packet.pid() != Pid::Ack {
            return Err(MessageError::NotAnAck {
                pid: packet.pid().to_u8(),
            });
        }
        let Some((&first, rest)) = packet.payload().split_first() else {
            return Err(MessageError::EmptyPayload);
        };
        let code = ConfirmationCode::from_u8(first);

        let ack = match command {
            Command::GenImg => Ack::GenImg(code),
            Command::Img2Tz { .. } => Ack::Img2Tz(code),
            Command::Search { .. } | Command::HighSpeedSearch { .. } => {
                if rest.len() >= 4 {
                    Ack::Search {
                        code,
                        page_id: u16::from_be_bytes([rest[0], rest[1]]),
                        score: u16::from_be_bytes([rest[2], rest[3]]),
                    }
                } else if code == ConfirmationCode::Ok {
                    return Err(MessageError::ShortAck {
                        command: command.name(),
                        expected: 5,
                        actual: packet.payload().len(),
                    });
                } else {
                    Ack::Search {
                        code,
                        page_id: 0,
                        score: 0,
                    }
                }
            }
            Command::ReadSysPara => {
                let parameters = SystemParameters::parse(rest);
                if code == ConfirmationCode::Ok && parameters.is_none() {
                    return Err(MessageError::ShortAck {
                        command: command.name(),
                        expected: 1 + SYSTEM_PARAMETERS_LEN,
                        actual: packet.payload().len(),
                    });
                }
                Ack::ReadSysPara { code, parameters }
            }
            Command::VfyPwd { .. } => Ack::VfyPwd(code),
            Command::Handshake => Ack::Handshake(code),
            Command::AuraLedConfig(_) | Command::LedOn | Command::LedOff => Ack::Led(code),
        };
        Ok(ack)
    }

    /// Confirmation code of the acknowledge.
    pub fn code(&self) -> ConfirmationCode {
        match *self {
            Ack::GenImg(code)
            | Ack::Img2Tz(code)
            | Ack::VfyPwd(code)
            | Ack::Handshake(code)
            | Ack::Led(code) => code,
            Ack::Search { code, .. } | Ack::ReadSysPara { code, .. } => code,
        }
    }
}

/// Builds an acknowledge packet from a module at `address`: the
/// confirmation code followed by `values`.
pub fn ack_packet(address: u32, code: ConfirmationCode, values: &[u8]) -> Packet {
    let mut payload = Vec::with_capacity(1 + values.len());
    payload.push(code.to_u8());
    payload.extend_from_slice(values);
    Packet::new_short(address, Pid::Ack, payload)
}

/// Reason a well-framed packet is not the command or acknowledge expected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MessageError {
    /// An acknowledge was expected but the packet has another PID.
    #[error("expected an acknowledge packet (PID 0x07), received PID 0x{pid:02X}")]
    NotAnAck {
        /// PID received.
        pid: u8,
    },
    /// A command was expected but the packet has another PID.
    #[error("expected a command packet (PID 0x01), received PID 0x{pid:02X}")]
    NotACommand {
        /// PID received.
        pid: u8,
    },
    /// The payload is empty, so there is no instruction or confirmation code.
    #[error("packet payload is empty, expected an instruction or confirmation code")]
    EmptyPayload,
    /// The acknowledge is too short for the fields of the command.
    #[error("acknowledge to {command} has {actual} payload bytes, expected at least {expected}")]
    ShortAck {
        /// Command the acknowledge replies to.
        command: &'static str,
        /// Minimum payload length.
        expected: usize,
        /// Payload length received.
        actual: usize,
    },
    /// The instruction code is not one this crate implements.
    #[error("unknown instruction code 0x{instruction:02X}")]
    UnknownInstruction {
        /// Instruction code received.
        instruction: u8,
    },
    /// The command has the wrong number of parameter bytes.
    #[error("instruction 0x{instruction:02X} has {actual} parameter bytes, expected {expected}")]
    BadParameterLength {
        /// Instruction code.
        instruction: u8,
        /// Parameter bytes the instruction takes.
        expected: usize,
        /// Parameter bytes received.
        actual: usize,
    },
    /// A parameter byte is outside the values the instruction defines.
    #[error("instruction 0x{instruction:02X} has invalid parameter value 0x{value:02X}")]
    BadParameter {
        /// Instruction code.
        instruction: u8,
        /// Parameter byte received.
        value: u8,
    },
}
