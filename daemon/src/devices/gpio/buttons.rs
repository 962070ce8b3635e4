//! Satisfaction keypads with one GPIO input per button.
//!
//! Each button's line is debounced by the kernel where the GPIO driver
//! supports it, and by [`Debouncer`] otherwise. A debounced press becomes a
//! rating event exactly like a serial keypad's. It is an
//! `EventKind::Rating` with the keypad's id as device, the window id as
//! subject and the box's time as device time. Its payload has the button,
//! its level and whether it repeats the previous press on this keypad.
//!
//! The idempotency key is `press:<keypad>:<local time>:<kernel ns>`, with
//! the kernel timestamp of the press. The kernel clock restarts at boot, and
//! the local time to the second keeps presses of two boots apart.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use hallbox_drivers::button::{ButtonEvent, DebounceConfig, Debouncer};
use hallbox_drivers::edge::{Edge, EdgeError, EdgeSource, Level};
use hallbox_drivers::gpio::{Bias, GpioError, InputInfo, InputRequest};
use tracing::{debug, error, info, warn, Instrument};

use super::{
    journal_status, report_end, report_start_failure, role_of, sleep_until_some, wall_time,
    EdgeClock, GpioBackend, Site, StartError, TaskEnd,
};
use crate::config::ButtonKeypad;
use crate::ingest::IngestHandle;
use crate::journal::{EventKind, NewEvent};
use crate::rules::ratings::is_repeat;
use crate::time::utc_to_local;
use crate::{metrics, shutdown};

/// One debounced press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ButtonPress {
    /// Button number.
    pub button: u8,
    /// Kernel timestamp of the edge that started the press.
    pub at: Duration,
    /// Whether it repeats the previous press on the keypad.
    pub repeat: bool,
}

/// Builds the rating event of `press` on `keypad` at box time `now`.
///
/// # Errors
///
/// The level lookup's message when the button is not in the keypad's map,
/// which validation rules out.
pub fn press_event(
    keypad: &ButtonKeypad,
    zone: Tz,
    press: ButtonPress,
    now: DateTime<Utc>,
) -> Result<NewEvent, String> {
    let level = keypad
        .levels
        .level(press.button)
        .map_err(|error| error.to_string())?;
    let local = utc_to_local(zone, now);
    let local_text = local.format("%Y-%m-%d %H:%M:%S").to_string();
    Ok(NewEvent {
        kind: EventKind::Rating,
        device_id: keypad.id.clone(),
        idempotency_key: format!(
            "press:{}:{}:{}",
            keypad.id,
            local.format("%Y-%m-%dT%H:%M:%S"),
            press.at.as_nanos()
        ),
        device_time: Some(now),
        received_at: now,
        subject: Some(keypad.window.clone()),
        raw: Vec::new(),
        payload: serde_json::json!({
            "window_id": keypad.window,
            "button": press.button,
            "level": level.as_str(),
            "repeat": press.repeat,
            "local_time": local_text,
            "source": "gpio_buttons",
        }),
    })
}

/// One button: its number, pin and debouncer.
struct Button {
    number: u8,
    pin: u8,
    debouncer: Debouncer,
}

/// Runs one keypad until its edge source ends.
pub(super) async fn run<B: GpioBackend>(
    keypad: ButtonKeypad,
    site: Arc<Site>,
    ingest: IngestHandle,
    backend: Arc<B>,
) {
    let span = tracing::info_span!("device", device = %keypad.id, window = %keypad.window);
    async move {
        metrics::device_configured(&keypad.id);
        let roles: Vec<(u8, String)> = keypad
            .buttons
            .iter()
            .map(|(button, pin)| (*pin, format!("button {button}")))
            .collect();
        let pins: serde_json::Map<String, serde_json::Value> = keypad
            .buttons
            .iter()
            .map(|(button, pin)| (button.to_string(), (*pin).into()))
            .collect();
        let pins = serde_json::Value::Object(pins);

        let (source, buttons) = match open(&keypad, backend.as_ref()) {
            Ok(opened) => opened,
            Err(source) => {
                let error = StartError {
                    device: keypad.id.clone(),
                    role: role_of(source.pin(), &roles),
                    source,
                };
                report_start_failure(&ingest, error, pins).await;
                return;
            }
        };

        info!("button keypad started");
        metrics::device_connected(&keypad.id, true);
        journal_status(&ingest, &keypad.id, pins.clone(), "connected", None).await;
        let mut task = KeypadTask {
            keypad: &keypad,
            zone: site.zone,
            repeat_window_secs: site.repeat_window_secs,
            ingest: &ingest,
            buttons,
            previous_press: None,
        };
        let end = task.watch(source).await;
        report_end(&ingest, &keypad.id, pins, end).await;
    }
    .instrument(span)
    .await
}

