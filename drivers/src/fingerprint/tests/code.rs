//! Every confirmation code, as a byte, a variant and inside a real frame.

use crate::fingerprint::code::{ConfirmationCode, DOCUMENTED_CODES};
use crate::fingerprint::command::{Ack, Command};
use crate::fingerprint::packet::{Decoder, DEFAULT_ADDRESS};

#[test]
fn code_table_matches_conversions() {
    for (byte, code) in DOCUMENTED_CODES {
        assert_eq!(ConfirmationCode::from_u8(byte), code, "byte 0x{byte:02X}");
        assert_eq!(code.to_u8(), byte, "{code:?}");
        assert_ne!(
            code.description(),
            ConfirmationCode::Other(0xFF).description(),
            "{code:?} has no description of its own"
        );
    }
}

#[test]
fn code_table_has_distinct_bytes() {
    let mut bytes: Vec<u8> = DOCUMENTED_CODES.iter().map(|(byte, _)| *byte).collect();
    bytes.sort_unstable();
    bytes.dedup();
    assert_eq!(bytes.len(), DOCUMENTED_CODES.len());
}

#[test]
fn code_every_byte_round_trips() {
    for byte in 0..=u8::MAX {
        assert_eq!(ConfirmationCode::from_u8(byte).to_u8(), byte);
    }
}

#[test]
fn code_undocumented_is_other() {
    for byte in [0x2A, 0x55, 0xEF, 0xF7, 0xFB, 0xFF] {
        assert_eq!(
            ConfirmationCode::from_u8(byte),
            ConfirmationCode::Other(byte)
        );
    }
    let documented = DOCUMENTED_CODES
        .iter()
        .filter(|(byte, _)| *byte <= 0x29)
        .count();
    // 0x00 to 0x29 are all documented by one vendor or the other.
    assert_eq!(documented, 0x2A);
}

#[test]
fn code_display_names_byte() {
    assert_eq!(
        ConfirmationCode::NotFound.to_string(),
        "0x09 (no matching fingerprint in the searched range)"
    );
    assert_eq!(
        ConfirmationCode::Other(0x2A).to_string(),
        "0x2A (undocumented confirmation code)"
    );
}

#[test]
fn code_image_quality_set() {
    let quality: Vec<u8> = DOCUMENTED_CODES
        .iter()
        .filter(|(_, code)| code.is_image_quality())
        .map(|(byte, _)| *byte)
        .collect();
    assert_eq!(quality, vec![0x03, 0x04, 0x05, 0x06, 0x07, 0x15, 0x17]);
}

/// Builds a GenImg acknowledge by hand: EF 01 FF FF FF FF 07 00 03 CC SS SS,
/// checksum 07 + 00 + 03 + CC = 0x0A + CC.
fn ack_frame(code: u8) -> Vec<u8> {
    let sum = 0x0A_u16 + u16::from(code);
    let [high, low] = sum.to_be_bytes();
    vec![
        0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x03, code, high, low,
    ]
}

#[test]
fn code_every_byte_parsed_from_frame() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    for byte in 0..=u8::MAX {
        decoder.push(&ack_frame(byte));
        let packet = match decoder.next_packet() {
            Some(Ok(packet)) => packet,
            other => panic!("code 0x{byte:02X}: decoder returned {other:?}"),
        };
        let ack = Ack::parse(&Command::GenImg, &packet).expect("acknowledge");
        assert_eq!(ack, Ack::GenImg(ConfirmationCode::from_u8(byte)));
        assert_eq!(ack.code().to_u8(), byte);
    }
    assert_eq!(decoder.stats().frames, 256);
    assert_eq!(decoder.stats().rejected(), 0);
}

#[test]
fn code_documented_parsed_by_name() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    for (byte, code) in DOCUMENTED_CODES {
        decoder.push(&ack_frame(byte));
        let Some(Ok(packet)) = decoder.next_packet() else {
            panic!("code 0x{byte:02X} not decoded");
        };
        let ack = Ack::parse(&Command::Img2Tz { buffer: 1 }, &packet).expect("acknowledge");
        assert_eq!(ack, Ack::Img2Tz(code));
    }
}
