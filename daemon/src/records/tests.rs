//! Folding stored events into records, and the status of write-offs,
//! worked out by hand on the shipped 2026 calendar.

use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::json;

use super::leave::{Approval, ApprovalStep};
use super::outage::OutageSource;
use super::writeoff::{Emergency, Paperwork, Registration, Revocation, WriteOffAction};
use super::*;
use crate::auth::{Actor, Role};
use crate::rules::{Checkpoint, WriteOffKind};
use crate::time::DEFAULT_TIME_ZONE;

fn calendar() -> Calendar {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/calendar");
    Calendar::load_official(&[dir.join("cn-2025.toml"), dir.join("cn-2026.toml")])
        .expect("shipped calendar files load")
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("test time")
}

/// The UTC instant of a local time in Asia/Shanghai (UTC+8).
fn utc(text: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&(local(text) - chrono::Duration::hours(8)))
}

fn bureau() -> Actor {
    Actor {
        role: Role::Bureau,
        unit: None,
        token_id: "bureau-1".to_string(),
    }
}

/// A stored event of `kind` with sequence `seq`, from `device`, received
/// at the local time `at`.
fn stored(
    seq: i64,
    kind: EventKind,
    device: &str,
    at: &str,
    payload: serde_json::Value,
) -> StoredEvent {
    StoredEvent {
        seq,
        kind,
        device_id: device.to_string(),
        idempotency_key: format!("key-{seq}"),
        device_time: None,
        received_at: utc(at),
        subject: None,
        raw: Vec::new(),
        payload,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

fn status_event(seq: i64, device: &str, state: &str, at: &str) -> StoredEvent {
    stored(
        seq,
        EventKind::DeviceStatus,
        device,
        at,
        json!({"state": state, "port": "/dev/ttyUSB0", "reason": "end of file on the port"}),
    )
}

#[test]
fn outages_from_device_status() {
    let events = [
        status_event(1, "clock-1", "connected", "2026-11-02 07:00:00"),
        status_event(2, "clock-1", "lost", "2026-11-02 08:00:00"),
        // A second lost while lost changes nothing.
        status_event(3, "clock-1", "lost", "2026-11-02 08:10:00"),
        status_event(4, "keypad-1", "lost", "2026-11-02 08:20:00"),
        status_event(5, "clock-1", "connected", "2026-11-02 09:00:00"),
        // Connected while connected changes nothing.
        status_event(6, "clock-1", "connected", "2026-11-02 09:05:00"),
        status_event(7, "clock-2", "lost", "2026-11-03 17:00:00"),
        stored(
            8,
            EventKind::DeviceStatus,
            "clock-2",
            "2026-11-03 17:01:00",
            json!({"state": "fault"}),
        ),
    ];
    let is_clock = |device: &str| device.starts_with("clock");
    let outages = outage::assemble(&events, DEFAULT_TIME_ZONE, &is_clock).unwrap();

    assert_eq!(outages.len(), 2);
    assert_eq!(outages[0].id, 2);
    assert_eq!(outages[0].device.as_deref(), Some("clock-1"));
    assert_eq!(outages[0].start, local("2026-11-02 08:00:00"));
    assert_eq!(outages[0].end, Some(local("2026-11-02 09:00:00")));
    assert_eq!(outages[0].opened_by, OutageSource::Device);
    assert_eq!(outages[0].closed_by, Some(OutageSource::Device));
    assert_eq!(
        outages[0].device_reason.as_deref(),
        Some("end of file on the port")
    );
    assert_eq!(outages[1].id, 7);
    assert_eq!(outages[1].end, None);
}

#[test]
fn outages_from_bureau_actions() {
    let actor = bureau();
    let bureau_event = |seq: i64, action: outage::OutageAction| {
        let event = action
            .to_event(
                &actor,
                format!("key-{seq}"),
                b"{}",
                utc("2026-11-04 10:00:00"),
            )
            .unwrap();
        StoredEvent {
            seq,
            kind: event.kind,
            device_id: event.device_id,
            idempotency_key: event.idempotency_key,
            device_time: None,
            received_at: event.received_at,
            subject: event.subject,
            raw: event.raw,
            payload: event.payload,
            prev_hash: String::new(),
            hash: String::new(),
        }
    };
    let events = [
        status_event(1, "clock-1", "lost", "2026-11-03 08:00:00"),
        bureau_event(
            2,
            outage::OutageAction::Open(outage::OutageOpening {
                device: None,
                start: local("2026-11-02 13:00:00"),
                end: None,
                note: "停电".to_string(),
                actor: actor.clone(),
            }),
        ),
        // The bureau closes the device's outage before the device returns;
        // the later connected event changes nothing.
        bureau_event(
            3,
            outage::OutageAction::Close(outage::OutageClosing {
                outage: 1,
                end: local("2026-11-03 09:10:00"),
                actor: actor.clone(),
            }),
        ),
        status_event(4, "clock-1", "connected", "2026-11-03 08:50:00"),
        bureau_event(
            5,
            outage::OutageAction::Note(outage::OutageNote {
                outage: 1,
                note: "考勤机重启后仍不识别指纹".to_string(),
                actor: actor.clone(),
            }),
        ),
    ];
    let outages = outage::assemble(&events, DEFAULT_TIME_ZONE, &|_| true).unwrap();
    assert_eq!(outages.len(), 2);
    assert_eq!(outages[0].end, Some(local("2026-11-03 09:10:00")));
    assert_eq!(outages[0].closed_by, Some(OutageSource::Bureau));
    assert_eq!(outages[0].notes[0].text, "考勤机重启后仍不识别指纹");
    assert_eq!(outages[0].notes[0].by, "bureau-1");
    assert_eq!(outages[1].opened_by, OutageSource::Bureau);
    assert_eq!(outages[1].notes[0].text, "停电");

    // An action on an outage no event opened is an invalid journal.
    let orphan = [bureau_event(
        9,
        outage::OutageAction::Note(outage::OutageNote {
            outage: 3,
            note: "x".to_string(),
            actor: actor.clone(),
        }),
    )];
    let error = outage::assemble(&orphan, DEFAULT_TIME_ZONE, &|_| true).unwrap_err();
    assert!(
        matches!(error, RecordsError::InvalidRecord { seq: 9, .. }),
        "{error}"
    );
}

fn registration(kind: WriteOffKind, from: &str, to: &str) -> Registration {
    Registration {
        person: "S002".to_string(),
        kind,
        from: date(from),
        to: date(to),
        from_checkpoint: Checkpoint::MorningIn,
        to_checkpoint: Checkpoint::EveningOut,
        reason: "家中有事".to_string(),
        approved_by: "王监管".to_string(),
        approvals: Vec::new(),
        sick_certificate: None,
        emergency: None,
        half_days: 2,
        actor: bureau(),
    }
}

fn write_off_event(seq: i64, action: WriteOffAction) -> StoredEvent {
    stored(
        seq,
        EventKind::WriteOff,
        "api:bureau-1",
        "2026-11-10 10:00:00",
        serde_json::to_value(action).unwrap(),
    )
}

fn chain() -> Vec<Approval> {
    [ApprovalStep::ChiefRepresentative, ApprovalStep::Bureau]
        .into_iter()
        .map(|step| Approval {
            step,
            name: "签字人".to_string(),
            date: None,
        })
        .collect()
}

#[test]
fn emergency_status_by_paperwork_day() {
    let calendar = calendar();
    // Emergency leave on Monday 2026-11-02; the paperwork is due by the
    // end of Thursday 2026-11-05, the third working day after it.
    let mut leave = registration(WriteOffKind::PersonalLeave, "2026-11-02", "2026-11-02");
    leave.emergency = Some(Emergency {
        notified_at: local("2026-11-02 08:05:00"),
    });
    // (paperwork day, as of, status)
    let cases = [
        (
            None,
            "2026-11-05 23:59:59",
            WriteOffStatus::AwaitingPaperwork,
        ),
        (None, "2026-11-06 00:00:00", WriteOffStatus::Lapsed),
        (
            Some("2026-11-05"),
            "2026-12-01 00:00:00",
            WriteOffStatus::PaperworkCompleted,
        ),
        (
            Some("2026-11-06"),
            "2026-12-01 00:00:00",
            WriteOffStatus::Lapsed,
        ),
        (
            Some("2026-11-03"),
            "2026-11-03 12:00:00",
            WriteOffStatus::PaperworkCompleted,
        ),
    ];
    for (completed_on, as_of, expected) in cases {
        let mut events = vec![write_off_event(1, WriteOffAction::Register(leave.clone()))];
        if let Some(day) = completed_on {
            events.push(write_off_event(
                2,
                WriteOffAction::Paperwork(Paperwork {
                    write_off: 1,
                    completed_on: date(day),
                    approvals: chain(),
                    sick_certificate: None,
                    actor: bureau(),
                }),
            ));
        }
        let write_offs = writeoff::assemble(&events).unwrap();
        let status = write_offs[0].status(&calendar, local(as_of));
        assert_eq!(status, expected, "paperwork {completed_on:?} as of {as_of}");
        assert_eq!(
            write_offs[0].paperwork_due(&calendar),
            Some(date("2026-11-05"))
        );

        let records = Records {
            write_offs,
            ..Records::default()
        };
        let covers = records.covers(&calendar, local(as_of));
        assert_eq!(covers.write_offs.len(), usize::from(expected.in_force()));
    }
}

#[test]
fn sick_leave_reported_kind() {
    // (certificate at registration, certificate with the paperwork,
    // reported kind)
    let cases = [
        (Some(true), None, WriteOffKind::SickLeave),
        (Some(false), None, WriteOffKind::PersonalLeave),
        (None, None, WriteOffKind::PersonalLeave),
        (Some(false), Some(true), WriteOffKind::SickLeave),
    ];
    for (registered, handed_in, expected) in cases {
        let mut leave = registration(WriteOffKind::SickLeave, "2026-11-02", "2026-11-02");
        leave.sick_certificate = registered;
        leave.emergency = Some(Emergency {
            notified_at: local("2026-11-02 08:05:00"),
        });
        let mut events = vec![write_off_event(1, WriteOffAction::Register(leave))];
        if handed_in.is_some() {
            events.push(write_off_event(
                2,
                WriteOffAction::Paperwork(Paperwork {
                    write_off: 1,
                    completed_on: date("2026-11-03"),
                    approvals: chain(),
                    sick_certificate: handed_in,
                    actor: bureau(),
                }),
            ));
        }
        let write_offs = writeoff::assemble(&events).unwrap();
        assert_eq!(
            write_offs[0].reported_kind(),
            expected,
            "{registered:?} {handed_in:?}"
        );
        assert_eq!(write_offs[0].span().kind, expected);
    }
}

#[test]
fn revoked_and_month_filter() {
    let calendar = calendar();
    let events = [
        write_off_event(
            1,
            WriteOffAction::Register(registration(
                WriteOffKind::BusinessTrip,
                "2026-10-29",
                "2026-11-03",
            )),
        ),
        write_off_event(
            2,
            WriteOffAction::Register(registration(
                WriteOffKind::AnnualLeave,
                "2026-12-01",
                "2026-12-02",
            )),
        ),
        write_off_event(
            3,
            WriteOffAction::Revoke(Revocation {
                write_off: 2,
                reason: "登记错误".to_string(),
                actor: bureau(),
            }),
        ),
    ];
    let records = Records {
        write_offs: writeoff::assemble(&events).unwrap(),
        ..Records::default()
    };
    let as_of = local("2026-12-04 12:00:00");
    assert_eq!(
        records.write_offs[1].status(&calendar, as_of),
        WriteOffStatus::Revoked
    );
    let covers = records.covers(&calendar, as_of);
    assert_eq!(covers.write_offs.len(), 1);
    assert_eq!(covers.write_offs[0].id, 1);

    // The trip from October 29 to November 3 touches both months.
    let november = records.between(date("2026-11-01"), date("2026-11-30"));
    assert_eq!(november.write_offs.len(), 1);
    let october = records.between(date("2026-10-01"), date("2026-10-31"));
    assert_eq!(october.write_offs.len(), 1);
    let december = records.between(date("2026-12-01"), date("2026-12-31"));
    assert_eq!(december.write_offs.len(), 1);
    assert_eq!(december.write_offs[0].id, 2);

    // A revocation of a write-off no event registered is an invalid journal.
    let orphan = [write_off_event(
        5,
        WriteOffAction::Revoke(Revocation {
            write_off: 4,
            reason: "x".to_string(),
            actor: bureau(),
        }),
    )];
    assert!(matches!(
        writeoff::assemble(&orphan),
        Err(RecordsError::InvalidRecord { seq: 5, .. })
    ));
    let garbage = [stored(
        6,
        EventKind::WriteOff,
        "api:x",
        "2026-11-02 08:00:00",
        json!({"action": "burn"}),
    )];
    assert!(matches!(
        writeoff::assemble(&garbage),
        Err(RecordsError::InvalidRecord { seq: 6, .. })
    ));
}
