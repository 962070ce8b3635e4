//! Closed loop: the poller drives the simulated module through a decoder,
//! the way the serial driver will, with simulated time.

use std::time::Duration;

use crate::fingerprint::code::ConfirmationCode;
use crate::fingerprint::command::Command;
use crate::fingerprint::config::PollerConfig;
use crate::fingerprint::packet::{Decoder, DEFAULT_ADDRESS};
use crate::fingerprint::poller::{Action, Event, Phase, Poller, Rejection};
use crate::fingerprint::sim::{Finger, SimFault, SimulatedModule};

/// Test harness standing in for the serial driver.
struct Harness {
    poller: Poller,
    module: SimulatedModule,
    decoder: Decoder,
    /// Simulated time spent in waits and timeouts.
    elapsed: Duration,
    /// Outcomes reported by the poller.
    outcomes: Vec<Action>,
    pending: Vec<Action>,
}

impl Harness {
    fn new(config: PollerConfig, module: SimulatedModule) -> Self {
        let mut harness = Self {
            poller: Poller::new(config),
            module,
            decoder: Decoder::new(DEFAULT_ADDRESS),
            elapsed: Duration::ZERO,
            outcomes: Vec::new(),
            pending: Vec::new(),
        };
        harness.pending = harness.poller.handle(Event::Start);
        harness
    }

    /// Carries out pending actions until the poller needs a commit decision,
    /// stops, or `steps` events have been delivered.
    fn run(&mut self, steps: usize) {
        for _ in 0..steps {
            let Some(event) = self.carry_out() else {
                return;
            };
            let actions = self.poller.handle(event);
            self.pending.extend(actions);
        }
    }

    /// Carries out actions until one produces an event.
    fn carry_out(&mut self) -> Option<Event> {
        while !self.pending.is_empty() {
            let action = self.pending.remove(0);
            match action {
                Action::Send {
                    frame, ack_timeout, ..
                } => {
                    let reply = self.module.feed(&frame);
                    self.decoder.push(&reply);
                    return Some(match self.decoder.next_packet() {
                        Some(Ok(packet)) => Event::AckReceived(packet),
                        Some(Err(_)) => Event::AckGarbled,
                        None => {
                            self.elapsed += ack_timeout;
                            Event::TimedOut
                        }
                    });
                }
                Action::Wait(duration) => {
                    self.elapsed += duration;
                    return Some(Event::Tick);
                }
                Action::DiscardInput => self.decoder.discard_buffered(),
                Action::Ready(_) | Action::Fault { .. } | Action::Rejected { .. } => {
                    self.outcomes.push(action);
                }
                Action::Matched { .. } | Action::Unresponsive { .. } | Action::Halted { .. } => {
                    self.outcomes.push(action);
                    return None;
                }
            }
        }
        None
    }

    fn matches(&self) -> Vec<(u16, u16)> {
        self.outcomes
            .iter()
            .filter_map(|action| match action {
                Action::Matched { page_id, score } => Some((*page_id, *score)),
                _ => None,
            })
            .collect()
    }

    fn deliver(&mut self, event: Event) {
        let actions = self.poller.handle(event);
        self.pending.extend(actions);
    }
}

#[test]
fn cycle_touch_gives_one_punch() {
    let mut harness = Harness::new(PollerConfig::default(), SimulatedModule::new());
    harness.run(10);
    assert_eq!(harness.poller.phase(), Phase::Polling);
    assert!(harness.matches().is_empty());

    harness.module.set_finger(Finger::Enrolled {
        page_id: 42,
        score: 120,
    });
    harness.run(10);
    assert_eq!(harness.matches(), vec![(42, 120)]);
    assert_eq!(harness.poller.phase(), Phase::AwaitingCommit);

    harness.deliver(Event::Committed);
    harness.run(50);
    let success = PollerConfig::default().aura_success;
    assert_eq!(
        harness.module.led_commands(),
        &[Command::AuraLedConfig(success)]
    );
    // The finger stayed on the sensor for 50 more exchanges: still one punch.
    assert_eq!(harness.matches(), vec![(42, 120)]);
    assert_eq!(harness.poller.phase(), Phase::WaitingForLift);

    harness.module.set_finger(Finger::Absent);
    harness.run(10);
    assert_eq!(harness.poller.phase(), Phase::Polling);

    harness.module.set_finger(Finger::Enrolled {
        page_id: 42,
        score: 110,
    });
    harness.run(10);
    assert_eq!(harness.matches(), vec![(42, 120), (42, 110)]);
}

#[test]
fn cycle_unknown_finger_red_led() {
    let mut harness = Harness::new(PollerConfig::default(), SimulatedModule::new());
    harness.module.set_finger(Finger::Unknown);
    harness.run(10);

    assert!(harness.outcomes.contains(&Action::Rejected {
        reason: Rejection::NotFound
    }));
    let failure = PollerConfig::default().aura_failure;
    assert_eq!(
        harness.module.led_commands(),
        &[Command::AuraLedConfig(failure)]
    );
    assert_eq!(harness.poller.phase(), Phase::WaitingForLift);
    assert!(harness.matches().is_empty());
}

#[test]
fn cycle_recovers_from_faults() {
    let mut harness = Harness::new(PollerConfig::default(), SimulatedModule::new());
    harness.run(4);
    harness.module.set_finger(Finger::Enrolled {
        page_id: 3,
        score: 60,
    });
    // One lost command, one damaged reply, one "packet receive error":
    // three retries, within the default cap of 3.
    harness.module.inject(SimFault::Silent);
    harness.module.inject(SimFault::CorruptChecksum);
    harness
        .module
        .inject(SimFault::Code(ConfirmationCode::PacketReceiveError));
    harness.run(20);
    assert_eq!(harness.matches(), vec![(3, 60)]);
    assert_eq!(harness.poller.failures(), 0);
    assert_eq!(harness.decoder.stats().bad_checksum, 1);
}

#[test]
fn cycle_silent_module_unresponsive() {
    let mut module = SimulatedModule::new();
    for _ in 0..4 {
        module.inject(SimFault::Silent);
    }
    let mut harness = Harness::new(PollerConfig::default(), module);
    harness.run(20);
    assert_eq!(
        harness.outcomes.last(),
        Some(&Action::Unresponsive { failures: 4 })
    );
    assert_eq!(harness.poller.phase(), Phase::Stopped);
    // Four timeouts of 1 s and three retry delays of 0.5 s.
    assert_eq!(harness.elapsed, Duration::from_millis(5500));
}

#[test]
fn cycle_password_module() {
    let config = PollerConfig {
        password: Some(0xCAFE_F00D),
        ..PollerConfig::default()
    };
    let module = SimulatedModule::new().with_password(0xCAFE_F00D);
    let mut harness = Harness::new(config, module);
    harness.module.set_finger(Finger::Enrolled {
        page_id: 1,
        score: 50,
    });
    harness.run(10);
    assert_eq!(harness.matches(), vec![(1, 50)]);
    assert_eq!(
        harness.module.received()[0],
        Command::VfyPwd {
            password: 0xCAFE_F00D
        }
    );
}
