//! Poller transitions, driven event by event with hand-built acknowledges.

use std::time::Duration;

use crate::fingerprint::code::ConfirmationCode;
use crate::fingerprint::command::{ack_packet, Command, SystemParameters};
use crate::fingerprint::config::{LedKind, PollerConfig};
use crate::fingerprint::led::{AuraColour, AuraControl, AuraSignal};
use crate::fingerprint::packet::{Packet, Pid, DEFAULT_ADDRESS};
use crate::fingerprint::poller::{Action, Event, Phase, Poller, Rejection};

const POLL: Duration = Duration::from_millis(150);
const RETRY: Duration = Duration::from_millis(500);

fn parameters(library_size: u16) -> SystemParameters {
    SystemParameters {
        status_register: 0,
        system_id: 9,
        library_size,
        security_level: 3,
        device_address: DEFAULT_ADDRESS,
        packet_size_code: 2,
        baud_multiplier: 6,
    }
}

fn ack(code: ConfirmationCode) -> Event {
    Event::AckReceived(ack_packet(DEFAULT_ADDRESS, code, &[]))
}

fn search_ack(code: ConfirmationCode, page_id: u16, score: u16) -> Event {
    let mut values = page_id.to_be_bytes().to_vec();
    values.extend_from_slice(&score.to_be_bytes());
    Event::AckReceived(ack_packet(DEFAULT_ADDRESS, code, &values))
}

fn sys_para_ack(library_size: u16) -> Event {
    let bytes = parameters(library_size).to_bytes();
    Event::AckReceived(ack_packet(DEFAULT_ADDRESS, ConfirmationCode::Ok, &bytes))
}

/// Returns the command of a single Send action, failing otherwise.
fn sent(actions: &[Action]) -> Command {
    match actions {
        [Action::Send { command, .. }] => *command,
        other => panic!("expected one Send, got {other:?}"),
    }
}

fn search_all(page_count: u16) -> Command {
    Command::Search {
        buffer: 1,
        start_page: 0,
        page_count,
    }
}

fn success_signal() -> Command {
    Command::AuraLedConfig(AuraSignal {
        control: AuraControl::Breathing,
        speed: 0x40,
        colour: AuraColour::Blue,
        count: 1,
    })
}

fn failure_signal() -> Command {
    Command::AuraLedConfig(AuraSignal {
        control: AuraControl::Flashing,
        speed: 0x20,
        colour: AuraColour::Red,
        count: 3,
    })
}

/// Builds a started poller that has read a 200-page library and sent its first GenImg.
fn polling(config: PollerConfig) -> Poller {
    let mut poller = Poller::new(config);
    poller.handle(Event::Start);
    let actions = poller.handle(sys_para_ack(200));
    assert_eq!(actions.len(), 2);
    assert_eq!(poller.phase(), Phase::Polling);
    poller
}

/// Builds a poller that has matched page 7 and waits for the commit.
fn matched(config: PollerConfig) -> Poller {
    let mut poller = polling(config);
    poller.handle(ack(ConfirmationCode::Ok));
    poller.handle(ack(ConfirmationCode::Ok));
    let actions = poller.handle(search_ack(ConfirmationCode::Ok, 7, 88));
    assert_eq!(
        actions,
        vec![Action::Matched {
            page_id: 7,
            score: 88
        }]
    );
    poller
}

#[test]
fn poller_start_reads_parameters() {
    let mut poller = Poller::new(PollerConfig::default());
    assert_eq!(poller.phase(), Phase::Idle);

    let actions = poller.handle(Event::Start);
    assert_eq!(
        actions,
        vec![
            Action::DiscardInput,
            Action::Send {
                // ReadSysPara: 01 + 00 + 03 + 0F = 0x0013.
                frame: vec![0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x0F, 0x00, 0x13],
                command: Command::ReadSysPara,
                ack_timeout: Duration::from_secs(1),
            },
        ]
    );
    assert_eq!(poller.phase(), Phase::ReadingParameters);

    let actions = poller.handle(sys_para_ack(200));
    assert_eq!(
        actions,
        vec![
            Action::Ready(parameters(200)),
            Action::Send {
                frame: vec![0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x03, 0x01, 0x00, 0x05],
                command: Command::GenImg,
                ack_timeout: Duration::from_secs(1),
            },
        ]
    );
    assert_eq!(poller.phase(), Phase::Polling);
    assert_eq!(poller.search_count(), 200);
    assert_eq!(poller.parameters(), Some(&parameters(200)));
}

