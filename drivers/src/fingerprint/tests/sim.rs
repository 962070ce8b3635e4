//! Simulated module replies, byte for byte.

use crate::fingerprint::code::ConfirmationCode;
use crate::fingerprint::command::{ack_packet, Command, SystemParameters};
use crate::fingerprint::config::LedKind;
use crate::fingerprint::packet::{encode, Decoder, FrameError, Packet, Pid, DEFAULT_ADDRESS};
use crate::fingerprint::sim::{Finger, SimFault, SimulatedModule};

/// GenImg acknowledge "no finger": 07 + 00 + 03 + 02 = 0x000C.
const NO_FINGER: [u8; 12] = [
    0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x03, 0x02, 0x00, 0x0C,
];

/// Acknowledge "ok" with no values: 07 + 00 + 03 + 00 = 0x000A.
const OK: [u8; 12] = [
    0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x03, 0x00, 0x00, 0x0A,
];

fn ask(module: &mut SimulatedModule, command: Command) -> Option<Vec<u8>> {
    module.respond(&command.to_packet(DEFAULT_ADDRESS))
}

fn search(start_page: u16, page_count: u16) -> Command {
    Command::Search {
        buffer: 1,
        start_page,
        page_count,
    }
}

#[test]
fn sim_no_finger() {
    let mut module = SimulatedModule::new();
    assert_eq!(ask(&mut module, Command::GenImg), Some(NO_FINGER.to_vec()));
}

#[test]
fn sim_enrolled_finger_found() {
    let mut module = SimulatedModule::new();
    module.set_finger(Finger::Enrolled {
        page_id: 5,
        score: 100,
    });
    assert_eq!(ask(&mut module, Command::GenImg), Some(OK.to_vec()));
    assert_eq!(
        ask(&mut module, Command::Img2Tz { buffer: 1 }),
        Some(OK.to_vec())
    );
    // Page 5, score 100: 07 + 07 + 05 + 64 = 0x0077.
    assert_eq!(
        ask(&mut module, search(0, 200)),
        Some(vec![
            0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x07, 0x00, 0x00, 0x05, 0x00, 0x64,
            0x00, 0x77,
        ])
    );
    assert_eq!(
        module.received(),
        &[
            Command::GenImg,
            Command::Img2Tz { buffer: 1 },
            search(0, 200)
        ]
    );
}

#[test]
fn sim_page_outside_range_not_found() {
    let mut module = SimulatedModule::new();
    module.set_finger(Finger::Enrolled {
        page_id: 150,
        score: 90,
    });
    ask(&mut module, Command::GenImg);
    ask(&mut module, Command::Img2Tz { buffer: 1 });
    // Not found: 07 + 07 + 09 = 0x0017.
    let not_found = vec![
        0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x07, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x17,
    ];
    assert_eq!(ask(&mut module, search(0, 150)), Some(not_found.clone()));
    assert_eq!(ask(&mut module, search(151, 49)), Some(not_found));
    // Page 150 is the last page of 100..=150.
    let found = ask(&mut module, search(100, 51)).expect("reply");
    assert_eq!(found[9], 0x00);
}

#[test]
fn sim_unknown_finger_not_found() {
    let mut module = SimulatedModule::new();
    module.set_finger(Finger::Unknown);
    ask(&mut module, Command::GenImg);
    ask(&mut module, Command::Img2Tz { buffer: 1 });
    let reply = ask(&mut module, search(0, 200)).expect("reply");
    assert_eq!(reply[9], 0x09);
}

#[test]
fn sim_search_start_beyond_library() {
    let mut module = SimulatedModule::new().with_library_size(100);
    module.set_finger(Finger::Unknown);
    ask(&mut module, Command::GenImg);
    ask(&mut module, Command::Img2Tz { buffer: 1 });
    let reply = ask(&mut module, search(100, 10)).expect("reply");
    assert_eq!(reply[9], ConfirmationCode::BadLocation.to_u8());
}

#[test]
fn sim_poor_image() {
    let mut module = SimulatedModule::new();
    module.set_finger(Finger::PoorImage(ConfirmationCode::FeatureFail));
    assert_eq!(ask(&mut module, Command::GenImg), Some(OK.to_vec()));
    let reply = ask(&mut module, Command::Img2Tz { buffer: 1 }).expect("reply");
    assert_eq!(reply[9], 0x07);

    module.set_finger(Finger::PoorImage(ConfirmationCode::ImageFail));
    let reply = ask(&mut module, Command::GenImg).expect("reply");
    assert_eq!(reply[9], 0x03);
}

#[test]
fn sim_img2tz_without_image() {
    let mut module = SimulatedModule::new();
    let reply = ask(&mut module, Command::Img2Tz { buffer: 1 }).expect("reply");
    assert_eq!(reply[9], ConfirmationCode::InvalidImage.to_u8());
    let reply = ask(&mut module, Command::Img2Tz { buffer: 7 }).expect("reply");
    assert_eq!(reply[9], ConfirmationCode::PacketReceiveError.to_u8());
}

