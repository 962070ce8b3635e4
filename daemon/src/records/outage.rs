//! Clock outages (停电或考勤机故障): opened and closed by the devices' own
//! status events, or added, closed and annotated by the bureau.
//!
//! Both live in `device_status` events:
//!
//! - a device's link writes `{"state": "lost" | "connected", "port",
//!   "reason"}` under the device's id. A `lost` event opens an outage of
//!   that clock, whose id is the event's sequence, and the next
//!   `connected` event closes it;
//! - the bureau writes `{"source": "bureau", "action": "open" | "close" |
//!   "note", ...}` under its token. `open` adds an outage with its start,
//!   optional end and a note (its sequence is the outage's id); `close`
//!   sets or corrects the end of any outage; `note` adds a note.
//!
//! Times in bureau records are the site's local time.
//!
//! NOTE: the configuration does not say which clock each person uses, so
//! an outage covers every person's checkpoints.

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::input::{self, FieldError, MAX_TEXT_CHARS};
use super::{RecordsError, RequestError};
use crate::auth::Actor;
use crate::journal::{EventKind, NewEvent, StoredEvent};
use crate::rules::OutageSpan;
use crate::time::utc_to_local;

/// Value of `source` in the bureau's outage records.
const BUREAU_SOURCE: &str = "bureau";

/// Source of the event that opened or closed an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutageSource {
    /// The device's link reported the clock lost or back.
    Device,
    /// The bureau recorded it through the API.
    Bureau,
}

/// A bureau action on outages, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OutageAction {
    Open(OutageOpening),
    Close(OutageClosing),
    Note(OutageNote),
}

/// The bureau adds an outage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageOpening {
    /// The clock that was out of order, if one.
    #[serde(default)]
    pub device: Option<String>,
    pub start: NaiveDateTime,
    #[serde(default)]
    pub end: Option<NaiveDateTime>,
    /// The written note that the attendance sheet carries.
    pub note: String,
    pub actor: Actor,
}

/// The bureau sets the end of an outage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageClosing {
    pub outage: i64,
    pub end: NaiveDateTime,
    pub actor: Actor,
}

/// The bureau adds a note to an outage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageNote {
    pub outage: i64,
    pub note: String,
    pub actor: Actor,
}

impl OutageAction {
    /// Builds the journal event of this action, with the request body as the
    /// raw record.
    pub fn to_event(
        &self,
        actor: &Actor,
        key: String,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<NewEvent, serde_json::Error> {
        let mut payload = serde_json::to_value(self)?;
        if let Some(object) = payload.as_object_mut() {
            object.insert("source".to_string(), BUREAU_SOURCE.into());
        }
        let subject = match self {
            OutageAction::Open(opening) => opening.device.clone(),
            OutageAction::Close(_) | OutageAction::Note(_) => None,
        };
        Ok(NewEvent {
            kind: EventKind::DeviceStatus,
            device_id: actor.journal_source(),
            idempotency_key: key,
            device_time: None,
            received_at: now,
            subject,
            raw: body.to_vec(),
            payload,
        })
    }
}

/// A note on an outage with who wrote it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteView {
    pub text: String,
    pub at: DateTime<Utc>,
    /// Token id of the writer.
    pub by: String,
}

/// An outage with everything recorded about it so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outage {
    /// Sequence of the event that opened it.
    pub id: i64,
    pub opened_by: OutageSource,
    /// The clock, if known.
    pub device: Option<String>,
    /// Local time the outage began.
    pub start: NaiveDateTime,
    /// Local time the clock worked again; `None` while open.
    pub end: Option<NaiveDateTime>,
    pub closed_by: Option<OutageSource>,
    /// Reason the link was lost, as the device's link reported it.
    pub device_reason: Option<String>,
    /// The bureau's notes in the order written; an outage the bureau added
    /// starts with its note.
    pub notes: Vec<NoteView>,
}

impl Outage {
    /// Returns the span the rules apply.
    pub fn span(&self) -> OutageSpan {
        OutageSpan {
            id: self.id,
            start: self.start,
            end: self.end,
        }
    }

    /// Returns whether the outage overlaps the local times `[from, to)`.
    pub fn overlaps(&self, from: NaiveDateTime, to: NaiveDateTime) -> bool {
        self.start < to && self.end.is_none_or(|end| end > from)
    }
}

