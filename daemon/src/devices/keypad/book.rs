//! Memory of each keypad, and the decision for each PRESS:
//! a resend of the last stored press, a press being committed, or a new
//! press, with its idempotency key and repeat flag.
//!
//! The keypad protocol identifies a press by address, session id and
//! sequence number, and the sequence number wraps from 65535 to 0. A unique
//! key on those three alone would reject the 65,537th press of a session
//! as a duplicate. So the key adds an epoch: the number of times the
//! sequence number of this session has wrapped, as the box saw it. A new
//! press whose sequence number is below the last stored one of the same
//! session has wrapped, and takes the next epoch. The key is
//! `rating:{device}:{address}:{session as 8 hex digits}:{epoch}:{sequence}`,
//! and the epoch is read back from it when the box restarts.

use chrono::NaiveDateTime;
use hallbox_drivers::keypad::Press;

use crate::rules::ratings::is_repeat;

/// The last press of a keypad that is in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredPress {
    /// Session id of the keypad boot that sent it.
    pub session: u32,
    /// Wraps of the sequence number before it, within the session.
    pub epoch: u32,
    /// Sequence number of the press.
    pub sequence: u16,
    /// Button pressed.
    pub button: u8,
    /// Keypad uptime at the press, in ms.
    pub pressed_at_ms: u32,
    /// Box receive time in the site's local time.
    pub local: NaiveDateTime,
}

/// Memory of one keypad address: its last stored press and the press in
/// flight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeypadMemory {
    /// The last press stored, from this run or read back from the journal.
    pub last: Option<StoredPress>,
    /// Session id and sequence number of the press being committed.
    pub in_flight: Option<(u32, u16)>,
    /// Session id of the last good frame from this address.
    pub seen_session: Option<u32>,
}

/// Decision for one PRESS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PressAction {
    /// A resend of the last stored press: ACK with the duplicate flag and
    /// store nothing. `conflict` is set when the resend carries another
    /// button or press time than the stored press, which breaks the
    /// protocol and is logged.
    Resend { conflict: bool },
    /// A resend of the press being committed: its reply goes out when the
    /// commit ends.
    InFlight,
    /// Another press of this keypad is being committed. The keypad keeps one
    /// frame outstanding, so this one follows a press it gave up on: reply
    /// "busy" and let it resend.
    Busy,
    /// A new press: store it under `epoch`, flagged `repeat` when it
    /// follows the last stored press within the repeat window.
    New { epoch: u32, repeat: bool },
}

impl KeypadMemory {
    /// Decides what to do with `press`, received at local time `local`;
    /// `repeat_window_secs` is the repeat window of the rating rules.
    pub fn decide(
        &self,
        press: &Press,
        local: NaiveDateTime,
        repeat_window_secs: u32,
    ) -> PressAction {
        if let Some((session, sequence)) = self.in_flight {
            if (session, sequence) == (press.session, press.sequence) {
                return PressAction::InFlight;
            }
            return PressAction::Busy;
        }
        let repeat = self
            .last
            .is_some_and(|last| is_repeat(last.local, local, repeat_window_secs));
        let Some(last) = self.last.filter(|last| last.session == press.session) else {
            return PressAction::New { epoch: 0, repeat };
        };
        if press.sequence == last.sequence {
            let conflict =
                press.button.get() != last.button || press.pressed_at_ms != last.pressed_at_ms;
            return PressAction::Resend { conflict };
        }
        let epoch = if press.sequence < last.sequence {
            last.epoch.wrapping_add(1)
        } else {
            last.epoch
        };
        PressAction::New { epoch, repeat }
    }
}

/// Builds the idempotency key of a rating; see the module documentation.
pub fn rating_key(device: &str, address: u8, session: u32, epoch: u32, sequence: u16) -> String {
    format!("rating:{device}:{address}:{session:08x}:{epoch}:{sequence}")
}

