//! Byte-vector tests of the keypad codec.
//!
//! The example frames share address 3, session id 0x5EED1234 (sent as
//! `34 12 ED 5E`) and sequence number 42 (`2A 00`). Every CRC below was
//! computed outside this crate with an independent bitwise CRC-16/MODBUS
//! (reflected polynomial 0xA001, initial value 0xFFFF) and is sent low byte
//! first.

use super::*;

const SESSION: u32 = 0x5EED_1234;

/// PRESS of button 2 at uptime 123456 ms (`40 E2 01 00`).
/// CRC over the 14 bytes after the flag: 0x69B1, sent `B1 69`.
const PRESS_WIRE: [u8; 18] = [
    0x7E, // flag
    0x01, // version 1
    0x02, // type PRESS
    0x03, // address 3
    0x34, 0x12, 0xED, 0x5E, // session 0x5EED1234
    0x2A, 0x00, // sequence 42
    0x02, // button 2
    0x40, 0xE2, 0x01, 0x00, // pressed at 123456 ms
    0xB1, 0x69, // CRC 0x69B1
    0x7E, // flag
];

/// HELLO of firmware 1.4.2 with 5 buttons, uptime 5000 ms (`88 13 00 00`),
/// reset cause power-on. CRC over the 18 frame bytes: 0xF2D3.
const HELLO_WIRE: [u8; 22] = [
    0x7E, // flag
    0x01, // version 1
    0x01, // type HELLO
    0x03, // address 3
    0x34, 0x12, 0xED, 0x5E, // session 0x5EED1234
    0x2A, 0x00, // next PRESS sequence 42
    0x01, 0x04, 0x02, // firmware 1.4.2
    0x05, // 5 buttons
    0x88, 0x13, 0x00, 0x00, // uptime 5000 ms
    0x01, // reset cause power-on
    0xD3, 0xF2, // CRC 0xF2D3
    0x7E, // flag
];

/// ACK of PRESS 42, first store. CRC over the 11 frame bytes: 0xEBC7.
const ACK_WIRE: [u8; 15] = [
    0x7E, // flag
    0x01, // version 1
    0x81, // type ACK
    0x03, // address 3
    0x34, 0x12, 0xED, 0x5E, // session 0x5EED1234
    0x2A, 0x00, // sequence 42
    0x02, // reply to PRESS
    0x00, // flags: not a duplicate
    0xC7, 0xEB, // CRC 0xEBC7
    0x7E, // flag
];

/// ACK of a resent PRESS 42 that was stored before. CRC: 0x2B06.
const ACK_DUPLICATE_WIRE: [u8; 15] = [
    0x7E, 0x01, 0x81, 0x03, 0x34, 0x12, 0xED, 0x5E, 0x2A, 0x00, 0x02, //
    0x01, // flags: duplicate
    0x06, 0x2B, // CRC 0x2B06
    0x7E,
];

/// NAK of PRESS 42, reason busy, retry after 2000 ms (`D0 07`).
/// CRC over the 13 frame bytes: 0xB9AB.
const NAK_WIRE: [u8; 17] = [
    0x7E, // flag
    0x01, // version 1
    0x82, // type NAK
    0x03, // address 3
    0x34, 0x12, 0xED, 0x5E, // session 0x5EED1234
    0x2A, 0x00, // sequence 42
    0x02, // reply to PRESS
    0x02, // reason busy
    0xD0, 0x07, // retry after 2000 ms
    0xAB, 0xB9, // CRC 0xB9AB
    0x7E, // flag
];

/// PRESS of button 2 at 125000 ms from session 0x12347E7D, sequence 43.
/// The session bytes `7D 7E` are escaped. CRC over the unstuffed frame bytes
/// `01 02 03 7D 7E 34 12 2B 00 02 48 E8 01 00`: 0xE7C8.
const PRESS_ESCAPED_SESSION_WIRE: [u8; 20] = [
    0x7E, // flag
    0x01, 0x02, 0x03, // version, PRESS, address 3
    0x7D, 0x5D, // escaped 0x7D
    0x7D, 0x5E, // escaped 0x7E
    0x34, 0x12, // rest of session 0x12347E7D
    0x2B, 0x00, // sequence 43
    0x02, // button 2
    0x48, 0xE8, 0x01, 0x00, // pressed at 125000 ms
    0xC8, 0xE7, // CRC 0xE7C8
    0x7E, // flag
];

