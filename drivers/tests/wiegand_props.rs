//! Property tests of the Wiegand decoder.
//!
//! Arbitrary edge streams never panic and yield one counted outcome per
//! burst. No frame leaves the decoder unless its bits pass the format's
//! checks. Every 26- and 34-bit credential survives encoding and decoding
//! with any timing inside the limits.

use std::time::Duration;

use hallbox_drivers::edge::{Edge, Level};
use hallbox_drivers::wiegand::{
    edges_for, Bits, Decoder, DecoderConfig, EncodeTiming, Frame, Key8Order, Lines, Reject,
    DEFAULT_FRAME_GAP, DEFAULT_MAX_PULSE, DEFAULT_MIN_GAP, DEFAULT_MIN_PULSE,
};
use proptest::prelude::*;

const D0: u8 = 17;
const D1: u8 = 27;
const LINES: Lines = Lines { d0: D0, d1: D1 };

/// Maximum idle time between bits that readers use, 2.7 ms.
const MAX_READER_GAP: Duration = Duration::from_micros(2700);

fn decoder() -> Decoder {
    Decoder::new(DecoderConfig::new(LINES)).expect("default config is valid")
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

/// Number of 1 bits among `bits[range]`, counted one bit at a time.
fn ones(bits: &[bool], range: std::ops::Range<usize>) -> usize {
    bits[range].iter().filter(|bit| **bit).count()
}

/// Reads `bits[range]` as an unsigned number, first bit most significant.
fn number(bits: &[bool], range: std::ops::Range<usize>) -> u64 {
    bits[range]
        .iter()
        .fold(0, |value, bit| (value << 1) | u64::from(*bit))
}

/// The frame a correct decoder must produce for `bits`, written from the
/// format rules without the decoder's code: `None` when the bits must be
/// rejected.
fn reference_frame(bits: &[bool]) -> Option<Frame> {
    let half = bits.len() / 2;
    let parity_ok =
        || ones(bits, 0..half).is_multiple_of(2) && ones(bits, half..bits.len()) % 2 == 1;
    match bits.len() {
        4 => {
            let key = number(bits, 0..4) as u8;
            (key <= 11).then_some(Frame::Key(key))
        }
        8 => {
            let check = number(bits, 0..4) as u8;
            let key = number(bits, 4..8) as u8;
            (check == 15 - key && key <= 11).then_some(Frame::Key(key))
        }
        26 => parity_ok().then(|| Frame::Card26 {
            facility: number(bits, 1..9) as u8,
            card: number(bits, 9..25) as u16,
        }),
        34 => parity_ok().then(|| Frame::Card34 {
            facility: number(bits, 1..17) as u16,
            card: number(bits, 17..33) as u16,
        }),
        _ => None,
    }
}

/// One step of an arbitrary input: an edge, a poll or a loss report, after a
/// time step that may go backwards.
#[derive(Debug, Clone)]
enum Step {
    Edge { line: u8, low: bool, step_ns: i64 },
    Poll { step_ns: i64 },
    Lost { step_ns: i64 },
}

fn time_step() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => 0i64..300_000,
        4 => 0i64..3_000_000,
        2 => 0i64..40_000_000,
        1 => -3_000_000i64..0,
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let line = prop_oneof![8 => Just(D0), 8 => Just(D1), 1 => any::<u8>()];
    prop_oneof![
        10 => (line, any::<bool>(), time_step())
            .prop_map(|(line, low, step_ns)| Step::Edge { line, low, step_ns }),
        2 => time_step().prop_map(|step_ns| Step::Poll { step_ns }),
        1 => time_step().prop_map(|step_ns| Step::Lost { step_ns }),
    ]
}

fn advance(now: Duration, step_ns: i64) -> Duration {
    let step = Duration::from_nanos(step_ns.unsigned_abs());
    if step_ns >= 0 {
        now.saturating_add(step)
    } else {
        now.saturating_sub(step)
    }
}

/// Idle time between pulses inside the default limits and the readers'
/// range.
fn gap() -> impl Strategy<Value = Duration> {
    (DEFAULT_MIN_GAP.as_nanos() as u64..=MAX_READER_GAP.as_nanos() as u64)
        .prop_map(Duration::from_nanos)
}

/// Pulse width inside the default limits.
fn pulse_width() -> impl Strategy<Value = Duration> {
    (DEFAULT_MIN_PULSE.as_nanos() as u64..=DEFAULT_MAX_PULSE.as_nanos() as u64)
        .prop_map(Duration::from_nanos)
}

/// Start time anywhere from boot to ten years of uptime.
fn start() -> impl Strategy<Value = Duration> {
    (0u64..315_360_000_000_000_000).prop_map(Duration::from_nanos)
}

