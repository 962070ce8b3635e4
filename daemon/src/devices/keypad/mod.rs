//! Session of a satisfaction keypad bus (`docs/protocols/keypad.md`).
//!
//! Frames from every keypad on the bus are decoded in one loop. A new PRESS
//! becomes a rating event that is committed in a task of its own, so that
//! presses from several keypads share one group commit. Its ACK goes out
//! when the commit returns, or a NAK "storage failure" when it fails. HELLO
//! gets its ACK at once. Resends, repeats and sequence wraparound are decided
//! by [`book`], from memory that [`history`] restores from the journal.

pub mod book;
pub mod history;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use hallbox_drivers::keypad::{encode, Decoder, Frame, Hello, NakReason, Press};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;
use tokio_serial::SerialStream;
use tracing::{debug, error, info, warn};

use self::book::{rating_key, KeypadMemory, PressAction, StoredPress};
use super::link::SessionEnd;
use super::DeviceContext;
use crate::config::KeypadDevice;
use crate::ingest::IngestError;
use crate::journal::{Appended, EventKind, NewEvent};
use crate::rules::ratings::Level;
use crate::shutdown;

/// "Retry after" of a NAK for a failed commit, in ms: the keypad protocol
/// suggests about 2000.
const STORAGE_RETRY_MS: u16 = 2_000;
/// "Retry after" of a NAK while the box's clock is not set, in ms.
const CLOCK_UNSET_RETRY_MS: u16 = 5_000;
/// "Retry after" of a NAK while another press of the keypad is committed,
/// in ms: one commit takes milliseconds, so the keypad's own ACK timeout
/// (0 in the frame) is ample.
const BUSY_RETRY_MS: u16 = 0;
/// A keypad silent this long is reported offline: three heartbeats of 60 s.
const OFFLINE_AFTER: Duration = Duration::from_secs(180);
/// How often the session looks for silent keypads.
const OFFLINE_CHECK: Duration = Duration::from_secs(15);

/// Session of one keypad bus; the memory lives across reconnects.
pub struct Session {
    context: DeviceContext,
    settings: KeypadDevice,
    repeat_window_secs: u32,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Memory of each configured address.
    keypads: BTreeMap<u8, KeypadMemory>,
    /// Whether the last presses were read back from the journal.
    restored: bool,
    /// Unconfigured addresses already logged, so each is logged once.
    unknown_logged: BTreeSet<u8>,
    /// Last good frame of each address, for the offline report.
    last_frame: BTreeMap<u8, Instant>,
    /// Addresses reported offline and not heard from since.
    offline: BTreeSet<u8>,
}

/// A finished commit of one press.
struct Commit {
    press: Press,
    stored: StoredPress,
    result: Result<Appended, IngestError>,
}

/// Frames to send to the bus, in order.
type Replies = Vec<Frame>;

impl Session {
    /// Creates a session for the bus of `context` with `settings`. A press
    /// less than `repeat_window_secs` after the previous press of the same
    /// keypad is marked as a repeat.
    pub fn new(context: DeviceContext, settings: KeypadDevice, repeat_window_secs: u32) -> Session {
        let keypads = settings
            .keypads
            .keys()
            .map(|address| (*address, KeypadMemory::default()))
            .collect();
        Session {
            context,
            settings,
            repeat_window_secs,
            state: Mutex::new(State {
                keypads,
                ..State::default()
            }),
        }
    }

    /// Runs the protocol until the port fails or ends, or the daemon stops.
    /// Commits still in flight then finish, so the memory records what was
    /// stored. On a lost port their replies are lost and the keypads resend.
    pub async fn run(self: Arc<Self>, mut stream: SerialStream) -> SessionEnd {
        if let Err(error) = Arc::clone(&self).restore().await {
            warn!(error = %crate::api::error::error_chain(&error), "failed to restore keypad memory from the journal; resends after a restart may be stored as new presses");
        }
        let started = Instant::now();
        let mut decoder = Decoder::new();
        let mut commits: JoinSet<Commit> = JoinSet::new();
        let mut buffer = [0u8; 1024];
        let mut last_received = Instant::now();
        let mut rejections_seen = 0u64;
        let mut offline_check = tokio::time::interval(OFFLINE_CHECK);
        let turnaround = self.settings.turnaround;

        let end = loop {
            let replies = tokio::select! {
                read = stream.read(&mut buffer) => match read {
                    Ok(0) => break SessionEnd::Eof,
                    Err(error) => break SessionEnd::Io(error),
                    Ok(read) => {
                        last_received = Instant::now();
                        decoder.push(&buffer[..read]);
                        let mut replies = Replies::new();
                        while let Some(frame) = decoder.next_frame() {
                            replies.extend(self.handle_frame(frame, &mut commits));
                        }
                        self.log_rejections(&decoder, &mut rejections_seen);
                        replies
                    }
                },
                Some(done) = commits.join_next(), if !commits.is_empty() => {
                    // Presses of one group commit finish together: reply to
                    // them in one write, after one turnaround.
                    let mut replies = Replies::new();
                    let mut next = Some(done);
                    while let Some(done) = next {
                        match done {
                            Ok(commit) => replies.push(self.finish(commit)),
                            Err(error) => error!(%error, "keypad commit task failed"),
                        }
                        next = commits.try_join_next();
                    }
                    replies
                }
                _ = offline_check.tick() => {
                    self.check_offline(started);
                    Vec::new()
                }
                () = shutdown::requested() => break SessionEnd::Shutdown,
            };
            if let Err(error) = send(&mut stream, &replies, last_received, turnaround).await {
                break SessionEnd::Io(error);
            }
        };

        // On a stop request the port still works: the presses in hand get
        // their replies, so no keypad resends a press that was stored.
        let mut replies = Replies::new();
        while let Some(done) = commits.join_next().await {
            if let Ok(commit) = done {
                replies.push(self.finish(commit));
            }
        }
        if matches!(end, SessionEnd::Shutdown) {
            if let Err(error) = send(&mut stream, &replies, last_received, turnaround).await {
                warn!(%error, "failed to send the last keypad replies before stopping");
            }
        }
        end
    }