#[test]
fn poller_no_finger_polls_again() {
    let mut poller = polling(PollerConfig::default());
    for _ in 0..3 {
        assert_eq!(
            poller.handle(ack(ConfirmationCode::NoFinger)),
            vec![Action::Wait(POLL)]
        );
        assert_eq!(poller.phase(), Phase::Polling);
        assert_eq!(sent(&poller.handle(Event::Tick)), Command::GenImg);
    }
}

#[test]
fn poller_finger_matched_then_committed() {
    let mut poller = polling(PollerConfig::default());

    let actions = poller.handle(ack(ConfirmationCode::Ok));
    assert_eq!(sent(&actions), Command::Img2Tz { buffer: 1 });
    assert_eq!(poller.phase(), Phase::Extracting);

    let actions = poller.handle(ack(ConfirmationCode::Ok));
    assert_eq!(
        actions,
        vec![Action::Send {
            // Search 1, 0, 200: checksum 0x00D6.
            frame: vec![
                0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x00, 0x08, 0x04, 0x01, 0x00, 0x00, 0x00,
                0xC8, 0x00, 0xD6,
            ],
            command: search_all(200),
            ack_timeout: Duration::from_secs(3),
        }]
    );
    assert_eq!(poller.phase(), Phase::Searching);

    let actions = poller.handle(search_ack(ConfirmationCode::Ok, 7, 88));
    assert_eq!(
        actions,
        vec![Action::Matched {
            page_id: 7,
            score: 88
        }]
    );
    assert_eq!(poller.phase(), Phase::AwaitingCommit);

    let actions = poller.handle(Event::Committed);
    assert_eq!(sent(&actions), success_signal());
    assert_eq!(poller.phase(), Phase::Signalling);

    let actions = poller.handle(ack(ConfirmationCode::Ok));
    assert_eq!(sent(&actions), Command::GenImg);
    assert_eq!(poller.phase(), Phase::WaitingForLift);
}

#[test]
fn poller_waits_for_commit() {
    let mut poller = matched(PollerConfig::default());
    // Nothing is outstanding, so timers and stray packets change nothing.
    assert_eq!(poller.handle(Event::Tick), vec![]);
    assert_eq!(poller.handle(Event::TimedOut), vec![]);
    assert_eq!(poller.handle(Event::AckGarbled), vec![]);
    assert_eq!(poller.handle(ack(ConfirmationCode::Ok)), vec![]);
    assert_eq!(poller.phase(), Phase::AwaitingCommit);
    assert_eq!(poller.failures(), 0);
}

#[test]
fn poller_commit_failed_red_led() {
    let mut poller = matched(PollerConfig::default());
    let actions = poller.handle(Event::CommitFailed);
    assert_eq!(sent(&actions), failure_signal());
}

#[test]
fn poller_commit_event_outside_match() {
    let mut poller = polling(PollerConfig::default());
    assert_eq!(poller.handle(Event::Committed), vec![]);
    assert_eq!(poller.handle(Event::CommitFailed), vec![]);
    assert_eq!(poller.phase(), Phase::Polling);
}

