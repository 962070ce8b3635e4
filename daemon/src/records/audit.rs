//! The audit trail: every change made through the API is journaled with
//! the actor who made it.
//!
//! A change is two events appended in one transaction. The first is the
//! record itself: a write-off, an outage, a patrol punch, a correction.
//! The second, right after it, is an `audit` event whose payload names the
//! actor's role, unit and token id, the action and the record's
//! idempotency key. Both are stored or neither is. The audit key is derived
//! from the record's key, so a resent change is a duplicate of both.
//!
//! Routes adopt this by building their record event and calling
//! [`append_with_audit`] with the request's [`Actor`], or by handing an
//! [`AuditBy`] to the module that builds the record, which then calls
//! [`append_audited`]. A change whose events are written elsewhere (an
//! import) is audited on its own with [`append_standalone`], after it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::RecordsError;
use crate::auth::Actor;
use crate::journal::{Appended, EventKind, Journal, NewEvent, StoredEvent};

/// The payload of an `audit` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub actor: Actor,
    /// The change made, as `record.verb`: `write_off.register`,
    /// `outage.close`, `patrol.register`, ...
    pub action: String,
    /// Kind of the record event; `None` for a standalone entry.
    #[serde(default)]
    pub record_kind: Option<String>,
    /// Idempotency key of the record event; `None` for a standalone entry.
    #[serde(default)]
    pub record_key: Option<String>,
    /// One line for people, such as "personal_leave for S001 from
    /// 2026-11-02 to 2026-11-03".
    pub summary: String,
}

/// Builds the audit event of `record`, made by `actor`.
pub fn audit_event(
    actor: &Actor,
    action: &str,
    record: &NewEvent,
    summary: String,
) -> Result<NewEvent, serde_json::Error> {
    let payload = AuditRecord {
        actor: actor.clone(),
        action: action.to_string(),
        record_kind: Some(record.kind.as_str().to_string()),
        record_key: Some(record.idempotency_key.clone()),
        summary,
    };
    Ok(NewEvent {
        kind: EventKind::Audit,
        device_id: actor.journal_source(),
        idempotency_key: format!("audit:{}", record.idempotency_key),
        device_time: None,
        received_at: record.received_at,
        subject: Some(actor.token_id.clone()),
        raw: Vec::new(),
        payload: serde_json::to_value(payload)?,
    })
}

/// Appends `record` and its audit event in one transaction and returns the
/// outcome of the record: stored with its new sequence, or a duplicate of
/// an earlier record with the same key.
pub fn append_with_audit(
    journal: &mut Journal,
    actor: &Actor,
    action: &str,
    record: NewEvent,
    summary: String,
) -> Result<Appended, RecordsError> {
    let audit = audit_event(actor, action, &record, summary).map_err(RecordsError::Encode)?;
    let outcomes = journal.append_batch(&[record, audit])?;
    match outcomes.first() {
        Some(outcome) => Ok(*outcome),
        None => unreachable!("append_batch returns one outcome per event"),
    }
}

/// The actor and action of a change, for a module that builds the record
/// event itself and stores it with [`append_audited`].
#[derive(Debug, Clone, Copy)]
pub struct AuditBy<'a> {
    pub actor: &'a Actor,
    /// The change, as `record.verb`, such as `correction.request`.
    pub action: &'static str,
}

/// Appends `record`, and its audit entry with `summary` when `audit` names
/// the actor, in one transaction. Without `audit` (a change made outside
/// the API) the record is appended alone.
pub fn append_audited(
    journal: &mut Journal,
    record: NewEvent,
    audit: Option<AuditBy<'_>>,
    summary: String,
) -> Result<Appended, RecordsError> {
    match audit {
        Some(by) => append_with_audit(journal, by.actor, by.action, record, summary),
        None => Ok(journal.append(&record)?),
    }
}

/// Appends an audit entry of a change whose own events are already
/// stored, such as the punches of an import.
pub fn append_standalone(
    journal: &mut Journal,
    actor: &Actor,
    action: &str,
    summary: String,
    now: DateTime<Utc>,
) -> Result<Appended, RecordsError> {
    let random =
        crate::auth::random_hex(16).map_err(|error| RecordsError::Random(error.to_string()))?;
    let payload = AuditRecord {
        actor: actor.clone(),
        action: action.to_string(),
        record_kind: None,
        record_key: None,
        summary,
    };
    let event = NewEvent {
        kind: EventKind::Audit,
        device_id: actor.journal_source(),
        idempotency_key: format!("audit:{action}:{random}"),
        device_time: None,
        received_at: now,
        subject: Some(actor.token_id.clone()),
        raw: Vec::new(),
        payload: serde_json::to_value(payload).map_err(RecordsError::Encode)?,
    };
    Ok(journal.append(&event)?)
}

/// An audit entry as `GET /api/v1/audit` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Sequence of the audit event.
    pub seq: i64,
    /// Sequence of the record: the event right before the audit event,
    /// because [`append_with_audit`] appends the two together; `None` for
    /// a standalone entry.
    pub record_seq: Option<i64>,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub record: AuditRecord,
}

/// Reads stored `audit` events. Events of kind `audit` whose payload has a
/// `type` are records of their own, such as duty assignments, which their
/// module reads and whose audit entry follows them: they are skipped.
pub fn entries(events: &[StoredEvent]) -> Result<Vec<AuditEntry>, RecordsError> {
    events
        .iter()
        .filter(|event| event.payload.get("type").is_none())
        .map(|event| {
            let record: AuditRecord = serde_json::from_value(event.payload.clone())
                .map_err(|error| RecordsError::invalid(event, error.to_string()))?;
            Ok(AuditEntry {
                seq: event.seq,
                record_seq: record.record_key.as_ref().map(|_| event.seq - 1),
                at: event.received_at,
                record,
            })
        })
        .collect()
}
