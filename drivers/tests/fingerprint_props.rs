//! Property tests of the fingerprint codec, simulated module and poller:
//! arbitrary input never panics, rejections are counted, and a good frame
//! after noise is always recovered.

use hallbox_drivers::fingerprint::packet::{DEFAULT_BUFFER_CAPACITY, MAX_PAYLOAD_LEN};
use hallbox_drivers::fingerprint::{
    encode, Action, Decoder, Event, FrameError, Packet, Pid, Poller, PollerConfig, SimulatedModule,
    DEFAULT_ADDRESS,
};
use proptest::prelude::*;

fn pid_strategy() -> impl Strategy<Value = Pid> {
    prop_oneof![
        Just(Pid::Command),
        Just(Pid::Data),
        Just(Pid::Ack),
        Just(Pid::EndOfData),
    ]
}

fn packet_strategy() -> impl Strategy<Value = Packet> {
    (pid_strategy(), prop::collection::vec(any::<u8>(), 0..=64)).prop_map(|(pid, payload)| {
        Packet::new(DEFAULT_ADDRESS, pid, payload).expect("payload within the limit")
    })
}

/// Splits `bytes` into chunks of the given sizes, cycling through them.
fn chunks<'a>(bytes: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = bytes;
    let mut index = 0;
    while !rest.is_empty() {
        let size = sizes[index % sizes.len()].clamp(1, rest.len());
        let (head, tail) = rest.split_at(size);
        parts.push(head);
        rest = tail;
        index += 1;
    }
    parts
}

/// Pushes `bytes` in chunks and drains the decoder after each one.
fn decode_chunked(
    decoder: &mut Decoder,
    bytes: &[u8],
    sizes: &[usize],
) -> Vec<Result<Packet, FrameError>> {
    let mut results = Vec::new();
    for chunk in chunks(bytes, sizes) {
        decoder.push(chunk);
        while let Some(result) = decoder.next_packet() {
            results.push(result);
        }
    }
    results
}