    /// Reads every configured keypad's last press from the journal, once
    /// per daemon run.
    async fn restore(self: Arc<Self>) -> Result<(), history::HistoryError> {
        if self.lock().restored {
            return Ok(());
        }
        let session = Arc::clone(&self);
        let restored = tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            for (address, window) in &session.settings.keypads {
                let last = history::last_press(
                    &session.context.journal_path,
                    &session.context.device_id,
                    *address,
                    window,
                )?;
                found.push((*address, last));
            }
            Ok::<_, history::HistoryError>(found)
        })
        .await
        .unwrap_or_else(|_| Ok(Vec::new()))?;

        let mut state = self.lock();
        for (address, last) in restored {
            if let Some(memory) = state.keypads.get_mut(&address) {
                // A press stored in this run is newer than the journal's.
                if memory.last.is_none() {
                    memory.last = last;
                }
            }
        }
        state.restored = true;
        Ok(())
    }

    fn handle_frame(&self, frame: Frame, commits: &mut JoinSet<Commit>) -> Option<Frame> {
        match frame {
            Frame::Hello(hello) => Some(self.handle_hello(&hello)),
            Frame::Press(press) => self.handle_press(&press, commits),
            Frame::Ack(_) | Frame::Nak(_) => {
                debug!(address = %frame.address(), "ignored a box reply on the bus");
                None
            }
        }
    }

    fn handle_hello(&self, hello: &Hello) -> Frame {
        let address = hello.address.get();
        if !self.known(address) {
            return Frame::Nak(hello.nak(NakReason::UnknownKeypad, 0));
        }
        let mut state = self.lock();
        self.heard(&mut state, address);
        if let Some(memory) = state.keypads.get_mut(&address) {
            if memory.seen_session != Some(hello.session) {
                info!(
                    address,
                    session = format_args!("{:08x}", hello.session),
                    reset_cause = ?hello.reset_cause,
                    firmware = %hello.firmware,
                    buttons = hello.button_count,
                    "keypad started a new session"
                );
                memory.seen_session = Some(hello.session);
            }
        }
        Frame::Ack(hello.ack())
    }

    fn handle_press(&self, press: &Press, commits: &mut JoinSet<Commit>) -> Option<Frame> {
        let address = press.address.get();
        if !self.known(address) {
            return Some(Frame::Nak(press.nak(NakReason::UnknownKeypad, 0)));
        }
        let button = press.button.get();
        let level = match self.settings.buttons.level(button) {
            Ok(level) => level,
            Err(error) => {
                warn!(address, button, %error, "keypad press with an unmapped button");
                return Some(Frame::Nak(press.nak(NakReason::UnknownButton, 0)));
            }
        };
        let (now, local) = self.context.now();
        if self.context.clock_unset(local) {
            warn!(address, box_time = %local, "box clock is not set, so the keypad press got NAK busy; set the clock (NTP or a real-time clock)");
            return Some(Frame::Nak(press.nak(NakReason::Busy, CLOCK_UNSET_RETRY_MS)));
        }

        let mut state = self.lock();
        self.heard(&mut state, address);
        let memory = state.keypads.get_mut(&address)?;
        memory.seen_session = Some(press.session);
        match memory.decide(press, local, self.repeat_window_secs) {
            PressAction::Resend { conflict } => {
                if conflict {
                    warn!(
                        address,
                        sequence = press.sequence,
                        button,
                        "keypad resent a stored press with another button or time; stored nothing"
                    );
                }
                debug!(
                    address,
                    sequence = press.sequence,
                    "resend of a stored press"
                );
                Some(Frame::Ack(press.ack(true)))
            }
            PressAction::InFlight => None,
            PressAction::Busy => Some(Frame::Nak(press.nak(NakReason::Busy, BUSY_RETRY_MS))),
            PressAction::New { epoch, repeat } => {
                memory.in_flight = Some((press.session, press.sequence));
                let stored = StoredPress {
                    session: press.session,
                    epoch,
                    sequence: press.sequence,
                    button,
                    pressed_at_ms: press.pressed_at_ms,
                    local,
                };
                let event = self.rating_event(press, &stored, level, repeat, now);
                let ingest = self.context.ingest.clone();
                let press = *press;
                commits.spawn(async move {
                    let result = ingest.submit(event).await;
                    Commit {
                        press,
                        stored,
                        result,
                    }
                });
                None
            }
        }
    }

    /// Records a finished commit and returns the reply to the keypad.
    fn finish(&self, commit: Commit) -> Frame {
        let Commit {
            press,
            stored,
            result,
        } = commit;
        let address = press.address.get();
        let mut state = self.lock();
        let memory = state.keypads.entry(address).or_default();
        memory.in_flight = None;
        match result {
            Ok(appended) => {
                memory.last = Some(stored);
                debug!(
                    address,
                    sequence = press.sequence,
                    seq = appended.seq(),
                    duplicate = appended.is_duplicate(),
                    "stored keypad press"
                );
                Frame::Ack(press.ack(appended.is_duplicate()))
            }
            Err(failure) => {
                error!(
                    device = %self.context.device_id,
                    address,
                    sequence = press.sequence,
                    error = %failure,
                    "failed to store keypad press; sent NAK storage failure"
                );
                Frame::Nak(press.nak(NakReason::StorageFailure, STORAGE_RETRY_MS))
            }
        }
    }

    fn rating_event(
        &self,
        press: &Press,
        stored: &StoredPress,
        level: Level,
        repeat: bool,
        now: DateTime<Utc>,
    ) -> NewEvent {
        let address = press.address.get();
        let window = self
            .settings
            .keypads
            .get(&address)
            .cloned()
            .unwrap_or_default();
        let payload = serde_json::json!({
            "window_id": window,
            "keypad_address": address,
            "session": press.session,
            "sequence": press.sequence,
            "button": press.button.get(),
            "level": level.as_str(),
            "repeat": repeat,
            "local_time": format_local(stored.local),
        });
        NewEvent {
            kind: EventKind::Rating,
            device_id: self.context.device_id.clone(),
            idempotency_key: rating_key(
                &self.context.device_id,
                address,
                press.session,
                stored.epoch,
                press.sequence,
            ),
            device_time: Some(now),
            received_at: now,
            subject: Some(window),
            raw: encode(&Frame::Press(*press)),
            payload,
        }
    }

    fn known(&self, address: u8) -> bool {
        if self.settings.keypads.contains_key(&address) {
            return true;
        }
        if self.lock().unknown_logged.insert(address) {
            warn!(
                address,
                "frame from a keypad address that is not configured; sent NAK unknown keypad"
            );
        }
        false
    }

    fn heard(&self, state: &mut State, address: u8) {
        state.last_frame.insert(address, Instant::now());
        if state.offline.remove(&address) {
            info!(address, "keypad is back online");
        }
    }

    fn check_offline(&self, started: Instant) {
        let mut state = self.lock();
        let now = Instant::now();
        for address in self.settings.keypads.keys() {
            let last = state.last_frame.get(address).copied().unwrap_or(started);
            if now.duration_since(last) >= OFFLINE_AFTER && state.offline.insert(*address) {
                warn!(
                    address,
                    window = %self.settings.keypads[address],
                    silent_s = now.duration_since(last).as_secs(),
                    "keypad offline: no frame for 180 s"
                );
            }
        }
    }

    fn log_rejections(&self, decoder: &Decoder, seen: &mut u64) {
        let total = decoder.total_rejected();
        if total == *seen {
            return;
        }
        crate::metrics::events_rejected(&self.context.device_id, "rating", "frame", total - *seen);
        let first = *seen == 0;
        let crossed_hundred = total / 100 > *seen / 100;
        *seen = total;
        if first || crossed_hundred {
            let counts: Vec<String> = hallbox_drivers::keypad::Rejection::ALL
                .iter()
                .filter(|reason| decoder.rejected(**reason) > 0)
                .map(|reason| format!("{}={}", reason.as_str(), decoder.rejected(*reason)))
                .collect();
            warn!(rejected = total, counts = %counts.join(" "), "dropped damaged keypad frames (check wiring, termination and baud rate)");
        } else {
            debug!(rejected = total, "dropped a damaged keypad frame");
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state contains plain values that stay valid if a holder panicked.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Writes `replies` once the bus has been quiet for `turnaround` since the
/// last received byte.
async fn send(
    stream: &mut SerialStream,
    replies: &[Frame],
    last_received: Instant,
    turnaround: Duration,
) -> std::io::Result<()> {
    if replies.is_empty() {
        return Ok(());
    }
    let quiet = last_received.elapsed();
    if quiet < turnaround {
        tokio::time::sleep(turnaround - quiet).await;
    }
    let mut bytes = Vec::new();
    for reply in replies {
        bytes.extend_from_slice(&encode(reply));
    }
    stream.write_all(&bytes).await
}

fn format_local(local: NaiveDateTime) -> String {
    local.format("%Y-%m-%d %H:%M:%S").to_string()
}