#[test]
fn poller_finger_must_lift() {
    let mut poller = matched(PollerConfig::default());
    poller.handle(Event::Committed);
    assert_eq!(
        sent(&poller.handle(ack(ConfirmationCode::Ok))),
        Command::GenImg
    );

    // The finger stays: GenImg keeps succeeding but no Img2Tz or Search is sent.
    for _ in 0..5 {
        assert_eq!(
            poller.handle(ack(ConfirmationCode::Ok)),
            vec![Action::Wait(POLL)]
        );
        assert_eq!(poller.phase(), Phase::WaitingForLift);
        assert_eq!(sent(&poller.handle(Event::Tick)), Command::GenImg);
    }

    // One "no finger" is not enough: the finger may slide back.
    assert_eq!(
        poller.handle(ack(ConfirmationCode::NoFinger)),
        vec![Action::Wait(POLL)]
    );
    assert_eq!(poller.phase(), Phase::WaitingForLift);
    assert_eq!(sent(&poller.handle(Event::Tick)), Command::GenImg);
    assert_eq!(
        poller.handle(ack(ConfirmationCode::Ok)),
        vec![Action::Wait(POLL)]
    );
    assert_eq!(sent(&poller.handle(Event::Tick)), Command::GenImg);

    // Two in a row: lifted, so polling resumes.
    poller.handle(ack(ConfirmationCode::NoFinger));
    poller.handle(Event::Tick);
    assert_eq!(
        poller.handle(ack(ConfirmationCode::NoFinger)),
        vec![Action::Wait(POLL)]
    );
    assert_eq!(poller.phase(), Phase::Polling);
    assert_eq!(sent(&poller.handle(Event::Tick)), Command::GenImg);

    // The next touch is searched again.
    assert_eq!(
        sent(&poller.handle(ack(ConfirmationCode::Ok))),
        Command::Img2Tz { buffer: 1 }
    );
}

#[test]
fn poller_not_found_red_then_polls() {
    let mut poller = polling(PollerConfig::default());
    poller.handle(ack(ConfirmationCode::Ok));
    poller.handle(ack(ConfirmationCode::Ok));

    let actions = poller.handle(search_ack(ConfirmationCode::NotFound, 0, 0));
    assert_eq!(actions.len(), 2);
    assert_eq!(
        actions[0],
        Action::Rejected {
            reason: Rejection::NotFound
        }
    );
    assert_eq!(sent(&actions[1..]), failure_signal());

    assert_eq!(
        sent(&poller.handle(ack(ConfirmationCode::Ok))),
        Command::GenImg
    );
    assert_eq!(poller.phase(), Phase::WaitingForLift);

    poller.handle(ack(ConfirmationCode::NoFinger));
    poller.handle(Event::Tick);
    poller.handle(ack(ConfirmationCode::NoFinger));
    assert_eq!(poller.phase(), Phase::Polling);
}

#[test]
fn poller_poor_image_rejected() {
    for code in [
        ConfirmationCode::ImageMess,
        ConfirmationCode::FeatureFail,
        ConfirmationCode::InvalidImage,
        ConfirmationCode::ImageTooDry,
        ConfirmationCode::ImageTooWet,
        ConfirmationCode::ResidualFinger,
    ] {
        let mut poller = polling(PollerConfig::default());
        poller.handle(ack(ConfirmationCode::Ok));
        let actions = poller.handle(ack(code));
        assert_eq!(
            actions[0],
            Action::Rejected {
                reason: Rejection::PoorImage(code)
            },
            "{code:?}"
        );
        assert_eq!(sent(&actions[1..]), failure_signal(), "{code:?}");
    }
}

#[test]
fn poller_capture_fail_rejected() {
    let mut poller = polling(PollerConfig::default());
    let actions = poller.handle(ack(ConfirmationCode::ImageFail));
    assert_eq!(
        actions[0],
        Action::Rejected {
            reason: Rejection::PoorImage(ConfirmationCode::ImageFail)
        }
    );
    assert_eq!(sent(&actions[1..]), failure_signal());
}

#[test]
fn poller_search_error_rejected() {
    let mut poller = polling(PollerConfig::default());
    poller.handle(ack(ConfirmationCode::Ok));
    poller.handle(ack(ConfirmationCode::Ok));
    let actions = poller.handle(search_ack(ConfirmationCode::DbReadFail, 0, 0));
    assert_eq!(
        actions[0],
        Action::Rejected {
            reason: Rejection::Module(ConfirmationCode::DbReadFail)
        }
    );
}

