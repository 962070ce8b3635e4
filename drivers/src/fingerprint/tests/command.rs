//! Command byte vectors, command parsing and typed acknowledges.

use crate::fingerprint::code::ConfirmationCode;
use crate::fingerprint::command::{ack_packet, Ack, Command, MessageError, SystemParameters};
use crate::fingerprint::led::{AuraColour, AuraControl, AuraSignal};
use crate::fingerprint::packet::{encode, Decoder, Packet, Pid, DEFAULT_ADDRESS};

/// Returns each command with its frame for address FF FF FF FF. The checksum is
/// PID 01 + both length bytes + every payload byte.
fn command_vectors() -> Vec<(Command, Vec<u8>)> {
    vec![
        // GenImg: length 00 03; 01 + 00 + 03 + 01 = 0x0005.
        (
            Command::GenImg,
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x01, 0x00, 0x05,
            ],
        ),
        // Img2Tz buffer 1: length 00 04; 01 + 00 + 04 + 02 + 01 = 0x0008.
        (
            Command::Img2Tz { buffer: 1 },
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x04, 0x02, 0x01, 0x00, 0x08,
            ],
        ),
        // Img2Tz buffer 2: 01 + 00 + 04 + 02 + 02 = 0x0009.
        (
            Command::Img2Tz { buffer: 2 },
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x04, 0x02, 0x02, 0x00, 0x09,
            ],
        ),
        // Search buffer 1, start 0, count 200 (00 C8): length 00 08;
        // 01 + 08 + 04 + 01 + C8 = 1 + 8 + 4 + 1 + 200 = 214 = 0x00D6.
        (
            Command::Search {
                buffer: 1,
                start_page: 0,
                page_count: 200,
            },
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x08, 0x04, 0x01, 0x00, 0x00, 0x00,
                0xC8, 0x00, 0xD6,
            ],
        ),
        // Search buffer 1, start 0x0102, count 0x0300:
        // 01 + 08 + 04 + 01 + 01 + 02 + 03 + 00 = 20 = 0x0014.
        (
            Command::Search {
                buffer: 1,
                start_page: 0x0102,
                page_count: 0x0300,
            },
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x08, 0x04, 0x01, 0x01, 0x02, 0x03,
                0x00, 0x00, 0x14,
            ],
        ),
        // HighSpeedSearch buffer 1, start 0, count 163 (00 A3):
        // 01 + 08 + 1B + 01 + A3 = 1 + 8 + 27 + 1 + 163 = 200 = 0x00C8.
        (
            Command::HighSpeedSearch {
                buffer: 1,
                start_page: 0,
                page_count: 163,
            },
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x08, 0x1B, 0x01, 0x00, 0x00, 0x00,
                0xA3, 0x00, 0xC8,
            ],
        ),
        // ReadSysPara: 01 + 00 + 03 + 0F = 19 = 0x0013.
        (
            Command::ReadSysPara,
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x0F, 0x00, 0x13,
            ],
        ),
        // VfyPwd 0: length 00 07; 01 + 07 + 13 = 27 = 0x001B.
        (
            Command::VfyPwd { password: 0 },
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x07, 0x13, 0x00, 0x00, 0x00, 0x00,
                0x00, 0x1B,
            ],
        ),
        // VfyPwd 12 34 56 78: 27 + 18 + 52 + 86 + 120 = 303 = 0x012F.
        (
            Command::VfyPwd {
                password: 0x1234_5678,
            },
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x07, 0x13, 0x12, 0x34, 0x56, 0x78,
                0x01, 0x2F,
            ],
        ),
        // HandShake: 01 + 00 + 03 + 40 = 68 = 0x0044.
        (
            Command::Handshake,
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x40, 0x00, 0x44,
            ],
        ),
        // AuraLedConfig flashing (02), speed 50, blue (02), count 3:
        // 01 + 07 + 35 + 02 + 50 + 02 + 03 = 1 + 7 + 53 + 2 + 80 + 2 + 3 = 148 = 0x0094.
        (
            Command::AuraLedConfig(AuraSignal {
                control: AuraControl::Flashing,
                speed: 0x50,
                colour: AuraColour::Blue,
                count: 3,
            }),
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x07, 0x35, 0x02, 0x50, 0x02, 0x03,
                0x00, 0x94,
            ],
        ),
        // AuraLedConfig breathing (01), speed 40, blue (02), count 1:
        // 1 + 7 + 53 + 1 + 64 + 2 + 1 = 129 = 0x0081.
        (
            Command::AuraLedConfig(AuraSignal {
                control: AuraControl::Breathing,
                speed: 0x40,
                colour: AuraColour::Blue,
                count: 1,
            }),
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x07, 0x35, 0x01, 0x40, 0x02, 0x01,
                0x00, 0x81,
            ],
        ),
        // AuraLedConfig flashing (02), speed 20, red (01), count 3:
        // 1 + 7 + 53 + 2 + 32 + 1 + 3 = 99 = 0x0063.
        (
            Command::AuraLedConfig(AuraSignal {
                control: AuraControl::Flashing,
                speed: 0x20,
                colour: AuraColour::Red,
                count: 3,
            }),
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x07, 0x35, 0x02, 0x20, 0x01, 0x03,
                0x00, 0x63,
            ],
        ),
        // LED on: 01 + 00 + 03 + 50 = 84 = 0x0054.
        (
            Command::LedOn,
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x50, 0x00, 0x54,
            ],
        ),
        // LED off: 01 + 00 + 03 + 51 = 85 = 0x0055.
        (
            Command::LedOff,
            vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x51, 0x00, 0x55,
            ],
        ),
    ]
}

