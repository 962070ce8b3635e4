//! Tests of the journal-backed ratings state: correction requests filed at
//! fixed instants against the shipped 2025 and 2026 calendars, decisions,
//! and the merged duty roster. Deadlines are worked out by hand below.

use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::json;
use tempfile::TempDir;

use super::corrections::{
    decide, file_request, read_ledger, CorrectionCheckError, CorrectionStatus, DecisionInput,
    Ledger, RequestInput,
};
use super::records::{Decision, DUTY_ASSIGNMENT_TYPE};
use super::roster::{assign, DutyCheckError, DutyInput, DutySource, Roster};
use super::Submitted;
use crate::config::{parse, Config};
use crate::journal::{EventKind, Journal, NewEvent};
use crate::rules::ratings::{staff_on_duty, CorrectedLevel, DeadlineError, DutyAssignment, Level};
use crate::time::local_to_utc;

const CONFIG: &str = r#"
[journal]
path = "journal.sqlite"

[[unit]]
id = "tax"
name = "县税务局"
chief = "S001"
windows = [{ id = "W01", name = "1号窗口" }, { id = "W02", name = "2号窗口" }]

[[unit]]
id = "hrss"
name = "县人社局"
chief = "S004"
windows = [{ id = "W03", name = "3号窗口" }]

[[unit]]
id = "civil"
name = "县民政局"
windows = [{ id = "W04", name = "4号窗口" }]

[[staff]]
id = "S001"
name = "马建国"
unit = "tax"

[[staff]]
id = "S002"
name = "韩丽"
unit = "tax"

[[staff]]
id = "S004"
name = "李振华"
unit = "hrss"

[[duty]]
window = "W01"
staff = "S001"
from = 2025-01-01

[[duty]]
window = "W02"
staff = "S002"
from = 2025-01-01
"#;

struct Setup {
    _dir: TempDir,
    config: Config,
    journal: Journal,
}

fn setup() -> Setup {
    let dir = TempDir::new().expect("temp dir");
    let calendar_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config");
    let text = CONFIG.replace(
        "path = \"journal.sqlite\"",
        &format!("path = \"{}\"", dir.path().join("journal.sqlite").display()),
    );
    let config = parse(Path::new("hallbox.toml"), &text, &calendar_dir).expect("valid config");
    let journal = Journal::open(&config.journal.path).expect("journal opens");
    Setup {
        _dir: dir,
        config,
        journal,
    }
}

fn local(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("test time")
}

fn utc(config: &Config, text: &str) -> DateTime<Utc> {
    local_to_utc(config.site.time_zone, local(text)).expect("local time exists")
}

/// Stores a press in the keypad driver's format and returns its id.
fn press(setup: &mut Setup, window_id: &str, at: &str, level: Level) -> i64 {
    let time = utc(&setup.config, at);
    let button = level.index() + 1;
    let event = NewEvent {
        kind: EventKind::Rating,
        device_id: format!("kp-{window_id}"),
        idempotency_key: format!("press:{window_id}:{at}"),
        device_time: Some(time),
        received_at: time,
        subject: Some(window_id.to_string()),
        raw: Vec::new(),
        payload: json!({
            "window_id": window_id,
            "keypad_address": 1,
            "session": 7,
            "sequence": 0,
            "button": button,
            "level": level.as_str(),
            "repeat": false,
            "local_time": at,
        }),
    };
    setup.journal.append(&event).expect("press stored").seq()
}

fn request(level: &str, by: &str) -> RequestInput {
    RequestInput {
        level: level.to_string(),
        reason: "申请人误按".to_string(),
        requested_by: by.to_string(),
    }
}

fn file(
    setup: &mut Setup,
    rating_id: i64,
    input: &RequestInput,
    at: &str,
) -> Result<super::corrections::CorrectionView, CorrectionCheckError> {
    let now = utc(&setup.config, at);
    file_request(
        &mut setup.journal,
        &setup.config,
        rating_id,
        input,
        Submitted {
            raw: b"{}",
            audit: None,
            now,
        },
    )
}

fn decision(by: &str) -> DecisionInput {
    DecisionInput {
        reason: "核实监控录像".to_string(),
        decided_by: by.to_string(),
    }
}

