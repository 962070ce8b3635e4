//! Wiegand card readers: edges in, punches out.
//!
//! The reader's D0 and D1 edges go through the pure decoder. A card frame
//! whose bit count, parity and timing checked becomes a punch. A rejected
//! frame is counted per reason and logged, never stored. Key frames (4 or 8
//! bits) are logged and dropped, because a typed key is not a credential.
//!
//! A punch is stored as `EventKind::Punch` with the reader's id as device
//! and the box's time as device time, because readers have no clock. Its
//! subject is the PIN the attendance report groups by: the staff member's
//! first configured PIN. For a card that matches no one it is the card
//! itself (`"123/45678"`, or the number read as a PIN), which the report
//! lists under unknown credentials.
//!
//! The idempotency key is the one the clock imports use,
//! `punch:<reader>:<pin>:<local time to the second>`. A reader sends each
//! frame once and never resends, so the key only matters when one card is
//! read twice within one second. The second frame is then stored once with
//! the first, as one press of one punch group. It is still confirmed,
//! because the punch is in the journal.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use hallbox_drivers::edge::{EdgeError, EdgeSource};
use hallbox_drivers::gpio::{Bias, InputRequest};
use hallbox_drivers::wiegand::{Bits, Decoder, Frame, Reject};
use tracing::{debug, error, info, warn, Instrument};

use super::output::{spawn_confirmation, Confirmation};
use super::{
    journal_status, report_end, report_start_failure, role_of, sleep_until_some, wall_time,
    EdgeClock, GpioBackend, Site, StartError, TaskEnd,
};
use crate::config::{Credentials, Staff, WiegandReader};
use crate::import::punch_key;
use crate::ingest::IngestHandle;
use crate::journal::{EventKind, NewEvent};
use crate::report::attendance::normalize_pin;
use crate::time::utc_to_local;
use crate::{logging, metrics, shutdown};

/// Staff looked up by id and by PIN.
#[derive(Debug, Default)]
pub struct StaffIndex {
    /// Staff id → first PIN as written.
    first_pin_by_id: HashMap<String, String>,
    /// PIN without leading zeros → (staff id, first PIN as written).
    by_pin: HashMap<String, (String, String)>,
}

impl StaffIndex {
    /// Indexes the staff members that have at least one PIN.
    pub fn new(staff: &[Staff]) -> StaffIndex {
        let mut index = StaffIndex::default();
        for person in staff {
            let Some(first) = person.pins.first() else {
                continue;
            };
            index
                .first_pin_by_id
                .insert(person.id.clone(), first.clone());
            for pin in &person.pins {
                index
                    .by_pin
                    .insert(normalize_pin(pin), (person.id.clone(), first.clone()));
            }
        }
        index
    }
}

/// Builds the punch of a card frame read at `now`, or returns `None` for a
/// key frame.
pub fn punch_event(
    reader: &WiegandReader,
    staff: &StaffIndex,
    zone: Tz,
    frame: Frame,
    now: DateTime<Utc>,
) -> Option<NewEvent> {
    let (format, facility, card, bits) = match frame {
        Frame::Card26 { facility, card } => (
            "card26",
            u16::from(facility),
            card,
            Bits::card26(facility, card),
        ),
        Frame::Card34 { facility, card } => {
            ("card34", facility, card, Bits::card34(facility, card))
        }
        Frame::Key(_) => return None,
    };

    let (subject, staff_id) = match &reader.credentials {
        Credentials::Map(cards) => {
            let first_pin = cards
                .get(&(facility, card))
                .and_then(|id| Some((staff.first_pin_by_id.get(id)?.clone(), id.clone())));
            match first_pin {
                Some((pin, id)) => (pin, Some(id)),
                None => (format!("{facility}/{card}"), None),
            }
        }
        Credentials::CardNumber => lookup_pin(staff, card.to_string()),
        Credentials::FullNumber => lookup_pin(staff, frame.number()?.to_string()),
    };

    let local = utc_to_local(zone, now);
    let payload = serde_json::json!({
        "pin": subject,
        "local_time": local.format("%Y-%m-%d %H:%M:%S").to_string(),
        "source": "wiegand",
        "format": format,
        "facility": facility,
        "card": card,
        "staff_id": staff_id,
    });
    Some(NewEvent {
        kind: EventKind::Punch,
        device_id: reader.id.clone(),
        idempotency_key: punch_key(&reader.id, &subject, local),
        device_time: Some(now),
        received_at: now,
        subject: Some(subject),
        // The frame's bits as received, '0' and '1' in transmission order.
        raw: bits.to_string().into_bytes(),
        payload,
    })
}

