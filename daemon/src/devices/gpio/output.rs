//! Confirmation pulses on a reader's LED or beeper line.
//!
//! A reader task asks for a pulse only after the journal committed the
//! punch. A task of its own drives the line, so the reader goes on decoding
//! while the LED is lit. Pulses are played one after another with an idle
//! spacing, so two punches in quick succession flash or beep twice.

use std::time::Duration;

use hallbox_drivers::gpio::OutputLine;
use tokio::sync::mpsc;
use tracing::debug;

use crate::config::ConfirmOutput;

/// Idle time after each pulse before the next, 100 ms: long enough that two
/// beeps or flashes are heard or seen as two.
pub const PULSE_SPACING: Duration = Duration::from_millis(100);

/// Pulses that may wait behind the one being played. More are dropped: the
/// person at the reader has been signalled already.
const QUEUE_DEPTH: usize = 4;

/// Requests pulses from the task that owns the output line. Dropping it
/// lets the task finish the queued pulses and stop.
#[derive(Debug, Clone)]
pub struct Confirmation {
    queue: mpsc::Sender<()>,
}

impl Confirmation {
    /// Queues one pulse without waiting. Returns `false` when the queue was
    /// full and the pulse was dropped.
    pub fn pulse(&self) -> bool {
        self.queue.try_send(()).is_ok()
    }
}

/// Drives `output` to its idle level and starts the task that plays the
/// pulses of `settings`. Must run inside a tokio runtime.
pub fn spawn_confirmation<O: OutputLine>(mut output: O, settings: ConfirmOutput) -> Confirmation {
    let idle = settings.active.inverted();
    output.set_level(idle);

    let (queue, mut requests) = mpsc::channel::<()>(QUEUE_DEPTH);
    tokio::spawn(async move {
        while requests.recv().await.is_some() {
            output.set_level(settings.active);
            tokio::time::sleep(settings.pulse).await;
            output.set_level(idle);
            tokio::time::sleep(PULSE_SPACING).await;
        }
        debug!(pin = settings.pin, "confirmation output stopped");
    });
    Confirmation { queue }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use hallbox_drivers::edge::Level;
    use tokio::time::Instant;

    use super::*;

    /// Records each level set, with the tokio time since `start`.
    #[derive(Clone)]
    struct Recorder {
        start: Instant,
        levels: Arc<Mutex<Vec<(Level, Duration)>>>,
    }

    impl OutputLine for Recorder {
        fn set_level(&mut self, level: Level) {
            let at = self.start.elapsed();
            self.levels.lock().expect("recorder lock").push((level, at));
        }
    }

    fn recorder() -> Recorder {
        Recorder {
            start: Instant::now(),
            levels: Arc::default(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn pulses_active_low_in_turn() {
        let output = recorder();
        let levels = Arc::clone(&output.levels);
        let settings = ConfirmOutput {
            pin: 22,
            active: Level::Low,
            pulse: Duration::from_millis(200),
        };
        let confirmation = spawn_confirmation(output, settings);
        assert!(confirmation.pulse());
        assert!(confirmation.pulse());
        tokio::time::sleep(Duration::from_secs(1)).await;

        let ms = Duration::from_millis;
        // Idle high at once, then 200 ms low, 100 ms spacing, 200 ms low.
        assert_eq!(
            *levels.lock().expect("recorder lock"),
            vec![
                (Level::High, ms(0)),
                (Level::Low, ms(0)),
                (Level::High, ms(200)),
                (Level::Low, ms(300)),
                (Level::High, ms(500)),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn full_queue_drops_pulse() {
        let settings = ConfirmOutput {
            pin: 22,
            active: Level::High,
            pulse: Duration::from_millis(50),
        };
        let confirmation = spawn_confirmation(recorder(), settings);
        // Nothing has run yet: the queue takes QUEUE_DEPTH pulses.
        for _ in 0..QUEUE_DEPTH {
            assert!(confirmation.pulse());
        }
        assert!(!confirmation.pulse());
    }
}