/// Folds the `device_status` events, in sequence order, into outages in
/// the order they were opened. Only devices for which `is_clock` returns
/// true open outages, and status events of other shapes are skipped.
pub fn assemble(
    events: &[StoredEvent],
    zone: Tz,
    is_clock: &dyn Fn(&str) -> bool,
) -> Result<Vec<Outage>, RecordsError> {
    let mut outages: Vec<Outage> = Vec::new();
    for event in events {
        let payload = &event.payload;
        if payload.get("source").and_then(|s| s.as_str()) == Some(BUREAU_SOURCE) {
            let action: OutageAction = serde_json::from_value(payload.clone())
                .map_err(|error| RecordsError::invalid(event, error.to_string()))?;
            apply_bureau_action(&mut outages, event, action)?;
            continue;
        }
        if !is_clock(&event.device_id) {
            continue;
        }
        let local = utc_to_local(zone, event.received_at);
        let open = outages.iter_mut().rev().find(|outage| {
            outage.opened_by == OutageSource::Device
                && outage.device.as_deref() == Some(event.device_id.as_str())
                && outage.end.is_none()
        });
        match (payload.get("state").and_then(|s| s.as_str()), open) {
            (Some("lost"), None) => outages.push(Outage {
                id: event.seq,
                opened_by: OutageSource::Device,
                device: Some(event.device_id.clone()),
                start: local,
                end: None,
                closed_by: None,
                device_reason: payload
                    .get("reason")
                    .and_then(|r| r.as_str())
                    .map(str::to_string),
                notes: Vec::new(),
            }),
            (Some("connected"), Some(outage)) => {
                outage.end = Some(local.max(outage.start));
                outage.closed_by = Some(OutageSource::Device);
            }
            // Lost while already lost, connected while connected, or
            // another state: nothing changes.
            _ => {}
        }
    }
    Ok(outages)
}

fn apply_bureau_action(
    outages: &mut Vec<Outage>,
    event: &StoredEvent,
    action: OutageAction,
) -> Result<(), RecordsError> {
    match action {
        OutageAction::Open(opening) => outages.push(Outage {
            id: event.seq,
            opened_by: OutageSource::Bureau,
            device: opening.device,
            start: opening.start,
            end: opening.end,
            closed_by: opening.end.map(|_| OutageSource::Bureau),
            device_reason: None,
            notes: vec![NoteView {
                text: opening.note,
                at: event.received_at,
                by: opening.actor.token_id,
            }],
        }),
        OutageAction::Close(closing) => {
            let outage = find_mut(outages, closing.outage, event)?;
            outage.end = Some(closing.end);
            outage.closed_by = Some(OutageSource::Bureau);
        }
        OutageAction::Note(note) => {
            let outage = find_mut(outages, note.outage, event)?;
            outage.notes.push(NoteView {
                text: note.note,
                at: event.received_at,
                by: note.actor.token_id,
            });
        }
    }
    Ok(())
}

fn find_mut<'o>(
    outages: &'o mut [Outage],
    id: i64,
    event: &StoredEvent,
) -> Result<&'o mut Outage, RecordsError> {
    match outages.binary_search_by_key(&id, |outage| outage.id) {
        Ok(index) => Ok(&mut outages[index]),
        Err(_) => Err(RecordsError::invalid(
            event,
            format!("refers to outage {id}, which no earlier event opens"),
        )),
    }
}

/// `POST /api/v1/outages`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenOutageRequest {
    /// The clock, if one: `clock-east-1`.
    #[serde(default)]
    pub device: Option<String>,
    /// Local time `YYYY-MM-DDTHH:MM:SS`.
    pub start: String,
    #[serde(default)]
    pub end: Option<String>,
    pub note: String,
}

/// `POST /api/v1/outages/{id}/close`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseOutageRequest {
    /// Local time `YYYY-MM-DDTHH:MM:SS` at which the clocks worked again.
    pub end: String,
}

/// `POST /api/v1/outages/{id}/notes`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteOutageRequest {
    pub note: String,
}

impl OpenOutageRequest {
    /// Checks the request at the local time `now`.
    pub fn validate(self, now: NaiveDateTime, actor: &Actor) -> Result<OutageOpening, FieldError> {
        let device = match &self.device {
            Some(device) => Some(input::device_id("device", device)?),
            None => None,
        };
        let start = input::local_time("start", &self.start)?;
        input::not_in_future("start", start, now)?;
        let end = match &self.end {
            Some(text) => Some(check_end(input::local_time("end", text)?, start, now)?),
            None => None,
        };
        let note = input::text("note", &self.note, MAX_TEXT_CHARS)?;
        Ok(OutageOpening {
            device,
            start,
            end,
            note,
            actor: actor.clone(),
        })
    }
}

impl CloseOutageRequest {
    /// Checks the end of `outage` at the local time `now`.
    pub fn validate(
        self,
        outage: &Outage,
        now: NaiveDateTime,
        actor: &Actor,
    ) -> Result<OutageClosing, RequestError> {
        let end = input::local_time("end", &self.end)?;
        let end = check_end(end, outage.start, now)?;
        Ok(OutageClosing {
            outage: outage.id,
            end,
            actor: actor.clone(),
        })
    }
}

impl NoteOutageRequest {
    /// Checks a note on `outage`.
    pub fn validate(self, outage: &Outage, actor: &Actor) -> Result<OutageNote, FieldError> {
        Ok(OutageNote {
            outage: outage.id,
            note: input::text("note", &self.note, MAX_TEXT_CHARS)?,
            actor: actor.clone(),
        })
    }
}

fn check_end(
    end: NaiveDateTime,
    start: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<NaiveDateTime, FieldError> {
    if end <= start {
        return Err(FieldError::new(
            "end",
            format!(
                "end {} is not after the start {}: send the time the clocks worked again",
                end.format("%Y-%m-%dT%H:%M:%S%.f"),
                start.format("%Y-%m-%dT%H:%M:%S%.f")
            ),
        ));
    }
    input::not_in_future("end", end, now)
}
