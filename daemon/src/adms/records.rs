//! Upload bodies turned into journal events: punches from `ATTLOG`, user
//! records and operation log lines from `OPERLOG`, command results from
//! `devicecmd`, and the upload stamp of a batch.
//!
//! Everything here is pure: the handlers pass in the body, the clock and the
//! box's receive time, and get back the events to commit in one transaction
//! and the lines that were rejected, each with its reason.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use chrono_tz::Tz;
use hallbox_drivers::adms::{
    parse_attlog, parse_devicecmd, parse_operlog, DeviceCmdResult, LineError, OperLogEntry,
    PushPunch,
};
use hallbox_drivers::attlog::TimeLimits;
use serde_json::json;

use crate::config::AdmsClock;
use crate::import::punch_key;
use crate::journal::{EventKind, NewEvent};
use crate::time::{local_to_utc, utc_to_local};

/// `record` value of a device record that stores a batch's upload stamp.
pub const RECORD_UPLOAD_STAMP: &str = "upload_stamp";
/// `record` value of a user record: a PIN and the name enrolled for it.
pub const RECORD_CLOCK_USER: &str = "clock_user";
/// `record` value of an operation log line.
pub const RECORD_OPERATION_LOG: &str = "operation_log";
/// `record` value of a command result.
pub const RECORD_COMMAND_RESULT: &str = "command_result";
/// `record` value of a punch whose time the box rejected.
pub const RECORD_REJECTED_PUNCH: &str = "rejected_punch";

/// Reason a line of an upload body was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    /// The protocol parser rejected the line.
    #[error(transparent)]
    Line(#[from] LineError),

    /// The punch is dated before the earliest possible day, which a clock
    /// whose battery died writes after it restarts at its factory date.
    #[error("punch time {time} is before {earliest}, so the clock's date is wrong (set the clock's time)")]
    TimeTooEarly {
        time: NaiveDateTime,
        earliest: NaiveDateTime,
    },

    /// The punch is dated later than the box's time plus the allowed margin.
    #[error("punch time {time} is after {latest}, so the clock runs ahead (set the clock's time)")]
    TimeTooLate {
        time: NaiveDateTime,
        latest: NaiveDateTime,
    },

    /// The local time does not exist in the site's time zone (a daylight
    /// saving gap).
    #[error("punch time {time} does not exist in the site's time zone")]
    TimeNotInZone { time: NaiveDateTime },
}

impl RejectReason {
    /// Returns a short stable name of the reason, for counters.
    pub fn code(&self) -> &'static str {
        match self {
            RejectReason::Line(error) => match error {
                LineError::TooLong { .. } => "too_long",
                LineError::NotUtf8 => "not_utf8",
                LineError::TooFewColumns { .. } => "too_few_columns",
                LineError::EmptyPin => "empty_pin",
                LineError::InvalidPin { .. } => "invalid_pin",
                LineError::InvalidTime { .. } => "invalid_time",
                LineError::InvalidStatus { .. } => "invalid_status",
                LineError::InvalidVerify { .. } => "invalid_verify",
                LineError::InvalidWorkCode { .. } => "invalid_work_code",
                LineError::InvalidName { .. } => "invalid_name",
                LineError::MissingTag { .. } => "missing_tag",
                LineError::MissingField { .. } => "missing_field",
                LineError::InvalidNumber { .. } => "invalid_number",
                LineError::DetailWithoutResult { .. } => "detail_without_result",
            },
            RejectReason::TimeTooEarly { .. } => "time_too_early",
            RejectReason::TimeTooLate { .. } => "time_too_late",
            RejectReason::TimeNotInZone { .. } => "time_not_in_zone",
        }
    }
}

/// One line that was not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedLine {
    /// Line number in the body, counting from 1 and including blank lines.
    pub line: usize,
    /// Reason the line was not stored.
    pub reason: RejectReason,
}