#[test]
fn deadline_tables_real_calendar() {
    // (press, last filing time in time, first filing time too late,
    //  last allowed day as the message states it)
    let cases = [
        // Friday before the 2025 Spring Festival week: Sun 01-26 is a
        // make-up workday (1), Mon 01-27 (2), 01-28..02-04 rest, Wed 02-05
        // (3).
        (
            "2025-01-24 10:00:00",
            "2025-02-05 23:59:59",
            "2025-02-06 00:00:00",
            "2025-02-05",
        ),
        // Friday before the 2025 National Day week: make-up Sun 09-28 (1),
        // Mon 09-29 (2), Tue 09-30 (3); 10-01..10-08 rest.
        (
            "2025-09-26 17:45:00",
            "2025-09-30 23:59:00",
            "2025-10-01 00:00:00",
            "2025-09-30",
        ),
        // Friday before make-up Saturday 2026-05-09: Sat 05-09 (1), Mon
        // 05-11 (2), Tue 05-12 (3).
        (
            "2026-05-08 16:00:00",
            "2026-05-12 23:59:00",
            "2026-05-13 00:00:00",
            "2026-05-12",
        ),
        // Friday before make-up Saturday 2026-02-14 and the Spring Festival
        // week 02-15..02-23: Sat 02-14 (1), Tue 02-24 (2), Wed 02-25 (3).
        (
            "2026-02-13 23:59:00",
            "2026-02-25 23:59:00",
            "2026-02-26 00:00:00",
            "2026-02-25",
        ),
    ];
    for (pressed, last_in_time, first_late, last_day) in cases {
        let mut setup = setup();
        let rating = press(&mut setup, "W01", pressed, Level::Unsatisfied);

        let late = file(
            &mut setup,
            rating,
            &request("satisfied", "S001"),
            first_late,
        )
        .expect_err("late request");
        let message = late.to_string();
        assert!(
            matches!(
                late,
                CorrectionCheckError::Deadline(DeadlineError::Late { .. })
            ),
            "{pressed}: {message}"
        );
        let expected = format!(
            "correction request filed at {first_late} is late: the correction window for a \
             rating pressed on {} ended at {last_day} 24:00 (3 working days after the press)",
            &pressed[..10]
        );
        assert_eq!(message, expected, "{pressed}");

        let view = file(
            &mut setup,
            rating,
            &request("satisfied", "S001"),
            last_in_time,
        )
        .unwrap_or_else(|error| panic!("{pressed} filed at {last_in_time}: {error}"));
        assert_eq!(view.status, CorrectionStatus::Pending);
        assert_eq!(view.request.requested_at, local(last_in_time));
        assert_eq!(view.request.deadline, local(first_late), "{pressed}");
        assert_eq!(view.request.pressed_at, local(pressed));
    }
}

#[test]
fn request_during_holiday_in_time() {
    let mut setup = setup();
    let rating = press(
        &mut setup,
        "W01",
        "2025-01-24 10:00:00",
        Level::VeryUnsatisfied,
    );
    let view = file(
        &mut setup,
        rating,
        &request("void", "S001"),
        "2025-02-01 11:00:00",
    )
    .expect("in time during the holiday");
    assert_eq!(view.request.level, CorrectedLevel::Void);
    assert_eq!(view.request.original_level, Level::VeryUnsatisfied);
    assert_eq!(view.request.unit_id, "tax");
    assert_eq!(view.request.window_id, "W01");
}

#[test]
fn request_before_press_rejected() {
    let mut setup = setup();
    let rating = press(&mut setup, "W01", "2026-11-06 10:00:00", Level::Unsatisfied);
    let error = file(
        &mut setup,
        rating,
        &request("satisfied", "S001"),
        "2026-11-06 09:59:59",
    )
    .expect_err("box clock before the press");
    assert!(
        matches!(
            error,
            CorrectionCheckError::Deadline(DeadlineError::BeforePress { .. })
        ),
        "{error}"
    );
}

#[test]
fn request_needs_calendar_year() {
    let mut setup = setup();
    // Thu 2026-12-31 is the first working day after the press, and 2027
    // has no calendar file.
    let rating = press(&mut setup, "W01", "2026-12-30 10:00:00", Level::Unsatisfied);
    let error = file(
        &mut setup,
        rating,
        &request("satisfied", "S001"),
        "2026-12-30 11:00:00",
    )
    .expect_err("2027 is not covered");
    assert!(
        matches!(
            error,
            CorrectionCheckError::Deadline(DeadlineError::Calendar(_))
        ),
        "{error}"
    );
}