/// Reads the epoch back from a key made by [`rating_key`].
pub fn key_epoch(key: &str) -> Option<u32> {
    let mut fields = key.rsplitn(3, ':');
    let _sequence = fields.next()?;
    fields.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use hallbox_drivers::keypad::{Address, Button};

    fn at(second: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 2)
            .and_then(|d| d.and_hms_opt(9, 0, second))
            .unwrap()
    }

    fn press(session: u32, sequence: u16, button: u8, pressed_at_ms: u32) -> Press {
        Press {
            address: Address::new(3).unwrap(),
            session,
            sequence,
            button: Button::new(button).unwrap(),
            pressed_at_ms,
        }
    }

    fn stored(session: u32, epoch: u32, sequence: u16, local: NaiveDateTime) -> StoredPress {
        StoredPress {
            session,
            epoch,
            sequence,
            button: 1,
            pressed_at_ms: 5_000,
            local,
        }
    }

    #[test]
    fn decide_first_press_new() {
        let memory = KeypadMemory::default();
        let action = memory.decide(&press(7, 0, 1, 5_000), at(0), 3);
        assert_eq!(
            action,
            PressAction::New {
                epoch: 0,
                repeat: false
            }
        );
    }

    #[test]
    fn decide_resend_of_stored() {
        let memory = KeypadMemory {
            last: Some(stored(7, 0, 42, at(0))),
            ..KeypadMemory::default()
        };
        let same = memory.decide(&press(7, 42, 1, 5_000), at(1), 3);
        assert_eq!(same, PressAction::Resend { conflict: false });
        let other_button = memory.decide(&press(7, 42, 2, 5_000), at(1), 3);
        assert_eq!(other_button, PressAction::Resend { conflict: true });
    }

    #[test]
    fn decide_repeat_within_window() {
        let memory = KeypadMemory {
            last: Some(stored(7, 0, 42, at(10))),
            ..KeypadMemory::default()
        };
        // 2 s after the stored press: a repeat; exactly 3 s: not one.
        let soon = memory.decide(&press(7, 43, 1, 7_000), at(12), 3);
        assert_eq!(
            soon,
            PressAction::New {
                epoch: 0,
                repeat: true
            }
        );
        let later = memory.decide(&press(7, 43, 1, 8_000), at(13), 3);
        assert_eq!(
            later,
            PressAction::New {
                epoch: 0,
                repeat: false
            }
        );
    }

    #[test]
    fn decide_wrap_takes_next_epoch() {
        let memory = KeypadMemory {
            last: Some(stored(7, 2, 65_535, at(0))),
            ..KeypadMemory::default()
        };
        let wrapped = memory.decide(&press(7, 0, 1, 9_000), at(30), 3);
        assert_eq!(
            wrapped,
            PressAction::New {
                epoch: 3,
                repeat: false
            }
        );
        // A gap left by presses the keypad gave up on keeps the epoch.
        let gap = KeypadMemory {
            last: Some(stored(7, 2, 100, at(0))),
            ..KeypadMemory::default()
        };
        let skipped = gap.decide(&press(7, 105, 1, 9_000), at(30), 3);
        assert_eq!(
            skipped,
            PressAction::New {
                epoch: 2,
                repeat: false
            }
        );
    }

    #[test]
    fn decide_new_session_restarts_epoch() {
        let memory = KeypadMemory {
            last: Some(stored(7, 5, 42, at(0))),
            ..KeypadMemory::default()
        };
        // A rebooted keypad starts at sequence 0 with a new session id; its
        // press 2 s later still repeats the last press on the keypad.
        let action = memory.decide(&press(8, 42, 1, 100), at(2), 3);
        assert_eq!(
            action,
            PressAction::New {
                epoch: 0,
                repeat: true
            }
        );
    }

    #[test]
    fn decide_while_committing() {
        let memory = KeypadMemory {
            in_flight: Some((7, 42)),
            ..KeypadMemory::default()
        };
        assert_eq!(
            memory.decide(&press(7, 42, 1, 5_000), at(0), 3),
            PressAction::InFlight
        );
        assert_eq!(
            memory.decide(&press(7, 43, 1, 6_000), at(0), 3),
            PressAction::Busy
        );
    }

    #[test]
    fn key_round_trip() {
        let key = rating_key("keypads.hall-1", 3, 0x5EED_1234, 2, 42);
        assert_eq!(key, "rating:keypads.hall-1:3:5eed1234:2:42");
        assert_eq!(key_epoch(&key), Some(2));
        assert_eq!(key_epoch("rating:x"), None);
    }
}