/// Encodes `bits` with a different width and gap for every pulse.
fn jittered_edges(
    bits: &[bool],
    widths: &[Duration],
    gaps: &[Duration],
    start: Duration,
) -> Vec<Edge> {
    let mut edges = Vec::new();
    let mut fall = start;
    for (index, bit) in bits.iter().enumerate() {
        let line = if *bit { D1 } else { D0 };
        let rise = fall + widths[index];
        edges.push(Edge::falling(line, fall));
        edges.push(Edge::rising(line, rise));
        fall = rise + gaps[index];
    }
    edges
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_steps_never_panic(
        base in prop_oneof![Just(Duration::ZERO), start(), Just(Duration::MAX - Duration::from_secs(1))],
        steps in prop::collection::vec(step(), 0..400),
    ) {
        let mut decoder = decoder();
        let mut now = base;
        let mut outcomes = Vec::new();
        for step in steps {
            match step {
                Step::Edge { line, low, step_ns } => {
                    now = advance(now, step_ns);
                    let level = if low { Level::Low } else { Level::High };
                    outcomes.extend(decoder.push_edge(Edge { line, level, timestamp: now }));
                }
                Step::Poll { step_ns } => {
                    outcomes.extend(decoder.poll_timeout(advance(now, step_ns)));
                }
                Step::Lost { step_ns } => {
                    now = advance(now, step_ns);
                    outcomes.extend(decoder.note_lost_edges(now));
                }
            }
        }
        outcomes.extend(decoder.poll_timeout(Duration::MAX));
        prop_assert_eq!(decoder.next_deadline(), None);

        // Every outcome is counted once, as a frame or a rejection.
        let frames = outcomes.iter().filter(|outcome| outcome.is_ok()).count() as u64;
        prop_assert_eq!(decoder.frames_decoded(), frames);
        prop_assert_eq!(decoder.rejects().total(), outcomes.len() as u64 - frames);

        // Every frame that came out passes its format's checks again.
        for frame in outcomes.into_iter().flatten() {
            let bits: Vec<bool> = match frame {
                Frame::Card26 { facility, card } => Bits::card26(facility, card).iter().collect(),
                Frame::Card34 { facility, card } => Bits::card34(facility, card).iter().collect(),
                Frame::Key(key) => {
                    prop_assert!(key <= 11, "key code {} above #", key);
                    continue;
                }
            };
            prop_assert_eq!(reference_frame(&bits), Some(frame));
        }
    }

    #[test]
    fn frames_only_from_checked_bits(
        bits in prop_oneof![
            prop::collection::vec(any::<bool>(), 26),
            prop::collection::vec(any::<bool>(), 34),
            prop::collection::vec(any::<bool>(), 4),
            prop::collection::vec(any::<bool>(), 8),
            prop::collection::vec(any::<bool>(), 1..64),
        ],
        timing in (pulse_width(), gap()),
        start in start(),
    ) {
        let encoded = Bits::from_bools(&bits).expect("at most 64 bits");
        let timing = EncodeTiming { pulse_width: timing.0, gap: timing.1 };
        let edges = edges_for(&encoded, LINES, &timing, start);
        let outcomes = decode_all(&mut decoder(), &edges);
        prop_assert_eq!(outcomes.len(), 1);

        match (&outcomes[0], reference_frame(&bits)) {
            (Ok(frame), Some(expected)) => prop_assert_eq!(*frame, expected),
            (Err(_), None) => {}
            (outcome, expected) => {
                prop_assert!(false, "bits {} decoded to {:?}, expected {:?}", encoded, outcome, expected)
            }
        }
    }

    #[test]
    fn card26_round_trip(
        facility in any::<u8>(),
        card in any::<u16>(),
        widths in prop::collection::vec(pulse_width(), 26),
        gaps in prop::collection::vec(gap(), 26),
        start in start(),
    ) {
        let bits: Vec<bool> = Bits::card26(facility, card).iter().collect();
        let edges = jittered_edges(&bits, &widths, &gaps, start);
        let outcomes = decode_all(&mut decoder(), &edges);
        prop_assert_eq!(outcomes, vec![Ok(Frame::Card26 { facility, card })]);
    }

    #[test]
    fn card34_round_trip(
        facility in any::<u16>(),
        card in any::<u16>(),
        widths in prop::collection::vec(pulse_width(), 34),
        gaps in prop::collection::vec(gap(), 34),
        start in start(),
    ) {
        let bits: Vec<bool> = Bits::card34(facility, card).iter().collect();
        let edges = jittered_edges(&bits, &widths, &gaps, start);
        let outcomes = decode_all(&mut decoder(), &edges);
        prop_assert_eq!(outcomes, vec![Ok(Frame::Card34 { facility, card })]);
    }

    #[test]
    fn cards_back_to_back_round_trip(
        cards in prop::collection::vec((any::<u16>(), any::<u16>(), any::<bool>()), 1..6),
        pause in (0u64..100_000_000).prop_map(Duration::from_nanos),
        start in start(),
    ) {
        // Frames separated by the frame gap plus `pause`.
        let mut edges = Vec::new();
        let mut expected = Vec::new();
        let mut next_start = start;
        for (facility, card, is_26) in cards {
            let (bits, frame) = if is_26 {
                let facility = (facility & 0xFF) as u8;
                (Bits::card26(facility, card), Frame::Card26 { facility, card })
            } else {
                (Bits::card34(facility, card), Frame::Card34 { facility, card })
            };
            let frame_edges = edges_for(&bits, LINES, &EncodeTiming::default(), next_start);
            let end = frame_edges.last().expect("a frame has edges").timestamp;
            next_start = end + DEFAULT_FRAME_GAP + pause;
            edges.extend(frame_edges);
            expected.push(Ok(frame));
        }
        prop_assert_eq!(decode_all(&mut decoder(), &edges), expected);
    }

    #[test]
    fn keys_round_trip(key in 0u8..=11, complement_first in any::<bool>(), start in start()) {
        let order = if complement_first { Key8Order::ComplementFirst } else { Key8Order::KeyFirst };
        let mut config = DecoderConfig::new(LINES);
        config.key8_order = order;
        let mut decoder = Decoder::new(config).expect("valid config");

        let key4 = Bits::key4(key).expect("key fits");
        let edges = edges_for(&key4, LINES, &EncodeTiming::default(), start);
        prop_assert_eq!(decode_all(&mut decoder, &edges), vec![Ok(Frame::Key(key))]);

        let key8 = Bits::key8(key, order).expect("key fits");
        let later = start + Duration::from_secs(1);
        let edges = edges_for(&key8, LINES, &EncodeTiming::default(), later);
        prop_assert_eq!(decode_all(&mut decoder, &edges), vec![Ok(Frame::Key(key))]);
    }
}
