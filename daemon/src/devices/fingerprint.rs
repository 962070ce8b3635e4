//! Session of a UART fingerprint module (R30x, R503, AS608 family).
//!
//! The session carries out the actions of the driver's [`Poller`]: it writes
//! each command, delivers the module's reply or a timeout, and sleeps for
//! each requested wait. A match becomes a punch of the staff member
//! configured for the matched library page. Only after the commit does the
//! poller send the success LED signal. A failed commit, or a page that maps
//! to nobody, gets the failure signal, so the person punches again or tells
//! someone.
//!
//! The module has no clock: a punch carries the box's receive time as its
//! device time, and its idempotency key is `import::punch_key` of that
//! time to the second.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use chrono::Timelike;
use hallbox_drivers::fingerprint::{
    encode, Action, Decoder, Event, Packet, Poller, PollerConfig, Rejection,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tokio_serial::SerialStream;
use tracing::{debug, error, info, warn};

use super::link::SessionEnd;
use super::DeviceContext;
use crate::config::{FingerprintDevice, Staff};
use crate::import::punch_key;
use crate::journal::{EventKind, NewEvent};
use crate::shutdown;

/// Verify mode stored with a fingerprint punch: 1 is "fingerprint" in the
/// verify codes of ZKTeco clocks, which USB exports carry too.
const VERIFY_FINGERPRINT: u8 = 1;

/// The person enrolled on a library page.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Enrolled {
    staff_id: String,
    /// The staff member's first PIN, under which reports find the punch.
    pin: String,
}

/// Session of one fingerprint module; the page map is fixed at start.
pub struct Session {
    context: DeviceContext,
    poller: PollerConfig,
    pages: BTreeMap<u16, Enrolled>,
}

impl Session {
    /// Creates a session for the module of `context`; `staff` gives each
    /// page's PIN.
    pub fn new(context: DeviceContext, settings: &FingerprintDevice, staff: &[Staff]) -> Session {
        let pages = settings
            .pages
            .iter()
            .filter_map(|(page, staff_id)| {
                let person = staff.iter().find(|person| &person.id == staff_id)?;
                let pin = person.pins.first()?.clone();
                Some((
                    *page,
                    Enrolled {
                        staff_id: staff_id.clone(),
                        pin,
                    },
                ))
            })
            .collect();
        let poller = PollerConfig {
            address: settings.module_address,
            password: settings.password,
            poll_interval: settings.poll_interval,
            lift_poll_interval: settings.poll_interval,
            ack_timeout: settings.ack_timeout,
            search_timeout: settings.search_timeout,
            led: settings.led,
            ..PollerConfig::default()
        };
        Session {
            context,
            poller,
            pages,
        }
    }

