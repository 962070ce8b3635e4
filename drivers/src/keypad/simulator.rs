//! Simulated keypad: the keypad side of the protocol as a pure state machine.
//!
//! Tests, and a demo that drives keypads over pseudo-terminals, pass the
//! keypad's uptime in ms to every call, and write and read the frames
//! themselves. The simulation follows the keypad rules of the protocol: one
//! frame outstanding at a time, a resend carries the same bytes, each new
//! PRESS takes the next sequence number, and HELLO takes none.
//!
//! NOTE: real firmware adds a random delay of 0 to 250 ms before each resend
//! so that two keypads whose frames collided do not collide again. The
//! simulation resends exactly [`ACK_TIMEOUT_MS`] after the last transmission
//! so that tests can predict every step.

use super::frame::{
    Address, Button, FirmwareVersion, Frame, Hello, NakReason, Press, RequestType, ResetCause,
};
use super::{KeypadError, ACK_TIMEOUT_MS, MAX_ATTEMPTS};

/// Firmware version that a [`SimulatedKeypad`] reports in HELLO.
const SIMULATED_FIRMWARE: FirmwareVersion = FirmwareVersion {
    major: 1,
    minor: 0,
    patch: 0,
};

/// Number of buttons that a [`SimulatedKeypad`] reports in HELLO, as on the
/// common five-button keypad.
const SIMULATED_BUTTON_COUNT: u8 = 5;

/// Outcome of a frame received by the keypad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reception {
    /// An ACK of the outstanding frame, which is now done. The keypad shows
    /// its thank-you sign for a press.
    Acknowledged {
        /// Type of the acknowledged frame.
        request: RequestType,
        /// Sequence number field of the acknowledged frame.
        sequence: u16,
        /// Whether the box had stored the press before.
        duplicate: bool,
    },
    /// A NAK with a transient reason. The keypad resends at `resend_at_ms`
    /// unless it has used up its attempts.
    RetryScheduled {
        /// Sequence number field of the outstanding frame.
        sequence: u16,
        /// Reason sent by the box.
        reason: NakReason,
        /// Uptime in ms at which [`SimulatedKeypad::poll`] resends.
        resend_at_ms: u32,
    },
    /// A NAK with a permanent reason. The keypad drops the frame and shows
    /// its failure sign for a press.
    Rejected {
        /// Type of the rejected frame.
        request: RequestType,
        /// Sequence number field of the rejected frame.
        sequence: u16,
        /// Reason sent by the box.
        reason: NakReason,
    },
    /// The frame is not a reply to the outstanding frame of this keypad:
    /// a keypad frame, another address, another session or sequence number,
    /// or nothing outstanding.
    Ignored,
}

/// Result of [`SimulatedKeypad::poll`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// No frame is outstanding.
    Idle,
    /// A frame is outstanding and its resend is not due yet.
    Waiting,
    /// The resend is due: send these bytes, which equal the first
    /// transmission.
    Resend(Frame),
    /// The last attempt timed out, so the keypad dropped the frame and shows
    /// its failure sign for a press.
    GaveUp {
        /// Type of the dropped frame.
        request: RequestType,
        /// Sequence number field of the dropped frame.
        sequence: u16,
    },
}

/// Frame waiting for ACK or NAK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Outstanding {
    frame: Frame,
    attempts: u8,
    resend_at_ms: u32,
}

/// Keypad side of the protocol, without I/O and without a clock of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedKeypad {
    address: Address,
    session: u32,
    next_sequence: u16,
    outstanding: Option<Outstanding>,
}

impl SimulatedKeypad {
    /// Creates a keypad just after boot, with session id `session` and next
    /// sequence number 0.
    pub fn new(address: Address, session: u32) -> Self {
        Self {
            address,
            session,
            next_sequence: 0,
            outstanding: None,
        }
    }

    /// Sets the sequence number of the next PRESS, for example 65535 to test
    /// wraparound.
    pub fn with_next_sequence(mut self, next_sequence: u16) -> Self {
        self.next_sequence = next_sequence;
        self
    }

