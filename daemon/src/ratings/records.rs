//! The journal records of the ratings and how to read them back.
//!
//! | record | kind | `device_id` | `subject` | payload `type` |
//! | --- | --- | --- | --- | --- |
//! | keypad press | `rating` | keypad bus id | window id | none |
//! | correction request | `correction` | requesting staff id | `rating:SEQ` | `rating_correction_request` |
//! | correction decision | `correction` | deciding officer | `rating:SEQ` | `rating_correction_decision` |
//! | duty assignment | `audit` | who made the change | window id | `duty_assignment` |
//!
//! Records made through the API carry the request body as `raw`, and their
//! `device_time` is the time the box stored them, so that they can be read
//! back by time. Nothing is ever updated: the state of a correction is
//! derived from its request and decision records.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::journal::{EventKind, Journal, JournalError, JournalReader, StoredEvent};
use crate::rules::ratings::{CorrectedLevel, Level, RatingPress};
use crate::time::utc_to_local;

/// Payload `type` of a correction request.
pub const CORRECTION_REQUEST_TYPE: &str = "rating_correction_request";
/// Payload `type` of a correction decision.
pub const CORRECTION_DECISION_TYPE: &str = "rating_correction_decision";
/// Payload `type` of a duty assignment made through the API.
pub const DUTY_ASSIGNMENT_TYPE: &str = "duty_assignment";

/// Errors from reading one journal record of the ratings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("event {seq} is a {kind} event, not a {expected} event")]
    WrongKind {
        seq: i64,
        kind: EventKind,
        expected: EventKind,
    },
    #[error("rating event {seq} has no device time, so its local time is unknown")]
    NoDeviceTime { seq: i64 },
    #[error("invalid payload of event {seq}: {message}")]
    InvalidPayload { seq: i64, message: String },
}

/// A journal event that should be a ratings record but could not be read.
/// Reports list these instead of dropping them silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    pub seq: i64,
    pub reason: String,
}

impl From<RecordError> for Unreadable {
    fn from(error: RecordError) -> Unreadable {
        let seq = match &error {
            RecordError::WrongKind { seq, .. }
            | RecordError::NoDeviceTime { seq }
            | RecordError::InvalidPayload { seq, .. } => *seq,
        };
        Unreadable {
            seq,
            reason: error.to_string(),
        }
    }
}

/// The fields of a press payload the rules read. The keypad driver stores
/// more (`session`, `sequence`, `repeat`, `local_time`), which serde skips:
/// repeats are recomputed with the configured window, and local time comes
/// from the device time and the site's time zone.
#[derive(Debug, Deserialize)]
struct PressPayload {
    window_id: String,
    /// Address of the keypad on its RS-485 bus; `None` for a keypad that
    /// is a device of its own.
    #[serde(default)]
    keypad_address: Option<u8>,
    button: u8,
    level: Level,
}

/// Reads a keypad press from a `rating` event.
///
/// One bus device carries up to 254 keypads, so the keypad the rules see
/// is `DEVICE:ADDRESS`, such as `keypads:3`, and repeats and bursts are
/// found per keypad rather than per bus.
pub fn press_from_event(event: &StoredEvent, zone: Tz) -> Result<RatingPress, RecordError> {
    if event.kind != EventKind::Rating {
        return Err(RecordError::WrongKind {
            seq: event.seq,
            kind: event.kind,
            expected: EventKind::Rating,
        });
    }
    let device_time = event
        .device_time
        .ok_or(RecordError::NoDeviceTime { seq: event.seq })?;
    let payload: PressPayload = serde_json::from_value(event.payload.clone()).map_err(|error| {
        RecordError::InvalidPayload {
            seq: event.seq,
            message: error.to_string(),
        }
    })?;
    let keypad = match payload.keypad_address {
        Some(address) => format!("{}:{address}", event.device_id),
        None => event.device_id.clone(),
    };
    Ok(RatingPress {
        seq: event.seq,
        keypad,
        window_id: payload.window_id,
        local: utc_to_local(zone, device_time),
        level: payload.level,
        button: payload.button,
    })
}

/// A correction request as stored in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionRequest {
    /// Journal sequence of the press to correct.
    pub rating_id: i64,
    pub window_id: String,
    /// Unit the window belongs to, whose chief filed the request.
    pub unit_id: String,
    /// Local time of the press.
    pub pressed_at: NaiveDateTime,
    /// The level the applicant pressed.
    pub original_level: Level,
    /// The level the rating should have, or void.
    pub level: CorrectedLevel,
    pub reason: String,
    /// Staff id of the chief representative who filed the request.
    pub requested_by: String,
    /// Local time the box stored the request.
    pub requested_at: NaiveDateTime,
    /// Local time at which the correction period ended: 00:00 of the day
    /// after the last allowed day.
    pub deadline: NaiveDateTime,
}