    /// Runs the polling cycle until the port fails or the module stops
    /// responding.
    pub async fn run(self: Arc<Self>, mut stream: SerialStream) -> SessionEnd {
        let mut poller = Poller::new(self.poller.clone());
        let mut decoder = Decoder::new(self.poller.address);
        let mut events: VecDeque<Event> = VecDeque::from([Event::Start]);
        let mut timer: Option<(Instant, Event)> = None;
        let mut awaiting_reply = false;
        let mut last_reply: Option<Packet> = None;
        let mut buffer = [0u8; 512];

        loop {
            while let Some(event) = events.pop_front() {
                if let Event::AckReceived(packet) = &event {
                    last_reply = Some(packet.clone());
                }
                for action in poller.handle(event) {
                    match action {
                        Action::Send {
                            frame,
                            command,
                            ack_timeout,
                        } => {
                            // The link is half-duplex: nothing received
                            // before this command can be its reply.
                            decoder.discard_buffered();
                            debug!(command = command.name(), "sending");
                            if let Err(error) = stream.write_all(&frame).await {
                                return SessionEnd::Io(error);
                            }
                            awaiting_reply = true;
                            timer = Some((Instant::now() + ack_timeout, Event::TimedOut));
                        }
                        Action::DiscardInput => decoder.discard_buffered(),
                        Action::Wait(duration) => {
                            timer = Some((Instant::now() + duration, Event::Tick));
                        }
                        Action::Ready(parameters) => info!(
                            library_size = parameters.library_size,
                            security_level = parameters.security_level,
                            baud_rate = parameters.baud_rate(),
                            "fingerprint module ready"
                        ),
                        Action::Matched { page_id, score } => {
                            let raw = last_reply.as_ref().map(encode).unwrap_or_default();
                            events.push_back(self.commit(page_id, score, raw).await);
                        }
                        Action::Rejected { reason } => log_rejection(reason),
                        Action::Fault { command, code } => warn!(
                            command = command.name(),
                            %code,
                            "fingerprint module returned an error"
                        ),
                        Action::Unresponsive { failures } => {
                            return SessionEnd::Unresponsive(format!(
                                "no valid reply to {failures} commands in a row"
                            ));
                        }
                        Action::Halted { code } => {
                            error!(%code, "fingerprint module halted (check the configured password and module address)");
                            return SessionEnd::Unresponsive(format!("module halted: {code}"));
                        }
                    }
                }
            }

            let deadline = timer.as_ref().map(|(at, _)| *at);
            tokio::select! {
                read = stream.read(&mut buffer) => match read {
                    Ok(0) => return SessionEnd::Eof,
                    Err(error) => return SessionEnd::Io(error),
                    Ok(read) => {
                        decoder.push(&buffer[..read]);
                        while let Some(result) = decoder.next_packet() {
                            if !awaiting_reply {
                                debug!("ignored a packet that replies to no command");
                                continue;
                            }
                            awaiting_reply = false;
                            timer = None;
                            events.push_back(match result {
                                Ok(packet) => Event::AckReceived(packet),
                                Err(error) => {
                                    debug!(%error, "damaged reply from the fingerprint module");
                                    Event::AckGarbled
                                }
                            });
                            break;
                        }
                    }
                },
                () = shutdown::requested() => return SessionEnd::Shutdown,
                _ = sleep_until(deadline), if deadline.is_some() => {
                    if let Some((_, event)) = timer.take() {
                        if event == Event::TimedOut {
                            awaiting_reply = false;
                            debug!("fingerprint module reply timed out");
                        }
                        events.push_back(event);
                    }
                }
            }
        }
    }

    /// Stores the punch of the person on `page_id` and returns the event
    /// that reports the outcome to the poller.
    async fn commit(&self, page_id: u16, score: u16, raw: Vec<u8>) -> Event {
        let Some(person) = self.pages.get(&page_id) else {
            warn!(
                page_id,
                score, "matched a library page that no staff member is configured for; no punch stored (add it to the device's pages)"
            );
            return Event::CommitFailed;
        };
        let (now, local) = self.context.now();
        if self.context.clock_unset(local) {
            warn!(page_id, box_time = %local, "box clock is not set, so the fingerprint punch was rejected; set the clock (NTP or a real-time clock)");
            return Event::CommitFailed;
        }
        let local = local.with_nanosecond(0).unwrap_or(local);
        let event = NewEvent {
            kind: EventKind::Punch,
            device_id: self.context.device_id.clone(),
            idempotency_key: punch_key(&self.context.device_id, &person.pin, local),
            device_time: Some(now),
            received_at: now,
            subject: Some(person.pin.clone()),
            raw,
            payload: serde_json::json!({
                "pin": person.pin,
                "local_time": local.format("%Y-%m-%d %H:%M:%S").to_string(),
                "status": null,
                "verify": VERIFY_FINGERPRINT,
                "source": "fingerprint",
                "page_id": page_id,
                "staff_id": person.staff_id,
            }),
        };
        match self.context.ingest.submit(event).await {
            Ok(appended) => {
                info!(staff = %person.staff_id, page_id, score, seq = appended.seq(), duplicate = appended.is_duplicate(), "fingerprint punch stored");
                Event::Committed
            }
            Err(failure) => {
                error!(
                    device = %self.context.device_id,
                    staff = %person.staff_id,
                    page_id,
                    error = %failure,
                    "failed to store fingerprint punch; showing failure on the module"
                );
                Event::CommitFailed
            }
        }
    }
}

/// Sleeps until `deadline`; never resolves without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn log_rejection(reason: Rejection) {
    match reason {
        Rejection::NotFound => info!("finger not enrolled on the module"),
        Rejection::PoorImage(code) => {
            debug!(%code, "finger image unusable; place the finger again")
        }
        Rejection::Module(code) => warn!(%code, "fingerprint module failed to process the finger"),
    }
}