    /// Address of the keypad.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Session id of the current boot.
    pub fn session(&self) -> u32 {
        self.session
    }

    /// Sequence number that the next PRESS will carry.
    pub fn next_sequence(&self) -> u16 {
        self.next_sequence
    }

    /// Frame waiting for a reply, if any.
    pub fn outstanding(&self) -> Option<&Frame> {
        self.outstanding
            .as_ref()
            .map(|outstanding| &outstanding.frame)
    }

    /// Number of transmissions of the outstanding frame so far, or 0.
    pub fn attempts(&self) -> u8 {
        self.outstanding
            .map_or(0, |outstanding| outstanding.attempts)
    }

    /// Simulates a reboot: a new session id, next sequence number 0, and the
    /// outstanding frame lost with the keypad's RAM.
    pub fn reboot(&mut self, session: u32) {
        self.session = session;
        self.next_sequence = 0;
        self.outstanding = None;
    }

    /// Builds a HELLO sent at uptime `now_ms` and makes it the outstanding
    /// frame. HELLO carries the next PRESS sequence number and uses none.
    pub fn hello(&mut self, reset_cause: ResetCause, now_ms: u32) -> Result<Frame, KeypadError> {
        self.check_idle()?;
        let frame = Frame::Hello(Hello {
            address: self.address,
            session: self.session,
            next_sequence: self.next_sequence,
            firmware: SIMULATED_FIRMWARE,
            button_count: SIMULATED_BUTTON_COUNT,
            uptime_ms: now_ms,
            reset_cause,
        });
        Ok(self.send_first(frame, now_ms))
    }

    /// Builds the PRESS for `button` pressed at uptime `now_ms`, takes the
    /// next sequence number, and makes the PRESS the outstanding frame.
    ///
    /// A press replaces an outstanding HELLO, which the next heartbeat makes
    /// up for, but not an outstanding PRESS. The keypad ignores presses until
    /// the box replies to the first one or the keypad gives it up.
    pub fn press(&mut self, button: Button, now_ms: u32) -> Result<Frame, KeypadError> {
        if matches!(self.outstanding(), Some(Frame::Hello(_))) {
            self.outstanding = None;
        }
        self.check_idle()?;
        let frame = Frame::Press(Press {
            address: self.address,
            session: self.session,
            sequence: self.next_sequence,
            button,
            pressed_at_ms: now_ms,
        });
        self.next_sequence = self.next_sequence.wrapping_add(1);
        Ok(self.send_first(frame, now_ms))
    }

    /// Resends the outstanding frame now, whether or not its timer is due,
    /// and counts the attempt. Returns `None` when nothing is outstanding.
    /// The cap is checked by [`SimulatedKeypad::poll`] only.
    pub fn resend(&mut self, now_ms: u32) -> Option<Frame> {
        let outstanding = self.outstanding.as_mut()?;
        outstanding.attempts = outstanding.attempts.saturating_add(1);
        outstanding.resend_at_ms = now_ms.wrapping_add(ACK_TIMEOUT_MS);
        Some(outstanding.frame)
    }

    /// Advances the keypad to uptime `now_ms`: resends the outstanding frame
    /// when its timer is due, or gives it up after [`MAX_ATTEMPTS`]
    /// transmissions.
    pub fn poll(&mut self, now_ms: u32) -> Poll {
        let Some(outstanding) = self.outstanding else {
            return Poll::Idle;
        };
        if !is_due(now_ms, outstanding.resend_at_ms) {
            return Poll::Waiting;
        }
        if outstanding.attempts >= MAX_ATTEMPTS {
            self.outstanding = None;
            return Poll::GaveUp {
                request: request_type(&outstanding.frame),
                sequence: outstanding.frame.sequence(),
            };
        }
        match self.resend(now_ms) {
            Some(frame) => Poll::Resend(frame),
            None => Poll::Idle,
        }
    }

