//! Patrol punches (巡查考勤登记): bureau staff seeing a person at the post
//! while the clocks are out of order, registered in place of the clock's
//! punch.
//!
//! Each is one `patrol` event about the person (`subject` is the staff id)
//! with the time seen as its device time. Under an outage the rules show
//! the patrol punch in place of the missing clock punch. Outside every
//! outage a patrol punch is listed in the report but satisfies no
//! checkpoint, because only the clocks' punches count there.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::input::{self, FieldError, MAX_NAME_CHARS, MAX_TEXT_CHARS};
use super::RecordsError;
use crate::auth::Actor;
use crate::config::Config;
use crate::journal::{EventKind, NewEvent, StoredEvent};
use crate::rules::PatrolPunch;
use crate::time::local_to_utc;

/// A patrol punch as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatrolRecord {
    /// Staff id of the person seen.
    pub person: String,
    /// Local time the person was seen at the post.
    pub at: NaiveDateTime,
    /// Name of the bureau staff member on patrol.
    pub patrolled_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub actor: Actor,
}

impl PatrolRecord {
    /// Builds the journal event, with the request body as the raw record.
    /// Fails when the local time does not exist in `zone`.
    pub fn to_event(
        &self,
        zone: Tz,
        key: String,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<NewEvent, RecordsError> {
        let device_time = local_to_utc(zone, self.at).ok_or_else(|| RecordsError::LocalTime {
            time: self.at,
            zone: zone.name().to_string(),
        })?;
        Ok(NewEvent {
            kind: EventKind::Patrol,
            device_id: self.actor.journal_source(),
            idempotency_key: key,
            device_time: Some(device_time),
            received_at: now,
            subject: Some(self.person.clone()),
            raw: body.to_vec(),
            payload: serde_json::to_value(self).map_err(RecordsError::Encode)?,
        })
    }
}

/// A stored patrol punch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Patrol {
    /// Journal sequence of the record.
    pub id: i64,
    pub recorded_at: DateTime<Utc>,
    #[serde(flatten)]
    pub record: PatrolRecord,
}

impl Patrol {
    /// Returns the punch the rules read.
    pub fn punch(&self) -> PatrolPunch {
        PatrolPunch {
            seq: self.id,
            person: self.record.person.clone(),
            local: self.record.at,
        }
    }

    /// Returns whether the punch falls on a day from `first` to `last`.
    pub fn within(&self, first: NaiveDate, last: NaiveDate) -> bool {
        let date = self.record.at.date();
        first <= date && date <= last
    }
}

/// Reads the stored `patrol` events.
pub fn assemble(events: &[StoredEvent]) -> Result<Vec<Patrol>, RecordsError> {
    events
        .iter()
        .map(|event| {
            let record: PatrolRecord = serde_json::from_value(event.payload.clone())
                .map_err(|error| RecordsError::invalid(event, error.to_string()))?;
            Ok(Patrol {
                id: event.seq,
                recorded_at: event.received_at,
                record,
            })
        })
        .collect()
}

/// `POST /api/v1/patrols`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatrolRequest {
    /// Staff id of the person seen.
    pub person: String,
    /// Local time `YYYY-MM-DDTHH:MM:SS` the person was seen.
    pub at: String,
    pub patrolled_by: String,
    #[serde(default)]
    pub note: Option<String>,
}

impl PatrolRequest {
    /// Checks the request against the configuration at the local time
    /// `now`.
    pub fn validate(
        self,
        config: &Config,
        now: NaiveDateTime,
        actor: &Actor,
    ) -> Result<PatrolRecord, FieldError> {
        let person = input::staff_id(config, "person", &self.person)?;
        let at = input::local_time("at", &self.at)?;
        input::not_in_future("at", at, now)?;
        if at.date() < config.import.earliest {
            return Err(FieldError::new(
                "at",
                format!(
                    "{} is before {}, the earliest day the box accepts ([import] earliest)",
                    at.format("%Y-%m-%dT%H:%M:%S"),
                    config.import.earliest
                ),
            ));
        }
        let patrolled_by = input::text("patrolled_by", &self.patrolled_by, MAX_NAME_CHARS)?;
        let note = input::optional_text("note", self.note.as_deref(), MAX_TEXT_CHARS)?;
        Ok(PatrolRecord {
            person,
            at,
            patrolled_by,
            note,
            actor: actor.clone(),
        })
    }
}