/// Opens the button inputs, asking the kernel to debounce them, and sets up
/// a software debouncer for each: with the kernel's debounce it passes
/// every edge on, without it it waits the debounce time itself.
fn open<B: GpioBackend>(
    keypad: &ButtonKeypad,
    backend: &B,
) -> Result<(B::Inputs, Vec<Button>), GpioError> {
    let bias = match keypad.active {
        Level::Low => Bias::PullUp,
        Level::High => Bias::PullDown,
    };
    let debounce = (!keypad.debounce.is_zero()).then_some(keypad.debounce);
    let requests: Vec<InputRequest> = keypad
        .buttons
        .iter()
        .map(|(_, pin)| InputRequest {
            pin: *pin,
            bias,
            debounce,
        })
        .collect();
    let (source, info) = backend.open_inputs(&keypad.id, &requests)?;

    let buttons = keypad
        .buttons
        .iter()
        .map(|(number, pin)| {
            let state = info.iter().find(|input| input.pin == *pin);
            let settle = match state {
                Some(InputInfo {
                    kernel_debounce: true,
                    ..
                }) => Duration::ZERO,
                _ => keypad.debounce,
            };
            let config = DebounceConfig {
                active: keypad.active,
                press_time: settle,
                release_time: settle,
            };
            // A pin with no reading starts released.
            let level = state.map_or(keypad.active.inverted(), |input| input.level);
            Button {
                number: *number,
                pin: *pin,
                debouncer: Debouncer::new(config, level, Duration::ZERO),
            }
        })
        .collect();
    Ok((source, buttons))
}

/// One running keypad.
struct KeypadTask<'a> {
    keypad: &'a ButtonKeypad,
    zone: Tz,
    repeat_window_secs: u32,
    ingest: &'a IngestHandle,
    buttons: Vec<Button>,
    /// Local time of the previous press on this keypad since the daemon
    /// started.
    previous_press: Option<NaiveDateTime>,
}

