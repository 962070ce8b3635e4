//! Write-offs (核销登记): the stored actions, the write-off they add up to,
//! and its status as of an instant.
//!
//! A write-off is journaled as `write_off` events whose payload `action`
//! is one of:
//!
//! - `register`: the write-off itself, with its person, kind, span of
//!   checkpoints, reason, who approved it, and for leave the signatures;
//!   its journal sequence is the write-off's id;
//! - `paperwork`: the completed paperwork of emergency leave, with the day
//!   it was completed and the signatures;
//! - `revoke`: the bureau withdraws a write-off registered by mistake.
//!
//! Nothing is changed in place: the current state of a write-off is the
//! fold of its events, so a late action changes the next report.

mod request;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use super::leave::{self, Approval};
use super::RecordsError;
use crate::auth::Actor;
use crate::calendar::{Calendar, CalendarError};
use crate::journal::{EventKind, NewEvent, StoredEvent};
use crate::rules::{Checkpoint, Slot, WriteOffKind, WriteOffSpan};

pub use request::{
    ApprovalInput, EmergencyInput, PaperworkRequest, RegisterRequest, RevokeRequest,
};

/// Emergency leave: the bureau was notified on the first day, before
/// 08:30, and the paperwork follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Emergency {
    /// Local time at which the bureau was notified.
    pub notified_at: NaiveDateTime,
}

/// The `register` action: a new write-off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// Staff id of the person.
    pub person: String,
    /// The kind as registered.
    pub kind: WriteOffKind,
    /// First day covered.
    pub from: NaiveDate,
    /// Last day covered, not before `from`.
    pub to: NaiveDate,
    /// First checkpoint covered on `from`.
    pub from_checkpoint: Checkpoint,
    /// Last checkpoint covered on `to`.
    pub to_checkpoint: Checkpoint,
    pub reason: String,
    /// Name of the person at the bureau who approved the write-off.
    pub approved_by: String,
    /// Signatures of the leave form, in chain order; may be empty for
    /// emergency leave until its paperwork, and for kinds that are not
    /// leave.
    #[serde(default)]
    pub approvals: Vec<Approval>,
    /// Sick leave only: whether a doctor's certificate (疾病证明书) was
    /// handed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sick_certificate: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<Emergency>,
    /// Half-day sessions on working days the span touches, when it was
    /// registered.
    pub half_days: u32,
    pub actor: Actor,
}

impl Registration {
    /// Returns the first checkpoint covered.
    pub fn first(&self) -> Slot {
        Slot {
            date: self.from,
            checkpoint: self.from_checkpoint,
        }
    }

    /// Returns the last checkpoint covered.
    pub fn last(&self) -> Slot {
        Slot {
            date: self.to,
            checkpoint: self.to_checkpoint,
        }
    }
}

/// The `paperwork` action: the signed form of emergency leave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paperwork {
    /// Id of the write-off.
    pub write_off: i64,
    /// Day the paperwork was completed at the bureau.
    pub completed_on: NaiveDate,
    /// The complete chain of signatures, in order.
    pub approvals: Vec<Approval>,
    /// Sick leave only: a doctor's certificate handed in with the paperwork.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sick_certificate: Option<bool>,
    pub actor: Actor,
}

/// The `revoke` action: the write-off no longer covers anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// Id of the write-off.
    pub write_off: i64,
    pub reason: String,
    pub actor: Actor,
}

/// One stored `write_off` event, by its `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum WriteOffAction {
    Register(Registration),
    Paperwork(Paperwork),
    Revoke(Revocation),
}

impl WriteOffAction {
    /// Builds the journal event of this action, made by `actor`, with the
    /// request body as the raw record.
    pub fn to_event(
        &self,
        actor: &Actor,
        key: String,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<NewEvent, serde_json::Error> {
        let subject = match self {
            WriteOffAction::Register(registration) => Some(registration.person.clone()),
            WriteOffAction::Paperwork(_) | WriteOffAction::Revoke(_) => None,
        };
        Ok(NewEvent {
            kind: EventKind::WriteOff,
            device_id: actor.journal_source(),
            idempotency_key: key,
            device_time: None,
            received_at: now,
            subject,
            raw: body.to_vec(),
            payload: serde_json::to_value(self)?,
        })
    }
}

/// A later action on a write-off, with where and when it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp<T> {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub record: T,
}

