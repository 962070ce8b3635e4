//! Decoder tests fed with stored edge lists (synthetic fixtures under
//! `tests/fixtures/wiegand`) and hand-built edge timings.
//!
//! Unless a test states otherwise, frames are encoded with the default timing:
//! bit `i` falls at `start + i * 2050 µs` and rises 50 µs later, so a 26-bit
//! frame starting at 0 ends with a rising edge at 25 * 2050 + 50 = 51 300 µs.

use std::time::Duration;

use super::*;
use crate::edge::{parse_edge_list, Edge};

const D0: u8 = 17;
const D1: u8 = 27;
const LINES: Lines = Lines { d0: D0, d1: D1 };

const CARD26_EDGES: &str = include_str!("../../tests/fixtures/wiegand/card26.edges");
const CARD34_EDGES: &str = include_str!("../../tests/fixtures/wiegand/card34.edges");
const KEYS4_EDGES: &str = include_str!("../../tests/fixtures/wiegand/keys4.edges");
const KEYS8_EDGES: &str = include_str!("../../tests/fixtures/wiegand/keys8.edges");

fn us(micros: u64) -> Duration {
    Duration::from_micros(micros)
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn ns(nanos: u64) -> Duration {
    Duration::from_nanos(nanos)
}

fn decoder() -> Decoder {
    Decoder::new(DecoderConfig::new(LINES)).expect("default config is valid")
}

fn decoder_with(config: DecoderConfig) -> Decoder {
    Decoder::new(config).expect("test config is valid")
}

fn fixture(text: &str) -> Vec<Edge> {
    parse_edge_list(text).expect("fixture parses")
}

fn encode(bits: &Bits, start: Duration) -> Vec<Edge> {
    edges_for(bits, LINES, &EncodeTiming::default(), start)
}

/// Builds `bits` with bit `index` (transmission order) inverted.
fn flip(bits: Bits, index: usize) -> Bits {
    let mask = 1u64 << (bits.len() - 1 - index);
    Bits::new(bits.value() ^ mask, bits.len()).expect("same length")
}

/// Pushes every edge, then polls at the decoder's deadline, and returns every
/// outcome in order.
fn decode_all(decoder: &mut Decoder, edges: &[Edge]) -> Vec<Result<Frame, Reject>> {
    let mut outcomes = Vec::new();
    for edge in edges {
        outcomes.extend(decoder.push_edge(*edge));
    }
    if let Some(deadline) = decoder.next_deadline() {
        outcomes.extend(decoder.poll_timeout(deadline));
    }
    outcomes
}

fn decode_bits_once(bits: &Bits) -> Vec<Result<Frame, Reject>> {
    decode_all(&mut decoder(), &encode(bits, Duration::ZERO))
}

#[test]
fn fixture_card26() {
    // The fixture header works out these bits by hand.
    assert_eq!(
        Bits::card26(123, 45678).to_string(),
        "10111101110110010011011101"
    );
    let outcomes = decode_all(&mut decoder(), &fixture(CARD26_EDGES));
    let expected = Frame::Card26 {
        facility: 123,
        card: 45678,
    };
    assert_eq!(outcomes, vec![Ok(expected)]);
    // 123 * 65536 + 45678
    assert_eq!(expected.number(), Some(8_106_606));
}

#[test]
fn fixture_card34() {
    assert_eq!(
        Bits::card34(0x1234, 0xABCD).to_string(),
        "1000100100011010010101011110011011"
    );
    let outcomes = decode_all(&mut decoder(), &fixture(CARD34_EDGES));
    let expected = Frame::Card34 {
        facility: 4660,
        card: 43981,
    };
    assert_eq!(outcomes, vec![Ok(expected)]);
    assert_eq!(expected.number(), Some(0x1234_ABCD));
}

#[test]
fn fixture_keys4() {
    let outcomes = decode_all(&mut decoder(), &fixture(KEYS4_EDGES));
    assert_eq!(
        outcomes,
        vec![
            Ok(Frame::Key(1)),
            Ok(Frame::Key(KEY_STAR)),
            Ok(Frame::Key(KEY_HASH)),
            Ok(Frame::Key(9)),
        ]
    );
    assert_eq!(Frame::Key(9).number(), None);
}

#[test]
fn fixture_keys8() {
    let mut decoder = decoder();
    let outcomes = decode_all(&mut decoder, &fixture(KEYS8_EDGES));
    assert_eq!(
        outcomes,
        vec![
            Ok(Frame::Key(0)),
            Ok(Frame::Key(5)),
            Ok(Frame::Key(KEY_HASH))
        ]
    );
    assert_eq!(decoder.frames_decoded(), 3);
    assert_eq!(decoder.rejects().total(), 0);
}

#[test]
fn parity_errors_card26() {
    let good = Bits::card26(123, 45678);
    // Bits 0-12 (datasheet bits 1-13) are the even half, 13-25 the odd half.
    let cases = [
        (0, RejectKind::LeadingParity),
        (5, RejectKind::LeadingParity),
        (12, RejectKind::LeadingParity),
        (13, RejectKind::TrailingParity),
        (20, RejectKind::TrailingParity),
        (25, RejectKind::TrailingParity),
    ];
    for (index, kind) in cases {
        let expected = match kind {
            RejectKind::LeadingParity => Reject::LeadingParity { bit_count: 26 },
            _ => Reject::TrailingParity { bit_count: 26 },
        };
        let outcomes = decode_bits_once(&flip(good, index));
        assert_eq!(outcomes, vec![Err(expected)], "bit {index} flipped");
    }
}

#[test]
fn parity_errors_card34() {
    let good = Bits::card34(4660, 43981);
    // Bits 0-16 (datasheet bits 1-17) are the even half, 17-33 the odd half.
    let cases = [
        (0, Reject::LeadingParity { bit_count: 34 }),
        (16, Reject::LeadingParity { bit_count: 34 }),
        (17, Reject::TrailingParity { bit_count: 34 }),
        (33, Reject::TrailingParity { bit_count: 34 }),
    ];
    for (index, expected) in cases {
        let outcomes = decode_bits_once(&flip(good, index));
        assert_eq!(outcomes, vec![Err(expected)], "bit {index} flipped");
    }
}

#[test]
fn parity_both_halves_reports_leading() {
    let bits = flip(flip(Bits::card26(1, 2), 3), 20);
    assert_eq!(
        decode_bits_once(&bits),
        vec![Err(Reject::LeadingParity { bit_count: 26 })]
    );
}

#[test]
fn missing_rising_edge() {
    // Bits 2 and 3 of 123/45678 are both 1 (D1). Without bit 2's rising
    // edge, bit 3's falling edge finds D1 still low.
    let mut edges = fixture(CARD26_EDGES);
    assert_eq!(edges[5], Edge::rising(D1, edges[5].timestamp));
    edges.remove(5);
    let outcomes = decode_all(&mut decoder(), &edges);
    assert_eq!(outcomes, vec![Err(Reject::MissingRisingEdge { line: D1 })]);
}

#[test]
fn missing_falling_edge() {
    let mut edges = fixture(CARD26_EDGES);
    assert_eq!(edges[4], Edge::falling(D1, edges[4].timestamp));
    edges.remove(4);
    let outcomes = decode_all(&mut decoder(), &edges);
    assert_eq!(outcomes, vec![Err(Reject::MissingFallingEdge { line: D1 })]);
}

#[test]
fn missing_last_edge_then_resync() {
    let mut decoder = decoder();
    let mut edges = encode(&Bits::card26(123, 45678), Duration::ZERO);
    // The last bit is 1: D1 falls at 51 250 µs and its rising edge is lost.
    assert_eq!(edges.pop(), Some(Edge::rising(D1, us(51_300))));
    let outcomes = decode_all(&mut decoder, &edges);
    assert_eq!(
        outcomes,
        vec![Err(Reject::LineHeldLow {
            line: D1,
            held_for: DEFAULT_FRAME_GAP,
        })]
    );

    // The next frame starts with a falling edge on D1, which proves D1 went
    // high in between, so the frame decodes.
    let next = encode(&Bits::card34(4660, 43981), ms(200));
    let outcomes = decode_all(&mut decoder, &next);
    assert_eq!(
        outcomes,
        vec![Ok(Frame::Card34 {
            facility: 4660,
            card: 43981
        })]
    );
    assert_eq!(decoder.rejects().get(RejectKind::LineHeldLow), 1);
}

#[test]
fn glitch_short_spike() {
    // A 5 µs spike on D0 at 7200 µs, between bit 3 (ends 6200 µs) and bit 4
    // (starts 8200 µs).
    let mut edges = encode(&Bits::card26(123, 45678), Duration::ZERO);
    edges.insert(8, Edge::falling(D0, us(7200)));
    edges.insert(9, Edge::rising(D0, us(7205)));
    let outcomes = decode_all(&mut decoder(), &edges);
    assert_eq!(
        outcomes,
        vec![Err(Reject::PulseTooShort {
            line: D0,
            width: us(5),
            min: DEFAULT_MIN_PULSE,
        })]
    );
}

#[test]
fn glitch_during_pulse() {
    // Bit 1 is a D0 pulse from 2050 to 2100 µs, and D1 dips from 2060 to
    // 2080 µs.
    let mut edges = encode(&Bits::card26(123, 45678), Duration::ZERO);
    assert_eq!(edges[2], Edge::falling(D0, us(2050)));
    edges.insert(3, Edge::falling(D1, us(2060)));
    edges.insert(4, Edge::rising(D1, us(2080)));
    let outcomes = decode_all(&mut decoder(), &edges);
    assert_eq!(outcomes, vec![Err(Reject::BothLinesLow { at: us(2060) })]);
}

#[test]
fn glitch_single_edge() {
    // A lone rising edge on D0 at 7200 µs, between bit 3 and bit 4, with no
    // falling edge before it.
    let mut edges = encode(&Bits::card26(123, 45678), Duration::ZERO);
    edges.insert(8, Edge::rising(D0, us(7200)));
    assert_eq!(
        decode_all(&mut decoder(), &edges),
        vec![Err(Reject::MissingFallingEdge { line: D0 })]
    );

    // A lone falling edge on D1 there leaves D1 low when bit 4 falls on it.
    let mut edges = encode(&Bits::card26(123, 45678), Duration::ZERO);
    assert_eq!(edges[8], Edge::falling(D1, us(8200)));
    edges.insert(8, Edge::falling(D1, us(7200)));
    assert_eq!(
        decode_all(&mut decoder(), &edges),
        vec![Err(Reject::MissingRisingEdge { line: D1 })]
    );
}

#[test]
fn extra_valid_pulse() {
    // A well-formed 60 µs D1 pulse between bits 3 and 4 adds a 27th bit.
    let mut edges = encode(&Bits::card26(123, 45678), Duration::ZERO);
    edges.insert(8, Edge::falling(D1, us(7200)));
    edges.insert(9, Edge::rising(D1, us(7260)));
    let outcomes = decode_all(&mut decoder(), &edges);
    assert_eq!(
        outcomes,
        vec![Err(Reject::UnexpectedBitCount { bit_count: 27 })]
    );
}

#[test]
fn back_to_back_at_frame_gap() {
    let card26 = Frame::Card26 {
        facility: 123,
        card: 45678,
    };
    let card34 = Frame::Card34 {
        facility: 4660,
        card: 43981,
    };
    let first = encode(&Bits::card26(123, 45678), Duration::ZERO);
    // The first frame's last rising edge is at 51 300 µs; the second frame
    // starts exactly one frame gap later.
    let second_start = us(51_300) + DEFAULT_FRAME_GAP;
    let second = encode(&Bits::card34(4660, 43981), second_start);

    let mut decoder = decoder();
    for edge in &first {
        assert_eq!(decoder.push_edge(*edge), None);
    }
    assert_eq!(decoder.push_edge(second[0]), Some(Ok(card26)));
    assert_eq!(decode_all(&mut decoder, &second[1..]), vec![Ok(card34)]);

    // One nanosecond less and, without a maximum gap, the two frames are
    // one burst of 60 bits. With the default maximum gap of 10 ms, the
    // 25 ms pause inside the burst rejects it.
    let merged_start = second_start - ns(1);
    let mut edges = first.clone();
    edges.extend(encode(&Bits::card34(4660, 43981), merged_start));
    let mut unlimited = DecoderConfig::new(LINES);
    unlimited.timing.max_gap = None;
    assert_eq!(
        decode_all(&mut decoder_with(unlimited), &edges),
        vec![Err(Reject::UnexpectedBitCount { bit_count: 60 })]
    );
    let rejected = decode_all(&mut self::decoder(), &edges);
    assert!(
        matches!(rejected.first(), Some(Err(Reject::GapTooLong { .. }))),
        "{rejected:?}"
    );
}

#[test]
fn gap_over_default_max_rejected() {
    // A 26-bit card with 24 ms between bits: each gap is below the 25 ms
    // frame gap, but no reader pauses that long inside a frame.
    let slow = EncodeTiming {
        pulse_width: DEFAULT_ENCODE_PULSE,
        gap: Duration::from_millis(24),
    };
    let edges = edges_for(&Bits::card26(123, 45678), LINES, &slow, Duration::ZERO);
    let outcomes = decode_all(&mut decoder(), &edges);
    assert!(!outcomes.iter().any(Result::is_ok), "{outcomes:?}");
    assert!(
        matches!(outcomes.first(), Some(Err(Reject::GapTooLong { .. }))),
        "{outcomes:?}"
    );
}

#[test]
fn poll_timeout_boundary() {
    let mut decoder = decoder();
    assert_eq!(decoder.next_deadline(), None);
    for edge in encode(&Bits::card26(123, 45678), Duration::ZERO) {
        assert_eq!(decoder.push_edge(edge), None);
    }
    let deadline = us(51_300) + DEFAULT_FRAME_GAP;
    assert_eq!(decoder.next_deadline(), Some(deadline));
    assert_eq!(decoder.poll_timeout(deadline - ns(1)), None);
    assert_eq!(
        decoder.poll_timeout(deadline),
        Some(Ok(Frame::Card26 {
            facility: 123,
            card: 45678
        }))
    );
    assert_eq!(decoder.next_deadline(), None);
    assert_eq!(decoder.poll_timeout(deadline + ms(1)), None);
}

/// Encodes 123/45678 and sets the width of bit 4 (a D1 pulse falling at
/// 8200 µs) to `width`.
fn card26_with_bit4_width(width: Duration) -> Vec<Edge> {
    let mut edges = encode(&Bits::card26(123, 45678), Duration::ZERO);
    assert_eq!(edges[8], Edge::falling(D1, us(8200)));
    edges[9].timestamp = us(8200) + width;
    edges
}

#[test]
fn pulse_width_limits() {
    let card = Ok(Frame::Card26 {
        facility: 123,
        card: 45678,
    });
    let min = DEFAULT_MIN_PULSE;
    let max = DEFAULT_MAX_PULSE;

    let at_min = decode_all(&mut decoder(), &card26_with_bit4_width(min));
    assert_eq!(at_min, vec![card]);

    let below_min = decode_all(&mut decoder(), &card26_with_bit4_width(min - ns(1)));
    assert_eq!(
        below_min,
        vec![Err(Reject::PulseTooShort {
            line: D1,
            width: min - ns(1),
            min,
        })]
    );

    let at_max = decode_all(&mut decoder(), &card26_with_bit4_width(max));
    assert_eq!(at_max, vec![card]);

    let above_max = decode_all(&mut decoder(), &card26_with_bit4_width(max + ns(1)));
    assert_eq!(
        above_max,
        vec![Err(Reject::PulseTooLong {
            line: D1,
            width: max + ns(1),
            max,
        })]
    );
}

#[test]
fn min_gap_limits() {
    let card = Ok(Frame::Card26 {
        facility: 123,
        card: 45678,
    });
    // Pulses 50 µs wide, 50 µs apart: every gap is exactly the minimum, and
    // bit 5 falls at 5 * 100 = 500 µs.
    let timing = EncodeTiming {
        pulse_width: us(50),
        gap: DEFAULT_MIN_GAP,
    };
    let mut edges = edges_for(&Bits::card26(123, 45678), LINES, &timing, Duration::ZERO);
    assert_eq!(decode_all(&mut decoder(), &edges), vec![card]);

    assert_eq!(edges[10].timestamp, us(500));
    edges[10].timestamp -= ns(1);
    assert_eq!(
        decode_all(&mut decoder(), &edges),
        vec![Err(Reject::GapTooShort {
            gap: DEFAULT_MIN_GAP - ns(1),
            min: DEFAULT_MIN_GAP,
        })]
    );
}

#[test]
fn max_gap_limits() {
    let card = Ok(Frame::Card26 {
        facility: 123,
        card: 45678,
    });
    let max_gap = us(2500);
    let mut config = DecoderConfig::new(LINES);
    config.timing.max_gap = Some(max_gap);

    // Every gap is exactly the maximum, and bit 5 falls at
    // 5 * 2550 = 12 750 µs.
    let timing = EncodeTiming {
        pulse_width: us(50),
        gap: max_gap,
    };
    let mut edges = edges_for(&Bits::card26(123, 45678), LINES, &timing, Duration::ZERO);
    assert_eq!(decode_all(&mut decoder_with(config), &edges), vec![card]);

    // Moving bit 5 one nanosecond later stretches the gap before it.
    assert_eq!(edges[10].timestamp, us(12_750));
    edges[10].timestamp += ns(1);
    edges[11].timestamp += ns(1);
    assert_eq!(
        decode_all(&mut decoder_with(config), &edges),
        vec![Err(Reject::GapTooLong {
            gap: max_gap + ns(1),
            max: max_gap,
        })]
    );
}

/// Encodes `bits` with pulse `i` as wide as `widths[i % 2]` and the gap
/// after it `gaps[i % 2]`, the first falling edge at 0.
fn alternating_edges(bits: &Bits, widths: [Duration; 2], gaps: [Duration; 2]) -> Vec<Edge> {
    let mut edges = Vec::new();
    let mut fall = Duration::ZERO;
    for (index, bit) in bits.iter().enumerate() {
        let line = if bit { D1 } else { D0 };
        let rise = fall + widths[index % 2];
        edges.push(Edge::falling(line, fall));
        edges.push(Edge::rising(line, rise));
        fall = rise + gaps[index % 2];
    }
    edges
}

#[test]
fn jitter_at_limits() {
    // Every pulse and gap sits on a limit, alternating between the low and
    // the high one: widths 10 and 200 µs, gaps 50 and 2700 µs.
    let max_gap = us(2700);
    let mut config = DecoderConfig::new(LINES);
    config.timing.max_gap = Some(max_gap);
    let widths = [DEFAULT_MIN_PULSE, DEFAULT_MAX_PULSE];
    let gaps = [DEFAULT_MIN_GAP, max_gap];
    let bits = Bits::card34(4660, 43981);
    let card = Ok(Frame::Card34 {
        facility: 4660,
        card: 43981,
    });
    let edges = alternating_edges(&bits, widths, gaps);
    assert_eq!(decode_all(&mut decoder_with(config), &edges), vec![card]);

    // Pulse 1 (edges 2 and 3) is 200 µs wide: 1 ns more is too long.
    let mut wide = edges.clone();
    assert_eq!(wide[3].timestamp - wide[2].timestamp, DEFAULT_MAX_PULSE);
    wide[3].timestamp += ns(1);
    assert_eq!(
        decode_all(&mut decoder_with(config), &wide),
        vec![Err(Reject::PulseTooLong {
            line: D0,
            width: DEFAULT_MAX_PULSE + ns(1),
            max: DEFAULT_MAX_PULSE,
        })]
    );

    // Pulse 2 (edges 4 and 5) is 10 µs wide: 1 ns less is too short.
    let mut narrow = edges.clone();
    assert_eq!(narrow[5].timestamp - narrow[4].timestamp, DEFAULT_MIN_PULSE);
    narrow[5].timestamp -= ns(1);
    assert_eq!(
        decode_all(&mut decoder_with(config), &narrow),
        vec![Err(Reject::PulseTooShort {
            line: D0,
            width: DEFAULT_MIN_PULSE - ns(1),
            min: DEFAULT_MIN_PULSE,
        })]
    );

    // The gap after pulse 0 is 50 µs: moving pulse 1 1 ns earlier, width
    // kept, makes it too short.
    let mut close = edges.clone();
    close[2].timestamp -= ns(1);
    close[3].timestamp -= ns(1);
    assert_eq!(
        decode_all(&mut decoder_with(config), &close),
        vec![Err(Reject::GapTooShort {
            gap: DEFAULT_MIN_GAP - ns(1),
            min: DEFAULT_MIN_GAP,
        })]
    );

    // The gap after pulse 1 is 2700 µs: moving pulse 2 1 ns later, width
    // kept, makes it too long.
    let mut far = edges;
    far[4].timestamp += ns(1);
    far[5].timestamp += ns(1);
    assert_eq!(
        decode_all(&mut decoder_with(config), &far),
        vec![Err(Reject::GapTooLong {
            gap: max_gap + ns(1),
            max: max_gap,
        })]
    );
}

#[test]
fn key8_mismatched_nibbles() {
    // Complement-first order: check nibble 1110 (14), key nibble 0010 (2).
    // The complement of 0010 is 1101, so the frame is rejected.
    let bits = Bits::new(0b1110_0010, 8).expect("8 bits");
    assert_eq!(
        decode_bits_once(&bits),
        vec![Err(Reject::KeyNibbleMismatch { key: 2, check: 14 })]
    );
}

#[test]
fn key8_order_configurable() {
    // 1000 0111 is key 8 with the key nibble first, and key 7 with the
    // complement first: the order must be configured.
    let bits = Bits::key8(8, Key8Order::KeyFirst).expect("key 8");
    assert_eq!(bits.to_string(), "10000111");
    assert_eq!(decode_bits_once(&bits), vec![Ok(Frame::Key(7))]);

    let mut config = DecoderConfig::new(LINES);
    config.key8_order = Key8Order::KeyFirst;
    let outcomes = decode_all(&mut decoder_with(config), &encode(&bits, Duration::ZERO));
    assert_eq!(outcomes, vec![Ok(Frame::Key(8))]);
}

#[test]
fn key_codes_above_hash() {
    for code in 12..=15 {
        let key4 = Bits::key4(code).expect("fits in 4 bits");
        assert_eq!(
            decode_bits_once(&key4),
            vec![Err(Reject::UnknownKey { code })],
            "4-bit code {code}"
        );
        let key8 = Bits::key8(code, Key8Order::ComplementFirst).expect("fits in 4 bits");
        assert_eq!(
            decode_bits_once(&key8),
            vec![Err(Reject::UnknownKey { code })],
            "8-bit code {code}"
        );
    }
}

#[test]
fn disabled_format_rejected() {
    let mut config = DecoderConfig::new(LINES);
    config.formats.card26 = false;
    let edges = encode(&Bits::card26(1, 1), Duration::ZERO);
    assert_eq!(
        decode_all(&mut decoder_with(config), &edges),
        vec![Err(Reject::UnexpectedBitCount { bit_count: 26 })]
    );
}

#[test]
fn unknown_line_rejected() {
    let edges = [Edge::falling(5, us(100)), Edge::rising(5, us(150))];
    assert_eq!(
        decode_all(&mut decoder(), &edges),
        vec![Err(Reject::UnknownLine { line: 5 })]
    );
}

#[test]
fn same_line_out_of_order() {
    let edges = [Edge::falling(D0, us(1000)), Edge::rising(D0, us(900))];
    assert_eq!(
        decode_all(&mut decoder(), &edges),
        vec![Err(Reject::EdgeOutOfOrder { line: D0 })]
    );
}

#[test]
fn cross_line_reorder_tolerated() {
    // Bit 1 (D0, edges 2-3) is delivered after bit 2 (D1, edges 4-5), as
    // when the D0 interrupt thread runs late.
    let mut edges = encode(&Bits::card26(123, 45678), Duration::ZERO);
    edges[2..6].rotate_left(2);
    assert_eq!(edges[2], Edge::falling(D1, us(4100)));
    assert_eq!(
        decode_all(&mut decoder(), &edges),
        vec![Ok(Frame::Card26 {
            facility: 123,
            card: 45678
        })]
    );
}

#[test]
fn edge_after_close_is_late() {
    let mut decoder = decoder();
    let outcomes = decode_all(&mut decoder, &encode(&Bits::card26(7, 1), Duration::ZERO));
    assert_eq!(
        outcomes,
        vec![Ok(Frame::Card26 {
            facility: 7,
            card: 1
        })]
    );

    // The frame closed at 76 300 µs; an edge stamped 60 000 µs belonged to it.
    let late = [Edge::falling(D0, us(60_000)), Edge::rising(D0, us(60_050))];
    assert_eq!(
        decode_all(&mut decoder, &late),
        vec![Err(Reject::EdgeOutOfOrder { line: D0 })]
    );
}

#[test]
fn lost_edges_reject_burst() {
    let mut decoder = decoder();
    let edges = encode(&Bits::card26(123, 45678), Duration::ZERO);
    for edge in &edges[..20] {
        assert_eq!(decoder.push_edge(*edge), None);
    }
    assert_eq!(decoder.note_lost_edges(us(20_600)), None);
    assert_eq!(
        decode_all(&mut decoder, &edges[20..]),
        vec![Err(Reject::EdgesLost)]
    );

    // A loss reported after the frame gap closes the earlier frame first.
    let mut decoder = self::decoder();
    for edge in &edges {
        assert_eq!(decoder.push_edge(*edge), None);
    }
    assert_eq!(
        decoder.note_lost_edges(ms(200)),
        Some(Ok(Frame::Card26 {
            facility: 123,
            card: 45678
        }))
    );
    assert_eq!(decoder.next_deadline(), Some(ms(225)));
    assert_eq!(decoder.poll_timeout(ms(225)), Some(Err(Reject::EdgesLost)));
}

#[test]
fn stuck_line_then_recovery() {
    let mut decoder = decoder();
    // D0 goes low at 0 and stays low.
    assert_eq!(decoder.push_edge(Edge::falling(D0, Duration::ZERO)), None);
    assert_eq!(
        decoder.poll_timeout(ms(30)),
        Some(Err(Reject::LineHeldLow {
            line: D0,
            held_for: ms(30)
        }))
    );

    // A D1 pulse while D0 is still held low.
    let pulse = [
        Edge::falling(D1, ms(100)),
        Edge::rising(D1, ms(100) + us(50)),
    ];
    assert_eq!(
        decode_all(&mut decoder, &pulse),
        vec![Err(Reject::BothLinesLow { at: ms(100) })]
    );

    // D0 comes back: no frame, no burst.
    assert_eq!(decoder.push_edge(Edge::rising(D0, ms(200))), None);
    assert_eq!(decoder.next_deadline(), None);

    // Key 1 (0001) now decodes.
    let key = encode(&Bits::key4(1).expect("key 1"), ms(300));
    assert_eq!(decode_all(&mut decoder, &key), vec![Ok(Frame::Key(1))]);
}

#[test]
fn too_many_pulses() {
    let bits = Bits::new(u64::MAX, 64).expect("64 bits");
    let mut edges = encode(&bits, Duration::ZERO);
    // Six more D1 pulses after the 64th, which falls at 63 * 2050 µs.
    edges.extend(encode(
        &Bits::new(0b11_1111, 6).expect("6 bits"),
        us(64 * 2050),
    ));
    assert_eq!(
        decode_all(&mut decoder(), &edges),
        vec![Err(Reject::UnexpectedBitCount { bit_count: 70 })]
    );
}

#[test]
fn rejects_counted_per_reason() {
    let mut decoder = decoder();
    let good = Bits::card26(123, 45678);
    let mut edges = encode(&flip(good, 0), Duration::ZERO);
    edges.extend(encode(&flip(good, 1), ms(100)));
    edges.extend(encode(&flip(good, 25), ms(200)));
    edges.extend(encode(&good, ms(300)));
    edges.extend(encode(&Bits::new(0b1110_0010, 8).expect("8 bits"), ms(400)));

    let outcomes = decode_all(&mut decoder, &edges);
    assert_eq!(outcomes.len(), 5);
    let counts = decoder.rejects();
    assert_eq!(counts.get(RejectKind::LeadingParity), 2);
    assert_eq!(counts.get(RejectKind::TrailingParity), 1);
    assert_eq!(counts.get(RejectKind::KeyNibbleMismatch), 1);
    assert_eq!(counts.total(), 4);
    assert_eq!(decoder.frames_decoded(), 1);
}

#[test]
fn decode_bits_without_timing() {
    let formats = AcceptedFormats::ALL;
    let order = Key8Order::ComplementFirst;
    assert_eq!(
        decode_bits(&Bits::card26(7, 1), &formats, order),
        Ok(Frame::Card26 {
            facility: 7,
            card: 1
        })
    );
    assert_eq!(
        decode_bits(&Bits::default(), &formats, order),
        Err(Reject::UnexpectedBitCount { bit_count: 0 })
    );
}