/// The PRESS of [`PRESS_WIRE`] with sequence 21 (`15 00`), whose CRC 0x6A7E
/// has a low byte that needs escaping.
const PRESS_ESCAPED_CRC_WIRE: [u8; 19] = [
    0x7E, 0x01, 0x02, 0x03, 0x34, 0x12, 0xED, 0x5E, //
    0x15, 0x00, // sequence 21
    0x02, 0x40, 0xE2, 0x01, 0x00, //
    0x7D, 0x5E, // CRC low byte 0x7E, escaped
    0x6A, // CRC high byte
    0x7E,
];

fn address() -> Address {
    Address::new(3).expect("3 is a valid address")
}

fn press(session: u32, sequence: u16, pressed_at_ms: u32) -> Press {
    Press {
        address: address(),
        session,
        sequence,
        button: Button::new(2).expect("2 is a valid button"),
        pressed_at_ms,
    }
}

fn example_press() -> Press {
    press(SESSION, 42, 123_456)
}

fn example_hello() -> Hello {
    Hello {
        address: address(),
        session: SESSION,
        next_sequence: 42,
        firmware: FirmwareVersion {
            major: 1,
            minor: 4,
            patch: 2,
        },
        button_count: 5,
        uptime_ms: 5000,
        reset_cause: ResetCause::PowerOn,
    }
}

/// Returns every example frame with its bytes on the wire.
fn vectors() -> Vec<(Frame, Vec<u8>)> {
    vec![
        (Frame::Press(example_press()), PRESS_WIRE.to_vec()),
        (Frame::Hello(example_hello()), HELLO_WIRE.to_vec()),
        (Frame::Ack(example_press().ack(false)), ACK_WIRE.to_vec()),
        (
            Frame::Ack(example_press().ack(true)),
            ACK_DUPLICATE_WIRE.to_vec(),
        ),
        (
            Frame::Nak(example_press().nak(NakReason::Busy, 2000)),
            NAK_WIRE.to_vec(),
        ),
        (
            Frame::Press(press(0x1234_7E7D, 43, 125_000)),
            PRESS_ESCAPED_SESSION_WIRE.to_vec(),
        ),
        (
            Frame::Press(press(SESSION, 21, 123_456)),
            PRESS_ESCAPED_CRC_WIRE.to_vec(),
        ),
    ]
}

/// Decodes `bytes` pushed at once and returns every frame.
fn decode_all(decoder: &mut Decoder, bytes: &[u8]) -> Vec<Frame> {
    decoder.push(bytes);
    std::iter::from_fn(|| decoder.next_frame()).collect()
}

/// Wraps frame bytes whose CRC this crate computes; for tests about what the
/// decoder does after the CRC check. None of the bytes may need escaping.
fn wire_with_crc(content: &[u8]) -> Vec<u8> {
    let mut wire = vec![FLAG];
    wire.extend_from_slice(content);
    wire.extend_from_slice(&crc16_modbus(content).to_le_bytes());
    assert!(
        wire[1..].iter().all(|&byte| byte != FLAG && byte != ESCAPE),
        "test frame needs escaping: {wire:02X?}"
    );
    wire.push(FLAG);
    wire
}

/// Counts of every rejection reason that is not zero.
fn nonzero_rejections(decoder: &Decoder) -> Vec<(Rejection, u64)> {
    Rejection::ALL
        .iter()
        .map(|&reason| (reason, decoder.rejected(reason)))
        .filter(|&(_, count)| count > 0)
        .collect()
}

#[test]
fn crc_check_value() {
    assert_eq!(crc16_modbus(b"123456789"), 0x4B37);
}

#[test]
fn crc_register_trace() {
    // Register after each byte of the example PRESS frame bytes.
    let expected: [u16; 14] = [
        0x807E, 0xE181, 0x6161, 0x3FA1, 0xB57E, 0x6DF5, 0xBF2C, 0x023F, 0x1042, 0xF011, 0xFC31,
        0x9DBD, 0xB19C, 0x69B1,
    ];
    let mut register = CRC16_MODBUS_INIT;
    for (index, &byte) in PRESS_WIRE[1..15].iter().enumerate() {
        register = crc16_modbus_update(register, byte);
        assert_eq!(register, expected[index], "after byte {index}");
    }
}

#[test]
fn crc_residue_zero() {
    // Frame bytes followed by their CRC, low byte first, leave register 0.
    assert_eq!(crc16_modbus(&PRESS_WIRE[1..17]), 0);
    assert_eq!(crc16_modbus(&HELLO_WIRE[1..21]), 0);
}

#[test]
fn encode_vectors() {
    for (frame, wire) in vectors() {
        assert_eq!(encode(&frame), wire, "{frame:?}");
    }
}