impl KeypadTask<'_> {
    /// Debounces edges until the source ends or, on a stop request, until
    /// no press is settling.
    async fn watch<S: EdgeSource>(&mut self, mut source: S) -> TaskEnd {
        let mut clock = EdgeClock::default();
        let mut stopping = false;
        loop {
            let deadline = self.next_deadline();
            if stopping && deadline.is_none() {
                return TaskEnd::Stopped;
            }
            let wake = deadline.map(|at| clock.instant_of(at));
            let events = tokio::select! {
                biased;
                edge = source.next_edge() => match edge {
                    Ok(edge) => {
                        clock.observe(edge.timestamp);
                        self.push(edge)
                    }
                    Err(EdgeError::EdgesLost { count, .. }) => {
                        // The next edge of the same level restarts the
                        // settle time, so a lost edge costs at most a press.
                        warn!(count, "GPIO edges lost on the keypad");
                        Vec::new()
                    }
                    Err(end) => {
                        // No edge can follow, so every pending level is final.
                        let events = self.poll(Duration::MAX);
                        self.handle(events, &clock).await;
                        return TaskEnd::Source(end);
                    }
                },
                () = sleep_until_some(wake) => {
                    let now = clock.now().unwrap_or_default();
                    self.poll(now.max(deadline.unwrap_or_default()))
                }
                () = shutdown::requested(), if !stopping => {
                    stopping = true;
                    Vec::new()
                }
            };
            self.handle(events, &clock).await;
        }
    }

    fn next_deadline(&self) -> Option<Duration> {
        self.buttons
            .iter()
            .filter_map(|button| button.debouncer.next_deadline())
            .min()
    }

    fn push(&mut self, edge: Edge) -> Vec<(u8, ButtonEvent)> {
        let Some(button) = self.buttons.iter_mut().find(|b| b.pin == edge.line) else {
            debug!(line = edge.line, "edge on a line of no button ignored");
            return Vec::new();
        };
        let number = button.number;
        button
            .debouncer
            .push_level(edge.level, edge.timestamp)
            .map(|event| (number, event))
            .into_iter()
            .collect()
    }

    fn poll(&mut self, now: Duration) -> Vec<(u8, ButtonEvent)> {
        let mut events: Vec<(u8, ButtonEvent)> = self
            .buttons
            .iter_mut()
            .filter_map(|button| {
                let event = button.debouncer.poll(now)?;
                Some((button.number, event))
            })
            .collect();
        events.sort_by_key(|(_, event)| event_time(event));
        events
    }

    async fn handle(&mut self, events: Vec<(u8, ButtonEvent)>, clock: &EdgeClock) {
        // Dated before any of them is stored, so none waits on another.
        let dated: Vec<(u8, ButtonEvent, DateTime<Utc>)> = events
            .into_iter()
            .map(|(button, event)| (button, event, wall_time(clock, event_time(&event))))
            .collect();
        for (button, event, when) in dated {
            match event {
                ButtonEvent::Pressed { at } => self.store(button, at, when).await,
                ButtonEvent::Released { .. } => debug!(button, "button released"),
            }
        }
    }

    /// Stores the rating of one press made at `now`.
    async fn store(&mut self, button: u8, at: Duration, now: DateTime<Utc>) {
        let local = utc_to_local(self.zone, now);
        // NOTE: after a restart the first press is compared with no earlier
        // one. The ratings report recomputes repeats from the journal.
        let repeat = self
            .previous_press
            .is_some_and(|previous| is_repeat(previous, local, self.repeat_window_secs));
        self.previous_press = Some(local);

        let press = ButtonPress { button, at, repeat };
        let event = match press_event(self.keypad, self.zone, press, now) {
            Ok(event) => event,
            Err(reason) => {
                error!(button, error = %reason, "press not stored");
                return;
            }
        };
        match self.ingest.submit(event).await {
            Ok(outcome) => info!(seq = outcome.seq(), button, repeat, "rating stored"),
            Err(failure) => error!(button, error = %failure, "failed to store rating"),
        }
    }
}

fn event_time(event: &ButtonEvent) -> Duration {
    match *event {
        ButtonEvent::Pressed { at } | ButtonEvent::Released { at } => at,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::rules::ratings::{ButtonMap, Level as Rating};

    fn keypad() -> ButtonKeypad {
        ButtonKeypad {
            id: "kp-w01".to_string(),
            window: "W01".to_string(),
            buttons: vec![(1, 5), (2, 6), (3, 13), (4, 19), (5, 26)],
            active: Level::Low,
            debounce: Duration::from_millis(30),
            levels: ButtonMap::default_for(5).expect("5-button default"),
        }
    }

    #[test]
    fn press_event_fields() {
        // 2026-11-02 10:00:00 in Shanghai.
        let now = Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).unwrap();
        let press = ButtonPress {
            button: 4,
            at: Duration::from_nanos(12_345_678_901),
            repeat: true,
        };
        let event =
            press_event(&keypad(), chrono_tz::Asia::Shanghai, press, now).expect("button 4");
        assert_eq!(event.kind, EventKind::Rating);
        assert_eq!(event.device_id, "kp-w01");
        assert_eq!(event.subject.as_deref(), Some("W01"));
        assert_eq!(
            event.idempotency_key,
            "press:kp-w01:2026-11-02T10:00:00:12345678901"
        );
        assert_eq!(event.device_time, Some(now));
        assert_eq!(
            event.payload,
            serde_json::json!({
                "window_id": "W01",
                "button": 4,
                "level": "unsatisfied",
                "repeat": true,
                "local_time": "2026-11-02 10:00:00",
                "source": "gpio_buttons",
            })
        );
        assert_eq!(Rating::Unsatisfied.as_str(), "unsatisfied");
    }

    #[test]
    fn press_event_unmapped_button() {
        let now = Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).unwrap();
        let press = ButtonPress {
            button: 9,
            at: Duration::ZERO,
            repeat: false,
        };
        let error = press_event(&keypad(), chrono_tz::Asia::Shanghai, press, now)
            .expect_err("button 9 is not mapped");
        assert!(error.contains("button 9"), "{error}");
    }
}