#[test]
fn command_encodes_to_vectors() {
    for (command, expected) in command_vectors() {
        assert_eq!(command.encode(DEFAULT_ADDRESS), expected, "{command:?}");
    }
}

#[test]
fn command_parses_from_vectors() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    for (command, bytes) in command_vectors() {
        decoder.push(&bytes);
        let Some(Ok(packet)) = decoder.next_packet() else {
            panic!("{command:?} not decoded");
        };
        assert_eq!(Command::from_packet(&packet), Ok(command));
    }
}

#[test]
fn command_names_and_instructions() {
    let expected = [
        (Command::GenImg, "GenImg", 0x01),
        (Command::Img2Tz { buffer: 1 }, "Img2Tz", 0x02),
        (Command::ReadSysPara, "ReadSysPara", 0x0F),
        (Command::VfyPwd { password: 0 }, "VfyPwd", 0x13),
        (Command::Handshake, "HandShake", 0x40),
        (Command::LedOn, "LedOn", 0x50),
        (Command::LedOff, "LedOff", 0x51),
    ];
    for (command, name, instruction) in expected {
        assert_eq!(command.name(), name);
        assert_eq!(command.instruction(), instruction);
    }
}

#[test]
fn command_rejects_ack_pid() {
    let packet = Packet::new(DEFAULT_ADDRESS, Pid::Ack, vec![0x01]).expect("short");
    assert_eq!(
        Command::from_packet(&packet),
        Err(MessageError::NotACommand { pid: 0x07 })
    );
}

#[test]
fn command_rejects_empty_payload() {
    let packet = Packet::new(DEFAULT_ADDRESS, Pid::Command, Vec::new()).expect("empty");
    assert_eq!(
        Command::from_packet(&packet),
        Err(MessageError::EmptyPayload)
    );
}

#[test]
fn command_rejects_wrong_parameter_count() {
    // Search with 4 parameter bytes in place of 5.
    let packet = Packet::new(
        DEFAULT_ADDRESS,
        Pid::Command,
        vec![0x04, 0x01, 0x00, 0x00, 0x00],
    )
    .expect("short");
    assert_eq!(
        Command::from_packet(&packet),
        Err(MessageError::BadParameterLength {
            instruction: 0x04,
            expected: 5,
            actual: 4,
        })
    );
}

#[test]
fn command_rejects_unknown_instruction() {
    let packet = Packet::new(DEFAULT_ADDRESS, Pid::Command, vec![0x7E]).expect("short");
    assert_eq!(
        Command::from_packet(&packet),
        Err(MessageError::UnknownInstruction { instruction: 0x7E })
    );
}

#[test]
fn command_rejects_bad_aura_values() {
    // Control code 09 is undefined.
    let packet = Packet::new(
        DEFAULT_ADDRESS,
        Pid::Command,
        vec![0x35, 0x09, 0x10, 0x01, 0x01],
    )
    .expect("short");
    assert_eq!(
        Command::from_packet(&packet),
        Err(MessageError::BadParameter {
            instruction: 0x35,
            value: 0x09,
        })
    );
    // Colour index 08 is undefined.
    let packet = Packet::new(
        DEFAULT_ADDRESS,
        Pid::Command,
        vec![0x35, 0x01, 0x10, 0x08, 0x01],
    )
    .expect("short");
    assert_eq!(
        Command::from_packet(&packet),
        Err(MessageError::BadParameter {
            instruction: 0x35,
            value: 0x08,
        })
    );
}