#[test]
fn decode_vectors() {
    for (frame, wire) in vectors() {
        let mut decoder = Decoder::new();
        assert_eq!(decode_all(&mut decoder, &wire), vec![frame]);
        assert_eq!(decoder.total_rejected(), 0, "{frame:?}");
        assert_eq!(decoder.frames_decoded(), 1);
    }
}

#[test]
fn decode_frame_lengths() {
    for (frame, wire) in vectors().into_iter().take(5) {
        // The first five vectors need no escaping: wire length = 2 flags +
        // frame length.
        assert_eq!(wire.len(), frame.frame_type().frame_len() + 2, "{frame:?}");
    }
}

#[test]
fn decode_one_byte_at_a_time() {
    for (frame, wire) in vectors() {
        let mut decoder = Decoder::new();
        let (last, head) = wire.split_last().expect("vectors are not empty");
        for &byte in head {
            decoder.push(&[byte]);
            assert_eq!(decoder.next_frame(), None, "{frame:?} early");
        }
        decoder.push(&[*last]);
        assert_eq!(decoder.next_frame(), Some(frame));
        assert_eq!(decoder.total_rejected(), 0);
    }
}

#[test]
fn decode_garbage_before_and_between() {
    let mut stream = vec![0x00, 0xFF, 0x13];
    stream.extend_from_slice(&PRESS_WIRE);
    stream.extend_from_slice(&[0x55, 0xAA, 0x33]);
    stream.extend_from_slice(&ACK_WIRE);
    stream.extend_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF, 0x01]);
    stream.extend_from_slice(&NAK_WIRE);

    let mut decoder = Decoder::new();
    let frames = decode_all(&mut decoder, &stream);

    assert_eq!(frames.len(), 3);
    assert_eq!(frames[0], Frame::Press(example_press()));
    assert_eq!(frames[1], Frame::Ack(example_press().ack(false)));
    assert_eq!(
        frames[2],
        Frame::Nak(example_press().nak(NakReason::Busy, 2000))
    );
    // 00 FF 13 precede the first flag: one resync. 55 AA 33 sit between two
    // flags: three bytes, too short. DE AD BE EF 01: the CRC of DE AD BE is
    // 0x1AED, not 0x01EF.
    assert_eq!(
        nonzero_rejections(&decoder),
        vec![
            (Rejection::Resync, 1),
            (Rejection::BadLength, 1),
            (Rejection::BadCrc, 1)
        ]
    );
}

#[test]
fn decode_shared_and_repeated_flags() {
    // The closing flag of the PRESS also opens the ACK; three flags before
    // the NAK make two empty frames, which are skipped silently.
    let mut stream = PRESS_WIRE.to_vec();
    stream.extend_from_slice(&ACK_WIRE[1..]);
    stream.extend_from_slice(&[FLAG, FLAG]);
    stream.extend_from_slice(&NAK_WIRE);

    let mut decoder = Decoder::new();
    let frames = decode_all(&mut decoder, &stream);

    assert_eq!(frames.len(), 3);
    assert_eq!(decoder.total_rejected(), 0);
}

#[test]
fn decode_bad_crc_then_good_frame() {
    let mut corrupted_crc = PRESS_WIRE;
    corrupted_crc[15] = 0xB2;
    let mut corrupted_button = PRESS_WIRE;
    corrupted_button[10] = 0x03;
    let mut stream = corrupted_crc.to_vec();
    stream.extend_from_slice(&corrupted_button);
    stream.extend_from_slice(&ACK_WIRE);

    let mut decoder = Decoder::new();
    let frames = decode_all(&mut decoder, &stream);

    assert_eq!(frames, vec![Frame::Ack(example_press().ack(false))]);
    assert_eq!(nonzero_rejections(&decoder), vec![(Rejection::BadCrc, 2)]);
}

#[test]
fn decode_rejects_every_bit_flip() {
    // A flipped closing flag leaves the PRESS open until the ACK's flag ends
    // it, so the ACK after each damaged PRESS must still come through.
    for index in 0..PRESS_WIRE.len() {
        for bit in 0..8 {
            let mut stream = PRESS_WIRE.to_vec();
            stream[index] ^= 1 << bit;
            stream.extend_from_slice(&ACK_WIRE);
            let mut decoder = Decoder::new();
            let frames = decode_all(&mut decoder, &stream);
            assert_eq!(
                frames,
                vec![Frame::Ack(example_press().ack(false))],
                "byte {index} bit {bit}"
            );
            assert!(decoder.total_rejected() > 0, "byte {index} bit {bit}");
        }
    }
}