/// The outcome of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approved,
    Rejected,
}

/// The bureau's decision on a correction request, as stored in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionDecision {
    /// Journal sequence of the request decided on.
    pub request_id: i64,
    /// Journal sequence of the press, copied from the request.
    pub rating_id: i64,
    pub decision: Decision,
    pub reason: String,
    /// Id of the bureau officer who decided.
    pub decided_by: String,
    /// Local time the box stored the decision.
    pub decided_at: NaiveDateTime,
}

/// A `correction` event of the ratings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CorrectionRecord {
    RatingCorrectionRequest(CorrectionRequest),
    RatingCorrectionDecision(CorrectionDecision),
}

/// A duty assignment made through the API, as stored in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyRecord {
    pub window_id: String,
    pub staff_id: String,
    /// First day of duty, inclusive.
    pub from: NaiveDate,
    /// Last day of duty, inclusive, or `None` for no end.
    pub to: Option<NaiveDate>,
    /// Id of the person who made the change.
    pub changed_by: String,
    /// Local time the box stored the change.
    pub changed_at: NaiveDateTime,
    /// Why, as the person making the change wrote it; may be empty.
    pub reason: String,
}

/// An `audit` event of the ratings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RosterRecord {
    DutyAssignment(DutyRecord),
}

/// Reads a correction record, or `None` for a `correction` event of
/// another kind of correction (a punch's, for example).
pub fn correction_from_event(event: &StoredEvent) -> Result<Option<CorrectionRecord>, RecordError> {
    if event.kind != EventKind::Correction {
        return Err(RecordError::WrongKind {
            seq: event.seq,
            kind: event.kind,
            expected: EventKind::Correction,
        });
    }
    let record_type = event.payload.get("type").and_then(|value| value.as_str());
    if !matches!(
        record_type,
        Some(CORRECTION_REQUEST_TYPE | CORRECTION_DECISION_TYPE)
    ) {
        return Ok(None);
    }
    serde_json::from_value(event.payload.clone())
        .map(Some)
        .map_err(|error| RecordError::InvalidPayload {
            seq: event.seq,
            message: error.to_string(),
        })
}

/// Reads a duty assignment, or `None` for an `audit` event of another kind.
pub fn duty_from_event(event: &StoredEvent) -> Result<Option<DutyRecord>, RecordError> {
    if event.kind != EventKind::Audit {
        return Err(RecordError::WrongKind {
            seq: event.seq,
            kind: event.kind,
            expected: EventKind::Audit,
        });
    }
    if event.payload.get("type").and_then(|value| value.as_str()) != Some(DUTY_ASSIGNMENT_TYPE) {
        return Ok(None);
    }
    match serde_json::from_value(event.payload.clone()) {
        Ok(RosterRecord::DutyAssignment(record)) => Ok(Some(record)),
        Err(error) => Err(RecordError::InvalidPayload {
            seq: event.seq,
            message: error.to_string(),
        }),
    }
}

/// Returns the subject of the correction records of a rating.
pub fn rating_subject(rating_id: i64) -> String {
    format!("rating:{rating_id}")
}