/// Returns the subject and staff id of a card number read as a PIN.
fn lookup_pin(staff: &StaffIndex, pin: String) -> (String, Option<String>) {
    match staff.by_pin.get(&normalize_pin(&pin)) {
        Some((id, first)) => (first.clone(), Some(id.clone())),
        None => (pin, None),
    }
}

/// Runs one reader until its edge source ends: opens the pins, decodes,
/// stores punches and confirms them.
pub(super) async fn run<B: GpioBackend>(
    reader: WiegandReader,
    site: Arc<Site>,
    ingest: IngestHandle,
    backend: Arc<B>,
) {
    let lines = reader.decoder.lines;
    let span = tracing::info_span!("device", device = %reader.id, d0 = lines.d0, d1 = lines.d1);
    async move {
        metrics::device_configured(&reader.id);
        let mut roles = vec![(lines.d0, "d0".to_string()), (lines.d1, "d1".to_string())];
        let mut pins = serde_json::json!({ "d0": lines.d0, "d1": lines.d1 });
        if let Some(confirm) = &reader.confirm {
            roles.push((confirm.pin, "confirm".to_string()));
            pins["confirm"] = confirm.pin.into();
        }

        let decoder = match Decoder::new(reader.decoder) {
            Ok(decoder) => decoder,
            Err(invalid) => {
                // Validation of the configuration rules this out.
                let reason = format!("invalid Wiegand decoder settings: {invalid}");
                error!(error = %reason, "Wiegand reader not started");
                journal_status(&ingest, &reader.id, pins, "lost", Some(reason)).await;
                return;
            }
        };

        let opened = open(&reader, backend.as_ref());
        let (source, confirmation) = match opened {
            Ok(opened) => opened,
            Err(source) => {
                let role = role_of(source.pin(), &roles);
                let error = StartError {
                    device: reader.id.clone(),
                    role,
                    source,
                };
                report_start_failure(&ingest, error, pins).await;
                return;
            }
        };

        info!("Wiegand reader started");
        metrics::device_connected(&reader.id, true);
        journal_status(&ingest, &reader.id, pins.clone(), "connected", None).await;
        let mut task = ReaderTask {
            decoder,
            reader: &reader,
            site: &site,
            ingest: &ingest,
            confirmation,
        };
        let end = task.decode(source).await;
        report_end(&ingest, &reader.id, pins, end).await;
    }
    .instrument(span)
    .await
}

/// Opens the reader's inputs and its confirmation output.
fn open<B: GpioBackend>(
    reader: &WiegandReader,
    backend: &B,
) -> Result<(B::Inputs, Option<Confirmation>), hallbox_drivers::gpio::GpioError> {
    let lines = reader.decoder.lines;
    // No debounce: a debounce period longer than the 20-100 µs pulses
    // would swallow the bits. The pull-ups hold the lines high if the level
    // shifter has none.
    let requests = [lines.d0, lines.d1].map(|pin| InputRequest {
        pin,
        bias: Bias::PullUp,
        debounce: None,
    });
    let (source, _info) = backend.open_inputs(&reader.id, &requests)?;
    let confirmation = match &reader.confirm {
        Some(settings) => {
            let output =
                backend.open_output(&reader.id, settings.pin, settings.active.inverted())?;
            Some(spawn_confirmation(output, *settings))
        }
        None => None,
    };
    Ok((source, confirmation))
}

