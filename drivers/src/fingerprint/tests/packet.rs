//! Encoder vectors and decoder behaviour on split, damaged and noisy input.

use crate::fingerprint::packet::{
    checksum, encode, Decoder, FrameError, Packet, Pid, DEFAULT_ADDRESS, MAX_FRAME_LEN,
    MAX_PAYLOAD_LEN,
};

/// GenImg acknowledge, confirmation code 0x00:
/// EF 01 | FF FF FF FF | 07 | 00 03 | 00 | 00 0A.
/// Checksum 07 + 00 + 03 + 00 = 0x000A.
const ACK_OK: [u8; 12] = [
    0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x03, 0x00, 0x00, 0x0A,
];

/// GenImg acknowledge, confirmation code 0x02 (no finger).
/// Checksum 07 + 00 + 03 + 02 = 0x000C.
const ACK_NO_FINGER: [u8; 12] = [
    0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x03, 0x02, 0x00, 0x0C,
];

fn drain(decoder: &mut Decoder) -> Vec<Result<Packet, FrameError>> {
    let mut results = Vec::new();
    while let Some(result) = decoder.next_packet() {
        results.push(result);
    }
    results
}

fn ack(payload: &[u8]) -> Packet {
    Packet::new(DEFAULT_ADDRESS, Pid::Ack, payload.to_vec()).expect("short payload")
}

#[test]
fn checksum_sums_pid_length_payload() {
    // 01 + 00 + 03 + 01 = 0x0005.
    assert_eq!(checksum(0x01, 0x0003, &[0x01]), 0x0005);
    // 07 + 01 + 02 + 256 × FF = 10 + 65280 = 65290 = 0xFF0A, no wrap yet.
    assert_eq!(checksum(0x07, 0x0102, &[0xFF; 256]), 0xFF0A);
}

#[test]
fn checksum_keeps_low_16_bits() {
    // 08 + 01 + 02 + 257 × FF = 11 + 65535 = 65546 = 0x1000A, low 16 bits 0x000A.
    assert_eq!(checksum(0x08, 0x0102, &[0xFF; 257]), 0x000A);
}

#[test]
fn encode_ack_vectors() {
    assert_eq!(encode(&ack(&[0x00])), ACK_OK.to_vec());
    assert_eq!(encode(&ack(&[0x02])), ACK_NO_FINGER.to_vec());
}

#[test]
fn encode_excludes_address_from_checksum() {
    // GenImg to address 12 34 56 78: the checksum is still 01 + 00 + 03 + 01 = 0x0005.
    let packet = Packet::new(0x1234_5678, Pid::Command, vec![0x01]).expect("short payload");
    let expected = [
        0xEF, 0x01, 0x12, 0x34, 0x56, 0x78, 0x01, 0x00, 0x03, 0x01, 0x00, 0x05,
    ];
    assert_eq!(encode(&packet), expected.to_vec());
}

#[test]
fn encode_data_packet_vector() {
    // Data packet with payload AA BB: length 2 + 2 = 4.
    // Checksum 02 + 00 + 04 + AA + BB = 6 + 170 + 187 = 363 = 0x016B.
    let packet = Packet::new(DEFAULT_ADDRESS, Pid::Data, vec![0xAA, 0xBB]).expect("short");
    let expected = [
        0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x00, 0x04, 0xAA, 0xBB, 0x01, 0x6B,
    ];
    assert_eq!(encode(&packet), expected.to_vec());
}

#[test]
fn packet_rejects_long_payload() {
    let error = Packet::new(DEFAULT_ADDRESS, Pid::Data, vec![0; MAX_PAYLOAD_LEN + 1]);
    assert_eq!(
        error,
        Err(FrameError::PayloadTooLong { len: 257, max: 256 })
    );
}

#[test]
fn pid_bytes_round_trip() {
    for (byte, pid) in [
        (0x01, Pid::Command),
        (0x02, Pid::Data),
        (0x07, Pid::Ack),
        (0x08, Pid::EndOfData),
    ] {
        assert_eq!(Pid::from_u8(byte), Some(pid));
        assert_eq!(pid.to_u8(), byte);
    }
    assert_eq!(Pid::from_u8(0x00), None);
    assert_eq!(Pid::from_u8(0x03), None);
    assert_eq!(Pid::from_u8(0xFF), None);
}

