//! Property tests of the keypad protocol codec and of the keypad and box
//! exchange over a lossy bus.

use std::collections::HashMap;

use hallbox_drivers::keypad::{
    encode, Ack, Address, Button, Decoder, FirmwareVersion, Frame, Hello, Nak, NakReason, Poll,
    Press, Reception, RequestType, ResetCause, SimulatedKeypad, ACK_TIMEOUT_MS, FLAG,
    INPUT_CAPACITY, MAX_ATTEMPTS, MAX_BUTTON,
};
use proptest::prelude::*;

fn address() -> impl Strategy<Value = Address> {
    (Address::MIN..=Address::MAX).prop_map(|value| Address::new(value).expect("in range"))
}

fn button() -> impl Strategy<Value = Button> {
    (1..=MAX_BUTTON).prop_map(|value| Button::new(value).expect("in range"))
}

fn request_type() -> impl Strategy<Value = RequestType> {
    prop_oneof![Just(RequestType::Hello), Just(RequestType::Press)]
}

fn nak_reason() -> impl Strategy<Value = NakReason> {
    prop_oneof![
        Just(NakReason::StorageFailure),
        Just(NakReason::Busy),
        Just(NakReason::UnknownButton),
        Just(NakReason::UnknownKeypad),
    ]
}

fn reset_cause() -> impl Strategy<Value = ResetCause> {
    prop_oneof![
        Just(ResetCause::Unknown),
        Just(ResetCause::PowerOn),
        Just(ResetCause::Watchdog),
        Just(ResetCause::BrownOut),
        Just(ResetCause::Software),
        Just(ResetCause::ExternalPin),
    ]
}

/// Address, session id and sequence number.
fn header() -> impl Strategy<Value = (Address, u32, u16)> {
    (address(), any::<u32>(), any::<u16>())
}

fn frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        (header(), any::<[u8; 4]>(), any::<u32>(), reset_cause()).prop_map(
            |(
                (address, session, next_sequence),
                [major, minor, patch, buttons],
                uptime_ms,
                reset_cause,
            )| {
                Frame::Hello(Hello {
                    address,
                    session,
                    next_sequence,
                    firmware: FirmwareVersion {
                        major,
                        minor,
                        patch,
                    },
                    button_count: buttons,
                    uptime_ms,
                    reset_cause,
                })
            }
        ),
        (header(), button(), any::<u32>()).prop_map(
            |((address, session, sequence), button, pressed_at_ms)| {
                Frame::Press(Press {
                    address,
                    session,
                    sequence,
                    button,
                    pressed_at_ms,
                })
            }
        ),
        (header(), request_type(), any::<bool>()).prop_map(
            |((address, session, sequence), reply_to, duplicate)| {
                Frame::Ack(Ack {
                    address,
                    session,
                    sequence,
                    reply_to,
                    duplicate,
                })
            }
        ),
        (header(), request_type(), nak_reason(), any::<u16>()).prop_map(
            |((address, session, sequence), reply_to, reason, retry_after_ms)| {
                Frame::Nak(Nak {
                    address,
                    session,
                    sequence,
                    reply_to,
                    reason,
                    retry_after_ms,
                })
            }
        ),
    ]
}

/// Pushes `bytes` in chunks of the given sizes, cycled, and pulls frames
/// after every push.
fn decode_in_chunks(decoder: &mut Decoder, bytes: &[u8], chunk_sizes: &[usize]) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut rest = bytes;
    let mut sizes = chunk_sizes.iter().cycle();
    while !rest.is_empty() {
        let size = sizes.next().copied().unwrap_or(1).clamp(1, rest.len());
        let (chunk, tail) = rest.split_at(size);
        decoder.push(chunk);
        frames.extend(std::iter::from_fn(|| decoder.next_frame()));
        rest = tail;
    }
    frames
}