/// A write-off with every action taken on it so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOff {
    /// Journal sequence of the registration.
    pub id: i64,
    pub registered_at: DateTime<Utc>,
    pub registration: Registration,
    pub paperwork: Option<FollowUp<Paperwork>>,
    pub revocation: Option<FollowUp<Revocation>>,
}

impl Registration {
    /// Returns the first and the last slot the registration covers.
    pub fn span(&self) -> (Slot, Slot) {
        (
            Slot {
                date: self.from,
                checkpoint: self.from_checkpoint,
            },
            Slot {
                date: self.to,
                checkpoint: self.to_checkpoint,
            },
        )
    }
}

/// Returns the first write-off of `write_offs` in force as of `as_of` that
/// covers a checkpoint of the same person that `registration` covers.
/// Two write-offs of one checkpoint would hide one behind the other.
pub fn overlapping<'a>(
    write_offs: &'a [WriteOff],
    registration: &Registration,
    calendar: &Calendar,
    as_of: NaiveDateTime,
) -> Option<&'a WriteOff> {
    let (first, last) = registration.span();
    write_offs.iter().find(|other| {
        let (other_first, other_last) = other.registration.span();
        other.registration.person == registration.person
            && other_first <= last
            && first <= other_last
            && other.status(calendar, as_of).in_force()
    })
}

/// Returns the half-day sessions of the run of leave that `registration`
/// joins, and the ids of the other write-offs in it. The run is the leave
/// of the same person, in force as of `as_of`, that adjoins it with no
/// working half-day between, directly or through another such leave.
/// Leave split into pieces needs the approval chain of the whole run.
pub fn joined_leave(
    write_offs: &[WriteOff],
    registration: &Registration,
    calendar: &Calendar,
    as_of: NaiveDateTime,
) -> Result<(u32, Vec<i64>), CalendarError> {
    let (mut first, mut last) = registration.span();
    let mut total = registration.half_days;
    let mut joined: Vec<i64> = Vec::new();
    loop {
        let mut grew = false;
        for other in write_offs {
            if joined.contains(&other.id)
                || other.registration.person != registration.person
                || !other.registration.kind.is_leave()
                || !other.status(calendar, as_of).in_force()
            {
                continue;
            }
            let (other_first, other_last) = other.registration.span();
            let merged_first = first.min(other_first);
            let merged_last = last.max(other_last);
            let merged = leave::half_days(calendar, merged_first, merged_last)?;
            // Without a gap, the run covers exactly the half-days of both.
            if merged == total + other.registration.half_days {
                first = merged_first;
                last = merged_last;
                total = merged;
                joined.push(other.id);
                grew = true;
            }
        }
        if !grew {
            return Ok((total, joined));
        }
    }
}

/// Status of a write-off as of an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteOffStatus {
    /// Registered with every signature it needs: in force.
    Approved,
    /// Emergency leave within its paperwork period: in force for now.
    AwaitingPaperwork,
    /// Emergency leave whose paperwork came in time: in force.
    PaperworkCompleted,
    /// Emergency leave whose paperwork came late or not at all: covers
    /// nothing, so its days are judged by the punches, which for a person
    /// on leave is absence.
    Lapsed,
    /// Withdrawn by the bureau: covers nothing.
    Revoked,
}

impl WriteOffStatus {
    /// Returns whether the write-off covers its checkpoints.
    pub fn in_force(self) -> bool {
        matches!(
            self,
            WriteOffStatus::Approved
                | WriteOffStatus::AwaitingPaperwork
                | WriteOffStatus::PaperworkCompleted
        )
    }