/// Header fragments that look like the start of a frame but can never
/// complete one: wrong address, undefined PID, length out of range, or
/// cut short.
fn invalid_fragment() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Another module's address.
        (any::<u32>().prop_filter("not the module address", |a| *a != DEFAULT_ADDRESS)).prop_map(
            |address| {
                let mut bytes = vec![0xEF, 0x01];
                bytes.extend_from_slice(&address.to_be_bytes());
                bytes
            }
        ),
        // Undefined PID.
        (any::<u8>().prop_filter("undefined PID", |p| Pid::from_u8(*p).is_none()))
            .prop_map(|pid| vec![0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, pid]),
        // Length field above 258.
        (259u16..).prop_map(|length| {
            let [high, low] = length.to_be_bytes();
            vec![0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, high, low]
        }),
        // Length field 0 or 1.
        (0u16..2).prop_map(|length| {
            let [high, low] = length.to_be_bytes();
            vec![0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, high, low]
        }),
        // A header cut short.
        (1usize..6).prop_map(|len| vec![0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF][..len].to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoder_survives_random_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..3000),
        sizes in prop::collection::vec(1usize..64, 1..8),
    ) {
        let mut decoder = Decoder::new(DEFAULT_ADDRESS);
        let results = decode_chunked(&mut decoder, &bytes, &sizes);

        prop_assert!(decoder.buffered_len() <= DEFAULT_BUFFER_CAPACITY);
        let stats = decoder.stats();
        let decoded = results.iter().filter(|r| r.is_ok()).count() as u64;
        let rejected = results
            .iter()
            .filter(|r| matches!(r, Err(e) if !matches!(e, FrameError::Overflow { .. })))
            .count() as u64;
        prop_assert_eq!(stats.frames, decoded);
        prop_assert_eq!(stats.rejected(), rejected);
        for packet in results.into_iter().flatten() {
            prop_assert!(packet.payload().len() <= MAX_PAYLOAD_LEN);
        }
    }

    #[test]
    fn decoder_any_address_survives_random_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..3000),
        sizes in prop::collection::vec(1usize..300, 1..8),
    ) {
        let mut decoder = Decoder::any_address().with_capacity(300);
        decode_chunked(&mut decoder, &bytes, &sizes);
        prop_assert!(decoder.buffered_len() <= 300);
    }

    #[test]
    fn good_frame_after_random_garbage(
        garbage in prop::collection::vec(any::<u8>(), 0..400),
        packet in packet_strategy(),
        sizes in prop::collection::vec(1usize..32, 1..8),
    ) {
        let mut bytes = garbage;
        bytes.extend_from_slice(&encode(&packet));

        let mut decoder = Decoder::new(DEFAULT_ADDRESS);
        let results = decode_chunked(&mut decoder, &bytes, &sizes);
        let decoded: Vec<Packet> = results.into_iter().flatten().collect();
        prop_assert_eq!(decoded.last(), Some(&packet));
    }

    #[test]
    fn good_frame_after_false_headers(
        fragments in prop::collection::vec(
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..20),
                invalid_fragment(),
            ],
            0..12,
        ),
        packet in packet_strategy(),
        long_false_header in prop::option::of(76u16..=258),
        sizes in prop::collection::vec(1usize..32, 1..8),
    ) {
        let frame = encode(&packet);
        let mut bytes: Vec<u8> = fragments.concat();
        if let Some(length) = long_false_header {
            // A plausible header whose length field claims more bytes than
            // the longest generated frame (9 + 64 + 2 = 75), so it is still
            // incomplete when the real frame has fully arrived.
            let [high, low] = length.to_be_bytes();
            bytes.extend_from_slice(&[0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, high, low]);
        }
        bytes.extend_from_slice(&frame);

        let mut decoder = Decoder::new(DEFAULT_ADDRESS);
        let results = decode_chunked(&mut decoder, &bytes, &sizes);
        let decoded: Vec<Packet> = results.into_iter().flatten().collect();
        prop_assert_eq!(decoded.last(), Some(&packet));
        if long_false_header.is_some() {
            prop_assert!(decoder.stats().truncated >= 1);
        }
    }

    #[test]
    fn packets_round_trip_in_chunks(
        packets in prop::collection::vec(packet_strategy(), 1..20),
        sizes in prop::collection::vec(1usize..40, 1..8),
    ) {
        let bytes: Vec<u8> = packets.iter().flat_map(encode).collect();
        let mut decoder = Decoder::new(DEFAULT_ADDRESS);
        let results = decode_chunked(&mut decoder, &bytes, &sizes);
        prop_assert_eq!(results, packets.into_iter().map(Ok).collect::<Vec<_>>());
        prop_assert_eq!(decoder.stats().skipped_bytes, 0);
    }

    #[test]
    fn simulator_survives_random_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..2000),
        sizes in prop::collection::vec(1usize..64, 1..8),
    ) {
        let mut module = SimulatedModule::new();
        let mut output = Vec::new();
        for chunk in chunks(&bytes, &sizes) {
            output.extend(module.feed(chunk));
        }
        // Whatever it sends back is well-framed acknowledges.
        let mut decoder = Decoder::new(DEFAULT_ADDRESS);
        decoder.push(&output);
        while let Some(result) = decoder.next_packet() {
            let packet = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(packet.pid(), Pid::Ack);
        }
        prop_assert_eq!(decoder.stats().skipped_bytes, 0);
    }

    #[test]
    fn poller_survives_random_events(
        events in prop::collection::vec(
            prop_oneof![
                Just(Event::Start),
                Just(Event::Tick),
                Just(Event::TimedOut),
                Just(Event::AckGarbled),
                Just(Event::Committed),
                Just(Event::CommitFailed),
                (pid_strategy(), prop::collection::vec(any::<u8>(), 0..24)).prop_map(
                    |(pid, payload)| Event::AckReceived(
                        Packet::new(DEFAULT_ADDRESS, pid, payload).expect("short")
                    )
                ),
                (0u8..=0x29).prop_map(|code| Event::AckReceived(
                    Packet::new(DEFAULT_ADDRESS, Pid::Ack, vec![code, 0, 1, 0, 50])
                        .expect("short")
                )),
            ],
            0..200,
        ),
    ) {
        let mut poller = Poller::new(PollerConfig::default());
        for event in events {
            let actions = poller.handle(event);
            let sends = actions.iter().filter(|a| matches!(a, Action::Send { .. })).count();
            let waits = actions.iter().filter(|a| matches!(a, Action::Wait(_))).count();
            // Half-duplex: at most one command in flight, never both a
            // send and a wait.
            prop_assert!(sends + waits <= 1, "actions {:?}", actions);
            prop_assert!(poller.failures() <= poller.config().max_retries + 1);
        }
    }
}