    /// Handles a frame read from the bus at uptime `now_ms`.
    pub fn receive(&mut self, frame: &Frame, now_ms: u32) -> Reception {
        let Some(outstanding) = self.outstanding else {
            return Reception::Ignored;
        };
        let expected = &outstanding.frame;
        let request = request_type(expected);
        let (reply_to, reply) = match frame {
            Frame::Ack(ack) => (ack.reply_to, Reply::Ack(ack.duplicate)),
            Frame::Nak(nak) => (nak.reply_to, Reply::Nak(nak.reason, nak.retry_after_ms)),
            Frame::Hello(_) | Frame::Press(_) => return Reception::Ignored,
        };
        let matches = frame.address() == self.address
            && frame.session() == self.session
            && frame.sequence() == expected.sequence()
            && reply_to == request;
        if !matches {
            return Reception::Ignored;
        }

        let sequence = expected.sequence();
        match reply {
            Reply::Ack(duplicate) => {
                self.outstanding = None;
                Reception::Acknowledged {
                    request,
                    sequence,
                    duplicate,
                }
            }
            Reply::Nak(reason, retry_after_ms) if reason.is_transient() => {
                let wait_ms = match retry_after_ms {
                    0 => ACK_TIMEOUT_MS,
                    wait => u32::from(wait),
                };
                let resend_at_ms = now_ms.wrapping_add(wait_ms);
                if let Some(outstanding) = self.outstanding.as_mut() {
                    outstanding.resend_at_ms = resend_at_ms;
                }
                Reception::RetryScheduled {
                    sequence,
                    reason,
                    resend_at_ms,
                }
            }
            Reply::Nak(reason, _) => {
                self.outstanding = None;
                Reception::Rejected {
                    request,
                    sequence,
                    reason,
                }
            }
        }
    }

    fn check_idle(&self) -> Result<(), KeypadError> {
        match &self.outstanding {
            Some(outstanding) => Err(KeypadError::FrameOutstanding {
                address: self.address,
                sequence: outstanding.frame.sequence(),
            }),
            None => Ok(()),
        }
    }

    fn send_first(&mut self, frame: Frame, now_ms: u32) -> Frame {
        self.outstanding = Some(Outstanding {
            frame,
            attempts: 1,
            resend_at_ms: now_ms.wrapping_add(ACK_TIMEOUT_MS),
        });
        frame
    }
}

/// Content of an ACK or NAK that the keypad acts on.
enum Reply {
    Ack(bool),
    Nak(NakReason, u16),
}

/// Type of a keypad frame as ACK and NAK name it. Only HELLO and PRESS are
/// ever outstanding.
fn request_type(frame: &Frame) -> RequestType {
    match frame {
        Frame::Hello(_) => RequestType::Hello,
        _ => RequestType::Press,
    }
}

