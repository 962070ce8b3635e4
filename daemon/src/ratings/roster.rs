//! The duty roster: the `[[duty]]` entries of the configuration merged with
//! the assignments made through the API.
//!
//! The configuration's entries come first in file order, then the API's in
//! journal order. The rules pick, for a window and a day, the covering entry
//! with the latest start date, and among equal start dates the later entry,
//! so an API assignment with the same start date as a configured one wins.
//! An assignment with a start date in the past moves the ratings since that
//! date to the new staff member. The journal keeps who made the change and
//! when.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

use super::records::{
    all_time, duty_from_event, DutyRecord, EventSource, RosterRecord, Unreadable,
    DUTY_ASSIGNMENT_TYPE,
};
use super::{required_text, MAX_ACTOR_CHARS, MAX_REASON_CHARS};
use crate::config::Config;
use crate::journal::{EventKind, Journal, JournalError, NewEvent};
use crate::records::audit::{append_audited, AuditBy};
use crate::records::RecordsError;
use crate::rules::ratings::{staff_on_duty, DutyAssignment};
use crate::time::utc_to_local;

/// Errors that keep a duty assignment from being stored.
#[derive(Debug, thiserror::Error)]
pub enum DutyCheckError {
    #[error("invalid field '{field}': {message}")]
    InvalidField {
        field: &'static str,
        message: String,
    },
    #[error("unknown window '{window_id}' in field 'window_id': expected a window of a configured [[unit]]: {known}")]
    UnknownWindow { window_id: String, known: String },
    #[error("unknown staff id '{staff_id}' in field 'staff_id': expected the id of a configured [[staff]] entry")]
    UnknownStaff { staff_id: String },
    #[error("failed to store the duty assignment: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error("failed to access the journal: {0}")]
    Journal(#[from] JournalError),
    #[error("failed to store the assignment with its audit entry: {0}")]
    Store(#[from] RecordsError),
}

/// Origin of a roster entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum DutySource {
    /// A `[[duty]]` entry of the configuration file.
    Config,
    /// An assignment made through the API.
    Api {
        /// Journal sequence of the assignment record.
        seq: i64,
        changed_by: String,
        changed_at: NaiveDateTime,
        reason: String,
    },
}

/// One entry of the merged roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DutyEntry {
    #[serde(flatten)]
    pub assignment: DutyAssignment,
    #[serde(flatten)]
    pub source: DutySource,
}

/// The merged roster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Roster {
    /// Configuration entries in file order, then API entries in journal
    /// order.
    pub entries: Vec<DutyEntry>,
    /// Assignment records that could not be read; they assign nobody.
    pub unreadable: Vec<Unreadable>,
}

impl Roster {
    /// Reads the configuration's entries and the API's assignments.
    pub fn read(config: &Config, source: &impl EventSource) -> Result<Roster, JournalError> {
        let mut roster = Roster {
            entries: config
                .duty
                .iter()
                .map(|assignment| DutyEntry {
                    assignment: assignment.clone(),
                    source: DutySource::Config,
                })
                .collect(),
            unreadable: Vec::new(),
        };

        let (from, to) = all_time();
        let mut events = source.events_between(EventKind::Audit, from, to)?;
        events.sort_by_key(|event| event.seq);
        for event in &events {
            match duty_from_event(event) {
                Ok(None) => {}
                Ok(Some(record)) => roster.entries.push(api_entry(event.seq, record)),
                Err(error) => roster.unreadable.push(error.into()),
            }
        }
        Ok(roster)
    }

    /// Returns the assignments in roster order, as the rules read them.
    pub fn assignments(&self) -> Vec<DutyAssignment> {
        self.entries
            .iter()
            .map(|entry| entry.assignment.clone())
            .collect()
    }
}

fn api_entry(seq: i64, record: DutyRecord) -> DutyEntry {
    DutyEntry {
        assignment: DutyAssignment {
            window_id: record.window_id,
            staff_id: record.staff_id,
            from: record.from,
            to: record.to,
        },
        source: DutySource::Api {
            seq,
            changed_by: record.changed_by,
            changed_at: record.changed_at,
            reason: record.reason,
        },
    }
}

/// The staff member on duty at one configured window on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowDuty {
    pub window_id: String,
    pub window_name: String,
    pub unit_id: String,
    /// `None` when nobody is on duty.
    pub staff_id: Option<String>,
    pub staff_name: Option<String>,
}

/// Lists every configured window with the staff member on duty on `date`.
pub fn on_duty(
    config: &Config,
    assignments: &[DutyAssignment],
    date: NaiveDate,
) -> Vec<WindowDuty> {
    let mut list = Vec::new();
    for unit in &config.units {
        for window in &unit.windows {
            let staff_id = staff_on_duty(assignments, &window.id, date).map(str::to_string);
            let staff_name = staff_id.as_deref().and_then(|id| {
                config
                    .staff
                    .iter()
                    .find(|staff| staff.id == id)
                    .map(|staff| staff.name.clone())
            });
            list.push(WindowDuty {
                window_id: window.id.clone(),
                window_name: window.name.clone(),
                unit_id: unit.id.clone(),
                staff_id,
                staff_name,
            });
        }
    }
    list
}