#[test]
fn decoder_whole_frame() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    decoder.push(&ACK_OK);
    let results = drain(&mut decoder);
    assert_eq!(results, vec![Ok(ack(&[0x00]))]);
    assert_eq!(decoder.stats().frames, 1);
    assert_eq!(decoder.stats().rejected(), 0);
    assert_eq!(decoder.buffered_len(), 0);
}

#[test]
fn decoder_byte_by_byte() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    for (index, byte) in ACK_NO_FINGER.iter().enumerate() {
        decoder.push(&[*byte]);
        let result = decoder.next_packet();
        if index + 1 < ACK_NO_FINGER.len() {
            assert_eq!(result, None, "packet before byte {index} arrived");
        } else {
            assert_eq!(result, Some(Ok(ack(&[0x02]))));
        }
    }
    assert_eq!(decoder.stats().skipped_bytes, 0);
}

#[test]
fn decoder_header_split_across_reads() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    // Junk ending in EF: the EF must be kept for the 01 that follows.
    decoder.push(&[0x13, 0x37, 0xEF]);
    assert_eq!(decoder.next_packet(), None);
    assert_eq!(decoder.buffered_len(), 1);
    decoder.push(&ACK_OK[1..]);
    assert_eq!(decoder.next_packet(), Some(Ok(ack(&[0x00]))));
    assert_eq!(decoder.stats().skipped_bytes, 2);
}

#[test]
fn decoder_skips_garbage_before_header() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    // 55 is the byte a module sends after power-on; EF 00 is not a header.
    decoder.push(&[0x55, 0x00, 0xEF, 0x00, 0x12]);
    decoder.push(&ACK_OK);
    assert_eq!(drain(&mut decoder), vec![Ok(ack(&[0x00]))]);
    assert_eq!(decoder.stats().skipped_bytes, 5);
    assert_eq!(decoder.stats().rejected(), 0);
}

#[test]
fn decoder_trailing_junk() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    let mut bytes = ACK_OK.to_vec();
    bytes.extend_from_slice(&[0x00, 0x11, 0x22]);
    decoder.push(&bytes);
    assert_eq!(drain(&mut decoder), vec![Ok(ack(&[0x00]))]);
    assert_eq!(decoder.stats().skipped_bytes, 3);
    assert_eq!(decoder.buffered_len(), 0);
}

#[test]
fn decoder_two_frames_in_one_read() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    let mut bytes = ACK_NO_FINGER.to_vec();
    bytes.extend_from_slice(&ACK_OK);
    decoder.push(&bytes);
    assert_eq!(
        drain(&mut decoder),
        vec![Ok(ack(&[0x02])), Ok(ack(&[0x00]))]
    );
}

#[test]
fn decoder_bad_checksum_then_resync() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    // ACK_OK with checksum 00 0B in place of 00 0A.
    let mut bytes = ACK_OK.to_vec();
    bytes[11] = 0x0B;
    bytes.extend_from_slice(&ACK_NO_FINGER);
    decoder.push(&bytes);

    let results = drain(&mut decoder);
    assert_eq!(
        results,
        vec![
            Err(FrameError::BadChecksum {
                received: 0x000B,
                computed: 0x000A,
            }),
            Ok(ack(&[0x02])),
        ]
    );
    let stats = decoder.stats();
    assert_eq!(stats.bad_checksum, 1);
    assert_eq!(stats.frames, 1);
    // The EF of the bad frame is dropped with the rejection; the other 11
    // bytes of it are skipped while scanning for the next header.
    assert_eq!(stats.skipped_bytes, 11);
}

#[test]
fn decoder_corrupt_payload_detected() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    let mut bytes = ACK_OK.to_vec();
    // Confirmation code 00 -> 09 with the checksum left at 00 0A.
    bytes[9] = 0x09;
    decoder.push(&bytes);
    assert_eq!(
        decoder.next_packet(),
        Some(Err(FrameError::BadChecksum {
            received: 0x000A,
            computed: 0x0013,
        }))
    );
}

#[test]
fn decoder_rejects_length_over_cap() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    // Length 01 03 = 259, one over 256 + 2.
    decoder.push(&[0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x01, 0x03]);
    decoder.push(&ACK_OK);
    assert_eq!(
        drain(&mut decoder),
        vec![
            Err(FrameError::BadLength {
                length: 259,
                max: 258,
            }),
            Ok(ack(&[0x00])),
        ]
    );
    assert_eq!(decoder.stats().bad_length, 1);
}