/// Checks whether uptime `now_ms` has reached `deadline_ms`, across the wrap of the
/// 32-bit uptime counter. Holds for deadlines less than about 24.8 days
/// ahead, far more than any protocol timer.
fn is_due(now_ms: u32, deadline_ms: u32) -> bool {
    now_ms.wrapping_sub(deadline_ms) < 1 << 31
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keypad::Ack;

    const SESSION: u32 = 0x5EED_1234;

    fn keypad() -> SimulatedKeypad {
        SimulatedKeypad::new(Address::new(3).expect("3 is a valid address"), SESSION)
    }

    fn button(number: u8) -> Button {
        Button::new(number).expect("test buttons are in range")
    }

    fn press_of(frame: Frame) -> Press {
        match frame {
            Frame::Press(press) => press,
            other => panic!("expected a PRESS, got {other:?}"),
        }
    }

    #[test]
    fn press_sequence_increments() {
        let mut keypad = keypad();
        for expected in 0..3u16 {
            let press = press_of(keypad.press(button(1), 100).expect("keypad is idle"));
            assert_eq!(press.sequence, expected);
            let reception = keypad.receive(&Frame::Ack(press.ack(false)), 150);
            assert!(matches!(reception, Reception::Acknowledged { .. }));
        }
        assert_eq!(keypad.next_sequence(), 3);
    }

    #[test]
    fn press_while_outstanding_rejected() {
        let mut keypad = keypad();
        keypad.press(button(2), 0).expect("keypad is idle");
        let error = keypad
            .press(button(3), 10)
            .expect_err("a press is outstanding");
        assert_eq!(
            error,
            KeypadError::FrameOutstanding {
                address: keypad.address(),
                sequence: 0
            }
        );
        assert_eq!(keypad.next_sequence(), 1);
    }

    #[test]
    fn press_sequence_wraps() {
        let mut keypad = keypad().with_next_sequence(u16::MAX);
        let first = press_of(keypad.press(button(1), 0).expect("keypad is idle"));
        keypad.receive(&Frame::Ack(first.ack(false)), 50);
        let second = press_of(keypad.press(button(1), 100).expect("keypad is idle"));
        assert_eq!(first.sequence, 65535);
        assert_eq!(second.sequence, 0);
    }

    #[test]
    fn lost_ack_resends_same_frame() {
        let mut keypad = keypad();
        let first = keypad.press(button(4), 1_000).expect("keypad is idle");
        assert_eq!(keypad.poll(1_999), Poll::Waiting);
        assert_eq!(keypad.poll(2_000), Poll::Resend(first));
        assert_eq!(keypad.attempts(), 2);
        assert_eq!(keypad.poll(2_500), Poll::Waiting);
        assert_eq!(keypad.poll(3_000), Poll::Resend(first));
    }

    #[test]
    fn duplicate_ack_accepted() {
        let mut keypad = keypad();
        let press = press_of(keypad.press(button(1), 0).expect("keypad is idle"));
        keypad.resend(1_000);
        let reception = keypad.receive(&Frame::Ack(press.ack(true)), 1_020);
        assert_eq!(
            reception,
            Reception::Acknowledged {
                request: RequestType::Press,
                sequence: 0,
                duplicate: true
            }
        );
        assert_eq!(keypad.poll(5_000), Poll::Idle);
    }

    #[test]
    fn mismatched_replies_ignored() {
        let mut keypad = keypad();
        let press = press_of(keypad.press(button(1), 0).expect("keypad is idle"));
        let other_address = Ack {
            address: Address::new(4).expect("4 is a valid address"),
            ..press.ack(false)
        };
        let other_session = Ack {
            session: SESSION + 1,
            ..press.ack(false)
        };
        let other_sequence = Ack {
            sequence: 1,
            ..press.ack(false)
        };
        let other_request = Ack {
            reply_to: RequestType::Hello,
            ..press.ack(false)
        };
        for ack in [other_address, other_session, other_sequence, other_request] {
            assert_eq!(keypad.receive(&Frame::Ack(ack), 10), Reception::Ignored);
        }
        assert_eq!(keypad.receive(&Frame::Press(press), 10), Reception::Ignored);
        assert_eq!(keypad.outstanding(), Some(&Frame::Press(press)));
    }

    #[test]
    fn transient_nak_delays_resend() {
        let mut keypad = keypad();
        let press = press_of(keypad.press(button(2), 0).expect("keypad is idle"));
        let nak = Frame::Nak(press.nak(NakReason::Busy, 2_000));
        assert_eq!(
            keypad.receive(&nak, 100),
            Reception::RetryScheduled {
                sequence: 0,
                reason: NakReason::Busy,
                resend_at_ms: 2_100
            }
        );
        assert_eq!(keypad.poll(2_099), Poll::Waiting);
        assert_eq!(keypad.poll(2_100), Poll::Resend(Frame::Press(press)));
    }

    #[test]
    fn transient_nak_zero_uses_timeout() {
        let mut keypad = keypad();
        let press = press_of(keypad.press(button(2), 0).expect("keypad is idle"));
        let nak = Frame::Nak(press.nak(NakReason::StorageFailure, 0));
        let reception = keypad.receive(&nak, 300);
        assert_eq!(
            reception,
            Reception::RetryScheduled {
                sequence: 0,
                reason: NakReason::StorageFailure,
                resend_at_ms: 1_300
            }
        );
    }

    #[test]
    fn permanent_nak_drops_frame() {
        let mut keypad = keypad();
        let press = press_of(keypad.press(button(5), 0).expect("keypad is idle"));
        let nak = Frame::Nak(press.nak(NakReason::UnknownButton, 0));
        assert_eq!(
            keypad.receive(&nak, 40),
            Reception::Rejected {
                request: RequestType::Press,
                sequence: 0,
                reason: NakReason::UnknownButton
            }
        );
        assert_eq!(keypad.outstanding(), None);
        assert_eq!(keypad.next_sequence(), 1);
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let mut keypad = keypad();
        keypad.press(button(1), 0).expect("keypad is idle");
        // Transmissions at 0, 1000, ..., 7000 ms: eight in all.
        for attempt in 2..=8u32 {
            let now = (attempt - 1) * ACK_TIMEOUT_MS;
            assert!(
                matches!(keypad.poll(now), Poll::Resend(_)),
                "attempt {attempt}"
            );
        }
        assert_eq!(keypad.attempts(), 8);
        assert_eq!(
            keypad.poll(8_000),
            Poll::GaveUp {
                request: RequestType::Press,
                sequence: 0
            }
        );
        assert_eq!(keypad.poll(9_000), Poll::Idle);
        let next = press_of(keypad.press(button(1), 9_000).expect("keypad is idle"));
        assert_eq!(next.sequence, 1);
    }

    #[test]
    fn hello_keeps_sequence() {
        let mut keypad = keypad().with_next_sequence(7);
        let hello = match keypad.hello(ResetCause::PowerOn, 250) {
            Ok(Frame::Hello(hello)) => hello,
            other => panic!("expected a HELLO, got {other:?}"),
        };
        assert_eq!(hello.next_sequence, 7);
        assert_eq!(hello.uptime_ms, 250);
        let reception = keypad.receive(&Frame::Ack(hello.ack()), 300);
        assert_eq!(
            reception,
            Reception::Acknowledged {
                request: RequestType::Hello,
                sequence: 7,
                duplicate: false
            }
        );
        let press = press_of(keypad.press(button(1), 400).expect("keypad is idle"));
        assert_eq!(press.sequence, 7);
    }

    #[test]
    fn press_replaces_outstanding_hello() {
        let mut keypad = keypad();
        let hello = match keypad.hello(ResetCause::Watchdog, 0) {
            Ok(Frame::Hello(hello)) => hello,
            other => panic!("expected a HELLO, got {other:?}"),
        };
        let press = press_of(keypad.press(button(3), 200).expect("HELLO gives way"));
        assert_eq!(keypad.outstanding(), Some(&Frame::Press(press)));
        assert_eq!(keypad.attempts(), 1);
        // A late ACK of the HELLO does not complete the PRESS.
        assert_eq!(
            keypad.receive(&Frame::Ack(hello.ack()), 250),
            Reception::Ignored
        );
        let error = keypad
            .hello(ResetCause::Unknown, 300)
            .expect_err("PRESS outstanding");
        assert_eq!(
            error,
            KeypadError::FrameOutstanding {
                address: keypad.address(),
                sequence: 0
            }
        );
    }

    #[test]
    fn reboot_starts_new_session() {
        let mut keypad = keypad().with_next_sequence(40);
        keypad.press(button(1), 0).expect("keypad is idle");
        keypad.reboot(0xCAFE_F00D);
        assert_eq!(keypad.outstanding(), None);
        let press = press_of(keypad.press(button(1), 10).expect("keypad is idle"));
        assert_eq!(press.session, 0xCAFE_F00D);
        assert_eq!(press.sequence, 0);
    }

    #[test]
    fn timer_survives_uptime_wrap() {
        let mut keypad = keypad();
        keypad
            .press(button(1), u32::MAX - 99)
            .expect("keypad is idle");
        // The deadline is u32::MAX - 99 + 1000, which wraps to 900.
        assert_eq!(keypad.poll(u32::MAX), Poll::Waiting);
        assert_eq!(keypad.poll(899), Poll::Waiting);
        assert!(matches!(keypad.poll(900), Poll::Resend(_)));
    }
}