/// The body of a duty assignment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DutyInput {
    pub window_id: String,
    pub staff_id: String,
    /// First day of duty, YYYY-MM-DD.
    pub from: String,
    /// Last day of duty, YYYY-MM-DD; absent or null for no end.
    #[serde(default)]
    pub to: Option<String>,
    /// Id of the person making the change.
    pub changed_by: String,
    /// Why; optional.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Checks a duty assignment made at `now` and stores it. `raw` is the
/// request body, kept in the record.
pub fn assign(
    journal: &mut Journal,
    config: &Config,
    input: &DutyInput,
    raw: &[u8],
    audit: Option<AuditBy<'_>>,
    now: DateTime<Utc>,
) -> Result<DutyEntry, DutyCheckError> {
    let from = parse_day("from", &input.from)?;
    let to = match input.to.as_deref() {
        None => None,
        Some(text) => Some(parse_day("to", text)?),
    };
    if let Some(to) = to {
        if to < from {
            return Err(DutyCheckError::InvalidField {
                field: "to",
                message: format!(
                    "last day {to} is before the first day {from}: expected a day on or after it, \
                     or no 'to' for no end"
                ),
            });
        }
    }
    let changed_by = required_text(
        &input.changed_by,
        MAX_ACTOR_CHARS,
        "the id of whoever makes the change, such as \"bureau-wang\"",
    )
    .map_err(|message| DutyCheckError::InvalidField {
        field: "changed_by",
        message,
    })?;
    let reason = match input.reason.as_deref() {
        None => String::new(),
        Some(text) if text.trim().is_empty() => String::new(),
        Some(text) => required_text(text, MAX_REASON_CHARS, "a reason").map_err(|message| {
            DutyCheckError::InvalidField {
                field: "reason",
                message,
            }
        })?,
    };

    let window_id = input.window_id.trim();
    let windows: Vec<&str> = config
        .units
        .iter()
        .flat_map(|unit| unit.windows.iter().map(|window| window.id.as_str()))
        .collect();
    if !windows.contains(&window_id) {
        return Err(DutyCheckError::UnknownWindow {
            window_id: window_id.to_string(),
            known: windows.join(", "),
        });
    }
    let staff_id = input.staff_id.trim();
    if !config.staff.iter().any(|staff| staff.id == staff_id) {
        return Err(DutyCheckError::UnknownStaff {
            staff_id: staff_id.to_string(),
        });
    }

    // The journal stores times to the microsecond, so the payload does too.
    let now = now.trunc_subsecs(6);
    let record = DutyRecord {
        window_id: window_id.to_string(),
        staff_id: staff_id.to_string(),
        from,
        to,
        changed_by: changed_by.clone(),
        changed_at: utc_to_local(config.site.time_zone, now),
        reason,
    };
    let payload = serde_json::to_value(RosterRecord::DutyAssignment(record.clone()))?;
    // The key names the whole assignment, so that two different
    // assignments stored at the same instant both get stored.
    let to_text = to.map_or_else(|| "open".to_string(), |day| day.to_string());
    let idempotency_key = format!(
        "{DUTY_ASSIGNMENT_TYPE}:{window_id}:{staff_id}:{from}:{to_text}:{}",
        now.timestamp_nanos_opt().unwrap_or_default()
    );
    let event = NewEvent {
        kind: EventKind::Audit,
        device_id: changed_by,
        idempotency_key,
        device_time: Some(now),
        received_at: now,
        subject: Some(window_id.to_string()),
        raw: raw.to_vec(),
        payload,
    };
    let summary = format!(
        "duty of {} at window {} from {}{}",
        record.staff_id,
        record.window_id,
        record.from,
        record.to.map_or_else(String::new, |to| format!(" to {to}"))
    );
    let seq = append_audited(journal, event, audit, summary)?.seq();
    tracing::info!(
        seq,
        window = %record.window_id,
        staff = %record.staff_id,
        from = %record.from,
        changed_by = %record.changed_by,
        "duty assignment stored"
    );
    Ok(api_entry(seq, record))
}

fn parse_day(field: &'static str, text: &str) -> Result<NaiveDate, DutyCheckError> {
    let invalid = || DutyCheckError::InvalidField {
        field,
        message: format!("invalid date '{text}': expected YYYY-MM-DD such as 2026-11-16"),
    };
    // chrono's %Y also takes a sign and more than four digits, and %m and
    // %d a single digit: only the written form YYYY-MM-DD is a date here.
    let trimmed = text.trim();
    let shape = trimmed.len() == 10
        && trimmed
            .bytes()
            .enumerate()
            .all(|(index, byte)| match index {
                4 | 7 => byte == b'-',
                _ => byte.is_ascii_digit(),
            });
    if !shape {
        return Err(invalid());
    }
    NaiveDate::parse_from_str(trimmed, "%Y-%m-%d").map_err(|_| invalid())
}