proptest! {
    #[test]
    fn random_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..3000),
        chunk_sizes in proptest::collection::vec(1usize..300, 1..8),
    ) {
        let mut decoder = Decoder::new();
        decode_in_chunks(&mut decoder, &bytes, &chunk_sizes);
        prop_assert_eq!(decoder.buffered_len(), 0);
    }

    #[test]
    fn flag_heavy_bytes_never_panic(words in proptest::collection::vec(any::<u16>(), 0..2000)) {
        // Each word gives one byte: its low byte picks a flag, an escape,
        // an escaped value or the high byte, so frames open and close often.
        let bytes: Vec<u8> = words
            .iter()
            .map(|word| match (word & 0xFF) % 6 {
                0 => 0x7E,
                1 => 0x7D,
                2 => 0x5E,
                3 => 0x5D,
                _ => (word >> 8) as u8,
            })
            .collect();
        let mut decoder = Decoder::new();
        decoder.push(&bytes);
        while decoder.next_frame().is_some() {}
        prop_assert_eq!(decoder.buffered_len(), 0);
    }

    #[test]
    fn unread_input_stays_bounded(
        pushes in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..2500), 1..6),
    ) {
        let mut decoder = Decoder::new();
        for bytes in &pushes {
            decoder.push(bytes);
            prop_assert!(decoder.buffered_len() <= INPUT_CAPACITY);
        }
    }

    #[test]
    fn frame_round_trips(frame in frame(), chunk_sizes in proptest::collection::vec(1usize..20, 1..5)) {
        let wire = encode(&frame);
        prop_assert_eq!(wire.first(), Some(&FLAG));
        prop_assert_eq!(wire.last(), Some(&FLAG));
        prop_assert!(!wire[1..wire.len() - 1].contains(&FLAG));

        let mut decoder = Decoder::new();
        let frames = decode_in_chunks(&mut decoder, &wire, &chunk_sizes);
        prop_assert_eq!(frames, vec![frame]);
        prop_assert_eq!(decoder.total_rejected(), 0);
    }

    #[test]
    fn frame_after_garbage_decoded(
        garbage in proptest::collection::vec(any::<u8>(), 0..200),
        trailing in proptest::collection::vec(any::<u8>(), 0..50),
        frame in frame(),
    ) {
        let mut stream = garbage;
        stream.extend_from_slice(&encode(&frame));
        stream.extend_from_slice(&trailing);

        let mut decoder = Decoder::new();
        decoder.push(&stream);
        let frames: Vec<Frame> = std::iter::from_fn(|| decoder.next_frame()).collect();
        // Garbage may by chance hold a frame with a valid CRC, so only the
        // presence of the sent frame is certain.
        prop_assert!(frames.contains(&frame), "{:?} not in {:?}", frame, frames);
    }

    #[test]
    fn lossy_bus_stores_each_press_once(
        press_count in 1usize..12,
        pattern in proptest::collection::vec((any::<bool>(), any::<bool>(), 0u8..4), 1..40),
        start_ms in any::<u32>(),
    ) {
        let address = Address::new(9).expect("in range");
        let mut keypad = SimulatedKeypad::new(address, 0xA5A5_0001);
        let mut hall_box = BoxModel::default();
        let mut link = Link::new(pattern);
        let mut now = start_ms;
        let mut acknowledged = Vec::new();

        for index in 0..press_count {
            let button = Button::new(1 + (index % 5) as u8).expect("in range");
            let mut frame = keypad.press(button, now).expect("keypad is idle");
            let outcome = loop {
                if let Some(Reception::Acknowledged { sequence, .. }) =
                    link.exchange(&mut hall_box, &mut keypad, &frame, now)
                {
                    break Some(sequence);
                }
                // Let time pass in 100 ms steps until a resend or give-up.
                let poll = loop {
                    now = now.wrapping_add(100);
                    match keypad.poll(now) {
                        Poll::Waiting => continue,
                        other => break other,
                    }
                };
                match poll {
                    Poll::Resend(again) => {
                        prop_assert_eq!(encode(&again), encode(&frame));
                        frame = again;
                    }
                    Poll::GaveUp { .. } => break None,
                    other => prop_assert!(false, "unexpected poll result {:?}", other),
                }
            };
            if let Some(sequence) = outcome {
                acknowledged.push(sequence);
            }
            now = now.wrapping_add(5_000);
        }

        // Every acknowledged press is stored exactly once, and nothing is
        // stored twice.
        for sequence in &acknowledged {
            let copies = hall_box.stored.iter().filter(|press| press.sequence == *sequence).count();
            prop_assert_eq!(copies, 1, "sequence {}", sequence);
        }
        let mut sequences: Vec<u16> = hall_box.stored.iter().map(|press| press.sequence).collect();
        sequences.sort_unstable();
        sequences.dedup();
        prop_assert_eq!(sequences.len(), hall_box.stored.len());
        prop_assert!(hall_box.stored.len() <= press_count);
        prop_assert!(keypad.attempts() <= MAX_ATTEMPTS);
    }
}

/// Box side as the protocol document describes it: the last committed
/// sequence number per address and session, and a journal.
#[derive(Default)]
struct BoxModel {
    decoder: Decoder,
    last_committed: HashMap<(Address, u32), u16>,
    stored: Vec<Press>,
}