#[test]
fn request_checks_in_order() {
    let mut setup = setup();
    let rating = press(&mut setup, "W01", "2026-11-06 10:00:00", Level::Unsatisfied);
    let hrss = press(&mut setup, "W03", "2026-11-06 10:05:00", Level::Unsatisfied);
    let civil = press(&mut setup, "W04", "2026-11-06 10:06:00", Level::Unsatisfied);
    let stray = press(&mut setup, "W99", "2026-11-06 10:07:00", Level::Unsatisfied);
    let at = "2026-11-09 09:00:00";

    let error = file(&mut setup, rating, &request("great", "S001"), at).unwrap_err();
    assert!(
        matches!(
            error,
            CorrectionCheckError::InvalidField { field: "level", .. }
        ),
        "{error}"
    );
    let mut blank = request("satisfied", "S001");
    blank.reason = "  ".to_string();
    let error = file(&mut setup, rating, &blank, at).unwrap_err();
    assert!(
        matches!(
            error,
            CorrectionCheckError::InvalidField {
                field: "reason",
                ..
            }
        ),
        "{error}"
    );

    let error = file(&mut setup, 999, &request("satisfied", "S001"), at).unwrap_err();
    assert!(
        matches!(
            error,
            CorrectionCheckError::RatingNotFound { rating_id: 999 }
        ),
        "{error}"
    );

    // S004 is the chief of hrss, not of tax; S002 is tax staff but no chief.
    for by in ["S004", "S002", "nobody"] {
        let error = file(&mut setup, rating, &request("satisfied", by), at).unwrap_err();
        assert!(
            matches!(error, CorrectionCheckError::NotChief { .. }),
            "{by}: {error}"
        );
    }
    let error = file(&mut setup, hrss, &request("satisfied", "S001"), at).unwrap_err();
    assert_eq!(
        error.to_string(),
        "staff 'S001' is not the chief representative of unit 'hrss', which window W03 \
         belongs to: only its chief representative may request a correction"
    );
    let error = file(&mut setup, civil, &request("satisfied", "S001"), at).unwrap_err();
    assert!(
        matches!(error, CorrectionCheckError::NoChief { .. }),
        "{error}"
    );
    let error = file(&mut setup, stray, &request("satisfied", "S001"), at).unwrap_err();
    assert!(
        matches!(error, CorrectionCheckError::WindowWithoutUnit { .. }),
        "{error}"
    );

    let error = file(&mut setup, rating, &request("unsatisfied", "S001"), at).unwrap_err();
    assert!(
        matches!(error, CorrectionCheckError::SameLevel { .. }),
        "{error}"
    );

    // Nothing above was stored.
    assert!(read_ledger(&setup.journal)
        .expect("ledger")
        .corrections
        .is_empty());
}