#[test]
fn poller_timeout_retries() {
    let mut poller = polling(PollerConfig::default());
    assert_eq!(poller.handle(Event::TimedOut), vec![Action::Wait(RETRY)]);
    assert_eq!(poller.failures(), 1);

    let actions = poller.handle(Event::Tick);
    assert_eq!(actions.len(), 2);
    assert_eq!(actions[0], Action::DiscardInput);
    assert_eq!(sent(&actions[1..]), Command::GenImg);

    poller.handle(ack(ConfirmationCode::NoFinger));
    assert_eq!(poller.failures(), 0);
    // The next ordinary poll does not discard input.
    assert_eq!(sent(&poller.handle(Event::Tick)), Command::GenImg);
}

#[test]
fn poller_timeout_retries_same_step() {
    let mut poller = polling(PollerConfig::default());
    poller.handle(ack(ConfirmationCode::Ok));
    poller.handle(ack(ConfirmationCode::Ok));
    assert_eq!(poller.phase(), Phase::Searching);

    assert_eq!(poller.handle(Event::TimedOut), vec![Action::Wait(RETRY)]);
    let actions = poller.handle(Event::Tick);
    assert_eq!(sent(&actions[1..]), search_all(200));
}

#[test]
fn poller_unresponsive_after_cap() {
    let config = PollerConfig {
        max_retries: 2,
        ..PollerConfig::default()
    };
    let mut poller = polling(config);

    for failure in 1..=2 {
        assert_eq!(poller.handle(Event::TimedOut), vec![Action::Wait(RETRY)]);
        assert_eq!(poller.failures(), failure);
        poller.handle(Event::Tick);
    }
    assert_eq!(
        poller.handle(Event::TimedOut),
        vec![Action::Unresponsive { failures: 3 }]
    );
    assert_eq!(poller.phase(), Phase::Stopped);

    // Stopped: nothing happens until Start.
    assert_eq!(poller.handle(Event::Tick), vec![]);
    assert_eq!(poller.handle(ack(ConfirmationCode::NoFinger)), vec![]);
    let actions = poller.handle(Event::Start);
    assert_eq!(sent(&actions[1..]), Command::ReadSysPara);
    assert_eq!(poller.failures(), 0);
}

#[test]
fn poller_garbled_ack_retries() {
    let mut poller = polling(PollerConfig::default());
    assert_eq!(poller.handle(Event::AckGarbled), vec![Action::Wait(RETRY)]);
    assert_eq!(poller.failures(), 1);
    // A timer firing for the abandoned send changes nothing.
    assert_eq!(poller.handle(Event::TimedOut), vec![]);
    assert_eq!(poller.failures(), 1);
}

#[test]
fn poller_short_ack_retries() {
    let mut poller = polling(PollerConfig::default());
    poller.handle(ack(ConfirmationCode::Ok));
    poller.handle(ack(ConfirmationCode::Ok));
    // Search "ok" without page and score is malformed.
    assert_eq!(
        poller.handle(ack(ConfirmationCode::Ok)),
        vec![Action::Wait(RETRY)]
    );
    assert_eq!(poller.failures(), 1);
    assert_eq!(poller.phase(), Phase::Searching);
}

#[test]
fn poller_wrong_pid_retries() {
    let mut poller = polling(PollerConfig::default());
    let packet = Packet::new(DEFAULT_ADDRESS, Pid::Data, vec![0x00]).expect("short");
    assert_eq!(
        poller.handle(Event::AckReceived(packet)),
        vec![Action::Wait(RETRY)]
    );
}

#[test]
fn poller_packet_receive_error_retries() {
    let mut poller = polling(PollerConfig::default());
    poller.handle(ack(ConfirmationCode::Ok));
    assert_eq!(
        poller.handle(ack(ConfirmationCode::PacketReceiveError)),
        vec![Action::Wait(RETRY)]
    );
    let actions = poller.handle(Event::Tick);
    assert_eq!(sent(&actions[1..]), Command::Img2Tz { buffer: 1 });
}