#[test]
fn aura_bytes_round_trip() {
    for byte in 0..=u8::MAX {
        if let Some(control) = AuraControl::from_u8(byte) {
            assert_eq!(control.to_u8(), byte);
        }
        if let Some(colour) = AuraColour::from_u8(byte) {
            assert_eq!(colour.to_u8(), byte);
        }
    }
    assert_eq!(AuraControl::from_u8(0x00), None);
    assert_eq!(AuraControl::from_u8(0x07), None);
    assert_eq!(AuraColour::from_u8(0x00), None);
    assert_eq!(AuraColour::from_u8(0x08), None);
}

fn decode_one(bytes: &[u8]) -> Packet {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    decoder.push(bytes);
    match decoder.next_packet() {
        Some(Ok(packet)) => packet,
        other => panic!("not decoded: {other:?}"),
    }
}

#[test]
fn ack_search_found() {
    // Found page 5, score 100 (00 64): length 00 07;
    // 07 + 07 + 00 + 00 + 05 + 00 + 64 = 7 + 7 + 5 + 100 = 119 = 0x0077.
    let packet = decode_one(&[
        0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x07, 0x00, 0x00, 0x05, 0x00, 0x64, 0x00,
        0x77,
    ]);
    let search = Command::Search {
        buffer: 1,
        start_page: 0,
        page_count: 200,
    };
    assert_eq!(
        Ack::parse(&search, &packet),
        Ok(Ack::Search {
            code: ConfirmationCode::Ok,
            page_id: 5,
            score: 100,
        })
    );
}

#[test]
fn ack_search_found_high_page() {
    // Page 01 02 = 258, score 00 C8 = 200: 7 + 7 + 1 + 2 + 200 = 217 = 0x00D9.
    let packet = decode_one(&[
        0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x07, 0x00, 0x01, 0x02, 0x00, 0xC8, 0x00,
        0xD9,
    ]);
    let search = Command::HighSpeedSearch {
        buffer: 1,
        start_page: 0,
        page_count: 1000,
    };
    assert_eq!(
        Ack::parse(&search, &packet),
        Ok(Ack::Search {
            code: ConfirmationCode::Ok,
            page_id: 258,
            score: 200,
        })
    );
}

#[test]
fn ack_search_not_found() {
    // Code 09 with page and score 0: 7 + 7 + 9 = 23 = 0x0017.
    let packet = decode_one(&[
        0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x07, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x17,
    ]);
    let search = Command::Search {
        buffer: 1,
        start_page: 0,
        page_count: 200,
    };
    assert_eq!(
        Ack::parse(&search, &packet),
        Ok(Ack::Search {
            code: ConfirmationCode::NotFound,
            page_id: 0,
            score: 0,
        })
    );
}

#[test]
fn ack_search_error_without_fields() {
    // Some firmware sends only the code on failure: 07 00 03 01 -> 0x000B.
    let packet = decode_one(&[
        0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x03, 0x01, 0x00, 0x0B,
    ]);
    let search = Command::Search {
        buffer: 1,
        start_page: 0,
        page_count: 200,
    };
    assert_eq!(
        Ack::parse(&search, &packet),
        Ok(Ack::Search {
            code: ConfirmationCode::PacketReceiveError,
            page_id: 0,
            score: 0,
        })
    );
}

#[test]
fn ack_search_ok_too_short() {
    let packet = ack_packet(DEFAULT_ADDRESS, ConfirmationCode::Ok, &[0x00, 0x05]);
    let search = Command::Search {
        buffer: 1,
        start_page: 0,
        page_count: 200,
    };
    assert_eq!(
        Ack::parse(&search, &packet),
        Err(MessageError::ShortAck {
            command: "Search",
            expected: 5,
            actual: 3,
        })
    );
}

/// ReadSysPara acknowledge: code 00, status 00 04, system id 00 09,
/// library 00 C8 (200), security level 00 03, address FF FF FF FF,
/// packet size code 00 02, baud multiplier 00 06. Length 17 + 2 = 0x0013.
/// Checksum 07 + 00 + 13 + (04 + 09 + C8 + 03 + 4 × FF + 02 + 06)
/// = 26 + 1244 = 1270 = 0x04F6.
const SYS_PARA_ACK: [u8; 28] = [
    0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x13, 0x00, 0x00, 0x04, 0x00, 0x09, 0x00, 0xC8,
    0x00, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x02, 0x00, 0x06, 0x04, 0xF6,
];