    /// Returns the Chinese name used in reports.
    pub fn label_zh(self) -> &'static str {
        match self {
            WriteOffStatus::Approved => "已核销",
            WriteOffStatus::AwaitingPaperwork => "待补办手续",
            WriteOffStatus::PaperworkCompleted => "已补办手续",
            WriteOffStatus::Lapsed => "逾期未补办，视为旷工",
            WriteOffStatus::Revoked => "已撤销",
        }
    }
}

impl WriteOff {
    /// Returns the kind reported: sick leave without a doctor's certificate
    /// counts as personal leave.
    pub fn reported_kind(&self) -> WriteOffKind {
        let registration = &self.registration;
        if registration.kind != WriteOffKind::SickLeave {
            return registration.kind;
        }
        let certificate = self
            .paperwork
            .as_ref()
            .and_then(|paperwork| paperwork.record.sick_certificate)
            .or(registration.sick_certificate)
            .unwrap_or(false);
        if certificate {
            WriteOffKind::SickLeave
        } else {
            WriteOffKind::PersonalLeave
        }
    }

    /// Returns the signatures in force: the paperwork's, once completed.
    pub fn approvals(&self) -> &[Approval] {
        match &self.paperwork {
            Some(paperwork) => &paperwork.record.approvals,
            None => &self.registration.approvals,
        }
    }

    /// Returns the last day on which the paperwork of emergency leave is
    /// in time, or `None` for other write-offs and when the calendar does
    /// not cover the days after the leave.
    pub fn paperwork_due(&self, calendar: &Calendar) -> Option<NaiveDate> {
        self.registration.emergency.as_ref()?;
        leave::paperwork_deadline(calendar, self.registration.to).ok()
    }

    /// Returns the status as of the local instant `as_of`.
    ///
    /// NOTE: when the calendar does not cover the days after emergency
    /// leave, its deadline is unknown and the leave is treated as within
    /// its paperwork period.
    pub fn status(&self, calendar: &Calendar, as_of: NaiveDateTime) -> WriteOffStatus {
        if self.revocation.is_some() {
            return WriteOffStatus::Revoked;
        }
        if self.registration.emergency.is_none() {
            return WriteOffStatus::Approved;
        }
        let due = self.paperwork_due(calendar);
        match (&self.paperwork, due) {
            (Some(paperwork), Some(due)) if paperwork.record.completed_on > due => {
                WriteOffStatus::Lapsed
            }
            (Some(_), _) => WriteOffStatus::PaperworkCompleted,
            (None, Some(due)) if as_of.date() > due => WriteOffStatus::Lapsed,
            (None, _) => WriteOffStatus::AwaitingPaperwork,
        }
    }

    /// Returns the span the rules apply while the write-off is in force.
    pub fn span(&self) -> WriteOffSpan {
        WriteOffSpan {
            id: self.id,
            person: self.registration.person.clone(),
            kind: self.reported_kind(),
            first: self.registration.first(),
            last: self.registration.last(),
        }
    }

    /// Returns whether the write-off covers any day from `first` to `last`.
    pub fn overlaps(&self, first: NaiveDate, last: NaiveDate) -> bool {
        self.registration.from <= last && first <= self.registration.to
    }

    /// Returns the write-off as the API and the reports show it.
    pub fn view(&self, calendar: &Calendar, as_of: NaiveDateTime) -> WriteOffView {
        let registration = &self.registration;
        let status = self.status(calendar, as_of);
        let reported = self.reported_kind();
        WriteOffView {
            id: self.id,
            person: registration.person.clone(),
            kind: registration.kind,
            kind_label: registration.kind.label_zh(),
            reported_as: reported,
            reported_as_label: reported.label_zh(),
            from: registration.from,
            to: registration.to,
            from_checkpoint: registration.from_checkpoint,
            to_checkpoint: registration.to_checkpoint,
            days: leave::days_text(registration.half_days),
            reason: registration.reason.clone(),
            approved_by: registration.approved_by.clone(),
            approvals: self.approvals().to_vec(),
            // The paperwork of emergency sick leave may bring the
            // certificate; the view shows the one that counts.
            sick_certificate: self
                .paperwork
                .as_ref()
                .and_then(|paperwork| paperwork.record.sick_certificate)
                .or(registration.sick_certificate),
            emergency: registration
                .emergency
                .as_ref()
                .map(|emergency| EmergencyView {
                    notified_at: emergency.notified_at,
                    paperwork_due: self.paperwork_due(calendar),
                    paperwork_completed_on: self
                        .paperwork
                        .as_ref()
                        .map(|paperwork| paperwork.record.completed_on),
                }),
            status,
            status_label: status.label_zh(),
            revoked: self.revocation.as_ref().map(|revocation| RevokedView {
                reason: revocation.record.reason.clone(),
                at: revocation.at,
                by: revocation.record.actor.token_id.clone(),
            }),
            registered_at: self.registered_at,
            registered_by: registration.actor.token_id.clone(),
        }
    }
}