/// Events to commit and rejected lines, built from one upload body.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordBatch {
    /// Events to commit together, in body order; in a punch batch, the
    /// punches first and then the records of rejected punches.
    pub events: Vec<NewEvent>,
    /// Number of punches at the start of `events`.
    pub punches: usize,
    /// Lines that were not stored, in body order.
    pub rejected: Vec<RejectedLine>,
    /// For ATTLOG: the box's local time minus the clock's local time of the
    /// newest punch that parsed, in seconds, including punches rejected for
    /// their time. `None` for other tables and for batches without a punch.
    pub newest_skew_secs: Option<i64>,
}

/// Upload data other than the body: the clock, the receive time, the
/// limits and the stamp.
#[derive(Debug, Clone)]
pub struct UploadContext {
    /// The clock that sent the body.
    pub clock: AdmsClock,
    /// Time zone of the clock's local times.
    pub zone: Tz,
    /// The box's time when the request arrived.
    pub received_at: DateTime<Utc>,
    /// Punch times outside these bounds are rejected.
    pub limits: TimeLimits,
    /// A punch whose skew exceeds this many seconds is flagged.
    pub max_skew_secs: u32,
    /// The batch's `Stamp` parameter, when it is a whole number.
    pub stamp: Option<u64>,
}

impl UploadContext {
    /// Returns a tag that names this batch in idempotency keys: the stamp
    /// when the clock sent one, so a resent batch gets the same keys, and
    /// the receive time otherwise.
    fn batch_tag(&self) -> String {
        match self.stamp {
            Some(stamp) => format!("s{stamp}"),
            None => format!(
                "r{}",
                self.received_at.timestamp_nanos_opt().unwrap_or_default()
            ),
        }
    }
}

/// Converts an ATTLOG body into punch events; see [`punch_events`].
pub fn punch_batch(body: &[u8], context: &UploadContext) -> RecordBatch {
    let parsed = parse_attlog(body);
    let mut batch = punch_events(&parsed.records, context);
    batch.rejected.extend(rejected_lines(parsed.rejected));
    batch.rejected.sort_by_key(|rejection| rejection.line);
    batch
}

/// Converts parsed ATTLOG punches into punch events.
///
/// Each punch keeps the clock's time as `device_time` and the box's time as
/// `received_at`. `clock_skew_seconds` is the box's local time minus the
/// clock's local time of the punch, and `clock_skew_flag` is set when its
/// magnitude exceeds `max_skew_secs`. A punch resent by the clock gets the
/// same idempotency key as before, so the journal stores it once. A punch
/// dated outside `limits` is rejected, and kept as a `rejected_punch`
/// record after the punches; its skew still counts for `newest_skew_secs`.
pub fn punch_events(punches: &[PushPunch], context: &UploadContext) -> RecordBatch {
    let mut batch = RecordBatch::default();
    let mut rejected_records = Vec::new();
    let box_local = utc_to_local(context.zone, context.received_at);
    for punch in punches {
        let skew = skew_secs(box_local, punch.local_time);
        batch.newest_skew_secs = Some(match batch.newest_skew_secs {
            Some(newest) => newest.min(skew),
            None => skew,
        });
        match punch_event(punch, skew, context) {
            Ok(event) => batch.events.push(event),
            Err(reason) => {
                // The clock gets OK for the whole batch and never sends the
                // punch again, so the punch is kept as a record to check.
                rejected_records.push(rejected_punch_event(punch, &reason, context));
                batch.rejected.push(RejectedLine {
                    line: punch.line,
                    reason,
                });
            }
        }
    }
    // After the punches, so the first events are the punches to count.
    batch.punches = batch.events.len();
    batch.events.extend(rejected_records);
    batch
}