#[test]
fn decisions_and_states() {
    let mut setup = setup();
    let rating = press(&mut setup, "W01", "2026-11-06 10:00:00", Level::Unsatisfied);
    let now = utc(&setup.config, "2026-11-09 10:00:00");

    // Filed, then rejected.
    let first = file(
        &mut setup,
        rating,
        &request("satisfied", "S001"),
        "2026-11-09 09:00:00",
    )
    .expect("filed");
    let error = file(
        &mut setup,
        rating,
        &request("void", "S001"),
        "2026-11-09 09:10:00",
    )
    .unwrap_err();
    assert!(
        matches!(error, CorrectionCheckError::AlreadyPending { request_id, .. } if request_id == first.id),
        "{error}"
    );

    let journal = &mut setup.journal;
    let config = &setup.config;
    for (by, expected) in [("S001", "own request"), ("S002", "same unit")] {
        let error = decide(
            journal,
            config,
            first.id,
            Decision::Rejected,
            &decision(by),
            Submitted {
                raw: b"{}",
                audit: None,
                now,
            },
        )
        .unwrap_err();
        let matched = match expected {
            "own request" => matches!(error, CorrectionCheckError::OwnRequest { .. }),
            _ => matches!(error, CorrectionCheckError::SameUnit { .. }),
        };
        assert!(matched, "{by}: {error}");
    }
    let error = decide(
        journal,
        config,
        rating,
        Decision::Approved,
        &decision("bureau-wang"),
        Submitted {
            raw: b"{}",
            audit: None,
            now,
        },
    )
    .unwrap_err();
    assert!(
        matches!(error, CorrectionCheckError::RequestNotFound { .. }),
        "a rating id is no request id: {error}"
    );

    let rejected = decide(
        journal,
        config,
        first.id,
        Decision::Rejected,
        &decision("bureau-wang"),
        Submitted {
            raw: b"{}",
            audit: None,
            now,
        },
    )
    .expect("rejected");
    assert_eq!(rejected.status, CorrectionStatus::Rejected);
    let error = decide(
        journal,
        config,
        first.id,
        Decision::Approved,
        &decision("bureau-li"),
        Submitted {
            raw: b"{}",
            audit: None,
            now,
        },
    )
    .unwrap_err();
    assert!(
        matches!(error, CorrectionCheckError::AlreadyDecided { .. }),
        "{error}"
    );

    // Filed again after the rejection, then approved.
    let second = file(
        &mut setup,
        rating,
        &request("void", "S001"),
        "2026-11-10 09:00:00",
    )
    .expect("filed again");
    let approved = decide(
        &mut setup.journal,
        &setup.config,
        second.id,
        Decision::Approved,
        &decision("bureau-li"),
        Submitted {
            raw: b"{}",
            audit: None,
            now,
        },
    )
    .expect("approved");
    assert_eq!(approved.status, CorrectionStatus::Approved);

    let error = file(
        &mut setup,
        rating,
        &request("satisfied", "S001"),
        "2026-11-10 10:00:00",
    )
    .unwrap_err();
    assert!(
        matches!(error, CorrectionCheckError::AlreadyApproved { request_id, .. } if request_id == second.id),
        "{error}"
    );

    let ledger = read_ledger(&setup.journal).expect("ledger");
    let states: Vec<(i64, CorrectionStatus)> = ledger
        .corrections
        .iter()
        .map(|view| (view.id, view.status))
        .collect();
    assert_eq!(
        states,
        vec![
            (first.id, CorrectionStatus::Rejected),
            (second.id, CorrectionStatus::Approved)
        ]
    );
    let approved = ledger.approved();
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0].rating_seq, rating);
    assert_eq!(approved[0].new, CorrectedLevel::Void);
    assert_eq!(approved[0].requested_by, "S001");
    assert_eq!(approved[0].approved_by, "bureau-li");
    assert_eq!(approved[0].approved_at, local("2026-11-09 10:00:00"));
    assert!(ledger.unreadable.is_empty());
}

#[test]
fn ledger_ignores_stray_decisions() {
    let mut setup = setup();
    let rating = press(&mut setup, "W01", "2026-11-06 10:00:00", Level::Unsatisfied);
    let view = file(
        &mut setup,
        rating,
        &request("satisfied", "S001"),
        "2026-11-09 09:00:00",
    )
    .expect("filed");
    let stored = |journal: &mut Journal, key: &str, request_id: i64, decision: &str| {
        let now = Utc::now();
        let event = NewEvent {
            kind: EventKind::Correction,
            device_id: "bureau-wang".to_string(),
            idempotency_key: key.to_string(),
            device_time: Some(now),
            received_at: now,
            subject: Some(format!("rating:{rating}")),
            raw: Vec::new(),
            payload: json!({
                "type": "rating_correction_decision",
                "request_id": request_id,
                "rating_id": rating,
                "decision": decision,
                "reason": "x",
                "decided_by": "bureau-wang",
                "decided_at": "2026-11-09T10:00:00",
            }),
        };
        journal.append(&event).expect("stored").seq()
    };
    let first = stored(&mut setup.journal, "d1", view.id, "rejected");
    let second = stored(&mut setup.journal, "d2", view.id, "approved");
    let stray = stored(&mut setup.journal, "d3", 4242, "approved");

    let ledger = read_ledger(&setup.journal).expect("ledger");
    assert_eq!(ledger.corrections.len(), 1);
    assert_eq!(ledger.corrections[0].status, CorrectionStatus::Rejected);
    assert_eq!(
        ledger.corrections[0].decision.as_ref().map(|d| d.id),
        Some(first)
    );
    let unreadable: Vec<i64> = ledger.unreadable.iter().map(|u| u.seq).collect();
    assert_eq!(unreadable, vec![second, stray]);
    assert!(ledger.approved().is_empty());
    assert_eq!(Ledger::from_events(&[]), Ledger::default());
}