#[test]
fn poller_unexpected_code_faults() {
    let mut poller = polling(PollerConfig::default());
    assert_eq!(
        poller.handle(ack(ConfirmationCode::SensorError)),
        vec![
            Action::Fault {
                command: Command::GenImg,
                code: ConfirmationCode::SensorError,
            },
            Action::Wait(RETRY),
        ]
    );
    assert_eq!(poller.failures(), 1);
}

#[test]
fn poller_repeated_faults_stop() {
    let config = PollerConfig {
        max_retries: 1,
        ..PollerConfig::default()
    };
    let mut poller = polling(config);
    poller.handle(ack(ConfirmationCode::HardwareError));
    poller.handle(Event::Tick);
    let actions = poller.handle(ack(ConfirmationCode::HardwareError));
    assert_eq!(actions.last(), Some(&Action::Unresponsive { failures: 2 }));
    assert_eq!(poller.phase(), Phase::Stopped);
}

#[test]
fn poller_stray_ack_ignored() {
    let mut poller = polling(PollerConfig::default());
    poller.handle(ack(ConfirmationCode::NoFinger));
    // Waiting: no command is outstanding.
    assert_eq!(poller.handle(ack(ConfirmationCode::Ok)), vec![]);
    assert_eq!(poller.phase(), Phase::Polling);
    assert_eq!(sent(&poller.handle(Event::Tick)), Command::GenImg);
    // A second tick without a wait is ignored.
    assert_eq!(poller.handle(Event::Tick), vec![]);
}

#[test]
fn poller_without_led() {
    let config = PollerConfig {
        led: LedKind::None,
        ..PollerConfig::default()
    };
    let mut poller = matched(config);
    let actions = poller.handle(Event::Committed);
    assert_eq!(sent(&actions), Command::GenImg);
    assert_eq!(poller.phase(), Phase::WaitingForLift);
}

#[test]
fn poller_on_off_led_success() {
    let config = PollerConfig {
        led: LedKind::OnOff,
        ..PollerConfig::default()
    };
    let blink = config.blink;
    let mut poller = matched(config);

    assert_eq!(sent(&poller.handle(Event::Committed)), Command::LedOn);
    assert_eq!(
        poller.handle(ack(ConfirmationCode::Ok)),
        vec![Action::Wait(blink)]
    );
    assert_eq!(sent(&poller.handle(Event::Tick)), Command::LedOff);
    assert_eq!(
        sent(&poller.handle(ack(ConfirmationCode::Ok))),
        Command::GenImg
    );
    assert_eq!(poller.phase(), Phase::WaitingForLift);
}

#[test]
fn poller_on_off_led_failure_blinks_three() {
    let config = PollerConfig {
        led: LedKind::OnOff,
        ..PollerConfig::default()
    };
    let mut poller = matched(config);

    let mut sends = Vec::new();
    let mut actions = poller.handle(Event::CommitFailed);
    while poller.phase() == Phase::Signalling {
        actions = match actions.as_slice() {
            [Action::Send { command, .. }] => {
                sends.push(*command);
                poller.handle(ack(ConfirmationCode::Ok))
            }
            [Action::Wait(_)] => poller.handle(Event::Tick),
            other => panic!("unexpected actions {other:?}"),
        };
    }
    use Command::{LedOff, LedOn};
    assert_eq!(sends, vec![LedOn, LedOff, LedOn, LedOff, LedOn, LedOff]);
    assert_eq!(sent(&actions), Command::GenImg);
}

#[test]
fn poller_led_unsupported_continues() {
    let mut poller = matched(PollerConfig::default());
    poller.handle(Event::Committed);
    let actions = poller.handle(ack(ConfirmationCode::UnsupportedCommand));
    assert_eq!(actions.len(), 2);
    assert_eq!(
        actions[0],
        Action::Fault {
            command: success_signal(),
            code: ConfirmationCode::UnsupportedCommand,
        }
    );
    assert_eq!(sent(&actions[1..]), Command::GenImg);
    assert_eq!(poller.failures(), 0);
}