/// Builds the `rejected_punch` record of a punch whose time the box did not
/// accept: a clock date or a box date that is wrong. It keeps the punch and
/// the reason for the bureau, and a resent punch is stored once.
fn rejected_punch_event(
    punch: &PushPunch,
    reason: &RejectReason,
    context: &UploadContext,
) -> NewEvent {
    let clock = &context.clock;
    let time = punch.local_time.format("%Y-%m-%d %H:%M:%S").to_string();
    NewEvent {
        kind: EventKind::DeviceRecord,
        device_id: clock.id.clone(),
        idempotency_key: format!("adms:{}:rejected_punch:{}:{time}", clock.id, punch.pin),
        device_time: None,
        received_at: context.received_at,
        subject: Some(punch.pin.clone()),
        raw: punch.raw.clone(),
        payload: json!({
            "record": RECORD_REJECTED_PUNCH,
            "sn": clock.serial_number.as_str(),
            "pin": punch.pin,
            "local_time": time,
            "status": punch.status,
            "verify": punch.verify,
            "work_code": punch.work_code,
            "reason": reason.code(),
            "message": reason.to_string(),
        }),
    }
}

/// Returns `box_local - clock_local` in whole seconds. A clock writes whole
/// seconds, so the box's time is cut to its second first. Otherwise the
/// part second, cut toward zero, would take a second off every clock ahead.
fn skew_secs(box_local: NaiveDateTime, clock_local: NaiveDateTime) -> i64 {
    (box_local.trunc_subsecs(0) - clock_local).num_seconds()
}

fn punch_event(
    punch: &PushPunch,
    skew: i64,
    context: &UploadContext,
) -> Result<NewEvent, RejectReason> {
    let time = punch.local_time;
    if time < context.limits.earliest {
        return Err(RejectReason::TimeTooEarly {
            time,
            earliest: context.limits.earliest,
        });
    }
    if time > context.limits.latest {
        return Err(RejectReason::TimeTooLate {
            time,
            latest: context.limits.latest,
        });
    }
    let device_time =
        local_to_utc(context.zone, time).ok_or(RejectReason::TimeNotInZone { time })?;

    let clock = &context.clock;
    let flagged = skew.unsigned_abs() > u64::from(context.max_skew_secs);
    let payload = json!({
        "pin": punch.pin,
        "local_time": time.format("%Y-%m-%d %H:%M:%S").to_string(),
        "status": punch.status,
        "verify": punch.verify,
        "work_code": punch.work_code,
        "source": "adms",
        "sn": clock.serial_number.as_str(),
        "clock_skew_seconds": skew,
        "clock_skew_flag": flagged,
    });
    Ok(NewEvent {
        kind: EventKind::Punch,
        device_id: clock.id.clone(),
        idempotency_key: punch_key(&clock.id, &punch.pin, time),
        device_time: Some(device_time),
        received_at: context.received_at,
        subject: Some(punch.pin.clone()),
        raw: punch.raw.clone(),
        payload,
    })
}

/// Converts an OPERLOG body into device records.
///
/// A `USER` line becomes a `clock_user` record with the PIN as subject and
/// the name, so reports can name PINs that are not on the roster. Its raw
/// bytes are not kept, because the line carries the user's password and
/// card number. An `OPLOG` line becomes an `operation_log` record with its
/// text. Lines of other tags (fingerprint and face templates, photos) are
/// not stored and not counted as rejected.
pub fn operlog_batch(body: &[u8], context: &UploadContext) -> RecordBatch {
    let parsed = parse_operlog(body);
    let mut batch = RecordBatch {
        rejected: rejected_lines(parsed.rejected),
        ..RecordBatch::default()
    };
    let clock = &context.clock;
    let tag = context.batch_tag();

    for entry in parsed.records {
        let (line, subject, raw, payload) = match entry {
            OperLogEntry::User(user) => (
                user.line,
                Some(user.pin.clone()),
                Vec::new(),
                json!({
                    "record": RECORD_CLOCK_USER,
                    "sn": clock.serial_number.as_str(),
                    "pin": user.pin,
                    "name": user.name,
                }),
            ),
            OperLogEntry::OpLog { text, line } => (
                line,
                None,
                text.clone().into_bytes(),
                json!({
                    "record": RECORD_OPERATION_LOG,
                    "sn": clock.serial_number.as_str(),
                    "text": text,
                }),
            ),
            OperLogEntry::Other { .. } => continue,
        };
        // The line's content is part of the key: a resent batch repeats
        // stamp, line and content and is stored once, while a new batch that
        // reuses an old stamp (after a clock reset) differs in content.
        let content = {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(payload.to_string().as_bytes());
            hex::encode(&digest[..8])
        };
        batch.events.push(NewEvent {
            kind: EventKind::DeviceRecord,
            device_id: clock.id.clone(),
            idempotency_key: format!("adms:{}:OPERLOG:{tag}:{line}:{content}", clock.id),
            device_time: None,
            received_at: context.received_at,
            subject,
            raw,
            payload,
        });
    }
    batch
}