#[test]
fn sim_read_sys_para() {
    let mut module = SimulatedModule::new().with_library_size(300);
    let reply = ask(&mut module, Command::ReadSysPara).expect("reply");
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    decoder.push(&reply);
    let Some(Ok(packet)) = decoder.next_packet() else {
        panic!("not decoded");
    };
    assert_eq!(packet.payload()[0], 0x00);
    let parameters = SystemParameters::parse(&packet.payload()[1..]).expect("16 bytes");
    assert_eq!(parameters.library_size, 300);
    assert_eq!(parameters.device_address, DEFAULT_ADDRESS);
    assert_eq!(parameters.baud_rate(), 57_600);
}

#[test]
fn sim_password_gate() {
    let mut module = SimulatedModule::new().with_password(0x0102_0304);
    let reply = ask(&mut module, Command::GenImg).expect("reply");
    assert_eq!(reply[9], ConfirmationCode::MustVerifyPassword.to_u8());
    let reply = ask(&mut module, Command::VfyPwd { password: 9 }).expect("reply");
    assert_eq!(reply[9], ConfirmationCode::WrongPassword.to_u8());
    let reply = ask(
        &mut module,
        Command::VfyPwd {
            password: 0x0102_0304,
        },
    )
    .expect("reply");
    assert_eq!(reply[9], 0x00);
    assert_eq!(ask(&mut module, Command::GenImg), Some(NO_FINGER.to_vec()));
}

#[test]
fn sim_ignores_other_address() {
    let mut module = SimulatedModule::new().with_address(0x0000_0001);
    assert_eq!(ask(&mut module, Command::GenImg), None);
    let reply = module
        .respond(&Command::GenImg.to_packet(1))
        .expect("reply");
    // Address 00 00 00 01 is not summed: checksum still 0x000C.
    assert_eq!(
        reply,
        vec![0xEF, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x00, 0x03, 0x02, 0x00, 0x0C]
    );
}

#[test]
fn sim_silent_fault() {
    let mut module = SimulatedModule::new();
    module.inject(SimFault::Silent);
    assert_eq!(ask(&mut module, Command::GenImg), None);
    assert_eq!(ask(&mut module, Command::GenImg), Some(NO_FINGER.to_vec()));
}

#[test]
fn sim_corrupt_checksum_fault() {
    let mut module = SimulatedModule::new();
    module.inject(SimFault::CorruptChecksum);
    let reply = ask(&mut module, Command::GenImg).expect("reply");
    // Last byte 0C inverted to F3.
    assert_eq!(reply[11], 0xF3);
    let mut decoder = Decoder::new(DEFAULT_ADDRESS);
    decoder.push(&reply);
    assert_eq!(
        decoder.next_packet(),
        Some(Err(FrameError::BadChecksum {
            received: 0x00F3,
            computed: 0x000C,
        }))
    );
}

#[test]
fn sim_code_fault() {
    let mut module = SimulatedModule::new();
    module.inject(SimFault::Code(ConfirmationCode::SensorError));
    let reply = ask(&mut module, Command::GenImg).expect("reply");
    assert_eq!(reply[9], 0x29);
    // A forced search acknowledge keeps the page and score fields.
    module.inject(SimFault::Code(ConfirmationCode::Timeout));
    let reply = ask(&mut module, search(0, 10)).expect("reply");
    assert_eq!(reply.len(), 16);
    assert_eq!(reply[9], 0x26);
}

#[test]
fn sim_feed_byte_by_byte() {
    let mut module = SimulatedModule::new();
    let frame = Command::GenImg.encode(DEFAULT_ADDRESS);
    let mut output = Vec::new();
    for byte in &frame {
        output.extend(module.feed(&[*byte]));
    }
    assert_eq!(output, NO_FINGER.to_vec());
}

#[test]
fn sim_feed_damaged_command() {
    let mut module = SimulatedModule::new();
    let mut frame = Command::GenImg.encode(DEFAULT_ADDRESS);
    frame[11] ^= 0x01;
    // Packet receive error: 07 + 00 + 03 + 01 = 0x000B.
    assert_eq!(
        module.feed(&frame),
        vec![0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x03, 0x01, 0x00, 0x0B]
    );
    assert!(module.received().is_empty());
}

#[test]
fn sim_unknown_instruction() {
    let mut module = SimulatedModule::new();
    let packet = Packet::new(DEFAULT_ADDRESS, Pid::Command, vec![0x7E]).expect("short");
    let reply = module.respond(&packet).expect("reply");
    assert_eq!(reply[9], ConfirmationCode::UnsupportedCommand.to_u8());
}

#[test]
fn sim_led_support() {
    let mut module = SimulatedModule::new().with_led(LedKind::OnOff);
    assert_eq!(ask(&mut module, Command::LedOn), Some(OK.to_vec()));
    let signal = crate::fingerprint::config::PollerConfig::default().aura_success;
    let reply = ask(&mut module, Command::AuraLedConfig(signal)).expect("reply");
    assert_eq!(reply[9], ConfirmationCode::UnsupportedCommand.to_u8());
    assert_eq!(module.led_commands(), &[Command::LedOn]);
}

#[test]
fn sim_reply_matches_ack_packet() {
    let mut module = SimulatedModule::new();
    let reply = ask(&mut module, Command::Handshake).expect("reply");
    assert_eq!(
        reply,
        encode(&ack_packet(DEFAULT_ADDRESS, ConfirmationCode::Ok, &[]))
    );
}