#[test]
fn poller_led_timeout_skips() {
    let mut poller = matched(PollerConfig::default());
    poller.handle(Event::Committed);
    let actions = poller.handle(Event::TimedOut);
    assert_eq!(sent(&actions), Command::GenImg);
    assert_eq!(poller.failures(), 1);
    assert_eq!(poller.phase(), Phase::WaitingForLift);
}

#[test]
fn poller_password_verified_first() {
    let config = PollerConfig {
        password: Some(0x1234_5678),
        ..PollerConfig::default()
    };
    let mut poller = Poller::new(config);
    let actions = poller.handle(Event::Start);
    assert_eq!(
        sent(&actions[1..]),
        Command::VfyPwd {
            password: 0x1234_5678
        }
    );
    assert_eq!(poller.phase(), Phase::Verifying);
    assert_eq!(
        sent(&poller.handle(ack(ConfirmationCode::Ok))),
        Command::ReadSysPara
    );
}

#[test]
fn poller_wrong_password_halts() {
    let config = PollerConfig {
        password: Some(1),
        ..PollerConfig::default()
    };
    let mut poller = Poller::new(config);
    poller.handle(Event::Start);
    assert_eq!(
        poller.handle(ack(ConfirmationCode::WrongPassword)),
        vec![Action::Halted {
            code: ConfirmationCode::WrongPassword
        }]
    );
    assert_eq!(poller.phase(), Phase::Stopped);
}

#[test]
fn poller_password_required_halts() {
    let mut poller = Poller::new(PollerConfig::default());
    poller.handle(Event::Start);
    assert_eq!(
        poller.handle(ack(ConfirmationCode::MustVerifyPassword)),
        vec![Action::Halted {
            code: ConfirmationCode::MustVerifyPassword
        }]
    );
    assert_eq!(poller.phase(), Phase::Stopped);
}

#[test]
fn poller_reverifies_when_asked() {
    let config = PollerConfig {
        password: Some(42),
        ..PollerConfig::default()
    };
    let mut poller = Poller::new(config);
    poller.handle(Event::Start);
    poller.handle(ack(ConfirmationCode::Ok));
    poller.handle(sys_para_ack(200));
    assert_eq!(poller.phase(), Phase::Polling);

    // The module was power-cycled and forgot the verification.
    let actions = poller.handle(ack(ConfirmationCode::MustVerifyPassword));
    assert_eq!(sent(&actions), Command::VfyPwd { password: 42 });
    assert_eq!(
        sent(&poller.handle(ack(ConfirmationCode::Ok))),
        Command::ReadSysPara
    );
}

#[test]
fn poller_configured_search_range() {
    let config = PollerConfig {
        search_start: 10,
        search_count: Some(50),
        high_speed_search: true,
        ..PollerConfig::default()
    };
    let mut poller = polling(config);
    assert_eq!(poller.search_count(), 50);
    poller.handle(ack(ConfirmationCode::Ok));
    let actions = poller.handle(ack(ConfirmationCode::Ok));
    assert_eq!(
        sent(&actions),
        Command::HighSpeedSearch {
            buffer: 1,
            start_page: 10,
            page_count: 50,
        }
    );
}

#[test]
fn poller_search_rest_of_library() {
    let config = PollerConfig {
        search_start: 20,
        ..PollerConfig::default()
    };
    let poller = polling(config);
    // 200 pages from ReadSysPara, minus the first 20.
    assert_eq!(poller.search_count(), 180);
}

#[test]
fn poller_restart_discards_input() {
    let mut poller = matched(PollerConfig::default());
    let actions = poller.handle(Event::Start);
    assert_eq!(actions[0], Action::DiscardInput);
    assert_eq!(sent(&actions[1..]), Command::ReadSysPara);
    assert_eq!(poller.phase(), Phase::ReadingParameters);
}