fn duty_input(window: &str, staff: &str, from: &str, to: Option<&str>) -> DutyInput {
    DutyInput {
        window_id: window.to_string(),
        staff_id: staff.to_string(),
        from: from.to_string(),
        to: to.map(str::to_string),
        changed_by: "bureau-wang".to_string(),
        reason: None,
    }
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date")
}

#[test]
fn roster_merges_config_and_api() {
    let mut setup = setup();
    let now = utc(&setup.config, "2026-11-13 16:00:00");
    // S002 takes W01 over from 11-16; S001 covers W02 on 11-20 only; a
    // same-day entry for W02 from the config's start replaces S002 there.
    let changes = [
        duty_input("W01", "S002", "2026-11-16", None),
        duty_input("W02", "S001", "2026-11-20", Some("2026-11-20")),
        duty_input("W02", "S004", "2025-01-01", Some("2025-12-31")),
    ];
    for change in &changes {
        assign(&mut setup.journal, &setup.config, change, b"{}", None, now).expect("stored");
    }
    let roster = Roster::read(&setup.config, &setup.journal).expect("roster");
    assert_eq!(roster.entries.len(), 5);
    assert_eq!(roster.entries[0].source, DutySource::Config);
    assert!(matches!(
        &roster.entries[2].source,
        DutySource::Api { changed_by, changed_at, .. }
            if changed_by == "bureau-wang" && *changed_at == local("2026-11-13 16:00:00")
    ));

    let assignments: Vec<DutyAssignment> = roster.assignments();
    let cases = [
        ("W01", "2026-11-13", Some("S001")),
        ("W01", "2026-11-16", Some("S002")),
        ("W02", "2025-06-01", Some("S004")),
        ("W02", "2026-01-02", Some("S002")),
        ("W02", "2026-11-20", Some("S001")),
        ("W02", "2026-11-21", Some("S002")),
        ("W03", "2026-11-20", None),
    ];
    for (window, date, expected) in cases {
        assert_eq!(
            staff_on_duty(&assignments, window, day(date)),
            expected,
            "{window} on {date}"
        );
    }
}

#[test]
fn roster_rejects_bad_input() {
    let mut setup = setup();
    let now = Utc::now();
    let cases: [(DutyInput, &str); 8] = [
        (duty_input("W01", "S002", "2026-11-31", None), "from"),
        (duty_input("W01", "S002", "+262026-01-01", None), "from"),
        (duty_input("W01", "S002", "2026-1-1", None), "from"),
        (
            duty_input("W01", "S002", "2026-11-16", Some("20261-11-16")),
            "to",
        ),
        (
            duty_input("W01", "S002", "2026-11-16", Some("2026-11-15")),
            "to",
        ),
        (
            DutyInput {
                changed_by: " ".to_string(),
                ..duty_input("W01", "S002", "2026-11-16", None)
            },
            "changed_by",
        ),
        (duty_input("W09", "S002", "2026-11-16", None), "window_id"),
        (duty_input("W01", "S009", "2026-11-16", None), "staff_id"),
    ];
    for (input, field) in cases {
        let error =
            assign(&mut setup.journal, &setup.config, &input, b"{}", None, now).unwrap_err();
        let matched = match field {
            "window_id" => matches!(error, DutyCheckError::UnknownWindow { .. }),
            "staff_id" => matches!(error, DutyCheckError::UnknownStaff { .. }),
            _ => matches!(error, DutyCheckError::InvalidField { field: f, .. } if f == field),
        };
        assert!(matched, "{field}: {error}");
        assert!(error.to_string().contains(field), "{field}: {error}");
    }
    let roster = Roster::read(&setup.config, &setup.journal).expect("roster");
    assert_eq!(roster.entries.len(), 2, "only the config entries");
    // The record type is what the roster reads back.
    assert_eq!(DUTY_ASSIGNMENT_TYPE, "duty_assignment");
}