#[test]
fn ack_read_sys_para() {
    let packet = decode_one(&SYS_PARA_ACK);
    let expected = SystemParameters {
        status_register: 0x0004,
        system_id: 0x0009,
        library_size: 200,
        security_level: 3,
        device_address: 0xFFFF_FFFF,
        packet_size_code: 2,
        baud_multiplier: 6,
    };
    assert_eq!(
        Ack::parse(&Command::ReadSysPara, &packet),
        Ok(Ack::ReadSysPara {
            code: ConfirmationCode::Ok,
            parameters: Some(expected),
        })
    );
    assert_eq!(expected.packet_size(), Some(128));
    assert_eq!(expected.baud_rate(), 57_600);
    assert_eq!(expected.to_bytes().as_slice(), &SYS_PARA_ACK[10..26]);
}

#[test]
fn ack_read_sys_para_short() {
    let packet = ack_packet(DEFAULT_ADDRESS, ConfirmationCode::Ok, &[0; 15]);
    assert_eq!(
        Ack::parse(&Command::ReadSysPara, &packet),
        Err(MessageError::ShortAck {
            command: "ReadSysPara",
            expected: 17,
            actual: 16,
        })
    );
}

#[test]
fn ack_read_sys_para_error_code() {
    let packet = ack_packet(DEFAULT_ADDRESS, ConfirmationCode::MustVerifyPassword, &[]);
    assert_eq!(
        Ack::parse(&Command::ReadSysPara, &packet),
        Ok(Ack::ReadSysPara {
            code: ConfirmationCode::MustVerifyPassword,
            parameters: None,
        })
    );
}

#[test]
fn packet_size_codes() {
    let mut parameters = SystemParameters::parse(&[0; 16]).expect("16 bytes");
    for (code, size) in [
        (0, Some(32)),
        (1, Some(64)),
        (2, Some(128)),
        (3, Some(256)),
        (4, None),
    ] {
        parameters.packet_size_code = code;
        assert_eq!(parameters.packet_size(), size, "code {code}");
    }
    assert_eq!(SystemParameters::parse(&[0; 15]), None);
}

#[test]
fn ack_simple_commands() {
    let packet = ack_packet(DEFAULT_ADDRESS, ConfirmationCode::WrongPassword, &[]);
    assert_eq!(
        Ack::parse(&Command::VfyPwd { password: 7 }, &packet),
        Ok(Ack::VfyPwd(ConfirmationCode::WrongPassword))
    );
    let packet = ack_packet(DEFAULT_ADDRESS, ConfirmationCode::Ok, &[]);
    assert_eq!(
        Ack::parse(&Command::Handshake, &packet),
        Ok(Ack::Handshake(ConfirmationCode::Ok))
    );
    assert_eq!(
        Ack::parse(&Command::LedOn, &packet),
        Ok(Ack::Led(ConfirmationCode::Ok))
    );
    assert_eq!(
        Ack::parse(&Command::LedOff, &packet),
        Ok(Ack::Led(ConfirmationCode::Ok))
    );
}

#[test]
fn ack_ignores_trailing_bytes() {
    let packet = ack_packet(DEFAULT_ADDRESS, ConfirmationCode::NoFinger, &[0xAA, 0xBB]);
    assert_eq!(
        Ack::parse(&Command::GenImg, &packet),
        Ok(Ack::GenImg(ConfirmationCode::NoFinger))
    );
}

#[test]
fn ack_rejects_command_pid() {
    let packet = Command::GenImg.to_packet(DEFAULT_ADDRESS);
    assert_eq!(
        Ack::parse(&Command::GenImg, &packet),
        Err(MessageError::NotAnAck { pid: 0x01 })
    );
}

#[test]
fn ack_rejects_empty_payload() {
    let packet = Packet::new(DEFAULT_ADDRESS, Pid::Ack, Vec::new()).expect("empty");
    assert_eq!(
        Ack::parse(&Command::GenImg, &packet),
        Err(MessageError::EmptyPayload)
    );
}

#[test]
fn ack_packet_encodes() {
    // 07 + 00 + 03 + 09 = 19 = 0x0013.
    let bytes = encode(&ack_packet(
        DEFAULT_ADDRESS,
        ConfirmationCode::NotFound,
        &[],
    ));
    assert_eq!(
        bytes,
        vec![0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x03, 0x09, 0x00, 0x13]
    );
}