/// Converts a devicecmd body into `command_result` records, and returns the
/// parsed results with them. A result is keyed by its command id, so a
/// resent result is stored once.
pub fn command_result_batch(
    body: &[u8],
    context: &UploadContext,
) -> (RecordBatch, Vec<DeviceCmdResult>) {
    let parsed = parse_devicecmd(body);
    let clock = &context.clock;
    let events = parsed
        .records
        .iter()
        .map(|result| NewEvent {
            kind: EventKind::DeviceRecord,
            device_id: clock.id.clone(),
            idempotency_key: format!("adms:{}:devicecmd:{}", clock.id, result.id),
            device_time: None,
            received_at: context.received_at,
            subject: None,
            raw: line_bytes(body, result.line).to_vec(),
            payload: json!({
                "record": RECORD_COMMAND_RESULT,
                "sn": clock.serial_number.as_str(),
                "id": result.id,
                "return": result.return_code,
                "cmd": result.cmd,
                "details": result.details,
            }),
        })
        .collect();
    let batch = RecordBatch {
        events,
        rejected: rejected_lines(parsed.rejected),
        ..RecordBatch::default()
    };
    (batch, parsed.records)
}

/// Builds the record of a batch's upload stamp for `table`, which the
/// handshake reply returns to the clock after a restart.
pub fn stamp_event(context: &UploadContext, table: &str, stamp: u64) -> NewEvent {
    let clock = &context.clock;
    // The receive time keeps the key unique when a clock sends a stamp value
    // again after a reset, so the newest stamp is always the last row.
    let nanos = context
        .received_at
        .timestamp_nanos_opt()
        .unwrap_or_default();
    NewEvent {
        kind: EventKind::DeviceRecord,
        device_id: clock.id.clone(),
        idempotency_key: format!("adms:{}:stamp:{table}:{stamp}:{nanos}", clock.id),
        device_time: None,
        received_at: context.received_at,
        subject: Some(stamp_subject(table)),
        raw: Vec::new(),
        payload: json!({
            "record": RECORD_UPLOAD_STAMP,
            "sn": clock.serial_number.as_str(),
            "table": table,
            "stamp": stamp,
        }),
    }
}

/// Returns the subject of a table's stamp records, `stamp:<TABLE>`.
pub fn stamp_subject(table: &str) -> String {
    format!("stamp:{table}")
}

/// Converts the parser's rejections into rejected lines.
pub fn rejected_lines(rejections: Vec<hallbox_drivers::adms::Rejection>) -> Vec<RejectedLine> {
    rejections
        .into_iter()
        .map(|rejection| RejectedLine {
            line: rejection.line,
            reason: rejection.reason.into(),
        })
        .collect()
}

/// Returns line `line` of `body` (counting from 1, split at LF) without its
/// CR, or nothing when the body has fewer lines. The numbering matches the
/// protocol parsers' line numbers.
fn line_bytes(body: &[u8], line: usize) -> &[u8] {
    let Some(index) = line.checked_sub(1) else {
        return &[];
    };
    let text = body
        .split(|&byte| byte == b'\n')
        .nth(index)
        .unwrap_or_default();
    text.strip_suffix(b"\r").unwrap_or(text)
}