impl BoxModel {
    /// Reads the bytes of one transmission and returns the bytes of the
    /// reply when a PRESS arrived whole. `fail_commit` simulates a failed
    /// journal write.
    fn receive(&mut self, bytes: &[u8], fail_commit: bool) -> Option<Vec<u8>> {
        self.decoder.push(bytes);
        let Frame::Press(press) = self.decoder.next_frame()? else {
            return None;
        };
        let key = (press.address, press.session);
        let reply = if self.last_committed.get(&key) == Some(&press.sequence) {
            Frame::Ack(press.ack(true))
        } else if fail_commit {
            Frame::Nak(press.nak(NakReason::StorageFailure, 0))
        } else {
            self.stored.push(press);
            self.last_committed.insert(key, press.sequence);
            Frame::Ack(press.ack(false))
        };
        Some(encode(&reply))
    }
}

/// Bus that loses frames in both directions by a cycled pattern of
/// (uplink lost, downlink lost, commit outcome) triples. A commit outcome of
/// 0 makes the journal write fail.
struct Link {
    pattern: Vec<(bool, bool, u8)>,
    step: usize,
    keypad_decoder: Decoder,
}

impl Link {
    fn new(pattern: Vec<(bool, bool, u8)>) -> Self {
        Self {
            pattern,
            step: 0,
            keypad_decoder: Decoder::new(),
        }
    }

    /// Sends `frame` to the box and its reply back to the keypad, and
    /// returns the keypad's reception of the reply.
    fn exchange(
        &mut self,
        hall_box: &mut BoxModel,
        keypad: &mut SimulatedKeypad,
        frame: &Frame,
        now: u32,
    ) -> Option<Reception> {
        let (uplink_lost, downlink_lost, commit) = self.pattern[self.step % self.pattern.len()];
        self.step += 1;
        if uplink_lost {
            return None;
        }
        let reply = hall_box.receive(&encode(frame), commit == 0)?;
        if downlink_lost {
            return None;
        }
        self.keypad_decoder.push(&reply);
        let reply = self.keypad_decoder.next_frame()?;
        Some(keypad.receive(&reply, now.wrapping_add(50)))
    }
}

#[test]
fn reboot_reused_sequence_stored() {
    // After a reboot the keypad counts from 0 again. The new session id keeps
    // the box from taking press 0 of the new session for a resend.
    let address = Address::new(2).expect("in range");
    let button = Button::new(1).expect("in range");
    let mut keypad = SimulatedKeypad::new(address, 0x1111_1111);
    let mut hall_box = BoxModel::default();

    let first = keypad.press(button, 0).expect("keypad is idle");
    let reply = hall_box
        .receive(&encode(&first), false)
        .expect("box replies");
    let mut decoder = Decoder::new();
    decoder.push(&reply);
    let ack = decoder.next_frame().expect("ACK decodes");
    assert!(matches!(
        keypad.receive(&ack, 20),
        Reception::Acknowledged {
            duplicate: false,
            ..
        }
    ));

    keypad.reboot(0x2222_2222);
    let second = keypad.press(button, 5).expect("keypad is idle");
    assert_eq!(second.sequence(), first.sequence());
    let reply = hall_box
        .receive(&encode(&second), false)
        .expect("box replies");
    decoder.push(&reply);
    let Frame::Press(second_press) = second else {
        panic!("expected a PRESS, got {second:?}");
    };
    assert_eq!(
        decoder.next_frame(),
        Some(Frame::Ack(second_press.ack(false)))
    );
    assert_eq!(hall_box.stored.len(), 2);
}

#[test]
fn lost_ack_resend_acknowledged_again() {
    let address = Address::new(2).expect("in range");
    let mut keypad = SimulatedKeypad::new(address, 0x3333_3333);
    let mut hall_box = BoxModel::default();

    let press = keypad
        .press(Button::new(3).expect("in range"), 0)
        .expect("keypad is idle");
    // The box commits and replies, but the ACK is lost on the bus.
    hall_box
        .receive(&encode(&press), false)
        .expect("box replies");
    let Poll::Resend(resent) = keypad.poll(ACK_TIMEOUT_MS) else {
        panic!("resend is due at the ACK timeout");
    };
    let reply = hall_box
        .receive(&encode(&resent), false)
        .expect("box replies");

    let mut decoder = Decoder::new();
    decoder.push(&reply);
    let ack = decoder.next_frame().expect("ACK decodes");
    assert_eq!(
        keypad.receive(&ack, ACK_TIMEOUT_MS + 30),
        Reception::Acknowledged {
            request: RequestType::Press,
            sequence: 0,
            duplicate: true
        }
    );
    assert_eq!(hall_box.stored.len(), 1);
}