#[test]
fn decode_max_frame_len() {
    // A PRESS header padded to 64 bytes, CRC included: checked, and
    // rejected because a PRESS has 16 bytes.
    let mut content = PRESS_WIRE[1..10].to_vec();
    content.resize(MAX_FRAME_LEN - 2, 0x11);
    let mut decoder = Decoder::new();
    assert_eq!(decode_all(&mut decoder, &wire_with_crc(&content)), vec![]);
    assert_eq!(
        nonzero_rejections(&decoder),
        vec![(Rejection::BadLength, 1)]
    );

    // One byte more: dropped while it is read, before any check.
    content.push(0x11);
    let mut decoder = Decoder::new();
    assert_eq!(decode_all(&mut decoder, &wire_with_crc(&content)), vec![]);
    assert_eq!(nonzero_rejections(&decoder), vec![(Rejection::TooLong, 1)]);

    // 64 escaped flags unstuff to 64 bytes: at the limit, so the CRC check
    // runs and fails.
    let mut escaped_at_limit = vec![FLAG];
    for _ in 0..MAX_FRAME_LEN {
        escaped_at_limit.extend_from_slice(&[ESCAPE, 0x5E]);
    }
    escaped_at_limit.push(FLAG);
    let mut decoder = Decoder::new();
    assert_eq!(decode_all(&mut decoder, &escaped_at_limit), vec![]);
    assert_eq!(nonzero_rejections(&decoder), vec![(Rejection::BadCrc, 1)]);
}

#[test]
fn decode_too_long_then_good_frame() {
    // 100 bytes without a flag: dropped at byte 65, the rest skipped
    // without a second count, and the PRESS's opening flag starts over.
    let mut stream = vec![FLAG];
    stream.extend_from_slice(&[0x11; 100]);
    stream.extend_from_slice(&PRESS_WIRE);

    let mut decoder = Decoder::new();
    let frames = decode_all(&mut decoder, &stream);

    assert_eq!(frames, vec![Frame::Press(example_press())]);
    assert_eq!(nonzero_rejections(&decoder), vec![(Rejection::TooLong, 1)]);
}

#[test]
fn decode_bad_escape_then_good_frame() {
    // 7D 41 is no valid escape: the frame is dropped up to the next flag.
    let mut stream = vec![FLAG, 0x01, ESCAPE, 0x41, 0x22];
    stream.extend_from_slice(&PRESS_WIRE);
    // An escape right before a flag: the flag still opens the ACK.
    stream.extend_from_slice(&[0x01, ESCAPE]);
    stream.extend_from_slice(&ACK_WIRE);

    let mut decoder = Decoder::new();
    let frames = decode_all(&mut decoder, &stream);

    assert_eq!(
        frames,
        vec![
            Frame::Press(example_press()),
            Frame::Ack(example_press().ack(false))
        ]
    );
    assert_eq!(
        nonzero_rejections(&decoder),
        vec![(Rejection::BadEscape, 2)]
    );
}

#[test]
fn decode_unknown_version() {
    let mut content = PRESS_WIRE[1..15].to_vec();
    content[0] = 2;
    let mut decoder = Decoder::new();
    assert_eq!(decode_all(&mut decoder, &wire_with_crc(&content)), vec![]);
    assert_eq!(
        nonzero_rejections(&decoder),
        vec![(Rejection::UnknownVersion, 1)]
    );
}

#[test]
fn decode_unknown_type() {
    let mut content = PRESS_WIRE[1..15].to_vec();
    content[1] = 0x03;
    let mut decoder = Decoder::new();
    assert_eq!(decode_all(&mut decoder, &wire_with_crc(&content)), vec![]);
    assert_eq!(
        nonzero_rejections(&decoder),
        vec![(Rejection::UnknownType, 1)]
    );
}

#[test]
fn decode_length_mismatch() {
    // A PRESS with one byte too many, and an ACK cut to the PRESS header.
    let mut long_press = PRESS_WIRE[1..15].to_vec();
    long_press.push(0x00);
    let short_ack = ACK_WIRE[1..10].to_vec();
    let mut stream = wire_with_crc(&long_press);
    stream.extend_from_slice(&wire_with_crc(&short_ack));

    let mut decoder = Decoder::new();
    assert_eq!(decode_all(&mut decoder, &stream), vec![]);
    assert_eq!(
        nonzero_rejections(&decoder),
        vec![(Rejection::BadLength, 2)]
    );
}