/// A write-off as the API and the reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteOffView {
    pub id: i64,
    pub person: String,
    pub kind: WriteOffKind,
    pub kind_label: &'static str,
    /// The kind counted in reports: personal leave for sick leave without
    /// a doctor's certificate.
    pub reported_as: WriteOffKind,
    pub reported_as_label: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub from_checkpoint: Checkpoint,
    pub to_checkpoint: Checkpoint,
    /// Length in days of the working-day sessions covered, such as "2.5".
    pub days: String,
    pub reason: String,
    pub approved_by: String,
    pub approvals: Vec<Approval>,
    pub sick_certificate: Option<bool>,
    pub emergency: Option<EmergencyView>,
    pub status: WriteOffStatus,
    pub status_label: &'static str,
    pub revoked: Option<RevokedView>,
    pub registered_at: DateTime<Utc>,
    /// Id of the token that registered it.
    pub registered_by: String,
}

/// The emergency part of a write-off view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmergencyView {
    pub notified_at: NaiveDateTime,
    /// Last day on which the paperwork is in time, if the calendar covers it.
    pub paperwork_due: Option<NaiveDate>,
    pub paperwork_completed_on: Option<NaiveDate>,
}

/// The revocation part of a write-off view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevokedView {
    pub reason: String,
    pub at: DateTime<Utc>,
    /// Id of the token that revoked it.
    pub by: String,
}

/// Folds the stored `write_off` events, in sequence order, into
/// write-offs in the order of registration.
pub fn assemble(events: &[StoredEvent]) -> Result<Vec<WriteOff>, RecordsError> {
    let mut write_offs: Vec<WriteOff> = Vec::new();
    for event in events {
        let action: WriteOffAction = serde_json::from_value(event.payload.clone())
            .map_err(|error| RecordsError::invalid(event, error.to_string()))?;
        match action {
            WriteOffAction::Register(registration) => write_offs.push(WriteOff {
                id: event.seq,
                registered_at: event.received_at,
                registration,
                paperwork: None,
                revocation: None,
            }),
            WriteOffAction::Paperwork(paperwork) => {
                let write_off = find_mut(&mut write_offs, paperwork.write_off, event)?;
                write_off.paperwork.get_or_insert(FollowUp {
                    seq: event.seq,
                    at: event.received_at,
                    record: paperwork,
                });
            }
            WriteOffAction::Revoke(revocation) => {
                let write_off = find_mut(&mut write_offs, revocation.write_off, event)?;
                write_off.revocation.get_or_insert(FollowUp {
                    seq: event.seq,
                    at: event.received_at,
                    record: revocation,
                });
            }
        }
    }
    Ok(write_offs)
}

fn find_mut<'w>(
    write_offs: &'w mut [WriteOff],
    id: i64,
    event: &StoredEvent,
) -> Result<&'w mut WriteOff, RecordsError> {
    // Ids are sequence numbers, registered in increasing order.
    match write_offs.binary_search_by_key(&id, |write_off| write_off.id) {
        Ok(index) => Ok(&mut write_offs[index]),
        Err(_) => Err(RecordsError::invalid(
            event,
            format!("refers to write-off {id}, which no earlier event registers"),
        )),
    }
}