/// One running reader.
struct ReaderTask<'a> {
    decoder: Decoder,
    reader: &'a WiegandReader,
    site: &'a Site,
    ingest: &'a IngestHandle,
    confirmation: Option<Confirmation>,
}

impl ReaderTask<'_> {
    /// Decodes edges until the source ends or, on a stop request, until no
    /// frame is open.
    async fn decode<S: EdgeSource>(&mut self, mut source: S) -> TaskEnd {
        let mut clock = EdgeClock::default();
        let mut stopping = false;
        loop {
            if stopping && self.decoder.next_deadline().is_none() {
                return TaskEnd::Stopped;
            }
            let wake = self.decoder.next_deadline().map(|at| clock.instant_of(at));
            let outcome = tokio::select! {
                // Edges already received go first, so a frame is never
                // closed while one of its edges waits in the channel.
                biased;
                edge = source.next_edge() => match edge {
                    Ok(edge) => {
                        clock.observe(edge.timestamp);
                        let at = edge.timestamp;
                        self.decoder.push_edge(edge).map(|outcome| (outcome, at))
                    }
                    Err(EdgeError::EdgesLost { count, last_at }) => {
                        warn!(count, "GPIO edges lost; the frame around them is rejected");
                        self.decoder.note_lost_edges(last_at).map(|outcome| (outcome, last_at))
                    }
                    Err(end) => {
                        // No edge can follow, so the open frame is complete.
                        if let Some(deadline) = self.decoder.next_deadline() {
                            if let Some(outcome) = self.decoder.poll_timeout(deadline) {
                                self.handle(outcome, wall_time(&clock, deadline)).await;
                            }
                        }
                        return TaskEnd::Source(end);
                    }
                },
                () = sleep_until_some(wake) => {
                    let now = clock.now().unwrap_or_default();
                    let deadline = self.decoder.next_deadline().unwrap_or_default();
                    self.decoder
                        .poll_timeout(now.max(deadline))
                        .map(|outcome| (outcome, deadline))
                }
                () = shutdown::requested(), if !stopping => {
                    stopping = true;
                    None
                }
            };
            // The frame is dated when it closed on the edge clock, before
            // it waits for an earlier frame's commit.
            if let Some((outcome, at)) = outcome {
                self.handle(outcome, wall_time(&clock, at)).await;
            }
        }
    }

    async fn handle(&mut self, outcome: Result<Frame, Reject>, when: DateTime<Utc>) {
        match outcome {
            Ok(frame) => self.store(frame, when).await,
            Err(reject) => self.log_reject(&reject),
        }
    }

    /// Counts a rejected frame and logs it, with repeats rate-limited: a
    /// noisy line rejects many bursts a second.
    fn log_reject(&self, reject: &Reject) {
        let reason = reject.kind().name();
        metrics::event_rejected(&self.reader.id, "punch", reason);
        let key = format!("wiegand frame rejected:{}", self.reader.id);
        match logging::admit(&key) {
            Some(suppressed) => warn!(
                reason,
                error = %reject,
                rejected_total = self.decoder.rejects().total(),
                suppressed,
                "Wiegand frame rejected"
            ),
            None => debug!(reason, error = %reject, "Wiegand frame rejected"),
        }
    }

    /// Stores the punch of `frame`, read at `when`, and confirms it once
    /// committed.
    async fn store(&mut self, frame: Frame, when: DateTime<Utc>) {
        let Some(event) = punch_event(self.reader, &self.site.staff, self.site.zone, frame, when)
        else {
            debug!(?frame, "keypad key ignored: keys are not credentials");
            return;
        };
        let subject = event.subject.clone().unwrap_or_default();

        match self.ingest.submit(event).await {
            Ok(outcome) => {
                info!(seq = outcome.seq(), pin = %subject, duplicate = outcome.is_duplicate(), "punch stored");
                if let Some(confirmation) = &self.confirmation {
                    if !confirmation.pulse() {
                        debug!("confirmation pulses queued already; this one is dropped");
                    }
                }
            }
            Err(failure) => {
                error!(error = %failure, pin = %subject, "failed to store punch; the reader gets no confirmation");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::TimeZone;
    use hallbox_drivers::wiegand::{DecoderConfig, Lines};

    use super::*;

    fn staff() -> Vec<Staff> {
        let person = |id: &str, pins: &[&str]| Staff {
            id: id.to_string(),
            name: id.to_string(),
            unit: "tax".to_string(),
            pins: pins.iter().map(|pin| pin.to_string()).collect(),
            start: None,
            end: None,
        };
        vec![
            person("S001", &["1001", "45678"]),
            person("S002", &["0042"]),
        ]
    }

    fn reader(credentials: Credentials) -> WiegandReader {
        WiegandReader {
            id: "door".to_string(),
            decoder: DecoderConfig::new(Lines { d0: 17, d1: 27 }),
            credentials,
            confirm: None,
        }
    }

    /// 2026-11-02 08:29:59 in Shanghai.
    fn morning() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 0, 29, 59).unwrap()
    }

    fn punch(credentials: Credentials, frame: Frame) -> NewEvent {
        let index = StaffIndex::new(&staff());
        let zone = chrono_tz::Asia::Shanghai;
        punch_event(&reader(credentials), &index, zone, frame, morning()).expect("a card frame")
    }

    const CARD: Frame = Frame::Card26 {
        facility: 123,
        card: 45678,
    };

    #[test]
    fn mapped_card_uses_first_pin() {
        let cards = BTreeMap::from([((123, 45678), "S001".to_string())]);
        let event = punch(Credentials::Map(cards), CARD);
        assert_eq!(event.kind, EventKind::Punch);
        assert_eq!(event.device_id, "door");
        assert_eq!(event.subject.as_deref(), Some("1001"));
        assert_eq!(event.idempotency_key, "punch:door:1001:2026-11-02T08:29:59");
        assert_eq!(event.device_time, Some(morning()));
        assert_eq!(event.received_at, morning());
        assert_eq!(event.raw, b"10111101110110010011011101".to_vec());
        assert_eq!(
            event.payload,
            serde_json::json!({
                "pin": "1001",
                "local_time": "2026-11-02 08:29:59",
                "source": "wiegand",
                "format": "card26",
                "facility": 123,
                "card": 45678,
                "staff_id": "S001",
            })
        );
    }

    #[test]
    fn unmapped_card_is_credential() {
        let event = punch(Credentials::Map(BTreeMap::new()), CARD);
        assert_eq!(event.subject.as_deref(), Some("123/45678"));
        assert_eq!(event.payload["staff_id"], serde_json::Value::Null);
        assert_eq!(
            event.idempotency_key,
            "punch:door:123/45678:2026-11-02T08:29:59"
        );
    }

    #[test]
    fn card_number_as_pin() {
        // S001's second PIN is 45678, so the punch goes under their first.
        let event = punch(Credentials::CardNumber, CARD);
        assert_eq!(event.subject.as_deref(), Some("1001"));
        assert_eq!(event.payload["staff_id"], "S001");

        // Card 42 matches S002's "0042" without its leading zeros.
        let frame = Frame::Card34 {
            facility: 9,
            card: 42,
        };
        let event = punch(Credentials::CardNumber, frame);
        assert_eq!(event.subject.as_deref(), Some("0042"));
        assert_eq!(event.payload["format"], "card34");
        assert_eq!(event.raw.len(), 34);
    }

    #[test]
    fn full_number_as_pin() {
        // 123 * 65536 + 45678 = 8106606, no one's PIN.
        let event = punch(Credentials::FullNumber, CARD);
        assert_eq!(event.subject.as_deref(), Some("8106606"));
        assert_eq!(event.payload["staff_id"], serde_json::Value::Null);
    }

    #[test]
    fn key_frame_no_punch() {
        let index = StaffIndex::new(&staff());
        let zone = chrono_tz::Asia::Shanghai;
        let reader = reader(Credentials::CardNumber);
        assert_eq!(
            punch_event(&reader, &index, zone, Frame::Key(5), morning()),
            None
        );
    }
}