#[test]
fn decode_bad_fields() {
    // (frame bytes without CRC, byte offset, invalid value)
    let cases: [(&[u8], usize, u8); 9] = [
        (&PRESS_WIRE[1..15], 2, 0),   // address 0
        (&PRESS_WIRE[1..15], 2, 255), // address 255
        (&PRESS_WIRE[1..15], 9, 0),   // button 0
        (&PRESS_WIRE[1..15], 9, 17),  // button 17
        (&ACK_WIRE[1..12], 9, 0x81),  // reply to an ACK
        (&NAK_WIRE[1..14], 9, 0x00),  // reply to type 0
        (&NAK_WIRE[1..14], 10, 0),    // reason 0
        (&NAK_WIRE[1..14], 10, 5),    // reason 5
        (&HELLO_WIRE[1..19], 17, 6),  // reset cause 6
    ];
    for (content, offset, value) in cases {
        let mut content = content.to_vec();
        content[offset] = value;
        let mut decoder = Decoder::new();
        assert_eq!(
            decode_all(&mut decoder, &wire_with_crc(&content)),
            vec![],
            "offset {offset} value {value}"
        );
        assert_eq!(
            nonzero_rejections(&decoder),
            vec![(Rejection::BadField, 1)],
            "offset {offset} value {value}"
        );
    }
}

#[test]
fn decode_ack_reserved_flags_ignored() {
    for (flags, duplicate) in [(0xFE, false), (0xFF, true)] {
        let mut content = ACK_WIRE[1..12].to_vec();
        content[10] = flags;
        let mut decoder = Decoder::new();
        let frames = decode_all(&mut decoder, &wire_with_crc(&content));
        assert_eq!(
            frames,
            vec![Frame::Ack(example_press().ack(duplicate))],
            "flags {flags:02X}"
        );
    }
}

#[test]
fn decode_overflow_keeps_newest() {
    // The buffer is full of noise; pushing the PRESS drops the 18 oldest
    // bytes and keeps the PRESS whole.
    let mut decoder = Decoder::new();
    decoder.push(&[0x11; INPUT_CAPACITY]);
    assert_eq!(decoder.rejected(Rejection::Overflow), 0);
    decoder.push(&PRESS_WIRE);
    assert_eq!(decoder.rejected(Rejection::Overflow), 1);
    assert_eq!(decoder.buffered_len(), INPUT_CAPACITY);

    let frames: Vec<Frame> = std::iter::from_fn(|| decoder.next_frame()).collect();
    assert_eq!(frames, vec![Frame::Press(example_press())]);
    assert_eq!(decoder.buffered_len(), 0);
}

#[test]
fn decode_overflow_larger_than_buffer() {
    let mut decoder = Decoder::new();
    decoder.push(&PRESS_WIRE[..8]);
    let mut flood = vec![0x11; INPUT_CAPACITY * 2];
    flood.extend_from_slice(&ACK_WIRE);
    decoder.push(&flood);

    assert_eq!(decoder.buffered_len(), INPUT_CAPACITY);
    let frames: Vec<Frame> = std::iter::from_fn(|| decoder.next_frame()).collect();
    assert_eq!(frames, vec![Frame::Ack(example_press().ack(false))]);
    // The noise after the overflow is part of the counted overflow.
    assert_eq!(nonzero_rejections(&decoder), vec![(Rejection::Overflow, 1)]);
}

#[test]
fn address_range() {
    assert_eq!(Address::new(0), Err(KeypadError::InvalidAddress(0)));
    assert_eq!(Address::new(1).map(Address::get), Ok(1));
    assert_eq!(Address::new(254).map(Address::get), Ok(254));
    assert_eq!(Address::new(255), Err(KeypadError::InvalidAddress(255)));
}

#[test]
fn button_range() {
    assert_eq!(Button::new(0), Err(KeypadError::InvalidButton(0)));
    assert_eq!(Button::new(1).map(Button::get), Ok(1));
    assert_eq!(Button::new(16).map(Button::get), Ok(16));
    assert_eq!(Button::new(17), Err(KeypadError::InvalidButton(17)));
}

#[test]
fn nak_reason_transience() {
    assert!(NakReason::StorageFailure.is_transient());
    assert!(NakReason::Busy.is_transient());
    assert!(!NakReason::UnknownButton.is_transient());
    assert!(!NakReason::UnknownKeypad.is_transient());
}

#[test]
fn error_messages() {
    assert_eq!(
        KeypadError::InvalidButton(0).to_string(),
        "invalid button number 0: use 1 to 16"
    );
    assert_eq!(
        KeypadError::UnknownFrameType(0x03).to_string(),
        "unknown frame type 0x03: expected 0x01, 0x02, 0x81 or 0x82"
    );
}