#[test]
fn decoder_rejects_length_below_checksum() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    // Length 00 01: not even room for the checksum.
    decoder.push(&[0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x01]);
    assert_eq!(
        decoder.next_packet(),
        Some(Err(FrameError::BadLength {
            length: 1,
            max: 258,
        }))
    );
}

#[test]
fn decoder_accepts_empty_payload() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    // End-of-data packet, length 2, checksum 08 + 00 + 02 = 0x000A.
    decoder.push(&[
        0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x08, 0x00, 0x02, 0x00, 0x0A,
    ]);
    let expected = Packet::new(DEFAULT_ADDRESS, Pid::EndOfData, Vec::new()).expect("empty");
    assert_eq!(decoder.next_packet(), Some(Ok(expected)));
}

#[test]
fn decoder_rejects_unknown_pid() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    let mut bytes = ACK_OK.to_vec();
    bytes[6] = 0x05;
    decoder.push(&bytes);
    assert_eq!(
        decoder.next_packet(),
        Some(Err(FrameError::UnknownPid { pid: 0x05 }))
    );
    assert_eq!(decoder.stats().unknown_pid, 1);
}

#[test]
fn decoder_rejects_wrong_address() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    let mut bytes = ACK_OK.to_vec();
    bytes[2..6].copy_from_slice(&[0x00, 0x00, 0x00, 0x01]);
    decoder.push(&bytes);
    assert_eq!(
        decoder.next_packet(),
        Some(Err(FrameError::WrongAddress {
            expected: 0xFFFF_FFFF,
            received: 0x0000_0001,
        }))
    );
    assert_eq!(decoder.stats().wrong_address, 1);
}

#[test]
fn decoder_any_address_accepts_all() {
    let mut decoder = Decoder::any_address();
    let mut bytes = ACK_OK.to_vec();
    bytes[2..6].copy_from_slice(&[0x00, 0x00, 0x00, 0x01]);
    decoder.push(&bytes);
    let expected = Packet::new(1, Pid::Ack, vec![0x00]).expect("short");
    assert_eq!(decoder.next_packet(), Some(Ok(expected)));
}

#[test]
fn decoder_false_header_truncated() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    // A false header claiming length 0x40: the frame would be 9 + 64 = 73
    // bytes, but a real frame starts 9 bytes in.
    decoder.push(&[0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x40]);
    decoder.push(&ACK_NO_FINGER);
    assert_eq!(
        drain(&mut decoder),
        vec![
            Err(FrameError::Truncated {
                expected: 73,
                received: 9,
            }),
            Ok(ack(&[0x02])),
        ]
    );
    assert_eq!(decoder.stats().truncated, 1);
}

#[test]
fn decoder_waits_for_partial_frame() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    decoder.push(&ACK_OK[..7]);
    assert_eq!(decoder.next_packet(), None);
    assert_eq!(decoder.buffered_len(), 7);
    assert_eq!(decoder.stats().rejected(), 0);
}

#[test]
fn decoder_overflow_drops_oldest() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS).with_capacity(0);
    // The capacity is raised to one maximum frame, 267 bytes.
    decoder.push(&[0u8; 300]);
    assert_eq!(decoder.buffered_len(), MAX_FRAME_LEN);
    assert_eq!(
        decoder.next_packet(),
        Some(Err(FrameError::Overflow { dropped: 33 }))
    );
    assert_eq!(decoder.stats().overflow_bytes, 33);
    assert_eq!(decoder.next_packet(), None);
}

#[test]
fn decoder_discard_buffered() {
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    decoder.push(&ACK_OK[..5]);
    decoder.discard_buffered();
    assert_eq!(decoder.buffered_len(), 0);
    assert_eq!(decoder.stats().skipped_bytes, 5);
    decoder.push(&ACK_OK);
    assert_eq!(decoder.next_packet(), Some(Ok(ack(&[0x00]))));
}

#[test]
fn decoder_max_size_round_trip() {
    let payload: Vec<u8> = (0..MAX_PAYLOAD_LEN).map(|i| i as u8).collect();
    let packet = Packet::new(DEFAULT_ADDRESS, Pid::Data, payload).expect("at the limit");
    let bytes = encode(&packet);
    assert_eq!(bytes.len(), MAX_FRAME_LEN);
    // Length field 256 + 2 = 0x0102.
    assert_eq!(&bytes[7..9], &[0x01, 0x02]);

    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    decoder.push(&bytes);
    assert_eq!(decoder.next_packet(), Some(Ok(packet)));
}