/// Returns the widest device-time range the journal can query, from year 1
/// to the end of year 9999, for records read regardless of time.
pub fn all_time() -> (DateTime<Utc>, DateTime<Utc>) {
    let first = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).single();
    let last = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).single();
    // Both instants are valid UTC times, so `single` never returns None.
    (
        first.unwrap_or(DateTime::<Utc>::MIN_UTC),
        last.unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

/// The journal queries that the ratings read, implemented by the writer and
/// by read-only connections alike.
pub trait EventSource {
    /// Events of `kind` with device time in `[from, to)`.
    fn events_between(
        &self,
        kind: EventKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, JournalError>;

    /// Events of `kind` about `subject` with device time in `[from, to)`.
    fn subject_events_between(
        &self,
        kind: EventKind,
        subject: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, JournalError>;

    /// Returns the event with sequence number `seq`, if there is one.
    fn event(&self, seq: i64) -> Result<Option<StoredEvent>, JournalError>;
}

impl EventSource for Journal {
    fn events_between(
        &self,
        kind: EventKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        Journal::events_between(self, kind, from, to)
    }

    fn subject_events_between(
        &self,
        kind: EventKind,
        subject: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        Journal::subject_events_between(self, kind, subject, from, to)
    }

    fn event(&self, seq: i64) -> Result<Option<StoredEvent>, JournalError> {
        first_with_seq(self.events_after(seq.saturating_sub(1), 1)?, seq)
    }
}

impl EventSource for JournalReader {
    fn events_between(
        &self,
        kind: EventKind,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        JournalReader::events_between(self, kind, from, to)
    }

    fn subject_events_between(
        &self,
        kind: EventKind,
        subject: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StoredEvent>, JournalError> {
        JournalReader::subject_events_between(self, kind, subject, from, to)
    }

    fn event(&self, seq: i64) -> Result<Option<StoredEvent>, JournalError> {
        first_with_seq(self.events_after(seq.saturating_sub(1), 1)?, seq)
    }
}

fn first_with_seq(events: Vec<StoredEvent>, seq: i64) -> Result<Option<StoredEvent>, JournalError> {
    Ok(events.into_iter().next().filter(|event| event.seq == seq))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(seq: i64, kind: EventKind, payload: serde_json::Value) -> StoredEvent {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 2, 1, 30, 0)
            .single()
            .expect("time");
        StoredEvent {
            seq,
            kind,
            device_id: "keypads".to_string(),
            idempotency_key: format!("key-{seq}"),
            device_time: Some(at),
            received_at: at,
            subject: Some("W01".to_string()),
            raw: Vec::new(),
            payload,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    fn driver_payload(level: &str) -> serde_json::Value {
        json!({
            "window_id": "W01",
            "keypad_address": 3,
            "session": 1_592_594_996u32,
            "sequence": 42,
            "button": 2,
            "level": level,
            "repeat": false,
            "local_time": "2026-11-02 09:30:00",
        })
    }

    #[test]
    fn press_reads_driver_payload() {
        let press = press_from_event(
            &event(7, EventKind::Rating, driver_payload("satisfied")),
            chrono_tz::Asia::Shanghai,
        )
        .expect("valid press");
        assert_eq!(press.seq, 7);
        assert_eq!(press.keypad, "keypads:3");
        assert_eq!(press.window_id, "W01");
        assert_eq!(press.button, 2);
        assert_eq!(press.level, Level::Satisfied);
        // 01:30 UTC is 09:30 in Asia/Shanghai.
        assert_eq!(press.local.to_string(), "2026-11-02 09:30:00");
    }

    #[test]
    fn press_invalid_payload() {
        let error = press_from_event(
            &event(8, EventKind::Rating, driver_payload("great")),
            chrono_tz::Asia::Shanghai,
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("invalid payload of event 8: unknown variant `great`"),
            "{message}"
        );

        let mut no_time = event(9, EventKind::Rating, driver_payload("satisfied"));
        no_time.device_time = None;
        let error = press_from_event(&no_time, chrono_tz::Asia::Shanghai).unwrap_err();
        assert_eq!(error, RecordError::NoDeviceTime { seq: 9 });

        let mut single = driver_payload("satisfied");
        single
            .as_object_mut()
            .expect("object")
            .remove("keypad_address");
        let press = press_from_event(
            &event(9, EventKind::Rating, single),
            chrono_tz::Asia::Shanghai,
        )
        .expect("valid press");
        assert_eq!(press.keypad, "keypads");

        let punch = event(10, EventKind::Punch, json!({}));
        let error = press_from_event(&punch, chrono_tz::Asia::Shanghai).unwrap_err();
        assert_eq!(
            error.to_string(),
            "event 10 is a punch event, not a rating event"
        );
    }

    #[test]
    fn correction_other_types_skipped() {
        let punch_fix = event(
            11,
            EventKind::Correction,
            json!({"type": "punch_write_off"}),
        );
        assert_eq!(correction_from_event(&punch_fix), Ok(None));

        let broken = event(
            12,
            EventKind::Correction,
            json!({"type": CORRECTION_DECISION_TYPE, "request_id": 3}),
        );
        let error = correction_from_event(&broken).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("invalid payload of event 12: missing field"),
            "{error}"
        );
    }

    #[test]
    fn duty_record_round_trip() {
        let record = DutyRecord {
            window_id: "W01".to_string(),
            staff_id: "S002".to_string(),
            from: NaiveDate::from_ymd_opt(2026, 11, 16).expect("date"),
            to: None,
            changed_by: "bureau-wang".to_string(),
            changed_at: NaiveDate::from_ymd_opt(2026, 11, 13)
                .and_then(|day| day.and_hms_opt(16, 0, 0))
                .expect("time"),
            reason: String::new(),
        };
        let payload =
            serde_json::to_value(RosterRecord::DutyAssignment(record.clone())).expect("json");
        assert_eq!(payload["type"], DUTY_ASSIGNMENT_TYPE);
        assert_eq!(payload["from"], "2026-11-16");
        let stored = event(13, EventKind::Audit, payload);
        assert_eq!(duty_from_event(&stored), Ok(Some(record)));

        let other = event(14, EventKind::Audit, json!({"type": "token_created"}));
        assert_eq!(duty_from_event(&other), Ok(None));
    }
}
